"""The analyst's formats (registers/formats.py): Stata .dta, SAS transport .xpt, Excel .xlsx, CSV with a decimal comma
in cp1252, and columns under the registers' own names must give exactly what Parquet gives: the same typed tables
after loading, the same validation summary and the same published effect tables of the minimal example design.

The reference is the Parquet folder itself (the path every other test exercises); the other folders are written from
the same frames by the writers the analysts' tools use (pyreadstat for Stata and SAS, openpyxl through pandas for
Excel, pandas for CSV), once per module on a small synthetic folder (the programme's participants and 300 others).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from typer.testing import CliRunner

from virkning.analyses import KINDS, Context
from virkning.design import load_design
from virkning.registers import LoadOptions, load, validate
from virkning.registers.formats import overriding

EXAMPLES = Path(__file__).parents[2] / "src" / "virkning" / "examples"
TABLES = ("persons", "benefits", "employment", "events")
# SAS transport version 5 allows eight-character names: a SAS user's registers under their own (Danish) names
XPT_NAMES = {"person_id": "PNR", "birth_date": "FOED_DAG", "municipality": "KOM", "education": "UDD",
             "week": "UGE", "code": "KODE", "employment_rate": "BESKGRAD", "temp_agency": "VIKAR"}
XPT_COLUMNS = (("", "PNR", "person_id"), ("persons", "FOED_DAG", "birth_date"), ("persons", "KOM", "municipality"),
               ("persons", "UDD", "education"), ("benefits", "UGE", "week"), ("benefits", "KODE", "code"),
               ("employment", "BESKGRAD", "employment_rate"), ("employment", "VIKAR", "temp_agency"))


def _small(tmp: Path) -> dict[str, pd.DataFrame]:
    from virkning.synth import generate

    generate(tmp / "synth", persons=20_000, seed=5, start="2017-01-01")  # about 70 participants
    t = {k: pd.read_parquet(tmp / "synth" / f"{k}.parquet") for k in TABLES}
    keep = set(t["events"].person_id) | set(t["persons"].person_id.sample(300, random_state=1))
    return {k: v[v.person_id.isin(keep)].reset_index(drop=True) for k, v in t.items()}


def _as_stat(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame as a Stata or SAS user holds it: text as plain strings, booleans as 0/1, dates as dates."""
    out = frame.copy()
    for c in out.columns:
        if out[c].dtype == bool:
            out[c] = out[c].astype("int8")
        elif pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].astype(object).where(out[c].notna(), "")
    return out


def _write(folder: Path, tables: dict[str, pd.DataFrame], kind: str) -> Path:
    folder.mkdir(parents=True)
    for name, frame in tables.items():
        if kind == "parquet":
            frame.to_parquet(folder / f"{name}.parquet", index=False)
        elif kind == "dta":
            pyreadstat.write_dta(_as_stat(frame), str(folder / f"{name}.dta"))
        elif kind == "xpt":
            pyreadstat.write_xport(_as_stat(frame).rename(columns=XPT_NAMES), str(folder / f"{name}.xpt"),
                                   table_name=name[:8].upper(), file_format_version=5)
        elif kind == "xlsx":
            frame.to_excel(folder / f"{name}.xlsx", index=False)
        elif kind == "csv-dk":  # Danish Excel's CSV: semicolons, decimal comma, Windows-1252, registers' names
            frame.rename(columns={"person_id": "PNR", "week": "UGE"}).to_csv(
                folder / f"{name}.csv", sep=";", decimal=",", index=False, encoding="cp1252")
    return folder


def _views(regs) -> dict[str, pd.DataFrame]:
    return {n: regs.engine.frame(f"SELECT * FROM {n} ORDER BY ALL") for n in TABLES}


def _published(regs, design) -> dict[str, pd.DataFrame]:
    """The effect evaluation's published tables (what `virkning evaluate` writes as results/*.csv)."""
    ctx = Context(data=Path(regs.folder), threshold=design.disclosure_threshold, language=design.language,
                  seed=design.seed, design_name=design.name, _registers=regs)
    kind = KINDS["effect"]
    outputs = kind.publish(kind.run(design, ctx), design.disclosure_threshold)
    return {f"{o.folder}/{name}": frame for o in outputs for name, frame in o.tables.items()}


def _summary(regs) -> dict:
    """What `virkning validate` reports of each table (the load validated the folder)."""
    return {n: (t.rows, t.persons, t.first, t.last, t.layout) for n, t in regs.report.tables.items()}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("formats")
    tables = _small(tmp)
    design = load_design(_design(tmp))
    regs = load(_write(tmp / "parquet", tables, "parquet"))
    try:
        reference = {"views": _views(regs), "published": _published(regs, design), "summary": _summary(regs)}
    finally:
        regs.close()
    return tmp, tables, design, reference


def _design(tmp: Path) -> Path:
    path = tmp / "design.yaml"
    shutil.copy(EXAMPLES / "minimal" / "design.yaml", path)
    return path


def _same_as_parquet(small, folder: Path, options: LoadOptions, *, results: bool = True) -> None:
    tmp, _, design, reference = small
    regs = load(folder, options)
    try:
        assert _summary(regs) == reference["summary"]
        views = _views(regs)
        for name in TABLES:
            pd.testing.assert_frame_equal(views[name], reference["views"][name], check_exact=True, obj=name)
        if results:
            published = _published(regs, design)
            assert published.keys() == reference["published"].keys()
            for name, frame in published.items():
                pd.testing.assert_frame_equal(frame, reference["published"][name], check_exact=True, obj=name)
    finally:
        regs.close()


def test_reference_has_results(small):
    """The comparison has something to compare: matched participants and effects."""
    _, tables, _, reference = small
    effects = reference["published"]["results/effects"]
    assert len(effects) >= 1 and len(tables["events"]) > 50
    assert reference["summary"]["benefits"][0] == len(tables["benefits"])


def test_stata_dta_same_as_parquet(small):
    tmp, tables, _, _ = small
    _same_as_parquet(small, _write(tmp / "dta", tables, "dta"), LoadOptions())


def _csv_dk(tmp: Path, tables: dict[str, pd.DataFrame]) -> Path:
    """The Danish CSV folder three tests read, written by whichever of them runs first (in any order)."""
    folder = tmp / "csv-dk"
    return folder if folder.exists() else _write(folder, tables, "csv-dk")


def test_sas_transport_with_renames_same_as_parquet(small):
    """XPT version 5 (eight-character names, every number a double, dates as SAS dates) read through renames."""
    tmp, tables, _, _ = small
    folder = _write(tmp / "xpt", tables, "xpt")
    meta = pyreadstat.read_xport(str(folder / "benefits.xpt"), metadataonly=True)[1]
    assert meta.readstat_variable_types["UGE"] == "double"  # weeks YYYYWW and codes stored as doubles
    _same_as_parquet(small, folder, LoadOptions(columns=XPT_COLUMNS))


def test_danish_csv_same_as_parquet(small):
    """Semicolons, decimal commas (employment rates and hours), Windows-1252 letters (Ø, æ) and PNR/UGE names."""
    tmp, tables, _, _ = small
    folder = _csv_dk(tmp, tables)
    raw = (folder / "employment.csv").read_bytes()
    assert b";0,5;" in raw or b";1,0;" in raw
    assert b"\xd8" in (folder / "persons.csv").read_bytes()  # Ø in cp1252: not UTF-8
    _same_as_parquet(small, folder, LoadOptions(encoding="cp1252", decimal=",",
                                                columns=(("", "PNR", "person_id"), ("benefits", "UGE", "week"))))


def test_excel_same_as_parquet(small):
    """Persons and events as workbooks (dates as Excel dates); benefits and employment stay Parquet, as openpyxl
    reads some 10^5 cells a second (a test of the large tables would take minutes; test_excel_every_table covers
    them on a tiny folder)."""
    tmp, tables, _, _ = small
    folder = _write(tmp / "xlsx", {k: v for k, v in tables.items() if k in ("persons", "events")}, "xlsx")
    for name in ("benefits", "employment"):
        tables[name].to_parquet(folder / f"{name}.parquet", index=False)
    _same_as_parquet(small, folder, LoadOptions())


def test_design_file_formats_same_as_parquet(small):
    """The design's data section declares the Danish CSV's formats; `encoding: auto` detects cp1252."""
    tmp, tables, _, reference = small
    folder = _csv_dk(tmp, tables)
    design = tmp / "design-dk.yaml"
    design.write_text(f"data:\n  folder: {folder}\n  encoding: auto\n  decimal: comma\n"
                      "  columns: {PNR: person_id, benefits: {UGE: week}}\n" + _design(tmp).read_text())
    options = load_design(design).load_options()
    assert (options.encoding, options.decimal, options.delimiter) == ("auto", ",", None)
    _same_as_parquet(small, folder, options, results=False)


def test_cli_evaluate_with_format_options(small, tmp_path):
    """`virkning evaluate --encoding --decimal --column` writes the published tables Parquet gives."""
    from virkning.cli import app
    from virkning.outputs import csv_bytes

    tmp, tables, _, reference = small
    folder = _csv_dk(tmp, tables)
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["evaluate", str(_design(tmp)), "--data", str(folder), "--out", str(out),
                                   "--encoding", "cp1252", "--decimal", ",", "--column", "PNR=person_id",
                                   "--column", "benefits.UGE=week"])
    assert res.exit_code == 0, res.output
    for name, frame in reference["published"].items():
        assert (out / f"{name}.csv").read_bytes() == csv_bytes(frame), name
    data = json.loads((out / "results" / "results.json").read_text())["design"]["data"]
    assert (data["encoding"], data["decimal"]) == ("cp1252", ",")  # how the files were read, on record
    assert data["columns"] == [["", "PNR", "person_id"], ["benefits", "UGE", "week"]]


# ---- types of the statistical packages ---------------------------------------------------------------------------

def _contract_folder(folder: Path, csv_tables: dict, *writers) -> Path:
    """A folder with these tables as CSV, and whatever files `writers` add."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in csv_tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    for writer in writers:
        writer(folder)
    return folder


def test_stata_dates_months_and_double_codes(tmp_path, small_tables):
    """%td birth dates, %tm months (months since 1960-01), and weeks, codes and municipalities stored as doubles."""
    persons = small_tables["persons"].drop(columns=["extra_cov"]).copy()
    persons["birth_date"] = pd.to_datetime(persons["birth_date"]).dt.date
    persons["municipality"] = persons["municipality"].astype(float)
    weeks = [(2018, 5), (2018, 6)]
    benefits = pd.DataFrame({"person_id": ["A", "A"], "week": [float(y * 100 + w) for y, w in weeks],
                             "code": [111.0, 213.0]})
    months = pd.Series(["2018-01", "2018-02"])
    employment = pd.DataFrame({"person_id": ["A", "C"], "month": [(2018 - 1960) * 12 + 0, (2018 - 1960) * 12 + 1],
                               "employment_rate": [0.5, 1.0]})

    def write(folder):
        pyreadstat.write_dta(_as_stat(persons), str(folder / "persons.dta"))
        pyreadstat.write_dta(benefits, str(folder / "benefits.dta"))
        pyreadstat.write_dta(employment, str(folder / "employment.dta"), variable_format={"month": "%tm"})

    folder = _contract_folder(tmp_path / "d", {"events": small_tables["events"]}, write)
    meta = pyreadstat.read_dta(str(folder / "employment.dta"), metadataonly=True)[1]
    assert meta.original_variable_types["month"] == "%tm"
    regs = load(folder)
    try:
        got = regs.persons().set_index("person_id")
        assert got.loc["A", "birth_date"] == pd.Timestamp("1960-03-15")
        assert got["municipality"].tolist() == ["101", "851", "751"]
        b = regs.engine.frame("SELECT wk, code FROM benefits ORDER BY wk")
        from virkning.registers import calendar

        assert b["wk"].tolist() == [calendar.parse_week(y * 100 + w) for y, w in weeks]
        assert b["code"].tolist() == ["111", "213"]
        e = regs.engine.frame("SELECT mo FROM employment ORDER BY person_id")
        assert e["mo"].tolist() == [calendar.parse_month(m) for m in months]
    finally:
        regs.close()


def test_danish_csv_on_each_engine(tmp_path, small_tables, engine):
    """Windows-1252, semicolons, decimal commas and renamed columns read as the UTF-8 CSV folder does, on DuckDB and on
    Spark (which parses local CSV with the same statement, from the re-encoded copy)."""
    utf8 = _contract_folder(tmp_path / "utf8", small_tables)
    dk = tmp_path / "dk"
    dk.mkdir()
    for name, frame in small_tables.items():
        frame.rename(columns={"person_id": "PNR"}).to_csv(dk / f"{name}.csv", sep=";", decimal=",", index=False,
                                                            encoding="cp1252")
    a = load(utf8, LoadOptions(engine="duckdb"))  # the reference; the engine under test reads the Danish files
    b = load(dk, LoadOptions(encoding="cp1252", decimal=",", columns=(("", "PNR", "person_id"),)))
    try:
        for name, frame in _views(a).items():
            pd.testing.assert_frame_equal(_views(b)[name], frame, check_exact=True, obj=name)
    finally:
        a.close()
        b.close()


def test_excel_every_table(tmp_path, small_tables):
    """Every table as a workbook (text weeks, booleans, numbers, Excel dates) reads as the Parquet folder does."""
    parquet = tmp_path / "parquet"
    parquet.mkdir()
    for name, frame in small_tables.items():
        frame.to_parquet(parquet / f"{name}.parquet", index=False)
    xlsx = tmp_path / "xlsx"
    xlsx.mkdir()
    for name, frame in small_tables.items():
        frame = frame.copy()
        for c in ("birth_date", "date"):
            if c in frame:
                frame[c] = pd.to_datetime(frame[c])  # an Excel date cell
        frame.to_excel(xlsx / f"{name}.xlsx", index=False)
    a, b = load(parquet), load(xlsx)
    try:
        for name, frame in _views(a).items():
            pd.testing.assert_frame_equal(_views(b)[name], frame, check_exact=True, obj=name)
    finally:
        a.close()
        b.close()


# ---- bad input: a message naming the file, line, column and what to do; nothing written --------------------------

def _messages(folder: Path, options: LoadOptions | None = None) -> list[str]:
    report = validate(folder, options)
    assert not report.ok
    return [str(p) for p in report.problems]


def test_latin1_without_declaration_says_which_encoding(tmp_path, small_tables):
    folder = _contract_folder(tmp_path / "d", small_tables)
    text = (folder / "persons.csv").read_text(encoding="utf-8")
    (folder / "persons.csv").write_bytes(text.encode("cp1252"))
    msgs = _messages(folder)
    hit = [m for m in msgs if m.startswith("persons.csv")]
    assert hit and "line 4" in hit[0] and "0xD8" in hit[0] and "encoding: cp1252" in hit[0], msgs
    assert validate(folder, LoadOptions(encoding="cp1252")).ok
    assert validate(folder, LoadOptions(encoding="auto")).ok


def test_byte_the_encoding_lacks(tmp_path, small_tables):
    folder = _contract_folder(tmp_path / "d", small_tables)
    raw = (folder / "events.csv").read_text(encoding="utf-8").encode("cp1252")
    (folder / "events.csv").write_bytes(raw.replace(b"P2", b"P\x81"))  # 0x81 is undefined in cp1252
    msgs = _messages(folder, LoadOptions(encoding="cp1252"))
    assert any(m.startswith("events.csv") and "line 4" in m and "0x81" in m and "latin-1" in m for m in msgs), msgs


def test_utf16_declared_for_files_that_are_not(tmp_path, small_tables):
    """UTF-16's rules are about the whole file (a byte-order mark, whole pairs of bytes), not a byte: each file
    that breaks them is named, as a problem of the data."""
    folder = _contract_folder(tmp_path / "d", small_tables)
    (folder / "events.csv").write_bytes((folder / "events.csv").read_text(encoding="utf-8").encode("utf-16"))
    msgs = _messages(folder, LoadOptions(encoding="utf-16"))
    assert any(m.startswith("persons.csv") and "is not utf-16" in m for m in msgs), msgs
    assert not any(m.startswith("events.csv") for m in msgs), msgs  # the one file that is UTF-16
    (folder / "benefits.csv").write_bytes((folder / "benefits.csv").read_bytes() + b"x")  # an odd number of bytes
    msgs = _messages(folder, LoadOptions(encoding="utf-16-le"))
    assert any(m.startswith("benefits.csv") and "ends inside a character of utf-16-le" in m for m in msgs), msgs


def test_semicolons_without_declaration_and_bad_decimal(tmp_path, small_tables):
    folder = tmp_path / "d"
    folder.mkdir()
    for name, frame in small_tables.items():  # as Danish Excel saves CSV: semicolons
        frame.to_csv(folder / f"{name}.csv", sep=";", index=False)
    emp = small_tables["employment"].copy()
    emp["employment_rate"] = emp["employment_rate"].map(lambda v: f"{v:.2f}".replace(".", ","))
    emp.loc[2, "employment_rate"] = "1.000,5"  # thousands point and decimal comma: not a rate
    emp.to_csv(folder / "employment.csv", sep=";", index=False)
    msgs = _messages(folder)
    assert any(m.startswith("employment.csv") and "semicolons" in m and "delimiter" in m for m in msgs), msgs
    msgs = _messages(folder, LoadOptions(decimal=","))
    assert any("employment.csv" in m and "row 3" in m and "employment_rate" in m for m in msgs), msgs
    emp.loc[2, "employment_rate"] = "1,0"
    emp.to_csv(folder / "employment.csv", sep=";", index=False)
    regs = load(folder, LoadOptions(decimal=","))
    rates = regs.engine.frame("SELECT employment_rate FROM employment ORDER BY person_id, mo")["employment_rate"]
    regs.close()
    assert rates.tolist() == [0.5, 0.25, 1.0, 1.0, 0.0]


def test_renames_that_cannot_apply(tmp_path, small_tables):
    folder = _contract_folder(tmp_path / "d", small_tables)
    msgs = _messages(folder, LoadOptions(columns=(("benefits", "UGE", "week"),)))
    assert any(m.startswith("benefits.csv") and "'UGE'" in m and "no such column" in m for m in msgs), msgs
    msgs = _messages(folder, LoadOptions(columns=(("persons", "region", "sex"),)))
    assert any(m.startswith("persons.csv") and "read as 'sex'" in m for m in msgs), msgs
    msgs = _messages(folder, LoadOptions(columns=(("", "PNRX", "person_id"),)))
    assert any("'PNRX'" in m and "no table has" in m for m in msgs), msgs
    msgs = _messages(folder, LoadOptions(columns=(("benefit", "UGE", "week"),)))
    assert any("benefit.UGE" in m and "not one of" in m for m in msgs), msgs


def test_missing_columns_point_to_renames(tmp_path, small_tables):
    tables = {**small_tables, "persons": small_tables["persons"].rename(columns={"person_id": "PNR"})}
    folder = _contract_folder(tmp_path / "d", tables)
    msgs = _messages(folder)
    assert any(m.startswith("persons.csv") and "PNR" in m and "--column PNR=person_id" in m for m in msgs), msgs


def test_damaged_workbook_and_stata_file(tmp_path, small_tables):
    folder = _contract_folder(tmp_path / "d", {k: v for k, v in small_tables.items() if k != "persons"})
    (folder / "persons.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    msgs = _messages(folder)
    assert any(m.startswith("persons.xlsx") and "cannot be read as Excel" in m for m in msgs), msgs
    persons = small_tables["persons"].rename(columns={"region": ""})  # a column without a name in the header
    persons.to_excel(folder / "persons.xlsx", index=False)
    msgs = _messages(folder)
    assert any(m.startswith("persons.xlsx") and "column 8" in m and "no name" in m for m in msgs), msgs
    (folder / "persons.xlsx").unlink()
    (folder / "persons.dta").write_bytes(b"\x75\x02\x01\x00garbage")
    msgs = _messages(folder)
    assert any(m.startswith("persons.dta") and "cannot be read as Stata" in m for m in msgs), msgs


def test_cli_bad_input_writes_nothing(tmp_path, small_tables):
    from virkning.cli import app

    folder = _contract_folder(tmp_path / "d", small_tables)
    text = (folder / "persons.csv").read_text(encoding="utf-8")
    (folder / "persons.csv").write_bytes(text.encode("cp1252"))
    design = tmp_path / "design.yaml"
    shutil.copy(EXAMPLES / "minimal" / "design.yaml", design)
    runner = CliRunner()
    res = runner.invoke(app, ["evaluate", str(design), "--data", str(folder), "--out", str(tmp_path / "out")])
    assert res.exit_code == 1 and "encoding: cp1252" in res.output
    assert not (tmp_path / "out").exists()
    res = runner.invoke(app, ["validate", "--data", str(folder), "--column", "PNR"])
    assert res.exit_code == 2 and "NAME_IN_FILE=contract_name" in res.output
    res = runner.invoke(app, ["validate", "--data", str(folder), "--encoding", "latin-1", "--column", "event=hændelse"])
    assert res.exit_code == 1 and "events.csv" in res.output and "event" in res.output


def test_overrides_end_with_their_block(tmp_path):
    design = tmp_path / "design.yaml"
    shutil.copy(EXAMPLES / "minimal" / "design.yaml", design)
    d = load_design(design)
    with overriding(encoding="cp1252", columns=(("", "PNR", "person_id"),)):
        inside = d.load_options()
    assert (inside.encoding, inside.columns) == ("cp1252", (("", "PNR", "person_id"),))
    assert (d.load_options().encoding, d.load_options().columns) == ("utf-8", ())

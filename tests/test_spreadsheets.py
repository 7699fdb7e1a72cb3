"""The analyst's formats (issue 19, item 7): the workbook of every published table and CSV in Danish Excel's dialect,
checked against the CSVs they render (the reference: the same file read back by pandas and by the csv module),
byte-identical on a second build, and audited with the folder. End-to-end runs are in test_outputs.py."""

import io
import os
import zipfile

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from virkning.cli import app
from virkning.disclosure.audit import audit
from virkning.outputs import Files, audited, csv_bytes, write_folder
from virkning.spreadsheets import (EXCEL_DA_SUFFIX, INDEX_SHEET, WORKBOOK, About, add_spreadsheets, excel_da_bytes,
                                   run_date, sheet_names, workbook_bytes)

EFFECTS = pd.DataFrame({
    "outcome": ["exit_beskaeftiget"] * 3,
    "month": [1, 2, 3],
    "att": [0.038461538461538436, 0.0, -0.07894736842105265],
    "se": [0.06704026568086012, 1e-05, None],
    "n_treated": [78.0, 78.0, None],  # a count with a withheld cell: CSV and workbook show integers and an empty cell
    "method": ["Kaplan-Meier, cluster bootstrap; 76 groups"] * 3,
    "significant": [True, False, None],
})
FLOW = pd.DataFrame({"step": ["registered (event in window)", "matched"], "participants": [114, 78],
                     "municipality": ["0851", "0101"], "week": ["2018-W05", "2018-W06"], "remark": ["=1+1", ""]})


def small_files() -> Files:
    files = Files()
    files.add("results/effects.csv", csv_bytes(EFFECTS))
    files.add("results/flow.csv", csv_bytes(FLOW))
    files.add("results/results.json", b"{}")
    files.add("internal/persons.csv", b"person_id\nA\n")  # never in the workbook
    return files


ABOUT = dict(title="Tabeller fra effektevalueringen", design_name="Seniorvikar", threshold=5, language="da")


def test_workbook_holds_every_table_with_the_csv_values_and_danish_headers():
    files = small_files()
    add_spreadsheets(files, **ABOUT)
    wb = load_workbook(io.BytesIO(files.files[WORKBOOK]))
    assert wb.sheetnames == [INDEX_SHEET["da"], "effects", "flow"]
    ws = wb["effects"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("Udfald", "Måned", "Effekt (forskel)", "Std.fejl", "Deltagere (antal)", "Metode", "significant")
    csv = pd.read_csv(io.BytesIO(files.files["results/effects.csv"]))
    assert len(rows) == len(csv) + 1
    for r, (_, want) in zip(rows[1:], csv.iterrows()):
        for got, w in zip(r, want):
            if pd.isna(w):
                assert got is None
            elif isinstance(w, float):
                assert isinstance(got, (int, float)) and got == pytest.approx(w, rel=1e-14, abs=1e-300)
            else:
                assert got == w
    assert [type(v) for v in (rows[1][1], rows[1][4])] == [int, int]  # counts and months stay whole numbers
    assert rows[3][4] is None and rows[3][3] is None  # withheld / not applicable: empty, as in the CSV
    assert rows[2][3] == 1e-05 and rows[1][6] is True and rows[2][6] is False
    assert ws.cell(2, 5).number_format == "#,##0" and ws.cell(2, 3).number_format == "#,##0.000"
    flow = list(wb["flow"].iter_rows(values_only=True))
    assert flow[0] == ("Trin", "Deltagere (personer)", "Kommune", "Uge", "remark")  # unknown: the CSV's key
    assert flow[1] == ("registered (event in window)", 114, "0851", "2018-W05", "=1+1")  # codes stay text
    assert wb["flow"]["E2"].data_type == "s"  # text, never a formula
    about = [r for r in wb[INDEX_SHEET["da"]].iter_rows(values_only=True)]
    facts = {r[0]: r[1] for r in about if r and r[0]}
    assert facts["Design"] == "Seniorvikar" and facts["Diskretioneringsgrænse"] == 5
    assert "færre end 5 personer" in facts["Tomme celler"] and facts["Version"].startswith("virkning ")
    assert ("effects", "results/effects.csv", "Effekter pr. måned", 3) in [r[:4] for r in about]


def test_workbook_in_english_and_sheet_names_follow_excels_rules():
    files = small_files()
    add_spreadsheets(files, **(ABOUT | {"language": "en"}))
    wb = load_workbook(io.BytesIO(files.files[WORKBOOK]))
    assert wb.sheetnames[0] == "About" and wb["effects"]["C1"].value == "Effect (difference)"
    names = sheet_names(["2018-04/funnel.csv", "2018-04/criteria.csv", "fidelity/scores.csv",
                         "a/" + "x" * 40 + ".csv", "b/" + "x" * 40 + ".csv", "c/what?[1].csv"], "About")
    assert names[:3] == ["2018-04 funnel", "2018-04 criteria", "fidelity scores"]
    assert all(len(n) <= 31 for n in names) and len({n.lower() for n in names}) == len(names)
    assert names[5] == "c what__1_"


def test_workbook_bytes_are_identical_for_the_same_inputs(monkeypatch):
    a, b = small_files(), small_files()
    add_spreadsheets(a, **ABOUT)
    add_spreadsheets(b, **ABOUT)
    assert a.files[WORKBOOK] == b.files[WORKBOOK]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1546300800")  # 2019-01-01: another day gives the same bytes with it
    book = workbook_bytes([("results/flow.csv", csv_bytes(FLOW))], About(**ABOUT, date=run_date(), version="0"))
    with zipfile.ZipFile(io.BytesIO(book)) as z:
        assert {i.date_time for i in z.infolist()} == {(2019, 1, 1, 0, 0, 0)}
        core = z.read("docProps/core.xml").decode()
    assert core.count("2019-01-01T00:00:00Z") == 2  # created and modified, not the save time
    facts = {r[0]: r[1] for r in load_workbook(io.BytesIO(book)).worksheets[0].iter_rows(values_only=True) if r[0]}
    assert facts["Dato"].date().isoformat() == "2019-01-01"


def test_danish_csv_dialect_round_trips_with_pandas():
    standard = csv_bytes(EFFECTS)
    da = excel_da_bytes(standard)
    assert da.startswith(b"\xef\xbb\xbf") and b"\r\n" in da and b";" in da.splitlines()[0]
    assert b"0,038461538461538436" in da  # decimal comma, every digit of the CSV
    back = pd.read_csv(io.BytesIO(da), sep=";", decimal=",", encoding="utf-8-sig")
    pd.testing.assert_frame_equal(back, pd.read_csv(io.BytesIO(standard)), check_exact=True)
    flow = excel_da_bytes(csv_bytes(FLOW))
    back = pd.read_csv(io.BytesIO(flow), sep=";", decimal=",", encoding="utf-8-sig", dtype={"municipality": str})
    pd.testing.assert_frame_equal(back, pd.read_csv(io.BytesIO(csv_bytes(FLOW)), dtype={"municipality": str}))
    assert "2018-W05" in flow.decode("utf-8-sig")  # text with a dot or dash is left as written


def test_folder_with_workbook_and_dialect_passes_the_audit_and_tampering_is_found(tmp_path):
    files = small_files()
    add_spreadsheets(files, **ABOUT, csv_dialect="excel-da")
    assert sorted(p for p in files.files if p.endswith(EXCEL_DA_SUFFIX)) == [
        "results/effects.excel-da.csv", "results/flow.excel-da.csv"]  # internal/ is not published
    out = tmp_path / "out"
    write_folder(out, files, audited(5))
    assert audit(out, 5) == []
    # a workbook cell that differs from its CSV, a sheet the first sheet does not list, a changed dialect file
    wb = load_workbook(out / WORKBOOK)
    wb["flow"]["B3"] = 3
    wb.create_sheet("extra").append(["n", 2])
    wb.save(out / WORKBOOK)
    dialect = out / "results" / "flow.excel-da.csv"
    dialect.write_bytes(dialect.read_bytes().replace(b";78;", b";3;"))
    found = [str(f) for f in audit(out, 5)]
    assert any("sheet 'flow' row 3, column 2" in f and "shows 3" in f for f in found), found
    assert any("sheet 'extra'" in f and "not listed" in f for f in found), found
    assert any(f.startswith("results/flow.excel-da.csv") and "'3'" in f for f in found), found


def published_months(months=("2018-01", "2018-02", "2018-03"), persons=240, seed=3):
    """Monitoring outputs of three months for projects inviting citizens at random dates (small month counts)."""
    import datetime as dt

    import numpy as np

    from virkning.analyses.monitoring import MonitoringConfig, monitor, publish
    from virkning.analyses.monitoring.registration import check_registration
    from virkning.synth.sheets import default_monitoring_config

    rng = np.random.default_rng(seed)
    rows = []
    for i in range(persons):
        invited = dt.date(2018, 1, 1) + dt.timedelta(days=int(rng.integers(0, 85)))
        met = invited + dt.timedelta(days=int(rng.integers(3, 20)))
        attended, signed = rng.random() < 0.8, rng.random() < 0.6
        rows.append({"person_id": f"C{i:05d}", "projekt": f"P{rng.integers(3)}",
                     "indkaldelsesdato": invited.isoformat(),
                     "deltaget": "ja" if attended else "nej", "moededato": met.isoformat() if attended else "",
                     "matchsamtale": "", "opskrevet": ("ja" if signed else "nej") if attended else "",
                     "opskrivningsdato": (met + dt.timedelta(days=10)).isoformat() if attended and signed else "",
                     "opfoelgningsdato": "", "vikarjob_start": "", "vikar_branche": "", "alternativ_indsats": ""})
    c = default_monitoring_config()
    c["disclosure_threshold"] = 5
    config = MonitoringConfig.model_validate(c)
    reg = check_registration(pd.DataFrame(rows), config.registration, "Registrering")
    return publish(monitor(config, registration=reg, months=list(months)), 5)


def test_monitoring_months_get_a_sheet_per_table_and_pass_the_audit(tmp_path):
    files = Files()  # as monitoring_files lays out the tables (without rendering the pages)
    for o in published_months():
        for name, frame in o.tables.items():
            files.add(f"{o.folder}/{name}.csv", csv_bytes(frame))
    add_spreadsheets(files, **ABOUT, synthetic=True)
    wb = load_workbook(io.BytesIO(files.files[WORKBOOK]), read_only=True)
    csvs = sorted(p for p in files.files if p.endswith(".csv") and not p.startswith("internal/"))
    assert len(wb.sheetnames) == len(csvs) + 1 and "2018-02 funnel" in wb.sheetnames
    write_folder(tmp_path / "out", files, audited(5))
    assert audit(tmp_path / "out", 5) == []


def test_design_key_and_cli_flag_are_checked(tmp_path):
    from virkning.design import parse_design
    from virkning.design.compile import DesignFileError

    minimal = ("participants:\n  event: informationsmøde\npool:\n  states: {0: ledig}\ncovariates: [age]\n"
               "outcomes:\n  - name: exit_beskaeftiget\n")
    d = parse_design(minimal + "outputs:\n  csv_dialect: excel-da\n  workbook: false\n")
    assert d.spec.outputs.csv_dialect == "excel-da" and d.spec.outputs.workbook is False
    assert parse_design(minimal).spec.outputs.workbook is True
    from virkning.outputs import spreadsheets  # the writer's step: the design's choice, the command line's override

    files = small_files()
    spreadsheets(files, d, "evaluation", False, None, None)
    assert WORKBOOK not in files.files and "results/flow.excel-da.csv" in files.files
    files = small_files()
    spreadsheets(files, d, "evaluation", False, "standard", True)
    assert WORKBOOK in files.files and "results/flow.excel-da.csv" not in files.files
    with pytest.raises(DesignFileError, match="outputs.csv_dialect.*expected one of"):
        parse_design(minimal + "outputs:\n  csv_dialect: excel\n")
    res = CliRunner().invoke(app, ["evaluate", str(tmp_path / "none.yaml"), "--out", str(tmp_path / "o"),
                                   "--csv-dialect", "semicolon"])
    assert res.exit_code == 2 and "expected one of standard, excel-da" in res.output
    assert not (tmp_path / "o").exists()


@pytest.mark.libreoffice
@pytest.mark.slow  # two LibreOffice starts: about 8 s on a busy 2-core machine
def test_libreoffice_reads_the_workbook_and_the_danish_csv_as_the_csvs(tmp_path):
    """An independent spreadsheet program as the reader: LibreOffice (Debian libreoffice-calc-nogui) exports every
    sheet of the workbook, and imports the Danish CSV under the Danish locale (1030); numbers equal the CSV's to
    15 significant digits, text and empty cells as they are."""
    import shutil
    import subprocess

    soffice = shutil.which("soffice")
    if soffice is None:
        if os.environ.get("VIRKNING_REQUIRE_LIBREOFFICE") == "1":  # CI (.ci/run) installs it: missing is a failure
            pytest.fail("VIRKNING_REQUIRE_LIBREOFFICE=1 but LibreOffice (soffice) is not installed")
        pytest.skip("LibreOffice (soffice) is not installed")
    files = small_files()
    add_spreadsheets(files, **ABOUT, csv_dialect="excel-da")
    (tmp_path / WORKBOOK).write_bytes(files.files[WORKBOOK])
    (tmp_path / "flow.excel-da.csv").write_bytes(files.files["results/flow.excel-da.csv"])
    run = dict(cwd=tmp_path, capture_output=True, timeout=120, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    subprocess.run([soffice, "--headless", "--convert-to",
                    "csv:Text - txt - csv (StarCalc):44,34,UTF8,1,,0,false,true,false,false,false,-1", WORKBOOK],
                   check=True, **run)
    subprocess.run([soffice, "--headless", "--infilter=CSV:59,34,76,1,,1030", "--convert-to", "xlsx",
                    "flow.excel-da.csv"], check=True, **run)
    for stem, frame in (("effects", EFFECTS), ("flow", FLOW)):
        back = pd.read_csv(tmp_path / f"tables-{stem}.csv", dtype={"Kommune": str})
        want = pd.read_csv(io.BytesIO(csv_bytes(frame)), dtype={"municipality": str})
        back.columns = want.columns
        pd.testing.assert_frame_equal(back, want, check_dtype=False, rtol=1e-14)
    flow = pd.read_excel(tmp_path / "flow.excel-da.xlsx", dtype={"municipality": str})
    assert flow["participants"].tolist() == [114, 78] and flow["week"].tolist() == ["2018-W05", "2018-W06"]

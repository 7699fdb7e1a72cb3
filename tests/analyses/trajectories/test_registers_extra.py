"""What the trajectories analysis added below it: the catalogue's scheme, readiness and measure columns and the
groups on them, the optional tables in validation and loading, the panel's month indicators and runs (against a
by-hand reading of a small folder), and the portability of every statement the analysis sends."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.analyses.trajectories.fsm_fixture import fsm_run  # noqa: F401 (the shared run)
from tests.conftest import write_folder
from tests.registers.test_portable_sql import _check, recorded  # noqa: F401 (a fixture)
from virkning.errors import CatalogueError
from virkning.registers import load, validate
from virkning.registers.catalogue import load_catalogue


def test_catalogue_groups_from_the_detail_columns():
    cat = load_catalogue()
    assert set(cat.codes("virksomhedsrettet")) >= {"135", "136", "137", "138", "725", "728", "735", "738", "215", "218"}
    assert not set(cat.codes("virksomhedsrettet")) & {"130", "133", "134", "139", "730", "733", "734", "739", "771"}
    assert set(cat.codes("løntilskud")) & set(cat.codes("virksomhedspraktik")) == set()
    assert {"134", "734", "724", "651", "652"} <= set(cat.codes("ordinær_uddannelse"))
    assert set(cat.codes("ikke_jobparat")) == {f"{c}" for c in (720, 723, 724, 725, 726, 727, 728, 729, 730, 731, 733,
                                                                 734, 735, 736, 737, 738, 739)}
    assert set(cat.codes("jobparat")) == set(cat.codes("kontanthjælpslignende")) - set(cat.codes("ikke_jobparat")) - {
        c for c in cat.codes("kontanthjælpslignende") if c.startswith("70") or c.startswith("71")}
    assert "720" in cat.codes("uddannelseshjælp") and "730" not in cat.codes("uddannelseshjælp")


def test_user_catalogue_keeps_or_sets_the_details(tmp_path):
    plain = tmp_path / "plain.csv"
    pd.DataFrame({"code": ["735", "555"], "label": ["LT", "Lokal"], "state": ["aktivering", "kontanthjælp"],
                  "activation": ["1", "0"], "benefit": ["1", "1"], "retirement": ["0", "0"], "source": ["own"] * 2}
                 ).to_csv(plain, index=False)
    cat = load_catalogue(plain)
    assert "735" in cat.codes("virksomhedsrettet") and "555" not in cat.codes("kontanthjælpslignende")
    detailed = tmp_path / "detailed.csv"
    pd.read_csv(plain, dtype=str).assign(scheme=["", "kontanthjælp"], readiness=["", "ikke jobparat"],
                                         measure=["", ""]).to_csv(detailed, index=False)
    cat = load_catalogue(detailed)
    assert "735" not in cat.codes("virksomhedsrettet") and "555" in cat.codes("ikke_jobparat")
    bad = tmp_path / "bad.csv"
    pd.read_csv(detailed, dtype=str).assign(measure=["praktik", ""]).to_csv(bad, index=False)
    with pytest.raises(CatalogueError, match="row 1, column 'measure': 'praktik' is not one of"):
        load_catalogue(bad)


def _tables(small_tables):
    t = dict(small_tables)
    t["records"] = pd.DataFrame({"person_id": ["A", "A", "B", "Z"], "unit": ["101", "101", "851", "1"],
                                 "group": ["1", "2", "3", "1"], "start_date": ["2018-01-08", "2018-02-05",
                                                                             "2018-01-03", "2018-01-01"],
                                 "end_date": ["", "2018-06-30", "", ""]})
    t["person_flags"] = pd.DataFrame({"person_id": ["A", "B"], "handicap": [1, None], "hospital": [0, 1]})
    t["inhabitants"] = pd.DataFrame({"unit": ["101", "851"], "inhabitants": [600000, 210000]})
    return t


def test_optional_tables_are_validated_and_loaded(small_tables, tmp_path):
    folder = write_folder(tmp_path / "d", _tables(small_tables))
    report = validate(folder)
    assert report.ok
    assert (report.tables["records"].rows, report.tables["records"].persons) == (4, 3)
    assert report.tables["records"].first == "2018-01" and report.orphans["records"] == {"persons": 1, "rows": 1}
    regs = load(folder)
    try:
        r = regs.engine.frame("SELECT * FROM records ORDER BY _row")
        assert r["unit"].tolist() == ["101", "101", "851", "001"]  # zero-padded like municipalities
        assert r["end_date"].isna().tolist() == [True, False, True, True]
        f = regs.engine.frame("SELECT person_id, handicap, hospital FROM person_flags ORDER BY person_id")
        assert f["handicap"].tolist()[0] == 1 and pd.isna(f["handicap"].tolist()[1])
        assert regs.engine.frame("SELECT * FROM inhabitants ORDER BY unit")["inhabitants"].tolist() == [600000, 210000]
        assert "file_row_number" not in regs.panel().person_columns
    finally:
        regs.close()
    t = _tables(small_tables)
    t["inhabitants"] = pd.DataFrame({"unit": ["101", "101"], "inhabitants": [-1, 5]})
    problems = [str(p) for p in validate(write_folder(tmp_path / "bad", t)).problems]
    assert any("inhabitants.csv, column 'inhabitants', row 1: must be a number of at least 0" in p for p in problems)
    assert any("inhabitants.csv, column 'unit', rows 1, 2: each unit may appear only once" in p for p in problems)


def test_month_flags_and_runs_by_hand(small_tables, tmp_path, recorded):  # noqa: F811
    """Person A: dagpenge 2018-W01..W10 (W04 sickness), activation 213 (dagpenge + guidance) W11-12; employment
    Apr and May 2018 (April at a temp agency). C: cash benefit 130 W01-03."""
    regs = load(write_folder(tmp_path / "d", small_tables))
    loading = len(recorded)  # the statements below are the panel's (reading files is the engine's business)
    try:
        panel = regs.panel(end_month="2018-06")  # the registers end in March 2018; follow to June
        pairs = pd.DataFrame({"person_id": ["A", "C"], "index_week": ["2017-W52", "2017-W52"],
                              "index_date": ["2017-12-28", "2017-12-28"]})
        f = panel.month_flags(pairs, 1, 6, ("ledig", "sygdom", "aktiv", "beskæftiget", "vikar", "selvforsørgende",
                                            "kontanthjælpslignende"))
        # months 1..6 after December 2017: January .. June 2018
        assert f["ledig"][0].tolist() == [True, True, True, False, False, False]  # W11-12 lie in March
        assert f["sygdom"][0].tolist() == [True, False, False, False, False, False]  # W04: 25 January
        assert f["aktiv"][0].tolist() == [False, False, True, False, False, False]
        assert f["beskæftiget"][0].tolist() == [False, False, False, True, True, False]
        assert f["vikar"][0].tolist() == [False, False, False, True, False, False]
        assert f["selvforsørgende"][0].tolist() == [False, False, False, False, False, True]
        assert f["kontanthjælpslignende"][1].tolist() == [True, False, False, False, False, False]
        assert f["beskæftiget"][1].tolist() == [False, True, False, False, False, False]  # C: February 1.0
        assert f["observed"].all()
        assert not regs.panel().month_flags(pairs, 1, 6, ("ledig",))["observed"][0, 3:].any()  # after March 2018
        runs = panel.runs_at_least(pd.DataFrame({"person_id": ["A", "A", "C"], "index_week": ["2018-W10", "2018-W03",
                                                                                             "2018-W04"]}),
                                   "ledig", [1, 3, 6, 7])
        # A in W10: W05-W10 (W04 was sickness): 6 weeks; A in W03: W01-W03: 3; C is never ledig
        assert runs.tolist() == [[True, True, True, False], [True, True, False, False], [False, False, False, False]]
    finally:
        regs.close()
    _check(recorded[loading:])


def test_a_whole_trajectories_run_is_portable(fsm_run, recorded):  # noqa: F811
    from virkning.analyses import KINDS
    from virkning.analyses.base import Context

    regs = load(fsm_run["data"])
    loading = len(recorded)  # the analysis's statements, after the registers are read
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            KINDS["trajectories"].run(fsm_run["design"], Context(data=fsm_run["data"], threshold=5, _registers=regs))
    finally:
        regs.close()
    mine = recorded[loading:]
    _check(mine)
    assert any("bit_or" in s for s in mine) and any("FILTER (WHERE p.iwk - b.wk <" in s for s in mine)

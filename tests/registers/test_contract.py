"""Broken inputs give errors that name file, column, rows and rule, and write nothing."""

import pandas as pd
import pytest

from conftest import folder_fingerprint, write_folder
from virkning.errors import ContractError
from virkning.registers import load, validate


def _messages(report):
    return [str(p) for p in report.problems]


def test_valid_folder_summary(tmp_path, small_tables):
    folder = write_folder(tmp_path / "d", small_tables)
    report = validate(folder)
    assert report.ok
    t = report.tables
    assert (t["persons"].rows, t["benefits"].rows, t["employment"].rows, t["events"].rows) == (3, 32, 5, 3)
    assert (t["benefits"].first, t["benefits"].last) == ("2017-W50", "2018-W13")
    assert (t["employment"].first, t["employment"].last) == ("2017-12", "2018-05")
    unknown = report.unknown_codes.set_index("code")
    assert unknown.loc["555", "weeks"] == 1 and unknown.loc["555", "persons"] == 1
    by_state = report.codes_by_state().set_index("state")["weeks"]
    assert by_state["ledig"] == 11 + 11 and by_state["død"] == 5 and by_state["sygdom"] == 1
    assert by_state["kontanthjælp"] == 3
    assert report.orphans["benefits"] == {"persons": 0, "rows": 0}


def test_orphans_are_counted(tmp_path, small_tables):
    small_tables["benefits"] = pd.concat(
        [small_tables["benefits"], pd.DataFrame({"person_id": ["Z", "Z"], "week": ["2018-W01", "2018-W02"], "code": ["111"] * 2})]
    )
    report = validate(write_folder(tmp_path / "d", small_tables))
    assert report.ok and report.orphans["benefits"] == {"persons": 1, "rows": 2}


def test_duplicate_person_week_lists_rows(tmp_path, small_tables):
    b = small_tables["benefits"]
    small_tables["benefits"] = pd.concat([b.iloc[:5], pd.DataFrame({"person_id": ["A"], "week": ["201803"], "code": ["130"]}), b.iloc[5:]])
    folder = write_folder(tmp_path / "d", small_tables)
    before = folder_fingerprint(folder)
    with pytest.raises(ContractError) as exc:
        load(folder)
    msg = str(exc.value)
    assert "benefits.csv, column 'person_id + week', rows 3, 6" in msg
    assert "person A, week 2018-W03" in msg
    assert folder_fingerprint(folder) == before


def test_bad_weeks_codes_and_types(tmp_path, small_tables):
    b = small_tables["benefits"].copy()
    b.loc[0, "week"] = "2019-W53"      # no week 53 in 2019
    b.loc[1, "week"] = "2018-13"       # not a week at all
    b.loc[2, "code"] = "11"            # not 3 digits
    b.loc[3, "person_id"] = None
    small_tables["benefits"] = b
    e = small_tables["employment"].astype({"employment_rate": object})
    e.loc[1, "employment_rate"] = "halv"
    e.loc[2, "employment_rate"] = -0.5
    e.loc[3, "month"] = "2018-13"
    small_tables["employment"] = e
    p = small_tables["persons"].copy()
    p.loc[1, "sex"] = "F"
    p.loc[2, "birth_date"] = "15-03-1990"
    small_tables["persons"] = p
    report = validate(write_folder(tmp_path / "d", small_tables))
    msgs = _messages(report)
    assert "benefits.csv, column 'week', rows 1, 2: is not an ISO week" in " ".join(msgs)
    assert any(m.startswith("benefits.csv, column 'code', row 3: must be a 3-digit DREAM code") for m in msgs)
    assert any(m.startswith("benefits.csv, column 'person_id', row 4: is missing") for m in msgs)
    assert any(m.startswith("employment.csv, column 'employment_rate', row 2: is not a number") for m in msgs)
    assert any(m.startswith("employment.csv, column 'employment_rate', row 3: must be >= 0") for m in msgs)
    assert any(m.startswith("employment.csv, column 'month', row 4: is not a month") for m in msgs)
    assert any(m.startswith("persons.csv, column 'sex', row 2: must be one of M, K") for m in msgs)
    assert any(m.startswith("persons.csv, column 'birth_date', row 3: is not a date") for m in msgs)
    assert len(msgs) == 8


def test_missing_columns_and_tables(tmp_path, small_tables):
    small_tables["persons"] = small_tables["persons"].drop(columns=["sex"])
    del small_tables["employment"]
    report = validate(write_folder(tmp_path / "d", small_tables))
    msgs = _messages(report)
    assert any("persons.csv, column 'sex': required column(s) missing" in m for m in msgs)
    assert any("no 'employment' table" in m for m in msgs)


def test_unrecognised_benefit_layout(tmp_path, small_tables):
    small_tables["benefits"] = small_tables["benefits"].rename(columns={"week": "uge"})
    msgs = _messages(validate(write_folder(tmp_path / "d", small_tables)))
    assert len(msgs) == 1 and "benefits.csv: benefits need columns person_id, week, code" in msgs[0]


def test_many_bad_rows_show_first_five_and_count(tmp_path, small_tables):
    b = small_tables["benefits"].copy()
    b["code"] = "x"
    small_tables["benefits"] = b
    msgs = _messages(validate(write_folder(tmp_path / "d", small_tables)))
    assert "rows 1, 2, 3, 4, 5 and 27 more: must be a 3-digit DREAM code" in msgs[0]


def test_parquet_with_native_types(tmp_path, small_tables):
    b = small_tables["benefits"].copy()
    b["week"] = [int(w[:4]) * 100 + int(w[6:]) for w in b["week"]]
    b["code"] = b["code"].astype(int)
    small_tables["benefits"] = b
    small_tables["persons"]["birth_date"] = pd.to_datetime(small_tables["persons"]["birth_date"])
    small_tables["persons"]["municipality"] = small_tables["persons"]["municipality"].astype(int)
    report = validate(write_folder(tmp_path / "d", small_tables, fmt="parquet"))
    assert report.ok, report.problems
    assert report.tables["benefits"].rows == 32 and report.unknown_codes["code"].tolist() == ["555"]


def test_parquet_error_rows_are_file_rows(tmp_path, small_tables):
    b = small_tables["benefits"].copy()
    b.loc[7, "week"] = "2018-W60"
    small_tables["benefits"] = b
    msgs = _messages(validate(write_folder(tmp_path / "d", small_tables, fmt="parquet")))
    assert msgs == [
        "benefits.parquet, column 'week', row 8: is not an ISO week (expected YYYY-Www or YYYYWW; week 53 exists only "
        "in 53-week years; a spell's from_week must not be after its to_week)"
    ]


def _employment_parquet(folder, employment) -> None:
    """Employment as Parquet with NaN kept as NaN (pandas would write it as a missing value)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    (folder / "employment.csv").unlink(missing_ok=True)
    pq.write_table(pa.table({c: pa.array(employment[c].tolist(), from_pandas=False) for c in employment.columns}),
                   folder / "employment.parquet")


@pytest.mark.parametrize("column,value,rule", [
    ("employment_rate", float("nan"), "must be a finite number"),
    ("employment_rate", float("-inf"), "must be a finite number"),
    ("employment_rate", 2.5, "must be at most 2"),
    ("employment_rate", -0.5, "must be >= 0"),
    ("employment_rate", None, "is missing"),
    ("hours", float("nan"), "must be a finite number"),
    ("hours", float("inf"), "must be a finite number"),
    ("hours", 800.0, "must be at most 744"),
    ("hours", -1.0, "must be >= 0"),
])
def test_employment_number_rules_on_parquet(tmp_path, small_tables, column, value, rule):
    # The rate and hours rules are settled by whole-table minima, maxima and counts (registers/scans.py); each broken
    # value must still be counted, once, under its rule.
    e = small_tables["employment"].assign(hours=[160.0, 80.0, 120.0, 150.0, 0.0])
    folder = write_folder(tmp_path / "d", small_tables)
    clean = e.copy()
    _employment_parquet(folder, clean)
    assert validate(folder).ok
    e[column] = e[column].astype(object)
    e.loc[[1, 3], column] = value
    _employment_parquet(folder, e)
    problems = [p for p in validate(folder).problems if rule in p.rule]
    assert [(p.column, p.n_rows) for p in problems] == [(column, 2)], validate(folder).problems
    # and shown at their rows: a NaN is left out of Parquet's statistics, which a row lookup by WHERE trusts
    assert list(problems[0].rows) == [2, 4]


def test_blank_ids_and_duplicates_on_typed_parquet(tmp_path, small_tables):
    # Benefits with integer weeks and employment: the blank ids are counted from the per-person aggregate that also
    # finds the duplicates, so both must show when both are there.
    b = small_tables["benefits"].copy()
    b["week"] = [int(w[:4]) * 100 + int(w[6:]) for w in b["week"]]
    b = pd.concat([b, b.iloc[[4]]], ignore_index=True)
    b.loc[0, "person_id"] = ""
    e = pd.concat([small_tables["employment"], small_tables["employment"].iloc[[3]]], ignore_index=True)
    e.loc[1, "person_id"] = None
    small_tables.update(benefits=b, employment=e)
    msgs = _messages(validate(write_folder(tmp_path / "d", small_tables, fmt="parquet")))
    assert "benefits.parquet, column 'person_id', row 1: is missing" in msgs
    assert any(m.startswith("benefits.parquet, column 'person_id + week', rows 5, 33: each person-week may appear only "
                            "once; 1 appears") for m in msgs), msgs
    assert "employment.parquet, column 'person_id', row 2: is missing" in msgs
    assert any(m.startswith("employment.parquet, column 'person_id + month', rows 4, 6:") for m in msgs), msgs

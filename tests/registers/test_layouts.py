"""Spells and DREAM's wide layout are converted to the same weekly rows as the long layout."""

import pandas as pd
import pytest

from conftest import write_folder
from virkning.registers import LoadOptions, load, validate


def _weeks(folder, **kw):
    regs = load(folder, **kw)
    out = regs.engine.frame("SELECT person_id, wk, code FROM benefits ORDER BY person_id, wk")
    regs.close()
    return out


def _to_spells(long: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for (pid, code), g in long.assign(n=long["week"].str[6:].astype(int) + 100 * long["week"].str[:4].astype(int)).groupby(["person_id", "code"]):
        ws = sorted(g["week"])
        start = prev = ws[0]
        for w in ws[1:] + [None]:
            from virkning.registers.calendar import parse_week
            if w is not None and parse_week(w) == parse_week(prev) + 1:
                prev = w
                continue
            rows.append((pid, code, start, prev))
            start = prev = w
    return pd.DataFrame(rows, columns=["person_id", "code", "from_week", "to_week"])


def test_spells_equal_long(tmp_path, small_tables):
    long_folder = write_folder(tmp_path / "long", small_tables)
    spell_tables = dict(small_tables, benefits=_to_spells(small_tables["benefits"]))
    spell_folder = write_folder(tmp_path / "spells", spell_tables)
    assert validate(spell_folder).tables["benefits"].layout == "spells"
    pd.testing.assert_frame_equal(_weeks(long_folder), _weeks(spell_folder))


def test_overlapping_spells_are_duplicates(tmp_path, small_tables):
    spells = pd.DataFrame({"person_id": ["A", "A"], "code": ["111", "130"],
                           "from_week": ["2018-W01", "2018-W03"], "to_week": ["2018-W04", "2018-W05"]})
    report = validate(write_folder(tmp_path / "d", dict(small_tables, benefits=spells)))
    assert [str(p) for p in report.problems] == [
        "benefits.csv, column 'person_id + week', rows 1, 2: each person-week may appear only once; 2 appear more "
        "than once (e.g. person A, week 2018-W03); overlapping spells"
    ]


def test_reversed_spell_is_an_error(tmp_path, small_tables):
    spells = pd.DataFrame({"person_id": ["A"], "code": ["111"], "from_week": ["2018-W05"], "to_week": ["2018-W03"]})
    report = validate(write_folder(tmp_path / "d", dict(small_tables, benefits=spells)))
    assert str(report.problems[0]).startswith("benefits.csv, column 'from_week/to_week', row 1: is not an ISO week")


def _to_wide(long: pd.DataFrame, name) -> pd.DataFrame:
    w = long.assign(col=[name(x) for x in long["week"]]).pivot(index="person_id", columns="col", values="code")
    return w.reset_index()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_wide_equals_long(tmp_path, small_tables, fmt):
    long_folder = write_folder(tmp_path / "long", small_tables)
    wide = _to_wide(small_tables["benefits"], lambda w: f"y_{w[2:4]}{w[6:8]}")
    wide["y_1815"] = None  # an empty week column is fine
    wide_folder = write_folder(tmp_path / "wide", dict(small_tables, benefits=wide), fmt=fmt)
    assert validate(wide_folder).tables["benefits"].layout == "wide"
    pd.testing.assert_frame_equal(_weeks(long_folder), _weeks(wide_folder))


def test_wide_custom_pattern_and_bad_column(tmp_path, small_tables):
    wide = _to_wide(small_tables["benefits"], lambda w: f"UGE{w[:4]}_{w[6:8]}")
    folder = write_folder(tmp_path / "wide", dict(small_tables, benefits=wide))
    long = _weeks(write_folder(tmp_path / "long", small_tables))
    pd.testing.assert_frame_equal(long, _weeks(folder, wide_pattern="uge" + "YYYY_WW"))
    wide["UGE2019_53"] = "111"
    report = validate(write_folder(tmp_path / "wide2", dict(small_tables, benefits=wide)), LoadOptions(wide_pattern="ugeYYYY_WW"))
    assert "column 'week columns'" in str(report.problems[0]) and "is not an ISO week" in str(report.problems[0])


def test_wide_columns_in_another_form_are_named_not_dropped(tmp_path, small_tables):
    """A file whose week columns change form part way (y_YYWW, then y_YYYYWW) would lose the later weeks without
    a word; those columns are named. A column that is no week (DREAM's own, such as sex) is left alone."""
    wide = _to_wide(small_tables["benefits"], lambda w: f"y_{w[2:4]}{w[6:8]}" if w < "2018-W05" else f"y_{w[:4]}{w[6:8]}")
    wide["koen"] = "M"
    report = validate(write_folder(tmp_path / "wide", dict(small_tables, benefits=wide)))
    msgs = [str(p) for p in report.problems]
    assert len(msgs) == 1 and msgs[0].startswith("benefits.csv, column 'y_201805'") and \
        "look like weeks but do not match the wide pattern 'y_YYWW' (y_201805" in msgs[0], msgs

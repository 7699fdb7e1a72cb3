"""Seed 001's de-duplication rule (records.py) on planted records: every step of the rule decides a case it alone
can decide, the flow counts each step, and contradictions, overlaps and bad codes are said, never dropped silently."""

from __future__ import annotations

import datetime as dt
import warnings

import pandas as pd
import pytest

from virkning.errors import DesignError
from virkning.records import ContradictoryRecordsWarning, DedupRule, OverlappingRecordsWarning, deduplicate


def _records(rows):
    f = pd.DataFrame(rows, columns=["person_id", "unit", "group", "start_date", "end_date"])
    f["_row"] = range(1, len(f) + 1)
    return f


PLANTED = _records([
    # A: the latest start wins ... unless it ends before it starts (step 1)
    ("A", "101", "2", "2017-03-01", "2018-01-01"), ("A", "101", "1", "2018-01-10", "2018-01-05"),
    # B: group 6 is not kept (step 2), though its start is closest
    ("B", "101", "3", "2017-02-01", None), ("B", "101", "6", "2018-01-30", None),
    # C: start closest to 31 January 2018 (step 3): the absolute distance, a start after it counts too
    ("C", "147", "1", "2017-01-02", "2019-01-01"), ("C", "147", "2", "2018-02-05", "2018-06-01"),
    # D: same start: the longest time to the end date (step 4); an open record is the longest
    ("D", "147", "1", "2017-05-01", "2017-12-01"), ("D", "147", "3", "2017-05-01", None),
    # E: same start and end: the group order (step 5)
    ("E", "151", "udskudt", "2017-06-01", "2018-06-01"), ("E", "151", "2", "2017-06-01", "2018-06-01"),
    # F: an exact duplicate
    ("F", "151", "1", "2017-08-01", None), ("F", "151", "1", "2017-08-01", None),
    # G: one record
    ("G", "153", "3", "2017-09-01", "2018-09-01"),
])


def test_each_step_decides_its_case():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OverlappingRecordsWarning)
        d = deduplicate(PLANTED)
    kept = d.kept.set_index("person_id")
    assert kept["group"].to_dict() == {"A": "2", "B": "3", "C": "2", "D": "3", "E": "2", "F": "1", "G": "3"}
    assert kept.loc["C", "start_date"] == pd.Timestamp("2018-02-05")
    assert kept.loc["A", "_row"] == 1 and kept.loc["F", "_row"] == 11
    assert d.flow["records"].tolist() == [13, 12, 11, 7] and d.flow["persons"].tolist() == [7, 7, 7, 7]
    assert d.decided == {"closest_start": 1, "latest_end": 1, "group_order": 1, "identical": 1, "different units": 0}


def test_rule_options_change_the_choice():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OverlappingRecordsWarning)
        keep6 = deduplicate(PLANTED, DedupRule(keep_groups=("1", "2", "3", "udskudt", "6"),
                                               group_order=("1", "2", "3", "udskudt", "6")))
        latest_first = deduplicate(PLANTED, DedupRule(prefer=("latest_end", "closest_start", "group_order")))
        no_drop = deduplicate(PLANTED, DedupRule(drop_end_before_start=False))
    assert keep6.kept.set_index("person_id").loc["B", "group"] == "6"
    assert latest_first.kept.set_index("person_id").loc["C", "group"] == "1"  # ends 2019: the longest
    assert no_drop.kept.set_index("person_id").loc["A", "group"] == "1" and len(no_drop.flow) == 3


def test_contradictions_and_overlaps_are_declared():
    rows = _records([("P", "101", "1", "2017-03-01", "2017-09-01"), ("P", "147", "1", "2017-03-01", "2017-09-01"),
                     ("Q", "101", "1", "2017-01-01", "2017-12-01"), ("Q", "101", "2", "2017-06-01", "2018-01-01")])
    with pytest.warns(ContradictoryRecordsWarning, match="rows 1, 2"):
        with pytest.warns(OverlappingRecordsWarning, match="1 person"):
            d = deduplicate(rows)
    assert d.kept.set_index("person_id").loc["P", "unit"] == "101"  # the first in code order
    assert d.contradictions["person_id"].tolist() == ["P", "P"]
    assert d.overlaps[["person_id", "_row", "other_row"]].values.tolist() == [["Q", 3, 4]]
    assert d.decided["different units"] == 1


def test_bad_records_and_rules_are_refused_with_their_rows():
    bad = _records([("A", "101", "4", "2017-01-01", None), ("B", "101", "1", None, None)])
    with pytest.raises(DesignError, match=r"start date \(rows 2\)"):
        deduplicate(bad)
    with pytest.raises(DesignError, match=r"unknown group code\(s\) 4 \(rows 1\)"):
        deduplicate(bad.iloc[:1])
    with pytest.raises(DesignError, match="keep_groups: '7' is not a group"):
        DedupRule(keep_groups=("1", "7"))
    with pytest.raises(DesignError, match="group_order: the kept group"):
        DedupRule(keep_groups=("1", "2"), group_order=("1",))
    with pytest.raises(DesignError, match="prefer: expected some of"):
        DedupRule(prefer=("newest",))
    assert DedupRule().to_dict()["reference_date"] == dt.date(2018, 1, 31).isoformat()

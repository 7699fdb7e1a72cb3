"""Participants, risk-set pool and flow on a hand-made case where every count is known."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from conftest import write_folder
from virkning.errors import DesignError
from virkning.populations import Exclusion, ParticipantRule, PoolRule, build_populations
from virkning.registers import load


@pytest.fixture
def regs(tmp_path):
    persons = pd.DataFrame({
        "person_id": ["P1", "P2", "P3", "P4", "P5", "P6", "P7"],
        "birth_date": ["1962-06-01", "1977-06-01", "1959-06-01", "1957-06-01", "1947-06-01", "1962-06-01", "1965-06-01"],
        "sex": ["M", "K", "K", "M", "M", "K", "K"],
        "municipality": ["101", "147", "851", "101", "851", "851", "851"],
    })
    ledig = {"P1": (8, 11), "P3": (9, 12), "P4": (9, 10), "P5": (9, 10), "P6": (10, 10), "P7": (5, 10)}
    rows = [(p, f"2018-W{w:02d}", "111") for p, (a, b) in ledig.items() for w in range(a, b + 1)]
    benefits = pd.DataFrame(rows, columns=["person_id", "week", "code"])
    employment = pd.DataFrame({"person_id": ["P7", "P3"], "month": ["2018-03", "2018-05"], "employment_rate": [0.4, 1.0]})
    events = pd.DataFrame({
        "person_id": ["P1", "P1", "P2", "P9", "P3"],
        "date": ["2018-03-07", "2018-03-20", "2018-03-07", "2018-03-07", "2017-11-01"],
        "event": ["informationsmøde"] * 5, "unit": ["Projekt A", "Projekt A", "Projekt B", "Projekt A", "Projekt A"],
    })
    r = load(write_folder(tmp_path / "d", {"persons": persons, "benefits": benefits, "employment": employment, "events": events}))
    yield r
    r.close()


PART = ParticipantRule("informationsmøde", dt.date(2018, 1, 1), dt.date(2018, 12, 31))
POOL = PoolRule(age=(50, 65), states={-1: "ledig", 0: "ledig"})


def test_flow_counts_every_step(regs):
    pops = build_populations(regs, PART, POOL, [Exclusion("employed in index month", "employment_at_0", ">", 0)])
    flow = pops.flow.set_index("step")
    assert flow["participants"].dropna().tolist() == [3, 2, 1, 1]
    assert flow["pool_persons"].dropna().tolist() == [5, 4, 2, 2, 2, 1]
    assert pops.participants[["person_id", "index_week", "unit"]].values.tolist() == [["P1", "2018-W10", "Projekt A"]]
    assert pops.participants.loc[0, "index_date"] == dt.date(2018, 3, 7)
    assert pops.pool[["person_id", "index_week"]].values.tolist() == [["P3", "2018-W10"]]
    pairs = pops.pairs()
    assert pairs["treat"].tolist() == [1, 0] and pairs["index_month"].tolist() == ["2018-03", "2018-03"]


def test_not_yet_participant_can_be_control_before_own_index(regs):
    part = ParticipantRule("informationsmøde", dt.date(2018, 1, 1), dt.date(2018, 12, 31))
    # Without the age rule P2 stays out only for its state; P1 would be a control for itself only in earlier weeks.
    pops = build_populations(regs, part, PoolRule(states={0: "ledig"}, exclude_municipalities=None, participants="not_yet"))
    assert set(pops.pool["person_id"]) == {"P3", "P4", "P5", "P6", "P7"}  # P1's only index week is its own


def test_unknown_event_is_explained(regs):
    with pytest.raises(DesignError, match="no event is called 'infomøde'.*informationsmøde"):
        build_populations(regs, ParticipantRule("infomøde"), POOL)


def test_participants_and_pool_share_the_index_month_rule(tmp_path):
    """Issue 18, item 6: a meeting on Monday 30 April 2018 lies in ISO week 18, whose Thursday is 3 May. The
    participant's index month is May, as it is for the candidates of that week, so the employment_at_0 exclusion
    and the outcome windows look at the same month for both (the participant's April job no longer excludes it;
    the candidate's May job still does)."""
    persons = pd.DataFrame({"person_id": ["P1", "P2", "P3"], "birth_date": ["1960-01-01"] * 3, "sex": ["M", "K", "M"],
                            "municipality": ["101", "851", "851"]})
    benefits = pd.DataFrame([(p, f"2018-W{w:02d}", "111") for p in ("P1", "P2", "P3") for w in (16, 17, 18)],
                            columns=["person_id", "week", "code"])
    employment = pd.DataFrame({"person_id": ["P1", "P3"], "month": ["2018-04", "2018-05"], "employment_rate": [1.0, 0.5]})
    events = pd.DataFrame({"person_id": ["P1"], "date": ["2018-04-30"], "event": ["informationsmøde"],
                           "unit": ["Projekt A"]})
    r = load(write_folder(tmp_path / "d", {"persons": persons, "benefits": benefits, "employment": employment,
                                           "events": events}))
    try:
        pops = build_populations(r, PART, POOL, [Exclusion("employed in index month", "employment_at_0", ">", 0)])
    finally:
        r.close()
    pairs = pops.pairs()
    assert pairs[["person_id", "index_week", "index_month", "treat"]].values.tolist() == [
        ["P1", "2018-W18", "2018-05", 1], ["P2", "2018-W18", "2018-05", 0]]
    assert pops.participants.loc[0, "index_date"] == dt.date(2018, 4, 30)  # the date (age) is still the meeting's


def test_the_pool_rules_on_the_person_narrow_the_copied_rows_and_a_wider_run_copies_the_rest(regs, tmp_path):
    """Only persons the pool's age and municipality rules could keep (and participants) have their register rows
    copied; a later run with wider rules on the same panel copies the persons it lacks and gets what a fresh load
    gets."""
    panel = regs.panel()
    narrow = build_populations(regs, PART, POOL, panel=panel)

    def copied() -> set[str]:
        return set(regs.engine.frame(f"SELECT person_id FROM {regs.store.names.px}")["person_id"])

    # in the states: P1, P3, P4, P5, P7; P4 lives in a participant municipality (101), P5 is 70; P1 and P2 take part
    assert copied() == {"P1", "P2", "P3", "P7"}
    assert set(narrow.pool["person_id"]) <= copied()
    wide_rule = PoolRule(age=(50, 75), states={-1: "ledig", 0: "ledig"}, exclude_municipalities=None)
    wide = build_populations(regs, PART, wide_rule, panel=panel)
    assert copied() == {"P1", "P2", "P3", "P4", "P5", "P7"} and {"P4", "P5"} <= set(wide.pool["person_id"])
    fresh = load(tmp_path / "d")  # the fixture's folder
    try:
        again = build_populations(fresh, PART, wide_rule)
        pd.testing.assert_frame_equal(again.pool, wide.pool)
        pd.testing.assert_frame_equal(again.flow, wide.flow)
        pd.testing.assert_frame_equal(again.participants, wide.participants)
    finally:
        fresh.close()


def test_an_age_at_the_index_date_narrows_the_copy_by_the_first_and_last_index_week(regs):
    """Without an age date, a person is copied when the age at some index week can lie in the band."""
    panel = regs.panel()
    pops = build_populations(regs, PART, PoolRule(age=(50, 57), states={-1: "ledig", 0: "ledig"},
                                                  exclude_municipalities=None), panel=panel)
    copied = set(regs.engine.frame(f"SELECT person_id FROM {regs.store.names.px}")["person_id"])
    assert copied == {"P1", "P2", "P7"}  # in the states P3 is 58, P4 60 and P5 70 at 2018-W10: none can be 50-57
    assert set(pops.pool["person_id"]) <= copied


def test_count_keys_is_the_number_of_distinct_keys():
    # The flow counts a pool's persons by their keys (populations.count_keys: a table of marks, not np.unique's
    # hash table); the count must be np.unique's for repeated, shuffled, empty, sparse and negative keys.
    from virkning.populations import count_keys

    rng = np.random.default_rng(7)
    cases = [rng.integers(0, 5_000, 20_000), rng.integers(0, 50, 7), np.zeros(0, dtype=np.int64),
             np.array([0]), np.array([3, 3, 3]), np.array([10**12, 5, 10**12]), np.array([-1, 0, -1, 2]),
             np.repeat(rng.permutation(100_000)[:30_000], 3)]
    for pk in cases:
        assert count_keys(pk) == len(np.unique(pk)), pk[:5]

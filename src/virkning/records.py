"""Case-system records (the contract's `records` table): one group per person by a declared de-duplication rule.

A case system holds several records per person: re-visitations, corrections, duplicates, records that end before
they start. Seed 001 (lines 3975-3999) resolves them for Flere skal med in this order, and `DedupRule()` is that
rule with its defaults:

1. drop records whose end date lies before their start date;
2. keep the listed groups (1 indsatsgruppe, 2 rehabilitering, 3 ukontaktbar, udskudt visitation);
3. prefer the start date closest to a reference date (31 January 2018, when STAR froze the groups);
4. then the longest time to the end date (an empty end date is an open record: the longest);
5. then the group order (1 before 2 before 3 before udskudt).

Three readings are choices (docs/trajectories.md): the distance to the reference date is absolute (a start after it
counts as much as one before it); an empty end date is the longest; and "gruppe 6", which the seed names only in its
last tie-break, is a group outside the kept list, dropped in step 2. A person whose remaining records tie on all
of it but name different units is kept with the first unit in code order, and said so (`ContradictoryRecordsWarning`);
records of one person with different groups whose periods overlap are counted (`OverlappingRecordsWarning`). Nothing
leaves without a count: `flow` has the records and persons after each step.

Numbers only, on a data frame with the contract's columns (person_id, unit, group, start_date, end_date and
optionally _row, the data row in its file); the analyses read the table through the registers.
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from virkning.errors import DesignError
from virkning.registers.contract import RECORD_GROUPS

PREFER = ("closest_start", "latest_end", "group_order")
OPEN_END = pd.Timestamp("2262-04-11")  # an open record sorts as the latest end


class ContradictoryRecordsWarning(UserWarning):
    """Records of one person tie on every step of the rule but name different units; the first unit was kept."""


class OverlappingRecordsWarning(UserWarning):
    """Records of one person with different groups overlap in time; the rule chose one of them."""


@dataclass(frozen=True)
class DedupRule:
    """Which record of a person counts (seed 001's rule by default; see the module docstring)."""

    keep_groups: tuple[str, ...] = ("1", "2", "3", "udskudt")
    reference_date: dt.date = dt.date(2018, 1, 31)
    drop_end_before_start: bool = True
    prefer: tuple[str, ...] = PREFER
    group_order: tuple[str, ...] = ("1", "2", "3", "udskudt")

    def __post_init__(self):
        for name, values in (("keep_groups", self.keep_groups), ("group_order", self.group_order)):
            bad = [g for g in values if g not in RECORD_GROUPS]
            if bad:
                raise DesignError(f"de-duplication rule, {name}: {', '.join(map(repr, bad))} is not a group of the "
                                  f"records table; expected some of {', '.join(RECORD_GROUPS)}")
        if not self.keep_groups:
            raise DesignError("de-duplication rule, keep_groups: expected at least one group")
        missing = [g for g in self.keep_groups if g not in self.group_order]
        if missing:
            raise DesignError(f"de-duplication rule, group_order: the kept group(s) {', '.join(missing)} have no "
                              "place in the order; list every kept group")
        bad = [p for p in self.prefer if p not in PREFER]
        if bad or len(set(self.prefer)) != len(self.prefer):
            raise DesignError(f"de-duplication rule, prefer: expected some of {', '.join(PREFER)}, each once; got "
                              f"{', '.join(self.prefer)}")

    def to_dict(self) -> dict:
        return {"keep_groups": list(self.keep_groups), "reference_date": self.reference_date.isoformat(),
                "drop_end_before_start": self.drop_end_before_start, "prefer": list(self.prefer),
                "group_order": list(self.group_order)}


@dataclass(frozen=True)
class Deduplicated:
    """The kept record per person, the flow of records and persons, and how the rule decided.

    - `kept`: person_id, unit, group, start_date, end_date, _row (one row per person);
    - `flow`: step, records, persons (what is left after each step);
    - `decided`: per preference step, the persons with several records whom it decided;
    - `contradictions`, `overlaps`: person_id and the data rows concerned (for the job centres; person-level)."""

    kept: pd.DataFrame
    flow: pd.DataFrame
    decided: dict[str, int] = field(default_factory=dict)
    contradictions: pd.DataFrame = field(default_factory=pd.DataFrame)
    overlaps: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_frame(self) -> pd.DataFrame:
        return self.flow.copy()

    def to_dict(self) -> dict:
        return {"flow": self.flow.to_dict(orient="records"), "decided": dict(self.decided),
                "contradictions": int(self.contradictions["person_id"].nunique()) if len(self.contradictions) else 0,
                "overlaps": int(self.overlaps["person_id"].nunique()) if len(self.overlaps) else 0}

    def __repr__(self) -> str:
        return f"Deduplicated({len(self.kept)} persons from {int(self.flow['records'].iloc[0])} records)"


def _step(name: str, r: pd.DataFrame) -> dict:
    return {"step": name, "records": int(len(r)), "persons": int(r["person_id"].nunique())}


def deduplicate(records: pd.DataFrame, rule: DedupRule = DedupRule()) -> Deduplicated:
    """One record per person by `rule`; warns (declared warning classes) about contradictions and overlaps."""
    need = ["person_id", "unit", "group", "start_date", "end_date"]
    missing = [c for c in need if c not in records.columns]
    if missing:
        raise DesignError(f"records: column(s) {', '.join(missing)} missing; the records table needs {', '.join(need)}")
    r = records.copy()
    if "_row" not in r.columns:
        r["_row"] = np.arange(1, len(r) + 1)
    r["start_date"] = pd.to_datetime(r["start_date"])
    r["end_date"] = pd.to_datetime(r["end_date"])
    if r["start_date"].isna().any():
        rows = r.loc[r["start_date"].isna(), "_row"].head(5).tolist()
        raise DesignError(f"records, column 'start_date': {int(r['start_date'].isna().sum())} record(s) without a "
                          f"start date (rows {', '.join(map(str, rows))}); every record needs one")
    unknown = sorted(set(r["group"].astype(str)) - set(RECORD_GROUPS))
    if unknown:
        rows = r.loc[~r["group"].isin(RECORD_GROUPS), "_row"].head(5).tolist()
        raise DesignError(f"records, column 'group': unknown group code(s) {', '.join(unknown)} (rows "
                          f"{', '.join(map(str, rows))}); expected one of {', '.join(RECORD_GROUPS)}")
    flow = [_step("records in the table", r)]
    if rule.drop_end_before_start:
        r = r[~(r["end_date"].notna() & (r["end_date"] < r["start_date"]))]
        flow.append(_step("without records ending before they start", r))
    r = r[r["group"].isin(rule.keep_groups)]
    flow.append(_step(f"in the groups {', '.join(rule.keep_groups)}", r))
    ref = pd.Timestamp(rule.reference_date)
    rank = {g: i for i, g in enumerate(rule.group_order)}
    keys = {"closest_start": ((r["start_date"] - ref).abs().dt.days.to_numpy(), True),
            "latest_end": (r["end_date"].fillna(OPEN_END).to_numpy(), False),
            "group_order": (r["group"].map(rank).to_numpy(), True)}
    order_cols = {f"_k{i}": keys[p][0] for i, p in enumerate(rule.prefer)}
    r = r.assign(**order_cols)
    by = ["person_id", *order_cols, "unit", "_row"]
    asc = [True, *[keys[p][1] for p in rule.prefer], True, True]
    r = r.sort_values(by, ascending=asc, kind="mergesort")
    first = ~r["person_id"].duplicated()
    kept = r[first]
    flow.append(_step("one record per person (the rule)", kept))
    decided, contradictions = _decisions(r, first, rule)
    overlaps = _overlaps(r)
    if len(contradictions):
        n = contradictions["person_id"].nunique()
        warnings.warn(f"records: {n} person(s) have records that tie on every step of the rule but name different "
                      f"units (e.g. rows {', '.join(map(str, contradictions['_row'].head(4)))}); the first unit in "
                      "code order was kept. Correct the records, or accept the choice.", ContradictoryRecordsWarning,
                      stacklevel=2)
    if len(overlaps):
        n = overlaps["person_id"].nunique()
        warnings.warn(f"records: {n} person(s) have records of different groups whose periods overlap (e.g. rows "
                      f"{', '.join(map(str, overlaps['_row'].head(4)))}); the rule chose one record each "
                      "(counted in the flow).", OverlappingRecordsWarning, stacklevel=2)
    out = kept[["person_id", "unit", "group", "start_date", "end_date", "_row"]].reset_index(drop=True)
    return Deduplicated(out, pd.DataFrame(flow), decided, contradictions, overlaps)


def _decisions(r: pd.DataFrame, first: pd.Series, rule: DedupRule) -> tuple[dict[str, int], pd.DataFrame]:
    """Which preference step decided between each person's first and second record, and the persons whose first
    two records tie on every step but name different units (or are exact duplicates)."""
    second = (r.groupby("person_id", sort=False).cumcount() == 1).to_numpy()
    a = r[first].set_index("person_id")
    b = r[second].drop_duplicates("person_id").set_index("person_id")
    a = a.loc[b.index]
    decided: dict[str, int] = {}
    undecided = np.ones(len(b), dtype=bool)
    for i, p in enumerate(rule.prefer):
        differs = (a[f"_k{i}"].to_numpy() != b[f"_k{i}"].to_numpy()) & undecided
        decided[p] = int(differs.sum())
        undecided &= ~differs
    units_differ = undecided & (a["unit"].astype(str).to_numpy() != b["unit"].astype(str).to_numpy())
    decided["identical"] = int((undecided & ~units_differ).sum())
    decided["different units"] = int(units_differ.sum())
    ids = b.index[units_differ]
    contradictions = r[r["person_id"].isin(ids)][["person_id", "unit", "group", "start_date", "end_date", "_row"]]
    return decided, contradictions.reset_index(drop=True)


def _overlaps(r: pd.DataFrame) -> pd.DataFrame:
    """Records of a person with different groups whose periods [start, end] overlap (open end: to the end)."""
    many = r[r["person_id"].duplicated(keep=False)][["person_id", "group", "start_date", "end_date", "_row"]]
    if many.empty:
        return many.assign(other_row=pd.Series(dtype="int64"))
    m = many.merge(many, on="person_id", suffixes=("", "_o"))
    m = m[(m["_row"] < m["_row_o"]) & (m["group"] != m["group_o"])]
    end, end_o = m["end_date"].fillna(OPEN_END), m["end_date_o"].fillna(OPEN_END)
    m = m[(m["start_date"] <= end_o) & (m["start_date_o"] <= end)]
    return m[["person_id", "group", "start_date", "end_date", "_row"]].assign(other_row=m["_row_o"]).reset_index(
        drop=True)

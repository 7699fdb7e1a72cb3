"""Visitation records as a case system holds them: the true record of every visited person plus duplicates and
contradictions of the kinds seed 001's de-duplication rule (its lines 3975-3999) resolves.

The rule: drop records ending before they start; keep groups 1, 2, 3 and udskudt; prefer the start date closest
to the reference date (31 January 2018); then the longest time to the end date (an empty end date is an open
record, the longest); then group 1 > 2 > 3 > udskudt. Every extra record is built to lose to the true one under
that rule, or to be dropped by it, so the rule gives back each person's true group and index date:

  end_before_start  start between the true start and the reference date (it would win), end before its start
  group_6           group "6" (not a listed group) with a start that would win if it were kept
  earlier           an earlier visitation: start farther from the reference date
  shorter           same start, an earlier end date (or any end date when the true record is open)
  lower_group       same start and end, a group later in the order
  exact_duplicate   the true record again
"""

from __future__ import annotations

import numpy as np

from virkning.synth.flere_skal_med.params import GROUPS

KINDS = {"end_before_start": 0.04, "group_6": 0.03, "earlier": 0.15, "shorter": 0.05, "lower_group": 0.03,
         "exact_duplicate": 0.03}
OPEN = -1


def make_records(person: np.ndarray, group: np.ndarray, start: np.ndarray, end: np.ndarray, reference: int,
                 rng: np.random.Generator) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """Records of visited persons (global person numbers, group index into GROUPS, start day, end day or OPEN).
    Returns columns person, group (text), start, end (OPEN for empty), is_true, and the number of extras by kind."""
    n = len(person)
    cols = {"person": [person], "group": [np.array(GROUPS, dtype=object)[group]], "start": [start], "end": [end],
            "is_true": [np.ones(n, dtype=bool)]}
    counts = {}
    u = rng.random((len(KINDS), 4, n))
    any_group = np.array(GROUPS, dtype=object)

    def add(mask, g, s, e, name):
        counts[name] = int(mask.sum())
        for key, v in (("person", person), ("group", g), ("start", s), ("end", e)):
            cols[key].append(np.asarray(v)[mask])
        cols["is_true"].append(np.zeros(int(mask.sum()), dtype=bool))

    room = reference - start  # days between the true start and the reference date
    later = start + 1 + (u[0, 1] * np.maximum(room, 1)).astype(np.int64)
    g_any = any_group[np.minimum((u[0, 2] * 4).astype(np.int64), 3)]
    add((u[0, 0] < KINDS["end_before_start"]) & (room > 0), g_any, later,
        later - 1 - (u[0, 3] * 60).astype(np.int64), "end_before_start")
    later = start + 1 + (u[1, 1] * np.maximum(room, 1)).astype(np.int64)
    e6 = np.where(u[1, 3] < 0.3, OPEN, later + 30 + (u[1, 2] * 370).astype(np.int64))
    add((u[1, 0] < KINDS["group_6"]) & (room > 0), np.full(n, "6", dtype=object), later, e6, "group_6")
    earlier = start - 30 - (u[2, 1] * 370).astype(np.int64)
    g_any = any_group[np.minimum((u[2, 2] * 4).astype(np.int64), 3)]
    add(u[2, 0] < KINDS["earlier"], g_any, earlier, earlier + 10 + (u[2, 3] * 290).astype(np.int64), "earlier")
    shorter = np.where(end == OPEN, start + 30 + (u[3, 1] * 300).astype(np.int64),
                       np.maximum(end - 10 - (u[3, 1] * 190).astype(np.int64), start))
    shorter = np.where((end != OPEN) & (shorter >= end), end - 1, shorter)
    g_any = any_group[np.minimum((u[3, 2] * 4).astype(np.int64), 3)]
    add((u[3, 0] < KINDS["shorter"]) & ((end == OPEN) | (end > start)), g_any, start, shorter, "shorter")
    worse = group + 1 + (u[4, 1] * np.maximum(3 - group, 1)).astype(np.int64)
    add((u[4, 0] < KINDS["lower_group"]) & (group < 3), any_group[np.minimum(worse, 3)], start, end, "lower_group")
    add(u[5, 0] < KINDS["exact_duplicate"], any_group[group], start, end, "exact_duplicate")
    out = {k: np.concatenate(v) for k, v in cols.items()}
    return out, counts

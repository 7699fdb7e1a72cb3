"""Job-centre interviews (`samtale` events) of insured unemployed people, drawn from their dagpenge spells.

A dagpenge spell is a run of consecutive weeks with a dagpenge code (catalogue state `ledig`). The first interview
falls `first` weeks after the spell's first week and the next ones `cadence` weeks apart, for as long as the spell
lasts; both are uniform whole numbers of weeks in a range that depends on whether the interview rule is in force
in the week the gap starts. The draws are a counter-based hash of (person, spell's first week, interview number),
so a person's spell that starts in the same week in both worlds (with and without the rule) gets the same
numbers, and the two schedules differ only through the rule (common random numbers, as in `paths.Draws`).

Interviews are drawn after the weekly simulation and change nothing in it: the rule's effect on job finding and
activation is a direct change of hazards (design.py), not a consequence of the interviews.
"""

from __future__ import annotations

import numpy as np

from virkning.synth.paths import _hash_uniform, _mix64

_STREAM = 0xA24BAED4963EE407  # separates the interview numbers from the weekly streams


def spells(dp: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dp bool [weeks, n] -> (person, first week, last week) of every run of True, sorted by person and week."""
    n_weeks, n = dp.shape
    padded = np.zeros((n, n_weeks + 2), dtype=np.int8)
    padded[:, 1:-1] = dp.T
    d = np.diff(padded, axis=1)
    p_start, w_start = np.nonzero(d == 1)
    _, w_end = np.nonzero(d == -1)  # row-major order pairs each start with its end
    return p_start.astype(np.int64), w_start.astype(np.int64), (w_end - 1).astype(np.int64)


def _uniform(key: int, j: int, counter: np.ndarray) -> np.ndarray:
    return _hash_uniform(_mix64(key ^ ((j + 1) * _STREAM & ((1 << 64) - 1))), counter)


def _gap(rule: np.ndarray, u: np.ndarray, plain: tuple[int, int], ruled: tuple[int, int]) -> np.ndarray:
    lo = np.where(rule, ruled[0], plain[0])
    hi = np.where(rule, ruled[1], plain[1])
    return lo + np.minimum((u * (hi - lo + 1)).astype(np.int64), hi - lo)


def schedule(person: np.ndarray, start: np.ndarray, end: np.ndarray, rule_from: np.ndarray, key: int,
             first: tuple[tuple[int, int], tuple[int, int]], cadence: tuple[tuple[int, int], tuple[int, int]]
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Interviews of the spells (person global number, first week, last week; weeks index the simulation).

    `rule_from[i]`: first week in which the rule applies to spell i's person (a huge number: never). `first` and
    `cadence`: ((lo, hi) without the rule, (lo, hi) with it), in weeks. Returns (spell index, week, interview
    number) of every interview, ordered by spell and number."""
    counter = person.astype(np.uint64) * np.uint64(1 << 12) + start.astype(np.uint64)
    k = start + _gap(start >= rule_from, _uniform(key, 0, counter), *first)
    idx = np.arange(len(start))
    out_spell, out_week, out_j = [], [], []
    j = 0
    while len(idx):
        live = k <= end[idx]
        idx, k = idx[live], k[live]
        if not len(idx):
            break
        out_spell.append(idx)
        out_week.append(k)
        out_j.append(np.full(len(idx), j))
        j += 1
        k = k + _gap(k >= rule_from[idx], _uniform(key, j, counter[idx]), *cadence)
    if not out_spell:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    s, w, n = np.concatenate(out_spell), np.concatenate(out_week), np.concatenate(out_j)
    order = np.lexsort((n, s))
    return s[order], w[order], n[order]


def weekday(person: np.ndarray, week: np.ndarray, key: int) -> np.ndarray:
    """Monday 0 ... Friday 4: the day of the week an interview is held."""
    counter = person.astype(np.uint64) * np.uint64(1 << 12) + week.astype(np.uint64)
    return np.minimum((_uniform(key, 1 << 20, counter) * 5).astype(np.int64), 4)

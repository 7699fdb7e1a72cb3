"""From weeks to months: the monthly employment register and monthly retirement flags.

A month's employment rate is the mean over the month's weeks (its Thursdays) of the week's hours as a share of
full time, so a month with two of four weeks in a full-time job has rate 0.5 (80 of 160 hours). The month's
industry is that of the last week with hours; `temp_agency` is true when that industry is 782000. The same
functions build the written table and the truth, so the two cannot disagree.
"""

from __future__ import annotations

import numpy as np

from virkning.synth.timeline import Timeline


def month_bounds(tl: Timeline) -> np.ndarray:
    """Row offsets of each register month within the register weeks, plus the end."""
    return np.append(tl.month_first_week - tl.burn, tl.n_register_weeks).astype(np.int64)


def monthly_sums(tl: Timeline, frac: np.ndarray) -> np.ndarray:
    """frac uint8 [register weeks, n] (% of full time) -> the month's sum of weekly % uint16 [months, n]."""
    b = month_bounds(tl)
    sums = np.empty((len(b) - 1, frac.shape[1]), dtype=np.uint16)
    for m in range(len(b) - 1):
        np.sum(frac[b[m]:b[m + 1]], axis=0, dtype=np.uint16, out=sums[m])
    return sums


def rate_of_sums(tl: Timeline, sums: np.ndarray | int) -> np.ndarray:
    """Employment rate float64 [months, ...] from monthly sums (an array [months, n], or the int s for a table
    [months, s + 1] of every sum 0..s, the same numbers by the same arithmetic)."""
    if isinstance(sums, (int, np.integer)):
        sums = np.broadcast_to(np.arange(int(sums) + 1, dtype=np.uint16), (len(tl.month_thursdays), int(sums) + 1))
    return np.round(sums / (100.0 * tl.month_thursdays[:, None]), 4)


def monthly_rate(tl: Timeline, frac: np.ndarray) -> np.ndarray:
    """frac uint8 [register weeks, n] (% of full time) -> employment rate float64 [months, n]."""
    return rate_of_sums(tl, monthly_sums(tl, frac))


def monthly_industry(tl: Timeline, ind: np.ndarray) -> np.ndarray:
    """ind uint8 [register weeks, n] (industry index + 1, 0 = none) -> uint8 [months, n]: the industry of the
    month's last week with employment (index + 1, 0 = none)."""
    b = month_bounds(tl)
    out = np.empty((len(b) - 1, ind.shape[1]), dtype=np.uint8)
    for m in range(len(b) - 1):
        row = out[m]
        row[:] = ind[b[m + 1] - 1]
        for w in range(b[m + 1] - 2, b[m] - 1, -1):  # earlier weeks fill only where nothing later was found
            row += ind[w] * (row == 0)
    return out


def monthly_employment(tl: Timeline, frac: np.ndarray, ind: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """frac uint8 and ind uint8 (index + 1) [register weeks, n] -> (rate float64 [months, n], industry int8
    [months, n], -1 for months without employment)."""
    return monthly_rate(tl, frac), monthly_industry(tl, ind).astype(np.int8) - 1


def monthly_any(tl: Timeline, flags: np.ndarray) -> np.ndarray:
    """bool [register weeks, n] -> bool [months, n]: true if any week of the month is flagged."""
    b = month_bounds(tl)
    return np.stack([flags[b[m]:b[m + 1]].any(axis=0) for m in range(len(b) - 1)])

"""From weeks to months: the monthly employment register and monthly retirement flags.

A month's employment rate is the mean over the month's weeks (its Thursdays) of the week's hours as a share of
full time, so a month with two of four weeks in a full-time job has rate 0.5 (80 of 160 hours). The month's
industry is that of the last week with hours; `temp_agency` is true when that industry is 782000. The same
function builds the written table and the truth, so the two cannot disagree.
"""

from __future__ import annotations

import numpy as np

from virkning.synth.timeline import Timeline


def month_starts(tl: Timeline) -> np.ndarray:
    """Row offsets of each register month within the register weeks."""
    return (tl.month_first_week - tl.burn).astype(np.int64)


def monthly_employment(tl: Timeline, frac: np.ndarray, ind: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """frac uint8 [weeks, n] (% of full time), ind int8 [weeks, n] (-1 none), register weeks only ->
    (rate float64 [months, n], industry int8 [months, n], -1 for months without employment)."""
    starts = month_starts(tl)
    sums = np.add.reduceat(frac.astype(np.uint16), starts, axis=0)
    rate = sums / (100.0 * tl.month_thursdays[:, None])
    ind_m = np.full(rate.shape, -1, dtype=np.int8)
    bounds = np.append(starts, frac.shape[0])
    for m in range(len(starts)):
        for w in range(bounds[m], bounds[m + 1]):
            np.copyto(ind_m[m], ind[w], where=ind[w] >= 0)
    return np.round(rate, 4), ind_m


def monthly_any(tl: Timeline, flags: np.ndarray) -> np.ndarray:
    """bool [weeks, n] -> bool [months, n]: true if any week of the month is flagged."""
    return np.logical_or.reduceat(flags, month_starts(tl), axis=0)

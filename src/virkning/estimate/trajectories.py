"""Shares of a group in an outcome by month since each person's index, with confidence intervals, and the summaries
of units (municipalities) built on them: the numbers behind seed 001's Figur 4-3/4-4 and Tabel 4-2/4-3.

Numbers only, on boolean arrays [person, month 1..H] (`flags`: in the outcome that month; `observed`: the month
lies before the end of data):

- `curve`: per month m the persons observed in m (N), those in the outcome (k) and the share k / N with a Wilson
  score interval. `measure="ever"` counts a person from the first month in the outcome on ("opnået": exit without
  relapse, as the seed's rising curves); `"in_month"` counts the month itself. A person leaves N after the last
  month observed (censoring); `events`/`censored` are what changed since the month before (for the gate);
- `wilson`: the score interval of Wilson (1927), the interval statsmodels' `proportion_confint(method="wilson")`
  gives; it stays inside [0, 1] and keeps its coverage near 0 and 1, where the Wald interval does not;
- `quantile_summary`: minimum, quartiles (linear interpolation: R's type 7, numpy's default), median, maximum;
- `window_share`: per unit, the best share of persons in the outcome in some window of W consecutive months.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from virkning.errors import DesignError

Measure = Literal["ever", "in_month"]
MEASURES = ("ever", "in_month")


def wilson(k, n, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for k successes of n (arrays); NaN where n = 0."""
    import scipy.stats  # on first use: 0.3 s off the start-up of a command that never calls this
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    z = scipy.stats.norm.ppf(0.5 + level / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    lo, hi = centre - half, centre + half
    bad = n <= 0
    return np.where(bad, np.nan, np.clip(lo, 0, 1)), np.where(bad, np.nan, np.clip(hi, 0, 1))


def _check(flags: np.ndarray, observed: np.ndarray, measure: str) -> tuple[np.ndarray, np.ndarray]:
    if measure not in MEASURES:
        raise DesignError(f"measure: expected one of {', '.join(MEASURES)}; got {measure!r}")
    flags, observed = np.asarray(flags, dtype=bool), np.asarray(observed, dtype=bool)
    if flags.shape != observed.shape or flags.ndim != 2:
        raise DesignError(f"flags and observed must be [person, month] arrays of one shape; got {flags.shape} and "
                          f"{observed.shape}")
    return flags, observed


def in_outcome(flags: np.ndarray, observed: np.ndarray, measure: Measure = "ever") -> np.ndarray:
    """bool [person, month]: in the outcome in month m ("in_month") or in some month 1..m ("ever"), observed."""
    flags, observed = _check(flags, observed, measure)
    y = flags & observed
    return (np.logical_or.accumulate(y, axis=1) & observed) if measure == "ever" else y


def curve(flags: np.ndarray, observed: np.ndarray, measure: Measure = "ever", level: float = 0.95) -> pd.DataFrame:
    """month, n (observed), k (in the outcome), share, ci_low, ci_high, events (ever: first months in the outcome;
    in_month: NaN), censored (persons observed in the month before but not in this one)."""
    y = in_outcome(flags, observed, measure)
    n = observed.sum(axis=0).astype(np.int64)
    k = y.sum(axis=0).astype(np.int64)
    lo, hi = wilson(k, n, level)
    months = np.arange(1, y.shape[1] + 1)
    prev_n = np.concatenate([[len(observed)], n[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(n > 0, k / np.maximum(n, 1), np.nan)
    out = pd.DataFrame({"month": months, "n": n, "k": k, "share": share, "ci_low": lo, "ci_high": hi,
                        "censored": prev_n - n})
    if measure == "ever":
        first = y & ~np.concatenate([np.zeros((len(y), 1), dtype=bool), y[:, :-1]], axis=1)
        out["events"] = first.sum(axis=0).astype(np.int64)
    else:
        out["events"] = np.nan
    return out


def quantile_summary(values) -> dict[str, float]:
    """minimum, q1, median, q3, maximum of the values (R's quantile type 7; numpy's 'linear')."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not len(v):
        return {k: np.nan for k in ("minimum", "q1", "median", "q3", "maximum")}
    q = np.quantile(v, [0.0, 0.25, 0.5, 0.75, 1.0], method="linear")
    return dict(zip(("minimum", "q1", "median", "q3", "maximum"), map(float, q)))


def window_share(flags: np.ndarray, observed: np.ndarray, units: np.ndarray, window: int) -> pd.DataFrame:
    """Per unit: for each window of `window` consecutive months (1..W, 2..W+1, ...), the persons observed through
    the window (n) and those in the outcome in at least one of its months (k); the row of the window with the highest
    share (the first on ties). Columns: unit, first_month, n, k, share."""
    flags, observed = _check(flags, observed, "in_month")
    if window < 1 or window > flags.shape[1]:
        raise DesignError(f"window: expected 1 to {flags.shape[1]} months; got {window}")
    units = np.asarray(units)
    rows = []
    codes, uniq = pd.factorize(units, sort=True)
    for s in range(flags.shape[1] - window + 1):
        obs = observed[:, s + window - 1]  # observation is monotone: observed at the end means in every month
        hit = (flags[:, s:s + window] & observed[:, s:s + window]).any(axis=1) & obs
        n = np.bincount(codes, weights=obs, minlength=len(uniq))
        k = np.bincount(codes, weights=hit, minlength=len(uniq))
        rows.append((s + 1, n, k))
    out = []
    for u, name in enumerate(uniq):
        best = None
        for first, n, k in rows:
            if n[u] <= 0:
                continue
            sh = k[u] / n[u]
            if best is None or sh > best[3] + 1e-12:
                best = (first, int(n[u]), int(k[u]), sh)
        if best is None:
            out.append((name, np.nan, 0, 0, np.nan))
        else:
            out.append((name, *best))
    return pd.DataFrame(out, columns=["unit", "first_month", "n", "k", "share"])

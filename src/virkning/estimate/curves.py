"""Effects by month after the index: cumulative first exit with right-censoring, and per-month outcomes.

First exit ("exit without relapse") is a time-to-event outcome. When some pairs are followed for fewer months than
the horizon (their index month is close to the end of data), the share that has exited by month m is estimated by
a weighted Kaplan-Meier curve in each group: hazard in month k = weighted exits in k / weighted persons still at
risk at the start of k (not yet exited and still observed), F(m) = 1 - prod_{k<=m} (1 - hazard_k). With full
follow-up this equals the plain weighted share, so nothing changes for designs that restrict to full follow-up.
Standard errors and percentile intervals come from a cluster bootstrap over matched sets (the resampling unit that
keeps the matching structure), vectorised over months and replicates. Competing exits (e.g. retirement before a
job) are treated as censoring only if the user asks for it by choosing the outcome; by default a person who
retires stays at risk and simply does not exit to employment, as in the published evaluations.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse

from virkning.errors import DesignError
from virkning.estimate.effects import AnalysisSample

CURVE_COLUMNS = ["outcome", "month", "att", "se", "ci_low", "ci_high", "treated_mean", "control_mean",
                 "n_treated", "n_control", "at_risk_treated", "at_risk_control", "method"]


def _group_sums(codes: np.ndarray, n_groups: int, values: np.ndarray) -> np.ndarray:
    ind = scipy.sparse.csr_matrix((np.ones(len(codes)), (codes, np.arange(len(codes)))), shape=(n_groups, len(codes)))
    return np.asarray(ind @ values)


def _event_matrices(first: np.ndarray, followup: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """0/1 matrices (rows x months): exit in month k; at risk at the start of month k."""
    months = np.arange(1, horizon + 1)
    exited = ~np.isnan(first)
    event = exited[:, None] & (first[:, None] == months[None, :])
    # At risk in month k: observed in k (followup >= k) and no exit before k.
    no_exit_before = ~exited[:, None] | (first[:, None] >= months[None, :])
    at_risk = (followup[:, None] >= months[None, :]) & no_exit_before
    return event.astype(float), at_risk.astype(float)


def _km(event_w: np.ndarray, risk_w: np.ndarray) -> np.ndarray:
    """Cumulative incidence from weighted exit and at-risk totals (last axis = months)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        hazard = np.where(risk_w > 0, event_w / risk_w, 0.0)
    return 1.0 - np.cumprod(1.0 - hazard, axis=-1)


def km_curve(sample: AnalysisSample, first: np.ndarray, followup: np.ndarray, horizon: int, *, outcome: str,
             n_boot: int = 499, seed: int | None = None, level: float = 0.95) -> pd.DataFrame:
    """ATT on the cumulative exit share for months 1..horizon, Kaplan-Meier within group, bootstrap SEs.

    `first` is the first exit month (NaN if none observed) and `followup` the months observed, both per data row;
    `sample` gives the rows, treatment, matching weights and matched sets (see MatchResult.analysis_sample()).
    """
    if n_boot < 2:
        raise DesignError(f"option 'n_boot': expected at least 2 bootstrap replicates; got {n_boot}")
    f = np.asarray(first, dtype=float)[sample.rows]
    fu = np.asarray(followup, dtype=float)[sample.rows]
    t, w = sample.treat, sample.weights
    event, risk = _event_matrices(f, fu, horizon)
    codes, inverse = np.unique(sample.boot_cluster, return_inverse=True)
    g = len(codes)
    sums = {}
    for name, mask in (("t", t), ("c", ~t)):
        wm = np.where(mask, w, 0.0)
        sums[name] = (_group_sums(inverse, g, event * wm[:, None]), _group_sums(inverse, g, risk * wm[:, None]))
    f1 = _km(sums["t"][0].sum(0), sums["t"][1].sum(0))
    f0 = _km(sums["c"][0].sum(0), sums["c"][1].sum(0))
    att = f1 - f0
    rng = np.random.default_rng(seed)
    reps = np.empty((n_boot, horizon))
    done = 0
    batch = max(1, min(n_boot, 2_000_000 // max(g, 1)))
    while done < n_boot:
        b = min(batch, n_boot - done)
        draws = rng.integers(0, g, size=(b, g))
        counts = np.bincount((draws + np.arange(b)[:, None] * g).ravel(), minlength=b * g).reshape(b, g).astype(float)
        reps[done:done + b] = (_km(counts @ sums["t"][0], counts @ sums["t"][1])
                               - _km(counts @ sums["c"][0], counts @ sums["c"][1]))
        done += b
    alpha = (1 - level) / 2
    rows_t = sample.rows[t & (w > 0)]
    rows_c = sample.rows[~t & (w > 0)]
    return pd.DataFrame({
        "outcome": outcome,
        "month": np.arange(1, horizon + 1),
        "att": att,
        "se": reps.std(axis=0, ddof=1),
        "ci_low": np.quantile(reps, alpha, axis=0),
        "ci_high": np.quantile(reps, 1 - alpha, axis=0),
        "treated_mean": f1,
        "control_mean": f0,
        "n_treated": len(np.unique(rows_t)),
        "n_control": len(np.unique(rows_c)),
        "at_risk_treated": (risk[t & (w > 0)] > 0).sum(axis=0),
        "at_risk_control": (risk[~t & (w > 0)] > 0).sum(axis=0),
        "method": "Kaplan-Meier, cluster bootstrap over matched sets",
    })[CURVE_COLUMNS]


def monthly_effects(result, columns: Sequence[str], months: Sequence[int], *, outcome: str, se: str = "cluster",
                    n_boot: int = 999, seed: int | None = None) -> pd.DataFrame:
    """ATT per month on per-month columns (NaN where a month is not observed: complete cases of that month)."""
    est = result.effects(list(columns), se=se, n_boot=n_boot, seed=seed)
    sample = result.analysis_sample()
    data = result.source
    rows = sample.rows
    at_risk_t, at_risk_c = [], []
    for col in columns:
        obs = data[col].to_numpy(dtype=float, na_value=np.nan)[rows]
        keep = ~np.isnan(obs) & (sample.weights > 0)
        at_risk_t.append(len(np.unique(rows[keep & sample.treat])))
        at_risk_c.append(len(np.unique(rows[keep & ~sample.treat])))
    out = est.assign(outcome=outcome, month=list(months), at_risk_treated=at_risk_t, at_risk_control=at_risk_c,
                     method=("cluster-robust SE on matched sets" if se == "cluster" else "cluster bootstrap")
                     + ", complete cases per month")
    return out[CURVE_COLUMNS]

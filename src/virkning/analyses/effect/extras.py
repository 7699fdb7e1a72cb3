"""What the effect pipeline adds after the curves (issue 18): risk ratios next to every risk difference, effects
adjusted for the covariates on the matched sample, sensitivity to an unobserved confounder, and the propensity
score's distribution before and after matching. Numbers only; `publish` protects them and `sections` shows them.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from virkning import outcomes as oc
from virkning.estimate.adjusted import adjusted_effects
from virkning.estimate.evalue import evalue
from virkning.estimate.relative import km_relative, relative_effects
from virkning.estimate.sensitivity import (SensitivityWarning, covariate_benchmark, rosenbaum_bounds,
                                           sensitivity_numbers)
from virkning.errors import DesignError, EstimationError

RELATIVE_COLUMNS = ["risk_ratio", "rr_ci_low", "rr_ci_high", "relative_change", "rc_ci_low", "rc_ci_high"]
ADJUSTED_COLUMNS = ["outcome", "month", "att", "se", "ci_low", "ci_high", "att_unadjusted", "method"]
SENSITIVITY_COLUMNS = ["outcome", "month", "test", "p_value", "gamma_critical", "alpha", "risk_ratio", "evalue",
                       "evalue_ci", "strongest_covariate", "strongest_contrast", "strongest_odds_ratio",
                       "exceeds_strongest", "delta_at_strongest", "shared_persons"]
GAMMA_COLUMNS = ["outcome", "month", "gamma", "p_upper", "p_lower"]
PS_BINS = 24  # equal-width bins of the distance before merging (publish merges bins holding few persons)


def relative_columns(o, data: pd.DataFrame, m, sample) -> pd.DataFrame:
    """Risk ratio and relative change per month of one outcome (RELATIVE_COLUMNS with `month`): first exits from
    the Kaplan-Meier curves (delta method, sets and persons), other outcomes from the matched means
    (cluster-robust delta method on each month's complete cases)."""
    if o.kind == "first_exit":
        first = data[oc.first_column(o.state)].to_numpy(dtype=float, na_value=np.nan)
        r = km_relative(sample, first, data["followup"].to_numpy(float), o.horizon)
    else:
        r = relative_effects(m, [o.column(mm) for mm in o.months], se="cluster").assign(month=o.months)
    return r[["month", *RELATIVE_COLUMNS]]


def adjusted(design, m) -> pd.DataFrame:
    """Each outcome's effect at its horizon adjusted for the design's covariates (regression on the matched
    sample; pairs observed at the horizon, as for the subgroups)."""
    columns = {o.column(o.horizon): o for o in design.outcomes}
    out = adjusted_effects(m, list(columns), list(design.covariates))
    out = out.assign(month=[columns[c].horizon for c in out["outcome"]],
                     outcome=[columns[c].name for c in out["outcome"]])
    return out[ADJUSTED_COLUMNS]


def sensitivity(design, m, effects: pd.DataFrame, alpha: float = 0.05) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rosenbaum bounds at each outcome's horizon (binary outcomes: exact McNemar-type bounds; others: signed
    ranks for pairs, the M-statistic for 1:k), the E-value of the risk ratio at the horizon (share outcomes) and
    the strongest observed covariate's odds ratio of participation. Returns (summary, p-value bounds over Gamma)."""
    try:
        bench = covariate_benchmark(m) if m.propensity is not None else None
    except DesignError:
        bench = None
    rows, grid = [], []
    for o in design.outcomes:
        col = o.column(o.horizon)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SensitivityWarning)
            try:
                b = rosenbaum_bounds(m, col, alpha=alpha)
            except (DesignError, EstimationError):
                continue
        shared = any(issubclass(w.category, SensitivityWarning) for w in caught)
        e = effects[(effects["outcome"] == o.name) & (effects["month"] == o.horizon)]
        ev = None
        rr = float(e["risk_ratio"].iloc[0]) if len(e) else math.nan
        if o.kind != "benefit_weeks" and math.isfinite(rr) and rr > 0:
            lo, hi = float(e["rr_ci_low"].iloc[0]), float(e["rr_ci_high"].iloc[0])
            ok = math.isfinite(lo) and math.isfinite(hi) and lo > 0
            ev = evalue(rr, lo if ok else None, hi if ok else None)
        n = sensitivity_numbers(b, bench, ev)
        rows.append({"outcome": o.name, "month": o.horizon, "test": b.test, "p_value": b.p_value,
                     "gamma_critical": b.gamma_critical, "alpha": alpha, "risk_ratio": rr,
                     "evalue": n.evalue, "evalue_ci": n.evalue_ci, "strongest_covariate": n.strongest_covariate,
                     "strongest_contrast": n.strongest_contrast, "strongest_odds_ratio": n.strongest_odds_ratio,
                     "exceeds_strongest": n.exceeds_strongest, "delta_at_strongest": n.delta_at_strongest,
                     "shared_persons": shared})
        grid += [{"outcome": o.name, "month": o.horizon, "gamma": g, "p_upper": pu, "p_lower": pl}
                 for g, pu, pl in zip(b.gamma, b.p_upper, b.p_lower)]
    return pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS), pd.DataFrame(grid, columns=GAMMA_COLUMNS)


def ps_bins(m) -> pd.DataFrame:
    """Persons per equal-width bin of the matching distance (the propensity score or its logit), for participants
    and candidates, all and matched (rows with a matching weight; 1:1 without replacement weights are 1).
    Internal: publish merges bins until no count, nor any difference of two published counts, is small."""
    if m.distance is None or m.config.distance == "mahalanobis":
        return pd.DataFrame(columns=["sample", "group", "bin", "low", "high", "n"])
    d = np.asarray(m.distance, dtype=float)
    keep = ~m.discarded_mask
    lo, hi = float(np.nanmin(d)), float(np.nanmax(d))
    edges = np.linspace(lo, hi if hi > lo else lo + 1.0, PS_BINS + 1)
    idx = np.clip(np.searchsorted(edges, d, side="right") - 1, 0, PS_BINS - 1)
    out = []
    for sample, mask in (("All", np.ones(len(d), bool)), ("Matched", (m.weights > 0) & keep)):
        for group, g in (("Treated", m.treat), ("Control", ~m.treat)):
            counts = np.bincount(idx[mask & g], minlength=PS_BINS)
            out += [{"sample": sample, "group": group, "bin": i, "low": edges[i], "high": edges[i + 1],
                     "n": int(counts[i])} for i in range(PS_BINS)]
    return pd.DataFrame(out)

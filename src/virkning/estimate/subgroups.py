"""Subgroup effects in a matched sample, with a test of heterogeneity.

A subgroup keeps whole matched sets: a set belongs to the subgroup of its treated unit (its controls were chosen
for that unit), so subgroup estimates use the same matching and disjoint sets of clusters. Heterogeneity is tested
with the Wald statistic sum_g (att_g - att_pooled)^2 / se_g^2 against chi-square with G - 1 degrees of freedom,
where att_pooled is the precision-weighted mean; this is valid because subgroups share no matched set.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.special

from virkning.errors import EstimationError
from virkning.estimate.effects import AnalysisSample, estimate_effects

SUBGROUP_COLUMNS = ["subgroup", "level", "outcome", "att", "se", "ci_low", "ci_high", "treated_mean", "control_mean",
                    "n_treated", "n_control"]


def _set_of_rows(sample: AnalysisSample) -> np.ndarray:
    return sample.set_codes


def subgroup_effects(result, by: str, outcomes: list[str], *, values: pd.Series | None = None, se: str = "cluster",
                     n_boot: int = 999, seed: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Effects per level of `by` (a column of the matched data, or `values` aligned with it) and a test per outcome.

    Returns (effects: one row per level and outcome, tests: outcome, chi2, df, p_value).
    """
    data = result.source
    sample = result.analysis_sample()
    groups = (values if values is not None else data[by]).to_numpy()
    sets = _set_of_rows(sample)
    treated_level = pd.Series(groups[sample.rows[sample.treat]], index=sets[sample.treat])
    treated_level = treated_level[~treated_level.index.duplicated()]
    level_of_row = treated_level.reindex(sets).to_numpy()
    rows = []
    for level in pd.unique(treated_level.dropna()):
        keep = level_of_row == level
        sub = AnalysisSample(rows=sample.rows[keep], treat=sample.treat[keep], weights=sample.weights[keep],
                             clusters=tuple(c[keep] for c in sample.clusters), cluster_names=sample.cluster_names,
                             boot_cluster=sample.boot_cluster[keep], sets=sample.set_codes[keep],
                             persons=sample.person_codes[keep], estimand=sample.estimand)
        try:
            est = estimate_effects(data, sub, outcomes, se=se, n_boot=n_boot, seed=seed)
        except EstimationError:  # a level with a single matched set has no cluster-robust SE: shown without one
            est = pd.DataFrame([{"outcome": o, "n_treated": int(sub.treat.sum()), "n_control": int((~sub.treat).sum())}
                                for o in outcomes])
        rows.append(est.assign(subgroup=by, level=str(level)))
    effects = pd.concat(rows, ignore_index=True).reindex(columns=SUBGROUP_COLUMNS) if rows else pd.DataFrame(columns=SUBGROUP_COLUMNS)
    tests = []
    for outcome, g in effects.groupby("outcome", sort=False):
        g = g[np.isfinite(g["se"]) & (g["se"] > 0)]
        if len(g) < 2:
            tests.append({"subgroup": by, "outcome": outcome, "chi2": np.nan, "df": 0, "p_value": np.nan})
            continue
        prec = 1.0 / g["se"].to_numpy() ** 2
        att = g["att"].to_numpy()
        pooled = (prec * att).sum() / prec.sum()
        chi2 = float((prec * (att - pooled) ** 2).sum())
        df = len(g) - 1
        tests.append({"subgroup": by, "outcome": outcome, "chi2": chi2, "df": df,
                      "p_value": float(scipy.special.chdtrc(df, chi2))})
    return effects.sort_values(["outcome", "level"], ignore_index=True), pd.DataFrame(tests)


def bands(values: pd.Series, edges: list[float], labels: list[str] | None = None) -> pd.Series:
    """Numeric values in bands [e0, e1), [e1, e2), ... labelled "e0-(e1-1)" for whole numbers (e.g. ages)."""
    if labels is None:
        labels = [f"{int(a)}-{int(b) - 1}" if float(a).is_integer() and float(b).is_integer() else f"{a}-{b}"
                  for a, b in zip(edges[:-1], edges[1:])]
    return pd.cut(values, bins=edges, right=False, labels=labels).astype(object)


"""Covariate balance before and after matching, with MatchIt's conventions, and a Love plot.

For every covariate (every level of a categorical one) the table holds, for the full sample ("before") and
the weighted matched sample ("after"): means of treated and controls, the standardised mean difference
(SMD), the variance ratio, and the mean and maximum distance between the groups' weighted empirical CDFs.

Conventions (those of MatchIt 4.5.1's ``summary(..., standardize = TRUE)`` for the ATT):

- The SMD divides the (weighted) mean difference by the treated group's standard deviation in the full,
  unweighted sample, so before and after share one denominator. For binary (0/1) variables that SD is
  sqrt(p(1 - p)) of the treated; ``binary="raw"`` reports the plain difference in proportions instead (the
  default of the cobalt package). Differences below sqrt(machine epsilon) are reported raw.
- Variances are weighted "reliability" variances; the variance ratio is treated over control, not given for
  binary variables.
- The eCDF statistics use weights normalised within each group; for binary variables both equal the absolute
  difference in proportions.
- Effective sample size is Kish's (sum w)^2 / sum w^2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from virkning.estimate.design import design_matrix
from virkning.estimate.options import BinaryStat, check_choice

_SQRT_EPS = float(np.sqrt(np.finfo(float).eps))
STATS = ("mean_treated", "mean_control", "smd", "var_ratio", "ecdf_mean", "ecdf_max")


def ess(w: np.ndarray) -> float:
    """Kish's effective sample size of a weight vector."""
    w = np.asarray(w, dtype=float)
    s2 = float(np.sum(w * w))
    return float(np.sum(w) ** 2 / s2) if s2 > 0 else 0.0


def _wvar(x: np.ndarray, w: np.ndarray, binary: np.ndarray) -> np.ndarray:
    """Weighted variance per column: p(1-p) for binary columns, reliability-weighted otherwise."""
    keep = w != 0
    x, w = x[keep], w[keep] / w.sum()
    m = (x * w[:, None]).sum(axis=0)
    v = ((x - m) ** 2 * w[:, None]).sum(axis=0) / (1.0 - np.sum(w * w))
    return np.where(binary, m * (1.0 - m), v)


def _pooled_sd(x: np.ndarray, treat: np.ndarray, binary: bool) -> float:
    """MatchIt's fallback denominator when the treated SD is zero (proportional contributions)."""
    n = len(x)
    if binary:
        total = 0.0
        for g in (True, False):
            sx = x[treat == g].sum()
            ng = (treat == g).sum()
            total += sx * (1 - sx / ng) / n
        return float(np.sqrt(total))
    xc = x.astype(float).copy()
    for g in (True, False):
        xc[treat == g] -= xc[treat == g].mean()
    return float(np.sqrt(np.sum(xc ** 2) / (n - 2)))


def _ecdf_stats(x: np.ndarray, treat: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Mean and max absolute difference of the groups' weighted eCDFs, evaluated at each distinct value."""
    o = np.argsort(x, kind="stable")
    xs = x[o]
    ts = treat[o]
    ws = w[o].astype(float)
    s1 = ws[ts].sum()
    s0 = ws[~ts].sum()
    signed = np.where(ts, ws / s1, -ws / s0)
    cum = np.abs(np.cumsum(signed))
    last = np.append(xs[1:] != xs[:-1], True)
    vals = cum[last]
    return float(vals.mean()), float(vals.max())


def balance_stats(X: np.ndarray, treat: np.ndarray, weights: np.ndarray | None, *,
                  binary: BinaryStat = "std") -> pd.DataFrame:
    """Balance statistics per column of X for one weighting (None = unweighted full sample)."""
    treat = np.asarray(treat, dtype=bool)
    n, q = X.shape
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    is_bin = np.all((X == 0) | (X == 1), axis=0)
    X1, X0 = X[treat], X[~treat]
    w1, w0 = w[treat], w[~treat]
    too_small = (np.count_nonzero(w1) < 2) and (np.count_nonzero(w0) < 2)
    mean_t = (X1 * w1[:, None]).sum(axis=0) / w1.sum() if w1.sum() > 0 else np.full(q, np.nan)
    mean_c = (X0 * w0[:, None]).sum(axis=0) / w0.sum() if w0.sum() > 0 else np.full(q, np.nan)
    mdiff = mean_t - mean_c
    # denominator: treated SD in the full, unweighted sample
    sd_t = np.sqrt(_wvar(X1, np.ones(len(X1)), is_bin)) if len(X1) > 1 else np.full(q, np.nan)
    smd = np.full(q, np.nan)
    var_ratio = np.full(q, np.nan)
    if not too_small:
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio_all = _wvar(X1, w1, np.zeros(q, bool)) / _wvar(X0, w0, np.zeros(q, bool))
    e_mean = np.full(q, np.nan)
    e_max = np.full(q, np.nan)
    for j in range(q):
        if binary == "raw" and is_bin[j]:
            smd[j] = mdiff[j]
        elif abs(mdiff[j]) > _SQRT_EPS:
            if not too_small:
                sd = sd_t[j]
                if not np.isfinite(sd) or sd < _SQRT_EPS:
                    sd = _pooled_sd(X[:, j], treat, bool(is_bin[j]))
                smd[j] = mdiff[j] / sd
        else:
            smd[j] = mdiff[j]
        if is_bin[j]:
            e_mean[j] = e_max[j] = abs(mdiff[j])
        elif not too_small:
            var_ratio[j] = ratio_all[j] if np.isfinite(ratio_all[j]) else np.nan
            e_mean[j], e_max[j] = _ecdf_stats(X[:, j], treat, w)
    return pd.DataFrame({"mean_treated": mean_t, "mean_control": mean_c, "smd": smd, "var_ratio": var_ratio,
                         "ecdf_mean": e_mean, "ecdf_max": e_max})


@dataclass(frozen=True)
class BalanceTable:
    """Balance before and after matching; ``table`` has one row per covariate term."""

    table: pd.DataFrame
    threshold: float
    binary: str
    ess: pd.DataFrame = field(repr=False)

    @property
    def n_imbalanced(self) -> int:
        """Number of terms (excluding the distance) with |SMD| above the threshold after matching."""
        t = self.table
        return int(t.loc[t["term"] != "distance", "imbalanced"].sum())

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def to_dict(self) -> dict[str, object]:
        return {"threshold": self.threshold, "binary": self.binary, "n_imbalanced": self.n_imbalanced,
                "table": self.table.to_dict(orient="records"), "ess": self.ess.to_dict()}

    def __str__(self) -> str:
        cols = ["term", "smd_before", "smd_after", "var_ratio_before", "var_ratio_after", "ecdf_max_before",
                "ecdf_max_after", "imbalanced"]
        body = self.table[cols].to_string(index=False, float_format=lambda v: f"{v:.4f}")
        return (f"{body}\n{self.n_imbalanced} term(s) with |SMD| > {self.threshold:g} after matching "
                f"(SMD for binary terms: {self.binary}).")


def balance_table(data: pd.DataFrame, treat: np.ndarray, weights: np.ndarray, covariates: Sequence[str], *,
                  distance: np.ndarray | None = None, binary: str = "std", threshold: float = 0.1) -> BalanceTable:
    """Balance of ``covariates`` (all levels of categorical ones) before and after weighting by ``weights``.

    ``weights`` covers every row of ``data`` (0 = not in the matched sample). ``distance``, if given, is
    shown first, as MatchIt does.
    """
    binary = check_choice("binary", binary, BinaryStat)
    treat = np.asarray(treat, dtype=bool)
    X, terms = design_matrix(data, covariates, drop_first=False)
    names = [t.name for t in terms]
    variables = [t.variable for t in terms]
    levels = [t.level for t in terms]
    if distance is not None:
        X = np.column_stack([np.asarray(distance, dtype=float), X])
        names = ["distance", *names]
        variables = ["distance", *variables]
        levels = [None, *levels]
    before = balance_stats(X, treat, None, binary=binary)  # type: ignore[arg-type]
    after = balance_stats(X, treat, weights, binary=binary)  # type: ignore[arg-type]
    is_bin = np.all((X == 0) | (X == 1), axis=0)
    table = pd.DataFrame({"term": names, "variable": variables, "level": pd.Series(levels, dtype=object),
                          "type": np.where(is_bin, "binary", "continuous")})
    for s in STATS:
        table[f"{s}_before"] = before[s].to_numpy()
    for s in STATS:
        table[f"{s}_after"] = after[s].to_numpy()
    table["imbalanced"] = np.abs(table["smd_after"].to_numpy()) > threshold
    w = np.asarray(weights, dtype=float)
    ess_table = pd.DataFrame({"Control": [ess(np.ones(int((~treat).sum()))), ess(w[~treat])],
                              "Treated": [ess(np.ones(int(treat.sum()))), ess(w[treat])]},
                             index=["All (ESS)", "Matched (ESS)"])
    return BalanceTable(table=table, threshold=float(threshold), binary=binary, ess=ess_table)


def love_plot(balance: BalanceTable, *, absolute: bool = True, threshold: float | None = None,
              include_distance: bool = False, title: str | None = None):
    """Love plot: SMD of every term before (open) and after (filled) matching, with threshold lines.

    Returns a matplotlib Figure; nothing is shown or saved.
    """
    from matplotlib.figure import Figure

    t = balance.table
    if not include_distance:
        t = t[t["term"] != "distance"]
    thr = balance.threshold if threshold is None else threshold
    before = t["smd_before"].to_numpy(dtype=float)
    after = t["smd_after"].to_numpy(dtype=float)
    if absolute:
        before, after = np.abs(before), np.abs(after)
    order = np.argsort(np.nan_to_num(np.abs(before), nan=0.0))
    labels = t["term"].to_numpy()[order]
    y = np.arange(len(order))
    fig = Figure(figsize=(6.5, 0.3 * len(order) + 1.5))
    ax = fig.add_subplot(1, 1, 1)
    ax.scatter(before[order], y, facecolors="none", edgecolors="tab:red", label="Before matching", zorder=3)
    ax.scatter(after[order], y, color="tab:blue", label="After matching", zorder=3)
    for yi, (b, a) in enumerate(zip(before[order], after[order])):
        ax.plot([b, a], [yi, yi], color="0.8", lw=0.8, zorder=1)
    ax.axvline(thr, color="0.4", ls="--", lw=0.8)
    if absolute:
        ax.axvline(0, color="0.2", lw=0.8)
    else:
        ax.axvline(-thr, color="0.4", ls="--", lw=0.8)
        ax.axvline(0, color="0.2", lw=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels(labels)
    suffix = "" if balance.binary == "std" else " (binary: raw difference)"
    ax.set_xlabel(("Absolute standardised" if absolute else "Standardised") + " mean difference" + suffix)
    ax.set_title(title or "Covariate balance")
    ax.legend(loc="lower right", fontsize="small")
    fig.tight_layout()
    return fig

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
- For the ATC the SMD denominator is the controls' SD (MatchIt's ``s.d.denom = "control"``).

Flags after matching follow cobalt's thresholds: |SMD| (``m.threshold``), the variance ratio outside
[1 / v, v] (``v.threshold``, continuous terms) and the KS statistic (``ks.threshold``), with the defaults of
``virkning.defaults``.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from virkning.defaults import KS_THRESHOLD, SMD_THRESHOLD, VR_THRESHOLD
from virkning.errors import DesignError
from virkning.estimate.model_matrix import design_matrix
from virkning.estimate.options import BinaryStat, check_choice

_SQRT_EPS = float(np.sqrt(np.finfo(float).eps))
STATS = ("mean_treated", "mean_control", "smd", "var_ratio", "ecdf_mean", "ecdf_max")


def ess(w: np.ndarray) -> float:
    """Kish's effective sample size of a weight vector."""
    w = np.asarray(w, dtype=float)
    s2 = float(np.sum(w * w))
    return float(np.sum(w) ** 2 / s2) if s2 > 0 else 0.0


def _rel_var(x: np.ndarray, w: np.ndarray) -> float:
    """Reliability-weighted variance of one column (rows with zero weight already left out)."""
    w = w / w.sum()
    m = (x * w).sum()
    return float(((x - m) ** 2 * w).sum() / (1.0 - np.sum(w * w)))


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


def _ecdf_stats(order: np.ndarray, last: np.ndarray, treat: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Mean and max absolute difference of the groups' weighted eCDFs, evaluated at each distinct value of the
    full sample. `order` sorts the column (stably); `last` marks, in sorted order, the last row of each value."""
    ts = treat[order]
    ws = w[order]
    signed = np.where(ts, ws / ws[ts].sum(), -ws / ws[~ts].sum())
    vals = np.abs(np.cumsum(signed))[last]
    return float(vals.mean()), float(vals.max())


def _wmean(x: np.ndarray, w: np.ndarray) -> float:
    s = w.sum()
    return float((x * w).sum() / s) if s > 0 else np.nan


def balance_stats(X: np.ndarray, treat: np.ndarray, weights: np.ndarray | None, *,
                  binary: BinaryStat = "std", estimand: str = "ATT") -> pd.DataFrame:
    """Balance statistics per column of X for one weighting (None = unweighted full sample)."""
    return _balance(X, np.asarray(treat, dtype=bool), [weights], binary, estimand)[0][0]


def _balance(X: np.ndarray, treat: np.ndarray, weightings: list, binary: str,
             estimand: str = "ATT") -> tuple[list[pd.DataFrame], np.ndarray]:
    """`balance_stats` for several weightings of the same sample, column by column: what the weightings share
    (binary flags, the SMD denominators, each column's sort order for the eCDFs) is computed once, and rows with
    zero weight, most of the pool after matching, are left out of the weighted sums they add nothing to."""
    n, q = X.shape
    i1_all, i0_all = np.flatnonzero(treat), np.flatnonzero(~treat)
    is_bin = np.array([bool(np.all((X[:, j] == 0) | (X[:, j] == 1))) for j in range(q)], dtype=bool)
    # denominator: SD of the focal group (treated for the ATT, controls for the ATC) in the full, unweighted
    # sample (p(1 - p) for binary columns), as MatchIt's s.d.denom
    sd_t = np.full(q, np.nan)
    i_focal = i1_all if estimand == "ATT" else i0_all
    if len(i_focal) > 1:
        for j in range(q):
            x1 = X[i_focal, j]
            sd_t[j] = np.sqrt(x1.mean() * (1 - x1.mean()) if is_bin[j] else _rel_var(x1, np.ones(len(x1))))
    sorted_cols: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    frames = []
    for weights in weightings:
        w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
        too_small = (np.count_nonzero(w[i1_all]) < 2) and (np.count_nonzero(w[i0_all]) < 2)
        i1, i0 = i1_all[w[i1_all] != 0], i0_all[w[i0_all] != 0]
        w1, w0 = w[i1], w[i0]
        stats = {s: np.full(q, np.nan) for s in STATS}
        for j in range(q):
            col = X[:, j]
            x1, x0 = col[i1], col[i0]
            mean_t, mean_c = _wmean(x1, w1), _wmean(x0, w0)
            mdiff = mean_t - mean_c
            stats["mean_treated"][j], stats["mean_control"][j] = mean_t, mean_c
            if binary == "raw" and is_bin[j]:
                stats["smd"][j] = mdiff
            elif abs(mdiff) > _SQRT_EPS:
                if not too_small:
                    sd = sd_t[j]
                    if not np.isfinite(sd) or sd < _SQRT_EPS:
                        sd = _pooled_sd(col, treat, bool(is_bin[j]))
                    stats["smd"][j] = mdiff / sd
            else:
                stats["smd"][j] = mdiff
            if is_bin[j]:
                stats["ecdf_mean"][j] = stats["ecdf_max"][j] = abs(mdiff)
            elif not too_small:
                with np.errstate(divide="ignore", invalid="ignore"):
                    ratio = _rel_var(x1, w1) / _rel_var(x0, w0)
                stats["var_ratio"][j] = ratio if np.isfinite(ratio) else np.nan
                if j not in sorted_cols:
                    order = np.argsort(col, kind="stable")
                    xs = col[order]
                    sorted_cols[j] = (order, np.append(xs[1:] != xs[:-1], True))
                stats["ecdf_mean"][j], stats["ecdf_max"][j] = _ecdf_stats(*sorted_cols[j], treat, w)
        frames.append(pd.DataFrame(stats))
    return frames, is_bin


@dataclass(frozen=True)
class BalanceTable:
    """Balance before and after matching; ``table`` has one row per covariate term.

    Flags after matching, as cobalt's thresholds: ``imbalanced`` (|SMD| > ``threshold``, cobalt's
    ``m.threshold``), ``vr_imbalanced`` (variance ratio > ``v_threshold`` or < 1 / ``v_threshold``, continuous
    terms only, ``v.threshold``) and ``ks_imbalanced`` (KS statistic = ``ecdf_max`` > ``ks_threshold``,
    ``ks.threshold``). The distance row is shown but never counted.
    """

    table: pd.DataFrame
    threshold: float
    binary: str
    ess: pd.DataFrame = field(repr=False)
    v_threshold: float = VR_THRESHOLD
    ks_threshold: float = KS_THRESHOLD
    estimand: str = "ATT"

    def _count(self, column: str) -> int:
        t = self.table
        return int(t.loc[t["term"] != "distance", column].sum())

    @property
    def n_imbalanced(self) -> int:
        """Number of terms (excluding the distance) with |SMD| above the threshold after matching."""
        return self._count("imbalanced")

    @property
    def n_vr_imbalanced(self) -> int:
        """Number of continuous terms whose variance ratio lies outside [1 / v_threshold, v_threshold]."""
        return self._count("vr_imbalanced")

    @property
    def n_ks_imbalanced(self) -> int:
        """Number of terms whose KS statistic exceeds ks_threshold after matching."""
        return self._count("ks_imbalanced")

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def to_dict(self) -> dict[str, object]:
        return {"threshold": self.threshold, "v_threshold": self.v_threshold, "ks_threshold": self.ks_threshold,
                "binary": self.binary, "estimand": self.estimand, "n_imbalanced": self.n_imbalanced,
                "n_vr_imbalanced": self.n_vr_imbalanced, "n_ks_imbalanced": self.n_ks_imbalanced,
                "table": self.table.to_dict(orient="records"), "ess": self.ess.to_dict()}

    _SHOW = ["term", "smd_before", "smd_after", "var_ratio_before", "var_ratio_after", "ecdf_max_before",
             "ecdf_max_after", "imbalanced", "vr_imbalanced", "ks_imbalanced"]

    def _shown(self) -> pd.DataFrame:
        return self.table[self._SHOW].rename(columns={"ecdf_max_before": "ks_before", "ecdf_max_after": "ks_after",
                                                      "imbalanced": "smd_flag", "vr_imbalanced": "vr_flag",
                                                      "ks_imbalanced": "ks_flag"})

    def headline(self) -> str:
        return (f"After matching: {self.n_imbalanced} term(s) with |SMD| > {self.threshold:g}, "
                f"{self.n_vr_imbalanced} with a variance ratio outside [{1 / self.v_threshold:.3g}, "
                f"{self.v_threshold:g}], {self.n_ks_imbalanced} with KS > {self.ks_threshold:g} "
                f"(SMD for binary terms: {self.binary}; SD of the {'treated' if self.estimand == 'ATT' else 'controls'}"
                f" as denominator).")

    def __str__(self) -> str:
        body = self._shown().to_string(index=False, float_format=lambda v: f"{v:.4f}")
        return f"{body}\n{self.headline()}"

    def __repr__(self) -> str:
        return f"BalanceTable({len(self.table)} terms)\n{self}"

    def _repr_html_(self) -> str:
        return (self._shown().to_html(index=False, float_format=lambda v: f"{v:.4f}", na_rep="")
                + f"<p>{html.escape(self.headline())}</p>")


def balance_table(data: pd.DataFrame, treat: np.ndarray, weights: np.ndarray, covariates: Sequence[str], *,
                  distance: np.ndarray | None = None, binary: str = "std", threshold: float = SMD_THRESHOLD,
                  v_threshold: float = VR_THRESHOLD, ks_threshold: float = KS_THRESHOLD,
                  estimand: str = "ATT") -> BalanceTable:
    """Balance of ``covariates`` (all levels of categorical ones) before and after weighting by ``weights``.

    ``weights`` covers every row of ``data`` (0 = not in the matched sample). ``distance``, if given, is
    shown first, as MatchIt does. The SMD denominator is the SD of the treated for the ATT and of the
    controls for the ATC (MatchIt's ``s.d.denom``); the thresholds flag terms after matching (cobalt's
    ``m.threshold``, ``v.threshold``, ``ks.threshold``).
    """
    binary = check_choice("binary", binary, BinaryStat)
    if estimand not in ("ATT", "ATC"):
        raise DesignError(f"option 'estimand': expected one of 'ATT', 'ATC'; got {estimand!r}.")
    for name, value, low in (("threshold", threshold, 0.0), ("v_threshold", v_threshold, 1.0),
                             ("ks_threshold", ks_threshold, 0.0)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                or not np.isfinite(value) or value < low:
            raise DesignError(f"option '{name}': expected a number >= {low:g}; got {value!r}.")
    treat = np.asarray(treat, dtype=bool)
    X, terms = design_matrix(data, covariates, drop_first=False, order="F")  # columns contiguous
    names = [t.name for t in terms]
    variables = [t.variable for t in terms]
    levels = [t.level for t in terms]
    if distance is not None:
        Xd = np.empty((X.shape[0], X.shape[1] + 1), order="F")
        Xd[:, 0], Xd[:, 1:] = np.asarray(distance, dtype=float), X
        X = Xd
        names = ["distance", *names]
        variables = ["distance", *variables]
        levels = [None, *levels]
    (before, after), is_bin = _balance(X, treat, [None, weights], binary, estimand)
    table = pd.DataFrame({"term": names, "variable": variables, "level": pd.Series(levels, dtype=object),
                          "type": np.where(is_bin, "binary", "continuous")})
    for s in STATS:
        table[f"{s}_before"] = before[s].to_numpy()
    for s in STATS:
        table[f"{s}_after"] = after[s].to_numpy()
    table["imbalanced"] = np.abs(table["smd_after"].to_numpy()) > threshold
    vr = table["var_ratio_after"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        table["vr_imbalanced"] = np.isfinite(vr) & (np.maximum(vr, 1.0 / vr) > v_threshold)
    table["ks_imbalanced"] = table["ecdf_max_after"].to_numpy(dtype=float) > ks_threshold
    w = np.asarray(weights, dtype=float)
    ess_table = pd.DataFrame({"Control": [ess(np.ones(int((~treat).sum()))), ess(w[~treat])],
                              "Treated": [ess(np.ones(int(treat.sum()))), ess(w[treat])]},
                             index=["All (ESS)", "Matched (ESS)"])
    return BalanceTable(table=table, threshold=float(threshold), binary=binary, ess=ess_table,
                        v_threshold=float(v_threshold), ks_threshold=float(ks_threshold), estimand=estimand)


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

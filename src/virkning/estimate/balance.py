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
from virkning.estimate.model_matrix import Term, codes_and_levels, is_categorical, numeric_column
from virkning.estimate.options import BinaryStat, check_choice

_SQRT_EPS = float(np.sqrt(np.finfo(float).eps))
STATS = ("mean_treated", "mean_control", "smd", "var_ratio", "ecdf_mean", "ecdf_max")


def ess(w: np.ndarray) -> float:
    """Kish's effective sample size of a weight vector."""
    w = np.asarray(w, dtype=float)
    s2 = float(np.sum(w * w))
    return float(np.sum(w) ** 2 / s2) if s2 > 0 else 0.0


def _rel_var(x: np.ndarray, wn: np.ndarray | np.floating, denom: np.floating) -> float:
    """Reliability-weighted variance of one column, given the weights normalised to sum 1 and 1 - sum(wn^2)
    (rows with zero weight already left out)."""
    m = (x * wn).sum()
    return float(((x - m) ** 2 * wn).sum() / denom)


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


class _Groups:
    """Treated and controls under one weighting (None = the full, unweighted sample): each group's rows with
    nonzero weight, in data order (a mask when unweighted), how many, their weights, and what every column's
    sums share (the weight total, the weights normalised to sum 1 and 1 - sum of their squares, the
    reliability variances' denominator). Unweighted, the normalised weights are one number, 1 / n: a product
    with it is the product with an array of it."""

    def __init__(self, treat: np.ndarray, weights: np.ndarray | None):
        self.full = weights  # every row's weight (None: all 1)
        self.rows: list[np.ndarray] = []
        self.n: list[int] = []
        self.w: list[np.ndarray | None] = []
        self.total: list[np.floating] = []
        self.wn: list[np.ndarray | np.floating] = []
        self.denom: list[np.floating] = []
        for g in (treat, ~treat):
            rows = g if weights is None else np.flatnonzero(g & (weights != 0))
            n = int(np.count_nonzero(rows)) if weights is None else len(rows)
            w = np.ones(n) if weights is None else weights[rows]
            total = w.sum()
            with np.errstate(divide="ignore", invalid="ignore"):
                wn = w / total
            self.rows.append(rows)
            self.n.append(n)
            self.w.append(None if weights is None else w)
            self.total.append(total)
            self.wn.append(wn[0] if weights is None and n else wn)
            self.denom.append(1.0 - np.sum(wn * wn))
        self.too_small = self.n[0] < 2 and self.n[1] < 2

    def mean(self, x: np.ndarray, g: int) -> float:
        """Weighted mean of group g's values x (x * 1 is x: the unweighted sum needs no product)."""
        s = self.total[g]
        if not s > 0:
            return np.nan
        w = self.w[g]
        return float((x if w is None else x * w).sum() / s)


class _Stats:
    """The table's statistics for one weighting, filled term by term."""

    def __init__(self, q: int):
        self.values = {s: np.full(q, np.nan) for s in STATS}

    def set_means_smd(self, j: int, mean_t: float, mean_c: float, is_bin: bool, binary: str, too_small: bool,
                      sd: float, pooled) -> None:
        """Means and SMD of term j (MatchIt's rules; ``pooled()`` gives the fallback SD), and for a binary
        term the eCDF statistics, which are the absolute mean difference."""
        v = self.values
        mdiff = mean_t - mean_c
        v["mean_treated"][j], v["mean_control"][j] = mean_t, mean_c
        if binary == "raw" and is_bin:
            v["smd"][j] = mdiff
        elif abs(mdiff) > _SQRT_EPS:
            if not too_small:
                if not np.isfinite(sd) or sd < _SQRT_EPS:
                    sd = pooled()
                v["smd"][j] = mdiff / sd
        else:
            v["smd"][j] = mdiff
        if is_bin:
            v["ecdf_mean"][j] = v["ecdf_max"][j] = abs(mdiff)


def _radix_order(keys: np.ndarray) -> np.ndarray:
    """Stable sort order of unsigned integer keys, 16 bits at a time from the lowest (numpy sorts 16-bit
    integers stably by radix, in linear time); digits that are the same in every row are skipped."""
    order: np.ndarray | None = None
    for shift in range(0, 8 * keys.itemsize, 16):
        digit = (keys >> np.uint64(shift)).astype(np.uint16)  # the cast keeps the low 16 bits
        if digit.min() == digit.max():
            continue
        step = np.argsort(digit, kind="stable")
        order = step if order is None else order[step]
        keys = keys[step]
    return np.arange(len(keys)) if order is None else order


def _stable_order(col: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stable sort order of a column (ties in row order) and the positions, in sorted order, of the last row
    of each value.

    The order is that of ``np.argsort(col, kind="stable")``, found faster by radix passes: integer values
    within a range of 2^16 as 16-bit codes (one pass), other finite or infinite values as 64-bit keys whose
    unsigned order is the numbers' order (sign bit flipped for positive values, all bits for negative ones;
    -0.0 first made 0.0, which compares equal to it). Columns with NaN are sorted by numpy."""
    lo, hi = col.min(), col.max()
    with np.errstate(invalid="ignore"):  # inf - inf
        narrow = hi - lo < 65536
    if narrow and np.array_equal(col, np.floor(col)):
        keys: np.ndarray = (col - lo).astype(np.uint16)
        order = np.argsort(keys, kind="stable")
    elif not np.isnan(lo):  # min is NaN if any value is
        bits = (col + 0.0).view(np.uint64)
        keys = np.where(bits >> np.uint64(63) == 1, ~bits, bits | np.uint64(1 << 63))
        order = _radix_order(keys)
    else:
        keys = col
        order = np.argsort(col, kind="stable")
    ks = keys[order]
    last = np.flatnonzero(ks[1:] != ks[:-1])
    return order, np.append(last, len(ks) - 1)


def _ecdf_unit(ts: np.ndarray, last: np.ndarray, n1: np.floating, n0: np.floating) -> tuple[float, float]:
    """eCDF statistics of the unweighted sample; ts = is treated, in the column's sorted order."""
    with np.errstate(divide="ignore", invalid="ignore"):
        vals = np.abs(np.cumsum(np.where(ts, 1.0 / n1, -1.0 / n0))[last])
    return float(vals.mean()), float(vals.max())


def _ecdf_weighted(order: np.ndarray, ts: np.ndarray, last: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """eCDF statistics under weights w, at each distinct value of the full sample.

    The running sum of the signed normalised weights in sorted order only changes at rows with nonzero weight
    (adding a zero leaves a sum as it is, up to the sign of a zero, which the absolute value drops), so it is
    summed over those rows alone and read off at each value's last row. The weight totals are summed over
    the sorted column as a whole, as the plain computation does, so every number is the same to the bit."""
    ws = w[order]
    s1, s0 = ws[ts].sum(), ws[~ts].sum()
    if s1 > 0 and s0 > 0:
        pos = np.flatnonzero(ws)
        wp = ws[pos]
        run = np.cumsum(np.where(ts[pos], wp / s1, -wp / s0))
        k = np.searchsorted(pos, last, side="right")  # rows with weight up to and including each value
        vals = np.abs(np.concatenate(([0.0], run))[k])
    else:  # a group without weight: NaN where its share is divided by zero, as the plain computation gives
        with np.errstate(divide="ignore", invalid="ignore"):
            vals = np.abs(np.cumsum(np.where(ts, ws / s1, -ws / s0))[last])
    return float(vals.mean()), float(vals.max())


def _numeric_term(j: int, col: np.ndarray, treat: np.ndarray, weightings: list[_Groups], stats: list[_Stats],
                  binary: str, estimand: str) -> bool:
    """Statistics of a numeric column under every weighting (the first is the unweighted sample); returns
    whether the column is binary (all values 0 or 1)."""
    is_bin = bool(np.all((col == 0) | (col == 1)))
    focal = 0 if estimand == "ATT" else 1
    before = weightings[0]
    xb = [col[before.rows[0]], col[before.rows[1]]]
    var_b: dict[int, float] = {}

    def var_before(g: int) -> float:  # the focal group's variance serves the SD and the variance ratio
        if g not in var_b:
            var_b[g] = _rel_var(xb[g], before.wn[g], before.denom[g])
        return var_b[g]

    # SMD denominator: the focal group's SD in the full, unweighted sample (p(1 - p) for binary columns)
    sd = np.nan
    if before.n[focal] > 1:
        sd = np.sqrt(xb[focal].mean() * (1 - xb[focal].mean()) if is_bin else var_before(focal))
    sorted_col: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    for k, (wt, st) in enumerate(zip(weightings, stats)):
        x = xb if k == 0 else [col[wt.rows[0]], col[wt.rows[1]]]
        st.set_means_smd(j, wt.mean(x[0], 0), wt.mean(x[1], 1), is_bin, binary, wt.too_small, sd,
                         lambda: _pooled_sd(col, treat, is_bin))
        if is_bin or wt.too_small:
            continue
        with np.errstate(divide="ignore", invalid="ignore"):  # a single unit has no variance
            if k == 0:
                v1, v0 = var_before(0), var_before(1)
            else:
                v1, v0 = (_rel_var(x[g], wt.wn[g], wt.denom[g]) for g in (0, 1))
            ratio = np.float64(v1) / v0  # a control variance of 0 gives no ratio (NaN), not an error
        st.values["var_ratio"][j] = ratio if np.isfinite(ratio) else np.nan
        if sorted_col is None:
            order, last = _stable_order(col)
            sorted_col = (order, treat[order], last)
        order, ts, last = sorted_col
        ecdf = (_ecdf_unit(ts, last, wt.total[0], wt.total[1]) if wt.full is None
                else _ecdf_weighted(order, ts, last, wt.full))
        st.values["ecdf_mean"][j], st.values["ecdf_max"][j] = ecdf
    return is_bin


def _level_terms(j0: int, codes: np.ndarray, n_levels: int, treat: np.ndarray, weightings: list[_Groups],
                 stats: list[_Stats], binary: str, estimand: str) -> None:
    """Statistics of a categorical column's level indicators (terms j0, j0 + 1, ...), all binary, without
    building them over the whole sample: unweighted, a level's sum is its count (a sum of zeros and ones is
    exact in any order), so one count per level and group gives every mean; weighted, the indicators are
    built over the rows with nonzero weight only."""
    focal = 0 if estimand == "ATT" else 1
    n_focal = weightings[0].n[focal]
    coded = []
    for wt in weightings:
        groups = [codes[rows] for rows in wt.rows]
        if wt.full is None:  # counts (as floats, as the sum of the indicators gives them); -1 = missing
            coded.append([np.bincount(c + 1, minlength=n_levels + 1)[1:].astype(np.float64) for c in groups])
        else:
            coded.append(groups)
    for lv in range(n_levels):
        sd = np.nan
        if n_focal > 1:
            p = coded[0][focal][lv] / n_focal
            sd = np.sqrt(p * (1 - p))
        for wt, st, c in zip(weightings, stats, coded):
            if wt.full is None:
                means = [float(c[g][lv] / wt.total[g]) if wt.total[g] > 0 else np.nan for g in (0, 1)]
            else:
                means = [wt.mean(c[g] == lv, g) for g in (0, 1)]
            st.set_means_smd(j0 + lv, means[0], means[1], True, binary, wt.too_small, sd,
                             lambda: _pooled_sd((codes == lv).astype(np.float64), treat, True))


def _balance(sources: Sequence[tuple[list[Term], np.ndarray | pd.Series, bool]], treat: np.ndarray,
             weightings: list[np.ndarray | None], binary: str,
             estimand: str) -> tuple[list[pd.DataFrame], np.ndarray]:
    """Balance statistics of every term for each weighting; the first weighting must be None (the full,
    unweighted sample, which gives the SMD denominators). ``sources`` holds, per variable, its terms, its
    values (a numeric column, or level codes) and whether they are level codes. One variable at a time: no
    matrix of all terms is built, and what every column shares (each group's rows with nonzero weight, the
    weight sums) is computed once."""
    groups = [_Groups(treat, w) for w in weightings]
    q = sum(len(t) for t, _, _ in sources)
    stats = [_Stats(q) for _ in weightings]
    is_bin = np.ones(q, dtype=bool)
    j = 0
    for terms, values, coded in sources:
        if coded:
            _level_terms(j, np.asarray(values), len(terms), treat, groups, stats, binary, estimand)
        else:
            col = numeric_column(values) if isinstance(values, pd.Series) else np.asarray(values, dtype=float)
            is_bin[j] = _numeric_term(j, col, treat, groups, stats, binary, estimand)
        j += len(terms)
    return [pd.DataFrame(st.values) for st in stats], is_bin


def balance_stats(X: np.ndarray, treat: np.ndarray, weights: np.ndarray | None, *,
                  binary: BinaryStat = "std", estimand: str = "ATT") -> pd.DataFrame:
    """Balance statistics per column of X for one weighting (None = unweighted full sample)."""
    X = np.asarray(X, dtype=float)
    sources = [([Term(str(k))], np.ascontiguousarray(X[:, k]), False) for k in range(X.shape[1])]
    weightings: list[np.ndarray | None] = [None] if weights is None else [None, np.asarray(weights, dtype=float)]
    frames, _ = _balance(sources, np.asarray(treat, dtype=bool), weightings, binary, estimand)
    return frames[-1]


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
    sources: list[tuple[list[Term], np.ndarray | pd.Series, bool]] = []
    if distance is not None:
        sources.append(([Term("distance")], np.asarray(distance, dtype=float), False))
    for col in covariates:
        series = data[col]
        if is_categorical(series):
            codes, lv = codes_and_levels(series)
            sources.append(([Term(col, level) for level in lv], codes, True))
        else:
            sources.append(([Term(col)], series, False))  # converted when its turn comes
    (before, after), is_bin = _balance(sources, treat, [None, np.asarray(weights, dtype=float)], binary, estimand)
    terms = [t for ts, _, _ in sources for t in ts]
    names = [t.name for t in terms]
    variables = [t.variable for t in terms]
    levels = [t.level for t in terms]
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

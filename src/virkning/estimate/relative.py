"""Relative effects next to the risk difference: risk ratio and relative change (RR - 1) in a matched sample.

With the matching weights, the treated mean m1 and the matched controls' mean m0 are weighted means (as in
``virkning.estimate.effects``); the risk difference is m1 - m0, the risk ratio m1 / m0 (the ratio of means for
outcomes that are not 0/1) and the relative change m1 / m0 - 1, the seed's "77 pct. flere".

Intervals:

- ``se="cluster"``: delta method on log RR = log m1 - log m0. A row's influence on log RR is
  w_i (y_i - m1) / (S1 m1) for the treated and -w_i (y_i - m0) / (S0 m0) for controls (S1, S0 the groups' weight
  sums); the variance is the cluster-robust sum of squared cluster totals with the clustering and small-sample
  factors of ``effects`` (G/(G-1) per dimension, two-way on set and unit with replacement, times (n-1)/(n-2)).
  This equals the cluster-robust standard error of the treatment coefficient in a Poisson regression with a log
  link and the matching weights (statsmodels' GLM), which the tests check. The interval for RR is
  exp(log RR -+ z se) and for the relative change that interval minus 1, so it never crosses -100 %.
- ``se="bootstrap"``: matched sets are resampled with replacement (the resampling unit of ``effects``); SEs are
  the SD of the replicates (of log RR for the ratio) and intervals the percentile intervals, RD and RR from the
  same replicates.
- ``draws``: replicates of (treated mean, control mean) computed elsewhere (e.g. the first-exit curves'
  bootstrap) give percentile intervals for the same quantities.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

import numpy as np
import pandas as pd
import scipy.special

from virkning.errors import DesignError, EstimationError
from virkning.estimate.effects import AnalysisSample, estimate_effects
from virkning.estimate.options import SEType, check_choice
from virkning.estimate.result import MatchResult

COLUMNS = ["outcome", "risk_difference", "rd_se", "rd_ci_low", "rd_ci_high", "treated_mean", "control_mean",
           "risk_ratio", "log_rr_se", "rr_ci_low", "rr_ci_high", "relative_change", "rc_ci_low", "rc_ci_high",
           "n_treated", "n_control", "se_type", "n_clusters", "n_boot"]


@dataclass(frozen=True)
class RelativeEffect:
    """Risk difference, risk ratio and relative change for one outcome, with intervals."""

    outcome: str
    risk_difference: float
    rd_se: float
    rd_ci_low: float
    rd_ci_high: float
    treated_mean: float
    control_mean: float
    risk_ratio: float
    log_rr_se: float
    rr_ci_low: float
    rr_ci_high: float
    relative_change: float
    rc_ci_low: float
    rc_ci_high: float
    n_treated: int
    n_control: int
    se_type: str
    n_clusters: str
    n_boot: int | None
    level: float = 0.95

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([self.to_dict()])

    def __repr__(self) -> str:
        pct = round(self.level * 100)
        return (f"{self.outcome}: risk difference {self.risk_difference:.4g} ({pct}% CI {self.rd_ci_low:.4g} to "
                f"{self.rd_ci_high:.4g}); risk ratio {self.risk_ratio:.4g} ({self.rr_ci_low:.4g} to "
                f"{self.rr_ci_high:.4g}); relative change {100 * self.relative_change:+.1f} % "
                f"({100 * self.rc_ci_low:+.1f} to {100 * self.rc_ci_high:+.1f} %); treated mean "
                f"{self.treated_mean:.4g}, control mean {self.control_mean:.4g}; {self.n_treated} treated, "
                f"{self.n_control} controls; SE: {self.se_type}")

    __str__ = __repr__

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(repr(self))}</p>"


def _dims(clusters: Sequence[np.ndarray]) -> list[tuple[np.ndarray, int, float]]:
    """Clustering dimensions with their sign: one-way, or two-way as set + unit - (set x unit)."""
    def codes(v: np.ndarray) -> tuple[np.ndarray, int]:
        u, inv = np.unique(v, return_inverse=True)
        return inv.astype(np.int64), len(u)
    if len(clusters) == 1:
        c, g = codes(clusters[0])
        return [(c, g, 1.0)]
    a, ga = codes(clusters[0])
    b, gb = codes(clusters[1])
    ab, gab = codes(a * gb + b)
    return [(a, ga, 1.0), (b, gb, 1.0), (ab, gab, -1.0)]


def log_ratio_se(y: np.ndarray, treat: np.ndarray, w: np.ndarray, clusters: Sequence[np.ndarray]) -> float:
    """Cluster-robust delta-method SE of log(m1 / m0) for one outcome without missing values."""
    s1, s0 = w[treat].sum(), w[~treat].sum()
    m1 = float(w[treat] @ y[treat] / s1)
    m0 = float(w[~treat] @ y[~treat] / s0)
    if m1 <= 0 or m0 <= 0:
        return math.nan
    infl = w * np.where(treat, (y - m1) / (s1 * m1), -(y - m0) / (s0 * m0))
    var = 0.0
    for codes, g, sign in _dims(clusters):
        if g < 2:
            raise EstimationError("cluster-robust SE: only one cluster; at least two matched sets are needed.")
        sums = np.bincount(codes, weights=infl, minlength=g)
        var += sign * g / (g - 1) * float(sums @ sums)
    n = len(y)
    var *= (n - 1) / (n - 2)
    return math.sqrt(var) if var >= 0 else math.nan


def _ratio_interval(m1: float, m0: float, se_log: float, z: float) -> tuple[float, float, float]:
    """Risk ratio and its interval exp(log RR -+ z se); missing where the ratio or its log is undefined."""
    if m0 <= 0:
        return math.nan, math.nan, math.nan
    rr = m1 / m0
    if m1 <= 0 or not math.isfinite(se_log):
        return rr, math.nan, math.nan
    return rr, rr * math.exp(-z * se_log), rr * math.exp(z * se_log)


def relative_from_draws(treated_mean: float, control_mean: float, treated_draws, control_draws, *,
                        level: float = 0.95, outcome: str = "outcome", n_treated: int = 0,
                        n_control: int = 0) -> RelativeEffect:
    """Risk difference, risk ratio and relative change with percentile intervals from given replicates of the
    treated and control means (paired: replicate b of each comes from the same resample)."""
    t = np.asarray(treated_draws, dtype=float)
    c = np.asarray(control_draws, dtype=float)
    if t.shape != c.shape or t.ndim != 1 or len(t) < 2:
        raise DesignError("draws: expected two equally long 1-D arrays (>= 2 replicates) of treated and control "
                          f"means; got shapes {t.shape} and {c.shape}.")
    a = (1 - level) / 2
    rd = t - c
    with np.errstate(divide="ignore", invalid="ignore"):
        rr = np.where(c > 0, t / c, np.nan)
        lrr = np.log(rr)
    ok = np.isfinite(lrr)
    rr_point = treated_mean / control_mean if control_mean > 0 else math.nan
    rr_lo, rr_hi = (np.quantile(rr[ok], [a, 1 - a]) if ok.sum() >= 2 else (math.nan, math.nan))
    return RelativeEffect(
        outcome=outcome, risk_difference=treated_mean - control_mean, rd_se=float(np.std(rd, ddof=1)),
        rd_ci_low=float(np.quantile(rd, a)), rd_ci_high=float(np.quantile(rd, 1 - a)),
        treated_mean=float(treated_mean), control_mean=float(control_mean), risk_ratio=float(rr_point),
        log_rr_se=float(np.std(lrr[ok], ddof=1)) if ok.sum() >= 2 else math.nan,
        rr_ci_low=float(rr_lo), rr_ci_high=float(rr_hi), relative_change=float(rr_point - 1),
        rc_ci_low=float(rr_lo - 1), rc_ci_high=float(rr_hi - 1), n_treated=int(n_treated),
        n_control=int(n_control), se_type="bootstrap (given draws)", n_clusters="", n_boot=len(t), level=level)


def _bootstrap_means(y: np.ndarray, treat: np.ndarray, w: np.ndarray, boot_cluster: np.ndarray, n_boot: int,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Replicates of the weighted treated and control means, resampling matched sets with replacement."""
    _, codes = np.unique(boot_cluster, return_inverse=True)
    g = int(codes.max()) + 1
    wt, wc = np.where(treat, w, 0.0), np.where(treat, 0.0, w)
    W1, W0 = np.bincount(codes, wt, g), np.bincount(codes, wc, g)
    Y1, Y0 = np.bincount(codes, wt * y, g), np.bincount(codes, wc * y, g)
    t_reps, c_reps = np.empty(n_boot), np.empty(n_boot)
    chunk = max(1, min(n_boot, 4_000_000 // g))
    done = 0
    while done < n_boot:
        b = min(chunk, n_boot - done)
        draws = rng.integers(0, g, size=(b, g)) + (np.arange(b) * g)[:, None]
        counts = np.bincount(draws.ravel(), minlength=b * g).reshape(b, g).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            t_reps[done:done + b] = (counts @ Y1) / (counts @ W1)
            c_reps[done:done + b] = (counts @ Y0) / (counts @ W0)
        done += b
    return t_reps, c_reps


class _EffectRow(Protocol):
    """The columns of an ``estimate_effects`` row that relative_effects reads."""

    att: float
    se: float
    ci_low: float
    ci_high: float
    treated_mean: float
    control_mean: float
    n_treated: int
    n_control: int
    se_type: str
    n_clusters: object


def relative_effects(data: MatchResult | pd.DataFrame, outcomes: Sequence[str] | str, *,
                     sample: AnalysisSample | None = None, se: str = "cluster", n_boot: int = 999,
                     seed: int | None = None, level: float = 0.95,
                     draws: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None) -> pd.DataFrame:
    """Risk difference, risk ratio and relative change per outcome (columns ``COLUMNS``).

    data: a MatchResult, or a data frame together with ``sample`` (its ``AnalysisSample``).
    draws: optional {outcome: (treated-mean replicates, control-mean replicates)}; those outcomes get percentile
        intervals from the given replicates instead of ``se``.
    """
    se = check_choice("se", se, SEType)
    if isinstance(data, MatchResult):
        sample = data.analysis_sample() if sample is None else sample
        frame = data.source
    elif isinstance(data, pd.DataFrame) and sample is not None:
        frame = data
    else:
        raise DesignError("relative_effects: expected a MatchResult, or a data frame with sample=AnalysisSample.")
    outcomes = [outcomes] if isinstance(outcomes, str) else list(outcomes)
    draws = dict(draws or {})
    unknown = sorted(set(draws) - set(outcomes))
    if unknown:
        raise DesignError(f"option 'draws': outcome(s) {unknown} are not among the outcomes {outcomes}.")
    base = estimate_effects(frame, sample, outcomes, se="cluster", level=level)  # checks outcomes and level
    if se == "bootstrap" and (not isinstance(n_boot, (int, np.integer)) or n_boot < 2):
        raise DesignError(f"option 'n_boot': expected a whole number of bootstrap replicates >= 2; got {n_boot!r}.")
    z = float(scipy.special.ndtri(0.5 + level / 2))
    rng = np.random.default_rng(seed)
    rows = []
    for o, row in zip(outcomes, cast(Iterable[_EffectRow], base.itertuples(index=False))):
        y_all = frame[o].to_numpy(dtype=np.float64, na_value=np.nan)[sample.rows]
        keep = ~np.isnan(y_all)
        y, t, w = y_all[keep], sample.treat[keep], sample.weights[keep]
        m1, m0 = float(row.treated_mean), float(row.control_mean)
        counts = {"n_treated": int(row.n_treated), "n_control": int(row.n_control)}
        if o in draws:
            eff = relative_from_draws(m1, m0, *draws[o], level=level, outcome=o, **counts)
            rows.append(eff.to_dict())
            continue
        if not t.any() or t.all():
            rows.append({**_empty(o), **counts})
            continue
        if se == "cluster":
            slog = log_ratio_se(y, t, w, [c[keep] for c in sample.clusters])
            rr, lo, hi = _ratio_interval(m1, m0, slog, z)
            rows.append({"outcome": o, "risk_difference": float(row.att), "rd_se": float(row.se),
                         "rd_ci_low": float(row.ci_low), "rd_ci_high": float(row.ci_high), "treated_mean": m1,
                         "control_mean": m0, "risk_ratio": rr, "log_rr_se": slog, "rr_ci_low": lo,
                         "rr_ci_high": hi, "relative_change": rr - 1, "rc_ci_low": lo - 1, "rc_ci_high": hi - 1,
                         **counts, "se_type": row.se_type, "n_clusters": row.n_clusters, "n_boot": None})
        else:
            tr, cr = _bootstrap_means(y, t, w, sample.boot_cluster[keep], int(n_boot), rng)
            eff = relative_from_draws(m1, m0, tr, cr, level=level, outcome=o, **counts)
            d = eff.to_dict()
            d.update(se_type="bootstrap", n_clusters=str(len(np.unique(sample.boot_cluster[keep]))))
            rows.append(d)
    return pd.DataFrame(rows, columns=COLUMNS)


def relative_effect(data: MatchResult, outcome: str, *, se: str = "cluster", n_boot: int = 999,
                    seed: int | None = None, level: float = 0.95, draws: tuple[np.ndarray, np.ndarray] | None = None
                    ) -> RelativeEffect:
    """Risk difference, risk ratio and relative change for one outcome of a MatchResult."""
    table = relative_effects(data, [outcome], se=se, n_boot=n_boot, seed=seed, level=level,
                             draws=None if draws is None else {outcome: draws})
    d = cast(dict[str, Any], table.iloc[0].to_dict())  # labels are the str COLUMNS
    d["n_boot"] = None if d["n_boot"] is None or pd.isna(d["n_boot"]) else int(d["n_boot"])
    d["n_treated"], d["n_control"] = int(d["n_treated"]), int(d["n_control"])
    return RelativeEffect(**d, level=level)


def _empty(outcome: str) -> dict[str, object]:
    nan = math.nan
    return {"outcome": outcome, "risk_difference": nan, "rd_se": nan, "rd_ci_low": nan, "rd_ci_high": nan,
            "treated_mean": nan, "control_mean": nan, "risk_ratio": nan, "log_rr_se": nan, "rr_ci_low": nan,
            "rr_ci_high": nan, "relative_change": nan, "rc_ci_low": nan, "rc_ci_high": nan, "se_type": "",
            "n_clusters": "0", "n_boot": None}


# ---- Kaplan-Meier curves ------------------------------------------------------------------------------------------

KM_RELATIVE_COLUMNS = ["month", "risk_ratio", "log_rr_se", "rr_ci_low", "rr_ci_high", "relative_change",
                       "rc_ci_low", "rc_ci_high"]


def km_relative(sample: AnalysisSample, first, followup, horizon: int, *, level: float = 0.95) -> pd.DataFrame:
    """Risk ratio F1(m) / F0(m) of two weighted Kaplan-Meier exit curves and the relative change, months 1..horizon
    (columns ``KM_RELATIVE_COLUMNS``).

    Delta method on log RR = log F1 - log F0 with each row's Kaplan-Meier influence (``variance.km_influence``):
    a treated row contributes w psi1 / F1, a control row -w psi0 / F0, and the variance is the cluster-robust sum
    over matched sets and persons (two-way, G/(G-1) per dimension), the analytic variance of the curves'
    ``variance="cluster"``. With everyone followed to month m this is ``log_ratio_se`` on the exit indicator
    without its (n-1)/(n-2) factor (tested). The interval is exp(log RR -+ z se), so it never crosses 0.
    """
    from virkning.estimate.curves import km_arms  # curves imports effects; keep the import local
    from virkning.estimate.variance import cluster_variance

    if not (0 < level < 1):
        raise DesignError(f"option 'level': expected a confidence level between 0 and 1; got {level!r}.")
    _, _, t, w, (f1, psi1), (f0, psi0) = km_arms(sample, first, followup, horizon)
    contrib = np.zeros((len(w), horizon))
    with np.errstate(invalid="ignore", divide="ignore"):
        contrib[t] = w[t, None] * psi1 / np.where(f1 > 0, f1, np.nan)[None, :]
        contrib[~t] = -w[~t, None] * psi0 / np.where(f0 > 0, f0, np.nan)[None, :]
        clusters = [sample.set_codes] if sample.persons is None else [sample.set_codes, sample.person_codes]
        var = cluster_variance(contrib, clusters)
        se = np.sqrt(np.where(var >= 0, var, np.nan))
        rr = np.where(f0 > 0, f1 / f0, np.nan)
        ok = (f1 > 0) & np.isfinite(se)
        z = float(scipy.special.ndtri(0.5 + level / 2))
        lo = np.where(ok, rr * np.exp(-z * se), np.nan)
        hi = np.where(ok, rr * np.exp(z * se), np.nan)
    return pd.DataFrame({"month": np.arange(1, horizon + 1), "risk_ratio": rr, "log_rr_se": np.where(ok, se, np.nan),
                         "rr_ci_low": lo, "rr_ci_high": hi, "relative_change": rr - 1, "rc_ci_low": lo - 1,
                         "rc_ci_high": hi - 1})[KM_RELATIVE_COLUMNS]

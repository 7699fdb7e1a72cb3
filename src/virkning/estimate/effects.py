"""Average treatment effect on the treated (ATT) in a matched sample, with cluster-robust or bootstrap SEs.

The ATT is the coefficient on treatment in a weighted least-squares regression of the outcome on an
intercept and the treatment indicator, using the matching weights: the weighted mean of the treated minus
the weighted mean of the matched controls.

Standard errors:

- ``se="cluster"``: cluster-robust ("sandwich") variance of that coefficient with the small-sample factors of
  R's ``sandwich::vcovCL`` for ``lm`` (HC1 factor (n-1)/(n-k) and G/(G-1) per clustering dimension), which
  Stata and ``statsmodels`` use as well. Without replacement the clusters are the matched sets (pairs or
  1:k sets), as MatchIt's guidance recommends. With replacement a control can belong to several sets, so
  the analysis uses one row per (set, unit), with weight 1 for the treated unit and 1/k for each of its k
  controls, and clusters two-way on set and unit (Cameron, Gelbach and Miller 2011:
  V = V_set + V_unit - V_set x unit), following MatchIt's advice for matching with replacement (Austin and
  Cafri 2020). A ``cluster`` column (for instance a person id when one person can appear as several rows)
  takes the place of the unit in the second dimension.
- ``se="bootstrap"``: the matched sets are resampled with replacement (cluster bootstrap, Austin and Small
  2014), sets that share a person (the ``cluster`` column) or, with replacement, a control unit together as one
  resampling unit (``AnalysisSample.boot_cluster``); the SE is the standard deviation of the bootstrap ATTs and
  the interval the percentile interval.

Many outcomes are handled in one pass (the design is the same for all of them), which is what month-by-month
effect curves need; outcomes with missing values are estimated on their own complete rows.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse
import scipy.special

from virkning.errors import DesignError, EstimationError
from virkning.estimate.options import EffectSE, check_choice
from virkning.estimate.variance import satt_variance

# n_control counts control rows (a person matched in two index weeks is two rows), n_control_persons the
# distinct persons among them (values of the `cluster` column; rows when there is none).
COLUMNS = ["outcome", "att", "se", "ci_low", "ci_high", "treated_mean", "control_mean", "n_treated", "n_control",
           "n_control_persons"]


@dataclass(frozen=True)
class EffectEstimate:
    """The effect (ATT, or ATC for ``estimand="ATC"``; the field keeps the name ``att``) for one outcome."""

    outcome: str
    att: float
    se: float
    ci_low: float
    ci_high: float
    treated_mean: float
    control_mean: float
    n_treated: int
    n_control: int
    se_type: str
    clusters: tuple[str, ...]
    n_clusters: tuple[int, ...]
    level: float = 0.95
    n_boot: int | None = None
    n_control_persons: int | None = None
    estimand: str = "ATT"

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([self.to_dict()])

    def _controls(self) -> str:
        if self.n_control_persons is None or self.n_control_persons == self.n_control:
            return f"{self.n_control:,} controls"
        return f"{self.n_control:,} control rows ({self.n_control_persons:,} persons)"

    def __str__(self) -> str:
        pct = round(self.level * 100)
        return (f"{self.estimand} on {self.outcome}: {self.att:.4g} (SE {self.se:.4g}, {pct}% CI {self.ci_low:.4g} "
                f"to {self.ci_high:.4g}); treated mean {self.treated_mean:.4g}, control mean "
                f"{self.control_mean:.4g}; {self.n_treated:,} treated, {self._controls()}; SE: {self.se_type}")

    def __repr__(self) -> str:
        return f"EffectEstimate({self})"

    def _repr_html_(self) -> str:
        pct = round(self.level * 100)
        rows = [("Estimand", self.estimand), ("Outcome", self.outcome), ("Effect", f"{self.att:.4g}"),
                ("SE", f"{self.se:.4g}"), (f"{pct}% CI", f"{self.ci_low:.4g} to {self.ci_high:.4g}"),
                ("Treated mean", f"{self.treated_mean:.4g}"), ("Control mean", f"{self.control_mean:.4g}"),
                ("Treated", f"{self.n_treated:,}"), ("Controls", self._controls().replace(" controls", "")),
                ("SE type", self.se_type)]
        body = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
                       for k, v in rows)
        return f"<table>{body}</table>"


@dataclass(frozen=True)
class AnalysisSample:
    """Rows entering the outcome regression: which data rows, their treatment, weight and cluster codes.

    ``boot_cluster`` is the resampling unit of the bootstraps: groups of matched sets that share a person (or,
    with replacement, a control unit), so that a person's reuse across sets is resampled as one; ``sets`` are
    the matched sets themselves and ``persons`` the person (or unit) of each row.
    """

    rows: np.ndarray  # row positions in the original data (may repeat with replacement)
    treat: np.ndarray  # bool
    weights: np.ndarray
    clusters: tuple[np.ndarray, ...]  # integer codes, one array per clustering dimension
    cluster_names: tuple[str, ...]
    boot_cluster: np.ndarray  # codes of the resampling unit
    sets: np.ndarray | None = None  # matched set of each row (defaults to boot_cluster)
    persons: np.ndarray | None = None  # person (cluster column) or unit of each row (defaults to rows)
    estimand: str = "ATT"  # the focal group: the treated (ATT) or the controls (ATC)

    @property
    def set_codes(self) -> np.ndarray:
        return self.boot_cluster if self.sets is None else self.sets

    @property
    def person_codes(self) -> np.ndarray:
        return self.rows if self.persons is None else self.persons


def _codes(values: np.ndarray) -> tuple[np.ndarray, int]:
    uniq, inv = np.unique(values, return_inverse=True)
    return inv.astype(np.int64), len(uniq)


def _cluster_sums(codes: np.ndarray, n_groups: int, values: np.ndarray) -> np.ndarray:
    """Sum the rows of ``values`` (n x m) within groups, via a sparse indicator matrix."""
    n = len(codes)
    ind = scipy.sparse.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(n_groups, n))
    return np.asarray(ind @ values)


def _att_block(Y: np.ndarray, treat: np.ndarray, w: np.ndarray, clusters: Sequence[np.ndarray]):
    """Point estimates and cluster-robust SEs for the columns of Y (no missing values), vectorised."""
    n = len(w)
    t = treat
    s1 = w[t].sum()
    s0 = w[~t].sum()
    m1 = (w[t] @ Y[t]) / s1
    m0 = (w[~t] @ Y[~t]) / s0
    att = m1 - m0
    if not clusters:
        return att, m1, m0, np.full(Y.shape[1], np.nan)
    # Influence of each row on the slope: w_i e_i (t_i / S1 - (1 - t_i) / S0), with e the residual from the
    # group's weighted mean. The sandwich variance of the slope is the sum over clusters of the squared
    # cluster totals of these terms, times the small-sample factors.
    resid = Y - np.where(t[:, None], m1[None, :], m0[None, :])
    coef = w * np.where(t, 1.0 / s1, -1.0 / s0)
    infl = resid * coef[:, None]
    dims: list[tuple[np.ndarray, int, float]] = []
    if len(clusters) == 1:
        c, g = _codes(clusters[0])
        dims.append((c, g, 1.0))
    else:
        a, ga = _codes(clusters[0])
        b, gb = _codes(clusters[1])
        ab, gab = _codes(a * gb + b)
        dims += [(a, ga, 1.0), (b, gb, 1.0), (ab, gab, -1.0)]
    var = np.zeros(Y.shape[1])
    for codes, g, sign in dims:
        if g < 2:
            raise EstimationError("cluster-robust SE: only one cluster; at least two matched sets are needed.")
        sums = _cluster_sums(codes, g, infl) if g < n else infl
        var += sign * g / (g - 1) * np.sum(sums * sums, axis=0)
    var *= (n - 1) / (n - 2)
    se = np.sqrt(np.where(var >= 0, var, np.nan))
    return att, m1, m0, se


def _bootstrap_block(Y: np.ndarray, treat: np.ndarray, w: np.ndarray, boot_cluster: np.ndarray, n_boot: int,
                     rng: np.random.Generator, level: float):
    """Cluster bootstrap over matched sets: SE (sd of replicates) and percentile interval per column of Y."""
    codes, g = _codes(boot_cluster)
    wt = np.where(treat, w, 0.0)
    wc = np.where(treat, 0.0, w)
    W1 = _cluster_sums(codes, g, wt[:, None])[:, 0]
    W0 = _cluster_sums(codes, g, wc[:, None])[:, 0]
    Y1 = _cluster_sums(codes, g, Y * wt[:, None])
    Y0 = _cluster_sums(codes, g, Y * wc[:, None])
    reps = np.empty((n_boot, Y.shape[1]))
    chunk = max(1, min(n_boot, 4_000_000 // max(g, 1)))
    done = 0
    while done < n_boot:
        b = min(chunk, n_boot - done)
        draws = rng.integers(0, g, size=(b, g)) + (np.arange(b) * g)[:, None]
        counts = np.bincount(draws.ravel(), minlength=b * g).reshape(b, g).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            reps[done:done + b] = (counts @ Y1) / (counts @ W1)[:, None] - (counts @ Y0) / (counts @ W0)[:, None]
        done += b
    se = np.nanstd(reps, axis=0, ddof=1)
    alpha = (1 - level) / 2
    lo = np.nanquantile(reps, alpha, axis=0)
    hi = np.nanquantile(reps, 1 - alpha, axis=0)
    return se, lo, hi


def estimate_effects(data: pd.DataFrame, sample: AnalysisSample, outcomes: Sequence[str], *, se: str = "cluster",
                     n_boot: int = 999, seed: int | None = None, level: float = 0.95, draws=None) -> pd.DataFrame:
    """ATT per outcome in an analysis sample; one row per outcome with the columns in ``COLUMNS``.

    ``se``: 'cluster' (sandwich), 'bootstrap' (fixed matched sets, groups sharing a person resampled together),
    'rematch' (replicates of the whole matching in ``draws``, see ``virkning.estimate.rematch``; normal
    intervals around the estimate) or 'satt' (variance around the effect on the matched focal units, ``virkning.estimate.variance``;
    normal intervals). Extra columns: ``se_type``, ``n_clusters`` (per clustering dimension, '/'-separated) and
    ``n_boot``.
    """
    se = check_choice("se", se, EffectSE)
    if se == "rematch" and draws is None:
        raise DesignError("option 'draws': se='rematch' needs the replicates of "
                          "virkning.estimate.rematch_bootstrap(result, ...).")
    if isinstance(outcomes, str):
        outcomes = [outcomes]
    outcomes = list(outcomes)
    missing = [o for o in outcomes if o not in data.columns]
    if missing:
        raise DesignError(f"option 'outcomes': column(s) {missing} not in the data.")
    if not (0 < level < 1):
        raise DesignError(f"option 'level': expected a confidence level between 0 and 1; got {level!r}.")
    if se == "bootstrap" and (not isinstance(n_boot, (int, np.integer)) or n_boot < 2):
        raise DesignError(f"option 'n_boot': expected a whole number of bootstrap replicates >= 2; got {n_boot!r}.")
    bad = [o for o in outcomes if not (pd.api.types.is_numeric_dtype(data[o].dtype)
                                       or pd.api.types.is_bool_dtype(data[o].dtype))]
    if bad:
        raise DesignError(f"option 'outcomes': column(s) {bad} are not numeric; code outcomes as numbers or 0/1.")
    Y_all = np.column_stack([data[o].to_numpy(dtype=np.float64, na_value=np.nan)[sample.rows] for o in outcomes]) \
        if outcomes else np.empty((len(sample.rows), 0))
    rng = np.random.default_rng(seed)
    z = scipy.special.ndtri(0.5 + level / 2)
    nan_mask = np.isnan(Y_all)
    patterns: dict[bytes, list[int]] = {}
    for j in range(Y_all.shape[1]):
        patterns.setdefault(np.packbits(nan_mask[:, j]).tobytes(), []).append(j)
    rows_out: dict[int, dict[str, object]] = {}
    for cols in patterns.values():
        keep = ~nan_mask[:, cols[0]]
        t = sample.treat[keep]
        w = sample.weights[keep]
        if not t.any() or t.all():
            for j in cols:
                rows_out[j] = _empty_row(outcomes[j], se)
            continue
        Y = Y_all[keep][:, cols]
        clusters = [c[keep] for c in sample.clusters]
        att, m1, m0, se_cl = _att_block(Y, t, w, clusters if se == "cluster" else [])
        nb = None
        if se == "cluster":
            lo, hi, se_v = att - z * se_cl, att + z * se_cl, se_cl
            n_cl = "/".join(str(len(np.unique(c))) for c in clusters)
        elif se == "bootstrap":
            se_v, lo, hi = _bootstrap_block(Y, t, w, sample.boot_cluster[keep], int(n_boot), rng, level)
            n_cl = str(len(np.unique(sample.boot_cluster[keep])))
            nb = int(n_boot)
        elif se == "satt":
            resid = np.where(t[:, None], Y - m1[None, :], Y - m0[None, :])
            focal = t if sample.estimand == "ATT" else ~t
            se_v = np.sqrt(np.maximum(satt_variance(resid, w, focal, sample.set_codes[keep],
                                                    sample.person_codes[keep]), 0.0))
            lo, hi = att - z * se_v, att + z * se_v
            n_cl = str(len(np.unique(sample.person_codes[keep][~focal])))
        else:
            se_v, lo, hi = _rematch_block(draws, data, [outcomes[j] for j in cols], att, level)
            n_cl = ""
            nb = int(draws.n_boot)
        rows_kept = sample.rows[keep]
        n_t = len(np.unique(rows_kept[t & (w > 0)]))
        n_c = len(np.unique(rows_kept[~t & (w > 0)]))
        n_cp = len(np.unique(sample.person_codes[keep][~t & (w > 0)]))
        for k, j in enumerate(cols):
            rows_out[j] = {"outcome": outcomes[j], "att": att[k], "se": se_v[k], "ci_low": lo[k], "ci_high": hi[k],
                           "treated_mean": m1[k], "control_mean": m0[k], "n_treated": n_t, "n_control": n_c,
                           "n_control_persons": n_cp,
                           "se_type": se if se != "cluster" else "cluster(" + "+".join(sample.cluster_names) + ")",
                           "n_clusters": n_cl, "n_boot": nb}
    return pd.DataFrame([rows_out[j] for j in range(len(outcomes))],
                        columns=[*COLUMNS, "se_type", "n_clusters", "n_boot"])


def _rematch_block(draws, data: pd.DataFrame, outcomes: list[str], att: np.ndarray, level: float):
    """SE (SD of the replicates) and the normal interval around the estimate from replicates of the whole
    matching (replicates match other controls, so their quantiles are not centred on the estimate)."""
    from virkning.estimate.rematch import replicate_means

    Y = np.column_stack([data[o].to_numpy(dtype=np.float64, na_value=np.nan) for o in outcomes])
    draws.check_rows(~np.isnan(Y).all(axis=1), "outcome")
    m1, m0 = replicate_means(draws, Y)
    se = np.nanstd(m1 - m0, axis=0, ddof=1)
    z = scipy.special.ndtri(0.5 + level / 2)
    return se, att - z * se, att + z * se


def _empty_row(outcome: str, se: str) -> dict[str, object]:
    return {"outcome": outcome, "att": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan,
            "treated_mean": np.nan, "control_mean": np.nan, "n_treated": 0, "n_control": 0, "n_control_persons": 0,
            "se_type": se,
            "n_clusters": "0", "n_boot": None}

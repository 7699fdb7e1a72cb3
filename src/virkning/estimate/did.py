"""Classic 2x2 difference-in-differences: trial units against declared comparison units, before and after.

The seed's design (a before/after comparison with a difference-in-differences control group of comparable
municipalities, pooled over the trial municipalities and per municipality) as one call:

    >>> r = did_2x2(df, "employed", unit="municipality", period="mo", treated=trial, comparison=cluster,
    ...             pre=(mo_2016_01, mo_2016_12), post=(mo_2018_01, mo_2018_12))
    >>> r.to_frame()          # pooled and per trial unit: DiD, SE clustered by unit, CI, p, cell means

- ``observations="rows"``: every row is an observation (person x period); the cell means are means over rows.
  ``observations="unit-period"``: rows are first averaged to unit x period means (an indicator per unit and
  period) and every unit-period counts once.
- The estimate is the coefficient on treated x post in y = b0 + b1 treated + b2 post + b3 treated x post over
  the rows in the two windows, which equals (treated post - treated pre) - (comparison post - comparison pre)
  of the cell means. Its SE is cluster-robust by unit (CR1, Stata's factor; t(G-1) intervals), computed on
  unit x window cells, which gives the row-level sandwich exactly.
- Optionally the restricted wild cluster bootstrap (``n_boot``; see ``wild_bootstrap.py``) for the p-value and
  a test-inversion interval, advisable with few trial units.
- ``comparison`` is one list shared by every trial unit, or ``{trial unit: [its comparison units]}`` (the
  seed's cluster municipalities); the pooled estimate then uses the union of the sets.
- Every unit must have rows in both windows (a unit without a pre-period is a located error); units do not
  need every period (an unbalanced panel only changes which rows enter the cell means).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from virkning.errors import DesignError
from virkning.estimate.did_data import (check_columns, check_unit_ids, numeric_column, period_values,
                                        period_window, unit_list)
from virkning.estimate.did_ols import fit_cluster
from virkning.estimate.did_results import FewClustersWarning, ResultMixin, fmt_p, warn_few_treated
from virkning.estimate.options import check_choice
from virkning.estimate.wild_bootstrap import WildBootstrap, dense_residual_maker, wild_cluster_bootstrap

Observations = Literal["rows", "unit-period"]


@dataclass(frozen=True, repr=False)
class DidEstimate(ResultMixin):
    """One 2x2 comparison (pooled, or one trial unit against its comparison units)."""

    label: str
    outcome: str
    estimate: float
    se: float
    p_value: float
    ci_low: float
    ci_high: float
    cells: pd.DataFrame = field(compare=False)
    n_treated_units: int
    n_comparison_units: int
    n_clusters: int
    n_obs: int
    level: float
    bootstrap: WildBootstrap | None = None
    _title = "Difference-in-differences (2x2)"

    def to_frame(self) -> pd.DataFrame:
        c = self.cells.set_index(["group", "window"])["mean"]
        row = {"label": self.label, "outcome": self.outcome, "estimate": self.estimate, "se": self.se,
               "ci_low": self.ci_low, "ci_high": self.ci_high, "p_value": self.p_value,
               "treated_pre": c.get(("treated", "pre")), "treated_post": c.get(("treated", "post")),
               "comparison_pre": c.get(("comparison", "pre")), "comparison_post": c.get(("comparison", "post")),
               "n_treated_units": self.n_treated_units, "n_comparison_units": self.n_comparison_units,
               "n_clusters": self.n_clusters, "n_obs": self.n_obs}
        b = self.bootstrap
        row.update({"boot_p_value": b.p_value if b else np.nan, "boot_ci_low": b.ci_low if b else np.nan,
                    "boot_ci_high": b.ci_high if b else np.nan})
        return pd.DataFrame([row])

    def _summary_lines(self) -> list[str]:
        lines = [f"{self.label}: DiD {self.estimate:.4g} (SE {self.se:.4g}, p {fmt_p(self.p_value)}); "
                 f"{self.n_treated_units} treated and {self.n_comparison_units} comparison units"]
        if self.bootstrap is not None:
            b = self.bootstrap
            lines.append(f"wild cluster bootstrap ({b.weights}, {b.n_boot} draws): p {fmt_p(b.p_value)}, "
                         f"{round(self.level * 100)}% CI {b.ci_low:.4g} to {b.ci_high:.4g}")
        return lines


@dataclass(frozen=True, repr=False)
class DidResult(ResultMixin):
    """Pooled and per-trial-unit 2x2 estimates for one outcome."""

    outcome: str
    pre: tuple[int, int]
    post: tuple[int, int]
    observations: str
    pooled: DidEstimate
    by_unit: tuple[DidEstimate, ...]
    _title = "Difference-in-differences, trial units against comparison units"

    def to_frame(self) -> pd.DataFrame:
        return pd.concat([e.to_frame() for e in (self.pooled, *self.by_unit)], ignore_index=True)

    def cells(self) -> pd.DataFrame:
        """Cell means (group x window) of every comparison, with a ``label`` column."""
        return pd.concat([e.cells.assign(label=e.label) for e in (self.pooled, *self.by_unit)],
                         ignore_index=True)

    def _info(self) -> dict[str, object]:
        return {"outcome": self.outcome, "pre": self.pre, "post": self.post, "observations": self.observations}

    def _summary_lines(self) -> list[str]:
        return [f"outcome {self.outcome}; pre {self.pre[0]}-{self.pre[1]}, post {self.post[0]}-{self.post[1]}; "
                f"observations: {self.observations}; SE clustered by unit (CR1)"] + self.pooled._summary_lines()


def _comparison_sets(comparison: object, treated: list[object], units: Iterable[object]
                     ) -> tuple[list[object], dict[object, list[object]]]:
    if isinstance(comparison, Mapping):
        unit_list("comparison", list(comparison.keys()), treated)
        missing = [t for t in treated if t not in comparison]
        if missing:
            raise DesignError(f"option 'comparison': expected a comparison set for every trial unit; got none "
                              f"for {missing[:5]!r}.")
        sets = {t: unit_list(f"comparison[{t!r}]", comparison[t], units) for t in treated}
    else:
        shared = unit_list("comparison", comparison, units)
        sets = {t: shared for t in treated}
    for t, s in sets.items():
        if not s:
            raise DesignError(f"option 'comparison': expected at least one comparison unit for {t!r}; got none.")
        both = [u for u in s if u in set(treated)]
        if both:
            raise DesignError(f"option 'comparison': expected comparison units that are not trial units; got "
                              f"{both[:5]!r}, which are also in 'treated'. Remove them from the comparison set.")
    union = list(dict.fromkeys(u for t in treated for u in sets[t]))
    return union, sets


def _unit_window_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Sums per unit x window (columns u, post, w, wy, n, cl), sorted by unit and window: every 2x2 of a call is a
    function of these, so they are summed once (pandas' per-call overhead, not the rows, dominated)."""
    return frame.groupby(["u", "post"], sort=True, observed=True).agg(
        w=("w", "sum"), wy=("wy", "sum"), n=("n", "sum"), cl=("cl", "first")).reset_index()


def _estimate(label: str, outcome: str, all_cells: pd.DataFrame, treated: list[object], comparison: list[object],
              level: float, n_boot: int, boot_weights: str, seed: int | None) -> DidEstimate:
    """One 2x2 on the unit x window cells of the units in `treated` and `comparison` (`_unit_window_cells`)."""
    members, trial = set(treated) | set(comparison), set(treated)
    units = all_cells["u"].to_numpy()
    keep = np.fromiter((u in members for u in units), bool, len(units))
    u = units[keep]
    t = np.fromiter((x in trial for x in u), float, len(u))
    p = all_cells["post"].to_numpy(dtype=float)[keep]
    w = all_cells["w"].to_numpy(dtype=float)[keep]
    wy = all_cells["wy"].to_numpy(dtype=float)[keep]
    n = all_cells["n"].to_numpy()[keep]
    y = wy / w
    X = np.column_stack([np.ones(len(u)), t, p, t * p])
    cl_codes = pd.factorize(all_cells["cl"].to_numpy()[keep])[0]
    n_obs = int(n.sum())
    fit = fit_cluster(y, X, cl_codes, weights=w, n_obs=n_obs, names=["intercept", "treated", "post", "treated:post"])
    se, pv, lo, hi = fit.t_test(3, level)
    boot = None
    if n_boot:
        sw = np.sqrt(w)
        boot = wild_cluster_bootstrap(sw * y, sw * X[:, 3], cl_codes, dense_residual_maker(X[:, :3] * sw[:, None]),
                                      n_obs=n_obs, n_params=4, n_boot=n_boot, weights=boot_weights, seed=seed,
                                      level=level)
    rows = []
    for group, tv in (("treated", 1.0), ("comparison", 0.0)):
        for window, pv_ in (("pre", 0.0), ("post", 1.0)):
            m = (t == tv) & (p == pv_)
            if m.any():
                rows.append({"group": group, "window": window, "mean": wy[m].sum() / w[m].sum(),
                             "n_obs": int(n[m].sum()), "n_units": len(set(u[m]))})
    summary = pd.DataFrame(rows, columns=["group", "window", "mean", "n_obs", "n_units"])
    return DidEstimate(label=label, outcome=outcome, estimate=float(fit.coef[3]), se=se, p_value=pv, ci_low=lo,
                       ci_high=hi, cells=summary, n_treated_units=len(treated), n_comparison_units=len(comparison),
                       n_clusters=fit.n_clusters, n_obs=n_obs, level=level, bootstrap=boot)


def did_2x2(data: pd.DataFrame, outcome: str, *, unit: str, period: str, treated: Sequence[object],
            comparison: Sequence[object] | Mapping[object, Sequence[object]], pre: tuple[int, int],
            post: tuple[int, int], observations: str = "rows", weights: str | None = None,
            cluster: str | None = None, by_unit: bool = True, level: float = 0.95, n_boot: int = 0,
            boot_weights: str = "rademacher", seed: int | None = None) -> DidResult:
    """Before/after difference-in-differences of trial units against comparison units, pooled and per unit.

    Parameters
    ----------
    data: long frame, one row per unit x period (x person).
    outcome: numeric outcome column (rows where it is missing are left out).
    unit, period: unit id column and integer period column.
    treated: the trial units; comparison: their comparison units (list, or {trial unit: list}).
    pre, post: inclusive (first, last) period windows before and after the start; pre must end before post.
    observations: 'rows' (each row counts) or 'unit-period' (rows averaged to unit x period first).
    weights: optional non-negative row weights (within unit-period when observations='unit-period').
    cluster: column to cluster on, constant within unit (default: the unit).
    by_unit: also estimate each trial unit against its comparison units.
    n_boot: wild cluster bootstrap draws (0 = none); boot_weights 'rademacher' or 'webb'; seed.
    """
    check_columns(data, outcome=outcome, unit=unit, period=period, weights=weights, cluster=cluster)
    observations = check_choice("observations", observations, Observations)
    if not 0 < level < 1:
        raise DesignError(f"option 'level': expected a confidence level between 0 and 1; got {level!r}.")
    check_unit_ids(data, unit)
    y = numeric_column(data, outcome, "outcome", allow_missing=True)
    per = period_values(data, period)
    w = np.ones(len(data)) if weights is None else numeric_column(data, weights, "weights", allow_missing=False)
    if np.any(w < 0):
        raise DesignError(f"option 'weights': expected non-negative weights; got negative values in {weights!r}.")
    units = pd.unique(data[unit])
    treated_l = unit_list("treated", treated, units)
    if not treated_l:
        raise DesignError("option 'treated': expected at least one trial unit; got none.")
    union, sets = _comparison_sets(comparison, treated_l, units)
    pre_w = period_window("pre", pre, per)
    post_w = period_window("post", post, per)
    if pre_w[1] >= post_w[0]:
        raise DesignError(f"option 'pre': expected the pre window to end before the post window starts; got pre "
                          f"{pre_w} and post {post_w}.")
    in_pre = (per >= pre_w[0]) & (per <= pre_w[1])
    in_post = (per >= post_w[0]) & (per <= post_w[1])
    keep = (in_pre | in_post) & data[unit].isin(set(treated_l) | set(union)).to_numpy() & ~np.isnan(y)
    frame = pd.DataFrame({"u": data[unit].to_numpy()[keep], "t": per[keep], "post": in_post[keep].astype(int),
                          "y": y[keep], "w": w[keep],
                          "cl": (data[cluster] if cluster else data[unit]).to_numpy()[keep]})
    if cluster:
        n_cl = frame.groupby("u")["cl"].nunique()
        if (n_cl > 1).any():
            raise DesignError(f"option 'cluster': expected a column constant within each unit; got several values "
                              f"of {cluster!r} for units {n_cl.index[n_cl > 1].tolist()[:5]!r}.")
    frame["wy"] = frame["w"] * frame["y"]
    frame["n"] = 1
    if observations == "unit-period":
        frame = frame.groupby(["u", "t"], sort=False).agg(post=("post", "first"), w=("w", "sum"), wy=("wy", "sum"),
                                                          cl=("cl", "first")).reset_index()
        frame = frame.assign(wy=frame["wy"] / frame["w"], w=1.0, n=1)
    have = frame.groupby("u")["post"].agg(["min", "max"])
    have = have.reindex(list(dict.fromkeys([*treated_l, *union])))
    no_pre = have.index[have["min"].isna() | (have["min"] > 0)].tolist()
    no_post = have.index[have["max"].isna() | (have["max"] < 1)].tolist()
    if no_pre:
        raise DesignError(f"option 'pre': expected rows with an outcome in the pre window {pre_w} for every unit; "
                          f"got none for {no_pre[:5]!r}. Widen the window or drop these units.")
    if no_post:
        raise DesignError(f"option 'post': expected rows with an outcome in the post window {post_w} for every "
                          f"unit; got none for {no_post[:5]!r}. Widen the window or drop these units.")
    cells = _unit_window_cells(frame)
    pooled = _estimate("pooled", outcome, cells, treated_l, union, level, n_boot, boot_weights, seed)
    warn_few_treated(int(frame.loc[frame["u"].isin(set(treated_l)), "cl"].nunique()), n_boot)
    per_unit: list[DidEstimate] = []
    if by_unit:
        warnings.warn("per-unit estimates compare one treated unit with its comparison units: a cluster-robust "
                      "SE (and the wild bootstrap) rests on a single treated cluster and is unreliable; read "
                      "them as descriptive contrasts (docs/did.md).", FewClustersWarning, stacklevel=2)
        for k, t in enumerate(treated_l):
            per_unit.append(_estimate(str(t), outcome, cells, [t], sets[t], level, n_boot, boot_weights,
                                      None if seed is None else seed + k + 1))
    return DidResult(outcome=outcome, pre=pre_w, post=post_w, observations=observations, pooled=pooled,
                     by_unit=tuple(per_unit))

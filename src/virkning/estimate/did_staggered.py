"""Staggered adoption: Callaway and Sant'Anna (2021) group-time average treatment effects ATT(g,t).

A "group" g is the set of units that start in period g. For every group and period, ATT(g,t) is a 2x2 DiD
between group g and a comparison group, from a base period to t:

- comparison ``control="never"``: units never treated in the data; ``"not-yet"``: never-treated units plus units
  not yet treated by max(t, base) + anticipation (and not in group g);
- base period (``base_period="varying"``, the R ``did`` default): for t >= g the period g - 1 - anticipation; for
  t < g the period before t, so pre-treatment ATT(g,t) are one-period placebo changes. ``"universal"`` uses
  g - 1 - anticipation for every t (then ATT(g, g-1-anticipation) = 0 by construction);
- ``anticipation`` = number of periods before the start in which units may already react;
- estimator: without covariates the difference of mean changes; with ``covariates`` (values taken in the
  earlier of the two periods) the doubly robust estimator ``method="dr"`` (default), or ``"reg"``/``"ipw"``.

Inference: each ATT(g,t) has an influence function over units (scaled by n/n_gt as in the R package); the
analytic variance is its mean square, clustered on ``cluster`` when given (sums within clusters). With
``n_boot`` the multiplier bootstrap (Rademacher weights, seeded) gives bootstrap SEs (the R package's
interquartile-range estimator) and the uniform confidence band over all ATT(g,t). The joint Wald pre-test of
parallel trends uses every pre-treatment ATT(g,t) (t < g) and the analytic variance.

Data handling (said in docs/did.md): one row per unit and period; units with a missing outcome (or covariate)
in any period are dropped with an ``UnbalancedPanelWarning`` (the R package's default for panels), or refused
with ``unbalanced="error"``. Treated units must have a period before their start (+ anticipation) and start
within the data; otherwise the call fails naming them. With ``control="never"`` and no never-treated units the
call fails; with ``"not-yet"`` and none, the last group serves only as comparison and periods from its start on
are left out (as the R package does).

Reproduces the R ``did`` package's published ``mpdta`` results (tests/estimate/test_did_mpdta.py).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypedDict

import numpy as np
import pandas as pd

from virkning.errors import DesignError
from virkning.estimate.did_2x2_panel import ESTIMATORS, att_means
from virkning.estimate.did_aggregate import AggregateResult, aggregate, bootstrap_band, cluster_se
from virkning.estimate.did_data import check_columns, check_unit_ids, numeric_column, period_values, unit_starts
from virkning.estimate.did_results import DroppedUnitsWarning, ResultMixin, UnbalancedPanelWarning, fmt_p
from virkning.estimate.options import check_choice

Control = Literal["never", "not-yet"]
Method = Literal["dr", "reg", "ipw"]
BasePeriod = Literal["varying", "universal"]
Unbalanced = Literal["drop", "error"]
NoPre = Literal["error", "drop"]


class Pretest(TypedDict):
    """The Wald pre-test of parallel trends (``note`` says why chi2 is missing, else "")."""

    chi2: float
    df: int
    p_value: float
    note: str


@dataclass(frozen=True, repr=False)
class GroupTimeResult(ResultMixin):
    """ATT(g,t) table with SEs, intervals, the pre-test, and what the aggregations need."""

    outcome: str
    table: pd.DataFrame = field(compare=False)
    influence: np.ndarray = field(repr=False, compare=False)  # n units x cells
    unit_group: np.ndarray = field(repr=False, compare=False)  # start period per unit, 0 = never treated
    cluster_codes: np.ndarray | None = field(repr=False, compare=False)
    control: str
    anticipation: int
    method: str
    base_period: str
    covariates: tuple[str, ...]
    n_units: int
    n_dropped: int  # units left out: unbalanced, or without a pre-period on request
    pretest: Pretest
    n_boot: int
    seed: int | None
    level: float
    _title = "Group-time average treatment effects (Callaway and Sant'Anna 2021)"

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def _info(self) -> dict[str, object]:
        return {"outcome": self.outcome, "control": self.control, "anticipation": self.anticipation,
                "method": self.method, "base_period": self.base_period, "covariates": list(self.covariates),
                "n_units": self.n_units, "n_dropped": self.n_dropped, "pretest": self.pretest,
                "n_boot": self.n_boot, "seed": self.seed, "level": self.level}

    def _summary_lines(self) -> list[str]:
        p = self.pretest
        comp = "never-treated" if self.control == "never" else "not-yet-treated"
        return [f"outcome {self.outcome}; {comp} comparison units; anticipation {self.anticipation}; base period "
                f"{self.base_period}; " + (f"method {self.method} with {', '.join(self.covariates)}"
                                           if self.covariates else "no covariates"),
                f"{self.n_units} units ({self.n_dropped} left out); SE from influence functions"
                + (f", uniform band from {self.n_boot} multiplier-bootstrap draws" if self.n_boot else ""),
                f"pre-test of parallel trends: chi2({p['df']}) = {p['chi2']:.3f}, p {fmt_p(p['p_value'])}"
                + (f" ({p['note']})" if p.get("note") else "")]

    def aggregate(self, kind: str = "group", *, min_e: float = -np.inf, max_e: float = np.inf,
                  balance_e: int | None = None, n_boot: int | None = None, seed: int | None = None,
                  level: float | None = None) -> AggregateResult:
        """Aggregate to 'simple', 'dynamic' (event time), 'group' or 'calendar' effects (see ``aggregate``)."""
        return aggregate(self, kind, min_e=min_e, max_e=max_e, balance_e=balance_e, n_boot=n_boot, seed=seed,
                         level=level)


def _panel(data: pd.DataFrame, outcome: str, unit: str, period: str, covariates: tuple[str, ...],
           cluster: str | None, unbalanced: str):
    """Wide arrays: Y (units x periods), X (periods x units x k), unit ids, periods, clusters; balanced."""
    check_unit_ids(data, unit)
    per = period_values(data, period)
    y = numeric_column(data, outcome, "outcome", allow_missing=True)
    frame = pd.DataFrame({"u": data[unit].to_numpy(), "t": per, "y": y})
    for j, c in enumerate(covariates):
        frame[f"x{j}"] = numeric_column(data, c, "covariates", allow_missing=True)
    dup = frame.duplicated(["u", "t"])
    if dup.any():
        ex = frame.loc[dup, ["u", "t"]].iloc[0].tolist()
        raise DesignError(f"option 'unit': expected one row per unit and period; got several for unit {ex[0]!r} "
                          f"in period {ex[1]}. For person-level data use the person id as 'unit' and the "
                          "municipality as 'cluster'.")
    periods = np.sort(frame["t"].unique())
    units = pd.unique(frame["u"])
    wide = frame.pivot(index="u", columns="t").reindex(index=units, columns=pd.MultiIndex.from_product(
        [frame.columns[2:], periods]))
    complete = ~wide.isna().any(axis=1).to_numpy()
    n_drop = int((~complete).sum())
    if n_drop:
        ids = units[~complete][:5].tolist()
        if unbalanced == "error":
            raise DesignError(f"option 'unbalanced': expected every unit observed (outcome and covariates) in every "
                              f"period; {n_drop} units are not, e.g. {ids!r}. Use unbalanced='drop' to leave them out.")
        warnings.warn(f"{n_drop} of {len(units)} units are not observed in every period (e.g. {ids!r}); they were "
                      "dropped to keep a balanced panel.", UnbalancedPanelWarning, stacklevel=3)
    wide = wide.loc[complete]
    Y = wide["y"].to_numpy(dtype=float)
    X = np.stack([np.column_stack([np.ones(len(wide))] + [wide[f"x{j}"][t].to_numpy(dtype=float)
                                                          for j in range(len(covariates))]) for t in periods])
    clusters = None
    if cluster:
        cl = data.groupby(unit, sort=False)[cluster].agg(["nunique", "first"]).reindex(wide.index)
        if (cl["nunique"] > 1).any():
            raise DesignError(f"option 'cluster': expected a column constant within each unit; got several values "
                              f"of {cluster!r} for units {cl.index[cl['nunique'] > 1].tolist()[:5]!r}.")
        clusters = pd.factorize(cl["first"])[0]
    return Y, X, wide.index.to_numpy(), periods, clusters, n_drop


def att_gt(data: pd.DataFrame, outcome: str, *, unit: str, period: str, start: str | Mapping,
           control: str = "never", anticipation: int = 0, covariates: Sequence[str] | str = (),
           method: str = "dr", base_period: str = "varying", cluster: str | None = None,
           unbalanced: str = "drop", no_pre_period: str = "error", n_boot: int = 999, seed: int | None = None,
           level: float = 0.95) -> GroupTimeResult:
    """Group-time ATT(g,t) of Callaway and Sant'Anna (2021) on a unit x period panel.

    ``start``: column (or {unit: period} mapping) with each unit's first treated period; missing, 0 or inf =
    never treated. ``no_pre_period="drop"`` leaves out treated units that start within ``anticipation`` periods
    of the first period (the R package drops them with a warning; the default here is to refuse). ``n_boot`` = 0
    skips the multiplier bootstrap (no uniform band). See the module docstring.
    """
    import scipy.stats  # on first use: 0.3 s off the start-up of a command that never calls this
    covs = (covariates,) if isinstance(covariates, str) else tuple(covariates)
    check_columns(data, outcome=outcome, unit=unit, period=period, covariates=list(covs), cluster=cluster)
    control = check_choice("control", control, Control)
    method = check_choice("method", method, Method)
    base_period = check_choice("base_period", base_period, BasePeriod)
    unbalanced = check_choice("unbalanced", unbalanced, Unbalanced)
    no_pre_period = check_choice("no_pre_period", no_pre_period, NoPre)
    if not isinstance(anticipation, (int, np.integer)) or anticipation < 0:
        raise DesignError(f"option 'anticipation': expected a whole number of periods >= 0; got {anticipation!r}.")
    if not isinstance(n_boot, (int, np.integer)) or (n_boot != 0 and n_boot < 99):
        raise DesignError(f"option 'n_boot': expected 0 (no bootstrap) or a number of draws >= 99; got {n_boot!r}.")
    if not 0 < level < 1:
        raise DesignError(f"option 'level': expected a confidence level between 0 and 1; got {level!r}.")
    starts = unit_starts(data, unit, start)
    Y, X, ids, periods, clusters, n_drop = _panel(data, outcome, unit, period, covs, cluster, unbalanced)
    G = starts.reindex(ids).fillna(0.0).to_numpy(dtype=float)
    first, last = int(periods[0]), int(periods[-1])
    late = ids[G > last].tolist()
    if late:
        raise DesignError(f"option 'start': expected start periods within the data (last period {last}); got later "
                          f"starts for {late[:5]!r}. Code units that never start in the data as never treated.")
    is_early = (G > 0) & (G <= first + anticipation)
    if is_early.any() and no_pre_period == "error":
        raise DesignError(f"option 'start': expected a pre-period (before start - anticipation) for every treated "
                          f"unit; got none for {ids[is_early][:5].tolist()!r} (first period {first}). Drop these "
                          "units, or pass no_pre_period='drop'.")
    if is_early.any():
        warnings.warn(f"{int(is_early.sum())} treated units start by period {first + anticipation} and have no "
                      "pre-period; they were left out.", DroppedUnitsWarning, stacklevel=2)
        Y, X, ids, G = Y[~is_early], X[:, ~is_early], ids[~is_early], G[~is_early]
        clusters = None if clusters is None else pd.factorize(clusters[~is_early])[0]
    n_drop += int(is_early.sum())
    glist = np.unique(G[G > 0])
    if glist.size == 0:
        raise DesignError("option 'start': expected at least one treated unit (a start period); got none.")
    if not np.any(G == 0):
        if control == "never":
            raise DesignError("option 'control': expected never-treated comparison units with control='never'; got "
                              "none. Use control='not-yet' (not-yet-treated units as comparison).")
        latest = glist.max()
        warnings.warn(f"no never-treated units: the last group ({int(latest)}) serves only as comparison and periods "
                      f"from {int(latest - anticipation)} on are left out.", UserWarning, stacklevel=2)
        keep_t = periods < latest - anticipation
        Y, X, periods = Y[:, keep_t], X[keep_t], periods[keep_t]
        glist = glist[glist < latest]
        if glist.size == 0:
            raise DesignError("option 'control': no group is left with a not-yet-treated comparison group.")
    n = len(ids)
    fn = ESTIMATORS[method]
    rows, infs = [], []
    t_from = 1 if base_period == "varying" else 0
    for g in glist:
        before = np.flatnonzero(periods + anticipation < g)
        base_g = int(before[-1])
        in_g = G == g
        for ti in range(t_from, len(periods)):
            t = periods[ti]
            post = g <= t
            bi = ti - 1 if (base_period == "varying" and not post) else base_g
            if ti == bi:  # universal base: the base period itself
                rows.append((g, t, 0.0, post, int(in_g.sum()), 0))
                infs.append(np.zeros(n))
                continue
            if control == "never":
                comp = G == 0
            else:
                comp = (G == 0) | ((G > periods[max(ti, bi)] + anticipation) & ~in_g)
            sel = in_g | comp
            n1 = int(sel.sum())
            if comp.sum() == 0:
                rows.append((g, t, np.nan, post, int(in_g.sum()), 0))
                infs.append(np.full(n, np.nan))
                continue
            dy = Y[sel, ti] - Y[sel, bi]
            D = in_g[sel].astype(float)
            if covs:
                att, inf = fn(dy, D, X[min(ti, bi)][sel], np.ones(n1))
            else:
                att, inf = att_means(dy, D)
            full = np.zeros(n)
            full[sel] = inf * (n / n1)
            rows.append((g, t, att, post, int(in_g.sum()), int(comp.sum())))
            infs.append(full)
    table = pd.DataFrame(rows, columns=["group", "period", "att", "post", "n_treated", "n_comparison"])
    inf = np.column_stack(infs)
    se = cluster_se(inf, clusters)
    z = scipy.stats.norm.ppf(0.5 + level / 2)
    table.insert(3, "se", se)
    table.insert(4, "ci_low", table["att"] - z * se)
    table.insert(5, "ci_high", table["att"] + z * se)
    table.insert(2, "event_time", table["period"] - table["group"])
    table[["group", "period", "event_time"]] = table[["group", "period", "event_time"]].astype(np.int64)
    if n_boot:
        se_b, crit = bootstrap_band(inf, clusters, int(n_boot), np.random.default_rng(seed), level)
        table["se_boot"] = se_b
        table["band_low"] = table["att"] - crit * se_b
        table["band_high"] = table["att"] + crit * se_b
        table["crit"] = crit
    pretest = _pretest(table, inf, clusters)
    return GroupTimeResult(outcome=outcome, table=table, influence=inf, unit_group=G, cluster_codes=clusters,
                           control=control, anticipation=int(anticipation), method=method if covs else "means",
                           base_period=base_period, covariates=covs, n_units=n, n_dropped=n_drop, pretest=pretest,
                           n_boot=int(n_boot), seed=seed, level=level)


def _pretest(table: pd.DataFrame, inf: np.ndarray, clusters: np.ndarray | None) -> Pretest:
    """Wald test that all pre-treatment ATT(g,t) are zero: n b' V^-1 b with the analytic V (R's pre-test)."""
    import scipy.stats  # on first use: 0.3 s off the start-up of a command that never calls this
    n = inf.shape[0]
    pre = np.flatnonzero((table["group"] > table["period"]).to_numpy() & np.isfinite(table["se"].to_numpy())
                         & (table["se"].to_numpy() > 0))
    if pre.size == 0:
        return {"chi2": np.nan, "df": 0, "p_value": np.nan, "note": "no pre-treatment ATT(g,t)"}
    sub = inf[:, pre]
    if clusters is not None:
        sums = np.zeros((int(clusters.max()) + 1, pre.size))
        np.add.at(sums, clusters, sub)
        V = sums.T @ sums / n
    else:
        V = sub.T @ sub / n
    b = table["att"].to_numpy()[pre]
    if np.linalg.cond(V) > 1 / np.finfo(float).eps:
        return {"chi2": np.nan, "df": int(pre.size), "p_value": np.nan,
                "note": f"singular covariance of the {pre.size} pre-treatment ATT(g,t) (as many or more than the "
                        f"{n if clusters is None else int(clusters.max()) + 1} units or clusters); see the "
                        "dynamic aggregation's pre-period estimates instead"}
    W = float(n * b @ np.linalg.solve(V, b))
    return {"chi2": W, "df": int(pre.size), "p_value": float(scipy.stats.chi2.sf(W, pre.size)), "note": ""}

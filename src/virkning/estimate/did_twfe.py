"""Two-way fixed effects: the static DiD regression and the event study (leads and lags), clustered by unit.

    y_it = a_i + l_t + b D_it + e_it,  D_it = 1 when unit i has started by period t        (``twfe_did``)
    y_it = a_i + l_t + sum_k b_k 1(t - start_i = k) + e_it,  k in the window, k != reference  (``event_study``)

Rows may be unit x period or unit x period x person; the fit runs on unit x period cells with the row counts
(or summed weights) as weights, which reproduces the row-level coefficients and unit-clustered variance exactly
(see ``did_ols``). Standard errors: CR1 by unit (or a ``cluster`` column constant within units), intervals with
t(G-1); for the static coefficient also the restricted wild cluster bootstrap (``n_boot``).

Event study conventions: event time k = period - start (in period units); the reference period (default -1) is
left out and shown as 0; with ``endpoints="bin"`` the first and last event times of the window collect every
earlier / later period of treated units (binned endpoints), with ``"drop"`` those rows are left out. The joint
pre-trend test is the Wald test that every lead (k < 0 other than the reference) is zero, reported as chi2 and
as Stata's F(q, G-1). With staggered starts and effects that change over time, TWFE coefficients mix
comparisons of later- with earlier-treated units (Goodman-Bacon 2021; Sun and Abraham 2021); use
``att_gt``/``aggregate`` (Callaway and Sant'Anna) for those designs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from virkning.errors import DesignError
from virkning.estimate.did_data import (check_columns, check_unit_ids, numeric_column, period_values,
                                        unit_starts)
from virkning.estimate.did_ols import ClusterFit, TwoWayAbsorber, fit_cluster
from virkning.estimate.did_results import ResultMixin, coefficient_plot, fmt_p, warn_few_treated
from virkning.estimate.options import check_choice
from virkning.estimate.wild_bootstrap import WildBootstrap, wild_cluster_bootstrap

Endpoints = Literal["bin", "drop"]


@dataclass(frozen=True)
class _Cells:
    frame: pd.DataFrame  # u, t (period), cl, w, y (weighted cell mean), n, start
    n_obs: int
    absorber: TwoWayAbsorber
    u_codes: np.ndarray
    cl_codes: np.ndarray


def _cells(data: pd.DataFrame, outcome: str, unit: str, period: str, start: str | Mapping, weights: str | None,
           cluster: str | None, keep: Callable[[pd.DataFrame], np.ndarray] | None = None) -> _Cells:
    check_columns(data, outcome=outcome, unit=unit, period=period, weights=weights, cluster=cluster)
    check_unit_ids(data, unit)
    y = numeric_column(data, outcome, "outcome", allow_missing=True)
    per = period_values(data, period)
    w = np.ones(len(data)) if weights is None else numeric_column(data, weights, "weights", allow_missing=False)
    if np.any(w < 0):
        raise DesignError(f"option 'weights': expected non-negative weights; got negative values in {weights!r}.")
    starts = unit_starts(data, unit, start)
    ok = ~np.isnan(y) & (w > 0)
    frame = pd.DataFrame({"u": data[unit].to_numpy()[ok], "t": per[ok], "y": y[ok], "w": w[ok],
                          "cl": (data[cluster] if cluster else data[unit]).to_numpy()[ok]})
    if cluster:
        n_cl = frame.groupby("u")["cl"].nunique()
        if (n_cl > 1).any():
            raise DesignError(f"option 'cluster': expected a column constant within each unit; got several values "
                              f"of {cluster!r} for units {n_cl.index[n_cl > 1].tolist()[:5]!r}.")
    frame["start"] = frame["u"].map(starts).to_numpy(dtype=float)
    treated = starts.dropna()
    if treated.empty:
        raise DesignError("option 'start': expected at least one treated unit (a start period); got none.")
    lo, hi = int(frame["t"].min()), int(frame["t"].max())
    late = treated.index[treated > hi].tolist()
    if late:
        raise DesignError(f"option 'start': expected start periods within the data (last period {hi}); got later "
                          f"starts for {late[:5]!r}. Code units that never start in the data as never treated "
                          "(missing start).")
    first_seen = frame.groupby("u")["t"].min()
    no_pre = [u for u in treated.index if u in first_seen.index and first_seen[u] >= treated[u]]
    if no_pre:
        raise DesignError(f"option 'start': expected a period before the start for every treated unit; got none "
                          f"for {no_pre[:5]!r} (first period in the data {lo}). Drop these units or use data "
                          "that begin earlier.")
    if frame["start"].notna().all() and len(treated.unique()) == 1:
        raise DesignError("option 'start': expected comparison units (never treated, or starting at another "
                          "time); got every unit starting in the same period.")
    frame["wy"] = frame["w"] * frame["y"]
    frame["n"] = 1
    if keep is not None:
        frame = frame[keep(frame)]
    cells = frame.groupby(["u", "t"], sort=True).agg(w=("w", "sum"), wy=("wy", "sum"), n=("n", "sum"),
                                                     cl=("cl", "first"), start=("start", "first")).reset_index()
    cells["y"] = cells["wy"] / cells["w"]
    u_codes = pd.factorize(cells["u"])[0]
    t_codes = pd.factorize(cells["t"], sort=True)[0]
    absorber = TwoWayAbsorber(u_codes, t_codes, cells["w"].to_numpy(dtype=float))
    return _Cells(frame=cells, n_obs=int(cells["n"].sum()), absorber=absorber, u_codes=u_codes,
                  cl_codes=pd.factorize(cells["cl"])[0])


@dataclass(frozen=True, repr=False)
class TwfeResult(ResultMixin):
    """Static two-way fixed effects DiD coefficient with CR1 and (optionally) wild bootstrap inference."""

    outcome: str
    estimate: float
    se: float
    p_value: float
    ci_low: float
    ci_high: float
    n_units: int
    n_treated_units: int
    n_clusters: int
    n_obs: int
    level: float
    bootstrap: WildBootstrap | None = None
    _title = "Two-way fixed effects DiD"

    def to_frame(self) -> pd.DataFrame:
        b = self.bootstrap
        return pd.DataFrame([{"outcome": self.outcome, "estimate": self.estimate, "se": self.se,
                              "ci_low": self.ci_low, "ci_high": self.ci_high, "p_value": self.p_value,
                              "boot_p_value": b.p_value if b else np.nan, "boot_ci_low": b.ci_low if b else np.nan,
                              "boot_ci_high": b.ci_high if b else np.nan, "n_units": self.n_units,
                              "n_treated_units": self.n_treated_units, "n_clusters": self.n_clusters,
                              "n_obs": self.n_obs}])

    def _summary_lines(self) -> list[str]:
        out = [f"outcome {self.outcome}: {self.estimate:.4g} (SE {self.se:.4g}, CR1 by unit, t({self.n_clusters - 1})"
               f", p {fmt_p(self.p_value)}); {self.n_treated_units} treated of {self.n_units} units"]
        if self.bootstrap is not None:
            b = self.bootstrap
            out.append(f"wild cluster bootstrap ({b.weights}, {b.n_boot} draws"
                       f"{', all sign vectors' if b.enumerated else ''}): p {fmt_p(b.p_value)}, "
                       f"{round(self.level * 100)}% CI {b.ci_low:.4g} to {b.ci_high:.4g}")
        return out


def twfe_did(data: pd.DataFrame, outcome: str, *, unit: str, period: str, start: str | Mapping,
             weights: str | None = None, cluster: str | None = None, level: float = 0.95, n_boot: int = 0,
             boot_weights: str = "rademacher", p_type: str = "symmetric", seed: int | None = None) -> TwfeResult:
    """Static TWFE DiD: coefficient on 'started' with unit and period fixed effects, clustered by unit.

    ``start`` is a column (first treated period per unit; missing/0 = never) or a {unit: start} mapping.
    ``n_boot`` > 0 adds the restricted wild cluster bootstrap (``boot_weights`` 'rademacher' or 'webb').
    """
    if not 0 < level < 1:
        raise DesignError(f"option 'level': expected a confidence level between 0 and 1; got {level!r}.")
    c = _cells(data, outcome, unit, period, start, weights, cluster)
    f = c.frame
    d = (f["start"].notna() & (f["t"] >= f["start"])).to_numpy(dtype=float)
    w = f["w"].to_numpy(dtype=float)
    y = f["y"].to_numpy(dtype=float)
    fit = fit_cluster(y, d, c.cl_codes, absorber=c.absorber, weights=w, n_obs=c.n_obs, names=["started"])
    se, p, lo, hi = fit.t_test(0, level)
    warn_few_treated(int(f.loc[f["start"].notna(), "cl"].nunique()), n_boot)
    boot = None
    if n_boot:
        sw = np.sqrt(w)

        def resid(m: np.ndarray) -> np.ndarray:
            return c.absorber.residualize(m / (sw[:, None] if m.ndim == 2 else sw)) * (
                sw[:, None] if m.ndim == 2 else sw)

        boot = wild_cluster_bootstrap(sw * y, sw * d, c.cl_codes, resid, n_obs=c.n_obs, n_params=fit.n_params,
                                      n_boot=n_boot, weights=boot_weights, p_type=p_type, seed=seed, level=level)
    return TwfeResult(outcome=outcome, estimate=float(fit.coef[0]), se=se, p_value=p, ci_low=lo, ci_high=hi,
                      n_units=int(f["u"].nunique()), n_treated_units=int(f.loc[f["start"].notna(), "u"].nunique()),
                      n_clusters=fit.n_clusters, n_obs=c.n_obs, level=level, bootstrap=boot)


@dataclass(frozen=True, repr=False)
class EventStudyResult(ResultMixin):
    """Event-study coefficients per event time, ready for a coefficient plot, and the joint pre-trend test."""

    outcome: str
    table: pd.DataFrame = field(compare=False)
    reference: int
    window: tuple[int, int]
    endpoints: str
    pretrend: dict[str, float]
    n_units: int
    n_clusters: int
    n_obs: int
    level: float
    _title = "Event study (two-way fixed effects)"

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def _info(self) -> dict[str, object]:
        return {"outcome": self.outcome, "reference": self.reference, "window": self.window,
                "endpoints": self.endpoints, "pretrend": self.pretrend, "n_clusters": self.n_clusters}

    def _summary_lines(self) -> list[str]:
        pt = self.pretrend
        return [f"outcome {self.outcome}; event time = period - start, reference {self.reference}, window "
                f"{self.window[0]}..{self.window[1]} ({'binned' if self.endpoints == 'bin' else 'trimmed'} ends); "
                f"CR1 by unit, {self.n_clusters} clusters",
                f"pre-trend test (all leads = 0): F({pt['df']}, {pt['df_denom']}) = {pt['F']:.3f}, p "
                f"{fmt_p(pt['p_F'])}; chi2({pt['df']}) = {pt['chi2']:.3f}, p {fmt_p(pt['p_chi2'])}"]

    def plot(self, *, title: str | None = None):
        """Coefficient plot: estimate and interval per event time, reference at 0. Returns a matplotlib Figure."""
        t = self.table
        return coefficient_plot(t["event_time"].to_numpy(), t["estimate"], t["ci_low"], t["ci_high"],
                                xlabel="Periods since start", ylabel=f"Effect on {self.outcome}",
                                title=title or f"Event study, {round(self.level * 100)}% confidence intervals",
                                divider=self.reference + 0.5)


def event_study(data: pd.DataFrame, outcome: str, *, unit: str, period: str, start: str | Mapping,
                window: tuple[int, int] = (-4, 4), reference: int = -1, endpoints: str = "bin",
                weights: str | None = None, cluster: str | None = None, level: float = 0.95) -> EventStudyResult:
    """Leads and lags around each unit's start with unit and period fixed effects, clustered by unit."""
    endpoints = check_choice("endpoints", endpoints, Endpoints)
    try:
        kmin, kmax = (int(window[0]), int(window[1]))
    except (TypeError, ValueError, IndexError):
        raise DesignError(f"option 'window': expected (first, last) event times such as (-4, 4); got {window!r}."
                          ) from None
    if not kmin < 0 <= kmax:
        raise DesignError(f"option 'window': expected first < 0 <= last; got {window!r}.")
    if not kmin <= reference < 0 or (endpoints == "bin" and reference == kmin):
        raise DesignError(f"option 'reference': expected a lead inside the window (and not a binned endpoint); got "
                          f"{reference!r} with window {window!r}.")
    if not 0 < level < 1:
        raise DesignError(f"option 'level': expected a confidence level between 0 and 1; got {level!r}.")

    def keep(f: pd.DataFrame) -> np.ndarray:
        if endpoints == "bin":
            return np.ones(len(f), bool)
        k = f["t"] - f["start"]
        return (f["start"].isna() | ((k >= kmin) & (k <= kmax))).to_numpy()

    c = _cells(data, outcome, unit, period, start, weights, cluster, keep)
    f = c.frame
    k = (f["t"] - f["start"]).to_numpy(dtype=float)
    times = [e for e in range(kmin, kmax + 1) if e != reference]
    cols = []
    for e in times:
        if endpoints == "bin" and e == kmin:
            cols.append(k <= e)
        elif endpoints == "bin" and e == kmax:
            cols.append(k >= e)
        else:
            cols.append(k == e)
    X = np.column_stack(cols).astype(float)
    present = X.sum(axis=0) > 0
    if not present.all():
        gone = [times[j] for j in np.flatnonzero(~present)]
        raise DesignError(f"option 'window': expected treated units observed at every event time of the window; "
                          f"got none at {gone}. Narrow the window.")
    w = f["w"].to_numpy(dtype=float)
    fit: ClusterFit = fit_cluster(f["y"].to_numpy(dtype=float), X, c.cl_codes, absorber=c.absorber, weights=w,
                                  n_obs=c.n_obs, names=[f"k={e}" for e in times])
    rows = []
    units_at = [int(f.loc[X[:, j] > 0, "u"].nunique()) for j in range(len(times))]
    for j, e in enumerate(times):
        se, p, lo, hi = fit.t_test(j, level)
        rows.append({"event_time": e, "estimate": float(fit.coef[j]), "se": se, "ci_low": lo, "ci_high": hi,
                     "p_value": p, "reference": False,
                     "binned": endpoints == "bin" and e in (kmin, kmax), "n_units": units_at[j]})
    rows.append({"event_time": reference, "estimate": 0.0, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                 "p_value": np.nan, "reference": True, "binned": False,
                 "n_units": int(f.loc[k == reference, "u"].nunique())})
    table = pd.DataFrame(rows).sort_values("event_time").reset_index(drop=True)
    leads = [j for j, e in enumerate(times) if e < 0]
    pretrend = fit.wald(leads) if leads else {"chi2": np.nan, "df": 0, "p_chi2": np.nan, "F": np.nan,
                                               "df_denom": fit.df, "p_F": np.nan}
    return EventStudyResult(outcome=outcome, table=table, reference=reference, window=(kmin, kmax),
                            endpoints=endpoints, pretrend=pretrend, n_units=int(f["u"].nunique()),
                            n_clusters=fit.n_clusters, n_obs=c.n_obs, level=level)

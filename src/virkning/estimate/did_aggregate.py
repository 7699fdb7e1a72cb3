"""Aggregations of ATT(g,t) (Callaway and Sant'Anna 2021, section 3) and the multiplier bootstrap.

Weights are the groups' shares of units, P(G = g). The four aggregations, as in the R ``did`` package's
``aggte`` (post-treatment cells are those with t >= g):

- ``simple``: average of all post-treatment ATT(g,t), weighted by group size;
- ``dynamic``: per event time e = t - g, the group-size weighted average of ATT(g, g + e) (pre-treatment e
  included, as placebo estimates); overall = mean over e >= 0. ``min_e``/``max_e`` limit the event times;
  ``balance_e`` keeps only groups observed for at least ``balance_e`` periods after their start (fixed
  composition) and event times up to it;
- ``group``: per group, the mean of its post-treatment ATT(g,t) (up to ``max_e``); overall = group-size weighted;
- ``calendar``: per period t, the group-size weighted average of ATT(g,t) over groups started by t; overall =
  mean over periods.

Standard errors come from the aggregated influence function, including the estimation of the group shares
(the "wif" term of the R package); with clusters the influence function is summed within clusters. With
``n_boot`` draws the multiplier bootstrap (Rademacher weights per unit, or per cluster) gives bootstrap SEs,
estimated as the R package does by the interquartile range of the draws / (z_0.75 - z_0.25), and the critical
value of the uniform band: the 1 - alpha quantile (type 1, an order statistic) of max_j |draw_j / se_j|.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from virkning.errors import DesignError, EstimationError
from virkning.estimate.did_results import ResultMixin, coefficient_plot
from virkning.estimate.options import check_choice

if TYPE_CHECKING:
    from virkning.estimate.did_staggered import GroupTimeResult

Kind = Literal["simple", "dynamic", "group", "calendar"]
_TINY = float(np.sqrt(np.finfo(float).eps) * 10)


def cluster_se(inf: np.ndarray, clusters: np.ndarray | None) -> np.ndarray:
    """Analytic SE of each column of an influence-function matrix (n x k): sqrt(mean(psi^2) / n), or with
    clusters sqrt(sum_c S_c^2) / n; SEs at numerical zero are reported as NaN."""
    inf = inf[:, None] if inf.ndim == 1 else inf
    n = inf.shape[0]
    if clusters is None:
        se = np.sqrt(np.mean(inf * inf, axis=0) / n)
    else:
        sums = np.zeros((int(clusters.max()) + 1, inf.shape[1]))
        np.add.at(sums, clusters, inf)
        se = np.sqrt(np.sum(sums * sums, axis=0)) / n
    return np.where(se > _TINY, se, np.nan)


def _type1_quantile(x: np.ndarray, p: float, axis: int = 0) -> np.ndarray:
    """R's quantile(type = 1): the order statistic x_(ceil(B p))."""
    s = np.sort(x, axis=axis)
    k = max(int(np.ceil(s.shape[axis] * p)) - 1, 0)
    return np.take(s, k, axis=axis)


def multiplier_draws(inf: np.ndarray, clusters: np.ndarray | None, n_boot: int, rng: np.random.Generator
                     ) -> np.ndarray:
    """Bootstrap deviations (B x k): (1/n) sum_c v_c S_c with Rademacher v (per unit, or per cluster)."""
    n = inf.shape[0]
    if clusters is not None:
        S = np.zeros((int(clusters.max()) + 1, inf.shape[1]))
        np.add.at(S, clusters, inf)
    else:
        S = inf
    out = np.empty((n_boot, inf.shape[1]))
    chunk = max(1, min(n_boot, 2_000_000 // max(S.shape[0], 1)))
    for a in range(0, n_boot, chunk):
        b = min(n_boot, a + chunk)
        v = rng.integers(0, 2, size=(b - a, S.shape[0])) * 2.0 - 1.0
        out[a:b] = v @ S / n
    return out


def bootstrap_band(inf: np.ndarray, clusters: np.ndarray | None, n_boot: int, rng: np.random.Generator,
                   level: float) -> tuple[np.ndarray, float]:
    """Bootstrap SEs (IQR / (z75 - z25)) and the uniform critical value over the columns."""
    import scipy.stats  # on first use: 0.3 s off the start-up of a command that never calls this
    inf = inf[:, None] if inf.ndim == 1 else inf
    ok = np.all(np.isfinite(inf), axis=0)
    draws = multiplier_draws(np.where(ok, inf, 0.0), clusters, n_boot, rng)
    iqr_z = float(scipy.stats.norm.ppf(0.75) - scipy.stats.norm.ppf(0.25))
    se = (_type1_quantile(draws, 0.75) - _type1_quantile(draws, 0.25)) / iqr_z
    good = ok & (se > _TINY)
    se = np.where(good, se, np.nan)
    if not good.any():
        return se, float("nan")
    tmax = np.max(np.abs(draws[:, good] / se[good]), axis=1)
    return se, float(_type1_quantile(tmax, level))


@dataclass(frozen=True, repr=False)
class AggregateResult(ResultMixin):
    """An aggregation of ATT(g,t): the overall effect and the effects per event time, group or period."""

    kind: str
    outcome: str
    overall: float
    overall_se: float
    overall_ci: tuple[float, float]
    table: pd.DataFrame = field(compare=False)
    influence: np.ndarray = field(repr=False, compare=False)  # n x (rows of table)
    influence_overall: np.ndarray = field(repr=False, compare=False)
    overall_se_boot: float
    crit: float
    n_boot: int
    level: float
    min_e: float
    max_e: float
    balance_e: int | None

    @property
    def _title(self) -> str:  # type: ignore[override]
        return f"Aggregated ATT(g,t): {self.kind}"

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def _info(self) -> dict[str, object]:
        return {"kind": self.kind, "outcome": self.outcome, "overall": self.overall, "overall_se": self.overall_se,
                "overall_ci": self.overall_ci, "overall_se_boot": self.overall_se_boot, "crit": self.crit,
                "n_boot": self.n_boot, "level": self.level, "balance_e": self.balance_e}

    def _summary_lines(self) -> list[str]:
        pct = round(self.level * 100)
        line = (f"overall ATT {self.overall:.4f} (SE {self.overall_se:.4f}, {pct}% CI {self.overall_ci[0]:.4f} to "
                f"{self.overall_ci[1]:.4f})")
        if self.n_boot:
            line += f"; bootstrap SE {self.overall_se_boot:.4f}, uniform band critical value {self.crit:.3f}"
        return [f"outcome {self.outcome}", line]

    def plot(self, *, title: str | None = None):
        """Estimates per event time, group or period with the uniform band (pointwise intervals without the
        bootstrap). Returns a matplotlib Figure."""
        if self.kind == "simple":
            raise DesignError("plot: the simple aggregation is one number; plot 'dynamic', 'group' or 'calendar'.")
        t = self.table
        x = t.columns[0]
        band = "band_low" in t.columns
        lo, hi = (t["band_low"], t["band_high"]) if band else (t["ci_low"], t["ci_high"])
        what = f"{round(self.level * 100)}% {'uniform band' if band else 'pointwise intervals'}"
        labels = {"event_time": "Periods since start", "group": "Start period (group)", "period": "Period"}
        return coefficient_plot(t[x].to_numpy(), t["estimate"], lo, hi, xlabel=labels[x],
                                ylabel=f"ATT on {self.outcome}", title=title or f"ATT by {x.replace('_', ' ')}, {what}",
                                divider=-0.5 if x == "event_time" else None)


def _wif(keep: np.ndarray, pg: np.ndarray, unit_group: np.ndarray, cell_group: np.ndarray) -> np.ndarray:
    """Influence of estimating the group shares on a weighted average of the cells ``keep`` (n x len(keep))."""
    centered = (unit_group[:, None] == cell_group[keep][None, :]).astype(float) - pg[keep][None, :]
    s = pg[keep].sum()
    return centered / s - np.outer(centered.sum(axis=1), pg[keep] / s ** 2)


def _combine(att: np.ndarray, inf: np.ndarray, keep: np.ndarray, weights: np.ndarray,
             wif: np.ndarray | None) -> tuple[float, np.ndarray]:
    if keep.size == 0:
        raise EstimationError("aggregation: no ATT(g,t) fall in the requested cells.")
    if np.any(~np.isfinite(att[keep])):
        raise EstimationError("aggregation: some ATT(g,t) needed here could not be estimated (no comparison "
                              "units); narrow the aggregation (max_e) or use control='never'.")
    est = float(att[keep] @ weights)
    psi = inf[:, keep] @ weights
    if wif is not None:
        psi = psi + wif @ att[keep]
    return est, psi


def aggregate(result: GroupTimeResult, kind: str = "group", *, min_e: float = -np.inf, max_e: float = np.inf,
              balance_e: int | None = None, n_boot: int | None = None, seed: int | None = None,
              level: float | None = None) -> AggregateResult:
    """Aggregate ATT(g,t) into 'simple', 'dynamic', 'group' or 'calendar' effects (see the module docstring).

    ``n_boot``, ``seed`` and ``level`` default to those of the ATT(g,t) call.
    """
    import scipy.stats  # on first use: 0.3 s off the start-up of a command that never calls this
    kind = check_choice("kind", kind, Kind)
    n_boot = result.n_boot if n_boot is None else n_boot
    seed = result.seed if seed is None else seed
    level = result.level if level is None else level
    if balance_e is not None and (not isinstance(balance_e, (int, np.integer)) or balance_e < 0):
        raise DesignError(f"option 'balance_e': expected a whole number >= 0; got {balance_e!r}.")
    tab = result.table
    g = tab["group"].to_numpy(dtype=float)
    t = tab["period"].to_numpy(dtype=float)
    att = tab["att"].to_numpy(dtype=float)
    inf = result.influence
    G = result.unit_group
    glist = np.unique(g)
    pg_group = np.array([np.mean(G == x) for x in glist])
    pg = pg_group[np.searchsorted(glist, g)]
    e = t - g
    rows, psis = [], []
    if kind == "simple":
        keep = np.flatnonzero((g <= t) & (t <= g + max_e))
        est, psi = _combine(att, inf, keep, pg[keep] / pg[keep].sum(), _wif(keep, pg, G, g))
        overall, psi_overall = est, psi
    elif kind == "group":
        for x in glist:
            keep = np.flatnonzero((g == x) & (g <= t) & (t <= g + max_e))
            est, psi = _combine(att, inf, keep, np.full(keep.size, 1.0 / keep.size), None)
            rows.append({"group": int(x), "estimate": est})
            psis.append(psi)
        est_g = np.array([r["estimate"] for r in rows])
        all_g = np.arange(len(glist))
        overall, psi_overall = _combine(est_g, np.column_stack(psis), all_g, pg_group / pg_group.sum(),
                                        _wif(all_g, pg_group, G, glist))
    elif kind == "dynamic":
        include = np.ones(len(g), bool)
        eseq = np.unique(e)
        if balance_e is not None:
            include = (t.max() - g) >= balance_e
            eseq = np.unique(e[include])
            eseq = eseq[(eseq <= balance_e) & (eseq >= balance_e - t.max() + t.min())]
        eseq = eseq[(eseq >= min_e) & (eseq <= max_e)]
        if eseq.size == 0:
            raise DesignError("option 'min_e'/'max_e': expected event times inside the data; none is left.")
        for x in eseq:
            keep = np.flatnonzero((e == x) & include)
            est, psi = _combine(att, inf, keep, pg[keep] / pg[keep].sum(), _wif(keep, pg, G, g))
            rows.append({"event_time": int(x), "estimate": est})
            psis.append(psi)
        pos = np.flatnonzero(eseq >= 0)
        if pos.size == 0:
            raise DesignError("option 'min_e'/'max_e': expected at least one event time >= 0 for the overall effect.")
        est_e = np.array([r["estimate"] for r in rows])
        overall, psi_overall = _combine(est_e, np.column_stack(psis), pos, np.full(pos.size, 1.0 / pos.size), None)
    else:
        for x in np.unique(t[t >= g.min()]):
            keep = np.flatnonzero((t == x) & (g <= t))
            if keep.size == 0:
                continue
            est, psi = _combine(att, inf, keep, pg[keep] / pg[keep].sum(), _wif(keep, pg, G, g))
            rows.append({"period": int(x), "estimate": est})
            psis.append(psi)
        est_t = np.array([r["estimate"] for r in rows])
        all_t = np.arange(len(rows))
        overall, psi_overall = _combine(est_t, np.column_stack(psis), all_t, np.full(len(rows), 1.0 / len(rows)),
                                        None)
    clusters = result.cluster_codes
    z = float(scipy.stats.norm.ppf(0.5 + level / 2))
    se_all = float(cluster_se(psi_overall, clusters)[0])
    table = pd.DataFrame(rows) if rows else pd.DataFrame({"estimate": [overall]})
    inf_rows = np.column_stack(psis) if psis else psi_overall[:, None]
    se = cluster_se(inf_rows, clusters)
    table["se"] = se
    table["ci_low"] = table["estimate"] - z * se
    table["ci_high"] = table["estimate"] + z * se
    se_boot_all, crit = np.nan, np.nan
    if n_boot:
        rng = np.random.default_rng(seed)
        se_b, crit = bootstrap_band(inf_rows, clusters, int(n_boot), rng, level)
        table["se_boot"] = se_b
        table["band_low"] = table["estimate"] - crit * se_b
        table["band_high"] = table["estimate"] + crit * se_b
        se_boot_all = float(bootstrap_band(psi_overall, clusters, int(n_boot), rng, level)[0][0])
    return AggregateResult(kind=kind, outcome=result.outcome, overall=overall, overall_se=se_all,
                           overall_ci=(overall - z * se_all, overall + z * se_all), table=table,
                           influence=inf_rows, influence_overall=psi_overall, overall_se_boot=se_boot_all,
                           crit=crit, n_boot=int(n_boot), level=level, min_e=min_e, max_e=max_e, balance_e=balance_e)

"""Bootstrap of the whole matching: resample persons, re-estimate the propensity score, match again.

The fixed-sets bootstraps of ``effects`` and ``curves`` hold the propensity model and the matched sets fixed.
Here every replicate repeats the design on a bootstrap sample: persons (the ``cluster`` column, else rows) are
drawn with replacement, separately among persons with a treated row and the others (so every replicate has
as many participants as the data, the conditioning of Abadie and Imbens); all rows of a drawn person come
along, once per draw; the propensity model is re-fitted on the replicate; common support, calipers, exact
cells, antiexact rules, the order and the matching itself are applied again with the options of the original
call. Austin and Small (2014) found this "complex" bootstrap, which re-estimates the score and re-matches,
to give standard errors close to the empirical ones for matching without replacement. (For matching with
replacement and a fixed number of matches, Abadie and Imbens (2008) showed that bootstrapping the matching
estimator is not valid in general; the docs say so.)

What a replicate keeps is small: the matching weight of every data row (copies add up), a sparse matrix of
replicates x rows. The outcomes are not needed to match, so a caller can first run the replicates, then read
outcomes only for ``rows_needed`` (the rows matched in some replicate), which keeps a register evaluation from
reading the outcomes of a million candidates. Intervals from the replicates are normal intervals around the
estimate: a replicate matches other controls than the estimate did, so the replicates centre near the mean
over many sets of controls, and their percentile intervals over-cover (98-99.6 % in the coverage benchmark).

Choices that keep it affordable (and are first-order equivalent to re-fitting to convergence):

- The propensity model is re-fitted by one step from the full-sample estimate: beta* = beta + H^-1 X'((f - 1)
  (y - mu)) with the full-sample information H and the replicate's frequency weights f (the estimating-function
  bootstrap of Hu and Kalbfleisch 2000, first-order equivalent to re-fitting to convergence), the default from
  100,000 rows; below that two full Newton steps with the replicate's own weights (Andrews 2002), which come
  within 1 % of the converged replicate fit (the tests check both).
- Mahalanobis coordinates (the covariance scaling) are those of the full sample.
- The compatibility mode of MatchIt 4.5.1 is not reproduced in the replicates (they use the correct search).
- Replicates run in ``workers`` threads; each has its own random stream spawned from ``seed``, so the result
  does not depend on the number of threads.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse

from virkning.errors import DesignError, EstimationError
from virkning.estimate.matching import common_support
from virkning.estimate.model_matrix import ModelMatrix, codes_and_levels, exact_cells, mahalanobis_coordinates
from virkning.estimate.nearest import Constraints, nn_mahalanobis, nn_vector, processing_order
from virkning.estimate.propensity import PropensityFit, _link_parts, _solve

if TYPE_CHECKING:
    from virkning.estimate.result import MatchResult


class RematchWarning(UserWarning):
    """Some bootstrap replicates could not be matched and were left out."""


@dataclass(frozen=True)
class RematchDraws:
    """Matching weights of every data row in each bootstrap replicate of the whole matching.

    ``weights[b, r]`` is the weight of data row r in replicate b (zero if it was not drawn or not matched; a
    row drawn twice and matched twice adds both weights). ``treat`` is the treatment of each data row.
    """

    weights: scipy.sparse.csr_matrix = field(repr=False)
    treat: np.ndarray = field(repr=False)
    n_boot: int
    seed: int | None
    unit: str
    newton_steps: int
    seconds: float
    n_failed: int = 0

    @property
    def rows_needed(self) -> np.ndarray:
        """Data rows with a positive weight in some replicate: their outcomes are needed."""
        return np.unique(self.weights.indices)

    def check_rows(self, observed: np.ndarray, what: str) -> None:
        """Raise if a row used by some replicate has no outcome (``observed`` is False for it)."""
        missing = self.rows_needed[~np.asarray(observed, dtype=bool)[self.rows_needed]]
        if len(missing):
            raise EstimationError(f"re-matching bootstrap: {len(missing)} row(s) matched in some replicate have no "
                                  f"{what} (e.g. rows {missing[:5].tolist()}); read the outcomes for "
                                  "draws.rows_needed before estimating.")

    def __repr__(self) -> str:
        return (f"RematchDraws({self.n_boot} replicates, resampling {self.unit}, {len(self.rows_needed):,} rows "
                f"matched in some replicate, {self.seconds:.1f} s)")


@dataclass
class _Plan:
    """Everything a replicate needs, computed once from the original match.

    Rows are kept in the model matrix's internal order (``perm[i]`` is the data row of internal row i), so a
    replicate never permutes the propensity arrays; only the matched rows are mapped back to data rows.
    """

    result: MatchResult
    n: int
    perm: np.ndarray
    treat: np.ndarray
    focal: np.ndarray
    cells: np.ndarray
    unit_codes: np.ndarray
    strata: list[np.ndarray]
    base_order: np.ndarray  # rows by (cell, original distance): replicates start nearly sorted
    mx: ModelMatrix | None = None
    y_int: np.ndarray | None = None
    beta_all: np.ndarray | None = None
    free_all: np.ndarray | None = None
    beta_kept: np.ndarray | None = None
    free_kept: np.ndarray | None = None
    eta_all: np.ndarray | None = None  # full-sample linear predictor, for the one-step update
    unit_scores: np.ndarray | None = None  # per unit: sum over its rows of x_i (y_i - mu_i), free terms
    hinv_all: np.ndarray | None = None  # inverse information matrix on the free terms
    coords: np.ndarray | None = None
    anti: np.ndarray | None = None
    cal_values: np.ndarray | None = None


def _coef_in(mx: ModelMatrix, fit: PropensityFit) -> tuple[np.ndarray, np.ndarray]:
    """A fit's coefficients on all terms of ``mx`` (0 for terms the fit dropped) and which terms are free."""
    pos = {name: j for j, name in enumerate(mx.names)}
    beta = np.zeros(len(mx.names))
    free = np.zeros(len(mx.names), dtype=bool)
    for name, b in zip(fit.terms, fit.coef):
        beta[pos[name]] = b
        free[pos[name]] = True
    return beta, free


def _unit_scores(mx: ModelMatrix, units: np.ndarray, n_units: int, r: np.ndarray) -> np.ndarray:
    """Sum over each unit's rows of x_i r_i (units x terms, term order); rows in internal order."""
    rows = np.arange(mx.n)
    A = scipy.sparse.csr_matrix((r, (units, rows)), shape=(n_units, mx.n))
    out = np.zeros((n_units, len(mx.names)))
    out[:, mx.order[:mx.n_numeric]] = A @ mx.numeric
    if mx.table is not None:
        assert mx.bounds is not None  # set together with table
        groups = np.repeat(np.arange(mx.table.shape[0]), np.diff(mx.bounds))
        G = scipy.sparse.csr_matrix((r, (units, groups)), shape=(n_units, mx.table.shape[0]))
        out[:, mx.order[mx.n_numeric:]] = G @ mx.table
    return out


def _plan(result, unit: str | None) -> _Plan:
    cfg = result.config
    data = result.source
    n = len(data)
    mx = ModelMatrix(data, cfg.covariates, intercept=True, drop_first=True) if result.propensity is not None \
        else None
    perm = mx.perm if (mx is not None and mx.perm is not None) else np.arange(n)
    treat = np.asarray(result.treat, dtype=bool)[perm]
    cells = exact_cells(data, cfg.exact)[0][perm]
    if unit is None:
        codes = np.arange(n, dtype=np.int64)[perm]
    else:
        if unit not in data.columns:
            raise DesignError(f"option 'unit': column {unit!r} not in the data.")
        if data[unit].isna().any():
            raise DesignError(f"option 'unit': column {unit!r} has missing values; every row needs a person.")
        codes = codes_and_levels(data[unit])[0][perm]
    n_units = int(codes.max()) + 1
    ever = np.zeros(n_units, dtype=bool)
    ever[codes[treat]] = True
    present = np.zeros_like(ever)
    present[codes] = True
    strata = [np.flatnonzero(ever & present), np.flatnonzero(~ever & present)]
    dist0 = None if result.distance is None else np.asarray(result.distance)[perm]
    plan = _Plan(result=result, n=n, perm=perm, treat=treat, focal=treat if cfg.estimand == "ATT" else ~treat,
                 cells=cells, unit_codes=codes, strata=[s for s in strata if len(s)],
                 base_order=np.arange(n) if dist0 is None else np.lexsort((dist0, cells)))
    if mx is not None:
        plan.mx = mx
        plan.y_int = mx.to_internal(data[cfg.treatment].to_numpy(dtype=np.float64))
        first = result.propensity_all if result.propensity_all is not None else result.propensity
        plan.beta_all, plan.free_all = _coef_in(mx, first)
        plan.eta_all = mx.matvec(plan.beta_all)
        mu, mu_eta = _link_parts(plan.eta_all)
        xtwx, _ = mx.cross(mu_eta * mu_eta / (mu * (1.0 - mu)))
        free = plan.free_all
        plan.hinv_all = np.linalg.pinv(xtwx[np.ix_(free, free)])
        plan.unit_scores = _unit_scores(mx, codes, n_units, plan.y_int - mu)[:, free]
        if result.propensity_all is not None:
            plan.beta_kept, plan.free_kept = _coef_in(mx, result.propensity)
    if cfg.distance == "mahalanobis" or cfg.mahvars:
        plan.coords = mahalanobis_coordinates(data, cfg.mahalanobis_columns, result.treat,
                                              keep=~result.discarded_mask)[perm]
    if cfg.antiexact:
        plan.anti = np.column_stack([codes_and_levels(data[c])[0] for c in cfg.antiexact])[perm]
    if cfg.covariate_calipers:
        plan.cal_values = np.column_stack([data[c.variable].to_numpy(dtype=np.float64)
                                           for c in cfg.covariate_calipers])[perm]
    return plan


def _newton(mx: ModelMatrix, y: np.ndarray, f_int: np.ndarray, beta: np.ndarray, free: np.ndarray,
            steps: int) -> np.ndarray:
    """Newton (IRLS) steps for the logistic model with frequency weights, from ``beta``."""
    beta = beta.copy()
    for _ in range(steps):
        mu, mu_eta = _link_parts(mx.matvec(beta))
        w = f_int * mu_eta * mu_eta / (mu * (1.0 - mu))
        xtwx, xtwr = mx.cross(w, (y - mu) / mu_eta)
        assert xtwr is not None  # cross returns X'Wr when r is given
        use = free & (np.diag(xtwx) > 0)  # a level absent from the replicate keeps its coefficient
        step = np.zeros_like(beta)
        try:
            step[use] = _solve(xtwx[np.ix_(use, use)], xtwr[use])
        except np.linalg.LinAlgError:
            step[use] = np.linalg.lstsq(xtwx[np.ix_(use, use)], xtwr[use], rcond=None)[0]
        beta += step
    return beta


def _distance(plan: _Plan, eta: np.ndarray) -> np.ndarray:
    return eta if plan.result.config.distance == "logit" else _link_parts(eta)[0]


def _sparse_weights(n_rows: int, focal_rows: np.ndarray, mm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """MatchIt's weights (see ``nearest.matchit_weights``) as (positions, weights) of the matched positions."""
    filled = mm >= 0
    k = filled.sum(axis=1)
    has = k > 0
    r, c = np.nonzero(filled)
    pos, inv = np.unique(mm[r, c], return_inverse=True)
    w = np.bincount(inv, weights=1.0 / k[r])
    w *= len(pos) / w.sum()  # other-group weights sum to the number of distinct matched units
    return np.concatenate([focal_rows[has], pos]), np.concatenate([np.ones(int(has.sum())), w])


def _replicate(plan: _Plan, rng: np.random.Generator, steps: int) -> tuple[np.ndarray, np.ndarray] | None:
    """One replicate: (data rows with a positive weight, their weights), or None if nothing matched."""
    cfg = plan.result.config
    counts = np.zeros(int(plan.unit_codes.max()) + 1, dtype=np.int64)
    for units in plan.strata:
        draws = rng.integers(0, len(units), size=len(units))
        counts[units] += np.bincount(draws, minlength=len(units))
    f = counts[plan.unit_codes]
    discarded = None
    dist = None
    if plan.mx is not None:
        # _plan fills these together with mx
        assert plan.y_int is not None and plan.beta_all is not None and plan.free_all is not None
        assert plan.eta_all is not None and plan.hinv_all is not None and plan.unit_scores is not None
        if steps == 0:
            # one step from the full-sample fit with its information matrix: the replicate's score is
            # sum_i f_i x_i (y_i - mu_i) = sum_units (count - 1) * unit score (the full-sample score is zero)
            step = np.zeros_like(plan.beta_all)
            step[plan.free_all] = plan.hinv_all @ ((counts - 1.0) @ plan.unit_scores)
            dist = _distance(plan, plan.eta_all + plan.mx.matvec(step))
        else:
            beta = _newton(plan.mx, plan.y_int, f.astype(np.float64), plan.beta_all, plan.free_all, steps)
            dist = _distance(plan, plan.mx.matvec(beta))
        if cfg.discard != "none":
            drawn = f > 0
            discarded = np.zeros(plan.n, dtype=bool)
            discarded[drawn] = common_support(plan.treat[drawn], dist[drawn], cfg.discard)
            if cfg.reestimate and discarded.any():
                start = plan.beta_kept if plan.beta_kept is not None else plan.beta_all
                free = plan.free_kept if plan.free_kept is not None else plan.free_all
                beta = _newton(plan.mx, plan.y_int, (f * ~discarded).astype(np.float64), start, free, max(steps, 1))
                dist = np.where(discarded, dist, _distance(plan, plan.mx.matvec(beta)))
    # calipers use the SD over all drawn copies that are not discarded
    f_kept = f if discarded is None else np.where(discarded, 0, f)
    cal_sd = None
    if dist is not None and cfg.caliper is not None and cfg.std_caliper:
        m_ = np.sum(f_kept * dist) / f_kept.sum()
        cal_sd = float(np.sqrt(np.sum(f_kept * (dist - m_) ** 2) / (f_kept.sum() - 1)))
    # expanded rows (a row drawn twice appears twice), in the original (cell, distance) order
    idx = np.repeat(plan.base_order, f[plan.base_order])
    focal_e = plan.focal[idx]
    disc_e = None if discarded is None else discarded[idx]
    kept = focal_e if disc_e is None else focal_e & ~disc_e
    other = ~focal_e if disc_e is None else ~focal_e & ~disc_e
    if not kept.any() or not other.any():
        return None
    dist_e = None if dist is None else dist[idx]
    width = None
    if cfg.caliper is not None:
        if cfg.std_caliper:
            # a distance caliper implies a propensity distance (make_match_config), so cal_sd was computed above
            assert cal_sd is not None
            width = cfg.caliper * cal_sd
        else:
            width = cfg.caliper
    constraints = None
    if plan.anti is not None or plan.cal_values is not None:
        widths = None
        if plan.cal_values is not None:
            vals = plan.cal_values[idx]
            v_kept = vals if disc_e is None else vals[~disc_e]
            widths = np.array([c.width * float(np.std(v_kept[:, j], ddof=1)) if c.standardised else c.width
                               for j, c in enumerate(cfg.covariate_calipers)])
        constraints = Constraints(antiexact=None if plan.anti is None else plan.anti[idx],
                                  caliper_values=None if plan.cal_values is None else plan.cal_values[idx],
                                  caliper_widths=widths)  # indexed by the replicate's (expanded) rows
    order = processing_order(int(focal_e.sum()), None if dist_e is None else dist_e[focal_e], cfg.m_order, rng)
    cells_e = plan.cells[idx]
    if plan.coords is not None:
        out = nn_mahalanobis(focal_e, plan.coords[idx], cells_e, order, ratio=cfg.ratio, replace=cfg.replace,
                             distance=dist_e, caliper=width, discarded=disc_e, constraints=constraints)
    else:
        # without Mahalanobis coordinates the distance is a propensity one, so _plan built mx and dist exists
        assert dist_e is not None
        # (cell, distance) order by one stable sort of a combined key: the rows start in the original order,
        # nearly sorted, which the sort exploits; keys that differ below ~1e-11 may swap, which is immaterial
        lo = float(dist_e.min())
        key = cells_e * (float(dist_e.max() - lo) * 2.0 + 1.0) + (dist_e - lo)
        out = nn_vector(focal_e, dist_e, cells_e, order, ratio=cfg.ratio, replace=cfg.replace, caliper=width,
                        discarded=disc_e, constraints=constraints, sorted_order=np.argsort(key, kind="stable"))
    mm = out.match_matrix
    if not (mm >= 0).any():
        return None
    pos, w = _sparse_weights(len(idx), out.treated, mm)
    rows, inv = np.unique(plan.perm[idx[pos]], return_inverse=True)  # copies of a row add up
    return rows, np.bincount(inv, weights=w)


def rematch_bootstrap(result, n_boot: int = 499, seed: int | None = None, *, unit: str | None = None,
                      newton_steps: int | None = None, workers: int = 1,
                      progress: Callable[[int, int], None] | None = None) -> RematchDraws:
    """Bootstrap replicates of the whole matching of ``result`` (a MatchResult): see the module docstring.

    unit: the resampling unit, a column such as a person id (default: the match's ``cluster`` column, else
        each row is a unit).
    newton_steps: how the propensity model is re-fitted: 0 = one step from the full-sample estimate with the
        full-sample information matrix (the linearised, estimating-function bootstrap); k >= 1 = k Newton steps
        with the replicate's own weights. Default: 0 from 100,000 rows (where its O(1/n) error is negligible and
        the time matters), else 2.
    workers: threads to run replicates in (numpy's sorting and products release the interpreter lock).
    progress: called as progress(done, n_boot) about every 10 % of the replicates.
    """
    started = time.perf_counter()
    if isinstance(n_boot, (bool, np.bool_)) or not isinstance(n_boot, (int, np.integer)) or n_boot < 2:
        raise DesignError(f"option 'n_boot': expected a whole number of bootstrap replicates >= 2; got {n_boot!r}.")
    if newton_steps is None:
        newton_steps = 0 if len(result.source) >= 100_000 else 2
    if isinstance(newton_steps, (bool, np.bool_)) or not isinstance(newton_steps, (int, np.integer)) \
            or newton_steps < 0:
        raise DesignError(f"option 'newton_steps': expected a whole number >= 0; got {newton_steps!r}.")
    if isinstance(workers, (bool, np.bool_)) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise DesignError(f"option 'workers': expected a whole number of threads >= 1; got {workers!r}.")
    unit = result.config.cluster if unit is None else unit
    plan = _plan(result, unit)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(int(n_boot))]

    def run(b: int):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _replicate(plan, streams[b], int(newton_steps))

    step = -(-int(n_boot) // 10)
    reps = []
    with ThreadPoolExecutor(max_workers=int(workers)) if workers > 1 else nullcontext() as pool:
        for b, rep in enumerate(pool.map(run, range(n_boot)) if pool else map(run, range(n_boot)), 1):
            reps.append(rep)
            if progress is not None and (b % step == 0 or b == n_boot):
                progress(b, int(n_boot))
    ok = [r for r in reps if r is not None]
    failed = len(reps) - len(ok)
    if len(ok) < 2:
        raise EstimationError("re-matching bootstrap: fewer than two replicates could be matched.")
    if failed:
        warnings.warn(f"re-matching bootstrap: {failed} of {n_boot} replicates matched nobody and were left out.",
                      RematchWarning, stacklevel=2)
    rows = np.concatenate([r[0] for r in ok])
    vals = np.concatenate([r[1] for r in ok])
    reps_idx = np.repeat(np.arange(len(ok)), [len(r[0]) for r in ok])
    weights = scipy.sparse.csr_matrix((vals, (reps_idx, rows)), shape=(len(ok), plan.n))
    # in data-row order, as the weights' columns (plan.treat is in the model matrix's internal order)
    treat = np.asarray(result.treat, dtype=bool).copy()
    treat.setflags(write=False)
    return RematchDraws(weights=weights, treat=treat, n_boot=len(ok), seed=seed,
                        unit="rows" if unit is None else unit, newton_steps=int(newton_steps),
                        seconds=time.perf_counter() - started, n_failed=failed)


def replicate_means(draws: RematchDraws, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted treated and control means of the columns of Y (data rows x outcomes) in every replicate;
    rows with a missing value of an outcome are left out of that outcome's means (complete cases)."""
    Y = np.asarray(Y, dtype=np.float64)
    obs = ~np.isnan(Y)
    Y0 = np.where(obs, Y, 0.0)
    t = draws.treat
    out = []
    for mask in (t, ~t):
        Wg = draws.weights @ scipy.sparse.diags(mask.astype(np.float64))
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append(np.asarray(Wg @ Y0) / np.asarray(Wg @ obs.astype(np.float64)))
    return out[0], out[1]


__all__ = ["RematchDraws", "RematchWarning", "rematch_bootstrap", "replicate_means"]

"""Propensity score: logistic regression of treatment on covariates by unpenalised maximum likelihood.

The fit is our own iteratively reweighted least squares (IRLS) rather than ``statsmodels.Logit`` for three
reasons: (1) it follows the iteration of R's ``glm.fit`` step by step (same starting values, the same
clamping of the logistic link at |eta| > 30, the same deviance convergence rule and limit of 25
iterations), so the scores agree with those MatchIt uses to the last few bits and nearest-neighbour ties
fall the same way; (2) the model matrix keeps the indicators of categorical covariates once per combination of levels
(``design.ModelMatrix``), so each iteration on five million rows costs a few passes over the numeric
columns only; (3) it gives direct access to the quantities used to diagnose
separation. The tests check coefficients and standard errors against statsmodels.

Separation. When the deviance keeps falling without converging, or fitted probabilities reach 0 or 1
numerically, a linear programme (Konis 2007) decides whether the data are (quasi-)completely separated; if so
an :class:`~virkning.errors.EstimationError` names the covariates spanning the separating direction, since no
maximum-likelihood estimate exists and the scores would be arbitrary.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.optimize
import scipy.special

from virkning.errors import EstimationError
from virkning.estimate.model_matrix import ModelMatrix, Term, check_complete
from virkning.estimate.options import PropensityWarning

_EPS = np.finfo(float).eps
_THRESH = 30.0  # R's logit link clamps exp(eta) beyond |eta| > 30 (src/library/stats/src/family.c)
_LP_MAX_ROWS = 400_000


@dataclass(frozen=True)
class PropensityFit:
    """A fitted logistic propensity model: coefficients, standard errors, convergence and the fitted scores."""

    terms: tuple[str, ...]
    coef: np.ndarray
    se: np.ndarray
    converged: bool
    iterations: int
    deviance: float
    null_deviance: float
    n: int
    n_treated: int
    aliased: tuple[str, ...]
    linear_predictor: np.ndarray = field(repr=False)
    score: np.ndarray = field(repr=False)
    boundary_fits: int = 0

    def summary(self) -> pd.DataFrame:
        """Coefficient table: estimate, standard error, z value and two-sided p-value per term."""
        z = self.coef / self.se
        return pd.DataFrame({"term": self.terms, "coef": self.coef, "se": self.se, "z": z,
                             "p_value": 2 * scipy.special.ndtr(-np.abs(z))})

    def to_dict(self) -> dict[str, object]:
        return {"terms": list(self.terms), "coef": self.coef.tolist(), "se": self.se.tolist(),
                "converged": self.converged, "iterations": self.iterations, "deviance": self.deviance,
                "null_deviance": self.null_deviance, "n": self.n, "n_treated": self.n_treated,
                "aliased": list(self.aliased), "boundary_fits": self.boundary_fits}


def _link_parts(eta: np.ndarray, out: tuple[np.ndarray, ...] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Inverse logit link and its derivative, clamped like R's C code: beyond |eta| > 30, exp(eta) is
    replaced by eps or 1/eps in the inverse link, and the derivative is eps. `out`: buffers (e, mu, mu_eta,
    scratch) of eta's length to compute into, the same operations without allocating (an IRLS pass)."""
    e_buf, mu_buf, mu_eta_buf, scratch = out if out is not None else (None, None, None, None)
    clamped = bool(eta.min() < -_THRESH or eta.max() > _THRESH)
    if clamped:
        low = eta < -_THRESH
        high = eta > _THRESH
        e = np.exp(np.clip(eta, -_THRESH, _THRESH))
        e[low] = _EPS
        e[high] = 1.0 / _EPS
    else:
        e = np.exp(eta, out=e_buf)
    opexp = np.add(e, 1.0, out=scratch)
    mu = np.divide(e, opexp, out=mu_buf)
    np.multiply(opexp, opexp, out=opexp)
    mu_eta = np.divide(e, opexp, out=opexp if mu_eta_buf is None else mu_eta_buf)  # e / (1 + e)^2, as R computes it
    if clamped:
        mu_eta[low | high] = _EPS
    return mu, mu_eta


class _Workspace:
    """Buffers for one chunk of an IRLS pass, allocated once per fit: the per-chunk temporaries then live in
    the same few cache-resident arrays for every chunk and iteration instead of being allocated afresh."""

    def __init__(self, mx: ModelMatrix, y: np.ndarray):
        size = max((e - s for s, e, _ in mx.chunks()), default=0)
        self.e, self.mu, self.mu_eta, self.one_m, self.w, self.r, self.tmp = np.empty((7, size))
        self.zw = np.empty(size * mx.numeric.shape[1])
        # rows with y = 1 of each chunk (local positions): a short index beats a masked copy per chunk
        self.ones = [np.flatnonzero(y[s:e] == 1.0) for s, e, _ in mx.chunks()]

    def zw_view(self, m: int, pz: int) -> np.ndarray:
        """An (m, pz) column-major view of the buffer: the layout ``Zc * w[:, None]`` has (same BLAS call)."""
        return self.zw[:m * pz].reshape(pz, m).T


def _first_step(mx: ModelMatrix, y: np.ndarray, n1: int, scratch: tuple[np.ndarray, np.ndarray] | None = None
                ) -> tuple[float, float, np.ndarray, np.ndarray]:
    """glm.fit's start: mustart = (y + 0.5) / 2, eta = logit(mustart), the deviance there and under the null
    model, and the cross-products X'WX, X'Wz of the first weighted least-squares step.

    With a 0/1 response every per-row quantity takes one of two values, so they are computed (by the same
    operations) for y = 0 and y = 1 only and spread to the rows; the sums run over the same full-length
    arrays as before, so the results are the same to the bit. ``scratch``: two buffers of y's length to
    spread into (the caller's eta and mu, free until the first pass), so no new full-length arrays are made.
    """
    n = len(y)
    binary = y.dtype == bool or bool(np.all((y == 0.0) | (y == 1.0)))
    yv = np.array([0.0, 1.0]) if binary else y
    mu = (yv + 0.5) / 2.0
    eta = np.log(mu / (1.0 - mu))
    mu, mu_eta = _link_parts(eta)
    with np.errstate(divide="ignore"):
        lp = np.log(np.where(yv == 1.0, mu, 1.0 - mu))
        p = np.full(len(yv), n1 / n)
        lp_null = np.log(np.where(yv == 1.0, p, 1.0 - p))
    w = mu_eta * mu_eta / (mu * (1.0 - mu))
    z = eta + (yv - mu) / mu_eta
    if binary:  # spread to the rows by selection (no index array; np.where's values, in the scratch buffers)
        one = y if y.dtype == bool else y == 1.0
        full, w_full = scratch if scratch is not None else (np.empty(n), np.empty(n))
        np.copyto(full, lp[0])
        np.copyto(full, lp[1], where=one)
        devold = float(-2.0 * np.sum(full))
        np.copyto(full, lp_null[0])
        np.copyto(full, lp_null[1], where=one)
        null_dev = float(-2.0 * np.sum(full))
        np.copyto(w_full, w[0])
        np.copyto(w_full, w[1], where=one)
        w = w_full
        np.copyto(full, z[0])
        np.copyto(full, z[1], where=one)
        z = full
    else:
        devold = float(-2.0 * np.sum(lp))
        null_dev = float(-2.0 * np.sum(lp_null))
    xtwx, xtwz = mx.cross(w, z)
    assert xtwz is not None  # cross returns X'Wr when r is given
    return devold, null_dev, xtwx, xtwz


def _irls_pass(mx: ModelMatrix, beta: np.ndarray, y: np.ndarray, eta_out: np.ndarray,
               ws: _Workspace | None = None, mu_out: np.ndarray | None = None
               ) -> tuple[float, np.ndarray, np.ndarray]:
    """Deviance at ``beta`` and the IRLS cross-products X'WX, X'W(z - eta) for the next step, in one pass.

    Working chunk by chunk keeps every intermediate (eta, mu, weights, residuals) in cache, so an iteration
    reads the numeric columns once. ``eta_out`` receives the linear predictor and ``mu_out``, if given, the
    fitted probabilities (internal row order). Every
    element and every reduction is computed by the same operations in the same order as the plain
    expressions in the comments (and ``_link_parts``), only into preallocated buffers, so the
    results are the same to the bit.
    """
    if ws is None:
        ws = _Workspace(mx, y)
    Z = mx.numeric
    pz = Z.shape[1]
    b_int = beta[mx.order]
    bz = b_int[:pz]
    tb = None if mx.table is None else (mx.table @ b_int[pz:]).tolist()
    zz = np.zeros((pz, pz))
    zr = np.zeros(pz)
    S = mx.group_sums()
    dev = 0.0
    for c, (s, e, seg) in enumerate(mx.chunks()):
        m = e - s
        Zc = Z[s:e]
        eta = eta_out[s:e]
        np.matmul(Zc, bz, out=eta)
        if tb is not None:
            assert seg is not None  # chunks carry their combinations when there is a table
            g0, g1, starts = seg
            ends = starts[1:].tolist() + [m]
            for g, a, b in zip(range(g0, g1), starts.tolist(), ends):
                eta[a:b] += tb[g]  # the combination's indicator part, a constant over its rows
        mu_buf = ws.mu[:m] if mu_out is None else mu_out[s:e]
        mu, mu_eta = _link_parts(eta, (ws.e[:m], mu_buf, ws.mu_eta[:m], ws.tmp[:m]))
        yc = y[s:e]
        one_m = np.subtract(1.0, mu, out=ws.one_m[:m])
        # binomial deviance, -2 sum log P(y_i) = -2 sum log(where(y == 1, mu, 1 - mu))
        lp = ws.r[:m]
        np.copyto(lp, one_m)
        ones = ws.ones[c]
        lp[ones] = mu[ones]
        with np.errstate(divide="ignore"):
            np.log(lp, out=lp)
        dev += float(-2.0 * np.sum(lp))
        # w = mu_eta^2 / (mu (1 - mu)), r = (y - mu) / mu_eta
        w = np.multiply(mu_eta, mu_eta, out=ws.w[:m])
        np.divide(w, np.multiply(mu, one_m, out=ws.tmp[:m]), out=w)
        r = np.subtract(yc, mu, out=ws.r[:m])
        np.divide(r, mu_eta, out=r)
        Zw = ws.zw_view(m, pz)
        for j in range(pz):  # Zc * w[:, None], column by column (contiguous, faster than the broadcast)
            np.multiply(Zc[:, j], w, out=Zw[:, j])
        zz += Zw.T @ Zc
        wr = np.multiply(w, r, out=r)
        zr += Zc.T @ wr
        if S is not None:
            mx.add_group_sums(S, seg, Zw, w, wr)
    xtwx, xtwr = mx.assemble(zz, zr, S)
    assert xtwr is not None  # zr was accumulated, so assemble returns X'Wr
    return dev, xtwx, xtwr


def _solve(xtwx: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve the normal equations after equilibrating the columns (their scales may differ by 1e9 or more)."""
    d = np.sqrt(np.diag(xtwx))
    d[d == 0] = 1.0
    scaled = xtwx / np.outer(d, d)
    return np.linalg.solve(scaled, rhs / d) / d


def _aliased_columns(xtx: np.ndarray, tol: float = 1e-12) -> list[int]:
    """Columns that are (numerically) linear combinations of earlier columns, in column order (as R's QR)."""
    d = np.sqrt(np.diag(xtx))
    d[d == 0] = 1.0
    a = xtx / np.outer(d, d)
    kept: list[int] = []
    dropped: list[int] = []
    for j in range(a.shape[0]):
        if a[j, j] == 0:
            dropped.append(j)
            continue
        if kept:
            v = a[kept, j]
            resid = a[j, j] - v @ np.linalg.solve(a[np.ix_(kept, kept)], v)
        else:
            resid = a[j, j]
        if resid <= tol * a[j, j]:  # share of the squared norm not explained by earlier columns
            dropped.append(j)
        else:
            kept.append(j)
    return dropped


def fit_logit(X: np.ndarray | ModelMatrix, y: np.ndarray, terms: Sequence[str] | None = None, *, maxit: int = 25,
              epsilon: float = 1e-8) -> PropensityFit:
    """Maximum-likelihood logistic regression by IRLS, iterating exactly as R's ``glm.fit`` does.

    ``X`` (a dense array with ``terms`` naming its columns, or a ModelMatrix) must contain the intercept.
    Columns that are linear combinations of earlier ones are dropped (reported in ``aliased``) as R does.
    Raises EstimationError when the iteration does not converge or the data are separated.
    """
    mx = X if isinstance(X, ModelMatrix) else ModelMatrix.from_dense(np.asarray(X, dtype=float), list(terms or []))
    y = np.asarray(y, dtype=np.float64)
    if bool(np.all((y == 0.0) | (y == 1.0))):
        # a 0/1 response is kept as booleans (an eighth of the memory); y - mu is then computed in float64
        # from them, to the same bits
        y = y == 1.0
    y = mx.to_internal(y)  # the iteration runs in the model matrix's row order
    n = mx.n
    n1 = int(y.sum())
    if n1 == 0 or n1 == n:
        raise EstimationError("propensity model: the treatment column has only one value "
                              f"({n1} treated of {n}); matching needs treated and untreated units.")
    xtx, _ = mx.cross(None)
    dropped = _aliased_columns(xtx)
    aliased = tuple(mx.names[j] for j in dropped)
    if dropped:
        mx = mx.drop(dropped)
        keep = [j for j in range(xtx.shape[0]) if j not in dropped]
        xtx = xtx[np.ix_(keep, keep)]
        warnings.warn(f"propensity model: {', '.join(aliased)} are linear combinations of other covariates and "
                      "were dropped from the model (as R's glm does).", PropensityWarning, stacklevel=3)
    terms = mx.names

    # glm.fit: mustart = (y + 0.5) / 2, eta = logit(mustart); the first solve is for the coefficients
    # themselves, later ones for the change, which keeps rounding errors proportional to the step.
    eta = np.empty(n)
    mu = np.empty(n)
    devold, null_dev, xtwx, xtwz = _first_step(mx, y, n1, (eta, mu))
    beta = _solve(xtwx, xtwz)
    converged = False
    it = 1
    ws = _Workspace(mx, y)
    while True:
        # one pass: eta, mu and deviance at beta, and the weighted cross-products for the next step
        dev, next_xtwx, next_xtwr = _irls_pass(mx, beta, y, eta, ws, mu)
        if not np.isfinite(dev):
            raise EstimationError("propensity model: the deviance became infinite during fitting; "
                                  "check the covariates for extreme values.")
        if abs(dev - devold) / (abs(dev) + 0.1) < epsilon:
            converged = True
            break
        if it == maxit:
            break
        devold = dev
        it += 1
        xtwx = next_xtwx
        beta = beta + _solve(xtwx, next_xtwr)
    # the last pass was at the final beta; eta and mu stay in internal order until the checks are done
    boundary = int(np.sum((mu > 1 - 10 * _EPS) | (mu < 10 * _EPS)))  # R's "numerically 0 or 1"
    d = np.sqrt(np.diag(xtwx))
    d[d == 0] = 1.0
    cov = np.linalg.inv(xtwx / np.outer(d, d)) / np.outer(d, d)
    se = np.sqrt(np.diag(cov))
    # Separation drives fitted probabilities towards 0 or 1 and the information along the separating
    # direction towards 0, while glm's deviance criterion may still report convergence. Probabilities within
    # 1e-8 of the bounds together with a standard error above 20 per standard deviation of its covariate are
    # the cue to run the exact check (a linear programme).
    near_bounds = bool(mu.max() > 1 - 1e-8 or mu.min() < 1e-8)
    col_sd = _column_sd(xtx, n, terms)
    if not converged or (near_bounds and np.any(se * col_sd > 20)):
        involved, complete = _separation(mx, mx.to_external(y))
        if involved:
            kind = "complete" if complete else "quasi-complete"
            raise EstimationError(
                f"propensity model: {kind} separation - a combination of {', '.join(involved)} predicts "
                "treatment perfectly for some units, so the maximum-likelihood estimate does not exist. "
                "Remove or coarsen these covariates, or match exactly on them.")
    if not converged:
        raise EstimationError(f"propensity model: IRLS did not converge in {maxit} iterations "
                              f"(relative deviance change still above {epsilon:g}). Check the covariates for "
                              "collinearity or extreme values.")
    if boundary:
        warnings.warn(f"propensity model: {boundary} fitted probabilities are numerically 0 or 1 (no separation "
                      "was found); these units are far outside the other group's covariate range.",
                      PropensityWarning, stacklevel=3)
    eta_ext = mx.to_external(eta)
    mu = mx.to_external(mu, out=eta if eta_ext is not eta else None)  # eta's buffer is free by then
    eta = eta_ext
    # The standard errors come from the weighted cross-product of the last iteration, as R's summary.glm
    # uses the QR decomposition of the last weighted least-squares fit (dispersion 1: binomial likelihood).
    return PropensityFit(terms=tuple(terms), coef=beta, se=se, converged=converged, iterations=it,
                         deviance=dev, null_deviance=null_dev, n=n, n_treated=n1, aliased=aliased,
                         linear_predictor=eta, score=mu, boundary_fits=boundary)


def _column_sd(xtx: np.ndarray, n: int, terms: Sequence[str]) -> np.ndarray:
    """Standard deviation of each model column from the unweighted cross-product (needs the intercept)."""
    if not terms or terms[0] != "(Intercept)":
        return np.ones(len(terms))
    mean = xtx[0] / n
    var = np.maximum(np.diag(xtx) / n - mean * mean, 0.0)
    sd = np.sqrt(var)
    sd[0] = 1.0
    return sd


def _separation(mx: ModelMatrix, y: np.ndarray) -> tuple[list[str], bool]:
    """Detect (quasi-)complete separation; return the terms of a separating direction and whether it is complete.

    Linear programme (Konis 2007): maximise sum_i s_i x_i'b subject to s_i x_i'b >= 0 and -1 <= b <= 1,
    with s_i = +1 for treated and -1 for controls. A positive optimum is a direction along which the
    likelihood increases forever. Columns are standardised so the box treats them alike. Above
    _LP_MAX_ROWS rows only single indicator columns are checked (a level containing one group only).
    """
    n = mx.n
    names = mx.names
    X = mx.dense()
    p = X.shape[1]
    if n > _LP_MAX_ROWS:
        out = []
        for j in range(p):
            col = X[:, j]
            if names[j] == "(Intercept)" or not np.all((col == 0) | (col == 1)):
                continue
            for v in (0.0, 1.0):
                rows = col == v
                if rows.any() and (y[rows].min() == y[rows].max()):
                    out.append(names[j])
                    break
        return out, False
    s = np.where(y == 1, 1.0, -1.0)
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    Z = (X / scale) * s[:, None]
    res = scipy.optimize.linprog(-Z.sum(axis=0), A_ub=-Z, b_ub=np.zeros(n), bounds=[(-1, 1)] * p, method="highs")
    if res.status != 0 or -res.fun <= 1e-6 * n:
        return [], False
    b = res.x
    margin = Z @ b
    involved = [names[j] for j in range(p) if abs(b[j]) > 1e-6 and names[j] != "(Intercept)"]
    if not involved:
        involved = [names[j] for j in range(p) if abs(b[j]) > 1e-6]
    return involved, bool(np.all(margin > 1e-9))


def fit_propensity(data: pd.DataFrame, treatment: str, covariates: Sequence[str], *,
                   codes_cache: dict | None = None) -> PropensityFit:
    """Fit P(treatment = 1 | covariates) on a data frame; categorical covariates get reference coding."""
    check_complete(data, [treatment, *covariates], "covariates")
    mx = ModelMatrix(data, covariates, intercept=True, drop_first=True, codes_cache=codes_cache)
    # the response is not kept here: fit_logit keeps it in the model matrix's row order only
    return fit_logit(mx, data[treatment].to_numpy(dtype=np.float64))


__all__ = ["PropensityFit", "fit_logit", "fit_propensity", "Term"]

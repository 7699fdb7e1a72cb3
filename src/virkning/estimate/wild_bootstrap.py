"""Restricted wild cluster bootstrap (WCR) for one regression coefficient, with a CI by test inversion.

Why: the free-municipality trials have 9 treated municipalities, and cluster-robust t-tests over-reject badly
when few clusters are treated (MacKinnon and Webb 2017, 2018). The restricted wild cluster bootstrap-t of
Cameron, Gelbach and Miller (2008) holds its level much better there; it is what Stata's ``boottest``
(Roodman, MacKinnon, Nielsen and Webb 2019) and R's ``fwildclusterboot`` compute. No maintained Python
dependency does it for a fixed-effects model, so it is written here.

Method, for H0: beta = beta0 on the coefficient of x in y = x beta + W gamma + u (W: nuisance regressors,
e.g. unit and period fixed effects), everything in the sqrt(weight)-scaled space:

1. restricted residuals u~ = M_W (y - beta0 x);
2. bootstrap samples y* = (fitted under H0) + v_g u~, with one weight v_g per cluster: Rademacher (+-1 with
   probability 1/2) or Webb's six-point distribution (+-sqrt(3/2), +-1, +-sqrt(1/2)); when 2^G does not exceed
   the number of draws, all 2^G Rademacher sign vectors are enumerated (the p-value is then exact, as boottest);
3. t* = (beta* - beta0) / se_CR1(beta*) with the same CR1 small-sample factor as the original t;
4. p-value: share of |t*| greater than |t| ("symmetric", boottest's default) or twice the smaller tail
   ("equal-tail"); draws equal to |t| up to rounding (1e-9 relative) count as not greater;
5. confidence interval: the set of beta0 not rejected at level 1 - ``level``, its two ends found by bisection
   with the same weight draws for every beta0.

All draws are computed from G x G matrices (the algebra of Roodman et al. 2019, section 3): the residual maker
is linear, so the bootstrap scores of every cluster are v @ (A_y - beta0 A_x) - d * (beta* - beta0), and one draw
costs O(G^2) whatever the number of rows; as all of it is linear in beta0, each further beta0 of the interval
search costs O(G).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import product
from typing import Literal

import numpy as np
import scipy.special

from virkning.errors import DesignError
from virkning.estimate.did_ols import cluster_sums, cr1_factor
from virkning.estimate.options import check_choice

BootWeights = Literal["rademacher", "webb"]
PType = Literal["symmetric", "equal-tail"]
_TIE = 1e-9
_WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


@dataclass(frozen=True)
class WildBootstrap:
    """Wild cluster bootstrap test of beta = beta0 and the interval of beta0 values it does not reject."""

    beta0: float
    t_stat: float
    p_value: float
    ci_low: float
    ci_high: float
    n_boot: int
    weights: str
    p_type: str
    enumerated: bool
    n_clusters: int
    level: float

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def draw_weights(n_clusters: int, n_boot: int, kind: str, rng: np.random.Generator) -> tuple[np.ndarray, bool]:
    """Cluster weights (B x G) and whether they are the full enumeration of Rademacher sign vectors."""
    if kind == "rademacher" and n_clusters <= 20 and 2 ** n_clusters <= n_boot:
        return np.array(list(product((1.0, -1.0), repeat=n_clusters))), True
    if kind == "rademacher":
        return rng.integers(0, 2, size=(n_boot, n_clusters)) * 2.0 - 1.0, False
    return _WEBB[rng.integers(0, 6, size=(n_boot, n_clusters))], False


class _WCR:
    """Precomputed G x G pieces; ``pvalue(beta0)`` costs O(B G^2)."""

    def __init__(self, ys, xs, codes, resid: Callable[[np.ndarray], np.ndarray], factor: float, v: np.ndarray):
        G = int(codes.max()) + 1
        xt = resid(xs)
        yt = resid(ys)
        self.S = float(xt @ xt)
        self.beta = float(xt @ yt) / self.S
        u = yt - self.beta * xt
        self.se = float(np.sqrt(factor * np.sum(cluster_sums(codes, G, xt * u) ** 2)) / self.S)
        onehot = np.zeros((len(ys), G))
        onehot[np.arange(len(ys)), codes] = 1.0
        self.A_y = cluster_sums(codes, G, xt[:, None] * resid(onehot * yt[:, None]))
        self.A_x = cluster_sums(codes, G, xt[:, None] * resid(onehot * xt[:, None]))
        self.a_y = cluster_sums(codes, G, xt * yt)
        self.d = cluster_sums(codes, G, xt * xt)
        self.factor = factor
        # everything is linear in beta0: draw-by-cluster products computed once, O(B G) per beta0 afterwards
        self.num_y = v @ self.a_y / self.S
        self.num_x = v @ self.d / self.S
        self.P = v @ self.A_y.T
        self.Q = v @ self.A_x.T

    def t_draws(self, beta0: float) -> tuple[float, np.ndarray]:
        num = self.num_y - beta0 * self.num_x
        scores = self.P - beta0 * self.Q - num[:, None] * self.d[None, :]
        se_star = np.sqrt(self.factor * np.sum(scores * scores, axis=1)) / self.S
        with np.errstate(divide="ignore", invalid="ignore"):
            t_star = np.where(se_star > 0, num / se_star, 0.0)
        return (self.beta - beta0) / self.se, t_star

    def pvalue(self, beta0: float, p_type: str) -> float:
        t, t_star = self.t_draws(beta0)
        # draws that reproduce |t| (v = +1 or -1 in every cluster) are ties, not exceedances; a relative
        # tolerance keeps rounding noise from deciding them
        tol = _TIE * max(1.0, abs(t))
        if p_type == "symmetric":
            return float(np.mean(np.abs(t_star) > abs(t) + tol))
        return float(min(1.0, 2 * min(float(np.mean(t_star < t - tol)), float(np.mean(t_star > t + tol)))))


def _bisect(f: Callable[[float], float], inside: float, outside: float, tol: float) -> float:
    """Boundary between ``inside`` (f >= 0) and ``outside`` (f < 0)."""
    for _ in range(200):
        if abs(outside - inside) <= tol:
            break
        mid = 0.5 * (inside + outside)
        if f(mid) >= 0:
            inside = mid
        else:
            outside = mid
    return 0.5 * (inside + outside)


def wild_cluster_bootstrap(ys: np.ndarray, xs: np.ndarray, clusters: np.ndarray,
                           resid: Callable[[np.ndarray], np.ndarray], *, n_obs: int, n_params: int,
                           beta0: float = 0.0, n_boot: int = 9999, weights: str = "rademacher",
                           p_type: str = "symmetric", seed: int | None = None, level: float = 0.95,
                           ci: bool = True) -> WildBootstrap:
    """WCR test and interval for the coefficient of ``xs``.

    ``ys``/``xs`` are sqrt(weight)-scaled rows, ``resid`` the residual maker of the nuisance regressors in that
    space, ``clusters`` integer codes 0..G-1; ``n_obs``/``n_params`` give the CR1 factor of the original fit.
    """
    weights = check_choice("weights", weights, BootWeights)
    p_type = check_choice("p_type", p_type, PType)
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 99:
        raise DesignError(f"option 'n_boot': expected a whole number of bootstrap draws >= 99; got {n_boot!r}.")
    if not 0 < level < 1:
        raise DesignError(f"option 'level': expected a confidence level between 0 and 1; got {level!r}.")
    codes = np.asarray(clusters, dtype=np.int64)
    G = int(codes.max()) + 1
    factor = cr1_factor(n_obs, n_params, G)
    v, enumerated = draw_weights(G, int(n_boot), weights, np.random.default_rng(seed))
    w = _WCR(np.asarray(ys, float), np.asarray(xs, float), codes, resid, factor, v)
    p = w.pvalue(beta0, p_type)
    t, _ = w.t_draws(beta0)
    lo = hi = np.nan
    if ci:
        alpha = 1 - level
        f = lambda b: w.pvalue(b, p_type) - alpha  # noqa: E731 - p above alpha = not rejected
        tol = 1e-5 * w.se
        z = float(scipy.special.ndtri(0.5 + level / 2))
        ends = []
        for sign in (-1.0, 1.0):
            step = 2 * z * w.se
            out = w.beta + sign * step
            grown = 0
            while f(out) >= 0 and grown < 60:
                step *= 2
                out = w.beta + sign * step
                grown += 1
            ends.append(_bisect(f, w.beta, out, tol) if grown < 60 else sign * np.inf)
        lo, hi = ends
    return WildBootstrap(beta0=beta0, t_stat=float(t), p_value=p, ci_low=float(lo), ci_high=float(hi),
                         n_boot=int(v.shape[0]), weights=weights, p_type=p_type, enumerated=enumerated,
                         n_clusters=G, level=level)


def dense_residual_maker(W: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """Residual maker M_W for a small dense nuisance matrix (already sqrt(weight)-scaled)."""
    q, r = np.linalg.qr(W)
    keep = np.abs(np.diag(r)) > 1e-10 * max(1.0, float(np.abs(r).max()))
    q = q[:, keep]
    return lambda m: m - q @ (q.T @ m)

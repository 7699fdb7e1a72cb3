"""Restricted wild cluster bootstrap (WCR) for one OLS coefficient: p-values and confidence intervals by inversion.

Why by hand: statsmodels has no wild cluster bootstrap, and the packages that do (R's fwildclusterboot, Stata's
boottest) are not dependencies we can take. The method follows Cameron, Gelbach and Miller (2008) with the
"fast and wild" algebra of Roodman, MacKinnon, Nielsen and Webb (2019):

For H0: beta_j = b0, the restricted fit regresses y - b0 x_j on the other columns Z; its residuals are
u(b0) = a - b0 c with a = M_Z y and c = M_Z x_j. A bootstrap sample is y* = Z beta_r + b0 x_j + u(b0) * v_g,
with one weight v_g per cluster. Because Z beta_r + b0 x_j lies in the column space of X, everything the
bootstrap t-statistic needs is linear in the weights and in b0:

- beta*_j - b0 = sum_g v_g s_g with s_g = rho_g' u_g and rho = X (X'X)^-1 e_j;
- the cluster score of the bootstrap residual M_X(u * v) for cluster h is sum_g C_hg v_g with
  C = diag(s) - A' (X'X)^-1 W, A_h = X_h' rho_h, W_g = X_g' u_g (a G x G matrix).

So with V the (B x G) weights, numerators are V s and squared CR1 standard errors are the row sums of
(V C')^2 times the small-sample factor; both are quadratic in b0, which makes a p-value for any b0 cost O(B)
and the inversion for the confidence interval cheap.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

WEBB = np.sqrt(np.array([3.0, 2.0, 1.0, 1.0, 2.0, 3.0]) / 2.0) * np.array([-1, -1, -1, 1, 1, 1])


def boot_weights(kind: str, n_clusters: int, n_boot: int, rng: np.random.Generator) -> tuple[np.ndarray, bool]:
    """(B x G) cluster weights and whether they are the full enumeration of all Rademacher sign vectors.

    With Rademacher weights and 2^G <= n_boot every sign vector is used once (as boottest and fwildclusterboot
    do), which makes the result exact and independent of the seed.
    """
    if kind == "rademacher" and 2 ** n_clusters <= n_boot:
        signs = np.array(list(itertools.product((1.0, -1.0), repeat=n_clusters)))
        return signs, True
    if kind == "rademacher":
        return rng.choice(np.array([-1.0, 1.0]), size=(n_boot, n_clusters)), False
    return rng.choice(WEBB, size=(n_boot, n_clusters)), False


def cluster_sums(codes: np.ndarray, n_groups: int, values: np.ndarray) -> np.ndarray:
    """Sum rows of ``values`` (n or n x m) within clusters coded 0..G-1."""
    values = np.asarray(values, dtype=float)
    if values.ndim == 1:
        return np.bincount(codes, weights=values, minlength=n_groups)
    out = np.empty((n_groups, values.shape[1]))
    for k in range(values.shape[1]):
        out[:, k] = np.bincount(codes, weights=values[:, k], minlength=n_groups)
    return out


@dataclass(frozen=True)
class WildTest:
    """Wild bootstrap test and confidence interval for one coefficient."""

    estimate: float
    se: float  # CR1 standard error of the original fit (the studentising SE)
    t: float  # (estimate - null) / se
    p_value: float
    ci_low: float
    ci_high: float
    null: float
    n_boot: int
    full_enumeration: bool


class WildCoefficient:
    """Precomputed pieces for testing beta_j = b0 for any b0 with fixed bootstrap weights."""

    def __init__(self, X: np.ndarray, y: np.ndarray, codes: np.ndarray, n_clusters: int, j: int,
                 weights: np.ndarray, xtx_inv: np.ndarray, beta: np.ndarray, se: float):
        n, k = X.shape
        G = n_clusters
        self.ssc = G / (G - 1) * (n - 1) / (n - k)  # CR1 factor, as in Stata and sandwich::vcovCL(type="HC1")
        self.beta_j = float(beta[j])
        self.se = float(se)
        rho = X @ xtx_inv[:, j]
        # Frisch-Waugh-Lovell: rho = c / (c'c) with c = M_Z x_j and (X'X)^-1_jj = 1 / (c'c), and
        # M_Z y = M_X y + c beta_j; so both restricted residual pieces come from the unrestricted fit
        c = rho / xtx_inv[j, j]
        a = (y - X @ beta) + beta[j] * c
        s_a = cluster_sums(codes, G, rho * a)
        s_c = cluster_sums(codes, G, rho * c)
        A = cluster_sums(codes, G, X * rho[:, None])  # G x k, row h = A_h'
        W_a = cluster_sums(codes, G, X * a[:, None])  # G x k, row g = W_g'
        W_c = cluster_sums(codes, G, X * c[:, None])
        AXi = A @ xtx_inv
        C0 = np.diag(s_a) - AXi @ W_a.T
        C1 = np.diag(s_c) - AXi @ W_c.T
        V = weights
        self.num_a = V @ s_a
        self.num_c = V @ s_c
        P = V @ C0.T
        Q = V @ C1.T
        self.pp = np.einsum("bh,bh->b", P, P)
        self.pq = np.einsum("bh,bh->b", P, Q)
        self.qq = np.einsum("bh,bh->b", Q, Q)

    def t_boot(self, b0: float) -> np.ndarray:
        num = self.num_a - b0 * self.num_c
        den2 = self.ssc * (self.pp - 2.0 * b0 * self.pq + b0 * b0 * self.qq)
        with np.errstate(divide="ignore", invalid="ignore"):
            return num / np.sqrt(np.maximum(den2, 0.0))

    def t_stat(self, b0: float) -> float:
        return (self.beta_j - b0) / self.se

    def p_value(self, b0: float, kind: str = "symmetric") -> float:
        """Share of bootstrap t-statistics more extreme than the original one.

        Ties (the identity draw reproduces the original t exactly, up to rounding) count as not more extreme,
        the convention of boottest and fwildclusterboot; a relative margin of 1e-10 keeps rounding from
        deciding them.
        """
        t = self.t_stat(b0)
        tb = self.t_boot(b0)
        tb = tb[np.isfinite(tb)]
        if tb.size == 0:
            return float("nan")
        margin = 1e-10 * max(abs(t), 1.0)
        if kind == "symmetric":
            return float(np.mean(np.abs(tb) > abs(t) + margin))
        lower = np.mean(tb < t - margin)
        upper = np.mean(tb > t + margin)
        return float(min(1.0, 2.0 * min(lower, upper)))

    def interval(self, alpha: float, kind: str = "symmetric", df: int | None = None) -> tuple[float, float]:
        """The connected set of b0 around the estimate whose test is not rejected at level alpha.

        Each side: step outward from the estimate in multiples of the CR1 half-width until p(b0) <= alpha,
        scan that bracket on a grid for the first rejection (p need not be monotone), then bisect.
        """
        import scipy.stats  # on first use: 0.3 s off the start-up of a command that never calls this
        q = scipy.stats.t.ppf(1 - alpha / 2, df) if df else scipy.stats.norm.ppf(1 - alpha / 2)
        half = max(q * self.se, 1e-12 * max(abs(self.beta_j), 1.0))
        bounds = []
        for side in (-1.0, 1.0):
            inner = self.beta_j
            outer = None
            for m in (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 64.0, 256.0, 1024.0, 2 ** 20):
                b = self.beta_j + side * m * half
                if self.p_value(b, kind) <= alpha:
                    outer = b
                    break
                inner = b
            if outer is None:
                bounds.append(side * np.inf)
                continue
            grid = np.linspace(inner, outer, 33)
            for g in grid[1:]:
                if self.p_value(float(g), kind) <= alpha:
                    outer = float(g)
                    break
                inner = float(g)
            for _ in range(100):
                mid = 0.5 * (inner + outer)
                if mid in (inner, outer):
                    break
                if self.p_value(mid, kind) <= alpha:
                    outer = mid
                else:
                    inner = mid
            bounds.append(0.5 * (inner + outer))
        return bounds[0], bounds[1]


def wild_test(X: np.ndarray, y: np.ndarray, codes: np.ndarray, n_clusters: int, j: int, weights: np.ndarray,
              *, xtx_inv: np.ndarray, beta: np.ndarray, se: float, level: float = 0.95, null: float = 0.0,
              kind: str = "symmetric", full_enumeration: bool = False) -> WildTest:
    """WCR test of beta_j = null and the level-confidence interval by test inversion."""
    wc = WildCoefficient(X, y, codes, n_clusters, j, weights, xtx_inv, beta, se)
    lo, hi = wc.interval(1 - level, kind, df=n_clusters - 1)
    return WildTest(estimate=wc.beta_j, se=wc.se, t=wc.t_stat(null), p_value=wc.p_value(null, kind), ci_low=lo,
                    ci_high=hi, null=null, n_boot=len(weights), full_enumeration=full_enumeration)

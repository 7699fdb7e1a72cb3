"""Least squares with unit and period fixed effects and cluster-robust (CR1) variances, in numpy.

Why not statsmodels here: the wild cluster bootstrap needs the fixed-effects projection applied to many columns
at once (one per cluster, twice), and a person-level panel has millions of rows; building dummy matrices for
statsmodels would not fit in memory. The fits are checked against statsmodels OLS with explicit dummies
(tests/estimate/test_did_ols.py, 1e-8).

- ``TwoWayAbsorber`` projects columns off unit and period dummies (weighted least squares) exactly, for
  balanced and unbalanced panels: the normal equations are solved through the period block's Schur complement
  (a T x T system), so the cost is linear in the rows.
- ``fit_cluster`` regresses y on the columns of X after the absorber (Frisch-Waugh-Lovell) and returns the
  coefficients with the CR1 variance: sandwich with Stata's small-sample factor G/(G-1) * (N-1)/(N-K), where
  K counts every coefficient including the fixed effects (as ``regress y x i.unit i.period, vce(cluster unit)``
  and statsmodels' ``cov_type="cluster"`` do; ``xtreg, fe`` and ``reghdfe`` leave out fixed effects nested in
  the clusters, which gives SEs smaller by the factor sqrt((N-K)/(N-K+G-1))).

Person-level panels are reduced to unit x period cells (cell means with the row counts as weights) before the
fit: with regressors that vary only by unit and period, coefficients, residual sums per cluster and hence the
cluster-robust variance are identical to the row-level fit (N stays the number of rows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from virkning.errors import EstimationError


class TwoWayAbsorber:
    """Weighted projection off unit and period dummies (an intercept is implied)."""

    def __init__(self, unit_codes: np.ndarray, period_codes: np.ndarray, weights: np.ndarray | None = None):
        self.u = np.asarray(unit_codes, dtype=np.int64)
        self.t = np.asarray(period_codes, dtype=np.int64)
        self.n = len(self.u)
        self.w = np.ones(self.n) if weights is None else np.asarray(weights, dtype=float)
        self.G = int(self.u.max()) + 1
        self.T = int(self.t.max()) + 1
        self.wu = np.bincount(self.u, weights=self.w, minlength=self.G)
        self.wt = np.bincount(self.t, weights=self.w, minlength=self.T)
        if np.any(self.wu <= 0) or np.any(self.wt <= 0):
            raise EstimationError("fixed effects: a unit or period has no observations with positive weight.")
        cross = np.zeros((self.G, self.T))
        np.add.at(cross, (self.u, self.t), self.w)
        self._cross = cross
        schur = np.diag(self.wt) - cross.T @ (cross / self.wu[:, None])
        # the Schur complement has rank T - (number of connected unit-period components); the pseudo-inverse
        # gives one solution of the normal equations, and the fitted values are unique whichever is chosen
        self._schur_pinv = np.linalg.pinv(schur, rcond=1e-11, hermitian=True)
        self.rank = self.G + int(np.linalg.matrix_rank(schur, tol=1e-9 * max(1.0, float(np.abs(schur).max()))))

    def _fitted(self, m: np.ndarray) -> np.ndarray:
        wm = m * self.w[:, None]
        ru = np.zeros((self.G, m.shape[1]))
        rt = np.zeros((self.T, m.shape[1]))
        np.add.at(ru, self.u, wm)
        np.add.at(rt, self.t, wm)
        b = self._schur_pinv @ (rt - self._cross.T @ (ru / self.wu[:, None]))
        a = (ru - self._cross @ b) / self.wu[:, None]
        return a[self.u] + b[self.t]

    def residualize(self, m: np.ndarray) -> np.ndarray:
        """Residuals of the weighted projection of each column of ``m`` (one refinement step for accuracy)."""
        m = np.asarray(m, dtype=float)
        one = m.ndim == 1
        m2 = m[:, None] if one else m
        r = m2 - self._fitted(m2)
        r = r - self._fitted(r)
        return r[:, 0] if one else r


@dataclass(frozen=True)
class ClusterFit:
    """Coefficients of the columns of interest with their CR1 variance and what went into it."""

    coef: np.ndarray
    vcov: np.ndarray
    n_obs: int
    n_clusters: int
    n_params: int
    resid: np.ndarray  # weighted-scale residuals (sqrt(w) * e), aligned with the rows of the fit
    x_tilde: np.ndarray  # sqrt(w) * residualised X

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.clip(np.diag(self.vcov), 0.0, None))

    @property
    def df(self) -> int:
        return self.n_clusters - 1

    def t_test(self, j: int, level: float) -> tuple[float, float, float, float]:
        """(se, p-value, ci_low, ci_high) with t(G-1) reference distribution, as Stata after vce(cluster)."""
        import scipy.stats  # on first use: 0.3 s off the start-up of a command that never calls this
        se = float(self.se[j])
        b = float(self.coef[j])
        q = scipy.stats.t.ppf(0.5 + level / 2, self.df)
        p = float(2 * scipy.stats.t.sf(abs(b / se), self.df)) if se > 0 else np.nan
        return se, p, b - q * se, b + q * se

    def wald(self, idx: list[int]) -> dict[str, float]:
        """Joint test that the coefficients ``idx`` are zero: chi2 form and Stata's F(q, G-1) form."""
        import scipy.stats  # on first use: 0.3 s off the start-up of a command that never calls this
        b = self.coef[idx]
        v = self.vcov[np.ix_(idx, idx)]
        q = len(idx)
        try:
            stat = float(b @ np.linalg.solve(v, b))
        except np.linalg.LinAlgError:
            return {"chi2": np.nan, "df": q, "p_chi2": np.nan, "F": np.nan, "df_denom": self.df, "p_F": np.nan}
        f = stat / q
        return {"chi2": stat, "df": q, "p_chi2": float(scipy.stats.chi2.sf(stat, q)), "F": f,
                "df_denom": self.df, "p_F": float(scipy.stats.f.sf(f, q, self.df)) if self.df > 0 else np.nan}


def cluster_sums(codes: np.ndarray, n_groups: int, values: np.ndarray) -> np.ndarray:
    """Sum the rows of ``values`` (n or n x k) within groups."""
    if values.ndim == 1:
        return np.bincount(codes, weights=values, minlength=n_groups)
    out = np.zeros((n_groups, values.shape[1]))
    np.add.at(out, codes, values)
    return out


def cr1_factor(n_obs: int, n_params: int, n_clusters: int) -> float:
    if n_clusters < 2:
        raise EstimationError("cluster-robust SE: only one cluster; at least two units are needed.")
    if n_obs <= n_params:
        raise EstimationError(f"regression: {n_obs} observations for {n_params} parameters; nothing is left "
                              "for the residual variance.")
    return n_clusters / (n_clusters - 1) * (n_obs - 1) / (n_obs - n_params)


def fit_cluster(y: np.ndarray, X: np.ndarray, clusters: np.ndarray, *, absorber: TwoWayAbsorber | None = None,
                weights: np.ndarray | None = None, n_obs: int | None = None, names: list[str] | None = None
                ) -> ClusterFit:
    """Weighted least squares of y on X (plus the absorber's fixed effects) with CR1 cluster-robust variance.

    Without an absorber, X must contain the intercept. ``clusters`` are integer codes 0..G-1; ``n_obs`` is the
    N of the small-sample factor (the number of underlying rows when cells stand for many rows).
    """
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    X = X[:, None] if X.ndim == 1 else X
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    if absorber is not None:
        yt = absorber.residualize(y)
        Xt = absorber.residualize(X)
        k_fe = absorber.rank
    else:
        yt, Xt, k_fe = y, X, 0
    sw = np.sqrt(w)
    Xs = Xt * sw[:, None]
    ys = yt * sw
    xtx = Xs.T @ Xs
    scale = np.sqrt(np.clip(np.diag(xtx), 1e-300, None))
    if np.linalg.matrix_rank(xtx / np.outer(scale, scale), tol=1e-10) < X.shape[1]:
        which = ", ".join(names) if names else f"{X.shape[1]} columns"
        raise EstimationError(f"regression: the regressors ({which}) are collinear with each other or with the "
                              "fixed effects; no unique estimate exists. Check that comparison units and "
                              "periods before the start exist.")
    bread = np.linalg.inv(xtx)
    coef = bread @ (Xs.T @ ys)
    e = ys - Xs @ coef
    codes = np.asarray(clusters, dtype=np.int64)
    G = int(codes.max()) + 1
    scores = cluster_sums(codes, G, Xs * e[:, None])
    n = int(len(y) if n_obs is None else n_obs)
    k = X.shape[1] + k_fe
    vcov = cr1_factor(n, k, G) * bread @ (scores.T @ scores) @ bread
    return ClusterFit(coef=coef, vcov=vcov, n_obs=n, n_clusters=G, n_params=k, resid=e, x_tilde=Xs)

"""The panel 2x2 DiD estimators inside Callaway and Sant'Anna's ATT(g,t), with their influence functions.

Each takes, for the units of one (g, t) comparison, the outcome change dy = Y_t - Y_base, the treated-group
indicator D (1 = group g, 0 = comparison) and covariates X (with the intercept), and returns the ATT and its
influence function, following Sant'Anna and Zhao (2020) and the R DRDID package's panel estimators:

- ``reg``: outcome regression (Heckman, Ichimura and Todd 1997): a weighted OLS of dy on X among comparison
  units predicts the treated units' counterfactual change;
- ``ipw``: normalised (Hajek) inverse probability weighting with a logit propensity score (Abadie 2005);
- ``dr``: the doubly robust estimator ("traditional" DR-DiD, Sant'Anna and Zhao 2020, eq. 3.1) combining both.

As in DRDID, fitted propensity scores are capped at 1 - 1e-6 and comparison units with a score of 0.995 or more
get no weight (``TRIM``). Unit weights are normalised to mean 1. The logit is fitted by Newton-Raphson here
(a few lines; the cells are small and many, so statsmodels' per-fit overhead would dominate).
"""

from __future__ import annotations

import numpy as np

from virkning.errors import EstimationError

TRIM = 0.995


def logit_fit(X: np.ndarray, D: np.ndarray, w: np.ndarray, *, tol: float = 1e-12, maxit: int = 100) -> np.ndarray:
    """Weighted logistic regression by Newton-Raphson; returns fitted probabilities."""
    beta = np.zeros(X.shape[1])
    p0 = float(np.clip(np.average(D, weights=w), 1e-6, 1 - 1e-6))
    beta[0] = np.log(p0 / (1 - p0)) if np.allclose(X[:, 0], 1.0) else 0.0
    for _ in range(maxit):
        eta = X @ beta
        p = 1.0 / (1.0 + np.exp(-eta))
        W = w * p * (1 - p)
        grad = X.T @ (w * (D - p))
        H = X.T @ (X * W[:, None])
        try:
            step = np.linalg.solve(H, grad)
        except np.linalg.LinAlgError:
            raise EstimationError("propensity score: the covariates are collinear (or separate the groups) in a "
                                  "group-time comparison.") from None
        beta = beta + step
        if np.max(np.abs(step)) < tol * (1 + np.max(np.abs(beta))):
            break
    else:
        raise EstimationError("propensity score: the logit did not converge in a group-time comparison "
                              "(perfect prediction?). Use method='reg' or fewer covariates.")
    return 1.0 / (1.0 + np.exp(-(X @ beta)))


def _wols(dy: np.ndarray, D: np.ndarray, X: np.ndarray, w: np.ndarray):
    """OLS of dy on X among comparison units: fitted dy for all units and the asymptotic linear representation."""
    n = len(dy)
    wc = w * (1 - D)
    xtx = (X * wc[:, None]).T @ X
    try:
        coef = np.linalg.solve(xtx, (X * wc[:, None]).T @ dy)
    except np.linalg.LinAlgError:
        raise EstimationError("outcome regression: the covariates are collinear among the comparison units of a "
                              "group-time comparison.") from None
    if np.linalg.cond(xtx) > 1 / np.finfo(float).eps:
        raise EstimationError("outcome regression: the covariate matrix of the comparison units is singular.")
    fitted = X @ coef
    lin = (X * (wc * (dy - fitted))[:, None]) @ np.linalg.inv(xtx / n)
    return fitted, lin


def att_reg(dy: np.ndarray, D: np.ndarray, X: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray]:
    w = w / w.mean()
    fitted, lin = _wols(dy, D, X, w)
    wt = w * D
    eta_t = np.mean(wt * dy) / np.mean(wt)
    eta_c = np.mean(wt * fitted) / np.mean(wt)
    inf_t = (wt * dy - wt * eta_t) / np.mean(wt)
    inf_c = (wt * fitted - wt * eta_c + lin @ np.mean(wt[:, None] * X, axis=0)) / np.mean(wt)
    return float(eta_t - eta_c), inf_t - inf_c


def _pscore(D: np.ndarray, X: np.ndarray, w: np.ndarray):
    n = len(D)
    ps = np.minimum(logit_fit(X, D, w), 1 - 1e-6)
    trim = np.where(D == 1, True, ps < TRIM)
    W = ps * (1 - ps) * w
    hess = np.linalg.inv(X.T @ (X * W[:, None])) * n
    lin_ps = (X * (w * (D - ps))[:, None]) @ hess
    return ps, trim, lin_ps


def att_ipw(dy: np.ndarray, D: np.ndarray, X: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray]:
    w = w / w.mean()
    ps, trim, lin_ps = _pscore(D, X, w)
    wt = trim * w * D
    wc = trim * w * ps * (1 - D) / (1 - ps)
    eta_t = np.mean(wt * dy) / np.mean(wt)
    eta_c = np.mean(wc * dy) / np.mean(wc)
    inf_t = (wt * dy - wt * eta_t) / np.mean(wt)
    m2 = np.mean((wc * (dy - eta_c))[:, None] * X, axis=0)
    inf_c = (wc * dy - wc * eta_c + lin_ps @ m2) / np.mean(wc)
    return float(eta_t - eta_c), inf_t - inf_c


def att_dr(dy: np.ndarray, D: np.ndarray, X: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray]:
    w = w / w.mean()
    ps, trim, lin_ps = _pscore(D, X, w)
    fitted, lin_ols = _wols(dy, D, X, w)
    wt = trim * w * D
    wc = trim * w * ps * (1 - D) / (1 - ps)
    r = dy - fitted
    eta_t = np.mean(wt * r) / np.mean(wt)
    eta_c = np.mean(wc * r) / np.mean(wc)
    inf_t = (wt * r - wt * eta_t - lin_ols @ np.mean(wt[:, None] * X, axis=0)) / np.mean(wt)
    m2 = np.mean((wc * (r - eta_c))[:, None] * X, axis=0)
    m3 = np.mean(wc[:, None] * X, axis=0)
    inf_c = (wc * r - wc * eta_c + lin_ps @ m2 - lin_ols @ m3) / np.mean(wc)
    return float(eta_t - eta_c), inf_t - inf_c


def att_means(dy: np.ndarray, D: np.ndarray) -> tuple[float, np.ndarray]:
    """No covariates: difference of mean changes (what all three estimators reduce to), in closed form."""
    t = D == 1
    p1 = t.mean()
    m1 = dy[t].mean()
    m0 = dy[~t].mean()
    inf = np.where(t, (dy - m1) / p1, -(dy - m0) / (1 - p1))
    return float(m1 - m0), inf


ESTIMATORS = {"reg": att_reg, "ipw": att_ipw, "dr": att_dr}

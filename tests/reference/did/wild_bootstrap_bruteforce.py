"""Brute-force restricted wild cluster bootstrap, the textbook way, as an independent reference.

For every draw: build y* = fitted values under H0 + v_g * restricted residuals, refit the whole regression with
statsmodels (explicit dummies, cov_type="cluster", Stata's small-sample factor) and take t* = (b* - b0) / se*.
With Rademacher weights and all 2^G sign vectors enumerated, the p-value is a deterministic number that any
correct implementation must reproduce exactly (Cameron, Gelbach and Miller 2008; MacKinnon and Webb 2017).
Slow on purpose: it shares no algebra with virkning.estimate.wild_bootstrap.
"""

from __future__ import annotations

from itertools import product

import numpy as np
import pandas as pd
import statsmodels.api as sm


def wcr_pvalue_bruteforce(y: np.ndarray, X: pd.DataFrame, coef: str, clusters: np.ndarray, beta0: float = 0.0,
                          weights: np.ndarray | None = None) -> tuple[float, float]:
    """(t statistic, symmetric bootstrap p-value) over all 2^G Rademacher sign vectors."""
    codes, uniq = pd.factorize(clusters)
    w = np.ones(len(y)) if weights is None else weights

    def fit(yy):
        return sm.WLS(yy, X, weights=w).fit(cov_type="cluster", cov_kwds={"groups": codes})

    full = fit(y)
    t_hat = (full.params[coef] - beta0) / full.bse[coef]
    Xr = X.drop(columns=[coef])
    restricted = sm.WLS(y - beta0 * X[coef].to_numpy(), Xr, weights=w).fit()
    fitted_r = restricted.fittedvalues.to_numpy() + beta0 * X[coef].to_numpy()
    resid_r = y - fitted_r
    t_star = []
    for signs in product((1.0, -1.0), repeat=len(uniq)):
        v = np.asarray(signs)[codes]
        f = fit(fitted_r + v * resid_r)
        t_star.append((f.params[coef] - beta0) / f.bse[coef])
    t_star = np.asarray(t_star)
    # ties (the draws v = +1 and v = -1 everywhere reproduce |t|) do not count as more extreme
    return float(t_hat), float(np.mean(np.abs(t_star) > abs(t_hat) * (1 + 1e-9) + 1e-9))

"""Expected against actual: an OLS regression of the units' level on declared structural covariates, each unit's
actual minus expected level, and the prediction interval of a new observation at the unit's covariates.

    fit = expected_levels(frame, "rate", ["andel_ufaglaerte"], level=0.95)
    fit.units      # unit, actual, expected, difference, se, low, high, outside
    fit.terms      # term, coef, se, t, p

Written with numpy rather than by calling statsmodels so that the tests have an independent reference: the numbers
are checked against statsmodels' OLS and `get_prediction(...).summary_frame(obs=True)` to 1e-8. The interval is
the in-sample prediction interval (the unit is in the fit), as statsmodels gives it for the fitted rows; with few
units and one outlying unit this interval is wider than a leave-one-out one would be, which errs on the side of not
calling a unit unusual (docs/benchmarking.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from virkning.errors import EstimationError


@dataclass(frozen=True)
class ExpectedFit:
    units: pd.DataFrame = field(repr=False)
    terms: pd.DataFrame = field(repr=False)
    n: int
    df_resid: int
    r2: float
    sigma: float
    level: float

    def to_frame(self) -> pd.DataFrame:
        return self.units.copy()

    def __repr__(self) -> str:
        return (f"ExpectedFit({self.n} units, {len(self.terms) - 1} covariates, R2 {self.r2:.3f}, "
                f"residual sd {self.sigma:.4g}, {self.level:.0%} prediction intervals)")


def expected_levels(frame: pd.DataFrame, y: str, covariates: Sequence[str], level: float = 0.95,
                    unit: str = "unit") -> ExpectedFit:
    """OLS of `y` on an intercept and `covariates` over the rows of `frame` (one row per unit, no missing values)."""
    from scipy import stats  # on first use: 0.3 s off the start-up of a command that never calls this
    covariates = list(covariates)
    n, k = len(frame), len(covariates) + 1
    if n - k < 1:
        raise EstimationError(f"the expected-level model has {k} parameters but only {n} units with a shown level; "
                              "it needs at least one unit more than parameters (use fewer covariates)")
    X = np.column_stack([np.ones(n), frame[covariates].to_numpy(dtype=float)])
    Y = frame[y].to_numpy(dtype=float)
    # QR rather than the normal equations: covariates on very different scales (population, shares) stay accurate
    q, r = np.linalg.qr(X)
    if np.min(np.abs(np.diag(r))) < 1e-10 * np.max(np.abs(np.diag(r))):
        raise EstimationError(f"the covariates {', '.join(covariates)} are collinear over the units (one is a linear "
                              "combination of the others and the intercept); drop one")
    beta = np.linalg.solve(r, q.T @ Y)
    fitted = X @ beta
    resid = Y - fitted
    df = n - k
    s2 = float(resid @ resid) / df
    rinv = np.linalg.inv(r)
    cov = s2 * (rinv @ rinv.T)
    se_b = np.sqrt(np.diag(cov))
    tval = beta / se_b
    pval = 2 * stats.t.sf(np.abs(tval), df)
    se_mean = np.sqrt(np.einsum("ij,jk,ik->i", X, cov, X))
    se_obs = np.sqrt(s2 + se_mean**2)
    q_t = stats.t.ppf(0.5 + level / 2, df)
    low, high = fitted - q_t * se_obs, fitted + q_t * se_obs
    tss = float(((Y - Y.mean()) ** 2).sum())
    units = pd.DataFrame({unit: frame[unit].to_numpy(), "actual": Y, "expected": fitted, "difference": resid,
                          "se": se_obs, "low": low, "high": high, "outside": (Y < low) | (Y > high)})
    terms = pd.DataFrame({"term": ["const", *covariates], "coef": beta, "se": se_b, "t": tval, "p": pval})
    return ExpectedFit(units=units, terms=terms, n=n, df_resid=df, r2=1 - float(resid @ resid) / tss if tss > 0
                       else float("nan"), sigma=float(np.sqrt(s2)), level=level)

"""Covariate-adjusted effects on a matched sample: regression adjustment after matching.

    >>> virkning.estimate.adjusted_effects(m, ["exit_7"])           # m = virkning.match(...)

Matching removes most of the imbalance; a regression of the outcome on the treatment and the covariates in the
matched sample removes what is left and makes the estimate doubly robust in the sense of Ho, Imai, King and
Stuart (2007): it is consistent when either the matching balanced the covariates or the outcome model is right.
The model follows MatchIt's guide to estimating effects after matching (Greifer, "Estimating Effects After
Matching"): weighted least squares with the matching weights of

    y ~ treat + Xc + treat : Xc,        Xc = covariates centred at the focal group's weighted means,

so the coefficient of ``treat`` is the g-computation estimate of the ATT (ATC: centred at the controls), the
average over the focal group of the difference between the two groups' fitted outcome models. Categorical
covariates enter as indicator columns (first level dropped); columns constant in the sample and columns the
earlier ones span (aliased, as R's lm reports NA) are dropped. Standard errors are cluster-robust on the matched sets and,
when the match has a ``cluster`` column (persons), two-way on sets and persons (statsmodels' two-way cluster
covariance, with its small-sample correction); treating the centring means as fixed, as marginaleffects' average
comparisons with a cluster covariance do. Rows with a missing outcome are left out (complete cases, as in
``MatchResult.effects``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.special

from virkning.errors import DesignError, EstimationError
from virkning.estimate.result import MatchResult

ADJUSTED_COLUMNS = ["outcome", "att", "se", "ci_low", "ci_high", "att_unadjusted", "n_treated", "n_control",
                    "n_terms", "method"]
METHOD = "regression on the matched sample (treatment x centred covariates), cluster-robust SE"


def covariate_matrix(frame: pd.DataFrame, covariates: Sequence[str]) -> pd.DataFrame:
    """Numeric covariates as they are, text and categorical ones as indicators of every level but the first;
    columns without variation are dropped."""
    parts = []
    for c in covariates:
        x = frame[c]
        if x.dtype == object or isinstance(x.dtype, (pd.CategoricalDtype, pd.StringDtype)) or x.dtype == bool:
            parts.append(pd.get_dummies(x.astype(object).astype(str), prefix=c, drop_first=True, dtype=float))
        else:
            v = pd.to_numeric(x, errors="coerce").astype(float)
            if v.isna().any():
                raise DesignError(f"adjusted effects: covariate '{c}' has missing values; expected complete numeric "
                                  "covariates (categorical ones may use a missing level)")
            parts.append(v.rename(c).to_frame())
    X = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=frame.index)
    keep = [c for c in X.columns if X[c].nunique() > 1]
    return X[keep]


def _independent(D: np.ndarray, w: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """The columns of D in order, less each column that the kept ones already span in the weighted inner product
    (a level present in one group only makes its interaction aliased). Dropping aliased columns rather than
    leaving them to a pseudo-inverse keeps the treatment coefficient the g-computation estimate, as R's lm does
    with its NA coefficients."""
    sw = np.sqrt(w)[:, None]
    A = D * sw
    Q = np.zeros((len(D), 0))
    keep = []
    for j in range(A.shape[1]):
        x = A[:, j]
        r = x - Q @ (Q.T @ x)
        r = r - Q @ (Q.T @ r)  # twice: Gram-Schmidt loses orthogonality otherwise
        norm = np.linalg.norm(r)
        if norm > tol * max(float(np.linalg.norm(x)), 1.0):
            Q = np.column_stack([Q, r / norm])
            keep.append(j)
    if 1 not in keep:
        raise EstimationError("adjusted effects: the treatment is collinear with the covariates in the matched "
                              "sample; no adjusted effect can be estimated")
    return D[:, keep]


def adjusted_effects(result: MatchResult, outcomes: Sequence[str] | str, covariates: Sequence[str] | None = None, *,
                     level: float = 0.95) -> pd.DataFrame:
    """Regression-adjusted effect per outcome on the matched sample (columns ``ADJUSTED_COLUMNS``); `covariates`
    default to the match's covariates."""
    if not isinstance(result, MatchResult):
        raise DesignError(f"adjusted_effects: expected a MatchResult; got {type(result).__name__}")
    if not (0 < level < 1):
        raise DesignError(f"option 'level': expected a confidence level between 0 and 1; got {level!r}.")
    outcomes = [outcomes] if isinstance(outcomes, str) else list(outcomes)
    covariates = list(result.config.covariates if covariates is None else covariates)
    frame = result.source
    missing = [c for c in [*outcomes, *covariates] if c not in frame.columns]
    if missing:
        raise DesignError(f"adjusted_effects: column(s) {', '.join(missing)} not in the data; expected some of "
                          f"{', '.join(map(str, frame.columns[:12]))}")
    sample = result.analysis_sample()
    focal = sample.treat if sample.estimand == "ATT" else ~sample.treat
    X_all = covariate_matrix(frame.iloc[sample.rows].reset_index(drop=True), covariates).to_numpy(float)
    z = float(scipy.special.ndtri(0.5 + level / 2))
    clusters = np.column_stack(sample.clusters) if len(sample.clusters) > 1 else sample.clusters[0]
    rows = []
    for o in outcomes:
        y = frame[o].to_numpy(dtype=float, na_value=np.nan)[sample.rows]
        keep = ~np.isnan(y) & (sample.weights > 0)
        t, w, X, f = sample.treat[keep], sample.weights[keep], X_all[keep], focal[keep]
        n_t, n_c = int(len(np.unique(sample.rows[keep & sample.treat]))), int(len(np.unique(sample.rows[keep & ~sample.treat])))
        if not t.any() or t.all():
            rows.append({"outcome": o, "att": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                         "att_unadjusted": np.nan, "n_treated": n_t, "n_control": n_c, "n_terms": 0, "method": METHOD})
            continue
        varying = X.std(axis=0) > 0
        X = X[:, varying]
        Xc = X - (w[f] @ X[f]) / w[f].sum()
        tt = t.astype(float)
        design = _independent(np.column_stack([np.ones(len(tt)), tt, Xc, tt[:, None] * Xc]), w)
        groups = clusters[keep]
        from statsmodels.regression.linear_model import WLS  # ~1 s to import: only when adjusting

        try:
            with np.errstate(invalid="ignore"):  # a two-way variance can be negative for a term other than treat
                fit = WLS(y[keep], design, weights=w).fit(cov_type="cluster", cov_kwds={"groups": groups})
        except (ValueError, np.linalg.LinAlgError) as e:
            raise EstimationError(f"adjusted effects for '{o}': the regression could not be fitted ({e})") from e
        att, se = float(fit.params[1]), float(fit.bse[1])
        m1 = float(w[t] @ y[keep][t] / w[t].sum())
        m0 = float(w[~t] @ y[keep][~t] / w[~t].sum())
        rows.append({"outcome": o, "att": att, "se": se, "ci_low": att - z * se, "ci_high": att + z * se,
                     "att_unadjusted": m1 - m0, "n_treated": n_t, "n_control": n_c, "n_terms": int(X.shape[1]),
                     "method": METHOD + (" (sets and persons)" if len(sample.clusters) > 1 else " (sets)")})
    return pd.DataFrame(rows, columns=ADJUSTED_COLUMNS)

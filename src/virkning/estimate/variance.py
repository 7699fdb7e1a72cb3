"""Analytic variances for matched comparisons of weighted means and Kaplan-Meier curves.

Both estimators are smooth functions of weighted sums over rows, so each row r of group g has an influence
psi_r: the derivative of the group's estimate with respect to the row's weight. For a weighted mean
psi_r = (y_r - m_g) / W_g; for the weighted Kaplan-Meier cumulative incidence F(m) = 1 - prod_{k<=m}(1 - h_k),
with weighted exits D_k, weighted numbers at risk R_k and hazards h_k = D_k / R_k,

    psi_r(m) = S(m) * sum_{k<=m} (dN_r(k) - h_k Y_r(k)) / (R_k (1 - h_k)),

the weighted form of Greenwood's variance (it equals (y_r - F) / W when everyone is followed to m).
``e_r = W_g psi_r`` is the row's residual on the outcome's scale.

Two variances are built from them:

- ``cluster_variance``: the effect's sandwich variance, sum over clusters of the squared cluster totals of
  w_r (psi1_r - psi0_r), one-way or two-way (matched sets and persons, Cameron, Gelbach and Miller 2011) with
  G/(G-1) per dimension. It targets the effect in the population the participants come from.
- ``satt_variance``: the variance of the estimate around the effect on the matched participants themselves,
  the sample average effect on the treated (SATT, Abadie and Imbens 2006, section 3). A participant's own
  outcome enters both the estimate and the SATT and cancels; what varies is (1) the matched controls'
  outcomes, summed per person so that a control person used in several matched sets counts once
  (cluster-robust over persons), and (2) the participants' unobserved outcomes without the programme, whose
  variance at a participant's covariates is estimated from the participant's own matched controls (under
  unconfoundedness Y(0) has the same conditional distribution in both groups). The residuals are taken
  around the group's overall mean rather than a conditional mean, which adds the variance of the control
  mean across covariate values and errs on the conservative side. For the ATC the roles of the groups swap.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from virkning.errors import EstimationError


def _codes(values: np.ndarray) -> tuple[np.ndarray, int]:
    uniq, inv = np.unique(values, return_inverse=True)
    return inv.astype(np.int64), len(uniq)


def km_influence(event: np.ndarray, risk: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted Kaplan-Meier cumulative incidence (months) and each row's influence psi (rows x months)."""
    D = w @ event
    R = w @ risk
    with np.errstate(invalid="ignore", divide="ignore"):
        h = np.where(R > 0, D / R, 0.0)
        S = np.cumprod(1.0 - h)
        denom = R * (1.0 - h)
        step = np.where(denom > 0, (event - h[None, :] * risk) / np.where(denom > 0, denom, 1.0)[None, :], 0.0)
    return 1.0 - S, S[None, :] * np.cumsum(step, axis=1)


def _cluster_sum_sq(codes: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, int]:
    c, g = _codes(codes)
    sums = np.zeros((g, values.shape[1]))
    np.add.at(sums, c, values)
    return np.sum(sums * sums, axis=0), g


def cluster_variance(contrib: np.ndarray, clusters: Sequence[np.ndarray]) -> np.ndarray:
    """Sandwich variance of a sum of per-row contributions (rows x columns), clustered one- or two-way."""
    if len(clusters) == 1:
        ss, g = _cluster_sum_sq(clusters[0], contrib)
        if g < 2:
            raise EstimationError("cluster-robust variance: only one cluster.")
        return g / (g - 1) * ss
    a, ga = _codes(clusters[0])
    b, gb = _codes(clusters[1])
    var = np.zeros(contrib.shape[1])
    for codes, sign in ((a, 1.0), (b, 1.0), (a * gb + b, -1.0)):
        ss, g = _cluster_sum_sq(codes, contrib)
        if g < 2:
            raise EstimationError("cluster-robust variance: only one cluster.")
        var += sign * g / (g - 1) * ss
    return var


def satt_variance(resid: np.ndarray, w: np.ndarray, focal: np.ndarray, sets: np.ndarray,
                  persons: np.ndarray) -> np.ndarray:
    """Variance of the matched estimate around the sample average effect on the focal group (see module).

    resid: rows x columns, the residuals e_r of the non-focal (matched) group's rows on the outcome scale
        (ignored for focal rows); w: matching weights; focal: the focal rows (the treated for the ATT);
        sets: matched set of each row; persons: person (or unit) of each row.
    """
    other = ~focal
    W_other = w[other].sum()
    W_focal = w[focal].sum()
    if W_other <= 0 or W_focal <= 0:
        return np.full(resid.shape[1], np.nan)
    e = np.where(other[:, None], resid, 0.0)
    # (1) the matched group's sampling variance, a control person's rows summed (cluster-robust over persons)
    ss, g = _cluster_sum_sq(persons[other], (w[other, None] * e[other]) / W_other)
    v_other = (g / (g - 1) if g > 1 else 1.0) * ss
    # (2) each focal unit's unobserved outcome: the weighted mean squared residual of its own matches
    s_codes, ns = _codes(sets)
    wsum = np.bincount(s_codes[other], weights=w[other], minlength=ns)
    sq = np.zeros((ns, resid.shape[1]))
    np.add.at(sq, s_codes[other], w[other, None] * e[other] ** 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_set = sq / wsum[:, None]
    fw = np.bincount(s_codes[focal], weights=w[focal], minlength=ns)  # focal weight per set (1 each)
    v_focal = np.nansum(fw[:, None] ** 2 * per_set, axis=0) / W_focal ** 2
    return v_other + v_focal

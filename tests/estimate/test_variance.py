"""Analytic variances of the matched curves and means (virkning.estimate.variance).

- The weighted Kaplan-Meier influence functions are the derivatives of the curve (finite differences) and give
  R's robust (infinitesimal jackknife) standard errors clustered by person: survival::survfit(..., id, robust =
  TRUE), stored in tests/reference/km/km_cluster_reference.csv (make_cluster_reference.R), to 1e-10.
- Without censoring the curves' cluster variance is the matched regression's sandwich variance.
- The sample-ATT variance covers a known sample effect (simulated participants with coupled potential outcomes)
  at the nominal rate, where the population variance over-covers.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import virkning
from virkning.estimate.curves import _event_matrices, _km, km_curve
from virkning.estimate.variance import _cluster_sum_sq, cluster_variance, km_influence, satt_variance

KM = Path(__file__).resolve().parents[1] / "reference" / "km"


def test_km_influence_is_the_derivative_of_the_curve():
    d = pd.read_csv(KM / "km_cluster_data.csv")
    event, risk = _event_matrices(d["first"].to_numpy(float), d["followup"].to_numpy(float), 6)
    w = d["weights"].to_numpy(float)
    F, psi = km_influence(event, risk, w)
    np.testing.assert_allclose(F, _km(w @ event, w @ risk), atol=1e-14)
    for r in (0, 7, 123, 399):
        w2 = w.copy()
        w2[r] += 1e-6
        fd = (_km(w2 @ event, w2 @ risk) - F) / 1e-6
        np.testing.assert_allclose(psi[r], fd, atol=1e-7)
    np.testing.assert_allclose(w @ psi, 0.0, atol=1e-12)  # influences sum to zero


@pytest.mark.parametrize("group", [1, 0])
def test_clustered_km_standard_errors_equal_r_survfit_robust(group):
    d = pd.read_csv(KM / "km_cluster_data.csv")
    ref = pd.read_csv(KM / "km_cluster_reference.csv")
    ref = ref[ref["treat"] == group]
    x = d[d["treat"] == group]
    assert x["id"].duplicated().sum() > 50 and (x["followup"] < 6).sum() > 20  # clustering and censoring exercised
    event, risk = _event_matrices(x["first"].to_numpy(float), x["followup"].to_numpy(float), 6)
    w = x["weights"].to_numpy(float)
    F, psi = km_influence(event, risk, w)
    ss, _ = _cluster_sum_sq(x["id"].to_numpy(), w[:, None] * psi)
    np.testing.assert_allclose(F, ref["cum_incidence"], atol=1e-12)
    np.testing.assert_allclose(np.sqrt(ss), ref["se"], rtol=1e-10)


def _pairs(seed: int, n_t: int = 300, n_c: int = 3000, base: float = -0.8, p_shift: float = 0.25):
    """Participants and a pool; exit by month 1..3 from a latent uniform shared by Y(1) and Y(0) (twins)."""
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(0.4, 1, n_t), rng.normal(0, 1, n_c)])
    treat = np.r_[np.ones(n_t, int), np.zeros(n_c, int)]
    u = rng.random(len(x))
    p0 = 1 / (1 + np.exp(-(base + 0.5 * x)))
    p1 = np.minimum(p0 + p_shift, 0.99)
    month = rng.integers(1, 4, len(x)).astype(float)
    y0, y1 = u < p0, u < p1
    y = np.where(treat == 1, y1, y0)
    df = pd.DataFrame({"treat": treat, "x": x, "first": np.where(y, month, np.nan), "followup": 3.0,
                       "y": y.astype(float)})
    satt = float(np.mean(y1[:n_t].astype(float) - y0[:n_t]))
    return df, satt


def test_sample_att_variance_covers_the_sample_effect():
    # rare exits without the programme, common with it (as exits to temp agencies): Var Y(1) >> Var Y(0)
    covered_satt, covered_cluster, se_ratio, errors, ses = [], [], [], [], []
    for seed in range(150):
        df, satt = _pairs(seed, base=-2.5, p_shift=0.35)
        m = virkning.match(df, covariates=["x"])
        s = m.analysis_sample()
        a = km_curve(s, df["first"].to_numpy(), df["followup"].to_numpy(), 3, outcome="exit", variance="satt")
        b = km_curve(s, df["first"].to_numpy(), df["followup"].to_numpy(), 3, outcome="exit", variance="cluster")
        covered_satt.append((a["ci_low"].iloc[-1] <= satt) & (satt <= a["ci_high"].iloc[-1]))
        covered_cluster.append((b["ci_low"].iloc[-1] <= satt) & (satt <= b["ci_high"].iloc[-1]))
        se_ratio.append(a["se"].iloc[-1] / b["se"].iloc[-1])
        errors.append(a["att"].iloc[-1] - satt)
        ses.append(a["se"].iloc[-1])
    # the population variance counts the variance of Y(1), which cancels in the error against the sample effect
    assert 0.91 <= np.mean(covered_satt) <= 0.985
    assert np.mean(covered_cluster) > 0.99
    assert 0.5 < np.mean(se_ratio) < 0.8
    assert np.std(errors, ddof=1) / np.mean(ses) == pytest.approx(1.0, abs=0.15)


def test_satt_variance_by_hand_for_pairs():
    # 1:1 pairs, no reuse: V = sum_i e_j(i)^2 / N^2 (the participants' unobserved Y(0)) + G/(G-1) sum_j e_j^2 / N^2
    rng = np.random.default_rng(1)
    n = 40
    y = rng.random(2 * n)
    focal = np.r_[np.ones(n, bool), np.zeros(n, bool)]
    sets = np.r_[np.arange(n), np.arange(n)]
    w = np.ones(2 * n)
    e = np.where(focal, 0.0, y - y[~focal].mean())
    v = satt_variance(e[:, None], w, focal, sets, np.arange(2 * n))
    ec = e[~focal]
    assert v[0] == pytest.approx((ec ** 2).sum() / n ** 2 + n / (n - 1) * (ec ** 2).sum() / n ** 2, rel=1e-12)
    # a control person in two sets counts once in the first part: its residuals are summed before squaring
    persons = np.arange(2 * n)
    persons[n + 1] = persons[n]
    v2 = satt_variance(e[:, None], w, focal, sets, persons)
    g = n - 1
    first = (((ec[0] + ec[1]) ** 2) + (ec[2:] ** 2).sum()) / n ** 2 * g / (g - 1)
    assert v2[0] == pytest.approx((ec ** 2).sum() / n ** 2 + first, rel=1e-12)


def test_cluster_variance_of_means_is_the_regression_sandwich():
    df, _ = _pairs(3)
    df["person"] = np.arange(len(df)) // 2  # persons with two rows
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = virkning.match(df, covariates=["x"], cluster="person")
    s = m.analysis_sample()
    curve = km_curve(s, df["first"].to_numpy(), df["followup"].to_numpy(), 3, outcome="exit", variance="cluster")
    est = m.effect("y")  # exit by month 3 = y, cluster-robust on sets and persons
    n = len(s.rows)
    assert curve["att"].iloc[-1] == pytest.approx(est.att, abs=1e-12)
    # the regression adds (n - 1) / (n - 2), the curves do not (as survfit's robust variance)
    assert curve["se"].iloc[-1] * np.sqrt((n - 1) / (n - 2)) == pytest.approx(est.se, rel=1e-10)


def test_cluster_variance_two_way_is_the_inclusion_exclusion_of_one_way():
    rng = np.random.default_rng(0)
    c = rng.normal(size=(50, 2))
    a, b = rng.integers(0, 10, 50), rng.integers(0, 7, 50)
    two = cluster_variance(c, [a, b])
    ab = a * 7 + b
    parts = [cluster_variance(c, [k]) for k in (a, b, ab)]
    np.testing.assert_allclose(two, parts[0] + parts[1] - parts[2], rtol=1e-12)

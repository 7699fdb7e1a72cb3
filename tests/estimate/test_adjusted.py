"""Regression-adjusted effects after matching and the Kaplan-Meier risk ratio.

References: the g-computation estimate rebuilt from two separate least-squares fits (numpy), the two-way
cluster sandwich rebuilt by hand, a simulation with a known effect and leftover imbalance, and for the
Kaplan-Meier risk ratio the delta-method SE of ``log_ratio_se`` (itself equal to statsmodels' Poisson GLM,
tests/estimate/test_relative.py) when nobody is censored."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import virkning
from virkning.errors import DesignError
from virkning.estimate.adjusted import ADJUSTED_COLUMNS, adjusted_effects, covariate_matrix
from virkning.estimate.relative import km_relative, log_ratio_se, relative_effects


def simulate(seed: int, n: int = 3000, effect: float = 0.1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.normal(57, 4, n)
    prior = rng.beta(2, 2, n)
    sex = rng.choice(["K", "M", "X"], n, p=[0.45, 0.45, 0.1])
    lin = -1.2 + 0.15 * (age - 57) - 1.5 * prior + 0.4 * (sex == "M")
    treat = (rng.random(n) < 1 / (1 + np.exp(-lin))).astype(int)
    y = 0.2 + 0.6 * prior + 0.02 * (age - 57) + 0.05 * (sex == "M") + effect * treat + rng.normal(0, 0.2, n)
    # a first exit month (1..6, NaN = none) whose hazard rises with prior and treatment
    p = np.clip(0.05 + 0.1 * prior + 0.04 * treat, 0, 1)
    first = np.full(n, np.nan)
    for month in range(1, 7):
        hit = np.isnan(first) & (rng.random(n) < p)
        first[hit] = month
    return pd.DataFrame({"treat": treat, "age": age, "prior": prior, "sex": sex, "y": y, "first": first,
                         "person": rng.integers(0, int(n * 0.8), n)})


@pytest.fixture(scope="module")
def matched():
    df = simulate(7)
    return virkning.match(df, "treat", ["age", "sex"], cluster="person")  # prior left out: imbalance remains


def test_point_estimate_equals_g_computation_from_two_fits(matched):
    out = adjusted_effects(matched, "y", ["age", "prior", "sex"])
    assert list(out.columns) == ADJUSTED_COLUMNS
    s = matched.analysis_sample()
    X = covariate_matrix(matched.source.iloc[s.rows].reset_index(drop=True), ["age", "prior", "sex"]).to_numpy()
    X1 = np.column_stack([np.ones(len(X)), X])
    y = matched.source["y"].to_numpy()[s.rows]
    w = s.weights
    fits = {}
    for g, mask in (("t", s.treat), ("c", ~s.treat)):
        sw = np.sqrt(w[mask])
        fits[g] = np.linalg.lstsq(X1[mask] * sw[:, None], y[mask] * sw, rcond=None)[0]
    t = s.treat
    gcomp = float(w[t] @ (X1[t] @ fits["t"] - X1[t] @ fits["c"]) / w[t].sum())
    assert out.loc[0, "att"] == pytest.approx(gcomp, abs=1e-10)
    # without covariates the adjustment is the plain matched difference
    plain = adjusted_effects(matched, "y", [])
    assert plain.loc[0, "att"] == pytest.approx(matched.effect("y").att, abs=1e-12)
    assert plain.loc[0, "att"] == pytest.approx(out.loc[0, "att_unadjusted"], abs=1e-12)


def test_two_way_cluster_se_equals_a_hand_sandwich(matched):
    covs = ["age", "prior", "sex"]
    out = adjusted_effects(matched, "y", covs)
    s = matched.analysis_sample()
    X = covariate_matrix(matched.source.iloc[s.rows].reset_index(drop=True), covs).to_numpy()
    w, t = s.weights, s.treat.astype(float)
    Xc = X - (w[s.treat] @ X[s.treat]) / w[s.treat].sum()
    D = np.column_stack([np.ones(len(t)), t, Xc, t[:, None] * Xc])
    y = matched.source["y"].to_numpy()[s.rows]
    bread = np.linalg.inv(D.T @ (w[:, None] * D))
    beta = bread @ D.T @ (w * y)
    score = D * (w * (y - D @ beta))[:, None]
    n, k = D.shape

    def meat(codes):
        _, c = np.unique(codes, return_inverse=True)
        g = c.max() + 1
        sums = np.zeros((g, k))
        np.add.at(sums, c, score)
        return g / (g - 1) * (n - 1) / (n - k) * sums.T @ sums

    a, b = s.clusters
    V = bread @ (meat(a) + meat(b) - meat(a * (b.max() + 1) + b)) @ bread
    assert out.loc[0, "att"] == pytest.approx(beta[1], abs=1e-10)
    assert out.loc[0, "se"] == pytest.approx(np.sqrt(V[1, 1]), rel=1e-8)
    assert "sets and persons" in out.loc[0, "method"]


def test_adjustment_removes_leftover_imbalance():
    # 'prior' is not matched on and lowers participation while raising y: the plain matched difference is biased
    # downwards, the adjusted estimate recovers the effect 0.1 (over 8 samples: mean error within 3 Monte Carlo SE)
    errs, raw = [], []
    for seed in range(8):
        m = virkning.match(simulate(seed), "treat", ["age", "sex"])
        r = adjusted_effects(m, "y", ["age", "prior", "sex"]).iloc[0]
        errs.append(r["att"] - 0.1)
        raw.append(r["att_unadjusted"] - 0.1)
    errs = np.array(errs)
    assert abs(errs.mean()) < 3 * errs.std(ddof=1) / np.sqrt(len(errs)) + 0.003
    assert np.mean(raw) < -0.02  # the unadjusted estimate is visibly biased


def test_bad_inputs(matched):
    with pytest.raises(DesignError, match="not in the data"):
        adjusted_effects(matched, "nope")
    with pytest.raises(DesignError, match="confidence level"):
        adjusted_effects(matched, "y", level=1.5)
    with pytest.raises(DesignError, match="expected a MatchResult"):
        adjusted_effects(pd.DataFrame(), "y")


def test_km_risk_ratio_without_censoring_equals_the_delta_method_on_the_indicator(matched):
    s = matched.analysis_sample()
    df = matched.source
    first = df["first"].to_numpy()
    follow = np.full(len(df), 6.0)
    km = km_relative(s, first, follow, 6)
    for month in (2, 6):
        exited = (~np.isnan(first) & (first <= month)).astype(float)
        y, t, w = exited[s.rows], s.treat, s.weights
        n = len(y)
        se = log_ratio_se(y, t, w, list(s.clusters))
        row = km[km["month"] == month].iloc[0]
        m1, m0 = w[t] @ y[t] / w[t].sum(), w[~t] @ y[~t] / w[~t].sum()
        assert row["risk_ratio"] == pytest.approx(m1 / m0, rel=1e-12)
        assert row["log_rr_se"] * np.sqrt((n - 1) / (n - 2)) == pytest.approx(se, rel=1e-9)
        assert row["rr_ci_low"] < row["risk_ratio"] < row["rr_ci_high"]
        assert row["relative_change"] == pytest.approx(row["risk_ratio"] - 1)
        ref = relative_effects(matched.source.assign(e=exited), ["e"], sample=s).iloc[0]
        assert row["risk_ratio"] == pytest.approx(ref["risk_ratio"], rel=1e-12)


def test_km_risk_ratio_with_censoring_is_finite_and_brackets():
    df = simulate(3)
    m = virkning.match(df, "treat", ["age", "prior", "sex"], cluster="person")
    follow = np.where(np.arange(len(df)) % 5 == 0, 3.0, 6.0)
    first = np.where(df["first"].to_numpy() > follow, np.nan, df["first"].to_numpy())
    km = km_relative(m.analysis_sample(), first, follow, 6)
    assert (km["rr_ci_low"] < km["risk_ratio"]).all() and (km["risk_ratio"] < km["rr_ci_high"]).all()
    with pytest.raises(DesignError, match="confidence level"):
        km_relative(m.analysis_sample(), first, follow, 6, level=0)


def test_a_level_in_one_group_only_is_dropped_not_pseudo_inverted(matched):
    # a level only controls have makes its interaction aliased; the estimate equals the fit without that column
    df = matched.source.copy()
    s = matched.analysis_sample()
    ctrl = s.rows[~s.treat][:40]
    df["grp"] = "a"
    df.loc[df.index[ctrl], "grp"] = "b"
    import dataclasses
    m2 = dataclasses.replace(matched, source=df)
    with_level = adjusted_effects(m2, "y", ["age", "grp"]).iloc[0]
    # reference: the same g-computation with the level's indicator in the control model only (two separate fits)
    X = covariate_matrix(df.iloc[s.rows].reset_index(drop=True), ["age", "grp"]).to_numpy()
    X1 = np.column_stack([np.ones(len(X)), X])
    y = df["y"].to_numpy()[s.rows]
    w, t = s.weights, s.treat
    bt = np.linalg.lstsq(X1[t][:, :2] * np.sqrt(w[t])[:, None], y[t] * np.sqrt(w[t]), rcond=None)[0]
    bc = np.linalg.lstsq(X1[~t] * np.sqrt(w[~t])[:, None], y[~t] * np.sqrt(w[~t]), rcond=None)[0]
    gcomp = float(w[t] @ (X1[t][:, :2] @ bt - X1[t] @ bc) / w[t].sum())
    assert with_level["att"] == pytest.approx(gcomp, abs=1e-9)
    assert np.isfinite(with_level["se"]) and with_level["n_terms"] == 2

"""The bootstrap that resamples persons, re-estimates the propensity score and matches again.

Checked: seeded and independent of the number of threads; every replicate keeps the number of participants
(stratified resampling) and matches them all in 1:1 matching without a caliper; the one-step re-fit of the
propensity model is close to the converged fit on the replicate; the bootstrap SE is close to the Monte Carlo SD
of the matching estimator over repeated samples from a known population; every option of match() runs inside it;
effects and curves from the replicates; a row without an outcome is an error.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import virkning
from virkning.errors import DesignError, EstimationError
from virkning.estimate import rematch_bootstrap
from virkning.estimate.curves import km_curve
from virkning.estimate.propensity import fit_propensity
from virkning.estimate.rematch import _newton, _plan, replicate_means


def population(seed: int, n: int = 1500) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    z = rng.normal(size=n)
    region = rng.choice(["a", "b", "c"], n)
    treat = (rng.random(n) < 1 / (1 + np.exp(-(-1.7 + 0.8 * x - 0.4 * z + 0.3 * (region == "b"))))).astype(int)
    y = 1.0 + 0.5 * x + 0.3 * z + 0.4 * treat + rng.normal(size=n)
    first = np.where(rng.random(n) < 1 / (1 + np.exp(-(-0.5 + 0.4 * x + 0.3 * treat))), rng.integers(1, 5, n), np.nan)
    return pd.DataFrame({"treat": treat, "x": x, "z": z, "region": region, "y": y, "first": first,
                         "followup": 4.0, "person": np.arange(n) // 2, "age": rng.integers(20, 60, n),
                         "kind": rng.choice(["p", "q"], n)})


@pytest.fixture(scope="module")
def matched():
    d = population(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = virkning.match(d, covariates=["x", "z", "region"], cluster="person")
    return d, m


def test_seeded_and_independent_of_threads(matched):
    _, m = matched
    a = rematch_bootstrap(m, 20, seed=3)
    b = rematch_bootstrap(m, 20, seed=3, workers=2)
    c = rematch_bootstrap(m, 20, seed=4)
    assert (a.weights != b.weights).nnz == 0
    assert (a.weights != c.weights).nnz > 0
    assert a.n_boot == 20 and a.unit == "person" and "20 replicates" in repr(a)
    # progress about every 10 % (here every 2 replicates), in order also with threads; the draws are unchanged
    said = []
    p = rematch_bootstrap(m, 20, seed=3, workers=2, progress=lambda done, n: said.append((done, n)))
    assert said == [(k, 20) for k in range(2, 21, 2)] and (p.weights != a.weights).nnz == 0


def test_replicates_keep_and_match_every_participant(matched):
    d, _ = matched
    m = virkning.match(d, covariates=["x", "z", "region"])  # each row its own unit
    draws = rematch_bootstrap(m, 30, seed=1)
    t = d["treat"].to_numpy() == 1
    W = draws.weights.toarray()
    # units are drawn within strata (with / without a participant row), so each replicate has as many
    # participants as the data; 1:1 without a caliper matches all, the control weights summing to N1
    np.testing.assert_allclose(W[:, t].sum(axis=1), t.sum())
    np.testing.assert_allclose(W[:, ~t].sum(axis=1), t.sum())
    assert set(draws.rows_needed) >= set(np.flatnonzero(t))


def test_one_step_refit_is_close_to_the_converged_fit(matched):
    d, m = matched
    plan = _plan(m, "person")
    units = np.unique(plan.unit_codes)
    ratios = {"one-step": [], "newton-2": []}
    for seed in range(5):
        rng = np.random.default_rng(seed)
        counts = np.bincount(rng.choice(units, len(units)), minlength=units.max() + 1)
        f_int = counts[plan.unit_codes].astype(float)  # the plan keeps rows in the model's internal order
        f = plan.mx.to_external(f_int).astype(int)
        converged = fit_propensity(d.iloc[np.repeat(np.arange(len(d)), f)], "treat", ["x", "z", "region"])
        conv = np.array([dict(zip(converged.terms, converged.coef))[t] for t in plan.mx.names])
        one = plan.beta_all.copy()
        one[plan.free_all] += plan.hinv_all @ ((counts - 1.0) @ plan.unit_scores)
        two = _newton(plan.mx, plan.y_int, f_int, plan.beta_all, plan.free_all, 2)
        change = np.abs(conv - plan.beta_all).max()
        assert change > 0.1  # the replicate moves the estimate
        ratios["one-step"].append(np.abs(one - conv).max() / change)
        ratios["newton-2"].append(np.abs(two - conv).max() / change)
    # the one-step error is O(1/n) against a change of O(1/sqrt(n)): a few per cent at n = 1,500
    assert np.mean(ratios["one-step"]) < 0.15
    assert np.mean(ratios["newton-2"]) < 0.01


def test_bootstrap_se_matches_the_monte_carlo_sd():
    # repeated samples from one population: the SD of the matching estimator vs the re-matching bootstrap SE
    est = []
    for seed in range(100, 220):
        d = population(seed, n=800)
        est.append(virkning.match(d, covariates=["x", "z"]).effect("y").att)
    sd = np.std(est, ddof=1)
    ses = []
    for seed in (300, 301, 302, 303):
        m = virkning.match(population(seed, n=800), covariates=["x", "z"])
        ses.append(m.effect("y", se="rematch", draws=rematch_bootstrap(m, 150, seed=seed)).se)
    assert np.mean(ses) == pytest.approx(sd, rel=0.25)


@pytest.mark.parametrize("kw", [
    dict(caliper=0.3, discard="both", reestimate=True, ratio=2),
    dict(exact=["region"], replace=True, ratio=2),
    dict(caliper={"distance": 0.5, "age": 5}, antiexact=["kind"]),
    dict(estimand="ATC", replace=True),
    dict(mahvars=["x", "z"], caliper=0.4),
    dict(distance="mahalanobis", exact=["region"]),
    dict(m_order="random", seed=3),
])
def test_every_option_runs_in_the_replicates(kw):
    d = population(2, n=600)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = virkning.match(d, covariates=["x", "z"], cluster="person", **kw)
        draws = rematch_bootstrap(m, 8, seed=1)
    assert draws.n_boot == 8
    e = m.effect("y", se="rematch", draws=draws)
    assert np.isfinite(e.se) and e.se > 0 and e.ci_low < e.att < e.ci_high and e.n_boot == 8


def test_curves_and_means_from_the_replicates(matched):
    d, m = matched
    draws = rematch_bootstrap(m, 40, seed=2)
    s = m.analysis_sample()
    curve = km_curve(s, d["first"].to_numpy(), d["followup"].to_numpy(), 4, outcome="exit", variance="rematch",
                     draws=draws)
    assert (curve["se"] > 0).all() and "re-matching" in curve["method"].iloc[0]
    # normal intervals around the estimate (the replicates' quantiles are not centred on it)
    np.testing.assert_allclose(curve["ci_high"] - curve["att"], 1.959963984540054 * curve["se"], rtol=1e-12)
    e = m.effect("y", se="rematch", draws=draws)
    assert e.ci_high - e.att == pytest.approx(1.959963984540054 * e.se, rel=1e-12)
    # the replicate curves without censoring are replicate means of "exited by month 4"
    y4 = (~np.isnan(d["first"].to_numpy())).astype(float)
    m1, m0 = replicate_means(draws, y4[:, None])
    assert curve["se"].iloc[-1] == pytest.approx(np.std(m1[:, 0] - m0[:, 0], ddof=1), rel=1e-10)


def test_missing_outcomes_and_bad_options_are_errors(matched):
    d, m = matched
    draws = rematch_bootstrap(m, 10, seed=2)
    holes = d.copy()
    unmatched = np.setdiff1d(draws.rows_needed, np.flatnonzero(m.weights > 0))
    holes.loc[unmatched[:3], "followup"] = np.nan
    with pytest.raises(EstimationError, match="read the outcomes for draws.rows_needed"):
        km_curve(m.analysis_sample(), holes["first"].to_numpy(), holes["followup"].to_numpy(), 4, outcome="e",
                 variance="rematch", draws=draws)
    with pytest.raises(DesignError, match="option 'draws'"):
        m.effect("y", se="rematch")
    with pytest.raises(DesignError, match="option 'n_boot'"):
        rematch_bootstrap(m, 1)
    with pytest.raises(DesignError, match="option 'newton_steps'"):
        rematch_bootstrap(m, 5, newton_steps=-1)


def test_sparse_weights_equal_matchit_weights():
    from virkning.estimate.nearest import matchit_weights
    from virkning.estimate.rematch import _sparse_weights

    rng = np.random.default_rng(0)
    n, n1 = 60, 12
    focal = np.sort(rng.choice(n, n1, replace=False))
    others = np.setdiff1d(np.arange(n), focal)
    mm = rng.choice(others, size=(n1, 3))  # with reuse, as with replacement
    mm[rng.random((n1, 3)) < 0.3] = -1
    mm[0] = -1  # a focal unit without matches
    pos, w = _sparse_weights(n, focal, mm)
    dense = np.zeros(n)
    np.add.at(dense, pos, w)
    np.testing.assert_allclose(dense, matchit_weights(n, focal, mm), rtol=1e-12)


def test_draws_name_the_treatment_of_data_rows_not_of_the_internal_order(matched):
    """Regression (found wiring se: rematch into the evaluation): with a categorical covariate the model matrix
    keeps rows in another order; draws.treat must follow the data rows, as the weights' columns do. Otherwise
    most participants count as controls and the SEs come out 3-4 times too large."""
    d, m = matched
    draws = rematch_bootstrap(m, 25, seed=5)
    assert _plan(m, "person").perm is not None and not (np.diff(_plan(m, "person").perm) > 0).all()
    np.testing.assert_array_equal(draws.treat, d["treat"].to_numpy() == 1)
    W = draws.weights.toarray()
    t = draws.treat
    # persons (two rows each) are resampled, so a replicate holds about as many participant rows as the data
    assert np.all(np.abs(W[:, t].sum(axis=1) / t.sum() - 1) < 0.25)
    t_means, c_means = replicate_means(draws, d[["y"]].to_numpy())
    assert abs(t_means.mean() - d.loc[d["treat"] == 1, "y"].mean()) < 3 * t_means.std(ddof=1)

"""Kaplan-Meier exit curves against R's survival package, and against the plain share without censoring."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from virkning.errors import DesignError
from virkning.estimate.curves import CURVE_COLUMNS, km_curve
from virkning.estimate.effects import AnalysisSample

REF = Path(__file__).parent.parent / "reference" / "km"


def _sample(treat, weights):
    n = len(treat)
    return AnalysisSample(rows=np.arange(n), treat=treat.astype(bool), weights=weights.astype(float),
                          clusters=(np.arange(n),), cluster_names=("unit",), boot_cluster=np.arange(n))


def test_weighted_km_equals_r_survfit():
    d = pd.read_csv(REF / "km_data.csv")
    ref = pd.read_csv(REF / "km_reference.csv")
    assert d["first"].isna().sum() > 100 and (d["followup"] < 8).sum() > 80  # censoring is exercised
    out = km_curve(_sample(d["treat"].to_numpy(), d["weights"].to_numpy()), d["first"].to_numpy(),
                   d["followup"].to_numpy(), 8, outcome="exit", n_boot=50, seed=1)
    np.testing.assert_allclose(out["treated_mean"], ref.loc[ref.treat == 1, "cum_incidence"], atol=1e-12)
    np.testing.assert_allclose(out["control_mean"], ref.loc[ref.treat == 0, "cum_incidence"], atol=1e-12)
    np.testing.assert_allclose(out["att"], out["treated_mean"] - out["control_mean"])


def test_without_censoring_km_is_the_weighted_share_and_se_is_sane():
    rng = np.random.default_rng(3)
    n = 2000
    treat = np.repeat([1, 0], n // 2)
    first = np.where(rng.random(n) < 0.5 + 0.1 * treat, rng.integers(1, 7, n), np.nan)
    w = np.where(treat == 1, 1.0, rng.choice([0.5, 1.5], n))
    out = km_curve(_sample(treat, w), first, np.full(n, 6), 6, outcome="exit", n_boot=400, seed=2)
    for m in range(1, 7):
        y = (~np.isnan(first) & (first <= m)).astype(float)
        share_t = y[treat == 1].mean()
        share_c = np.average(y[treat == 0], weights=w[treat == 0])
        assert out.loc[m - 1, "treated_mean"] == pytest.approx(share_t, abs=1e-12)
        assert out.loc[m - 1, "control_mean"] == pytest.approx(share_c, abs=1e-12)
    # Bootstrap SE of a difference of two shares of ~1000 each: close to the binomial formula.
    p_t, p_c = out.loc[5, "treated_mean"], out.loc[5, "control_mean"]
    analytic = np.sqrt(p_t * (1 - p_t) / 1000 + p_c * (1 - p_c) / 1000 * np.sum(w[treat == 0] ** 2) * 1000 / np.sum(w[treat == 0]) ** 2)
    assert out.loc[5, "se"] == pytest.approx(analytic, rel=0.15)
    assert (out["at_risk_treated"].iloc[0], out["at_risk_control"].iloc[0]) == (1000, 1000)


def test_bootstrap_is_reproducible():
    d = pd.read_csv(REF / "km_data.csv")
    args = (_sample(d["treat"].to_numpy(), d["weights"].to_numpy()), d["first"].to_numpy(), d["followup"].to_numpy(), 8)
    a = km_curve(*args, outcome="exit", n_boot=100, seed=5)
    b = km_curve(*args, outcome="exit", n_boot=100, seed=5)
    pd.testing.assert_frame_equal(a, b)


def test_set_components_link_sets_through_shared_persons():
    from virkning.estimate.resampling import component_summary, set_components

    # sets 1 and 2 share person 10, sets 2 and 3 person 2; set 4 is alone; set 5 holds one person twice
    sets = np.array([1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
    persons = np.array([1, 10, 2, 10, 11, 11, 4, 12, 5, 5])
    persons[4] = 2  # set 3's treated person is set 2's treated person (a participant earlier in the pool)
    comp = set_components(sets, persons)
    assert comp.tolist() == [0, 0, 0, 0, 0, 0, 1, 1, 2, 2]
    assert component_summary(sets, comp) == {"sets": 5, "groups": 3, "largest": 3}


def test_person_reuse_is_resampled_together_and_counted():
    # pairs whose controls are few persons used in many sets: resampling sets treats their outcomes as
    # independent; resampling groups of sets sharing a person does not, so its SE is larger
    rng = np.random.default_rng(8)
    n_sets = 400
    control_person = rng.integers(0, 40, n_sets)
    person_effect = rng.normal(0, 1.5, 40)
    first_c = np.where(person_effect[control_person] + rng.normal(0, 0.5, n_sets) > 0.5, 2.0, np.nan)
    first_t = np.where(rng.random(n_sets) < 0.45, 2.0, np.nan)
    treat = np.r_[np.ones(n_sets, bool), np.zeros(n_sets, bool)]
    sets = np.r_[np.arange(n_sets), np.arange(n_sets)]
    persons = np.r_[1000 + np.arange(n_sets), control_person]
    from virkning.estimate.resampling import set_components

    sample = AnalysisSample(rows=np.arange(2 * n_sets), treat=treat, weights=np.ones(2 * n_sets),
                            clusters=(sets, persons), cluster_names=("subclass", "person"),
                            boot_cluster=set_components(sets, persons), sets=sets, persons=persons)
    first = np.r_[first_t, first_c]
    fu = np.full(2 * n_sets, 3.0)
    comp = km_curve(sample, first, fu, 3, outcome="exit", n_boot=400, seed=1)
    sets_only = km_curve(sample, first, fu, 3, outcome="exit", n_boot=400, seed=1, resample="sets")
    two_way = km_curve(sample, first, fu, 3, outcome="exit", variance="cluster")
    assert comp["se"].iloc[-1] > 1.5 * sets_only["se"].iloc[-1]
    assert comp["se"].iloc[-1] == pytest.approx(two_way["se"].iloc[-1], rel=0.25)
    assert "groups of matched sets sharing a person" in comp["method"].iloc[0]
    assert comp["n_control"].iloc[0] == n_sets and comp["n_control_persons"].iloc[0] == len(np.unique(control_person))


def test_curve_variance_options_are_checked():
    d = pd.read_csv(REF / "km_data.csv")
    s = _sample(d["treat"].to_numpy(), d["weights"].to_numpy())
    args = (s, d["first"].to_numpy(), d["followup"].to_numpy(), 8)
    with pytest.raises(DesignError, match="option 'variance': expected one of 'bootstrap', 'rematch', 'cluster'"):
        km_curve(*args, outcome="exit", variance="jackknife")
    with pytest.raises(DesignError, match="option 'draws'"):
        km_curve(*args, outcome="exit", variance="rematch")
    with pytest.raises(DesignError, match="option 'resample'"):
        km_curve(*args, outcome="exit", resample="persons")
    for v in ("cluster", "satt"):
        out = km_curve(*args, outcome="exit", variance=v)
        assert list(out.columns) == CURVE_COLUMNS and (out["se"] > 0).all()
        np.testing.assert_allclose(out["ci_high"] - out["att"], 1.959963984540054 * out["se"])


def test_bootstrap_progress_is_coarse_and_changes_no_number():
    from virkning.estimate.curves import _bootstrap, _event_matrices

    d = pd.read_csv(REF / "km_data.csv")
    args = (_sample(d["treat"].to_numpy(), d["weights"].to_numpy()), d["first"].to_numpy(), d["followup"].to_numpy(), 8)
    said = []
    a = km_curve(*args, outcome="exit", n_boot=95, seed=5, progress=lambda done, n: said.append((done, n)))
    # about every 10 %: batches of ceil(95 / 10) = 10 replicates, the last one short
    assert said == [(k, 95) for k in (10, 20, 30, 40, 50, 60, 70, 80, 90, 95)]
    pd.testing.assert_frame_equal(a, km_curve(*args, outcome="exit", n_boot=95, seed=5))
    # the replicates do not depend on the batch size: 10 replicates drawn one at a time (batches of 1) are the
    # first 10 of 100 drawn in batches of 10
    s = args[0]
    event, risk = _event_matrices(d["first"].to_numpy(), d["followup"].to_numpy(dtype=float), 8)
    one = _bootstrap(s.boot_cluster, event, risk, s.treat, s.weights, 10, np.random.default_rng(7))
    ten = _bootstrap(s.boot_cluster, event, risk, s.treat, s.weights, 100, np.random.default_rng(7))
    np.testing.assert_array_equal(one, ten[:10])

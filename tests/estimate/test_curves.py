"""Kaplan-Meier exit curves against R's survival package, and against the plain share without censoring."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from virkning.estimate.curves import km_curve
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

"""Restricted wild cluster bootstrap against a brute-force reference and a simulation with known truth.

- Exactness: with Rademacher weights and all 2^G sign vectors enumerated, the p-value is deterministic; it must
  equal the brute-force reference (tests/reference/did/wild_bootstrap_bruteforce.py: statsmodels refits of the
  full dummy regression for every draw) exactly, for TWFE at person level with weights and for the classic 2x2.
- Test inversion: at the ends of the bootstrap interval the p-value crosses 1 - level.
- Size: under H0 with 12 clusters (4 treated) the 5% test rejects about 5% of the time (simulation).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from reference.did.panels import staggered_panel
from reference.did.wild_bootstrap_bruteforce import wcr_pvalue_bruteforce
from virkning.errors import DesignError
from virkning.estimate import did_2x2, twfe_did
from virkning.estimate.did_ols import TwoWayAbsorber
from virkning.estimate.wild_bootstrap import draw_weights, wild_cluster_bootstrap


def _small(seed: int, effect: float = 0.2) -> pd.DataFrame:
    return staggered_panel(seed=seed, n_units=9, periods=range(2010, 2016), effect=effect, persons=(1, 4),
                           starts={f"m{u}": (2012 + u % 2 if u < 4 else np.nan) for u in range(9)}, unit_sd=0.3)


@pytest.mark.parametrize("beta0", [0.0, 0.4])
def test_twfe_enumerated_pvalue_equals_bruteforce(beta0):
    d = _small(1)
    d["D"] = (d["start"].notna() & (d["year"] >= d["start"])).astype(float)
    X = pd.get_dummies(d[["mun", "year"]].astype(str), drop_first=True, dtype=float)
    X.insert(0, "const", 1.0)
    X.insert(1, "D", d["D"])
    t_ref, p_ref = wcr_pvalue_bruteforce(d["y"].to_numpy(), X, "D", d["mun"].to_numpy(), beta0=beta0,
                                         weights=d["w"].to_numpy())
    # same test through the fast path: cells, weights, the G x G algebra
    r = twfe_did(d, "y", unit="mun", period="year", start="start", weights="w", n_boot=999, seed=0)
    assert r.bootstrap.enumerated and r.bootstrap.n_boot == 2 ** 9
    if beta0 == 0.0:
        assert r.bootstrap.p_value == pytest.approx(p_ref, abs=1e-12)
        assert r.bootstrap.t_stat == pytest.approx(t_ref, rel=1e-9)
    cells = d.assign(wy=d["w"] * d["y"]).groupby(["mun", "year"], as_index=False).agg(
        w=("w", "sum"), wy=("wy", "sum"), D=("D", "first"))
    cells["y"] = cells["wy"] / cells["w"]
    u = pd.factorize(cells["mun"])[0]
    ab = TwoWayAbsorber(u, pd.factorize(cells["year"], sort=True)[0], cells["w"].to_numpy())
    sw = np.sqrt(cells["w"].to_numpy())

    def resid(m):
        s = sw[:, None] if m.ndim == 2 else sw
        return ab.residualize(m / s) * s

    b = wild_cluster_bootstrap(sw * cells["y"].to_numpy(), sw * cells["D"].to_numpy(), u, resid, n_obs=len(d),
                               n_params=1 + ab.rank, beta0=beta0, n_boot=999, ci=False)
    assert b.p_value == pytest.approx(p_ref, abs=1e-12)
    assert b.t_stat == pytest.approx(t_ref, rel=1e-9)


def test_classic_2x2_enumerated_pvalue_equals_bruteforce():
    d = _small(2)
    trial, comp = ["m0", "m1", "m2"], [f"m{i}" for i in range(4, 9)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = did_2x2(d, "y", unit="mun", period="year", treated=trial, comparison=comp, pre=(2010, 2011),
                    post=(2013, 2015), n_boot=999, by_unit=False)
    s = d[d["mun"].isin(trial + comp) & (d["year"] != 2012)].copy()
    X = pd.DataFrame({"const": 1.0, "T": s["mun"].isin(trial).astype(float), "P": (s["year"] >= 2013) * 1.0})
    X["TP"] = X["T"] * X["P"]
    t_ref, p_ref = wcr_pvalue_bruteforce(s["y"].to_numpy(), X, "TP", s["mun"].to_numpy())
    assert r.pooled.bootstrap.enumerated
    assert r.pooled.bootstrap.p_value == pytest.approx(p_ref, abs=1e-12)
    assert r.pooled.bootstrap.t_stat == pytest.approx(t_ref, rel=1e-9)


def test_interval_ends_are_where_the_test_turns():
    d = staggered_panel(seed=7, n_units=16, unit_sd=0.2)
    r = twfe_did(d, "y", unit="mun", period="year", start="start", n_boot=1999, boot_weights="webb", seed=11)
    b = r.bootstrap
    assert b.ci_low < r.estimate < b.ci_high
    for end, inward in ((b.ci_low, 1), (b.ci_high, -1)):
        eps = 1e-3 * r.se
        inside = twfe_did(d, "y", unit="mun", period="year", start="start", n_boot=1999, boot_weights="webb",
                          seed=11).bootstrap  # same draws
        assert inside.p_value == b.p_value
        # p just inside the interval >= alpha, just outside < alpha (common draws)
        from virkning.estimate.did_twfe import _cells  # noqa: PLC0415 - internal pieces for the check
        c = _cells(d, "y", "mun", "year", "start", None, None)
        f = c.frame
        sw = np.sqrt(f["w"].to_numpy())
        x = (f["start"].notna() & (f["t"] >= f["start"])).to_numpy(float)

        def resid(m):
            s = sw[:, None] if m.ndim == 2 else sw
            return c.absorber.residualize(m / s) * s

        def p_at(beta0):
            return wild_cluster_bootstrap(sw * f["y"].to_numpy(), sw * x, c.cl_codes, resid, n_obs=c.n_obs,
                                          n_params=1 + c.absorber.rank, beta0=beta0, n_boot=1999, weights="webb",
                                          seed=11, ci=False).p_value

        assert p_at(end + inward * eps) >= 0.05
        assert p_at(end - inward * eps) < 0.05


def test_size_under_the_null_is_close_to_nominal():
    """200 data sets with no effect, 12 clusters of which 4 treated: rejection rate of the 5% test."""
    rejections = 0
    for s in range(200):
        d = staggered_panel(seed=1000 + s, n_units=12, periods=range(2010, 2016), effect=0.0, persons=(1, 2),
                            drop_share=0.0, unit_sd=0.5,
                            starts={f"m{u}": (2013.0 if u < 4 else np.nan) for u in range(12)})
        r = twfe_did(d, "y", unit="mun", period="year", start="start", n_boot=199, seed=s)
        rejections += r.bootstrap.p_value < 0.05
    assert 0.01 <= rejections / 200 <= 0.10


def test_weights_are_reproducible_and_checked():
    a, _ = draw_weights(30, 500, "webb", np.random.default_rng(3))
    b, _ = draw_weights(30, 500, "webb", np.random.default_rng(3))
    assert np.array_equal(a, b)
    assert set(np.round(np.unique(a) ** 2, 12)) == {0.5, 1.0, 1.5}
    full, enumerated = draw_weights(4, 999, "rademacher", np.random.default_rng(0))
    assert enumerated and full.shape == (16, 4) and len({tuple(r) for r in full}) == 16
    d = _small(3)
    with pytest.raises(DesignError, match="expected one of 'rademacher', 'webb'"):
        twfe_did(d, "y", unit="mun", period="year", start="start", n_boot=999, boot_weights="mammen")
    with pytest.raises(DesignError, match="n_boot"):
        twfe_did(d, "y", unit="mun", period="year", start="start", n_boot=10)

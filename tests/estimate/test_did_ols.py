"""Fixed-effects fits with CR1 cluster SEs against statsmodels OLS/WLS with explicit dummies (1e-8).

Covers the absorber (balanced, unbalanced, weighted), the person-level -> cell reduction, the classic 2x2,
static TWFE and the event study including the joint pre-trend F test.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from reference.did.panels import staggered_panel
from virkning.estimate import did_2x2, event_study, twfe_did
from virkning.estimate.did_ols import TwoWayAbsorber, fit_cluster

TOL = 1e-8
pytestmark = pytest.mark.filterwarnings("ignore::virkning.estimate.FewClustersWarning")


def sm_cluster(formula: str, d: pd.DataFrame, weights=None):
    groups = pd.factorize(d["mun"])[0]
    model = smf.wls(formula, d, weights=weights) if weights is not None else smf.ols(formula, d)
    return model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)


def test_absorber_equals_dummy_regression_residuals():
    d = staggered_panel(seed=5, persons=(1, 2), drop_share=0.25)  # one row per unit-period, unbalanced
    u = pd.factorize(d["mun"])[0]
    t = pd.factorize(d["year"], sort=True)[0]
    w = d["w"].to_numpy()
    ab = TwoWayAbsorber(u, t, w)
    r = ab.residualize(d["y"].to_numpy())
    ref = smf.wls("y ~ C(mun) + C(year)", d, weights=w).fit().resid.to_numpy()
    assert np.max(np.abs(r - ref)) < 1e-10
    assert ab.rank == d["mun"].nunique() + d["year"].nunique() - 1


@pytest.mark.parametrize("weighted", [False, True])
def test_twfe_person_level_equals_statsmodels(weighted):
    d = staggered_panel(seed=2)
    d["D"] = (d["start"].notna() & (d["year"] >= d["start"])).astype(float)
    r = twfe_did(d, "y", unit="mun", period="year", start="start", weights="w" if weighted else None)
    m = sm_cluster("y ~ D + C(mun) + C(year)", d, d["w"] if weighted else None)
    assert abs(r.estimate - m.params["D"]) < TOL
    assert abs(r.se - m.bse["D"]) < TOL
    assert abs(r.p_value - m.pvalues["D"]) < TOL
    lo, hi = m.conf_int().loc["D"]
    assert abs(r.ci_low - lo) < TOL and abs(r.ci_high - hi) < TOL
    assert r.n_obs == len(d) and r.n_clusters == d["mun"].nunique()


def test_fit_cluster_without_absorber_matches_statsmodels():
    d = staggered_panel(seed=9)
    X = np.column_stack([np.ones(len(d)), d["year"] - 2010, d["w"]])
    fit = fit_cluster(d["y"].to_numpy(), X, pd.factorize(d["mun"])[0])
    m = sm_cluster("y ~ I(year - 2010) + w", d)
    assert np.max(np.abs(fit.coef - m.params.to_numpy())) < TOL
    assert np.max(np.abs(fit.se - m.bse.to_numpy())) < TOL


@pytest.mark.parametrize("observations", ["rows", "unit-period"])
def test_classic_2x2_equals_interaction_regression(observations):
    d = staggered_panel(seed=3)
    trial, comp = ["m0", "m3"], [f"m{i}" for i in range(6, 14)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = did_2x2(d, "y", unit="mun", period="year", treated=trial, comparison=comp, pre=(2010, 2013),
                    post=(2014, 2018), observations=observations, by_unit=False)
    s = d[d["mun"].isin(trial + comp)].copy()
    if observations == "unit-period":
        s = s.groupby(["mun", "year"], as_index=False)["y"].mean()
    s["T"] = s["mun"].isin(trial).astype(float)
    s["P"] = (s["year"] >= 2014).astype(float)
    m = sm_cluster("y ~ T * P", s)
    e = r.pooled
    assert abs(e.estimate - m.params["T:P"]) < TOL
    assert abs(e.se - m.bse["T:P"]) < TOL
    assert abs(e.p_value - m.pvalues["T:P"]) < TOL
    means = s.groupby(["T", "P"])["y"].mean()
    cells = e.cells.set_index(["group", "window"])["mean"]
    assert abs(cells[("treated", "post")] - means[(1.0, 1.0)]) < 1e-12
    assert abs(cells[("comparison", "pre")] - means[(0.0, 0.0)]) < 1e-12
    dd = (means[(1.0, 1.0)] - means[(1.0, 0.0)]) - (means[(0.0, 1.0)] - means[(0.0, 0.0)])
    assert abs(e.estimate - dd) < 1e-12


def test_event_study_and_pretrend_test_match_statsmodels():
    d = staggered_panel(seed=4)
    es = event_study(d, "y", unit="mun", period="year", start="start", window=(-3, 2))
    k = d["year"] - d["start"]
    names = []
    for e in (-3, -2, 0, 1, 2):
        name = f"k{e + 10}"
        names.append(name)
        ind = (k <= e) if e == -3 else ((k >= e) if e == 2 else (k == e))
        d[name] = ind.fillna(False).astype(float)
    m = sm_cluster("y ~ " + " + ".join(names) + " + C(mun) + C(year)", d)
    tab = es.to_frame().set_index("event_time")
    for e, name in zip((-3, -2, 0, 1, 2), names):
        assert abs(tab.loc[e, "estimate"] - m.params[name]) < TOL
        assert abs(tab.loc[e, "se"] - m.bse[name]) < TOL
    assert tab.loc[-1, "estimate"] == 0.0 and bool(tab.loc[-1, "reference"])
    f = m.f_test(", ".join(f"{n} = 0" for n in names[:2]))
    assert abs(es.pretrend["F"] - float(np.squeeze(f.fvalue))) < 1e-7
    assert abs(es.pretrend["p_F"] - float(f.pvalue)) < 1e-8
    assert es.pretrend["df_denom"] == d["mun"].nunique() - 1


def test_event_study_trimmed_endpoints_match_statsmodels():
    d = staggered_panel(seed=6)
    es = event_study(d, "y", unit="mun", period="year", start="start", window=(-2, 1), endpoints="drop")
    k = d["year"] - d["start"]
    s = d[d["start"].isna() | ((k >= -2) & (k <= 1))].copy()
    ks = s["year"] - s["start"]
    for e in (-2, 0, 1):
        s[f"k{e + 10}"] = (ks == e).astype(float)
    m = sm_cluster("y ~ k8 + k10 + k11 + C(mun) + C(year)", s)
    tab = es.to_frame().set_index("event_time")
    assert abs(tab.loc[1, "estimate"] - m.params["k11"]) < TOL
    assert abs(tab.loc[-2, "se"] - m.bse["k8"]) < TOL
    assert es.n_obs == len(s)


def test_cluster_column_coarser_than_units():
    d = staggered_panel(seed=8)
    d["region"] = d["mun"].str[1:].astype(int) % 5
    groups = d["region"].to_numpy()
    d["D"] = (d["start"].notna() & (d["year"] >= d["start"])).astype(float)
    r = twfe_did(d, "y", unit="mun", period="year", start="start", cluster="region")
    m = smf.ols("y ~ D + C(mun) + C(year)", d).fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    assert abs(r.se - m.bse["D"]) < TOL and r.n_clusters == 5
    trial, comp = ["m0", "m1"], [f"m{i}" for i in range(6, 14)]
    c = did_2x2(d, "y", unit="mun", period="year", treated=trial, comparison=comp, pre=(2010, 2013),
                post=(2014, 2018), cluster="region", by_unit=False)
    s = d[d["mun"].isin(trial + comp)].copy()
    s["T"] = s["mun"].isin(trial).astype(float)
    s["P"] = (s["year"] >= 2014).astype(float)
    m2 = smf.ols("y ~ T * P", s).fit(cov_type="cluster", cov_kwds={"groups": s["region"].to_numpy()}, use_t=True)
    assert abs(c.pooled.se - m2.bse["T:P"]) < TOL

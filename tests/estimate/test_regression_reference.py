"""virkning.estimate.lpm against independent references (tests/reference/regression, see its README).

- R: lm() + sandwich 3.0-2 (vcovHC type HC1, vcovCL type HC1 = CR1) + lmtest (coeftest/coefci with n-k or
  G-1 degrees of freedom), stored by make_reference.R: coefficients, SEs, full variance matrices, t, p and
  95 % intervals to 1e-8 (relative, with an absolute floor for numbers near 0);
- statsmodels OLS with a formula (patsy's own coding of the categorical control), to 1e-8;
- the wild cluster bootstrap: the `wildboottest` package (stored, full Rademacher enumeration: exact), and a
  brute-force loop that refits statsmodels OLS for every bootstrap sample (live, exact to 1e-10).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from virkning.estimate import lpm
from virkning.estimate.regression import DroppedRowsWarning, FewClustersWarning, SingletonClusterWarning
from virkning.estimate.wild import WildCoefficient, boot_weights

REF = Path(__file__).resolve().parents[1] / "reference" / "regression"
COVS = ["mand", "alder40", "indvandrer", "erhvervsfaglig", "hospital", "handicap", "hist_virk", "hist_timer"]
OUTCOMES = ["virk", "afklaring", "timer"]
SANDWICH = json.loads((REF / "sandwich_reference.json").read_text())
WILD = json.loads((REF / "wild_reference.json").read_text())


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(REF / "lpm_data.csv")


def fit(data, se, outcomes=OUTCOMES, binary=True, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DroppedRowsWarning)
        warnings.simplefilter("ignore", FewClustersWarning)
        warnings.simplefilter("ignore", SingletonClusterWarning)
        return lpm(data, outcomes, COVS, ["ydelse"], cluster=None if se in ("classical", "hc1") else "kommune",
                   se=se, binary=binary, **kw)


def r_term(name: str) -> str:
    return name.replace("ydelse[", "ydelse").replace("]", "")


def close(ours, theirs, rtol=1e-8, atol=1e-12):
    np.testing.assert_allclose(np.asarray(ours, float), np.asarray(theirs, float), rtol=rtol, atol=atol)


@pytest.mark.parametrize("se", ["classical", "hc1", "cluster"])
def test_equal_to_r_sandwich(data, se):
    res = fit(data, se, outcomes=[*OUTCOMES, "hours"], binary=False, percent=False)
    for outcome, ref in SANDWICH["fits"].items():
        c = res.coefficients[res.coefficients["outcome"] == outcome]
        assert [r_term(t) for t in c["term"]] == ref["terms"]
        r = ref[se]
        close(c["estimate"], ref["coef"])
        close(c["se"], r["se"])
        close(c["t"], r["t"], atol=1e-9)
        close(c["p"], r["p"], atol=1e-10)
        close(c["ci_low"], r["ci_low"], atol=1e-10)
        close(c["ci_high"], r["ci_high"], atol=1e-10)
        close(res.vcov[outcome].to_numpy(), np.asarray(r["vcov"]), atol=1e-15)
        row = res.outcomes.set_index("outcome").loc[outcome]
        assert row["n"] == ref["n"]
        assert row["r2"] == pytest.approx(ref["r2"], rel=1e-10)
        assert row["df_inference"] == r["df"]
        if se == "cluster":
            assert row["n_clusters"] == ref["n_clusters"]


def test_percentage_points_are_100_times_the_coefficients(data):
    pp = fit(data, "hc1")
    raw = fit(data, "hc1", percent=False)
    for col in ("estimate", "se", "ci_low", "ci_high"):
        close(pp.coefficients[col], 100 * raw.coefficients[col], rtol=1e-12)
    close(pp.coefficients["p"], raw.coefficients["p"], rtol=1e-12)
    close(pp.outcomes["mean"], 100 * raw.outcomes["mean"], rtol=1e-12)


@pytest.mark.parametrize("se,kwargs", [("classical", {}), ("hc1", {"cov_type": "HC1"}),
                                       ("cluster", {"cov_type": "cluster"})])
def test_equal_to_statsmodels_formula(data, se, kwargs):
    res = fit(data, se, percent=False)
    for outcome in OUTCOMES:
        d = data.dropna(subset=[*COVS, outcome]).reset_index(drop=True)
        if se == "cluster":
            kwargs = {**kwargs, "cov_kwds": {"groups": pd.factorize(d["kommune"])[0]}}
        sm_fit = smf.ols(f"{outcome} ~ {' + '.join(COVS)} + C(ydelse)", data=d).fit(use_t=True, **kwargs)
        c = res.coefficients[res.coefficients["outcome"] == outcome].set_index("term")
        names = {n: n.replace("C(ydelse)[T.", "ydelse[").replace("Intercept", "(Intercept)")
                 for n in sm_fit.params.index}
        c = c.loc[[names[n] for n in sm_fit.params.index]]
        close(c["estimate"], sm_fit.params, rtol=1e-8)
        close(c["se"], sm_fit.bse, rtol=1e-8)
        close(c["p"], sm_fit.pvalues, atol=1e-10)
        close(c[["ci_low", "ci_high"]], sm_fit.conf_int(), atol=1e-10)


@pytest.mark.parametrize("case", sorted(WILD["cases"]))
def test_wild_equals_wildboottest(data, case):
    spec = WILD["cases"][case]
    d = data[data["kommune"].isin(spec["kommuner"])]
    res = fit(d, "wild", outcomes=["virk"], percent=False)
    for t in spec["tests"]:
        row = res.coef("virk", t["param"])
        assert t["full_enumeration"] and t["B"] == 2 ** len(spec["kommuner"])
        assert row["t"] == pytest.approx(t["t"], rel=1e-9)
        assert row["p"] == pytest.approx(t["p_ties_not_counted"], abs=1e-12)
        # the package itself may count the two tied draws (identity and mirror) by rounding
        assert abs(row["p"] - t["p_package"]) <= 2 / t["B"] + 1e-12
    eq = fit(d, "wild", outcomes=["virk"], percent=False, p_value="equal-tailed")
    for t in spec["tests"]:
        assert eq.coef("virk", t["param"])["p"] == pytest.approx(t["p_equal_tailed_ties_not_counted"], abs=1e-12)


@pytest.mark.parametrize("kind", ["rademacher", "webb"])
def test_wild_fast_algebra_equals_brute_force_refits(data, kind):
    """Every bootstrap t from the closed form equals refitting OLS with CR1 SEs on the bootstrap sample."""
    d = data.dropna(subset=[*COVS, "virk"])
    d = d[d["kommune"].isin(["K03", "K04", "K05", "K06", "K07", "K08", "K09", "K10", "K11"])].reset_index(drop=True)
    d = d.assign(**{f"yd_{lv}": (d["ydelse"] == lv).astype(float) for lv in ["ressourceforloeb", "sygedagpenge"]})
    cols = [*COVS, "yd_ressourceforloeb", "yd_sygedagpenge"]
    X = np.column_stack([np.ones(len(d)), d[cols].to_numpy(float)])
    y = d["virk"].to_numpy(float)
    codes = pd.factorize(d["kommune"], sort=True)[0]
    G = codes.max() + 1
    V, _ = boot_weights(kind, G, 200 if kind == "webb" else 2 ** G, np.random.default_rng(5))
    V = V[:20]
    base = sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": codes})
    xtx_inv = np.linalg.inv(X.T @ X)
    for j, b0 in [(7, 0.25), (6, -0.05), (1, 0.0)]:
        wc = WildCoefficient(X, y, codes, G, j, V, xtx_inv, np.asarray(base.params), float(base.bse[j]))
        Z = np.delete(X, j, axis=1)
        restricted = np.linalg.lstsq(Z, y - b0 * X[:, j], rcond=None)[0]
        fitted = Z @ restricted + b0 * X[:, j]
        resid = y - fitted
        brute = []
        for v in V:
            ystar = fitted + resid * v[codes]
            f = sm.OLS(ystar, X).fit(cov_type="cluster", cov_kwds={"groups": codes})
            brute.append((f.params[j] - b0) / f.bse[j])
        close(wc.t_boot(b0), brute, rtol=1e-10, atol=1e-10)
        assert wc.t_stat(b0) == pytest.approx((base.params[j] - b0) / base.bse[j], rel=1e-12)


def test_wild_interval_is_the_inverted_test(data):
    """At the interval bounds the bootstrap p-value crosses 1 - level: just inside > 0.05, just outside <= 0.05."""
    d = data[data["kommune"] != "K00"]
    res = fit(d, "wild", outcomes=["virk"], percent=False)
    for term in ["mand", "handicap", "hist_virk"]:
        row = res.coef("virk", term)
        assert row["ci_low"] < row["estimate"] < row["ci_high"]
        width = row["ci_high"] - row["ci_low"]
        for bound, inward in ((row["ci_low"], 1), (row["ci_high"], -1)):
            inside = lpm_p(d, term, bound + inward * 1e-6 * width)
            outside = lpm_p(d, term, bound - inward * 1e-6 * width)
            assert inside > 0.05 >= outside


def lpm_p(d: pd.DataFrame, term: str, b0: float) -> float:
    """Bootstrap p-value of H0: beta_term = b0, from the building block directly."""
    d = d.dropna(subset=[*COVS, "virk"])
    d = d.assign(**{f"yd_{lv}": (d["ydelse"] == lv).astype(float) for lv in ["ressourceforloeb", "sygedagpenge"]})
    cols = [*COVS, "yd_ressourceforloeb", "yd_sygedagpenge"]
    X = np.column_stack([np.ones(len(d)), d[cols].to_numpy(float)])
    y = d["virk"].to_numpy(float)
    codes = pd.factorize(d["kommune"], sort=True)[0]
    G = codes.max() + 1
    base = sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": codes})
    j = 1 + cols.index(term)
    V, _ = boot_weights("rademacher", G, 9999, np.random.default_rng(0))
    wc = WildCoefficient(X, y, codes, G, j, V, np.linalg.inv(X.T @ X), np.asarray(base.params), float(base.bse[j]))
    return wc.p_value(b0)

"""meta_analysis() against metafor (stored, tests/reference/meta), statsmodels (live) and published numbers.

- metafor 3.8-1 ``rma()`` (REML solved to 1e-12, DL, FE; z and Hartung-Knapp tests) and ``predict()``/``weights()``
  on dat.bcg (13 BCG trials, log risk ratios), its first two trials and a homogeneous made-up set: every
  number to 1e-6 absolute (measured: below 1e-11); metafor's default REML stopping rule (1e-5) to 1e-5;
- statsmodels ``combine_effects`` (DL = method_re "chi2", FE, Hartung-Knapp-Sidik-Jonkman variance) to 1e-10;
- the printed numbers for dat.bcg: REML as printed by metafor (Viechtbauer 2010, J Stat Softw 36(3)), FE and
  DL as printed by Stata's ``metan`` (quoted in metafor's own test suite), to the printed 4 decimals.
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.meta_analysis import combine_effects

from virkning.errors import DesignError
from virkning.estimate import MetaAnalysisWarning, MetaResult, meta_analysis

REF = Path(__file__).resolve().parents[1] / "reference" / "meta"
METAFOR = json.loads((REF / "metafor_reference.json").read_text())


@pytest.fixture(scope="module")
def bcg() -> pd.DataFrame:
    return pd.read_csv(REF / "dat_bcg.csv")


def frame(case: dict) -> pd.DataFrame:
    k = len(case["yi"])
    return pd.DataFrame({"study": [f"s{i + 1}" for i in range(k)], "effect": case["yi"], "v": case["vi"]})


CASES = [(c, f) for c in METAFOR["cases"] for f in METAFOR["cases"][c]["fits"]]


@pytest.mark.parametrize("case,fit", CASES, ids=[f"{c}-{f}" for c, f in CASES])
def test_equal_to_metafor(case, fit):
    ref = METAFOR["cases"][case]["fits"][fit]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MetaAnalysisWarning)
        m = meta_analysis(frame(METAFOR["cases"][case]), variance="v", method=ref["method"],
                          hartung_knapp=ref["test"] == "knha")
    tol = 1e-5 if fit == "REML_default_control" else 1e-6  # metafor stops REML when the change is below 1e-5
    for ours, theirs in [("estimate", "estimate"), ("se", "se"), ("statistic", "stat"), ("p", "p"),
                         ("ci_low", "ci_low"), ("ci_high", "ci_high"), ("tau2", "tau2"), ("i2", "i2"), ("h2", "h2"),
                         ("q", "q"), ("q_p", "q_p")]:
        assert getattr(m, ours) == pytest.approx(ref[theirs], abs=tol), ours
    np.testing.assert_allclose(m.studies["weight"], ref["weights"], atol=tol)
    if ref["pi_low"] is None:
        assert np.isnan(m.pi_low) and np.isnan(m.pi_high)
    else:
        assert m.pi_low == pytest.approx(ref["pi_low"], abs=tol)
        assert m.pi_high == pytest.approx(ref["pi_high"], abs=tol)
    if ref["method"] == "REML":
        assert m.tau2_se == pytest.approx(ref["tau2_se"], abs=tol)
    assert m.k == ref["k"] and m.q_df == ref["k"] - 1


def test_study_intervals_equal_metafor(bcg):
    m = meta_analysis(bcg, effect="yi", variance="vi", metric="metric")
    np.testing.assert_allclose(m.studies["ci_low"], METAFOR["bcg_study_ci"]["ci_low"], atol=1e-12)
    np.testing.assert_allclose(m.studies["ci_high"], METAFOR["bcg_study_ci"]["ci_high"], atol=1e-12)
    assert m.metric == "log risk ratio"


@pytest.mark.parametrize("hk", [False, True])
def test_equal_to_statsmodels_combine_effects(bcg, hk):
    y, v = bcg["yi"].to_numpy(), bcg["vi"].to_numpy()
    sm = combine_effects(y, v, method_re="chi2")
    dl = meta_analysis(bcg, effect="yi", variance="vi", method="DL", hartung_knapp=hk)
    fe = meta_analysis(bcg, effect="yi", variance="vi", method="FE")
    assert dl.tau2 == pytest.approx(sm.tau2, rel=1e-10)
    assert dl.estimate == pytest.approx(sm.mean_effect_re, rel=1e-10)
    assert fe.estimate == pytest.approx(sm.mean_effect_fe, rel=1e-10)
    assert fe.se == pytest.approx(sm.sd_eff_w_fe, rel=1e-10)
    assert dl.q == pytest.approx(sm.q, rel=1e-10)
    assert fe.i2 / 100 == pytest.approx(sm.i2, rel=1e-10)
    _fe, re, _fe_wls, re_wls = sm.conf_int(alpha=0.05, use_t=hk)
    if hk:
        assert dl.se == pytest.approx(np.sqrt(sm.var_hksj_re), rel=1e-10)
        np.testing.assert_allclose([dl.ci_low, dl.ci_high], re_wls, rtol=1e-10)
    else:
        assert dl.se == pytest.approx(sm.sd_eff_w_re, rel=1e-10)
        np.testing.assert_allclose([dl.ci_low, dl.ci_high], re, rtol=1e-10)
    np.testing.assert_allclose(dl.studies["weight"] / 100, sm.weights_rel_re, rtol=1e-10)


def test_published_bcg_numbers(bcg):
    """Printed to 4 decimals (I^2 and H^2 to 2) in the sources named in the module docstring."""
    reml = meta_analysis(bcg, effect="yi", variance="vi")
    printed = {"tau2": 0.3132, "tau2_se": 0.1664, "tau": 0.5597, "i2": 92.22, "h2": 12.86, "q": 152.2330,
               "estimate": -0.7145, "se": 0.1798, "statistic": -3.9744, "ci_low": -1.0669, "ci_high": -0.3622}
    for key, value in printed.items():
        digits = 2 if key in ("i2", "h2") else 4
        assert round(getattr(reml, key), digits) == pytest.approx(value, abs=1e-9), key
    assert reml.q_p < 1e-4 and reml.p < 1e-4
    fe = meta_analysis(bcg, effect="yi", variance="vi", method="FE")
    assert [round(x, 4) for x in (fe.estimate, fe.ci_low, fe.ci_high, fe.statistic, fe.q)] == \
        [-0.4303, -0.5097, -0.3509, -10.6247, 152.2330]
    dl = meta_analysis(bcg, effect="yi", variance="vi", method="DL")
    assert [round(x, 4) for x in (dl.estimate, dl.ci_low, dl.ci_high)] == [-0.7141, -1.0644, -0.3638]
    # on the risk-ratio scale, as metan prints it: exp(-0.4303) = 0.6503 for the fixed-effect model
    assert round(float(np.exp(fe.estimate)), 4) == 0.6503


def test_se_column_equals_variance_column(bcg):
    a = meta_analysis(bcg, effect="yi", variance="vi")
    b = meta_analysis(bcg.assign(sei=np.sqrt(bcg["vi"])), effect="yi", se="sei")
    assert a.estimate == pytest.approx(b.estimate, rel=1e-12) and a.tau2 == pytest.approx(b.tau2, rel=1e-9)


# ---------------------------------------------------------------------------------------------- bad input
def test_mixed_metrics_refused(bcg):
    d = bcg.copy()
    d.loc[[2, 5], "metric"] = "standardised mean difference"
    with pytest.raises(DesignError, match=r"different effect metrics.*'log risk ratio': Aronson.*"
                                          r"'standardised mean difference': Rosenthal et al \(1960\), "):
        meta_analysis(d, effect="yi", variance="vi", metric="metric")
    d.loc[4, "metric"] = None
    with pytest.raises(DesignError, match=r"no effect metric for study\(ies\) Frimodt-Moller et al \(1973\)"):
        meta_analysis(d, effect="yi", variance="vi", metric="metric")


def test_bad_inputs_located(bcg):
    with pytest.raises(DesignError, match="at least 2 studies; got 1"):
        meta_analysis(bcg.head(1), effect="yi", variance="vi")
    d = bcg.copy()
    d.loc[3, "vi"] = 0.0
    d.loc[7, "vi"] = -0.1
    with pytest.raises(DesignError, match=r"'vi' must be positive.*Hart & Sutherland \(1977\), TPT Madras"):
        meta_analysis(d, effect="yi", variance="vi")
    d = bcg.copy()
    d.loc[1, "yi"] = np.nan
    with pytest.raises(DesignError, match=r"'yi' is missing or not finite for 1 study\(ies\): Ferguson"):
        meta_analysis(d, effect="yi", variance="vi")
    with pytest.raises(DesignError, match="occur more than once"):
        meta_analysis(bcg.assign(study="same"), effect="yi", variance="vi")
    with pytest.raises(DesignError, match="exactly one"):
        meta_analysis(bcg, effect="yi")
    with pytest.raises(DesignError, match="option 'method': expected one of 'REML', 'DL', 'FE'; got 'PM'"):
        meta_analysis(bcg, effect="yi", variance="vi", method="PM")
    with pytest.raises(DesignError, match="Hartung-Knapp adjustment is for random-effects"):
        meta_analysis(bcg, effect="yi", variance="vi", method="FE", hartung_knapp=True)
    with pytest.raises(DesignError, match="option 'se': column 'sei' must be positive"):
        meta_analysis(bcg.assign(sei=0.0), effect="yi", se="sei")
    with pytest.warns(MetaAnalysisWarning, match="only 3 studies"):
        meta_analysis(bcg.head(3), effect="yi", variance="vi")


def test_result_object(bcg):
    m = meta_analysis(bcg, effect="yi", variance="vi", metric="metric")
    assert isinstance(m, MetaResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.tau2 = 0.0  # type: ignore[misc]
    f = m.to_frame()
    assert len(f) == 14 and f["row"].tolist() == ["study"] * 13 + ["pooled"]
    assert f["weight"].iloc[:13].sum() == pytest.approx(100.0)
    assert f.iloc[-1]["study"] == "Random-effects model (REML)" and f.iloc[-1]["pi_low"] < f.iloc[-1]["ci_low"]
    assert f.iloc[0]["study"] == "Aronson (1948)"
    json.dumps(m.to_dict())
    assert repr(m).startswith("MetaResult(method='REML', k=13, estimate=-0.7145")
    assert "I^2 = 92.22%" in str(m) and "Q(df = 12) = 152.2330" in str(m)
    assert "<table" in m._repr_html_()

"""synthesise(): from study records to virkning.estimate.meta_analysis, checked against metafor.

Reference: metafor 3.8-1 ``rma()`` on dat.bcg (13 BCG trials, log risk ratios; Colditz et al. 1994), stored in
tests/reference/meta (made by its make_reference.R). The trials are entered as study records -- once with their
standard errors, once with 95 % intervals only -- and the synthesis must reproduce metafor's REML and DL fits to
1e-6 (the same tolerance as tests/estimate/test_meta.py; measured: 5e-13). The interval path reads
se = (high - low) / (2 z) and must equal the SE path to 1e-9.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.stats

from virkning.errors import DesignError
from evidence_builders import make_base_yaml, make_study  # noqa: F401  (fixtures)
from virkning.estimate import MetaAnalysisWarning
from virkning.evidence import EvidenceWarning, example_path, load_base, loads_base, synthesise

REF = Path(__file__).resolve().parents[1] / "reference" / "meta"
METAFOR = json.loads((REF / "metafor_reference.json").read_text())
Z = float(scipy.stats.norm.ppf(0.975))
pytestmark = pytest.mark.filterwarnings("ignore::virkning.estimate.meta.MetaAnalysisWarning")

VOCAB = {"outcomes": {"tuberculosis": {"label_da": "Tuberkulose", "label_en": "Tuberculosis"}},
         "metrics": {"log_rr": {"label_da": "Log relativ risiko", "unit": "log RR", "favourable": "lower"},
                     "rd": {"label_da": "Risikodifference", "unit": "pp", "favourable": "lower"}}}


def bcg_studies(make_study, *, as_ci: bool = False) -> list[dict]:
    bcg = pd.read_csv(REF / "dat_bcg.csv")
    out = []
    for i, row in bcg.iterrows():
        y, se = float(row["yi"]), math.sqrt(float(row["vi"]))
        z = y / se
        direction = "none" if abs(z) < Z else ("positive" if y < 0 else "negative")
        finding = {"id": "rr", "core_element": "samtaler", "outcome": "tuberculosis", "metric": "log_rr", "value": y,
                   "direction": direction}
        if as_ci:
            finding["ci"] = [y - Z * se, y + Z * se]
        else:
            finding["se"] = se
        out.append(make_study(f"trial{i + 1}", year=1950 + i, findings=[finding]))
    return out


@pytest.fixture
def bcg_base(make_study, make_base_yaml):
    return loads_base(make_base_yaml(bcg_studies(make_study), vocabulary=VOCAB))


@pytest.mark.parametrize("method", ["REML", "DL"])
def test_equal_to_metafor(bcg_base, method):
    ref = METAFOR["cases"]["bcg"]["fits"][method]
    res = synthesise(bcg_base, "tuberculosis")
    m = res.results[method]
    for ours, theirs in [("estimate", "estimate"), ("se", "se"), ("ci_low", "ci_low"), ("ci_high", "ci_high"),
                         ("p", "p"), ("tau2", "tau2"), ("i2", "i2"), ("h2", "h2"), ("q", "q"), ("q_p", "q_p")]:
        assert getattr(m, ours) == pytest.approx(ref[theirs], abs=1e-6), ours
    assert m.pi_low == pytest.approx(ref["pi_low"], abs=1e-6) and m.pi_high == pytest.approx(ref["pi_high"], abs=1e-6)
    forest = res.forest(method)
    studies = forest[forest["row"] == "study"]
    np.testing.assert_allclose(studies["weight"], ref["weights"], atol=1e-6)
    assert list(studies["study_id"]) == [f"trial{i}" for i in range(1, 14)]


def test_printed_numbers(bcg_base):
    """metafor's printed REML fit of dat.bcg (Viechtbauer 2010): estimate -0.7145, SE 0.1798, tau^2 0.3132."""
    m = synthesise(bcg_base, "tuberculosis").results["REML"]
    assert (round(m.estimate, 4), round(m.se, 4), round(m.tau2, 4), round(m.i2, 2)) == (-0.7145, 0.1798, 0.3132,
                                                                                         92.22)


def test_interval_input_equals_se_input(make_study, make_base_yaml, bcg_base):
    with_ci = loads_base(make_base_yaml(bcg_studies(make_study, as_ci=True), vocabulary=VOCAB))
    a = synthesise(bcg_base, "tuberculosis").summary()
    b = synthesise(with_ci, "tuberculosis").summary()
    num = ["estimate", "se", "ci_low", "ci_high", "tau2", "i2", "q", "pi_low", "pi_high"]
    np.testing.assert_allclose(a[num].to_numpy(float), b[num].to_numpy(float), rtol=0, atol=1e-9)
    frame = synthesise(with_ci, "tuberculosis").studies
    assert (frame["se_from"] == "ci").all()


def test_forest_frame_shape(bcg_base):
    res = synthesise(bcg_base, "tuberculosis", methods=["REML", "DL", "FE"])
    frame = res.to_frame()
    assert list(frame.columns) == ["method", "row", "study_id", "label", "effect", "se", "ci_low", "ci_high",
                                   "weight", "pi_low", "pi_high", "metric"]
    assert len(frame) == 3 * 14
    for method, part in frame.groupby("method"):
        assert part["row"].tolist() == ["study"] * 13 + ["pooled"]
        assert part.loc[part["row"] == "study", "weight"].sum() == pytest.approx(100)
    assert set(res.summary()["method"]) == {"REML", "DL", "FE"}
    assert res.unit == "log RR" and res.metric == "log_rr"
    assert "Synthesis of 13 studies" in repr(res) and "<table" in res._repr_html_()
    json.dumps(res.to_dict(), default=str)


def test_declared_synthesis_equals_the_call(make_study, make_base_yaml):
    studies = bcg_studies(make_study)
    text = make_base_yaml(studies, vocabulary=VOCAB,
                          syntheses=[{"id": "bcg", "outcome": "tuberculosis", "metric": "log_rr",
                                      "studies": [s["id"] + "/rr" for s in studies]}])
    base = loads_base(text)
    a = synthesise(base, synthesis="bcg").summary()
    b = synthesise(base, "tuberculosis").summary()
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(DesignError, match="expected one of 'bcg'"):
        synthesise(base, synthesis="nope")
    with pytest.raises(DesignError, match="not both"):
        synthesise(base, "tuberculosis", synthesis="bcg")


def test_few_studies_warn_once(make_study, make_base_yaml):
    base = loads_base(make_base_yaml(bcg_studies(make_study)[:3], vocabulary=VOCAB))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        synthesise(base, "tuberculosis")
    assert sum(issubclass(w.category, MetaAnalysisWarning) for w in caught) == 1


def test_refuses_mixed_metrics_missing_metric_and_ranges(make_study, make_base_yaml):
    studies = bcg_studies(make_study)[:3]
    studies.append(make_study("other", findings=[{"core_element": "samtaler", "outcome": "tuberculosis",
                                                  "metric": "rd", "value": -2.0, "se": 1.0,
                                                  "direction": "none"}]))
    base = loads_base(make_base_yaml(studies, vocabulary=VOCAB))
    with pytest.raises(DesignError, match=r"different metrics \('log_rr': trial1, trial2, trial3; 'rd': other\)"):
        synthesise(base, "tuberculosis")
    assert synthesise(base, "tuberculosis", metric="log_rr").results["REML"].k == 3
    with pytest.raises(DesignError, match="in 'rd', but the synthesis is in 'log_rr'"):
        synthesise(base, "tuberculosis", metric="log_rr", studies=["trial1", "trial2", "other"])

    nometric = make_study("nometric", findings=[{"core_element": "samtaler", "outcome": "tuberculosis",
                                                 "direction": "positive"}])
    ranged = make_study("ranged", findings=[{"core_element": "samtaler", "outcome": "tuberculosis",
                                             "metric": "log_rr", "value": [-0.5, -0.1], "direction": "positive"}])
    base = loads_base(make_base_yaml(bcg_studies(make_study)[:2] + [nometric, ranged], vocabulary=VOCAB))
    with pytest.raises(DesignError, match="study 'nometric' has no effect metric for outcome 'tuberculosis'"):
        synthesise(base, "tuberculosis", studies=["trial1", "nometric"])
    with pytest.raises(DesignError, match=r"gives a range \(-0.5 to -0.1\), not a point estimate"):
        synthesise(base, "tuberculosis", studies=["trial1", "ranged/f1"])
    res = synthesise(base, "tuberculosis")  # by default such findings are left out, and said so
    assert res.left_out.set_index("study")["reason"].to_dict() == {
        "nometric": "has no effect metric", "ranged": "gives a range (-0.5 to -0.1), not a point estimate"}


def test_refuses_the_same_evaluation_twice_and_ambiguous_findings(make_study, make_base_yaml):
    studies = bcg_studies(make_study)[:3]
    studies[2]["same_evaluation_as"] = "trial1"
    base = loads_base(make_base_yaml(studies, vocabulary=VOCAB))
    with pytest.raises(DesignError, match="studies trial1, trial3 report the same evaluation"):
        synthesise(base, "tuberculosis")
    studies = bcg_studies(make_study)[:3]
    studies[0]["findings"].append({**studies[0]["findings"][0], "id": "rr2"})
    base = loads_base(make_base_yaml(studies, vocabulary=VOCAB))
    with pytest.raises(DesignError, match="study 'trial1' has 2 whole-population findings"):
        synthesise(base, "tuberculosis")
    assert synthesise(base, "tuberculosis", studies=["trial1/rr2", "trial2", "trial3"]).results["DL"].k == 3


def test_asymmetric_interval_warns(make_study, make_base_yaml):
    studies = bcg_studies(make_study, as_ci=True)[:5]
    studies[0]["findings"][0]["ci"] = [studies[0]["findings"][0]["value"] - 1.0,
                                       studies[0]["findings"][0]["value"] + 0.2]
    base = loads_base(make_base_yaml(studies, vocabulary=VOCAB))
    with pytest.warns(EvidenceWarning, match="not symmetric"):
        synthesise(base, "tuberculosis")


def test_options_checked(bcg_base):
    with pytest.raises(DesignError, match="option 'outcome': expected one of"):
        synthesise(bcg_base, "jobs")
    with pytest.raises(DesignError, match="option 'methods': expected one of 'REML', 'DL', 'FE'"):
        synthesise(bcg_base, "tuberculosis", methods=["PM"])
    with pytest.raises(DesignError, match="option 'metric'"):
        synthesise(bcg_base, "tuberculosis", metric="log_or")
    with pytest.raises(DesignError, match="option 'base'"):
        synthesise({"studies": []}, "tuberculosis")


def test_example_base_cannot_be_pooled():
    """The seed gives no standard errors: a synthesis of its effects is refused, with the reasons."""
    base = load_base(example_path())
    with pytest.raises(DesignError, match="at least 2 studies .* gives no standard error or confidence interval"):
        synthesise(base, "employment", metric="employment_pp")

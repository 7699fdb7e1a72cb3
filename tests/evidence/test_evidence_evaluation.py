"""study_from_evaluation(): a results bundle (tests/data/sample_results.json) becomes a study record with a
proposed appraisal; the numbers are the bundle's (x 100 for percentage points), the rules ignore the proposal until
it is confirmed, and the record survives a round trip through YAML."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from virkning.errors import DesignError
from virkning.evidence import (example_path, grade, load_base, loads_base, search_flow, study_from_evaluation,
                               study_to_yaml)

RESULTS = json.loads((Path(__file__).resolve().parents[1] / "data" / "sample_results.json").read_text())
APPRAISAL = {"id": "seniorvikar_demo", "authors": ["Jobcenter Demo"], "core_elements": ["virksomhedsrettede"]}


def effect(outcome: str, month: int) -> dict:
    return next(e for e in RESULTS["effects"] if e["outcome"] == outcome and e["month"] == month)


def test_numbers_come_from_the_bundle():
    s = study_from_evaluation(RESULTS, APPRAISAL)
    (f,) = s.findings
    row = effect("exit_beskaeftiget", 7)  # the last month of the outcome whose status is 'beskæftiget'
    assert f.value == pytest.approx(100 * row["att"], abs=1e-12)
    assert f.se == pytest.approx(100 * row["se"], abs=1e-12)
    assert f.ci == pytest.approx([100 * row["ci_low"], 100 * row["ci_high"]], abs=1e-12)
    assert (f.metric, f.outcome, f.core_element, f.horizon) == ("employment_pp", "employment", "virksomhedsrettede",
                                                                "month 7")
    assert (f.direction, f.significant) == ("none", False)  # the interval spans 0
    assert f.n == row["n_treated"] + row["n_control"] == 664
    assert (s.n_treated, s.n_control, s.n) == (332, 332, 664)
    assert (s.design, s.country, s.origin, s.year) == ("quasi_experimental", "DK", "own_evaluation", 2019)


def test_proposed_appraisal_and_its_reasons():
    s = study_from_evaluation(RESULTS, APPRAISAL)
    assert s.method.status == "proposed"
    assert (s.method.reliability.score, s.method.transferability.score) == (4, 5)
    reason = s.method.reliability.reason
    assert "4 of 70 terms above |SMD| 0.1" in reason and "332 matched participants" in reason
    assert "no sensitivity analysis" in reason


def test_proposal_reacts_to_imbalance_size_and_sensitivity():
    r = copy.deepcopy(RESULTS)
    r["balance_summary"]["n_imbalanced"] = 20  # 20 of 70 terms: visible imbalance
    r["matching"]["n_treated_matched"] = 80
    r["sensitivity"] = {"rosenbaum_gamma": 1.4}
    s = study_from_evaluation(r, APPRAISAL)
    assert s.method.reliability.score == 2
    assert "minus 1" in s.method.reliability.reason and "rosenbaum_gamma" in s.method.reliability.reason


def test_direction_and_month_options():
    r = copy.deepcopy(RESULTS)
    s = study_from_evaluation(r, {**APPRAISAL, "month": 3})
    assert s.findings[0].value == pytest.approx(100 * effect("exit_beskaeftiget", 3)["att"])
    row = next(e for e in r["effects"] if e["outcome"] == "exit_beskaeftiget" and e["month"] == 7)
    row["ci_low"] = 0.01
    assert study_from_evaluation(r, APPRAISAL).findings[0].direction == "positive"
    row["ci_low"], row["ci_high"], row["att"] = -0.2, -0.01, -0.1
    assert study_from_evaluation(r, APPRAISAL).findings[0].direction == "negative"
    s = study_from_evaluation(RESULTS, {**APPRAISAL, "outcomes": {"exit_beskaeftiget": "employment",
                                                                  "exit_vikar": {"outcome": "employment"}}})
    assert [f.id for f in s.findings] == ["exit_beskaeftiget_m7", "exit_vikar_m7"]


def test_bad_requests():
    with pytest.raises(DesignError, match="'id', 'authors' required"):
        study_from_evaluation(RESULTS, {})
    with pytest.raises(DesignError, match="unknown key"):
        study_from_evaluation(RESULTS, {**APPRAISAL, "score": 5})
    with pytest.raises(DesignError, match="not in the results"):
        study_from_evaluation(RESULTS, {**APPRAISAL, "outcomes": {"exit_job": "employment"}})
    with pytest.raises(DesignError, match="no effect for 'exit_beskaeftiget' in month 40"):
        study_from_evaluation(RESULTS, {**APPRAISAL, "month": 40})
    with pytest.raises(DesignError, match="list 'effects'"):
        study_from_evaluation({"design": {}}, APPRAISAL)


def test_added_to_the_base_and_graded_once_confirmed():
    base = load_base(example_path())
    study = study_from_evaluation(RESULTS, APPRAISAL)
    grown = base.with_study(study)
    flow = search_flow(grown)
    assert (flow.n("included"), flow.n("added_after_search"), flow.n("in_base")) == (12, 1, 13)
    c = grade(grown).contributions.set_index("study")
    assert not c.loc["seniorvikar_demo", "used"] and "not yet confirmed" in c.loc["seniorvikar_demo", "reason"]
    confirmed = study_from_evaluation(RESULTS, {**APPRAISAL, "method": {"status": "confirmed",
                                                                        "appraised_by": "analyst"}})
    c = grade(base.with_study(confirmed)).contributions.set_index("study")
    assert c.loc["seniorvikar_demo", "used"]
    with pytest.raises(Exception, match="duplicate study id 'seniorvikar_demo'"):
        grown.with_study(study)


def test_yaml_round_trip():
    study = study_from_evaluation(RESULTS, APPRAISAL)
    text = "format_version: 1\nstudies:\n" + "\n".join("  " + line if line else line
                                                       for line in study_to_yaml(study).splitlines()) + "\n"
    back = loads_base(text).study("seniorvikar_demo")
    assert back == study


def test_counts_of_a_version_2_bundle_and_sensitivity_in_words():
    # version 2 bundles publish the matched N in sample_sizes (MatchIt's table), not under matching
    r = copy.deepcopy(RESULTS)
    for key in ("n_treated_matched", "n_control_matched"):
        r["matching"].pop(key)
    s = study_from_evaluation(r, APPRAISAL)
    assert (s.n_treated, s.n_control, s.n) == (332, 332, 664)
    r["sample_sizes"]["Matched"] = {"Treated": None, "Control": None}  # hidden by the gate: the flow's step
    s = study_from_evaluation(r, APPRAISAL)
    assert (s.n_treated, s.n_control, s.n) == (next(f["participants"] for f in r["flow"] if f["step"] == "matched"),
                                               None, None)
    r["sensitivity"] = [{"outcome": "exit_beskaeftiget", "gamma_critical": 1.4231, "evalue": 1.8},
                        {"outcome": "exit_vikar", "gamma_critical": None}]
    reason = study_from_evaluation(r, APPRAISAL).method.reliability.reason
    assert ("sensitivity to hidden bias reported: exit_beskaeftiget: significant up to Gamma = 1.42, E-value 1.80; "
            "exit_vikar: not significant at Gamma = 1") in reason
    r["data"]["synthetic"] = True
    s = study_from_evaluation(r, APPRAISAL)
    assert s.source.endswith(", synthetic data") and s.notes.startswith("Synthetic data")


def test_read_evaluation_folder(tmp_path):
    from virkning.evidence.evaluation import read_evaluation

    results = tmp_path / "out" / "results"
    results.mkdir(parents=True)
    (results / "results.json").write_text(json.dumps(RESULTS), encoding="utf-8")
    (results / "sensitivity.csv").write_text("outcome,gamma_critical\nexit_beskaeftiget,1.25\n", encoding="utf-8")
    got = read_evaluation(tmp_path / "out")
    assert got["sensitivity"] == [{"outcome": "exit_beskaeftiget", "gamma_critical": 1.25}]
    assert read_evaluation(results / "results.json")["effects"] == RESULTS["effects"]
    (tmp_path / "out" / "manifest.json").write_text('{"kind": "virkning-output", "command": "monitor"}')
    with pytest.raises(DesignError, match="written by `virkning monitor`"):
        read_evaluation(tmp_path / "out")
    (tmp_path / "out" / "manifest.json").unlink()
    (results / "results.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(DesignError, match="not valid JSON"):
        read_evaluation(tmp_path / "out")
    with pytest.raises(DesignError, match="no results/results.json here"):
        read_evaluation(tmp_path)

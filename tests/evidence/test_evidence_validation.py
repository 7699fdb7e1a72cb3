"""Bad input: every problem located by file, line, record (study id), field and rule, all in one error."""

from __future__ import annotations

import pytest

from virkning.evidence import EvidenceFileError, load_base, loads_base

GOOD_STUDY = """\
  - id: {sid}
    title: T
    authors: ["A, B"]
    year: 2015
    country: DK
    design: rct
    core_elements: [samtaler]
    method:
      reliability: {{score: 5}}
      transferability: 4
    findings:
      - core_element: samtaler
        outcome: employment
        metric: employment_pp
        value: 3.0
        se: 1.0
        direction: positive
"""


def problems_of(text: str, source: str = "base.yaml") -> list:
    with pytest.raises(EvidenceFileError) as err:
        loads_base(text, source)
    return err.value.problems


def one(text: str):
    found = problems_of(text)
    assert len(found) == 1, found
    return found[0]


def test_good_file_loads():
    base = loads_base("format_version: 1\nstudies:\n" + GOOD_STUDY.format(sid="a") + GOOD_STUDY.format(sid="b"))
    assert [s.id for s in base.studies] == ["a", "b"]


def test_duplicate_study_id():
    text = "format_version: 1\nstudies:\n" + GOOD_STUDY.format(sid="a") + GOOD_STUDY.format(sid="a")
    p = one(text)
    assert (p.file, p.line, p.record, p.field) == ("base.yaml", 20, "study 'a'", "id")
    assert "duplicate study id 'a' (first used on line 3)" in p.rule


@pytest.mark.parametrize("score,msg", [(6, "score 6 is outside 1-5"), (0, "score 0 is outside 1-5"),
                                       ('"4-3"', "runs backwards"), ('"2-7"', "score 7 in '2-7' is outside 1-5"),
                                       (4.5, "whole number"), ("high", "a score is a whole number 1-5")])
def test_scores_outside_1_to_5(score, msg):
    text = "format_version: 1\nstudies:\n" + GOOD_STUDY.format(sid="a").replace("{score: 5}", f"{{score: {score}}}")
    p = one(text)
    assert (p.line, p.record, p.field) == (11, "study 'a'", "method.reliability.score")
    assert msg in p.rule


def test_transferability_shorthand_out_of_range():
    p = one("format_version: 1\nstudies:\n" + GOOD_STUDY.format(sid="a").replace("transferability: 4",
                                                                                 "transferability: 9"))
    assert (p.line, p.field) == (12, "method.transferability")
    assert "score 9 is outside 1-5" in p.rule


def test_unknown_key_with_suggestion():
    p = one("format_version: 1\nstudies:\n" + GOOD_STUDY.format(sid="a").replace("reliability:", "reliabilty:"))
    assert (p.line, p.field) == (11, "method.reliabilty")
    assert "unknown key 'reliabilty'; did you mean 'reliability'?" in p.rule


def test_unknown_core_element_and_finding_outside_the_study():
    text = "format_version: 1\nstudies:\n" + GOOD_STUDY.format(sid="a").replace("core_elements: [samtaler]",
                                                                                "core_elements: [samtale]")
    found = {p.field: p for p in problems_of(text)}
    assert found["core_elements[1]"].line == 9
    assert "'samtale' is not a declared core element; did you mean 'samtaler'?" in found["core_elements[1]"].rule
    assert found["findings[1].core_element"].line == 14
    assert "not among the study's core_elements" in found["findings[1].core_element"].rule


def test_missing_required_and_wrong_types_are_all_reported():
    text = "format_version: 1\nstudies:\n" + GOOD_STUDY.format(sid="a").replace("    title: T\n", "").replace(
        "year: 2015", "year: twenty").replace("country: DK", "country: Denmark")
    found = {p.field: p.rule for p in problems_of(text)}
    assert found["title"] == "required key 'title' is missing"
    assert "year" in found and "got 'twenty'" in found["year"]
    assert "two-letter ISO 3166 code" in found["country"]


def test_sign_contradicting_direction():
    p = one("format_version: 1\nstudies:\n" + GOOD_STUDY.format(sid="a").replace("value: 3.0", "value: -3.0"))
    assert (p.line, p.field) == (19, "findings[1].direction")
    assert "contradicts the value -3" in p.rule


def test_uncertainty_needs_a_point_and_a_metric():
    text = "format_version: 1\nstudies:\n" + GOOD_STUDY.format(sid="a").replace("        metric: employment_pp\n",
                                                                                "")
    p = one(text)
    assert p.field == "findings[1]" and "has no 'metric'" in p.rule
    text = "format_version: 1\nstudies:\n" + GOOD_STUDY.format(sid="a").replace("value: 3.0", "value: [2, 4]")
    assert "range value cannot carry a standard error" in one(text).rule


def test_format_version():
    assert "reads format_version 1; the file says 2" in one("format_version: 2\nstudies: []\n").rule
    assert one("studies: []\n").field == "format_version"
    assert "the file is empty" in one("").rule


def test_several_problems_in_one_error_sorted_by_line():
    text = ("format_version: 1\nstudies:\n" + GOOD_STUDY.format(sid="a").replace("{score: 5}", "{score: 6}")
            + GOOD_STUDY.format(sid="b").replace("design: rct", "design: rtc"))
    found = problems_of(text)
    assert [p.record for p in found] == ["study 'a'", "study 'b'"]
    assert [p.line for p in found] == sorted(p.line for p in found)
    assert "expected one of 'rct'" in found[1].rule
    with pytest.raises(EvidenceFileError, match=r"2 problem\(s\) in the evidence base"):
        loads_base(text)


SYN = """\
  - id: b
    title: T
    authors: ["A, B"]
    year: 2016
    country: DK
    design: rct
    core_elements: [samtaler]
    method: {reliability: 5, transferability: 5}
    findings:
      - {id: f1, core_element: samtaler, outcome: employment, direction: positive}
      - {id: f2, core_element: samtaler, outcome: employment, metric: unemployment_pp, value: -2, se: 1,
         direction: positive}
"""


def test_declared_synthesis_with_a_study_without_a_metric():
    text = ("format_version: 1\nsyntheses:\n  - id: s\n    outcome: employment\n    studies: [a, b/f1]\nstudies:\n"
            + GOOD_STUDY.format(sid="a") + SYN)
    p = one(text)
    assert (p.line, p.record, p.field) == (5, "synthesis 's'", "studies[2]")
    assert "finding 'b/f1' has no effect metric" in p.rule


def test_declared_synthesis_mixing_metrics():
    text = ("format_version: 1\nsyntheses:\n  - id: s\n    outcome: employment\n    studies: [a, b/f2]\nstudies:\n"
            + GOOD_STUDY.format(sid="a") + SYN)
    p = one(text)
    assert (p.line, p.record) == (3, "synthesis 's'")
    assert "different metrics ('employment_pp': a; 'unemployment_pp': b)" in p.rule
    text = text.replace("id: s\n    outcome: employment\n",
                        "id: s\n    outcome: employment\n    metric: employment_pp\n")
    p = one(text)
    assert p.field == "studies[2]" and "in 'unemployment_pp', but the synthesis is in 'employment_pp'" in p.rule


def test_declared_synthesis_unknown_study_and_same_evaluation():
    text = ("format_version: 1\nsyntheses:\n  - id: s\n    outcome: employment\n    studies: [a, zz]\nstudies:\n"
            + GOOD_STUDY.format(sid="a"))
    assert "no study 'zz' in the base" in one(text).rule
    twice = GOOD_STUDY.format(sid="b") + "    same_evaluation_as: a\n"
    text = ("format_version: 1\nsyntheses:\n  - id: s\n    outcome: employment\nstudies:\n"
            + GOOD_STUDY.format(sid="a") + twice)
    assert "report the same evaluation" in one(text).rule


def test_same_evaluation_must_exist_and_not_cycle():
    text = "format_version: 1\nstudies:\n" + GOOD_STUDY.format(sid="a") + "    same_evaluation_as: zz\n"
    p = one(text)
    assert p.field == "same_evaluation_as" and "no study 'zz'" in p.rule
    text = ("format_version: 1\nstudies:\n" + GOOD_STUDY.format(sid="a") + "    same_evaluation_as: b\n"
            + GOOD_STUDY.format(sid="b") + "    same_evaluation_as: a\n")
    assert "closes a cycle" in one(text).rule


def test_search_flow_must_add_up():
    search = ("search:\n  sources: [{name: db, hits: 100}]\n  duplicates_removed: 10\n  screened: 80\n"
              "  exclusions:\n    - {stage: screening, reason: off topic, n: 30}\n  excluded_screening: 40\n"
              "  included: 3\n")
    found = {p.field: p for p in problems_of("format_version: 1\n" + search + "studies:\n"
                                             + GOOD_STUDY.format(sid="a"))}
    assert found["screened"].line == 5 and "100 - 10 = 90" in found["screened"].rule
    assert "reasons add up to 30" in found["excluded_screening"].rule
    assert "the base holds 1 studies from the search" in found["included"].rule


def test_grading_parameters_are_checked():
    p = one("format_version: 1\ngrading:\n  rule: default\n  parameters: {min_reliabilty: 4}\nstudies: []\n")
    assert (p.line, p.record, p.field) == (4, "grading", "parameters")
    assert "unknown parameter(s) 'min_reliabilty'" in p.rule
    p = one("format_version: 1\ngrading:\n  rule: jobeffekter\n  parameters: {dominance: 0.4}\nstudies: []\n")
    assert "'dominance': expected a number from 0.5 to 1" in p.rule


def test_vocabulary_extends_but_does_not_redefine():
    text = ("format_version: 1\nvocabulary:\n  core_elements:\n    mentor: {label_da: Mentorordning}\n"
            "    kurser: {label_da: Kurser}\nstudies: []\n")
    p = one(text)
    assert (p.line, p.record, p.field) == (5, "vocabulary", "core_elements.kurser")
    ok = loads_base(text.replace("    kurser: {label_da: Kurser}\n", ""))
    assert "mentor" in ok.vocabulary.core_elements and ("core_elements", "mentor") in ok.vocabulary.added


def test_missing_file(tmp_path):
    with pytest.raises(EvidenceFileError, match="file not found"):
        load_base(tmp_path / "nope.yaml")

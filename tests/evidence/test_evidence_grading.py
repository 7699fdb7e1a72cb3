"""Grading rules, checked against hand-built cases with known answers and the published jobeffekter.dk example.

- default rule (STAR's evidence hierarchy, star.dk): each grade reached by the smallest base that should reach it,
  and one step short of it;
- jobeffekter.dk: the worked example on its "om algoritmen" page (satisfactory quality 0.5 x econometric effect
  study 0.8 x Denmark 1 x not in a journal 0.5 x no combination 1 = 0.20; two results of one study 0.10 each, the
  English page), the "Få studier" threshold (stock < 1) and the 55 % rule at its boundary, exactly;
- the example base: the statements worked out by hand in docs/evidence.md.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from virkning.errors import DesignError
from evidence_builders import make_base_yaml, make_study  # noqa: F401  (fixtures)
from virkning.evidence import (DefaultRule, JobeffekterRule, example_path, grade, load_base, loads_base)


def base_of(make_study, make_base_yaml, studies, **sections):
    return loads_base(make_base_yaml(studies, **sections))


def cell(result, core="samtaler", outcome="employment"):
    return result.statement(core_element=core, outcome=outcome)


# --- default rule ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n,grade_", [(3, "strong"), (2, "moderate"), (1, "indication")])
def test_effect_studies_of_high_quality(make_study, make_base_yaml, n, grade_):
    base = base_of(make_study, make_base_yaml, [make_study(f"s{i}") for i in range(n)])
    st = cell(grade(base))
    assert (st.grade, st.direction) == (grade_, "positive")
    assert st.rule == "virkning default/1 (STAR evidence hierarchy)"
    assert st.studies == tuple(f"s{i}" for i in range(n))


def test_one_high_quality_review_is_strong(make_study, make_base_yaml):
    base = base_of(make_study, make_base_yaml, [make_study("r", design="literature_review")])
    assert cell(grade(base)).grade == "strong"
    assert cell(grade(base, review_makes_strong=False)).grade == "indication"


def test_majority_not_unanimity(make_study, make_base_yaml):
    studies = [make_study(f"p{i}") for i in range(3)] + [make_study("n", direction="negative")]
    st = cell(grade(base_of(make_study, make_base_yaml, studies)))
    assert (st.grade, st.direction) == ("strong", "positive")  # 3 of 4
    studies = [make_study(f"p{i}") for i in range(2)] + [make_study(f"n{i}", direction="negative") for i in range(2)]
    st = cell(grade(base_of(make_study, make_base_yaml, studies)))
    assert (st.grade, st.direction) == ("conflicting", None)  # 2 against 2, opposite directions
    studies = [make_study("p"), make_study("z", direction="none")]
    assert cell(grade(base_of(make_study, make_base_yaml, studies))).grade == "insufficient"  # no majority


def test_no_effect_can_be_graded(make_study, make_base_yaml):
    studies = [make_study(f"z{i}", direction="none") for i in range(2)]
    st = cell(grade(base_of(make_study, make_base_yaml, studies)))
    assert (st.grade, st.direction, st.label_da) == ("moderate", "none", "moderat evidens for ingen effekt")


def test_limited_quality_studies(make_study, make_base_yaml):
    two = [make_study("a", rel=3), make_study("b", rel=5, tra=2)]  # low reliability; low transferability
    st = cell(grade(base_of(make_study, make_base_yaml, two)))
    assert (st.grade, st.direction) == ("indication", "positive") and "limited-quality" in st.reason
    one = cell(grade(base_of(make_study, make_base_yaml, [make_study("a", rel=3)])))
    assert one.grade == "insufficient"
    # the thresholds are parameters
    assert cell(grade(base_of(make_study, make_base_yaml, two), min_reliability=3, min_transferability=2)).grade \
        == "moderate"


def test_high_quality_decides_over_limited(make_study, make_base_yaml):
    studies = [make_study("h"), make_study("l1", rel=2, direction="negative"),
               make_study("l2", rel=2, direction="negative")]
    st = cell(grade(base_of(make_study, make_base_yaml, studies)))
    assert (st.grade, st.direction, st.studies) == ("indication", "positive", ("h",))


def test_range_score_uses_its_low_end(make_study, make_base_yaml):
    base = base_of(make_study, make_base_yaml, [make_study("a", tra="2-4")])
    assert "limited-quality" in cell(grade(base)).reason
    assert "high-quality" in cell(grade(base, min_transferability=2)).reason


def test_publications_of_one_evaluation_count_once(make_study, make_base_yaml):
    studies = [make_study("a"), make_study("a2", same_evaluation_as="a"), make_study("b")]
    st = cell(grade(base_of(make_study, make_base_yaml, studies)))
    assert st.grade == "moderate" and "2 high-quality evaluation(s)" in st.reason


def test_not_significant_is_no_effect(make_study, make_base_yaml):
    f = [{"core_element": "samtaler", "outcome": "employment", "direction": "positive", "significant": False}]
    st = cell(grade(base_of(make_study, make_base_yaml, [make_study("a", findings=f)])))
    assert st.direction == "none"


def test_main_results_speak_for_the_study(make_study, make_base_yaml):
    f = [{"core_element": "samtaler", "outcome": "employment", "direction": "positive"},
         {"core_element": "samtaler", "outcome": "employment", "direction": "negative", "subgroup": "men"},
         {"core_element": "samtaler", "outcome": "employment", "direction": "negative", "mechanism": "lock_in"},
         {"core_element": "samtaler", "outcome": "employment", "direction": "none", "secondary": True}]
    result = grade(base_of(make_study, make_base_yaml, [make_study("a", findings=f)]))
    assert cell(result).direction == "positive"
    used = result.contributions.set_index("finding")["used"].to_dict()
    assert used == {"f1": True, "f2": False, "f3": False, "f4": False}


def test_split_evaluation_is_mixed(make_study, make_base_yaml):
    f = [{"core_element": "samtaler", "outcome": "employment", "direction": "positive", "subgroup": "men"},
         {"core_element": "samtaler", "outcome": "employment", "direction": "negative", "subgroup": "women"}]
    studies = [make_study("a", findings=f), make_study("b")]
    st = cell(grade(base_of(make_study, make_base_yaml, studies)))
    assert st.grade == "conflicting" and "mixed 1" in st.reason
    st = cell(grade(base_of(make_study, make_base_yaml, studies), mixed_counts=False))
    assert (st.grade, st.direction) == ("indication", "positive")


def test_proposed_and_unappraised_studies_are_left_out(make_study, make_base_yaml):
    proposed = make_study("p")
    proposed["method"]["status"] = "proposed"
    studies = [proposed, make_study("u", rel=None, tra=None), make_study("a")]
    result = grade(base_of(make_study, make_base_yaml, studies))
    reasons = result.contributions.set_index("study")["reason"].to_dict()
    assert "not yet confirmed" in reasons["p"] and "not appraised" in reasons["u"] and pd.isna(reasons["a"])
    assert cell(result).studies == ("a",)
    assert cell(grade(base_of(make_study, make_base_yaml, studies), include_proposed=True)).studies == ("p", "a")


def test_grouping_and_options(make_study, make_base_yaml):
    f = [{"core_element": "samtaler", "outcome": "employment", "topic": "x", "direction": "positive"},
         {"core_element": None, "outcome": "employment", "direction": "positive"}]
    base = base_of(make_study, make_base_yaml, [make_study("a", findings=f)])
    by_topic = grade(base, by=("core_element", "outcome", "topic"))
    assert [dict(s.cell) for s in by_topic.statements] == [{"core_element": "samtaler", "outcome": "employment",
                                                             "topic": "x"}]
    skipped = by_topic.contributions.query("finding == 'f2'")
    assert skipped["reason"].iloc[0] == "not placed under a core element (core_element: null)"
    assert [dict(s.cell) for s in grade(base, by="outcome").statements] == [{"outcome": "employment"}]
    with pytest.raises(DesignError, match="option 'by'"):
        grade(base, by=("study",))
    with pytest.raises(DesignError, match="option 'rule': expected one of 'default', 'jobeffekter'"):
        grade(base, rule="grade")
    with pytest.raises(DesignError, match="unknown parameter"):
        grade(base, min_quality=3)
    with pytest.raises(DesignError, match="'min_reliability': expected a number from 1 to 5"):
        grade(base, min_reliability=7)
    assert cell(grade(base, rule=DefaultRule(strong_effect_studies=1, moderate_effect_studies=1))).grade == "strong"


def test_declared_rule_is_used(make_study, make_base_yaml):
    base = base_of(make_study, make_base_yaml, [make_study("a")],
                   grading={"rule": "jobeffekter", "parameters": {"min_stock": 0.1}})
    result = grade(base)
    assert result.rule == "jobeffekter.dk weighting (STAR)" and result.parameters["min_stock"] == 0.1
    assert cell(result).grade == "dominant"
    assert grade(base, min_stock=2).parameters["min_stock"] == 2  # keyword arguments override the file
    assert grade(base, rule="default").rule.startswith("virkning default")


# --- jobeffekter.dk -----------------------------------------------------------------------------------------------

def jstudy(make_study, sid, findings=None, **kw):
    kw.setdefault("design", "quasi_experimental")
    kw.setdefault("rel", 3)
    kw.setdefault("publication", {"type": "report"})
    return make_study(sid, findings=findings, **kw)


def test_published_worked_example(make_study, make_base_yaml):
    """Satisfactory (0.5) x econometric effect study (0.8) x Denmark (1) x not in a journal (0.5) x no
    combination (1) = 0.20 (jobeffekter.dk, 'Om algoritmen'); two results of the study: 0.10 each (English page)."""
    base = base_of(make_study, make_base_yaml, [jstudy(make_study, "dk")])
    result = grade(base, rule="jobeffekter")
    row = result.contributions.iloc[0]
    assert (row.w_quality, row.w_method, row.w_geography, row.w_publication, row.w_combination) == \
        (0.5, 0.8, 1.0, 0.5, 1.0)
    assert row.weight == pytest.approx(0.20, abs=1e-15)
    st = cell(result)
    assert (st.grade, st.label_da, st.knowledge_stock) == ("few_studies", "Få studier", pytest.approx(0.2))
    two = [{"core_element": "samtaler", "outcome": "employment", "direction": "positive"}] * 2
    result = grade(base_of(make_study, make_base_yaml, [jstudy(make_study, "dk", findings=two)]), rule="jobeffekter")
    assert result.contributions["weight"].tolist() == pytest.approx([0.10, 0.10], abs=1e-15)


def top(make_study, sid, direction="positive"):
    """The heaviest possible result: a Danish RCT of the best quality in a top-tier journal (weight 1)."""
    return make_study(sid, design="rct", rel=5, direction=direction,
                      publication={"type": "journal", "top_tier": True})


def test_fifty_five_percent_boundary(make_study, make_base_yaml):
    at = [top(make_study, f"p{i}") for i in range(11)] + [top(make_study, f"n{i}", "none") for i in range(9)]
    st = cell(grade(base_of(make_study, make_base_yaml, at), rule="jobeffekter"))
    assert (st.grade, st.direction, st.label_da) == ("dominant", "positive", "Positiv jobeffekt")
    assert (st.knowledge_stock, st.share) == (20.0, 0.55)
    below = at[1:]  # 10 of 19 = 52.6 %
    st = cell(grade(base_of(make_study, make_base_yaml, below), rule="jobeffekter"))
    assert (st.grade, st.label_da, st.direction) == ("conflicting", "Modstridende", None)
    st = cell(grade(base_of(make_study, make_base_yaml, below), rule="jobeffekter", dominance=0.5))
    assert st.direction == "positive"


def test_stock_below_one_is_few_studies(make_study, make_base_yaml):
    # 0.75 (Nordic, chosen) x 1 x 1 x 1 + ... a single top Swedish RCT: stock 0.75 < 1
    se = make_study("se", design="rct", country="SE", publication={"type": "journal", "top_tier": True})
    st = cell(grade(base_of(make_study, make_base_yaml, [se]), rule="jobeffekter"))
    assert (st.grade, st.knowledge_stock) == ("few_studies", 0.75)
    st = cell(grade(base_of(make_study, make_base_yaml, [se, top(make_study, "dk")]), rule="jobeffekter"))
    assert (st.grade, st.knowledge_stock) == ("dominant", 1.75)


def test_combination_factor_and_exclusions(make_study, make_base_yaml):
    f = [{"core_element": "samtaler", "outcome": "employment", "direction": "positive", "combination": "both"}]
    studies = [top(make_study, "comb"), make_study("review", design="literature_review"),
               make_study("old", year=1994), make_study("us", country="US", design="rct"),
               make_study("br", country="BR"), make_study("desc", design="descriptive")]
    studies[0]["findings"] = f
    result = grade(base_of(make_study, make_base_yaml, studies), rule="jobeffekter")
    c = result.contributions.set_index("study")
    assert c.loc["comb", "w_combination"] == 0.25 and c.loc["comb", "weight"] == 0.25
    assert "not a primary effect study" in c.loc["review", "reason"]
    assert "not after 1995" in c.loc["old", "reason"]
    assert c.loc["us", "w_geography"] == 0.5 and c.loc["us", "used"]
    assert "outside the OECD" in c.loc["br", "reason"]
    assert "no comparison group" in c.loc["desc", "reason"]
    sub = [{"core_element": "samtaler", "outcome": "employment", "direction": "positive", "subgroup": "women"}]
    result = grade(base_of(make_study, make_base_yaml, [make_study("s", findings=sub, design="rct")]),
                   rule="jobeffekter")
    assert result.contributions["w_combination"].iloc[0] == 0.5  # a sub-division of the target group


def test_every_number_has_a_source():
    frame = JobeffekterRule().sources()
    assert set(frame["status"]) == {"published", "implied", "chosen by virkning"}
    published = frame[frame["status"] == "published"]
    assert published["source"].str.contains("jobeffekter.dk").all()
    got = {(r.parameter, r.key): r.value for r in published.itertuples()}
    assert got[("quality_weights", "satisfactory")] == 0.5 and got[("method_weights", "quasi_experimental")] == 0.8
    assert got[("dominance", None)] == 0.55 and got[("min_stock", None)] == 1.0
    changed = JobeffekterRule(geography_weights={"DK": 1.0, "nordic": 0.9, "oecd": 0.5}).sources()
    assert changed.set_index(["parameter", "key"]).loc[("geography_weights", "nordic"), "status"] == "set by the user"


def test_rule_parameters_are_checked():
    with pytest.raises(DesignError, match="quality_from_reliability"):
        JobeffekterRule(quality_from_reliability={6: "good"})
    with pytest.raises(DesignError, match="'method_weights.rct': expected a number from 0 to 1"):
        JobeffekterRule(method_weights={"rct": 2})
    with pytest.raises(DesignError, match="missing not_journal"):
        JobeffekterRule(publication_weights={"top_tier_journal": 1, "journal": 0.5})


# --- the example base ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def example():
    return load_base(example_path())


def test_example_statements_by_default_rule(example):
    """Worked by hand in docs/evidence.md."""
    result = grade(example)
    got = {(s.get("core_element"), s.get("outcome")): (s.grade, s.direction) for s in result.statements}
    assert got[("organisering", "employment")] == ("strong", "positive")  # 2 high-quality reviews of 3
    assert got[("samtaler", "employment")] == ("strong", "positive")  # 3 effect studies + 1 review, all positive
    assert got[("virksomhedsrettede", "employment")] == ("conflicting", None)  # 2 positive, 2 split
    assert got[("kurser", "employment")] == ("moderate", "negative")  # 2 effect studies
    assert all(s.rule == result.rule for s in result.statements)
    assert grade(example, mixed_counts=False).statement(core_element="virksomhedsrettede",
                                                        outcome="employment").grade == "strong"


def test_example_statements_by_topic_match_the_seed_where_it_grades(example):
    result = grade(example, by=("core_element", "outcome", "topic"))
    group = result.statement(core_element="samtaler", outcome="employment", topic="group_meetings")
    assert (group.grade, group.direction) == ("moderate", "positive")  # the seed: moderat evidens (l. 97)
    assert set(group.studies) == {"hagglund2009", "pedersen2012"}


def test_example_by_jobeffekter(example):
    result = grade(example, rule="jobeffekter")
    st = result.statement(core_element="samtaler", outcome="employment")
    # Berg: 0.8 x 1 x 1 x 0.5 split over 3 results (two subgroup results at 0.5); Pedersen: 1 x 1 x 1 x 0.5 over 3;
    # Hägglund: 1 x 0.75 (Nordic) x 1 x 0.5, one result with a combination (0.5) and one without, over 2
    expected = 0.4 * (1 + 0.5 + 0.5) / 3 + 0.5 + 0.375 * (0.5 + 1) / 2
    assert st.knowledge_stock == pytest.approx(expected, abs=1e-12)
    assert (st.grade, st.direction) == ("dominant", "positive")
    assert result.statement(core_element="organisering", outcome="employment").grade == "few_studies"


def test_result_objects(example):
    result = grade(example)
    frame = result.to_frame()
    assert list(frame.columns[:2]) == ["core_element", "outcome"] and len(frame) == len(result.statements)
    assert "GradingResult(" in repr(result) and "<table" in result._repr_html_()
    json.dumps(result.to_dict(), default=str)
    with pytest.raises(Exception):
        result.rule = "x"
    with pytest.raises(KeyError):
        result.statement(core_element="none")
    assert isinstance(result.contributions, pd.DataFrame) and {"used", "reason"} <= set(result.contributions)

"""The design file: examples load, defaults, robustness variants, and every kind of mistake is reported with its
key path, line number and expectation."""

import dataclasses
import datetime as dt
import json
import textwrap
from pathlib import Path

import pytest

from virkning.demo import seniorvikar_design
from virkning.design import Design, DesignFileError, load_design, parse_design
from virkning.errors import DesignError
from virkning.analyses.effect import EffectDesign
from virkning.outcomes import Outcome
from virkning.populations import ParticipantRule, PoolRule

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "virkning" / "examples"
SENIORVIKAR = EXAMPLES / "seniorvikar" / "design.yaml"
MINIMAL = EXAMPLES / "minimal" / "design.yaml"

BASE = """\
participants:
  event: informationsmøde
pool:
  states: {-1: ledig, 0: ledig}
covariates: [age, sex]
outcomes:
  - name: exit_beskaeftiget
"""


def design(extra: str = "", base: str = BASE) -> Design:
    return parse_design(base + textwrap.dedent(extra), source="test.yaml")


def problems(text: str) -> list:
    with pytest.raises(DesignFileError) as info:
        parse_design(textwrap.dedent(text), source="test.yaml")
    return info.value.problems


def only(text: str):
    found = problems(text)
    assert len(found) == 1, "\n".join(map(str, found))
    return found[0]


# ---- the examples ----------------------------------------------------------------------------------------------


def test_seniorvikar_example_is_the_demo_design():
    d = load_design(SENIORVIKAR)
    assert d.effect_design() == seniorvikar_design()
    assert d.name == "Seniorvikar" and d.language == "da" and d.disclosure_threshold == 5 and d.seed == 2018
    assert d.data_folder == SENIORVIKAR.parent / "data"  # the demo writes the design next to its data
    assert d.catalogue is None


def test_seniorvikar_success_criteria_and_variants():
    d = load_design(SENIORVIKAR)
    crit = {c.name: c for c in d.success_criteria}
    attend = crit["deltagere"]
    assert (attend.kind, attend.target, attend.per) == ("count", (100, 150), "project")
    assert (attend.target_min, attend.target_max) == (100, 150)
    signup = crit["opskrivning"]
    assert (signup.kind, signup.numerator, signup.denominator, signup.target) == ("share", "opskrevet", "deltaget", 0.8)
    assert crit["vikaransaettelse"].target == 0.4
    # one set of criteria: monitoring runs on the design's own
    assert d.monitoring.success_criteria == list(d.success_criteria)
    assert d.monitoring.disclosure_threshold == d.disclosure_threshold

    base = d.effect_design()
    variants = d.robustness_variants()
    assert list(variants) == ["kun kommuner uden screening", "kun opskrevne", "kontrolgruppe 55-65 år",
                              "uden ledighedsperiodens længde"]
    projects = ("153", "187", "265", "269", "320", "329", "350", "430", "480", "482", "621", "746", "860")
    assert variants["kun kommuner uden screening"] == {
        "participants": ParticipantRule("informationsmøde", dt.date(2018, 1, 1), dt.date(2018, 12, 31),
                                        ("Seniorvikar Kolding",)),
        "pool": dataclasses.replace(base.pool, exclude_municipalities=projects),
        "subgroups": ()}
    assert variants["kun opskrevne"]["participants"].event == "opskrivning"
    assert variants["kontrolgruppe 55-65 år"] == {"pool": dataclasses.replace(base.pool, age=(55, 65))}
    assert variants["uden ledighedsperiodens længde"] == {
        "covariates": tuple(c for c in base.covariates if c != "spell_weeks")}
    for changes in variants.values():  # what virkning.evaluation.robustness does with them
        dataclasses.replace(base, **changes)


def test_minimal_example_and_defaults():
    d = load_design(MINIMAL)
    e = d.effect_design()
    assert e == EffectDesign(
        participants=ParticipantRule("informationsmøde"),
        pool=PoolRule(states={-1: "ledig", 0: "ledig"}),
        covariates=("age", "sex", "weeks_ledig_52w"),
        outcomes=(Outcome("exit_beskaeftiget", "first_exit", "beskæftiget", 7),),
    )
    assert d.name == "minimal" and d.language == "da" and d.disclosure_threshold == 5 and d.seed == 2018
    assert d.data_folder == MINIMAL.parent / "data" and d.success_criteria == () and d.robustness_variants() == {}
    assert d.wide_pattern == "y_YYWW" and d.end_month is None


def test_to_dict_is_json_ready():
    d = load_design(SENIORVIKAR)
    out = d.to_dict()
    again = json.loads(json.dumps(out, ensure_ascii=False))
    assert again == out
    assert out["participants"]["start"] == "2018-01-01" and out["pool"]["states"] == {"-1": "ledig", "0": "ledig"}
    assert out["name"] == "Seniorvikar" and out["end_month"] is None and out["disclosure_threshold"] == 5
    assert out["success_criteria"][0]["target"] == [100, 150]
    assert out["robustness"]["kontrolgruppe 55-65 år"] == {"pool": {"age": [55, 65]}}
    assert set(f.name for f in dataclasses.fields(EffectDesign)) <= set(out)


# ---- values and defaults --------------------------------------------------------------------------------------


def test_all_keys_become_the_effect_design(tmp_path):
    (tmp_path / "codes.csv").write_text("code,label,state,activation,benefit,retirement,source\n")
    text = BASE + textwrap.dedent("""\
        name: Test
        language: en
        data: {folder: registers, catalogue: codes.csv, end_month: 2019-07, wide_pattern: dream_YYYYWW}
        exclusions:
          - {name: employed, covariate: employment_at_0, op: gt, value: 0}
        matching: {exact: [region], ratio: 2, replace: true, caliper: 0.2, distance: ps}
        censoring: full_followup
        se: bootstrap
        n_boot: 99
        subgroups: [{name: age band, covariate: age, edges: [50, 60, 66]}]
        disclosure_threshold: 10
        seed: 7
        """)
    text = text.replace("event: informationsmøde", "event: informationsmøde\n  from: 2018-03-01\n  to: "
                        "2018-06-30\n  units: [A, B]")
    text = text.replace("states: {-1: ledig, 0: ledig}", "states: {-1: ledig, 0: ledig}\n  age: [55, 64]\n  "
                        "age_date: 2019-01-01\n  exclude_municipalities: [153, '430']\n  participants: not_yet\n"
                        "  apply_to_participants: false")
    path = tmp_path / "design.yaml"
    path.write_text(text)
    d = load_design(path)
    e = d.effect_design()
    assert e.participants == ParticipantRule("informationsmøde", dt.date(2018, 3, 1), dt.date(2018, 6, 30), ("A", "B"))
    assert e.pool == PoolRule(age=(55, 64), age_date=dt.date(2019, 1, 1), states={-1: "ledig", 0: "ledig"},
                              exclude_municipalities=("153", "430"), participants="not_yet",
                              apply_to_participants=False)
    assert e.exclusions[0].op == ">" and (e.exact, e.ratio, e.replace, e.caliper, e.distance) == (
        ("region",), 2, True, 0.2, "ps")
    assert (e.censoring, e.se, e.n_boot, e.seed, e.end_month) == ("full_followup", "bootstrap", 99, 7, "2019-07")
    assert e.subgroups[0].edges == (50, 60, 66)
    assert (d.name, d.language, d.disclosure_threshold, d.seed) == ("Test", "en", 10, 7)
    assert d.data_folder == tmp_path / "registers" and d.catalogue == tmp_path / "codes.csv"
    opts = d.load_options()
    assert opts.wide_pattern == "dream_YYYYWW" and opts.catalogue == str(tmp_path / "codes.csv")


def test_states_and_statuses_are_spelled_as_the_catalogue():
    d = design("""\
        outcomes:
          - {name: a, status: Foertidspension}
          - {name: b, kind: status_share, status: beskaeftiget, horizon: 3}
          - {name: c, kind: benefit_weeks}
        """, base=BASE.replace("ledig, 0: ledig}", "ledig, 0: Passiv_Ledig}").split("outcomes:")[0])
    e = d.effect_design()
    assert e.pool.states == {-1: "ledig", 0: "passiv_ledig"}
    assert [(o.kind, o.status, o.horizon) for o in e.outcomes] == [
        ("first_exit", "førtidspension", 7), ("status_share", "beskæftiget", 3), ("benefit_weeks", None, 7)]


def test_user_columns_of_persons_are_accepted_as_plain_identifiers():
    d = design("", base=BASE.replace("[age, sex]", "[age, sex, højeste_uddannelse, extra_cov]"))
    assert d.effect_design().covariates == ("age", "sex", "højeste_uddannelse", "extra_cov")


def test_empty_lists_may_be_left_blank():
    d = design("exclusions:\nsubgroups:\nsuccess_criteria:\nrobustness:\nmatching: {exact: }\n")
    e = d.effect_design()
    assert e.exclusions == () and e.subgroups == () and e.exact == () and d.robustness_variants() == {}


def test_municipalities_none_and_null():
    for value in ("none", "null"):
        d = design("", base=BASE.replace("0: ledig}", f"0: ledig}}\n  exclude_municipalities: {value}"))
        assert d.effect_design().pool.exclude_municipalities is None


# ---- mistakes: key path, line, expectation --------------------------------------------------------------------


def test_wrong_type():
    p = only(BASE + "matching:\n  ratio: two\n")
    assert (p.path, p.line) == ("matching.ratio", 9)
    assert p.message == "expected a whole number of at least 1 and at most 20; got 'two'"
    p = only(BASE + "matching:\n  replace: ja\n")
    assert (p.path, p.line, p.message) == ("matching.replace", 9, "expected true or false; got 'ja'")
    p = only(BASE + "matching: 3\n")
    assert (p.path, p.line) == ("matching", 8) and p.message.startswith("expected a mapping (key: value); got 3")


def test_unknown_key_with_suggestion():
    p = only(BASE + "pools:\n  age: [50, 65]\n")
    assert (p.path, p.line) == ("pools", 8)
    assert p.message.startswith("unknown key 'pools' (did you mean 'pool'?); expected one of name, language")
    p = only(BASE.replace("- name: exit_beskaeftiget", "- name: x\n    horizn: 3"))
    assert (p.path, p.line) == ("outcomes[1].horizn", 8)
    assert "unknown key 'horizn' (did you mean 'horizon'?); expected one of name, kind, status, horizon" in p.message


def test_bad_choice():
    p = only(BASE.replace("- name: exit_beskaeftiget", "- name: x\n    kind: hazard"))
    assert (p.path, p.line) == ("outcomes[1].kind", 8)
    assert p.message == "expected one of first_exit, status_share, benefit_weeks; got 'hazard'"
    p = only(BASE + "censoring: full\n")
    assert (p.path, p.line, p.message) == ("censoring", 8, "expected one of km, full_followup; got 'full'")


def test_bad_covariate_names():
    found = problems(BASE.replace("[age, sex]", "[age, weeks_ledg_52w, 'bad name', employment_0m]"))
    by_path = {p.path: p for p in found}
    assert set(by_path) == {"covariates[2]", "covariates[3]", "covariates[4]"}
    assert all(p.line == 5 for p in found)
    assert "'ledg' is not a state or group of the DREAM code catalogue" in by_path["covariates[2]"].message
    assert by_path["covariates[3]"].message.startswith("expected a covariate name")
    assert by_path["covariates[3]"].message.endswith("got 'bad name'")
    assert "at least 1 month" in by_path["covariates[4]"].message


def test_bad_state():
    p = only(BASE.replace("states: {-1: ledig, 0: ledig}", "states:\n    -1: ledg\n    0: ledig"))
    assert (p.path, p.line) == ("pool.states[-1]", 5)
    assert p.message.startswith("expected a state or group of the DREAM code catalogue: one of ledig,")
    assert p.message.endswith("got 'ledg'")
    p = only(BASE.replace("0: ledig}", "0: beskæftiget}"))
    assert p.path == "pool.states[0]" and "got 'beskæftiget'" in p.message
    p = only(BASE.replace("states: {-1: ledig, 0: ledig}", "states: {}"))
    assert (p.path, p.line, p.message) == ("pool.states", 4, "expected at least 1 item(s); got a mapping (key: value)")


def test_horizon_below_one():
    p = only(BASE.replace("- name: exit_beskaeftiget", "- name: x\n    horizon: 0"))
    assert (p.path, p.line, p.message) == ("outcomes[1].horizon", 8, "expected a whole number of at least 1 and at most 120; got 0")


def test_disclosure_threshold_below_three():
    p = only(BASE + "disclosure_threshold: 2\n")
    assert (p.path, p.line, p.message) == ("disclosure_threshold", 8,
                                           "expected a whole number of at least 3 and at most 100; got 2")


def test_syntax_error_names_the_line():
    p = only(BASE + "matching:\n  exact: [sex\n  ratio: 2\n")
    assert p.path == "" and p.line in (10, 11) and p.message.startswith("YAML syntax error")
    p = only(BASE + "matching:\n\tratio: 3\n")
    assert p.line == 9 and "tabs" in p.message
    p = only(BASE + "exclusions:\n  - {name: e, covariate: age, op: >, value: 3}\n")
    assert p.line == 9 and 'op: ">"' in p.message


def test_error_message_names_file_line_path_and_expectation():
    with pytest.raises(DesignError) as info:
        parse_design(BASE + "seed: -1\n", source="projekt/design.yaml")
    text = str(info.value)
    assert "projekt/design.yaml, line 8, seed: expected a whole number of at least 0; got -1" in text
    assert text.startswith("projekt/design.yaml: 1 problem(s)")


def test_several_errors_are_reported_together():
    text = BASE.replace("- name: exit_beskaeftiget", "- name: x\n    kind: hazard\n    horizon: 0") + (
        "pools: 1\ndisclosure_threshold: 1\nlanguage: de\n")
    found = problems(text)
    assert [(p.line, p.path) for p in found] == [(8, "outcomes[1].kind"), (9, "outcomes[1].horizon"), (10, "pools"),
                                                 (11, "disclosure_threshold"), (12, "language")]


def test_missing_required_keys():
    found = problems("participants: {}\npool:\n  age: [50, 65]\n")
    assert [(p.line, p.path, p.message.split(" (")[0]) for p in found] == [
        (None, "", "missing required key 'covariates'"),
        (None, "", "missing required key 'outcomes'"),
        (1, "participants", "missing required key 'event'"),
        (2, "pool", "missing required key 'states'"),
    ]


def test_duplicates():
    p = only(BASE + "participants: {event: x}\n")
    assert (p.path, p.line) == ("participants", 8) and "appears twice (first on line 1)" in p.message
    p = only(BASE.replace("[age, sex]", "[age, sex, age]"))
    assert (p.path, p.line) == ("covariates[3]", 5) and "listed twice (also covariates[1])" in p.message
    p = only(BASE + "  - name: exit_beskaeftiget\n    status: vikar\n")
    assert (p.path, p.line) == ("outcomes[2].name", 8)


def test_values_that_depend_on_each_other():
    p = only(BASE.replace("event: informationsmøde", "event: x\n  from: 2018-06-01\n  to: 2018-01-01"))
    assert (p.path, p.line) == ("participants.to", 4)
    assert p.message == "expected a date on or after 'from' (2018-06-01); got 2018-01-01"
    p = only(BASE.replace("- name: exit_beskaeftiget", "- {name: x, kind: benefit_weeks, status: ledig}"))
    assert p.path == "outcomes[1].status" and "takes no status" in p.message
    p = only(BASE.replace("- name: exit_beskaeftiget", "- {name: x, kind: status_share, status: tilbagetrukket}"))
    assert p.path == "outcomes[1].status" and "expected a monthly status" in p.message
    p = only(BASE + "success_criteria:\n  - {name: a, kind: share, numerator: b, target: 80}\n")
    assert p.path == "success_criteria[1].target" and "write 0.8 for 80 %" in p.message
    p = only(BASE + "success_criteria:\n  - {name: a, kind: count, numerator: b, target: [150, 100]}\n")
    assert p.path == "success_criteria[1].target" and "min <= max" in p.message
    p = only(BASE + "success_criteria:\n  - {name: a, kind: count, numerator: b, denominator: c, target: 100}\n")
    assert p.path == "success_criteria[1].denominator" and p.message.startswith("a count has no denominator")


def test_dates_months_and_files():
    p = only(BASE.replace("event: informationsmøde", "event: x\n  from: 2018-02-30"))
    assert (p.path, p.line) == ("participants.from", 3) and "exists in the calendar" in p.message
    p = only(BASE + "data: {end_month: 2019-7}\n")
    assert p.path == "data.end_month" and "YYYY-MM" in p.message
    p = only(BASE + "data: {catalogue: missing.csv}\n")
    assert (p.path, p.line) == ("data.catalogue", 8) and p.message.startswith("file not found")


def test_empty_and_unreadable_files(tmp_path):
    assert "the file is empty" in only("").message
    assert "expected a mapping" in only("- a\n- b\n").message
    with pytest.raises(DesignError, match="file not found"):
        load_design(tmp_path / "nope.yaml")


# ---- robustness variants --------------------------------------------------------------------------------------


def test_robustness_variants_are_field_overrides():
    d = design("""\
        matching: {exact: [sex]}
        robustness:
          older pool:
            pool: {age: [55, 65]}
          two controls:
            matching: {ratio: 2, replace: true}
          fewer covariates:
            covariates: [age]
          later start:
            participants: {from: 2018-07-01}
            seed: 1
        """)
    base = d.effect_design()
    v = d.robustness_variants()
    assert v["older pool"] == {"pool": PoolRule(age=(55, 65), states={-1: "ledig", 0: "ledig"})}
    assert v["two controls"] == {"ratio": 2, "replace": True}  # exact: [sex] kept (sections merge key by key)
    assert v["fewer covariates"] == {"covariates": ("age",)}
    assert v["later start"] == {"participants": ParticipantRule("informationsmøde", dt.date(2018, 7, 1)), "seed": 1}
    assert d.effect_design() == base  # variants leave the main design alone
    for changes in v.values():
        dataclasses.replace(base, **changes)


def test_robustness_mistakes():
    found = problems(BASE + textwrap.dedent("""\
        robustness:
          a:
            pools: {age: [55, 65]}
          b:
            pool: {age: [65, 55]}
          c:
            language: en
          d: {}
          main:
            seed: 3
          e:
            seed: 2018
          f: 3
        """))
    got = [(p.line, p.path, p.message) for p in found]
    assert got[0][:2] == (10, 'robustness.a.pools')
    assert got[0][2].startswith("unknown key 'pools' in a robustness variant (did you mean 'pool'?)")
    assert got[1][:2] == (12, "robustness.b.pool.age") and "min <= max" in got[1][2]
    assert got[2][:2] == (14, "robustness.c.language") and "cannot change in a robustness variant" in got[2][2]
    assert got[3][:2] == (15, "robustness.d") and "changes nothing" in got[3][2]
    assert got[4][:2] == (16, "robustness.main") and "choose another name" in got[4][2]
    assert got[5][:2] == (18, "robustness.e") and "same design as the main one" in got[5][2]
    assert got[6][:2] == (20, "robustness.f") and got[6][2].startswith("expected a mapping (key: value)")
    assert len(got) == 7


def test_keys_in_the_wrong_place_or_under_another_name():
    p = only(BASE + "exact: [sex]\n")
    assert p.path == "exact" and p.message.startswith("unknown key 'exact' (it belongs under matching)")
    p = only(BASE.replace("event: informationsmøde", "event: x\n  start: 2018-01-01"))
    assert p.path == "participants.start" and p.message.startswith("unknown key 'start' (did you mean 'from'?)")


def test_names_that_start_like_register_covariates_must_follow_the_grammar():
    p = only(BASE.replace("[age, sex]", "[age, weeks_ledig_52]"))
    assert p.path == "covariates[2]" and "names starting with weeks_ are read by it" in p.message
    assert p.message.endswith("got 'weeks_ledig_52'")


def test_yaml_anchors_work_and_a_self_referring_alias_is_refused():
    d = design("", base=BASE.replace("covariates: [age, sex]", "covariates: &cov [age, sex]\nmatching:\n  exact: *cov"))
    assert d.effect_design().exact == ("age", "sex")
    found = problems(BASE + "subgroups: &s [*s]\n")
    assert any(p.line == 8 and "refers to the list or mapping that contains it" in p.message for p in found)


def test_issue_18_keys_are_checked_with_clear_messages():
    d = design("matching:\n  discard: both\nadjust: regression\nse: rematch\nsensitivity: false\n")
    e = d.effect_design()
    assert (e.discard, e.adjust, e.se, e.sensitivity) == ("both", "regression", "rematch", False)
    assert design().effect_design().discard == "none" and design().effect_design().sensitivity is True
    p = only(BASE + "matching:\n  discard: outside\n")
    assert (p.path, p.message) == ("matching.discard", "expected one of none, both, treated, control; got 'outside'")
    p = only(BASE + "adjust: dr\n")
    assert (p.path, p.message) == ("adjust", "expected one of none, regression; got 'dr'")
    p = only(BASE + "se: sandwich\n")
    assert p.path == "se" and p.message == "expected one of cluster, bootstrap, rematch; got 'sandwich'"
    p = only(BASE + "sensitivity: yes please\n")
    assert p.path == "sensitivity"
    p = only(BASE + "discard: both\n")
    assert p.path == "discard" and p.message.startswith("unknown key 'discard' (it belongs under matching)")
    with pytest.raises(DesignError, match="discard expected one of none, both, treated, control; got 'all'"):
        seniorvikar_design(discard="all")


def test_covariate_calipers_and_antiexact_are_design_keys():
    d = design("matching:\n  caliper: {distance: 0.2, age: 3}\n  std_caliper: false\n  antiexact: [region]\n")
    e = d.effect_design()
    assert (e.caliper, e.std_caliper, e.antiexact) == ((("distance", 0.2), ("age", 3.0)), False, ("region",))
    assert e.caliper_covariates == ("age",)
    assert design("matching:\n  caliper: 0.1\n").effect_design().caliper == 0.1
    p = only(BASE + "matching:\n  caliper: {}\n")
    assert p.path == "matching.caliper" and "at least one entry" in p.message
    p = only(BASE + "matching:\n  caliper: {age: -1}\n")
    assert p.path == "matching.caliper" and p.message.startswith("expected a width greater than 0 for 'age'")
    p = only(BASE + "matching:\n  caliper: wide\n")
    assert p.message.startswith("expected a number greater than 0, or a mapping")
    p = only(BASE + "antiexact: [region]\n")
    assert p.path == "antiexact" and "(it belongs under matching)" in p.message

"""The two seed-002 examples (micro-loans; interview rules for sickness-benefit recipients) against the seed's own
numbers: targets, horizons, indicators and the measurement schedule (seed 002 lines 27-200 and 660-945)."""

import datetime as dt
from importlib import resources

import pytest

from virkning.analyses.programme import calendar_frame
from virkning.analyses.programme.schedule import points
from virkning.design import parse_design


def _spec(name):
    text = resources.files("virkning.examples").joinpath(name, "design.yaml").read_text(encoding="utf-8")
    return parse_design(text, f"{name}/design.yaml").analyses["programme"]


@pytest.fixture(scope="module")
def micro():
    return _spec("mikrolaan")


@pytest.fixture(scope="module")
def talks():
    return _spec("samtaler")


def test_micro_loans_targets_are_the_seeds(micro):
    targets = {(t.indicator, t.kind, t.value, t.direction, t.per, t.horizon) for t in micro.targets}
    assert targets == {
        ("forloeb_startet", "absolute", 4, "at_least", "year", "kort"),      # 4 forløb om året (line 48)
        ("forloeb_startet", "absolute", 12, "at_least", None, "kort"),       # i alt 12 forløb (line 48)
        ("deltagere_startet", "absolute", 80, "at_most", None, "kort"),      # højest 80 ledige (line 51)
        ("mikrolaan_bevilget", "absolute", 60, "at_least", None, "mellemlang"),  # 60 borgere (line 66)
        ("selvforsoergende", "absolute", 45, "at_least", None, "lang"),      # 45 ledige (line 69)
    }


def test_micro_loans_results_by_horizon(micro):
    by = {}
    for e in micro.effects:
        by.setdefault(e.horizon, []).append(e.label)
    assert len(by["kort"]) == 5 and len(by["mellemlang"]) == 1 and len(by["lang"]) == 3
    assert "60 borgere" in by["mellemlang"][0]
    assert all("45" in x for x in by["lang"] if "selvforsørgelse" in x)
    assert micro.horizons["lang"] == "3-5 år"
    assert micro.baseline == dt.date(2017, 7, 1)  # forsøgets opstart 1/7 2017 (line 87)


def test_micro_loans_schedule(micro):
    pts = points(micro)
    quarter = [p.start for p in pts if p.schedule == "status_kvartal"]
    # status every 3 months from the start, through the experiment
    assert quarter[0] == dt.date(2017, 10, 1)
    assert all((b.year * 12 + b.month) - (a.year * 12 + a.month) == 3 for a, b in zip(quarter, quarter[1:]))
    assert quarter[-1] == dt.date(2020, 4, 1)
    lasting = sorted(p.months_after for p in pts if p.schedule == "varig_selvforsoergelse")
    assert lasting == [12, 24, 30]  # after 1, 2 and 2½ years (lines 193-195)
    assert [p.months_after for p in pts if p.schedule == "forloebsafslutning"] == [0]  # at each course's end
    assert [p.months_after for p in pts if p.schedule == "mikrolaansperiodens_afslutning"] == [0]
    end = {p.schedule: p.indicators for p in pts if p.kind == "fixed"}
    # the end of the experiment adds debt and forgiven debt to the quarterly list (lines 170-190)
    assert set(end["forsoegets_afslutning"]) - set(next(p.indicators for p in pts if p.schedule == "status_kvartal")) \
        == {"gaeld", "gaeld_eftergivet"}


def test_micro_loans_indicators(micro):
    names = {i.name: i for i in micro.indicators}
    assert names["selvforsoergende"].register_.negate and names["selvforsoergende"].register_.status == "ydelse"
    assert names["beloeb"].kind == "amount" and names["beloeb"].unit == "kr."
    assert names["virksomhedstyper"].by == ["branche"]
    assert {names[n].source for n in ("forretningside", "nye_faerdigheder", "naermere_arbejdsmarkedet",
                                      "nyt_netvaerk")} == {"survey"}


def test_interview_rules_iso_week_windows(talks):
    cal = calendar_frame(talks)
    got = list(zip(cal["point"], cal["start"], cal["end"]))
    # weeks 40-41 2017 (baseline); 14-15 and 40-41 in 2018 and 2019; 14-15 in 2020 (lines 912-945)
    assert got == [("2017-W40-41", "2017-10-02", "2017-10-15"), ("2018-W14-15", "2018-04-02", "2018-04-15"),
                   ("2018-W40-41", "2018-10-01", "2018-10-14"), ("2019-W14-15", "2019-04-01", "2019-04-14"),
                   ("2019-W40-41", "2019-09-30", "2019-10-13"), ("2020-W14-15", "2020-03-30", "2020-04-12")]
    assert all(len(s.what) == 3 for s in talks.schedules)  # medarbejder-, borger- og ledersurvey


def test_interview_rules_theory(talks):
    assert [a.id for a in talks.activities] == ["form", "indhold", "kadence"]
    by_activity = {}
    for m in talks.mechanisms:
        by_activity.setdefault(m.from_[0], []).append(m.label)
    assert [len(by_activity[a]) for a in ("form", "indhold", "kadence")] == [5, 3, 2]
    effects_of = {m.id: {e.id for e in talks.effects if m.id in e.from_} for m in talks.mechanisms}
    # the seed's table for the form of the interview (lines 683-745)
    assert effects_of["hyppigere_opfoelgning"] == {"individuel", "kvalitet", "optimering"}
    assert effects_of["motiverede_borgere"] == {"empowerment"}
    assert effects_of["kontakt_udsatte"] == {"empowerment", "individuel", "kvalitet"}
    assert effects_of["ressourcer_jobcentret"] == {"kvalitet", "optimering", "arbejdsglaede"}
    assert effects_of["motiverede_begge"] == {"empowerment", "individuel", "kvalitet", "optimering", "arbejdsglaede"}
    assert len(talks.effects) == 7 and all(e.horizon is None for e in talks.effects)
    assert "Rebild" in talks.target_group[0] and "Vesthimmerland" in talks.target_group[0]
    shares = {i.name for i in talks.indicators if i.source == "jobindsats"}
    assert shares == {"varighed", "afsluttede_sager", "sager", "tilbagevenden", "beskaeftigelse_uddannelse"}


@pytest.mark.parametrize("name", ["mikrolaan", "samtaler"])
def test_plan_without_data_writes_calendar_and_theory(tmp_path, name):
    import xml.etree.ElementTree as ET

    from virkning.analyses.programme.plan import run_plan
    from virkning.disclosure.audit import audit

    design = tmp_path / "design.yaml"
    design.write_text(resources.files("virkning.examples").joinpath(name, "design.yaml").read_text(encoding="utf-8"),
                      encoding="utf-8")
    paths = run_plan(design, tmp_path / "out")
    assert "status" not in paths and audit(tmp_path / "out") == []
    spec = _spec(name)
    svg = (tmp_path / "out" / "figures" / "programme_theory.svg").read_text(encoding="utf-8")
    root = ET.fromstring(svg)  # well-formed XML
    ns = "{http://www.w3.org/2000/svg}"
    ids = {g.get("id") for g in root.iter(f"{ns}g") if "node" in g.get("class", "")}
    assert {f"node-{a.id}" for a in [*spec.activities, *spec.mechanisms, *spec.effects]} <= ids
    arrows = [p for p in root.iter(f"{ns}path") if p.get("marker-end")]
    assert len(arrows) == sum(len(m.from_) for m in spec.mechanisms) + sum(len(e.from_) for e in spec.effects)
    html = (tmp_path / "out" / "programme.html").read_text(encoding="utf-8")
    assert spec.activities[0].label.split()[0] in html
    ics = (tmp_path / "out" / "calendar.ics").read_bytes()
    assert ics.count(b"BEGIN:VEVENT") == sum(1 for p in points(spec) if p.start is not None)

"""The plan's status and the job-rotation analysis on synthetic registers: register-based shares against an
independent pandas reading of the written files, the planted rule breaches found exactly, the substitute search's
order, the calendar files, and an audit of every written folder."""

import datetime as dt
import json
import xml.etree.ElementTree as ET
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from virkning.analyses.programme.schedule import add_months
from virkning.analyses.programme.status import wilson
from virkning.disclosure.audit import audit


@pytest.fixture(scope="module")
def world(synth_folder, tmp_path_factory):
    from virkning.synth.jobrotation import write_jobrotation_data

    written = write_jobrotation_data(synth_folder, seed=3)
    root = tmp_path_factory.mktemp("jr")
    design = root / "design.yaml"
    text = resources.files("virkning.examples").joinpath("jobrotation", "design.yaml").read_text(encoding="utf-8")
    design.write_text(text.replace("folder: data", f"folder: {synth_folder}"), encoding="utf-8")
    return synth_folder, design, written, root


@pytest.fixture(scope="module")
def plan(world):
    from virkning.analyses.programme.plan import run_plan

    data, design, _, root = world
    return run_plan(design, root / "plan", data=data)


@pytest.fixture(scope="module")
def evaluation(world):
    from virkning.outputs import run_evaluation

    data, design, _, root = world
    return run_evaluation(design, root / "eval", data=data)


def test_wilson_against_newcombe_1998():
    # Newcombe (1998), Statistics in Medicine 17:857-872, Table II, method 3 (score interval)
    for (k, n), (lo, hi) in {(81, 263): (0.2553, 0.3662), (15, 148): (0.0624, 0.1605), (0, 20): (0.0, 0.1611),
                             (1, 29): (0.0061, 0.1718)}.items():
        assert wilson(k, n) == pytest.approx((lo, hi), abs=5e-5)


def test_register_shares_match_an_independent_reading(world, plan):
    data = world[0]
    status = pd.read_csv(plan["status"])
    rot = pd.read_csv(data / "jobrotation.csv", dtype=str).sort_values(["vikar", "start"]).drop_duplicates("vikar")
    emp = pd.read_parquet(data / "employment.parquet", columns=["person_id", "month", "employment_rate"],
                          filters=[("person_id", "in", sorted(set(rot["vikar"])))])
    employed = set(zip(emp.loc[emp["employment_rate"] > 0, "person_id"], emp.loc[emp["employment_rate"] > 0, "month"]))
    persons = set(pd.read_parquet(data / "persons.parquet", columns=["person_id"])["person_id"])
    last = "2019-07"  # the synthetic registers end July 2019
    for h in (3, 6, 12):
        k = n = 0
        for sub, end in zip(rot["vikar"], rot["slut"]):
            d = add_months(dt.date.fromisoformat(end), h)
            month = f"{d.year}-{d.month:02d}"
            if sub in persons and month <= last:
                n += 1
                k += (sub, month) in employed
        row = status[(status["indicator"] == "vikarer_beskaeftiget") & (status["point"] == f"+{h}m")].iloc[0]
        assert (row["numerator"], row["denominator"]) == (k, n)
        assert row["value"] == pytest.approx(k / n, abs=1e-12)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx(wilson(k, n), abs=1e-12)
        assert row["met"] == ("yes" if k / n >= 0.4 else "no")


def test_registration_counts_and_states(world, plan):
    data = world[0]
    status = pd.read_csv(plan["status"])
    rot = pd.read_csv(data / "jobrotation.csv", dtype=str)
    q = status[status["indicator"] == "rotationer_startet"]
    for r in q.itertuples():
        expected = int((rot["start"] <= r.point).sum())
        shown = r.numerator
        assert np.isnan(shown) or shown == expected  # hidden only by the gate
    assert set(status["state"]) <= {"measured", "due", "not_due"}
    assert audit(plan["status"].parent) == []


def test_calendar_files(plan):
    cal = pd.read_csv(plan["calendar"])
    assert list(cal.loc[cal["schedule"] == "kvartal", "start"])[:3] == ["2017-04-01", "2017-07-01", "2017-10-01"]
    assert list(cal.loc[cal["schedule"] == "kvartal", "start"])[-1] == "2019-04-01"
    assert sorted(cal.loc[cal["schedule"] == "efter_rotation", "months_after"]) == [3, 6, 12]
    raw = plan["ics"].read_bytes()
    lines = raw.split(b"\r\n")
    assert lines[0] == b"BEGIN:VCALENDAR" and lines[-2] == b"END:VCALENDAR" and raw.endswith(b"\r\n")
    assert all(len(x) <= 75 for x in lines)
    events = raw.count(b"BEGIN:VEVENT")
    assert events == raw.count(b"END:VEVENT") == int(cal["start"].notna().sum())
    assert b"DTSTART;VALUE=DATE:20170401\r\nDTEND;VALUE=DATE:20170402" in raw


def test_planted_rule_breaches_are_found(world, evaluation):
    _, _, written, root = world
    planted = {(e["row"], e["rule"]) for e in json.loads(written["errors"].read_text(encoding="utf-8"))}
    found = pd.read_csv(root / "eval" / "internal" / "jobrotation_violations.csv")
    assert set(zip(found["row"], found["rule"])) == planted
    rules = pd.read_csv(root / "eval" / "jobrotation" / "rules.csv")
    counts = dict(zip(rules["rule"], rules["rotations"]))
    assert counts["rotations"] == 160 and counts["any"] == len({r for r, _ in planted})


def test_substitutes_outcomes_and_report(world, evaluation):
    root = world[3]
    out = pd.read_csv(root / "eval" / "jobrotation" / "outcomes.csv")
    assert list(out["month"]) == [3, 6, 12]
    assert (out["n_treated"] == out["n_control"]).all()  # 1:1 without replacement
    assert np.allclose(out["att"], out["treated_mean"] - out["control_mean"])
    html = (root / "eval" / "report.html").read_text(encoding="utf-8")
    assert 'id="fig-programme_theory"' in html and "Godt match mellem vikar og virksomhed" in html
    svg = (root / "eval" / "figures" / "programme_theory.svg").read_text(encoding="utf-8")
    tree = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    nodes = [g for g in tree.iter(f"{ns}g") if "node" in g.get("class", "")]
    assert len(nodes) == 2 + 7 + 7 + 11 + 4 + 1  # target groups, activities, mechanisms, effects, bands
    assert not (root / "eval" / "figures" / "programme_theory.png").exists()
    assert audit(root / "eval") == []


def test_substitute_search_order(world, evaluation):
    root = world[3]
    r = pd.read_csv(root / "eval" / "internal" / "substitute_ranking.csv")
    assert list(r["rank"]) == list(range(1, len(r) + 1))
    own = r["jobcentre"] == "Jobcenter Aarhus"
    assert (np.diff(own.to_numpy(dtype=int)) <= 0).all()  # own job centre first
    for _, g in r.groupby(own, sort=False):
        s = g[g["suitable"]]
        assert (np.diff(s["unemployed_weeks"].to_numpy()) <= 0).all()  # longest unemployed first among suitable
    w = {"competences": 0.4, "job_goal": 0.2, "hours": 0.15, "location": 0.1, "unemployment": 0.15}
    assert np.allclose(r["score"], sum(r[k] * v for k, v in w.items()) / sum(w.values()))
    assert r["reasons"].str.contains("kompetencer").all()
    assert not any("candidate" in p.name for p in (root / "eval").rglob("*.csv") if "internal" not in p.parts)


def test_outcome_months_follow_each_rotation(world):
    """Each matched row's status h months after its set's rotation against an independent pandas reading of the
    Parquet files (the panel's month status: retirement code, else temp-agency work, else employment)."""
    from virkning.analyses.jobrotation.outcomes import substitute_outcomes
    from virkning.analyses.jobrotation.rules import read_rotations
    from virkning.analyses.jobrotation.spec import JobRotationSpec, Outcomes
    from virkning.registers import load
    from virkning.registers.catalogue import load_catalogue

    data = world[0]
    spec = JobRotationSpec.model_validate({"columns": {"unit": "jobcenter"}})
    rot = read_rotations(spec, data)
    regs = load(data)
    try:
        out = substitute_outcomes(regs, rot, Outcomes(months_after=[3, 6]), seed=1)
    finally:
        regs.close()
    d = out.data[out.data["matched_set"] > 0]
    starts = dict(zip(rot["substitute"], rot["start"]))
    set_start = {s: starts[p] for s, p, t in zip(d["matched_set"], d["person_id"], d["treat"]) if t == 1}
    ids = sorted(set(d["person_id"]))  # read only these persons' rows: the registers hold 110,000
    emp = pd.read_parquet(data / "employment.parquet", filters=[("person_id", "in", ids)])
    emp = emp[emp["employment_rate"] > 0]
    temp = set(zip(emp.loc[emp["temp_agency"], "person_id"], emp.loc[emp["temp_agency"], "month"]))
    work = set(zip(emp["person_id"], emp["month"]))
    cat = load_catalogue().table
    codes = sorted(set(cat.loc[cat["retirement"] == 1, "code"]))
    ben = pd.read_parquet(data / "benefits.parquet", filters=[("person_id", "in", ids), ("code", "in", codes)])
    thursday = [dt.date.fromisocalendar(w // 100, w % 100, 4) for w in ben["week"].astype(int)]
    retired = set(zip(ben["person_id"], [f"{t.year}-{t.month:02d}" for t in thursday]))
    checked = 0
    for r in d.itertuples():
        s = set_start[r.matched_set]
        for h in (3, 6):
            v = getattr(r, f"after_rotation_{h}")
            if v != v:
                continue
            mo = s.year * 12 + s.month - 1 + int(r.rotation_months) + h
            month = f"{mo // 12}-{mo % 12 + 1:02d}"
            key = (r.person_id, month)
            expected = key in work and key not in temp and key not in retired
            assert v == float(expected), (r.person_id, r.treat, month)
            checked += 1
    assert checked > 200

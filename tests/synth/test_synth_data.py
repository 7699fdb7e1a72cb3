"""The synthetic registers: contract, realism (stocks, spells, covariates), weeks vs months, programme rules.

One run of 40,000 persons is shared by the module (a few seconds).
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from virkning.registers.catalogue import load_catalogue
from virkning.synth import generate
from virkning.synth.codes import load_codebook
from virkning.synth.geography import PROJECT_MUNICIPALITIES, load_municipalities

PERSONS = 40_000
LEDIG = {"111", "115", "121", "213", "214", "215", "216", "217", "218", "219"}
NO_WORK_CODES = {"115", "651"}  # codes that may carry hours in the same week (supplementary dagpenge, SU)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    summary = generate(out, persons=PERSONS, seed=7)
    d = {name: pd.read_parquet(out / f"{name}.parquet") for name in ("persons", "benefits", "employment", "events")}
    d["truth"] = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    d["summary"] = summary
    p = d["persons"]
    p["birth_date"] = pd.to_datetime(p["birth_date"])
    d["events"]["date"] = pd.to_datetime(d["events"]["date"])
    return d


def _age(birth: pd.Series, on: str) -> pd.Series:
    day = pd.Timestamp(on)
    years = day.year - birth.dt.year
    return years - ((birth.dt.month > day.month) | ((birth.dt.month == day.month) & (birth.dt.day > day.day)))


def _thursday(week: pd.Series) -> pd.Series:
    """YYYYWW -> the week's Thursday (mapped through the few distinct weeks, so it is fast)."""
    days = {w: pd.Timestamp(dt.date.fromisocalendar(int(w) // 100, int(w) % 100, 4)) for w in week.unique()}
    return week.map(days)


def _week_month(week: pd.Series) -> pd.Series:
    """YYYYWW -> 'YYYY-MM' of the week's Thursday."""
    return _thursday(week).dt.strftime("%Y-%m")


# --- the data contract -----------------------------------------------------------------------------------


def test_tables_follow_the_contract(data):
    p, b, e, ev = data["persons"], data["benefits"], data["employment"], data["events"]
    assert len(p) == PERSONS and p["person_id"].is_unique
    assert p["person_id"].str.fullmatch(r"P\d{7}").all()  # never CPR-like (DDMMYY-SSSS)
    assert set(p["sex"]) == {"M", "K"}
    assert set(p["origin"]) == {"dansk", "indvandrer", "efterkommer"}
    assert set(p["education"]) <= {"grundskole", "gymnasial", "erhvervsfaglig", "KVU", "MVU", "LVU", "ukendt"}
    assert p["municipality"].str.fullmatch(r"\d{3}").all()
    assert list(b.columns) == ["person_id", "week", "code"] and b["code"].str.fullmatch(r"\d{3}").all()
    # sorted by person, then week, with at most one row per person-week
    codes, uniques = pd.factorize(b["person_id"])
    assert (np.diff(codes) >= 0).all() and list(uniques) == sorted(uniques)
    week = b["week"].to_numpy()
    assert ((np.diff(codes) > 0) | (np.diff(week) > 0)).all()
    assert b["week"].min() == 201501 and b["week"].max() == 201930
    assert list(e.columns) == ["person_id", "month", "employment_rate", "hours", "industry", "temp_agency"]
    assert (e["employment_rate"] > 0).all() and not e.duplicated(["person_id", "month"]).any()
    assert np.allclose(e["hours"], e["employment_rate"] * 160, atol=0.006)
    assert (e["temp_agency"] == (e["industry"] == "782000")).all()
    known = set(p["person_id"])
    assert set(ev["person_id"].unique()) <= known and set(b["person_id"].unique()) <= known


def test_every_written_code_is_in_the_catalogue(data):
    catalogue = set(load_catalogue().table["code"])
    written = set(data["benefits"]["code"].unique())
    assert written <= catalogue, written - catalogue
    assert load_codebook().all_codes() <= catalogue
    assert {"111", "213", "621", "783", "998", "999", "890", "651"} <= written


def test_municipalities_regions_and_covariates(data):
    p = data["persons"]
    m = load_municipalities()
    assert set(p["municipality"]) <= set(m["code"])
    rar = dict(zip(m["code"], m["rar"]))
    assert (p["municipality"].map(rar) == p["region"]).all()
    # spread in proportion to population: København ~10.6 %, Aarhus ~5.9 %
    share = p["municipality"].value_counts(normalize=True)
    assert share["101"] == pytest.approx(0.106, abs=0.01) and share["751"] == pytest.approx(0.059, abs=0.008)
    origin = p["origin"].value_counts(normalize=True)
    assert origin["dansk"] == pytest.approx(0.86, abs=0.03)
    assert origin["indvandrer"] == pytest.approx(0.115, abs=0.03)
    assert origin["efterkommer"] == pytest.approx(0.02, abs=0.015)
    insured = p["a_kasse"].notna().groupby(p["education"]).mean()
    assert insured["grundskole"] < insured["erhvervsfaglig"] < insured["LVU"]
    assert 10 <= p["a_kasse"].nunique() <= 15
    ages = _age(p["birth_date"], "2019-07-31")
    assert ages.min() >= 16 and _age(p["birth_date"], "2015-01-01").max() <= 70


# --- realism ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def may2017(data):
    """State of persons aged 16-64 in week 2017-20, with May 2017 employment."""
    p, b, e = data["persons"], data["benefits"], data["employment"]
    w = p[["person_id", "birth_date"]].assign(age=_age(p["birth_date"], "2017-05-18"))
    w = w[(w["age"] >= 16) & (w["age"] <= 64)]
    w = w.merge(b[b["week"] == 201720][["person_id", "code"]], how="left")
    w = w.merge(e[e["month"] == "2017-05"][["person_id", "employment_rate"]], how="left")
    return w


def test_stocks_are_plausible(may2017):
    w = may2017
    cat = load_catalogue().table.set_index("code")["state"]
    state = w["code"].map(cat)
    ledig = w["code"].isin(LEDIG)
    jobparat_kh = w["code"].isin(["130", "140"])
    employed = (w["code"].isna() | w["code"].isin(NO_WORK_CODES)) & (w["employment_rate"] > 0)
    labour_force = employed.sum() + ledig.sum() + jobparat_kh.sum()
    assert 0.025 < ledig.sum() / labour_force < 0.05  # insured unemployment
    assert 0.04 < (ledig.sum() + jobparat_kh.sum()) / labour_force < 0.075  # gross unemployment
    prime = w["age"].between(30, 49)
    assert 0.72 < (w.loc[prime, "employment_rate"] > 0).mean() < 0.88
    assert 0.02 < state.isin(["kontanthjælp", "aktivering"]).mean() < 0.06
    assert 0.01 < (state == "sygdom").mean() < 0.035
    old = w["age"].between(60, 64)
    assert 0.06 < (state[old] == "efterløn").mean() < 0.2
    assert 0.06 < (state[old] == "førtidspension").mean() < 0.16
    assert (state[w["age"] < 60] != "efterløn").all()
    young = w["age"].between(20, 24)
    assert 0.25 < (state[young] == "uddannelse").mean() < 0.5


def test_retirement_ages(data):
    p, b = data["persons"], data["benefits"]
    x = b[b["code"].isin(["998", "621"])]
    x = x.loc[x.groupby(["person_id", "code"])["week"].idxmin()].merge(p[["person_id", "birth_date"]])
    years = (_thursday(x["week"]) - x["birth_date"]).dt.days / 365.25
    assert years[x["code"] == "998"].min() >= 64.9  # folkepension from 65 for these cohorts
    assert years[x["code"] == "621"].min() >= 59.9 and years[x["code"] == "621"].max() < 66


def test_senior_dagpenge_spells_are_longer(data):
    p, b = data["persons"], data["benefits"]
    d = b[b["code"].isin(LEDIG)].merge(p[["person_id", "birth_date"]])
    d = d.sort_values(["person_id", "week"])
    d["wk"] = (_thursday(d["week"]) - pd.Timestamp("2015-01-01")).dt.days // 7
    d["spell"] = ((d["wk"].diff() != 1) | (d["person_id"] != d["person_id"].shift())).cumsum()
    spells = d.groupby("spell").agg(weeks=("wk", "size"), first=("wk", "min"), birth=("birth_date", "first"))
    spells = spells[spells["first"] > 0]  # spells that start inside the period
    age = (pd.Timestamp("2015-01-01") + pd.to_timedelta(spells["first"] * 7, "D") - spells["birth"]).dt.days / 365.25
    young, senior = spells.loc[age.between(30, 49), "weeks"], spells.loc[age.between(50, 64), "weeks"]
    assert senior.mean() > 1.15 * young.mean()
    assert 8 < young.mean() < 40


def test_monthly_employment_is_consistent_with_weeks(data):
    b, e = data["benefits"], data["employment"]
    sample = e["person_id"].drop_duplicates().sample(1500, random_state=1)
    bb = b[b["person_id"].isin(sample)].copy()
    bb["month"] = _week_month(bb["week"])
    weeks_in_month = {m: n for m, n in _month_weeks().items()}
    # weeks in which hours are impossible: a code other than supplementary dagpenge or SU
    blocked = bb[~bb["code"].isin(NO_WORK_CODES)].groupby(["person_id", "month"]).size().rename("blocked")
    ee = e[e["person_id"].isin(sample)].merge(blocked, left_on=["person_id", "month"], right_index=True, how="left")
    ee["blocked"] = ee["blocked"].fillna(0)
    ee["n_weeks"] = ee["month"].map(weeks_in_month)
    free = (ee["n_weeks"] - ee["blocked"]) / ee["n_weeks"]
    assert (ee["employment_rate"] <= free + 1e-9).all()  # hours only in weeks without a blocking code
    assert (ee["blocked"] < ee["n_weeks"]).all()  # no employment in months fully on other benefits
    partial = (ee["blocked"] > 0).mean()
    assert 0.003 < partial < 0.2  # some months mix a few unemployment weeks with work
    full = ee["employment_rate"] == 1.0
    assert 0.4 < full.mean() < 0.85  # full-time months dominate; part-time draws exist


def _month_weeks() -> dict[str, int]:
    out: dict[str, int] = {}
    d = dt.date(2015, 1, 1)
    while d <= dt.date(2019, 7, 31):
        if d.weekday() == 3:
            key = f"{d.year}-{d.month:02d}"
            out[key] = out.get(key, 0) + 1
        d += dt.timedelta(days=1)
    return out


# --- the programme -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def participants(data):
    ev = data["events"]
    meetings = ev[ev["event"] == "informationsmøde"].sort_values(["person_id", "date"])
    first = meetings.groupby("person_id", as_index=False).first()
    first = first.merge(data["persons"], on="person_id")
    iso = first["date"].dt.isocalendar()
    first["week"] = (iso["year"] * 100 + iso["week"]).astype(int)
    first["prev_week"] = [int((d - pd.Timedelta(days=7)).strftime("%G%V")) for d in first["date"]]
    return first


def test_participants_follow_the_programme_rules(data, participants):
    t, ev, b = data["truth"], data["events"], data["benefits"]
    assert t["project_municipalities"] == list(PROJECT_MUNICIPALITIES)
    assert len(participants) == t["n_participants"] > 50
    assert participants["municipality"].isin(PROJECT_MUNICIPALITIES).all()
    age = [_age(pd.Series([r.birth_date]), str(r.date.date())).iloc[0] for r in participants.itertuples()]
    assert min(age) >= 50 and max(age) <= 65
    codes = b.set_index(["person_id", "week"])["code"]
    for col in ("week", "prev_week"):
        keys = list(zip(participants["person_id"], participants[col]))
        assert codes.reindex(keys).isin(LEDIG).all(), col
    meetings = ev[ev["event"] == "informationsmøde"]
    assert (meetings["date"].dt.year == 2018).all()
    weeks = meetings["date"].dt.isocalendar()["week"].unique()
    assert len(weeks) <= 47 and not set(weeks) & {1, 13, 29, 30, 52}
    assert len(meetings) > len(participants)  # some attend more than once
    units = dict(zip([p["municipality"] for p in t["projects"]], [p["unit"] for p in t["projects"]]))
    m = meetings.merge(data["persons"][["person_id", "municipality"]])
    assert (m["unit"] == m["municipality"].map(units)).all()
    signed = ev[ev["event"] == "opskrivning"]
    assert 0.4 < signed["person_id"].nunique() / len(participants) < 0.8


def test_participants_are_selected_on_observables(data, participants):
    """Participants differ from the unemployed seniors outside the project municipalities who meet the same
    rule (dagpenge in a meeting week and the week before, aged 50-65): naive comparisons are biased."""
    p, b = data["persons"], data["benefits"]
    led = b[b["code"].isin(LEDIG)][["person_id", "week"]]
    weeks = set(int(w) for w in data["truth"]["meeting_weeks"])
    prev = led.assign(week=led["week"] + 1)  # weeks 2-51 of 2018 only: no year boundary inside
    eligible = led[led["week"].isin(weeks)].merge(prev, on=["person_id", "week"])["person_id"].unique()
    pool = p[p["person_id"].isin(eligible) & ~p["municipality"].isin(PROJECT_MUNICIPALITIES)]
    pool = pool[_age(pool["birth_date"], "2019-01-01").between(50, 65)]
    assert len(pool) > 8 * len(participants)

    def profile(frame):
        e = data["employment"]
        hist = e[(e["month"] < "2018-01") & e["person_id"].isin(frame["person_id"])].groupby("person_id").size() / 36
        return pd.Series({
            "low_education": frame["education"].isin(["grundskole", "ukendt"]).mean(),
            "immigrant": (frame["origin"] == "indvandrer").mean(),
            "employment_history": frame["person_id"].map(hist).fillna(0).mean(),
        })

    part, other = profile(participants), profile(pool)
    assert part["low_education"] < other["low_education"] - 0.02
    assert part["immigrant"] < other["immigrant"]
    assert part["employment_history"] > other["employment_history"] + 0.01


def test_truth_matches_the_registers(data, participants):
    """Y(1) in truth.json is what the written registers show for the participants."""
    t, b, e = data["truth"], data["benefits"], data["employment"]
    horizon = t["horizon"]
    retirement = {"621", "622", "783", "997", "998", "999"}
    part = participants[["person_id", "date"]].copy()
    # the index month is the month of the meeting week's Thursday (docs/panel.md), not the meeting date's
    thursday = part["date"] + pd.to_timedelta(3 - part["date"].dt.day_of_week, unit="D")
    part["index"] = thursday.dt.year * 12 + thursday.dt.month - 1
    emp = e.assign(mo=e["month"].str[:4].astype(int) * 12 + e["month"].str[5:].astype(int) - 1)
    bb = b[b["person_id"].isin(part["person_id"]) & b["code"].isin(retirement)].copy()
    bb["month"] = _week_month(bb["week"])
    bb["mo"] = bb["month"].str[:4].astype(int) * 12 + bb["month"].str[5:].astype(int) - 1
    first = {}
    for name, frame in (("exit_beskaeftiget", emp), ("exit_vikar", emp[emp["temp_agency"]]),
                        ("exit_tilbagetrukket", bb)):
        f = frame[["person_id", "mo"]].merge(part, on="person_id")
        f = f[f["mo"] > f["index"]]
        first[name] = part["person_id"].map(f.groupby("person_id")["mo"].min()) - part["index"]
    employed_at_index = part.merge(emp, left_on=["person_id", "index"], right_on=["person_id", "mo"], how="left")[
        "employment_rate"].notna().to_numpy()
    assert t["n_population"] == int((~employed_at_index).sum())
    for key, keep in (("outcomes", ~employed_at_index), ("outcomes_all", np.ones(len(part), bool))):
        for name in first:
            y1 = [float((first[name][keep] <= m).mean()) for m in range(1, horizon + 1)]
            assert t[key][name]["treated_mean"] == pytest.approx(y1, abs=1e-6), (key, name)
            att = np.array(t[key][name]["att"])
            assert np.allclose(att, np.array(t[key][name]["treated_mean"]) - np.array(t[key][name]["untreated_mean"]),
                               atol=2e-6)


def test_truth_has_the_designed_effect_direction(data):
    o = data["truth"]["outcomes"]
    assert o["exit_vikar"]["att"][-1] > 0.02  # temp-agency jobs: the programme's strong effect
    assert o["exit_vikar"]["att"] == sorted(o["exit_vikar"]["att"])  # cumulative outcomes with CRN
    assert -0.05 < o["exit_beskaeftiget"]["att"][-1] < 0.1
    assert 0.3 < o["exit_beskaeftiget"]["untreated_mean"][-1] < 0.85
    assert data["truth"]["index_rule"] == "first informationsmøde"

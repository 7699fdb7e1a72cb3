"""Running the generator: determinism, formats, the output folder, arguments, and the truth's construction."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from virkning.errors import VirkningError
from virkning.synth import generate
from virkning.synth.params import TEMP_INDEX, ModelParams
from virkning.synth.runner import run
from virkning.synth.timeline import build_timeline
from virkning.synth.truth import OUTCOMES, participant_outcomes

SMALL = 4_000


def _digests(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_same_arguments_give_identical_files(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(a, persons=SMALL, seed=11)
    generate(b, persons=SMALL, seed=11)
    generate(c, persons=SMALL, seed=12)
    assert _digests(a) == _digests(b)
    assert sorted(_digests(a)) == ["benefits.parquet", "employment.parquet", "events.parquet", "persons.parquet",
                                   "truth.json"]
    assert _digests(a)["benefits.parquet"] != _digests(c)["benefits.parquet"]


def test_csv_holds_the_same_data_as_parquet(tmp_path):
    s1 = generate(tmp_path / "pq", persons=SMALL, seed=3)
    s2 = generate(tmp_path / "csv", persons=SMALL, seed=3, fmt="csv")
    assert s1.rows == s2.rows and s2.fmt == "csv"
    for name in ("persons", "benefits", "employment"):
        a = pd.read_parquet(tmp_path / "pq" / f"{name}.parquet")
        b = pd.read_csv(tmp_path / "csv" / f"{name}.csv", dtype={"code": str, "municipality": str, "industry": str})
        if name == "persons":
            a["birth_date"] = a["birth_date"].astype(str)
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b, check_dtype=False)
    assert (tmp_path / "pq" / "truth.json").read_text() == (tmp_path / "csv" / "truth.json").read_text()


def test_output_folder_rules(tmp_path):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(VirkningError, match="truth.json"):
        generate(foreign, persons=1000)
    assert sorted(p.name for p in foreign.iterdir()) == ["notes.txt"]  # untouched

    out = tmp_path / "out"
    generate(out, persons=1000, seed=1)
    summary = generate(out, persons=1000, seed=2, fmt="csv")  # an earlier synth may be replaced
    assert sorted(p.name for p in out.iterdir()) == ["benefits.csv", "employment.csv", "events.csv", "persons.csv",
                                                     "truth.json"]
    assert json.loads((out / "truth.json").read_text())["seed"] == 2
    assert summary.to_dict()["rows_persons"] == 1000 and summary.files["truth"].endswith("truth.json")


@pytest.mark.parametrize("kwargs, message", [
    ({"persons": 0}, "persons"),
    ({"fmt": "xlsx"}, "fmt"),
    ({"end": "2019-03-31"}, "follow-up"),
    ({"start": "2018-06-01"}, "start"),
    ({"start": "2015-13-01"}, "YYYY-MM-DD"),
    ({"seed": -1}, "seed must be a whole number of at least 0; got -1"),
])
def test_bad_arguments_are_refused(tmp_path, kwargs, message):
    with pytest.raises(VirkningError, match=message):
        generate(tmp_path / "x", **({"persons": 1000} | kwargs))
    assert list(tmp_path.iterdir()) == []  # refused before anything is written


def test_chunks_join_seamlessly(tmp_path):
    run(tmp_path, 5_000, 5, chunk=2_000)
    p = pd.read_parquet(tmp_path / "persons.parquet")
    b = pd.read_parquet(tmp_path / "benefits.parquet")
    assert list(p["person_id"]) == [f"P{i:07d}" for i in range(1, 5_001)]
    codes, uniques = pd.factorize(b["person_id"])
    assert (np.diff(codes) >= 0).all() and list(uniques) == sorted(uniques)
    ev = pd.read_parquet(tmp_path / "events.parquet")
    assert ev["person_id"].is_monotonic_increasing


def test_zero_effect_gives_zero_att(tmp_path):
    params = ModelParams()
    params = replace(params, programme=params.programme.without_effect())
    run(tmp_path, 20_000, 9, params=params)
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert truth["n_participants"] > 20
    for key in ("outcomes", "outcomes_all"):
        for name in OUTCOMES:
            o = truth[key][name]
            assert o["att"] == [0.0] * truth["horizon"]
            assert o["treated_mean"] == o["untreated_mean"]


def test_effect_changes_only_participants_after_the_index(tmp_path):
    """Same seed with and without the effect: identical registers except participants' later months."""
    params = ModelParams()
    run(tmp_path / "on", 10_000, 4)
    run(tmp_path / "off", 10_000, 4, params=replace(params, programme=params.programme.without_effect()))
    ev = pd.read_parquet(tmp_path / "on" / "events.parquet")
    ev_off = pd.read_parquet(tmp_path / "off" / "events.parquet")
    first = ev[ev["event"] == "informationsmøde"].groupby("person_id")["date"].min()
    # who takes part, when, and who signs up do not depend on the effect (repeat visits later may)
    first_off = ev_off[ev_off["event"] == "informationsmøde"].groupby("person_id")["date"].min()
    pd.testing.assert_series_equal(first, first_off)
    pd.testing.assert_frame_equal(ev[ev["event"] == "opskrivning"].reset_index(drop=True),
                                  ev_off[ev_off["event"] == "opskrivning"].reset_index(drop=True))
    a = pd.read_parquet(tmp_path / "on" / "employment.parquet")
    b = pd.read_parquet(tmp_path / "off" / "employment.parquet")
    diff = a.merge(b, how="outer", indicator=True, on=list(a.columns))
    changed = diff[diff["_merge"] != "both"]
    assert changed["person_id"].isin(first.index).all()
    index_month = pd.to_datetime(changed["person_id"].map(first)).dt.strftime("%Y-%m")
    assert (changed["month"] > index_month).all()


def test_participant_outcomes_by_hand():
    tl = build_timeline(dt.date(2018, 1, 1), dt.date(2018, 6, 30), burn_weeks=0)
    weeks, k = tl.n_weeks, 3
    code = np.zeros((weeks, k), dtype=np.int16)
    frac = np.zeros((weeks, k), dtype=np.uint8)
    ind = np.zeros((weeks, k), dtype=np.uint8)
    week_of = {int(tl.yyyyww[i]): i for i in range(weeks)}
    jan = tl.months[0]
    # person 0: works in the index month (January) and in February
    for w in (201803, 201806):
        frac[week_of[w], 0], ind[week_of[w], 0] = 100, 1
    # person 1: temp job in a March week, folkepension from the last April week
    frac[week_of[201811], 1], ind[week_of[201811], 1] = 50, TEMP_INDEX + 1
    code[week_of[201817]:, 1] = 998
    # person 2: nothing
    y, employed = participant_outcomes(tl, 4, np.array([998]), np.array([jan, jan, jan]), code, frac, ind)
    assert employed.tolist() == [True, False, False]
    assert y[0, 0].tolist() == [1, 1, 1, 1] and y[0, 1].tolist() == [0, 0, 0, 0]
    assert y[1, 0].tolist() == [0, 1, 1, 1] and y[1, 1].tolist() == [0, 1, 1, 1]
    assert y[1, 2].tolist() == [0, 0, 1, 1]  # week 17 of 2018 has its Thursday in April
    assert not y[2].any()


def test_seniors_population_holds_only_the_senior_cohorts(tmp_path):
    s = generate(tmp_path / "s", persons=SMALL, seed=5, population="seniors")
    persons = pd.read_parquet(tmp_path / "s" / "persons.parquet")
    born = pd.to_datetime(persons["birth_date"])
    assert born.min() >= pd.Timestamp("1953-01-02") and born.max() <= pd.Timestamp("1968-12-31")
    truth = json.loads((tmp_path / "s" / "truth.json").read_text())
    assert truth["sampling"]["seniors_only"] and truth["sampling"]["invite_share"] == pytest.approx(0.52)
    # the same seniors with everyone invitable: about 1 / 0.52 times as many participants
    params = ModelParams(population=replace(ModelParams().population, seniors_only=True))
    everyone = run(tmp_path / "e", 20_000, 5, params=params)
    half = generate(tmp_path / "h", persons=20_000, seed=5, population="seniors")
    assert everyone.participants > 50
    assert 0.35 < half.participants / everyone.participants < 0.7
    with pytest.raises(VirkningError, match="population expected one of national, seniors"):
        generate(tmp_path / "x", persons=SMALL, population="everyone")

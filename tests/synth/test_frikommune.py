"""The frikommune experiment: indicator levels against a plain-pandas computation from the written tables, the
untreated levels against a run with the rule switched off, and the effect tables against their own definitions.
One run of 30,000 persons is shared by the module.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from virkning.errors import VirkningError
from virkning.registers.catalogue import load_catalogue
from virkning.synth import generate
from virkning.synth.frikommune.design import COMPARISON, TRIAL, FrikommuneDesign, FrikommuneParams
from virkning.synth.frikommune.indicators import INDICATORS
from virkning.synth.runner import run

PERSONS = 30_000


def _quarter(d: pd.Series) -> pd.Series:
    return d.dt.year.astype(str) + "Q" + d.dt.quarter.astype(str)


@pytest.fixture(scope="module")
def fk(tmp_path_factory):
    out = tmp_path_factory.mktemp("fk") / "data"
    generate(out, persons=PERSONS, seed=5, programme="frikommune")
    d = {name: pd.read_parquet(out / f"{name}.parquet") for name in ("persons", "benefits", "employment", "events")}
    d["truth"] = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    b = d["benefits"]
    codes, uniq = pd.factorize(b["week"])
    thu = [dt.date.fromisocalendar(int(w) // 100, int(w) % 100, 4) for w in uniq]
    b["seq"] = np.array([t.toordinal() // 7 for t in thu])[codes]
    b["thu"] = pd.to_datetime(pd.Series(thu)).to_numpy()[codes]
    cat = load_catalogue().table
    ledig = cat[cat["state"] == "ledig"]
    b["dp"] = b["code"].isin(ledig["code"])
    b["act"] = b["code"].isin(ledig.loc[ledig["activation"] == 1, "code"])
    b["vr"] = b["code"].isin(["215", "216", "217", "218"])
    d["unit"] = d["persons"].set_index("person_id")["municipality"]
    return d


def _levels(fk) -> dict[str, pd.DataFrame]:
    """The five indicators [municipality x quarter] by their definitions in indicators.py, in plain pandas."""
    b, e, ev, unit, truth = fk["benefits"], fk["employment"], fk["events"], fk["unit"], fk["truth"]
    h = truth["horizon"]
    dp = b[b["dp"]].assign(unit=lambda x: x["person_id"].map(unit), q=lambda x: _quarter(x["thu"]))
    weeks = dp.groupby(["unit", "q"]).agg(dp=("dp", "size"), act=("act", "sum"), vr=("vr", "sum"))
    out = {"aktiveringsgrad": weeks["act"] / weeks["dp"],
           "virksomhedsrettet_aktiveringsgrad": weeks["vr"] / weeks["dp"]}
    # employment in month m among persons with a dagpenge week in month m - h
    dp["mo"] = dp["thu"].dt.year * 12 + dp["thu"].dt.month - 1
    pm = dp[["person_id", "unit", "mo"]].drop_duplicates()
    pm["m"] = pm["mo"] + h
    last = int(b["thu"].max().year * 12 + b["thu"].max().month - 1)
    pm = pm[pm["m"] <= last]
    emp = e.loc[e["employment_rate"] > 0, ["person_id", "month"]]
    emp["m"] = emp["month"].str[:4].astype(int) * 12 + emp["month"].str[5:7].astype(int) - 1
    pm = pm.merge(emp[["person_id", "m"]].assign(job=True), on=["person_id", "m"], how="left")
    pm["job"] = pm["job"].astype("boolean").fillna(False).astype(bool)
    pm["q"] = (pm["m"] // 12).astype(str) + "Q" + ((pm["m"] % 12) // 3 + 1).astype(str)
    out["beskaeftigelsesgrad"] = pm.groupby(["unit", "q"])["job"].mean()
    s = ev[ev["event"] == "samtale"].copy()
    s["date"] = pd.to_datetime(s["date"])
    s["unit"], s["q"] = s["person_id"].map(unit), _quarter(s["date"])
    out["samtaler_pr_kvartal"] = s.groupby(["unit", "q"]).size() / (weeks["dp"] / 13)
    # spells: runs of consecutive dagpenge weeks; the first interview of each spell
    sp = b.loc[b["dp"], ["person_id", "seq"]].reset_index(drop=True)
    new = (sp["person_id"] != sp["person_id"].shift()) | (sp["seq"] != sp["seq"].shift() + 1)
    sp["spell"] = new.cumsum()
    spells = (sp.groupby("spell").agg(person_id=("person_id", "first"), start=("seq", "min"), end=("seq", "max"))
              .reset_index())
    s["seq"] = [d.toordinal() // 7 for d in (s["date"] - pd.to_timedelta(s["date"].dt.day_of_week - 3, unit="D"))]
    s = s.sort_values("seq")
    m = pd.merge_asof(s, spells.sort_values("start"), left_on="seq", right_on="start", by="person_id")
    assert (m["seq"] <= m["end"]).all()  # every interview falls inside a dagpenge spell
    first = m.sort_values("seq").groupby("spell").head(1)
    first = first[first["start"] > b["seq"].min()]  # spells seen from the first register week may be older
    out["uger_til_foerste_samtale"] = (first["seq"] - first["start"]).groupby([first["unit"], first["q"]]).mean()
    return {k: v.unstack() for k, v in out.items()}


def test_indicator_levels_equal_a_plain_pandas_computation(fk):
    truth = fk["truth"]
    ref = _levels(fk)
    for name in INDICATORS:
        for mun, values in truth["indicators"][name]["level_observed"].items():
            row = ref[name].reindex(index=[mun], columns=truth["periods"]).iloc[0].to_numpy(dtype=float)
            got = np.array([np.nan if v is None else v for v in values])
            np.testing.assert_allclose(got, row, atol=1e-6, equal_nan=True, err_msg=f"{name} {mun}")


def test_design_population_and_events(fk):
    p, ev, truth = fk["persons"], fk["events"], fk["truth"]
    units = {c for c, _ in TRIAL} | set(COMPARISON)
    assert set(p["municipality"]) == units
    counts = p["municipality"].value_counts()
    assert counts.max() < 1.3 * counts.min()  # equal allocation
    born = pd.to_datetime(p["birth_date"])
    assert born.min() >= pd.Timestamp("1955-01-01") and born.max() <= pd.Timestamp("1994-12-31")
    assert set(ev["event"]) == {"samtale"}
    assert set(ev["unit"]) == {u["unit"] for u in truth["units"]["trial"] + truth["units"]["comparison"]}
    assert [u["cohort"] for u in truth["units"]["trial"]] == ["2017Q3"] * 3 + ["2018Q1"] * 3 + ["2018Q3"] * 3
    assert truth["n_treated_persons"] > 100


def test_effects_are_zero_before_each_start(fk):
    t = fk["truth"]
    periods = t["periods"]
    for name in INDICATORS:
        ind = t["indicators"][name]
        for cohort, row in ind["att_gt"].items():
            for q, v in zip(periods, row):
                if q < cohort and v is not None:
                    assert v == 0.0, (name, cohort, q)
        assert all(v == 0.0 for e, v in ind["att_event"].items() if int(e) < 0 and v is not None)
    assert all(v == 0.0 for e, v in t["person_level"]["att_event"].items() if int(e) < 0 and v is not None)


def test_aggregates_follow_from_the_unit_effects(fk):
    t = fk["truth"]
    periods = t["periods"]
    cohort_of = {u["municipality"]: u["cohort"] for u in t["units"]["trial"]}
    for name in INDICATORS:
        ind = t["indicators"][name]
        post, by_event = [], {}
        for mun, row in ind["att_unit"].items():
            g = periods.index(cohort_of[mun])
            untreated = ind["level_untreated"][mun]
            for q, v in enumerate(row):
                if v is None:
                    continue
                assert v == pytest.approx(ind["level_observed"][mun][q] - untreated[q], abs=2e-6)
                if q >= g:
                    post.append(v)
        assert ind["att_simple"] == pytest.approx(np.mean(post), abs=1e-6)
        for cohort, row in ind["att_gt"].items():
            g = periods.index(cohort)
            for q, v in enumerate(row):
                if v is not None:
                    by_event.setdefault(q - g, []).append(v)
            assert ind["att_group"][cohort] == pytest.approx(np.mean([v for v in row[g:] if v is not None]), abs=1e-6)
        for e, v in by_event.items():
            assert ind["att_event"][str(e)] == pytest.approx(np.mean(v), abs=1e-6)


def test_effects_have_the_designed_direction(fk):
    ind = fk["truth"]["indicators"]
    assert ind["aktiveringsgrad"]["att_simple"] > 0.03
    assert ind["virksomhedsrettet_aktiveringsgrad"]["att_simple"] > 0.03
    assert ind["samtaler_pr_kvartal"]["att_simple"] > 0.8
    assert ind["uger_til_foerste_samtale"]["att_simple"] < -2.0
    assert ind["beskaeftigelsesgrad"]["att_simple"] > 0.0 and fk["truth"]["person_level"]["att_simple"] > 0.0


def test_switching_the_rule_off_gives_the_untreated_levels(tmp_path):
    """Same seed without the rule: its observed levels are the first run's untreated levels (the twins reproduce
    the world without the rule exactly), and all its effects are zero."""
    run(tmp_path / "on", 8_000, 9, design=FrikommuneDesign())
    run(tmp_path / "off", 8_000, 9, design=FrikommuneDesign(FrikommuneParams().without_effect()))
    on = json.loads((tmp_path / "on" / "truth.json").read_text())
    off = json.loads((tmp_path / "off" / "truth.json").read_text())
    for name in INDICATORS:
        for mun, values in on["indicators"][name]["level_untreated"].items():
            assert off["indicators"][name]["level_observed"][mun] == values, (name, mun)
        assert all(v in (0.0, None) for row in off["indicators"][name]["att_unit"].values() for v in row)
    assert all(v in (0.0, None) for v in off["person_level"]["att_event"].values())
    p_on, p_off = (pd.read_parquet(tmp_path / w / "benefits.parquet") for w in ("on", "off"))
    comparison = pd.read_parquet(tmp_path / "on" / "persons.parquet").query("municipality in @COMPARISON")["person_id"]
    pd.testing.assert_frame_equal(p_on[p_on["person_id"].isin(comparison)].reset_index(drop=True),
                                  p_off[p_off["person_id"].isin(comparison)].reset_index(drop=True))


def test_same_seed_gives_identical_files(tmp_path):
    digest = lambda f: {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(f.iterdir())}  # noqa
    generate(tmp_path / "a", persons=3_000, seed=4, programme="frikommune")
    generate(tmp_path / "b", persons=3_000, seed=4, programme="frikommune")
    assert digest(tmp_path / "a") == digest(tmp_path / "b")


@pytest.mark.parametrize("kwargs, message", [
    ({"start": "2017-01-01"}, "four quarters"),
    ({"end": "2018-12-31"}, "two quarters"),
    ({"horizon": 13}, "horizon"),
])
def test_bad_arguments_are_refused(tmp_path, kwargs, message):
    with pytest.raises(VirkningError, match=message):
        generate(tmp_path / "x", **({"persons": 1000, "programme": "frikommune"} | kwargs))


def test_unit_quarter_sums_add_each_persons_counts_to_their_unit():
    from virkning.synth.frikommune.indicators import _by_unit

    rng = np.random.default_rng(3)
    counts = rng.integers(0, 14, (7, 5_000))  # [quarter, person]
    unit = rng.integers(0, 27, 5_000)
    unit[:3] = 26  # the last unit is used; unit 25 may be empty
    unit[unit == 25] = 24
    want = np.zeros((27, 7))
    np.add.at(want, (unit[:, None], np.arange(7)[None, :]), counts.T)
    got = _by_unit(counts, unit, 27)
    assert got.shape == (27, 7) and got.dtype == np.float64
    assert np.array_equal(got, want) and not got[25].any()

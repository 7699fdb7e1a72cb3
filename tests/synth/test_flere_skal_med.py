"""The Flere-skal-med registers: the truths against an independent plain-pandas reading of the written tables.

The reference below knows only the written tables, the catalogue and the definitions stated in truth.json and
docs/synthetic-data.md: it applies seed 001's de-duplication rule to `records`, finds the comparison group by its
register rule (benefit seniority from the weekly codes), derives outcome months from codes and employment, and
fits the linear probability models with statsmodels. One run of 12,000 persons is shared by the module.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from virkning.errors import VirkningError
from virkning.registers.catalogue import load_catalogue
from virkning.registers.contract import EXTRA_TABLES
from virkning.synth import generate
from virkning.synth.flere_skal_med.params import COVARIATES, FsmParams, Linear
from virkning.synth.flere_skal_med.run import run_flere_skal_med

PERSONS = 12_000
REFERENCE = pd.Timestamp("2018-01-31")
FORMATION_WEEK = 201701
RANK = {"1": 0, "2": 1, "3": 2, "udskudt": 3}


def _week_index(week: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """YYYYWW -> (sequential week number, month ordinal of the week's Thursday), via the distinct weeks."""
    codes, uniques = pd.factorize(week)
    thu = [dt.date.fromisocalendar(int(w) // 100, int(w) % 100, 4) for w in uniques]
    seq = np.array([d.toordinal() // 7 for d in thu])
    mo = np.array([d.year * 12 + d.month - 1 for d in thu])
    return seq[codes], mo[codes]


@pytest.fixture(scope="module")
def fsm(tmp_path_factory):
    out = tmp_path_factory.mktemp("fsm") / "data"
    generate(out, persons=PERSONS, seed=3, programme="flere_skal_med")
    d = {name: pd.read_parquet(out / f"{name}.parquet") for name in
         ("persons", "benefits", "employment", "records", "person_flags")}
    d["truth"] = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    b = d["benefits"]
    codes, uniques = pd.factorize(b["code"])
    b["code"] = uniques.astype(int).to_numpy()[codes]
    b["seq"], b["mo"] = _week_index(b["week"])
    e = d["employment"]
    e["mo"] = e["month"].str[:4].astype(int) * 12 + e["month"].str[5:7].astype(int) - 1
    d["months"] = _outcome_months(b, e)
    d["seniority"] = _seniority(b)
    d["kept"] = _dedup(d["records"])
    ready = d["seniority"]["family"].isin([720, 730])
    weeks = d["seniority"]["weeks"]
    d["comparison"] = pd.Series(d["seniority"].index[ready & (weeks >= 3 * 52) & (weeks < 5 * 52)])
    return d


def _outcome_months(b: pd.DataFrame, e: pd.DataFrame) -> pd.DataFrame:
    """Per person-month with a relevant code or employment: the five outcomes as the truth defines them."""
    cat = load_catalogue().table
    benefit_code = np.zeros(1000, dtype=bool)
    benefit_code[cat.loc[cat["benefit"] == 1, "code"].astype(int).to_numpy()] = True
    code = b["code"].to_numpy()
    benefit = benefit_code[code]
    cash = (code >= 130) & (code < 140) | (code >= 720) & (code < 740)
    off = code % 10
    flags = {"employer": cash & (off >= 5) & (off <= 8), "subsidy": cash & ((off == 5) | (off == 6)),
             "education": (cash & (off == 4)) | (code == 651), "flex": code == 771,
             "clarified": (code == 783) | ((code >= 810) & (code <= 818))}
    emp = e.loc[e["employment_rate"] > 0, ["person_id", "mo"]]
    # rows that matter: a flag is set, or the person-month has employment (then the benefit flag counts)
    pid, ids = pd.factorize(b["person_id"])
    mo = b["mo"].to_numpy()
    lo = min(mo.min(), emp["mo"].min())
    has_emp = np.zeros((len(ids), max(mo.max(), emp["mo"].max()) - lo + 1), dtype=bool)
    e_pid = ids.get_indexer(emp["person_id"])
    has_emp[e_pid[e_pid >= 0], emp["mo"].to_numpy()[e_pid >= 0] - lo] = True
    keep = np.logical_or.reduce(list(flags.values())) | has_emp[pid, mo - lo]
    w = pd.DataFrame({"person_id": b["person_id"].to_numpy()[keep], "mo": b["mo"][keep],
                      "benefit": benefit[keep]} | {k: v[keep] for k, v in flags.items()})
    m = w.groupby(["person_id", "mo"], sort=False).any().reset_index()
    m = m.merge(emp.assign(emp=True), on=["person_id", "mo"], how="outer")
    for col in ("employer", "subsidy", "education", "flex", "clarified", "benefit", "emp"):
        m[col] = m[col].astype("boolean").fillna(False).astype(bool)
    m["ordinaere_timer"] = m["emp"] & ~m["flex"] & ~m["subsidy"]
    m["virksomhedsforloeb"] = m["employer"] | m["education"] | m["flex"] | m["ordinaere_timer"]
    m["virksomhedsrettet"] = m["employer"]
    m["ren_beskaeftigelse"] = m["emp"] & ~m["benefit"]
    m["afklaring"] = m["clarified"]
    return m


def _dedup(records: pd.DataFrame) -> pd.DataFrame:
    """Seed 001's rule, steps in the seed's order (lines 3975-3999)."""
    r = records.copy()
    r["start_date"], r["end_date"] = pd.to_datetime(r["start_date"]), pd.to_datetime(r["end_date"])
    r = r[r["end_date"].isna() | (r["end_date"] >= r["start_date"])]
    r = r[r["group"].isin(list(RANK))]
    r = r.assign(dist=(r["start_date"] - REFERENCE).abs(), end_key=r["end_date"].fillna(pd.Timestamp("2262-01-01")),
                 rank=r["group"].map(RANK))
    r = r.sort_values(["person_id", "dist", "end_key", "rank"], ascending=[True, True, False, True])
    return r.groupby("person_id", sort=False).head(1).set_index("person_id")


def _seniority(b: pd.DataFrame) -> pd.DataFrame:
    """Unbroken run of cash-benefit-family weeks up to and including 2017-W01 (rows are sorted by person and
    week), and the family of that week."""
    f_seq = int(b.loc[b["week"] == FORMATION_WEEK, "seq"].iloc[0])
    code = b["code"].to_numpy()
    sel = np.isin(code // 10, [13, 72, 73]) & (b["seq"].to_numpy() <= f_seq)
    pid, seq, code = b["person_id"].to_numpy()[sel], b["seq"].to_numpy()[sel], code[sel]
    i = np.arange(len(seq))
    brk = np.ones(len(seq), dtype=bool)
    brk[1:] = (pid[1:] != pid[:-1]) | (seq[1:] != seq[:-1] + 1)
    block_start = np.maximum.accumulate(np.where(brk, i, 0))
    at = seq == f_seq
    return pd.DataFrame({"weeks": (i - block_start + 1)[at], "family": code[at] // 10 * 10},
                        index=pd.Index(pid[at], name="person_id"))


def _trajectories(index_month: pd.Series, months: pd.DataFrame, horizon: int) -> dict:
    """index_month: person -> month ordinal; shares ever / in the month m = 1..H for each outcome."""
    grid = pd.DataFrame({"person_id": np.repeat(index_month.index.to_numpy(), horizon),
                         "m": np.tile(np.arange(1, horizon + 1), len(index_month))})
    grid["mo"] = np.repeat(index_month.to_numpy(), horizon) + grid["m"]
    outcomes = ["virksomhedsforloeb", "ordinaere_timer", "virksomhedsrettet", "ren_beskaeftigelse", "afklaring"]
    g = grid.merge(months[["person_id", "mo", *outcomes]], on=["person_id", "mo"], how="left")
    out = {}
    for name in outcomes:
        flag = g[name].astype("boolean").fillna(False).astype(bool)
        ever = flag.groupby(g["person_id"]).cummax()
        out[name] = {"in_month": flag.groupby(g["m"]).mean().to_numpy(), "ever": ever.groupby(g["m"]).mean().to_numpy(),
                     "ever_by_person": ever[g["m"] == horizon].set_axis(g.loc[g["m"] == horizon, "person_id"])}
    return out


def _groups(fsm) -> tuple[pd.DataFrame, pd.Series]:
    return fsm["kept"], fsm["comparison"]


# --- the tables --------------------------------------------------------------------------------------------


def test_tables_follow_the_contract(fsm):
    p, b, r, f = fsm["persons"], fsm["benefits"], fsm["records"], fsm["person_flags"]
    assert len(p) == PERSONS and p["person_id"].is_unique and p["person_id"].str.fullmatch(r"P\d{7}").all()
    codes, uniques = pd.factorize(b["person_id"])
    assert (np.diff(codes) >= 0).all() and list(uniques) == sorted(uniques)
    assert ((np.diff(codes) > 0) | (np.diff(b["seq"].to_numpy()) > 0)).all()  # one code per person-week
    known = set(load_catalogue().table["code"].astype(int))
    assert set(b["code"].unique()) <= known
    assert p["municipality"].nunique() >= 30
    assert set(r["group"]) == {"1", "2", "3", "udskudt", "6"} and set(r["unit"]) <= set(p["municipality"])
    assert list(f.columns) == ["person_id", "hospital_visits", "handicap", "earlier_employer_measure",
                               "earlier_ordinary_hours"]
    for name, frame in (("records", r), ("person_flags", f)):
        assert _broken(EXTRA_TABLES[name], frame) == []


def _broken(spec, frame: pd.DataFrame) -> list[str]:
    """The declared rules (contract.ColumnRule) read literally; returns 'column: rule' for every broken one."""
    bad = []
    for rule in spec.rules:
        cols = [c for c in frame.columns if c != "person_id"] if rule.column == "*" else [rule.column]
        for col in cols:
            v = frame[col]
            text = v.astype("string").str.strip()
            empty = v.isna() | (text == "")
            if rule.check == "present":
                broken = empty.any()
            elif rule.check in ("date", "date_or_empty"):
                parsed = pd.to_datetime(v, errors="coerce", format="%Y-%m-%d") if v.dtype == object else v
                broken = (parsed.isna() & ~empty).any() or (rule.check == "date" and empty.any())
            elif rule.check == "one_of":
                broken = (~text.isin(rule.values) & ~empty).any()
            elif rule.check == "flag":
                broken = (~text.isin(["0", "1"]) & ~empty).any()
            else:  # unique
                broken = v.duplicated().any()
            if broken:
                bad.append(f"{col}: {rule.rule}")
    return bad


def test_declared_rules_catch_broken_tables(fsm):
    r = fsm["records"].head(20).astype(object)
    r.loc[0, "group"] = "4"
    r.loc[1, "start_date"] = "2018-02-30"
    assert _broken(EXTRA_TABLES["records"], r) == ["group: must be one of 1, 2, 3, udskudt, 6",
                                                   "start_date: is not a date (expected YYYY-MM-DD)"]
    f = fsm["person_flags"].head(20).copy()
    f.loc[3, "handicap"] = 2
    f = pd.concat([f, f.head(1)])
    assert _broken(EXTRA_TABLES["person_flags"], f) == ["person_id: each person may appear only once",
                                                        "handicap: must be 0 or 1 (or empty)"]


def test_deduplication_cases_are_present(fsm):
    r = fsm["records"].copy()
    t = fsm["truth"]["records"]
    assert len(r) == t["rows"] and r["person_id"].nunique() == t["persons"]
    assert all(v > 0 for v in t["extras"].values()) and len(t["extras"]) == 6
    start, end = pd.to_datetime(r["start_date"]), pd.to_datetime(r["end_date"])
    assert (end < start).sum() == t["extras"]["end_before_start"]
    assert (r["group"] == "6").sum() == t["extras"]["group_6"]
    assert r.duplicated().sum() >= t["extras"]["exact_duplicate"]
    dup_start = r.duplicated(["person_id", "start_date"], keep=False)
    assert (dup_start & r.duplicated(["person_id", "start_date", "end_date"], keep=False).eq(False)).any()  # shorter
    assert end.isna().any()  # open records
    # Every kind matters: without the rule's first two steps, a later contradictory record would win for some.
    naive = r.assign(start_date=start).sort_values(["person_id", "start_date"]).groupby("person_id").tail(1)
    kept = _dedup(r)
    assert (naive.set_index("person_id")["group"] != kept["group"]).sum() > 0


# --- the truths --------------------------------------------------------------------------------------------


def test_groups_and_trajectories_equal_the_registers(fsm):
    truth, h = fsm["truth"], fsm["truth"]["horizon"]
    kept, comparison = _groups(fsm)
    assert truth["groups"]["programme"] == len(kept)
    for g in RANK:
        assert truth["groups"][f"group_{g}"] == int((kept["group"] == g).sum())
    assert truth["groups"]["comparison"] == len(comparison)
    index = kept["start_date"].dt.year * 12 + kept["start_date"].dt.month - 1
    formation = 2017 * 12
    cases = {"group_1": index[kept["group"] == "1"], "programme": index,
             "comparison": pd.Series(formation, index=comparison.to_numpy())}
    for name, idx in cases.items():
        ref = _trajectories(idx, fsm["months"], h)
        for outcome, shares in ref.items():
            for kind in ("ever", "in_month"):
                np.testing.assert_allclose(shares[kind], truth["trajectories"][name][outcome][kind], atol=1e-6,
                                           err_msg=f"{name} {outcome} {kind}")


def test_seniority_bands_and_the_comparison_rule(fsm):
    truth = fsm["truth"]
    kept, comparison = _groups(fsm)
    years = fsm["seniority"].loc[kept.index, "weeks"] / 52
    bands = pd.cut(years, [5, 6, 10, 15, 100], labels=["5-6", "6-10", "10-15", "over 15"], right=False)
    for band, row in truth["seniority_bands"].items():
        sel = bands == band
        assert row["n"] == int(sel.sum())
        for g in RANK:
            assert row[f"group_{g}"] == pytest.approx((kept.loc[sel, "group"] == g).mean(), abs=1e-6)
    # near misses stay out: job-ready (130) and short seniority are not in the comparison group
    assert truth["kinds"]["jobparat"] > 0 and truth["kinds"]["short_seniority"] > 0
    assert not set(comparison) & set(kept.index)


def _covariates(fsm, kept: pd.DataFrame) -> pd.DataFrame:
    p = fsm["persons"].set_index("person_id").loc[kept.index]
    f = fsm["person_flags"].set_index("person_id").loc[kept.index]
    birth, idx = pd.to_datetime(p["birth_date"]), kept["start_date"]
    age = idx.dt.year - birth.dt.year - ((idx.dt.month < birth.dt.month) |
                                         ((idx.dt.month == birth.dt.month) & (idx.dt.day < birth.dt.day)))
    b = fsm["benefits"]
    dec = b[(b["mo"] == 2016 * 12 + 11) & (b["code"] // 10 == 72)]["person_id"].unique()
    return pd.DataFrame({
        "man": p["sex"] == "M", "age_40_plus": age >= 40, "immigrant_or_descendant": p["origin"] != "dansk",
        "vocational_education": p["education"] == "erhvervsfaglig", "hospital_visits": f["hospital_visits"] == 1,
        "handicap": f["handicap"] == 1, "earlier_employer_measure": f["earlier_employer_measure"] == 1,
        "earlier_ordinary_hours": f["earlier_ordinary_hours"] == 1,
        "uddannelseshjaelp_dec_2016": kept.index.isin(dec),
    }, index=kept.index).astype(float)


def test_person_flags_equal_the_registers(fsm):
    m = fsm["months"]
    window = m[m["mo"].between(2015 * 12, 2016 * 12 + 11)]
    measure = set(window.loc[window["virksomhedsrettet"], "person_id"])
    hours = set(window.loc[window["ordinaere_timer"], "person_id"])
    f = fsm["person_flags"]
    assert (f["earlier_employer_measure"] == f["person_id"].isin(measure)).all()
    assert (f["earlier_ordinary_hours"] == f["person_id"].isin(hours)).all()
    assert 0.25 < f["earlier_employer_measure"].mean() < 0.5  # seed 001: 30-40 % took part before


def test_linear_probability_models_recover_the_coefficients(fsm):
    """OLS with HC1 errors on the registers (statsmodels) against the model's coefficients: every one within
    4 standard errors, and the estimates near the sample projection of the true probabilities."""
    truth, h = fsm["truth"], fsm["truth"]["horizon"]
    kept, _ = _groups(fsm)
    g1 = kept[kept["group"] == "1"]
    x = _covariates(fsm, g1)
    index = g1["start_date"].dt.year * 12 + g1["start_date"].dt.month - 1
    ref = _trajectories(index, fsm["months"], h)
    assert truth["lpm"]["n"] == len(g1)
    for outcome in ("virksomhedsforloeb", "ordinaere_timer"):
        y = ref[outcome]["ever_by_person"].loc[x.index].astype(float)
        fit = sm.OLS(y, sm.add_constant(x)).fit(cov_type="HC1")
        t = truth["lpm"][outcome]
        for name in COVARIATES:
            assert abs(fit.params[name] - t["coefficients"][name]) < 4 * fit.bse[name], (outcome, name)
            assert abs(fit.params[name] - t["conditional"][name]) < 4 * fit.bse[name], (outcome, name)
        assert truth["lpm"]["means"][outcome] == pytest.approx(y.mean(), abs=1e-6)


def test_expected_curves_agree_with_the_realised_ones(fsm):
    """The exact expected shares (model probabilities x timing) against the realised shares: within 4 binomial
    standard errors in every month, for every group, with and without the programme."""
    for name, t in fsm["truth"]["trajectories"].items():
        for outcome in ("virksomhedsforloeb", "ordinaere_timer"):
            o = t[outcome]
            for real, exp in (("ever", "ever_expected"), ("ever_untreated", "ever_untreated_expected")):
                r, e = np.array(o[real]), np.array(o[exp])
                se = np.sqrt(np.maximum(e * (1 - e), 1e-4) / t["n"])
                assert (np.abs(r - e) < 4 * se).all(), (name, outcome, real)


def test_the_programme_raises_group_1_and_not_the_others(fsm):
    t = fsm["truth"]["trajectories"]
    vf = t["group_1"]["virksomhedsforloeb"]
    assert vf["ever"][-1] - vf["ever_untreated"][-1] > 0.08
    assert t["comparison"]["virksomhedsforloeb"]["ever"] == t["comparison"]["virksomhedsforloeb"]["ever_untreated"]
    # seed 001, Figur 4-3a: similar start (15-20 %), group 1 ahead at 29 months (about 70 % against 50 %)
    assert 0.12 < vf["ever"][0] < 0.22 and vf["ever"][-1] > t["comparison"]["virksomhedsforloeb"]["ever"][-1] + 0.1


# --- switching the programme off, determinism, arguments ------------------------------------------------------


def test_without_the_programme_the_registers_are_the_untreated_world(tmp_path):
    on = run_flere_skal_med(tmp_path / "on", 4_000, 8)
    off = run_flere_skal_med(tmp_path / "off", 4_000, 8, params=FsmParams().without_effect())
    t_on = json.loads((tmp_path / "on" / "truth.json").read_text())
    t_off = json.loads((tmp_path / "off" / "truth.json").read_text())
    assert on.participants == off.participants
    for name in ("group_1", "programme", "comparison"):
        for outcome, o in t_on["trajectories"][name].items():
            if outcome == "n":
                continue
            assert t_off["trajectories"][name][outcome]["ever"] == o["ever_untreated"]
            assert t_off["trajectories"][name][outcome]["in_month"] == o["in_month_untreated"]
            off = t_off["trajectories"][name][outcome]
            assert off["ever"] == off["ever_untreated"]
    rec_on = pd.read_parquet(tmp_path / "on" / "records.parquet")
    pd.testing.assert_frame_equal(rec_on, pd.read_parquet(tmp_path / "off" / "records.parquet"))
    g1 = set(_dedup(rec_on).query("group == '1'").index)
    b_on, b_off = (pd.read_parquet(tmp_path / w / "benefits.parquet") for w in ("on", "off"))
    pd.testing.assert_frame_equal(b_on[~b_on["person_id"].isin(g1)].reset_index(drop=True),
                                  b_off[~b_off["person_id"].isin(g1)].reset_index(drop=True))
    assert not b_on[b_on["person_id"].isin(g1)].reset_index(drop=True).equals(
        b_off[b_off["person_id"].isin(g1)].reset_index(drop=True))


def test_same_seed_gives_identical_files(tmp_path):
    digest = lambda f: {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(f.iterdir())}  # noqa
    generate(tmp_path / "a", persons=3_000, seed=4, programme="flere_skal_med")
    generate(tmp_path / "b", persons=3_000, seed=4, programme="flere_skal_med")
    generate(tmp_path / "c", persons=3_000, seed=5, programme="flere_skal_med")
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert sorted(digest(tmp_path / "a")) == ["benefits.parquet", "employment.parquet", "person_flags.parquet",
                                               "persons.parquet", "records.parquet", "truth.json"]
    assert digest(tmp_path / "a")["records.parquet"] != digest(tmp_path / "c")["records.parquet"]
    # a later Seniorvikar run in the same folder removes the tables it does not write
    generate(tmp_path / "a", persons=1_000, seed=4)
    assert not (tmp_path / "a" / "records.parquet").exists()


@pytest.mark.parametrize("kwargs, message", [
    ({"start": "2005-01-01"}, "15 years"),
    ({"end": "2019-12-31"}, "follow-up"),
    ({"population": "seniors"}, "seniorvikar programme only"),
    ({"horizon": 40}, "horizon"),
])
def test_bad_arguments_are_refused(tmp_path, kwargs, message):
    with pytest.raises(VirkningError, match=message):
        generate(tmp_path / "x", **({"persons": 1000, "programme": "flere_skal_med"} | kwargs))


def test_impossible_parameters_are_refused():
    with pytest.raises(VirkningError, match="p_vf ranges"):
        FsmParams(vf=Linear(0.9, (0.0,) * 6 + (0.2, 0.2), (0.0,))).check()
    with pytest.raises(VirkningError, match="p_ot exceeds p_vf"):
        FsmParams(ot=Linear(0.5, (0.0,) * 7 + (0.5,), (0.0,))).check()

"""Register indicators: hand-checked numbers on a few persons, every indicator against an independent plain-pandas
computation (tests/reference/indicators_pandas.py) for every period length and spell gap, the five indicators of
the synthetic free-municipality experiment against the generator's own numbers (truth.json), one scan of the
benefits table, portable SQL, located errors, and the disclosure rules."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tests.conftest import write_folder
from tests.reference.indicators_pandas import indicators as reference
from virkning.disclosure.gate import small
from virkning.errors import DesignError
from virkning.indicators import (INDICATORS, SU_CODES, TARGET_GROUPS, IndicatorRequest, code_table,
                                 compute_indicators, measure_codes, protect_indicators)
from virkning.registers import load
from virkning.registers.catalogue import load_catalogue


def _weeks(person, first, last, code):
    return [(person, f"2018-W{w:02d}", code) for w in range(first, last + 1)]


@pytest.fixture(scope="module")
def hand(tmp_path_factory):
    """Six persons in 2018 (weeks 1-52 are the data: whole months January to December)."""
    persons = pd.DataFrame({"person_id": list("ABCDEF"), "birth_date": ["1970-01-01"] * 6, "sex": list("MKMKMK"),
                            "municipality": ["851", "851", "461", "461", "461", "101"]})
    b = (_weeks("A", 2, 10, "111") + _weeks("A", 11, 14, "215") + _weeks("A", 16, 20, "111")
         + _weeks("A", 22, 30, "651") + _weeks("B", 1, 6, "111") + _weeks("B", 7, 8, "213")
         + _weeks("C", 40, 52, "111") + _weeks("D", 5, 10, "130") + _weeks("E", 30, 33, "111")
         + _weeks("E", 34, 36, "216") + [("F", "2018-W01", "890"), ("F", "2018-W52", "890")])
    benefits = pd.DataFrame(b, columns=["person_id", "week", "code"])
    employment = pd.DataFrame({"person_id": ["A"] + ["B"] * 10 + ["D"],
                               "month": ["2018-06"] + [f"2018-{m:02d}" for m in range(3, 13)] + ["2018-09"],
                               "employment_rate": [1.0] * 11 + [0.8]})
    events = pd.DataFrame({"person_id": ["A", "A", "A", "B", "C", "C", "D", "E"],
                           "date": ["2018-01-17", "2018-02-20", "2018-04-25", "2018-01-10", "2018-10-10",
                                    "2018-11-20", "2018-02-07", "2018-08-01"],
                           "event": ["samtale"] * 8, "unit": ["J"] * 8})
    tables = {"persons": persons, "benefits": benefits, "employment": employment, "events": events}
    folder = write_folder(tmp_path_factory.mktemp("hand") / "data", tables)
    regs = load(folder)
    yield regs, tables
    regs.close()


def _codes():
    cat = load_catalogue()
    t = code_table(cat, TARGET_GROUPS["forsikrede_ledige"])
    pick = lambda c: set(t.loc[t[c] == 1, "code"])  # noqa: E731
    return dict(target=pick("tgt"), act=pick("act"), vr=pick("vr"), vo=pick("vo"), su=set(SU_CODES))


def _compare(got: pd.DataFrame, ref: pd.DataFrame, names) -> None:
    g = got.set_index(["indicator", "unit", "period"])
    r = ref.set_index(["indicator", "unit", "period"])
    for name in names:
        a, b = g.loc[name].sort_index(), r.loc[name].sort_index()
        assert list(a.index) == list(b.index), name
        for col in ("numerator", "denominator", "value", "persons"):
            np.testing.assert_allclose(a[col].to_numpy(float), b[col].to_numpy(float), rtol=1e-12, atol=1e-12,
                                       equal_nan=True, err_msg=f"{name} {col}")


def test_hand_checked_numbers(hand):
    regs, _ = hand
    t = compute_indicators(regs, IndicatorRequest(period="quarter", units={"851": ("851",), "461": ("461",)}))
    f = t.frame.set_index(["indicator", "unit", "period"])
    q1 = f.loc[("aktiveringsgrad", "851", "2018Q1")]
    # A: weeks 2-10 (9) + 11-13 with 215 (3; week 14's Thursday is in April); B: weeks 1-8 (8), 7-8 with 213
    assert (q1["numerator"], q1["denominator"], q1["persons"]) == (5, 20, 2)
    assert q1["value"] == pytest.approx(0.25)
    assert f.loc[("virksomhedsrettet_aktiveringsgrad", "851", "2018Q1"), "numerator"] == 3
    assert f.loc[("vejlednings_og_opkvalificeringsgrad", "851", "2018Q1"), "numerator"] == 2
    assert f.loc[("fuldtidspersoner", "851", "2018Q1"), "value"] == pytest.approx(20 / 13)
    # spells of 851: A 2-14 (new, ends Q2), A 16-20 (new, ends Q2, SU from week 22), B 1-8 (seen from the first
    # week: not new; ends Q1 with employment from March)
    assert f.loc[("nye_forloeb", "851", "2018Q1"), "value"] == 1
    assert f.loc[("nye_forloeb", "851", "2018Q2"), "value"] == 1
    end_q1 = f.loc[("afsluttede_forloeb_til_job", "851", "2018Q1")]
    assert (end_q1["numerator"], end_q1["denominator"]) == (1, 1)
    end_q2 = f.loc[("su_grad", "851", "2018Q2")]
    assert (end_q2["numerator"], end_q2["denominator"]) == (1, 2)  # A's second spell, followed by SU in week 22
    assert f.loc[("afsluttede_forloeb_til_job", "851", "2018Q2"), "numerator"] == 1  # A employed in June
    assert f.loc[("uafsluttede_forloeb", "851", "2018Q1"), "value"] == 1  # A's first spell runs into April
    # completed spells with a seen start, Q2 851: A 2-14 (13 weeks) and A 16-20 (5); B's (from week 1) is left out
    d = f.loc[("varighed_afsluttede_forloeb", "851", "2018Q2")]
    assert (d["numerator"], d["denominator"], d["value"]) == (18, 2, 9.0)
    assert f.loc[("uafsluttede_forloeb", "461", "2018Q4"), "value"] == 1  # C runs to the end of the data
    # interviews: A week 3 (1 week after its start in week 2); E week 31 (1 week after week 30); A week 17 (1)
    w = f.loc[("uger_til_foerste_samtale", "851", "2018Q1")]
    assert (w["numerator"], w["denominator"]) == (1, 1)
    # events in target weeks, Q1 851: A 17 Jan, A 20 Feb, B 10 Jan; D's event is not in a target week
    assert f.loc[("samtaler_pr_kvartal", "851", "2018Q1"), "numerator"] == 3
    assert f.loc[("samtaler_pr_kvartal", "461", "2018Q1"), "numerator"] == 0
    assert t.benefit_scans == 1


@pytest.mark.parametrize("period", ["month", "quarter", "half-year", "year"])
@pytest.mark.parametrize("gap", [0, 1])
def test_every_indicator_equals_plain_pandas_on_hand_data(hand, period, gap):
    regs, tables = hand
    got = compute_indicators(regs, IndicatorRequest(period=period, spell_gap=gap,
                                                    units={"851": ("851",), "461": ("461",)})).frame
    ref = reference(tables["persons"], tables["benefits"], tables["employment"], tables["events"], **_codes(),
                    period=period, gap=gap, units=["851", "461"])
    _compare(got, ref, INDICATORS)


@pytest.fixture(scope="module")
def fk(tmp_path_factory):
    from virkning.synth import generate

    out = tmp_path_factory.mktemp("fk") / "data"
    generate(out, persons=4_000, seed=11, programme="frikommune")
    tables = {n: pd.read_parquet(out / f"{n}.parquet") for n in ("persons", "benefits", "employment", "events")}
    tables["benefits"]["code"] = tables["benefits"]["code"].astype(str)
    regs = load(out)
    yield regs, tables, json.loads((out / "truth.json").read_text(encoding="utf-8"))
    regs.close()


@pytest.mark.parametrize("period", ["month", "quarter"])
def test_every_indicator_equals_plain_pandas_on_synthetic_registers(fk, period):
    regs, tables, _ = fk
    got = compute_indicators(regs, IndicatorRequest(period=period)).frame
    ref = reference(tables["persons"], tables["benefits"], tables["employment"], tables["events"], **_codes(),
                    period=period)
    _compare(got, ref, INDICATORS)


def test_the_generators_indicators_are_reproduced(fk):
    """truth.json's levels come from the generator's own (numpy) computation during the simulation."""
    regs, _, truth = fk
    t = compute_indicators(regs, IndicatorRequest(indicators=tuple(truth["indicators"])))
    assert list(t.periods) == truth["periods"]
    for name, d in truth["indicators"].items():
        w = t.wide(name)
        for mun, values in d["level_observed"].items():
            exp = np.array([np.nan if v is None else v for v in values])
            np.testing.assert_allclose(w.loc[mun].to_numpy(float), exp, atol=5e-7, equal_nan=True,
                                       err_msg=f"{name} {mun}")


def test_one_scan_of_the_benefits_table_and_portable_sql(fk, monkeypatch):
    from tests.registers.test_portable_sql import _check

    regs, _, _ = fk
    regs.engine.statements = []
    try:
        compute_indicators(regs, IndicatorRequest(period="month"))
        sent = list(regs.engine.statements)
    finally:
        regs.engine.statements = None
    assert sum("benefits" in s for s in sent) == 1
    assert sum(("FROM benefits" in s) or ("FROM keyed_benefits" in s) for s in sent) == 1  # keyed copy or not
    _check(sent)


def test_measure_codes_follow_the_catalogue_labels():
    cat = load_catalogue()
    vr = measure_codes(cat, "virksomhedsrettet")
    assert {"215", "216", "217", "218", "135", "738"} <= set(vr) and "213" not in vr and "219" not in vr
    vo = measure_codes(cat, "vejledning_opkvalificering")
    assert {"211", "213", "214", "231", "232", "133", "134"} <= set(vo) and "215" not in vo
    t = code_table(cat, TARGET_GROUPS["forsikrede_ledige"])
    assert set(t.loc[t["vr"] == 1, "code"]) == {"215", "216", "217", "218"}


@pytest.mark.parametrize("kwargs, where, message", [
    ({"last": "2020-01"}, "option 'last'", "outside the data"),
    ({"first": "2018-06", "last": "2018-03"}, "option 'last'", "on or after"),
    ({"period": "week"}, "option 'period'", "expected one of month"),
    ({"indicators": ("aktiveringsgrad", "ledighedsgrad")}, "option 'indicators'", "ledighedsgrad"),
    ({"units": {"999": ("999",)}}, "option 'units'", "no person"),
    ({"event": "møde"}, "option 'event'", "no 'møde' events"),
    ({"employment_lag": -1}, "option 'employment_lag'", "at least 0"),
])
def test_bad_requests_are_located(hand, kwargs, where, message):
    regs, _ = hand
    with pytest.raises(DesignError, match=message) as e:
        compute_indicators(regs, IndicatorRequest(**kwargs))
    assert str(e.value).startswith(where)


def test_a_request_names_the_design_keys():
    req = IndicatorRequest(period="week", where={"period": "difference_in_differences.period"})
    with pytest.raises(DesignError, match=r"^difference_in_differences\.period: expected one of"):
        req.check()


def test_protection_hides_small_counts_and_rows_on_few_persons(fk):
    regs, _, _ = fk
    raw = compute_indicators(regs, IndicatorRequest()).frame
    prot, outcome = protect_indicators(raw, 5)
    for col in ("persons", "numerator", "denominator"):
        assert not any(small(v, 5) for v in prot[col])
    few = raw["persons"].between(1, 4)
    assert few.any() and prot.loc[few, ["numerator", "denominator", "value"]].isna().all().all()
    # a share whose rest of the group is small is shown without numerator and value
    sub = raw["indicator"].map(lambda n: INDICATORS[n].subset)
    rest = (raw["denominator"] - raw["numerator"]).where(sub)
    near = sub & rest.between(1, 4) & ~few
    assert near.any() and prot.loc[near, ["numerator", "value"]].isna().all().all()
    # what is shown is what was computed
    shown = prot["value"].notna()
    np.testing.assert_array_equal(prot.loc[shown, "value"], raw.loc[shown, "value"])
    assert outcome.log and any("rest of the group" in x for x in outcome.log)


def test_the_indicators_command_writes_a_protected_folder(fk, tmp_path):
    from virkning.disclosure.audit import audit
    from virkning.outputs import run_indicators

    regs, _, _ = fk
    paths = run_indicators(regs.folder, tmp_path / "out", IndicatorRequest(period="half-year"))
    t = pd.read_csv(paths["indicators"], dtype={"unit": str})
    assert set(t["indicator"]) == set(INDICATORS) and t["period"].str.contains("H").all()
    assert audit(tmp_path / "out") == []
    manifest = json.loads(paths["manifest"].read_text(encoding="utf-8"))
    assert manifest["benefit_scans"] == 1 and manifest["request"]["period"] == "half-year"


def test_the_cli_command(hand, tmp_path):
    from typer.testing import CliRunner

    from virkning.cli import app

    regs, _ = hand
    ok = CliRunner().invoke(app, ["indicators", str(regs.folder), "--out", str(tmp_path / "a"), "--period", "year",
                                  "--units", "851,461", "--threshold", "3"])
    assert ok.exit_code == 0, ok.output
    t = pd.read_csv(tmp_path / "a" / "indicators.csv", dtype={"unit": str, "period": str})
    assert set(t["unit"]) == {"851", "461"} and set(t["period"]) == {"2018"}
    bad = CliRunner().invoke(app, ["indicators", str(regs.folder), "--out", str(tmp_path / "b"), "--to", "2019-06"])
    assert bad.exit_code == 1 and "--to: 2019Q2 is outside the data" in bad.output
    assert not (tmp_path / "b").exists()


def test_the_audit_reads_indicator_tables(tmp_path):
    """The disclosure audit rebuilds an indicator table's relations: a count shown as a value, a numerator from a
    shown value and denominator, the rest of a group from a shown numerator and denominator, a volume's weeks;
    a table without such a cell passes, and the published folders above pass (test_protection..., the command)."""
    from virkning.disclosure.audit import audit

    head = "indicator,unit,unit_name,period,numerator,denominator,value,persons,period_weeks\n"
    clean = ("aktiveringsgrad,851,Aalborg,2018Q1,20,40,0.5,12,\n"
             "nye_forloeb,851,Aalborg,2018Q1,,,,,\n"
             "fuldtidspersoner,851,Aalborg,2018Q1,,,3.0769230769230766,12,13\n")
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "indicators.csv").write_text(head + clean, encoding="utf-8")
    assert audit(tmp_path / "ok") == []
    leaky = ("nye_forloeb,851,Aalborg,2018Q1,,,3,9,\n"                          # a count of 3 shown as the value
             "aktiveringsgrad,851,Aalborg,2018Q2,,40,0.05,12,\n"                # 0.05 x 40 = 2 weeks with a measure
             "virksomhedsrettet_aktiveringsgrad,851,Aalborg,2018Q3,38,40,,12,\n"  # the rest: 40 - 38 = 2
             "fuldtidspersoner,851,Aalborg,2018Q4,,,0.23076923076923078,9,13\n"   # 0.2308 x 13 = 3 weeks
             "samtaler_pr_kvartal,851,Aalborg,2019Q1,,52,0.75,12,\n")            # 13 x n / 52 = 0.75: n = 3
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "indicators.csv").write_text(head + leaky, encoding="utf-8")
    found = audit(tmp_path / "bad")
    rows = sorted({f.cells.split(" (")[0] for f in found})
    assert rows == [f"indicators.csv row {i}" for i in range(2, 7)], [str(f) for f in found]
    # a quantity several indicators share is one cell: the target weeks hidden in one row, shown in another
    shared = ("aktiveringsgrad,851,Aalborg,2018Q1,,,0.05,12,\n"
              "vejlednings_og_opkvalificeringsgrad,851,Aalborg,2018Q1,10,40,0.25,12,\n")
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "indicators.csv").write_text(head + shared, encoding="utf-8")
    found = audit(tmp_path / "shared")
    assert len(found) == 1 and "row 2 (aktiveringsgrad" in found[0].cells and "= 2.00" in found[0].arithmetic

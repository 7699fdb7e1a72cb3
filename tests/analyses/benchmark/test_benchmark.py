"""Benchmarking (seed 004 tables 5.1-5.7) on small synthetic registers with a known truth (synth/benchmark.py):
full-time persons and rates against a plain-pandas count of the weekly codes, changes in percentage points, the
comparison series, the scoreboard, caseloads, the expected-level model against statsmodels (1e-8) and against the
generator's slope, the published folder (disclosure audit, report), and the located errors of bad input.

One evaluation of a design with every option is shared by the module (about 3 s)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from virkning.analyses.benchmark import compile_benchmark, expected_levels
from virkning.analyses.benchmark.compute import run_benchmark
from virkning.design import load_design
from virkning.design.messages import DesignFileError
from virkning.disclosure.audit import audit
from virkning.errors import DesignError
from virkning.outputs import run_evaluation
from virkning.registers import calendar, load
from virkning.synth.benchmark import benchmark_registers

DESIGN = """name: Benchmark test
data:
  folder: data
benchmark:
  comparison_group: ["147", "151", "153"]
  comparison_name: Nabokommuner
  staffing: staffing.csv
  covariates: covariates.csv
  model: [x]
"""


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench")
    truth = benchmark_registers(root / "data")
    (root / "design.yaml").write_text(DESIGN, encoding="utf-8")
    run_evaluation(root / "design.yaml", root / "out")
    folder = root / "out" / "benchmark" / "forsikrede_ledige"
    read = lambda n: pd.read_csv(folder / f"{n}.csv", dtype={"unit": str})  # noqa: E731
    return {"root": root, "truth": truth, "folder": folder,
            **{n: read(n) for n in ("levels", "series", "changes", "scoreboard", "caseload", "expected", "model",
                                    "indicators")},
            "bundle": json.loads((folder / "results.json").read_text(encoding="utf-8"))}


def _reference_levels(root) -> pd.DataFrame:
    """Full-time persons per unit and month counted with pandas from the CSVs: weeks of code 111 in the month of
    their Thursday over the weeks of that month; the rate over the unit's persons."""
    p = pd.read_csv(root / "data" / "persons.csv", dtype={"municipality": str})
    b = pd.read_csv(root / "data" / "benefits.csv").merge(p[["person_id", "municipality"]], on="person_id")
    wk = np.array([calendar.parse_week(w) for w in b["week"]])
    b["month"] = calendar.month_labels(calendar.week_months(wk))
    wt = calendar.week_table()
    per_month = pd.Series(calendar.month_labels(wt["mo"].to_numpy())).value_counts()
    f = b.groupby(["municipality", "month"]).size().rename("weeks").reset_index()
    f["fuldtidspersoner"] = f["weeks"] / f["month"].map(per_month)
    f["rate"] = f["fuldtidspersoner"] / f["municipality"].map(p["municipality"].value_counts())
    return f.rename(columns={"municipality": "unit"})


def test_levels_and_changes_match_a_plain_count(bench):
    ref = _reference_levels(bench["root"]).set_index(["unit", "month"])
    got = bench["levels"].set_index(["unit", "month"])
    common = got.index.intersection(ref.index)
    assert len(common) == len(got) == 12 * 24  # whole months 2018-01 .. 2019-12
    np.testing.assert_allclose(got.loc[common, "fuldtidspersoner"], ref.loc[common, "fuldtidspersoner"], rtol=1e-12)
    np.testing.assert_allclose(got.loc[common, "rate"], ref.loc[common, "rate"], rtol=1e-12)
    r = ref["rate"]
    for (u, m), row in got.loc[common].iterrows():
        mo = calendar.parse_month(m)
        prev, year = calendar.month_label(mo - 1), calendar.month_label(mo - 12)
        want_m = 100 * (r[(u, m)] - r[(u, prev)]) if (u, prev) in r.index else np.nan
        want_y = 100 * (r[(u, m)] - r[(u, year)]) if (u, year) in r.index and year >= "2018-01" else np.nan
        np.testing.assert_allclose([row["change_month_pp"], row["change_year_pp"]], [want_m, want_y], atol=1e-12)


def test_reference_month_leaves_the_newest_out(bench):
    d = bench["bundle"]["design"]
    assert d["months"][-1] == "2019-12" and d["month"] == "2019-11" and d["previous"] == "2019-10"
    assert d["year_before"] == "2018-11"


def test_comparison_series_and_scoreboard(bench):
    lv = bench["levels"]
    ref = lv[lv["month"] == "2019-11"].set_index("unit")
    ch = bench["changes"].set_index("series")
    assert ch.loc["all", "rate"] == pytest.approx(ref["fuldtidspersoner"].sum() / ref["labour_force"].sum(), 1e-12)
    assert ch.loc["best", "rate"] == pytest.approx(ref["rate"].nsmallest(10).mean(), 1e-12)
    comp = ref.loc[["147", "151", "153"]]
    assert ch.loc["comparison", "rate"] == pytest.approx(comp["fuldtidspersoner"].sum() / comp["labour_force"].sum(),
                                                          1e-12)
    assert list(ch["n_units"]) == [12, 10, 3]
    s = bench["scoreboard"]
    assert list(s["rate"]) == sorted(s["rate"])
    assert s["third"].value_counts().to_dict() == {"top": 4, "middle": 4, "bottom": 4}
    prev = lv[lv["month"] == "2019-10"].set_index("unit")["rate"].rank(method="min")
    for r in s.itertuples():
        assert r.rank_last_month == prev[r.unit]
        assert r.arrow == {-1: "↑", 0: "→", 1: "↓"}[int(np.sign(r.rank - r.rank_last_month))]


def test_caseload(bench):
    c = bench["caseload"].set_index("unit")
    staff = pd.read_csv(bench["root"] / "staffing.csv", dtype={"unit": str}).set_index("unit")["caseworkers"]
    ind = bench["indicators"]
    persons = ind[ind["period"] == "2019-11"].set_index("unit")["persons"]
    ref = bench["levels"][bench["levels"]["month"] == "2019-11"].set_index("unit")["fuldtidspersoner"]
    np.testing.assert_allclose(c["fuldtidspersoner_per_caseworker"], (ref / staff)[c.index], rtol=1e-12)
    np.testing.assert_allclose(c["citizens_per_caseworker"], (persons / staff)[c.index], rtol=1e-12)


def test_expected_levels_match_statsmodels():
    import statsmodels.api as sm

    rng = np.random.default_rng(3)
    n = 25
    f = pd.DataFrame({"unit": [str(i) for i in range(n)], "a": rng.normal(size=n), "b": rng.uniform(0, 1e5, n),
                      "c": rng.integers(0, 2, n).astype(float)})
    f["y"] = 0.05 + 0.01 * f["a"] + 2e-7 * f["b"] - 0.01 * f["c"] + rng.normal(0, 0.01, n)
    fit = expected_levels(f, "y", ["a", "b", "c"], level=0.9)
    X = sm.add_constant(f[["a", "b", "c"]])
    ref = sm.OLS(f["y"], X).fit()
    pred = ref.get_prediction(X).summary_frame(alpha=0.1)
    np.testing.assert_allclose(fit.terms["coef"], ref.params, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(fit.terms["se"], ref.bse, rtol=1e-8)
    np.testing.assert_allclose(fit.terms["p"], ref.pvalues, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(fit.units["expected"], pred["mean"], rtol=1e-8)
    np.testing.assert_allclose(fit.units["low"], pred["obs_ci_lower"], rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(fit.units["high"], pred["obs_ci_upper"], rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(fit.units["difference"], ref.resid, atol=1e-12)
    assert fit.r2 == pytest.approx(ref.rsquared, rel=1e-10)


def test_expected_model_recovers_the_synthetic_slope(bench):
    """The weekly probability is 0.02 + 0.25 x (x 1 +- 10 % by season): the slope's 95 % interval covers 0.25
    times the November season factor."""
    m = bench["model"].set_index("term")
    oct_factor = np.mean([1 + 0.1 * np.cos(2 * np.pi * k / 52) for k in range(96, 100)])  # weeks 45-48 of 2019
    truth = bench["truth"]["slope"] * oct_factor
    lo, hi = m.loc["x", "coef"] - 2.228 * m.loc["x", "se"], m.loc["x", "coef"] + 2.228 * m.loc["x", "se"]  # t(10)
    assert lo <= truth <= hi
    e = bench["expected"]
    np.testing.assert_allclose(e["difference"], e["actual"] - e["expected"], atol=1e-15)
    assert ((e["low"] < e["expected"]) & (e["expected"] < e["high"])).all()


def test_published_folder_passes_the_audit_and_the_report_has_the_sections(bench):
    out = bench["root"] / "out"
    assert audit(out) == []
    html = (out / "report.html").read_text(encoding="utf-8")
    for text in ("Benchmarking: Forsikrede ledige", "Placering pr. enhed, 2019-11", "Nabokommuner",
                 "Gennemsnit af de 10 bedste", "Sagsmængde pr. sagsbehandler", "Forventet og faktisk ledighed"):
        assert text in html, text
    assert (out / "figures" / "benchmark_forsikrede_ledige.svg").is_file()


def test_small_units_are_hidden_and_not_ranked(tmp_path):
    """A unit of 8 persons: its months with 1-4 persons are hidden by the disclosure rules, and a hidden unit-month
    is left out of the comparisons and the ranking; the folder passes the audit."""
    benchmark_registers(tmp_path / "data", sizes={"169": 8})
    (tmp_path / "design.yaml").write_text("data: {folder: data}\nbenchmark: {leave_out_newest: 0, month: 2019-06}\n")
    run_evaluation(tmp_path / "design.yaml", tmp_path / "out")
    folder = tmp_path / "out" / "benchmark" / "forsikrede_ledige"
    ind = pd.read_csv(folder / "indicators.csv", dtype={"unit": str})
    lv = pd.read_csv(folder / "levels.csv", dtype={"unit": str})
    small = ind[ind["unit"] == "169"]
    assert small["value"].isna().sum() >= 12  # most months rest on 1-4 persons
    assert (small["value"].isna() == lv.loc[lv["unit"] == "169", "fuldtidspersoner"].isna().to_numpy()).all()
    series = pd.read_csv(folder / "series.csv")
    shown = lv.groupby("month")["rate"].count()
    all_units = series[series["series"] == "all"].set_index("month")["n_units"]
    assert (all_units == shown[all_units.index]).all()
    s = pd.read_csv(folder / "scoreboard.csv", dtype={"unit": str}).set_index("unit")
    hidden = lv[(lv["month"] == "2019-06") & lv["rate"].isna()]["unit"]
    assert list(hidden) == ["169"]
    assert pd.isna(s.loc["169", "rank"]) and pd.isna(s.loc["169", "third"]) and s["rank"].max() == 11
    assert audit(tmp_path / "out") == []


# ---- bad input ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def regs_root(bench):
    regs = load(bench["root"] / "data")
    yield regs, bench["root"]
    regs.close()


def _design(root, text):
    (root / "bad.yaml").write_text("data: {folder: data}\n" + text, encoding="utf-8")
    return load_design(root / "bad.yaml").analyses["benchmark"]


def test_staffing_for_an_unknown_unit_is_located(regs_root, tmp_path):
    regs, root = regs_root
    (tmp_path / "staff.csv").write_text("unit,caseworkers\n101,4\n999,3\n")
    d = _design(root, f"benchmark: {{staffing: {tmp_path / 'staff.csv'}}}\n")
    with pytest.raises(DesignError, match=r"benchmark.staffing: staff.csv row 3: unit '999' is not a benchmarked"):
        run_benchmark(d, regs, threshold=5, base=root)
    (tmp_path / "staff.csv").write_text("unit,caseworkers\n101,-4\n")
    with pytest.raises(DesignError, match=r"staff.csv row 2, caseworkers: expected a positive number; got -4"):
        run_benchmark(d, regs, threshold=5, base=root)


def test_covariates_missing_a_unit_and_model_without_file(regs_root, tmp_path):
    regs, root = regs_root
    (tmp_path / "cov.csv").write_text("unit,x\n101,0.1\n147,0.2\n")
    d = _design(root, f"benchmark: {{covariates: {tmp_path / 'cov.csv'}, model: [x]}}\n")
    with pytest.raises(DesignError, match=r"benchmark.covariates: cov.csv has no row for unit\(s\) 151"):
        run_benchmark(d, regs, threshold=5, base=root)
    with pytest.raises(DesignFileError, match=r"model.*needs a covariates file"):
        _design(root, "benchmark: {model: [x]}\n")


def test_month_outside_the_window_and_unknown_units(regs_root):
    regs, root = regs_root
    d = _design(root, "benchmark: {month: 2020-03}\n")
    with pytest.raises(DesignError, match=r"benchmark.month: 2020-03 is not a whole month of the window"):
        run_benchmark(d, regs, threshold=5, base=root)
    with pytest.raises(DesignFileError, match=r"comparison_group.*'998' is neither a municipality code"):
        _design(root, "benchmark: {comparison_group: ['998']}\n")


def test_a_unit_without_data_in_the_newest_month_is_named(bench, tmp_path):
    shutil.copytree(bench["root"] / "data", tmp_path / "data")
    b = pd.read_csv(tmp_path / "data" / "benefits.csv")
    p = pd.read_csv(tmp_path / "data" / "persons.csv", dtype={"municipality": str})
    gone = set(p.loc[p["municipality"] == "155", "person_id"])
    b = b[~(b["person_id"].isin(gone) & (b["week"] >= "2019-W49"))]
    b.to_csv(tmp_path / "data" / "benefits.csv", index=False)
    d = _design(tmp_path, "benchmark: {}\n")
    regs = load(tmp_path / "data")
    try:
        with pytest.raises(DesignError, match=r"unit\(s\) 155 \(Dragør\) have no data in the newest month 2019-12"):
            run_benchmark(d, regs, threshold=5, base=tmp_path)
    finally:
        regs.close()


def test_compile_checks_keys():
    from virkning.analyses.benchmark.spec import BenchmarkSpec

    d = compile_benchmark(BenchmarkSpec(include=[851, 461], comparison_group=[461], units={"X": [101]}), None)
    assert d.units == {"851": ("851",), "461": ("461",)} and d.leave_out == 1 and d.best == 10


def test_pooled_rate_reproduces_the_seeds_table_5_1_totals():
    """Seed 004 table 5.1 (lines 676-683): the 'AC i alt' rate of a city is the pooled rate of its a-kasser (full-time
    persons over the labour force), not the mean of their rates. Each a-kasse's labour force is what its printed
    rate implies (within the rounding of the rate to 0.1 pct.); the pooled rate of all units then lies in the
    interval that rounding allows, and contains the printed total, for every city and the whole country, while the
    plain mean of the rates does not."""
    from virkning.analyses.benchmark.compute import _series
    from virkning.analyses.benchmark.spec import BenchmarkDesign

    table = {  # city: [(full-time persons, rate in pct.) for Akademikernes, JKS, MA, CA], (total, total rate)
        "København": ([(3825, 5.9), (1011, 10.8), (1826, 8.8), (892, 5.4)], (7554, 6.8)),
        "Aarhus": ([(1474, 5.1), (249, 10.1), (1068, 10.2), (453, 4.7)], (3244, 6.3)),
        "Frederiksberg": ([(452, 4.1), (144, 9.2), (226, 7.4), (147, 4.1)], (969, 5.0)),
        "Odense": ([(593, 4.9), (77, 7.8), (337, 8.6), (230, 6.9)], (1237, 6.1)),
        "Aalborg": ([(674, 4.6), (59, 9.7), (333, 9.5), (184, 6.0)], (1250, 5.7)),
        "Hele landet": ([(11386, 4.2), (2228, 8.9), (5581, 7.6), (3170, 4.8)], (22365, 5.2)),
    }
    design = BenchmarkDesign(groups=("x",), units=None, first=None, last=None, month=None, leave_out=0, best=10,
                             comparison=(), comparison_name="", labour_force=None, staffing=None, covariates=None,
                             model=(), level=0.95)
    for city, (rows, (total, pct)) in table.items():
        assert sum(r[0] for r in rows) == total
        bounds = []
        for shift in (-0.05, 0.05):  # the labour force implied by the rate rounded down and up
            lf = [ftp / ((rate + shift) / 100) for ftp, rate in rows]
            levels = pd.DataFrame({"unit": list("abcd"), "month": "2020-04", "p": 0,
                                   "fuldtidspersoner": [r[0] for r in rows], "labour_force": lf})
            levels["rate"] = levels["fuldtidspersoner"] / levels["labour_force"]
            s = _series(levels, design, "all").set_index("series")
            bounds.append(100 * s.loc["all", "rate"])
        assert bounds[0] - 0.05 <= pct <= bounds[1] + 0.05, (city, bounds, pct)
        mean = np.mean([r[1] for r in rows])
        assert abs(mean - pct) > 0.5, city  # the mean of the rates is not the published total


def test_one_scan_of_the_benefits_table_per_group_and_portable_sql(regs_root):
    from tests.registers.test_portable_sql import _check

    regs, root = regs_root
    d = _design(root, "benchmark: {}\n")
    regs.engine.statements = []
    try:
        run_benchmark(d, regs, threshold=5, base=root)
        sent = list(regs.engine.statements)
    finally:
        regs.engine.statements = None
    assert sum(("FROM benefits" in s) or ("FROM keyed_benefits" in s) for s in sent) == 1  # keyed copy or not
    assert any("count(*) AS n FROM persons" in s for s in sent)  # the default base of the rate
    _check(sent)


def test_the_audit_reads_what_the_benchmark_tables_reveal(bench, tmp_path):
    """A small labour force, or a caseload that reveals a hidden person count, is found by the audit (the tests above
    show it finds nothing in the published folder)."""
    out = tmp_path / "out"
    shutil.copytree(bench["root"] / "out", out)
    folder = out / "benchmark" / "forsikrede_ledige"
    u = pd.read_csv(folder / "units.csv", dtype={"unit": str})
    u.loc[0, "labour_force"] = 3
    u.to_csv(folder / "units.csv", index=False)
    ind = pd.read_csv(folder / "indicators.csv", dtype={"unit": str})
    c = pd.read_csv(folder / "caseload.csv", dtype={"unit": str})
    row = ind[(ind["unit"] == c.loc[0, "unit"]) & (ind["period"] == c.loc[0, "month"])].index[0]
    ind.loc[row, ["persons", "numerator", "value"]] = np.nan  # as if hidden: the caseload still tells it
    ind.to_csv(folder / "indicators.csv", index=False)
    c.loc[0, "citizens_per_caseworker"] = 3 / c.loc[0, "caseworkers"]
    c.to_csv(folder / "caseload.csv", index=False)
    found = [str(f) for f in audit(out)]
    assert any("units.csv row 2, labour_force" in f for f in found)
    assert any("caseload.csv row 2, citizens_per_caseworker" in f for f in found)

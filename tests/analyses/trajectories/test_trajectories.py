"""The trajectories analysis on the synthetic Flere-skal-med registers, against the generator's truths and against
independent readings: group sizes and the flow from the planted records, curves equal to the realised truths and
covering the expected ones, units and seniority bands from the truth's own tables, linear probability models whose
covariates are rebuilt with pandas from the written tables and whose numbers equal statsmodels, and an output folder
that passes the disclosure audit (which finds the small counts of the unprotected tables)."""

from __future__ import annotations

import dataclasses
import shutil

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from tests.analyses.trajectories.fsm_fixture import fsm_run  # noqa: F401 (the shared run)
from virkning.analyses.trajectories.compute import curves
from virkning.disclosure.audit import audit

GROUPS = {"gruppe_1": "group_1", "flere_skal_med": "programme", "sammenligning": "comparison"}
OUTCOMES = ("virksomhedsforloeb", "ordinaere_timer", "virksomhedsrettet", "ren_beskaeftigelse", "afklaring")
COVARIATES = {"mand": "man", "alder_40": "age_40_plus", "indvandrer": "immigrant_or_descendant",
              "erhvervsfaglig": "vocational_education", "hospital": "hospital_visits", "handicap": "handicap",
              "hist_virksomhed": "earlier_employer_measure", "hist_timer": "earlier_ordinary_hours"}


def test_groups_and_flow_follow_the_planted_records(fsm_run):
    r, t = fsm_run["result"], fsm_run["truth"]
    flow = r.flow.set_index("step")
    rec, extras = t["records"], t["records"]["extras"]
    assert flow.loc["records in the table", "records"] == rec["rows"]
    assert flow.loc["records in the table", "persons"] == rec["persons"]
    # step 1 drops exactly the planted records that end before they start, step 2 exactly the group-6 ones
    assert flow.loc["without records ending before they start", "records"] == rec["rows"] - extras["end_before_start"]
    assert flow.loc["in the groups 1, 2, 3, udskudt", "records"] == (rec["rows"] - extras["end_before_start"]
                                                                     - extras["group_6"])
    assert flow.loc["one record per person (the rule)", "persons"] == t["groups"]["programme"]
    sizes = r.groups.set_index("group")["persons"]
    for g, key in {"gruppe_1": "group_1", "gruppe_2": "group_2", "gruppe_3": "group_3", "flere_skal_med": "programme",
                   "sammenligning": "comparison"}.items():
        assert sizes[g] == t["groups"][key], g


def test_curves_equal_the_realised_truths(fsm_run):
    r, t = fsm_run["result"], fsm_run["truth"]
    c = r.curves
    design = r.design
    monthly = dataclasses.replace(design, measure="in_month")
    rows = {g: np.arange(len(r.members[g])) for g in r.members}
    for g, key in GROUPS.items():
        m = {k: v for k, v in r.months[g].items()}
        in_month = curves(dataclasses.replace(monthly, groups=(design.group(g),)), m, {g: rows[g]})
        for o in OUTCOMES:
            ever = c[(c["group"] == g) & (c["outcome"] == o)]["share"].to_numpy()
            np.testing.assert_allclose(ever, t["trajectories"][key][o]["ever"], atol=1e-6, err_msg=f"{g} {o} ever")
            im = in_month[in_month["outcome"] == o]["share"].to_numpy()
            np.testing.assert_allclose(im, t["trajectories"][key][o]["in_month"], atol=1e-6, err_msg=f"{g} {o} month")
            assert (c[(c["group"] == g) & (c["outcome"] == o)]["n"] == t["trajectories"][key]["n"]).all()


def test_expected_trajectories_lie_within_the_intervals(fsm_run):
    """The model's expected share ever in the outcome by month m (what a confidence interval should cover) against
    the 95 % Wilson intervals: inside at the horizon for every group, and at most 2 of 29 months outside."""
    r, t = fsm_run["result"], fsm_run["truth"]
    c = r.curves
    for g, key in GROUPS.items():
        for o in ("virksomhedsforloeb", "ordinaere_timer"):
            x = c[(c["group"] == g) & (c["outcome"] == o)]
            e = np.asarray(t["trajectories"][key][o]["ever_expected"])
            inside = (x["ci_low"].to_numpy() <= e) & (e <= x["ci_high"].to_numpy())
            assert inside[-1], (g, o)
            assert (~inside).sum() <= 2, (g, o, np.flatnonzero(~inside) + 1)


def test_wilson_intervals_of_the_curves_equal_statsmodels(fsm_run):
    from statsmodels.stats.proportion import proportion_confint

    c = fsm_run["result"].curves
    lo, hi = proportion_confint(c["k"].to_numpy(), c["n"].to_numpy(), alpha=0.05, method="wilson")
    np.testing.assert_allclose(c["ci_low"], lo, atol=1e-12)
    np.testing.assert_allclose(c["ci_high"], hi, atol=1e-12)


def test_units_and_seniority_equal_the_truth_tables(fsm_run):
    r, t = fsm_run["result"], fsm_run["truth"]
    units = pd.DataFrame.from_dict(t["units"], orient="index")
    units["k"] = (units["group_1"] * units["virksomhedsforloeb_ever_share"]).round()  # shares rounded to 1e-6
    size = r.units["units_size"].set_index("band")
    for band, g in units.groupby("size_band"):
        assert size.loc[band, "persons"] == g["group_1"].sum()
        assert size.loc[band, "share_virksomhedsforloeb"] == pytest.approx(g["k"].sum() / g["group_1"].sum(), abs=1e-9)
    vol = r.units["units_volume"].set_index("band")
    volume_band = np.where(units["group_1"] <= 99, "0-99", np.where(units["group_1"] <= 500, "100-500", "over 500"))
    for band, g in units.groupby(volume_band):
        assert vol.loc[band, "persons"] == g["group_1"].sum()
        assert vol.loc[band, "units"] == len(g)
    big = units[units["group_1"] >= 5]
    dist = r.units["unit_distribution"].set_index("outcome").loc["virksomhedsforloeb"]
    q = np.quantile(big["virksomhedsforloeb_ever_share"], [0, 0.25, 0.5, 0.75, 1])  # R's type 7
    np.testing.assert_allclose(dist[["minimum", "q1", "median", "q3", "maximum"]].astype(float), q, atol=1e-6)
    assert dist["units"] == len(big) and dist["units_left_out"] == len(units) - len(big)
    crit = r.units["unit_criterion"]
    assert crit["persons"].sum() == t["groups"]["group_1"] and set(crit["unit"]) == set(units.index)
    sen = r.seniority.set_index("band")
    for band, row in t["seniority_bands"].items():
        for g in ("1", "2", "3"):
            assert sen.loc[band, f"k_gruppe_{g}"] == round(row["n"] * row[f"group_{g}"]), (band, g)


def _covariates_from_the_tables(fsm_run) -> pd.DataFrame:
    """The model's 0/1 covariates of group 1, rebuilt with pandas from the written tables and seed 001's rule."""
    data = fsm_run["data"]
    rec = pd.read_parquet(data / "records.parquet")
    rec["start_date"], rec["end_date"] = pd.to_datetime(rec["start_date"]), pd.to_datetime(rec["end_date"])
    rec = rec[(rec["end_date"].isna() | (rec["end_date"] >= rec["start_date"])) & rec["group"].isin(["1", "2", "3",
                                                                                                      "udskudt"])]
    rank = rec["group"].map({"1": 0, "2": 1, "3": 2, "udskudt": 3})
    rec = rec.assign(d=(rec["start_date"] - pd.Timestamp("2018-01-31")).abs(),
                     e=rec["end_date"].fillna(pd.Timestamp("2262-01-01")), r=rank)
    kept = rec.sort_values(["person_id", "d", "e", "r"], ascending=[True, True, False, True]).drop_duplicates(
        "person_id")
    g1 = kept[kept["group"] == "1"].set_index("person_id")
    p = pd.read_parquet(data / "persons.parquet").set_index("person_id").loc[g1.index]
    birth = pd.to_datetime(p["birth_date"])
    idx = g1["start_date"]
    age = idx.dt.year - birth.dt.year - ((idx.dt.month < birth.dt.month) | ((idx.dt.month == birth.dt.month)
                                                                            & (idx.dt.day < birth.dt.day)))
    flags = pd.read_parquet(data / "person_flags.parquet").set_index("person_id").loc[g1.index]
    b = pd.read_parquet(data / "benefits.parquet", filters=[("week", ">=", 201648), ("week", "<=", 201652)])
    udd = set(b.loc[b["code"].astype(int).between(720, 729) | b["code"].astype(int).between(140, 149), "person_id"])
    return pd.DataFrame({
        "person_id": g1.index, "mand": (p["sex"] == "M").astype(float).to_numpy(),
        "alder_40": (age >= 40).astype(float).to_numpy(),
        "indvandrer": p["origin"].isin(["indvandrer", "efterkommer"]).astype(float).to_numpy(),
        "erhvervsfaglig": (p["education"] == "erhvervsfaglig").astype(float).to_numpy(),
        "hospital": flags["hospital_visits"].astype(float).to_numpy(), "handicap": flags["handicap"].astype(float).to_numpy(),
        "hist_virksomhed": flags["earlier_employer_measure"].astype(float).to_numpy(),
        "hist_timer": flags["earlier_ordinary_hours"].astype(float).to_numpy(),
        "uddannelseshjaelp_dec_2016": g1.index.isin(udd).astype(float), "unit": g1["unit"].astype(str).to_numpy()})


def test_lpm_covariates_rebuilt_from_the_tables(fsm_run):
    r = fsm_run["result"]
    ours = r.lpm["data"].assign(person_id=r.members["gruppe_1"]["person_id"].to_numpy()).set_index("person_id")
    ref = _covariates_from_the_tables(fsm_run).set_index("person_id").loc[ours.index]
    for col in ref.columns:
        assert (ours[col].to_numpy() == ref[col].to_numpy()).all(), col
    means = r.lpm["lpm_outcomes"].set_index("outcome")["mean"]
    for o in OUTCOMES:
        assert means[o] == pytest.approx(100 * fsm_run["truth"]["lpm"]["means"][o], abs=1e-4)


def test_lpm_equals_statsmodels_and_recovers_the_coefficients(fsm_run):
    r, t = fsm_run["result"], fsm_run["truth"]
    d = r.lpm["data"]
    covs, ctrl = list(COVARIATES), ["uddannelseshjaelp_dec_2016"]
    X = sm.add_constant(d[covs + ctrl].to_numpy(float))
    codes = pd.factorize(d["unit"], sort=True)[0]
    table = r.lpm["lpm"].set_index(["outcome", "term"])
    assert set(r.lpm["lpm_outcomes"]["se_type"]) == {"cluster"}  # 98 municipalities: cluster-robust (CR1)
    for o in OUTCOMES:
        y = d[o].to_numpy(float)
        cl = sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": codes}, use_t=True)
        hc1 = sm.OLS(y, X).fit(cov_type="HC1", use_t=True)
        for j, term in enumerate(covs, start=1):
            row = table.loc[(o, term)]
            assert row["estimate"] / 100 == pytest.approx(cl.params[j], abs=1e-8)
            assert row["se"] / 100 == pytest.approx(cl.bse[j], abs=1e-8)
            assert row["p"] == pytest.approx(cl.pvalues[j], abs=1e-8)
            assert row["se_hc1"] / 100 == pytest.approx(hc1.bse[j], abs=1e-8)
            assert row["p_hc1"] == pytest.approx(hc1.pvalues[j], abs=1e-8)
            assert row["n_with"] == int((d[term] == 1).sum()) and row["n_without"] == int((d[term] == 0).sum())
    # the true coefficients (percentage points) lie within the 95 % cluster-robust intervals
    for o in ("virksomhedsforloeb", "ordinaere_timer"):
        for term, name in COVARIATES.items():
            row = table.loc[(o, term)]
            true = 100 * t["lpm"][o]["coefficients"][name]
            assert row["ci_low"] <= true <= row["ci_high"], (o, term, row["estimate"], true)


def test_the_written_folder_passes_the_audit_and_the_raw_tables_do_not(fsm_run, tmp_path):
    out = fsm_run["out"]
    assert audit(out, 5) == []
    files = {p.name for p in (out / "trajectories").iterdir()}
    assert {"flow.csv", "groups.csv", "curves.csv", "units_size.csv", "units_volume.csv", "unit_distribution.csv",
            "unit_criterion.csv", "seniority.csv", "lpm.csv", "lpm_outcomes.csv", "results.json"} <= files
    assert (out / "report.html").is_file() and not list((out / "trajectories").glob("*person*"))
    assert (out / "internal" / "records_overlaps.csv").is_file() and (out / "internal" / "README.txt").is_file()
    log = fsm_run["outputs"][0].log
    assert any("fewer events or censorings" in line for line in log)  # small steps of a curve were held back
    # the unprotected curves and criterion, written in place of the protected ones, are caught by the audit
    raw = tmp_path / "raw"
    shutil.copytree(out, raw)
    r = fsm_run["result"]
    r.curves[["group", "outcome", "measure", "month", "n", "share", "ci_low", "ci_high"]].to_csv(
        raw / "trajectories" / "curves.csv", index=False)
    r.units["unit_criterion"].to_csv(raw / "trajectories" / "unit_criterion.csv", index=False)
    findings = audit(raw, 5)
    assert any("curves.csv" in f.file for f in findings)
    assert any("unit_criterion.csv" in str(f) for f in findings)


def test_report_sections_in_danish_and_english(fsm_run):
    from virkning.analyses.trajectories import render

    html = (fsm_run["out"] / "report.html").read_text(encoding="utf-8")
    for title in ("Grupper og visitation", "Forløb måned for måned", "Kommunerne sammenlignet",
                  "Visitation efter anciennitet", "Lineære sandsynlighedsmodeller", "Virksomhedsforløb mv."):
        assert title in html, title
    assert "Forløb uden matching" in html  # the kicker of a report with this analysis only
    sections, figures = render(fsm_run["outputs"][0], "en")
    titles = [s.title for s in sections]
    assert titles[0] == "Groups and visitation" and "The municipalities compared" in titles
    assert {"trajectory_virksomhedsforloeb", "seniority"} <= set(figures)


def test_the_registers_summary_leaves_out_small_counts(fsm_run):
    """The bundle's summary of the registers (not a gated table here) leaves out a count of persons, rows or weeks
    from 1 to the threshold - 1; 0 and larger counts stay."""
    from virkning.analyses import KINDS

    result = fsm_run["result"]
    data = dict(result.data)
    data["tables"] = {**data["tables"], "events": {"name": "events", "layout": "-", "persons": 4, "rows": 7}}
    data["unknown_codes"] = [{"code": "555", "weeks": 3, "persons": 2}, {"code": "556", "weeks": 40, "persons": 0}]
    data["orphans"] = {"benefits": {"persons": 1, "rows": 12}}
    (out,) = KINDS["trajectories"].publish(dataclasses.replace(result, data=data), 5)
    got = out.bundle["data"]
    assert got["tables"]["events"]["persons"] is None and got["tables"]["events"]["rows"] == 7
    assert got["tables"]["persons"]["persons"] == result.data["tables"]["persons"]["persons"]
    assert got["unknown_codes"] == [{"code": "555", "weeks": None, "persons": None},
                                    {"code": "556", "weeks": 40, "persons": 0}]
    assert got["orphans"] == {"benefits": {"persons": None, "rows": 12}}

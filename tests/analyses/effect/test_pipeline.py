"""The effect evaluation on synthetic registers with a known effect (truth.json from common random numbers)."""

import json

import numpy as np
import pandas as pd
import pytest

from virkning.errors import DesignError
from virkning.demo import seniorvikar_design as demo_design
from virkning.analyses.effect import evaluate
from virkning.outcomes import Outcome
from virkning.registers import load

def seniorvikar_design(**kw):
    return demo_design(**{"n_boot": 199, **kw})


@pytest.fixture(scope="module")
def synth(synth_folder):
    regs = load(synth_folder)
    yield regs, json.loads((synth_folder / "truth.json").read_text())
    regs.close()


@pytest.fixture(scope="module")
def cache():
    from virkning.analyses.effect import RunCache

    return RunCache()


@pytest.fixture(scope="module")
def result(synth, cache):
    return evaluate(synth[0], seniorvikar_design(), cache=cache)


def test_every_month_within_three_se_of_truth(synth, result):
    truth = synth[1]["outcomes"]
    for name in ("exit_beskaeftiget", "exit_vikar", "exit_tilbagetrukket"):
        est = result.effects[result.effects["outcome"] == name].sort_values("month")
        z = (est["att"].to_numpy() - np.array(truth[name]["att"])) / est["se"].to_numpy()
        assert np.all(np.abs(z) < 3), (name, z)
    assert result.effect_at("exit_vikar", 7)["n_treated"] > 150


def test_flow_and_matching_are_consistent(synth, result):
    flow = result.flow.set_index("step")
    truth = synth[1]
    assert flow.loc["registered (event in window)", "participants"] == truth["n_participants"]
    # truth.json and the analysis both take the index month as the month of the index week's Thursday (docs/panel.md)
    kept = flow.loc["excluded: beskæftiget i indeksmåneden (employment_at_0 > 0)", "participants"]
    assert kept == truth["n_population"]
    assert flow.loc["matched", "participants"] == result.matching.info.n_treated_matched
    assert result.effects.groupby("outcome")["n_treated"].first().eq(flow.loc["matched", "participants"]).all()
    # exact on index week, sex, region, origin group and a-kasse (seed 000's Bilag 3): every pair agrees on them
    d = result.data
    pairs = result.matching.pairs
    for col in ("index_week", "sex", "region", "origin_group", "a_kasse"):
        assert (d.loc[pairs["treated"], col].to_numpy() == d.loc[pairs["control"], col].to_numpy()).all()
    # Exact cells on five variables hold few candidates at this test size (about 300 participants; the demo has 1,800
    # and no imbalanced term), so the history covariates keep more imbalance than with exact matching on sex and
    # region alone (3 terms then; now 6 with the score, |SMD| 0.11-0.25: the histories, education unknown)
    assert result.balance.n_imbalanced <= 6
    assert result.balance.table["smd_after"].abs().max() < 0.3


def test_subgroups_partition_the_matched_sets(result):
    sg = result.subgroups
    ages = sg[(sg["subgroup"] == "age band") & (sg["outcome"] == "exit_vikar")]
    assert set(ages["month"]) == {7}
    assert ages["n_treated"].sum() == result.matching.info.n_treated_matched
    tests = result.heterogeneity.set_index(["subgroup", "outcome"])
    row = tests.loc[("sex", "exit_vikar")]
    g = sg[(sg["subgroup"] == "sex") & (sg["outcome"] == "exit_vikar")]
    prec = 1 / g["se"] ** 2
    pooled = (prec * g["att"]).sum() / prec.sum()
    assert row["chi2"] == pytest.approx(float((prec * (g["att"] - pooled) ** 2).sum()))
    assert row["df"] == 1


def test_same_seed_same_result(synth, result):
    again = evaluate(synth[0], seniorvikar_design())
    assert again.effects.equals(result.effects)


def test_design_errors():
    with pytest.raises(DesignError, match="kind expected one of"):
        Outcome("x", "hazard")
    with pytest.raises(DesignError, match="censoring expected one of"):
        seniorvikar_design(censoring="ignore")


def test_robustness_variants_run_the_same_way(synth, result, monkeypatch):
    from virkning.analyses.effect import pipeline, robustness
    from virkning.populations import PoolRule

    made = []  # the run's own cache, to see what it holds at the end

    class Kept(pipeline.RunCache):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(pipeline, "RunCache", Kept)

    units = tuple(sorted(result.populations.participants["unit"].unique())[:7])
    d = seniorvikar_design(outcomes=(Outcome("exit_vikar", "first_exit", "vikar", 7),))
    said = []
    _, rob = robustness(synth[0], d, {
        "first seven projects": {"participants": d.participants.__class__(d.participants.event, d.participants.start,
                                                                          d.participants.end, units)},
        "no spell length": {"covariates": tuple(c for c in d.covariates if c != "spell_weeks")},
        "pool aged 55-65": {"pool": PoolRule(age=(55, 65), states={-1: "ledig", 0: "ledig"})},
    }, progress=said.append)
    # progress names the variant in every step of its run (issue 19: "variant 2 of 4: ...")
    assert "variant 2 of 3: no spell length: matching" in said
    # variants with populations of their own run before the main design, the one sharing its populations after it;
    # what no later run shares is let go, in the end everything (the table keeps the given order, below)
    steps = [s.split(":")[0] if s.startswith("variant ") else "main" for s in said]
    assert list(dict.fromkeys(steps)) == ["variant 1 of 3", "variant 3 of 3", "main", "variant 2 of 3"]
    assert len(made) == 1 and made[0].populations == {} and made[0].cells == {}
    assert [s for s in said if s.startswith("variant 3 of 3: pool aged 55-65: effects: bootstrap of outcome 1 of 1 "
                                            "(exit_vikar)")][-1].endswith("199 of 199 replicates")
    table = rob.table
    assert table["variant"].tolist() == ["main", "first seven projects", "no spell length", "pool aged 55-65"]
    main = result.effect_at("exit_vikar", 7)
    assert table.loc[0, "att"] == pytest.approx(main["att"]) and table.loc[0, "n_treated"] == main["n_treated"]
    assert table.loc[1, "n_treated"] < table.loc[0, "n_treated"] and table.loc[3, "n_treated"] < table.loc[0, "n_treated"]
    # runs share cached risk sets and register rows: a variant gives what a run of its own gives
    from dataclasses import replace

    from virkning.registers import load

    fresh_regs = load(synth[0].folder)
    alone = evaluate(fresh_regs, replace(d, pool=PoolRule(age=(55, 65), states={-1: "ledig", 0: "ledig"})))
    fresh_regs.close()
    row = alone.effect_at("exit_vikar", 7)
    assert (row["att"], row["n_treated"]) == pytest.approx((table.loc[3, "att"], table.loc[3, "n_treated"]))
    with pytest.raises(DesignError, match="variant 'x': pools is not a design field"):
        robustness(synth[0], d, {"x": {"pools": None}}, main=result)


# ---- issue 18: common support, relative and adjusted effects, sensitivity, published counts -----------------------

def test_discarded_units_are_counted_in_the_flow_and_the_sample_sizes(synth, cache, result):
    # the demo design drops controls outside the participants' range only (discard: control): every participant
    # stays, so the flow shows no removal the disclosure gate would have to withhold
    flow = result.flow.set_index("step")
    assert result.matching.config.discard == "control"
    assert flow.loc["common support of the propensity score (discard: control)", "participants"] == \
        flow.iloc[flow.index.get_loc("common support of the propensity score (discard: control)") - 1]["participants"]
    # discard: both (MatchIt's rule on both groups), on the same populations and exact cells
    both = evaluate(synth[0], seniorvikar_design(discard="both", adjust="none", sensitivity=False), cache=cache)
    m = both.matching
    flow = both.flow.set_index("step")
    step = "common support of the propensity score (discard: both)"
    sizes = m.sample_sizes()
    kept = ~m.discarded_mask
    assert m.config.discard == "both" and (~kept).sum() > 0
    assert flow.loc[step, "participants"] == int((kept & m.treat).sum())
    assert flow.loc[step, "pool_pairs"] == int((kept & ~m.treat).sum())
    assert sizes.loc["Discarded", "Control"] == (~kept & ~m.treat).sum()
    assert sizes.loc["All", "Control"] == sizes.loc[["Matched", "Unmatched", "Discarded"], "Control"].sum()
    # nobody outside the common support is matched, and the discarded lie outside the treated range (MatchIt's rule)
    d = m.distance
    assert not (m.weights[~kept] > 0).any()
    lo, hi = max(d[m.treat].min(), d[~m.treat].min()), min(d[m.treat].max(), d[~m.treat].max())
    assert ((d[~kept] < lo) | (d[~kept] > hi)).all()


def test_risk_ratio_sits_next_to_every_difference(result):
    e = result.effects
    assert {"risk_ratio", "rr_ci_low", "rr_ci_high", "relative_change", "n_control_persons"} <= set(e.columns)
    ok = e["control_mean"] > 0
    assert np.allclose(e.loc[ok, "risk_ratio"], e.loc[ok, "treated_mean"] / e.loc[ok, "control_mean"])
    assert np.allclose(e["relative_change"], e["risk_ratio"] - 1, equal_nan=True)
    both = ok & e["rr_ci_low"].notna()
    assert (e.loc[both, "rr_ci_low"] <= e.loc[both, "risk_ratio"]).all()
    assert (e.loc[both, "risk_ratio"] <= e.loc[both, "rr_ci_high"]).all()
    # n_control counts rows (person-weeks), n_control_persons the persons among them
    assert (e["n_control_persons"] <= e["n_control"]).all()
    flow = result.flow.set_index("step")
    assert (e["n_control_persons"] == flow.loc["matched", "pool_persons"]).all()


def test_adjusted_effects_and_sensitivity_at_the_horizon(synth, result):
    adj = result.adjusted.set_index("outcome")
    truth = synth[1]["outcomes"]
    for o in ("exit_beskaeftiget", "exit_vikar", "exit_tilbagetrukket"):
        r = adj.loc[o]
        assert r["month"] == 7 and r["se"] > 0 and "regression" in r["method"]
        assert abs(r["att"] - truth[o]["att"][6]) < 3 * r["se"]  # the known effect, adjusted
    s = result.sensitivity.set_index("outcome")
    assert set(s["test"]) == {"binary"}
    vikar = s.loc["exit_vikar"]
    if vikar["p_value"] < 0.05:
        assert vikar["gamma_critical"] > 1
        g = result.gamma[result.gamma["outcome"] == "exit_vikar"].set_index("gamma")["p_upper"]
        assert g.is_monotonic_increasing and g.loc[1.0] == pytest.approx(vikar["p_value"])
    from virkning.estimate import evalue_rr
    assert vikar["evalue"] == pytest.approx(evalue_rr(vikar["risk_ratio"]))
    assert vikar["strongest_odds_ratio"] >= 1


def test_published_counts_of_persons_go_through_the_gate(synth, result):
    from virkning.analyses.effect.publish import EffectResult, declare, ps_distribution, tables
    from virkning.disclosure import Place

    er = EffectResult(result, None, {"outcomes": [{"name": o.name, "kind": o.kind} for o in result.design.outcomes]})
    t = tables(er)
    model = declare(er, t)
    # n_control_persons is declared as a count of persons, printed in every row of the effects table
    places = {p for key, ps in model.places.items() if key[0] == "n_persons" for p in ps}
    assert places == {Place("effects", i, "n_control_persons") for i in range(len(t["effects"]))}
    assert {"adjusted", "sensitivity", "sensitivity_gamma"} <= set(t)
    # the score's distribution: shares per merged bin, each bin 0 or at least the threshold in every group and in
    # the all-minus-matched differences
    bins = result.ps_bins
    dist = pd.DataFrame(ps_distribution(bins, 5))
    for (s_, g), f in dist.groupby(["sample", "group"]):
        assert f["share"].sum() == pytest.approx(1.0)
        n = bins[(bins["sample"] == s_) & (bins["group"] == g)]["n"].sum()
        counts = (f["share"] * n).round(6)
        assert ((counts == 0) | (counts >= 5)).all()


def test_ps_bins_merge_a_small_tail_into_enough_neighbours():
    from virkning.analyses.effect.publish import ps_distribution

    counts = {("All", "Treated"): [0, 3, 10, 10, 0, 1], ("All", "Control"): [50, 60, 70, 80, 90, 100],
              ("Matched", "Treated"): [0, 3, 10, 10, 0, 1], ("Matched", "Control"): [0, 4, 9, 10, 0, 1]}
    bins = pd.DataFrame([{"sample": s, "group": g, "bin": i, "low": float(i), "high": i + 1.0, "n": n}
                         for (s, g), v in counts.items() for i, n in enumerate(v)])
    dist = pd.DataFrame(ps_distribution(bins, 5))
    for (s, g), f in dist.groupby(["sample", "group"], sort=False):
        n = np.array([sum(counts[(s, g)][int(lo):int(hi)]) for lo, hi in zip(f["low"], f["high"])])
        assert ((n == 0) | (n >= 5)).all(), (s, g, n)
        assert f["share"].to_numpy() == pytest.approx(n / sum(counts[(s, g)]))
    # the tail [0, 1] joins [10] and then needs nothing more; the first bin of zeros stays apart
    assert dist[dist["sample"] == "Matched"]["high"].tolist()[:2] == [1.0, 3.0]
    assert dist["high"].max() == 6.0


def test_rematch_bootstrap_runs_through_the_pipeline(synth, result, cache):
    """se: rematch: every outcome's SE from replicates that re-estimate the score and match again; same estimates,
    outcomes read for the rows the replicates matched, and the SEs of the same order as the fixed-sets bootstrap."""
    ev = evaluate(synth[0], seniorvikar_design(se="rematch", n_boot=30, adjust="none", sensitivity=False),
                  cache=cache)
    e, base = ev.effects, result.effects
    assert np.allclose(e["att"], base["att"]) and np.allclose(e["risk_ratio"], base["risk_ratio"], equal_nan=True)
    assert e["method"].str.contains("re-matching").all()
    ratio = e["se"] / base["se"]
    assert ((ratio > 0.5) & (ratio < 2)).all()
    assert np.allclose(e["ci_high"] - e["att"], 1.959964 * e["se"], rtol=1e-5)  # normal intervals
    assert ev.adjusted.empty and ev.sensitivity.empty and "rematch" in ev.timings


def test_covariate_caliper_and_antiexact_hold_in_every_pair(synth, cache):
    """Design keys passed through to the matcher: every pair differs in education (anti-exact) and is within two
    years of age (a caliper in the covariate's own units)."""
    import dataclasses

    design = dataclasses.replace(seniorvikar_design(), caliper={"distance": 0.5, "age": 2.0}, std_caliper=False,
                                 antiexact=("education",), subgroups=(), sensitivity=False)
    assert design.caliper == (("distance", 0.5), ("age", 2.0))
    ev = evaluate(synth[0], design, cache=cache)
    d, pairs = ev.data, ev.matching.pairs
    assert len(pairs) > 50
    t, c = d.loc[pairs["treated"]], d.loc[pairs["control"]]
    assert (t["education"].to_numpy() != c["education"].to_numpy()).all()
    assert (np.abs(t["age"].to_numpy(float) - c["age"].to_numpy(float)) <= 2.0).all()
    assert ev.matching.info.antiexact == ("education",) and dict(ev.matching.info.caliper_widths) == {"age": 2.0}


def test_the_evaluation_reads_in_a_notebook(result):
    """repr and _repr_html_: the matched counts as whole numbers and each outcome's effect at its horizon."""
    head = result.headline()
    assert list(head["outcome"]) == [o.name for o in result.design.outcomes]
    assert (head["month"] == 7).all() and str(head["n_treated"].dtype) == "Int64"
    row = result.effect_at("exit_vikar", 7)
    got = head.set_index("outcome").loc["exit_vikar"]
    assert got["att"] == row["att"] and got["n_treated"] == int(row["n_treated"])
    text = repr(result)
    n = int(result.matching.info.n_treated_matched)
    assert text.startswith(f"Effect evaluation: {n:,} of ") and "exit_vikar" in text and ".0 " not in text.split("\n")[0]
    html = result._repr_html_()
    assert html.count("<table") == 2 and "Effects at the horizon" in html


def test_outcome_columns_hold_the_read_rows_values_and_nothing_else():
    """The outcome columns of a large risk set are sparse (numbers) or categories (text): every reader sees exactly
    the values a dense column with missing values elsewhere would give."""
    from virkning.analyses.effect.pipeline import _spread

    Y = pd.DataFrame({"followup": np.array([3, 7, 0], dtype=np.int32), "exit_x_1": [1.0, np.nan, 0.0],
                      "status_1": pd.array(["ledig", None, "beskæftiget"], dtype=object),
                      "first_x": pd.array([2, None, 5], dtype="Int32")})
    rows = np.array([4, 1, 6])
    got = _spread(Y, rows, 8)
    dense = Y.set_axis(rows).reindex(range(8))
    assert isinstance(got["followup"].dtype, pd.SparseDtype) and got["status_1"].dtype == "category"
    for c in ["followup", "exit_x_1"]:
        np.testing.assert_array_equal(got[c].to_numpy(dtype=float, na_value=np.nan), dense[c].to_numpy(float))
    assert got["followup"].array.sp_index.npoints == 3  # only the read rows are stored
    assert got["status_1"].isna().tolist() == dense["status_1"].isna().tolist()
    assert (got["status_1"] == "ledig").tolist() == (dense["status_1"] == "ledig").tolist()
    assert got["first_x"].tolist() == dense["first_x"].tolist()


def test_exact_cells_are_the_groups_of_their_values():
    # The exact cells (pipeline._cells) must group rows as a groupby over the values after `_categorical` does:
    # a missing text the same as the level "(mangler)" (also one written so), a missing number a value of its own,
    # Arrow text, object text and numbers alike.
    from virkning.analyses.effect.pipeline import MISSING_LEVEL, _categorical, _cells

    rng = np.random.default_rng(3)
    n = 2_000
    frame = pd.DataFrame({
        "index_week": pd.array(rng.choice(["2018-W01", "2018-W02", None], n), dtype="str"),
        "sex": pd.array(rng.choice(["M", "K", None], n), dtype="str"),
        "region": pd.array(rng.choice(["Hovedstaden", MISSING_LEVEL, None], n), dtype="str"),
        "a_kasse": np.array(rng.choice(["3F", "HK", None], n), dtype=object),
        "age": np.where(rng.random(n) < 0.1, np.nan, rng.integers(50, 53, n)),
    })
    exact = ["sex", "region", "a_kasse", "age"]
    got = _cells(frame, ["index_week", *exact], text=exact)
    want = _categorical(frame.copy(), exact).groupby(["index_week", *exact], sort=False, dropna=False).ngroup()
    assert (pd.factorize(got)[0] == pd.factorize(want.to_numpy())[0]).all()
    assert len(np.unique(got)) > 100  # 3 x 3 x 2 x 3 x 4 combinations, most of them present
    # text given as codes into levels (Panel.text_codes: -1 missing), as the persons' columns are: the same cells
    coded = {}
    for c in ("sex", "region"):
        codes, levels = pd.factorize(frame[c])  # missing: -1
        coded[c] = (codes, list(levels))
    assert MISSING_LEVEL in coded["region"][1]
    by_codes = _cells(frame.drop(columns=["sex", "region"]), ["index_week", *exact], text=exact, coded=coded)
    assert (pd.factorize(by_codes)[0] == pd.factorize(want.to_numpy())[0]).all()


def test_exact_cells_from_codes_equal_those_from_values(synth, monkeypatch):
    """The persons' text groups the exact cells as codes (Panel.text_codes), its strings made for the kept pairs
    only; the kept pairs, their columns and the flow must be what grouping the values gives, also with a number
    (age) among the exact variables, which is grouped by its values."""
    import dataclasses

    from virkning.analyses.effect import RunCache
    from virkning.panel import Panel

    design = dataclasses.replace(seniorvikar_design(), exact=("sex", "age", "region"), subgroups=(),
                                 sensitivity=False)
    by_codes = evaluate(synth[0], design, cache=RunCache())
    monkeypatch.setattr(Panel, "text_codes", lambda self, pk, names: {})
    by_values = evaluate(synth[0], design, cache=RunCache())
    pd.testing.assert_frame_equal(by_codes.flow, by_values.flow)
    assert any(s.startswith("pool: in an exact cell") for s in by_codes.flow["step"])  # the cells drop someone
    pd.testing.assert_frame_equal(by_codes.data, by_values.data)
    assert list(by_codes.data.columns[5:8]) == ["sex", "age", "region"]
    # the month labels are made for the kept pairs only: a pool pair's is its index week's month (the Thursday's)
    from virkning.registers import calendar

    pool = by_codes.data[by_codes.data["treat"] == 0]
    weeks = [calendar.parse_week(w) for w in pool["index_week"]]
    assert pool["index_month"].tolist() == [calendar.month_label(calendar.week_month(w)) for w in weeks]
    pd.testing.assert_frame_equal(by_codes.matching.pairs, by_values.matching.pairs)


def test_an_exact_variable_named_twice_is_an_error_of_the_design(synth):
    # Text exact variables group the cells as codes (Panel.text_codes); a name given twice must still be the
    # covariates' clear error, not an internal one.
    import dataclasses

    from virkning.analyses.effect import RunCache
    from virkning.errors import CovariateNameError

    design = dataclasses.replace(seniorvikar_design(), exact=("sex", "region", "sex"), subgroups=(), sensitivity=False)
    with pytest.raises(CovariateNameError, match=r"covariate names repeat: \['sex'\]"):
        evaluate(synth[0], design, cache=RunCache())

"""The effect evaluation on synthetic registers with a known effect (truth.json from common random numbers)."""

import json

import numpy as np
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
def result(synth):
    return evaluate(synth[0], seniorvikar_design())


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
    assert flow.loc["excluded: employed in the index month (employment_at_0 > 0)", "participants"] == truth["n_population"]
    assert flow.loc["matched", "participants"] == result.matching.info.n_treated_matched
    assert result.effects.groupby("outcome")["n_treated"].first().eq(flow.loc["matched", "participants"]).all()
    # exact on index week, sex and region: every pair agrees on them
    d = result.data
    pairs = result.matching.pairs
    for col in ("index_week", "sex", "region"):
        assert (d.loc[pairs["treated"], col].to_numpy() == d.loc[pairs["control"], col].to_numpy()).all()
    assert result.balance.n_imbalanced <= 3


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


def test_robustness_variants_run_the_same_way(synth, result):
    from virkning.analyses.effect import robustness
    from virkning.populations import PoolRule

    units = tuple(sorted(result.populations.participants["unit"].unique())[:7])
    d = seniorvikar_design(outcomes=(Outcome("exit_vikar", "first_exit", "vikar", 7),))
    _, rob = robustness(synth[0], d, {
        "first seven projects": {"participants": d.participants.__class__(d.participants.event, d.participants.start,
                                                                          d.participants.end, units)},
        "no spell length": {"covariates": tuple(c for c in d.covariates if c != "spell_weeks")},
        "pool aged 55-65": {"pool": PoolRule(age=(55, 65), states={-1: "ledig", 0: "ledig"})},
    })
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

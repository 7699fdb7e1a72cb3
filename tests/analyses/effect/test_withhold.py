"""What the gate withholds when a few participants fall outside the common support (registered - matched = 1).

The shared synthetic folder (110,000 persons, seed 2024) leaves exactly one participant outside the common support
of the propensity score under `discard: both`. All = Matched + Unmatched + Discarded then gives the 1 away, so one
of All and Matched must be withheld: the gate must withhold the counts before matching (the flow's rows before the
common-support step and the sample sizes' All), not the matched sample every effect rests on. The independent
audit re-reads the written tables and must find nothing.
"""

import json

import pandas as pd
import pytest

from virkning.analyses.effect import evaluate
from virkning.analyses.effect.publish import RESULT_TABLES, EffectResult, publish
from virkning.demo import seniorvikar_design
from virkning.disclosure.audit import audit
from virkning.outputs import csv_bytes, json_bytes
from virkning.populations import PoolRule
from virkning.registers import load


@pytest.fixture(scope="module")
def published(synth_folder, tmp_path_factory):
    regs = load(synth_folder)
    # the demo's design before it followed seed 000's exact cells (score on sex, origin and region, exact on sex and
    # region, ages at the index date), with discard: both: the situation of the defect on this folder
    design = seniorvikar_design(outcomes=seniorvikar_design().outcomes[:1], subgroups=(), n_boot=19,
                                sensitivity=False, adjust="none", discard="both", exact=("sex", "region"),
                                covariates=("age", "sex", "origin", "education", "region", "weeks_ledig_156w",
                                            "weeks_passiv_ledig_52w", "weeks_sygdom_156w", "employment_36m",
                                            "spell_weeks"),
                                pool=PoolRule(age=(50, 65), states={-1: "ledig", 0: "ledig"},
                                              exclude_municipalities="participants"))
    ev = evaluate(regs, design)
    regs.close()
    er = EffectResult(ev, None, {"outcomes": [{"name": o.name, "kind": o.kind} for o in design.outcomes]})
    raw = er.tables()
    out = publish(er, 5)[0]
    folder = tmp_path_factory.mktemp("withhold")
    (folder / "results").mkdir()
    for name, frame in out.tables.items():
        (folder / "results" / f"{name}.csv").write_bytes(csv_bytes(frame))
    (folder / "results" / "results.json").write_bytes(json_bytes(dict(out.bundle)))
    return raw, out, folder


def test_one_participant_outside_the_common_support_withholds_the_flow_not_the_effects(published):
    raw, out, folder = published
    sizes = raw["sample_sizes"].set_index("sample")["Treated"]
    assert 1 <= sizes["Discarded"] <= 4 and sizes["Unmatched"] == 0  # the situation of the defect
    assert sizes["All"] - sizes["Matched"] == sizes["Discarded"]
    p = {k: v for k, v in out.tables.items()}
    shown = p["sample_sizes"].set_index("sample")["Treated"]
    # the matched sample and every effect's group sizes stay published (on main all were withheld)
    assert shown["Matched"] == sizes["Matched"] and pd.isna(shown["Discarded"])
    eff = p["effects"]
    assert (eff["n_treated"] == sizes["Matched"]).all() and eff["n_control"].notna().all()
    assert eff["att"].notna().sum() >= 5 and eff["treated_mean"].notna().sum() >= 5
    # instead the counts before matching are withheld: All and the flow's rows down to the common-support step
    assert pd.isna(shown["All"])
    flow = p["flow"].set_index("step")["participants"]
    before = [s for s in flow.index if s.startswith(("excluded", "pool: in an exact cell"))]
    assert before and flow[before].isna().all()
    assert flow["matched"] == sizes["Matched"] and flow["registered (event in window)"] > 0
    bundle = json.loads((folder / "results" / "results.json").read_text())
    assert bundle["sample_sizes"]["Matched"]["Treated"] == sizes["Matched"]


def test_the_written_tables_pass_the_audit(published):
    assert audit(published[2]) == []

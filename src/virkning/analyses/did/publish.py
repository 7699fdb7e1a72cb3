"""What a difference-in-differences analysis publishes, through the one disclosure gate.

The counts are in the indicator table (persons, numerators, denominators per unit and period), declared as
`virkning.indicators.protect` says. Every other table is computed from the values that table shows: the estimates
ran on the published cells only (hidden cells are missing to them), the trends are means of published values and
the person-level cells are sums of published counts, so they reveal nothing the indicator table does not and
declare no counts of their own. Their unit counts (`trial_units`, `units`) count municipalities, not persons.
The gate runs once over all tables; it must hide in the indicator table exactly what the run's protection hid
(the estimates rest on that), which is checked.
"""

from __future__ import annotations

import pandas as pd

from virkning.analyses.base import Output
from virkning.analyses.did.compute import DidResult, units_table
from virkning.analyses.did.spec import PERSON_OUTCOMES
from virkning.disclosure import Model
from virkning.disclosure.gate import Gate, apply
from virkning.errors import VirkningError
from virkning.indicators import INDICATORS, declare_indicators
from virkning.indicators.protect import row_rules

INDICATOR_COLUMNS = ["indicator", "unit", "unit_name", "period", "numerator", "denominator", "value", "persons",
                     "period_weeks"]


def design_summary(result: DidResult) -> dict:
    d = result.design
    t = result.indicators
    return {
        "target_group": {"name": d.target.name, "label": list(d.target.label), "law": d.target.law},
        "period": d.period, "periods": list(t.periods), "data": t.data,
        "trial": [{"unit": u, "start": s.isoformat()} for u, s in d.trial],
        "comparison": {u: list(v) for u, v in d.comparison.items()}, "comparison_shared": d.comparison_shared,
        "indicators": list(d.indicators), "describe": list(d.describe), "person_outcomes": list(d.person_outcomes),
        "employment_lag": d.employment_lag, "interview_event": d.interview_event, "spell_gap": d.spell_gap,
        "su_weeks": d.su_weeks, "anticipation": d.anticipation, "control_group": d.control,
        "event_window": list(d.event_window), "n_boot": d.n_boot, "boot_weights": d.boot_weights, "seed": d.seed,
        "pre": [x.isoformat() for x in d.pre] if d.pre else None,
        "post": [x.isoformat() for x in d.post] if d.post else None,
        "benefit_scans": t.benefit_scans,
    }


def tables(result: DidResult) -> dict[str, pd.DataFrame]:
    """The raw publication tables (the indicator table before protection)."""
    t = result.tables
    return {
        "indicators": result.indicators.frame[INDICATOR_COLUMNS],
        "definitions": result.indicators.definitions,
        "units": units_table(result.design, result.indicators),
        "coverage": t["coverage"],
        "trends": t["trends"].drop(columns=["p"]),
        "did_2x2": t["did"],
        "twfe": t["twfe"],
        "event_study": t["event"],
        "pretrends": t["pretrend"],
        "group_time": t["group_time"],
        "aggregates": t["aggregates"],
    }


def publish(result: DidResult, threshold: int) -> list[Output]:
    raw = tables(result)
    ruled, log = row_rules(raw["indicators"], threshold)
    model = Model()
    declare_indicators(model, ruled.assign(p=result.indicators.frame["p"].to_numpy()))
    protected, outcome = apply({**raw, "indicators": ruled}, Gate(model, threshold))
    shown = protected["indicators"]["value"].notna().to_numpy()
    if (shown != result.protected["value"].notna().to_numpy()).any():
        raise VirkningError("internal: the published indicator table differs from the one the estimates used; "
                            "please report this")
    bundle = {"kind": "did", "threshold": threshold, "synthetic": result.synthetic, "design": design_summary(result),
              "notes": list(result.notes),
              "labels": {n: list(INDICATORS[n].label) for n in INDICATORS} | {n: list(v) for n, v in
                                                                              PERSON_OUTCOMES.items()}}
    return [Output(kind="did", folder="did", tables=protected, bundle=bundle, log=tuple(log + outcome.log))]

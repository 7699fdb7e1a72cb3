"""What a benchmark publishes, through the one disclosure gate: one output per target group (`benchmark/<group>/`).

The counts are in the indicator table (full-time persons per unit and month: target weeks, persons), declared as
`virkning.indicators.protect` says, and the labour force per unit (a count of persons, declared wherever it is
printed: the units table, the levels and the scoreboard). Every other number (rates, changes, the pooled and best-N
series, ranks, caseloads, the expected-level model) is computed from the values the protected indicator table
shows, so it reveals nothing that table does not and declares no counts of its own; `n_units` counts units, not
persons. The gate runs once over all tables of a group and must hide in the indicator table exactly what the run's
protection hid (the derived tables rest on that), which is checked.
"""

from __future__ import annotations

import pandas as pd

from virkning.analyses.base import Output
from virkning.analyses.benchmark.compute import BenchmarkResult, GroupResult
from virkning.disclosure import Model, Place
from virkning.disclosure.gate import Gate, apply
from virkning.errors import VirkningError
from virkning.indicators import TARGET_GROUPS, declare_indicators
from virkning.indicators.protect import row_rules

INDICATOR_COLUMNS = ["indicator", "unit", "unit_name", "period", "numerator", "denominator", "value", "persons",
                     "period_weeks"]
LABOUR_FORCE_TABLES = ("units", "levels", "scoreboard")


def units_table(g: GroupResult) -> pd.DataFrame:
    u = g.indicators.units[["unit", "unit_name", "municipalities"]].copy()
    lf = g.tables["levels"].drop_duplicates("unit").set_index("unit")["labour_force"]
    u["labour_force"] = u["unit"].map(lf)
    return u


def design_summary(result: BenchmarkResult, g: GroupResult) -> dict:
    d = result.design
    t = g.indicators
    tg = TARGET_GROUPS[g.group]
    return {"group": g.group, "target_group": {"name": tg.name, "label": list(tg.label), "law": tg.law},
            "months": list(t.periods), "month": g.month, "previous": g.previous, "year_before": g.year_before,
            "leave_out_newest": d.leave_out, "month_declared": d.month is not None, "best": d.best,
            "comparison_group": list(d.comparison), "comparison_name": d.comparison_name,
            "all_units_are_country": g.country, "labour_force": result.labour_force_source,
            "staffing": d.staffing, "covariates": d.covariates, "model": list(d.model), "level": d.level,
            "data": t.data, "benefit_scans": t.benefit_scans,
            "fit": ({"n_units": g.fit.n, "df_resid": g.fit.df_resid, "r2": g.fit.r2, "sigma": g.fit.sigma}
                    if g.fit else None)}


def _declare_labour_force(m: Model, tables: dict[str, pd.DataFrame]) -> None:
    for name in LABOUR_FORCE_TABLES:
        f = tables[name]
        for i, (u, v) in enumerate(zip(f["unit"], f["labour_force"])):
            m.count(Place(name, i, "labour_force"), ("labour_force", str(u)), v)


def publish_group(result: BenchmarkResult, g: GroupResult, threshold: int) -> Output:
    raw = {"indicators": g.indicators.frame[INDICATOR_COLUMNS], "definitions": g.indicators.definitions,
           "units": units_table(g), **g.tables}
    ruled, log = row_rules(raw["indicators"], threshold)
    model = Model()
    declare_indicators(model, ruled.assign(p=g.indicators.frame["p"].to_numpy()))
    _declare_labour_force(model, raw)
    protected, outcome = apply({**raw, "indicators": ruled}, Gate(model, threshold))
    shown = protected["indicators"]["value"].notna().to_numpy()
    if (shown != g.protected["value"].notna().to_numpy()).any():
        raise VirkningError("internal: the published indicator table differs from the one the benchmark used; "
                            "please report this")
    bundle = {"kind": "benchmark", "threshold": threshold, "synthetic": result.synthetic,
              "design": design_summary(result, g), "notes": list(g.notes)}
    return Output(kind="benchmark", folder=f"benchmark/{g.group}", tables=protected, bundle=bundle,
                  log=tuple(log + outcome.log), title=g.group)


def publish(result: BenchmarkResult, threshold: int) -> list[Output]:
    return [publish_group(result, g, threshold) for g in result.groups.values()]

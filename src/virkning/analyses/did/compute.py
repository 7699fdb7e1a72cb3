"""The run of a difference-in-differences design: indicators from the registers, the disclosure gate on them, then
the estimates on what the gate lets the indicator table show (docs/did-analysis.md).

    result = run_did(design, regs, threshold=5)
    result.indicators.frame      # raw indicator table (not for publication)
    result.tables["did"]         # 2x2 estimates, pooled and per trial unit; also twfe, event, group_time, ...

Checks against the data name the design key they concern: a window outside the data, a start after the end of
the data (or after the last period), a trial unit without a period before its start, a unit without persons, an
indicator needing interview events the data do not have.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from virkning.analyses.did.estimates import Runner, person_rows
from virkning.analyses.did.spec import SECTION, DidDesign
from virkning.errors import DesignError
from virkning.indicators import (IndicatorRequest, IndicatorTable, compute_indicators, period_label,
                                 protect_indicators)
from virkning.indicators.compute import municipalities_in_data

if TYPE_CHECKING:
    from virkning.registers import Registers


@dataclass(frozen=True)
class DidResult:
    """Raw indicators, the protected indicator values the estimates use, and the estimate tables."""

    design: DidDesign = field(repr=False)
    indicators: IndicatorTable
    protected: pd.DataFrame = field(repr=False)
    tables: dict = field(repr=False)
    notes: tuple[str, ...]
    gate_log: tuple[str, ...] = field(repr=False)
    threshold: int = 5
    synthetic: bool = False

    def to_frames(self) -> dict[str, pd.DataFrame]:
        return dict(self.tables)


def _request(d: DidDesign, language: str) -> IndicatorRequest:
    key = f"{SECTION}."
    return IndicatorRequest(
        target=d.target, period=d.period, indicators=d.computed(), units=d.units, first=d.first, last=d.last,
        employment_lag=d.employment_lag, event=d.interview_event, spell_gap=d.spell_gap, su_weeks=d.su_weeks,
        where={"period": key + "period", "indicators": key + "indicators", "units": key + "trial/comparison",
               "first": key + "from", "last": key + "to", "event": key + "interview_event",
               "employment_lag": key + "employment_lag", "spell_gap": key + "spell_gap", "su_weeks": key + "su_weeks"})


def _check_starts(d: DidDesign, table: IndicatorTable, lo: int, hi: int) -> None:
    """Every trial unit starts inside the window and has a period (plus the anticipation) before its start."""
    for u, start in d.trial:
        where = d.index.get(u, SECTION + ".trial")
        s = d.start_period(u)
        if s > hi:
            beyond = "after the end of the data" if d.last is None else "after the last period ('to')"
            raise DesignError(f"{where}.start: {start.isoformat()} ({period_label(s, d.period)}) is {beyond} "
                              f"({table.data['last_week']}, last whole {d.period} {period_label(hi, d.period)}); the "
                              "unit is never treated in the data: leave it out or use data that reach its start")
        if s - d.anticipation <= lo:
            raise DesignError(f"{where}.start: {start.isoformat()} leaves no {d.period} before the start"
                              f"{' less the anticipation' if d.anticipation else ''} in the data (first whole {d.period} "
                              f"{period_label(lo, d.period)}); a trial unit needs a pre-period: leave it out or use "
                              "data that begin earlier")


def trends(panel: pd.DataFrame, d: DidDesign) -> pd.DataFrame:
    """Mean of the published values of trial and comparison units per indicator and period (unweighted, as the
    unit-level estimators weight units)."""
    role = {u: "trial" for u in d.trial_units} | {u: "comparison" for u in d.comparison_units}
    f = panel.assign(group=panel["unit"].map(role)).dropna(subset=["value"])
    out = f.groupby(["indicator", "p", "group"], sort=False).agg(mean=("value", "mean"), units=("unit", "nunique"))
    out = out.reset_index()
    out["period"] = [period_label(p, d.period) for p in out["p"]]
    return out[["indicator", "period", "p", "group", "mean", "units"]].sort_values(["indicator", "p", "group"],
                                                                                     ignore_index=True)


def coverage(raw: pd.DataFrame, protected: pd.DataFrame) -> pd.DataFrame:
    """Per indicator: unit-periods, with a value, and hidden by the disclosure rules (the estimates leave them out)."""
    r = raw.assign(has=raw["value"].notna(), shown=protected["value"].notna())
    g = r.groupby("indicator", sort=False).agg(unit_periods=("value", "size"), with_value=("has", "sum"),
                                               shown=("shown", "sum"))
    g["hidden"] = g["with_value"] - g["shown"]
    return g.reset_index()


def _check_units(d: DidDesign, regs: "Registers") -> None:
    """Every unit has persons in the data (a unit without persons has no indicators at all)."""
    present = set(municipalities_in_data(regs))
    for u, codes in d.units.items():
        if not set(codes) & present:
            where = d.index.get(u, f"{SECTION}.comparison") + ("" if u not in d.index else ".unit")
            raise DesignError(f"{where}: no person in the persons table lives in {u} "
                              f"({', '.join(codes)}); check the unit, or the data folder")


def run_did(d: DidDesign, regs: "Registers", *, threshold: int, language: str = "da", synthetic: bool = False,
            progress=lambda message: None) -> DidResult:
    _check_units(d, regs)
    progress("register indicators")
    table = compute_indicators(regs, _request(d, language), language=language)
    lo, hi = int(table.frame["p"].min()), int(table.frame["p"].max())
    _check_starts(d, table, lo, hi)
    progress("disclosure control of the indicators")
    protected, outcome = protect_indicators(table.frame, threshold)
    names = dict(zip(table.units["unit"], table.units["unit_name"]))
    runner = Runner(d, lo, hi, names)
    progress("difference-in-differences")
    for i, name in enumerate(d.indicators):
        f = protected.loc[protected["indicator"] == name, ["unit", "p", "value"]].rename(columns={"value": "y"})
        f["unit"] = f["unit"].to_numpy(dtype=object)  # plain strings: pandas' Arrow strings slow every groupby
        runner.outcome(name, f.dropna(subset=["y"]), "unit-period", d.seed + 101 * i)
    for j, name in enumerate(d.person_outcomes):
        rows = person_rows(protected)
        runner.outcome(name, rows, "person", d.seed + 101 * (len(d.indicators) + j))
    tables = runner.out.frames()
    tables["trends"] = trends(protected, d)
    tables["coverage"] = coverage(table.frame, protected)
    tables["did"] = tables["did"].assign(comparison_name=tables["did"]["comparison"].map(
        lambda u: names.get(u, "") if u != "pooled" else ""))
    return DidResult(design=d, indicators=table, protected=protected, tables=tables, notes=tuple(runner.out.notes),
                     gate_log=tuple(outcome.log), threshold=threshold, synthetic=synthetic)


def units_table(d: DidDesign, table: IndicatorTable) -> pd.DataFrame:
    """The design's units: role, start, first treated period and comparison set."""
    names = dict(zip(table.units["unit"], table.units["unit_name"]))
    munis = dict(zip(table.units["unit"], table.units["municipalities"]))
    rows = []
    for u, start in d.trial:
        rows.append({"unit": u, "unit_name": names.get(u, u), "municipalities": munis.get(u, u), "role": "trial",
                     "start": start.isoformat(), "first_treated": period_label(d.start_period(u), d.period),
                     "comparison_set": " ".join(d.comparison[u])})
    for u in d.comparison_units:
        rows.append({"unit": u, "unit_name": names.get(u, u), "municipalities": munis.get(u, u), "role": "comparison",
                     "start": "", "first_treated": "", "comparison_set": ""})
    return pd.DataFrame(rows)

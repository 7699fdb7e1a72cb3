"""Monthly status: the funnel, success criteria and register-based results per project and in total, as raw tables.

    steps = step_frame(config, registration.data)          # one row per citizen and project (person-level)
    tables = month_tables(config, steps, registration, month_ordinal, regs)

A citizen has passed a funnel step when its column is yes (bool) or filled (date and other types). The step's
date (its own date column, the date in `date_column`, or else the index date) places it in a month:
`cumulative` counts steps dated up to the end of the month, `month` those dated in the month, and `cohort` follows the
month's new citizens: those whose first step (the invitation) is dated in the month, and how many of them have reached
each later step by the end of the month. Shares are always shares of one group of persons: in `cumulative` of those who
reached the first step to date, in `cohort` of the month's new citizens; the `month` counts are different persons at
each step (invited in one month, attending in the next), so they carry no shares (a month's 66 attending against its 36
invited is not 183 % of anyone). These tables are not published as they are: `virkning.analyses.monitoring.publish`
passes them through the disclosure gate.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from virkning.analyses.monitoring.registration import Registration
from virkning.analyses.monitoring.spec import MonitoringConfig
from virkning.errors import VirkningError
from virkning.registers import calendar

if TYPE_CHECKING:
    from virkning.registers import Registers

TOTAL = "I alt"
PERIODS = ("cumulative", "month", "cohort")
COUNT_PERIODS = ("cumulative", "month")  # count criteria: reached to date and in the month
SHARE_PERIODS = ("cumulative", "cohort")  # share criteria: of one group of persons (never a flow over a stock)


class MonitoringError(VirkningError):
    """A monitoring request that cannot be answered (bad month, no citizens, unknown column)."""


def month_ordinal(month: str) -> int:
    """YYYY-MM -> month ordinal (registers/calendar.py), with monitoring's message."""
    try:
        return calendar.parse_month(month)
    except ValueError:
        raise MonitoringError(f"'{month}' is not a month; write it as YYYY-MM, e.g. 2018-06") from None


month_label = calendar.month_label


def _mo(d) -> float:
    if d is None or (isinstance(d, float) and math.isnan(d)) or d is pd.NaT:
        return np.nan
    return d.year * 12 + d.month - 1


# ---- citizen-level steps ---------------------------------------------------------------------------------------

def step_frame(config: MonitoringConfig, data: pd.DataFrame) -> pd.DataFrame:
    """One row per citizen and project (in the sheet's order, with its `_row` when present): person, unit, index
    date and month `mo_index`, and per step `<step>` (0/1), `date_<step>` (the date that places it: its own date
    column, its `date_column`, else the index date; None if not passed) and `mo_<step>` (its month, NaN if not
    passed). This is the one rule for when a step was passed, used by the status and by the portal's export."""
    g = config.registration
    index_col = g.index_column if g.layout == "per_citizen" else g.index_event
    out = pd.DataFrame({
        "person_id": data[g.person_column].astype(str).to_numpy(),
        "unit": data[g.unit_column].astype(str).to_numpy(),
        "index_date": data[index_col].to_numpy(),
    })
    out["mo_index"] = [_mo(d) for d in out["index_date"]]
    for step in config.funnel:
        src = step.source
        col = data[src] if src in data.columns else pd.Series([None] * len(data))
        column = g.column(src) if g.layout == "per_citizen" else None
        ctype = column.type if column else "date"
        if ctype == "bool":
            passed = np.array([v is True or v == 1 for v in col], dtype=bool)
        else:
            passed = np.array([v is not None and not (isinstance(v, float) and math.isnan(v)) and v is not pd.NaT
                               for v in col], dtype=bool)
        if step.date_column:
            dates = data[step.date_column]
        elif ctype == "date":
            dates = col
        else:
            dates = data[index_col]
        mo = np.array([_mo(d) for d in dates], dtype=float)
        missing = np.isnan(mo)
        mo = np.where(missing, out["mo_index"].to_numpy(dtype=float), mo)
        out[step.name] = passed.astype(int)
        out["date_" + step.name] = [(i if m else d) if p else None
                                    for d, i, m, p in zip(dates, out["index_date"], missing, passed)]
        out["mo_" + step.name] = np.where(passed, mo, np.nan)
    if "_row" in data.columns:
        out["_row"] = data["_row"].to_numpy()
    return out


def _counted(steps: pd.DataFrame, step: str, mo: int, period: str, first: str | None = None) -> np.ndarray:
    """Who is counted in `step` in the period (a boolean per row). `cohort` needs the first step's name: the month's
    new citizens are those whose first step is dated in the month."""
    m = steps["mo_" + step].to_numpy(dtype=float)  # runs for every unit, step and period: numpy keeps it cheap
    if period == "cumulative":
        return m <= mo
    if period == "month":
        return m == mo
    if first is None:
        raise MonitoringError("a cohort count needs the funnel's first step")
    return (steps["mo_" + first].to_numpy(dtype=float) == mo) & (m <= mo)


def _count(steps: pd.DataFrame, step: str, mo: int, period: str, first: str | None = None) -> int:
    return int(_counted(steps, step, mo, period, first).sum())


def nested(sub: pd.DataFrame, a: str, b: str, mo: int, period: str, first: str | None = None) -> bool:
    """Every person counted in step b (in the period) is counted in step a too: the difference is a group of
    persons (those who stopped after a)."""
    in_a, in_b = _counted(sub, a, mo, period, first), _counted(sub, b, mo, period, first)
    return not bool((in_b & ~in_a).any())


def _funnel_table(config: MonitoringConfig, steps: pd.DataFrame, units: list[str], mo: int) -> pd.DataFrame:
    """Persons per step, unit and period; `within_previous` says whether the step's persons are all among the
    previous step's (then share_of_previous is a share of that group, and the difference is who stopped)."""
    rows = []
    head = config.funnel[0].name
    for unit in [*units, TOTAL]:
        sub = steps if unit == TOTAL else steps[steps["unit"] == unit]
        for period in PERIODS:
            first = prev = None
            shares = period in SHARE_PERIODS  # the month's counts are different persons at each step: no shares
            for i, step in enumerate(config.funnel):
                n = _count(sub, step.name, mo, period, head)
                within = nested(sub, config.funnel[i - 1].name, step.name, mo, period, head) if i else None
                rows.append({"unit": unit, "period": period, "step": step.name, "label": step.label or step.name,
                             "order": i + 1, "persons": n,
                             "share_of_previous": (n / prev) if (prev and shares) else None,
                             "share_of_first": (n / first) if (first and shares) else None,
                             "within_previous": within,
                             "_prev": prev, "_first": first})
                if i == 0:
                    first = n
                prev = n
    return pd.DataFrame(rows)


def _criteria_table(config: MonitoringConfig, steps: pd.DataFrame, units: list[str], mo: int) -> pd.DataFrame:
    rows = []
    n_units = len(units)
    subs = {TOTAL: steps, **{unit: steps[steps["unit"] == unit] for unit in units}}
    head = config.funnel[0].name
    for c in config.success_criteria:
        for unit in ([*units, TOTAL] if c.per == "project" else [TOTAL]):
            sub = subs[unit]
            for period in (COUNT_PERIODS if c.kind == "count" else SHARE_PERIODS):
                num = _count(sub, c.numerator, mo, period, head)
                den = _count(sub, c.denominator, mo, period, head) if c.denominator else None
                value: float | None
                tmin: float | None
                tmax: float | None
                if c.kind == "count":
                    value = float(num)
                    scale = n_units if (unit == TOTAL and c.per == "project") else 1
                    tmin, tmax = c.target_min * scale, c.target_max * scale
                    if period == "month":
                        tmin = tmax = None
                else:
                    value = num / den if den else None
                    tmin, tmax = c.target_min, c.target_max
                ach = value / tmin if (value is not None and tmin) else None
                rows.append({"unit": unit, "period": period, "criterion": c.name, "label": c.label or c.name,
                             "kind": c.kind, "numerator_step": c.numerator, "denominator_step": c.denominator,
                             "numerator": num, "denominator": den, "value": value,
                             "target_min": tmin, "target_max": tmax, "achievement": ach,
                             "met": (value >= tmin) if (value is not None and tmin is not None) else None})
    return pd.DataFrame(rows, columns=["unit", "period", "criterion", "label", "kind", "numerator_step",
                                       "denominator_step", "numerator", "denominator", "value", "target_min",
                                       "target_max", "achievement", "met"])


# ---- register-based results -------------------------------------------------------------------------------------

def employment_rows(config: MonitoringConfig, steps: pd.DataFrame, regs: "Registers", mo: int) -> pd.DataFrame:
    """The registered citizens' employment rows every report up to month `mo` can reach (read once: the register is
    scanned once for a whole run of monthly reports)."""
    rr = config.register_results
    first = int(np.nanmin(steps["mo_index"])) if len(steps) else mo
    follow = max(mo, int(np.nanmax(steps["mo_index"])) + rr.employment_after_weeks // 4 + 2) if len(steps) else mo
    return regs.panel().employment_rows(steps["person_id"], first, follow)


def register_results(config: MonitoringConfig, steps: pd.DataFrame, data: pd.DataFrame, regs: "Registers",
                     mo: int, rows: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Employment `employment_after_weeks` after the index (per unit and in total), and temp-agency months since the
    index by industry and by hours band, up to month `mo`."""
    rr = config.register_results
    panel = regs.panel()
    end_mo = panel.end_month()
    if rows is None:
        rows = employment_rows(config, steps, regs, mo)
    part = steps[steps["mo_index"] <= mo][["person_id", "unit", "index_date", "mo_index"]].copy()
    part["follow_date"] = [d + dt.timedelta(weeks=rr.employment_after_weeks) for d in part["index_date"]]
    part["follow_mo"] = [_mo(d) for d in part["follow_date"]]
    part["followed"] = part["follow_mo"] <= min(mo, end_mo)
    # the register is read once: the participants' rows in every month either result below can reach
    emp_rows = rows[rows["mo"] <= max(mo, int(max(part["follow_mo"], default=mo)))]
    at_follow = part[["person_id", "unit", "follow_mo"]].astype({"follow_mo": "int64"}).merge(
        emp_rows[["person_id", "mo", "employment_rate"]], left_on=["person_id", "follow_mo"],
        right_on=["person_id", "mo"], how="left")
    at_follow["employed"] = (at_follow["employment_rate"] > 0).astype(int)
    emp = at_follow.groupby(["person_id", "unit"], as_index=False)["employed"].max()
    part = part.merge(emp, on=["person_id", "unit"], how="left")
    part["employed"] = part["employed"].fillna(0).astype(int)
    emp_out = []
    units = sorted(steps["unit"].unique())
    for unit in [*units, TOTAL]:
        sub = part if unit == TOTAL else part[part["unit"] == unit]
        fol = sub[sub["followed"]]
        n, k = int(len(fol)), int(fol["employed"].sum())
        emp_out.append({"unit": unit, "weeks_after": rr.employment_after_weeks, "persons": n, "employed": k,
                     "share_employed": k / n if n else None})
    employment = pd.DataFrame(emp_out)
    # temp-job months from the index month to the report month
    from_step = rr.temp_from_step
    who = steps if from_step is None else steps[steps[from_step] == 1]
    who = who[who["mo_index"] <= mo][["person_id", "unit", "mo_index"]].copy()
    use_sheet = bool(rr.industry_column and rr.industry_column in data.columns)
    if use_sheet:
        g = config.registration
        lab = data[[g.person_column, g.unit_column, rr.industry_column]].rename(
            columns={g.person_column: "person_id", g.unit_column: "unit", rr.industry_column: "sheet_industry"})
        lab["person_id"] = lab["person_id"].astype(str)
        who = who.merge(lab, on=["person_id", "unit"], how="left")
    else:
        who["sheet_industry"] = None
    who["sheet_industry"] = who["sheet_industry"].astype(object).where(who["sheet_industry"].notna(), None)
    who["mo_index"] = who["mo_index"].astype("int64")
    temp = emp_rows[emp_rows["temp_agency"].fillna(False).astype(bool) & (emp_rows["employment_rate"] > 0)
                    & (emp_rows["mo"] <= int(mo))]
    tm = who.merge(temp, on="person_id", how="inner")
    tm = tm[tm["mo"] >= tm["mo_index"]]
    tm = pd.DataFrame({
        "person_id": tm["person_id"].to_numpy(), "unit": tm["unit"].to_numpy(), "mo": tm["mo"].to_numpy(),
        "employment_rate": tm["employment_rate"].to_numpy(),
        "hours": tm["hours"].fillna(tm["employment_rate"] * rr.full_time_hours).to_numpy(),
        "industry": (tm["sheet_industry"] if use_sheet else tm["industry"]).to_numpy()})
    bands = sorted(rr.hours_bands)

    def band(h: float) -> str:
        lo = [b for b in bands if h >= b - 1e-9]
        if not lo:
            return f"under {bands[0]:g}"
        i = bands.index(lo[-1])
        if i == len(bands) - 1:
            return f"{bands[i]:g}+ (fuld tid)" if bands[i] >= rr.full_time_hours else f"{bands[i]:g}+"
        return f"{bands[i]:g}-{bands[i + 1] - 1:g}"

    tm["industry"] = tm["industry"].fillna("Ikke oplyst")
    tm["hours_band"] = [band(h) for h in tm["hours"]]
    order = [band(b) for b in bands]

    def summarise(key: str, levels: list[str] | None) -> pd.DataFrame:
        g = tm.groupby(key).agg(months=("mo", "size"), persons=("person_id", "nunique")).reset_index()
        if levels is not None:
            g = g.set_index(key).reindex(levels, fill_value=0).reset_index()
        else:
            g = g.sort_values("months", ascending=False, kind="stable").reset_index(drop=True)
        total_months = int(g["months"].sum())
        g["share_of_months"] = g["months"] / total_months if total_months else None
        g = pd.concat([g, pd.DataFrame([{key: TOTAL, "months": total_months, "persons": int(tm["person_id"].nunique()),
                                          "share_of_months": 1.0 if total_months else None}])], ignore_index=True)
        return g.rename(columns={key: "level"})

    return {"employment": employment, "temp_industry": summarise("industry", None),
            "temp_hours": summarise("hours_band", order)}


# ---- entry points ----------------------------------------------------------------------------------------------

def programme_months(config: MonitoringConfig, registration: Registration) -> list[str]:
    """Every month of the programme: from `start` (or the first index month) to `end` (or the last step's month)."""
    steps = step_frame(config, registration.data)
    if steps.empty:
        raise MonitoringError("the registration sheet holds no valid citizens; see its violations")
    first = month_ordinal(config.start) if config.start else int(np.nanmin(steps["mo_index"]))
    mos = [steps["mo_" + s.name] for s in config.funnel]
    last = month_ordinal(config.end) if config.end else int(np.nanmax(pd.concat(mos)))
    return [month_label(m) for m in range(first, last + 1)]


def registration_summary(registration: Registration) -> pd.DataFrame:
    """Rows read, kept and broken rules of the sheet (counts of rows, for the status page)."""
    v = registration.violations
    rows = [{"item": "rows_read", "column": None, "rule": None, "rows": registration.rows_read},
            {"item": "rows_kept", "column": None, "rule": None, "rows": int(len(registration.data))},
            {"item": "violations", "column": None, "rule": None, "rows": int(len(v))}]
    if len(v):
        from virkning.analyses.monitoring.strings import general_rule

        v = v.assign(rule=[general_rule(r) for r in v["rule"]])  # a row's own details stay in the job centres' list
        for r in v.groupby(["column", "rule"]).size().reset_index(name="rows").to_dict("records"):
            rows.append({"item": "rule", **cast(dict[str, Any], r)})  # records of named columns
    return pd.DataFrame(rows, columns=["item", "column", "rule", "rows"])


def month_tables(config: MonitoringConfig, steps: pd.DataFrame, registration: Registration, mo: int,
                 regs: "Registers | None" = None, rows: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """The raw (unprotected) tables of month `mo`: funnel, criteria, and register results when registers are given."""
    if steps.empty:
        raise MonitoringError("the registration sheet holds no valid citizens; see its violations")
    units = sorted(steps["unit"].unique())
    out = {"funnel": _funnel_table(config, steps, units, mo).drop(columns=["_prev", "_first"]),
           "criteria": _criteria_table(config, steps, units, mo)}
    if regs is not None:
        out.update(register_results(config, steps, registration.data, regs, mo, rows))
    return out


def raw_tables(config: MonitoringConfig, data: pd.DataFrame, month: str) -> dict[str, pd.DataFrame]:
    """Unprotected funnel and criteria of a month (for checks inside the job centre; never publish)."""
    steps = step_frame(config, data)
    reg = Registration("", "", data, pd.DataFrame(), len(data), 0)
    return {k: v for k, v in month_tables(config, steps, reg, month_ordinal(month)).items()
            if k in ("funnel", "criteria")}


def rank(criteria: pd.DataFrame, units: list[str]) -> pd.DataFrame:
    cum = criteria[(criteria["period"] == "cumulative") & (criteria["unit"] != TOTAL)]
    if cum.empty:
        return pd.DataFrame(columns=["unit", "rank", "mean_achievement"])
    wide = cum.pivot(index="unit", columns="criterion", values="achievement").reindex(units)
    wide = wide.astype(float)
    out = pd.DataFrame({"unit": wide.index})
    out["mean_achievement"] = wide.mean(axis=1, skipna=True).to_numpy()  # over the criteria that can be shown
    out["rank"] = out["mean_achievement"].rank(ascending=False, method="min").astype("Int64")
    for c in wide.columns:
        out["rank_" + c] = wide[c].rank(ascending=False, method="min").astype("Int64").to_numpy()
    return out.sort_values(["rank", "unit"], na_position="last", kind="stable").reset_index(drop=True)[
        ["unit", "rank", "mean_achievement", *[c for c in out.columns if c.startswith("rank_")]]]



"""Monthly status: funnel, success criteria and register-based results per project and in total.

    report = monthly_status(config, registration, regs=None, month="2018-06")
    report.to_frames()          # published tables (disclosure rules applied)
    report.write_csv(out_dir)

A citizen has passed a funnel step when its column is yes (bool) or filled (date and other types). The step's
date (its own date column, the date in `date_column`, or else the index date) places it in a month:
`cumulative` counts steps dated up to the end of the month, `month` those dated in the month.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from virkning.disclosure.gate import small
from virkning.errors import VirkningError
from virkning.monitoring.config import MonitoringConfig
from virkning.monitoring.registration import Registration

if TYPE_CHECKING:
    from virkning.registers import Registers
from virkning.defaults import DISCLOSURE_THRESHOLD

TOTAL = "I alt"
PERIODS = ("cumulative", "month")


class MonitoringError(VirkningError):
    """A monitoring request that cannot be answered (bad month, no citizens, unknown column)."""


def month_ordinal(month: str) -> int:
    try:
        y, m = (int(x) for x in str(month).split("-"))
        if not 1 <= m <= 12:
            raise ValueError
    except ValueError as exc:
        raise MonitoringError(f"'{month}' is not a month; write it as YYYY-MM") from exc
    return y * 12 + m - 1


def month_label(mo: int) -> str:
    return f"{mo // 12:04d}-{mo % 12 + 1:02d}"


def _mo(d) -> float:
    if d is None or (isinstance(d, float) and math.isnan(d)) or d is pd.NaT:
        return np.nan
    return d.year * 12 + d.month - 1


# ---- citizen-level steps ---------------------------------------------------------------------------------------

def step_frame(config: MonitoringConfig, data: pd.DataFrame) -> pd.DataFrame:
    """One row per citizen and project: person, unit, index month `mo_index`, and per step `<step>` (0/1) and
    `mo_<step>` (month ordinal of the step, NaN if not passed)."""
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
        ctype = g.column(src).type if (g.layout == "per_citizen" and g.column(src)) else "date"
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
        mo = np.where(np.isnan(mo), out["mo_index"].to_numpy(dtype=float), mo)
        out[step.name] = passed.astype(int)
        out["mo_" + step.name] = np.where(passed, mo, np.nan)
    return out


def _count(steps: pd.DataFrame, step: str, mo: int, period: str) -> int:
    m = steps["mo_" + step].to_numpy(dtype=float)  # runs for every unit, step and period: numpy keeps it cheap
    if period == "cumulative":
        return int((m <= mo).sum())
    return int((m == mo).sum())


# ---- disclosure ------------------------------------------------------------------------------------------------

def _protect_counts(frame: pd.DataFrame, count_cols: list[str], group_cols: list[str], t: int,
                    unit_col: str = "unit") -> pd.DataFrame:
    """Blank counts of 1..t-1 persons; where project rows add up to a published total and exactly one project
    cell of a column is hidden, hide the next smallest non-zero project cell too."""
    f = frame.copy()
    for c in count_cols:
        f[c] = f[c].astype("Float64")
        hide = f[c].apply(lambda v: small(v, t) if pd.notna(v) else False)
        f.loc[hide, c] = pd.NA
        f[c + "_hidden"] = hide
    for c in count_cols:
        projects = f[f[unit_col] != TOTAL]
        for _, grp in projects.groupby(group_cols, dropna=False) if group_cols else [(None, projects)]:
            hidden = grp[c + "_hidden"]
            if hidden.sum() == 1:
                shown = grp.loc[~hidden & grp[c].notna() & (grp[c] > 0), c]
                if len(shown):
                    f.loc[shown.sort_values(kind="stable").index[0], c] = pd.NA
                    f.loc[shown.sort_values(kind="stable").index[0], c + "_hidden"] = True
    return f.drop(columns=[c + "_hidden" for c in count_cols])


def _share_ok(num, den, t: int) -> bool:
    if num is None or den is None or pd.isna(num) or pd.isna(den) or den == 0:
        return False
    return not small(num, t) and not small(den - num, t) and not small(den, t)


# ---- report ----------------------------------------------------------------------------------------------------

@dataclass
class StatusReport:
    programme: str
    month: str
    units: list[str]
    funnel: pd.DataFrame  # published
    criteria: pd.DataFrame  # published
    ranking: pd.DataFrame  # published
    employment: pd.DataFrame | None = None  # published, register-based
    temp_industry: pd.DataFrame | None = None
    temp_hours: pd.DataFrame | None = None
    registration: dict = field(default_factory=dict)  # rows read/kept, violations by rule
    fidelity: object | None = None  # FidelityReport, attached by run_monitor
    surveys: pd.DataFrame | None = None
    threshold: int = DISCLOSURE_THRESHOLD
    labels: dict = field(default_factory=dict)

    def to_frames(self) -> dict[str, pd.DataFrame]:
        frames = {"funnel": self.funnel, "criteria": self.criteria, "ranking": self.ranking}
        for name in ("employment", "temp_industry", "temp_hours", "surveys"):
            v = getattr(self, name)
            if v is not None:
                frames[name] = v
        if self.fidelity is not None:
            frames.update({f"fidelity_{k}": v for k, v in self.fidelity.to_frames().items()})
        return frames

    def write_csv(self, out_dir: str | Path) -> dict[str, Path]:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {}
        for name, frame in self.to_frames().items():
            p = out / f"{name}.csv"
            frame.to_csv(p, index=False)
            paths[name] = p
        return paths


def _funnel_table(config: MonitoringConfig, steps: pd.DataFrame, units: list[str], mo: int) -> pd.DataFrame:
    rows = []
    for unit in [*units, TOTAL]:
        sub = steps if unit == TOTAL else steps[steps["unit"] == unit]
        for period in PERIODS:
            first = prev = None
            for i, step in enumerate(config.funnel):
                n = _count(sub, step.name, mo, period)
                rows.append({"unit": unit, "period": period, "step": step.name, "label": step.label or step.name,
                             "order": i + 1, "persons": n,
                             "share_of_previous": (n / prev) if prev else None,
                             "share_of_first": (n / first) if first else None,
                             "_prev": prev, "_first": first})
                if i == 0:
                    first = n
                prev = n
    return pd.DataFrame(rows)


def _criteria_table(config: MonitoringConfig, steps: pd.DataFrame, units: list[str], mo: int) -> pd.DataFrame:
    rows = []
    n_units = len(units)
    subs = {TOTAL: steps, **{unit: steps[steps["unit"] == unit] for unit in units}}
    for c in config.success_criteria:
        for unit in ([*units, TOTAL] if c.per == "project" else [TOTAL]):
            sub = subs[unit]
            for period in PERIODS:
                num = _count(sub, c.numerator, mo, period)
                den = _count(sub, c.denominator, mo, period) if c.denominator else None
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
                             "kind": c.kind, "numerator": num, "denominator": den, "value": value,
                             "target_min": tmin, "target_max": tmax, "achievement": ach,
                             "met": (value >= tmin) if (value is not None and tmin is not None) else None})
    return pd.DataFrame(rows, columns=["unit", "period", "criterion", "label", "kind", "numerator", "denominator",
                                       "value", "target_min", "target_max", "achievement", "met"])


def _rank(criteria: pd.DataFrame, units: list[str]) -> pd.DataFrame:
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


def _protect_funnel(f: pd.DataFrame, t: int) -> pd.DataFrame:
    p = _protect_counts(f, ["persons"], ["period", "step"], t)
    # a step that removed 1..t-1 persons from the last shown step would reveal them: hide it too
    for _, grp in p.groupby(["unit", "period"], sort=False):
        last = None
        for i in grp.sort_values("order").index:
            v = p.at[i, "persons"]
            if pd.isna(v):
                continue
            if last is not None and small(abs(last - v), t):
                p.at[i, "persons"] = pd.NA
                continue
            last = v
    for col, base in (("share_of_previous", "_prev"), ("share_of_first", "_first")):
        ok = [(_share_ok(n, d, t) and pd.notna(n)) for n, d in zip(p["persons"], p[base])]
        p[col] = [v if k else None for v, k in zip(p[col], ok)]
    return p.drop(columns=["_prev", "_first"])


def _protect_criteria(c: pd.DataFrame, t: int) -> pd.DataFrame:
    p = _protect_counts(c, ["numerator", "denominator"], ["period", "criterion"], t)
    recs = p.to_dict("records")
    for r in recs:
        hide = (r["kind"] == "share" and not _share_ok(r["numerator"], r["denominator"], t)) or \
            (r["kind"] == "count" and pd.isna(r["numerator"]))
        if hide:
            r["value"] = r["achievement"] = r["met"] = None
            r["numerator"] = pd.NA
    return pd.DataFrame(recs, columns=p.columns).astype({"numerator": "Float64", "denominator": "Float64"})


# ---- register-based results -------------------------------------------------------------------------------------

def _register_results(config: MonitoringConfig, steps: pd.DataFrame, data: pd.DataFrame, regs: "Registers", mo: int,
                      t: int):
    rr = config.register_results
    panel = regs.panel()
    end_mo = panel.end_month()
    part = steps[steps["mo_index"] <= mo][["person_id", "unit", "index_date", "mo_index"]].copy()
    part["follow_date"] = [d + dt.timedelta(weeks=rr.employment_after_weeks) for d in part["index_date"]]
    part["follow_mo"] = [_mo(d) for d in part["follow_date"]]
    part["followed"] = part["follow_mo"] <= min(mo, end_mo)
    # the register is read once: the participants' rows in every month either result below can reach
    mos = [*part["mo_index"], *part["follow_mo"]]
    emp_rows = panel.employment_rows(part["person_id"], int(min(mos, default=mo)), int(max([mo, *mos])))
    at_follow = part[["person_id", "unit", "follow_mo"]].astype({"follow_mo": "int64"}).merge(
        emp_rows[["person_id", "mo", "employment_rate"]], left_on=["person_id", "follow_mo"],
        right_on=["person_id", "mo"], how="left")
    at_follow["employed"] = (at_follow["employment_rate"] > 0).astype(int)
    emp = at_follow.groupby(["person_id", "unit"], as_index=False)["employed"].max()
    part = part.merge(emp, on=["person_id", "unit"], how="left")
    part["employed"] = part["employed"].fillna(0).astype(int)
    rows = []
    units = sorted(steps["unit"].unique())
    for unit in [*units, TOTAL]:
        sub = part if unit == TOTAL else part[part["unit"] == unit]
        fol = sub[sub["followed"]]
        n, k = int(len(fol)), int(fol["employed"].sum())
        rows.append({"unit": unit, "weeks_after": rr.employment_after_weeks, "persons": n, "employed": k,
                     "share_employed": k / n if n else None})
    employment = pd.DataFrame(rows)
    employment = _protect_counts(employment, ["persons", "employed"], [], t)
    ok = [_share_ok(k, n, t) or (pd.notna(k) and k == 0) for k, n in zip(employment["employed"], employment["persons"])]
    employment["share_employed"] = [s if o else None for s, o in zip(employment["share_employed"], ok)]
    employment["employed"] = [k if o else pd.NA for k, o in zip(employment["employed"], ok)]
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
        # a row resting on few persons is not shown; one hidden row among several would be recoverable
        hide = [small(p, t) or small(m, t) for p, m in zip(g["persons"], g["months"])]
        body = [i for i in range(len(g) - 1)]
        if sum(hide[i] for i in body) == 1:
            cand = sorted((g.loc[i, "months"], i) for i in body if not hide[i] and g.loc[i, "months"] > 0)
            if cand:
                hide[cand[0][1]] = True
        for i, h in enumerate(hide):
            if h:
                g.loc[i, ["months", "persons", "share_of_months"]] = None
        return g.rename(columns={key: "level"})

    return employment, summarise("industry", None), summarise("hours_band", order)


# ---- entry point -----------------------------------------------------------------------------------------------

def programme_months(config: MonitoringConfig, registration: Registration) -> list[str]:
    steps = step_frame(config, registration.data)
    if steps.empty:
        raise MonitoringError("the registration sheet holds no valid citizens")
    first = month_ordinal(config.start) if config.start else int(np.nanmin(steps["mo_index"]))
    mos = [steps["mo_" + s.name] for s in config.funnel]
    last = month_ordinal(config.end) if config.end else int(np.nanmax(pd.concat(mos)))
    return [month_label(m) for m in range(first, last + 1)]


def monthly_status(config: MonitoringConfig, sheet: Registration | pd.DataFrame, regs=None,
                   month: str = "") -> StatusReport:
    """Status at the end of `month` (YYYY-MM) from a checked registration sheet (or its clean data frame)."""
    registration = sheet if isinstance(sheet, Registration) else Registration("", "", sheet, pd.DataFrame(), len(sheet), 0)
    data = registration.data
    if data.empty:
        raise MonitoringError("the registration sheet holds no valid citizens; see its violations")
    mo = month_ordinal(month)
    t = config.disclosure_threshold
    steps = step_frame(config, data)
    units = sorted(steps["unit"].unique())
    funnel = _protect_funnel(_funnel_table(config, steps, units, mo), t)
    criteria = _protect_criteria(_criteria_table(config, steps, units, mo), t)
    ranking = _rank(criteria, units)
    employment = temp_industry = temp_hours = None
    if regs is not None:
        employment, temp_industry, temp_hours = _register_results(config, steps, data, regs, mo, t)
    v = registration.violations
    reg_summary = {"rows_read": registration.rows_read, "rows_kept": int(len(data)),
                   "rows_dropped": registration.rows_dropped, "violations": int(len(v)),
                   "by_rule": (v.groupby(["column", "rule"]).size().reset_index(name="violations").to_dict("records")
                               if len(v) else [])}
    labels = {s.name: (s.label or s.name) for s in config.funnel}
    labels.update({c.name: (c.label or c.name) for c in config.success_criteria})
    return StatusReport(programme=config.programme, month=month_label(mo), units=units, funnel=funnel,
                        criteria=criteria, ranking=ranking, employment=employment, temp_industry=temp_industry,
                        temp_hours=temp_hours, registration=reg_summary, threshold=t, labels=labels)


def raw_tables(config: MonitoringConfig, data: pd.DataFrame, month: str) -> dict[str, pd.DataFrame]:
    """Unprotected funnel and criteria (for checks inside the job centre; never publish)."""
    steps = step_frame(config, data)
    units = sorted(steps["unit"].unique())
    mo = month_ordinal(month)
    return {"funnel": _funnel_table(config, steps, units, mo).drop(columns=["_prev", "_first"]),
            "criteria": _criteria_table(config, steps, units, mo)}

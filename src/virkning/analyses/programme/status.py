"""The status of a measurement plan on a date: for each indicator and point, due / not yet due / measured, the value
(with its interval for shares), the target and whether it is met, and what is missing.

Values come from the indicator's source:

- registers: a population (persons with an event, or the substitutes of the design's job rotations at the start or
  end of their rotation) and a monthly status from the panel (virkning.panel). At a dated point the population is
  everyone whose index date lies on or before it, and the status is the one of the point's month; at an
  event-relative point (k months after), each person's status in month index + k, for the persons observed then;
- registration: rows of a sheet whose date lies on or before the point (and whose columns match `where`);
- survey and manual: a CSV of values (indicator, point, value, and numerator and denominator when it is a share);
- rates: the ratio of two count indicators at the same point.

Nothing here is protected yet: `publish` declares the counts to the disclosure gate.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from virkning.analyses.programme.schedule import Point, add_months, points
from virkning.analyses.programme.spec import Indicator, ProgrammeSpec, RegisterMeasure, TargetSpec
from virkning.registers import calendar

if TYPE_CHECKING:
    from virkning.panel import Panel

STATUS_COLUMNS = ["indicator", "kind", "schedule", "point", "date", "state", "value", "ci_low", "ci_high",
                  "numerator", "denominator", "target", "met", "missing"]


@dataclass
class Measure:
    value: float | None = None
    numerator: float | None = None
    denominator: float | None = None
    missing: str = ""
    num_key: tuple | None = None  # disclosure keys of the counts (the same count in two rows has one key)
    den_key: tuple | None = None


@dataclass
class PlanInputs:
    """What the status is computed from: the data folder, a panel over its registers (or None), the populations of
    register indicators (a frame person_id, date, or the reason it cannot be had) and the date of the status."""

    as_of: dt.date
    folder: Path | None = None
    panel: "Panel | None" = None
    population: Callable[[RegisterMeasure], pd.DataFrame | str] | None = None
    cache: dict = field(default_factory=dict)


def wilson(k: float, n: float, level: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of a binomial share (statsmodels; R's prop.test without continuity correction)."""
    lo, hi = proportion_confint(int(round(k)), int(round(n)), alpha=1 - level, method="wilson")
    return float(lo), float(hi)


def _month_end(mo: int) -> dt.date:
    y, m = divmod(mo, 12)
    return add_months(dt.date(y, m + 1, 1), 1) - dt.timedelta(days=1)


# ---- registers ------------------------------------------------------------------------------------------------------

def _population(ind: Indicator, inp: PlanInputs) -> pd.DataFrame | str:
    # called for register indicators only; the programme checks require `register` of a registers source
    assert ind.register_ is not None
    key = ("population", ind.register_.population, ind.register_.event)
    if key not in inp.cache:
        if inp.panel is None or inp.population is None:
            inp.cache[key] = "no registers were given (run with --data)"
        else:
            pop = inp.population(ind.register_)
            if not isinstance(pop, str):  # persons the registers do not know cannot be measured
                pop = pop[inp.panel.keys(pop["person_id"].astype(str).to_numpy()) >= 0].reset_index(drop=True)
            inp.cache[key] = pop
    return inp.cache[key]


def _pop_id(reg: RegisterMeasure) -> str:
    return f"{reg.population}:{reg.event or ''}"


def _registers(ind: Indicator, p: Point, inp: PlanInputs) -> Measure:
    pop = _population(ind, inp)
    if isinstance(pop, str):
        return Measure(missing=pop)
    reg = ind.register_
    # a population (not a reason) comes only from a register indicator with a panel and a population provider
    assert reg is not None and inp.panel is not None
    end = inp.panel.end_month()
    pid = _pop_id(reg)
    if p.months_after is None:
        assert p.start is not None  # points without months_after are dated (schedule_points)
        mo = calendar.date_month(p.start)
        if mo > end:
            return Measure(missing=f"the registers end {calendar.month_label(end)}, before this point")
        who = pop[pd.to_datetime(pop["date"]).dt.date <= p.start]
        den_key = ("pop", pid, p.start.isoformat())
        n: float = len(who)
        if reg.status is None:
            return Measure(float(n), float(n), None, "", den_key, None)
        if n == 0:
            return Measure(None, 0.0, 0.0, "no person of the population yet", ("st", ind.name, p.point), den_key)
        week = calendar.date_week(p.start)
        pairs = pd.DataFrame({"person_id": who["person_id"].to_numpy(), "index_week": week, "index_month": mo})
        k = float(_status_months(inp, pairs, 0, reg.status, reg.negate)["hit"].sum())
        return Measure(k / n if ind.kind == "share" else k, k, float(n), "", ("st", ind.name, p.point), den_key)
    pairs = pd.DataFrame({"person_id": pop["person_id"].to_numpy(),
                          "index_week": calendar.date_weeks(pd.to_datetime(pop["date"])),
                          "index_date": pd.to_datetime(pop["date"]).to_numpy()})
    if len(pairs) == 0:
        return Measure(missing="the population is empty")
    rows = _status_months(inp, pairs, p.months_after, reg.status, reg.negate)
    obs = rows[rows["observed"] & (rows["mo"] <= calendar.date_month(inp.as_of))]
    n = float(len(obs))
    den_key = ("pop", pid, p.point)
    if n == 0:
        return Measure(missing="no person has reached this point in the registers yet")
    missing = "" if n == len(pairs) else "not every person has reached this point yet; the value is for those who have"
    if reg.status is None:
        return Measure(n, n, None, missing, den_key, None)
    k = float(obs["hit"].sum())
    return Measure(k / n if ind.kind == "share" else k, k, n, missing, ("st", ind.name, p.point), den_key)


def _status_months(inp: PlanInputs, pairs: pd.DataFrame, k: int, status: str | None,
                   negate: bool = False) -> pd.DataFrame:
    """Each pair's month index + k: whether it is observed and whether the person is in `status` (the panel's 0/1
    indicator of the state, group or monthly status)."""
    assert inp.panel is not None  # called from _registers, which has a population and so a panel
    rows = inp.panel.months(pairs, k, k).sort_values("_pair").reset_index(drop=True)
    hit = rows[status].to_numpy() == 1 if status is not None and status in rows.columns else rows["status"] == status
    if negate:
        hit = ~np.asarray(hit, dtype=bool)
    return pd.DataFrame({"observed": rows["observed"].to_numpy(dtype=bool), "mo": rows["mo"].to_numpy(),
                         "hit": np.asarray(hit, dtype=bool)})


# ---- registration sheets and value files ----------------------------------------------------------------------------

def _read_table(path: Path, sheet: str | None = None) -> pd.DataFrame:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return pd.read_excel(path, sheet_name=sheet or 0, dtype=object, engine="openpyxl")
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _registration(ind: Indicator, src, p: Point, inp: PlanInputs) -> Measure:
    if p.start is None:
        return Measure(missing="a registration count needs a dated point")
    if inp.folder is None:
        return Measure(missing="no data folder was given (run with --data)")
    date_column = ind.date_column or src.date_column
    key = ("sheet", src.name, date_column)
    if key not in inp.cache:
        path = inp.folder / src.file
        if not path.is_file():
            inp.cache[key] = f"the registration file {src.file} is not in the data folder"
        else:
            frame = _read_table(path, src.sheet)
            if date_column not in frame.columns:
                inp.cache[key] = f"{src.file} has no column '{date_column}'"
            else:
                from virkning.analyses.monitoring.registration import parse_date

                frame["_date"] = [parse_date(v) if str(v).strip() else None for v in frame[date_column]]
                inp.cache[key] = frame
    frame = inp.cache[key]
    if isinstance(frame, str):
        return Measure(missing=frame)
    rows = frame[[d is not None and d <= p.start for d in frame["_date"]]]
    for col, want in (ind.where or {}).items():
        if col not in rows.columns:
            return Measure(missing=f"{src.file} has no column '{col}'")
        rows = rows[rows[col].astype(str).str.strip().str.lower() == str(want).strip().lower()]
    n = float(len(rows))
    where = tuple(sorted((ind.where or {}).items()))
    return Measure(n, n, None, "", ("reg", src.name, date_column, where, p.start.isoformat()), None)


def _values(ind: Indicator, src, p: Point, inp: PlanInputs, spec: ProgrammeSpec) -> Measure:
    if inp.folder is None:
        return Measure(missing="no data folder was given (run with --data)")
    name = spec.values_file or src.file
    if name is None:
        return Measure(missing=f"source '{src.name}' names no file of values")
    key = ("values", name)
    if key not in inp.cache:
        path = inp.folder / name
        inp.cache[key] = _read_table(path) if path.is_file() else f"the file of values {name} is not in the data folder"
    frame = inp.cache[key]
    if isinstance(frame, str):
        return Measure(missing=frame)
    need = {"indicator", "point", "value"}
    if not need <= set(frame.columns):
        return Measure(missing=f"{name} needs columns indicator, point, value (and numerator, denominator)")
    rows = frame[(frame["indicator"].astype(str) == ind.name) & (frame["point"].astype(str) == p.point)]
    if rows.empty:
        return Measure(missing="no value entered for this point")
    r = rows.iloc[-1]

    def num(col):
        v = r.get(col, "")
        try:
            f = float(str(v).replace(",", "."))
        except ValueError:
            return None
        return None if math.isnan(f) else f

    value, k, n = num("value"), num("numerator"), num("denominator")
    if ind.kind == "count" and value is not None:
        return Measure(value, value, None, "", ("val", ind.name, p.schedule, p.point), None)
    keys = (("val", ind.name, p.schedule, p.point, "num"), ("val", ind.name, p.schedule, p.point, "den"))
    return Measure(value, k, n, "" if value is not None else "the value is not a number", *keys)


# ---- one indicator at one point -------------------------------------------------------------------------------------

def measure(ind: Indicator, p: Point, inp: PlanInputs, spec: ProgrammeSpec) -> Measure:
    key = ("measure", ind.name, p.schedule, p.point)
    if key in inp.cache:
        return inp.cache[key]
    if ind.kind == "rate":
        # Indicator's validator requires numerator and denominator of a rate
        a = measure(spec.indicator(cast(str, ind.numerator)), p, inp, spec)
        b = measure(spec.indicator(cast(str, ind.denominator)), p, inp, spec)
        if a.value is None or b.value is None:
            out = Measure(missing=a.missing or b.missing)
        elif b.value == 0:
            out = Measure(None, a.value, b.value, "the denominator is 0", a.num_key, b.num_key)
        else:
            out = Measure(a.value / b.value, a.value, b.value, "", a.num_key, b.num_key)
    else:
        src = spec.source(ind.source)
        assert src is not None  # the programme checks require a declared source of every count and share
        if src.kind == "registers":
            out = _registers(ind, p, inp)
        elif src.kind == "registration":
            out = _registration(ind, src, p, inp)
        else:
            out = _values(ind, src, p, inp, spec)
    inp.cache[key] = out
    return out


def _due(p: Point, as_of: dt.date, first_index: dt.date | None) -> bool:
    if p.start is not None:
        return (p.end or p.start) <= as_of
    # an undated point is event-relative: it has months_after
    return first_index is not None and add_months(first_index, cast(int, p.months_after)) <= as_of


def target_value(t: TargetSpec, when: dt.date | None, spec: ProgrammeSpec, baseline: float | None) -> float | None:
    """The number the value is held against at a point: absolute (per year: times the years since the baseline),
    a share, or the baseline times 1 + the relative change."""
    if t.kind == "relative":
        base = t.baseline if t.baseline is not None else baseline
        return None if base is None else base * (1 + t.value)
    if t.per == "year":
        if when is None or spec.baseline is None:
            return None
        return t.value * max(0.0, (when - spec.baseline).days / 365.25)
    return t.value


def met(value: float | None, target: float | None, t: TargetSpec, final: bool) -> str:
    """yes / no / not_yet: an at-least target not reached before its date is not yet failed."""
    if value is None or target is None:
        return ""
    if t.direction == "at_least":
        return "yes" if value >= target - 1e-9 else ("no" if final else "not_yet")
    return "yes" if value <= target + 1e-9 else "no"


def status(spec: ProgrammeSpec, inp: PlanInputs) -> tuple[pd.DataFrame, dict]:
    """The status table (STATUS_COLUMNS, raw) and the disclosure keys of its counts by row."""
    rows, keys = [], {}
    targets: dict[str, list[TargetSpec]] = {}
    for ts in spec.targets:
        targets.setdefault(ts.indicator, []).append(ts)
    all_points = points(spec)
    for p in all_points:
        for name in p.indicators:
            ind = spec.indicator(name)
            first = None
            if p.start is None and ind.register_ is not None:
                pop = _population(ind, inp)
                if not isinstance(pop, str) and len(pop):
                    first = min(pd.to_datetime(pop["date"]).dt.date)
            due = _due(p, inp.as_of, first) if (p.start is not None or first is not None) else False
            m = measure(ind, p, inp, spec) if due else Measure()
            state = "measured" if due and m.value is not None else ("due" if due else "not_due")
            if state == "not_due" and p.start is None and ind.register_ is not None and first is None:
                reason = _population(ind, inp)
                m = Measure(missing=reason if isinstance(reason, str) else "")
            ci: tuple[float | None, float | None] = (None, None)
            if state == "measured" and ind.kind in ("share", "rate") and m.numerator is not None and m.denominator:
                if 0 <= m.numerator <= m.denominator:
                    ci = wilson(m.numerator, m.denominator)
            when = p.end or p.start
            for_t: list[TargetSpec | None] = [*targets.get(name, [])] or [None]
            for t in for_t:
                tv, ok = None, ""
                if t is not None and state == "measured":
                    base = None
                    if t.kind == "relative" and t.baseline is None and t.baseline_date is not None:
                        bp = Point(p.schedule, t.baseline_date.isoformat(), "fixed", t.baseline_date, t.baseline_date)
                        base = measure(ind, bp, inp, spec).value
                    tv = target_value(t, when, spec, base)
                    deadline = t.by or spec.end
                    final = deadline is None or (when is not None and when >= deadline) or (
                        when is None and p is _last_event_point(all_points, p))
                    ok = met(m.value, tv, t, final)
                elif t is not None:
                    tv = target_value(t, when, spec, None) if t.kind != "relative" or t.baseline is not None else None
                rows.append({"indicator": name, "kind": ind.kind, "schedule": p.schedule, "point": p.point,
                             "date": when.isoformat() if when else "", "state": state,
                             "value": m.value if state == "measured" else None, "ci_low": ci[0], "ci_high": ci[1],
                             "numerator": m.numerator if state == "measured" else None,
                             "denominator": m.denominator if state == "measured" else None,
                             "target": tv, "met": ok, "missing": "" if state == "not_due" and not m.missing
                             else m.missing})
                keys[len(rows) - 1] = (m.num_key if state == "measured" else None,
                                       m.den_key if state == "measured" else None)
    frame = pd.DataFrame(rows, columns=STATUS_COLUMNS)
    for col in ("value", "ci_low", "ci_high", "numerator", "denominator", "target"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    return frame, keys


def _last_event_point(all_points: list[Point], p: Point) -> Point:
    same = [q for q in all_points if q.schedule == p.schedule and q.start is None]
    return max(same, key=lambda q: cast(int, q.months_after))  # undated points are event-relative


def default_as_of(panel: "Panel | None") -> dt.date:
    """The last day of the registers' last month, or today when there are no registers."""
    if panel is not None:
        return _month_end(panel.end_month())
    from virkning.analyses.programme.checks import today

    return today()

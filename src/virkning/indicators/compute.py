"""Computing the indicators of `definitions` from the registers: lookup tables in, one scan of the benefits table,
sums per unit and period out, assembled into one tidy table.

    table = compute_indicators(regs, IndicatorRequest(period="quarter", units={"851": ("851",)}))
    table.frame        # unit, unit_name, period, p, indicator, numerator, denominator, value, persons, period_weeks

Every statement is in `registers/indicator_queries.py` or `registers/queries.py`; this module puts the lookup tables (units, codes, weeks, months,
days, the unit x period grid), runs the statements and assembles frames. Only whole periods inside the data are
computed: the window is widened to whole periods and refused when it reaches outside the data.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from virkning.errors import DesignError
from virkning.indicators.definitions import (INDICATORS, PERIODS, TARGET_GROUPS, TargetGroup, code_table,
                                             definitions_frame, period_label, period_months)
from virkning.registers import calendar, indicator_queries, queries
from virkning.registers.queries import Names

if TYPE_CHECKING:
    from virkning.registers import Registers

N = Names("ind_")
QUANTITY_COLUMNS = ("target_weeks", "act_weeks", "vr_weeks", "vo_weeks", "emp_den", "emp_num", "new_spells",
                    "ended_spells", "ended_job", "ended_su", "open_spells", "events", "first_weeks", "first_count",
                    "ended_known", "ended_weeks")
PERSON_COLUMNS = {"target": "persons_target", "emp": "persons_emp", "new": "persons_new", "ended": "persons_ended",
                  "open": "open_spells", "first": "persons_first", "ended_known": "persons_ended_known"}


def municipalities_in_data(regs: "Registers") -> list[str]:
    """The municipality codes of the persons table."""
    return [r[0] for r in regs.engine.rows(queries.PERSON_MUNICIPALITIES)]


def municipality_names() -> dict[str, str]:
    path = resources.files("virkning.registers").joinpath("municipalities.csv")
    t = pd.read_csv(str(path), dtype={"code": str})
    return dict(zip(t["code"], t["name"]))


@dataclass(frozen=True)
class IndicatorRequest:
    """What to compute. `units`: unit -> municipality codes (None: every municipality in the persons table, each
    its own unit); `first`/`last`: months (YYYY-MM) whose periods bound the window (None: the whole periods inside
    the data); `where`: the design keys to name in messages (option name -> key)."""

    target: TargetGroup = TARGET_GROUPS["forsikrede_ledige"]
    period: str = "quarter"
    indicators: tuple[str, ...] = tuple(INDICATORS)
    units: Mapping[str, tuple[str, ...]] | None = None
    first: str | None = None
    last: str | None = None
    employment_lag: int = 3
    event: str = "samtale"
    spell_gap: int = 0
    su_weeks: int = 4
    job_months: int = 1
    where: Mapping[str, str] = field(default_factory=dict, compare=False)

    def key(self, option: str) -> str:
        return self.where.get(option, f"option '{option}'")

    def check(self) -> None:
        if self.period not in PERIODS:
            raise DesignError(f"{self.key('period')}: expected one of {', '.join(PERIODS)}; got {self.period!r}")
        if not self.indicators:
            raise DesignError(f"{self.key('indicators')}: expected at least one indicator of {', '.join(INDICATORS)}")
        bad = [i for i in self.indicators if i not in INDICATORS]
        if bad:
            raise DesignError(f"{self.key('indicators')}: expected indicators among {', '.join(INDICATORS)}; got "
                              f"{', '.join(bad)}")
        for opt, lo in (("employment_lag", 0), ("spell_gap", 0), ("su_weeks", 1), ("job_months", 0)):
            v = getattr(self, opt)
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < lo:
                raise DesignError(f"{self.key(opt)}: expected a whole number of at least {lo}; got {v!r}")


@dataclass(frozen=True)
class IndicatorTable:
    """Indicators per unit and period (raw: not yet through the disclosure gate), with what they rest on."""

    frame: pd.DataFrame = field(repr=False)
    definitions: pd.DataFrame = field(repr=False)
    request: IndicatorRequest
    periods: tuple[str, ...]
    units: pd.DataFrame = field(repr=False)
    data: dict
    benefit_scans: int
    statements: int
    seconds: float

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()

    def wide(self, indicator: str, column: str = "value") -> pd.DataFrame:
        """One indicator as units x periods."""
        f = self.frame[self.frame["indicator"] == indicator]
        return f.pivot(index="unit", columns="period", values=column).reindex(columns=list(self.periods))

    def __repr__(self) -> str:
        r = self.request
        return (f"IndicatorTable({len(self.units)} units x {len(self.periods)} {r.period}s "
                f"({self.periods[0]} .. {self.periods[-1]}), {len(r.indicators)} indicators, target group "
                f"{r.target.name}; {self.benefit_scans} scan of the benefits table, {self.seconds:.1f} s)")


# ---- the window -------------------------------------------------------------------------------------------------

def _bounds(regs: "Registers") -> dict:
    tables = regs.report.tables
    b = tables["benefits"]
    if not b.rows:
        raise DesignError("the benefits table is empty; indicators need weekly codes")
    # validation gives a table with rows its first and last week/month (registers.validate)
    assert b.first is not None and b.last is not None
    fw, lw = calendar.parse_week(b.first), calendar.parse_week(b.last)
    e = tables.get("employment")
    emp_last = None
    if e is not None and e.rows:
        assert e.last is not None  # as above
        emp_last = calendar.parse_month(e.last)
    return {"first_wk": fw, "last_wk": lw, "first_week": b.first, "last_week": b.last,
            "employment_last": e.last if e is not None and emp_last is not None else None, "emp_last_mo": emp_last}


def _window(req: IndicatorRequest, data: dict) -> tuple[int, int]:
    """First and last period ordinal: whole periods inside the data (weeks belong to their Thursday's month)."""
    k = PERIODS[req.period]
    weeks = calendar.week_table().set_index("wk")["mo"]
    fw, lw = data["first_wk"], data["last_wk"]
    first_mo, last_mo = int(weeks[fw]), int(weeks[lw])
    # a month is whole when the data hold its first and last week
    if int(weeks[fw - 1]) == first_mo:
        first_mo += 1
    if int(weeks[lw + 1]) == last_mo:
        last_mo -= 1
    lo_p = -(-first_mo // k)  # first period starting at or after the first whole month
    hi_p = (last_mo + 1) // k - 1  # last period ending by the last whole month
    if lo_p > hi_p:
        raise DesignError(f"{req.key('period')}: the data ({data['first_week']} to {data['last_week']}) hold no whole "
                          f"{req.period}; use a shorter period")
    lo, hi = lo_p, hi_p
    for opt, value in (("first", req.first), ("last", req.last)):
        if value is None:
            continue
        try:
            p = calendar.parse_month(value) // k
        except ValueError:
            raise DesignError(f"{req.key(opt)}: expected a month YYYY-MM; got {value!r}") from None
        if not lo_p <= p <= hi_p:
            raise DesignError(f"{req.key(opt)}: {period_label(p, req.period)} is outside the data, whose whole "
                              f"{req.period}s run from {period_label(lo_p, req.period)} to "
                              f"{period_label(hi_p, req.period)} ({data['first_week']} to {data['last_week']}); "
                              "choose a period inside the data")
        if opt == "first":
            lo = p
        else:
            hi = p
    if lo > hi:
        raise DesignError(f"{req.key('last')}: expected a period on or after {req.key('first')} "
                          f"({period_label(lo, req.period)}); got {period_label(hi, req.period)}")
    return lo, hi


def _units(regs: "Registers", req: IndicatorRequest) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(municipality -> unit rows, one row per unit with its name and municipalities)."""
    names = municipality_names()
    mapping: dict[str, tuple[str, ...]]
    if req.units is None:
        mapping = {c: (c,) for c in municipalities_in_data(regs)}
    else:
        mapping = {str(u): tuple(str(c) for c in cs) for u, cs in req.units.items()}
    rows: list[dict[str, str]] = []
    seen: dict[str, str] = {}
    for unit, codes in mapping.items():
        for c in codes:
            if c in seen:
                raise DesignError(f"{req.key('units')}: municipality {c} is in two units ({seen[c]} and {unit}); "
                                  "give each municipality to one unit")
            seen[c] = unit
            rows.append({"municipality": c, "unit": unit})
    units = pd.DataFrame(rows, columns=["municipality", "unit"])
    label = {u: (names.get(cs[0], u) if len(cs) == 1 and cs[0] == u else u) for u, cs in mapping.items()}
    out = pd.DataFrame({"unit": list(mapping), "unit_name": [label[u] for u in mapping],
                        "municipalities": [" ".join(cs) for cs in mapping.values()]})
    return units, out


# ---- the run ----------------------------------------------------------------------------------------------------

def _put_lookups(regs: "Registers", req: IndicatorRequest, data: dict, lo: int, hi: int, units: pd.DataFrame,
                 unit_ids: list[str]) -> None:
    e = regs.engine
    k = PERIODS[req.period]
    e.put(N.units, units, "CAST(municipality AS VARCHAR) AS municipality, CAST(unit AS VARCHAR) AS unit")
    e.put(N.codes, code_table(regs.catalogue, req.target, su="su_grad" in req.indicators),
          "CAST(code AS VARCHAR) AS code, CAST(tgt AS TINYINT) AS tgt, CAST(act AS TINYINT) AS act, "
          "CAST(vr AS TINYINT) AS vr, CAST(vo AS TINYINT) AS vo, CAST(su AS TINYINT) AS su")
    wt = calendar.week_table()
    wt = wt[(wt["wk"] >= data["first_wk"]) & (wt["wk"] <= data["last_wk"])]
    e.put(N.weeks, pd.DataFrame({"wk": wt["wk"], "mo": wt["mo"], "p": wt["mo"] // k}),
          "CAST(wk AS INTEGER) AS wk, CAST(mo AS INTEGER) AS mo, CAST(p AS INTEGER) AS p")
    first_mo, last_mo = period_months(lo, req.period)[0], period_months(hi, req.period)[1]
    mos = np.arange(first_mo, last_mo + 1)
    e.put(N.months, pd.DataFrame({"mo": mos, "p": mos // k}), "CAST(mo AS INTEGER) AS mo, CAST(p AS INTEGER) AS p")
    d0 = calendar.week_monday(data["first_wk"])
    days = pd.date_range(d0, calendar.week_monday(data["last_wk"]) + dt.timedelta(days=6), freq="D")
    dwk = calendar.date_weeks(days.values)
    dmo = calendar.date_months(days.values)
    e.put(N.days, pd.DataFrame({"d": days.date, "wk": dwk, "p": dmo // k}),
          "CAST(d AS DATE) AS d, CAST(wk AS INTEGER) AS wk, CAST(p AS INTEGER) AS p")
    grid = pd.DataFrame([(u, p) for u in unit_ids for p in range(lo, hi + 1)], columns=["unit", "p"])
    e.put(N.grid, grid, "CAST(unit AS VARCHAR) AS unit, CAST(p AS INTEGER) AS p")


def _sums(regs: "Registers", req: IndicatorRequest, data: dict, lo: int, hi: int) -> tuple[pd.DataFrame, int]:
    """Every quantity per unit and period of the window (one frame, zeros where nothing was counted)."""
    e = regs.engine
    names = set(req.indicators)
    need_emp = any(INDICATORS[i].needs_employment for i in names)
    need_spells = any(INDICATORS[i].num in ("new_spells", "ended_job", "ended_su", "open_spells", "first_weeks",
                                            "ended_weeks")
                      for i in names)
    need_events = any(INDICATORS[i].needs_events for i in names)
    keyed = regs.store.keyed_now(write=False)  # the registers' keyed copy when a run over them has written it
    e.table(N.persons, indicator_queries.indicator_persons(N, keyed))
    e.table(N.w, indicator_queries.indicator_weeks(N, keyed))  # the one scan of the benefits table
    scans = 1
    e.table(N.pm, indicator_queries.indicator_person_months(N))
    parts = [e.frame(indicator_queries.indicator_week_sums(N))]
    gap = req.spell_gap
    if need_emp or need_spells:  # spells ended to a job read employment too
        e.table(N.tp, indicator_queries.indicator_target_persons(N))
        e.table(N.emp, indicator_queries.indicator_employment(N, keyed))
    if need_emp and "beskaeftigelsesgrad" in names:
        last_mo = calendar.week_month(data["last_wk"])
        if data["emp_last_mo"] is not None:
            last_mo = min(last_mo, data["emp_last_mo"])
        parts.append(e.frame(indicator_queries.indicator_employment_sums(N, req.employment_lag, last_mo)))
    if need_spells:
        e.table(N.spells, indicator_queries.indicator_spells(N, gap))
        parts.append(e.frame(indicator_queries.indicator_new_spells(N, data["first_wk"] + gap)))
        parts.append(e.frame(indicator_queries.indicator_ended_spells(N, data["last_wk"] - gap, req.job_months, req.su_weeks,
                                                            data["first_wk"] + gap)))
        parts.append(e.frame(indicator_queries.indicator_open_spells(N, data["last_wk"] - gap)))
    if need_events:
        if "events" not in regs.tables:
            needing = ", ".join(i for i in names if INDICATORS[i].needs_events)
            raise DesignError(f"{req.key('event')}: the indicators {needing} "
                              f"need an events table with '{req.event}' events; the data folder has no events table")
        e.table(N.ev, indicator_queries.indicator_events(N), [req.event])
        if e.one(indicator_queries.indicator_count(N, "ev"))[0] == 0:
            found = [r[0] for r in e.rows(queries.SOME_EVENTS)]
            raise DesignError(f"{req.key('event')}: no '{req.event}' events of persons in the units; the events table "
                              f"holds {', '.join(found) or 'no events'}")
        parts.append(e.frame(indicator_queries.indicator_event_sums(N)))
        if need_spells:
            parts.append(e.frame(indicator_queries.indicator_first_events(N, data["first_wk"] + gap)))
    out = None
    for part in parts:
        part["unit"] = part["unit"].astype(str)
        part["p"] = part["p"].astype(int)
        out = part if out is None else out.merge(part, on=["unit", "p"], how="outer")
    for table in ("persons", "w", "pm", "tp", "emp", "spells", "ev", "units", "codes", "weeks", "months", "days", "grid"):
        e.drop(getattr(N, table))
    assert out is not None  # `parts` always holds the weekly sums
    return out, scans


def _assemble(sums: pd.DataFrame, req: IndicatorRequest, units: pd.DataFrame, lo: int, hi: int) -> pd.DataFrame:
    grid = pd.DataFrame([(u, p) for u in units["unit"] for p in range(lo, hi + 1)], columns=["unit", "p"])
    s = grid.merge(sums, on=["unit", "p"], how="left")
    for col in (*QUANTITY_COLUMNS, *PERSON_COLUMNS.values()):
        if col not in s.columns:
            s[col] = np.nan
    wt = calendar.week_table()
    period_weeks = (wt["mo"] // PERIODS[req.period]).value_counts()
    s["period_weeks"] = s["p"].map(period_weeks).astype(float)
    frames = []
    for name in req.indicators:
        d = INDICATORS[name]
        num = s[d.num].fillna(0.0).astype(float)
        den = s[d.den].fillna(0.0).astype(float) if d.den else pd.Series(np.nan, index=s.index)
        if d.kind == "count":
            value = num
        elif d.kind == "volume":
            value = num / s["period_weeks"]
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                value = (d.scale * num / den).where(den > 0)
        persons = s[PERSON_COLUMNS[d.base]].fillna(0.0).astype(float)
        frames.append(pd.DataFrame({"unit": s["unit"], "p": s["p"], "indicator": name, "numerator": num,
                                    "denominator": den, "value": value.astype(float), "persons": persons,
                                    "period_weeks": s["period_weeks"] if d.kind == "volume" else np.nan}))
    f = pd.concat(frames, ignore_index=True)
    f["period"] = [period_label(p, req.period) for p in f["p"]]
    f = f.merge(units[["unit", "unit_name"]], on="unit", how="left")
    order = {n: i for i, n in enumerate(req.indicators)}
    uorder = {u: i for i, u in enumerate(units["unit"])}
    f = f.assign(_i=f["indicator"].map(order), _u=f["unit"].map(uorder)).sort_values(["_i", "_u", "p"])
    return f[["indicator", "unit", "unit_name", "period", "p", "numerator", "denominator", "value", "persons",
              "period_weeks"]].reset_index(drop=True)


def compute_indicators(regs: "Registers", request: IndicatorRequest | None = None, *,
                       language: str = "da") -> IndicatorTable:
    """The request's indicators per unit and period of the window, from one scan of the benefits table."""
    req = request or IndicatorRequest()
    req.check()
    started = time.perf_counter()
    data = _bounds(regs)
    lo, hi = _window(req, data)
    units, unit_frame = _units(regs, req)
    if units.empty:
        raise DesignError(f"{req.key('units')}: expected at least one unit")
    present = set(municipalities_in_data(regs))
    empty = [u for u, g in units.groupby("unit", sort=False) if not set(g["municipality"]) & present]
    if empty:
        raise DesignError(f"{req.key('units')}: no person in the persons table lives in "
                          f"{', '.join(map(str, empty[:5]))}; "
                          "check the municipality codes")
    recorded = regs.engine.statements
    before = len(recorded) if recorded is not None else 0
    _put_lookups(regs, req, data, lo, hi, units, list(unit_frame["unit"]))
    sums, scans = _sums(regs, req, data, lo, hi)
    frame = _assemble(sums, req, unit_frame, lo, hi)
    n_statements = (len(recorded) - before) if recorded is not None else 0
    defs = definitions_frame(req.indicators, language, req.target, regs.catalogue, lag=req.employment_lag,
                             su_weeks=req.su_weeks, event=req.event)
    return IndicatorTable(frame=frame, definitions=defs, request=req,
                          periods=tuple(period_label(p, req.period) for p in range(lo, hi + 1)), units=unit_frame,
                          data={k: v for k, v in data.items() if not k.endswith(("_wk", "_mo"))} | {
                              "first_period": period_label(lo, req.period), "last_period": period_label(hi, req.period)},
                          benefit_scans=scans, statements=n_statements, seconds=time.perf_counter() - started)

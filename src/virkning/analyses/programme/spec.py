"""The `programme:` section of the design file: the programme theory and its measurement plan.

    programme:
      title: Mikrolån
      baseline: 2017-07-01                 # start of the programme (no measurement point before it)
      end: 2020-06-30
      target_group: [...]                  # who the programme is for
      activities:  [{id, label, phase}]    # what is done
      mechanisms:  [{id, label, kind: mechanism | result, from: [activity ids]}]
      effects:     [{id, label, horizon: kort | mellemlang | lang, from: [mechanism or activity ids]}]
      moderators:  [{id, label, affects: [ids]}]
      cross_cutting: [{id, label}]
      sources:     [{name, kind: registers | registration | survey | manual, file, ...}]
      indicators:  [{name, label, kind: count | rate | share | duration | amount, source, measures: [ids], ...}]
      targets:     [{indicator, kind: absolute | relative | share, value, direction, per, baseline, ...}]
      schedules:   [{name, kind: fixed | iso_weeks | grid | event, indicators, ...}]

Every model refuses unknown keys. Rules within one item are checked here; references between items (a target's
indicator, an indicator's source, a schedule point before the baseline) are checked by `check_references`, which
names the key of each problem so the design reader can give its line.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import Field, PlainValidator, field_validator, model_validator
from typing_extensions import Annotated

from virkning.design.types import Date, Number, PositiveNumber, Section, Text, fail, none_is_empty
from virkning.registers.catalogue import canonical_state

HORIZONS = ("kort", "mellemlang", "lang")
SOURCE_KINDS = ("registers", "registration", "survey", "manual")
INDICATOR_KINDS = ("count", "rate", "share", "duration", "amount")
TARGET_KINDS = ("absolute", "relative", "share")
SCHEDULE_KINDS = ("fixed", "iso_weeks", "grid", "event")
GRID_STEPS = {"month": 1, "quarter": 3, "half_year": 6, "year": 12}
POPULATIONS = ("event", "rotation_start", "rotation_end")


def _ident(v: Any) -> str:
    if not isinstance(v, str) or not re.fullmatch(r"[^\W\d][\w-]*", v.strip()):
        raise fail("expected a name of letters, digits, _ or - (starting with a letter), e.g. mikrolaan")
    return v.strip()


def _week_window(v: Any) -> tuple[int, int]:
    """`14-15`, `40` or [14, 15] -> (first week, last week)."""
    if isinstance(v, int) and not isinstance(v, bool):
        v = [v, v]
    if isinstance(v, str):
        m = re.fullmatch(r"\s*(\d{1,2})\s*(?:-\s*(\d{1,2}))?\s*", v)
        v = [int(m.group(1)), int(m.group(2) or m.group(1))] if m else None
    if (not isinstance(v, list) or len(v) != 2 or not all(isinstance(w, int) and not isinstance(w, bool) for w in v)
            or not 1 <= v[0] <= v[1] <= 53):
        raise fail("expected an ISO-week window such as '14-15' or '40' (weeks 1-53, first <= last)")
    return (v[0], v[1])


def _iso_week(v: Any) -> tuple[int, int]:
    """`2017-W40` -> (2017, 40)."""
    m = re.fullmatch(r"(\d{4})-?W(\d{2})", v.strip()) if isinstance(v, str) else None
    if not m:
        raise fail("expected an ISO week written YYYY-Www, e.g. 2017-W40")
    year, week = int(m.group(1)), int(m.group(2))
    try:
        dt.date.fromisocalendar(year, week, 1)
    except ValueError:
        raise fail(f"expected an ISO week that exists ({year} has no week {week})") from None
    return (year, week)


def _status(v: Any) -> str:
    state = canonical_state(v) if isinstance(v, str) else None
    if state is None:
        raise fail("expected a state, group or monthly status of the DREAM code catalogue (e.g. beskæftiget, "
                   "selvforsørgende, ledig, ydelse)")
    return state


Ident = Annotated[str, PlainValidator(_ident)]
WeekWindow = Annotated[tuple[int, int], PlainValidator(_week_window)]
IsoWeek = Annotated[tuple[int, int], PlainValidator(_iso_week)]
Status = Annotated[str, PlainValidator(_status)]


# ---- the programme theory -----------------------------------------------------------------------------------------

class Activity(Section):
    id: Ident
    label: Text
    phase: Text | None = None  # e.g. seed 003's four phases of job rotation


class Mechanism(Section):
    """A mechanism or short-term result (the middle column of seed 002's forandringsteori)."""

    id: Ident
    label: Text
    kind: Literal["mechanism", "result"] = "mechanism"
    phase: Text | None = None
    from_: list[Ident] = Field(default_factory=list, alias="from")  # activity ids
    note: Text | None = None  # what the mechanism means, as the theory explains it


class Effect(Section):
    id: Ident
    label: Text
    horizon: Literal["kort", "mellemlang", "lang"] | None = None  # None: the theory gives none
    from_: list[Ident] = Field(default_factory=list, alias="from")  # mechanism or activity ids


class Moderator(Section):
    id: Ident
    label: Text
    affects: list[Ident] = Field(default_factory=list)


class CrossCutting(Section):
    id: Ident
    label: Text


# ---- the measurement plan -----------------------------------------------------------------------------------------

class Source(Section):
    """Where an indicator's values come from. `registers`: the data folder's registers (DREAM, employment);
    `registration`: a sheet with one row per unit counted (file, date column); `survey` and `manual`: a CSV of values
    (indicator, point, value and optionally numerator, denominator) entered by hand or from a survey's tables."""

    name: Ident
    kind: Literal["registers", "registration", "survey", "manual"]
    label: Text | None = None
    file: Text | None = None
    sheet: Text | None = None  # registration: the sheet of an .xlsx file
    date_column: Text | None = None  # registration: the date that places a row in time

    @model_validator(mode="after")
    def _file(self):
        if self.kind == "registration" and (self.file is None or self.date_column is None):
            raise ValueError(f"source '{self.name}': a registration source needs `file` and `date_column`")
        return self


class RegisterMeasure(Section):
    """An indicator computed from the registers: the population (persons with an event, or the substitutes of the
    design's job-rotation registration at the start or end of their rotation) and, for shares and counts of a
    status, the monthly status counted (beskæftiget, selvforsørgende, ...)."""

    population: Literal["event", "rotation_start", "rotation_end"]
    event: Text | None = None  # population: event (the name in the events table)
    status: Status | None = None  # None: the population itself is counted
    negate: bool = False  # count the persons NOT in `status` (off benefits: status ydelse, negate true)

    @model_validator(mode="after")
    def _event(self):
        if self.population == "event" and self.event is None:
            raise ValueError("population: event needs `event` (the event's name in the events table)")
        if self.population != "event" and self.event is not None:
            raise ValueError("`event` belongs to population: event")
        return self


class Indicator(Section):
    name: Ident
    label: Text
    kind: Literal["count", "rate", "share", "duration", "amount"]
    source: Ident | None = None
    measures: list[Ident] = Field(default_factory=list)  # the activities, mechanisms or effects it measures
    unit: Text | None = None  # duration: weeks, months ...; amount: kr.
    numerator: Ident | None = None  # rate: a count indicator
    denominator: Ident | None = None  # rate: a count indicator
    register_: RegisterMeasure | None = Field(default=None, alias="register")  # source of kind registers
    where: dict[str, Any] | None = None  # registration: count the rows whose columns have these values
    date_column: Text | None = None  # registration: the date that places a row (default: the source's)
    by: list[Text] = Field(default_factory=list)  # breakdowns the plan reports (industry, target group ...)

    @model_validator(mode="after")
    def _kind(self):
        if self.kind == "rate" and (self.numerator is None or self.denominator is None):
            raise ValueError(f"indicator '{self.name}': a rate needs `numerator` and `denominator` (count indicators)")
        if self.kind != "rate" and (self.numerator or self.denominator):
            raise ValueError(f"indicator '{self.name}': only a rate has numerator and denominator")
        if self.kind != "rate" and self.source is None:
            raise ValueError(f"indicator '{self.name}': give its `source` (one of the programme's sources)")
        if self.register_ is not None and self.kind not in ("count", "share"):
            raise ValueError(f"indicator '{self.name}': register measures are counts or shares")
        if self.register_ is not None and self.kind == "share" and self.register_.status is None:
            raise ValueError(f"indicator '{self.name}': a share from the registers needs `register.status`")
        return self


class TargetSpec(Section):
    """A numeric target of an indicator: `absolute` (60 micro-loans; `per: year` for 4 a year), `relative` to a
    baseline (+25 %: value 0.25, with the baseline value or the date it is measured at) or a `share` (0.6)."""

    indicator: Ident
    kind: Literal["absolute", "relative", "share"] = "absolute"
    value: Number
    direction: Literal["at_least", "at_most"] = "at_least"
    per: Literal["year"] | None = None
    baseline: Number | None = None  # relative: the baseline value
    baseline_date: Date | None = None  # relative: the baseline is the indicator's value at this date
    horizon: Literal["kort", "mellemlang", "lang"] | None = None
    by: Date | None = None  # the date the target is for (default: the programme's end)
    label: Text | None = None

    @model_validator(mode="after")
    def _value(self):
        if self.kind == "share" and not 0 <= self.value <= 1:
            raise ValueError("a share target is a number between 0 and 1 (write 0.6 for 60 %)")
        if self.kind != "relative" and (self.baseline is not None or self.baseline_date is not None):
            raise ValueError("only a relative target has a baseline")
        if self.per is not None and self.kind != "absolute":
            raise ValueError("`per: year` belongs to an absolute target")
        return self


class Schedule(Section):
    """Measurement points: `fixed` dates; `iso_weeks` windows each year (e.g. weeks 14-15 and 40-41) from one ISO
    week to another; a `grid` every month/quarter/half_year/year from a date (default the baseline) to another
    (default the end); `event`-relative points some months after each person's event."""

    name: Ident
    label: Text | None = None
    kind: Literal["fixed", "iso_weeks", "grid", "event"]
    indicators: list[Ident] = Field(default_factory=list)
    what: list[Text] = Field(default_factory=list)  # what is measured besides indicators (a survey's themes)
    dates: list[Date] = Field(default_factory=list)  # fixed
    windows: list[WeekWindow] = Field(default_factory=list)  # iso_weeks
    from_: Any = Field(default=None, alias="from")  # iso_weeks: YYYY-Www; grid: a date (default the baseline)
    to: Any = None  # iso_weeks: YYYY-Www; grid: a date (default the programme's end)
    every: Literal["month", "quarter", "half_year", "year"] | None = None  # grid
    include_start: bool = False  # grid: the start date is a point too (default: the first point is one step in)
    event: Text | None = None  # event: what the months count from (words for the calendar)
    months: list[Annotated[int, PlainValidator(lambda v: _months(v))]] = Field(default_factory=list)  # event

    @field_validator("indicators", "what", "dates", "windows", "months", mode="before")
    @classmethod
    def _schedule_lists(cls, v):
        return none_is_empty(v)

    @model_validator(mode="after")
    def _shape(self):
        need = {"fixed": ("dates",), "iso_weeks": ("windows", "from_", "to"), "grid": ("every",),
                "event": ("event", "months")}[self.kind]
        for f in need:
            if not getattr(self, f):
                key = "from" if f == "from_" else f
                raise ValueError(f"schedule '{self.name}': a {self.kind} schedule needs `{key}`")
        others = {"dates", "windows", "every", "event", "months"} - set(need)
        for f in sorted(others):
            if getattr(self, f):
                raise ValueError(f"schedule '{self.name}': `{f}` does not belong to a {self.kind} schedule")
        if self.kind == "iso_weeks":
            first, last = _iso_week(self.from_), _iso_week(self.to)
            if last < first:
                raise ValueError(f"schedule '{self.name}': `to` ({self.to}) lies before `from` ({self.from_})")
        if self.kind == "grid":
            for key, v in (("from", self.from_), ("to", self.to)):
                if v is not None and not isinstance(v, dt.date):
                    raise ValueError(f"schedule '{self.name}': `{key}` of a grid is a date written YYYY-MM-DD")
        if self.kind in ("fixed", "event") and (self.from_ is not None or self.to is not None):
            raise ValueError(f"schedule '{self.name}': `from` and `to` belong to iso_weeks and grid schedules")
        if not self.indicators and not self.what:
            raise ValueError(f"schedule '{self.name}': name the `indicators` it measures (or `what` it collects)")
        return self


def _months(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 240:
        raise fail("expected a whole number of months from 0 to 240")
    return v


class ProgrammeSpec(Section):
    """The `programme:` section: a programme theory and, optionally, its measurement plan."""

    title: Text | None = None
    baseline: Date | None = None
    end: Date | None = None
    target_group: list[Text] = Field(default_factory=list)
    activities: list[Activity]
    mechanisms: list[Mechanism] = Field(default_factory=list)
    effects: list[Effect] = Field(default_factory=list)
    moderators: list[Moderator] = Field(default_factory=list)
    cross_cutting: list[CrossCutting] = Field(default_factory=list)
    horizons: dict[Literal["kort", "mellemlang", "lang"], Text] = Field(default_factory=dict)  # words, e.g. 3-5 år
    sources: list[Source] = Field(default_factory=list)
    indicators: list[Indicator] = Field(default_factory=list)
    targets: list[TargetSpec] = Field(default_factory=list)
    schedules: list[Schedule] = Field(default_factory=list)
    values_file: Text | None = None  # the CSV of manual and survey values (default: the survey/manual source files)
    threshold_note: Text | None = None

    @field_validator("target_group", "mechanisms", "effects", "moderators", "cross_cutting", "sources",
                     "indicators", "targets", "schedules", mode="before")
    @classmethod
    def _programme_lists(cls, v):
        return none_is_empty(v)

    @model_validator(mode="after")
    def _dates(self):
        if self.baseline and self.end and self.end < self.baseline:
            raise ValueError(f"`end` ({self.end}) lies before `baseline` ({self.baseline})")
        return self

    def node_ids(self) -> dict[str, str]:
        """Every id of the theory -> what it is (activity, mechanism, effect, moderator, cross_cutting)."""
        out: dict[str, str] = {}
        for kind, items in (("activity", self.activities), ("mechanism", self.mechanisms), ("effect", self.effects),
                            ("moderator", self.moderators), ("cross_cutting", self.cross_cutting)):
            for item in items:
                out.setdefault(item.id, kind)
        return out

    def indicator(self, name: str) -> Indicator:
        return next(i for i in self.indicators if i.name == name)

    def source(self, name: str | None) -> Source | None:
        return next((s for s in self.sources if s.name == name), None)


__all__ = ["HORIZONS", "INDICATOR_KINDS", "POPULATIONS", "SCHEDULE_KINDS", "SOURCE_KINDS", "TARGET_KINDS",
           "GRID_STEPS", "Activity", "CrossCutting", "Effect", "Indicator", "Mechanism", "Moderator",
           "ProgrammeSpec", "RegisterMeasure", "Schedule", "Source", "TargetSpec", "PositiveNumber"]

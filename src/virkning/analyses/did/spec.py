"""The design-file section `difference_in_differences:` and its compilation into the `DidDesign` the run takes.

    difference_in_differences:
      target_group: forsikrede_ledige          # or {states: [ledig], codes: ["111"]}
      period: quarter                           # month, quarter, half-year or year
      from: 2015-01-01                          # optional: the first and last period (dates inside them)
      to: 2019-12-31
      trial:                                    # trial units (municipality codes, or names under `units`)
        - {unit: 851, start: 2017-07-01}
      comparison: [461, 561]                    # or per trial unit: {851: [461, 561]}
      indicators: [aktiveringsgrad, beskaeftigelsesgrad]

Every key is checked when the design is read; rules across keys (a trial unit also among the comparison units, a
start without a period before it, a window that ends before it starts) are reported at the key they concern. What
can only be checked against the data (periods outside the data, a start after the end of the data, units without
persons, missing interview events) is checked by the run and named by its key (docs/did-analysis.md).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, cast

from pydantic import Field, PlainValidator, field_validator

from virkning.design.messages import show
from virkning.design.types import (Code, Date, Section, Text, Unit, Whole0, Whole1, fail, none_is_empty, note,
                                   notes_error, unit_name)
from virkning.indicators import (DESCRIBE_DEFAULT, DID_DEFAULT, INDICATORS, TARGET_GROUPS, TargetGroup,
                                 municipality_names, period_label, period_of_month, target_group)
from virkning.registers import calendar
from virkning.registers.catalogue import GROUPS, STATES, canonical_state

SECTION = "difference_in_differences"
PERSON_OUTCOMES = {"beskaeftigelse": ("Beskæftigelse (personniveau)", "Employment (person level)")}


def _indicator(v: Any) -> str:
    if isinstance(v, str) and v.strip() in INDICATORS:
        return v.strip()
    raise fail(f"expected an indicator: one of {', '.join(INDICATORS)}")


def _person_outcome(v: Any) -> str:
    if isinstance(v, str) and v.strip() in PERSON_OUTCOMES:
        return v.strip()
    raise fail(f"expected a person-level outcome: one of {', '.join(PERSON_OUTCOMES)}")


def _window(v: Any) -> tuple[int, int]:
    ok = (isinstance(v, list) and len(v) == 2 and all(isinstance(x, int) and not isinstance(x, bool) for x in v))
    if not ok:
        raise fail("expected [first, last] event times in periods, e.g. [-6, 6]")
    if not v[0] < 0 <= v[1]:
        raise fail("expected [first, last] with first < 0 <= last, e.g. [-6, 6]")
    return (v[0], v[1])


def _dates(v: Any) -> tuple[dt.date, dt.date]:
    if not (isinstance(v, list) and len(v) == 2):
        raise fail("expected [first, last] dates, e.g. [2016-01-01, 2016-12-31]")
    out = []
    for x in v:
        if isinstance(x, dt.date) and not isinstance(x, dt.datetime):
            out.append(x)
        elif isinstance(x, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", x.strip()):
            out.append(dt.date.fromisoformat(x.strip()))
        else:
            raise fail("expected [first, last] dates written YYYY-MM-DD")
    if out[0] > out[1]:
        raise fail("expected [first, last] with first on or before last")
    return (out[0], out[1])


def _comparison(v: Any) -> list[str] | dict[str, list[str]]:
    """A list of units shared by every trial unit, or {trial unit: [its comparison units]}; none may be empty."""
    if isinstance(v, list):
        if not v:
            raise fail("expected at least one comparison unit")
        return [unit_name(u) for u in v]
    if isinstance(v, dict):
        if not v:
            raise fail("expected a comparison set for every trial unit")
        out = {}
        for k, units in v.items():
            if not isinstance(units, list) or not units:
                raise note(f"expected a non-empty list of comparison units for the trial unit {k}; got {show(units)}")
            out[unit_name(k)] = [unit_name(u) for u in units]
        return out
    raise fail("expected a list of comparison units, e.g. [461, 561], or per trial unit {851: [461, 561]}")


def _boot(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or (v != 0 and v < 99):
        raise fail("expected 0 (no bootstrap) or a number of draws of at least 99")
    return v


IndicatorName = Annotated[str, PlainValidator(_indicator)]
PersonOutcome = Annotated[str, PlainValidator(_person_outcome)]
EventWindow = Annotated[tuple[int, int], PlainValidator(_window)]
DateWindow = Annotated[tuple[dt.date, dt.date], PlainValidator(_dates)]
Boot = Annotated[int, PlainValidator(_boot)]


class TargetSpec(Section):
    name: Text | None = None
    states: list[Text] = []
    codes: list[Code] = []

    @field_validator("states")
    @classmethod
    def _states(cls, v: list[str]) -> list[str]:
        for s in v:
            if canonical_state(s) not in (*STATES, *GROUPS):
                raise fail(f"expected states or groups of the DREAM code catalogue: {', '.join((*STATES, *GROUPS))}")
        return [cast(str, canonical_state(s)) for s in v]  # each one checked just above


class TrialSpec(Section):
    unit: Unit
    start: Date


class DidSpec(Section):
    """The `difference_in_differences:` section."""

    target_group: Literal[tuple(TARGET_GROUPS)] | TargetSpec = "forsikrede_ledige"  # type: ignore[valid-type]
    units: dict[Text, Annotated[list[Code], Field(min_length=1)]] = {}
    period: Literal["month", "quarter", "half-year", "year"] = "quarter"
    start: Date | None = Field(None, alias="from")
    end: Date | None = Field(None, alias="to")
    trial: Annotated[list[TrialSpec], Field(min_length=1)]
    comparison: Annotated[Any, PlainValidator(_comparison)]
    indicators: list[IndicatorName] = list(DID_DEFAULT)
    describe: list[IndicatorName] = list(DESCRIBE_DEFAULT)
    person_outcomes: list[PersonOutcome] = ["beskaeftigelse"]
    employment_lag: Whole0 = 3
    interview_event: Text = "samtale"
    spell_gap: Whole0 = 0
    su_weeks: Whole1 = 4
    pre: DateWindow | None = None
    post: DateWindow | None = None
    anticipation: Whole0 = 0
    control_group: Literal["never", "not_yet"] = "never"
    event_window: EventWindow = (-6, 6)
    n_boot: Boot = 999
    boot_weights: Literal["webb", "rademacher"] = "webb"

    @field_validator("describe", "person_outcomes", mode="before")
    @classmethod
    def _null_is_empty(cls, v):
        return none_is_empty(v)


HINTS = {"trial": "the trial units and their start dates, e.g. [{unit: 851, start: 2017-07-01}]",
         "comparison": "the comparison units, e.g. [461, 561], or per trial unit {851: [461, 561]}"}


@dataclass(frozen=True)
class DidDesign:
    """What the run takes: units (id -> municipality codes), trial units with start dates, comparison sets per
    trial unit, the indicators and person-level outcomes, the windows and the estimators' options."""

    target: TargetGroup
    period: str
    units: dict[str, tuple[str, ...]]
    trial: tuple[tuple[str, dt.date], ...]
    comparison: dict[str, tuple[str, ...]]
    comparison_shared: bool
    first: str | None
    last: str | None
    indicators: tuple[str, ...]
    describe: tuple[str, ...]
    person_outcomes: tuple[str, ...]
    employment_lag: int
    interview_event: str
    spell_gap: int
    su_weeks: int
    pre: tuple[dt.date, dt.date] | None
    post: tuple[dt.date, dt.date] | None
    anticipation: int
    control: str
    event_window: tuple[int, int]
    n_boot: int
    boot_weights: str
    seed: int
    index: dict[str, str] = field(default_factory=dict)  # unit -> design key of its entry (trial[2].unit)

    @property
    def comparison_units(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(u for t, _ in self.trial for u in self.comparison[t]))

    @property
    def trial_units(self) -> tuple[str, ...]:
        return tuple(t for t, _ in self.trial)

    def start_period(self, unit: str) -> int:
        start = dict(self.trial)[unit]
        return period_of_month(calendar.date_month(start), self.period)

    def computed(self) -> tuple[str, ...]:
        """Indicators to compute: estimated, described, and the employment rate behind the person-level outcome."""
        names = list(dict.fromkeys([*self.indicators, *self.describe]))
        if self.person_outcomes and "beskaeftigelsesgrad" not in names:
            names.append("beskaeftigelsesgrad")
        return tuple(names)


def compile_did(section: DidSpec, root) -> DidDesign:
    """The checked section as a `DidDesign`; rules across keys are reported at the key they concern (all at once)."""
    problems: list[tuple[tuple, str, Any]] = []
    names = municipality_names()
    groups = {str(k): tuple(v) for k, v in section.units.items()}
    for g, codes in groups.items():
        for c in codes:
            if c not in names:
                problems.append((("units", g), f"{c} is not a municipality code of registers/municipalities.csv", c))
    seen: dict[str, str] = {}
    for g, codes in groups.items():
        for c in codes:
            if c in seen and seen[c] != g:
                problems.append((("units", g), f"municipality {c} is also in unit {seen[c]!r}; give it to one unit", c))
            seen[c] = g

    def known(u: str) -> bool:
        return u in groups or (u in names and u not in seen)

    def what(u: str) -> str:
        return f"{u} ({names[u]})" if u in names else repr(u)

    first_p = period_of_month(calendar.date_month(section.start), section.period) if section.start else None
    last_p = period_of_month(calendar.date_month(section.end), section.period) if section.end else None
    if first_p is not None and last_p is not None and last_p < first_p:
        problems.append((("to",), "expected a date in or after the period of 'from' "
                                  f"({period_label(first_p, section.period)})", section.end))
    trial: list[tuple[str, dt.date]] = []
    index: dict[str, str] = {}
    for i, t in enumerate(section.trial):
        if not known(t.unit):
            problems.append((("trial", i, "unit"), f"{t.unit!r} is neither a municipality code nor a unit under units"
                             + (" (its municipality is part of a unit under units)" if t.unit in seen else ""), t.unit))
            continue
        if t.unit in index:
            problems.append((("trial", i, "unit"), f"{what(t.unit)} is listed twice among the trial units", t.unit))
            continue
        sp = period_of_month(calendar.date_month(t.start), section.period)
        if first_p is not None and sp - section.anticipation <= first_p:
            problems.append((("trial", i, "start"), f"{t.start.isoformat()} leaves no {section.period} before the start"
                             f"{' and the anticipation' if section.anticipation else ''} from 'from' "
                             f"({period_label(first_p, section.period)}); a unit needs a pre-period: start later, "
                             "begin 'from' earlier or leave the unit out", t.start))
        if last_p is not None and sp > last_p:
            problems.append((("trial", i, "start"), f"{t.start.isoformat()} is after the last period "
                             f"('to': {period_label(last_p, section.period)}); the unit would never be treated", t.start))
        index[t.unit] = f"{SECTION}.trial[{i + 1}]"
        trial.append((t.unit, t.start))
    trial_set = {u for u, _ in trial}
    comp: dict[str, tuple[str, ...]] = {}
    shared = isinstance(section.comparison, list)

    def check_set(units: list[str], loc: tuple) -> tuple[str, ...]:
        out = []
        for j, u in enumerate(units):
            if not known(u):
                problems.append(((*loc, j), f"{u!r} is neither a municipality code nor a unit under units", u))
            elif u in trial_set:
                problems.append(((*loc, j), f"{what(u)} is a trial unit; a unit cannot be its own comparison (remove "
                                 "it from the comparison units)", u))
            elif u in out:
                problems.append(((*loc, j), f"{what(u)} is listed twice", u))
            else:
                out.append(u)
        return tuple(out)

    if shared:
        shared_set = check_set(list(section.comparison), ("comparison",))
        comp = {u: shared_set for u, _ in trial}
    else:
        for key, listed in section.comparison.items():
            if key not in trial_set:
                at = ("comparison", int(key) if key.isdigit() else key)
                problems.append((at, f"{what(key)} is not a trial unit; the keys of a mapping of comparison sets are "
                                     "the trial units", key))
                continue
            comp[key] = check_set(list(listed), ("comparison", int(key) if key.isdigit() else key))
        for u in [u for u, _ in trial if u not in comp]:
            problems.append((("comparison",), f"no comparison units for the trial unit {what(u)}; give a set for every "
                             "trial unit", section.comparison))
    for key in ("pre", "post"):
        w = getattr(section, key)
        if w is not None:
            for d, side in zip(w, ("first", "last")):
                p = period_of_month(calendar.date_month(d), section.period)
                if (first_p is not None and p < first_p) or (last_p is not None and p > last_p):
                    problems.append(((key,), f"its {side} date {d.isoformat()} is outside 'from'-'to'", list(w)))
    if section.pre and section.post and section.pre[1] >= section.post[0]:
        problems.append((("post",), f"expected the post window to start after the pre window ends "
                                    f"({section.pre[1].isoformat()})", list(section.post)))
    if trial:
        first_start = min(period_of_month(calendar.date_month(s), section.period) for _, s in trial)
        if section.pre and period_of_month(calendar.date_month(section.pre[1]), section.period) >= \
                first_start - section.anticipation:
            problems.append((("pre",), "expected the pre window to end before the first start (less the "
                                       "anticipation)", list(section.pre)))
    ref = -1 - section.anticipation
    if section.event_window[0] >= ref:
        problems.append((("event_window",), f"expected the first event time below the reference period {ref} (the "
                                            "period before the start, less the anticipation)", list(section.event_window)))
    if section.employment_lag > 24:
        problems.append((("employment_lag",), "expected at most 24 months", section.employment_lag))
    if problems:
        raise notes_error("DidSpec", problems)
    target = (target_group(section.target_group) if isinstance(section.target_group, str) else
              TargetGroup(section.target_group.name or "målgruppe", (section.target_group.name or "målgruppe",) * 2,
                          tuple(section.target_group.states), tuple(section.target_group.codes)))
    order = [u for u, _ in trial] + [u for t, _ in trial for u in comp[t]]
    units = {u: groups.get(u, (u,)) for u in dict.fromkeys(order)}
    month = (lambda d: calendar.month_label(calendar.date_month(d)) if d else None)  # noqa: E731
    return DidDesign(target=target, period=section.period, units=units, trial=tuple(trial), comparison=comp,
                     comparison_shared=shared, first=month(section.start), last=month(section.end),
                     indicators=tuple(dict.fromkeys(section.indicators)),
                     describe=tuple(x for x in dict.fromkeys(section.describe) if x not in section.indicators),
                     person_outcomes=tuple(dict.fromkeys(section.person_outcomes)),
                     employment_lag=section.employment_lag, interview_event=section.interview_event,
                     spell_gap=section.spell_gap, su_weeks=section.su_weeks, pre=section.pre, post=section.post,
                     anticipation=section.anticipation, control=section.control_group,
                     event_window=section.event_window, n_boot=section.n_boot, boot_weights=section.boot_weights,
                     seed=root.seed, index=index)

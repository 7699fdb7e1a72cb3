"""Measurement schedules as points in time, and the calendar files written from them (CSV and iCalendar).

A point is one measurement occasion of a schedule: a fixed date, an ISO-week window of one year (Monday of the
first week to Sunday of the last), a date of a grid (every month, quarter, half year or year from a start date;
the start itself only with `include_start`), or an event-relative offset (3, 6, 9 months after each person's
event: no calendar date, since each person reaches it on a date of his own).

The iCalendar file is written here by hand: the calendar needs only all-day VEVENTs (RFC 5545 sections 3.4-3.6,
3.8), which are a few lines of text; a library would add a dependency for that. Lines are folded at 75 octets and
text values escaped as the RFC requires, and the file has no time stamps from the clock (DTSTAMP is the
programme's baseline), so the same design gives the same bytes.
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from virkning.analyses.programme.spec import GRID_STEPS, ProgrammeSpec, Schedule

CALENDAR_COLUMNS = ["schedule", "point", "kind", "start", "end", "months_after", "event", "indicators", "label"]


@dataclass(frozen=True)
class Point:
    schedule: str
    point: str  # the point's id within its schedule: 2018-03-31, 2018-W14-15, +6m
    kind: str
    start: dt.date | None
    end: dt.date | None
    months_after: int | None = None  # event-relative points
    event: str | None = None
    indicators: tuple[str, ...] = ()
    label: str = ""


def add_months(d: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day when it has fewer days (31 Jan + 1 month = 28/29 Feb)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return dt.date(year, month, min(d.day, _cal.monthrange(year, month)[1]))


def iso_monday(year: int, week: int) -> dt.date:
    return dt.date.fromisocalendar(year, week, 1)


def _weeks_in(year: int) -> int:
    return dt.date(year, 12, 28).isocalendar()[1]


def schedule_points(s: Schedule, baseline: dt.date | None, end: dt.date | None) -> list[Point]:
    """The points of one schedule (grid bounds default to the programme's baseline and end)."""
    common: dict[str, Any] = dict(schedule=s.name, kind=s.kind, indicators=tuple(s.indicators), label=s.label or s.name)
    if s.kind == "fixed":
        return [Point(point=d.isoformat(), start=d, end=d, **common) for d in sorted(s.dates)]
    if s.kind == "event":
        return [Point(point=f"+{m}m", start=None, end=None, months_after=m, event=s.event, **common)
                for m in sorted(set(s.months))]
    if s.kind == "iso_weeks":
        first, last = _parse_week(s.from_), _parse_week(s.to)
        out = []
        for year in range(first[0], last[0] + 1):
            for w1, w2 in sorted(s.windows):
                if w2 > _weeks_in(year) or not first <= (year, w1) or not (year, w2) <= last:
                    continue
                out.append(Point(point=f"{year}-W{w1:02d}" + (f"-{w2:02d}" if w2 != w1 else ""),
                                 start=iso_monday(year, w1), end=iso_monday(year, w2) + dt.timedelta(days=6), **common))
        return out
    start = s.from_ or baseline
    stop = s.to or end
    if start is None or stop is None:
        return []  # reported by the design checks
    assert s.every is not None  # Schedule's validator requires `every` of a grid
    step = GRID_STEPS[s.every]
    out, k = [], 0 if s.include_start else 1
    while (d := add_months(start, k * step)) <= stop:
        out.append(Point(point=d.isoformat(), start=d, end=d, **common))
        k += 1
    return out


def _parse_week(v) -> tuple[int, int]:
    text = str(v).strip()
    year, week = text.split("W")
    return int(year.rstrip("-")), int(week)


def points(spec: ProgrammeSpec) -> list[Point]:
    out: list[Point] = []
    for s in spec.schedules:
        out += schedule_points(s, spec.baseline, spec.end)
    return out


def calendar_frame(spec: ProgrammeSpec) -> pd.DataFrame:
    """The calendar of measurement points, dated points first in time order, event-relative points after them."""
    rows = [{"schedule": p.schedule, "point": p.point, "kind": p.kind,
             "start": p.start.isoformat() if p.start else "", "end": p.end.isoformat() if p.end else "",
             "months_after": p.months_after, "event": p.event or "", "indicators": " ".join(p.indicators),
             "label": p.label} for p in points(spec)]
    frame = pd.DataFrame(rows, columns=CALENDAR_COLUMNS)
    frame["_dated"] = frame["start"] == ""
    frame = frame.sort_values(["_dated", "start", "schedule", "months_after"], kind="stable").drop(columns="_dated")
    frame["months_after"] = frame["months_after"].astype("Int64")
    return frame.reset_index(drop=True)


# ---- iCalendar ------------------------------------------------------------------------------------------------------

def _escape(text: str) -> str:
    """TEXT values (RFC 5545 3.3.11): backslash, semicolon, comma and newline escaped."""
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n")
            .replace("\n", "\\n"))


def _fold(line: str) -> list[str]:
    """Content lines longer than 75 octets are folded (RFC 5545 3.1): CRLF and one space; never inside a UTF-8
    character."""
    out: list[str] = []
    current = ""
    for ch in line:
        limit = 75 if not out else 74  # a continuation line starts with the space
        if len((current + ch).encode("utf-8")) > limit:
            out.append(current)
            current = ch
        else:
            current += ch
    out.append(current)
    return [out[0], *[" " + x for x in out[1:]]]


def ics_text(spec: ProgrammeSpec, title: str, uid_domain: str = "virkning.local") -> str:
    """An iCalendar file with one all-day event per dated point (event-relative points have no date and are left
    to the CSV). DTEND of an all-day event is the day after its last day (RFC 5545 3.6.1)."""
    stamp = (spec.baseline or dt.date(2000, 1, 1)).strftime("%Y%m%dT000000Z")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//virkning//measurement plan//DA", "CALSCALE:GREGORIAN",
             f"X-WR-CALNAME:{_escape(title)}"]
    for p in points(spec):
        if p.start is None:
            continue
        assert p.end is not None  # a dated point has both ends (schedule_points)
        what = ", ".join([*p.indicators, *next(s.what for s in spec.schedules if s.name == p.schedule)])
        uid = f"{_slug(title)}-{p.schedule}-{p.point}@{uid_domain}"
        lines += ["BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{stamp}",
                  f"DTSTART;VALUE=DATE:{p.start.strftime('%Y%m%d')}",
                  f"DTEND;VALUE=DATE:{(p.end + dt.timedelta(days=1)).strftime('%Y%m%d')}",
                  f"SUMMARY:{_escape(f'{title}: {p.label} ({p.point})')}"]
        if what:
            lines.append(f"DESCRIPTION:{_escape(what)}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    folded = [part for line in lines for part in _fold(line)]
    return "\r\n".join(folded) + "\r\n"


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-") or "programme"

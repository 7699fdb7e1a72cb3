"""Programme theory and measurement plan as code (seeds 002 and 003; docs/programme.md).

    programme:  the design file's section (spec.ProgrammeSpec): target group, activities, mechanisms and
                short-term results, expected effects by horizon, moderators, cross-cutting mechanisms; sources,
                indicators, targets and schedules
    compile     the section checked across its items (checks.py: located problems)
    run         the theory and plan as tables (theory.py), the calendar of measurement points (schedule.py)
    publish     tables without counts of persons; the plan's status (status.py) through the gate (publish.py)
    render      the diagram (diagram.py, SVG) and tables as report sections (sections.py)

`virkning plan DESIGN` (plan.py) writes the calendar (CSV, iCalendar), a standalone page, and with --data the status.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import datetime as dt

import pandas as pd

from virkning.analyses.base import Context, Kind, Output
from virkning.analyses.programme.checks import problems, raise_problems
from virkning.analyses.programme.schedule import calendar_frame, ics_text, points
from virkning.analyses.programme.spec import ProgrammeSpec
from virkning.analyses.programme.theory import indicator_frame, schedule_frame, theory_frame

__all__ = ["KIND", "ProgrammeResult", "ProgrammeSpec", "calendar_frame", "ics_text", "points", "programme_result"]


@dataclass(frozen=True)
class ProgrammeResult:
    spec: ProgrammeSpec = field(repr=False)
    title: str
    language: str
    theory: pd.DataFrame = field(repr=False)
    indicators: pd.DataFrame = field(repr=False)
    schedules: pd.DataFrame = field(repr=False)
    calendar: pd.DataFrame = field(repr=False)
    status: pd.DataFrame | None = field(default=None, repr=False)
    status_keys: dict = field(default_factory=dict, repr=False)
    as_of: dt.date | None = None


def compile_programme(section: ProgrammeSpec, root=None) -> ProgrammeSpec:
    raise_problems(problems(section))
    return section


def programme_result(spec: ProgrammeSpec, title: str, language: str = "da") -> ProgrammeResult:
    return ProgrammeResult(spec, spec.title or title, language, theory_frame(spec, language),
                           indicator_frame(spec, language), schedule_frame(spec, language), calendar_frame(spec))


def run(design, ctx: Context) -> ProgrammeResult:
    return programme_result(design.analyses["programme"], ctx.design_name or "", ctx.language)


def publish(result: ProgrammeResult, threshold: int) -> list[Output]:
    """Tables of the theory, indicators, schedules and calendar (no counts of persons); the bundle carries the spec
    for the report's diagram."""
    tables = {"programme_theory": result.theory, "indicators": result.indicators, "schedules": result.schedules,
              "calendar": result.calendar}
    bundle = {"kind": "programme", "title": result.title,
              "spec": result.spec.model_dump(mode="json", by_alias=True, exclude_none=True, warnings=False)}
    return [Output(kind="programme", folder="programme", tables=tables, bundle=bundle, title=result.title)]


def render(output: Output, language: str, numbering=None, synthetic: bool = False):
    from virkning.analyses.programme.sections import theory_sections

    spec = ProgrammeSpec.model_validate(output.bundle["spec"])
    t = output.tables
    return theory_sections(spec, t["programme_theory"], t["indicators"], t["schedules"], output.bundle["title"],
                           language, numbering)


KIND = Kind(key="programme", title=("Programteori", "Programme theory"), spec=ProgrammeSpec, section="programme",
            command="evaluate", compile=compile_programme, run=run, publish=publish, render=render,
            requires_registers=False)

"""The design-file section `benchmark:` and its compilation into the `BenchmarkDesign` the run takes.

    benchmark:
      target_groups: [forsikrede_ledige]      # one rate per group (shipped target groups of the indicator layer)
      units: {Frederikshavn: [813, 825]}      # optional: job centres made of several municipalities
      include: [851, 461, 561]                # optional: the units to rank (default: every municipality in the data)
      from: 2018-01                           # optional window (months); the year before the reference month is needed
      leave_out_newest: 1                     # months left out at the end for late registrations (default 1)
      comparison_group: [461, 561]            # a user-declared comparison group (STAR's clusters were discontinued)
      best: 10                                # the mean of the N units with the lowest rate
      labour_force: labour_force.csv          # unit, [group], labour_force  (default: persons of the data)
      staffing: staffing.csv                  # unit, [month], caseworkers
      covariates: covariates.csv              # unit, covariate columns ...
      model: [andel_ufaglaerte, befolkning_log]   # the expected level: OLS of the rate on these covariates

File paths are relative to the design file. What can only be checked against the data or the files (units without
data in the newest month, staffing rows for unknown units, covariates missing) is checked by the run and named by
its key (docs/benchmarking.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import Field, PlainValidator

from virkning.design.types import Code, Month, Section, Text, Unit, Whole0, Whole1, fail, notes_error
from virkning.indicators import TARGET_GROUPS, municipality_names

SECTION = "benchmark"


def _level(v: Any) -> float:
    if isinstance(v, (int, float)) and not isinstance(v, bool) and 0.5 <= v < 1:
        return float(v)
    raise fail("expected a confidence level between 0.5 and 1, e.g. 0.95")


Level = Annotated[float, PlainValidator(_level)]


class BenchmarkSpec(Section):
    """The `benchmark:` section."""

    target_groups: Annotated[list[Literal[tuple(TARGET_GROUPS)]], Field(min_length=1)] = [  # type: ignore[valid-type]
        "forsikrede_ledige"]
    units: dict[Text, Annotated[list[Code], Field(min_length=1)]] = {}
    include: list[Unit] = []
    start: Month | None = Field(None, alias="from")
    end: Month | None = Field(None, alias="to")
    month: Month | None = None
    leave_out_newest: Whole0 = 1
    best: Whole1 = 10
    comparison_group: list[Unit] = []
    comparison_name: Text = "Sammenligningsgruppe"
    labour_force: Text | None = None
    staffing: Text | None = None
    covariates: Text | None = None
    model: list[Text] = []
    level: Level = 0.95


HINTS = {"model": "covariate columns of the covariates file, e.g. [andel_ufaglaerte]"}


@dataclass(frozen=True)
class BenchmarkDesign:
    """What the run takes: groups, units (id -> municipality codes, None: every municipality of the data), the
    window and reference month rule, the comparison group, the input files (as written; resolved against the design
    file by the run) and the model's covariates."""

    groups: tuple[str, ...]
    units: dict[str, tuple[str, ...]] | None
    first: str | None
    last: str | None
    month: str | None
    leave_out: int
    best: int
    comparison: tuple[str, ...]
    comparison_name: str
    labour_force: str | None
    staffing: str | None
    covariates: str | None
    model: tuple[str, ...]
    level: float


def compile_benchmark(section: BenchmarkSpec, root) -> BenchmarkDesign:
    """The checked section as a `BenchmarkDesign`; rules across keys are reported at the key they concern."""
    problems: list[tuple[tuple, str, Any]] = []
    names = municipality_names()
    groups = {str(k): tuple(v) for k, v in section.units.items()}
    seen: dict[str, str] = {}
    for g, codes in groups.items():
        for c in codes:
            if c not in names:
                problems.append((("units", g), f"{c} is not a municipality code of registers/municipalities.csv", c))
            elif c in seen and seen[c] != g:
                problems.append((("units", g), f"municipality {c} is also in unit {seen[c]!r}; give it to one unit", c))
            seen[c] = g

    def known(u: str) -> bool:
        return u in groups or (u in names and u not in seen)

    for key in ("include", "comparison_group"):
        listed: set[str] = set()
        for j, u in enumerate(getattr(section, key)):
            if not known(u):
                problems.append(((key, j), f"{u!r} is neither a municipality code nor a unit under units", u))
            elif u in listed:
                problems.append(((key, j), f"{u!r} is listed twice", u))
            listed.add(u)
    include = list(section.include)
    if include:
        for j, u in enumerate(section.comparison_group):
            if u not in include and known(u):
                problems.append((("comparison_group", j), f"{u!r} is not among the units under include; the "
                                 "comparison group is a subset of the benchmarked units", u))
    if section.start and section.end and section.end < section.start:
        problems.append((("to",), f"expected a month on or after 'from' ({section.start})", section.end))
    if section.model and not section.covariates:
        problems.append((("model",), "a model of the expected level needs a covariates file: add "
                                     "'covariates: FILE.csv' (columns unit and the covariates)", list(section.model)))
    if len(set(section.model)) != len(section.model):
        problems.append((("model",), "a covariate is listed twice", list(section.model)))
    if problems:
        raise notes_error("BenchmarkSpec", problems)
    if include:
        units = {u: groups.get(u, (u,)) for u in include}
    elif groups:  # declared job centres plus every other municipality is decided by the data: only the groups here
        units = dict(groups)
    else:
        units = None
    return BenchmarkDesign(groups=tuple(dict.fromkeys(section.target_groups)), units=units, first=section.start,
                           last=section.end, month=section.month, leave_out=section.leave_out_newest,
                           best=section.best, comparison=tuple(section.comparison_group),
                           comparison_name=section.comparison_name, labour_force=section.labour_force,
                           staffing=section.staffing, covariates=section.covariates, model=tuple(section.model),
                           level=section.level)

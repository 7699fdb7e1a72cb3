"""The `trajectories:` section of the design file and the domain design it compiles to.

    trajectories:
      records: {keep_groups: ["1", "2", "3", udskudt], reference_date: 2018-01-31}   # the de-duplication rule
      groups:   [{name: gruppe_1, records: ["1"]}, {name: sammenligning, rule: {date: ..., state: ..., ...}}]
      outcomes: [{name: ordinaere_timer, all_of: [beskæftiget], none_of: [fleksjob, løntilskud]}, ...]
      horizon: 29
      curves:   {groups: [...], outcomes: [...]}
      units:    {group: gruppe_1, outcomes: [...], size_bands: [25000, 50000], volume_bands: [100, 500], criterion: ...}
      seniority: {groups: [...], date: 2017-01-02, state: kontanthjælpslignende, bands: [5, 6, 10, 15]}
      lpm:      {group: gruppe_1, outcomes: [...], covariates: [...], controls: [...], se: auto}

Values are checked where they are written (types in `virkning.design.types`); references between parts (a group
named by the curves, an outcome named by the units) are checked in `compile_trajectories` and reported at the key
that names them. docs/design-file.md and docs/trajectories.md describe every key.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, cast

from pydantic import Field, StrictBool, ValidationInfo, field_validator, model_validator
from pydantic_core import ValidationError

from virkning.design.types import (CovariateName, notes_error, Date, Edges, PoolState, PositiveNumber, Section, Text, Whole1,
                                   Whole2, fail, none_is_empty)
from virkning.errors import DesignError
from virkning.estimate.trajectories import MEASURES, Measure
from virkning.outcomes import MonthOutcome
from virkning.records import PREFER, DedupRule
from virkning.registers.catalogue import canonical_state
from virkning.registers.contract import RECORD_GROUPS

Names = Annotated[list[Text], Field(min_length=1)]


def _group_codes(v: Any) -> list[str]:
    if not isinstance(v, list) or not v:
        raise fail(f"expected a list of group codes of the records table ({', '.join(RECORD_GROUPS)})")
    out = []
    for g in v:
        g = str(g).strip() if isinstance(g, (str, int)) and not isinstance(g, bool) else None
        if g not in RECORD_GROUPS:
            raise fail(f"expected group codes of the records table: some of {', '.join(RECORD_GROUPS)} (write "
                       "them in quotes, e.g. [\"1\", \"2\"])")
        out.append(g)
    return out


class RecordsSpec(Section):
    """The de-duplication rule (seed 001's by default)."""

    keep_groups: list[str] = ["1", "2", "3", "udskudt"]
    reference_date: Date = dt.date(2018, 1, 31)
    drop_end_before_start: StrictBool = True
    # records.PREFER (typed tuple[str, ...]) holds exactly these three names
    prefer: list[Literal["closest_start", "latest_end", "group_order"]] = cast(Any, list(PREFER))
    group_order: list[str] = ["1", "2", "3", "udskudt"]

    _codes = field_validator("keep_groups", "group_order", mode="before")(lambda v: _group_codes(v))


class SenioritySpec(Section):
    """Years in the state (the unbroken run of weeks up to the rule's date, / 52): lowest (inclusive) and highest
    (exclusive)."""

    state: PoolState
    years: Annotated[tuple[float, ...], Field(min_length=2, max_length=2)]

    @field_validator("years")
    @classmethod
    def _ordered(cls, v):
        if v[0] < 0 or v[1] <= v[0]:
            raise fail("expected [lowest, highest] years with 0 <= lowest < highest, e.g. [3, 5]")
        return v


class RuleSpec(Section):
    """A group defined by the registers: everyone in `state` in the week of `date`, with a seniority in range."""

    date: Date
    state: PoolState | None = None
    seniority: SenioritySpec | None = None


class GroupSpec(Section):
    name: Text
    label: Text | None = None
    records: list[str] | None = None
    rule: RuleSpec | None = None
    exclude: list[Text] = []

    _codes = field_validator("records", mode="before")(lambda v: v if v is None else _group_codes(v))

    @model_validator(mode="after")
    def _one_source(self):
        if (self.records is None) == (self.rule is None):
            raise ValueError(f"group '{self.name}': give either records (group codes) or rule (a register rule)")
        return self


class OutcomeSpec(Section):
    name: Text
    label: Text | None = None
    any_of: list[Text] = []
    all_of: list[Text] = []
    none_of: list[Text] = []

    @model_validator(mode="after")
    def _some(self):
        if not self.any_of and not self.all_of:
            raise ValueError(f"outcome '{self.name}': give any_of or all_of (the states the outcome consists of)")
        return self


class CurvesSpec(Section):
    groups: Names
    outcomes: Names
    months: list[Whole1] = [1, 6, 12, 18, 24, 29]


class CriterionSpec(Section):
    label: Text | None = None
    outcome: Text
    share: Annotated[float, Field(gt=0, le=1)]
    window: Whole1 = 3


class UnitsSpec(Section):
    group: Text
    outcomes: Names
    size_bands: Edges = (25000, 50000)
    volume_bands: Edges = (99, 500)  # bands include their upper limit: up to 99, 100-500, over 500
    min_persons: Whole1 | None = None  # units with fewer persons are left out of the distribution (default: threshold)
    criterion: CriterionSpec | None = None


class SeniorityBandsSpec(Section):
    groups: Names
    date: Date
    state: PoolState = "kontanthjælpslignende"
    bands: Edges = (5, 6, 10, 15)


class CovariateSpec(Section):
    """A 0/1 covariate: a covariate of the panel's grammar (`from`, at the index date or on `at`) compared with a
    value, or a column of person_flags (`flag`)."""

    name: Text
    label: Text | None = None
    source: CovariateName | None = Field(None, alias="from")
    flag: Text | None = None
    at: Date | None = None
    equals: Any = None
    values: list[Any] | None = Field(None, alias="in")
    at_least: float | None = None
    below: float | None = None

    @model_validator(mode="after")
    def _one_test(self):
        if (self.source is None) == (self.flag is None):
            raise ValueError(f"covariate '{self.name}': give either from (a covariate of the registers) or flag "
                             "(a column of person_flags)")
        tests = [k for k in ("equals", "values", "at_least", "below") if getattr(self, k) is not None]
        if self.source is not None and len(tests) != 1:
            raise ValueError(f"covariate '{self.name}': give one test of the value: equals, in, at_least or below")
        if self.flag is not None and (tests or self.at is not None):
            raise ValueError(f"covariate '{self.name}': a flag is 0/1 already; remove {', '.join(tests or ['at'])}")
        return self


class LpmSpec(Section):
    group: Text
    outcomes: Names
    covariates: Annotated[list[CovariateSpec], Field(min_length=1)]
    controls: list[CovariateSpec] = []
    se: Literal["auto", "hc1", "cluster", "wild"] = "auto"
    level: Annotated[float, Field(gt=0, lt=1)] = 0.95
    n_boot: Whole2 = 9999
    only_significant: StrictBool = True
    alpha: Annotated[float, Field(gt=0, lt=1)] = 0.05

    _empty = field_validator("controls", mode="before")(lambda v: none_is_empty(v))


class TrajectoriesSpec(Section):
    """The `trajectories:` section."""

    records: RecordsSpec = Field(default_factory=RecordsSpec)
    groups: Annotated[list[GroupSpec], Field(min_length=1)]
    outcomes: Annotated[list[OutcomeSpec], Field(min_length=1)]
    horizon: Whole1 = 29
    measure: Literal["ever", "in_month"] = "ever"
    level: Annotated[float, Field(gt=0, lt=1)] = 0.95
    curves: CurvesSpec | None = None
    units: UnitsSpec | None = None
    seniority: SeniorityBandsSpec | None = None
    lpm: LpmSpec | None = None

    @field_validator("horizon")
    @classmethod
    def _horizon(cls, v: int, info: ValidationInfo):
        if v > 120:
            raise fail("expected at most 120 months")
        return v


# ---- the domain design ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Group:
    name: str
    label: str
    records: tuple[str, ...] | None = None
    date: dt.date | None = None
    state: str | None = None
    seniority: tuple[str, float, float] | None = None  # (state, lowest years, highest years)
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class Binary:
    """A 0/1 covariate: `source` (panel grammar) tested by `test` (equals/in/at_least/below, value) at the index
    date or on `at`; or the person_flags column `flag`."""

    name: str
    label: str
    source: str | None = None
    flag: str | None = None
    at: dt.date | None = None
    test: tuple[str, Any] | None = None


@dataclass(frozen=True)
class Criterion:
    label: str
    outcome: str
    share: float
    window: int


@dataclass(frozen=True)
class TrajectoryDesign:
    rule: DedupRule
    groups: tuple[Group, ...]
    outcomes: tuple[MonthOutcome, ...]
    horizon: int = 29
    measure: Measure = "ever"
    level: float = 0.95
    curves: dict = field(default_factory=dict)  # groups, outcomes, months
    units: dict | None = None  # group, outcomes, size_bands, volume_bands, min_persons, criterion
    seniority: dict | None = None  # groups, date, state, bands
    lpm: dict | None = None  # group, outcomes, covariates, controls, se, level, n_boot, only_significant, alpha
    seed: int = 2018
    threshold: int = 5

    def group(self, name: str) -> Group:
        return next(g for g in self.groups if g.name == name)

    def label(self, outcome: str) -> str:
        return next((o.label or o.name for o in self.outcomes if o.name == outcome), outcome)

    def to_dict(self) -> dict:
        import dataclasses

        from virkning.design.compile import plain

        def walk(v):
            if dataclasses.is_dataclass(v) and not isinstance(v, type):
                return {f.name: walk(getattr(v, f.name)) for f in dataclasses.fields(v)}
            if isinstance(v, dict):
                return {k: walk(x) for k, x in v.items()}
            if isinstance(v, (list, tuple)):
                return [walk(x) for x in v]
            return v

        return plain({"rule": self.rule.to_dict(), "groups": walk(self.groups), "outcomes": walk(self.outcomes),
                      "horizon": self.horizon, "measure": self.measure, "level": self.level,
                      "curves": walk(self.curves), "units": walk(self.units), "seniority": walk(self.seniority),
                      "lpm": walk(self.lpm), "seed": self.seed, "threshold": self.threshold})


def _located(problems: list[tuple[tuple, str, Any]]) -> ValidationError:
    """The problems as one pydantic error the design reader places at each key's line (the value found added)."""
    from virkning.design.messages import show

    return notes_error("trajectories", [(loc, msg if v is None else f"{msg}; got {show(v)}", v)
                                        for loc, msg, v in problems])


def _binary(c: CovariateSpec) -> Binary:
    test = next(((k, getattr(c, k)) for k in ("equals", "values", "at_least", "below") if getattr(c, k) is not None),
                None)
    if test is not None and test[0] == "values":
        test = ("in", tuple(test[1]))
    return Binary(c.name, c.label or c.name, c.source, c.flag, c.at, test)


def compile_trajectories(spec: TrajectoriesSpec, root) -> TrajectoryDesign:
    """The checked section as the run's `TrajectoryDesign`; references between its parts are checked here and
    reported at the key that names them (a pydantic ValidationError the design reader places in the file)."""
    problems: list[tuple[tuple, str, Any]] = []
    r = spec.records
    try:
        rule = DedupRule(tuple(r.keep_groups), r.reference_date, r.drop_end_before_start, tuple(r.prefer),
                         tuple(r.group_order))
    except DesignError as e:
        problems.append((("records",), str(e), None))
        rule = DedupRule()
    names = [g.name for g in spec.groups]
    for i, g in enumerate(spec.groups):
        if names.count(g.name) > 1:
            problems.append((("groups", i, "name"), f"group '{g.name}' is declared twice; names must be unique",
                             g.name))
        for j, code in enumerate(g.records or []):
            if code not in rule.keep_groups:
                problems.append((("groups", i, "records", j), f"group code '{code}' is not kept by the de-duplication "
                                 f"rule (records.keep_groups: {', '.join(rule.keep_groups)})", code))
        for j, other in enumerate(g.exclude):
            if other not in names or other == g.name:
                problems.append((("groups", i, "exclude", j), f"expected another group: one of "
                                 f"{', '.join(n for n in names if n != g.name)}", other))
    outcomes: list[MonthOutcome] = []
    seen: list[str] = []
    for i, o in enumerate(spec.outcomes):
        if o.name in seen:
            problems.append((("outcomes", i, "name"), f"outcome '{o.name}' is declared twice", o.name))
        for key in ("any_of", "all_of", "none_of"):
            for j, n in enumerate(getattr(o, key)):
                if n not in seen and canonical_state(n) is None:
                    problems.append((("outcomes", i, key, j), "expected a state, group or monthly status of the "
                                     "catalogue (docs/dream-codes.md), or an outcome declared above this one", n))
        seen.append(o.name)
        outcomes.append(MonthOutcome(o.name, tuple(o.any_of), tuple(o.all_of), tuple(o.none_of), o.label))

    def refs(loc: tuple, values, pool: list[str], what: str) -> None:
        for j, v in enumerate([values] if isinstance(values, str) else values):
            if v not in pool:
                problems.append(((*loc, j) if not isinstance(values, str) else loc,
                                 f"expected {what}: one of {', '.join(pool)}", v))

    curves = None
    if spec.curves is not None:
        c = spec.curves
        refs(("curves", "groups"), c.groups, names, "a group declared in groups")
        refs(("curves", "outcomes"), c.outcomes, seen, "an outcome declared in outcomes")
        for j, m in enumerate(c.months):
            if m > spec.horizon:
                problems.append((("curves", "months", j), f"month {m} lies after the horizon ({spec.horizon})", m))
        curves = {"groups": tuple(c.groups), "outcomes": tuple(c.outcomes), "months": tuple(c.months)}
    else:
        curves = {"groups": tuple(names), "outcomes": tuple(seen),
                  "months": tuple(m for m in (1, 6, 12, 18, 24, 29) if m <= spec.horizon)}
    units = None
    if spec.units is not None:
        u = spec.units
        refs(("units", "group"), u.group, names, "a group declared in groups")
        refs(("units", "outcomes"), u.outcomes, seen, "an outcome declared in outcomes")
        crit = None
        if u.criterion is not None:
            refs(("units", "criterion", "outcome"), u.criterion.outcome, seen, "an outcome declared in outcomes")
            if u.criterion.window > spec.horizon:
                problems.append((("units", "criterion", "window"), f"expected at most the horizon ({spec.horizon}) "
                                 "months", u.criterion.window))
            crit = Criterion(u.criterion.label or u.criterion.outcome, u.criterion.outcome, u.criterion.share,
                             u.criterion.window)
        units = {"group": u.group, "outcomes": tuple(u.outcomes), "size_bands": tuple(u.size_bands),
                 "volume_bands": tuple(u.volume_bands), "min_persons": u.min_persons or root.disclosure_threshold,
                 "criterion": crit}
    seniority = None
    if spec.seniority is not None:
        s = spec.seniority
        refs(("seniority", "groups"), s.groups, names, "a group declared in groups")
        seniority = {"groups": tuple(s.groups), "date": s.date, "state": s.state, "bands": tuple(s.bands)}
    lpm = None
    if spec.lpm is not None:
        ls = spec.lpm
        refs(("lpm", "group"), ls.group, names, "a group declared in groups")
        refs(("lpm", "outcomes"), ls.outcomes, seen, "an outcome declared in outcomes")
        cov_names = [c.name for c in (*ls.covariates, *ls.controls)]
        for j, cov in enumerate(ls.covariates):
            if cov_names.count(cov.name) > 1:
                problems.append((("lpm", "covariates", j, "name"), f"'{cov.name}' is used twice; names must be unique",
                                 cov.name))
        lpm = {"group": ls.group, "outcomes": tuple(ls.outcomes), "covariates": tuple(map(_binary, ls.covariates)),
               "controls": tuple(map(_binary, ls.controls)), "se": ls.se, "level": ls.level, "n_boot": ls.n_boot,
               "only_significant": ls.only_significant, "alpha": ls.alpha}
    if problems:
        raise _located(problems)
    groups = tuple(Group(g.name, g.label or g.name, tuple(g.records) if g.records else None,
                         g.rule.date if g.rule else None, g.rule.state if g.rule else None,
                         cast("tuple[str, float, float]", (g.rule.seniority.state, *g.rule.seniority.years))
                         if g.rule and g.rule.seniority else None,
                         tuple(g.exclude)) for g in spec.groups)
    return TrajectoryDesign(rule, groups, tuple(outcomes), spec.horizon, spec.measure, spec.level, curves, units,
                            seniority, lpm, seed=root.seed, threshold=root.disclosure_threshold)


HINTS = {"groups": "a list of groups, e.g. [{name: gruppe_1, records: [\"1\"]}]",
         "outcomes": "a list of month outcomes, e.g. [{name: afklaring, any_of: [ressourceforløb, førtidspension]}]"}

__all__ = ["TrajectoriesSpec", "TrajectoryDesign", "Group", "Binary", "Criterion", "compile_trajectories",
           "PositiveNumber", "HINTS", "MEASURES"]

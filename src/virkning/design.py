"""The evaluation design file: one YAML file that states the whole effect evaluation.

    design = load_design("design.yaml")      # raises DesignError listing every problem, with line numbers
    ev = evaluate(regs, design.effect_design())
    table = robustness(regs, design.effect_design(), design.robustness_variants(), main=ev)

The file is read here and nowhere else in the package. Reading has three steps:

1. YAML is composed node by node, so every key and list item keeps the line it was written on (a duplicated key
   is an error rather than silently overwritten, as plain YAML loaders do).
2. The values are checked by pydantic models (`DesignSpec` and its sections): unknown keys are refused with a
   suggestion, choices are `Literal`s, names of covariates follow the grammar of `virkning.panel`, states come from
   the DREAM code catalogue. Every problem found is collected, not only the first.
3. Each robustness variant is applied to the design as written and checked the same way, and the result is
   turned into the dataclasses of `virkning.evaluation` and `virkning.populations`.

docs/design-file.md describes every key, its default and the error messages.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import math
import os
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StrictBool,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from virkning.errors import CovariateNameError, DesignError
from virkning.evaluation import EffectDesign, Outcome, Subgroup
from virkning.panel import GRAMMAR_HELP, parse_covariate
from virkning.populations import COMPARISONS, Exclusion, ParticipantRule, PoolRule
from virkning.registers.catalogue import COLUMNS as CATALOGUE_COLUMNS
from virkning.registers.catalogue import GROUPS, MONTHLY_STATUSES, STATES, canonical_state
from virkning.registers.contract import DEFAULT_WIDE_PATTERN, LoadOptions
from virkning.defaults import DISCLOSURE_THRESHOLD

__all__ = [
    "Design",
    "DesignFileError",
    "DesignProblem",
    "DesignSpec",
    "SuccessCriterion",
    "load_design",
    "parse_design",
]

Loc = tuple[Any, ...]

# ---------------------------------------------------------------------------------------------------------------
# Problems and the error that lists them
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DesignProblem:
    """One broken rule: the file, the line of the key (None if the key is missing at the top level), the key path
    (`pool.states[-1]`, list items counted from 1) and the message (what was expected, what was found)."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file + (f", line {self.line}" if self.line else "") + (f", {self.path}" if self.path else "")
        return f"{where}: {self.message}"


class DesignFileError(DesignError):
    """The design file is not valid YAML or breaks the design rules; `problems` lists each problem."""

    def __init__(self, problems: list[DesignProblem]):
        self.problems = sorted(problems, key=lambda p: (p.line or 0, p.path))
        file = self.problems[0].file if self.problems else "design"
        lines = [f"{file}: {len(self.problems)} problem(s) in the design file:"]
        lines += [f"- {p}" for p in self.problems]
        lines.append("Fix the design file and run again (docs/design-file.md describes every key).")
        super().__init__("\n".join(lines))


def _fail(expected: str) -> PydanticCustomError:
    """A check failed; the message says what was expected and the reader adds what was found."""
    return PydanticCustomError("design", "{expected}", {"expected": expected})


def _note(message: str) -> PydanticCustomError:
    """A check failed; the message is complete as it is."""
    return PydanticCustomError("design_note", "{message}", {"message": message})


def _show(value: Any) -> str:
    """A found value as the user wrote it in YAML terms."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (int, float)):
        return f"{value:g}" if isinstance(value, float) else str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        if len(value) <= 6 and all(x is None or isinstance(x, (str, int, float, dt.date)) for x in value):
            return "[" + ", ".join(_show(x) if x is not None else "null" for x in value) + "]"
        return f"a list of {len(value)} item(s)"
    if isinstance(value, dict):
        return "a mapping (key: value)"
    return repr(value)


# ---------------------------------------------------------------------------------------------------------------
# Value types: each check says what it expects
# ---------------------------------------------------------------------------------------------------------------

ALL_STATES = (*STATES, *GROUPS)
MONTH_STATES = (*STATES, *MONTHLY_STATUSES)
EXIT_STATES = (*STATES, *GROUPS, *MONTHLY_STATUSES)
OP_WORDS = {"gt": ">", "ge": ">=", "lt": "<", "le": "<=", "eq": "==", "ne": "!="}


def _text(v: Any) -> str:
    if not isinstance(v, str) or not v.strip():
        raise _fail("expected a non-empty text")
    return v.strip()


def _number(v: Any) -> float | int:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise _fail("expected a number")
    return v


def _positive(v: Any) -> float | int:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
        raise _fail("expected a number greater than 0")
    return v


def _whole(minimum: int):
    def check(v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
            raise _fail(f"expected a whole number of at least {minimum}")
        return v

    return check


def _date(v: Any) -> dt.date:
    if isinstance(v, dt.datetime):
        raise _fail("expected a date written YYYY-MM-DD, without a time")
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v.strip()):
        try:
            return dt.date.fromisoformat(v.strip())
        except ValueError:
            raise _fail("expected a date that exists in the calendar") from None
    raise _fail("expected a date written YYYY-MM-DD, e.g. 2018-01-01")


def _month(v: Any) -> str:
    m = re.fullmatch(r"(\d{4})-(\d{2})", v.strip()) if isinstance(v, str) else None
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise _fail("expected a month written YYYY-MM, e.g. 2019-07")
    return v.strip()


def _wide_pattern(v: Any) -> str:
    if not isinstance(v, str) or "WW" not in v or "YY" not in v:
        raise _fail("expected a column pattern with YYYY or YY and WW, e.g. y_YYWW")
    return v


# A persons column may have any plain name except one that starts like a register covariate, so that a typo in
# such a name (weeks_ledig_52 for weeks_ledig_52w) is caught here rather than taken for a column.
RESERVED_PREFIXES = ("weeks_", "employment_", "spell_weeks")


def _covariate(v: Any) -> str:
    """A covariate name of the panel grammar, or a plain identifier (taken as a column of the persons table,
    which can only be checked against the data)."""
    if not isinstance(v, str) or not v.strip():
        raise _fail(f"expected a covariate name: {GRAMMAR_HELP}")
    name = v.strip()
    try:
        parse_covariate(name)
    except CovariateNameError as e:
        no_pattern = str(e).startswith(f"'{name}' is not a covariate name")
        reserved = next((r for r in RESERVED_PREFIXES if name.startswith(r)), None)
        if no_pattern and reserved:
            raise _fail(f"expected a name of the grammar, as names starting with {reserved} are read by it: "
                        f"{GRAMMAR_HELP}") from None
        if no_pattern and name.isidentifier():
            return name  # a user column of the persons table
        if no_pattern:
            raise _fail(f"expected a covariate name (letters, digits and _): {GRAMMAR_HELP}") from None
        raise _note(str(e)) from None
    return name


def _pool_state(v: Any) -> str:
    state = canonical_state(v) if isinstance(v, str) else None
    if state is None or state not in ALL_STATES:
        raise _fail(f"expected a state or group of the DREAM code catalogue: one of {', '.join(ALL_STATES)}")
    return state


def _week_offset(v: Any) -> int:
    if isinstance(v, str) and re.fullmatch(r"[+-]?\d+", v.strip()):
        return int(v)
    if isinstance(v, bool) or not isinstance(v, int):
        raise _fail("expected a week offset from the index week (a whole number, e.g. -1 or 0)")
    return v


def _age(v: Any) -> tuple[int, int]:
    ok = (isinstance(v, list) and len(v) == 2
          and all(isinstance(a, int) and not isinstance(a, bool) and 0 <= a <= 130 for a in v))
    if not ok:
        raise _fail("expected [min, max] in completed years, e.g. [50, 65]")
    if v[0] > v[1]:
        raise _fail("expected [min, max] with min <= max")
    return (v[0], v[1])


def _municipalities(v: Any) -> str | tuple[str, ...] | None:
    if v is None or v == "none":
        return None
    if v == "participants":
        return v
    if isinstance(v, list) and v:
        codes = []
        for c in v:
            if isinstance(c, int) and not isinstance(c, bool) and 100 <= c <= 999:
                codes.append(str(c))
            elif isinstance(c, str) and re.fullmatch(r"\d{3}", c.strip()):
                codes.append(c.strip())
            else:
                raise _note("expected participants, none, or a list of three-digit municipality codes; "
                            f"got {_show(c)} in the list")
        return tuple(codes)
    raise _fail("expected participants (the municipalities where participants live), none, "
                "or a list of three-digit municipality codes")


def _op(v: Any) -> str:
    if isinstance(v, str) and v.strip() in COMPARISONS:
        return v.strip()
    if isinstance(v, str) and v.strip().lower() in OP_WORDS:
        return OP_WORDS[v.strip().lower()]
    raise _fail(f"expected one of {', '.join(COMPARISONS)} (in quotes: op: \">\") or {', '.join(OP_WORDS)}")


def _edges(v: Any) -> tuple[float | int, ...]:
    ok = (isinstance(v, list) and len(v) >= 2
          and all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in v))
    if not ok:
        raise _fail("expected a list of at least two numbers (band limits, e.g. [50, 55, 60, 66])")
    if any(b <= a for a, b in zip(v, v[1:])):
        raise _fail("expected increasing band limits")
    return tuple(v)


def _target(v: Any) -> float | int | tuple[float | int, float | int]:
    def num(x):
        return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x >= 0

    if num(v):
        return v
    if isinstance(v, list) and len(v) == 2 and all(num(x) for x in v):
        if v[0] > v[1]:
            raise _fail("expected [min, max] with min <= max")
        return (v[0], v[1])
    raise _fail("expected a number of at least 0, or [min, max] for a range (e.g. [100, 150])")


Text = Annotated[str, PlainValidator(_text)]
Number = Annotated[float, PlainValidator(_number)]
PositiveNumber = Annotated[float, PlainValidator(_positive)]
Date = Annotated[dt.date, PlainValidator(_date)]
Month = Annotated[str, PlainValidator(_month)]
WidePattern = Annotated[str, PlainValidator(_wide_pattern)]
CovariateName = Annotated[str, PlainValidator(_covariate)]
PoolState = Annotated[str, PlainValidator(_pool_state)]
WeekOffset = Annotated[int, PlainValidator(_week_offset)]
AgeRange = Annotated[tuple[int, int], PlainValidator(_age)]
Municipalities = Annotated[Any, PlainValidator(_municipalities)]
Op = Annotated[str, PlainValidator(_op)]
Edges = Annotated[tuple[float, ...], PlainValidator(_edges)]
Target = Annotated[Any, PlainValidator(_target)]
Whole0 = Annotated[int, PlainValidator(_whole(0))]
Whole1 = Annotated[int, PlainValidator(_whole(1))]
Whole2 = Annotated[int, PlainValidator(_whole(2))]
Whole3 = Annotated[int, PlainValidator(_whole(3))]


def _none_is_empty(v: Any) -> Any:
    return [] if v is None else v


# ---------------------------------------------------------------------------------------------------------------
# The schema
# ---------------------------------------------------------------------------------------------------------------


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataSpec(_Section):
    """Where the registers are; relative paths are read from the design file's folder."""

    folder: Text = "data"
    catalogue: Text | None = None
    end_month: Month | None = None
    wide_pattern: WidePattern = DEFAULT_WIDE_PATTERN


class ParticipantsSpec(_Section):
    event: Text
    start: Date | None = Field(None, alias="from")
    end: Date | None = Field(None, alias="to")
    units: Annotated[list[Text], Field(min_length=1)] | None = None

    @field_validator("end")
    @classmethod
    def _after_start(cls, v: dt.date | None, info: ValidationInfo):
        start = info.data.get("start")
        if v is not None and start is not None and v < start:
            raise _fail(f"expected a date on or after 'from' ({start.isoformat()})")
        return v


class PoolSpec(_Section):
    age: AgeRange | None = None
    age_date: Date | None = None
    states: Annotated[dict[WeekOffset, PoolState], Field(min_length=1)]
    exclude_municipalities: Municipalities = "participants"
    participants: Literal["never", "not_yet"] = "never"
    apply_to_participants: StrictBool = True


class ExclusionSpec(_Section):
    name: Text
    covariate: CovariateName
    op: Op
    value: Number


class MatchingSpec(_Section):
    exact: list[CovariateName] = []
    ratio: Whole1 = 1
    replace: StrictBool = False
    caliper: PositiveNumber | None = None
    distance: Literal["logit", "ps", "mahalanobis"] = "logit"

    @field_validator("exact", mode="before")
    @classmethod
    def _null_is_empty(cls, v):
        return _none_is_empty(v)


class OutcomeSpec(_Section):
    name: Text
    kind: Literal["first_exit", "status_share", "benefit_weeks"] = "first_exit"
    status: Text | None = None
    horizon: Whole1 = 7

    @field_validator("status")
    @classmethod
    def _status_fits_kind(cls, v: str | None, info: ValidationInfo):
        if v is None:
            return v
        kind = info.data.get("kind")
        if kind == "benefit_weeks":
            raise _note("benefit_weeks counts the weeks on any benefit and takes no status; remove the key")
        state = canonical_state(v)
        if kind == "status_share":
            if state not in MONTH_STATES:
                raise _fail(f"expected a monthly status (groups such as tilbagetrukket are not one): "
                            f"one of {', '.join(MONTH_STATES)}")
        elif state is None:
            raise _fail(f"expected a state, group or monthly status: one of {', '.join(EXIT_STATES)}")
        return state

    @property
    def resolved_status(self) -> str | None:
        if self.kind == "benefit_weeks":
            return None
        return self.status or "beskæftiget"


class SubgroupSpec(_Section):
    name: Text
    covariate: CovariateName
    edges: Edges | None = None


class SuccessCriterionSpec(_Section):
    name: Text
    kind: Literal["count", "share"]
    numerator: Text
    denominator: Text | None = None
    target: Target
    per: Literal["project", "total"] = "total"

    @field_validator("denominator")
    @classmethod
    def _count_has_none(cls, v: str | None, info: ValidationInfo):
        if v is not None and info.data.get("kind") == "count":
            raise _note("a count has no denominator; remove the key or use kind: share")
        return v

    @field_validator("target")
    @classmethod
    def _share_is_fraction(cls, v, info: ValidationInfo):
        values = v if isinstance(v, tuple) else (v,)
        if info.data.get("kind") == "share" and any(x > 1 for x in values):
            raise _fail("expected a share between 0 and 1 (write 0.8 for 80 %)")
        return v


class DesignSpec(_Section):
    """The whole design file, as written (before robustness variants are applied)."""

    name: Text | None = None
    language: Literal["da", "en"] = "da"
    data: DataSpec = Field(default_factory=DataSpec)
    participants: ParticipantsSpec
    pool: PoolSpec
    exclusions: list[ExclusionSpec] = []
    covariates: Annotated[list[CovariateName], Field(min_length=1)]
    matching: MatchingSpec = Field(default_factory=MatchingSpec)
    outcomes: Annotated[list[OutcomeSpec], Field(min_length=1)]
    censoring: Literal["km", "full_followup"] = "km"
    se: Literal["cluster", "bootstrap"] = "cluster"
    n_boot: Whole2 = 499
    subgroups: list[SubgroupSpec] = []
    robustness: dict[Text, Any] = {}  # each variant is checked against the design it changes, in parse_design
    success_criteria: list[SuccessCriterionSpec] = []
    monitoring: dict[str, Any] | None = None  # checked by virkning.monitoring.MonitoringConfig in parse_design
    disclosure_threshold: Whole3 = DISCLOSURE_THRESHOLD
    seed: Whole0 = 2018

    @field_validator("exclusions", "subgroups", "success_criteria", mode="before")
    @classmethod
    def _null_is_empty(cls, v):
        return _none_is_empty(v)

    @field_validator("robustness", mode="before")
    @classmethod
    def _null_is_no_variants(cls, v):
        return {} if v is None else v


# Keys a robustness variant may change; the three sections merge key by key, everything else is replaced.
VARIANT_KEYS = ("participants", "pool", "exclusions", "covariates", "matching", "censoring", "se", "n_boot",
                "subgroups", "seed")
VARIANT_SECTIONS = ("participants", "pool", "matching")

REQUIRED_HINTS = {
    "participants": "who took part, e.g. participants: {event: informationsmøde}",
    "pool": "who may be a control, e.g. pool: {states: {-1: ledig, 0: ledig}}",
    "covariates": "the list of matching covariates",
    "outcomes": "a list with at least one outcome, e.g. [{name: exit_beskaeftiget}]",
    "event": "the event that makes a person a participant, e.g. informationsmøde",
    "states": "week offset: state, e.g. {-1: ledig, 0: ledig}",
}


# ---------------------------------------------------------------------------------------------------------------
# YAML with line numbers
# ---------------------------------------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """The safe loader (no Python objects); `_read_yaml` walks its nodes so that each key path keeps its line."""


def _read_yaml(text: str, source: str) -> tuple[Any, dict[Loc, int], list[DesignProblem]]:
    lines: dict[Loc, int] = {(): 1}
    problems: list[DesignProblem] = []
    loader = _Loader(text)

    open_nodes: set[int] = set()  # collections being built, to refuse an alias that contains itself

    def build(node: yaml.Node, path: Loc) -> Any:
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            if id(node) in open_nodes:
                problems.append(DesignProblem(source, node.start_mark.line + 1, _display(path, None),
                                              "an alias refers to the list or mapping that contains it"))
                return None
            open_nodes.add(id(node))
            try:
                return collection(node, path)
            finally:
                open_nodes.discard(id(node))
        return scalar(node)

    def collection(node: yaml.Node, path: Loc) -> Any:
        if isinstance(node, yaml.MappingNode):
            loader.flatten_mapping(node)
            out: dict = {}
            for knode, vnode in node.value:
                key = scalar(knode)
                line = knode.start_mark.line + 1
                try:
                    hash(key)
                except TypeError:
                    problems.append(DesignProblem(source, line, _display(path, None), "a key must be a plain word "
                                                  "or number, not a list or mapping"))
                    continue
                kpath = (*path, key)
                if key in out:
                    problems.append(DesignProblem(source, line, _display(kpath, None),
                                                  f"key {_show(key)} appears twice (first on line {lines[kpath]}); "
                                                  "write each key once"))
                    continue
                lines[kpath] = line
                out[key] = build(vnode, kpath)
            return out
        if isinstance(node, yaml.SequenceNode):
            items = []
            for i, item in enumerate(node.value):
                lines[(*path, i)] = item.start_mark.line + 1
                items.append(build(item, (*path, i)))
            return items

    def scalar(node: yaml.Node) -> Any:
        try:
            return loader.construct_object(node, deep=True)
        except ValueError:  # a date-like value that is no date (2018-02-30): left as text for the checks
            return node.value

    try:
        root = loader.get_single_node()
        data = build(root, ()) if root is not None else None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        what = e.problem or e.context or "unreadable YAML"
        hint = ""
        if "\\t" in what or "\t" in what:
            hint = "; indent with spaces, not tabs"
        elif "'>'" in what or "'<'" in what:
            hint = '; write comparison signs in quotes, e.g. op: ">"'
        context = ""
        if e.context and e.context_mark and e.problem:
            context = f" ({e.context} on line {e.context_mark.line + 1})"
        raise DesignFileError([DesignProblem(source, mark.line + 1 if mark else None, "",
                                             f"YAML syntax error: {what}{context}{hint}")]) from None
    except yaml.YAMLError as e:
        raise DesignFileError([DesignProblem(source, None, "", f"YAML syntax error: {e}")]) from None
    finally:
        loader.dispose()
    return data, lines, problems


# ---------------------------------------------------------------------------------------------------------------
# From pydantic errors to problems
# ---------------------------------------------------------------------------------------------------------------


def _display(loc: Loc, raw: Any) -> str:
    """`pool.states[-1]`, `outcomes[2].kind` (list items counted from 1), `robustness["kun 55-65"].pool`."""
    out = ""
    node = raw
    for seg in loc:
        if isinstance(seg, int) and isinstance(node, list):
            out += f"[{seg + 1}]"
        elif isinstance(seg, str) and re.fullmatch(r"[^\W\d]\w*", seg):
            out += ("." if out else "") + seg
        elif isinstance(seg, int):
            out += f"[{seg}]"
        else:
            out += f'["{seg}"]'
        if isinstance(node, dict):
            node = node.get(seg)
        elif isinstance(node, list) and isinstance(seg, int) and 0 <= seg < len(node):
            node = node[seg]
        else:
            node = None
    return out


def _unwrap(t: Any) -> Any:
    while True:
        origin = typing.get_origin(t)
        if origin is Annotated:
            t = typing.get_args(t)[0]
        elif origin in (typing.Union, types.UnionType):
            inner = [a for a in typing.get_args(t) if a is not type(None)]
            if len(inner) != 1:
                return t
            t = inner[0]
        else:
            return t


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The section model at a key path of the design (for the keys it allows)."""
    t: Any = DesignSpec
    for seg in loc:
        t = _unwrap(t)
        if isinstance(t, type) and issubclass(t, BaseModel):
            fields = {(f.alias or n): f for n, f in t.model_fields.items()}
            if seg not in fields:
                return None
            t = fields[seg].annotation
        elif typing.get_origin(t) in (list, tuple):
            t = typing.get_args(t)[0]
        elif typing.get_origin(t) is dict:
            t = typing.get_args(t)[1]
        else:
            return None
    t = _unwrap(t)
    return t if isinstance(t, type) and issubclass(t, BaseModel) else None


def _keys_of(model: type[BaseModel]) -> list[str]:
    return [f.alias or n for n, f in model.model_fields.items()]


# Keys written in the wrong place or under another name: where they belong.
MOVED = {"exact": "matching", "ratio": "matching", "replace": "matching", "caliper": "matching",
         "distance": "matching", "catalogue": "data", "end_month": "data", "wide_pattern": "data", "folder": "data",
         "event": "participants", "units": "participants", "age": "pool", "states": "pool",
         "horizon": "each outcome in outcomes"}
SYNONYMS = {"start": "from", "end": "to", "fra": "from", "til": "to"}


def _unknown_key(key: Any, allowed: list[str], where: str = "", top: bool = False) -> str:
    close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
    if not close and SYNONYMS.get(key) in allowed:
        close = [SYNONYMS[key]]
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    if not close and top and key in MOVED:
        hint = f" (it belongs under {MOVED[key]})"
    return f"unknown key {_show(key)}{where}{hint}; expected one of {', '.join(allowed)}"


def _choices(expected: str) -> str:
    found = re.findall(r"'((?:[^'\\]|\\.)*)'", expected)
    return ", ".join(found) if found else expected


def _describe(err: dict) -> tuple[Loc, str]:
    """A pydantic error as (key path, message with what was expected and what was found)."""
    loc = tuple(err["loc"])
    if loc and loc[-1] == "[key]":
        loc = loc[:-1]
    kind = err["type"]
    ctx = err.get("ctx") or {}
    found = err.get("input")
    if kind == "missing":
        key = loc[-1]
        hint = REQUIRED_HINTS.get(key)
        return loc[:-1], f"missing required key '{key}'" + (f" ({hint})" if hint else "")
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        return loc, _unknown_key(loc[-1], _keys_of(model) if model else [], top=len(loc) == 1)
    if kind == "design_note":
        return loc, ctx["message"]
    if kind == "design":
        expected = ctx["expected"]
    elif kind == "literal_error":
        expected = f"expected one of {_choices(ctx.get('expected', ''))}"
    elif kind in ("bool_type", "bool_parsing"):
        expected = "expected true or false"
    elif kind in ("dict_type", "model_type", "model_attributes_type"):
        expected = "expected a mapping (key: value)"
    elif kind == "list_type":
        expected = "expected a list"
    elif kind == "too_short":
        expected = f"expected at least {ctx.get('min_length', 1)} item(s)"
    elif kind in ("string_type", "string_too_short"):
        expected = "expected a non-empty text"
    else:
        expected = err["msg"]
    return loc, f"{expected}; got {_show(found)}"


def _duplicates(raw: dict) -> list[tuple[Loc, str]]:
    """Names that must be unique within their list (outcomes, subgroups, ...; covariates and exact variables)."""
    issues = []

    def scan(loc: Loc, items: Any, key: str | None) -> None:
        if not isinstance(items, list):
            return
        seen: dict[Any, int] = {}
        for i, item in enumerate(items):
            value = item.get(key) if key and isinstance(item, dict) else (None if key else item)
            if not isinstance(value, str):
                continue
            if value in seen:
                where = (*loc, i, key) if key else (*loc, i)
                first = _display((*loc, seen[value]), raw)
                issues.append((where, f"{_show(value)} is listed twice (also {first}); each must be unique"))
            else:
                seen[value] = i

    for key in ("outcomes", "subgroups", "exclusions", "success_criteria"):
        scan((key,), raw.get(key), "name")
    scan(("covariates",), raw.get("covariates"), None)
    if isinstance(raw.get("matching"), dict):
        scan(("matching", "exact"), raw["matching"].get("exact"), None)
    return issues


def _check(raw: dict) -> tuple[DesignSpec | None, list[tuple[Loc, str]]]:
    issues = _duplicates(raw)
    try:
        spec = DesignSpec.model_validate(raw)
    except ValidationError as e:
        issues += [_describe(err) for err in e.errors()]
        spec = None
    return spec, issues


def _line(lines: dict[Loc, int], loc: Loc) -> int | None:
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines:
            return lines[loc[:n]] if n else None
    return None


# ---------------------------------------------------------------------------------------------------------------
# From the checked spec to the evaluation's dataclasses
# ---------------------------------------------------------------------------------------------------------------


def _effect_design(spec: DesignSpec) -> EffectDesign:
    p, pool = spec.participants, spec.pool
    return EffectDesign(
        participants=ParticipantRule(p.event, p.start, p.end, tuple(p.units) if p.units is not None else None),
        pool=PoolRule(age=pool.age, age_date=pool.age_date, states=dict(pool.states),
                      exclude_municipalities=pool.exclude_municipalities, participants=pool.participants,
                      apply_to_participants=pool.apply_to_participants),
        covariates=tuple(spec.covariates),
        outcomes=tuple(Outcome(o.name, o.kind, o.resolved_status, o.horizon) for o in spec.outcomes),
        exact=tuple(spec.matching.exact),
        exclusions=tuple(Exclusion(e.name, e.covariate, e.op, e.value) for e in spec.exclusions),
        ratio=spec.matching.ratio,
        replace=spec.matching.replace,
        caliper=spec.matching.caliper,
        distance=spec.matching.distance,
        censoring=spec.censoring,
        se=spec.se,
        n_boot=spec.n_boot,
        subgroups=tuple(Subgroup(s.name, s.covariate, s.edges) for s in spec.subgroups),
        seed=spec.seed,
        end_month=spec.data.end_month,
    )


def _merge(raw: dict, changes: dict) -> dict:
    """The design as written with a variant's changes: sections merge key by key, other keys are replaced."""
    merged = {k: v for k, v in raw.items() if k != "robustness"}
    for key, value in changes.items():
        if key in VARIANT_SECTIONS and isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def _plain(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    return v


@dataclass(frozen=True)
class SuccessCriterion:
    """A monitoring target, e.g. 80 % of attendees signed up with a temp agency (kind share, per project).

    `target` is a number (at least this many, or at least this share) or a (min, max) range, as in "100-150
    attendees per project"; `low` and `high` give both ends either way."""

    name: str
    kind: str  # count | share
    numerator: str
    denominator: str | None
    target: float | tuple[float, float]
    per: str  # project | total

    @property
    def low(self) -> float:
        return self.target[0] if isinstance(self.target, tuple) else self.target

    @property
    def high(self) -> float:
        return self.target[1] if isinstance(self.target, tuple) else self.target


@dataclass(frozen=True)
class Design:
    """A checked design file. `effect_design()` is what `virkning.evaluation.evaluate` runs."""

    name: str
    language: str
    data_folder: Path
    catalogue: Path | None
    end_month: str | None
    wide_pattern: str
    disclosure_threshold: int
    seed: int
    success_criteria: tuple[SuccessCriterion, ...]
    source: str
    spec: DesignSpec = field(repr=False)
    _effect: EffectDesign = field(repr=False)
    _variants: dict[str, dict] = field(repr=False)
    monitoring: Any = field(default=None, repr=False)  # virkning.monitoring.MonitoringConfig, if the design has one

    def effect_design(self) -> EffectDesign:
        return self._effect

    def robustness_variants(self) -> dict[str, dict]:
        """Variant name -> the EffectDesign fields it changes (new values), for `virkning.evaluation.robustness`."""
        return {name: dict(changes) for name, changes in self._variants.items()}

    def load_options(self) -> LoadOptions:
        """How to read the data folder: the design's weekly column pattern and catalogue override."""
        return LoadOptions(wide_pattern=self.wide_pattern,
                           catalogue=str(self.catalogue) if self.catalogue is not None else None)

    def to_dict(self) -> dict:
        """The design as JSON-ready data: the evaluation's fields (as `dataclasses.asdict` gives them, states keyed
        by text) plus name, language, data, disclosure threshold, success criteria and the variants as written."""
        effect = _plain(dataclasses.asdict(self._effect))
        return {
            "name": self.name,
            "language": self.language,
            "source": self.source,
            "data": {"folder": self.spec.data.folder, "catalogue": self.spec.data.catalogue,
                     "end_month": self.end_month, "wide_pattern": self.wide_pattern},
            **effect,
            "disclosure_threshold": self.disclosure_threshold,
            "success_criteria": [_plain(dataclasses.asdict(c)) for c in self.success_criteria],
            "robustness": _plain(self.spec.robustness),
        }


# ---------------------------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------------------------


def _default_name(source: str) -> str:
    folder = Path(source).parent.name
    return folder or "evaluation"


def _resolve(base: Path, path: str) -> Path:
    p = Path(path).expanduser()
    return Path(os.path.abspath(p if p.is_absolute() else base / p))


def parse_design(text: str, source: str = "design.yaml") -> Design:
    """Read a design from YAML text; `source` names the file in messages and anchors relative paths."""
    raw, lines, problems = _read_yaml(text, source)

    def problem(loc: Loc, message: str) -> DesignProblem:
        return DesignProblem(source, _line(lines, loc), _display(loc, raw), message)

    if not isinstance(raw, dict):
        what = "the file is empty" if raw is None else f"the file holds {_show(raw)}"
        raise DesignFileError([*problems, DesignProblem(
            source, 1, "", f"{what}; expected a mapping with at least participants, pool, covariates and outcomes")])

    spec, issues = _check(raw)
    problems += [problem(loc, msg) for loc, msg in issues]

    base = Path(source).parent
    if spec is not None and spec.data.catalogue is not None:
        cat = _resolve(base, spec.data.catalogue)
        if not cat.is_file():
            problems.append(problem(("data", "catalogue"), f"file not found: {cat}; expected a CSV with columns "
                                                           f"{', '.join(CATALOGUE_COLUMNS)}"))

    monitoring = None
    if spec is not None and spec.monitoring is not None:
        from pydantic import ValidationError

        from virkning.monitoring.config import MonitoringConfig

        try:
            monitoring = MonitoringConfig.model_validate(spec.monitoring)
        except ValidationError as exc:
            for err in exc.errors():
                loc = ("monitoring", *err["loc"])
                problems.append(problem(loc, err["msg"]))

    effect = _effect_design(spec) if spec is not None else None
    variants: dict[str, dict] = {}
    raw_variants = raw.get("robustness") if isinstance(raw.get("robustness"), dict) else {}
    for name, changes in raw_variants.items():
        vloc: Loc = ("robustness", name)
        if not isinstance(name, str) or not name.strip():
            continue  # reported by the schema
        if not isinstance(changes, dict):
            problems.append(problem(vloc, f"expected a mapping (key: value) of what the variant changes; "
                                          f"got {_show(changes)}"))
            continue
        if name.strip() == "main":
            problems.append(problem(vloc, "'main' names the main design in the robustness table; choose another "
                                          "name for the variant"))
        bad = [k for k in changes if k not in VARIANT_KEYS]
        for k in bad:
            where = " in a robustness variant" if k not in _keys_of(DesignSpec) else ""
            msg = (_unknown_key(k, list(VARIANT_KEYS), where) if where else
                   f"'{k}' cannot change in a robustness variant; a variant may change {', '.join(VARIANT_KEYS)}")
            problems.append(problem((*vloc, k), msg))
        if bad:
            continue
        if not changes:
            problems.append(problem(vloc, "the variant changes nothing; give the keys it changes, "
                                          "e.g. {pool: {age: [55, 65]}}"))
            continue
        vspec, vissues = _check(_merge(raw, changes))
        for loc, msg in vissues:
            if (loc, msg) in issues:
                continue  # a problem of the design as written, reported once above
            if loc and loc[0] in changes:
                problems.append(problem((*vloc, *loc), msg))
            else:  # a rule that only breaks in combination with the design as written
                problems.append(problem(vloc, f"with this variant, {_display(loc, raw) or 'the design'}: {msg}"))
        if vspec is None or effect is None:
            continue
        veffect = _effect_design(vspec)
        changed = {f.name: getattr(veffect, f.name) for f in dataclasses.fields(EffectDesign)
                   if getattr(veffect, f.name) != getattr(effect, f.name)}
        if not changed:
            problems.append(problem(vloc, "the variant gives the same design as the main one; change something"))
        variants[name.strip()] = changed

    if problems:
        raise DesignFileError(problems)
    assert spec is not None and effect is not None
    return Design(
        name=spec.name or _default_name(source),
        language=spec.language,
        data_folder=_resolve(base, spec.data.folder),
        catalogue=_resolve(base, spec.data.catalogue) if spec.data.catalogue is not None else None,
        end_month=spec.data.end_month,
        wide_pattern=spec.data.wide_pattern,
        disclosure_threshold=spec.disclosure_threshold,
        seed=spec.seed,
        success_criteria=tuple(SuccessCriterion(c.name, c.kind, c.numerator, c.denominator, c.target, c.per)
                               for c in spec.success_criteria),
        source=source,
        spec=spec,
        monitoring=monitoring,
        _effect=effect,
        _variants=variants,
    )


def load_design(path: str | os.PathLike) -> Design:
    """Read and check a design file; raises DesignError (a DesignFileError listing every problem)."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DesignFileError([DesignProblem(source, None, "", "file not found; give the path of a design file "
                                                               "(docs/design-file.md)")]) from None
    except UnicodeDecodeError as e:
        raise DesignFileError([DesignProblem(source, None, "", f"not UTF-8 text ({e.reason} at byte {e.start}); "
                                                               "save the file as UTF-8")]) from None
    except IsADirectoryError:
        raise DesignFileError([DesignProblem(source, None, "", "is a folder; give the path of the design file "
                                                               "in it")]) from None
    return parse_design(text, source)

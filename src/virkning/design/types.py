"""Value types of the design file: each check says what it expects; the reader adds what was found.

Sections of the design file (in `design.schema` and in each analysis's `spec`) are built from these types, so
every key is checked the same way and every message has the same shape.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainValidator, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from virkning.panel.grammar import GRAMMAR_HELP, parse_covariate
from virkning.errors import CovariateNameError
from virkning.registers.catalogue import GROUPS, MONTHLY_STATUSES, STATES, canonical_state
from virkning.defaults import (MAX_BOOT, MAX_DISCLOSURE_THRESHOLD, MAX_HORIZON, MAX_RATIO,
                               MIN_DISCLOSURE_THRESHOLD)
from virkning.design.messages import show

ALL_STATES = (*STATES, *GROUPS)
OP_WORDS = {"gt": ">", "ge": ">=", "lt": "<", "le": "<=", "eq": "==", "ne": "!="}
COMPARISONS = (">", ">=", "<", "<=", "==", "!=")


def fail(expected: str) -> PydanticCustomError:
    """A check failed; the message says what was expected and the reader adds what was found."""
    return PydanticCustomError("design", "{expected}", {"expected": expected})


def note(message: str) -> PydanticCustomError:
    """A check failed; the message is complete as it is."""
    return PydanticCustomError("design_note", "{message}", {"message": message})


def notes_error(title: str, problems: Iterable[tuple[tuple, str, Any]]) -> ValidationError:
    """Rules across keys, found all at once: one pydantic error whose notes the design reader places at each key's
    line (problems: location, complete message, value found)."""
    return ValidationError.from_exception_data(title, [InitErrorDetails(type=note(msg), loc=loc, input=value)
                                                       for loc, msg, value in problems])


def _text(v: Any) -> str:
    if not isinstance(v, str) or not v.strip():
        raise fail("expected a non-empty text")
    return v.strip()


def _number(v: Any) -> float | int:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise fail("expected a number")
    return v


def _positive(v: Any) -> float | int:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
        raise fail("expected a number greater than 0")
    return v


def _whole(minimum: int, maximum: int | None = None, why: str = ""):
    def check(v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
            raise fail(f"expected a whole number of at least {minimum}" + (f" and at most {maximum:,}" if maximum else ""))
        if maximum is not None and v > maximum:
            raise fail(f"expected at most {maximum:,} ({why})")
        return v

    return check


def _date(v: Any) -> dt.date:
    if isinstance(v, dt.datetime):
        raise fail("expected a date written YYYY-MM-DD, without a time")
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v.strip()):
        try:
            return dt.date.fromisoformat(v.strip())
        except ValueError:
            raise fail("expected a date that exists in the calendar") from None
    raise fail("expected a date written YYYY-MM-DD, e.g. 2018-01-01")


def _month(v: Any) -> str:
    m = re.fullmatch(r"(\d{4})-(\d{2})", v.strip()) if isinstance(v, str) else None
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise fail("expected a month written YYYY-MM, e.g. 2019-07")
    return v.strip()


def _wide_pattern(v: Any) -> str:
    if not isinstance(v, str) or "WW" not in v or "YY" not in v:
        raise fail("expected a column pattern with YYYY or YY and WW, e.g. y_YYWW")
    return v


# A persons column may have any plain name except one that starts like a register covariate, so that a typo in
# such a name (weeks_ledig_52 for weeks_ledig_52w) is caught here rather than taken for a column.
RESERVED_PREFIXES = ("weeks_", "employment_", "spell_weeks")


def _covariate(v: Any) -> str:
    """A covariate name of the panel grammar, or a plain identifier (taken as a column of the persons table,
    which can only be checked against the data)."""
    if not isinstance(v, str) or not v.strip():
        raise fail(f"expected a covariate name: {GRAMMAR_HELP}")
    name = v.strip()
    try:
        parse_covariate(name)
    except CovariateNameError as e:
        no_pattern = str(e).startswith(f"'{name}' is not a covariate name")
        reserved = next((r for r in RESERVED_PREFIXES if name.startswith(r)), None)
        if no_pattern and reserved:
            raise fail(f"expected a name of the grammar, as names starting with {reserved} are read by it: "
                        f"{GRAMMAR_HELP}") from None
        if no_pattern and name.isidentifier():
            return name  # a user column of the persons table
        if no_pattern:
            raise fail(f"expected a covariate name (letters, digits and _): {GRAMMAR_HELP}") from None
        raise note(str(e)) from None
    return name


def _pool_state(v: Any) -> str:
    state = canonical_state(v) if isinstance(v, str) else None
    if state is None or state not in ALL_STATES:
        raise fail(f"expected a state or group of the DREAM code catalogue: one of {', '.join(ALL_STATES)}")
    return state


def _week_offset(v: Any) -> int:
    if isinstance(v, str) and re.fullmatch(r"[+-]?\d+", v.strip()):
        return int(v)
    if isinstance(v, bool) or not isinstance(v, int):
        raise fail("expected a week offset from the index week (a whole number, e.g. -1 or 0)")
    return v


def _age(v: Any) -> tuple[int, int]:
    ok = (isinstance(v, list) and len(v) == 2
          and all(isinstance(a, int) and not isinstance(a, bool) and 0 <= a <= 130 for a in v))
    if not ok:
        raise fail("expected [min, max] in completed years, e.g. [50, 65]")
    if v[0] > v[1]:
        raise fail("expected [min, max] with min <= max")
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
                raise note("expected participants, none, or a list of three-digit municipality codes; "
                            f"got {show(c)} in the list")
        return tuple(codes)
    raise fail("expected participants (the municipalities where participants live), none, "
                "or a list of three-digit municipality codes")


def _op(v: Any) -> str:
    if isinstance(v, str) and v.strip() in COMPARISONS:
        return v.strip()
    if isinstance(v, str) and v.strip().lower() in OP_WORDS:
        return OP_WORDS[v.strip().lower()]
    raise fail(f"expected one of {', '.join(COMPARISONS)} (in quotes: op: \">\") or {', '.join(OP_WORDS)}")


def _edges(v: Any) -> tuple[float | int, ...]:
    ok = (isinstance(v, list) and len(v) >= 2
          and all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in v))
    if not ok:
        raise fail("expected a list of at least two numbers (band limits, e.g. [50, 55, 60, 66])")
    if any(b <= a for a, b in zip(v, v[1:])):
        raise fail("expected increasing band limits")
    return tuple(v)


def _target(v: Any) -> float | int | tuple[float | int, float | int]:
    def num(x):
        return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x >= 0

    if num(v):
        return v
    if isinstance(v, list) and len(v) == 2 and all(num(x) for x in v):
        if v[0] > v[1]:
            raise fail("expected [min, max] with min <= max")
        return (v[0], v[1])
    raise fail("expected a number of at least 0, or [min, max] for a range (e.g. [100, 150])")


Text = Annotated[str, PlainValidator(_text)]
Number = Annotated[float, PlainValidator(_number)]
PositiveNumber = Annotated[float, PlainValidator(_positive)]


def _caliper(v: Any) -> float | dict[str, float]:
    """A caliper: a number (the distance's), or MatchIt's named form {distance: 0.2, age: 5}."""
    if not isinstance(v, dict):
        try:
            return _positive(v)
        except Exception:
            raise fail("expected a number greater than 0, or a mapping such as {distance: 0.2, age: 5}") from None
    if not v:
        raise fail("expected a number or a mapping with at least one entry, e.g. {distance: 0.2, age: 5}")
    out: dict[str, float] = {}
    for k, width in v.items():
        name = k if k == "distance" else _covariate(k)
        if isinstance(width, bool) or not isinstance(width, (int, float)) or not math.isfinite(width) or width <= 0:
            raise fail(f"expected a width greater than 0 for '{k}'")
        out[name] = float(width)
    return out


Caliper = Annotated[Any, PlainValidator(_caliper)]
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
# Resource options have upper bounds: a typo must not turn a run into days of work or gigabytes of memory.
Horizon = Annotated[int, PlainValidator(_whole(1, MAX_HORIZON, "months: ten years of follow-up; longer horizons "
                                                                 "outgrow any register extract"))]
Replications = Annotated[int, PlainValidator(_whole(2, MAX_BOOT, "replications: 2,000 give stable 95 % intervals; "
                                                                  "more only cost time"))]
Ratio = Annotated[int, PlainValidator(_whole(1, MAX_RATIO, "controls per participant: beyond that the variance "
                                                            "of the effect hardly falls (1 + 1/k)"))]
Threshold = Annotated[int, PlainValidator(_whole(MIN_DISCLOSURE_THRESHOLD, MAX_DISCLOSURE_THRESHOLD,
                                                 "persons: a larger threshold would hide nearly every table"))]


def none_is_empty(v: Any) -> Any:
    return [] if v is None else v


class Section(BaseModel):
    """A section of the design file: unknown keys are refused (a misspelt key is an error, not a silent default)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# ---- units of the register analyses (indicators, did, benchmark) ----

def unit_name(v: Any) -> str:
    if isinstance(v, int) and not isinstance(v, bool) and 100 <= v <= 999:
        return str(v)
    if isinstance(v, str) and v.strip():
        return v.strip()
    raise fail("expected a unit: a three-digit municipality code (e.g. 851) or a name declared under units")


def municipality_code(v: Any) -> str:
    if isinstance(v, int) and not isinstance(v, bool) and 100 <= v <= 999:
        return str(v)
    if isinstance(v, str) and re.fullmatch(r"\d{3}", v.strip()):
        return v.strip()
    raise fail("expected a three-digit municipality code, e.g. 851")


Unit = Annotated[str, PlainValidator(unit_name)]
Code = Annotated[str, PlainValidator(municipality_code)]

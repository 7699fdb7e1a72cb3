"""Problems of a design file, located by file, line and key path, and the one error that lists them.

pydantic's errors become messages that say what was expected and what was found, with the line of the key;
unknown keys get a suggestion (a close spelling, or the section the key belongs in).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel

from virkning.errors import DesignError

Loc = tuple[Any, ...]


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


def show(value: Any) -> str:
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
            return "[" + ", ".join(show(x) if x is not None else "null" for x in value) + "]"
        return f"a list of {len(value)} item(s)"
    if isinstance(value, dict):
        return "a mapping (key: value)"
    return repr(value)


# ---------------------------------------------------------------------------------------------------------------
# Value types: each check says what it expects

def display(loc: Loc, raw: Any) -> str:
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


def model_at(root: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The section model at a key path of the design (for the keys it allows)."""
    t: Any = root
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


def keys_of(model: type[BaseModel]) -> list[str]:
    return [f.alias or n for n, f in model.model_fields.items()]


# Keys written in the wrong place or under another name: where they belong.
MOVED = {"exact": "matching", "ratio": "matching", "replace": "matching", "caliper": "matching",
         "std_caliper": "matching", "antiexact": "matching", "distance": "matching", "discard": "matching", "catalogue": "data", "end_month": "data",
         "wide_pattern": "data", "folder": "data", "engine": "data", "master": "data", "spark_catalog": "data",
         "encoding": "data", "delimiter": "data", "decimal": "data",
         "event": "participants", "units": "participants", "age": "pool", "states": "pool",
         "horizon": "each outcome in outcomes"}
SYNONYMS = {"start": "from", "end": "to", "fra": "from", "til": "to"}


def unknown_key(key: Any, allowed: list[str], where: str = "", top: bool = False) -> str:
    close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
    if not close and SYNONYMS.get(key) in allowed:
        close = [SYNONYMS[key]]
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    if not close and top and key in MOVED:
        hint = f" (it belongs under {MOVED[key]})"
    return f"unknown key {show(key)}{where}{hint}; expected one of {', '.join(allowed)}"


def _choices(expected: str) -> str:
    found = re.findall(r"'((?:[^'\\]|\\.)*)'", expected)
    return ", ".join(found) if found else expected


def describe(err: Mapping[str, Any], root: type[BaseModel], hints: dict[str, str]) -> tuple[Loc, str]:
    """A pydantic error as (key path, message with what was expected and what was found); `root` is the model of
    the whole file (for the keys a section allows), `hints` say what a missing required key is for."""
    loc = tuple(err["loc"])
    if loc and loc[-1] == "[key]":
        loc = loc[:-1]
    kind = err["type"]
    ctx = err.get("ctx") or {}
    found = err.get("input")
    if kind == "missing":
        key = loc[-1]
        hint = hints.get(key)
        return loc[:-1], f"missing required key '{key}'" + (f" ({hint})" if hint else "")
    if kind == "extra_forbidden":
        model = model_at(root, loc[:-1])
        return loc, unknown_key(loc[-1], keys_of(model) if model else [], top=len(loc) == 1)
    if kind == "design_note":
        return loc, ctx["message"]
    if kind in ("value_error", "assertion_error"):  # a model's own rule: its message is complete
        return loc, str(err["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
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
    return loc, f"{expected}; got {show(found)}"

def line_of(lines: dict[Loc, int], loc: Loc) -> int | None:
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines:
            return lines[loc[:n]] if n else None
    return None


# ---------------------------------------------------------------------------------------------------------------

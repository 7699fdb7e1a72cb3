"""Reading an evidence-base file with the design file's reader, so every key path keeps the line it was written on.

`read_yaml_with_lines` is `virkning.design.source.read_yaml` (the package's one YAML reader: safe loading, a line
per key path, duplicated keys refused, bounded against expanding aliases and huge files), with its problems
worded for evidence files.
"""

from __future__ import annotations

from typing import Any

from virkning.design.messages import DesignFileError
from virkning.design.source import read_yaml
from virkning.evidence.errors import EvidenceFileError, EvidenceProblem

Loc = tuple[Any, ...]


def _problem(p) -> EvidenceProblem:
    return EvidenceProblem(p.file, p.line, "", p.path, p.message)


def read_yaml_with_lines(text: str, source: str) -> tuple[Any, dict[Loc, int], list[EvidenceProblem]]:
    """Parse `text` (from the file named `source`): the plain data, the line of every key path, and the problems
    found while reading (a key written twice). Unreadable YAML raises `EvidenceFileError` at once, with its line."""
    try:
        data, lines, problems = read_yaml(text, source)
    except DesignFileError as e:
        raise EvidenceFileError([_problem(p) for p in e.problems]) from None
    return data, lines, [_problem(p) for p in problems]


def line_of(lines: dict[Loc, int], loc: Loc) -> int | None:
    """The line of ``loc`` or of its nearest written ancestor (a missing key is reported where its parent is)."""
    loc = tuple(loc)
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())


def display(loc: Loc) -> str:
    """``findings[2].value`` for ("findings", 1, "value"): list items are counted from 1, as people count."""
    out = ""
    for seg in loc:
        if isinstance(seg, int):
            out += f"[{seg + 1}]"
        else:
            out += ("." if out else "") + str(seg)
    return out

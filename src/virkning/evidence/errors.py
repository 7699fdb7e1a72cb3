"""Located problems in an evidence-base file: file, line, record (study id), field and the rule broken.

An :class:`EvidenceFileError` carries every problem found in one pass, so a user fixes a file in one go
rather than one error per run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from virkning.errors import VirkningError


@dataclass(frozen=True)
class EvidenceProblem:
    """One broken rule. ``line`` is 1-based (None when the problem has no single place, e.g. a missing file);
    ``record`` names the study (``study 'pedersen2012'``), synthesis or section; ``field`` is the dotted path
    inside the record (``findings[2].value``)."""

    file: str
    line: int | None
    record: str
    field: str
    rule: str

    def __str__(self) -> str:
        where = self.file + (f", line {self.line}" if self.line else "")
        what = ", ".join(x for x in (self.record, f"field '{self.field}'" if self.field else "") if x)
        return f"{where}: {what + ': ' if what else ''}{self.rule}"


class EvidenceFileError(VirkningError):
    """An evidence-base file (or a study record built in Python) breaks the format; nothing was loaded."""

    def __init__(self, problems: Sequence[EvidenceProblem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line or 0))
        lines = [f"{len(self.problems)} problem(s) in the evidence base; nothing was loaded:"]
        lines += [f"- {p}" for p in self.problems]
        lines.append("Fix the file and load it again (the format is described in docs/evidence.md).")
        super().__init__("\n".join(lines))

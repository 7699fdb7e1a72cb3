"""One exception family for everything virkning refuses to do.

Every message names where the problem is (file or key, column, rows) and the rule that was broken, and ends
with what to do about it. The CLI turns these into exit code 1 without a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence


class VirkningError(Exception):
    """Base class: a problem with the user's input or request, not a bug in virkning."""


class ContractError(VirkningError):
    """A data table breaks the data contract (docs/data-contract.md)."""

    def __init__(self, problems: Sequence["Problem"]):
        self.problems = list(problems)
        lines = [f"{len(self.problems)} problem(s) in the data; nothing was written:"]
        lines += [f"- {p}" for p in self.problems]
        lines.append("Fix the input files and run again (see docs/data-contract.md).")
        super().__init__("\n".join(lines))


class CatalogueError(VirkningError):
    """The DREAM code catalogue (shipped or user-supplied) is malformed."""


class CovariateNameError(VirkningError):
    """A covariate or outcome name does not follow the naming grammar."""


class DesignError(VirkningError):
    """An evaluation design or estimator option is invalid."""


class EstimationError(VirkningError):
    """A model could not be estimated (no convergence, complete separation, empty groups)."""


class Problem:
    """One broken rule: file, column, rows (1-based data rows, first few) and the rule in words."""

    __slots__ = ("file", "column", "rows", "rule", "n_rows")

    def __init__(self, file: str, column: str | None, rule: str, rows: Sequence[int] = (), n_rows: int | None = None):
        self.file = file
        self.column = column
        self.rule = rule
        self.rows = list(rows)[:5]
        self.n_rows = len(rows) if n_rows is None else n_rows

    def __str__(self) -> str:
        where = self.file + (f", column '{self.column}'" if self.column else "")
        if self.n_rows:
            shown = ", ".join(str(r) for r in self.rows)
            more = f" and {self.n_rows - len(self.rows)} more" if self.n_rows > len(self.rows) else ""
            where += f", row{'s' if self.n_rows > 1 else ''} {shown}{more}"
        return f"{where}: {self.rule}"

    def __repr__(self) -> str:
        return f"Problem({self!s})"

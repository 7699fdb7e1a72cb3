"""What a command-line run tells its user while it runs: progress and warnings.

On a terminal a command shows a spinner with its current step; when the output is not a terminal (a batch job on a
research server, a log file) it writes one timestamped line per new step to stderr instead (`Lines`), so the log
shows where the run is. Warnings (statistical caveats such as SensitivityWarning, and those of the libraries) are
shown as one line each when they arise and counted by `WarningLog`, which ends the run with a summary: how many,
and each distinct warning once with the number of times it arose.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections import Counter
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.markup import escape


class Lines:
    """Progress for batch jobs and logs: one timestamped line on stderr per new step (a repeated step is skipped)."""

    def __init__(self, err: Console, text: str):
        self.err = err
        self.last: str | None = None
        self.update(text)

    def update(self, text: str) -> None:
        if text != self.last:
            self.last = text
            self.err.print(f"{dt.datetime.now():%H:%M:%S} {text}", markup=False, soft_wrap=True)

    def __enter__(self) -> "Lines":
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def status(console: Console, err: Console, text: str) -> Any:
    """A spinner on a terminal; timestamped lines on `err` otherwise. Both have `.update(text)`."""
    return _Spinner(console.status(escape(text))) if console.is_terminal else Lines(err, text)


class _Spinner:
    """rich's spinner reads its text as markup whatever the console's setting; the texts name design parts (a
    robustness variant may be called '[x]'), so they are escaped."""

    def __init__(self, status: Any):
        self.status = status

    def __enter__(self) -> "_Spinner":
        self.status.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.status.__exit__(*exc)

    def update(self, text: str) -> None:
        self.status.update(escape(text))


class WarningLog:
    """Within `with WarningLog(err) as log:` every warning that Python's filters let through is shown as one line on
    `err` and counted; `log.summary()` gives the closing lines. Filters still apply (an ignored warning stays
    ignored, and Python's default shows a warning once per place in the code)."""

    def __init__(self, err: Console):
        self.err = err
        self.counts: Counter[tuple[str, str]] = Counter()
        self._catcher = warnings.catch_warnings()

    def _show(self, message: Warning | str, category: type[Warning], filename: str, lineno: int,
              file: object = None, line: str | None = None) -> None:
        key = (category.__name__, " ".join(str(message).split()))
        self.counts[key] += 1
        stamp = "" if self.err.is_terminal else f"{dt.datetime.now():%H:%M:%S} "
        self.err.print(f"{stamp}warning: {key[0]}: {key[1]}", markup=False, soft_wrap=True)

    def __enter__(self) -> "WarningLog":
        self._catcher.__enter__()
        warnings.showwarning = self._show
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._catcher.__exit__(exc_type, exc, tb)

    def summary(self) -> list[str]:
        """'N warning(s) in this run:' and one line per distinct warning, most frequent first; [] without warnings."""
        if not self.counts:
            return []
        total = sum(self.counts.values())
        lines = [f"{total} warning{'s' if total != 1 else ''} in this run ({len(self.counts)} distinct):"]
        for (category, message), n in self.counts.most_common():
            lines.append(f"- {category}: {message}" + (f" ({n} times)" if n > 1 else ""))
        return lines

    def print_summary(self) -> None:
        for line in self.summary():
            self.err.print(line, markup=False, soft_wrap=True)

"""What every command of the `virkning` command line shares: the two consoles, the failure exit, the progress
display and the engine options' help."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

from virkning import runlog
from virkning.errors import VirkningError

# markup only where a call asks for it (markup=True): messages quote design text such as "[min, max]", which
# rich would otherwise take for a style tag and drop
console = Console(highlight=False, markup=False)
err = Console(stderr=True, highlight=False, markup=False)


def _status(text: str):
    """A spinner on a terminal; timestamped lines on stderr otherwise (virkning.runlog)."""
    return runlog.status(console, err, text)


ENGINE_HELP = ("SQL engine: duckdb (embedded, the default) or spark (needs PySpark 4, the extra 'spark', and Java "
               "17 or 21); in evaluate and monitor it overrides the design's data.engine. docs/scale.md.")
MASTER_HELP = "Spark master URL (local[4], spark://host:7077, yarn, k8s://...); default local[N] with every core."


def _fail(exc: VirkningError) -> None:
    err.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True, soft_wrap=True)
    raise typer.Exit(1)



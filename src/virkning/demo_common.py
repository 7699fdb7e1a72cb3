"""What the demo's stages share: the example designs shipped with the package and the console tables."""

from __future__ import annotations

from importlib import resources

import pandas as pd
from rich.console import Console
from rich.table import Table


def _table(title: str, frame: pd.DataFrame, floats: str = "{:.3f}") -> Table:
    t = Table(title=title)
    for c in frame.columns:
        t.add_column(str(c), justify="left" if frame[c].dtype == object else "right")
    for row in frame.itertuples(index=False):
        t.add_row(*["" if pd.isna(v) else (floats.format(v) if isinstance(v, float) else f"{v:,}" if isinstance(v, int) else str(v))
                    for v in row])
    return t


def example(name: str = "seniorvikar") -> str:
    """The text of an example design shipped with the package (`seniorvikar`, `minimal`)."""
    return resources.files("virkning.examples").joinpath(name, "design.yaml").read_text(encoding="utf-8")


def status(console: Console, text: str):
    """The stage being run: a spinner on a terminal, timestamped lines on stderr in a batch job (virkning.runlog)."""
    from virkning import runlog

    return runlog.status(console, Console(stderr=True, highlight=False), text)

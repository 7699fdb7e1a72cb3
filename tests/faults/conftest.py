"""The fixtures of the fault-injection suite (faultkit.py has the helpers)."""

from __future__ import annotations

from pathlib import Path

import pytest

from faultkit import MINIMAL, previous_output


@pytest.fixture
def base(tmp_path, small_tables) -> Path:
    """A valid data folder (CSV) with a design next to it, and an earlier output."""
    root = tmp_path / "case"
    data = root / "data"
    data.mkdir(parents=True)
    for name, frame in small_tables.items():
        frame.to_csv(data / f"{name}.csv", index=False)
    (root / "design.yaml").write_text(MINIMAL + "data:\n  folder: data\n", encoding="utf-8")
    previous_output(root / "out")
    return root

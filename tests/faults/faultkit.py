"""Fault injection through the command line: each fault is a small change to a valid input; the run must be refused
with exit code 1 and a message naming the file (or design key), column, row and rule, with no traceback, and
nothing on disk may change (neither the inputs nor an earlier output)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from virkning import cli

MINIMAL = """participants:
  event: informationsmøde
pool:
  states: {-1: ledig, 0: ledig}
covariates: [age, sex, weeks_ledig_52w]
outcomes:
  - name: exit_beskaeftiget
"""


def fingerprint(*folders: Path) -> dict[str, str]:
    out = {}
    for folder in folders:
        if folder.exists():
            for p in sorted(folder.rglob("*")):
                out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
    return out


def run(args: list[str], capsys) -> tuple[int, str]:
    capsys.readouterr()
    code = cli.run([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def previous_output(folder: Path) -> Path:
    """A stand-in for an earlier output of virkning (what `--out` may replace as a whole)."""
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"kind": "virkning-output", "command": "evaluate"}))
    (folder / "report.html").write_text("<html>earlier</html>")
    return folder


def assert_refused(code: int, text: str, must: tuple[str, ...], before: dict, after: dict, parent: Path) -> None:
    flat = " ".join(text.split())
    assert "Traceback" not in text, text
    assert code == 1, f"exit {code}: {text}"
    for m in must:
        assert m.lower() in flat.lower(), f"{m!r} not in: {flat}"
    assert before == after, "files changed on disk"
    left = [p.name for p in parent.iterdir() if ".tmp-" in p.name or ".old-" in p.name or ".probe-" in p.name]
    assert not left, left




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

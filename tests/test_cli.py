"""The CLI is thin: exit codes, messages and JSON come from the API."""

import json

from typer.testing import CliRunner

from conftest import folder_fingerprint, write_folder
from virkning.cli import app

runner = CliRunner()


def test_validate_ok_and_json(tmp_path, small_tables):
    folder = write_folder(tmp_path / "d", small_tables)
    res = runner.invoke(app, ["validate", "--data", str(folder)])
    assert res.exit_code == 0, res.output
    assert "Valid." in res.output and "555" in res.output  # the unknown code is reported
    res = runner.invoke(app, ["validate", "--data", str(folder), "--json"])
    report = json.loads(res.output)
    assert report["ok"] and report["tables"]["benefits"]["rows"] == 32
    assert report["unknown_codes"] == [{"code": "555", "weeks": 1, "persons": 1}]


def test_validate_errors_exit_1_and_write_nothing(tmp_path, small_tables):
    small_tables["benefits"].loc[0, "week"] = "2018-W99"
    folder = write_folder(tmp_path / "d", small_tables)
    before = folder_fingerprint(folder)
    res = runner.invoke(app, ["validate", "--data", str(folder)])
    assert res.exit_code == 1
    assert "benefits.csv, column 'week', row 1: is not an ISO week" in res.output
    assert folder_fingerprint(folder) == before


def test_validate_missing_folder(tmp_path):
    res = runner.invoke(app, ["validate", "--data", str(tmp_path / "nope")])
    assert res.exit_code == 1 and "is not a folder" in res.output


def test_usage_error_exit_2():
    assert runner.invoke(app, ["validate"]).exit_code == 2
    assert runner.invoke(app, ["synth", "--out", "x", "--format", "xlsx"]).exit_code == 2


def test_progress_is_timestamped_lines_when_not_a_terminal(tmp_path):
    """A batch job (output not a terminal) sees where the run is: one timestamped line per step on stderr, and the
    results alone on stdout."""
    import re
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "virkning.cli", "synth", "--out", str(tmp_path / "s"), "--persons",
                           "2000"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) >= 3 and all(re.match(r"^\d\d:\d\d:\d\d \S", line) for line in lines), proc.stderr
    assert lines[0].endswith("Simulating registers ...") and "done" in lines[-1]
    assert not re.search(r"^\d\d:\d\d:\d\d ", proc.stdout, flags=re.M)

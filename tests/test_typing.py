"""The package ships py.typed, so its annotations are a promise to users' type checkers: mypy (pinned in
requirements-dev.lock, configured in pyproject.toml) must find no error in src/virkning."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_finds_no_error_in_the_package(tmp_path):
    api = pytest.importorskip("mypy.api")
    out, err, status = api.run(["--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(tmp_path),
                                "--no-error-summary", str(ROOT / "src" / "virkning")])
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert status == 0 and not errors, "\n".join(errors[:50]) or err

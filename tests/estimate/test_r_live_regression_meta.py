"""Live R: the committed reference scripts reproduce the stored sandwich and metafor outputs (marker ``r``).

Each script runs on a temporary copy of its folder; every number it writes must equal the stored file to 1e-10
(relative), so the stored references cannot drift from the scripts that claim to make them. Skipped without
Rscript or the R packages.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

pytestmark = [pytest.mark.r, pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript not installed")]

ROOT = Path(__file__).resolve().parents[2]


def _has(packages: list[str]) -> bool:
    code = "cat(all(sapply(c(%s), requireNamespace, quietly = TRUE)))" % ", ".join(f'"{p}"' for p in packages)
    out = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True, timeout=60)
    return out.stdout.strip() == "TRUE"


def _numbers_equal(a, b, path="") -> None:
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for k in a:
            if k not in ("R", "printed"):
                _numbers_equal(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list) and a and isinstance(a[0], (int, float, list)) and not isinstance(a[0], bool):
        np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=1e-10, atol=1e-14, err_msg=path)
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for x, y in zip(a, b):
            _numbers_equal(x, y, path)
    elif isinstance(a, float):
        assert a == pytest.approx(b, rel=1e-10, abs=1e-14), path
    else:
        assert a == b, path


@pytest.mark.parametrize("folder,script,output,packages", [
    ("regression", "make_reference.R", "sandwich_reference.json", ["sandwich", "lmtest", "jsonlite"]),
    ("meta", "make_reference.R", "metafor_reference.json", ["metafor", "jsonlite"]),
])
def test_reference_script_reproduces_stored_output(tmp_path, folder, script, output, packages):
    if not _has(packages):
        pytest.skip(f"R packages {packages} not all installed")
    src = ROOT / "tests" / "reference" / folder
    dst = tmp_path / "tests" / "reference" / folder
    shutil.copytree(src, dst)
    (dst / output).unlink()
    proc = subprocess.run(["Rscript", str(dst / script)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    _numbers_equal(json.loads((dst / output).read_text()), json.loads((src / output).read_text()))

"""What a command's start-up imports: scipy.stats (about 0.3 s) only where a function needs it, so the analyses'
registry, the outputs and the CLI load without it, and a command that never calls such a function (`monitor`) never
pays for it."""

import os
import subprocess
import sys


def test_the_registry_and_cli_load_without_scipy_stats():
    code = ("import sys, virkning.cli, virkning.outputs, virkning.analyses, virkning.estimate, virkning.economics, "
            "virkning.evidence; print(sorted(m for m in ('scipy.stats', 'statsmodels') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_an_evaluation_runs_without_scipy_stats(synth_folder, tmp_path):
    """The minimal example design's evaluation (Rosenbaum bounds included) never imports scipy.stats: the bounds'
    binomial comes from scipy.special (estimate/rosenbaum.py::binomial_pmf)."""
    from importlib import resources

    design = tmp_path / "design.yaml"
    design.write_text(resources.files("virkning.examples").joinpath("minimal", "design.yaml").read_text("utf-8"), "utf-8")
    code = ("import sys; from virkning.cli import run; "
            f"code = run(['evaluate', {str(design)!r}, '--data', {str(synth_folder)!r}, '--out', "
            f"{str(tmp_path / 'out')!r}, '--no-workbook']); print(code, 'scipy.stats' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "VIRKNING_CACHE_DIR": "off"}).stdout
    assert out.strip().splitlines()[-1] == "0 False"
    assert (tmp_path / "out" / "report.html").is_file()

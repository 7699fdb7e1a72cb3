"""What a command's start-up imports: scipy.stats (about 0.3 s) only where a function needs it, so the analyses'
registry, the outputs and the CLI load without it, and a command that never calls such a function (`monitor`) never
pays for it."""

import subprocess
import sys


def test_the_registry_and_cli_load_without_scipy_stats():
    code = ("import sys, virkning.cli, virkning.outputs, virkning.analyses, virkning.estimate, virkning.economics, "
            "virkning.evidence; print(sorted(m for m in ('scipy.stats', 'statsmodels') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

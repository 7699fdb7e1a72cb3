"""The bounded load test of the portal (benchmarks/bench_portal.py) in small: concurrent job-centre users register
citizens and read status on a loopback server; every registration answered 201 is stored once."""

import os
import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_portal.py"


def test_concurrent_registrations_are_neither_lost_nor_duplicated():
    # the portal as deployed, not pytest-django's test settings
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    proc = subprocess.run([sys.executable, str(BENCH), "--users", "8", "--seconds", "4", "--units", "4"],
                          capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    answered = int(re.search(r"registrations answered 201: (\d+)", out).group(1))
    stored = int(re.search(r"stored: (\d+)", out).group(1))
    assert answered > 0 and answered == stored
    assert "lost: 0, duplicated: 0" in out
    assert re.search(r"errors 0\b", out), out

"""The demo's second process: a stage run there hands its result and its warnings to the demo's process, and a
stage whose background job failed is done by the demo's process itself (demo_others._collect)."""

import io
import warnings
from concurrent.futures import Future

from rich.console import Console

from virkning.demo_others import _collect


class _Caveat(UserWarning):
    pass


def test_a_background_result_comes_with_its_warnings_raised_again():
    done: Future = Future()
    done.set_result(({"report": "r.html", "seconds": 2.0},
                     [(_Caveat, "first", "a.py", 3), (_Caveat, "second", "a.py", 3)]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")  # as the command line runs: shown once per place and message
        assert _collect(Console(file=io.StringIO()), done, "Stage") == {"report": "r.html", "seconds": 2.0}
    assert [(w.category, str(w.message), w.filename, w.lineno) for w in caught] == [
        (_Caveat, "first", "a.py", 3), (_Caveat, "second", "a.py", 3)]


def test_a_failed_background_stage_is_reported_and_left_to_the_caller():
    failed: Future = Future()
    failed.set_exception(RuntimeError("no space left"))
    out = io.StringIO()
    assert _collect(Console(file=out, width=200), failed, "Flere skal med") is None
    assert "Flere skal med could not be done in the background (no space left); doing it now" in out.getvalue()
    assert _collect(Console(file=out), None, "Flere skal med") is None  # no background process: nothing to wait for


def test_a_worker_runs_at_a_lower_priority_than_the_demo():
    # in a process of its own: the nice value cannot be lowered again
    import os
    import subprocess
    import sys

    if not hasattr(os, "nice"):
        return
    code = ("import os; from virkning.demo_others import _yield_to_the_demo; before = os.nice(0); "
            "_yield_to_the_demo(); print(os.nice(0) - before, before)")
    raised, before = map(int, subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                             check=True).stdout.split())
    assert raised == min(5, 19 - before)

"""Chunks simulated by worker processes (synth/workers.py) give the same files as a thread."""

from __future__ import annotations

import hashlib
import sys

import numpy as np
import pytest

from virkning.synth import workers
from virkning.synth.frikommune.design import FrikommuneDesign
from virkning.synth.runner import run
from virkning.synth.seniorvikar import SeniorvikarDesign

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="worker processes are forked on Linux")


def _digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("design", [None, "frikommune"])
def test_workers_write_the_files_a_thread_writes(tmp_path, design):
    make = (lambda: FrikommuneDesign()) if design else (lambda: None)
    # five chunks of 1,500 persons: both workers busy, sets reused, a last chunk shorter than the others
    a = run(tmp_path / "thread", 7_000, 11, chunk=1_500, processes=0, design=make())
    b = run(tmp_path / "workers", 7_000, 11, chunk=1_500, processes=2, design=make())
    assert _digests(tmp_path / "thread") == _digests(tmp_path / "workers")
    assert a.counts == b.counts and a.participants == b.participants and a.participants > 0
    assert (tmp_path / "workers" / "truth.json").exists()


class _Broken(SeniorvikarDesign):
    def chunk_hook(self, ctx, pop, geo, lo, hi):
        if lo > 0:
            raise ValueError(f"chunk at {lo} broke")
        return super().chunk_hook(ctx, pop, geo, lo, hi)


def test_an_error_in_a_worker_reaches_the_caller(tmp_path):
    from virkning.synth.params import ModelParams

    with pytest.raises(ValueError, match="chunk at 1000 broke"):
        run(tmp_path / "x", 4_000, 3, chunk=1_000, processes=2, design=_Broken(ModelParams()))
    assert not (tmp_path / "x" / "truth.json").exists()
    assert workers._SHARED == {}  # nothing of the run kept alive


def test_processes_for():
    assert workers.processes_for(2) == 0  # fewer than three chunks: a thread
    many = workers.processes_for(10)
    cores = len(__import__("os").sched_getaffinity(0))
    assert many == (workers.PROCESSES if cores >= 2 else 0)


def test_shared_arrays_are_seen_by_a_forked_worker():
    import multiprocessing

    code, frac, ind = workers.shared_arrays(3, 4)
    assert code.dtype == np.int16 and frac.shape == (3, 4) and ind.dtype == np.uint8

    def fill():
        code[:] = 7
        ind[2, 3] = 9

    p = multiprocessing.get_context("fork").Process(target=fill)
    p.start()
    p.join()
    assert p.exitcode == 0 and (code == 7).all() and ind[2, 3] == 9 and ind.sum() == 9

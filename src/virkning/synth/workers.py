"""Chunks simulated in worker processes, so that the weekly simulation and the writing of the tables use both cores.

The simulation of a chunk is numpy over 131,072 persons a week and holds the GIL most of the time: two threads
simulating two chunks took as long as one (measured on the demo's seniors). Worker processes forked from the
generator share everything it set up (context, persons, design, random streams) without copying it, write each
chunk's weekly arrays into memory shared with the parent (one set per worker and one for the chunk being written),
and send back the rest of the chunk's result (the programme's bookkeeping) pickled, with the objects both sides
already hold (the context, the design and their attributes) sent as names rather than copies. Every chunk has its
own random stream and the parent writes the chunks in order, so the files are the same as with a thread.

Only where `fork` is Linux's own (not spawn or forkserver, which would import and rebuild everything in each
worker) and two or more cores are free; elsewhere, and for runs of fewer than three chunks, a thread simulates.
"""

from __future__ import annotations

import io
import mmap
import multiprocessing
import os
import pickle
import signal
import sys
import time
import warnings
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor

import numpy as np

#: worker processes that simulate chunks; the parent writes
PROCESSES = 2

# What a forked worker needs, set in the parent just before the workers are forked (they inherit it).
_SHARED: dict = {}


def processes_for(n_chunks: int) -> int:
    """How many worker processes a run of `n_chunks` chunks gets: 0 (a thread simulates) unless fork is available on
    Linux, two cores or more are free and there are at least three chunks (with fewer, the workers would not both be
    busy)."""
    if not sys.platform.startswith("linux") or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return PROCESSES if cores >= 2 and n_chunks >= 3 else 0


def shared_arrays(n_weeks: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """runner._weekly_arrays in memory shared with forked workers (anonymous shared mappings)."""
    out = []
    for dtype in (np.int16, np.uint8, np.uint8):
        size = n_weeks * n * np.dtype(dtype).itemsize
        out.append(np.frombuffer(mmap.mmap(-1, max(size, 1)), dtype=dtype, count=n_weeks * n).reshape(n_weeks, n))
    return out[0], out[1], out[2]


def _known(objects: dict) -> dict[str, object]:
    """The objects both sides hold, by name: the given ones and their attributes (a design's schedule, the
    context's tables), so that a chunk's result refers to them instead of carrying copies."""
    known = {}
    for name, obj in objects.items():
        known[name] = obj
        for attr, value in getattr(obj, "__dict__", {}).items():
            if not isinstance(value, (int, float, str, bool, type(None))):
                known[f"{name}.{attr}"] = value
    return known


class Pool:
    """Worker processes simulating chunks into shared array sets. `simulate(ctx, pop, geo, design, lo, hi, rng, out)`
    is runner._simulate_chunk; `objects` are what the workers share with the parent (context, persons, geography,
    design); `seeds` the chunks' random streams."""

    def __init__(self, processes: int, simulate: Callable, objects: dict, seeds: list, chunk: int, persons: int,
                 sets: list[tuple]):
        _SHARED.clear()
        _SHARED.update(simulate=simulate, objects=objects, seeds=seeds, chunk=chunk, persons=persons, sets=sets)
        self.sets = sets
        self._known = _known(objects)
        # fork: the workers start with the parent's memory; each is forked when the first chunk is submitted
        self._pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork"),
                                         initializer=_worker_signals)

    def submit(self, ci: int, out: tuple) -> Future:
        at = next(i for i, s in enumerate(self.sets) if s is out)
        with warnings.catch_warnings():
            # The first submit forks. Python 3.12 and later warn of a fork in a process with threads: here pyarrow's
            # jemalloc thread and OpenBLAS's, which both prepare for a fork, and the workers use neither.
            warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
            return self._pool.submit(_simulate_in_worker, ci, at)

    def result(self, future: Future) -> dict:
        """A chunk's result as runner's thread gives it: its arrays (views into its set) and the rest unpickled."""
        sim = _Unpickler(io.BytesIO(future.result()), self._known).load()
        out = self.sets[sim.pop("set")]
        n = sim["hi"] - sim["lo"]
        sim["code"], sim["frac"], sim["ind"] = (a[:, :n] for a in out)
        sim["out"] = out
        return sim

    def close(self, interrupted: bool) -> None:
        """Wait for the workers (each finishes the chunk it is on; on an interruption the chunks not yet started
        are dropped)."""
        self._pool.shutdown(wait=True, cancel_futures=interrupted)
        _SHARED.clear()


def _worker_signals() -> None:
    # Ctrl-C reaches the whole process group: the parent stops the run, and a worker must not print a traceback of
    # its own; a SIGTERM sent to a worker ends it as it would any process.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _simulate_in_worker(ci: int, set_index: int) -> bytes:
    s = _SHARED
    lo, hi = ci * s["chunk"], min(s["persons"], (ci + 1) * s["chunk"])
    o = s["objects"]
    t0 = time.perf_counter()
    sim = s["simulate"](o["ctx"], o["pop"], o["geo"], o["design"], lo, hi, np.random.default_rng(s["seeds"][ci]),
                        s["sets"][set_index])
    result = {k: v for k, v in sim.items() if k not in ("code", "frac", "ind")}
    result |= {"lo": lo, "hi": hi, "seconds": time.perf_counter() - t0, "set": set_index}
    buf = io.BytesIO()
    _Pickler(buf, {id(v): k for k, v in _known(o).items()}).dump(result)
    return buf.getvalue()


class _Pickler(pickle.Pickler):
    """Pickles the objects of `names` (id -> name) as their names."""

    def __init__(self, file, names: dict[int, str]):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.names = names

    def persistent_id(self, obj):
        return self.names.get(id(obj))


class _Unpickler(pickle.Unpickler):
    """Unpickles names as the objects of `known` (name -> object)."""

    def __init__(self, file, known: dict[str, object]):
        super().__init__(file)
        self.known = known

    def persistent_load(self, pid):
        return self.known[pid]

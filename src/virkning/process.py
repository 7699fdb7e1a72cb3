"""Settings of a process virkning runs in: a command of the command line (`cli.run`) and the demo's worker
processes. They change how fast the work runs, never what it computes (docs/performance.md, "Settings").

- The garbage collector's first threshold is GC_THRESHOLD new objects instead of Python's 700. A full collection
  walks every object array, and a pool's pairs fill arrays of millions of ids and labels: with the default, the
  demo's Seniorvikar evaluation collected 600 times, five of them full (0.7 s in all); with 10,000, 40 times and
  never fully (0.25 s), its peak memory the same. Cycles are collected as before, less often.
- numpy does not ask Linux for huge pages (madvise MADV_HUGEPAGE on arrays of 4 MB and more) when the kernel would
  then compact memory synchronously on a page fault to find one (transparent_hugepage/defrag "madvise" or
  "defer+madvise", a common default). On such a machine each new large array could stall in the kernel: the
  minimal evaluation at 1,000,000 persons spent 2.8-2.9 s of kernel time against 0.9-1.1 s without the advice
  (7.7-8.6 s against 5.9-6.3 s in all), the demo's synthetic registers 5.6-6.5 s against 0.7-0.9 s. A
  NUMPY_MADVISE_HUGEPAGE set by the user is left as it is.
"""

from __future__ import annotations

import gc
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

GC_THRESHOLD = 10_000

#: the kernel's setting that decides whether a fault in a huge-page region may stall to compact memory
DEFRAG = Path("/sys/kernel/mm/transparent_hugepage/defrag")


@contextmanager
def settings() -> Iterator[None]:
    """The settings while the block runs, and the caller's back afterwards (a notebook or the tests run commands
    in their own process)."""
    thresholds = gc.get_threshold()
    hugepages = None
    try:
        hugepages = apply()
        yield
    finally:
        gc.set_threshold(*thresholds)
        if hugepages is not None:
            _hugepages(hugepages)


def apply() -> bool | None:
    """The settings for the rest of the process (a worker process of the demo, and `settings` itself); numpy's
    huge-page advice as it was before, or None where it was left alone."""
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])
    return _hugepages(False) if stalls_on_huge_pages() else None


def stalls_on_huge_pages(defrag: Path | None = None) -> bool:
    """Whether numpy's huge-page advice should be withdrawn: the kernel compacts memory synchronously for advised
    regions (its defrag mode, the one in brackets, is "madvise" or "defer+madvise"), and the user has not chosen
    through NUMPY_MADVISE_HUGEPAGE. False where there is no such file (not Linux). `defrag`: the file (DEFRAG)."""
    if "NUMPY_MADVISE_HUGEPAGE" in os.environ:
        return False
    try:
        mode = re.search(r"\[([^\]]+)\]", (DEFRAG if defrag is None else defrag).read_text())
    except OSError:
        return False
    return mode is not None and mode.group(1) in ("madvise", "defer+madvise")


def _hugepages(enabled: bool) -> bool | None:
    """Set numpy's huge-page advice; the setting before, or None where this numpy has no such switch."""
    from numpy._core import multiarray

    switch = getattr(multiarray, "_set_madvise_hugepage", None)  # numpy's switch behind NUMPY_MADVISE_HUGEPAGE
    return None if switch is None else bool(switch(enabled))

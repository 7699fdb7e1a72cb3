"""The peak resident memory of the running process, for the benchmarks that start each measurement in a process of
its own."""

from __future__ import annotations

import resource
from pathlib import Path


def peak_kb() -> int:
    """This process's peak resident memory in kilobytes: VmHWM, since Linux's ru_maxrss keeps the peak of the process
    it was started from across exec (the benchmark's own, once it has scanned registers or read files back);
    ru_maxrss where there is no /proc or no such line."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    hwm = next((line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")), None)
    return int(hwm) if hwm is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

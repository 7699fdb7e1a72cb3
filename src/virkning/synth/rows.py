"""Long tables from the simulation's week-major arrays, fast: rows per person (sorted by person, then week or
month) and string columns built as Arrow buffers.

The simulation keeps one row per week and one column per person; the registers want one row per person-week
with a value, sorted by person. Transposing whole chunks strides through memory a week-row apart for every
element, so it is done in blocks of persons that fit in the cache. Text columns whose labels all have one length
(person ids, benefit codes, months) are gathered as fixed-width byte strings and handed to Arrow with computed
offsets, instead of a string `take`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

_BLOCK = 4096  # persons per transposed block: 4096 x 521 weeks of int16 is 4 MB


def person_major(a: np.ndarray, *more: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """a [periods, n] (and arrays `more` of its shape) -> (rows per person int64 [n], period index int32 of each
    nonzero entry of `a`, and the values there of `a` and of each of `more`), in person-major order."""
    n = a.shape[1]
    counts = np.empty(n, dtype=np.int64)
    periods: list[np.ndarray] = []
    values: list[list[np.ndarray]] = [[] for _ in range(1 + len(more))]
    for p0 in range(0, n, _BLOCK):
        blk = np.ascontiguousarray(a[:, p0:p0 + _BLOCK].T)
        nz = blk != 0
        counts[p0:p0 + len(blk)] = np.count_nonzero(nz, axis=1)
        periods.append(np.nonzero(nz)[1].astype(np.int32))
        values[0].append(blk[nz])
        for v, m in zip(values[1:], more):
            v.append(np.ascontiguousarray(m[:, p0:p0 + _BLOCK].T)[nz])
    if not periods:
        return counts, np.zeros(0, dtype=np.int32), [np.zeros(0, dtype=x.dtype) for x in (a, *more)]
    return counts, np.concatenate(periods), [np.concatenate(v) for v in values]


def _strings(data: np.ndarray) -> pa.Array:
    """A numpy bytes array (every item k bytes) -> Arrow strings, offsets computed."""
    n, k = len(data), data.dtype.itemsize
    raw = pa.py_buffer(data.view(np.uint8))
    if n * k >= 1 << 31:  # too long for 32-bit offsets: built as large strings, the cast raises as `take` would
        offsets64 = np.arange(0, (n + 1) * k, k, dtype=np.int64)
        return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets64), raw).cast(pa.string())
    offsets = np.arange(0, (n + 1) * k, k, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), raw)


def fixed_strings(labels: np.ndarray, index: np.ndarray) -> pa.Array:
    """labels: numpy bytes array (dtype S<k>, every label exactly k bytes); index: positions into it -> an Arrow
    string array of labels[index]."""
    return _strings(np.take(labels, index))


def label_bytes(labels: Sequence[str]) -> np.ndarray | None:
    """Labels as a numpy bytes array if all are ASCII and of one length (fixed_strings needs that), else None."""
    enc = [s.encode("utf-8") for s in labels]
    if not enc or len({len(b) for b in enc}) != 1 or any(len(b) != len(s) for b, s in zip(enc, labels)) \
            or len(enc[0]) == 0:
        return None
    return np.array(enc, dtype=f"S{len(enc[0])}")


def repeated_ids(id_bytes: np.ndarray, counts: np.ndarray) -> pa.Array:
    """Each person's id repeated for its rows (person-major)."""
    return _strings(np.repeat(id_bytes, counts))

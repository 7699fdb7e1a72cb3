"""Long tables from the simulation's week-major arrays, fast: rows per person (sorted by person, then week or
month), with the person ids and labels as Arrow dictionary arrays (a row holds a small integer).

The simulation keeps one row per week and one column per person; the registers want one row per person-week
with a value, sorted by person. Transposing whole chunks strides through memory a week-row apart for every
element, so it is done in blocks of persons that fit in the cache. The long arrays live in an `Arena` of buffers
reused from chunk to chunk.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

_BLOCK = 4096  # persons per transposed block: 4096 x 521 weeks of int16 is 4 MB


class Arena:
    """Named buffers reused from chunk to chunk, and from one table to the next. A fresh array of tens of MB costs
    a page fault per few pages every chunk (the kernel zeroes them), several times the work of filling it; a
    buffer that was used before costs nothing. Buffers are raw bytes, viewed as the dtype asked for; an array
    taken from the arena is valid until the same name is asked for again (so a table built in it must be written
    before the next is built)."""

    def __init__(self) -> None:
        self._bufs: dict[str, np.ndarray] = {}

    def get(self, name: str, n: int, dtype) -> np.ndarray:
        size = n * np.dtype(dtype).itemsize
        buf = self._bufs.get(name)
        if buf is None or len(buf) < size:
            buf = np.empty(size + size // 8 + 64, dtype=np.uint8)  # room, so a larger chunk need not reallocate
            self._bufs[name] = buf
        return buf[:size].view(dtype)


def person_major(a: np.ndarray, *more: np.ndarray, arena: Arena,
                 labels: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """a [periods, n] (and arrays `more` of its shape) -> (each nonzero entry's person, as its column 0..n-1 (int32),
    its period index (intp; or its period's entry of `labels` [periods], gathered as directly), and the values
    there of `a` and of each of `more`), in person-major order, in `arena`'s buffers "rows.*" (filled block by
    block, so no long array is allocated or copied)."""
    n_periods, n = a.shape
    total = int(np.count_nonzero(a))
    person = arena.get("rows.person", total, np.int32)
    index = np.arange(n_periods) if labels is None else labels
    period = arena.get("rows.period", total, index.dtype)
    values = [arena.get(f"rows.value{k}", total, x.dtype) for k, x in enumerate((a, *more))]
    at = 0
    for p0 in range(0, n, _BLOCK):
        blk = transposed(a[:, p0:p0 + _BLOCK])
        nz = blk != 0
        counts = np.count_nonzero(nz, axis=1)
        end = at + int(counts.sum())
        person[at:end] = np.repeat(np.arange(p0, p0 + len(blk), dtype=np.int32), counts)
        period[at:end] = np.broadcast_to(index, blk.shape)[nz]  # a masked gather: cheaper than np.nonzero
        flat = nz.ravel()
        np.compress(flat, blk.ravel(), out=values[0][at:end])
        for v, m in zip(values[1:], more):
            np.compress(flat, transposed(m[:, p0:p0 + _BLOCK]).ravel(), out=v[at:end])
        at = end
    return person, period, values


def transposed(a: np.ndarray) -> np.ndarray:
    """a [periods, k] with contiguous rows -> a.T as a contiguous [k, periods] array. numpy copies a transposed
    view element by element, a period-row apart each time; moving several persons' values at once as one 8-byte
    word and separating them in a second, cache-local pass is about four times faster for 2-byte values."""
    lanes = 8 // a.dtype.itemsize
    k4 = a.shape[1] // lanes * lanes
    if lanes < 2 or k4 == 0 or a.strides[1] != a.dtype.itemsize or a.ctypes.data % 8 or a.strides[0] % 8:
        return np.ascontiguousarray(a.T)
    words = np.ascontiguousarray(a[:, :k4].view(np.uint64).T)  # [k4 / lanes, periods], lanes persons a word
    head = words.view(a.dtype).reshape(k4 // lanes, a.shape[0], lanes).transpose(0, 2, 1).reshape(k4, a.shape[0])
    return head if k4 == a.shape[1] else np.concatenate([head, a[:, k4:].T])


class Labels:
    """Small-integer codes -> an Arrow dictionary array over the labels (weeks' codes, months, industries). Written
    to Parquet, the codes go out as they are (writer.TableWriter), where strings would be built for every row and
    hashed again into the file's dictionary pages; the values read back are the same strings. The codes must
    stay valid until the table is written (an arena buffer may hold them)."""

    def __init__(self, labels: list[str] | tuple[str, ...], name: str):
        self.dictionary = pa.array(list(labels), type=pa.string())
        self.name = name

    def __call__(self, values: np.ndarray) -> pa.DictionaryArray:
        if len(values) and (int(values.min()) < 0 or int(values.max()) >= len(self.dictionary)):
            raise IndexError(f"{self.name}: code out of range 0..{len(self.dictionary) - 1}")  # as Arrow's take would
        return pa.DictionaryArray.from_arrays(pa.array(values), self.dictionary, safe=False)  # in range (checked)

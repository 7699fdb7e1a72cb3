"""Validation's pass over a table in Parquet whose rows come sorted by person and then by week or month, as
extracts are delivered: one read of its ids, keys and counted columns gives the rows of each distinct value of
those columns, and, when the (person, key) pairs strictly rise through the files, the rows of each person. Strictly
rising pairs prove that no pair repeats, so the duplicate check needs no aggregate per person. For the benefits this
replaces DuckDB's two passes (week and code counts; rows against distinct weeks per person), for employment its
two (the months as written; rows against distinct months per person): docs/performance.md, "Validation".

The files are read with pyarrow, which hands Parquet's dictionary of each row group over as it is: a row's person is
a small integer, a person's rows are a run of equal integers, and only the first id of each run is compared as
text. DuckDB's SQL has no aggregate that checks an order, hence this module. Whatever the pass cannot vouch for (a
file not sorted from its first rows, a missing id, key or counted value, text that is not UTF-8, a damaged page,
other types, another engine) leaves the work to the engine's passes (registers/scans.py), which then report as they
always did.

What the read trusts: pyarrow's decoding of the pages it reads. pyarrow misreads a dictionary page that holds a value
twice (no writer stores one; DuckDB reads it right: the tests build such pages by editing a file's bytes), so the
read compares each dictionary pyarrow makes with the count of values its page's header gives, and gives up where
they differ: also where a dictionary page overflowed into plain pages (row groups of some hundred thousand
persons, as Spark writes them), whose values pyarrow adds to the dictionary. Where the read succeeds, DuckDB does not decode the ids, weeks, months and codes during the
check, so a page that pyarrow reads but DuckDB cannot is an error of the first evaluation instead.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

#: rows a worker decodes at a time: a row group written by Spark may hold tens of millions
BATCH = 1 << 20
#: integers spread wider than this within a batch are not weeks as YYYYWW: left to the engine's passes
_DENSE = 1 << 22
_INT64_MAX = (1 << 63) - 1


@dataclass
class _Piece:
    """One batch's runs of equal ids: the id of each run in order, its rows, and the batch's first and last
    (id, key)."""

    heads: pa.Array
    runs: np.ndarray
    first: tuple
    last: tuple


@dataclass
class _Part:
    """What one row group gives: per counted column its (values, rows) of each batch; `pieces` is None once its
    pairs were seen not to rise."""

    counts: list[list[tuple[pa.Array, np.ndarray]]]
    pieces: list[_Piece] | None = field(default_factory=list)


@dataclass(frozen=True)
class Counts:
    """The pass's result: per counted column a frame of its distinct values and their rows (`value`, `_n`), and
    the rows per person (`person_id`, `n`; None when the pairs do not strictly rise through the files)."""

    values: dict[str, pd.DataFrame]
    persons: pa.Table | None


class _Unfit(Exception):
    """The rows hold what only the engine's passes handle (a missing value, a type, a damaged page)."""


def read(files: Sequence[Path], person: str, key: str, counted: Sequence[str], threads: int | None = None
         ) -> Counts | None:
    """The counts of the files' `counted` columns, and the rows per person when (`person`, `key`) strictly rise
    through the files (columns named as written); or None when the engine's passes must do the work: not every
    file has text ids and integer or text keys and counted columns, a value is missing, a page cannot be read, or
    the first row group of the first file is not sorted (a file not sorted at all is then given up after one row
    group, not read through). Text keys rise in the order of their bytes, which for months as 'YYYY-MM' is the
    months' order; that the keys are distinct needs no more."""
    columns = list(dict.fromkeys([person, key, *counted]))
    try:
        fits = [_fit(path, person, columns) for path in files]
        groups = [(path, i) for path, (n, _) in zip(files, fits) for i in range(n)]
        text = fits[0][1] if fits else []
        if not groups or any(t != text for _, t in fits):
            return None
        head = _read(groups[0], columns, counted, text)
        if head.pieces is None:
            return None
        workers = max(1, min(threads or os.cpu_count() or 1, len(groups)))
        local = threading.local()
        with ThreadPoolExecutor(workers) as pool:
            parts = [head, *pool.map(lambda g: _read(g, columns, counted, text, local), groups[1:])]
        return Counts({c: _sum([b for p in parts for b in p.counts[i]]) for i, c in enumerate(counted)},
                      _persons(parts))
    # whatever the read could not settle (ArrowInvalid and UnicodeDecodeError are ValueErrors; a week of 2**64 - 1 is
    # an OverflowError) is the engine's to report
    except (_Unfit, OSError, pa.ArrowException, ValueError, IndexError, ArithmeticError):
        return None


def _fit(path: Path, person: str, columns: list[str]) -> tuple[int, list[str]]:
    """A file's row groups and its text columns, if its columns are of the types the pass reads."""
    file = pq.ParquetFile(path)  # one read of the footer: its schema and its row groups
    types = {f.name: f.type for f in file.schema_arrow}
    if any(c not in types for c in columns):
        raise _Unfit()

    def text(c: str) -> bool:
        return pa.types.is_string(types[c]) or pa.types.is_large_string(types[c])

    if not text(person) or any(not (text(c) or pa.types.is_integer(types[c])) for c in columns):
        raise _Unfit()
    return file.metadata.num_row_groups, [c for c in columns if text(c)]


def _reader(path: Path, text: list[str], cache) -> pq.ParquetFile:
    # a reader is not safe to share between threads: each worker keeps its own per file
    readers = cache.__dict__.setdefault("readers", {}) if cache is not None else {}
    reader = readers.get(path)
    if reader is None:
        reader = readers[path] = pq.ParquetFile(path, read_dictionary=text)
    return reader


def _page_sizes(path: Path, reader: pq.ParquetFile, group: int, text: list[str]) -> dict[str, int]:
    """The number of values in each text column's dictionary page of a row group (none where the column chunk has
    no dictionary page). A chunk starts where Arrow's reader starts it: at the dictionary page's offset when that
    lies before the first data page, else at the first data page (old writers left the offset 0 or pointed it
    at a data page)."""
    meta = reader.metadata.row_group(group)
    chunks = {meta.column(j).path_in_schema: meta.column(j) for j in range(meta.num_columns)}
    out = {}
    with open(path, "rb") as f:
        for c in text:
            chunk = chunks[c]
            dictionary = chunk.dictionary_page_offset if chunk.has_dictionary_page else None
            f.seek(dictionary if dictionary and dictionary < chunk.data_page_offset else chunk.data_page_offset)
            size = _dictionary_page_size(f.read(64))
            if size is not None:
                out[c] = size
    return out


def _dictionary_page_size(header: bytes) -> int | None:
    """num_values of the dictionary page whose header `header` begins; None when the page is another kind.

    pyarrow tells the values of the dictionary it made, not those of the page, and makes one value of a value the
    page holds twice (the rows' positions then point at the wrong values), so the page's own count is read from
    its header. No reader we depend on exposes it. The header is Thrift's compact protocol: a PageHeader whose field
    1 is the page type (2: a dictionary page) and whose field 7 is the DictionaryPageHeader, whose field 1 is
    num_values; each field is a byte (the field id's step from the last, and its type: 5 an i32, 12 a struct),
    and an i32 a zigzag varint."""
    i, field = 0, 0
    while True:
        byte = header[i]
        i += 1
        step, kind = byte >> 4, byte & 0x0F
        if not step:  # the header's end, or a field id written in full: not a page header we know
            raise _Unfit()
        field += step
        if kind == 5:
            value, i = _zigzag(header, i)
            if field == 1 and value != 2:
                return None
        elif kind == 12 and field == 7 and header[i] == 0x15:  # the struct's first field: 1, an i32
            return _zigzag(header, i + 1)[0]
        else:
            raise _Unfit()


def _zigzag(data: bytes, i: int) -> tuple[int, int]:
    """A zigzag varint at `i`, and the position after it."""
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return (value >> 1) ^ -(value & 1), i


def _read(group: tuple[Path, int], columns: list[str], counted: Sequence[str], text: list[str], cache=None) -> _Part:
    person, key = columns[0], columns[1]
    part = _Part([[] for _ in counted])
    reader = _reader(group[0], text, cache)
    sizes = _page_sizes(group[0], reader, group[1], text)
    for batch in reader.iter_batches(batch_size=BATCH, row_groups=[group[1]], columns=columns, use_threads=False):
        if not batch.num_rows:
            continue
        got = {c: batch.column(c) for c in columns}  # by name: a batch has the file's order of columns
        for c, array in got.items():
            if array.null_count:
                raise _Unfit()
            if isinstance(array, pa.DictionaryArray):
                _check(array)
                # The page's values, no fewer (pyarrow made one of a value the page holds twice:
                # `_dictionary_page_size`) and no more (values of plain pages after an overflowing dictionary page,
                # among which such a loss would not show): else the engine's to check.
                if c in sizes and len(array.dictionary) != sizes[c]:
                    raise _Unfit()
        if not isinstance(got[person], pa.DictionaryArray):
            raise _Unfit()
        joint = _joint_counts(got[counted[0]], got[counted[1]]) if len(counted) == 2 else None
        for i, c in enumerate(counted):
            part.counts[i].append(joint[i] if joint else _counts(got[c]))
        if part.pieces is not None:
            piece = _runs(got[person], got[key])
            if piece is None:
                part.pieces = None
            else:
                part.pieces.append(piece)
    return part


def _check(array: pa.DictionaryArray) -> None:
    """Indices within the dictionary, and text that is UTF-8: else the engine's to report (checking the indices
    alone costs a tenth of pyarrow's full validation of the array)."""
    if len(array):
        ends = pc.min_max(array.indices)
        if ends["min"].as_py() < 0 or ends["max"].as_py() >= len(array.dictionary):
            raise _Unfit()
    array.dictionary.validate(full=True)


def _counts(array: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """A batch's distinct values and their rows."""
    codes, lo, n, value = _codes(array)
    rows = np.bincount(codes if isinstance(array, pa.DictionaryArray) else np.subtract(codes, lo, dtype=np.int64),
                       minlength=n)
    seen = np.flatnonzero(rows)  # a value of the dictionary that no row of the batch uses has no rows
    return value(seen), rows[seen]


def _codes(array: pa.Array) -> tuple[np.ndarray, int, int, Callable[[np.ndarray], pa.Array]]:
    """A batch's column as integers from `lo` up, fewer than `n` apart (the dictionary's positions, or the values
    themselves), and the value of each code less `lo`."""
    if isinstance(array, pa.DictionaryArray):
        return array.indices.to_numpy(), 0, len(array.dictionary), lambda seen: array.dictionary.take(pa.array(seen))
    values = array.to_numpy()
    lo, hi = int(values.min()), int(values.max())
    if hi - lo > _DENSE or hi > _INT64_MAX:  # beyond int64, `seen + lo` would wrap
        raise _Unfit()
    return values, lo, hi - lo + 1, lambda seen: pa.array(seen + lo)


def _joint_counts(a: pa.Array, b: pa.Array) -> tuple[tuple[pa.Array, np.ndarray], ...] | None:
    """`_counts` of two columns of a batch from one bincount over their pairs (the benefits' weeks by their
    codes: a thousand weeks by some dozens of codes), which costs about two thirds of two counts where it matters:
    numpy's bincount holds the GIL, so the read's threads wait for each other there. None when the pairs could
    be too many."""
    ca, lo_a, na, value_a = _codes(a)
    cb, lo_b, nb, value_b = _codes(b)
    if na * nb > _DENSE:
        return None
    pair = np.subtract(ca, lo_a, dtype=np.int64)
    pair *= nb
    if isinstance(b, pa.DictionaryArray):
        np.add(pair, cb, out=pair, casting="unsafe")  # positions in the dictionary: small, whatever their type
    else:
        pair += np.subtract(cb, lo_b, dtype=np.int64)  # as _counts does (numpy will not add uint64 to int64)
    n = np.bincount(pair, minlength=na * nb).reshape(na, nb)
    out = []
    for rows, value in ((n.sum(axis=1), value_a), (n.sum(axis=0), value_b)):
        seen = np.flatnonzero(rows)
        out.append((value(seen), rows[seen]))
    return tuple(out)


def _ranks(key: pa.Array) -> np.ndarray:
    """The key as integers that rise as it does: integers as they are, text as its value's rank among the batch's
    distinct values (the dictionary's positions themselves where it is in order already: pyarrow lists a row
    group's values in the order they first appear, which is their order when the group's first persons hold the
    earliest months, as in the synthetic registers)."""
    if not isinstance(key, pa.DictionaryArray):
        return key.to_numpy()
    order = pc.sort_indices(key.dictionary).to_numpy()
    positions = key.indices.to_numpy()
    if (order == np.arange(len(order))).all():
        return positions
    rank = np.empty(len(order), dtype=np.promote_types(positions.dtype, np.min_scalar_type(len(order))))
    rank[order] = np.arange(len(order))
    return rank[positions]


def _runs(ids: pa.DictionaryArray, key: pa.Array) -> _Piece | None:
    """The batch's runs of equal ids, or None when its pairs do not strictly rise: within a run the key must rise,
    and from one run to the next the ids."""
    idx = ids.indices.to_numpy()
    k = _ranks(key)
    step = idx[1:] != idx[:-1]
    if not (step | (k[1:] > k[:-1])).all():
        return None
    starts = np.flatnonzero(np.concatenate(([True], step)))
    heads = ids.dictionary.take(pa.array(idx[starts]))
    if len(heads) > 1 and not pc.all(pc.less(heads.slice(0, len(heads) - 1), heads.slice(1))).as_py():
        return None
    runs = np.diff(np.append(starts, len(idx)))
    return _Piece(heads, runs, (heads[0].as_py(), key[0].as_py()), (heads[-1].as_py(), key[len(key) - 1].as_py()))


def _sum(batches: list[tuple[pa.Array, np.ndarray]]) -> pd.DataFrame:
    values = pa.concat_arrays([v.cast(pa.int64()) if pa.types.is_integer(v.type) else v.cast(pa.string())
                               for v, _ in batches])
    counts = np.concatenate([n for _, n in batches])
    table = pa.table({"value": values, "_n": counts}).group_by("value").aggregate([("_n", "sum")])
    return table.rename_columns(["value", "_n"]).to_pandas()


def _persons(parts: list[_Part]) -> pa.Table | None:
    """Rows per person when the pairs strictly rise through every piece in the files' order, else None."""
    pieces: list[_Piece] = []
    for part in parts:
        if part.pieces is None:
            return None
        pieces += part.pieces
    for before, after in zip(pieces, pieces[1:]):
        if after.first <= before.last:
            return None
    if not pieces:
        return pa.table({"person_id": pa.array([], pa.string()), "n": pa.array([], pa.int64())})
    heads = pa.concat_arrays([p.heads.cast(pa.string()) for p in pieces])
    runs = np.concatenate([p.runs for p in pieces])
    # a person whose rows go on into the next batch has a run in each: adjacent equal ids are one person
    same = pc.equal(heads.slice(0, len(heads) - 1), heads.slice(1)).to_numpy(zero_copy_only=False)
    starts = np.flatnonzero(np.concatenate(([True], ~same)))
    return pa.table({"person_id": heads.take(pa.array(starts)), "n": np.add.reduceat(runs, starts)})

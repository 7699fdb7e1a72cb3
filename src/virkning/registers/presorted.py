"""Validation's pass over a long benefit table in Parquet whose rows come sorted by person and week, as extracts are
delivered: one read of its ids, weeks and codes gives the row counts of the distinct weeks and codes, and, when the
(person, week) keys strictly increase through the files, the rows of each person. A strictly increasing key proves
that no key repeats, so the duplicate check needs no aggregate per person: at 1,000,000 persons over 10 years the
read costs about 3.5 scans against 6.5 for DuckDB's two passes it replaces (docs/performance.md, "Validation").

The files are read with pyarrow, which hands Parquet's dictionary of each row group over as it is: a row's person is
a small integer, a person's rows are a run of equal integers, and only the first id of each run is compared as
text. DuckDB's SQL has no aggregate that checks an order, hence this module. Whatever the pass cannot vouch for (a
file not sorted from its first rows, a missing id, week or code, a damaged page, another engine) leaves the work to
the engine's passes (registers/scans.py), which then report as they always did.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
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
#: a week range wider than this is counted by sorting instead of a table of every week in it
_DENSE = 1 << 22


@dataclass
class _Piece:
    """One batch's runs of equal ids: the id of each run in order, its rows, and the batch's first and last
    (id, week)."""

    heads: pa.Array
    runs: np.ndarray
    first: tuple[str, int]
    last: tuple[str, int]


@dataclass
class _Part:
    """What one row group gives; `pieces` is None once its keys were seen not to rise."""

    weeks: list[tuple[int, np.ndarray]] = field(default_factory=list)  # (lowest week, rows per week from it)
    codes: list[tuple[pa.Array, np.ndarray]] = field(default_factory=list)  # (distinct codes, their rows)
    pieces: list[_Piece] | None = field(default_factory=list)


@dataclass(frozen=True)
class Counts:
    """The pass's result: rows per distinct week and per distinct code, and rows per person (None when the keys do
    not strictly increase through the files)."""

    weeks: pd.DataFrame  # week, _n
    codes: pd.DataFrame  # code, _n
    persons: pa.Table | None  # person_id, n


class _Unfit(Exception):
    """The rows hold what only the engine's passes handle (a missing value, a type, a damaged page)."""


def benefits(files: Sequence[Path], names: tuple[str, str, str], threads: int | None = None) -> Counts | None:
    """The counts of the benefit files' `names` (id, week, code columns as written), or None when the engine's
    passes must do the work: not every file has those columns with text ids and integer weeks, a value is missing,
    a page cannot be read, or the first row group of the first file is not sorted (a file that is not sorted at all
    is then given up after one row group, not read through)."""
    try:
        fits = [_fit(path, names) for path in files]
        groups = [(path, i) for path, (n, _) in zip(files, fits) for i in range(n)]
        text_codes = fits[0][1]
        if not groups or any(t != text_codes for _, t in fits):
            return None
        head = _read(groups[0][0], groups[0][1], names, text_codes)
        if head.pieces is None:
            return None
        workers = max(1, min(threads or os.cpu_count() or 1, len(groups)))
        local = threading.local()

        def one(group: tuple[Path, int]) -> _Part:
            return _read(group[0], group[1], names, text_codes, local)

        with ThreadPoolExecutor(workers) as pool:
            parts = [head, *pool.map(one, groups[1:])]
    except (_Unfit, OSError, pa.ArrowException):
        return None
    return _combine(parts)


def _fit(path: Path, names: tuple[str, str, str]) -> tuple[int, bool]:
    """A file's row groups, and whether its codes are text, if its columns are of the types the pass reads."""
    types = {f.name: f.type for f in pq.read_schema(path)}
    pid, week, code = (types.get(n) for n in names)

    def text(t) -> bool:
        return t is not None and (pa.types.is_string(t) or pa.types.is_large_string(t))

    if not (text(pid) and week is not None and pa.types.is_integer(week)
            and (text(code) or (code is not None and pa.types.is_integer(code)))):
        raise _Unfit()
    return pq.ParquetFile(path).metadata.num_row_groups, text(code)


def _batches(path: Path, group: int, names: tuple[str, str, str], text_codes: bool,
             cache) -> Iterator[pa.RecordBatch]:
    # a reader is not safe to share between threads: each worker keeps its own per file
    readers = cache.__dict__.setdefault("readers", {}) if cache is not None else {}
    reader = readers.get(path)
    if reader is None:
        dictionary = [names[0], names[2]] if text_codes else [names[0]]
        reader = readers[path] = pq.ParquetFile(path, read_dictionary=dictionary)
    return reader.iter_batches(batch_size=BATCH, row_groups=[group], columns=list(names), use_threads=False)


def _read(path: Path, group: int, names: tuple[str, str, str], text_codes: bool, cache=None) -> _Part:
    part = _Part()
    for batch in _batches(path, group, names, text_codes, cache):
        if not batch.num_rows:
            continue
        ids, weeks, codes = (batch.column(n) for n in names)  # a batch has the file's order of columns
        if ids.null_count or weeks.null_count or codes.null_count or not isinstance(ids, pa.DictionaryArray):
            raise _Unfit()
        # text that is not UTF-8 is the engine's to report ("cannot be read through"); the dictionaries are small
        ids.dictionary.validate(full=True)
        if isinstance(codes, pa.DictionaryArray):
            codes.dictionary.validate(full=True)
        w = weeks.to_numpy().astype(np.int64, copy=False)
        part.weeks.append(_week_counts(w))
        part.codes.append(_code_counts(codes))
        if part.pieces is not None:
            piece = _runs(ids, w)
            if piece is None:
                part.pieces = None
            else:
                part.pieces.append(piece)
    return part


def _week_counts(w: np.ndarray) -> tuple[int, np.ndarray]:
    lo, hi = int(w.min()), int(w.max())
    if hi - lo > _DENSE:  # not weeks as YYYYWW: the engine's passes report them
        raise _Unfit()
    return lo, np.bincount(w - lo)


def _code_counts(codes: pa.Array) -> tuple[pa.Array, np.ndarray]:
    if isinstance(codes, pa.DictionaryArray):
        n = np.bincount(codes.indices.to_numpy(), minlength=len(codes.dictionary))
        return codes.dictionary, n
    vc = pc.value_counts(codes)
    return vc.field("values"), vc.field("counts").to_numpy()


def _runs(ids: pa.DictionaryArray, w: np.ndarray) -> _Piece | None:
    """The batch's runs of equal ids, or None when its keys do not strictly rise: within a run the weeks must rise,
    and from one run to the next the ids."""
    idx = ids.indices.to_numpy()
    step = idx[1:] != idx[:-1]
    if not (step | (w[1:] > w[:-1])).all():
        return None
    starts = np.flatnonzero(np.concatenate(([True], step)))
    heads = ids.dictionary.take(pa.array(idx[starts]))
    if len(heads) > 1 and not pc.all(pc.less(heads.slice(0, len(heads) - 1), heads.slice(1))).as_py():
        return None
    runs = np.diff(np.append(starts, len(idx)))
    return _Piece(heads, runs, (heads[0].as_py(), int(w[0])), (heads[-1].as_py(), int(w[-1])))


def _combine(parts: list[_Part]) -> Counts:
    weeks = _sum_weeks([c for p in parts for c in p.weeks])
    values = pa.concat_arrays([v.cast(pa.string()) if not pa.types.is_integer(v.type) else v
                               for p in parts for v, _ in p.codes])
    counts = np.concatenate([n for p in parts for _, n in p.codes])
    codes = (pa.table({"code": values, "_n": counts}).group_by("code").aggregate([("_n", "sum")])
             .rename_columns(["code", "_n"]).to_pandas())
    return Counts(weeks, codes, _persons(parts))


def _sum_weeks(counts: list[tuple[int, np.ndarray]]) -> pd.DataFrame:
    lo = min(c[0] for c in counts)
    hi = max(c[0] + len(c[1]) for c in counts)
    if hi - lo > _DENSE:
        raise _Unfit()
    total = np.zeros(hi - lo, dtype=np.int64)
    for start, n in counts:
        total[start - lo:start - lo + len(n)] += n
    week = np.flatnonzero(total)
    return pd.DataFrame({"week": week + lo, "_n": total[week]})


def _persons(parts: list[_Part]) -> pa.Table | None:
    """Rows per person when the keys strictly rise through every piece in the files' order, else None."""
    pieces: list[_Piece] = []
    for part in parts:
        if part.pieces is None:
            return None
        pieces += part.pieces
    for before, after in zip(pieces, pieces[1:]):
        if after.first <= before.last:
            return None
    heads = pa.concat_arrays([p.heads.cast(pa.string()) for p in pieces])
    runs = np.concatenate([p.runs for p in pieces])
    # a person whose rows go on into the next batch has a run in each: adjacent equal ids are one person
    same = pc.equal(heads.slice(0, len(heads) - 1), heads.slice(1)).to_numpy(zero_copy_only=False)
    starts = np.flatnonzero(np.concatenate(([True], ~same)))
    return pa.table({"person_id": heads.take(pa.array(starts)), "n": np.add.reduceat(runs, starts)})

"""Write the tables (Parquet or CSV, in chunks) and guard the output folder.

Files are written into a hidden staging folder inside `out` and moved into place only when the whole run has
succeeded, truth.json last; a folder holding someone else's files is never touched.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from virkning.errors import VirkningError

TABLES = ("persons", "benefits", "employment", "events")
# Every table any programme writes: an earlier run's files of these names are replaced (or removed) by a new run.
ALL_TABLES = (*TABLES, "records", "person_flags")
STAGING = ".synth-partial"
TRUTH = "truth.json"
GENERATOR = "virkning.synth"

SCHEMAS = {
    "persons": pa.schema([
        ("person_id", pa.string()), ("birth_date", pa.date32()), ("sex", pa.string()),
        ("municipality", pa.string()), ("origin", pa.string()), ("education", pa.string()),
        ("a_kasse", pa.string()), ("region", pa.string()),
    ]),
    "benefits": pa.schema([("person_id", pa.string()), ("week", pa.int32()), ("code", pa.string())]),
    "employment": pa.schema([
        ("person_id", pa.string()), ("month", pa.string()), ("employment_rate", pa.float64()),
        ("hours", pa.float64()), ("industry", pa.string()), ("temp_agency", pa.bool_()),
    ]),
    "events": pa.schema([("person_id", pa.string()), ("date", pa.date32()), ("event", pa.string()),
                         ("unit", pa.string())]),
    "records": pa.schema([("person_id", pa.string()), ("unit", pa.string()), ("group", pa.string()),
                          ("start_date", pa.date32()), ("end_date", pa.date32())]),
    "person_flags": pa.schema([("person_id", pa.string()), ("hospital_visits", pa.int8()), ("handicap", pa.int8()),
                               ("earlier_employer_measure", pa.int8()), ("earlier_ordinary_hours", pa.int8())]),
}


def prepare_out(out: Path) -> Path:
    """Check that `out` is new, empty, or an earlier synth's output; return a fresh staging folder inside it."""
    if out.exists() and not out.is_dir():
        raise VirkningError(f"{out}: exists and is not a folder; give a folder for the synthetic registers")
    if out.is_dir():
        entries = [p for p in out.iterdir() if p.name != STAGING]
        if entries and not _is_synth_truth(out / TRUTH):
            raise VirkningError(
                f"{out}: the folder is not empty and holds no truth.json from an earlier synthetic run, so its files "
                "are not ours to overwrite; give a new or empty folder"
            )
    staging = out / STAGING
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    return staging


def _is_synth_truth(path: Path) -> bool:
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("generator") == GENERATOR
    except (OSError, ValueError, AttributeError):
        return False


def finish(out: Path, staging: Path, fmt: str, truth: dict, tables: tuple[str, ...] = TABLES) -> dict[str, Path]:
    """Replace an earlier run's files by the staged `tables`; truth.json goes last."""
    for name in ALL_TABLES:
        for ext in (".parquet", ".csv"):
            old = out / f"{name}{ext}"
            if old.exists():
                old.unlink()
    (out / TRUTH).unlink(missing_ok=True)
    files = {}
    for name in tables:
        target = out / f"{name}.{fmt}"
        os.replace(staging / target.name, target)
        files[name] = target
    (staging / TRUTH).write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(staging / TRUTH, out / TRUTH)
    files["truth"] = out / TRUTH
    shutil.rmtree(staging)
    return files


# Rows per Parquet row group: pyarrow's default, made explicit because each group gets dictionaries of its own
ROW_GROUP = 1 << 20


class TableWriter:
    """Appends Arrow tables to one Parquet or CSV file.

    Text columns may come as dictionary arrays (a small integer per row, rows.Labels): Parquet then gets each row
    group's dictionary and codes as they are, instead of a string per row that the writer hashes back into a
    dictionary (about 40 % of the writing). The file's values are the same strings; its schema is stored without
    Arrow's dictionary types, so every reader reads text. CSV gets the strings."""

    def __init__(self, folder: Path, name: str, fmt: str):
        self.path = folder / f"{name}.{fmt}"
        self.schema = SCHEMAS[name]
        self.rows = 0
        self._schema = self.schema  # what every table is written as (Parquet: text as dictionary codes, or not)
        self._w: pq.ParquetWriter | pacsv.CSVWriter | None = None  # Parquet: opened by the first table
        if fmt != "parquet":
            self._w = pacsv.CSVWriter(self.path, self.schema)

    def write(self, table: pa.Table) -> None:
        self.rows += table.num_rows
        if self._w is None:
            self._open([f.name for f in table.schema if pa.types.is_dictionary(f.type)])
        assert self._w is not None
        if self._schema == self.schema:  # CSV, or Parquet from strings
            self._w.write_table(table.cast(self.schema) if table.schema != self.schema else table)
            return
        for at in range(0, table.num_rows, ROW_GROUP):
            part = table.slice(at, ROW_GROUP)
            cols = [_used(part.column(f.name), f.type) if pa.types.is_dictionary(f.type) else part.column(f.name)
                    for f in self._schema]
            self._w.write_table(pa.Table.from_arrays(cols, schema=self._schema), row_group_size=ROW_GROUP)

    def _open(self, dict_columns: list[str]) -> None:
        # Dictionary pages for every text column, as pyarrow and pandas write by default: a person's id repeats
        # on each of its weeks, and readers then hash and compare each id once per page, not once per row.
        self._schema = pa.schema([pa.field(f.name, pa.dictionary(pa.int32(), f.type) if f.name in dict_columns
                                           else f.type) for f in self.schema])
        # Min/max statistics for the columns that are not text written as codes: a dictionary column's are
        # computed from its strings row by row (the person ids' alone were about a quarter of the writing), and
        # they would let a reader skip next to no row group: each group holds every week's codes, every month and
        # industry, and a run of person ids, where the persons a query asks for (a pool, a municipality's) are
        # spread over all of them.
        stats = [f.name for f in self.schema if f.name not in dict_columns]  # all of them: the same bytes as True
        self._w = pq.ParquetWriter(self.path, self._schema, compression="zstd", use_dictionary=True,
                                   write_statistics=stats, store_schema=not dict_columns)

    def close(self) -> None:
        if self._w is None:  # nothing written: an empty file of the table's columns
            self._open([])
        assert self._w is not None
        self._w.close()


def _used(column: pa.ChunkedArray, type_: pa.DictionaryType) -> pa.DictionaryArray:
    """A row group's dictionary column with only the entries its rows use, in the dictionary's order (what the
    file's dictionary page then holds), as int32 codes."""
    col = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    codes = col.indices.to_numpy(zero_copy_only=False)
    used = np.bincount(codes, minlength=len(col.dictionary)) > 0
    renumber = np.cumsum(used, dtype=np.int32) - 1
    return pa.DictionaryArray.from_arrays(pa.array(renumber[codes], type=pa.int32()),
                                          col.dictionary.filter(pa.array(used)).cast(type_.value_type), safe=False)


def person_id_bytes(lo: int, hi: int, width: int) -> np.ndarray:
    """'P' + zero-padded running number for persons lo..hi-1 (numbered from 1), as numpy bytes (S<width + 1>)."""
    n = hi - lo
    nums = np.arange(lo + 1, hi + 1, dtype=np.int64)
    chars = np.empty((n, width + 1), dtype=np.uint8)
    chars[:, 0] = ord("P")
    for j in range(width):
        chars[:, width - j] = 48 + (nums // 10**j) % 10
    return chars.view(f"S{width + 1}").ravel()


def person_ids(lo: int, hi: int, width: int) -> pa.Array:
    """person_id_bytes as an Arrow string array, built without Python strings."""
    chars = person_id_bytes(lo, hi, width)
    offsets = (np.arange(len(chars) + 1, dtype=np.int32) * (width + 1)).tobytes()
    return pa.StringArray.from_buffers(len(chars), pa.py_buffer(offsets), pa.py_buffer(chars.tobytes()))


def by_position(person: np.ndarray, ids: pa.Array) -> pa.DictionaryArray:
    """Each row's person id as its position among a chunk's `ids` (ints in range): TableWriter gives Parquet the
    codes and the ids as they are, instead of a string per row hashed back into a dictionary."""
    return pa.DictionaryArray.from_arrays(pa.array(person, type=pa.int32()), ids, safe=False)


def lookup(values: np.ndarray, labels: list[str] | tuple[str, ...]) -> pa.Array:
    """Small-integer codes -> strings through a dictionary take (fast for millions of rows)."""
    return pa.array(list(labels), type=pa.string()).take(pa.array(values))

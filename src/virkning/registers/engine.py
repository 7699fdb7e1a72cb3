"""The SQL engine under the register layer: DuckDB in memory (the embedded default).

Everything that runs SQL goes through one `Engine`: it takes one statement per call (a statement list is refused,
so text that reached SQL from a file can never start a second statement), creates tables and views under names the
register layer chose, moves data frames in and results out, and owns the few pieces that differ between engines:
reading files (with file names and row numbers), the spill folder, and an exact distinct count per group.

The SELECT statements themselves are written in a portable subset (tests/registers/test_portable_sql.py parses every
statement a whole run sends and transpiles it to Spark SQL), so another engine can run them unchanged.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from collections.abc import Sequence
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from virkning.errors import VirkningError


class EngineError(VirkningError):
    """A statement was refused before it ran (several statements in one call, an unsafe name)."""


def quote(name: str) -> str:
    """An identifier in double quotes, inner quotes doubled: any column name from a file is safe in SQL."""
    return '"' + str(name).replace('"', '""') + '"'


def literal(value: str) -> str:
    """A text literal in single quotes, inner quotes doubled."""
    return "'" + str(value).replace("'", "''") + "'"


def in_list(values) -> str:
    """Text values as an SQL list for IN: ('a', 'b')."""
    return "(" + ", ".join(literal(v) for v in values) + ")"


def _safe_name(name: str) -> str:
    # Names of tables and views are chosen by virkning, never taken from files.
    if not name.replace("_", "").isalnum():
        raise EngineError(f"'{name}' is not a valid table name (letters, digits and _ only)")
    return name


class Engine:
    """One in-memory DuckDB database; spills to a private temporary folder removed when the engine closes."""

    kind = "duckdb"
    # Functions only this engine's own pieces use (file reading, the distinct count); the portable-SQL test allows
    # them and nothing else outside the portable subset.
    SPECIFIC_FUNCTIONS = frozenset({"read_parquet", "read_csv", "parse_filename", "bitstring_agg", "bit_count"})

    def __init__(self, memory_limit: str | None = None, threads: int | None = None):
        self._con = duckdb.connect(":memory:")
        self._spill = tempfile.mkdtemp(prefix="virkning-duckdb-")
        weakref.finalize(self, shutil.rmtree, self._spill, True)
        self._con.execute(f"SET temp_directory = {literal(self._spill)}")
        limit = memory_limit or os.environ.get("VIRKNING_MEMORY_LIMIT")
        if limit:
            self._con.execute(f"SET memory_limit = {literal(limit)}")
        n = threads or os.environ.get("VIRKNING_THREADS")
        if n:
            self._con.execute(f"SET threads = {int(n)}")
        self.statements: list[str] | None = None  # set to a list to record every SELECT sent (tests)

    # ---- statements --------------------------------------------------------------------------------------------
    def _run(self, sql: str, params: Sequence | None = None, select: str | None = None):
        """Run one statement; `select` is its SELECT part, recorded when `statements` is a list."""
        if len(self._con.extract_statements(sql)) != 1:
            raise EngineError("one SQL statement per call; the text holds several")
        if self.statements is not None and select != "":  # "" marks engine DDL (DROP, DESCRIBE): not recorded
            self.statements.append(sql if select is None else select)
        return self._con.execute(sql, params) if params else self._con.execute(sql)

    def frame(self, sql: str, params: Sequence | None = None) -> pd.DataFrame:
        """The result of a SELECT as a data frame."""
        return self._run(sql, params).df()

    def arrays(self, sql: str, params: Sequence | None = None) -> dict[str, np.ndarray]:
        """The result of a SELECT as numpy arrays by column (no Python object per row)."""
        return self._run(sql, params).fetchnumpy()

    def rows(self, sql: str, params: Sequence | None = None) -> list[tuple]:
        return self._run(sql, params).fetchall()

    def one(self, sql: str, params: Sequence | None = None) -> tuple:
        return self._run(sql, params).fetchall()[0]

    # ---- tables and views ----------------------------------------------------------------------------------------
    def table(self, name: str, select: str, params: Sequence | None = None) -> None:
        """(Re)create a temporary table from a SELECT."""
        self._run(f"CREATE OR REPLACE TEMP TABLE {_safe_name(name)} AS {select}", params, select)

    def view(self, name: str, select: str) -> None:
        self._run(f"CREATE OR REPLACE TEMP VIEW {_safe_name(name)} AS {select}", select=select)

    def append(self, name: str, select: str) -> None:
        """Add the rows of a SELECT to a table (columns by position)."""
        self._run(f"INSERT INTO {_safe_name(name)} {select}", select=select)

    def put(self, name: str, frame: pd.DataFrame, select: str = "*") -> None:
        """(Re)create a temporary table from a data frame; `select` may cast its columns (`CAST(x AS INTEGER) AS x`)."""
        handle = f"{_safe_name(name)}__frame"
        self._con.register(handle, frame)
        try:
            self.table(name, f"SELECT {select} FROM {handle}")
        finally:
            self._con.unregister(handle)

    def put_rows(self, name: str, frame: pd.DataFrame, select: str = "*") -> None:
        """Append a data frame to an existing table."""
        handle = f"{_safe_name(name)}__frame"
        self._con.register(handle, frame)
        try:
            self.append(name, f"SELECT {select} FROM {handle}")
        finally:
            self._con.unregister(handle)

    def drop(self, name: str) -> None:
        self._run(f"DROP TABLE IF EXISTS {_safe_name(name)}", select="")

    def columns(self, relation: str) -> list[tuple[str, str]]:
        """(name, type) of a table or view's columns."""
        return [(r[0], r[1]) for r in self._run(f"DESCRIBE {_safe_name(relation)}", select="").fetchall()]

    # ---- engine-specific pieces ----------------------------------------------------------------------------------
    def attach_parquet(self, name: str, files: Sequence[Path], columns: Sequence[str]) -> None:
        """A view over Parquet files scanned in place, with `_row` (1-based row in its file) and `_file`."""
        paths = "[" + ", ".join(literal(str(p)) for p in files) + "]"
        cols = "".join(f"{quote(c)}, " for c in columns)
        self.view(name, f"SELECT {cols}CAST(file_row_number + 1 AS BIGINT) AS _row, parse_filename(filename) AS _file "
                        f"FROM read_parquet({paths}, file_row_number = true, filename = true)")

    def attach_csv(self, name: str, files: Sequence[Path], header: Sequence[str]) -> None:
        """A table of CSV files read as text (types are the contract's business), with `_row` and `_file`.

        The dialect is fixed (comma, double quotes, a header line whose names `header` gives) instead of sniffed, so
        a ragged row or an unclosed quote is an error naming its line rather than a different guess of the format."""
        paths = "[" + ", ".join(literal(str(p)) for p in files) + "]"
        types = "{" + ", ".join(f"{literal(c)}: 'VARCHAR'" for c in header) + "}"
        cols = "".join(f"{quote(c)}, " for c in header)
        self.table(name, f"SELECT {cols}CAST(row_number() OVER () AS BIGINT) AS _row, parse_filename(filename) AS _file "
                         f"FROM read_csv({paths}, columns = {types}, header = true, auto_detect = false, "
                         "delim = ',', quote = '\"', escape = '\"', strict_mode = true, null_padding = false, "
                         "filename = true)")

    @staticmethod
    def distinct_count(column: str, lo: int, hi: int) -> str:
        """An aggregate counting the distinct integer values of `column` within [lo, hi] in a group: a bit string
        over the range is several times cheaper than count(DISTINCT) on hundreds of millions of rows."""
        return f"bit_count(bitstring_agg({column}, {int(lo)}, {int(hi)}))"

    def close(self) -> None:
        self._con.close()
        shutil.rmtree(self._spill, ignore_errors=True)

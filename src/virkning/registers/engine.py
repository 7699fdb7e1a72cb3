"""The SQL engines under the register layer: one interface, DuckDB in memory (the embedded default) and Apache Spark.

Everything that runs SQL goes through one `Engine`: it takes one statement per call (a statement list is refused,
so text that reached SQL from a file can never start a second statement), creates tables and views under names the
register layer chose, moves data frames in and results out, and owns the few pieces that differ between engines:
finding and reading the contract's tables (with file names and row numbers), the spill folder, and an exact
distinct count per group.

The statements are written once, in DuckDB's dialect and within a portable subset (tests/registers/
test_portable_sql.py checks every statement of a whole run). `DuckDBEngine` runs them as they are; `SparkEngine`
(registers/spark.py, PySpark 4, the optional extra `virkning[spark]`) transpiles them with sqlglot
(registers/sparksql.py). Both hand results back in the same shapes: Arrow tables, data frames with DuckDB's
conversion rules, numpy arrays, tuples.

    engine = open_engine("duckdb")                # or open_engine("spark", master="local[4]")
    engine.put("pairs", frame)                    # a data frame in as a (temporary, materialised) table
    engine.frame("SELECT ... FROM pairs")         # a result out as a data frame (or .arrow(), .arrays(), .rows())
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import weakref
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from virkning.errors import Problem, VirkningError

ENGINES = ("duckdb", "spark")


class EngineError(VirkningError):
    """A statement was refused before it ran (several statements in one call, an unsafe name, a construct the engine
    cannot run), or an engine cannot be started (a missing dependency)."""


class ReadError(EngineError):
    """A table of the data folder cannot be read in the form its extension promises; the message says why and `file`
    names the file when the engine said which (readers.read_problem words it as a located problem)."""

    def __init__(self, message: str, file: str | None = None):
        super().__init__(message)
        self.file = file


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


_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:/")


def is_uri(location) -> bool:
    """True for a location with a scheme (hdfs://, s3a://, abfss://, file:/, dbfs:/): read by Spark, not the OS."""
    return isinstance(location, str) and bool(_URI.match(location))


class Engine(ABC):
    """What the register layer asks of an engine. Subclasses: `DuckDBEngine` (default), `SparkEngine`."""

    kind = ""
    # DuckDB functions that only the engines' own pieces use (file reading, the distinct count); the portable-SQL
    # test allows them and nothing else outside the portable subset.
    SPECIFIC_FUNCTIONS = frozenset({"read_parquet", "read_csv", "parse_filename", "bitstring_agg", "bit_count"})

    def __init__(self):
        self.statements: list[str] | None = None  # set to a list to record every SELECT sent (tests)

    def _record(self, sql: str, select: str | None) -> None:
        if self.statements is not None and select != "":  # "" marks engine DDL (DROP, DESCRIBE): not recorded
            self.statements.append(sql if select is None else select)

    # ---- results ---------------------------------------------------------------------------------------------------
    @abstractmethod
    def arrow(self, sql: str, params: Sequence | None = None) -> pa.Table:
        """The result of a SELECT as an Arrow table."""

    @abstractmethod
    def frame(self, sql: str, params: Sequence | None = None) -> pd.DataFrame:
        """The result of a SELECT as a data frame (DuckDB's conversion rules on every engine)."""

    @abstractmethod
    def arrays(self, sql: str, params: Sequence | None = None) -> dict[str, np.ndarray]:
        """The result of a SELECT as numpy arrays by column (no Python object per row)."""

    @abstractmethod
    def rows(self, sql: str, params: Sequence | None = None) -> list[tuple]:
        """The result of a SELECT as tuples of Python values."""

    def one(self, sql: str, params: Sequence | None = None) -> tuple:
        return self.rows(sql, params)[0]

    # ---- tables and views ------------------------------------------------------------------------------------------
    @abstractmethod
    def table(self, name: str, select: str, params: Sequence | None = None) -> None:
        """(Re)create a materialised temporary table from a SELECT (Spark: a cached temporary view)."""

    def kept_table(self, name: str, select: str) -> None:
        """(Re)create a table that the run keeps and appends to (the panel store's copies of persons' rows); an engine
        may store it compressed once `compact` is called."""
        self.table(name, select)

    def compact(self) -> None:
        """Store what the kept tables gained since the last call in their compressed form (an engine without one:
        nothing)."""

    @abstractmethod
    def view(self, name: str, select: str) -> None:
        """(Re)create a temporary view: evaluated where it is used."""

    @abstractmethod
    def append(self, name: str, select: str) -> None:
        """Add the rows of a SELECT to a table (columns by position)."""

    @abstractmethod
    def put(self, name: str, frame: pd.DataFrame, select: str = "*") -> None:
        """(Re)create a temporary table from a data frame; `select` may cast its columns (`CAST(x AS INTEGER) AS x`)."""

    @abstractmethod
    def put_rows(self, name: str, frame: pd.DataFrame, select: str = "*") -> None:
        """Append a data frame to an existing table."""

    def put_constant(self, name: str, frame: pd.DataFrame, select: str = "*") -> None:
        """`put` for a lookup table whose rows never change (the calendar): an engine may share it between
        sessions."""
        self.put(name, frame, select)

    @abstractmethod
    def drop(self, name: str) -> None:
        """Drop a table or view made by this engine (no error if there is none)."""

    @abstractmethod
    def columns(self, relation: str) -> list[tuple[str, str]]:
        """(name, type) of a table or view's columns; types in DuckDB's names (VARCHAR, INTEGER, DATE, ...) on every
        engine, so readers decide conversions the same way."""

    # ---- the contract's tables -------------------------------------------------------------------------------------
    def problem_with(self, folder) -> Problem | None:
        """Why `folder` cannot hold the data folder's tables, or None."""
        if not Path(folder).is_dir():
            return Problem(str(folder), None, "is not a folder; give the folder that holds persons, benefits, employment")
        return None

    def locate(self, folder, table: str) -> tuple[str, tuple] | None:
        """(kind, files) of a contract table: `<table>.parquet|.csv|.sas7bdat` or a folder of such files."""
        from virkning.registers.readers import find_files

        return find_files(Path(folder), table)

    @abstractmethod
    def attach_parquet(self, name: str, files: Sequence[Path], columns: Sequence[str] | None) -> None:
        """A view over Parquet files scanned in place, with `_row` (1-based row in its file) and `_file`; `columns`
        are the files' own columns as `files.parquet_schema` read them from the footers (None for files that are not
        on the local disk: the engine takes them from the files)."""

    @abstractmethod
    def attach_csv(self, name: str, files: Sequence[Path], header: Sequence[str] | None, delimiter: str = ",") -> None:
        """A table of CSV files read as text (types are the contract's business), with `_row` and `_file`; `header`
        as `files.csv_headers` read it (None for files that are not on the local disk); `delimiter` as declared."""

    def attach_table(self, name: str, files: Sequence) -> None:
        raise ReadError(f"the {self.kind} engine reads files, not tables of a catalog")

    def write_parquet(self, select: str, path: Path) -> None:
        """Write the rows of a SELECT to one local Parquet file (the keyed copy, registers/keyed.py). Only engines
        whose copy lives on the local disk implement it."""
        raise NotImplementedError(f"{type(self).__name__} does not write local Parquet files")

    def read_parquet(self, name: str, path: Path) -> None:
        """A view over a Parquet file this engine wrote (`write_parquet`)."""
        raise NotImplementedError(f"{type(self).__name__} does not read local Parquet files")

    @abstractmethod
    def distinct_count(self, column: str, lo: int, hi: int) -> str:
        """An aggregate counting the distinct integer values of `column` within [lo, hi] in a group."""

    @abstractmethod
    def close(self) -> None: ...


def arrow_frame(con: duckdb.DuckDBPyConnection, table: pa.Table) -> pd.DataFrame:
    """An Arrow table as a data frame by DuckDB's rules (nullable integers, dates as datetime64), so results from any
    engine reach Python in the same dtypes."""
    return con.from_arrow(table).df()


class DuckDBEngine(Engine):
    """One in-memory DuckDB database; spills to a private temporary folder removed when the engine closes."""

    kind = "duckdb"

    def __init__(self, memory_limit: str | None = None, threads: int | None = None):
        super().__init__()
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
        setting = self._con.execute("SELECT current_setting('threads')").fetchone()
        self._threads = int(setting[0]) if setting else 1
        # Kept tables (the store's copies of persons' rows: at 5,000,000 persons some 60 million rows) live in a
        # second in-memory database that compresses what a checkpoint stores (`compact`): about a fifth of the plain
        # size (docs/performance.md). Temporary tables stay in the plain one. DuckDB before 1.3 has no such option:
        # kept tables are then plain tables.
        try:
            self._con.execute("ATTACH ':memory:' AS kept (COMPRESS)")
            self._con.execute("USE kept")
            self._kept = True
        except duckdb.Error:
            self._kept = False

    @property
    def threads(self) -> int:
        """The threads DuckDB works with: work done beside it in Python (registers/presorted.py) uses as many."""
        return self._threads

    # ---- statements --------------------------------------------------------------------------------------------
    def _run(self, sql: str, params: Sequence | None = None, select: str | None = None, relation: bool = False):
        """Run one statement; `select` is its SELECT part, recorded when `statements` is a list. `relation`: a
        SELECT as DuckDB's relation, whose Arrow output is not copied (DuckDB warns on a DB-API result's)."""
        if len(self._con.extract_statements(sql)) != 1:
            raise EngineError("one SQL statement per call; the text holds several")
        self._record(sql, select)
        if relation:
            return self._con.sql(sql, params=params) if params else self._con.sql(sql)
        return self._con.execute(sql, params) if params else self._con.execute(sql)

    def arrow(self, sql: str, params: Sequence | None = None) -> pa.Table:
        return arrow_table(self._run(sql, params, relation=True).to_arrow_table())

    def frame(self, sql: str, params: Sequence | None = None) -> pd.DataFrame:
        return self._run(sql, params).df()

    def arrays(self, sql: str, params: Sequence | None = None) -> dict[str, np.ndarray]:
        return self._run(sql, params).fetchnumpy()

    def rows(self, sql: str, params: Sequence | None = None) -> list[tuple]:
        return self._run(sql, params).fetchall()

    # ---- tables and views ----------------------------------------------------------------------------------------
    def table(self, name: str, select: str, params: Sequence | None = None) -> None:
        self._run(f"CREATE OR REPLACE TEMP TABLE {_safe_name(name)} AS {select}", params, select)

    def kept_table(self, name: str, select: str) -> None:
        self._run(f"CREATE OR REPLACE TABLE {_safe_name(name)} AS {select}", select=select)

    def compact(self) -> None:
        if self._kept:
            self._run("CHECKPOINT kept", select="")

    def view(self, name: str, select: str) -> None:
        self._run(f"CREATE OR REPLACE TEMP VIEW {_safe_name(name)} AS {select}", select=select)

    def append(self, name: str, select: str) -> None:
        self._run(f"INSERT INTO {_safe_name(name)} {select}", select=select)

    def put(self, name: str, frame: pd.DataFrame, select: str = "*") -> None:
        handle = f"{_safe_name(name)}__frame"
        self._con.register(handle, frame)
        try:
            self.table(name, f"SELECT {select} FROM {handle}")
        finally:
            self._con.unregister(handle)

    def put_rows(self, name: str, frame: pd.DataFrame, select: str = "*") -> None:
        handle = f"{_safe_name(name)}__frame"
        self._con.register(handle, frame)
        try:
            self.append(name, f"SELECT {select} FROM {handle}")
        finally:
            self._con.unregister(handle)

    def drop(self, name: str) -> None:
        self._run(f"DROP TABLE IF EXISTS {_safe_name(name)}", select="")

    def columns(self, relation: str) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self._run(f"DESCRIBE {_safe_name(relation)}", select="").fetchall()]

    # ---- engine-specific pieces ----------------------------------------------------------------------------------
    def write_parquet(self, select: str, path: Path) -> None:
        self._run(f"COPY ({select}) TO {literal(str(path))} (FORMAT parquet)", select="")

    def read_parquet(self, name: str, path: Path) -> None:
        self.view(name, f"SELECT * FROM read_parquet({literal(str(path))})")

    def attach_parquet(self, name: str, files: Sequence[Path], columns: Sequence[str] | None) -> None:
        # DuckDB reads local folders only (problem_with), whose Parquet schema readers._attach has read and passes
        assert columns is not None
        paths = "[" + ", ".join(literal(str(p)) for p in files) + "]"
        cols = "".join(f"{quote(c)}, " for c in columns)  # by name: `*` would also carry the scan's own columns
        self.view(name, f"SELECT {cols}CAST(file_row_number + 1 AS BIGINT) AS _row, parse_filename(filename) AS _file "
                        f"FROM read_parquet({paths}, file_row_number = true, filename = true)")

    def attach_csv(self, name: str, files: Sequence[Path], header: Sequence[str] | None, delimiter: str = ",") -> None:
        self.table(name, csv_select(files, header, delimiter))

    def distinct_count(self, column: str, lo: int, hi: int) -> str:
        """A bit string over the range is several times cheaper than count(DISTINCT) on hundreds of millions of
        rows."""
        return f"bit_count(bitstring_agg({column}, {int(lo)}, {int(hi)}))"

    def close(self) -> None:
        self._con.close()
        shutil.rmtree(self._spill, ignore_errors=True)


def csv_select(files: Sequence[Path], header: Sequence[str] | None, delimiter: str = ",") -> str:
    """CSV files read as text with `_row` and `_file`, in a fixed dialect (the declared delimiter, double quotes, a
    header line whose names `header` gives) instead of a sniffed one, so a ragged row or an unclosed quote is an error naming its line
    rather than a different guess of the format. The Spark engine parses local CSV files with the same statement (on
    its own DuckDB connection), so delimiters, quoting, encodings, row numbers and messages are the same on both."""
    paths = "[" + ", ".join(literal(str(p)) for p in files) + "]"
    if header is None:
        raise EngineError("CSV files are read with the header found by registers.files.csv_headers")
    types = "{" + ", ".join(f"{literal(c)}: 'VARCHAR'" for c in header) + "}"
    cols = "".join(f"{quote(c)}, " for c in header)
    return (f"SELECT {cols}CAST(row_number() OVER () AS BIGINT) AS _row, parse_filename(filename) AS _file "
            f"FROM read_csv({paths}, columns = {types}, header = true, auto_detect = false, "
            f"delim = {literal(delimiter)}, quote = '\"', escape = '\"', strict_mode = true, null_padding = false, filename = true)")


def arrow_table(result) -> pa.Table:
    return result.read_all() if isinstance(result, pa.RecordBatchReader) else result


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


_FILE_IN_MESSAGE = re.compile(r"""(?:file|path)[: ]+["'`]?([^"'`\s]+)""", re.IGNORECASE)


def _read_failure(message: str) -> ReadError:
    """A file that failed while a statement ran (unreadable, truncated, changed underneath): the engine's first line
    and the file's name when the message holds one."""
    m = _FILE_IN_MESSAGE.search(message)
    where = Path(m.group(1).rstrip(".,:;")).name if m else None
    first = message.strip().splitlines()[0] if message.strip() else "read failure"
    first = re.sub(r"^\[[A-Z_.]+\]\s*", "", first)  # Spark's error class prefix
    return ReadError(first[:300], where)


def open_engine(kind: str = "duckdb", *, memory_limit: str | None = None, threads: int | None = None,
                master: str | None = None, catalog: str | None = None) -> Engine:
    """A bare engine of `kind` (duckdb or spark). `registers.open_engine` adds the calendar lookups."""
    if kind == "duckdb":
        return DuckDBEngine(memory_limit, threads)
    if kind == "spark":
        from virkning.registers.spark import SparkEngine

        return SparkEngine(master=master, catalog=catalog, memory_limit=memory_limit, threads=threads)
    raise EngineError(f"engine expected one of {', '.join(ENGINES)}; got '{kind}'")

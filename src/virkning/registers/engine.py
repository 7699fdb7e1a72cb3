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

from virkning.errors import ContractError, Problem, VirkningError

ENGINES = ("duckdb", "spark")


class EngineError(VirkningError):
    """A statement was refused before it ran (several statements in one call, an unsafe name, a construct the engine
    cannot run), or an engine cannot be started (a missing dependency)."""


class ReadError(EngineError):
    """A table of the data folder cannot be read in the form its extension promises; the message says why."""


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
    def attach_parquet(self, name: str, files: Sequence[Path]) -> None:
        """A view over Parquet files scanned in place, with `_row` (1-based row in its file) and `_file`."""

    @abstractmethod
    def attach_csv(self, name: str, files: Sequence[Path]) -> None:
        """A table of CSV files read as text (types are the contract's business), with `_row` and `_file`."""

    def attach_table(self, name: str, files: Sequence) -> None:
        raise ReadError(f"the {self.kind} engine reads files, not tables of a catalog")

    @abstractmethod
    def distinct_count(self, column: str, lo: int, hi: int) -> str:
        """An aggregate counting the distinct integer values of `column` within [lo, hi] in a group."""

    @abstractmethod
    def close(self) -> None: ...

    # ---- shared checks ---------------------------------------------------------------------------------------------
    @staticmethod
    def parquet_schemas(files: Sequence) -> dict | None:
        """Column name -> Arrow type of local Parquet files after `check_parquet` (None for remote files)."""
        return check_parquet(files)[0]


def check_parquet(files: Sequence) -> tuple[dict | None, bool]:
    """(column name in lower case -> Arrow type, whether the files' types differ) of local Parquet files, read from
    their footers. Every file must be readable and have the same columns, each of the same kind of type (integers of
    any width, floating point, text, dates, times; a column that is empty in one file matches any), else
    ContractError naming the file and column; types of one kind are widened across the files. (None, False) for
    files that are not on the local disk.

    The check runs before either engine scans a row, so a folder of parts written by different exports fails with
    the same located message on DuckDB and Spark (each engine alone would stop at some later statement)."""
    import pyarrow.parquet as pq

    if not files or any(is_uri(str(f)) or not Path(str(f)).is_file() for f in files):
        return None, False
    first: dict | None = None
    first_name = ""
    differ = False
    for f in files:
        label = f.name if len(files) == 1 else f"{f.parent.name}/{f.name}"
        try:
            schema = pq.read_schema(str(f))
        except (pa.ArrowException, OSError) as exc:
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ContractError([Problem(label, None, f"cannot be read as parquet: {msg}")]) from None
        cols = {n.lower(): schema.field(n).type for n in schema.names}
        if first is None:
            first, first_name = cols, f.name
            continue
        for col in sorted(first.keys() | cols.keys()):
            if col not in cols or col not in first:
                where = f"{first_name} has it" if col in first else f"{first_name} does not"
                raise ContractError([Problem(label, col, f"column differs between the files of the table ({where}); "
                                                         "give every file the same columns")])
            a, b = first[col], cols[col]
            if a == b:
                continue
            differ = True
            if pa.types.is_null(a) or pa.types.is_null(b):
                first[col] = b if pa.types.is_null(a) else a
            elif _type_kind(a) != _type_kind(b):
                raise ContractError([Problem(label, col, f"has type {_type_kind(b)} here but {_type_kind(a)} in "
                                                         f"{first_name}; give every file the same column types")])
            else:
                first[col] = _wider(a, b)
    return first, differ


_KINDS = (("integer", pa.types.is_integer), ("floating point", pa.types.is_floating), ("text", pa.types.is_string),
          ("text", pa.types.is_large_string), ("date", pa.types.is_date), ("timestamp", pa.types.is_timestamp),
          ("decimal", pa.types.is_decimal), ("true/false", pa.types.is_boolean))


def _type_kind(t: pa.DataType) -> str:
    return next((kind for kind, test in _KINDS if test(t)), str(t))


def _wider(a: pa.DataType, b: pa.DataType) -> pa.DataType:
    if pa.types.is_integer(a) or pa.types.is_floating(a):
        return a if a.bit_width >= b.bit_width else b
    if pa.types.is_decimal(a):
        scale = max(a.scale, b.scale)
        return pa.decimal128(min(38, max(a.precision - a.scale, b.precision - b.scale) + scale), scale)
    return a if pa.types.is_large_string(a) or pa.types.is_timestamp(a) else b


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
        self._translate = True  # off while a file is attached: `readers.attach` words those failures itself

    # ---- statements --------------------------------------------------------------------------------------------
    def _run(self, sql: str, params: Sequence | None = None, select: str | None = None):
        """Run one statement; `select` is its SELECT part, recorded when `statements` is a list."""
        if len(self._con.extract_statements(sql)) != 1:
            raise EngineError("one SQL statement per call; the text holds several")
        self._record(sql, select)
        try:
            return self._con.execute(sql, params) if params else self._con.execute(sql)
        except (duckdb.IOException, duckdb.InvalidInputException, duckdb.ConversionException) as exc:
            if self._translate and _FILE_IN_MESSAGE.search(str(exc)):  # a data file failed while a statement ran
                raise _read_failure(str(exc)) from None
            raise

    def arrow(self, sql: str, params: Sequence | None = None) -> pa.Table:
        return arrow_table(self._run(sql, params).to_arrow_table())

    def frame(self, sql: str, params: Sequence | None = None) -> pd.DataFrame:
        return self._run(sql, params).df()

    def arrays(self, sql: str, params: Sequence | None = None) -> dict[str, np.ndarray]:
        return self._run(sql, params).fetchnumpy()

    def rows(self, sql: str, params: Sequence | None = None) -> list[tuple]:
        return self._run(sql, params).fetchall()

    # ---- tables and views ----------------------------------------------------------------------------------------
    def table(self, name: str, select: str, params: Sequence | None = None) -> None:
        self._run(f"CREATE OR REPLACE TEMP TABLE {_safe_name(name)} AS {select}", params, select)

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
    def attach_parquet(self, name: str, files: Sequence[Path]) -> None:
        _, differ = check_parquet(files)
        paths = "[" + ", ".join(literal(str(p)) for p in files) + "]"
        widen = ", union_by_name = true" if differ else ""  # one type per column, widened over the files
        scan = f"read_parquet({paths}, file_row_number = true, filename = true{widen})"
        self._translate = False
        try:
            # the file's own columns by name: `*` would also carry the scan's file_row_number and filename columns
            self.view(f"{name}__scan", f"SELECT * FROM {scan}")
            own = [c for c, _ in self.columns(f"{name}__scan") if c not in ("file_row_number", "filename")]
            self._run(f"DROP VIEW {name}__scan", select="")
            self.view(name, f"SELECT {', '.join(quote(c) for c in own)}, CAST(file_row_number + 1 AS BIGINT) AS _row, "
                            f"parse_filename(filename) AS _file FROM {scan}")
        except duckdb.Error as exc:
            raise ReadError(_first_line(exc)) from None
        finally:
            self._translate = True

    def attach_csv(self, name: str, files: Sequence[Path]) -> None:
        self._translate = False
        try:
            self.table(name, csv_select(files))
        except duckdb.Error as exc:
            raise ReadError(_first_line(exc)) from None
        finally:
            self._translate = True

    def distinct_count(self, column: str, lo: int, hi: int) -> str:
        """A bit string over the range is several times cheaper than count(DISTINCT) on hundreds of millions of
        rows."""
        return f"bit_count(bitstring_agg({column}, {int(lo)}, {int(hi)}))"

    def close(self) -> None:
        self._con.close()
        shutil.rmtree(self._spill, ignore_errors=True)


def csv_select(files: Sequence[Path]) -> str:
    """DuckDB's reading of CSV files as text with `_row` and `_file`; the Spark engine parses local CSV files with
    the same statement, so delimiters, quoting, encodings and row numbers are the same on both engines."""
    paths = "[" + ", ".join(literal(str(p)) for p in files) + "]"
    return (f"SELECT *, CAST(row_number() OVER () AS BIGINT) AS _row, parse_filename(filename) AS _file "
            f"FROM read_csv({paths}, all_varchar = true, header = true, filename = true)")


def arrow_table(result) -> pa.Table:
    return result.read_all() if isinstance(result, pa.RecordBatchReader) else result


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


_FILE_IN_MESSAGE = re.compile(r"""(?:file|path)[: ]+["'`]?([^"'`\s]+)""", re.IGNORECASE)


def _read_failure(message: str, kind: str = "") -> ContractError:
    """A file that failed while a statement ran (unreadable, truncated, changed underneath) as a located problem:
    the file's name and the engine's first line."""
    m = _FILE_IN_MESSAGE.search(message)
    where = Path(m.group(1).rstrip(".,:;")).name if m else "data folder"
    first = message.strip().splitlines()[0] if message.strip() else "read failure"
    first = re.sub(r"^\[[A-Z_.]+\]\s*", "", first)  # Spark's error class prefix
    return ContractError([Problem(where, None, f"cannot be read{' as ' + kind if kind else ''}: {first[:300]}")])


def open_engine(kind: str = "duckdb", *, memory_limit: str | None = None, threads: int | None = None,
                master: str | None = None, catalog: str | None = None) -> Engine:
    """A bare engine of `kind` (duckdb or spark). `registers.open_engine` adds the calendar lookups."""
    if kind == "duckdb":
        return DuckDBEngine(memory_limit, threads)
    if kind == "spark":
        from virkning.registers.spark import SparkEngine

        return SparkEngine(master=master, catalog=catalog, memory_limit=memory_limit, threads=threads)
    raise EngineError(f"engine expected one of {', '.join(ENGINES)}; got '{kind}'")

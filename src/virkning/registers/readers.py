"""Find a data folder's tables and expose them to DuckDB in one normalised shape.

Each table becomes a staging view `<table>_rows` with the contract's columns converted to internal types
(`wk` week ordinal, `mo` month ordinal, dates, strings) plus `_row` (1-based data row in its file) and `_file`,
so validation can name rows. Values that cannot be converted become NULL here and are reported by
`validate.py`; nothing is dropped. Parquet is scanned in place (never loaded whole); CSV and SAS are read once
into DuckDB's own columnar storage. The data folder is only read, never written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from virkning.errors import ContractError, Problem
from virkning.registers import calendar
from virkning.registers.contract import BENEFIT_SPELLS, EXTENSIONS, TABLES, TableSpec


@dataclass(frozen=True)
class Source:
    table: str
    files: tuple[Path, ...]
    kind: str  # parquet | csv | sas7bdat
    columns: dict[str, str]  # lower-case name -> (name in file, DuckDB type) as "name\ttype"
    layout: str = "long"  # benefits only: long | spells | wide
    numeric: tuple[str, ...] = ()  # text columns (CSV) whose every value is a number: kept as numbers

    @property
    def label(self) -> str:
        return self.files[0].name if len(self.files) == 1 else f"{self.files[0].parent.name}/ ({len(self.files)} files)"

    def col(self, name: str) -> str:
        return '"' + self.columns[name].split("\t")[0].replace('"', '""') + '"'

    def type(self, name: str) -> str:
        return self.columns[name].split("\t")[1]


def find_files(folder: Path, table: str) -> tuple[str, tuple[Path, ...]] | None:
    """`<table>.parquet|.csv|.sas7bdat`, or a folder `<table>/` of such files (a partitioned table)."""
    found = [(ext[1:], (folder / f"{table}{ext}",)) for ext in EXTENSIONS if (folder / f"{table}{ext}").is_file()]
    sub = folder / table
    if sub.is_dir():
        for ext in EXTENSIONS:
            parts = tuple(sorted(sub.glob(f"*{ext}")))
            if parts:
                found.append((ext[1:], parts))
    if len(found) > 1:
        names = ", ".join(f[1][0].name if len(f[1]) == 1 else f"{table}/" for f in found)
        raise ContractError([Problem(str(folder), None, f"table '{table}' is given more than once ({names}); keep one")])
    return found[0] if found else None


def sql_in(values) -> str:
    """Text values as an SQL list for IN: ('a', 'b')."""
    return "(" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) + ")"


def _sql_list(paths: tuple[Path, ...]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def attach(con: duckdb.DuckDBPyConnection, table: str, kind: str, files: tuple[Path, ...]) -> None:
    """Create `raw_<table>`: the file(s) as they are, plus `_row` and `_file`."""
    raw = f"raw_{table}"
    label = files[0].name if len(files) == 1 else f"{files[0].parent.name}/"
    try:
        if kind == "parquet":
            con.execute(
                f"CREATE VIEW {raw} AS SELECT *, CAST(file_row_number + 1 AS BIGINT) AS _row, "
                f"parse_filename(filename) AS _file "
                f"FROM read_parquet({_sql_list(files)}, file_row_number = true, filename = true)"
            )
        elif kind == "csv":
            # all_varchar: types are checked by the contract, with row numbers, not guessed by the reader.
            con.execute(
                f"CREATE TABLE {raw} AS SELECT *, CAST(row_number() OVER () AS BIGINT) AS _row, "
                f"parse_filename(filename) AS _file "
                f"FROM read_csv({_sql_list(files)}, all_varchar = true, header = true, filename = true)"
            )
        else:
            _attach_sas(con, raw, files)
    except duckdb.Error as exc:
        raise ContractError([Problem(label, None, f"cannot be read as {kind}: {str(exc).splitlines()[0]}")]) from None


def _attach_sas(con: duckdb.DuckDBPyConnection, raw: str, files: tuple[Path, ...]) -> None:
    # pyreadstat is the maintained SAS7BDAT reader; chunks keep memory flat for large DREAM extracts.
    import pyreadstat

    created = False
    for path in files:
        offset = 0
        for chunk, _meta in pyreadstat.read_file_in_chunks(pyreadstat.read_sas7bdat, str(path), chunksize=500_000):
            chunk["_row"] = range(offset + 1, offset + len(chunk) + 1)
            chunk["_file"] = path.name
            offset += len(chunk)
            con.register("_sas_chunk", chunk)
            if not created:
                con.execute(f"CREATE TABLE {raw} AS SELECT * FROM _sas_chunk")
                created = True
            else:
                con.execute(f"INSERT INTO {raw} BY NAME SELECT * FROM _sas_chunk")
            con.unregister("_sas_chunk")


def describe(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    rows = con.execute(f"DESCRIBE raw_{table}").fetchall()
    return {name.lower(): f"{name}\t{typ}" for name, typ, *_ in rows if name not in ("_row", "_file")}


def wide_regex(pattern: str) -> re.Pattern:
    """`y_YYWW` -> regex with groups (year, week). YY is 19YY from 91 on (DREAM starts in 1991), else 20YY."""
    if "WW" not in pattern or ("YY" not in pattern):
        raise ContractError([Problem("design", "wide_pattern", f"'{pattern}' needs YYYY or YY and WW, e.g. y_YYWW")])
    parts = re.split(r"(YYYY|YY|WW)", pattern)
    rx = "".join({"YYYY": r"(\d{4})", "YY": r"(\d{2})", "WW": r"(\d{2})"}.get(p, re.escape(p)) for p in parts)
    return re.compile(f"^{rx}$", re.IGNORECASE)


def wide_columns(columns: dict[str, str], pattern: str) -> dict[str, int | None]:
    """Wide week columns -> wk ordinal (None for a column that names no real ISO week)."""
    rx = wide_regex(pattern)
    out: dict[str, int | None] = {}
    for lower, spec in columns.items():
        m = rx.match(lower)
        if not m:
            continue
        year, week = m.group(1), m.group(2)
        y = int(year) if len(year) == 4 else (1900 + int(year) if int(year) >= 91 else 2000 + int(year))
        try:
            out[lower] = calendar.parse_week(y * 100 + int(week))
        except ValueError:
            out[lower] = None
    return out


def benefits_layout(columns: dict[str, str], pattern: str) -> str:
    if {"person_id", "week", "code"} <= columns.keys():
        return "long"
    if set(BENEFIT_SPELLS) <= columns.keys():
        return "spells"
    if "person_id" in columns and wide_columns(columns, pattern):
        return "wide"
    return "unknown"


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    """SQL helpers for week/month conversion, built from the calendar so SQL and Python agree."""
    weeks = calendar.week_table()
    first = weeks.groupby(weeks["yyyyww"] // 100)["wk"].min()
    count = weeks.groupby(weeks["yyyyww"] // 100)["wk"].size()
    years = list(range(calendar.FIRST_YEAR, calendar.LAST_YEAR + 1))
    first_l = "[" + ",".join(str(int(first[y])) for y in years) + "]"
    count_l = "[" + ",".join(str(int(count[y])) for y in years) + "]"
    y0 = calendar.FIRST_YEAR - 1
    con.execute(
        f"""CREATE OR REPLACE MACRO yyyyww_to_wk(y) AS CASE
            WHEN y // 100 BETWEEN {calendar.FIRST_YEAR} AND {calendar.LAST_YEAR}
             AND y % 100 BETWEEN 1 AND {count_l}[CAST(y // 100 - {y0} AS INTEGER)]
            THEN CAST({first_l}[CAST(y // 100 - {y0} AS INTEGER)] + y % 100 - 1 AS INTEGER) END"""
    )
    con.execute(
        "CREATE OR REPLACE MACRO week_text_to_yyyyww(s) AS CASE "
        r"WHEN regexp_full_match(trim(s), '\d{4}-?W\d{2}|\d{6}') "
        r"THEN TRY_CAST(regexp_replace(trim(s), '^(\d{4})-?W(\d{2})$', '\1\2') AS INTEGER) END"
    )
    # Lookup tables: a hash join with a few thousand calendar rows is several times cheaper per row than
    # evaluating the conversion macros, which matters at hundreds of millions of benefit weeks.
    con.register("_weeks_df", weeks[["yyyyww", "wk"]].rename(columns={"yyyyww": "_w_yyyyww", "wk": "_w_wk"}))
    con.execute("CREATE OR REPLACE TABLE _weeks AS SELECT * FROM _weeks_df")
    con.unregister("_weeks_df")
    mos = range(calendar.FIRST_YEAR * 12, (calendar.LAST_YEAR + 1) * 12)
    con.register("_months_df", pd.DataFrame({"_m_label": [calendar.month_label(m) for m in mos], "_m_mo": list(mos)}))
    con.execute("CREATE OR REPLACE TABLE _months AS SELECT _m_label, CAST(_m_mo AS INTEGER) AS _m_mo FROM _months_df")
    con.unregister("_months_df")
    epoch = calendar.EPOCH_MONDAY.isoformat()
    con.execute(
        f"CREATE OR REPLACE MACRO wk_to_mo(wk) AS "
        f"CAST(year(DATE '{epoch}' + CAST(wk * 7 + 3 AS INTEGER)) * 12 + month(DATE '{epoch}' + CAST(wk * 7 + 3 AS INTEGER)) - 1 AS INTEGER)"
    )
    con.execute("CREATE OR REPLACE MACRO date_to_mo(d) AS CAST(year(d) * 12 + month(d) - 1 AS INTEGER)")
    con.execute(f"CREATE OR REPLACE MACRO date_to_wk(d) AS CAST((CAST(d AS DATE) - DATE '{epoch}') // 7 AS INTEGER)")


_INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT")
_DATE_TYPES = ("DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S")


def _text(src: Source, name: str) -> str:
    """A column as trimmed text; NULL for missing and empty values. Whole numbers stored as floating point
    (SAS has no integer type) lose their '.0', so codes and ids read the same from every format."""
    typ, c = src.type(name), src.col(name)
    if typ in ("DOUBLE", "FLOAT") or typ.startswith("DECIMAL"):
        return f"CASE WHEN {c} = round({c}) THEN CAST(CAST({c} AS BIGINT) AS VARCHAR) ELSE CAST({c} AS VARCHAR) END"
    if typ != "VARCHAR":
        return f"CAST({c} AS VARCHAR)"
    if src.kind == "parquet":
        # Typed files are taken as written (trimming hundreds of millions of ids costs seconds); CSV and SAS
        # text is often padded, so it is trimmed.
        return f"NULLIF({c}, '')"
    return f"NULLIF(trim({c}), '')"


def _week_expr(src: Source, name: str) -> str:
    if src.type(name) in _INTEGER_TYPES:
        return f"yyyyww_to_wk({src.col(name)})"
    return f"yyyyww_to_wk(week_text_to_yyyyww(CAST({src.col(name)} AS VARCHAR)))"


def _code_expr(src: Source, name: str) -> str:
    if src.type(name) in _INTEGER_TYPES or src.type(name).startswith("DOUBLE") or src.type(name).startswith("DECIMAL"):
        # SAS and some exports store codes as numbers; 3-digit codes survive the round trip.
        return f"CAST(TRY_CAST({src.col(name)} AS INTEGER) AS VARCHAR)"
    return _text(src, name)


def _month_expr(src: Source, name: str) -> str:
    if src.type(name) in _DATE_TYPES:
        return f"date_to_mo({src.col(name)})"
    return "_m_mo"  # from the join with the _months lookup in staging_sql


def _bool_expr(src: Source, name: str) -> str:
    if src.type(name) == "BOOLEAN":
        return src.col(name)
    return f"TRY_CAST({_text(src, name)} AS BOOLEAN)"


def _date_expr(src: Source, name: str) -> str:
    if src.type(name) in _DATE_TYPES:
        return f"CAST({src.col(name)} AS DATE)"
    return f"TRY_CAST({_text(src, name)} AS DATE)"


def _num_expr(src: Source, name: str) -> str:
    return f"TRY_CAST({src.col(name)} AS DOUBLE)"


def _raw_not_null(src: Source, name: str) -> str:
    """SQL for 'the file has a value here' (to tell a missing value from one that failed conversion)."""
    if src.type(name) != "VARCHAR":
        return f"({src.col(name)} IS NOT NULL)"
    return f"({_text(src, name)} IS NOT NULL)"


def _extra(src: Source, name: str) -> str:
    if name in src.numeric:
        return f"TRY_CAST({_text(src, name)} AS DOUBLE) AS \"{name}\""
    return f"{src.col(name)} AS \"{name}\""


def numeric_text_columns(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str], skip: set[str]) -> tuple[str, ...]:
    """Text columns whose non-empty values all read as numbers (user covariates in CSV files)."""
    cand = [c for c, spec in columns.items() if c not in skip and spec.split("\t")[1] == "VARCHAR"]
    if not cand:
        return ()
    q = lambda c: '"' + columns[c].split("\t")[0] + '"'
    checks = ", ".join(
        f"count(*) FILTER (WHERE NULLIF(trim({q(c)}), '') IS NOT NULL AND TRY_CAST(trim({q(c)}) AS DOUBLE) IS NULL) = 0 "
        f"AND count(NULLIF(trim({q(c)}), '')) > 0"
        for c in cand
    )
    flags = con.execute(f"SELECT {checks} FROM raw_{table}").fetchall()[0]
    return tuple(c for c, ok in zip(cand, flags) if ok)


def staging_sql(src: Source, spec: TableSpec, wide_pattern: str, relation: str | None = None, carry: str = "") -> str:
    """SELECT producing the staging view `<table>_rows` (internal types, `_row`, `_file`, raw-presence flags).

    `relation` replaces the raw table (e.g. by its distinct values), `carry` adds columns of it to the output.
    """
    t = spec.name
    raw = relation or f"raw_{t}"
    pid = f"{_text(src, 'person_id')} AS person_id"
    if t == "persons":
        cols = [
            pid,
            f"{_date_expr(src, 'birth_date')} AS birth_date",
            f"{_text(src, 'sex')} AS sex",
            f"CASE WHEN length({_text(src, 'municipality')}) < 3 THEN lpad({_text(src, 'municipality')}, 3, '0') "
            f"ELSE {_text(src, 'municipality')} END AS municipality",
        ]
        for opt in spec.optional:
            cols.append(f"{_text(src, opt)} AS {opt}" if opt in src.columns else f"CAST(NULL AS VARCHAR) AS {opt}")
        named = {"person_id", "birth_date", "sex", "municipality", *spec.optional}
        cols += [_extra(src, c) for c in src.columns if c not in named]
        cols.append(f"{_raw_not_null(src, 'birth_date')} AS _has_birth_date")
        return f"SELECT {', '.join(cols)}, _row, _file FROM raw_{t}"
    if t == "benefits":
        if src.layout == "long":
            if src.type("week") in _INTEGER_TYPES:
                key = src.col("week")
            else:
                key = f"week_text_to_yyyyww(CAST({src.col('week')} AS VARCHAR))"
            return (
                f"SELECT {pid}, _w_wk AS wk, {_code_expr(src, 'code')} AS code, "
                f"{_raw_not_null(src, 'week')} AS _has_week, CAST({src.col('week')} AS VARCHAR) AS _week_raw, "
                f"_row, _file{carry} FROM {raw} LEFT JOIN _weeks ON _w_yyyyww = {key}"
            )
        if src.layout == "spells":
            frm, to = _week_expr(src, "from_week"), _week_expr(src, "to_week")
            return (
                f"SELECT person_id, CAST(unnest(CASE WHEN wk_from IS NOT NULL AND wk_to IS NOT NULL AND wk_from <= wk_to "
                f"THEN range(wk_from, wk_to + 1) ELSE [NULL] END) AS INTEGER) AS wk, code, "
                f"_has_week, _week_raw, _row, _file FROM ("
                f"SELECT {pid}, {frm} AS wk_from, {to} AS wk_to, {_code_expr(src, 'code')} AS code, "
                f"({_raw_not_null(src, 'from_week')} AND {_raw_not_null(src, 'to_week')}) AS _has_week, "
                f"CAST({src.col('from_week')} AS VARCHAR) || '..' || CAST({src.col('to_week')} AS VARCHAR) AS _week_raw, "
                f"_row, _file FROM raw_{t})"
            )
        weeks = wide_columns(src.columns, wide_pattern)
        unions = []
        for lower, wk in weeks.items():
            wk_sql = "CAST(NULL AS INTEGER)" if wk is None else str(wk)
            unions.append(
                f"SELECT {pid}, {wk_sql} AS wk, {_code_expr(src, lower)} AS code, true AS _has_week, "
                f"'{src.columns[lower].split(chr(9))[0]}' AS _week_raw, _row, _file FROM raw_{t} "
                f"WHERE {_text(src, lower)} IS NOT NULL"
            )
        return " UNION ALL ".join(unions)
    if t == "employment":
        cols = [
            pid,
            f"{_month_expr(src, 'month')} AS mo",
            f"{_num_expr(src, 'employment_rate')} AS employment_rate",
            (f"{_num_expr(src, 'hours')}" if "hours" in src.columns else "CAST(NULL AS DOUBLE)") + " AS hours",
            (f"{_text(src, 'industry')}" if "industry" in src.columns else "CAST(NULL AS VARCHAR)") + " AS industry",
            (_bool_expr(src, "temp_agency") if "temp_agency" in src.columns else "false")
            + " AS temp_agency",
            f"{_raw_not_null(src, 'month')} AS _has_month",
            f"{_raw_not_null(src, 'employment_rate')} AS _has_rate",
            ("(" + _raw_not_null(src, "hours") + ")" if "hours" in src.columns else "false") + " AS _has_hours",
            ("(" + _raw_not_null(src, "temp_agency") + ")" if "temp_agency" in src.columns else "false")
            + " AS _has_temp",
        ]
        join = ""
        if src.type("month") not in _DATE_TYPES:
            typed = src.kind == "parquet" and src.type("month") == "VARCHAR"  # taken as written, as `_text` does
            key = src.col("month") if typed else f"trim(CAST({src.col('month')} AS VARCHAR))"
            join = f" LEFT JOIN _months ON _m_label = {key}"
        return f"SELECT {', '.join(cols)}, _row, _file FROM raw_{t}{join}"
    # events
    cols = [pid, f"{_date_expr(src, 'date')} AS date", f"{_text(src, 'event')} AS event"]
    cols.append(f"{_text(src, 'unit')} AS unit" if "unit" in src.columns else "CAST(NULL AS VARCHAR) AS unit")
    named = {"person_id", "date", "event", "unit"}
    cols += [_extra(src, c) for c in src.columns if c not in named]
    cols.append(f"{_raw_not_null(src, 'date')} AS _has_date")
    return f"SELECT {', '.join(cols)}, _row, _file FROM raw_{t}"

"""Find a data folder's tables and expose them to DuckDB in one normalised shape.

Each table becomes a staging view `<table>_rows` with the contract's columns converted to internal types
(`wk` week ordinal, `mo` month ordinal, dates, strings) plus `_row` (1-based data row in its file) and `_file`,
so validation can name rows. Values that cannot be converted become NULL here and are reported by
`validate.py`; nothing is dropped. Parquet is scanned in place (never loaded whole); CSV, SAS, Stata and Excel are
read once into DuckDB's own columnar storage (`formats.py`: encodings, dialects, renames). The data folder is only
read, never written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from virkning.errors import ContractError, Problem
from virkning.registers import calendar
from virkning.registers import files as files_
from virkning.registers import formats
from virkning.registers.contract import BENEFIT_SPELLS, EXTENSIONS, TABLES, TableSpec
from virkning.registers.engine import Engine, ReadError, literal, open_engine, quote


@dataclass(frozen=True)
class Source:
    table: str
    files: tuple[Path, ...]
    kind: str  # parquet | csv | sas7bdat | dta | xpt | xlsx
    columns: dict[str, tuple[str, str]]  # lower-case name -> (name in file, DuckDB type)
    layout: str = "long"  # benefits only: long | spells | wide
    numeric: tuple[str, ...] = ()  # text columns (CSV) whose every value is a number: kept as numbers
    decimal: str = "."  # CSV's decimal mark: "," for Danish exports (numbers in text are read with it)

    @property
    def label(self) -> str:
        return self.files[0].name if len(self.files) == 1 else f"{self.files[0].parent.name}/ ({len(self.files)} files)"

    def col(self, name: str) -> str:
        return quote(self.columns[name][0])

    def name(self, name: str) -> str:
        """The column's name as written in the file."""
        return self.columns[name][0]

    def type(self, name: str) -> str:
        return self.columns[name][1]


def find_files(folder: Path, table: str) -> tuple[str, tuple[Path, ...]] | None:
    """`<table>.parquet|.csv|.sas7bdat|.dta|.xpt|.xlsx`, or a folder `<table>/` of such files (a partitioned
    table)."""
    found: list[tuple[str, tuple[Path, ...]]] = [
        (ext[1:], (folder / f"{table}{ext}",)) for ext in EXTENSIONS if (folder / f"{table}{ext}").is_file()]
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


def attach(engine: Engine, table: str, kind: str, files: tuple[Path, ...], options=None) -> None:
    """Create `raw_<table>`: the file(s) as they are, plus `_row` and `_file`; refuse files that cannot be tables.
    `options` (LoadOptions): CSV's encoding and delimiter, the encoding of SAS text."""
    label = files_.label(files)
    encoding = options.encoding if options is not None else "utf-8"
    local = kind != "table" and all(isinstance(f, Path) for f in files)
    if kind == "csv" and local and formats.needs_copy(encoding):
        with formats.utf8_copies(files, encoding) as copies:  # removed once the engine has read them
            _attach(engine, table, kind, copies, label, options)
        return
    _attach(engine, table, kind, files, label, options)


def _attach(engine: Engine, table: str, kind: str, files: tuple[Path, ...], label: str, options) -> None:
    raw = f"raw_{table}"
    delimiter = formats.delimiter_of(options) if options is not None else ","
    problems: list[Problem]
    if kind == "table" or not all(isinstance(f, Path) for f in files):
        # a catalog table or files on HDFS/S3/ABFS (Spark only): no preflight of bytes and footers; the engine reads
        # the header or schema itself, and the checks of names and rows below still apply (docs/scale.md)
        header, problems = None, []
    elif kind == "csv":
        header, problems = files_.csv_headers(files, delimiter)
    elif kind == "parquet":
        header, problems = files_.parquet_schema(files)
    else:
        header, problems = None, [Problem(p.name, None, "is empty (0 bytes)") for p in files if p.stat().st_size == 0]
    if problems:
        raise ContractError(problems)
    try:
        if kind == "parquet":
            engine.attach_parquet(raw, files, header)
        elif kind == "csv":
            engine.attach_csv(raw, files, header, delimiter)
        elif kind == "table":  # a table of the Spark catalog
            engine.attach_table(raw, files)
        else:  # sas7bdat, dta, xpt, xlsx
            formats.attach_frames(engine, raw, kind, files, options.encoding if options is not None else "utf-8")
    except (duckdb.Error, ReadError) as exc:
        raise ContractError([read_problem(label, kind, exc)]) from None
    names = [n for n, _ in engine.columns(raw) if n not in ("_row", "_file")]
    problems = files_.check_names(label, names)
    if not problems and not engine.one(f"SELECT count(*) > 0 FROM {raw}")[0]:
        problems = [Problem(label, None, "has a header but no rows; an empty table would silently change every "
                                         "result: export it again")]
    if problems:
        raise ContractError(problems)


_CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")
_CSV_FILE = re.compile(r"file = (\S+)")
_COLUMNS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


def read_problem(label: str, kind: str, exc: Exception) -> Problem:
    """An engine's reading error as a problem naming the file and line, with the likely cause."""
    text = str(exc)
    line = _CSV_LINE.search(text)
    file = _CSV_FILE.search(text)
    where = Path(file.group(1)).name if file else label
    if isinstance(exc, ReadError) and exc.file:  # Spark names the file in its own words
        where = exc.file
    if kind == "csv" and line:
        n = int(line.group(1))
        rows = [max(n - 1, 1)]
        cols = _COLUMNS.search(text)
        if cols:
            return Problem(where, None, f"line {n} has {'more' if int(cols.group(2)) > int(cols.group(1)) else 'fewer'} "
                                        f"fields than the header's {cols.group(1)}: a stray comma, or a value with a "
                                        "comma that is not in double quotes", rows=rows)
        if "unterminated quote" in text:
            return Problem(where, None, f"line {n} opens a double quote (\") that is never closed", rows=rows)
        if "unicode" in text.lower() or "utf-8" in text.lower():
            return Problem(where, None, f"line {n} is not UTF-8 (Latin-1/Windows-1252 letters?); save the file as "
                                        "UTF-8 (in Excel: 'CSV UTF-8')", rows=rows)
        return Problem(where, None, f"line {n} cannot be read as CSV: {_first_reason(text)}", rows=rows)
    return Problem(where, None, f"cannot be read through (the {kind} reader says: {_first_reason(text)}); the file "
                                "may be damaged: export it again")


def _first_reason(text: str) -> str:
    lines = [s.strip() for s in text.splitlines() if s.strip() and not s.startswith(("Original Line", "Possible"))]
    reason = lines[1] if len(lines) > 1 and lines[0].startswith("Invalid Input Error: CSV Error") else lines[0]
    return reason.removeprefix("Invalid Input Error: ").removeprefix("IO Error: ")[:200]


# Columns the engine adds when it attaches a file (engine.attach_parquet/attach_csv): not the user's data.
ENGINE_COLUMNS = ("_row", "_file", "file_row_number", "filename")


def describe(engine: Engine, table: str) -> dict[str, tuple[str, str]]:
    return {name.lower(): (name, typ) for name, typ in engine.columns(f"raw_{table}") if name not in ENGINE_COLUMNS}


def wide_regex(pattern: str) -> re.Pattern:
    """`y_YYWW` -> regex with groups (year, week). YY is 19YY from 91 on (DREAM starts in 1991), else 20YY."""
    if "WW" not in pattern or ("YY" not in pattern):
        raise ContractError([Problem("design", "wide_pattern", f"'{pattern}' needs YYYY or YY and WW, e.g. y_YYWW")])
    parts = re.split(r"(YYYY|YY|WW)", pattern)
    rx = "".join({"YYYY": r"(\d{4})", "YY": r"(\d{2})", "WW": r"(\d{2})"}.get(p, re.escape(p)) for p in parts)
    return re.compile(f"^{rx}$", re.IGNORECASE)


def wide_columns(columns: dict[str, tuple[str, str]], pattern: str) -> dict[str, int | None]:
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


def near_wide(src: Source, wide_pattern: str) -> list[Problem]:
    """Columns that look like weekly columns (the pattern's text before the year, then digits only) but do not
    match the pattern: they would be left out without a word (a file whose names change form part way). Other
    columns (DREAM's own, such as sex or age) are not weeks and are left alone."""
    prefix = re.split(r"YYYY|YY|WW", wide_pattern)[0].lower()
    matched = wide_columns(src.columns, wide_pattern)
    near = [name for lower, (name, _) in src.columns.items()
            if lower not in matched and lower.startswith(prefix) and lower[len(prefix):].isdigit()]
    if not near:
        return []
    return [Problem(src.label, near[0], f"{len(near)} column(s) look like weeks but do not match the wide pattern "
                                        f"'{wide_pattern}' ({', '.join(near[:3])}{', ...' if len(near) > 3 else ''}); "
                                        "rename them, or declare the pattern the file uses (data: wide_pattern)")]


def benefits_layout(columns: dict[str, tuple[str, str]], pattern: str) -> str:
    if {"person_id", "week", "code"} <= columns.keys():
        return "long"
    if set(BENEFIT_SPELLS) <= columns.keys():
        return "spells"
    if "person_id" in columns and wide_columns(columns, pattern):
        return "wide"
    return "unknown"


def install_calendar(engine: Engine) -> None:
    """Calendar lookup tables, built from `calendar` so SQL and Python agree: `_weeks` (yyyyww, wk, month of the
    Thursday), `_week_labels` (the text forms YYYY-Www, YYYYWww and YYYYWW of every week) and `_months` (YYYY-MM).
    A hash join with a few thousand calendar rows is cheaper per row than any conversion expression, which matters
    at hundreds of millions of benefit weeks, and it is the same SQL on every engine."""
    weeks = calendar.week_table()
    engine.put_constant("_weeks", pd.DataFrame({"_w_yyyyww": weeks["yyyyww"], "_w_wk": weeks["wk"], "_w_mo": weeks["mo"]}),
               "CAST(_w_yyyyww AS INTEGER) AS _w_yyyyww, CAST(_w_wk AS INTEGER) AS _w_wk, CAST(_w_mo AS INTEGER) AS _w_mo")
    y, w = weeks["yyyyww"] // 100, weeks["yyyyww"] % 100
    forms = [y.astype(str) + "-W" + w.map("{:02d}".format), y.astype(str) + "W" + w.map("{:02d}".format),
             weeks["yyyyww"].astype(str)]
    labels = pd.DataFrame({"_l_text": pd.concat(forms, ignore_index=True),
                           "_l_wk": pd.concat([weeks["wk"]] * len(forms), ignore_index=True)})
    engine.put_constant("_week_labels", labels, "CAST(_l_text AS VARCHAR) AS _l_text, CAST(_l_wk AS INTEGER) AS _l_wk")
    mos = range(calendar.FIRST_YEAR * 12, (calendar.LAST_YEAR + 1) * 12)
    engine.put_constant("_months", pd.DataFrame({"_m_label": [calendar.month_label(m) for m in mos], "_m_mo": list(mos)}),
               "CAST(_m_label AS VARCHAR) AS _m_label, CAST(_m_mo AS INTEGER) AS _m_mo")


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


def _week_join(src: Source, name: str, alias: str) -> tuple[str, str]:
    """(join clause, week ordinal) for a week column: integers YYYYWW through `_weeks`, text through the week
    labels; a value that names no real ISO week gives NULL. Doubles (Stata, SAS, Excel) compare as the integers
    they hold."""
    if src.type(name) in _INTEGER_TYPES or src.type(name) in ("DOUBLE", "FLOAT"):
        return f" LEFT JOIN _weeks {alias} ON {alias}._w_yyyyww = {src.col(name)}", f"{alias}._w_wk"
    return (f" LEFT JOIN _week_labels {alias} ON {alias}._l_text = trim(CAST({src.col(name)} AS VARCHAR))",
            f"{alias}._l_wk")


def _code_expr(src: Source, name: str) -> str:
    if src.type(name) in _INTEGER_TYPES or src.type(name).startswith("DOUBLE") or src.type(name).startswith("DECIMAL"):
        # SAS and some exports store codes as numbers; 3-digit codes survive the round trip.
        return f"CAST(TRY_CAST({src.col(name)} AS INTEGER) AS VARCHAR)"
    return _text(src, name)


def _month_expr(src: Source, name: str) -> str:
    if src.type(name) in _DATE_TYPES:
        c = src.col(name)
        return f"CAST(year({c}) * 12 + month({c}) - 1 AS INTEGER)"
    return "_m_mo"  # from the join with the _months lookup in staging_sql


def _bool_expr(src: Source, name: str) -> str:
    if src.type(name) == "BOOLEAN":
        return src.col(name)
    return f"TRY_CAST({_text(src, name)} AS BOOLEAN)"


def _date_expr(src: Source, name: str) -> str:
    if src.type(name) in _DATE_TYPES:
        return f"CAST({src.col(name)} AS DATE)"
    return f"TRY_CAST({_text(src, name)} AS DATE)"


def _number_text(src: Source, name: str) -> str:
    """A text column's value ready for a cast to a number: with a decimal comma, the comma becomes a point (a value
    that also has points, 1.234,5, then fails the cast and is reported, rather than read as something else)."""
    text = _text(src, name)
    if src.decimal == "," and src.type(name) == "VARCHAR":
        return f"replace({text}, ',', '.')"
    return text


def _num_expr(src: Source, name: str) -> str:
    if src.decimal == "," and src.type(name) == "VARCHAR":
        return f"TRY_CAST({_number_text(src, name)} AS DOUBLE)"
    return f"TRY_CAST({src.col(name)} AS DOUBLE)"


def _raw_not_null(src: Source, name: str) -> str:
    """SQL for 'the file has a value here' (to tell a missing value from one that failed conversion)."""
    if src.type(name) != "VARCHAR":
        return f"({src.col(name)} IS NOT NULL)"
    return f"({_text(src, name)} IS NOT NULL)"


def _extra(src: Source, name: str) -> str:
    if name in src.numeric:
        return f"TRY_CAST({_number_text(src, name)} AS DOUBLE) AS {quote(name)}"
    return f"{src.col(name)} AS {quote(name)}"


def numeric_text_columns(engine: Engine, table: str, columns: dict[str, tuple[str, str]],
                         skip: set[str], decimal: str = ".") -> tuple[str, ...]:
    """Text columns whose non-empty values all read as numbers (user covariates in CSV files)."""
    cand = [c for c, (_, typ) in columns.items() if c not in skip and typ == "VARCHAR"]
    if not cand:
        return ()

    def number(c: str) -> str:
        text = f"trim({quote(columns[c][0])})"
        return f"replace({text}, ',', '.')" if decimal == "," else text

    checks = ", ".join(
        f"count(*) FILTER (WHERE NULLIF(trim({quote(columns[c][0])}), '') IS NOT NULL "
        f"AND TRY_CAST({number(c)} AS DOUBLE) IS NULL) = 0 "
        f"AND count(NULLIF(trim({quote(columns[c][0])}), '')) > 0"
        for c in cand
    )
    flags = engine.one(f"SELECT {checks} FROM raw_{table}")
    return tuple(c for c, ok in zip(cand, flags) if ok)


def staging_sql(src: Source, spec: TableSpec, wide_pattern: str, relation: str | None = None, carry: str = "",
                months: bool = True) -> str:
    """SELECT producing the staging view `<table>_rows` (internal types, `_row`, `_file`, raw-presence flags).

    `relation` replaces the raw table (e.g. by its distinct values), `carry` adds columns of it to the output;
    `months=False`: employment without its month (mo NULL), which spares the join with the month labels.
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
            join, wk = _week_join(src, "week", "w")
            return (
                f"SELECT {pid}, {wk} AS wk, {_code_expr(src, 'code')} AS code, "
                f"{_raw_not_null(src, 'week')} AS _has_week, CAST({src.col('week')} AS VARCHAR) AS _week_raw, "
                f"_row, _file{carry} FROM {raw}{join}"
            )
        if src.layout == "spells":
            join_f, frm = _week_join(src, "from_week", "wf")
            join_t, to = _week_join(src, "to_week", "wt")
            # One row per week of the spell; a spell whose weeks are missing, unknown or reversed keeps one row
            # with no week, which validation reports.
            return (
                f"SELECT s.person_id, r._w_wk AS wk, s.code, s._has_week, s._week_raw, s._row, s._file FROM ("
                f"SELECT {pid}, {frm} AS wk_from, {to} AS wk_to, {_code_expr(src, 'code')} AS code, "
                f"({_raw_not_null(src, 'from_week')} AND {_raw_not_null(src, 'to_week')}) AS _has_week, "
                f"CAST({src.col('from_week')} AS VARCHAR) || '..' || CAST({src.col('to_week')} AS VARCHAR) AS _week_raw, "
                f"_row, _file FROM raw_{t}{join_f}{join_t}) s "
                f"LEFT JOIN _weeks r ON s.wk_from <= s.wk_to AND r._w_wk >= s.wk_from AND r._w_wk <= s.wk_to"
            )
        weeks = wide_columns(src.columns, wide_pattern)
        unions = []
        for lower, week in weeks.items():
            wk_sql = "CAST(NULL AS INTEGER)" if week is None else str(week)
            unions.append(
                f"SELECT {pid}, {wk_sql} AS wk, {_code_expr(src, lower)} AS code, true AS _has_week, "
                f"{literal(src.name(lower))} AS _week_raw, _row, _file FROM raw_{t} "
                f"WHERE {_text(src, lower)} IS NOT NULL"
            )
        return " UNION ALL ".join(unions)
    if t == "employment":
        cols = [
            pid,
            (f"{_month_expr(src, 'month')}" if months else "CAST(NULL AS INTEGER)") + " AS mo",
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
        if months and src.type("month") not in _DATE_TYPES:
            typed = src.kind == "parquet" and src.type("month") == "VARCHAR"  # taken as written, as `_text` does
            key = src.col("month") if typed else f"trim(CAST({src.col('month')} AS VARCHAR))"
            join = f" LEFT JOIN _months ON _m_label = {key}"
        return f"SELECT {', '.join(cols)}, _row, _file{carry} FROM {raw}{join}"
    # events
    cols = [pid, f"{_date_expr(src, 'date')} AS date", f"{_text(src, 'event')} AS event"]
    cols.append(f"{_text(src, 'unit')} AS unit" if "unit" in src.columns else "CAST(NULL AS VARCHAR) AS unit")
    named = {"person_id", "date", "event", "unit"}
    cols += [_extra(src, c) for c in src.columns if c not in named]
    cols.append(f"{_raw_not_null(src, 'date')} AS _has_date")
    return f"SELECT {', '.join(cols)}, _row, _file FROM raw_{t}"


def persons_rows_sql(src: Source, spec: TableSpec, wide_pattern: str, persons: str) -> str | None:
    """The staging rows of the persons in relation `persons` (a column person_id): the raw rows are narrowed to
    those persons before the calendar join and the conversions, which then run on their rows only instead of on
    every row of the register (about a quarter of the cost of copying a run's rows at a million persons). None
    where the staging reads the raw table in more than one place (benefits in spells or wide layout)."""
    if spec.name not in ("benefits", "employment") or (spec.name == "benefits" and src.layout != "long"):
        return None
    narrowed = (f"(SELECT * FROM raw_{spec.name} WHERE {_text(src, 'person_id')} IN "
                f"(SELECT person_id FROM {persons})) raw_of_persons")
    return staging_sql(src, spec, wide_pattern, relation=narrowed)


# ---- optional tables analyses read by name (contract.EXTRA_TABLES) ---------------------------------------------

def _unit_expr(src: Source, name: str) -> str:
    """A unit (municipality) code as text, zero-padded to three digits as the persons' municipality is."""
    t = _text(src, name)
    return f"CASE WHEN regexp_matches({t}, '^\\d{{1,2}}$') THEN lpad({t}, 3, '0') ELSE {t} END"


def flag_columns(src: Source, spec: TableSpec) -> list[str]:
    """The columns a `flag` rule on '*' covers: every column but the table's key (lower-case names)."""
    return [c for c in src.columns if c not in spec.key]


def extra_staging_sql(src: Source, spec: TableSpec) -> str:
    """The staging view `<table>_rows` of an optional table: typed columns, `_has_<column>` (the file has a value)
    for the named columns, `_t_<column>` (the value as text) for flag columns, `_row`, `_file`. Values that do not
    convert become NULL here and are reported by `validate.check_extra`."""
    cols: list[str] = []
    named = [c for c in (*spec.required, *spec.optional) if c in src.columns]
    dates = {r.column for r in spec.rules if r.check in ("date", "date_or_empty")}
    numbers = {r.column for r in spec.rules if r.check == "number"}
    flags = set(flag_columns(src, spec)) if any(r.check == "flag" and r.column == "*" for r in spec.rules) else set()
    flags |= {r.column for r in spec.rules if r.check == "flag" and r.column != "*"}
    for c in named:
        if c in dates:
            cols.append(f"{_date_expr(src, c)} AS {quote(c)}")
        elif c in numbers:
            cols.append(f"TRY_CAST({_number_text(src, c)} AS DOUBLE) AS {quote(c)}")
        elif c == "unit":
            cols.append(f"{_unit_expr(src, c)} AS unit")
        elif c not in flags:
            cols.append(f"{_text(src, c)} AS {quote(c)}")
        cols.append(f"{_raw_not_null(src, c)} AS {quote('_has_' + c)}")
    for c in spec.optional:  # an optional column the file lacks is there, empty
        if c not in src.columns:
            typ = "DATE" if c in dates else ("DOUBLE" if c in numbers else "VARCHAR")
            cols += [f"CAST(NULL AS {typ}) AS {quote(c)}", f"false AS {quote('_has_' + c)}"]
    for c in [c for c in src.columns if c in flags]:  # in the file's order
        if src.type(c) == "BOOLEAN":
            text = number = f"CAST(CAST({src.col(c)} AS INTEGER) AS VARCHAR)"
        else:
            text, number = _text(src, c), _number_text(src, c)
        cols.append(f"{text} AS {quote('_t_' + c)}")
        # 1.0 and 0.0 (as a CSV writer puts integers with gaps) are 1 and 0
        cols.append(f"CASE TRY_CAST({number} AS DOUBLE) WHEN 0 THEN 0 WHEN 1 THEN 1 END AS {quote(c)}")
    if spec.keeps_extra:
        cols += [_extra(src, c) for c in src.columns if c not in named and c not in flags]
    return f"SELECT {', '.join(cols)}, _row, _file FROM raw_{spec.name}"


def parquet_rows(path: Path, columns: list[str], isin: dict[str, list[str]], below: tuple[str, str] | None = None,
                 persons: list[str] | None = None) -> pd.DataFrame:
    """The rows of one Parquet file, in the file's order, whose `isin` columns hold one of their values, whose
    `below` column (name, text) sorts below that text and, with `persons`, whose person_id is one of them; the
    columns as pandas reads them (for the synthetic sheets, which read a few thousand persons' rows of registers
    of tens of millions). DuckDB filters as it reads and joins the persons as a table: pyarrow's filters, which
    compare each row with a list of thousands of ids, took about eight times the CPU for the same rows of the
    demo's registers."""
    engine = open_engine("duckdb")
    try:
        where = [f"{quote(c)} IN ({', '.join('?' for _ in values)})" for c, values in isin.items() if values]
        params: list = [str(path), *(str(v) for values in isin.values() for v in values)]
        if any(not values for values in isin.values()):
            where.append("false")
        if below is not None:
            where.append(f"{quote(below[0])} < ?")
            params.append(below[1])
        if persons is not None:
            engine.put("wanted", pd.DataFrame({"person_id": pd.Series(persons, dtype=object).astype(str)}))
            where.append("person_id IN (SELECT person_id FROM wanted)")
        cols = ", ".join(quote(c) for c in columns)
        return engine.frame(f"SELECT {cols} FROM read_parquet(?, file_row_number = true) "
                            f"WHERE {' AND '.join(where) or 'true'} ORDER BY file_row_number", params)
    finally:
        engine.close()

"""Validation's passes over the two large tables: benefits in the long layout, and employment.

A national extract holds hundreds of millions of benefit weeks and tens of millions of employment months, and every
statement over them costs about a plain scan or more (docs/performance.md, "Validation"), so their rules are counted
from as few and as cheap passes as exact counts allow:

- benefits: the week rules from the row counts of the distinct weeks, the code rule from those of the distinct codes
  (one pass with two grouping sets; a national extract has a few thousand of each), and, when every week parsed, the
  blank ids and the duplicate check from one aggregate per person over the raw rows. Parquet files sorted by person
  and week give all of these from one read instead (registers/presorted.py), as files sorted by person and month
  give employment's months as written and its rows per person;
- employment: the month rules from the row counts of the distinct months as written, the blank ids and the duplicate
  check from one aggregate per person, the other rules from a few whole-table aggregates (counts, minima, maxima)
  that give their counts or prove them zero (`validate.SCREENS`); only a rule these leave open is counted row by row.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa

from virkning.registers import presorted
from virkning.registers.contract import TableSpec
from virkning.registers.engine import DuckDBEngine, Engine
from virkning.registers.readers import _INTEGER_TYPES, Source, _text, staging_sql

Rules = list[tuple[str, str, str]]  # (column, rule shown, SQL true for a row breaking it)
Screens = dict[str, tuple[tuple[str, ...], Callable[..., int | None]]]


def benefit_counts(engine: Engine, src: Source, spec: TableSpec, wide_pattern: str, rules: Rules) -> tuple[tuple, bool]:
    """The rule counts of the long benefit table, and whether `_per_person_benefits` (person_id, n rows, d distinct
    weeks) was made on the way.

    `_values_benefits_staged` holds the staged weeks and codes with their row counts (`_n`); `_by_week` tells a row
    of the week counts (code NULL) from one of the code counts (week NULL).
    """
    week, code = src.col("week"), src.col("code")
    sorted_ = _presorted(engine, src, "week", ("week", "code")) if src.type("week") in _INTEGER_TYPES else None
    # the id is a placeholder of its own type, so the staging view reads the counts as it reads the rows
    placeholders = (f"CAST(NULL AS {src.type('person_id')}) AS {src.col('person_id')}, ",
                    "CAST(0 AS BIGINT) AS _row, '' AS _file")
    if sorted_ is None:
        engine.table(
            "_values_benefits",
            f"SELECT {week}, {code}, {placeholders[0]}count(*) AS _n, GROUPING({code}) = 1 AS _by_week, "
            f"{placeholders[1]} FROM raw_benefits GROUP BY GROUPING SETS (({week}), ({code}))")
    else:
        engine.put("_values_benefits", _values_frame(sorted_, src),
                   f"CAST(week AS {src.type('week')}) AS {week}, CAST(code AS {src.type('code')}) AS {code}, "
                   f"{placeholders[0]}CAST(_n AS BIGINT) AS _n, _by_week, {placeholders[1]}")
    engine.view("_values_benefits_staged", staging_sql(src, spec, wide_pattern, relation="_values_benefits",
                                                       carry=", _n, _by_week"))
    sums = ["0" if column == "person_id" else
            f"sum(_n) FILTER (WHERE {'NOT ' if column == 'code' else ''}_by_week AND ({bad}))"
            for column, _, bad in rules]
    *counts, unparsed = (int(c or 0) for c in engine.one(
        f"SELECT {', '.join(sums)}, sum(_n) FILTER (WHERE _by_week AND wk IS NULL) FROM _values_benefits_staged"))
    keyed = not unparsed and src.type("week") in _INTEGER_TYPES
    # a FILTER, not a WHERE: the ids are read through (a WHERE may skip row groups by their statistics, and with them
    # a damaged page that must be reported here)
    blank = _per_person_raw(engine, src, sorted_) if keyed else engine.one(
        f"SELECT count(*) FILTER (WHERE {_blank(src)}) FROM raw_benefits")[0]
    return tuple(int(blank) if column == "person_id" else c for (column, _, _), c in zip(rules, counts)), keyed


def _blank(src: Source) -> str:
    """The staging view's notion of a missing id (`readers._text`), on the raw column: typed files are not trimmed."""
    pid = src.col("person_id")
    if src.type("person_id") != "VARCHAR":
        return f"{pid} IS NULL"
    return f"{pid} IS NULL OR {pid} = ''" if src.kind == "parquet" else f"{pid} IS NULL OR trim({pid}) = ''"


def _presorted(engine: Engine, src: Source, key: str, counted: tuple[str, ...]) -> presorted.Counts | None:
    """The one read of registers/presorted.py where it applies: local Parquet files with text ids, read by DuckDB
    (its threads are the pass's)."""
    if not (isinstance(engine, DuckDBEngine) and src.kind == "parquet" and all(isinstance(f, Path) for f in src.files)
            and src.type("person_id") == "VARCHAR"):
        return None
    return presorted.read(src.files, src.name("person_id"), src.name(key), [src.name(c) for c in counted],
                          engine.threads)


def _per_person_sorted(engine: Engine, table: str, persons: pa.Table) -> int:
    """`_per_person_<table>` from the pass's rows per person (strictly rising (person, key) pairs: as many distinct
    keys as rows); returns the rows without an id, as `_split_blank` does."""
    engine.put("_per_person_all", persons.to_pandas(types_mapper=pd.ArrowDtype),
               "person_id, CAST(n AS BIGINT) AS _rows, CAST(n AS BIGINT) AS n, CAST(n AS BIGINT) AS d")
    return _split_blank(engine, table)


def _values_frame(counts: presorted.Counts, src: Source) -> pd.DataFrame:
    """The pass's counts as the rows of the grouping sets they replace: a week's (code missing) and a code's."""
    weeks, codes = counts.values[src.name("week")], counts.values[src.name("code")]
    weeks = weeks.rename(columns={"value": "week"}).assign(code=None, _by_week=True)
    codes = codes.rename(columns={"value": "code"}).assign(week=None, _by_week=False)
    return pd.concat([weeks, codes], ignore_index=True)[["week", "code", "_n", "_by_week"]].astype({"week": "Int64"})


def _per_person_raw(engine: Engine, src: Source, sorted_: presorted.Counts | None) -> int:
    """`_per_person_benefits` from the raw rows, and the number of rows without an id.

    Only when every week parsed: the YYYYWW integers then count the same distinct weeks as the calendar's ordinals,
    without the calendar join, and the rows are those the staging view gives. The blank ids keep their own group
    here, whose rows are the id rule's count, so the ids are read once. Rows whose (id, week) strictly rise through
    the files (`sorted_.persons`) have as many distinct weeks per person as rows: the pass's counts stand in.
    """
    if sorted_ is not None and sorted_.persons is not None:
        return _per_person_sorted(engine, "benefits", sorted_.persons)
    week = src.col("week")
    lo, hi = engine.one(f"SELECT min({week}), max({week}) FROM _values_benefits WHERE _by_week")
    # Parquet text is taken as written (readers._text): grouping the column itself spares a NULLIF on every row
    key = _id_key(src)
    engine.table("_per_person_all", f"SELECT {key} AS person_id, count(*) AS _rows, count(*) AS n, "
                                    f"{engine.distinct_count(week, lo, hi)} AS d FROM raw_benefits GROUP BY {key}")
    return _split_blank(engine, "benefits")


def _id_key(src: Source) -> str:
    """The person id to group by: Parquet text is taken as written (readers._text), so grouping the column itself
    spares a NULLIF on every row ('' then is a group of blank ids)."""
    return src.col("person_id") if src.kind == "parquet" and src.type("person_id") == "VARCHAR" else _text(src, "person_id")


def _split_blank(engine: Engine, table: str) -> int:
    """`_per_person_<table>` from `_per_person_all` (person_id, _rows, n, d): the persons with a keyed row; returns
    the rows without an id."""
    blank = "person_id IS NULL OR person_id = ''"
    n_blank = engine.one(f"SELECT coalesce(sum(_rows), 0) FROM _per_person_all WHERE {blank}")[0]
    engine.table(f"_per_person_{table}", f"SELECT person_id, n, d FROM _per_person_all WHERE n > 0 AND NOT ({blank})")
    engine.drop("_per_person_all")
    return int(n_blank)


def employment_counts(engine: Engine, src: Source, spec: TableSpec, wide_pattern: str, rules: Rules,
                      screens: Screens) -> tuple:
    """The rule counts of the employment table. `_values_employment` (mo, _n) keeps its rows per month for the tail
    check and the report's rows and period, `_per_person_employment` (person_id, n, d) its rows with a month against
    their distinct months for the key check, the report's persons and orphans.

    The month rules (column `month`) depend on the month alone, so they are counted on the distinct months as
    written, which go through the month labels instead of every row; the id rule on the per-person aggregate.
    """
    month = src.col("month")
    held = [c for c in ("person_id", "employment_rate", "hours", "industry", "temp_agency") if c in src.columns]
    holders = "".join(f"CAST(NULL AS {src.type(c)}) AS {src.col(c)}, " for c in held)
    # months as written (text) and sorted within each person: the months' counts and the rows per person, one read
    sorted_ = _presorted(engine, src, "month", ("month",)) if src.type("month") == "VARCHAR" else None
    if sorted_ is None:
        engine.table("_months_employment", f"SELECT {month}, {holders}count(*) AS _n, CAST(0 AS BIGINT) AS _row, "
                                           f"'' AS _file FROM raw_employment GROUP BY {month}")
    else:
        engine.put("_months_employment", sorted_.values[src.name("month")],
                   f"CAST(value AS VARCHAR) AS {month}, {holders}CAST(_n AS BIGINT) AS _n, CAST(0 AS BIGINT) AS _row, "
                   "'' AS _file")
    engine.view("_months_employment_staged", staging_sql(src, spec, wide_pattern, relation="_months_employment",
                                                         carry=", _n"))
    engine.table("_values_employment", "SELECT mo, CAST(sum(_n) AS BIGINT) AS _n FROM _months_employment_staged "
                                       "GROUP BY mo")
    by_month = [i for i, (column, _, _) in enumerate(rules) if column == "month"]
    sums = ", ".join(f"sum(_n) FILTER (WHERE {rules[i][2]})" for i in by_month)
    counts: dict[int, int | None] = {i: int(c or 0) for i, c in zip(by_month, engine.one(
        f"SELECT {sums} FROM _months_employment_staged"))}
    lo, hi = engine.one("SELECT min(mo), max(mo) FROM _values_employment")
    distinct = engine.distinct_count("mo", lo, hi) if lo is not None else "0"
    # distinct written months are distinct months only when every one names a month (the `_months` labels)
    unparsed = engine.one("SELECT coalesce(sum(_n), 0) FROM _values_employment WHERE mo IS NULL")[0]
    if sorted_ is not None and sorted_.persons is not None and not unparsed:
        blank = _per_person_sorted(engine, "employment", sorted_.persons)
    else:
        rows = staging_sql(src, spec, wide_pattern, carry=f", {_id_key(src)} AS _id")
        engine.table("_per_person_all", f"SELECT _id AS person_id, count(*) AS _rows, count(mo) AS n, "
                                        f"{distinct} AS d FROM ({rows}) r GROUP BY _id")
        blank = _split_blank(engine, "employment")
    counts.update({i: blank for i, (column, _, _) in enumerate(rules) if column == "person_id"})
    rows = staging_sql(src, spec, wide_pattern, months=False)
    counts.update(_screened(engine, rows, {i: bad for i, (_, _, bad) in enumerate(rules) if i not in counts}, screens))
    left = [i for i in range(len(rules)) if counts.get(i) is None]
    if left:  # a rule the aggregates could not settle: its rows are counted
        exact = engine.one("SELECT " + ", ".join(f"count(*) FILTER (WHERE {rules[i][2]})" for i in left) + f" FROM ({rows}) r")
        counts.update(zip(left, exact))
    return tuple(int(counts[i] or 0) for i in range(len(rules)))


def _screened(engine: Engine, rows: str, pending: dict[int, str], screens: Screens) -> dict[int, int | None]:
    """The counts of the `pending` rules (index -> SQL) that `screens` settle, from one pass of whole-table
    aggregates over `rows` (None: not settled)."""
    known = {i: screens[bad] for i, bad in pending.items() if bad in screens}
    aggregates = list(dict.fromkeys(a for needs, _ in known.values() for a in needs))
    if not aggregates:
        return {}
    got = dict(zip(aggregates, engine.one(f"SELECT {', '.join(aggregates)} FROM ({rows}) r")))
    return {i: meaning(*(got[a] for a in needs)) for i, (needs, meaning) in known.items()}

"""The register layer's SQL, written once in DuckDB's dialect, as Spark SQL: sqlglot transpiles each statement.

sqlglot (the field's SQL transpiler) maps the portable subset (tests/registers/test_portable_sql.py) one to one:
`arg_min` -> `min_by`, `regexp_matches` -> `RLIKE`, `count(*) FILTER (...)`, SEMI/ANTI joins, DuckDB's NULLS LAST
default made explicit, identifiers in backticks, `?` parameters kept for `spark.sql(args=...)`. On top of that,
conversions whose results would differ between the engines are rewritten to DuckDB's rules:

- `TRY_CAST(text AS DATE)`: Spark also reads '2018' and '2018-03' as dates (the first of the year or month) and '+2018-
  03-05', and refuses '2018/03/05'; DuckDB takes year-month-day with '-', '/' or ' ' between the parts and an optional
  time. The rewrite accepts exactly that form and hands Spark the normalised 'yyyy-mm-dd'.
- `TRY_CAST(x AS INTEGER)` (and TINYINT, SMALLINT): DuckDB rounds a fraction to the nearest integer, Spark truncates
  it; the rewrite rounds first (half away from zero on both).

A statement that cannot run on Spark raises `TranspileError` naming the construct and where it is in the statement;
statements are cached by text, so a run pays for each distinct statement once.
"""

from __future__ import annotations

import functools
import re

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError, SqlglotError, UnsupportedError

from virkning.registers.engine import Engine, EngineError


class TranspileError(EngineError):
    """A statement of the register layer that Spark cannot run; names the construct and its place."""


# year-month-day with one separator, an optional time (and zone): what DuckDB's TRY_CAST(... AS DATE) accepts
_DATE_PARTS = "^ *([0-9]{1,4})([-/ ])([0-9]{1,2})[-/ ]([0-9]{1,2})"
_DATE_FORM = ("^ *([0-9]{1,4})([-/ ])([0-9]{1,2})\\2([0-9]{1,2})"
              "( +|[ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)? *([+-][0-9]{2}(:?[0-9]{2})?|Z)?)? *$")
_INTEGERS = (exp.DataType.Type.INT, exp.DataType.Type.SMALLINT, exp.DataType.Type.TINYINT)


def _where(sql: str, needle: str) -> str:
    """'line L, column C' of the first occurrence of `needle` (case-insensitive) in the statement."""
    at = sql.lower().find(needle.lower())
    if at < 0:
        return "in the statement"
    line = sql.count("\n", 0, at) + 1
    col = at - (sql.rfind("\n", 0, at) + 1) + 1
    return f"at line {line}, column {col}"


def _excerpt(sql: str, limit: int = 160) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= limit else flat[:limit] + " ..."


def _fail(sql: str, construct: str, needle: str | None = None, why: str = "has no Spark SQL equivalent"
          ) -> TranspileError:
    where = _where(sql, needle) if needle else "in the statement"
    return TranspileError(f"{construct} {why} ({where}): {_excerpt(sql)}")


def _check(tree: exp.Expr, sql: str) -> None:
    """Constructs sqlglot would pass through silently but Spark cannot run."""
    for node in tree.walk():
        if isinstance(node, exp.Anonymous) and node.name.lower() in Engine.SPECIFIC_FUNCTIONS:
            raise _fail(sql, f"the DuckDB function {node.name}()", node.name + "(",
                        "belongs to the DuckDB engine's file readers and has no Spark SQL equivalent")
        if isinstance(node, (exp.ReadParquet, exp.ReadCSV)):
            raise _fail(sql, "a DuckDB table function (read_parquet/read_csv)", "read_",
                        "belongs to the DuckDB engine's file readers and has no Spark SQL equivalent")
        if isinstance(node, exp.Join) and (node.args.get("method") or "").upper() == "ASOF":
            raise _fail(sql, "an ASOF join", "asof")
        if isinstance(node, exp.Star) and (node.args.get("except") or node.args.get("except_") or node.args.get("replace")):
            raise _fail(sql, "SELECT * EXCLUDE/REPLACE", "exclude" if "exclude" in sql.lower() else "replace")


def _duckdb_date(arg: exp.Expression) -> exp.Expression:
    text = exp.cast(arg.copy(), "STRING")
    form = exp.Literal.string(_DATE_FORM)

    def part(i: int) -> exp.Expression:
        return exp.Anonymous(this="regexp_extract", expressions=[text.copy(), exp.Literal.string(_DATE_PARTS),
                                                                  exp.Literal.number(i)])

    year = exp.Anonymous(this="lpad", expressions=[part(1), exp.Literal.number(4), exp.Literal.string("0")])
    normal = exp.Concat(expressions=[year, exp.Literal.string("-"), part(3), exp.Literal.string("-"), part(4)])
    return exp.Case(ifs=[exp.If(this=exp.RegexpLike(this=text.copy(), expression=form),
                                true=exp.TryCast(this=normal, to=exp.DataType.build("DATE"), safe=True))])


def _rewrite(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.TryCast):
        to = node.args.get("to")
        arg = node.this
        if to is not None and to.this == exp.DataType.Type.DATE and not isinstance(arg, exp.Column):
            return _duckdb_date(arg)  # text (readers pass trimmed text); a typed column converts the same on both
        if to is not None and to.this in _INTEGERS:
            rounded = exp.func("round", exp.TryCast(this=arg.copy(), to=exp.DataType.build("DOUBLE"), safe=True))
            return exp.TryCast(this=rounded, to=to.copy(), safe=True)
    return node


@functools.lru_cache(maxsize=4096)
def to_spark(sql: str) -> str:
    """One DuckDB statement of the register layer as Spark SQL; TranspileError if Spark cannot run it."""
    try:
        trees = sqlglot.parse(sql, read="duckdb")
    except ParseError as exc:
        err = exc.errors[0] if exc.errors else {}
        where = f"at line {err.get('line', '?')}, column {err.get('col', '?')}"
        what = re.sub(r"\s+", " ", str(err.get("description") or exc).split(". Line")[0])
        raise TranspileError(f"statement does not parse ({what}; {where}): {_excerpt(sql)}") from None
    if len(trees) != 1 or trees[0] is None:
        raise EngineError("one SQL statement per call; the text holds several")
    tree = trees[0]
    _check(tree, sql)
    tree = tree.transform(_rewrite)
    try:
        return tree.sql(dialect="spark", unsupported_level=ErrorLevel.RAISE)
    except UnsupportedError as exc:
        raise _fail(sql, str(exc).strip().rstrip("."), None, "(unsupported on Spark)") from None
    except SqlglotError as exc:  # pragma: no cover - any other transpiler complaint
        raise _fail(sql, str(exc).strip(), None, "(unsupported on Spark)") from None

"""Registers: read a data folder under the data contract, validate it, and hand it on as DuckDB views.

    regs = virkning.registers.load("data/")      # raises ContractError if a rule is broken
    report = virkning.registers.validate("data/")  # never raises for bad data; report.ok, report.problems
    panel = regs.panel()                            # states, covariates, outcomes (virkning.panel)

The data folder is only read. SQL runs on an `Engine` (DuckDB in memory, spilling to a private temporary folder; or
Apache Spark with `LoadOptions(engine="spark", master=...)`); every statement is built in this package (`readers`,
`validate`, `queries`) in one dialect.
"""

from __future__ import annotations

import time
from pathlib import Path
from collections.abc import Callable
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from virkning.errors import ContractError, Problem
from virkning.registers import formats, keyed, queries, readers, vcache
from virkning.registers.catalogue import DETAIL_COLUMNS, Catalogue, load_catalogue
from virkning.registers.contract import EXTRA_TABLES, TABLES, LoadOptions
from virkning.registers import engine as engines
from virkning.registers.engine import Engine, ReadError, quote
from virkning.registers.validate import (
    ValidationReport,
    check_extra,
    summarise_extra,
    create_staging,
    drop_scratch,
    missing_columns,
    run_checks,
    summary_problems,
    summarise,
)

if TYPE_CHECKING:
    from virkning.panel import Panel
    from virkning.panel.store import Store

__all__ = ["Registers", "load", "validate", "open_engine", "Engine", "LoadOptions", "ValidationReport",
           "load_catalogue"]


# What an engine raises for a file it cannot read through (DuckDB's own errors; Spark's, translated by the engine).
READ_ERRORS = (duckdb.Error, ReadError)


def open_engine(memory_limit: str | None = None, threads: int | None = None, *, engine: str = "duckdb",
                master: str | None = None, catalog: str | None = None) -> Engine:
    """An engine (duckdb or spark) with the calendar lookups the register SQL joins."""
    opened = engines.open_engine(engine, memory_limit=memory_limit, threads=threads, master=master, catalog=catalog)
    try:
        readers.install_calendar(opened)
    except BaseException:
        opened.close()
        raise
    return opened


def _engine_for(options: LoadOptions) -> Engine:
    return open_engine(options.memory_limit, options.threads, engine=options.engine, master=options.master,
                       catalog=options.spark_catalog)


def _folder(folder) -> Path | str:
    """A local folder as a Path; an hdfs://, s3a://, abfss:// ... location as it is written."""
    return str(folder) if engines.is_uri(str(folder)) else Path(folder)


def _open(folder: Path | str, options: LoadOptions, engine: Engine) -> tuple[dict, list[Problem]]:
    problem = engine.problem_with(folder)
    if problem is not None:
        raise ContractError([problem])
    options = _checked_formats(options)
    sources: dict[str, readers.Source] = {}
    problems: list[Problem] = []
    renamed: set = set()
    for name, spec in {**TABLES, **EXTRA_TABLES}.items():
        found = engine.locate(folder, name)
        if found is None:
            if spec.mandatory and options.spark_catalog:
                db = options.spark_catalog
                problems.append(Problem(db, None, f"no table {db}.{name} in the Spark catalog"))
            elif spec.mandatory:
                problems.append(Problem(str(folder), None, f"no '{name}' table (expected {name}.parquet, {name}.csv, "
                                                           f"{name}.sas7bdat, {name}.dta, {name}.xpt, {name}.xlsx "
                                                           f"or a folder {name}/ of such files)"))
            continue
        kind, files = found
        try:
            readers.attach(engine, name, kind, files, options)
            cols, renames = formats.rename(readers.describe(engine, name), options.columns, name,
                                           readers.files_.label(files), renamed)
            if renames:
                raise ContractError(renames)
            numeric: tuple[str, ...] = ()
            if name in ("persons", "events"):
                named = {*spec.required, *spec.optional}
                numeric = readers.numeric_text_columns(engine, name, cols, named, options.decimal)
        except ContractError as exc:
            problems += exc.problems
            continue
        except READ_ERRORS as exc:  # a damaged Parquet page shows only when it is read
            problems.append(readers.read_problem(readers.files_.label(files), kind, exc))
            continue
        layout = readers.benefits_layout(cols, options.wide_pattern) if name == "benefits" else "-"
        src = readers.Source(name, files, kind, cols, layout, numeric, options.decimal if kind == "csv" else ".")
        col_problems = missing_columns(src, spec, options.wide_pattern)
        problems += col_problems
        if not col_problems:
            sources[name] = src
    if not problems:
        problems += formats.unused(options.columns, renamed, str(folder), (*TABLES, *EXTRA_TABLES))
    return sources, problems


def _checked_formats(options: LoadOptions) -> LoadOptions:
    """The format options as the readers use them (a codec's own name), or a problem saying what is expected."""
    import dataclasses

    try:
        return dataclasses.replace(
            options, encoding=formats.check_encoding(options.encoding), decimal=formats.check_decimal(options.decimal),
            delimiter=formats.check_delimiter(options.delimiter) if options.delimiter else None,
            columns=tuple((str(t), str(a), str(b)) for t, a, b in options.columns))
    except ValueError as exc:
        raise ContractError([Problem("options", None, str(exc))]) from None


def validate(folder: str | Path, options: LoadOptions | None = None) -> ValidationReport:
    """Check a data folder against the contract and summarise it. Bad data gives a report with problems."""
    options = options or LoadOptions()
    engine = _engine_for(options)
    try:
        return _validate(_folder(folder), options, engine, reuse=False)
    finally:
        engine.close()


def _validate(folder: Path | str, options: LoadOptions, engine: Engine, reuse: bool = True,
              opened: dict | None = None) -> ValidationReport:
    """The report of a folder; `reuse`: take a stored report of the same contents (an explicit `validate` checks
    again and stores what it found); `opened` receives the sources of the contract's tables."""
    catalogue = load_catalogue(options.catalogue)
    try:
        sources, problems = _open(folder, options, engine)
    except ContractError as exc:
        return ValidationReport(str(folder), tuple(exc.problems))
    extra = {k: v for k, v in sources.items() if k in EXTRA_TABLES}
    sources = {k: v for k, v in sources.items() if k not in EXTRA_TABLES}
    if opened is not None:
        opened.update(sources)
    files = [f for src in (*sources.values(), *extra.values()) for f in src.files]
    try:
        return _checked(folder, options, engine, reuse, catalogue, sources, extra, problems, files)
    finally:
        # the checks' per-person tables (5 million persons: a few hundred MB) are not needed once the report is made
        drop_scratch(engine)


def _checked(folder: Path | str, options: LoadOptions, engine: Engine, reuse: bool, catalogue: Catalogue,
             sources: dict, extra: dict, problems: list, files: list) -> ValidationReport:
    try:
        create_staging(engine, sources, options.wide_pattern)
        for name, src in extra.items():
            engine.view(f"{name}_rows", readers.extra_staging_sql(src, EXTRA_TABLES[name]))
        # a folder that passed with the same file contents, catalogue and options: its stored report, no checks
        # (registers/vcache.py)
        cache_key = None
        if not problems and "persons" in sources and all(isinstance(f, Path) for f in files):
            cache_key = vcache.key(files, options)
            cached = vcache.read(cache_key, str(folder)) if reuse else None
            if cached is not None:
                return cached
        problems += run_checks(engine, sources, options.wide_pattern)
        for name, src in extra.items():
            problems += check_extra(engine, src, EXTRA_TABLES[name])
        if problems or "persons" not in sources:
            return ValidationReport(str(folder), tuple(problems))
        s = summarise(engine, sources, catalogue)
        s["tables"].update(summarise_extra(engine, extra, s["orphans"]))
    except READ_ERRORS as exc:  # a damaged file that could be opened but not read through
        return ValidationReport(str(folder), (readers.read_problem(str(folder), "data", exc),))
    problems = summary_problems(engine, s, {**sources, **extra})
    if problems:
        return ValidationReport(str(folder), tuple(problems))
    report = ValidationReport(
        str(folder),
        (),
        tables=s["tables"],
        codes=s.get("codes", pd.DataFrame()),
        unknown_codes=s.get("unknown_codes", pd.DataFrame()),
        orphans=s["orphans"],
        unknown_municipalities=s.get("unknown_municipalities", pd.DataFrame()),
        events=s.get("events", pd.DataFrame()),
    )
    vcache.write(cache_key, report)
    return report


class Registers:
    """A validated data folder on an engine: views `persons`, `benefits` (person_id, wk, code), `employment`
    (person_id, mo, employment_rate, hours, industry, temp_agency), `events`, and the table `catalogue`.

    `store` (created on first use) keeps person keys, copied rows and memos for every panel over these registers."""

    def __init__(self, folder: Path | str, engine: Engine, catalogue: Catalogue, report: ValidationReport,
                 options: LoadOptions, load_seconds: float = 0.0, sources: dict | None = None):
        self.folder = folder
        self.engine = engine
        self.catalogue = catalogue
        self.report = report
        self.tables = tuple(report.tables)
        self.options = options
        self.load_seconds = load_seconds
        self._sources: dict[str, readers.Source] = dict(sources or {})
        self._store: "Store | None" = None
        self.keyed = False  # the keyed copy's views are attached (registers/keyed.py)
        self.keyed_codes: dict[str, int] = {}  # code -> its integer in the keyed copy
        self.keyed_seconds: float | None = None  # time to attach the keyed copy (to write it, the first time)
        # False: this load reads a keyed copy that is there but never writes one or leaves its marker (a second
        # process over the same folder at the same time, as the demo's, leaves the writing to the first)
        self.write_keyed = True

    @property
    def store(self) -> "Store":
        if self._store is None:
            from virkning.panel.store import Store

            codes = keyed.code_order(self.report.codes["code"]) if len(self.report.codes) else []
            self._store = Store(self.engine, rows_of=self.rows_of, attach_keyed=self.attach_keyed, code_list=codes)
        return self._store

    def attach_keyed(self, pkmap: Callable[[], str], write: bool = True) -> bool:
        """Read benefits and employment from the folder's keyed copy from now on; `write`: write it when there is
        none (by the rule of registers/keyed.py; `pkmap()`: the store's person_id -> pk table). False when there is
        no copy."""
        tables = ("persons", "benefits", "employment")
        files = [f for t in tables if t in self._sources for f in self._sources[t].files]
        local = all(t in self._sources for t in tables) and all(isinstance(f, Path) for f in files)
        codes = self.report.codes["code"].tolist() if len(self.report.codes) else []
        started = time.perf_counter()
        found = (keyed.attach(self.engine, keyed.key(files, self.options), pkmap, codes, write and self.write_keyed)
                 if local else None)
        self.keyed, self.keyed_codes = found is not None, found or {}
        self.keyed_seconds = time.perf_counter() - started if found is not None else None
        return self.keyed

    def rows_of(self, table: str, persons: str, codes: str, span: tuple[int, int] | None = None,
                where: str = "") -> str:
        """SELECT of the rows of `table` (the store's columns: pk first) of the persons in relation `persons` (pk,
        person_id): from the keyed copy when attached, else narrowed before the staging's conversions where the
        layout allows (readers.persons_rows_sql). `codes` (cn, code): the code numbers, the keyed copy's. `span`:
        the persons' least and greatest key, a filter the keyed copy's scan uses to skip row groups. `where`: a
        condition on the rows, alias x (queries.copied_range)."""
        if self.keyed:
            return queries.keyed_rows(table, persons, span, where)
        src = self._sources.get(table)
        staged = readers.persons_rows_sql(src, TABLES[table], self.options.wide_pattern, persons) if src else None
        rows = f"({staged}) x" if staged else f"{table} x"
        return queries.register_rows(table, rows, persons, codes, where)

    def panel(self, end_month: str | None = None) -> "Panel":
        """The panel over these registers; `end_month` (YYYY-MM) overrides the end of data used for censoring."""
        from virkning.panel import Panel

        return Panel(self, end_month=end_month)

    def persons(self) -> pd.DataFrame:
        return self.engine.frame("SELECT * FROM persons ORDER BY person_id")

    def events(self, event: str | None = None) -> pd.DataFrame:
        if "events" not in self.tables:
            return pd.DataFrame(columns=["person_id", "date", "event", "unit"])
        if event is None:
            return self.engine.frame("SELECT * FROM events ORDER BY person_id, date")
        return self.engine.frame("SELECT * FROM events WHERE event = ? ORDER BY person_id, date", [event])

    def close(self) -> None:
        self.engine.close()


def load(folder: str | Path, options: LoadOptions | None = None, **kwargs) -> Registers:
    """Validate and open a data folder; raises ContractError listing every broken rule."""
    started = time.perf_counter()
    options = options or LoadOptions(**kwargs)
    engine = _engine_for(options)
    try:
        opened: dict = {}
        report = _validate(_folder(folder), options, engine, opened=opened)
    except BaseException:
        engine.close()
        raise
    if not report.ok:
        engine.close()
        raise ContractError(report.problems)
    catalogue = load_catalogue(options.catalogue)
    person_cols = [c for c, _ in engine.columns("persons_rows") if c not in ("_row", "_file", "_has_birth_date")]
    engine.view("persons", f"SELECT {', '.join(quote(c) for c in person_cols)} FROM persons_rows")
    engine.view("benefits", "SELECT person_id, wk, code FROM benefits_rows")
    engine.view("employment", "SELECT person_id, mo, employment_rate, hours, industry, "
                              "coalesce(temp_agency, false) AS temp_agency FROM employment_rows")
    if "events" in report.tables:
        event_cols = [c for c, _ in engine.columns("events_rows") if c not in ("_row", "_file", "_has_date")]
        engine.view("events", f"SELECT {', '.join(quote(c) for c in event_cols)} FROM events_rows")
    for name in EXTRA_TABLES:  # optional tables: their typed columns and the data row (for located messages)
        if name in report.tables:
            cols = [c for c, _ in engine.columns(f"{name}_rows") if not c.startswith(("_has_", "_t_"))]
            engine.view(name, f"SELECT {', '.join(quote(c) for c in cols)} FROM {name}_rows")
    engine.put("catalogue", catalogue.table[["code", "state", "activation", "benefit", "retirement",
                                             *DETAIL_COLUMNS]])
    return Registers(_folder(folder), engine, catalogue, report, options, time.perf_counter() - started, opened)

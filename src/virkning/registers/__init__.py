"""Registers: read a data folder under the data contract, validate it, and hand it on as DuckDB views.

    regs = virkning.registers.load("data/")      # raises ContractError if a rule is broken
    report = virkning.registers.validate("data/")  # never raises for bad data; report.ok, report.problems
    panel = regs.panel()                            # states, covariates, outcomes (virkning.panel)

The data folder is only read. DuckDB works in memory and spills to a private temporary folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
import time
from pathlib import Path

import duckdb
import pandas as pd

from virkning.errors import ContractError, Problem
from virkning.registers import readers
from virkning.registers.catalogue import Catalogue, load_catalogue
from virkning.registers.contract import TABLES, LoadOptions
from virkning.registers.validate import (
    ValidationReport,
    create_staging,
    missing_columns,
    run_checks,
    summarise,
)

__all__ = ["Registers", "load", "validate", "connect", "LoadOptions", "ValidationReport", "load_catalogue"]


def connect(memory_limit: str | None = None, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection that spills to its own temporary folder (removed when closed)."""
    con = duckdb.connect(":memory:")
    tmp = tempfile.mkdtemp(prefix="virkning-duckdb-")
    weakref.finalize(con, shutil.rmtree, tmp, True)
    con.execute(f"SET temp_directory = '{tmp}'")
    limit = memory_limit or os.environ.get("VIRKNING_MEMORY_LIMIT")
    if limit:
        con.execute(f"SET memory_limit = '{limit}'")
    n = threads or os.environ.get("VIRKNING_THREADS")
    if n:
        con.execute(f"SET threads = {int(n)}")
    readers.install_macros(con)
    return con


def _open(folder: Path, options: LoadOptions, con: duckdb.DuckDBPyConnection) -> tuple[dict, list[Problem]]:
    if not folder.is_dir():
        raise ContractError([Problem(str(folder), None, "is not a folder; give the folder that holds persons, benefits, employment")])
    sources: dict[str, readers.Source] = {}
    problems: list[Problem] = []
    for name, spec in TABLES.items():
        found = readers.find_files(folder, name)
        if found is None:
            if spec.mandatory:
                problems.append(Problem(str(folder), None, f"no '{name}' table (expected {name}.parquet, {name}.csv, "
                                                           f"{name}.sas7bdat or a folder {name}/ of such files)"))
            continue
        kind, files = found
        readers.attach(con, name, kind, files)
        cols = readers.describe(con, name)
        layout = readers.benefits_layout(cols, options.wide_pattern) if name == "benefits" else "-"
        numeric = ()
        if name in ("persons", "events"):
            named = {*spec.required, *spec.optional}
            numeric = readers.numeric_text_columns(con, name, cols, named)
        src = readers.Source(name, files, kind, cols, layout, numeric)
        col_problems = missing_columns(src, spec, options.wide_pattern)
        problems += col_problems
        if not col_problems:
            sources[name] = src
    return sources, problems


def validate(folder: str | Path, options: LoadOptions | None = None, *, _con=None) -> ValidationReport:
    """Check a data folder against the contract and summarise it. Bad data gives a report with problems."""
    options = options or LoadOptions()
    folder = Path(folder)
    con = _con or connect(options.memory_limit, options.threads)
    catalogue = load_catalogue(options.catalogue)
    try:
        sources, problems = _open(folder, options, con)
    except ContractError as exc:
        return ValidationReport(str(folder), tuple(exc.problems))
    create_staging(con, sources, options.wide_pattern)
    problems += run_checks(con, sources, options.wide_pattern)
    if problems or "persons" not in sources:
        return ValidationReport(str(folder), tuple(problems))
    s = summarise(con, sources, catalogue)
    return ValidationReport(
        str(folder),
        (),
        tables=s["tables"],
        codes=s.get("codes", pd.DataFrame()),
        unknown_codes=s.get("unknown_codes", pd.DataFrame()),
        orphans=s["orphans"],
        unknown_municipalities=s.get("unknown_municipalities", pd.DataFrame()),
        events=s.get("events", pd.DataFrame()),
    )


class Registers:
    """A validated data folder: DuckDB views `persons`, `benefits` (person_id, wk, code), `employment`
    (person_id, mo, employment_rate, hours, industry, temp_agency), `events`, and `catalogue`."""

    def __init__(self, folder: Path, con: duckdb.DuckDBPyConnection, catalogue: Catalogue, report: ValidationReport):
        self.folder = folder
        self.con = con
        self.catalogue = catalogue
        self.report = report
        self.tables = tuple(report.tables)
        self.options: LoadOptions | None = None  # set by load()
        self.load_seconds = 0.0

    def panel(self, end_month: str | None = None):
        """The panel over these registers; `end_month` (YYYY-MM) overrides the end of data used for censoring."""
        from virkning.panel import Panel

        return Panel(self, end_month=end_month)

    def persons(self) -> pd.DataFrame:
        return self.con.sql("SELECT * FROM persons ORDER BY person_id").df()

    def events(self, event: str | None = None) -> pd.DataFrame:
        if "events" not in self.tables:
            return pd.DataFrame(columns=["person_id", "date", "event", "unit"])
        if event is None:
            return self.con.sql("SELECT * FROM events ORDER BY person_id, date").df()
        return self.con.execute("SELECT * FROM events WHERE event = ? ORDER BY person_id, date", [event]).df()

    def close(self) -> None:
        self.con.close()


def load(folder: str | Path, options: LoadOptions | None = None, **kwargs) -> Registers:
    """Validate and open a data folder; raises ContractError listing every broken rule."""
    started = time.perf_counter()
    options = options or LoadOptions(**kwargs)
    con = connect(options.memory_limit, options.threads)
    report = validate(folder, options, _con=con)
    if not report.ok:
        con.close()
        raise ContractError(report.problems)
    catalogue = load_catalogue(options.catalogue)
    con.execute("CREATE VIEW persons AS SELECT * EXCLUDE (_row, _file, _has_birth_date) FROM persons_rows")
    con.execute("CREATE VIEW benefits AS SELECT person_id, wk, code FROM benefits_rows")
    con.execute(
        "CREATE VIEW employment AS SELECT person_id, mo, employment_rate, hours, industry, "
        "coalesce(temp_agency, false) AS temp_agency FROM employment_rows"
    )
    if "events" in report.tables:
        con.execute("CREATE VIEW events AS SELECT * EXCLUDE (_row, _file, _has_date) FROM events_rows")
    cat = catalogue.table[["code", "state", "activation", "benefit", "retirement"]]
    con.register("_catalogue_df", cat)
    con.execute("CREATE TABLE catalogue AS SELECT * FROM _catalogue_df")
    con.unregister("_catalogue_df")
    regs = Registers(Path(folder), con, catalogue, report)
    regs.options = options
    regs.load_seconds = time.perf_counter() - started
    return regs

"""The data contract: which tables a data folder holds, their columns and the rules each column obeys.

This module only declares; `readers.py` finds and normalises the files and `validate.py` enforces the rules.
docs/data-contract.md is the user-facing version of the same facts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

ORIGINS = ("dansk", "indvandrer", "efterkommer")
EDUCATIONS = ("grundskole", "gymnasial", "erhvervsfaglig", "KVU", "MVU", "LVU", "ukendt")
SEXES = ("M", "K")
EXTENSIONS = (".parquet", ".csv", ".sas7bdat", ".dta", ".xpt", ".xlsx")  # the last three: registers/formats.py
DEFAULT_WIDE_PATTERN = "y_YYWW"


@dataclass(frozen=True)
class ColumnRule:
    """A row rule, declared without SQL: `check` is one of present, date, date_or_empty, one_of (with `values`),
    flag (0, 1 or empty; column "*" means every column but the table's key), unique or number (>= 0 or empty)."""

    column: str
    rule: str  # what the user is told
    check: str
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableSpec:
    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    keeps_extra: bool = False  # further columns are kept (user covariates / event attributes)
    key: tuple[str, ...] = ()  # must be unique
    doc: str = ""
    mandatory: bool = True  # the folder must contain this table
    rules: tuple[ColumnRule, ...] = ()  # declared row rules (the four tables above keep theirs in validate.py)


PERSONS = TableSpec(
    "persons",
    required=("person_id", "birth_date", "sex", "municipality"),
    optional=("origin", "education", "a_kasse", "region"),
    keeps_extra=True,
    key=("person_id",),
    doc="one row per person",
)

BENEFITS = TableSpec(
    "benefits",
    required=("person_id", "week", "code"),
    key=("person_id", "week"),
    doc="weekly DREAM codes, long; spells (from_week, to_week) and DREAM's wide layout are converted",
)
BENEFIT_SPELLS = ("person_id", "code", "from_week", "to_week")

EMPLOYMENT = TableSpec(
    "employment",
    required=("person_id", "month", "employment_rate"),
    optional=("hours", "industry", "temp_agency"),
    key=("person_id", "month"),
    doc="monthly employment; a missing person-month means no employment",
)

EVENTS = TableSpec(
    "events",
    required=("person_id", "date", "event"),
    optional=("unit",),
    keeps_extra=True,
    doc="job-centre registrations",
    mandatory=False,
)

TABLES: dict[str, TableSpec] = {t.name: t for t in (PERSONS, BENEFITS, EMPLOYMENT, EVENTS)}

# Optional input tables that analyses read by name, declared with their rules: `registers.load` and `virkning
# validate` read them when the folder has them (readers.extra_staging_sql, validate.check_extra).
RECORD_GROUPS = ("1", "2", "3", "udskudt", "6")
RECORDS = TableSpec(
    "records",
    required=("person_id", "unit", "group", "start_date"),
    optional=("end_date",),
    keeps_extra=True,
    doc="case-system records: a group per person and period (e.g. visitation groups); several, overlapping or "
        "contradictory records per person are allowed and resolved by an analysis's declared de-duplication rule",
    mandatory=False,
    rules=(
        ColumnRule("person_id", "is missing", "present"),
        ColumnRule("unit", "is missing", "present"),
        ColumnRule("group", f"must be one of {', '.join(RECORD_GROUPS)}", "one_of", RECORD_GROUPS),
        ColumnRule("start_date", "is missing", "present"),
        ColumnRule("start_date", "is not a date (expected YYYY-MM-DD)", "date"),
        ColumnRule("end_date", "is not a date (expected YYYY-MM-DD, or empty for a record still open)",
                   "date_or_empty"),
    ),
)
PERSON_FLAGS = TableSpec(
    "person_flags",
    required=("person_id",),
    keeps_extra=True,
    key=("person_id",),
    doc="0/1 person flags the user supplies (hospital visits, handicap, earlier participation ...); every column "
        "but person_id is a flag, usable as a covariate by its name",
    mandatory=False,
    rules=(
        ColumnRule("person_id", "is missing", "present"),
        ColumnRule("person_id", "each person may appear only once", "unique"),
        ColumnRule("*", "must be 0 or 1 (or empty)", "flag"),
    ),
)
# Inhabitants per unit (municipality): replaces the shipped figures (registers/municipalities.csv, column
# population) for analyses that band units by size.
INHABITANTS = TableSpec(
    "inhabitants",
    required=("unit", "inhabitants"),
    key=("unit",),
    doc="inhabitants per unit (municipality code), e.g. Statistics Denmark's FOLK1A on a date",
    mandatory=False,
    rules=(
        ColumnRule("unit", "is missing", "present"),
        ColumnRule("unit", "each unit may appear only once", "unique"),
        ColumnRule("inhabitants", "is missing", "present"),
        ColumnRule("inhabitants", "must be a number of at least 0", "number"),
    ),
)
EXTRA_TABLES: dict[str, TableSpec] = {t.name: t for t in (RECORDS, PERSON_FLAGS, INHABITANTS)}

# Firms (job rotation, seed 003): the employees of a firm by year, for rules on firm size. Read by
# `virkning.analyses.jobrotation` when a design names it.
FIRMS = TableSpec(
    "firms",
    required=("firm_id", "year", "employees"),
    key=("firm_id", "year"),
    doc="one row per firm and year: the number of employees (e.g. from the firm's own statement or the CVR register)",
    mandatory=False,
    rules=(
        ColumnRule("firm_id", "is missing", "present"),
        ColumnRule("year", "is missing", "present"),
        ColumnRule("employees", "is missing", "present"),
    ),
)
EXTRA_TABLES[FIRMS.name] = FIRMS


@dataclass(frozen=True)
class LoadOptions:
    """How to read a data folder. `wide_pattern` names DREAM's weekly columns (YYYY or YY, then WW)."""

    wide_pattern: str = DEFAULT_WIDE_PATTERN
    catalogue: str | None = None  # user catalogue CSV overriding the shipped one
    memory_limit: str | None = None  # DuckDB memory limit, e.g. "4GB"; spills to a temporary folder beyond it
    threads: int | None = None
    extra: dict = field(default_factory=dict)
    # The SQL engine (registers/engine.py): "duckdb" (embedded, the default) or "spark" (PySpark 4, `virkning[spark]`)
    # with its master URL (default local[N]; in a running Spark session, that session) and optionally a database of
    # the Spark catalog (`spark_catalog`) holding the tables by their contract names instead of a data folder.
    # VIRKNING_ENGINE and VIRKNING_SPARK_MASTER set the defaults for a whole process (a cluster job, the test suite).
    engine: str = field(default_factory=lambda: os.environ.get("VIRKNING_ENGINE", "duckdb"))
    master: str | None = field(default_factory=lambda: os.environ.get("VIRKNING_SPARK_MASTER") or None)
    spark_catalog: str | None = None
    # The analyst's formats (registers/formats.py, docs/data-contract.md "Formats"): the encoding of CSV (and SAS)
    # text (utf-8, a codec such as cp1252 or latin-1, or "auto"), CSV's delimiter (None: ',' or, with a decimal
    # comma, ';') and decimal mark, and renames (table or "" for every table, name in the file, contract name).
    encoding: str = "utf-8"
    delimiter: str | None = None
    decimal: str = "."
    columns: tuple[tuple[str, str, str], ...] = ()

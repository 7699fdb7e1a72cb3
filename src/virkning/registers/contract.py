"""The data contract: which tables a data folder holds, their columns and the rules each column obeys.

This module only declares; `readers.py` finds and normalises the files and `validate.py` enforces the rules.
docs/data-contract.md is the user-facing version of the same facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ORIGINS = ("dansk", "indvandrer", "efterkommer")
EDUCATIONS = ("grundskole", "gymnasial", "erhvervsfaglig", "KVU", "MVU", "LVU", "ukendt")
SEXES = ("M", "K")
EXTENSIONS = (".parquet", ".csv", ".sas7bdat")
DEFAULT_WIDE_PATTERN = "y_YYWW"


@dataclass(frozen=True)
class TableSpec:
    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    keeps_extra: bool = False  # further columns are kept (user covariates / event attributes)
    key: tuple[str, ...] = ()  # must be unique
    doc: str = ""
    mandatory: bool = True  # the folder must contain this table


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


@dataclass(frozen=True)
class LoadOptions:
    """How to read a data folder. `wide_pattern` names DREAM's weekly columns (YYYY or YY, then WW)."""

    wide_pattern: str = DEFAULT_WIDE_PATTERN
    catalogue: str | None = None  # user catalogue CSV overriding the shipped one
    memory_limit: str | None = None  # DuckDB memory limit, e.g. "4GB"; spills to a temporary folder beyond it
    threads: int | None = None
    extra: dict = field(default_factory=dict)

"""The design file's schema: the keys every design has, composed with the sections of the registered analyses.

    name, language, data, success_criteria, disclosure_threshold, seed, outputs    (this module)
    participants, pool, exclusions, covariates, matching, outcomes, ...    (the effect evaluation: keys at the root)
    monitoring: ...                                                        (an analysis with a section of its own)

`root_model(with_flat)` builds the pydantic model of a whole file from the registry in `virkning.analyses`, with or
without the root-level keys of the effect evaluation (a design that only monitors has none of them).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any, Literal, Optional, cast

from pydantic import BaseModel, Field, PlainValidator, create_model, field_validator

from virkning.criteria import SuccessCriterion
from virkning.defaults import DISCLOSURE_THRESHOLD, SEED
from virkning.design.types import (Month, Section, Text, Threshold, WidePattern, Whole0, Whole3, fail,
                                   none_is_empty)
from virkning.registers import formats
from virkning.registers.contract import DEFAULT_WIDE_PATTERN, EXTRA_TABLES, TABLES


# ---- the analyst's formats (registers/formats.py): encoding, delimiter, decimal mark, column renames ----

def _format(check):
    def validate(v):
        try:
            return check(str(v))
        except ValueError as exc:  # "encoding expected one of ...; got 'x'": the reader adds what it found
            text = str(exc).split("; got")[0]
            raise fail(text[text.index("expected"):]) from None

    return validate


def _columns(v):
    """`{NAME_IN_FILE: contract_name}` for every table, `{table: {NAME_IN_FILE: contract_name}}` for one."""
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise fail("expected a mapping of column names in the files to the contract's names, e.g. "
                   "{PNR: person_id, benefits: {UGE: week}}")
    tables = (*TABLES, *EXTRA_TABLES)
    for key, value in v.items():
        if isinstance(value, dict):
            if str(key) not in tables:
                raise fail(f"expected a table name ({', '.join(tables)}) before a mapping of its columns; "
                           f"'{key}' is none")
            if not all(isinstance(x, str) and x.strip() for x in (*value.keys(), *value.values())):
                raise fail(f"expected names (text) for the columns of {key}, e.g. {{UGE: week}}")
        elif not isinstance(value, str) or not value.strip() or not str(key).strip():
            raise fail(f"expected a contract column name (text) for '{key}', e.g. PNR: person_id")
    return {str(k): (dict(x) if isinstance(x, dict) else x.strip()) for k, x in v.items()}


Encoding = Annotated[str, PlainValidator(_format(formats.check_encoding))]
Delimiter = Annotated[str, PlainValidator(_format(formats.check_delimiter))]
Decimal = Annotated[str, PlainValidator(_format(formats.check_decimal))]
Columns = Annotated[dict, PlainValidator(_columns)]


class DataSpec(Section):
    """Where the registers are; relative paths are read from the design file's folder."""

    folder: Text = "data"
    catalogue: Text | None = None
    end_month: Month | None = None
    wide_pattern: WidePattern = DEFAULT_WIDE_PATTERN
    # The SQL engine (docs/scale.md): duckdb (embedded, the default) or spark (PySpark 4: `virkning[spark]`), its
    # master URL (default local[N], or the running session's), and a Spark catalog database holding the tables.
    engine: Literal["duckdb", "spark"] = "duckdb"
    master: Text | None = None
    spark_catalog: Text | None = None
    # The analyst's formats (docs/data-contract.md "Formats"): text encoding of CSV (and SAS) files, CSV's
    # delimiter and decimal mark, and renames of the files' columns to the contract's names.
    encoding: Encoding = "utf-8"
    delimiter: Delimiter | None = None
    decimal: Decimal = "."
    columns: Columns = {}


class OutputsSpec(Section):
    """Formats of the published tables besides the standard CSVs (docs/outputs.md): the Excel workbook
    `tables.xlsx` (written unless `workbook: false`) and, with `csv_dialect: excel-da`, a copy of every CSV in
    Danish Excel's dialect (`;`, decimal comma, UTF-8 with BOM). `--csv-dialect` and `--no-workbook` override."""

    workbook: bool = True
    csv_dialect: Literal["standard", "excel-da"] = "standard"


class CommonSpec(Section):
    name: Text | None = None
    language: Literal["da", "en"] = "da"
    data: DataSpec = Field(default_factory=DataSpec)
    success_criteria: list[SuccessCriterion] = []
    disclosure_threshold: Threshold = DISCLOSURE_THRESHOLD
    seed: Whole0 = SEED
    organisation: Text | None = None  # on the cover of report.pdf (docs/report.md)
    outputs: OutputsSpec = Field(default_factory=OutputsSpec)

    @field_validator("success_criteria", mode="before")
    @classmethod
    def _no_criteria_is_empty(cls, v):  # a name of its own: sections mixed into the root have their validators
        return none_is_empty(v)


def _spec_model(spec: type) -> type[BaseModel]:
    # an analysis kind's spec is a pydantic model (analyses/base.py types it as a bare class)
    return cast(type[BaseModel], spec)


@lru_cache(maxsize=None)
def root_model(with_flat: bool) -> type[CommonSpec]:
    """The model of a whole design file: the common keys, the root-level keys of the analyses that have no section
    of their own (when `with_flat`), and one optional key per analysis section."""
    from virkning.analyses import KINDS

    bases: list[type[BaseModel]] = [CommonSpec]
    sections: dict[str, Any] = {}
    for kind in KINDS.values():
        if kind.section is None:
            if with_flat:
                bases.insert(0, _spec_model(kind.spec))
        else:
            sections[kind.section] = (Optional[kind.spec], None)
    model: type[BaseModel] = create_model("DesignSpec", __base__=tuple(bases), **sections)
    return cast(type[CommonSpec], model)  # CommonSpec is among its bases


def flat_keys() -> tuple[str, ...]:
    """The root-level keys that belong to analyses without a section (the effect evaluation's)."""
    from virkning.analyses import KINDS

    keys: list[str] = []
    for kind in KINDS.values():
        if kind.section is None:
            keys += [f.alias or n for n, f in _spec_model(kind.spec).model_fields.items()]
    return tuple(keys)


def section_keys() -> tuple[str, ...]:
    from virkning.analyses import KINDS

    return tuple(k.section for k in KINDS.values() if k.section is not None)

"""The design file's schema: the keys every design has, composed with the sections of the registered analyses.

    name, language, data, success_criteria, disclosure_threshold, seed     (this module)
    participants, pool, exclusions, covariates, matching, outcomes, ...    (the effect evaluation: keys at the root)
    monitoring: ...                                                        (an analysis with a section of its own)

`root_model(with_flat)` builds the pydantic model of a whole file from the registry in `virkning.analyses`, with or
without the root-level keys of the effect evaluation (a design that only monitors has none of them).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal, Optional

from pydantic import Field, create_model, field_validator

from virkning.criteria import SuccessCriterion
from virkning.defaults import DISCLOSURE_THRESHOLD, SEED
from virkning.design.types import Month, Section, Text, Threshold, WidePattern, Whole0, Whole3, none_is_empty
from virkning.registers.contract import DEFAULT_WIDE_PATTERN

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


class CommonSpec(Section):
    name: Text | None = None
    language: Literal["da", "en"] = "da"
    data: DataSpec = Field(default_factory=DataSpec)
    success_criteria: list[SuccessCriterion] = []
    disclosure_threshold: Threshold = DISCLOSURE_THRESHOLD
    seed: Whole0 = SEED
    organisation: Text | None = None  # on the cover of report.pdf (docs/report.md)

    @field_validator("success_criteria", mode="before")
    @classmethod
    def _no_criteria_is_empty(cls, v):  # a name of its own: sections mixed into the root have their validators
        return none_is_empty(v)


@lru_cache(maxsize=None)
def root_model(with_flat: bool) -> type[CommonSpec]:
    """The model of a whole design file: the common keys, the root-level keys of the analyses that have no section
    of their own (when `with_flat`), and one optional key per analysis section."""
    from virkning.analyses import KINDS

    bases: list[type] = [CommonSpec]
    sections = {}
    for kind in KINDS.values():
        if kind.section is None:
            if with_flat:
                bases.insert(0, kind.spec)
        else:
            sections[kind.section] = (Optional[kind.spec], None)
    return create_model("DesignSpec", __base__=tuple(bases), **sections)


def flat_keys() -> tuple[str, ...]:
    """The root-level keys that belong to analyses without a section (the effect evaluation's)."""
    from virkning.analyses import KINDS

    keys: list[str] = []
    for kind in KINDS.values():
        if kind.section is None:
            keys += [f.alias or n for n, f in kind.spec.model_fields.items()]
    return tuple(keys)


def section_keys() -> tuple[str, ...]:
    from virkning.analyses import KINDS

    return tuple(k.section for k in KINDS.values() if k.section is not None)

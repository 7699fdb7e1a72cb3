"""The shape every analysis has, and what it hands to the gate, the writer and the report.

An analysis kind is one package under `virkning.analyses` with the same five parts:

    spec      the design-file section it reads (a pydantic model; the effect evaluation's keys sit at the root of
              the design file, every other analysis has a section of its own, e.g. `monitoring:`)
    compile   the checked section -> the domain design the run takes (dataclasses of populations, outcomes, ...)
    run       the domain design and a `Context` (data folder, registers, seed, threshold) -> a frozen result of tidy
              data frames
    publish   the result -> `Output`s: tables and JSON after the one disclosure gate (`virkning.disclosure.protect`),
              each table declared to the gate with its counts and how its cells relate
    render    an output -> report sections (and their figures) built from the shared report components

`KINDS` in `virkning.analyses` registers them; `virkning.outputs` runs the kinds a design declares, writes their
outputs with the one writer and the report with the one document template. docs/architecture.md has the recipe.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

if TYPE_CHECKING:
    from virkning.registers import Registers
    from virkning.report.components import Section


@dataclass
class Context:
    """What a run needs besides its own design: where the data are, the registers (loaded once and shared by every
    analysis of a run), the design's seed, threshold and language, and a progress callback."""

    data: Path | str  # a local folder, or a remote location (hdfs://, s3a://) kept as text
    threshold: int
    language: str = "da"
    seed: int = 2018
    design_name: str = ""
    progress: Callable[[str], None] = lambda message: None
    options: Mapping[str, Any] = field(default_factory=dict)  # command options (e.g. monitoring's month)
    _registers: "Registers | None" = None
    _load: Callable[[], "Registers"] | None = None

    @property
    def registers(self) -> "Registers":
        if self._registers is None:
            if self._load is None:
                from virkning.errors import VirkningError

                raise VirkningError("this analysis needs the registers, but no data folder was given")
            self._registers = self._load()
        return self._registers

    @property
    def has_registers(self) -> bool:
        return self._registers is not None or self._load is not None


@dataclass(frozen=True)
class Output:
    """One published unit of an analysis (the evaluation; one month of monitoring), already through the gate.

    `folder` is relative to the output folder ("" for its root); `tables` become `<name>.csv`; `bundle` becomes
    `results.json` when not empty (the report's input); `internal` holds files not for publication (person-level
    rows, e.g. registration problems for the job centres), written under `internal/`; `page` names a page of its
    own (monitoring's monthly status pages) instead of sections in the evaluation report."""

    kind: str
    folder: str
    tables: Mapping[str, pd.DataFrame]
    bundle: Mapping[str, Any] = field(default_factory=dict)
    log: tuple[str, ...] = ()
    internal: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    page: str | None = None
    title: str = ""


@dataclass(frozen=True)
class Kind:
    """A registered analysis kind."""

    key: str
    title: tuple[str, str]  # Danish, English
    spec: type
    section: str | None  # the design-file key of its section; None: its keys sit at the root of the design file
    command: Literal["evaluate", "monitor"]
    compile: Callable[..., Any]
    run: Callable[[Any, Context], Any]
    publish: Callable[..., list[Output]]
    render: Callable[..., tuple[list["Section"], dict]] | None = None  # (output, language, numbering)
    templates: Path | None = None  # section templates of its own
    requires_registers: bool = True

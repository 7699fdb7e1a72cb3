"""The monitoring part of a design: registration guide, funnel, success criteria, fidelity and citizen surveys.

Every model forbids unknown keys, so a misspelt key is an error rather than a silently ignored setting.
`MonitoringConfig.model_validate(dict)` is the entry point; the design file embeds it under `monitoring:`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from virkning.criteria import SuccessCriterion
from virkning.defaults import DISCLOSURE_THRESHOLD

TRUE_WORDS = ("ja", "j", "yes", "y", "true", "sand", "1", "x")
FALSE_WORDS = ("nej", "n", "no", "false", "falsk", "0")

DEFAULT_SCALE: dict[str, float] = {
    "slet ikke": 1,
    "i mindre grad": 2,
    "i nogen grad": 3,
    "i høj grad": 4,
    "i meget høj grad": 5,
}


def _hours_bands() -> list[float]:
    """The default hours bands (whole numbers, as the design file writes them)."""
    return [1, 40, 80, 120, 160]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Column(_Strict):
    """One column of the registration sheet."""

    name: str
    type: Literal["date", "bool", "text", "choice", "int"] = "text"
    required: bool = False
    values: list[str] | None = None  # allowed values of a `choice` column (compared without case)
    label: str | None = None

    @model_validator(mode="after")
    def _choice_has_values(self):
        if self.type == "choice" and not self.values:
            raise ValueError(f"column '{self.name}': a choice column needs `values`")
        if self.type != "choice" and self.values:
            raise ValueError(f"column '{self.name}': `values` only applies to type choice")
        return self


class DateRule(_Strict):
    """`column` must lie on or after `after` (and within `within_weeks` weeks of it, when given)."""

    column: str
    after: str
    within_weeks: float | None = Field(default=None, gt=0)
    strictly: bool = False  # True: the same day is not allowed


class RequiredIf(_Strict):
    """`column` must be filled when `when` is true (bool) or filled (other types)."""

    column: str
    when: str


class RegistrationGuide(_Strict):
    sheet: str = "Registrering"
    layout: Literal["per_citizen", "event_log"] = "per_citizen"
    person_column: str = "person_id"
    unit_column: str = "projekt"
    index_column: str = "moededato"  # the date that places a citizen in a month (per_citizen layout)
    event_column: str = "event"  # event_log layout: which event
    date_column: str = "dato"  # event_log layout: when
    events: list[str] | None = None  # event_log layout: allowed events
    index_event: str | None = None  # event_log layout: the event whose first date is the index
    columns: list[Column] = Field(default_factory=list)
    date_rules: list[DateRule] = Field(default_factory=list)
    required_if: list[RequiredIf] = Field(default_factory=list)
    unique_person: bool = True  # per_citizen: one row per citizen and unit
    true_values: list[str] = Field(default_factory=lambda: list(TRUE_WORDS))
    false_values: list[str] = Field(default_factory=lambda: list(FALSE_WORDS))

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @model_validator(mode="after")
    def _names(self):
        names = [c.name for c in self.columns]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"registration columns listed twice: {', '.join(dup)}")
        if self.layout == "per_citizen":
            known = set(names) | {self.person_column, self.unit_column}
            for r in self.date_rules:
                for c in (r.column, r.after):
                    if c not in known:
                        raise ValueError(f"date rule refers to unknown column '{c}'")
                    col = self.column(c)
                    if col is not None and col.type != "date":
                        raise ValueError(f"date rule column '{c}' is not of type date")
            for r in self.required_if:
                for c in (r.column, r.when):
                    if c not in known:
                        raise ValueError(f"required_if refers to unknown column '{c}'")
            if self.index_column not in names:
                raise ValueError(f"index_column '{self.index_column}' is not among the columns")
        else:
            if not self.index_event:
                raise ValueError("an event_log guide needs `index_event` (e.g. informationsmøde)")
        return self


class FunnelStep(_Strict):
    """A step of the funnel: a citizen has passed it when `column` is true (bool) or filled (date, text)."""

    name: str
    label: str | None = None
    column: str | None = None  # per_citizen layout
    event: str | None = None  # event_log layout (becomes a date column named after the event)
    date_column: str | None = None  # which date places the step in a month; default: the column or the index

    @model_validator(mode="after")
    def _one_source(self):
        if (self.column is None) == (self.event is None):
            raise ValueError(f"funnel step '{self.name}': give exactly one of `column` and `event`")
        return self

    @property
    def source(self) -> str:
        return self.column if self.column is not None else self.event  # type: ignore[return-value]


class RegisterResults(_Strict):
    """Register-based results for participants (needs registers)."""

    employment_after_weeks: int = 13
    temp_from_step: str | None = None  # temp-job months counted for citizens who passed this step (default: index)
    hours_bands: list[float] = Field(default_factory=_hours_bands)  # lower bounds; 160 = full time
    full_time_hours: float = 160.0
    industry_column: str | None = None  # sheet column with the temp job's industry (else the register's industry)


class Bands(_Strict):
    """Banded answers (e.g. shares of citizens) mapped to 1-5."""

    items: list[str]
    mapping: dict[str, float]


class Fidelity(_Strict):
    file: str = "staff_survey.csv"
    respondent_column: str = "respondent"
    unit_column: str = "unit"
    role_column: str = "role"
    wave_column: str = "wave"
    item_column: str = "item"
    answer_column: str = "answer"
    waves: list[str] | None = None  # order of the waves; default: sorted
    elements: dict[str, str] = Field(default_factory=dict)  # element id -> label
    items: dict[str, str]  # item -> element id
    scale: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_SCALE))
    missing: list[str] = Field(default_factory=lambda: ["ved ikke"])
    bands: list[Bands] = Field(default_factory=list)
    outcome_criterion: str | None = None  # a share criterion whose per-project value is the outcome
    outcome_file: str | None = None  # or a CSV with unit, outcome
    sizes_file: str | None = None  # CSV with unit, population (inhabitants)
    size_bands: list[int] = Field(default_factory=lambda: [0, 25_001, 50_001])

    @model_validator(mode="after")
    def _elements(self):
        if self.elements:
            unknown = sorted({e for e in self.items.values() if e not in self.elements})
            if unknown:
                raise ValueError(f"items map to undeclared core elements: {', '.join(unknown)}")
        banded = {i for b in self.bands for i in b.items}
        stray = sorted(banded - set(self.items))
        if stray:
            raise ValueError(f"banded items not in `items`: {', '.join(stray)}")
        return self


class Survey(_Strict):
    name: str
    label: str | None = None
    file: str
    respondent_column: str = "respondent"
    unit_column: str = "projekt"
    wave_column: str = "wave"
    items: dict[str, str]  # column -> statement
    agree: list[str] = Field(default_factory=lambda: ["enig", "helt enig"])
    missing: list[str] = Field(default_factory=lambda: ["ved ikke", ""])
    # every answer must be one of these, `agree` or `missing` (compared without case); anything else is refused
    answers: list[str] = Field(default_factory=lambda: ["helt uenig", "uenig", "hverken enig eller uenig", "enig",
                                                        "helt enig"])
    population_step: str | None = None  # funnel step whose cumulative count is the registered population


class MonitoringSpec(_Strict):
    """The `monitoring:` section of the design file. The success criteria and the disclosure threshold are the
    design's own (top-level `success_criteria` and `disclosure_threshold`), not repeated here."""

    programme: str = "Programme"
    start: str | None = None  # YYYY-MM, first month of reports (default: first index month)
    end: str | None = None  # YYYY-MM, last month
    registration_file: str = "registration.xlsx"
    registration: RegistrationGuide
    funnel: list[FunnelStep]
    register_results: RegisterResults = Field(default_factory=RegisterResults)
    fidelity: Fidelity | None = None
    surveys: list[Survey] = Field(default_factory=list)

    def step(self, name: str) -> FunnelStep:
        for s in self.funnel:
            if s.name == name:
                return s
        raise KeyError(name)

    @model_validator(mode="after")
    def _references(self):
        steps = [s.name for s in self.funnel]
        if len(set(steps)) != len(steps):
            raise ValueError("funnel step names must be unique")
        if not steps:
            raise ValueError("the funnel needs at least one step")
        g = self.registration
        for s in self.funnel:
            if g.layout == "per_citizen" and s.column is None:
                raise ValueError(f"funnel step '{s.name}': a per_citizen sheet needs `column`")
            if g.layout == "event_log" and s.event is None:
                raise ValueError(f"funnel step '{s.name}': an event_log sheet needs `event`")
            if g.layout == "per_citizen" and g.column(s.column) is None:
                raise ValueError(f"funnel step '{s.name}' refers to unknown column '{s.column}'")
        for s in self.surveys:
            if s.population_step is not None and s.population_step not in steps:
                raise ValueError(f"survey '{s.name}' refers to unknown funnel step '{s.population_step}'")
        if self.register_results.temp_from_step and self.register_results.temp_from_step not in steps:
            raise ValueError("register_results.temp_from_step is not a funnel step")
        for m in (self.start, self.end):
            if m is not None:
                _check_month(m)
        return self


class MonitoringConfig(MonitoringSpec):
    """Everything monitoring runs on: the section, the design's success criteria and disclosure threshold."""

    success_criteria: list[SuccessCriterion] = Field(default_factory=list)
    disclosure_threshold: int = Field(default=DISCLOSURE_THRESHOLD, ge=1)

    @model_validator(mode="after")
    def _criteria(self):
        steps = [s.name for s in self.funnel]
        for c in self.success_criteria:
            for ref in (c.numerator, c.denominator):
                if ref is not None and ref not in steps:
                    raise ValueError(f"criterion '{c.name}' refers to unknown funnel step '{ref}'; the funnel has "
                                     f"{', '.join(steps)}")
        names = [c.name for c in self.success_criteria]
        if len(set(names)) != len(names):
            raise ValueError("success criterion names must be unique")
        if self.fidelity and self.fidelity.outcome_criterion:
            crit = next((c for c in self.success_criteria if c.name == self.fidelity.outcome_criterion), None)
            if crit is None or crit.kind != "share":
                raise ValueError("fidelity.outcome_criterion must name a share success criterion")
        return self


def _check_month(value: str) -> None:
    import re

    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
        raise ValueError(f"'{value}' is not a month (YYYY-MM)")

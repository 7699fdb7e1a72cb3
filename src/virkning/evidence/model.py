"""The evidence-base file format, version 1: pydantic models of study records (Bilag 3 of seed 004), the search
flow, the review's own statements, declared syntheses and the grading rule.

A study record follows the appraisal template of seed 004 (Bilag 3, lines 1329-1354):

- *stamdata*: title, authors, year, publisher, target group (population), geography (country + text), design,
  intervention, comparison, N, outcomes;
- *indholdsmæssig vurdering* (``content``): purpose, interventions/core elements, themes, theoretical expectations
  and mechanisms, results, recommendations;
- *metodisk vurdering* (``method``): the design in words, reliability and transparency 1-5, transferability 1-5,
  each with its reason (footnotes 24-25 of the seed: 1 = low, 5 = high);

plus what the seed's synthesis needs: the core elements the study informs and its ``findings`` -- effects in their
native metric with their uncertainty, direction, mechanism (the effect vocabulary) and where in the source they
are stated. ``null`` (or leaving a key out) means the source does not say; nothing is filled in.

Only single-record rules live here; rules across records (unique ids, declared vocabulary keys, syntheses) are
checked in :mod:`virkning.evidence.base`.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from virkning.evidence.vocabulary import Design, Direction, VocabularySpec

FORMAT_VERSION = 1
ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_.-]*$"
Id = Annotated[str, Field(pattern=ID_PATTERN, max_length=80)]

Grade = Literal["strong", "moderate", "indication", "conflicting", "insufficient", "unspecified"]
GRADE_LABELS = {
    "strong": ("stærk evidens", "strong evidence"),
    "moderate": ("moderat evidens", "moderate evidence"),
    "indication": ("indikation", "indication"),
    "conflicting": ("modstridende viden", "conflicting evidence"),
    "insufficient": ("utilstrækkelig viden", "insufficient evidence"),
    "unspecified": ("evidens (grad ikke angivet)", "evidence (grade not stated)"),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _range_text(low: float, high: float) -> str:
    return f"{low:g} to {high:g}"


class Score(_Strict):
    """A 1-5 appraisal score with its reason. ``score`` is a whole number 1-5, a range written "3-4" (the seed
    gives one), or null when the source gives none."""

    score: int | str | None = None
    reason: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, v: Any) -> Any:
        if isinstance(v, bool) or isinstance(v, list):
            raise ValueError(f"expected a score 1-5 (or a mapping with score and reason); got {v!r}")
        if v is None or isinstance(v, (int, float, str)):
            return {"score": v}
        return v

    @field_validator("score", mode="before")
    @classmethod
    def _check(cls, v: Any) -> Any:
        if v is None:
            return None
        if isinstance(v, bool) or isinstance(v, float) and not v.is_integer():
            raise ValueError(f"a score is a whole number from 1 to 5; got {v!r}")
        if isinstance(v, (int, float)):
            v = int(v)
            if not 1 <= v <= 5:
                raise ValueError(f"score {v} is outside 1-5 (1 = low, 5 = high)")
            return v
        if isinstance(v, str):
            m = re.fullmatch(r"\s*([0-9]+)\s*(?:-|–|to)\s*([0-9]+)\s*", v)
            if not m and v.strip().isdigit():
                return cls._check(int(v))
            if not m:
                raise ValueError(f"a score is a whole number 1-5 or a range like \"3-4\"; got {v!r}")
            lo, hi = int(m.group(1)), int(m.group(2))
            for s in (lo, hi):
                if not 1 <= s <= 5:
                    raise ValueError(f"score {s} in {v!r} is outside 1-5 (1 = low, 5 = high)")
            if lo > hi:
                raise ValueError(f"the range {v!r} runs backwards; write the lower score first")
            return lo if lo == hi else f"{lo}-{hi}"
        raise ValueError(f"a score is a whole number 1-5 or a range like \"3-4\"; got {v!r}")

    @property
    def low(self) -> int | None:
        return None if self.score is None else int(str(self.score).split("-")[0])

    @property
    def high(self) -> int | None:
        return None if self.score is None else int(str(self.score).split("-")[-1])


class Publication(_Strict):
    """Where the study appeared. ``top_tier`` marks one of the highest-ranked journals (jobeffekter.dk weights
    these highest); null = not stated."""

    type: Literal["journal", "working_paper", "report", "book", "other"]
    venue: str | None = None
    top_tier: bool | None = None


class Content(_Strict):
    """Indholdsmæssig vurdering af studiet."""

    purpose: str | None = None
    interventions: str | None = None
    themes: list[str] = Field(default_factory=list)
    mechanisms: str | None = None  # teoretiske forventninger og mekanismer
    results: list[str] = Field(default_factory=list)
    recommendations: list[str] = Field(default_factory=list)


class Method(_Strict):
    """Metodisk vurdering af studiet. ``status``: 'confirmed' (the appraiser's), or 'proposed' (made by virkning
    from an evaluation's results; a rule ignores it until a person confirms it)."""

    design_description: str | None = None
    reliability: Score = Field(default_factory=Score)  # pålidelighed og gennemsigtighed
    transferability: Score = Field(default_factory=Score)  # overførbarhed
    status: Literal["confirmed", "proposed"] = "confirmed"
    appraised_by: str | None = None


class Finding(_Strict):
    """One result of a study: what was measured, in which direction, and the effect in its native metric.

    ``value`` is a number, or ``[low, high]`` when the source gives a range ("2-4 pp"); uncertainty is ``se``
    and/or ``ci`` ([low, high] at ``ci_level``). ``direction`` is judged against the outcome (positive = good
    for the unemployed: more employment, shorter unemployment), not the sign of the number. ``combination``
    says whether the result concerns a combination of interventions or of target groups (jobeffekter.dk's
    combination factor); a ``subgroup`` result is a sub-division of the target group; ``mechanism`` names the
    part of the effect a result is about (motivation, lock-in ...); ``secondary`` marks another measure beside the
    study's main result (e.g. permanent rather than any employment).
    """

    def is_main(self) -> bool:
        """A main result: the whole target group, the whole effect (no mechanism), not marked secondary."""
        return self.subgroup is None and self.mechanism is None and not self.secondary

    id: Id | None = None
    core_element: str | None = None
    topic: str | None = None
    outcome: str
    measure: str | None = None
    metric: str | None = None
    value: Any = None  # a number or [low, high]; checked below so that the message is about this field
    approximate: bool = False
    se: float | None = None
    ci: list[float] | None = None
    ci_level: float = 0.95
    n: int | None = Field(default=None, ge=1)
    subgroup: str | None = None
    horizon: str | None = None
    direction: Direction
    significant: bool | None = None
    mechanism: str | None = None
    combination: Literal["none", "intervention", "target_group", "both"] = "none"
    secondary: bool = False  # another measure or a sub-analysis beside the study's main result
    reported_grade: str | None = None
    text: str | None = None
    source: str | None = None

    @field_validator("value", mode="before")
    @classmethod
    def _value(cls, v: Any) -> Any:
        def number(x: Any) -> bool:
            return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)

        if v is None:
            return None
        if isinstance(v, list):
            if len(v) != 2 or not all(number(x) for x in v):
                raise ValueError(f"a range is two finite numbers [low, high]; got {v!r}")
            if v[0] > v[1]:
                raise ValueError(f"the range {v} runs backwards; write [low, high]")
            return [float(x) for x in v]
        if not number(v):
            raise ValueError(f"the effect is a finite number, or [low, high] for a range; got {v!r}")
        return float(v)

    @field_validator("se")
    @classmethod
    def _se(cls, v: float | None) -> float | None:
        if v is not None and not (math.isfinite(v) and v > 0):
            raise ValueError(f"a standard error must be a positive number; got {v}")
        return v

    @field_validator("ci")
    @classmethod
    def _ci(cls, v: list[float] | None) -> list[float] | None:
        if v is not None:
            if len(v) != 2 or not all(math.isfinite(x) for x in v):
                raise ValueError(f"a confidence interval is two finite numbers [low, high]; got {v}")
            if v[0] >= v[1]:
                raise ValueError(f"the interval {v} is empty or backwards; write [low, high] with low < high")
        return v

    @field_validator("ci_level")
    @classmethod
    def _level(cls, v: float) -> float:
        if not 0 < v < 1:
            raise ValueError(f"a confidence level lies between 0 and 1 (e.g. 0.95); got {v}")
        return v

    @model_validator(mode="after")
    def _uncertainty_needs_number(self) -> Finding:
        if (self.se is not None or self.ci is not None) and self.value is None:
            raise ValueError("an uncertainty (se or ci) is given without the effect 'value' it belongs to")
        if self.value is not None and self.metric is None:
            raise ValueError("the effect 'value' has no 'metric'; name the metric (e.g. employment_pp) so that "
                             "the number has a unit")
        if isinstance(self.value, list) and (self.se is not None or self.ci is not None):
            raise ValueError("a range value cannot carry a standard error or interval; give the point estimate")
        if self.ci is not None and isinstance(self.value, (int, float)) and not self.ci[0] <= self.value <= \
                self.ci[1]:
            raise ValueError(f"the value {self.value:g} lies outside its interval {self.ci}")
        return self

    @property
    def point(self) -> float | None:
        """The point estimate (None for a range or a missing value)."""
        return float(self.value) if isinstance(self.value, (int, float)) else None

    def value_text(self) -> str:
        if self.value is None:
            return ""
        if isinstance(self.value, list):
            text = _range_text(*self.value)
        else:
            text = f"{self.value:g}"
        return ("ca. " if self.approximate else "") + text


class Study(_Strict):
    """One study record (a publication). Publications of the same evaluation point to each other with
    ``same_evaluation_as`` so that a trial reported twice is counted once."""

    id: Id
    title: str = Field(min_length=1)
    authors: list[str] = Field(min_length=1)
    year: int = Field(ge=1900, le=2100)
    publisher: str | None = None
    publication: Publication | None = None
    population: str | None = None
    country: str
    geography: str | None = None
    design: Design
    intervention: str | None = None
    comparison: str | None = None
    n: int | None = Field(default=None, ge=1)
    n_treated: int | None = Field(default=None, ge=1)
    n_control: int | None = Field(default=None, ge=1)
    outcomes: list[str] = Field(default_factory=list)
    core_elements: list[str] = Field(default_factory=list)
    same_evaluation_as: str | None = None
    origin: Literal["search", "own_evaluation", "added"] = "search"  # found by the search, or added afterwards
    content: Content = Field(default_factory=Content)
    method: Method = Field(default_factory=Method)
    findings: list[Finding] = Field(default_factory=list)
    notes: str | None = None
    source: str | None = None

    @field_validator("country")
    @classmethod
    def _country(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Z]{2}", v):
            raise ValueError(f"country is a two-letter ISO 3166 code in capitals (DK, SE, IT ...); got {v!r}")
        return v

    @field_validator("authors")
    @classmethod
    def _authors(cls, v: list[str]) -> list[str]:
        if any(not a.strip() for a in v):
            raise ValueError("an author name is empty")
        return v

    @model_validator(mode="after")
    def _ids_and_counts(self) -> Study:
        ids = [f.id for f in self.findings if f.id is not None]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"finding id(s) {dupes} occur more than once in the study")
        if self.n is not None and self.n_treated is not None and self.n_control is not None and \
                self.n != self.n_treated + self.n_control:
            raise ValueError(f"n = {self.n} is not n_treated + n_control = {self.n_treated + self.n_control}")
        if self.same_evaluation_as == self.id:
            raise ValueError("same_evaluation_as points to the study itself")
        return self

    @property
    def total_n(self) -> int | None:
        """N as given, or treated + control when only those are given."""
        if self.n is not None:
            return self.n
        if self.n_treated is not None and self.n_control is not None:
            return self.n_treated + self.n_control
        return None

    def finding_ids(self) -> list[str]:
        """Each finding's id: its own, or f1, f2 ... by position."""
        return [f.id if f.id is not None else f"f{i + 1}" for i, f in enumerate(self.findings)]

    def label(self) -> str:
        """'Pedersen et al. (2012)', 'Rosholm and Svarer (2010)', as a forest plot or table names a study. A person
        is written 'Last, First' or 'First Last'; a name of four or more words without a comma is an organisation
        and is kept whole ('Ekspertgruppen om udredningen af den aktive beskæftigelsesindsats (2014)')."""
        names = [a.split(",")[0].strip() if "," in a else a.strip() if len(a.split()) >= 4 else
                 a.strip().split(" ")[-1] for a in self.authors]
        if len(names) == 1:
            who = names[0]
        elif len(names) == 2:
            who = f"{names[0]} and {names[1]}"
        else:
            who = f"{names[0]} et al."
        return f"{who} ({self.year})"


class Source(_Strict):
    name: str
    hits: int | None = Field(default=None, ge=0)
    note: str | None = None


class Exclusion(_Strict):
    stage: Literal["screening", "full_text"]
    reason: str = Field(min_length=1)
    n: int | None = Field(default=None, ge=0)


class SearchSpec(_Strict):
    """The search flow of a (rapid) evidence assessment; null = the source does not say."""

    method: str | None = None
    sources: list[Source] = Field(default_factory=list)
    duplicates_removed: int | None = Field(default=None, ge=0)
    screened: int | None = Field(default=None, ge=0)
    excluded_screening: int | None = Field(default=None, ge=0)
    assessed_full_text: int | None = Field(default=None, ge=0)
    excluded_full_text: int | None = Field(default=None, ge=0)
    exclusions: list[Exclusion] = Field(default_factory=list)
    included: int | None = Field(default=None, ge=0)
    eligibility: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    source: str | None = None


class ReportedStatement(_Strict):
    """A statement the review itself makes ("stærk evidens for ..."), kept to compare with a rule's result."""

    core_element: str | None = None
    outcome: str | None = None
    topic: str | None = None
    direction: Direction
    grade: Grade
    text: str | None = None
    source: str | None = None


class SynthesisSpec(_Strict):
    """A declared meta-analysis: the studies (``id`` or ``id/finding``) that report ``outcome`` in ``metric``."""

    id: Id
    title: str | None = None
    outcome: str
    metric: str | None = None
    core_element: str | None = None
    studies: list[str] | None = None


class GradingSpec(_Strict):
    """The rule a file declares for its evidence statements, and the rule's parameters."""

    rule: Literal["default", "jobeffekter"] = "default"
    parameters: dict[str, Any] = Field(default_factory=dict)


class BaseInfo(_Strict):
    id: Id | None = None
    title: str | None = None
    question: str | None = None
    source: str | None = None
    notes: str | None = None


class BaseFile(_Strict):
    """The whole file. ``studies`` is validated record by record elsewhere, so one bad study does not hide the
    others' problems."""

    format_version: int
    base: BaseInfo = Field(default_factory=BaseInfo)
    vocabulary: VocabularySpec | None = None
    search: SearchSpec | None = None
    grading: GradingSpec | None = None
    statements: list[ReportedStatement] = Field(default_factory=list)
    syntheses: list[SynthesisSpec] = Field(default_factory=list)
    studies: list[Any] = Field(default_factory=list)

    @field_validator("format_version")
    @classmethod
    def _version(cls, v: int) -> int:
        if v != FORMAT_VERSION:
            raise ValueError(f"this virkning reads format_version {FORMAT_VERSION}; the file says {v}")
        return v

"""The declared vocabularies of an evidence base: core elements, effect mechanisms, outcomes, effect metrics and
study designs.

Core elements, mechanisms, outcomes and metrics start from the defaults below and a file may add its own under
``vocabulary:``; every key a study uses must be declared, so a typo is an error rather than a new category.
Designs are fixed, because the grading rules depend on them.

Sources: the four core elements are seed 004's (Figur 4.1, lines 314-322); the four effect mechanisms are
the seed's (line 328, after Rosholm and Svarer 2011:3). Outcomes and metrics are virkning's; a metric names one
quantity in one unit with the direction that is good for the unemployed, so that effects entered in it can be
pooled and their signs checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Term(BaseModel):
    """One vocabulary entry: a Danish label (the seed's word), optionally an English one and a definition."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    label_da: str = Field(min_length=1)
    label_en: str | None = None
    definition: str | None = None


class Metric(Term):
    """An effect metric: one quantity in one unit. ``favourable`` says which sign is good for the unemployed
    ('higher', 'lower'), or None when the metric itself does not say (a relative change of a named measure)."""

    unit: str = Field(min_length=1)
    favourable: Literal["higher", "lower"] | None = None


CORE_ELEMENTS: dict[str, Term] = {
    "organisering": Term(label_da="Organisering", label_en="Organisation of the service",
                         definition="caseloads, caseworkers and how the job centre organises the effort"),
    "samtaler": Term(label_da="Samtaler", label_en="Meetings with caseworkers",
                     definition="form, content and frequency of meetings between the unemployed and caseworkers"),
    "virksomhedsrettede": Term(label_da="Virksomhedsrettede tilbud", label_en="Employer-based programmes",
                               definition="work practice (virksomhedspraktik) and wage subsidies (løntilskud), "
                                          "private and public; activation in general where a study does not "
                                          "separate it"),
    "kurser": Term(label_da="Kurser, vejledning og uddannelse", label_en="Courses, guidance and education",
                   definition="job-search courses, AMU courses, six weeks' self-chosen education, ordinary "
                              "education, guidance and clarification"),
}

MECHANISMS: dict[str, Term] = {
    "motivation": Term(label_da="Motivationseffekt", label_en="Motivation (threat) effect",
                       definition="the prospect of activation makes the unemployed find work before it starts"),
    "lock_in": Term(label_da="Fastlåsningseffekt", label_en="Lock-in effect",
                    definition="participants search less and stay unemployed longer while in the programme "
                               "(the seed also says fastholdelseseffekt)"),
    "programme": Term(label_da="Programeffekt", label_en="Programme (post-programme) effect",
                      definition="taking part raises the chance of employment afterwards"),
    "displacement": Term(label_da="Fortrængningseffekt", label_en="Displacement effect",
                         definition="subsidised employment displaces ordinary employment"),
}

OUTCOMES: dict[str, Term] = {
    "employment": Term(label_da="Beskæftigelse", label_en="Employment",
                       definition="getting and keeping work: employment rate, exit from unemployment to work, "
                                  "self-sufficiency, duration of unemployment (the job effect)"),
    "earnings": Term(label_da="Løn og indkomst", label_en="Earnings"),
    "job_search": Term(label_da="Jobsøgning", label_en="Job search"),
    "sickness": Term(label_da="Overgang til sygedagpenge", label_en="Transition to sickness benefit"),
}

METRICS: dict[str, Metric] = {
    "employment_pp": Metric(label_da="Beskæftigelse (andel), procentpoint", label_en="Employment, percentage points",
                            unit="pp", favourable="higher"),
    "unemployment_pp": Metric(label_da="Ledighed (andel), procentpoint", label_en="Unemployment, percentage points",
                              unit="pp", favourable="lower"),
    "unemployment_weeks": Metric(label_da="Ledighedens varighed, uger", label_en="Unemployment duration, weeks",
                                 unit="weeks", favourable="lower"),
    "unemployment_days": Metric(label_da="Ledighedens varighed, dage", label_en="Unemployment duration, days",
                                unit="days", favourable="lower"),
    "employment_weeks": Metric(label_da="Tid i beskæftigelse, uger", label_en="Time in employment, weeks",
                               unit="weeks", favourable="higher"),
    "percent_change": Metric(label_da="Relativ ændring, procent", label_en="Relative change, percent",
                             unit="%", definition="a relative change of the measure named in the finding"),
}

Design = Literal["rct", "controlled_trial", "quasi_experimental", "literature_review", "meta_analysis",
                 "expert_report", "descriptive", "other"]

DESIGNS: dict[str, Term] = {
    "rct": Term(label_da="Randomiseret kontrolleret forsøg", label_en="Randomised controlled trial"),
    "controlled_trial": Term(label_da="Kontrolleret forsøg", label_en="Controlled trial",
                             definition="a trial with a control group whose randomisation the source does not state"),
    "quasi_experimental": Term(label_da="Økonometrisk/statistisk effektstudie", label_en="Observational effect study",
                               definition="register-based effect study with a comparison group: matching, "
                                          "difference-in-differences, timing-of-events, IV, RD ..."),
    "literature_review": Term(label_da="Litteraturstudie", label_en="Literature review"),
    "meta_analysis": Term(label_da="Metaanalyse", label_en="Meta-analysis"),
    "expert_report": Term(label_da="Ekspertrapport", label_en="Expert group report"),
    "descriptive": Term(label_da="Kvantitativ evaluering uden kontrolgruppe",
                        label_en="Quantitative evaluation without a comparison group"),
    "other": Term(label_da="Andet", label_en="Other"),
}

#: designs that estimate an effect against a comparison group, and designs that synthesise other studies
EFFECT_DESIGNS = frozenset({"rct", "controlled_trial", "quasi_experimental"})
REVIEW_DESIGNS = frozenset({"literature_review", "meta_analysis", "expert_report"})

Direction = Literal["positive", "negative", "none", "unknown"]
DIRECTIONS: dict[str, Term] = {
    "positive": Term(label_da="positiv", label_en="positive",
                     definition="favourable for the outcome (more employment, shorter unemployment ...)"),
    "negative": Term(label_da="negativ", label_en="negative", definition="unfavourable for the outcome"),
    "none": Term(label_da="ingen effekt", label_en="no effect", definition="no significant effect"),
    "unknown": Term(label_da="ukendt", label_en="unknown", definition="the source does not say"),
}

KINDS = ("core_elements", "mechanisms", "outcomes", "metrics")


@dataclass(frozen=True)
class Vocabulary:
    """The keys an evidence base may use: the defaults plus what its file declares."""

    core_elements: dict[str, Term] = field(default_factory=lambda: dict(CORE_ELEMENTS))
    mechanisms: dict[str, Term] = field(default_factory=lambda: dict(MECHANISMS))
    outcomes: dict[str, Term] = field(default_factory=lambda: dict(OUTCOMES))
    metrics: dict[str, Metric] = field(default_factory=lambda: dict(METRICS))
    added: tuple[tuple[str, str], ...] = ()  # (kind, key) declared by the file, for the record

    def label(self, kind: str, key: str | None, language: str = "da") -> str:
        if key is None:
            return ""
        term = getattr(self, kind).get(key) if kind in KINDS else DESIGNS.get(key) if kind == "designs" else None
        if term is None:
            return str(key)
        return (term.label_en or term.label_da) if language == "en" else term.label_da

    def to_dict(self) -> dict[str, object]:
        return {kind: {k: v.model_dump(exclude_none=True) for k, v in getattr(self, kind).items()} for kind in KINDS}


class VocabularySpec(BaseModel):
    """The ``vocabulary:`` section of a file: new keys for each kind (the defaults are always there)."""

    model_config = ConfigDict(extra="forbid")
    core_elements: dict[str, Term] = Field(default_factory=dict)
    mechanisms: dict[str, Term] = Field(default_factory=dict)
    outcomes: dict[str, Term] = Field(default_factory=dict)
    metrics: dict[str, Metric] = Field(default_factory=dict)


def extend(spec: VocabularySpec | None) -> tuple[Vocabulary, list[tuple[tuple, str]]]:
    """The default vocabulary plus the file's keys. Returns the vocabulary and (loc, message) for keys that
    redefine a default (a file may add words, not change the meaning of the shipped ones)."""
    if spec is None:
        return Vocabulary(), []
    issues: list[tuple[tuple, str]] = []
    defaults = Vocabulary()
    merged: dict[str, dict] = {}
    added = []
    for kind in KINDS:
        base = dict(getattr(defaults, kind))
        for key, term in getattr(spec, kind).items():
            if not isinstance(key, str) or not key.replace("_", "").isalnum() or not key[:1].isalpha():
                issues.append((("vocabulary", kind, key), f"key {key!r} must be a word of letters, digits and _ "
                                                          "starting with a letter"))
                continue
            if key in base:
                issues.append((("vocabulary", kind, key), f"'{key}' is already a default {kind[:-1].replace('_', ' ')}"
                                                          f" ({base[key].label_da}); choose another key"))
                continue
            base[key] = term
            added.append((kind, key))
        merged[kind] = base
    return Vocabulary(**merged, added=tuple(added)), issues

"""The `jobrotation:` section of the design file (seed 003, KOMPETENCEmidt 2.0).

    jobrotation:
      registration_file: jobrotation.csv        # one row per rotation: employee, substitute, firm, start, end, hours
      columns: {employee: medarbejder, substitute: vikar, firm: virksomhed, start: start, end: slut,
                hours: timer_pr_uge}
      firms_file: firms.csv                    # the optional contract table `firms` (firm_id, year, employees)
      rules: {min_unemployed_weeks: 13, unemployed_states: [ledig, kontanthjælp, aktivering], min_hours: 10,
              max_months: 12, max_employees: 249, concurrent: true}
      outcomes: {months_after: [3, 6, 12], status: beskæftiget, covariates: [...], exact: [sex]}
      search: {candidates_file: candidates.csv, request: {...}, weights: {...}, priority: longest_unemployed}

The law's rules (the substitute unemployed at least 3 months on dagpenge or kontanthjælp, at least 10 hours a week,
at most 12 months; no VEU, SVU or løntilskud for the employee at the same time) have the seed's values as defaults;
the firm-size limit is the project's own (small and medium firms, at most 249 employees: seed 003, 628 and 758) and
has no default: a design that wants it declares it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from virkning.design.types import CovariateName, Date, PoolState, Section, Text, Whole0, Whole1, none_is_empty
from virkning.analyses.programme.spec import Status

DEFAULT_COVARIATES = ("age", "sex", "education", "weeks_ledig_52w", "weeks_ydelse_156w", "employment_36m",
                      "spell_weeks")


class Columns(Section):
    employee: Text = "medarbejder"
    substitute: Text = "vikar"
    firm: Text = "virksomhed"
    start: Text = "start"
    end: Text = "slut"
    hours: Text = "timer_pr_uge"
    unit: Text | None = None  # e.g. the job centre or activity, for the outcomes' units


class Rules(Section):
    min_unemployed_weeks: Whole1 = 13  # 3 months before the start (13 weeks)
    unemployed_states: list[PoolState] = Field(default_factory=lambda: ["ledig", "kontanthjælp", "aktivering"])
    min_hours: float = Field(default=10, ge=0)
    max_months: Whole1 = 12
    max_employees: Whole1 | None = None  # the project's firm-size limit (not law): e.g. 249
    concurrent: bool = True
    concurrent_codes: dict[str, list[Text]] | None = None  # support -> DREAM codes; default from the catalogue

    @field_validator("unemployed_states", mode="before")
    @classmethod
    def _states(cls, v):
        return none_is_empty(v)


class Outcomes(Section):
    """The substitutes against a matched comparison of unemployed non-substitutes (the effect evaluation): the
    status `months_after` months after each rotation's end month; index = the rotation's start."""

    months_after: list[Whole1] = Field(default_factory=lambda: [3, 6, 12])
    status: Status = "beskæftiget"
    pool_state: PoolState = "ledig"  # controls (and substitutes) in this state the week before the start
    covariates: list[CovariateName] = Field(default_factory=lambda: list(DEFAULT_COVARIATES))
    exact: list[CovariateName] = Field(default_factory=lambda: ["sex"])
    ratio: Whole1 = 1
    municipalities: list[Text] | None = None  # the comparison lives here (e.g. the project's region); default: all
    caliper: float | None = Field(default=0.2, gt=0)


class Request(Section):
    """A firm's request for a substitute (the vikarprofil: hours, tasks, competences, wishes; seed 003, 1597-1615)."""

    competences: list[Text] = Field(default_factory=list)
    job_goal: Text | None = None
    hours: float | None = Field(default=None, gt=0)
    locations: list[Text] = Field(default_factory=list)  # municipality codes or names the firm accepts
    jobcentre: Text | None = None  # the consultant's own job centre, searched first
    date: Date | None = None  # the date unemployment is counted to (default: the data's end)


class Weights(Section):
    competences: float = Field(default=0.4, ge=0)
    job_goal: float = Field(default=0.2, ge=0)
    hours: float = Field(default=0.15, ge=0)
    location: float = Field(default=0.1, ge=0)
    unemployment: float = Field(default=0.15, ge=0)

    @model_validator(mode="after")
    def _some(self):
        if sum(self.model_dump().values()) <= 0:
            raise ValueError("at least one weight must be greater than 0")
        return self


class Search(Section):
    candidates_file: Text = "candidates.csv"
    request: Request
    weights: Weights = Field(default_factory=Weights)
    priority: Literal["score", "longest_unemployed"] = "longest_unemployed"
    min_score: float = Field(default=0.5, ge=0, le=1)  # suitable candidates; longest unemployed first among them
    own_jobcentre_first: bool = True
    top: Whole0 = 20


class JobRotationSpec(Section):
    registration_file: Text = "jobrotation.csv"
    sheet: Text | None = None
    columns: Columns = Field(default_factory=Columns)
    firms_file: Text | None = "firms.csv"
    rules: Rules = Field(default_factory=Rules)
    outcomes: Outcomes | None = Field(default_factory=Outcomes)
    search: Search | None = None

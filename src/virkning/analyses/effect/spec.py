"""The effect evaluation's section of the design file: who took part, who may be a control, exclusions, covariates,
matching, outcomes, uncertainty, subgroups and robustness variants. Its keys sit at the root of the design file
(docs/design-file.md); `compile` turns the checked section into the `EffectDesign` the pipeline runs.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool, ValidationInfo, field_validator

from virkning.analyses.effect.pipeline import EffectDesign, Subgroup
from virkning.defaults import HORIZON_MONTHS, N_BOOT
from virkning.design.types import (AgeRange, Caliper, CovariateName, Date, Edges, Municipalities, Number, Op, PoolState,
                                   PositiveNumber, Section, Text, WeekOffset, Whole1, Whole2, fail, Horizon, Ratio, Replications,
                                   none_is_empty, note)
from virkning.outcomes import DEFAULT_STATUS, EXIT_STATES, KINDS, MONTH_STATES, Outcome
from virkning.populations import Exclusion, ParticipantRule, PoolRule
from virkning.registers.catalogue import canonical_state


class ParticipantsSpec(Section):
    event: Text
    start: Date | None = Field(None, alias="from")
    end: Date | None = Field(None, alias="to")
    units: Annotated[list[Text], Field(min_length=1)] | None = None

    @field_validator("end")
    @classmethod
    def _after_start(cls, v: dt.date | None, info: ValidationInfo):
        start = info.data.get("start")
        if v is not None and start is not None and v < start:
            raise fail(f"expected a date on or after 'from' ({start.isoformat()})")
        return v


class PoolSpec(Section):
    age: AgeRange | None = None
    age_date: Date | None = None
    states: Annotated[dict[WeekOffset, PoolState], Field(min_length=1)]
    exclude_municipalities: Municipalities = "participants"
    participants: Literal["never", "not_yet"] = "never"
    apply_to_participants: StrictBool = True


class ExclusionSpec(Section):
    name: Text
    covariate: CovariateName
    op: Op
    value: Number


class MatchingSpec(Section):
    exact: list[CovariateName] = []
    ratio: Ratio = 1
    replace: StrictBool = False
    # a number (the distance's caliper) or MatchIt's named form {distance: 0.2, age: 5}: widths in standard
    # deviations unless std_caliper is false
    caliper: Caliper | None = None
    std_caliper: StrictBool = True
    antiexact: list[CovariateName] = []
    distance: Literal["logit", "ps", "mahalanobis"] = "logit"
    discard: Literal["none", "both", "treated", "control"] = "none"

    @field_validator("exact", "antiexact", mode="before")
    @classmethod
    def _null_is_empty(cls, v):
        return none_is_empty(v)



class OutcomeSpec(Section):
    name: Text
    kind: Literal["first_exit", "status_share", "benefit_weeks"] = "first_exit"
    status: Text | None = None
    horizon: Horizon = HORIZON_MONTHS

    @field_validator("status")
    @classmethod
    def _status_fits_kind(cls, v: str | None, info: ValidationInfo):
        if v is None:
            return v
        kind = info.data.get("kind")
        if kind == "benefit_weeks":
            raise note("benefit_weeks counts the weeks on any benefit and takes no status; remove the key")
        state = canonical_state(v)
        if kind == "status_share":
            if state not in MONTH_STATES:
                raise fail(f"expected a monthly status (groups such as tilbagetrukket are not one): "
                            f"one of {', '.join(MONTH_STATES)}")
        elif state is None:
            raise fail(f"expected a state, group or monthly status: one of {', '.join(EXIT_STATES)}")
        return state

    @property
    def resolved_status(self) -> str | None:
        if self.kind == "benefit_weeks":
            return None
        return self.status or DEFAULT_STATUS


class SubgroupSpec(Section):
    name: Text
    covariate: CovariateName
    edges: Edges | None = None



class EffectSpec(Section):
    """The effect evaluation's keys (at the root of the design file)."""

    participants: ParticipantsSpec
    pool: PoolSpec
    exclusions: list[ExclusionSpec] = []
    covariates: Annotated[list[CovariateName], Field(min_length=1)]
    matching: MatchingSpec = Field(default_factory=MatchingSpec)
    outcomes: Annotated[list[OutcomeSpec], Field(min_length=1)]
    censoring: Literal["km", "full_followup"] = "km"
    se: Literal["cluster", "bootstrap", "rematch"] = "cluster"
    n_boot: Replications = N_BOOT
    adjust: Literal["none", "regression"] = "none"
    sensitivity: StrictBool = True
    subgroups: list[SubgroupSpec] = []
    robustness: dict[Text, Any] = {}  # each variant is checked against the design it changes (design.compile)

    @field_validator("exclusions", "subgroups", mode="before")
    @classmethod
    def _null_is_empty(cls, v):
        return none_is_empty(v)

    @field_validator("robustness", mode="before")
    @classmethod
    def _null_is_no_variants(cls, v):
        return {} if v is None else v


# Keys a robustness variant may change; the three sections merge key by key, everything else is replaced.
VARIANT_KEYS = ("participants", "pool", "exclusions", "covariates", "matching", "censoring", "se", "n_boot",
                "subgroups", "seed", "adjust", "sensitivity")
VARIANT_SECTIONS = ("participants", "pool", "matching")

HINTS = {
    "participants": "who took part, e.g. participants: {event: informationsmøde}",
    "pool": "who may be a control, e.g. pool: {states: {-1: ledig, 0: ledig}}",
    "covariates": "the list of matching covariates",
    "outcomes": "a list with at least one outcome, e.g. [{name: exit_beskaeftiget}]",
    "event": "the event that makes a person a participant, e.g. informationsmøde",
    "states": "week offset: state, e.g. {-1: ledig, 0: ledig}",
}


def compile_effect(spec: EffectSpec, *, seed: int, end_month: str | None) -> EffectDesign:
    """The checked section as the pipeline's `EffectDesign`."""
    p, pool = spec.participants, spec.pool
    return EffectDesign(
        participants=ParticipantRule(p.event, p.start, p.end, tuple(p.units) if p.units is not None else None),
        pool=PoolRule(age=pool.age, age_date=pool.age_date, states=dict(pool.states),
                      exclude_municipalities=pool.exclude_municipalities, participants=pool.participants,
                      apply_to_participants=pool.apply_to_participants),
        covariates=tuple(spec.covariates),
        outcomes=tuple(Outcome(o.name, o.kind, o.resolved_status, o.horizon) for o in spec.outcomes),
        exact=tuple(spec.matching.exact),
        exclusions=tuple(Exclusion(e.name, e.covariate, e.op, e.value) for e in spec.exclusions),
        ratio=spec.matching.ratio,
        replace=spec.matching.replace,
        caliper=(tuple(spec.matching.caliper.items()) if isinstance(spec.matching.caliper, dict)
                 else spec.matching.caliper),
        std_caliper=spec.matching.std_caliper,
        antiexact=tuple(spec.matching.antiexact),
        distance=spec.matching.distance,
        discard=spec.matching.discard,
        censoring=spec.censoring,
        se=spec.se,
        adjust=spec.adjust,
        sensitivity=spec.sensitivity,
        n_boot=spec.n_boot,
        subgroups=tuple(Subgroup(s.name, s.covariate, s.edges) for s in spec.subgroups),
        seed=seed,
        end_month=end_month,
    )

"""Success criteria (succeskriterier): the programme's targets, declared once at the top of the design file.

A criterion counts persons who passed a step of the monitoring funnel (`count`, e.g. 100-150 attendees per project)
or the share of one step's persons who passed another (`share`, e.g. 80 % of attendees signed up with a temp
agency), per project or in total. Monitoring checks them month by month; the design file has one list of them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import ValidationInfo, field_validator, model_validator

from virkning.design.types import Section, Target, Text, fail, note


class SuccessCriterion(Section):
    name: Text
    label: Text | None = None
    kind: Literal["count", "share"]
    numerator: Text  # a funnel step
    denominator: Text | None = None  # a funnel step (share)
    target: Target  # a number (at least this many / this share) or [min, max]
    per: Literal["project", "total"] = "project"

    @field_validator("denominator")
    @classmethod
    def _count_has_none(cls, v: str | None, info: ValidationInfo):
        if v is not None and info.data.get("kind") == "count":
            raise note("a count has no denominator; remove the key or use kind: share")
        return v

    @field_validator("target")
    @classmethod
    def _share_is_fraction(cls, v, info: ValidationInfo):
        values = v if isinstance(v, tuple) else (v,)
        if info.data.get("kind") == "share" and any(x > 1 for x in values):
            raise fail("expected a share between 0 and 1 (write 0.8 for 80 %)")
        return v

    @model_validator(mode="after")
    def _share_has_denominator(self):
        if self.kind == "share" and self.denominator is None:
            raise ValueError(f"criterion '{self.name}': a share needs a denominator (the step it is a share of)")
        return self

    @property
    def target_min(self) -> float:
        return float(self.target[0] if isinstance(self.target, tuple) else self.target)

    @property
    def target_max(self) -> float:
        return float(self.target[1] if isinstance(self.target, tuple) else self.target)

"""The substitutes' outcomes after their rotation against a matched comparison, with the effect evaluation.

The substitutes are the participants (index = the rotation's start; `ParticipantRule.given`), the pool is everyone
in `pool_state` in each of the 13 weeks before (the rule's eligibility, asked of both groups) who is never a
substitute, and matching is the effect evaluation's (risk sets
exact on the start week, propensity score, nearest neighbour without replacement). A control is measured from the
same week as its substitute and in the same calendar months: for a rotation of L months (start month to end month)
the outcome h months after the rotation is the status in month L + h after the start month, for the substitute and
for its matched controls alike. The ATT per h comes from the estimate package (cluster-robust SE on matched sets).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from virkning.analyses.effect.pipeline import EffectDesign, EffectEvaluation, evaluate
from virkning.analyses.jobrotation.rules import rotation_months
from virkning.analyses.jobrotation.spec import Outcomes
from virkning.estimate.curves import monthly_effects
from virkning.outcomes import Outcome
from virkning.populations import ParticipantRule, PoolRule

if TYPE_CHECKING:
    from virkning.registers import Registers

EVENT = "jobrotation substitutes"
MAX_MONTHS = 36  # rotations longer than this are left out of the outcomes (they break the 12-month rule anyway)


@dataclass(frozen=True)
class SubstituteOutcomes:
    effects: pd.DataFrame  # month (h after the rotation), att, se, ci, means, n_treated, n_control
    flow: pd.DataFrame = field(repr=False)  # step, participants (substitutes)
    evaluation: EffectEvaluation | None = field(default=None, repr=False)
    data: pd.DataFrame | None = field(default=None, repr=False)  # the matched data with after_rotation_<h>, L


def substitute_outcomes(regs: "Registers", rotations: pd.DataFrame, spec: Outcomes, seed: int,
                        n_boot: int = 0, unemployed_weeks: int = 13) -> SubstituteOutcomes:
    """Substitutes (first rotation each) against the matched pool: everyone in `pool_state` in each of the
    `unemployed_weeks` weeks before the start week, as the rule asks of a substitute, and never a substitute."""
    rot = rotations.assign(L=[rotation_months(s, e) for s, e in zip(rotations["start"], rotations["end"])])
    rot = rot[rot["L"] <= MAX_MONTHS]
    first = rot.sort_values(["substitute", "start"], kind="stable").drop_duplicates("substitute")
    lengths = dict(zip(first["substitute"], first["L"]))
    horizon = int(max(lengths.values(), default=0) + max(spec.months_after))
    outcome = Outcome("after", "status_share", spec.status, horizon)
    design = EffectDesign(
        participants=ParticipantRule(EVENT, given=tuple((str(s), d, u or None) for s, d, u in
                                                        zip(first["substitute"], first["start"], first["unit"]))),
        pool=PoolRule(states={-k: spec.pool_state for k in range(1, unemployed_weeks + 1)},
                      exclude_municipalities=_outside(regs, spec.municipalities), participants="never"),
        covariates=tuple(spec.covariates), exact=tuple(spec.exact), outcomes=(outcome,), ratio=spec.ratio,
        caliper=spec.caliper, n_boot=max(n_boot, 1), seed=seed)
    ev = evaluate(regs, design)
    m = ev.matching
    data = ev.data
    treated = data["treat"].to_numpy() == 1
    set_length = {}
    for row in np.flatnonzero(treated & (m.subclass > 0)):
        set_length[int(m.subclass[row])] = lengths[str(data.at[row, "person_id"])]
    L = np.array([set_length.get(int(s), -1) for s in m.subclass])
    cols, new = [], {}
    for h in spec.months_after:
        col = f"after_rotation_{h}"
        values = np.full(len(data), np.nan)
        for length in np.unique(L[L >= 0]):
            k = int(length) + h
            if k <= horizon:
                rows = L == length
                values[rows] = data[outcome.column(k)].to_numpy(dtype=float, na_value=np.nan)[rows]
        new[col] = values
        cols.append(col)
    m2 = dataclasses.replace(m, source=data.assign(**new, rotation_months=L, matched_set=m.subclass))
    effects = monthly_effects(m2, cols, list(spec.months_after), outcome=f"{spec.status}", se="cluster")
    flow = ev.flow[["step", "participants"]].dropna().reset_index(drop=True)
    return SubstituteOutcomes(effects.reset_index(drop=True), flow, ev, m2.source)


def _outside(regs: "Registers", inside: list[str] | None) -> tuple[str, ...] | None:
    """The municipalities of the persons table outside `inside` (the pool rule excludes; this keeps a region)."""
    if not inside:
        return None
    every = regs.panel().persons()["municipality"].dropna().astype(str).unique()
    return tuple(sorted(set(every) - {str(m) for m in inside}))

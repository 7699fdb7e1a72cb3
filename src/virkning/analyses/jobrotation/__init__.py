"""Job rotation (seed 003): the rules checked per rotation, the substitutes' outcomes against a matched comparison,
and the substitute search. The same analysis shape as every other (docs/programme.md):

    spec      `jobrotation:` in the design file (spec.JobRotationSpec)
    run       read the registration and the firms table, check the rules, evaluate the substitutes, rank candidates
    publish   rules summary, flow and outcomes through the gate; violations and the ranking internal only
    render    one report section
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from virkning.analyses.base import Context, Kind
from virkning.analyses.jobrotation.outcomes import SubstituteOutcomes, substitute_outcomes
from virkning.analyses.jobrotation.publish import JobRotationResult, publish, render
from virkning.analyses.jobrotation.rules import (JobRotationError, check_rules, read_firms, read_rotations,
                                                 summary)
from virkning.analyses.jobrotation.search import rank, read_candidates, unemployed_weeks
from virkning.analyses.jobrotation.spec import JobRotationSpec
from virkning.errors import DesignError

__all__ = ["KIND", "JobRotationError", "JobRotationResult", "JobRotationSpec", "SubstituteOutcomes", "check_rules",
           "read_firms", "read_rotations", "run_jobrotation", "rank", "read_candidates", "substitute_outcomes"]


def _compile(section: JobRotationSpec, root) -> JobRotationSpec:
    return section


def search_ranking(spec: JobRotationSpec, ctx: Context):
    """The candidates ranked against the design's request (None when the design has no search)."""
    if spec.search is None:
        return None
    cands = read_candidates(ctx.data, spec.search.candidates_file)
    on = spec.search.request.date
    reg_weeks = None
    if ctx.has_registers:
        panel = ctx.registers.panel()
        from virkning.registers import calendar

        if on is None:
            y, m = divmod(panel.end_month(), 12)
            on = dt.date(y, m + 1, 1)
        found = cands[panel.keys(cands["candidate"].to_numpy()) >= 0]
        if len(found):
            pairs = pd.DataFrame({"person_id": found["candidate"].to_numpy(),
                                  "index_week": calendar.date_week(on)})
            spell = panel.covariates(pairs, ["spell_weeks"])["spell_weeks"].to_numpy(dtype=float)
            reg_weeks = {c: s for c, s in zip(found["candidate"], spell) if s == s}
    on = on or dt.date.today()
    weeks = unemployed_weeks(cands, on, reg_weeks)
    ranking = rank(cands, spec.search, weeks, ctx.language)
    return ranking.head(spec.search.top) if spec.search.top else ranking


def run_jobrotation(spec: JobRotationSpec, ctx: Context) -> JobRotationResult:
    rotations = read_rotations(spec, ctx.data)
    firms = read_firms(spec, ctx.data)
    if spec.rules.max_employees is not None and firms is None:
        raise DesignError(f"jobrotation.rules.max_employees is set, but the firms table {spec.firms_file} is not in "
                          f"{ctx.data}; give the table (firm_id, year, employees) or remove the limit")
    regs = ctx.registers if ctx.has_registers else None
    if regs is not None:  # one scan of the registers copies every person the rules and the search look at
        people = [rotations["substitute"], rotations["employee"]]
        if spec.search is not None:
            people.append(read_candidates(ctx.data, spec.search.candidates_file)["candidate"])
        ids = pd.unique(pd.concat(people).astype(str).to_numpy())
        panel = regs.panel()
        panel.include(ids[panel.keys(ids) >= 0])
    ctx.progress("job-rotation rules")
    violations = check_rules(spec, rotations, regs, firms)
    outcomes, notes = None, []
    if spec.outcomes is not None and regs is not None:
        ctx.progress("substitutes' outcomes")
        outcomes = substitute_outcomes(regs, rotations, spec.outcomes, ctx.seed,
                                       unemployed_weeks=spec.rules.min_unemployed_weeks)
        notes.append("Index: the rotation's start; status in month L + h after the start month, L = the rotation's "
                     "months; matched on the start week (risk sets) and the propensity score.")
    ranking = search_ranking(spec, ctx)
    return JobRotationResult(rotations, violations, summary(rotations, violations, spec), outcomes, ranking,
                             tuple(notes))


def run(design, ctx: Context) -> JobRotationResult:
    return run_jobrotation(design.analyses["jobrotation"], ctx)


KIND = Kind(key="jobrotation", title=("Jobrotation", "Job rotation"), spec=JobRotationSpec, section="jobrotation",
            command="evaluate", compile=_compile, run=run, publish=publish, render=render, requires_registers=True)

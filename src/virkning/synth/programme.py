"""The Seniorvikar-like programme: meeting schedule, who attends, the effect, and the untreated twins.

Each of the 13 projects holds information meetings in some of the 47 meeting weeks of 2018. A resident of the
project municipality who is on dagpenge in a meeting week and the week before and aged 50-65 is invited (at
the first such meeting, and once more some months later if still eligible) and attends with a probability
that depends on observed covariates (age, sex, education, origin, spell length, employment and sickness
history in the registers), so participants differ from other unemployed seniors. The first meeting attended
is the index; some attend again. About 60 % sign up with a temp agency.

From the month after the meeting, for `effect_months` months, participation raises the job-start hazard,
shifts job starts towards temp agencies (more for those signed up) and lowers retirement hazards. At the first
week of the effect, an untreated twin of the participant (same state, same future uniforms, programme off) is
started; the twins give Y(0) for the truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from virkning.synth.codes import S
from virkning.synth.params import ProgrammeParams
from virkning.synth.paths import Cohort, Context, Draws, step
from virkning.synth.timeline import Timeline, day_date, month_ordinal


@dataclass(frozen=True)
class Schedule:
    weeks: np.ndarray  # week indices (into the timeline) of the meeting weeks
    day: np.ndarray  # int32 [n_weeks_total, n_projects]: meeting day number, -1 for no meeting

    def iso_weeks(self, tl: Timeline) -> list[int]:
        return [int(tl.yyyyww[w]) for w in self.weeks]


def build_schedule(tl: Timeline, pp: ProgrammeParams, n_projects: int, rng: np.random.Generator) -> Schedule:
    year_weeks = np.flatnonzero(tl.yyyyww // 100 == pp.year)
    weeks = np.array([w for w in year_weeks if int(tl.yyyyww[w]) % 100 not in pp.skipped_weeks], dtype=np.int64)
    day = np.full((tl.n_weeks, n_projects), -1, dtype=np.int32)
    holds = rng.random((len(weeks), n_projects)) < pp.meeting_share
    lonely = ~holds.any(axis=1)  # every meeting week has at least one meeting somewhere
    holds[lonely, rng.integers(0, n_projects, lonely.sum())] = True
    weekday = rng.integers(1, 4, (len(weeks), n_projects))  # Tuesday to Thursday
    for i, w in enumerate(weeks):
        day[w] = np.where(holds[i], tl.monday[w] + weekday[i], -1)
    return Schedule(weeks=weeks, day=day)


@dataclass
class Participant:
    person: int  # index within the chunk
    week: int
    day: int
    project: int
    month: int  # month ordinal of the meeting date (the index month)
    signup: bool
    start: int  # first week of the effect
    end: int  # first week after the effect


@dataclass
class ChunkProgramme:
    """The programme's bookkeeping for one chunk of persons."""

    ctx: Context
    schedule: Schedule
    project: np.ndarray  # int8 per chunk person, -1 outside project municipalities
    education: np.ndarray
    participants: list = field(default_factory=list)
    events: list = field(default_factory=list)  # (person, day, event, project)
    twins: Cohort | None = None
    twin_members: list = field(default_factory=list)  # participant numbers in twin order
    twin_out: dict = field(default_factory=dict)  # week -> (code, frac, ind) of all twins started so far

    def __post_init__(self):
        self.in_project = np.flatnonzero(self.project >= 0)
        self.is_participant = np.zeros(len(self.project), dtype=bool)
        self.invited = np.zeros(len(self.project), dtype=np.int8)
        self.last_invited = np.full(len(self.project), -(1 << 20), dtype=np.int64)
        self.starting: dict[int, list[int]] = {}
        self.ending: dict[int, list[int]] = {}
        self.meeting_weeks = set(int(w) for w in self.schedule.weeks)

    # --- called by the simulation loop -------------------------------------------------------------------

    def before_step(self, t: int, c: Cohort) -> None:
        pp = self.ctx.params.programme
        starting = self.starting.pop(t, [])
        if starting:
            persons = np.array([self.participants[i].person for i in starting])
            twins = c.subset(persons)  # the state at the end of last week, before any effect
            twins.set_effect(self.ctx, np.arange(twins.n), 1.0, 0.0, 1.0)
            self.twins = twins if self.twins is None else self.twins.extend(twins)
            self.twin_members.extend(starting)
            self.twin_persons = np.array([self.participants[i].person for i in self.twin_members])
            signed = np.array([self.participants[i].signup for i in starting])
            c.set_effect(self.ctx, persons, np.float32(1.0 + pp.job_hazard),
                         np.where(signed, pp.temp_shift_signed, pp.temp_shift_other).astype(np.float32),
                         np.float32(1.0 + pp.retirement_hazard))
        ending = self.ending.pop(t, [])
        if ending:
            c.set_effect(self.ctx, np.array([self.participants[i].person for i in ending]), 1.0, 0.0, 1.0)

    def step_twins(self, t: int, U: Draws) -> None:
        if self.twins is None:
            return
        idx = self.twin_persons
        k = len(idx)
        code = np.empty(k, dtype=np.int16)
        frac = np.empty(k, dtype=np.uint8)
        ind = np.empty(k, dtype=np.uint8)
        step(self.ctx, self.twins, t, U.subset(idx), code, frac, ind)
        self.twin_out[t] = (code, frac, ind)

    def after_step(self, t: int, c: Cohort, old: np.ndarray, U: Draws, code: np.ndarray,
                   frac: np.ndarray) -> None:
        if t not in self.meeting_weeks or not len(self.in_project):
            return
        pp = self.ctx.params.programme
        tl = self.ctx.tl
        cand = self.in_project
        day = self.schedule.day[t, self.project[cand]]
        ok = (day >= 0) & (c.state[cand] == int(S.LEDIG)) & (old[cand] == int(S.LEDIG))  # int: see paths._S
        cand, day = cand[ok], day[ok]
        age = (day - c.birth_day[cand]) * 4 // 1461
        ok = (age >= pp.age_min) & (age <= pp.age_max)
        cand, day, age = cand[ok], day[ok], age[ok]
        if not len(cand):
            return
        again = self.is_participant[cand]
        u8 = U.get(8, cand)
        # Repeat attendance: an event only.
        rep = again & (u8 < pp.repeat_attendance)
        for person, d in zip(cand[rep], day[rep]):
            self.events.append((int(person), int(d), "informationsmøde", int(self.project[person])))
        cand, day, age, u8 = cand[~again], day[~again], age[~again], u8[~again]
        invite = (self.invited[cand] < pp.invitations) & (t - self.last_invited[cand] >= pp.reinvite_weeks)
        cand, day, age, u8 = cand[invite], day[invite], age[invite], u8[invite]
        if not len(cand):
            return
        self.invited[cand] += 1
        self.last_invited[cand] = t
        lo = max(tl.burn, t - 156)
        emp_hist = (frac[lo:t][:, cand] > 0).mean(axis=0) if t > lo else np.zeros(len(cand))
        hist_codes = code[lo:t][:, cand]
        cb = self.ctx.codes
        sick = ((hist_codes == cb.state_code[S.SICK]) | (hist_codes == cb.jobafklaring)).sum(axis=0)
        spell = c.dur[cand].astype(np.int64) + 1
        edu = self.education[cand]
        origin = c.origin[cand]
        lp = (pp.intercept + pp.male * c.male[cand]
              + pp.age_under_55 * (age < 55) + pp.age_55_59 * ((age >= 55) & (age < 60)) + pp.age_62_plus * (age >= 62)
              + np.asarray(pp.education)[edu] + pp.indvandrer * (origin == 1) + pp.efterkommer * (origin == 2)
              + pp.employment_history * emp_hist
              + pp.spell_under_13 * (spell < 13) + pp.spell_13_52 * ((spell >= 13) & (spell <= 52))
              + pp.spell_over_104 * (spell > 104) + pp.sickness_weeks * np.minimum(sick, 20))
        attend = u8 < 1.0 / (1.0 + np.exp(-lp))
        for person, d, u in zip(cand[attend], day[attend], U.get(9, cand[attend])):
            self._enrol(int(person), t, int(d), float(u))

    def _enrol(self, person: int, t: int, d: int, u: float) -> None:
        pp = self.ctx.params.programme
        tl = self.ctx.tl
        project = int(self.project[person])
        month = month_ordinal(day_date(d))
        after = np.flatnonzero((tl.week_month >= month + 1) & (np.arange(tl.n_weeks) > t))
        start = int(after[0]) if len(after) else tl.n_weeks
        beyond = np.flatnonzero(tl.week_month > month + pp.effect_months)
        end = int(beyond[0]) if len(beyond) else tl.n_weeks
        signup = u < pp.signup
        i = len(self.participants)
        self.participants.append(Participant(person, t, d, project, month, bool(signup), start, end))
        self.is_participant[person] = True
        self.events.append((person, d, "informationsmøde", project))
        if signup:
            self.events.append((person, d + 3 + int(25 * u / pp.signup), "opskrivning", project))
        if start < tl.n_weeks:
            self.starting.setdefault(start, []).append(i)
        if end < tl.n_weeks:
            self.ending.setdefault(end, []).append(i)

    # --- after the chunk -------------------------------------------------------------------------------------

    def twin_matrices(self, code: np.ndarray, frac: np.ndarray, ind: np.ndarray):
        """Weekly code/frac/ind [weeks, participants] of the untreated twins: observed values before the effect
        starts (the twin's path is identical there), the twin's own afterwards."""
        persons = np.array([p.person for p in self.participants], dtype=np.int64)
        tc, tf, ti = code[:, persons].copy(), frac[:, persons].copy(), ind[:, persons].copy()
        order = np.array(self.twin_members, dtype=np.int64)
        for t, (c, f, i) in self.twin_out.items():
            k = len(c)
            tc[t, order[:k]], tf[t, order[:k]], ti[t, order[:k]] = c, f, i
        return persons, tc, tf, ti


__all__ = ["Schedule", "build_schedule", "ChunkProgramme", "Participant"]

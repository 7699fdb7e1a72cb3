"""The weekly multi-state model: one vectorised step moves every person of a cohort one week on.

A week's randomness is a fixed block of `N_STREAMS` uniforms per person (`Draws`), so the same person-week
always sees the same numbers whatever happens elsewhere. That is what lets `programme.py` re-run participants
without the programme (common random numbers): the untreated path differs from the observed one only through
the effect. The block is drawn as raw 32-bit words; stream 0 is converted for everyone, the others only for the
few persons who need them in a week.

Stream use: 0 exit and competing risk, 1 destination, 2 temp agency, 3 hours (and scheme), 4 industry,
5 activation on/off, 6 activation type / feriedagpenge, 7 part-time work on/off, 8 and 9 the programme.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from virkning.synth.codes import CodeBook, S
from virkning.synth.params import (
    C_DIE, C_EFTL, C_EMI, C_FTP, C_JOB, C_OTH, D_MAX, INITIAL_DURATION, N_AGES, TEMP_INDEX, TEMP_SENIOR,
    TEMP_SHARE, ModelParams, Tables, industry_cdf, initial_shares,
)
from virkning.synth.people import Population, industry_row
from virkning.synth.timeline import Timeline

N_STREAMS = 10
_SCALE = np.float32(2.0**-24)


class Draws:
    """One week's uniforms for a cohort: `u0` for all, `get(k, idx)` for stream k of persons idx."""

    __slots__ = ("raw", "u0")

    def __init__(self, raw: np.ndarray, u0: np.ndarray | None = None):
        self.raw = raw  # uint32 [N_STREAMS, n]
        self.u0 = (raw[0] >> 8).astype(np.float32) * _SCALE if u0 is None else u0

    @classmethod
    def draw(cls, rng: np.random.Generator, n: int) -> "Draws":
        words = rng.bit_generator.random_raw(N_STREAMS * n // 2 + 1).view(np.uint32)
        return cls(words[: N_STREAMS * n].reshape(N_STREAMS, n))

    def get(self, k: int, idx: np.ndarray) -> np.ndarray:
        return (self.raw[k, idx] >> 8).astype(np.float32) * _SCALE

    def subset(self, idx: np.ndarray) -> "Draws":
        return Draws(self.raw[:, idx], self.u0[idx])
KONT_SCHEME_JOB = np.array([1.0, 0.35, 1.0, 0.4, 0.6], dtype=np.float32)  # order of codes.KONT_SCHEMES
KONT_SCHEME_ACTIVATION = np.array([0.02, 0.012, 0.025, 0.015, 0.02], dtype=np.float32)


@dataclass
class Cohort:
    """Per-person arrays of a group simulated together (a chunk of the population, or participants' twins)."""

    # static
    birth_day: np.ndarray
    male: np.ndarray
    origin: np.ndarray
    insured: np.ndarray
    key_static: np.ndarray  # (male * 2 + insured) * 3 + origin
    ind_row: np.ndarray
    eftl_member: np.ndarray
    flex: np.ndarray
    eftl_week: np.ndarray
    pension_week: np.ndarray
    job_mult: np.ndarray
    sep_mult: np.ndarray
    health: np.ndarray
    # dynamic
    state: np.ndarray  # int8
    dur: np.ndarray  # int16 weeks since the spell began (0 in its first week)
    dp_used: np.ndarray  # int16 dagpenge weeks used
    emp_run: np.ndarray  # int16 consecutive employment weeks
    act: np.ndarray  # int16 activation code in force (0 = passive)
    side: np.ndarray  # bool: part-time work on supplementary dagpenge
    job_frac: np.ndarray  # uint8 weekly hours as % of full time
    job_ind: np.ndarray  # int8 industry index
    kscheme: np.ndarray  # int8 non-insured scheme
    jm_dyn: np.ndarray  # float32 job-start multiplier in the current state
    om_dyn: np.ndarray  # float32 'other exit' multiplier in the current state
    eff_job: np.ndarray  # float32 programme effect on job starts (1 = none)
    eff_temp: np.ndarray  # float32 programme shift of job starts into temp agencies (0 = none)
    eff_ret: np.ndarray  # float32 programme effect on retirement hazards (1 = none)

    @property
    def n(self) -> int:
        return len(self.state)

    def subset(self, idx: np.ndarray) -> "Cohort":
        return Cohort(**{f.name: getattr(self, f.name)[idx].copy() for f in fields(self)})

    def extend(self, other: "Cohort") -> "Cohort":
        return Cohort(**{f.name: np.concatenate([getattr(self, f.name), getattr(other, f.name)]) for f in fields(self)})


@dataclass(frozen=True)
class Context:
    """What every step needs and nothing changes during a run."""

    tl: Timeline
    tables: Tables
    codes: CodeBook
    params: ModelParams
    industry_cdf: np.ndarray
    holiday: np.ndarray  # bool per week: ISO weeks 28-31 (summer holidays)


def make_context(tl: Timeline, tables: Tables, codes: CodeBook, params: ModelParams) -> Context:
    iso_week = tl.yyyyww % 100
    return Context(tl, tables, codes, params, industry_cdf(), (iso_week >= 28) & (iso_week <= 31))


def ages_at(day: int, birth_day: np.ndarray) -> np.ndarray:
    """Whole years (365.25-day years), clipped to the tables' range."""
    return np.clip((day - birth_day) * 4 // 1461, 0, N_AGES - 1)


def _job_attributes(ctx: Context, c: Cohort, m: np.ndarray, origin_state: np.ndarray, age: np.ndarray,
                    U: Draws) -> None:
    """Hours, industry and temp-agency status of jobs started by persons `m` this week."""
    p_temp = TEMP_SHARE[origin_state] * np.where(age >= 50, TEMP_SENIOR, 1.0).astype(np.float32)
    p_temp = p_temp + (1 - p_temp) * c.eff_temp[m]
    temp = U.get(2, m) < p_temp
    u3 = U.get(3, m)
    male = c.male[m] == 1
    p_full = np.where(male, 0.85, 0.70) * np.where(age < 25, 0.45, 1.0) * np.where(age >= 60, 0.8, 1.0)
    part = np.clip((u3 - p_full) / np.maximum(1 - p_full, 1e-6), 0, 1)
    frac = np.where(u3 < p_full, 100.0, 30 + 60 * part)
    frac = np.where(age < 18, 15 + 25 * u3, frac)
    cdf = ctx.industry_cdf[c.ind_row[m]]
    ind = np.minimum((U.get(4, m)[:, None] >= cdf).sum(axis=1), cdf.shape[1] - 1)
    c.job_frac[m] = np.rint(frac).astype(np.uint8)
    c.job_ind[m] = np.where(temp, TEMP_INDEX, ind).astype(np.int8)
    c.om_dyn[m] = c.sep_mult[m] * np.where(temp, ctx.params.temp_separation, 1.0).astype(np.float32)


def _side_jobs(ctx: Context, c: Cohort, b: np.ndarray, U: Draws, lo: float, span: float, p_temp: float) -> None:
    """Part-time work next to a benefit (supplementary dagpenge, student jobs) started by persons `b`."""
    if not len(b):
        return
    c.job_frac[b] = np.rint(lo + span * U.get(3, b)).astype(np.uint8)
    cdf = ctx.industry_cdf[c.ind_row[b]]
    pick = np.minimum((U.get(4, b)[:, None] >= cdf).sum(axis=1), cdf.shape[1] - 1)
    c.job_ind[b] = np.where(U.get(2, b) < p_temp, TEMP_INDEX, pick).astype(np.int8)


def _kont_scheme(c: Cohort, k: np.ndarray, age: np.ndarray, U: Draws) -> None:
    u = U.get(3, k)
    young = age < 30
    immigrant = c.origin[k] == 1
    scheme = np.where(young, np.where(u < 0.4, 2, 3),
                      np.where(immigrant & (u < 0.35), 4, np.where(u < 0.35 + 0.65 * 0.35, 0, 1)))
    c.kscheme[k] = scheme
    c.jm_dyn[k] = c.job_mult[k] * KONT_SCHEME_JOB[scheme]


def step(ctx: Context, c: Cohort, t: int, U: Draws, code: np.ndarray, frac: np.ndarray,
         ind: np.ndarray) -> np.ndarray:
    """Move cohort `c` from week t-1 to week t using the week's draws `U`; write the week's code, hours fraction
    (%) and industry into `code`, `frac`, `ind`. Returns the states of week t-1."""
    p, tb = ctx.params, ctx.tables
    old = c.state
    s = old.astype(np.int32)
    age = ages_at(int(ctx.tl.thursday[t]), c.birth_day)
    comp = np.take(tb.comp, (s * N_AGES + age) * 12 + c.key_static, axis=0)
    dur = np.take(tb.dur, (s * 2 + c.male) * D_MAX + np.minimum(c.dur, D_MAX - 1), axis=0)
    # Competing risks, forced ones first: a single uniform is cut into consecutive intervals.
    cum = np.empty((8, c.n), dtype=np.float32)
    np.multiply(np.take(tb.pension_forced, s), t >= c.pension_week, out=cum[0])
    np.add(cum[0], comp[:, C_DIE], out=cum[1])
    np.add(cum[1], comp[:, C_EMI], out=cum[2])
    np.add(cum[2], (s == S.LEDIG) & (c.dp_used >= p.dagpenge_weeks), out=cum[3])
    np.add(cum[3], comp[:, C_FTP] * c.health * c.eff_ret, out=cum[4])
    np.add(cum[4], comp[:, C_EFTL] * (c.eftl_member & (t >= c.eftl_week)) * c.eff_ret, out=cum[5])
    np.add(cum[5], comp[:, C_JOB] * dur[:, 0] * c.jm_dyn * c.eff_job, out=cum[6])
    np.add(cum[6], comp[:, C_OTH] * dur[:, 1] * c.om_dyn, out=cum[7])
    u0 = U.u0
    idx = np.flatnonzero(u0 < cum[7])
    new = s.astype(np.int8)
    c.dur += 1
    if len(idx):
        which = (u0[idx] >= cum[:, idx]).sum(axis=0)
        u1 = U.get(1, idx)
        dest = np.empty(len(idx), dtype=np.int32)
        dest[which == 0] = S.FOLK
        dest[which == 1] = S.DEAD
        dest[which == 2] = S.EMIG
        dest[which == 3] = np.where(u1[which == 3] < 0.3, S.KONT, S.SELF)  # dagpenge exhausted
        dest[which == 4] = S.FTP
        dest[which == 5] = np.where(c.flex[idx[which == 5]], S.FLEKS, S.EFTL)
        dest[which == 6] = S.EMP
        o = which == 7
        if o.any():
            key = (s[idx[o]] * N_AGES + age[idx[o]]) * 12 + c.key_static[idx[o]]
            rows = tb.oth[key]
            dest[o] = np.minimum((u1[o, None] >= rows).sum(axis=1), rows.shape[1] - 1)
        new[idx] = dest
        moved = idx[dest != s[idx]]
        mdest = new[moved]
        c.jm_dyn[moved] = c.job_mult[moved]
        c.om_dyn[moved] = 1.0
        c.act[moved] = 0
        c.side[moved] = False
        c.dur[moved] = 0
        e = moved[mdest == S.EMP]
        if len(e):
            _job_attributes(ctx, c, e, s[e], age[e], U)
        k = moved[mdest == S.KONT]
        if len(k):
            _kont_scheme(c, k, age[k], U)
    c.state = new
    is_emp = new == S.EMP
    c.emp_run += 1
    c.emp_run *= is_emp
    c.dp_used += new == S.LEDIG
    c.dp_used[np.flatnonzero(c.emp_run == p.requalify_weeks)] = 0  # dagpenge right regained

    np.take(ctx.codes.state_code, new, out=code)
    np.multiply(c.job_frac, is_emp, out=frac)
    cb = ctx.codes
    # Insured unemployed: activation spells, part-time work (supplerende dagpenge), feriedagpenge.
    li = np.flatnonzero(new == S.LEDIG)
    if len(li):
        act, side, dur_l = c.act[li], c.side[li], c.dur[li]
        u5, u6, u7 = U.get(5, li), U.get(6, li), U.get(7, li)
        act = np.where((act > 0) & (u5 < p.activation_stop), 0, act)
        p_act = np.where(dur_l < 13, 0.012, np.where(dur_l < 60, 0.03, 0.02)) * np.where(age[li] >= 55, 0.7, 1.0)
        start = (act == 0) & ~side & (u5 < p_act) & (dur_l > 0)
        pick = np.minimum(np.searchsorted(cb.ledig_activation_p, u6, side="right"), len(cb.ledig_activation) - 1)
        act = np.where(start, cb.ledig_activation[pick], act)
        side = np.where(side, u7 >= p.side_stop, (act == 0) & (u7 < p.side_start))
        _side_jobs(ctx, c, li[side & ~c.side[li]], U, 10, 45, p.side_temp)
        c.act[li], c.side[li] = act, side
        holiday = ctx.holiday[t] & (u6 < p.holiday_121)
        code[li] = np.where(act > 0, act, np.where(side, cb.supplerende,
                                                   np.where(holiday, cb.feriedagpenge, cb.dagpenge)))
        frac[li] = np.where(side, c.job_frac[li], 0)
    # Students: a student job leaves the SU code in place.
    ei = np.flatnonzero(new == S.EDU)
    if len(ei):
        side = c.side[ei]
        u7 = U.get(7, ei)
        side = np.where(side, u7 >= p.student_job_stop, u7 < p.student_job_start)
        _side_jobs(ctx, c, ei[side & ~c.side[ei]], U, 15, 30, 0.05)
        c.side[ei] = side
        frac[ei] = np.where(side, c.job_frac[ei], 0)
    # Non-insured: scheme codes and activation.
    ki = np.flatnonzero(new == S.KONT)
    if len(ki):
        scheme = c.kscheme[ki]
        act = c.act[ki]
        u5, u6 = U.get(5, ki), U.get(6, ki)
        act = np.where((act > 0) & (u5 < 0.08), 0, act)
        start = (act == 0) & (u5 < KONT_SCHEME_ACTIVATION[scheme]) & (c.dur[ki] > 0)
        pick = np.minimum((u6[:, None] >= cb.kont_activation_p[scheme]).sum(axis=1), cb.kont_activation.shape[1] - 1)
        act = np.where(start, cb.kont_activation[scheme, pick], act)
        c.act[ki] = act
        code[ki] = np.where(act > 0, act, cb.kont_passive[scheme])
    si = np.flatnonzero(new == S.SICK)
    if len(si):
        code[si] = np.where(c.dur[si] >= 22, cb.jobafklaring, code[si])  # sygedagpenge stop after 22 weeks
    np.copyto(ind, -1)
    np.copyto(ind, c.job_ind, where=frac > 0)
    return old


def init_cohort(ctx: Context, pop: Population, lo: int, hi: int, rng: np.random.Generator) -> Cohort:
    """Persons lo..hi-1 of the population in their state of the first burn-in week."""
    sl = slice(lo, hi)
    n = hi - lo
    birth = pop.birth_day[sl]
    age = ages_at(int(ctx.tl.thursday[0]), birth)
    insured = pop.insured[sl]
    eftl_ok = pop.eftl_member[sl] & (pop.eftl_week[sl] <= 0)
    pension = pop.pension_week[sl] <= 0
    w = initial_shares(age, insured, eftl_ok, pension, pop.origin[sl])
    state = np.minimum((rng.random(n)[:, None] >= np.cumsum(w, axis=1)).sum(axis=1), w.shape[1] - 1)
    state = np.where((state == S.EFTL) & pop.flex[sl], S.FLEKS, state)
    dur = (rng.random(n) * INITIAL_DURATION[state]).astype(np.int16)
    male = pop.male[sl]
    c = Cohort(
        birth_day=birth.copy(),
        male=male.astype(np.int32),
        origin=pop.origin[sl].copy(),
        insured=insured.copy(),
        key_static=((male.astype(np.int32) * 2 + insured) * 3 + pop.origin[sl]).astype(np.int32),
        ind_row=industry_row(pop.education[sl], male),
        eftl_member=pop.eftl_member[sl].copy(),
        flex=pop.flex[sl].copy(),
        eftl_week=pop.eftl_week[sl].copy(),
        pension_week=pop.pension_week[sl].copy(),
        job_mult=pop.job_mult[sl].copy(),
        sep_mult=pop.sep_mult[sl].copy(),
        health=pop.health[sl].copy(),
        state=state.astype(np.int8),
        dur=dur,
        dp_used=np.where(state == S.LEDIG, np.minimum(dur, ctx.params.dagpenge_weeks - 1), 0).astype(np.int16),
        emp_run=np.where(state == S.EMP, dur, 0).astype(np.int16),
        act=np.zeros(n, dtype=np.int16),
        side=np.zeros(n, dtype=bool),
        job_frac=np.zeros(n, dtype=np.uint8),
        job_ind=np.full(n, -1, dtype=np.int8),
        kscheme=np.zeros(n, dtype=np.int8),
        jm_dyn=pop.job_mult[sl].copy(),
        om_dyn=np.ones(n, dtype=np.float32),
        eff_job=np.ones(n, dtype=np.float32),
        eff_temp=np.zeros(n, dtype=np.float32),
        eff_ret=np.ones(n, dtype=np.float32),
    )
    U = Draws.draw(rng, n)
    e = np.flatnonzero(state == S.EMP)
    _job_attributes(ctx, c, e, np.full(len(e), S.EDU), age[e], U)  # stock of jobs: few temp jobs
    k = np.flatnonzero(state == S.KONT)
    _kont_scheme(c, k, age[k], U)
    return c

"""The weekly multi-state model: one vectorised step moves every person of a cohort one week on.

A week's randomness is a fixed set of ten uniform streams per person (`Draws`), so the same person-week
always sees the same numbers whatever happens elsewhere. That is what lets `programme.py` re-run participants
without the programme (common random numbers): the untreated path differs from the observed one only through
the effect. Stream 0 is needed by everyone every week and comes from the chunk's generator as raw 32-bit words;
the others are needed by few persons in a week, so they are a counter-based hash of (week key, stream, person)
computed only for those persons (drawing all ten streams for everyone was a fifth of the simulation's time).

Stream use: 0 exit and competing risk, 1 destination, 2 temp agency, 3 hours (and scheme), 4 industry,
5 activation on/off, 6 activation type / feriedagpenge, 7 part-time work on/off, 8 and 9 the programme.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from types import SimpleNamespace

import numpy as np

from virkning.synth.codes import CodeBook, S
from virkning.synth.params import (
    C_EFTL, C_FIRST, C_FTP, C_JOB, C_OTH, D_TABLE, INITIAL_DURATION, N_AGES, N_KEY, TEMP_INDEX, TEMP_SENIOR,
    TEMP_SHARE, ModelParams, Tables, industry_cdf, initial_shares,
)
from virkning.synth.people import Population, industry_row
from virkning.synth.timeline import Timeline

_SCALE = np.float32(2.0**-24)
# The states as plain ints: numpy compares an array with an IntEnum member by first converting the whole array to
# int64 (a Python int it takes as the array's own type), fifteen times slower for int8 states.
_S = SimpleNamespace(**{s.name: int(s) for s in S})


class Draws:
    """One week's uniforms for a cohort: `u0` for all, `get(k, idx)` for stream k of persons idx."""

    __slots__ = ("u0", "who", "key")

    def __init__(self, u0: np.ndarray, who: np.ndarray | None, key: int):
        self.u0 = u0  # float32 [n], stream 0
        self.who = who  # uint64 person numbers in the chunk (None: 0..n-1)
        self.key = key  # 64-bit key of the week

    @classmethod
    def draw(cls, rng: np.random.Generator, n: int) -> "Draws":
        words = rng.bit_generator.random_raw(n // 2 + 2)
        # the cast to float32 happens inside the multiply: one pass fewer, the same numbers (exact below 2**24)
        u0 = np.multiply(words.view(np.uint32)[:n] >> 8, _SCALE, dtype=np.float32)
        return cls(u0, None, int(words[-1]))

    def get(self, k: int, idx: np.ndarray) -> np.ndarray:
        return _hash_uniform(_mix64(self.key ^ (k * _GOLDEN & _MASK)), self._persons(idx))

    def get_many(self, ks: tuple[int, ...], idx: np.ndarray) -> np.ndarray:
        """[get(k, idx) for k in ks] as one float32 array [len(ks), len(idx)], hashed in one pass: the same
        numbers with a third of the small array operations."""
        bases = np.array([_mix64(self.key ^ (k * _GOLDEN & _MASK)) for k in ks], dtype=np.uint64)
        return _hash_uniform(bases[:, None], self._persons(idx))

    def subset(self, idx: np.ndarray) -> "Draws":
        return Draws(self.u0[idx], self._persons(idx), self.key)

    def _persons(self, idx: np.ndarray) -> np.ndarray:
        return idx.astype(np.uint64) if self.who is None else self.who[idx]


# Counter-based uniforms (SplitMix64's increment and finaliser). numpy has no per-element counter-based
# generator, and a Generator per week and stream would still draw for every person.
_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_MIX1, _MIX2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB


def _mix64(x: int) -> int:
    """The finaliser on one Python integer (a week's key per stream)."""
    x = (x ^ (x >> 30)) * _MIX1 & _MASK
    x = (x ^ (x >> 27)) * _MIX2 & _MASK
    return x ^ (x >> 31)


def _hash_uniform(base: int | np.ndarray, who: np.ndarray) -> np.ndarray:
    """The finaliser on the persons' counters, in place on uint64 arrays (they wrap as the integers above are
    masked); the top 24 bits make the uniform. `base` is one stream's, or a column of several (uint64 [k, 1]:
    one row each)."""
    x = who * np.uint64(_GOLDEN)
    x = x + base if isinstance(base, np.ndarray) else x + np.uint64(base)
    x ^= x >> np.uint64(30)
    x *= np.uint64(_MIX1)
    x ^= x >> np.uint64(27)
    x *= np.uint64(_MIX2)
    x ^= x >> np.uint64(31)
    return (x >> np.uint64(40)).astype(np.float32) * _SCALE


KONT_SCHEME_JOB = np.array([1.0, 0.35, 1.0, 0.4, 0.6], dtype=np.float32)  # order of codes.KONT_SCHEMES
KONT_SCHEME_ACTIVATION = np.array([0.02, 0.012, 0.025, 0.015, 0.02], dtype=np.float32)
NEVER = np.int32(1 << 30)  # week index of an event that never happens
PENSION_BIT, EFTL_BIT = 24, 12  # in the person key (params.N_KEY)
# States with codes or hours beyond the state's own: LEDIG, KONT, SICK, EDU, consecutive numbers, so one
# unsigned comparison finds them (a lookup table would first convert every int8 state to an index).
_SUB_FIRST, _SUB_COUNT = np.uint8(S.LEDIG), np.uint8(4)
assert [S.LEDIG, S.KONT, S.SICK, S.EDU] == list(range(S.LEDIG, S.LEDIG + 4))


@dataclass
class Cohort:
    """Per-person arrays of a group simulated together (a chunk of the population, or participants' twins).

    Lookup keys are kept up to date incrementally: `skey` and `dkey0` change when the state changes, `akey`
    when the age is refreshed (every 4 weeks) or an eligibility bit flips (pension age, efterløn age)."""

    # static
    birth_day: np.ndarray
    male: np.ndarray  # int32 0/1
    origin: np.ndarray
    ind_row: np.ndarray
    flex: np.ndarray
    eftl_week: np.ndarray  # NEVER for non-members of the efterløn scheme
    pension_week: np.ndarray
    job_mult: np.ndarray
    sep_mult: np.ndarray
    health: np.ndarray
    # keys
    key: np.ndarray  # intp person key (params.N_KEY); keys are intp so that np.take needs no conversion
    age: np.ndarray  # int32 age in years, refreshed every 4 weeks
    akey: np.ndarray  # intp age * N_KEY + key
    skey: np.ndarray  # intp state * N_AGES * N_KEY
    dkey0: np.ndarray  # intp (state * 2 + male) * D_TABLE
    # dynamic
    state: np.ndarray  # int8
    dur: np.ndarray  # int16 weeks since the spell began (0 in its first week), capped
    dp_used: np.ndarray  # int16 dagpenge weeks used
    exhausted: np.ndarray  # bool: dagpenge used up, leaves next week
    act: np.ndarray  # int16 activation code in force (0 = passive)
    side: np.ndarray  # bool: part-time work next to dagpenge or SU
    job_frac: np.ndarray  # uint8 weekly hours as % of full time
    job_ind: np.ndarray  # uint8 industry index + 1
    kscheme: np.ndarray  # int8 non-insured scheme
    jm_base: np.ndarray  # float32 job-start multiplier in the current state
    jm_dyn: np.ndarray  # float32 jm_base * eff_job
    om_dyn: np.ndarray  # float32 'other exit' multiplier in the current state
    ftp_mult: np.ndarray  # float32 health * eff_ret
    eff_job: np.ndarray  # float32 programme effect on job starts (1 = none)
    eff_temp: np.ndarray  # float32 programme shift of job starts into temp agencies (0 = none)
    eff_ret: np.ndarray  # float32 programme effect on retirement hazards (1 = none)
    eff_act: np.ndarray  # float32 programme effect on the chance to start activation on dagpenge (1 = none)
    eff_vr: np.ndarray  # bool: activation starts on dagpenge follow the programme's measure mix (Context)
    # The hazards that change only with the key or the programme's effect, kept up to date by _hazards (float32):
    # cumulative cut points 0-2 of the competing risks, and the job and 'other' hazards before their duration
    # and multipliers.
    h0: np.ndarray
    h1: np.ndarray
    h2: np.ndarray
    hj: np.ndarray
    ho: np.ndarray

    @property
    def n(self) -> int:
        return len(self.state)

    def subset(self, idx: np.ndarray) -> "Cohort":
        return Cohort(**{f.name: getattr(self, f.name)[idx].copy() for f in fields(self)})

    def extend(self, other: "Cohort") -> "Cohort":
        return Cohort(**{f.name: np.concatenate([getattr(self, f.name), getattr(other, f.name)]) for f in fields(self)})

    def set_effect(self, ctx: "Context", idx: np.ndarray, job, temp, ret) -> None:
        """Programme effect in force for persons idx (job 1, temp 0, ret 1: none)."""
        self.eff_job[idx], self.eff_temp[idx], self.eff_ret[idx] = job, temp, ret
        self.jm_dyn[idx] = self.jm_base[idx] * self.eff_job[idx]
        self.ftp_mult[idx] = self.health[idx] * self.eff_ret[idx]
        _hazards(ctx, self, idx)


@dataclass(frozen=True)
class Context:
    """What every step needs and nothing changes during a run."""

    tl: Timeline
    tables: Tables
    codes: CodeBook
    params: ModelParams
    industry_cdf: np.ndarray
    holiday: np.ndarray  # bool per week: ISO weeks 28-31 (summer holidays)
    # A programme's mix of measures for dagpenge activation (cumulative, aligned with codes.ledig_activation),
    # used for persons with eff_vr; None: no programme changes the mix.
    ledig_activation_p_rule: np.ndarray | None = None


def make_context(tl: Timeline, tables: Tables, codes: CodeBook, params: ModelParams,
                 ledig_activation_p_rule: np.ndarray | None = None) -> Context:
    iso_week = tl.yyyyww % 100
    return Context(tl, tables, codes, params, industry_cdf(), (iso_week >= 28) & (iso_week <= 31),
                   ledig_activation_p_rule)


def ages_at(day: int, birth_day: np.ndarray) -> np.ndarray:
    """Whole years (365.25-day years), clipped to the tables' range."""
    return np.clip((day - birth_day) * 4 // 1461, 0, N_AGES - 1).astype(np.int32)


def _job_attributes(ctx: Context, c: Cohort, m: np.ndarray, origin_state: np.ndarray, age: np.ndarray,
                    U: Draws) -> None:
    """Hours, industry and temp-agency status of jobs started by persons `m` this week."""
    p_temp = TEMP_SHARE[origin_state] * np.where(age >= 50, TEMP_SENIOR, 1.0).astype(np.float32)
    p_temp = p_temp + (1 - p_temp) * c.eff_temp[m]
    u2, u3, u4 = U.get_many((2, 3, 4), m)
    temp = u2 < p_temp
    male = c.male[m] == 1
    p_full = np.where(male, 0.85, 0.70) * np.where(age < 25, 0.45, 1.0) * np.where(age >= 60, 0.8, 1.0)
    part = np.clip((u3 - p_full) / np.maximum(1 - p_full, 1e-6), 0, 1)
    frac = np.where(u3 < p_full, 100.0, 30 + 60 * part)
    frac = np.where(age < 18, 15 + 25 * u3, frac)
    cdf = ctx.industry_cdf[c.ind_row[m]]
    ind = np.minimum((u4[:, None] >= cdf).sum(axis=1), cdf.shape[1] - 1)
    c.job_frac[m] = np.rint(frac).astype(np.uint8)
    c.job_ind[m] = np.where(temp, TEMP_INDEX, ind).astype(np.uint8) + 1
    c.om_dyn[m] = c.sep_mult[m] * np.where(temp, ctx.params.temp_separation, 1.0).astype(np.float32)


def _side_jobs(ctx: Context, c: Cohort, b: np.ndarray, U: Draws, lo: float, span: float, p_temp: float) -> None:
    """Part-time work next to a benefit (supplementary dagpenge, student jobs) started by persons `b`."""
    if not len(b):
        return
    u2, u3, u4 = U.get_many((2, 3, 4), b)
    c.job_frac[b] = np.rint(lo + span * u3).astype(np.uint8)
    cdf = ctx.industry_cdf[c.ind_row[b]]
    pick = np.minimum((u4[:, None] >= cdf).sum(axis=1), cdf.shape[1] - 1)
    c.job_ind[b] = np.where(u2 < p_temp, TEMP_INDEX, pick).astype(np.uint8) + 1


def _kont_scheme(c: Cohort, k: np.ndarray, age: np.ndarray, U: Draws) -> None:
    """Scheme of a new non-insured spell: uddannelseshjælp under 30, integrationsydelse for some immigrants,
    otherwise kontanthjælp; jobparat or aktivitetsparat (the latter find jobs far less often)."""
    u = U.get(3, k)
    young = age < 30
    immigrant = c.origin[k] == 1
    scheme = np.where(young, np.where(u < 0.4, 2, 3),
                      np.where(immigrant & (u < 0.35), 4, np.where(u < 0.35 + 0.65 * 0.35, 0, 1)))
    c.kscheme[k] = scheme
    c.jm_base[k] = c.job_mult[k] * KONT_SCHEME_JOB[scheme]


def _hazards(ctx: Context, c: Cohort, idx: np.ndarray | None = None) -> None:
    """Recompute the cached hazards (Cohort.h0 ... ho) of persons idx (None: all) after a change of their key or
    programme effect: the same float32 products and sums that step would otherwise repeat every week."""
    comp = ctx.tables.comp
    sel = slice(None) if idx is None else idx
    key = c.skey[sel] + c.akey[sel]
    h0 = np.take(comp[C_FIRST], key)
    h1 = h0 + np.take(comp[C_FTP], key) * c.ftp_mult[sel]
    c.h0[sel], c.h1[sel] = h0, h1
    c.h2[sel] = h1 + np.take(comp[C_EFTL], key) * c.eff_ret[sel]
    c.hj[sel] = np.take(comp[C_JOB], key)
    c.ho[sel] = np.take(comp[C_OTH], key)


def _refresh_keys(ctx: Context, c: Cohort, t: int) -> None:
    """Ages every 4 weeks; eligibility bits in the week they are reached."""
    if t % 4 == 0 and t > 0:  # week 0's ages are those the cohort started with
        changed = _birthdays(ctx, c, t)
        if len(changed):
            c.age[changed] += 1
            c.akey[changed] += N_KEY
            _hazards(ctx, c, changed)
    for weeks, bit in ((c.pension_week, PENSION_BIT), (c.eftl_week, EFTL_BIT)):
        hit = _reached(c, weeks, t)
        if len(hit):
            c.key[hit] += bit
            c.akey[hit] += bit
            _hazards(ctx, c, hit)


def _birthdays(ctx: Context, c: Cohort, t: int) -> np.ndarray:
    """The persons (ascending) whose age, ages_at(Thursday of week t, birth_day), is one more than at week t - 4,
    as the ages of c.age are. A fractional year ((day - birth) * 4 mod 1461) grows by 4 * 28 in four weeks, so
    the age goes up where it was within 112 of 1461 at week t - 4 (and the age is not clipped): a window of that
    fraction at the first week, found in the persons sorted by it once, rather than every age recomputed."""
    thu = ctx.tl.thursday
    d0, prev, span = int(thu[0]), int(thu[t - 4]), 4 * int(thu[t] - thu[t - 4])
    assert 0 < span < 1461
    cache = c.__dict__.setdefault("_reached", {})
    entry = cache.get("birthdays")
    if entry is None or entry[0] is not c.birth_day:
        phase = (d0 - c.birth_day.astype(np.int64)) * 4 % 1461
        order = np.argsort(phase, kind="stable")
        entry = cache["birthdays"] = (c.birth_day, order, phase[order])
    _, order, phase0 = entry
    lo = (1461 - span - 4 * (prev - d0)) % 1461  # the fraction at week 0 of those within `span` of 1461 at t - 4
    hi = lo + span
    first = np.searchsorted(phase0, lo, "left")
    if hi <= 1461:
        cand = order[first:np.searchsorted(phase0, hi, "left")]
    else:  # the window wraps round
        cand = np.concatenate([order[first:], order[:np.searchsorted(phase0, hi - 1461, "left")]])
    # clipped ages stay: at the top of the tables, and below 0 (born after week t - 4's Thursday)
    cand = cand[(c.age[cand] < N_AGES - 1) & (c.birth_day[cand] <= prev)]
    return np.sort(cand)


def _reached(c: Cohort, weeks: np.ndarray, t: int) -> np.ndarray:
    """np.flatnonzero(weeks == t) for a static per-person week array of `c`, from the persons sorted once by
    that week (a stable sort keeps equal weeks in person order, as flatnonzero gives them) rather than a
    comparison of the whole cohort every week."""
    cache = c.__dict__.setdefault("_reached", {})
    entry = cache.get(id(weeks))
    if entry is None or entry[0] is not weeks:
        order = np.argsort(weeks, kind="stable")
        entry = cache[id(weeks)] = (weeks, order, weeks[order])
    _, order, ordered = entry
    t = ordered.dtype.type(t)  # of the array's own type: a Python int would convert the whole array first
    return order[np.searchsorted(ordered, t, "left"):np.searchsorted(ordered, t, "right")]


def step(ctx: Context, c: Cohort, t: int, U: Draws, code: np.ndarray, frac: np.ndarray,
         ind: np.ndarray, prev: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Move cohort `c` from week t-1 to week t using the week's draws `U`; write the week's code, hours fraction
    (%) and industry (index + 1, 0 = none) into `code`, `frac`, `ind`. Returns the states of week t-1.

    `prev`: the code and hours rows this step wrote for the same cohort last week, if it did. A person who kept
    the state and is in none of the substates (whose own rules below rewrite both) has last week's code and hours
    again, as only a state change or a substate's rule changes them, so the rows are copied and the movers
    fixed; nothing else differs."""
    p, tb, cb = ctx.params, ctx.tables, ctx.codes
    _refresh_keys(ctx, c, t)
    old = c.state
    dkey = np.add(c.dkey0, c.dur)
    dj, do = tb.dur[0], tb.dur[1]
    # Competing risks: one uniform cut into consecutive intervals (folkepension/death/emigration first). Cut
    # points 0-2 are cached (Cohort.h0-h2); 3 and 4 carry the weekly duration terms. The keys are in range by
    # construction, so take(mode="clip") writes straight into `out` (mode "raise" buffers it). Every product and
    # sum is the float32 operation it always was, in the same order.
    a, b = np.empty(c.n, dtype=np.float32), np.empty(c.n, dtype=np.float32)
    cut3, cut4 = np.empty(c.n, dtype=np.float32), np.empty(c.n, dtype=np.float32)
    np.multiply(c.hj, np.take(dj, dkey, out=a, mode="clip"), out=a)
    np.add(c.h2, np.multiply(a, c.jm_dyn, out=a), out=cut3)
    np.multiply(c.ho, np.take(do, dkey, out=b, mode="clip"), out=b)
    np.add(cut3, np.multiply(b, c.om_dyn, out=b), out=cut4)
    exh = np.flatnonzero(c.exhausted)
    if len(exh):
        cut4[exh] += 1.0  # dagpenge ran out: leave unless leaving for folkepension, death or emigration
    u0 = U.u0
    idx = np.flatnonzero(u0 < cut4)
    new = old.copy()
    moved = idx[:0]
    c.dur += 1
    if t % 52 == 0:
        np.minimum(c.dur, D_TABLE - 60, out=c.dur)
    if len(idx):
        u = u0[idx]
        cum = np.stack([c.h0[idx], c.h1[idx], c.h2[idx], cut3[idx], cut4[idx]])
        cum[1:4, c.exhausted[idx]] += 1.0  # as cut4 above
        which = (u >= cum).sum(axis=0)
        u1 = U.get(1, idx)
        dest = np.empty(len(idx), dtype=np.int8)
        f = which == 0
        if f.any():
            first = tb.first[c.skey[idx[f]] + c.akey[idx[f]]]
            dest[f] = np.where(u[f] < first[:, 0], _S.FOLK, np.where(u[f] < first[:, 1], _S.DEAD, _S.EMIG))
        dest[which == 1] = _S.FTP
        dest[which == 2] = np.where(c.flex[idx[which == 2]], _S.FLEKS, _S.EFTL)
        dest[which == 3] = _S.EMP
        o = which == 4
        if o.any():
            rows = tb.oth[c.skey[idx[o]] + c.akey[idx[o]]]
            dest[o] = np.minimum((u1[o, None] >= rows).sum(axis=1), rows.shape[1] - 1)
        x = c.exhausted[idx] & ~f
        dest[x] = np.where(u1[x] < 0.3, _S.KONT, _S.SELF)
        new[idx] = dest
        moved = idx[dest != old[idx]]
        _move(ctx, c, moved, old[moved], new[moved], U)
    c.state = new
    if prev is None:
        is_emp = new == _S.EMP
        np.take(cb.state_code, new, out=code, mode="clip")
        np.multiply(c.job_frac, is_emp.view(np.uint8), out=frac)  # bool as 0/1 bytes: no casting loop
    else:
        np.copyto(code, prev[0])
        np.copyto(frac, prev[1])
        if len(moved):
            code[moved] = cb.state_code[new[moved]]
            frac[moved] = c.job_frac[moved] * (new[moved] == _S.EMP)
    sub = np.flatnonzero(np.subtract(new.view(np.uint8), _SUB_FIRST) < _SUB_COUNT)  # states below wrap round
    if len(sub):
        ss = new[sub]
        _ledig(ctx, c, t, sub[ss == _S.LEDIG], U, code, frac)
        _students(ctx, c, sub[ss == _S.EDU], U, frac)
        _kont(ctx, c, sub[ss == _S.KONT], U, code)
        si = sub[ss == _S.SICK]
        code[si] = np.where(c.dur[si] >= 22, cb.jobafklaring, code[si])  # sygedagpenge stop after 22 weeks
    np.multiply(c.job_ind, (frac != 0).view(np.uint8), out=ind)
    return old


def _move(ctx: Context, c: Cohort, moved: np.ndarray, src: np.ndarray, dst: np.ndarray, U: Draws) -> None:
    """Bookkeeping for persons who changed state this week."""
    requalified = moved[(src == _S.EMP) & (c.dur[moved] >= ctx.params.requalify_weeks)]
    c.dp_used[requalified] = 0  # a year in work earns a new dagpenge period
    c.skey[moved] = dst.astype(np.intp) * (N_AGES * N_KEY)
    _hazards(ctx, c, moved)
    c.dkey0[moved] = (dst.astype(np.intp) * 2 + c.male[moved]) * D_TABLE
    c.dur[moved] = 0
    c.jm_base[moved] = c.job_mult[moved]
    c.om_dyn[moved] = 1.0
    c.act[moved] = 0
    c.side[moved] = False
    c.exhausted[moved] = False
    e = moved[dst == _S.EMP]
    if len(e):
        _job_attributes(ctx, c, e, src[dst == _S.EMP], c.age[e], U)
    k = moved[dst == _S.KONT]
    if len(k):
        _kont_scheme(c, k, c.age[k], U)
    c.jm_dyn[moved] = c.jm_base[moved] * c.eff_job[moved]


def _ledig(ctx: Context, c: Cohort, t: int, li: np.ndarray, U: Draws, code: np.ndarray, frac: np.ndarray) -> None:
    """Insured unemployed: dagpenge clock, activation spells, part-time work (115), feriedagpenge (121)."""
    if not len(li):
        return
    p, cb = ctx.params, ctx.codes
    c.dp_used[li] += 1
    c.exhausted[li] = c.dp_used[li] >= p.dagpenge_weeks
    act, side, dur = c.act[li], c.side[li], c.dur[li]
    u5, u7 = U.get_many((5, 7), li)
    act = np.where((act > 0) & (u5 < p.activation_stop), 0, act)
    p_act = _P_ACT_DUR[np.searchsorted(_P_ACT_CUTS, dur, "right")] * np.where(c.age[li] >= 55, 0.7, 1.0)
    p_act = p_act * c.eff_act[li]  # exactly the same numbers where the factor is 1
    s = np.flatnonzero((act == 0) & ~side & (u5 < p_act) & (dur > 0))
    if len(s):  # the measure is drawn for those who start one only (stream 6 is per person, so the same draws)
        u6 = U.get(6, li[s])
        pick = np.minimum(np.searchsorted(cb.ledig_activation_p, u6, side="right"), len(cb.ledig_activation) - 1)
        vr = c.eff_vr[li[s]]
        if ctx.ledig_activation_p_rule is not None and vr.any():
            alt = np.searchsorted(ctx.ledig_activation_p_rule, u6, side="right")
            pick = np.where(vr, np.minimum(alt, len(cb.ledig_activation) - 1), pick)
        act[s] = cb.ledig_activation[pick]
    side = np.where(side, u7 >= p.side_stop, (act == 0) & (u7 < p.side_start))
    _side_jobs(ctx, c, li[side & ~c.side[li]], U, 10, 45, p.side_temp)
    c.act[li], c.side[li] = act, side
    passive = np.where(side, cb.supplerende, cb.dagpenge)
    if ctx.holiday[t]:  # feriedagpenge in the summer holidays only: stream 6 is needed in those weeks only
        passive = np.where(side, cb.supplerende, np.where(U.get(6, li) < p.holiday_121, cb.feriedagpenge,
                                                          cb.dagpenge))
    code[li] = np.where(act > 0, act, passive)
    frac[li] = np.where(side, c.job_frac[li], 0)


# The weekly chance to start activation on dagpenge by weeks in the spell: 0.012 below 13, 0.03 below 60, then 0.02
_P_ACT_CUTS = np.array([13, 60], dtype=np.int16)
_P_ACT_DUR = np.array([0.012, 0.03, 0.02])


def _students(ctx: Context, c: Cohort, ei: np.ndarray, U: Draws, frac: np.ndarray) -> None:
    """SU recipients: a student job leaves the SU code in place."""
    if not len(ei):
        return
    p = ctx.params
    side = c.side[ei]
    u7 = U.get(7, ei)
    side = np.where(side, u7 >= p.student_job_stop, u7 < p.student_job_start)
    _side_jobs(ctx, c, ei[side & ~c.side[ei]], U, 15, 30, 0.05)
    c.side[ei] = side
    frac[ei] = np.where(side, c.job_frac[ei], 0)


def _kont(ctx: Context, c: Cohort, ki: np.ndarray, U: Draws, code: np.ndarray) -> None:
    """Non-insured unemployed: the scheme's code, activation spells."""
    if not len(ki):
        return
    cb = ctx.codes
    scheme = c.kscheme[ki]
    act = c.act[ki]
    u5 = U.get(5, ki)
    act = np.where((act > 0) & (u5 < 0.08), 0, act)
    start = (act == 0) & (u5 < KONT_SCHEME_ACTIVATION[scheme]) & (c.dur[ki] > 0)
    if start.any():
        s_idx = np.flatnonzero(start)
        sch = scheme[s_idx]
        pick = (U.get(6, ki[s_idx])[:, None] >= cb.kont_activation_p[sch]).sum(axis=1)
        act[s_idx] = cb.kont_activation[sch, np.minimum(pick, cb.kont_activation.shape[1] - 1)]
    c.act[ki] = act
    code[ki] = np.where(act > 0, act, cb.kont_passive[scheme])


def init_cohort(ctx: Context, pop: Population, lo: int, hi: int, rng: np.random.Generator) -> Cohort:
    """Persons lo..hi-1 of the population in their state of the week before the first burn-in week."""
    sl = slice(lo, hi)
    n = hi - lo
    birth = pop.birth_day[sl]
    age = ages_at(int(ctx.tl.thursday[0]), birth)
    insured = pop.insured[sl]
    eftl_week = np.where(pop.eftl_member[sl], pop.eftl_week[sl], NEVER).astype(np.int32)
    pension_week = pop.pension_week[sl].astype(np.int32)
    eftl_ok = eftl_week < 0  # bits for week 0 onwards are set by _refresh_keys
    pension = pension_week < 0
    w = initial_shares(age, insured, eftl_ok, pension, pop.origin[sl])
    state = np.minimum((rng.random(n)[:, None] >= np.cumsum(w, axis=1)).sum(axis=1), w.shape[1] - 1)
    state = np.where((state == _S.EFTL) & pop.flex[sl], _S.FLEKS, state).astype(np.int8)
    dur = (rng.random(n) * INITIAL_DURATION[state]).astype(np.int16)
    male = pop.male[sl].astype(np.int32)
    key = ((((pension * 2 + eftl_ok) * 2 + male) * 2 + insured) * 3 + pop.origin[sl]).astype(np.intp)
    dp_used = np.where(state == _S.LEDIG, np.minimum(dur, ctx.params.dagpenge_weeks - 1), 0).astype(np.int16)
    c = Cohort(
        birth_day=birth.copy(),
        male=male,
        origin=pop.origin[sl].copy(),
        ind_row=industry_row(pop.education[sl], male),
        flex=pop.flex[sl].copy(),
        eftl_week=eftl_week,
        pension_week=pension_week,
        job_mult=pop.job_mult[sl].copy(),
        sep_mult=pop.sep_mult[sl].copy(),
        health=pop.health[sl].copy(),
        key=key,
        age=age,
        akey=age.astype(np.intp) * N_KEY + key,
        skey=state.astype(np.intp) * (N_AGES * N_KEY),
        dkey0=(state.astype(np.intp) * 2 + male) * D_TABLE,
        state=state,
        dur=dur,
        dp_used=dp_used,
        exhausted=np.zeros(n, dtype=bool),
        act=np.zeros(n, dtype=np.int16),
        side=np.zeros(n, dtype=bool),
        job_frac=np.zeros(n, dtype=np.uint8),
        job_ind=np.zeros(n, dtype=np.uint8),
        kscheme=np.zeros(n, dtype=np.int8),
        jm_base=pop.job_mult[sl].copy(),
        jm_dyn=pop.job_mult[sl].copy(),
        om_dyn=np.ones(n, dtype=np.float32),
        ftp_mult=pop.health[sl].copy(),
        eff_job=np.ones(n, dtype=np.float32),
        eff_temp=np.zeros(n, dtype=np.float32),
        eff_ret=np.ones(n, dtype=np.float32),
        eff_act=np.ones(n, dtype=np.float32),
        eff_vr=np.zeros(n, dtype=bool),
        **{h: np.empty(n, dtype=np.float32) for h in ("h0", "h1", "h2", "hj", "ho")},
    )
    _hazards(ctx, c)
    U = Draws.draw(rng, n)
    e = np.flatnonzero(state == _S.EMP)
    _job_attributes(ctx, c, e, np.full(len(e), _S.EDU), age[e], U)  # the stock of jobs: few temp jobs
    k = np.flatnonzero(state == _S.KONT)
    _kont_scheme(c, k, age[k], U)
    c.jm_dyn[:] = c.jm_base
    return c

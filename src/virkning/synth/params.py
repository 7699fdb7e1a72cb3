"""Parameters of the synthetic population and of the weekly multi-state model, as numpy lookup tables.

All hazards are weekly probabilities. The model is a competing-risks model: in a week a person can leave the
current state for folkepension (at pension age), death, emigration, dagpenge exhaustion, førtidspension,
efterløn, a job, or one of several 'other' destinations. Each hazard is a base value by state, age and a small
person key (pension age reached, efterløn possible, sex, insured, origin; table `comp`), times a duration factor
by state and sex (`dur`; exit hazards fall with spell duration), times person multipliers (education, origin,
region, unobserved frailty and health). docs/synthetic-data.md explains the choices and the stocks they produce.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from virkning.synth.codes import N_STATES, S

N_AGES = 101  # ages 0..100 (older ages are clipped)
D_MAX = 521  # durations beyond ten years are treated as ten years
D_TABLE = 1024  # rows per state in the duration table (durations are capped below this, see paths.step)
N_KEY = 48  # person key: ((pension * 2 + efterløn) * 2 + male) * 2 + insured) * 3 + origin
ORIGINS = ("dansk", "indvandrer", "efterkommer")
EDUCATIONS = ("grundskole", "gymnasial", "erhvervsfaglig", "KVU", "MVU", "LVU", "ukendt")

# Hazard components in the order the week's uniform draw is partitioned. C_FIRST is the sum of folkepension,
# death and emigration (split again, from `first`, for the few who leave that way).
C_FIRST, C_FTP, C_EFTL, C_JOB, C_OTH = range(5)
N_COMP = 5


def _band(age: np.ndarray, edges: list[int], values: list[float]) -> np.ndarray:
    """Piecewise-constant function of age: values[i] on [edges[i], edges[i+1])."""
    idx = np.searchsorted(np.asarray(edges), age, side="right") - 1
    out = np.asarray(values, dtype=np.float64)[np.clip(idx, 0, len(values) - 1)]
    return np.where(age < edges[0], 0.0, out)


@dataclass(frozen=True)
class ProgrammeParams:
    """The Seniorvikar-like programme: who is invited, who attends, and the true effect."""

    year: int = 2018
    skipped_weeks: tuple[int, ...] = (1, 13, 29, 30, 52)  # 47 meeting weeks: not at New Year, Easter, summer, Christmas
    meeting_share: float = 0.6  # share of the 47 weeks in which a given project holds a meeting
    age_min: int = 50
    age_max: int = 65
    # An eligible senior is invited at the first meeting of the project while eligible and, if still eligible,
    # again `reinvite_weeks` later (at most `invitations` times). The logit of attending an invitation favours
    # those the job centre sees as ready for temp work: younger seniors, skilled workers, recent work history,
    # spells of a few months, so participants differ from other unemployed seniors on observables.
    invitations: int = 2
    invite_share: float = 1.0  # share of eligible seniors the job centres would invite at all (a fixed trait)
    reinvite_weeks: int = 13
    intercept: float = 0.0
    male: float = 0.30
    age_under_55: float = 0.80
    age_55_59: float = 0.40
    age_62_plus: float = -1.60
    education: tuple[float, ...] = (-1.20, 0.0, 0.50, 0.50, 0.0, -1.00, -1.80)  # order of EDUCATIONS
    indvandrer: float = -1.50
    efterkommer: float = -0.70
    employment_history: float = 2.5  # times the share of the last 156 register weeks with employment
    spell_under_13: float = -1.00
    spell_13_52: float = 0.50
    spell_over_104: float = -1.00
    sickness_weeks: float = -0.10  # per week of sickness benefit in the last 156 weeks (capped at 20)
    repeat_attendance: float = 0.06  # a participant's chance to attend a later meeting of the project
    signup: float = 0.60  # share of participants who sign up with a temp agency
    # True effect, from the month after the meeting for `effect_months` months.
    effect_months: int = 12
    job_hazard: float = 0.09  # relative increase of the weekly job-start hazard
    temp_shift_signed: float = 0.17  # share of non-temp job starts turned into temp-agency starts (signed up)
    temp_shift_other: float = 0.02  # same for participants who did not sign up
    retirement_hazard: float = -0.30  # relative change of hazards into efterløn, fleksydelse and førtidspension

    def without_effect(self) -> "ProgrammeParams":
        return replace(self, job_hazard=0.0, temp_shift_signed=0.0, temp_shift_other=0.0, retirement_hazard=0.0)


@dataclass(frozen=True)
class PopulationParams:
    senior_oversampling: float = 4.5  # weight of cohorts aged 50-65 on 1 January 2019 (see docs)
    seniors_only: bool = False  # draw only those cohorts (the programme's population at national scale)
    senior_born_from: str = "1953-01-02"
    senior_born_to: str = "1968-12-31"
    male_share: float = 0.5
    frailty_sigma: float = 0.35  # unobserved job-finding heterogeneity (log-normal, mean 1)
    health_sigma: float = 0.8  # unobserved health (log-normal, mean 1): førtidspension and sickness


@dataclass(frozen=True)
class ModelParams:
    population: PopulationParams = field(default_factory=PopulationParams)
    programme: ProgrammeParams = field(default_factory=ProgrammeParams)
    burn_in_weeks: int = 52
    dagpenge_weeks: int = 104  # maximum dagpenge period; regained after 52 weeks of employment
    requalify_weeks: int = 52
    side_start: float = 0.018  # weekly chance a passive dagpenge recipient starts part-time work (code 115)
    side_stop: float = 0.22
    side_temp: float = 0.15
    student_job_start: float = 0.015  # SU recipients with a student job (code 651 stays)
    student_job_stop: float = 0.03
    activation_stop: float = 0.09
    holiday_121: float = 0.30  # chance a passive dagpenge week in ISO weeks 28-31 is feriedagpenge
    pension_exit_employed: float = 0.03  # weekly chance an employed person past pension age retires
    temp_separation: float = 5.0  # separation multiplier of temp-agency jobs


# --- job-start and 'other' hazards ------------------------------------------------------------------------

AGE = np.arange(N_AGES)

AGE_JOB = _band(AGE, [16, 18, 25, 30, 50, 55, 60, 63, 65], [0.7, 1.0, 1.05, 1.0, 0.85, 0.72, 0.50, 0.35, 0.2])


def _job_base(s: int, male: int) -> np.ndarray:
    if s == S.SELF:
        return _band(AGE, [16, 18, 25, 30, 50, 55, 60, 65], [0.010, 0.030, 0.028, 0.022, 0.014, 0.009, 0.004, 0.001])
    if s == S.LEDIG:
        return 0.09 * AGE_JOB
    if s == S.KONT:
        return 0.026 * AGE_JOB
    if s == S.SICK:
        return 0.075 * np.where(AGE >= 60, 0.7, 1.0) * (AGE >= 16)
    if s == S.EDU:
        return _band(AGE, [18, 22, 26, 30], [0.003, 0.0075, 0.011, 0.015])
    if s == S.BARSEL:
        return np.full(N_AGES, 0.40 if male else 0.07)
    if s in (S.EFTL, S.FLEKS):
        return np.full(N_AGES, 0.0003)
    return np.zeros(N_AGES)


def _other_destinations(s: int, male: int, insured: int) -> np.ndarray:
    """Weekly hazards [age, destination] for exits that are not a job, retirement, death or emigration."""
    d = np.zeros((N_AGES, N_STATES))
    women = 1 - male
    barsel_f = _band(AGE, [22, 30, 40, 45], [0.0018, 0.0020, 0.0003, 0.0]) if women else \
        _band(AGE, [25, 45], [0.0010, 0.0])
    if s == S.EMP:
        sep = _band(AGE, [16, 18, 25, 30, 50, 60, 65], [0.012, 0.006, 0.0035, 0.0021, 0.0021, 0.0025, 0.004])
        if insured:
            d[:, S.LEDIG] = 0.85 * sep
            d[:, S.SELF] = 0.15 * sep
        else:
            d[:, S.KONT] = np.where(AGE < 25, 0.35, 0.45) * sep
            d[:, S.SELF] = np.where(AGE < 25, 0.65, 0.55) * sep
        d[:, S.SICK] = _band(AGE, [16, 50, 60], [0.0010, 0.0016, 0.0020])
        d[:, S.EDU] = _band(AGE, [16, 25, 30, 40, 50], [0.004, 0.0015, 0.0004, 0.0001, 0.0])
        d[:, S.BARSEL] = barsel_f
        d[:, S.SELF] += _band(AGE, [16, 60], [0.0004, 0.0012])
    elif s == S.LEDIG:
        d[:, S.SICK] = 0.003
        d[:, S.EDU] = _band(AGE, [16, 30, 50], [0.004, 0.001, 0.0])
        d[:, S.SELF] = 0.0015
        d[:, S.BARSEL] = barsel_f * 0.8
    elif s == S.KONT:
        d[:, S.SICK] = 0.004
        d[:, S.EDU] = _band(AGE, [16, 30, 40], [0.010, 0.002, 0.0])
        d[:, S.SELF] = 0.003
        d[:, S.BARSEL] = barsel_f
        d[:, S.LEDIG] = 0.002 * insured
    elif s == S.SICK:
        d[:, S.LEDIG] = 0.012 * insured
        d[:, S.KONT] = 0.002 * insured + 0.008 * (1 - insured)
        d[:, S.SELF] = 0.004
        d[:, S.FTP] = 0.0015 * np.exp(0.04 * (AGE - 40))  # long sickness ends in førtidspension for some
    elif s == S.SELF:
        d[:, S.EDU] = _band(AGE, [18, 25, 30, 40], [0.012, 0.004, 0.001, 0.0])
        d[:, S.KONT] = _band(AGE, [18, 60], [0.0025, 0.0005])
        d[:, S.LEDIG] = 0.002 * insured * (AGE >= 18)
        d[:, S.SICK] = 0.0005 * (AGE >= 18)
        d[:, S.BARSEL] = barsel_f * 0.5
    elif s == S.EDU:
        d[:, S.LEDIG] = 0.0025 * insured * (AGE >= 21)
        d[:, S.SELF] = 0.002
        d[:, S.KONT] = 0.0007
        d[:, S.BARSEL] = barsel_f * 0.5
    elif s == S.BARSEL:
        d[:, S.LEDIG] = 0.006 * insured * (5.0 if male else 1.0)
        d[:, S.KONT] = 0.004 * (1 - insured) * (5.0 if male else 1.0)
        d[:, S.SELF] = 0.004 * (5.0 if male else 1.0)
    elif s == S.EMIG:
        d[:, S.SELF] = 0.003 * (AGE < 67)  # some come back
    elif s == S.CHILD:
        d[:, S.SELF] = (AGE >= 16) * 1.0  # forced at 16: school pupils without codes
    d[AGE < 16, :] = np.where(s == S.CHILD, d[AGE < 16, :], 0.0)
    return d


def _ftp_hazard(s: int) -> np.ndarray:
    base = 0.00004 * np.exp(0.06 * (AGE - 30)) * (AGE >= 18)
    mult = {S.EMP: 0.05, S.SELF: 0.5, S.LEDIG: 0.3, S.KONT: 3.0, S.EDU: 0.1}.get(S(s), 0.0)
    return base * mult


def _eftl_hazard(s: int) -> float:
    """Weekly take-up of efterløn once eligible (applied only to eligible scheme members)."""
    return {S.EMP: 0.009, S.LEDIG: 0.03, S.SELF: 0.016, S.SICK: 0.009}.get(S(s), 0.0)


def _death(s: int, male: int) -> np.ndarray:
    annual = np.exp(-10.2 + 0.092 * AGE) * (1.25 if male else 0.78)
    if s == S.FTP:
        annual = annual * 2.5
    if s in (S.EMIG, S.DEAD, S.CHILD):
        annual = annual * 0.0
    return np.minimum(annual, 0.5) / 52.0


def _emigration(s: int, origin: int) -> np.ndarray:
    if origin == 0:
        annual = _band(AGE, [16, 20, 35], [0.001, 0.005, 0.0015])
    elif origin == 1:
        annual = _band(AGE, [16, 20, 40, 60], [0.01, 0.03, 0.015, 0.01])
    else:
        annual = _band(AGE, [16], [0.006])
    if s in (S.EMIG, S.DEAD, S.CHILD, S.FTP, S.FOLK):
        annual = annual * (0.0 if s != S.FOLK else 0.3)
    return annual / 52.0


@dataclass(frozen=True)
class Tables:
    # Hazards are gathered for every person every week, so they are stored one contiguous row per component.
    comp: np.ndarray  # float32 [N_COMP, key]; key = (state * N_AGES + age) * N_KEY + person key
    dur: np.ndarray  # float32 [job/other, (state * 2 + male) * D_TABLE + duration]
    first: np.ndarray  # float32 [key, 3] cumulative folkepension, death, emigration (for leavers only)
    oth: np.ndarray  # float32 [key, N_STATES] cumulative shares of 'other' destinations (for leavers only)


def key_parts(k: np.ndarray) -> tuple[np.ndarray, ...]:
    """Person key -> (pension, efterløn, male, insured, origin)."""
    return k // 24, (k // 12) % 2, (k // 6) % 2, (k // 3) % 2, k % 3


def build_tables(p: ModelParams) -> Tables:
    n_key = N_STATES * N_AGES * N_KEY
    comp = np.zeros((n_key, N_COMP))
    first = np.zeros((n_key, 3))
    oth = np.zeros((n_key, N_STATES))
    ages = np.arange(N_AGES)
    pension_forced = np.ones(N_STATES)
    pension_forced[[S.FOLK, S.EMIG, S.DEAD]] = 0.0
    pension_forced[S.EMP] = p.pension_exit_employed
    for s in range(N_STATES):
        for k in range(N_KEY):
            pens, eftl, male, insured, origin = (int(v) for v in key_parts(np.array(k)))
            od = _other_destinations(s, male, insured)
            total = od.sum(axis=1)
            keys = (s * N_AGES + ages) * N_KEY + k
            parts = np.stack([np.full(N_AGES, pension_forced[s] * pens), _death(s, male), _emigration(s, origin)], 1)
            first[keys] = np.cumsum(parts, axis=1)
            comp[keys, C_FIRST] = parts.sum(axis=1)
            comp[keys, C_FTP] = _ftp_hazard(s)
            comp[keys, C_EFTL] = _eftl_hazard(s) * eftl * (1 - pens)
            comp[keys, C_JOB] = _job_base(s, male)
            comp[keys, C_OTH] = total
            oth[keys] = np.cumsum(od, axis=1) / np.where(total > 0, total, 1.0)[:, None]
    d = np.minimum(np.arange(D_TABLE, dtype=np.float64), D_MAX - 1)
    dur_job = np.ones((N_STATES * 2, D_TABLE))
    dur_oth = np.ones((N_STATES * 2, D_TABLE))
    for male in (0, 1):
        r = lambda s: s * 2 + male  # noqa: E731
        dur_oth[r(S.EMP)] = 0.5 + 1.5 / (1 + d / 26)  # new jobs are fragile
        dur_job[r(S.SELF)] = (1 + d / 52) ** -0.5
        dur_job[r(S.LEDIG)] = (1 + d / 13) ** -0.5
        dur_job[r(S.KONT)] = (1 + d / 26) ** -0.5
        dur_oth[r(S.KONT)] = (1 + d / 52) ** -0.3
        dur_job[r(S.SICK)] = (1 + d / 8) ** -0.4
        dur_oth[r(S.SICK)] = np.where(d >= 52, 1e3, (1 + d / 8) ** -0.3)  # sickness ends after a year
        min_leave = 1 if male else 16
        dur_job[r(S.BARSEL)] = (d >= min_leave) * 1.0
        dur_oth[r(S.BARSEL)] = (d >= min_leave) * 1.0
    return Tables(
        comp=np.ascontiguousarray(comp.T, dtype=np.float32),
        dur=np.stack([dur_job.ravel(), dur_oth.ravel()]).astype(np.float32),
        first=first.astype(np.float32),
        oth=oth.astype(np.float32),
    )


# --- job attributes -----------------------------------------------------------------------------------------

# Temp-agency share of job starts by the state the job is started from; seniors (50+) a quarter more.
TEMP_SHARE = np.zeros(N_STATES, dtype=np.float32)
TEMP_SHARE[[S.SELF, S.LEDIG, S.KONT, S.SICK, S.EDU, S.BARSEL, S.EFTL, S.FLEKS]] = (
    0.04, 0.10, 0.08, 0.02, 0.03, 0.01, 0.08, 0.08)
TEMP_SENIOR = 1.25

# Industries (DB07, 6 digits) with weights for three education groups x two sexes.
# Columns: low M, low K, mid M, mid K, high M, high K (low: grundskole/gymnasial/ukendt, mid: erhvervsfaglig/KVU,
# high: MVU/LVU).
INDUSTRIES = (
    ("101100", "Forarbejdning og konservering af kød", (6, 3, 3, 1, 0.5, 0.3)),
    ("251100", "Fremstilling af metalkonstruktioner", (6, 1, 6, 1, 1, 0.3)),
    ("410000", "Opførelse af bygninger", (8, 1, 10, 1, 2, 0.5)),
    ("432100", "El-installation", (2, 0.2, 7, 0.5, 1, 0.2)),
    ("469000", "Ikke-specialiseret engroshandel", (6, 4, 6, 4, 4, 3)),
    ("471100", "Supermarkeder og lign.", (10, 14, 5, 7, 1, 1)),
    ("494100", "Vejgodstransport", (9, 1, 7, 1, 0.5, 0.2)),
    ("521000", "Oplagring", (8, 3, 4, 1.5, 0.5, 0.3)),
    ("561010", "Restauranter", (9, 10, 3, 4, 1, 1)),
    ("620100", "Computerprogrammering", (1, 0.5, 2, 1, 10, 4)),
    ("702200", "Virksomhedsrådgivning", (1, 1, 2, 2, 10, 8)),
    ("812100", "Almindelig rengøring i bygninger", (7, 10, 2, 3, 0.3, 0.5)),
    ("841100", "Generelle offentlige tjenester", (2, 3, 4, 7, 12, 14)),
    ("852010", "Grundskoler", (1, 2, 1, 3, 8, 16)),
    ("861000", "Hospitaler", (1, 3, 2, 8, 6, 14)),
    ("873000", "Plejehjem", (2, 8, 2, 10, 1, 4)),
    ("881000", "Sociale foranstaltninger for ældre og handicappede (hjemmehjælp)", (2, 9, 2, 12, 1, 4)),
)
TEMP_INDUSTRY = ("782000", "Vikarbureauer")
INDUSTRY_CODES = tuple(code for code, _, _ in INDUSTRIES) + (TEMP_INDUSTRY[0],)
TEMP_INDEX = len(INDUSTRIES)  # index of 782000 in INDUSTRY_CODES (weekly arrays store index + 1, 0 = none)
EDU_GROUP = np.array([0, 0, 1, 1, 2, 2, 0], dtype=np.int8)  # EDUCATIONS -> low/mid/high


def industry_cdf() -> np.ndarray:
    """float32 [group * 2 + female, industry] cumulative shares over the non-temp industries."""
    w = np.array([weights for _, _, weights in INDUSTRIES], dtype=np.float64).T  # [6, n_ind]
    return (np.cumsum(w, axis=1) / w.sum(axis=1, keepdims=True)).astype(np.float32)


# Initial state shares by age (before the burn-in settles them): columns follow S.
def initial_shares(age: np.ndarray, insured: np.ndarray, eftl_ok: np.ndarray, pension: np.ndarray,
                   origin: np.ndarray) -> np.ndarray:
    """float64 [n, N_STATES] weights of the state at the first burn-in week."""
    n = len(age)
    w = np.zeros((n, N_STATES))
    a = age
    young = (a >= 16) & (a < 18)
    w[young, S.SELF] = 0.75
    w[young, S.EMP] = 0.25
    adult = a >= 18
    emp = _band(a, [18, 25, 30, 50, 55, 60, 63], [0.45, 0.68, 0.80, 0.78, 0.72, 0.50, 0.35])
    w[adult, S.EMP] = emp[adult]
    w[adult, S.EDU] = _band(a, [18, 25, 30, 40], [0.38, 0.16, 0.03, 0.01])[adult]
    unemp = _band(a, [18, 25, 30, 50, 60], [0.04, 0.05, 0.035, 0.04, 0.045])
    w[adult, S.LEDIG] = np.where(insured, unemp, 0)[adult]
    w[adult, S.KONT] = (np.where(insured, 0.006, unemp) + _band(a, [18, 30, 60], [0.02, 0.02, 0.005]))[adult]
    w[adult, S.SICK] = _band(a, [18, 30, 50], [0.010, 0.018, 0.025])[adult]
    w[adult, S.FTP] = _band(a, [18, 30, 40, 50, 55, 60], [0.006, 0.015, 0.035, 0.06, 0.09, 0.12])[adult]
    w[adult, S.SELF] = _band(a, [18, 25, 30, 50, 60], [0.06, 0.05, 0.05, 0.06, 0.09])[adult]
    w[adult, S.BARSEL] = _band(a, [22, 30, 40], [0.01, 0.015, 0.0])[adult]
    w[adult & eftl_ok, S.EFTL] = 0.7
    w[pension] = 0.0
    w[pension, S.FOLK] = 1.0
    # Abroad at the start, near the balance of emigration and return (emigration / (emigration + return)).
    w[adult, S.EMIG] = (w[adult].sum(axis=1) * np.array([0.02, 0.12, 0.04])[origin[adult]]
                        * np.where(pension[adult], 0.5, 1.0))
    w[a < 16] = 0.0
    w[a < 16, S.CHILD] = 1.0
    return w / w.sum(axis=1, keepdims=True)


INITIAL_DURATION = np.array([300, 60, 20, 80, 6, 100, 10, 100, 100, 300, 300, 0, 0, 0], dtype=np.float64)

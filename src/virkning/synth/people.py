"""Draw the synthetic persons: birth date, sex, municipality, origin, education, a-kasse, and hidden traits.

Observed attributes go to the `persons` table. Hidden traits (job-finding frailty, health, efterløn-scheme
membership) drive the paths but are never written, so an evaluator sees what a real one would.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from virkning.synth.geography import Geography
from virkning.synth.params import EDU_GROUP, EDUCATIONS, ModelParams, _band
from virkning.synth.timeline import Timeline, day_number

A_KASSER = (
    "3F", "HK", "FOA", "Dansk Metal", "Krifa", "Det Faglige Hus", "Ase", "Min A-kasse",
    "Akademikernes A-kasse", "Magistrenes A-kasse", "CA a-kasse", "Lærernes a-kasse", "FTF-A",
)
# a-kasse weights by (education group low/mid/high) x sex (M, K), columns follow A_KASSER.
_AKASSE_W = np.array([
    [30, 8, 3, 14, 12, 10, 12, 5, 0, 0, 0, 0, 2],  # low/mid M
    [15, 18, 22, 2, 12, 8, 12, 8, 0, 0, 0, 0, 3],  # low/mid K
    [0, 10, 2, 5, 10, 6, 12, 8, 3, 0, 5, 10, 18],  # KVU/MVU M
    [0, 12, 8, 0, 10, 5, 10, 6, 1, 1, 2, 14, 25],  # KVU/MVU K
    [0, 1, 0, 0, 5, 2, 8, 5, 40, 15, 20, 0, 5],  # LVU M
    [0, 1, 0, 0, 5, 2, 8, 5, 32, 28, 15, 0, 5],  # LVU K
], dtype=np.float64)

# Education shares (order of EDUCATIONS) by origin and age on 1 July 2018.
_EDU_DANSK = {  # age group lower bound -> shares
    0: (0.35, 0.30, 0.15, 0.03, 0.07, 0.05, 0.05),
    25: (0.15, 0.10, 0.30, 0.06, 0.20, 0.18, 0.01),
    40: (0.20, 0.06, 0.38, 0.06, 0.17, 0.12, 0.01),
    55: (0.27, 0.04, 0.38, 0.05, 0.15, 0.09, 0.02),
}
_EDU_INDVANDRER = {0: (0.40, 0.20, 0.08, 0.02, 0.03, 0.02, 0.25), 25: (0.28, 0.10, 0.12, 0.04, 0.10, 0.12, 0.24)}
_EDU_EFTERKOMMER = {0: (0.38, 0.25, 0.17, 0.03, 0.08, 0.06, 0.03), 25: (0.25, 0.15, 0.25, 0.05, 0.15, 0.12, 0.03)}
_INSURED = np.array([0.50, 0.55, 0.76, 0.78, 0.82, 0.84, 0.35])  # by education
_EDU_JOB = np.array([0.80, 0.95, 1.00, 1.05, 1.10, 1.05, 0.70], dtype=np.float32)
_EDU_SEP = np.array([1.40, 1.10, 1.00, 0.90, 0.75, 0.80, 1.50], dtype=np.float32)
_ORIGIN_JOB = np.array([1.0, 0.70, 0.85], dtype=np.float32)
_ORIGIN_SEP = np.array([1.0, 1.50, 1.30], dtype=np.float32)

# Statutory ages by birth date (velfærdsaftalen 2006, tilbagetrækningsreformen 2011, later indexation):
# (born before, efterløn age, folkepension age).
_RETIREMENT_AGES = (
    ("1954-01-01", 60.0, 65.0),
    ("1954-07-01", 60.5, 65.5),
    ("1955-01-01", 61.0, 66.0),
    ("1955-07-01", 61.5, 66.5),
    ("1956-01-01", 62.0, 67.0),
    ("1956-07-01", 62.5, 67.0),
    ("1959-01-01", 63.0, 67.0),
    ("1963-01-01", 64.0, 67.0),
    ("1967-01-01", 65.0, 68.0),
    ("9999-12-31", 66.0, 69.0),
)


@dataclass(frozen=True)
class Population:
    n: int
    birth_day: np.ndarray  # int32 day numbers
    male: np.ndarray  # int8 0/1
    municipality: np.ndarray  # int16 index into Geography
    origin: np.ndarray  # int8 index into ORIGINS
    education: np.ndarray  # int8 index into EDUCATIONS
    akasse: np.ndarray  # int8 index into A_KASSER, -1 uninsured
    # hidden
    eftl_member: np.ndarray  # bool: pays into the efterløn scheme
    flex: np.ndarray  # bool: would retire on fleksydelse rather than efterløn
    eftl_week: np.ndarray  # int32 week index from which efterløn is possible (negative: before the first week)
    pension_week: np.ndarray  # int32 week index from which folkepension is paid
    job_mult: np.ndarray  # float32 job-finding multiplier (education, origin, sex, region, frailty)
    sep_mult: np.ndarray  # float32 job-loss multiplier
    health: np.ndarray  # float32 førtidspension multiplier
    invitable: np.ndarray  # bool: the job centre would invite the person to the programme

    @property
    def insured(self) -> np.ndarray:
        return self.akasse >= 0


def _pick(u: np.ndarray, cdf: np.ndarray) -> np.ndarray:
    """Inverse-CDF draw: rows of `cdf` (or one cdf) against uniforms `u`."""
    if cdf.ndim == 1:
        return np.minimum(np.searchsorted(cdf, u, side="right"), len(cdf) - 1)
    return np.minimum((u[:, None] >= cdf).sum(axis=1), cdf.shape[1] - 1)


def _age_on(day: int, birth_day: np.ndarray) -> np.ndarray:
    return (day - birth_day) * 4 // 1461


def draw_population(n: int, rng: np.random.Generator, geo: Geography, tl: Timeline, p: ModelParams) -> Population:
    pp = p.population
    # Birth dates: everyone is 16-70 at some point of the register period; the cohorts aged 50-65 on
    # 1 January 2019 are over-represented so that small runs hold enough programme-eligible seniors.
    lo = day_number(tl.start) - int(71 * 365.25) + 1
    hi = day_number(tl.end) - int(16 * 365.25)
    s_lo = max(lo, day_number(dt.date.fromisoformat(pp.senior_born_from)))
    s_hi = min(hi, day_number(dt.date.fromisoformat(pp.senior_born_to)))
    span, s_span = hi - lo + 1, max(s_hi - s_lo + 1, 0)
    p_senior = 1.0 if pp.seniors_only else pp.senior_oversampling * s_span / (span + (pp.senior_oversampling - 1) * s_span)
    senior = rng.random(n) < p_senior
    other = rng.integers(0, span - s_span, n)  # days outside the senior window, then shifted past it
    other = lo + other + np.where(lo + other >= s_lo, s_span, 0)
    birth_day = np.where(senior, rng.integers(s_lo, s_hi + 1, n), other).astype(np.int32)

    male = (rng.random(n) < pp.male_share).astype(np.int8)
    municipality = _pick(rng.random(n), np.cumsum(geo.weights)).astype(np.int16)

    age18 = _age_on(day_number(dt.date(2018, 7, 1)), birth_day)
    p_indv = _band(age18, [0, 20, 25, 45, 65], [0.10, 0.17, 0.17, 0.10, 0.06])
    p_efterk = _band(age18, [0, 20, 30, 45], [0.08, 0.06, 0.03, 0.005])
    u = rng.random(n)
    origin = np.where(u < p_indv, 1, np.where(u < p_indv + p_efterk, 2, 0)).astype(np.int8)

    education = np.zeros(n, dtype=np.int8)
    u = rng.random(n)
    for o, table in ((0, _EDU_DANSK), (1, _EDU_INDVANDRER), (2, _EDU_EFTERKOMMER)):
        bounds = sorted(table)
        for i, b in enumerate(bounds):
            upper = bounds[i + 1] if i + 1 < len(bounds) else 999
            sel = (origin == o) & (age18 >= b) & (age18 < upper)
            education[sel] = _pick(u[sel], np.cumsum(table[b]) / sum(table[b]))

    p_ins = _INSURED[education] * np.array([1.0, 0.75, 0.85])[origin]
    p_ins *= _band(age18, [0, 25, 30], [0.55, 0.85, 1.0])
    p_ins *= _age_on(day_number(tl.start), birth_day) < 67  # pensioners throughout the period are not members
    insured = rng.random(n) < p_ins
    row = np.where(education == 5, 2, np.where(np.isin(education, (3, 4)), 1, 0)) * 2 + (1 - male)
    cdf = np.cumsum(_AKASSE_W, axis=1) / _AKASSE_W.sum(axis=1, keepdims=True)
    akasse = np.where(insured, _pick(rng.random(n), cdf[row]), -1).astype(np.int8)

    by = birth_day.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int32) + 1970
    member_p = np.where(by < 1960, 0.75, np.where(by < 1970, 0.60, 0.45))
    eftl_member = insured & (rng.random(n) < member_p)
    flex = eftl_member & (rng.random(n) < 0.06)
    cut = np.array([day_number(dt.date.fromisoformat(c)) for c, _, _ in _RETIREMENT_AGES])
    rule = np.searchsorted(cut, birth_day, side="right")
    eftl_age = np.array([a for _, a, _ in _RETIREMENT_AGES])[rule]
    pens_age = np.array([a for _, _, a in _RETIREMENT_AGES])[rule]
    first_thu = int(tl.thursday[0])

    def week_at(age_years: np.ndarray) -> np.ndarray:
        day = birth_day + np.round(age_years * 365.25).astype(np.int64)
        return (-(-(day - first_thu) // 7)).astype(np.int32)  # first week whose Thursday is on/after; < 0: before

    frailty = np.exp(rng.normal(-pp.frailty_sigma**2 / 2, pp.frailty_sigma, n)).astype(np.float32)
    health = np.exp(rng.normal(-pp.health_sigma**2 / 2, pp.health_sigma, n)).astype(np.float32)
    rar_factor = geo.rar_job_factor[geo.rar_of[municipality]]
    job_mult = (_EDU_JOB[education] * _ORIGIN_JOB[origin] * np.where(male == 1, 1.0, 0.95) * rar_factor * frailty)
    sep_mult = _EDU_SEP[education] * _ORIGIN_SEP[origin] / np.sqrt(frailty)
    # Drawn last, so that a share of 1 leaves every other draw (and the files) as they were.
    invitable = rng.random(n) < p.programme.invite_share if p.programme.invite_share < 1 else np.ones(n, dtype=bool)
    return Population(
        n=n,
        birth_day=birth_day,
        male=male,
        municipality=municipality,
        origin=origin,
        education=education,
        akasse=akasse,
        eftl_member=eftl_member,
        flex=flex,
        eftl_week=week_at(eftl_age),
        pension_week=week_at(pens_age),
        job_mult=job_mult.astype(np.float32),
        sep_mult=sep_mult.astype(np.float32),
        health=health,
        invitable=invitable,
    )


def industry_row(education: np.ndarray, male: np.ndarray) -> np.ndarray:
    """Row of params.industry_cdf() per person: education group * 2 + female."""
    return (EDU_GROUP[education] * 2 + (1 - male)).astype(np.int8)


__all__ = ["A_KASSER", "EDUCATIONS", "Population", "draw_population", "industry_row"]

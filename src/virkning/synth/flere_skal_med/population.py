"""The persons of the Flere-skal-med registers: who they are, how long they have been on cash benefit, and (for
the target group) their visitation.

Kinds: the target group (activity-ready cash-benefit recipients with more than five years of unbroken benefit
at formation, 2017-W01), a few of them never visited, the comparison group (3-5 years), and three kinds of
near misses that a rule-based selection must leave out (job-ready recipients, 1-3 years, and people who left
benefit in 2015-16 after more than five years).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from virkning.synth.flere_skal_med.params import FsmParams
from virkning.synth.timeline import day_number

TARGET, UNVISITED, COMPARISON, JOBPARAT, SHORT, LEFT = range(6)
KIND_NAMES = ("target", "target_unvisited", "comparison", "jobparat", "short_seniority", "left_before_formation")
EDUCATIONS = ("grundskole", "gymnasial", "erhvervsfaglig", "KVU", "MVU", "LVU", "ukendt")
_EDU_DANISH = (0.60, 0.08, 0.22, 0.04, 0.03, 0.01, 0.02)
_EDU_IMMIGRANT = (0.45, 0.05, 0.08, 0.02, 0.03, 0.02, 0.35)
UH_EDUCATIONS = (0, 1, 6)  # without a vocational or higher education: uddannelseshjælp under 30
VOCATIONAL = 2


@dataclass(frozen=True)
class FsmPopulation:
    kind: np.ndarray  # int8, TARGET ... LEFT
    birth_day: np.ndarray  # int32 day numbers
    male: np.ndarray  # bool
    municipality: np.ndarray  # int16 index into the geography
    origin: np.ndarray  # int8: 0 dansk, 1 indvandrer, 2 efterkommer
    education: np.ndarray  # int8 index into EDUCATIONS
    hospital: np.ndarray  # bool: hospital visits 2017-18
    handicap: np.ndarray  # bool
    seniority_years: np.ndarray  # float64 at formation (LEFT: length of the spell that ended)
    start_day: np.ndarray  # int64 day the benefit spell began (before the register start for the longest)
    exit_day: np.ndarray  # int64 day LEFT persons left benefit (a huge number for the others)
    band: np.ndarray  # int8 seniority band of the target group, -1 otherwise
    group: np.ndarray  # int8 index into GROUPS for visited persons, -1 otherwise
    index_day: np.ndarray  # int64 visitation (target) or formation (comparison) day; -1 otherwise
    record_end: np.ndarray  # int64 end day of the visitation record, -1 open

    @property
    def n(self) -> int:
        return len(self.kind)


def age_on(day, birth_day: np.ndarray) -> np.ndarray:
    """Whole years of age on `day` (day numbers): the birthday has to have been reached."""
    b = np.asarray(birth_day).astype("datetime64[D]")
    d = np.broadcast_to(np.asarray(day), b.shape).astype("datetime64[D]")
    by, dy = b.astype("datetime64[Y]").astype(np.int64), d.astype("datetime64[Y]").astype(np.int64)
    bm, dm = b.astype("datetime64[M]"), d.astype("datetime64[M]")
    bmo, dmo = bm.astype(np.int64) % 12, dm.astype(np.int64) % 12
    bd, dd = (b - bm.astype("datetime64[D]")).astype(np.int64), (d - dm.astype("datetime64[D]")).astype(np.int64)
    return dy - by - ((dmo < bmo) | ((dmo == bmo) & (dd < bd)))


def _weekday(day: np.ndarray) -> np.ndarray:
    return (day + 3) % 7  # Monday 0; 1970-01-01 was a Thursday


def draw_population(n: int, rng: np.random.Generator, weights: np.ndarray, p: FsmParams) -> FsmPopulation:
    f_day = day_number(dt.date.fromisoformat(p.formation))
    kind = rng.choice(len(p.kinds), size=n, p=np.asarray(p.kinds) / sum(p.kinds)).astype(np.int8)
    u = rng.random((8, n))
    # Seniority at formation (years), inside the band so that no one sits on a band boundary.
    band = np.where(np.isin(kind, (TARGET, UNVISITED)),
                    rng.choice(len(p.band_weights), size=n, p=np.asarray(p.band_weights) / sum(p.band_weights)),
                    -1).astype(np.int8)
    lo = np.array([b[0] for b in p.band_years])[np.maximum(band, 0)]
    hi = np.array([b[1] for b in p.band_years])[np.maximum(band, 0)]
    years = lo + (hi - lo) * u[0]
    years = np.where(kind == COMPARISON, 3.1 + 1.8 * u[0], years)
    years = np.where(kind == JOBPARAT, 3.1 + 8.9 * u[0], years)
    years = np.where(kind == SHORT, 1.1 + 1.8 * u[0], years)
    years = np.where(kind == LEFT, 5.5 + 6.5 * u[0], years)
    gone = np.where(kind == LEFT, 0.3 + 1.6 * u[1], 0.0)  # LEFT: years between leaving and formation
    start_day = f_day - np.round((years + gone) * 365.25).astype(np.int64)
    exit_day = np.where(kind == LEFT, f_day - np.round(gone * 365.25).astype(np.int64), np.int64(1) << 40)
    # Age at formation: at least 18 at the start of the spell, at most 62.
    a_lo = np.minimum(19 + years + gone, 61.0)
    age = a_lo + (62 - a_lo) * u[2]
    birth_day = (f_day - np.round(age * 365.25)).astype(np.int32)
    male = u[3] < p.male
    municipality = np.minimum(np.searchsorted(np.cumsum(weights), u[4], side="right"), len(weights) - 1)
    origin = np.where(u[5] < 0.28, 1, np.where((u[5] < 0.34) & (age < 45), 2, 0)).astype(np.int8)
    education = np.empty(n, dtype=np.int8)
    for o, shares in ((0, _EDU_DANISH), (1, _EDU_IMMIGRANT), (2, _EDU_DANISH)):
        sel = origin == o
        education[sel] = np.minimum(np.searchsorted(np.cumsum(shares) / sum(shares), u[6][sel], side="right"), 6)
    old = age >= 50
    hospital = rng.random(n) < p.hospital + 0.10 * old
    handicap = rng.random(n) < p.handicap + 0.06 * old

    # Visitation of the target group: group by seniority band and health, date from the mix of periods.
    visited = kind == TARGET
    w = np.array(p.group_shares)[np.maximum(band, 0)].copy()
    w[:, 1] *= np.where(handicap, p.handicap_group2, 1.0) * np.where(hospital, p.hospital_group2, 1.0)
    w[:, 2] *= np.where(hospital, p.hospital_group3, 1.0)
    cdf = np.cumsum(w, axis=1) / w.sum(axis=1, keepdims=True)
    ug = rng.random(n)
    group = np.minimum((ug[:, None] >= cdf).sum(axis=1), 2)
    group = np.where(rng.random(n) < p.postponed, 3, group)
    group = np.where(visited, group, -1).astype(np.int8)
    mix = p.visitation_mix
    period = rng.choice(len(mix), size=n, p=np.array([m[2] for m in mix]) / sum(m[2] for m in mix))
    d_lo = np.array([day_number(dt.date.fromisoformat(m[0])) for m in mix])[period]
    d_hi = np.array([day_number(dt.date.fromisoformat(m[1])) for m in mix])[period]
    day = d_lo + (rng.random(n) * (d_hi - d_lo + 1)).astype(np.int64)
    wd = _weekday(day)
    day = np.where(wd >= 5, day + (7 - wd), day)  # weekends move on to Monday (never past 2018-01-31, a Wednesday)
    index_day = np.where(visited, day, np.where(kind == COMPARISON, f_day, -1)).astype(np.int64)
    length = 180 + (rng.random(n) * 720).astype(np.int64)
    record_end = np.where(visited & (rng.random(n) >= 0.15), index_day + length, -1)
    return FsmPopulation(
        kind=kind, birth_day=birth_day, male=male, municipality=municipality.astype(np.int16), origin=origin,
        education=education, hospital=hospital, handicap=handicap, seniority_years=years, start_day=start_day,
        exit_day=exit_day, band=band, group=group, index_day=index_day, record_end=record_end,
    )

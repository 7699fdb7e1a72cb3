"""The frikommune experiment as a design of the weekly register engine.

Nine North Jutland municipalities (seed 002: Rebild, Thisted, Frederikshavn, Aalborg, Hjørring, Mariagerfjord,
Brønderslev, Jammerbugt, Vesthimmerland) apply a rule for the interviews with insured unemployed people (LAB § 2,
nr. 1) from staggered dates, three municipalities per cohort; 18 municipalities of similar size elsewhere are
the declared comparison set (STAR's jobindsats clusters were discontinued, so the set is a choice: two per trial
municipality, nearest in population, outside North Jutland). Persons are drawn in equal numbers in the 27
municipalities, from the cohorts born 1955-1994.

While a resident of a trial municipality is on dagpenge from the municipality's start date, the rule raises the
weekly job-start hazard, raises the chance to start a measure, shifts measures towards wage subsidy and work
trials, and brings the interviews forward and closer together (interviews.py). Residents of the trial
municipalities have untreated twins from the first start date (same state, same random numbers, rule off), so
every indicator has a known untreated level and the effect is known exactly (indicators.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, replace

import numpy as np
import pyarrow as pa

from virkning.errors import VirkningError
from virkning.registers.catalogue import load_catalogue
from virkning.synth.codes import ACTIVATION_OFFSETS, ACTIVATION_WEIGHTS_DAGPENGE, DAGPENGE_ACTIVATION_DECADE, S
from virkning.synth.frikommune.indicators import (
    INDICATORS, Calendar, Sums, att_tables, pooled_person_tables, quarter_label, unit_quarter_sums,
)
from virkning.synth.frikommune.interviews import schedule, spells, weekday
from virkning.synth.params import ModelParams, PopulationParams
from virkning.synth.paths import NEVER, step
from virkning.synth.seniorvikar import events_table
from virkning.synth.timeline import day_number, month_ordinal

# (municipality, first day of the rule); cohorts start on the first day of a quarter.
TRIAL = (
    ("820", "2017-07-01"), ("840", "2017-07-01"), ("851", "2017-07-01"),  # Vesthimmerlands, Rebild, Aalborg
    ("860", "2018-01-01"), ("813", "2018-01-01"), ("810", "2018-01-01"),  # Hjørring, Frederikshavn, Brønderslev
    ("787", "2018-07-01"), ("846", "2018-07-01"), ("849", "2018-07-01"),  # Thisted, Mariagerfjord, Jammerbugt
)
# Two per trial municipality, nearest in 2018 population outside North Jutland (Læsø, which shares Frederikshavn's
# job centre, and Morsø are in neither set).
COMPARISON = (
    "461", "561",  # Odense, Esbjerg (Aalborg)
    "661", "479",  # Holstebro, Svendborg (Hjørring)
    "580", "760",  # Aabenraa, Ringkøbing-Skjern (Frederikshavn)
    "779", "766",  # Skive, Hedensted (Thisted)
    "706", "575",  # Syddjurs, Vejen (Mariagerfjord)
    "707", "550",  # Norddjurs, Tønder (Jammerbugt)
    "756", "420",  # Ikast-Brande, Assens (Vesthimmerlands)
    "410", "450",  # Middelfart, Nyborg (Brønderslev)
    "340", "530",  # Sorø, Billund (Rebild)
)


@dataclass(frozen=True)
class FrikommuneParams:
    trial: tuple[tuple[str, str], ...] = TRIAL
    comparison: tuple[str, ...] = COMPARISON
    born_from: str = "1955-01-01"
    born_to: str = "1994-12-31"
    # The rule, for residents of a trial municipality on dagpenge from its start date:
    job_hazard: float = 0.25  # relative increase of the weekly job-start hazard
    activation: float = 0.60  # relative increase of the weekly chance to start a measure
    employer_mix: float = 2.0  # weight factor of wage subsidy and work trials (215-218) among new measures
    first_interview: tuple[int, int] = (2, 8)  # weeks from the spell's first week to the first interview
    first_interview_rule: tuple[int, int] = (1, 3)
    cadence: tuple[int, int] = (6, 13)  # weeks between interviews
    cadence_rule: tuple[int, int] = (3, 6)

    def without_effect(self) -> "FrikommuneParams":
        return replace(self, job_hazard=0.0, activation=0.0, employer_mix=1.0,
                       first_interview_rule=self.first_interview, cadence_rule=self.cadence)


class FrikommuneChunk:
    """Per chunk: applies the rule each week and steps the trial residents' untreated twins."""

    def __init__(self, ctx, fp: FrikommuneParams, unit: np.ndarray, rule_week: np.ndarray):
        self.ctx, self.fp, self.unit, self.rule_week = ctx, fp, unit, rule_week
        self.trial = np.flatnonzero(rule_week < NEVER)
        self.trial_week = rule_week[self.trial]
        self.t0 = int(self.trial_week.min()) if len(self.trial) else int(NEVER)
        self.twins = None

    def before_step(self, t: int, c) -> None:
        if t < self.t0:
            return
        if self.twins is None:  # the state at the end of the week before the first start: no effect yet
            self.twins = c.subset(self.trial)
            shape = (self.ctx.tl.n_weeks, len(self.trial))
            self.tcode = np.zeros(shape, dtype=np.int16)
            self.tfrac = np.zeros(shape, dtype=np.uint8)
            self.tind = np.zeros(shape, dtype=np.uint8)
        live = self.trial[self.trial_week <= t]
        on = c.state[live] == int(S.LEDIG)  # the rule concerns insured unemployed people (int: see paths._S)
        job = np.where(on, 1.0 + self.fp.job_hazard, 1.0).astype(np.float32)
        c.eff_job[live] = job
        c.jm_dyn[live] = c.jm_base[live] * job
        c.eff_act[live] = np.where(on, 1.0 + self.fp.activation, 1.0).astype(np.float32)
        c.eff_vr[live] = on

    def step_twins(self, t: int, U) -> None:
        if self.twins is not None:
            step(self.ctx, self.twins, t, U.subset(self.trial), self.tcode[t], self.tfrac[t], self.tind[t])

    def after_step(self, t, c, old, U, code, frac) -> None:
        return None

    def twin_matrices(self, code: np.ndarray, frac: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Weekly code/frac of the twins: the observed values before the first start (identical paths)."""
        tc, tf = self.tcode.copy(), self.tfrac.copy()
        tc[: self.t0] = code[: self.t0][:, self.trial]
        tf[: self.t0] = frac[: self.t0][:, self.trial]
        return tc, tf


class FrikommuneDesign:
    name = "frikommune"
    default_period = ("2015-01-01", "2019-12-31")
    default_horizon = 3
    horizon_range = (1, 12)
    tables = ("events",)

    def __init__(self, fp: FrikommuneParams | None = None, params: ModelParams | None = None):
        self.fp = fp or FrikommuneParams()
        self.params = params or ModelParams(population=PopulationParams(
            seniors_only=True, senior_born_from=self.fp.born_from, senior_born_to=self.fp.born_to))
        self.events: list = []
        self.treated = 0

    def seed_key(self, seed: int, version: int) -> list[int]:
        return [seed, version, 2]

    def check(self, d0: dt.date, d1: dt.date, horizon: int) -> None:
        starts = sorted(dt.date.fromisoformat(s) for _, s in self.fp.trial)
        first_ok = dt.date(starts[0].year - 1, starts[0].month, 1)
        if d0 > first_ok:
            raise VirkningError(f"start {d0} leaves less than four quarters before the first trial start "
                                f"({starts[0]}); start on or before {first_ok}")
        need = month_ordinal(starts[-1]) + 5 + horizon
        if month_ordinal(d1) < need:
            raise VirkningError(f"end {d1} leaves less than two quarters after the last trial start ({starts[-1]}) "
                                f"plus the horizon of {horizon} months; end in {need // 12}-{need % 12 + 1:02d} "
                                "or later")

    def geography(self, geo):
        codes = list(geo.codes)
        design = [c for c, _ in self.fp.trial] + list(self.fp.comparison)
        missing = [c for c in design if c not in codes]
        if missing or len(set(design)) != len(design):
            raise VirkningError(f"frikommune municipalities must be distinct codes of municipalities.csv; "
                                f"check {', '.join(missing) or 'duplicates'}")
        self.unit_codes = design
        self.unit_of_mun = np.full(len(codes), -1, dtype=np.int64)
        for u, c in enumerate(design):
            self.unit_of_mun[codes.index(c)] = u
        weights = np.zeros(len(codes))
        weights[self.unit_of_mun >= 0] = 1.0 / len(design)  # equal numbers of persons per municipality
        self.names = {c: str(n) for c, n in zip(geo.table["code"], geo.table["name"])}
        return replace(geo, weights=weights)

    def context_extras(self, codes) -> dict:
        w = {DAGPENGE_ACTIVATION_DECADE + off: wt for off, wt in zip(ACTIVATION_OFFSETS, ACTIVATION_WEIGHTS_DAGPENGE)}
        mix = np.array([w[int(c)] * (self.fp.employer_mix if 5 <= int(c) % 10 <= 8 else 1.0)
                        for c in codes.ledig_activation])
        return {"ledig_activation_p_rule": (np.cumsum(mix) / mix.sum()).astype(np.float32)}

    def prepare(self, tl, geo, rng: np.random.Generator) -> None:
        self.tl, self.cal = tl, Calendar.of(tl)
        cat = load_catalogue().table
        ledig = cat[cat["state"] == "ledig"]
        self.dp_codes = ledig["code"].astype(int).to_numpy()
        self.act_codes = ledig.loc[ledig["activation"] == 1, "code"].astype(int).to_numpy()
        starts = [day_number(dt.date.fromisoformat(s)) for _, s in self.fp.trial]
        self.start_week = np.array([int(np.searchsorted(tl.thursday, d)) for d in starts] +
                                   [int(NEVER)] * len(self.fp.comparison), dtype=np.int64)
        self.cohort_dates = sorted(set(s for _, s in self.fp.trial))
        self.cohort_of = [self.cohort_dates.index(s) for _, s in self.fp.trial]
        self.cohort_q = [int(month_ordinal(dt.date.fromisoformat(s)) // 3 - self.cal.quarters[0])
                         for s in self.cohort_dates]
        self.key = int(rng.integers(0, 1 << 62))
        n_u, n_q = len(self.unit_codes), len(self.cal.quarters)
        self.sums1, self.sums0 = Sums.zeros(n_u, n_q), Sums.zeros(n_u, n_q)

    def chunk_hook(self, ctx, pop, geo, lo: int, hi: int) -> FrikommuneChunk:
        unit = self.unit_of_mun[pop.municipality[lo:hi]]
        return FrikommuneChunk(ctx, self.fp, unit, self.start_week[unit])

    def _world(self, code, frac, persons, unit, rule_from, horizon) -> tuple[Sums, np.ndarray, np.ndarray]:
        tl, fp = self.tl, self.fp
        sp, start, end = spells(np.isin(code, self.dp_codes))
        s_idx, week, j = schedule(persons[sp], start, end, rule_from[sp], self.key,
                                  (fp.first_interview, fp.first_interview_rule), (fp.cadence, fp.cadence_rule))
        reg = week >= tl.burn
        s_idx, week, j = s_idx[reg], week[reg], j[reg]
        person = sp[s_idx]
        day = tl.monday[week].astype(np.int64) + weekday(persons[person], week, self.key)
        f = j == 0
        firsts = (person[f], start[s_idx[f]], week[f], day[f])
        sums = unit_quarter_sums(tl, self.cal, code, frac, self.dp_codes, self.act_codes, unit,
                                 len(self.unit_codes), horizon, (person, day), firsts)
        return sums, person, day

    def collect(self, tl, codes, sim: dict, lo: int, hi: int, horizon: int) -> None:
        hook: FrikommuneChunk = sim["hook"]
        persons = np.arange(lo, hi, dtype=np.int64)
        sums1, person, day = self._world(sim["code"], sim["frac"], persons, hook.unit, hook.rule_week, horizon)
        self.sums1.add(sums1)
        self.events.extend(zip((lo + person).tolist(), day.tolist(), ["samtale"] * len(person),
                               hook.unit[person].tolist()))
        if hook.twins is not None:
            tc, tf = hook.twin_matrices(sim["code"], sim["frac"])
            never = np.full(len(hook.trial), NEVER, dtype=np.int64)
            sums0, _, _ = self._world(tc, tf, persons[hook.trial], hook.unit[hook.trial], never, horizon)
            self.sums0.add(sums0)
            weeks = np.arange(tl.n_weeks)[:, None]
            under = np.isin(sim["code"][:, hook.trial], self.dp_codes) & (weeks >= hook.trial_week[None, :])
            self.treated += int(under.any(axis=0).sum())

    def extra_tables(self, width: int) -> dict[str, pa.Table]:
        units = [f"Jobcenter {self.names[c]}" for c in self.unit_codes]
        return {"events": events_table(self.events, width, units)}

    def finish(self, horizon: int) -> None:
        self.horizon = horizon

    def counts(self) -> dict:
        return {"participants": self.treated, "participants_population": self.treated,
                "trial municipalities": len(self.fp.trial), "comparison municipalities": len(self.fp.comparison),
                "persons on dagpenge under the rule": self.treated, "samtale events": len(self.events)}

    def truth(self, base: dict) -> dict:
        fp, cal = self.fp, self.cal
        labels, q_labels = self.unit_codes, cal.labels()
        trial = list(range(len(fp.trial)))
        cohort_labels = [quarter_label(int(cal.quarters[q])) for q in self.cohort_q]
        lev1, lev0 = self.sums1.levels(), self.sums0.levels()
        level = lambda arr, units: {labels[u]: [_r(v) for v in arr[u]] for u in units}  # noqa: E731
        indicators = {}
        for name in INDICATORS:
            indicators[name] = {
                "level_observed": level(lev1[name], range(len(labels))),
                "level_untreated": level(lev0[name], trial),
            } | att_tables(lev1[name], lev0[name], trial, self.cohort_of, self.cohort_q, labels, cohort_labels)
        s1, s0 = self.sums1, self.sums0
        person = pooled_person_tables(s1.emp_num, s1.emp_den, s0.emp_num, s0.emp_den, trial, self.cohort_of,
                                      self.cohort_q, cohort_labels)
        return base | {
            "programme": "frikommune",
            "units": {
                "trial": [{"municipality": c, "name": self.names[c], "unit": f"Jobcenter {self.names[c]}",
                           "start": s, "cohort": cohort_labels[self.cohort_dates.index(s)]} for c, s in fp.trial],
                "comparison": [{"municipality": c, "name": self.names[c], "unit": f"Jobcenter {self.names[c]}"}
                               for c in fp.comparison],
            },
            "cohorts": {cohort_labels[i]: [c for (c, s) in fp.trial if s == d]
                        for i, d in enumerate(self.cohort_dates)},
            "periods": q_labels,
            "target_group": "persons with a dagpenge week (catalogue state 'ledig'); the unit is the persons' "
                            "municipality; weeks belong to the quarter of their Thursday",
            "rule_applies": "to residents of a trial municipality in weeks on dagpenge from the first week whose "
                            "Thursday is on or after the start date",
            "indicators": indicators,
            "person_level": {
                "outcome": f"employment (rate > 0) in month m among persons with a dagpenge week in month "
                           f"m - {self.horizon}, pooled over person-months of the quarter's months m",
            } | person,
            "n_treated_persons": self.treated,
            "effect": {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(fp).items()
                       if k not in ("trial", "comparison", "born_from", "born_to")},
            "sampling": {"municipalities": "equal numbers of persons in each of the 27 municipalities",
                         "born": [fp.born_from, fp.born_to]},
        }


def _r(x) -> float | None:
    return round(float(x), 6) if np.isfinite(x) else None

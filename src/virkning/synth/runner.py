"""Run a synthetic register population end to end: persons, weekly paths, programme, tables, truth.json.

Persons are simulated in fixed chunks (each with its own random stream spawned from the seed), so memory stays
bounded and the files are identical for identical arguments.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa

from virkning.errors import VirkningError
from virkning.synth.codes import load_codebook
from virkning.synth.geography import load_geography
from virkning.synth.months import monthly_industry, monthly_rate
from virkning.synth.params import (
    EDUCATIONS, INDUSTRY_CODES, ORIGINS, TEMP_INDEX, ModelParams, PopulationParams, ProgrammeParams, build_tables,
)
from virkning.synth.paths import Draws, init_cohort, make_context, step
from virkning.synth.people import A_KASSER, draw_population
from virkning.synth.programme import ChunkProgramme, build_schedule
from virkning.synth.timeline import build_timeline, month_label, month_ordinal, parse_date
from virkning.synth.truth import INDEX_RULE, OUTCOMES, POPULATION, participant_outcomes, summarise
from virkning.synth.writer import TableWriter, finish, lookup, person_ids, prepare_out

POPULATIONS = {
    "national": ModelParams(),
    "seniors": ModelParams(population=PopulationParams(seniors_only=True),
                           programme=ProgrammeParams(invite_share=0.52)),
}
CHUNK = 1 << 17  # persons simulated together; part of the random design, so changing it changes the data
VERSION = 1


@dataclass(frozen=True)
class SynthSummary:
    """What a run wrote: counts, files, sizes and timings."""

    out: str
    fmt: str
    persons: int
    seed: int
    start: str
    end: str
    weeks: int
    months: int
    participants: int
    participants_population: int
    rows: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)
    bytes: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = asdict(self)
        for group in ("rows", "bytes", "seconds"):
            for k, v in d[group].items():
                d[f"{group}_{k}"] = v
        return d


def generate(
    out: str | Path,
    persons: int = 100_000,
    seed: int = 2018,
    *,
    start: str = "2015-01-01",
    end: str = "2019-07-31",
    fmt: Literal["parquet", "csv"] = "parquet",
    horizon: int = 7,
    population: Literal["national", "seniors"] = "national",
    progress: Callable[[str], None] | None = None,
) -> SynthSummary:
    """Write synthetic national registers (persons, benefits, employment, events) with a Seniorvikar-like
    programme and its true effect (truth.json) to `out`. Identical arguments give identical files.

    `population="national"`: all ages, the senior cohorts drawn 4.5 times as often, every eligible senior in a
    project municipality invited (small runs hold enough participants). `"seniors"`: only the senior cohorts,
    and the job centres invite about half of their eligible seniors, as the real programme's numbers imply:
    1,190,000 persons (the Danish 50-65-year-olds) give about 73,000 unemployed seniors and 2,600 participants."""
    if population not in POPULATIONS:
        raise VirkningError(f"population expected one of {', '.join(POPULATIONS)}; got '{population}'")
    return run(out, persons, seed, start=start, end=end, fmt=fmt, horizon=horizon, progress=progress,
               params=POPULATIONS[population])


def run(out, persons, seed, *, start="2015-01-01", end="2019-07-31", fmt="parquet", horizon=7, progress=None,
        params: ModelParams | None = None, chunk: int = CHUNK) -> SynthSummary:
    """`generate` with the model's parameters and chunk size exposed (tests switch the effect off, or use small
    chunks; both change the data)."""
    t_begin = time.perf_counter()
    params = params or ModelParams()
    say = progress or (lambda msg: None)
    persons, seed, horizon = int(persons), int(seed), int(horizon)
    if persons < 1:
        raise VirkningError(f"persons must be at least 1; got {persons}")
    if fmt not in ("parquet", "csv"):
        raise VirkningError(f"fmt must be 'parquet' or 'csv'; got '{fmt}'")
    if not 1 <= horizon <= 24:
        raise VirkningError(f"horizon must be 1 to 24 months; got {horizon}")
    d0, d1 = parse_date(start, "start"), parse_date(end, "end")
    pp = params.programme
    if d0 > dt.date(pp.year, 1, 1):
        raise VirkningError(f"start {d0} is after the programme began ({pp.year}-01-01); start on or before it")
    last_index = pp.year * 12 + 11
    if month_ordinal(d1) < last_index + horizon:
        raise VirkningError(
            f"end {d1} leaves too little follow-up: meetings run to December {pp.year} and the horizon is {horizon} "
            f"months, so the period must reach {month_label(last_index + horizon)}; give a later end or a shorter "
            "horizon"
        )
    out = Path(out)
    staging = prepare_out(out)

    tl = build_timeline(d0, d1, params.burn_in_weeks)
    codes = load_codebook()
    geo = load_geography()
    ctx = make_context(tl, build_tables(params), codes, params)
    root = np.random.SeedSequence([seed, VERSION])
    pop_ss, sched_ss, chunks_ss = root.spawn(3)
    pop = draw_population(persons, np.random.default_rng(pop_ss), geo, tl, params)
    schedule = build_schedule(tl, pp, len(geo.project_codes), np.random.default_rng(sched_ss))
    say(f"{persons:,} persons drawn; simulating {tl.n_register_weeks} weeks (+{tl.burn} burn-in)")
    t_people = time.perf_counter() - t_begin

    width = max(7, len(str(persons)))
    writers = {name: TableWriter(staging, name, fmt) for name in ("persons", "benefits", "employment")}
    events, y1s, y0s, employed_at_index = [], [], [], []
    n_chunks = -(-persons // chunk)
    chunk_seeds = chunks_ss.spawn(n_chunks)
    sim_seconds = write_seconds = 0.0
    def simulate(ci: int) -> dict:
        lo, hi = ci * chunk, min(persons, (ci + 1) * chunk)
        t0 = time.perf_counter()
        sim = _simulate_chunk(ctx, pop, geo, schedule, lo, hi, np.random.default_rng(chunk_seeds[ci]))
        return sim | {"lo": lo, "hi": hi, "seconds": time.perf_counter() - t0}

    # The next chunk is simulated on a worker thread while this one is summarised and written: numpy and
    # pyarrow release the GIL, so two cores are used (a second worker gains nothing: both are busy already).
    # Chunks are written in order, so the files do not change.
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(simulate, 0)
            for ci in range(n_chunks):
                sim = pending.result()
                if ci + 1 < n_chunks:
                    pending = pool.submit(simulate, ci + 1)
                t1 = time.perf_counter()
                lo, hi, prog = sim["lo"], sim["hi"], sim["programme"]
                if prog.participants:
                    persons_idx, tc, tf, ti = prog.twin_matrices(sim["code"], sim["frac"], sim["ind"])
                    months = np.array([p.month for p in prog.participants], dtype=np.int64)
                    y1, emp = participant_outcomes(tl, horizon, codes.retirement, months, sim["code"][:, persons_idx],
                                                   sim["frac"][:, persons_idx], sim["ind"][:, persons_idx])
                    y0, _ = participant_outcomes(tl, horizon, codes.retirement, months, tc, tf, ti)
                    y1s.append(y1), y0s.append(y0), employed_at_index.append(emp)
                for person, day, event, project in prog.events:
                    events.append((lo + person, day, event, project))
                ids = person_ids(lo, hi, width)
                writers["persons"].write(_persons_table(pop, geo, lo, hi, ids))
                writers["benefits"].write(_benefits_table(tl, sim["code"], ids))
                writers["employment"].write(_employment_table(tl, sim["frac"], sim["ind"], ids))
                sim_seconds += sim["seconds"]
                write_seconds += time.perf_counter() - t1
                del sim, prog
                say(f"chunk {ci + 1}/{n_chunks}: persons {lo + 1:,}-{hi:,} simulated and written")
    finally:
        for w in writers.values():
            w.close()
    t3 = time.perf_counter()
    ev = TableWriter(staging, "events", fmt)
    ev.write(_events_table(events, width, geo.project_units))
    ev.close()
    rows = {name: w.rows for name, w in writers.items()} | {"events": ev.rows}

    y1 = np.concatenate(y1s) if y1s else np.zeros((0, len(OUTCOMES), horizon), dtype=bool)
    y0 = np.concatenate(y0s) if y0s else np.zeros_like(y1)
    emp = np.concatenate(employed_at_index) if employed_at_index else np.zeros(0, dtype=bool)
    truth = {
        "generator": "virkning.synth",
        "version": VERSION,
        "seed": seed,
        "persons": persons,
        "start": d0.isoformat(),
        "end": d1.isoformat(),
        "horizon": horizon,
        "project_municipalities": list(geo.project_codes),
        "projects": [{"municipality": c, "name": str(geo.table.set_index("code").loc[c, "name"]), "unit": u}
                     for c, u in zip(geo.project_codes, geo.project_units)],
        "meeting_weeks": schedule.iso_weeks(tl),
        "n_participants": int(len(y1)),
        "n_population": int((~emp).sum()),
        "index_rule": INDEX_RULE,
        "population": POPULATION,
        "outcomes": summarise(y1, y0, ~emp),
        "outcomes_all": summarise(y1, y0, np.ones(len(y1), dtype=bool)),
        "effect": {k: v for k, v in asdict(pp).items() if k in (
            "effect_months", "job_hazard", "temp_shift_signed", "temp_shift_other", "retirement_hazard", "signup")},
        "sampling": {"seniors_only": params.population.seniors_only,
                     "senior_oversampling": None if params.population.seniors_only
                     else params.population.senior_oversampling,
                     "senior_born": [params.population.senior_born_from, params.population.senior_born_to],
                     "invite_share": params.programme.invite_share},
    }
    files = finish(out, staging, fmt, truth)
    t_end = time.perf_counter()
    say(f"done: {len(y1):,} participants, {rows['benefits']:,} benefit weeks")
    return SynthSummary(
        out=str(out),
        fmt=fmt,
        persons=persons,
        seed=seed,
        start=d0.isoformat(),
        end=d1.isoformat(),
        weeks=tl.n_register_weeks,
        months=len(tl.months),
        participants=int(len(y1)),
        participants_population=int((~emp).sum()),
        rows=rows,
        files={k: str(v) for k, v in files.items()},
        bytes={k: v.stat().st_size for k, v in files.items()},
        seconds={"people": round(t_people, 3), "simulate": round(sim_seconds, 3),
                 "write": round(write_seconds + (t_end - t3), 3), "total": round(t_end - t_begin, 3)},
        # simulate and write overlap, so their sum can exceed the total
    )


def _simulate_chunk(ctx, pop, geo, schedule, lo, hi, rng) -> dict:
    tl = ctx.tl
    n = hi - lo
    c = init_cohort(ctx, pop, lo, hi, rng)
    code = np.empty((tl.n_weeks, n), dtype=np.int16)
    frac = np.empty((tl.n_weeks, n), dtype=np.uint8)
    ind = np.empty((tl.n_weeks, n), dtype=np.uint8)
    project = np.where(pop.invitable[lo:hi], geo.project_of[pop.municipality[lo:hi]], -1)  # -1: never invited
    prog = ChunkProgramme(ctx, schedule, project.astype(np.int8), pop.education[lo:hi])
    for t in range(tl.n_weeks):
        prog.before_step(t, c)
        U = Draws.draw(rng, n)
        old = step(ctx, c, t, U, code[t], frac[t], ind[t])
        prog.step_twins(t, U)
        prog.after_step(t, c, old, U, code, frac)
    return {"code": code, "frac": frac, "ind": ind, "programme": prog}


def _persons_table(pop, geo, lo, hi, ids) -> pa.Table:
    sl = slice(lo, hi)
    mun = pop.municipality[sl]
    ak = pop.akasse[sl]
    return pa.table({
        "person_id": ids,
        "birth_date": pa.array(pop.birth_day[sl], type=pa.int32()).cast(pa.date32()),
        "sex": lookup(1 - pop.male[sl], ("M", "K")),
        "municipality": lookup(mun, list(geo.codes)),
        "origin": lookup(pop.origin[sl], ORIGINS),
        "education": lookup(pop.education[sl], EDUCATIONS),
        "a_kasse": pa.array(list(A_KASSER)).take(pa.array(np.maximum(ak, 0), mask=ak < 0)),
        "region": lookup(geo.rar_of[mun], geo.rar_names),
    })


_CODE_LABELS = [f"{i:03d}" for i in range(1000)]


def _benefits_table(tl, code, ids) -> pa.Table:
    reg = np.ascontiguousarray(code[tl.burn:].T)  # person-major, so rows come out sorted by person, week
    flat = np.flatnonzero(reg)
    person, week = np.divmod(flat, reg.shape[1])
    return pa.table({
        "person_id": ids.take(pa.array(person.astype(np.int32))),
        "week": pa.array(tl.yyyyww[tl.burn:][week], type=pa.int32()),
        "code": lookup(reg.ravel()[flat], _CODE_LABELS),
    })


def _employment_table(tl, frac, ind, ids) -> pa.Table:
    rate = np.ascontiguousarray(monthly_rate(tl, frac[tl.burn:]).T)  # person-major
    flat = np.flatnonzero(rate)
    person, month = np.divmod(flat, rate.shape[1])
    r = rate.ravel()[flat]
    i = np.ascontiguousarray(monthly_industry(tl, ind[tl.burn:]).T).ravel()[flat].astype(np.int8) - 1
    return pa.table({
        "person_id": ids.take(pa.array(person.astype(np.int32))),
        "month": lookup(month, [month_label(int(m)) for m in tl.months]),
        "employment_rate": pa.array(r),
        "hours": pa.array(np.round(r * 160.0, 2)),
        "industry": lookup(i, INDUSTRY_CODES),
        "temp_agency": pa.array(i == TEMP_INDEX),
    })


def _events_table(events, width, units) -> pa.Table:
    if not events:
        return pa.table({"person_id": pa.array([], pa.string()), "date": pa.array([], pa.date32()),
                         "event": pa.array([], pa.string()), "unit": pa.array([], pa.string())})
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    return pa.table({
        "person_id": [f"P{p + 1:0{width}d}" for p, _, _, _ in events],
        "date": pa.array([d for _, d, _, _ in events], type=pa.int32()).cast(pa.date32()),
        "event": [e for _, _, e, _ in events],
        "unit": [units[u] for _, _, _, u in events],
    })

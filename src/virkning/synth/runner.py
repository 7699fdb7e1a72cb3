"""Run a synthetic register population end to end: persons, weekly paths, programme, tables, truth.json.

Persons are simulated in fixed chunks (each with its own random stream spawned from the seed), so memory stays
bounded and the files are identical for identical arguments.
"""

from __future__ import annotations

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
from virkning.synth.months import monthly_industry, monthly_sums, rate_of_sums
from virkning.synth.params import (
    EDUCATIONS, INDUSTRY_CODES, ORIGINS, TEMP_INDEX, ModelParams, PopulationParams, ProgrammeParams, build_tables,
)
from virkning.synth.paths import Draws, init_cohort, make_context, step
from virkning.synth.people import A_KASSER, draw_population
from virkning.synth.rows import Arena, Labels, person_major
from virkning.synth.seniorvikar import SeniorvikarDesign
from virkning.synth.timeline import build_timeline, month_label, parse_date
from virkning.synth.writer import TableWriter, by_position, finish, lookup, person_ids, prepare_out

POPULATIONS = {
    "national": ModelParams(),
    "seniors": ModelParams(population=PopulationParams(seniors_only=True),
                           programme=ProgrammeParams(invite_share=0.52)),
}
PROGRAMMES = ("seniorvikar", "flere_skal_med", "frikommune")
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
    programme: str = "seniorvikar"
    counts: dict = field(default_factory=dict)  # the programme's own counts, label -> number (printed by the CLI)

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
    start: str | None = None,
    end: str | None = None,
    fmt: Literal["parquet", "csv"] = "parquet",
    horizon: int | None = None,
    population: Literal["national", "seniors"] = "national",
    programme: Literal["seniorvikar", "flere_skal_med", "frikommune"] = "seniorvikar",
    progress: Callable[[str], None] | None = None,
) -> SynthSummary:
    """Write synthetic registers with a programme and its true effects (truth.json) to `out`. Identical arguments
    give identical files.

    `programme="seniorvikar"` (default; period 2015-01-01 to 2019-07-31, horizon 7 months): national registers
    (persons, benefits, employment, events) with a Seniorvikar-like programme. `population="national"`: all ages,
    the senior cohorts drawn 4.5 times as often, every eligible senior in a project municipality invited (small
    runs hold enough participants). `"seniors"`: only the senior cohorts, and the job centres invite about half of
    their eligible seniors, as the real programme's numbers imply: 1,190,000 persons (the Danish 50-65-year-olds)
    give about 73,000 unemployed seniors and 2,600 participants.

    `programme="flere_skal_med"` (period 2002-01-01 to 2020-07-31, horizon 29 months): long-term cash-benefit
    recipients and a comparison group, visitation `records` with duplicates, `person_flags`, true trajectories and
    true linear-probability-model coefficients. `programme="frikommune"` (period 2015-01-01 to 2019-12-31, horizon
    3 months): the weekly engine in 9 trial and 18 comparison municipalities, an interview rule starting at
    staggered dates, `samtale` events, true effects on indicators and person outcomes. `start`, `end` and `horizon`
    default to the programme's; `population` applies to Seniorvikar only. docs/synthetic-data.md has the details."""
    if programme not in PROGRAMMES:
        raise VirkningError(f"programme expected one of {', '.join(PROGRAMMES)}; got '{programme}'")
    if population not in POPULATIONS:
        raise VirkningError(f"population expected one of {', '.join(POPULATIONS)}; got '{population}'")
    if programme != "seniorvikar" and population != "national":
        raise VirkningError(f"population '{population}' applies to the seniorvikar programme only; leave it out for "
                            f"{programme}")
    if programme == "flere_skal_med":
        from virkning.synth.flere_skal_med.run import run_flere_skal_med

        return run_flere_skal_med(out, persons, seed, start=start, end=end, fmt=fmt, horizon=horizon,
                                  progress=progress)
    if programme == "frikommune":
        from virkning.synth.frikommune.design import FrikommuneDesign

        design = FrikommuneDesign()
        return run(out, persons, seed, start=start, end=end, fmt=fmt, horizon=horizon, progress=progress,
                   params=design.params, design=design)
    return run(out, persons, seed, start=start, end=end, fmt=fmt, horizon=horizon, progress=progress,
               params=POPULATIONS[population])


def check_arguments(persons, seed, fmt, horizon, start, end, design) -> tuple:
    """Common argument checks; returns persons, seed, horizon, start date, end date."""
    persons, seed = int(persons), int(seed)
    horizon = design.default_horizon if horizon is None else int(horizon)
    if persons < 1:
        raise VirkningError(f"persons must be at least 1; got {persons}")
    if seed < 0:  # numpy's seed sequences take whole numbers from 0
        raise VirkningError(f"seed must be a whole number of at least 0; got {seed}")
    if fmt not in ("parquet", "csv"):
        raise VirkningError(f"fmt must be 'parquet' or 'csv'; got '{fmt}'")
    lo, hi = design.horizon_range if hasattr(design, "horizon_range") else (1, 24)
    if not lo <= horizon <= hi:
        raise VirkningError(f"horizon must be {lo} to {hi} months; got {horizon}")
    d0 = parse_date(design.default_period[0] if start is None else start, "start")
    d1 = parse_date(design.default_period[1] if end is None else end, "end")
    return persons, seed, horizon, d0, d1


def run(out, persons, seed, *, start=None, end=None, fmt="parquet", horizon=None, progress=None,
        params: ModelParams | None = None, chunk: int = CHUNK, design=None) -> SynthSummary:
    """Run the weekly register engine with a programme design (default: Seniorvikar with `params`), with the
    model's parameters and chunk size exposed (tests switch the effect off, or use small chunks; both change the
    data).

    A design supplies: `default_period`, `default_horizon`, `tables` (tables beyond persons, benefits and
    employment), `seed_key`, `check` (the period), `geography`, `context_extras`, `prepare` (once, with its own
    random stream), `chunk_hook` (per chunk: `before_step`, `step_twins`, `after_step` around every week),
    `collect` (per chunk, after the simulation), `extra_tables`, `finish`, `counts` and `truth`."""
    t_begin = time.perf_counter()
    params = params or ModelParams()
    design = design or SeniorvikarDesign(params)
    say = progress or (lambda msg: None)
    persons, seed, horizon, d0, d1 = check_arguments(persons, seed, fmt, horizon, start, end, design)
    design.check(d0, d1, horizon)
    out = Path(out)
    staging = prepare_out(out)

    tl = build_timeline(d0, d1, params.burn_in_weeks)
    codes = load_codebook()
    geo = design.geography(load_geography())
    ctx = make_context(tl, build_tables(params), codes, params, **design.context_extras(codes))
    root = np.random.SeedSequence(design.seed_key(seed, VERSION))
    pop_ss, sched_ss, chunks_ss = root.spawn(3)
    pop = draw_population(persons, np.random.default_rng(pop_ss), geo, tl, params)
    design.prepare(tl, geo, np.random.default_rng(sched_ss))
    say(f"{persons:,} persons drawn; simulating {tl.n_register_weeks} weeks (+{tl.burn} burn-in)")
    t_people = time.perf_counter() - t_begin

    width = max(7, len(str(persons)))
    writers = {name: TableWriter(staging, name, fmt) for name in ("persons", "benefits", "employment")}
    n_chunks = -(-persons // chunk)
    chunk_seeds = chunks_ss.spawn(n_chunks)
    sim_seconds = write_seconds = 0.0
    # Two sets of weekly arrays (one simulated while the other is written) and the long tables' buffers are
    # reused from chunk to chunk: fresh arrays of this size cost more in page faults than in filling them.
    free = [_weekly_arrays(tl.n_weeks, min(chunk, persons)) for _ in range(min(2, n_chunks))]
    arena, arena_emp = Arena(), Arena()  # one each for the tables built at the same time

    def simulate(ci: int, out: tuple) -> dict:
        lo, hi = ci * chunk, min(persons, (ci + 1) * chunk)
        t0 = time.perf_counter()
        sim = _simulate_chunk(ctx, pop, geo, design, lo, hi, np.random.default_rng(chunk_seeds[ci]), out)
        return sim | {"lo": lo, "hi": hi, "seconds": time.perf_counter() - t0, "out": out}

    def employment(sim: dict, ids: pa.Array) -> None:
        writers["employment"].write(_employment_table(tl, sim["frac"], sim["ind"], ids, arena_emp))

    # The next chunk is simulated on a worker thread while this one is summarised and written, and its
    # employment table is built and written on another while this thread does the benefits: numpy and pyarrow
    # release the GIL, so the cores are used when they are free (the writing is the longer part). Each file is
    # written chunk by chunk in order, so the files do not change.
    try:
        with ThreadPoolExecutor(max_workers=1) as pool, ThreadPoolExecutor(max_workers=1) as emp_pool:
            pending = pool.submit(simulate, 0, free.pop())
            for ci in range(n_chunks):
                sim = pending.result()
                if ci + 1 < n_chunks:
                    pending = pool.submit(simulate, ci + 1, free.pop())
                t1 = time.perf_counter()
                lo, hi = sim["lo"], sim["hi"]
                design.collect(tl, codes, sim, lo, hi, horizon)
                ids = person_ids(lo, hi, width)
                emp_done = emp_pool.submit(employment, sim, ids)
                writers["persons"].write(_persons_table(pop, geo, lo, hi, ids))
                writers["benefits"].write(_benefits_table(tl, sim["code"], ids, arena))
                emp_done.result()  # before the chunk's arrays are reused
                sim_seconds += sim["seconds"]
                write_seconds += time.perf_counter() - t1
                free.append(sim["out"])  # written: its arrays serve the chunk after next
                del sim
                say(f"chunk {ci + 1}/{n_chunks}: persons {lo + 1:,}-{hi:,} simulated and written")
    finally:
        for w in writers.values():
            w.close()
    t3 = time.perf_counter()
    rows = {name: w.rows for name, w in writers.items()}
    for name, table in design.extra_tables(width).items():
        w = TableWriter(staging, name, fmt)
        w.write(table)
        w.close()
        rows[name] = w.rows
    design.finish(horizon)
    counts = design.counts()
    truth = design.truth({
        "generator": "virkning.synth",
        "version": VERSION,
        "seed": seed,
        "persons": persons,
        "start": d0.isoformat(),
        "end": d1.isoformat(),
        "horizon": horizon,
    })
    files = finish(out, staging, fmt, truth, ("persons", "benefits", "employment", *design.tables))
    t_end = time.perf_counter()
    say(f"done: {rows['benefits']:,} benefit weeks")
    return SynthSummary(
        out=str(out),
        fmt=fmt,
        persons=persons,
        seed=seed,
        start=d0.isoformat(),
        end=d1.isoformat(),
        weeks=tl.n_register_weeks,
        months=len(tl.months),
        participants=counts.pop("participants"),
        participants_population=counts.pop("participants_population"),
        rows=rows,
        files={k: str(v) for k, v in files.items()},
        bytes={k: v.stat().st_size for k, v in files.items()},
        seconds={"people": round(t_people, 3), "simulate": round(sim_seconds, 3),
                 "write": round(write_seconds + (t_end - t3), 3), "total": round(t_end - t_begin, 3)},
        # simulate and write overlap, so their sum can exceed the total
        programme=design.name,
        counts=counts,
    )


def _weekly_arrays(n_weeks: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Code, hours % and industry per week and person (every element is written by the simulation)."""
    return (np.empty((n_weeks, n), dtype=np.int16), np.empty((n_weeks, n), dtype=np.uint8),
            np.empty((n_weeks, n), dtype=np.uint8))


def _simulate_chunk(ctx, pop, geo, design, lo, hi, rng, out: tuple | None = None) -> dict:
    """Simulate persons lo..hi-1 into `out` (arrays from _weekly_arrays with at least hi - lo columns; fresh
    ones if None)."""
    tl = ctx.tl
    n = hi - lo
    c = init_cohort(ctx, pop, lo, hi, rng)
    code, frac, ind = (a[:, :n] for a in out or _weekly_arrays(tl.n_weeks, n))
    hook = design.chunk_hook(ctx, pop, geo, lo, hi)
    for t in range(tl.n_weeks):
        hook.before_step(t, c)
        U = Draws.draw(rng, n)
        old = step(ctx, c, t, U, code[t], frac[t], ind[t], None if t == 0 else (code[t - 1], frac[t - 1]))
        hook.step_twins(t, U)
        hook.after_step(t, c, old, U, code, frac)
    return {"code": code, "frac": frac, "ind": ind, "hook": hook}


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


_CODE_LABELS = Labels([f"{i:03d}" for i in range(1000)], "code")
_INDUSTRY_LABELS = Labels(INDUSTRY_CODES, "industry")


def _benefits_table(tl, code, ids: pa.Array, arena: Arena) -> pa.Table:
    """Rows sorted by person, week (rows.person_major); `ids`: the chunk's person ids."""
    person, yyyyww, (values,) = person_major(code[tl.burn:], arena=arena, labels=tl.yyyyww[tl.burn:].astype(np.int32))
    return pa.table({
        "person_id": by_position(person, ids),
        "week": pa.array(yyyyww, type=pa.int32()),
        "code": _CODE_LABELS(values),
    })


def _employment_table(tl, frac, ind, ids: pa.Array, arena: Arena) -> pa.Table:
    """Rows sorted by person, month. The rate and hours come from tables over every possible monthly sum of
    weekly hours: the same arithmetic as monthly_rate on far fewer numbers."""
    sums = monthly_sums(tl, frac[tl.burn:])
    person, month, (s, i) = person_major(sums, monthly_industry(tl, ind[tl.burn:]), arena=arena)
    top = int(s.max()) if len(s) else 0
    rate_table = rate_of_sums(tl, top).ravel()
    at = np.multiply(month, top + 1, out=arena.get("at", len(month), np.intp))
    at += s
    r = np.take(rate_table, at, out=arena.get("rate", len(at), np.float64), mode="clip")
    hours = np.take(np.round(rate_table * 160.0, 2), at, out=arena.get("hours", len(at), np.float64), mode="clip")
    i = i.astype(np.int8) - 1
    return pa.table({
        "person_id": by_position(person, ids),
        "month": Labels([month_label(int(m)) for m in tl.months], "month")(month),
        "employment_rate": pa.array(r),
        "hours": pa.array(hours),
        "industry": _INDUSTRY_LABELS(i),
        "temp_agency": pa.array(i == TEMP_INDEX),
    })

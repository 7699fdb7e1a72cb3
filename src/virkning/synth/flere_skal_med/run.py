"""Write the Flere-skal-med registers: persons, benefits, employment, records, person_flags and truth.json.

Persons are generated in chunks (each with its own random stream spawned from the seed; the chunk size is part
of the random design), month by month (months.py), and written as weekly codes and monthly employment.
"""

from __future__ import annotations

import datetime as dt
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from virkning.errors import VirkningError
from virkning.synth.flere_skal_med.months import EMPL, LT, OT, RJ, VP, simulate
from virkning.synth.flere_skal_med.params import CONTROLS, COVARIATES, GROUPS, SIZE_BANDS, FsmParams
from virkning.synth.flere_skal_med.plan import GROUP_KEYS, make_plans
from virkning.synth.flere_skal_med.population import (
    COMPARISON, KIND_NAMES, LEFT, TARGET, VOCATIONAL, age_on, draw_population,
)
from virkning.synth.flere_skal_med.records import OPEN, make_records
from virkning.synth.flere_skal_med.registers import (
    benefits_table, check_codes, employment_table, family, flags_table, month_codes, month_rates, persons_table,
)
from virkning.synth.flere_skal_med.truth import (
    DEFINITIONS, OUTCOMES, lpm_truth, outcome_months, size_band, trajectory, units_truth,
)
from virkning.synth.geography import load_geography
from virkning.synth.runner import VERSION, SynthSummary, check_arguments
from virkning.synth.timeline import build_timeline, day_number, month_label, month_ordinal
from virkning.synth.writer import TableWriter, finish, person_ids, prepare_out

CHUNK = 1 << 14
NEVER = 1 << 30
BANDS = ("5-6", "6-10", "10-15", "over 15")


class _Design:
    name = "flere_skal_med"
    default_period = ("2002-01-01", "2020-06-30")
    default_horizon = 29
    horizon_range = (1, 36)


def _month_pos(day: npt.ArrayLike, first: int) -> np.ndarray:
    return np.asarray(day).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) + 1970 * 12 - first


def run_flere_skal_med(out, persons, seed, *, start=None, end=None, fmt="parquet", horizon=None, progress=None,
                       params: FsmParams | None = None, chunk: int = CHUNK) -> SynthSummary:
    t_begin = time.perf_counter()
    p = params or FsmParams()
    p.check()
    say = progress or (lambda msg: None)
    persons, seed, horizon, d0, d1 = check_arguments(persons, seed, fmt, horizon, start, end, _Design)
    if d0 > dt.date(2002, 1, 1):
        raise VirkningError(f"start {d0} is too late: benefit seniority of more than 15 years at the formation "
                            f"({p.formation}) must be visible; start on or before 2002-01-01")
    last = month_ordinal(dt.date.fromisoformat(p.last_visitation)) + horizon
    if month_ordinal(d1) < last:
        raise VirkningError(f"end {d1} leaves too little follow-up: visitations run to {p.last_visitation} and the "
                            f"horizon is {horizon} months, so the period must reach {month_label(last)}")
    check_codes()
    out = Path(out)
    staging = prepare_out(out)
    tl = build_timeline(d0, d1, 0)
    geo = load_geography()
    root = np.random.SeedSequence([seed, VERSION, 1])
    pop_ss, unit_ss, chunks_ss = root.spawn(3)
    pop = draw_population(persons, np.random.default_rng(pop_ss), geo.weights, p)
    band = size_band(geo.table["population"].to_numpy())
    unit_effect = np.asarray(p.band_effect)[band] + np.random.default_rng(unit_ss).uniform(
        -p.unit_effect, p.unit_effect, len(geo.codes))
    m0, n_months = int(tl.months[0]), len(tl.months)
    f_day = day_number(dt.date.fromisoformat(p.formation))
    formation = int(_month_pos(f_day, m0))
    k2015, k2016 = 2015 * 12 - m0, 2016 * 12 + 11 - m0
    week_pos = (tl.week_month - m0).astype(np.int64)
    month_labels = [month_label(int(m)) for m in tl.months]
    width = max(7, len(str(persons)))
    say(f"{persons:,} persons drawn; {n_months} months, {tl.n_weeks} weeks")

    writers = {name: TableWriter(staging, name, fmt) for name in ("persons", "benefits", "employment",
                                                                  "person_flags")}
    keep: dict[str, list] = {k: [] for k in ("group", "mun", "x", "c", "y1", "y0", "p_vf1", "p_ot1", "p_vf0",
                                             "p_ot0", "prog1", "prog0")}
    records: list = []
    extras: dict[str, int] = {}
    chunk_seeds = chunks_ss.spawn(-(-persons // chunk))
    pending = None
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            for ci, cs in enumerate(chunk_seeds):
                lo, hi = ci * chunk, min(persons, (ci + 1) * chunk)
                rng = np.random.default_rng(cs)
                sl = slice(lo, hi)
                n = hi - lo
                kind = pop.kind[sl]
                spell_month = np.maximum(_month_pos(pop.start_day[sl], m0), -1)
                exit_month = np.where(kind == LEFT, _month_pos(pop.exit_day[sl], m0), NEVER)
                exit_job = rng.random(n) < 0.6
                pre_type = np.minimum((rng.random(n) * 10).astype(np.int64) // 4, 2)  # 0: 40 %, 1: 40 %, 2: 20 %
                pre_len = 12 + (rng.random(n) * 25).astype(np.int64)
                plan_person = ((kind == TARGET) & (pop.group[sl] >= 0)) | (kind == COMPARISON)
                index_month = np.where(plan_person, _month_pos(np.maximum(pop.index_day[sl], 0), m0), NEVER)
                uplan = rng.random((8, n))
                birth_month = _month_pos(pop.birth_day[sl], 0)
                fam = family(n_months, m0, kind, pop.education[sl], birth_month)
                group_key = np.where(kind == COMPARISON, 4, np.maximum(pop.group[sl], 0))
                x = np.zeros((n, len(COVARIATES)))
                c = (fam[2016 * 12 + 11 - m0] == 720).astype(np.float64)[:, None]

                def plans(history, x=x, c=c, sl=sl, group_key=group_key, uplan=uplan):
                    window = history[k2015:k2016 + 1]
                    x[:, 0] = pop.male[sl]
                    x[:, 1] = age_on(np.maximum(pop.index_day[sl], 0), pop.birth_day[sl]) >= 40
                    x[:, 2] = pop.origin[sl] > 0
                    x[:, 3] = pop.education[sl] == VOCATIONAL
                    x[:, 4] = pop.hospital[sl]
                    x[:, 5] = pop.handicap[sl]
                    x[:, 6] = np.isin(window, (VP, LT)).any(axis=0)
                    x[:, 7] = np.isin(window, (OT, RJ, EMPL)).any(axis=0)
                    return make_plans(p, horizon, group_key, x, c, unit_effect[pop.municipality[sl]], uplan)

                sim = simulate(n_months, spell_month, exit_month, exit_job, pre_type, pre_len, index_month, horizon,
                               formation, plans, rng)
                states, u = sim["states"], sim["uniforms"]
                code_pw = month_codes(states[1], fam, u[:, 0]).T[:, week_pos]  # [person, week], contiguous
                ids = person_ids(lo, hi, width)
                tables = {"persons": persons_table(pop, lo, hi, ids, geo),
                          "benefits": benefits_table(code_pw, tl.yyyyww, ids),
                          "employment": employment_table(month_rates(states[1], u[:, 1]), u[:, 2], month_labels, ids),
                          "person_flags": flags_table(ids, pop.hospital[sl], pop.handicap[sl], x[:, 6], x[:, 7])}
                del code_pw
                # The files are written on a worker thread (pyarrow releases the GIL) while the next chunk is made;
                # one chunk waits at most, and the single worker keeps the chunks in order.
                if pending is not None:
                    pending.result()
                def write_chunk(t: dict[str, pa.Table] = tables) -> None:
                    for name, tab in t.items():
                        writers[name].write(tab)

                pending = pool.submit(write_chunk)

                idx = np.flatnonzero(plan_person)
                plan1, plan0 = sim["plans"]
                keep["group"].append(group_key[idx])
                keep["mun"].append(pop.municipality[sl][idx])
                keep["x"].append(x[idx])
                keep["c"].append(c[idx])
                keep["y1"].append(outcome_months(states[1][:, idx], index_month[idx], horizon))
                keep["y0"].append(outcome_months(states[0][:, idx], index_month[idx], horizon))
                for arm, pl in (("1", plan1), ("0", plan0)):
                    keep[f"p_vf{arm}"].append(pl.p_vf[idx])
                    keep[f"p_ot{arm}"].append(pl.p_ot[idx])
                    keep[f"prog{arm}"].append(pl.programme[idx])
                t = np.flatnonzero((kind == TARGET) & (pop.group[sl] >= 0))
                rec, counts = make_records(lo + t, pop.group[sl][t], pop.index_day[sl][t],
                                           np.where(pop.record_end[sl][t] < 0, OPEN, pop.record_end[sl][t]),
                                           day_number(dt.date.fromisoformat(p.reference)), rng)
                records.append(rec)
                for count_name, v in counts.items():
                    extras[count_name] = extras.get(count_name, 0) + v
                say(f"chunk {ci + 1}/{len(chunk_seeds)}: persons {lo + 1:,}-{hi:,} made")
            if pending is not None:
                pending.result()
    finally:
        for w in writers.values():
            w.close()
    rw = TableWriter(staging, "records", fmt)
    rw.write(_records_table(records, width, geo, pop))
    rw.close()
    rows = {name: w.rows for name, w in writers.items()} | {"records": rw.rows}
    k = {key: np.concatenate(v, axis=1 if key in ("y1", "y0") else 0) for key, v in keep.items()}
    truth = _truth(p, tl, geo, pop, k, band, unit_effect, horizon, rows, extras, seed, persons, d0, d1)
    files = finish(out, staging, fmt, truth, ("persons", "benefits", "employment", "records", "person_flags"))
    t_end = time.perf_counter()
    g = k["group"]
    return SynthSummary(
        out=str(out), fmt=fmt, persons=persons, seed=seed, start=d0.isoformat(), end=d1.isoformat(),
        weeks=tl.n_register_weeks, months=n_months, participants=int((g < 4).sum()),
        participants_population=int((g == 0).sum()), rows=rows, files={kk: str(v) for kk, v in files.items()},
        bytes={kk: v.stat().st_size for kk, v in files.items()}, seconds={"total": round(t_end - t_begin, 3)},
        programme="flere_skal_med",
        counts={"visited persons (records)": int((g < 4).sum()), "group 1": int((g == 0).sum()),
                "comparison group": int((g == 4).sum())},
    )


def _records_table(records: list, width: int, geo, pop) -> pa.Table:
    r = {key: np.concatenate([x[key] for x in records]) for key in records[0]} if records else None
    if r is None or not len(r["person"]):
        return pa.table({k: pa.array([], t) for k, t in (("person_id", pa.string()), ("unit", pa.string()),
                         ("group", pa.string()), ("start_date", pa.date32()), ("end_date", pa.date32()))})
    rank = np.array([{"1": 0, "2": 1, "3": 2, "udskudt": 3, "6": 4}[g] for g in r["group"]])
    end_key = np.where(r["end"] == OPEN, np.int64(1) << 40, r["end"])
    order = np.lexsort((rank, end_key, r["start"], r["person"]))
    person = r["person"][order]
    end = r["end"][order]
    return pa.table({
        "person_id": [f"P{q + 1:0{width}d}" for q in person],
        "unit": [str(geo.codes[m]) for m in pop.municipality[person]],
        "group": [str(g) for g in r["group"][order]],
        "start_date": pa.array(r["start"][order].astype(np.int32), type=pa.int32()).cast(pa.date32()),
        "end_date": pa.array(end.astype(np.int32), mask=end == OPEN, type=pa.int32()).cast(pa.date32()),
    })


def _truth(p, tl, geo, pop, k, band, unit_effect, horizon, rows, extras, seed, persons, d0, d1) -> dict:
    g = k["group"]
    plans1 = {"p_vf": k["p_vf1"], "p_ot": k["p_ot1"], "programme": k["prog1"]}
    plans0 = {"p_vf": k["p_vf0"], "p_ot": k["p_ot0"], "programme": k["prog0"]}
    groups = {"group_1": g == 0, "programme": g < 4, "comparison": g == 4}
    g1 = g == 0
    visited = (pop.kind == TARGET) & (pop.group >= 0)
    iso = dt.date.fromisoformat(p.formation).isocalendar()
    week = f"{iso.year}-W{iso.week:02d}"
    seniority = {}
    for b, name in enumerate(BANDS):
        sel = visited & (pop.band == b)
        seniority[name] = {"n": int(sel.sum())} | {
            f"group_{gr}": round(float((pop.group[sel] == i).mean()), 6) if sel.any() else None
            for i, gr in enumerate(GROUPS)}
    return {
        "generator": "virkning.synth",
        "version": VERSION,
        "seed": seed,
        "persons": persons,
        "start": d0.isoformat(),
        "end": d1.isoformat(),
        "horizon": horizon,
        "programme": "flere_skal_med",
        "formation": {"date": p.formation, "week": week,
                      "seniority": "unbroken run of weeks with codes of the cash-benefit families 130-139, 720-729, "
                                   f"730-739 up to and including {week}; years = weeks / 52",
                      "target_group": f"a 720/730-family (activity-ready) code in {week} and more than 5 years "
                                      "of seniority",
                      "comparison_group": f"a 720/730-family code in {week} and 3 to 5 years of seniority; its "
                                          "index date is the formation date"},
        "kinds": {name: int((pop.kind == i).sum()) for i, name in enumerate(KIND_NAMES)},
        "dedup_rule": {"drop": "records whose end_date is before their start_date",
                       "keep_groups": ["1", "2", "3", "udskudt"], "reference_date": p.reference,
                       "prefer": ["start_date closest to the reference date", "the latest end_date (empty = open, "
                                  "latest)", "group in the order 1, 2, 3, udskudt"],
                       "index_date": "start_date of the record kept"},
        "records": {"rows": rows["records"], "persons": int(visited.sum()), "extras": extras},
        "groups": {name: int(sel.sum()) for name, sel in groups.items()} | {
            f"group_{gr}": int((g == i).sum()) for i, gr in enumerate(GROUPS)},
        "seniority_bands": seniority,
        "definitions": DEFINITIONS,
        "trajectories": {name: trajectory(k["y1"], k["y0"], p, horizon, plans1, plans0, sel)
                         for name, sel in groups.items()},
        "lpm": lpm_truth(p, k["x"][g1], k["c"][g1], k["y1"][:, g1], k["p_vf1"][g1], k["p_ot1"][g1], horizon),
        "units": units_truth(geo, band, unit_effect, k["mun"][g1], k["y1"][0, g1].any(axis=1)),
        "size_bands": list(SIZE_BANDS),
        "effect": {"k_vf": p.k_vf, "k_ot": p.k_ot, "timing_programme": list(p.timing_programme),
                   "timing_other": list(p.timing_other), "reentry": p.reentry, "reentry_other": p.reentry_other},
        "params": _plain(asdict(p)),
        "person_flags": ["hospital_visits", "handicap", "earlier_employer_measure", "earlier_ordinary_hours"],
        "covariate_order": list(COVARIATES) + list(CONTROLS),
        "outcomes": list(OUTCOMES),
        "group_keys": list(GROUP_KEYS),
    }


def _plain(v):
    if isinstance(v, dict):
        return {str(a): _plain(b) for a, b in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v

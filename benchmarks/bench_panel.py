"""Benchmark: load + validate registers, then the panel job for many (person, index week) pairs.

The job: 10 covariates, the month-status panel for months 0..12 and outcomes for months 1..12, for N pairs drawn
from the whole population. The baseline is a plain pandas implementation (tests/reference/panel_pandas.py) of the
same covariates and month statuses on a sample of persons, run by this script too; each step runs in its own
process so its peak memory is its own.

    python benchmarks/bench_panel.py                                   # 1,000,000 persons, 2015-2019
    python benchmarks/bench_panel.py --persons 5000000 --start 2010-01-01 --end 2019-12-31
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent
COVARIATES = ["age", "sex", "weeks_ledig_52w", "weeks_sygdom_52w", "weeks_tilbagetrukket_52w", "in_ledig_at_-1",
              "in_ledig_at_0", "spell_weeks", "employment_12m", "employment_at_0"]
HORIZON = 12


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # ru_maxrss is in KiB on Linux


def draw_pairs(folder: Path, n: int, seed: int, persons: np.ndarray | None = None) -> pd.DataFrame:
    """n pairs: random persons, random index weeks from three years after the start to a year before the end."""
    import pyarrow.parquet as pq

    from virkning.registers import calendar

    rng = np.random.default_rng(seed)
    if persons is None:
        persons = pq.read_table(folder / "persons.parquet", columns=["person_id"]).column(0).to_numpy(zero_copy_only=False)
    weeks = pq.read_table(folder / "benefits.parquet", columns=["week"]).column(0)
    import pyarrow.compute as pc

    lo, hi = pc.min(weeks).as_py(), pc.max(weeks).as_py()
    wk_lo, wk_hi = calendar.parse_week(lo) + 156, calendar.parse_week(hi) - 56
    if wk_hi <= wk_lo:
        wk_lo = calendar.parse_week(lo) + 53
    return pd.DataFrame({"person_id": rng.choice(persons, n), "index_week": rng.integers(wk_lo, wk_hi, n)})


def run_virkning(folder: str, pairs_path: str, queue) -> None:
    from virkning.registers import load

    t0 = time.perf_counter()
    regs = load(folder)
    t_load = time.perf_counter() - t0
    pairs = pd.read_parquet(pairs_path)
    panel = regs.panel()
    t0 = time.perf_counter()
    X = panel.covariates(pairs, COVARIATES)
    t_cov = time.perf_counter() - t0
    t0 = time.perf_counter()
    M = panel.months(pairs, 0, HORIZON)
    t_months = time.perf_counter() - t0
    t0 = time.perf_counter()
    Y = panel.outcomes(pairs, HORIZON)
    t_out = time.perf_counter() - t0
    X.to_parquet(pairs_path + ".virkning.parquet")
    Y[[f"status_{m}" for m in range(1, HORIZON + 1)]].to_parquet(pairs_path + ".status.parquet")
    queue.put({"load": t_load, "covariates": t_cov, "months": t_months, "outcomes": t_out,
               "job": t_cov + t_months + t_out, "month_rows": len(M), "peak_gb": peak_gb(),
               "rows": {k: v.rows for k, v in regs.report.tables.items()}})


def run_pandas(folder: str, pairs_path: str, sample_ids_path: str, queue) -> None:
    import pyarrow.parquet as pq

    sys.path.insert(0, str(ROOT.parent / "tests"))
    from reference import panel_pandas

    from virkning.registers.catalogue import STATES, load_catalogue

    t0 = time.perf_counter()
    ids = pd.read_parquet(sample_ids_path)["person_id"].tolist()
    flt = [("person_id", "in", ids)]
    persons = pq.read_table(Path(folder) / "persons.parquet", filters=flt).to_pandas()
    benefits = pq.read_table(Path(folder) / "benefits.parquet", filters=flt).to_pandas()
    employment = pq.read_table(Path(folder) / "employment.parquet", filters=flt).to_pandas()
    cat = load_catalogue().table[["code", "state", "retirement"]]
    bens, emps = panel_pandas.prepare(benefits, employment, cat)
    t_load = time.perf_counter() - t0
    pairs = pd.read_parquet(pairs_path)
    ref_pairs = pd.DataFrame({"person_id": pairs["person_id"], "iwk": pairs["index_week"]})
    t0 = time.perf_counter()
    X = panel_pandas.covariates(persons, bens, emps, ref_pairs)
    t_cov = time.perf_counter() - t0
    t0 = time.perf_counter()
    S = panel_pandas.month_status(bens, emps, ref_pairs, HORIZON, list(STATES))
    t_months = time.perf_counter() - t0
    X.to_parquet(pairs_path + ".pandas.parquet")
    pd.DataFrame(S, columns=[f"status_{m}" for m in range(1, HORIZON + 1)]).to_parquet(pairs_path + ".pandas_status.parquet")
    queue.put({"load": t_load, "covariates": t_cov, "months": t_months, "job": t_cov + t_months, "peak_gb": peak_gb(),
               "rows": {"persons": len(persons), "benefits": len(benefits), "employment": len(employment)}})


def in_child(target, *args) -> dict:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=target, args=(*args, q))
    p.start()
    out = q.get()
    p.join()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--start", default="2015-01-01")
    ap.add_argument("--end", default="2019-07-31")
    ap.add_argument("--pairs", type=int, default=50_000)
    ap.add_argument("--sample-persons", type=int, default=100_000, help="persons in the pandas baseline's sample")
    ap.add_argument("--sample-pairs", type=int, default=5_000)
    ap.add_argument("--data", type=Path, default=None, help="existing data folder (default: generated under benchmarks/data)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    folder = args.data or ROOT / "data" / f"synth-{args.persons}-{args.start[:4]}-{args.end[:4]}"
    if not (folder / "truth.json").exists() and args.data is None:
        from virkning.synth import generate

        print(f"generating {args.persons:,} persons into {folder} ...", flush=True)
        t0 = time.perf_counter()
        generate(folder, persons=args.persons, seed=2018, start=args.start, end=args.end)
        print(f"  generated in {time.perf_counter() - t0:.0f} s", flush=True)
    sizes = {p.name: p.stat().st_size for p in folder.glob("*.parquet")}
    print(f"data: {folder}  Parquet {sum(sizes.values()) / 1e6:,.0f} MB "
          + ", ".join(f"{k} {v / 1e6:,.0f} MB" for k, v in sorted(sizes.items())))

    work = ROOT / "data" / "work"
    work.mkdir(parents=True, exist_ok=True)
    big = draw_pairs(folder, args.pairs, args.seed)
    big.to_parquet(work / "pairs.parquet")
    v = in_child(run_virkning, str(folder), str(work / "pairs.parquet"))
    print(f"rows: " + ", ".join(f"{k} {n:,}" for k, n in v["rows"].items()))
    print(f"virkning, {args.pairs:,} pairs: load+validate {v['load']:.1f} s; covariates {v['covariates']:.1f} s, "
          f"month panel 0..{HORIZON} {v['months']:.1f} s ({v['month_rows']:,} rows), outcomes 1..{HORIZON} {v['outcomes']:.1f} s; "
          f"job {v['job']:.1f} s; total {v['job'] + v['load']:.1f} s; peak memory {v['peak_gb']:.2f} GB")

    import pyarrow.parquet as pq

    ids = pq.read_table(folder / "persons.parquet", columns=["person_id"]).column(0).to_numpy(zero_copy_only=False)
    rng = np.random.default_rng(args.seed + 1)
    sample = np.sort(rng.choice(ids, min(args.sample_persons, len(ids)), replace=False))
    pd.DataFrame({"person_id": sample}).to_parquet(work / "sample.parquet")
    small = draw_pairs(folder, args.sample_pairs, args.seed + 2, persons=sample)
    small.to_parquet(work / "pairs_small.parquet")
    b = in_child(run_pandas, str(folder), str(work / "pairs_small.parquet"), str(work / "sample.parquet"))
    vs = in_child(run_virkning, str(folder), str(work / "pairs_small.parquet"))
    print(f"pandas baseline, {args.sample_pairs:,} pairs from {len(sample):,} persons: load {b['load']:.1f} s; "
          f"covariates {b['covariates']:.1f} s, month status {b['months']:.1f} s; job {b['job']:.1f} s; "
          f"peak memory {b['peak_gb']:.2f} GB")
    print(f"virkning on the same {args.sample_pairs:,} pairs (whole registers): job {vs['job']:.1f} s, "
          f"load+validate {vs['load']:.1f} s, peak {vs['peak_gb']:.2f} GB")
    per_pair_pandas = b["job"] / args.sample_pairs
    per_pair_virkning = v["job"] / args.pairs
    print(f"ratio (time per pair, pandas / virkning): {per_pair_pandas / per_pair_virkning:,.0f}x; "
          f"same pairs: {b['job'] / vs['job']:,.1f}x")

    got = pd.read_parquet(work / "pairs_small.parquet.virkning.parquet")
    want = pd.read_parquet(work / "pairs_small.parquet.pandas.parquet")
    same_cov = all(np.allclose(got[c].to_numpy(float), want[c].to_numpy(float)) for c in want.columns)
    gs = pd.read_parquet(work / "pairs_small.parquet.status.parquet").astype(object)
    ws = pd.read_parquet(work / "pairs_small.parquet.pandas_status.parquet").astype(object)
    observed = gs.notna()
    same_status = bool((gs[observed] == ws[observed]).sum().sum() == observed.sum().sum())
    print(f"agreement with pandas on the sample: covariates {'identical' if same_cov else 'DIFFER'}, "
          f"observed month statuses {'identical' if same_status else 'DIFFER'}")
    print(json.dumps({"virkning": v, "virkning_sample": vs, "pandas": b}, default=str))


if __name__ == "__main__":
    main()

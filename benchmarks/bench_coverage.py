"""Coverage of the 95 % intervals over repeated synthetic registers with a known effect.

Each replication draws a new synthetic population (its own seed), runs the Seniorvikar-like evaluation and checks,
for every outcome and month, whether the interval covers the true effect in that replication's truth.json. Prints
coverage per outcome, the mean estimate against the mean truth (bias) and the time per replication.

    python benchmarks/bench_coverage.py --reps 100 --persons 60000
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from virkning.demo import seniorvikar_design
from virkning.analyses.effect import evaluate
from virkning.registers import load
from virkning.synth import generate


def one(seed: int, persons: int, n_boot: int, work: Path) -> pd.DataFrame:
    out = work / f"rep{seed}"
    generate(out, persons=persons, seed=seed)
    truth = json.loads((out / "truth.json").read_text())["outcomes"]
    regs = load(out)
    try:
        ev = evaluate(regs, seniorvikar_design(seed=seed, n_boot=n_boot, subgroups=()))
    finally:
        regs.close()
        shutil.rmtree(out)
    e = ev.effects.copy()
    e["truth"] = [truth[o]["att"][m - 1] for o, m in zip(e["outcome"], e["month"])]
    e["covered"] = (e["ci_low"] <= e["truth"]) & (e["truth"] <= e["ci_high"])
    e["seed"] = seed
    return e


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=100)
    ap.add_argument("--persons", type=int, default=60_000)
    ap.add_argument("--n-boot", type=int, default=299)
    ap.add_argument("--first-seed", type=int, default=1000)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "data" / "coverage.csv")
    args = ap.parse_args()
    rows = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.reps):
            t = time.perf_counter()
            rows.append(one(args.first_seed + i, args.persons, args.n_boot, Path(tmp)))
            print(f"replication {i + 1}/{args.reps}: {time.perf_counter() - t:.1f} s", flush=True)
    res = pd.concat(rows, ignore_index=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    res.to_csv(args.out, index=False)
    per = res.groupby("outcome").agg(coverage=("covered", "mean"), mean_att=("att", "mean"), mean_truth=("truth", "mean"),
                                     mean_se=("se", "mean"), sd_att=("att", "std"), n=("covered", "size"))
    by_month = res.pivot_table(index="outcome", columns="month", values="covered", aggfunc="mean")
    print(f"\n{args.reps} replications of {args.persons:,} persons, {time.perf_counter() - started:.0f} s in all")
    print(f"participants matched per replication: {res.groupby('seed')['n_treated'].max().mean():.0f} on average")
    print("\ncoverage of the 95 % interval (all months), bias and SE calibration:")
    print(per.to_string(float_format=lambda v: f"{v:.4f}"))
    print("\ncoverage by month:")
    print(by_month.to_string(float_format=lambda v: f"{v:.2f}"))
    print(f"\noverall coverage: {res['covered'].mean():.3f} (target 0.90-0.99); results in {args.out}")


if __name__ == "__main__":
    main()

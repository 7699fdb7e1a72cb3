"""Coverage of the difference-in-differences intervals over replications of the synthetic free-municipality
experiment (each with its own seed and its own truth).

Each replication generates the experiment, runs the example design (`examples/frikommune/design.yaml`) through the
indicators, the disclosure gate and the estimators (no report), and checks whether each interval covers the truth
of that replication: the CS simple aggregate and the TWFE wild-bootstrap interval against the true simple ATT, the
pooled 2x2's wild-bootstrap interval against its window estimand (the trial units' mean true effect over the post
window), the person-level TWFE against the person-level truth. Prints coverage and mean error per indicator.

    python benchmarks/bench_did_coverage.py --reps 20 --persons 30000
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


def _row(seed, outcome, estimator, est, lo, hi, truth) -> dict:
    ok = np.isfinite(lo) and np.isfinite(hi)
    return {"seed": seed, "outcome": outcome, "estimator": estimator, "error": est - truth,
            "covered": (lo <= truth <= hi) if ok else np.nan, "width": hi - lo if ok else np.nan}


def one(seed: int, persons: int, work: Path) -> list[dict]:
    from virkning.analyses.did import run_did
    from virkning.demo import example
    from virkning.design import parse_design
    from virkning.registers import load
    from virkning.synth import generate

    folder = work / f"rep{seed}"
    generate(folder, persons=persons, seed=seed, programme="frikommune")
    truth = json.loads((folder / "truth.json").read_text())
    design = parse_design(example("frikommune"), str(work / "design.yaml")).analyses["did"]
    regs = load(folder)
    try:
        r = run_did(design, regs, threshold=5)
    finally:
        regs.close()
        shutil.rmtree(folder)
    t = r.tables
    periods = truth["periods"]
    rows = []
    for name in design.indicators:
        tr = truth["indicators"][name]
        a = t["aggregates"]
        s = a[(a["outcome"] == name) & (a["kind"] == "simple")]
        if len(s):
            s = s.iloc[0]
            rows.append(_row(seed, name, "CS simple", s["estimate"], s["ci_low"], s["ci_high"], tr["att_simple"]))
        w = t["twfe"][t["twfe"]["outcome"] == name].iloc[0]
        rows.append(_row(seed, name, "TWFE (wild)", w["estimate"], w["boot_ci_low"], w["boot_ci_high"],
                         tr["att_simple"]))
        p = t["did"][(t["did"]["outcome"] == name) & (t["did"]["comparison"] == "pooled")].iloc[0]
        first, last = p["post"].split("-")
        post = range(periods.index(first), periods.index(last) + 1)
        window = float(np.mean([tr["att_unit"][u][q] for u in tr["att_unit"] for q in post]))
        rows.append(_row(seed, name, "2x2 pooled (wild)", p["estimate"], p["boot_ci_low"], p["boot_ci_high"], window))
    pl = truth["person_level"]
    w = t["twfe"][t["twfe"]["outcome"] == "beskaeftigelse"].iloc[0]
    rows.append(_row(seed, "beskaeftigelse (person)", "TWFE (wild)", w["estimate"], w["boot_ci_low"],
                     w["boot_ci_high"], pl["att_simple"]))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--persons", type=int, default=30_000)
    ap.add_argument("--first-seed", type=int, default=3000)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "data" / "did_coverage.csv")
    args = ap.parse_args()
    rows = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.reps):
            t = time.perf_counter()
            rows += one(args.first_seed + i, args.persons, Path(tmp))
            print(f"replication {i + 1}/{args.reps}: {time.perf_counter() - t:.1f} s", flush=True)
    res = pd.DataFrame(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    res.to_csv(args.out, index=False)
    summary = res.groupby(["outcome", "estimator"], sort=False).agg(
        coverage=("covered", "mean"), mean_error=("error", "mean"), rmse=("error", lambda e: float(np.sqrt(np.mean(
            np.square(e))))), mean_width=("width", "mean"), n=("covered", "count"))
    print(f"\n{args.reps} replications of {args.persons:,} persons, {time.perf_counter() - started:.0f} s in all")
    print(summary.to_string(float_format=lambda v: f"{v:.4f}"))
    by_est = res.groupby("estimator")["covered"].mean()
    print("\ncoverage of the 95 % intervals by estimator:")
    print(by_est.to_string(float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()

"""Benchmark the demo's pipeline stage by stage: synthetic data, validation, evaluation, monitoring.

    python benchmarks/bench_demo.py                        # 1,190,000 seniors, as `make demo`
    python benchmarks/bench_demo.py --persons 300000       # a smaller run
    python benchmarks/bench_demo.py --data data/seniors    # reuse a folder written by an earlier run (--keep)

Prints the sizes, the wall time of each stage (the evaluation's own steps from its manifest), the process's CPU
time and peak memory, and each stage as a multiple of a baseline measured in the same process: one DuckDB scan of
the benefit and employment files (person, week or month, code or rate). The ratios say how many plain scans of
the registers a stage costs, which carries over between machines better than seconds do.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import time
from pathlib import Path

import duckdb



def baseline_scan(data: Path) -> float:
    """Seconds for one scan of benefits (person_id, week, code) and employment (person_id, month, rate)."""
    con = duckdb.connect()
    t = time.perf_counter()
    con.execute(f"SELECT count(DISTINCT code), max(week), max(person_id) FROM '{data / 'benefits.parquet'}'").fetchall()
    con.execute(f"SELECT max(month), sum(employment_rate), max(person_id) FROM '{data / 'employment.parquet'}'").fetchall()
    seconds = time.perf_counter() - t
    con.close()
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--persons", type=int, default=1_190_000)
    ap.add_argument("--seed", type=int, default=2018)
    ap.add_argument("--data", help="an existing seniors data folder (skips generating one)")
    ap.add_argument("--keep", help="write the data into this folder and keep it")
    args = ap.parse_args()

    from virkning.demo import example
    from virkning.design import load_design
    from virkning.outputs import run_evaluation, run_monitor
    from virkning.registers import load
    from virkning.synth import generate
    from virkning.synth.sheets import write_monitoring_data

    tmp = Path(tempfile.mkdtemp(prefix="bench-demo-"))
    stages: dict[str, float] = {}
    try:
        data = Path(args.data) if args.data else Path(args.keep or tmp / "data")
        if not args.data:
            t = time.perf_counter()
            generate(data, persons=args.persons, seed=args.seed, population="seniors")
            stages["synthetic registers"] = time.perf_counter() - t
            t = time.perf_counter()
            write_monitoring_data(data, seed=args.seed)
            stages["registration sheet and surveys"] = time.perf_counter() - t
        base = baseline_scan(data)
        design_path = tmp / "design.yaml"
        design_path.write_text(example("seniorvikar").replace("folder: data", f"folder: {data}"), encoding="utf-8")
        design = load_design(design_path)
        t = time.perf_counter()
        regs = load(data, design.load_options())
        stages["load and validate"] = time.perf_counter() - t
        try:
            t = time.perf_counter()
            paths = run_evaluation(design_path, tmp / "evaluation", data=data, regs=regs)
            stages["evaluation"] = time.perf_counter() - t
            t = time.perf_counter()
            run_monitor(design_path, tmp / "monitoring", data=data, month="2018-12", regs=regs)
            stages["monitoring (one month)"] = time.perf_counter() - t
            tables = regs.report.tables
        finally:
            regs.close()
        steps = json.loads(Path(paths["manifest"]).read_text())["timings_seconds"]
        flow = (Path(paths["results"]).parent / "flow.csv").read_text(encoding="utf-8").splitlines()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"data: {data}")
    for name in ("persons", "benefits", "employment", "events"):
        if name in tables:
            print(f"  {name:<11} {tables[name].rows:>12,} rows  {tables[name].persons:>10,} persons")
    print("flow (participants, pool persons, pool person-weeks):")
    for line in flow[1:]:
        print(f"  {line}")
    print(f"baseline: one scan of benefits and employment {base:.2f} s")
    print(f"{'stage':<34} {'seconds':>8} {'scans':>7}")
    for name, seconds in stages.items():
        print(f"{name:<34} {seconds:>8.1f} {seconds / base:>7.1f}")
        if name == "evaluation":
            for k in ("evaluate_populations", "evaluate_covariates", "evaluate_matching", "evaluate_outcomes",
                      "evaluate_effects", "evaluate_subgroups", "robustness_variants", "results", "report"):
                if k in steps:
                    print(f"  {k:<32} {steps[k]:>8.1f} {steps[k] / base:>7.1f}")
    total = sum(stages.values())
    print(f"{'total':<34} {total:>8.1f} {total / base:>7.1f}")
    print(f"CPU {usage.ru_utime + usage.ru_stime:.0f} s, peak memory {usage.ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()

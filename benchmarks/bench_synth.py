"""Benchmark the synthetic register generator: time, peak memory, rows and file sizes by population size.

    python benchmarks/bench_synth.py                              # 100,000 and 1,000,000 persons
    python benchmarks/bench_synth.py --persons 1190000 --population seniors     # the demo's registers
    python benchmarks/bench_synth.py --persons 5000000 --start 2010-01-01 --end 2019-12-31 --keep data/5m

Each size runs in a fresh process, so the peak resident memory (ru_maxrss) is that run's own. Files go to a
temporary folder that is removed afterwards unless --keep names a folder (one size only).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def one(persons: int, seed: int, start: str, end: str, fmt: str, out: str, population: str = "national") -> dict:
    from virkning.synth import generate

    t0 = time.perf_counter()
    summary = generate(out, persons=persons, seed=seed, start=start, end=end, fmt=fmt,
                       population=population)  # type: ignore[arg-type]
    wall = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    return summary.to_dict() | {"wall_seconds": round(wall, 2), "peak_mb": round(peak_kb / 1024),
                                "cpu_seconds": round(cpu.ru_utime + cpu.ru_stime, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--persons", default="100000,1000000", help="comma-separated population sizes")
    ap.add_argument("--seed", type=int, default=2018)
    ap.add_argument("--start", default="2015-01-01")
    ap.add_argument("--end", default="2019-07-31")
    ap.add_argument("--format", dest="fmt", default="parquet", choices=("parquet", "csv"))
    ap.add_argument("--population", default="national", choices=("national", "seniors"),
                    help="seniors: the demo's population (run_demo)")
    ap.add_argument("--keep", help="write into this folder and keep it (one size only)")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # internal: run one size here
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.persons.split(",")]

    if args.one:
        print(json.dumps(one(sizes[0], args.seed, args.start, args.end, args.fmt, args.out, args.population)))
        return
    if args.keep and len(sizes) > 1:
        ap.error("--keep takes one size")

    results = []
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-synth-") as tmp:
            out = args.keep or str(Path(tmp) / "data")
            cmd = [sys.executable, __file__, "--one", "--persons", str(n), "--seed", str(args.seed),
                   "--start", args.start, "--end", args.end, "--format", args.fmt, "--out", out,
                   "--population", args.population]
            print(f"generating {n:,} persons ({args.population}, {args.start} to {args.end}) ...", file=sys.stderr, flush=True)
            done = subprocess.run(cmd, check=True, capture_output=True, text=True)
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    mb = 1024 * 1024
    print(f"{'persons':>10} {'weeks':>6} {'wall s':>7} {'cpu s':>7} {'sim s':>7} {'write s':>8} {'peak MB':>8} "
          f"{'benefit rows':>13} {'employment rows':>16} {'events':>7} {'participants':>12} {'files MB':>9}")
    for r in results:
        size = sum(v for k, v in r["bytes"].items()) / mb
        print(f"{r['persons']:>10,} {r['weeks']:>6} {r['wall_seconds']:>7.1f} {r['cpu_seconds']:>7.1f} "
              f"{r['seconds']['simulate']:>7.1f} {r['seconds']['write']:>8.1f} {r['peak_mb']:>8,} "
              f"{r['rows']['benefits']:>13,} {r['rows']['employment']:>16,} {r['rows']['events']:>7,} "
              f"{r['participants']:>12,} {size:>9.1f}")
    for r in results:
        sizes_mb = ", ".join(f"{k} {v / mb:.1f} MB" for k, v in r["bytes"].items())
        print(f"{r['persons']:,} persons: {sizes_mb}")
    print("simulate and write overlap (two threads), so their sum can exceed the wall time")


if __name__ == "__main__":
    main()

"""Benchmark the synthetic register generator: time, peak memory, rows and file sizes by population size.

    python benchmarks/bench_synth.py                              # 100,000 and 1,000,000 persons
    python benchmarks/bench_synth.py --persons 1190000 --population seniors     # the demo's registers
    python benchmarks/bench_synth.py --persons 5000000 --start 2010-01-01 --end 2019-12-31 --keep data/5m
    python benchmarks/bench_synth.py --persons 1190000 --population seniors --baseline ../base/src --repeat 3

Each size runs in a fresh process, so the peak resident memory (VmHWM) is that run's own, with the settings
a command of the command line runs with (virkning/process.py; a revision without them runs without). Files go to a
temporary folder that is removed afterwards unless --keep names a folder (one size only).

--baseline names another checkout's src folder (for example a worktree of main): each size then runs `--repeat`
times with that code and with this one, alternately, and the table gives the medians, their ratios, and whether
the two wrote the same files (SHA-256 of every file's bytes, of a Parquet file's values; from the first pair).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

from peak import peak_kb  # benchmarks/peak.py, beside this script


def one(persons: int, seed: int, start: str, end: str, fmt: str, out: str, population: str = "national") -> dict:
    from virkning.synth import generate

    try:  # as `virkning synth` runs it: the process settings of a command (a revision before them has none)
        from virkning.process import settings
    except ImportError:
        settings = contextlib.nullcontext  # type: ignore[assignment]
    t0 = time.perf_counter()
    with settings():
        summary = generate(out, persons=persons, seed=seed, start=start, end=end,
                           fmt=fmt, population=population)  # type: ignore[arg-type]
    wall = time.perf_counter() - t0
    # The peak is VmHWM: Linux's ru_maxrss keeps the peak of the process this one was started from across exec (this
    # script's, once it has read files back to compare them)
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    return summary.to_dict() | {"wall_seconds": round(wall, 2), "peak_mb": round(peak_kb() / 1024),
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
    ap.add_argument("--baseline", help="another checkout's src folder to time against, alternately")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each code per size with --baseline")
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
    if args.baseline:
        compare(args, sizes)
        return

    results = []
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-synth-") as tmp:
            out = args.keep or str(Path(tmp) / "data")
            print(f"generating {n:,} persons ({args.population}, {args.start} to {args.end}) ...", file=sys.stderr,
                  flush=True)
            results.append(run_one(args, n, out))
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


def run_one(args, n: int, out: str, src: str | None = None) -> dict:
    """One size in a fresh process; `src` puts another checkout's package first on the path."""
    cmd = [sys.executable, __file__, "--one", "--persons", str(n), "--seed", str(args.seed), "--start", args.start,
           "--end", args.end, "--format", args.fmt, "--out", out, "--population", args.population]
    env = os.environ | ({"PYTHONPATH": src} if src else {})
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def file_hashes(folder: str) -> dict[str, str]:
    """SHA-256 of every file; of a Parquet file, of its values (the table read back in the declared column types,
    written as CSV), since how a file encodes them is not data (tests/synth/test_synth_default_unchanged.py)."""
    import io

    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from virkning.synth.writer import SCHEMAS

    def digest(p: Path) -> str:
        if p.suffix != ".parquet" or p.stem not in SCHEMAS:
            return hashlib.sha256(p.read_bytes()).hexdigest()
        values = io.BytesIO()
        pacsv.write_csv(pq.read_table(p).cast(SCHEMAS[p.stem]), values)
        return hashlib.sha256(values.getvalue()).hexdigest()

    return {p.name: digest(p) for p in sorted(Path(folder).iterdir())}


def compare(args, sizes: list[int]) -> None:
    """Baseline and this code alternately, `repeat` times per size: medians, ratios, identical files."""
    here = str(Path(__file__).resolve().parent.parent / "src")
    rows = []
    for n in sizes:
        runs: dict[str, list[dict]] = {"baseline": [], "this": []}
        identical = None
        for r in range(args.repeat):
            with tempfile.TemporaryDirectory(prefix="bench-synth-") as tmp:
                for name, src in (("baseline", args.baseline), ("this", here)):
                    print(f"{n:,} persons ({args.population}, {args.start} to {args.end}), {name}, run {r + 1} ...",
                          file=sys.stderr, flush=True)
                    runs[name].append(run_one(args, n, str(Path(tmp) / name), src))
                if identical is None:
                    identical = file_hashes(str(Path(tmp) / "baseline")) == file_hashes(str(Path(tmp) / "this"))
        med = {name: {k: median(x[k] for x in rs) for k in ("wall_seconds", "cpu_seconds", "peak_mb")}
               for name, rs in runs.items()}
        rows.append((n, med, identical, runs))
    if args.json:
        print(json.dumps([{"persons": n, "median": med, "identical_files": same, "runs": runs}
                          for n, med, same, runs in rows], indent=2))
        return
    print(f"medians of {args.repeat} run(s) each, alternating; baseline = {args.baseline}")
    print(f"{'persons':>10} {'wall s base':>11} {'wall s this':>11} {'ratio':>6} {'cpu s base':>10} {'cpu s this':>10} "
          f"{'ratio':>6} {'peak MB base':>12} {'peak MB this':>12} {'same files':>15}")
    for n, med, same, _ in rows:
        b, t = med["baseline"], med["this"]
        print(f"{n:>10,} {b['wall_seconds']:>11.1f} {t['wall_seconds']:>11.1f} "
              f"{b['wall_seconds'] / t['wall_seconds']:>6.2f} {b['cpu_seconds']:>10.1f} {t['cpu_seconds']:>10.1f} "
              f"{b['cpu_seconds'] / t['cpu_seconds']:>6.2f} {b['peak_mb']:>12,.0f} {t['peak_mb']:>12,.0f} "
              f"{'yes' if same else 'NO':>15}")


if __name__ == "__main__":
    main()

"""Benchmark one evaluation on both engines: DuckDB (embedded) and Spark in local mode, at 100k and 1M persons.

    python benchmarks/bench_engines.py                                  # 100,000 and 1,000,000 persons
    python benchmarks/bench_engines.py --persons 100000 --keep /tmp/b   # one size; keep the data for another run

For each size it writes synthetic national registers (the Seniorvikar-like programme, `virkning.synth`), then runs the
Seniorvikar effect design (populations, covariates, matching, outcomes, effects with 50 bootstrap replicates; no
robustness variants) once per engine, each in a fresh process, and prints the wall time of loading and validating
the registers and of the evaluation, the peak resident memory of the process tree (Python plus, for Spark, its JVM,
sampled every 0.1 s from /proc) and Spark's time as a multiple of DuckDB's. It also checks that the flow table, the
matched pairs and the effects are identical. Spark runs with master local[N] (N = --cores, default every core),
as many shuffle partitions as cores and --spark-memory for its driver (which holds the executors in local mode).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

RUN = r"""
import json, sys, time
from virkning.demo import seniorvikar_design
from virkning.analyses.effect import evaluate
from virkning.registers import LoadOptions, load
engine, folder, out, cores, memory = sys.argv[1:6]
t = time.perf_counter()
options = LoadOptions(engine=engine, master=f"local[{cores}]" if engine == "spark" else None,
                      memory_limit=memory if engine == "spark" else None)
if engine == "spark":  # the session first, so its start is timed apart from the work
    from virkning.registers.spark import session
    session(f"local[{cores}]", memory_limit=memory, conf={"spark.sql.shuffle.partitions": cores})
started = time.perf_counter() - t
t = time.perf_counter()
regs = load(folder, options)
loaded = time.perf_counter() - t
t = time.perf_counter()
ev = evaluate(regs, seniorvikar_design(n_boot=50))
evaluated = time.perf_counter() - t
regs.close()
ev.populations.flow.to_csv(out + "/flow.csv", index=False)
ev.matching.pairs.to_csv(out + "/pairs.csv", index=False)
ev.effects.to_csv(out + "/effects.csv", index=False)
json.dump({"start": started, "load": loaded, "evaluate": evaluated,
           "participants": int(len(ev.populations.participants)), "pool_pairs": int(len(ev.populations.pool)),
           "matched": int(ev.matching.info.n_treated_matched)}, open(out + "/times.json", "w"))
"""


def _tree_rss(root: int) -> int:
    """Resident bytes of a process and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/status") as f:
                total += next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS:"))
        except (OSError, StopIteration):
            pass
        stack += children.get(pid, [])
    return total


def run_engine(engine: str, folder: Path, out: Path, cores: int, memory: str) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen([sys.executable, "-c", RUN, engine, str(folder), str(out), str(cores), memory])
    peak = 0
    stop = threading.Event()

    def sample():
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    t = time.perf_counter()
    sampler.start()
    code = proc.wait()
    stop.set()
    sampler.join()
    if code:
        raise SystemExit(f"{engine} run failed (exit {code})")
    times = json.loads((out / "times.json").read_text())
    return times | {"wall": time.perf_counter() - t, "peak_gb": peak / 2**30}


def same(a: Path, b: Path) -> bool:
    return all((a / f).read_bytes() == (b / f).read_bytes() for f in ("flow.csv", "pairs.csv", "effects.csv"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--persons", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--cores", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--spark-memory", default="8g")
    ap.add_argument("--keep", type=Path, default=None, help="folder for the synthetic data (reused when present)")
    args = ap.parse_args()
    from virkning.synth import generate

    work = args.keep or Path(tempfile.mkdtemp(prefix="virkning-bench-engines-"))
    rows = []
    try:
        for n in args.persons:
            data = work / f"data_{n}"
            if not (data / "truth.json").is_file():
                t = time.perf_counter()
                summary = generate(data, persons=n, seed=2018)
                print(f"{n:,} persons: synthetic registers in {time.perf_counter() - t:.0f} s "
                      f"({summary.to_dict()['rows']})", flush=True)
            result = {}
            for engine in ("duckdb", "spark"):
                result[engine] = run_engine(engine, data, work / f"out_{n}_{engine}", args.cores, args.spark_memory)
                r = result[engine]
                print(f"{n:>9,} {engine:6}  start {r['start']:6.1f} s  load+validate {r['load']:7.1f} s  "
                      f"evaluate {r['evaluate']:7.1f} s  process {r['wall']:7.1f} s  peak {r['peak_gb']:5.2f} GB  "
                      f"({r['participants']} participants, {r['pool_pairs']:,} pool pairs, {r['matched']} matched)",
                      flush=True)
            d, s = result["duckdb"], result["spark"]
            identical = same(work / f"out_{n}_duckdb", work / f"out_{n}_spark")
            rows.append((n, d, s, identical))
            print(f"{n:>9,} spark/duckdb: load+validate x{s['load'] / d['load']:.1f}, evaluate "
                  f"x{s['evaluate'] / d['evaluate']:.1f}, memory x{s['peak_gb'] / d['peak_gb']:.1f}; "
                  f"identical flow, pairs and effects: {identical}", flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print("\npersons    engine  load+validate  evaluate  peak memory")
    for n, d, s, _ in rows:
        for name, r in (("duckdb", d), ("spark", s)):
            print(f"{n:>9,}  {name:6}  {r['load']:11.1f} s  {r['evaluate']:6.1f} s  {r['peak_gb']:8.2f} GB")


if __name__ == "__main__":
    main()

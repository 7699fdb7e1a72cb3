"""Benchmark: every register indicator for every municipality by month over 10 years, in scans of the benefits table.

National synthetic registers (all 98 municipalities, 2010-2019) are generated once into --data (or read from it);
then, in one process each:

    scan     a plain DuckDB scan of the benefits table through the same view (every row, the three columns the
             indicators read: person_id, week, code), and the same scan of the raw Parquet file(s)
    compute  `compute_indicators` for all 11 indicators, monthly, every municipality, the whole 10 years; the
             statements it sends are recorded and those that read `benefits` counted
    gate     the disclosure gate on the result (row rules + `Gate`)

The computation is printed in scan units (its wall and CPU time over the view scan's), next to the number of
statements that read the benefits table (the indicators need one). CPU time (DuckDB's threads included) is the
steadier measure on a shared machine.

    python benchmarks/bench_indicators.py                          # 1,000,000 persons
    python benchmarks/bench_indicators.py --persons 5000000 --data /big/disk/national
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def scan(folder: str, queue) -> None:
    from virkning.registers import load
    from virkning.registers.engine import literal

    regs = load(folder)
    e = regs.engine
    out = {"rows": regs.report.tables["benefits"].rows}
    def best(sql: str) -> tuple[float, float]:
        runs = []
        for _ in range(3):
            t, c = time.perf_counter(), time.process_time()
            e.one(sql)
            runs.append((time.perf_counter() - t, time.process_time() - c))
        return min(runs)

    # the unit: a scan that reads every value of the three columns (a count alone lets DuckDB skip the strings)
    out["view_scan"], out["view_scan_cpu"] = best("SELECT count(*), max(person_id), sum(wk), count(DISTINCT code) "
                                                  "FROM benefits")
    out["count_scan"], out["count_scan_cpu"] = best("SELECT count(*), count(DISTINCT code), min(wk), max(wk) FROM "
                                                    "benefits WHERE person_id IS NOT NULL AND wk IS NOT NULL")
    files = sorted(Path(folder).glob("benefits*.parquet")) + sorted(Path(folder).glob("benefits/*.parquet"))
    raw = "[" + ", ".join(literal(str(f)) for f in files) + "]"
    out["raw_scan"], out["raw_scan_cpu"] = best(f"SELECT count(*), max(person_id), sum(week), count(DISTINCT code) "
                                                f"FROM read_parquet({raw})")
    out["peak_gb"] = peak_gb()
    queue.put(out)


def compute(folder: str, event: str, queue) -> None:
    from virkning.indicators import IndicatorRequest, compute_indicators, protect_indicators
    from virkning.registers import load

    regs = load(folder)
    regs.engine.statements = []
    t, c = time.perf_counter(), time.process_time()
    table = compute_indicators(regs, IndicatorRequest(period="month", event=event))
    seconds, cpu = time.perf_counter() - t, time.process_time() - c
    sent = regs.engine.statements
    t = time.perf_counter()
    protected, outcome = protect_indicators(table.frame, 5)
    gate = time.perf_counter() - t
    queue.put({"compute": seconds, "compute_cpu": cpu, "gate": gate, "statements": len(sent),
               "benefit_statements": sum(1 for s in sent if "benefits" in s), "rows": len(table.frame),
               "units": len(table.units), "periods": len(table.periods), "hidden": int(
                   protected["value"].isna().sum() - table.frame["value"].isna().sum()), "peak_gb": peak_gb()})


def run(target, *args) -> dict:
    q: mp.Queue = mp.Queue()
    p = mp.Process(target=target, args=(*args, q))
    p.start()
    out = q.get()
    p.join()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=2018)
    ap.add_argument("--data", type=Path, default=ROOT / "data" / "indicators")
    ap.add_argument("--event", default="informationsmøde", help="event of the interview indicators")
    ap.add_argument("--threads", type=int, default=None, help="DuckDB threads (VIRKNING_THREADS)")
    args = ap.parse_args()
    if args.threads:
        import os

        os.environ["VIRKNING_THREADS"] = str(args.threads)
    folder = args.data / f"national_{args.persons}"
    if not (folder / "truth.json").is_file():
        from virkning.synth import generate

        t = time.perf_counter()
        generate(folder, persons=args.persons, seed=args.seed, start="2010-01-01", end="2019-12-31")
        print(f"generated {args.persons:,} persons, 2010-2019, in {time.perf_counter() - t:.0f} s", flush=True)
    s = run(scan, str(folder))
    c = run(compute, str(folder), args.event)
    print(f"\nbenefits table: {s['rows']:,} rows; {c['units']} municipalities x {c['periods']} months x 11 indicators "
          f"= {c['rows']:,} cells")
    u, uc = s["view_scan"], s["view_scan_cpu"]
    print(f"plain scan of the benefits view     {u:7.2f} s wall, {uc:7.2f} s CPU (1 scan unit: every value read)")
    print(f"the same, counting only             {s['count_scan']:7.2f} s wall, {s['count_scan_cpu']:7.2f} s CPU "
          f"({s['count_scan'] / u:.2f} / {s['count_scan_cpu'] / uc:.2f} units)")
    print(f"plain scan of the raw Parquet files {s['raw_scan']:7.2f} s wall, {s['raw_scan_cpu']:7.2f} s CPU "
          f"({s['raw_scan'] / u:.2f} / {s['raw_scan_cpu'] / uc:.2f} units)")
    print(f"all indicators                      {c['compute']:7.2f} s wall, {c['compute_cpu']:7.2f} s CPU "
          f"({c['compute'] / s['view_scan']:.2f} units of wall time, {c['compute_cpu'] / s['view_scan_cpu']:.2f} of "
          f"CPU time); {c['statements']} statements, {c['benefit_statements']} reading the benefits table")
    print(f"disclosure gate on the table        {c['gate']:7.2f} s  ({c['hidden']:,} values hidden)")
    print(f"peak memory: scan {s['peak_gb']:.1f} GB, indicators {c['peak_gb']:.1f} GB")


if __name__ == "__main__":
    main()

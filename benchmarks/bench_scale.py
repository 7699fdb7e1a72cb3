"""National scale: validation and evaluation of national synthetic registers, in seconds, peak memory and scan units.

For each size it generates national synthetic registers (or reuses `--data`), then runs, each command in a fresh
process so that its peak memory is its own:

  validate            `virkning validate` with the cache off (the full contract check)
  evaluate, cold      `virkning evaluate` of the minimal example design, cache off (validation included, no keyed
                      copy: every pass reads the registers as delivered)
  evaluate, first     the same after a `validate` filled the cache: the load reuses the stored report; the passes
                      still read the registers as delivered (a first run leaves only a marker for the keyed copy)
  evaluate, second    the same again: this run writes the registers' keyed copy (registers/keyed.py)
  evaluate, warm      the same again: the stored report and the keyed copy are read
  seniorvikar, warm   the Seniorvikar example design (exact cells, robustness variants, bootstrap), cache warm

The unit of cost is one plain scan: DuckDB's `SELECT code, count(*) FROM benefits GROUP BY code` over the benefits
file, timed in this script on the same files just before; every stage is also printed as a multiple of it, which
carries over between machines better than seconds. With two or more sizes it prints the slope of each stage's peak
memory per million persons. Beside validate it prints a floor under any full validation: DuckDB reading once every
value of the columns the contract's rules read. Peak memory is each command's VmHWM.

    python benchmarks/bench_scale.py                                          # 1M persons, 10 years
    python benchmarks/bench_scale.py --persons 1000000,2000000,3000000
    python benchmarks/bench_scale.py --data /big/registers --persons 5000000  # registers made earlier (--keep)
    python benchmarks/bench_scale.py --data /r/1m,/r/2m --persons 1000000,2000000   # one folder per size

`--validate-only` times only `virkning validate`, `--repeat` times, each run against a unit timed just before it
(on a shared machine the best of several rounds is the cost); `--baseline REV` also validates with the package of
git revision REV, alternately, and checks that both print the same report:

    python benchmarks/bench_scale.py --data /r/1m --validate-only --repeat 3 --baseline main
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

from peak import peak_kb  # benchmarks/peak.py, beside this script

STAGES = ("validate", "evaluate, cold", "evaluate, first", "evaluate, second", "evaluate, warm", "seniorvikar, warm")


def child(argv: list[str]) -> None:
    """Run one CLI command in this process and print its wall time, CPU time and peak memory as JSON."""
    from virkning.cli import run

    t, cpu = time.perf_counter(), time.process_time()
    code = run(argv)
    out = {"exit": code, "wall": time.perf_counter() - t, "cpu": time.process_time() - cpu,
           "peak_gb": peak_kb() / 1024**2}
    print("BENCH " + json.dumps(out), flush=True)


def run_child(argv: list[str], cache: str, src: Path | None = None) -> dict:
    """`src`: run the package found there (another revision's `src`) instead of the installed one."""
    env = {**os.environ, "VIRKNING_CACHE_DIR": cache, "OPENBLAS_NUM_THREADS": "1"}
    if src is not None:
        env["PYTHONPATH"] = str(src)
    done = subprocess.run([sys.executable, __file__, "--child", *argv], env=env, capture_output=True, text=True)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("BENCH ")]
    if done.returncode != 0 or not lines or json.loads(lines[-1][6:])["exit"] != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    out = json.loads(lines[-1][6:])
    out["printed"] = "\n".join(ln for ln in done.stdout.splitlines() if not ln.startswith("BENCH "))
    return out


def validate_only(folder: Path, repeat: int, baseline: str | None) -> None:
    """`virkning validate` in scan units, each run against a unit timed just before it; with `baseline`, the same
    with that git revision's package, alternately, and the printed reports compared."""
    trees = {"this": None}
    tmp = Path(tempfile.mkdtemp(prefix="bench-scale-base-"))
    if baseline:
        root = Path(__file__).resolve().parents[1]
        archive = subprocess.run(["git", "-C", str(root), "archive", baseline, "src"], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive.stdout, check=True)
        trees[baseline] = tmp / "src"
    runs: dict[str, list[tuple[float, float, dict]]] = {k: [] for k in trees}
    for _ in range(repeat):
        for name, src in trees.items():
            unit, rows, unit_cpu = scan_cost(folder)
            runs[name].append((unit, unit_cpu, run_child(["validate", "--data", str(folder)], "off", src)))
    print(f"{rows:,} benefit rows; validate in scan units (wall / the unit timed just before; CPU units: CPU seconds "
          f"/ the unit's CPU seconds), best of {repeat}")
    for name, got in runs.items():
        units = [r["wall"] / u for u, _, r in got]
        cpu_units = [r["cpu"] / c for _, c, r in got]
        best = min(range(len(got)), key=lambda i: units[i])
        u, _, r = got[best]
        print(f"{name:>12}: {units[best]:5.1f} u ({r['wall']:.1f} s, unit {u:.2f} s, {r['peak_gb']:.2f} GB), "
              f"{min(cpu_units):5.1f} CPU units; every round: {', '.join(f'{x:.1f}' for x in units)} u, "
              f"{', '.join(f'{x:.1f}' for x in cpu_units)} CPU units")
    if baseline:
        import re

        def report(r: dict) -> str:  # without the seconds it took
            return re.sub(r"Checked in [0-9.]+ s", "Checked in - s", r["printed"])

        same = all(report(r) == report(runs["this"][0][2]) for got in runs.values() for _, _, r in got)
        print(f"printed reports {'identical' if same else 'DIFFER'}")


def scan_seconds(folder: Path) -> tuple[float, int]:
    """The unit: one grouped scan of the benefit codes (best of three, after one warm-up), and the benefit rows."""
    unit, rows, _ = scan_cost(folder)
    return unit, rows


def parquet_source(folder: Path, table: str) -> str | None:
    """DuckDB's read of a table of the folder as the registers' reader finds it (registers/readers.find_files): its
    Parquet file or folder of Parquet parts; None when the table is not there in Parquet."""
    from virkning.registers.readers import find_files

    found = find_files(folder, table)
    if found is None or found[0] != "parquet":
        return None
    return "read_parquet([" + ", ".join(f"'{path}'" for path in found[1]) + "])"


def scan_cost(folder: Path) -> tuple[float, int, float]:
    """The unit's wall seconds, the benefit rows and the unit's CPU seconds (all threads: steadier than wall time on a
    shared machine)."""
    import duckdb

    con = duckdb.connect()
    src = parquet_source(folder, "benefits")
    if src is None:
        raise SystemExit(f"{folder}: no benefits in Parquet to time the unit on")
    rows = con.execute(f"SELECT count(*) FROM {src}").fetchone()[0]
    times, cpus = [], []
    for _ in range(4):
        t, c = time.perf_counter(), time.process_time()
        con.execute(f"SELECT code, count(*) FROM {src} GROUP BY code").fetchall()
        times.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    con.close()
    return min(times[1:]), int(rows), min(cpus[1:])


def read_floor(folder: Path, unit: float) -> dict[str, float]:
    """A floor under any full validation, in scan units: DuckDB reading once every value of the columns the contract's
    row rules read (registers/validate.py, ROW_RULES; a hash of each, which no statistics of the file can answer:
    the cheapest such read found, comparisons cost more; DuckDB may hash a dictionary's values once, as a check could
    compare them once), best of three per table."""
    import duckdb

    from virkning.registers.validate import ROW_RULES

    con = duckdb.connect()
    out = {}
    for table, rules in ROW_RULES.items():
        src = parquet_source(folder, table)
        if src is None:
            continue
        present = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()}
        columns = [c for c in dict.fromkeys(column for column, _, _ in rules) if c in present]
        sql = "SELECT " + ", ".join(f'bit_xor(hash("{c}"))' for c in columns) + f" FROM {src}"
        times = []
        for _ in range(3):
            t = time.perf_counter()
            con.execute(sql).fetchall()
            times.append(time.perf_counter() - t)
        out[table] = min(times) / unit
    con.close()
    return out


def one_size(folder: Path, work: Path) -> dict:
    examples = resources.files("virkning.examples")
    designs = {}
    for name in ("minimal", "seniorvikar"):
        path = work / f"{name}.yaml"
        path.write_text(examples.joinpath(name, "design.yaml").read_text(encoding="utf-8"), encoding="utf-8")
        designs[name] = path
    unit, rows = scan_seconds(folder)
    res = {"benefit_rows": rows, "scan_seconds": unit, "stages": {}}
    cold, warm = "off", str(work / "cache")
    res["stages"]["validate"] = run_child(["validate", "--data", str(folder)], cold)
    res["stages"]["evaluate, cold"] = run_child(["evaluate", str(designs["minimal"]), "--data", str(folder), "--out",
                                                 str(work / "out-cold"), "--no-workbook"], cold)
    run_child(["validate", "--data", str(folder)], warm)  # fills the cache
    for stage in ("first", "second"):
        res["stages"][f"evaluate, {stage}"] = run_child(["evaluate", str(designs["minimal"]), "--data", str(folder),
                                                         "--out", str(work / f"out-{stage}"), "--no-workbook"], warm)
    res["stages"]["evaluate, warm"] = run_child(["evaluate", str(designs["minimal"]), "--data", str(folder), "--out",
                                                 str(work / "out-warm"), "--no-workbook"], warm)
    res["stages"]["seniorvikar, warm"] = run_child(["evaluate", str(designs["seniorvikar"]), "--data", str(folder),
                                                    "--out", str(work / "out-sv"), "--no-workbook"], warm)
    for stage, out in (("evaluate, cold", "out-cold"), ("evaluate, first", "out-first"),
                       ("evaluate, second", "out-second"), ("evaluate, warm", "out-warm"),
                       ("seniorvikar, warm", "out-sv")):
        res["stages"][stage]["timings"] = json.loads((work / out / "manifest.json").read_text())["timings_seconds"]
    res["same_results"] = all(_results(work / "out-cold") == _results(work / out)
                              for out in ("out-first", "out-second", "out-warm"))
    res["startup_seconds"] = startup_seconds()
    res["read_floor_units"] = read_floor(folder, unit)
    return res


def _results(out: Path) -> dict[str, bytes]:
    """Every output file but the manifest (its timings differ): the text-keyed and keyed runs must agree."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != "manifest.json"}


def startup_seconds() -> float:
    """Seconds to start the CLI and import what an evaluation imports (best of three fresh processes)."""
    code = "import time; t = time.perf_counter(); import virkning.cli, virkning.outputs; print(time.perf_counter() - t)"
    return min(float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
               for _ in range(3))


# The evaluation's own stages, as its manifest times them (outputs.run_evaluation, analyses/effect/pipeline.py).
BREAKDOWN = ("load_and_validate", "effect_populations", "keyed_copy", "effect_covariates", "effect_matching", "effect_outcomes",
             "effect_effects", "effect_sensitivity", "effect_publish", "report")


def print_breakdown(results: list[dict]) -> None:
    for r in results:
        u = r["scan_seconds"]
        print(f"\nstages at {r['persons']:,} persons, in scan units ({u:.2f} s each); start-up (imports) "
              f"{r['startup_seconds']:.1f} s = {r['startup_seconds'] / u:.1f} u")
        print(f"{'':>20}" + "".join(f"{s:>20}" for s in STAGES[1:]))
        for k in (*BREAKDOWN, "total"):
            cells = [r["stages"][s]["timings"].get(k) for s in STAGES[1:]]
            print(f"{k:>20}" + "".join(f"{c / u:16.1f} u  " if c is not None else f"{'-':>20}" for c in cells))
        print(f"{'whole command':>20}" + "".join(f"{r['stages'][s]['wall'] / u:16.1f} u  " for s in STAGES[1:]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--persons", default="1000000", help="comma-separated sizes")
    ap.add_argument("--start", default="2009-08-01")
    ap.add_argument("--end", default="2019-07-31")
    ap.add_argument("--seed", type=int, default=2018)
    ap.add_argument("--data", help="registers to reuse: one folder per size, comma-separated")
    ap.add_argument("--keep", type=Path, help="write the generated registers here and keep them (one size)")
    ap.add_argument("--json", type=Path, help="also write the results as JSON")
    ap.add_argument("--validate-only", action="store_true", help="time only `virkning validate` (needs --data)")
    ap.add_argument("--repeat", type=int, default=1, help="rounds of --validate-only")
    ap.add_argument("--baseline", help="with --validate-only: also validate with this git revision's package")
    ap.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        child(args.child)
        return
    if args.validate_only:
        if not args.data or "," in args.data:
            ap.error("--validate-only takes one folder in --data")
        validate_only(Path(args.data), args.repeat, args.baseline)
        return
    sizes = [int(s.replace("_", "")) for s in args.persons.split(",")]
    folders = [Path(f) for f in args.data.split(",")] if args.data else [None] * len(sizes)
    if len(folders) != len(sizes) or (args.keep and len(sizes) > 1):
        ap.error("--data takes one folder per size, --keep one size")
    from virkning.synth import generate

    results = []
    for n, given in zip(sizes, folders):
        with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
            work = Path(tmp)
            folder = given or args.keep or work / "data"
            gen = None
            if given is None:
                print(f"generating {n:,} persons, {args.start} to {args.end} ...", file=sys.stderr, flush=True)
                t = time.perf_counter()
                generate(folder, persons=n, seed=args.seed, start=args.start, end=args.end)
                gen = time.perf_counter() - t
            print(f"measuring {n:,} persons ...", file=sys.stderr, flush=True)
            r = one_size(Path(folder), work)
            r.update(persons=n, generate_seconds=gen)
            results.append(r)
    years = (int(args.end[:4]) - int(args.start[:4])) + (int(args.end[5:7]) - int(args.start[5:7]) + 1) / 12
    print(f"\n{'persons':>10} {'years':>5} {'benefit rows':>13} {'scan s':>7} {'ns/row':>7}  "
          + "  ".join(f"{s:>24}" for s in STAGES))
    for r in results:
        u = r["scan_seconds"]
        cells = [f"{r['stages'][s]['wall']:6.1f} s {r['stages'][s]['wall'] / u:5.0f} u {r['stages'][s]['peak_gb']:4.1f} GB"
                 for s in STAGES]
        print(f"{r['persons']:>10,} {years:>5.1f} {r['benefit_rows']:>13,} {u:>7.2f} {u / r['benefit_rows'] * 1e9:>7.1f}  "
              + "  ".join(f"{c:>24}" for c in cells))
    print("each stage: wall seconds, scan units (wall / one grouped scan of the benefit codes), peak resident memory")
    print_breakdown(results)
    for r in results:
        u, floor = r["scan_seconds"], r["read_floor_units"]
        print(f"{r['persons']:,} persons: validate {r['stages']['validate']['wall'] / u:.1f} u (its imports aside, as "
              f"every stage's time); its floor, reading once every value its rules read, {sum(floor.values()):.1f} u "
              f"({', '.join(f'{k} {v:.1f}' for k, v in floor.items())})")
    for r in results:
        print(f"{r['persons']:,} persons: outputs of the cold, first (text-keyed), second and warm (keyed copy) "
              f"evaluations "
              f"{'byte-identical' if r['same_results'] else 'DIFFER'}")
    for r in results:
        if r["generate_seconds"]:
            print(f"{r['persons']:,} persons generated in {r['generate_seconds']:.0f} s")
    if len(results) > 1:
        import numpy as np

        x = np.array([r["persons"] for r in results]) / 1e6
        for s in STAGES:
            y = np.array([r["stages"][s]["peak_gb"] for r in results])
            slope = np.polyfit(x, y, 1)[0]
            print(f"peak memory of {s}: {slope:.2f} GB per million persons (target at most 0.5)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

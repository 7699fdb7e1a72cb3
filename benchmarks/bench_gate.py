"""Benchmark: the disclosure gate of `virkning monitor` on the demo's monitoring data.

The job: the demo's status report for the programme's last month protects every month from the programme's first
(13 linked months, each holding what the earlier reports published), and nearly all of its time is the gate's
secondary suppression: linear programs over the unknown counts. The demo's synthetic data (`make demo`: 1,190,000
seniors, seed 2018) are generated into a temporary folder (or read from --data, a folder made by an earlier run
with --keep), the monitoring tables are computed once, and then only the gate's chain is timed: every month's
model declared and protected in order (`protect_month`). Printed per month: seconds, linear programs, counts hidden.

`--baseline REV` runs the same chain a second time with the gate of git revision REV (src/virkning/disclosure/
gate.py and reader.py at REV, loaded beside this one), in the same process, prints the ratio of the times and of the
numbers of linear programs, and checks that both gates hide the same numbers for the same reasons
(tables, hidden counts, blanked places in order, logs).

    python benchmarks/bench_gate.py                              # generate the demo's data, time the gate
    python benchmarks/bench_gate.py --keep /tmp/demo-data        # ... and keep the data for later runs
    python benchmarks/bench_gate.py --data /tmp/demo-data --baseline 2e62651
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def make_data(folder: Path, persons: int, seed: int) -> None:
    from virkning.demo_common import example
    from virkning.synth import generate
    from virkning.synth.sheets import write_monitoring_data

    generate(folder / "data", persons=persons, seed=seed, population="seniors")
    write_monitoring_data(folder / "data", seed=seed)
    (folder / "design.yaml").write_text(example("seniorvikar"), encoding="utf-8")


def monitoring_result(folder: Path):
    """The demo's monitoring tables for its last programme month (as `virkning demo` asks for them)."""
    from virkning.design import load_design
    from virkning.outputs import KINDS, Context, _load_options
    from virkning.registers import calendar, load

    truth = json.loads((folder / "data" / "truth.json").read_text(encoding="utf-8"))
    last = calendar.month_label(calendar.week_month(calendar.parse_week(max(truth["meeting_weeks"]))))
    design = load_design(folder / "design.yaml")
    regs = load(folder / "data", _load_options(design, None, None))
    try:
        ctx = Context(data=folder / "data", threshold=design.disclosure_threshold, language=design.language,
                      seed=design.seed, design_name=design.name, progress=lambda s: None, _registers=regs,
                      options={"months": [last], "strict": False, "registers": True})
        return KINDS["monitoring"].run(design, ctx), design.disclosure_threshold
    finally:
        regs.close()


def gate_module(rev: str):
    """gate.py of git revision `rev`, loaded as a module of its own (it imports the current model and defaults),
    with that revision's reader.py (the linear programs) where it has one."""

    def load(name: str, file: str):
        shown = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:src/virkning/disclosure/{file}"],
                               capture_output=True, text=True)
        if shown.returncode != 0:
            return None  # older revisions: no reader.py
        path = Path(tempfile.mkdtemp(prefix="bench_gate_")) / f"{name}.py"
        path.write_text(shown.stdout, encoding="utf-8")
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up
        spec.loader.exec_module(module)
        return module

    reader = load("reader_baseline", "reader.py")
    current = sys.modules.get("virkning.disclosure.reader")
    if reader is not None:  # the revision's gate imports its own reader
        sys.modules["virkning.disclosure.reader"] = reader
    try:
        gate = load("gate_baseline", "gate.py")
    finally:
        if current is not None:
            sys.modules["virkning.disclosure.reader"] = current
    if gate is None:
        raise SystemExit(f"no src/virkning/disclosure/gate.py at {rev}")
    gate.bench_reader = reader
    return gate


def _counted(gate_mod, calls: list[int]):
    """Count the linear programs the gate solves: linprog where the gate or its reader calls it, else
    disclosure.lp.Program.solve; returns a function that undoes the counting."""
    reader = getattr(gate_mod, "bench_reader", None) or importlib.import_module("virkning.disclosure.reader")
    owner, name = next(((m, "linprog") for m in (gate_mod, reader) if hasattr(m, "linprog")),
                       (importlib.import_module("virkning.disclosure.lp").Program, "solve"))
    solve = getattr(owner, name)

    def counted(*args, **kwargs):
        calls[0] += 1
        return solve(*args, **kwargs)

    setattr(owner, name, counted)
    return lambda: setattr(owner, name, solve)


def run_chain(result, threshold: int, gate_mod, label: str) -> tuple[float, int, dict]:
    """Protect every month in order with the gate of `gate_mod`; (seconds, linear programs, outcomes)."""
    publish = importlib.import_module("virkning.analyses.monitoring.publish")  # the module, not the function
    calls = [0]
    uncount = _counted(gate_mod, calls)
    publish.Gate, saved_gate = gate_mod.Gate, publish.Gate
    publish.apply, saved_apply = gate_mod.apply, publish.apply
    outcomes = {}
    try:
        print(f"{label}:")
        total, previous = 0.0, None
        for month in result.history:
            n0, t = calls[0], time.perf_counter()
            protected, outcome, previous = publish.protect_month(result, month, threshold, previous)
            seconds = time.perf_counter() - t
            total += seconds
            print(f"  {month}  {seconds:6.2f} s  {calls[0] - n0:5d} linear programs  {len(outcome.hidden):4d} counts "
                  f"hidden  {len(outcome.blank):4d} places blank")
            outcomes[month] = (protected, sorted(map(repr, outcome.hidden)), list(outcome.blank.items()), outcome.log)
        print(f"  all months {total:.2f} s, {calls[0]} linear programs")
    finally:
        uncount()
        publish.Gate, publish.apply = saved_gate, saved_apply
    return total, calls[0], outcomes


def same(a: dict, b: dict) -> bool:
    for month in a:
        (pa, ha, ba, la), (pb, hb, bb, lb) = a[month], b[month]
        if ha != hb or ba != bb or la != lb or pa.keys() != pb.keys() or not all(pa[k].equals(pb[k]) for k in pa):
            print(f"  {month}: the two gates differ")
            return False
    return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--persons", type=int, default=1_190_000, help="synthetic seniors (the demo's number)")
    ap.add_argument("--seed", type=int, default=2018)
    ap.add_argument("--data", type=Path, help="a folder made by --keep (data/ and design.yaml): not generated again")
    ap.add_argument("--keep", type=Path, help="generate the data into this folder and keep it")
    ap.add_argument("--baseline", help="git revision whose gate to time too, in the same process, and compare")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from virkning.disclosure import gate

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.data or args.keep or Path(tmp)
        t = time.perf_counter()
        if args.data is None:
            make_data(folder, args.persons, args.seed)
        result, threshold = monitoring_result(folder)
        print(f"monitoring tables of {len(result.history)} months ({result.history[0]} .. {result.history[-1]}), "
              f"data and tables {time.perf_counter() - t:.0f} s, threshold {threshold}")
        seconds, lps, outcomes = run_chain(result, threshold, gate, "this gate")
        if args.baseline:
            base_seconds, base_lps, base_outcomes = run_chain(result, threshold, gate_module(args.baseline),
                                                              f"gate of {args.baseline}")
            print(f"ratio (this / {args.baseline}): time {seconds / base_seconds:.2f}, "
                  f"linear programs {lps / base_lps:.2f}; same output: {same(outcomes, base_outcomes)}")
    print(f"peak memory (max RSS) {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()

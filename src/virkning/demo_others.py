"""The demo's stages for seeds 001, 002 and 004: a Flere-skal-med-like programme (trajectories without matching) in
DIR/flere-skal-med, the free-municipality experiment (register indicators and difference-in-differences) in
DIR/frikommune and the benchmarking of its job centres in DIR/frikommune/benchmark; run by `virkning.demo.run_demo`.

They need nothing from the Seniorvikar stages, so `start_background` runs them in a second process while those
run, and each stage here then prints what that process wrote (or does the work itself when it could not)."""

from __future__ import annotations

import json
import os
import time
import warnings
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console

from virkning import process
from virkning.demo_common import _table, example, status


def _status(console: Console | None, text: str) -> Any:
    """The stage's status display, or nothing in the background process (which has no console)."""
    return nullcontext(_Quiet()) if console is None else status(console, text)


class _Quiet:
    def update(self, text: str) -> None:
        return None


# ---- Flere skal med (seed 001): trajectories without matching -----------------------------------------------------

def _print_flere_skal_med(console: Console, folder: Path, truth: dict) -> None:
    """The published estimates (after the disclosure gate) next to the synthetic programme's truths."""
    groups = pd.read_csv(folder / "groups.csv").set_index("group")["persons"]
    names = {"gruppe_1": "group_1", "gruppe_2": "group_2", "gruppe_3": "group_3", "flere_skal_med": "programme",
             "sammenligning": "comparison"}
    console.print(_table("Groups: persons found by the de-duplication rule and the comparison rule, and the truth",
                         pd.DataFrame([{"group": g, "persons": int(groups.get(g, 0)), "true": truth["groups"][k]}
                                       for g, k in names.items()])))
    c = pd.read_csv(folder / "curves.csv")
    rows = []
    for g, key in (("gruppe_1", "group_1"), ("flere_skal_med", "programme"), ("sammenligning", "comparison")):
        t = truth["trajectories"][key]["virksomhedsforloeb"]
        for m in (1, 6, 12, 18, 24, truth["horizon"]):
            r = c[(c["group"] == g) & (c["outcome"] == "virksomhedsforloeb") & (c["month"] == m)]
            if not len(r) or pd.isna(r["share"].iloc[0]):
                continue
            first = r.iloc[0]
            rows.append({"group": g, "month": m, "share %": f"{100 * first['share']:.1f}",
                         "95% CI": f"{100 * first['ci_low']:.1f};{100 * first['ci_high']:.1f}",
                         "true %": f"{100 * t['ever'][m - 1]:.1f}", "expected %": f"{100 * t['ever_expected'][m - 1]:.1f}"})
    console.print(_table("Share ever in virksomhedsforløb mv. by month since the index: estimate, realised truth "
                         "and the model's expected share", pd.DataFrame(rows)))
    lpm = pd.read_csv(folder / "lpm.csv")
    covs = {"mand": "man", "alder_40": "age_40_plus", "indvandrer": "immigrant_or_descendant",
            "erhvervsfaglig": "vocational_education", "hospital": "hospital_visits", "handicap": "handicap",
            "hist_virksomhed": "earlier_employer_measure", "hist_timer": "earlier_ordinary_hours"}
    lpm_rows = []
    for term, name in covs.items():
        row = {"covariate": term}
        for o, short in (("virksomhedsforloeb", "vf"), ("ordinaere_timer", "ot")):
            r = lpm[(lpm["outcome"] == o) & (lpm["term"] == term)]
            est = r["estimate"].iloc[0] if len(r) else float("nan")
            row[f"{short} pp"] = f"{est:+.1f}" + (f" ({r['se'].iloc[0]:.1f})" if len(r) else "")
            row[f"{short} true"] = f"{100 * truth['lpm'][o]['coefficients'][name]:+.1f}"
        lpm_rows.append(row)
    console.print(_table("Linear probability models for group 1 (Tabel 4-4): estimate (cluster-robust SE) in "
                         "percentage points and the true coefficient", pd.DataFrame(lpm_rows)))


FLERE_SKAL_MED_PERSONS = 20_000


def _flere_skal_med_files(out: Path, persons: int = FLERE_SKAL_MED_PERSONS, seed: int = 2018,
                          console: Console | None = None) -> dict:
    """OUT/flere-skal-med: the registers (unless there already), design.yaml, `virkning evaluate` and the disclosure
    audit of the evaluation. Prints nothing but its status (none without a console)."""
    from virkning.disclosure.audit import audit
    from virkning.outputs import run_evaluation
    from virkning.synth import generate

    base = Path(out) / "flere-skal-med"
    data = base / "data"
    started = time.perf_counter()
    truth_path = data / "truth.json"
    previous = json.loads(truth_path.read_text()) if truth_path.exists() else {}
    if (previous.get("persons"), previous.get("seed"), previous.get("programme")) != (persons, seed,
                                                                                      "flere_skal_med"):
        with _status(console, f"Generating Flere-skal-med registers for {persons:,} persons ..."):
            generate(data, persons=persons, seed=seed, programme="flere_skal_med")
    design_path = base / "design.yaml"
    design_path.write_text(example("flere_skal_med"), encoding="utf-8")
    with _status(console, "Flere skal med: evaluating ...") as stage:
        paths = run_evaluation(design_path, base / "evaluation", data=data,
                               progress=lambda s: stage.update(f"Flere skal med: {s} ..."))
    return {"report": paths["report"], "folder": base / "evaluation", "audit": audit(base / "evaluation"),
            "seconds": time.perf_counter() - started}


def run_flere_skal_med_demo(out: Path, persons: int = FLERE_SKAL_MED_PERSONS, seed: int = 2018,
                            console: Console | None = None, pending=None) -> dict:
    """Synthetic Flere-skal-med registers (seed 001) -> `virkning evaluate` with the shipped example design
    (trajectories without matching) into OUT/flere-skal-med/evaluation, the disclosure audit of that folder, and the
    estimates next to the truths. `pending`: the future of this stage in `start_background` for the same OUT,
    persons and seed (waited for here). Returns the paths written."""
    console = console or Console()
    done = _collect(console, pending, "Flere skal med")
    if done is None:
        done = _flere_skal_med_files(out, persons, seed, console)
    base = Path(out) / "flere-skal-med"
    truth = json.loads((base / "data" / "truth.json").read_text())
    console.print(f"Flere skal med: {done['report']} ({done['seconds']:.0f} s; disclosure audit: "
                  f"{len(done['audit'])} finding(s))")
    _print_flere_skal_med(console, base / "evaluation" / "trajectories", truth)
    return {"report": done["report"], "folder": done["folder"], "audit": done["audit"]}


# ---- the frikommune stage (seed 002): register indicators and difference-in-differences ---------------------------

def _print_did(console: Console, folder: Path, truth: dict) -> None:
    """Estimates next to the synthetic experiment's true effects: the simple ATT (every post-start unit-period) for
    CS and TWFE, and for the pooled 2x2 its own estimand, the trial units' mean effect over its post window."""
    agg = pd.read_csv(folder / "aggregates.csv")
    twfe = pd.read_csv(folder / "twfe.csv")
    did = pd.read_csv(folder / "did_2x2.csv", dtype={"comparison": str})
    periods = truth["periods"]
    rows = []

    def cell(est, lo, hi) -> str:
        return f"{est:+.3f}" + ("" if pd.isna(lo) or pd.isna(hi) else f" [{lo:+.3f}; {hi:+.3f}]")

    for name, tr in [*truth["indicators"].items(), ("beskaeftigelse", truth["person_level"])]:
        a = agg[(agg["outcome"] == name) & (agg["kind"] == "simple")]
        w = twfe[twfe["outcome"] == name]
        p = did[(did["outcome"] == name) & (did["comparison"] == "pooled")]
        if not (len(a) or len(w)):
            continue
        row = {"outcome": name + (" (person)" if name == "beskaeftigelse" else ""), "true": f"{tr['att_simple']:+.3f}",
               "CS (95% CI)": "", "TWFE (wild bootstrap CI)": "", "2x2 (wild bootstrap CI)": "", "true (2x2)": ""}
        if len(a):
            r = a.iloc[0]
            row["CS (95% CI)"] = cell(r["estimate"], r["ci_low"], r["ci_high"])
        if len(w):
            r = w.iloc[0]
            row["TWFE (wild bootstrap CI)"] = cell(r["estimate"], r["boot_ci_low"], r["boot_ci_high"])
        if len(p):
            r = p.iloc[0]
            row["2x2 (wild bootstrap CI)"] = cell(r["estimate"], r["boot_ci_low"], r["boot_ci_high"])
            if "att_unit" in tr and isinstance(r["post"], str):
                first, last = r["post"].split("-")
                post = range(periods.index(first), periods.index(last) + 1)
                # a unit-period without persons in the target group has no truth (None) and no published cell
                cells = [c for u in tr["att_unit"] for q in post if (c := tr["att_unit"][u][q]) is not None]
                row["true (2x2)"] = f"{sum(cells) / len(cells):+.3f}" if cells else ""
        rows.append(row)
    console.print(_table("Free-municipality experiment: estimates and the true effects (CS and TWFE against the "
                         "simple ATT; the pooled 2x2 against its post window)", pd.DataFrame(rows)))


FRIKOMMUNE_PERSONS = 30_000  # the tests' data: every published interval covers its truth (docs/did-analysis.md)


def _frikommune_ready(data: Path, persons: int, seed: int) -> bool:
    truth_path = data / "truth.json"
    previous = json.loads(truth_path.read_text()) if truth_path.exists() else {}
    return (previous.get("persons"), previous.get("seed"), previous.get("programme")) == (persons, seed, "frikommune")


def _generate_frikommune(data: Path, persons: int, seed: int) -> None:
    from virkning.synth import generate

    generate(data, persons=persons, seed=seed, programme="frikommune")


def _frikommune_files(out: Path, persons: int = FRIKOMMUNE_PERSONS, seed: int = 2018,
                      console: Console | None = None) -> dict:
    """OUT/data (unless there already), OUT/design.yaml and `virkning evaluate` into OUT/evaluation."""
    from virkning.outputs import run_evaluation

    out = Path(out)
    data = out / "data"
    started = time.perf_counter()
    if not _frikommune_ready(data, persons, seed):
        with _status(console, f"Generating the free-municipality experiment for {persons:,} persons ..."):
            _generate_frikommune(data, persons, seed)
    design_path = out / "design.yaml"
    design_path.write_text(example("frikommune"), encoding="utf-8")
    with _status(console, "Indicators and difference-in-differences ...") as stage:
        paths = run_evaluation(design_path, out / "evaluation", data=data,
                               progress=lambda s: stage.update(f"Frikommune: {s} ..."))
    return {"report": paths["report"], "seconds": time.perf_counter() - started}


def run_frikommune_demo(out: Path, persons: int = FRIKOMMUNE_PERSONS, seed: int = 2018, console: Console | None = None,
                        pending=None) -> dict:
    """Synthetic registers of the free-municipality experiment (seed 002) -> the example design
    (`examples/frikommune`) -> `virkning evaluate` into OUT/evaluation; prints estimates next to the truths.
    `pending`: the future of this stage in `start_background` for the same OUT, persons and seed (waited for
    here)."""
    console = console or Console()
    out = Path(out)
    done = _collect(console, pending, "The free-municipality stage")
    if done is None:
        done = _frikommune_files(out, persons, seed, console)
    truth = json.loads((out / "data" / "truth.json").read_text())
    _print_did(console, out / "evaluation" / "did", truth)
    console.print(f"Free-municipality report: {done['report']} ({done['seconds']:.0f} s)")
    return {"frikommune": done["report"], "frikommune_results": out / "evaluation" / "did"}


# ---- the benchmark stage (seed 004): job centres compared on the free-municipality registers -------------------

def _benchmark_files(out: Path, seed: int = 2018, console: Console | None = None) -> dict:
    """Synthetic staffing and structural covariates next to OUT/data, the example design and `virkning evaluate`
    into OUT/benchmark."""
    from virkning.outputs import run_evaluation
    from virkning.synth.benchmark import write_benchmark_inputs

    out = Path(out)
    started = time.perf_counter()
    write_benchmark_inputs(out / "data", out, seed=seed)
    design_path = out / "benchmark.yaml"
    design_path.write_text(example("benchmark"), encoding="utf-8")
    with _status(console, "Benchmarking the job centres ..."):
        paths = run_evaluation(design_path, out / "benchmark", data=out / "data")
    return {"report": paths["report"], "seconds": time.perf_counter() - started}


def run_benchmark_demo(out: Path, console: Console | None = None, seed: int = 2018, pending=None) -> dict:
    """Benchmarking of the municipalities of the free-municipality registers in OUT/data (made by the frikommune
    stage): synthetic staffing and structural covariates next to the example design `examples/benchmark`, then
    `virkning evaluate` into OUT/benchmark. About 2-3 s. `pending`: the future of this stage in
    `start_background` (waited for here)."""
    console = console or Console()
    out = Path(out)
    done = _collect(console, pending, "Benchmarking")
    if done is None:
        done = _benchmark_files(out, seed, console)
    folder = out / "benchmark" / "benchmark" / "forsikrede_ledige"
    score = pd.read_csv(folder / "scoreboard.csv", dtype={"unit": str})
    changes = pd.read_csv(folder / "changes.csv")
    month = json.loads((folder / "results.json").read_text(encoding="utf-8"))["design"]["month"]
    rate = lambda v: f"{100 * v:.2f} %"  # noqa: E731
    first, last = score.iloc[0], score.dropna(subset=["rank"]).iloc[-1]
    console.print(f"Benchmark {month}: best {first['unit_name']} {rate(first['rate'])}, last {last['unit_name']} "
                  f"{rate(last['rate'])}; " + ", ".join(f"{r.label} {rate(r.rate)}" for r in changes.itertuples()))
    console.print(f"Benchmark report: {done['report']} ({done['seconds']:.1f} s)")
    return {"benchmark": done["report"]}


# ---- the second process ----------------------------------------------------------------------------------------------

def _background(job: str, *args) -> tuple[dict, list[tuple]]:
    """Run one stage in the background process; its result and the warnings it raised (shown by the demo's
    process, as if raised there)."""
    from virkning.demo import _monitor_files  # the Seniorvikar stages' (demo.py imports this module)

    stage: dict[str, Callable[..., dict]] = {"flere_skal_med": _flere_skal_med_files, "frikommune": _frikommune_files,
                                             "benchmark": _benchmark_files, "monitoring": _monitor_files}
    with warnings.catch_warnings(record=True) as caught:
        result = stage[job](*args)
    return result, [(w.category, str(w.message), w.filename, w.lineno) for w in caught]


def _yield_to_the_demo() -> None:
    """A worker's stages run at a lower priority (nice 5, inherited by DuckDB's threads): when the cores are all
    busy, the demo's own process, whose stages are the ones the whole demo waits for (synthetic data, validation,
    the evaluation and its PDF), gets them first. The workers have time to spare."""
    try:
        os.nice(5)
    except (AttributeError, OSError):  # not on this system: the same work, in a different order
        pass
    process.apply()  # a command's settings of the collector and numpy's huge pages (virkning/process.py)


def _start(jobs: dict[str, tuple]) -> dict:
    """Submit `jobs` (stage -> its arguments), in this order, to a new process of one worker started with 'spawn'
    (a fresh interpreter, never a fork of a process holding DuckDB's threads). Returns the futures by stage ({} when
    no process can be started: the stages then do the work themselves)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    try:
        pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_yield_to_the_demo)
        futures = {job: pool.submit(_background, job, *args) for job, args in jobs.items()}
        pool.shutdown(wait=False)
    except (OSError, RuntimeError, NotImplementedError):
        return {}
    return futures


def start_background(out: Path, seed: int = 2018) -> dict:
    """Start the stages of this module (OUT/flere-skal-med; OUT/frikommune and its benchmark, in that order) in a
    separate process, so that `virkning demo` runs them while its Seniorvikar stages run; each stage then only
    prints. One worker: the stages run one after the other, the benchmark after the registers it reads."""
    out = Path(out)
    return _start({"flere_skal_med": (out, FLERE_SKAL_MED_PERSONS, seed),
                   "frikommune": (out / "frikommune", FRIKOMMUNE_PERSONS, seed),
                   "benchmark": (out / "frikommune", seed)})


def start_side(out: Path, data: Path, design_path: Path, month: str, seed: int = 2018) -> dict:
    """Start the Seniorvikar monitoring, job rotation and plan (stage "monitoring": `demo._monitor_files`) in a
    process of their own, once the registers are validated, so that they run while the demo's process evaluates."""
    return _start({"monitoring": (Path(out), Path(data), Path(design_path), month, seed)})


def stop_background(futures: dict) -> None:
    """Cancel the stages not started yet (the demo failed: nobody will print them)."""
    for future in futures.values():
        future.cancel()


def _collect(console: Console, pending, name: str) -> dict | None:
    """A background stage's result, its warnings raised again here; None without one or when it failed (the
    stage then does the work itself)."""
    if pending is None:
        return None
    with status(console, f"{name}: waiting for the background process ..."):
        try:
            result, caught = pending.result()
        except Exception as exc:  # noqa: BLE001 - the child's failure is reported and the work done here
            console.print(f"{name} could not be done in the background ({exc}); doing it now", markup=False)
            return None
    for category, message, filename, lineno in caught:
        warnings.warn_explicit(message, category, filename, lineno)
    return result

"""The demo's stages for seeds 001 and 002: a Flere-skal-med-like programme (trajectories without matching) in
DIR/flere-skal-med and the free-municipality experiment (register indicators and difference-in-differences) in
DIR/frikommune; run by `virkning.demo.run_demo`."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
from rich.console import Console

from virkning.demo_common import _table, example, status


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


def run_flere_skal_med_demo(out: Path, persons: int = 20_000, seed: int = 2018,
                            console: Console | None = None) -> dict:
    """Synthetic Flere-skal-med registers (seed 001) -> `virkning evaluate` with the shipped example design
    (trajectories without matching) into OUT/flere-skal-med/evaluation, the disclosure audit of that folder, and the
    estimates next to the truths. Returns the paths written."""
    from virkning.disclosure.audit import audit
    from virkning.outputs import run_evaluation
    from virkning.synth import generate

    console = console or Console()
    base = Path(out) / "flere-skal-med"
    data = base / "data"
    started = time.perf_counter()
    truth_path = data / "truth.json"
    previous = json.loads(truth_path.read_text()) if truth_path.exists() else {}
    if (previous.get("persons"), previous.get("seed"), previous.get("programme")) != (persons, seed,
                                                                                      "flere_skal_med"):
        with status(console, f"Generating Flere-skal-med registers for {persons:,} persons ..."):
            generate(data, persons=persons, seed=seed, programme="flere_skal_med")
    truth = json.loads(truth_path.read_text())
    design_path = base / "design.yaml"
    design_path.write_text(example("flere_skal_med"), encoding="utf-8")
    with status(console, "Flere skal med: evaluating ...") as stage:
        paths = run_evaluation(design_path, base / "evaluation", data=data,
                               progress=lambda s: stage.update(f"Flere skal med: {s} ..."))
    findings = audit(base / "evaluation")
    console.print(f"Flere skal med: {paths['report']} ({time.perf_counter() - started:.0f} s; disclosure audit: "
                  f"{len(findings)} finding(s))")
    _print_flere_skal_med(console, base / "evaluation" / "trajectories", truth)
    return {"report": paths["report"], "folder": base / "evaluation", "audit": findings}



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


def start_frikommune_data(out: Path, persons: int = FRIKOMMUNE_PERSONS, seed: int = 2018):
    """Generate the free-municipality registers into OUT/data in a separate process, so that `virkning demo` makes
    them while its other stages run (the stage at the end then only evaluates). Returns a future, or None when the
    data are there already or no process can be started (the stage then generates them itself). The child is
    started with 'spawn': a fresh interpreter, never a fork of a process holding DuckDB's threads."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    data = Path(out) / "data"
    if _frikommune_ready(data, persons, seed):
        return None
    try:
        pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        future = pool.submit(_generate_frikommune, data, persons, seed)
        pool.shutdown(wait=False)
    except (OSError, RuntimeError, NotImplementedError):
        return None
    return future


def run_frikommune_demo(out: Path, persons: int = FRIKOMMUNE_PERSONS, seed: int = 2018, console: Console | None = None,
                        pending=None) -> dict:
    """Synthetic registers of the free-municipality experiment (seed 002) -> the example design
    (`examples/frikommune`) -> `virkning evaluate` into OUT/evaluation; prints estimates next to the truths.
    `pending`: the future of `start_frikommune_data` for the same OUT, persons and seed (waited for here)."""
    from virkning.outputs import run_evaluation

    console = console or Console()
    out = Path(out)
    data = out / "data"
    started = time.perf_counter()
    truth_path = data / "truth.json"
    if pending is not None:
        with status(console, "Waiting for the free-municipality registers ..."):
            try:
                pending.result()
            except Exception as exc:  # noqa: BLE001 - the child's failure is reported and the data made here
                console.print(f"The free-municipality registers could not be made in the background ({exc}); "
                              f"making them now")
    if not _frikommune_ready(data, persons, seed):
        with status(console, f"Generating the free-municipality experiment for {persons:,} persons ..."):
            _generate_frikommune(data, persons, seed)
    truth = json.loads(truth_path.read_text())
    design_path = out / "design.yaml"
    design_path.write_text(example("frikommune"), encoding="utf-8")
    with status(console, "Indicators and difference-in-differences ...") as stage:
        paths = run_evaluation(design_path, out / "evaluation", data=data,
                               progress=lambda s: stage.update(f"Frikommune: {s} ..."))
    _print_did(console, out / "evaluation" / "did", truth)
    console.print(f"Free-municipality report: {paths['report']} ({time.perf_counter() - started:.0f} s)")
    return {"frikommune": paths["report"], "frikommune_results": out / "evaluation" / "did"}

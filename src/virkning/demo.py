"""The demo: synthetic registers with a Seniorvikar-like programme, evaluated and monitored end to end.

`virkning demo --out DIR` writes DIR/data (registers, registration sheet, surveys, truth.json) and DIR/design.yaml
(the example design shipped with the package, `virkning.examples`), runs `virkning evaluate` with it into
DIR/evaluation (report, results, figures, manifest) and `virkning monitor` for the last programme month into
DIR/monitoring, and prints the estimates next to the true effects. It needs nothing but the installed package.
A last stage writes DIR/frikommune/{data, design.yaml, evaluation} from the free-municipality experiment (seed
002: register indicators and difference-in-differences; `run_frikommune_demo`).
`seniorvikar_design()` is the same effect design in Python (tests check that the two agree).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from importlib import resources
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

from virkning.analyses.effect import EffectDesign, Subgroup
from virkning.outcomes import Outcome
from virkning.populations import Exclusion, ParticipantRule, PoolRule
from virkning.registers import calendar


def seniorvikar_design(**overrides) -> EffectDesign:
    """The effect design of the Seniorvikar evaluation (seed 000, Bilag 3), on the package's covariate grammar."""
    base = dict(
        participants=ParticipantRule("informationsmøde", dt.date(2018, 1, 1), dt.date(2018, 12, 31)),
        pool=PoolRule(age=(50, 65), states={-1: "ledig", 0: "ledig"}, exclude_municipalities="participants"),
        exclusions=(Exclusion("employed in the index month", "employment_at_0", ">", 0),),
        covariates=("age", "sex", "origin", "education", "region", "weeks_ledig_156w", "weeks_passiv_ledig_52w",
                    "weeks_sygdom_156w", "employment_36m", "spell_weeks"),
        exact=("sex", "region"),
        outcomes=(Outcome("exit_beskaeftiget", "first_exit", "beskæftiget", 7),
                  Outcome("exit_vikar", "first_exit", "vikar", 7),
                  Outcome("exit_tilbagetrukket", "first_exit", "tilbagetrukket", 7)),
        subgroups=(Subgroup("age band", "age", (50, 55, 60, 66)), Subgroup("sex", "sex"),
                   Subgroup("education", "education")),
        n_boot=499,
    )
    base.update(overrides)
    return EffectDesign(**base)


def _table(title: str, frame: pd.DataFrame, floats: str = "{:.3f}") -> Table:
    t = Table(title=title)
    for c in frame.columns:
        t.add_column(str(c), justify="left" if frame[c].dtype == object else "right")
    for row in frame.itertuples(index=False):
        t.add_row(*["" if pd.isna(v) else (floats.format(v) if isinstance(v, float) else f"{v:,}" if isinstance(v, int) else str(v))
                    for v in row])
    return t


def _print_effects(console: Console, paths: dict, truth: dict) -> None:
    effects = pd.read_csv(paths["effects"])
    rows = []
    hidden = False
    for name, o in truth["outcomes"].items():
        # the horizon, or the last month the disclosure gate lets the report show
        e = effects[(effects["outcome"] == name) & (effects["month"] <= len(o["att"])) & effects["att"].notna()]
        if len(e):
            r = e.sort_values("month").iloc[-1]
            m = int(r["month"])
            hidden = hidden or m < len(o["att"])
            rows.append({"outcome": name.removeprefix("exit_"), "month": m,
                         "part. %": f"{100 * r['treated_mean']:.1f}", "ctrl %": f"{100 * r['control_mean']:.1f}",
                         "ATT pp": f"{100 * r['att']:+.1f}", "95% CI": f"{100 * r['ci_low']:+.1f};{100 * r['ci_high']:+.1f}",
                         "true pp": f"{100 * o['att'][m - 1]:+.1f}"})
    console.print(_table("Effect at the horizon: estimate and the true effect of the synthetic programme", pd.DataFrame(rows)))
    if hidden:
        console.print("An earlier month is shown where the horizon's point rests on fewer than the disclosure "
                      "threshold's exits or censorings since the last point shown (docs/disclosure.md).")


def example(name: str = "seniorvikar") -> str:
    """The text of an example design shipped with the package (`seniorvikar`, `minimal`)."""
    return resources.files("virkning.examples").joinpath(name, "design.yaml").read_text(encoding="utf-8")


def run_demo(out: Path, persons: int = 1_190_000, seed: int = 2018, console: Console | None = None) -> dict:
    """Synthetic registers, registration sheet and surveys -> `virkning evaluate` with the example design ->
    `virkning monitor` for the last programme month. Returns the paths written."""
    from virkning.design import load_design
    from virkning.outputs import run_evaluation, run_monitor
    from virkning.synth import generate
    from virkning.synth.sheets import write_monitoring_data

    console = console or Console()
    out = Path(out)
    data = out / "data"
    started = time.perf_counter()
    truth_path = data / "truth.json"
    previous = json.loads(truth_path.read_text()) if truth_path.exists() else {}
    if (previous.get("persons"), previous.get("seed"), previous.get("sampling", {}).get("seniors_only")) != (
            persons, seed, True):
        with console.status(f"Generating synthetic registers for {persons:,} seniors ..."):
            generate(data, persons=persons, seed=seed, population="seniors")
        write_monitoring_data(data, seed=seed)
    console.print(f"Synthetic data: {data} ({time.perf_counter() - started:.0f} s)")
    truth = json.loads(truth_path.read_text())
    design_path = out / "design.yaml"
    design_path.write_text(example("seniorvikar"), encoding="utf-8")  # data.folder: data, next to it

    from virkning.registers import load

    design = load_design(design_path)
    t = time.perf_counter()
    with console.status("Validating the registers ..."):
        regs = load(data, design.load_options())  # one load serves the evaluation and the monitoring
    console.print(f"Registers validated ({time.perf_counter() - t:.0f} s)")
    try:
        t = time.perf_counter()
        with console.status("Evaluating ...") as status:
            paths = run_evaluation(design_path, out / "evaluation", data=data, regs=regs,
                                   progress=lambda s: status.update(f"Evaluating: {s} ..."))
        console.print(f"Evaluation: {paths['report']} ({time.perf_counter() - t:.0f} s)")
        _print_effects(console, paths, truth)
        t = time.perf_counter()
        with console.status("Monitoring ..."):
            last = calendar.month_label(calendar.week_month(calendar.parse_week(max(truth["meeting_weeks"]))))
            months = run_monitor(design_path, out / "monitoring", data=data, month=last, regs=regs)
    finally:
        regs.close()
    html = sorted(k for k in months if k.endswith("/html"))
    paths["monitoring"] = months[html[-1]]
    console.print(f"Status report: {paths['monitoring']} ({time.perf_counter() - t:.0f} s)")
    paths.update(run_frikommune_demo(out / "frikommune", seed=seed, console=console))
    console.print(f"Done in {time.perf_counter() - started:.0f} s. Open {paths['report']} in a browser.")
    return paths


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
                cells = [tr["att_unit"][u][q] for u in tr["att_unit"] for q in post]
                row["true (2x2)"] = f"{sum(cells) / len(cells):+.3f}"
        rows.append(row)
    console.print(_table("Free-municipality experiment: estimates and the true effects (CS and TWFE against the "
                         "simple ATT; the pooled 2x2 against its post window)", pd.DataFrame(rows)))


def run_frikommune_demo(out: Path, persons: int = 50_000, seed: int = 2018, console: Console | None = None) -> dict:
    """Synthetic registers of the free-municipality experiment (seed 002) -> the example design
    (`examples/frikommune`) -> `virkning evaluate` into OUT/evaluation; prints estimates next to the truths."""
    from virkning.outputs import run_evaluation
    from virkning.synth import generate

    console = console or Console()
    out = Path(out)
    data = out / "data"
    started = time.perf_counter()
    truth_path = data / "truth.json"
    previous = json.loads(truth_path.read_text()) if truth_path.exists() else {}
    if (previous.get("persons"), previous.get("seed"), previous.get("programme")) != (persons, seed, "frikommune"):
        with console.status(f"Generating the free-municipality experiment for {persons:,} persons ..."):
            generate(data, persons=persons, seed=seed, programme="frikommune")
    truth = json.loads(truth_path.read_text())
    design_path = out / "design.yaml"
    design_path.write_text(example("frikommune"), encoding="utf-8")
    with console.status("Indicators and difference-in-differences ...") as status:
        paths = run_evaluation(design_path, out / "evaluation", data=data,
                               progress=lambda s: status.update(f"Frikommune: {s} ..."))
    _print_did(console, out / "evaluation" / "did", truth)
    console.print(f"Free-municipality report: {paths['report']} ({time.perf_counter() - started:.0f} s)")
    return {"frikommune": paths["report"], "frikommune_results": out / "evaluation" / "did"}

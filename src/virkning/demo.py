"""The demo: synthetic registers with a Seniorvikar-like programme, validated and evaluated end to end.

`virkning demo --out DIR` writes DIR/data (the registers and truth.json) and DIR/results (flow, balance, effects,
subgroups as CSV), prints the main tables and compares the estimates with the true effects.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

from virkning.evaluation import EffectDesign, Outcome, Subgroup, evaluate
from virkning.populations import Exclusion, ParticipantRule, PoolRule
from virkning.registers import load


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


def run_demo(out: Path, persons: int = 150_000, seed: int = 2018, console: Console | None = None) -> None:
    from virkning.synth import generate

    console = console or Console()
    out = Path(out)
    data, results = out / "data", out / "results"
    started = time.perf_counter()
    truth_path = data / "truth.json"
    previous = json.loads(truth_path.read_text()) if truth_path.exists() else {}
    if previous.get("persons") != persons or previous.get("seed") != seed:
        with console.status(f"Generating synthetic registers for {persons:,} persons ..."):
            generate(data, persons=persons, seed=seed)
    truth = json.loads(truth_path.read_text())
    with console.status("Validating registers ..."):
        regs = load(data)
    rep = regs.report
    console.print(f"Registers: {rep.tables['persons'].rows:,} persons, {rep.tables['benefits'].rows:,} benefit weeks "
                  f"({rep.tables['benefits'].first} to {rep.tables['benefits'].last}), "
                  f"{rep.tables['employment'].rows:,} employment months; {len(rep.unknown_codes)} unknown codes.")
    with console.status("Evaluating ...") as status:
        ev = evaluate(regs, seniorvikar_design(seed=seed), progress=lambda s: status.update(f"Evaluating: {s} ..."))
    results.mkdir(parents=True, exist_ok=True)
    ev.flow.to_csv(results / "flow.csv", index=False)
    ev.balance.to_frame().to_csv(results / "balance.csv", index=False)
    ev.effects.to_csv(results / "effects.csv", index=False)
    ev.subgroups.to_csv(results / "subgroups.csv", index=False)
    ev.heterogeneity.to_csv(results / "heterogeneity.csv", index=False)

    console.print(_table("Population flow", ev.flow.astype(object)))
    b = ev.balance.to_frame()
    console.print(f"Balance: {ev.balance.n_imbalanced} of {len(b)} terms with |SMD| > 0.1 after matching "
                  f"(before: {int((b['smd_before'].abs() > 0.1).sum())}).")
    rows = []
    for name, o in truth["outcomes"].items():
        est = ev.effects[ev.effects["outcome"] == name].sort_values("month")
        for r, true in zip(est.itertuples(), o["att"]):
            rows.append({"outcome": name.removeprefix("exit_"), "m": r.month, "part. %": f"{100 * r.treated_mean:.1f}",
                         "ctrl %": f"{100 * r.control_mean:.1f}", "ATT pp": f"{100 * r.att:+.1f}",
                         "95% CI": f"{100 * r.ci_low:+.1f};{100 * r.ci_high:+.1f}", "true pp": f"{100 * true:+.1f}"})
    console.print(_table("Exit by month m after the information meeting: participants vs matched controls",
                         pd.DataFrame(rows)))
    console.print(f"Results in {results} ({time.perf_counter() - started:.0f} s). The true effects are in {truth_path}.")
    regs.close()

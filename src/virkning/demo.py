"""The demo: synthetic registers with a Seniorvikar-like programme, evaluated and monitored end to end.

`virkning demo --out DIR` writes DIR/data (registers, registration sheet, surveys, truth.json) and DIR/design.yaml
(the example design shipped with the package, `virkning.examples`), runs `virkning evaluate` with it into
DIR/evaluation (report, results, figures, manifest) and `virkning monitor` for the last programme month into
DIR/monitoring, prints the estimates next to the true effects, and adds the evaluation to seed 004's evidence base
(`virkning evidence add`, DIR/evidence/base.yaml) with its evidence report in DIR/evidence/report. It needs nothing
but the installed package.
A last stage does the same for a Flere-skal-med-like programme (seed 001, trajectories without matching) in
DIR/flere-skal-med/{data, design.yaml, evaluation} (`run_flere_skal_med_demo`).
A further stage writes DIR/frikommune/{data, design.yaml, evaluation} from the free-municipality experiment
(seed 002: register indicators and difference-in-differences; `run_frikommune_demo`), and benchmarking of its job
centres (seed 004, `run_benchmark_demo`). These three need nothing from the Seniorvikar stages and run in a second
process while those run (`demo_others.start_background`). Once the registers are validated, the monitoring, job
rotation and the programme's plan run in a third process while the demo's own evaluates (`demo_others.start_side`):
on 2 cores the demo's longest stages then overlap, and every file is the same as when one process does them all.
Both processes run at a lower priority (nice 5), so the demo's own stages, which the whole demo waits for, get the
cores first when all are busy.
`seniorvikar_design()` is the same effect design in Python (tests check that the two agree).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

import pandas as pd
from rich.console import Console

from virkning.analyses.effect import EffectDesign, Subgroup
from virkning.demo_common import _table, example, status
from virkning.demo_others import (_collect, run_benchmark_demo, run_flere_skal_med_demo, run_frikommune_demo,
                                  start_background, start_side, stop_background)
from virkning.outcomes import Outcome
from virkning.populations import Exclusion, ParticipantRule, PoolRule
from virkning.registers import calendar

if TYPE_CHECKING:
    from virkning.registers import Registers


def seniorvikar_design(**overrides) -> EffectDesign:
    """The effect design of the Seniorvikar evaluation (seed 000, Bilag 3), on the package's covariate grammar."""
    base: dict[str, Any] = dict(
        participants=ParticipantRule("informationsmøde", dt.date(2018, 1, 1), dt.date(2018, 12, 31)),
        pool=PoolRule(age=(50, 65), age_date=dt.date(2019, 1, 1), states={-1: "ledig", 0: "ledig"},
                      exclude_municipalities="participants"),
        exclusions=(Exclusion("beskæftiget i indeksmåneden", "employment_at_0", ">", 0),),
        covariates=("age", "education", "weeks_ledig_156w", "weeks_passiv_ledig_52w", "weeks_sygdom_156w",
                    "employment_36m", "spell_weeks"),  # sex, region, origin and a-kasse: exact (not in the score)
        exact=("sex", "region", "origin_group", "a_kasse"),  # seed 000's Bilag 3 (origin: dansk / ikke-dansk)
        outcomes=(Outcome("exit_beskaeftiget", "first_exit", "beskæftiget", 7),
                  Outcome("exit_vikar", "first_exit", "vikar", 7),
                  Outcome("exit_tilbagetrukket", "first_exit", "tilbagetrukket", 7)),
        subgroups=(Subgroup("age band", "age", (49, 55, 60, 66)), Subgroup("sex", "sex"),
                   Subgroup("education", "education"), Subgroup("region", "region")),
        n_boot=499,
        discard="control",  # as the shipped design.yaml: common support for controls, every participant kept
        adjust="regression",
    )
    base.update(overrides)
    return EffectDesign(**base)


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
                         "true pp": f"{100 * o['att'][m - 1]:+.1f}",
                         "RR": "" if pd.isna(r.get("risk_ratio")) else f"{r['risk_ratio']:.2f}"})
    console.print(_table("Effect at the horizon: estimate and the true effect of the synthetic programme", pd.DataFrame(rows)))
    if hidden:
        console.print("An earlier month is shown where the horizon's point rests on fewer than the disclosure "
                      "threshold's exits or censorings since the last point shown (docs/disclosure.md).")


def run_demo(out: Path, persons: int = 1_190_000, seed: int = 2018, console: Console | None = None) -> dict:
    """Synthetic registers, registration sheet and surveys -> `virkning evaluate` with the example design ->
    `virkning monitor` for the last programme month. Returns the paths written."""
    console = console or Console()
    out = Path(out)
    data = out / "data"
    started = time.perf_counter()
    # Flere skal med, the free-municipality stage and its benchmark in a second process while the Seniorvikar
    # stages run in this one (the stages at the end then only print)
    background = start_background(out, seed=seed)
    try:
        paths, language = _seniorvikar_stages(out, data, persons, seed, console, started)
    except BaseException:
        stop_background(background)
        raise
    paths["flere_skal_med"] = run_flere_skal_med_demo(out, seed=seed, console=console,
                                                      pending=background.get("flere_skal_med"))["report"]
    paths.update(run_frikommune_demo(out / "frikommune", seed=seed, console=console,
                                     pending=background.get("frikommune")))
    paths.update(run_benchmark_demo(out / "frikommune", console=console, seed=seed,  # seed 004: benchmarking
                                    pending=background.get("benchmark")))
    paths.update(run_business_case_demo(out, console=console, seed=seed, language=language))  # 002, 004
    console.print(f"Done in {time.perf_counter() - started:.0f} s. Open {paths['report']} in a browser.")
    return paths


def _seniorvikar_stages(out: Path, data: Path, persons: int, seed: int, console: Console, started: float
                        ) -> tuple[dict, str]:
    """The synthetic registers, the evaluation, the monitoring, job rotation and plan, and the evidence stage; the
    paths written and the design's language."""
    from virkning.design import load_design
    from virkning.outputs import run_evaluation
    from virkning.registers import load
    from virkning.synth import generate
    from virkning.synth.sheets import write_monitoring_data

    truth_path = data / "truth.json"
    previous = json.loads(truth_path.read_text()) if truth_path.exists() else {}
    if (previous.get("persons"), previous.get("seed"), previous.get("sampling", {}).get("seniors_only")) != (
            persons, seed, True):
        with status(console, f"Generating synthetic registers for {persons:,} seniors ..."):
            generate(data, persons=persons, seed=seed, population="seniors")
        write_monitoring_data(data, seed=seed)
    console.print(f"Synthetic data: {data} ({time.perf_counter() - started:.0f} s)")
    truth = json.loads(truth_path.read_text())
    design_path = out / "design.yaml"
    design_path.write_text(example("seniorvikar"), encoding="utf-8")  # data.folder: data, next to it

    design = load_design(design_path)
    t = time.perf_counter()
    with status(console, "Validating the registers ..."):
        regs = load(data, design.load_options())  # one load serves the evaluation (and the monitoring, if here)
    console.print(f"Registers validated ({time.perf_counter() - t:.0f} s)")
    last = calendar.month_label(calendar.week_month(calendar.parse_week(max(truth["meeting_weeks"]))))
    # the monitoring, job rotation and the plan need nothing from the evaluation: a worker of their own does them
    # while this process evaluates (on 2 cores the demo's longest stages then overlap)
    side = start_side(out, data, design_path, last, seed)
    try:
        t = time.perf_counter()
        with status(console, "Evaluating ...") as stage:
            paths = run_evaluation(design_path, out / "evaluation", data=data, regs=regs,
                                   progress=lambda s: stage.update(f"Evaluating: {s} ..."), pdf=pdf_available(console))
        console.print(f"Evaluation: {paths['report']}{' and ' + str(paths['pdf']) if 'pdf' in paths else ''} "
                      f"({time.perf_counter() - t:.0f} s)")
        _print_effects(console, paths, truth)
        done = _collect(console, side.get("monitoring"), "Monitoring")
        if done is None:  # no worker, or it failed: done here, on this process's load
            with status(console, "Monitoring, job rotation and the programme's plan ..."):
                done = _monitor_files(out, data, design_path, last, seed, regs=regs)
    except BaseException:
        stop_background(side)
        raise
    finally:
        regs.close()
    console.print(f"Status report: {done['monitoring']} ({done['monitoring_seconds']:.0f} s)")
    _print_programme(console, out, done)
    paths.update({k: done[k] for k in ("monitoring", "jobrotation", "plan")})
    paths.update(run_evidence_demo(out, console=console, language=design.language))
    return paths, design.language


# ---- the evidence stage (docs/evidence.md) ---------------------------------------------------------------------------

#: how the demo's evaluation enters the evidence base (the options of `virkning evidence add`)
class _EvidenceAdd(TypedDict):
    study_id: str
    authors: list[str]
    core_elements: list[str]
    title: str


EVIDENCE_ADD: _EvidenceAdd = {"study_id": "seniorvikar_demo", "authors": ["Demo-kommunen"],
                              "core_elements": ["virksomhedsrettede"],
                              "title": "Seniorvikar (demo på syntetiske data)"}


def run_evidence_demo(out: Path, console: Console | None = None, language: str = "da") -> dict:
    """OUT/evidence: seed 004's example evidence base (a fresh copy each run) with the demo's evaluation in
    OUT/evaluation added by one `virkning evidence add` command, and the evidence report of the grown base in
    OUT/evidence/report. The added study keeps its proposed appraisal: the report shows it beside the studies and
    leaves it out of the statements until a person confirms it."""
    import shlex

    from virkning.errors import DesignError
    from virkning.evidence import example_path
    from virkning.evidence.commands import add, propose, report

    console = console or Console()
    out = Path(out)
    folder = out / "evidence"
    folder.mkdir(parents=True, exist_ok=True)
    base = folder / "base.yaml"
    base.write_text(example_path("academics_2020").read_text(encoding="utf-8"), encoding="utf-8")
    a = EVIDENCE_ADD
    command = ["virkning", "evidence", "add", str(out / "evaluation"), "--base", str(base), "--id", a["study_id"],
               *[x for name in a["authors"] for x in ("--authors", name)],
               *[x for key in a["core_elements"] for x in ("--core-element", key)], "--title", a["title"], "--yes"]
    console.print(" ".join(shlex.quote(x) for x in command), markup=False, soft_wrap=True)
    try:
        proposal = propose(out / "evaluation", base, **a)  # what the command runs
    except DesignError as exc:  # a small sample: the gate withheld every effect, so there is nothing to add
        console.print(f"Not added: {exc} The evidence report shows the base as it was.", markup=False, soft_wrap=True)
    else:
        grown = add(proposal)
        f = proposal.study.findings[0]
        console.print(f"Added '{proposal.study.id}' to {base} ({len(grown.studies)} studies): {f.point:+.1f} pp at "
                      f"{f.horizon}, appraisal {proposal.study.method.status} (reliability "
                      f"{proposal.study.method.reliability.score}, transferability "
                      f"{proposal.study.method.transferability.score})", soft_wrap=True)
    paths = report(base, folder / "report", language=language)
    console.print(f"Evidence report: {paths['report']}")
    return {"evidence_base": base, "evidence_report": paths["report"]}


def _monitor_files(out: Path, data: Path, design_path: Path, month: str, seed: int = 2018,
                   regs: Registers | None = None) -> dict:
    """`virkning monitor` for `month` into OUT/monitoring, then job rotation and the plan (`_programme_files`), on
    `regs` or, in the demo's worker, on a load of its own. That load reuses the validation report the demo's load
    stored (registers/vcache.py) and never writes the keyed copy, which the demo's own load may be writing."""
    from virkning.design import load_design
    from virkning.outputs import run_monitor
    from virkning.registers import load

    t = time.perf_counter()
    own = regs is None
    if regs is None:
        regs = load(data, load_design(design_path).load_options())
        regs.write_keyed = False
    try:
        months = run_monitor(design_path, out / "monitoring", data=data, month=month, regs=regs)
        done = {"monitoring": months[sorted(k for k in months if k.endswith("/html"))[-1]],
                "monitoring_seconds": time.perf_counter() - t}
        return done | _programme_files(out, data, regs, seed=seed)
    finally:
        if own:
            regs.close()


def _programme_files(out: Path, data: Path, regs: Registers, seed: int = 2018) -> dict:
    """Job rotation (seed 003) on the demo's registers: a synthetic rotation registration with planted rule breaches,
    a firms table and candidate profiles -> `virkning evaluate` with the job-rotation example (programme theory,
    rules, the substitutes against matched unemployed, the substitute search) -> `virkning plan` (calendar and the
    plan's status). Returns the paths and the planted and found breaches (`_print_programme` shows them)."""
    from virkning.analyses.programme.plan import run_plan
    from virkning.disclosure.audit import audit
    from virkning.outputs import run_evaluation
    from virkning.synth.jobrotation import write_jobrotation_data

    t = time.perf_counter()
    written = write_jobrotation_data(data, seed=seed)
    design_path = out / "jobrotation.yaml"
    design_path.write_text(example("jobrotation"), encoding="utf-8")
    paths = run_evaluation(design_path, out / "jobrotation", data=data, regs=regs)
    plan = run_plan(design_path, out / "plan", data=data, regs=regs)
    planted = {(e["row"], e["rule"]) for e in json.loads(written["errors"].read_text(encoding="utf-8"))}
    found = pd.read_csv(out / "jobrotation" / "internal" / "jobrotation_violations.csv")
    got = set(zip(found["row"], found["rule"]))
    findings = audit(out / "jobrotation") + audit(out / "plan")
    return {"jobrotation": paths["report"], "plan": plan["status_html"], "planted": len(planted),
            "found": len(planted & got), "more": len(got - planted), "audit": f"{findings[0]}" if findings else None,
            "programme_seconds": time.perf_counter() - t}


def _print_programme(console: Console, out: Path, done: dict) -> None:
    """The planted breaches next to those found, and the substitutes' outcomes against matched unemployed."""
    more = f", {done['more']} more" if done["more"] else ""
    console.print(f"Job rotation: {done['found']} of {done['planted']} planted rule breaches found{more}; report "
                  f"{done['jobrotation']}; plan {done['plan']}; audit {done['audit'] or 'clean'} "
                  f"({done['programme_seconds']:.0f} s)")
    effects = pd.read_csv(out / "jobrotation" / "jobrotation" / "outcomes.csv")
    console.print(_table("Substitutes in employment after the rotation against matched unemployed (true effect 0)",
                         effects[["month", "n_treated", "treated_mean", "control_mean", "att", "ci_low", "ci_high"]]))


def run_programme_demo(out: Path, data: Path, regs: Registers, seed: int = 2018, console: Console | None = None) -> dict:
    """`_programme_files`, printed (`_print_programme`)."""
    console = console or Console()
    done = _programme_files(out, data, regs, seed=seed)
    _print_programme(console, Path(out), done)
    return {"jobrotation": done["jobrotation"], "plan": done["plan"]}


# ---- the business-case stage (seeds 002, 004): savings of a synthetic trial with a known effect -----------------

def run_business_case_demo(out: Path, console: Console | None = None, seed: int = 2018,
                           language: str = "da") -> dict:
    """A synthetic trial (1,000 participants, a true saving of 3 benefit weeks each in the year after the start) ->
    its estimate with bootstrap draws -> a business case at the maximum dagpenge rate, DKK 10,000 per participant,
    2020-2021, discounted at the Finance Ministry's rate -> OUT/business-case/{report.html, business_case.csv}.
    Prints whether the case's interval of savings covers the savings of the true effect."""
    from virkning.economics import Costs, Effect, business_case
    from virkning.outputs import csv_bytes
    from virkning.report.business_case import business_case_section
    from virkning.report.render import render_document
    from virkning.synth.business_case import simulate_trial

    console = console or Console()
    started = time.perf_counter()
    trial = simulate_trial(n=1000, seed=seed)
    cohorts = {2020: trial.n_participants}
    costs = Costs.per_participant(10_000, cohorts)
    case = business_case(Effect.per_participant(trial.weeks_saved, cohorts, se=trial.se, draws=trial.draws),
                         "dagpenge_max", costs, horizon=(2020, 2021))
    truth = business_case(Effect.per_participant(trial.true_weeks_saved, cohorts, se=0.0), "dagpenge_max", costs,
                          horizon=(2020, 2021))
    folder = Path(out) / "business-case"
    folder.mkdir(parents=True, exist_ok=True)
    html = render_document([business_case_section(case, language)], title="Business case (syntetisk forsøg)",
                           kicker="Business case", language=language, synthetic=True)
    (folder / "report.html").write_text(html, encoding="utf-8")
    (folder / "business_case.csv").write_bytes(csv_bytes(case.to_frame()))
    lo, hi = case.boot_savings_ci or case.savings_ci
    covered = lo <= truth.gross_savings <= hi
    console.print(f"Business case: savings DKK {case.gross_savings / 1e6:.2f} m [{lo / 1e6:.2f}; {hi / 1e6:.2f}] "
                  f"(truth {truth.gross_savings / 1e6:.2f} m, {'covered' if covered else 'NOT covered'}), costs DKK "
                  f"{case.costs / 1e6:.2f} m, P(pays) {case.boot_p_pays if case.boot_p_pays is not None else case.p_pays:.2f}"
                  f" ({time.perf_counter() - started:.1f} s)")
    return {"business_case": folder / "report.html", "business_case_covered": covered}


# ---- the report as PDF (docs/report.md) -------------------------------------------------------------------------------

def pdf_available(console: Console) -> bool:
    """Whether WeasyPrint and its system libraries load: the demo writes report.pdf when they do and says why not
    when they don't (a pip-only install without Pango), instead of failing after the evaluation."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:
        console.print(f"No report.pdf: WeasyPrint does not load ({str(exc).splitlines()[0] if str(exc) else exc}); "
                      "on Debian: apt-get install libpango-1.0-0 libpangoft2-1.0-0", markup=False, soft_wrap=True)
        return False
    return True

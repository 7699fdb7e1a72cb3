"""`virkning evidence`: check an evidence base, add a finished evaluation as a study, write the evidence report
(docs/evidence.md). A command group of its own, registered by virkning.cli."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Optional

import typer

from virkning.cli_common import _fail, console, err
from virkning.errors import VirkningError

# ---- evidence bases (docs/evidence.md) -------------------------------------------------------------------------------

evidence_app = typer.Typer(no_args_is_help=True, help="Evidence bases: check a base file, add a finished evaluation "
                                                      "as a study, write the evidence report.")


@evidence_app.command("check")
def evidence_check(
    base: Path = typer.Argument(..., help="Evidence-base file (YAML), see docs/evidence.md."),
    rule: Optional[Literal["default", "jobeffekter"]] = typer.Option(None, "--rule",
                                                                     help="Grading rule (default: the file's)."),
) -> None:
    """Check an evidence-base file and list its statements; exit 1 with every problem located if it is wrong."""
    from virkning.evidence.commands import check_base

    try:
        summary = check_base(base, rule=rule)
    except VirkningError as exc:
        _fail(exc)
    for line in summary.lines():
        console.print(line, markup=False, soft_wrap=True)


@evidence_app.command("report")
def evidence_report(
    base: Path = typer.Argument(..., help="Evidence-base file (YAML)."),
    out: Path = typer.Option(..., "--out", help="Folder for report.html, figures/, tables/ and manifest.json."),
    rule: Optional[Literal["default", "jobeffekter"]] = typer.Option(
        None, "--rule", help="default (STAR's evidence hierarchy) or jobeffekter (STAR's weighting); default: the "
                             "file's rule."),
    language: Literal["da", "en"] = typer.Option("da", "--language", help="Language of the report."),
) -> None:
    """Write the evidence report: statements with their studies and rule, appraisals, forest plots, search flow."""
    from virkning.evidence.commands import report

    try:
        paths = report(base, out, rule=rule, language=language)
    except VirkningError as exc:
        _fail(exc)
    console.print(f"Evidence report: {paths['report']}")
    console.print(f"Statements: {paths['statements']} ; manifest: {paths['manifest']}")


@evidence_app.command("add")
def evidence_add(
    evaluation: Path = typer.Argument(..., help="Output folder of a finished `virkning evaluate`."),
    base: Path = typer.Option(..., "--base", help="Evidence-base file (YAML) to append the study to."),
    study_id: Optional[str] = typer.Option(None, "--id", help="Study id in the base (default: design name and year)."),
    authors: Optional[list[str]] = typer.Option(None, "--authors", help="Who made the evaluation (repeat for several), "
                                                                       "e.g. 'Jobcenter Brøndby'."),
    core_elements: Optional[list[str]] = typer.Option(None, "--core-element", help="Core element the evaluation "
                                                                                   "informs (repeat for several)."),
    title: Optional[str] = typer.Option(None, "--title", help="Title (default: the design's name)."),
    year: Optional[int] = typer.Option(None, "--year", help="Year (default: the year of the data's last month)."),
    outcomes: Optional[list[str]] = typer.Option(None, "--outcome", help="NAME=OUTCOME: an evaluation outcome and the "
                                                                         "evidence outcome it measures (default: "
                                                                         "exits to employment -> employment)."),
    month: Optional[int] = typer.Option(None, "--month", min=1, help="Month after the start to report (default: the "
                                                                     "last month shown)."),
    reliability: Optional[int] = typer.Option(None, "--reliability", min=1, max=5, help="Replace the proposed "
                                                                                       "reliability score (1-5)."),
    transferability: Optional[int] = typer.Option(None, "--transferability", min=1, max=5,
                                                  help="Replace the proposed transferability score (1-5)."),
    accept: bool = typer.Option(False, "--accept-appraisal", help="Mark the appraisal confirmed, so the rules count "
                                                                  "the study (default: proposed, for review)."),
    appraised_by: Optional[str] = typer.Option(None, "--appraised-by", help="Who confirmed or changed the appraisal."),
    yes: bool = typer.Option(False, "--yes", help="Append without asking (for scripts)."),
) -> None:
    """Add a finished evaluation to a base as a study with a proposed appraisal, after showing it and asking."""
    from virkning.evidence.commands import add, propose

    try:
        proposal = propose(evaluation, base, study_id=study_id, authors=authors, core_elements=core_elements,
                           title=title, year=year, outcomes=outcomes, month=month, reliability=reliability,
                           transferability=transferability, accept=accept, appraised_by=appraised_by)
    except VirkningError as exc:
        _fail(exc)
    for line in proposal.lines():
        console.print(line, markup=False, soft_wrap=True)
    console.print("The record to append:")
    console.print(proposal.record, markup=False, soft_wrap=True)
    if not yes:
        try:
            ok = typer.confirm(f"Append study '{proposal.study.id}' to {base}?", default=False)
        except (typer.Abort, EOFError):
            ok = False
        if not ok:
            err.print(f"Not added; {base} is unchanged.")
            raise typer.Exit(1)
    try:
        grown = add(proposal)
    except VirkningError as exc:
        _fail(exc)
    console.print(f"Added '{proposal.study.id}' to {base} ({len(grown.studies)} studies). "
                  f"See it with: virkning evidence report {base} --out DIR")

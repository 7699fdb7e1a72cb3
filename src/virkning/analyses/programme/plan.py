"""`virkning plan DESIGN`: the calendar of measurement points and, with data, the plan's status.

    out/calendar.csv         every point: schedule, point, kind, start, end, months_after, event, indicators, label
    out/calendar.ics         the dated points as all-day events (iCalendar, RFC 5545)
    out/programme.html       the programme theory (diagram, table), indicators, targets and schedules
    out/figures/programme_theory.svg
    out/status.csv, out/status.html   (with --data) each indicator at each point, through the disclosure gate
    out/manifest.json

Written with the one writer (`outputs.write_folder`: all or nothing); the status folder is audited on the way out.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, cast

import pandas as pd

from virkning.analyses.programme import ProgrammeResult, programme_result
from virkning.analyses.programme.publish import protect_status
from virkning.analyses.programme.schedule import ics_text
from virkning.analyses.programme.spec import RegisterMeasure
from virkning.analyses.programme.status import PlanInputs, default_as_of, status
from virkning.errors import DesignError, VirkningError

if TYPE_CHECKING:
    from virkning.registers import Registers


def population_provider(design, regs: "Registers", folder: Path) -> Callable[[RegisterMeasure], pd.DataFrame | str]:
    """Populations of register indicators: persons with an event (first date), or the substitutes of the design's
    job-rotation registration at the start or end of their rotation (first rotation per substitute)."""
    def provide(reg: RegisterMeasure) -> pd.DataFrame | str:
        if reg.population == "event":
            ev = regs.events(reg.event)
            if ev.empty:
                return f"the events table has no '{reg.event}' events"
            ev = ev.assign(date=pd.to_datetime(ev["date"]).dt.date).sort_values(["person_id", "date"])
            return ev.drop_duplicates("person_id")[["person_id", "date"]].reset_index(drop=True)
        spec = design.analyses.get("jobrotation")
        if spec is None:
            return "the design has no jobrotation section, so there are no substitutes"
        from virkning.analyses.jobrotation.rules import read_rotations

        rot = read_rotations(spec, folder).sort_values(["substitute", "start"], kind="stable")
        rot = rot.drop_duplicates("substitute")
        col = "start" if reg.population == "rotation_start" else "end"
        return pd.DataFrame({"person_id": rot["substitute"].astype(str).to_numpy(), "date": rot[col].to_numpy()})

    return provide


def plan_status(design, result: ProgrammeResult, regs: "Registers | None", folder: Path | None,
                as_of: dt.date | None, threshold: int) -> tuple[pd.DataFrame, pd.DataFrame, tuple[str, ...], dt.date]:
    """(raw status, protected status, the gate's log, the date of the status)."""
    panel = regs.panel() if regs is not None else None
    when = as_of or default_as_of(panel)
    # the folder the registers were loaded from (plan_status is called with both or neither)
    provider = population_provider(design, regs, cast(Path, folder)) if regs is not None else None
    inputs = PlanInputs(when, folder, panel, provider)
    raw, keys = status(result.spec, inputs)
    protected, log = protect_status(raw, keys, threshold)
    return raw, protected, log, when


def plan_files(result: ProgrammeResult, language: str, synthetic: bool, protected: pd.DataFrame | None,
               as_of: dt.date | None, threshold: int):
    from virkning.analyses.programme.sections import status_sections, theory_sections
    from virkning.analyses.programme.theory import words
    from virkning.outputs import Files, csv_bytes
    from virkning.report.components import Numbering
    from virkning.report.render import render_document

    w = words(language)
    files = Files()
    files.add("calendar.csv", csv_bytes(result.calendar))
    files.add("calendar.ics", ics_text(result.spec, result.title).encode("utf-8"))
    for name, frame in (("programme_theory", result.theory), ("indicators", result.indicators),
                        ("schedules", result.schedules)):
        files.add(f"{name}.csv", csv_bytes(frame))
    sections, figures = theory_sections(result.spec, result.theory, result.indicators, result.schedules,
                                        result.title, language, Numbering())
    html = render_document(sections, title=result.title, kicker=w["prog_kind"], language=language,
                           synthetic=synthetic, toc=True)
    files.add("programme.html", html.encode("utf-8"))
    for stem, fig in sorted(figures.items()):
        files.add(f"figures/{stem}.svg", fig.svg)
    if protected is not None:
        labels = {i.name: i.label for i in result.spec.indicators}
        files.add("status.csv", csv_bytes(protected))
        secs, _ = status_sections(protected, labels, cast(dt.date, as_of).isoformat(), threshold, language, Numbering())
        html = render_document(secs, title=result.title, kicker=w["status_title"], language=language,
                               synthetic=synthetic, toc=False)
        files.add("status.html", html.encode("utf-8"))
    return files


def run_plan(design_path: str | Path, out: str | Path, *, data: str | Path | None = None,
             as_of: dt.date | None = None, regs: "Registers | None" = None,
             progress: Callable[[str], None] | None = None) -> dict[str, Path]:
    """Write the calendar and the programme page; with `data` (or `regs`) also the status of every point."""
    from virkning.design import load_design
    from virkning.disclosure.audit import audit
    from virkning.outputs import check_out, json_bytes, manifest, write_folder, _inputs

    say = progress or (lambda m: None)
    started = time.perf_counter()
    design_path, out = Path(design_path), Path(out)
    design = load_design(design_path)
    spec = design.analyses.get("programme")
    if spec is None:
        raise DesignError(f"{design_path}: the design has no 'programme' section (docs/programme.md)")
    check_out(out)
    result = programme_result(spec, design.name, design.language)
    folder = Path(data) if data is not None else (Path(regs.folder) if regs is not None else None)
    log: tuple[str, ...] = ()
    protected, when, own = None, None, False
    inputs: dict = {}
    if folder is not None:
        if regs is None:
            from virkning.registers import load

            say("validating data")
            regs, own = load(folder, design.load_options()), True
        try:
            say("plan status")
            _, protected, log, when = plan_status(design, result, regs, folder, as_of, design.disclosure_threshold)
            read = [folder / s.file for s in spec.sources if s.file] + (
                [folder / spec.values_file] if spec.values_file else [])
            inputs = _inputs(read, folder)
        finally:
            if own:
                regs.close()
    synthetic = folder is not None and (folder / "truth.json").is_file()
    files = plan_files(result, design.language, synthetic, protected, when, design.disclosure_threshold)
    timings = {"total": time.perf_counter() - started}
    files.add("manifest.json", json_bytes(manifest("plan", design, design_path, inputs,
                                                   {"programme/status": log} if log else {}, timings)
                                          | {"files": files.hashes()}))
    write_folder(out, files)
    found = audit(out, design.disclosure_threshold)
    if found:
        raise VirkningError(f"{out}: the disclosure audit found {len(found)} problem(s): {found[0]}")
    paths = {"calendar": out / "calendar.csv", "ics": out / "calendar.ics", "programme": out / "programme.html",
             "manifest": out / "manifest.json"}
    if protected is not None:
        paths.update(status=out / "status.csv", status_html=out / "status.html")
    return paths

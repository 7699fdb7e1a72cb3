"""Run the analyses a design file declares and write what they publish: one writer for every output folder.

    virkning evaluate  ->  out/report.html, out/results/*.csv, out/results/results.json, out/figures/*.png|svg,
                           out/tables.xlsx, out/manifest.json
    virkning monitor   ->  out/<YYYY-MM>/status_<YYYY-MM>.html and its tables, out/fidelity/*.csv, out/tables.xlsx,
                           out/manifest.json, out/internal/registration_violations.csv (person-level: for the job
                           centres, not for publication)

tables.xlsx holds every published CSV on a sheet; `csv_dialect="excel-da"` adds `<name>.excel-da.csv` beside each
(`spreadsheets.py`, docs/outputs.md).

Everything published has passed the one disclosure gate (each analysis's `publish`). Writing is all-or-nothing:
the whole folder is computed in memory, written into a temporary folder beside `--out` and renamed into place; an
existing `--out` is replaced as a whole, and only if it is empty or an earlier virkning output. Nothing is written
when the input or design is refused. The same inputs and seed give identical files, except the manifest's
timings (and tables.xlsx's date, the day of the run unless SOURCE_DATE_EPOCH is set).
"""

from __future__ import annotations

import dataclasses

import hashlib
import io
import json
import os
import platform
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

import pandas as pd

from virkning import __version__
from virkning.analyses import KINDS, Context, Output
from virkning.errors import VirkningError
from virkning.registers.vcache import file_hash, sha256_file

if TYPE_CHECKING:
    from virkning.registers import Registers

DEPENDENCIES = ("numpy", "pandas", "pyarrow", "duckdb", "scipy", "statsmodels", "pydantic", "pyyaml", "typer", "rich",
                "jinja2", "matplotlib", "pyreadstat", "openpyxl", "weasyprint")
MARKER = "virkning-output"
COUNT_COLUMNS = ("participants", "pool_persons", "pool_pairs", "persons", "employed", "numerator", "denominator",
                 "months", "rows", "respondents", "population", "agree", "n", "weeks", "units")


class OutputError(VirkningError):
    """The output folder cannot be written or holds something other than an earlier virkning output."""


# ---- files in memory --------------------------------------------------------------------------------------------

def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A table as CSV; counts with hidden (empty) cells stay whole numbers."""
    frame = frame.copy()
    for col in frame.columns:
        values = pd.to_numeric(frame[col], errors="coerce") if frame[col].dtype != object else None
        if values is None or not pd.api.types.is_float_dtype(frame[col].dtype):
            continue
        whole = values.dropna()
        counted = col.startswith(("n_", "at_risk")) or col in COUNT_COLUMNS
        if counted and len(whole) and (whole % 1 == 0).all():
            frame[col] = values.astype("Int64")
    return frame.to_csv(index=False).encode("utf-8")


def json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=_json_default).encode("utf-8")


def _json_default(v):
    from virkning.analyses.effect.publish import _plain

    if isinstance(v, pd.DataFrame):
        from virkning.analyses.effect.publish import records

        return records(v)
    out = _plain(v)
    if out is v:
        raise TypeError(f"not JSON-ready: {type(v).__name__}")
    return out


@dataclass
class Files:
    """Everything an output folder will hold, relative path -> bytes."""

    files: dict[str, bytes] = field(default_factory=dict)

    def add(self, path: str, data: bytes) -> None:
        if path in self.files:
            raise ValueError(f"two outputs write {path}")
        self.files[path] = data

    def hashes(self) -> dict[str, str]:
        """sha256 of every file so far: the manifest lists them, so a reader can tell a complete folder."""
        return {p: hashlib.sha256(d).hexdigest() for p, d in sorted(self.files.items())}


# ---- the one writer -----------------------------------------------------------------------------------------------

# What a file manager or an office program leaves in a folder it shows or a file it opens: not the user's work
# (replaced with the folder)
_DROPPINGS = re.compile(r"(\.DS_Store|Thumbs\.db|desktop\.ini|~\$.*|\.~lock\..*#)", re.IGNORECASE)


def _unlisted(out: Path) -> list[str]:
    """Files in an earlier output folder that its manifest does not list (added by hand: replacing the folder would
    delete them). A manifest without a list (written before there was one) lists nothing to compare."""
    try:
        listed = json.loads((out / "manifest.json").read_text(encoding="utf-8")).get("files")
    except (OSError, ValueError):
        return []
    if not isinstance(listed, dict):
        return []
    return sorted(rel for p in out.rglob("*") if (p.is_file() or p.is_symlink()) and not _DROPPINGS.fullmatch(p.name)
                  and (rel := p.relative_to(out).as_posix()) != "manifest.json" and rel not in listed)


def check_out(out: Path) -> None:
    """Refuse an output folder that cannot be written, is a file, or holds other things than an earlier virkning
    output, before any computation."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out}: is a file; give a folder (new, empty, or an earlier virkning output)")
    if out.is_dir() and any(out.iterdir()) and not (out / "manifest.json").is_file():
        raise OutputError(f"--out {out}: the folder holds other files and no virkning manifest.json; give a new or "
                          "empty folder (virkning replaces only its own earlier outputs)")
    if out.is_dir() and (out / "manifest.json").is_file():
        try:
            marker = json.loads((out / "manifest.json").read_text(encoding="utf-8")).get("kind")
        except (OSError, ValueError):
            marker = None
        if marker != MARKER:
            raise OutputError(f"--out {out}: manifest.json is not a virkning manifest; give a new or empty folder")
        others = _unlisted(out)
        if others:
            raise OutputError(f"--out {out}: the earlier output holds files its manifest does not list "
                              f"({', '.join(others[:3])}{', ...' if len(others) > 3 else ''}); virkning replaces only "
                              "its own outputs: move them, or give another folder")
    parent = out.parent if str(out.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        probe = tempfile.mkdtemp(prefix=f".{out.name}.probe-", dir=parent)
        os.rmdir(probe)
    except OSError as exc:
        raise OutputError(f"--out {out}: cannot write in {parent} ({exc.strerror or exc}); choose a folder you can "
                          "write to") from None


class DisclosureAuditError(RuntimeError):
    """The independent audit derived a small count from an output the gate passed: a bug, nothing is written."""


def audited(threshold: int) -> Callable[[Path], None]:
    """A check for `write_folder`: the disclosure audit of the finished folder before it is put in place."""

    def check(folder: Path) -> None:
        from virkning.disclosure.audit import audit

        findings = audit(folder, threshold)
        if findings:
            shown = "\n".join(f"  {f}" for f in findings[:20])
            more = f"\n  ... and {len(findings) - 20} more" if len(findings) > 20 else ""
            raise DisclosureAuditError(f"the disclosure audit derived {len(findings)} count(s) below {threshold} from "
                                       f"the output the gate passed; nothing was written:\n{shown}{more}")

    return check


def write_folder(out: Path, files: Files, check: Callable[[Path], None] | None = None) -> None:
    """Write all files into a temporary folder beside `out`, run `check` on it (e.g. the disclosure audit), then put
    it in place of `out` as a whole."""
    out = Path(out)
    parent = out.parent if str(out.parent) else Path(".")
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=parent))
    old: Path | None = None
    try:
        for rel, data in sorted(files.files.items()):
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        if check is not None:
            check(tmp)
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=parent))
            os.rmdir(old)
            os.replace(out, old)
        os.replace(tmp, out)
    except BaseException as exc:  # an interrupt too: the earlier output goes back in place
        if old is not None and old.exists() and not out.exists():
            os.replace(old, out)
            old = None
        if isinstance(exc, OSError):
            raise OutputError(f"--out {out}: writing failed ({exc.strerror or exc}); nothing was changed") from None
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


# ---- manifest -----------------------------------------------------------------------------------------------------

def _versions() -> dict[str, str]:
    out = {"virkning": __version__, "python": platform.python_version()}
    for dep in DEPENDENCIES:
        try:
            out[dep] = metadata.version(dep)
        except metadata.PackageNotFoundError:
            out[dep] = "not installed"
    return out


def _inputs(files: list[Path], folder: Path) -> dict[str, dict]:
    """Hashes and sizes of the input files read (paths relative to the data folder; nothing else of the folder)."""
    out = {}
    for p in sorted(set(files)):
        if p.is_file():
            try:
                rel = str(p.relative_to(folder))
            except ValueError:
                rel = p.name
            # the hash the validation cache remembers for the file (registers/vcache.py): no second read of a register
            out[rel] = {"sha256": file_hash(p), "bytes": p.stat().st_size}
    return out


def manifest(command: str, design, design_path: Path, inputs: dict, logs: dict[str, tuple], timings: dict) -> dict:
    return {
        "kind": MARKER,
        "command": command,
        "design": {"file": PurePath(design_path).name, "sha256": sha256_file(design_path)},
        "inputs": inputs,
        "seed": design.seed,
        "disclosure": {"threshold": design.disclosure_threshold,
                       "cells_hidden": {k: sum(1 for line in v if ": " in line) for k, v in logs.items()},
                       "log": {k: list(v) for k, v in logs.items()}},
        "versions": _versions(),
        "timings_seconds": {k: round(v, 3) for k, v in timings.items()},
    }


# ---- spreadsheets -------------------------------------------------------------------------------------------------

def spreadsheets(files: Files, design, what: str, synthetic: bool, csv_dialect: str | None,
                 workbook: bool | None) -> None:
    """The workbook of every published table and, on request, CSVs in Danish Excel's dialect (`spreadsheets.py`);
    the arguments override the design's `outputs` section."""
    from virkning.spreadsheet_labels import TEXT
    from virkning.spreadsheets import add_spreadsheets

    chosen = getattr(design.spec, "outputs", None)
    dialect = csv_dialect or (chosen.csv_dialect if chosen is not None else "standard")
    book = workbook if workbook is not None else (chosen.workbook if chosen is not None else True)
    add_spreadsheets(files, title=TEXT[what][design.language == "en"], design_name=design.name,
                     threshold=design.disclosure_threshold, language=design.language, csv_dialect=dialect,
                     workbook=book, synthetic=synthetic)


# ---- evaluate -----------------------------------------------------------------------------------------------------

def _data_folder(folder) -> Path | str:
    """A local data folder as a Path; an hdfs://, s3a://, abfss:// ... location (Spark engine) as written."""
    from virkning.registers.engine import is_uri

    return str(folder) if is_uri(str(folder)) else Path(folder)


def _load_options(design, engine: str | None, master: str | None):
    """The design's load options with the command line's engine and master, if given."""
    options = design.load_options()
    if engine is None and master is None:
        return options
    return dataclasses.replace(options, engine=engine or options.engine, master=master or options.master)


def _data_files(regs: "Registers") -> list[Path]:
    """The files of the contract's tables the registers were read from."""
    from virkning.registers.readers import find_files

    files: list[Path] = []
    for name in regs.tables:
        found = find_files(Path(regs.folder), name)
        if found is not None:
            files += list(found[1])
    return files


def evaluation_files(outputs: list[Output], design, language: str, synthetic: bool) -> Files:
    """The evaluation folder: results/ tables and results.json, the report with every evaluate-kind's sections, and
    the figures."""
    from virkning.report.components import Numbering
    from virkning.report.render import render_document
    from virkning.report.strings import ui

    files = Files()
    numbering = Numbering()
    sections, figures, template_dirs = [], {}, []
    for o in outputs:
        for name, frame in o.tables.items():
            files.add(f"{o.folder}/{name}.csv" if o.folder else f"{name}.csv", csv_bytes(frame))
        if o.bundle:
            files.add(f"{o.folder}/results.json" if o.folder else "results.json", json_bytes(dict(o.bundle)))
        kind = KINDS[o.kind]
        if kind.render is not None:
            secs, figs = kind.render(o, language, numbering)
            sections += secs
            figures.update(figs)
            if kind.templates:
                template_dirs.append(kind.templates)
        for name, frame in o.internal.items():
            files.add(f"internal/{name}.csv", csv_bytes(frame))
    if any(o.internal for o in outputs):
        files.add("internal/README.txt", ("Not for publication: person-level rows for the job centres (records to "
                                          "check). Keep this folder inside the organisation.\n").encode())
    kicker = ui(language)["report_kind"]
    if outputs and not any(o.kind == "effect" for o in outputs):  # e.g. trajectories only: its own title
        kicker = KINDS[outputs[0].kind].title[language == "en"]
    html = render_document(sections, title=design.name, kicker=kicker, language=language, synthetic=synthetic,
                           template_dirs=template_dirs)
    files.add("report.html", html.encode("utf-8"))
    for stem, fig in sorted(figures.items()):
        if fig.png:  # drawings made as SVG only (the programme theory) have no PNG
            files.add(f"figures/{stem}.png", fig.png)
        files.add(f"figures/{stem}.svg", fig.svg)
    return files


def run_evaluation(design_path: str | Path, out: str | Path, *, data: str | Path | None = None,
                   progress: Callable[[str], None] | None = None, regs: "Registers | None" = None,
                   engine: str | None = None, master: str | None = None, csv_dialect: str | None = None,
                   workbook: bool | None = None, pdf: bool = False) -> dict[str, Path]:
    """Check the design and data, run the design's evaluation analyses, protect, and write the output folder.
    `pdf`: report.pdf beside report.html (virkning.report.pdf).

    `regs`: registers the caller has already loaded from the data folder with the design's load options (e.g. to
    monitor from the same load afterwards); the caller closes them. `engine`/`master` override the design's
    `data: {engine, master}` (duckdb or spark; docs/scale.md); `csv_dialect`/`workbook` the design's
    `outputs: {csv_dialect, workbook}` (docs/outputs.md)."""
    from virkning.design import load_design
    from virkning.registers import load

    say = progress or (lambda msg: None)
    started = time.perf_counter()
    design_path, out = Path(design_path), Path(out)
    design = load_design(design_path)
    check_out(out)
    folder = _data_folder(data if data is not None else design.data_folder)
    options = _load_options(design, engine, master)
    kinds = [k for k in KINDS.values() if k.command == "evaluate" and k.key in design.analyses]
    if not kinds:
        raise VirkningError(f"{design_path}: the design declares no evaluation (participants, pool, covariates and "
                            "outcomes, or a trajectories section); `virkning monitor` runs its monitoring section")
    own = regs is None
    if regs is None:
        say("validating data")
        regs = load(folder, options)
    elif str(regs.folder) != str(folder) and Path(regs.folder).resolve() != Path(folder).resolve() \
            or regs.options != options:
        raise VirkningError(f"the registers given were loaded from {regs.folder} with other options than the design "
                            f"asks for ({folder}); load them with design.load_options()")
    timings = {"load_and_validate": regs.load_seconds}
    try:
        ctx = Context(data=folder, threshold=design.disclosure_threshold, language=design.language, seed=design.seed,
                      design_name=design.name, progress=say, _registers=regs)
        outputs: list[Output] = []
        for kind in kinds:
            t = time.perf_counter()
            result = kind.run(design, ctx)
            timings[f"{kind.key}_run"] = time.perf_counter() - t
            t = time.perf_counter()
            outputs += kind.publish(result, design.disclosure_threshold)
            timings[f"{kind.key}_publish"] = time.perf_counter() - t
            for k, v in getattr(getattr(result, "evaluation", None), "timings", {}).items():
                timings[f"{kind.key}_{k}"] = v
        if regs.keyed_seconds is not None:  # within the populations' time: attaching (and writing) the keyed copy
            timings["keyed_copy"] = regs.keyed_seconds
        synthetic = isinstance(folder, Path) and (folder / "truth.json").is_file()
        inputs = _inputs(_data_files(regs), folder) if isinstance(folder, Path) else {}
    finally:
        if own:
            regs.close()
    say("report")
    t = time.perf_counter()
    files = evaluation_files(outputs, design, design.language, synthetic)
    spreadsheets(files, design, "evaluation", synthetic, csv_dialect, workbook)
    timings["report"] = time.perf_counter() - t
    if pdf:
        say("PDF")
        t = time.perf_counter()
        months = [((o.bundle or {}).get("data") or {}).get("end_month") for o in outputs]
        files.add("report.pdf", page_pdf(files.files["report.html"], design, design_path, months))
        timings["pdf"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - started
    logs = {o.kind + (f"/{o.folder}" if o.folder else ""): o.log for o in outputs if o.log}
    files.add("manifest.json", json_bytes(manifest("evaluate", design, design_path, inputs, logs, timings)
                                          | {"files": files.hashes()}))
    say("disclosure audit")
    write_folder(out, files, audited(design.disclosure_threshold))
    first = next((o.folder for o in outputs if o.bundle), "results")  # the first analysis's results.json
    return {"report": out / "report.html", "results": out / first / "results.json",
            "manifest": out / "manifest.json", "effects": out / "results" / "effects.csv"} | (
        {"pdf": out / "report.pdf"} if pdf else {})


def page_pdf(html: bytes, design, design_path: Path, months: list[str | None]) -> bytes:
    """A written page (report.html, a status page) as PDF, its cover dated from the data's last month."""
    from virkning.report.pdf import Cover, report_date, report_pdf

    cover = Cover(language=design.language, version=__version__, design_hash=sha256_file(Path(design_path)),
                  date=report_date(months), organisation=getattr(design, "organisation", None))
    return report_pdf(html.decode("utf-8"), cover)


# ---- monitor ------------------------------------------------------------------------------------------------------

def monitoring_files(outputs: list[Output], language: str, synthetic: bool) -> Files:
    """Month folders with their tables and status page (and its figures), fidelity tables, internal files."""
    from virkning.analyses.monitoring.strings import MONITORING_UI
    from virkning.report.formatting import Formatter
    from virkning.report.render import render_document
    from virkning.report.strings import ui

    files = Files()
    t = ui(language, MONITORING_UI)
    kind = KINDS["monitoring"]
    for o in outputs:
        for name, frame in o.tables.items():
            files.add(f"{o.folder}/{name}.csv" if o.folder else f"{name}.csv", csv_bytes(frame))
        for name, frame in o.internal.items():
            files.add(f"internal/{name}.csv", csv_bytes(frame))
        if o.page:
            assert kind.render is not None  # the monitoring kind renders its page (analyses/monitoring)
            sections, figures = kind.render(o, language, None, synthetic=synthetic)
            month = o.bundle["month"]
            lead = t["mon_lead"].format(Formatter(language).month(month), o.bundle["threshold"])
            kicker = f"{t['mon_kind']} {Formatter(language).month(month)}"
            html = render_document(sections, title=o.title, kicker=kicker, language=language, synthetic=synthetic,
                                   lead=lead, toc=False)
            files.add(o.page, html.encode("utf-8"))
            for stem, fig in sorted(figures.items()):
                files.add(f"{o.folder}/figures/{stem}.png", fig.png)
                files.add(f"{o.folder}/figures/{stem}.svg", fig.svg)
    if any(o.internal for o in outputs):
        files.add("internal/README.txt", ("Not for publication: person-level rows for the job centres (registration "
                                          "problems to correct). Keep this folder inside the organisation.\n").encode())
    return files


def run_monitor(design_path: str | Path, out: str | Path, *, data: str | Path | None = None,
                month: str | None = None, strict: bool = False, registers: bool = True, regs: "Registers | None" = None,
                progress: Callable[[str], None] | None = None, engine: str | None = None,
                master: str | None = None, csv_dialect: str | None = None,
                workbook: bool | None = None, pdf: bool = False) -> dict[str, Path]:
    """Status reports of the design's monitoring section for `month` (YYYY-MM) or every month of the programme;
    `engine`/`master`/`csv_dialect`/`workbook` as for `run_evaluation`; `pdf`: each status page also
    as PDF (status_<month>.pdf)."""
    from virkning.analyses.monitoring.compute import month_label, month_ordinal
    from virkning.design import load_design
    from virkning.errors import DesignError
    from virkning.registers import load

    say = progress or (lambda msg: None)
    started = time.perf_counter()
    design_path, out = Path(design_path), Path(out)
    design = load_design(design_path)
    if design.monitoring is None:
        raise DesignError(f"{design_path}: the design has no 'monitoring' section (docs/monitoring.md)")
    if month is not None:
        from virkning.analyses.monitoring.compute import MonitoringError
        from virkning.registers import calendar

        try:
            calendar.parse_month(month)
        except ValueError:
            raise MonitoringError(f"--month '{month}' is not a month; write it as YYYY-MM, e.g. 2018-06") from None
    months = [month_label(month_ordinal(month))] if month else None
    check_out(out)
    folder = Path(data) if data is not None else Path(design.data_folder)
    own = regs is None and registers
    if own:
        say("validating data")
        regs = load(folder, _load_options(design, engine, master))
    timings: dict[str, float] = {}
    try:
        ctx = Context(data=folder, threshold=design.disclosure_threshold, language=design.language, seed=design.seed,
                      design_name=design.name, progress=say, _registers=regs,
                      options={"months": months, "strict": strict, "registers": registers})
        kind = KINDS["monitoring"]
        t = time.perf_counter()
        result = kind.run(design, ctx)
        outputs = kind.publish(result, design.disclosure_threshold)
        timings["monitor"] = time.perf_counter() - t
        cfg = design.monitoring
        read = [folder / cfg.registration_file, *[folder / s.file for s in cfg.surveys]]
        if cfg.fidelity is not None:
            read.append(folder / cfg.fidelity.file)
        inputs = _inputs(read + (_data_files(regs) if regs is not None else []), folder)
    finally:
        if own and regs is not None:
            regs.close()
    synthetic = (folder / "truth.json").is_file()
    files = monitoring_files(outputs, design.language, synthetic)
    spreadsheets(files, design, "monitoring", synthetic, csv_dialect, workbook)
    if pdf:
        say("PDF")
        for o in outputs:
            if o.page:
                page = str(PurePath(o.page).with_suffix(".pdf"))
                files.add(page, page_pdf(files.files[o.page], design, design_path, [o.bundle["month"]]))
    timings["total"] = time.perf_counter() - started
    logs = {f"monitoring/{o.folder}": o.log for o in outputs if o.log}
    files.add("manifest.json", json_bytes(manifest("monitor", design, design_path, inputs, logs, timings)
                                          | {"files": files.hashes()}))
    say("disclosure audit")
    write_folder(out, files, audited(design.disclosure_threshold))
    paths = {o.folder + "/html": out / o.page for o in outputs if o.page}
    if pdf:
        paths |= {o.folder + "/pdf": (out / o.page).with_suffix(".pdf") for o in outputs if o.page}
    paths["violations"] = out / "internal" / "registration_violations.csv"
    paths["manifest"] = out / "manifest.json"
    return paths


# ---- indicators ---------------------------------------------------------------------------------------------------

def run_indicators(data: str | Path, out: str | Path, request=None, *, threshold: int | None = None,
                   language: str = "da", explicit: bool = False,
                   progress: Callable[[str], None] | None = None) -> dict[str, Path]:
    """Register indicators per unit and period (`virkning.indicators`) through the disclosure gate into `out`:
    indicators.csv (protected), definitions.csv and manifest.json. Indicators that need events the data do not
    hold are left out (with a note in the manifest) unless they were asked for by name (`explicit`)."""
    from dataclasses import replace

    from virkning.defaults import DISCLOSURE_THRESHOLD
    from virkning.indicators import INDICATORS, IndicatorRequest, compute_indicators, protect_indicators
    from virkning.registers import load

    say = progress or (lambda msg: None)
    started = time.perf_counter()
    out, data = Path(out), Path(data)
    threshold = DISCLOSURE_THRESHOLD if threshold is None else threshold
    req = request or IndicatorRequest()
    check_out(out)
    say("validating data")
    regs = load(data)
    notes: list[str] = []
    try:
        events = set(regs.report.events["event"]) if len(regs.report.events) else set()
        if req.event not in events and not explicit:
            dropped = [i for i in req.indicators if INDICATORS[i].needs_events]
            if dropped:
                notes.append(f"left out (no '{req.event}' events in the data): {', '.join(dropped)}")
                req = replace(req, indicators=tuple(i for i in req.indicators if i not in dropped))
        say("indicators")
        table = compute_indicators(regs, req, language=language)
        inputs = _inputs(_data_files(regs), data)
    finally:
        regs.close()
    say("disclosure control")
    protected, outcome = protect_indicators(table.frame, threshold)
    files = Files()
    files.add("indicators.csv", csv_bytes(protected.drop(columns=["p"])))
    files.add("definitions.csv", csv_bytes(table.definitions))
    files.add("manifest.json", json_bytes({
        "kind": MARKER, "command": "indicators", "inputs": inputs, "files": files.hashes(),
        "request": {"target_group": req.target.name, "period": req.period, "indicators": list(req.indicators),
                    "first_period": table.periods[0], "last_period": table.periods[-1],
                    "units": len(table.units), "employment_lag": req.employment_lag, "event": req.event,
                    "spell_gap": req.spell_gap, "su_weeks": req.su_weeks},
        "notes": notes, "benefit_scans": table.benefit_scans,
        "disclosure": {"threshold": threshold, "cells_hidden": {"indicators": sum(1 for x in outcome.log if ": " in x)},
                       "log": {"indicators": list(outcome.log)}},
        "versions": _versions(),
        "timings_seconds": {"indicators": round(table.seconds, 3), "total": round(time.perf_counter() - started, 3)}}))
    write_folder(out, files, audited(threshold))  # the audit reads indicator tables (audit_indicators.py)
    return {"indicators": out / "indicators.csv", "definitions": out / "definitions.csv",
            "manifest": out / "manifest.json"}

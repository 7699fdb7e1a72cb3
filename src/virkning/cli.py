"""The `virkning` command: a thin layer that parses arguments, calls the public API and prints results.

Exit codes: 0 success, 1 the input or design is wrong (message says what to fix), 2 usage error, 3 internal error
(a bug: the message names a log file with the traceback), 130 interrupted (outputs are left as they were).
"""

from __future__ import annotations

import _thread
import datetime as dt
import json
import os
import signal
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Any, Literal, Optional, cast

import typer
from rich.markup import escape
from rich.table import Table

from virkning import __version__, process, runlog
from virkning.cli_formats import with_format_options
from virkning.errors import VirkningError
from virkning.spreadsheets import CSV_DIALECT_HELP, DIALECTS, WORKBOOK_HELP

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Register-based evaluation of Danish employment interventions.",
)
from virkning.cli_common import ENGINE_HELP, MASTER_HELP, _fail, _status, console, err  # noqa: E402


def _version(value: bool) -> None:
    if value:
        console.print(__version__)
        raise typer.Exit(0)


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    pass


@app.command()
def synth(
    out: Path = typer.Option(..., "--out", help="Folder to write the synthetic registers to (new or from an earlier synth)."),
    persons: int = typer.Option(100_000, "--persons", min=1000, help="Number of persons in the population."),
    seed: int = typer.Option(2018, "--seed", help="Random seed; the same seed gives identical files."),
    start: Optional[str] = typer.Option(None, "--start", help="First day of the register period (default: the "
                                        "programme's: 2015-01-01; flere_skal_med 2002-01-01)."),
    end: Optional[str] = typer.Option(None, "--end", help="Last day of the register period (default: the "
                                      "programme's: 2019-07-31; flere_skal_med 2020-06-30; frikommune 2019-12-31)."),
    fmt: Literal["parquet", "csv"] = typer.Option("parquet", "--format", help="File format of the tables."),
    population: Literal["national", "seniors"] = typer.Option("national", "--population",
                                   help="national (all ages, seniors oversampled) or seniors (only the 50-65-year-"
                                        "olds, invitations as in the real programme; see docs/synthetic-data.md). "
                                        "Seniorvikar only."),
    programme: Literal["seniorvikar", "flere_skal_med", "frikommune"] = typer.Option("seniorvikar", "--programme",
                                  help="seniorvikar (information meetings for unemployed seniors), flere_skal_med "
                                       "(long-term cash-benefit recipients, visitation records, trajectories and "
                                       "LPM truths) or frikommune (an interview rule in 9 municipalities from "
                                       "staggered dates, comparison municipalities, effects on indicators)."),
) -> None:
    """Write synthetic registers with a programme and its true effects (truth.json)."""
    from virkning.synth import generate

    try:
        with _status("Simulating registers ...") as status:
            summary = generate(out, persons=persons, seed=seed, start=start, end=end, fmt=fmt, population=population,
                               programme=programme, progress=lambda msg: status.update(msg))
    except VirkningError as exc:
        _fail(exc)
    info = summary.to_dict()
    table = Table(title=f"Synthetic registers in {out}")
    table.add_column("item")
    table.add_column("value", justify="right")
    table.add_row("persons", f"{info['persons']:,}")
    table.add_row("period", f"{info['start']} to {info['end']}")
    for name, rows in info.get("rows", {}).items():
        table.add_row(f"{name} rows", f"{rows:,}")
    if summary.programme == "seniorvikar":
        table.add_row("participants (first informationsmøde)", f"{info.get('participants', 0):,}")
        table.add_row("  without employment in the index month", f"{info.get('participants_population', 0):,}")
    else:
        for label, value in summary.counts.items():
            table.add_row(label, f"{value:,}")
    table.add_row("seconds", f"{info.get('seconds', {}).get('total', 0):.1f}")
    console.print(table)
    console.print(f"True effects: {Path(out) / 'truth.json'}")


@app.command()
@with_format_options  # --encoding, --delimiter, --decimal, --column (registers/formats.py)
def validate(
    data: str = typer.Option(..., "--data", help="Data folder with persons, benefits, employment (and events); with "
                                               "--engine spark also hdfs://, s3a:// or abfss:// locations."),
    catalogue: Optional[Path] = typer.Option(None, "--catalogue", help="CSV of DREAM codes that overrides/extends the shipped catalogue."),
    wide_pattern: str = typer.Option("y_YYWW", "--wide-pattern", help="Column names of DREAM's wide layout (YYYY or YY, and WW)."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    engine: Optional[Literal["duckdb", "spark"]] = typer.Option(None, "--engine", help=ENGINE_HELP),
    master: Optional[str] = typer.Option(None, "--master", help=MASTER_HELP),
) -> None:
    """Check a data folder against the data contract and summarise it. Exit 1 if any rule is broken."""
    from virkning.registers import LoadOptions, formats
    from virkning.registers import validate as run

    started = time.perf_counter()
    try:
        report = run(data, formats.apply_overrides(LoadOptions(
            wide_pattern=wide_pattern, catalogue=str(catalogue) if catalogue else None,
            engine=engine or "duckdb", master=master)))
    except VirkningError as exc:
        _fail(exc)
    if as_json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2, default=str))
        raise typer.Exit(0 if report.ok else 1)
    if not report.ok:
        err.print(f"[bold red]{len(report.problems)} problem(s)[/] in {escape(str(data))}; nothing was written:",
                  markup=True)
        for p in report.problems:
            err.print(f"- {p}", markup=False, soft_wrap=True)
        raise typer.Exit(1)
    _print_report(report)
    console.print(f"Valid. Checked in {time.perf_counter() - started:.1f} s.")


def _print_report(report) -> None:
    t = Table(title=f"Tables in {report.folder}")
    for col in ("table", "file", "layout", "rows", "persons", "from", "to"):
        t.add_column(col, justify="right" if col in ("rows", "persons") else "left")
    for s in report.tables.values():
        t.add_row(s.name, s.file, s.layout, f"{s.rows:,}", f"{s.persons:,}", s.first or "", s.last or "")
    console.print(t)
    by_state = report.codes_by_state()
    if len(by_state):
        t = Table(title="Benefit weeks by state (DREAM code catalogue)")
        for col in ("state", "codes", "weeks"):
            t.add_column(col, justify="left" if col == "state" else "right")
        for r in by_state.itertuples():
            t.add_row(r.state, str(r.codes), f"{r.weeks:,}")
        console.print(t)
    if len(report.unknown_codes):
        t = Table(title="Codes not in the catalogue (kept; their months have status 'ukendt')")
        for col in ("code", "weeks", "persons"):
            t.add_column(col, justify="right")
        for r in report.unknown_codes.itertuples():
            t.add_row(r.code, f"{r.weeks:,}", f"{r.persons:,}")
        console.print(t)
    else:
        console.print("Every benefit code is in the catalogue.")
    for table, o in report.orphans.items():
        if o["persons"]:
            console.print(f"{table}: {o['persons']:,} person(s) with {o['rows']:,} row(s) are not in persons.")
    if not any(o["persons"] for o in report.orphans.values()):
        console.print("Every person in benefits, employment and events is in persons.")
    if len(report.unknown_municipalities):
        console.print(f"Unknown municipality codes: {', '.join(report.unknown_municipalities['municipality'])}")
    if len(report.events):
        console.print("Events: " + ", ".join(f"{r.event} {r.rows:,}" for r in report.events.itertuples()))


def _dialect(value: str | None) -> str | None:
    if value is not None and value not in DIALECTS:
        err.print(f"error: --csv-dialect expected one of {', '.join(DIALECTS)}; got '{value}'")
        raise typer.Exit(2)
    return value


@app.command()
@with_format_options
def evaluate(
    design: Path = typer.Argument(..., help="Design file (YAML), see docs/design-file.md."),
    data: Optional[str] = typer.Option(None, "--data", help="Data folder (default: the design's data.folder); with "
                                                           "--engine spark also hdfs://, s3a:// or abfss:// locations."),
    out: Path = typer.Option(..., "--out", help="Folder for report.html, results/, figures/, tables.xlsx and "
                                                "manifest.json."),
    engine: Optional[Literal["duckdb", "spark"]] = typer.Option(None, "--engine", help=ENGINE_HELP),
    master: Optional[str] = typer.Option(None, "--master", help=MASTER_HELP),
    pdf: bool = typer.Option(False, "--pdf", help="Also write report.pdf: the report printed to A4 with a cover, "
                                                  "page numbers and tags (WeasyPrint; docs/report.md)."),
    csv_dialect: Optional[str] = typer.Option(None, "--csv-dialect", help=CSV_DIALECT_HELP),
    workbook: Optional[bool] = typer.Option(None, "--workbook/--no-workbook", help=WORKBOOK_HELP),
) -> None:
    """Run the evaluation a design file declares and write the report, results, figures and manifest."""
    from virkning.outputs import run_evaluation

    started = time.perf_counter()
    try:
        with _status("Evaluating ...") as status:
            paths = run_evaluation(design, out, data=data, progress=lambda s: status.update(f"Evaluating: {s} ..."),
                                   engine=engine, master=master, csv_dialect=_dialect(csv_dialect),
                                   workbook=workbook, pdf=pdf)
    except VirkningError as exc:
        _fail(exc)
    console.print(f"Report: {paths['report']}" + (f" and {paths['pdf']}" if pdf else ""))
    console.print(f"Results: {paths['results'].parent} ; manifest: {paths['manifest']}")
    console.print(f"Done in {time.perf_counter() - started:.0f} s.")


@app.command()
@with_format_options
def monitor(
    design: Path = typer.Argument(..., help="Design file (YAML) with a monitoring section."),
    data: Optional[Path] = typer.Option(None, "--data", help="Data folder with the registration sheet, surveys and registers."),
    out: Path = typer.Option(..., "--out", help="Folder for the status reports (one folder per month) and tables.xlsx."),
    month: Optional[str] = typer.Option(None, "--month", help="One month (YYYY-MM); default every month of the programme."),
    strict: bool = typer.Option(False, "--strict", help="Refuse the registration sheet if any row breaks the guide."),
    registers: bool = typer.Option(True, "--registers/--no-registers", help="Add register-based results (employment after 13 weeks, temp jobs)."),
    engine: Optional[Literal["duckdb", "spark"]] = typer.Option(None, "--engine", help=ENGINE_HELP),
    master: Optional[str] = typer.Option(None, "--master", help=MASTER_HELP),
    pdf: bool = typer.Option(False, "--pdf", help="Also write each status page as PDF (status_<YYYY-MM>.pdf)."),
    csv_dialect: Optional[str] = typer.Option(None, "--csv-dialect", help=CSV_DIALECT_HELP),
    workbook: Optional[bool] = typer.Option(None, "--workbook/--no-workbook", help=WORKBOOK_HELP),
) -> None:
    """Monthly status against the success criteria, fidelity and surveys, from the registration sheet and registers."""
    from virkning.outputs import run_monitor

    started = time.perf_counter()
    try:
        with _status("Monitoring ...") as status:
            paths = run_monitor(design, out, data=data, month=month, strict=strict, registers=registers,
                                progress=lambda s: status.update(f"Monitoring: {s} ..."), engine=engine,
                                master=master, csv_dialect=_dialect(csv_dialect), workbook=workbook, pdf=pdf)
    except VirkningError as exc:
        _fail(exc)
    reports = sorted(k for k in paths if k.endswith("/html"))
    console.print(f"{len(reports)} status report(s) in {out}; latest: {paths[reports[-1]] if reports else '-'}")
    console.print(f"Registration sheet problems for the job centres (not for publication): {paths['violations']}")
    console.print(f"Done in {time.perf_counter() - started:.0f} s.")


@app.command()
def plan(
    design: Path = typer.Argument(..., help="Design file (YAML) with a programme section (docs/programme.md)."),
    out: Path = typer.Option(..., "--out", help="Folder for calendar.csv, calendar.ics, programme.html and, with "
                                                "--data, status.csv and status.html."),
    data: Optional[Path] = typer.Option(None, "--data", help="Data folder (registers, registration sheets, value "
                                                             "files): adds the status of every measurement point."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Date of the status (YYYY-MM-DD); default: the last "
                                                              "day of the registers' last month."),
) -> None:
    """The calendar of measurement points of a programme's plan and, with --data, the status of its indicators."""
    import datetime as dt

    from virkning.analyses.programme.plan import run_plan

    when = None
    if as_of is not None:
        try:
            when = dt.date.fromisoformat(as_of)
        except ValueError:
            err.print(f"error: --as-of expected a date YYYY-MM-DD; got '{as_of}'")
            raise typer.Exit(2)
    try:
        with _status("Planning ...") as status:
            paths = run_plan(design, out, data=data, as_of=when, progress=lambda s: status.update(f"Planning: {s} ..."))
    except VirkningError as exc:
        _fail(exc)
    console.print(f"Calendar: {paths['calendar']} and {paths['ics']}; programme theory: {paths['programme']}")
    if "status" in paths:
        console.print(f"Status of the plan: {paths['status_html']}")


@app.command()
def demo(
    out: Path = typer.Option(Path("demo-output"), "--out", help="Folder for the synthetic data and results."),
    persons: int = typer.Option(1_190_000, "--persons", min=1000,
                                help="Number of seniors (aged 50-65) in the synthetic registers; the default, the "
                                     "Danish number, gives about 73,000 unemployed seniors and 2,600 participants."),
    seed: int = typer.Option(2018, "--seed", help="Seed of the synthetic data and of the bootstrap."),
) -> None:
    """Synthetic registers with a Seniorvikar-like programme -> evaluation with the example design (written to OUT/design.yaml)
    (report, results, figures) -> status report for the last programme month; estimates next to the truth. Then a
    Flere-skal-med-like programme (trajectories without matching) in OUT/flere-skal-med, and the free-municipality
    experiment (OUT/frikommune): register indicators and difference-in-differences."""
    from virkning.demo import run_demo

    try:
        run_demo(out, persons=persons, seed=seed, console=console)
    except VirkningError as exc:
        _fail(exc)


@app.command()
def portal(
    demo: bool = typer.Option(False, "--demo", help="Seed the synthetic Seniorvikar programme: units, one user per "
                                                  "role (password printed) and registrations."),
    database: Optional[str] = typer.Option(None, "--database", help="postgresql://user:password@host:port/name; "
                                                                    "default SQLite in --home."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    home: Path = typer.Option(Path("virkning-portal"), "--home",
                              help="Folder for the SQLite file, the keys and the demo data."),
) -> None:
    """The registration and monitoring portal (Django; docs/portal.md). Needs the `portal` extra."""
    try:
        from virkning.portal.server import run
    except ImportError as exc:
        err.print(f"error: the portal needs Django ({exc}); install it with: pip install 'virkning[portal]'")
        raise typer.Exit(1)
    try:
        run(home, database, demo, host, port, echo=console.print)
    except VirkningError as exc:
        _fail(exc)


@app.command()
def audit(
    out: Path = typer.Argument(..., help="An output folder of virkning (evaluation, monitoring, ...)."),
    threshold: int = typer.Option(5, "--threshold", min=2, max=100, help="Smallest count that may be published."),
) -> None:
    """Re-read every publishable file of an output folder and try to derive a count below the threshold (direct,
    by subtraction, from shares, across tables and months); exit 1 naming the file, cells and arithmetic if one is."""
    from virkning.disclosure.audit import audit as run_audit

    if not out.is_dir():
        _fail(VirkningError(f"{out}: not a folder; give the output folder of `virkning evaluate` or `monitor`"))
    findings = run_audit(out, threshold)
    for f in findings:
        console.print(f"{f.file}: {f.cells}: {f.arithmetic}", markup=False, soft_wrap=True)
    if findings:
        err.print(f"[bold red]{len(findings)} finding(s):[/] counts below {threshold} can be read or derived", markup=True)
        raise typer.Exit(1)
    console.print(f"No count below {threshold} can be read or derived from {out}.")


from virkning.cli_evidence import evidence_app  # noqa: E402  (the evidence commands, registered as a group)

app.add_typer(evidence_app, name="evidence")


def _log_dir() -> Path:
    return Path(os.environ.get("VIRKNING_LOG_DIR") or Path(tempfile.gettempdir()) / "virkning-logs")


def _internal_error(exc: BaseException) -> int:
    """A bug: the traceback goes to a log file, the screen gets one line saying where."""
    text = "".join(traceback.format_exception(exc))
    try:
        folder = _log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        log = folder / f"virkning-{dt.datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}.log"
        log.write_text(f"virkning {__version__}\nargs: {sys.argv[1:]}\n\n{text}", encoding="utf-8")
        where = f"the traceback is in {log}"
    except OSError:
        where = "the traceback could not be written to a log file:\n" + text
    err.print(f"internal error: {type(exc).__name__}: {exc}\nThis is a bug in virkning, not in your input; please "
              f"report it with the log ({where}). Outputs were left as they were.", markup=False, soft_wrap=True)
    return 3


_signalled = False
_signum = 0  # the last signal the command got
_running = False  # a command runs with `_terminated` as its handler


def _terminated(signum, frame) -> None:
    global _signalled, _signum
    _signalled, _signum = True, signum
    raise KeyboardInterrupt  # so temporary folders are removed on the way out, as on Ctrl-C


def _unraisable(previous):
    """sys.unraisablehook while a command runs. A signal's KeyboardInterrupt raised inside a weakref callback or a
    __del__ that the garbage collector runs cannot propagate: Python printed its traceback and went on, so the
    command finished as if never interrupted. It is delivered again once the collector is done (a timer thread, so
    that it is not raised inside this hook), and so reaches ordinary code."""
    def hook(unraisable) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt) and _signalled:
            timer = threading.Timer(0.05, _deliver_again)
            timer.daemon = True
            timer.start()
            return
        previous(unraisable)
    return hook


def _deliver_again() -> None:
    if _running:  # not after the command: its handler is gone by then
        _thread.interrupt_main(signal.Signals(_signum))


def _interrupted(exc: BaseException) -> bool:
    """A signal that arrived inside an engine's query comes back as the engine's own error (DuckDB: 'Query
    interrupted'), not as KeyboardInterrupt: still an interruption, not a bug."""
    return _signalled or type(exc).__name__ == "InterruptException" or "Query interrupted" in str(exc)


def run(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit code (0, 1, 2, 3 or 130; see the module's docstring). Warnings are
    shown as they arise and summarised at the end (virkning.runlog.WarningLog)."""
    with runlog.WarningLog(err) as log:
        code = _run(argv)
    log.print_summary()
    return code


def _run(argv: list[str] | None) -> int:
    from typer.exceptions import TyperException

    global _signalled, _running
    _signalled = False  # a run in the same process (a notebook, the tests) starts without an earlier signal
    previous = signal.signal(signal.SIGTERM, _terminated) if hasattr(signal, "SIGTERM") else None
    previous_int = signal.signal(signal.SIGINT, _terminated)
    previous_hook = sys.unraisablehook
    sys.unraisablehook = _unraisable(previous_hook)
    _running = True
    try:
        with process.settings():  # the collector and numpy's huge pages (virkning/process.py), restored after
            code = app(args=argv, prog_name="virkning", standalone_mode=False)
        code = code if isinstance(code, int) else 0
    except typer.Exit as exc:
        code = exc.exit_code
    except TyperException as exc:  # usage errors
        from typer import rich_utils

        # what typer raises here is its vendored ClickException (a TyperException), which it types privately
        rich_utils.rich_format_error(cast(Any, exc))
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        code = 130
    except VirkningError as exc:  # commands catch their own; this is the safety net
        err.print(f"error: {exc}", markup=False, soft_wrap=True)
        return 1
    except Exception as exc:  # noqa: BLE001 - every other exception is a bug by definition
        if not _interrupted(exc):
            return _internal_error(exc)
        code = 130
    finally:
        _running = False
        sys.unraisablehook = previous_hook
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)
    if code == 130:
        err.print("interrupted: nothing was written (an earlier output, if any, is unchanged)")
    return code


# ---- register indicators (docs/indicators.md) ------------------------------------------------------------------------

@app.command()
def indicators(
    data: Path = typer.Argument(..., help="Data folder (persons, benefits, employment; events for interviews)."),
    out: Path = typer.Option(..., "--out", help="Folder for indicators.csv, definitions.csv and manifest.json."),
    period: Literal["month", "quarter", "half-year", "year"] = typer.Option("quarter", "--period",
                                                                             help="Length of a period."),
    target: Literal["forsikrede_ledige", "kontant_og_uddannelseshjaelp", "sygedagpenge", "alle_ydelser"] = \
        typer.Option("forsikrede_ledige", "--target", help="Target group (docs/indicators.md)."),
    names: Optional[str] = typer.Option(None, "--indicators", help="Comma-separated indicators (default: all; "
                                        "see docs/indicators.md)."),
    units: Optional[str] = typer.Option(None, "--units", help="Comma-separated municipality codes (default: "
                                        "every municipality in the persons table)."),
    first: Optional[str] = typer.Option(None, "--from", help="First month YYYY-MM (its period is the first)."),
    last: Optional[str] = typer.Option(None, "--to", help="Last month YYYY-MM (its period is the last)."),
    event: str = typer.Option("samtale", "--event", help="Event of the interview indicators."),
    lag: int = typer.Option(3, "--employment-lag", help="Months from a target month to the employment month."),
    threshold: int = typer.Option(5, "--threshold", min=3, help="Disclosure threshold (persons)."),
    language: Literal["da", "en"] = typer.Option("da", "--language", help="Words of definitions.csv."),
) -> None:
    """Register indicators per unit and period (seed 002) through the disclosure gate."""
    from virkning.indicators import IndicatorRequest, target_group
    from virkning.outputs import run_indicators

    started = time.perf_counter()
    try:
        kw: dict[str, Any] = {}
        if names:
            kw["indicators"] = tuple(x.strip() for x in names.split(",") if x.strip())
        if units:
            kw["units"] = {c.strip(): (c.strip(),) for c in units.split(",") if c.strip()}
        req = IndicatorRequest(target=target_group(target), period=period, first=first, last=last, event=event,
                               employment_lag=lag, where={"period": "--period", "indicators": "--indicators",
                                                          "units": "--units", "first": "--from", "last": "--to",
                                                          "event": "--event", "employment_lag": "--employment-lag"},
                               **kw)
        with _status("Indicators ...") as status:
            paths = run_indicators(data, out, req, threshold=threshold, language=language, explicit=bool(names),
                                   progress=lambda s: status.update(f"Indicators: {s} ..."))
    except VirkningError as exc:
        _fail(exc)
    console.print(f"Indicators: {paths['indicators']} ; definitions: {paths['definitions']}")
    console.print(f"Done in {time.perf_counter() - started:.0f} s.")


def main() -> None:
    # Once the command has returned there is nothing left to stop, yet the interpreter still takes a few tenths of a
    # second to tear down DuckDB, Arrow and the rest, and a signal then killed the process (exit -2, no message)
    # after its work was done. Ignored from the start of the process, the signals stay ignored through that teardown:
    # run() puts its own handler in place for the command and this one back when the command ends (a child started
    # during the command gets the default handling, not this).
    for name in ("SIGINT", "SIGTERM"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
    code = run()
    if code == 130:
        # Handled, yet CPython may still end the process with SIGINT (exit -2, no traceback): when the interrupt was
        # raised while an extension ran Python code through PyRun_String, a flag of CPython's stays set and turns
        # the exit into a kill (seen when DuckDB was cancelled while writing Parquet). Running one empty statement
        # the same way clears the flag, so the exit code stays 130.
        try:
            import ctypes

            ctypes.pythonapi.PyRun_SimpleString(b"pass")
        except (AttributeError, OSError):  # not CPython: no such flag
            pass
    sys.exit(code)


if __name__ == "__main__":
    main()

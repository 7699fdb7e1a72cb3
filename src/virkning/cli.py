"""The `virkning` command: a thin layer that parses arguments, calls the public API and prints results.

Exit codes: 0 success, 1 the input or design is wrong (message says what to fix), 2 usage error.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from virkning import __version__
from virkning.errors import VirkningError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Register-based evaluation of Danish employment interventions.",
)
console = Console(highlight=False)
err = Console(stderr=True, highlight=False)


ENGINE_HELP = ("SQL engine: duckdb (embedded, the default) or spark (needs PySpark 4, the extra 'spark', and Java "
               "17 or 21); overrides the design's data.engine. docs/scale.md.")
MASTER_HELP = "Spark master URL (local[4], spark://host:7077, yarn, k8s://...); default local[N] with every core."


def _engine(engine: Optional[str]) -> Optional[str]:
    if engine is not None and engine not in ("duckdb", "spark"):
        err.print(f"error: --engine expected one of duckdb, spark; got '{engine}'")
        raise typer.Exit(2)
    return engine


def _fail(exc: VirkningError) -> None:
    err.print(f"[bold red]error:[/] {exc}", markup=True, soft_wrap=True)
    raise typer.Exit(1)


@app.callback()
def _root(version: bool = typer.Option(False, "--version", help="Print the version and exit.")) -> None:
    if version:
        console.print(__version__)
        raise typer.Exit(0)


@app.command()
def synth(
    out: Path = typer.Option(..., "--out", help="Folder to write the synthetic registers to (new or from an earlier synth)."),
    persons: int = typer.Option(100_000, "--persons", min=1000, help="Number of persons in the population."),
    seed: int = typer.Option(2018, "--seed", help="Random seed; the same seed gives identical files."),
    start: Optional[str] = typer.Option(None, "--start", help="First day of the register period (default: the "
                                        "programme's: 2015-01-01; flere_skal_med 2002-01-01)."),
    end: Optional[str] = typer.Option(None, "--end", help="Last day of the register period (default: the "
                                      "programme's: 2019-07-31; flere_skal_med 2020-06-30; frikommune 2019-12-31)."),
    fmt: str = typer.Option("parquet", "--format", help="parquet or csv."),
    population: str = typer.Option("national", "--population",
                                   help="national (all ages, seniors oversampled) or seniors (only the 50-65-year-"
                                        "olds, invitations as in the real programme; see docs/synthetic-data.md). "
                                        "Seniorvikar only."),
    programme: str = typer.Option("seniorvikar", "--programme",
                                  help="seniorvikar (information meetings for unemployed seniors), flere_skal_med "
                                       "(long-term cash-benefit recipients, visitation records, trajectories and "
                                       "LPM truths) or frikommune (an interview rule in 9 municipalities from "
                                       "staggered dates, comparison municipalities, effects on indicators)."),
) -> None:
    """Write synthetic registers with a programme and its true effects (truth.json)."""
    from virkning.synth import generate

    if fmt not in ("parquet", "csv"):
        err.print(f"error: --format expected one of parquet, csv; got '{fmt}'")
        raise typer.Exit(2)
    try:
        with console.status("Simulating registers ...") as status:
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
def validate(
    data: str = typer.Option(..., "--data", help="Data folder with persons, benefits, employment (and events); with "
                                               "--engine spark also hdfs://, s3a:// or abfss:// locations."),
    catalogue: Optional[Path] = typer.Option(None, "--catalogue", help="CSV of DREAM codes that overrides/extends the shipped catalogue."),
    wide_pattern: str = typer.Option("y_YYWW", "--wide-pattern", help="Column names of DREAM's wide layout (YYYY or YY, and WW)."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    engine: Optional[str] = typer.Option(None, "--engine", help=ENGINE_HELP),
    master: Optional[str] = typer.Option(None, "--master", help=MASTER_HELP),
) -> None:
    """Check a data folder against the data contract and summarise it. Exit 1 if any rule is broken."""
    from virkning.registers import LoadOptions
    from virkning.registers import validate as run

    started = time.perf_counter()
    try:
        report = run(data, LoadOptions(wide_pattern=wide_pattern, catalogue=str(catalogue) if catalogue else None,
                                       engine=_engine(engine) or "duckdb", master=master))
    except VirkningError as exc:
        _fail(exc)
    if as_json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2, default=str))
        raise typer.Exit(0 if report.ok else 1)
    if not report.ok:
        err.print(f"[bold red]{len(report.problems)} problem(s)[/] in {data}; nothing was written:", markup=True)
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


@app.command()
def evaluate(
    design: Path = typer.Argument(..., help="Design file (YAML), see docs/design-file.md."),
    data: Optional[str] = typer.Option(None, "--data", help="Data folder (default: the design's data.folder); with "
                                                           "--engine spark also hdfs://, s3a:// or abfss:// locations."),
    out: Path = typer.Option(..., "--out", help="Folder for report.html, results/, figures/ and manifest.json."),
    engine: Optional[str] = typer.Option(None, "--engine", help=ENGINE_HELP),
    master: Optional[str] = typer.Option(None, "--master", help=MASTER_HELP),
) -> None:
    """Run the evaluation a design file declares and write the report, results, figures and manifest."""
    from virkning.outputs import run_evaluation

    started = time.perf_counter()
    try:
        with console.status("Evaluating ...") as status:
            paths = run_evaluation(design, out, data=data, progress=lambda s: status.update(f"Evaluating: {s} ..."),
                                   engine=_engine(engine), master=master)
    except VirkningError as exc:
        _fail(exc)
    console.print(f"Report: {paths['report']}")
    console.print(f"Results: {paths['results'].parent} ; manifest: {paths['manifest']}")
    console.print(f"Done in {time.perf_counter() - started:.0f} s.")


@app.command()
def monitor(
    design: Path = typer.Argument(..., help="Design file (YAML) with a monitoring section."),
    data: Optional[Path] = typer.Option(None, "--data", help="Data folder with the registration sheet, surveys and registers."),
    out: Path = typer.Option(..., "--out", help="Folder for the status reports (one folder per month)."),
    month: Optional[str] = typer.Option(None, "--month", help="One month (YYYY-MM); default every month of the programme."),
    strict: bool = typer.Option(False, "--strict", help="Refuse the registration sheet if any row breaks the guide."),
    registers: bool = typer.Option(True, "--registers/--no-registers", help="Add register-based results (employment after 13 weeks, temp jobs)."),
    engine: Optional[str] = typer.Option(None, "--engine", help=ENGINE_HELP),
    master: Optional[str] = typer.Option(None, "--master", help=MASTER_HELP),
) -> None:
    """Monthly status against the success criteria, fidelity and surveys, from the registration sheet and registers."""
    from virkning.outputs import run_monitor

    started = time.perf_counter()
    try:
        with console.status("Monitoring ...") as status:
            paths = run_monitor(design, out, data=data, month=month, strict=strict, registers=registers,
                                progress=lambda s: status.update(f"Monitoring: {s} ..."), engine=_engine(engine),
                                master=master)
    except VirkningError as exc:
        _fail(exc)
    reports = sorted(k for k in paths if k.endswith("/html"))
    console.print(f"{len(reports)} status report(s) in {out}; latest: {paths[reports[-1]] if reports else '-'}")
    console.print(f"Registration sheet problems for the job centres (not for publication): {paths['violations']}")
    console.print(f"Done in {time.perf_counter() - started:.0f} s.")


@app.command()
def demo(
    out: Path = typer.Option(Path("demo-output"), "--out", help="Folder for the synthetic data and results."),
    persons: int = typer.Option(1_190_000, "--persons", min=1000,
                                help="Number of seniors (aged 50-65) in the synthetic registers; the default, the "
                                     "Danish number, gives about 73,000 unemployed seniors and 2,600 participants."),
    seed: int = typer.Option(2018, "--seed", help="Seed of the synthetic data and of the bootstrap."),
) -> None:
    """Synthetic registers with a Seniorvikar-like programme -> evaluation with the example design (written to OUT/design.yaml)
    (report, results, figures) -> status report for the last programme month; estimates next to the truth."""
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


def main() -> None:
    try:
        app()
    except VirkningError as exc:  # pragma: no cover - commands catch their own
        err.print(f"error: {exc}")
        sys.exit(1)


if __name__ == "__main__":
    main()

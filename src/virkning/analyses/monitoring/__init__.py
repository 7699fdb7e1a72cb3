"""Monitoring of a running programme: the job centres' registration sheet checked against its guide, monthly status
against the design's success criteria, register-based results, fidelity from staff surveys and citizen surveys
(docs/monitoring.md). The same analysis shape as every other: a design-file section (`monitoring:`), a run, a
publication through the one disclosure gate, and status pages built from the shared report components.

    result = monitor(config, "data/", regs=regs, months=["2018-06"])      # raw tables, every month from the start
    outputs = publish(result, threshold)                                   # through the gate, month by month
    report = monthly_status(config, registration, regs=regs, month="2018-06")   # one protected month (API)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from virkning.analyses.base import Context, Kind, Output
from virkning.analyses.monitoring.compute import (TOTAL, MonitoringError, employment_rows, month_label, month_ordinal,
                                                  month_tables, programme_months, raw_tables, registration_summary,
                                                  step_frame)
from virkning.analyses.monitoring import inputs
from virkning.analyses.monitoring.fidelity import FidelityReport, fidelity_scores
from virkning.analyses.monitoring.publish import MonitoringResult, page_info, protect_month
from virkning.analyses.monitoring.publish import publish as _publish_months
from virkning.analyses.monitoring.registration import (Registration, RegistrationError, check_registration,
                                                       read_registration)
from virkning.analyses.monitoring.spec import MonitoringConfig, MonitoringSpec
from virkning.analyses.monitoring.surveys import read_survey, survey_table

if TYPE_CHECKING:
    from virkning.registers import Registers

__all__ = ["KIND", "MonitoringConfig", "MonitoringError", "MonitoringResult", "MonitoringSpec", "Registration",
           "RegistrationError", "StatusReport", "FidelityReport", "check_registration", "read_registration",
           "monitor", "monthly_status", "programme_months", "fidelity_scores", "survey_table", "render_status_html",
           "publish", "raw_tables", "TOTAL"]


def _resolve(data_dir: Path, name: str) -> Path:
    p = Path(name)
    return p if p.is_absolute() else data_dir / p


def _labels(config: MonitoringConfig) -> dict[str, str]:
    """Headings for the design's keys: their labels, or the key made readable (no snake_case in a heading)."""
    from virkning.analyses.monitoring.strings import humanize

    labels = {s.name: (s.label or humanize(s.name)) for s in config.funnel}
    labels.update({c.name: (c.label or humanize(c.name)) for c in config.success_criteria})
    labels.update({s.name: (s.label or humanize(s.name)) for s in config.surveys})
    return labels


def survey_population(steps: pd.DataFrame, step: str) -> dict[str, int]:
    """Per project, the citizens the registration sheet has at the survey's population step, whatever the month.
    A survey file carries no dates: it holds the answers of everyone asked so far, so its response rate is a share of
    everyone registered at the step so far (not of those registered by the report month, which would set later
    months' answers against an earlier, smaller group and give response rates above 100 %)."""
    passed = steps[steps[step] == 1]
    units = sorted(steps["unit"].unique())
    return {u: int((passed["unit"] == u).sum()) for u in units}


def _surveys(config: MonitoringConfig, data_dir: Path, steps: pd.DataFrame) -> pd.DataFrame | None:
    """All configured citizen surveys in one raw table (the same in every month's report: the file is undated)."""
    if not config.surveys:
        return None
    frames = []
    for s in config.surveys:
        pop = survey_population(steps, s.population_step) if s.population_step else None
        frames.append(survey_table(read_survey(_resolve(data_dir, s.file), s), s, pop))
    return pd.concat(frames, ignore_index=True)


FOLLOW_UP_MONTHS = 12


def _funnel_columns_present(config: MonitoringConfig, registration: Registration) -> None:
    """A funnel step whose column is missing from the sheet would count nobody: refuse instead of publishing zeros."""
    v = registration.violations
    if not len(v):
        return
    missing = set(v.loc[v["rule"] == "column missing from the header row", "column"])
    for step in config.funnel:
        for col in (step.column, step.date_column):
            if col is not None and col in missing:
                raise MonitoringError(f"{registration.source}: sheet '{registration.sheet}' has no column '{col}', "
                                      f"which funnel step '{step.name}' counts; add the column (row 1) or change "
                                      "the design's funnel")


def monitor(config: MonitoringConfig, data_dir: str | Path | None = None, *, registration: Registration | None = None,
            regs: "Registers | None" = None, months: list[str] | None = None, strict: bool = False) -> MonitoringResult:
    """The raw monthly tables of the months asked for (default every month of the programme) and of every month
    before them from the programme's start: the gate protects the months in order."""
    data_dir = Path(data_dir) if data_dir is not None else None  # without a folder: no surveys, no fidelity
    if registration is None:
        if data_dir is None:
            raise MonitoringError("give the registration sheet or the data folder that holds it")
        registration = read_registration(_resolve(data_dir, config.registration_file), config, strict=strict)
    _funnel_columns_present(config, registration)
    steps = step_frame(config, registration.data)
    if steps.empty:
        what = "has no rows" if registration.rows_read == 0 else "holds no valid citizens; see its violations"
        raise MonitoringError(f"{registration.source}: sheet '{registration.sheet}' {what}")
    all_months = programme_months(config, registration)
    wanted = [month_label(month_ordinal(m)) for m in months] if months else all_months
    lo, hi = month_ordinal(all_months[0]), month_ordinal(all_months[-1]) + FOLLOW_UP_MONTHS
    for m in wanted:
        if not lo <= month_ordinal(m) <= hi:
            raise MonitoringError(f"--month {m}: outside the programme, which runs {all_months[0]} to "
                                  f"{all_months[-1]} (status reports go up to {FOLLOW_UP_MONTHS} months past its end, "
                                  "while register outcomes mature)")
    last = max(month_ordinal(m) for m in wanted)
    first = min(month_ordinal(all_months[0]), min(month_ordinal(m) for m in wanted))
    history = [month_label(m) for m in range(first, last + 1)]
    reg_table = registration_summary(registration)
    rows = employment_rows(config, steps, regs, last) if regs is not None else None
    tables = {}
    sv = _surveys(config, data_dir, steps) if (data_dir is not None and config.surveys) else None
    for m in history:
        t = month_tables(config, steps, registration, month_ordinal(m), regs, rows)
        t["registration"] = reg_table
        if sv is not None:
            t["surveys"] = sv
        tables[m] = t
    fid = None
    if config.fidelity is not None and data_dir is not None:
        cfg = config.fidelity
        survey = inputs.read_csv(_resolve(data_dir, cfg.file), "staff survey", MonitoringError)
        sizes = None
        if cfg.sizes_file:
            sizes = _numbers(inputs.read_csv(_resolve(data_dir, cfg.sizes_file), "file of unit sizes",
                                             MonitoringError), _resolve(data_dir, cfg.sizes_file), "unit")
        outcome = None
        if cfg.outcome_file:
            outcome = _numbers(inputs.read_csv(_resolve(data_dir, cfg.outcome_file), "outcome file", MonitoringError),
                               _resolve(data_dir, cfg.outcome_file), None)
        fid = (survey, sizes, outcome)
    register_end = month_label(int(regs.panel().end_month())) if regs is not None else None
    return MonitoringResult(config=config, registration=registration, steps=steps, history=tuple(history),
                            months=tuple(wanted), tables=tables, fidelity_input=fid, labels=_labels(config),
                            register_end=register_end)


def _numbers(frame: pd.DataFrame, path, key: str | None) -> dict[str, float]:
    """unit -> number from a two-column file (unit sizes: `unit` and `population` or the last column)."""
    if key is not None and key not in frame.columns:
        raise MonitoringError(f"{path}: no column '{key}' (the file has: {', '.join(frame.columns)})")
    if len(frame.columns) < 2:
        raise MonitoringError(f"{path}: needs a unit column and a number column; it has {', '.join(frame.columns)}")
    col = "population" if key is not None and "population" in frame.columns else frame.columns[-1 if key else 1]
    units = frame[key] if key is not None else frame.iloc[:, 0]
    values = pd.to_numeric(frame[col].str.strip(), errors="coerce")
    bad = values.isna() | (values < 0)
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0]) + 2
        raise MonitoringError(f"{path}: column {col}, line {row}: '{frame[col].iloc[row - 2]}' is not a number of "
                              "0 or more")
    return dict(zip(units.astype(str).str.strip(), values))


def _fidelity(result: MonitoringResult, criteria: pd.DataFrame | None, threshold: int) -> FidelityReport | None:
    """Fidelity scores (units with fewer staff respondents than the threshold left out); the outcome of the regression
    is the published per-project value of `outcome_criterion` in the last month, or the `outcome_file`."""
    if result.fidelity_input is None:
        return None
    survey, sizes, outcome = result.fidelity_input
    cfg = result.config.fidelity
    assert cfg is not None  # fidelity_input is only set when the config has a fidelity section
    if outcome is None and cfg.outcome_criterion and criteria is not None:
        c = criteria[(criteria["criterion"] == cfg.outcome_criterion) & (criteria["period"] == "cumulative")
                     & (criteria["unit"] != TOTAL)].dropna(subset=["value"])
        outcome = dict(zip(c["unit"], c["value"].astype(float)))
    return fidelity_scores(survey, cfg, outcome=outcome, sizes=sizes, min_respondents=threshold)


def publish(result: MonitoringResult, threshold: int) -> list[Output]:
    """Every month asked for through the gate (in order from the programme's start), the fidelity tables, and the
    registration problems for the job centres (internal)."""
    outputs = _publish_months(result, threshold)
    months = [o for o in outputs if o.page]
    fid = _fidelity(result, months[-1].tables["criteria"] if months else None, threshold)
    if fid is None:
        return outputs
    out = []
    for o in outputs:
        if o.page:
            o = Output(o.kind, o.folder, o.tables, {**o.bundle, "fidelity": fid}, o.log, o.internal, o.page, o.title)
        out.append(o)
    out.append(Output(kind="monitoring", folder="fidelity", tables=fid.to_frames()))
    return out


@dataclass(frozen=True)
class StatusReport:
    """One month's protected status: the published tables and what the gate hid."""

    programme: str
    month: str
    units: list[str]
    tables: dict[str, pd.DataFrame] = field(repr=False)
    threshold: int
    labels: dict = field(default_factory=dict, repr=False)
    log: tuple[str, ...] = ()
    fidelity: FidelityReport | None = field(default=None, repr=False)
    info: dict = field(default_factory=dict, repr=False)  # sources, months, column labels, version and date

    @property
    def funnel(self) -> pd.DataFrame:
        return self.tables["funnel"]

    @property
    def criteria(self) -> pd.DataFrame:
        return self.tables["criteria"]

    @property
    def ranking(self) -> pd.DataFrame:
        return self.tables["ranking"]

    @property
    def employment(self) -> pd.DataFrame | None:
        return self.tables.get("employment")

    @property
    def surveys(self) -> pd.DataFrame | None:
        return self.tables.get("surveys")

    def to_frames(self) -> dict[str, pd.DataFrame]:
        return dict(self.tables)

    def bundle(self) -> dict:
        return {"kind": "monitoring", "programme": self.programme, "month": self.month, "threshold": self.threshold,
                "labels": self.labels, "tables": self.tables, "fidelity": self.fidelity, "info": self.info}


def monthly_status(config: MonitoringConfig, sheet: Registration | pd.DataFrame, regs: "Registers | None" = None,
                   month: str = "", data_dir: str | Path | None = None) -> StatusReport:
    """The status at the end of `month` (YYYY-MM) from a checked registration sheet (or its clean data frame),
    protected as the programme's series of reports would be (every month from the start through `month`)."""
    registration = sheet if isinstance(sheet, Registration) else Registration("", "", sheet, pd.DataFrame(), len(sheet), 0)
    if registration.data.empty:
        raise MonitoringError("the registration sheet holds no valid citizens; see its violations")
    month = month_label(month_ordinal(month))
    result = monitor(config, data_dir, registration=registration, regs=regs, months=[month])
    previous = None
    for m in result.history:
        protected, outcome, previous = protect_month(result, m, config.disclosure_threshold, previous)
    units = sorted(set(protected["funnel"]["unit"]) - {TOTAL})
    info = page_info(config, result.steps, month, result.register_end, registration.source)
    return StatusReport(config.programme, month, units, protected, config.disclosure_threshold, result.labels,
                        tuple(outcome.log), info=info)


def render_status_html(report: StatusReport, language: str = "da", synthetic: bool = False) -> tuple[str, dict]:
    """(the status page as self-contained HTML, its figures by stem) in the shared house style."""
    from virkning.analyses.monitoring.section import status_sections
    from virkning.analyses.monitoring.strings import MONITORING_UI
    from virkning.report.formatting import Formatter
    from virkning.report.render import render_document
    from virkning.report.strings import ui

    t = ui(language, MONITORING_UI)
    sections, figures = status_sections(report.bundle(), language, fidelity=report.fidelity, synthetic=synthetic)
    lead = t["mon_lead"].format(Formatter(language).month(report.month), report.threshold)
    kicker = f"{t['mon_kind']} {Formatter(language).month(report.month)}"
    html = render_document(sections, title=report.programme, kicker=kicker, language=language,
                           synthetic=synthetic, lead=lead, toc=False)
    return html, figures


def _compile(section: MonitoringSpec, root) -> MonitoringConfig:
    """The section with the design's success criteria and disclosure threshold."""
    return MonitoringConfig.model_validate({**section.model_dump(), "success_criteria": list(root.success_criteria),
                                            "disclosure_threshold": root.disclosure_threshold})


def run(design, ctx: Context) -> MonitoringResult:
    months = ctx.options.get("months")
    regs = ctx.registers if ctx.has_registers and ctx.options.get("registers", True) else None
    return monitor(design.monitoring, ctx.data, regs=regs, months=months, strict=bool(ctx.options.get("strict")))


def render(output: Output, language: str, numbering=None, synthetic: bool = False):
    from virkning.analyses.monitoring.section import status_sections

    return status_sections(dict(output.bundle), language, numbering, fidelity=output.bundle.get("fidelity"),
                           synthetic=synthetic)


KIND = Kind(key="monitoring", title=("Monitorering", "Monitoring"), spec=MonitoringSpec, section="monitoring",
            command="monitor", compile=_compile, run=run, publish=publish, render=render, requires_registers=False)

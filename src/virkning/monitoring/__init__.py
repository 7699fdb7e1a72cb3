"""Monitoring of a running programme: the job centres' registration sheet checked against its guide, monthly
status against success criteria, register-based results, fidelity from staff surveys and citizen surveys, written
as CSV tables and a self-contained HTML report per month (docs/monitoring.md).

    from virkning.monitoring import MonitoringConfig, run_monitor
    paths = run_monitor(MonitoringConfig.model_validate(cfg), "data/", "out/", month="2018-06")
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from virkning.monitoring.config import MonitoringConfig
from virkning.monitoring.fidelity import FidelityReport, fidelity_scores
from virkning.monitoring.registration import Registration, RegistrationError, read_registration
from virkning.monitoring.render import render_status_html
from virkning.monitoring.status import (
    TOTAL,
    MonitoringError,
    StatusReport,
    monthly_status,
    programme_months,
    raw_tables,
)
from virkning.monitoring.surveys import read_survey, survey_table

__all__ = ["MonitoringConfig", "Registration", "RegistrationError", "MonitoringError", "StatusReport",
           "FidelityReport", "read_registration", "monthly_status", "programme_months", "fidelity_scores",
           "survey_table", "render_status_html", "run_monitor", "fidelity_for", "surveys_for"]


def _resolve(data_dir: Path, name: str) -> Path:
    p = Path(name)
    return p if p.is_absolute() else data_dir / p


def fidelity_for(config: MonitoringConfig, data_dir: str | Path, registration: Registration | None,
                 month: str | None) -> FidelityReport | None:
    """Fidelity scores from the configured staff survey; the outcome is the per-project value of
    `outcome_criterion` at `month` (only projects whose share may be published) or the `outcome_file`."""
    cfg = config.fidelity
    if cfg is None:
        return None
    data_dir = Path(data_dir)
    survey = pd.read_csv(_resolve(data_dir, cfg.file), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    outcome = None
    if cfg.outcome_file:
        of = pd.read_csv(_resolve(data_dir, cfg.outcome_file))
        outcome = dict(zip(of.iloc[:, 0].astype(str), of.iloc[:, 1]))
    elif cfg.outcome_criterion and registration is not None and month:
        crit = monthly_status(config, registration, month=month).criteria
        c = crit[(crit["criterion"] == cfg.outcome_criterion) & (crit["period"] == "cumulative")
                 & (crit["unit"] != TOTAL)].dropna(subset=["value"])
        outcome = dict(zip(c["unit"], c["value"].astype(float)))
    sizes = None
    if cfg.sizes_file:
        sf = pd.read_csv(_resolve(data_dir, cfg.sizes_file))
        col = "population" if "population" in sf.columns else sf.columns[-1]
        sizes = dict(zip(sf["unit"].astype(str), sf[col]))
    return fidelity_scores(survey, cfg, outcome=outcome, sizes=sizes)


def surveys_for(config: MonitoringConfig, data_dir: str | Path, registration: Registration | None,
                month: str | None) -> pd.DataFrame | None:
    """All configured citizen surveys in one protected table; population = the step's cumulative count at
    `month`."""
    if not config.surveys:
        return None
    frames = []
    for s in config.surveys:
        pop = None
        if s.population_step and registration is not None and month:
            f = raw_tables(config, registration.data, month)["funnel"]
            f = f[(f["period"] == "cumulative") & (f["step"] == s.population_step) & (f["unit"] != TOTAL)]
            pop = dict(zip(f["unit"], f["persons"]))
        frames.append(survey_table(read_survey(_resolve(Path(data_dir), s.file), s), s, pop,
                                   config.disclosure_threshold))
    return pd.concat(frames, ignore_index=True)


def run_monitor(config: MonitoringConfig, data_dir: str | Path, out_dir: str | Path, month: str | None = None,
                regs=None, strict: bool = False, language: str = "da") -> dict[str, Path]:
    """Status reports for `month` (YYYY-MM) or every month of the programme, with fidelity and survey sections.

    Writes into `out_dir`: `registration_violations.csv` (for the job centres: rows to correct), `fidelity/*.csv`,
    `surveys.csv`, and per month `<YYYY-MM>/<table>.csv` and `<YYYY-MM>/status_<YYYY-MM>.html`. Returns the
    paths by key (`violations`, `fidelity_<table>`, `surveys`, `<YYYY-MM>/<table>`, `<YYYY-MM>/html`)."""
    data_dir, out = Path(data_dir), Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    registration = read_registration(_resolve(data_dir, config.registration_file), config, strict=strict)
    paths: dict[str, Path] = {}
    paths["violations"] = out / "registration_violations.csv"
    registration.violations.to_csv(paths["violations"], index=False)
    months = [month] if month else programme_months(config, registration)
    last = months[-1]
    fid = fidelity_for(config, data_dir, registration, last)
    if fid is not None:
        (out / "fidelity").mkdir(exist_ok=True)
        for name, frame in fid.to_frames().items():
            paths[f"fidelity_{name}"] = out / "fidelity" / f"{name}.csv"
            frame.to_csv(paths[f"fidelity_{name}"], index=False)
    for m in months:
        report = monthly_status(config, registration, regs=regs, month=m)
        surveys = surveys_for(config, data_dir, registration, report.month)
        report.surveys = surveys
        for name, p in report.write_csv(out / report.month).items():
            paths[f"{report.month}/{name}"] = p
        report.fidelity = fid
        paths[f"{report.month}/html"] = render_status_html(report, out / report.month, language=language)
    return paths

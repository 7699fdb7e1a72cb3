"""The portal's only door into the rest of virkning: design file, registration guide, checks, status and rendering.

Nothing else in `virkning.portal` imports `virkning.design` or `virkning.analyses.monitoring`, so when monitoring moves into
an analysis module with one disclosure gate, only this file changes. The interface:

    guide = load_guide(design_path)              # ProgrammeGuide: the checked monitoring config + the form's fields
    result = check_rows(guide, rows, sheet)      # the registration guide's rules, exactly as `virkning monitor` applies them
    raw, sheet = read_sheet(path, guide)         # an uploaded .xlsx/.csv as the monitoring reader sees it
    report = status(guide, rows, month)          # monthly status with the disclosure rules applied
    view = restrict(report, unit, show_ranking)  # what one unit may see of it
    page = render(report)                        # the report's HTML (style and body), as `virkning monitor` writes it
    danish(rule)                                 # a rule broken, in Danish, for inline messages

`rows` are plain dicts: the guide's column names -> cell text (the person column holds a pseudonym, never a CPR
number), so the checks see what a registration sheet would hold.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from virkning.design import load_design
from virkning.errors import VirkningError
from virkning.analyses.monitoring import MonitoringConfig, monthly_status, programme_months, render_status_html
from virkning.analyses.monitoring.compute import TOTAL, step_frame
from virkning.analyses.monitoring.registration import check_registration
from virkning.analyses.monitoring.registration import read_sheet as _read_sheet

__all__ = ["ProgrammeGuide", "Field", "Checked", "BridgeError", "load_guide", "check_rows", "read_sheet",
           "status", "months", "restrict", "render", "status_tables", "funnel_steps", "step_events", "danish", "TOTAL"]


class BridgeError(VirkningError):
    """The design cannot drive the portal (no monitoring section, or a layout the portal does not register)."""


@dataclass(frozen=True)
class Field:
    """One field of the registration form, from one column of the guide."""

    name: str
    label: str
    type: str  # date | bool | text | choice | int
    required: bool
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProgrammeGuide:
    """A programme's registration guide and status configuration, as the portal uses them."""

    programme: str
    person_column: str
    unit_column: str
    index_column: str
    sheet: str
    fields: tuple[Field, ...]
    threshold: int
    config: MonitoringConfig  # opaque to the rest of the portal

    def label(self, column: str) -> str:
        return next((f.label for f in self.fields if f.name == column), column)


@dataclass(frozen=True)
class Checked:
    """The guide's verdict on some rows: `errors` one dict per broken rule (row = position in `rows` + 2, as in a
    spreadsheet with a header row), `clean` row number -> the row's canonical cell texts for rows kept unchanged."""

    errors: list[dict]
    clean: dict[int, dict[str, str]]


def load_guide(design_path: str | Path) -> ProgrammeGuide:
    """Read the design file's `monitoring:` section (virkning.design.load_design checks it)."""
    design = load_design(design_path)
    config = design.monitoring
    if config is None:
        raise BridgeError(f"{design_path}: the design has no 'monitoring' section with a registration guide "
                          "(docs/monitoring.md)")
    g = config.registration
    if g.layout != "per_citizen":
        raise BridgeError(f"{design_path}: the portal registers one row per citizen (layout per_citizen); this "
                          f"guide is an {g.layout}. Upload event logs to `virkning monitor` instead.")
    fields = tuple(Field(c.name, c.label or c.name, c.type, c.required, tuple(c.values or ()))
                   for c in g.columns if c.name not in (g.person_column, g.unit_column))
    return ProgrammeGuide(programme=config.programme, person_column=g.person_column, unit_column=g.unit_column,
                          index_column=g.index_column, sheet=g.sheet, fields=fields,
                          threshold=config.disclosure_threshold, config=config)


def _frame(guide: ProgrammeGuide, rows: list[dict]) -> pd.DataFrame:
    cols = [guide.person_column, guide.unit_column, *[f.name for f in guide.fields]]
    return pd.DataFrame([{c: r.get(c, "") or "" for c in cols} for r in rows], columns=cols, dtype=object)


def _text(v) -> str:
    """A checked cell back to the text a sheet would hold (dates ISO, yes/no as ja/nej)."""
    if v is None or (isinstance(v, float) and v != v) or v is pd.NaT:
        return ""
    if isinstance(v, bool):
        return "ja" if v else "nej"
    if isinstance(v, (dt.date, dt.datetime, pd.Timestamp)):
        return v.isoformat()[:10]
    return str(v)


def check_rows(guide: ProgrammeGuide, rows: list[dict] | pd.DataFrame, sheet: str = "formular") -> Checked:
    """Apply the guide's rules (virkning.analyses.monitoring's check_registration) to rows of cell texts or a raw sheet."""
    raw = rows if isinstance(rows, pd.DataFrame) else _frame(guide, rows)
    try:
        reg = check_registration(raw, guide.config.registration, sheet)
    except VirkningError as exc:  # a key column is missing from the header: report it, keep nothing
        v = getattr(exc, "violations", None)
        errors = v.to_dict("records") if v is not None and len(v) else [
            {"sheet": sheet, "row": 1, "column": "", "value": "", "rule": str(exc), "action": "sheet refused"}]
        return Checked(errors=errors, clean={})
    errors = reg.violations.to_dict("records")
    bad = {int(e["row"]) for e in errors}
    names = [guide.person_column, guide.unit_column, *[f.name for f in guide.fields]]
    clean = {}
    for rec in reg.data.to_dict("records"):
        row = int(rec["_row"])
        if row not in bad:
            clean[row] = {c: _text(rec.get(c)) for c in names}
    return Checked(errors=errors, clean=clean)


def read_sheet(path: str | Path, guide: ProgrammeGuide) -> tuple[pd.DataFrame, str]:
    """An uploaded sheet read exactly as `virkning monitor` reads one (.xlsx: the guide's sheet; .csv: the file)."""
    return _read_sheet(path, guide.config.registration.sheet)


def status(guide: ProgrammeGuide, rows: list[dict], month: str):
    """The monthly status (funnel, criteria, ranking; disclosure rules applied) of checked rows at `month`."""
    checked = check_registration(_frame(guide, rows), guide.config.registration, "portal")
    return monthly_status(guide.config, checked, month=month)


def months(guide: ProgrammeGuide, rows: list[dict]) -> list[str]:
    """The programme's report months (first index month or `start` .. last step month or `end`)."""
    return programme_months(guide.config, check_registration(_frame(guide, rows), guide.config.registration, "portal"))


def restrict(report, unit: str, show_ranking: bool):
    """What one unit may see of a status report: its own rows and the programme total; the ranking of all units
    only where the programme shows it to units, else only the unit's own place."""
    keep = {unit, TOTAL}
    ranking = report.ranking if show_ranking else report.ranking[report.ranking["unit"] == unit]
    tables = {"funnel": report.funnel[report.funnel["unit"].isin(keep)].reset_index(drop=True),
              "criteria": report.criteria[report.criteria["unit"].isin(keep)].reset_index(drop=True),
              "ranking": ranking.reset_index(drop=True),
              "registration": report.tables["registration"].iloc[0:0]}  # the programme's sheet is not a unit's
    return replace(report, units=[unit], tables=tables)


_STYLE = re.compile(r"<style>(.*?)</style>", re.S)
_BODY = re.compile(r"<body>(.*)</body>", re.S)


def render(report) -> tuple[str, str]:
    """(css, body html) of the status report as virkning.analyses.monitoring renders it (self-contained, no scripts)."""
    text, _ = render_status_html(report, language="da")  # figures are inline in the page
    style, body = _STYLE.search(text), _BODY.search(text)
    return (style.group(1) if style else ""), (body.group(1) if body else text)


def status_tables(report) -> dict[str, list[dict]]:
    """The report's published tables as JSON-ready records (hidden cells are None)."""
    out = {}
    for name, frame in report.to_frames().items():
        f = frame.astype(object).where(frame.notna(), None)
        out[name] = f.to_dict("records")
    return out


def funnel_steps(guide: ProgrammeGuide) -> list[tuple[str, str]]:
    """(name, label) of the funnel's steps, in order."""
    return [(s.name, s.label or s.name) for s in guide.config.funnel]


def step_events(guide: ProgrammeGuide, rows: list[dict]) -> list[dict]:
    """One record per citizen and funnel step passed: position in `rows`, step, date. Passed and dated as the
    monitoring status counts steps (docs/monitoring.md): a yes/no column is passed when yes, any other column
    when filled; the date is the step's own date column, else its `date_column`, else the index date."""
    config = guide.config
    checked = check_registration(_frame(guide, rows), config.registration, "portal")
    steps = step_frame(config, checked.data)
    out = []
    for rec in steps.to_dict("records"):
        pos = int(rec["_row"]) - 2
        for step in config.funnel:
            if rec[step.name]:
                out.append({"position": pos, "step": step.name, "date": _text(rec["date_" + step.name])})
    return out


# ---- the rules' messages in Danish -------------------------------------------------------------------------------

def _da_date(text: str) -> str:
    try:
        return dt.date.fromisoformat(text).strftime("%d-%m-%Y")
    except ValueError:
        return text


def danish(rule: str, guide: ProgrammeGuide | None = None) -> str:
    """The monitoring checker's rule text in Danish (unknown texts are returned as they are)."""
    lab = (lambda c: guide.label(c)) if guide else (lambda c: c)
    r = str(rule)
    if r == "required value is empty":
        return "Skal udfyldes."
    if r.startswith("not a date"):
        return "Ikke en gyldig dato. Skriv datoen som ÅÅÅÅ-MM-DD eller DD-MM-ÅÅÅÅ."
    if r.startswith("not yes/no"):
        return "Skal være ja eller nej."
    if r == "not a whole number":
        return "Skal være et helt tal."
    m = re.fullmatch(r"not an allowed value \(allowed: (.*)\)", r)
    if m:
        return f"Ikke en tilladt værdi. Vælg en af: {m.group(1)}."
    m = re.fullmatch(r"required when '(.*)' is filled/yes", r)
    if m:
        return f"Skal udfyldes, når »{lab(m.group(1))}« er udfyldt eller ja."
    m = re.fullmatch(r"must be (on or after|after) '(.*)' \((.*)\)", r)
    if m:
        how = "samme dag som eller efter" if m.group(1) == "on or after" else "efter"
        return f"Datoen skal ligge {how} »{lab(m.group(2))}« ({_da_date(m.group(3))})."
    m = re.fullmatch(r"must be within (.*) weeks after '(.*)' \((.*)\)", r)
    if m:
        return f"Datoen skal ligge højst {m.group(1)} uger efter »{lab(m.group(2))}« ({_da_date(m.group(3))})."
    m = re.fullmatch(r"citizen registered twice in the same project \(first in row (\d+)\)", r)
    if m:
        return f"Borgeren er registreret to gange i samme projekt (første gang i række {m.group(1)})."
    if r == "column missing from the header row":
        return "Kolonnen mangler i overskriftsrækken."
    return r

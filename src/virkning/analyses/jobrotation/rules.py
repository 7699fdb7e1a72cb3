"""Job-rotation rules checked row by row against the registers (seed 003, Bilag 1 "Fakta om jobrotation").

    rotations = read_rotations(spec, "data/")         # refuses rows without ids or dates, or ending before they start
    found = check_rules(spec, rotations, regs)         # one row per broken rule: sheet row, rule, column, value, why

Rules (each with the seed's value as default, the firm-size limit only when the project declares one):

- substitute_unemployed: the substitute has a code of the unemployed states (dagpenge, kontanthjælp and activation
  under them) in each of the `min_unemployed_weeks` weeks before the start week (3 months = 13 weeks);
- min_hours: at least 10 hours a week;
- max_months: the rotation ends before the same day `max_months` months after its start (at most 12 months);
- firm_size: the firm's employees in the start year are at most the project's limit; a firm missing from the firms
  table is reported as `firm_size_unknown`;
- concurrent_support: the employee has no week with a VEU, SVU or løntilskud code during the rotation (where the
  registers show it: the shipped catalogue has SVU (661) and the løntilskud codes, but no VEU code; a project
  whose registers have one adds it to the catalogue and to `concurrent_codes`);
- substitute_found: the substitute is in the registers (otherwise the first rule cannot be checked).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from virkning.analyses.jobrotation.spec import JobRotationSpec
from virkning.analyses.monitoring.registration import _blank, parse_date, read_sheet
from virkning.analyses.programme.schedule import add_months
from virkning.errors import VirkningError
from virkning.registers import calendar

if TYPE_CHECKING:
    from virkning.registers import Registers

VIOLATION_COLUMNS = ["sheet", "row", "rule", "column", "value", "message", "substitute", "employee", "firm"]
RULES = ("substitute_found", "substitute_unemployed", "min_hours", "max_months", "firm_size", "firm_size_unknown",
         "concurrent_support")


class JobRotationError(VirkningError):
    """The job-rotation registration cannot be used: each problem names the sheet, row and column."""

    def __init__(self, problems: list[str], source: str):
        lines = [f"{source}: {len(problems)} problem(s) in the job-rotation registration:"]
        lines += [f"- {p}" for p in problems[:30]]
        if len(problems) > 30:
            lines.append(f"- ... and {len(problems) - 30} more")
        lines.append("Correct the rows and run again.")
        self.problems = problems
        super().__init__("\n".join(lines))


def read_rotations(spec: JobRotationSpec, folder: str | Path) -> pd.DataFrame:
    """The rotations: row (as the spreadsheet numbers it), employee, substitute, firm, start, end, hours, unit."""
    path = Path(folder) / spec.registration_file
    if not path.is_file():
        raise JobRotationError([f"the file {spec.registration_file} is not in the data folder {folder}"], str(path))
    raw, sheet = read_sheet(path, spec.sheet or "Jobrotation")
    c = spec.columns
    wanted = {"employee": c.employee, "substitute": c.substitute, "firm": c.firm, "start": c.start, "end": c.end,
              "hours": c.hours}
    if c.unit:
        wanted["unit"] = c.unit
    absent = [col for col in wanted.values() if col not in raw.columns]
    if absent:
        raise JobRotationError([f"sheet '{sheet}': no column {', '.join(absent)} (columns: "
                                f"{', '.join(map(str, raw.columns))}); name them under jobrotation.columns"], str(path))
    problems, rows = [], []
    for i, r in enumerate(raw.to_dict("records")):
        row = i + 2  # the header is row 1
        out: dict[str, Any] = {"sheet": sheet, "row": row}
        for key in ("employee", "substitute", "firm"):
            v = r[wanted[key]]
            if _blank(v):
                problems.append(f"sheet '{sheet}', row {row}, column '{wanted[key]}': missing")
            s = str(v).strip()
            out[key] = s[:-2] if s.endswith(".0") and s[:-2].isdigit() else s
        for key in ("start", "end"):
            d = parse_date(r[wanted[key]]) if not _blank(r[wanted[key]]) else None
            if d is None:
                problems.append(f"sheet '{sheet}', row {row}, column '{wanted[key]}': "
                                f"{'missing' if _blank(r[wanted[key]]) else repr(str(r[wanted[key]]))} is not a date "
                                "(expected YYYY-MM-DD or DD-MM-YYYY)")
            out[key] = d
        if out["start"] and out["end"] and out["end"] < out["start"]:
            problems.append(f"sheet '{sheet}', row {row}, column '{c.end}': the rotation ends {out['end']}, before it "
                            f"starts {out['start']}")
        try:
            out["hours"] = float(str(r[wanted["hours"]]).replace(",", "."))
        except ValueError:
            problems.append(f"sheet '{sheet}', row {row}, column '{c.hours}': {r[wanted['hours']]!r} is not a number "
                            "of hours a week")
            out["hours"] = None
        if out.get("hours") is not None and out["hours"] != out["hours"]:
            problems.append(f"sheet '{sheet}', row {row}, column '{c.hours}': missing")
        out["unit"] = str(r[wanted["unit"]]).strip() if c.unit else ""
        rows.append(out)
    if problems:
        raise JobRotationError(problems, str(path))
    return pd.DataFrame(rows, columns=["sheet", "row", "employee", "substitute", "firm", "start", "end", "hours",
                                       "unit"])


def read_firms(spec: JobRotationSpec, folder: str | Path) -> pd.DataFrame | None:
    """The firms table (firm_id, year, employees) of the data contract, or None when the design names none."""
    if spec.firms_file is None:
        return None
    path = Path(folder) / spec.firms_file
    if not path.is_file():
        return None
    f = pd.read_csv(path, dtype=str, keep_default_na=False) if path.suffix != ".parquet" else pd.read_parquet(path)
    missing = [c for c in ("firm_id", "year", "employees") if c not in f.columns]
    if missing:
        raise JobRotationError([f"{spec.firms_file}: missing column(s) {', '.join(missing)}; the firms table has "
                                "firm_id, year, employees"], str(path))
    f = f.astype({"firm_id": str})
    f["year"] = pd.to_numeric(f["year"], errors="coerce")
    f["employees"] = pd.to_numeric(f["employees"], errors="coerce")
    return f


def concurrent_codes(spec: JobRotationSpec, regs: "Registers") -> dict[str, list[str]]:
    """Support -> codes: the design's, or the catalogue's codes whose labels name SVU, VEU or løntilskud."""
    if spec.rules.concurrent_codes is not None:
        return {k: list(v) for k, v in spec.rules.concurrent_codes.items()}
    t = regs.catalogue.table
    label = t["label"].str.lower()
    return {"VEU": sorted(t.loc[label.str.contains(r"\bveu\b"), "code"]),
            "SVU": sorted(t.loc[label.str.contains(r"\bsvu\b"), "code"]),
            "løntilskud": sorted(t.loc[label.str.contains("løntilskud"), "code"])}


def _violation(r: dict, rule: str, column: str, value, message: str) -> dict:
    return {"sheet": r["sheet"], "row": r["row"], "rule": rule, "column": column, "value": value, "message": message,
            "substitute": r["substitute"], "employee": r["employee"], "firm": r["firm"]}


def check_rules(spec: JobRotationSpec, rotations: pd.DataFrame, regs: "Registers | None",
                firms: pd.DataFrame | None) -> pd.DataFrame:
    """One row per broken rule (VIOLATION_COLUMNS), in sheet-row order."""
    rules, c = spec.rules, spec.columns
    out: list[dict] = []
    recs = rotations.to_dict("records")
    for r in recs:
        if r["hours"] < rules.min_hours:
            out.append(_violation(r, "min_hours", c.hours, r["hours"], f"the substitute works {r['hours']:g} hours a "
                                  f"week; at least {rules.min_hours:g} are required"))
        if r["end"] >= add_months(r["start"], rules.max_months):
            out.append(_violation(r, "max_months", c.end, r["end"].isoformat(), f"the rotation lasts from "
                                  f"{r['start']} to {r['end']}, longer than {rules.max_months} months"))
        if rules.max_employees is not None:
            size = None
            if firms is not None:
                f = firms[(firms["firm_id"] == r["firm"]) & (firms["year"] == r["start"].year)]
                size = float(f["employees"].iloc[0]) if len(f) else None
            if size is None:
                out.append(_violation(r, "firm_size_unknown", c.firm, r["firm"], f"the firms table has no employees "
                                      f"for firm {r['firm']} in {r['start'].year}"))
            elif size > rules.max_employees:
                out.append(_violation(r, "firm_size", c.firm, r["firm"], f"the firm had {size:g} employees in "
                                      f"{r['start'].year}; the project's limit is {rules.max_employees}"))
    if regs is not None and recs:
        out += _register_rules(spec, rotations, regs)
    frame = pd.DataFrame(out, columns=VIOLATION_COLUMNS)
    order = {r: i for i, r in enumerate(RULES)}
    frame["_o"] = frame["rule"].map(order)
    return frame.sort_values(["row", "_o"], kind="stable").drop(columns="_o").reset_index(drop=True)


def _register_rules(spec: JobRotationSpec, rotations: pd.DataFrame, regs: "Registers") -> list[dict]:
    rules, c = spec.rules, spec.columns
    panel = regs.panel()
    out: list[dict] = []
    found = panel.keys(rotations["substitute"].to_numpy()) >= 0
    starts = pd.to_datetime(rotations["start"])
    weeks = calendar.date_weeks(starts)
    names = [f"weeks_{s}_{rules.min_unemployed_weeks}w" for s in dict.fromkeys(rules.unemployed_states)]
    pairs = pd.DataFrame({"person_id": rotations["substitute"].to_numpy()[found], "index_week": weeks[found],
                          "index_date": starts.to_numpy()[found]})
    unemployed = np.zeros(len(rotations))
    if len(pairs):
        cov = panel.covariates(pairs, names)
        unemployed[found] = cov[names].fillna(0).to_numpy(dtype=float).sum(axis=1)
    recs = rotations.to_dict("records")
    for i, r in enumerate(recs):
        if not found[i]:
            out.append(_violation(r, "substitute_found", c.substitute, r["substitute"], "the substitute is not in the "
                                  "registers; unemployment before the start cannot be checked"))
        elif unemployed[i] < rules.min_unemployed_weeks:
            out.append(_violation(r, "substitute_unemployed", c.substitute, r["substitute"],
                                  f"the substitute was unemployed ({', '.join(rules.unemployed_states)}) "
                                  f"{unemployed[i]:.0f} of the {rules.min_unemployed_weeks} weeks before the start"))
    if rules.concurrent:
        codes = concurrent_codes(spec, regs)
        support = {code: name for name, cs in codes.items() for code in cs}
        lo = int(calendar.date_weeks(starts).min())
        hi = int(calendar.date_weeks(pd.to_datetime(rotations["end"])).max())
        weeks_of = panel.benefit_rows(rotations["employee"].to_numpy(), sorted(support), lo, hi)
        by_person = {p: g for p, g in weeks_of.groupby("person_id")}
        for r in recs:
            g = by_person.get(r["employee"])
            if g is None:
                continue
            w0, w1 = calendar.date_week(r["start"]), calendar.date_week(r["end"])
            hit = g[(g["wk"] >= w0) & (g["wk"] <= w1)]
            if len(hit):
                kinds = sorted({support[x] for x in hit["code"]})
                out.append(_violation(r, "concurrent_support", c.employee, r["employee"],
                                      f"the employee has {', '.join(kinds)} in {len(hit)} week(s) of the rotation "
                                      f"(codes {', '.join(sorted(set(hit['code'])))})"))
    return out


def summary(rotations: pd.DataFrame, violations: pd.DataFrame, spec: JobRotationSpec) -> pd.DataFrame:
    """Rotations checked and broken per rule (counts of rotations, for publication through the gate)."""
    rules = [r for r in RULES if r not in ("firm_size", "firm_size_unknown") or spec.rules.max_employees is not None]
    rows = [{"rule": "rotations", "rotations": len(rotations)}]
    for rule in rules:
        rows.append({"rule": rule, "rotations": int(violations.loc[violations["rule"] == rule, "row"].nunique())})
    rows.append({"rule": "any", "rotations": int(violations["row"].nunique())})
    return pd.DataFrame(rows, columns=["rule", "rotations"])


def rotation_months(start: dt.date, end: dt.date) -> int:
    """Months from the start month to the end month (0 when both lie in one month)."""
    return calendar.date_month(end) - calendar.date_month(start)

"""The job centres' registration sheet: read it (.xlsx or .csv), check it against the guide, keep what is valid.

Every broken rule becomes one row of the violations table with the sheet, the row number as the spreadsheet shows
it (header = row 1, first citizen = row 2), the column, the value and the rule. A row without a usable citizen,
project or index date is dropped; any other invalid cell is blanked and the row kept. With `strict=True` any
violation raises `RegistrationError` instead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from pathlib import Path

import pandas as pd

from virkning.errors import VirkningError
from virkning.analyses.monitoring.spec import Column, MonitoringConfig, RegistrationGuide

VIOLATION_COLUMNS = ["sheet", "row", "column", "value", "rule", "action"]
_DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y", "%Y/%m/%d")


class RegistrationError(VirkningError):
    """The registration sheet breaks the guide (raised in strict mode, or when it cannot be read at all)."""

    def __init__(self, message: str, violations: pd.DataFrame | None = None):
        self.violations = violations if violations is not None else pd.DataFrame(columns=VIOLATION_COLUMNS)
        if violations is not None and len(violations):
            lines = [message] + [f"- {_describe(r)}" for r in violations.head(20).to_dict("records")]
            if len(violations) > 20:
                lines.append(f"- ... and {len(violations) - 20} more")
            lines.append("Correct the sheet and run again, or run without strict to keep the valid rows.")
            message = "\n".join(lines)
        super().__init__(message)


def _describe(v: dict) -> str:
    val = "" if v.get("value") in (None, "") else f" (value '{v['value']}')"
    return f"sheet '{v['sheet']}', row {v['row']}, column '{v['column']}'{val}: {v['rule']}"


@dataclass
class Registration:
    """A checked registration sheet: `data` has one row per citizen and project with typed columns."""

    source: str
    sheet: str
    data: pd.DataFrame
    violations: pd.DataFrame
    rows_read: int
    rows_dropped: int
    events: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.violations.empty

    def messages(self) -> list[str]:
        return [_describe(v) for v in self.violations.to_dict("records")]


# ---- parsing ---------------------------------------------------------------------------------------------------

def _blank(v) -> bool:
    if v is None:
        return True
    if isinstance(v, str):
        return v.strip() == ""
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


DATE_RANGE = (dt.date(1990, 1, 1), dt.date(2060, 12, 31))


def parse_date(v) -> dt.date | None:
    """A cell -> date; None if it is not a date. Excel dates arrive as datetime, text in several Danish forms."""
    if isinstance(v, pd.Timestamp):
        return v.date()
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    s = str(v).strip()
    if " " in s and s[:10].count("-") == 2:  # '2018-03-01 00:00:00'
        s = s[:10]
    for f in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(s, f).date()
        except ValueError:
            continue
    return None


def _parse_cell(col: Column, v, guide: RegistrationGuide):
    """(value, rule broken or None)."""
    if col.type == "date":
        d = parse_date(v)
        if d is None:
            return None, "not a date (expected YYYY-MM-DD or DD-MM-YYYY)"
        if not DATE_RANGE[0] <= d <= DATE_RANGE[1]:  # a fixed window keeps the check independent of the run's date
            return None, f"implausible date (outside {DATE_RANGE[0]:%Y} to {DATE_RANGE[1]:%Y}; a typo in the year?)"
        return d, None
    if col.type == "bool":
        s = str(v).strip().lower()
        if isinstance(v, bool):
            return v, None
        if s.endswith(".0"):
            s = s[:-2]
        if s in [t.lower() for t in guide.true_values]:
            return True, None
        if s in [f.lower() for f in guide.false_values]:
            return False, None
        return None, "not yes/no (allowed: ja, nej)"
    if col.type == "int":
        try:
            f = float(str(v).strip().replace(",", "."))
        except ValueError:
            return None, "not a whole number"
        if f != int(f):
            return None, "not a whole number"
        return int(f), None
    if col.type == "choice":
        s = str(v).strip()
        allowed = {a.lower(): a for a in col.values or []}
        if s.lower() in allowed:
            return allowed[s.lower()], None
        return None, f"not an allowed value (allowed: {', '.join(col.values or [])})"
    s = str(v).strip()
    if s.endswith(".0") and s[:-2].isdigit():
        s = s[:-2]
    return s, None


def read_sheet(path: str | Path, sheet: str) -> tuple[pd.DataFrame, str]:
    """The raw sheet (every cell as read, header in row 1) and the sheet name used in messages."""
    from virkning.analyses.monitoring import inputs

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        frame = inputs.read_workbook(path, sheet, "registration sheet", RegistrationError)
        name = sheet
    elif suffix == ".csv":
        frame = inputs.read_csv(path, "registration sheet", RegistrationError)
        name = path.name
    else:
        raise RegistrationError(f"{path}: a registration sheet must be .xlsx or .csv")
    frame.columns = [str(c).strip() for c in frame.columns]
    if len(frame):
        frame = frame.loc[[not all(_blank(x) for x in row) for row in frame.to_numpy()]]
    return frame, name


# ---- checking --------------------------------------------------------------------------------------------------

class _Log:
    def __init__(self, sheet: str):
        self.sheet = sheet
        self.rows: list[dict] = []

    def add(self, row: int, column: str, value, rule: str, action: str) -> None:
        shown = "" if _blank(value) else (value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else str(value))
        self.rows.append({"sheet": self.sheet, "row": int(row), "column": column, "value": shown, "rule": rule,
                          "action": action})

    def frame(self) -> pd.DataFrame:
        f = pd.DataFrame(self.rows, columns=VIOLATION_COLUMNS)
        return f.sort_values(["row", "column"], kind="stable").reset_index(drop=True) if len(f) else f


def _check_per_citizen(raw: pd.DataFrame, guide: RegistrationGuide, log: _Log) -> pd.DataFrame:
    columns = [Column(name=guide.person_column, type="text", required=True),
               Column(name=guide.unit_column, type="text", required=True)]
    columns += [c for c in guide.columns if c.name not in (guide.person_column, guide.unit_column)]
    key = {guide.person_column, guide.unit_column, guide.index_column}
    present = set(raw.columns)
    missing_cols = [c.name for c in columns if c.name not in present]
    for name in missing_cols:
        log.add(1, name, None, "column missing from the header row", "column ignored")
    if any(name in key for name in missing_cols):
        raise RegistrationError(f"sheet '{log.sheet}': the citizen, project or index column is missing", log.frame())
    out_rows = []
    dropped = 0
    # rows of the frame's array hold the very values iterrows would give, without a Series per row
    where = {c.name: raw.columns.get_loc(c.name) for c in columns if c.name not in missing_cols}
    for pos, cells in enumerate(raw.to_numpy()):
        row_no = pos + 2
        rec: dict[str, Any] = {"_row": row_no}
        drop = False
        for col in columns:
            if col.name in missing_cols:
                rec[col.name] = None
                continue
            v = cells[where[col.name]]
            if _blank(v):
                rec[col.name] = None
                if col.required or col.name in key:
                    drop = drop or col.name in key
                    log.add(row_no, col.name, None, "required value is empty",
                            "row dropped" if col.name in key else "row kept")
                continue
            val, err = _parse_cell(col, v, guide)
            if err:
                drop = drop or col.name in key
                log.add(row_no, col.name, v, err, "row dropped" if col.name in key else "cell ignored")
            rec[col.name] = val
        if drop:
            dropped += 1
            continue
        out_rows.append(rec)
    data = pd.DataFrame(out_rows, columns=["_row", *[c.name for c in columns]])
    rows = data["_row"].tolist()
    # conditional requirements
    for rule in guide.required_if:
        for row_no, cond, v in zip(rows, data[rule.when].tolist(), data[rule.column].tolist()):
            if (cond is True or (cond is not None and cond is not False and not _blank(cond))) and _blank(v):
                log.add(row_no, rule.column, None, f"required when '{rule.when}' is filled/yes", "row kept")
    # date rules
    for drule in guide.date_rules:
        for i, row_no, a, b in zip(data.index, rows, data[drule.column].tolist(), data[drule.after].tolist()):
            if a is None or b is None or _blank(a) or _blank(b):
                continue
            gap = (a - b).days
            if gap < 0 or (drule.strictly and gap == 0):
                log.add(row_no, drule.column, a, f"must be {'after' if drule.strictly else 'on or after'} "
                        f"'{drule.after}' ({b.isoformat()})", "cell ignored")
                data.at[i, drule.column] = None
            elif drule.within_weeks is not None and gap > drule.within_weeks * 7:
                log.add(row_no, drule.column, a, f"must be within {drule.within_weeks:g} weeks after "
                        f"'{drule.after}' ({b.isoformat()})", "cell ignored")
                data.at[i, drule.column] = None
    # one row per citizen and project
    if guide.unique_person and len(data):
        dup = data.duplicated([guide.person_column, guide.unit_column], keep="first")
        first: dict[tuple, int] = {}
        for person, unit, row_no, again in zip(data[guide.person_column].tolist(), data[guide.unit_column].tolist(),
                                               rows, dup.tolist()):
            first.setdefault((person, unit), row_no)
            if again:
                log.add(row_no, guide.person_column, person, "citizen registered twice in the same project "
                        f"(first in row {first[person, unit]})", "row dropped")
        data = data.loc[~dup]
    data.attrs["dropped"] = dropped + int(len(out_rows) - len(data))
    return data


def _check_event_log(raw: pd.DataFrame, guide: RegistrationGuide, log: _Log) -> tuple[pd.DataFrame, pd.DataFrame]:
    need = [guide.person_column, guide.unit_column, guide.event_column, guide.date_column]
    missing_cols = [c for c in need if c not in raw.columns]
    for name in missing_cols:
        log.add(1, name, None, "column missing from the header row", "sheet refused")
    if missing_cols:
        raise RegistrationError(f"sheet '{log.sheet}': the event log lacks columns", log.frame())
    allowed = {e.lower(): e for e in (guide.events or [])}
    rows = []
    where = {c: raw.columns.get_loc(c) for c in need}
    for pos, cells in enumerate(raw.to_numpy()):
        row_no = pos + 2
        bad = False
        rec: dict[str, Any] = {"_row": row_no}
        for c in (guide.person_column, guide.unit_column, guide.event_column):
            v = cells[where[c]]
            if _blank(v):
                log.add(row_no, c, None, "required value is empty", "row dropped")
                bad = True
            rec[c] = None if _blank(v) else str(v).strip()
        ev = rec[guide.event_column]
        if ev is not None and allowed:
            if ev.lower() not in allowed:
                log.add(row_no, guide.event_column, ev, f"not an allowed event (allowed: {', '.join(guide.events or [])})",
                        "row dropped")
                bad = True
            else:
                rec[guide.event_column] = allowed[ev.lower()]
        d = cells[where[guide.date_column]]
        if _blank(d):
            log.add(row_no, guide.date_column, None, "required value is empty", "row dropped")
            bad = True
        else:
            rec[guide.date_column] = parse_date(d)
            if rec[guide.date_column] is None:
                log.add(row_no, guide.date_column, d, "not a date (expected YYYY-MM-DD or DD-MM-YYYY)", "row dropped")
                bad = True
        if not bad:
            rows.append(rec)
    events = pd.DataFrame(rows, columns=["_row", *need[:3], guide.date_column])
    keys = [guide.person_column, guide.unit_column]
    firsts = (events.sort_values([*keys, guide.date_column, "_row"])
              .groupby([*keys, guide.event_column], sort=False).first().reset_index())
    wide_date = firsts.pivot(index=keys, columns=guide.event_column, values=guide.date_column)
    wide_row = firsts.pivot(index=keys, columns=guide.event_column, values="_row")
    data = wide_date.reset_index()
    data.columns.name = None
    idx = guide.index_event
    if idx not in data.columns:
        data[idx] = None
    no_index = data[idx].isna()
    if no_index.any():
        event_rows: dict[tuple, list] = {}
        for key, row_no in zip(zip(events[keys[0]].tolist(), events[keys[1]].tolist()), events["_row"].tolist()):
            event_rows.setdefault(key, []).append(row_no)
        for key in zip(data.loc[no_index, keys[0]].tolist(), data.loc[no_index, keys[1]].tolist()):
            for row_no in event_rows.get(key, []):
                log.add(row_no, guide.event_column, None, f"citizen has no '{idx}' event in this project",
                        "row dropped")
    data = data.loc[~no_index].copy()
    rowmap = wide_row.reset_index()
    data["_row"] = rowmap.loc[data.index, idx].astype(int).to_numpy() if len(data) else []
    for rule in guide.date_rules:
        if rule.column not in data.columns or rule.after not in data.columns:
            continue
        for i, person, unit, a, b in zip(data.index, data[keys[0]].tolist(), data[keys[1]].tolist(),
                                         data[rule.column].tolist(), data[rule.after].tolist()):
            if _blank(a) or _blank(b):
                continue
            gap = (a - b).days
            broken = gap < 0 or (rule.strictly and gap == 0) or (rule.within_weeks is not None and gap > rule.within_weeks * 7)
            if broken:
                row_no = int(wide_row.loc[(person, unit), rule.column])
                words = (f"within {rule.within_weeks:g} weeks after" if gap >= 0 and rule.within_weeks is not None
                         else ("after" if rule.strictly else "on or after"))
                log.add(row_no, rule.column, a, f"must be {words} '{rule.after}' ({b.isoformat()})", "event ignored")
                data.at[i, rule.column] = None
    data.attrs["dropped"] = int(len(raw) - len(rows))
    return data.reset_index(drop=True), events


def check_registration(raw: pd.DataFrame, guide: RegistrationGuide, sheet: str, source: str = "",
                       strict: bool = False) -> Registration:
    """Check a raw sheet (as read, all cells untyped) against the guide."""
    log = _Log(sheet)
    events = None
    if guide.layout == "per_citizen":
        data = _check_per_citizen(raw, guide, log)
    else:
        data, events = _check_event_log(raw, guide, log)
    violations = log.frame()
    if strict and len(violations):
        raise RegistrationError(f"{len(violations)} violation(s) of the registration guide in '{source or sheet}':",
                                violations)
    dropped = int(data.attrs.get("dropped", 0))
    data = data.reset_index(drop=True)
    data.attrs = {}
    return Registration(source=str(source), sheet=sheet, data=data, violations=violations, rows_read=int(len(raw)),
                        rows_dropped=dropped, events=events)


def read_registration(path: str | Path, config: MonitoringConfig | RegistrationGuide, strict: bool = False) -> Registration:
    """Read and check the registration sheet at `path` (.xlsx: the guide's sheet; .csv: the whole file)."""
    guide = config.registration if isinstance(config, MonitoringConfig) else config
    raw, name = read_sheet(path, guide.sheet)
    return check_registration(raw, guide, name, source=str(path), strict=strict)


def write_violations(reg: Registration, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    reg.violations.to_csv(path, index=False)
    return path

"""The audit of the spreadsheet renderings (`virkning/spreadsheets.py`): the workbook and the Danish-dialect CSVs.

They add no number of their own: each sheet of a workbook and each `<name>.excel-da.csv` must equal, cell for cell,
a standard CSV of the same folder, which the rest of the audit reads and attacks. So this reader only proves the
equality, from the files alone: the workbook's first sheet lists each sheet's CSV (below a row holding the keys
`sheet` and `file`); a sheet it does not list, a listed file that is missing, a different shape or any differing
cell is a finding. An empty cell must be an empty field; a number must equal the field's number, exactly or rounded
to Excel's 15 significant digits (as the workbook stores it); text must equal the field.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from virkning.disclosure.audit import Finding, _System

XLSX_SUFFIX = ".xlsx"
EXCEL_DA_SUFFIX = ".excel-da.csv"  # as virkning.spreadsheets writes them (kept here: the audit imports no writer)


def _fields(text: str, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _same(cell, field: str, decimal: str = ".") -> bool:
    """A rendered cell against the standard CSV's field."""
    if cell is None or cell == "":
        return field == ""
    if isinstance(cell, bool):
        return field == str(cell)
    if isinstance(cell, (int, float)):
        try:
            value = float(field)
        except ValueError:
            return False
        # the workbook holds Excel's 15 significant digits of the CSV's number, exactly
        return math.isfinite(value) and float(cell) in (value, float(f"{value:.15g}"))
    if decimal != ".":  # a Danish-dialect field: text, or a number with a decimal comma
        return cell == field or cell == field.replace(".", decimal)
    return str(cell) == field


def _blank(row) -> bool:
    return all(v is None or v == "" for v in row)


def _compare(s: _System, rel: str, what: str, rows, fields: list[list[str]], decimal: str = ".") -> None:
    rows = [list(r) for r in rows]
    while rows and _blank(rows[-1]):  # a table without columns has an empty line, a sheet nothing
        rows.pop()
    fields = list(fields)
    while fields and _blank(fields[-1]):
        fields.pop()
    if len(rows) != len(fields):
        s.findings.append(Finding(rel, what, f"has {len(rows) - 1} rows; the CSV has {len(fields) - 1}"))
        return
    for i, (got, want) in enumerate(zip(rows, fields)):
        while got and (got[-1] is None or got[-1] == "") and len(got) > len(want):
            got.pop()  # a sheet's rows may be padded, or short where the last cells are empty
        got += [None] * (len(want) - len(got)) if all(f == "" for f in want[len(got):]) else []
        if len(got) != len(want):
            s.findings.append(Finding(rel, f"{what} row {i + 1}", f"has {len(got)} cells; the CSV has {len(want)}"))
            return
        if i == 0:
            continue  # headers: translated in the workbook
        for j, (c, f) in enumerate(zip(got, want)):
            if not _same(c, f, decimal):
                s.findings.append(Finding(rel, f"{what} row {i + 1}, column {j + 1}",
                                          f"shows {c!r} where the CSV has {f!r}: not the audited table"))


def _workbook(s: _System, folder: Path, path: Path) -> None:
    from openpyxl import load_workbook

    rel = str(path.relative_to(folder))
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # any damage: the audit cannot read what a reader may see
        s.findings.append(Finding(rel, "the file", f"cannot be read as a workbook ({type(exc).__name__})"))
        return
    try:
        index, *sheets = wb.worksheets
        listed: dict[str, str] = {}
        rows = list(index.iter_rows(values_only=True))
        start = next((i for i, r in enumerate(rows) if "sheet" in r and "file" in r), None)
        if start is not None:  # the list: sheet in column A, its CSV (relative to the workbook) in column B
            for r in rows[start + 1:]:
                if len(r) < 2 or r[0] is None or r[1] is None:
                    break
                listed[str(r[0])] = str(r[1])
        for ws in sheets:
            where = f"sheet '{ws.title}'"
            target = listed.get(ws.title)
            if target is None:
                s.findings.append(Finding(rel, where, "is not listed on the first sheet with its CSV file"))
                continue
            csv_path = (path.parent / target).resolve()
            if folder.resolve() not in csv_path.parents or not csv_path.is_file() or "internal" in Path(target).parts:
                s.findings.append(Finding(rel, where, f"names {target}, not a published CSV of the folder"))
                continue
            fields = _fields(csv_path.read_text(encoding="utf-8"))
            _compare(s, rel, where, ws.iter_rows(values_only=True), fields)
    finally:
        wb.close()


def _excel_da(s: _System, folder: Path, path: Path) -> None:
    rel = str(path.relative_to(folder))
    twin = path.with_name(path.name[: -len(EXCEL_DA_SUFFIX)] + ".csv")
    if not twin.is_file():
        s.findings.append(Finding(rel, "the file", f"has no standard CSV {twin.name} beside it to be audited"))
        return
    got = _fields(path.read_bytes().decode("utf-8-sig"), ";")
    want = _fields(twin.read_text(encoding="utf-8"))
    _compare(s, rel, "the table", got, want, decimal=",")


def read_all(s: _System, folder: Path, files: list[Path]) -> None:
    for path in files:
        if path.suffix == XLSX_SUFFIX:
            _workbook(s, folder, path)
        elif path.name.endswith(EXCEL_DA_SUFFIX):
            _excel_da(s, folder, path)

"""The published tables in the formats analysts open in Excel: one workbook, and CSV in Danish Excel's dialect.

    add_spreadsheets(files, title=..., design_name=..., threshold=5, language="da", csv_dialect="excel-da")

Both are renderings of the CSV files already in `files` (the tables the disclosure gate passed), made from the CSV
text itself rather than from the data frames, so they cannot show a number the CSVs do not: every cell is the CSV
field read back (empty stays empty: withheld or not applicable, as in the CSVs; whole-number literals become
integers, decimal literals floats at Excel's precision of 15 significant digits, True/False booleans, anything
else text). The disclosure audit checks that claim independently (`disclosure/audit_spreadsheets.py`: each sheet
and each Danish CSV must equal its CSV cell for cell).

- `tables.xlsx` (the workbook, written by default): a first sheet saying what the workbook is, then one sheet per
  published CSV in file order, headers in the design's language. Numbers are stored as published (to Excel's 15
  significant digits) and shown rounded by a number format (counts `#,##0`, other numbers three decimals), so
  Excel computes with the published numbers. The bytes are deterministic: openpyxl stamps the save time into
  docProps/core.xml and each zip entry; both are replaced by the workbook's date (see `run_date`).
- `<name>.excel-da.csv` beside each `<name>.csv` (on request: design `outputs: {csv_dialect: excel-da}` or
  `--csv-dialect excel-da`): `;` between fields, decimal comma, UTF-8 with a byte-order mark and CRLF line ends, which
  Danish Excel opens by double-click with the columns split and the numbers as numbers. The standard CSVs stay as
  they are: results.json, the tests, the audit and other programs read them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from virkning.dating import today_or_source_date

WORKBOOK = "tables.xlsx"
DIALECTS = ("standard", "excel-da")
EXCEL_DA_SUFFIX = ".excel-da.csv"
INDEX_SHEET = {"da": "Om tabellerne", "en": "About"}
# header of the list of sheets on the first sheet: the audit finds the sheet -> CSV map by these words
INDEX_HEADER = ("sheet", "file")
# numbers as pandas writes them; a leading zero ('0851', a municipality code) makes a field text
_INT = re.compile(r"-?(0|[1-9]\d*)")
_NUMBER = re.compile(r"-?((0|[1-9]\d*)(\.\d*)?|\.\d+)([eE][-+]?\d+)?")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
COUNT_FORMAT, NUMBER_FORMAT = "#,##0", "#,##0.000"
CSV_DIALECT_HELP = ("standard or excel-da. excel-da also writes each table as <name>.excel-da.csv beside its CSV, "
                    "for Danish Excel (';', decimal comma, UTF-8 with BOM). Default: the design's "
                    "outputs.csv_dialect, else standard. docs/outputs.md.")
WORKBOOK_HELP = ("tables.xlsx: every published table on a sheet of its own, Danish or English headers (default: "
                 "written, unless the design says outputs.workbook: false).")


def count_column(name: str) -> bool:
    """A column of counts of persons (or pairs, weeks, rows): whole values there are published as integers."""
    from virkning.outputs import COUNT_COLUMNS

    return name in COUNT_COLUMNS or name.startswith(("n_", "at_risk")) or name in ("Control", "Treated")


# ---- reading the CSV text back --------------------------------------------------------------------------------------

def read_fields(data: bytes) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a standard CSV as text fields, exactly as written."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    return (rows[0], rows[1:]) if rows else ([], [])


def column_kind(name: str, values: Iterable[str]) -> str:
    """How the fields of one column are stored: int, float, bool or text (empty fields do not count)."""
    shown = [v for v in values if v != ""]
    if not shown:
        return "text"
    if all(_INT.fullmatch(v) for v in shown):
        return "int"
    if all(_NUMBER.fullmatch(v) for v in shown):
        whole = all(float(v).is_integer() for v in shown)
        return "int" if whole and count_column(name) else "float"
    if all(v in ("True", "False") for v in shown):
        return "bool"
    return "text"


def excel_float(value: str) -> float:
    """A decimal field as Excel holds it: rounded to 15 significant digits."""
    return float(f"{float(value):.15g}")


def typed(value: str, kind: str):
    """One field as the workbook stores it; None for an empty field."""
    if value == "":
        return None
    if kind == "int":
        return int(float(value)) if not _INT.fullmatch(value) else int(value)
    if kind == "float":  # Excel's precision: 15 significant digits (openpyxl writes 16, which would cut the CSV's
        return excel_float(value)  # 17 at an arbitrary place; this rounding survives the round trip exactly)
    if kind == "bool":
        return value == "True"
    return value


# ---- the Danish Excel dialect ---------------------------------------------------------------------------------------

def excel_da_bytes(data: bytes) -> bytes:
    """A standard CSV in Danish Excel's dialect: `;`, decimal comma on number fields only (text such as '2018-W05'
    or 'p < 0.001' is left as written), UTF-8 with BOM, CRLF."""
    header, rows = read_fields(data)
    kinds = [column_kind(h, (r[i] for r in rows)) for i, h in enumerate(header)]
    out = io.StringIO(newline="")
    w = csv.writer(out, delimiter=";", lineterminator="\r\n")
    w.writerow(header)
    for r in rows:
        w.writerow([v.replace(".", ",") if k in ("int", "float") else v for v, k in zip(r, kinds)])
    return out.getvalue().encode("utf-8-sig")


# ---- the workbook ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class About:
    """What the first sheet says."""

    title: str
    design_name: str
    date: dt.date
    version: str
    threshold: int
    language: str
    synthetic: bool = False


def run_date() -> dt.date:
    """The workbook's date: SOURCE_DATE_EPOCH when set (the reproducible-builds convention, for byte-identical
    reruns on another day), else today (UTC). Same inputs on the same day give the same bytes."""
    return today_or_source_date()


def sheet_names(paths: Sequence[str], reserved: str) -> list[str]:
    """Excel sheet names for the CSV paths: the file stem when all tables share one folder, else 'folder stem';
    at most 31 characters, no []:*?/\\, unique ignoring case (Excel's rules)."""
    folders = {p.rpartition("/")[0] for p in paths}
    used = {reserved.lower()}
    names = []
    for p in paths:
        folder, _, file = p.rpartition("/")
        stem = file[:-4] if file.endswith(".csv") else file
        base = _BAD_SHEET_CHARS.sub("_", stem if len(folders) == 1 or not folder else f"{folder} {stem}")[:31]
        name, k = base, 2
        while name.lower() in used:
            name = f"{base[:31 - len(str(k)) - 1]}~{k}"
            k += 1
        used.add(name.lower())
        names.append(name)
    return names


def workbook_bytes(tables: Sequence[tuple[str, bytes]], about: About) -> bytes:
    """The workbook of the CSV tables (path, standard CSV bytes), in the order given, with its first sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    from virkning.spreadsheet_labels import TEXT, header, table_title

    lang = about.language
    words = {k: v[lang == "en"] for k, v in TEXT.items()}
    bold = Font(bold=True)
    wb = Workbook()
    index = wb.active
    index.title = INDEX_SHEET[lang]
    names = sheet_names([p for p, _ in tables], index.title)
    parsed = [read_fields(data) for _, data in tables]

    index.append([about.title])
    index["A1"].font = Font(bold=True, size=14)
    facts = [(words["design"], about.design_name), (words["date"], about.date),
             (words["version"], f"virkning {about.version}"), (words["threshold"], about.threshold),
             (words["withheld"], words["withheld_text"].format(about.threshold)),
             (words["numbers"], words["numbers_text"]), (words["headers"], words["headers_text"])]
    if about.synthetic:
        facts.insert(1, (words["synthetic"], words["synthetic_text"]))
    index.append([])
    for k, v in facts:
        index.append([k, v])
        index.cell(index.max_row, 1).font = bold
    date_cell = index.cell(3 + [k for k, _ in facts].index(words["date"]), 2)
    date_cell.number_format = "yyyy-mm-dd"
    index.append([])
    index.append([words["sheet"], words["file"], words["table"], words["rows"]])
    for c in index[index.max_row]:
        c.font = bold
    start = index.max_row  # the audit reads the sheet -> file list below this row
    index.cell(start, 6, INDEX_HEADER[0]).font = Font(color="808080")  # machine-readable keys of the two columns
    index.cell(start, 7, INDEX_HEADER[1]).font = Font(color="808080")
    for (path, _), name, (_, rows) in zip(tables, names, parsed):
        index.append([name, path, table_title(path, lang), len(rows)])
    index.append([])
    index.append([words["columns"], None, None, None])
    index.cell(index.max_row, 1).font = bold
    index.append([words["sheet"], words["header"], words["csv_column"]])
    for c in index[index.max_row]:
        c.font = bold
    for name, (head, _) in zip(names, parsed):
        for col in head:
            index.append([name, header(col, lang), col])
    index.column_dimensions["A"].width = 28
    index.column_dimensions["B"].width = 60
    index.column_dimensions["C"].width = 40
    for row in index.iter_rows(min_row=3, max_row=2 + len(facts)):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")

    for name, (head, rows) in zip(names, parsed):
        ws = wb.create_sheet(name)
        kinds = [column_kind(h, (r[i] for r in rows)) for i, h in enumerate(head)]
        ws.append([header(h, lang) for h in head])
        for c in ws[1]:
            c.font = bold
            c.alignment = Alignment(wrap_text=True, vertical="top")
        for i, r in enumerate(rows, start=2):
            values = [typed(v, k) for v, k in zip(r, kinds)]
            ws.append(values)
            # openpyxl takes text such as '=x' (a unit's name) for a formula: it stays text. The row is addressed
            # by its number: `ws.max_row` and `ws[row]` scan the whole sheet, quadratic in its rows.
            for j, v in enumerate(values, start=1):
                if isinstance(v, str) and v.startswith("="):
                    ws.cell(i, j).data_type = "s"
        for j, kind in enumerate(kinds, start=1):
            fmt = COUNT_FORMAT if kind == "int" else NUMBER_FORMAT if kind == "float" else None
            if fmt:
                for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                    cell.number_format = fmt
            width = max([len(str(ws.cell(1, j).value))] + [len(r[j - 1]) for r in rows[:200]]) if rows else 12
            ws.column_dimensions[ws.cell(1, j).column_letter].width = min(max(width, 8), 60) + 2
        ws.freeze_panes = "A2"
    return deterministic_xlsx(wb, about.date)


def deterministic_xlsx(wb, date: dt.date) -> bytes:
    """Save, then restamp the zip: openpyxl writes the save time into docProps/core.xml and every zip entry; both get
    the workbook's date, so the same tables and date give the same bytes."""
    stamp = dt.datetime.combine(date, dt.time())
    wb.properties.creator = "virkning"
    wb.properties.created = stamp
    raw = io.BytesIO()
    wb.save(raw)
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)", rb"\g<1>" + iso.encode() +
                              rb"\g<3>", data)
            entry = zipfile.ZipInfo(info.filename, date_time=(max(date.year, 1980), date.month, date.day, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, data)
    return out.getvalue()


# ---- into the output folder -----------------------------------------------------------------------------------------

def published_csvs(files) -> list[str]:
    """The publishable CSV tables of a `Files` (not internal/, not an earlier rendering), in path order."""
    return sorted(p for p in files.files if p.endswith(".csv") and not p.endswith(EXCEL_DA_SUFFIX)
                  and not p.startswith("internal/"))


def add_spreadsheets(files, *, title: str, design_name: str, threshold: int, language: str,
                     csv_dialect: str = "standard", workbook: bool = True, synthetic: bool = False) -> None:
    """Add the workbook and (with csv_dialect 'excel-da') the Danish-dialect CSVs of every published table."""
    from virkning import __version__
    from virkning.errors import DesignError

    if csv_dialect not in DIALECTS:
        raise DesignError(f"csv dialect: expected one of {', '.join(DIALECTS)}; got '{csv_dialect}'")
    paths = published_csvs(files)
    if csv_dialect == "excel-da":
        for p in paths:
            files.add(p[:-4] + EXCEL_DA_SUFFIX, excel_da_bytes(files.files[p]))
    if workbook and paths:
        about = About(title=title, design_name=design_name, date=run_date(), version=__version__,
                      threshold=threshold, language=language, synthetic=synthetic)
        files.add(WORKBOOK, workbook_bytes([(p, files.files[p]) for p in paths], about))

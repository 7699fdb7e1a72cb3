"""Reading the small hand-made inputs of monitoring (registration sheet, surveys, unit sizes) safely.

These files come from job centres' spreadsheets, so they are the likeliest to be empty, half-saved, Latin-1 encoded
or ragged. Each failure becomes an error of the caller's class that names the file (and line where there is one),
never a parser's stack trace. CSV files get the same preflight as the registers (registers/files.py).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pandas as pd

from virkning.errors import VirkningError
from virkning.registers import files as files_

_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def _missing(path: Path, what: str, error: type[VirkningError]) -> None:
    if not path.exists():
        raise error(f"{path}: the {what} does not exist")
    if path.is_dir():
        raise error(f"{path}: the {what} is a folder, not a file")


def read_csv(path: str | Path, what: str, error: type[VirkningError]) -> pd.DataFrame:
    """A comma-separated UTF-8 file with a header, every cell as text."""
    path = Path(path)
    _missing(path, what, error)
    _, problems = files_.csv_header(path)
    if problems:
        p = problems[0]
        raise error(f"{path}: {(p.column + ' ') if p.column else ''}{p.rule}")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", engine="c")
    except UnicodeDecodeError as exc:  # past the preflight's sample
        raise error(f"{path}: is not UTF-8 (byte 0x{exc.object[exc.start]:02X} at byte {exc.start:,}); save the "
                    "file as UTF-8 (in Excel: 'CSV UTF-8')") from None
    except pd.errors.ParserError as exc:
        m = _FIELDS.search(str(exc))
        where = (f"line {m.group(2)} has {m.group(3)} fields where the header has {m.group(1)}" if m
                 else str(exc).strip())
        raise error(f"{path}: {where}; every line needs the header's columns") from None
    except pd.errors.EmptyDataError:
        raise error(f"{path}: is empty; export the {what} again") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def read_workbook(path: str | Path, sheet: str | int, what: str, error: type[VirkningError]) -> pd.DataFrame:
    """One sheet of an .xlsx workbook, every cell as read (dtype object)."""
    import openpyxl

    path = Path(path)
    _missing(path, what, error)
    if path.stat().st_size == 0:
        raise error(f"{path}: is empty (0 bytes); save the {what} again from Excel")
    if not zipfile.is_zipfile(path):
        raise error(f"{path}: is not an Excel workbook (.xlsx files are zip archives; this one is damaged or another "
                    "format): save it again from Excel as .xlsx")
    try:
        names = openpyxl.load_workbook(path, read_only=True).sheetnames
    except Exception as exc:  # openpyxl raises KeyError, BadZipFile, InvalidFileException ... for damaged books
        raise error(f"{path}: the workbook cannot be opened ({type(exc).__name__}: {exc}); save it again from Excel "
                    "as .xlsx") from None
    if not names:
        raise error(f"{path}: the workbook has no sheets")
    if isinstance(sheet, str) and sheet not in names:
        raise error(f"{path}: no sheet '{sheet}' (the workbook has: {', '.join(names)})")
    try:
        return pd.read_excel(path, sheet_name=sheet, dtype=object, engine="openpyxl")
    except Exception as exc:  # a damaged sheet part inside an otherwise readable archive
        raise error(f"{path}: sheet '{sheet}' cannot be read ({type(exc).__name__}: {exc}); save the workbook again "
                    "from Excel as .xlsx") from None

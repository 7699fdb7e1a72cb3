"""The analyst's formats: Stata, SAS and Excel files, CSV in other encodings and dialects, and columns under other
names, brought to what the readers expect (docs/data-contract.md, "Formats").

- Stata `.dta`, SAS `.sas7bdat` and SAS transport `.xpt` are read by pyreadstat, Excel `.xlsx` by openpyxl (through
  pandas); each file becomes a table on the engine once (`attach_frames`), with the same `_row` and `_file` as CSV.
  Statistical packages keep numbers as doubles and dates as numbers with a display format: pyreadstat turns date
  formats (%td, %tc, DATE9. ...) into dates, `normalise` Stata's monthly dates (%tm) too, and the readers read a
  whole double as the integer it stands for (a week 201805, a code 111, an id).
- CSV in another encoding than UTF-8 (cp1252, latin-1 ...) is re-encoded once into a private temporary folder under
  the same file names (`utf8_copies`), so the engine's strict CSV reader, its messages and its row numbers stay
  those of the UTF-8 path. The delimiter is declared; a decimal comma is read in SQL (readers: `_number_text`).
- Column renames (`rename`) map a file's names (PNR, UGE) to the contract's (person_id, week) before any rule is
  checked; messages keep naming the column as the file has it.

The command line's format options reach every design's load options through `overriding` (a context variable), so
`virkning evaluate/monitor --column PNR=person_id` applies without threading options through every runner.
"""

from __future__ import annotations

import codecs
import contextlib
import contextvars
import dataclasses
import datetime as dt
import shutil
import tempfile
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from pathlib import Path

import numpy as np
import pandas as pd

from virkning.errors import ContractError, Problem
from virkning.registers.files import part_name

if TYPE_CHECKING:
    from pyreadstat.pyreadstat import PyreadstatReadFunction

STAT_KINDS = ("sas7bdat", "dta", "xpt", "xlsx")
DELIMITERS = (",", ";", "\t", "|")
DECIMALS = (".", ",")
AUTO = "auto"
_CHUNK_ROWS = 500_000
_NAMES = {"sas7bdat": "SAS7BDAT", "dta": "Stata .dta", "xpt": "SAS transport (XPT)", "xlsx": "Excel .xlsx"}


# ---- options ---------------------------------------------------------------------------------------------------

def check_encoding(value: str) -> str:
    """A declared text encoding: `auto` or a codec Python knows (utf-8, cp1252, latin-1, iso-8859-15 ...)."""
    text = str(value).strip()
    if text.lower() == AUTO:
        return AUTO
    try:
        return codecs.lookup(text).name
    except LookupError:
        raise ValueError(f"encoding expected one of utf-8, cp1252, latin-1, auto (or another codec name); "
                         f"got '{value}'") from None


# Words for the marks, as YAML needs quotes around a bare , or ; (`decimal: comma` reads better than `decimal: ","`).
_WORDS = {"comma": ",", "semicolon": ";", "tab": "\t", "\\t": "\t", "pipe": "|", "point": ".", "period": ".",
          "dot": "."}


def check_delimiter(value: str) -> str:
    text = _WORDS.get(str(value).strip().lower(), str(value))
    if text not in DELIMITERS:
        raise ValueError(f"delimiter expected one of ',', ';', tab, '|' (or comma, semicolon, tab, pipe); "
                         f"got '{value}'")
    return text


def check_decimal(value: str) -> str:
    text = _WORDS.get(str(value).strip().lower(), str(value))
    if text not in DECIMALS:
        raise ValueError(f"decimal expected one of '.', ',' (or point, comma); got '{value}'")
    return text


def parse_column(text: str) -> tuple[str, str, str]:
    """`PNR=person_id` (every table) or `benefits.UGE=week` (one table) as (table or "", name in file, contract
    name)."""
    source, sep, target = str(text).partition("=")
    if not sep or not source.strip() or not target.strip():
        raise ValueError(f"--column expected NAME_IN_FILE=contract_name (e.g. PNR=person_id, or "
                         f"benefits.UGE=week for one table); got '{text}'")
    table, dot, name = source.strip().rpartition(".")
    return (table.strip() if dot else "", name.strip(), target.strip())


def columns_from_design(mapping: dict) -> tuple[tuple[str, str, str], ...]:
    """The design's `data: columns:` as triples: `{PNR: person_id, benefits: {UGE: week}}`."""
    out: list[tuple[str, str, str]] = []
    for key, value in (mapping or {}).items():
        if isinstance(value, dict):
            out += [(str(key), str(k), str(v)) for k, v in value.items()]
        else:
            out.append(("", str(key), str(value)))
    return tuple(out)


def merge_columns(first: tuple, then: tuple) -> tuple[tuple[str, str, str], ...]:
    """Renames of `then` replace those of `first` for the same table and file column."""
    keep = {(t, s.lower()): (t, s, c) for t, s, c in first}
    keep.update({(t, s.lower()): (t, s, c) for t, s, c in then})
    return tuple(keep.values())


_OVERRIDES: contextvars.ContextVar[dict] = contextvars.ContextVar("virkning_format_overrides", default={})


@contextlib.contextmanager
def overriding(**fields):
    """Within the block, every design's load options take these format fields (encoding, delimiter, decimal; columns
    are added to the design's own). The command line wraps `evaluate` and `monitor` in it."""
    token = _OVERRIDES.set({k: v for k, v in fields.items() if v not in (None, ())})
    try:
        yield
    finally:
        _OVERRIDES.reset(token)


def apply_overrides(options):
    """`options` (LoadOptions) with the command line's format fields, if any."""
    fields = dict(_OVERRIDES.get())
    if not fields:
        return options
    if "columns" in fields:
        fields["columns"] = merge_columns(options.columns, fields["columns"])
    return dataclasses.replace(options, **fields)


def delimiter_of(options) -> str:
    """The declared delimiter; with a decimal comma and none declared, the semicolon (as Danish Excel writes)."""
    if options.delimiter:
        return options.delimiter
    return ";" if options.decimal == "," else ","


# ---- column renames --------------------------------------------------------------------------------------------

def rename(columns: dict[str, tuple[str, str]], renames: tuple, table: str, label: str,
           used: set | None = None) -> tuple[dict[str, tuple[str, str]], list[Problem]]:
    """The file's columns (lower-case name -> (name in file, type)) under the contract's names. A rename for this
    table whose column the file lacks, and two columns that would end with one name, are problems. `used` collects
    the renames that applied (a rename for every table that no table used is reported by `unused`)."""
    mine = [(t, s, c) for t, s, c in renames if t.lower() in ("", table)]
    specific = {s.lower() for t, s, _ in mine if t}
    out: dict[str, tuple[str, str]] = {}
    problems: list[Problem] = []
    targets: dict[str, str] = {}
    for lower, spec in columns.items():
        hit = [r for r in mine if r[1].lower() == lower and (r[0] or lower not in specific)]
        if hit:
            target = hit[-1][2].lower()
            if used is not None:
                used.add(hit[-1])
        else:
            target = lower
        if target in targets:
            problems.append(Problem(label, spec[0], f"would be read as '{target}', but column {targets[target]} is "
                                                    f"read as '{target}' too; rename only one of them (data: columns)"))
            continue
        targets[target] = spec[0]
        out[target] = spec
    for t, s, c in mine:
        if t and s.lower() not in columns:
            problems.append(Problem(label, s, f"is renamed to '{c}' (data: columns: {t}), but the file has no such "
                                              f"column; its columns are {', '.join(v[0] for v in columns.values())}"))
    return out, problems


def unused(renames: tuple, used: set, folder: str, tables) -> list[Problem]:
    """Renames for every table that no table's file has, and renames for a table the contract does not know: a
    misspelt name would otherwise pass unnoticed."""
    out = [Problem(folder, s, f"is renamed to '{c}' (data: columns), but no table has a column '{s}'")
           for t, s, c in renames if not t and (t, s, c) not in used]
    out += [Problem(folder, f"{t}.{s}", f"renames a column of table '{t}', which is not one of {', '.join(tables)}")
            for t, s, c in renames if t and t.lower() not in tables]
    return out


# ---- CSV in other encodings ------------------------------------------------------------------------------------

def needs_copy(encoding: str) -> bool:
    return encoding not in ("utf-8",)


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as f:
        try:
            while chunk := f.read(1 << 22):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _reencode(source: Path, target: Path, encoding: str, shown: str) -> None:
    """`source` in `encoding` -> `target` in UTF-8, in blocks; a byte the encoding lacks is a problem naming the line
    and byte (cp1252 leaves five bytes undefined)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line, done = 1, 0
    declare = "declare the file's encoding (data: encoding: latin-1 reads every byte)"
    with open(source, "rb") as f, open(target, "w", encoding="utf-8", newline="") as out:
        while chunk := f.read(1 << 22):
            try:
                out.write(decoder.decode(chunk))
            except UnicodeDecodeError as exc:
                bad = line + chunk[: exc.start].count(b"\n")
                raise ContractError([Problem(shown, None, f"line {bad} has the byte 0x{chunk[exc.start]:02X} at byte "
                                                          f"{done + exc.start + 1:,}, which is not {encoding}; "
                                                          f"{declare}", rows=[max(bad - 1, 1)])]) from None
            except UnicodeError as exc:  # a whole-stream rule (UTF-16 and UTF-32 without a byte-order mark)
                raise ContractError([Problem(shown, None, f"the file is not {encoding} ({exc}); {declare}")]) from None
            line += chunk.count(b"\n")
            done += len(chunk)
        try:
            out.write(decoder.decode(b"", final=True))
        except UnicodeError:
            raise ContractError([Problem(shown, None, f"the file ends inside a character of {encoding}, so it is not "
                                                      f"{encoding}; {declare}")]) from None


@contextlib.contextmanager
def utf8_copies(files: tuple[Path, ...], encoding: str) -> Iterator[tuple[Path, ...]]:
    """The files as UTF-8: themselves when they are (or `encoding` is utf-8), else copies in a private temporary
    folder, removed on leaving, with the same names (a part keeps its folder's name), so messages and `_file` name
    the user's files. `auto`: a file that is valid UTF-8 is read as UTF-8, any other as cp1252 (Windows' Western
    European code page, a superset of Latin-1's letters)."""
    if not needs_copy(encoding):
        yield files
        return
    tmp = Path(tempfile.mkdtemp(prefix="virkning-csv-"))
    try:
        copies = []
        for path in files:
            enc = encoding
            if encoding == AUTO:
                enc = "utf-8" if _is_utf8(path) else "cp1252"
            if enc == "utf-8":
                copies.append(path)
                continue
            target = tmp / path.parent.name / path.name if len(files) > 1 else tmp / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            _reencode(path, target, enc, part_name(path, files))
            copies.append(target)
        yield tuple(copies)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---- Stata, SAS and Excel --------------------------------------------------------------------------------------

def _stata_months(values: pd.Series) -> pd.Series:
    """Stata %tm: months since 1960-01 -> the first day of the month."""
    m = pd.to_numeric(values, errors="coerce")
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    ok = m.notna()
    months = m[ok].astype("int64") + 1960 * 12
    out[ok] = pd.to_datetime({"year": months // 12, "month": months % 12 + 1, "day": 1})
    return out


def _plain(value) -> object:
    """A cell of a column of mixed types (Excel) as text: whole numbers without '.0', dates as YYYY-MM-DD."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        stamp = pd.Timestamp(value)  # a plain datetime (openpyxl's dates) has no normalize()
        return stamp.date().isoformat() if stamp == stamp.normalize() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def normalise(frame: pd.DataFrame, formats: dict[str, str] | None = None) -> pd.DataFrame:
    """A frame read from a statistical package or a workbook in the types the readers expect: Stata %tm months as
    dates, date objects as dates, object columns of mixed cells as text. Numbers stay doubles (a later chunk may hold
    a fraction): the readers read whole doubles as the integers they stand for (codes, weeks YYYYWW, ids)."""
    formats = formats or {}
    out = {}
    for name in frame.columns:
        col = frame[name]
        fmt = str(formats.get(name) or "").lower()
        if fmt.startswith("%tm") and pd.api.types.is_numeric_dtype(col):
            out[name] = _stata_months(col)
        elif pd.api.types.is_datetime64_any_dtype(col):
            out[name] = col
        elif col.dtype == object or pd.api.types.is_string_dtype(col):
            # infer_dtype looks at the cells in C: a column of text (the common case, millions of ids) is kept as
            # it is; only dates and mixed cells are converted cell by cell
            kind = pd.api.types.infer_dtype(col, skipna=True)
            if kind in ("string", "empty"):
                out[name] = col
            elif kind in ("date", "datetime", "datetime64"):
                out[name] = pd.to_datetime(col)
            else:
                out[name] = pd.Series([_plain(x) for x in col], index=col.index, dtype=object).astype("string")
        else:
            out[name] = col
    return pd.DataFrame(out, index=frame.index)


def _chunks(kind: str, path: Path, encoding: str) -> Iterator[tuple[pd.DataFrame, dict]]:
    """(frame, display formats by column) in chunks of at most _CHUNK_ROWS rows."""
    if kind == "xlsx":
        # openpyxl through pandas: the first sheet, its first row the header; dates come as dates
        # and only empty cells are missing (as in CSV, a cell 'NA' is the text NA)
        frame = pd.read_excel(path, sheet_name=0, engine="openpyxl", keep_default_na=False, na_values=[""])
        blank = [i for i, c in enumerate(frame.columns, start=1) if str(c).startswith("Unnamed: ")]
        if blank:
            raise ContractError([Problem(path.name, f"column {blank[0]}", "has no name in the first row of the "
                                                                          "sheet; every column needs a name")])
        yield frame, {}
        return
    import pyreadstat

    readers: dict[str, PyreadstatReadFunction] = {
        "sas7bdat": pyreadstat.read_sas7bdat, "dta": pyreadstat.read_dta, "xpt": pyreadstat.read_xport}
    read = readers[kind]
    kwargs: dict[str, Any] = {"dates_as_pandas_datetime": True}
    if kind != "dta" and encoding not in ("utf-8", AUTO):
        kwargs["encoding"] = encoding  # SAS files carry no reliable encoding; Stata 14+ is always UTF-8
    for chunk, meta in pyreadstat.read_file_in_chunks(read, str(path), chunksize=_CHUNK_ROWS, **kwargs):
        yield chunk, dict(getattr(meta, "original_variable_types", {}) or {})


def attach_frames(engine, raw: str, kind: str, files: tuple[Path, ...], encoding: str = "utf-8") -> None:
    """`raw` from Stata, SAS or Excel files, in chunks (memory stays flat for large DREAM extracts), with `_row` (data
    row in its file) and `_file`. A file that cannot be read is a problem naming it."""
    created, columns = False, None
    for path in files:
        offset = 0
        try:
            for chunk, formats in _chunks(kind, path, encoding):
                chunk = normalise(chunk, formats)
                if columns is None:
                    columns = (path, list(chunk.columns))
                elif [c.lower() for c in chunk.columns] != [c.lower() for c in columns[1]]:
                    shown = part_name(path, files)
                    raise ContractError([Problem(shown, None, f"has other columns ({', '.join(map(str, chunk.columns))}) "
                                                              f"than {columns[0].name}; every part of a table needs "
                                                              "the same")])
                chunk["_row"] = np.arange(offset + 1, offset + len(chunk) + 1, dtype="int64")
                chunk["_file"] = path.name
                offset += len(chunk)
                if not created:
                    engine.put(raw, chunk)
                    created = True
                else:
                    engine.put_rows(raw, chunk)
        except ContractError:
            raise
        except Exception as exc:  # noqa: BLE001 - pyreadstat and openpyxl raise their own types for damaged files
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            shown = part_name(path, files)
            raise ContractError([Problem(shown, None, f"cannot be read as {_NAMES[kind]} ({reason[:200]}); it may be "
                                                      "damaged or of another format: export it again")]) from None

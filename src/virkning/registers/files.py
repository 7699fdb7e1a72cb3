"""What a file must be before an engine reads it: not empty, in a known encoding, with a header of safe, unique
column names, and (for a table split into parts) the same columns and types in every part.

These checks read only the start of a CSV file and the footer of a Parquet file, so they cost nothing next to a
scan, and they turn what would otherwise surface as an engine's stack trace (or, worse, a silently misread file)
into a message naming the file, the line and what to do.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from pathlib import Path

from virkning.errors import Problem

SAMPLE_BYTES = 1 << 20
# Column names go into SQL (always quoted); these characters have no business in a register's column name.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\"'`;\\]")
_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"), (codecs.BOM_UTF16_LE, "UTF-16"),
         (codecs.BOM_UTF16_BE, "UTF-16"))


def label(files: tuple[Path, ...]) -> str:
    return files[0].name if len(files) == 1 else f"{files[0].parent.name}/"


def part_name(path: Path, files: tuple[Path, ...]) -> str:
    """A file as the user finds it: `benefits.csv`, or `benefits/part-1.parquet` for a part of a table."""
    return path.name if len(files) == 1 else f"{path.parent.name}/{path.name}"


def check_names(where: str, names: list[str]) -> list[Problem]:
    """Column names must be present, unique (ignoring case) and free of quotes, semicolons and control characters."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for i, name in enumerate(names, start=1):
        shown = name if len(name) <= 60 else name[:57] + "..."
        if not name.strip():
            problems.append(Problem(where, f"column {i}", "has no name in the header; every column needs a name"))
        elif _UNSAFE.search(name):
            problems.append(Problem(where, shown, "is not a usable column name (it holds quotes, semicolons, "
                                                        "backslashes or control characters); rename the column"))
        elif name.strip().lower() in seen:
            problems.append(Problem(where, name, f"appears twice in the header (columns {seen[name.strip().lower()]} "
                                                 f"and {i}); column names must be unique"))
        else:
            seen[name.strip().lower()] = i
    return problems


def _encoding_problem(path: Path, sample: bytes) -> Problem | None:
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return Problem(path.name, None, f"is {name} encoded; save it as UTF-8 (in Excel: 'CSV UTF-8')")
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 3 and len(sample) == SAMPLE_BYTES:
            return None  # a character cut by the sample's end
        line = sample[: exc.start].count(b"\n") + 1
        byte = sample[exc.start]
        guess = bytes([byte]).decode("cp1252", errors="replace")
        return Problem(path.name, None, f"is not UTF-8: line {line} has the byte 0x{byte:02X} at byte {exc.start + 1:,} "
                                        f"('{guess}' in Latin-1/Windows-1252, as Danish letters are written in older "
                                        "exports); declare the encoding (design file 'data: encoding: cp1252', or "
                                        "--encoding cp1252) or save the file as UTF-8 (in Excel: 'CSV UTF-8')",
                       rows=[max(line - 1, 1)])
    return None


def csv_header(path: Path, delimiter: str = ",") -> tuple[list[str] | None, list[Problem]]:
    """The header of a CSV file with columns separated by `delimiter`, or the problems that keep it from being
    read."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            sample = f.read(SAMPLE_BYTES)
    except OSError as exc:
        return None, [Problem(path.name, None, f"cannot be read ({exc.strerror or exc})")]
    if size == 0 or not sample.strip():
        return None, [Problem(path.name, None, "is empty (0 bytes or only blank lines); export the table again")]
    enc = _encoding_problem(path, sample)
    if enc is not None:
        return None, [enc]
    text = sample.decode("utf-8", errors="replace").lstrip("\ufeff")
    first = text.splitlines()[0] if text.splitlines() else ""
    try:
        header = next(csv.reader(io.StringIO(first), delimiter=delimiter, quotechar='"'))
    except (csv.Error, StopIteration):
        return None, [Problem(path.name, None, "has a header line that cannot be read as CSV", rows=[])]
    if len(header) == 1:
        for sep, word, shown in ((",", "commas", ","), (";", "semicolons", ";"), ("\t", "tabs", "tab"),
                                 ("|", "vertical bars", "|")):
            if sep != delimiter and sep in first:
                return None, [Problem(path.name, None, f"separates its columns with {word}, not the declared "
                                                       f"'{'tab' if delimiter == chr(9) else delimiter}'; declare "
                                                       f"'data: delimiter: \"{shown}\"' (or --delimiter '{shown}'; "
                                                       "Danish Excel writes semicolons and decimal commas: "
                                                       "'decimal: \",\"')")]
    problems = check_names(path.name, header)
    return (header if not problems else None), problems


def csv_headers(files: tuple[Path, ...], delimiter: str = ",") -> tuple[list[str] | None, list[Problem]]:
    """The common header of a table's CSV files (every part must have the same one)."""
    first, problems = None, []
    for path in files:
        header, p = csv_header(path, delimiter)
        for q in p:
            q.file = part_name(path, files)
        problems += p
        if header is None:
            continue
        if first is None:
            first = (path, header)
        elif [h.strip().lower() for h in header] != [h.strip().lower() for h in first[1]]:
            problems.append(Problem(part_name(path, files), None, f"has other columns ({', '.join(header)}) than {first[0].name} "
                                                     f"({', '.join(first[1])}); every part of a table needs the same"))
    return (first[1] if first and not problems else None), problems


def parquet_schema(files: tuple[Path, ...]) -> tuple[list[str] | None, list[Problem]]:
    """The columns of a table's Parquet files: every part must be a readable file with safe column names and the
    same columns of the same types."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    problems: list[Problem] = []
    types: dict[str, tuple[str, str]] = {}
    first: tuple[str, list[str]] | None = None

    def name_of(path: Path) -> str:
        return part_name(path, files)

    for path in files:
        try:
            if path.stat().st_size == 0:
                problems.append(Problem(name_of(path), None, "is empty (0 bytes); export the table again"))
                continue
            schema = pq.read_schema(path)
        except (OSError, pa.ArrowException) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            problems.append(Problem(name_of(path), None, f"is not a readable Parquet file ({reason}); it may be damaged "
                                                     "or cut short: export it again"))
            continue
        problems += check_names(name_of(path), list(schema.names))
        if first is None:
            first = (name_of(path), list(schema.names))
        elif sorted(n.lower() for n in schema.names) != sorted(n.lower() for n in first[1]):
            problems.append(Problem(name_of(path), None, f"has other columns ({', '.join(schema.names)}) than "
                                                         f"{first[0]} ({', '.join(first[1])}); every part of a table "
                                                         "needs the same"))
        for field in schema:
            typ = str(field.type)
            name = field.name.lower()
            if name in types and _family(types[name][1]) != _family(typ):
                problems.append(Problem(name_of(path), field.name, f"has type {typ} here but {types[name][1]} in "
                                                               f"{types[name][0]}; every part of a table needs the "
                                                               "same column types"))
            types.setdefault(name, (name_of(path), typ))
    return (first[1] if first and not problems else None), problems


def _family(arrow_type: str) -> str:
    """Types that read the same way (int32 and int64; string and large_string) are one family."""
    t = arrow_type.lower()
    for family, prefixes in (("int", ("int", "uint")), ("float", ("float", "double", "halffloat", "decimal")),
                             ("text", ("string", "large_string", "utf8", "large_utf8", "dictionary")),
                             ("date", ("date", "timestamp")), ("bool", ("bool",))):
        if t.startswith(prefixes):
            return family
    return t

"""Appending a study record to an evidence-base file: the file's own text is kept, comments and layout included.

A YAML library that rewrites the whole file would drop the comments that record where each number comes from, so
the new record is written as text at the end of the ``studies:`` block, indented as the file's other records are
(and before any section that follows it, and the comments above that section). The result is checked before
anything is written: the new text must load as a base whose studies are the old ones plus the new one and whose
other sections are unchanged. It is then written atomically (a temporary file beside the base, then a rename), and
only if the file has not changed since it was read.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path

from virkning.errors import VirkningError
from virkning.evidence.base import EvidenceBase, loads_base, study_to_yaml
from virkning.evidence.errors import EvidenceFileError, EvidenceProblem
from virkning.evidence.model import Study
from virkning.evidence.source import read_yaml_with_lines


class AppendError(VirkningError):
    """The record could not be appended while keeping the file as it is; nothing was written."""


def _item_indent(lines: list[str], start: int, end: int) -> str | None:
    """The indentation of the first list item between lines ``start`` and ``end`` (0-based, end exclusive)."""
    for line in lines[start:end]:
        m = re.match(r"^( *)- ", line) or re.match(r"^( *)-$", line)
        if m:
            return m.group(1)
    return None


def appended_text(text: str, study: Study, *, comment: str | None = None, source: str = "<string>") -> str:
    """``text`` (an evidence-base file) with ``study`` appended under ``studies:``; raises :class:`AppendError`
    when the file's layout does not allow it (e.g. a non-empty flow-style list ``studies: [...]``)."""
    data, line_map, _ = read_yaml_with_lines(text, source)
    if not isinstance(data, dict):
        raise AppendError(f"{source}: the file is not a mapping with format_version and studies; nothing was written")
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines()
    record = study_to_yaml(study).rstrip("\n").split("\n")
    note = [f"# {comment}"] if comment else []
    if "studies" not in data:
        block = ["", "studies:", *["  " + x for x in note + record]]
        return newline.join(lines + block) + newline
    key_line = line_map[("studies",)] - 1  # 0-based
    tops = sorted(n - 1 for k, n in line_map.items() if len(k) == 1 and n - 1 > key_line)
    end = tops[0] if tops else len(lines)
    studies = data.get("studies")
    if studies is None or studies == []:
        m = re.match(r"^(studies\s*:)\s*(\[\s*\])?\s*(#.*)?$", lines[key_line])
        if not m:
            raise AppendError(f"{source}, line {key_line + 1}: 'studies:' is written in a form virkning cannot "
                              "extend; write it as 'studies:' followed by one '- id: ...' record per study")
        lines[key_line] = "studies:" + (f"  {m.group(3)}" if m.group(3) else "")
        indent = "  "
    else:
        found = _item_indent(lines, key_line + 1, end)
        if found is None:
            raise AppendError(f"{source}, line {key_line + 1}: the studies are written as a flow-style list "
                              "([...]); write them one '- id: ...' record per study to let virkning append")
        indent = found
    # stop before the blank lines and column-0 comments that lead into the next section
    insert = end
    while insert > key_line + 1 and (not lines[insert - 1].strip() or
                                     (tops and lines[insert - 1].startswith("#"))):
        insert -= 1
    new = [indent + x if x else x for x in note + record]
    if insert > key_line + 1 and lines[insert - 1].strip():
        new = [""] + new  # a blank line between the last record and the new one
    tail = lines[insert:]
    gap = [""] if tail and tail[0].strip() else []
    out = lines[:insert] + new + gap + tail
    return newline.join(out) + newline


def _same(a: EvidenceBase, b: EvidenceBase, study: Study) -> bool:
    if b.studies != (*a.studies, study):
        return False
    da, db = a.to_dict(), b.to_dict()
    for d in (da, db):
        d.pop("studies")
        d.pop("source")
    return da == db


def append_study(path: str | Path, study: Study, *, comment: str | None = None) -> EvidenceBase:
    """Append ``study`` to the base file at ``path`` (checked against the base, atomically, comments kept) and
    return the new base. Raises :class:`EvidenceFileError` when the study does not fit the base (a duplicate id,
    an undeclared core element ...) and :class:`AppendError` when the file cannot be extended as text."""
    path = Path(path)
    if not path.is_file():
        raise EvidenceFileError([EvidenceProblem(str(path), None, "", "", "file not found")])
    raw = path.read_bytes()
    text = raw.decode("utf-8")
    old = loads_base(text, source=str(path))
    grown = old.with_study(study)  # checks id, vocabulary and core elements against the base
    new_text = appended_text(text, study, comment=comment, source=str(path))
    try:
        new = loads_base(new_text, source=str(path))
    except EvidenceFileError as exc:  # the text edit went wrong: say so rather than write a broken file
        raise AppendError(f"{path}: appending the record as text would break the file ({exc.problems[0]}); "
                          "nothing was written") from None
    if not _same(old, new, study) or new.studies != grown.studies:
        raise AppendError(f"{path}: appending the record as text would change more than the list of studies; "
                          "nothing was written. Append the record printed above by hand.")
    _replace(path, new_text.encode("utf-8"), hashlib.sha256(raw).hexdigest())
    return new


def _replace(path: Path, data: bytes, read_hash: str) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it into place, unless ``path`` changed since
    it was read (hash ``read_hash``)."""
    tmp = None
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        tmp = Path(name)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        shutil.copymode(path, tmp)
        if hashlib.sha256(path.read_bytes()).hexdigest() != read_hash:
            raise AppendError(f"{path}: the file changed while the record was prepared; nothing was written. "
                              "Run the command again.")
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise AppendError(f"{path}: could not write ({exc.strerror or exc}); the file is unchanged") from None
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)

"""Validation results kept by the content of the files validated, so that `evaluate` and `monitor` after `validate`
(or a second run on the same registers) do not check the contract again.

Full contract validation reads every row of every table several times (docs/performance.md); on national registers
it is a third of an evaluation. A folder's report depends only on the bytes of its files, the catalogue and the
load options, so a report of a folder that passed is stored under the hash of those and reused when they are the
same. Only passing reports are kept: a folder with problems is checked again each time, which costs little
because the checks stop at the first broken rule's rows.

Content hashes are sha256 of the files' bytes. Hashing a national register costs one read of its files, so each
file's hash is remembered with its size, modification time and inode, and computed again when one of them changed
or the file was modified within two seconds of being hashed (a file being written while it was hashed; the rule
git uses for its index). The output manifest takes its input hashes from the same memory (`file_hash`).

Where: $VIRKNING_CACHE_DIR, else $XDG_CACHE_HOME/virkning, else ~/.cache/virkning. VIRKNING_CACHE_DIR=off
turns the cache off (every load validates). A cache that cannot be written (read-only home) is skipped silently;
a damaged entry is ignored and replaced.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from virkning import __version__
from virkning.registers.contract import LoadOptions
from virkning.registers.validate import TableSummary, ValidationReport

FORMAT = 1  # bump when the stored layout or the checks change in a way the package version does not show
FRAMES = ("codes", "unknown_codes", "unknown_municipalities", "events")
# Options that change how a run uses the machine, not what the files say.
RUNTIME_OPTIONS = {"memory_limit", "threads", "master"}
RACY_NS = 2_000_000_000


def cache_dir() -> Path | None:
    env = os.environ.get("VIRKNING_CACHE_DIR")
    if env is not None:
        return None if env.strip().lower() in ("", "off", "0", "none") else Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "virkning"


def sha256_file(path: Path) -> str:
    """sha256 of a file's bytes (the output manifest's hashes too)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def file_hash(path: Path) -> str:
    """sha256 of a file's bytes, remembered by (path, size, mtime, inode) in the cache folder."""
    root = cache_dir()
    st = path.stat()
    if root is None:
        return sha256_file(path)
    stamp = f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"
    entry = root / "files" / (hashlib.sha256(str(path.resolve()).encode()).hexdigest() + ".json")
    try:
        known = json.loads(entry.read_text())
        if known["stamp"] == stamp and st.st_mtime_ns < known["hashed_ns"] - RACY_NS:
            return known["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    import time

    hashed_ns = time.time_ns()
    digest = sha256_file(path)
    _write_atomic(entry, json.dumps({"path": str(path.resolve()), "stamp": stamp, "hashed_ns": hashed_ns,
                                     "sha256": digest}))
    return digest


def key(files: list[Path], options: LoadOptions) -> str | None:
    """The hash of everything a validation report depends on; None when the cache is off or a file has no path."""
    if cache_dir() is None or not files:
        return None
    opts = {f.name: getattr(options, f.name) for f in dataclasses.fields(options) if f.name not in RUNTIME_OPTIONS}
    if options.catalogue:
        opts["catalogue"] = file_hash(Path(options.catalogue))
    h = hashlib.sha256(json.dumps({"format": FORMAT, "version": __version__, "options": opts}, sort_keys=True,
                                  default=str).encode())
    for p in sorted(set(files), key=lambda p: p.name + "\0" + str(p)):  # names, not the folder: a moved copy is the same
        h.update(f"{p.name}\0{file_hash(p)}\0".encode())
    return h.hexdigest()


def read(k: str | None, folder: str) -> ValidationReport | None:
    """The stored report of a folder that passed, or None."""
    root = cache_dir()
    if k is None or root is None:
        return None
    entry = root / "validation" / k
    try:
        meta = json.loads((entry / "report.json").read_text())
        frames = {n: pd.read_parquet(entry / f"{n}.parquet") for n in FRAMES}
        return ValidationReport(folder, (), tables={n: TableSummary(**t) for n, t in meta["tables"].items()},
                                orphans=meta["orphans"], **frames)
    except Exception:  # a missing, partial or foreign entry: validate again
        return None


def write(k: str | None, report: ValidationReport) -> None:
    """Store a passing report (all-or-nothing: a temporary folder renamed into place)."""
    root = cache_dir()
    if k is None or root is None or not report.ok:
        return
    target = root / "validation" / k

    def fill(tmp: Path) -> bool:
        (tmp / "report.json").write_text(json.dumps({"tables": {n: t.to_dict() for n, t in report.tables.items()},
                                                    "orphans": report.orphans}, default=int))
        for n in FRAMES:
            getattr(report, n).to_parquet(tmp / f"{n}.parquet")
        return True

    def whole() -> bool:
        return read(k, report.folder) is not None

    try:  # an entry there that does not read (edited by hand, a full disk) is replaced
        store(target, fill, bad=lambda: target.exists() and not whole(), whole=whole)
    except Exception:  # the cache is a convenience: a report it cannot store never fails the run
        pass


def store(target: Path, fill: Callable[[Path], bool], bad: Callable[[], bool], whole: Callable[[], bool]) -> bool:
    """Put an entry (a folder) at `target` all or nothing, beside other runs that may be doing the same: `fill`
    writes it into a temporary folder beside `target` (False: no entry after all). Then what is at `target` is moved
    aside if `bad()`, and removed only after the new entry is renamed into place, so the name is never empty for
    longer than a rename. If another run stored an entry first, theirs is kept when `whole()`. Returns whether an
    entry is in place; the disk's errors are the caller's."""
    target.parent.mkdir(parents=True, exist_ok=True)
    sweep(target.parent)
    work = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
    tmp: Path | None = work  # None once renamed into place
    aside = None
    try:
        if not fill(work):
            return False
        if bad():
            aside = set_aside(target)
        try:
            os.replace(work, target)
        except OSError:  # another run stored the same entry first: theirs is kept
            if not whole():
                raise
        else:
            tmp = None
        return True
    finally:
        for folder in (tmp, aside):
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)


# A run's temporary or set-aside entry older than this was left by a run that was killed (writing one takes seconds
# to minutes); such entries may hold person-level rows (the keyed copy), so they are not left for ever.
STALE_SECONDS = 6 * 3600


def sweep(folder: Path) -> None:
    """Remove the temporary and set-aside entries in `folder` that killed runs left behind (STALE_SECONDS)."""
    cutoff = time.time() - STALE_SECONDS
    try:
        left = [p for pattern in (".tmp-*", ".old-*") for p in folder.glob(pattern)]
    except OSError:
        return
    for p in left:
        try:
            if p.lstat().st_mtime < cutoff:
                if p.is_dir() and not p.is_symlink():
                    shutil.rmtree(p)
                else:
                    p.unlink()
        except OSError:  # another run removed it first, or it cannot be removed: the cache never fails a run
            pass


def set_aside(target: Path) -> Path:
    """Move a bad entry (a folder or a file) out of the way in one rename, into a folder the caller removes once
    the new entry is in place: no run finds the entry half removed, nor its name empty for longer than a rename."""
    aside = Path(tempfile.mkdtemp(prefix=".old-", dir=target.parent))
    try:
        os.replace(target, aside / "entry")
    except FileNotFoundError:  # another run set it aside first
        pass
    except OSError:
        shutil.rmtree(aside, ignore_errors=True)
        raise
    return aside


def _write_atomic(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError:
        return

"""The keyed copy of a folder's weekly and monthly registers: the same rows with the integer person key instead of
the text person id, written once per file contents next to the stored validation reports (registers/vcache.py).

Why: what a pass over DREAM-sized registers costs is mostly hashing a text person id on every row. The populations
stage makes three such passes on every run (the risk set of the pool's states, the copy of the persons' benefit rows,
the copy of their employment rows: about 10 scan units of a 23-unit evaluation at 1,000,000 persons). Over integer
keys and the week and month ordinals already converted, the copies' scans take a sixth of the CPU and the risk
set two thirds.

What: `benefits.parquet` (pk, wk, c), `codes.parquet` (c, code) and `employment.parquet` (pk, mo,
employment_rate, temp_agency), the columns of the panel store's own copies (panel/store.py); pk is the person's rank
in `persons` ordered by person_id (the store's key), c the code's rank among the folder's codes (the validation
report's `codes`: every code the benefits hold). Codes are small integers because the Parquet encoding of a text
column was two fifths of the copy's cost. Rows of ids not in `persons` are left out: they are not in any population
(validation reports them as orphans).

When: the second time a run copies persons' register rows (populations, trajectories, job rotation) from the same
file contents, catalogue and options (the first leaves an empty marker): writing the copy costs more than one run
saves (docs/performance.md), so a folder read once, such as a monthly extract monitored once, never pays for it, and
a folder an analyst comes back to pays once. Every later run reads it. VIRKNING_KEYED_COPY=first writes it on the
first run, =off never. The register indicators read a copy that is there and never write one. The copy is written to
a temporary folder renamed into place, so a crashed or concurrent run never leaves half a copy; when it cannot be
written (read-only or full disk): the run goes on over the text-keyed views, as with VIRKNING_CACHE_DIR=off. Only
DuckDB over local files has a keyed copy.

The copy holds person-level rows (without the person ids, but a pk leads back to one through `persons`): it is as
sensitive as the registers it copies. Its folder is created readable by its owner only; keep the cache where the
registers may be (docs/data-contract.md), or set VIRKNING_KEYED_COPY=off.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from virkning.registers import queries, vcache
from virkning.registers.contract import LoadOptions
from virkning.registers.engine import Engine

FORMAT = 1  # bump when the copy's columns or their meaning change
TABLES = ("codes", "benefits", "employment")
VIEWS = {"codes": "keyed_codes", "benefits": "keyed_benefits", "employment": "keyed_employment"}


def _select(table: str, pkmap: str) -> str:
    """The keyed rows of one register from its typed view (a code missing from `keyed_codes` gets c NULL)."""
    if table == "codes":
        return "SELECT c, code FROM _keyed_code_list ORDER BY c"
    if table == "benefits":
        return (f"SELECT m.pk, x.wk, k.c FROM benefits x JOIN {pkmap} m ON m.person_id = x.person_id "
                f"LEFT JOIN _keyed_code_list k ON k.code = x.code")
    return queries.register_rows("employment", "employment x", pkmap)  # the store's own copy, for everyone


def code_order(codes) -> list[str]:
    """The folder's codes in the order that numbers them: a code's number (`c` here, `cn` in the panel store's
    copies, which read `c` as it is) is its rank in this list."""
    return sorted(set(codes))


def setting() -> str:
    """VIRKNING_KEYED_COPY: `on` (the default: written by the second run over the same contents), `first` (written
    by the first run) or `off` (never: person-level rows stay out of the cache; the validation reports are kept)."""
    value = os.environ.get("VIRKNING_KEYED_COPY", "on").strip().lower()
    return "off" if value in ("off", "0", "no", "false") else "first" if value == "first" else "on"


def key(files: list[Path], options: LoadOptions) -> str | None:
    """The copy's name: the hash of the persons', benefits' and employment's contents and the load options."""
    k = vcache.key(files, options)
    return None if k is None else hashlib.sha256(f"keyed:{FORMAT}:{k}".encode()).hexdigest()


def attach(engine: Engine, k: str | None, pkmap: Callable[[], str], codes: list[str],
           write: bool = True) -> dict[str, int] | None:
    """Views `keyed_benefits`, `keyed_codes` and `keyed_employment` over the folder's keyed copy, writing the copy
    first when there is none and `write` (`pkmap()`: the table person_id -> pk of every person; `codes`: every code
    in the benefits).
    Returns code -> c, or None when there is no copy to read (cache off, another engine, a disk that refuses it):
    the caller reads the text-keyed views."""
    root = vcache.cache_dir()
    mode = setting()
    if k is None or root is None or engine.kind != "duckdb" or mode == "off":
        return None
    target = root / "keyed" / k
    seen = root / "keyed" / f"{k}.seen"
    unreadable = None  # which folder held the copy that failed to read
    for attempt in range(2):
        if attempt or not _complete(target):
            if not write:
                return None
            if mode == "on" and not seen.exists():  # a folder read once may never be read again: no copy yet
                _mark(seen)
                return None
            # not removed here: another run may store the copy in the meantime and read it; a partial copy, or the
            # one that failed to read, is set aside only when the new one is ready to take its place
            if not _write(engine, target, pkmap(), codes, unreadable):
                return None
        try:
            for t in TABLES:
                engine.read_parquet(VIEWS[t], target / f"{t}.parquet")
                engine.one(f"SELECT count(*) FROM {VIEWS[t]}")  # the footer: a truncated file fails here
            return {code: int(c) for c, code in engine.rows("SELECT c, code FROM keyed_codes")}
        except duckdb.Error:
            unreadable = _identity(target)
    return None


def _identity(path: Path) -> tuple[int, int, int] | None:
    """Which folder is at `path` (a freed inode number can come back: its change time, set by the rename that put a
    folder here, tells two apart)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_ctime_ns


def _complete(target: Path) -> bool:
    return all((target / f"{t}.parquet").is_file() for t in TABLES)


def _mark(seen: Path) -> None:
    """Remember that a run asked for this copy (an empty file), so that the next one writes it."""
    try:
        seen.parent.mkdir(parents=True, exist_ok=True)
        seen.touch()
    except OSError:
        pass


def _write(engine: Engine, target: Path, pkmap: str, codes: list[str],
           unreadable: tuple[int, int, int] | None = None) -> bool:
    """Write the copy to a temporary folder and rename it to `target`. A whole copy already at `target` is kept
    (another run stored it first, and may be reading it), unless it is still the folder `unreadable` (_identity)
    that failed to read; a partial one is replaced."""
    listed = code_order(codes)
    engine.put("_keyed_code_list", pd.DataFrame({"c": np.arange(len(listed), dtype=np.int16), "code": listed}),
               "CAST(c AS SMALLINT) AS c, CAST(code AS VARCHAR) AS code")

    def fill(tmp: Path) -> bool:
        for t in TABLES:
            engine.write_parquet(_select(t, pkmap), tmp / f"{t}.parquet")
        engine.read_parquet("_keyed_written", tmp / "benefits.parquet")
        # a code the report did not list (cannot happen for a validated folder): no copy
        return not engine.one("SELECT count(*) FROM _keyed_written WHERE c IS NULL")[0]

    def bad() -> bool:  # edited by hand or cut short by a full disk; one another run has replaced meanwhile stays
        return (unreadable is not None and _identity(target) == unreadable) or (target.exists() and not _complete(target))

    try:
        return vcache.store(target, fill, bad, whole=lambda: _complete(target))
    except (OSError, duckdb.IOException):  # the copy is a convenience: a disk that refuses it never fails the run
        return False

"""Compare two output folders of `virkning evaluate` / `virkning monitor` (or two demo folders) cell by cell.

    python scripts/compare_outputs.py BEFORE AFTER [--tolerance 1e-12]

For every CSV present in either folder: identical bytes, or the cells that differ (beyond the relative tolerance
for numbers) with row and column, and cells that became empty (newly suppressed) or filled. JSON files are compared
key by key the same way; paths and timings (manifest.json) are reported separately since they change by design.
Exit status 0 when every published number is equal within the tolerance, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import pandas as pd

VOLATILE = ("manifest.json",)


def _num(v):
    try:
        f = float(v)
        return None if math.isnan(f) else f
    except (TypeError, ValueError):
        return "text"


def _same(a, b, tol: float) -> bool:
    if a == b:
        return True
    fa, fb = _num(a), _num(b)
    if isinstance(fa, float) and isinstance(fb, float):
        return abs(fa - fb) <= tol * max(1.0, abs(fa), abs(fb))
    return (fa is None and fb is None) or (pd.isna(a) and pd.isna(b)) if fa != "text" else False


def compare_csv(a: Path, b: Path, tol: float) -> list[str]:
    fa, fb = pd.read_csv(a, dtype=str, keep_default_na=False), pd.read_csv(b, dtype=str, keep_default_na=False)
    if list(fa.columns) != list(fb.columns):
        return [f"columns differ: {list(fa.columns)} vs {list(fb.columns)}"]
    if len(fa) != len(fb):
        return [f"rows differ: {len(fa)} vs {len(fb)}"]
    out = []
    for col in fa.columns:
        for i, (x, y) in enumerate(zip(fa[col], fb[col])):
            if x == y or _same(x or None, y or None, tol):
                continue
            kind = "suppressed" if (x and not y) else ("shown" if (y and not x) else "changed")
            out.append(f"row {i + 2}, {col}: {x!r} -> {y!r} ({kind})")
    return out


def _walk(a, b, path: str, tol: float, out: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{path}.{k}: only in {'after' if k in b else 'before'}")
            else:
                _walk(a[k], b[k], f"{path}.{k}", tol, out)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{path}: {len(a)} -> {len(b)} items")
        for i, (x, y) in enumerate(zip(a, b)):
            _walk(x, y, f"{path}[{i}]", tol, out)
    elif not _same(a, b, tol):
        out.append(f"{path}: {a!r} -> {b!r}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    ap.add_argument("--tolerance", type=float, default=0.0)
    args = ap.parse_args(argv)
    files = sorted({p.relative_to(args.before) for p in args.before.rglob("*") if p.suffix in (".csv", ".json")}
                   | {p.relative_to(args.after) for p in args.after.rglob("*") if p.suffix in (".csv", ".json")})
    bad = 0
    for rel in files:
        a, b = args.before / rel, args.after / rel
        if not a.exists() or not b.exists():
            print(f"{rel}: only in {'after' if b.exists() else 'before'}")
            bad += 1
            continue
        if a.read_bytes() == b.read_bytes():
            print(f"{rel}: identical")
            continue
        if rel.name in VOLATILE:
            print(f"{rel}: differs (paths, hashes and timings; not compared)")
            continue
        if rel.suffix == ".csv":
            diffs = compare_csv(a, b, args.tolerance)
        else:
            diffs = []
            _walk(json.loads(a.read_text(encoding="utf-8")), json.loads(b.read_text(encoding="utf-8")), "", args.tolerance,
                  diffs)
        print(f"{rel}: {len(diffs)} difference(s)" if diffs else f"{rel}: equal within tolerance")
        for d in diffs[:40]:
            print(f"  {d}")
        if len(diffs) > 40:
            print(f"  ... and {len(diffs) - 40} more")
        bad += bool(diffs)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: the whole `virkning demo` (as `make demo`), against a git revision in the same run.

Each run is `virkning demo --out TMP/run-N` in a fresh process (its own VIRKNING_CACHE_DIR, so every run validates
its registers as a first run does), with this checkout's src/ or with git revision REV's (exported by git archive),
alternately, so that both see the same load on a shared machine. Printed per run: wall seconds, CPU seconds of the
process and its children (the demo's second process included), peak memory, and the stage lines the demo prints;
then the medians and the ratios.

With --baseline, the output folders of the first two runs are compared file by file: every file must have the same
bytes, except the manifests' `timings_seconds` and the synthetic registration.xlsx, whose workbook properties hold
the time it was written (so its hash in the monitoring manifest's `inputs` differs too); its sheets must be equal.
Parquet files must hold the same values (the manifests' hashes of Parquet inputs, which are of their bytes, are left
out: the files themselves are compared where the output folder holds them).

    python benchmarks/bench_demo_whole.py                          # this checkout, one run
    python benchmarks/bench_demo_whole.py --baseline main --repeat 2
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
STAGE = re.compile(r"^(Synthetic data|Registers validated|Evaluation|/.*report\.pdf|Status report|Job rotation|"
                   r"Flere skal med|Free-municipality report|Benchmark report|Done in).*\((\d+(?:\.\d+)?) s")


def export(rev: str, folder: Path) -> Path:
    """src/ of git revision `rev`, unpacked into `folder`."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder / "src"


def run(src: Path, out: Path, persons: int, seed: int) -> dict:
    # wide lines: each stage line, with its seconds, on one line
    env = dict(os.environ, PYTHONPATH=str(src), VIRKNING_CACHE_DIR=str(out) + "-cache", COLUMNS="250")
    code = "import sys; from virkning.cli import main; sys.argv = ['virkning', *sys.argv[1:]]; main()"
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, "demo", "--out", str(out), "--persons", str(persons),
                             "--seed", str(seed)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    text, _ = proc.communicate()
    wall = time.perf_counter() - t
    if proc.returncode:
        raise SystemExit(f"the demo failed ({src}):\n{text[-3000:]}")
    return {"wall": wall, "text": text}


def cpu_of(before, after) -> float:
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _strip(o):
    if isinstance(o, dict):
        # a Parquet input's hash is of its bytes; its values are compared where the folder holds the file
        return {k: _strip(v) for k, v in o.items() if k != "timings_seconds" and k != "registration.xlsx"
                and not k.endswith(".parquet")}
    if isinstance(o, list):
        return [_strip(v) for v in o]
    return o


def _sheets(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}


def compare(a: Path, b: Path) -> list[str]:
    """What differs between two demo folders, beyond timings and the registration workbook's write time."""
    files_a = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
    files_b = {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
    problems = [f"only in {a}: {p}" for p in sorted(files_a - files_b)]
    problems += [f"only in {b}: {p}" for p in sorted(files_b - files_a)]
    for rel in sorted(files_a & files_b):
        x, y = a / rel, b / rel
        if rel.name == "manifest.json":
            same = _strip(json.loads(x.read_text())) == _strip(json.loads(y.read_text()))
        elif rel.name == "registration.xlsx":
            same = _sheets(x) == _sheets(y)
        elif rel.suffix == ".parquet":  # the values: how a file encodes them is not data
            same = pq.read_table(x).equals(pq.read_table(y))
        else:
            same = x.read_bytes() == y.read_bytes()
        if not same:
            problems.append(f"differs: {rel}")
    return problems


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--persons", type=int, default=1_190_000)
    ap.add_argument("--seed", type=int, default=2018)
    ap.add_argument("--baseline", help="a git revision to compare with (e.g. main)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-demo-whole-"))
    try:
        sources = {"this": ROOT / "src"}
        if args.baseline:
            sources[args.baseline] = export(args.baseline, tmp)
        results: dict[str, list[dict]] = {name: [] for name in sources}
        folders: dict[str, Path] = {}
        for i in range(args.repeat):
            for name, src in (sources.items() if i % 2 == 0 else reversed(sources.items())):
                out = tmp / f"{name.replace('/', '_')}-{i}"
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                r = run(src, out, args.persons, args.seed)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                r["cpu"], r["peak"] = cpu_of(before, after), after.ru_maxrss / 1024
                stages = [(m.group(1), float(m.group(2))) for line in r["text"].splitlines()
                          if (m := STAGE.match(line.strip()))]
                print(f"{name:<12} run {i + 1}: wall {r['wall']:6.1f} s, CPU {r['cpu']:6.1f} s; "
                      + ", ".join(f"{k.split('/')[-1][:24]} {v:g}" for k, v in stages), flush=True)
                results[name].append(r)
                if i == 0:
                    folders[name] = out
                else:
                    shutil.rmtree(out, ignore_errors=True)
                shutil.rmtree(str(out) + "-cache", ignore_errors=True)
        print(f"{'':<12} {'wall median':>12} {'CPU median':>11} {'peak MB (max child)':>20}")
        for name, rs in results.items():
            print(f"{name:<12} {statistics.median(r['wall'] for r in rs):>12.1f} "
                  f"{statistics.median(r['cpu'] for r in rs):>11.1f} {max(r['peak'] for r in rs):>20,.0f}")
        if args.baseline:
            this, base = results["this"], results[args.baseline]
            def ratio(key: str) -> float:
                return statistics.median(r[key] for r in this) / statistics.median(r[key] for r in base)

            print(f"this / {args.baseline}: wall {ratio('wall'):.2f}, CPU {ratio('cpu'):.2f}")
            problems = compare(folders["this"], folders[args.baseline])
            print("outputs: the same files" if not problems else "outputs differ:\n  " + "\n  ".join(problems[:30]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

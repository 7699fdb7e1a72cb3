"""Benchmark of nearest-neighbour matching: virkning against MatchIt on the same synthetic data.

Setup as in a register evaluation: exact matching on four variables (sex, region, origin, a-kasse), a
logistic propensity score on five covariates plus the exact variables, 1:1 nearest neighbour on the logit of
the score without replacement, treated units matched largest score first.

    .venv/bin/python benchmarks/bench_matching.py                      # 2,600/73,000 and 10,000/500,000
    .venv/bin/python benchmarks/bench_matching.py --sizes large        # 100,000/5,000,000
    .venv/bin/python benchmarks/bench_matching.py --sizes all --with-r  # also run MatchIt on the same data
    .venv/bin/python benchmarks/bench_matching.py --with-r --matchit-lib /tmp/matchit-fixed
    .venv/bin/python benchmarks/bench_matching.py --sizes medium,large --baseline ../main/src --repeat 3

Each run happens in a fresh process that reads the data from binary column files, so the peak memory
(VmHWM, resident set high-water mark) of virkning and of R are measured the same way; it includes the
data. Times and CPU times (process time, all threads) are of the matching call; loading the package is
timed apart, before it (virkning.estimate imports scipy.stats and more, about 1 s of CPU on the shared
development machine), as the R runner loads MatchIt before its clock starts. virkning is timed twice:
default matching, and ``compat="matchit-4.5.1-gcc"``, which reproduces the installed MatchIt 4.5.1 build
(see docs/matching.md). Matches are compared as sets of (treated, control) pairs: compat against the
installed MatchIt, default against MatchIt from ``--matchit-lib`` (4.5.1 with the upstream fixes,
tests/reference/matchit/build_matchit_fixed.sh) when given.

--baseline names another checkout's src folder (for example an export of main): each round then runs that
code and this one (src/ next to this script) one after the other, each mode in a fresh process, and the
summary gives min and median wall and CPU time of each, the ratio of the medians, peak memory, and whether
every output (match matrix, weights, set numbers, distance, propensity coefficients, standard errors, linear
predictor and scores) was byte-identical between the two codes and across rounds (a SHA-256 of their bytes).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from statistics import median

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"small": (2_600, 73_000), "medium": (10_000, 500_000), "large": (100_000, 5_000_000)}
EXACT = {"sex": ["K", "M"], "region": ["Hovedstaden", "Midtjylland", "Nordjylland", "Sjaelland", "Syddanmark"],
         "origin": ["dansk", "efterkommer", "indvandrer"],
         "akasse": ["3F", "Akademikerne", "FOA", "HK", "Krifa", "Lederne", "Metal", "Other"]}
NUMERIC = ["age", "prior_emp", "sick", "benefit_weeks", "income"]


def make_data(n_treated: int, n_control: int, seed: int, folder: Path) -> None:
    """Write synthetic data as raw little-endian columns (float64 / int32 codes) plus a JSON manifest."""
    rng = np.random.default_rng(seed)
    n = n_treated + n_control
    cols: dict[str, np.ndarray] = {}
    probs = {"sex": [0.5, 0.5], "region": [0.3, 0.25, 0.1, 0.15, 0.2], "origin": [0.7, 0.1, 0.2],
             "akasse": [0.25, 0.15, 0.12, 0.2, 0.08, 0.05, 0.1, 0.05]}
    for name, levels in EXACT.items():
        cols[name] = rng.choice(len(levels), size=n, p=probs[name]).astype(np.int32)
    cols["age"] = rng.integers(50, 66, n).astype(np.float64)
    cols["prior_emp"] = np.round(rng.beta(2, 2, n), 6)
    cols["sick"] = rng.binomial(1, 0.2, n).astype(np.float64)
    cols["benefit_weeks"] = np.round(rng.gamma(2.0, 20.0, n), 3)
    cols["income"] = np.round(rng.lognormal(12, 0.5, n) / 1000, 3)
    lin = (0.07 * (cols["age"] - 57) - 1.2 * cols["prior_emp"] + 0.5 * cols["sick"] + 0.008 * cols["benefit_weeks"]
           - 0.002 * cols["income"] + 0.3 * cols["sex"] - 0.1 * cols["region"] + 0.2 * (cols["origin"] == 2)
           + 0.05 * cols["akasse"])
    # choose exactly n_treated units, with selection on the covariates (Gumbel top-k on the log-odds)
    score = lin + rng.gumbel(size=n)
    treat = np.zeros(n, dtype=np.int32)
    treat[np.argpartition(-score, n_treated)[:n_treated]] = 1
    # MatchIt 4.5.1 stops when an exact cell has no treated unit (fixed in 4.5.2): give every cell one,
    # taking it from the cell with most treated units so the count stays exact.
    cell = np.zeros(n, dtype=np.int64)
    for name, levels in EXACT.items():
        cell = cell * len(levels) + cols[name]
    n_cells = int(np.prod([len(v) for v in EXACT.values()]))
    for c in np.flatnonzero(np.bincount(cell[treat == 1], minlength=n_cells) == 0):
        members = np.flatnonzero(cell == c)
        if len(members) < 2:
            continue
        treat[members[np.argmax(score[members])]] = 1
        busiest = np.argmax(np.bincount(cell[treat == 1], minlength=n_cells))
        donors = np.flatnonzero((cell == busiest) & (treat == 1))
        treat[donors[np.argmin(score[donors])]] = 0
    cols["treat"] = treat
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {"n": n, "columns": {}}
    for name, arr in cols.items():
        arr.astype("<i4" if arr.dtype == np.int32 else "<f8").tofile(folder / f"{name}.bin")
        manifest["columns"][name] = {"type": "int" if arr.dtype == np.int32 else "double",
                                     "levels": EXACT.get(name)}
    (folder / "manifest.json").write_text(json.dumps(manifest))


PY_RUNNER = textwrap.dedent("""
    import hashlib, json, sys, time, warnings
    from pathlib import Path
    import numpy as np, pandas as pd
    import virkning

    t0, c0 = time.perf_counter(), time.process_time()
    import virkning.estimate  # what the first virkning.match() would import (scipy.stats and more), timed apart
    import_seconds, import_cpu = time.perf_counter() - t0, time.process_time() - c0

    folder, compat, out = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    man = json.loads((folder / "manifest.json").read_text())
    data = {}
    for name, spec in man["columns"].items():
        arr = np.fromfile(folder / f"{name}.bin", dtype="<i4" if spec["type"] == "int" else "<f8")
        data[name] = pd.Categorical.from_codes(arr, spec["levels"]) if spec["levels"] else arr
    df = pd.DataFrame(data)
    exact = [n for n, s in man["columns"].items() if s["levels"]]
    covs = ["age", "prior_emp", "sick", "benefit_weeks", "income", *exact]
    t0, c0 = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = virkning.match(df, "treat", covs, exact=exact, distance="logit", compat=compat)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    mm = np.full(len(m.treated_rows), -1, dtype="<i4")
    has = m.match_matrix[:, 0] >= 0
    mm[has] = m.match_matrix[has, 0]
    mm.tofile(out)
    hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
    h = hashlib.sha256()  # every output array, its dtype and shape, to compare two codes byte for byte
    p = m.propensity
    for a in (m.match_matrix, m.weights, m.subclass, m.treated_rows, m.reason, m.distance, p.coef, p.se,
              p.linear_predictor, p.score):
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype}{a.shape}".encode())
        h.update(a.tobytes())
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "import_seconds": import_seconds, "import_cpu": import_cpu,
                      "peak_mb": int(hwm) / 1024, "matched": int(has.sum()), "digest": h.hexdigest()}))
""")

R_RUNNER = textwrap.dedent("""
    args <- commandArgs(trailingOnly = TRUE)
    folder <- args[1]; out <- args[2]; lib <- if (length(args) >= 3 && nzchar(args[3])) args[3] else NULL
    suppressPackageStartupMessages({library(MatchIt, lib.loc = lib); library(jsonlite)})
    man <- fromJSON(file.path(folder, "manifest.json"))
    n <- man$n
    d <- list()
    for (name in names(man$columns)) {
      spec <- man$columns[[name]]
      con <- file(file.path(folder, paste0(name, ".bin")), "rb")
      if (spec$type == "int") x <- readBin(con, "integer", n = n, size = 4, endian = "little")
      else x <- readBin(con, "double", n = n, size = 8, endian = "little")
      close(con)
      if (!is.null(spec$levels)) x <- factor(spec$levels[x + 1], levels = spec$levels)
      d[[name]] <- x
    }
    d <- as.data.frame(d)
    t0 <- proc.time()[["elapsed"]]
    m <- suppressWarnings(matchit(treat ~ age + prior_emp + sick + benefit_weeks + income + sex + region + origin +
                                    akasse, data = d, exact = ~sex + region + origin + akasse,
                                  link = "linear.logit"))
    seconds <- proc.time()[["elapsed"]] - t0
    ctl <- as.integer(m$match.matrix[, 1]) - 1L
    ctl[is.na(ctl)] <- -1L
    writeBin(ctl, out, size = 4, endian = "little")
    hwm <- grep("^VmHWM", readLines("/proc/self/status"), value = TRUE)
    kb <- as.numeric(strsplit(trimws(sub("VmHWM:", "", hwm)), " +")[[1]][1])
    cat(toJSON(list(seconds = seconds, peak_mb = kb / 1024, matched = sum(ctl >= 0),
                    version = as.character(packageVersion("MatchIt", lib.loc = lib))), auto_unbox = TRUE))
""")


def run(cmd: list[str], src: str | None = None) -> dict:
    env = None if src is None else os.environ | {"PYTHONPATH": src}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def summary(runs: dict[tuple[str, str], list[dict]], modes: list[tuple[str, str]], codes: list[str]) -> None:
    """Min and median of wall and CPU time per code and mode; with a baseline their ratio and the outputs' identity."""
    print(f"{'':18s} {'code':>8s} {'wall min/med':>14s} {'cpu min/med':>14s} {'peak MB':>8s}")
    for label, _ in modes:
        for code in codes:
            rs = runs[(code, label)]
            w, c = [r["seconds"] for r in rs], [r["cpu_seconds"] for r in rs]
            print(f"{label:18s} {code:>8s} {min(w):6.2f}/{median(w):6.2f} {min(c):6.2f}/{median(c):6.2f} "
                  f"{max(r['peak_mb'] for r in rs):8.0f}")
        if "baseline" in codes:
            b, t = runs[("baseline", label)], runs[("this", label)]
            ratio = {k: median(r[k] for r in b) / median(r[k] for r in t) for k in ("seconds", "cpu_seconds")}
            same = len({r["digest"] for r in b + t}) == 1
            print(f"{label:18s} baseline / this (medians): wall {ratio['seconds']:.2f}, cpu {ratio['cpu_seconds']:.2f};"
                  f" outputs byte-identical: {'yes' if same else 'NO'}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="small,medium",
                    help="comma-separated from small (2,600/73,000), medium (10,000/500,000), large "
                         "(100,000/5,000,000), or 'all'")
    ap.add_argument("--with-r", action="store_true", help="also run MatchIt (Rscript) on the same data")
    ap.add_argument("--matchit-lib", default="", help="R library with the fixed MatchIt 4.5.1 build")
    ap.add_argument("--r-max", default="large", help="largest size to run MatchIt on (default: all chosen)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", default="", help="folder to keep the generated data in")
    ap.add_argument("--baseline", default="", help="another checkout's src folder to time against, alternately")
    ap.add_argument("--repeat", type=int, default=1, help="rounds of virkning runs (with --baseline: of each code)")
    ap.add_argument("--modes", default="none,matchit-4.5.1-gcc", help="virkning's compat modes to run")
    args = ap.parse_args()
    names = list(SIZES) if args.sizes == "all" else [s.strip() for s in args.sizes.split(",")]
    with_r = args.with_r and shutil.which("Rscript") is not None
    if args.with_r and not with_r:
        print("Rscript not found: MatchIt is skipped")
    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_matching_"))
    (tmp / "runner.py").write_text(PY_RUNNER)
    (tmp / "runner.R").write_text(R_RUNNER)
    rows = []
    for name in names:
        n1, n0 = SIZES[name]
        folder = tmp / name
        t0 = time.perf_counter()
        make_data(n1, n0, args.seed, folder)
        print(f"\n== {name}: {n1:,} treated among {n0:,} controls (data written in "
              f"{time.perf_counter() - t0:.1f} s)")
        res: dict = {"size": name, "treated": n1, "controls": n0}
        codes = {"baseline": args.baseline, "this": str(ROOT / "src")} if args.baseline else {"this": None}
        modes = [("virkning", "none"), ("virkning compat", "matchit-4.5.1-gcc")]
        modes = [(label, compat) for label, compat in modes if compat in args.modes.split(",")]
        runs: dict[tuple[str, str], list[dict]] = {}
        for round_ in range(args.repeat):
            for code, src in codes.items():
                for label, compat in modes:
                    r = run([sys.executable, str(tmp / "runner.py"), str(folder), compat,
                             str(folder / f"py_{compat}.bin")], src)
                    print(f"{label:18s} {r['seconds']:8.2f} s  cpu {r['cpu_seconds']:6.2f} s  peak {r['peak_mb']:8.0f} MB"
                          f"  matched {r['matched']:,}  (import of virkning.estimate before: {r['import_seconds']:.2f}"
                          f" s, cpu {r['import_cpu']:.2f} s)" + (f"  [{code}, round {round_ + 1}]" if args.baseline
                                                                 else ""))
                    runs.setdefault((code, label), []).append(r)
                    res[label] = r
        if args.baseline or args.repeat > 1:
            res["runs"] = {f"{code} {label}": rs for (code, label), rs in runs.items()}
            summary(runs, modes, list(codes))
        r_runs = []
        if with_r and list(SIZES).index(name) <= list(SIZES).index(args.r_max):
            r_runs.append(("MatchIt installed", "", "py_matchit-4.5.1-gcc.bin"))
            if args.matchit_lib:
                r_runs.append(("MatchIt fixed", args.matchit_lib, "py_none.bin"))
        for label, lib, mine in r_runs:
            if ("virkning compat" if mine.endswith("gcc.bin") else "virkning") not in res:
                continue  # that mode of virkning was not run (--modes)
            out = folder / f"r_{label.split()[-1]}.bin"
            r = run(["Rscript", str(tmp / "runner.R"), str(folder), str(out), lib])
            same = np.array_equal(np.fromfile(out, dtype="<i4"), np.fromfile(folder / mine, dtype="<i4"))
            ref = res["virkning compat" if mine.endswith("gcc.bin") else "virkning"]
            print(f"{label:18s} {r['seconds']:8.2f} s  peak {r['peak_mb']:8.0f} MB  matched {r['matched']:,}  "
                  f"(MatchIt {r['version']}; ratio {r['seconds'] / ref['seconds']:.1f}x; identical matches: "
                  f"{'yes' if same else 'NO'})")
            res[label] = {**r, "identical": bool(same)}
        rows.append(res)
    print("\n" + json.dumps(rows, indent=1))
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Coverage of the 95 % intervals over repeated synthetic registers with a known effect, for each variance method.

Each replication draws a new synthetic population (its own seed), runs the Seniorvikar-like evaluation and then
computes the first-exit curves' standard errors with every method of `virkning.estimate.km_curve` on the same
matched sample:

  sets        cluster bootstrap over matched sets (the evaluation's method before the person-level resampling)
  components  cluster bootstrap over groups of matched sets that share a person (the default now)
  cluster     analytic sandwich variance, two-way on matched sets and persons
  satt        analytic variance around the effect on the matched participants (sample ATT)
  rematch     bootstrap that resamples persons, re-estimates the propensity score and matches again

For every outcome, month and method it checks whether the interval covers the true effect in that replication's
truth.json: the mean effect on that replication's participants, from their untreated twins (the sample ATT).
It also checks coverage of the population ATT, the mean of the sample ATTs over all replications (whose own
Monte Carlo error, about SD(truth) / sqrt(reps), is small against the SEs). It prints coverage per outcome with
its Monte Carlo error (the SD over replications of a replication's share of covered months, / sqrt(reps)), the
SD of the errors against the mean SE, and the time per replication. The fixed-sets bootstraps are shown with
their percentile intervals and, in a second table, with normal intervals (estimate +- 1.96 SE, the evaluation's
default since this benchmark's 400-replication run); the other methods give normal intervals.

At the end it times the re-matching bootstrap (499 replicates, `--workers` threads) on the demo's main design
(the demo's registers: `--demo-data DIR`, else generated), beside the fixed-sets bootstrap.

    python benchmarks/bench_coverage.py --reps 200 --persons 60000
    python benchmarks/bench_coverage.py --reps 0 --demo-data demo-output/data      # timing only
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from virkning.demo import seniorvikar_design
from virkning.estimate.curves import km_curve
from virkning.estimate.rematch import rematch_bootstrap
from virkning.registers import load
from virkning.registers.catalogue import canonical_state
from virkning.synth import generate

try:  # the pipeline's home after the restructuring (an evaluate with a RunCache), else the one before it
    from virkning.analyses.effect import RunCache, evaluate
except ImportError:
    from virkning.evaluation import evaluate

    RunCache = dict

METHODS = ("sets", "components", "cluster", "satt", "rematch")


def _panel(cache, design):
    """The panel the evaluation kept in its cache (to read the outcomes of rows it did not read)."""
    return cache.panels[design.end_month] if hasattr(cache, "panels") else cache[("panel", design.end_month)]
Z = 1.959963984540054


def _outcome_arrays(ev, panel, rows: np.ndarray, design) -> dict[str, np.ndarray]:
    """first_<state> and followup for every data row, reading the outcomes of `rows` that the evaluation did not
    read (the evaluation reads them for matched rows only)."""
    data = ev.data
    exits = [canonical_state(o.status) for o in design.outcomes]
    cols = {c: data[c].to_numpy(dtype=float, na_value=np.nan).copy() for c in [f"first_{s}" for s in exits]}
    cols["followup"] = data["followup"].to_numpy(dtype=float, na_value=np.nan).copy()
    missing = rows[np.isnan(cols["followup"][rows])]
    if len(missing):
        keys = data.iloc[missing][["person_id", "index_week", "index_month"]].reset_index(drop=True)
        Y = panel.outcomes(keys, design.horizon, exits=tuple(exits))
        for c in cols:
            cols[c][missing] = Y[c].to_numpy(dtype=float, na_value=np.nan)
    return cols


def one(seed: int, persons: int, n_boot: int, work: Path, methods: list[str], workers: int) -> tuple[pd.DataFrame, dict]:
    out = work / f"rep{seed}"
    generate(out, persons=persons, seed=seed)
    truth = json.loads((out / "truth.json").read_text())["outcomes"]
    regs = load(out)
    # the design of the stored measurements (docs/matching.md): no common-support discard, no adjusted effects or
    # sensitivity numbers (they do not change the curves' intervals, only cost time)
    design = seniorvikar_design(seed=seed, n_boot=n_boot, subgroups=(), discard="none", adjust="none",
                                sensitivity=False)
    cache = RunCache()
    seconds: dict[str, float] = {}
    rows = []
    try:
        t = time.perf_counter()
        ev = evaluate(regs, design, cache=cache)
        seconds["evaluation"] = time.perf_counter() - t
        panel = _panel(cache, design)
        m = ev.matching
        sample = m.analysis_sample()
        draws = None
        needed = np.flatnonzero(m.weights > 0)
        if "rematch" in methods:
            t = time.perf_counter()
            draws = rematch_bootstrap(m, n_boot, seed=seed, workers=workers)
            seconds["rematch"] = time.perf_counter() - t
            needed = draws.rows_needed
        t = time.perf_counter()
        arrays = _outcome_arrays(ev, panel, needed, design)
        seconds["read outcomes"] = time.perf_counter() - t
        for o in design.outcomes:
            first = arrays[f"first_{canonical_state(o.status)}"]
            for method in methods:
                kw = {"sets": dict(resample="sets", interval="percentile"), "components": dict(interval="percentile"), "cluster": dict(variance="cluster"),
                      "satt": dict(variance="satt"), "rematch": dict(variance="rematch", draws=draws)}[method]
                t = time.perf_counter()
                c = km_curve(sample, first, arrays["followup"], o.horizon, outcome=o.name, n_boot=n_boot, seed=seed,
                             **kw)
                seconds[method] = seconds.get(method, 0.0) + time.perf_counter() - t
                rows.append(c.assign(variance=method, seed=seed,
                                     truth=[truth[o.name]["att"][mm - 1] for mm in c["month"]]))
    finally:
        regs.close()
        shutil.rmtree(out)
    res = pd.concat(rows, ignore_index=True)
    res["covered"] = (res["ci_low"] <= res["truth"]) & (res["truth"] <= res["ci_high"])
    res["covered_normal"] = (res["att"] - Z * res["se"] <= res["truth"]) & (res["truth"] <= res["att"] + Z * res["se"])
    return res, seconds


def summarise(res: pd.DataFrame, column: str) -> pd.DataFrame:
    """Coverage per method and outcome with its Monte Carlo error, bias and SE calibration."""
    per_rep = res.groupby(["variance", "outcome", "seed"])[column].mean()
    g = per_rep.groupby(["variance", "outcome"])
    out = pd.DataFrame({"coverage": g.mean(), "mc_error": g.std(ddof=1) / np.sqrt(g.size()), "reps": g.size()})
    err = res.assign(err=res["att"] - res["truth"]).groupby(["variance", "outcome"])
    out["bias"] = err["err"].mean()
    out["sd_error"] = err["err"].std()
    out["mean_se"] = err["se"].mean()
    out["sd_error/se"] = out["sd_error"] / out["mean_se"]
    out["in_94_96"] = (out["coverage"] >= 0.94) & (out["coverage"] <= 0.96)
    order = {m: i for i, m in enumerate(METHODS)}
    return out.sort_index(key=lambda idx: idx.map(order) if idx.name == "variance" else idx)


def demo_timing(demo_data: Path | None, workers: int, n_boot: int = 499) -> None:
    """Time the re-matching bootstrap on the demo's main design, beside the fixed-sets bootstrap."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = demo_data
        if folder is None:
            folder = Path(tmp) / "demo"
            t = time.perf_counter()
            generate(folder, persons=1_190_000, seed=2018, population="seniors")
            print(f"\ndemo registers generated in {time.perf_counter() - t:.0f} s")
        regs = load(folder)
        try:
            design = seniorvikar_design(n_boot=n_boot, subgroups=(), discard="none", adjust="none", sensitivity=False)
            cache = RunCache()
            t = time.perf_counter()
            ev = evaluate(regs, design, cache=cache)
            t_eval = time.perf_counter() - t
            m = ev.matching
            n_t, n_c = int(m.info.n_treated), int(m.info.n_control)
            t, cpu = time.perf_counter(), time.process_time()
            draws = rematch_bootstrap(m, n_boot, seed=2018, workers=workers)
            t_rematch, cpu_rematch = time.perf_counter() - t, time.process_time() - cpu
            t, cpu = time.perf_counter(), time.process_time()
            rematch_bootstrap(m, 50, seed=1, workers=1)
            one_thread = (time.process_time() - cpu) * n_boot / 50
            t = time.perf_counter()
            arrays = _outcome_arrays(ev, _panel(cache, design), draws.rows_needed, design)
            t_read = time.perf_counter() - t
            o = design.outcomes[0]
            first = arrays[f"first_{canonical_state(o.status)}"]
            sample = m.analysis_sample()
            t = time.perf_counter()
            km_curve(sample, first, arrays["followup"], o.horizon, outcome=o.name, n_boot=n_boot, seed=1,
                     variance="rematch", draws=draws)
            t_curve = time.perf_counter() - t
            t = time.perf_counter()
            km_curve(sample, first, arrays["followup"], o.horizon, outcome=o.name, n_boot=n_boot, seed=1)
            t_fixed = time.perf_counter() - t
        finally:
            regs.close()
    print(f"\nre-matching bootstrap on the demo's main design ({n_t:,} participants, {n_c:,} candidate rows; "
          f"evaluation {t_eval:.0f} s):")
    print(f"  {n_boot} replicates with {workers} thread(s): {t_rematch:.1f} s wall, {cpu_rematch:.1f} s CPU "
          f"(target < 60 s on 2 cores); one thread, from the CPU time of 50 replicates: {one_thread:.0f} s per "
          f"{n_boot} (what an idle core takes; the wall time grows with other jobs on the machine)")
    print(f"  {len(draws.rows_needed):,} rows matched in some replicate, their outcomes read in {t_read:.1f} s; "
          f"curves from the replicates {t_curve:.2f} s per outcome")
    print(f"  fixed-sets bootstrap ({n_boot} replicates, one outcome): {t_fixed:.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--persons", type=int, default=60_000)
    ap.add_argument("--n-boot", type=int, default=299)
    ap.add_argument("--first-seed", type=int, default=1000)
    ap.add_argument("--methods", default=",".join(METHODS), help="comma-separated subset of " + ", ".join(METHODS))
    ap.add_argument("--workers", type=int, default=2, help="threads of the re-matching bootstrap")
    ap.add_argument("--demo-data", type=Path, default=None, help="demo registers for the timing (else generated)")
    ap.add_argument("--no-demo-timing", action="store_true")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "data" / "coverage.csv")
    args = ap.parse_args()
    methods = [m for m in args.methods.split(",") if m]
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        ap.error(f"unknown method(s) {unknown}; expected some of {', '.join(METHODS)}")
    if args.reps > 0:
        rows, times = [], []
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(args.reps):
                t = time.perf_counter()
                res, sec = one(args.first_seed + i, args.persons, args.n_boot, Path(tmp), methods, args.workers)
                rows.append(res)
                times.append(sec)
                print(f"replication {i + 1}/{args.reps}: {time.perf_counter() - t:.1f} s", flush=True)
        res = pd.concat(rows, ignore_index=True)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        res.to_csv(args.out, index=False)
        fmt = {"float_format": lambda v: f"{v:.4f}"}
        print(f"\n{args.reps} replications of {args.persons:,} persons, {time.perf_counter() - started:.0f} s in all; "
              f"{res.groupby('seed')['n_treated'].max().mean():.0f} participants matched per replication on average")
        print("\ncoverage of the 95 % interval (all months) against the true effect on the participants (sample ATT); "
              "mc_error = Monte Carlo SE of the coverage:")
        print(summarise(res, "covered").to_string(**fmt))
        boot = res[res["variance"].isin(["sets", "components"])]
        if len(boot):
            print("\nthe fixed-sets bootstraps with normal intervals (estimate +- 1.96 SE):")
            print(summarise(boot, "covered_normal")[["coverage", "mc_error", "in_94_96"]].to_string(**fmt))
        patt = res.assign(truth=res.groupby(["outcome", "month"])["truth"].transform("mean"))
        patt["covered"] = (patt["ci_low"] <= patt["truth"]) & (patt["truth"] <= patt["ci_high"])
        print("\ncoverage against the population ATT (the mean of the replications' sample ATTs):")
        print(summarise(patt, "covered")[["coverage", "mc_error", "bias", "sd_error", "mean_se", "sd_error/se",
                                          "in_94_96"]].to_string(**fmt))
        print("\ncoverage by month:")
        print(res.pivot_table(index=["variance", "outcome"], columns="month", values="covered", aggfunc="mean")
              .reindex([m for m in METHODS if m in methods], level=0).to_string(float_format=lambda v: f"{v:.3f}"))
        t = pd.DataFrame(times).mean()
        print("\nmean seconds per replication: " + ", ".join(f"{k} {v:.2f}" for k, v in t.items()))
        print(f"results in {args.out}")
    if not args.no_demo_timing:
        demo_timing(args.demo_data, args.workers)


if __name__ == "__main__":
    main()

"""Benchmark: the covariate balance table (`balance_table`) on a matching-sample-sized frame.

The frame looks like the matching sample of a national evaluation: the treated plus every pool candidate
(600,000 rows, 2 % treated), a propensity distance, two integer covariates (age, weeks of unemployment),
a float covariate (income), sex (2 levels), education (8 levels, strings) and the index week (50 levels, as
the default exact variable), 1:1 matching with replacement (control weights normalised as MatchIt does).

Printed: the wall time of `balance_table` (best of --repeat runs) and the peak memory it allocates on top of
its inputs (tracemalloc, which numpy reports its arrays to, in a separate run), next to the unit, one
`np.sort` of a 600,000-row float column measured in the same run, so that numbers from different machines
and from before/after a change compare as ratios.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_balance.py
    PYTHONPATH=src .venv/bin/python benchmarks/bench_balance.py --rows 1800000 --repeat 2
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
import pandas as pd

from virkning.estimate.balance import balance_table

COVARIATES = ["age", "sex", "weeks_ledig_52w", "income", "education", "index_week"]


def make_sample(rows: int, seed: int = 1) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n_treated = rows // 50
    treat = np.zeros(rows, dtype=bool)
    treat[rng.choice(rows, n_treated, replace=False)] = True
    weeks = [f"2018-W{k:02d}" for k in range(1, 51)]
    frame = pd.DataFrame({
        "age": rng.integers(16, 67, rows).astype(np.int64),
        "sex": pd.Categorical(rng.choice(["K", "M"], rows)),
        "weeks_ledig_52w": np.minimum(rng.poisson(20, rows), 52).astype(np.int64),
        "income": np.round(rng.lognormal(12, 0.5, rows) / 1000, 3),
        "education": rng.choice([f"edu{k}" for k in range(8)], rows).astype(object),
        "index_week": pd.Categorical(rng.choice(weeks, rows), categories=weeks),
    })
    lin = 0.04 * (frame["age"].to_numpy() - 45) - 0.02 * frame["weeks_ledig_52w"].to_numpy() - 4.0
    distance = lin + rng.normal(0, 0.5, rows)
    # 1:1 with replacement: 95 % of the treated get a control; a control's weight counts its uses, and the
    # control weights are scaled to sum to the number of distinct controls used (MatchIt's normalisation)
    weights = np.zeros(rows)
    matched_t = np.flatnonzero(treat)[rng.random(n_treated) < 0.95]
    weights[matched_t] = 1.0
    controls = np.flatnonzero(~treat)
    np.add.at(weights, controls[rng.integers(0, len(controls), len(matched_t))], 1.0)
    used = (~treat) & (weights > 0)
    weights[used] *= used.sum() / weights[used].sum()
    return frame, treat, weights, distance


def best_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=600_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    frame, treat, weights, distance = make_sample(args.rows)
    col = np.random.default_rng(2).normal(size=args.rows)
    unit = best_time(lambda: np.sort(col), max(args.repeat, 5))

    def run():
        return balance_table(frame, treat, weights, COVARIATES, distance=distance)

    terms = len(run().table)
    seconds = best_time(run, args.repeat)
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    inputs = (frame.memory_usage(deep=False).sum() + weights.nbytes + distance.nbytes) / 2**20
    print(f"rows {args.rows:,} ({int(treat.sum()):,} treated, {int((weights[~treat] > 0).sum()):,} matched "
          f"controls), {terms} terms; inputs {inputs:.0f} MB")
    print(f"unit: np.sort of {args.rows:,} floats  {unit * 1e3:8.1f} ms")
    print(f"balance_table                        {seconds * 1e3:8.1f} ms  = {seconds / unit:6.1f} units")
    print(f"balance_table peak allocation        {peak / 2**20:8.1f} MB  = {peak / (8 * args.rows):6.1f} "
          f"float columns")


if __name__ == "__main__":
    main()

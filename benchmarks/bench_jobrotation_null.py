"""Benchmark with known truth: the substitutes' outcomes when job rotation has no effect.

Synthetic registers hold no job rotation, so "substitutes" drawn at random from the persons eligible at a start week
(a code of `ledig` in each of the 13 weeks before) have a true effect of 0 on every later month. The script draws
them, gives each a rotation of 2-11 months, runs `substitute_outcomes` (the effect evaluation) and prints the
estimates, repeated over draws; their mean should be near 0 and about 95 % of the intervals should cover 0.

    python benchmarks/bench_jobrotation_null.py --data demo-output/data --draws 5 --substitutes 600
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import numpy as np
import pandas as pd

from virkning.analyses.jobrotation.outcomes import substitute_outcomes
from virkning.analyses.jobrotation.spec import Outcomes
from virkning.registers import calendar, load

STARTS = [dt.date(2017, 3, 6), dt.date(2017, 6, 5), dt.date(2017, 9, 4), dt.date(2017, 12, 4), dt.date(2018, 3, 5),
          dt.date(2018, 6, 4)]


def eligible(regs, start: dt.date) -> np.ndarray:
    """Persons in `ledig` in each of the 13 weeks before the start week (the panel's state pairs)."""
    panel = regs.panel()
    wk = calendar.date_week(start)
    pairs = panel.state_pairs(np.array([wk]), {-k: "ledig" for k in range(1, 14)})
    return np.sort(panel.ids_of(pairs["pk"].to_numpy()).astype(str))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--draws", type=int, default=5)
    ap.add_argument("--first", type=int, default=0, help="seed of the first draw")
    ap.add_argument("--substitutes", type=int, default=600)
    args = ap.parse_args()
    regs = load(args.data)
    pools = {s: eligible(regs, s) for s in STARTS}
    rows = []
    for draw in range(args.first, args.first + args.draws):
        rng = np.random.default_rng(draw)
        used: set[str] = set()
        recs = []
        for i in range(args.substitutes):
            s = STARTS[i % len(STARTS)]
            while (p := str(pools[s][rng.integers(len(pools[s]))])) in used:
                pass
            used.add(p)
            end = (pd.Timestamp(s) + pd.DateOffset(months=int(rng.integers(2, 12))) - pd.Timedelta(days=1)).date()
            recs.append({"substitute": p, "employee": "", "firm": "", "start": s, "end": end, "hours": 20.0,
                         "unit": "", "sheet": "", "row": i + 2})
        t = time.perf_counter()
        out = substitute_outcomes(regs, pd.DataFrame(recs), Outcomes(), seed=draw)
        e = out.effects
        for r in e.itertuples():
            rows.append({"draw": draw, "month": r.month, "att": r.att, "se": r.se, "n": r.n_treated,
                         "covers_0": r.ci_low <= 0 <= r.ci_high})
        print(f"draw {draw}: " + ", ".join(f"{int(r.month)} m {100 * r.att:+.1f} pp (SE {100 * r.se:.1f})"
                                          for r in e.itertuples()) + f"  [{time.perf_counter() - t:.0f} s]",
              flush=True)
    f = pd.DataFrame(rows)
    summary = f.groupby("month").agg(mean_att=("att", "mean"), sd_att=("att", "std"), mean_se=("se", "mean"),
                                     coverage=("covers_0", "mean"), n=("n", "mean"))
    print(summary.to_string(float_format=lambda v: f"{v:.4f}"))
    regs.close()


if __name__ == "__main__":
    main()

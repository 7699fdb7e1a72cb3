"""Covariates at an index week: `Panel.covariates` against one hand-written DuckDB query, same values, timed.

The baseline is what an analyst would write without virkning: the benefit weeks and employment months of the pairs'
persons, each aggregated once with a FILTER per covariate, straight from the Parquet files (weeks converted with the
same calendar table, states from the same code catalogue). virkning is timed two ways:

  end to end   load the (already validated) folder, then `regs.panel().covariates(pairs, names)`: every row copy and
               query the panel makes for pairs it has never seen, reading the folder's keyed copy (integer person
               keys, registers/keyed.py; written before the timing, as any earlier run over the folder leaves it)
  text-keyed   the same with VIRKNING_KEYED_COPY=off: the rows copied from the registers as delivered
  again        the same call for new pairs of the same persons (rows already in the store)

Both give the same 8 history covariates for the same pairs, and the script checks that every value is identical
before it prints a time. Times are the best of three runs, each on a fresh connection; the unit is one grouped scan
of the benefit codes, as in bench_scale.py.

    python benchmarks/bench_covariates.py --data /path/to/registers          # e.g. made by bench_scale.py --keep
    python benchmarks/bench_covariates.py --persons 1000000 --pairs 50000    # generates the registers first
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

NAMES = ["weeks_ledig_52w", "weeks_ledig_104w", "weeks_sygdom_52w", "weeks_ydelse_52w", "weeks_aktivering_26w",
         "in_ledig_at_-1", "employment_12m", "employment_36m"]


def baseline_sql(folder: Path) -> str:
    """The single query: one pass over each register for the pairs (table `pairs`: person_id, iwk, imo, _pair).
    The rows of the pairs' persons are taken first (MATERIALIZED: left to itself, DuckDB 1.x joins all 160 million
    benefit weeks with the calendar and the catalogue before it meets the pairs, or joins pairs and calendar on the
    window's inequality first; both 2-3x slower), and the windows are FILTER clauses of one aggregate."""
    bens = f"read_parquet('{folder / 'benefits.parquet'}')"
    emps = f"read_parquet('{folder / 'employment.parquet'}')"
    return f"""
WITH rb AS MATERIALIZED (
  SELECT p._pair, p.iwk, r.week, r.code FROM {bens} r JOIN pairs p ON p.person_id = r.person_id),
re AS MATERIALIZED (
  SELECT p._pair, p.imo, r.month, r.employment_rate FROM {emps} r JOIN pairs p ON p.person_id = r.person_id),
b AS (
  SELECT x._pair,
    count(*) FILTER (WHERE w.wk >= x.iwk - 52 AND w.wk < x.iwk AND c.state = 'ledig') AS weeks_ledig_52w,
    count(*) FILTER (WHERE w.wk >= x.iwk - 104 AND w.wk < x.iwk AND c.state = 'ledig') AS weeks_ledig_104w,
    count(*) FILTER (WHERE w.wk >= x.iwk - 52 AND w.wk < x.iwk AND c.state = 'sygdom') AS weeks_sygdom_52w,
    count(*) FILTER (WHERE w.wk >= x.iwk - 52 AND w.wk < x.iwk AND c.benefit = 1) AS weeks_ydelse_52w,
    count(*) FILTER (WHERE w.wk >= x.iwk - 26 AND w.wk < x.iwk AND c.state = 'aktivering') AS weeks_aktivering_26w,
    count(*) FILTER (WHERE w.wk = x.iwk - 1 AND c.state = 'ledig') AS "in_ledig_at_-1"
  FROM rb x JOIN weeks w ON w.yyyyww = x.week LEFT JOIN catalogue c ON c.code = x.code
  GROUP BY x._pair),
e AS (
  SELECT x._pair,
    CAST(sum(CAST(x.employment_rate AS DECIMAL(18, 9))) FILTER (WHERE m.mo >= x.imo - 12 AND m.mo < x.imo)
      AS DOUBLE) AS employment_12m,
    CAST(sum(CAST(x.employment_rate AS DECIMAL(18, 9))) FILTER (WHERE m.mo >= x.imo - 36 AND m.mo < x.imo)
      AS DOUBLE) AS employment_36m
  FROM re x JOIN months m ON m.label = x.month
  GROUP BY x._pair)
SELECT p._pair, {', '.join(f'coalesce(b."{n}", 0) AS "{n}"' for n in NAMES[:6])},
       coalesce(e.employment_12m, 0) AS employment_12m, coalesce(e.employment_36m, 0) AS employment_36m
FROM pairs p LEFT JOIN b USING (_pair) LEFT JOIN e USING (_pair) ORDER BY p._pair"""


def baseline(folder: Path, pairs: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    import duckdb

    from virkning.registers import calendar
    from virkning.registers.catalogue import load_catalogue

    t = time.perf_counter()
    con = duckdb.connect()
    weeks = calendar.week_table()
    con.register("weeks_f", pd.DataFrame({"yyyyww": weeks["yyyyww"].astype("int32"), "wk": weeks["wk"]}))
    con.execute("CREATE TABLE weeks AS SELECT * FROM weeks_f")
    mos = range(calendar.FIRST_YEAR * 12, (calendar.LAST_YEAR + 1) * 12)
    con.register("months_f", pd.DataFrame({"label": [calendar.month_label(m) for m in mos], "mo": list(mos)}))
    con.execute("CREATE TABLE months AS SELECT * FROM months_f")
    con.register("catalogue_f", load_catalogue().table[["code", "state", "benefit"]])
    con.execute("CREATE TABLE catalogue AS SELECT * FROM catalogue_f")
    con.register("pairs_f", pairs[["_pair", "person_id", "iwk", "imo"]])
    con.execute("CREATE TABLE pairs AS SELECT * FROM pairs_f")
    out = con.execute(baseline_sql(folder)).df()
    con.close()
    return out, time.perf_counter() - t


def virkning_run(folder: Path, pairs: pd.DataFrame, again: pd.DataFrame) -> tuple[pd.DataFrame, float, float]:
    from virkning.registers import load

    t = time.perf_counter()
    regs = load(folder)
    panel = regs.panel()
    out = panel.covariates(pairs[["person_id", "index_week"]], NAMES)
    first = time.perf_counter() - t
    t = time.perf_counter()
    panel.covariates(again[["person_id", "index_week"]], NAMES)
    second = time.perf_counter() - t
    regs.close()
    return out, first, second


def make_pairs(folder: Path, n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`n` distinct persons with an index week in the middle of the data, and the same persons a year later."""
    import duckdb

    from virkning.registers import calendar

    con = duckdb.connect()
    ids = con.execute(f"SELECT person_id FROM read_parquet('{folder / 'persons.parquet'}') ORDER BY person_id").df()
    lo, hi = con.execute(f"SELECT min(week), max(week) FROM read_parquet('{folder / 'benefits.parquet'}')").fetchone()
    con.close()
    first, last = calendar.parse_week(int(lo)), calendar.parse_week(int(hi))
    rng = np.random.default_rng(seed)
    persons = rng.choice(ids["person_id"].to_numpy(dtype=object), size=n, replace=False)
    iwk = rng.integers(first + 160, last - 60, size=n)

    def frame(weeks: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame({"_pair": np.arange(n), "person_id": persons, "iwk": weeks.astype(np.int32),
                             "imo": calendar.week_months(weeks).astype(np.int32),
                             "index_week": calendar.week_labels(weeks)})

    return frame(iwk), frame(iwk + 52)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, help="registers to use (Parquet files as written by virkning synth)")
    ap.add_argument("--persons", type=int, default=1_000_000, help="persons to generate when --data is not given")
    ap.add_argument("--pairs", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cov-") as tmp:
        os.environ.setdefault("VIRKNING_CACHE_DIR", str(Path(tmp) / "cache"))
        folder = args.data
        if folder is None:
            from virkning.synth import generate

            folder = Path(tmp) / "data"
            print(f"generating {args.persons:,} persons ...", file=sys.stderr, flush=True)
            generate(folder, persons=args.persons, seed=2018, start="2009-08-01", end="2019-07-31")
        from virkning.registers import load

        regs = load(folder)  # validated once (cached): both sides then start from checked files
        os.environ["VIRKNING_KEYED_COPY"] = "first"  # and the keyed copy written, as by earlier runs over these files
        regs.store.keyed_now()
        del os.environ["VIRKNING_KEYED_COPY"]
        regs.close()
        sys.path.insert(0, str(Path(__file__).parent))
        from bench_scale import scan_seconds

        unit, rows = scan_seconds(folder)
        pairs, again = make_pairs(folder, args.pairs, args.seed)
        base_t, ours_t, again_t, text_t = [], [], [], []
        for _ in range(args.repeat):
            base, t = baseline(folder, pairs)
            base_t.append(t)
            ours, t1, t2 = virkning_run(folder, pairs, again)
            ours_t.append(t1)
            again_t.append(t2)
            os.environ["VIRKNING_KEYED_COPY"] = "off"
            text, t3, _ = virkning_run(folder, pairs, again)
            text_t.append(t3)
            del os.environ["VIRKNING_KEYED_COPY"]
            for name in NAMES:
                a = base[name].to_numpy(dtype=float)
                for label, got in (("keyed", ours), ("text-keyed", text)):
                    b = got[name].to_numpy(dtype=float)
                    if not np.array_equal(a, b):
                        bad = np.flatnonzero(a != b)
                        raise SystemExit(f"{name}: {len(bad)} values differ, e.g. pair {bad[0]}: baseline "
                                         f"{a[bad[0]]}, virkning ({label}) {b[bad[0]]}")
    b, o, g, x = min(base_t), min(ours_t), min(again_t), min(text_t)
    print(f"{args.pairs:,} pairs, {len(NAMES)} covariates, {rows:,} benefit rows; one scan {unit:.2f} s")
    print(f"  baseline single query      {b:6.2f} s {b / unit:5.1f} u")
    print(f"  virkning, end to end       {o:6.2f} s {o / unit:5.1f} u   {o / b:4.2f}x the baseline (keyed copy)")
    print(f"  virkning, text-keyed       {x:6.2f} s {x / unit:5.1f} u   {x / b:4.2f}x the baseline (no keyed copy)")
    print(f"  virkning, persons known    {g:6.2f} s {g / unit:5.1f} u   {g / b:4.2f}x the baseline")
    print("values identical in all", len(NAMES), "covariates")


if __name__ == "__main__":
    main()

"""Benchmark: outcome trajectories for a Flere-skal-med-like programme, in scan units of the benefits table.

The job (issue 13's target: no more than 2 scans): every visited person of the programme (about 26,000 with the
default 40,000 persons), months 1..29 after each person's index, 4 outcomes (virksomhedsforløb mv., employment
without benefit, ordinary hours, clarification), shares with Wilson intervals by month. Timed: copying the persons'
register rows (`Panel.include`), the month indicators (`Panel.month_flags`), the outcome combinations and the curves;
the records table's de-duplication is timed apart (it reads the small records table only). The unit is a plain
DuckDB scan of the same `benefits` view, `SELECT max(person_id), max(wk), max(code)`, measured in the same process;
each figure is the median of --repeat runs, each trajectory run on a fresh panel store (nothing cached).

`--pad K` adds K copies of the persons, benefits and employment with other person ids (persons outside the
programme), so the benefits table is (K + 1) times the programme's: a stand-in for national registers, where the
programme's persons are a small part of the table. The whole analysis of the example design (groups, comparison
group, units, seniority, models) is timed too, once.

    python benchmarks/bench_trajectories.py                       # 40,000 persons, programme-only registers
    python benchmarks/bench_trajectories.py --pad 4               # the table 5 times the programme's
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

OUTCOMES = ("virksomhedsforloeb", "ren_beskaeftigelse", "ordinaere_timer", "afklaring")


def pad(folder: Path, copies: int) -> None:
    """K more copies of persons, benefits and employment with ids Q<k>P..., as partitioned tables."""
    for name in ("persons", "benefits", "employment"):
        src = folder / f"{name}.parquet"
        part = folder / name
        part.mkdir()
        src.rename(part / "part-0.parquet")
        table = pq.read_table(part / "part-0.parquet")
        i = table.schema.get_field_index("person_id")
        for k in range(1, copies + 1):
            ids = pc.binary_join_element_wise(pa.scalar(f"Q{k}"), table.column(i), "")
            pq.write_table(table.set_column(i, "person_id", ids), part / f"part-{k}.parquet")


def scan(regs) -> float:
    t = time.perf_counter()
    regs.engine.one("SELECT max(person_id), max(wk), max(code) FROM benefits")
    return time.perf_counter() - t


def trajectory_job(regs, design, kept: pd.DataFrame, copy: bool) -> tuple[float, dict]:
    from virkning.estimate import trajectories as est
    from virkning.outcomes import month_atoms, month_outcome_flags
    from virkning.registers import calendar

    regs._store = None  # a fresh store: the persons' rows are copied again
    panel = regs.panel()
    outcomes = tuple(o for o in design.outcomes if o.name in OUTCOMES)  # in the design's order (references)
    t = time.perf_counter()
    pk = panel.keys(kept["person_id"].astype(str).to_numpy())
    if copy:  # as the whole analysis does, which asks more of these persons: their rows copied, then read
        panel.include(pk)
    dates = kept["start_date"].to_numpy().astype("datetime64[D]")
    pairs = pd.DataFrame({"person_id": kept["person_id"].to_numpy(), "index_week": calendar.date_weeks(dates),
                          "index_date": dates, "_pk": pk})
    flags = panel.month_flags(pairs, 1, design.horizon, month_atoms(outcomes))
    y = month_outcome_flags(outcomes, flags)
    curves = {o: est.curve(y[o], flags["observed"], "ever") for o in OUTCOMES}
    return time.perf_counter() - t, curves


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--persons", type=int, default=40_000)
    ap.add_argument("--pad", type=int, default=0)
    ap.add_argument("--seed", type=int, default=2018)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--folder", type=Path, default=None, help="reuse or keep the synthetic data here")
    a = ap.parse_args()
    warnings.simplefilter("ignore")
    from virkning.analyses import KINDS
    from virkning.analyses.base import Context
    from virkning.demo import example
    from virkning.design import parse_design
    from virkning.records import deduplicate
    from virkning.registers import load, queries
    from virkning.synth import generate

    root = a.folder or Path(tempfile.mkdtemp(prefix="bench_traj_"))
    data = root / "data"
    if not (data / "truth.json").is_file():
        t = time.perf_counter()
        generate(data, persons=a.persons, seed=a.seed, programme="flere_skal_med")
        if a.pad:
            pad(data, a.pad)
        print(f"synthetic data: {time.perf_counter() - t:.1f} s")
    design = parse_design(example("flere_skal_med"), str(root / "design.yaml"))
    t = time.perf_counter()
    regs = load(data, design.load_options())
    print(f"load and validate: {time.perf_counter() - t:.1f} s; rows: "
          + ", ".join(f"{k} {v.rows:,}" for k, v in regs.report.tables.items()))
    traj = design.analyses["trajectories"]
    t = time.perf_counter()
    kept = deduplicate(regs.engine.frame(queries.RECORDS), traj.rule).kept
    t_records = time.perf_counter() - t
    scans, jobs, copied = [], [], []
    for _ in range(a.repeat):
        scans.append(scan(regs))
        seconds, curves = trajectory_job(regs, traj, kept, copy=False)
        jobs.append(seconds)
        copied.append(trajectory_job(regs, traj, kept, copy=True)[0])
    s, j, c = statistics.median(scans), statistics.median(jobs), statistics.median(copied)
    h = traj.horizon
    print(f"programme: {len(kept):,} persons x {h} months x {len(OUTCOMES)} outcomes")
    print(f"scan of benefits (median of {a.repeat}): {s:.2f} s (runs: {', '.join(f'{x:.2f}' for x in scans)})")
    print(f"trajectories, registers read directly (median of {a.repeat}): {j:.2f} s = {j / s:.2f} scans "
          f"(runs: {', '.join(f'{x:.2f}' for x in jobs)})")
    print(f"trajectories, rows copied first (median of {a.repeat}): {c:.2f} s = {c / s:.2f} scans "
          f"(runs: {', '.join(f'{x:.2f}' for x in copied)})")
    print(f"records de-duplication: {t_records:.2f} s = {t_records / s:.2f} scans")
    vf = curves["virksomhedsforloeb"]
    print(f"check: share ever in virksomhedsforløb by month {h}: {vf['share'].iloc[-1]:.4f} (n = {vf['n'].iloc[-1]:,})")
    regs._store = None
    t = time.perf_counter()
    result = KINDS["trajectories"].run(design, Context(data=data, threshold=5, _registers=regs))
    whole = time.perf_counter() - t
    print(f"whole analysis of the example design (groups, comparison group, units, seniority, models): "
          f"{whole:.2f} s = {whole / s:.2f} scans; parts: "
          + ", ".join(f"{k} {v:.2f} s" for k, v in result.timings.items()))
    regs.close()


if __name__ == "__main__":
    main()

"""Job-rotation inputs to go with a synthetic register folder (seed 003): a registration of rotations with planted
rule violations, a firms table, candidate profiles for the substitute search.

    from virkning.synth.jobrotation import write_jobrotation_data
    paths = write_jobrotation_data("data/", seed=1)   # reads persons, benefits, employment

Valid rotations have a substitute with a dagpenge code (ledig) in each of the 13 weeks before the start, an
employee in employment in the start month, 15-37 hours a week, 2-11 months, and a firm of at most 240 employees.
Planted violations (written to jobrotation_errors.json as sheet row and rule, so the checker has something known
to find): substitutes unemployed only some of the 13 weeks, a substitute not in the registers, too few hours,
rotations of more than 12 months, a firm above 249 employees, a firm missing from the firms table, and employees
with a løntilskud code during the rotation. The registers hold no effect of job rotation: the substitutes' true
effect is 0.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from virkning.registers import calendar
from virkning.registers.readers import parquet_rows
from virkning.synth.sheets import _read

LEDIG = ("111", "115", "121", "213", "214", "215", "216", "217", "218", "219")
LOENTILSKUD = ("135", "136", "215", "216", "735", "736")
COMPETENCES = ["truckcertifikat", "lager", "kundeservice", "kasse", "rengøring", "svejsning", "CNC", "maskinpasning",
               "regnskab", "dansk", "engelsk", "IT", "chauffør", "montage", "pakning", "kørekort B"]
GOALS = ["lagermedarbejder", "produktionsmedarbejder", "butiksassistent", "kontorassistent", "chauffør",
         "maskinarbejder", "rengøringsassistent"]
JOBCENTRES = ["Jobcenter Aarhus", "Jobcenter Randers", "Jobcenter Viborg", "Jobcenter Herning"]
MUNICIPALITIES = ["751", "730", "791", "657"]  # Aarhus, Randers, Viborg, Herning
MIDTJYLLAND = ("615", "657", "661", "665", "671", "706", "707", "710", "727", "730", "740", "741", "746", "751", "756",
               "760", "766", "779", "791")  # the 19 municipalities of Region Midtjylland


def _weeks(b: pd.DataFrame) -> np.ndarray:
    """YYYYWW -> week ordinals, through the calendar's lookup table (vectorised)."""
    table = calendar.week_table()
    keys = table["yyyyww"].to_numpy()
    pos = np.searchsorted(keys, b["week"].to_numpy(dtype=np.int64))
    return table["wk"].to_numpy(dtype=np.int64)[np.minimum(pos, len(keys) - 1)]


def _draw(pool: np.ndarray, used: set[str], rng: np.random.Generator, avoid: AbstractSet[str] = frozenset()) -> str:
    """A random member of the sorted pool not used before (marked used) and not in `avoid`."""
    for _ in range(1000):  # the pools are large and the used few: drawing again is cheaper than set arithmetic
        pick = str(pool[int(rng.integers(len(pool)))])
        if pick not in used and pick not in avoid:
            used.add(pick)
            return pick
    raise ValueError("no unused person left to draw; generate more persons")


def _read_where(folder: Path, name: str, columns: list[str], column: str, values, below: str | None = None,
                persons: AbstractSet[str] | None = None) -> pd.DataFrame:
    """Rows of a register table whose `column` is one of `values` and whose person id sorts below `below` (a Parquet
    file is filtered as it is read: the demo's benefits table has tens of millions of rows). `persons`: of a Parquet
    file, only these persons' rows (the caller filters a CSV file's)."""
    values = [str(v) for v in values]
    parquet = folder / f"{name}.parquet"
    if parquet.exists():
        frame = parquet_rows(parquet, columns, {column: values}, ("person_id", below) if below else None,
                             list(persons) if persons is not None else None)
    else:
        frame = _read(folder, name, columns)
        frame = frame[frame[column].astype(str).isin(values)]
        if below:
            frame = frame[frame["person_id"].astype(str) < below]
    return frame.assign(**{column: frame[column].astype(str)}).reset_index(drop=True)


def _unemployed_counts(b: pd.DataFrame, wk: np.ndarray, start: int, weeks: int = 13) -> pd.Series:
    keep = (wk >= start - weeks) & (wk <= start - 1)
    return b.loc[keep, "person_id"].value_counts()


def write_jobrotation_data(folder: str | Path, seed: int = 1, rotations: int = 160) -> dict[str, Path]:
    folder = Path(folder)
    rng = np.random.default_rng(seed)
    # Rotations start on the first Monday of every third month (few start weeks keep the comparison's risk sets
    # small), and everyone involved lives in Region Midtjylland, as in KOMPETENCEmidt 2.0.
    starts = [dt.date(y, m, 1) + dt.timedelta(days=(7 - dt.date(y, m, 1).weekday()) % 7)
              for y, m in [(2017, 3), (2017, 6), (2017, 9), (2017, 12), (2018, 3), (2018, 6)]]
    months = {f"{d.year}-{d.month:02d}" for d in starts}
    people = _read(folder, "persons", ["person_id", "municipality"])
    people = people.assign(person_id=people["person_id"].astype(str), municipality=people["municipality"].astype(str))
    ids = np.sort(people["person_id"].to_numpy())
    # A quarter of the persons by id (the registers are sorted by person, so Parquet reads a quarter of the rows).
    cutoff = str(ids[min(len(ids) - 1, max(40_000, len(ids) // 4))])
    persons = set(people.loc[people["municipality"].isin(MIDTJYLLAND) & (people["person_id"] < cutoff), "person_id"])
    codes = _read_where(folder, "benefits", ["person_id", "week", "code"], "code", (*LEDIG, *LOENTILSKUD), cutoff,
                        persons)
    codes = codes[codes["person_id"].isin(persons) & (codes["week"].astype(int) >= 201640)]
    ledig = codes[codes["code"].isin(LEDIG)].reset_index(drop=True)
    ledig_wk = _weeks(ledig)
    e = _read_where(folder, "employment", ["person_id", "month", "employment_rate"], "month", sorted(months), cutoff, persons)
    e = e[e["person_id"].isin(persons)]
    used: set[str] = set()
    rows = []
    e = e[e["month"].astype(str).isin(months) & (e["employment_rate"] > 0)]
    working_in = {m: np.sort(g.astype(str).unique()) for m, g in e.groupby("month")["person_id"]}
    counts_at = {d: _unemployed_counts(ledig, ledig_wk, calendar.date_week(d)) for d in starts}
    full_at = {d: np.sort(c.index[c == 13].astype(str)) for d, c in counts_at.items()}
    lt = codes[codes["code"].isin(LOENTILSKUD)].reset_index(drop=True)
    subsidised = set(lt["person_id"])  # valid rows take employees without løntilskud codes
    for i in range(rotations):
        start = starts[i % len(starts)]
        sub = _draw(full_at[start], used, rng)
        emp = _draw(working_in[f"{start.year}-{start.month:02d}"], used, rng, avoid=subsidised)
        n_months = int(rng.integers(2, 12))
        end = start + pd.DateOffset(months=n_months) - dt.timedelta(days=1)
        rows.append({"medarbejder": emp, "vikar": sub, "virksomhed": f"F{int(rng.integers(1, 41)):03d}",
                     "start": start.isoformat(), "slut": pd.Timestamp(end).date().isoformat(),
                     "timer_pr_uge": int(rng.integers(15, 38)), "jobcenter": JOBCENTRES[i % len(JOBCENTRES)]})
    sheet = pd.DataFrame(rows)
    errors = []

    def plant(row: int, rule: str, **changes) -> None:
        for k, v in changes.items():
            sheet.at[row, k] = v
        errors.append({"sheet": "Jobrotation", "row": int(row) + 2, "rule": rule})

    # At least 5 of each (the demo's disclosure threshold), so the published summary shows every rule.
    picks = iter(rng.choice(len(sheet), size=36, replace=False))
    for r in [next(picks) for _ in range(6)]:  # unemployed only some of the 13 weeks before the start
        # start/slut hold ISO date strings (written above); the stubs type a cell as any scalar
        counts = counts_at[dt.date.fromisoformat(cast(str, sheet.at[r, "start"]))]
        sub = _draw(np.sort(counts.index[(counts >= 2) & (counts <= 8)].astype(str)), used, rng)
        plant(r, "substitute_unemployed", vikar=sub)
    for k in range(5):
        plant(next(picks), "substitute_found", vikar=f"X999999{k}")
    for _ in range(5):
        plant(next(picks), "min_hours", timer_pr_uge=int(rng.integers(5, 10)))
    for _ in range(5):
        r = next(picks)
        start = dt.date.fromisoformat(cast(str, sheet.at[r, "start"]))
        plant(r, "max_months", slut=(start + pd.DateOffset(months=int(rng.integers(13, 16)))).date().isoformat())
    for _ in range(5):
        plant(next(picks), "firm_size", virksomhed="F900")
    for _ in range(5):
        plant(next(picks), "firm_size_unknown", virksomhed="F999")
    lt_wk = _weeks(lt)
    for r in [next(picks) for _ in range(5)]:
        start = dt.date.fromisoformat(cast(str, sheet.at[r, "start"]))
        end_day = dt.date.fromisoformat(cast(str, sheet.at[r, "slut"]))
        inside = lt.loc[(lt_wk >= calendar.date_week(start)) & (lt_wk <= calendar.date_week(end_day)), "person_id"]
        emp = _draw(np.sort(inside.astype(str).unique()), used, rng)
        plant(r, "concurrent_support", medarbejder=emp)
    errors.sort(key=lambda x: (x["row"], x["rule"]))
    firms = []
    for f in range(1, 41):
        size = int(rng.integers(5, 241))
        for year in range(2016, 2020):
            firms.append({"firm_id": f"F{f:03d}", "year": year, "employees": max(1, size + int(rng.integers(-4, 5)))})
    firms += [{"firm_id": "F900", "year": y, "employees": 310 + y - 2016} for y in range(2016, 2020)]
    cands = _candidates(ledig, ledig_wk, persons, used, rng)  # unemployed in the region, in the same id range
    paths = {"registration": folder / "jobrotation.csv", "errors": folder / "jobrotation_errors.json",
             "firms": folder / "firms.csv", "candidates": folder / "candidates.csv"}
    sheet.to_csv(paths["registration"], index=False)
    paths["errors"].write_text(json.dumps(errors, ensure_ascii=False, indent=1), encoding="utf-8")
    pd.DataFrame(firms).to_csv(paths["firms"], index=False)
    cands.to_csv(paths["candidates"], index=False)
    return paths


def _candidates(ledig: pd.DataFrame, ledig_wk: np.ndarray, persons: set[str], used: set[str],
                rng: np.random.Generator, n: int = 60) -> pd.DataFrame:
    """Profiles of persons unemployed in the last weeks of 2019-Q2 (CV: competences, job goals, hours, where they
    live, their job centre); a third have no `unemployed_since`, so the search reads their spell from the registers."""
    wk = calendar.date_week(dt.date(2019, 6, 3))
    recent = ledig.loc[(ledig_wk >= wk - 4) & (ledig_wk <= wk), "person_id"].astype(str)
    pool = np.sort(np.array(list((set(recent) & persons) - used), dtype=object)).astype(str)
    ids = [str(pool[int(k)]) for k in rng.choice(len(pool), size=min(n, len(pool)), replace=False)]
    rows = []
    for i, pid in enumerate(sorted(ids)):
        comp = rng.choice(COMPETENCES, size=int(rng.integers(3, 9)), replace=False)
        goals = rng.choice(GOALS, size=3, replace=False)
        since = "" if i % 3 == 2 else (dt.date(2019, 6, 3) - dt.timedelta(weeks=int(rng.integers(14, 160)))).isoformat()
        j = int(rng.integers(len(JOBCENTRES)))
        rows.append({"candidate": pid, "competences": "; ".join(comp), "job_goals": "; ".join(goals),
                     "hours": int(rng.choice([15, 20, 25, 30, 37])), "location": MUNICIPALITIES[j],
                     "jobcentre": JOBCENTRES[j], "unemployed_since": since})
    return pd.DataFrame(rows)

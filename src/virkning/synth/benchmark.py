"""Synthetic inputs for benchmarking (docs/benchmarking.md):

- `write_benchmark_inputs(data, out, seed)`: for the municipalities of a data folder's persons table, a staffing
  file (caseworkers per unit) and a covariates file (structural characteristics: the share of persons with at most
  primary school, the log of the population in registers/municipalities.csv, a Nordjylland dummy), next to a
  design. The demo runs them on the free-municipality registers.
- `benchmark_registers(folder, seed)`: small registers with a known truth for the tests: each unit's weekly
  probability of unemployment is linear in a covariate (`truth.json` has the coefficients), so the expected-level
  model has something to recover.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from virkning.registers import calendar

PERSONS_PER_CASEWORKER = 60.0  # about the seed's 95-200 citizens per caseworker (004, table 5.7) at our scale


def _persons(data: Path) -> pd.DataFrame:
    for name in ("persons.parquet", "persons.csv"):
        p = Path(data) / name
        if p.is_file():
            cols = ["municipality", "education"]
            f = pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p, dtype={"municipality": str})
            return f[[c for c in cols if c in f.columns]].assign(municipality=lambda d: d["municipality"].astype(str))
    raise FileNotFoundError(f"no persons table in {data}")


def write_benchmark_inputs(data: str | Path, out: str | Path, seed: int = 2018) -> dict[str, Path]:
    """staffing.csv and covariates.csv for the municipalities of `data`, written into `out`."""
    rng = np.random.default_rng(seed)
    p = _persons(Path(data))
    muni = pd.read_csv(str(resources.files("virkning.registers").joinpath("municipalities.csv")), dtype={"code": str})
    muni = muni.set_index("code")
    units = sorted(p["municipality"].dropna().unique())
    size = p.groupby("municipality").size()
    low = (p.assign(low=p.get("education", pd.Series("", index=p.index)).eq("grundskole"))
           .groupby("municipality")["low"].mean())
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    staffing = pd.DataFrame({"unit": units, "caseworkers": [
        max(1.0, round(float(size[u]) / PERSONS_PER_CASEWORKER * rng.uniform(0.7, 1.3), 1)) for u in units]})
    covariates = pd.DataFrame({
        "unit": units,
        "andel_grundskole": [round(float(low.get(u, 0.0)), 4) for u in units],
        "log_befolkning": [round(float(np.log(muni.loc[u, "population"])), 4) if u in muni.index else np.nan
                           for u in units],
        "nordjylland": [int(u in muni.index and muni.loc[u, "region"] == "Region Nordjylland") for u in units]})
    paths = {"staffing": out / "staffing.csv", "covariates": out / "covariates.csv"}
    staffing.to_csv(paths["staffing"], index=False)
    covariates.to_csv(paths["covariates"], index=False)
    return paths


# ---- small registers with a known truth (tests) -----------------------------------------------------------------

UNITS = ("101", "147", "151", "153", "155", "157", "159", "161", "163", "165", "167", "169")


def benchmark_registers(folder: str | Path, seed: int = 7, persons_per_unit: int = 300, first: str = "2018-W01",
                        weeks: int = 104, intercept: float = 0.02, slope: float = 0.25,
                        sizes: dict[str, int] | None = None) -> dict:
    """persons/benefits/employment CSVs in `folder` for the 12 units of `UNITS`: unit u has a covariate x_u
    (uniform 0..0.3) and each person a weekly probability intercept + slope * x_u of a dagpenge week (code 111),
    with a seasonal term of +-10 % (`sizes`: persons of some units instead); staffing.csv and covariates.csv next to it. Returns the truth (also in
    truth.json)."""
    rng = np.random.default_rng(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    x = np.round(rng.uniform(0.0, 0.3, len(UNITS)), 4)
    prob = intercept + slope * x
    w0 = calendar.parse_week(first)
    wks = np.arange(w0, w0 + weeks)
    season = 1.0 + 0.1 * np.cos(2 * np.pi * np.arange(weeks) / 52.0)
    pid, mun, rows_p, rows_w = [], [], [], []
    k = 0
    for u, pu in zip(UNITS, prob):
        size = (sizes or {}).get(u, persons_per_unit)
        ids = np.arange(k, k + size)
        k += size
        pid += [f"P{i:06d}" for i in ids]
        mun += [u] * size
        hit = rng.random((size, weeks)) < pu * season[None, :]
        r, c = np.nonzero(hit)
        rows_p.append(ids[r])
        rows_w.append(wks[c])
    persons = pd.DataFrame({"person_id": pid, "birth_date": "1975-01-01", "sex": "K", "municipality": mun})
    pr, wr = np.concatenate(rows_p), np.concatenate(rows_w)
    benefits = pd.DataFrame({"person_id": [f"P{i:06d}" for i in pr],
                             "week": calendar.week_labels(wr), "code": "111"})
    employment = pd.DataFrame({"person_id": pid[:1], "month": [calendar.month_label(calendar.week_month(w0))],
                               "employment_rate": [1.0]})
    persons.to_csv(folder / "persons.csv", index=False)
    benefits.to_csv(folder / "benefits.csv", index=False)
    employment.to_csv(folder / "employment.csv", index=False)
    pd.DataFrame({"unit": UNITS, "caseworkers": np.round(rng.uniform(3, 8, len(UNITS)), 1)}).to_csv(
        folder.parent / "staffing.csv", index=False)
    pd.DataFrame({"unit": UNITS, "x": x}).to_csv(folder.parent / "covariates.csv", index=False)
    truth = {"units": list(UNITS), "x": x.tolist(), "probability": prob.tolist(), "intercept": intercept,
             "slope": slope, "persons_per_unit": persons_per_unit, "seed": seed}
    (folder / "truth.json").write_text(json.dumps(truth, indent=1))
    return truth

"""Write lpm_data.csv: a synthetic Flere-skal-med-like sample for the regression reference tests.

1,500 persons in 12 municipalities (one of them with a single person, to exercise that case), 0/1 covariates
as in the seed's Tabel 4-4, a categorical control (benefit type in December 2016), three 0/1 outcomes and one
continuous outcome, with a few missing values in one covariate and one outcome. Run from the repository root:

    .venv/bin/python tests/reference/regression/make_data.py
"""

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20240917)
n = 1500
sizes = np.array([1, 20, 40, 60, 80, 100, 120, 140, 160, 200, 260, 319])  # unequal, as municipalities are
kommune = np.repeat([f"K{g:02d}" for g in range(len(sizes))], sizes)
u = dict(zip(np.unique(kommune), rng.normal(0, 0.06, len(sizes))))
d = pd.DataFrame({
    "kommune": kommune,
    "mand": rng.integers(0, 2, n),
    "alder40": (rng.random(n) < 0.6).astype(int),
    "indvandrer": (rng.random(n) < 0.3).astype(int),
    "erhvervsfaglig": (rng.random(n) < 0.35).astype(float),
    "hospital": (rng.random(n) < 0.5).astype(int),
    "handicap": (rng.random(n) < 0.15).astype(int),
    "hist_virk": (rng.random(n) < 0.3).astype(int),
    "hist_timer": (rng.random(n) < 0.2).astype(int),
    "ydelse": rng.choice(["kontanthjaelp", "ressourceforloeb", "sygedagpenge"], n, p=[0.7, 0.2, 0.1]),
})
uk = d["kommune"].map(u).to_numpy()
base = 0.02 * d.mand - 0.06 * d.alder40 - 0.04 * d.indvandrer + 0.02 * d.erhvervsfaglig - 0.02 * d.hospital
lin = {
    "virk": 0.55 + base + 0.24 * d.hist_virk + 0.19 * d.hist_timer - 0.05 * d.handicap + uk,
    "afklaring": 0.08 + 0.02 * d.hospital + 0.06 * d.handicap + 0.05 * (d.ydelse == "ressourceforloeb") + uk / 2,
    "timer": 0.12 + 0.03 * d.mand - 0.10 * d.alder40 + 0.13 * d.hist_virk + 0.55 * d.hist_timer + uk,
}
for name, p in lin.items():
    d[name] = (rng.random(n) < np.clip(p, 0.01, 0.99)).astype(int)
d["hours"] = np.round(20 * lin["timer"] + rng.gamma(2.0, 2.0, n) + 3 * uk * rng.normal(size=n), 3)
d.loc[rng.choice(n, 7, replace=False), "erhvervsfaglig"] = np.nan
d["timer"] = d["timer"].astype("Int64")
d.loc[rng.choice(n, 11, replace=False), "timer"] = pd.NA
d.to_csv(Path(__file__).with_name("lpm_data.csv"), index=False)

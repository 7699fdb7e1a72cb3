"""Write the input data sets of the MatchIt reference outputs (run from the repository root).

- lalonde.csv.gz: NSW treated (Dehejia-Wahba sample, causaldata ``nsw_mixtape``) and CPS controls
  (``cps_mixtape``); the readers add the usual derived columns age2, educ2, re74sq, re75sq, u74, u75.
- sim.csv: simulated job-centre style data (unemployed aged 50-65) with four exact-matching variables
  (sex, region, origin, akasse), five covariates and an outcome; treatment depends on the covariates. Some
  cells have fewer controls than treated units.

Floats are written in their shortest round-trip form, so R and Python read identical numbers.
"""

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def lalonde() -> pd.DataFrame:
    import causaldata

    nsw = causaldata.nsw_mixtape.load_pandas().data
    cps = causaldata.cps_mixtape.load_pandas().data
    d = pd.concat([nsw[nsw["treat"] == 1], cps], ignore_index=True).drop(columns="data_id")
    for v in ("treat", "age", "educ", "black", "hisp", "marr", "nodegree"):
        d[v] = d[v].astype("int64")
    for v in ("re74", "re75", "re78"):
        d[v] = d[v].astype("float64")
    return d


def add_dw_terms(d: pd.DataFrame) -> pd.DataFrame:
    """Dehejia-Wahba terms; R computes the same numbers (squares of doubles are exact IEEE products)."""
    d = d.copy()
    d["age2"] = d["age"] ** 2
    d["educ2"] = d["educ"] ** 2
    d["re74sq"] = d["re74"] * d["re74"]
    d["re75sq"] = d["re75"] * d["re75"]
    d["u74"] = (d["re74"] == 0).astype("int64")
    d["u75"] = (d["re75"] == 0).astype("int64")
    return d


def simulated(n: int = 4000, seed: int = 20240611) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["K", "M"], n)
    region = rng.choice(["Hovedstaden", "Midtjylland", "Nordjylland", "Sjaelland", "Syddanmark"], n,
                        p=[0.3, 0.25, 0.1, 0.15, 0.2])
    origin = rng.choice(["dansk", "efterkommer", "indvandrer"], n, p=[0.7, 0.1, 0.2])
    akasse = rng.choice(["3F", "FOA", "HK", "Krifa"], n, p=[0.35, 0.2, 0.3, 0.15])
    age = rng.integers(50, 66, n)
    educ = rng.choice(["erhverv", "grund", "gymnasial", "videregaaende"], n, p=[0.4, 0.25, 0.1, 0.25])
    prior_emp = np.round(rng.beta(2, 2, n), 6)
    sick = rng.binomial(1, 0.2, n)
    benefit_weeks = np.round(rng.gamma(2.0, 20.0, n), 3)
    lin = (-1.6 + 0.07 * (age - 57) - 1.2 * prior_emp + 0.5 * sick + 0.008 * benefit_weeks
           + 0.3 * (sex == "M") - 0.4 * (region == "Nordjylland") + 0.3 * (origin == "indvandrer")
           + 0.4 * (educ == "videregaaende") + 1.3 * (origin == "efterkommer") * (sex == "M"))
    treat = rng.binomial(1, 1 / (1 + np.exp(-lin)))
    y = np.round(0.5 * prior_emp - 0.01 * (age - 57) - 0.1 * sick - 0.002 * benefit_weeks + 0.08 * treat
                 + rng.normal(0, 0.3, n), 6)
    d = pd.DataFrame({"treat": treat, "sex": sex, "region": region, "origin": origin, "akasse": akasse, "age": age,
                      "educ": educ, "prior_emp": prior_emp, "sick": sick, "benefit_weeks": benefit_weeks, "y": y})
    # MatchIt 4.5.1 stops when an exact cell holds units of one group only (fixed in 4.5.2), so cells of the
    # four exact variables without treated units are dropped; every remaining cell has both groups.
    cell = d.groupby(["sex", "region", "origin", "akasse"])["treat"]
    d = d[cell.transform("sum") > 0].reset_index(drop=True)
    counts = d.groupby(["sex", "region", "origin", "akasse"])["treat"].agg(["sum", "count"])
    assert (counts["count"] > counts["sum"]).all(), "a cell has treated units only"
    return d


if __name__ == "__main__":
    lalonde().to_csv(HERE / "lalonde.csv.gz", index=False, compression={"method": "gzip", "mtime": 0})
    simulated().to_csv(HERE / "sim.csv", index=False)

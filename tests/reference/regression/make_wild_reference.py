"""Wild cluster bootstrap reference from the `wildboottest` package (a Python port of R's fwildclusterboot).

Writes wild_reference.json: restricted wild cluster bootstrap (WCR, "11" variant, Rademacher weights) t-statistics
and p-values for three coefficients of the `virk` regression on lpm_data.csv, with all 12 municipalities and with
9 of them. With 2^G <= B every sign vector is enumerated, so the numbers do not depend on a random seed.

Besides the package's own p-value (share of bootstrap |t*| strictly above |t|), the file stores the share
counted with a relative margin of 1e-10 for ties: with full enumeration the identity draw (and its mirror)
reproduce |t| exactly, and rounding decides whether the package counts them. virkning counts ties as not
more extreme, as boottest documents.

Needs wildboottest 0.3.2 and statsmodels in a separate environment (not a virkning dependency):

    python3 -m venv /tmp/wbt && /tmp/wbt/bin/pip install wildboottest==0.3.2 statsmodels pandas
    /tmp/wbt/bin/python tests/reference/regression/make_wild_reference.py
"""

import json
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm
from wildboottest.wildboottest import WildboottestCL

HERE = Path(__file__).parent
COVS = ["mand", "alder40", "indvandrer", "erhvervsfaglig", "hospital", "handicap", "hist_virk", "hist_timer"]


def design(d: pd.DataFrame) -> pd.DataFrame:
    X = d[COVS].astype(float)
    for level in ["ressourceforloeb", "sygedagpenge"]:  # kontanthjaelp is the reference level
        X[f"ydelse[{level}]"] = (d["ydelse"] == level).astype(float)
    return sm.add_constant(X).rename(columns={"const": "Intercept"})


def run(d: pd.DataFrame, param: str) -> dict:
    X = design(d)
    y = d["virk"].to_numpy(float)
    cluster = pd.factorize(d["kommune"], sort=True)[0]
    R = np.zeros(X.shape[1])
    R[list(X.columns).index(param)] = 1.0
    boot = WildboottestCL(X=X.to_numpy(), Y=y, cluster=cluster, R=R, B=9999, seed=1, parallel=False)
    boot.get_scores(bootstrap_type="11", impose_null=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        boot.get_weights(weights_type="rademacher")
    boot.get_numer()
    boot.get_denom()
    boot.get_tboot()
    boot.get_vcov()
    boot.get_tstat()
    boot.get_pvalue(pval_type="two-tailed")
    t = float(np.squeeze(boot.t_stat))
    tb = np.asarray(boot.t_boot).ravel()
    margin = 1e-10 * max(abs(t), 1.0)
    return {"param": param, "t": t, "B": int(tb.size), "full_enumeration": bool(boot.full_enumeration),
            "p_package": float(boot.pvalue), "p_ties_not_counted": float(np.mean(np.abs(tb) > abs(t) + margin)),
            "p_equal_tailed_ties_not_counted": float(2 * min(np.mean(tb < t - margin), np.mean(tb > t + margin)))}


data = pd.read_csv(HERE / "lpm_data.csv").dropna(subset=COVS + ["virk"]).reset_index(drop=True)
cases = {"all12": data, "nine": data[~data["kommune"].isin(["K00", "K01", "K02"])].reset_index(drop=True)}
out = {"wildboottest": version("wildboottest"), "outcome": "virk", "covariates": COVS, "control": "ydelse",
       "cases": {name: {"kommuner": sorted(d["kommune"].unique()), "n": len(d),
                        "tests": [run(d, p) for p in ["hist_virk", "mand", "handicap"]]}
                 for name, d in cases.items()}}
(HERE / "wild_reference.json").write_text(json.dumps(out, indent=1))

"""Tabel 4-4 of seed 001 from the registers: linear probability models of a group's outcomes by the horizon on 0/1
covariates (the panel's grammar, tested against a value, or person flags), with controls.

The numbers are `virkning.estimate.lpm` (statsmodels OLS; HC1, CR1 by unit, wild cluster bootstrap). The design's
`se: auto` takes the cluster-robust errors by unit with 30 or more units and the wild cluster bootstrap with fewer
(Cameron and Miller 2015: CR1 t-tests over-reject with few clusters); HC1 errors are reported beside them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from virkning.analyses.trajectories.spec import Binary, TrajectoryDesign
from virkning.errors import CovariateNameError, DesignError, EstimationError
from virkning.estimate import trajectories as est
from virkning.estimate.regression import FEW_CLUSTERS, lpm
from virkning.registers import calendar, queries

if TYPE_CHECKING:
    from virkning.registers import Registers

WHERE = "design file, trajectories > lpm"


def _test(values: pd.Series, b: Binary) -> np.ndarray:
    """1.0 / 0.0 where the value passes / fails the test, NaN where it is missing."""
    assert b.test is not None  # called only for covariates read from `source`, which the spec gives a test
    kind, target = b.test
    missing = values.isna().to_numpy()
    if kind in ("equals", "in"):
        wanted = {str(t) for t in (target if kind == "in" else (target,))}
        hit = values.astype(str).isin(wanted).to_numpy()
    else:
        num = pd.to_numeric(values, errors="coerce")
        bad = num.isna() & values.notna()
        if bad.any():
            raise DesignError(f"{WHERE}: covariate '{b.name}': {b.source} is not a number (e.g. "
                              f"{values[bad].iloc[0]!r}); use equals or in for a category")
        hit = (num >= target).to_numpy() if kind == "at_least" else (num < target).to_numpy()
    return np.where(missing, np.nan, hit.astype(float))


def covariate_frame(regs: "Registers", panel, members: pd.DataFrame, binaries: tuple[Binary, ...]) -> pd.DataFrame:
    """One row per member: each 0/1 covariate (NaN where its source is missing)."""
    dates = pd.to_datetime(members["index_date"]).to_numpy().astype("datetime64[D]")
    out = pd.DataFrame(index=range(len(members)))
    flags = [b for b in binaries if b.flag is not None]
    if flags:
        if "person_flags" not in regs.tables:
            raise DesignError(f"{WHERE}: covariate(s) {', '.join(b.name for b in flags)} read person_flags, but the "
                              "data folder has no person_flags table (docs/data-contract.md)")
        have = [c for c, _ in regs.engine.columns("person_flags") if c not in ("person_id", "_row", "_file")]
        for b in flags:
            if b.flag not in have:
                raise DesignError(f"{WHERE}: covariate '{b.name}': person_flags has no column '{b.flag}'; it has "
                                  f"{', '.join(have)}")
        f = regs.engine.frame(queries.person_flags(sorted({b.flag for b in flags if b.flag is not None})))
        f = members[["person_id"]].astype(str).merge(f, on="person_id", how="left")
        for b in flags:
            out[b.name] = f[b.flag].astype(float).to_numpy()
    by_date: dict = {}
    for b in binaries:
        if b.source is not None:
            by_date.setdefault(b.at, []).append(b)
    for at, bs in by_date.items():
        when = dates if at is None else np.full(len(members), np.datetime64(at, "D"))
        pairs = pd.DataFrame({"person_id": members["person_id"].astype(str).to_numpy(),
                              "index_week": calendar.date_weeks(when), "index_date": when,
                              "_pk": members["pk"].to_numpy()})
        names = list(dict.fromkeys(b.source for b in bs))
        try:
            cov = panel.covariates(pairs, names)
        except CovariateNameError as e:
            raise DesignError(f"{WHERE}: {e}") from None
        for b in bs:
            out[b.name] = _test(cov[b.source].reset_index(drop=True), b)
    return out


def fit_lpm(regs: "Registers", panel, design: TrajectoryDesign, members: dict, outcomes: dict, rows: dict,
            notes: list[dict]) -> dict:
    """The fitted models and the tables publish declares: `lpm` (one row per outcome and covariate) and
    `lpm_outcomes` (N, mean, clusters per outcome)."""
    from virkning.analyses.trajectories.compute import _caught

    spec = design.lpm
    assert spec is not None  # run_design calls fit_lpm only when the design has an lpm section
    m = members[spec["group"]].reset_index(drop=True)
    r = rows[spec["group"]]
    h = design.horizon - 1
    obs = outcomes["observed"][r][:, h]
    data = covariate_frame(regs, panel, m, (*spec["covariates"], *spec["controls"]))
    for o in spec["outcomes"]:
        y = est.in_outcome(outcomes[o][r], outcomes["observed"][r], design.measure)[:, h]
        data[o] = np.where(obs, y.astype(float), np.nan)
    data["unit"] = m["unit"].astype(str).to_numpy()
    covs = [b.name for b in spec["covariates"]]
    ctrl = [b.name for b in spec["controls"]]
    clusters = data["unit"].nunique()
    se = spec["se"]
    if se == "auto":
        se = "cluster" if clusters >= FEW_CLUSTERS else "wild"
        notes.append({"kind": f"standard_errors_{se}", "persons": None, "text": f"{clusters} units"})
    labels = {b.name: b.label for b in (*spec["covariates"], *spec["controls"])}
    labels.update({o: design.label(o) for o in spec["outcomes"]})
    kwargs = dict(cluster="unit", se=se, level=spec["level"], labels=labels)
    if se == "wild":
        kwargs.update(n_boot=spec["n_boot"], seed=design.seed, boot_weights="webb" if clusters <= 12 else None)
    try:
        main = _caught(lpm, notes, data, list(spec["outcomes"]), covs, ctrl, **kwargs)
        hc1 = _caught(lpm, notes, data, list(spec["outcomes"]), covs, ctrl, se="hc1", level=spec["level"],
                      labels=labels)
    except (EstimationError, DesignError) as e:
        raise type(e)(f"{WHERE}: {e}") from None
    coef = main.to_frame()
    h1 = hc1.to_frame().set_index(["outcome", "term"])
    rows_out = []
    for rec in coef.to_dict("records"):
        o, term = rec["outcome"], rec["term"]
        used = data[[*covs, *ctrl, "unit", o]].notna().all(axis=1).to_numpy()
        x = data.loc[used, rec["variable"]].to_numpy()
        rows_out.append({"outcome": o, "term": term, "label": labels.get(term, term), "estimate": rec["estimate"],
                         "se": rec["se"], "ci_low": rec["ci_low"], "ci_high": rec["ci_high"], "p": rec["p"],
                         "mark": rec["mark"], "inference": rec["inference"],
                         "se_hc1": h1.loc[(o, term), "se"], "p_hc1": h1.loc[(o, term), "p"],
                         "n_with": int((x == 1).sum()), "n_without": int((x == 0).sum())})
    table = pd.DataFrame(rows_out)
    out = main.outcomes.copy()
    out["k"] = np.rint(out["mean"] / 100 * out["n"]).astype(int)
    out["se_type"] = se
    return {"lpm": table, "lpm_outcomes": out[["outcome", "n", "k", "mean", "n_clusters", "r2", "n_dropped",
                                               "se_type"]],
            "fit": main, "fit_hc1": hc1, "data": data}

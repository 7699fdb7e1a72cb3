"""Reference ATT(g,t) and aggregations on mpdta from moderndid (a Python port of R's did/DRDID), stored as JSON.

Run from the repository root with the test dependencies installed:

    .venv/bin/python tests/reference/did/make_reference.py

It writes tests/reference/did/moderndid_mpdta.json: for each case (estimator, covariates, comparison group,
anticipation, base period) the ATT(g,t) with analytic SEs, the Wald pre-test and the four aggregations with
analytic SEs (no bootstrap: analytic numbers are deterministic). The R package's own published numbers (rounded,
bootstrap SEs) are in published_mpdta.json, copied by hand from its documentation (see README.md).
"""

from __future__ import annotations

import json
import warnings
from importlib.metadata import version
from pathlib import Path

import moderndid as md
import numpy as np

OUT = Path(__file__).with_name("moderndid_mpdta.json")
CASES = {
    "means_never": {"xformla": None, "est_method": "dr"},
    "dr_lpop_never": {"xformla": "~ lpop", "est_method": "dr"},
    "reg_lpop_never": {"xformla": "~ lpop", "est_method": "reg"},
    "ipw_lpop_never": {"xformla": "~ lpop", "est_method": "ipw"},
    "dr_lpop_notyet": {"xformla": "~ lpop", "est_method": "dr", "control_group": "notyettreated"},
    "means_notyet_antic1": {"xformla": None, "est_method": "dr", "control_group": "notyettreated",
                            "anticipation": 1},
    "means_universal": {"xformla": None, "est_method": "dr", "base_period": "universal"},
}


def fl(x) -> list[float]:
    return [float(v) for v in np.asarray(x, dtype=float).ravel()]


def main() -> None:
    data = md.load_mpdta()
    out = {"source": f"moderndid {version('moderndid')} on moderndid.load_mpdta() (did::mpdta)", "cases": {}}
    for name, kw in CASES.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = md.att_gt(data=data, yname="lemp", tname="year", idname="countyreal", gname="first.treat",
                          boot=False, cband=False, **kw)
            case = {"args": kw, "group": fl(r.groups), "period": fl(r.times), "att": fl(r.att_gt),
                    "se": fl(r.se_gt), "wald_stat": None if r.wald_stat is None else float(np.ravel(r.wald_stat)[0]),
                    "wald_pvalue": None if r.wald_pvalue is None else float(r.wald_pvalue), "aggregations": {}}
            for kind in ("simple", "dynamic", "group", "calendar"):
                a = md.aggte(r, type=kind, boot=False, cband=False)
                case["aggregations"][kind] = {
                    "overall": float(a.overall_att), "overall_se": float(a.overall_se),
                    "index": None if a.event_times is None else fl(a.event_times),
                    "estimate": None if a.att_by_event is None else fl(a.att_by_event),
                    "se": None if a.se_by_event is None else fl(a.se_by_event)}
            a = md.aggte(r, type="dynamic", balance_e=1, boot=False, cband=False)
            case["aggregations"]["dynamic_balance1"] = {
                "overall": float(a.overall_att), "overall_se": float(a.overall_se), "index": fl(a.event_times),
                "estimate": fl(a.att_by_event), "se": fl(a.se_by_event)}
        out["cases"][name] = case
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()

"""The results bundle: every number an evaluation publishes, as plain JSON-ready data.

`bundle()` turns an EffectEvaluation (and optional robustness table) into one dict; `write_results()` writes it as
results/*.csv and results/results.json after disclosure control. The report renders this bundle and computes
nothing of its own, so what the report shows and what the files hold are the same numbers.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from virkning.registers import calendar
from virkning.defaults import SMD_THRESHOLD

BUNDLE_VERSION = 1


def _records(frame: pd.DataFrame | None) -> list[dict]:
    if frame is None or len(frame) == 0:
        return []
    out = []
    for row in frame.astype(object).to_dict(orient="records"):
        out.append({k: _plain(v) for k, v in row.items()})
    return out


def _plain(v):
    if v is None or v is pd.NA:
        return None
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return None if math.isnan(float(v)) else float(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def bundle(ev, *, design: dict, regs=None, robustness: pd.DataFrame | None = None) -> dict:
    """Everything the report and the results files need, before disclosure control."""
    m = ev.matching
    bal = m.balance
    bframe = bal.to_frame()
    comparison = bframe[bframe["term"] != "distance"][["term", "variable", "level", "type", "mean_treated_before",
                                                       "mean_control_before", "smd_before"]]
    comparison = comparison.rename(columns={"mean_treated_before": "mean_participants",
                                            "mean_control_before": "mean_eligible_pool",
                                            "smd_before": "smd"})
    sizes = m.sample_sizes()
    data = {}
    if regs is not None:
        rep = regs.report
        data = {
            "folder": str(regs.folder),
            "tables": {k: v.to_dict() for k, v in rep.tables.items()},
            "unknown_codes": _records(rep.unknown_codes),
            "orphans": rep.orphans,
            "end_month": calendar.month_label(regs.panel(end_month=design.get("end_month")).end_month()),
            "catalogue": list(regs.catalogue.sources),
            # written by `virkning synth`: the report then says the numbers come from synthetic data
            "synthetic": (Path(regs.folder) / "truth.json").is_file(),
        }
    participants = ev.populations.participants
    by_unit = participants.groupby("unit").size().rename("participants").reset_index() if len(participants) else None
    return {
        "version": BUNDLE_VERSION,
        "design": _plain(design),
        "data": _plain(data),
        "flow": _records(ev.flow),
        "participants_by_unit": _records(by_unit),
        "index_period": {"first": str(participants["index_date"].min()), "last": str(participants["index_date"].max())}
        if len(participants) else {},
        "population_comparison": _records(comparison),
        "balance": _records(bframe),
        "balance_summary": {"n_terms": int(len(bframe) - int((bframe["term"] == "distance").sum())),
                            "n_imbalanced": int(bal.n_imbalanced), "threshold": SMD_THRESHOLD},
        "sample_sizes": {row: {col: _plain(sizes.loc[row, col]) for col in sizes.columns} for row in sizes.index},
        "matching": _plain({k: v for k, v in m.info.to_dict().items() if k != "seconds"}),  # timings: manifest only
        "propensity": _records(m.propensity.summary().reset_index()) if m.propensity is not None else [],
        "effects": _records(ev.effects),
        "subgroups": _records(ev.subgroups),
        "heterogeneity": _records(ev.heterogeneity),
        "robustness": _records(robustness),
    }


TABLES = ("flow", "population_comparison", "balance", "effects", "subgroups", "heterogeneity", "robustness",
          "participants_by_unit")


def write_results(b: dict, folder: Path) -> dict[str, Path]:
    """results.json and one CSV per table; returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name in TABLES:
        frame = pd.DataFrame(b.get(name) or [])
        for col in frame.columns:  # counts with suppressed (empty) cells stay whole numbers in the CSV
            values = pd.to_numeric(frame[col], errors="coerce")
            if frame[col].dtype == float and values.notna().any() and (values.dropna() % 1 == 0).all() \
                    and (col.startswith(("n_", "at_risk")) or col in ("participants", "pool_persons", "pool_pairs")):
                frame[col] = values.astype("Int64")
        path = folder / f"{name}.csv"
        frame.to_csv(path, index=False)
        paths[name] = path
    path = folder / "results.json"
    path.write_text(json.dumps(b, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8")
    paths["results"] = path
    return paths

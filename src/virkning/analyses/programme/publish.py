"""What the programme kind publishes: the theory and the plan (no counts of persons), and the plan's status through
the one disclosure gate.

The status table's counts are declared to the gate (`declare`): each numerator and denominator is a count of
persons (rows of a registration sheet are rotations or citizens, so they are treated as persons too), the same
count in two rows has one key (two shares of the same population at the same point share their denominator), a
share is the numerator over the denominator with the rest of the group a count a reader can compute, and counts of
one population at consecutive points are nested (everyone counted at an earlier dated point is counted at a later
one; everyone observed k months after the event was observed at fewer months), so their differences are counts of
persons too. Intervals and target checks depend on the value they are computed from.
"""

from __future__ import annotations

import pandas as pd

from virkning.analyses.base import Output
from virkning.disclosure import Model, Place
from virkning.disclosure.gate import apply, Gate


def _theory_tables(theory: pd.DataFrame, indicators: pd.DataFrame, calendar: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {"programme_theory": theory, "indicators": indicators, "calendar": calendar}


def declare(frame: pd.DataFrame, keys: dict) -> Model:
    m = Model()
    nested: dict[tuple, list[tuple]] = {}
    for i, r in enumerate(frame.to_dict("records")):
        num_key, den_key = keys.get(i, (None, None))
        if r["state"] != "measured":
            continue
        if num_key is not None and r["numerator"] == r["numerator"]:
            m.count(Place("status", i, "numerator"), num_key, r["numerator"])
            if r["kind"] == "count":
                m.count(Place("status", i, "value"), num_key, r["numerator"])
        if den_key is not None and r["denominator"] == r["denominator"]:
            m.count(Place("status", i, "denominator"), den_key, r["denominator"])
        if r["kind"] in ("share", "rate") and num_key is not None and den_key is not None:
            if r["numerator"] <= r["denominator"]:
                m.share(Place("status", i, "value"), num_key, den_key, complement=("rest", num_key, den_key))
            else:
                m.depends([Place("status", i, "value")], [num_key, den_key])
        elif r["kind"] in ("duration", "amount") and (num_key or den_key):
            m.depends([Place("status", i, "value")], [k for k in (num_key, den_key) if k is not None])
        m.depends([Place("status", i, "ci_low"), Place("status", i, "ci_high"), Place("status", i, "met")],
                  [Place("status", i, "value")])
        for key in (num_key, den_key):
            if isinstance(key, tuple) and key and key[0] in ("pop", "reg"):
                nested.setdefault(key[:-1], []).append(key)
    for group, members in nested.items():
        members = list(dict.fromkeys(members))
        dated = sorted((k for k in members if not str(k[-1]).startswith("+")), key=lambda k: k[-1])
        offsets = sorted((k for k in members if str(k[-1]).startswith("+")), key=lambda k: int(str(k[-1])[1:-1]))
        for a, b in zip(dated, dated[1:]):  # later = earlier + those added in between
            m.difference(b, a, ("added", a, b))
        for a, b in zip(offsets, offsets[1:]):  # observed at fewer months = observed at more + those not yet
            m.difference(a, b, ("not_yet", a, b))
    return m


def protect_status(frame: pd.DataFrame, keys: dict, threshold: int) -> tuple[pd.DataFrame, tuple[str, ...]]:
    tables, outcome = apply({"status": frame}, Gate(declare(frame, keys), threshold))
    out = tables["status"]
    hidden = out["value"].isna() & (frame["value"].notna())
    out.loc[hidden & (out["missing"] == ""), "missing"] = "hidden: fewer persons than the disclosure threshold"
    return out, tuple(outcome.log)


def plan_outputs(result, threshold: int) -> list[Output]:
    """The theory, indicators and calendar (folder `programme`), and the status when it was computed."""
    tables = _theory_tables(result.theory, result.indicators, result.calendar)
    bundle = {"kind": "programme", "title": result.title}
    outs = [Output(kind="programme", folder="programme", tables=tables, bundle={}, title=result.title)]
    if result.status is not None:
        status, log = protect_status(result.status, result.status_keys, threshold)
        outs.append(Output(kind="programme", folder="programme", tables={"status": status},
                           bundle={**bundle, "as_of": result.as_of.isoformat()}, log=log, title=result.title,
                           page="programme/status.html"))
    return outs

"""What the trajectories analysis publishes, declared to the one disclosure gate.

Every count of persons a table prints is a cell; the counts a reader can compute are latent cells: the persons in
an outcome behind a share (and the rest of the group), the persons of a record code that no group shows alone
(e.g. udskudt, the whole programme minus groups 1-3), the persons of a unit behind a band total. Keys name sets of
persons, so the same set printed in two tables is one cell:

    ("group", g)               persons of group g              ("n", g, m) / ("k", g, o, m)   curve at month m
    ("code", c)                kept persons with record code c ("nc", c, m) / ("kc", c, o, m) a code's curve cells
    ("unit", u)                a unit's persons at the horizon ("band", table, b) and ("kb", table, b, o)

Relations: the flow's steps (each step and those it removed), groups of record codes as sums of their codes, the
curve's months (persons observed in month m = those in m + 1 and those censored), shares (`share`), the bands as
sums of their units, seniority bands as sums of their groups; ever-curves are series whose points wait while fewer
than the threshold persons reached the outcome or were censored since the last point shown. Numbers computed from
hidden ones (intervals, coefficients on small cells, "met") are dependents.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from virkning.analyses.base import Output
from virkning.analyses.effect.publish import blank_small, small_counts_blank
from virkning.analyses.trajectories.compute import TrajectoryResult
from virkning.disclosure import Model, Place, SeriesPoint
from virkning.disclosure.gate import Gate, apply

FOLDER = "trajectories"


def _num(v) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


# ---- the published tables (raw) ---------------------------------------------------------------------------------

def tables(result: TrajectoryResult) -> dict[str, pd.DataFrame]:
    f = result.flow
    # the records column is published as `rows` (rows of the records table: a count the writer and audit know)
    t = {"flow": f[["step", "records", "persons"]].rename(columns={"records": "rows"}).assign(
        part=["records" if c == "records" else "persons" for c in f["_chain"]]),
         "groups": result.groups}
    c = result.curves
    t["curves"] = c[["group", "outcome", "measure", "month", "n", "share", "ci_low", "ci_high"]].reset_index(drop=True)
    for name in ("units_size", "units_volume"):
        if name in result.units:
            f = result.units[name]
            t[name] = f[["band", "units", "persons", *[x for x in f.columns if x.startswith("share_")]]]
    for name in ("unit_distribution", "unit_criterion"):
        if name in result.units:
            t[name] = result.units[name]
    if result.seniority is not None:
        s = result.seniority
        t["seniority"] = s[["band", "persons", *[x for x in s.columns if x.startswith("share_")]]]
    if result.lpm:
        t["lpm"] = result.lpm["lpm"].drop(columns=["inference"])
        t["lpm_outcomes"] = result.lpm["lpm_outcomes"].drop(columns=["k"])
    t["notes"] = pd.DataFrame([{"kind": n["kind"], "persons": n.get("persons")} for n in result.notes],
                              columns=["kind", "persons"])
    return t


# ---- declarations ---------------------------------------------------------------------------------------------------

def declare(result: TrajectoryResult, t: dict[str, pd.DataFrame]) -> Model:
    m = Model()
    d = result.design
    codes = _flow(m, t["flow"], result)
    for i, r in enumerate(t["groups"].to_dict("records")):
        g = r["group"]
        m.count(Place("groups", i, "persons"), ("group", g), r["persons"])
        m.count(Place("groups", i, "observed_to_horizon"), ("n", g, d.horizon), r["observed_to_horizon"])
        m.difference(("group", g), ("n", g, d.horizon), ("censored_by_h", g))
    _curves(m, t["curves"], result, codes)
    _units(m, t, result)
    if "seniority" in t:
        _seniority(m, t["seniority"], result)
    if "lpm" in t:
        _lpm(m, t, result)
    for i, r in enumerate(t["notes"].to_dict("records")):
        if _num(r["persons"]) is not None:
            m.count(Place("notes", i, "persons"), ("note", r["kind"]), r["persons"])
    return m


def _flow(m: Model, flow: pd.DataFrame, result: TrajectoryResult) -> dict:
    """The records steps form a chain (each step = the next + those it removed), and so do a rule group's steps; a
    row that is a group's final membership is the group's cell. Returns the record codes' latent keys."""
    rows = result.flow.to_dict("records")
    prev: dict = {}
    for i, r in enumerate(rows):
        chain, group = (x if isinstance(x, str) else None for x in (r.get("_chain"), r.get("_group")))
        for col in ("records", "persons"):
            v = _num(r.get(col))
            if v is None:
                continue
            key = ("group", group) if (group and col == "persons") else ("flow", i, col)
            m.count(Place("flow", i, "rows" if col == "records" else col), key, v)
            if chain:
                if (chain, col) in prev and prev[(chain, col)] != key:
                    m.difference(prev[(chain, col)], key, ("flow_removed", i, col))
                prev[(chain, col)] = key
    kept = prev.get(("records", "persons"))  # the kept persons by record code; a records group sums its codes
    code_keys = {}
    if kept is not None:
        for c, v in result.data.get("_codes", {}).items():
            code_keys[c] = m.latent_count(("code", c), v)
        m.total(kept, list(code_keys.values()))
        groups = {g.name: tuple(g.records) for g in result.design.groups if g.records}
        _unions(m, {"_kept": tuple(code_keys), **groups},
                lambda g: kept if g == "_kept" else ("group", g), lambda c: ("code", c), "flow")
    return code_keys


def _curves(m: Model, c: pd.DataFrame, result: TrajectoryResult, code_keys: dict) -> None:
    d = result.design
    raw = result.curves.reset_index(drop=True)
    codes = result.data.get("_code_curves", {})  # (code, outcome, month) -> (n, k)
    series: dict = {}
    for i, r in enumerate(raw.to_dict("records")):
        g, o, mo = r["group"], r["outcome"], int(r["month"])
        n = m.count(Place("curves", i, "n"), ("n", g, mo), r["n"])
        k = m.latent_count(("k", g, o, mo), r["k"])
        m.share(Place("curves", i, "share"), k, n, complement=("not", g, o, mo))
        m.depends([Place("curves", i, "ci_low"), Place("curves", i, "ci_high")], [Place("curves", i, "share")])
        if mo == 1:
            m.difference(("group", g), n, ("censored_before", g, 1))
        else:
            m.difference(("n", g, mo - 1), n, ("censored", g, mo))
        if d.measure == "ever":
            series.setdefault((g, o), []).append(SeriesPoint(
                (Place("curves", i, "share"), Place("curves", i, "ci_low"), Place("curves", i, "ci_high")),
                {"events": r["events"], "censored": r["censored"]}, f"{g} {o} {mo}"))
    for (g, o), points in series.items():
        m.add_series(f"{g} {o}", points)
    # a records group's cells are sums of its codes' cells, and what is left of a group when other groups inside it
    # are taken away is declared too, so no code or union of codes shows as a difference of groups
    groups = {g.name: tuple(g.records) for g in d.groups if g.records}
    if not groups:
        return
    for (code, o, mo), (nv, kv) in codes.items():
        m.latent_count(("nc", code, mo), nv)
        m.latent_count(("kc", code, o, mo), kv)
    for mo in range(1, d.horizon + 1):
        _unions(m, groups, lambda g, mo=mo: ("n", g, mo), lambda c, mo=mo: ("nc", c, mo), ("n", mo))
        for o in d.outcomes:
            _unions(m, groups, lambda g, mo=mo, o=o: ("k", g, o.name, mo), lambda c, mo=mo, o=o: ("kc", c, o.name, mo),
                    ("k", o.name, mo))


def _unions(m: Model, groups: dict[str, tuple], group_key, code_key, tag) -> None:
    """Each group is the sum of its record codes; and for a group G and any set S of disjoint groups inside it, G
    minus S is a count (the persons of the codes left) that a reader can compute: declared as a latent part, so
    the gate sees its size as a sum of hidden parts of one total (e.g. group 3 and udskudt = all - group 1 - 2)."""
    from itertools import combinations

    for g, codes in groups.items():
        m.total(group_key(g), [code_key(c) for c in codes])
        inside = [h for h, hc in groups.items() if h != g and set(hc) < set(codes)]
        for r in range(1, min(len(inside), 6) + 1):
            for subset in combinations(inside, r):
                used = [c for h in subset for c in groups[h]]
                if len(used) != len(set(used)):
                    continue  # overlapping groups: their sum is not a count of persons
                rest = [c for c in codes if c not in used]
                if not rest or len(rest) == 1 and len(subset) == len(inside):
                    continue  # nothing left, or a single code (its own cell already)
                values = [m.cells.get(code_key(c)) for c in rest]
                if any(v is None for v in values):
                    continue
                key = ("rest", tag, g, subset)
                m.latent_count(key, sum(values))
                m.total(group_key(g), [*(group_key(h) for h in subset), key])
                m.total(key, [code_key(c) for c in rest])


def _units(m: Model, t: dict, result: TrajectoryResult) -> None:
    d = result.design
    if d.units is None:
        return
    g, h = d.units["group"], d.horizon
    uc = result.unit_counts
    unit_key = {}
    if uc is not None:
        for r in uc.to_dict("records"):
            unit_key[r["unit"]] = m.latent_count(("unit", r["unit"]), r["n"])
    raw = result.units
    for name in ("units_size", "units_volume"):
        if name not in t:
            continue
        f = raw[name].to_dict("records")
        band_keys = []
        for i, r in enumerate(f):
            total = r["band"] == "I alt"
            key = ("band", name, r["band"])
            m.count(Place(name, i, "persons"), key, r["persons"])
            for o in d.units["outcomes"]:
                k = m.latent_count(("kb", name, r["band"], o), r[f"k_{o}"])
                m.share(Place(name, i, f"share_{o}"), k, key, complement=("notb", name, r["band"], o))
            if not total:
                band_keys.append(r["band"])
                if uc is not None and name in uc.columns:
                    m.total(key, [unit_key[u] for u, b in zip(uc["unit"], uc[name]) if b == r["band"]])
        m.total(("band", name, "I alt"), [("band", name, b) for b in band_keys])
        for o in d.units["outcomes"]:
            m.total(("kb", name, "I alt", o), [("kb", name, b, o) for b in band_keys])
        tot = next(r for r in f if r["band"] == "I alt")
        curve = result.curves[(result.curves["group"] == g) & (result.curves["month"] == h)]
        if len(curve) and int(curve["n"].iloc[0]) == int(tot["persons"]):  # every unit banded: the same persons
            m.total(("n", g, h), [("band", name, "I alt")])
            for o in d.units["outcomes"]:
                m.total(("k", g, o, h), [("kb", name, "I alt", o)])
    if "unit_criterion" in t:
        cr = raw["unit_criterion"].to_dict("records")
        n_of = dict(zip(uc["unit"], uc["n"])) if uc is not None else {}
        for i, r in enumerate(cr):
            u = r["unit"]
            same = u in n_of and int(n_of[u]) == int(r["persons"])  # observed through the window = at the horizon
            n_key = unit_key[u] if same else ("crit_n", u)
            m.count(Place("unit_criterion", i, "persons"), n_key, r["persons"])
            k = m.latent_count(("crit_k", u), r["k"])
            m.share(Place("unit_criterion", i, "share"), k, n_key, complement=("crit_not", u))
            m.depends([Place("unit_criterion", i, "met"), Place("unit_criterion", i, "first_month")],
                      [Place("unit_criterion", i, "share")])


def _seniority(m: Model, s: pd.DataFrame, result: TrajectoryResult) -> None:
    # called only when the result has a seniority table, which run_design makes from the design's seniority section
    assert result.design.seniority is not None and result.seniority is not None
    groups = result.design.seniority["groups"]
    rows = result.seniority.to_dict("records")
    inner = []
    for i, r in enumerate(rows):
        key = m.count(Place("seniority", i, "persons"), ("sen", r["band"]), r["persons"])
        parts = []
        for g in groups:
            k = m.latent_count(("sen_k", r["band"], g), r[f"k_{g}"])
            m.share(Place("seniority", i, f"share_{g}"), k, key, complement=("sen_not", r["band"], g))
            parts.append(k)
        m.total(key, parts)
        if r["band"] not in ("I alt",) and not str(r["band"]).startswith("under"):
            inner.append(r["band"])
    m.total(("sen", "I alt"), [("sen", b) for b in inner])
    under = next((r["band"] for r in rows if str(r["band"]).startswith("under")), None)
    for g in groups:
        m.total(("sen_k", "I alt", g), [("sen_k", b, g) for b in inner])
        if under is not None:
            m.total(("group", g), [("sen_k", "I alt", g), ("sen_k", under, g)])


def _lpm(m: Model, t: dict, result: TrajectoryResult) -> None:
    d = result.design
    assert d.lpm is not None  # called only when the result has lpm tables, fitted only for a design's lpm section
    g, h = d.lpm["group"], d.horizon
    out = result.lpm["lpm_outcomes"].to_dict("records")
    curve = result.curves[(result.curves["group"] == g) & (result.curves["month"] == h)]
    n_h = int(curve["n"].iloc[0]) if len(curve) else None
    n_keys = {}
    for i, r in enumerate(out):
        o = r["outcome"]
        same = n_h is not None and int(r["n"]) == n_h  # the rows used are the persons observed at the horizon
        n = m.count(Place("lpm_outcomes", i, "n"), ("n", g, h) if same else ("lpm_n", o), r["n"])
        n_keys[o] = n
        k = m.latent_count(("k", g, o, h) if same else ("lpm_k", o), r["k"])
        m.share(Place("lpm_outcomes", i, "mean"), k, n, complement=("not", g, o, h) if same else ("lpm_not", o))
        drop = m.count(Place("lpm_outcomes", i, "n_dropped"), ("lpm_drop", o), r["n_dropped"])
        m.total(("group", g), [n, drop])
    for i, r in enumerate(result.lpm["lpm"].to_dict("records")):
        o, term = r["outcome"], r["term"]
        a = m.count(Place("lpm", i, "n_with"), ("lpm_x", o, term, 1), r["n_with"])
        b = m.count(Place("lpm", i, "n_without"), ("lpm_x", o, term, 0), r["n_without"])
        m.total(n_keys[o], [a, b])
        m.depends([Place("lpm", i, c) for c in ("estimate", "se", "ci_low", "ci_high", "p", "mark", "se_hc1",
                                                  "p_hc1")], [a, b])


# ---- publication ----------------------------------------------------------------------------------------------------

def _records(frame: pd.DataFrame) -> list[dict]:
    from virkning.analyses.effect.publish import records

    return records(frame)


def publish(result: TrajectoryResult, threshold: int) -> list[Output]:
    """The analysis through the gate: trajectories/*.csv, trajectories/results.json (the report's input), and the
    records the job centres should look at (person-level, internal/)."""
    raw = tables(result)
    model = declare(result, raw)
    gate = Gate(model, threshold)
    protected, outcome = apply(raw, gate)
    d = result.design
    data = {k: v for k, v in result.data.items() if not k.startswith("_")}
    # the registers' summary: the effect evaluation's gate holds its unknown codes and orphans in tables; here the
    # small counts are left out as they are
    data["tables"] = small_counts_blank(data.get("tables") or {}, threshold)
    data["orphans"] = small_counts_blank(data.get("orphans") or {}, threshold)
    data["unknown_codes"] = [blank_small(r, threshold, ("persons", "weeks")) for r in data.get("unknown_codes") or []]
    bundle = {"kind": "trajectories", "design": d.to_dict(), "data": data, "threshold": threshold,
              "labels": {"groups": {g.name: g.label for g in d.groups},
                         "outcomes": {o.name: o.label or o.name for o in d.outcomes}},
              "tables": {k: _records(v) for k, v in protected.items()},
              "disclosure": {"threshold": threshold, "suppressed": len(outcome.blank)}}
    internal = {k: v.astype({c: str for c in ("start_date", "end_date") if c in v.columns})
                for k, v in result.internal.items()}
    return [Output(kind="trajectories", folder=FOLDER, tables=protected, bundle=bundle, log=tuple(outcome.log),
                   internal=internal, title=str(d.to_dict().get("name") or ""))]


__all__ = ["publish", "declare", "tables", "np"]

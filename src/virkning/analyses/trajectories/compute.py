"""The run of a trajectories design: groups from the records and rules, month outcomes from the panel, curves by
month since the index, units compared, seniority bands and linear probability models (raw, unprotected frames).

Register work, in order, so the benefits table is scanned as few times as possible: the records table (small);
the persons in a rule group's state in its week (one scan, `Panel.state_pairs`); then seniority (runs of weeks,
which copy the groups' weeks they read), month indicators (from the copies, or one direct read of the registers
for persons whose rows are not copied) and covariates. Everyone who leaves is counted in `flow`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from virkning.analyses.trajectories.spec import TrajectoryDesign
from virkning.errors import DesignError, EstimationError
from virkning.estimate import trajectories as est
from virkning.outcomes import month_atoms, month_outcome_flags
from virkning.records import deduplicate
from virkning.registers import calendar, queries

if TYPE_CHECKING:
    from virkning.analyses.base import Context
    from virkning.registers import Registers


@dataclass(frozen=True)
class TrajectoryResult:
    """Raw tables of a trajectories run (`publish` protects them) and what was noted on the way."""

    design: TrajectoryDesign
    flow: pd.DataFrame
    groups: pd.DataFrame
    curves: pd.DataFrame
    units: dict[str, pd.DataFrame] = field(default_factory=dict)
    seniority: pd.DataFrame | None = None
    lpm: dict[str, Any] = field(default_factory=dict)
    notes: tuple[dict, ...] = ()  # kind, persons (a count, or None), text (for the user; not published)
    unit_counts: pd.DataFrame | None = field(default=None, repr=False)  # per unit: persons observed at the horizon
    # person level, never published: per group its members (pk, person_id, index_date, unit, record_group) and the
    # bool [member, month 1..H] arrays of every outcome and `observed`
    members: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    months: dict[str, dict[str, np.ndarray]] = field(default_factory=dict, repr=False)
    internal: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    data: dict = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def to_frames(self) -> dict[str, pd.DataFrame]:
        out = {"flow": self.flow, "groups": self.groups, "curves": self.curves, **self.units}
        if self.seniority is not None:
            out["seniority"] = self.seniority
        out.update({k: self.lpm[k] for k in ("lpm", "lpm_outcomes") if k in self.lpm})
        return out


# ---- groups --------------------------------------------------------------------------------------------------------

def _caught(fn, notes: list[dict], *args, **kwargs):
    """Run fn, keep its warnings in `notes` (kind: the warning class) and pass them on: declared warnings are never
    swallowed. The text holds counts and rows for the user; only the kind is published."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn(*args, **kwargs)
    for w in caught:
        notes.append({"kind": w.category.__name__, "persons": None, "text": str(w.message)})
        warnings.warn(w.message, w.category, stacklevel=3)
    return out


def _records(regs: "Registers", design: TrajectoryDesign, notes: list[dict]):
    if "records" not in regs.tables:
        raise DesignError(f"the design's groups {', '.join(g.name for g in design.groups if g.records)} come from "
                          f"the records table, but the data folder {regs.folder} has none (records.parquet, .csv or "
                          ".sas7bdat with person_id, unit, group, start_date, end_date; docs/data-contract.md)")
    raw = regs.engine.frame(queries.RECORDS)
    d = _caught(deduplicate, [], raw, design.rule)
    for kind, frame in (("overlapping_records", d.overlaps), ("contradictory_records", d.contradictions)):
        if len(frame):
            notes.append({"kind": kind, "persons": int(frame["person_id"].nunique()),
                          "text": f"rows {', '.join(map(str, frame['_row'].head(5)))} ..."})
    return d


def _rule_group(panel, g, notes: list[dict]) -> tuple[pd.DataFrame, list[dict]]:
    """Persons of a register-rule group: in the state in the week of the date, with seniority in range."""
    week = calendar.date_weeks(np.array([g.date], dtype="datetime64[D]"))[0]
    flow = []
    if g.state is not None:
        sp = panel.state_pairs(np.array([week]), {0: g.state})
        pk = np.unique(sp["pk"].to_numpy())
    else:
        pk = np.arange(panel.n_persons)
    flow.append({"step": f"{g.name}: in {g.state or 'the persons table'} in the week of {g.date.isoformat()}",
                 "persons": int(len(pk)), "_chain": g.name})
    frame = pd.DataFrame({"pk": pk, "person_id": panel.ids_of(pk), "index_date": pd.Timestamp(g.date)})
    return frame, flow


def _seniority_bands(panel, pk: np.ndarray, date, state: str, edges) -> np.ndarray:
    """Band of each person's unbroken run in `state` up to and including the week of `date`, in years (weeks / 52):
    -1 below edges[0], i for edges[i] <= years < edges[i+1], len(edges) - 1 from the last edge on."""
    week = int(calendar.date_weeks(np.array([date], dtype="datetime64[D]"))[0])
    pairs = pd.DataFrame({"person_id": panel.ids_of(pk), "index_week": np.full(len(pk), week, dtype=np.int64),
                          "index_date": pd.Timestamp(date), "_pk": pk})
    lengths = [int(np.ceil(e * 52 - 1e-9)) for e in edges]  # weeks / 52 >= e  <=>  weeks >= ceil(52 e)
    at_least = panel.runs_at_least(pairs, state, [max(L, 1) for L in lengths])
    for i, L in enumerate(lengths):
        if L <= 0:
            at_least[:, i] = True
    return at_least.sum(axis=1).astype(np.int64) - 1


def build_groups(regs: "Registers", design: TrajectoryDesign, notes: list[dict]):
    """Every group's persons (pk, person_id, index_date, unit, record group) and the flow of records and persons."""
    panel = regs.panel()
    flow: list[dict] = []
    kept = None
    internal: dict[str, pd.DataFrame] = {}
    if any(g.records for g in design.groups):
        d = _records(regs, design, notes)
        flow += [{"step": r["step"], "records": r["records"], "persons": r["persons"], "_chain": "records"}
                 for r in d.flow.to_dict("records")]
        kept = d.kept.assign(pk=panel.keys(d.kept["person_id"].astype(str).to_numpy()))
        orphans = kept[kept["pk"] < 0]
        if len(orphans):
            notes.append({"kind": "records_not_in_persons", "persons": len(orphans),
                          "text": f"records rows {', '.join(map(str, orphans['_row'].head(5)))}: persons not in the "
                                  "persons table, left out"})
        kept = kept[kept["pk"] >= 0]
        flow.append({"step": "in the persons table", "records": len(kept), "persons": len(kept), "_chain": "records"})
        for name, frame in (("records_contradictions", d.contradictions), ("records_overlaps", d.overlaps)):
            if len(frame):
                internal[name] = frame
    rule_frames = {}
    for g in design.groups:
        if g.records is None:
            rule_frames[g.name], f = _rule_group(panel, g, notes)
            flow += f
    # Nothing is copied up front: each question copies the rows it reads (runs of weeks, covariates) or reads the
    # registers once directly (month flags of persons not copied). Copying every row of every group first cost
    # more than it saved (the demo's Flere skal med: 3.9-4.1 s against 3.7-3.9 s, the same files).
    municipality = panel.persons()["municipality"].to_numpy()
    members: dict[str, pd.DataFrame] = {}
    for g in design.groups:
        if g.records is not None:
            assert kept is not None  # read above whenever a group names records
            m = kept[kept["group"].isin(g.records)]
            members[g.name] = pd.DataFrame({"pk": m["pk"].to_numpy(), "person_id": m["person_id"].to_numpy(),
                                            "index_date": m["start_date"].to_numpy(), "unit": m["unit"].to_numpy(),
                                            "record_group": m["group"].to_numpy()})
            continue
        m = rule_frames[g.name]
        if g.seniority is not None:
            state, lo, hi = g.seniority
            band = _seniority_bands(panel, m["pk"].to_numpy(), g.date, state, (lo, hi))
            m = m[band == 0]
            flow.append({"step": f"{g.name}: {lo:g} to under {hi:g} years in {state}", "persons": len(m),
                         "_chain": g.name})
        members[g.name] = pd.DataFrame({"pk": m["pk"].to_numpy(), "person_id": m["person_id"].to_numpy(),
                                        "index_date": m["index_date"].to_numpy(),
                                        "unit": municipality[m["pk"].to_numpy()], "record_group": None})
    for g in design.groups:
        if g.exclude:
            drop = set().union(*(set(members[o]["pk"]) for o in g.exclude))
            members[g.name] = members[g.name][~members[g.name]["pk"].isin(drop)]
            flow.append({"step": f"{g.name}: not in {', '.join(g.exclude)}", "persons": len(members[g.name]),
                         "_chain": g.name if g.records is None else None, "_group": g.name})
    for g in design.groups:
        flow.append({"step": f"group {g.name}", "persons": len(members[g.name]),
                     "_chain": g.name if g.records is None else None, "_group": g.name})
    codes = {}
    if kept is not None:
        codes = {c: kept.loc[kept["group"] == c, ["pk", "start_date"]].rename(columns={"start_date": "index_date"})
                 for c in design.rule.keep_groups}
    flow_frame = pd.DataFrame(flow)
    for col in ("records", "_chain", "_group"):
        if col not in flow_frame.columns:
            flow_frame[col] = None
    return panel, members, flow_frame, internal, codes


# ---- months and curves ----------------------------------------------------------------------------------------------

def month_outcomes(panel, design: TrajectoryDesign, members: dict[str, pd.DataFrame]):
    """bool [pair, month 1..H] per outcome (and `observed`) for the distinct (person, index date) pairs of all groups,
    and each group's rows into them."""
    allp = pd.concat([m[["pk", "person_id", "index_date"]] for m in members.values()], ignore_index=True)
    allp["index_date"] = pd.to_datetime(allp["index_date"])
    pairs = allp.drop_duplicates(["pk", "index_date"]).reset_index(drop=True)
    dates = pairs["index_date"].to_numpy().astype("datetime64[D]")
    frame = pd.DataFrame({"person_id": pairs["person_id"].to_numpy(), "index_week": calendar.date_weeks(dates),
                          "index_date": pairs["index_date"].to_numpy(), "_pk": pairs["pk"].to_numpy()})
    flags = panel.month_flags(frame, 1, design.horizon, month_atoms(design.outcomes))
    outcomes = month_outcome_flags(design.outcomes, flags)
    outcomes["observed"] = flags["observed"]
    index = pd.MultiIndex.from_frame(pairs[["pk", "index_date"]])
    rows: dict[str, Any] = {name: index.get_indexer(pd.MultiIndex.from_arrays([m["pk"].to_numpy(),
                                                               pd.to_datetime(m["index_date"]).to_numpy()]))
            for name, m in members.items()}
    rows["_pairs"] = index
    return outcomes, rows


def curves(design: TrajectoryDesign, outcomes: dict, rows: dict) -> pd.DataFrame:
    frames = []
    for g in design.groups:
        r = rows[g.name]
        for o in design.outcomes:
            c = est.curve(outcomes[o.name][r], outcomes["observed"][r], design.measure, design.level)
            frames.append(c.assign(group=g.name, outcome=o.name, measure=design.measure))
    cols = ["group", "outcome", "measure", "month", "n", "k", "share", "ci_low", "ci_high", "events", "censored"]
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)


def code_curves(design: TrajectoryDesign, codes: dict, outcomes: dict, rows: dict) -> dict:
    """(code, outcome, month) -> (n, k) for the record codes of the records groups: a group's curve is the sum of
    its codes' (what the gate needs to keep a code no group shows alone from appearing as a difference)."""
    out = {}
    index = rows.get("_pairs")
    used = {c for g in design.groups if g.records for c in g.records}
    for c, f in codes.items():
        if c not in used or index is None:
            continue
        r = index.get_indexer(pd.MultiIndex.from_arrays([f["pk"].to_numpy(), pd.to_datetime(f["index_date"]).to_numpy()]))
        for o in design.outcomes:
            cur = est.curve(outcomes[o.name][r], outcomes["observed"][r], design.measure)
            for row in cast(Any, cur.itertuples()):  # named tuples of the curve's numeric columns
                out[(c, o.name, int(row.month))] = (int(row.n), int(row.k))
    return out


def group_table(design: TrajectoryDesign, members: dict, outcomes: dict, rows: dict) -> pd.DataFrame:
    out = []
    for g in design.groups:
        m = members[g.name]
        obs = outcomes["observed"][rows[g.name]]
        idx = pd.to_datetime(m["index_date"])
        out.append({"group": g.name, "label": g.label, "persons": len(m),
                    "observed_to_horizon": int(obs[:, -1].sum()) if len(m) else 0,
                    "first_index": calendar.month_label(calendar.date_months(
                        np.array([idx.min()], dtype="datetime64[D]"))[0]) if len(m) else None,
                    "last_index": calendar.month_label(calendar.date_months(
                        np.array([idx.max()], dtype="datetime64[D]"))[0]) if len(m) else None})
    return pd.DataFrame(out)


# ---- units ----------------------------------------------------------------------------------------------------------

def inhabitants(regs: "Registers") -> tuple[pd.DataFrame, str]:
    """unit, name, inhabitants and where they come from: the data folder's `inhabitants` table if it has one
    ("data"), else the shipped figures ("shipped": registers/municipalities.csv, column population)."""
    path = resources.files("virkning.registers").joinpath("municipalities.csv")
    shipped = pd.read_csv(str(path), dtype={"code": str})
    names = dict(zip(shipped["code"], shipped["name"]))
    if "inhabitants" in regs.tables:
        t = regs.engine.frame(queries.INHABITANTS)
        t["name"] = t["unit"].map(names)
        return t[["unit", "name", "inhabitants"]], "data"
    t = shipped.rename(columns={"code": "unit", "population": "inhabitants"})
    return t[["unit", "name", "inhabitants"]], "shipped"


def _band_labels(edges: tuple) -> list[str]:
    """'0-25000', '25001-50000', 'over 50000': each band includes its upper limit."""
    e = [int(x) if float(x).is_integer() else x for x in edges]
    return [f"0-{e[0]}"] + [f"{a + 1 if isinstance(a, int) else a}-{b}" for a, b in zip(e, e[1:])] + [f"over {e[-1]}"]


def _band(values: np.ndarray, edges: tuple) -> np.ndarray:
    """Band index: 0 for values <= edges[0], i for edges[i-1] < value <= edges[i], len(edges) above the last."""
    return np.searchsorted(np.asarray(edges, dtype=float), np.asarray(values, dtype=float), side="left")


def units(regs: "Registers", design: TrajectoryDesign, members: dict, outcomes: dict, rows: dict,
          notes: list[dict]) -> dict[str, pd.DataFrame]:
    u = design.units
    assert u is not None  # run_design calls units() only when the design has a units section
    g = members[u["group"]]
    r = rows[u["group"]]
    h = design.horizon - 1
    obs = outcomes["observed"][r][:, h]
    y = {o: est.in_outcome(outcomes[o][r], outcomes["observed"][r], design.measure)[:, h] for o in u["outcomes"]}
    inh, source = inhabitants(regs)
    unit = g["unit"].astype(str).to_numpy()
    unknown = sorted(set(unit) - set(inh["unit"]))
    if unknown:
        notes.append({"kind": "units_without_inhabitants", "persons": int(np.isin(unit, unknown).sum()),
                      "text": f"units {', '.join(unknown[:5])}: no inhabitants; their persons of {u['group']} are left "
                              "out of the size bands"})
    size = dict(zip(inh["unit"], inh["inhabitants"]))
    volume = pd.Series(unit).value_counts()  # persons of the group per unit (its volume)
    frames: dict[str, Any] = {}  # the tables, and the inhabitants' source under "_source"
    unit_band: dict = {}
    for key, edges, value in (("units_size", u["size_bands"], [size.get(x, np.nan) for x in unit]),
                              ("units_volume", u["volume_bands"], volume.reindex(unit).to_numpy())):
        value = np.asarray(value, dtype=float)
        known = np.isfinite(value)
        band = np.where(known, _band(np.nan_to_num(value), edges), -1)
        labels = _band_labels(edges)
        unit_band[key] = {x: (labels[b] if b >= 0 else None) for x, b in zip(unit, band)}
        rows_ = []
        for b, lab in enumerate(labels):
            sel = (band == b) & obs
            row: dict[str, Any] = {"band": lab, "units": int(len(set(unit[band == b]))), "persons": int(sel.sum())}
            for o in u["outcomes"]:
                row[f"k_{o}"] = int((y[o] & sel).sum())
                row[f"share_{o}"] = row[f"k_{o}"] / row["persons"] if row["persons"] else np.nan
            rows_.append(row)
        sel = known & obs
        total: dict[str, Any] = {"band": "I alt", "units": int(len(set(unit[known]))), "persons": int(sel.sum())}
        for o in u["outcomes"]:
            total[f"k_{o}"] = int((y[o] & sel).sum())
            total[f"share_{o}"] = total[f"k_{o}"] / total["persons"] if total["persons"] else np.nan
        frames[key] = pd.DataFrame(rows_ + [total])
    # distribution of the unit shares at the horizon, units with at least min_persons observed persons
    per_unit = pd.DataFrame({"unit": unit, "obs": obs, **{o: y[o] & obs for o in u["outcomes"]}})
    agg = per_unit.groupby("unit").sum(numeric_only=True)
    big = agg[agg["obs"] >= u["min_persons"]]
    dist = []
    for o in u["outcomes"]:
        q = est.quantile_summary((big[o] / big["obs"]).to_numpy())
        dist.append({"outcome": o, "units": int(len(big)), "units_left_out": int(len(agg) - len(big)), **q})
    frames["unit_distribution"] = pd.DataFrame(dist)
    c = u["criterion"]
    if c is not None:
        ws = est.window_share(outcomes[c.outcome][r], outcomes["observed"][r], unit, c.window)
        ws["name"] = ws["unit"].map(dict(zip(inh["unit"], inh["name"])))
        ws["met"] = ws["share"] >= c.share - 1e-12
        frames["unit_criterion"] = ws[["unit", "name", "n", "k", "share", "first_month", "met"]].rename(
            columns={"n": "persons"})
    ids = agg.index.astype(str)
    frames["_unit_counts"] = pd.DataFrame({"unit": ids, "n": agg["obs"].astype(int).to_numpy(),
                                           **{k: [unit_band[k].get(x) for x in ids] for k in unit_band}})
    frames["_source"] = source
    return frames


# ---- seniority ------------------------------------------------------------------------------------------------------

def seniority(panel, design: TrajectoryDesign, members: dict) -> pd.DataFrame:
    s = design.seniority
    assert s is not None  # run_design calls seniority() only when the design has a seniority section
    frames = [members[g].assign(group=g) for g in s["groups"]]
    m = pd.concat(frames, ignore_index=True)
    edges = np.asarray(s["bands"], dtype=float)
    band = _seniority_bands(panel, m["pk"].to_numpy(), s["date"], s["state"], edges)  # [e_i, e_i+1): i
    labels = [f"{a:g}-{b:g}" for a, b in zip(edges, edges[1:])] + [f"over {edges[-1]:g}"]
    rows = []
    for b, lab in [*enumerate(labels), (None, "I alt"), (-1, f"under {edges[0]:g}")]:
        sel = (band >= 0) if b is None else (band == b)
        row: dict[str, Any] = {"band": lab, "persons": int(sel.sum())}
        for g in s["groups"]:
            row[f"k_{g}"] = int((sel & (m["group"] == g).to_numpy()).sum())
            row[f"share_{g}"] = row[f"k_{g}"] / row["persons"] if row["persons"] else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


# ---- the run --------------------------------------------------------------------------------------------------------

def run_design(design: TrajectoryDesign, ctx: "Context") -> TrajectoryResult:
    import time

    from virkning.analyses.trajectories.lpm import fit_lpm

    notes: list[dict] = []
    regs = ctx.registers
    timings = {}
    t = time.perf_counter()
    ctx.progress("groups from the records and rules")
    panel, members, flow, internal, codes = build_groups(regs, design, notes)
    timings["groups"] = time.perf_counter() - t
    empty = [g for g, m in members.items() if m.empty]
    if empty:
        raise EstimationError(f"group(s) {', '.join(empty)} have no persons; check their records codes or rule "
                              "(the flow table says where persons left)")
    t = time.perf_counter()
    ctx.progress("month outcomes")
    outcomes, rows = month_outcomes(panel, design, members)
    cur = curves(design, outcomes, rows)
    timings["curves"] = time.perf_counter() - t
    groups = group_table(design, members, outcomes, rows)
    unit_frames = units(regs, design, members, outcomes, rows, notes) if design.units else {}
    unit_counts = unit_frames.pop("_unit_counts", None)
    source = unit_frames.pop("_source", None)
    sen = seniority(panel, design, members) if design.seniority else None
    lpm = {}
    if design.lpm is not None:
        t = time.perf_counter()
        ctx.progress("linear probability models")
        lpm = fit_lpm(regs, panel, design, members, outcomes, rows, notes)
        timings["lpm"] = time.perf_counter() - t
    from virkning.analyses.effect.publish import data_summary

    data = data_summary(regs, panel.end_month())
    data["inhabitants"] = source
    data["_codes"] = {c: len(f) for c, f in codes.items()}
    data["_code_curves"] = code_curves(design, codes, outcomes, rows)
    return TrajectoryResult(design=design, flow=flow, groups=groups, curves=cur, units=unit_frames, seniority=sen,
                            lpm=lpm, notes=tuple(notes), internal=internal, data=data, timings=timings,
                            unit_counts=unit_counts, members=members,
                            months={g: {k: v[r] for k, v in outcomes.items()} for g, r in rows.items()
                                    if not g.startswith("_")})

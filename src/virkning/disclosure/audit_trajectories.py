"""The audit's reading of a trajectories folder (curves.csv, flow.csv, groups.csv, units_*.csv, seniority.csv,
lpm*.csv and the design in results.json): the relations a reader can rebuild from the files alone.

- the flow: each records step is the next plus those it removed;
- the groups: the persons of a group are those followed to the horizon plus those who were not; a group defined by
  record codes (the published design says which) is the sum of its codes, and all kept persons are the sum of
  every kept code, so a code no group shows alone (udskudt) is the whole minus the other groups;
- the curves: n x share is the persons in the outcome (and the rest); month to month, n falls by those censored,
  and on an ever-curve without censoring the persons in the outcome rise by those who reached it that month;
  a records group's n and persons in the outcome are sums of its codes';
- the units: bands sum to the total, which is the group at the horizon; the units of the success criterion make
  up the group, and, with the shipped inhabitants, the units of a size band make up the band;
- seniority: a band is the sum of its groups, the total the sum of the bands, a group its total and the persons
  under the first band; the models: n = with + without a covariate, the mean x n, the group = n + dropped.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pandas as pd

from virkning.disclosure.audit import Finding, _num, _read_csv, _rows, _small, _System


def _share(s: _System, share, n_key, n_value, k_key, not_key, where: str) -> float | None:
    """A printed share of a group: with the group printed too, a reader knows both counts (a small one is a
    finding; the counts enter the system as known values, which keeps its unknowns few); with the group hidden,
    the share relates the unknowns. Returns the persons in the outcome when known."""
    sv, nv = _num(share), _num(n_value)
    if sv is None:
        s.relate({k_key: 1.0, n_key: 0.0}, where)  # the cell exists, unknown
        s.relate({n_key: 1.0, k_key: -1.0, not_key: -1.0}, where)
        return None
    if nv is None:
        s.share(share, k_key, n_key, where, complement=not_key)
        return None
    k = sv * nv
    for key, v, what in ((k_key, k, "in the outcome"), (not_key, nv - k, "not in it")):
        s.cell(key, v, where)
        if _small(v, s.t) and abs(v - round(v)) < 0.05:
            s.findings.append(Finding(where.split(" row")[0], where, f"{sv:.6f} x {nv:g} = {v:.2f} persons {what}"))
    return k


def _known(s: _System, key, value: float, where: str, what: str) -> None:
    """A count a reader computes exactly from printed ones: a known cell (keeps the system's unknowns few), and a
    finding when it is small."""
    s.cell(key, value, where)
    if _small(value, s.t) and abs(value - round(value)) < 0.05:
        s.findings.append(Finding(where.split(" row")[0].split(":")[0], where, f"{what} = {value:.2f} persons"))


def _difference(s: _System, a, b, gap, where: str) -> None:
    """a = b + gap: computed when both are printed, else a relation."""
    va, vb = s.values.get(a), s.values.get(b)
    if va is not None and vb is not None:
        _known(s, gap, va - vb, where, f"{va:g} - {vb:g}")
    else:
        s.difference(a, b, gap, where, signed=False)


def _sums(s: _System, sums: list[tuple], where: str) -> None:
    """totals = sums of parts (group = its record codes): parts a reader can solve for one by one are computed
    (a group of one code is that code; a whole minus its other known parts is the last part); then every
    relation enters the system for what is left."""
    changed = True
    while changed:
        changed = False
        for total, parts in sums:
            tv = s.values.get(total)
            unknown = [p for p in parts if s.values.get(p) is None]
            if tv is not None and len(unknown) == 1:
                rest = sum(s.values[p] for p in parts if p != unknown[0])
                _known(s, unknown[0], tv - rest, where, f"{tv:g} minus the other parts")
                changed = True
    for total, parts in sums:
        s.total(total, parts, where)


def _design(folder: Path) -> dict:
    try:
        doc = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def read_all(s: _System, folder: Path, files: list[Path]) -> None:
    """Every trajectories folder (one with curves.csv) of the output folder (audit.audit calls this)."""
    for results in sorted({p.parent for p in files if p.name == "curves.csv"}):
        trajectories(s, results, str(results.relative_to(folder)))


def trajectories(s: _System, folder: Path, rel: str) -> None:
    doc = _design(folder)
    design = doc.get("design") or {}
    groups = {g["name"]: g for g in design.get("groups", []) if isinstance(g, dict) and "name" in g}
    horizon = int(design.get("horizon") or 0)
    _flow(s, folder, rel, groups)
    g = _read_csv(folder / "groups.csv", "group", "persons", "observed_to_horizon")
    if g is not None:
        for i, r in _rows(g):
            s.cell(("tg", rel, r["group"]), r["persons"], f"{rel}/groups.csv row {i + 2}")
            s.cell(("tn", rel, r["group"], horizon), r["observed_to_horizon"], f"{rel}/groups.csv row {i + 2}")
            _difference(s, ("tg", rel, r["group"]), ("tn", rel, r["group"], horizon), ("tcens_h", rel, r["group"]),
                        f"{rel}/groups.csv row {i + 2}: persons not followed to the horizon")
    _curves(s, folder, rel, groups, design.get("outcomes", []), horizon)
    _units(s, folder, rel, design, horizon, (doc.get("data") or {}).get("inhabitants"))
    _seniority(s, folder, rel)
    _lpm(s, folder, rel, design)


def _flow(s: _System, folder: Path, rel: str, groups: dict) -> None:
    f = _read_csv(folder / "flow.csv", "step", "rows", "persons")
    if f is None:
        return
    prev: dict = {}
    for i, r in _rows(f):
        step = str(r["step"])
        records = r.get("part") == "records"
        name = step.removeprefix("group ") if step.startswith("group ") else None
        for col in ("rows", "persons"):
            if not records and col == "rows":
                continue
            key = ("tg", rel, name) if name and col == "persons" else ("tflow", rel, i, col)
            s.cell(key, r[col], f"{rel}/flow.csv row {i + 2}, {col}")
            if records:
                if col in prev:
                    _difference(s, prev[col], key, ("tflow_removed", rel, i, col),
                                f"{rel}/flow.csv row {i + 2}: removed by the step ({col})")
                prev[col] = key
    kept = prev.get("persons")
    codes = sorted({c for g in groups.values() for c in (g.get("records") or [])})
    if kept is not None and codes:
        sums = [(kept, [("tcode", rel, c) for c in codes])]
        sums += [(("tg", rel, name), [("tcode", rel, c) for c in g["records"]]) for name, g in groups.items()
                 if g.get("records")]
        _sums(s, sums, f"{rel}/flow.csv: groups as sums of their record codes")


def _curves(s: _System, folder: Path, rel: str, groups: dict, outcomes: list, horizon: int) -> None:
    c = _read_csv(folder / "curves.csv", "group", "outcome", "measure", "month", "n", "share")
    if c is None:
        return
    c = c.assign(month=c["month"].astype(float).astype(int))
    for (grp, out), rows in c.groupby(["group", "outcome"], sort=False):
        prev = None
        for i, r in _rows(rows.sort_values("month")):
            m = int(r["month"])
            n, where = ("tn", rel, grp, m), f"{rel}/curves.csv row {i + 2}"
            s.cell(n, r["n"], f"{where}, n")
            k = _share(s, r["share"], n, r["n"], ("tk", rel, grp, out, m), ("tnot", rel, grp, out, m),
                       f"{where}, share x n")
            _difference(s, prev[0] if prev else ("tg", rel, grp), n, ("tcens", rel, grp, m),
                        f"{rel}/curves.csv row {i + 2}: {grp} censored in month {m}")
            # an ever-curve without censoring rises by the persons who reached the outcome in the month
            if (r["measure"] == "ever" and prev is not None and k is not None and prev[1] is not None
                    and _num(prev[2]) == _num(r["n"])):
                gap = k - prev[1]
                if _small(gap, s.t) and abs(gap - round(gap)) < 0.05:
                    s.findings.append(Finding(f"{rel}/curves.csv", f"{grp} {out} month {m}",
                                              f"{k:.2f} - {prev[1]:.2f} = {gap:.2f} persons reached it in the month"))
            if k is not None or prev is None or _num(prev[2]) != _num(r["n"]):
                prev = (n, k, r["n"])
    names = [o.get("name") for o in outcomes if isinstance(o, dict)]
    recorded = {name: g["records"] for name, g in groups.items() if g.get("records") and name in set(c["group"])}
    if not recorded:
        return
    # a group of one record code is that code: its cells stand for the code's (fewer unknowns for the programs)
    alias = {codes[0]: name for name, codes in recorded.items() if len(codes) == 1}

    def n_key(code, m):
        return ("tn", rel, alias[code], m) if code in alias else ("tcn", rel, code, m)

    def k_key(code, o, m):
        return ("tk", rel, alias[code], o, m) if code in alias else ("tck", rel, code, o, m)

    for m in sorted(set(c["month"])):
        _sums(s, [(("tn", rel, name, m), [n_key(code, m) for code in codes]) for name, codes in recorded.items()
                  if len(codes) > 1], f"{rel}/curves.csv: month {m}, groups as sums of their record codes")
        for o in names:
            _sums(s, [(("tk", rel, name, o, m), [k_key(code, o, m) for code in codes]) for name, codes in
                      recorded.items() if len(codes) > 1],
                  f"{rel}/curves.csv: {o} month {m}, groups as sums of their record codes")


def _inhabitants() -> dict:
    path = resources.files("virkning.registers").joinpath("municipalities.csv")
    t = pd.read_csv(str(path), dtype={"code": str})
    return dict(zip(t["code"], t["population"]))


def _band_of(value: float, bands: list[str]) -> str | None:
    for b in bands:
        if b.startswith("over "):
            if value > float(b[5:]):
                return b
        elif "-" in b:
            lo, hi = b.split("-")
            if float(lo) <= value <= float(hi):
                return b
    return None


def _units(s: _System, folder: Path, rel: str, design: dict, horizon: int, source) -> None:
    units = design.get("units") or {}
    group = units.get("group")
    band_units: dict = {}
    for name in ("units_size", "units_volume"):
        f = _read_csv(folder / f"{name}.csv", "band", "persons")
        if f is None:
            continue
        shares = [c for c in f.columns if c.startswith("share_")]
        parts: dict[str, list[tuple[object, ...]]] = {c: [] for c in ["persons", *shares]}
        total = None
        for i, r in _rows(f):
            key: tuple[object, ...] = ("tband", rel, name, r["band"])
            s.cell(key, r["persons"], f"{rel}/{name}.csv row {i + 2}")
            for col in shares:
                k = ("tbk", rel, name, r["band"], col)
                _share(s, r[col], key, r["persons"], k, ("tbnot", rel, name, r["band"], col),
                       f"{rel}/{name}.csv row {i + 2}, {col}")
                if r["band"] != "I alt":
                    parts[col].append(k)
            if r["band"] == "I alt":
                total = r
            else:
                parts["persons"].append(key)
        if total is not None:
            s.total(("tband", rel, name, "I alt"), parts["persons"], f"{rel}/{name}.csv: the bands make up the total")
            for col in shares:
                s.total(("tbk", rel, name, "I alt", col), parts[col], f"{rel}/{name}.csv: {col} of the bands")
            if group:
                s.relate({("tband", rel, name, "I alt"): 1.0, ("tn", rel, group, horizon): -1.0},
                         f"{rel}/{name}.csv: the total is {group} at the horizon")
        if name == "units_size":
            band_units = {b: [] for b in f["band"] if b != "I alt"}
    cr = _read_csv(folder / "unit_criterion.csv", "unit", "persons", "share")
    if cr is None or not group:
        return
    keys = []
    inh = _inhabitants() if source == "shipped" else {}
    for i, r in _rows(cr):
        key = ("tunit", rel, str(r["unit"]))
        s.cell(key, r["persons"], f"{rel}/unit_criterion.csv row {i + 2}")
        _share(s, r["share"], key, r["persons"], ("tuk", rel, str(r["unit"])), ("tunot", rel, str(r["unit"])),
               f"{rel}/unit_criterion.csv row {i + 2}, share")
        keys.append(key)
        b = _band_of(float(inh[str(r["unit"])]), list(band_units)) if str(r["unit"]) in inh else None
        if b is not None:
            band_units[b].append(key)
    s.total(("tn", rel, group, horizon), keys, f"{rel}/unit_criterion.csv: the units make up {group}")
    for b, ks in band_units.items():
        if ks:
            s.total(("tband", rel, "units_size", b), ks, f"{rel}/unit_criterion.csv: the units of size band {b}")


def _seniority(s: _System, folder: Path, rel: str) -> None:
    f = _read_csv(folder / "seniority.csv", "band", "persons")
    if f is None:
        return
    shares = [c for c in f.columns if c.startswith("share_")]
    inner, under = [], None
    for i, r in _rows(f):
        key = ("tsen", rel, r["band"])
        s.cell(key, r["persons"], f"{rel}/seniority.csv row {i + 2}")
        ks = []
        for col in shares:
            k = ("tsk", rel, r["band"], col)
            _share(s, r[col], key, r["persons"], k, ("tsnot", rel, r["band"], col),
                   f"{rel}/seniority.csv row {i + 2}, {col}")
            ks.append(k)
        s.total(key, ks, f"{rel}/seniority.csv row {i + 2}: the groups make up the band")
        if str(r["band"]).startswith("under"):
            under = r["band"]
        elif r["band"] != "I alt":
            inner.append(r["band"])
    s.total(("tsen", rel, "I alt"), [("tsen", rel, b) for b in inner], f"{rel}/seniority.csv: the bands")
    for col in shares:
        s.total(("tsk", rel, "I alt", col), [("tsk", rel, b, col) for b in inner], f"{rel}/seniority.csv: {col}")
        if under is not None:
            s.total(("tg", rel, col.removeprefix("share_")), [("tsk", rel, "I alt", col), ("tsk", rel, under, col)],
                    f"{rel}/seniority.csv: the group {col.removeprefix('share_')}")


def _lpm(s: _System, folder: Path, rel: str, design: dict) -> None:
    out = _read_csv(folder / "lpm_outcomes.csv", "outcome", "n", "mean")
    group = (design.get("lpm") or {}).get("group")
    if out is None:
        return
    for i, r in _rows(out):
        n = ("tlpm_n", rel, r["outcome"])
        s.cell(n, r["n"], f"{rel}/lpm_outcomes.csv row {i + 2}, n")
        mean = _num(r["mean"])
        _share(s, None if mean is None else mean / 100, n, r["n"], ("tlpm_k", rel, r["outcome"]),
               ("tlpm_not", rel, r["outcome"]), f"{rel}/lpm_outcomes.csv row {i + 2}, mean x n")
        if "n_dropped" in out.columns and group:
            d = ("tlpm_drop", rel, r["outcome"])
            s.cell(d, r["n_dropped"], f"{rel}/lpm_outcomes.csv row {i + 2}, n_dropped")
            s.total(("tg", rel, group), [n, d], f"{rel}/lpm_outcomes.csv: the group is n and those dropped")
    f = _read_csv(folder / "lpm.csv", "outcome", "term", "n_with", "n_without")
    if f is None:
        return
    for i, r in _rows(f):
        a, b = ("tlpm_x", rel, r["outcome"], r["term"], 1), ("tlpm_x", rel, r["outcome"], r["term"], 0)
        s.cell(a, r["n_with"], f"{rel}/lpm.csv row {i + 2}, n_with")
        s.cell(b, r["n_without"], f"{rel}/lpm.csv row {i + 2}, n_without")
        s.total(("tlpm_n", rel, r["outcome"]), [a, b], f"{rel}/lpm.csv row {i + 2}: with and without")

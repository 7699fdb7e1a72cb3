"""An independent audit of an output folder: re-read every published file and try to derive a small count.

    findings = audit("out/", threshold=5)       # [] when nothing below the threshold can be read or derived

The audit knows nothing of the analyses' declarations to the gate. It reads the files as a reader would (CSV, JSON,
HTML and SVG text; workbooks and Danish-dialect CSVs must equal their CSVs cell for cell, audit_spreadsheets.py;
`internal/` is not published and is skipped, except that it must be the only place with person-level data),
rebuilds the relations a reader can see between the numbers from the tables' own layout, and tries the attacks of
docs/disclosure.md:

1. a printed count of 1 .. threshold-1 persons (CSV count columns, JSON records, HTML and SVG elements of class
   `count`);
2. a share of a printed group: numerator = share x group, and the rest of the group;
3. differences: consecutive steps of a flow or funnel, consecutive points of a curve (exits and censorings),
   this month's cumulative count against last month's report;
4. totals against their parts: projects and the total, levels of a category and the group, subgroups and the
   whole, All = Matched + Unmatched;
5. any linear combination of the above: every hidden count is bounded by linear programming over all the
   relations at once (counts are non-negative), and reported when it lies within 1 .. threshold-1, as is any
   group of hidden parts of one total whose sum is determined and small.

Each finding names the file(s), the cells and the arithmetic.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from virkning.defaults import DISCLOSURE_THRESHOLD

EPS = 1e-6
TOTAL_UNIT = "I alt"
COUNT_COLUMNS = {"participants", "pool_persons", "pool_pairs", "n_treated", "n_control", "n_control_persons",
                 "at_risk_treated", "at_risk_control", "persons", "employed", "numerator", "denominator", "months", "rows", "n", "agree",
                 "respondents", "population", "weeks"}
# counts of projects, clusters, studies or model terms: not persons, so no threshold applies
NOT_PERSONS = {"n_units", "n_projects", "n_clusters", "n_studies", "n_items", "n_parameters", "n_estimates"}
PERSON_COLUMNS = {"person_id", "cpr", "pnr", "birth_date", "foedselsdato"}
_COUNT_SPAN = re.compile(r'class="[^"]*\bcount\b[^"]*"[^>]*>\s*([0-9][0-9.,\s]*)\s*<')


@dataclass(frozen=True)
class Finding:
    file: str
    cells: str
    arithmetic: str

    def __str__(self) -> str:
        return f"{self.file}: {self.cells}: {self.arithmetic}"


def _small(v, t: int) -> bool:
    if v is None:
        return False
    try:
        v = abs(float(v))
    except (TypeError, ValueError):
        return False
    return v == v and 0 < round(v) < t


def _num(v) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


@dataclass
class _System:
    """Cells (shown value or hidden) and linear relations between them, as a reader rebuilds them."""

    t: int
    values: dict = field(default_factory=dict)  # key -> shown value or None (hidden)
    truth_hint: dict = field(default_factory=dict)
    where: dict = field(default_factory=dict)  # key -> "file row r, column"
    relations: list = field(default_factory=list)  # (coefs dict, description)
    signed: set = field(default_factory=set)
    totals: list = field(default_factory=list)  # (total key, part keys, file) for group checks
    findings: list = field(default_factory=list)  # found while reading (curves)

    def cell(self, key, value, where: str) -> None:
        v = _num(value)
        if key in self.values and self.values[key] is not None and v is not None and abs(self.values[key] - v) > 1e-6:
            return  # two printings disagree (e.g. rounding): keep the first
        if key not in self.values or self.values[key] is None:
            self.values[key] = v
        self.where.setdefault(key, where)

    def hidden(self, key) -> None:
        self.values.setdefault(key, None)

    def relate(self, coefs: dict, what: str) -> None:
        coefs = {k: c for k, c in coefs.items() if c != 0}
        for k in coefs:
            self.values.setdefault(k, None)
        if len(coefs) > 1:
            self.relations.append((coefs, what))

    def total(self, total, parts, what: str) -> None:
        if not parts:
            return
        coefs = {total: 1.0}
        for p in parts:
            coefs[p] = coefs.get(p, 0.0) - 1.0
        self.relate(coefs, what)
        self.totals.append((total, list(parts), what))

    def difference(self, a, b, gap, what: str, signed: bool = True) -> None:
        """a = b + gap, the gap a count of persons (changes may be negative)."""
        self.relate({a: 1.0, b: -1.0, gap: -1.0}, what)
        if signed:
            self.signed.add(gap)
        self.where.setdefault(gap, what)

    def share(self, share, numerator, denominator, what: str, complement=None) -> None:
        s = _num(share)
        if s is None:
            return
        self.relate({numerator: 1.0, denominator: -s}, what)
        if complement is not None:
            self.relate({denominator: 1.0, numerator: -1.0, complement: -1.0}, what)
            self.where.setdefault(complement, f"the rest of the group in {what}")


def _read_csv(path: Path, *needed: str) -> pd.DataFrame | None:
    """The table, or None when it is absent, unreadable or lacks a column the relations need."""
    if not path.is_file():
        return None
    try:
        f = pd.read_csv(path, dtype=object, keep_default_na=True)
    except (pd.errors.EmptyDataError, UnicodeDecodeError, pd.errors.ParserError):
        return None
    return f if set(needed) <= set(f.columns) else None


def _rows(frame: pd.DataFrame) -> Iterator[tuple[int, pd.Series]]:
    """``frame.iterrows()`` of a table read by _read_csv (or a part of one): its labels are the RangeIndex
    that numbers the file's data rows, so they are ints (the stubs type them as Hashable)."""
    return cast(Iterator[tuple[int, pd.Series]], frame.iterrows())


# ---- relations per table ------------------------------------------------------------------------------------------

def _flow(s: _System, f: pd.DataFrame, name: str) -> dict:
    keys = {}
    for col in ("participants", "pool_persons", "pool_pairs"):
        if col not in f.columns:
            continue
        prev = None
        for i, r in _rows(f):
            step = str(r.get("step"))
            if col == "participants" and step.startswith("pool:"):
                continue
            if col != "participants" and step in ("registered (event in window)", "found in registers"):
                continue
            key = (name, "flow", col, i)
            s.cell(key, r[col], f"{name} row {i + 2}, {col}")
            keys[(col, step, i)] = key
            if prev is not None:
                s.difference(prev, key, (name, "flow", col, "removed", i), f"{name}: step {i + 1} removed from the one "
                                                                          f"before ({col})", signed=False)
            prev = key
    return keys


def _evaluation(s: _System, folder: Path, rel: str) -> None:
    flow = _read_csv(folder / "flow.csv", "step")
    units = _read_csv(folder / "participants_by_unit.csv", "unit", "participants")
    sizes = _read_csv(folder / "sample_sizes.csv", "sample", "Control", "Treated")
    keys = _flow(s, flow, f"{rel}/flow.csv") if flow is not None else {}
    # the participants and pool before matching: the last step that is neither the match nor the common-support
    # discard (the sample sizes' All counts the discarded units)
    before = {k: v for k, v in keys.items() if k[1] != "matched" and not str(k[1]).startswith("common support")}
    final = [k for (col, step, i), k in before.items() if col == "participants"]
    matched = {col: k for (col, step, i), k in keys.items() if step == "matched"}
    pool = [k for (col, step, i), k in before.items() if col == "pool_pairs"]
    if units is not None and final:
        parts = []
        for i, r in _rows(units):
            key: tuple[object, ...] = (rel, "unit", str(r["unit"]))
            s.cell(key, r["participants"], f"{rel}/participants_by_unit.csv row {i + 2}")
            parts.append(key)
        s.total(final[-1], parts, f"{rel}/participants_by_unit.csv: projects sum to the participants")
    size_key = {}
    if sizes is not None:
        for i, r in _rows(sizes):
            for col in ("Control", "Treated"):
                key = (rel, "sizes", r["sample"], col)
                s.cell(key, r[col], f"{rel}/sample_sizes.csv row {i + 2}, {col}")
                size_key[(r["sample"], col)] = key
        for col in ("Control", "Treated"):
            parts = [size_key[(x, col)] for x in ("Matched", "Unmatched", "Discarded") if (x, col) in size_key]
            if ("All", col) in size_key:
                s.total(size_key[("All", col)], parts, f"{rel}/sample_sizes.csv: All = Matched + Unmatched")
        if final and ("All", "Treated") in size_key:
            s.relate({final[-1]: 1.0, size_key[("All", "Treated")]: -1.0}, "participants = All treated")
        if "participants" in matched and ("Matched", "Treated") in size_key:
            s.relate({matched["participants"]: 1.0, size_key[("Matched", "Treated")]: -1.0}, "matched participants")
        if "pool_pairs" in matched and ("Matched", "Control") in size_key:
            s.relate({matched["pool_pairs"]: 1.0, size_key[("Matched", "Control")]: -1.0}, "matched controls")
        if pool and ("All", "Control") in size_key:
            s.relate({pool[-1]: 1.0, size_key[("All", "Control")]: -1.0}, "the pool before matching")
    groups = {("mean_participants", "Treated", "All"), ("mean_eligible_pool", "Control", "All"),
              ("mean_treated_before", "Treated", "All"), ("mean_control_before", "Control", "All"),
              ("mean_treated_after", "Treated", "Matched"), ("mean_control_after", "Control", "Matched")}
    for table in ("population_comparison", "balance", "characteristics"):
        f = _read_csv(folder / f"{table}.csv", "type", "variable", "level", "term")
        if f is None:
            continue
        if "parts" in f.columns:
            # a row joining levels of another variable (column `parts`, "origin:indvandrer|origin:efterkommer")
            # counts their persons together, in every group and sample
            for i, r in _rows(f):
                if not (isinstance(r.get("parts"), str) and r["parts"]):
                    continue
                parts = [cast(tuple[str, str], tuple(p.split(":", 1))) for p in r["parts"].split("|") if ":" in p]
                for group, sample in sorted({(g, sm) for _, g, sm in groups}):
                    s.total((rel, "level", r["variable"], str(r.get("level")), group, sample),
                            [(rel, "level", v, lv, group, sample) for v, lv in parts],
                            f"{rel}/{table}.csv row {i + 2}: {r['level']} joins {r['parts']}")
        for col, group, sample in groups:
            if col not in f.columns or (sample, group) not in size_key:
                continue
            den = size_key[(sample, group)]
            by_var = defaultdict(list)
            for i, r in _rows(f):
                if r.get("type") != "binary":
                    continue
                num = (rel, "level", r["variable"], str(r.get("level")), group, sample)
                s.hidden(num)
                s.where.setdefault(num, f"{rel}/{table}.csv row {i + 2}: the persons in {r['term']} ({group}, {sample})")
                single = pd.isna(r.get("level"))
                s.share(r[col], num, den, f"{rel}/{table}.csv row {i + 2}, {col} x {sample} {group}",
                        complement=(rel, "level_not", r["variable"], group, sample) if single else None)
                if not single:
                    by_var[r["variable"]].append(num)
            for var, nums in by_var.items():
                s.total(den, nums, f"{rel}/{table}.csv: the levels of {var} make up the group ({group}, {sample})")
    _effects(s, folder, rel, size_key)


def _effects(s: _System, folder: Path, rel: str, size_key: dict) -> None:
    e = _read_csv(folder / "effects.csv", "outcome", "month", "treated_mean", "control_mean", "at_risk_treated",
                  "at_risk_control")
    if e is None:
        return
    for outcome, g in e.groupby("outcome", sort=False):
        g = g.assign(month=g["month"].astype(float)).sort_values("month")
        for group, mean, risk, n in (("Treated", "treated_mean", "at_risk_treated", "n_treated"),
                                     ("Control", "control_mean", "at_risk_control", "n_control")):
            prev_r = prev_f = None
            for i, r in _rows(g):
                where = f"{rel}/effects.csv row {i + 2}"
                rk = (rel, "risk", outcome, group, r["month"])
                s.cell(rk, r[risk], f"{where}, {risk}")
                rv, fv = _num(r[risk]), _num(r[mean])
                if prev_r is not None and rv is not None:
                    gap = prev_r[1] - rv
                    if _small(gap, s.t):
                        s.findings.append(Finding(f"{rel}/effects.csv", f"{outcome} {group} months {prev_r[0]:g} to "
                                                  f"{r['month']:g}", f"at risk {prev_r[1]:g} - {rv:g} = {gap:g} "
                                                  "persons left the curve (exits and censorings)"))
                if fv is not None and rv is not None and prev_f is not None and prev_f[1] < 1:
                    events = (fv - prev_f[1]) / (1 - prev_f[1]) * (prev_r[1] if prev_r else rv)
                    if _small(events, s.t) and abs(events - round(events)) < 0.05:
                        s.findings.append(Finding(f"{rel}/effects.csv", f"{outcome} {group} month {r['month']:g}",
                                                  f"({fv:.4f} - {prev_f[1]:.4f}) / (1 - {prev_f[1]:.4f}) x "
                                                  f"{prev_r[1] if prev_r else rv:g} = {events:.2f} exits"))
                if fv is not None and prev_f is None and rv is not None:
                    events = fv * rv
                    if _small(events, s.t) and abs(events - round(events)) < 0.05:
                        s.findings.append(Finding(f"{rel}/effects.csv", f"{outcome} {group} month {r['month']:g}",
                                                  f"{fv:.4f} x {rv:g} = {events:.2f} exits"))
                if rv is not None:
                    prev_r = (r["month"], rv)
                if fv is not None:
                    prev_f = (r["month"], fv)
    sg = _read_csv(folder / "subgroups.csv", "subgroup", "outcome", "level", "treated_mean", "control_mean",
                   "n_treated", "n_control")
    if sg is None:
        return
    for (name, sg_outcome), g in sg.groupby(["subgroup", "outcome"], sort=False):
        for group, mean, n in (("Treated", "treated_mean", "n_treated"), ("Control", "control_mean", "n_control")):
            parts = []
            for i, r in _rows(g):
                nk = (rel, "sg", name, str(r["level"]), sg_outcome, group)
                s.cell(nk, r[n], f"{rel}/subgroups.csv row {i + 2}, {n}")
                parts.append(nk)
                k = (rel, "sg_k", name, str(r["level"]), sg_outcome, group)
                s.share(r[mean], k, nk, f"{rel}/subgroups.csv row {i + 2}, {mean}",
                        complement=(rel, "sg_not", name, str(r["level"]), sg_outcome, group))
            if ("Matched", group) in size_key:
                total = (rel, "sg_total", name, sg_outcome, group)
                s.total(total, parts, f"{rel}/subgroups.csv: the levels of {name}")
                # a reader would take the matched group as the whole
                s.relate({total: 1.0, size_key[("Matched", group)]: -1.0}, f"{name}: the levels make up the matched")


def _bounds_findings(s: _System) -> list[Finding]:
    """Every hidden count (and group of hidden parts) a reader can narrow to 1 .. threshold-1."""
    out: list[Finding] = []
    unknown = [k for k, v in s.values.items() if v is None]
    index = {k: i for i, k in enumerate(unknown)}
    rel_of = defaultdict(list)
    for j, (coefs, _) in enumerate(s.relations):
        for k in coefs:
            if k in index:
                rel_of[k].append(j)
    totals_of = defaultdict(list)
    for j, (_, parts, _) in enumerate(s.totals):
        for p in parts:
            if p in index:
                totals_of[p].append(j)
    seen: set = set()
    for k0 in unknown:
        if k0 in seen or not rel_of.get(k0):
            continue
        comp, rels, queue = {k0}, set(), [k0]
        while queue:
            k = queue.pop()
            for j in rel_of[k]:
                if j in rels:
                    continue
                rels.add(j)
                for k2 in s.relations[j][0]:
                    if k2 in index and k2 not in comp:
                        comp.add(k2)
                        queue.append(k2)
        seen |= comp
        comp_l = sorted(comp, key=repr)
        ci = {k: i for i, k in enumerate(comp_l)}
        rels_l = sorted(rels)
        A = np.zeros((len(rels_l), len(comp_l)))
        b = np.zeros(len(rels_l))
        for r, j in enumerate(rels_l):
            for k, c in s.relations[j][0].items():
                if k in ci:
                    A[r, ci[k]] += c
                else:
                    b[r] -= c * s.values[k]
        bounds = [(None, None) if k in s.signed else (0, None) for k in comp_l]

        def rng(c):
            lo = linprog(c, A_eq=A, b_eq=b, bounds=bounds, method="highs")
            hi = linprog(-c, A_eq=A, b_eq=b, bounds=bounds, method="highs")
            if lo.status == 2 or hi.status == 2:  # the printed numbers contradict each other (rounding): no bound
                return -np.inf, np.inf
            return (lo.fun if lo.status == 0 else -np.inf), (-hi.fun if hi.status == 0 else np.inf)

        def disclosed(lo, hi):
            return (lo >= 1 - EPS and hi <= s.t - 1 + EPS) or (hi <= -1 + EPS and lo >= -(s.t - 1) - EPS)

        # A cell is safe as soon as one solution of the relations gives it 0 or at least the threshold: a few
        # vertices (all unknowns low, all high, random directions) clear most cells; the rest get their own LPs.
        suspects = np.ones(len(comp_l), dtype=bool)
        points: list = []
        contradictory = False
        directions = [np.ones(len(comp_l)), -np.ones(len(comp_l))]
        rng_dirs = np.random.default_rng(len(comp_l))
        directions += [rng_dirs.choice([-1.0, 1.0], len(comp_l)) for _ in range(4)]
        for d in directions:
            res = linprog(d, A_eq=A, b_eq=b, bounds=bounds, method="highs")
            if res.status == 2:  # the printed numbers contradict each other (rounding): nothing can be bounded
                suspects[:] = False
                contradictory = True
                break
            if res.status == 0:
                points.append(res.x)
                v = np.abs(res.x)
                suspects &= (v >= 1 - EPS) & (v <= s.t - 1 + EPS)
            if not suspects.any():
                break

        for idx in np.flatnonzero(suspects):
            k = comp_l[idx]
            c = np.zeros(len(comp_l))
            c[idx] = 1
            lo, hi = rng(c)
            if disclosed(lo, hi):
                out.append(Finding(s.where.get(k, str(k)), repr(k[:-1] if isinstance(k, tuple) else k),
                                   f"derivable from the published numbers: between {lo:.2f} and {hi:.2f}"))
        for j in sorted({j for k in comp_l for j in totals_of.get(k, ())}):
            total, parts, what = s.totals[j]
            hidden = [p for p in parts if p in ci]
            if contradictory or len(hidden) < 2 or total not in ci and s.values.get(total) is None:
                continue
            c = np.zeros(len(comp_l))
            for p in hidden:
                c[ci[p]] = 1
            if any(not 1 - EPS <= abs(c @ x) <= s.t - 1 + EPS for x in points):
                continue
            lo, hi = rng(c)
            if disclosed(lo, hi):
                out.append(Finding(what, f"{len(hidden)} hidden parts",
                                   f"their sum is derivable: between {lo:.2f} and {hi:.2f}"))
    return out


def _direct(path: Path, rel: str, t: int, out: list[Finding]) -> None:
    """Attack 1 and 2 within one file: small printed counts, shares of printed groups, person-level columns."""
    if path.suffix == ".csv":
        f = _read_csv(path)
        if f is None:
            return
        for col in f.columns:
            if col.lower() in PERSON_COLUMNS:
                out.append(Finding(rel, f"column {col}", "person-level data in a publishable folder"))
            if (col in COUNT_COLUMNS or col.startswith(("n_", "at_risk"))) and col not in NOT_PERSONS:
                for i, v in enumerate(f[col]):
                    if _small(v, t):
                        out.append(Finding(rel, f"row {i + 2}, {col}", f"shows {v}"))
        pairs = [("treated_mean", "n_treated"), ("control_mean", "n_control"), ("share_employed", "persons"),
                 ("share_agree", "n"), ("response_rate", "population")]
        for share, n in pairs:
            if share in f.columns and n in f.columns:
                for i, (sv, nv) in enumerate(zip(f[share], f[n])):
                    s_, n_ = _num(sv), _num(nv)
                    if s_ is None or n_ is None or not 0 <= s_ <= 1:
                        continue
                    k = s_ * n_
                    if abs(k - round(k)) < 0.01 and (_small(k, t) or _small(n_ - k, t)):
                        out.append(Finding(rel, f"row {i + 2}, {share} x {n}", f"{s_:.4f} x {n_:g} = {k:.2f}; "
                                                                            f"the rest {n_ - k:.2f}"))
    elif path.suffix in (".html", ".htm", ".svg"):
        text = path.read_text(encoding="utf-8", errors="replace")
        for m in _COUNT_SPAN.finditer(text):
            digits = re.sub(r"[.,\s]", "", m.group(1))
            if digits and _small(int(digits), t):
                out.append(Finding(rel, "a count in the page", f"shows {m.group(1).strip()}"))
    elif path.suffix == ".json":
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            out.append(Finding(rel, "the file", "is not valid JSON"))
            return

        def walk(v, where):
            if isinstance(v, dict):
                for key, x in v.items():
                    if key in PERSON_COLUMNS:
                        out.append(Finding(rel, f"{where}.{key}", "person-level data in a publishable folder"))
                    if key in COUNT_COLUMNS and _small(x, t) and not isinstance(x, bool):
                        out.append(Finding(rel, f"{where}.{key}", f"shows {x}"))
                    walk(x, f"{where}.{key}")
            elif isinstance(v, list):
                for i, x in enumerate(v):
                    walk(x, f"{where}[{i}]")

        walk(doc, "")


def audit(folder: str | Path, threshold: int = DISCLOSURE_THRESHOLD) -> list[Finding]:
    """Every way a count below `threshold` can be read or derived from the publishable files of an output folder."""
    folder = Path(folder)
    s = _System(threshold)
    files = sorted(p for p in folder.rglob("*") if p.is_file() and "internal" not in p.relative_to(folder).parts)
    for path in files:
        _direct(path, str(path.relative_to(folder)), threshold, s.findings)
    for results in sorted({p.parent for p in files if p.name == "effects.csv"}):
        _evaluation(s, results, str(results.relative_to(folder)))
    months = sorted((p.parent.name, p.parent) for p in files if p.name == "funnel.csv")
    from virkning.disclosure.audit_monitoring import monitoring
    from virkning.disclosure.audit_trajectories import read_all

    if months:
        monitoring(s, months)

    read_all(s, folder, files)
    from virkning.disclosure.audit_indicators import read_all as read_indicators

    read_indicators(s, folder, files)
    from virkning.disclosure.audit_benchmark import read_all as read_benchmark

    read_benchmark(s, folder, files)
    from virkning.disclosure.audit_spreadsheets import read_all as read_spreadsheets

    read_spreadsheets(s, folder, files)  # the workbook and Danish-dialect CSVs must equal the audited CSVs
    found = s.findings + _bounds_findings(s)
    unique = list(dict.fromkeys(found))
    return unique

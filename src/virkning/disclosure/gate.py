"""The one disclosure gate: no published number may show or let a reader derive a count of 1 .. threshold-1 persons.

    protected, log = protect(tables, model, threshold)

1. Primary suppression: a printed count of 1 .. threshold-1 persons is hidden (0 may be shown).
2. Series (curves): a point is published only when the events and censorings since the last published point are
   each 0 or at least the threshold; otherwise the point waits and its counts add to the next one.
3. Shares whose numerator or denominator is hidden are hidden.
4. Secondary suppression against differencing: what a reader knows (the printed counts, the counts earlier outputs
   printed, every declared relation between them: totals and parts, steps of a flow, cumulative counts, shares of a
   known group) is a system of linear equations. For every unknown count of 1 .. threshold-1 persons the gate
   computes, by linear programming, the smallest and largest value the system allows (counts are non-negative);
   the count is disclosed when both lie in 1 .. threshold-1, and a group of unknown parts of one total is disclosed
   when their sum is determined and lies there. For each disclosure the gate hides one more number: among the
   printed counts and shares linked to it, the smallest whose hiding protects it; it repeats until
   nothing is disclosed. This is the linear attack model of statistical offices' audits (tau-ARGUS); a count hidden
   only by a relation that needs integer reasoning to solve is not searched for.
5. Dependents: numbers computed from hidden ones (differences, intervals, SMDs, achievements) are hidden.

scipy's HiGHS solves the linear programs; each is a connected component of unknown counts (a table's cells
linked by relations), so they stay small.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from virkning.defaults import DISCLOSURE_THRESHOLD
from virkning.disclosure.model import Key, Model, Place

EPS = 1e-6


def small(n, threshold: int) -> bool:
    """A count that may not be shown: 1 .. threshold-1 (None, NaN and 0 are fine)."""
    if n is None:
        return False
    n = float(n)
    return n == n and 0 < round(n) < threshold


@dataclass
class Outcome:
    hidden: set        # counts hidden by the gate
    blank: dict        # Place -> reason
    log: list[str]


class Gate:
    def __init__(self, model: Model, threshold: int = DISCLOSURE_THRESHOLD):
        if threshold < 1:
            raise ValueError("the disclosure threshold must be a positive number of persons")
        self.m = model
        self.t = threshold
        self.hidden: set[Key] = set()
        self.dropped: set[int] = set()  # relations of hidden shares
        self.blank: dict[Place, str] = {}
        self.log: list[str] = []
        self._place_key = {p: k for k, ps in model.places.items() for p in ps}

    # ---- state ---------------------------------------------------------------------------------------------------
    def known(self, key: Key) -> bool:
        if key in self.m.fixed:
            return True
        return key in self.m.places and key not in self.hidden and key not in self.m.fixed_hidden

    def hide(self, key: Key, why: str) -> None:
        if key in self.hidden or key in self.m.fixed:
            return
        self.hidden.add(key)
        for p in self.m.places.get(key, []):
            self.blank.setdefault(p, why)
        for i, r in enumerate(self.m.relations):  # a share of a hidden count is hidden
            if r.kind == "share" and key in r.coefs and i not in self.dropped:
                self.drop(i, "share of a hidden count")

    def drop(self, i: int, why: str) -> None:
        self.dropped.add(i)
        place = self.m.relations[i].place
        if place is not None:
            self.blank.setdefault(place, why)

    # ---- steps ---------------------------------------------------------------------------------------------------
    def primary(self) -> None:
        for key, places in self.m.places.items():
            if key not in self.m.fixed and small(self.m.cells[key], self.t):
                self.hide(key, "fewer persons than the threshold")
        for i, r in enumerate(self.m.relations):  # a share of a known group shows its numerator
            if r.kind == "share" and any(small(self.m.cells[k], self.t) for k in r.coefs if k in self.m.latent):
                self.drop(i, "share of fewer persons than the threshold")
        for key in self.m.fixed:
            if small(self.m.cells[key], self.t):
                self.log.append(f"an earlier output printed a small count ({key!r}); it cannot be taken back")

    def series(self) -> None:
        for s in self.m.series:
            acc: dict[str, float] = defaultdict(float)
            for point in s.points:
                for name, v in point.increments.items():
                    acc[name] += float(v or 0)
                if any(small(v, self.t) for v in acc.values()):
                    for p in point.places:
                        self.blank.setdefault(p, f"{s.name}: fewer events or censorings than the threshold since "
                                                 "the last point shown")
                        key = self._place_key.get(p)
                        if key is not None and key not in self.m.fixed:
                            self.hidden.add(key)
                    continue
                acc.clear()

    def _unknown(self, key: Key) -> bool:
        return not self.known(key)

    def _components(self) -> list[tuple[list[Key], list[int]]]:
        """Unknown counts linked by active relations, with the relations touching them."""
        parent: dict[Key, Key] = {}

        def find(k):
            while parent[k] != k:
                parent[k] = parent[parent[k]]
                k = parent[k]
            return k

        rel_unknowns: dict[int, list[Key]] = {}
        for i, r in enumerate(self.m.relations):
            if i in self.dropped:
                continue
            unk = [k for k in r.coefs if self._unknown(k)]
            if not unk:
                continue
            rel_unknowns[i] = unk
            for k in unk:
                parent.setdefault(k, k)
            for k in unk[1:]:
                a, b = find(unk[0]), find(k)
                if a != b:
                    parent[b] = a
        groups: dict[Key, tuple[list, list]] = {}
        for k in parent:
            groups.setdefault(find(k), ([], []))[0].append(k)
        for i, unk in rel_unknowns.items():
            groups[find(unk[0])][1].append(i)
        return [(sorted(g[0], key=repr), g[1]) for g in groups.values()]

    def _system(self, unknowns: list[Key], rels: list[int]):
        index = {k: j for j, k in enumerate(unknowns)}
        A = np.zeros((len(rels), len(unknowns)))
        b = np.zeros(len(rels))
        for row, i in enumerate(rels):
            for k, c in self.m.relations[i].coefs.items():
                if k in index:
                    A[row, index[k]] += c
                else:
                    b[row] -= c * self.m.cells[k]
        return index, A, b

    @staticmethod
    def _range(c: np.ndarray, A: np.ndarray, b: np.ndarray) -> tuple[float, float]:
        bounds = [(0, None)] * A.shape[1]
        lo = linprog(c, A_eq=A, b_eq=b, bounds=bounds, method="highs")
        hi = linprog(-c, A_eq=A, b_eq=b, bounds=bounds, method="highs")
        low = lo.fun if lo.status == 0 else -np.inf
        high = -hi.fun if hi.status == 0 else np.inf
        return low, high

    def _disclosed(self, low: float, high: float) -> bool:
        return low >= 1 - EPS and high <= self.t - 1 + EPS

    def _targets(self, unknowns: list[Key], rels: list[int]) -> list[tuple[str, dict[Key, float]]]:
        """What may not be derivable: each unknown small count, and each group of unknown parts of a total whose
        true sum is small."""
        out = [(repr(k), {k: 1.0}) for k in unknowns if small(self.m.cells[k], self.t)]
        for i in rels:
            r = self.m.relations[i]
            if r.kind != "total":
                continue
            unk = {k: c for k, c in r.coefs.items() if self._unknown(k)}
            if len(unk) < 2 or len({np.sign(c) for c in unk.values()}) != 1:
                continue
            total = sum(self.m.cells[k] for k in unk)
            if small(total, self.t):
                out.append((f"sum of {len(unk)} hidden parts", {k: 1.0 for k in unk}))
        return out

    def _first_disclosure(self):
        for unknowns, rels in self._components():
            targets = self._targets(unknowns, rels)
            if not targets:
                continue
            index, A, b = self._system(unknowns, rels)
            for label, weights in targets:
                c = np.zeros(len(unknowns))
                for k, w in weights.items():
                    c[index[k]] = w
                if self._disclosed(*self._range(c, A, b)):
                    return label, weights, unknowns, rels
        return None

    def _safe_now(self, weights: dict[Key, float]) -> bool:
        for unknowns, rels in self._components():
            if not set(weights) <= set(unknowns):
                continue
            index, A, b = self._system(unknowns, rels)
            c = np.zeros(len(unknowns))
            for k, w in weights.items():
                c[index[k]] = w
            return not self._disclosed(*self._range(c, A, b))
        return True

    def _candidates(self, weights: dict[Key, float]) -> list[tuple]:
        """Printed counts and shares linked to the disclosed cells, smallest first (least information lost), then
        nearest."""
        dist: dict[Key, int] = {k: 0 for k in weights}
        frontier = list(weights)
        rel_of: dict[Key, list[int]] = defaultdict(list)
        for i, r in enumerate(self.m.relations):
            if i not in self.dropped:
                for k in r.coefs:
                    rel_of[k].append(i)
        out: dict = {}
        d = 0
        seen_rel: set[int] = set()
        while frontier:
            d += 1
            nxt = []
            for k in frontier:
                for i in rel_of[k]:
                    if i in seen_rel:
                        continue
                    seen_rel.add(i)
                    r = self.m.relations[i]
                    if r.kind == "share" and r.place is not None:
                        num = self.m.cells.get(next(iter(r.coefs)), 0.0)
                        out.setdefault(("share", i), (num, d, str(r.place)))
                    for k2 in r.coefs:
                        if k2 in dist:
                            continue
                        dist[k2] = d
                        nxt.append(k2)
                        if self.known(k2) and k2 not in self.m.fixed and self.m.cells[k2] > 0:
                            out[("cell", k2)] = (self.m.cells[k2], d, repr(k2))
            frontier = nxt
        return sorted(out, key=lambda c: out[c])

    def secondary(self) -> None:
        for _ in range(100_000):
            found = self._first_disclosure()
            if found is None:
                return
            label, weights, _, _ = found
            candidates = self._candidates(weights)
            if not candidates:
                self.log.append(f"disclosure of {label} cannot be prevented: every linked number is fixed")
                return
            best = None
            for order, cand in enumerate(candidates[:40]):  # the cheapest candidate that protects on its own
                saved = (set(self.hidden), set(self.dropped), dict(self.blank))
                self._apply_candidate(cand, label)
                cost = len(self.blank) - len(saved[2])
                rank = (not self._safe_now(weights), cost, order)
                self.hidden, self.dropped, self.blank = saved
                if best is None or rank < best[0]:
                    best = (rank, cand)
                if rank[:2] == (False, 1):
                    break
            self._apply_candidate(best[1], label)

    def _apply_candidate(self, cand, label: str) -> None:
        why = f"secondary suppression (would reveal {label} by subtraction)"
        if cand[0] == "cell":
            self.hide(cand[1], why)
        else:
            self.drop(cand[1], why)

    def dependents(self) -> None:
        changed = True
        while changed:
            changed = False
            for places, on in self.m.dependents:
                hit = any((isinstance(x, Place) and x in self.blank) or (not isinstance(x, Place) and x in self.hidden)
                          for x in on)
                if hit:
                    for p in places:
                        if p not in self.blank:
                            self.blank[p] = "computed from a hidden number"
                            changed = True

    def run(self) -> Outcome:
        self.primary()
        self.series()
        for i, r in enumerate(self.m.relations):
            if r.kind == "share" and i not in self.dropped and any(k in self.hidden for k in r.coefs):
                self.drop(i, "share of a hidden count")
        self.secondary()
        self.dependents()
        log = self.log + [f"{p}: {why}" for p, why in sorted(self.blank.items(), key=lambda x: (x[0].table, x[0].row,
                                                                                            x[0].column))]
        return Outcome(set(self.hidden), dict(self.blank), log)


def protect(tables: dict[str, pd.DataFrame], model: Model, threshold: int = DISCLOSURE_THRESHOLD
            ) -> tuple[dict[str, pd.DataFrame], Outcome]:
    """Copies of the tables with every number the gate hides set to missing, and what was hidden and why."""
    out = Gate(model, threshold).run()
    protected = {name: frame.copy() for name, frame in tables.items()}
    by_table: dict[str, list[Place]] = defaultdict(list)
    for p in out.blank:
        by_table[p.table].append(p)
    for name, places in by_table.items():
        frame = protected.get(name)
        if frame is None:
            continue
        for p in places:
            col = frame[p.column]
            if col.dtype != object and not pd.api.types.is_float_dtype(col.dtype):
                frame[p.column] = col.astype("Float64") if pd.api.types.is_numeric_dtype(col.dtype) else col.astype(object)
            frame.iat[p.row, frame.columns.get_loc(p.column)] = None
    return protected, out

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
   printed counts and shares linked to it, one whose hiding protects it on its own, preferring the cheapest (the
   model's costs: what withholding loses; a share costs what its counts cost), then inner cells to totals, then
   the fewest numbers hidden with it, then the smallest; a dearer number is only tried when no cheaper one changes
   what a reader knows. A count printed in several places (declared equal: a = b) is one number: it is withheld
   everywhere at once, else the copy left standing gives it back. It repeats until nothing is disclosed. This is
   the linear attack model of statistical offices' audits (tau-ARGUS); a count hidden only by a relation that
   needs integer reasoning to solve is not searched for.
5. Dependents: numbers computed from hidden ones (differences, intervals, SMDs, achievements) are hidden.

scipy's HiGHS solves the linear programs; each is a connected component of unknown counts (a table's cells
linked by relations), so they stay small.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog

from virkning.defaults import DISCLOSURE_THRESHOLD
from virkning.disclosure.model import Key, Model, Place

EPS = 1e-6


def small(n, threshold: int) -> bool:
    """A count that may not be shown: 1 .. threshold-1 (None, NaN and 0 are fine; a change counts by its size)."""
    if n is None:
        return False
    n = abs(float(n))
    return n == n and 0 < round(n) < threshold


@dataclass
class Outcome:
    hidden: set        # counts hidden by the gate
    blank: dict        # Place -> reason
    log: list[str]
    known: dict | None = None  # unknown counts -> (lowest, highest) a reader can derive (see Gate.ranges)


class _Inconsistent(Exception):
    """A linear program over the declared relations has no solution: a bug in an analysis's declaration."""


class _Part:
    """A connected component of unknown counts (sorted by repr) and its active relations (sorted), with the linear
    system over them, built once per component."""

    __slots__ = ("unknowns", "rels", "system")

    def __init__(self, unknowns: list, rels: list[int]):
        self.unknowns, self.rels = unknowns, rels
        self.system: tuple | None = None


class _Range:
    """What a reader can derive of a weighted sum of counts: its lowest and highest value (None: not solved yet),
    the relations the bounds rest on, and the solutions found (readings of every unknown of the component)."""

    __slots__ = ("low", "high", "rows", "points", "used", "safe", "index", "rels", "system", "c")

    def __init__(self) -> None:
        self.low: float = -np.inf
        self.high: float | None = None
        self.rows: list[int] = []
        self.points: list[np.ndarray] = []
        self.used = 0  # solutions already used to clear other targets
        self.safe = False  # the minimum alone showed the count is not disclosed (see secondary)
        self.index: dict = {}
        self.rels: list[int] = []
        self.system: tuple = ()
        self.c = np.zeros(0)


class _Worked:
    """What the gate worked out for one state of hidden counts and dropped relations: the component of each unknown
    count and the ranges found. A new one is started whenever that state changes; trying a candidate keeps the old
    one to come back to."""

    __slots__ = ("parts", "ranges")

    def __init__(self) -> None:
        self.parts: dict[Key, _Part] = {}
        self.ranges: dict[frozenset, _Range] = {}  # weights -> what a reader can derive of them


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
        self._inconsistent_logged = False
        self._place_key = {p: k for k, ps in model.places.items() for p in ps}
        self._classes: dict[Key, list[Key]] = {}  # counts declared equal (see secondary)
        self._rel_of: dict[Key, list[int]] = defaultdict(list)  # the relations each count is in, in order
        for i, r in enumerate(model.relations):
            for k in r.coefs:
                self._rel_of[k].append(i)
        # printed and not withheld by an earlier output: known unless hidden (see known)
        self._printed = {k for k in model.places if k not in model.fixed_hidden}
        self._repr: dict[Key, str] = {}
        self._worked = _Worked()

    # ---- state ---------------------------------------------------------------------------------------------------
    def known(self, key: Key) -> bool:
        if key in self.m.fixed:
            return True
        return key in self.m.places and key not in self.hidden and key not in self.m.fixed_hidden

    def hide(self, key: Key, why: str) -> None:
        if key in self.hidden or key in self.m.fixed:
            return
        self.hidden.add(key)
        self._worked = _Worked()
        for p in self.m.places.get(key, []):
            self.blank.setdefault(p, why)
        for i in self._rel_of.get(key, ()):  # a share of a hidden count is hidden
            if self.m.relations[i].kind == "share" and i not in self.dropped:
                self.drop(i, "share of a hidden count")

    def drop(self, i: int, why: str) -> None:
        self.dropped.add(i)
        self._worked = _Worked()
        for place in self.m.relations[i].places:
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
                            self._worked = _Worked()
                    continue
                acc.clear()

    def _unknown(self, key: Key) -> bool:
        return not self.known(key)

    def _system(self, part: _Part):
        """The relations as A x = b over the unknown counts (sparse: a programme's history of monthly reports gives
        thousands of unknowns, each in a few relations), and the bounds of the unknowns; built once per component."""
        if part.system is not None:
            return part.system
        unknowns, rels = part.unknowns, part.rels
        index = {k: j for j, k in enumerate(unknowns)}
        rows, cols, vals = [], [], []
        b = np.zeros(len(rels))
        for row, i in enumerate(rels):
            for k, c in self.m.relations[i].coefs.items():
                if k in index:
                    rows.append(row)
                    cols.append(index[k])
                    vals.append(c)
                else:
                    b[row] -= c * self.m.cells[k]
        A = sparse.csr_matrix((vals, (rows, cols)), shape=(len(rels), len(unknowns)))
        bounds = [self.m.bounds.get(k, (None, None) if k in self.m.signed else (0, None)) for k in unknowns]
        part.system = (index, A, b, bounds)
        return part.system

    def _disclosed(self, low: float, high: float) -> bool:
        """The reader can narrow the count to 1 .. threshold-1 persons (or, for a change, to a small gain or loss)."""
        return (low >= 1 - EPS and high <= self.t - 1 + EPS) or (high <= -1 + EPS and low >= -(self.t - 1) - EPS)

    def _walk(self, start: Key) -> _Part:
        """The unknown counts linked to the unknown count `start` by active relations, and those relations (a
        breadth-first walk: a derivation can only use the relations of the component its count is in). Every
        count of the component gets it, so the walk is done once per component while nothing changes."""
        fixed, printed, hidden, dropped = self.m.fixed, self._printed, self.hidden, self.dropped
        relations, rel_of = self.m.relations, self._rel_of
        seen = {start}
        queue = [start]
        rels: set[int] = set()
        while queue:
            k = queue.pop()
            for i in rel_of.get(k, ()):
                if i in rels or i in dropped:
                    continue
                rels.add(i)
                for k2 in relations[i].coefs:  # unknown: not known (see known)
                    if k2 not in seen and k2 not in fixed and (k2 not in printed or k2 in hidden):
                        seen.add(k2)
                        queue.append(k2)
        part = _Part(self._by_repr(seen), sorted(rels))
        for k in seen:
            self._worked.parts[k] = part
        return part

    def _by_repr(self, keys) -> list[Key]:
        names = self._repr
        for k in keys:
            if k not in names:
                names[k] = repr(k)
        return sorted(keys, key=names.__getitem__)

    def _component(self, start) -> _Part:
        """The component of the unknown counts in `start` (their union when they are in several)."""
        parts: list[_Part] = []
        for k in start:
            if self._unknown(k):
                part = self._worked.parts.get(k) or self._walk(k)
                if all(part is not p for p in parts):
                    parts.append(part)
        if len(parts) == 1:
            return parts[0]
        return _Part(self._by_repr({k for p in parts for k in p.unknowns}), sorted({i for p in parts for i in p.rels}))

    def _group_targets(self, rels) -> dict[str, dict[Key, float]]:
        """Unknown parts of one total whose sum is small: their sum may not be derivable either."""
        out = {}
        for i in rels:
            r = self.m.relations[i]
            if r.kind not in ("total", "earlier total") or i in self.dropped:
                continue
            # the parts (coefficient -1; the total has +1), whether or not the total is printed: a latent total
            # may still be derivable from elsewhere, and the linear programs decide
            unk = {k: c for k, c in r.coefs.items() if c < 0 and self._unknown(k)}
            if len(unk) < 2:
                continue
            if small(sum(self.m.cells[k] for k in unk), self.t):
                out[f"sum of {len(unk)} hidden parts ({', '.join(sorted(map(repr, unk)))})"] = dict.fromkeys(unk, 1.0)
        return out

    def _lowest(self, r: _Range) -> None:
        """The first half of a range: the minimum (raises _Inconsistent when the relations have no solution)."""
        A, b, bounds = r.system
        lo = linprog(r.c, A_eq=A, b_eq=b, bounds=bounds, method="highs")
        if lo.status == 2:  # the declared relations contradict the counts: assume the worst, never "safe"
            raise _Inconsistent()
        r.low = lo.fun if lo.status == 0 else -np.inf
        self._took(r, lo)

    def _highest(self, r: _Range) -> None:
        A, b, bounds = r.system
        hi = linprog(-r.c, A_eq=A, b_eq=b, bounds=bounds, method="highs")
        r.high = -hi.fun if hi.status == 0 else np.inf
        self._took(r, hi)

    @staticmethod
    def _took(r: _Range, res) -> None:
        """Keep a linear program's solution (a reading of every unknown) and the rows its bound rests on (non-zero
        duals): the equations a derivation uses."""
        if res.status == 0:
            r.points.append(res.x)
            if res.eqlin is not None:
                r.rows.extend(r.rels[i] for i in np.flatnonzero(np.abs(res.eqlin.marginals) > 1e-9).tolist())

    def _range_of(self, weights: dict[Key, float], half: bool = False) -> _Range:
        """min and max of the weighted counts over what a reader knows (counts are non-negative), by linear
        programming over their component; `half`: the minimum only, for now. Worked out once per state of what is
        hidden: the same linear programs give the same answer."""
        worked = self._worked
        memo = frozenset(weights.items())
        r = worked.ranges.get(memo)
        if r is None:
            r = worked.ranges[memo] = _Range()
            part = self._component(weights)
            if not set(weights) <= set(part.unknowns) or not part.rels:
                r.low, r.high = -np.inf, np.inf
                return r
            index, A, b, bounds = self._system(part)
            r.index, r.rels, r.system = index, part.rels, (A, b, bounds)
            r.c = np.zeros(len(part.unknowns))
            for k, w in weights.items():
                r.c[index[k]] = w
            try:
                self._lowest(r)
            except _Inconsistent:
                r.low = r.high = sum(w * self.m.cells[k] for k, w in weights.items())
                r.points = []
                if not self._inconsistent_logged:
                    self._inconsistent_logged = True
                    self.log.append("the relations declared for this output contradict its counts; counts in them "
                                    "are treated as derivable")
        if r.high is None and not half:
            self._highest(r)
        return r

    def _range_now(self, weights: dict[Key, float], support: set | None = None) -> tuple[float, float]:
        """What a reader can derive of this combination of counts now; `support` (a set) receives the relations the
        derivation uses."""
        r = self._range_of(weights)
        if support is not None:
            support.update(r.rows)
        assert r.high is not None  # the whole range
        return r.low, r.high

    def _sweep(self) -> None:
        """Clear at once the targets a few solutions of the relations show to be safe: a count is safe when one
        reading of the published numbers gives it 0 or at least the threshold, and hiding more only adds readings.
        Per component: all unknowns low, all high, and random directions. The components are independent, so the
        first two directions are solved for all of them in one linear program (its solution is one of each
        component's); one component per program when that one has no solution."""
        by_component: dict[tuple, list[str]] = defaultdict(list)
        comps: dict[tuple, _Part] = {}
        for label, weights in self._pending.items():
            part = self._component(weights)
            if not part.rels or not set(weights) <= set(part.unknowns):
                by_component[("none",)].append(label)
                continue
            key = tuple(part.rels)
            comps[key] = part
            by_component[key].append(label)
        for label in by_component.pop(("none",), []):
            del self._pending[label]
        rng = np.random.default_rng(0)
        todo = []  # (system, labels, random directions, still solvable)
        for rel_key, labels in by_component.items():
            system = self._system(comps[rel_key])
            n = len(system[0])
            todo.append((system, labels, [rng.choice([-1.0, 1.0], n) for _ in range(2)], [True]))
        for sign in (1.0, -1.0):
            live = [job for job in todo if job[1] and job[3][0]]
            if not live:
                break
            res = linprog(np.full(sum(len(job[0][0]) for job in live), sign),
                          A_eq=sparse.block_diag([job[0][1] for job in live], format="csr"),
                          b_eq=np.concatenate([job[0][2] for job in live]),
                          bounds=[bound for job in live for bound in job[0][3]], method="highs")
            start = 0
            for system, labels, _, solvable in live:
                n = len(system[0])
                x = res.x[start:start + n] if res.status == 0 else self._sweep_solve(np.full(n, sign), system)
                start += n
                if x is None:
                    solvable[0] = False
                else:
                    self._sweep_clear(labels, system[0], x)
        for system, labels, directions, solvable in todo:
            for d in directions:
                if not labels or not solvable[0]:
                    break
                x = self._sweep_solve(d, system)
                if x is None:
                    break
                self._sweep_clear(labels, system[0], x)

    @staticmethod
    def _sweep_solve(d: np.ndarray, system: tuple) -> np.ndarray | None:
        index, A, b, bounds = system
        res = linprog(d, A_eq=A, b_eq=b, bounds=bounds, method="highs")
        return res.x if res.status == 0 else None

    def _sweep_clear(self, labels: list[str], index: dict, x: np.ndarray) -> None:
        for label in list(labels):
            w = self._pending[label]
            v = sum(c * x[index[k]] for k, c in w.items())
            if not (1 - EPS <= abs(v) <= self.t - 1 + EPS):
                del self._pending[label]
                labels.remove(label)

    def _first_disclosure(self):
        """The first target a reader can narrow to a small count. Hiding more only widens what a reader can derive,
        so a target found safe stays safe and is not checked again."""
        for label in list(self._pending):
            weights = self._pending.get(label)
            if weights is None:
                continue  # cleared by the solutions of an earlier target's linear programs
            r = self._range_of(weights, half=True)
            if r.safe or (r.high is None and self._not_small(r.low)):
                disclosed = False  # the minimum alone shows it
            else:
                disclosed = self._disclosed(*self._range_now(weights))
            if not disclosed:
                del self._pending[label]
            self._clear_by_solutions(label, weights)
            if disclosed:
                return label, weights
        return None

    def _clear_by_solutions(self, label: str, weights: dict[Key, float]) -> None:
        """Clear the other targets of the component that a solution of this target's linear programs gives 0 or at
        least the threshold (as the sweep does: one reading that is not small makes a target safe)."""
        r = self._worked.ranges[frozenset(weights.items())]
        index, points = r.index, r.points[r.used:]
        r.used = len(r.points)  # each solution is used once
        if not points:
            return
        for other, w in list(self._pending.items()):
            if other == label or not all(k in index for k in w):
                continue
            for x in points:
                v = sum(c * x[index[k]] for k, c in w.items())
                if not (1 - EPS <= abs(v) <= self.t - 1 + EPS):
                    del self._pending[other]
                    break

    def _not_small(self, low: float) -> bool:
        """Whether a count whose lowest value is `low` cannot be narrowed to a small number, whatever its highest
        (which is not below `low`): its minimum is below 1 and above -1, or outside -(threshold-1) .. threshold-1.
        A margin of a few EPS keeps this from resting on the solver's last digits."""
        return (low < -(self.t - 1) - EPS or -1 + 3 * EPS < low < 1 - EPS) or low > self.t - 1 + 3 * EPS

    def _lowest_not_small(self, weights: dict[Key, float], low_before: float) -> bool:
        """With a candidate hidden: whether the minimum alone shows a count that was narrowed to low_before .. a
        small number (low_before >= 1) is protected. The maximum cannot fall below the one before, so a minimum
        below 1 (and clearly below low_before) means the range is not small and wider than before: what the full
        range would say, without its second linear program."""
        r = self._range_of(weights, half=True)
        if r.high is None and r.low < min(1 - EPS, low_before - 3 * EPS):
            r.safe = True
        return r.safe

    def _candidates(self, weights: dict[Key, float]) -> list[tuple]:
        """The printed counts and shares in the relations the derivation of the disclosed cells uses (the linear
        programs' binding equations), else in any relation of their component; smallest first."""
        support: set[int] = set()
        self._range_now(weights, support)
        rels = sorted(support) or self._component(weights).rels
        out: dict = {}
        for i in rels:
            r = self.m.relations[i]
            if r.kind == "share" and r.places:
                out[("share", i)] = (self.m.cells.get(next(iter(r.coefs)), 0.0), str(r.places[0]))
            for k in r.coefs:
                if self.known(k) and k not in self.m.fixed and self.m.cells[k] != 0:
                    out[("cell", k)] = (abs(self.m.cells[k]), repr(k))
        seen, unique = set(), []
        for c in sorted(out, key=lambda c: out[c]):  # one candidate per number, however often it is printed
            same = ("cell", self._same(c[1])[0]) if c[0] == "cell" else c
            if same not in seen:
                seen.add(same)
                unique.append(c)
        return unique

    def _equal_classes(self) -> dict[Key, list[Key]]:
        """Counts declared equal (a relation a - b = 0) grouped: the same number printed in several places."""
        parent: dict[Key, Key] = {}

        def root(k):
            while parent.get(k, k) != k:
                k = parent[k]
            return k
        for r in self.m.relations:
            if r.kind == "total" and len(r.coefs) == 2 and sorted(r.coefs.values()) == [-1.0, 1.0]:
                a, b = (root(k) for k in r.coefs)
                if a != b:
                    parent[b] = a
        groups: dict[Key, list[Key]] = defaultdict(list)
        for k in parent:
            groups[root(k)].append(k)
        out = {}
        for members in groups.values():
            members = sorted(set(members), key=repr)
            for k in members:
                out[k] = members
        return out

    def _same(self, key: Key) -> list[Key]:
        return self._classes.get(key, [key])

    def _weight(self, cand) -> float:
        """What withholding a candidate loses: the dearest count it hides (a share: the counts it is a share of)."""
        keys = self._same(cand[1]) if cand[0] == "cell" else list(self.m.relations[cand[1]].coefs)
        return max(self.m.costs.get(k, 1.0) for k in keys)

    def secondary(self) -> None:
        self._classes = self._equal_classes()
        self._pending = {repr(k): {k: 1.0} for k in sorted(self.m.cells, key=repr)
                         if self._unknown(k) and small(self.m.cells[k], self.t)}
        self._pending.update(self._group_targets(range(len(self.m.relations))))
        self._sweep()
        for _ in range(100_000):
            found = self._first_disclosure()
            if found is None:
                return
            label, weights = found
            candidates = self._candidates(weights)
            if not candidates:
                self.log.append(f"disclosure of {label} cannot be prevented: every linked number is fixed")
                del self._pending[label]
                continue
            before = self._range_now(weights)
            # cheap first: what each candidate would hide with it (no linear program), then test in that order
            costed = []
            for order, cand in enumerate(candidates[:60]):
                saved = self._save()
                self._apply_candidate(cand, label)
                cost = len(self.blank) - len(saved[2])
                self._restore(saved)
                # a total is the last thing to hide among numbers of the same cost
                margin = cand[0] == "cell" and any(k in self.m.totals for k in self._same(cand[1]))
                costed.append(((self._weight(cand), margin, cost, order), cand))
            costed.sort(key=lambda x: x[0])
            best: tuple[Any, tuple] | None = None  # (rank: a tuple compared as a whole, candidate)
            worked = {}  # what was worked out with each candidate hidden: the state the gate moves to with it
            for tried, (key, cand) in enumerate(costed):
                if best is not None and (tried >= 15 or key[0] > best[0][1]):
                    break  # a dearer number only when no cheaper one changes what a reader knows
                saved = self._save()
                self._apply_candidate(cand, label)
                if before[0] >= 1 - EPS and self._lowest_not_small(weights, before[0]):
                    worked[cand] = self._worked
                    self._restore(saved)
                    best = ((0, *key), cand)  # protects on its own, as its full range would show
                    break
                lo, hi = self._range_now(weights)
                worked[cand] = self._worked
                self._restore(saved)
                widened = (hi - lo) - (before[1] - before[0])
                if widened <= EPS:
                    continue  # changes nothing a reader knows
                if not self._disclosed(lo, hi):  # protects on its own: the cheapest such
                    best = ((0, *key), cand)
                    break
                rank = (1, key[0], -min(widened, 1e9), *key[1:])  # else widens what the reader knows most
                if best is None or rank < best[0]:
                    best = (rank, cand)
            if best is None:
                best = (None, costed[0][1])
            self._apply_candidate(best[1], label)
            self._worked = worked.get(best[1], self._worked)
            # hiding a count can leave parts of a total whose sum is small unknown together
            same = self._same(best[1][1]) if best[1][0] == "cell" else ()
            touched = [i for k in same for i in self._rel_of.get(k, ())]
            for name, w in self._group_targets(touched).items():
                self._pending.setdefault(name, w)

    def _save(self) -> tuple:
        return set(self.hidden), set(self.dropped), dict(self.blank), self._worked

    def _restore(self, saved: tuple) -> None:
        self.hidden, self.dropped, self.blank, self._worked = saved

    def _apply_candidate(self, cand, label: str) -> None:
        why = f"secondary suppression (would reveal {label} by subtraction)"
        if cand[0] == "cell":
            for k in self._same(cand[1]):  # every printing of the same number
                if self.known(k):
                    self.hide(k, why)
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

    def ranges(self, keys) -> dict[Key, tuple[float, float]]:
        """What a reader can derive of these counts from everything published: (lowest, highest) value. A count
        that is printed has its own value as both."""
        out: dict[Key, tuple[float, float]] = {}
        for k in keys:
            if self.known(k):
                out[k] = (self.m.cells[k], self.m.cells[k])
                continue
            low, high = self._range_now({k: 1.0})
            default = self.m.bounds.get(k, (-np.inf if k in self.m.signed else 0.0, np.inf))
            out[k] = (max(low, default[0]), min(high, default[1]))
        return out

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
    return apply(tables, Gate(model, threshold))


def apply(tables: dict[str, pd.DataFrame], gate: Gate) -> tuple[dict[str, pd.DataFrame], Outcome]:
    """Run the gate and blank what it hides in copies of the tables (the gate keeps its state for `ranges`)."""
    out = gate.run()
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
            # get_loc of a unique column label is an int (the stubs also allow slice/mask for duplicate labels)
            frame.iat[p.row, cast(int, frame.columns.get_loc(p.column))] = None
    return protected, out

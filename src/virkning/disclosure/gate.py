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
linked by relations), so they stay small. reader.py holds them: what a reader can derive, worked out once per
state of what is hidden, with exact shortcuts that save linear programs, never change an answer.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from virkning.defaults import DISCLOSURE_THRESHOLD
from virkning.disclosure.model import Key, Model, Place
from virkning.disclosure.reader import EPS, Reader, _Worked


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


class Gate(Reader):
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
        rows_of: dict[str, list[int]] = defaultdict(list)
        for p in places:
            rows_of[p.column].append(p.row)
        # one assignment per column: cell by cell, pandas' setitem overhead cost a second on the demo's monitoring
        for column, rows in rows_of.items():
            col = frame[column]
            if col.dtype != object and not pd.api.types.is_float_dtype(col.dtype):
                frame[column] = col.astype("Float64") if pd.api.types.is_numeric_dtype(col.dtype) else col.astype(object)
            # get_loc of a unique column label is an int (the stubs also allow slice/mask for duplicate labels)
            frame.iloc[rows, cast(int, frame.columns.get_loc(column))] = None
    return protected, out

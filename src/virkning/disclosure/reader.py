"""What a reader can derive from what a gate publishes: the linear programs of secondary suppression (gate.py).

What a reader knows is a system of linear equations over the unknown counts (the declared relations, with the
printed counts as constants). A count's derivable range is the minimum and maximum of the linear programs over its
connected component (the unknown counts linked to it by relations not dropped): a derivation can only use the
relations of its component. The gate's state (what is hidden, which shares are dropped) changes one number at a
time, and for each state the components are walked once and each range is solved once (`_Worked`); trying a
candidate starts a new state and keeps the old one to come back to.

A few exact shortcuts save linear programs without changing an answer: one solution (a reading of every unknown)
that gives a target 0 or at least the threshold shows it safe (hiding more only adds readings); a minimum below 1
(and above -1) shows a count is not small whatever its maximum; independent components are solved in one program
when only a solution of each is needed (the sweep).
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse
from virkning.disclosure.lp import Program, Solution
from virkning.disclosure.model import Key

if TYPE_CHECKING:
    from virkning.disclosure.model import Model

EPS = 1e-6


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

    __slots__ = ("low", "high", "rows", "points", "used", "safe", "index", "rels", "program", "c")

    def __init__(self) -> None:
        self.low: float = -np.inf
        self.high: float | None = None
        self.rows: list[int] = []
        self.points: list[np.ndarray] = []
        self.used = 0  # solutions already used to clear other targets
        self.safe = False  # the minimum alone showed the count is not disclosed (see _lowest_not_small)
        self.index: dict = {}
        self.rels: list[int] = []
        self.program: Program | None = None
        self.c = np.zeros(0)


class _Worked:
    """What the gate worked out for one state of hidden counts and dropped relations: the component of each unknown
    count and the ranges found. A new one is started whenever that state changes; trying a candidate keeps the old
    one to come back to."""

    __slots__ = ("parts", "ranges")

    def __init__(self) -> None:
        self.parts: dict[Key, _Part] = {}
        self.ranges: dict[frozenset, _Range] = {}  # weights -> what a reader can derive of them


class Reader:
    """The derivations of a reader, for the gate (class Gate inherits them): components, ranges, the sweep."""

    m: Model
    t: int
    hidden: set
    dropped: set
    log: list[str]
    _rel_of: dict
    _printed: set
    _repr: dict
    _worked: _Worked
    _pending: dict[str, dict]
    _inconsistent_logged: bool

    def _unknown(self, key: Key) -> bool:
        """Not known (Gate.known): neither printed by an earlier output nor printed here and still shown."""
        return key not in self.m.fixed and (key not in self._printed or key in self.hidden)

    def _system(self, part: _Part):
        """The relations as A x = b over the unknown counts (sparse: a programme's history of monthly reports gives
        thousands of unknowns, each in a few relations) with the bounds of the unknowns, as a linear program's
        constraints, and the index of each unknown; built once per component."""
        if part.system is not None:
            return part.system
        unknowns, rels = part.unknowns, part.rels
        index = {k: j for j, k in enumerate(unknowns)}
        relations, cells = self.m.relations, self.m.cells
        starts, cols, vals = [0], [], []
        b = np.zeros(len(rels))
        for row, i in enumerate(rels):
            rhs = 0.0  # summed in a float, in the same order: the same double as summing into b[row]
            for k, c in relations[i].coefs.items():
                j = index.get(k)
                if j is not None:
                    cols.append(j)
                    vals.append(c)
                else:
                    rhs -= c * cells[k]
            b[row] = rhs
            starts.append(len(cols))
        # each relation's counts once (a dict), so the rows as built are a valid CSR matrix
        A = sparse.csr_matrix((np.array(vals, dtype=np.float64), cols, starts), shape=(len(rels), len(unknowns)))
        bounds = [self.m.bounds.get(k, (None, None) if k in self.m.signed else (0, None)) for k in unknowns]
        part.system = (index, Program(A, b, bounds))
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

    def _lowest(self, r: _Range) -> None:
        """The first half of a range: the minimum (raises _Inconsistent when the relations have no solution)."""
        assert r.program is not None
        lo = r.program.solve(r.c)
        if lo.status == 2:  # the declared relations contradict the counts: assume the worst, never "safe"
            raise _Inconsistent()
        r.low = lo.fun if lo.fun is not None else -np.inf  # None: not optimal
        self._took(r, lo)

    def _highest(self, r: _Range) -> None:
        assert r.program is not None
        hi = r.program.solve(-r.c)
        r.high = -hi.fun if hi.fun is not None else np.inf
        self._took(r, hi)

    @staticmethod
    def _took(r: _Range, res: Solution) -> None:
        """Keep a linear program's solution (a reading of every unknown) and the rows its bound rests on (non-zero
        duals): the equations a derivation uses."""
        if res.status == 0:
            assert res.x is not None and res.duals is not None
            r.points.append(res.x)
            r.rows.extend(r.rels[i] for i in np.flatnonzero(np.abs(res.duals) > 1e-9).tolist())

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
            index, program = self._system(part)
            r.index, r.rels, r.program = index, part.rels, program
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
            together = Program(sparse.block_diag([job[0][1].A for job in live], format="csr"),
                               np.concatenate([job[0][1].b for job in live]),
                               [bound for job in live for bound in job[0][1].bounds])
            res = together.solve(np.full(together.A.shape[1], sign))
            start = 0
            for system, labels, _, solvable in live:
                n = len(system[0])
                x = res.x[start:start + n] if res.x is not None else self._sweep_solve(np.full(n, sign), system)
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
        res = system[1].solve(d)
        return res.x if res.status == 0 else None

    def _sweep_clear(self, labels: list[str], index: dict, x: np.ndarray) -> None:
        for label in list(labels):
            w = self._pending[label]
            v = sum(c * x[index[k]] for k, c in w.items())
            if not (1 - EPS <= abs(v) <= self.t - 1 + EPS):
                del self._pending[label]
                labels.remove(label)

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

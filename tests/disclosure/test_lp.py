"""The gate's linear programs (disclosure/lp.py) give exactly the answers of SciPy's linprog(method="highs")."""

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from scipy.optimize import linprog

from virkning.disclosure import Model, Place, protect
from virkning.disclosure import lp


def _linprog(c, program):
    res = linprog(c, A_eq=program.A, b_eq=program.b, bounds=program.bounds, method="highs")
    return res.status, res.fun, res.x, (res.eqlin.marginals if res.status == 0 else None)


def _same(got: lp.Solution, want) -> None:
    status, fun, x, duals = want
    assert got.status == status
    if status == 0:
        assert got.fun == fun  # the same solver on the same input: the same bits, not merely close
        assert np.array_equal(got.x, x) and np.array_equal(got.duals, duals)
    else:
        assert got.x is None and got.fun is None


def _programs(seed: int, count: int):
    rng = np.random.default_rng(seed)
    for i in range(count):
        m, n = int(rng.integers(1, 9)), int(rng.integers(2, 16))
        A = sparse.random(m, n, density=0.4, random_state=rng, format="csr",
                          data_rvs=lambda k: rng.choice([-1.0, 1.0, 2.0], k))
        kind = i % 4
        x0 = rng.integers(0, 20, n).astype(float)
        b = A @ x0
        if kind == 1:  # no solution: an equation asks a sum of non-negative counts to be negative
            b = b.copy()
            A = sparse.vstack([A, sparse.csr_matrix(np.ones((1, n)))], format="csr")
            b = np.append(b, -3.0)
        bounds = [(0, None)] * n
        if kind == 2:  # signed counts: may be unbounded
            bounds = [(None, None) if j % 3 == 0 else (0, None) for j in range(n)]
        if kind == 3:  # known ranges
            bounds = [(0, float(x0[j] + 5)) for j in range(n)]
        yield lp.Program(A, b, bounds), rng.choice([-1.0, 0.0, 1.0], n)


def test_random_programs_get_linprog_answers():
    statuses = set()
    for program, c in _programs(seed=7, count=240):
        want = _linprog(c, program)
        _same(program.solve(c), want)
        statuses.add(want[0])
    assert {0, 2, 3} <= statuses  # optimal, infeasible and unbounded programs were all compared


def test_without_scipys_binding_programs_are_solved_by_linprog(monkeypatch):
    monkeypatch.setattr(lp, "_h", None)
    for program, c in _programs(seed=8, count=40):
        _same(program.solve(c), _linprog(c, program))


def _table(seed: int):
    """A units x steps table with small cells and both margins printed: the gate's secondary suppression at work."""
    rng = np.random.default_rng(seed)
    units, steps = [f"u{i}" for i in range(9)], [1, 2, 3, 4]
    cells = {(u, s): int(rng.choice([0, 1, 2, 3, 4, 8, 15, 40])) for u in units for s in steps}
    m, rows = Model(), []
    for (u, s), v in cells.items():
        m.count(Place("t", len(rows), "n"), (u, s), v)
        rows.append({"unit": u, "step": s, "n": v})
    for u in units:
        rows.append({"unit": u, "step": "all", "n": sum(cells[(u, s)] for s in steps)})
        m.count(Place("t", len(rows) - 1, "n"), (u, "all"), rows[-1]["n"])
        m.total((u, "all"), [(u, s) for s in steps])
    for s in steps:
        rows.append({"unit": "all", "step": s, "n": sum(cells[(u, s)] for u in units)})
        m.count(Place("t", len(rows) - 1, "n"), ("all", s), rows[-1]["n"])
        m.total(("all", s), [(u, s) for u in units])
    return {"t": pd.DataFrame(rows)}, m


@pytest.mark.parametrize("seed", [1, 2])
def test_every_program_of_a_gate_run_gets_linprogs_answer(monkeypatch, seed):
    calls = []
    solve = lp.Program.solve

    def checked(self, c):
        got = solve(self, c)
        _same(got, _linprog(c, self))
        calls.append(got.status)
        return got

    monkeypatch.setattr(lp.Program, "solve", checked)
    tables, m = _table(seed)
    out, _ = protect(tables, m, 5)
    assert len(calls) >= 10 and out["t"]["n"].isna().sum() > 0
    monkeypatch.setattr(lp.Program, "solve", solve)
    monkeypatch.setattr(lp, "_h", None)  # the same gate through linprog: the same table
    again, _ = protect(*_table(seed), 5)
    pd.testing.assert_frame_equal(out["t"], again["t"])

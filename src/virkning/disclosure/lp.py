"""The disclosure gate's linear programs: min c'x subject to A x = b and lb <= x <= ub, solved by HiGHS.

The gate solves thousands of small programs (about 2,000 in the demo's monitoring). For programs this small,
SciPy's `linprog(method="highs")` spends more time per call than HiGHS does: it checks and converts its inputs,
stacks and converts the matrix, sets each option through a validating loop and copies the bounds' duals in a
Python loop. `Program` converts a system once and hands it to the HiGHS that SciPy ships, with the options
`linprog` gives it, and checks the solution as `linprog` does, so the answers are the ones `linprog` returns
(tests/disclosure/test_lp.py compares them). SciPy's binding to HiGHS is not public API: when a SciPy release lacks
it, `Program` calls `linprog`. No other package binds the same HiGHS build (the `highspy` wheels are other HiGHS
versions, which may return another optimal vertex, and the gate's choices use the vertices).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

try:  # the binding SciPy builds for its own HiGHS (recent releases)
    from scipy.optimize._highspy import _core as _h  # type: ignore[import-not-found]

    _OPTIMAL = _h.HighsModelStatus.kOptimal
    _STATUS = {_h.HighsModelStatus.kModelError: 2, _h.HighsModelStatus.kInfeasible: 2,
               _h.HighsModelStatus.kUnbounded: 3, _h.HighsModelStatus.kTimeLimit: 1,
               _h.HighsModelStatus.kIterationLimit: 1}
except (ImportError, AttributeError):  # pragma: no cover - older SciPy
    _h = None

# linprog's check of a returned solution: its tolerance, sqrt(tol) * 10 with tol 1e-9
_TOL = np.sqrt(1e-9) * 10


@dataclass(frozen=True)
class Solution:
    """`status` as linprog's (0 optimal, 1 limit, 2 infeasible, 3 unbounded, 4 numerical trouble); `x`, `fun` and
    `duals` (the equations' marginals) only when optimal."""

    status: int
    fun: float | None = None
    x: np.ndarray | None = None
    duals: np.ndarray | None = None


class Program:
    """A system A x = b, lb <= x <= ub (bounds as linprog's: (low, high), None for unbounded), converted once for
    solving with many objectives."""

    def __init__(self, A, b: np.ndarray, bounds: list[tuple]):
        self.A, self.b, self.bounds = A, np.asarray(b, dtype=np.float64), bounds
        n = A.shape[1]
        lb = np.array([-np.inf if lo is None else lo for lo, _ in bounds], dtype=np.float64).reshape(n)
        ub = np.array([np.inf if hi is None else hi for _, hi in bounds], dtype=np.float64).reshape(n)
        self.lb, self.ub = lb, ub
        if _h is not None:
            csc = sparse.csc_array(A)
            if not csc.has_sorted_indices:
                csc = csc.sorted_indices()  # a copy: A stays as given
            self._csc = (csc.indptr.astype(np.int32), csc.indices.astype(np.int32), csc.data.astype(np.float64))

    def solve(self, c: np.ndarray) -> Solution:
        if _h is None:
            return _by_linprog(c, self)
        return _by_highs(np.asarray(c, dtype=np.float64), self)


@functools.cache
def _options():
    """The options linprog(method="highs") passes to HiGHS (SciPy's defaults; None options are left unset); made
    once, HiGHS copies them into each solver."""
    opts = _h.HighsOptions()
    opts.presolve = "on"
    opts.highs_debug_level = int(_h.kHighsDebugLevelNone)
    opts.log_to_console = False
    opts.output_flag = False
    opts.simplex_strategy = int(_h.simplex_constants.SimplexStrategy.kSimplexStrategyDual)
    return opts


def _by_highs(c: np.ndarray, p: Program) -> Solution:
    m, n = p.A.shape
    lp = _h.HighsLp()
    lp.num_col_, lp.num_row_ = n, m
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n, m
    lp.a_matrix_.format_ = _h.MatrixFormat.kColwise
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = c, p.lb, p.ub
    lp.row_lower_ = lp.row_upper_ = p.b
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = p._csc
    highs = _h._Highs()
    if highs.passOptions(_options()) == _h.HighsStatus.kError:
        return Solution(4)
    if highs.passModel(lp) == _h.HighsStatus.kError:
        return Solution(2)  # linprog's status for a model HiGHS cannot load
    run = highs.run()
    status = highs.getModelStatus()
    if run == _h.HighsStatus.kError or status != _OPTIMAL:
        return Solution(_STATUS.get(status, 4))
    solution = highs.getSolution()
    x = np.array(solution.col_value)
    fun = highs.getInfo().objective_function_value
    residual = p.b - np.array(solution.row_value)
    if (np.isnan(x).any() or np.isnan(fun) or np.isnan(residual).any()
            or not np.all((x >= p.lb - _TOL) & (x <= p.ub + _TOL)) or (np.abs(residual) > _TOL).any()):
        return Solution(4)  # as linprog: "the solution does not satisfy the constraints"
    return Solution(0, fun, x, np.array(solution.row_dual))


def _by_linprog(c: np.ndarray, p: Program) -> Solution:
    res = linprog(c, A_eq=p.A, b_eq=p.b, bounds=p.bounds, method="highs")
    if res.status != 0:
        return Solution(res.status)
    return Solution(0, res.fun, res.x, res.eqlin.marginals)

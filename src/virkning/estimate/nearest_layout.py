"""Sorting for nearest-neighbour matching on a scalar distance (``nearest.nn_vector``).

Units are put in the order MatchIt's routine sees them: by exact cell, then distance, equal distances in data
order (R's ``order()`` is stable). From that order come the sorted controls and, for each treated unit, its
insertion point among them (controls before it are its left candidates, those after it its right ones).
"""

from __future__ import annotations

import numpy as np


def stable_argsort(values: np.ndarray) -> np.ndarray:
    """Indices that sort ``values`` with ties in index order (what R's order() gives), computed fast.

    A quicksort is much faster than a stable sort on floats; runs of equal values (identical scores are
    common when covariates are discrete) are then put back in index order.
    """
    return stable_argsort_values(values)[0]


def stable_argsort_values(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``stable_argsort`` and the sorted values, which it computes anyway."""
    perm = np.argsort(values, kind="quicksort")
    v = values[perm]
    eq = v[1:] == v[:-1]
    if eq.any():
        in_run = np.zeros(len(v), dtype=bool)
        in_run[1:] |= eq
        in_run[:-1] |= eq
        pos = np.flatnonzero(in_run)
        run_id = np.cumsum(np.concatenate(([True], ~eq)))[pos]  # run number of each tied element
        sub = perm[pos]
        perm[pos] = sub[np.lexsort((sub, run_id))]
        v = values[perm]  # equal values, but 0.0 and -0.0 are equal too: take them as they now lie
    return perm, v


def stable_argsort_codes(codes: np.ndarray) -> np.ndarray:
    """Stable argsort of small non-negative integer codes (radix sort when they fit in 16 bits)."""
    if len(codes) and codes.max() < (1 << 16):
        return np.argsort(codes.astype(np.uint16), kind="stable")
    return np.argsort(codes, kind="stable")


def sorted_layout(treat: np.ndarray, distance: np.ndarray, cells: np.ndarray, usable: np.ndarray | None = None,
                  perm: np.ndarray | None = None, cell_order: np.ndarray | None = None):
    """Controls sorted by (cell, distance, row); for each treated unit (in row order) its insertion point among
    them; the first and one-past-last position of each cell's controls.

    ``usable`` marks the controls that may be matched (the others, e.g. discarded units, are left out);
    ``perm``, if given, is an order of all units by (cell, distance) computed by the caller; ``cell_order``,
    if given, the stable order of ``cells`` (``stable_argsort_codes(cells)``; not changed here)."""
    n = len(treat)
    n_cells = int(cells.max()) + 1 if len(cells) else 0
    d_sorted = None
    bounds = None
    if perm is not None:
        pass
    elif n_cells <= 20_000:
        # group by cell (radix sort), then sort each cell's distances: small sorts stay in cache
        base = stable_argsort_codes(cells) if cell_order is None else cell_order
        perm = base if cell_order is None else np.empty_like(base)  # the caller's order is read, not changed
        bounds = np.concatenate(([0], np.cumsum(np.bincount(cells, minlength=n_cells))))
        d_sorted = distance[base]  # gathered once; each cell's slice is then sorted in place
        for c in range(n_cells):
            a, b = bounds[c], bounds[c + 1]
            if b - a > 1:
                idx, d_sorted[a:b] = stable_argsort_values(d_sorted[a:b])
                perm[a:b] = base[a:b][idx]
            elif perm is not base:
                perm[a:b] = base[a:b]
    else:
        perm = stable_argsort(distance)
        perm = perm[stable_argsort_codes(cells[perm])]
    ctrl = ~treat if usable is None else (~treat & usable)
    is_control = ctrl[perm]
    ctrl_rows = perm[is_control]
    cd = distance[ctrl_rows] if d_sorted is None else d_sorted[is_control]
    # insertion point of a treated unit among the sorted controls = the controls sorted before it = its
    # position minus the other units (treated, unusable controls) before it: computed for those units only
    other = np.flatnonzero(~is_control)
    other_rows = perm[other]
    is_t = treat[other_rows]
    t_rows = other_rows[is_t]
    t_before = (other - np.arange(len(other)))[is_t]
    if 8 * len(t_rows) < n:  # few treated: order their values by row instead of scattering over all units
        t_ins = t_before[np.argsort(t_rows)]
    else:
        insert = np.empty(n, dtype=np.int64)
        insert[t_rows] = t_before
        t_ins = insert[treat]
    # controls of cells before c = start of cell c among the sorted controls
    if bounds is not None:  # the cell's units minus its other units (found by their sorted positions)
        counts = np.diff(bounds) - np.bincount(np.searchsorted(bounds, other, side="right") - 1, minlength=n_cells)
    else:
        counts = np.bincount(cells[ctrl], minlength=n_cells)
    hi = np.cumsum(counts)
    lo = hi - counts
    return ctrl_rows, np.ascontiguousarray(cd, dtype=np.float64), t_ins, lo, hi


def previous_in_cell(cells: np.ndarray) -> np.ndarray:
    """Row of the previous unit (any group) of the same exact cell in data order; -1 for the first."""
    order = np.argsort(cells, kind="stable")
    prev = np.full(len(cells), -1, dtype=np.int64)
    same = cells[order[1:]] == cells[order[:-1]]
    prev[order[1:][same]] = order[:-1][same]
    return prev

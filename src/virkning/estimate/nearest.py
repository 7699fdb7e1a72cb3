"""Greedy nearest-neighbour matching on arrays: the algorithms behind :func:`virkning.match`.

Everything here works on plain numpy arrays (treatment flags, a distance vector, exact-cell codes, optional
Mahalanobis coordinates) and returns a match matrix: one row per treated unit in data order, one column per
match slot, holding the row position of the matched control or -1. The rules are those of MatchIt 4.5.1's
nearest-neighbour routines (``nn_matchC_vec`` and ``nn_matchC``):

- Units are sorted by distance; equal distances keep data order. A treated unit's candidates on the left are
  the controls sorted before it, on the right those sorted after it.
- Treated units are processed in the matching order (within each exact cell; cells never share controls).
  With ``ratio`` k > 1 and no replacement, matching runs in k rounds: every treated unit gets its first
  control before any gets its second.
- Each treated unit takes the nearest still-available control to its left and to its right; if both exist
  it keeps the one with the smaller absolute distance, the left one on a tie. A caliper removes a side when
  its nearest available control is farther away than the caliper.
- With Mahalanobis distances (``mahvars``), the eligible controls are the available ones in the cell within
  the caliper on the propensity distance; the closest in Mahalanobis distance wins, ties to the first in
  data order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from virkning.estimate.nearest_layout import previous_in_cell, sorted_layout, stable_argsort

__all__ = ["Constraints", "NNOutput", "matchit_subclass", "matchit_weights", "nn_mahalanobis", "nn_vector",
           "processing_order", "reason_label", "stable_argsort"]

REASON_MATCHED = 0
REASON_NO_CONTROLS = 1  # the exact cell contains no control at all
REASON_USED_UP = 2  # all controls in the cell were already taken by earlier treated units
REASON_CALIPER = 3  # available controls exist, none within the caliper
REASON_DISCARDED = 4  # the unit is outside the common support (discard)
REASON_CONSTRAINTS = 5  # available controls exist, none meets the antiexact rule and the covariate calipers
REASON_LABELS = {REASON_MATCHED: "matched", REASON_NO_CONTROLS: "no control in exact cell",
                 REASON_USED_UP: "controls in exact cell used up", REASON_CALIPER: "no control within caliper",
                 REASON_DISCARDED: "discarded (outside common support)",
                 REASON_CONSTRAINTS: "no control meets antiexact or covariate calipers"}


def reason_label(code: int, estimand: str = "ATT") -> str:
    """Why a focal unit has fewer matches than requested; for the ATC the matches are treated units."""
    label = REASON_LABELS[int(code)]
    return label if estimand == "ATT" else label.replace("controls", "treated units").replace("control",
                                                                                              "treated unit")


@dataclass(frozen=True)
class Constraints:
    """Rules a candidate must meet besides the distance: differ from the focal unit on every antiexact column
    (integer codes per row) and lie within each covariate caliper (|x_focal - x_candidate| <= width).

    ``truncate`` reproduces MatchIt 4.5.1 built with GCC, which compared covariate differences after
    truncation to whole numbers, as it did the distances.
    """

    antiexact: np.ndarray | None = None  # int codes, rows x antiexact columns
    caliper_values: np.ndarray | None = None  # float, rows x caliper covariates
    caliper_widths: np.ndarray | None = None
    truncate: bool = False

    def ok(self, focal_row: int, rows: np.ndarray) -> np.ndarray:
        """Which candidate ``rows`` meet every rule for the focal unit in row ``focal_row``."""
        keep = np.ones(len(rows), dtype=bool)
        if self.antiexact is not None:
            keep &= np.all(self.antiexact[rows] != self.antiexact[focal_row], axis=1)
        if self.caliper_values is not None:
            diff = self.caliper_values[rows] - self.caliper_values[focal_row]
            if self.truncate:
                diff = np.trunc(diff)
            keep &= np.all(np.abs(diff) <= self.caliper_widths, axis=1)
        return keep

    def checker(self, focal_rows: np.ndarray, candidate_rows: np.ndarray):
        """A fast scalar test ok(i, k) for focal unit i (index into focal_rows) and candidate k (index into
        candidate_rows), on Python lists (called once per visited candidate in the greedy loop)."""
        # anti_c / cal_c / widths are only read when anti_f / cal_f are set, which sets them too
        anti_f: list[list[int]] | None = None
        cal_f: list[list[float]] | None = None
        anti_c: list[list[int]] = []
        cal_c: list[list[float]] = []
        widths: list[float] = []
        if self.antiexact is not None:
            anti_f = self.antiexact[focal_rows].tolist()
            anti_c = self.antiexact[candidate_rows].tolist()
        if self.caliper_values is not None:
            assert self.caliper_widths is not None  # the values and widths of covariate calipers come together
            cal_f = self.caliper_values[focal_rows].tolist()
            cal_c = self.caliper_values[candidate_rows].tolist()
            widths = self.caliper_widths.tolist()
        trunc = self.truncate

        def ok(i: int, k: int) -> bool:
            if anti_f is not None:
                for a, b in zip(anti_f[i], anti_c[k]):
                    if a == b:
                        return False
            if cal_f is not None:
                for x, y, w in zip(cal_f[i], cal_c[k], widths):
                    d = x - y
                    if trunc:
                        d = float(int(d))
                    if abs(d) > w:
                        return False
            return True

        return ok


@dataclass(frozen=True)
class NNOutput:
    """Match matrix (treated in data order x ratio; control row positions, -1 if none) and why slots are empty."""

    treated: np.ndarray  # row positions of treated units, increasing
    match_matrix: np.ndarray  # int64, shape (n_treated, ratio)
    reason: np.ndarray  # int8 per treated unit: reason its first empty slot stayed empty (0 = all filled)


def processing_order(n_treated: int, distance: np.ndarray | None, m_order: str,
                     rng: np.random.Generator | None = None) -> np.ndarray:
    """Order in which treated units choose (indices into the treated units), as MatchIt's ``m.order``.

    'largest' = decreasing distance, 'smallest' = increasing; ties keep data order in both (R's order()
    is stable either way). 'data' = data order; 'random' = a permutation drawn from ``rng``.
    """
    if m_order in ("largest", "smallest"):
        if distance is None:
            raise ValueError("m_order 'largest'/'smallest' needs a distance")
        key = -distance if m_order == "largest" else distance
        return np.argsort(key, kind="stable")
    if m_order == "random":
        return (rng if rng is not None else np.random.default_rng()).permutation(n_treated)
    return np.arange(n_treated)


def _find(ptr: dict[int, int], k: int) -> int:
    """Follow 'next available' pointers from k to the first available slot, compressing the path."""
    root = k
    while root in ptr:
        root = ptr[root]
    while k != root:
        nxt = ptr[k]
        ptr[k] = root
        k = nxt
    return root


def nn_vector(treat: np.ndarray, distance: np.ndarray, cells: np.ndarray, order: np.ndarray, *, ratio: int,
              replace: bool, caliper: float | None, truncate: bool = False, discarded: np.ndarray | None = None,
              constraints: Constraints | None = None, sorted_order: np.ndarray | None = None,
              cell_order: np.ndarray | None = None) -> NNOutput:
    """Nearest-neighbour matching on a scalar distance (propensity score or its logit).

    ``treat`` marks the focal units (the treated for the ATT, the controls for the ATC); "controls" below are
    the others. ``order`` indexes the focal units (in data order) in the order they choose. ``caliper`` is in
    distance units. ``discarded`` units (outside the common support) neither choose nor are chosen.
    ``constraints`` adds antiexact and covariate-caliper rules: a treated unit takes the nearest available
    control that meets them. ``truncate`` reproduces MatchIt 4.5.1 binaries compiled with GCC, whose
    nearest-neighbour search compared the integer parts of absolute distance differences (C ``abs(int)``
    applied to a double); it is a compatibility switch for validation, not a method. ``sorted_order`` (all
    units ordered by cell and distance) lets a caller that already has it skip the sort, ``cell_order`` (the
    stable order of ``cells``) the grouping by cell.
    """
    treat = np.asarray(treat, dtype=bool)
    treated = np.flatnonzero(treat)
    usable = None if discarded is None or not discarded.any() else ~np.asarray(discarded, dtype=bool)
    ctrl_rows, cd, t_ins, lo, hi = sorted_layout(treat, distance, cells, usable, sorted_order, cell_order)
    t_lo = lo[cells[treated]]
    t_hi = hi[cells[treated]]
    t_d = distance[treated].astype(np.float64)
    skip = None if usable is None else ~usable[treated]
    if replace and not (truncate and ratio > 1) and constraints is None:
        slots, reason = _nn_vector_replace(t_ins, t_lo, t_hi, t_d, cd, ratio, caliper, truncate)
        if skip is not None:
            slots[skip] = -1
            reason[skip] = REASON_DISCARDED
    elif not replace and constraints is None and (not truncate or ratio == 1):
        slots, reason = _nn_vector_plain(t_ins, t_lo, t_hi, t_d, cd, order, ratio, caliper, truncate, skip)
    else:
        ctrl_prev = previous_in_cell(cells)[ctrl_rows] if truncate else None
        ok = None if constraints is None else constraints.checker(treated, ctrl_rows)
        slots, reason = _nn_vector_greedy(t_ins, t_lo, t_hi, t_d, cd, order, ratio, caliper, truncate,
                                          ctrl_rows, ctrl_prev, replace, skip, ok)
    mm = np.where(slots >= 0, ctrl_rows[np.maximum(slots, 0)], -1) if len(ctrl_rows) else np.full_like(slots, -1)
    return NNOutput(treated=treated, match_matrix=mm, reason=reason)


def _nn_vector_greedy(t_ins, t_lo, t_hi, t_d, cd, order, ratio, caliper, truncate, ctrl_rows=None,
                      ctrl_prev=None, replace=False, skip=None, ok=None):
    """Greedy matching without replacement (and, in MatchIt 4.5.1 compatibility mode, with replacement).

    The greedy result depends on the processing order (each choice removes a control for everyone after),
    so the loop over treated units is sequential. What makes it fast is the structure for "nearest still
    available control on each side": controls sit in one array sorted by (cell, distance), and removed
    controls point to their right (``rp``) and left (``lp``) neighbour; following the pointers with path
    compression (union-find) finds the next available control in amortised near-constant time, so the whole
    match costs O(n log n) for the sort plus O(n_treated * ratio) pointer steps. Only removed controls are
    stored, so memory does not grow with the number of controls. This replaces MatchIt's linear scans
    over already-used neighbours, which grow quadratic when many treated units share a region of the score.

    With ``truncate`` (MatchIt 4.5.1 as built by GCC) two defects of that version are reproduced: distances
    are compared by their integer parts, and from the second round on a candidate is skipped when the unit
    just before it in the data (among the units of its exact cell) is one of the treated unit's earlier
    matches, instead of when it is one of them (an index off by one).

    ``skip`` marks treated units that do not choose (discarded). ``ok(i, k)`` is the antiexact/covariate
    caliper rule: from the nearest available control on each side, the search moves outward past controls
    that fail it (they stay available for others). With replacement and ``ratio`` > 1 (outside the
    compatibility mode) a unit's earlier matches are skipped the same way.
    """
    n1 = len(t_ins)
    slots = np.full((n1, ratio), -1, dtype=np.int64)
    reason = np.zeros(n1, dtype=np.int8)
    cdv = memoryview(cd)
    rows_v = prev_v = None
    if truncate:
        rows_v = memoryview(np.ascontiguousarray(ctrl_rows, dtype=np.int64))
        prev_v = memoryview(np.ascontiguousarray(ctrl_prev, dtype=np.int64))
    ins = t_ins.tolist()
    los = t_lo.tolist()
    his = t_hi.tolist()
    dts = t_d.tolist()
    order_list = np.asarray(order, dtype=np.int64).tolist()
    cal = np.inf if caliper is None else float(caliper)
    rp: dict[int, int] = {}
    lp: dict[int, int] = {}
    earlier: dict[int, set[int]] = {}  # compatibility mode: data rows already matched to each treated unit
    mine: dict[int, set[int]] = {}  # with replacement: positions already matched to each treated unit
    own = replace and not truncate and ratio > 1
    skip_list = skip.tolist() if skip is not None else None
    if skip is not None:
        reason[skip] = REASON_DISCARDED
    for r in range(ratio):
        chosen: list[int] = []
        for i in order_list:
            if skip_list is not None and skip_list[i]:
                continue
            p = ins[i]
            lo_i = los[i]
            hi_i = his[i]
            if lo_i == hi_i:
                if reason[i] == 0:
                    reason[i] = REASON_NO_CONTROLS
                continue
            dt = dts[i]
            right = _find(rp, p) if p in rp else p
            left = p - 1
            if left in lp:
                left = _find(lp, left)
            has_r = right < hi_i
            has_l = left >= lo_i
            if truncate and r > 0:
                prev_skip = earlier.get(i, ())
                while has_r and prev_v[right] in prev_skip:
                    right = _find(rp, right + 1)
                    has_r = right < hi_i
                while has_l and prev_v[left] in prev_skip:
                    left = _find(lp, left - 1)
                    has_l = left >= lo_i
            if not (has_r or has_l):
                if reason[i] == 0:
                    reason[i] = REASON_USED_UP
                continue
            if ok is not None or own:
                # walk outward past controls this unit may not take (rules, or already its match)
                taken = mine.get(i, ()) if own else ()
                bad = earlier.get(i, ()) if (truncate and r > 0) else ()
                while has_r and (right in taken or (bad and prev_v[right] in bad) or (ok and not ok(i, right))):
                    right = _find(rp, right + 1)
                    has_r = right < hi_i
                while has_l and (left in taken or (bad and prev_v[left] in bad) or (ok and not ok(i, left))):
                    left = _find(lp, left - 1)
                    has_l = left >= lo_i
                if not (has_r or has_l):
                    if reason[i] == 0:
                        reason[i] = REASON_CONSTRAINTS if ok is not None else REASON_USED_UP
                    continue
            if has_r:
                dr = cdv[right] - dt
                if truncate:
                    dr = float(int(dr))
                if dr > cal:
                    has_r = False
            if has_l:
                dl = dt - cdv[left]
                if truncate:
                    dl = float(int(dl))
                if dl > cal:
                    has_l = False
            if has_l and (not has_r or dl <= dr):
                k = left
            elif has_r:
                k = right
            else:
                if reason[i] == 0:
                    reason[i] = REASON_CALIPER
                continue
            if not replace:
                rp[k] = k + 1
                lp[k] = k - 1
            if truncate and ratio > 1:
                earlier.setdefault(i, set()).add(rows_v[k])
            if own:
                mine.setdefault(i, set()).add(k)
            chosen.append(i)
            chosen.append(k)
        if chosen:
            arr = np.asarray(chosen, dtype=np.int64).reshape(-1, 2)
            slots[arr[:, 0], r] = arr[:, 1]
    return slots, reason


def _nn_vector_plain(t_ins, t_lo, t_hi, t_d, cd, order, ratio, caliper, truncate, skip):
    """``_nn_vector_greedy`` without replacement and without antiexact or covariate calipers (in the
    compatibility mode with one control per unit, where the index defect cannot arise): the same choices in
    a leaner loop, with the units' values read in their matching order and the rare failures recorded as
    they happen and applied after the loop (the first reason of a unit stands)."""
    # The step that picks the nearer neighbour is written out here as in `_nn_vector_greedy` on purpose: a function
    # call per treated unit would cost more than the loop saves. tests/estimate/test_nearest.py checks the two agree.
    n1 = len(t_ins)
    slots = np.full((n1, ratio), -1, dtype=np.int64)
    reason = np.zeros(n1, dtype=np.int8)
    o = np.asarray(order, dtype=np.int64)
    if skip is not None:
        reason[skip] = REASON_DISCARDED
        o = o[~skip[o]]
    units = (o.tolist(), t_ins[o].tolist(), t_lo[o].tolist(), t_hi[o].tolist(), t_d[o].tolist())
    cdv = memoryview(cd)
    cal = np.inf if caliper is None else float(caliper)
    rp: dict[int, int] = {}
    lp: dict[int, int] = {}
    failed: list[tuple[int, int]] = []
    for r in range(ratio):
        ks: list[int] = []
        for i, p, lo_i, hi_i, dt in zip(*units):
            if lo_i == hi_i:
                failed.append((i, REASON_NO_CONTROLS))
                ks.append(-1)
                continue
            right = _find(rp, p) if p in rp else p
            left = p - 1
            if left in lp:
                left = _find(lp, left)
            has_r = right < hi_i
            has_l = left >= lo_i
            if not (has_r or has_l):
                failed.append((i, REASON_USED_UP))
                ks.append(-1)
                continue
            if has_r:
                dr = cdv[right] - dt
                if truncate:
                    dr = float(int(dr))
                if dr > cal:  # (not `has_r = dr <= cal`: a NaN difference counts as within, as above)
                    has_r = False
            if has_l:
                dl = dt - cdv[left]
                if truncate:
                    dl = float(int(dl))
                if dl > cal:
                    has_l = False
            if has_l and (not has_r or dl <= dr):
                k = left
            elif has_r:
                k = right
            else:
                failed.append((i, REASON_CALIPER))
                ks.append(-1)
                continue
            rp[k] = k + 1
            lp[k] = k - 1
            ks.append(k)
        slots[o, r] = ks
    for i, code in failed:
        if reason[i] == 0:
            reason[i] = code
    return slots, reason


def _nn_vector_replace(t_ins, t_lo, t_hi, t_d, cd, ratio, caliper, truncate):
    """Matching with replacement: every treated unit takes its ``ratio`` nearest controls independently.

    Vectorised over treated units: a left and a right pointer per unit start at its insertion point; in each
    of ``ratio`` steps the closer side (left on ties) is taken and its pointer moves outward. This is the
    order in which MatchIt's scan picks the 1st, 2nd, ... nearest control of a unit.
    """
    n1 = len(t_ins)
    slots = np.full((n1, ratio), -1, dtype=np.int64)
    reason = np.zeros(n1, dtype=np.int8)
    reason[t_lo == t_hi] = REASON_NO_CONTROLS
    if len(cd) == 0:
        return slots, reason
    cal = np.inf if caliper is None else float(caliper)
    left = t_ins - 1
    right = t_ins.copy()
    last = len(cd) - 1
    for r in range(ratio):
        in_l = left >= t_lo
        in_r = right < t_hi
        dl = np.where(in_l, t_d - cd[np.clip(left, 0, last)], np.inf)
        dr = np.where(in_r, cd[np.clip(right, 0, last)] - t_d, np.inf)
        if truncate:
            dl = np.where(in_l, np.trunc(dl), np.inf)
            dr = np.where(in_r, np.trunc(dr), np.inf)
        has_l = in_l & (dl <= cal)
        has_r = in_r & (dr <= cal)
        take_l = has_l & (~has_r | (dl <= dr))
        take_r = has_r & ~take_l
        slots[take_l, r] = left[take_l]
        slots[take_r, r] = right[take_r]
        empty = ~(take_l | take_r) & (reason == 0)
        reason[empty & (in_l | in_r)] = REASON_CALIPER
        reason[empty & ~(in_l | in_r)] = REASON_USED_UP
        left = np.where(take_l, left - 1, left)
        right = np.where(take_r, right + 1, right)
    return slots, reason


def nn_mahalanobis(treat: np.ndarray, coords: np.ndarray, cells: np.ndarray, order: np.ndarray, *, ratio: int,
                   replace: bool, distance: np.ndarray | None, caliper: float | None,
                   discarded: np.ndarray | None = None, constraints: Constraints | None = None) -> NNOutput:
    """Nearest neighbour on Mahalanobis coordinates, optionally within a caliper on a propensity distance.

    For each focal unit (``treat``; in ``order``; ``ratio`` rounds without replacement) the eligible controls
    are the available ones in its cell that are not discarded, meet the ``constraints`` (antiexact, covariate
    calipers) and lie within the caliper if given; the one with the smallest Euclidean distance in ``coords``
    wins, ties to the first in data order. With replacement each focal unit takes its ``ratio`` closest
    eligible controls at once (ties in data order). These are the rules of MatchIt's ``nn_matchC``.
    """
    treat = np.asarray(treat, dtype=bool)
    treated = np.flatnonzero(treat)
    n1 = len(treated)
    slots = np.full((n1, ratio), -1, dtype=np.int64)
    reason = np.zeros(n1, dtype=np.int8)
    dropped = np.zeros(len(treat), dtype=bool) if discarded is None else np.asarray(discarded, dtype=bool)
    reason[dropped[treated]] = REASON_DISCARDED
    controls = np.flatnonzero(~treat & ~dropped)
    ccells = cells[controls]
    by_cell = np.argsort(ccells, kind="stable")  # data order within cell
    sorted_cells = ccells[by_cell]
    n_cells = int(cells.max()) + 1 if len(cells) else 0
    lo = np.searchsorted(sorted_cells, np.arange(n_cells), side="left")
    hi = np.searchsorted(sorted_cells, np.arange(n_cells), side="right")
    cell_controls = [controls[by_cell[lo[c]:hi[c]]] for c in range(n_cells)]
    use_cal = caliper is not None and distance is not None
    if use_cal:
        assert distance is not None  # use_cal says so
        # per cell, controls sorted by distance, to cut a window around each treated unit's score
        cell_sorted = []
        for c in range(n_cells):
            rows = cell_controls[c]
            o = np.argsort(distance[rows], kind="stable")
            cell_sorted.append((rows[o], distance[rows][o]))
    available = np.ones(len(treat), dtype=bool)
    q = coords.shape[1]
    rounds = 1 if replace else ratio
    order = np.asarray(order, dtype=np.int64)
    for r in range(rounds):
        for i in order:
            t = treated[i]
            if dropped[t]:
                continue
            c = cells[t]
            if len(cell_controls[c]) == 0:
                reason[i] = reason[i] or REASON_NO_CONTROLS
                continue
            if use_cal:
                assert distance is not None and caliper is not None  # use_cal says so
                rows_sorted, d_sorted = cell_sorted[c]
                dt = distance[t]
                a = np.searchsorted(d_sorted, dt - caliper * (1 + 1e-9) - 1e-300, side="left")
                b = np.searchsorted(d_sorted, dt + caliper * (1 + 1e-9) + 1e-300, side="right")
                cand = np.sort(rows_sorted[a:b])
            else:
                cand = cell_controls[c]
            if not replace:
                cand = cand[available[cand]]
                if len(cand) == 0:
                    if reason[i] == 0:
                        reason[i] = REASON_USED_UP if not use_cal or not available[cell_controls[c]].any() \
                            else REASON_CALIPER
                    continue
            if r > 0:
                cand = cand[~np.isin(cand, slots[i, :r])]
            if use_cal:
                assert distance is not None  # use_cal says so
                cand = cand[np.abs(distance[cand] - distance[t]) <= caliper]
            if constraints is not None and len(cand):
                cand = cand[constraints.ok(t, cand)]
                if len(cand) == 0:
                    if reason[i] == 0:
                        reason[i] = REASON_CONSTRAINTS
                    continue
            if len(cand) == 0:
                if reason[i] == 0:
                    reason[i] = REASON_CALIPER
                continue
            diff = coords[cand, 0] - coords[t, 0]
            acc = diff * diff
            for j in range(1, q):  # column by column, in the order R sums them
                diff = coords[cand, j] - coords[t, j]
                acc += diff * diff
            dist = np.sqrt(acc)
            if replace:
                if len(cand) <= ratio:
                    take = cand
                else:
                    take = cand[np.argsort(dist, kind="stable")[:ratio]]
                slots[i, :len(take)] = take
                if len(take) < ratio and reason[i] == 0:
                    reason[i] = REASON_CALIPER if use_cal else REASON_USED_UP
            else:
                k = cand[int(np.argmin(dist))]
                slots[i, r] = k
                available[k] = False
    return NNOutput(treated=treated, match_matrix=slots, reason=reason)


def matchit_weights(n: int, treated: np.ndarray, mm: np.ndarray) -> np.ndarray:
    """ATT weights from a match matrix, as MatchIt computes them.

    Matched treated units weigh 1. Each control receives 1/(number of controls of the treated unit) from
    every treated unit it is matched to; control weights are then rescaled to sum to the number of distinct
    matched controls.
    """
    w = np.zeros(n)
    filled = mm >= 0
    k = filled.sum(axis=1)
    has = k > 0
    rows, cols = np.nonzero(filled)
    contrib = 1.0 / k[rows]
    np.add.at(w, mm[rows, cols], contrib)
    ctrl = np.sort(mm[filled])  # the matched controls in row order, as a mask over the rows selects them
    ctrl = ctrl[np.concatenate(([True], ctrl[1:] != ctrl[:-1]))] if len(ctrl) else ctrl  # (np.unique hashes)
    total = w[ctrl].sum()
    if total > 0:
        w[ctrl] *= len(ctrl) / total
    w[treated[has]] = 1.0
    return w


def matchit_subclass(n: int, treated: np.ndarray, mm: np.ndarray) -> np.ndarray:
    """Matched-set number per row (0 = not matched) for matching without replacement, numbered as MatchIt.

    MatchIt labels each set by its treated unit's 1-based row number and numbers the sets in the sort order
    of those labels as text ("1" < "10" < "100" < "11" ...); that numbering is reproduced so set numbers
    agree with ``match.data()``.
    """
    sub = np.zeros(n, dtype=np.int64)
    has = (mm >= 0).any(axis=1)
    tpos = treated[has]
    # text order of the row numbers without text: by the number padded with zeros to the longest one's digits,
    # then shorter first ("1" < "10" < "100" < "11" < "2")
    v = tpos + 1
    digits = np.ones(len(v), dtype=np.int64)
    while len(v) and (v >= 10 ** int(digits.max())).any():
        digits += v >= 10 ** int(digits.max())
    labels = np.lexsort((digits, v * 10 ** (int(digits.max(initial=1)) - digits)))
    number = np.empty(len(tpos), dtype=np.int64)
    number[labels] = np.arange(1, len(tpos) + 1)
    sub[tpos] = number
    mmh = mm[has]
    rows, cols = np.nonzero(mmh >= 0)
    sub[mmh[rows, cols]] = number[rows]
    return sub

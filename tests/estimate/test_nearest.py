"""The nearest-neighbour algorithms against a literal re-implementation of MatchIt 4.5.1's scan, and by hand.

``scan_reference`` follows MatchIt's ``nn_matchC_vec`` step by step inside each exact cell: units sorted by
distance (ties in data order), treated units in matching order, ``ratio`` rounds, a linear walk to the
nearest usable control on each side, the caliper checked on the first usable one, the left one kept on a
tie. ``truncate`` adds the two defects of the GCC build of 4.5.1 (integer distances, off-by-one lookup of
earlier matches). The fast union-find implementation must give the same match matrix.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import virkning
from virkning.estimate.model_matrix import ModelMatrix
from virkning.estimate.nearest import (REASON_CALIPER, REASON_NO_CONTROLS, REASON_USED_UP, matchit_subclass,
                                       matchit_weights, nn_vector, processing_order, stable_argsort)


def scan_reference(treat, dist, cells, m_order, ratio, replace, caliper, truncate=False):
    n = len(treat)
    treated = np.flatnonzero(treat)
    pos_of = {t: i for i, t in enumerate(treated)}
    mm = np.full((len(treated), ratio), -1, dtype=np.int64)
    for c in np.unique(cells):
        members = np.flatnonzero(cells == c)  # data order within the cell (MatchIt's subset)
        sub_t = treat[members]
        sub_d = dist[members]
        order_sorted = np.argsort(sub_d, kind="stable")
        s_treat = sub_t[order_sorted]
        s_d = sub_d[order_sorted]
        t_members = members[sub_t]
        ord_t = processing_order(len(t_members), dist[t_members], m_order)
        usable = ~s_treat
        rank_of = np.empty(len(members), dtype=np.int64)
        rank_of[order_sorted] = np.arange(len(members))
        rows: dict[int, list[int]] = {}

        def dist_of(a, b):
            d = abs(a - b)
            return float(int(d)) if truncate else d

        for r in range(ratio):
            for i in ord_t:
                t_sub = np.flatnonzero(members == t_members[i])[0]
                ii = rank_of[t_sub]
                row = rows.setdefault(i, [])

                def blocked(k):
                    sub_index = order_sorted[k]
                    if truncate:  # stored 1-based, looked up 0-based
                        return r > 0 and (sub_index - 1) in row
                    return r > 0 and sub_index in row

                found = []
                for step in (-1, 1):
                    k = ii + step
                    hit = -1
                    while 0 <= k < len(members):
                        if s_treat[k] or blocked(k) or not usable[k]:
                            k += step
                            continue
                        if caliper is not None and dist_of(s_d[ii], s_d[k]) > caliper:
                            break
                        hit = k
                        break
                    found.append(hit)
                left, right = found
                if left >= 0 and right >= 0:
                    k = left if dist_of(s_d[left], s_d[ii]) <= dist_of(s_d[right], s_d[ii]) else right
                elif left >= 0 or right >= 0:
                    k = max(left, right)
                else:
                    continue
                row.append(order_sorted[k])
                mm[pos_of[t_members[i]], r] = members[order_sorted[k]]
                if not replace:
                    usable[k] = False
    return mm


def random_case(seed, n=160, n_cells=3, ties=True):
    rng = np.random.default_rng(seed)
    treat = rng.random(n) < 0.3
    dist = rng.normal(size=n)
    if ties:
        dist = np.round(dist, 1)  # many exact ties
    cells = rng.integers(0, n_cells, n)
    return treat, dist, cells


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("ratio,replace", [(1, False), (2, False), (3, False), (1, True), (2, True)])
@pytest.mark.parametrize("caliper", [None, 0.15])
@pytest.mark.parametrize("truncate", [False, True])
def test_fast_matching_equals_matchit_scan(seed, ratio, replace, caliper, truncate):
    treat, dist, cells = random_case(seed)
    if truncate:
        dist = dist * 3  # distances of several units so the integer truncation matters
    m_order = "data" if replace else ["largest", "smallest", "data"][seed % 3]
    order = processing_order(int(treat.sum()), dist[treat], m_order)
    fast = nn_vector(treat, dist, cells, order, ratio=ratio, replace=replace, caliper=caliper, truncate=truncate)
    slow = scan_reference(treat, dist, cells, m_order, ratio, replace, caliper, truncate)
    np.testing.assert_array_equal(fast.match_matrix, slow)


def test_stable_argsort_keeps_ties_in_data_order():
    rng = np.random.default_rng(3)
    for values in (np.round(rng.normal(size=5000), 1), rng.integers(0, 5, 3000).astype(float), np.zeros(100),
                   np.array([0.0, -0.0, 0.0, 1.0]), rng.normal(size=1000)):
        np.testing.assert_array_equal(stable_argsort(values), np.argsort(values, kind="stable"))


def test_tie_goes_to_the_left_and_order_is_largest_first():
    # treated at 0.5; controls at 0.4 and 0.6 (equally far): MatchIt keeps the lower one
    d = pd.DataFrame({"treat": [1, 0, 0], "x": [0.0, 0.0, 0.0]})
    treat = d["treat"].to_numpy() == 1
    out = nn_vector(treat, np.array([0.5, 0.4, 0.6]), np.zeros(3, int), np.array([0]), ratio=1, replace=False,
                    caliper=None)
    assert out.match_matrix.tolist() == [[1]]
    # two treated compete for one control: the larger score chooses first
    treat = np.array([True, True, False, False])
    dist = np.array([0.50, 0.52, 0.51, 0.10])
    order = processing_order(2, dist[treat], "largest")
    out = nn_vector(treat, dist, np.zeros(4, int), order, ratio=1, replace=False, caliper=None)
    assert out.match_matrix.tolist() == [[3], [2]]


def test_unmatched_reasons_and_report():
    d = pd.DataFrame({
        "treat": [1, 1, 1, 1, 0, 0, 0, 0],
        "cell": ["a", "a", "b", "c", "a", "c", "c", "c"],
        "x": [0.0, 1.0, 2.0, 9.0, 0.1, 0.0, 0.2, 0.4],
    }, index=[f"p{i}" for i in range(8)])
    treat = d["treat"].to_numpy() == 1
    cells = pd.factorize(d["cell"], sort=True)[0]
    dist = d["x"].to_numpy()
    order = np.arange(4)
    out = nn_vector(treat, dist, cells, order, ratio=1, replace=False, caliper=1.0)
    # p0 takes the only control of cell a; p1 finds none left; p2's cell b has no control; p3 is too far
    assert out.match_matrix[:, 0].tolist() == [4, -1, -1, -1]
    assert out.reason.tolist() == [0, REASON_USED_UP, REASON_NO_CONTROLS, REASON_CALIPER]


def test_unmatched_ids_counts_and_warning():
    d = pd.DataFrame({"treat": [1, 1, 1, 0, 0, 0, 0], "sex": ["K", "K", "M", "K", "M", "M", "M"],
                      "z": [0.1, 0.2, 0.3, 0.2, 0.1, 0.4, 0.5]}, index=list("abcdefg"))
    with pytest.warns(virkning.estimate.MatchingWarning, match="fewer controls than treated"):
        m = virkning.match(d, "treat", ["z"], exact=["sex"], distance="ps")
    un = m.unmatched
    assert un["id"].tolist() == ["a"] or un["id"].tolist() == ["b"]
    assert un["reason"].tolist() == ["controls in exact cell used up"]
    assert m.unmatched_counts().to_dict() == {"controls in exact cell used up": 1}
    assert m.info.n_treated_matched == 2 and m.info.n_exact_cells == 2


def test_weights_with_incomplete_sets_follow_matchit():
    # treated 0 gets two controls, treated 1 only one: control weights 1/2, 1/2, 1, rescaled to sum to 3
    mm = np.array([[2, 3], [4, -1]])
    w = matchit_weights(5, np.array([0, 1]), mm)
    raw = np.array([0.5, 0.5, 1.0])
    np.testing.assert_allclose(w, [1, 1, *(raw * 3 / raw.sum())])
    # with replacement a control used twice adds up its shares
    w = matchit_weights(4, np.array([0, 1]), np.array([[2], [2]]))
    np.testing.assert_allclose(w, [1, 1, 1, 0])


def test_subclass_numbering_like_matchit():
    # MatchIt numbers sets by the text order of the treated units' row numbers: "1" < "10" < "2"
    n = 12
    treated = np.array([0, 1, 9])
    mm = np.array([[10], [11], [2]])
    sub = matchit_subclass(n, treated, mm)
    # row numbers 1, 2, 10 -> text order "1", "10", "2" -> sets 1, 3, 2
    assert sub[[0, 1, 9]].tolist() == [1, 3, 2]
    assert sub[[10, 11, 2]].tolist() == [1, 3, 2]


def test_model_matrix_grouped_equals_dense():
    rng = np.random.default_rng(5)
    n = 3000
    d = pd.DataFrame({"x": rng.normal(size=n), "b": rng.integers(0, 2, n),
                      "g": rng.choice(["u", "v", "w"], n), "h": pd.Categorical(rng.choice(["p", "q"], n))})
    mx = ModelMatrix(d, ["x", "g", "b", "h"])
    assert mx.table is not None and mx.names == ["(Intercept)", "x", "g[v]", "g[w]", "b", "h[q]"]
    X = mx.dense()
    assert X[:, 2].tolist() == (d["g"] == "v").astype(float).tolist()
    w = rng.random(n)
    r = rng.normal(size=n)
    A, b = mx.cross(mx.to_internal(w), mx.to_internal(r))
    np.testing.assert_allclose(A, X.T @ (X * w[:, None]), rtol=1e-10)
    np.testing.assert_allclose(b, X.T @ (w * r), rtol=1e-10, atol=1e-9)
    beta = rng.normal(size=X.shape[1])
    np.testing.assert_allclose(mx.to_external(mx.matvec(beta)), X @ beta, rtol=1e-12)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("ratio,caliper", [(1, None), (2, 0.15), (3, 0.05)])
def test_plain_loop_equals_general_loop(seed, ratio, caliper):
    # the lean loop (no replacement, no antiexact/covariate calipers) must choose and explain exactly as the
    # general one, also with discarded units, empty cells and units left without controls
    from virkning.estimate.nearest import _nn_vector_greedy, _nn_vector_plain
    from virkning.estimate.nearest_layout import sorted_layout
    treat, dist, cells = random_case(seed, n=300, n_cells=5)
    cells[treat & (cells == 4)] = 3  # cell 4: controls only
    cells[np.flatnonzero(treat)[:3]] = 5  # cell 5: treated only
    skip_rows = np.random.default_rng(seed).random(len(treat)) < 0.1
    treated = np.flatnonzero(treat)
    ctrl_rows, cd, t_ins, lo, hi = sorted_layout(treat, dist, cells, ~skip_rows)
    args = (t_ins, lo[cells[treated]], hi[cells[treated]], dist[treated], cd,
            processing_order(len(treated), dist[treat], "largest"), ratio, caliper, False)
    plain = _nn_vector_plain(*args, skip_rows[treated])
    general = _nn_vector_greedy(*args, ctrl_rows, None, False, skip_rows[treated], None)
    np.testing.assert_array_equal(plain[0], general[0])
    np.testing.assert_array_equal(plain[1], general[1])
    assert set(np.unique(general[1])) >= {0, 1, 4}  # matched, no control in the cell, discarded


def test_compact_codes_and_shared_cell_order():
    from virkning.estimate.model_matrix import codes_and_levels, combine_codes, compact_codes
    from virkning.estimate.nearest_layout import sorted_layout, stable_argsort_codes
    rng = np.random.default_rng(2)
    n = 2000
    s = pd.Series(pd.Categorical(rng.choice(["b", "c"], n), categories=["a", "b", "c", "d"]))  # unused levels
    codes, levels = compact_codes(s)
    assert codes.dtype == np.int8 and levels == ["b", "c"]
    np.testing.assert_array_equal(codes, codes_and_levels(s)[0])
    assert codes_and_levels(s)[0].dtype == np.int64
    words = pd.Series(rng.choice(["x", "y", "z"], n).astype(object))
    assert compact_codes(words)[1] == ["x", "y", "z"] and compact_codes(words)[0].dtype == np.int8
    # combined codes in a small type: the same numbers as with int64 keys
    a, b = rng.integers(0, 300, n), rng.integers(0, 7, n)
    groups, keys = combine_codes([a, b], [300, 7])
    _, ref = np.unique(a * 7 + b, return_inverse=True)
    assert groups.dtype == np.int16
    np.testing.assert_array_equal(groups, ref)
    np.testing.assert_array_equal(keys, np.unique(a * 7 + b))
    # a caller's stable cell order gives the layout the sort would give
    treat, dist, cells = random_case(1, n=500, n_cells=4)
    order = stable_argsort_codes(cells)
    for x, y in zip(sorted_layout(treat, dist, cells, cell_order=order), sorted_layout(treat, dist, cells)):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(order, stable_argsort_codes(cells))  # not changed


def test_subclass_numbering_follows_text_order_of_row_numbers():
    # the numbering computes the text order of the row numbers without text: compare with Python's str sort
    rng = np.random.default_rng(4)
    for n, k in [(20_000, 3_000), (2_001, 1_000), (12, 3), (3, 1)]:
        treated = np.sort(rng.choice(n, k, replace=False))
        has = rng.random(k) < 0.8
        controls = rng.permutation(np.setdiff1d(np.arange(n), treated))[:k]
        mm = np.where(has, controls, -1)[:, None]
        tpos = treated[has]
        text = sorted(range(len(tpos)), key=lambda j: str(int(tpos[j]) + 1))
        expected = np.empty(len(tpos), dtype=np.int64)
        expected[np.asarray(text, dtype=np.int64)] = np.arange(1, len(tpos) + 1)
        np.testing.assert_array_equal(matchit_subclass(n, treated, mm)[tpos], expected)

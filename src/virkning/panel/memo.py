"""The covariate memo of a panel store: the values of covariates already computed, per pair of (person, index week,
index month, index date), so that a robustness variant asking again for the same pairs costs no query.

Each covariate's entry is (keys, values): the pairs' keys (`pair_keys`) sorted, and their values in that order.
Covariates computed together share one key array, so each array is searched (and merged with new keys) once.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from virkning.registers import calendar

NO_KEYS = np.zeros(0, dtype=np.int64)


def pair_keys(pk: np.ndarray, iwk: np.ndarray, imo: np.ndarray, idate: np.ndarray) -> np.ndarray:
    """One int64 per (person, index week, index month, index date); -1 where the parts do not fit (such pairs are
    computed every time instead of memoised)."""
    mo_off = imo - calendar.week_months(iwk) + 8  # the index month is the Thursday's or next to it
    day_off = (idate.astype("datetime64[D]") - calendar.week_mondays(iwk)).astype(np.int64) + 128
    ok = (pk >= 0) & (iwk >= 0) & (iwk < 1 << 16) & (mo_off >= 0) & (mo_off < 16) & (day_off >= 0) & (day_off < 256)
    key = ((pk.astype(np.int64) << 28) | (iwk.astype(np.int64) << 12) | (mo_off << 8) | day_off)
    return np.where(ok, key, -1)


def memoised(memo: dict, p: dict, specs: list, compute: Callable[[dict, np.ndarray, list], pd.DataFrame]) -> dict:
    """The values of covariates `specs` (grammar.Covariate) for the normalised pairs `p` (pk, iwk, imo, idate):
    from `memo` (name -> sorted pair keys and their values) for the pairs computed before, from `compute(p, rows,
    specs)` for the others, which are then added to the memo."""
    key = pair_keys(p["pk"], p["iwk"], p["imo"], p["idate"])
    # Covariates computed together share one key array in the memo, so each array is searched (and merged
    # with new keys) once, not once per covariate.
    lookups: dict[int, tuple] = {}
    found = {}
    need = np.zeros(len(key), dtype=bool)
    for s in specs:
        keys, values = memo.get(s.name, (NO_KEYS, None))
        if id(keys) not in lookups:
            pos, hit = _find(keys, key)
            lookups[id(keys)] = (keys, pos, hit & (key >= 0))
        _, pos, hit = lookups[id(keys)]
        found[s.name] = (pos, hit, values)
        need |= ~hit
    result: dict = {}
    fresh: dict | None = None
    if need.any() or not len(need):  # no pairs: computed too, for the columns' types
        rows = np.flatnonzero(need)
        computed = compute(p, rows, specs)
        fresh = {s.name: values_to_keep(computed[s.name]) for s in specs}
        k = key[rows]
        ok = np.flatnonzero(k >= 0)
        uk, first = np.unique(k[ok], return_index=True)
        merged: dict[int, tuple] = {}
        for s in specs:
            v = fresh[s.name][ok[first]]
            old_keys, old_values = memo.get(s.name, (None, None))
            if old_keys is None:
                memo[s.name] = (uk, v)
                continue
            assert old_values is not None  # memo entries hold both arrays
            if id(old_keys) not in merged:
                new = ~_find(old_keys, uk)[1]
                all_keys = np.concatenate([old_keys, uk[new]])
                order = _merge_order(old_keys, uk[new])
                merged[id(old_keys)] = (old_keys, new, all_keys[order], order)
            _, new, sorted_keys, order = merged[id(old_keys)]
            memo[s.name] = (sorted_keys, _concat(old_values, v[new])[order])
    for s in specs:
        pos, hit, values = found[s.name]
        # a covariate without memo values (values None) hits no row, so every row is computed (need.all())
        if fresh is None:
            assert values is not None
            result[s.name] = values[pos]
            continue
        fv = fresh[s.name]
        if need.all():
            result[s.name] = fv
            continue
        assert values is not None
        if isinstance(values, pd.api.extensions.ExtensionArray) or isinstance(fv, pd.api.extensions.ExtensionArray):
            seen = values[pos[~need]]  # the memo's rows these pairs hit (not the whole memo), then the fresh ones
            at = np.empty(len(key), dtype=np.int64)
            at[~need] = np.arange(len(seen))
            at[need] = len(seen) + np.arange(len(fv))
            result[s.name] = _concat(seen, fv)[at]
            continue
        col = np.empty(len(key), dtype=_common(values.dtype, fv.dtype))
        col[~need] = values[pos[~need]]
        col[need] = fv
        result[s.name] = col
    return result


def _common(a: np.dtype, b: np.dtype) -> np.dtype:
    return np.dtype(object) if object in (a, b) or a.kind in "OUS" or b.kind in "OUS" else np.result_type(a, b)


def values_to_keep(col: pd.Series):
    """A computed covariate's values to keep: text as pandas' string array, made once (a frame takes it as it is and
    taking rows from it makes no Python string per row; an array of Python strings would be converted again on
    every assignment, and a robustness variant assigns the memo's values again), anything else as numpy."""
    if col.dtype == calendar.TEXT:
        return col.array
    if col.dtype == object and pd.api.types.infer_dtype(col, skipna=True) == "string":
        return pd.array(col.to_numpy(), dtype=calendar.TEXT)  # what the assignment would have made of it
    return col.to_numpy()


def _find(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each value's position in sorted unique `keys` (a memo's) and whether it is there (np.isin), by a binary
    search each, not a sort of both."""
    if not len(keys):
        return np.zeros(len(values), dtype=np.int64), np.zeros(len(values), dtype=bool)
    pos = np.minimum(np.searchsorted(keys, values), len(keys) - 1)
    return pos, keys[pos] == values


def _merge_order(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The order that sorts concatenate([a, b]) for sorted `a` and `b` without common values (what a stable argsort
    gives, without sorting what is sorted already): b's values go where a binary search in a puts them."""
    at_b = np.searchsorted(a, b) + np.arange(len(b))
    order = np.empty(len(a) + len(b), dtype=np.int64)
    rest = np.ones(len(order), dtype=bool)
    rest[at_b] = False
    order[rest] = np.arange(len(a))
    order[at_b] = len(a) + np.arange(len(b))
    return order


def _concat(a, b):
    if isinstance(a, pd.api.extensions.ExtensionArray) or isinstance(b, pd.api.extensions.ExtensionArray):
        if a.dtype == b.dtype:
            return type(a)._concat_same_type([a, b])
        a, b = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
    return np.concatenate([a.astype(_common(a.dtype, b.dtype)), b.astype(_common(a.dtype, b.dtype))])

"""Numeric matrices from data-frame columns: model matrices, balance matrices, exact cells, Mahalanobis coordinates.

One place decides how a column becomes numbers, so the propensity model, the balance table and the
Mahalanobis distance agree on what a covariate is:

- numeric and boolean columns are used as they are (booleans as 0/1);
- categorical columns (pandas ``category``, strings, objects) become one 0/1 column per observed level. The
  propensity model drops the first level (the reference), the balance table keeps every level, as MatchIt's
  ``summary()`` does. Levels are the categories' order for ``category`` columns and sorted values otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import scipy.linalg

from virkning.errors import DesignError


@dataclass(frozen=True)
class Term:
    """One column of a numeric matrix: the data column it comes from and, for categorical ones, the level."""

    variable: str
    level: object = None

    @property
    def name(self) -> str:
        return self.variable if self.level is None else f"{self.variable}[{self.level}]"


def is_categorical(series: pd.Series) -> bool:
    """True for columns that are expanded to level indicators (category, string and object dtypes)."""
    return not (pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype))


def small_int(k: int) -> type[np.signedinteger]:
    """The smallest signed integer type that holds -1..k (level codes, -1 for missing)."""
    for t in (np.int8, np.int16, np.int32):
        if k <= np.iinfo(t).max:
            return t
    return np.int64


def codes_and_levels(series: pd.Series, cache: dict | None = None) -> tuple[np.ndarray, list[object]]:
    """Level code per row (0..k-1, -1 for missing, int64) and the observed levels (category order, else sorted).

    ``cache`` (a dict kept for one computation on one data frame) avoids coding the same column twice.
    """
    codes, levels = compact_codes(series, cache)
    return codes.astype(np.int64), levels


def compact_codes(series: pd.Series, cache: dict | None = None) -> tuple[np.ndarray, list[object]]:
    """``codes_and_levels`` with the codes in the smallest signed integer type (see ``small_int``), read-only:
    a category column that uses all its categories gives its own codes without a copy. On millions of rows
    this saves memory (and, on a machine where fresh memory is slow, time) while the codes are kept."""
    if cache is not None:
        key = series.name
        if key not in cache:
            cache[key] = compact_codes(series)
        return cache[key]
    if isinstance(series.dtype, pd.CategoricalDtype):
        raw = series.array.codes
        k = len(series.cat.categories)
        present = np.bincount(raw if len(raw) == 0 or raw.min() >= 0 else raw[raw >= 0], minlength=k) > 0
        if present.all():
            return raw, list(series.cat.categories)
        remap = np.full(k + 1, -1, dtype=small_int(k))
        remap[:k][present] = np.arange(int(present.sum()))
        return remap[raw], [c for c, keep in zip(series.cat.categories, present) if keep]
    try:
        codes, uniques = pd.factorize(series, sort=True)
        return np.asarray(codes).astype(small_int(len(uniques))), list(uniques)
    except TypeError:  # mixed types that cannot be ordered: sort by their text
        codes, uniques = pd.factorize(series)
        order = sorted(range(len(uniques)), key=lambda j: str(uniques[j]))
        remap = np.empty(len(order) + 1, dtype=small_int(len(order)))
        remap[np.asarray(order, dtype=np.int64)] = np.arange(len(order))
        remap[-1] = -1
        return remap[np.asarray(codes, dtype=np.int64)], [uniques[j] for j in order]


def levels_of(series: pd.Series) -> list[object]:
    """Observed levels of a categorical column, in category order or sorted."""
    return codes_and_levels(series)[1]


def check_complete(data: pd.DataFrame, columns: Sequence[str], option: str) -> None:
    """Raise a DesignError naming the columns (and first rows) with missing or infinite values."""
    problems = []
    for col in columns:
        s = data[col]
        if isinstance(s.dtype, np.dtype) and s.dtype.kind == "f":
            bad = ~np.isfinite(s.to_numpy())  # missing (NaN) is not finite either: one pass
        else:
            bad = s.isna().to_numpy().copy()
            if pd.api.types.is_float_dtype(s.dtype):
                bad |= ~np.isfinite(s.to_numpy(dtype=float, na_value=np.nan))
        if bad.any():
            rows = data.index[bad][:3].tolist()
            problems.append(f"{col!r} ({int(bad.sum())} rows, e.g. {rows})")
    if problems:
        raise DesignError(f"option '{option}': missing or non-finite values in {'; '.join(problems)}. "
                          "Drop or impute these rows before matching.")


def numeric_column(series: pd.Series) -> np.ndarray:
    return series.to_numpy(dtype=np.float64)


def design_matrix(data: pd.DataFrame, columns: Sequence[str], *, drop_first: bool,
                  intercept: bool = False, order: Literal["C", "F"] = "C") -> tuple[np.ndarray, list[Term]]:
    """Dense model matrix (float64, rows x terms) and its terms; categorical columns become level indicators.
    `order="F"` stores columns contiguously (faster to fill and to read column by column)."""
    n = len(data)
    blocks: list[tuple[Term, tuple[np.ndarray, int] | pd.Series | None]] = []
    if intercept:
        blocks.append((Term("(Intercept)"), None))
    for col in columns:
        s = data[col]
        if is_categorical(s):
            codes, levels = compact_codes(s)
            for j, level in enumerate(levels):
                if drop_first and j == 0:
                    continue
                blocks.append((Term(col, level), (codes, j)))
        else:
            blocks.append((Term(col), s))
    X = np.empty((n, len(blocks)), dtype=np.float64, order=order)
    for k, (term, source) in enumerate(blocks):
        if source is None:
            X[:, k] = 1.0
        elif isinstance(source, tuple):
            codes, j = source
            X[:, k] = codes == j
        else:
            X[:, k] = numeric_column(source)
    return X, [t for t, _ in blocks]


def combine_codes(code_lists: Sequence[np.ndarray], sizes: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Combine per-variable codes into one code per row, numbered 0..G-1 in sorted order of the combinations.

    Returns (group code per row, the combined key of each group). Uses a counting pass when the key space is
    small (the group codes then in the smallest integer type that holds them) and a sort otherwise.
    """
    n = len(code_lists[0]) if code_lists else 0
    space = int(np.prod([max(int(s), 1) for s in sizes], dtype=np.float64)) if sizes else 1
    if space <= max(4 * n, 1 << 20):
        # the same keys in the smallest type that holds them, updated in place (no int64 temporaries)
        key = np.zeros(n, dtype=small_int(space))
        for codes, size in zip(code_lists, sizes):
            key *= size
            key += codes
        used = np.zeros(space, dtype=bool)
        step = max(1 << 20, 8 * space)  # in slices: bincount copies its input to int64
        for a in range(0, n, step):
            used |= np.bincount(key[a:a + step], minlength=space) > 0
        lookup = np.cumsum(used) - 1
        return lookup.astype(small_int(len(lookup)))[key], np.flatnonzero(used)
    key = np.zeros(n, dtype=np.int64)
    for codes, size in zip(code_lists, sizes):
        key = key * size + codes
    uniq, inverse = np.unique(key, return_inverse=True)
    return inverse.astype(np.int64), uniq


def _combined(cache: dict | None, columns: Sequence[str], code_lists: Sequence[np.ndarray], sizes: Sequence[int]
              ) -> tuple[np.ndarray, np.ndarray]:
    """``combine_codes``, kept in ``cache`` (see codes_and_levels) under the column names: the propensity
    model's categorical covariates are often the exact-matching variables, in the same order."""
    if cache is None:
        return combine_codes(code_lists, sizes)
    key = ("combined codes", tuple(columns))
    if key not in cache:
        cache[key] = combine_codes(code_lists, sizes)
    return cache[key]


def exact_cells(data: pd.DataFrame, columns: Sequence[str], *,
                codes_cache: dict | None = None) -> tuple[np.ndarray, pd.DataFrame]:
    """Integer cell code per row (0..k-1, cells sorted by their values) and a table of the cells' values."""
    n = len(data)
    if not columns:
        return np.zeros(n, dtype=np.int64), pd.DataFrame(index=pd.RangeIndex(1))
    codes, levels = zip(*(compact_codes(data[c], codes_cache) for c in columns))
    cells, keys = _combined(codes_cache, columns, codes, [len(lv) for lv in levels])
    cells = cells.astype(np.int64)
    values = {}
    rem = keys.copy()
    for col, lv in reversed(list(zip(columns, levels))):
        values[col] = [lv[i] for i in (rem % len(lv))]
        rem //= len(lv)
    return cells, pd.DataFrame({col: values[col] for col in columns})


class ModelMatrix:
    """A model matrix stored as a dense numeric block plus categorical indicators kept once per combination.

    Rows that share the levels of all categorical covariates share their indicator columns, so those are
    stored as a (combinations x indicators) ``table``, and the rows are kept sorted by combination. Products
    with the matrix (``X b``, ``X'WX``, ``X'Wr``) then cost one pass over the numeric columns plus segment
    sums, instead of a pass over all columns. With many combinations the indicators are kept dense.

    Vectors passed to ``matvec``/``cross`` and returned by ``matvec`` are in this internal row order; use
    ``to_internal``/``to_external`` to convert from and to the data's row order.
    """

    def __init__(self, data: pd.DataFrame, columns: Sequence[str], *, intercept: bool = True,
                 drop_first: bool = True, max_table: int = 20_000_000, codes_cache: dict | None = None):
        n = len(data)
        terms: list[Term] = [Term("(Intercept)")] if intercept else []
        numeric_idx: list[int] = [0] if intercept else []
        numeric_cols: list[np.ndarray | None] = [None] if intercept else []  # None = column of ones
        cat: list[tuple[np.ndarray, list[object], list[int]]] = []
        cat_names: list[str] = []
        for col in columns:
            s = data[col]
            if is_categorical(s):
                codes, levels = compact_codes(s, codes_cache)
                first = 1 if drop_first else 0
                idx = []
                for level in levels[first:]:
                    idx.append(len(terms))
                    terms.append(Term(col, level))
                cat.append((codes, levels, idx))
                cat_names.append(col)
            else:
                numeric_idx.append(len(terms))
                terms.append(Term(col))
                numeric_cols.append(numeric_column(s))
        self.terms = terms
        self.n = n
        cat_names = [nm for nm, c in zip(cat_names, cat) if c[2]]
        cat = [c for c in cat if c[2]]  # a categorical variable with one level adds no column
        cat_idx = [j for _, _, idx in cat for j in idx]
        self.order = np.asarray(numeric_idx + cat_idx, dtype=np.int64)  # internal column k = term order[k]
        self.n_numeric = len(numeric_idx)
        self.perm: np.ndarray | None = None  # internal row i = data row perm[i]
        self.table: np.ndarray | None = None
        self.bounds: np.ndarray | None = None  # rows of combination g: bounds[g]:bounds[g+1] (internal order)
        if cat:
            groups, keys = _combined(codes_cache, cat_names, [c for c, _, _ in cat], [len(lv) for _, lv, _ in cat])
            if len(keys) * len(cat_idx) <= max_table and len(keys) <= max(n // 2, 1):
                table = np.zeros((len(keys), len(cat_idx)))
                rem = keys.copy()
                offsets = np.cumsum([0] + [len(idx) for _, _, idx in cat])
                for v in range(len(cat) - 1, -1, -1):
                    _, levels, idx = cat[v]
                    code = rem % len(levels)
                    rem //= len(levels)
                    first = len(levels) - len(idx)
                    for j in range(len(idx)):
                        table[:, offsets[v] + j] = code == j + first
                self.table = table
                self.perm = np.argsort(groups.astype(np.uint16) if len(keys) < (1 << 16) else groups, kind="stable")
                if codes_cache is not None:  # the grouping of exact cells on the same columns (matching's sort)
                    codes_cache[("stable order", tuple(cat_names))] = self.perm
                # rows sorted by combination: combination g starts after the rows of combinations < g
                self.bounds = np.concatenate(([0], np.cumsum(np.bincount(groups, minlength=len(keys)))))
            else:
                for codes, levels, idx in cat:
                    first = len(levels) - len(idx)
                    for j in range(len(idx)):
                        numeric_cols.append((codes == j + first).astype(np.float64))
                self.n_numeric = len(self.order)
        self.numeric = np.empty((n, len(numeric_cols)), order="F")  # column-major: fast column access
        where = None
        if self.perm is not None and sum(v is not None for v in numeric_cols) > 1:
            # each row's internal position: scattering a column (read in order) into place is faster than
            # gathering it through perm once the positions are shared by two columns or more
            where = np.empty(n, dtype=np.int64)
            where[self.perm] = np.arange(n)
        for j, values in enumerate(numeric_cols):
            if values is None:
                self.numeric[:, j] = 1.0
            elif self.perm is None:
                self.numeric[:, j] = values
            elif where is not None:
                self.numeric[:, j][where] = values
            else:  # straight into the column, without a temporary (mode="clip": no bounds-checking copy)
                np.take(values, self.perm, out=self.numeric[:, j], mode="clip")

    @classmethod
    def from_dense(cls, X: np.ndarray, names: Sequence[str]) -> "ModelMatrix":
        """Wrap an existing dense matrix (all columns treated as numeric)."""
        new = object.__new__(cls)
        new.terms = [Term(nm) for nm in names]
        new.n = X.shape[0]
        new.order = np.arange(X.shape[1], dtype=np.int64)
        new.n_numeric = X.shape[1]
        new.numeric = np.asarray(X, dtype=np.float64)
        new.perm = new.table = new.bounds = None
        return new

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.terms]

    def to_internal(self, v: np.ndarray) -> np.ndarray:
        return v if self.perm is None else v[self.perm]

    def to_external(self, v: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """``v`` in data order (``v`` itself without a permutation, else a new array or ``out``)."""
        if self.perm is None:
            return v
        if out is None:
            out = np.empty_like(v)
        out[self.perm] = v
        return out

    def dense(self) -> np.ndarray:
        """The full n x p matrix, rows in data order, columns in term order."""
        X = np.empty((self.n, len(self.terms)))
        X[:, self.order[:self.n_numeric]] = self.numeric
        if self.table is not None:
            assert self.bounds is not None  # set together with table
            X[:, self.order[self.n_numeric:]] = np.repeat(self.table, np.diff(self.bounds), axis=0)
        if self.perm is not None:
            X[self.perm] = X.copy()
        return X

    def drop(self, term_positions: Sequence[int]) -> "ModelMatrix":
        """A copy without the given term columns (used for aliased columns)."""
        new = object.__new__(ModelMatrix)
        drop = set(int(j) for j in term_positions)
        keep_terms = [j for j in range(len(self.terms)) if j not in drop]
        renumber = {old: new_ for new_, old in enumerate(keep_terms)}
        internal_keep = [k for k, j in enumerate(self.order) if int(j) not in drop]
        num_keep = [k for k in internal_keep if k < self.n_numeric]
        cat_keep = [k - self.n_numeric for k in internal_keep if k >= self.n_numeric]
        new.terms = [self.terms[j] for j in keep_terms]
        new.n = self.n
        new.order = np.asarray([renumber[int(self.order[k])] for k in internal_keep], dtype=np.int64)
        new.n_numeric = len(num_keep)
        new.numeric = np.asfortranarray(self.numeric[:, num_keep])
        new.perm, new.bounds = self.perm, self.bounds
        new.table = None if self.table is None else self.table[:, cat_keep]
        return new

    def matvec(self, b: np.ndarray) -> np.ndarray:
        """X b (internal row order) for coefficients in term order."""
        b_int = b[self.order]
        out = self.numeric @ b_int[:self.n_numeric]
        if self.table is not None:
            assert self.bounds is not None  # set together with table
            out += np.repeat(self.table @ b_int[self.n_numeric:], np.diff(self.bounds))
        return out

    def tvec(self, v: np.ndarray) -> np.ndarray:
        """X'v in term order, for v in internal row order (one pass over the numeric columns)."""
        out = np.zeros(len(self.terms))
        out[self.order[:self.n_numeric]] = self.numeric.T @ v
        if self.table is not None:
            assert self.bounds is not None  # set together with table
            sizes = np.diff(self.bounds)
            if getattr(self, "_group_ids", None) is None:
                self._group_ids = np.repeat(np.arange(len(sizes)), sizes)
            sums = np.bincount(self._group_ids, weights=v, minlength=len(sizes))
            out[self.order[self.n_numeric:]] = self.table.T @ sums
        return out

    def chunks(self, size: int = 1 << 14) -> list[tuple[int, int, tuple[int, int, np.ndarray] | None]]:
        """Row ranges for chunked passes; with grouped indicators also the combinations each range touches.
        Computed once per matrix and size (every IRLS iteration walks the same ranges)."""
        cache = self.__dict__.setdefault("_chunks", {})
        if size not in cache:
            out: list[tuple[int, int, tuple[int, int, np.ndarray] | None]] = []
            for s in range(0, self.n, size):
                e = min(s + size, self.n)
                if self.table is None:
                    out.append((s, e, None))
                else:
                    assert self.bounds is not None  # set together with table
                    g0 = int(np.searchsorted(self.bounds, s, side="right")) - 1
                    g1 = int(np.searchsorted(self.bounds, e, side="left"))
                    out.append((s, e, (g0, g1, np.maximum(self.bounds[g0:g1], s) - s)))
            cache[size] = out
        return cache[size]

    def group_sums(self) -> np.ndarray | None:
        """Accumulator for per-combination sums of w z (numeric columns), w and w r; None without groups."""
        return None if self.table is None else np.zeros((self.table.shape[0], self.numeric.shape[1] + 2))

    @staticmethod
    def add_group_sums(S: np.ndarray, seg, Zw: np.ndarray, w: np.ndarray, wr: np.ndarray | None) -> None:
        g0, g1, starts = seg
        pz = Zw.shape[1]
        S[g0:g1, :pz] += np.add.reduceat(Zw.T, starts, axis=1).T  # Zw.T is row-contiguous (column-major Z)
        S[g0:g1, pz] += np.add.reduceat(w, starts)
        if wr is not None:
            S[g0:g1, pz + 1] += np.add.reduceat(wr, starts)

    def assemble(self, zz: np.ndarray, zr: np.ndarray | None, S: np.ndarray | None
                 ) -> tuple[np.ndarray, np.ndarray | None]:
        """X'WX and X'Wr in term order from the numeric block and the per-combination sums."""
        pz = zz.shape[0]
        p = len(self.terms)
        A_int = np.zeros((p, p))
        b_int = np.zeros(p)
        A_int[:pz, :pz] = zz
        if zr is not None:
            b_int[:pz] = zr
        if S is not None:
            T = self.table
            assert T is not None  # group sums S exist only with a table (group_sums)
            zd = S[:, :pz].T @ T
            A_int[:pz, pz:] = zd
            A_int[pz:, :pz] = zd.T
            A_int[pz:, pz:] = T.T @ (T * S[:, pz][:, None])
            if zr is not None:
                b_int[pz:] = T.T @ S[:, pz + 1]
        o = self.order
        A = np.zeros((p, p))
        A[np.ix_(o, o)] = A_int
        if zr is None:
            return A, None
        b = np.zeros(p)
        b[o] = b_int
        return A, b

    def cross(self, w: np.ndarray | None, r: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        """X'WX and (if r is given) X'Wr, both in term order; w and r in internal row order; w None = all ones
        (X'X, with the same products as for an array of ones, but no such array of n rows)."""
        Z = self.numeric
        pz = Z.shape[1]
        zz = np.zeros((pz, pz))
        zr = None if r is None else np.zeros(pz)
        S = self.group_sums()
        ones = np.ones(0 if w is not None else max((e - s for s, e, _ in self.chunks()), default=0))
        for s, e, seg in self.chunks():  # row chunks keep the temporaries in cache
            Zc = Z[s:e]
            wc = ones[:e - s] if w is None else w[s:e]
            Zw = Zc * wc[:, None]
            zz += Zw.T @ Zc
            wr = None
            if r is not None:
                wr = wc * r[s:e]
                zr += Zc.T @ wr
            if S is not None:
                self.add_group_sums(S, seg, Zw, wc, wr)
        return self.assemble(zz, zr, S)


def mahalanobis_coordinates(data: pd.DataFrame, columns: Sequence[str], treat: np.ndarray,
                            keep: np.ndarray | None = None) -> np.ndarray:
    """Coordinates whose Euclidean distances are Mahalanobis distances, built the way MatchIt 4.5.1 builds them.

    Categorical columns enter as all-level indicators divided by sqrt(2); columns without variation are
    dropped; the rest are standardised; the covariance is the pooled within-treatment-group covariance
    (Rubin 1980) of the rows in ``keep`` (those not discarded; all rows by default); its inverse (a
    generalised inverse when the determinant is below 1e-8) is factored by a pivoted Cholesky decomposition
    R, and the coordinates are X R'.
    """
    rows = keep
    X, _ = design_matrix(data, columns, drop_first=False)
    cat_cols = [k for k, col in enumerate(_expanded_sources(data, columns)) if col]
    if cat_cols:
        X[:, cat_cols] /= np.sqrt(2.0)
    spread = X.max(axis=0) - X.min(axis=0)
    keep = np.abs(spread) >= np.sqrt(np.finfo(float).eps)
    if not keep.any():  # nothing varies: Euclidean distance on the first column (all distances are zero)
        return X[:, :1].copy()
    X = X[:, keep]
    X = (X - X.mean(axis=0)) / X.std(axis=0, ddof=1)
    sub_treat = np.asarray(treat) if rows is None else np.asarray(treat)[rows]
    centred = X.copy() if rows is None else X[rows]
    groups = np.unique(sub_treat)
    for g in groups:
        rows = sub_treat == g
        centred[rows] -= centred[rows].mean(axis=0)
    n = centred.shape[0]
    cov = np.cov(centred, rowvar=False, ddof=1).reshape(X.shape[1], X.shape[1]) * (n - 1) / (n - len(groups))
    inv = None
    if np.linalg.det(cov) > 1e-8:
        try:
            inv = np.linalg.inv(cov)
        except np.linalg.LinAlgError:
            inv = None
    if inv is None:
        u, d, vt = np.linalg.svd(cov)
        pos = d > max(1e-8 * d[0], 0.0)
        inv = (vt.T[:, pos] / d[pos]) @ u[:, pos].T
    chol, piv, _rank, _info = scipy.linalg.lapack.dpstrf(np.array(inv, dtype=float, order="F"), lower=0, tol=-1.0)
    chol = np.triu(chol)
    order = np.argsort(piv - 1)
    return X @ chol[:, order].T


def _expanded_sources(data: pd.DataFrame, columns: Sequence[str]) -> list[bool]:
    """For each column of design_matrix(..., drop_first=False): does it come from a categorical variable?"""
    out: list[bool] = []
    for col in columns:
        s = data[col]
        if is_categorical(s):
            out += [True] * len(levels_of(s))
        else:
            out.append(False)
    return out

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


def levels_of(series: pd.Series) -> list[object]:
    """Observed levels of a categorical column, in category order or sorted."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        present = set(pd.unique(series.dropna()))
        return [c for c in series.cat.categories if c in present]
    values = pd.unique(series.dropna())
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=str)


def check_complete(data: pd.DataFrame, columns: Sequence[str], option: str) -> None:
    """Raise a DesignError naming the columns (and first rows) with missing or infinite values."""
    problems = []
    for col in columns:
        s = data[col]
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
                  intercept: bool = False) -> tuple[np.ndarray, list[Term]]:
    """Model matrix (float64, rows x terms) and its terms; categorical columns become level indicators."""
    n = len(data)
    blocks: list[tuple[Term, object]] = []
    if intercept:
        blocks.append((Term("(Intercept)"), None))
    for col in columns:
        s = data[col]
        if is_categorical(s):
            levels = levels_of(s)
            codes = pd.Categorical(s, categories=levels).codes
            for j, level in enumerate(levels):
                if drop_first and j == 0:
                    continue
                blocks.append((Term(col, level), (codes, j)))
        else:
            blocks.append((Term(col), s))
    X = np.empty((n, len(blocks)), dtype=np.float64)
    for k, (term, source) in enumerate(blocks):
        if source is None:
            X[:, k] = 1.0
        elif isinstance(source, tuple):
            codes, j = source
            X[:, k] = codes == j
        else:
            X[:, k] = numeric_column(source)
    return X, [t for t, _ in blocks]


def exact_cells(data: pd.DataFrame, columns: Sequence[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Integer cell code per row (0..k-1, cells sorted by their values) and a table of the cells' values."""
    n = len(data)
    if not columns:
        return np.zeros(n, dtype=np.int64), pd.DataFrame(index=pd.RangeIndex(1))
    code = np.zeros(n, dtype=np.int64)
    level_lists = []
    for col in columns:
        s = data[col]
        levels = levels_of(s) if is_categorical(s) else np.sort(pd.unique(s.to_numpy()))
        c = pd.Categorical(s, categories=levels).codes.astype(np.int64)
        code = code * len(levels) + c
        level_lists.append(list(levels))
    uniq, inverse = np.unique(code, return_inverse=True)
    values = {}
    rem = uniq.copy()
    for col, levels in reversed(list(zip(columns, level_lists))):
        values[col] = [levels[i] for i in (rem % len(levels))]
        rem //= len(levels)
    table = pd.DataFrame({col: values[col] for col in columns})
    return inverse.astype(np.int64), table


def mahalanobis_coordinates(data: pd.DataFrame, columns: Sequence[str], treat: np.ndarray) -> np.ndarray:
    """Coordinates whose Euclidean distances are Mahalanobis distances, built the way MatchIt 4.5.1 builds them.

    Categorical columns enter as all-level indicators divided by sqrt(2); columns without variation are
    dropped; the rest are standardised; the covariance is the pooled within-treatment-group covariance
    (Rubin 1980); its inverse (a generalised inverse when the determinant is below 1e-8) is factored by a
    pivoted Cholesky decomposition R, and the coordinates are X R'.
    """
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
    centred = X.copy()
    groups = np.unique(treat)
    for g in groups:
        rows = treat == g
        centred[rows] -= centred[rows].mean(axis=0)
    n = X.shape[0]
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

"""Checks at the boundary of the difference-in-differences estimators: columns, periods, units, start dates.

Every estimator takes a long data frame (one row per unit x period, or per unit x period x person) and names
its columns; these helpers turn bad input into a located :class:`~virkning.errors.DesignError` ("option
'comparison': expected ... got ...") before any number is computed.

Periods must be numbers (integer ordinals such as a year, ``mo`` = year * 12 + month - 1 or ``wk``), because
event time is ``period - start``. Start periods ("groups" in Callaway and Sant'Anna's words) are the first
period in which a unit is treated; a missing start, 0 (the R ``did`` package's code) or infinity means never
treated.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd

from virkning.errors import DesignError


def check_columns(data: pd.DataFrame, **columns: str | Sequence[str] | None) -> None:
    """Every named column exists; keyword = option name, value = column name(s)."""
    if not isinstance(data, pd.DataFrame):
        raise DesignError(f"data: expected a pandas DataFrame in long form; got {type(data).__name__}.")
    for option, value in columns.items():
        if value is None:
            continue
        names = [value] if isinstance(value, str) else list(value)
        for name in names:
            if not isinstance(name, str) or name not in data.columns:
                shown = ", ".join(map(str, list(data.columns)[:30]))
                raise DesignError(f"option '{option}': expected a column of the data; got {name!r}. "
                                  f"Available columns: {shown}.")


def numeric_column(data: pd.DataFrame, column: str, option: str, *, allow_missing: bool) -> np.ndarray:
    s = data[column]
    if not (pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype)):
        raise DesignError(f"option '{option}': expected a numeric column; got {column!r} of type {s.dtype}. "
                          "Code it as numbers (periods as integer ordinals, outcomes as numbers or 0/1).")
    values = s.to_numpy(dtype=float, na_value=np.nan)
    if not allow_missing and np.isnan(values).any():
        rows = data.index[np.isnan(values)][:3].tolist()
        raise DesignError(f"option '{option}': column {column!r} has missing values (e.g. rows {rows}); "
                          "drop or fill these rows first.")
    return values


def period_values(data: pd.DataFrame, period: str) -> np.ndarray:
    """The period column as integers (ordinals); fractional periods are refused."""
    values = numeric_column(data, period, "period", allow_missing=False)
    if not np.all(np.isfinite(values)) or not np.all(values == np.round(values)):
        raise DesignError(f"option 'period': expected whole-number periods (e.g. year, or month ordinal "
                          f"year * 12 + month - 1); got non-integer values in {period!r}.")
    return values.astype(np.int64)


def check_unit_ids(data: pd.DataFrame, unit: str) -> None:
    if data[unit].isna().any():
        rows = data.index[data[unit].isna().to_numpy()][:3].tolist()
        raise DesignError(f"option 'unit': column {unit!r} has missing ids (e.g. rows {rows}); every row "
                          "needs its unit.")


def unit_list(option: str, values: object, known: Iterable[object]) -> list[object]:
    """A list of unit ids that all occur in the data (``known``), each once."""
    if values is None:
        return []
    if isinstance(values, (str, int, np.integer)):
        values = [values]
    try:
        out = list(cast(Iterable[object], values))  # a non-iterable raises TypeError, turned into DesignError
    except TypeError:
        raise DesignError(f"option '{option}': expected a list of unit ids; got {values!r}.") from None
    known_set = set(known)
    missing = [u for u in out if u not in known_set]
    if missing:
        shown = ", ".join(map(repr, sorted(known_set, key=str)[:12]))
        raise DesignError(f"option '{option}': expected units that occur in the data; got {missing[:5]!r} "
                          f"which do not. Units in the data include {shown}.")
    dupes = sorted({str(u) for u in out if out.count(u) > 1})
    if dupes:
        raise DesignError(f"option '{option}': expected each unit once; got {dupes} more than once.")
    return out


def period_window(option: str, value: object, periods: np.ndarray) -> tuple[int, int]:
    """An inclusive (first, last) period window inside the data's periods."""
    if isinstance(value, (int, np.integer)):
        value = (value, value)
    try:
        # anything but a pair raises TypeError/ValueError, turned into DesignError below
        first_v, last_v = cast(tuple[Any, Any], value)
        first, last = int(first_v), int(last_v)
    except (TypeError, ValueError):
        raise DesignError(f"option '{option}': expected a (first, last) pair of periods; got {value!r}.") from None
    lo, hi = int(periods.min()), int(periods.max())
    if first > last:
        raise DesignError(f"option '{option}': expected first <= last; got ({first}, {last}).")
    if first < lo or last > hi:
        raise DesignError(f"option '{option}': expected periods within the data ({lo} to {hi}); got "
                          f"({first}, {last}). Choose a window the data cover.")
    if not np.any((periods >= first) & (periods <= last)):
        raise DesignError(f"option '{option}': no rows fall in the window ({first}, {last}).")
    return first, last


def _never(value: float) -> bool:
    return bool(np.isnan(value) or np.isinf(value) or value == 0)


def unit_starts(data: pd.DataFrame, unit: str, start: str | Mapping[object, object]) -> pd.Series:
    """First treated period per unit (float, NaN = never treated), from a column or a {unit: period} mapping.

    A start column must be constant within each unit; a mapping may leave out never-treated units.
    """
    units = pd.unique(data[unit])
    if isinstance(start, Mapping):
        unit_list("start", list(start.keys()), units)
        raw = pd.Series({u: start.get(u, np.nan) for u in units}, dtype=object)
        try:
            vals = raw.astype(float)
        except (TypeError, ValueError):
            raise DesignError("option 'start': expected numeric start periods (or None for never treated) in "
                              "the mapping.") from None
    elif isinstance(start, str):
        check_columns(data, start=start)
        col = numeric_column(data, start, "start", allow_missing=True)
        frame = pd.DataFrame({"u": data[unit].to_numpy(), "s": col})
        frame["s"] = frame["s"].fillna(0.0)
        n_values = frame.groupby("u", sort=False)["s"].nunique()
        bad = n_values.index[n_values > 1].tolist()
        if bad:
            raise DesignError(f"option 'start': expected one start period per unit (treatment is not switched "
                              f"off); got several in column {start!r} for units {bad[:5]!r}.")
        vals = frame.groupby("u", sort=False)["s"].first().reindex(units)
    else:
        raise DesignError(f"option 'start': expected a column name or a {{unit: start period}} mapping; got "
                          f"{start!r}.")
    out = vals.map(lambda x: np.nan if _never(float(x)) else float(x))
    nonint = out.dropna()
    if not np.all(nonint == np.round(nonint)):
        raise DesignError("option 'start': expected whole-number start periods on the scale of 'period'.")
    return out

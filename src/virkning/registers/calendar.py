"""Week and month arithmetic shared by readers and the panel.

Internally a week is an ordinal `wk` (weeks since ISO week 1970-W01, whose Monday is 1969-12-29) and a month is
an ordinal `mo` (year * 12 + month - 1), so windows are plain integer ranges. A week belongs to the month of its
Thursday: ISO weeks are numbered by their Thursday, so this is the only rule under which every week has exactly
one month and one ISO year consistently.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pyarrow as pa

EPOCH_MONDAY = dt.date(1969, 12, 29)  # Monday of ISO week 1970-W01
FIRST_YEAR, LAST_YEAR = 1985, 2060  # DREAM starts in 1991; a wide margin costs nothing

_ISO_WEEK = re.compile(r"^(\d{4})-?W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def week_table() -> pd.DataFrame:
    """Every ISO week from FIRST_YEAR to LAST_YEAR: yyyyww, wk, monday, thursday, mo (month of the Thursday)."""
    start = dt.date.fromisocalendar(FIRST_YEAR, 1, 1)
    stop = dt.date.fromisocalendar(LAST_YEAR, 52, 1)
    mondays = pd.date_range(start, stop, freq="7D")
    iso = mondays.isocalendar()
    thursdays = mondays + pd.Timedelta(days=3)
    return pd.DataFrame(
        {
            "yyyyww": (iso["year"].to_numpy() * 100 + iso["week"].to_numpy()).astype("int32"),
            "wk": ((mondays - pd.Timestamp(EPOCH_MONDAY)).days // 7).to_numpy().astype("int32"),
            "monday": mondays.date,
            "thursday": thursdays.date,
            "mo": (thursdays.year * 12 + thursdays.month - 1).to_numpy().astype("int32"),
        }
    )


def parse_week(value: str | int) -> int:
    """`2018-W05`, `2018W05` or `201805` -> wk ordinal. Raises ValueError for a week that does not exist."""
    if isinstance(value, (int, np.integer)):
        year, week = divmod(int(value), 100)
    else:
        m = _ISO_WEEK.match(str(value).strip())
        if m is None:
            if str(value).strip().isdigit() and len(str(value).strip()) == 6:
                year, week = divmod(int(value), 100)
            else:
                raise ValueError(f"'{value}' is not an ISO week (expected YYYY-Www or YYYYWW)")
        else:
            year, week = int(m.group(1)), int(m.group(2))
    monday = dt.date.fromisocalendar(year, week, 1)  # ValueError for week 53 in a 52-week year
    return (monday - EPOCH_MONDAY).days // 7


def week_label(wk: int) -> str:
    """wk ordinal -> `YYYY-Www`."""
    year, week = divmod(week_yyyyww(wk), 100)
    return f"{year}-W{week:02d}"


def week_yyyyww(wk: int) -> int:
    """wk ordinal -> the integer YYYYWW (DREAM's form)."""
    year, week, _ = week_monday(wk).isocalendar()
    return year * 100 + week


def week_monday(wk: int) -> dt.date:
    return EPOCH_MONDAY + dt.timedelta(weeks=int(wk))


def week_month(wk: int) -> int:
    """Month ordinal of the week's Thursday."""
    thursday = week_monday(wk) + dt.timedelta(days=3)
    return thursday.year * 12 + thursday.month - 1


def date_week(d: dt.date) -> int:
    return (d - EPOCH_MONDAY).days // 7


def date_month(d: dt.date) -> int:
    return d.year * 12 + d.month - 1


def parse_month(value: str) -> int:
    m = _MONTH.match(str(value).strip())
    if m is None or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"'{value}' is not a month (expected YYYY-MM)")
    return int(m.group(1)) * 12 + int(m.group(2)) - 1


def month_label(mo: int) -> str:
    year, month0 = divmod(int(mo), 12)
    return f"{year}-{month0 + 1:02d}"


# Vectorised forms for whole columns (risk sets have millions of person-weeks).
def week_mondays(wks) -> np.ndarray:
    """wk ordinals -> datetime64[D] Mondays."""
    return np.datetime64(EPOCH_MONDAY, "D") + 7 * np.asarray(wks, dtype=np.int64).astype("timedelta64[D]")


def _through_table(fn, values: np.ndarray):
    """fn(values) for an integer array (or dates, as days) of many values in a narrow range: fn over the range once,
    then each value looked up. numpy's conversions between days, months and years cost some 30 ns a value, and a
    pool's pairs are millions of values within a few hundred weeks or months. The same values as fn(values); fn
    returns an array or a tuple of arrays, each with one value per input value."""
    days = values.dtype.kind == "M"
    ints = values.view(np.int64) if days else values
    if len(values) < 10_000 or values.ndim != 1 or (days and np.isnat(values).any()):
        return fn(values)
    lo, hi = int(ints.min()), int(ints.max())
    if hi - lo >= len(values) // 8:
        return fn(values)
    out = fn(np.arange(lo, hi + 1, dtype=np.int64).astype(values.dtype, copy=False))
    tables = out if isinstance(out, tuple) else (out,)
    looked = [np.empty(len(values), dtype=t.dtype) for t in tables]
    # The positions in the table a block at a time, in one buffer: an index array as long as the values is a fresh
    # allocation of 8 bytes a value, and on a virtual machine each new page costs far more than the lookup (the ages
    # of a pool's 3.8 million pairs spent 0.2 s making it and 0.4 s in the lookups that read it).
    at = np.empty(min(len(values), _BLOCK), dtype=np.intp)
    for i in range(0, len(values), _BLOCK):
        j = min(i + _BLOCK, len(values))
        block = np.subtract(ints[i:j], lo, out=at[: j - i])
        for table, into in zip(tables, looked):
            np.take(table, block, out=into[i:j], mode="clip")  # in range by construction; "raise" would buffer
    return tuple(looked) if isinstance(out, tuple) else looked[0]


#: values looked up at a time by _through_table
_BLOCK = 1 << 16


def week_months(wks) -> np.ndarray:
    """wk ordinals -> month ordinals of their Thursdays."""
    return _through_table(_week_months, np.asarray(wks, dtype=np.int64))


def _week_months(wks: np.ndarray) -> np.ndarray:
    th = week_mondays(wks) + np.timedelta64(3, "D")
    months = th.astype("datetime64[M]").astype(np.int64)  # months since 1970-01
    return months + 1970 * 12


#: pandas' default text dtype (Arrow strings, missing values NaN): what a frame makes of an array of Python strings
TEXT = pd.StringDtype("pyarrow", na_value=np.nan)


def _distinct(values, label) -> tuple[np.ndarray, list[str]]:
    """Each value's code and one label per distinct value, shared by its rows; factorize hashes where np.unique
    would sort millions of pairs."""
    codes, uniq = pd.factorize(np.asarray(values, dtype=np.int64))
    return codes, [label(int(v)) for v in uniq]


def _as_column(codes: np.ndarray, labels: list[str]):
    """Pandas' text array of the labels, repeated in Arrow (a frame converts an array of Python strings to Arrow one
    string at a time: 15 times slower)."""
    return pd.array(pa.array(labels, type=pa.large_string()).take(pa.array(codes)), dtype=TEXT)


def week_labels(wks) -> np.ndarray:
    codes, labels = _distinct(wks, week_label)
    return np.array(labels, dtype=object)[codes]


def month_labels(mos) -> np.ndarray:
    codes, labels = _distinct(mos, month_label)
    return np.array(labels, dtype=object)[codes]


def week_label_column(wks):
    """`week_labels` as pandas' text array, for a frame's column."""
    return _as_column(*_distinct(wks, week_label))


def month_label_column(mos):
    """`month_labels` as pandas' text array, for a frame's column."""
    return _as_column(*_distinct(mos, month_label))


def date_weeks(dates) -> np.ndarray:
    d = np.asarray(dates, dtype="datetime64[D]")
    return ((d - np.datetime64(EPOCH_MONDAY, "D")).astype(np.int64)) // 7


def date_months(dates) -> np.ndarray:
    return _through_table(_date_months, np.asarray(dates, dtype="datetime64[D]"))


def _date_months(d: np.ndarray) -> np.ndarray:
    return d.astype("datetime64[M]").astype(np.int64) + 1970 * 12


def completed_years(birth, at) -> np.ndarray:
    """Age in completed years at dates `at` of persons born on `birth` (arrays of dates): the one age rule of the
    package (a person born on 29 February turns a year older on 1 March in common years). NaN where a date is
    missing."""
    b = np.asarray(birth, dtype="datetime64[D]")
    return years_since(*date_parts(b), np.isnat(b), at)


def date_parts(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(year, month * 100 + day) of dates (datetime64[D]; undefined where missing): what the age rule compares, so
    that a caller asking ages of the same persons again can keep its persons' parts (Store.ages)."""
    return _through_table(_date_parts, np.ascontiguousarray(d))


def _date_parts(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = d.astype("datetime64[Y]")
    m = d.astype("datetime64[M]")
    month = (m - y.astype("datetime64[M]")).astype(np.int64) + 1
    day = (d - m.astype("datetime64[D]")).astype(np.int64) + 1
    # narrow integers: a pool's millions of pairs then move a half and a quarter of the bytes (a month and day is at
    # most 1231)
    return (y.astype(np.int64) + 1970).astype(np.int32), (month * 100 + day).astype(np.int16)


def years_since(by: np.ndarray, bmd: np.ndarray, missing: np.ndarray, at) -> np.ndarray:
    """`completed_years` from the birth dates' parts (`date_parts`) and where they are missing: int32, or float
    with NaN when a birth date or a date of `at` is missing."""
    a = np.broadcast_to(np.asarray(at, dtype="datetime64[D]"), by.shape)
    ay, amd = date_parts(a)
    years = ay - by - (amd < bmd)
    missing = missing | np.isnat(a)
    if missing.any():
        return np.where(missing, np.nan, years)
    return years.astype(np.int32)


def month_first_days(mos) -> np.ndarray:
    """Month ordinals -> datetime64[D] of their first days."""
    return _through_table(_month_first_days, np.asarray(mos, dtype=np.int64))


def _month_first_days(mos: np.ndarray) -> np.ndarray:
    return (mos - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]")

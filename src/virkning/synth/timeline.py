"""The simulation's calendar: ISO weeks (with a burn-in before the register period) and calendar months.

A week belongs to the month of its Thursday, the rule the rest of the package uses; a week is in the register
period when its Thursday is. Days are counted from 1970-01-01 so that dates are plain integers in numpy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from virkning.errors import VirkningError

EPOCH = dt.date(1970, 1, 1)


def day_number(d: dt.date) -> int:
    return (d - EPOCH).days


def day_date(n: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(n))


def month_ordinal(d: dt.date) -> int:
    return d.year * 12 + d.month - 1


def month_label(mo: int) -> str:
    year, m0 = divmod(int(mo), 12)
    return f"{year}-{m0 + 1:02d}"


def parse_date(value: str | dt.date, name: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise VirkningError(f"{name}: '{value}' is not a date; write it as YYYY-MM-DD, e.g. 2015-01-01") from None


def thursdays_in_month(mo: int) -> int:
    year, m0 = divmod(mo, 12)
    first = dt.date(year, m0 + 1, 1)
    nxt = dt.date(year + (m0 + 1) // 12, (m0 + 1) % 12 + 1, 1)
    first_thu = first + dt.timedelta(days=(3 - first.weekday()) % 7)
    return (nxt - first_thu).days // 7 + ((nxt - first_thu).days % 7 > 0)


@dataclass(frozen=True)
class Timeline:
    """All simulated weeks; index 0 is the first burn-in week, `burn` is the first register week."""

    start: dt.date
    end: dt.date
    burn: int
    monday: np.ndarray  # int32 day numbers
    thursday: np.ndarray  # int32 day numbers
    yyyyww: np.ndarray  # int32 ISO year*100 + week
    week_month: np.ndarray  # int32 month ordinal of each week's Thursday
    months: np.ndarray  # int32 month ordinals of the register period, ascending
    month_first_week: np.ndarray  # index (into all weeks) of each register month's first week
    month_weeks: np.ndarray  # number of weeks of each register month inside the period
    month_thursdays: np.ndarray  # number of Thursdays of each calendar month (4 or 5): the rate's denominator

    @property
    def n_weeks(self) -> int:
        return len(self.monday)

    @property
    def n_register_weeks(self) -> int:
        return self.n_weeks - self.burn

    def week_of_day(self, day: int) -> int:
        """Index of the week containing day number `day`."""
        return int((day - int(self.monday[0])) // 7)

    def month_index(self, mo: int) -> int:
        """Position of month ordinal `mo` in `months`."""
        return int(mo - int(self.months[0]))


def build_timeline(start: dt.date, end: dt.date, burn_weeks: int) -> Timeline:
    if end < start:
        raise VirkningError(f"end ({end}) is before start ({start}); give an end date after the start date")
    # First register week: the ISO week whose Thursday is the first Thursday on or after start.
    first_thu = start + dt.timedelta(days=(3 - start.weekday()) % 7)
    last_thu = end - dt.timedelta(days=(end.weekday() - 3) % 7)
    if last_thu < first_thu:
        raise VirkningError(f"the period {start} to {end} holds no whole ISO week; give a longer period")
    n_reg = (last_thu - first_thu).days // 7 + 1
    first_monday = day_number(first_thu) - 3 - 7 * burn_weeks
    monday = (first_monday + 7 * np.arange(burn_weeks + n_reg)).astype(np.int32)
    thursday = monday + 3
    # Calendar fields of each Thursday (vectorised through datetime64).
    thu64 = thursday.astype("datetime64[D]")
    years = thu64.astype("datetime64[Y]").astype(np.int32) + 1970
    month0 = thu64.astype("datetime64[M]").astype(np.int32) % 12
    week_month = (years * 12 + month0).astype(np.int32)
    jan4 = (np.array([f"{y}-01-04" for y in range(years.min(), years.max() + 1)], dtype="datetime64[D]")
            .astype(np.int32))
    jan4_monday = jan4 - ((jan4 + 3) % 7)  # 1970-01-01 was a Thursday: weekday(Mon=0) = (day + 3) % 7
    iso_week = (thursday - jan4_monday[years - years.min()]) // 7 + 1
    yyyyww = (years * 100 + iso_week).astype(np.int32)
    reg_months = week_month[burn_weeks:]
    months, first = np.unique(reg_months, return_index=True)
    counts = np.diff(np.append(first, len(reg_months)))
    return Timeline(
        start=start,
        end=end,
        burn=burn_weeks,
        monday=monday,
        thursday=thursday.astype(np.int32),
        yyyyww=yyyyww,
        week_month=week_month,
        months=months.astype(np.int32),
        month_first_week=(first + burn_weeks).astype(np.int64),
        month_weeks=counts.astype(np.int32),
        month_thursdays=np.array([thursdays_in_month(int(m)) for m in months], dtype=np.int32),
    )

"""Discounting: a declared schedule of annual real rates by year since the base year, with its source.

The default is the Finance Ministry's recommended social discount rate: 3.5 % a year in years 0-35 and 2.5 % in
years 36-70 (Finansministeriet, "Dokumentationsnotat - den samfundsøkonomiske diskonteringsrente", 7 January
2021, which lowered the rates from 4 % and 3 %, in force since May 2013). Following that note, a flow in year t
is discounted at the rate of each year it passes through: factor(t) = prod_{k=1..t} 1 / (1 + r_k), so with the
default schedule a flow in year 40 gets 1.035^-35 x 1.025^-5. Year 0 (the base year, when the investment is made)
is not discounted; every flow of a year is treated as falling at that year's end relative to the base year's,
the usual convention of Danish business cases.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from virkning.errors import DesignError

FINANCE_MINISTRY_SOURCE = ("Finansministeriet, Dokumentationsnotat - den samfundsøkonomiske diskonteringsrente, "
                           "7. januar 2021: 3.5 % in years 0-35, 2.5 % in years 36-70")


@dataclass(frozen=True)
class DiscountSchedule:
    """Annual rates by period: ``periods`` are (first year, last year, rate) since the base year, contiguous
    from year 0 (or 1); a horizon beyond the last period is refused."""

    periods: tuple[tuple[int, int, float], ...]
    source: str

    def __post_init__(self) -> None:
        if not self.periods:
            raise DesignError("discount: expected at least one (first year, last year, rate) period; got none.")
        expected_first = None
        for first, last, rate in self.periods:
            if not (isinstance(first, int) and isinstance(last, int) and 0 <= first <= last):
                raise DesignError(f"discount: expected periods of whole years with 0 <= first <= last; got "
                                  f"({first!r}, {last!r}).")
            if expected_first is not None and first != expected_first:
                raise DesignError(f"discount: expected the period after year {expected_first - 1} to start in year "
                                  f"{expected_first}; got {first}. Periods must follow each other without gaps.")
            if not (isinstance(rate, (int, float)) and math.isfinite(rate) and -1 < rate < 1):
                raise DesignError(f"discount: expected an annual rate as a fraction between -1 and 1 (0.035 for "
                                  f"3.5 %); got {rate!r}.")
            expected_first = last + 1
        if self.periods[0][0] > 1:
            raise DesignError(f"discount: expected the first period to start in year 0 or 1; got "
                              f"{self.periods[0][0]}.")
        if not isinstance(self.source, str) or not self.source.strip():
            raise DesignError("discount: a discount rate must be declared with its source; got no source.")

    @classmethod
    def finance_ministry(cls) -> "DiscountSchedule":
        """3.5 % in years 0-35, 2.5 % in years 36-70 (Finansministeriet 2021)."""
        return cls(periods=((0, 35, 0.035), (36, 70, 0.025)), source=FINANCE_MINISTRY_SOURCE)

    @classmethod
    def constant(cls, rate: float, source: str, last_year: int = 100) -> "DiscountSchedule":
        """One rate for every year up to ``last_year`` (e.g. 0.04 with the Finance Ministry's 2013-2020 rule)."""
        return cls(periods=((0, int(last_year), float(rate)),), source=source)

    @classmethod
    def none(cls) -> "DiscountSchedule":
        """No discounting (nominal sums), as many municipal budget notes present them."""
        return cls(periods=((0, 1000, 0.0),), source="not discounted (rate 0)")

    @property
    def last_year(self) -> int:
        return self.periods[-1][1]

    def rate(self, k: int) -> float:
        for first, last, r in self.periods:
            if first <= k <= last:
                return float(r)
        raise DesignError(f"discount: no rate declared for year {k} after the base year; the schedule covers "
                          f"years {self.periods[0][0]}-{self.last_year}. Declare a schedule that covers the horizon.")

    def factors(self, years_since_base: Sequence[int]) -> np.ndarray:
        """Discount factors for years 0, 1, 2, ... since the base year (year 0 has factor 1)."""
        ks = [int(k) for k in years_since_base]
        if any(k < 0 for k in ks):
            raise DesignError(f"discount: expected years at or after the base year; got {min(ks)} years before it.")
        top = max(ks, default=0)
        cum = np.ones(top + 1)
        for k in range(1, top + 1):
            cum[k] = cum[k - 1] / (1.0 + self.rate(k))
        return cum[ks]

    def describe(self) -> str:
        if all(r == 0 for _, _, r in self.periods):
            return self.source
        parts = [f"{r * 100:g} % in years {a}-{b}" for a, b, r in self.periods]
        return "; ".join(parts) + f" ({self.source})"

    def to_dict(self) -> dict[str, object]:
        return {"periods": [list(p) for p in self.periods], "source": self.source}

"""The numbers behind a one-sentence summary of a business case, for a report template to put into words.

A sentence for a budget reader could read: "Over 2020-2021 the project costs DKK 9.8 m and saves DKK 11.8 m in
benefits (95 % interval 8.1 to 15.5 m), a net gain of DKK 2.0 m or DKK 1.20 back per krone; it has paid for
itself after 0.8 years, and the probability that it pays is 87 %." This module returns those numbers, never the
sentence: wording, language and rounding belong to the report.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from virkning.economics.case import BusinessCase
from virkning.errors import DesignError


@dataclass(frozen=True)
class SummaryNumbers:
    """Plain numbers (DKK, present values at the base year) of a business case's summary sentence."""

    first_year: int
    last_year: int
    base_year: int
    costs: float
    gross_savings: float
    savings_low: float | None
    savings_high: float | None
    level: float
    interval_method: str | None  # "bootstrap", "normal" or None (no uncertainty given)
    net_gain: float
    return_per_krone: float
    full_time_persons_per_year: float
    payback_years: float | None
    p_pays: float | None
    discounted: bool
    discount_description: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def summary_numbers(case: BusinessCase) -> SummaryNumbers:
    """The numbers of the summary sentence; the bootstrap interval and probability are used where draws exist."""
    if not isinstance(case, BusinessCase):
        raise DesignError(f"summary: expected a BusinessCase; got {type(case).__name__}.")
    if case.boot_p_pays is not None:
        assert case.boot_savings_ci is not None  # business_case sets it together with boot_p_pays
        method, (lo, hi), p = "bootstrap", case.boot_savings_ci, case.boot_p_pays
    elif case.p_pays is not None:
        method, (lo, hi), p = "normal", case.savings_ci, case.p_pays
    else:
        method, lo, hi, p = None, None, None, None
    n_years = case.horizon[1] - case.horizon[0] + 1
    discounted = any(r != 0 for _, _, r in case.discount.periods)
    return SummaryNumbers(
        first_year=case.horizon[0], last_year=case.horizon[1], base_year=case.base_year, costs=case.costs,
        gross_savings=case.gross_savings, savings_low=lo, savings_high=hi, level=case.level,
        interval_method=method, net_gain=case.net_gain, return_per_krone=case.return_per_krone,
        full_time_persons_per_year=case.full_time_person_years / n_years, payback_years=case.payback_years,
        p_pays=p, discounted=discounted, discount_description=case.discount.describe())

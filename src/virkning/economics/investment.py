"""The municipal investment model (seed 004, 735-739): invest in year 0, gain over the next years, and keep the
investment if it pays back within a declared window.

"Ved investeringsmodeller forstås investeringer i år 0, som forventes at give en økonomisk gevinst inden for en
årrække"; investments typically run two to three years, and in Aarhus they are made permanent "såfremt de giver
det budgetterede provenu over en 2-4-årig periode". Here that is a business case whose costs fall in year 0 (or
as declared) with the verdict: keep if the payback time is at most ``keep_within_years``, together with the
probability of that given the effect's uncertainty.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np

from virkning.economics.case import BusinessCase, RateSpec, business_case
from virkning.economics.costs import Costs
from virkning.economics.discount import DiscountSchedule
from virkning.economics.effect import Effect
from virkning.economics.rates import BenefitRates
from virkning.errors import DesignError


@dataclass(frozen=True, eq=False)
class InvestmentDecision:
    """Keep the investment if it pays back within ``keep_within_years`` from the start of year 0."""

    case: BusinessCase
    keep_within_years: int
    keep: bool
    p_keep: float | None  # P(payback within the window), normal approximation
    boot_p_keep: float | None

    def to_frame(self):
        return self.case.to_frame()

    def to_dict(self) -> dict[str, object]:
        return {"keep_within_years": self.keep_within_years, "keep": self.keep, "p_keep": self.p_keep,
                "boot_p_keep": self.boot_p_keep, "payback_years": self.case.payback_years,
                "case": self.case.to_dict()}

    def __repr__(self) -> str:
        pay = "no payback in the horizon" if self.case.payback_years is None else \
            f"payback {self.case.payback_years:.2f} years"
        p = "" if self.p_keep is None else f", P(payback within the window) {self.p_keep:.3f}"
        return (f"InvestmentDecision({'keep' if self.keep else 'stop'}: {pay}, window {self.keep_within_years} "
                f"years{p})")

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(repr(self))}</p>" + self.case._repr_html_()


def investment_decision(case: BusinessCase, keep_within_years: int = 4) -> InvestmentDecision:
    """The keep/stop verdict of an investment model for a business case whose year 0 is its base year."""
    if not isinstance(case, BusinessCase):
        raise DesignError(f"investment: expected a BusinessCase; got {type(case).__name__}.")
    n_max = case.horizon[1] - case.base_year + 1
    if isinstance(keep_within_years, bool) or not isinstance(keep_within_years, (int, np.integer)) \
            or not 1 <= keep_within_years <= n_max:
        raise DesignError(f"investment: expected keep_within_years from 1 to {n_max} (the horizon from year 0); got "
                          f"{keep_within_years!r}. The seed's municipalities use 2 to 4 years.")
    keep = case.payback_years is not None and case.payback_years <= keep_within_years + 1e-12
    return InvestmentDecision(case=case, keep_within_years=int(keep_within_years), keep=bool(keep),
                              p_keep=case.p_payback_within(int(keep_within_years)),
                              boot_p_keep=case.boot_p_payback_within(int(keep_within_years)))


def investment_model(investment: float, effect: Effect, rate: RateSpec, *, year0: int,
                     keep_within_years: int = 4, rates: BenefitRates | None = None, share: float = 1.0,
                     discount: DiscountSchedule | None = None, level: float = 0.95) -> InvestmentDecision:
    """Invest ``investment`` DKK in ``year0``; the effect's benefit weeks saved (over the following 2-3 years, as
    declared in ``effect``) repay it; keep the investment if it pays back within ``keep_within_years``."""
    if isinstance(year0, bool) or not isinstance(year0, (int, np.integer)):
        raise DesignError(f"investment: expected year0 as a calendar year; got {year0!r}.")
    if isinstance(keep_within_years, bool) or not isinstance(keep_within_years, (int, np.integer)) \
            or keep_within_years < 1:
        raise DesignError(f"investment: expected keep_within_years >= 1; got {keep_within_years!r}.")
    last = max(effect.years[1], int(year0) + int(keep_within_years) - 1)
    case = business_case(effect, rate, Costs.total({int(year0): investment}), horizon=(int(year0), last),
                         rates=rates, share=share, discount=discount, level=level)
    return investment_decision(case, keep_within_years)

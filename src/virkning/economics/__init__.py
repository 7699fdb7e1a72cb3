"""Business cases of employment interventions: pure numbers on plain inputs (no registers, no SQL).

- ``load_rates`` / ``BenefitRates``: public benefit rates by benefit type and year, with sources (user-replaceable);
- ``Effect``: benefit weeks saved (by hand, per participant, or from an estimate with its interval and draws);
- ``Costs``: a total budget or a cost per participant, by year;
- ``DiscountSchedule``: the Finance Ministry's 3.5 % (years 0-35) by default, or a declared rate;
- ``business_case``: gross savings, net gain, return per krone, break-even, payback, uncertainty;
- ``odense_savings``: benefits saved per citizen in the 13 weeks after the intervention;
- ``investment_model`` / ``investment_decision``: invest in year 0, keep if it pays back within 2-4 years;
- ``summary_numbers``: the numbers of a one-sentence summary.

See docs/business-case.md.
"""

from virkning.economics.case import BusinessCase, business_case
from virkning.economics.costs import Costs
from virkning.economics.discount import FINANCE_MINISTRY_SOURCE, DiscountSchedule
from virkning.economics.effect import Effect, EffectIntervalWarning, spread_profile
from virkning.economics.investment import InvestmentDecision, investment_decision, investment_model
from virkning.economics.odense import OdenseResult, odense_savings
from virkning.economics.rates import BenefitRates, RateTableError, load_rates
from virkning.economics.summary import SummaryNumbers, summary_numbers

__all__ = [
    "BenefitRates", "BusinessCase", "Costs", "DiscountSchedule", "Effect", "EffectIntervalWarning",
    "FINANCE_MINISTRY_SOURCE", "InvestmentDecision", "OdenseResult", "RateTableError", "SummaryNumbers",
    "business_case", "investment_decision", "investment_model", "load_rates", "odense_savings", "spread_profile",
    "summary_numbers",
]

"""The business case: benefit weeks saved x rate per week, against costs, over a declared horizon.

For each calendar year t of the horizon (t = base year + k):

- weeks saved w_t = theta x exposure_t (see ``effect.py``), full-time persons w_t / 52;
- saving per benefit week r_t = (published rate per week of the declared benefit type, or a declared rate) x the
  payer's ``share`` (1 = the whole benefit; a municipality's net share after state refunds is smaller);
- savings s_t = w_t r_t, costs c_t, net s_t - c_t, discount factor d_k (``discount.py``).

Totals are present values at the base year: gross savings S = sum s_t d_k = theta A with A = sum exposure_t r_t d_k,
costs C = sum c_t d_k, net gain S - C, return per krone S / C (kroner of benefits saved per krone spent), break-even
effect theta* = C / A (the effect at which the case just pays), break-even rate C / sum(w_t d_k) (the saving per
benefit week at which it just pays). Payback: costs fall at the start of their year and savings evenly through it;
the payback time is the first time the cumulative discounted net reaches 0, in years from the start of the base
year.

Uncertainty: S and S - C are linear in theta, so with theta ~ N(theta_hat, se^2) the interval of S is
(theta_hat -+ z se) A exactly, and P(the case pays) = P(theta A > C) = Phi((theta_hat A - C) / (se A)). With
bootstrap draws theta_b each draw gives S_b = theta_b A; the interval is the percentile interval and the
probability the share of draws with S_b > C. The rates and costs are taken as known.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from virkning.economics.costs import Costs
from virkning.economics.discount import DiscountSchedule
from virkning.economics.effect import WEEKS_PER_YEAR, Effect
from virkning.economics.rates import BenefitRates, load_rates
from virkning.errors import DesignError

RateSpec = str | Mapping[str, float] | Mapping[int, float] | float


def _horizon(horizon: object) -> tuple[int, int]:
    ok = (isinstance(horizon, (tuple, list)) and len(horizon) == 2
          and all(isinstance(y, (int, np.integer)) and not isinstance(y, bool) for y in horizon))
    if not ok or horizon[0] > horizon[1]:  # type: ignore[index]
        raise DesignError(f"business case: expected horizon as (first year, last year), like (2020, 2022); "
                          f"got {horizon!r}.")
    return int(horizon[0]), int(horizon[1])  # type: ignore[index]


def _rates(rate: object, years: list[int], rates: BenefitRates | None) -> tuple[np.ndarray, str]:
    """Rate per benefit week for each horizon year, and how it was declared."""
    if isinstance(rate, bool):
        raise DesignError(f"business case: expected rate as a benefit name, a mix, a mapping year -> rate per week or "
                          f"one rate per week; got {rate!r}.")
    if isinstance(rate, str):
        table = rates if rates is not None else load_rates()
        return table.weekly_series(rate, years).to_numpy(), f"{rate} (published rate per week, {_src(table)})"
    if isinstance(rate, (int, float, np.integer, np.floating)):
        r = float(rate)
        if not math.isfinite(r) or r < 0:
            raise DesignError(f"business case: expected a rate per week >= 0; got {rate!r}.")
        return np.full(len(years), r), f"declared {r:,.2f} DKK per benefit week"
    if isinstance(rate, Mapping) and rate:
        keys = list(rate)
        if all(isinstance(k, str) for k in keys):
            shares = {k: float(v) for k, v in rate.items()}
            if any(not math.isfinite(v) or v < 0 for v in shares.values()) or abs(sum(shares.values()) - 1) > 1e-9:
                raise DesignError(f"business case: expected a benefit mix with shares >= 0 that sum to 1; got "
                                  f"{shares} (sum {sum(shares.values()):g}).")
            table = rates if rates is not None else load_rates()
            total = sum(s * table.weekly_series(b, years).to_numpy() for b, s in shares.items())
            mix = ", ".join(f"{s:.0%} {b}" for b, s in shares.items())
            return np.asarray(total, dtype=float), f"mix of published rates per week: {mix} ({_src(table)})"
        if all(isinstance(k, (int, np.integer)) and not isinstance(k, bool) for k in keys):
            missing = [y for y in years if y not in rate]
            if missing:
                raise DesignError(f"business case: no rate per week declared for {', '.join(map(str, missing))}; "
                                  f"expected one for every year of the horizon {years[0]}-{years[-1]}; got years "
                                  f"{', '.join(map(str, sorted(rate)))}.")
            vals = np.array([float(rate[y]) for y in years])
            if not np.all(np.isfinite(vals)) or np.any(vals < 0):
                raise DesignError(f"business case: expected rates per week >= 0; got {dict(zip(years, vals))}.")
            return vals, "declared rate per week by year"
    raise DesignError(f"business case: expected rate as a benefit name (like 'dagpenge_max'), a mix like "
                      f"{{'dagpenge_max': 0.6, 'kontanthjaelp_30_andre': 0.4}}, a mapping year -> rate per week, or "
                      f"one rate per week; got {rate!r}.")


def _src(table: BenefitRates) -> str:
    return "shipped table" if len(table.sources) == 1 else "shipped table + " + ", ".join(table.sources[1:])


def _payback(pv_savings: np.ndarray, pv_costs: np.ndarray) -> float | None:
    """Years from the start of the base year until the cumulative discounted net first reaches 0 (costs at the
    start of each year, savings evenly through it), or None if it does not within the horizon."""
    cum, behind = 0.0, False
    for k, (s, c) in enumerate(zip(pv_savings, pv_costs)):
        cum -= c
        behind = behind or cum < 0
        if behind and cum < 0 and s > 0 and cum + s >= 0:
            return float(k + (-cum) / s)
        cum += s
    return 0.0 if not behind else None  # never behind: nothing was spent


@dataclass(frozen=True, eq=False)  # holds data frames and arrays
class BusinessCase:
    """A business case over a horizon: the table by year, present-value totals, break-even, payback, uncertainty.

    Money is in DKK; present values are at the base year. ``p_pays`` is the probability that the discounted net
    gain is positive given the effect's uncertainty (normal approximation); ``boot_*`` are the same from the
    effect's bootstrap draws (None without draws).
    """

    horizon: tuple[int, int]
    base_year: int
    level: float
    effect: Effect = field(repr=False)
    rate_description: str
    share: float
    discount: DiscountSchedule = field(repr=False)
    costs_description: str
    by_year: pd.DataFrame = field(repr=False)
    gross_savings: float
    costs: float
    net_gain: float
    nominal_savings: float
    nominal_costs: float
    return_per_krone: float
    break_even_effect: float
    break_even_rate_week: float
    payback_years: float | None
    weeks_saved: float
    full_time_person_years: float
    savings_se: float
    savings_ci: tuple[float, float]
    net_ci: tuple[float, float]
    p_pays: float | None
    boot_savings_ci: tuple[float, float] | None
    boot_net_ci: tuple[float, float] | None
    boot_p_pays: float | None
    n_draws: int
    _savings_per_unit: np.ndarray = field(repr=False)  # exposure_t r_t d_k, by horizon year
    _pv_costs: np.ndarray = field(repr=False)

    # ------------------------------------------------------------------ derived numbers
    @property
    def nominal_net(self) -> float:
        return self.nominal_savings - self.nominal_costs

    @property
    def net_return_per_krone(self) -> float:
        """Net gain per krone spent: return_per_krone - 1."""
        return self.return_per_krone - 1.0

    @property
    def payback_year(self) -> int | None:
        """Calendar year in which the case pays back (None if not within the horizon)."""
        if self.payback_years is None:
            return None
        return self.base_year + max(0, math.ceil(self.payback_years) - 1)

    def p_payback_within(self, years: int) -> float | None:
        """Probability that the cumulative discounted net is >= 0 after ``years`` full years from the start of the
        base year (normal approximation; None without uncertainty)."""
        n = _years_arg(years, self.horizon, self.base_year) - (self.horizon[0] - self.base_year)
        a, c = float(self._savings_per_unit[:max(n, 0)].sum()), float(self._pv_costs[:max(n, 0)].sum())
        return _p_above(self.effect.estimate, self.effect.se, a, c)

    def boot_p_payback_within(self, years: int) -> float | None:
        """As :meth:`p_payback_within`, from the bootstrap draws (None without draws)."""
        n = _years_arg(years, self.horizon, self.base_year) - (self.horizon[0] - self.base_year)
        if self.effect.draws is None:
            return None
        a, c = float(self._savings_per_unit[:max(n, 0)].sum()), float(self._pv_costs[:max(n, 0)].sum())
        return float(np.mean(self.effect.draws * a - c >= 0))

    # ------------------------------------------------------------------ plain data
    def to_frame(self) -> pd.DataFrame:
        """The table by year with a final 'total' row (sums; present values at the base year)."""
        t = self.by_year.copy()
        total: dict[str, object] = {c: t[c].sum() for c in ("weeks_saved", "full_time_persons", "savings", "cost", "net",
                                          "pv_savings", "pv_cost", "pv_net")}
        total.update(year="total", cumulative_pv_net=self.net_gain)
        t["year"] = t["year"].astype(object)
        return pd.concat([t, pd.DataFrame([total])], ignore_index=True)

    def to_dict(self) -> dict[str, object]:
        out = {k: v for k, v in self.__dict__.items() if not k.startswith("_") and k not in ("by_year", "effect",
                                                                                               "discount")}
        out.update(effect=self.effect.to_dict(), discount=self.discount.to_dict(),
                   by_year=self.by_year.to_dict(orient="records"), nominal_net=self.nominal_net,
                   net_return_per_krone=self.net_return_per_krone, payback_year=self.payback_year)
        return out

    def _lines(self) -> list[str]:
        pct = round(self.level * 100)
        a, b = self.horizon
        pay = "not within the horizon" if self.payback_years is None else f"{self.payback_years:.2f} years"
        lines = [f"Business case {a}-{b} (present values at {self.base_year}, DKK; discount: "
                 f"{self.discount.describe()})",
                 f"effect: {self.effect.estimate:.4g} {self.effect.unit} (SE {self.effect.se:.4g}); "
                 f"{self.weeks_saved:,.0f} benefit weeks = {self.full_time_person_years:,.1f} full-time person-years",
                 f"rate: {self.rate_description}; payer's share {self.share:g}",
                 f"costs {self.costs:,.0f}; gross savings {self.gross_savings:,.0f}; net gain {self.net_gain:,.0f}; "
                 f"return per krone {self.return_per_krone:.2f}",
                 f"break-even effect {self.break_even_effect:.4g} {self.effect.unit}; break-even saving "
                 f"{self.break_even_rate_week:,.2f} per benefit week; payback {pay}"]
        if self.p_pays is not None:
            lines.append(f"{pct}% interval of savings {self.savings_ci[0]:,.0f} to {self.savings_ci[1]:,.0f}, of net "
                         f"gain {self.net_ci[0]:,.0f} to {self.net_ci[1]:,.0f}; P(pays) {self.p_pays:.3f} (normal)")
        if self.boot_p_pays is not None:
            # business_case sets the bootstrap intervals and probability together
            assert self.boot_savings_ci is not None and self.boot_net_ci is not None
            lines.append(f"bootstrap ({self.n_draws} draws): savings {self.boot_savings_ci[0]:,.0f} to "
                         f"{self.boot_savings_ci[1]:,.0f}, net gain {self.boot_net_ci[0]:,.0f} to "
                         f"{self.boot_net_ci[1]:,.0f}; P(pays) {self.boot_p_pays:.3f}")
        return lines

    def __repr__(self) -> str:
        return (f"BusinessCase({self.horizon[0]}-{self.horizon[1]}, costs={self.costs:,.0f}, "
                f"gross_savings={self.gross_savings:,.0f}, net_gain={self.net_gain:,.0f}, "
                f"return_per_krone={self.return_per_krone:.2f}, p_pays="
                f"{'NA' if self.p_pays is None else f'{self.p_pays:.3f}'})")

    def __str__(self) -> str:
        return "\n".join(self._lines())

    def _repr_html_(self) -> str:
        head = "<br>".join(html.escape(x) for x in self._lines())
        return f"<p>{head}</p>" + self.to_frame().to_html(index=False, float_format=lambda v: f"{v:,.2f}",
                                                          na_rep="")


def _years_arg(years: object, horizon: tuple[int, int], base_year: int) -> int:
    n_max = horizon[1] - base_year + 1
    if isinstance(years, bool) or not isinstance(years, (int, np.integer)) or not 1 <= years <= n_max:
        raise DesignError(f"business case: expected a whole number of years from 1 to {n_max} (the horizon from "
                          f"the base year {base_year}); got {years!r}.")
    return int(years)


def _p_above(theta: float, se: float, a: float, c: float) -> float | None:
    """P(theta a - c >= 0) with theta ~ N(theta, se^2); None when there is no uncertainty."""
    from scipy import stats  # on first use: 0.3 s off the start-up of a command that never calls this
    if se <= 0:
        return None
    if a == 0:
        return float(-c >= 0)
    return float(stats.norm.cdf((theta * a - c) / (se * abs(a))))


def business_case(effect: Effect, rate: RateSpec, costs: Costs, *, horizon: tuple[int, int],
                  rates: BenefitRates | None = None, share: float = 1.0,
                  discount: DiscountSchedule | None = None, base_year: int | None = None,
                  level: float = 0.95) -> BusinessCase:
    """Gross savings, net gain, return per krone, break-even and payback of an effect on benefit weeks.

    rate: a benefit name of the rate table (``'dagpenge_max'``), a mix ``{'dagpenge_max': 0.7, ...}`` (shares
        summing to 1), a mapping year -> rate per week, or one rate per week (all declared, in DKK).
    rates: the rate table (default: the shipped one; see ``load_rates``).
    share: the fraction of each benefit krone that the payer saves (default 1: the whole benefit).
    discount: a ``DiscountSchedule`` (default: the Finance Ministry's 3.5 %); ``DiscountSchedule.none()`` gives
        nominal sums.
    base_year: year 0 of discounting (default: the first year of the horizon).
    """
    from scipy import stats  # on first use: 0.3 s off the start-up of a command that never calls this
    if not isinstance(effect, Effect):
        raise DesignError(f"business case: expected an Effect (Effect.per_participant, Effect.from_estimate or "
                          f"Effect.full_time_persons); got {type(effect).__name__}.")
    if not isinstance(costs, Costs):
        raise DesignError(f"business case: expected Costs (Costs.total or Costs.per_participant); got "
                          f"{type(costs).__name__}.")
    first, last = _horizon(horizon)
    years = list(range(first, last + 1))
    e_first, e_last = effect.years
    if e_first < first or e_last > last:
        raise DesignError(
            f"business case: the horizon {first}-{last} is shorter than the effect's follow-up, which has benefit "
            f"weeks saved in {e_first}-{e_last} ({effect.follow_up_weeks:g} weeks of follow-up); expected a horizon "
            f"covering {min(first, e_first)}-{max(last, e_last)}; got {first}-{last}. Extend the horizon (or shorten "
            "the follow-up the effect was estimated over).")
    outside = [y for y, c in costs.by_year.items() if (y < first or y > last) and c > 0]
    if outside:
        raise DesignError(f"business case: costs in {', '.join(map(str, outside))} fall outside the horizon "
                          f"{first}-{last}; expected every cost year inside the horizon.")
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1:
        raise DesignError(f"business case: expected share (the payer's fraction of each benefit krone) in (0, 1]; "
                          f"got {share!r}.")
    lv = float(level) if isinstance(level, (int, float)) and not isinstance(level, bool) else -1.0
    if not 0 < lv < 1:
        raise DesignError(f"business case: expected level between 0 and 1; got {level!r}.")
    base = first if base_year is None else base_year
    if isinstance(base, bool) or not isinstance(base, (int, np.integer)) or base > first:
        raise DesignError(f"business case: expected base_year to be a year at or before the horizon's first year "
                          f"{first}; got {base_year!r}.")
    schedule = DiscountSchedule.finance_ministry() if discount is None else discount
    if not isinstance(schedule, DiscountSchedule):
        raise DesignError(f"business case: expected discount as a DiscountSchedule; got {type(discount).__name__}.")
    if last - base > schedule.last_year:
        raise DesignError(f"business case: the horizon reaches year {last - base} after the base year {base}, beyond "
                          f"the discount schedule's last year {schedule.last_year}; declare a schedule that covers it.")

    rate_week, rate_desc = _rates(rate, years, rates)
    r = rate_week * float(share)
    d = schedule.factors([y - base for y in years])
    exposure = np.array([effect.exposure.get(y, 0.0) for y in years])
    cost = np.array([costs.by_year.get(y, 0.0) for y in years])
    weeks = effect.estimate * exposure
    savings = weeks * r
    per_unit = exposure * r * d
    pv_s, pv_c = savings * d, cost * d
    A, C = float(per_unit.sum()), float(pv_c.sum())
    S = effect.estimate * A
    table = pd.DataFrame({
        "year": years, "weeks_saved": weeks, "full_time_persons": weeks / WEEKS_PER_YEAR, "rate_week": r,
        "savings": savings, "cost": cost, "net": savings - cost, "discount_factor": d, "pv_savings": pv_s,
        "pv_cost": pv_c, "pv_net": pv_s - pv_c, "cumulative_pv_net": np.cumsum(pv_s - pv_c)})

    z = float(stats.norm.ppf(0.5 + lv / 2))
    se_s = effect.se * abs(A)
    s_ci = (S - z * se_s, S + z * se_s)
    boot = None
    if effect.draws is not None:
        sb = effect.draws * A
        q = np.quantile(sb, [(1 - lv) / 2, (1 + lv) / 2])
        boot = ((float(q[0]), float(q[1])), (float(q[0]) - C, float(q[1]) - C), float(np.mean(sb - C > 0)))
    w_pv = float((weeks * d).sum())
    payback = _payback(pv_s, pv_c)
    return BusinessCase(
        horizon=(first, last), base_year=int(base), level=lv, effect=effect, rate_description=rate_desc,
        share=float(share), discount=schedule, costs_description=costs.description, by_year=table,
        gross_savings=S, costs=C, net_gain=S - C, nominal_savings=float(savings.sum()),
        nominal_costs=float(cost.sum()), return_per_krone=S / C if C > 0 else math.inf,
        break_even_effect=C / A if A > 0 else math.inf,
        break_even_rate_week=C / w_pv if w_pv > 0 else math.inf,
        payback_years=None if payback is None else payback + (first - base), weeks_saved=float(weeks.sum()),
        full_time_person_years=float(weeks.sum()) / WEEKS_PER_YEAR, savings_se=se_s, savings_ci=s_ci,
        net_ci=(s_ci[0] - C, s_ci[1] - C), p_pays=_p_above(effect.estimate, effect.se, A, C),
        boot_savings_ci=None if boot is None else boot[0], boot_net_ci=None if boot is None else boot[1],
        boot_p_pays=None if boot is None else boot[2], n_draws=0 if effect.draws is None else len(effect.draws),
        _savings_per_unit=per_unit, _pv_costs=pv_c)

"""The business case against plain hand computations: timing, rates, discounting, break-even, payback, uncertainty,
plain-data views and located errors."""

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from virkning.economics import (BusinessCase, Costs, DiscountSchedule, Effect, EffectIntervalWarning,
                                business_case, investment_decision, investment_model, load_rates, spread_profile,
                                summary_numbers)
from virkning.errors import DesignError
from virkning.estimate.effects import EffectEstimate

RATES = load_rates()


def test_finance_ministry_schedule_and_factors():
    s = DiscountSchedule.finance_ministry()
    assert s.periods == ((0, 35, 0.035), (36, 70, 0.025))
    assert "3.5 % in years 0-35" in s.describe() and "Finansministeriet" in s.source
    f = s.factors([0, 1, 2, 35, 40, 70])
    assert f[0] == 1 and f[1] == pytest.approx(1 / 1.035) and f[2] == pytest.approx(1.035 ** -2)
    assert f[3] == pytest.approx(1.035 ** -35, rel=1e-12)
    assert f[4] == pytest.approx(1.035 ** -35 * 1.025 ** -5, rel=1e-12)
    with pytest.raises(DesignError, match="no rate declared for year 71"):
        s.factors([71])
    assert DiscountSchedule.constant(0.04, "FM 2013").factors([3])[0] == pytest.approx(1.04 ** -3)
    assert DiscountSchedule.none().factors([5])[0] == 1
    with pytest.raises(DesignError, match="declared with its source"):
        DiscountSchedule(periods=((0, 10, 0.03),), source=" ")
    with pytest.raises(DesignError, match="without gaps"):
        DiscountSchedule(periods=((0, 10, 0.03), (12, 20, 0.02)), source="x")


def test_spread_of_a_follow_up_over_calendar_years():
    assert spread_profile(52) == (1.0,)
    assert spread_profile(13) == (1.0,)
    assert spread_profile(104) == (0.5, 0.5)
    assert spread_profile(78) == pytest.approx((2 / 3, 1 / 3))
    e = Effect.per_participant(3.0, {2020: 100, 2021: 50}, follow_up_weeks=78)
    assert e.exposure == pytest.approx({2020: 200 / 3, 2021: 100 / 3 + 100 / 3, 2022: 50 / 3})
    assert e.years == (2020, 2022)
    p = Effect.per_participant(3.0, {2020: 100}, follow_up_weeks=104, profile=(0.8, 0.2))
    assert p.exposure == pytest.approx({2020: 80, 2021: 20})


def test_three_year_case_against_a_hand_computation():
    effect = Effect.per_participant(4.0, {2020: 300, 2021: 300}, se=1.0, follow_up_weeks=104)
    costs = Costs.per_participant(20_000, {2020: 300, 2021: 300}) + Costs.total({2020: 1_000_000})
    c = business_case(effect, "dagpenge_dimittend", costs, horizon=(2020, 2022), share=0.6)
    years = [2020, 2021, 2022]
    exposure = np.array([150, 300, 150])  # half of each cohort's 104 weeks in its start year, half the next
    r = np.array([13644, 13815, 13836]) * 12 / 52 * 0.6
    d = 1.035 ** -np.arange(3)
    cost = np.array([7_000_000, 6_000_000, 0])
    S, C = (4 * exposure * r * d).sum(), (cost * d).sum()
    assert c.gross_savings == pytest.approx(S, rel=1e-12)
    assert c.costs == pytest.approx(C, rel=1e-12)
    assert c.net_gain == pytest.approx(S - C, rel=1e-12)
    assert c.return_per_krone == pytest.approx(S / C, rel=1e-12)
    assert c.break_even_effect == pytest.approx(C / (exposure * r * d).sum(), rel=1e-12)
    assert c.break_even_rate_week == pytest.approx(C / (4 * exposure * d).sum(), rel=1e-12)
    assert c.nominal_savings == pytest.approx((4 * exposure * r).sum(), rel=1e-12)
    assert c.weeks_saved == 4 * 600 and c.full_time_person_years == pytest.approx(2400 / 52)
    assert list(c.by_year["year"]) == years
    # uncertainty: savings are theta x A, so the normal interval scales the effect's
    A = (exposure * r * d).sum()
    assert c.savings_se == pytest.approx(1.0 * A)
    assert c.savings_ci == pytest.approx((4 * A - 1.959964 * A, 4 * A + 1.959964 * A), rel=1e-6)
    assert c.p_pays == pytest.approx(stats.norm.cdf((4 * A - C) / A), rel=1e-12)


def test_probability_that_the_case_pays_against_monte_carlo():
    effect = Effect.per_participant(1.5, {2021: 500}, ci=(0.1, 2.9))
    c = business_case(effect, "dagpenge_max", Costs.total({2021: 3_000_000}), horizon=(2021, 2021))
    rng = np.random.default_rng(20240601)
    theta = rng.normal(1.5, effect.se, 1_000_000)
    net = theta * 500 * RATES.weekly("dagpenge_max", 2021) - 3_000_000
    assert c.p_pays == pytest.approx(np.mean(net > 0), abs=0.002)
    assert c.net_ci == pytest.approx(tuple(np.quantile(net, [0.025, 0.975])), rel=0.01)
    assert effect.se == pytest.approx(1.4 / 1.959964, rel=1e-6)


def test_bootstrap_draws_give_percentile_intervals_and_shares():
    draws = np.array([0.5, 1.0, 1.5, 2.0, 2.5, 3.0, -0.5, 1.2, 1.8, 2.2])
    effect = Effect.per_participant(1.5, {2021: 100}, se=0.9, draws=draws)
    c = business_case(effect, 1000.0, Costs.total({2021: 150_000}), horizon=(2021, 2021),
                      discount=DiscountSchedule.none(), level=0.9)
    sb = draws * 100 * 1000
    assert c.boot_savings_ci == pytest.approx(tuple(np.quantile(sb, [0.05, 0.95])))
    assert c.boot_net_ci == pytest.approx(tuple(np.quantile(sb, [0.05, 0.95]) - 150_000))
    assert c.boot_p_pays == pytest.approx(np.mean(sb > 150_000)) == 0.5
    assert c.n_draws == 10
    s = summary_numbers(c)
    assert s.interval_method == "bootstrap" and s.p_pays == 0.5 and s.savings_low == c.boot_savings_ci[0]


def test_effect_from_an_estimate_flips_the_sign_of_the_att():
    est = EffectEstimate(outcome="benefit_weeks", att=-2.0, se=0.5, ci_low=-2.98, ci_high=-1.02, treated_mean=20,
                         control_mean=22, n_treated=400, n_control=400, se_type="cluster", clusters=("subclass",),
                         n_clusters=(400,))
    e = Effect.from_estimate(est, {2020: 400}, draws=[-1.5, -2.5])
    assert e.estimate == 2.0 and e.se == pytest.approx(0.98 / 1.959964, rel=1e-6)
    assert list(e.draws) == [1.5, 2.5]
    with pytest.raises(DesignError, match="expected an estimate with att, ci_low, ci_high"):
        Effect.from_estimate(SimpleNamespace(att=1.0), {2020: 1})


def test_asymmetric_interval_warns():
    with pytest.warns(EffectIntervalWarning, match="not symmetric"):
        Effect.per_participant(2.0, {2020: 10}, ci=(1.5, 4.0))


def test_rate_specifications():
    e = Effect.full_time_persons(10, [2023, 2024])
    k = Costs.total({2023: 1.0})
    mix = business_case(e, {"dagpenge_max": 0.5, "kontanthjaelp_30_andre": 0.5}, k, horizon=(2023, 2024),
                        discount=DiscountSchedule.none())
    expect = [(RATES.weekly("dagpenge_max", y) + RATES.weekly("kontanthjaelp_30_andre", y)) / 2 for y in (2023, 2024)]
    assert list(mix.by_year["rate_week"]) == pytest.approx(expect)
    by_year = business_case(e, {2023: 100.0, 2024: 200.0}, k, horizon=(2023, 2024), discount=DiscountSchedule.none())
    assert by_year.gross_savings == pytest.approx(520 * 100 + 520 * 200)
    with pytest.raises(DesignError, match="shares >= 0 that sum to 1"):
        business_case(e, {"dagpenge_max": 0.5}, k, horizon=(2023, 2024))
    with pytest.raises(DesignError, match=r"no rate per week declared for 2024; expected one for every year"):
        business_case(e, {2023: 100.0}, k, horizon=(2023, 2024))


def test_payback_and_investment_model():
    # invest 1 m in 2022; 10 full-time persons a year in 2022-2024 at 1,000 DKK a week -> 520,000 a year
    e = Effect.full_time_persons(10, [2022, 2023, 2024], se=3.0)
    d = investment_model(1_000_000, e, 1000.0, year0=2022, keep_within_years=4, discount=DiscountSchedule.none())
    assert d.case.horizon == (2022, 2025)
    assert d.case.payback_years == pytest.approx(1 + 480_000 / 520_000) and d.case.payback_year == 2023
    assert d.keep
    # P(payback within 2 years) = P(theta x 104 weeks x 1,000 >= 1 m), theta in full-time persons a year
    assert d.case.p_payback_within(2) == pytest.approx(stats.norm.sf((1e6 / 1.04e5 - 10) / 3.0), rel=1e-9)
    assert d.p_keep == pytest.approx(stats.norm.sf((1e6 / 1.56e5 - 10) / 3.0), rel=1e-9)
    stop = investment_decision(d.case, 1)
    assert not stop.keep and "stop" in repr(stop)
    never = business_case(Effect.full_time_persons(1, [2022]), 1000.0, Costs.total({2022: 1e6}),
                          horizon=(2022, 2023))
    assert never.payback_years is None and never.payback_year is None
    with pytest.raises(DesignError, match="expected keep_within_years from 1 to 2"):
        investment_decision(never, 3)


def test_plain_data_views():
    e = Effect.per_participant(2.0, {2020: 100}, ci=(1.0, 3.0))
    c = business_case(e, "dagpenge_max", Costs.total({2020: 100_000}), horizon=(2020, 2021))
    assert isinstance(c, BusinessCase)
    f = c.to_frame()
    assert list(f["year"]) == [2020, 2021, "total"]
    assert f.iloc[-1]["pv_net"] == pytest.approx(c.net_gain)
    d = c.to_dict()
    assert d["gross_savings"] == c.gross_savings and d["discount"]["periods"][0] == [0, 35, 0.035]
    assert isinstance(d["by_year"], list) and "_savings_per_unit" not in d
    assert repr(c).startswith("BusinessCase(2020-2021, costs=100,000") and "p_pays=" in repr(c)
    assert "break-even effect" in str(c) and "<table" in c._repr_html_()
    with pytest.raises(Exception):
        c.net_gain = 0  # frozen
    assert pd.DataFrame([summary_numbers(c).to_dict()]).shape == (1, 16)
    assert "Effect(2 benefit weeks saved per participant" in repr(e) and "<table" in e._repr_html_()
    # everything a report writer needs is JSON-serialisable plain data
    json.dumps(c.to_dict()), json.dumps(summary_numbers(c).to_dict()), json.dumps(e.to_dict())
    json.dumps(investment_decision(c, 2).to_dict())
    assert Effect.full_time_persons(3, np.array([2021, 2020])).exposure == {2020: 52.0, 2021: 52.0}
    with pytest.raises(DesignError, match="expected the years the effect applies to"):
        Effect.full_time_persons(3, "2020")


# ---------------------------------------------------------------------- located errors (issue 15, bad input)
def test_rates_missing_for_a_year_in_the_horizon():
    e = Effect.full_time_persons(5, [2025])
    with pytest.raises(DesignError, match=r"no rate for 'dagpenge_max' in 2026 \(a year of the horizon\); expected "
                                          r"years the table has: 2015-2025; got 2025, 2026"):
        business_case(e, "dagpenge_max", Costs.total({2025: 1.0}), horizon=(2025, 2026))
    with pytest.raises(DesignError, match="no rate for 'kontanthjaelp_30_andre' in 2019, 2020"):
        business_case(Effect.full_time_persons(5, [2018]), "kontanthjaelp_30_andre", Costs.total({2018: 1.0}),
                      horizon=(2018, 2021))


def test_negative_costs():
    with pytest.raises(DesignError, match=r"expected amounts >= 0; got -5,000,000 DKK in by_year for 2021"):
        Costs.total({2020: 5e6, 2021: -5e6})
    with pytest.raises(DesignError, match=r"expected amounts >= 0; got -100 DKK in amount"):
        Costs.per_participant(-100, {2020: 10})
    with pytest.raises(DesignError, match="expected participants >= 0"):
        Effect.per_participant(1.0, {2020: -1})


def test_horizon_shorter_than_the_effects_follow_up():
    e = Effect.per_participant(2.0, {2020: 100}, follow_up_weeks=104)
    with pytest.raises(DesignError, match=r"the horizon 2020-2020 is shorter than the effect's follow-up, which has "
                                          r"benefit weeks saved in 2020-2021 \(104 weeks of follow-up\); expected a "
                                          r"horizon covering 2020-2021; got 2020-2020"):
        business_case(e, "dagpenge_max", Costs.total({2020: 1.0}), horizon=(2020, 2020))


def test_other_bad_input():
    e = Effect.full_time_persons(5, [2020])
    k = Costs.total({2020: 1.0})
    for kwargs, msg in [({"horizon": (2021, 2020)}, "expected horizon as"),
                        ({"horizon": (2020, 2020), "share": 1.5}, r"expected share .* in \(0, 1\]"),
                        ({"horizon": (2020, 2020), "base_year": 2021}, "expected base_year"),
                        ({"horizon": (2020, 2020), "level": 95}, "expected level between 0 and 1"),
                        ({"horizon": (2020, 2020), "discount": 0.035}, "expected discount as a DiscountSchedule")]:
        with pytest.raises(DesignError, match=msg):
            business_case(e, 1000.0, k, **kwargs)
    with pytest.raises(DesignError, match="costs in 2019 fall outside the horizon"):
        business_case(e, 1000.0, Costs.total({2019: 1.0}), horizon=(2020, 2020))
    with pytest.raises(DesignError, match="expected an Effect"):
        business_case(2.0, 1000.0, k, horizon=(2020, 2020))
    with pytest.raises(DesignError, match="expected ci low <= estimate <= ci high"):
        Effect.per_participant(2.0, {2020: 1}, ci=(2.5, 3.0))
    with pytest.raises(DesignError, match="as ci or as se; got both"):
        Effect.per_participant(2.0, {2020: 1}, ci=(1.0, 3.0), se=0.5)
    with pytest.raises(DesignError, match="at least 2 finite bootstrap draws"):
        Effect.per_participant(2.0, {2020: 1}, draws=[1.0, np.nan])
    with pytest.raises(DesignError, match="expected a rate per week >= 0"):
        business_case(e, -1.0, k, horizon=(2020, 2020))
    with pytest.raises(DesignError, match="horizon reaches year 80"):
        business_case(Effect.full_time_persons(5, [2100]), 1000.0, Costs.total({2020: 1.0}), horizon=(2020, 2100))

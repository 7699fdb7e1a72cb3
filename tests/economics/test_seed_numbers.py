"""Seed 004's business cases, reproduced exactly as the seed states them (Tabel 5.5, lines 745-747).

Odense: "investere 10,0 mio. kr. til et investeringsprojekt over to år i perioden 2020-2021. Forvaltningen
forventer at nedbringe det årlige antal fuldtidspersoner i målgruppen med 48, svarende til en ydelsesbesparelse på
6 mio. kr. årligt. Dermed er det forventningen, at projektet kan opnå en årlig nettogevinst på 1 mio. kr."

Aarhus, spor 1: "Der er afsat cirka 2,5 mio. kr. til 'Tidlig indsats' ... Forventes en effekt heraf på to ugers
tidligere beskæftigelse årligt, svarende til 38 helårspersoner årligt."

The seed states its figures undiscounted, so the reproductions use ``DiscountSchedule.none()``; the discounted
versions follow as a separate, hand-computed check.
"""

import pytest

from virkning.economics import (Costs, DiscountSchedule, Effect, business_case, investment_decision, load_rates,
                                summary_numbers)

# Odense's implied saving per full-time person: 6 m / 48 a year = 125,000 DKK a year = 2,403.85 DKK a week
ODENSE_RATE_YEAR = 6_000_000 / 48
ODENSE_RATE_WEEK = ODENSE_RATE_YEAR / 52


def odense(discount=None):
    return business_case(Effect.full_time_persons(48, years=[2020, 2021]), ODENSE_RATE_WEEK,
                         Costs.total({2020: 5_000_000, 2021: 5_000_000}), horizon=(2020, 2021),
                         discount=DiscountSchedule.none() if discount is None else discount)


def test_odense_implied_rate_per_full_time_person():
    assert ODENSE_RATE_YEAR == 125_000
    assert ODENSE_RATE_WEEK == pytest.approx(2403.846153846, abs=1e-8)
    # a net municipal figure, well below the gross public rates of 2020 a full-time person receives in a year
    rates = load_rates()
    top = rates.weekly("dagpenge_max", 2020) * 52
    assert top == pytest.approx(19083 * 12)  # 228,996 DKK a year
    assert ODENSE_RATE_YEAR / top == pytest.approx(0.54586, abs=1e-5)
    assert ODENSE_RATE_YEAR / (rates.weekly("dagpenge_dimittend", 2020) * 52) == pytest.approx(0.76346, abs=1e-5)


def test_odense_reproduces_the_seed():
    c = odense()
    t = c.by_year.set_index("year")
    assert c.nominal_costs == 10_000_000                             # 10.0 m over 2020-21
    assert list(t["full_time_persons"]) == [48, 48]                  # 48 fewer full-time persons a year
    assert list(t["savings"]) == pytest.approx([6_000_000] * 2, abs=1e-6)  # = 6 m a year
    assert list(t["net"]) == pytest.approx([1_000_000] * 2, abs=1e-6)      # net gain 1 m a year
    assert c.net_gain == pytest.approx(2_000_000, abs=1e-6)
    assert c.return_per_krone == pytest.approx(1.2)
    assert c.break_even_effect == pytest.approx(10_000_000 / 6_000_000 * 48 / 2)  # 40 full-time persons a year
    # costs at the start of the year, savings through it: 5 m repaid after 5/6 of 2020
    assert c.payback_years == pytest.approx(5 / 6) and c.payback_year == 2020
    assert investment_decision(c, 2).keep


def test_odense_discounted_at_the_finance_ministry_rate():
    c = odense(DiscountSchedule.finance_ministry())
    d1 = 1 / 1.035
    assert c.gross_savings == pytest.approx(6e6 * (1 + d1), rel=1e-12)
    assert c.costs == pytest.approx(5e6 * (1 + d1), rel=1e-12)
    assert c.net_gain == pytest.approx(1e6 * (1 + d1), rel=1e-12)   # 1,966,184
    assert round(c.net_gain) == 1_966_184


def aarhus(participants=988, horizon=(2019, 2019)):
    return Effect.per_participant(2.0, {2019: participants}), Costs.total({2019: 2_500_000}), horizon


def test_aarhus_spor1_two_weeks_is_38_full_time_persons():
    # 38 helårspersoner x 52 weeks / 2 weeks each = 988 participants a year
    assert 38 * 52 / 2 == 988
    effect, _, _ = aarhus()
    assert effect.full_time_persons_saved()[2019] == pytest.approx(38.0, abs=1e-12)
    assert effect.weeks_saved()[2019] == pytest.approx(1976.0)


def test_aarhus_spor1_implied_rate_per_full_time_person():
    """2.5 m for 38 helårspersoner: if the 2.5 m buys one year of the effect, it breaks even at 65,789 DKK per
    full-time person (1,265.18 a week); if it covers both years of the 2019-20 model (38 a year each), at half that."""
    effect, costs, horizon = aarhus()
    one = business_case(effect, 1.0, costs, horizon=horizon, discount=DiscountSchedule.none())
    assert 2_500_000 / 38 == pytest.approx(65_789.47, abs=0.01)
    assert one.break_even_rate_week == pytest.approx(2_500_000 / 38 / 52, rel=1e-12)  # 1,265.18
    assert round(one.break_even_rate_week, 2) == 1265.18
    two_years = Effect.per_participant(2.0, {2019: 988, 2020: 988})
    both = business_case(two_years, 1.0, costs, horizon=(2019, 2020), discount=DiscountSchedule.none())
    assert both.break_even_rate_week * 52 == pytest.approx(32_894.74, abs=0.01)
    # at the published highest dagpenge rate of 2019 (gross, before any state refund) the year returns 3.44 per krone
    at_max = business_case(effect, "dagpenge_max", costs, horizon=horizon, discount=DiscountSchedule.none())
    assert at_max.gross_savings == pytest.approx(38 * 18866 * 12, rel=1e-12)   # 8,602,896
    assert at_max.return_per_krone == pytest.approx(38 * 18866 * 12 / 2.5e6, rel=1e-12)


def test_summary_numbers_for_odense():
    s = summary_numbers(odense())
    assert (s.first_year, s.last_year, s.costs, s.net_gain) == (2020, 2021, 10_000_000, pytest.approx(2e6))
    assert s.full_time_persons_per_year == 48 and s.p_pays is None and s.interval_method is None
    assert s.discounted is False and s.to_dict()["return_per_krone"] == pytest.approx(1.2)

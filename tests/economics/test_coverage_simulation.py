"""Simulation with a known truth: the interval of the savings covers the true savings at the nominal rate, with the
normal approximation and with bootstrap draws, and P(the case pays) is calibrated when the truth is break-even.

Each replication draws a treated and a control group's benefit weeks over a 52-week follow-up (binomial, so
bounded like real DREAM counts) with a true effect of exactly 2 weeks saved per participant, estimates the effect
as the difference in means with its Welch standard error (or a stratified bootstrap), and feeds it to
``business_case``. The true savings are 2 weeks x 400 participants x the published 2020 dagpenge rate per week.
"""

import numpy as np
import pytest
from scipy import stats

from virkning.economics import Costs, Effect, business_case, load_rates

RATES = load_rates()
N, WEEKS, P_C, THETA = 400, 52, 0.45, 2.0
TRUE_SAVINGS = THETA * N * RATES.weekly("dagpenge_max", 2020)


def _sample(rng, reps):
    yc = rng.binomial(WEEKS, P_C, size=(reps, N)).astype(float)
    yt = rng.binomial(WEEKS, P_C - THETA / WEEKS, size=(reps, N)).astype(float)
    return yt, yc


def _case(theta, cost, level=0.95, **kw):
    return business_case(Effect.per_participant(theta, {2020: N}, **kw), "dagpenge_max", Costs.total({2020: cost}),
                         horizon=(2020, 2020), rates=RATES, level=level)


def test_normal_interval_covers_the_truth_at_the_nominal_rate():
    rng = np.random.default_rng(15001)
    reps = 1000
    yt, yc = _sample(rng, reps)
    est = yc.mean(1) - yt.mean(1)
    se = np.sqrt(yt.var(1, ddof=1) / N + yc.var(1, ddof=1) / N)
    hits, p_pays = 0, []
    for e, s in zip(est, se):
        c = _case(e, TRUE_SAVINGS, ci=(e - 1.959964 * s, e + 1.959964 * s))
        hits += c.savings_ci[0] <= TRUE_SAVINGS <= c.savings_ci[1]
        p_pays.append(c.p_pays)
    coverage = hits / reps
    # binomial sd at 95 % with 1,000 replications is 0.0069: 3.5 sd either side
    assert 0.926 <= coverage <= 0.974, coverage
    # the truth is break-even (cost = true savings): P(pays) is then uniform on (0, 1)
    p = np.array(p_pays)
    assert abs(p.mean() - 0.5) < 0.03, p.mean()
    assert 0.03 <= np.mean(p > 0.95) <= 0.07  # "pays with 95 % probability" wrongly claimed at the nominal 5 %


def test_bootstrap_interval_covers_the_truth_at_the_nominal_rate():
    rng = np.random.default_rng(15002)
    reps, boots = 300, 400
    yt, yc = _sample(rng, reps)
    hits, above = 0, 0
    for t, c in zip(yt, yc):
        it = rng.integers(0, N, size=(boots, N))
        ic = rng.integers(0, N, size=(boots, N))
        draws = c[ic].mean(1) - t[it].mean(1)
        case = _case(c.mean() - t.mean(), 0.8 * TRUE_SAVINGS, draws=draws)
        hits += case.boot_savings_ci[0] <= TRUE_SAVINGS <= case.boot_savings_ci[1]
        above += case.boot_p_pays
    coverage = hits / reps
    # binomial sd at 95 % with 300 replications is 0.0126; percentile intervals run slightly narrow
    assert 0.91 <= coverage <= 0.985, coverage
    # the case truly pays (cost 80 % of the true savings, break-even at 1.6 weeks): with theta_hat ~ N(2, se^2) the
    # average P(pays) is E[Phi((theta_hat - 1.6) / se)] = Phi(0.4 / (se sqrt 2)) = 0.87
    se = np.sqrt(WEEKS * (P_C * (1 - P_C) + (P_C - THETA / WEEKS) * (1 - P_C + THETA / WEEKS)) / N)
    expected = stats.norm.cdf(0.4 / (se * np.sqrt(2)))
    assert expected == pytest.approx(0.87, abs=0.01)
    assert abs(above / reps - expected) < 0.03


@pytest.mark.parametrize("level", [0.8, 0.9])
def test_coverage_at_other_levels(level):
    rng = np.random.default_rng(15003)
    reps = 600
    yt, yc = _sample(rng, reps)
    est = yc.mean(1) - yt.mean(1)
    se = np.sqrt(yt.var(1, ddof=1) / N + yc.var(1, ddof=1) / N)
    hits = sum(lo <= TRUE_SAVINGS <= hi for lo, hi in
               (_case(e, 1.0, se=s, level=level).savings_ci for e, s in zip(est, se)))
    sd = np.sqrt(level * (1 - level) / reps)
    assert abs(hits / reps - level) < 3.5 * sd

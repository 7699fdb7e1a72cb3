"""Rosenbaum bounds against Rosenbaum's own R functions (documented as reproducing his books' and papers' tables),
brute-force enumeration of the sensitivity model, and simulations with a known hidden bias.

References (tests/reference/sensitivity, made by make_reference.R; see its README):
- DOS2::senWilcox / senWilcoxExact: welders (Werfel et al. 1998; Design of Observational Studies, 2nd ed.,
  sec. 3.5, 3.9, Table 3.3) and lead (Morton et al. 1982; Observational Studies, 2nd ed., sec. 4.3);
- sensitivitymv::senmv: Rosenbaum (2007) Table 1 and sec. 4.3, Rosenbaum (2013) Table 1, NHANES mercury;
- sensitivity2x2xk::mh / mhLS: Hammond's smoking pairs (Observational Studies, p. 112), 1:k binary sets,
  Satagopan et al. (2001) strata.
"""

from __future__ import annotations

import itertools
import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import virkning
from virkning.errors import DesignError
from virkning.estimate import (CovariateBenchmark, RosenbaumBounds, SensitivityWarning, amplify, bounds_for_sets,
                               covariate_benchmark, rosenbaum_bounds, sensitivity_numbers)
from virkning.estimate.rosenbaum import MTest, matched_sets

REF = Path(__file__).resolve().parents[1] / "reference" / "sensitivity"
R = json.loads((REF / "reference.json").read_text())
# R's p-values are 1 - pnorm(x) or FFT convolutions: relative precision holds down to about 1e-12
TOL = {"rel": 1e-8, "abs": 1e-13}


def pairs(treated, control):
    n = len(treated)
    return np.repeat(np.arange(n), 2), np.tile([1, 0], n), np.column_stack([treated, control]).ravel()


def wide(frame: pd.DataFrame):
    """Long arrays from a wide file: column 'treated' then controls; empty cells are absent controls."""
    a = frame.to_numpy(float)
    n, k = a.shape
    s, t, y = np.repeat(np.arange(n), k), np.tile([1] + [0] * (k - 1), n), a.ravel()
    keep = ~np.isnan(y)
    return s[keep], t[keep], y[keep]


WERFEL = pd.read_csv(REF / "werfel.csv")
LEAD = pd.read_csv(REF / "lead.csv")


# --------------------------------------------------------------------------- signed rank (pairs)
def test_welders_signed_rank_normal_and_exact_equal_dos2():
    ref = R["werfel_signed_rank"]
    s, t, y = pairs(WERFEL["welder"], WERFEL["control"])
    normal = bounds_for_sets(s, t, y, gamma=ref["gamma"])
    assert normal.test == "signed_rank" and normal.method == "normal" and normal.alternative == "greater"
    assert normal.p_upper == pytest.approx(ref["normal"], **TOL)
    exact = bounds_for_sets(s, t, y, method="exact", gamma=ref["gamma"])
    assert exact.p_upper == pytest.approx(ref["exact"], **TOL)
    # DOS sec. 3.5 / 3.9, rounded: approximate bound 0.018 at Gamma 3, exact bound 0.00064 at Gamma 2
    assert round(normal.p_upper[ref["gamma"].index(3)], 3) == 0.018
    assert round(exact.p_upper[ref["gamma"].index(2)], 5) == 0.00064


def test_welders_exact_interval_endpoint_of_dos_table_3_3():
    """The one-sided 95 % interval at Gamma 3 starts between 0.0935 and 0.0936 (shift the treated outcome)."""
    s, t, y = pairs(WERFEL["welder"], WERFEL["control"])
    ps = []
    for tau in (0.0935, 0.0936):
        b = bounds_for_sets(s, t, y - tau * t, method="exact", gamma=3, alternative="greater")
        ps.append(b.p_upper[0])
    ref = R["werfel_signed_rank"]
    assert ps == pytest.approx([ref["exact_shift_0935"], ref["exact_shift_0936"]], **TOL)
    assert ps[0] < 0.05 < ps[1]


def test_lead_signed_rank_equals_dos2_and_rounded_values():
    ref = R["lead_signed_rank"]
    s, t, y = pairs(LEAD["exposed"], LEAD["control"])
    b = bounds_for_sets(s, t, y, gamma=ref["gamma"])
    assert b.p_upper == pytest.approx(ref["normal"], **TOL)
    # Observational Studies (2nd ed.), sec. 4.3, rounded to four decimals, Gamma 2, 3, 4 (zeros as Pratt)
    shown = dict(zip(ref["gamma"], [round(p, 4) for p in b.p_upper]))
    assert (shown[2], shown[3], shown[4]) == (0.0018, 0.0136, 0.0388)
    assert b.n_informative == 32 and b.n_sets == 33  # one pair has a zero difference
    assert 4.25 < b.gamma_critical < 4.5
    # Wilcoxon's convention drops the zero before ranking and gives smaller bounds
    w = bounds_for_sets(s, t, y, gamma=ref["gamma"], zero_method="wilcox")
    assert all(a < c for a, c in zip(w.p_upper[1:], b.p_upper[1:]))


# --------------------------------------------------------------------------- M-statistics (1:k sets)
M_CASES = {
    "m_werfel_trim1": ("werfel", {"trim": 1}),
    "m_werfel_default": ("werfel", {}),
    "m_werfel_inner": ("werfel", {"inner": 0.5}),
    "m_tbmetaphase_trim1": ("tbmetaphase", {"trim": 1}),
    "m_mercury_default": ("mercury", {}),
    "m_mercury_inner": ("mercury", {"inner": 0.5}),
    "m_lead150_trim2": ("lead150", {"trim": 2}),
}


@pytest.mark.parametrize("case", sorted(M_CASES))
def test_m_statistic_equals_senmv(case):
    data, kw = M_CASES[case]
    ref = R[case]
    s, t, y = pairs(WERFEL["welder"], WERFEL["control"]) if data == "werfel" else wide(pd.read_csv(REF / f"{data}.csv"))
    b = bounds_for_sets(s, t, y, test="m", gamma=ref["gamma"], alternative="greater", **kw)
    assert b.statistic == pytest.approx(ref["statistic"][0], rel=1e-12)
    assert b.expectation == pytest.approx(ref["expectation"], rel=1e-12, abs=1e-12)
    assert b.variance == pytest.approx(ref["variance"], rel=1e-12)
    assert b.p_upper == pytest.approx(ref["pval"], rel=1e-8, abs=1e-15)


def test_tbmetaphase_has_variable_set_sizes_and_ties():
    s, t, y = wide(pd.read_csv(REF / "tbmetaphase.csv"))
    b = bounds_for_sets(s, t, y, gamma=2, trim=1)
    assert b.test == "m" and b.set_sizes == ((2, 10), (3, 5))


# --------------------------------------------------------------------------- binary outcomes
def binary_arrays(case: str):
    if case == "binary_sets":
        d = pd.read_csv(REF / "binary_sets.csv")
        return d["set"].to_numpy(), d["treated"].to_numpy(), d["y"].to_numpy()
    if case == "hammond":  # 122 discordant pairs plus 300 concordant ones (150 with two deaths), which add constants
        t_died = np.r_[np.ones(110), np.zeros(12), np.ones(150), np.zeros(150)]
        c_died = np.r_[np.zeros(110), np.ones(12), np.ones(150), np.zeros(150)]
        return pairs(t_died, c_died)
    # Satagopan et al. (2001) 2 x 2 x 2 table as units: stratum, mutation (treated), breast cancer (outcome)
    rows = []
    for stratum, (t1, c1, t0, c0) in enumerate([(18, 51, 11, 673), (39, 652, 21, 2699)]):
        for treat, y, k in ((1, 1, t1), (0, 1, c1), (1, 0, t0), (0, 0, c0)):
            rows += [(stratum, treat, y)] * k
    a = np.array(rows)
    return a[:, 0], a[:, 1], a[:, 2]


@pytest.mark.parametrize("case", ["hammond", "binary_sets", "satagopan"])
def test_binary_bounds_equal_sensitivity2x2xk(case):
    ref = R[case]
    s, t, y = binary_arrays(case)
    ex = bounds_for_sets(s, t, y, gamma=ref["gamma"], alternative="greater")
    assert ex.test == "binary" and ex.method == "exact"
    const = 150 if case == "hammond" else 0  # treated deaths in concordant pairs
    assert ex.statistic == ref["statistic"] + const
    assert ex.p_upper == pytest.approx(ref["exact_upper"], rel=1e-9, abs=1e-14)
    assert ex.p_lower == pytest.approx(ref["exact_lower"], rel=1e-6, abs=1e-14)
    # BiasedUrn's meanFNCHypergeo / varFNCHypergeo (behind mhLS) work to a relative precision of 1e-7
    assert np.array(ex.expectation) - const == pytest.approx(ref["expectation"], rel=1e-8)
    assert ex.variance == pytest.approx(ref["variance"], rel=1e-7)
    no = bounds_for_sets(s, t, y, gamma=ref["gamma"], method="normal", alternative="greater")
    assert no.p_upper == pytest.approx(ref["normal_upper"], rel=1e-6, abs=1e-14)


def test_mcnemar_pairs_are_binomial():
    """For pairs the exact bound is the binomial tail over discordant pairs with p = Gamma / (1 + Gamma)."""
    from scipy.stats import binom
    s, t, y = binary_arrays("hammond")
    b = bounds_for_sets(s, t, y, gamma=[1, 2, 4, 5, 6])
    for g, pu, pl in zip(b.gamma, b.p_upper, b.p_lower):
        assert pu == pytest.approx(binom.sf(109, 122, g / (1 + g)), rel=1e-10)
        assert pl == pytest.approx(binom.sf(109, 122, 1 / (1 + g)), rel=1e-10)
    assert b.n_informative == 122 and b.n_sets == 422
    assert binom.sf(109, 122, b.gamma_critical / (1 + b.gamma_critical)) == pytest.approx(0.05, rel=1e-9)


# --------------------------------------------------------------------------- brute force over the model
def brute_force_tail(sets: list[list[tuple[int, float]]], stat, t_obs: float, gamma: float) -> tuple[float, float]:
    """max and min over every u in {0,1}^N of P_u(T >= t_obs), enumerating all treatment assignments that keep
    each set's number of treated; P(assignment) proportional to gamma ** (sum of u over the treated)."""
    units = [(si, j) for si, st in enumerate(sets) for j in range(len(st))]
    pos = {u: i for i, u in enumerate(units)}
    per_set = []
    for si, st in enumerate(sets):
        m = sum(tr for tr, _ in st)
        per_set.append([c for c in itertools.combinations(range(len(st)), m)])
    combos = list(itertools.product(*per_set))
    T = np.array([stat([(si, c) for si, c in enumerate(combo)]) for combo in combos])
    ind = np.zeros((len(combos), len(units)))
    for k, combo in enumerate(combos):
        for si, c in enumerate(combo):
            for j in c:
                ind[k, pos[(si, j)]] = 1
    U = np.array(list(itertools.product([0, 1], repeat=len(units))), dtype=float)
    logw = (U @ ind.T) * math.log(gamma)  # (u vectors, combos); sets are independent so this normalises jointly
    w = np.exp(logw - logw.max(axis=1, keepdims=True))
    p = (w * (T >= t_obs - 1e-9)).sum(axis=1) / w.sum(axis=1)
    return float(p.max()), float(p.min())


def to_arrays(sets):
    s, t, y = [], [], []
    for si, st in enumerate(sets):
        for tr, yy in st:
            s.append(si), t.append(tr), y.append(yy)
    return np.array(s), np.array(t), np.array(y, dtype=float)


@pytest.mark.parametrize("gamma", [1.0, 1.7, 3.0])
def test_binary_exact_bounds_are_the_extremes_over_all_hidden_u(gamma):
    sets = [[(1, 1), (0, 0), (0, 1)], [(1, 0), (0, 1)], [(1, 1), (0, 0), (0, 0)], [(1, 1), (1, 0), (0, 1), (0, 0)]]

    def stat(assign):
        return sum(sets[si][j][1] for si, c in assign for j in c)

    s, t, y = to_arrays(sets)
    b = bounds_for_sets(s, t, y, gamma=gamma, alternative="greater")
    hi, lo = brute_force_tail(sets, stat, b.statistic, gamma)
    assert b.p_upper[0] == pytest.approx(hi, rel=1e-10)
    assert b.p_lower[0] == pytest.approx(lo, rel=1e-10)


@pytest.mark.parametrize("gamma", [1.0, 2.0, 3.5])
def test_signed_rank_exact_bounds_are_the_extremes_over_all_hidden_u(gamma):
    d_pairs = [(5.0, 1.0), (2.0, 2.0), (0.5, 3.0), (7.0, 4.0), (1.0, -2.0)]  # a zero and a tie in |d|
    sets = [[(1, a), (0, b)] for a, b in d_pairs]
    s, t, y = to_arrays(sets)
    d = np.array([a - b for a, b in d_pairs])
    from scipy.stats import rankdata
    q = rankdata(np.abs(d))
    q[d == 0] = 0  # Pratt

    def stat(assign):  # the signed-rank statistic of the pairs' differences under this assignment
        return sum(q[si] * ((d[si] if c == (0,) else -d[si]) > 0) for si, c in assign)

    b = bounds_for_sets(s, t, y, gamma=gamma, method="exact", test="signed_rank")
    hi, lo = brute_force_tail(sets, stat, b.statistic, gamma)
    assert b.p_upper[0] == pytest.approx(hi, rel=1e-10)
    assert b.p_lower[0] == pytest.approx(lo, rel=1e-10)


def test_m_statistic_expectation_is_the_maximum_over_all_hidden_u():
    """The separable approximation's expectation is the exact maximum over u of E_u(T) (Rosenbaum 2007)."""
    sets = [[(1, 3.0), (0, 1.0), (0, 2.5)], [(1, 0.2), (0, 1.0)], [(1, 4.0), (0, 0.5), (0, -1.0), (0, 2.0)]]
    s, t, y = to_arrays(sets)
    ms = matched_sets(s, t, y)
    eng = MTest(ms, trim=2.5)
    scores = [sc for block in eng.scores for sc in block]  # one row of scores per set (by size block)
    for gamma in (1.0, 2.0, 4.0):
        best = 0.0
        for row in scores:  # sets are independent: maximise each set's expectation over u in {0,1}^n
            n = len(row)
            best += max(float(np.dot(np.power(gamma, u), row) / np.power(gamma, u).sum())
                        for u in itertools.product([0, 1], repeat=n))
        assert eng.bound(gamma).expectation == pytest.approx(best, rel=1e-12)


# --------------------------------------------------------------------------- critical Gamma and simulation
def test_critical_gamma_is_the_root_of_the_upper_bound():
    s, t, y = pairs(WERFEL["welder"], WERFEL["control"])
    for method in ("normal", "exact"):
        b = bounds_for_sets(s, t, y, method=method, alpha=0.05)
        g = b.gamma_critical
        at = bounds_for_sets(s, t, y, method=method, gamma=[g * (1 - 1e-6), g, g * (1 + 1e-6)])
        assert at.p_upper[1] == pytest.approx(0.05, rel=1e-8)
        assert at.p_upper[0] < 0.05 < at.p_upper[2]
    not_sig = bounds_for_sets(*pairs([1.0, 2.0, 3.0], [1.5, 1.0, 3.2]))
    assert not_sig.gamma_critical is None and not_sig.p_value >= 0.05


@pytest.mark.parametrize("method, reps", [("normal", 500), ("exact", 200)])
def test_bound_is_attained_when_the_hidden_bias_is_the_worst_case(method, reps):
    """No effect; in each pair u = 1 for the unit with the higher outcome and that unit is treated with
    probability Gamma / (1 + Gamma): the sensitivity model's worst case. The upper bound at the true Gamma then
    rejects at about its level (at most alpha plus Monte Carlo error, and not far below), the naive test far
    more often."""
    rng = np.random.default_rng(2)
    gamma, n = 2.5, 50
    naive = bound = 0
    for _ in range(reps):
        y = rng.normal(0, 1, (n, 2))
        high_treated = rng.random(n) < gamma / (1 + gamma)
        yt = np.where(high_treated, y.max(axis=1), y.min(axis=1))
        yc = np.where(high_treated, y.min(axis=1), y.max(axis=1))
        b = bounds_for_sets(*pairs(yt, yc), gamma=[1.0, gamma], method=method, alternative="greater")
        naive += b.p_upper[0] < 0.05
        bound += b.p_upper[1] < 0.05
    mc = 2 * math.sqrt(0.05 * 0.95 / reps)
    assert naive / reps > 0.8
    assert 0.05 - 1.5 * mc < bound / reps <= 0.05 + mc


def test_bound_at_a_realistic_hidden_bias_keeps_its_level():
    """No effect, but a hidden binary u raises the odds of treatment 3-fold and raises the outcome: the naive test
    rejects in most replications, the upper bound at Gamma = 3 in at most 5 % plus Monte Carlo error."""
    rng = np.random.default_rng(11)
    reps, n, gamma_true = 200, 200, 3.0
    naive = bound = 0
    for _ in range(reps):
        u = rng.random((n, 2)) < 0.5
        p_first = np.where(u[:, 0] == u[:, 1], 0.5,
                           np.where(u[:, 0], gamma_true / (1 + gamma_true), 1 / (1 + gamma_true)))
        first = rng.random(n) < p_first  # exactly one unit of each pair is treated
        y = 1.0 * u + rng.normal(0, 1, (n, 2))
        yt = np.where(first, y[:, 0], y[:, 1])
        yc = np.where(first, y[:, 1], y[:, 0])
        b = bounds_for_sets(*pairs(yt, yc), gamma=[1.0, gamma_true], alternative="greater")
        naive += b.p_upper[0] < 0.05
        bound += b.p_upper[1] < 0.05
    assert naive / reps > 0.6
    assert bound / reps <= 0.05 + 2 * math.sqrt(0.05 * 0.95 / reps)


# --------------------------------------------------------------------------- the interface
def simulate(seed: int = 3, n: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.normal(57, 4, n)
    prior = rng.beta(2, 2, n)
    sex = rng.choice(["K", "M"], n)
    region = rng.choice(["Midt", "Nord", "Syd"], n)
    lin = -1.2 + 0.12 * (age - 57) - 1.5 * prior + 0.5 * (sex == "M") + 0.9 * (region == "Syd")
    treat = (rng.random(n) < 1 / (1 + np.exp(-lin))).astype(int)
    exit_6 = (rng.random(n) < 0.25 + 0.15 * treat - 0.1 * prior).astype(int)
    weeks = rng.poisson(20 - 4 * treat + 10 * prior)
    return pd.DataFrame({"treat": treat, "age": age, "prior": prior, "sex": sex, "region": region,
                         "exit_6": exit_6, "weeks": weeks})


@pytest.fixture(scope="module")
def sim():
    return simulate()


def test_match_result_data_frame_and_arrays_agree(sim):
    m = virkning.match(sim, "treat", ["age", "prior", "sex", "region"])
    b = rosenbaum_bounds(m, "exit_6")
    assert b.test == "binary" and b.alternative == "greater" and b.outcome == "exit_6"
    gm = m.matches
    c = rosenbaum_bounds(gm, "exit_6", set_id="subclass", treatment="treat")
    d = bounds_for_sets(gm["subclass"], gm["treat"], gm["exit_6"], outcome_name="exit_6")
    assert b == c == d
    w = rosenbaum_bounds(m, "weeks")
    assert w.test == "signed_rank" and w.alternative == "less"  # treatment lowers benefit weeks
    flipped = bounds_for_sets(gm["subclass"], gm["treat"], -gm["weeks"], alternative="greater", outcome_name="weeks")
    assert w.p_upper == flipped.p_upper and w.gamma_critical == flipped.gamma_critical


def test_one_to_k_uses_the_m_statistic_and_replacement_warns(sim):
    m2 = virkning.match(sim, "treat", ["age", "prior", "sex", "region"], ratio=2)
    b = rosenbaum_bounds(m2, "weeks")
    assert b.test == "m" and dict(b.settings)["trim"] == 2.5 and b.gamma_critical > 1
    assert rosenbaum_bounds(m2, "exit_6").test == "binary"
    mr = virkning.match(sim, "treat", ["age", "prior", "sex", "region"], replace=True)
    with pytest.warns(SensitivityWarning, match="several"):
        rosenbaum_bounds(mr, "exit_6")
    # a person who is matched in several sets (e.g. in two index weeks) makes the sets dependent too
    d = sim.assign(person=np.arange(len(sim)) // 2)
    mp = virkning.match(d, "treat", ["age", "prior", "sex", "region"], cluster="person")
    with pytest.warns(SensitivityWarning, match=r"value\(s\) of the cluster column 'person'"):
        rosenbaum_bounds(mp, "exit_6")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rosenbaum_bounds(virkning.match(sim.assign(person=np.arange(len(sim))), "treat", ["age", "prior"],
                                        cluster="person"), "exit_6")


def test_missing_outcomes_and_incomplete_sets_are_dropped():
    s, t, y = pairs([3.0, 4.0, 5.0, 6.0], [1.0, 1.0, 2.0, 1.0])
    y[1] = np.nan  # the control of set 0
    b = bounds_for_sets(s, t, y)
    assert b.n_sets == 3 and b.n_dropped == 1


@pytest.mark.parametrize("kwargs, message", [
    ({"test": "wilcoxon"}, "expected one of 'auto', 'binary', 'signed_rank', 'm'"),
    ({"gamma": [0.5, 2]}, "numbers >= 1"),
    ({"alpha": 1.5}, "between 0 and 1"),
    ({"test": "m", "method": "exact"}, "only the normal approximation"),
    ({"test": "binary"}, "must be 0/1"),
])
def test_options_are_checked(kwargs, message):
    s, t, y = pairs([3.0, 4.5, 5.0], [1.0, 1.0, 2.0])
    with pytest.raises(DesignError, match=message):
        bounds_for_sets(s, t, y, **kwargs)


def test_arrays_are_checked():
    with pytest.raises(DesignError, match="same length"):
        bounds_for_sets([0, 0, 1], [1, 0, 1, 0], [1.0, 2.0, 3.0, 4.0])
    with pytest.raises(DesignError, match="must be numeric"):
        bounds_for_sets([0, 0], [1, 0], ["a", "b"])
    with pytest.raises(DesignError, match="0/1 or True/False"):
        bounds_for_sets([0, 0], [2, 0], [1.0, 2.0])
    with pytest.raises(DesignError, match="set id is missing"):
        bounds_for_sets([0, None], [1, 0], [1.0, 2.0])
    with pytest.raises(DesignError, match="no set has both"):
        bounds_for_sets([0, 0], [1, 0], [1.0, np.nan])


def test_signed_rank_needs_pairs():
    s, t, y = wide(pd.read_csv(REF / "tbmetaphase.csv"))
    with pytest.raises(DesignError, match="must be a pair"):
        bounds_for_sets(s, t, y, test="signed_rank")


def test_result_is_frozen_and_printable():
    b = bounds_for_sets(*pairs(LEAD["exposed"], LEAD["control"]), outcome_name="lead")
    assert isinstance(b, RosenbaumBounds)
    with pytest.raises(AttributeError):
        b.alpha = 0.1  # type: ignore[misc]
    frame = b.to_frame()
    assert list(frame.columns) == ["gamma", "p_lower", "p_upper", "significant", "expectation", "variance"]
    assert frame["significant"].tolist() == [p < 0.05 for p in b.p_upper]
    d = b.to_dict()
    assert json.loads(json.dumps(d))["table"][0]["gamma"] == 1.0
    assert "up to Gamma = 4.344" in repr(b) and "<table" in b._repr_html_()


# --------------------------------------------------------------------------- observed-covariate benchmark
def test_covariate_benchmark_against_statsmodels_logit(sim):
    import statsmodels.api as sm
    m = virkning.match(sim, "treat", ["age", "prior", "sex", "region"])
    bench = covariate_benchmark(m)
    assert isinstance(bench, CovariateBenchmark)
    X = pd.get_dummies(sim[["age", "prior", "sex", "region"]], drop_first=True, dtype=float)
    fit = sm.Logit(sim["treat"], sm.add_constant(X)).fit(disp=0)
    table = bench.to_frame().set_index("term")
    sd = sim[["age", "prior"]].std(ddof=1)
    assert table.loc["age", "odds_ratio"] == pytest.approx(np.exp(fit.params["age"] * sd["age"]), rel=1e-6)
    assert table.loc["prior", "odds_ratio"] == pytest.approx(np.exp(fit.params["prior"] * sd["prior"]), rel=1e-6)
    assert table.loc["region[Syd]", "odds_ratio"] == pytest.approx(np.exp(fit.params["region_Syd"]), rel=1e-6)
    assert table.loc["region[Syd]", "contrast"] == "Syd vs Midt"
    assert table.loc["sex[M]", "contrast"] == "M vs K"
    assert table.loc["prior", "odds_ratio_abs"] == pytest.approx(1 / table.loc["prior", "odds_ratio"])
    # strongest: region Syd (true log-odds 0.9) beats age per SD (0.12 x 4 = 0.48) and prior (1.5 x 0.22)
    assert bench.term[bench.strongest] == "region[Syd]"


def test_covariate_benchmark_recovers_known_odds_ratios():
    rng = np.random.default_rng(5)
    n = 40_000
    x = rng.normal(0, 2, n)
    flag = rng.random(n) < 0.4
    treat = (rng.random(n) < 1 / (1 + np.exp(-(-1 + 0.5 * x + 0.7 * flag)))).astype(int)
    d = pd.DataFrame({"treat": treat, "x": x, "flag": flag})
    fit = virkning.estimate.fit_propensity(d, "treat", ["x", "flag"])
    table = covariate_benchmark(fit, d, ["x", "flag"]).to_frame().set_index("term")
    assert table.loc["x", "odds_ratio"] == pytest.approx(np.exp(0.5 * 2), rel=0.05)  # per SD of 2
    assert table.loc["flag", "contrast"] == "1 vs 0"
    assert table.loc["flag", "odds_ratio"] == pytest.approx(np.exp(0.7), rel=0.05)


def test_sensitivity_numbers_for_the_report_sentence(sim):
    m = virkning.match(sim, "treat", ["age", "prior", "sex", "region"])
    b = rosenbaum_bounds(m, "exit_6")
    bench = covariate_benchmark(m)
    ev = virkning.estimate.evalue(1.6, 1.3, 2.0)
    nums = sensitivity_numbers(b, bench, ev)
    assert nums.gamma_critical == b.gamma_critical and nums.significant
    assert nums.strongest_term == "region[Syd]"
    assert nums.strongest_odds_ratio == pytest.approx(max(bench.odds_ratio_abs))
    assert nums.exceeds_strongest == (b.gamma_critical >= nums.strongest_odds_ratio)
    if not nums.exceeds_strongest:
        lam, delta = nums.strongest_odds_ratio, nums.delta_at_strongest
        assert (lam * delta + 1) / (lam + delta) == pytest.approx(b.gamma_critical, rel=1e-12)
    assert nums.evalue == pytest.approx(ev.evalue) and nums.evalue_ci == pytest.approx(ev.evalue_ci)
    assert "region[Syd]" in repr(nums)
    assert nums.to_frame().shape == (1, 13)


def test_amplification_printed_examples():
    """sensitivitymv's amplify documentation (Rosenbaum 2007, Table 1 discussion): Gamma 3.5 equals
    (Lambda, Delta) = (4, 26), (6, 8), (8, 6) and (11, 5)."""
    assert amplify(3.5, [4, 6, 8, 11]) == pytest.approx([26, 8, 6, 5])
    with pytest.raises(DesignError, match="every Lambda > Gamma"):
        amplify(3.5, 3.0)


def test_benchmark_needs_a_propensity_model(sim):
    m = virkning.match(sim, "treat", ["age", "prior"], distance="mahalanobis")
    with pytest.raises(DesignError, match="no propensity model"):
        covariate_benchmark(m)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rosenbaum_bounds(m, "exit_6")  # bounds need no model


@pytest.mark.parametrize("k", [1, 2, 7, 60, 1001])
def test_the_binomial_is_scipy_stats_binomial_to_the_bit(k):
    import scipy.stats

    from virkning.estimate.rosenbaum import binomial_pmf
    for p in (1e-9, 0.013, 0.25, 0.5, 0.7310585786300049, 0.999):
        assert np.array_equal(binomial_pmf(k, p), scipy.stats.binom.pmf(np.arange(k + 1), k, p))

"""Balance table conventions, summary and Love plot (numbers against MatchIt are in test_matchit_reference)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import virkning
from virkning.estimate import balance_table, ess, love_plot


@pytest.fixture(scope="module")
def matched():
    rng = np.random.default_rng(1)
    n = 2000
    x = rng.normal(size=n)
    b = rng.integers(0, 2, n)
    g = rng.choice(["a", "b", "c"], n)
    treat = (rng.random(n) < 1 / (1 + np.exp(1.2 - 0.8 * x - 0.5 * b))).astype(int)
    d = pd.DataFrame({"treat": treat, "x": x, "b": b, "g": g, "y": x + rng.normal(size=n)})
    return virkning.match(d, "treat", ["x", "b", "g"], ratio=2)


def test_table_layout_and_flags(matched):
    t = matched.balance.table
    assert t["term"].tolist() == ["distance", "x", "b", "g[a]", "g[b]", "g[c]"]
    assert t["type"].tolist() == ["continuous", "continuous", "binary", "binary", "binary", "binary"]
    assert t.loc[t["type"] == "binary", "var_ratio_before"].isna().all()
    assert (t["imbalanced"] == (t["smd_after"].abs() > 0.1)).all()
    assert matched.balance.n_imbalanced == int(t.loc[t["term"] != "distance", "imbalanced"].sum())


def test_smd_conventions(matched):
    d = matched.source
    treat = matched.treat
    w = matched.weights
    t = matched.balance.table.set_index("term")
    # continuous: weighted mean difference over the treated SD in the full sample
    sd_t = d.loc[treat, "x"].std(ddof=1)
    diff = np.average(d.loc[treat, "x"], weights=w[treat]) - np.average(d.loc[~treat, "x"], weights=w[~treat])
    assert t.loc["x", "smd_after"] == pytest.approx(diff / sd_t)
    # binary: standardised by sqrt(p(1-p)) of the treated (MatchIt), or raw with binary="raw" (cobalt)
    p = d.loc[treat, "b"].mean()
    raw = p - d.loc[~treat, "b"].mean()
    assert t.loc["b", "smd_before"] == pytest.approx(raw / np.sqrt(p * (1 - p)))
    assert t.loc["b", "ecdf_max_before"] == pytest.approx(abs(raw))
    t_raw = matched.balance_table(binary="raw").table.set_index("term")
    assert t_raw.loc["b", "smd_before"] == pytest.approx(raw)
    assert t_raw.loc["x", "smd_before"] == pytest.approx(t.loc["x", "smd_before"])


def test_variance_ratio_and_ecdf_by_hand():
    d = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, 2.0, 5.0]})
    treat = np.array([1, 1, 1, 0, 0, 0], bool)
    w = np.array([1, 1, 1, 0.5, 1.5, 1.0])
    t = balance_table(d, treat, w, ["x"]).table.iloc[0]
    assert t["var_ratio_before"] == pytest.approx(np.var([1, 2, 3], ddof=1) / np.var([4, 2, 5], ddof=1))
    # weighted eCDFs: treated 1/3 each at 1,2,3; controls 0.5/3 at 4, 1.5/3 at 2, 1/3 at 5
    f1 = np.array([1, 2, 3, 3, 3]) / 3
    f0 = np.array([0, 1.5, 1.5, 2.0, 3.0]) / 3
    assert t["ecdf_max_after"] == pytest.approx(np.max(np.abs(f1 - f0)))
    assert t["ecdf_mean_after"] == pytest.approx(np.mean(np.abs(f1 - f0)))


def test_summary_sample_sizes(matched):
    s = matched.summary()
    sizes = s.sample_sizes
    assert sizes.index.tolist() == ["All (ESS)", "All", "Matched (ESS)", "Matched", "Unmatched", "Discarded"]
    w = matched.weights
    assert sizes.loc["Matched (ESS)", "Control"] == pytest.approx(ess(w[~matched.treat]))
    assert sizes.loc["Matched", "Treated"] + sizes.loc["Unmatched", "Treated"] == sizes.loc["All", "Treated"]
    text = str(s)
    assert "Matched (ESS)" in text and "smd_after" in text
    assert set(s.to_dict()) == {"sample_sizes", "balance", "info"}
    assert ess(np.ones(10)) == 10 and ess(np.array([1.0, 0.0])) == 1


def test_love_plot_returns_figure(matched):
    fig = love_plot(matched.balance)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert len(ax.collections) == 2  # before and after points
    assert [t.get_text() for t in ax.get_yticklabels()][-1] in {"x", "b", "g[a]", "g[b]", "g[c]"}
    assert any(line.get_xdata()[0] == pytest.approx(0.1) for line in ax.lines)
    fig2 = love_plot(matched.balance, absolute=False, include_distance=True, threshold=0.25)
    assert len(fig2.axes[0].get_yticklabels()) == 6


def test_variance_ratio_and_ks_thresholds_flag_terms():
    # after weighting: x has variance ratio 4 (treated SD twice the controls'), KS small; s is shifted (KS 0.5)
    rng = np.random.default_rng(5)
    n = 4000
    treat = np.r_[np.ones(n, bool), np.zeros(n, bool)]
    x = np.r_[rng.normal(0, 2, n), rng.normal(0, 1, n)]
    s = np.r_[rng.random(n) + 0.5, rng.random(n)]
    b = rng.integers(0, 2, 2 * n)
    d = pd.DataFrame({"x": x, "s": s, "b": b})
    bt = balance_table(d, treat, np.ones(2 * n), ["x", "s", "b"])
    t = bt.table.set_index("term")
    assert t.loc["x", "var_ratio_after"] == pytest.approx(4.0, rel=0.1)
    assert t.loc["s", "ecdf_max_after"] == pytest.approx(0.5, abs=0.03)
    assert (bt.v_threshold, bt.ks_threshold) == (2.0, 0.1)  # virkning.defaults
    assert t["vr_imbalanced"].to_dict() == {"x": True, "s": False, "b": False}  # binary terms: no ratio
    assert t.loc["s", "ks_imbalanced"] and not t.loc["b", "ks_imbalanced"]
    assert (bt.n_vr_imbalanced, bt.n_ks_imbalanced) == (1, int(t["ks_imbalanced"].sum()))
    # a ratio below 1 / v_threshold is flagged the same way, and thresholds can be set
    low = balance_table(d, ~treat, np.ones(2 * n), ["x"], v_threshold=3.0, ks_threshold=0.6).table.iloc[0]
    assert low["var_ratio_after"] == pytest.approx(0.25, rel=0.1) and low["vr_imbalanced"]
    assert not low["ks_imbalanced"]
    assert not balance_table(d, treat, np.ones(2 * n), ["x"], v_threshold=5.0).table.iloc[0]["vr_imbalanced"]
    text = str(bt)
    assert "variance ratio outside [0.5, 2]" in text and "KS > 0.1" in text
    assert "vr_flag" in bt._repr_html_() and "ks_flag" in text
    with pytest.raises(virkning.errors.DesignError, match="option 'v_threshold'"):
        balance_table(d, treat, np.ones(2 * n), ["x"], v_threshold=0.5)


def test_atc_balance_standardises_by_the_controls(matched):
    d = matched.source
    m = virkning.match(d, "treat", ["x", "b", "g"], estimand="ATC", replace=True)
    t = m.balance.table.set_index("term")
    treat = m.treat
    sd_c = d.loc[~treat, "x"].std(ddof=1)
    diff = d.loc[treat, "x"].mean() - d.loc[~treat, "x"].mean()
    assert t.loc["x", "smd_before"] == pytest.approx(diff / sd_c)
    p = d.loc[~treat, "b"].mean()
    assert t.loc["b", "smd_before"] == pytest.approx((d.loc[treat, "b"].mean() - p) / np.sqrt(p * (1 - p)))
    assert m.balance.estimand == "ATC" and "SD of the controls" in str(m.balance)


def test_balance_is_computed_once_per_arguments(matched):
    import dataclasses

    assert matched.balance is matched.balance
    assert matched.balance_table(threshold=0.1) is matched.balance  # the default threshold, as given
    raw = matched.balance_table(binary="raw")
    assert raw is not matched.balance and raw.binary == "raw"
    assert matched.balance_table(binary="raw") is raw
    strict = matched.balance_table(threshold=0.01)
    assert strict.threshold == 0.01 and strict.n_imbalanced >= matched.balance.n_imbalanced
    # a result with other data does not see the first one's tables
    other = dataclasses.replace(matched, source=matched.source.assign(x=matched.source["x"] * 2))
    assert other.balance is not matched.balance
    assert other.balance.table.loc[1, "mean_treated_before"] == pytest.approx(
        2 * matched.balance.table.loc[1, "mean_treated_before"])
    with pytest.raises(virkning.errors.DesignError, match="option 'threshold'"):
        matched.balance_table(threshold=[0.1])  # type: ignore[arg-type]


def test_stable_order_is_numpys_stable_argsort():
    from virkning.estimate.balance import _stable_order

    rng = np.random.default_rng(4)
    n = 5000
    cols = {"normal": rng.normal(size=n), "ties": np.round(rng.normal(size=n), 1),
            "signed zeros and infinities": rng.choice([-0.0, 0.0, 1.5, -2.0, np.inf, -np.inf, 5e-324], n),
            "small integers": rng.integers(-40, 40, n).astype(float),
            "wide integers": rng.integers(-10**9, 10**9, n) * 1.0, "huge": rng.normal(size=n) * 1e300,
            "nan": np.where(rng.random(n) < 0.1, np.nan, rng.integers(0, 9, n) * 0.5),
            "constant": np.full(n, 3.0)}
    for name, col in cols.items():
        order, last = _stable_order(col)
        expected = np.argsort(col, kind="stable")
        assert np.array_equal(order, expected), name
        xs = col[expected]
        assert np.array_equal(last, np.flatnonzero(np.append(xs[1:] != xs[:-1], True))), name


def test_matched_statistics_equal_the_plain_computation_exactly():
    # the matched eCDF is summed over the rows with weight only, level means come from counts: both must give
    # the numbers of the plain computation over every row to the last bit
    rng = np.random.default_rng(6)
    n = 4000
    x = np.round(rng.normal(size=n), 1)  # ties across groups and weights
    g = rng.choice(["a", "b", "c", "d"], n)
    treat = rng.random(n) < 0.2
    w = np.where(rng.random(n) < 0.15, rng.integers(1, 4, n) / 3.0, 0.0)
    w[treat] = rng.random(int(treat.sum())) < 0.9
    d = pd.DataFrame({"x": x, "g": g} | {f"g_{v}": (g == v).astype(float) for v in "abcd"})
    t = balance_table(d, treat, w, ["x", "g", *[f"g_{v}" for v in "abcd"]]).table.set_index("term")
    order = np.argsort(x, kind="stable")
    ts, ws = treat[order], w[order]
    xs = x[order]
    signed = np.where(ts, ws / ws[ts].sum(), -ws / ws[~ts].sum())
    vals = np.abs(np.cumsum(signed))[np.append(xs[1:] != xs[:-1], True)]
    assert t.loc["x", "ecdf_mean_after"] == vals.mean() and t.loc["x", "ecdf_max_after"] == vals.max()
    stats = [c for c in t.columns if c.endswith(("_before", "_after"))]
    for v in "abcd":  # a level from counts and over weighted rows, and the same 0/1 column as a number
        level, dummy = t.loc[f"g[{v}]", stats], t.loc[f"g_{v}", stats]
        assert level.equals(dummy), v
        assert level["mean_treated_after"] == (w[treat] * (g[treat] == v)).sum() / w[treat].sum()


def test_a_covariate_without_variance_among_the_controls_has_no_variance_ratio():
    rng = np.random.default_rng(7)
    n = 400
    treat = np.arange(n) < 100
    d = pd.DataFrame({"x": np.where(treat, rng.normal(size=n), 0.0), "y": rng.normal(size=n)})  # variance exactly 0
    t = balance_table(d, treat, np.ones(n), ["x", "y"]).table.set_index("term")
    assert np.isnan(t.loc["x", "var_ratio_before"]) and np.isnan(t.loc["x", "var_ratio_after"])
    assert np.isfinite(t.loc["y", "var_ratio_after"]) and np.isfinite(t.loc["x", "smd_before"])

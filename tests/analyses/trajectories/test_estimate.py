"""The numbers of estimate/trajectories.py against references: statsmodels' Wilson interval, counts by hand on a toy
panel with censoring, numpy's and pandas' quantiles (R's type 7), and windows counted by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from virkning.errors import DesignError
from virkning.estimate.trajectories import curve, in_outcome, quantile_summary, wilson, window_share


def test_wilson_equals_statsmodels():
    k = np.array([0, 1, 5, 37, 99, 100, 3])
    n = np.array([10, 10, 50, 120, 100, 100, 4])
    for level in (0.9, 0.95, 0.99):
        lo, hi = wilson(k, n, level)
        rlo, rhi = proportion_confint(k, n, alpha=1 - level, method="wilson")
        np.testing.assert_allclose(lo, rlo, atol=1e-12)
        np.testing.assert_allclose(hi, rhi, atol=1e-12)
    assert np.isnan(wilson([0], [0])[0][0])


# persons x months 1..4: flags (in the outcome that month) and observed (before the end of data)
FLAGS = np.array([[0, 1, 0, 0], [0, 0, 0, 1], [1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 0, 0]], dtype=bool)
OBSERVED = np.array([[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 0], [1, 1, 0, 0], [1, 1, 1, 1]], dtype=bool)


def test_curve_counts_by_hand():
    ever = curve(FLAGS, OBSERVED, "ever")
    assert ever["n"].tolist() == [5, 5, 4, 3]
    assert ever["k"].tolist() == [1, 2, 2, 2]  # person 4's month-3 flag lies after its end of data
    assert ever["events"].tolist() == [1, 1, 0, 1]
    assert ever["censored"].tolist() == [0, 0, 1, 1]
    assert ever["share"].tolist() == pytest.approx([0.2, 0.4, 0.5, 2 / 3])
    month = curve(FLAGS, OBSERVED, "in_month")
    assert month["k"].tolist() == [1, 2, 0, 1] and month["events"].isna().all()
    assert in_outcome(FLAGS, OBSERVED, "ever")[3].tolist() == [False, False, False, False]
    with pytest.raises(DesignError, match="measure: expected one of ever, in_month"):
        curve(FLAGS, OBSERVED, "cumulative")


def test_quantiles_are_type_7():
    v = np.array([0.57, 0.9, 0.73, 0.78, 0.84, 1.0, 0.61, 0.8])
    q = quantile_summary(v)
    ref = pd.Series(v).quantile([0, 0.25, 0.5, 0.75, 1.0])  # pandas' default: linear, R's type 7
    assert [q[k] for k in ("minimum", "q1", "median", "q3", "maximum")] == pytest.approx(ref.tolist(), abs=1e-15)
    assert q["q1"] == pytest.approx(0.61 + 0.75 * (0.73 - 0.61), abs=1e-12)  # h = 7 x 0.25 = 1.75 on sorted values


def test_window_share_by_hand():
    units = np.array(["a", "a", "b", "b", "b"])
    w = window_share(FLAGS, OBSERVED, units, 2).set_index("unit")
    # unit a: every window has one of its two persons in the outcome: the first window is kept
    assert (w.loc["a", "first_month"], w.loc["a", "n"], w.loc["a", "k"], w.loc["a", "share"]) == (1, 2, 1, 0.5)
    # unit b: months 1-2: 1 of 3 (person 3); months 2-3: persons 3 and 5 observed, person 3 in it: 1/2
    assert (w.loc["b", "first_month"], w.loc["b", "n"], w.loc["b", "k"]) == (2, 2, 1)
    with pytest.raises(DesignError, match="window: expected 1 to 4 months"):
        window_share(FLAGS, OBSERVED, units, 5)

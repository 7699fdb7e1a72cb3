"""E-values against the printed examples of VanderWeele and Ding (2017) and Ding and VanderWeele (2016), as
printed in the vignette of the R package EValue ("E-values for unmeasured confounding"), and the conversions."""

from __future__ import annotations

import math

import pytest

from virkning.errors import DesignError
from virkning.estimate import EValue, evalue, evalue_rr


def test_breastfeeding_example_rr_3_9():
    """VanderWeele and Ding (2017): RR 3.9 (95 % CI 1.8 to 8.7) -> E-values 7.26 and 3.02 (printed 7.263034, 3)."""
    e = evalue(3.9, 1.8, 8.7)
    assert round(e.evalue, 2) == 7.26
    assert e.evalue == pytest.approx(7.263034, abs=5e-7)
    assert e.evalue_ci == pytest.approx(3.0, abs=1e-12)  # 1.8 + sqrt(1.8 x 0.8) = 3 exactly
    # the paper's estimate was an odds ratio of a rare outcome: the same numbers
    assert evalue(3.9, 1.8, 8.7, measure="OR", rare=True).evalue == e.evalue


def test_protective_example_rr_0_80():
    """VanderWeele and Ding (2017), breastfeeding and leukaemia: RR 0.80 (0.71 to 0.91) -> 1.809017 and 1.428571;
    the interval uses the upper limit, the one closer to 1."""
    e = evalue(0.80, 0.71, 0.91)
    assert e.evalue == pytest.approx(1.809017, abs=5e-7)
    assert e.evalue_ci == pytest.approx(1.428571, abs=5e-7)
    assert evalue_rr(1 / 0.80) == pytest.approx(e.evalue, rel=1e-15)  # symmetry


def test_smoking_example_and_non_null_true_value():
    """Ding and VanderWeele (2016), Hammond and Horn: RR 10.73 (8.02 to 14.36) -> 20.94777 and 15.52336; moving
    RR 2.5 to a true RR of 1.5 needs 2.720759."""
    e = evalue(10.73, 8.02, 14.36)
    assert e.evalue == pytest.approx(20.94777, abs=5e-6)
    assert e.evalue_ci == pytest.approx(15.52336, abs=5e-6)
    assert evalue(2.5, true=1.5).evalue == pytest.approx(2.720759, abs=5e-7)


def test_interval_containing_the_null_gives_one():
    assert evalue(1.3, 0.9, 1.8).evalue_ci == 1.0
    assert evalue(0.8, 0.6, 1.1).evalue_ci == 1.0
    assert evalue(1.0, 0.8, 1.2).evalue == 1.0
    assert evalue(1.5).evalue_ci is None


def test_risk_difference_with_baseline_risk():
    """RD 0.077 on a control risk of 0.10 is RR 1.77 ("77 pct. flere"); the interval limits convert the same way."""
    e = evalue(0.077, 0.03, 0.12, measure="RD", baseline_risk=0.10)
    assert e.rr == pytest.approx(1.77)
    assert e.rr_lo == pytest.approx(1.3) and e.rr_hi == pytest.approx(2.2)
    assert e.evalue == pytest.approx(1.77 + math.sqrt(1.77 * 0.77))
    assert e.evalue_ci == pytest.approx(1.3 + math.sqrt(1.3 * 0.3))
    harmful = evalue(-0.04, -0.07, -0.01, measure="RD", baseline_risk=0.2)  # RR 0.8: uses the upper limit
    assert harmful.rr == pytest.approx(0.8)
    assert harmful.evalue_ci == pytest.approx(evalue_rr(0.19 / 0.2))
    wide = evalue(0.05, -0.15, 0.2, measure="RD", baseline_risk=0.1)  # lower limit is no risk: CI contains 0
    assert wide.rr_lo is None and wide.evalue_ci == 1.0


def test_conversions_of_other_measures():
    """VanderWeele and Ding (2017), Table: OR and HR of common outcomes, standardised mean differences."""
    e = evalue(0.86, 0.75, 0.99, measure="OR", rare=False)
    assert e.rr == pytest.approx(math.sqrt(0.86)) and e.rr_hi == pytest.approx(math.sqrt(0.99))
    h = evalue(0.56, 0.46, 0.69, measure="HR", rare=False)
    assert h.rr == pytest.approx((1 - 0.5 ** math.sqrt(0.56)) / (1 - 0.5 ** math.sqrt(1 / 0.56)))
    d = evalue(0.5, measure="SMD", se=0.25)
    assert d.rr == pytest.approx(math.exp(0.91 * 0.5))
    assert d.rr_lo == pytest.approx(math.exp(0.91 * 0.5 - 1.78 * 0.25))
    assert d.rr_hi == pytest.approx(math.exp(0.91 * 0.5 + 1.78 * 0.25))
    assert d.evalue_ci == pytest.approx(evalue_rr(math.exp(0.91 * 0.5 - 1.78 * 0.25)))


@pytest.mark.parametrize("kwargs, message", [
    ({"estimate": 1.5, "measure": "risk"}, "expected one of 'RR', 'OR', 'HR', 'RD', 'SMD'"),
    ({"estimate": -1.0}, "must be positive"),
    ({"estimate": 1.5, "lo": 1.6}, "lo <= estimate <= hi"),
    ({"estimate": 1.5, "measure": "OR"}, "rare=True or rare=False"),
    ({"estimate": 0.05, "measure": "RD"}, "baseline_risk"),
    ({"estimate": 0.5, "measure": "SMD"}, "standard error"),
])
def test_inputs_are_checked(kwargs, message):
    with pytest.raises(DesignError, match=message):
        evalue(**kwargs)


def test_result_is_frozen_and_printable():
    e = evalue(3.9, 1.8, 8.7)
    assert isinstance(e, EValue)
    with pytest.raises(AttributeError):
        e.evalue = 1.0  # type: ignore[misc]
    assert e.to_frame().loc[0, "evalue"] == e.evalue
    assert "E-value 7.263" in repr(e) and "<p>" in e._repr_html_()

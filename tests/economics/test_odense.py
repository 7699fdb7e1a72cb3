"""Odense's method (seed 004, 741): benefits saved per citizen in the 13 weeks after the intervention ends."""

import numpy as np
import pytest

from virkning.economics import load_rates, odense_savings
from virkning.errors import DesignError


def test_hand_example_with_odenses_reference():
    # three citizens: off benefit the whole window, 5 weeks on, on benefit throughout
    r = odense_savings([0, 5, 13], 2000.0, cost=40_000, citizen_ids=["A", "B", "C"])
    assert list(r.citizens["saved_weeks"]) == [13, 8, 0]
    assert r.total_saved_weeks == 21 and r.total_savings == 42_000
    assert r.net_gain == 2_000 and r.pays
    assert r.window_weeks == 13 and "all 13 weeks on benefit" in r.reference_description
    assert "3 citizens" in repr(r) and "pays" in repr(r) and "<table" in r._repr_html_()
    assert r.to_dict()["citizens"][0]["citizen"] == "A"


def test_counterfactual_reference_and_rates_by_citizen():
    rates = load_rates()
    rate = [rates.weekly("dagpenge_max", 2020), rates.weekly("kontanthjaelp_30_andre", 2021)]
    r = odense_savings([4, 10], rate, reference=9.5)
    assert list(r.citizens["saved_weeks"]) == [5.5, -0.5]   # a citizen can cost more than the comparison
    assert r.total_savings == pytest.approx(5.5 * rate[0] - 0.5 * rate[1])
    assert r.pays is None and r.net_gain is None
    assert not odense_savings([13, 13], 1000.0, cost=1.0).pays  # nobody left benefit: the project is closed


def test_bad_input_is_located():
    with pytest.raises(DesignError, match=r"expected weeks_on_benefit from 0 to 13 \(the window\); got 14 for "
                                          r"citizen 2"):
        odense_savings([3, 14], 1000.0)
    with pytest.raises(DesignError, match="missing or infinite values at position"):
        odense_savings([3, np.nan], 1000.0)
    with pytest.raises(DesignError, match=r"one value per citizen \(2\) or one value; got 3"):
        odense_savings([3, 4], [1.0, 2.0, 3.0])
    with pytest.raises(DesignError, match="expected cost >= 0"):
        odense_savings([3], 1000.0, cost=-1)
    with pytest.raises(DesignError, match="expected window_weeks"):
        odense_savings([3], 1000.0, window_weeks=0)

"""Located errors for bad DiD input, the handling of unbalanced panels, and the result objects' forms."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from reference.did.panels import free_municipality_panel, staggered_panel
from virkning.errors import DesignError, EstimationError
from virkning.estimate import (FewClustersWarning, UnbalancedPanelWarning, att_gt, did_2x2, event_study,
                               twfe_did)

KW = {"unit": "unit", "period": "period", "start": "start"}


@pytest.fixture
def panel() -> pd.DataFrame:
    return free_municipality_panel(seed=1)


def _classic(d, **kw):
    args = {"unit": "unit", "period": "period", "treated": ["k00", "k03"], "comparison": ["k10", "k11", "k12"],
            "pre": (0, 7), "post": (8, 11), "by_unit": False}
    args.update(kw)
    return did_2x2(d, "y", **args)


def test_classic_errors_name_the_key(panel):
    with pytest.raises(DesignError, match=r"option 'comparison': expected comparison units that are not trial "
                                          r"units; got \['k00'\]"):
        _classic(panel, comparison=["k00", "k10"])
    with pytest.raises(DesignError, match=r"option 'comparison': expected at least one comparison unit"):
        _classic(panel, comparison=[])
    with pytest.raises(DesignError, match=r"option 'comparison': expected a comparison set for every trial unit; "
                                          r"got none for \['k03'\]"):
        _classic(panel, comparison={"k00": ["k10"]})
    with pytest.raises(DesignError, match=r"option 'treated': expected units that occur in the data; got \['x'\]"):
        _classic(panel, treated=["x"])
    with pytest.raises(DesignError, match=r"option 'pre': expected periods within the data \(0 to 23\); got "
                                          r"\(-5, 7\)"):
        _classic(panel, pre=(-5, 7))
    with pytest.raises(DesignError, match=r"option 'post': expected periods within the data"):
        _classic(panel, post=(20, 30))
    with pytest.raises(DesignError, match="expected the pre window to end before the post window"):
        _classic(panel, pre=(0, 9))
    with pytest.raises(DesignError, match=r"option 'observations': expected one of 'rows', 'unit-period'"):
        _classic(panel, observations="cells")
    with pytest.raises(DesignError, match=r"option 'outcome': expected a column of the data; got 'z'"):
        did_2x2(panel, "z", unit="unit", period="period", treated=["k00"], comparison=["k10"], pre=(0, 1),
                post=(8, 9))


def test_classic_unit_without_pre_period(panel):
    d = panel[~((panel["unit"] == "k03") & (panel["period"] < 8))]
    with pytest.raises(DesignError, match=r"option 'pre': expected rows with an outcome in the pre window \(0, 7\) "
                                          r"for every unit; got none for \['k03'\]"):
        _classic(d)


def test_classic_per_unit_sets_and_warning(panel):
    with pytest.warns(FewClustersWarning, match="single treated cluster"):
        r = _classic(panel, comparison={"k00": ["k10", "k11"], "k03": ["k12", "k13"]}, by_unit=True, n_boot=199)
    with pytest.warns(FewClustersWarning, match="only 2 treated clusters"):
        _classic(panel)
    with pytest.warns(FewClustersWarning, match="only 9 treated clusters"):
        twfe_did(panel, "y", **KW)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        twfe_did(panel, "y", **KW, n_boot=199)
    f = r.to_frame()
    assert f["label"].tolist() == ["pooled", "k00", "k03"]
    assert f["n_comparison_units"].tolist() == [4, 2, 2]


def test_twfe_and_event_study_errors(panel):
    late = panel.assign(start=np.where(panel["unit"] == "k00", 40.0, panel["start"]))
    with pytest.raises(DesignError, match=r"option 'start': expected start periods within the data \(last period "
                                          r"23\); got later starts for \['k00'\]"):
        twfe_did(late, "y", **KW)
    early = panel.assign(start=np.where(panel["unit"] == "k00", 0.0 + 1e-9 * 0, panel["start"]))
    early.loc[early["unit"] == "k00", "start"] = -3.0
    with pytest.raises(DesignError, match=r"expected a period before the start for every treated unit; got none "
                                          r"for \['k00'\]"):
        twfe_did(early, "y", **KW)
    with pytest.raises(DesignError, match="expected at least one treated unit"):
        twfe_did(panel.assign(start=np.nan), "y", **KW)
    with pytest.raises(DesignError, match="expected one start period per unit"):
        twfe_did(panel.assign(start=np.where(panel["period"] > 20, 9.0, panel["start"])), "y", **KW)
    with pytest.raises(DesignError, match=r"option 'window': expected first < 0 <= last"):
        event_study(panel, "y", **KW, window=(1, 4))
    with pytest.raises(DesignError, match="option 'reference'"):
        event_study(panel, "y", **KW, window=(-3, 3), reference=-3)
    with pytest.raises(DesignError, match="got none at"):
        event_study(panel, "y", **KW, window=(-30, 3), endpoints="drop")
    with pytest.raises(DesignError, match="option 'period': expected whole-number periods"):
        twfe_did(panel.assign(period=panel["period"] + 0.5), "y", **KW)
    same = panel[panel["start"].notna()].assign(start=8.0)
    with pytest.raises(DesignError, match="expected comparison units"):
        twfe_did(same, "y", **KW)


def test_att_gt_errors(panel):
    with pytest.raises(DesignError, match="expected never-treated comparison units"):
        att_gt(panel[panel["start"].notna()], "y", **KW)
    with pytest.raises(DesignError, match=r"option 'control': expected one of 'never', 'not-yet'"):
        att_gt(panel, "y", **KW, control="nevertreated")
    with pytest.raises(DesignError, match="expected one row per unit and period"):
        att_gt(pd.concat([panel, panel.iloc[:1]]), "y", **KW)
    with pytest.raises(DesignError, match="option 'anticipation'"):
        att_gt(panel, "y", **KW, anticipation=-1)
    with pytest.raises(DesignError, match=r"option 'start': expected a column name or a \{unit: start period\}"):
        att_gt(panel, "y", unit="unit", period="period", start=3)
    with pytest.raises(DesignError, match="option 'kind'"):
        att_gt(panel, "y", **KW, n_boot=0).aggregate("event")


def test_not_yet_without_never_treated_follows_the_r_package(panel):
    d = panel[panel["start"].notna()]
    with pytest.warns(UserWarning, match="the last group"):
        r = att_gt(d, "y", **KW, control="not-yet", n_boot=0)
    assert sorted(r.table["group"].unique()) == [8, 12]
    assert r.table["period"].max() == 15


def test_unbalanced_panels(panel):
    holes = panel.drop(index=panel.index[(panel["unit"] == "k20") & (panel["period"] == 5)])
    # Callaway-Sant'Anna: units not seen in every period are dropped, with a warning, or refused
    with pytest.warns(UnbalancedPanelWarning, match="1 of 30 units"):
        r = att_gt(holes, "y", **KW, n_boot=0)
    balanced = att_gt(panel[panel["unit"] != "k20"], "y", **KW, n_boot=0)
    assert r.n_dropped == 1 and r.n_units == 29
    np.testing.assert_allclose(r.table["att"], balanced.table["att"], rtol=0, atol=0)
    with pytest.raises(DesignError, match="option 'unbalanced'"):
        att_gt(holes, "y", **KW, unbalanced="error")
    missing_y = panel.assign(y=np.where((panel["unit"] == "k21") & (panel["period"] == 3), np.nan, panel["y"]))
    with pytest.warns(UnbalancedPanelWarning):
        att_gt(missing_y, "y", **KW, n_boot=0)
    # TWFE and the event study use every observed row (checked against statsmodels in test_did_ols.py)
    full = twfe_did(panel, "y", **KW, n_boot=99)
    part = twfe_did(holes, "y", **KW, n_boot=99)
    assert part.n_obs == full.n_obs - 1 and part.estimate != full.estimate


def test_result_objects_have_table_dict_text_and_html(panel):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = [_classic(panel, n_boot=199, seed=1, by_unit=True), twfe_did(panel, "y", **KW),
                   event_study(panel, "y", **KW, window=(-3, 3))]
    gt = att_gt(panel, "y", **KW, n_boot=199, seed=2)
    results += [gt, gt.aggregate("dynamic"), gt.aggregate("simple")]
    for r in results:
        frame = r.to_frame()
        assert isinstance(frame, pd.DataFrame) and len(frame) >= 1
        d = r.to_dict()
        json.dumps(d)  # serialisable as it stands
        assert len(d["estimates"]) == len(frame)
        text = repr(r)
        assert text.splitlines()[0].endswith(":") and "estimate" in text or "att" in text
        assert r._repr_html_().startswith("<div><strong>")
        with pytest.raises(AttributeError):
            r.level = 0.5  # frozen
    es = results[2]
    assert {"event_time", "estimate", "ci_low", "ci_high", "reference", "binned"} <= set(es.to_frame().columns)
    assert es.plot().axes[0].get_xlabel() == "Periods since start"
    dyn = results[4]
    assert "uniform band" in dyn.plot().axes[0].get_title()
    with pytest.raises(DesignError, match="one number"):
        results[5].plot()


def test_collinear_design_is_an_estimation_error():
    """No never-treated units and a fully dynamic event study: event time is collinear with the fixed effects."""
    d = staggered_panel(seed=1, n_units=4, starts={"m0": 2013.0, "m1": 2013.0, "m2": 2016.0, "m3": 2016.0},
                        drop_share=0)
    with pytest.raises(EstimationError, match="collinear with each other or with the fixed effects"):
        event_study(d, "y", unit="mun", period="year", start="start", window=(-6, 5), endpoints="drop")

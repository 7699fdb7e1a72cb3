"""Options are checked at the boundary: clear errors naming the option, warnings for ignored options."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest

import virkning
from virkning.errors import DesignError, EstimationError
from virkning.estimate import IgnoredOptionWarning


@pytest.fixture
def df() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 300
    x = rng.normal(size=n)
    return pd.DataFrame({"treat": (rng.random(n) < 1 / (1 + np.exp(1 - x))).astype(int), "x": x,
                         "z": rng.normal(size=n), "sex": rng.choice(["K", "M"], n), "y": rng.normal(size=n),
                         "person": rng.integers(0, 150, n)})


@pytest.mark.parametrize("kwargs,pattern", [
    ({"distance": "glm"}, r"option 'distance': expected one of 'logit', 'ps', 'mahalanobis'; got 'glm'"),
    ({"m_order": "closest"}, r"option 'm_order': expected one of 'largest', 'smallest', 'data', 'random'"),
    ({"ratio": 0}, r"option 'ratio'"),
    ({"ratio": 1.5}, r"option 'ratio'"),
    ({"ratio": True}, r"option 'ratio'"),
    ({"replace": "yes"}, r"option 'replace'"),
    ({"caliper": -0.2}, r"option 'caliper'"),
    ({"caliper": float("inf")}, r"option 'caliper'"),
    ({"caliper": "0.2"}, r"option 'caliper'"),
    ({"covariates": ["x", "nope"]}, r"option 'covariates': column\(s\) 'nope' not in the data"),
    ({"covariates": []}, r"option 'covariates': expected at least one"),
    ({"covariates": ["x", "x"]}, r"listed more than once"),
    ({"exact": ["gender"]}, r"option 'exact': column\(s\) 'gender'"),
    ({"treatment": "tr"}, r"option 'treatment'"),
    ({"covariates": ["x", "treat"]}, r"cannot also be a covariate"),
    ({"distance": "mahalanobis", "caliper": 0.2}, r"option 'caliper'.*mahalanobis"),
    ({"distance": "mahalanobis", "m_order": "largest"}, r"option 'm_order'"),
    ({"compat": "matchit"}, r"option 'compat'"),
    ({"seed": 1.5}, r"option 'seed'"),
    ({"cluster": "nope"}, r"option 'cluster'"),
])
def test_bad_options_raise_design_error(df, kwargs, pattern):
    args = {"covariates": ["x", "z"], **kwargs}
    with pytest.raises(DesignError, match=pattern):
        virkning.match(df, **args)


def test_bad_treatment_and_missing_values(df):
    bad = df.assign(treat=df["treat"] * 2)
    with pytest.raises(DesignError, match="must hold 0/1"):
        virkning.match(bad, covariates=["x"])
    with pytest.raises(DesignError, match="has 0 treated"):
        virkning.match(df.assign(treat=0), covariates=["x"])
    holes = df.copy()
    holes.loc[3, "x"] = np.nan
    with pytest.raises(DesignError, match=r"missing or non-finite values in 'x' \(1 rows, e.g. \[3\]\)"):
        virkning.match(holes, covariates=["x"])
    with pytest.raises(DesignError, match="index has duplicate labels"):
        virkning.match(df.set_index(np.zeros(len(df), int)), covariates=["x"])
    assert virkning.match(df.assign(treat=df["treat"].astype(bool)), covariates=["x"]).info.n_treated == \
        int(df["treat"].sum())


@pytest.mark.parametrize("kwargs,option", [
    ({"replace": True, "m_order": "largest"}, "m_order"),
    ({"seed": 3}, "seed"),
    ({"distance": "mahalanobis", "mahvars": ["x"]}, "mahvars"),
    ({"mahvars": ["z"], "caliper": 0.5, "compat": "matchit-4.5.1-gcc"}, "compat"),
])
def test_ignored_options_warn(df, kwargs, option):
    with pytest.warns(IgnoredOptionWarning, match=f"option '{option}' is ignored"):
        virkning.match(df, covariates=["x", "z"], **kwargs)


def test_defaults_do_not_warn_and_config_is_frozen(df):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = virkning.match(df, covariates=["x", "z"], exact="sex")
    cfg = m.config
    assert (cfg.distance, cfg.m_order, cfg.ratio, cfg.replace, cfg.exact) == ("logit", "largest", 1, False, ("sex",))
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.ratio = 2  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.info = None  # type: ignore[misc]
    with pytest.raises(ValueError):
        m.weights[0] = 5.0
    assert virkning.match(df, covariates=["x"], distance="mahalanobis").config.m_order == "data"
    assert virkning.match(df, covariates=["x"], replace=True).config.m_order == "data"


def test_random_order_is_seeded(df):
    a = virkning.match(df, covariates=["x", "z"], m_order="random", seed=11).pairs
    b = virkning.match(df, covariates=["x", "z"], m_order="random", seed=11).pairs
    pd.testing.assert_frame_equal(a, b)


def test_no_match_at_all_is_an_estimation_error(df):
    d = df.assign(sex=np.where(df["treat"] == 1, "K", "M"))
    with pytest.raises(EstimationError, match="no treated unit received a control"), \
            pytest.warns(virkning.estimate.MatchingWarning):
        virkning.match(d, covariates=["x"], exact=["sex"])


def test_effect_options_are_checked(df):
    m = virkning.match(df, covariates=["x", "z"])
    with pytest.raises(DesignError, match=r"option 'se': expected one of 'cluster', 'bootstrap', 'rematch', 'satt'; got 'robust'"):
        m.effect("y", se="robust")
    with pytest.raises(DesignError, match="option 'outcomes'"):
        m.effect("nope")
    with pytest.raises(DesignError, match="option 'n_boot'"):
        m.effect("y", se="bootstrap", n_boot=1)
    with pytest.raises(DesignError, match="not numeric"):
        m.effects(["sex"])
    with pytest.raises(DesignError, match="option 'binary'"):
        m.balance_table(binary="cobalt")


@pytest.mark.parametrize("kwargs,pattern", [
    ({"estimand": "ATE"}, r"option 'estimand': nearest-neighbour matching .* 'ATT' or the 'ATC'.*'full', "
                          r"'subclass', 'exact', 'cem', 'cardinality', 'quick'"),
    ({"estimand": "att2"}, r"option 'estimand': expected one of 'ATT', 'ATC'; got 'att2'"),
    ({"discard": "all"}, r"option 'discard': expected one of 'none', 'both', 'treated', 'control'; got 'all'"),
    ({"discard": "both", "distance": "mahalanobis"}, r"option 'discard': common support .* propensity score"),
    ({"reestimate": "yes"}, r"option 'reestimate'"),
    ({"caliper": {"sex": 1.0}}, r"option 'caliper': calipers cannot be used with binary, categorical"),
    ({"caliper": {"b": 1.0}}, r"option 'caliper': calipers cannot be used with binary columns; 'b'"),
    ({"caliper": {"nope": 1.0}}, r"option 'caliper': column\(s\) 'nope' not in the data"),
    ({"caliper": {"z": -1.0}}, r"option 'caliper': expected a positive number"),
    ({"caliper": {1: 0.2}}, r"option 'caliper': keys must be column names"),
    ({"caliper": {"z": 0.5}, "std_caliper": {"x": False}}, r"option 'std_caliper': expected True/False for entries"),
    ({"caliper": 0.5, "std_caliper": "no"}, r"option 'std_caliper'"),
    ({"distance": "mahalanobis", "caliper": {"distance": 0.2, "z": 1}}, r"option 'caliper'.*mahalanobis"),
    ({"antiexact": ["nope"]}, r"option 'antiexact': column\(s\) 'nope'"),
    ({"antiexact": ["treat"]}, r"option 'antiexact': the treatment column"),
])
def test_new_options_are_checked(df, kwargs, pattern):
    d = df.assign(b=(df["x"] > 0).astype(int))
    with pytest.raises(DesignError, match=pattern):
        virkning.match(d, **{"covariates": ["x", "z"], **kwargs})


def test_new_option_defaults_and_resolution(df):
    with pytest.warns(IgnoredOptionWarning, match="option 'reestimate' is ignored"):
        virkning.match(df, covariates=["x", "z"], reestimate=True)
    with pytest.warns(virkning.estimate.MatchingWarning, match="fewer treated units than controls"):
        m = virkning.match(df.assign(c=1.0), covariates=["x", "z"], caliper={"c": 1.0, "z": 0.5},
                           std_caliper={"z": False}, estimand="atc")
    assert m.config.estimand == "ATC" and m.config.m_order == "smallest"  # MatchIt's default order for the ATC
    assert [(c.variable, c.width, c.standardised) for c in m.config.covariate_calipers] == [("z", 0.5, False)]
    assert m.config.caliper is None and m.info.caliper_widths == (("z", 0.5),)  # a constant column is dropped
    cal = virkning.match(df, covariates=["x", "z"], caliper={"distance": 0.25, "z": 1.0}).config
    assert cal.caliper == 0.25 and cal.covariate_calipers[0].standardised
    assert cal.to_dict()["covariate_calipers"] == {"z": {"width": 1.0, "standardised": True}}


def test_discarding_everything_is_an_estimation_error(df):
    # treated in both tails of x, controls in the middle: the score (linear in x) of every treated unit lies
    # outside the controls' range, so the common support holds controls only
    d = df.assign(treat=(df["x"].abs() > 1.2).astype(int))
    with pytest.raises(EstimationError, match="common support: discard='both' leaves"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        virkning.match(d, covariates=["x"], discard="both")

"""The logistic propensity model: agreement with statsmodels, categorical covariates, aliasing, separation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from virkning.errors import EstimationError
from virkning.estimate import PropensityWarning
from virkning.estimate.propensity import fit_logit, fit_propensity


@pytest.fixture
def df() -> pd.DataFrame:
    rng = np.random.default_rng(42)
    n = 4000
    d = pd.DataFrame({"x": rng.normal(size=n), "w": rng.gamma(2.0, 10.0, n),
                      "region": rng.choice(["Nord", "Midt", "Syd"], n), "flag": rng.integers(0, 2, n)})
    lin = -1 + 0.8 * d["x"] - 0.02 * d["w"] + 0.5 * (d["region"] == "Syd") + 0.3 * d["flag"]
    d["treat"] = (rng.random(n) < 1 / (1 + np.exp(-lin))).astype(int)
    return d


def test_coefficients_and_se_equal_statsmodels_with_categorical(df):
    fit = fit_propensity(df, "treat", ["x", "w", "region", "flag"])
    assert fit.terms == ("(Intercept)", "x", "w", "region[Nord]", "region[Syd]", "flag")
    X = pd.DataFrame({"const": 1.0, "x": df["x"], "w": df["w"], "Nord": (df["region"] == "Nord") * 1.0,
                      "Syd": (df["region"] == "Syd") * 1.0, "flag": df["flag"] * 1.0})
    ref = sm.Logit(df["treat"], X).fit(disp=0, method="newton", tol=1e-12)
    np.testing.assert_allclose(fit.coef, ref.params.to_numpy(), rtol=1e-7)
    # SEs use the weights of the last IRLS iteration (as R's summary.glm), statsmodels those at the estimate
    np.testing.assert_allclose(fit.se, ref.bse.to_numpy(), rtol=1e-4)
    np.testing.assert_allclose(fit.score, ref.predict(X), rtol=1e-8)
    np.testing.assert_allclose(fit.linear_predictor, X.to_numpy() @ ref.params.to_numpy(), rtol=1e-7, atol=1e-9)
    table = fit.summary()
    assert list(table.columns) == ["term", "coef", "se", "z", "p_value"]
    assert fit.deviance == pytest.approx(-2 * ref.llf, rel=1e-8)  # glm stops a step short of the optimum
    assert fit.null_deviance == pytest.approx(-2 * ref.llnull, rel=1e-8)
    assert fit.to_dict()["converged"] is True


def test_grouped_and_dense_model_matrix_give_the_same_fit(df):
    grouped = fit_propensity(df, "treat", ["x", "region", "flag"])
    X = np.column_stack([np.ones(len(df)), df["x"], df["region"] == "Nord", df["region"] == "Syd", df["flag"]])
    dense = fit_logit(X.astype(float), df["treat"].to_numpy(), ["a", "b", "c", "d", "e"])
    np.testing.assert_allclose(grouped.coef, dense.coef, rtol=1e-11)
    np.testing.assert_allclose(grouped.score, dense.score, rtol=1e-12)
    assert grouped.iterations == dense.iterations


def test_aliased_covariate_is_dropped_with_warning(df):
    d = df.assign(x2=2 * df["x"])
    with pytest.warns(PropensityWarning, match="x2 are linear combinations"):
        fit = fit_propensity(d, "treat", ["x", "x2", "w"])
    assert fit.aliased == ("x2",)
    assert fit.terms == ("(Intercept)", "x", "w")


def test_quasi_complete_separation_names_the_covariate(df):
    d = df.copy()
    d.loc[d["flag"] == 1, "treat"] = 1  # everyone with flag = 1 is treated
    with pytest.raises(EstimationError, match=r"quasi-complete separation - a combination of .*flag"):
        fit_propensity(d, "treat", ["x", "w", "flag"])


def test_complete_separation_names_the_covariate(df):
    d = df.assign(treat=(df["x"] > 0.3).astype(int))
    with pytest.raises(EstimationError, match=r"complete separation - a combination of x\b"):
        fit_propensity(d, "treat", ["x"])


def test_one_group_only_is_an_error(df):
    with pytest.raises(EstimationError, match="only one value"):
        fit_propensity(df.assign(treat=1), "treat", ["x"])

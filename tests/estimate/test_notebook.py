"""Notebook-friendly results: the formula interface, readable reprs, HTML tables, sample sizes as integers."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import virkning
from virkning.errors import DesignError
from virkning.estimate.formula import split_formula


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    n = 600
    x = rng.normal(size=n)
    return pd.DataFrame({"treat": (rng.random(n) < 1 / (1 + np.exp(1.3 - x))).astype(int), "age": x,
                         "educ": rng.normal(size=n), "sex": rng.choice(["K", "M"], n), "y": x + rng.normal(size=n),
                         "my var": rng.normal(size=n)})


def test_formula_interface_equals_column_lists(df):
    a = virkning.match("treat ~ age + educ + sex", data=df, caliper=0.2)
    b = virkning.match(df, "treat", ["age", "educ", "sex"], caliper=0.2)
    pd.testing.assert_frame_equal(a.pairs, b.pairs)
    assert a.config.covariates == ("age", "educ", "sex")
    assert split_formula("treat ~ .", df) == ("treat", ["age", "educ", "sex", "y", "my var"])
    assert split_formula("treat ~ . - y - `my var`", df) == ("treat", ["age", "educ", "sex"])
    assert split_formula(" treat~age+`my var` ", df) == ("treat", ["age", "my var"])


@pytest.mark.parametrize("formula,pattern", [
    ("treat age", "expected 'treatment ~ covariate"),
    ("treat ~ I(age^2)", r"'\(' is not supported"),
    ("treat ~ age:educ", "':' is not supported"),
    ("treat + sex ~ age", "left-hand side must be the one treatment column"),
    ("treat ~ ", "cannot read the term"),
])
def test_formula_errors(df, formula, pattern):
    with pytest.raises(DesignError, match=pattern):
        virkning.match(formula, data=df)


def test_formula_needs_data_and_no_second_covariate_list(df):
    with pytest.raises(DesignError, match="pass the data frame as data="):
        virkning.match("treat ~ age")
    with pytest.raises(DesignError, match="either in the formula or as covariates"):
        virkning.match("treat ~ age", data=df, covariates=["educ"])


def test_reprs_and_html(df):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = virkning.match("treat ~ age + educ + sex", data=df, discard="both", caliper={"distance": 0.2, "age": 1})
    r = repr(m)
    assert r.startswith("MatchResult(ATT, 1:1 nearest neighbour on logit;") and "discarded" in r
    s = m.summary()
    text = str(s)
    assert "common support: discard='both'" in text and "calipers: distance" in text and "Discarded" in text
    # counts print as whole numbers, effective sizes with two decimals
    sizes = text.split("Sample sizes:")[1].split("Balance:")[0]
    all_row = next(line for line in sizes.splitlines() if line.startswith("All ") and "ESS" not in line)
    assert "." not in all_row
    ess_row = next(line for line in sizes.splitlines() if line.startswith("Matched (ESS)"))
    assert "." in ess_row
    counts = s.counts
    assert counts.dtypes.tolist() == [np.int64, np.int64]
    assert counts.loc["All"].tolist() == [int((df["treat"] == 0).sum()), int(df["treat"].sum())]
    assert counts.loc["Discarded"].tolist() == [m.info.n_control_discarded, m.info.n_treated_discarded]
    d = s.to_dict()
    assert isinstance(d["sample_sizes"]["Treated"]["All"], int) and isinstance(
        d["sample_sizes"]["Treated"]["Matched (ESS)"], float)
    html = m._repr_html_()
    assert "<table" in html and "Sample sizes" in html and "Balance" in html and "smd_flag" in html
    e = m.effect("y")
    assert repr(e).startswith("EffectEstimate(ATT on y:") and "<table>" in e._repr_html_()
    assert "Controls" in e._repr_html_() and e.estimand == "ATT"
    assert repr(m.balance).startswith("BalanceTable(")
    assert m.to_dict()["sample_sizes"]["Control"]["Discarded"] == m.info.n_control_discarded


def test_control_rows_and_persons_are_both_counted(df):
    d = df.assign(person=np.arange(len(df)) % 250)  # persons with two or three rows
    m = virkning.match(d, covariates=["age", "educ"], cluster="person")
    e = m.effects(["y"])
    rows = m.data.loc[m.data["treat"] == 0]
    assert e.loc[0, "n_control"] == len(rows)
    assert e.loc[0, "n_control_persons"] == rows["person"].nunique() < len(rows)
    assert e.loc[0, "estimand"] == "ATT"
    est = m.effect("y")
    assert est.n_control_persons == rows["person"].nunique()
    assert f"({est.n_control_persons:,} persons)" in str(est)

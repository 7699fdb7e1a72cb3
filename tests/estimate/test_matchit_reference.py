"""virkning.match against stored MatchIt 4.5.1 outputs (tests/reference/matchit, see its README).

Every case is checked for: identical matched sets (treated, control, slot), MatchIt's weights and set
numbers, the distance, the caliper width, the propensity coefficients, the sample-size table, the balance
tables of summary(m, un = TRUE) and the ATT with its cluster-robust SE from lm() + sandwich::vcovCL().

- installed/: the Debian build of MatchIt 4.5.1, reproduced with compat="matchit-4.5.1-gcc" (Mahalanobis
  cases do not use the affected routine and run in the default mode);
- fixed/: MatchIt 4.5.1 with the upstream fixes of its vector-distance routine = virkning's default.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import virkning

REF = Path(__file__).resolve().parents[1] / "reference" / "matchit"
DW = ["age", "age2", "educ", "educ2", "black", "hisp", "marr", "nodegree", "re74", "re75", "re74sq", "re75sq",
      "u74", "u75"]


def load_lalonde() -> pd.DataFrame:
    d = pd.read_csv(REF / "lalonde.csv.gz")
    return d.assign(age2=d["age"] ** 2, educ2=d["educ"] ** 2, re74sq=d["re74"] * d["re74"],
                    re75sq=d["re75"] * d["re75"], u74=(d["re74"] == 0).astype(int),
                    u75=(d["re75"] == 0).astype(int))


DATA = {"lalonde": load_lalonde(), "sim": pd.read_csv(REF / "sim.csv")}
CASES = sorted((p.parent.name, p.stem) for p in REF.glob("*/*.json"))


def call_for(case: dict, flavour: str) -> dict:
    """Translate a stored MatchIt call into virkning.match arguments."""
    a = case["args"] if isinstance(case["args"], dict) else {}
    kw: dict = {"distance": "mahalanobis" if a.get("distance") == "mahalanobis"
                else ("logit" if a.get("link") == "linear.logit" else "ps")}
    for key in ("ratio", "replace", "caliper"):
        if key in a:
            kw[key] = a[key]
    if "m.order" in a:
        kw["m_order"] = a["m.order"]
    for key in ("exact", "mahvars"):
        if key in a:
            kw[key] = [v.strip() for v in a[key].lstrip("~").split("+")]
    affected = kw["distance"] != "mahalanobis" and "mahvars" not in kw
    kw["compat"] = "matchit-4.5.1-gcc" if (flavour == "installed" and affected) else "none"
    kw["covariates"] = [v.strip() for v in case["formula"].split("~")[1].split("+")]
    return kw


@pytest.fixture(scope="module", params=CASES, ids=[f"{f}-{c}" for f, c in CASES])
def matched(request):
    flavour, name = request.param
    case = json.loads((REF / flavour / f"{name}.json").read_text())
    kw = call_for(case, flavour)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = virkning.match(DATA[case["data"]], "treat", **kw)
    pairs = pd.read_csv(REF / flavour / f"{name}_pairs.csv")
    units = pd.read_csv(REF / flavour / f"{name}_units.csv")
    return case, m, pairs, units


def test_matched_sets_identical(matched):
    case, m, pairs, _ = matched
    ours = m.pairs
    ours = {(t + 1, c + 1, s) for t, c, s in ours[["treated", "control", "slot"]].itertuples(index=False)}
    theirs = set(pairs[["treated", "control", "slot"]].itertuples(index=False, name=None))
    assert len(ours) == len(m.pairs)
    assert ours == theirs


def test_weights_subclass_distance(matched):
    case, m, _, units = matched
    rows = units["row"].to_numpy() - 1
    assert set(np.flatnonzero(m.weights > 0)) == set(rows)
    np.testing.assert_allclose(m.weights[rows], units["weights"], rtol=1e-12, atol=1e-12)
    if units["subclass"].notna().all():
        np.testing.assert_array_equal(m.subclass[rows], units["subclass"].to_numpy())
    if "distance" in units:
        np.testing.assert_allclose(m.distance[rows], units["distance"], rtol=1e-9, atol=1e-12)
    if case["caliper"] is not None:
        assert m.info.caliper_width == pytest.approx(case["caliper"], rel=1e-10)


def test_propensity_coefficients(matched):
    case, m, _, _ = matched
    if case["coef"] is None:
        assert m.propensity is None
        return
    r = pd.Series(case["coef"])
    ours = pd.Series(m.propensity.coef, index=[t.replace("[", "").replace("]", "") for t in m.propensity.terms])
    np.testing.assert_allclose(ours[r.index], r, rtol=1e-8)


def test_sample_sizes(matched):
    case, m, _, _ = matched
    nn = pd.DataFrame(case["nn"]).set_index("term")
    np.testing.assert_allclose(m.sample_sizes().loc[nn.index, ["Control", "Treated"]], nn[["Control", "Treated"]],
                               rtol=1e-10)


STAT_MAP = {"Means Treated": "mean_treated", "Means Control": "mean_control", "Std. Mean Diff.": "smd",
            "Var. Ratio": "var_ratio", "eCDF Mean": "ecdf_mean", "eCDF Max": "ecdf_max"}


def test_balance_equals_summary(matched):
    case, m, _, _ = matched
    bt = m.balance.table
    names = [t if not isinstance(lv, str) else f"{v}{lv}" for t, v, lv in zip(bt["term"], bt["variable"], bt["level"])]
    bt = bt.set_axis(names)
    for part, when in (("sum_all", "before"), ("sum_matched", "after")):
        r = pd.DataFrame(case[part]).set_index("term")
        assert list(r.index) == names
        for rcol, ours in STAT_MAP.items():
            theirs = pd.to_numeric(r[rcol], errors="coerce").to_numpy(dtype=float)
            mine = bt[f"{ours}_{when}"].to_numpy(dtype=float)
            np.testing.assert_array_equal(np.isnan(mine), np.isnan(theirs))
            ok = ~np.isnan(theirs)
            np.testing.assert_allclose(mine[ok], theirs[ok], rtol=1e-6, atol=1e-6, err_msg=f"{part} {rcol}")


def test_effect_and_cluster_se(matched):
    case, m, _, _ = matched
    eff = case["effect"]
    est = m.effect(eff["outcome"])
    assert est.att == pytest.approx(eff["att"], rel=1e-9, abs=1e-9)
    assert est.se == pytest.approx(eff["se"], rel=1e-8)
    expected = ("subclass",) if eff["clusters"] == "subclass" else ("subclass", "id")
    assert est.clusters == expected

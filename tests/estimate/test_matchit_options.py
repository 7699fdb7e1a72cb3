"""Common support, covariate calipers, antiexact and the ATC against stored MatchIt 4.5.1 outputs.

The cases are in tests/reference/matchit/extended/ (made by make_reference.R, see the README there): the same
flavours as test_matchit_reference.py (installed/ = Debian build, reproduced with compat="matchit-4.5.1-gcc";
fixed/ = 4.5.1 with the upstream fixes = virkning's default). Every case is checked for identical matched sets,
weights, set numbers, distances, discarded units, caliper widths, propensity coefficients (of the re-estimated
model where there is one), the sample-size table with its Discarded row, the balance tables of
summary(m, un = TRUE) and the effect with its cluster-robust SE.
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
EXT = REF / "extended"


def load_lalonde() -> pd.DataFrame:
    d = pd.read_csv(REF / "lalonde.csv.gz")
    return d.assign(age2=d["age"] ** 2, educ2=d["educ"] ** 2, re74sq=d["re74"] * d["re74"],
                    re75sq=d["re75"] * d["re75"], u74=(d["re74"] == 0).astype(int),
                    u75=(d["re75"] == 0).astype(int))


DATA = {"lalonde": load_lalonde(), "sim": pd.read_csv(REF / "sim.csv")}
CASES = sorted((p.parent.name, p.stem) for p in EXT.glob("*/*.json"))


def _vars(formula: str) -> list[str]:
    return [v.strip() for v in formula.lstrip("~").split("+")]


def call_for(case: dict, flavour: str) -> dict:
    """Translate a stored MatchIt call into virkning.match arguments."""
    a = case["args"]
    kw: dict = {"distance": "mahalanobis" if a.get("distance") == "mahalanobis"
                else ("logit" if a.get("link") == "linear.logit" else "ps")}
    for key in ("ratio", "replace", "discard", "reestimate", "estimand"):
        if key in a:
            kw[key] = a[key]
    for key in ("exact", "mahvars", "antiexact"):
        if key in a:
            kw[key] = _vars(a[key])
    if "caliper" in a:
        cal = a["caliper"]
        kw["caliper"] = cal if isinstance(cal, dict) else float(cal)
        if "std.caliper" in a:
            std = a["std.caliper"]
            kw["std_caliper"] = dict(zip(cal, std)) if isinstance(std, list) else bool(std)
    affected = kw["distance"] != "mahalanobis" and "mahvars" not in kw
    kw["compat"] = "matchit-4.5.1-gcc" if (flavour == "installed" and affected) else "none"
    kw["covariates"] = _vars(case["formula"].split("~")[1])
    return kw


def test_cases_cover_every_new_option():
    assert len(CASES) >= 30
    args = [json.loads((EXT / f / f"{c}.json").read_text())["args"] for f, c in CASES]
    for key in ("discard", "reestimate", "antiexact", "std.caliper", "estimand"):
        assert any(key in a for a in args), key
    assert {a.get("discard") for a in args} >= {"both", "treated", "control"}


@pytest.fixture(scope="module", params=CASES, ids=[f"{f}-{c}" for f, c in CASES])
def matched(request):
    flavour, name = request.param
    case = json.loads((EXT / flavour / f"{name}.json").read_text())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = virkning.match(DATA[case["data"]], "treat", **call_for(case, flavour))
    pairs = pd.read_csv(EXT / flavour / f"{name}_pairs.csv")
    units = pd.read_csv(EXT / flavour / f"{name}_units.csv")
    return case, m, pairs, units


def test_matched_sets_identical(matched):
    case, m, pairs, _ = matched
    rows, cols = np.nonzero(m.match_matrix >= 0)
    ours = set(zip((m.treated_rows[rows] + 1).tolist(), (m.match_matrix[rows, cols] + 1).tolist(),
                   (cols + 1).tolist()))
    assert ours == set(pairs[["focal", "matched", "slot"]].itertuples(index=False, name=None))
    assert len(ours) == len(pairs)


def test_weights_subclass_distance_discarded(matched):
    case, m, _, units = matched
    rows = units["row"].to_numpy() - 1
    assert set(np.flatnonzero(m.weights > 0)) == set(rows)
    np.testing.assert_allclose(m.weights[rows], units["weights"], rtol=1e-12, atol=1e-12)
    if units["subclass"].notna().all():
        np.testing.assert_array_equal(m.subclass[rows], units["subclass"].to_numpy())
    if "distance" in units:
        np.testing.assert_allclose(m.distance[rows], units["distance"], rtol=1e-9, atol=1e-12)
    assert np.flatnonzero(m.discarded_mask).tolist() == [r - 1 for r in case["discarded"]]
    assert m.info.estimand == case["estimand"]


def test_caliper_widths(matched):
    case, m, _, _ = matched
    theirs = case.get("caliper") or {}  # the R script leaves the key out when there is no caliper
    ours = dict(m.info.caliper_widths)
    if m.info.caliper_width is not None:
        ours["distance"] = m.info.caliper_width
    assert set(ours) == set(theirs)
    for k, v in theirs.items():
        assert ours[k] == pytest.approx(v, rel=1e-10), k


def test_propensity_coefficients(matched):
    case, m, _, _ = matched
    if case["coef"] is None:
        assert m.propensity is None
        return
    r = pd.Series(case["coef"]).dropna()
    ours = pd.Series(m.propensity.coef, index=[t.replace("[", "").replace("]", "") for t in m.propensity.terms])
    np.testing.assert_allclose(ours[r.index], r, rtol=1e-8)


def test_sample_sizes_with_discarded_row(matched):
    case, m, _, _ = matched
    nn = pd.DataFrame(case["nn"]).set_index("term")
    np.testing.assert_allclose(m.sample_sizes().loc[nn.index, ["Control", "Treated"]], nn[["Control", "Treated"]],
                               rtol=1e-10)
    counts = m.summary().counts
    assert counts.dtypes.tolist() == [np.int64, np.int64]
    assert counts.loc["Discarded"].tolist() == [m.info.n_control_discarded, m.info.n_treated_discarded]


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
    assert est.estimand == case["estimand"]
    assert est.att == pytest.approx(eff["att"], rel=1e-9, abs=1e-9)
    assert est.se == pytest.approx(eff["se"], rel=1e-8)

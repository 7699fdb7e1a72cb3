"""The seed 000 characteristics table (Tabel 1 and 3): age bands, Danish / not Danish, education in its natural
order, persons beside person-weeks, and what the new margins reveal to the disclosure gate and the audit.

References: the shares are recomputed here with plain pandas (group means with the matching weights); the audit is
the independent reader of the written files."""

import importlib

import numpy as np
import pandas as pd
import pytest

from virkning.analyses.effect import characteristics as chars
from virkning.disclosure import Model, protect
from virkning.disclosure.audit import audit
from virkning.estimate import match
from virkning.outputs import csv_bytes

pub = importlib.import_module("virkning.analyses.effect.publish")  # the module; the package exports a function


def test_age_bands_follow_seed_000():
    assert chars.age_edges({"pool": {"age": [50, 65]}}) == [50, 55, 60, 66]
    assert chars.age_edges({"pool": {"age": [49, 65]}}) == [49, 55, 60, 66]  # 49-54, 55-59, 60-65 as Tabel 1
    assert chars.age_edges({"pool": {"age": [30, 49]}}) == [30, 35, 40, 45, 50]
    # the design's age subgroup wins, so the two tables show the same bands
    design = {"pool": {"age": [50, 65]}, "subgroups": [{"name": "age band", "covariate": "age", "edges": [50, 60, 66]}]}
    assert chars.age_edges(design) == [50, 60, 66]
    assert chars.age_edges({"pool": {}}) is None


@pytest.fixture(scope="module")
def matched():
    rng = np.random.default_rng(19)
    n_t, n_c = 120, 900
    n = n_t + n_c
    data = pd.DataFrame({
        "treat": np.r_[np.ones(n_t, int), np.zeros(n_c, int)],
        # controls are person-weeks: 300 persons, three weeks each
        "person_id": np.r_[np.arange(n_t), 1000 + np.repeat(np.arange(n_c // 3), 3)],
        "sex": rng.choice(["K", "M"], n),
        "age": rng.integers(50, 66, n).astype(float),
        "origin": rng.choice(["dansk", "indvandrer", "efterkommer"], n, p=[0.85, 0.1, 0.05]),
        "education": rng.choice(["LVU", "grundskole", "KVU", "erhvervsfaglig", "MVU", "gymnasial"], n),
    })
    return match(data, treatment="treat", covariates=["sex", "age", "origin", "education"], ratio=1,
                 cluster="person_id")


def test_shares_match_a_direct_count(matched):
    design = {"pool": {"age": [50, 65]}}
    t = chars.characteristics(matched, design)
    d = matched.source.assign(w=matched.weights)
    d["band"] = pd.cut(d["age"], [50, 55, 60, 66], right=False, labels=["50-54", "55-59", "60-65"]).astype(str)
    d["group"] = np.where(d["origin"] == "dansk", "dansk", "ikke-dansk")
    for (var, col), level in (((("age_band", "band")), "55-59"), (("origin_group", "group"), "ikke-dansk"),
                              (("education", "education"), "MVU"), (("sex", "sex"), "K")):
        row = t[(t["variable"] == var) & (t["level"] == level)].iloc[0]
        is_t, is_c = d["treat"] == 1, d["treat"] == 0
        assert row["mean_treated_before"] == pytest.approx((d.loc[is_t, col] == level).mean(), abs=1e-12)
        assert row["mean_control_before"] == pytest.approx((d.loc[is_c, col] == level).mean(), abs=1e-12)
        wc = d.loc[is_c, "w"]
        assert row["mean_control_after"] == pytest.approx(((d.loc[is_c, col] == level) * wc).sum() / wc.sum(),
                                                          abs=1e-12)
    age = t[t["variable"] == "age"].iloc[0]
    assert age["type"] == "continuous"
    assert age["mean_treated_before"] == pytest.approx(d.loc[d.treat == 1, "age"].mean())
    # the same numbers as the balance table where the levels are the same
    bal = matched.balance.to_frame().set_index("term")
    assert t.set_index("term").loc["sex[K]", "smd_after"] == pytest.approx(bal.loc["sex[K]", "smd_after"])
    # layout: sex, bands, mean age, origin groups, education from the shortest
    assert list(dict.fromkeys(t["variable"])) == ["sex", "age_band", "age", "origin_group", "education"]
    assert t[t["variable"] == "education"]["level"].tolist() == ["grundskole", "gymnasial", "erhvervsfaglig", "KVU",
                                                                 "MVU", "LVU"]
    assert t.set_index("term").loc["origin_group[ikke-dansk]", "parts"] == "origin:efterkommer|origin:indvandrer"


def test_persons_are_counted_once(matched):
    rows = chars.persons_rows(matched).set_index("sample")
    d = matched.source
    assert rows.loc["All (persons)", "Control"] == d.loc[d.treat == 0, "person_id"].nunique() == 300
    assert rows.loc["All (persons)", "Treated"] == 120
    kept = matched.weights > 0
    assert rows.loc["Matched (persons)", "Control"] == d.loc[kept & (d.treat == 0).to_numpy(), "person_id"].nunique()


def _declared(frames: dict) -> Model:
    m = Model()
    size_key = pub._sizes(m, frames["sample_sizes"])
    pub._covariates(m, frames["balance"], "balance", size_key,
                    {"mean_treated_before": ("Treated", "All"), "mean_control_before": ("Control", "All"),
                     "mean_treated_after": ("Treated", "Matched"), "mean_control_after": ("Control", "Matched")},
                    ["smd_before", "smd_after"])
    chars.declare(m, frames["characteristics"], size_key, frames["flow"], pd.DataFrame(), pub._covariates,
                  pub.DISCARD_STEP)
    return m


def test_not_danish_cannot_reveal_a_small_origin_level(tmp_path):
    """3 descendants among 100 participants: hidden, and neither 'not Danish' (their sum with the immigrants) nor
    the other levels may let a reader subtract their way to it. The audit reads the written files."""
    sizes = pd.DataFrame({"sample": ["All", "Matched", "Unmatched", "Discarded", "All (persons)", "Matched (persons)"],
                          "Control": [1000.0, 100, 900, 0, 400, 100], "Treated": [100.0, 100, 0, 0, 100, 100]})
    shares = {"dansk": (0.9, 0.8), "efterkommer": (0.03, 0.05), "indvandrer": (0.07, 0.15)}

    def rows(variable, levels, parts=None):
        out = []
        for lv, (t_, c_) in levels.items():
            out.append({"term": f"{variable}[{lv}]", "variable": variable, "level": lv, "type": "binary",
                        **({"parts": parts[lv]} if parts else {}),
                        "mean_treated_before": t_, "mean_control_before": c_, "smd_before": t_ - c_,
                        "mean_treated_after": t_, "mean_control_after": t_, "smd_after": 0.0})
        return pd.DataFrame(out)

    frames = {
        "sample_sizes": sizes,
        "flow": pd.DataFrame({"step": ["eligible", "matched"], "participants": [100, 100],
                              "pool_persons": [400, 100], "pool_pairs": [1000, 100]}),
        "balance": rows("origin", shares),
        "characteristics": rows("origin_group", {"dansk": (0.9, 0.8), "ikke-dansk": (0.1, 0.2)},
                                parts={"dansk": "origin:dansk", "ikke-dansk": "origin:efterkommer|origin:indvandrer"}),
        "effects": pd.DataFrame(columns=["outcome", "month", "treated_mean", "control_mean", "at_risk_treated",
                                         "at_risk_control"]),
    }
    model = _declared(frames)
    joined = [r for r in model.relations if ("level", "origin_group", "ikke-dansk", "Treated", "All") in r.coefs
              and ("level", "origin", "efterkommer", "Treated", "All") in r.coefs]
    assert joined, "not Danish is declared as the sum of the levels it joins"
    protected, gate = protect(frames, model, 5)
    bal = protected["balance"].set_index("level")
    assert pd.isna(bal.loc["efterkommer", "mean_treated_before"])
    for name, frame in protected.items():
        (tmp_path / f"{name}.csv").write_bytes(csv_bytes(frame))
    assert audit(tmp_path, 5) == []
    # the audit rebuilds the relation from the column `parts`: with the descendants and Danish hidden but
    # immigrants and 'not Danish' shown, it finds 10 - 7 = 3; without the column it cannot
    leaky = {k: v.copy() for k, v in frames.items()}
    cols = ["mean_treated_before", "mean_control_before", "smd_before", "mean_treated_after", "mean_control_after",
            "smd_after"]
    leaky["balance"].loc[leaky["balance"]["level"].isin(["dansk", "efterkommer"]), cols] = np.nan
    leaky["characteristics"].loc[leaky["characteristics"]["level"] == "dansk", cols] = np.nan
    for name, frame in leaky.items():
        (tmp_path / f"{name}.csv").write_bytes(csv_bytes(frame))
    found = audit(tmp_path, 5)
    assert any("efterkommer" in f.cells and "3.00 and 3.00" in f.arithmetic for f in found), found
    (tmp_path / "characteristics.csv").write_bytes(csv_bytes(leaky["characteristics"].drop(columns="parts")))
    assert audit(tmp_path, 5) == []

"""ATT estimation: known truth in a simulation, many outcomes at once, missing outcomes, SE variants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import virkning
from virkning.estimate import effects
from virkning.estimate.effects import COLUMNS

TRUE_ATT = 0.08


def simulate(seed: int, n: int = 6000) -> pd.DataFrame:
    """Selection on observables: treatment and outcome both depend on age, prior employment and sex."""
    rng = np.random.default_rng(seed)
    age = rng.integers(50, 66, n)
    prior = rng.beta(2, 2, n)
    sex = rng.choice(["K", "M"], n)
    region = rng.choice(["Nord", "Midt", "Syd"], n)
    lin = -1.0 + 0.08 * (age - 57) - 2.5 * prior + 0.4 * (sex == "M") + 0.3 * (region == "Syd")
    treat = (rng.random(n) < 1 / (1 + np.exp(-lin))).astype(int)
    months = {}
    for h in range(1, 8):  # employment-style outcomes month by month; the effect builds up to TRUE_ATT
        base = 0.1 + 0.05 * h + 1.0 * prior - 0.01 * (age - 57) - 0.05 * (sex == "M")
        months[f"emp_{h}"] = base + TRUE_ATT * min(h, 3) / 3 * treat + rng.normal(0, 0.3, n)
    return pd.DataFrame({"treat": treat, "age": age, "prior": prior, "sex": sex, "region": region,
                         "person": rng.integers(0, n // 2, n), **months})


@pytest.fixture(scope="module")
def sim() -> pd.DataFrame:
    return simulate(7)


@pytest.mark.parametrize("kwargs", [{}, {"exact": ["sex"]}, {"ratio": 2}, {"replace": True},
                                    {"caliper": 0.2, "distance": "ps"}])
def test_known_effect_recovered(sim, kwargs):
    m = virkning.match(sim, "treat", ["age", "prior", "sex", "region"], **kwargs)
    naive = sim.groupby("treat")["emp_7"].mean().diff().iloc[-1]
    est = m.effect("emp_7")
    assert abs(est.att - TRUE_ATT) < 3 * est.se
    assert abs(naive - TRUE_ATT) > 3 * est.se  # the naive contrast is biased by selection
    assert 0 < est.se < 0.05


def test_many_outcomes_at_once_equal_one_at_a_time(sim):
    m = virkning.match(sim, "treat", ["age", "prior", "sex"])
    outcomes = [f"emp_{h}" for h in range(1, 8)]
    table = effects(m, outcomes)
    assert list(table.columns[:len(COLUMNS)]) == COLUMNS
    assert table["outcome"].tolist() == outcomes
    for h, row in zip(range(1, 8), table.itertuples()):
        one = m.effect(f"emp_{h}")
        assert row.att == pytest.approx(one.att, rel=1e-12)
        assert row.se == pytest.approx(one.se, rel=1e-12)
        md = m.data
        wls = sm.WLS(md[f"emp_{h}"], sm.add_constant(md["treat"].astype(float)), weights=md["weights"]).fit(
            cov_type="cluster", cov_kwds={"groups": md["subclass"].to_numpy(dtype=int)})
        assert row.se == pytest.approx(wls.bse["treat"], rel=1e-9)
    assert (table["n_treated"] == int(sim["treat"].sum())).all()


def test_missing_outcome_uses_complete_rows(sim):
    d = sim.copy()
    d.loc[d.index[::7], "emp_3"] = np.nan  # e.g. follow-up not yet observed
    m = virkning.match(d, "treat", ["age", "prior"])
    table = m.effects(["emp_2", "emp_3"])
    md = m.data.dropna(subset=["emp_3"])
    wls = sm.WLS(md["emp_3"], sm.add_constant(md["treat"].astype(float)), weights=md["weights"]).fit(
        cov_type="cluster", cov_kwds={"groups": md["subclass"].to_numpy(dtype=int)})
    row = table.set_index("outcome").loc["emp_3"]
    assert row["att"] == pytest.approx(wls.params["treat"], rel=1e-10)
    assert row["se"] == pytest.approx(wls.bse["treat"], rel=1e-9)
    assert row["n_treated"] < table.set_index("outcome").loc["emp_2", "n_treated"]


def test_bootstrap_is_seeded_and_close_to_cluster_se(sim):
    m = virkning.match(sim, "treat", ["age", "prior", "sex"])
    a = m.effect("emp_5", se="bootstrap", n_boot=400, seed=5)
    b = m.effect("emp_5", se="bootstrap", n_boot=400, seed=5)
    c = m.effect("emp_5")
    assert a == b
    assert a.att == c.att
    assert a.se == pytest.approx(c.se, rel=0.25)
    assert a.ci_low < a.att < a.ci_high
    assert a.se_type == "bootstrap" and a.n_boot == 400


def test_cluster_column_adds_a_dimension(sim):
    # a cluster id unique per row adds nothing: two-way (set, row) = one-way (set)
    d = sim.assign(row_id=np.arange(len(sim)))
    one = virkning.match(d, "treat", ["age", "prior"]).effect("emp_4")
    two = virkning.match(d, "treat", ["age", "prior"], cluster="row_id").effect("emp_4")
    assert two.clusters == ("subclass", "row_id")
    assert two.se == pytest.approx(one.se, rel=1e-10)
    # persons appearing several times: clustering on them changes the SE
    person = virkning.match(d, "treat", ["age", "prior"], cluster="person").effect("emp_4")
    assert person.se != pytest.approx(one.se, rel=1e-6)
    assert person.n_clusters[1] == d.loc[virkning.match(d, "treat", ["age", "prior"]).weights > 0,
                                         "person"].nunique()


def test_replacement_uses_long_data_and_two_way_clusters(sim):
    m = virkning.match(sim, "treat", ["age", "prior"], replace=True, ratio=2)
    gm = m.matches
    assert len(gm) == 3 * int(sim["treat"].sum())
    assert gm.groupby("subclass")["weights"].sum().eq(2.0).all()  # 1 treated + 2 x 1/2
    assert m.data["subclass"].isna().all()
    est = m.effect("emp_1")
    assert est.clusters == ("subclass", "id")
    w_mean = np.average(gm.loc[gm["treat"] == 0, "emp_1"], weights=gm.loc[gm["treat"] == 0, "weights"])
    assert est.control_mean == pytest.approx(w_mean)
    md = m.data
    assert est.control_mean == pytest.approx(np.average(md.loc[md["treat"] == 0, "emp_1"],
                                                        weights=md.loc[md["treat"] == 0, "weights"]))

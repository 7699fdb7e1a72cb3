"""Subgroups keep whole matched sets, also when persons link sets (the bootstrap's groups are not subgroups)."""

import numpy as np
import pandas as pd

import virkning
from virkning.estimate.subgroups import subgroup_effects


def test_each_set_follows_its_own_participant_when_persons_link_sets():
    rng = np.random.default_rng(2)
    n = 900
    x = rng.normal(size=n)
    d = pd.DataFrame({"treat": (rng.random(n) < 1 / (1 + np.exp(1.5 - x))).astype(int), "x": x,
                      "band": rng.choice(["a", "b"], n), "y": rng.normal(size=n),
                      "person": rng.integers(0, 300, n)})  # persons with several rows link many sets
    m = virkning.match(d, covariates=["x"], cluster="person")
    s = m.analysis_sample()
    assert len(np.unique(s.boot_cluster)) < len(np.unique(s.set_codes))  # linked sets exist
    effects, tests = subgroup_effects(m, "band", ["y"])
    treated = m.data[m.data["treat"] == 1]
    assert effects.set_index("level")["n_treated"].to_dict() == treated["band"].value_counts().to_dict()
    assert int(effects["n_control"].sum()) == int((m.data["treat"] == 0).sum())
    assert tests.loc[0, "df"] == 1

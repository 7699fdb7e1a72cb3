"""The participants' characteristics as a published evaluation shows them (seed 000, Tabel 1 and Tabel 3): sex, age
in bands (49-54, 55-59, 60-65) with the mean, origin as Danish / not Danish, education in its natural order; before
matching (participants against the whole eligible pool) and after (participants against the control group).

The numbers are computed with the balance table's own function on the same rows and weights, so the shares of the
levels shared with the balance table (sex, education) are the same numbers. The two new margins are declared to the
disclosure gate with what a reader can do with them:

- age bands: the bands of a group sum to the group; after matching they count the same persons as the subgroup
  table's age bands when the bands are the same (one count, two places);
- origin groups: "not Danish" is the sum of the origin levels it joins (immigrants and descendants), so it cannot
  reveal a withheld level by subtraction. The published table says which levels a row joins (column `parts`), so
  the audit rebuilds the relation from the file.

Persons, not person-weeks: `persons_rows` counts the distinct persons behind the sample sizes (a pool person can
be a candidate in several index weeks; the shares are over those person-weeks, as the matching is).
"""

from __future__ import annotations

import math
from typing import cast

import numpy as np
import pandas as pd

from virkning.disclosure import Model
from virkning.estimate.balance import balance_table
from virkning.estimate.subgroups import bands
from virkning.panel.grammar import ORIGIN_GROUPS

# origin groups of seed 000's tables (Dansk / Ikke-dansk), in the panel's own map from the register's levels
GROUP_ORDER = tuple(dict.fromkeys(ORIGIN_GROUPS.values()))
# education from the shortest to the longest (the order of the Danish education ladder), unknown last
EDUCATION_ORDER = ("grundskole", "gymnasial", "erhvervsfaglig", "KVU", "MVU", "LVU", "ukendt", "(mangler)")
SHARES = {"mean_treated_before": ("Treated", "All"), "mean_control_before": ("Control", "All"),
          "mean_treated_after": ("Treated", "Matched"), "mean_control_after": ("Control", "Matched")}
COLUMNS = ["term", "variable", "level", "type", "parts", "mean_treated_before", "mean_control_before", "smd_before",
           "mean_treated_after", "mean_control_after", "smd_after"]
PERSON_ROWS = ("All (persons)", "Matched (persons)")


def age_edges(design: dict) -> list[int] | None:
    """The age bands: the design's age subgroup when it has one (so the two tables agree), else 5-year bands of the
    pool's age range, a first or last band shorter than 3 years joined to its neighbour (50-65 -> 50-54, 55-59,
    60-65; 49-65 -> 49-54, 55-59, 60-65 as seed 000)."""
    for s in design.get("subgroups") or []:
        if s.get("covariate") == "age" and s.get("edges"):
            return [int(e) for e in s["edges"]]
    age = (design.get("pool") or {}).get("age")
    if not age:
        return None
    lo, hi = int(age[0]), int(age[1])
    edges = [lo] + [k for k in range(5 * math.ceil((lo + 1) / 5), hi + 1, 5) if k - lo >= 3]
    if hi + 1 - edges[-1] < 3 and len(edges) > 1:
        edges[-1] = hi + 1
    else:
        edges.append(hi + 1)
    return edges


def _order(variable: str, level) -> tuple:
    if variable == "education":
        return (EDUCATION_ORDER.index(level) if level in EDUCATION_ORDER else len(EDUCATION_ORDER), str(level))
    if variable == "origin_group":
        return (GROUP_ORDER.index(level) if level in GROUP_ORDER else len(GROUP_ORDER), str(level))
    return (0, str(level))


def characteristics(matching, design: dict) -> pd.DataFrame:
    """The characteristics table of a matching result (`MatchResult`, its source holding the covariates)."""
    data = matching.source
    frame, covs = pd.DataFrame(index=data.index), []
    parts: dict = {}
    if "sex" in data:
        frame["sex"] = data["sex"].astype(object)
        covs.append("sex")
    edges = age_edges(design)
    if "age" in data and edges:
        frame["age_band"] = bands(data["age"].astype(float), cast("list[float]", edges))
        frame["age"] = data["age"].astype(float)
        covs += ["age_band", "age"]
    if "origin" in data:
        to_group = ORIGIN_GROUPS
        frame["origin_group"] = data["origin"].astype(object).map(lambda v: to_group.get(v, v))
        covs.append("origin_group")
        for v in data["origin"].astype(object).unique():
            parts.setdefault(to_group.get(v, v), []).append(f"origin:{v}")
    elif "origin_group" in data:  # the two groups read as such (e.g. an exact variable): no levels to join
        frame["origin_group"] = data["origin_group"].astype(object)
        covs.append("origin_group")
    if "education" in data:
        frame["education"] = data["education"].astype(object)
        covs.append("education")
    if not covs:
        return pd.DataFrame(columns=COLUMNS)
    # rows outside the bands (none when the bands cover the pool's ages) are their own level
    if "age_band" in frame:
        frame["age_band"] = frame["age_band"].where(frame["age_band"].notna(), "(mangler)")
    bt = balance_table(frame, matching.treat, matching.weights, covs, estimand=matching.estimand).to_frame()
    bt["parts"] = [("|".join(sorted(parts.get(lv, []))) if var == "origin_group" else None)
                   for var, lv in zip(bt["variable"], bt["level"])]
    rank = {v: i for i, v in enumerate(covs)}
    bt["_k"] = [(rank[v], *_order(v, lv)) for v, lv in zip(bt["variable"], bt["level"])]
    bt = bt.sort_values("_k", kind="stable").drop(columns="_k")
    return bt[COLUMNS].reset_index(drop=True)


def persons_rows(matching) -> pd.DataFrame:
    """Distinct persons before and after matching: sample_sizes rows next to MatchIt's rows of units (person-weeks
    for the pool)."""
    data, t, w = matching.source, np.asarray(matching.treat, bool), np.asarray(matching.weights, float)
    # counted on the column itself: its numpy copy would make a Python string per person-week (0.3 GB at 5M)
    pid = data["person_id"]
    rows = []
    for name, keep in (("All (persons)", np.ones(len(t), bool)), ("Matched (persons)", w > 0)):
        rows.append({"sample": name, "Control": float(pid[keep & ~t].nunique(dropna=False)),
                     "Treated": float(pid[keep & t].nunique(dropna=False))})
    return pd.DataFrame(rows)


def declare(m: Model, frame: pd.DataFrame, size_key: dict, flow: pd.DataFrame, subgroups: pd.DataFrame,
            covariates, discard_step: str) -> None:
    """The characteristics' shares to the gate (see the module's docstring); `covariates` is publish._covariates,
    which declares shares of a known group with the balance table's keys, so shared levels are one count."""
    covariates(m, frame, "characteristics", size_key, SHARES, ["smd_before", "smd_after"])
    for r in frame.to_dict("records"):
        if not isinstance(r.get("parts"), str) or not r["parts"]:
            continue
        for group, sample in SHARES.values():
            whole = ("level", r["variable"], str(r["level"]), group, sample)
            m.total(whole, [("level", "origin", p.split(":", 1)[1], group, sample) for p in r["parts"].split("|")])
    # after matching the age bands are the subgroup table's age bands (same persons) when the bands agree
    if len(subgroups) and "age_band" in set(frame["variable"]):
        for r in subgroups.drop_duplicates(["subgroup", "level"]).to_dict("records"):
            for group, col in (("Treated", "n_treated"), ("Control", "n_control")):
                key = ("level", "age_band", str(r["level"]), group, "Matched")
                sg = ("sg", r["subgroup"], str(r["level"]), r["outcome"], group.lower())
                if key in m.cells and sg in m.cells and abs(m.cells[key] - m.cells[sg]) < 1e-6:
                    m.total(key, [sg])
    # the distinct persons: the flow's pool persons at the last step before matching, and matched
    steps = [(i, str(r.get("step", ""))) for i, r in enumerate(flow.to_dict("records"))
             if r.get("pool_persons") is not None and r.get("pool_persons") == r.get("pool_persons")]
    before = [i for i, st in steps if st != "matched" and not st.startswith(discard_step)]
    matched = [i for i, st in steps if st == "matched"]
    flow_keys = {"All (persons)": ("flow", "pool_persons", before[-1]) if before else None,
                 "Matched (persons)": ("flow", "pool_persons", matched[-1]) if matched else None}
    for sample, flow_key in flow_keys.items():
        for col in ("Control", "Treated"):
            size = size_key.get((col, sample))
            other = flow_key if col == "Control" else size_key.get(("Treated", sample.split(" ")[0]))
            if size in m.cells and other in m.cells and size != other and abs(m.cells[size] - m.cells[other]) < 1e-9:
                m.total(size, [other])



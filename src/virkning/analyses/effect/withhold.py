"""Which numbers of an effect evaluation the disclosure gate should withhold first (docs/disclosure.md).

When a small count can be derived from two published counts (registered minus matched participants = the one
participant outside the common support), protecting it means withholding one of them. The gate chooses the
cheapest (disclosure/gate.py); this module tells it what each count is worth:

- the matched sample (the flow's `matched` row, the sample sizes' Matched rows, the group sizes of the effects
  table) is what every effect rests on: withholding it blanks every effect, so it costs `RESULT_COST`;
- everything else costs the default 1: an intermediate row of the flow, the counts before matching and the shares
  of them (population comparison, balance before matching) go first.

It also declares what a reader knows of the flow without being told: a `pool:` step only narrows the pool, so the
participants' count on it repeats the row above (the independent audit reads the flow that way too).
"""

from __future__ import annotations

import pandas as pd

from virkning.disclosure import Model

RESULT_COST = 1000.0  # far above the number of cells any flow or before-matching table holds
MATCHED_SIZES = ("Matched", "Matched (persons)")
EFFECT_COUNTS = ("n_treated", "n_control", "n_control_persons")


def declare(m: Model, t: dict[str, pd.DataFrame]) -> None:
    """Costs of withholding and the flow's pool-step equalities, on a model `publish.declare` has filled."""
    _pool_steps(m, t["flow"])
    places = {p: k for k, ps in m.places.items() for p in ps}
    sizes = t["sample_sizes"]
    samples = sizes.get("sample", pd.Series(dtype=object))
    rows = {("sample_sizes", i) for i, s in enumerate(samples) if s in MATCHED_SIZES}
    flow = t["flow"]
    rows |= {("flow", i) for i, s in enumerate(flow.get("step", pd.Series(dtype=object))) if s == "matched"}
    for place, key in places.items():
        if (place.table, place.row) in rows or (place.table == "effects" and place.column in EFFECT_COUNTS):
            m.cost(key, RESULT_COST)


def _pool_steps(m: Model, flow: pd.DataFrame) -> None:
    prev = None
    for i, r in enumerate(flow.to_dict("records")):
        key = ("flow", "participants", i)
        if key not in m.cells:
            continue
        if prev is not None and str(r.get("step", "")).startswith("pool:") and m.cells[prev] == m.cells[key]:
            m.total(prev, [key])  # the same participants: withheld together or not at all
        prev = key

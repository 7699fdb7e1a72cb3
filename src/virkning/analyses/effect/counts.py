"""What each published curve point of an effect evaluation rests on (persons at risk, exits, censored, in a
status), per outcome, month and group: for the disclosure gate, never published (pipeline.evaluate)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from virkning import outcomes as oc
from virkning.estimate.curves import _event_matrices

COUNT_COLUMNS = ["outcome", "month", "group", "n", "at_risk", "events", "censored", "in_status"]


def curve_counts(outcomes, data: pd.DataFrame, sample) -> pd.DataFrame:
    """What each published curve point rests on, per outcome, month and group (rows of the analysis sample):
    persons at risk (first exits: not yet exited and still followed at the start of the month; other outcomes:
    observed in the month), exits in the month, persons whose follow-up ended since the previous point, and for
    status shares the persons in the status. For the disclosure gate, never published."""
    rows = sample.rows
    used = sample.weights > 0
    out = []
    for o in outcomes:
        for group, mask in (("treated", sample.treat & used), ("control", ~sample.treat & used)):
            r = rows[mask]
            n = len(r)
            if o.kind == "first_exit":
                first = data[oc.first_column(o.state)].to_numpy(dtype=float, na_value=np.nan)[r]
                follow = data["followup"].to_numpy(dtype=float)[r]
                event, risk = _event_matrices(first, follow, o.horizon)
                at_risk = risk.sum(axis=0)
                events = event.sum(axis=0)
                # followed to the start of m - 1 but not of m, without an exit in m - 1: censored in between
                prev = np.concatenate([[n], at_risk[:-1]])
                prev_events = np.concatenate([[0], events[:-1]])
                censored = prev - prev_events - at_risk
                in_status = np.full(o.horizon, np.nan)
            else:
                values = np.column_stack([data[o.column(m)].to_numpy(dtype=float, na_value=np.nan)[r]
                                          for m in o.months]) if n else np.zeros((0, o.horizon))
                observed = ~np.isnan(values)
                at_risk = observed.sum(axis=0).astype(float)
                censored = np.concatenate([[n], at_risk[:-1]]) - at_risk
                events = np.zeros(o.horizon)
                in_status = (np.nan_to_num(values) == 1).sum(axis=0).astype(float) if o.kind == "status_share" \
                    else np.full(o.horizon, np.nan)
            for i, m in enumerate(o.months):
                out.append((o.name, m, group, n, at_risk[i], events[i], censored[i], in_status[i]))
    return pd.DataFrame(out, columns=COUNT_COLUMNS)

"""The true effect of the programme on its participants, from observed paths Y(1) and untreated twins Y(0).

For participant i with index month M (calendar month of the first meeting) and outcome k, Y_k(d)[m] = 1 if the
first month with the outcome among months M+1 .. M+m happened under treatment status d, i.e. if the outcome
occurred at least once in those months:
  exit_beskaeftiget   positive employment rate in the month
  exit_vikar          employment through a temp agency (DB07 782000) in the month
  exit_tilbagetrukket a retirement code (catalogue flag retirement = 1: 621, 622, 783, 997, 998, 999) in a week
The ATT for month m is the mean of Y(1) - Y(0); it is reported for participants without employment in the
index month (the evaluation's population) and for all participants.
"""

from __future__ import annotations

import numpy as np

from virkning.synth.months import monthly_any, monthly_employment
from virkning.synth.params import TEMP_INDEX
from virkning.synth.timeline import Timeline

OUTCOMES = ("exit_beskaeftiget", "exit_vikar", "exit_tilbagetrukket")
POPULATION = "participants without employment in the index month"
INDEX_RULE = "first informationsmøde"


def participant_outcomes(tl: Timeline, horizon: int, retirement: np.ndarray, index_month: np.ndarray,
                         code: np.ndarray, frac: np.ndarray, ind: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weekly code/frac/ind [all weeks, k] of k persons -> (Y bool [k, outcome, horizon], employed in the
    index month bool [k])."""
    b = tl.burn
    rate, ind_m = monthly_employment(tl, frac[b:], ind[b:])
    monthly = np.stack([rate > 0, ind_m == TEMP_INDEX, monthly_any(tl, np.isin(code[b:], retirement))])
    pos = index_month - int(tl.months[0])
    k = len(pos)
    if k and (pos.min() < 0 or pos.max() + horizon >= len(tl.months)):
        raise ValueError("index months plus the horizon must lie inside the register period")
    rows = pos[:, None] + 1 + np.arange(horizon)[None, :]  # [k, horizon]
    cols = np.arange(k)[:, None]
    y = monthly[:, rows, cols]  # [outcome, k, horizon]
    y = np.maximum.accumulate(y, axis=2)
    return np.transpose(y, (1, 0, 2)), rate[pos, np.arange(k)] > 0


def summarise(y1: np.ndarray, y0: np.ndarray, keep: np.ndarray) -> dict:
    """Means by outcome and month since the index for the persons in `keep`."""
    out = {}
    for j, name in enumerate(OUTCOMES):
        a = y1[keep, j, :].astype(np.float64)
        b = y0[keep, j, :].astype(np.float64)
        n = int(keep.sum())
        mean = (lambda x: x.mean(axis=0)) if n else (lambda x: np.full(x.shape[1], np.nan))
        out[name] = {
            "att": [_r(v) for v in mean(a - b)],
            "treated_mean": [_r(v) for v in mean(a)],
            "untreated_mean": [_r(v) for v in mean(b)],
        }
    return out


def _r(v: float) -> float | None:
    return None if np.isnan(v) else round(float(v), 6)

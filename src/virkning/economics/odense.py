"""Odense's method: benefits saved per citizen in the 13 weeks after the intervention ends (seed 004, 741).

Odense "beregner gevinster på hver enkelt borger ... ved at opgøre sparede ydelser på den enkelte borger i en
periode på 13 uger efter endt indsats", and closes projects that do not pay. Read literally, a citizen's saving is
the benefit weeks not drawn in the window times the rate per week:

    saved weeks_i = reference_i - observed_i,   saving_i = saved weeks_i x rate_i,

with observed_i the citizen's benefit weeks in the 13 weeks after the end and reference_i the weeks the citizen is
assumed to have drawn without the intervention. Odense's reference is the whole window (13 weeks: everyone would
have stayed on benefit), which credits the intervention with every exit, including those that would have happened
anyway, so it is an upper bound. A comparison group's mean benefit weeks in the same window (``reference=``) gives
the counterfactual version; with it the saving can be negative for a citizen.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from virkning.errors import DesignError

ODENSE_WINDOW_WEEKS = 13


def _vector(name: str, values: object, n: int | None = None) -> np.ndarray:
    try:
        x = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError):
        raise DesignError(f"odense: expected {name} as numbers; got {values!r}.") from None
    if n is not None and x.size == 1:
        x = np.full(n, float(x[0]))
    if n is not None and x.size != n:
        raise DesignError(f"odense: expected {name} with one value per citizen ({n}) or one value; got {x.size}.")
    bad = np.flatnonzero(~np.isfinite(x))
    if bad.size:
        raise DesignError(f"odense: {name} has missing or infinite values at position(s) "
                          f"{', '.join(map(str, bad[:5] + 1))}; expected finite numbers.")
    return x


@dataclass(frozen=True, eq=False)
class OdenseResult:
    """Savings per citizen in the window after the intervention, their total, and the verdict against the cost."""

    window_weeks: int
    reference_description: str
    citizens: pd.DataFrame = field(repr=False)
    total_saved_weeks: float
    total_savings: float
    cost: float | None

    @property
    def n_citizens(self) -> int:
        return len(self.citizens)

    @property
    def net_gain(self) -> float | None:
        return None if self.cost is None else self.total_savings - self.cost

    @property
    def pays(self) -> bool | None:
        """Savings at least the cost (Odense closes projects that do not pay); None without a cost."""
        return None if self.cost is None else self.total_savings >= self.cost

    def to_frame(self) -> pd.DataFrame:
        return self.citizens.copy()

    def to_dict(self) -> dict[str, object]:
        return {"window_weeks": self.window_weeks, "reference": self.reference_description,
                "n_citizens": self.n_citizens, "total_saved_weeks": self.total_saved_weeks,
                "total_savings": self.total_savings, "cost": self.cost, "net_gain": self.net_gain,
                "pays": self.pays, "citizens": self.citizens.to_dict(orient="records")}

    def __repr__(self) -> str:
        verdict = "" if self.cost is None else (f", cost {self.cost:,.0f}, net {self.net_gain:,.0f}, "
                                                f"{'pays' if self.pays else 'does not pay'}")
        return (f"OdenseResult({self.n_citizens} citizens, {self.total_saved_weeks:,.1f} benefit weeks saved in the "
                f"{self.window_weeks} weeks after the end ({self.reference_description}), savings "
                f"{self.total_savings:,.0f} DKK{verdict})")

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(repr(self))}</p>" + self.citizens.to_html(index=False)


def odense_savings(weeks_on_benefit: Sequence[float], rate_week: float | Sequence[float], *,
                   reference: float | Sequence[float] | None = None, cost: float | None = None,
                   window_weeks: int = ODENSE_WINDOW_WEEKS, citizen_ids: Sequence[object] | None = None
                   ) -> OdenseResult:
    """Benefits saved per citizen in the ``window_weeks`` after the intervention ends.

    weeks_on_benefit: each citizen's benefit weeks in the window (0 to window_weeks).
    rate_week: the saving per benefit week (one value, or one per citizen, e.g. by benefit type and year).
    reference: weeks the citizen would have drawn without the intervention (default: the whole window, Odense's
        assumption); a comparison group's mean in the same window gives the counterfactual version.
    cost: the project's cost, to judge whether it pays.
    """
    if isinstance(window_weeks, bool) or not isinstance(window_weeks, (int, np.integer)) or window_weeks < 1:
        raise DesignError(f"odense: expected window_weeks as a whole number of weeks >= 1; got {window_weeks!r}.")
    obs = _vector("weeks_on_benefit", weeks_on_benefit)
    n = obs.size
    if n == 0:
        raise DesignError("odense: expected at least one citizen; got none.")
    out_of_range = np.flatnonzero((obs < 0) | (obs > window_weeks))
    if out_of_range.size:
        raise DesignError(f"odense: expected weeks_on_benefit from 0 to {window_weeks} (the window); got "
                          f"{obs[out_of_range[0]]:g} for citizen {out_of_range[0] + 1}"
                          + (f" and {out_of_range.size - 1} more" if out_of_range.size > 1 else "") + ".")
    rate = _vector("rate_week", rate_week, n)
    if np.any(rate < 0):
        raise DesignError("odense: expected rates per week >= 0.")
    if reference is None:
        ref, ref_desc = np.full(n, float(window_weeks)), f"reference: all {window_weeks} weeks on benefit"
    else:
        ref = _vector("reference", reference, n)
        if np.any((ref < 0) | (ref > window_weeks)):
            raise DesignError(f"odense: expected reference weeks from 0 to {window_weeks}; got values outside.")
        ref_desc = "reference: declared counterfactual weeks"
    if cost is not None:
        if isinstance(cost, bool) or not isinstance(cost, (int, float)) or not math.isfinite(cost) or cost < 0:
            raise DesignError(f"odense: expected cost >= 0 in DKK; got {cost!r}.")
    ids = list(range(1, n + 1)) if citizen_ids is None else list(citizen_ids)
    if len(ids) != n:
        raise DesignError(f"odense: expected one citizen id per citizen ({n}); got {len(ids)}.")
    saved = ref - obs
    table = pd.DataFrame({"citizen": ids, "weeks_on_benefit": obs, "reference_weeks": ref, "saved_weeks": saved,
                          "rate_week": rate, "savings": saved * rate})
    return OdenseResult(window_weeks=int(window_weeks), reference_description=ref_desc, citizens=table,
                        total_saved_weeks=float(saved.sum()), total_savings=float((saved * rate).sum()),
                        cost=None if cost is None else float(cost))

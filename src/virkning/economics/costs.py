"""Costs of an intervention by calendar year: a total budget, a cost per participant, or the sum of both."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from virkning.errors import DesignError


def _amounts(name: str, mapping: object) -> dict[int, float]:
    if not isinstance(mapping, Mapping) or not mapping:
        raise DesignError(f"costs: expected {name} as a mapping year -> amount in DKK, like {{2020: 5_000_000}}; "
                          f"got {mapping!r}.")
    out: dict[int, float] = {}
    for y, v in mapping.items():
        if isinstance(y, bool) or not isinstance(y, (int, np.integer)):
            raise DesignError(f"costs: expected {name} keyed by calendar year (an integer); got key {y!r}.")
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) \
                or not math.isfinite(float(v)):
            raise DesignError(f"costs: expected {name}[{y}] to be a finite number of DKK; got {v!r}.")
        if float(v) < 0:
            raise DesignError(f"costs: expected amounts >= 0; got {float(v):,.0f} DKK in {name} for {y}. Costs are "
                              "entered as positive amounts; put income or refunds in a separate analysis.")
        out[int(y)] = float(v)
    return dict(sorted(out.items()))


@dataclass(frozen=True)
class Costs:
    """DKK spent in each calendar year (undiscounted), with a description of how the amounts were declared."""

    by_year: dict[int, float]
    description: str

    @classmethod
    def total(cls, by_year: Mapping[int, float]) -> "Costs":
        """A total budget by year, e.g. {2020: 5_000_000, 2021: 5_000_000}."""
        b = _amounts("by_year", by_year)
        return cls(by_year=b, description="total budget " + ", ".join(f"{y}: {v:,.0f}" for y, v in b.items()))

    @classmethod
    def per_participant(cls, amount: float | Mapping[int, float], participants: Mapping[int, float]) -> "Costs":
        """A cost per participant (one amount, or one per year) times participants by year."""
        n = _amounts("participants", participants)
        if isinstance(amount, Mapping):
            a = _amounts("amount", amount)
            missing = [y for y in n if y not in a]
            if missing:
                raise DesignError(f"costs: expected a cost per participant for every year with participants; got "
                                  f"none for {', '.join(map(str, missing))}.")
        else:
            single = _amounts("amount", {0: amount})[0]
            a = {y: single for y in n}
        return cls(by_year={y: a[y] * n[y] for y in n},
                   description="cost per participant " + ", ".join(f"{y}: {a[y]:,.0f} x {n[y]:g}" for y in n))

    def __add__(self, other: "Costs") -> "Costs":
        if not isinstance(other, Costs):
            return NotImplemented
        years = sorted(set(self.by_year) | set(other.by_year))
        return Costs(by_year={y: self.by_year.get(y, 0.0) + other.by_year.get(y, 0.0) for y in years},
                     description=f"{self.description} + {other.description}")

    @property
    def sum(self) -> float:
        return float(sum(self.by_year.values()))

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"year": list(self.by_year), "cost": list(self.by_year.values())})

    def to_dict(self) -> dict[str, object]:
        return {"by_year": dict(self.by_year), "description": self.description}

    def __repr__(self) -> str:
        return f"Costs({self.sum:,.0f} DKK: {self.description})"

"""The indicator table through the one disclosure gate.

What a row reveals (declared to `disclosure.Model`):

- `persons`: the distinct persons the row rests on (its base population), a count. A row with 1 .. threshold-1
  persons is not shown at all: numerator, denominator and value depend on it;
- `numerator` and `denominator`: counts of persons, person-weeks, person-months, spells or events (each a count
  under the gate: a cell of 1 .. threshold-1 is hidden, 0 may be shown). The same quantity in several rows (the
  target weeks are the denominator of four indicators and the numerator of the volume) is one key, hidden
  everywhere at once;
- `value`: a share, rate or mean of the two is the relation numerator = value x denominator; where the numerator
  counts part of the denominator (weeks with a measure among target weeks), the rest of the group is a count too,
  so a share of 1 .. threshold-1 short of the whole is hidden as well. A count indicator's value is its numerator;
  a volume (weeks / weeks in the period) is hidden with its numerator.

No totals over units or periods are published with the table, so every relation a reader has is within one row
(and between rows of one unit and period that share a quantity).

The row rules are applied before the gate (`row_rules`), because they are certain and the gate would reach the
same result only after a linear program per case (thousands of rows with a share near 100 % otherwise cost it
seconds): a row resting on 1 .. threshold-1 persons shows nothing (the gate's primary suppression of its person
count, and its numbers depend on that count); a share, rate or mean
whose numerator, or the rest of whose group, is 1 .. threshold-1 shows no numerator and no value. The gate then
checks the whole table as declared, hides what is still small or derivable, and has the last word.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, cast

import pandas as pd

import numpy as np

from virkning.disclosure import Model, Place
from virkning.disclosure.gate import Gate, Outcome, apply, small
from virkning.indicators.definitions import INDICATORS


class _IndicatorRow(Protocol):
    # one row of the indicator table as itertuples gives it (numbers are float: NaN where blank)
    indicator: str
    unit: object
    p: int
    numerator: float
    denominator: float
    value: float
    persons: float


def declare_indicators(m: Model, frame: pd.DataFrame, table: str = "indicators") -> None:
    """Declare an indicator table (columns of `IndicatorTable.frame`) printed as `table`."""
    for i, r in enumerate(cast(Iterable[_IndicatorRow],
                               frame[["indicator", "unit", "p", "numerator", "denominator", "value", "persons"]]
                               .itertuples(index=False))):
        d = INDICATORS[r.indicator]
        cell = (str(r.unit), int(r.p))
        at = {c: Place(table, i, c) for c in ("persons", "numerator", "denominator", "value")}
        persons = m.count(at["persons"], ("persons", d.base, *cell), r.persons)
        num = m.count(at["numerator"], (d.num, *cell), r.numerator)
        row = [at["numerator"], at["value"]]
        if d.kind == "count":
            m.count(at["value"], num, r.value)
        elif d.kind == "volume":
            m.depends([at["value"]], [num])
        else:
            den = m.count(at["denominator"], (d.den, *cell), r.denominator)
            row.append(at["denominator"])
            m.share(at["value"], num, den, complement=("rest", d.num, d.den, *cell) if d.subset else None)
        shown = [p for p in row if not pd.isna(getattr(r, p.column))]  # blank already: nothing to hide
        if shown:
            m.depends(shown, [persons])


def row_rules(frame: pd.DataFrame, threshold: int, table: str = "indicators") -> tuple[pd.DataFrame, list[str]]:
    """The certain row rules (module docstring), applied to a copy; the log names every place blanked."""
    f = frame.copy()
    for col in ("numerator", "denominator", "value"):
        f[col] = f[col].astype(float)
    tiny = np.vectorize(lambda v: small(v, threshold), otypes=[bool])
    few = tiny(f["persons"].to_numpy())
    ratio = f["indicator"].map(lambda n: INDICATORS[n].kind in ("share", "rate", "mean")).to_numpy(dtype=bool)
    subset = f["indicator"].map(lambda n: INDICATORS[n].subset).to_numpy(dtype=bool)
    num = f["numerator"].to_numpy()
    rest = np.where(subset, f["denominator"].to_numpy() - num, np.nan)
    part = ratio & ~few & (tiny(num) | tiny(rest))
    log = []
    blank = f[["persons", "numerator", "denominator", "value"]].isna()
    for i in np.flatnonzero(few).tolist():
        log += [f"{table} row {i + 1}, {c}: the row rests on fewer persons than the threshold"
                for c in ("persons", "numerator", "denominator", "value") if not blank[c].iat[i]]
    for i in np.flatnonzero(part).tolist():
        log += [f"{table} row {i + 1}, {c}: the numerator or the rest of the group is fewer than the threshold"
                for c in ("numerator", "value") if not blank[c].iat[i]]
    f["persons"] = f["persons"].astype(float)
    f.loc[few, ["persons", "numerator", "denominator", "value"]] = np.nan
    f.loc[part, ["numerator", "value"]] = np.nan
    return f, log


def protect_indicators(frame: pd.DataFrame, threshold: int, table: str = "indicators"
                       ) -> tuple[pd.DataFrame, Outcome]:
    """The table with every number the row rules and the gate hide set to missing, and the gate's outcome (what and
    why, the row rules' places first)."""
    ruled, log = row_rules(frame, threshold, table)
    m = Model()
    declare_indicators(m, ruled, table)
    protected, outcome = apply({table: ruled}, Gate(m, threshold))
    outcome.log[:0] = log
    return protected[table], outcome

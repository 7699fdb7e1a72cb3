"""Month indicators and runs of weeks for (person, index) pairs: what the trajectories analysis asks of the panel.

`month_flags` answers "was the person in this state (group, monthly status) in month m after the index" for many
pairs and states at once, one bit per state in a single aggregate over the weeks; `runs_at_least` answers "does
the index week end an unbroken run of at least L weeks in a state" by counting, without sorting a history.
The statements are in `virkning.registers.queries`; `Panel.month_flags` and `Panel.runs_at_least` call these.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from virkning.errors import CovariateNameError
from virkning.registers import calendar, queries
from virkning.registers.catalogue import GROUPS, MONTHLY_STATUSES, STATES, canonical_state

if TYPE_CHECKING:
    from virkning.panel import Panel


def month_weeks(imo: np.ndarray, first: int, last: int) -> tuple[np.ndarray, np.ndarray]:
    """A week range [wlo, whi] per pair holding every week of months imo+first .. imo+last (int32): from the week
    before the first month's first day to six weeks after the last month's first day's week."""
    wlo = calendar.date_weeks(calendar.month_first_days(imo + first)) - 1
    whi = calendar.date_weeks(calendar.month_first_days(imo + last)) + 6
    return wlo.astype(np.int32), whi.astype(np.int32)


def month_flags(self: "Panel", pairs: pd.DataFrame, first: int, last: int, atoms: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Indicators for months index+first .. index+last of each pair: bool [pair, month] per atom, and
    `observed` (False after the end of data; an unobserved month's indicators are False).

    An atom is a catalogue state or group (any week of the month has a code in it), `beskæftiget` (a positive
    employment rate), `vikar` (a positive rate from a temp agency) or `selvforsørgende` (neither a code nor
    employment). Two queries: the weeks and the employment of the months asked for, from the copied rows when
    every pair's person is copied, else from the registers directly (one read, no copy)."""
    names = {}
    for a in atoms:
        c = canonical_state(a)
        if c is None:
            raise CovariateNameError(f"'{a}' is not a state, group or monthly status; expected one of "
                                     f"{', '.join((*STATES, *GROUPS, *MONTHLY_STATUSES))}")
        names[a] = c
    p = self._normalise(pairs)
    # Persons whose rows are copied are read from the copies; for others the views are read once, directly
    # (copying would cost a scan and reading the copies another: a one-off question reads the table once).
    if not len(p["pk"]):  # no pairs: no rows, the shape of the answer all the same
        return {k: np.zeros((0, last - first + 1), dtype=bool) for k in ("observed", *names)}
    store = self.store
    imo = p["imo"].astype(np.int64)
    # the earliest week and month read: the earliest pair's first month and the first week of its range
    mo_lo = int(imo.min()) + first
    lo = int(month_weeks(imo.min(keepdims=True), first, first)[0][0])
    direct = bool((p["pk"] < 0).any() or not store.covers(p["pk"], (lo, mo_lo)))
    if direct:
        wlo, whi = month_weeks(imo, first, last)
        self.engine.put(store.names.dpairs, pd.DataFrame({
            "_pair": np.arange(len(imo), dtype=np.int64), "person_id": store.ids_of(np.maximum(p["pk"], 0)),
            "imo": imo.astype(np.int32), "wlo": wlo, "whi": whi}),
            "CAST(_pair AS BIGINT) AS _pair, CAST(person_id AS VARCHAR) AS person_id, CAST(imo AS INTEGER) AS imo, "
            "CAST(wlo AS INTEGER) AS wlo, CAST(whi AS INTEGER) AS whi")
    else:
        self._register(p, (first, last), months=True)
    n, width = len(p["pk"]), last - first + 1
    week_atoms = [c for c in dict.fromkeys(names.values()) if c not in MONTHLY_STATUSES]
    if len(week_atoms) > 62:
        raise CovariateNameError(f"at most 62 states or groups at once; got {len(week_atoms)}")
    # one bit per state or group: the codes in it, from the catalogue (a code may be in several)
    table = self.catalogue.table
    bits = np.zeros(len(table), dtype=np.int64)
    for i, c in enumerate(week_atoms):
        bits |= np.isin(table["code"], self.catalogue.codes(c)).astype(np.int64) << i
    self.engine.put(store.names.atoms_in, pd.DataFrame({"code": table["code"], "bits": bits})[bits > 0],
                    "CAST(code AS VARCHAR) AS code, CAST(bits AS BIGINT) AS bits")
    self.engine.table(store.names.atoms, queries.numbered_atoms(store.names))
    mo_hi = int(p["imo"].max()) + last
    hi = int(calendar.date_weeks(calendar.month_first_days(np.array([mo_hi + 1])))[0]) + 1
    codes = self.engine.arrays(queries.month_code_flags(store.names, first, last, lo, hi, direct))
    emp = self.engine.arrays(queries.month_employment(store.names, first, last, direct))
    missing = p["pk"] < 0  # persons not in the persons table have no rows: all False
    cr, cc = codes["_pair"].astype(np.int64), codes["month"].astype(np.int64) - first
    er, ec = emp["_pair"].astype(np.int64), emp["month"].astype(np.int64) - first

    def dense(rows, cols, values) -> np.ndarray:
        out = np.zeros((n, width), dtype=bool)
        out[rows, cols] = values
        return out

    employed = dense(er, ec, emp["rate"] > 0)
    out = {"observed": (p["imo"][:, None] + np.arange(first, last + 1)[None, :]) <= self.end_month()}
    if missing.any():
        out["observed"] = out["observed"] & ~missing[:, None]
    for a, c in names.items():
        if c == "beskæftiget":
            flag = employed
        elif c == "vikar":
            flag = dense(er, ec, emp["temp_rate"] > 0)
        elif c == "selvforsørgende":
            flag = ~employed & ~dense(cr, cc, True)
        else:
            flag = dense(cr, cc, (codes["bits"].astype(np.int64) >> week_atoms.index(c)) & 1 > 0)
        out[a] = flag & out["observed"]
    return out

def runs_at_least(self: "Panel", pairs: pd.DataFrame, state: str, lengths: list[int]) -> np.ndarray:
    """bool [pair, length]: the index week ends an unbroken run of at least that many weeks in `state`. Reads
    only the weeks index-max(lengths)+1 .. index of the copied rows, and sorts nothing, which makes it cheap
    where `spell_weeks_<state>` reads a person's whole history."""
    canon = canonical_state(state)
    if canon is None or canon in MONTHLY_STATUSES:
        raise CovariateNameError(f"'{state}' is not a state or group of the DREAM code catalogue; expected one of "
                                 f"{', '.join((*STATES, *GROUPS))}")
    p = self._normalise(pairs)
    lengths = [int(x) for x in lengths]
    if not len(p["pk"]):
        return np.zeros((0, len(lengths)), dtype=bool)
    lo, hi = int(p["iwk"].min()) - max(lengths) + 1, int(p["iwk"].max())
    self._register(p, since=(lo, math.inf))  # the weeks lo .. index, no employment
    got = self.engine.arrays(queries.runs_at_least(self.store.names, canon, lengths, lo, hi))
    out = np.zeros((len(p["pk"]), len(lengths)), dtype=bool)
    for i in range(len(lengths)):
        out[got["_pair"].astype(np.int64), i] = got[f"r{i}"] > 0
    return out


def outcomes(self: "Panel", pairs: pd.DataFrame, horizon: int, exits: tuple[str, ...]) -> pd.DataFrame:
    """`Panel.outcomes`: one row per pair with outcomes for months 1..horizon after the index month."""
    if horizon < 1:
        raise CovariateNameError("horizon must be at least 1 month")
    names = []
    for s in exits:
        c = canonical_state(s)
        if c is None:
            raise CovariateNameError(
                f"outcome status '{s}' is not a state, group or monthly status; expected one of "
                f"{', '.join((*STATES, *GROUPS, *MONTHLY_STATUSES))}"
            )
        names.append(c)
    self._register_pairs(pairs, (1, horizon))
    long = self._months(1, horizon)
    n = len(pairs)
    months = np.arange(1, horizon + 1)
    obs = long["observed"].to_numpy().reshape(n, horizon)
    out = pd.DataFrame({"person_id": pairs["person_id"].astype(str).to_numpy(), "index_week": pairs["index_week"].to_numpy()})
    out["followup"] = obs.sum(axis=1).astype("int32")
    for s in names:
        flag = long[s].to_numpy().reshape(n, horizon).astype(bool) & obs
        hit = flag.any(axis=1)
        first = np.where(hit, flag.argmax(axis=1) + 1, 0)
        # np.where takes any scalar; numpy's stubs list only array-likes
        out[f"first_{s}"] = pd.array(np.where(hit, first, cast(Any, pd.NA)), dtype="Int32")
        for i, m in enumerate(months):
            val = np.where(hit & (first <= m), 1.0, np.where(obs[:, i], 0.0, np.nan))
            out[f"exit_{s}_{m}"] = val
    status = long["status"].to_numpy().reshape(n, horizon)
    bw = long["benefit_weeks"].to_numpy().reshape(n, horizon).astype(float)
    for i, m in enumerate(months):
        out[f"status_{m}"] = np.where(obs[:, i], status[:, i], cast(Any, None))  # any scalar (see above)
        out[f"benefit_weeks_{m}"] = np.where(obs[:, i], bw[:, i], np.nan)
    return out

"""An independent, deliberately plain pandas computation of panel covariates and month statuses.

It shares no code with virkning.panel (only the catalogue table and the week/month arithmetic of the standard
library), so agreement between the two is evidence that the SQL is right. It is slow by design; the benchmark
uses it as the baseline on a sample.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

EPOCH = dt.date(1969, 12, 29)
RETIRE_ORDER = ["død", "udvandret", "folkepension", "førtidspension", "efterløn", "fleksydelse"]


def wk_of(yyyyww: int) -> int:
    return (dt.date.fromisocalendar(yyyyww // 100, yyyyww % 100, 1) - EPOCH).days // 7


def month_of_wk(wk: int) -> int:
    th = EPOCH + dt.timedelta(days=7 * wk + 3)
    return th.year * 12 + th.month - 1


def prepare(benefits: pd.DataFrame, employment: pd.DataFrame, catalogue: pd.DataFrame):
    """benefits(person_id, week YYYYWW int, code) and employment(person_id, month 'YYYY-MM', ...) -> dicts by person."""
    b = benefits.copy()
    b["wk"] = [wk_of(int(w)) for w in b["week"]]
    b = b.merge(catalogue, on="code", how="left")
    e = employment.copy()
    e["mo"] = [int(m[:4]) * 12 + int(m[5:7]) - 1 for m in e["month"]]
    return {k: g for k, g in b.groupby("person_id")}, {k: g for k, g in e.groupby("person_id")}


def covariates(persons, bens, emps, pairs, n_weeks=52, n_months=12):
    """age, weeks_ledig_<n>w, weeks_sygdom_<n>w, weeks_tilbagetrukket_<n>w, in_ledig_at_-1, in_ledig_at_0,
    spell_weeks, employment_<n>m, employment_at_0 for each pair (person_id, iwk)."""
    pers = persons.set_index("person_id")
    rows = []
    empty_b = pd.DataFrame(columns=["wk", "state", "retirement"])
    empty_e = pd.DataFrame(columns=["mo", "employment_rate"])
    for pid, iwk in zip(pairs["person_id"], pairs["iwk"]):
        b = bens.get(pid, empty_b)
        e = emps.get(pid, empty_e)
        imo = month_of_wk(iwk)
        monday = EPOCH + dt.timedelta(days=7 * iwk)
        bd = pd.Timestamp(pers.loc[pid, "birth_date"]).date()
        age = monday.year - bd.year - ((monday.month, monday.day) < (bd.month, bd.day))
        window = b[(b["wk"] >= iwk - n_weeks) & (b["wk"] < iwk)]
        ledig_weeks = set(b.loc[b["state"] == "ledig", "wk"])
        spell = 0
        w = iwk
        while w in ledig_weeks:
            spell += 1
            w -= 1
        rows.append(
            {
                "age": age,
                f"weeks_ledig_{n_weeks}w": int((window["state"] == "ledig").sum()),
                f"weeks_sygdom_{n_weeks}w": int((window["state"] == "sygdom").sum()),
                f"weeks_tilbagetrukket_{n_weeks}w": int((window["retirement"] == 1).sum()),
                "in_ledig_at_-1": int(iwk - 1 in ledig_weeks),
                "in_ledig_at_0": int(iwk in ledig_weeks),
                "spell_weeks": spell,
                f"employment_{n_months}m": float(e.loc[(e["mo"] >= imo - n_months) & (e["mo"] < imo), "employment_rate"].sum()),
                "employment_at_0": float(e.loc[e["mo"] == imo, "employment_rate"].sum()),
            }
        )
    return pd.DataFrame(rows)


def month_status(bens, emps, pairs, horizon, state_order):
    """Status of months 1..horizon after the index month, by the documented priority."""
    out = []
    empty_b = pd.DataFrame(columns=["wk", "state", "code"])
    empty_e = pd.DataFrame(columns=["mo", "employment_rate", "temp_agency"])
    for pid, iwk in zip(pairs["person_id"], pairs["iwk"]):
        b = bens.get(pid, empty_b)
        e = emps.get(pid, empty_e)
        imo = month_of_wk(iwk)
        b_mo = np.array([month_of_wk(w) for w in b["wk"]], dtype=int)
        statuses = []
        for m in range(1, horizon + 1):
            mo = imo + m
            weeks = b[b_mo == mo]
            em = e[e["mo"] == mo]
            rate = float(em["employment_rate"].sum())
            temp = float(em.loc[em["temp_agency"].astype(bool), "employment_rate"].sum())
            states = list(weeks["state"])
            status = None
            for r in RETIRE_ORDER:
                if r in states:
                    status = r
                    break
            if status is None:
                if temp > 0:
                    status = "vikar"
                elif rate > 0:
                    status = "beskæftiget"
                elif any(isinstance(s, str) for s in states):
                    known = [s for s in states if isinstance(s, str)]
                    counts = pd.Series(known).value_counts()
                    best = counts[counts == counts.max()].index
                    status = min(best, key=state_order.index)
                elif len(states):
                    status = "ukendt"
                else:
                    status = "selvforsørgende"
            statuses.append(status)
        out.append(statuses)
    return out

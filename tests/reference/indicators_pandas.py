"""Register indicators in plain pandas, written independently of virkning.indicators (no SQL, no shared code):
the reference the tests compare the register layer with.

Inputs are the written tables as a user would read them (ISO weeks as YYYYWW or YYYY-Www, months YYYY-MM, dates);
the definitions are those of docs/indicators.md, restated here from the text:

- a week belongs to the calendar month of its Thursday, a period is 1, 3, 6 or 12 such months;
- spells are runs of target weeks; a gap of up to `gap` weeks without a target week does not end a spell;
- new spells start in the period and not in the first data week (+ gap); ended spells end in the period and
  end before the last data week (- gap); a spell is open at the end of a period when it started in or before the
  period and ends in a later period or runs to the end of the data;
- employment h months after a target month; spells ended to a job: employment in the month of the week after the
  spell or the next `job_months`; to SU: an SU week within `su_weeks` weeks after the spell;
- interviews: events dated in the period (by the date's month) whose week is a target week of the person; weeks to
  the first interview of a spell (starting after the first data week + gap), by the period of that interview.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

K = {"month": 1, "quarter": 3, "half-year": 6, "year": 12}


def _week_ordinal(label) -> tuple[int, int]:
    """(weeks since a fixed Monday, month ordinal of its Thursday) of an ISO week label."""
    s = str(label).replace("-W", "").replace("W", "")
    monday = dt.date.fromisocalendar(int(s[:4]), int(s[4:6]), 1)
    thursday = monday + dt.timedelta(days=3)
    return (monday - dt.date(2000, 1, 3)).days // 7, thursday.year * 12 + thursday.month - 1


def _label(p: int, period: str) -> str:
    k = K[period]
    y, i = divmod(p, 12 // k)
    return {"month": f"{y}-{i + 1:02d}", "quarter": f"{y}Q{i + 1}", "half-year": f"{y}H{i + 1}", "year": str(y)}[period]


def indicators(persons, benefits, employment, events, *, target, act, vr, vo, su, period="quarter", lag=3, gap=0,
               su_weeks=4, job_months=1, event="samtale", units=None) -> pd.DataFrame:
    """All indicators per unit (municipality) and period over the whole periods inside the data."""
    k = K[period]
    unit_of = persons.set_index("person_id")["municipality"].astype(str)
    if units is not None:
        unit_of = unit_of[unit_of.isin(units)]
    b = benefits[benefits["person_id"].isin(unit_of.index)].copy()
    uniq = pd.unique(b["week"].astype(str))
    conv = {w: _week_ordinal(w) for w in uniq}
    b["wk"] = b["week"].astype(str).map(lambda w: conv[w][0])
    b["mo"] = b["week"].astype(str).map(lambda w: conv[w][1])
    b["code"] = b["code"].astype(str)
    all_weeks = benefits["week"].astype(str).map(lambda w: conv.get(w) or _week_ordinal(w))
    first_wk = min(x[0] for x in all_weeks)
    last_wk = max(x[0] for x in all_weeks)
    # whole periods: months whose first and last week are inside the data
    wk_month = {}
    for d in pd.date_range(dt.date(2000, 1, 3) + dt.timedelta(weeks=first_wk - 2),
                           dt.date(2000, 1, 3) + dt.timedelta(weeks=last_wk + 2), freq="7D"):
        th = (d + pd.Timedelta(days=3))
        wk_month[(d.date() - dt.date(2000, 1, 3)).days // 7] = th.year * 12 + th.month - 1
    first_mo, last_mo = wk_month[first_wk], wk_month[last_wk]
    if wk_month[first_wk - 1] == first_mo:
        first_mo += 1
    if wk_month[last_wk + 1] == last_mo:
        last_mo -= 1
    lo, hi = -(-first_mo // k), (last_mo + 1) // k - 1
    b["u"] = b["person_id"].map(unit_of)
    b["p"] = b["mo"] // k
    t = b[b["code"].isin(target)].sort_values(["person_id", "wk"])
    rows = {}

    def put(name, num, den, persons_s, value):
        rows[name] = pd.DataFrame({"numerator": num, "denominator": den, "persons": persons_s, "value": value})

    g = t.groupby(["u", "p"])
    weeks = g.size()
    persons_t = g["person_id"].nunique()
    for name, codes in (("aktiveringsgrad", act), ("virksomhedsrettet_aktiveringsgrad", vr),
                        ("vejlednings_og_opkvalificeringsgrad", vo)):
        num = t[t["code"].isin(codes)].groupby(["u", "p"]).size().reindex(weeks.index, fill_value=0)
        put(name, num, weeks, persons_t, num / weeks)
    n_weeks = pd.Series(wk_month).value_counts().rename(lambda m: m)  # weeks per month
    per_period = pd.Series(wk_month).map(lambda m: m // k).value_counts()
    put("fuldtidspersoner", weeks, np.nan, persons_t, weeks / weeks.index.get_level_values("p").map(per_period).values)
    del n_weeks
    # employment h months after a target month
    pm = t[["person_id", "u", "mo"]].drop_duplicates()
    pm["m"] = pm["mo"] + lag
    e = employment.copy()
    e["m"] = e["month"].str[:4].astype(int) * 12 + e["month"].str[5:7].astype(int) - 1
    e_last = int(e["m"].max())
    pm = pm[pm["m"] <= min(wk_month[last_wk], e_last)]
    emp = set(zip(e.loc[e["employment_rate"] > 0, "person_id"], e.loc[e["employment_rate"] > 0, "m"]))
    pm["job"] = [(p, m) in emp for p, m in zip(pm["person_id"], pm["m"])]
    pm["p"] = pm["m"] // k
    g2 = pm.groupby(["u", "p"])
    den = g2.size()
    num = g2["job"].sum()
    put("beskaeftigelsesgrad", num, den, g2["person_id"].nunique(), num / den)
    # spells
    sp = t[["person_id", "u", "wk"]].reset_index(drop=True)
    new = (sp["person_id"] != sp["person_id"].shift()) | (sp["wk"] - sp["wk"].shift() > gap + 1)
    sp["sid"] = new.cumsum()
    spells = sp.groupby("sid").agg(person_id=("person_id", "first"), u=("u", "first"), s=("wk", "min"),
                                   e=("wk", "max")).reset_index()
    month_of = lambda w: wk_month.get(w)  # noqa: E731
    spells["ps"] = spells["s"].map(month_of) // k
    spells["pe"] = spells["e"].map(month_of) // k
    fresh = spells[spells["s"] > first_wk + gap]
    g3 = fresh.groupby(["u", "ps"])
    put("nye_forloeb", g3.size(), np.nan, g3["person_id"].nunique(), g3.size().astype(float))
    ended = spells[spells["e"] < last_wk - gap].copy()
    ended["mo_next"] = (ended["e"] + 1).map(month_of)
    ended["job"] = [any((p, m) in emp for m in range(int(mn), int(mn) + job_months + 1))
                    for p, mn in zip(ended["person_id"], ended["mo_next"])]
    su_weeks_set = b.loc[b["code"].isin(su), ["person_id", "wk"]]
    su_by_person = su_weeks_set.groupby("person_id")["wk"].apply(set).to_dict()
    ended["su"] = [any(w in su_by_person.get(p, ()) for w in range(e_ + 1, e_ + su_weeks + 1))
                   for p, e_ in zip(ended["person_id"], ended["e"])]
    g4 = ended.groupby(["u", "pe"])
    put("afsluttede_forloeb_til_job", g4["job"].sum(), g4.size(), g4["person_id"].nunique(),
        g4["job"].sum() / g4.size())
    put("su_grad", g4["su"].sum(), g4.size(), g4["person_id"].nunique(), g4["su"].sum() / g4.size())
    known = ended[ended["s"] > first_wk + gap].assign(weeks=lambda f: f["e"] - f["s"] + 1)
    g5 = known.groupby(["u", "pe"])
    put("varighed_afsluttede_forloeb", g5["weeks"].sum(), g5.size(), g5["person_id"].nunique(),
        g5["weeks"].sum() / g5.size())
    # open at the end of p for p = ps .. pe - 1 (to the last period when the spell runs to the end of the data)
    until = np.where(spells["e"] >= last_wk - gap, hi, spells["pe"] - 1)
    spans = spells.assign(first=spells["ps"].clip(lower=lo), last=np.minimum(until, hi))
    spans = spans[spans["last"] >= spans["first"]]
    expl = spans.loc[spans.index.repeat(spans["last"] - spans["first"] + 1)].copy()
    expl["p"] = expl["first"] + expl.groupby(level=0).cumcount()
    g6 = expl.groupby(["u", "p"])
    o = pd.DataFrame({"n": g6.size(), "persons": g6["person_id"].nunique()})
    put("uafsluttede_forloeb", o["n"], np.nan, o["persons"], o["n"].astype(float))
    # interviews
    if events is not None and len(events):
        ev = events[(events["event"] == event) & events["person_id"].isin(unit_of.index)].copy()
        d = pd.to_datetime(ev["date"])
        ev["wk"] = ((d - pd.Timestamp(dt.date(2000, 1, 3))).dt.days // 7).astype(int)
        ev["p"] = (d.dt.year * 12 + d.dt.month - 1) // k
        ev["u"] = ev["person_id"].map(unit_of)
        tw = set(zip(t["person_id"], t["wk"]))
        inside = ev[[(p, w) in tw for p, w in zip(ev["person_id"], ev["wk"])]]
        cnt = inside.groupby(["u", "p"]).size().reindex(weeks.index, fill_value=0)
        put("samtaler_pr_kvartal", cnt, weeks, persons_t, 13 * cnt / weeks)
        m = fresh.merge(ev[["person_id", "wk", "date", "p"]], on="person_id")
        m = m[(m["wk"] >= m["s"]) & (m["wk"] <= m["e"])].sort_values(["sid", "date"])
        first = m.groupby("sid").head(1)
        g5 = first.assign(w=first["wk"] - first["s"]).groupby(["u", "p"])
        put("uger_til_foerste_samtale", g5["w"].sum(), g5.size(), g5["person_id"].nunique(),
            g5["w"].sum() / g5.size())
    out = []
    grid = pd.MultiIndex.from_product([sorted(unit_of.unique()), range(lo, hi + 1)], names=["u", "p"])
    for name, f in rows.items():
        f = f.copy()
        f.index = f.index.set_names(["u", "p"])
        f = f.reindex(grid)
        f["numerator"] = f["numerator"].fillna(0.0)
        if name not in ("fuldtidspersoner", "nye_forloeb", "uafsluttede_forloeb"):
            f["denominator"] = f["denominator"].fillna(0.0)
        f["persons"] = f["persons"].fillna(0.0)
        if name in ("nye_forloeb", "uafsluttede_forloeb"):
            f["value"] = f["numerator"]
        elif name == "fuldtidspersoner":
            f["value"] = f["numerator"] / f.index.get_level_values("p").map(per_period).values
        out.append(f.reset_index().assign(indicator=name))
    res = pd.concat(out, ignore_index=True)
    res["period"] = [_label(p, period) for p in res["p"]]
    return res.rename(columns={"u": "unit"})[["indicator", "unit", "period", "numerator", "denominator", "value",
                                              "persons"]]

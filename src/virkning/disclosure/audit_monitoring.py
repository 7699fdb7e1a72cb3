"""The auditor's reading of monthly status reports: each month's funnel, criteria, survey and fidelity tables as
linear relations between the counts they publish, so differencing across months, units and steps is caught."""

from __future__ import annotations

from pathlib import Path

from virkning.disclosure.audit import TOTAL_UNIT, _read_csv, _rows, _System


def monitoring(s: _System, months: list[tuple[str, Path]]) -> None:
    prev: dict = {}
    for label, folder in months:
        cur: dict = {}
        f = _read_csv(folder / "funnel.csv", "order", "step", "unit", "period", "persons")
        if f is not None:
            order = list(dict.fromkeys(f.sort_values("order", key=lambda x: x.astype(float))["step"]))

            def fk(unit, period, step):
                # period `cohort` follows the month's new citizens: its first step is the month's first-step count
                per = "month" if (period == "cohort" and step == order[0]) else period
                return ("funnel", unit, per, step, label)

            for i, r in _rows(f):
                key = fk(r["unit"], r["period"], r["step"])
                s.cell(key, r["persons"], f"{label}/funnel.csv row {i + 2}")
                cur[("funnel", r["unit"], r["period"], r["step"])] = key
            for (period, step), g in f.groupby(["period", "step"], sort=False):
                parts = [fk(u, period, step) for u in g["unit"] if u != TOTAL_UNIT]
                s.total(fk(TOTAL_UNIT, period, step), parts,
                        f"{label}/funnel.csv: projects sum to '{TOTAL_UNIT}' ({period}, {step})")
            # a step whose persons the table says are all among the previous step's: the difference is who stopped
            if "within_previous" in f.columns:
                for i, r in _rows(f):
                    pos = order.index(r["step"])
                    if pos > 0 and str(r["within_previous"]).lower() == "true":
                        a, b = order[pos - 1], r["step"]
                        s.difference(fk(r["unit"], r["period"], a), fk(r["unit"], r["period"], b),
                                     ("funnel_gap", r["unit"], r["period"], a, b, label),
                                     f"{label}/funnel.csv: {r['unit']} {r['period']}, {a} - {b}", signed=False)
            for i, r in _rows(f):
                pos = order.index(r["step"])
                if pos > 0:
                    for col, base in (("share_of_previous", order[pos - 1]), ("share_of_first", order[0])):
                        s.share(r.get(col), fk(r["unit"], r["period"], r["step"]), fk(r["unit"], r["period"], base),
                                f"{label}/funnel.csv row {i + 2}, {col}")
        c = _read_csv(folder / "criteria.csv", "unit", "period", "criterion", "kind", "numerator", "denominator",
                      "value")
        if c is not None:
            steps: dict[object, set[object]] = {}
            for i, r in _rows(c):
                num = ("crit", r["unit"], r["period"], r["criterion"], "num", label)
                s.cell(num, r["numerator"], f"{label}/criteria.csv row {i + 2}, numerator")
                if r["kind"] == "share":
                    den = ("crit", r["unit"], r["period"], r["criterion"], "den", label)
                    s.cell(den, r["denominator"], f"{label}/criteria.csv row {i + 2}, denominator")
                    s.share(r["value"], num, den, f"{label}/criteria.csv row {i + 2}, value")
                else:
                    s.cell(num, r["value"], f"{label}/criteria.csv row {i + 2}, value")
                steps.setdefault(r["criterion"], set()).add(r["unit"])
            # the numerators and denominators are funnel counts: the table names the steps
            if f is not None and "numerator_step" in c.columns:
                for i, r in _rows(c):
                    for part, col in (("num", "numerator_step"), ("den", "denominator_step")):
                        step = r.get(col)
                        if isinstance(step, str) and ("funnel", r["unit"], r["period"], step) in cur:
                            s.relate({("crit", r["unit"], r["period"], r["criterion"], part, label): 1.0,
                                      cur[("funnel", r["unit"], r["period"], step)]: -1.0},
                                     f"{label}/criteria.csv and funnel.csv: the same count ({step})")
        for name in ("employment",):
            t = _read_csv(folder / f"{name}.csv", "unit", "persons", "employed", "share_employed")
            if t is None:
                continue
            for i, r in _rows(t):
                n: tuple[object, ...] = ("emp", r["unit"], "persons", label)
                k: tuple[object, ...] = ("emp", r["unit"], "employed", label)
                s.cell(n, r["persons"], f"{label}/employment.csv row {i + 2}, persons")
                s.cell(k, r["employed"], f"{label}/employment.csv row {i + 2}, employed")
                s.share(r["share_employed"], k, n, f"{label}/employment.csv row {i + 2}, share",
                        complement=("emp_not", r["unit"], label))
                cur[("emp", r["unit"], "persons")] = n
                cur[("emp", r["unit"], "employed")] = k
            for col in ("persons", "employed"):
                s.total(("emp", TOTAL_UNIT, col, label), [("emp", u, col, label) for u in t["unit"] if u != TOTAL_UNIT],
                        f"{label}/employment.csv: projects sum to the total ({col})")
        for name in ("temp_industry", "temp_hours"):
            t = _read_csv(folder / f"{name}.csv", "level", "months", "persons")
            if t is None:
                continue
            levels = []
            for i, r in _rows(t):
                mk = (name, r["level"], "months", label)
                s.cell(mk, r["months"], f"{label}/{name}.csv row {i + 2}, months")
                s.cell((name, r["level"], "persons", label), r["persons"], f"{label}/{name}.csv row {i + 2}, persons")
                cur[(name, r["level"], "months")] = mk
                cur[(name, r["level"], "persons")] = (name, r["level"], "persons", label)
                if r["level"] != TOTAL_UNIT:
                    levels.append(mk)
            s.total((name, TOTAL_UNIT, "months", label), levels, f"{label}/{name}.csv: levels sum to the total")
        sv = _read_csv(folder / "surveys.csv", "survey", "wave", "unit", "item", "n", "agree", "respondents",
                       "share_agree", "population", "response_rate")
        if sv is not None:
            for i, r in _rows(sv):
                base = ("sv", r["survey"], r["wave"], r["unit"])
                n, k = (*base, r["item"], "n", label), (*base, r["item"], "agree", label)
                resp = (*base, "respondents", label)
                s.cell(n, r["n"], f"{label}/surveys.csv row {i + 2}, n")
                s.cell(k, r["agree"], f"{label}/surveys.csv row {i + 2}, agree")
                s.cell(resp, r["respondents"], f"{label}/surveys.csv row {i + 2}, respondents")
                s.share(r["share_agree"], k, n, f"{label}/surveys.csv row {i + 2}, share agreeing",
                        complement=(*base, r["item"], "not", label))
                pop = (*base, "population", label)
                s.cell(pop, r["population"], f"{label}/surveys.csv row {i + 2}, population")
                s.share(r["response_rate"], resp, pop, f"{label}/surveys.csv row {i + 2}, response rate",
                        complement=(*base, "not_responding", label))
            for (survey, wave, item), g in sv.groupby(["survey", "wave", "item"], sort=False):
                for col in ("n", "agree"):
                    s.total(("sv", survey, wave, TOTAL_UNIT, item, col, label),
                            [("sv", survey, wave, u, item, col, label) for u in g["unit"] if u != TOTAL_UNIT],
                            f"{label}/surveys.csv: projects sum to the total ({item}, {col})")
            for (survey, wave), g in sv.groupby(["survey", "wave"], sort=False):
                s.total(("sv", survey, wave, TOTAL_UNIT, "respondents", label),
                        [("sv", survey, wave, u, "respondents", label) for u in dict.fromkeys(g["unit"]) if u != TOTAL_UNIT],
                        f"{label}/surveys.csv: respondents of the projects sum to the total")
        reg = _read_csv(folder / "registration.csv", "item", "column", "rule", "rows")
        if reg is not None:
            rules = []
            for i, r in _rows(reg):
                key = ("reg", r["item"], str(r["column"]), str(r["rule"]), label)
                s.cell(key, r["rows"], f"{label}/registration.csv row {i + 2}")
                if r["item"] == "rule":
                    rules.append(key)
            s.total(("reg", "violations", "nan", "nan", label), rules, f"{label}/registration.csv: rules sum to the "
                                                                        "violations")
        # this month against last month's report: the change is a number of persons (not for counts of one month:
        # this month's and last month's are different groups, and their difference counts nobody)
        for base, key in cur.items():
            if base in prev and not (base[0] == "funnel" and base[2] in ("month", "cohort")):
                if base[0] == "funnel" and base[2] == "cumulative":
                    month = cur.get(("funnel", base[1], "month", base[3]))
                    if month is not None:
                        s.relate({key: 1.0, prev[base]: -1.0, month: -1.0},
                                 f"{label}/funnel.csv: cumulative = last month's cumulative + the month")
                        continue
                s.difference(key, prev[base], ("since", base, label), f"{label} against the month before: {base}")
        prev = cur


# ---- solving ------------------------------------------------------------------------------------------------------


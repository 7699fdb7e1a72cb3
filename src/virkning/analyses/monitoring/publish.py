"""What monitoring publishes, month by month, through the one disclosure gate.

The status reports of a programme are a series: each month's report repeats last month's numbers plus what happened
since. A count hidden in one report must not come back as the difference of two others, in that month or any
later one, so the months are protected in order, from the programme's first month, and each month's model holds
everything the earlier reports published (`History`: their counts, shown or withheld, and the relations between
them), linked to this month's by the month's increment (for the funnel the "in the month" column is that
increment). The earlier reports' withheld small counts stay targets: this month may not pin them down either. Within a month: projects add up to the total, a step of the funnel is the next
step plus those who left (where every person of the next step passed the step before), criteria are shares of
funnel steps (the same counts, one key), survey respondents are a share of the registered population.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd

from virkning.analyses.base import Output
from virkning.analyses.monitoring.compute import PERIODS, SHARE_PERIODS, TOTAL, month_ordinal, nested, rank
from virkning.analyses.monitoring.fidelity import FidelityReport
from virkning.analyses.monitoring.registration import Registration
from virkning.analyses.monitoring.spec import MonitoringConfig
from virkning.disclosure import Model, Place
from virkning.disclosure.gate import Gate, apply


@dataclass(frozen=True)
class MonitoringResult:
    """Raw (unprotected) monthly tables of a programme from its first month to the last month asked for; the
    person-level steps and the registration sheet are kept for the gate's checks and never published."""

    config: MonitoringConfig
    registration: Registration = field(repr=False)
    steps: pd.DataFrame = field(repr=False)
    history: tuple[str, ...] = ()  # every month from the programme's start to the last one asked for
    months: tuple[str, ...] = ()  # the months to publish
    tables: dict = field(default_factory=dict, repr=False)  # month -> {table: raw frame}
    fidelity_input: Any = field(default=None, repr=False)  # (survey frame, sizes) or None
    labels: dict = field(default_factory=dict)
    register_end: str | None = None  # the employment register's last month (YYYY-MM), None without registers


def produced_on() -> str:
    """The date a report states it was produced: SOURCE_DATE_EPOCH when set (the reproducible-builds convention, so a
    rerun can give the same bytes), else today."""
    from virkning.dating import today_or_source_date

    return today_or_source_date().isoformat()


def page_info(config: MonitoringConfig, steps: pd.DataFrame, month: str, register_end: str | None = None,
              source: str = "") -> dict:
    """What a status page says of itself beyond its tables: its sources and their months, the labels of the sheet's
    columns, the survey populations, the version and date. No counts (those go through the gate)."""
    from pathlib import Path

    from virkning import __version__
    from virkning.analyses.monitoring.compute import month_label

    g = config.registration
    index = g.index_column if g.layout == "per_citizen" else g.index_event
    cols = {c.name: c.label for c in g.columns if c.label} if g.layout == "per_citizen" else {}
    index_months = steps["mo_index"].dropna()
    first = month_label(int(index_months.min())) if len(index_months) else month
    return {"registration_file": Path(source).name if source else config.registration_file,
            "first_month": first, "month": month, "register_end": register_end,
            "surveys": [s.file for s in config.surveys],
            "staff_survey": config.fidelity.file if config.fidelity is not None else None,
            "index_column": index, "index_label": (cols.get(index) if index is not None else None) or index,
            "person_column": g.person_column, "unit_column": g.unit_column, "column_labels": cols,
            "survey_steps": {s.name: s.population_step for s in config.surveys},
            "version": __version__, "date": produced_on()}


# ---- declarations ----------------------------------------------------------------------------------------------

@dataclass
class History:
    """What the earlier status reports of a programme published: every count (shown or withheld) under a key
    ("@", month, key), the relations between them that a reader knows, and which are signed changes."""

    cells: dict = field(default_factory=dict)  # key -> (value, shown)
    relations: list = field(default_factory=list)  # (coefficient dict over history keys, kind)
    signed: set = field(default_factory=set)
    last: str | None = None  # the month the links go to
    # every count of the last month, pruned or not: this month's counts follow from them (a cumulative count minus
    # last month's printed one is this month's increment, even when no withheld count links them)
    last_cells: dict = field(default_factory=dict)

    def add(self, month: str, model: Model, gate: Gate) -> None:
        """Take in a month just protected: its counts as published and its relations a reader still knows."""
        def ns(k):
            return k if isinstance(k, tuple) and k[:1] == ("@",) else ("@", month, k)

        earlier, self.last_cells = self.last_cells, {}
        for k, v in model.cells.items():
            if ns(k) == k:  # an earlier month's: in already, or back from the last month's counts
                if k not in self.cells:
                    self.cells[k] = earlier.get(k, (v, k in model.fixed))
                continue
            printed = gate.known(k) and not all(p in gate.blank for p in model.places.get(k, []))
            self.cells[ns(k)] = (v, printed)
            self.last_cells[ns(k)] = (v, printed)
            if k in model.signed:
                self.signed.add(ns(k))
        for i, r in enumerate(model.relations):
            if i in gate.dropped or r.kind.startswith("earlier"):
                continue
            coefs = {ns(k): c for k, c in r.coefs.items()}
            if any(not self.cells[k][1] for k in coefs):  # only relations with something withheld inform a reader
                self.relations.append((coefs, "earlier total" if r.kind == "total" else "earlier share"))
        self.last = month
        self._prune()

    def _prune(self) -> None:
        """Keep only what can still inform a reader about a withheld count: a relation with one unknown fixes it
        (the month's gate made sure it is not small), so it becomes a constant; a relation whose unknown change
        (signed, in no other relation) can take any value says nothing; cells no relation reaches go."""
        changed = True
        while changed:
            changed = False
            uses: dict = defaultdict(int)
            for coefs, _ in self.relations:
                for k in coefs:
                    uses[k] += 1
            kept = []
            for coefs, kind in self.relations:
                unknown = [k for k in coefs if not self.cells[k][1]]
                if not unknown:
                    changed = True
                    continue
                if len(unknown) == 1 and kind != "earlier share":
                    k = unknown[0]
                    self.cells[k] = (self.cells[k][0], True)
                    changed = True
                    continue
                if any(k in self.signed and uses[k] == 1 for k in unknown):
                    changed = True
                    continue
                kept.append((coefs, kind))
            self.relations = kept
        used = {k for r, _ in self.relations for k in r}
        self.cells = {k: v for k, v in self.cells.items() if k in used}


def declare(config: MonitoringConfig, steps: pd.DataFrame, mo: int, t: dict[str, pd.DataFrame],
            previous: History | None) -> Model:
    m = Model()
    f = t["funnel"]
    order = [s.name for s in config.funnel]

    def fk(unit, period, step):
        # the month's new citizens are the month's count of the first step: one count, one key
        return ("f", unit, "month", step) if (period == "cohort" and step == order[0]) else ("f", unit, period, step)

    for i, r in enumerate(f.to_dict("records")):
        m.count(Place("funnel", i, "persons"), fk(r["unit"], r["period"], r["step"]), r["persons"])
    units = sorted(set(f["unit"]) - {TOTAL})
    for period in PERIODS:
        for step in order:
            m.total(fk(TOTAL, period, step), [fk(u, period, step) for u in units])
        for unit in [*units, TOTAL]:
            sub = steps if unit == TOTAL else steps[steps["unit"] == unit]
            for a, b in zip(order, order[1:]):
                if nested(sub, a, b, mo, period, order[0]):
                    m.difference(fk(unit, period, a), fk(unit, period, b), ("left", unit, period, a, b))
    for i, r in enumerate(f.to_dict("records")):
        k = order.index(r["step"])
        if k > 0 and r["period"] in SHARE_PERIODS:  # the month's counts are different persons at each step: no shares
            m.share(Place("funnel", i, "share_of_previous"), fk(r["unit"], r["period"], r["step"]),
                    fk(r["unit"], r["period"], order[k - 1]))
            m.share(Place("funnel", i, "share_of_first"), fk(r["unit"], r["period"], r["step"]),
                    fk(r["unit"], r["period"], order[0]))
    crit = {c.name: c for c in config.success_criteria}
    for i, r in enumerate(t["criteria"].to_dict("records")):
        c = crit[r["criterion"]]
        num = fk(r["unit"], r["period"], c.numerator)
        m.count(Place("criteria", i, "numerator"), num, r["numerator"])
        if c.denominator:
            den = fk(r["unit"], r["period"], c.denominator)
            m.count(Place("criteria", i, "denominator"), den, r["denominator"])
            m.share(Place("criteria", i, "value"), num, den)
        else:
            m.count(Place("criteria", i, "value"), num, r["value"])
        m.depends([Place("criteria", i, "achievement"), Place("criteria", i, "met")], [Place("criteria", i, "value")])
    if "employment" in t:
        e = t["employment"]
        for i, r in enumerate(e.to_dict("records")):
            n_key = m.count(Place("employment", i, "persons"), ("emp", r["unit"], "persons"), r["persons"])
            k_key = m.count(Place("employment", i, "employed"), ("emp", r["unit"], "employed"), r["employed"])
            m.share(Place("employment", i, "share_employed"), k_key, n_key, complement=("emp", r["unit"], "not"))
        for col in ("persons", "employed"):
            m.total(("emp", TOTAL, col), [("emp", u, col) for u in e["unit"] if u != TOTAL])
    for name in ("temp_industry", "temp_hours"):
        if name not in t:
            continue
        g = t[name]
        levels = []
        for i, r in enumerate(g.to_dict("records")):
            mk = m.count(Place(name, i, "months"), ("tm", name, r["level"], "months"), r["months"])
            pk = m.count(Place(name, i, "persons"), ("tm", name, r["level"], "persons"), r["persons"])
            m.depends([Place(name, i, "persons")], [mk])  # a row shows both or neither
            m.depends([Place(name, i, "months"), Place(name, i, "share_of_months")], [pk])
            if r["level"] != TOTAL:
                levels.append(mk)
        m.total(("tm", name, TOTAL, "months"), levels)
        for i, r in enumerate(g.to_dict("records")):
            m.share(Place(name, i, "share_of_months"), ("tm", name, r["level"], "months"), ("tm", name, TOTAL, "months"))
    if "surveys" in t and len(t["surveys"]):
        _surveys(m, t["surveys"], config, steps, mo)
    reg = t["registration"]
    rules = []
    for i, r in enumerate(reg.to_dict("records")):
        key = m.count(Place("registration", i, "rows"), ("reg", r["item"], r["column"], r["rule"]), r["rows"])
        if r["item"] == "rule":
            rules.append(key)
    m.total(("reg", "violations", None, None), rules)
    if previous:
        _link(m, previous, order)
    return m


def _surveys(m: Model, s: pd.DataFrame, config: MonitoringConfig, steps: pd.DataFrame, mo: int) -> None:
    pop_step = {sv.name: sv.population_step for sv in config.surveys}

    keys: dict[tuple[str, str], tuple] = {}  # the same for every row of a unit: the sheet is filtered once

    def pop_key(unit: str, step: str):
        # the survey's population is everyone at the step in the whole sheet: the month's cumulative count when the
        # sheet has nobody at the step after the month (one count, one key), else a count of its own
        if (unit, step) not in keys:
            sub = steps if unit == TOTAL else steps[steps["unit"] == unit]
            later = bool((sub["mo_" + step].to_numpy(dtype=float) > mo).any())
            keys[unit, step] = ("svpop", unit, step) if later else ("f", unit, "cumulative", step)
        return keys[unit, step]

    for i, r in enumerate(s.to_dict("records")):
        base = ("sv", r["survey"], r["wave"], r["unit"])
        n = m.count(Place("surveys", i, "n"), (*base, r["item"], "n"), r["n"])
        k = m.count(Place("surveys", i, "agree"), (*base, r["item"], "agree"), r["agree"])
        m.share(Place("surveys", i, "share_agree"), k, n, complement=(*base, r["item"], "not_agree"))
        resp = m.count(Place("surveys", i, "respondents"), (*base, "respondents"), r["respondents"])
        step = pop_step.get(r["survey"])
        if step is not None and r["population"] is not None and not pd.isna(r["population"]):
            pop = m.count(Place("surveys", i, "population"), pop_key(r["unit"], step), r["population"])
            m.share(Place("surveys", i, "response_rate"), resp, pop, complement=(*base, "not_responding"))
    units = sorted(set(s["unit"]) - {TOTAL})
    for (survey, wave, item), _ in s.groupby(["survey", "wave", "item"], sort=False):
        for col in ("n", "agree"):
            m.total(("sv", survey, wave, TOTAL, item, col), [("sv", survey, wave, u, item, col) for u in units])
    for (survey, wave), _ in s.groupby(["survey", "wave"], sort=False):
        m.total(("sv", survey, wave, TOTAL, "respondents"), [("sv", survey, wave, u, "respondents") for u in units])
    for step in {v for v in pop_step.values() if v is not None}:
        m.total(pop_key(TOTAL, step), [pop_key(u, step) for u in units])


def _link(m: Model, history: History, order: list[str]) -> None:
    """The earlier reports as published, and how this month's counts follow from last month's."""
    from virkning.disclosure.model import Relation

    for key, (value, shown) in history.cells.items():
        m.published_before(key, value, shown)
        if key in history.signed:
            m.signed.add(key)
    for coefs, kind in history.relations:
        m.relations.append(Relation(dict(coefs), kind=kind))
    for key in list(m.cells):
        if isinstance(key, tuple) and key[:1] == ("@",):
            continue
        prev = ("@", history.last, key)
        if prev not in history.cells:
            if prev not in history.last_cells:
                continue
            m.published_before(prev, *history.last_cells[prev])
        k = cast(tuple, key)  # the monitoring's cells are keyed by tuples
        if k[0] == "f" and k[2] == "cumulative":
            month = ("f", k[1], "month", k[3])
            if month in m.cells:  # this month's count is the increment, printed in the month table
                m.total(key, [prev, month])
                continue
        if k[0] == "f" and k[2] in ("month", "cohort"):
            continue  # this month's group and last month's are different persons: their difference counts nobody
        gap = ("since_last_month", key)
        m.latent_count(gap, m.cells[key] - m.cells[prev], signed=True)
        m.total(key, [prev, gap])


# ---- publication -----------------------------------------------------------------------------------------------

def protect_month(result: MonitoringResult, month: str, threshold: int, history: History | None
                  ) -> tuple[dict[str, pd.DataFrame], Any, History]:
    """The month's tables through the gate, the gate's outcome, and the history the next month builds on."""
    mo = month_ordinal(month)
    raw = result.tables[month]
    model = declare(result.config, result.steps, mo, raw, history)
    gate = Gate(model, threshold)
    protected, outcome = apply(raw, gate)
    units = sorted(set(raw["funnel"]["unit"]) - {TOTAL})
    protected["ranking"] = rank(protected["criteria"], units)
    history = history if history is not None else History()
    history.add(month, model, gate)
    return protected, outcome, history


def publish(result: MonitoringResult, threshold: int, fidelity: FidelityReport | None = None) -> list[Output]:
    """One output per month asked for (its tables and the status page), the fidelity tables, and the registration
    problems for the job centres (person-level: written under internal/, never published)."""
    outputs: list[Output] = []
    previous = None
    for month in result.history:
        protected, outcome, previous = protect_month(result, month, threshold, previous)
        if month not in result.months:
            continue
        bundle = {"kind": "monitoring", "programme": result.config.programme, "month": month, "threshold": threshold,
                  "labels": result.labels, "tables": {k: v for k, v in protected.items()},
                  "info": page_info(result.config, result.steps, month, result.register_end,
                                    result.registration.source)}
        outputs.append(Output(kind="monitoring", folder=month, tables=protected, bundle=bundle, log=tuple(outcome.log),
                              page=f"{month}/status_{month}.html", title=result.config.programme))
    if fidelity is not None:
        outputs.append(Output(kind="monitoring", folder="fidelity", tables=fidelity.to_frames(),
                              bundle={"kind": "fidelity", "report": fidelity}))
    outputs.append(Output(kind="monitoring", folder="", tables={},
                          internal={"registration_violations": result.registration.violations}))
    return outputs


def last_month_criteria(outputs: list[Output]) -> pd.DataFrame | None:
    months = [o for o in outputs if o.page]
    return months[-1].tables["criteria"] if months else None


__all__ = ["MonitoringResult", "declare", "protect_month", "publish", "np"]

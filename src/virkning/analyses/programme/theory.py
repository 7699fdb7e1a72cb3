"""The programme theory and the plan as tidy tables, in the words of the report's language.

    theory_frame(spec, "da")       element, id, label, phase, horizon, links (one row per element of the theory)
    indicator_frame(spec, "da")    indicator, label, kind, source, source_kind, measures, unit, target (words)
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import pandas as pd

from virkning.analyses.programme.spec import Activity, Effect, Indicator, Mechanism, ProgrammeSpec, TargetSpec
from virkning.analyses.programme.strings import PROGRAMME_UI
from virkning.report.formatting import Formatter

THEORY_COLUMNS = ["element", "id", "label", "phase", "horizon", "links"]
INDICATOR_COLUMNS = ["indicator", "label", "kind", "source", "source_kind", "measures", "unit", "target", "targets"]


def words(language: str) -> dict[str, Any]:
    return PROGRAMME_UI["en" if language == "en" else "da"]


def theory_frame(spec: ProgrammeSpec, language: str = "da") -> pd.DataFrame:
    w = words(language)
    labels = {a.id: a.label for a in spec.activities}
    labels.update({m.id: m.label for m in spec.mechanisms})
    labels.update({e.id: e.label for e in spec.effects})
    labels.update({m.id: m.label for m in spec.moderators})

    def links(ids):
        return "; ".join(labels.get(i, i) for i in ids)

    rows = [{"element": w["kind_target"], "id": "", "label": t, "phase": "", "horizon": "", "links": ""}
            for t in spec.target_group]
    rows += [{"element": w["kind_activity"], "id": a.id, "label": a.label, "phase": a.phase or "", "horizon": "",
              "links": ""} for a in spec.activities]
    rows += [{"element": w["kind_result" if m.kind == "result" else "kind_mechanism"], "id": m.id, "label": m.label,
              "phase": m.phase or "", "horizon": "", "links": links(m.from_)} for m in spec.mechanisms]
    rows += [{"element": w["kind_effect"], "id": e.id, "label": e.label, "phase": "",
              "horizon": w[f"h_{e.horizon}"] + (f" ({spec.horizons[e.horizon]})" if e.horizon in spec.horizons else "")
              if e.horizon else "", "links": links(e.from_)} for e in spec.effects]
    rows += [{"element": w["kind_moderator"], "id": m.id, "label": m.label, "phase": "", "horizon": "",
              "links": links(m.affects)} for m in spec.moderators]
    rows += [{"element": w["kind_cross"], "id": c.id, "label": c.label, "phase": "", "horizon": "", "links": ""}
             for c in spec.cross_cutting]
    return pd.DataFrame(rows, columns=THEORY_COLUMNS)


def target_words(t: TargetSpec, ind: Indicator, language: str) -> str:
    """A target in words: 'mindst 60', 'højst 80', 'mindst 4 om året', 'mindst 60 %', '+25 % i forhold til
    udgangspunktet (udgangspunkt målt 2017-06-30)'."""
    w = words(language)
    f = Formatter(language)
    if t.kind == "share":
        text = f"{w[t.direction]} {f.pct(t.value, 0)}"
    elif t.kind == "relative":
        sign = "+" if t.value >= 0 else "-"
        text = w["relative_of"].format(f"{sign}{f.pct(abs(t.value), 0)}")
        base = (w["baseline_value"].format(f.number(t.baseline, 0)) if t.baseline is not None
                # the programme checks require a relative target's baseline or its date
                else w["baseline_at"].format(cast(dt.date, t.baseline_date).isoformat()))
        text += f" ({base})"
    else:
        text = f"{w[t.direction]} {f.number(t.value, 0 if float(t.value).is_integer() else 1)}"
        if ind.unit:
            text += f" {ind.unit}"
        if t.per:
            text += f" {w['per_year']}"
    if t.horizon:
        text += f" ({w['h_' + t.horizon].lower()})"
    if t.by:
        text += f", {t.by.isoformat()}"
    return text


def indicator_frame(spec: ProgrammeSpec, language: str = "da") -> pd.DataFrame:
    w = words(language)
    elements: list[Activity | Mechanism | Effect] = [*spec.activities, *spec.mechanisms, *spec.effects]
    labels = {k: v for k, v in ((a.id, a.label) for a in elements)}
    rows = []
    for ind in spec.indicators:
        src = spec.source(ind.source)
        ts = [t for t in spec.targets if t.indicator == ind.name]
        rows.append({"indicator": ind.name, "label": ind.label, "kind": w[f"ikind_{ind.kind}"],
                     "source": (src.label or src.name) if src else "",
                     "source_kind": w[f"skind_{src.kind}"] if src else "",
                     "measures": "; ".join(labels.get(i, i) for i in ind.measures), "unit": ind.unit or "",
                     "target": "; ".join(target_words(t, ind, language) for t in ts),
                     "targets": len(ts)})
    return pd.DataFrame(rows, columns=INDICATOR_COLUMNS)


def schedule_frame(spec: ProgrammeSpec, language: str = "da") -> pd.DataFrame:
    """One row per schedule: its name, what it is in words, its points, its indicators."""
    from virkning.analyses.programme.schedule import schedule_points

    w = words(language)
    rows = []
    for s in spec.schedules:
        pts = schedule_points(s, spec.baseline, spec.end)
        if s.kind == "event":
            when = "; ".join(w["months_after"].format(m, s.event) for m in sorted(set(s.months)))
        elif s.kind == "grid":
            when = w[f"every_{s.every}"] + ": " + ", ".join(p.point for p in pts)
        else:
            when = ", ".join(p.point for p in pts)
        rows.append({"schedule": s.name, "label": s.label or s.name, "points": when,
                     "indicators": "; ".join([*s.indicators, *s.what])})
    return pd.DataFrame(rows, columns=["schedule", "label", "points", "indicators"])

"""Rules across the items of a `programme:` section, each problem located by its key path.

The section's models check each item on its own; here the references between them are checked: ids of the theory
(arrows to nodes that exist), indicators and their sources, rates and the counts they divide, targets and their
indicators and baselines, schedules and their indicators, and that no measurement point lies before the baseline.
`compile_programme` raises them as one pydantic error whose locations the design reader turns into lines.
"""

from __future__ import annotations

import datetime as dt

from virkning.analyses.programme.schedule import iso_monday, schedule_points
from virkning.analyses.programme.spec import ProgrammeSpec
from virkning.design.types import notes_error

Loc = tuple


def _duplicates(items, key: str, where: str) -> list[tuple[Loc, str]]:
    seen: dict[str, int] = {}
    out = []
    for i, item in enumerate(items):
        v = getattr(item, key)
        if v in seen:
            out.append(((where, i, key), f"'{v}' is used twice (also item {seen[v] + 1}); each must be unique"))
        else:
            seen[v] = i
    return out


def _theory(spec: ProgrammeSpec) -> list[tuple[Loc, str]]:
    out: list[tuple[Loc, str]] = []
    ids: dict[str, tuple[str, int]] = {}
    for where in ("activities", "mechanisms", "effects", "moderators", "cross_cutting"):
        for i, item in enumerate(getattr(spec, where)):
            if item.id in ids:
                other = ids[item.id]
                out.append(((where, i, "id"), f"'{item.id}' is already the id of {other[0]}[{other[1] + 1}]; ids "
                                               "must be unique across the programme theory"))
            else:
                ids[item.id] = (where, i)
    kinds = spec.node_ids()
    activities = [a.id for a in spec.activities]
    for i, m in enumerate(spec.mechanisms):
        for j, ref in enumerate(m.from_):
            if kinds.get(ref) != "activity":
                out.append((("mechanisms", i, "from", j), f"'{ref}' is not an activity; expected one of "
                                                           f"{', '.join(activities)}"))
    for i, e in enumerate(spec.effects):
        for j, ref in enumerate(e.from_):
            if kinds.get(ref) not in ("activity", "mechanism", "effect") or ref == e.id:
                out.append((("effects", i, "from", j), f"'{ref}' is not an activity, mechanism or other effect of "
                                                        "the theory"))
    for i, mo in enumerate(spec.moderators):
        for j, ref in enumerate(mo.affects):
            if ref not in kinds:
                out.append((("moderators", i, "affects", j), f"'{ref}' is not an id of the programme theory"))
    return out


def _indicators(spec: ProgrammeSpec) -> list[tuple[Loc, str]]:
    out = _duplicates(spec.indicators, "name", "indicators") + _duplicates(spec.sources, "name", "sources")
    sources = {s.name: s for s in spec.sources}
    kinds = spec.node_ids()
    names = {i.name: i for i in spec.indicators}
    for i, ind in enumerate(spec.indicators):
        if ind.source is not None and ind.source not in sources:
            declared = ", ".join(sources) if sources else "none are declared"
            out.append((("indicators", i, "source"), f"indicator '{ind.name}': its data source '{ind.source}' is not "
                                                     f"among the programme's sources ({declared}); declare it under "
                                                     "sources"))
        src = sources.get(ind.source) if ind.source is not None else None
        if src is not None:
            if ind.register_ is not None and src.kind != "registers":
                out.append((("indicators", i, "register"), f"indicator '{ind.name}': `register` needs a source of "
                                                           f"kind registers; '{src.name}' is {src.kind}"))
            if src.kind == "registers" and ind.register_ is None:
                out.append((("indicators", i), f"indicator '{ind.name}': a registers source needs `register` (the "
                                               "population and the status counted)"))
            if ind.where is not None and src.kind != "registration":
                out.append((("indicators", i, "where"), f"indicator '{ind.name}': `where` filters the rows of a "
                                                        "registration source"))
            if src.kind == "registration" and ind.kind not in ("count",):
                out.append((("indicators", i, "kind"), f"indicator '{ind.name}': a registration source gives counts "
                                                       "(a rate divides two of them)"))
        for j, ref in enumerate(ind.measures):
            if ref not in kinds:
                out.append((("indicators", i, "measures", j), f"'{ref}' is not an id of the programme theory"))
        for key in ("numerator", "denominator"):
            ref = getattr(ind, key)
            if ref is None:
                continue
            other = names.get(ref)
            if other is None or other.kind != "count" or ref == ind.name:
                out.append((("indicators", i, key), f"indicator '{ind.name}': {key} '{ref}' is not a count "
                                                    "indicator of the programme"))
    return out


def _targets(spec: ProgrammeSpec) -> list[tuple[Loc, str]]:
    out: list[tuple[Loc, str]] = []
    names = {i.name: i for i in spec.indicators}
    for i, t in enumerate(spec.targets):
        ind = names.get(t.indicator)
        if ind is None:
            known = ", ".join(names) if names else "none are declared"
            out.append((("targets", i, "indicator"), f"the target's indicator '{t.indicator}' is not declared "
                                                     f"(indicators: {known}); a target needs an indicator"))
            continue
        if t.kind == "relative" and t.baseline is None and t.baseline_date is None:
            out.append((("targets", i), f"the relative target of '{t.indicator}' has no baseline; give `baseline` "
                                        "(the value it is relative to) or `baseline_date` (when it is measured)"))
        if t.kind == "share" and ind.kind not in ("share", "rate"):
            out.append((("targets", i, "kind"), f"a share target needs a share or rate indicator; '{ind.name}' is "
                                                f"a {ind.kind}"))
        if t.kind == "absolute" and ind.kind in ("share", "rate"):
            out.append((("targets", i, "kind"), f"'{ind.name}' is a {ind.kind}: its target is kind: share"))
        if t.baseline_date and spec.baseline and t.baseline_date < spec.baseline:
            out.append((("targets", i, "baseline_date"), f"{t.baseline_date} lies before the programme's baseline "
                                                         f"{spec.baseline}"))
    return out


def _schedules(spec: ProgrammeSpec) -> list[tuple[Loc, str]]:
    out = _duplicates(spec.schedules, "name", "schedules")
    names = {i.name for i in spec.indicators}
    base = spec.baseline
    for i, s in enumerate(spec.schedules):
        for j, ref in enumerate(s.indicators):
            if ref not in names:
                out.append((("schedules", i, "indicators", j), f"'{ref}' is not an indicator of the programme"))
        if s.kind == "grid" and (s.from_ or base) is None:
            out.append((("schedules", i), f"schedule '{s.name}': a grid needs `from` or the programme's `baseline`"))
        if s.kind == "grid" and (s.to or spec.end) is None:
            out.append((("schedules", i), f"schedule '{s.name}': a grid needs `to` or the programme's `end`"))
        if base is None:
            continue
        if s.kind == "fixed":
            for j, d in enumerate(s.dates):
                if d < base:
                    out.append((("schedules", i, "dates", j), f"the point {d} lies before the baseline {base}; a "
                                                              "measurement point cannot precede the baseline"))
        elif s.kind == "grid" and s.from_ is not None and s.from_ < base:
            out.append((("schedules", i, "from"), f"the grid starts {s.from_}, before the baseline {base}"))
        elif s.kind == "iso_weeks":
            first = next(iter(schedule_points(s, base, spec.end)), None)
            if first is not None and first.start is not None and first.start < base:  # iso-week windows are dated
                out.append((("schedules", i, "from"), f"the first window ({first.point}, from {first.start}) lies "
                                                      f"before the baseline {base}"))
            elif first is None:
                year, week = str(s.from_).split("W")
                if iso_monday(int(year.rstrip("-")), int(week)) < base:
                    out.append((("schedules", i, "from"), f"{s.from_} lies before the baseline {base}"))
    return out


def problems(spec: ProgrammeSpec) -> list[tuple[Loc, str]]:
    return _theory(spec) + _indicators(spec) + _targets(spec) + _schedules(spec)


def raise_problems(found: list[tuple[Loc, str]], title: str = "programme") -> None:
    if found:
        raise notes_error(title, [(loc, msg, None) for loc, msg in found])


def today() -> dt.date:  # one place for the clock: the plan's default date when no data folder gives one
    return dt.date.today()

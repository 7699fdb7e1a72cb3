"""The audit's reading of a benchmark folder (`benchmark/<group>/` of the `benchmark` analysis): what a reader gets
beyond its indicator table (read by `audit_indicators`).

- the labour force per unit (units.csv, levels.csv, scoreboard.csv) is a count of persons;
- full-time persons in levels.csv and caseload.csv times the weeks of the month (printed in indicators.csv) are the
  unit-month's target weeks, the same cell as the indicator table's numerator;
- citizens per caseworker times caseworkers (caseload.csv) are the unit-month's persons, the same cell as the
  indicator table's persons.

Cells a reader computes exactly are known cells of the audit's system, and findings when small.
"""

from __future__ import annotations

from pathlib import Path

from virkning.disclosure.audit import Finding, _num, _read_csv, _small, _System


def read_all(s: _System, folder: Path, files: list[Path]) -> None:
    """Every benchmark folder of the output folder (audit.audit calls this)."""
    for path in files:
        if path.name == "scoreboard.csv" and (path.parent / "indicators.csv").is_file():
            group(s, path.parent, str(path.parent.relative_to(folder)))


def _known(s: _System, key, v: float | None, where: str, what: str) -> None:
    if v is None:
        return
    s.cell(key, v, where)
    if _small(v, s.t) and abs(v - round(v)) < 0.05:
        s.findings.append(Finding(where.split(" row")[0], where, f"{what} = {v:.2f}"))


def group(s: _System, path: Path, rel: str) -> None:
    ind = _read_csv(path / "indicators.csv", "unit", "period", "period_weeks")
    weeks = {} if ind is None else {(str(u), str(p)): _num(w) for u, p, w in
                                    zip(ind["unit"], ind["period"], ind["period_weeks"])}
    ind_rel = f"{rel}/indicators.csv"
    for name in ("units", "levels", "scoreboard"):
        f = _read_csv(path / f"{name}.csv", "unit", "labour_force")
        if f is None:
            continue
        for i, (u, v) in enumerate(zip(f["unit"], f["labour_force"])):
            _known(s, ("bench_lf", rel, str(u)), _num(v), f"{rel}/{name}.csv row {i + 2}, labour_force",
                   "the labour force")
    for name, month_col in (("levels", "month"), ("caseload", "month")):
        f = _read_csv(path / f"{name}.csv", "unit", month_col, "fuldtidspersoner")
        if f is None:
            continue
        for i, (u, m, v) in enumerate(zip(f["unit"], f[month_col], f["fuldtidspersoner"])):
            ftp, w = _num(v), weeks.get((str(u), str(m)))
            if ftp is not None and w:
                _known(s, ("ind", "target_weeks", ind_rel, str(u), str(m)), ftp * w,
                       f"{rel}/{name}.csv row {i + 2}, fuldtidspersoner", f"{ftp:g} x {w:g} weeks in the month")
    f = _read_csv(path / "caseload.csv", "unit", "month", "caseworkers", "citizens_per_caseworker")
    if f is not None:
        for i, (u, m, c, r) in enumerate(zip(f["unit"], f["month"], f["caseworkers"], f["citizens_per_caseworker"])):
            c_, r_ = _num(c), _num(r)
            if c_ is not None and r_ is not None:
                _known(s, ("ind_persons", "target", ind_rel, str(u), str(m)), c_ * r_,
                       f"{rel}/caseload.csv row {i + 2}, citizens_per_caseworker",
                       f"{r_:g} citizens per caseworker x {c_:g} caseworkers")

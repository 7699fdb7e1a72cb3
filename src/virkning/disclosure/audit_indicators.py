"""The audit's reading of a register-indicator table (indicators.csv of `virkning indicators` and of the
difference-in-differences analysis): the relations a reader rebuilds from the table and the published definitions.

- a share, rate or mean is its numerator over its denominator (value = scale x numerator / denominator), so a
  shown value and denominator give the numerator, and a shown value and numerator the denominator;
- for a share of a group (weeks with a measure among target weeks) the rest of the group is a count too;
- a count's value is its numerator; a volume's value is its numerator over the weeks in the period (printed);
- a quantity several indicators share (the target weeks are the denominator of four) is one cell per unit and
  period: shown in one row, it is known in every row.

The bounds of every hidden cell then come from the audit's linear programs (`audit._bounds_findings`).
"""

from __future__ import annotations

from pathlib import Path

from virkning.disclosure.audit import Finding, _num, _read_csv, _small, _System

COLUMNS = ("indicator", "unit", "period", "numerator", "denominator", "value", "persons")


def read_all(s: _System, folder: Path, files: list[Path]) -> None:
    """Every indicator table of the output folder (audit.audit calls this)."""
    for path in files:
        if path.name == "indicators.csv":
            table(s, path, str(path.relative_to(folder)))


def table(s: _System, path: Path, rel: str) -> None:
    from virkning.indicators.definitions import INDICATORS

    f = _read_csv(path, *COLUMNS)
    if f is None:
        return
    equations: list[tuple[dict[tuple[object, ...], float], str]] = []  # (coefficients, where): sum of coefficient x cell = 0
    cols = [*COLUMNS, "period_weeks"] if "period_weeks" in f.columns else list(COLUMNS)
    for i, values in enumerate(zip(*(f[c].tolist() for c in cols))):  # plain lists: iterrows cost 1 s a table
        r = dict(zip(cols, values))
        d = INDICATORS.get(r["indicator"])
        if d is None:
            continue
        where = f"{rel} row {i + 2} ({r['indicator']}, {r['unit']}, {r['period']})"
        cell = (rel, str(r["unit"]), str(r["period"]))
        num = ("ind", d.num, *cell)
        s.cell(num, r["numerator"], f"{where}, numerator")
        s.cell(("ind_persons", d.base, *cell), r["persons"], f"{where}, persons")
        value = _num(r["value"])
        if d.kind == "count" and value is not None:
            _known(s, num, value, f"{where}, value", f"the count {value:g}")
            continue
        if d.kind == "volume":
            weeks = _num(r.get("period_weeks"))
            if value is not None and weeks:
                _known(s, num, value * weeks, f"{where}, value", f"{value:g} x {weeks:g} weeks in the period")
            continue
        den = ("ind", d.den, *cell)
        s.cell(den, r["denominator"], f"{where}, denominator")
        if value is not None:
            equations.append(({num: 1.0, den: -value / d.scale}, f"{where}: numerator = value x denominator"))
        if d.subset:
            rest = ("ind_rest", d.num, d.den, *cell)
            s.where.setdefault(rest, f"the rest of the group in {where}")
            equations.append(({den: 1.0, num: -1.0, rest: -1.0}, f"{where}: the rest of the group"))
    _solve(s, equations)


def _known(s: _System, key, v: float, where: str, what: str) -> None:
    """A count a reader reads or computes exactly: a known cell, and a finding when it is small."""
    s.cell(key, v, where)
    if _small(v, s.t) and abs(v - round(v)) < 0.05:
        s.findings.append(Finding(where.split(" row")[0], where, f"{what} = {v:.2f}"))


def _solve(s: _System, equations: list) -> None:
    """Cells a reader computes one by one (an equation with one unknown left) are known, and findings when small;
    what is left enters the system as relations for its linear programs (few: the row rules and the gate leave
    most hidden cells with two unknowns or more, and such a program per cell is what costs)."""
    known = lambda k: s.values.get(k) is not None  # noqa: E731
    changed = True
    while changed:
        changed = False
        for coefs, where in equations:
            unknown = [k for k in coefs if not known(k)]
            if len(unknown) != 1 or not coefs[unknown[0]]:
                continue
            k = unknown[0]
            v = -sum(c * s.values[j] for j, c in coefs.items() if j != k) / coefs[k]
            _known(s, k, v, where, "derivable")
            changed = True
    left = [(c, w) for c, w in equations if sum(1 for k in c if not known(k)) >= 2]
    # Only components (equations linked through a hidden cell several indicators share) that can narrow a cell to
    # 1 .. threshold-1 go to the linear programs, one per hidden cell, which is what costs (11,750 programs, 35 s,
    # on a national monthly table before this). Two kinds cannot, whatever the numbers:
    # - one equation alone: with two or more non-negative unknowns each can be 0 (the others take up the rest, or a
    #   ratio holds at any size);
    # - equations without a known cell (a row hidden whole, its shared denominator hidden in every row): they are
    #   homogeneous, so every solution scaled is one: each unknown is 0 or unbounded above.
    parent = list(range(len(left)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict = {}
    for i, (c, _) in enumerate(left):
        for k in c:
            if not known(k):
                j = first.setdefault(k, i)
                parent[root(i)] = root(j)
    members: dict = {}
    for i in range(len(left)):
        members.setdefault(root(i), []).append(i)
    for idx in members.values():
        anchored = any(known(k) for i in idx for k in left[i][0])
        if len(idx) > 1 and anchored:
            for i in idx:
                s.relate(*left[i])

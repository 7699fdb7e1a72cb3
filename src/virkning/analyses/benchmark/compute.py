"""The benchmark run: full-time persons per unit and month from the indicator layer, through the disclosure rules,
then rates, changes, comparisons, the scoreboard, caseloads and the expected-level model on the shown values.

    result = run_benchmark(design, regs, threshold=5, base=Path("."))
    result.groups["forsikrede_ledige"].tables["scoreboard"]

Every number after the indicator table is computed from the values the protected table shows (a hidden unit-month
is missing to every later step), so the later tables reveal nothing the indicator table does not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from virkning.analyses.benchmark.expected import ExpectedFit, expected_levels
from virkning.analyses.benchmark.spec import SECTION, BenchmarkDesign
from virkning.errors import DesignError, EstimationError
from virkning.indicators import (TARGET_GROUPS, IndicatorRequest, IndicatorTable, compute_indicators,
                                 municipality_names, protect_indicators)
from virkning.registers import queries

if TYPE_CHECKING:
    from virkning.registers import Registers

THIRDS = ("top", "middle", "bottom")
ARROWS = {-1: "↑", 0: "→", 1: "↓"}  # rank went down (better), stayed, went up (worse)


@dataclass(frozen=True)
class GroupResult:
    """One target group's benchmark: the raw indicator table (published through the gate), the protected one the
    rest rests on, and the derived tables."""

    group: str
    indicators: IndicatorTable = field(repr=False)
    protected: pd.DataFrame = field(repr=False)
    tables: dict[str, pd.DataFrame] = field(repr=False)
    month: str
    previous: str | None
    year_before: str | None
    fit: ExpectedFit | None
    country: bool = False
    notes: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return (f"GroupResult({self.group}: {len(self.indicators.units)} units, reference month {self.month}"
                f"{', ' + repr(self.fit) if self.fit else ''})")


@dataclass(frozen=True)
class BenchmarkResult:
    design: BenchmarkDesign
    groups: dict[str, GroupResult]
    labour_force_source: str
    synthetic: bool = False

    def to_frame(self) -> pd.DataFrame:
        return pd.concat([g.tables["scoreboard"].assign(group=k) for k, g in self.groups.items()], ignore_index=True)

    def __repr__(self) -> str:
        return f"BenchmarkResult({', '.join(repr(g) for g in self.groups.values())})"


# ---- inputs -----------------------------------------------------------------------------------------------------

def _read(path_text: str, base: Path, key: str, required: tuple[str, ...]) -> tuple[pd.DataFrame, str]:
    path = Path(path_text).expanduser()
    path = path if path.is_absolute() else base / path
    if not path.is_file():
        raise DesignError(f"{SECTION}.{key}: file not found: {path}")
    try:
        f = pd.read_csv(path, dtype={"unit": str, "month": str, "group": str})
    except (ValueError, pd.errors.ParserError) as exc:
        raise DesignError(f"{SECTION}.{key}: {path.name} could not be read as CSV ({exc})") from None
    missing = [c for c in required if c not in f.columns]
    if missing:
        raise DesignError(f"{SECTION}.{key}: {path.name} has no column {', '.join(missing)}; expected columns "
                          f"{', '.join(required)}")
    f["unit"] = f["unit"].astype(str).str.strip()
    return f, path.name


def _numbers(f: pd.DataFrame, name: str, key: str, column: str, units: list[str], positive: bool) -> None:
    """Located checks of a numeric column: numbers, positive or not negative, and only benchmarked units."""
    for i, (u, v) in enumerate(zip(f["unit"], f[column])):
        where = f"{SECTION}.{key}: {name} row {i + 2}"
        if u not in units:
            raise DesignError(f"{where}: unit {u!r} is not a benchmarked unit (units: {', '.join(units[:12])}"
                              f"{' ...' if len(units) > 12 else ''})")
        x = pd.to_numeric(pd.Series([v]), errors="coerce").iloc[0]
        if pd.isna(x) or (x <= 0 if positive else x < 0):
            raise DesignError(f"{where}, {column}: expected a {'positive' if positive else 'non-negative'} number; "
                              f"got {v!r}")


def _labour_force(regs: "Registers", design: BenchmarkDesign, t: IndicatorTable, group: str, base: Path
                  ) -> tuple[pd.Series, str]:
    units = list(t.units["unit"])
    if design.labour_force is None:
        per = {str(m): float(n) for m, n in regs.engine.rows(queries.PERSONS_PER_MUNICIPALITY)}
        per_unit = {u: sum(per.get(c, 0.0) for c in ms.split())
                    for u, ms in zip(t.units["unit"], t.units["municipalities"])}
        return pd.Series(per_unit), "persons"
    f, name = _read(design.labour_force, base, "labour_force", ("unit", "labour_force"))
    if "group" in f.columns:
        f = f[f["group"] == group]
    _numbers(f, name, "labour_force", "labour_force", units, positive=True)
    dup = f["unit"][f["unit"].duplicated()]
    if len(dup):
        raise DesignError(f"{SECTION}.labour_force: {name} gives unit {dup.iloc[0]!r} twice"
                          + (f" for group {group}" if "group" in f.columns else ""))
    lf = f.set_index("unit")["labour_force"].astype(float)
    absent = [u for u in units if u not in lf.index]
    if absent:
        raise DesignError(f"{SECTION}.labour_force: {name} has no labour force for unit(s) {', '.join(absent[:10])}"
                          + (f" (group {group})" if "group" in f.columns else ""))
    return lf, "declared"


# ---- the tables -------------------------------------------------------------------------------------------------

def _ranks(rates: pd.Series) -> pd.Series:
    """Rank 1 = lowest rate; ties share the lower rank (min), so equal units are placed alike."""
    return rates.rank(method="min").astype("Int64")


def _third(rank: int, n: int) -> str:
    return THIRDS[min(2, (3 * (int(rank) - 1)) // n)]


def _series(levels: pd.DataFrame, design: BenchmarkDesign, all_label: str) -> pd.DataFrame:
    """Per month: all units pooled, the mean of the `best` lowest rates, and the comparison group pooled."""
    rows = []
    for (month, p), g in levels.groupby(["month", "p"], sort=True):
        shown = g[g["rate"].notna()]
        pooled = lambda s: (s["fuldtidspersoner"].sum() / s["labour_force"].sum()  # noqa: E731
                            if len(s) and s["labour_force"].sum() > 0 else np.nan)
        best = shown.nsmallest(design.best, "rate")
        rows.append({"series": "all", "month": month, "p": p, "rate": pooled(shown), "n_units": len(shown)})
        rows.append({"series": "best", "month": month, "p": p, "rate": best["rate"].mean() if len(best) else np.nan,
                     "n_units": len(best)})
        if design.comparison:
            c = shown[shown["unit"].isin(design.comparison)]
            rows.append({"series": "comparison", "month": month, "p": p, "rate": pooled(c), "n_units": len(c)})
    s = pd.DataFrame(rows)
    s["label"] = s["series"].map({"all": all_label, "best": f"best_{design.best}", "comparison": design.comparison_name})
    return _changes(s, "series")


def _changes(f: pd.DataFrame, by: str) -> pd.DataFrame:
    """Changes in percentage points against the previous month and the same month a year before."""
    f = f.sort_values([by, "p"]).reset_index(drop=True)
    key = f.set_index([by, "p"])["rate"]
    for col, lag in (("change_month_pp", 1), ("change_year_pp", 12)):
        before = pd.Series([key.get((u, p - lag), np.nan) for u, p in zip(f[by], f["p"])], index=f.index)
        f[col] = 100.0 * (f["rate"] - before)
    return f


def _reference(t: IndicatorTable, design: BenchmarkDesign) -> int:
    labels = list(t.periods)
    if design.month is not None:
        if design.month not in labels:
            raise DesignError(f"{SECTION}.month: {design.month} is not a whole month of the window "
                              f"({labels[0]} to {labels[-1]}); choose a month inside it")
        return labels.index(design.month)
    i = len(labels) - 1 - design.leave_out
    if i < 0:
        raise DesignError(f"{SECTION}.leave_out_newest: leaving out {design.leave_out} months leaves no month of the "
                          f"window ({labels[0]} to {labels[-1]})")
    return i


def _check_newest(raw: pd.DataFrame, t: IndicatorTable, group: str) -> None:
    """A unit with nobody in the newest month while other units have persons: its data end early (late or missing
    registrations); ranking it would be wrong, so the run stops and names it."""
    newest = t.periods[-1]
    last = raw[raw["period"] == newest]
    empty = last.loc[last["persons"] == 0, "unit"].tolist()
    if empty and len(empty) < len(last):
        names = dict(zip(t.units["unit"], t.units["unit_name"]))
        raise DesignError(f"{SECTION}.include: unit(s) {', '.join(f'{u} ({names.get(u, u)})' for u in empty[:10])} "
                          f"have no data in the newest month {newest} for the target group {group}, while the other "
                          "units have; their registrations may be missing: leave the unit(s) out (include) or end "
                          "the window earlier ('to')")


def _caseload(levels: pd.DataFrame, persons: pd.Series, design: BenchmarkDesign, month: str, base: Path,
              units: list[str]) -> pd.DataFrame | None:
    if design.staffing is None:
        return None
    f, name = _read(design.staffing, base, "staffing", ("unit", "caseworkers"))
    _numbers(f, name, "staffing", "caseworkers", units, positive=True)
    if "month" in f.columns:
        months = set(levels["month"])
        for i, m in enumerate(f["month"]):
            if m not in months:
                raise DesignError(f"{SECTION}.staffing: {name} row {i + 2}: month {m!r} is not a month of the window")
        f = f[f["month"] == month]
        if f.empty:
            raise DesignError(f"{SECTION}.staffing: {name} has no rows for the reference month {month}")
    dup = f["unit"][f["unit"].duplicated()]
    if len(dup):
        raise DesignError(f"{SECTION}.staffing: {name} gives unit {dup.iloc[0]!r} twice for {month}")
    ref = levels[levels["month"] == month].set_index("unit")
    out = pd.DataFrame({"unit": f["unit"].to_numpy(), "caseworkers": f["caseworkers"].astype(float).to_numpy()})
    out["unit_name"] = out["unit"].map(ref["unit_name"])
    out["month"] = month
    out["fuldtidspersoner"] = out["unit"].map(ref["fuldtidspersoner"])
    out["fuldtidspersoner_per_caseworker"] = out["fuldtidspersoner"] / out["caseworkers"]
    out["citizens_per_caseworker"] = out["unit"].map(persons) / out["caseworkers"]
    return out[["unit", "unit_name", "month", "caseworkers", "fuldtidspersoner", "fuldtidspersoner_per_caseworker",
                "citizens_per_caseworker"]]


def _expected(score: pd.DataFrame, design: BenchmarkDesign, base: Path, units: list[str]
              ) -> tuple[ExpectedFit | None, pd.DataFrame | None, list[str]]:
    if not design.model:
        return None, None, []
    assert design.covariates is not None  # the design's checks require a covariates file for a model
    f, name = _read(design.covariates, base, "covariates", ("unit", *design.model))
    for c in design.model:
        bad = pd.to_numeric(f[c], errors="coerce").isna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise DesignError(f"{SECTION}.covariates: {name} row {i + 2}, {c}: expected a number; got {f[c].iloc[i]!r}")
    for i, u in enumerate(f["unit"]):
        if u not in units:
            raise DesignError(f"{SECTION}.covariates: {name} row {i + 2}: unit {u!r} is not a benchmarked unit")
    absent = [u for u in units if u not in set(f["unit"])]
    if absent:
        raise DesignError(f"{SECTION}.covariates: {name} has no row for unit(s) {', '.join(absent[:10])}")
    data = score[score["rate"].notna()][["unit", "unit_name", "rate"]].merge(f[["unit", *design.model]], on="unit")
    notes = []
    if len(data) < len(units):
        notes.append("expected_hidden")
    try:
        fit = expected_levels(data, "rate", design.model, design.level)
    except EstimationError as exc:
        raise EstimationError(f"{SECTION}.model: {exc}") from None
    out = fit.units.merge(data[["unit", "unit_name"]], on="unit")
    out = out[["unit", "unit_name", "actual", "expected", "difference", "se", "low", "high", "outside"]]
    return fit, out.sort_values("difference").reset_index(drop=True), notes


def run_group(regs: "Registers", design: BenchmarkDesign, group: str, threshold: int, base: Path
              ) -> tuple[GroupResult, str]:
    req = IndicatorRequest(target=TARGET_GROUPS[group], period="month", indicators=("fuldtidspersoner",),
                           units=design.units, first=design.first, last=design.last,
                           where={"units": f"{SECTION}.include", "first": f"{SECTION}.from",
                                  "last": f"{SECTION}.to", "period": f"{SECTION}.period"})
    t = compute_indicators(regs, req)
    raw = t.frame
    _check_newest(raw, t, group)
    protected, _ = protect_indicators(raw, threshold)
    units = list(t.units["unit"])
    lf, source = _labour_force(regs, design, t, group, base)
    levels = protected[["unit", "unit_name", "period", "p", "value"]].rename(
        columns={"period": "month", "value": "fuldtidspersoner"})
    levels["labour_force"] = levels["unit"].map(lf).astype(float)
    levels["rate"] = levels["fuldtidspersoner"] / levels["labour_force"]
    levels = _changes(levels, "unit")
    levels = levels.assign(_u=levels["unit"].map({u: i for i, u in enumerate(units)})).sort_values(["_u", "p"])
    levels = levels.drop(columns="_u").reset_index(drop=True)
    i = _reference(t, design)
    month = t.periods[i]
    previous = t.periods[i - 1] if i >= 1 else None
    year_before = t.periods[i - 12] if i >= 12 else None
    notes = [] if year_before else ["no_year_before"]
    # "the whole country" only when every municipality is a unit of its own; otherwise "all units"
    country = design.units is None and set(municipality_names()) <= set(units)
    all_label = "country" if country else "all_units"
    series = _series(levels, design, all_label)
    ref = levels[levels["month"] == month].set_index("unit")
    score = ref.reset_index()[["unit", "unit_name", "fuldtidspersoner", "labour_force", "rate", "change_month_pp",
                               "change_year_pp"]].copy()
    score["rank"] = _ranks(score["rate"])
    n = int(score["rate"].notna().sum())
    score["third"] = [_third(r, n) if not pd.isna(r) else None for r in score["rank"]]
    if previous is not None:
        prev = levels[levels["month"] == previous].set_index("unit")["rate"]
        rank_prev = _ranks(prev)
        score["rank_last_month"] = score["unit"].map(rank_prev).astype("Int64")
        score["arrow"] = [ARROWS[int(np.sign(a - b))] if not (pd.isna(a) or pd.isna(b)) else None
                          for a, b in zip(score["rank"], score["rank_last_month"])]
    else:
        score["rank_last_month"] = pd.array([pd.NA] * len(score), dtype="Int64")
        score["arrow"] = None
    if n < len(score):
        notes.append("hidden_units")
    score = score.sort_values(["rank", "unit"], na_position="last").reset_index(drop=True)
    persons = protected[protected["period"] == month].set_index("unit")["persons"]
    caseload = _caseload(levels, persons, design, month, base, units)
    fit, expected, more = _expected(score, design, base, units)
    notes += more
    changes = series[series["month"] == month][["label", "series", "rate", "change_month_pp", "change_year_pp",
                                                "n_units"]].reset_index(drop=True)
    tables = {"levels": levels.drop(columns="p"), "series": series.drop(columns="p"), "changes": changes,
              "scoreboard": score}
    if caseload is not None:
        tables["caseload"] = caseload
    if fit is not None:
        assert expected is not None  # _expected returns the fit and its table together
        tables["expected"] = expected
        tables["model"] = fit.terms.assign(n_units=fit.n, r2=fit.r2, sigma=fit.sigma)
    return GroupResult(group=group, indicators=t, protected=protected, tables=tables, month=month, previous=previous,
                       year_before=year_before, fit=fit, country=country,
                       notes=tuple(notes)), source


def run_benchmark(design: BenchmarkDesign, regs: "Registers", *, threshold: int, base: Path,
                  synthetic: bool = False, progress=lambda s: None) -> BenchmarkResult:
    groups, source = {}, "persons"
    for g in design.groups:
        progress(f"benchmark {g}")
        groups[g], source = run_group(regs, design, g, threshold, Path(base))
    return BenchmarkResult(design=design, groups=groups, labour_force_source=source, synthetic=synthetic)

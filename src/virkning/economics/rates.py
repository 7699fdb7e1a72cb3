"""Public benefit rates by benefit type and year: the shipped table, a user's table, validation and lookup.

The shipped table is ``benefit_rates.csv`` (sources and gaps in docs/business-case.md). Each row is one rate as a
public source publishes it (``amount`` per ``unit``: week, month, day or year) with the address of that source.
A business case needs the rate per benefit week, so the lookup converts:

- ``week``: as published;
- ``month``: x 12 / 52 (dagpenge are paid for 160.33 hours a month, which is 37 hours x 52 / 12 to within 0.002 %);
- ``day``: x 5 (dagpenge day rates, before July 2017, are for one of the five days of a full week);
- ``year``: / 52.

A user table with the same columns replaces shipped rows with the same (benefit, year) and adds new ones, or,
with ``replace=True``, is the whole table. Years a source could not be found for are absent, and the lookup refuses
them instead of carrying a neighbouring year's rate.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Protocol, cast

import pandas as pd

from virkning.errors import DesignError, Problem

COLUMNS = ("benefit", "year", "amount", "unit", "valid_from", "label", "source_kind", "source", "note")
REQUIRED = ("benefit", "year", "amount", "unit", "source_kind", "source")
UNITS = {"week": 1.0, "month": 12.0 / 52.0, "day": 5.0, "year": 1.0 / 52.0}
SOURCE_KINDS = ("official", "secondary")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
FIRST_YEAR, LAST_YEAR = 1990, 2100


class RateTableError(DesignError):
    """A benefit-rate table (shipped or user-supplied) breaks a rule; ``problems`` lists each (file, row, column)."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        lines = [f"{len(self.problems)} problem(s) in the benefit-rate table:"]
        lines += [f"- {p}" for p in self.problems[:20]]
        if len(self.problems) > 20:
            lines.append(f"- ... and {len(self.problems) - 20} more")
        lines.append("Fix the table and load it again (columns and rules: docs/business-case.md).")
        super().__init__("\n".join(lines))


def shipped_path() -> Path:
    return Path(str(resources.files("virkning.economics").joinpath("benefit_rates.csv")))


def _read(path: Path | str, name: str) -> pd.DataFrame:
    try:
        t = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except FileNotFoundError:
        raise RateTableError([Problem(name, None, "file not found; give the path of a CSV with columns "
                                      + ", ".join(COLUMNS))]) from None
    except UnicodeDecodeError as e:
        raise RateTableError([Problem(name, None, f"not UTF-8 text ({e.reason}); save the file as UTF-8")]) from None
    except pd.errors.ParserError as e:
        raise RateTableError([Problem(name, None, f"not a readable CSV file ({e})")]) from None
    missing = [c for c in REQUIRED if c not in t.columns]
    if missing:
        raise RateTableError([Problem(name, c, "expected this column; a rate table needs "
                                      + ", ".join(REQUIRED) + f"; got columns {', '.join(t.columns)}")
                              for c in missing])
    for c in COLUMNS:
        if c not in t.columns:
            t[c] = ""
    return _validate(t[list(COLUMNS)].copy(), name)


class _TextRow(Protocol):
    """A row of the rate table as _read gives it: every cell text (dtype=str, keep_default_na=False, missing
    optional columns filled with "")."""

    benefit: str
    year: str
    amount: str
    unit: str
    valid_from: str
    source_kind: str
    source: str


def _validate(t: pd.DataFrame, name: str) -> pd.DataFrame:
    """Check every rule on every row; collect all problems before raising, so one pass shows them all."""
    bad: dict[tuple[str, str], list[int]] = {}

    def flag(column: str, rule: str, row: int) -> None:
        bad.setdefault((column, rule), []).append(row)

    amounts, years = [], []
    for i, row in enumerate(cast(Iterable[_TextRow], t.itertuples(index=False)), start=1):
        b = row.benefit.strip()
        if not _NAME.match(b):
            flag("benefit", f"expected a name of lower-case letters, digits and '_' (like dagpenge_max); "
                            f"got {b!r}", i)
        y = row.year.strip()
        year = int(y) if y.isdigit() else None
        if year is None or not FIRST_YEAR <= year <= LAST_YEAR:
            flag("year", f"expected a year from {FIRST_YEAR} to {LAST_YEAR}; got {y!r}", i)
        years.append(year)
        try:
            amount = float(row.amount.strip())
        except ValueError:
            amount = float("nan")
            flag("amount", f"expected a number with '.' as decimal mark and no thousands separator; "
                           f"got {row.amount!r}", i)
        else:
            if not amount > 0 or amount == float("inf"):
                flag("amount", f"expected an amount > 0; got {row.amount!r}", i)
        amounts.append(amount)
        if row.unit.strip() not in UNITS:
            flag("unit", f"expected one of {', '.join(UNITS)}; got {row.unit!r}", i)
        if row.source_kind.strip() not in SOURCE_KINDS:
            flag("source_kind", f"expected one of {', '.join(SOURCE_KINDS)}; got {row.source_kind!r}", i)
        if not row.source.strip():
            flag("source", "every rate needs its source (the address of the page or act it was read from)", i)
        vf = row.valid_from.strip()
        if vf:
            try:
                d = dt.date.fromisoformat(vf)
            except ValueError:
                flag("valid_from", f"expected an ISO date (YYYY-MM-DD) or nothing; got {vf!r}", i)
            else:
                if year is not None and d.year != year:
                    flag("valid_from", f"expected a date in the row's year; got {vf!r}", i)
    keys = t["benefit"].str.strip() + "|" + t["year"].str.strip()
    dup = [int(i) + 1 for i in t.index[keys.duplicated(keep=False)]]
    for r in dup:
        flag("benefit, year", "each (benefit, year) may appear once", r)
    if bad:
        raise RateTableError([Problem(name, col, rule, rows=rows) for (col, rule), rows in bad.items()])
    out = pd.DataFrame({
        "benefit": t["benefit"].str.strip(), "year": pd.array(years, dtype="int64"),
        "amount": pd.array(amounts, dtype="float64"), "unit": t["unit"].str.strip(),
        "valid_from": t["valid_from"].str.strip(), "label": t["label"].str.strip(),
        "source_kind": t["source_kind"].str.strip(), "source": t["source"].str.strip(),
        "note": t["note"].str.strip()})
    out["rate_week"] = out["amount"] * out["unit"].map(UNITS)
    return out


@dataclass(frozen=True)
class BenefitRates:
    """The rate table in force: one row per (benefit, year) with ``rate_week``, the rate per benefit week."""

    table: pd.DataFrame = field(repr=False)
    sources: tuple[str, ...]

    @property
    def benefits(self) -> tuple[str, ...]:
        return tuple(sorted(self.table["benefit"].unique()))

    def years(self, benefit: str) -> tuple[int, ...]:
        self._check_benefit(benefit)
        return tuple(int(y) for y in sorted(self.table.loc[self.table["benefit"] == benefit, "year"]))

    def _check_benefit(self, benefit: object) -> str:
        if not isinstance(benefit, str) or benefit not in set(self.table["benefit"]):
            raise DesignError(f"benefit rates: expected one of {', '.join(self.benefits)}; got {benefit!r}. "
                              "Use a listed benefit, or add its rows to a user table (load_rates(path)).")
        return benefit

    def weekly(self, benefit: str, year: int) -> float:
        """The rate per benefit week of ``benefit`` in ``year``; refuses a year the table does not have."""
        return float(self.weekly_series(benefit, [year]).iloc[0])

    def weekly_series(self, benefit: str, years: Iterable[int]) -> pd.Series:
        """Rates per benefit week for every year asked for, indexed by year; all of them must be in the table."""
        self._check_benefit(benefit)
        wanted = [int(y) for y in years]
        have = self.table.loc[self.table["benefit"] == benefit].set_index("year")["rate_week"]
        missing = [y for y in wanted if y not in have.index]
        if missing:
            span = self.years(benefit)
            raise DesignError(
                f"benefit rates: no rate for {benefit!r} in {', '.join(map(str, missing))} (a year of the "
                f"horizon); expected years the table has: {_spans(span)}; got {', '.join(map(str, wanted))}. "
                "A rate is never carried over from another year: add the published rate with its source to a "
                "user table (load_rates(path)), or declare the rate per week by year.")
        return pd.Series([float(have[y]) for y in wanted], index=pd.Index(wanted, name="year"), name=benefit)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def to_dict(self) -> dict[str, object]:
        return {"sources": list(self.sources), "rows": self.table.to_dict(orient="records")}

    def wide(self) -> pd.DataFrame:
        """Rates per benefit week, one row per year and one column per benefit (missing years are NaN)."""
        return self.table.pivot(index="year", columns="benefit", values="rate_week")

    def __repr__(self) -> str:
        spans = "; ".join(f"{b} {_spans(self.years(b))}" for b in self.benefits)
        return f"BenefitRates({len(self.table)} rows: {spans})"

    def _repr_html_(self) -> str:
        return (f"<p>{html.escape(repr(self))}</p>"
                + self.wide().to_html(float_format=lambda v: f"{v:,.2f}", na_rep="-"))


def _spans(years: Sequence[int]) -> str:
    """(2015, 2016, 2017, 2019) -> '2015-2017, 2019'."""
    if not years:
        return "none"
    out, start, prev = [], years[0], years[0]
    for y in list(years[1:]) + [None]:
        if y is not None and y == prev + 1:
            prev = y
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if y is not None:
            start = prev = y
    return ", ".join(out)


def load_rates(path: Path | str | None = None, *, replace: bool = False) -> BenefitRates:
    """The shipped rate table, with the rows of a user table (same columns) replacing or adding (benefit, year);
    ``replace=True`` uses the user table alone."""
    if replace and path is None:
        raise DesignError("load_rates: replace=True needs the path of a user table; got path=None.")
    if path is not None and replace:
        t = _read(path, str(path))
        return BenefitRates(table=t.sort_values(["benefit", "year"], ignore_index=True), sources=(str(path),))
    base = _read(shipped_path(), "benefit_rates.csv (shipped)")
    sources = [str(shipped_path())]
    if path is not None:
        extra = _read(path, str(path))
        key = ["benefit", "year"]
        merged = base.merge(extra[key], on=key, how="left", indicator=True)
        base = pd.concat([base[(merged["_merge"] == "left_only").to_numpy()], extra], ignore_index=True)
        sources.append(str(path))
    return BenefitRates(table=base.sort_values(["benefit", "year"], ignore_index=True), sources=tuple(sources))

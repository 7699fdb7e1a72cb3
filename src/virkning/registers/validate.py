"""Enforce the data contract and summarise what a data folder holds.

Row rules are checked in one scan per table; failures become `Problem`s naming file, column, the first rows
and the rule. Things that are not errors but must never pass silently (codes missing from the catalogue,
people missing from `persons`, unknown municipality codes) are counted in the report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources

import duckdb
import pandas as pd

from virkning.errors import Problem
from virkning.registers import calendar, scans
from virkning.registers.catalogue import Catalogue
from virkning.registers.contract import EDUCATIONS, ORIGINS, SEXES, TABLES, TableSpec
from virkning.registers.engine import Engine, ReadError, in_list, quote
from virkning.registers.readers import Source, near_wide, read_problem, staging_sql


MAX_RATE = 2.0  # employment rates above 1 exist (overtime); above twice full time they are errors
MAX_HOURS = 744
# Finite, portably: NaN compares above every number in DuckDB and Spark alike, and infinity is above 1e300.
FINITE = "abs({0}) < 1e300"
# A register ends where its bulk ends: rows after a gap of at least this many empty weeks (months) that hold at most
# this share of the table are strays (a typo'd year), refused rather than allowed to move the end of the data.
TAIL_GAP_WEEKS, TAIL_GAP_MONTHS, TAIL_SHARE = 26, 6, 0.01

# (column, rule shown to the user, SQL that is true for a row breaking it; {this_week} and {this_month} are today's)
ROW_RULES: dict[str, list[tuple[str, str, str]]] = {
    "persons": [
        ("person_id", "is missing", "person_id IS NULL"),
        ("birth_date", "is missing", "NOT _has_birth_date"),
        ("birth_date", "is not a date (expected YYYY-MM-DD)", "_has_birth_date AND birth_date IS NULL"),
        ("birth_date", "lies in the future", "birth_date > current_date"),
        ("birth_date", "lies before 1900", "birth_date < DATE '1900-01-01'"),
        ("sex", f"must be one of {', '.join(SEXES)}", f"sex IS NULL OR sex NOT IN {in_list(SEXES)}"),
        ("municipality", "must be a 3-digit municipality code",
         r"municipality IS NULL OR NOT regexp_matches(municipality, '^\d{3}$')"),
        ("origin", f"must be one of {', '.join(ORIGINS)} (or empty)", f"origin IS NOT NULL AND origin NOT IN {in_list(ORIGINS)}"),
        ("education", f"must be one of {', '.join(EDUCATIONS)} (or empty)",
         f"education IS NOT NULL AND education NOT IN {in_list(EDUCATIONS)}"),
    ],
    "benefits": [
        ("person_id", "is missing", "person_id IS NULL"),
        ("week", "is missing", "NOT _has_week"),
        ("week", "is not an ISO week (expected YYYY-Www or YYYYWW; week 53 exists only in 53-week years; "
                 "a spell's from_week must not be after its to_week)", "_has_week AND wk IS NULL"),
        ("code", "must be a 3-digit DREAM code", r"code IS NULL OR NOT regexp_matches(code, '^\d{3}$')"),
        ("week", "lies in the future", "wk > {this_week}"),
    ],
    "employment": [
        ("person_id", "is missing", "person_id IS NULL"),
        ("month", "is missing", "NOT _has_month"),
        ("month", "is not a month (expected YYYY-MM)", "_has_month AND mo IS NULL"),
        ("employment_rate", "is missing", "NOT _has_rate"),
        ("employment_rate", "is not a number", "_has_rate AND employment_rate IS NULL"),
        ("employment_rate", "must be a finite number (NaN and infinity are not rates)", f"NOT ({FINITE.format('employment_rate')})"),
        ("employment_rate", "must be >= 0", "employment_rate < 0"),
        ("employment_rate", f"must be at most {MAX_RATE:g} ({MAX_RATE:g} times full time); larger values are errors "
                            "in the data", f"{FINITE.format('employment_rate')} AND employment_rate > {MAX_RATE}"),
        ("month", "lies in the future", "mo > {this_month}"),
        ("hours", "is not a number", "_has_hours AND hours IS NULL"),
        ("hours", "must be a finite number", f"NOT ({FINITE.format('hours')})"),
        ("hours", "must be >= 0", "hours < 0"),
        ("hours", f"must be at most {MAX_HOURS} (the hours of a 31-day month)", f"{FINITE.format('hours')} AND hours > {MAX_HOURS}"),
        ("temp_agency", "must be true or false", "_has_temp AND temp_agency IS NULL"),
    ],
    "events": [
        ("person_id", "is missing", "person_id IS NULL"),
        ("date", "is missing", "NOT _has_date"),
        ("date", "is not a date (expected YYYY-MM-DD)", "_has_date AND date IS NULL"),
        ("date", "lies in the future", "date > current_date"),
        ("event", "is missing", "event IS NULL"),
    ],
}


def _screens() -> scans.Screens:
    """Employment's rules settled by whole-table aggregates over its staging rows (registers/scans.py): rule SQL ->
    (aggregates, their meaning: the rule's count, or None where they prove nothing). Keyed by the rule's text, so a
    rule changed without its entry here is counted row by row. NaN is above every number, so a maximum shows it."""
    def bounded(lo: float | None, hi: float | None) -> int | None:
        return 0 if lo is None or (lo > -1e300 and hi is not None and hi < 1e300) else None
    out: scans.Screens = {}
    for c, has, top in (("employment_rate", "_has_rate", MAX_RATE), ("hours", "_has_hours", MAX_HOURS)):
        out[f"NOT {has}"] = (("count(*)", f"count(*) FILTER (WHERE {has})"), lambda n, k: n - k)
        out[f"{has} AND {c} IS NULL"] = ((f"count(*) FILTER (WHERE {has})", f"count({c}) FILTER (WHERE {has})"),
                                         lambda n, k: n - k)
        out[f"NOT ({FINITE.format(c)})"] = ((f"min({c})", f"max({c})"), bounded)
        out[f"{c} < 0"] = ((f"min({c})",), lambda lo: 0 if lo is None or lo >= 0 else None)
        out[f"{FINITE.format(c)} AND {c} > {top}"] = ((f"max({c})",), lambda hi, top=top: 0 if hi is None or hi <= top else None)
    out["_has_temp AND temp_agency IS NULL"] = (("count(*) FILTER (WHERE _has_temp)",
                                                 "count(temp_agency) FILTER (WHERE _has_temp)"), lambda n, k: n - k)
    return out


SCREENS = _screens()

# Internal key columns and how to show a key value to the user.
KEYS = {"persons": ("person_id",), "benefits": ("person_id", "wk"), "employment": ("person_id", "mo")}
KEY_WORDS = {"persons": "person_id", "benefits": "person-week", "employment": "person-month"}


@dataclass(frozen=True)
class TableSummary:
    name: str
    file: str
    layout: str
    rows: int
    persons: int
    first: str | None = None
    last: str | None = None

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class ValidationReport:
    """What a data folder holds and what is wrong with it. `ok` is False if any contract rule is broken."""

    folder: str
    problems: tuple[Problem, ...]
    tables: dict[str, TableSummary] = field(default_factory=dict)
    codes: pd.DataFrame = field(default_factory=pd.DataFrame)  # code, label, state, weeks (rows), known
    unknown_codes: pd.DataFrame = field(default_factory=pd.DataFrame)  # code, weeks, persons
    orphans: dict[str, dict[str, int]] = field(default_factory=dict)  # table -> {persons, rows}
    unknown_municipalities: pd.DataFrame = field(default_factory=pd.DataFrame)  # municipality, persons
    events: pd.DataFrame = field(default_factory=pd.DataFrame)  # event, rows, persons

    @property
    def ok(self) -> bool:
        return not self.problems

    def codes_by_state(self) -> pd.DataFrame:
        known = self.codes[self.codes["known"]] if len(self.codes) else self.codes
        if not len(known):
            return pd.DataFrame(columns=["state", "codes", "weeks"])
        return (
            known.groupby("state", as_index=False)
            .agg(codes=("code", "size"), weeks=("weeks", "sum"))
            .sort_values("weeks", ascending=False, ignore_index=True)
        )

    def to_dict(self) -> dict:
        return {
            "folder": self.folder,
            "ok": self.ok,
            "problems": [str(p) for p in self.problems],
            "tables": {k: v.to_dict() for k, v in self.tables.items()},
            "codes_by_state": self.codes_by_state().to_dict(orient="records"),
            "unknown_codes": self.unknown_codes.to_dict(orient="records"),
            "orphans": self.orphans,
            "unknown_municipalities": self.unknown_municipalities.to_dict(orient="records"),
            "events": self.events.to_dict(orient="records"),
        }


def _first_rows(engine: Engine, view: str, where: str, n: int = 5, count: int | None = None) -> list[tuple[int, str]]:
    rows = engine.rows(f"SELECT _row, _file FROM {view} WHERE {where} ORDER BY _file, _row LIMIT {n}")
    if count is not None and len(rows) < min(n, count) and engine.kind == "duckdb":
        # DuckDB's Parquet reader skips row groups by their statistics under a WHERE, and writers leave NaN out of
        # them, so a NaN rate is counted (aggregates read every row) but not found. The same rows by an aggregate:
        got = engine.one(f"SELECT arg_min(struct_pack(f := _file, r := _row), struct_pack(f := _file, r := _row), "
                         f"{int(n)}) FILTER (WHERE {where}) FROM {view}")[0] or []
        rows = [(x["r"], x["f"]) for x in got]
    return rows


def _problem(src: Source, column: str, rule: str, rows: list[tuple[int, str]], count: int) -> Problem:
    files = sorted({f for _, f in rows})
    file = src.label if len(files) <= 1 and len(src.files) == 1 else ", ".join(files)
    return Problem(file, column, rule, [r for r, _ in rows], n_rows=count)


def rules_of(table: str) -> list[tuple[str, str, str]]:
    """The table's row rules with today's week and month filled in."""
    import datetime as dt

    today = dt.date.today()
    now = {"this_week": calendar.date_week(today), "this_month": calendar.date_month(today)}
    return [(c, rule, bad.format(**now) if "{this_" in bad else bad) for c, rule, bad in ROW_RULES[table]]


def check_rows(engine: Engine, src: Source, spec: TableSpec, wide_pattern: str = "",
               keyed: set[str] | None = None) -> list[Problem]:
    """The row rules' problems; `keyed` receives the table's name when its per-person aggregate was made on the way."""
    view = f"{spec.name}_rows"
    rules = rules_of(spec.name)
    if spec.name == "benefits" and src.layout == "long":
        counts, made = scans.benefit_counts(engine, src, spec, wide_pattern, rules)
        if made and keyed is not None:
            keyed.add(spec.name)
    elif spec.name == "employment":
        counts = scans.employment_counts(engine, src, spec, wide_pattern, rules, SCREENS)
        if keyed is not None:
            keyed.add(spec.name)
    elif spec.name == "persons":  # the key check's and the report's counts come from the same pass
        engine.table("_persons_counts", "SELECT count(*) AS _rows, count(person_id) AS _ids, count(DISTINCT person_id) "
                     "AS _persons, min(birth_date) AS _lo, max(birth_date) AS _hi, " + ", ".join(
                         f"count(*) FILTER (WHERE {bad}) AS _b{i}" for i, (_, _, bad) in enumerate(rules)) + f" FROM {view}")
        counts = engine.one(f"SELECT {', '.join(f'_b{i}' for i in range(len(rules)))} FROM _persons_counts")
    else:
        counts = engine.one("SELECT " + ", ".join(f"count(*) FILTER (WHERE {bad})" for _, _, bad in rules) + f" FROM {view}")
    problems = []
    for (column, rule, bad), count in zip(rules, counts):
        if count:
            shown = {"week": "from_week/to_week" if src.layout == "spells" else ("week columns" if src.layout == "wide" else "week")}
            problems.append(_problem(src, shown.get(column, column), rule, _first_rows(engine, view, bad, count=count), count))
    return problems


def check_key(engine: Engine, src: Source, spec: TableSpec, keyed: bool = False) -> list[Problem]:
    """Duplicate keys; `keyed`: `_per_person_<table>` was made by the row checks (registers/scans.py)."""
    if spec.name not in KEYS:
        return []
    view, keys = f"{spec.name}_rows", KEYS[spec.name]
    if spec.name == "persons":
        n_dup = engine.one("SELECT _ids - _persons FROM _persons_counts")[0]
    else:
        # One aggregate per person: rows against distinct weeks (months), counted with a bit string over the
        # period. Grouping by person alone is several times cheaper than grouping by person and week, and
        # the same table gives the person counts and orphans of the report.
        k = keys[1]
        if not keyed:
            # the long benefit table's weeks and employment's months are already counted: the range costs no scan
            values = ("_values_benefits_staged" if spec.name == "benefits" and src.layout == "long"
                      else "_values_employment" if spec.name == "employment" else view)
            lo, hi = engine.one(f"SELECT min({k}), max({k}) FROM {values}")
            distinct = engine.distinct_count(k, lo, hi) if lo is not None else "0"
            engine.table(
                f"_per_person_{spec.name}",
                f"SELECT person_id, count(*) AS n, {distinct} AS d FROM {view} "
                f"WHERE person_id IS NOT NULL AND {k} IS NOT NULL GROUP BY person_id"
            )
        n_dup = engine.one(f"SELECT count(*) FROM _per_person_{spec.name} WHERE n > d")[0]
    if not n_dup:
        return []
    return [_duplicate_problem(engine, src, spec)]


def _duplicate_problem(engine: Engine, src: Source, spec: TableSpec) -> Problem:
    view, keys = f"{spec.name}_rows", KEYS[spec.name]
    key_list = ", ".join(keys)
    not_null = " AND ".join(f"{k} IS NOT NULL" for k in keys)
    dup = f"SELECT {key_list} FROM {view} WHERE {not_null} GROUP BY {key_list} HAVING count(*) > 1"
    n_dup = engine.one(f"SELECT count(*) FROM ({dup}) d")[0]
    example = engine.one(f"{dup} ORDER BY {key_list} LIMIT 1")
    rows = engine.rows(
        f"SELECT DISTINCT _row, _file FROM {view} SEMI JOIN ({dup} ORDER BY {key_list} LIMIT 3) d USING ({key_list}) "
        f"ORDER BY _file, _row LIMIT 6"
    )
    shown = f"person {example[0]}"
    if spec.name == "benefits":
        shown += f", week {calendar.week_label(example[1])}"
    elif spec.name == "employment":
        shown += f", month {calendar.month_label(example[1])}"
    column = {"persons": "person_id", "benefits": "person_id + week", "employment": "person_id + month"}[spec.name]
    rule = (
        f"each {KEY_WORDS[spec.name]} may appear only once; {n_dup} {'appears' if n_dup == 1 else 'appear'} more "
        f"than once (e.g. {shown})" + ("; overlapping spells" if src.layout == "spells" else "")
    )
    return Problem(src.label, column, rule, [r for r, _ in rows], n_rows=len(rows))


def summarise(engine: Engine, sources: dict[str, Source], catalogue: Catalogue) -> dict:
    """Counts for the report; run only on data that passed the row rules."""
    out: dict = {"tables": {}}
    for name, src in sources.items():
        view = f"{name}_rows"
        if name == "benefits":
            values = "_values_benefits_staged WHERE _by_week" if src.layout == "long" else view
            weight = "_n" if src.layout == "long" else "1"
            rows, lo, hi = engine.one(f"SELECT sum({weight}), min(wk), max(wk) FROM {values}")
            rows = int(rows or 0)
            persons = engine.one("SELECT count(*) FROM _per_person_benefits")[0]
            lo, hi = (calendar.week_label(lo), calendar.week_label(hi)) if rows else (None, None)
        elif name == "employment":
            rows, lo, hi = engine.one("SELECT sum(_n), min(mo), max(mo) FROM _values_employment")
            rows = int(rows or 0)
            persons = engine.one("SELECT count(*) FROM _per_person_employment")[0]
            lo, hi = (calendar.month_label(lo), calendar.month_label(hi)) if rows else (None, None)
        elif name == "events":
            rows, persons, lo, hi = engine.one(f"SELECT count(*), count(DISTINCT person_id), min(date), max(date) FROM {view}")
            lo, hi = (str(lo), str(hi)) if rows else (None, None)
        else:
            rows, persons, lo, hi = engine.one("SELECT _rows, _persons, _lo, _hi FROM _persons_counts")
            lo, hi = (str(lo), str(hi)) if rows else (None, None)
        out["tables"][name] = TableSummary(name, src.label, src.layout, rows, persons, lo, hi)

    if "benefits" in sources:
        long = sources["benefits"].layout == "long"
        values, weight = ("_values_benefits_staged WHERE NOT _by_week", "sum(_n)") if long else ("benefits_rows", "count(*)")
        codes = engine.frame(f"SELECT code, CAST({weight} AS BIGINT) AS weeks FROM {values} GROUP BY code ORDER BY code")
        cat = catalogue.table[["code", "label", "state"]]
        codes = codes.merge(cat, on="code", how="left")
        codes["known"] = codes["state"].notna()
        out["codes"] = codes[["code", "label", "state", "weeks", "known"]]
        unknown = codes.loc[~codes["known"], ["code", "weeks"]]
        if len(unknown):
            engine.put("_unknown_codes", unknown[["code"]])
            persons = engine.frame(
                "SELECT code, count(DISTINCT person_id) AS persons FROM benefits_rows "
                "SEMI JOIN _unknown_codes USING (code) GROUP BY code"
            )
            engine.drop("_unknown_codes")
            unknown = unknown.merge(persons, on="code", how="left")
        else:
            unknown = pd.DataFrame(columns=["code", "weeks", "persons"])
        out["unknown_codes"] = unknown.reset_index(drop=True)

    out["orphans"] = {}
    for name in ("benefits", "employment", "events"):
        if name in sources:
            per_person = f"_per_person_{name}" if name != "events" else (
                "(SELECT person_id, count(*) AS n FROM events_rows WHERE person_id IS NOT NULL GROUP BY person_id)")
            persons, rows = engine.one(
                f"SELECT count(*), coalesce(sum(n), 0) FROM {per_person} o "
                f"WHERE NOT EXISTS (SELECT 1 FROM persons_rows p WHERE p.person_id = o.person_id)"
            )
            out["orphans"][name] = {"persons": int(persons), "rows": int(rows)}

    known = _known_municipalities()
    if known is not None:
        engine.put("_known_mun", known)
        out["unknown_municipalities"] = engine.frame(
            "SELECT municipality, count(*) AS persons FROM persons_rows ANTI JOIN _known_mun USING (municipality) "
            "GROUP BY municipality ORDER BY municipality"
        )
        engine.drop("_known_mun")
    if "events" in sources:
        out["events"] = engine.frame(
            "SELECT event, count(*) AS rows, count(DISTINCT person_id) AS persons FROM events_rows "
            "GROUP BY event ORDER BY rows DESC, event"
        )
    return out


def _known_municipalities() -> pd.DataFrame | None:
    path = resources.files("virkning.registers").joinpath("municipalities.csv")
    if not path.is_file():
        return None
    t = pd.read_csv(str(path), dtype=str)
    return t[["code"]].rename(columns={"code": "municipality"})


def missing_columns(src: Source, spec: TableSpec, wide_pattern: str) -> list[Problem]:
    if spec.name == "benefits":
        if src.layout == "unknown":
            return [Problem(src.label, None,
                            "benefits need columns person_id, week, code (long), or person_id, code, from_week, "
                            f"to_week (spells), or person_id plus weekly columns named like '{wide_pattern}' (wide); "
                            f"found {', '.join(name for name, _ in src.columns.values())}{RENAME_HINT}")]
        if src.layout == "wide":
            return near_wide(src, wide_pattern)
        return []
    missing = [c for c in spec.required if c not in src.columns]
    if missing:
        return [Problem(src.label, ", ".join(missing), f"required column(s) missing; found "
                        f"{', '.join(name for name, _ in src.columns.values())}{RENAME_HINT}")]
    return []


# Registers under their own names (PNR, UGE) are read under the contract's through renames (registers/formats.py).
RENAME_HINT = ("; columns under other names are renamed in the design's data: columns (e.g. {PNR: person_id}) or "
               "with --column PNR=person_id")


def create_staging(engine: Engine, sources: dict[str, Source], wide_pattern: str) -> None:
    for name, src in sources.items():
        engine.view(f"{name}_rows", staging_sql(src, TABLES[name], wide_pattern))


def stray_tail(counts: list[tuple[int, int]], gap: int, share: float = TAIL_SHARE) -> int | None:
    """The last period of a table's bulk when rows after it are strays (after a gap of `gap` empty periods and at
    most `share` of all rows), else None. `counts`: (period, rows) in ascending order."""
    total = sum(n for _, n in counts)
    after = total
    for (p0, n0), (p1, _) in zip(counts, counts[1:]):
        after -= n0  # rows after p0
        if p1 - p0 > gap and after <= share * total:
            return p0  # the earliest such gap: every stray beyond it is reported
    return None


def check_tail(engine: Engine, src: Source, table: str) -> list[Problem]:
    """Rows far after the end of the bulk of a table (e.g. a week typed as 2025 in data that end in 2019)."""
    label: Callable[[int], str]
    if table == "benefits":
        long = src.layout == "long"
        values, weight = ("_values_benefits_staged", "sum(_n)") if long else ("benefits_rows", "count(*)")
        # (the long table's code counts have no week)
        counts = engine.rows(f"SELECT wk, CAST({weight} AS BIGINT) FROM {values} WHERE wk IS NOT NULL GROUP BY wk ORDER BY wk")
        cut, col, label, gap = stray_tail(counts, TAIL_GAP_WEEKS), "wk", calendar.week_label, f"{TAIL_GAP_WEEKS} weeks"
        shown = "week"
    elif table == "employment":
        counts = engine.rows("SELECT mo, CAST(_n AS BIGINT) FROM _values_employment WHERE mo IS NOT NULL ORDER BY mo")
        cut, col, label, gap = stray_tail(counts, TAIL_GAP_MONTHS), "mo", calendar.month_label, f"{TAIL_GAP_MONTHS} months"
        shown = "month"
    else:
        return []
    if cut is None:
        return []
    view = f"{table}_rows"
    n = engine.one(f"SELECT count(*) FROM {view} WHERE {col} > {int(cut)}")[0]
    rule = (f"lies after the end of the data ({label(cut)}): the table's rows stop there and only {n} row(s) follow "
            f"after more than {gap} without any; correct the date, or remove the row(s)")
    return [_problem(src, shown, rule, _first_rows(engine, view, f"{col} > {int(cut)}"), n)]


def summary_problems(engine: Engine, summary: dict, sources: dict[str, Source]) -> list[Problem]:
    """What only the whole folder shows: a register none of whose persons is in `persons`."""
    problems = []
    for name, o in summary.get("orphans", {}).items():
        rows = summary["tables"][name].rows
        if rows and o["rows"] == rows:
            trimmed = engine.one(f"SELECT count(*) FROM (SELECT DISTINCT person_id FROM {name}_rows LIMIT 1000) o "
                                 "WHERE EXISTS (SELECT 1 FROM persons_rows p WHERE trim(p.person_id) = trim(o.person_id))")[0]
            hint = ("; the ids differ only by spaces: remove the padding" if trimmed else
                    "; are the ids written the same way in both files (leading zeros, a prefix, another key)?")
            problems.append(Problem(sources[name].label, "person_id", f"none of the {o['persons']:,} persons in this "
                                    f"table is in persons{hint}"))
    return problems


# The tables the checks make on the way (registers/scans.py and above); none is read once the report is made.
SCRATCH = ("_values_benefits", "_months_employment", "_values_employment", "_per_person_all", "_persons_counts",
           *(f"_per_person_{name}" for name in TABLES))


def drop_scratch(engine: Engine) -> None:
    """Drop the checks' working tables: at national scale the per-person ones hold a row per person."""
    for name in SCRATCH:
        engine.drop(name)


def run_checks(engine: Engine, sources: dict[str, Source], wide_pattern: str = "") -> list[Problem]:
    problems: list[Problem] = []
    broken: set[str] = set()
    keyed: set[str] = set()  # tables whose per-person aggregate the row checks made
    for name, src in sources.items():
        try:
            found = check_rows(engine, src, TABLES[name], wide_pattern, keyed)
            problems += found or check_tail(engine, src, name)
        except (duckdb.Error, ReadError) as exc:  # a damaged file shows only when it is read through
            problems.append(read_problem(src.label, src.kind, exc))
            broken.add(name)
    # Keys are checked only where values parsed, so one bad week is not also reported as a duplicate.
    for name, src in sources.items():
        if name not in broken:
            problems += check_key(engine, src, TABLES[name], name in keyed)
    return problems

# ---- optional tables analyses read by name (contract.EXTRA_TABLES) ---------------------------------------------

def _rule_sql(rule, column: str) -> str:
    """SQL that is true for a row of the staging view breaking a declared rule (contract.ColumnRule)."""
    c, has = quote(column), quote("_has_" + column)
    if rule.check == "present":
        return f"NOT {has}"
    if rule.check in ("date", "date_or_empty"):
        return f"{has} AND {c} IS NULL"
    if rule.check == "one_of":
        return f"{c} IS NOT NULL AND {c} NOT IN {in_list(rule.values)}"
    if rule.check == "flag":
        t = quote("_t_" + column)
        return f"{t} IS NOT NULL AND {c} IS NULL"  # a value that is not 0 or 1 (1.0 and 0.0 are)
    if rule.check == "number":
        return f"{has} AND ({c} IS NULL OR {c} < 0)"
    raise ValueError(f"unknown rule check {rule.check!r}")


def check_extra(engine: Engine, src: Source, spec: TableSpec) -> list[Problem]:
    """The declared rules of an optional table, in one scan (unique keys in one more): each broken rule is a
    Problem naming the file, the column, the first rows and the rule."""
    from virkning.registers.readers import flag_columns

    view = f"{spec.name}_rows"
    checks: list[tuple[str, str, str]] = []  # (column, rule text, SQL)
    for rule in spec.rules:
        if rule.check == "unique":
            continue
        columns = flag_columns(src, spec) if rule.column == "*" else [rule.column]
        for col in columns:
            if col in src.columns:  # a required column the file lacks is reported by missing_columns
                checks.append((col, rule.rule, _rule_sql(rule, col)))
    problems = []
    if checks:
        counts = engine.one("SELECT " + ", ".join(f"count(*) FILTER (WHERE {bad})" for _, _, bad in checks)
                            + f" FROM {view}")
        for (col, rule_text, bad), n in zip(checks, counts):
            if n:
                shown = src.name(col) if col in src.columns else col
                problems.append(_problem(src, shown, rule_text, _first_rows(engine, view, bad, count=n), n))
    for rule in spec.rules:
        if rule.check != "unique" or rule.column not in src.columns:
            continue
        c = quote(rule.column)
        dup = f"SELECT {c} FROM {view} WHERE {c} IS NOT NULL GROUP BY {c} HAVING count(*) > 1"
        n = engine.one(f"SELECT count(*) FROM ({dup}) d")[0]
        if n:
            rows = engine.rows(f"SELECT _row, _file FROM {view} WHERE {c} IN ({dup}) ORDER BY _file, _row LIMIT 5")
            example = engine.one(f"{dup} ORDER BY {c} LIMIT 1")[0]
            problems.append(_problem(src, src.name(rule.column), f"{rule.rule}; {n} value(s) repeat (e.g. "
                                     f"{example})", rows, len(rows)))
    return problems


def summarise_extra(engine: Engine, sources: dict[str, Source], orphans: dict) -> dict[str, TableSummary]:
    """Rows and persons of the optional tables; persons missing from `persons` are added to `orphans`."""
    out = {}
    for name, src in sources.items():
        view = f"{name}_rows"
        if "person_id" in src.columns:
            rows, persons = engine.one(f"SELECT count(*), count(DISTINCT person_id) FROM {view}")
            n, r = engine.one(f"SELECT count(DISTINCT person_id), count(*) FROM {view} o WHERE NOT EXISTS "
                              f"(SELECT 1 FROM persons_rows p WHERE p.person_id = o.person_id)")
            orphans[name] = {"persons": int(n), "rows": int(r)}
        else:
            rows, persons = engine.one(f"SELECT count(*) FROM {view}")[0], 0
        lo = hi = None
        if name == "records":
            lo, hi = engine.one(f"SELECT min(start_date), max(start_date) FROM {view}")
            lo, hi = (str(lo)[:7], str(hi)[:7]) if rows and lo is not None else (None, None)  # months, not dates
        out[name] = TableSummary(name, src.label, "-", int(rows), int(persons), lo, hi)
    return out

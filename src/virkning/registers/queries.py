"""Every SELECT the panel, the populations and the analyses send to the registers, in one portable subset.

The statements read the contract's views (`persons`, `benefits`, `employment`, `events`), the `catalogue` table, the
calendar lookups (`_weeks`) and the panel store's own tables, whose names the store passes in (`Names`). They use
no macros, no ASOF joins, no order-dependent list aggregates and no engine-only date functions: weeks and months
are integer ordinals (registers/calendar.py), so windows are integer ranges, and calendar conversions are joins with
lookup tables. The register indicators' statements are in indicator_queries.py, by the same rules.
tests/registers/test_portable_sql.py parses every statement of a whole run and transpiles it to Spark.

Callers never paste names from files here: columns of `persons` beyond the contract are quoted (`quote`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from virkning.registers.catalogue import DETAIL_COLUMNS, GROUPS, STATES
from virkning.registers.engine import in_list, quote

# Month status: a retirement state wins in this order (docs/panel.md).
RETIREMENT_ORDER = ("død", "udvandret", "folkepension", "førtidspension", "efterløn", "fleksydelse")


@dataclass(frozen=True)
class Names:
    """Table names of one panel store (a prefix per store, so two stores never share a temporary table)."""

    prefix: str

    def __getattr__(self, item: str) -> str:  # names.pairs -> "<prefix>pairs"
        if item.startswith("__"):
            raise AttributeError(item)
        return f"{self.prefix}{item}"


def state_predicate(state: str, alias: str = "c") -> str:
    """SQL predicate over the catalogue columns (`alias.state`, flags) for a state or group of the catalogue."""
    if state in GROUPS:
        columns = "|".join(("state", "activation", "benefit", "retirement", *DETAIL_COLUMNS))
        return re.sub(rf"\b({columns})\b(?!')", rf"{alias}.\1", GROUPS[state])
    if state not in STATES:
        raise ValueError(f"'{state}' is not a state or group of the catalogue")
    return f"{alias}.state = '{state}'"


# ---- persons and their rows ------------------------------------------------------------------------------------

# Person keys are ranks in person_id order (ids are unique: validated). The key map stays in the engine, so a run
# holds no Python string per person (5 million of them and their index cost about 0.8 GB).
PERSON_KEY = "CAST(row_number() OVER (ORDER BY person_id) - 1 AS INTEGER)"  # over `persons`: the person's key
PERSON_KEYS = f"SELECT person_id, {PERSON_KEY} AS pk FROM persons"


def keys_of(n: Names) -> str:
    """pk of the ids in `{n.lookup}` (i, person_id); ids not in persons are left out."""
    return f"SELECT l.i, m.pk FROM {n.lookup} l JOIN {n.pkmap} m ON m.person_id = l.person_id"


def ids_of(n: Names) -> str:
    """pk and person_id of the keys in `{n.lookup}` (pk, distinct), in key order."""
    return f"SELECT m.pk, m.person_id FROM {n.pkmap} m JOIN {n.lookup} l ON l.pk = m.pk ORDER BY m.pk"


PERSON_COLUMNS = "SELECT * FROM persons LIMIT 0"


def copy_persons(n: Names, columns: list[str]) -> str:
    """The persons table's rows of the new persons, keyed by `pk` (columns in the store table's order)."""
    cols = ", ".join(f"x.{quote(c)}" for c in columns)
    return f"SELECT n.pk, {cols} FROM persons x JOIN {n.new} n ON n.person_id = x.person_id"


def register_rows(table: str, rows: str, persons: str, codes: str = "", where: str = "") -> str:
    """The store's copy of `table`'s rows (relation `rows`, alias x, the view's columns) for the persons in
    `persons` (pk, person_id), in the store table's column order; a benefit code as its number in `codes` (cn,
    code: every code of the folder). `where`: a condition on x's rows (`copied_range`)."""
    cond = f" WHERE {where}" if where else ""
    if table == "benefits":
        return (f"SELECT n.pk, x.wk, k.cn FROM {rows} JOIN {persons} n ON n.person_id = x.person_id "
                f"JOIN {codes} k ON k.code = x.code{cond}")
    return (f"SELECT n.pk, x.mo, x.employment_rate, coalesce(x.temp_agency, false) AS temp_agency FROM {rows} "
            f"JOIN {persons} n ON n.person_id = x.person_id{cond}")


def copied_range(column: str, since: float, until: float) -> str:
    """The condition on x.`column` (wk or mo) for the rows a store copies when its floor falls from `until` to
    `since` (Store.include): those from `since` on that it did not hold from `until` on. -inf as `since` is every
    row (a row without a week or month too); +inf as `until` subtracts nothing. "" is no condition."""
    parts = []
    if since != -math.inf:
        parts.append(f"x.{column} >= {int(since)}")
    if until != math.inf:
        parts.append(f"(x.{column} IS NULL OR x.{column} < {int(until)})")
    return " AND ".join(parts)


def numbered_catalogue(n: Names) -> str:
    """The catalogue's rows of the folder's codes with their numbers (`{n.codes}`: cn, code)."""
    return f"SELECT k.cn, c.* FROM {n.codes} k JOIN catalogue c ON c.code = k.code"


def numbered_atoms(n: Names) -> str:
    """`{n.atoms_in}` (code, bits) with the codes' numbers (NULL for a code the folder does not hold)."""
    return f"SELECT a.code, k.cn, a.bits FROM {n.atoms_in} a LEFT JOIN {n.codes} k ON k.code = a.code"


def keyed_rows(table: str, persons: str, span: tuple[int, int] | None = None, rows: str = "") -> str:
    """The store's copy of a register's rows from its keyed copy (registers/keyed.py; the store's columns) for
    the persons in `persons` (pk), whose keys lie in `span` (least, greatest) when given; `rows`: a condition on
    the rows (`copied_range`)."""
    where = f"x.pk IN (SELECT pk FROM {persons})"
    if span is not None:
        where = f"x.pk BETWEEN {int(span[0])} AND {int(span[1])} AND {where}"
    if rows:
        where = f"{where} AND {rows}"
    if table == "benefits":
        return f"SELECT x.pk, x.wk, x.c AS cn FROM keyed_benefits x WHERE {where}"
    return f"SELECT x.* FROM keyed_employment x WHERE {where}"


# birth_date and municipality of everyone, in person-key order: keys are ranks in PERSON_KEYS's order and person ids
# are unique (validated), so the same ORDER BY gives key order without a join with the key map. Municipalities come
# as their rank in PERSON_MUNICIPALITIES (-1: none), so Python holds each name once, not once per person.
PERSON_MUNICIPALITIES = "SELECT DISTINCT municipality FROM persons WHERE municipality IS NOT NULL ORDER BY municipality"
PERSONS_BY_KEY = (f"SELECT p.birth_date, coalesce(m.i, -1) AS municipality FROM persons p LEFT JOIN (SELECT "
                  f"municipality, CAST(row_number() OVER (ORDER BY municipality) - 1 AS INTEGER) AS i FROM "
                  f"({PERSON_MUNICIPALITIES})) m ON m.municipality = p.municipality ORDER BY p.person_id")


END_OF_DATA = "SELECT (SELECT max(wk) FROM benefits) AS wk, (SELECT max(mo) FROM employment) AS mo"


# ---- covariates at an index ------------------------------------------------------------------------------------

def pair_order(n: Names) -> str:
    return f"SELECT _pair FROM {n.pairs} ORDER BY _pair"


def text_levels(column: str) -> str:
    """The distinct values `v` of a column of persons, each with a code `c` (its rank among them)."""
    return (f"SELECT v, CAST(row_number() OVER (ORDER BY v) - 1 AS INTEGER) AS c FROM "
            f"(SELECT DISTINCT {quote(column)} AS v FROM persons WHERE {quote(column)} IS NOT NULL)")


def coded_persons(levels: dict[str, str]) -> str:
    """Text columns of persons for everyone as their values' codes in the tables of `levels` (column -> a table of
    `text_levels`; -1: missing), row i for person key i (as PERSON_KEY ranks them): four bytes a person come back
    instead of a string."""
    joins = "".join(f" LEFT JOIN {table} d{i} ON d{i}.v = p.{quote(c)}" for i, (c, table) in enumerate(levels.items()))
    codes = ", ".join(f"coalesce(d{i}.c, -1) AS {quote(c)}" for i, c in enumerate(levels))
    return f"SELECT {codes} FROM persons p{joins} ORDER BY p.person_id"


def static_columns(n: Names, columns: list[str]) -> str:
    """Columns of the persons table for each pair (birth_date for age, computed in Python)."""
    cols = ", ".join(f"x.{quote(c)}" for c in columns)
    return f"SELECT p._pair, {cols} FROM {n.pairs} p LEFT JOIN {n.px} x ON x.pk = p.pk"


def windowed(n: Names, aggregates: list[str], *, table: str, col: str, index: str, lo: int, hi: int,
             join: str = "") -> str:
    """One aggregate per covariate over the rows of `table` between index - lo and index + hi."""
    return (f"SELECT p._pair, {', '.join(aggregates)} FROM {n.pairs} p "
            f"JOIN {table} x ON x.pk = p.pk AND x.{col} >= p.{index} - {int(lo)} AND x.{col} <= p.{index} + {int(hi)} "
            f"{join} GROUP BY p._pair")


def weekly_aggregate(name: str, window: str, state: str | None) -> str:
    pred = f" AND {state_predicate(state)}" if state else ""
    return f"count(*) FILTER (WHERE {window}{pred}) AS {quote(name)}"


def exact_sum(expr: str, where: str | None = None) -> str:
    """A sum of employment rates that does not depend on the order of the rows: floating-point addition is not
    associative, so a plain sum over a parallel join differs in the last bits from run to run (and between
    engines), which breaks ties between equal histories. Rates are summed as decimals with 9 places."""
    filtered = f" FILTER (WHERE {where})" if where else ""
    return f"CAST(sum(CAST({expr} AS DECIMAL(18, 9))){filtered} AS DOUBLE)"


def monthly_aggregate(name: str, window: str) -> str:
    return f"{exact_sum('x.employment_rate', window)} AS {quote(name)}"


def spell(n: Names, name: str, state: str) -> str:
    """Weeks since the start of the run of consecutive weeks in `state` that contains the index week.

    Runs are "islands": week minus its rank is constant within a run. A run that starts at the first week of data is
    left-censored there."""
    return (
        f"WITH w AS (SELECT b.pk, b.wk FROM {n.pb} b JOIN {n.cat} c ON c.cn = b.cn "
        f"WHERE {state_predicate(state)} AND b.pk IN (SELECT pk FROM {n.pairs})), "
        f"runs AS (SELECT pk, min(wk) AS first_wk, max(wk) AS last_wk FROM ("
        f"SELECT pk, wk, wk - row_number() OVER (PARTITION BY pk ORDER BY wk) AS g FROM w) r GROUP BY pk, g) "
        f"SELECT p._pair, CAST(p.iwk - r.first_wk + 1 AS INTEGER) AS {quote(name)} "
        f"FROM {n.pairs} p JOIN runs r ON r.pk = p.pk AND p.iwk BETWEEN r.first_wk AND r.last_wk"
    )


# ---- person-months after an index ------------------------------------------------------------------------------

def months(n: Names, first: int, last: int, end: int) -> str:
    """Person-month rows for months index+first .. index+last of each pair (docs/panel.md has the rules).

    `{n.offsets}` holds the month offsets first..last; the pairs table carries `wlo`/`whi`, a week range that holds
    every week of those months (weeks are placed in months by the `_weeks` lookup)."""
    flags = ", ".join(f"max(CASE WHEN state = '{s}' THEN 1 ELSE 0 END) AS {quote('s_' + s)}" for s in STATES)
    order_case = " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(STATES))
    retire_case = " ".join(f"WHEN {quote('s_' + s)} = 1 THEN '{s}'" for s in RETIREMENT_ORDER)
    state_cols = ", ".join(f"CAST(coalesce(f.{quote('s_' + s)}, 0) AS TINYINT) AS {quote(s)}" for s in STATES)
    return f"""
        WITH grid AS (
            SELECT p._pair, p.pk, o.m AS month, p.imo + o.m AS mo FROM {n.pairs} p CROSS JOIN {n.offsets} o),
        wk AS (
            SELECT p._pair, w._w_mo - p.imo AS month, c.state, c.benefit, c.retirement
            FROM {n.pairs} p
            JOIN {n.pb} b ON b.pk = p.pk AND b.wk BETWEEN p.wlo AND p.whi
            JOIN _weeks w ON w._w_wk = b.wk
            LEFT JOIN {n.cat} c ON c.cn = b.cn),
        per_state AS (
            SELECT _pair, month, state, count(*) AS n FROM wk WHERE month BETWEEN {first} AND {last}
            GROUP BY _pair, month, state),
        modal AS (
            SELECT _pair, month, arg_min(state, -n * 100 + CASE state {order_case} ELSE 99 END) AS modal_state
            FROM per_state WHERE state IS NOT NULL GROUP BY _pair, month),
        flags AS (
            SELECT _pair, month, count(*) AS coded_weeks, sum(benefit) AS benefit_weeks, max(retirement) AS s_retire,
                   max(CASE WHEN state IS NULL THEN 1 ELSE 0 END) AS s_unknown, {flags}
            FROM wk WHERE month BETWEEN {first} AND {last} GROUP BY _pair, month),
        emp AS (
            SELECT p._pair, e.mo - p.imo AS month, {exact_sum("e.employment_rate")} AS employment_rate,
                   {exact_sum("CASE WHEN e.temp_agency THEN e.employment_rate ELSE 0 END")} AS temp_rate
            FROM {n.pairs} p JOIN {n.pe} e ON e.pk = p.pk AND e.mo BETWEEN p.imo + {first} AND p.imo + {last}
            GROUP BY p._pair, e.mo - p.imo)
        SELECT g._pair, g.pk, CAST(g.month AS INTEGER) AS month, CAST(g.mo AS INTEGER) AS mo,
            CASE {retire_case}
                 WHEN coalesce(emp.temp_rate, 0) > 0 THEN 'vikar'
                 WHEN coalesce(emp.employment_rate, 0) > 0 THEN 'beskæftiget'
                 WHEN modal.modal_state IS NOT NULL THEN modal.modal_state
                 WHEN coalesce(f.coded_weeks, 0) > 0 THEN 'ukendt'
                 ELSE 'selvforsørgende' END AS status,
            coalesce(emp.employment_rate, 0.0) AS employment_rate,
            coalesce(emp.temp_rate, 0.0) AS temp_rate,
            CAST(coalesce(f.benefit_weeks, 0) AS INTEGER) AS benefit_weeks,
            g.mo <= {int(end)} AS observed,
            {state_cols},
            CAST(coalesce(f.s_retire, 0) AS TINYINT) AS tilbagetrukket,
            CAST(coalesce(emp.employment_rate, 0) > 0 AS TINYINT) AS "beskæftiget",
            CAST(coalesce(emp.temp_rate, 0) > 0 AS TINYINT) AS vikar,
            CAST(coalesce(f.coded_weeks, 0) = 0 AND coalesce(emp.employment_rate, 0) = 0 AS TINYINT) AS "selvforsørgende",
            CAST(coalesce(f.benefit_weeks, 0) > 0 AS TINYINT) AS ydelse
        FROM grid g
        LEFT JOIN flags f ON f._pair = g._pair AND f.month = g.month
        LEFT JOIN modal ON modal._pair = g._pair AND modal.month = g.month
        LEFT JOIN emp ON emp._pair = g._pair AND emp.month = g.month
        ORDER BY g._pair, g.month"""


# ---- populations -----------------------------------------------------------------------------------------------

def participant_events(units: int, start: bool, end: bool) -> str:
    """First event per person in a window (parameters: event, [start], [end], units..., event): person, index date,
    the unit of the first event, and whether the person is in `persons`."""
    where = ["event = ?"]
    if start:
        where.append("date >= ?")
    if end:
        where.append("date <= ?")
    if units:
        where.append("unit IN (" + ", ".join("?" for _ in range(units)) + ")")
    # The unit is that of the first event with a unit (the smallest unit if several fall on that day), spelt out
    # rather than arg_min, which skips missing values on DuckDB but not on Spark and breaks ties either way; `found`
    # by a join, not EXISTS inside the aggregate, which Spark allows only in filters and joins; with the persons who
    # have the event only (a set of every person costs 0.3 GB at 5 million).
    return (f"SELECT e.person_id, min(e.date) AS index_date, min(CASE WHEN e.date = e._unit_date THEN e.unit END) AS unit, "
            f"bool_or(x.person_id IS NOT NULL) AS found "
            f"FROM (SELECT person_id, date, unit, min(CASE WHEN unit IS NOT NULL THEN date END) "
            f"OVER (PARTITION BY person_id) AS _unit_date FROM events WHERE {' AND '.join(where)}) e "
            f"LEFT JOIN (SELECT DISTINCT person_id FROM persons WHERE person_id IN (SELECT person_id FROM events "
            f"WHERE event = ?)) x ON x.person_id = e.person_id "
            f"GROUP BY e.person_id ORDER BY e.person_id")


COUNT_EVENT = "SELECT count(*) FROM events WHERE event = ?"
SOME_EVENTS = "SELECT DISTINCT event FROM events ORDER BY event LIMIT 10"
COUNT_PERSONS = "SELECT count(*) FROM persons"


def codes_of(state: str) -> str:
    return f"SELECT code FROM catalogue c WHERE {state_predicate(state)} ORDER BY code"


# Weeks per bit mask of `state_masks`: bit 59 at most, inside a signed 64-bit integer on every engine.
MASK_WEEKS = 60


def state_masks(n: Names, sets: list[list], lo: int, hi: int, keyed: bool) -> str:
    """Per person and block of MASK_WEEKS weeks from week `lo`, one bit mask per code set of `sets` (bit i: the
    person has a code of the set in week lo + block * MASK_WEEKS + i), over the weeks lo..hi. `keyed`: the keyed
    copy (integer keys and codes; registers/keyed.py), else the text-keyed benefits with the key map joined to the
    result. One scan, grouped by person and block: a risk set's index weeks and offsets are then read off the
    masks (panel/risksets.py) instead of joining each row to every (index week, offset) slot it falls in and
    grouping by person and index week, which cost twice as much at 5,000,000 persons."""
    person, code, table = ("pk", "c", "keyed_benefits") if keyed else ("person_id", "code", "benefits")

    def listed(values) -> str:  # the keyed copy's codes are integers, the registers' text
        return "(" + ", ".join(str(int(c)) for c in values) + ")" if keyed else in_list(values)

    bit = f"CAST(1 AS BIGINT) << CAST((wk - {int(lo)}) % {MASK_WEEKS} AS INTEGER)"
    masks = ", ".join(f"bit_or(CASE WHEN {code} IN {listed(s)} THEN {bit} ELSE CAST(0 AS BIGINT) END) AS m{i}"
                      for i, s in enumerate(sets))
    every = sorted(set().union(*map(set, sets)))
    grouped = (f"SELECT {person}, CAST((wk - {int(lo)}) // {MASK_WEEKS} AS INTEGER) AS blk, {masks} FROM {table} "
               f"WHERE {code} IN {listed(every)} AND wk BETWEEN {int(lo)} AND {int(hi)} GROUP BY {person}, blk")
    if keyed:
        return grouped
    cols = ", ".join(f"q.m{i}" for i in range(len(sets)))
    return f"SELECT m.pk, q.blk, {cols} FROM ({grouped}) q JOIN {n.pkmap} m ON m.person_id = q.person_id"


# ---- monitoring ------------------------------------------------------------------------------------------------

def employment_of(n: Names, lo: int, hi: int) -> str:
    """Employment rows of the persons in `{n.ids}` (person_id) in months lo..hi."""
    return (f"SELECT e.person_id, e.mo, e.employment_rate, e.hours, e.industry, e.temp_agency FROM employment e "
            f"WHERE e.person_id IN (SELECT person_id FROM {n.ids}) AND e.mo BETWEEN {int(lo)} AND {int(hi)} "
            f"ORDER BY e.person_id, e.mo")


# ---- job rotation (analyses/jobrotation) -----------------------------------------------------------------------

def benefit_weeks_of(n: Names, codes: list[str], lo: int, hi: int) -> str:
    """Benefit weeks (person_id, wk, code) with one of `codes` of the persons in `{n.ids}` in weeks lo..hi."""
    return (f"SELECT b.person_id, b.wk, b.code FROM benefits b "
            f"WHERE b.person_id IN (SELECT person_id FROM {n.ids}) AND b.code IN {in_list(sorted(codes))} "
            f"AND b.wk BETWEEN {int(lo)} AND {int(hi)} ORDER BY b.person_id, b.wk")
# ---- optional tables and month flags (analyses/trajectories) ----------------------------------------------------

RECORDS = 'SELECT person_id, unit, "group", start_date, end_date, _file, _row FROM records ORDER BY _file, _row'
INHABITANTS = "SELECT unit, inhabitants FROM inhabitants ORDER BY unit"


def person_flags(columns: list[str]) -> str:
    """The person_flags table: person_id and the named flag columns (0, 1 or NULL)."""
    return f"SELECT person_id, {', '.join(quote(c) for c in columns)} FROM person_flags ORDER BY person_id"


def month_code_flags(n: Names, first: int, last: int, lo: int, hi: int, direct: bool = False) -> str:
    """Per pair and month index+first .. index+last with a coded week: the bitwise or of the week codes' atom bits
    (`{n.atoms}`: code -> bits, one bit per state or group asked for; a code in none has no row, giving 0).
    Months without a code have no row. Weeks are placed in months by their Thursday (`_weeks`); `lo`/`hi` bound
    every pair's weeks. `direct`: from the `benefits` view joined on person_id (`{n.dpairs}`), not the copied rows."""
    rows = (f"{n.dpairs} p JOIN benefits b ON b.person_id = p.person_id" if direct
            else f"{n.pairs} p JOIN {n.pb} b ON b.pk = p.pk")
    return (f"SELECT p._pair, CAST(w._w_mo - p.imo AS INTEGER) AS month, coalesce(bit_or(a.bits), 0) AS bits "
            f"FROM {rows} AND b.wk BETWEEN p.wlo AND p.whi "
            f"JOIN _weeks w ON w._w_wk = b.wk LEFT JOIN {n.atoms} a ON {'a.code = b.code' if direct else 'a.cn = b.cn'} "
            f"WHERE b.wk BETWEEN {int(lo)} AND {int(hi)} AND w._w_mo - p.imo BETWEEN {int(first)} AND {int(last)} "
            f"GROUP BY p._pair, w._w_mo - p.imo")


def month_employment(n: Names, first: int, last: int, direct: bool = False) -> str:
    """Per pair and month index+first .. index+last with employment: the employment rate and the rate at temp
    agencies (exact sums); `direct` as in `month_code_flags`."""
    rows = (f"{n.dpairs} p JOIN employment e ON e.person_id = p.person_id" if direct
            else f"{n.pairs} p JOIN {n.pe} e ON e.pk = p.pk")
    return (f"SELECT p._pair, CAST(e.mo - p.imo AS INTEGER) AS month, {exact_sum('e.employment_rate')} AS rate, "
            f"{exact_sum('CASE WHEN e.temp_agency THEN e.employment_rate ELSE 0 END')} AS temp_rate "
            f"FROM {rows} AND e.mo BETWEEN p.imo + {int(first)} AND p.imo + {int(last)} GROUP BY p._pair, e.mo - p.imo")


def runs_at_least(n: Names, state: str, lengths: list[int], lo: int, hi: int) -> str:
    """Per pair with a week in `state` in weeks index-max(lengths)+1 .. index: for each length L, 1 if the pair's
    index week ends an unbroken run of at least L weeks in the state (the L weeks up to it are all in it; a
    person has one code a week, so that is a count). `lo`/`hi` bound every pair's weeks (a filter the scan can use)."""
    top = max(lengths)
    flags = ", ".join(f"CAST(count(*) FILTER (WHERE p.iwk - b.wk < {int(L)}) = {int(L)} AS TINYINT) AS r{i}"
                      for i, L in enumerate(lengths))
    return (f"SELECT p._pair, {flags} FROM {n.pairs} p JOIN {n.pb} b ON b.pk = p.pk "
            f"AND b.wk BETWEEN p.iwk - {int(top) - 1} AND p.iwk JOIN {n.cat} c ON c.cn = b.cn "
            f"WHERE b.wk BETWEEN {int(lo)} AND {int(hi)} AND {state_predicate(state)} GROUP BY p._pair")


# ---- benchmarking (analyses/benchmark) --------------------------------------------------------------------------

# the persons of the data per municipality: the default denominator of a benchmark rate when no labour force is given
PERSONS_PER_MUNICIPALITY = ("SELECT municipality, count(*) AS n FROM persons WHERE municipality IS NOT NULL "
                            "GROUP BY municipality ORDER BY municipality")

"""The register panel: person-month status, covariates at an index week and outcomes after it.

All SQL of the package lives here and in `registers/`; callers pass (person, index week) pairs as a data frame
and get data frames back. Many pairs are computed in one query, so a risk set of a million pairs costs one scan
of the benefit table, not a million look-ups.

Definitions (docs/panel.md has the full text):
- A week belongs to the month of its Thursday.
- Month status, first rule that applies: `død`, `udvandret`, another retirement state (`folkepension`,
  `førtidspension`, `efterløn`, `fleksydelse`) if any week of the month has such a code; `vikar` if a
  temp-agency job gives a positive employment rate, else `beskæftiget` if the employment rate is positive; the
  catalogue state with most weeks in the month (ties by the catalogue's state order); `ukendt` for codes
  missing from the catalogue; `selvforsørgende` with neither a code nor employment.
- "First month in a status" uses indicators that do not compete: employment is a positive employment rate
  (as in the Seniorvikar evaluation), `vikar` a positive rate from a temp agency, `tilbagetrukket` any
  retirement code in the month, a catalogue state any week in it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from virkning.errors import CovariateNameError
from virkning.registers import calendar
from virkning.registers.catalogue import GROUPS, MONTHLY_STATUSES, STATES, canonical_state

STATIC = ("age", "sex", "origin", "education", "a_kasse", "region", "municipality")
RETIREMENT_ORDER = ("død", "udvandret", "folkepension", "førtidspension", "efterløn", "fleksydelse")
GRAMMAR_HELP = (
    "age, sex, origin, education, a_kasse, region, municipality or another persons column; "
    "weeks_<state>_<n>w; employment_<n>m; employment_at_<k>; spell_weeks or spell_weeks_<state>; in_<state>_at_<k> "
    f"(state: one of {', '.join((*STATES, *GROUPS))})"
)

_WEEKS = re.compile(r"^weeks_(.+)_(\d+)w$")
_EMP = re.compile(r"^employment_(\d+)m$")
_EMP_AT = re.compile(r"^employment_at_(-?\d+)$")
_SPELL = re.compile(r"^spell_weeks(?:_(.+))?$")
_IN = re.compile(r"^in_(.+)_at_(-?\d+)$")


@dataclass(frozen=True)
class Covariate:
    """A parsed covariate name: kind (static/weeks/employment/employment_at/spell/in), state, window."""

    name: str
    kind: str
    state: str | None = None
    n: int = 0


def _state(selector: str, name: str) -> str:
    state = canonical_state(selector)
    if state is None or state in MONTHLY_STATUSES:
        raise CovariateNameError(
            f"covariate '{name}': '{selector}' is not a state or group of the DREAM code catalogue; "
            f"expected one of {', '.join((*STATES, *GROUPS))}"
        )
    return state


def parse_covariate(name: str, person_columns: tuple[str, ...] = ()) -> Covariate:
    """Read a covariate name of the grammar in GRAMMAR_HELP, or raise CovariateNameError saying what is allowed."""
    if name in STATIC or name in person_columns:
        return Covariate(name, "static")
    if m := _WEEKS.match(name):
        if int(m.group(2)) < 1:
            raise CovariateNameError(f"covariate '{name}': the window must be at least 1 week")
        return Covariate(name, "weeks", _state(m.group(1), name), int(m.group(2)))
    if m := _EMP.match(name):
        if int(m.group(1)) < 1:
            raise CovariateNameError(f"covariate '{name}': the window must be at least 1 month")
        return Covariate(name, "employment", None, int(m.group(1)))
    if m := _EMP_AT.match(name):
        return Covariate(name, "employment_at", None, int(m.group(1)))
    if m := _SPELL.match(name):
        return Covariate(name, "spell", _state(m.group(1) or "ledig", name))
    if m := _IN.match(name):
        return Covariate(name, "in", _state(m.group(1), name), int(m.group(2)))
    raise CovariateNameError(f"'{name}' is not a covariate name; expected {GRAMMAR_HELP}")


def _selector_sql(state: str) -> str:
    """SQL predicate over the catalogue columns of a benefit row (`c.`) for a state or group."""
    if state in GROUPS:
        return GROUPS[state].replace("state", "c.state").replace("activation", "c.activation").replace(
            "benefit", "c.benefit").replace("retirement", "c.retirement")
    return f"c.state = '{state}'"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class _Rows:
    """The register rows of the persons a run can touch, copied once into small temp tables, and a memo of
    covariates already computed. Shared by every panel over the same registers (it does not depend on the end of
    data), so covariates computed for one design are not computed again for a robustness variant.

    Persons get an integer key `pk` (their rank in `persons`): joins and pandas work on integers, not ids.
    """

    def __init__(self, con):
        self.con = con
        ids = con.sql("SELECT person_id FROM persons ORDER BY person_id").fetchnumpy()["person_id"]
        self.ids = np.asarray(ids, dtype=object)
        self.index = pd.Index(self.ids)
        self.done = np.zeros(len(self.ids), dtype=bool)  # persons whose rows are in _pb, _pe, _px
        self.memo: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # covariate -> (sorted pair keys, values)
        # the same key for SQL: risk sets found in DuckDB come back as pk, not as ids
        con.register("_pkmap_df", pd.DataFrame({"person_id": self.ids, "pk": np.arange(len(self.ids), dtype=np.int32)}))
        con.execute("CREATE OR REPLACE TEMP TABLE _pkmap AS SELECT CAST(person_id AS VARCHAR) AS person_id, "
                    "CAST(pk AS INTEGER) AS pk FROM _pkmap_df")
        con.unregister("_pkmap_df")
        for sql in ("CREATE OR REPLACE TEMP TABLE _px AS SELECT CAST(0 AS INTEGER) AS pk, * FROM persons LIMIT 0",
                    "CREATE OR REPLACE TEMP TABLE _pb (pk INTEGER, wk INTEGER, code VARCHAR)",
                    "CREATE OR REPLACE TEMP TABLE _pe (pk INTEGER, mo INTEGER, employment_rate DOUBLE, "
                    "temp_agency BOOLEAN)"):
            con.execute(sql)

    def keys(self, person_ids) -> np.ndarray:
        """pk per person id, -1 for ids not in persons."""
        return self.index.get_indexer(pd.Index(np.asarray(person_ids, dtype=object)))

    def include(self, pk: np.ndarray) -> None:
        """Make sure the rows of persons `pk` are in the temp tables: one scan of each register for the persons
        not there yet, so a caller that names a generous superset early saves later scans."""
        pk = np.unique(pk[pk >= 0])
        new = pk[~self.done[pk]]
        if not len(new):
            return
        self.con.register("_new_df", pd.DataFrame({"pk": new.astype(np.int32), "person_id": self.ids[new]}))
        self.con.execute("CREATE OR REPLACE TEMP TABLE _new AS SELECT CAST(pk AS INTEGER) AS pk, "
                         "CAST(person_id AS VARCHAR) AS person_id FROM _new_df")
        self.con.unregister("_new_df")
        self.con.execute("INSERT INTO _px SELECT n.pk, x.* FROM persons x JOIN _new n USING (person_id)")
        self.con.execute("INSERT INTO _pb SELECT n.pk, b.wk, b.code FROM benefits b JOIN _new n USING (person_id)")
        self.con.execute("INSERT INTO _pe SELECT n.pk, e.mo, e.employment_rate, e.temp_agency "
                         "FROM employment e JOIN _new n USING (person_id)")
        self.done[new] = True


def _pair_keys(pk: np.ndarray, iwk: np.ndarray, imo: np.ndarray, idate: np.ndarray) -> np.ndarray:
    """One int64 per (person, index week, index month, index date); -1 where the parts do not fit (such pairs are
    computed every time instead of memoised)."""
    mo_off = imo - calendar.week_months(iwk) + 8  # the index month is the Thursday's or next to it
    day_off = (idate.astype("datetime64[D]") - calendar.week_mondays(iwk)).astype(np.int64) + 128
    ok = (pk >= 0) & (iwk >= 0) & (iwk < 1 << 16) & (mo_off >= 0) & (mo_off < 16) & (day_off >= 0) & (day_off < 256)
    key = ((pk.astype(np.int64) << 28) | (iwk.astype(np.int64) << 12) | (mo_off << 8) | day_off)
    return np.where(ok, key, -1)


class Panel:
    """Covariates and outcomes for (person_id, index week) pairs over a loaded `Registers`."""

    def __init__(self, registers, end_month: str | None = None):
        self.regs = registers
        self.con = registers.con
        self.catalogue = registers.catalogue
        cols = [r[0] for r in self.con.execute("DESCRIBE persons").fetchall()]
        self.person_columns = tuple(c for c in cols if c != "person_id")
        self._end_month: int | None = calendar.parse_month(end_month) if end_month else None

    @property
    def rows(self) -> _Rows:
        rows = self.regs.__dict__.get("_panel_rows")
        if rows is None:
            rows = self.regs.__dict__["_panel_rows"] = _Rows(self.con)
        return rows

    def include(self, person_ids) -> None:
        """Copy the register rows of these persons now (a superset of later pairs' persons saves scans)."""
        self.rows.include(self.rows.keys(person_ids))

    # ---- pairs -------------------------------------------------------------------------------------------
    def _normalise(self, pairs: pd.DataFrame) -> dict:
        """pk, iwk, imo and idate (datetime64[D]) arrays of the pairs."""
        if "person_id" not in pairs or "index_week" not in pairs:
            raise CovariateNameError("pairs need columns person_id and index_week (and optionally index_month, index_date)")
        iwk = _as_week_ordinals(pairs["index_week"]).astype(np.int64)
        if "index_month" in pairs:
            imo = _as_month_ordinals(pairs["index_month"]).astype(np.int64)
        elif "index_date" in pairs:
            imo = calendar.date_months(pd.to_datetime(pairs["index_date"]).to_numpy())
        else:
            imo = calendar.week_months(iwk)
        if "index_date" in pairs:
            idate = pd.to_datetime(pairs["index_date"]).to_numpy().astype("datetime64[D]")
        else:
            idate = calendar.week_mondays(iwk)
        # `_pk`: keys of `self.rows` a caller already holds (risk sets from `build_populations` carry them)
        pk = (pairs["_pk"].to_numpy().astype(np.int64) if "_pk" in pairs
              else self.rows.keys(pairs["person_id"].astype(str).to_numpy()))
        return {"pk": pk, "iwk": iwk, "imo": imo, "idate": idate}

    def _register(self, p: dict) -> int:
        """Load pairs as DuckDB table `_pairs(_pair, pk, iwk, imo, idate)` and their persons' rows; returns the count."""
        self.rows.include(p["pk"])
        frame = pd.DataFrame({"_pair": np.arange(len(p["pk"]), dtype=np.int64), "pk": p["pk"].astype(np.int32),
                              "iwk": p["iwk"].astype(np.int32), "imo": p["imo"].astype(np.int32),
                              "idate": p["idate"].astype("datetime64[s]")})
        self.con.register("_pairs_df", frame)
        self.con.execute("CREATE OR REPLACE TEMP TABLE _pairs AS SELECT _pair, pk, iwk, imo, CAST(idate AS DATE) AS idate "
                         "FROM _pairs_df")
        self.con.unregister("_pairs_df")
        return len(frame)

    def _register_pairs(self, pairs: pd.DataFrame) -> int:
        return self._register(self._normalise(pairs))

    # ---- covariates --------------------------------------------------------------------------------------
    def covariates(self, pairs: pd.DataFrame, names: list[str]) -> pd.DataFrame:
        """One row per pair (input order): person_id, index_week, then each named covariate.

        Weekly windows end before the index week (`weeks_ledig_52w` counts weeks index-52 .. index-1); monthly
        windows end before the index month; `in_<state>_at_<k>` is 1 if week index+k is in the state. Values are
        memoised per pair: asking again for pairs already computed (a robustness variant) costs no query.
        """
        specs = [parse_covariate(n, self.person_columns) for n in names]
        if len(set(names)) != len(names):
            raise CovariateNameError(f"covariate names repeat: {sorted({n for n in names if names.count(n) > 1})}")
        p = self._normalise(pairs)
        key = _pair_keys(p["pk"], p["iwk"], p["imo"], p["idate"])
        memo = self.rows.memo
        # Covariates computed together share one key array in the memo, so each array is searched (and merged
        # with new keys) once, not once per covariate.
        lookups: dict[int, tuple] = {}
        found = {}
        need = np.zeros(len(key), dtype=bool)
        for s in specs:
            keys, values = memo.get(s.name, (_NO_KEYS, None))
            if id(keys) not in lookups:
                if len(keys):
                    pos = np.minimum(np.searchsorted(keys, key), len(keys) - 1)
                    hit = (key >= 0) & (keys[pos] == key)
                else:
                    pos, hit = np.zeros(len(key), dtype=np.int64), np.zeros(len(key), dtype=bool)
                lookups[id(keys)] = (keys, pos, hit)
            _, pos, hit = lookups[id(keys)]
            found[s.name] = (pos, hit, values)
            need |= ~hit
        result = pd.DataFrame({"person_id": _text(pairs["person_id"]), "index_week": pairs["index_week"].to_numpy()})
        fresh = None
        if need.any():
            rows = np.flatnonzero(need)
            fresh = self._compute(p, rows, specs)
            k = key[rows]
            ok = np.flatnonzero(k >= 0)
            uk, first = np.unique(k[ok], return_index=True)
            merged: dict[int, tuple] = {}
            for s in specs:
                v = fresh[s.name].to_numpy()[ok[first]]
                keys, values = memo.get(s.name, (None, None))
                if keys is None:
                    memo[s.name] = (uk, v)
                    continue
                if id(keys) not in merged:
                    new = ~np.isin(uk, keys, assume_unique=True)
                    all_keys = np.concatenate([keys, uk[new]])
                    order = np.argsort(all_keys, kind="stable")
                    merged[id(keys)] = (keys, new, all_keys[order], order)
                _, new, sorted_keys, order = merged[id(keys)]
                memo[s.name] = (sorted_keys, _concat(values, v[new])[order])
        for s in specs:
            pos, hit, values = found[s.name]
            if fresh is None:
                result[s.name] = values[pos]
                continue
            fv = fresh[s.name].to_numpy()
            if need.all():
                result[s.name] = fv
                continue
            col = np.empty(len(key), dtype=_common(values.dtype, fv.dtype))
            col[~need] = values[pos[~need]]
            col[need] = fv
            result[s.name] = col
        return result

    def _compute(self, p: dict, rows: np.ndarray, specs: list[Covariate]) -> pd.DataFrame:
        """Covariates of pairs `rows` (positions in the normalised pairs), one query per kind."""
        self._register({k: v[rows] for k, v in p.items()})
        out = self.con.sql("SELECT _pair FROM _pairs ORDER BY _pair").df()
        static = [s for s in specs if s.kind == "static"]
        if static:
            out = out.merge(self._static(static), on="_pair", how="left")
        weekly = [s for s in specs if s.kind in ("weeks", "in")]
        if weekly:
            out = out.merge(self._weekly(weekly), on="_pair", how="left")
        monthly = [s for s in specs if s.kind in ("employment", "employment_at")]
        if monthly:
            out = out.merge(self._monthly(monthly), on="_pair", how="left")
        for s in specs:
            if s.kind == "spell":
                out = out.merge(self._spell(s), on="_pair", how="left")
        for s in specs:
            if s.kind in ("weeks", "in", "spell"):
                out[s.name] = out[s.name].fillna(0).astype("int32")
            elif s.kind in ("employment", "employment_at"):
                out[s.name] = out[s.name].fillna(0.0).astype("float64")
            elif out[s.name].dtype != object and not pd.api.types.is_numeric_dtype(out[s.name]):
                out[s.name] = out[s.name].astype(object).where(out[s.name].notna(), None)
        return out.sort_values("_pair", ignore_index=True)

    def _static(self, specs: list[Covariate]) -> pd.DataFrame:
        cols = []
        for s in specs:
            if s.name == "age":
                cols.append(
                    "CAST(year(p.idate) - year(x.birth_date) - CASE WHEN month(p.idate) * 100 + day(p.idate) < "
                    "month(x.birth_date) * 100 + day(x.birth_date) THEN 1 ELSE 0 END AS INTEGER) AS age"
                )
            else:
                cols.append(f"x.{_q(s.name)}")
        return self.con.sql(f"SELECT p._pair, {', '.join(cols)} FROM _pairs p LEFT JOIN _px x USING (pk)").df()

    def _weekly(self, specs: list[Covariate]) -> pd.DataFrame:
        return self._windowed(specs, table="_pb", col="wk", index="iwk", agg="count(*)", window_kind="weeks",
                              join="LEFT JOIN catalogue c ON c.code = x.code")

    def _monthly(self, specs: list[Covariate]) -> pd.DataFrame:
        return self._windowed(specs, table="_pe", col="mo", index="imo", agg="sum(x.employment_rate)",
                              window_kind="employment")

    def _windowed(self, specs: list[Covariate], *, table: str, col: str, index: str, agg: str, window_kind: str,
                  join: str = "") -> pd.DataFrame:
        """One aggregate per covariate over the rows of `table` in its window: the n units before the index
        (`window_kind`) or the single unit index+k (the others). One join of pairs and rows serves them all."""
        lo = max([s.n for s in specs if s.kind == window_kind] + [-s.n for s in specs if s.kind != window_kind] + [0])
        hi = max([s.n for s in specs if s.kind != window_kind] + [0])
        aggs = []
        for s in specs:
            if s.kind == window_kind:
                window = f"x.{col} >= p.{index} - {s.n} AND x.{col} < p.{index}"
            else:
                window = f"x.{col} = p.{index} + ({s.n})"
            state = f" AND {_selector_sql(s.state)}" if s.state else ""
            aggs.append(f"{agg} FILTER (WHERE {window}{state}) AS {_q(s.name)}")
        return self.con.sql(
            f"SELECT p._pair, {', '.join(aggs)} FROM _pairs p "
            f"JOIN {table} x ON x.pk = p.pk AND x.{col} >= p.{index} - {lo} AND x.{col} <= p.{index} + {hi} "
            f"{join} GROUP BY p._pair"
        ).df()

    def _spell(self, s: Covariate) -> pd.DataFrame:
        # Runs of consecutive weeks in the state ("islands": week minus its rank is constant within a run),
        # then the run that contains the index week. A run that starts at the first week of data is
        # left-censored there.
        pred = _selector_sql(s.state)
        return self.con.sql(
            f"""WITH w AS (
                  SELECT b.pk, b.wk FROM _pb b JOIN catalogue c ON c.code = b.code
                  WHERE {pred} AND b.pk IN (SELECT pk FROM _pairs)),
                runs AS (
                  SELECT pk, min(wk) AS first_wk, max(wk) AS last_wk FROM (
                    SELECT pk, wk, wk - row_number() OVER (PARTITION BY pk ORDER BY wk) AS g FROM w)
                  GROUP BY pk, g)
                SELECT p._pair, CAST(p.iwk - r.first_wk + 1 AS INTEGER) AS {_q(s.name)}
                FROM _pairs p JOIN runs r ON r.pk = p.pk AND p.iwk BETWEEN r.first_wk AND r.last_wk"""
        ).df()

    # ---- months and outcomes -----------------------------------------------------------------------------
    def end_month(self) -> int:
        """Last month covered by both benefits and employment (month ordinal); later months are censored."""
        if self._end_month is None:
            tables = getattr(getattr(self.regs, "report", None), "tables", None) or {}
            b, e = tables.get("benefits"), tables.get("employment")
            if b is not None and e is not None and b.last and e.last:  # validation has read the ranges already
                self._end_month = min(calendar.week_month(calendar.parse_week(b.last)), calendar.parse_month(e.last))
                return self._end_month
            wk, mo = self.con.execute(
                "SELECT (SELECT max(wk) FROM benefits), (SELECT max(mo) FROM employment)"
            ).fetchall()[0]
            candidates = [m for m in (calendar.week_month(wk) if wk is not None else None, mo) if m is not None]
            self._end_month = min(candidates) if candidates else 0
        return self._end_month

    def months(self, pairs: pd.DataFrame, first: int, last: int) -> pd.DataFrame:
        """Person-month rows for months index+first .. index+last of each pair.

        Columns: `_pair` (row of `pairs`), person_id, `month` (relative), `mo` (ordinal), status, employment_rate,
        temp_rate, benefit_weeks, weeks (weeks of the month), observed (False after the end of data), and one
        0/1 indicator per catalogue state, per group, and for beskæftiget/vikar/selvforsørgende.
        """
        self._register_pairs(pairs)
        out = self._months(first, last)
        pk = out.pop("pk").to_numpy()
        out.insert(1, "person_id", np.where(pk >= 0, self.rows.ids[np.maximum(pk, 0)], None))
        return out

    def _months(self, first: int, last: int) -> pd.DataFrame:
        states = [s for s in STATES]
        state_flags = ", ".join(f"max(CASE WHEN c.state = '{s}' THEN 1 ELSE 0 END) AS {_q('s_' + s)}" for s in states)
        order_case = " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(states))
        retire_case = " ".join(f"WHEN {_q('s_' + s)} = 1 THEN '{s}'" for s in RETIREMENT_ORDER)
        end = self.end_month()
        sql = f"""
        WITH grid AS (
            SELECT p._pair, p.pk, m AS month, p.imo + m AS mo
            FROM _pairs p, range({first}, {last} + 1) t(m)),
        wk AS (
            SELECT p._pair, wk_to_mo(b.wk) - p.imo AS month, b.code, c.state, c.benefit, c.retirement
            FROM _pairs p
            JOIN _pb b ON b.pk = p.pk
             AND b.wk BETWEEN date_to_wk(make_date(CAST((p.imo + {first}) // 12 AS BIGINT), CAST((p.imo + {first}) % 12 + 1 AS BIGINT), 1)) - 1
                          AND date_to_wk(make_date(CAST((p.imo + {last}) // 12 AS BIGINT), CAST((p.imo + {last}) % 12 + 1 AS BIGINT), 1)) + 6
            LEFT JOIN catalogue c ON c.code = b.code),
        per_state AS (
            SELECT _pair, month, state, count(*) AS n FROM wk WHERE month BETWEEN {first} AND {last}
            GROUP BY _pair, month, state),
        modal AS (
            SELECT _pair, month,
                   arg_min(state, -n * 100 + CASE state {order_case} ELSE 99 END) AS modal_state
            FROM per_state GROUP BY _pair, month),
        flags AS (
            SELECT _pair, month, count(*) AS coded_weeks,
                   sum(benefit) AS benefit_weeks, max(retirement) AS s_retire,
                   max(CASE WHEN c_state_null THEN 1 ELSE 0 END) AS s_unknown, {state_flags.replace('c.state', 'state')}
            FROM (SELECT *, state IS NULL AS c_state_null FROM wk) c WHERE month BETWEEN {first} AND {last}
            GROUP BY _pair, month),
        emp AS (
            SELECT p._pair, e.mo - p.imo AS month, sum(e.employment_rate) AS employment_rate,
                   sum(CASE WHEN e.temp_agency THEN e.employment_rate ELSE 0 END) AS temp_rate
            FROM _pairs p JOIN _pe e ON e.pk = p.pk
             AND e.mo BETWEEN p.imo + {first} AND p.imo + {last}
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
            g.mo <= {end} AS observed,
            {", ".join(f"CAST(coalesce(f.{_q('s_' + s)}, 0) AS TINYINT) AS {_q(s)}" for s in states)},
            CAST(coalesce(f.s_retire, 0) AS TINYINT) AS tilbagetrukket,
            CAST(coalesce(emp.employment_rate, 0) > 0 AS TINYINT) AS beskæftiget,
            CAST(coalesce(emp.temp_rate, 0) > 0 AS TINYINT) AS vikar,
            CAST(coalesce(f.coded_weeks, 0) = 0 AND coalesce(emp.employment_rate, 0) = 0 AS TINYINT) AS selvforsørgende,
            CAST(coalesce(f.benefit_weeks, 0) > 0 AS TINYINT) AS ydelse
        FROM grid g
        LEFT JOIN flags f ON f._pair = g._pair AND f.month = g.month
        LEFT JOIN modal ON modal._pair = g._pair AND modal.month = g.month
        LEFT JOIN emp ON emp._pair = g._pair AND emp.month = g.month
        ORDER BY g._pair, g.month"""
        return self.con.sql(sql).df()

    def outcomes(
        self,
        pairs: pd.DataFrame,
        horizon: int,
        exits: tuple[str, ...] = ("beskæftiget", "vikar", "tilbagetrukket"),
    ) -> pd.DataFrame:
        """One row per pair (input order) with outcomes for months 1..horizon after the index month.

        Columns: person_id, index_week, followup (months observed after the index month, capped at horizon);
        for each exit status s: `first_<s>` (first month 1..horizon with the indicator, NA if none) and
        `exit_<s>_<m>` (1 if exit by month m: "exit without relapse", counted once); `status_<m>` and
        `benefit_weeks_<m>` per month. Months after the end of data are NA (censored), never zeros.
        """
        if horizon < 1:
            raise CovariateNameError("horizon must be at least 1 month")
        names = []
        for s in exits:
            c = canonical_state(s)
            if c is None:
                raise CovariateNameError(
                    f"outcome status '{s}' is not a state, group or monthly status; expected one of "
                    f"{', '.join((*STATES, *GROUPS, *MONTHLY_STATUSES))}"
                )
            names.append(c)
        self._register_pairs(pairs)
        long = self._months(1, horizon)
        n = len(pairs)
        months = np.arange(1, horizon + 1)
        obs = long["observed"].to_numpy().reshape(n, horizon)
        out = pd.DataFrame({"person_id": pairs["person_id"].astype(str).to_numpy(), "index_week": pairs["index_week"].to_numpy()})
        out["followup"] = obs.sum(axis=1).astype("int32")
        for s in names:
            flag = long[s].to_numpy().reshape(n, horizon).astype(bool) & obs
            hit = flag.any(axis=1)
            first = np.where(hit, flag.argmax(axis=1) + 1, 0)
            out[f"first_{s}"] = pd.array(np.where(hit, first, pd.NA), dtype="Int32")
            for i, m in enumerate(months):
                val = np.where(hit & (first <= m), 1.0, np.where(obs[:, i], 0.0, np.nan))
                out[f"exit_{s}_{m}"] = val
        status = long["status"].to_numpy().reshape(n, horizon)
        bw = long["benefit_weeks"].to_numpy().reshape(n, horizon).astype(float)
        for i, m in enumerate(months):
            out[f"status_{m}"] = np.where(obs[:, i], status[:, i], None)
            out[f"benefit_weeks_{m}"] = np.where(obs[:, i], bw[:, i], np.nan)
        return out


_NO_KEYS = np.zeros(0, dtype=np.int64)


def _text(values: pd.Series):
    """The column as a pandas string array, without a round trip through Python objects when it is one already."""
    if isinstance(values.dtype, pd.StringDtype):
        return values.array
    return values.astype(str).array


def _common(a: np.dtype, b: np.dtype) -> np.dtype:
    return np.dtype(object) if object in (a, b) or a.kind in "OUS" or b.kind in "OUS" else np.result_type(a, b)


def _concat(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.concatenate([a.astype(_common(a.dtype, b.dtype)), b.astype(_common(a.dtype, b.dtype))])


def _as_week_ordinals(values: pd.Series) -> np.ndarray:
    """index_week given as wk ordinals (ints < 100000), YYYYWW ints or `YYYY-Www` labels -> wk ordinals."""
    if pd.api.types.is_integer_dtype(values):
        arr = values.to_numpy().astype(np.int64)
        if len(arr) == 0 or arr.max() < 100_000:
            return arr
        uniq, inv = np.unique(arr, return_inverse=True)
        return np.array([calendar.parse_week(int(v)) for v in uniq], dtype=np.int64)[inv]
    uniq, inv = np.unique(values.astype(str).to_numpy(), return_inverse=True)
    try:
        return np.array([calendar.parse_week(v) for v in uniq], dtype=np.int64)[inv]
    except ValueError as exc:
        raise CovariateNameError(f"pairs, column 'index_week': {exc}") from None


def _as_month_ordinals(values: pd.Series) -> np.ndarray:
    if pd.api.types.is_integer_dtype(values):
        return values.to_numpy().astype(np.int64)
    uniq, inv = np.unique(values.astype(str).to_numpy(), return_inverse=True)
    try:
        return np.array([calendar.parse_month(v) for v in uniq], dtype=np.int64)[inv]
    except ValueError as exc:
        raise CovariateNameError(f"pairs, column 'index_month': {exc}") from None

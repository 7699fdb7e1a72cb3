"""The register panel: covariates at an index week and person-month status and outcomes after it.

Callers pass (person, index week) pairs as a data frame and get data frames back. Many pairs are computed in one
query, so a risk set of a million pairs costs one scan of the copied rows, not a million look-ups. The SQL is in
`virkning.registers.queries`; what a loaded set of registers keeps between questions is in `panel.store.Store`.

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
import math
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from virkning.errors import CovariateNameError
from virkning.panel import risksets
from virkning.panel.grammar import (GRAMMAR_HELP, MONTHLY_KINDS, ORIGIN_GROUPS, STATIC, Covariate, first_read,
                                    parse_covariate, reach)
from virkning.panel.memo import memoised
from virkning.panel import months as monthly
from virkning.panel.store import StatePairs, Store
from virkning.registers import calendar, queries
from virkning.registers.queries import RETIREMENT_ORDER

if TYPE_CHECKING:
    from virkning.registers import Registers

__all__ = ["GRAMMAR_HELP", "STATIC", "Covariate", "Panel", "parse_covariate", "RETIREMENT_ORDER"]


class EndOfDataWarning(UserWarning):
    """An end_month after the last month the registers hold rows for."""


class Panel:
    """Covariates and outcomes for (person_id, index week) pairs over loaded `Registers`; `end_month` (YYYY-MM)
    overrides the end of data used for censoring (later than the data's rows: with an EndOfDataWarning, as the
    months between read as months without benefits or work). Panels over the same registers share their store."""

    def __init__(self, registers: "Registers", end_month: str | None = None):
        self.regs = registers
        self.store: Store = registers.store
        self.engine = registers.engine
        self.catalogue = registers.catalogue
        self._end_month: int | None = None
        self._given: int | None = calendar.parse_month(end_month) if end_month else None

    @property
    def person_columns(self) -> tuple[str, ...]:
        self.store.n_persons  # the columns are read with the keys
        return self.store.person_columns

    def keys(self, person_ids) -> np.ndarray:
        """Person keys (-1 for ids not in persons)."""
        return self.store.keys(person_ids)

    @property
    def n_persons(self) -> int:
        """Persons in `persons`: keys are 0 .. n_persons - 1."""
        return self.store.n_persons

    def ids_of(self, pk) -> np.ndarray:
        """Person ids of keys `pk`."""
        return self.store.ids_of(pk)

    def ids_column(self, pk):
        """Person ids of keys `pk` as pandas' text array (for a frame's column)."""
        return self.store.ids_column(pk)

    def include(self, person_ids) -> None:
        """Copy the register rows of these persons now (a superset of later pairs' persons saves scans)."""
        self.store.include(self.store.keys(person_ids))

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
        # `_pk`: person keys a caller already holds (risk sets from `build_populations` carry them)
        pk = (pairs["_pk"].to_numpy().astype(np.int64) if "_pk" in pairs
              else self.store.keys(pairs["person_id"].astype(str).to_numpy()))
        return {"pk": pk, "iwk": iwk, "imo": imo, "idate": idate}

    def _register(self, p: dict, window: tuple[int, int] = (0, 0), since: tuple[float, float] | None = None,
                  months: bool = False) -> int:
        """Load pairs as the store's pairs table (_pair, pk, iwk, imo, wlo, whi) and their persons' rows; returns the
        count. [wlo, whi] is a week range holding every week of months index+window[0] .. index+window[1].
        `since`: the earliest week and month the caller reads (Store.include; None: every row); `months`: the
        caller reads the months of `window` alone (the weeks from wlo, the months from index+window[0])."""
        imo = p["imo"].astype(np.int64)
        wlo, whi = monthly.month_weeks(imo, *window)
        if months and len(wlo):
            since = (int(wlo.min()), int(imo.min()) + window[0])
        self.store.include(p["pk"], since)
        # copy=False: each fresh array stays a column of its own (a frame would copy them into one block first)
        frame = pd.DataFrame({"_pair": np.arange(len(p["pk"]), dtype=np.int64), "pk": p["pk"].astype(np.int32),
                              "iwk": p["iwk"].astype(np.int32), "imo": imo.astype(np.int32), "wlo": wlo,
                              "whi": whi}, copy=False)
        self.engine.put(self.store.names.pairs, frame)
        return len(frame)

    def _register_pairs(self, pairs: pd.DataFrame, window: tuple[int, int] = (0, 0)) -> int:
        return self._register(self._normalise(pairs), window, months=True)

    # ---- covariates --------------------------------------------------------------------------------------
    def covariates(self, pairs: pd.DataFrame, names: list[str]) -> pd.DataFrame:
        """One row per pair (input order): person_id, index_week, then each named covariate.

        Weekly windows end before the index week (`weeks_ledig_52w` counts weeks index-52 .. index-1); monthly
        windows end before the index month; `in_<state>_at_<k>` is 1 if week index+k is in the state. Values are
        memoised per pair: asking again for pairs already computed (a robustness variant) costs no query.
        """
        specs = [parse_covariate(n, self.person_columns) for n in names]
        _no_repeats(names)
        p = self._normalise(pairs)
        week = pairs["index_week"]  # text weeks kept as the column's string array (no Python string per pair)
        result = pd.DataFrame({"person_id": _text(pairs["person_id"]),
                               "index_week": week.array if isinstance(week.dtype, pd.StringDtype) else week.to_numpy()})
        values = self._values_of(p, specs)
        for s in specs:
            result[s.name] = values[s.name]
        return result

    def history(self, names: list[str]) -> tuple[float, float] | None:
        """The earliest week and month, relative to its index, that a pair's covariates `names` read (+inf: none of
        that register; None: every week, as a spell reads): what a caller that copies persons' rows early
        (populations) asks `Store.include` for."""
        try:
            specs = [parse_covariate(n, self.person_columns) for n in names]
        except CovariateNameError:  # said where the covariates are read, in the words of that stage
            return None
        weeks, months = first_read(specs, 0, 0)
        return None if weeks == -math.inf else (weeks, months)

    def covariate_values(self, p: dict, names: list[str]) -> dict:
        """The values of covariates `names` for pairs given as arrays: pk (person keys), iwk (week ordinals), imo
        (month ordinals) and idate (datetime64[D] index dates), as `covariates` makes them of its frame; for a
        caller that holds keys and needs values only (the populations' exclusions: no ids, no frame)."""
        specs = [parse_covariate(n, self.person_columns) for n in names]
        if specs and len(p["pk"]) and all(s.kind in MONTHLY_KINDS for s in specs):
            return self._per_person_month(p, specs)
        return self._values_of(p, specs)

    def _per_person_month(self, p: dict, specs: list[Covariate]) -> dict:
        """Covariates of employment months (`MONTHLY_KINDS`), which depend on the person and the index month alone:
        computed once per (person, index month) instead of once per pair (a pool holds four or five index weeks of
        a person in a month), each for a pair of its own made of them (the week of the month's first day and that
        week's Monday), so the memo finds it again whatever index weeks a later run brings."""
        pk, imo = p["pk"].astype(np.int64), p["imo"].astype(np.int64)
        lo, span = int(imo.min()), int(imo.max() - imo.min()) + 1
        codes, uniq = pd.factorize((pk + 1) * span + (imo - lo))  # pk -1 (no person) is a value of its own
        upk, umo = uniq // span - 1, uniq % span + lo
        week = calendar.date_weeks(calendar.month_first_days(umo))
        values = self._values_of({"pk": upk, "iwk": week, "imo": umo, "idate": calendar.week_mondays(week)}, specs)
        return {name: v[codes] for name, v in values.items()}

    def _values_of(self, p: dict, specs: list[Covariate]) -> dict:
        by_person = {s.name for s in specs if self._by_person(s)}
        values = self._by_person_values(p, [s for s in specs if s.name in by_person])
        rest = [s for s in specs if s.name not in by_person]
        if rest:
            values.update(self._memoised(p, rest))
        return values

    def _by_person(self, s: Covariate) -> bool:
        """Whether covariate `s` is a person's text (or age, or origin group), taken from the persons' columns read
        once (`Store.read_texts`) instead of a join and a memo per pair: with exact matching on four such columns,
        the memo's merges of a million pairs' strings were a third of the Seniorvikar evaluation's covariates."""
        if s.kind != "static":
            return False
        types = self.store.person_types()
        if s.name == "age":
            return "birth_date" in types
        return types.get(_person_text(s.name)[0]) == "VARCHAR"

    def _by_person_values(self, p: dict, specs: list[Covariate]) -> dict:
        """The values `_memoised` would give these covariates: age as completed years (NaN without a birth date),
        text as pandas' string array, or as an array of None when no pair has a value (`memo.values_to_keep`)."""
        out: dict = {}
        self.store.read_texts([_person_text(s.name)[0] for s in specs if s.name != "age"])  # in one query
        for s in specs:
            if s.name == "age":
                out[s.name] = self.store.ages(p["pk"], p["idate"])
                continue
            column, mapping = _person_text(s.name)
            text = self.store.texts(column, p["pk"], mapping)
            out[s.name] = (np.full(len(text), None, dtype=object) if text.null_count == len(text)
                           else pd.array(text, dtype=calendar.TEXT))
        return out

    def text_codes(self, pk: np.ndarray, names: list[str]) -> dict[str, tuple[np.ndarray, list[str]]]:
        """For the covariates of `names` that are a person's text (`_by_person`, age aside): per pair of person keys
        `pk`, its value as a code into the levels (-1: missing; Store.text_codes), so a caller that only groups
        pairs by their values (the exact cells) makes no string per pair. Other names are left out."""
        _no_repeats(names)  # as `covariates` would say: one column per name
        out = {}
        for name in names:
            s = parse_covariate(name, self.person_columns)
            if s.name != "age" and self._by_person(s):
                column, mapping = _person_text(s.name)
                out[name] = self.store.text_codes(column, pk, mapping)
        return out

    def _memoised(self, p: dict, specs: list[Covariate]) -> dict:
        """Covariates `specs` of the normalised pairs `p`, from the store's memo where computed before
        (panel/memo.py), the rest computed (`_compute`) and remembered."""
        return memoised(self.store.memo, p, specs, self._compute)

    def _compute(self, p: dict, rows: np.ndarray, specs: list[Covariate]) -> pd.DataFrame:
        """Covariates of pairs `rows` (positions in the normalised pairs), one query per kind, in slices of at most
        PAIR_SLICE pairs ordered by person key: the pairs table, each kind's frame and the joins then grow with the
        slice, not with the pool (5 million persons: 3.75 million pairs), and since a slice's persons lie in one
        key range, the joins read only the copies' row groups of that range (DuckDB narrows a join's scan to the
        build side's key range), so the slices together read the copies about once."""
        if len(rows) <= PAIR_SLICE:
            return self._compute_slice(p, rows, specs)
        order = np.argsort(p["pk"][rows], kind="stable")
        parts = [self._compute_slice(p, rows[order[at:at + PAIR_SLICE]], specs)
                 for at in range(0, len(rows), PAIR_SLICE)]
        out = pd.concat(parts, ignore_index=True).iloc[np.argsort(order, kind="stable")].reset_index(drop=True)
        out["_pair"] = np.arange(len(rows), dtype=np.int64)  # the engine's BIGINT, as one slice gives it
        return out

    def _compute_slice(self, p: dict, rows: np.ndarray, specs: list[Covariate]) -> pd.DataFrame:
        sub = {k: v[rows] for k, v in p.items()}
        since = first_read(specs, int(sub["iwk"].min()), int(sub["imo"].min())) if len(rows) else None
        self._register(sub, since=since)
        out = self.engine.frame(queries.pair_order(self.store.names))
        static = [s for s in specs if s.kind == "static"]
        if static:
            out = out.merge(self._static(static, sub["idate"]), on="_pair", how="left")
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

    def _static(self, specs: list[Covariate], idate: np.ndarray) -> pd.DataFrame:
        """Columns of persons; `age` in completed years at each pair's index date (`idate`, in pair order);
        `origin_group` from `origin` (grammar.ORIGIN_GROUPS)."""
        derived = {"age": "birth_date", "origin_group": "origin"}
        columns = [s.name for s in specs if s.name not in derived]
        wanted = {s.name for s in specs} & set(derived)
        read = list(dict.fromkeys([*columns, *(derived[d] for d in sorted(wanted))]))
        out = self.engine.frame(queries.static_columns(self.store.names, read))
        if "age" in wanted:
            at = np.asarray(idate, dtype="datetime64[D]")[out["_pair"].to_numpy()]
            out["age"] = calendar.completed_years(out["birth_date"].to_numpy().astype("datetime64[D]"), at)
        if "origin_group" in wanted:
            group = out["origin"].astype(object).map(ORIGIN_GROUPS)
            out["origin_group"] = group.astype(object).where(group.notna(), None)
        return out[["_pair", *[s.name for s in specs]]]

    def _weekly(self, specs: list[Covariate]) -> pd.DataFrame:
        return self._windowed(specs, table=self.store.names.pb, col="wk", index="iwk", window_kind="weeks",
                              join=f"LEFT JOIN {self.store.names.cat} c ON c.cn = x.cn")

    def _monthly(self, specs: list[Covariate]) -> pd.DataFrame:
        return self._windowed(specs, table=self.store.names.pe, col="mo", index="imo", window_kind="employment")

    def _windowed(self, specs: list[Covariate], *, table: str, col: str, index: str, window_kind: str,
                  join: str = "") -> pd.DataFrame:
        """One aggregate per covariate over the rows of `table` in its window: the n units before the index
        (`window_kind`) or the single unit index+k (the others). One join of pairs and rows serves them all."""
        lo, hi = reach(specs, window_kind)
        aggs = []
        for s in specs:
            if s.kind == window_kind:
                window = f"x.{col} >= p.{index} - {s.n} AND x.{col} < p.{index}"
            else:
                window = f"x.{col} = p.{index} + ({s.n})"
            aggs.append(queries.weekly_aggregate(s.name, window, s.state) if window_kind == "weeks"
                        else queries.monthly_aggregate(s.name, window))
        return self.engine.frame(queries.windowed(self.store.names, aggs, table=table, col=col, index=index,
                                                  lo=lo, hi=hi, join=join))

    def _spell(self, s: Covariate) -> pd.DataFrame:
        assert s.state is not None  # the grammar gives every spell covariate a state (default ledig)
        return self.engine.frame(queries.spell(self.store.names, s.name, s.state))

    # ---- months and outcomes -----------------------------------------------------------------------------
    def end_month(self) -> int:
        """Last month covered by both benefits and employment, or the earlier `end_month` given (month ordinal);
        later months are censored."""
        if self._end_month is None:
            data_end = self._data_end()
            if self._given is not None and self._given > data_end:
                # allowed (a small extract's last benefit week can come before the registers' end), but said
                warnings.warn(EndOfDataWarning(
                    f"end_month {calendar.month_label(self._given)} is after the last month both benefits and "
                    f"employment hold rows for ({calendar.month_label(data_end)}): the months between count as "
                    "months without benefits or work"), stacklevel=2)
            self._end_month = data_end if self._given is None else self._given
        return self._end_month

    def _data_end(self) -> int:
        tables = self.regs.report.tables
        b, e = tables.get("benefits"), tables.get("employment")
        if b is not None and e is not None and b.last and e.last:  # validation has read the ranges already
            return min(calendar.week_month(calendar.parse_week(b.last)), calendar.parse_month(e.last))
        wk, mo = self.store.end_of_data()
        candidates = [m for m in (calendar.week_month(wk) if wk is not None else None, mo) if m is not None]
        return min(candidates) if candidates else 0

    def months(self, pairs: pd.DataFrame, first: int, last: int) -> pd.DataFrame:
        """Person-month rows for months index+first .. index+last of each pair.

        Columns: `_pair` (row of `pairs`), person_id, `month` (relative), `mo` (ordinal), status, employment_rate,
        temp_rate, benefit_weeks, weeks (weeks of the month), observed (False after the end of data), and one
        0/1 indicator per catalogue state, per group, and for beskæftiget/vikar/selvforsørgende.
        """
        self._register_pairs(pairs, (first, last))
        out = self._months(first, last)
        pk = out.pop("pk").to_numpy()
        ids = np.full(len(pk), None, dtype=object)
        ids[pk >= 0] = self.store.ids_of(pk[pk >= 0])
        out.insert(1, "person_id", ids)
        return out

    def _months(self, first: int, last: int) -> pd.DataFrame:
        names = self.store.names
        self.engine.put(names.offsets, pd.DataFrame({"m": np.arange(first, last + 1, dtype=np.int32)}))
        return self.engine.frame(queries.months(names, first, last, self.end_month()))

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
        return monthly.outcomes(self, pairs, horizon, exits)


    def month_flags(self, pairs: pd.DataFrame, first: int, last: int, atoms: tuple[str, ...]) -> dict[str, np.ndarray]:
        """Indicators for months index+first .. index+last of each pair: bool [pair, month] per atom (a state,
        group or monthly status) and `observed`; see `panel.months.month_flags`."""
        return monthly.month_flags(self, pairs, first, last, atoms)

    def runs_at_least(self, pairs: pd.DataFrame, state: str, lengths: list[int]) -> np.ndarray:
        """bool [pair, length]: the index week ends an unbroken run of at least that many weeks in `state`; see
        `panel.months.runs_at_least`."""
        return monthly.runs_at_least(self, pairs, state, lengths)

    # ---- what populations and monitoring ask of the registers -------------------------------------------------
    def first_events(self, event: str, start: dt.date | None, end: dt.date | None,
                     units: tuple[str, ...] | None) -> pd.DataFrame:
        """First `event` per person in [start, end] (optionally only in `units`): person_id, index_date, the unit
        of the first event, and `found` (the person is in persons)."""
        params: list = [event, *([start] if start else []), *([end] if end else []), *(units or ()), event]
        sql = queries.participant_events(len(units or ()), start is not None, end is not None)
        return self.engine.frame(sql, params)

    def event_count(self, event: str) -> int:
        return int(self.engine.one(queries.COUNT_EVENT, [event])[0])

    def event_names(self) -> list[str]:
        return [r[0] for r in self.engine.rows(queries.SOME_EVENTS)]

    def persons(self) -> pd.DataFrame:
        """birth_date and municipality of everyone, row i for person key i."""
        return self.store.persons()

    def ages(self, pk: np.ndarray, at) -> np.ndarray:
        """Completed years of persons `pk` at dates `at` (one age rule for pool, participants and covariates)."""
        return self.store.ages(pk, at)

    def state_pairs(self, weeks: np.ndarray, states: dict[int, str], compute: np.ndarray | None = None) -> pd.DataFrame:
        """(pk, iwk) for every index week in `weeks` where the person is in state `states[k]` in week index+k.

        Cached per state rule: a later call for weeks already computed filters the earlier result (robustness
        variants narrowing participants or pool ask again); `compute` names the weeks to compute when the cache
        cannot answer (a superset of `weeks`, so later runs with other windows hit the cache)."""
        key = tuple(sorted(states.items()))
        weeks = np.unique(np.asarray(weeks, dtype=np.int64))
        hit = self.store.state_pairs.get(key)
        if hit is not None and np.isin(weeks, hit.weeks).all():
            return hit.pairs[hit.pairs["iwk"].isin(weeks)].reset_index(drop=True)
        asked = weeks
        if compute is not None:
            weeks = np.union1d(weeks, compute)
        if hit is not None:
            weeks = np.union1d(weeks, hit.weeks)
        result = risksets.state_pairs(self, weeks, states)
        self.store.state_pairs[key] = StatePairs(weeks, result, np.unique(result["pk"].to_numpy()))
        return result[result["iwk"].isin(asked)].reset_index(drop=True)

    def state_persons(self, states: dict[int, str]) -> np.ndarray:
        """The persons of every week the state-pair cache holds for this rule (a superset of one run's pool)."""
        return self.store.state_pairs[tuple(sorted(states.items()))].persons

    def employment_rows(self, person_ids, lo: int, hi: int) -> pd.DataFrame:
        """Employment rows (person_id, mo, employment_rate, hours, industry, temp_agency) of these persons in
        months lo..hi (ordinals), sorted by person and month."""
        names = self.store.names
        ids = pd.DataFrame({"person_id": pd.unique(np.asarray(person_ids, dtype=object))})
        self.engine.put(names.ids, ids, "CAST(person_id AS VARCHAR) AS person_id")
        return self.engine.frame(queries.employment_of(names, lo, hi))

    def benefit_rows(self, person_ids, codes: list[str], lo: int, hi: int) -> pd.DataFrame:
        """Benefit weeks (person_id, wk, code) of these persons with one of `codes` in weeks lo..hi (ordinals)."""
        if not codes:
            return pd.DataFrame({"person_id": pd.Series(dtype=object), "wk": pd.Series(dtype="int64"),
                                 "code": pd.Series(dtype=object)})
        names = self.store.names
        ids = pd.DataFrame({"person_id": pd.unique(np.asarray(person_ids, dtype=object))})
        self.engine.put(names.ids, ids, "CAST(person_id AS VARCHAR) AS person_id")
        return self.engine.frame(queries.benefit_weeks_of(names, codes, lo, hi))


# Pairs per slice of a covariate computation (Panel._compute): one slice up to a pool of about 1,000,000 persons.
PAIR_SLICE = 1_000_000


def _person_text(name: str) -> tuple[str, Callable[[str], str | None] | None]:
    """The persons' text column a covariate reads, and what its values become (origin_group: the origin's group)."""
    return ("origin", ORIGIN_GROUPS.get) if name == "origin_group" else (name, None)


def _no_repeats(names: list[str]) -> None:
    if len(set(names)) != len(names):
        raise CovariateNameError(f"covariate names repeat: {sorted({n for n in names if names.count(n) > 1})}")


def _text(values: pd.Series):
    """The column as a pandas string array, without a round trip through Python objects when it is one already."""
    if isinstance(values.dtype, pd.StringDtype):
        return values.array
    return values.astype(str).array


def _as_week_ordinals(values: pd.Series) -> np.ndarray:
    """index_week given as wk ordinals (ints < 100000), YYYYWW ints or `YYYY-Www` labels -> wk ordinals."""
    if pd.api.types.is_integer_dtype(values):
        arr = values.to_numpy().astype(np.int64)
        if len(arr) == 0 or arr.max() < 100_000:
            return arr
        uniq, inv = np.unique(arr, return_inverse=True)
        return np.array([calendar.parse_week(int(v)) for v in uniq], dtype=np.int64)[inv]
    # factorised on the column: sorting its numpy copy made a Python string per pair and took 15 s for 3.75M pairs
    at, labels = pd.factorize(values.astype(str), use_na_sentinel=False)
    try:
        return np.array([calendar.parse_week(v) for v in labels], dtype=np.int64)[at]
    except ValueError as exc:
        raise CovariateNameError(f"pairs, column 'index_week': {exc}") from None


def _as_month_ordinals(values: pd.Series) -> np.ndarray:
    if pd.api.types.is_integer_dtype(values):
        return values.to_numpy().astype(np.int64)
    at, labels = pd.factorize(values.astype(str), use_na_sentinel=False)  # as _as_week_ordinals
    try:
        return np.array([calendar.parse_month(v) for v in labels], dtype=np.int64)[at]
    except ValueError as exc:
        raise CovariateNameError(f"pairs, column 'index_month': {exc}") from None

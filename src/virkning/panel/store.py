"""The panel store: what a loaded set of registers keeps between questions, owned by `Registers` and typed.

- person keys: every person gets an integer key `pk` (rank in `persons`); joins and numpy work on integers, and
  risk sets found in SQL come back as keys, not as id strings;
- copied rows: the register rows of the persons a run can touch, copied once into small tables (`include`), so
  covariates and outcomes for many pairs do not rescan national tables;
- memos: covariate values per (person, index) already computed (a robustness variant asks again), state-pair risk
  sets per state rule, the persons' birth dates and municipalities, the end of data.

Every table the store creates is named with its own prefix (`Names`), so stores never share a temporary table.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from virkning.registers import calendar, queries
from virkning.registers.engine import Engine, EngineError
from virkning.registers.queries import Names

_COUNTER = itertools.count(1)
# Persons per slice of `Store.include` from the keyed copy: some 8 million benefit rows of the persons a pool
# rule picks (about 160 weeks each in ten years), 80 MB before compression.
INCLUDE_SLICE = 50_000


def unique_keys(pk: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(pk, return_inverse=True) for person keys 0 <= pk < n. For many keys, from a table of marks over all
    n keys: a pass over the keys instead of a sort (a pool's million pairs: 4 ms against 20-35 ms); a few keys
    among many persons are sorted, which costs less than a table of them all."""
    if len(pk) < n // 16:
        uniq, back = np.unique(pk, return_inverse=True)
        return uniq, back.reshape(-1)
    seen = np.zeros(n, dtype=bool)
    seen[pk] = True
    uniq = np.flatnonzero(seen)
    rank = np.empty(n, dtype=np.int64)
    rank[uniq] = np.arange(len(uniq))
    return uniq, rank[pk]


@dataclass
class StatePairs:
    """A cached risk set of one state rule: the index weeks computed, their (pk, iwk) rows and their persons."""

    weeks: np.ndarray
    pairs: pd.DataFrame
    persons: np.ndarray


@dataclass
class Store:
    engine: Engine
    # SELECT of a register's rows for the persons in a relation, optionally within a key range (Registers.rows_of)
    rows_of: Callable[[str, str, str, tuple[int, int] | None, str], str]
    attach_keyed: Callable[[Callable[[], str], bool], bool] | None = None  # Registers.attach_keyed
    keyed: bool = False  # the registers' keyed copy is attached (queries over `keyed_benefits` by pk)
    code_list: list[str] = field(default_factory=list)  # every benefit code of the folder, sorted (numbered by rank)
    _asked: set[bool] = field(default_factory=set, repr=False)  # the `write` flags attach_keyed was called with
    names: Names = field(default_factory=lambda: Names(f"_p{next(_COUNTER)}_"))
    _n: int | None = None  # persons (the key map is made)
    _done: np.ndarray | None = field(default=None, repr=False)  # per key: the person's row is copied (px)
    # Per register (benefits, employment): per key, whether the person's rows are copied, and the week or month
    # from which every such person's rows are (-inf: every row): the least `since` any `include` asked of it
    # (+inf: none asked yet).
    _held: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    _floor: tuple[float, float] = (math.inf, math.inf)
    _broken: bool = False  # a copy stopped part-way (`_copy`): some rows are there twice or not at all
    person_columns: tuple[str, ...] = ()
    memo: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)
    state_pairs: dict[tuple, StatePairs] = field(default_factory=dict, repr=False)
    _persons: pd.DataFrame | None = field(default=None, repr=False)
    # Per person key, made once and followed by an entry for key -1 (no person), which index -1 reads: each birth
    # date as the age rule's parts (calendar.date_parts) and whether it is missing; each text column's codes.
    _birth: tuple[np.ndarray, np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    _texts: dict[str, tuple[np.ndarray, pa.Array]] = field(default_factory=dict, repr=False)
    _types: dict[str, str] = field(default_factory=dict, repr=False)
    _end_of_data: tuple[int | None, int | None] | None = None

    # ---- keys ------------------------------------------------------------------------------------------------------
    def _keys_ready(self) -> None:
        if self._n is not None:
            return
        e, n = self.engine, self.names
        e.table(n.pkmap, queries.PERSON_KEYS)
        self._n = int(e.one(f"SELECT count(*) FROM {n.pkmap}")[0])
        self._done = np.zeros(self._n, dtype=bool)
        self._held = (np.zeros(self._n, dtype=bool), np.zeros(self._n, dtype=bool))
        self._types = dict(e.columns("persons"))
        self.person_columns = tuple(c for c in self._types if c != "person_id")
        # empty copies of the registers' rows, filled person by person by `include`
        e.table(n.px, f"SELECT CAST(0 AS INTEGER) AS pk, * FROM ({queries.PERSON_COLUMNS}) x")
        # Benefit codes are copied as their rank among the folder's codes (`cn`, as in the keyed copy), and the
        # catalogue is joined by it (`cat`): a copied week costs 10 bytes instead of 24, and no string per row.
        e.put(n.codes, pd.DataFrame({"cn": np.arange(len(self.code_list)), "code": list(self.code_list)}),
              "CAST(cn AS SMALLINT) AS cn, CAST(code AS VARCHAR) AS code")
        e.table(n.cat, queries.numbered_catalogue(n))
        e.kept_table(n.pb, "SELECT CAST(0 AS INTEGER) AS pk, CAST(0 AS INTEGER) AS wk, CAST(0 AS SMALLINT) AS cn LIMIT 0")
        e.kept_table(n.pe, "SELECT CAST(0 AS INTEGER) AS pk, CAST(0 AS INTEGER) AS mo, CAST(0 AS DOUBLE) AS employment_rate, "
                      "CAST(false AS BOOLEAN) AS temp_agency LIMIT 0")

    def keyed_now(self, write: bool = True) -> bool:
        """Whether queries may read the registers' keyed copy, attached on the first question. `write`: a run that
        copies persons' rows (populations, trajectories, job rotation) may write the copy (registers/keyed.py); one
        that only counts (indicators) reads a copy that is there, and leaves no marker. Person keys are read only
        when the copy is written (`pkmap`): a run that only counts never holds every person id in Python."""
        if not self.keyed and self.attach_keyed is not None and write not in self._asked and True not in self._asked:
            self._asked.add(write)
            self.keyed = self.attach_keyed(self.pkmap, write)
        return self.keyed

    def pkmap(self) -> str:
        """The table person_id -> pk of everyone, in the engine."""
        self._keys_ready()
        return self.names.pkmap

    @property
    def n_persons(self) -> int:
        """Persons in `persons` (keys are 0 .. n_persons - 1)."""
        self._keys_ready()
        assert self._n is not None  # _keys_ready set it
        return self._n

    def ids_of(self, pk) -> np.ndarray:
        """Person ids of keys `pk` (each 0 <= pk < n_persons), as Python strings; one string per distinct person,
        shared by its repeats."""
        back = self._look_up(pk)
        ids = np.asarray(self.engine.arrays(queries.ids_of(self.names))["person_id"], dtype=object)
        return ids[back] if len(back) else np.zeros(0, dtype=object)

    def ids_column(self, pk):
        """The ids of `ids_of` as pandas' text array, for a frame's column: each distinct id read once and repeated
        in Arrow (a frame converts an array of Python strings to Arrow one string at a time)."""
        back = self._look_up(pk)
        ids = self.engine.arrow(queries.ids_of(self.names)).column("person_id").cast(pa.large_string())
        return pd.array(ids.take(pa.array(back)), dtype=calendar.TEXT)

    def _look_up(self, pk) -> np.ndarray:
        """Put the distinct keys of `pk` in the lookup table (queries.ids_of reads them, in key order); each key's
        position among them."""
        self._keys_ready()
        pk = np.asarray(pk, dtype=np.int64).reshape(-1)
        if len(pk) and (pk.min() < 0 or pk.max() >= self.n_persons):
            raise IndexError(f"person key out of range 0..{self.n_persons - 1}")
        uniq, back = unique_keys(pk, self.n_persons)
        self.engine.put(self.names.lookup, pd.DataFrame({"pk": uniq.astype(np.int32)}), "CAST(pk AS INTEGER) AS pk")
        return back.reshape(-1)

    def keys(self, person_ids) -> np.ndarray:
        """pk per person id, -1 for ids not in persons (and for values that are not text)."""
        self._keys_ready()
        ids = np.asarray(person_ids, dtype=object).reshape(-1)
        out = np.full(len(ids), -1, dtype=np.int64)
        text = np.fromiter((isinstance(x, str) for x in ids), dtype=bool, count=len(ids))
        if not text.any():
            return out
        e, n = self.engine, self.names
        at = np.flatnonzero(text)
        e.put(n.lookup, pd.DataFrame({"i": at, "person_id": ids[at]}),
              "CAST(i AS BIGINT) AS i, CAST(person_id AS VARCHAR) AS person_id")
        found = e.arrays(queries.keys_of(n))
        out[np.asarray(found["i"], dtype=np.int64)] = np.asarray(found["pk"], dtype=np.int64)
        return out

    def include(self, pk: np.ndarray, since: tuple[float, float] | None = None) -> None:
        """Copy the rows of persons `pk` into the store's tables: one scan of each register for the persons not
        there yet, so a caller that names a generous superset early saves later scans.

        `since`: the (week, month) ordinals from which the caller reads these persons' benefit weeks and employment
        months (+inf: none of that register); None: every row. Each register's copy holds the rows of its persons
        from its floor on, the least `since` asked of it, so a question that reaches further back first copies the
        older rows of the persons already there (one more scan). A run that reads a year or two of ten years'
        registers (windows before an index, months after it) then copies a fraction of its persons' rows, and a
        register no covariate reads is copied for the persons whose outcomes are read, not for the whole pool."""
        self._keys_ready()
        assert self._done is not None and self._held is not None  # _keys_ready set them
        self._usable()
        pk = np.unique(np.asarray(pk)[np.asarray(pk) >= 0])
        if not len(pk):
            return
        try:
            want = (-math.inf, -math.inf) if since is None else since
            new = pk[~self._done[pk]]
            if len(new):
                self._put_keys(new)
                names = ["person_id", *self.person_columns]
                self.engine.append(self.names.px, queries.copy_persons(self.names, names))
                self._done[new] = True
            floors = list(self._floor)
            fresh: list[tuple[np.ndarray, list[tuple[int, float, float]]]] = []
            for t, held in enumerate(self._held):
                if want[t] == math.inf:
                    continue  # the caller reads nothing of this register
                if want[t] < floors[t]:
                    had = np.flatnonzero(held)
                    if len(had):
                        self._copy(had, [(t, want[t], floors[t])])
                    floors[t] = want[t]
                    self._floor = (floors[0], floors[1])
                more = pk[~held[pk]]
                if len(more):  # persons new to both registers are copied in one pass of slices
                    same = [job for job in fresh if np.array_equal(job[0], more)]
                    if same:
                        same[0][1].append((t, floors[t], math.inf))
                    else:
                        fresh.append((more, [(t, floors[t], math.inf)]))
            for keys, jobs in fresh:
                self._copy(keys, jobs)
        except BaseException:
            # Rows copied so far are in the tables, and the floors and marks do not say so: a later question would
            # copy them again. The store is given up instead (an interrupted notebook cell, a full disk).
            self._broken = True
            raise

    def _put_keys(self, keys: np.ndarray) -> None:
        """The relation `new` (pk, person_id) of persons `keys` (sorted), which the copies join."""
        e, n = self.engine, self.names
        e.put(n.lookup, pd.DataFrame({"pk": keys.astype(np.int32)}), "CAST(pk AS INTEGER) AS pk")
        e.table(n.new, queries.ids_of(n))

    def _copy(self, keys: np.ndarray, jobs: list[tuple[int, float, float]]) -> None:
        """Copy the rows of persons `keys` (sorted) for each job (register: 0 benefits, 1 employment; since; until):
        those from week or month `since` that are not held from `until` on (queries.copied_range); mark them held."""
        assert self._held is not None
        # From the keyed copy the rows are copied in slices of persons, each stored compressed before the next
        # (engine.compact): the copy then never holds more than a slice uncompressed, and a slice's key range reads
        # only the copy's row groups of those keys (each spans a narrow range of keys), so the slices together
        # cost one scan. Without the copy, slices would each scan the registers: one slice.
        size = INCLUDE_SLICE if self.keyed_now() else len(keys)  # rows_of reads the keyed copy when there is one
        n = self.names
        targets = [(("benefits", n.pb, "wk"), ("employment", n.pe, "mo"))[t] + (t, since, until)
                   for t, since, until in jobs]
        self._put_keys(keys)
        for at in range(0, len(keys), size):
            part = keys[at:at + size]
            span = (int(part[0]), int(part[-1])) if self.keyed else None
            for table, name, column, t, since, until in targets:
                self.engine.append(name, self.rows_of(table, n.new, n.codes, span,
                                                      queries.copied_range(column, since, until)))
            self.engine.compact()
            for _, _, _, t, _, _ in targets:
                self._held[t][part] = True

    def _usable(self) -> None:
        if self._broken:
            raise EngineError("the panel's copies of register rows were left part-way by an interrupted copy; "
                              "load the registers again (virkning.registers.load) to ask further questions")

    def covers(self, pk: np.ndarray, since: tuple[float, float]) -> bool:
        """Whether the copies hold every row from week and month `since` (+inf: none of that register) of persons
        `pk` (keys, all >= 0)."""
        self._keys_ready()
        assert self._held is not None
        self._usable()
        pk = np.asarray(pk, dtype=np.int64)
        return all(s == math.inf or (f <= s and bool(held[pk].all()))
                   for held, f, s in zip(self._held, self._floor, since))

    # ---- persons ---------------------------------------------------------------------------------------------------
    def persons(self) -> pd.DataFrame:
        """birth_date and municipality (categorical) of everyone, row i for person key i (read once)."""
        if self._persons is None:
            self._keys_ready()
            e = self.engine
            frame = e.frame(queries.PERSONS_BY_KEY)
            names = pd.Index(list(e.arrays(queries.PERSON_MUNICIPALITIES)["municipality"]), dtype=object)
            # categories: each name once and a small code per person (-1: none, read as NaN), so a pool rule on
            # municipalities compares codes, not millions of strings
            frame["municipality"] = pd.Categorical.from_codes(frame["municipality"].to_numpy(dtype=np.int64), names)
            self._persons = frame
        return self._persons

    def person_types(self) -> dict[str, str]:
        """The persons table's column types (DuckDB's names), by column."""
        self._keys_ready()
        return self._types

    def read_texts(self, columns: list[str]) -> None:
        """Read text columns of persons for everyone (those not read yet, in one query), each as a code per person
        key (-1: missing) into its distinct values (large_string): four bytes a person instead of a string, and a
        pair's value is a code looked up (`texts`)."""
        new = [c for c in dict.fromkeys(columns) if c not in self._texts]
        if not new:
            return
        self._keys_ready()
        e = self.engine
        # each column's values and codes in a table of its own, which both the persons' codes and the values are
        # read from: the same code for the same value whatever order the engine sorts text in
        levels = {c: f"{self.names.levels}{i}" for i, c in enumerate(new)}
        for c, table in levels.items():
            e.table(table, queries.text_levels(c))
        codes = e.arrays(queries.coded_persons(levels))
        for c, table in levels.items():
            assert len(codes[c]) == self.n_persons  # a row per key
            values = e.arrow(f"SELECT v FROM {table} ORDER BY c").column("v").combine_chunks()
            coded = np.append(np.asarray(codes[c], dtype=np.int32), np.int32(-1))  # key -1: missing
            self._texts[c] = (coded, values.cast(pa.large_string()))
            e.drop(table)

    def texts(self, column: str, pk: np.ndarray, mapping: Callable[[str], str | None] | None = None) -> pa.Array:
        """Text column `column` of persons `pk` (-1: none, a missing value), each value through `mapping` if
        given."""
        at, values = self._pair_codes(column, pk)
        if mapping is not None:
            values = pa.array([mapping(v) for v in values.to_pylist()], type=pa.large_string())
        return values.take(pa.array(at, type=pa.int32(), mask=at < 0))

    def text_codes(self, column: str, pk: np.ndarray,
                   mapping: Callable[[str], str | None] | None = None) -> tuple[np.ndarray, list[str]]:
        """What `texts` gives, as codes: per person of `pk`, the position of its value in the returned levels (-1:
        missing), so equal codes are equal values and no string is made per pair (the exact cells of a pool's
        million pairs need the groups only)."""
        at, values = self._pair_codes(column, pk)
        levels = values.to_pylist()
        if mapping is None:
            return at, levels
        mapped = [mapping(v) for v in levels]
        kept = list(dict.fromkeys(v for v in mapped if v is not None))
        where = {v: i for i, v in enumerate(kept)}
        # a code per value, and -1 (missing) in the last place, where a missing person's -1 reads it
        to = np.array([where[v] if v is not None else -1 for v in mapped] + [-1], dtype=np.int64)
        return to[at], kept

    def _pair_codes(self, column: str, pk: np.ndarray) -> tuple[np.ndarray, pa.Array]:
        """Text column `column` read (`read_texts`): the code of each person of `pk` (an integer array; -1: none or
        missing) and the values the codes index."""
        self.read_texts([column])
        codes, values = self._texts[column]
        return codes[np.asarray(pk, dtype=np.int64)], values

    def ages(self, pk: np.ndarray, at) -> np.ndarray:
        """Completed years of persons `pk` at dates `at` (calendar.completed_years: the one age rule); NaN for a key
        -1 (no person)."""
        if self._birth is None:
            # the parts, not the dates: a pool's million pairs then need no date arithmetic per pair and call
            birth = self.persons()["birth_date"].to_numpy().astype("datetime64[D]")
            parts = (*calendar.date_parts(birth), np.isnat(birth))
            # key -1: missing; each part keeps its narrow type (np.append of a Python int would widen it to int64)
            by, bmd, missing = (np.append(a, a.dtype.type(end)) for a, end in zip(parts, (0, 0, True)))
            self._birth = (by, bmd, missing)
        by, bmd, missing = self._birth
        pk = np.asarray(pk, dtype=np.int64)
        return calendar.years_since(by[pk], bmd[pk], missing[pk], at)

    # ---- end of data -----------------------------------------------------------------------------------------------
    def end_of_data(self) -> tuple[int | None, int | None]:
        """(last benefit week, last employment month) in the registers."""
        if self._end_of_data is None:
            self._end_of_data = tuple(self.engine.one(queries.END_OF_DATA))
        return self._end_of_data

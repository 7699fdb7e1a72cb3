"""Populations: participants from events, the comparison pool as a risk set, exclusions and the flow table.

Participants are persons with a given event in a date window; the index date is their first such event. The pool
is declared by rules and aligned on risk sets: a person is a candidate for the participants of index week w only if
the person is eligible in week w, and is then measured from w. A pool person eligible in several index weeks is a
candidate in each (one row per person and week); matching is done within index weeks, so a control person may
serve participants of different weeks, and standard errors are clustered on the control person to allow for that.

Every person who leaves is counted: `flow` has one row per step for participants and pool.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from virkning.errors import DesignError
from virkning.registers import calendar
from virkning.registers.catalogue import GROUPS, MONTHLY_STATUSES, STATES, canonical_state

if TYPE_CHECKING:
    from virkning.panel import Panel
    from virkning.registers import Registers

COMPARISONS = {">": np.greater, ">=": np.greater_equal, "<": np.less, "<=": np.less_equal, "==": np.equal, "!=": np.not_equal}


@dataclass(frozen=True)
class ParticipantRule:
    """Who took part: persons with `event` between `start` and `end` (inclusive), optionally only some units."""

    event: str
    start: dt.date | None = None
    end: dt.date | None = None
    units: tuple[str, ...] | None = None
    # Participants given by the caller instead of events: (person_id, index date, unit) rows from a registration
    # sheet (e.g. the substitutes of job rotations); `event` then only names them in messages.
    given: tuple[tuple[str, dt.date, str | None], ...] | None = None


@dataclass(frozen=True)
class PoolRule:
    """Who may be a control in index week w.

    `age`: (min, max) completed years, at the index date or on `age_date`; `states`: week offset -> state or group
    that the person must be in (e.g. {-1: "ledig", 0: "ledig"}); `exclude_municipalities`: "participants" (the
    municipalities where participants live), a list of codes, or None; `participants`: "never" (a participant is
    never a control) or "not_yet" (a later participant may be a control before its own index week).
    `apply_to_participants`: participants must meet the age and state rules too, so both groups are comparable.
    """

    age: tuple[int, int] | None = None
    age_date: dt.date | None = None
    states: dict[int, str] = field(default_factory=dict)
    exclude_municipalities: str | tuple[str, ...] | None = "participants"
    participants: str = "never"
    apply_to_participants: bool = True

    def key(self) -> tuple:
        """The rule as a hashable value (runs with equal rules share their populations)."""
        return (self.age, self.age_date, tuple(sorted(self.states.items())), self.exclude_municipalities,
                self.participants, self.apply_to_participants)


@dataclass(frozen=True)
class Exclusion:
    """Drop pairs whose covariate satisfies `op value` (e.g. employment_at_0 > 0), in both groups alike."""

    name: str
    covariate: str
    op: str
    value: float

    def __post_init__(self):
        if self.op not in COMPARISONS:
            raise DesignError(f"exclusion '{self.name}': op expected one of {', '.join(COMPARISONS)}; got '{self.op}'")


@dataclass(frozen=True)
class Populations:
    """Participants and pool pairs ready for covariates and matching, and the flow that led to them."""

    participants: pd.DataFrame  # person_id, index_date, index_week (label), iwk, imo, unit, pk (person key)
    pool: pd.DataFrame  # person_id, index_week (label), iwk, imo, pk
    flow: pd.DataFrame  # step, participants, pool_persons, pool_pairs

    def pairs(self, month_labels: bool = True) -> pd.DataFrame:
        """Participants and pool together: person_id, index_week, index_month, index_date, treat, unit (and iwk,
        imo, pk). `month_labels=False` leaves out index_month (the label of imo), for a caller that labels only the
        pairs it keeps."""
        p = self.participants.assign(treat=1)
        c = self.pool.assign(treat=0, unit=None, index_date=calendar.week_mondays(self.pool["iwk"]))
        p = p.assign(index_date=pd.to_datetime(p["index_date"]).to_numpy().astype("datetime64[D]"))
        cols = ["person_id", "index_week", "iwk", "imo", "index_date", "treat", "unit", "pk"]
        out = pd.concat([p[cols], c[cols]], ignore_index=True)
        if month_labels:
            out["index_month"] = calendar.month_label_column(out["imo"])
        return out

    def with_step(self, step: str, participants: int, pool_persons: int, pool_pairs: int) -> "Populations":
        """A copy with one more flow row (used by later stages such as matching)."""
        row = pd.DataFrame([{"step": step, "participants": participants, "pool_persons": pool_persons, "pool_pairs": pool_pairs}])
        return Populations(self.participants, self.pool, _flow_frame(self.flow.to_dict("records") + row.to_dict("records")))


def _persons_in(frame: pd.DataFrame) -> int:
    if "pk" in frame:
        return count_keys(frame["pk"].to_numpy())
    col = frame["person_id"]
    return int(len(np.unique(col.to_numpy()))) if col.dtype != object else int(col.nunique())


def count_keys(pk: np.ndarray) -> int:
    """The number of distinct person keys (integers from 0) in `pk`: each marked in a table of all keys, a pass
    over the array instead of the hash table np.unique builds (50 times quicker for a pool's million pairs, and a
    flow counts the pool at every step)."""
    if not len(pk):
        return 0
    lo, hi = int(pk.min()), int(pk.max())
    if lo < 0 or hi > 8 * len(pk) + (1 << 20):  # not keys, or keys so sparse that the table would outweigh them
        return int(len(np.unique(pk)))
    seen = np.zeros(hi + 1, dtype=bool)
    seen[pk] = True
    return int(np.count_nonzero(seen))


def _flow_row(step: str, participants: pd.DataFrame, pool: pd.DataFrame | None) -> dict:
    return {
        "step": step,
        "participants": _persons_in(participants),
        "pool_persons": None if pool is None else _persons_in(pool),
        "pool_pairs": None if pool is None else int(len(pool)),
    }


def _pool_row(step: str, pool: pd.DataFrame) -> dict:
    """A flow row for a step that only narrows the pool."""
    return {"step": step, "participants": None, "pool_persons": _persons_in(pool), "pool_pairs": int(len(pool))}


def find_participants(regs: "Registers", rule: ParticipantRule, panel: "Panel | None" = None
                      ) -> tuple[pd.DataFrame, list[dict]]:
    """First event per person in the window. Returns participants and flow rows (registered, found in registers)."""
    if rule.given is not None:
        return _given_participants(rule, panel or regs.panel())
    if "events" not in regs.tables:
        raise DesignError("participants are defined by events, but the data folder has no events table")
    panel = panel or regs.panel()
    ev = panel.first_events(rule.event, rule.start, rule.end, rule.units)
    if ev.empty:
        hint = "" if panel.event_count(rule.event) else (
            f"; no event is called '{rule.event}' (events: " + ", ".join(panel.event_names()) + ")")
        raise DesignError(f"participants: no '{rule.event}' events in the window{hint}")
    flow = [{"step": "registered (event in window)", "participants": int(len(ev)), "pool_persons": None, "pool_pairs": None}]
    ev = ev[ev["found"]].drop(columns="found").reset_index(drop=True)
    flow.append(_flow_row("found in registers", ev, None))
    dates = pd.to_datetime(ev["index_date"]).dt.date
    ev["index_date"] = dates
    ev["iwk"] = calendar.date_weeks(pd.to_datetime(ev["index_date"]))
    ev["imo"] = calendar.week_months(ev["iwk"])  # one rule with the pool: the month of the index week's Thursday
    ev["index_week"] = calendar.week_label_column(ev["iwk"])
    return ev[["person_id", "index_date", "index_week", "iwk", "imo", "unit"]], flow


def _given_participants(rule: ParticipantRule, panel: "Panel") -> tuple[pd.DataFrame, list[dict]]:
    """Participants the caller lists (first date per person within the window), with the same flow rows."""
    assert rule.given is not None  # the one caller comes here only when the rule lists its participants
    ev = pd.DataFrame(list(rule.given), columns=["person_id", "index_date", "unit"])
    ev["person_id"] = ev["person_id"].astype(str)
    ev["index_date"] = pd.to_datetime(ev["index_date"]).dt.date
    if rule.start:
        ev = ev[ev["index_date"] >= rule.start]
    if rule.end:
        ev = ev[ev["index_date"] <= rule.end]
    if ev.empty:
        raise DesignError(f"participants: none of the given {rule.event} lie in the window")
    ev = ev.sort_values(["person_id", "index_date"], kind="stable").drop_duplicates("person_id").reset_index(drop=True)
    flow = [{"step": f"registered ({rule.event})", "participants": int(len(ev)), "pool_persons": None,
             "pool_pairs": None}]
    ev = ev[panel.keys(ev["person_id"].to_numpy()) >= 0].reset_index(drop=True)
    flow.append(_flow_row("found in registers", ev, None))
    ev["iwk"] = calendar.date_weeks(pd.to_datetime(ev["index_date"]))
    ev["imo"] = calendar.week_months(ev["iwk"])  # one rule with the pool: the month of the index week's Thursday
    ev["index_week"] = calendar.week_label_column(ev["iwk"])
    return ev[["person_id", "index_date", "index_week", "iwk", "imo", "unit"]], flow


def _window(rule: ParticipantRule, weeks: np.ndarray) -> np.ndarray:
    """Every week of the participant window (or of the span of index weeks when the window is open): state pairs
    for all of them cost about as much as for the index weeks alone, and serve later runs with other events."""
    lo = calendar.date_week(rule.start) if rule.start else int(weeks.min())
    hi = calendar.date_week(rule.end) if rule.end else int(weeks.max())
    return np.arange(min(lo, int(weeks.min())), max(hi, int(weeks.max())) + 1, dtype=np.int64)


def _check_states(states: dict[int, str]) -> None:
    for offset, state in sorted(states.items()):
        canon = canonical_state(state)
        if canon is None or canon in MONTHLY_STATUSES:
            raise DesignError(f"pool rule: '{state}' in week {offset} is not a state or group of the DREAM code "
                              f"catalogue; expected one of {', '.join((*STATES, *GROUPS))}")


def _since(weeks: np.ndarray, history: tuple[float, float] | None, exclusions: Sequence[Exclusion],
           panel: "Panel") -> tuple[float, float] | None:
    """The earliest week and month of the persons' rows the run's covariates and exclusions read (Store.include):
    `history` and the exclusions' (Panel.history, relative to an index) from the earliest index week (`weeks`,
    sorted) and its month; +inf where they read none of a register. None: every row."""
    reach = panel.history([ex.covariate for ex in exclusions]) if history is not None else None
    if history is None or reach is None or not len(weeks):
        return None
    month = int(calendar.week_months(weeks[:1])[0])  # a pair's index month is its index week's (find_participants)
    week = min(history[0], reach[0])
    # Outcomes read the weeks of the months after the index from the week before the next month's first day, which
    # may be the week before the index week: a copy of the weeks that starts later would cost one more pass.
    return int(weeks[0]) + (week if week == math.inf else min(week, -1)), month + min(history[1], reach[1])


def build_populations(regs: "Registers", participants: ParticipantRule, pool: PoolRule,
                      exclusions: Sequence[Exclusion] = (), *, panel: "Panel | None" = None,
                      horizon: int | None = None, full_followup: bool = False,
                      history: tuple[float, float] | None = None) -> Populations:
    """Participants and risk-set pool with the flow table; exclusions are applied to both groups alike.
    `history`: the earliest week and month, relative to an index, that the run's covariates read (Panel.history;
    None: every week), so that the persons' rows copied here start there (and a register they do not read is
    copied later, for the persons whose outcomes are read)."""
    if pool.participants not in ("never", "not_yet"):
        raise DesignError(f"pool rule 'participants': expected one of never, not_yet; got '{pool.participants}'")
    panel = panel or regs.panel()
    _check_states(pool.states)
    part, flow = find_participants(regs, participants, panel)
    persons = panel.persons()
    part["pk"] = panel.keys(part["person_id"])  # participants are in persons (find_participants checked)
    weeks = np.unique(part["iwk"].to_numpy())

    in_states = panel.state_pairs(weeks, pool.states, _window(participants, weeks) if pool.states else None)
    # per person key: lives in a municipality the pool excludes
    excluded = None if pool.exclude_municipalities is None else _excluded(panel, pool, part)
    if pool.states:
        # Every later step of this run touches only these persons: copy their register rows in one go. The pool's
        # rules on the person alone (age, municipality) narrow them first (the Seniorvikar design at 5,000,000
        # persons: by two fifths). A run whose rules are wider (a robustness variant) copies the persons it lacks
        # when it asks for them (Panel._register), in one more pass over the registers.
        persons_in = panel.state_persons(pool.states)
        persons_in = persons_in[_may_be_in_pool(panel, persons_in, pool, excluded, weeks)]
        panel.store.include(np.union1d(persons_in, part["pk"]), _since(weeks, history, exclusions, panel))
    cand = in_states
    flow.append(_pool_row("pool: in the required states in a participant index week", cand))

    if pool.age is not None:
        lo, hi = pool.age
        at_c = np.datetime64(pool.age_date, "D") if pool.age_date else calendar.week_mondays(cand["iwk"])
        age = panel.ages(cand["pk"].to_numpy(), at_c)
        cand = cand[(age >= lo) & (age <= hi)]
        flow.append(_pool_row(f"pool: aged {lo}-{hi}", cand))

    if excluded is not None:
        cand = cand[~excluded[cand["pk"].to_numpy()]]
        flow.append(_pool_row("pool: not living in a participant municipality" if pool.exclude_municipalities
                              == "participants" else "pool: not living in the excluded municipalities", cand))

    first_wk = np.full(len(persons), np.iinfo(np.int64).max, dtype=np.int64)  # a participant's index week
    first_wk[part["pk"].to_numpy()] = part["iwk"].to_numpy()
    pk_c = cand["pk"].to_numpy()
    is_part = first_wk[pk_c] < np.iinfo(np.int64).max
    if pool.participants == "never":
        cand = cand[~is_part]
        label = "pool: never a participant"
    else:
        cand = cand[cand["iwk"].to_numpy() < first_wk[pk_c]]
        label = "pool: not yet a participant in the week"
    flow.append(_pool_row(label, cand))

    if pool.apply_to_participants and (pool.states or pool.age):
        ok = np.ones(len(part), dtype=bool)
        if pool.states:
            hit = part[["pk", "iwk"]].merge(in_states.assign(_in=True), on=["pk", "iwk"], how="left")
            ok &= hit["_in"].fillna(False).to_numpy(dtype=bool)
        if pool.age is not None:
            at_p = (np.datetime64(pool.age_date, "D") if pool.age_date
                    else pd.to_datetime(part["index_date"]).to_numpy())
            a = panel.ages(part["pk"].to_numpy(), at_p)
            ok &= (a >= pool.age[0]) & (a <= pool.age[1])
        part = part[ok]
        flow.append(_flow_row("eligible (same age and state rules as the pool)", part, cand))

    part = part.reset_index(drop=True)
    cand = cand.reset_index(drop=True)
    cand["imo"] = calendar.week_months(cand["iwk"])

    for ex in exclusions:
        part, cand, row = _apply_exclusion(panel, part, cand, ex)
        flow.append(row)
    if full_followup:
        if not horizon:
            raise DesignError("full follow-up needs a horizon in months")
        end = panel.end_month()
        part = part[part["imo"] + horizon <= end]
        cand = cand[cand["imo"] + horizon <= end]
        flow.append(_flow_row(f"full follow-up of {horizon} months (data end {calendar.month_label(end)})", part, cand))
    cand = cand[cand["iwk"].isin(part["iwk"])].reset_index(drop=True)  # weeks without participants: no use
    # the kept candidates' ids and week labels, made once at the end (text for a million pairs is slow to filter)
    cand["person_id"] = panel.ids_column(cand["pk"].to_numpy())
    cand["index_week"] = calendar.week_label_column(cand["iwk"])
    return Populations(part.reset_index(drop=True),
                       cand[["person_id", "index_week", "iwk", "imo", "pk"]].reset_index(drop=True), _flow_frame(flow))


def _may_be_in_pool(panel: "Panel", pk: np.ndarray, pool: PoolRule, excluded: np.ndarray | None,
                    weeks: np.ndarray) -> np.ndarray:
    """Which persons `pk` the pool's rules on the person alone could keep in some index week `weeks`: a superset of
    the pool's persons (an age at the index date is bounded by the ages at the first and the last index week).
    `excluded`: per person key, whether the pool excludes the person's municipality (None: no such rule)."""
    ok = np.ones(len(pk), dtype=bool)
    if pool.age is not None and len(pk):
        lo, hi = pool.age
        if pool.age_date:
            age = panel.ages(pk, np.datetime64(pool.age_date, "D"))
            ok &= (age >= lo) & (age <= hi)
        elif len(weeks):
            mondays = calendar.week_mondays(np.array([weeks.min(), weeks.max()]))
            ok &= (panel.ages(pk, mondays[0]) <= hi) & (panel.ages(pk, mondays[1]) >= lo)
    if excluded is not None:
        ok &= ~excluded[pk]
    return ok


def _excluded(panel: "Panel", pool: PoolRule, part: pd.DataFrame) -> np.ndarray:
    """Per person key: whether the person lives in a municipality the pool excludes."""
    municipality = panel.persons()["municipality"].cat  # codes (-1: none) and the distinct names
    codes = municipality.codes.to_numpy()
    rule = pool.exclude_municipalities
    if rule == "participants":
        excluded = np.unique(codes[part["pk"].to_numpy()])
    else:
        excluded = np.flatnonzero(municipality.categories.isin(set(rule or ())))
    return np.isin(codes, excluded[excluded >= 0])


def _flow_frame(rows: list[dict]) -> pd.DataFrame:
    flow = pd.DataFrame(rows, columns=["step", "participants", "pool_persons", "pool_pairs"])
    return flow.astype({"participants": "Int64", "pool_persons": "Int64", "pool_pairs": "Int64"})


def _apply_exclusion(panel, part, cand, ex: Exclusion):
    """The participants and candidates whose covariate does not meet the exclusion rule, and the flow row; a
    candidate's index date is its week's Monday."""
    p = {"pk": np.concatenate([part["pk"].to_numpy(dtype=np.int64), cand["pk"].to_numpy(dtype=np.int64)]),
         "iwk": np.concatenate([part["iwk"].to_numpy(dtype=np.int64), cand["iwk"].to_numpy(dtype=np.int64)]),
         "imo": np.concatenate([part["imo"].to_numpy(dtype=np.int64), cand["imo"].to_numpy(dtype=np.int64)]),
         "idate": np.concatenate([pd.to_datetime(part["index_date"]).to_numpy().astype("datetime64[D]"),
                                  calendar.week_mondays(cand["iwk"])])}
    values = pd.Series(panel.covariate_values(p, [ex.covariate])[ex.covariate]).to_numpy(dtype=float)
    drop = COMPARISONS[ex.op](values, ex.value)
    n = len(part)
    part = part[~drop[:n]]
    cand = cand[~drop[n:]]
    return part, cand, _flow_row(f"excluded: {ex.name} ({ex.covariate} {ex.op} {ex.value:g})", part, cand)

"""The Seniorvikar-like programme as a design of the weekly register engine (the default of `generate`).

`runner.run_engine` drives the weekly simulation; this class supplies what is particular to the programme: the
period it needs, the meeting schedule, the chunk-level bookkeeping (`programme.ChunkProgramme`), the events and
the truth (participants' outcomes with and without the programme). docs/synthetic-data.md describes it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

import numpy as np
import pyarrow as pa

from virkning.errors import VirkningError
from virkning.synth.params import ModelParams
from virkning.synth.programme import ChunkProgramme, build_schedule
from virkning.synth.timeline import month_label, month_ordinal
from virkning.synth.truth import INDEX_RULE, OUTCOMES, POPULATION, participant_outcomes, summarise


class SeniorvikarDesign:
    name = "seniorvikar"
    default_period = ("2015-01-01", "2019-07-31")
    default_horizon = 7
    tables = ("events",)

    def __init__(self, params: ModelParams):
        self.params = params
        self.y1s: list[np.ndarray] = []
        self.y0s: list[np.ndarray] = []
        self.employed_at_index: list[np.ndarray] = []
        self.events: list[tuple[int, object, object, object]] = []

    def seed_key(self, seed: int, version: int) -> list[int]:
        return [seed, version]

    def check(self, d0: dt.date, d1: dt.date, horizon: int) -> None:
        pp = self.params.programme
        if d0 > dt.date(pp.year, 1, 1):
            raise VirkningError(f"start {d0} is after the programme began ({pp.year}-01-01); start on or before it")
        last_index = pp.year * 12 + 11
        if month_ordinal(d1) < last_index + horizon:
            raise VirkningError(
                f"end {d1} leaves too little follow-up: meetings run to December {pp.year} and the horizon is "
                f"{horizon} months, so the period must reach {month_label(last_index + horizon)}; give a later end or "
                "a shorter horizon"
            )

    def geography(self, geo):
        return geo

    def context_extras(self, codes) -> dict:
        return {}

    def prepare(self, tl, geo, rng: np.random.Generator) -> None:
        self.tl, self.geo = tl, geo
        self.schedule = build_schedule(tl, self.params.programme, len(geo.project_codes), rng)

    def chunk_hook(self, ctx, pop, geo, lo: int, hi: int) -> ChunkProgramme:
        project = np.where(pop.invitable[lo:hi], geo.project_of[pop.municipality[lo:hi]], -1)  # -1: never invited
        return ChunkProgramme(ctx, self.schedule, project.astype(np.int8), pop.education[lo:hi])

    def collect(self, tl, codes, sim: dict, lo: int, hi: int, horizon: int) -> None:
        prog = sim["hook"]
        if prog.participants:
            persons_idx, tc, tf, ti = prog.twin_matrices(sim["code"], sim["frac"], sim["ind"])
            # the analysis's index month: the month of the meeting week's Thursday (docs/panel.md), for participants
            # and pool alike; the effect itself starts after the meeting date's month (programme.py)
            months = np.array([tl.week_month[p.week] for p in prog.participants], dtype=np.int64)
            y1, emp = participant_outcomes(tl, horizon, codes.retirement, months, sim["code"][:, persons_idx],
                                           sim["frac"][:, persons_idx], sim["ind"][:, persons_idx])
            y0, _ = participant_outcomes(tl, horizon, codes.retirement, months, tc, tf, ti)
            self.y1s.append(y1)
            self.y0s.append(y0)
            self.employed_at_index.append(emp)
        for person, day, event, project in prog.events:
            self.events.append((lo + person, day, event, project))

    def extra_tables(self, width: int) -> dict[str, pa.Table]:
        return {"events": events_table(self.events, width, self.geo.project_units)}

    def finish(self, horizon: int) -> None:
        self.y1 = np.concatenate(self.y1s) if self.y1s else np.zeros((0, len(OUTCOMES), horizon), dtype=bool)
        self.y0 = np.concatenate(self.y0s) if self.y0s else np.zeros_like(self.y1)
        self.emp = np.concatenate(self.employed_at_index) if self.employed_at_index else np.zeros(0, dtype=bool)

    def counts(self) -> dict:
        return {"participants": int(len(self.y1)), "participants_population": int((~self.emp).sum())}

    def truth(self, base: dict) -> dict:
        geo, pp, params = self.geo, self.params.programme, self.params
        return base | {
            "project_municipalities": list(geo.project_codes),
            "projects": [{"municipality": c, "name": str(geo.table.set_index("code").loc[c, "name"]), "unit": u}
                         for c, u in zip(geo.project_codes, geo.project_units)],
            "meeting_weeks": self.schedule.iso_weeks(self.tl),
            "n_participants": int(len(self.y1)),
            "n_population": int((~self.emp).sum()),
            "index_rule": INDEX_RULE,
            "population": POPULATION,
            "outcomes": summarise(self.y1, self.y0, ~self.emp),
            "outcomes_all": summarise(self.y1, self.y0, np.ones(len(self.y1), dtype=bool)),
            "effect": {k: v for k, v in asdict(pp).items() if k in (
                "effect_months", "job_hazard", "temp_shift_signed", "temp_shift_other", "retirement_hazard",
                "signup")},
            "sampling": {"seniors_only": params.population.seniors_only,
                         "senior_oversampling": None if params.population.seniors_only
                         else params.population.senior_oversampling,
                         "senior_born": [params.population.senior_born_from, params.population.senior_born_to],
                         "invite_share": params.programme.invite_share},
        }


def events_table(events: list, width: int, units) -> pa.Table:
    """(person index, day number, event, unit index) -> the events table, sorted by person, date, event."""
    if not events:
        return pa.table({"person_id": pa.array([], pa.string()), "date": pa.array([], pa.date32()),
                         "event": pa.array([], pa.string()), "unit": pa.array([], pa.string())})
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    return pa.table({
        "person_id": [f"P{p + 1:0{width}d}" for p, _, _, _ in events],
        "date": pa.array([d for _, d, _, _ in events], type=pa.int32()).cast(pa.date32()),
        "event": [e for _, _, e, _ in events],
        "unit": [units[u] for _, _, _, u in events],
    })

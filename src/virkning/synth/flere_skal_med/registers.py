"""Monthly states -> the written registers: weekly DREAM codes, monthly employment, persons, flags, records.

Every week of a month carries the month's code. Cash-benefit codes come in three families: 730 (kontanthjælp,
activity-ready), 720 (uddannelseshjælp, activity-ready: from 2014 for persons under 30 without a vocational or
higher education, until the month before their 30th birthday) and 130 (kontanthjælp, job-ready: the near-miss
kind). Within a family: passive +0 (+3 guidance in 8 % of passive months), education +4, wage subsidy +5/+6
(private/public), work trial +7/+8. Other states: fleksjob 771, ressourceforløb 810, førtidspension 783,
dagpenge before the spell 111; no code for jobs without benefit and self-support. All are checked against the
catalogue when a run starts.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from virkning.errors import CatalogueError
from virkning.registers.catalogue import load_catalogue
from virkning.synth.flere_skal_med.months import DP, ED, EMPL, FJ, FP, LT, OT, RF, RJ, VP, P
from virkning.synth.flere_skal_med.population import EDUCATIONS, JOBPARAT, UH_EDUCATIONS
from virkning.synth.writer import by_position, lookup

FAMILIES = {730: "kontanthjælp", 720: "kontanthjælp", 130: "kontanthjælp"}
FIXED = {771: "fleksjob", 810: "ressourceforløb", 783: "førtidspension", 111: "ledig"}
INDUSTRIES = ("471100", "561010", "812100", "873000", "881000", "521000", "101100", "410000")
TEMP = "782000"
EMPLOYMENT_RANGE = {OT: (0.05, 0.40), RJ: (0.5, 0.5), FJ: (0.25, 0.35), EMPL: (0.7, 0.3)}  # (lowest, span)


def check_codes() -> dict[str, str]:
    """Every code the generator writes, with its catalogue state; a CatalogueError if one is missing or wrong."""
    t = load_catalogue().table
    state = dict(zip(t["code"], t["state"]))
    need = {f"{c:03d}": s for c, s in FIXED.items()}
    for fam, s in FAMILIES.items():
        need[f"{fam:03d}"] = s
        for off in (3, 4, 5, 6, 7, 8):
            need[f"{fam + off:03d}"] = "aktivering"
    for code, s in need.items():
        if state.get(code) != s:
            raise CatalogueError(f"dream_codes.csv: code {code} must exist with state '{s}' for the Flere-skal-med "
                                 f"registers (found {state.get(code)!r}); restore the catalogue row")
    return need


def family(n_months: int, first_month: int, kind: np.ndarray, education: np.ndarray,
           birth_month: np.ndarray) -> np.ndarray:
    """int16 [month, person]: the cash-benefit family code (730, 720 or 130) each month."""
    mo = first_month + np.arange(n_months)[:, None]
    uh = np.isin(education, UH_EDUCATIONS)[None, :] & (mo >= 2014 * 12) & (mo < birth_month[None, :] + 360)
    fam = np.where(uh, 720, 730).astype(np.int16)
    fam[:, kind == JOBPARAT] = 130
    return fam


def month_codes(states: np.ndarray, fam: np.ndarray, variant: np.ndarray) -> np.ndarray:
    """int16 [month, person] DREAM code of every week of the month (0: none)."""
    code = np.zeros(states.shape, dtype=np.int16)
    code = np.where(states == P, fam + 3 * (variant < 0.08), code)
    code = np.where(states == VP, fam + 7 + (variant >= 0.6), code)
    code = np.where(states == LT, fam + 5 + (variant >= 0.5), code)
    code = np.where(states == ED, fam + 4, code)
    code = np.where(states == OT, fam, code)
    for s, c in ((FJ, 771), (RF, 810), (FP, 783), (DP, 111)):
        code = np.where(states == s, c, code)
    return code.astype(np.int16)


def month_rates(states: np.ndarray, u: np.ndarray) -> np.ndarray:
    """float64 [month, person] employment rate (0: no employment)."""
    rate = np.zeros(states.shape)
    for s, (lo, span) in EMPLOYMENT_RANGE.items():
        rate = np.where(states == s, lo + span * u, rate)
    return np.round(rate, 4)


_CODE_LABELS = pa.array([f"{i:03d}" for i in range(1000)])


def benefits_table(code_pw: np.ndarray, yyyyww: np.ndarray, ids: pa.Array) -> pa.Table:
    """code_pw int16 [person, week] (person-major, so rows come out sorted by person, then week); `ids`: the chunk's
    person ids."""
    nz = code_pw != 0
    flat = np.flatnonzero(nz)
    return pa.table({
        "person_id": by_position(np.repeat(np.arange(len(ids), dtype=np.int32), nz.sum(axis=1)), ids),
        "week": pa.array(yyyyww[flat % code_pw.shape[1]], type=pa.int32()),
        "code": _CODE_LABELS.take(pa.array(code_pw.ravel()[flat])),
    })


def employment_table(rate: np.ndarray, u_ind: np.ndarray, month_labels: list[str], ids: pa.Array) -> pa.Table:
    r = np.ascontiguousarray(rate.T)
    flat = np.flatnonzero(r)
    person, month = np.divmod(flat, r.shape[1])
    u = np.ascontiguousarray(u_ind.T).ravel()[flat]
    labels = [*INDUSTRIES, TEMP]
    ind = np.where(u < 0.05, len(INDUSTRIES), np.minimum(((u - 0.05) / 0.95 * len(INDUSTRIES)).astype(np.int64),
                                                         len(INDUSTRIES) - 1))
    values = r.ravel()[flat]
    return pa.table({
        "person_id": by_position(person, ids),
        "month": lookup(month, month_labels),
        "employment_rate": pa.array(values),
        "hours": pa.array(np.round(values * 160.0, 2)),
        "industry": lookup(ind, labels),
        "temp_agency": pa.array(ind == len(INDUSTRIES)),
    })


def persons_table(pop, lo: int, hi: int, ids: pa.Array, geo) -> pa.Table:
    sl = slice(lo, hi)
    mun = pop.municipality[sl]
    return pa.table({
        "person_id": ids,
        "birth_date": pa.array(pop.birth_day[sl], type=pa.int32()).cast(pa.date32()),
        "sex": lookup(np.where(pop.male[sl], 0, 1), ("M", "K")),
        "municipality": lookup(mun, list(geo.codes)),
        "origin": lookup(pop.origin[sl], ("dansk", "indvandrer", "efterkommer")),
        "education": lookup(pop.education[sl], EDUCATIONS),
        "a_kasse": pa.nulls(hi - lo, pa.string()),
        "region": lookup(geo.rar_of[mun], geo.rar_names),
    })


def flags_table(ids: pa.Array, hospital, handicap, measure, hours) -> pa.Table:
    return pa.table({
        "person_id": ids,
        "hospital_visits": pa.array(np.asarray(hospital, dtype=np.int8)),
        "handicap": pa.array(np.asarray(handicap, dtype=np.int8)),
        "earlier_employer_measure": pa.array(np.asarray(measure, dtype=np.int8)),
        "earlier_ordinary_hours": pa.array(np.asarray(hours, dtype=np.int8)),
    })

"""The truths of the Flere-skal-med registers: trajectories, linear-probability-model coefficients, units.

Outcome months (docs/synthetic-data.md gives the same definitions in terms of the written tables):

  virksomhedsforloeb  a week with wage subsidy or work trial (codes x35-x38 of the 130/720/730 families), with
                      ordinary education (x34, or SU 651) or fleksjob (771), or ordinary hours, in the month
  ordinaere_timer     employment rate > 0 in the month and no week with fleksjob (771) or wage subsidy (x35, x36)
  virksomhedsrettet   a week with wage subsidy or work trial (x35-x38)
  ren_beskaeftigelse  employment rate > 0 and no week with a code whose catalogue flag benefit = 1
  afklaring           a week with ressourceforløb (810-818) or førtidspension (783)

Month m after the index is the calendar month m after the index month; "ever" by m means in at least one of
months 1..m, "in_month" in month m.
"""

from __future__ import annotations

import numpy as np

from virkning.synth.flere_skal_med.months import OUTCOME_MASKS
from virkning.synth.flere_skal_med.params import CONTROLS, COVARIATES, SIZE_BANDS, FsmParams
from virkning.synth.flere_skal_med.plan import GROUP_KEYS, expected_ever

OUTCOMES = tuple(OUTCOME_MASKS)
DEFINITIONS = {
    "virksomhedsforloeb": "a week with wage subsidy or work trial (x35-x38 of the cash-benefit families 130, 720, "
                          "730), ordinary education (x34 or 651) or fleksjob (771), or ordinary hours, in the month",
    "ordinaere_timer": "employment rate > 0 in the month and no week with fleksjob (771) or wage subsidy (x35, x36)",
    "virksomhedsrettet": "a week with wage subsidy or work trial (x35-x38) in the month",
    "ren_beskaeftigelse": "employment rate > 0 and no week with a code whose catalogue flag benefit = 1 in the month",
    "afklaring": "a week with ressourceforløb (810-818) or førtidspension (783) in the month",
}
COVARIATE_DEFINITIONS = {
    "man": "sex = M",
    "age_40_plus": "aged 40 or more (whole years, birthday reached) on the index date",
    "immigrant_or_descendant": "origin indvandrer or efterkommer",
    "vocational_education": "education = erhvervsfaglig",
    "hospital_visits": "person_flags.hospital_visits = 1 (hospital visits 2017-18)",
    "handicap": "person_flags.handicap = 1",
    "earlier_employer_measure": "a week with wage subsidy or work trial (x35-x38) in 2015-2016 (weeks whose "
                                "Thursday is in 2015 or 2016); equals person_flags.earlier_employer_measure",
    "earlier_ordinary_hours": "a month of 2015-2016 with employment rate > 0 and no fleksjob or wage-subsidy week; "
                              "equals person_flags.earlier_ordinary_hours",
    "uddannelseshjaelp_dec_2016": "control: a week of December 2016 (by Thursday) with a code of the 720 family "
                                  "(uddannelseshjælp, activity-ready)",
}


def _round(v) -> list:
    return [None if not np.isfinite(x) else round(float(x), 6) for x in v]


def outcome_months(states: np.ndarray, index_pos: np.ndarray, horizon: int) -> np.ndarray:
    """states [month, person] of the persons -> bool [outcome, person, month 1..H]."""
    rows = index_pos[:, None] + 1 + np.arange(horizon)[None, :]
    s = states[rows, np.arange(states.shape[1])[:, None]]  # [person, H]
    return np.stack([mask[s] for mask in OUTCOME_MASKS.values()])


def trajectory(y1: np.ndarray, y0: np.ndarray, p: FsmParams, horizon: int, plans1, plans0, keep) -> dict:
    """Shares by month 1..H for the persons `keep` (y: bool [outcome, person, H] with and without programme)."""
    n = int(keep.sum())
    out: dict = {"n": n}
    exp1 = expected_ever(p, horizon, plans1["p_vf"][keep], plans1["p_ot"][keep], plans1["programme"][keep])
    exp0 = expected_ever(p, horizon, plans0["p_vf"][keep], plans0["p_ot"][keep], plans0["programme"][keep])
    for j, name in enumerate(OUTCOMES):
        a, b = y1[j, keep], y0[j, keep]
        ever1, ever0 = np.maximum.accumulate(a, axis=1), np.maximum.accumulate(b, axis=1)
        mean = (lambda x: x.mean(axis=0)) if n else (lambda x: np.full(horizon, np.nan))
        o = {"ever": _round(mean(ever1)), "in_month": _round(mean(a)),
             "ever_untreated": _round(mean(ever0)), "in_month_untreated": _round(mean(b))}
        key = {"virksomhedsforloeb": "vf", "ordinaere_timer": "ot"}.get(name)
        if key:
            o["ever_expected"] = exp1[key]
            o["ever_untreated_expected"] = exp0[key]
        out[name] = o
    return out


def lpm_truth(p: FsmParams, x: np.ndarray, c: np.ndarray, y1: np.ndarray, p_vf: np.ndarray, p_ot: np.ndarray,
              horizon: int) -> dict:
    """Coefficients of the linear probability models of group 1 (with the programme): the model's own (what OLS
    estimates without bias) and the projection of the persons' true probabilities on the covariates in this sample
    (what the estimate's expectation is, given the sample's covariates and municipalities)."""
    design = np.column_stack([np.ones(len(x)), x, c])
    out: dict = {"population": "group 1 (visitation group after the de-duplication rule), all persons",
                 "outcome": f"ever in the outcome in months 1..{horizon} after the index month",
                 "covariates": {k: COVARIATE_DEFINITIONS[k] for k in (*COVARIATES, *CONTROLS)},
                 "n": int(len(x))}
    out["programme_effect"] = p.programme_effect
    for name, model, prob in (("virksomhedsforloeb", p.vf if p.programme_effect else p.vf.scaled(p.k_vf), p_vf),
                              ("ordinaere_timer", p.ot if p.programme_effect else p.ot.scaled(p.k_ot), p_ot)):
        conditional = np.linalg.lstsq(design, prob, rcond=None)[0] if len(x) > design.shape[1] else \
            np.full(design.shape[1], np.nan)
        out[name] = {
            "coefficients": dict(zip(COVARIATES, model.coef)),
            "controls": dict(zip(CONTROLS, model.control)),
            "intercept_before_unit_effects": model.intercept,
            "conditional": dict(zip(("intercept", *COVARIATES, *CONTROLS), _round(conditional))),
            "mean_probability": round(float(prob.mean()), 6) if len(prob) else None,
        }
    ever: np.ndarray = y1[:, :, :].max(axis=2) if y1.shape[2] else np.zeros(y1.shape[:2], dtype=bool)
    out["means"] = {name: (round(float(ever[j].mean()), 6) if ever.shape[1] else None)
                    for j, name in enumerate(OUTCOMES)}
    return out


def size_band(inhabitants: np.ndarray) -> np.ndarray:
    return np.where(inhabitants <= 25_000, 0, np.where(inhabitants <= 50_000, 1, 2))


def units_truth(geo, band: np.ndarray, effect: np.ndarray, mun: np.ndarray, vf_ever: np.ndarray) -> dict:
    """Per municipality with group-1 persons: size band, the model's unit effect, count and realised share ever
    in virksomhedsforløb by the horizon."""
    out = {}
    for m in np.unique(mun):
        sel = mun == m
        out[str(geo.codes[m])] = {
            "name": str(geo.table["name"].iloc[m]),
            "inhabitants": int(geo.table["population"].iloc[m]),
            "size_band": SIZE_BANDS[band[m]],
            "unit_effect": round(float(effect[m]), 6),
            "group_1": int(sel.sum()),
            "virksomhedsforloeb_ever_share": round(float(vf_ever[sel].mean()), 6),
        }
    return out


__all__ = ["GROUP_KEYS", "OUTCOMES", "DEFINITIONS", "outcome_months", "trajectory", "lpm_truth", "units_truth",
           "size_band"]

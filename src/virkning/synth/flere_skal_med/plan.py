"""Each person's plan for the horizon after the index month, in both worlds (with and without the programme).

A plan fixes, for months m = 1..H after the index month: whether the person is ever in vf and in ordinary hours
(one uniform against the linear probabilities, params.py), the first vf month, the first month of ordinary
hours, and whether and when the person is clarified (ressourceforløb or førtidspension). months.py then fills
the months around these fixed points. `expected_ever` gives the exact expected share ever in vf / ordinary hours
by month m, the truth an estimate's confidence interval should cover.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from virkning.synth.flere_skal_med.params import FsmParams

GROUP_KEYS = ("1", "2", "3", "udskudt", "comparison")


@dataclass
class Plan:
    vf: np.ndarray  # bool: ever in vf within the horizon
    ot: np.ndarray  # bool: ever in ordinary hours within the horizon (implies vf)
    t_vf: np.ndarray  # int64 first vf month (1..H; meaningless when not vf)
    t_ot: np.ndarray  # int64 first month of ordinary hours (t_vf..H)
    af: np.ndarray  # bool: clarified within the horizon
    t_af: np.ndarray  # int64 month of clarification
    af_rf: np.ndarray  # bool: to ressourceforløb (else førtidspension)
    reentry: np.ndarray  # float64 monthly chance of a new episode after the first
    fj_weight: np.ndarray  # float64 weight of fleksjob among new non-hours episodes
    p_vf: np.ndarray  # float64 the probabilities behind vf and ot
    p_ot: np.ndarray
    programme: np.ndarray  # bool: timing of group 1 with the programme


def make_plans(p: FsmParams, horizon: int, group_key: np.ndarray, x: np.ndarray, c: np.ndarray,
               unit_vf: np.ndarray, u: np.ndarray) -> tuple[Plan, Plan]:
    """Plans with the programme (world 1) and without it (world 0) for persons of `group_key` (GROUP_KEYS index),
    covariates x, controls c, group-1 unit effects `unit_vf`, and uniforms u [8, n] (the same for both worlds)."""
    base_vf, base_ot = p.vf(x, c), p.ot(x, c)
    g1 = group_key == 0
    scale_vf = np.array([1.0] + [p.scale_vf[k] for k in GROUP_KEYS[1:]])[group_key]
    scale_ot = np.array([1.0] + [p.scale_ot[k] for k in GROUP_KEYS[1:]])[group_key]
    p_vf1 = np.where(g1, base_vf + unit_vf, scale_vf * base_vf)
    p_ot1 = scale_ot * base_ot
    p_af = np.array([p.afklaring[k] for k in GROUP_KEYS])[group_key]
    fj_w = np.where(group_key == 1, 0.30, 0.04)
    worlds = []
    for programme_world in (False, True):
        treated = g1 & (programme_world and p.programme_effect)
        p_vf = np.where(g1 & ~treated, p.k_vf * p_vf1, p_vf1)
        p_ot = np.where(g1 & ~treated, p.k_ot * p_ot1, p_ot1)
        cdf = np.where(treated[:, None], p.cdf(True, horizon)[None, :], p.cdf(False, horizon)[None, :])
        t_vf = 1 + np.minimum((u[1][:, None] >= cdf).sum(axis=1), horizon - 1)
        later = t_vf + 1 + np.minimum((u[2] * (horizon - t_vf)).astype(np.int64), np.maximum(horizon - t_vf - 1, 0))
        t_ot = np.where((u[3] < p.ot_same_month) | (t_vf >= horizon), t_vf, later)
        vf, ot = u[0] < p_vf, u[0] < p_ot
        first_free = np.where(vf, np.where(ot, t_ot, t_vf) + 1, 1)
        span = np.where(group_key == 1, np.minimum(horizon - first_free + 1, 18), horizon - first_free + 1)
        t_af = first_free + np.minimum((u[5] * np.maximum(span, 1)).astype(np.int64), np.maximum(span - 1, 0))
        af = (u[4] < p_af) & (first_free <= horizon)
        worlds.append(Plan(vf=vf, ot=ot, t_vf=t_vf, t_ot=t_ot, af=af, t_af=t_af, af_rf=u[6] < p.ressourceforloeb_share,
                           reentry=np.where(treated, p.reentry, p.reentry_other), fj_weight=fj_w, p_vf=p_vf,
                           p_ot=p_ot, programme=treated))
    return worlds[1], worlds[0]


def ot_first_cdf(p: FsmParams, programme: bool, horizon: int) -> np.ndarray:
    """CDF over 1..H of the first month of ordinary hours given ever in them (mirrors make_plans)."""
    f = p.cdf(programme, horizon)
    pmf = np.diff(np.concatenate([[0.0], f]))
    out = np.zeros(horizon)
    q = p.ot_same_month
    for t in range(1, horizon + 1):
        dist = np.zeros(horizon)
        if t >= horizon:
            dist[t - 1] = 1.0
        else:
            dist[t - 1] = q
            dist[t: horizon] += (1 - q) / (horizon - t)  # uniform over t+1 .. H
        out += pmf[t - 1] * dist
    return np.cumsum(out)


def expected_ever(p: FsmParams, horizon: int, p_vf: np.ndarray, p_ot: np.ndarray, programme: np.ndarray) -> dict:
    """Expected share ever in vf / ordinary hours by month 1..H over the persons given (their probabilities and
    whether they follow the programme's timing)."""
    n = len(p_vf)
    if not n:
        return {"vf": [None] * horizon, "ot": [None] * horizon}
    w1 = programme.astype(np.float64)
    f1, f0 = p.cdf(True, horizon), p.cdf(False, horizon)
    o1, o0 = ot_first_cdf(p, True, horizon), ot_first_cdf(p, False, horizon)
    vf = ((p_vf * w1).sum() * f1 + (p_vf * (1 - w1)).sum() * f0) / n
    ot = ((p_ot * w1).sum() * o1 + (p_ot * (1 - w1)).sum() * o0) / n
    return {"vf": [round(float(v), 6) for v in vf], "ot": [round(float(v), 6) for v in ot]}

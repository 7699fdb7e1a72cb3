"""Monthly states of the Flere-skal-med persons, from the register start to its end, in both worlds.

Before the benefit spell a person is self-supporting, employed or on dagpenge; from the spell's first month on,
a person is on cash benefit (passive, or in a measure, or with ordinary hours beside the benefit) and follows a
simple background chain of short episodes. From the month after the index month, for H months, the person's plan
(plan.py) decides the months: nothing counted as vf before the first vf month, the first vf episode then,
ordinary hours first in the planned month, episodes and gaps afterwards, and clarification (absorbing) in its
month. After the horizon the background chain resumes. One set of uniforms per month serves both worlds, so
persons outside group 1 have identical months in both.
"""

from __future__ import annotations

from dataclasses import fields

import numpy as np

P, VP, LT, ED, OT, RJ, FJ, RF, FP, SS, EMPL, DP = range(12)
STATE_NAMES = ("passive", "virksomhedspraktik", "loentilskud", "uddannelse", "ordinaere_timer",
               "job_uden_ydelse", "fleksjob", "ressourceforloeb", "foertidspension", "selvforsoergelse",
               "beskaeftiget_foer", "dagpenge_foer")
EPISODES = np.array([VP, LT, ED, OT, RJ])
ABSORBING = np.array([FJ, RF, FP, SS])
KINDS = np.array([VP, LT, ED, FJ, OT, RJ])
DURATION = {VP: (1, 3), LT: (2, 6), ED: (3, 10), OT: (1, 6), RJ: (2, 12), FJ: (10_000, 10_000)}
BACKGROUND = ((VP, 0.014), (LT, 0.005), (ED, 0.003), (OT, 0.009))  # monthly starts of episodes on benefit
FOREVER = 1 << 20
# Outcome months by state (the same definitions, applied to the registers, are in truth.py and the docs).
IS_VF = np.zeros(12, dtype=bool)
IS_VF[[VP, LT, ED, OT, RJ, FJ]] = True
IS_OT = np.zeros(12, dtype=bool)
IS_OT[[OT, RJ]] = True
IS_VR = np.zeros(12, dtype=bool)
IS_VR[[VP, LT]] = True
IS_REN = np.zeros(12, dtype=bool)
IS_REN[RJ] = True
IS_AF = np.zeros(12, dtype=bool)
IS_AF[[RF, FP]] = True
OUTCOME_MASKS = {"virksomhedsforloeb": IS_VF, "ordinaere_timer": IS_OT, "virksomhedsrettet": IS_VR,
                 "ren_beskaeftigelse": IS_REN, "afklaring": IS_AF}


_DUR_LO = np.ones(12, dtype=np.int64)
_DUR_SPAN = np.ones(12, dtype=np.int64)
for _k, (_a, _b) in DURATION.items():
    _DUR_LO[_k], _DUR_SPAN[_k] = _a, _b - _a + 1
_IS_EPISODE = np.zeros(12, dtype=bool)
_IS_EPISODE[EPISODES] = True
_IS_ABSORBING = np.zeros(12, dtype=bool)
_IS_ABSORBING[ABSORBING] = True
_BG_CUM = np.cumsum([w for _, w in BACKGROUND])
_BG_STATE = np.array([k for k, _ in BACKGROUND] + [P], dtype=np.int8)


def _duration(kind: np.ndarray, u: np.ndarray) -> np.ndarray:
    return _DUR_LO[kind] + np.minimum((u * _DUR_SPAN[kind]).astype(np.int64), _DUR_SPAN[kind] - 1)


def _pick(u: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """One of KINDS per row of weights [n, 6] (rows with no weight give VP)."""
    total = weights.sum(axis=1, keepdims=True)
    cdf = np.cumsum(weights, axis=1) / np.where(total > 0, total, 1.0)
    return KINDS[np.minimum((u[:, None] >= cdf).sum(axis=1), len(KINDS) - 1)]


def _kind_weights(hours: np.ndarray, other: np.ndarray, fj_ok: np.ndarray, fj_w: np.ndarray) -> np.ndarray:
    """Weights of KINDS: non-hours episodes (VP, LT, ED, FJ) where `other`, hours (OT, RJ) where `hours`."""
    w = np.zeros((len(hours), len(KINDS)))
    both = hours & other
    nh = np.where(both, 0.6, 1.0) * other
    w[:, 0], w[:, 1], w[:, 2] = 0.55 * nh, 0.20 * nh, 0.10 * nh
    w[:, 3] = fj_w * nh * fj_ok
    hw = np.where(both, 0.4, 1.0) * hours
    w[:, 4], w[:, 5] = 0.8 * hw, 0.2 * hw
    return w


def background(st: np.ndarray, left: np.ndarray, b: np.ndarray, u: np.ndarray) -> None:
    """Persons `b` move on one month of the background chain (in place)."""
    s, l = st[b], left[b]
    cont = _IS_EPISODE[s] & (l > 1)
    l[cont] -= 1
    free = ~cont & ~_IS_ABSORBING[s]
    new = _BG_STATE[np.searchsorted(_BG_CUM, u[0, b], side="right")]
    start = free & (new != P)
    s[free] = new[free]
    l[free] = 0
    l[start] = _duration(new[start], u[2, b[start]])
    st[b], left[b] = s, l


def planned(st: np.ndarray, left: np.ndarray, q: np.ndarray, rel: np.ndarray, u: np.ndarray, plan) -> None:
    """Persons `q` in month `rel` (1..H) after their index month follow their plan (in place)."""
    s, l, r = st[q], left[q], rel
    vf, ot, tv, to = plan.vf[q], plan.ot[q], plan.t_vf[q], plan.t_ot[q]
    n = len(q)
    out_s = np.full(n, P, dtype=st.dtype)
    out_l = np.zeros(n, dtype=left.dtype)
    after = vf & (r > tv)
    cont = after & _IS_EPISODE[s] & (l > 1)
    out_s[cont], out_l[cont] = s[cont], l[cont] - 1
    stay = after & (s == FJ)
    out_s[stay], out_l[stay] = FJ, FOREVER
    free = np.flatnonzero(after & ~cont & ~stay & (u[0, q] < plan.reentry[q]))
    if len(free):
        qf = q[free]
        kind = _pick(u[1, qf], _kind_weights(ot[free] & (r[free] > to[free]), np.ones(len(free), dtype=bool),
                                             ~(ot[free] & (r[free] < to[free])), plan.fj_weight[qf]))
        out_s[free], out_l[free] = kind, _duration(kind, u[2, qf])
    hrs = ot & (r == to) & (to > tv)
    first = vf & (r == tv)
    new = np.flatnonzero(hrs | first)
    if len(new):
        qn = q[new]
        first_hours = first[new] & ot[new] & (to[new] == tv[new])
        kind = _pick(u[1, qn], _kind_weights(first_hours | hrs[new], first[new] & ~first_hours,
                                             ~(ot[new] & (to[new] > tv[new])), plan.fj_weight[qn]))
        out_s[new], out_l[new] = kind, _duration(kind, u[2, qn])
    af = plan.af[q] & (r >= plan.t_af[q])
    out_s[af] = np.where(plan.af_rf[q][af], RF, FP)
    out_l[af] = FOREVER
    st[q], left[q] = out_s, out_l


def _month(k: int, s: np.ndarray, l: np.ndarray, u: np.ndarray, c: dict, horizon: int, plan) -> None:
    """One month for persons with the arrays `c` (spell, exit, pre-spell, index) and states s, l (in place)."""
    before = k < c["spell_month"]
    if before.any():
        sm, pt = c["spell_month"][before], c["pre_type"][before]
        s[before] = np.where((pt == 1) & (sm - k <= c["pre_len"][before]), EMPL,
                             np.where((pt == 2) & (sm - k <= 24), DP, SS))
        l[before] = 0
    begin = (k == c["spell_month"]) | ((k == 0) & (c["spell_month"] < 0))
    s[begin], l[begin] = P, 0
    out = k >= c["exit_month"]
    s[out] = np.where(c["exit_job"][out], RJ, SS)
    l[out] = FOREVER
    rel = k - c["index_month"]
    in_plan = (rel >= 1) & (rel <= horizon) & ~out & (plan is not None)
    if in_plan.any():
        q = np.flatnonzero(in_plan)
        planned(s, l, q, rel[q], u, plan)
    background(s, l, np.flatnonzero(~before & ~begin & ~out & ~in_plan), u)


def simulate(n_months: int, spell_month: np.ndarray, exit_month: np.ndarray, exit_job: np.ndarray,
             pre_type: np.ndarray, pre_len: np.ndarray, index_month: np.ndarray, horizon: int, formation: int,
             make_plans, rng: np.random.Generator) -> dict:
    """Monthly states [world, month, person] (world 1: with the programme; 0: without it).

    Month positions index the register months; `spell_month` < 0: on benefit from before the register start;
    `exit_month`: leaves benefit for good (job if `exit_job`, else self-support); `pre_type` 0 self-support,
    1 employed, 2 dagpenge in the `pre_len` months before the spell; `index_month`: the plan runs in the months
    index + 1 .. index + H (a huge number: no plan). `make_plans(states_so_far)` is called at month `formation`
    and returns (plan with the programme, plan without it). The uniforms u[k] (6 per person and month: move,
    kind, duration, code variant, rate, industry): the last three are returned for the registers. Only persons
    whose two plans differ (group 1 with the programme) are followed separately in the world without it."""
    n = len(spell_month)
    c = {"spell_month": spell_month, "exit_month": exit_month, "exit_job": exit_job, "pre_type": pre_type,
         "pre_len": pre_len, "index_month": index_month}
    st = np.full(n, SS, dtype=np.int8)
    left = np.zeros(n, dtype=np.int64)
    states = np.empty((n_months, n), dtype=np.int8)
    uniforms = np.empty((n_months, 3, n), dtype=np.float32)  # code variant, rate, industry
    plans = None
    sub = np.zeros(0, dtype=np.int64)
    sub_states = np.empty((n_months, 0), dtype=np.int8)
    for k in range(n_months):
        u = rng.random((6, n), dtype=np.float32)
        uniforms[k] = u[3:]
        if k == formation:
            plans = make_plans(states[:k])
            sub = np.flatnonzero(plans[0].programme)
            st0, left0 = st[sub].copy(), left[sub].copy()
            c0 = {key: v[sub] for key, v in c.items()}
            plan0 = type(plans[1])(**{f.name: getattr(plans[1], f.name)[sub] for f in fields(plans[1])})
            sub_states = np.empty((n_months, len(sub)), dtype=np.int8)
            sub_states[:k] = states[:k, sub]
        _month(k, st, left, u, c, horizon, plans[0] if plans else None)
        states[k] = st
        if plans is not None and len(sub):
            _month(k, st0, left0, u[:, sub], c0, horizon, plan0)
            sub_states[k] = st0
    untreated = states.copy()
    untreated[:, sub] = sub_states
    return {"states": np.stack([untreated, states]), "uniforms": uniforms, "plans": plans}

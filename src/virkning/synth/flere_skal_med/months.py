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

import numpy as np

P, VP, LT, ED, OT, RJ, FJ, RF, FP, SS, EMPL, DP = range(12)
STATE_NAMES = ("passive", "virksomhedspraktik", "loentilskud", "uddannelse", "ordinaere_timer",
               "job_uden_ydelse", "fleksjob", "ressourceforloeb", "foertidspension", "selvforsoergelse",
               "beskaeftiget_foer", "dagpenge_foer")
EPISODES = np.array([VP, LT, ED, OT, RJ])
ABSORBING = np.array([FJ, RF, FP, SS])
KINDS = np.array([VP, LT, ED, FJ, OT, RJ])
DURATION = {VP: (1, 3), LT: (2, 6), ED: (3, 10), OT: (1, 6), RJ: (2, 12), FJ: (10_000, 10_000)}
BACKGROUND = ((VP, 0.020), (LT, 0.006), (ED, 0.003), (OT, 0.012))  # monthly starts of episodes on benefit
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


def _duration(kind: np.ndarray, u: np.ndarray) -> np.ndarray:
    lo = np.ones(len(kind), dtype=np.int64)
    hi = np.ones(len(kind), dtype=np.int64)
    for k, (a, b) in DURATION.items():
        lo[kind == k], hi[kind == k] = a, b
    return lo + np.minimum((u * (hi - lo + 1)).astype(np.int64), hi - lo)


def _pick(u: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """One of KINDS per row of weights [n, 6] (rows with no weight give VP)."""
    total = weights.sum(axis=1, keepdims=True)
    cdf = np.cumsum(weights, axis=1) / np.where(total > 0, total, 1.0)
    return KINDS[np.minimum((u[:, None] >= cdf).sum(axis=1), len(KINDS) - 1)]


def _kind_weights(n: int, hours: np.ndarray, other: np.ndarray, fj_ok: np.ndarray, fj_w: np.ndarray) -> np.ndarray:
    """Weights of KINDS: non-hours episodes (VP, LT, ED, FJ) where `other`, hours (OT, RJ) where `hours`."""
    w = np.zeros((n, len(KINDS)))
    both = hours & other
    nh = np.where(both, 0.6, 1.0)
    w[:, 0], w[:, 1], w[:, 2] = 0.55 * nh * other, 0.20 * nh * other, 0.10 * nh * other
    w[:, 3] = fj_w * nh * other * fj_ok
    hw = np.where(both, 0.4, 1.0)
    w[:, 4], w[:, 5] = 0.8 * hw * hours, 0.2 * hw * hours
    return w


def background(st: np.ndarray, left: np.ndarray, b: np.ndarray, u: np.ndarray) -> None:
    """Persons `b` move on one month of the background chain (in place)."""
    s, l = st[b], left[b]
    episode = np.isin(s, EPISODES)
    cont = episode & (l > 1)
    free = ~cont & ~np.isin(s, ABSORBING)
    cum = np.cumsum([w for _, w in BACKGROUND])
    pick = np.searchsorted(cum, u[0, b], side="right")
    new = np.where(pick < len(BACKGROUND), np.array([k for k, _ in BACKGROUND] + [P])[pick], P)
    dur = _duration(new, u[2, b])
    st[b] = np.where(free, new, s)
    left[b] = np.where(cont, l - 1, np.where(free, np.where(new == P, 0, dur), l))


def planned(st: np.ndarray, left: np.ndarray, q: np.ndarray, rel: np.ndarray, u: np.ndarray, plan) -> None:
    """Persons `q` in month `rel` (1..H) after their index month follow their plan (in place)."""
    s, l, r = st[q], left[q], rel
    vf, ot, tv, to = plan.vf[q], plan.ot[q], plan.t_vf[q], plan.t_ot[q]
    n = len(q)
    out_s = np.full(n, P, dtype=st.dtype)
    out_l = np.zeros(n, dtype=left.dtype)
    after = vf & (r > tv)
    cont = after & np.isin(s, EPISODES) & (l > 1)
    out_s[cont], out_l[cont] = s[cont], l[cont] - 1
    stay = after & (s == FJ)
    out_s[stay], out_l[stay] = FJ, FOREVER
    hours_ok = ot & (r > to)
    fj_ok = ~(ot & (r < to))
    free = after & ~cont & ~stay & (u[0, q] < plan.reentry[q])
    kind = _pick(u[1, q], _kind_weights(n, hours_ok, np.ones(n, dtype=bool), fj_ok, plan.fj_weight[q]))
    out_s[free], out_l[free] = kind[free], _duration(kind, u[2, q])[free]
    hrs = ot & (r == to) & (to > tv)
    first = vf & (r == tv)
    first_hours = first & ot & (to == tv)
    first_other = first & ~first_hours
    kind = _pick(u[1, q], _kind_weights(n, first_hours | hrs, first_other, ~(ot & (to > tv)), plan.fj_weight[q]))
    new = hrs | first
    out_s[new], out_l[new] = kind[new], _duration(kind, u[2, q])[new]
    af = plan.af[q] & (r >= plan.t_af[q])
    out_s[af] = np.where(plan.af_rf[q][af], RF, FP)
    out_l[af] = FOREVER
    st[q], left[q] = out_s, out_l


def simulate(n_months: int, spell_month: np.ndarray, exit_month: np.ndarray, exit_job: np.ndarray,
             pre_type: np.ndarray, pre_len: np.ndarray, index_month: np.ndarray, horizon: int, formation: int,
             make_plans, rng: np.random.Generator) -> dict:
    """Monthly states [month, person] of both worlds.

    Month positions index the register months; `spell_month` < 0: on benefit from before the register start;
    `exit_month`: leaves benefit for good (job if `exit_job`, else self-support); `pre_type` 0 self-support,
    1 employed, 2 dagpenge in the `pre_len` months before the spell; `index_month`: the plan runs in the months
    index + 1 .. index + H (a huge number: no plan). `make_plans(states_so_far)` is called at month `formation`
    and returns (plan with the programme, plan without it). The uniforms u[k] (6 per person and month: move,
    kind, duration, code variant, rate, industry): the last three are returned for the registers."""
    n = len(spell_month)
    st = np.full(n, SS, dtype=np.int8)
    left = np.zeros(n, dtype=np.int64)
    states = np.empty((2, n_months, n), dtype=np.int8)
    uniforms = np.empty((n_months, 3, n), dtype=np.float32)  # code variant, rate, industry
    worlds = [(st, left)]
    plans = None
    for k in range(n_months):
        u = rng.random((6, n), dtype=np.float32)
        uniforms[k] = u[3:]
        if k == formation:
            plans = make_plans(states[1, :k])
            worlds = [(st, left), (st.copy(), left.copy())]
        for w, (s, l) in enumerate(worlds):
            before = k < spell_month
            s[before] = np.where((pre_type[before] == 1) & (spell_month[before] - k <= pre_len[before]), EMPL,
                                 np.where((pre_type[before] == 2) & (spell_month[before] - k <= 24), DP, SS))
            l[before] = 0
            begin = (k == spell_month) | ((k == 0) & (spell_month < 0))
            s[begin], l[begin] = P, 0
            out = k >= exit_month
            s[out] = np.where(exit_job[out], RJ, SS)
            l[out] = FOREVER
            rel = k - index_month
            in_plan = (rel >= 1) & (rel <= horizon) & ~out
            if plans is not None and in_plan.any():
                q = np.flatnonzero(in_plan)
                planned(s, l, q, rel[q], u, plans[w])
            b = np.flatnonzero(~before & ~begin & ~out & ~(in_plan & (plans is not None)))
            background(s, l, b, u)
        states[1, k] = worlds[0][0]  # world 1 (with the programme) is the first world throughout
        states[0, k] = worlds[-1][0]
    return {"states": states, "uniforms": uniforms, "plans": plans}

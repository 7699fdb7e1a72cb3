"""Parameters of the synthetic Flere-skal-med programme: population, visitation, outcome model and effect.

The outcome model is built so that its truths are known exactly (docs/synthetic-data.md):

* Whether a person is ever in "virksomhedsforløb mv." (vf) or in ordinary hours (ot) within the horizon H after
  the index month is decided by one uniform U per person: vf = U < p_vf(x), ot = U < p_ot(x), with p_ot <= p_vf,
  so ot implies vf (ordinary hours are part of vf) and both probabilities are exactly linear in the 0/1
  covariates x (a linear probability model holds by construction, with known coefficients).
* The first vf month T is drawn from a timing distribution that depends on the group and the world (with or
  without the programme) but not on x, so the expected share ever in vf by month m is mean(p_vf) * F(m).
* Group 1 in the world without the programme has p0 = k * p1 (k_vf, k_ot) and the slower timing of the other
  groups; the same uniforms decide both worlds (common random numbers).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace

import numpy as np

from virkning.errors import VirkningError

# 0/1 covariates of the linear probability model (Tabel 4-4 of seed 001) and the control (benefit type Dec 2016).
COVARIATES = ("man", "age_40_plus", "immigrant_or_descendant", "vocational_education", "hospital_visits",
              "handicap", "earlier_employer_measure", "earlier_ordinary_hours")
CONTROLS = ("uddannelseshjaelp_dec_2016",)
GROUPS = ("1", "2", "3", "udskudt")
SIZE_BANDS = ("0-25000", "25001-50000", "over 50000")


@dataclass(frozen=True)
class Linear:
    """p(x) = intercept + coef . x + control . c"""

    intercept: float
    coef: tuple[float, ...]  # order of COVARIATES
    control: tuple[float, ...]  # order of CONTROLS

    def __call__(self, x: np.ndarray, c: np.ndarray) -> np.ndarray:
        return self.intercept + x @ np.asarray(self.coef) + c @ np.asarray(self.control)

    def scaled(self, k: float) -> "Linear":
        return Linear(self.intercept * k, tuple(v * k for v in self.coef), tuple(v * k for v in self.control))


def hazard_cdf(first: float, early: float, late: float, switch: int, horizon: int) -> np.ndarray:
    """CDF over months 1..H of the first month in an outcome, given that it happens by H: hazard `first` in month 1,
    `early` in months 2..switch-1 and `late` from month `switch` on, normalised so that F(H) = 1."""
    h = np.array([first] + [early if m < switch else late for m in range(2, horizon + 1)])
    surv = np.cumprod(1 - h)
    return (1 - surv) / (1 - surv[-1])


@dataclass(frozen=True)
class FsmParams:
    formation: str = "2017-01-02"  # the programme's population is formed in this week (ISO 2017-W01)
    reference: str = "2018-01-31"  # de-duplication: the start date closest to it is preferred
    # Visitation dates: periods (first day, last day, share); weekend dates move on to the Monday. The last day
    # must not be after the reference date, so that no other record can lie closer to it on the far side.
    visitation_mix: tuple[tuple[str, str, float], ...] = (
        ("2017-01-02", "2017-03-31", 0.5), ("2017-04-01", "2017-09-30", 0.3), ("2017-10-01", "2018-01-31", 0.2))
    # person kinds: visited target group (> 5 years), unvisited target, comparison (3-5 years, activity-ready),
    # distractors: jobparat >= 3 years, activity-ready 1-3 years, left benefit in 2015-16 after > 5 years.
    kinds: tuple[float, ...] = (0.66, 0.02, 0.22, 0.04, 0.04, 0.02)
    # Benefit seniority bands of the target group at formation (Figur 4-2: n = 5,550 / 12,936 / 4,603 / 2,422).
    band_years: tuple[tuple[float, float], ...] = ((5.1, 5.9), (6.1, 9.9), (10.1, 14.9), (15.1, 20.0))
    band_weights: tuple[float, ...] = (5550, 12936, 4603, 2422)
    # Visitation group shares (1, 2, 3) by seniority band (Figur 4-2), before the health adjustment.
    group_shares: tuple[tuple[float, float, float], ...] = (
        (0.55, 0.34, 0.11), (0.56, 0.33, 0.11), (0.54, 0.35, 0.11), (0.51, 0.34, 0.14))
    handicap_group2: float = 1.5  # weight factors of groups 2 and 3 for persons with the health flags
    hospital_group2: float = 1.2
    hospital_group3: float = 1.4
    postponed: float = 0.03  # share visited as "udskudt"
    male: float = 0.45
    hospital: float = 0.45  # hospital visits 2017-18 (+0.10 for ages 50+)
    handicap: float = 0.12  # (+0.06 for ages 50+)
    # The linear probability models of group 1 with the programme (world 1), before unit effects.
    vf: Linear = Linear(0.62, (-0.02, -0.06, -0.04, 0.03, -0.03, -0.06, 0.12, 0.10), (0.03,))
    ot: Linear = Linear(0.10, (0.03, -0.04, -0.02, 0.02, -0.01, -0.02, 0.05, 0.35), (0.0,))
    # Group 1 only: municipality effects on p_vf, by size band and a uniform draw per municipality.
    band_effect: tuple[float, ...] = (0.05, 0.02, 0.0)
    unit_effect: float = 0.05  # half-width of the uniform municipality effect
    # Other groups: p = scale * (group 1's p without unit effects).
    scale_vf: dict = field(default_factory=lambda: {"2": 0.45, "3": 0.20, "udskudt": 0.60, "comparison": 0.75})
    scale_ot: dict = field(default_factory=lambda: {"2": 0.25, "3": 0.10, "udskudt": 0.40, "comparison": 0.60})
    # The programme's effect on group 1: without it p_vf and p_ot would be k times as large, with slower timing.
    k_vf: float = 0.80
    k_ot: float = 0.70
    timing_programme: tuple[float, float, float, int] = (0.25, 0.05, 0.12, 9)  # hazard_cdf(first, early, late, switch)
    timing_other: tuple[float, float, float, int] = (0.33, 0.07, 0.07, 2)
    ot_same_month: float = 0.35  # the first vf month is already ordinary hours; else hours come later
    # Clarification (exit to ressourceforløb or førtidspension within the horizon), realised only.
    afklaring: dict = field(default_factory=lambda: {"1": 0.10, "2": 0.74, "3": 0.35, "udskudt": 0.20,
                                                     "comparison": 0.12})
    ressourceforloeb_share: float = 0.6
    reentry: float = 0.20  # monthly chance to start a new episode after the first one (group 1 with programme)
    reentry_other: float = 0.12
    programme_effect: bool = True  # False: group 1 lives in the world without the programme in the registers too

    def without_effect(self) -> "FsmParams":
        """The same registers with the programme switched off: the written data are then the untreated world of
        the run with it (same seed)."""
        return replace(self, programme_effect=False)

    @property
    def last_visitation(self) -> str:
        return max(m[1] for m in self.visitation_mix)

    def cdf(self, programme: bool, horizon: int) -> np.ndarray:
        return hazard_cdf(*(self.timing_programme if programme else self.timing_other), horizon)

    def check(self) -> None:
        """Every probability in [0, 1] and p_ot <= p_vf for every covariate pattern, group and world."""
        patterns = np.array(list(itertools.product((0, 1), repeat=len(COVARIATES) + len(CONTROLS))), dtype=float)
        x, c = patterns[:, : len(COVARIATES)], patterns[:, len(COVARIATES):]
        vf, ot = self.vf(x, c), self.ot(x, c)
        lo = vf + min(self.band_effect) - self.unit_effect
        hi = vf + max(self.band_effect) + self.unit_effect
        problems = []
        if lo.min() < 0 or hi.max() > 1:
            problems.append(f"group 1's p_vf ranges {lo.min():.3f} to {hi.max():.3f}")
        if ot.min() < 0 or ot.max() > 1:
            problems.append(f"p_ot ranges {ot.min():.3f} to {ot.max():.3f}")
        if (ot > lo).any():
            problems.append("p_ot exceeds p_vf for some covariate patterns")
        for g in self.scale_vf:
            if not 0 <= self.scale_ot[g] <= self.scale_vf[g] <= 1:
                problems.append(f"group {g}: need 0 <= scale_ot <= scale_vf <= 1")
        if not 0 <= self.k_ot <= self.k_vf <= 1:
            problems.append("need 0 <= k_ot <= k_vf <= 1")
        last = max(m[1] for m in self.visitation_mix)
        if last > self.reference or min(m[0] for m in self.visitation_mix) < self.formation:
            problems.append(f"visitation dates must lie between the formation ({self.formation}) and the reference "
                            f"date ({self.reference})")
        if problems:
            raise VirkningError("Flere-skal-med parameters give impossible probabilities: " + "; ".join(problems))

"""The effect a business case rests on: benefit weeks saved, as one uncertain number times known exposure.

A business case needs the benefit weeks the intervention saves in each calendar year. Every way of stating the
effect has the same shape: one uncertain parameter theta (its estimate, a standard error and, where they exist,
bootstrap draws) times a known exposure per year, so weeks saved in year t = theta x exposure_t:

- ``Effect.per_participant``: theta = benefit weeks saved per participant over the follow-up (minus the ATT on
  benefit weeks), exposure_t = participants whose follow-up weeks fall in year t (cohort sizes spread over the
  follow-up, see below);
- ``Effect.from_estimate``: the same from a virkning ``EffectEstimate`` (or anything with att, ci_low, ci_high,
  level) on benefit weeks;
- ``Effect.full_time_persons``: theta = full-time persons (helårspersoner) fewer on benefit each year, entered by
  hand as municipal budget notes state them; exposure_t = 52 weeks in each year the effect applies.

Savings are linear in theta, so the normal interval of theta carries over exactly to savings and net gain, and
each bootstrap draw of theta gives one draw of them.

Timing of a per-participant effect: a cohort starting in year c is treated as starting at the beginning of c, and
its saved weeks as spread evenly over the follow-up; with a follow-up of F weeks, year c + k receives the share
min(52, F - 52 k) / F. A 52-week follow-up puts the whole effect in the start year. Pass ``profile`` (shares by
year after the start year, summing to 1) to declare another spread, e.g. when the effect curve is known.
"""

from __future__ import annotations

import html
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from virkning.errors import DesignError

WEEKS_PER_YEAR = 52


class EffectIntervalWarning(UserWarning):
    """The effect's confidence interval is not symmetric; the normal approximation uses its average half-width."""


def _finite(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(float(value)):
        raise DesignError(f"effect: expected {name} to be a finite number; got {value!r}.")
    return float(value)


def _level(level: object) -> float:
    lv = _finite("level", level)
    if not 0 < lv < 1:
        raise DesignError(f"effect: expected level between 0 and 1 (0.95 for a 95 % interval); got {level!r}.")
    return lv


def _se_from_ci(estimate: float, ci: object, level: float) -> float:
    from scipy import stats  # on first use: 0.3 s off the start-up of a command that never calls this
    if not (isinstance(ci, Sequence) and len(ci) == 2):
        raise DesignError(f"effect: expected ci as (low, high); got {ci!r}.")
    lo, hi = _finite("ci low", ci[0]), _finite("ci high", ci[1])
    if not lo <= estimate <= hi:
        raise DesignError(f"effect: expected ci low <= estimate <= ci high; got {lo!r} <= {estimate!r} <= {hi!r}.")
    z = stats.norm.ppf(0.5 + level / 2)
    below, above = estimate - lo, hi - estimate
    if max(below, above) > 0 and abs(below - above) > 0.1 * max(below, above):
        warnings.warn(f"the effect's interval ({lo:g}, {hi:g}) around {estimate:g} is not symmetric; the normal "
                      "approximation uses its average half-width. Pass the bootstrap draws to carry the shape.",
                      EffectIntervalWarning, stacklevel=3)
    return (hi - lo) / (2 * z)


def _draws(draws: object) -> np.ndarray | None:
    if draws is None:
        return None
    d = np.asarray(draws, dtype=float).ravel()
    if d.size < 2 or not np.all(np.isfinite(d)):
        raise DesignError(f"effect: expected at least 2 finite bootstrap draws; got {d.size} draws"
                          + ("" if np.all(np.isfinite(d)) else " with missing or infinite values") + ".")
    return d


def _counts(name: str, mapping: object) -> dict[int, float]:
    if not isinstance(mapping, Mapping) or not mapping:
        raise DesignError(f"effect: expected {name} as a mapping year -> count, like {{2020: 120}}; got {mapping!r}.")
    out = {}
    for y, n in mapping.items():
        if isinstance(y, bool) or not isinstance(y, (int, np.integer)):
            raise DesignError(f"effect: expected {name} keyed by calendar year (an integer); got key {y!r}.")
        v = _finite(f"{name}[{y}]", n)
        if v < 0:
            raise DesignError(f"effect: expected {name} >= 0; got {v:g} for {y}.")
        out[int(y)] = v
    return dict(sorted(out.items()))


def spread_profile(follow_up_weeks: float) -> tuple[float, ...]:
    """Shares of a cohort's effect in its start year and the years after, for a follow-up of that many weeks."""
    f = float(follow_up_weeks)
    n = math.ceil(f / WEEKS_PER_YEAR)
    return tuple(min(WEEKS_PER_YEAR, f - WEEKS_PER_YEAR * k) / f for k in range(n))


@dataclass(frozen=True, eq=False)  # holds an array: compare fields, not objects
class Effect:
    """theta (with SE and optional bootstrap draws) and its exposure: weeks saved in year t = theta x exposure[t]."""

    estimate: float
    se: float
    draws: np.ndarray | None = field(repr=False)
    exposure: dict[int, float]
    unit: str  # what theta measures, in words
    kind: str  # per_participant | full_time_persons
    follow_up_weeks: float
    level: float  # level of the interval the SE came from (for the record)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def per_participant(cls, weeks_saved: float, participants: Mapping[int, float], *,
                        ci: tuple[float, float] | None = None, se: float | None = None, level: float = 0.95,
                        draws: Sequence[float] | np.ndarray | None = None, follow_up_weeks: float = 52,
                        profile: Sequence[float] | None = None) -> "Effect":
        """Benefit weeks saved per participant over ``follow_up_weeks`` (positive = fewer weeks on benefit), for
        cohorts of ``participants`` by start year. ``ci`` (at ``level``) or ``se`` give the uncertainty;
        ``draws`` are bootstrap draws of weeks saved per participant."""
        est = _finite("weeks_saved", weeks_saved)
        lv = _level(level)
        fu = _finite("follow_up_weeks", follow_up_weeks)
        if fu <= 0:
            raise DesignError(f"effect: expected follow_up_weeks > 0; got {follow_up_weeks!r}.")
        cohorts = _counts("participants", participants)
        shares = _profile(profile, fu)
        exposure: dict[int, float] = {}
        for year, n in cohorts.items():
            for k, s in enumerate(shares):
                exposure[year + k] = exposure.get(year + k, 0.0) + n * s
        return cls(estimate=est, se=_se(est, ci, se, lv), draws=_draws(draws), exposure=dict(sorted(exposure.items())),
                   unit="benefit weeks saved per participant", kind="per_participant",
                   follow_up_weeks=fu, level=lv)

    @classmethod
    def from_estimate(cls, estimate: object, participants: Mapping[int, float], *,
                      draws: Sequence[float] | None = None, follow_up_weeks: float = 52,
                      profile: Sequence[float] | None = None) -> "Effect":
        """From an ATT on benefit weeks (negative = fewer weeks) with ``att``, ``ci_low``, ``ci_high`` and ``level``
        (a virkning ``EffectEstimate``); ``draws`` are bootstrap draws of the ATT (signs flipped here)."""
        try:
            att, lo, hi = (float(getattr(estimate, a)) for a in ("att", "ci_low", "ci_high"))
            level = float(getattr(estimate, "level", 0.95))
        except (AttributeError, TypeError, ValueError):
            raise DesignError("effect: expected an estimate with att, ci_low, ci_high (and level), like "
                              f"virkning's EffectEstimate; got {type(estimate).__name__}.") from None
        d = None if draws is None else -np.asarray(draws, dtype=float)
        return cls.per_participant(-att, participants, ci=(-hi, -lo), level=level, draws=d,
                                   follow_up_weeks=follow_up_weeks, profile=profile)

    @classmethod
    def full_time_persons(cls, fte_per_year: float, years: Sequence[int], *,
                          ci: tuple[float, float] | None = None, se: float | None = None, level: float = 0.95,
                          draws: Sequence[float] | None = None) -> "Effect":
        """Full-time persons fewer on benefit in each of ``years`` (one full-time person = 52 benefit weeks)."""
        est = _finite("fte_per_year", fte_per_year)
        lv = _level(level)
        try:
            ys = [] if isinstance(years, str) else sorted({int(y) for y in years})
        except (TypeError, ValueError):
            ys = []
        if not ys:
            raise DesignError(f"effect: expected the years the effect applies to, like [2020, 2021]; got {years!r}.")
        return cls(estimate=est, se=_se(est, ci, se, lv), draws=_draws(draws),
                   exposure={y: float(WEEKS_PER_YEAR) for y in ys}, unit="full-time persons a year",
                   kind="full_time_persons", follow_up_weeks=float(WEEKS_PER_YEAR * len(ys)), level=lv)

    # ------------------------------------------------------------------ views
    @property
    def years(self) -> tuple[int, int]:
        """First and last calendar year with exposure."""
        ys = [y for y, e in self.exposure.items() if e > 0] or list(self.exposure)
        return min(ys), max(ys)

    def weeks_saved(self) -> pd.Series:
        """Point estimate of benefit weeks saved by calendar year."""
        return pd.Series({y: self.estimate * e for y, e in self.exposure.items()}, name="weeks_saved", dtype=float)

    def full_time_persons_saved(self) -> pd.Series:
        """Full-time persons (weeks / 52) fewer on benefit by calendar year."""
        return (self.weeks_saved() / WEEKS_PER_YEAR).rename("full_time_persons")

    def to_frame(self) -> pd.DataFrame:
        w = self.weeks_saved()
        return pd.DataFrame({"year": w.index, "exposure": list(self.exposure.values()), "weeks_saved": w.to_numpy(),
                             "full_time_persons": w.to_numpy() / WEEKS_PER_YEAR})

    def to_dict(self) -> dict[str, object]:
        return {"estimate": self.estimate, "se": self.se, "n_draws": 0 if self.draws is None else len(self.draws),
                "exposure": dict(self.exposure), "unit": self.unit, "kind": self.kind,
                "follow_up_weeks": self.follow_up_weeks, "level": self.level}

    def __repr__(self) -> str:
        draws = "" if self.draws is None else f", {len(self.draws)} bootstrap draws"
        return (f"Effect({self.estimate:.4g} {self.unit} (SE {self.se:.4g}{draws}); years {self.years[0]}-"
                f"{self.years[1]}; follow-up {self.follow_up_weeks:g} weeks)")

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(repr(self))}</p>" + self.to_frame().to_html(index=False)


def _se(est: float, ci: object, se: object, level: float) -> float:
    if ci is not None and se is not None:
        raise DesignError("effect: give the uncertainty once, as ci or as se; got both.")
    if se is not None:
        s = _finite("se", se)
        if s < 0:
            raise DesignError(f"effect: expected se >= 0; got {se!r}.")
        return s
    if ci is not None:
        return _se_from_ci(est, ci, level)
    return 0.0


def _profile(profile: object, follow_up_weeks: float) -> tuple[float, ...]:
    if profile is None:
        return spread_profile(follow_up_weeks)
    if not isinstance(profile, Sequence) or isinstance(profile, str) or not profile:
        raise DesignError(f"effect: expected profile as shares by year after the start year, like (0.6, 0.4); "
                          f"got {profile!r}.")
    p = tuple(_finite("profile share", x) for x in profile)
    if any(x < 0 for x in p) or abs(sum(p) - 1) > 1e-9:
        raise DesignError(f"effect: expected profile shares >= 0 that sum to 1; got {p} (sum {sum(p):g}).")
    if len(p) * WEEKS_PER_YEAR < follow_up_weeks - 1e-9:
        raise DesignError(f"effect: the profile covers {len(p)} year(s) but the follow-up is {follow_up_weeks:g} "
                          f"weeks; expected at least {math.ceil(follow_up_weeks / WEEKS_PER_YEAR)} shares.")
    return p

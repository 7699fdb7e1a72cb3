"""Register indicators per unit (municipality) and quarter, and the true effects built from them.

Every indicator is a ratio of two sums over a unit's persons and a quarter, so chunks add up and the same code
gives the observed level (with the rule) and the untreated level (the trial units' twins without it):

  aktiveringsgrad                    weeks with dagpenge + a measure (state `ledig`, activation 1) / dagpenge weeks
  virksomhedsrettet_aktiveringsgrad  weeks with dagpenge + wage subsidy or work trial (215-218) / dagpenge weeks
  beskaeftigelsesgrad                person-months with employment (rate > 0) in month m among persons with a
                                     dagpenge week in month m - h (h = the horizon, 3 by default), for the
                                     quarter's months m
  samtaler_pr_kvartal                `samtale` events dated in the quarter / (dagpenge weeks / 13)
  uger_til_foerste_samtale           mean of (ISO week of the first `samtale` of a dagpenge spell - the spell's
                                     first week) over the first interviews dated in the quarter, of spells that
                                     begin after the first register week (earlier ones may have begun before it)

Dagpenge weeks are weeks with a code of catalogue state `ledig` and belong to the quarter of their Thursday.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from virkning.synth.months import monthly_any, monthly_rate
from virkning.synth.timeline import Timeline

INDICATORS = ("aktiveringsgrad", "virksomhedsrettet_aktiveringsgrad", "beskaeftigelsesgrad", "samtaler_pr_kvartal",
              "uger_til_foerste_samtale")
EMPLOYER_CODES = (215, 216, 217, 218)  # dagpenge + løntilskud privat/offentlig, virksomhedspraktik privat/offentlig


@dataclass
class Sums:
    """Numerators and denominators [unit, quarter]."""

    dp_weeks: np.ndarray
    act_weeks: np.ndarray
    vr_weeks: np.ndarray
    emp_num: np.ndarray
    emp_den: np.ndarray
    interviews: np.ndarray
    first_num: np.ndarray
    first_den: np.ndarray

    @classmethod
    def zeros(cls, n_units: int, n_quarters: int) -> "Sums":
        return cls(**{f.name: np.zeros((n_units, n_quarters)) for f in fields(cls)})

    def add(self, other: "Sums") -> None:
        for f in fields(self):
            getattr(self, f.name)[:] += getattr(other, f.name)

    def levels(self) -> dict[str, np.ndarray]:
        """Indicator values [unit, quarter]; NaN where the denominator is zero."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return {
                "aktiveringsgrad": self.act_weeks / self.dp_weeks,
                "virksomhedsrettet_aktiveringsgrad": self.vr_weeks / self.dp_weeks,
                "beskaeftigelsesgrad": self.emp_num / self.emp_den,
                "samtaler_pr_kvartal": self.interviews / (self.dp_weeks / 13.0),
                "uger_til_foerste_samtale": self.first_num / self.first_den,
            }


@dataclass(frozen=True)
class Calendar:
    quarters: np.ndarray  # quarter ordinals (year * 4 + quarter - 1) of the register period
    week_q: np.ndarray  # quarter position of each register week
    month_q: np.ndarray  # quarter position of each register month

    @classmethod
    def of(cls, tl: Timeline) -> "Calendar":
        q_first, q_last = int(tl.months[0]) // 3, int(tl.months[-1]) // 3
        return cls(np.arange(q_first, q_last + 1), (tl.week_month[tl.burn:] // 3 - q_first).astype(np.int64),
                   (tl.months // 3 - q_first).astype(np.int64))

    def labels(self) -> list[str]:
        return [quarter_label(int(q)) for q in self.quarters]


def quarter_label(q: int) -> str:
    return f"{q // 4}Q{q % 4 + 1}"


def _by_unit(per_person: np.ndarray, unit: np.ndarray, n_units: int) -> np.ndarray:
    """[quarter, person] -> [unit, quarter] sums: a weighted count per quarter, not a product with a dense
    person-by-unit matrix (four times the CPU for a chunk of 131,072 persons). The sums are of whole numbers, exact
    in float64 in any order."""
    out = np.empty((n_units, per_person.shape[0]))
    for q, row in enumerate(per_person):
        out[:, q] = np.bincount(unit, weights=row, minlength=n_units)
    return out


def _per_quarter(x: np.ndarray, pos: np.ndarray, n_q: int) -> np.ndarray:
    """[period, person] -> [quarter, person] sums, periods mapped by `pos`."""
    out = np.zeros((n_q, x.shape[1]), dtype=np.int64)
    np.add.at(out, pos, x.astype(np.int64))
    return out


def unit_quarter_sums(tl: Timeline, cal: Calendar, code: np.ndarray, frac: np.ndarray, dp_codes: np.ndarray,
                      act_codes: np.ndarray, unit: np.ndarray, n_units: int, horizon: int,
                      interviews: tuple[np.ndarray, np.ndarray], firsts: tuple[np.ndarray, ...]) -> Sums:
    """Sums for persons with `code`/`frac` [all weeks, k] living in `unit` [k].

    `interviews`: (person, day number) of every interview in a register week; `firsts`: (person, spell's first
    week, week of its first interview, day of it) of every spell's first interview in a register week, weeks
    indexing all simulated weeks. Quarters of interviews are those of their dates."""
    b, n_q = tl.burn, len(cal.quarters)
    reg = code[b:]
    dp = np.isin(reg, dp_codes)
    s = Sums.zeros(n_units, n_q)
    s.dp_weeks[:] = _by_unit(_per_quarter(dp, cal.week_q, n_q), unit, n_units)
    s.act_weeks[:] = _by_unit(_per_quarter(np.isin(reg, act_codes), cal.week_q, n_q), unit, n_units)
    s.vr_weeks[:] = _by_unit(_per_quarter(np.isin(reg, EMPLOYER_CODES), cal.week_q, n_q), unit, n_units)
    dpm = monthly_any(tl, dp)
    emp = monthly_rate(tl, frac[b:]) > 0
    if len(tl.months) > horizon:
        pos = cal.month_q[horizon:]
        s.emp_den[:] = _by_unit(_per_quarter(dpm[:-horizon], pos, n_q), unit, n_units)
        s.emp_num[:] = _by_unit(_per_quarter(dpm[:-horizon] & emp[horizon:], pos, n_q), unit, n_units)
    person, day = interviews
    qpos = _quarter_of_day(day, cal)
    ok = (qpos >= 0) & (qpos < n_q)
    np.add.at(s.interviews, (unit[person[ok]], qpos[ok]), 1.0)
    person, start, first, day = firsts
    qpos = _quarter_of_day(day, cal)
    ok = (start > b) & (qpos >= 0) & (qpos < n_q)  # a spell seen from the first register week may have begun earlier
    np.add.at(s.first_den, (unit[person[ok]], qpos[ok]), 1.0)
    np.add.at(s.first_num, (unit[person[ok]], qpos[ok]), (first[ok] - start[ok]).astype(np.float64))
    return s


def _quarter_of_day(day: np.ndarray, cal: Calendar) -> np.ndarray:
    month = day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) + 1970 * 12
    return month // 3 - int(cal.quarters[0])


def _mean(values: list[float | None]) -> float | None:
    v = [x for x in values if x is not None and np.isfinite(x)]
    return round(float(np.mean(v)), 6) if v else None


def _r(x: float) -> float | None:
    return round(float(x), 6) if np.isfinite(x) else None


def att_tables(level1: np.ndarray, level0: np.ndarray, trial: list[int], cohort_of: list[int],
               cohort_q: list[int], labels: list[str], cohort_labels: list[str]) -> dict:
    """Unit effects and their aggregates for one indicator.

    level1 [unit, quarter] observed; level0 [unit, quarter] untreated (rows of the trial units). ATT(g, t) is the
    mean over the cohort's units of level1 - level0; the event-time effect averages ATT(g, g + e) over the cohorts
    observed at e, weighted by their number of units; `att_group` averages a cohort's ATT(g, t) over t >= g;
    `att_simple` averages all post-start unit-quarters (the simple aggregation of Callaway and Sant'Anna with
    group-size weights)."""
    n_q = level1.shape[1]
    unit_att = {u: [_r(level1[u, q] - level0[u, q]) for q in range(n_q)] for u in trial}
    att_gt: dict[str, list[float | None]] = {}
    att_group: dict[str, float | None] = {}
    events: dict[int, list[float | None]] = {}
    post: list[float | None] = []
    for g, (gl, gq) in enumerate(zip(cohort_labels, cohort_q)):
        units = [u for u, c in zip(trial, cohort_of) if c == g]
        row = [_mean([unit_att[u][q] for u in units]) if all(unit_att[u][q] is not None for u in units) else None
               for q in range(n_q)]
        att_gt[gl] = row
        att_group[gl] = _mean([row[q] for q in range(gq, n_q)])
        for q in range(n_q):
            if row[q] is not None:
                events.setdefault(q - gq, []).extend([row[q]] * len(units))
        post += [unit_att[u][q] for u in units for q in range(gq, n_q) if unit_att[u][q] is not None]
    return {
        "att_gt": att_gt,
        "att_event": {str(e): _mean(v) for e, v in sorted(events.items())},
        "att_group": att_group,
        "att_simple": _mean(post),
        "att_unit": {labels[u]: unit_att[u] for u in trial},
    }


def pooled_person_tables(num1: np.ndarray, den1: np.ndarray, num0: np.ndarray, den0: np.ndarray, trial: list[int],
                         cohort_of: list[int], cohort_q: list[int], cohort_labels: list[str]) -> dict:
    """Person-level effect of the rule on a 0/1 outcome: pooled over person-months (not averaged over units), the
    treated world's mean minus the untreated world's, by cohort and quarter, event time and over all post-start
    cells."""
    n_q = num1.shape[1]

    def diff(cells: list[tuple[int, int]]) -> float | None:
        d1 = sum(den1[u, q] for u, q in cells)
        d0 = sum(den0[u, q] for u, q in cells)
        if not cells or d1 == 0 or d0 == 0:
            return None
        return _r(sum(num1[u, q] for u, q in cells) / d1 - sum(num0[u, q] for u, q in cells) / d0)

    att_gt: dict[str, list[float | None]] = {}
    events: dict[int, list[tuple[int, int]]] = {}  # event time -> (unit, quarter) cells
    post: list[tuple[int, int]] = []
    for g, (gl, gq) in enumerate(zip(cohort_labels, cohort_q)):
        units = [u for u, c in zip(trial, cohort_of) if c == g]
        att_gt[gl] = [diff([(u, q) for u in units]) if all(den1[u, q] for u in units) else None for q in range(n_q)]
        for q in range(n_q):
            if all(den1[u, q] and den0[u, q] for u in units):
                events.setdefault(q - gq, []).extend((u, q) for u in units)
                if q >= gq:
                    post.extend((u, q) for u in units)
    n_post = int(sum(den1[u, q] for u, q in post))
    return {
        "att_gt": att_gt,
        "att_event": {str(e): diff(c) for e, c in sorted(events.items())},
        "att_simple": diff(post),
        "n_treated_person_months": n_post,
    }

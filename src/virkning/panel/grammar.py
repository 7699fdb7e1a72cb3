"""The covariate grammar: names that say what to compute from the registers at an index week.

    age, sex, origin, education, a_kasse, region, municipality or another persons column
    origin_group             origin in two groups: dansk / ikke-dansk (immigrants and descendants together)
    weeks_<state>_<n>w       weeks in a state or group in the n weeks before the index week
    employment_<n>m          sum of monthly employment rates in the n months before the index month
    employment_at_<k>        employment rate in month index+k
    spell_weeks[_<state>]    weeks since the start of the current run of weeks in the state (default ledig)
    in_<state>_at_<k>        1 if week index+k is in the state

States and groups come from the DREAM code catalogue (registers/catalogue.py), the only home of that vocabulary.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from virkning.errors import CovariateNameError
from virkning.registers.catalogue import GROUPS, MONTHLY_STATUSES, STATES, canonical_state

STATIC = ("age", "sex", "origin", "origin_group", "education", "a_kasse", "region", "municipality")
# origin_group: Statistics Denmark's origin in the two groups seed 000's tables and matching use (Tabel 1 and 3,
# Bilag 3: "Herkomst: Dansk / Ikke-dansk"); descendants are few among seniors, so three groups leave exact-matching
# cells without controls.
ORIGIN_GROUPS = {"dansk": "dansk", "indvandrer": "ikke-dansk", "efterkommer": "ikke-dansk"}
GRAMMAR_HELP = (
    "age, sex, origin, origin_group, education, a_kasse, region, municipality or another persons column; "
    "weeks_<state>_<n>w; employment_<n>m; employment_at_<k>; spell_weeks or spell_weeks_<state>; in_<state>_at_<k> "
    f"(state: one of {', '.join((*STATES, *GROUPS))})"
)

_WEEKS = re.compile(r"^weeks_(.+)_(\d+)w$")
_EMP = re.compile(r"^employment_(\d+)m$")
_EMP_AT = re.compile(r"^employment_at_(-?\d+)$")
_SPELL = re.compile(r"^spell_weeks(?:_(.+))?$")
_IN = re.compile(r"^in_(.+)_at_(-?\d+)$")


@dataclass(frozen=True)
class Covariate:
    """A parsed covariate name: kind (static/weeks/employment/employment_at/spell/in), state, window."""

    name: str
    kind: str
    state: str | None = None
    n: int = 0


def _state(selector: str, name: str) -> str:
    state = canonical_state(selector)
    if state is None or state in MONTHLY_STATUSES:
        raise CovariateNameError(
            f"covariate '{name}': '{selector}' is not a state or group of the DREAM code catalogue; "
            f"expected one of {', '.join((*STATES, *GROUPS))}"
        )
    return state


def parse_covariate(name: str, person_columns: tuple[str, ...] = ()) -> Covariate:
    """Read a covariate name of the grammar in GRAMMAR_HELP, or raise CovariateNameError saying what is allowed."""
    if name in STATIC or name in person_columns:
        return Covariate(name, "static")
    if m := _WEEKS.match(name):
        if int(m.group(2)) < 1:
            raise CovariateNameError(f"covariate '{name}': the window must be at least 1 week")
        return Covariate(name, "weeks", _state(m.group(1), name), int(m.group(2)))
    if m := _EMP.match(name):
        if int(m.group(1)) < 1:
            raise CovariateNameError(f"covariate '{name}': the window must be at least 1 month")
        return Covariate(name, "employment", None, int(m.group(1)))
    if m := _EMP_AT.match(name):
        return Covariate(name, "employment_at", None, int(m.group(1)))
    if m := _SPELL.match(name):
        return Covariate(name, "spell", _state(m.group(1) or "ledig", name))
    if m := _IN.match(name):
        return Covariate(name, "in", _state(m.group(1), name), int(m.group(2)))
    raise CovariateNameError(f"'{name}' is not a covariate name; expected {GRAMMAR_HELP}")


#: covariate kinds whose value is a function of the person and the index month alone (the employment register)
MONTHLY_KINDS = ("employment", "employment_at")


def reach(specs: list[Covariate], window_kind: str) -> tuple[int, int]:
    """How far before and after its index a windowed covariate of `specs` reads (units of `window_kind`: weeks
    or months): the n units before it, or the unit index+k."""
    lo = max([s.n for s in specs if s.kind == window_kind] + [-s.n for s in specs if s.kind != window_kind] + [0])
    hi = max([s.n for s in specs if s.kind != window_kind] + [0])
    return lo, hi


def first_read(specs: list[Covariate], week: int, month: int) -> tuple[float, float]:
    """The earliest week and month that covariates `specs` read for pairs whose earliest index week and month are
    `week` and `month` (Store.include): a window's first unit before the index, every week for a spell (it runs
    back to the first week of data), +inf for a register no covariate reads."""
    weekly = [s for s in specs if s.kind in ("weeks", "in")]
    monthly = [s for s in specs if s.kind in MONTHLY_KINDS]
    first_week: float = math.inf
    if any(s.kind == "spell" for s in specs):
        first_week = -math.inf
    elif weekly:
        first_week = week - reach(weekly, "weeks")[0]
    return first_week, (month - reach(monthly, "employment")[0] if monthly else math.inf)

"""Outcomes: their kinds, the columns that hold them, how they are derived from the panel, and their words.

An outcome is followed month by month after the index month, up to its horizon:

- `first_exit`: the share that has left for a status by month m, counted once ("exit without relapse"); from the
  panel's first month with the status (`first_<status>`) and months observed (`followup`); Kaplan-Meier when some
  persons are followed for fewer months than the horizon;
- `status_share`: the share whose status in month m is the given monthly status;
- `benefit_weeks`: weeks on any public benefit from month 1 to m (cumulative; 52 weeks = one full-time person).

This module is the one place that names the columns (`exit_<status>_<m>`, `status_<m>`, `benefit_weeks_<m>`,
`<outcome>_<m>`) and says what an outcome means in Danish and English; the panel, the effect evaluation, the
publication and the report use it and invent no names of their own. States come from the DREAM code catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from virkning.errors import DesignError
from virkning.registers.catalogue import GROUPS, MONTHLY_STATUSES, STATES, canonical_state, state_label

OutcomeKind = Literal["first_exit", "status_share", "benefit_weeks"]
KINDS: tuple[str, ...] = ("first_exit", "status_share", "benefit_weeks")
EXIT_STATES = (*STATES, *GROUPS, *MONTHLY_STATUSES)  # what a first exit can be to
MONTH_STATES = (*STATES, *MONTHLY_STATUSES)  # what a month's status can be
DEFAULT_STATUS = "beskæftiget"


# ---- columns of the panel's outcome frame ---------------------------------------------------------------------

def first_column(state: str) -> str:
    """First month 1..horizon in `state` (NA if none)."""
    return f"first_{state}"


def exit_column(state: str, month: int) -> str:
    """1 if the first month in `state` is at most `month`, 0 if not, NA after the end of data."""
    return f"exit_{state}_{month}"


def status_column(month: int) -> str:
    return f"status_{month}"


def benefit_weeks_column(month: int) -> str:
    return f"benefit_weeks_{month}"


@dataclass(frozen=True)
class Outcome:
    """An outcome by month 1..horizon: first exit to `status`, share in `status`, or cumulative benefit weeks."""

    name: str
    kind: OutcomeKind = "first_exit"
    status: str | None = DEFAULT_STATUS
    horizon: int = 7

    def __post_init__(self):
        if self.kind not in KINDS:
            raise DesignError(f"outcome '{self.name}': kind expected one of {', '.join(KINDS)}; got '{self.kind}'")
        if self.kind != "benefit_weeks" and canonical_state(self.status or "") is None:
            raise DesignError(f"outcome '{self.name}': status '{self.status}' is not a state, group or monthly status")
        if self.horizon < 1:
            raise DesignError(f"outcome '{self.name}': horizon must be at least 1 month")

    @property
    def state(self) -> str | None:
        """The catalogue's spelling of the status (None for benefit weeks)."""
        return canonical_state(self.status) if self.kind != "benefit_weeks" and self.status else None

    @property
    def months(self) -> list[int]:
        return list(range(1, self.horizon + 1))

    def column(self, month: int) -> str:
        """The evaluation-data column holding the outcome in `month`."""
        if self.kind == "first_exit":
            assert self.state is not None  # __post_init__ accepts a first_exit only with a known status
            return exit_column(self.state, month)
        return f"{self.name}_{month}"

    @property
    def is_share(self) -> bool:
        return self.kind != "benefit_weeks"

    def to_dict(self, language: str | None = None) -> dict:
        """The outcome as JSON-ready data; with a language, its words for the report as well."""
        out = {"name": self.name, "kind": self.kind, "status": self.state, "horizon": self.horizon}
        if language:
            out.update(label=label(self, language), phrase=phrase(self, language),
                       definition=definition(self, language), share=self.is_share)
        return out


def exit_states(outcomes) -> tuple[str, ...]:
    """The states whose first months the panel must compute for these outcomes (at least employment)."""
    states = tuple(dict.fromkeys(o.state for o in outcomes if o.kind == "first_exit"))
    return states or (DEFAULT_STATUS,)


def derive(outcomes, data: pd.DataFrame) -> pd.DataFrame:
    """Add the month columns of status-share and benefit-week outcomes to data holding the panel's outcome frame
    (`status_<m>`, `benefit_weeks_<m>`); NA stays NA (a month after the end of data is censored, not zero)."""
    new = {}
    for o in outcomes:
        if o.kind == "status_share":
            for m in o.months:
                col = data[status_column(m)]
                new[o.column(m)] = np.where(col.isna(), np.nan, (col == o.state).astype(float))
        elif o.kind == "benefit_weeks":
            cum = np.cumsum(data[[benefit_weeks_column(m) for m in o.months]].to_numpy(float), axis=1)
            for m in o.months:
                new[o.column(m)] = cum[:, m - 1]
    return data.assign(**new) if new else data


# ---- words ------------------------------------------------------------------------------------------------------

_EXIT = {
    "beskæftiget": (("Afgang til beskæftigelse", "Exit to employment"),
                    ("afgået til beskæftigelse", "had moved into employment"),
                    ("første måned efter indeksmåneden med en positiv beskæftigelsesgrad i eIndkomst",
                     "the first month after the index month with a positive employment rate in eIndkomst")),
    "vikar": (("Afgang til vikarjob", "Exit to a temp-agency job"),
              ("kommet i vikarjob", "had had a temp-agency job"),
              ("første måned efter indeksmåneden med en positiv beskæftigelsesgrad hos en arbejdsgiver i "
               "vikarbranchen (eIndkomst)",
               "the first month after the index month with a positive employment rate at an employer in the "
               "temp-agency industry (eIndkomst)")),
    "tilbagetrukket": (("Afgang til tilbagetrækning", "Exit to retirement"),
                       ("trukket sig tilbage fra arbejdsmarkedet", "had retired from the labour market"),
                       ("første måned med mindst én uge på en tilbagetrækningskode i DREAM (efterløn, fleksydelse, "
                        "førtidspension, folkepension) eller udvandring eller død",
                        "the first month with at least one week on a retirement code in DREAM (early retirement "
                        "pay, flex benefit, disability or state pension), emigration or death")),
    "selvforsørgende": (("Afgang til selvforsørgelse", "Exit to self-support"),
                        ("blevet selvforsørgende", "had become self-supporting"),
                        ("første måned uden nogen DREAM-kode og uden registreret beskæftigelse",
                         "the first month with neither a DREAM code nor registered employment")),
}


def label(o: Outcome, lang: str) -> str:
    """The heading of an outcome."""
    en = lang == "en"
    s = o.state
    if o.kind == "first_exit":
        if s in _EXIT:
            return _EXIT[s][0][en]
        return f"Exit to {state_label(s, lang)}" if en else f"Afgang til {state_label(s, lang)}"
    if o.kind == "status_share":
        return f"Share in {state_label(s, lang)}" if en else f"Andel i {state_label(s, lang)}"
    return "Weeks on public benefits (cumulative)" if en else "Uger på offentlig forsørgelse (akkumuleret)"


def phrase(o: Outcome, lang: str) -> str:
    """What a participant 'was' at month m: 'kommet i vikarjob' / 'had had a temp-agency job'."""
    en = lang == "en"
    s = o.state
    if o.kind == "first_exit":
        if s in _EXIT:
            return _EXIT[s][1][en]
        return f"had moved to {state_label(s, lang)}" if en else f"overgået til {state_label(s, lang)}"
    if o.kind == "benefit_weeks":
        return "weeks on public benefits" if en else "uger på offentlig forsørgelse"
    return f"in {state_label(s, lang)}" if en else f"i {state_label(s, lang)}"


def definition(o: Outcome, lang: str) -> str:
    """The exact definition of an outcome, for the method appendix."""
    en = lang == "en"
    s, h = o.state, o.horizon
    if o.kind == "first_exit":
        first = _EXIT[s][2][en] if s in _EXIT else (
            f"the first month with at least one week on a DREAM code in the state '{s}'" if en
            else f"første måned med mindst én uge på en DREAM-kode i tilstanden »{s}«")
        if en:
            return (f"The exit month is {first}. The curve is the share exited by month m (1 to {h}). Each person "
                    "counts once; later returns to benefit are ignored (exit without relapse). Persons without an "
                    "exit count as not exited.")
        return (f"Afgangsmåneden er den {first}. Kurven er andelen, der er afgået senest i måned m (1 til {h}). Hver "
                "person tælles én gang; senere tilbagefald ignoreres (afgang uden tilbagefald). Personer uden "
                "afgang tæller som ikke afgået.")
    if o.kind == "status_share":
        if en:
            return (f"Share whose status in month m (1 to {h}) is '{state_label(s, lang)}'. Each month has one status "
                    "by a fixed hierarchy: retirement, temp-agency job, employment, the DREAM state with most weeks, "
                    "self-support.")
        return (f"Andelen, hvis status i måned m (1 til {h}) er »{state_label(s, lang)}«. Hver måned har én status "
                "efter et fast hierarki: tilbagetrækning, vikarjob, beskæftigelse, den DREAM-tilstand med flest uger, "
                "selvforsørgelse.")
    if en:
        return (f"Number of weeks from month 1 to month m (up to {h}) with a DREAM code that is a public "
                "benefit; 52 weeks are one full-time person.")
    return (f"Antal uger fra måned 1 til og med måned m (op til {h}) med en DREAM-kode, der er en offentlig "
            "ydelse; 52 uger svarer til én fuldtidsperson.")


# ---- month outcomes: states of a month combined (analyses/trajectories) -----------------------------------------

@dataclass(frozen=True)
class MonthOutcome:
    """An outcome that holds in a month or not, combined from the month's states: at least one of `any_of` (true
    when empty), all of `all_of` and none of `none_of`. A name is a catalogue state or group (any week of the month
    in it), a monthly status (`beskæftiget`: a positive employment rate; `vikar`; `selvforsørgende`) or an
    earlier month outcome. Seed 001's "ordinære timer" is all_of [beskæftiget], none_of [fleksjob, løntilskud]."""

    name: str
    any_of: tuple[str, ...] = ()
    all_of: tuple[str, ...] = ()
    none_of: tuple[str, ...] = ()
    label: str | None = None

    def __post_init__(self):
        if not self.any_of and not self.all_of:
            raise DesignError(f"month outcome '{self.name}': give any_of or all_of (the states it consists of)")

    @property
    def names(self) -> tuple[str, ...]:
        return (*self.any_of, *self.all_of, *self.none_of)


def check_month_outcomes(outcomes) -> None:
    """Every name is a state, group, monthly status or an earlier outcome (so definitions cannot loop)."""
    seen: set[str] = set()
    for o in outcomes:
        for n in o.names:
            if n not in seen and canonical_state(n) is None:
                raise DesignError(f"month outcome '{o.name}': '{n}' is neither a state, group or monthly status "
                                  f"({', '.join(EXIT_STATES)}) nor an outcome declared before it")
        if o.name in seen:
            raise DesignError(f"month outcome '{o.name}' is declared twice")
        seen.add(o.name)


def _atom(name: str) -> str:
    state = canonical_state(name)
    # the design's check (check_month_outcomes; trajectories' compile) lets through only names that are a state,
    # group or monthly status, or an earlier outcome, and callers ask here only for the former
    assert state is not None
    return state


def month_atoms(outcomes) -> tuple[str, ...]:
    """The catalogue names the outcomes need from the panel (canonical spelling, first use first)."""
    atoms: list[str] = []
    before = set()
    for o in outcomes:  # a name is an earlier outcome when one is declared before (it may shadow a group)
        atoms += [_atom(n) for n in o.names if n not in before]
        before.add(o.name)
    return tuple(dict.fromkeys(atoms))


def month_outcome_flags(outcomes, flags: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """bool [pair, month] per outcome from the panel's indicators (`Panel.month_flags`, keyed by canonical name)."""
    out: dict[str, np.ndarray] = {}

    def get(n: str) -> np.ndarray:
        return out[n] if n in out else flags[_atom(n)]

    shape = flags["observed"].shape
    for o in outcomes:
        v = np.logical_or.reduce([get(n) for n in o.any_of]) if o.any_of else np.ones(shape, dtype=bool)
        for n in o.all_of:
            v = v & get(n)
        for n in o.none_of:
            v = v & ~get(n)
        out[o.name] = v & flags["observed"]
    return out


def month_definition(o: MonthOutcome, lang: str, labels: dict[str, str] | None = None) -> str:
    """What the outcome means, in words: 'Måneder med beskæftigelse, men ikke fleksjob eller løntilskud'; `labels`
    names the earlier outcomes it refers to."""
    en = lang == "en"
    labels = labels or {}

    def words(names: tuple[str, ...], conj: str) -> str:
        w = [labels.get(n) or (state_label(n, lang) if canonical_state(n) else n) for n in names]
        return w[0] if len(w) == 1 else ", ".join(w[:-1]) + f" {conj} " + w[-1]

    parts = []
    if o.any_of:
        parts.append(words(o.any_of, "or" if en else "eller"))
    if o.all_of:
        parts.append(words(o.all_of, "and" if en else "og"))
    text = ("Months with " if en else "Måneder med ") + (" and with " if en else " og med ").join(parts)
    if o.none_of:
        text += (", but not " if en else ", men ikke ") + words(o.none_of, "or" if en else "eller")
    return text + "."

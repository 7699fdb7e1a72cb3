"""What the effect evaluation checks on the data before it does the work: rules that leave nobody, or no month of
follow-up; subgroup edges on categories; covariates and pool states read after the index (a warning)."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping

import pandas as pd

from virkning.errors import CovariateNameError, DesignError
from virkning.panel.grammar import parse_covariate
from virkning.registers import calendar


class AfterIndexWarning(UserWarning):
    """A covariate or pool rule that reads a person's registers after the index week."""


def after_index(covariates: Iterable[str], pool_states: Mapping[int, str], person_columns: tuple[str, ...]) -> None:
    """Warn of covariates and pool states read after the index: the programme may have changed them, so matching on
    them (or choosing the pool by them) can hide an effect or make one."""
    late = []
    for name in covariates:
        try:
            spec = parse_covariate(name, person_columns)
        except CovariateNameError:  # reported with the covariates' own message where they are read
            continue
        if spec.kind in ("employment_at", "in") and spec.n > 0:
            late.append(f"covariate '{name}'")
    late += [f"pool state at week {k:+d} ({v})" for k, v in sorted(pool_states.items()) if k > 0]
    if late:
        warnings.warn(AfterIndexWarning(
            f"{', '.join(late)} read the registers after the index week: what the programme may have changed, so a "
            "comparison on them can hide an effect or make one; use offsets at or before the index (0, -1, ...)"),
            stacklevel=3)


def someone_left(pairs: pd.DataFrame, flow: pd.DataFrame, end: int) -> None:
    """Participants and pool candidates left after the population rules, and a month of follow-up for some
    participant before the end of data (month ordinal `end`)."""
    if not (pairs["treat"] == 1).any() or not (pairs["treat"] == 0).any():
        raise DesignError("no participants or no pool candidates are left after the population rules (nothing is "
                          f"written, so here is the flow: {flow_text(flow)})")
    months = pairs.loc[pairs["treat"] == 1, "imo"]
    if int(months.min()) >= end:  # follow-up month 1 is the month after the index month
        raise DesignError(f"no participant has a month of follow-up: the data end in {calendar.month_label(end)} "
                          f"(end_month), and the participants' index months are "
                          f"{calendar.month_label(int(months.min()))} to {calendar.month_label(int(months.max()))}")


def flow_text(flow: pd.DataFrame) -> str:
    """The flow table in a line, for a message to the analyst (the terminal, not a published output)."""
    steps = []
    for r in flow.to_dict("records"):
        counts = [f"{label} {int(r[c]):,}" for c, label in (("participants", "participants"),
                                                            ("pool_persons", "pool persons")) if pd.notna(r.get(c))]
        steps.append(f"{r['step']}: {', '.join(counts)}")
    return "; ".join(steps)


def subgroup_edges(subgroups: Iterable, data: pd.DataFrame) -> None:
    """Edges cut a number into bands: a categorical covariate with edges is a design error."""
    for sg in subgroups:
        if sg.edges is not None and not pd.api.types.is_numeric_dtype(data[sg.covariate]):
            shown = ", ".join(map(str, sorted(data[sg.covariate].dropna().astype(str).unique())[:5]))
            raise DesignError(f"subgroups: '{sg.name}': edges cut a number into bands, and covariate "
                              f"'{sg.covariate}' holds categories ({shown}); leave out edges to compare its categories")

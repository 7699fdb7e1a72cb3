"""Options of the matching estimator: allowed values, checks at the boundary, the frozen configuration.

Every public verb in ``virkning.estimate`` passes its keyword options through :func:`make_match_config`
before any number is computed, so a bad option fails fast with a message that names the option, lists the
allowed values and says what to do. Options that the chosen method does not use are reported with an
:class:`IgnoredOptionWarning` instead of being silently dropped.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import pandas as pd

from virkning.errors import DesignError

Distance = Literal["logit", "ps", "mahalanobis"]
MOrder = Literal["largest", "smallest", "data", "random"]
SEType = Literal["cluster", "bootstrap"]
BinaryStat = Literal["std", "raw"]
Compat = Literal["none", "matchit-4.5.1-gcc"]


class IgnoredOptionWarning(UserWarning):
    """An option the user set explicitly has no effect with the chosen method."""


class MatchingWarning(UserWarning):
    """Matching ran, but not every treated unit could receive the requested number of controls."""


class FewClustersWarning(UserWarning):
    """Cluster-robust inference rests on few clusters (or one treated cluster): CR1 t-tests may over-reject;
    consider the wild cluster bootstrap."""


class PropensityWarning(UserWarning):
    """The propensity model was estimated, but its fitted probabilities reach 0 or 1 numerically."""


def check_choice(option: str, value: object, alias: object) -> str:
    """Return ``value`` if it is one of the ``Literal`` alias values, else raise a :class:`DesignError`."""
    allowed = get_args(alias)
    if not isinstance(value, str) or value not in allowed:
        shown = ", ".join(repr(a) for a in allowed)
        raise DesignError(f"option '{option}': expected one of {shown}; got {value!r}. Pass one of the listed values.")
    return value


def _names(option: str, value: str | Iterable[str] | None, data: pd.DataFrame) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    try:
        names = tuple(value)
    except TypeError:
        raise DesignError(f"option '{option}': expected a column name or a list of column names; "
                          f"got {value!r}.") from None
    bad = [n for n in names if not isinstance(n, str)]
    if bad:
        raise DesignError(f"option '{option}': column names must be strings; got {bad!r}.")
    missing = [n for n in names if n not in data.columns]
    if missing:
        raise DesignError(
            f"option '{option}': column(s) {', '.join(repr(m) for m in missing)} not in the data. "
            f"Available columns: {', '.join(map(str, data.columns[:30]))}."
        )
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise DesignError(f"option '{option}': column(s) {dupes} listed more than once; list each column once.")
    return names


@dataclass(frozen=True)
class MatchConfig:
    """The checked, resolved options of one call to :func:`virkning.match` (ATT, nearest neighbour)."""

    treatment: str
    covariates: tuple[str, ...]
    exact: tuple[str, ...]
    ratio: int
    replace: bool
    caliper: float | None
    distance: Distance
    mahvars: tuple[str, ...]
    m_order: MOrder
    seed: int | None
    cluster: str | None
    compat: Compat

    @property
    def uses_propensity(self) -> bool:
        return self.distance != "mahalanobis"

    @property
    def mahalanobis_columns(self) -> tuple[str, ...]:
        """Columns entering a Mahalanobis distance: all covariates for full Mahalanobis matching, else mahvars."""
        return self.covariates if self.distance == "mahalanobis" else self.mahvars

    def to_dict(self) -> dict[str, object]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


def _ignored(option: str, why: str) -> None:
    warnings.warn(f"option '{option}' is ignored: {why}", IgnoredOptionWarning, stacklevel=4)


def make_match_config(
    data: pd.DataFrame,
    *,
    treatment: str,
    covariates: Sequence[str] | str,
    exact: Sequence[str] | str | None,
    ratio: int,
    replace: bool,
    caliper: float | None,
    distance: str,
    mahvars: Sequence[str] | str | None,
    m_order: str | None,
    seed: int | None,
    cluster: str | None,
    compat: str,
) -> MatchConfig:
    """Check every option against the data and freeze the result; warn about options that will be ignored."""
    if not isinstance(data, pd.DataFrame):
        raise DesignError(f"data: expected a pandas DataFrame; got {type(data).__name__}.")
    if len(data) == 0:
        raise DesignError("data: the data frame has no rows.")
    if not data.index.is_unique:
        raise DesignError("data: the index has duplicate labels, so units cannot be reported by id. "
                          "Call data.reset_index(drop=True) or set a unique id as the index.")
    distance = check_choice("distance", distance, Distance)
    compat = check_choice("compat", compat, Compat)
    if not isinstance(treatment, str):
        raise DesignError(f"option 'treatment': expected the name of the 0/1 treatment column; got {treatment!r}.")
    (treatment_name,) = _names("treatment", treatment, data)
    covs = _names("covariates", covariates, data)
    if not covs:
        raise DesignError("option 'covariates': expected at least one covariate column; got none.")
    exact_names = _names("exact", exact, data)
    mah = _names("mahvars", mahvars, data)
    for option, names in (("covariates", covs), ("exact", exact_names), ("mahvars", mah)):
        if treatment_name in names:
            raise DesignError(f"option '{option}': the treatment column {treatment_name!r} cannot also be a covariate.")
    if cluster is not None:
        if not isinstance(cluster, str):
            raise DesignError("option 'cluster': expected one column name (e.g. a person id) or None; "
                              f"got {cluster!r}.")
        _names("cluster", cluster, data)

    if isinstance(ratio, (bool, np.bool_)) or not isinstance(ratio, (int, np.integer)) or ratio < 1:
        raise DesignError("option 'ratio': expected a whole number of controls per treated unit (1, 2, ...); "
                          f"got {ratio!r}.")
    if not isinstance(replace, (bool, np.bool_)):
        raise DesignError(f"option 'replace': expected True or False; got {replace!r}.")
    if caliper is not None:
        if isinstance(caliper, (bool, np.bool_)) or not isinstance(caliper, (int, float, np.integer, np.floating)) \
                or not np.isfinite(caliper) or caliper <= 0:
            raise DesignError(f"option 'caliper': expected a positive number of standard deviations of the distance "
                              f"(e.g. 0.2) or None; got {caliper!r}.")
        caliper = float(caliper)
        if distance == "mahalanobis":
            raise DesignError("option 'caliper': a caliper is measured in standard deviations of the propensity "
                              "distance, which distance='mahalanobis' does not estimate. Use distance='logit' with "
                              "mahvars=[...] for Mahalanobis matching within a propensity caliper.")
    if seed is not None and (isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer))):
        raise DesignError(f"option 'seed': expected an integer or None; got {seed!r}.")

    if m_order is None:
        resolved_order: str = "data" if (distance == "mahalanobis" or replace) else "largest"
    else:
        resolved_order = check_choice("m_order", m_order, MOrder)
        if distance == "mahalanobis" and resolved_order in ("largest", "smallest"):
            raise DesignError(f"option 'm_order': {resolved_order!r} orders treated units by the propensity score, "
                              "which distance='mahalanobis' does not estimate; expected one of 'data', 'random'.")
        if replace:
            _ignored("m_order", "with replace=True every treated unit chooses among all controls, so the order "
                                "of matching cannot change the result.")
            resolved_order = "data"
    if seed is not None and resolved_order != "random":
        _ignored("seed", f"randomness is only used with m_order='random' (m_order is {resolved_order!r}).")
    if mah and distance == "mahalanobis":
        _ignored("mahvars", "distance='mahalanobis' already matches on the Mahalanobis distance of all covariates.")
        mah = ()
    if compat != "none" and (distance == "mahalanobis" or mah):
        _ignored("compat", "the MatchIt 4.5.1 compatibility mode only concerns matching on a propensity distance "
                           "without mahvars.")
        compat = "none"
    return MatchConfig(
        treatment=treatment_name, covariates=covs, exact=exact_names, ratio=int(ratio), replace=bool(replace),
        caliper=caliper, distance=distance, mahvars=mah, m_order=resolved_order,  # type: ignore[arg-type]
        seed=None if seed is None else int(seed), cluster=cluster, compat=compat,  # type: ignore[arg-type]
    )

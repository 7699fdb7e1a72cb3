"""Options of the matching estimator: allowed values, checks at the boundary, the frozen configuration.

Every public verb in ``virkning.estimate`` passes its keyword options through :func:`make_match_config`
before any number is computed, so a bad option fails fast with a message that names the option, lists the
allowed values and says what to do. Options that the chosen method does not use are reported with an
:class:`IgnoredOptionWarning` instead of being silently dropped.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, cast, get_args

import numpy as np
import pandas as pd

from virkning.errors import DesignError

Distance = Literal["logit", "ps", "mahalanobis"]
MOrder = Literal["largest", "smallest", "data", "random"]
SEType = Literal["cluster", "bootstrap"]
EffectSE = Literal["cluster", "bootstrap", "rematch", "satt"]  # for effects of a MatchResult (and the curves)
Estimand = Literal["ATT", "ATC"]
Discard = Literal["none", "both", "treated", "control"]
DISTANCE_KEY = "distance"  # the key of the propensity distance in a caliper mapping (MatchIt's unnamed entry)
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
    """Return ``value`` if it is one of the ``Literal`` alias values (or of a tuple), else raise a DesignError."""
    allowed = alias if isinstance(alias, tuple) else get_args(alias)
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
class CovariateCaliper:
    """A caliper on one covariate: matched units may differ by at most ``width`` (in SDs if ``standardised``)."""

    variable: str
    width: float
    standardised: bool


@dataclass(frozen=True)
class MatchConfig:
    """The checked, resolved options of one call to :func:`virkning.match` (nearest neighbour)."""

    treatment: str
    covariates: tuple[str, ...]
    exact: tuple[str, ...]
    ratio: int
    replace: bool
    caliper: float | None  # caliper on the distance (in SDs of the distance if std_caliper)
    distance: Distance
    mahvars: tuple[str, ...]
    m_order: MOrder
    seed: int | None
    cluster: str | None
    compat: Compat
    estimand: Estimand = "ATT"
    discard: Discard = "none"
    reestimate: bool = False
    std_caliper: bool = True
    covariate_calipers: tuple[CovariateCaliper, ...] = ()
    antiexact: tuple[str, ...] = ()

    @property
    def uses_propensity(self) -> bool:
        return self.distance != "mahalanobis"

    @property
    def caliper_variables(self) -> tuple[str, ...]:
        return tuple(c.variable for c in self.covariate_calipers)

    @property
    def mahalanobis_columns(self) -> tuple[str, ...]:
        """Columns entering a Mahalanobis distance: all covariates for full Mahalanobis matching, else mahvars."""
        return self.covariates if self.distance == "mahalanobis" else self.mahvars

    def to_dict(self) -> dict[str, object]:
        out = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}
        out["covariate_calipers"] = {c.variable: {"width": c.width, "standardised": c.standardised}
                                     for c in self.covariate_calipers}
        return out


def _ignored(option: str, why: str) -> None:
    warnings.warn(f"option '{option}' is ignored: {why}", IgnoredOptionWarning, stacklevel=4)


def make_match_config(
    data: pd.DataFrame | None,
    *,
    treatment: str,
    covariates: Sequence[str] | str,
    exact: Sequence[str] | str | None,
    ratio: int,
    replace: bool,
    caliper: float | Mapping[str, float] | None,
    distance: str,
    mahvars: Sequence[str] | str | None,
    m_order: str | None,
    seed: int | None,
    cluster: str | None,
    compat: str,
    estimand: str = "ATT",
    discard: str = "none",
    reestimate: bool = False,
    std_caliper: bool | Mapping[str, bool] = True,
    antiexact: Sequence[str] | str | None = None,
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
    estimand = _estimand(estimand)
    discard = check_choice("discard", discard, Discard)
    if not isinstance(reestimate, (bool, np.bool_)):
        raise DesignError(f"option 'reestimate': expected True or False; got {reestimate!r}.")
    if not isinstance(treatment, str):
        raise DesignError(f"option 'treatment': expected the name of the 0/1 treatment column; got {treatment!r}.")
    (treatment_name,) = _names("treatment", treatment, data)
    covs = _names("covariates", covariates, data)
    if not covs:
        raise DesignError("option 'covariates': expected at least one covariate column; got none.")
    exact_names = _names("exact", exact, data)
    mah = _names("mahvars", mahvars, data)
    anti = _names("antiexact", antiexact, data)
    for option, names in (("covariates", covs), ("exact", exact_names), ("mahvars", mah), ("antiexact", anti)):
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
    caliper, std_dist, cov_calipers = _calipers(caliper, std_caliper, data, distance)
    for c in cov_calipers:
        if c.variable == treatment_name:
            raise DesignError(f"option 'caliper': the treatment column {treatment_name!r} cannot have a caliper.")
    if discard != "none" and distance == "mahalanobis":
        raise DesignError(f"option 'discard': common support ({discard!r}) is defined on the propensity score, "
                          "which distance='mahalanobis' does not estimate. Use distance='logit' or 'ps' with "
                          "mahvars=[...], or discard='none'.")
    if reestimate and discard == "none":
        _ignored("reestimate", "the propensity model is re-estimated only after units are discarded "
                               "(discard='both', 'treated' or 'control').")
        reestimate = False
    if seed is not None and (isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer))):
        raise DesignError(f"option 'seed': expected an integer or None; got {seed!r}.")

    if m_order is None:
        # MatchIt: focal units with the largest score choose first for the ATT, the smallest for the ATC
        resolved_order: str = "data" if (distance == "mahalanobis" or replace) else (
            "smallest" if estimand == "ATC" else "largest")
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
        estimand=estimand, discard=discard, reestimate=bool(reestimate),  # type: ignore[arg-type]
        std_caliper=std_dist, covariate_calipers=cov_calipers, antiexact=anti,
    )


# Which estimands MatchIt 4.5.1's matching methods support (the match_arg calls of its matchit2* functions).
ESTIMANDS_BY_METHOD = {"nearest": ("ATT", "ATC"), "optimal": ("ATT", "ATC"), "genetic": ("ATT", "ATC"),
                       "full": ("ATT", "ATC", "ATE"), "subclass": ("ATT", "ATC", "ATE"),
                       "exact": ("ATT", "ATC", "ATE"), "cem": ("ATT", "ATC", "ATE"),
                       "cardinality": ("ATT", "ATC", "ATE"), "quick": ("ATT", "ATC", "ATE")}


def _estimand(value: object) -> str:
    if isinstance(value, str) and value.upper() == "ATE":
        raise DesignError(
            "option 'estimand': nearest-neighbour matching ('nearest', the only method of virkning.match) estimates "
            "the 'ATT' or the 'ATC', as in MatchIt, where 'nearest', 'optimal' and 'genetic' support ATT and ATC "
            "only; the ATE needs a method that keeps (and weights) units of both groups: full matching, "
            "subclassification, exact or coarsened exact matching, cardinality or quick matching ('full', "
            "'subclass', 'exact', 'cem', 'cardinality', 'quick'). Use estimand='ATT' or 'ATC', or a weighting "
            "estimator for the ATE.")
    if not isinstance(value, str) or value.upper() not in get_args(Estimand):
        raise DesignError(f"option 'estimand': expected one of 'ATT', 'ATC'; got {value!r}.")
    return value.upper()


def _positive(option: str, value: object) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value) or value <= 0:
        raise DesignError(f"option '{option}': expected a positive number (a width, in standard deviations if "
                          f"std_caliper is True) or None; got {value!r}.")
    return float(value)


def _calipers(caliper: object, std_caliper: object, data: pd.DataFrame, distance: str
              ) -> tuple[float | None, bool, tuple[CovariateCaliper, ...]]:
    """MatchIt's caliper vector: a number (the distance) or a mapping {"distance": w, "age": w, ...}.

    ``std_caliper`` is True/False for all entries or a mapping per entry (missing entries: True), as MatchIt's
    ``std.caliper``. Covariates with a single value are dropped (the caliper cannot bind), binary and
    categorical ones are rejected, as MatchIt does.
    """
    if caliper is None:
        entries: dict[Hashable, object] = {}
    elif isinstance(caliper, Mapping):
        entries = dict(caliper)
    elif isinstance(caliper, pd.Series):
        entries = caliper.to_dict()
    else:
        entries = {DISTANCE_KEY: caliper}
    bad_keys = [k for k in entries if not isinstance(k, str)]
    if bad_keys:
        raise DesignError(f"option 'caliper': keys must be column names or {DISTANCE_KEY!r}; got {bad_keys!r}.")
    # every key was checked to be a str just above
    widths = {k: _positive("caliper", v) for k, v in cast(dict[str, object], entries).items()}
    if isinstance(std_caliper, (bool, np.bool_)):
        std = {k: bool(std_caliper) for k in widths}
    elif isinstance(std_caliper, Mapping):
        unknown = [k for k in std_caliper if k not in widths]
        bad = [k for k, v in std_caliper.items() if not isinstance(v, (bool, np.bool_))]
        if unknown or bad:
            raise DesignError(f"option 'std_caliper': expected True/False for entries of 'caliper' "
                              f"({', '.join(map(repr, widths)) or 'none'}); got {dict(std_caliper)!r}.")
        std = {k: bool(std_caliper.get(k, True)) for k in widths}
    else:
        raise DesignError(f"option 'std_caliper': expected True, False or a mapping from caliper entries to "
                          f"True/False; got {std_caliper!r}.")
    dist_width = widths.pop(DISTANCE_KEY, None)
    if dist_width is not None and distance == "mahalanobis":
        raise DesignError("option 'caliper': a caliper on the distance is measured in standard deviations of the "
                          "propensity distance, which distance='mahalanobis' does not estimate. Use "
                          "distance='logit' with mahvars=[...] for Mahalanobis matching within a propensity "
                          "caliper, or name covariates: caliper={'age': 2}.")
    if widths:
        _names("caliper", list(widths), data)
    out = []
    for name, width in widths.items():
        s = data[name]
        if not (pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)):
            raise DesignError(f"option 'caliper': calipers cannot be used with binary, categorical or text "
                              f"columns; {name!r} is {s.dtype}. Use exact=[{name!r}] instead.")
        k = s.nunique(dropna=False)
        if k == 2:
            raise DesignError(f"option 'caliper': calipers cannot be used with binary columns; {name!r} has two "
                              f"values. Use exact=[{name!r}] instead.")
        if k > 1:  # MatchIt drops a caliper on a column with one value: it cannot exclude anyone
            out.append(CovariateCaliper(variable=name, width=width, standardised=std[name]))
    return dist_width, std.get(DISTANCE_KEY, True), tuple(out)

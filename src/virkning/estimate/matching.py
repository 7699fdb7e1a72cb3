"""``match()``: nearest-neighbour matching for the ATT or the ATC on any data frame, in MatchIt's spirit.

The pipeline is visible in one function: check options -> treatment -> distance (propensity model) ->
common support (discard, optionally re-estimate the model) -> calipers -> exact cells -> focal group and
order -> match -> weights and matched sets -> result. The numbers happen in ``propensity``, ``nearest`` and
``balance``; see ``docs/matching.md`` for the method and its conventions.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from virkning.errors import DesignError, EstimationError
from virkning.estimate.formula import split_formula
from virkning.estimate.model_matrix import check_complete, codes_and_levels, exact_cells, mahalanobis_coordinates
from virkning.estimate.nearest import (Constraints, matchit_subclass, matchit_weights, nn_mahalanobis, nn_vector,
                                       processing_order)
from virkning.estimate.options import MatchConfig, MatchingWarning, make_match_config
from virkning.estimate.propensity import fit_propensity
from virkning.estimate.result import MatchInfo, MatchResult


def _treatment(data: pd.DataFrame, column: str) -> np.ndarray:
    s = data[column]
    if s.isna().any():
        rows = data.index[s.isna().to_numpy()][:3].tolist()
        raise DesignError(f"option 'treatment': column {column!r} has missing values (e.g. rows {rows}); "
                          "drop these rows first.")
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.to_numpy(dtype=bool)
    if isinstance(s.dtype, np.dtype) and s.dtype.kind in "iuf":
        # numpy integers and floats: compare in place (no float copy of the column, no unique values unless
        # they are needed for the message); the same test as below, for these types
        x = s.to_numpy()
        one = x == 1
        if (one | (x == 0)).all():
            return one
    values = pd.unique(s)
    if not pd.api.types.is_numeric_dtype(s.dtype) or not set(np.asarray(values, dtype=float)) <= {0.0, 1.0}:
        shown = ", ".join(map(repr, list(values)[:5]))
        raise DesignError(f"option 'treatment': column {column!r} must hold 0/1 (or True/False); found {shown}. "
                          "Recode it so that 1 marks the treated (participants).")
    return s.to_numpy(dtype=float) == 1.0


def common_support(treat: np.ndarray, score: np.ndarray, option: str) -> np.ndarray:
    """Units outside the common support of the score (MatchIt's ``discard``): True = discarded.

    'both': outside [max of the groups' minima, min of their maxima]; 'control': controls outside the treated
    range; 'treated': treated outside the control range; 'none': nobody.
    """
    if option == "none":
        return np.zeros(len(treat), dtype=bool)
    lo1, hi1 = score[treat].min(), score[treat].max()
    lo0, hi0 = score[~treat].min(), score[~treat].max()
    if option == "both":
        return (score < max(lo0, lo1)) | (score > min(hi0, hi1))
    if option == "control":
        return (score < lo1) | (score > hi1)
    return (score < lo0) | (score > hi0)


def match(data_or_formula: pd.DataFrame | str | None = None, treatment: str = "treat",
          covariates: Sequence[str] | str = (), exact: Sequence[str] | str | None = None, ratio: int = 1,
          replace: bool = False, caliper: float | Mapping[str, float] | None = None, distance: str = "logit",
          mahvars: Sequence[str] | str | None = None, m_order: str | None = None, seed: int | None = None,
          cluster: str | None = None, *, data: pd.DataFrame | None = None, estimand: str = "ATT",
          discard: str = "none", reestimate: bool = False, std_caliper: bool | Mapping[str, bool] = True,
          antiexact: Sequence[str] | str | None = None, compat: str = "none") -> MatchResult:
    """Nearest-neighbour matching of the focal group (treated for the ATT, controls for the ATC) to the other.

    Call it with a data frame and column names, ``match(df, treatment="treat", covariates=["age", "educ"])``,
    or as in MatchIt with a formula, ``match("treat ~ age + educ", data=df)`` (column names joined by ``+``,
    ``.`` for all other columns, ``- name`` to leave one out; see ``virkning.estimate.formula``).

    Parameters
    ----------
    data_or_formula, data: the data frame (one row per unit; its index labels identify units in ``pairs`` and
        ``unmatched``), or a formula as the first argument with the data frame as ``data=``.
    treatment: 0/1 (or boolean) column, 1 = treated.
    covariates: columns of the propensity model (distance 'logit'/'ps') or of the Mahalanobis distance
        (distance 'mahalanobis'). Categorical columns are expanded to indicators.
    exact: columns whose values must agree within a matched set (exact cells).
    ratio: matches per focal unit (k in 1:k matching).
    replace: whether a unit of the other group may be matched to several focal units.
    caliper: maximum distance: a number for the propensity distance, or a mapping in the way of MatchIt's
        named caliper vector, e.g. ``{"distance": 0.2, "age": 5}``; widths are in standard deviations
        (over the units not discarded) unless ``std_caliper`` says otherwise. Focal units without a match
        within every caliper stay unmatched.
    distance: 'logit' (linear predictor of the logistic propensity model; MatchIt ``distance="glm",
        link="linear.logit"``), 'ps' (the propensity score, MatchIt's default) or 'mahalanobis'.
    mahvars: with a propensity distance, choose among controls within the caliper by Mahalanobis distance
        on these columns.
    m_order: order in which focal units choose: 'largest' (default for the ATT with a propensity distance),
        'smallest' (default for the ATC), 'data' (default for Mahalanobis and with replacement) or 'random'.
    seed: seed of the random order (m_order='random').
    cluster: optional id column (e.g. a person id) used as an extra clustering dimension for SEs and as the
        resampling unit of the bootstraps.
    estimand: 'ATT' (default) or 'ATC'; the ATE is not estimable by nearest-neighbour matching (DesignError).
    discard: 'none', 'both', 'treated' or 'control': drop units outside the common support of the propensity
        score before matching (MatchIt's ``discard``); counted as "Discarded" in the sample sizes.
    reestimate: re-fit the propensity model on the units that are left after discarding.
    std_caliper: True/False, or a mapping per caliper entry: whether a caliper is in standard deviations.
    antiexact: columns on which matched units must differ (MatchIt's ``antiexact``).
    compat: 'matchit-4.5.1-gcc' reproduces MatchIt 4.5.1 binaries built with GCC, whose nearest-neighbour
        search on a propensity distance compared only the integer part of distances and, with ratio > 1,
        looked up earlier matches with an index off by one; for validation only (docs/matching.md).
    """
    started = time.perf_counter()
    if isinstance(data_or_formula, str):  # formula interface: match("treat ~ x1 + x2", data=df)
        if data is None:
            raise DesignError("match: with a formula as the first argument, pass the data frame as data=... "
                              "(e.g. virkning.match('treat ~ age + educ', data=df)).")
        if covariates:
            raise DesignError("match: give the covariates either in the formula or as covariates=[...], not both.")
        treatment, covariates = split_formula(data_or_formula, data)
    elif data_or_formula is not None:
        if data is not None:
            raise DesignError("match: pass the data frame once, as the first argument or as data=..., not both.")
        data = data_or_formula
    cfg = make_match_config(data, treatment=treatment, covariates=covariates, exact=exact, ratio=ratio,
                            replace=replace, caliper=caliper, distance=distance, mahvars=mahvars, m_order=m_order,
                            seed=seed, cluster=cluster, compat=compat, estimand=estimand, discard=discard,
                            reestimate=reestimate, std_caliper=std_caliper, antiexact=antiexact)
    assert data is not None  # make_match_config raised DesignError for anything but a DataFrame
    treat = _treatment(data, cfg.treatment)
    n1, n0 = int(treat.sum()), int((~treat).sum())
    if n1 == 0 or n0 == 0:
        raise DesignError(f"option 'treatment': column {cfg.treatment!r} has {n1} treated and {n0} control rows; "
                          "matching needs both.")
    for option, cols in (("exact", cfg.exact), ("mahvars", cfg.mahvars), ("caliper", cfg.caliper_variables),
                         ("antiexact", cfg.antiexact)):
        check_complete(data, cols, option)

    # distance
    codes_cache: dict = {}  # categorical columns coded once for the model and the exact cells
    fit = None
    dist = None
    if cfg.uses_propensity:
        fit = fit_propensity(data, cfg.treatment, cfg.covariates, codes_cache=codes_cache)
        dist = fit.linear_predictor if cfg.distance == "logit" else fit.score
    else:
        check_complete(data, cfg.covariates, "covariates")

    # common support, on the distance as matched (MatchIt's rule; the logit is monotone in the score)
    discarded = common_support(treat, dist, cfg.discard) if dist is not None else np.zeros(len(data), bool)
    if discarded.all() or not (treat & ~discarded).any() or not (~treat & ~discarded).any():
        raise EstimationError(f"common support: discard={cfg.discard!r} leaves {int((treat & ~discarded).sum())} "
                              f"treated and {int((~treat & ~discarded).sum())} control units; nothing to match.")
    fit_all = None
    if cfg.reestimate and discarded.any():
        fit_all = fit
        kept = np.flatnonzero(~discarded)
        fit = fit_propensity(data.iloc[kept], cfg.treatment, cfg.covariates)
        assert dist is not None  # without a distance nothing is discarded
        dist = dist.copy()
        dist[kept] = fit.linear_predictor if cfg.distance == "logit" else fit.score

    # calipers, in standard deviations over the units not discarded (MatchIt's std.caliper)
    inside = None if not discarded.any() else ~discarded  # None: all units (no copy)
    dist_sd = float(np.std(dist if inside is None else dist[inside], ddof=1)) if dist is not None else None
    width = None
    if cfg.caliper is not None:
        # a distance caliper is rejected for distance='mahalanobis', so a propensity distance exists here
        assert dist_sd is not None
        width = cfg.caliper * dist_sd if cfg.std_caliper else cfg.caliper
    cov_widths: dict[str, float] = {}
    for c in cfg.covariate_calipers:
        x = data[c.variable].to_numpy(dtype=np.float64)
        cov_widths[c.variable] = c.width * float(np.std(x if inside is None else x[inside], ddof=1)) \
            if c.standardised else c.width

    # exact cells; the focal group chooses (the treated for the ATT, the controls for the ATC)
    cells, cell_table = exact_cells(data, cfg.exact, codes_cache=codes_cache)
    focal = treat if cfg.estimand == "ATT" else ~treat
    _warn_short_cells(focal & ~discarded, ~focal & ~discarded, cells, cfg.ratio, cfg.replace, bool(cfg.exact),
                      cfg.estimand)
    constraints = _constraints(data, cfg, cov_widths)

    # order and matching
    rng = np.random.default_rng(cfg.seed)
    order = processing_order(int(focal.sum()), None if dist is None else dist[focal], cfg.m_order, rng)
    if cfg.distance == "mahalanobis" or cfg.mahvars:
        coords = mahalanobis_coordinates(data, cfg.mahalanobis_columns, treat, keep=~discarded)
        out = nn_mahalanobis(focal, coords, cells, order, ratio=cfg.ratio, replace=cfg.replace,
                             distance=dist, caliper=width, discarded=discarded, constraints=constraints)
    else:
        assert dist is not None
        out = nn_vector(focal, dist, cells, order, ratio=cfg.ratio, replace=cfg.replace, caliper=width,
                        truncate=cfg.compat == "matchit-4.5.1-gcc", discarded=discarded, constraints=constraints,
                        cell_order=codes_cache.get(("stable order", tuple(cfg.exact))))

    n = len(data)
    mm = out.match_matrix
    if not (mm >= 0).any():
        who = "no treated unit received a control" if cfg.estimand == "ATT" else \
            "no control received a treated unit"
        raise EstimationError(f"matching: {who}. Widen or drop the caliper, or use fewer exact variables.")
    weights = matchit_weights(n, out.treated, mm)
    subclass = np.zeros(n, dtype=np.int64) if cfg.replace else matchit_subclass(n, out.treated, mm)
    for a in (weights, subclass, treat, mm, out.reason, out.treated, discarded):
        a.setflags(write=False)
    if dist is not None:
        dist.setflags(write=False)
    if fit is not None:
        fit.linear_predictor.setflags(write=False)
        fit.score.setflags(write=False)
    info = MatchInfo(
        method="nearest", estimand=cfg.estimand, distance=cfg.distance,
        link={"logit": "linear.logit", "ps": "logit"}.get(cfg.distance), ratio=cfg.ratio, replace=cfg.replace,
        m_order=cfg.m_order, caliper_sd=cfg.caliper if cfg.std_caliper else None, caliper_width=width,
        distance_sd=dist_sd, exact=cfg.exact, n_exact_cells=len(cell_table) if cfg.exact else 1,
        mahvars=cfg.mahalanobis_columns, compat=cfg.compat, n_treated=n1, n_control=n0,
        n_treated_matched=int((treat & (weights > 0)).sum()),
        n_control_matched=int((~treat & (weights > 0)).sum()), seconds=time.perf_counter() - started,
        discard=cfg.discard, reestimate=cfg.reestimate, n_treated_discarded=int((treat & discarded).sum()),
        n_control_discarded=int((~treat & discarded).sum()), caliper_widths=tuple(cov_widths.items()),
        antiexact=cfg.antiexact)
    return MatchResult(config=cfg, info=info, propensity=fit, source=data, treat=treat, distance=dist,
                       weights=weights, subclass=subclass, treated_rows=out.treated, match_matrix=mm,
                       reason=out.reason, discarded=discarded, propensity_all=fit_all)


def _constraints(data: pd.DataFrame, cfg: MatchConfig, cov_widths: dict[str, float]) -> Constraints | None:
    """Anti-exact codes and covariate calipers in the form the matching routines check them."""
    if not cfg.antiexact and not cov_widths:
        return None
    anti = np.column_stack([codes_and_levels(data[c])[0] for c in cfg.antiexact]) if cfg.antiexact else None
    cal = np.column_stack([data[c].to_numpy(dtype=np.float64) for c in cov_widths]) if cov_widths else None
    return Constraints(antiexact=anti, caliper_values=cal,
                       caliper_widths=np.asarray(list(cov_widths.values()), dtype=np.float64) if cov_widths else None,
                       truncate=cfg.compat == "matchit-4.5.1-gcc" and cfg.distance != "mahalanobis"
                       and not cfg.mahvars)


def _warn_short_cells(focal: np.ndarray, other: np.ndarray, cells: np.ndarray, ratio: int, replace: bool,
                      has_exact: bool, estimand: str) -> None:
    """Warn, as MatchIt does, when some cells cannot give every focal unit its matches."""
    if replace:
        return
    k = int(cells.max()) + 1
    nt = np.bincount(cells[focal], minlength=k)
    nc = np.bincount(cells, minlength=k) - np.bincount(cells[~other], minlength=k)  # no copy of the many
    with_t = nt > 0
    where = "in some exact cells" if has_exact else "in the data"
    f, o = ("treated units", "controls") if estimand == "ATT" else ("controls", "treated units")
    if np.any(nc[with_t] < nt[with_t]):
        warnings.warn(f"fewer {o} than {f} {where}; not all {f} will get a match.", MatchingWarning, stacklevel=3)
    elif ratio > 1 and np.any(nc[with_t] < ratio * nt[with_t]):
        warnings.warn(f"not enough {o} {where} for {ratio} per {f[:-1]}; not all {f} will get {ratio} matches.",
                      MatchingWarning, stacklevel=3)

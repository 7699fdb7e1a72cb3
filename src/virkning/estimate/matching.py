"""``match()``: nearest-neighbour matching for the ATT on any data frame, in MatchIt's spirit.

The pipeline is visible in one function: check options -> treatment -> distance (propensity model) ->
caliper -> exact cells -> order -> match -> weights and matched sets -> result. The numbers happen in
``propensity``, ``nearest`` and ``balance``; see ``docs/matching.md`` for the method and its conventions.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from virkning.errors import DesignError, EstimationError
from virkning.estimate.model_matrix import check_complete, exact_cells, mahalanobis_coordinates
from virkning.estimate.nearest import (matchit_subclass, matchit_weights, nn_mahalanobis, nn_vector,
                                       processing_order)
from virkning.estimate.options import MatchingWarning, make_match_config
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
    values = pd.unique(s)
    if not pd.api.types.is_numeric_dtype(s.dtype) or not set(np.asarray(values, dtype=float)) <= {0.0, 1.0}:
        shown = ", ".join(map(repr, list(values)[:5]))
        raise DesignError(f"option 'treatment': column {column!r} must hold 0/1 (or True/False); found {shown}. "
                          "Recode it so that 1 marks the treated (participants).")
    return s.to_numpy(dtype=float) == 1.0


def match(data: pd.DataFrame, treatment: str = "treat", covariates: Sequence[str] | str = (), exact:
          Sequence[str] | str | None = None, ratio: int = 1, replace: bool = False, caliper: float | None = None,
          distance: str = "logit", mahvars: Sequence[str] | str | None = None, m_order: str | None = None,
          seed: int | None = None, cluster: str | None = None, *, compat: str = "none") -> MatchResult:
    """Nearest-neighbour matching of treated units to controls, estimating the ATT.

    Parameters
    ----------
    data: one row per unit; its index labels identify units in ``pairs`` and ``unmatched``.
    treatment: 0/1 (or boolean) column, 1 = treated.
    covariates: columns of the propensity model (distance 'logit'/'ps') or of the Mahalanobis distance
        (distance 'mahalanobis'). Categorical columns are expanded to indicators.
    exact: columns whose values must agree within a matched set (exact cells).
    ratio: controls per treated unit (k in 1:k matching).
    replace: whether a control may be matched to several treated units.
    caliper: maximum distance, in standard deviations of the distance over all units (MatchIt's
        convention); treated units without a control within it stay unmatched.
    distance: 'logit' (linear predictor of the logistic propensity model; MatchIt ``distance="glm",
        link="linear.logit"``), 'ps' (the propensity score, MatchIt's default) or 'mahalanobis'.
    mahvars: with a propensity distance, choose among controls within the caliper by Mahalanobis distance
        on these columns.
    m_order: order in which treated units choose: 'largest' (default with a propensity distance),
        'smallest', 'data' (default for Mahalanobis and with replacement) or 'random'.
    seed: seed of the random order (m_order='random').
    cluster: optional id column (e.g. a person id) used as an extra clustering dimension for SEs.
    compat: 'matchit-4.5.1-gcc' reproduces MatchIt 4.5.1 binaries built with GCC, whose nearest-neighbour
        search on a propensity distance compared only the integer part of distances and, with ratio > 1,
        looked up earlier matches with an index off by one; for validation only (docs/matching.md).
    """
    started = time.perf_counter()
    cfg = make_match_config(data, treatment=treatment, covariates=covariates, exact=exact, ratio=ratio,
                            replace=replace, caliper=caliper, distance=distance, mahvars=mahvars, m_order=m_order,
                            seed=seed, cluster=cluster, compat=compat)
    treat = _treatment(data, cfg.treatment)
    n1, n0 = int(treat.sum()), int((~treat).sum())
    if n1 == 0 or n0 == 0:
        raise DesignError(f"option 'treatment': column {cfg.treatment!r} has {n1} treated and {n0} control rows; "
                          "matching needs both.")
    check_complete(data, cfg.exact, "exact")
    check_complete(data, cfg.mahvars, "mahvars")

    # distance
    codes_cache: dict = {}  # categorical columns coded once for the model and the exact cells
    fit = None
    dist = None
    if cfg.uses_propensity:
        fit = fit_propensity(data, cfg.treatment, cfg.covariates, codes_cache=codes_cache)
        dist = fit.linear_predictor if cfg.distance == "logit" else fit.score
    else:
        check_complete(data, cfg.covariates, "covariates")

    # caliper, in standard deviations of the distance over all units
    dist_sd = float(np.std(dist, ddof=1)) if dist is not None else None
    width = cfg.caliper * dist_sd if (cfg.caliper is not None and dist_sd is not None) else None

    # exact cells
    cells, cell_table = exact_cells(data, cfg.exact, codes_cache=codes_cache)
    _warn_short_cells(treat, cells, cfg.ratio, cfg.replace, bool(cfg.exact))

    # order and matching
    rng = np.random.default_rng(cfg.seed)
    order = processing_order(n1, None if dist is None else dist[treat], cfg.m_order, rng)
    if cfg.distance == "mahalanobis" or cfg.mahvars:
        coords = mahalanobis_coordinates(data, cfg.mahalanobis_columns, treat)
        out = nn_mahalanobis(treat, coords, cells, order, ratio=cfg.ratio, replace=cfg.replace,
                             distance=dist, caliper=width)
    else:
        assert dist is not None
        out = nn_vector(treat, dist, cells, order, ratio=cfg.ratio, replace=cfg.replace, caliper=width,
                        truncate=cfg.compat == "matchit-4.5.1-gcc")

    n = len(data)
    mm = out.match_matrix
    if not (mm >= 0).any():
        raise EstimationError("matching: no treated unit received a control. Widen or drop the caliper, or use "
                              "fewer exact variables.")
    weights = matchit_weights(n, out.treated, mm)
    subclass = np.zeros(n, dtype=np.int64) if cfg.replace else matchit_subclass(n, out.treated, mm)
    for a in (weights, subclass, treat, mm, out.reason, out.treated):
        a.setflags(write=False)
    if fit is not None:
        fit.linear_predictor.setflags(write=False)
        fit.score.setflags(write=False)
    info = MatchInfo(
        method="nearest", estimand="ATT", distance=cfg.distance,
        link={"logit": "linear.logit", "ps": "logit"}.get(cfg.distance), ratio=cfg.ratio, replace=cfg.replace,
        m_order=cfg.m_order, caliper_sd=cfg.caliper, caliper_width=width, distance_sd=dist_sd, exact=cfg.exact,
        n_exact_cells=len(cell_table) if cfg.exact else 1, mahvars=cfg.mahalanobis_columns, compat=cfg.compat,
        n_treated=n1, n_control=n0, n_treated_matched=int(((mm >= 0).any(axis=1)).sum()),
        n_control_matched=int((~treat & (weights > 0)).sum()), seconds=time.perf_counter() - started)
    return MatchResult(config=cfg, info=info, propensity=fit, source=data, treat=treat, distance=dist,
                       weights=weights, subclass=subclass, treated_rows=out.treated, match_matrix=mm,
                       reason=out.reason)


def _warn_short_cells(treat: np.ndarray, cells: np.ndarray, ratio: int, replace: bool, has_exact: bool) -> None:
    """Warn, as MatchIt does, when some cells cannot give every treated unit its controls."""
    if replace:
        return
    k = int(cells.max()) + 1
    nt = np.bincount(cells[treat], minlength=k)
    nc = np.bincount(cells[~treat], minlength=k)
    with_t = nt > 0
    where = "in some exact cells" if has_exact else "in the data"
    if np.any(nc[with_t] < nt[with_t]):
        warnings.warn(f"fewer controls than treated units {where}; not all treated units will get a match.",
                      MatchingWarning, stacklevel=3)
    elif ratio > 1 and np.any(nc[with_t] < ratio * nt[with_t]):
        warnings.warn(f"not enough controls {where} for {ratio} per treated unit; not all treated units will "
                      f"get {ratio} matches.", MatchingWarning, stacklevel=3)

"""Linear probability models: OLS of several 0/1 outcomes on covariates and controls, reported side by side.

``lpm()`` is the numeric core of the seed's "OLS-resultater" table (Flere skal med, Tabel 4-4): every outcome is
regressed on the same covariates (shown) and control variables (estimated, not shown), one OLS per outcome on
that outcome's complete rows. The fits are statsmodels' ``OLS``; the standard errors are

- ``"classical"``: sigma^2 (X'X)^-1, t with n - k degrees of freedom;
- ``"hc1"``: White's heteroskedasticity-robust variance with the n / (n - k) factor (Stata's ``robust``,
  ``sandwich::vcovHC(type = "HC1")``), t(n - k);
- ``"cluster"``: cluster-robust by a unit column (CR1: G/(G-1) (n-1)/(n-k), Stata's ``vce(cluster)`` and
  ``sandwich::vcovCL(type = "HC1")``), t(G - 1) as in Stata;
- ``"wild"``: the CR1 standard error, with p-values and confidence intervals of the shown covariates from the
  restricted wild cluster bootstrap (``virkning.estimate.wild``), for few clusters (such as 9-13 municipalities).

Nothing is dropped silently: rows with missing values are counted per outcome and per column (``dropped``), or
refused with ``missing="raise"``. See docs/regression.md.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd
import scipy.linalg

from virkning.errors import DesignError, EstimationError
from virkning.estimate.model_matrix import design_matrix, is_categorical
from virkning.estimate.options import IgnoredOptionWarning, check_choice
from virkning.estimate.regression_result import COEF_COLUMNS, RegressionInfo, RegressionResult
from virkning.estimate.wild import WildTest, boot_weights as draw_weights, wild_test
from virkning.estimate.options import FewClustersWarning  # noqa: F401 (re-exported)

SE = Literal["classical", "hc1", "cluster", "wild"]
MissingRule = Literal["drop", "raise"]
BootWeights = Literal["rademacher", "webb"]
PValue = Literal["symmetric", "equal-tailed"]
FEW_CLUSTERS = 30  # below this many clusters, CR1 t-tests over-reject (Cameron and Miller 2015): suggest "wild"


class SingletonClusterWarning(UserWarning):
    """Some clusters have a single observation: they add nothing to within-cluster correlation."""


class DroppedRowsWarning(UserWarning):
    """Rows with missing values were left out of some regressions (counts in ``result.dropped``)."""


def _names(option: str, value: str | Iterable[str] | None, data: pd.DataFrame, *, empty_ok: bool) -> tuple[str, ...]:
    if value is None:
        value = ()
    names = (value,) if isinstance(value, str) else tuple(value)
    bad = [n for n in names if not isinstance(n, str)]
    if bad:
        raise DesignError(f"option '{option}': column names must be strings; got {bad!r}.")
    if not names and not empty_ok:
        raise DesignError(f"option '{option}': expected at least one column name; got none.")
    missing = [n for n in names if n not in data.columns]
    if missing:
        raise DesignError(f"option '{option}': column(s) {', '.join(map(repr, missing))} not in the data. "
                          f"Available columns: {', '.join(map(str, data.columns[:30]))}.")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise DesignError(f"option '{option}': column(s) {dupes} listed more than once; list each column once.")
    return names


def _missing_mask(series: pd.Series) -> np.ndarray:
    bad = series.isna().to_numpy().copy()
    if pd.api.types.is_float_dtype(series.dtype):
        bad |= ~np.isfinite(series.to_numpy(dtype=float, na_value=np.nan))
    return bad


def _check_outcome(data: pd.DataFrame, col: str, binary: bool) -> np.ndarray:
    s = data[col]
    if not (pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype)):
        raise DesignError(f"option 'outcomes': column {col!r} is not numeric (dtype {s.dtype}); code outcomes as 0/1.")
    y = s.to_numpy(dtype=np.float64, na_value=np.nan)
    if binary:
        ok = np.isnan(y) | (y == 0.0) | (y == 1.0)
        if not ok.all():
            rows = data.index[~ok][:3].tolist()
            shown = ", ".join(map(repr, pd.unique(y[~ok])[:5].tolist()))
            raise DesignError(f"option 'outcomes': column {col!r} is declared binary but has values other than 0/1 "
                              f"({shown}; {int((~ok).sum())} rows, e.g. {rows}). Recode it to 0/1, or pass "
                              "binary=False for a continuous outcome.")
    return y


def _check_rank(X: np.ndarray, names: list[str], outcome: str, n: int) -> None:
    """Name constant and collinear columns instead of letting a pseudo-inverse hide them."""
    const = [names[k] for k in range(1, X.shape[1]) if np.ptp(X[:, k]) == 0.0]
    if const:
        vals = {names[k]: X[0, k] for k in range(1, X.shape[1]) if names[k] in const}
        shown = ", ".join(f"{c!r} (always {vals[c]:g})" for c in const)
        raise EstimationError(f"outcome {outcome!r}: covariate column(s) {shown} do not vary in the {n} rows used, so "
                              "their effect cannot be told apart from the intercept. Drop them or widen the sample.")
    norms = np.linalg.norm(X, axis=0)
    _q, r, _piv = scipy.linalg.qr(X / norms, mode="economic", pivoting=True)
    diag = np.abs(np.diag(r))
    rank = int(np.sum(diag > 1e-7 * diag[0]))  # R's lm() tolerance on the scaled pivoted QR
    if rank == X.shape[1]:
        return
    # name the relations the way lm() aliases: a column is redundant when earlier kept columns span it
    indep: list[int] = [0]
    parts = []
    for k in range(1, X.shape[1]):
        coef = np.linalg.lstsq(X[:, indep], X[:, k], rcond=None)[0]
        if np.linalg.norm(X[:, k] - X[:, indep] @ coef) > 1e-7 * norms[k]:
            indep.append(k)
            continue
        used = [(names[i], c) for i, c in zip(indep, coef) if abs(c) > 1e-8]
        combo = " + ".join(f"{c:.3g}*{nm}" for nm, c in used) or "0"
        parts.append(f"{names[k]!r} = {combo}")
    raise EstimationError(f"outcome {outcome!r}: the covariates are collinear in the {n} rows used: "
                          f"{'; '.join(parts)}. Drop one column of each relation (for indicators of a complete set of "
                          "categories, leave one category out).")


def lpm(data: pd.DataFrame, outcomes: Sequence[str] | str, covariates: Sequence[str] | str,
        controls: Sequence[str] | str = (), *, cluster: str | None = None, se: str | None = None,
        binary: bool = True, percent: bool | None = None, level: float = 0.95, missing: str = "drop",
        n_boot: int | None = None, boot_weights: str | None = None, p_value: str | None = None,
        seed: int | None = None, labels: Mapping[str, str] | None = None) -> RegressionResult:
    """Linear probability models of several outcomes on the same covariates (shown) and controls (not shown).

    Parameters
    ----------
    data: one row per unit (e.g. person).
    outcomes: outcome columns, one regression each; 0/1 (or boolean) when ``binary`` is True.
    covariates: columns whose coefficients are reported (0/1, numeric, or categorical: expanded to indicators
        with the first level as reference).
    controls: columns in every regression whose coefficients are estimated but not shown in ``table()``.
    cluster: unit column (e.g. municipality) for se='cluster' or 'wild'.
    se: 'classical', 'hc1' (default without ``cluster``), 'cluster' (default with it) or 'wild'.
    binary: outcomes must be 0/1; estimates are then reported in percentage points.
    percent: report estimates, SEs, CIs and means times 100 (default: ``binary``).
    level: confidence level of the intervals.
    missing: 'drop' (leave rows with a missing outcome, covariate, control or cluster out of that outcome's
        regression, counted in ``dropped`` and warned about) or 'raise'.
    n_boot: wild bootstrap draws (default 9999); with Rademacher weights and 2^G <= n_boot all 2^G sign
        vectors are used instead (exact, no seed needed).
    boot_weights: 'rademacher' (default) or 'webb' (six-point; better with fewer than about 12 clusters).
    p_value: 'symmetric' (default; |t*| > |t|) or 'equal-tailed'.
    seed: seed of the bootstrap weights (required when they are drawn at random).
    labels: display names for outcomes and terms, used by ``table()``.
    """
    if not isinstance(data, pd.DataFrame):
        raise DesignError(f"option 'data': expected a pandas DataFrame; got {type(data).__name__}.")
    outs = _names("outcomes", outcomes, data, empty_ok=False)
    covs = _names("covariates", covariates, data, empty_ok=False)
    ctrl = _names("controls", controls, data, empty_ok=True)
    for a_name, a, b_name, b in (("outcomes", outs, "covariates", covs), ("outcomes", outs, "controls", ctrl),
                                 ("covariates", covs, "controls", ctrl)):
        both = sorted(set(a) & set(b))
        if both:
            raise DesignError(f"options '{a_name}' and '{b_name}': column(s) {both} appear in both; use each column "
                              "in one role.")
    if cluster is not None:
        _names("cluster", cluster, data, empty_ok=False)
    se = check_choice("se", "cluster" if (se is None and cluster is not None) else (se or "hc1"), SE)
    missing = check_choice("missing", missing, MissingRule)
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
        raise DesignError(f"option 'level': expected a confidence level between 0 and 1; got {level!r}.")
    if se in ("cluster", "wild") and cluster is None:
        raise DesignError(f"option 'cluster': se={se!r} needs a cluster column (e.g. cluster='municipality').")
    if se in ("classical", "hc1") and cluster is not None:
        warnings.warn(f"option 'cluster' has no effect with se={se!r}; pass se='cluster' or 'wild' to use it.",
                      IgnoredOptionWarning, stacklevel=2)
    wild_opts = {"n_boot": n_boot, "boot_weights": boot_weights, "p_value": p_value, "seed": seed}
    if se != "wild":
        given = [k for k, v in wild_opts.items() if v is not None]
        if given:
            warnings.warn(f"option(s) {given} only apply to se='wild'; they have no effect with se={se!r}.",
                          IgnoredOptionWarning, stacklevel=2)
    n_boot = 9999 if n_boot is None else n_boot
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 99:
        raise DesignError(f"option 'n_boot': expected a whole number of bootstrap draws >= 99; got {n_boot!r}.")
    boot_weights = check_choice("boot_weights", boot_weights or "rademacher", BootWeights)
    p_value = check_choice("p_value", p_value or "symmetric", PValue)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise DesignError(f"option 'seed': expected a whole number; got {seed!r}.")
    percent = binary if percent is None else bool(percent)
    scale = 100.0 if percent else 1.0

    Y = {o: _check_outcome(data, o, binary) for o in outs}

    # missing values: each dropped row is attributed to the first missing column in the order
    # cluster, covariates, controls, outcome, so the counts add up to the rows dropped
    n_in = len(data)
    x_cols = [*([cluster] if cluster is not None else []), *covs, *ctrl]
    first_missing = np.full(n_in, -1)
    for k, col in enumerate(x_cols):
        m = _missing_mask(data[col]) & (first_missing < 0)
        first_missing[m] = k
    common = first_missing < 0
    drop_rows: list[dict[str, object]] = []
    for o in outs:
        for k, col in enumerate(x_cols):
            cnt = int(np.sum(first_missing == k))
            if cnt:
                role = "cluster" if col == cluster else ("covariate" if col in covs else "control")
                drop_rows.append({"outcome": o, "column": col, "reason": f"missing {role}", "n_rows": cnt})
        cnt = int(np.sum(common & np.isnan(Y[o])))
        if cnt:
            drop_rows.append({"outcome": o, "column": o, "reason": "missing outcome", "n_rows": cnt})
    dropped = pd.DataFrame(drop_rows, columns=["outcome", "column", "reason", "n_rows"])
    if len(dropped):
        by_col = dropped.drop_duplicates(["column", "reason"]).set_index("column")["n_rows"]
        text = ", ".join(f"{c!r}: {int(v)}" for c, v in by_col.items())
        if missing == "raise":
            raise DesignError(f"missing or non-finite values (rows per column, each row counted once): {text}. "
                              "Complete or drop these rows, or pass missing='drop' to leave them out with a count.")
        warnings.warn(f"rows with missing values left out (per column, each row counted once): {text}; see "
                      "result.dropped.", DroppedRowsWarning, stacklevel=2)
    if not common.any():
        raise EstimationError("no row is complete on the covariates, controls and cluster column; nothing to fit.")

    sub = data.loc[common, [*covs, *ctrl]]
    X_all, terms = design_matrix(sub, [*covs, *ctrl], drop_first=True, intercept=True)
    names = [t.name for t in terms]
    roles = ["intercept"] + ["covariate" if t.variable in covs else "control" for t in terms[1:]]
    variables = [t.variable for t in terms]
    cl_all = None
    if cluster is not None:
        cl_all = pd.factorize(data.loc[common, cluster], sort=True)[0]

    rng = np.random.default_rng(seed)
    coef_rows: list[dict[str, object]] = []
    out_rows: list[dict[str, object]] = []
    vcovs: dict[str, pd.DataFrame] = {}
    for o in outs:
        keep = ~np.isnan(Y[o][common])
        X = X_all[keep]
        y = Y[o][common][keep]
        n, k = X.shape
        if n <= k:
            raise EstimationError(f"outcome {o!r}: {n} complete rows for {k} coefficients; OLS needs more rows "
                                  "than coefficients.")
        _check_rank(X, names, o, n)
        from statsmodels.regression.linear_model import OLS  # ~1 s to import: only when a model is fitted

        model = OLS(y, X)
        G = None
        if se == "classical":
            fit = model.fit(use_t=True)
        elif se == "hc1":
            fit = model.fit(cov_type="HC1", use_t=True)
        else:
            assert cl_all is not None  # se 'cluster'/'wild' without a cluster column was rejected above
            codes, uniq = pd.factorize(cl_all[keep], sort=True)
            G = len(uniq)
            if G < 2:
                raise EstimationError(f"outcome {o!r}: the {n} rows used lie in {G} cluster of {cluster!r}; "
                                      "cluster-robust inference needs at least 2 (better many) clusters.")
            sizes = np.bincount(codes, minlength=G)
            if (sizes == 1).any():
                labels_1 = pd.unique(data.loc[common, cluster].to_numpy()[keep][np.isin(codes, np.flatnonzero(
                    sizes == 1))])[:5].tolist()
                warnings.warn(f"outcome {o!r}: {int((sizes == 1).sum())} of {G} clusters of {cluster!r} have a "
                              f"single row (e.g. {labels_1}); they contribute no within-cluster correlation. "
                              "Check the cluster column, or merge small units.", SingletonClusterWarning,
                              stacklevel=2)
            if se == "cluster" and G < FEW_CLUSTERS:
                warnings.warn(f"outcome {o!r}: only {G} clusters of {cluster!r}; CR1 t-tests can over-reject with "
                              "few clusters. Consider se='wild' (wild cluster bootstrap).", FewClustersWarning,
                              stacklevel=2)
            fit = model.fit(cov_type="cluster", cov_kwds={"groups": codes}, use_t=True)
        params = np.asarray(fit.params)
        bse = np.asarray(fit.bse)
        tvals = np.asarray(fit.tvalues)
        pvals = np.asarray(fit.pvalues)
        ci = np.asarray(fit.conf_int(alpha=1 - level))
        df_inf = int(G - 1) if G is not None else int(fit.df_resid)
        inference = {"classical": f"t({df_inf})", "hc1": f"HC1, t({df_inf})",
                     "cluster": f"CR1, t({df_inf})", "wild": f"CR1, t({df_inf})"}[se]
        vcovs[o] = pd.DataFrame(np.asarray(fit.cov_params()), index=names, columns=names)
        wild: dict[int, WildTest] = {}
        if se == "wild":
            assert G is not None  # the 'cluster'/'wild' branch above set it
            if boot_weights == "rademacher" and 2 ** G < 500:
                warnings.warn(f"outcome {o!r}: with {G} clusters Rademacher weights give only {2 ** G} distinct "
                              "bootstrap samples, so p-values are coarse; boot_weights='webb' is recommended "
                              "(Webb 2023).", FewClustersWarning, stacklevel=2)
            V, full = draw_weights(boot_weights, G, int(n_boot), rng)
            if not full and seed is None:
                raise DesignError(f"option 'seed': the wild bootstrap draws {boot_weights} weights at random for "
                                  f"{G} clusters; pass seed=<whole number> so the result can be repeated.")
            xtx_inv = np.linalg.inv(X.T @ X)
            for j, role in enumerate(roles):
                if role == "covariate":
                    wild[j] = wild_test(X, y, codes, G, j, V, xtx_inv=xtx_inv, beta=params, se=bse[j],
                                        level=level, kind=p_value, full_enumeration=full)
        for j, nm in enumerate(names):
            row = {"outcome": o, "term": nm, "variable": variables[j], "role": roles[j],
                   "estimate": params[j] * scale, "se": bse[j] * scale, "ci_low": ci[j, 0] * scale,
                   "ci_high": ci[j, 1] * scale, "t": tvals[j], "p": pvals[j], "inference": inference}
            if j in wild:
                w = wild[j]
                desc = f"all 2^G={w.n_boot} sign vectors" if w.full_enumeration else f"B={w.n_boot}"
                row.update(p=w.p_value, ci_low=w.ci_low * scale, ci_high=w.ci_high * scale,
                           inference=f"wild (WCR, {boot_weights}, {desc}, {p_value})")
            coef_rows.append(row)
        out_rows.append({"outcome": o, "n": n, "mean": float(np.mean(y)) * scale,
                         "n_clusters": G, "r2": float(fit.rsquared), "df_inference": df_inf,
                         "n_dropped": int(n_in - n)})
    coefficients = pd.DataFrame(coef_rows, columns=[c for c in COEF_COLUMNS if c != "mark"])
    info = RegressionInfo(se=se, cluster=cluster, level=float(level), percent=percent, binary=bool(binary),
                          covariates=covs, controls=ctrl, outcomes=outs, n_input=n_in, missing=missing,
                          n_boot=int(n_boot) if se == "wild" else None,
                          boot_weights=boot_weights if se == "wild" else None,
                          p_value=p_value if se == "wild" else None, seed=seed if se == "wild" else None,
                          categorical=tuple(c for c in (*covs, *ctrl) if is_categorical(data[c])))
    return RegressionResult(coefficients=coefficients, outcomes=pd.DataFrame(out_rows), dropped=dropped, info=info,
                            vcov=vcovs, labels=dict(labels or {}))

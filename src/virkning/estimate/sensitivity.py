"""Sensitivity to unobserved confounding for matched data: Rosenbaum bounds, an observed-covariate benchmark and
the numbers a report sentence needs.

    >>> b = virkning.estimate.rosenbaum_bounds(m, "exit_6")        # m = virkning.match(...)
    >>> b.gamma_critical, b.to_frame()                               # largest Gamma still significant, table
    >>> bench = virkning.estimate.covariate_benchmark(m)           # odds ratios of participation per covariate
    >>> virkning.estimate.sensitivity_numbers(b, bench)

``rosenbaum_bounds`` takes a :class:`MatchResult` (its matched sets, ``MatchResult.matches``) or any data frame
with a set id, a 0/1 treatment column and the outcome; ``bounds_for_sets`` takes the three arrays. The tests and
their conventions are described in ``virkning.estimate.rosenbaum`` and docs/sensitivity.md.
"""

from __future__ import annotations

import html
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, cast

import numpy as np
import pandas as pd

from virkning.errors import DesignError
from virkning.estimate.options import check_choice
from virkning.estimate.propensity import PropensityFit
from virkning.estimate.result import MatchResult
from virkning.estimate.rosenbaum import (BinaryTest, MatchedSets, MTest, SignedRankTest, critical_gamma,
                                         matched_sets)

Test = Literal["auto", "binary", "signed_rank", "m"]
Method = Literal["auto", "exact", "normal"]
Alternative = Literal["auto", "greater", "less"]
ZeroMethod = Literal["pratt", "wilcox"]

DEFAULT_GAMMA = (1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0, 5.0)


class SensitivityWarning(UserWarning):
    """The bounds were computed, but an assumption of the sensitivity model is strained (e.g. shared controls)."""


def _fmt_p(p: float) -> str:
    return "<0.0001" if p < 1e-4 else f"{p:.4f}"


def _fmt_gamma(g: float | None) -> str:
    if g is None:
        return "none (not significant at Gamma = 1)"
    return "beyond 1e6" if math.isinf(g) else f"{g:.3f}"


@dataclass(frozen=True)
class RosenbaumBounds:
    """Bounds on the one-sided p-value over a grid of Gamma, and the largest Gamma at which it stays below alpha.

    ``p_upper``/``p_lower`` are the largest/smallest p-value a hidden bias of at most Gamma allows;
    ``expectation``/``variance`` are the moments of the null distribution of the statistic that gives the upper
    bound. ``gamma_critical`` is None when the effect is not significant even without hidden bias (Gamma = 1).
    """

    outcome: str
    test: str
    method: str
    alternative: str
    alpha: float
    statistic: float
    p_value: float  # at Gamma = 1 (randomisation test; upper = lower)
    gamma: tuple[float, ...]
    p_upper: tuple[float, ...]
    p_lower: tuple[float, ...]
    expectation: tuple[float, ...]
    variance: tuple[float, ...]
    gamma_critical: float | None
    n_sets: int
    n_informative: int  # discordant pairs / sets whose statistic can vary / nonzero pair differences
    n_dropped: int
    set_sizes: tuple[tuple[int, int], ...]
    settings: tuple[tuple[str, object], ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row per Gamma: lower and upper p-value bound, whether the upper bound is below alpha, moments."""
        return pd.DataFrame({"gamma": self.gamma, "p_lower": self.p_lower, "p_upper": self.p_upper,
                             "significant": [p < self.alpha for p in self.p_upper],
                             "expectation": self.expectation, "variance": self.variance})

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {k: v for k, v in self.__dict__.items()
                                  if k not in ("gamma", "p_upper", "p_lower", "expectation", "variance")}
        out["set_sizes"] = [list(s) for s in self.set_sizes]
        out["settings"] = dict(self.settings)
        out["table"] = self.to_frame().to_dict(orient="records")
        return out

    def _headline(self) -> str:
        return (f"Rosenbaum bounds for {self.outcome!r}: {self.test} test ({self.method}), one-sided "
                f"'{self.alternative}'; {self.n_sets} matched sets ({self.n_informative} informative, "
                f"{self.n_dropped} dropped). p-value without hidden bias: {_fmt_p(self.p_value)}; significant at "
                f"alpha = {self.alpha:g} up to Gamma = {_fmt_gamma(self.gamma_critical)}.")

    def __repr__(self) -> str:
        table = self.to_frame()[["gamma", "p_lower", "p_upper"]].to_string(
            index=False, formatters={"gamma": "{:.2f}".format, "p_lower": _fmt_p, "p_upper": _fmt_p})
        return f"{self._headline()}\n{table}"

    __str__ = __repr__

    def _repr_html_(self) -> str:
        # pandas calls each formatter with a column's cells; the stubs type to_html's (unlike to_string's)
        # formatters as taking any object
        formatters = cast(Mapping[str, Callable[[object], str]],
                          {"gamma": "{:.2f}".format, "p_lower": _fmt_p, "p_upper": _fmt_p})
        table = self.to_frame()[["gamma", "p_lower", "p_upper", "significant"]].to_html(
            index=False, formatters=formatters)
        return f"<p>{html.escape(self._headline())}</p>{table}"


def _gamma_grid(gamma) -> tuple[float, ...]:
    try:
        values = tuple(float(g) for g in np.atleast_1d(np.asarray(gamma, dtype=float)))
    except (TypeError, ValueError):
        raise DesignError(f"option 'gamma': expected a number or a list of numbers >= 1; got {gamma!r}.") from None
    if not values or any(not math.isfinite(g) or g < 1 for g in values):
        raise DesignError(f"option 'gamma': expected numbers >= 1 (Gamma = 1 means no hidden bias); got {gamma!r}.")
    return values


def bounds_for_sets(set_id, treated, outcome, *, test: str = "auto", method: str = "auto",
                    alternative: str = "auto", gamma=DEFAULT_GAMMA, alpha: float = 0.05,
                    zero_method: str = "pratt", inner: float = 0.0, trim: float = 2.5, lam: float = 0.5,
                    outcome_name: str = "outcome") -> RosenbaumBounds:
    """Rosenbaum bounds from aligned arrays: matched-set id, treated flag (0/1) and outcome per unit.

    test: 'binary' (0/1 outcome; McNemar for pairs, Mantel-Haenszel type for sets), 'signed_rank' (pairs),
        'm' (Huber M-statistic, one treated with one or more controls), or 'auto' = 'binary' for 0/1 outcomes,
        'signed_rank' if every set is a pair, else 'm'.
    method: 'exact' or 'normal'; 'auto' = exact for 'binary', normal for 'signed_rank' (as Rosenbaum's tables);
        'm' has only the normal approximation.
    alternative: 'greater' (treatment raises the outcome), 'less', or 'auto' = the direction of the observed
        mean within-set difference (treated minus the mean of its controls, averaged over sets).
    zero_method: zero pair differences for the signed-rank test: 'pratt' (ranked, then score 0; Rosenbaum's
        senWilcox) or 'wilcox' (dropped before ranking).
    inner, trim, lam: the M-statistic's psi function and scale (sensitivitymv's defaults 0, 2.5, 1/2).
    """
    test = check_choice("test", test, Test)
    method = check_choice("method", method, Method)
    alternative = check_choice("alternative", alternative, Alternative)
    zero_method = check_choice("zero_method", zero_method, ZeroMethod)
    grid = _gamma_grid(gamma)
    if not (isinstance(alpha, (int, float)) and 0 < alpha < 1):
        raise DesignError(f"option 'alpha': expected a significance level between 0 and 1; got {alpha!r}.")
    for name, value in (("inner", inner), ("trim", trim), ("lam", lam)):
        if not isinstance(value, (int, float)) or math.isnan(value):
            raise DesignError(f"option '{name}': expected a number; got {value!r}.")
    sets = matched_sets(set_id, treated, outcome)
    if sets.n_sets == 0:
        raise DesignError("matched sets: no set has both a treated unit and a control with an observed outcome.")
    binary = bool(np.all((sets.y == 0) | (sets.y == 1)))
    pairs = bool(np.all(sets.size == 2) and np.all(sets.n_treated == 1))
    if test == "auto":
        test = "binary" if binary else ("signed_rank" if pairs else "m")
    if test == "signed_rank" and not pairs:
        raise DesignError("test 'signed_rank': every matched set must be a pair (one treated, one control); "
                          "use test='m' for sets with several controls.")
    if method == "auto":
        method = "exact" if test == "binary" else "normal"
    if test == "m" and method == "exact":
        raise DesignError("test 'm': only the normal approximation is available; use method='normal' or 'auto'.")
    if alternative == "auto":
        alternative = "greater" if _mean_difference(sets) >= 0 else "less"
    if alternative == "less":
        sets = MatchedSets(code=sets.code, treated=sets.treated, y=(1 - sets.y) if test == "binary" else -sets.y,
                           n_sets=sets.n_sets, n_dropped=sets.n_dropped)
    settings: tuple[tuple[str, object], ...] = ()
    if test == "binary":
        engine: BinaryTest | SignedRankTest | MTest = BinaryTest(sets, method)
    elif test == "signed_rank":
        treated_first = sets.y[sets.treated]
        control = sets.y[~sets.treated]  # rows are sorted by set: one treated and one control per set
        engine = SignedRankTest(treated_first - control, method, zero_method)
        settings = (("zero_method", zero_method),)
    else:
        engine = MTest(sets, inner=float(inner), trim=float(trim), lam=float(lam))
        settings = (("inner", float(inner)), ("trim", float(trim)), ("lam", float(lam)), ("scale", engine.scale))
    upper = [engine.bound(g, True) for g in grid]
    lower = [engine.bound(g, False) for g in grid]
    return RosenbaumBounds(
        outcome=outcome_name, test=test, method=method, alternative=alternative, alpha=float(alpha),
        statistic=engine.statistic, p_value=engine.bound(1.0, True).p_value, gamma=grid,
        p_upper=tuple(b.p_value for b in upper), p_lower=tuple(b.p_value for b in lower),
        expectation=tuple(b.expectation for b in upper), variance=tuple(b.variance for b in upper),
        gamma_critical=critical_gamma(lambda g: engine.bound(g, True).p_value, float(alpha)),
        n_sets=sets.n_sets, n_informative=engine.n_informative, n_dropped=sets.n_dropped,
        set_sizes=sets.set_sizes(), settings=settings)


def _mean_difference(sets: MatchedSets) -> float:
    """Treated minus the mean of the controls within each set, averaged over sets (treated means per set)."""
    t = sets.treated.astype(float)
    n_t = np.bincount(sets.code, weights=t, minlength=sets.n_sets)
    n_c = np.bincount(sets.code, weights=1 - t, minlength=sets.n_sets)
    mt = np.bincount(sets.code, weights=sets.y * t, minlength=sets.n_sets) / n_t
    mc = np.bincount(sets.code, weights=sets.y * (1 - t), minlength=sets.n_sets) / n_c
    return float(np.mean(mt - mc))


def rosenbaum_bounds(data: MatchResult | pd.DataFrame, outcome: str, *, set_id: str | None = None,
                     treatment: str | None = None, **options) -> RosenbaumBounds:
    """Rosenbaum bounds for one outcome of a matched sample (see :func:`bounds_for_sets` for the options).

    data: a :class:`MatchResult` (its matched sets; with replacement a reused control appears in each of its
        sets, and a value of the ``cluster`` column such as a person can appear in several sets, which the model
        treats as independent - a SensitivityWarning says so), or a data frame with one row per unit and the
        columns ``set_id``, ``treatment`` (0/1) and ``outcome``.
    """
    if isinstance(data, MatchResult):
        frame = data.matches
        set_col, treat_col = "subclass", data.config.treatment
        if data.config.replace:
            warnings.warn("rosenbaum_bounds: with matching with replacement a control can belong to several "
                          "matched sets; the bounds treat the sets as independent, which they are not.",
                          SensitivityWarning, stacklevel=2)
        elif data.config.cluster is not None:
            per = frame.groupby(data.config.cluster, observed=True)["subclass"].nunique()
            shared = int((per > 1).sum())
            if shared:
                warnings.warn(f"rosenbaum_bounds: {shared} value(s) of the cluster column {data.config.cluster!r} "
                              "(e.g. persons) appear in several matched sets; the bounds treat the sets as "
                              "independent, which they are not.", SensitivityWarning, stacklevel=2)
    elif isinstance(data, pd.DataFrame):
        if set_id is None or treatment is None:
            raise DesignError("rosenbaum_bounds: with a data frame, name its matched-set column (set_id=...) and "
                              "its 0/1 treatment column (treatment=...).")
        frame, set_col, treat_col = data, set_id, treatment
    else:
        raise DesignError(f"rosenbaum_bounds: expected a MatchResult or a pandas DataFrame; got "
                          f"{type(data).__name__}.")
    missing = [c for c in (set_col, treat_col, outcome) if c not in frame.columns]
    if missing:
        raise DesignError(f"rosenbaum_bounds: column(s) {missing} not in the data.")
    y = frame[outcome]
    if not (pd.api.types.is_numeric_dtype(y.dtype) or pd.api.types.is_bool_dtype(y.dtype)):
        raise DesignError(f"rosenbaum_bounds: outcome {outcome!r} is not numeric; code it as numbers or 0/1.")
    return bounds_for_sets(frame[set_col].to_numpy(), frame[treat_col].to_numpy(),
                           y.to_numpy(dtype=float, na_value=np.nan), outcome_name=outcome, **options)


# --------------------------------------------------------------------------- observed-covariate benchmark
@dataclass(frozen=True)
class CovariateBenchmark:
    """Odds ratio of participation implied by each term of a fitted propensity model.

    Numeric covariates: exp(coef x SD), the odds ratio for one standard deviation (sample SD, ddof = 1, over the
    rows the model was fitted on); 0/1 and boolean covariates: exp(coef), 1 versus 0; categorical covariates:
    exp(coef) of each level against the reference level. ``odds_ratio_abs`` = max(OR, 1/OR) is the size on the
    scale of Gamma (>= 1). The coefficients are adjusted for the other covariates of the model.
    """

    covariate: tuple[str, ...]
    term: tuple[str, ...]
    contrast: tuple[str, ...]
    coef: tuple[float, ...]
    scale: tuple[float, ...]
    odds_ratio: tuple[float, ...]

    @property
    def odds_ratio_abs(self) -> tuple[float, ...]:
        return tuple(max(o, 1.0 / o) for o in self.odds_ratio)

    @property
    def strongest(self) -> int | None:
        """Position of the term with the largest odds_ratio_abs (None without terms)."""
        vals = self.odds_ratio_abs
        return int(np.argmax(vals)) if vals else None

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"covariate": self.covariate, "term": self.term, "contrast": self.contrast,
                             "coef": self.coef, "scale": self.scale, "odds_ratio": self.odds_ratio,
                             "odds_ratio_abs": self.odds_ratio_abs})

    def to_dict(self) -> dict[str, object]:
        return {"table": self.to_frame().to_dict(orient="records"),
                "strongest": None if self.strongest is None else self.term[self.strongest]}

    def _headline(self) -> str:
        i = self.strongest
        if i is None:
            return "Observed-covariate benchmark: no covariate terms."
        return (f"Observed-covariate benchmark: strongest term {self.term[i]!r} ({self.contrast[i]}), odds ratio "
                f"of participation {self.odds_ratio_abs[i]:.3f}.")

    def __repr__(self) -> str:
        return f"{self._headline()}\n{self.to_frame().to_string(index=False, float_format=lambda v: f'{v:.4g}')}"

    __str__ = __repr__

    def _repr_html_(self) -> str:
        return (f"<p>{html.escape(self._headline())}</p>"
                f"{self.to_frame().to_html(index=False, float_format=lambda v: f'{v:.4g}')}")


def covariate_benchmark(fit: PropensityFit | MatchResult, data: pd.DataFrame | None = None,
                        covariates: Sequence[str] | None = None) -> CovariateBenchmark:
    """Odds ratio of participation per covariate term of a logistic propensity model (see CovariateBenchmark).

    fit: a PropensityFit with the data it was fitted on and its covariate names, or a MatchResult (its
        propensity model, source data and covariates).
    """
    if isinstance(fit, MatchResult):
        if fit.propensity is None:
            raise DesignError("covariate_benchmark: this matching used no propensity model "
                              "(distance='mahalanobis'); there are no coefficients to compare with.")
        data = fit.source if data is None else data
        covariates = fit.config.covariates if covariates is None else covariates
        fit = fit.propensity
    if not isinstance(fit, PropensityFit) or data is None or covariates is None:
        raise DesignError("covariate_benchmark: expected a MatchResult, or a PropensityFit together with the data "
                          "frame it was fitted on (data=...) and its covariates (covariates=[...]).")
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    missing = [c for c in covariates if c not in data.columns]
    if missing:
        raise DesignError(f"covariate_benchmark: covariate(s) {missing} not in the data.")
    dropped = set(fit.aliased)
    rows: list[tuple[str, str, str, float, float]] = []
    for term, coef in zip(fit.terms, fit.coef):
        if term == "(Intercept)":
            continue
        cov, level = _split_term(term, covariates)
        if cov is None:
            rows.append((term, term, "per unit", float(coef), 1.0))
        elif level is None:
            x = data[cov]
            values = pd.unique(x.dropna())
            if pd.api.types.is_bool_dtype(x.dtype) or set(np.asarray(values, dtype=float)) <= {0.0, 1.0}:
                rows.append((cov, term, "1 vs 0", float(coef), 1.0))
            else:
                sd = float(x.astype(float).std(ddof=1))
                rows.append((cov, term, f"per SD ({sd:.4g})", float(coef), sd))
        else:
            ref = _reference_level(data[cov], cov, fit.terms, dropped)
            rows.append((cov, term, f"{level} vs {ref}", float(coef), 1.0))
    return CovariateBenchmark(covariate=tuple(r[0] for r in rows), term=tuple(r[1] for r in rows),
                              contrast=tuple(r[2] for r in rows), coef=tuple(r[3] for r in rows),
                              scale=tuple(r[4] for r in rows),
                              odds_ratio=tuple(float(np.exp(r[3] * r[4])) for r in rows))


def _split_term(term: str, covariates: Sequence[str]) -> tuple[str | None, str | None]:
    """(covariate, level) of a model term named 'x' or 'x[level]'."""
    if term in covariates:
        return term, None
    for c in sorted(covariates, key=len, reverse=True):
        if term.startswith(c + "[") and term.endswith("]"):
            return c, term[len(c) + 1:-1]
    return None, None


def _reference_level(x: pd.Series, cov: str, terms: Sequence[str], dropped: set[str]) -> str:
    """The level of a categorical covariate without a model term (neither estimated nor aliased)."""
    if isinstance(x.dtype, pd.CategoricalDtype):
        levels = [str(v) for v in x.cat.categories if (x == v).any()]
    else:
        levels = [str(v) for v in pd.unique(x.dropna())]
    named = {t for t in (*terms, *dropped)}
    rest = [lv for lv in levels if f"{cov}[{lv}]" not in named]
    return rest[0] if len(rest) == 1 else "reference"


# --------------------------------------------------------------------------- numbers for a report sentence
def amplify(gamma: float, lam: float | Sequence[float]) -> float | np.ndarray:
    """Rosenbaum and Silber's (2009) amplification of Gamma: the odds ratio Delta by which an unobserved covariate
    that multiplies the odds of treatment by Lambda must multiply the odds of a higher outcome (a positive pair
    difference) to equal a bias of Gamma, Gamma = (Lambda Delta + 1) / (Lambda + Delta), so
    Delta = (Gamma Lambda - 1) / (Lambda - Gamma). Needs Lambda > Gamma (no Delta suffices otherwise)."""
    lam_a = np.asarray(lam, dtype=float)
    if not (isinstance(gamma, (int, float)) and gamma > 1) or np.any(lam_a <= gamma):
        raise DesignError(f"amplify: expected Gamma > 1 and every Lambda > Gamma; got Gamma={gamma!r}, "
                          f"Lambda={lam!r}.")
    out = (gamma * lam_a - 1) / (lam_a - gamma)
    return float(out) if out.ndim == 0 else out



@dataclass(frozen=True)
class SensitivityNumbers:
    """The numbers behind a report sentence such as "an unobserved factor would have to make participation
    Gamma times more likely ... to explain the effect away; the strongest observed covariate does x"."""

    outcome: str
    alpha: float
    p_value: float
    significant: bool
    gamma_critical: float | None
    strongest_covariate: str | None = None
    strongest_term: str | None = None
    strongest_contrast: str | None = None
    strongest_odds_ratio: float | None = None
    exceeds_strongest: bool | None = None  # gamma_critical > strongest_odds_ratio
    delta_at_strongest: float | None = None  # amplify(gamma_critical, strongest_odds_ratio) when that is defined
    evalue: float | None = None
    evalue_ci: float | None = None

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([self.to_dict()])

    def __repr__(self) -> str:
        parts = [f"{self.outcome!r}: p = {_fmt_p(self.p_value)} without hidden bias",
                 f"significant at alpha = {self.alpha:g} up to Gamma = {_fmt_gamma(self.gamma_critical)}"]
        if self.strongest_odds_ratio is not None:
            parts.append(f"strongest observed covariate {self.strongest_term!r} ({self.strongest_contrast}): odds "
                         f"ratio {self.strongest_odds_ratio:.3f}")
        if self.delta_at_strongest is not None:
            parts.append("a hidden factor that strong would need an outcome odds ratio of "
                         f"{self.delta_at_strongest:.3f}")
        if self.evalue is not None:
            ci = "" if self.evalue_ci is None else f", CI limit {self.evalue_ci:.3f}"
            parts.append(f"E-value {self.evalue:.3f}{ci}")
        return "SensitivityNumbers(" + "; ".join(parts) + ")"

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(repr(self))}</p>"


def sensitivity_numbers(bounds: RosenbaumBounds, benchmark: CovariateBenchmark | None = None,
                        evalue=None) -> SensitivityNumbers:
    """Collect the numbers for a plain-language sentence: the Gamma at which significance is lost, the
    strongest observed covariate's odds ratio of participation, whether Gamma reaches it (then an unobserved
    factor as strong as that covariate cannot explain the effect away, whatever its link to the outcome), else
    the outcome odds ratio Delta such a factor would need (``amplify``), and optionally an E-value (an ``EValue``
    from ``virkning.estimate.evalue``)."""
    out: dict[str, object] = {"outcome": bounds.outcome, "alpha": bounds.alpha, "p_value": bounds.p_value,
                              "significant": bounds.p_value < bounds.alpha, "gamma_critical": bounds.gamma_critical}
    if benchmark is not None and benchmark.strongest is not None:
        i = benchmark.strongest
        ora = benchmark.odds_ratio_abs[i]
        g = bounds.gamma_critical
        out.update(strongest_covariate=benchmark.covariate[i], strongest_term=benchmark.term[i],
                   strongest_contrast=benchmark.contrast[i], strongest_odds_ratio=ora,
                   exceeds_strongest=None if g is None else bool(g >= ora),
                   delta_at_strongest=amplify(g, ora) if g is not None and 1 < g < ora else None)
    if evalue is not None:
        out.update(evalue=float(evalue.evalue), evalue_ci=None if evalue.evalue_ci is None else float(evalue.evalue_ci))
    return SensitivityNumbers(**out)  # type: ignore[arg-type]

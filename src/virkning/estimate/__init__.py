"""Generic estimation core: propensity scores, nearest-neighbour matching, balance and effects.

Works on any pandas data frame (one row per unit), not only on register panels:

    >>> m = virkning.match(df, treatment="treat", covariates=["age", "educ"], exact=["sex"])
    >>> m.summary(); m.balance; m.effect("re78"); m.effects(["y1", "y2"])
    >>> relative_effects(m, ["y1"]); rosenbaum_bounds(m, "y1"); covariate_benchmark(m); evalue(3.9, 1.8, 8.7)
    >>> draws = rematch_bootstrap(m, 499, seed=1); m.effect("re78", se="rematch", draws=draws)
    >>> virkning.match("treat ~ age + educ", data=df, estimand="ATC", discard="both")
"""

from virkning.estimate.balance import BalanceTable, balance_table, ess, love_plot
from virkning.estimate.curves import CURVE_COLUMNS, km_curve, monthly_effects
from virkning.estimate.effects import EffectEstimate, estimate_effects
from virkning.estimate.evalue import EValue, evalue, evalue_rr
from virkning.estimate.matching import match
from virkning.estimate.options import (IgnoredOptionWarning, MatchConfig, MatchingWarning, PropensityWarning)
from virkning.estimate.propensity import PropensityFit, fit_logit, fit_propensity
from virkning.estimate.rematch import RematchDraws, RematchWarning, rematch_bootstrap
from virkning.estimate.resampling import set_components
from virkning.estimate.relative import RelativeEffect, relative_effect, relative_effects, relative_from_draws
from virkning.estimate.result import MatchInfo, MatchResult, MatchSummary
from virkning.estimate.sensitivity import (CovariateBenchmark, RosenbaumBounds, SensitivityNumbers,
                                           SensitivityWarning, amplify, bounds_for_sets, covariate_benchmark,
                                           rosenbaum_bounds, sensitivity_numbers)


def effects(result: MatchResult, outcomes, *, se: str = "cluster", n_boot: int = 999, seed: int | None = None,
            level: float = 0.95, draws: RematchDraws | None = None):
    """ATT (or ATC) for many outcomes at once (e.g. months 1..H): one row per outcome, see ``MatchResult.effects``."""
    return result.effects(outcomes, se=se, n_boot=n_boot, seed=seed, level=level, draws=draws)


__all__ = ["CURVE_COLUMNS", "RematchDraws", "RematchWarning", "km_curve", "monthly_effects", "rematch_bootstrap",
           "set_components", "BalanceTable", "CovariateBenchmark", "EValue", "EffectEstimate", "IgnoredOptionWarning", "MatchConfig",
           "MatchInfo", "MatchResult", "MatchSummary", "MatchingWarning", "PropensityFit", "PropensityWarning",
           "RelativeEffect", "RosenbaumBounds", "SensitivityNumbers", "SensitivityWarning", "amplify", "balance_table",
           "bounds_for_sets", "covariate_benchmark", "effects", "estimate_effects", "ess", "evalue", "evalue_rr",
           "fit_logit", "fit_propensity", "love_plot", "match", "relative_effect", "relative_effects",
           "relative_from_draws", "rosenbaum_bounds", "sensitivity_numbers"]

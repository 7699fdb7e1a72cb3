"""Generic estimation core: propensity scores, nearest-neighbour matching, balance, effects, sensitivity, linear
probability models, meta-analysis and difference-in-differences.

Works on any pandas data frame (one row per unit), not only on register panels:

    >>> m = virkning.match(df, treatment="treat", covariates=["age", "educ"], exact=["sex"])
    >>> m.summary(); m.balance; m.effect("re78"); m.effects(["y1", "y2"])
    >>> draws = rematch_bootstrap(m, 499, seed=1); m.effect("re78", se="rematch", draws=draws)
    >>> virkning.match("treat ~ age + educ", data=df, estimand="ATC", discard="both")
    >>> relative_effects(m, ["y1"]); adjusted_effects(m, ["y1"]); rosenbaum_bounds(m, "y1"); covariate_benchmark(m); evalue(3.9, 1.8, 8.7)
    >>> r = lpm(df, ["y1", "y2"], ["male", "age40"], controls=["benefit"], cluster="kommune")
    >>> meta_analysis(studies, effect="yi", variance="vi", method="REML")

Difference-in-differences on any long unit x period (x person) frame (docs/did.md):

    >>> virkning.estimate.did_2x2(df, "y", unit="kommune", period="mo", treated=trial, comparison=cluster,
    ...                           pre=(a, b), post=(c, d))
    >>> virkning.estimate.twfe_did(df, "y", unit="kommune", period="mo", start="start", n_boot=9999, seed=1)
    >>> virkning.estimate.event_study(df, "y", unit="kommune", period="mo", start="start", window=(-6, 6))
    >>> gt = virkning.estimate.att_gt(df, "y", unit="kommune", period="mo", start="start", seed=1)
    >>> gt.aggregate("dynamic")
"""

from virkning.estimate.adjusted import adjusted_effects
from virkning.estimate.balance import BalanceTable, balance_table, ess, love_plot
from virkning.estimate.did import DidEstimate, DidResult, did_2x2
from virkning.estimate.did_aggregate import AggregateResult, aggregate
from virkning.estimate.did_results import DroppedUnitsWarning, UnbalancedPanelWarning
from virkning.estimate.did_staggered import GroupTimeResult, att_gt
from virkning.estimate.did_twfe import EventStudyResult, TwfeResult, event_study, twfe_did

from virkning.estimate.curves import CURVE_COLUMNS, km_curve, monthly_effects
from virkning.estimate.effects import EffectEstimate, estimate_effects
from virkning.estimate.evalue import EValue, evalue, evalue_rr
from virkning.estimate.matching import match
from virkning.estimate.meta import MetaAnalysisWarning, MetaResult, meta_analysis
from virkning.estimate.options import (FewClustersWarning, IgnoredOptionWarning, MatchConfig, MatchingWarning,
                                       PropensityWarning)
from virkning.estimate.propensity import PropensityFit, fit_logit, fit_propensity
from virkning.estimate.regression import DroppedRowsWarning, SingletonClusterWarning, lpm
from virkning.estimate.regression_result import RegressionInfo, RegressionResult
from virkning.estimate.rematch import RematchDraws, RematchWarning, rematch_bootstrap
from virkning.estimate.resampling import set_components
from virkning.estimate.relative import (RelativeEffect, km_relative, relative_effect, relative_effects,
                                        relative_from_draws)
from virkning.estimate.result import MatchInfo, MatchResult, MatchSummary
from virkning.estimate.sensitivity import (CovariateBenchmark, RosenbaumBounds, SensitivityNumbers,
                                           SensitivityWarning, amplify, bounds_for_sets, covariate_benchmark,
                                           rosenbaum_bounds, sensitivity_numbers)
from virkning.estimate.wild_bootstrap import WildBootstrap, wild_cluster_bootstrap


def effects(result: MatchResult, outcomes, *, se: str = "cluster", n_boot: int = 999, seed: int | None = None,
            level: float = 0.95, draws: RematchDraws | None = None):
    """ATT (or ATC) for many outcomes at once (e.g. months 1..H): one row per outcome, see ``MatchResult.effects``."""
    return result.effects(outcomes, se=se, n_boot=n_boot, seed=seed, level=level, draws=draws)


__all__ = ["AggregateResult", "BalanceTable", "CURVE_COLUMNS", "CovariateBenchmark", "DidEstimate", "DidResult",
           "DroppedRowsWarning", "DroppedUnitsWarning", "EValue", "EffectEstimate", "EventStudyResult",
           "FewClustersWarning", "GroupTimeResult", "IgnoredOptionWarning", "MatchConfig", "MatchInfo", "MatchResult",
           "MatchSummary", "MatchingWarning", "MetaAnalysisWarning", "MetaResult", "PropensityFit",
           "PropensityWarning", "RegressionInfo", "RegressionResult", "RelativeEffect", "RematchDraws",
           "RematchWarning", "RosenbaumBounds", "SensitivityNumbers", "SensitivityWarning", "SingletonClusterWarning",
           "TwfeResult", "UnbalancedPanelWarning", "WildBootstrap", "adjusted_effects", "aggregate", "amplify", "att_gt", "balance_table",
           "bounds_for_sets", "covariate_benchmark", "did_2x2", "effects", "ess", "estimate_effects", "evalue",
           "evalue_rr", "event_study", "fit_logit", "fit_propensity", "km_curve", "km_relative", "love_plot", "lpm", "match",
           "meta_analysis", "monthly_effects", "relative_effect", "relative_effects", "relative_from_draws",
           "rematch_bootstrap", "rosenbaum_bounds", "sensitivity_numbers", "set_components", "twfe_did",
           "wild_cluster_bootstrap"]

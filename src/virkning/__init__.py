"""virkning: register-based evaluation of Danish employment interventions.

The pipeline runs one way: registers (data contract, readers, DREAM code catalogue) -> panel (states,
covariates, outcomes in DuckDB) -> populations -> estimators (propensity, matching, balance, effects) ->
monitoring -> report. The names exported here are the public API.
"""

from virkning.errors import VirkningError

__version__ = "0.1.0"

__all__ = ["VirkningError", "__version__", "match"]


def __getattr__(name: str):
    # `match` is imported on first use: the command line starts (and can be interrupted cleanly) before the
    # numerical stack is loaded
    if name == "match":
        from virkning.estimate import match

        return match
    raise AttributeError(f"module 'virkning' has no attribute '{name}'")

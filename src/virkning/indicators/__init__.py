"""Register indicators per unit and period (seed 002): declared in `definitions`, computed in the register layer.

    from virkning.indicators import IndicatorRequest, compute_indicators
    table = compute_indicators(regs, IndicatorRequest(period="quarter"))   # one scan of the benefits table
    table.frame; table.wide("aktiveringsgrad"); table.definitions

The table is raw: publish it through the disclosure gate (`protect_indicators`). docs/indicators.md has the
definitions and how they compare with STAR's jobindsats.dk.
"""

from virkning.indicators.compute import IndicatorRequest, IndicatorTable, compute_indicators, municipality_names
from virkning.indicators.definitions import (DESCRIBE_DEFAULT, DID_DEFAULT, INDICATORS, MEASURES, PERIODS, SU_CODES,
                                             TARGET_GROUPS, Indicator, TargetGroup, code_table, measure_codes,
                                             period_label, period_months, period_of_month, target_group)
from virkning.indicators.protect import declare_indicators, protect_indicators

__all__ = ["DESCRIBE_DEFAULT", "DID_DEFAULT", "INDICATORS", "MEASURES", "PERIODS", "SU_CODES", "TARGET_GROUPS",
           "Indicator", "IndicatorRequest", "IndicatorTable", "TargetGroup", "code_table", "compute_indicators",
           "declare_indicators", "measure_codes", "municipality_names", "period_label", "period_months",
           "period_of_month", "protect_indicators", "target_group"]

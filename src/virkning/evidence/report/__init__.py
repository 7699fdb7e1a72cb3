"""The evidence report: statements per core element with the studies behind them and the rule that produced each,
the appraisal table, forest plots and meta-analyses, and the search flow, as a self-contained HTML page in Danish or
English written with the shared report components (docs/evidence.md, "The evidence report").

    from virkning.evidence.report import write_report
    write_report("base.yaml", "out/", rule="default", language="da")
"""

from __future__ import annotations

from virkning.evidence.report.data import EffectPanel, EvidenceReportData, analyse
from virkning.evidence.report.files import report_files, write_report

__all__ = ["EffectPanel", "EvidenceReportData", "analyse", "report_files", "write_report"]

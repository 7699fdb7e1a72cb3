"""Everything the evidence report shows, computed once from the base: the statements of one rule, the search flow,
and per outcome and metric the effects given as numbers, pooled where a meta-analysis is possible. The page only
lays these out (virkning.evidence.report.sections)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from virkning.errors import DesignError
from virkning.estimate.meta import MetaAnalysisWarning
from virkning.evidence.base import EvidenceBase
from virkning.evidence.flow import SearchFlow, search_flow
from virkning.evidence.grading import GradingResult, grade
from virkning.evidence.synthesis import EvidenceWarning, SynthesisResult, synthesise

RULES = ("default", "jobeffekter")


@dataclass(frozen=True)
class EffectPanel:
    """The effects of one outcome in one metric: the findings with a number, and the meta-analysis of them when
    at least two studies give a whole-population effect with its uncertainty (else ``not_pooled`` says why)."""

    outcome: str
    metric: str
    findings: pd.DataFrame
    synthesis: SynthesisResult | None = None
    not_pooled: str | None = None  # "too_few" or the refusal's message
    warnings: tuple[str, ...] = ()
    declared: str | None = None  # the id of a synthesis declared in the file


@dataclass(frozen=True)
class EvidenceReportData:
    base: EvidenceBase
    grading: GradingResult
    rule_key: str
    flow: SearchFlow
    panels: tuple[EffectPanel, ...] = field(default_factory=tuple)
    topic_grading: GradingResult | None = None  # by core element, outcome and topic, for the review's topic statements

    @property
    def synthetic(self) -> tuple[str, ...]:
        """Ids of own evaluations run on synthetic data (their record's source says so)."""
        return tuple(s.id for s in self.base.studies if s.origin == "own_evaluation" and
                     "synthetic data" in (s.source or ""))


def rule_key(base: EvidenceBase, rule: str | None) -> str:
    if rule is None:
        return base.grading.rule if base.grading else "default"
    if rule not in RULES:
        raise DesignError(f"option 'rule': expected one of {', '.join(map(repr, RULES))}; got {rule!r}.")
    return rule


def _poolable(f: pd.DataFrame) -> int:
    """How many studies give a whole-population point estimate with an SE or interval (what synthesise pools)."""
    ok = f["value"].notna() & (f["se"].notna() | f["ci_low"].notna()) & f["subgroup"].isna()
    return f.loc[ok, "study"].nunique()


def _pool(base: EvidenceBase, **kwargs: Any) -> tuple[SynthesisResult | None, str | None, tuple[str, ...]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = synthesise(base, **kwargs)
        except DesignError as exc:
            return None, str(exc), ()
    notes = tuple(dict.fromkeys(str(w.message) for w in caught
                                if issubclass(w.category, (MetaAnalysisWarning, EvidenceWarning))))
    return res, None, notes


def analyse(base: EvidenceBase, rule: str | None = None) -> EvidenceReportData:
    """Grade ``base`` by ``rule`` (None: the rule the file declares), draw its search flow and its effect panels."""
    if not isinstance(base, EvidenceBase):
        raise DesignError(f"option 'base': expected an EvidenceBase (from load_base); got {type(base).__name__}.")
    key = rule_key(base, rule)
    graded = grade(base, rule=key)
    frame = base.findings_frame()
    panels: list[EffectPanel] = []
    if len(frame):
        numeric = frame[frame["value_low"].notna() & frame["metric"].notna()]
        order = {k: i for i, k in enumerate(base.vocabulary.outcomes)}
        morder = {k: i for i, k in enumerate(base.vocabulary.metrics)}
        groups = sorted({(o, m) for o, m in zip(numeric["outcome"], numeric["metric"])},
                        key=lambda om: (order.get(om[0], 99), morder.get(om[1], 99)))
        for outcome, metric in groups:
            f = numeric[(numeric["outcome"] == outcome) & (numeric["metric"] == metric)].reset_index(drop=True)
            if _poolable(f) < 2:
                panels.append(EffectPanel(outcome, metric, f, not_pooled="too_few"))
                continue
            res, why, notes = _pool(base, outcome=outcome, metric=metric)
            panels.append(EffectPanel(outcome, metric, f, res, why, notes))
    for spec in base.syntheses:
        res, why, notes = _pool(base, synthesis=spec.id)
        if res is None:  # the loader checked declared syntheses; a refusal here is a bug worth seeing
            raise DesignError(f"declared synthesis '{spec.id}' cannot be pooled: {why}")
        ids = set(res.studies["study"] + "/" + res.studies["finding"])
        f = frame[(frame["study"] + "/" + frame["finding"]).isin(ids)].reset_index(drop=True)
        panels.append(EffectPanel(res.outcome, res.metric, f, res, None, notes, declared=spec.id))
    by_topic = grade(base, rule=key, by=("core_element", "outcome", "topic")) \
        if any(st.topic for st in base.statements) else None
    return EvidenceReportData(base, graded, key, search_flow(base), tuple(panels), by_topic)

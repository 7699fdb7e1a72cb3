"""The matched effect evaluation (seed 000, Bilag 3): participants against a control group matched on propensity
scores within index weeks, effects month by month with honest uncertainty, subgroups and robustness variants.

    spec       the design-file keys (at the root of the design file)    -> `EffectSpec`, `compile_effect`
    pipeline   populations -> covariates -> matching -> outcomes -> effects -> subgroups   -> `evaluate`, `robustness`
    publish    the tables, what they reveal to the disclosure gate, results.json             -> `publish`
    sections   the report sections (tables, prose, figures) from the protected bundle       -> `effect_sections`
"""

from __future__ import annotations

import warnings
from pathlib import Path

from virkning.analyses.base import Context, Kind
from virkning.analyses.effect.pipeline import (EffectDesign, EffectEvaluation, Robustness, RunCache, Subgroup, evaluate,
                                               robustness)
from virkning.analyses.effect.publish import EffectResult, data_summary, publish
from virkning.analyses.effect.spec import EffectSpec, compile_effect
from virkning.outcomes import Outcome
from virkning.panel import EndOfDataWarning

TEMPLATES = Path(__file__).parent / "templates"


def _compile(section, root) -> EffectDesign:
    return compile_effect(section, seed=root.seed, end_month=root.data.end_month)


def run(design, ctx: Context) -> EffectResult:
    """The effect evaluation of a checked design (`virkning.design.Design`) on the context's registers, with its
    robustness variants."""
    effect = design.effect_design()
    regs = ctx.registers
    variants = design.robustness_variants()
    if variants:
        ctx.progress("main design and robustness variants")
        ev, rob = robustness(regs, effect, variants, progress=ctx.progress)
    else:
        ev, rob = evaluate(regs, effect, progress=ctx.progress), None
    with warnings.catch_warnings():  # an end_month beyond the rows: the evaluation's own panel has said so
        warnings.simplefilter("ignore", EndOfDataWarning)
        data = data_summary(regs, regs.panel(end_month=effect.end_month).end_month())
    return EffectResult(ev, rob, design.to_dict(), data)


def render_report(bundle: dict, out_dir, *, language: str | None = None):
    """Write the report of a results bundle (results.json) into `out_dir`; see `sections.render_report`."""
    from virkning.analyses.effect.sections import render_report as _render

    return _render(bundle, out_dir, language=language)


def render(output, language: str, numbering=None):
    """(sections, figures) of the report for an effect evaluation's output."""
    from virkning.analyses.effect.sections import effect_sections

    return effect_sections(dict(output.bundle), language, numbering)


KIND = Kind(key="effect", title=("Effektevaluering", "Effect evaluation"), spec=EffectSpec, section=None,
            command="evaluate", compile=_compile, run=run, publish=publish, render=render, templates=TEMPLATES)

__all__ = ["KIND", "EffectDesign", "EffectEvaluation", "EffectResult", "EffectSpec", "Outcome", "Robustness",
           "RunCache", "Subgroup", "evaluate", "publish", "render_report", "robustness", "run"]

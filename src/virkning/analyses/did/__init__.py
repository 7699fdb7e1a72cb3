"""Difference-in-differences against comparison units (seed 002): register indicators per unit and period, the
classic 2x2 pooled and per trial unit, two-way fixed effects with the wild cluster bootstrap, an event study with
a pre-trend test, and Callaway and Sant'Anna's group-time effects for staggered starts; person-level outcomes too.

    spec       the design-file section `difference_in_differences:`            -> `DidSpec`, `compile_did`
    compute    indicators -> disclosure gate -> estimates on the shown cells    -> `run_did`, `DidResult`
    estimates  the estimators of `virkning.estimate` on one outcome            -> `Runner`
    publish    the tables through the gate                                      -> `publish`
    sections   the report sections (tables, figures) in Danish or English      -> `did_sections`

docs/did-analysis.md describes the section, the tables and the choices.
"""

from __future__ import annotations

from pathlib import Path

from virkning.analyses.base import Context, Kind
from virkning.analyses.did.compute import DidResult, run_did
from virkning.analyses.did.publish import publish
from virkning.analyses.did.spec import HINTS, SECTION, DidDesign, DidSpec, compile_did


def run(design, ctx: Context) -> DidResult:
    """The analysis of a checked design (`virkning.design.Design`) on the context's registers."""
    return run_did(design.analyses["did"], ctx.registers, threshold=ctx.threshold, language=ctx.language,
                   synthetic=(Path(ctx.data) / "truth.json").is_file(), progress=ctx.progress)


def render(output, language: str, numbering=None):
    from virkning.analyses.did.sections import did_sections

    return did_sections(output, language, numbering)


KIND = Kind(key="did", title=("Forskel-i-forskelle", "Difference-in-differences"), spec=DidSpec, section=SECTION,
            command="evaluate", compile=compile_did, run=run, publish=publish, render=render)

__all__ = ["HINTS", "KIND", "SECTION", "DidDesign", "DidResult", "DidSpec", "compile_did", "publish", "run",
           "run_did"]

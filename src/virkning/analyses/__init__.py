"""Analyses: one package per kind, each the same shape (see `base`): a design-file section, a run from the registers
and that section to a frozen result of tidy frames, a publication through the one disclosure gate, and report
sections built from the shared report components.

    effect       the matched effect evaluation (seed 000): populations, propensity matching, effects by month
    monitoring   monthly status of a running programme against its success criteria, fidelity and surveys
    did          difference-in-differences of register indicators against comparison units (seed 002)
    programme    the programme theory (diagram, table) and its measurement plan (seeds 002, 003)
    jobrotation  job-rotation rules, the substitutes' outcomes against a matched comparison, substitute search
    trajectories outcomes without matching (seed 001): groups from records, curves by month, units, LPMs

`KINDS` is the registry: adding an analysis is a new package here and one line below (docs/architecture.md).
"""

from __future__ import annotations

from virkning.analyses.base import Context, Kind, Output

KINDS: dict[str, Kind] = {}


def _register() -> None:
    from virkning.analyses import effect, monitoring

    for kind in (effect.KIND, monitoring.KIND):
        KINDS[kind.key] = kind

    from virkning.analyses import trajectories

    KINDS[trajectories.KIND.key] = trajectories.KIND


_register()


def _register_did() -> None:  # difference-in-differences against comparison units (seed 002)
    from virkning.analyses import did

    KINDS[did.KIND.key] = did.KIND


_register_did()


def _register_programme() -> None:
    from virkning.analyses import jobrotation, programme

    KINDS["jobrotation"] = jobrotation.KIND
    items = dict(KINDS)  # the programme theory opens the report: first in the registry's order
    KINDS.clear()
    KINDS.update({"programme": programme.KIND, **items})


_register_programme()

__all__ = ["KINDS", "Context", "Kind", "Output"]


def _register_benchmark() -> None:  # benchmarking of job centres (seed 004)
    from virkning.analyses import benchmark

    KINDS[benchmark.KIND.key] = benchmark.KIND


_register_benchmark()

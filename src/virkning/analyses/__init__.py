"""Analyses: one package per kind, each the same shape (see `base`): a design-file section, a run from the registers
and that section to a frozen result of tidy frames, a publication through the one disclosure gate, and report
sections built from the shared report components.

    effect       the matched effect evaluation (seed 000): populations, propensity matching, effects by month
    monitoring   monthly status of a running programme against its success criteria, fidelity and surveys
    did          difference-in-differences of register indicators against comparison units (seed 002)

`KINDS` is the registry: adding an analysis is a new package here and one line below (docs/architecture.md).
"""

from __future__ import annotations

from virkning.analyses.base import Context, Kind, Output

KINDS: dict[str, Kind] = {}


def _register() -> None:
    from virkning.analyses import effect, monitoring

    for kind in (effect.KIND, monitoring.KIND):
        KINDS[kind.key] = kind


_register()


def _register_did() -> None:  # difference-in-differences against comparison units (seed 002)
    from virkning.analyses import did

    KINDS[did.KIND.key] = did.KIND


_register_did()

__all__ = ["KINDS", "Context", "Kind", "Output"]

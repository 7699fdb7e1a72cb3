"""Synthetic national registers with a Seniorvikar-like programme and its known effect.

    from virkning.synth import generate
    summary = generate("data/", persons=100_000, seed=2018)   # persons, benefits, employment, events, truth.json

Modules: `timeline` (weeks and months), `geography` (municipalities, RAR areas, project municipalities),
`codes` (states and their DREAM codes from the catalogue), `params` (hazard tables), `people` (persons),
`paths` (the weekly multi-state model), `programme` (meetings, participation, effect, untreated twins),
`months` (weeks to monthly employment), `truth` (true effects), `writer` (files), `runner` (the run: `generate`).
docs/synthetic-data.md describes the model.
"""

from virkning.synth.runner import SynthSummary, generate

__all__ = ["SynthSummary", "generate"]

"""Synthetic registers with a programme and its known effects (truth.json).

    from virkning.synth import generate
    summary = generate("data/", persons=100_000, seed=2018)   # persons, benefits, employment, events, truth.json
    generate("fsm/", persons=40_000, programme="flere_skal_med")   # + records, person_flags
    generate("fk/", persons=100_000, programme="frikommune")

Modules of the weekly engine: `timeline` (weeks and months), `geography` (municipalities, RAR areas, project
municipalities), `codes` (states and their DREAM codes from the catalogue), `params` (hazard tables), `people`
(persons), `paths` (the weekly multi-state model), `months` (weeks to monthly employment), `writer` (files),
`runner` (the run: `generate`, and `run` for a programme design). Programmes: `seniorvikar` with `programme`
and `truth` (the default: meetings, participation, effect, untreated twins), `frikommune/` (an interview rule in
trial municipalities, on the weekly engine) and `flere_skal_med/` (long-term cash-benefit recipients, a generator
of its own). docs/synthetic-data.md describes the models.
"""

from virkning.synth.runner import SynthSummary, generate

__all__ = ["SynthSummary", "generate"]

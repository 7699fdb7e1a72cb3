"""Disclosure control: no published number may show or let a reader derive a count below the threshold.

- `model`: what an output reveals (counts, relations, shares, series, dependents), declared by each analysis;
- `gate`: the one gate every published table passes (`protect`);
- `audit`: an independent check that re-reads an output folder and tries to derive small counts.
"""

from virkning.disclosure.gate import Gate, protect, small
from virkning.disclosure.model import Model, Place, SeriesPoint

__all__ = ["Gate", "Model", "Place", "SeriesPoint", "protect", "small"]

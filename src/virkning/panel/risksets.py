"""Risk sets: the (person, index week) pairs where a person is in state `states[k]` in week index + k.

One scan of the benefit weeks, grouped by person and block of MASK_WEEKS weeks, gives a bit mask of each state's
weeks (queries.state_masks); the pairs are read off the masks here, in numpy. Joining every coded row to each
(index week, offset) slot it falls in and grouping by person and index week cost twice as much at 5,000,000
persons (docs/performance.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from virkning.errors import CovariateNameError
from virkning.registers import queries
from virkning.registers.catalogue import GROUPS, MONTHLY_STATUSES, STATES, canonical_state

if TYPE_CHECKING:
    from virkning.panel import Panel


def _none() -> pd.DataFrame:
    return pd.DataFrame({"pk": np.zeros(0, dtype=np.int64), "iwk": np.zeros(0, dtype=np.int64)})


def state_pairs(panel: "Panel", weeks: np.ndarray, states: dict[int, str]) -> pd.DataFrame:
    """(pk, iwk), sorted by person and week, for every week of `weeks` (sorted int64) where the person is in state
    `states[k]` in week index + k (no rule: everyone every week)."""
    if not states:
        n = panel.store.n_persons
        return pd.DataFrame({"pk": np.repeat(np.arange(n, dtype=np.int64), len(weeks)), "iwk": np.tile(weeks, n)})
    codes: dict[int, list] = {}
    for offset, state in sorted(states.items()):
        canon = canonical_state(state)
        if canon is None or canon in MONTHLY_STATUSES:
            raise CovariateNameError(f"'{state}' in week {offset} is not a state or group of the DREAM code "
                                     f"catalogue; expected one of {', '.join((*STATES, *GROUPS))}")
        codes[int(offset)] = [c for (c,) in panel.engine.rows(queries.codes_of(canon))]
    if not all(codes.values()):  # a state without codes: nobody is ever in it
        return _none()
    lo, hi = int(weeks.min()) + min(codes), int(weeks.max()) + max(codes)
    keyed = panel.store.keyed_now()
    if keyed:  # the codes' integers in the keyed copy; a code the data never holds matches no row
        ids = panel.regs.keyed_codes
        codes = {o: [ids[c] for c in cs if c in ids] for o, cs in codes.items()}
        if not all(codes.values()):
            return _none()
    else:
        panel.store.pkmap()  # the key map the query joins
    sets = sorted({tuple(sorted(cs)) for cs in codes.values()})
    out = panel.engine.arrays(queries.state_masks(panel.store.names, [list(c) for c in sets], lo, hi, keyed))
    need = [(o, sets.index(tuple(sorted(cs)))) for o, cs in sorted(codes.items())]
    pk, iwk = pairs_from_masks(out, need, weeks, lo, hi)
    return pd.DataFrame({"pk": pk, "iwk": iwk}, copy=False)  # the fresh arrays as they are, not copied into a block


def pairs_from_masks(out: dict, need: list[tuple[int, int]], weeks: np.ndarray, lo: int, hi: int
                     ) -> tuple[np.ndarray, np.ndarray]:
    """(pk, iwk), sorted by person and week, of the weeks w in `weeks` (sorted int64) at which a person's mask
    number i has the bit of week w + offset for every (offset, i) in `need` (the rows pk, blk, m0, m1, ... of
    queries.state_masks). Persons are read in chunks, so a chunk's bit matrix stays a few MB whatever the number of
    persons and weeks."""
    mw = queries.MASK_WEEKS
    nb = (hi - lo) // mw + 1
    pk = np.asarray(out["pk"], dtype=np.int64)
    order = np.argsort(pk, kind="stable")
    people, row = np.unique(pk[order], return_inverse=True)  # row: each mask row's person, ascending
    blk = np.asarray(out["blk"], dtype=np.int64)[order]
    masks = {i: np.asarray(out[f"m{i}"], dtype=np.int64)[order] for _, i in need}
    # bit d % mw of block d // mw, in the unpacked bits of little-endian 64-bit masks
    cols = {o: ((weeks - lo + o) // mw) * 64 + (weeks - lo + o) % mw for o, _ in need}
    step = max(1, 16_000_000 // (nb * 64))
    found_pk, found_wk = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
    for start in range(0, len(people), step):
        a, b = np.searchsorted(row, [start, start + step])
        n = min(step, len(people) - start)
        ok = np.ones((n, len(weeks)), dtype=bool)
        bits: dict[int, np.ndarray] = {}
        for o, i in need:
            if i not in bits:
                m = np.zeros((n, nb), dtype="<i8")
                m[row[a:b] - start, blk[a:b]] = masks[i][a:b]
                bits[i] = np.unpackbits(m.view(np.uint8).reshape(n, nb * 8), axis=1, bitorder="little")
            ok &= bits[i][:, cols[o]].astype(bool)
        pi, wi = np.nonzero(ok)
        found_pk.append(people[start + pi])
        found_wk.append(weeks[wi])
    return np.concatenate(found_pk), np.concatenate(found_wk)

"""Resampling units for bootstraps of matched samples: groups of matched sets that share a person.

A control person can serve in several matched sets (in several index weeks of a risk-set design, or as a
reused control when matching with replacement), and a participant can be a candidate control in weeks before
joining. Resampling matched sets independently would then treat one person's outcomes as independent draws.
The bootstrap here resamples *connected components* of the bipartite graph "matched set - person": two sets
belong to the same unit when they share a person, directly or through a chain of sets. Components are
independent whenever persons are, which is the sampling assumption of the evaluation, so the cluster
bootstrap over components is valid for any pattern of reuse (Davison and Hinkley 1997, ch. 3.8, on
resampling clusters). The price is a little efficiency when a chain links many sets; `component_summary`
reports the sizes so a user can see it.

The alternative, a two-way ("pigeonhole") bootstrap that resamples sets and persons independently and weights
a row by the product of its set's and its person's draws (Owen 2007), is conservative by construction (it
counts the row-level variance twice); the components are exact in this respect and simpler, so they are used.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse
import scipy.sparse.csgraph


def set_components(sets: np.ndarray, persons: np.ndarray) -> np.ndarray:
    """Component code (0..G-1) of each row: rows whose matched sets are linked through shared persons agree.

    ``sets`` and ``persons`` are codes per row (any integers). Components are numbered in order of their first
    row, so the numbering does not depend on the values of the codes.
    """
    sets = np.asarray(sets)
    persons = np.asarray(persons)
    if len(sets) == 0:
        return np.zeros(0, dtype=np.int64)
    s_codes, s_inv = np.unique(sets, return_inverse=True)
    p_codes, p_inv = np.unique(persons, return_inverse=True)
    ns, npers = len(s_codes), len(p_codes)
    # bipartite graph: nodes 0..ns-1 are sets, ns..ns+np-1 persons; one edge per row
    graph = scipy.sparse.coo_matrix((np.ones(len(sets)), (s_inv, ns + p_inv)), shape=(ns + npers, ns + npers))
    _, labels = scipy.sparse.csgraph.connected_components(graph, directed=False)
    comp = labels[s_inv]
    _, first = np.unique(comp, return_index=True)
    renumber = np.empty(int(comp.max()) + 1, dtype=np.int64)
    renumber[comp[np.sort(first)]] = np.arange(len(first))
    return renumber[comp]


def component_summary(sets: np.ndarray, components: np.ndarray) -> dict[str, int]:
    """Number of matched sets, of resampling groups, and the sets in the largest group."""
    sets = np.asarray(sets)
    components = np.asarray(components)
    if len(sets) == 0:
        return {"sets": 0, "groups": 0, "largest": 0}
    pairs = np.unique(np.column_stack([components, sets]), axis=0)
    per = np.bincount(pairs[:, 0])
    return {"sets": int(len(np.unique(sets))), "groups": int(len(per)), "largest": int(per.max())}

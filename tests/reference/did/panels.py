"""Small synthetic panels for the difference-in-differences tests (seeded, fast)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def staggered_panel(seed: int = 0, n_units: int = 14, periods=range(2010, 2019), starts=None, persons=(2, 6),
                    effect: float = 0.3, drop_share: float = 0.1, unit_sd: float = 0.0) -> pd.DataFrame:
    """Person-level rows (unit x period x person), unbalanced: some unit-periods missing, persons vary.

    Units 0..5 start in 2014, 2015, 2016 in turn; the rest never. Effect ``effect`` from the start on.
    """
    rng = np.random.default_rng(seed)
    starts = starts or {f"m{u}": (2014 + u % 3 if u < 6 else np.nan) for u in range(n_units)}
    rows = []
    for u in range(n_units):
        name = f"m{u}"
        shock = rng.normal(0, unit_sd)
        for t in periods:
            if rng.random() < drop_share:
                continue
            s = starts[name]
            for p in range(int(rng.integers(*persons))):
                eff = effect if (s == s and t >= s) else 0.0
                rows.append((name, t, s, f"{name}-{p}", 0.1 * u + 0.05 * (t - 2010) + eff + shock + rng.normal()))
    d = pd.DataFrame(rows, columns=["mun", "year", "start", "pid", "y"])
    d["w"] = rng.uniform(0.5, 2.0, len(d))
    return d

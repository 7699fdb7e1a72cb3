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


def tau(e: np.ndarray | int) -> np.ndarray:
    """True effect e periods after the start (e >= 0): 0.02 rising by 0.004 a period; 0 before."""
    e = np.asarray(e, dtype=float)
    return np.where(e >= 0, 0.02 + 0.004 * e, 0.0)


def free_municipality_panel(seed: int, n_trial: int = 9, n_comparison: int = 21, n_periods: int = 24,
                            starts=(8, 12, 16), noise: float = 0.01) -> pd.DataFrame:
    """Unit x period indicator panel (e.g. an employment rate) with staggered starts and parallel trends.

    Trial units start at ``starts`` in turn (periods numbered 0..n_periods-1); they have higher levels (unit
    effects correlated with treatment) and all units share a common trend with shocks; the effect follows ``tau``.
    """
    rng = np.random.default_rng(seed)
    n = n_trial + n_comparison
    start = np.array([starts[i % len(starts)] for i in range(n_trial)] + [np.nan] * n_comparison, dtype=float)
    level = rng.normal(0.5, 0.05, n) + np.where(np.isnan(start), 0.0, 0.03)
    common = np.cumsum(rng.normal(0.002, 0.004, n_periods))
    t = np.arange(n_periods)
    y = level[:, None] + common[None, :] + rng.normal(0, noise, (n, n_periods))
    e = t[None, :] - start[:, None]
    y = y + np.where(np.isnan(e), 0.0, tau(np.nan_to_num(e, nan=-1)))
    return pd.DataFrame({"unit": np.repeat([f"k{i:02d}" for i in range(n)], n_periods),
                         "period": np.tile(t, n), "start": np.repeat(start, n_periods), "y": y.ravel()})


def true_simple_att(starts=(8, 12, 16), n_trial: int = 9, n_periods: int = 24) -> float:
    """Group-size weighted mean of the post-treatment ATT(g,t) of ``free_municipality_panel``."""
    g = np.array([starts[i % len(starts)] for i in range(n_trial)])
    return float(np.mean(np.concatenate([tau(np.arange(n_periods) - s)[s:] for s in g])))

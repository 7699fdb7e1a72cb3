"""The result of :func:`virkning.match`: matched data, weights, matched sets, what was done, balance, effects.

A :class:`MatchResult` is immutable; its arrays cover every row of the input (in input order) and its
tables are computed from them on request:

- ``data``: the matched units with ``subclass`` (matched set; missing with replacement, where a control can
  be in several sets), ``weights`` (MatchIt's ATT weights) and ``distance`` - MatchIt's ``match.data()``;
- ``matches``: one row per (matched set, unit), controls repeated when reused - MatchIt's ``get_matches()``;
- ``pairs``: (treated id, control id, slot) for every match;
- ``unmatched``: treated units left without (enough) controls and why;
- ``summary()``: sample sizes as MatchIt prints them plus the balance table; ``balance``: the balance table;
- ``effect()`` / ``effects()``: ATT with cluster-robust or bootstrap SEs (see ``virkning.estimate.effects``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from virkning.estimate.balance import BalanceTable, balance_table, ess
from virkning.estimate.effects import AnalysisSample, EffectEstimate, estimate_effects
from virkning.estimate.nearest import REASON_LABELS
from virkning.estimate.options import MatchConfig
from virkning.estimate.propensity import PropensityFit
from virkning.defaults import SMD_THRESHOLD


@dataclass(frozen=True)
class MatchInfo:
    """Record of what the matching did (MatchIt's ``info`` plus the numbers needed to repeat it)."""

    method: str
    estimand: str
    distance: str
    link: str | None
    ratio: int
    replace: bool
    m_order: str
    caliper_sd: float | None
    caliper_width: float | None
    distance_sd: float | None
    exact: tuple[str, ...]
    n_exact_cells: int
    mahvars: tuple[str, ...]
    compat: str
    n_treated: int
    n_control: int
    n_treated_matched: int
    n_control_matched: int
    seconds: float

    def to_dict(self) -> dict[str, object]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class MatchSummary:
    """Sample sizes (All / Matched / Unmatched / Discarded, with effective sizes) and the balance table."""

    sample_sizes: pd.DataFrame
    balance: BalanceTable
    info: MatchInfo

    def to_dict(self) -> dict[str, object]:
        return {"sample_sizes": self.sample_sizes.to_dict(), "balance": self.balance.to_dict(),
                "info": self.info.to_dict()}

    def __str__(self) -> str:
        sizes = self.sample_sizes.to_string(float_format=lambda v: f"{v:.2f}")
        return f"Sample sizes:\n{sizes}\n\nBalance:\n{self.balance}"


@dataclass(frozen=True)
class MatchResult:
    """Everything :func:`virkning.match` produced. Arrays are aligned with the rows of ``source``."""

    config: MatchConfig
    info: MatchInfo
    propensity: PropensityFit | None
    source: pd.DataFrame = field(repr=False)
    treat: np.ndarray = field(repr=False)
    distance: np.ndarray | None = field(repr=False)
    weights: np.ndarray = field(repr=False)
    subclass: np.ndarray = field(repr=False)  # matched-set number, 0 = none (always 0 with replacement)
    treated_rows: np.ndarray = field(repr=False)  # row positions of treated units, data order
    match_matrix: np.ndarray = field(repr=False)  # control row positions per treated unit and slot, -1 = none
    reason: np.ndarray = field(repr=False)  # why a treated unit's first empty slot is empty (0 = all filled)

    # ------------------------------------------------------------------ tables
    @property
    def data(self) -> pd.DataFrame:
        """Matched units (weight > 0) with ``subclass``, ``weights`` and ``distance`` (MatchIt's match.data)."""
        keep = self.weights > 0
        out = self.source.loc[keep].copy()
        if self.config.replace:  # a control can belong to several sets: use ``matches`` for set membership
            out["subclass"] = pd.array([pd.NA] * int(keep.sum()), dtype="Int64")
        else:
            out["subclass"] = pd.array(self.subclass[keep], dtype="Int64")
        out["weights"] = self.weights[keep]
        if self.distance is not None:
            out["distance"] = self.distance[keep]
        return out

    @property
    def pairs(self) -> pd.DataFrame:
        """One row per match: treated id, control id (index labels of the data) and slot (1 = first control)."""
        mm = self.match_matrix
        rows, cols = np.nonzero(mm >= 0)
        idx = self.source.index
        return pd.DataFrame({"treated": idx[self.treated_rows[rows]], "control": idx[mm[rows, cols]],
                             "slot": cols + 1})

    def _long(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(set number, row position, is treated, weight) for every (matched set, unit) - get_matches()."""
        mm = self.match_matrix
        has = (mm >= 0).any(axis=1)
        mmh = mm[has]
        k = (mmh >= 0).sum(axis=1)
        sets = np.arange(1, int(has.sum()) + 1)
        rows_c, cols_c = np.nonzero(mmh >= 0)
        set_ids = np.concatenate([sets, sets[rows_c]])
        positions = np.concatenate([self.treated_rows[has], mmh[rows_c, cols_c]])
        is_t = np.concatenate([np.ones(len(sets), bool), np.zeros(len(rows_c), bool)])
        w = np.concatenate([np.ones(len(sets)), 1.0 / k[rows_c]])
        order = np.lexsort((~is_t, set_ids))
        return set_ids[order], positions[order], is_t[order], w[order]

    @property
    def matches(self) -> pd.DataFrame:
        """One row per (matched set, unit): ``subclass``, ``id``, ``weights`` (1 treated, 1/k controls), data."""
        set_ids, positions, _is_t, w = self._long()
        out = self.source.iloc[positions].copy()
        out.insert(0, "id", self.source.index[positions])
        out.insert(0, "subclass", set_ids)
        out["weights"] = w
        if self.distance is not None:
            out["distance"] = self.distance[positions]
        return out.reset_index(drop=True)

    @property
    def unmatched(self) -> pd.DataFrame:
        """Treated units with fewer controls than requested: id, number of controls found, reason."""
        k = (self.match_matrix >= 0).sum(axis=1)
        short = k < self.config.ratio
        return pd.DataFrame({"id": self.source.index[self.treated_rows[short]], "n_controls": k[short],
                             "reason": [REASON_LABELS[int(r)] for r in self.reason[short]]})

    def unmatched_counts(self) -> pd.Series:
        """Number of treated units without any control, by reason."""
        none = (self.match_matrix >= 0).sum(axis=1) == 0
        reasons = pd.Series([REASON_LABELS[int(r)] for r in self.reason[none]], dtype=object)
        return reasons.value_counts().rename("n_treated")

    def sample_sizes(self) -> pd.DataFrame:
        """MatchIt's sample-size table: rows All (ESS), All, Matched (ESS), Matched, Unmatched, Discarded."""
        t, w = self.treat, self.weights
        rows = {
            "All (ESS)": (ess(np.ones(int((~t).sum()))), ess(np.ones(int(t.sum())))),
            "All": ((~t).sum(), t.sum()),
            "Matched (ESS)": (ess(w[~t]), ess(w[t])),
            "Matched": (((~t) & (w > 0)).sum(), (t & (w > 0)).sum()),
            "Unmatched": (((~t) & (w == 0)).sum(), (t & (w == 0)).sum()),
            "Discarded": (0, 0),
        }
        return pd.DataFrame(rows, index=["Control", "Treated"]).T.astype(float)

    def balance_table(self, *, binary: str = "std", threshold: float = SMD_THRESHOLD) -> BalanceTable:
        """Balance of the covariates, exact variables and mahvars before and after matching."""
        c = self.config
        cols = list(dict.fromkeys([*c.covariates, *c.exact, *c.mahvars]))
        return balance_table(self.source, self.treat, self.weights, cols, distance=self.distance,
                             binary=binary, threshold=threshold)

    @property
    def balance(self) -> BalanceTable:
        """Balance table with MatchIt's conventions and the SMD threshold of virkning.defaults."""
        return self.balance_table()

    def summary(self, *, binary: str = "std", threshold: float = SMD_THRESHOLD) -> MatchSummary:
        return MatchSummary(sample_sizes=self.sample_sizes(), balance=self.balance_table(binary=binary,
                            threshold=threshold), info=self.info)

    # ------------------------------------------------------------------ effects
    def analysis_sample(self) -> AnalysisSample:
        """Rows, weights and clusters of the outcome regression (see ``virkning.estimate.effects``)."""
        cl = self.config.cluster
        if not self.config.replace:
            rows = np.flatnonzero(self.weights > 0)
            sub = self.subclass[rows]
            clusters: list[np.ndarray] = [sub]
            names = ["subclass"]
            if cl is not None:
                clusters.append(_codes_of(self.source[cl])[rows])
                names.append(cl)
            return AnalysisSample(rows=rows, treat=self.treat[rows], weights=self.weights[rows],
                                  clusters=tuple(clusters), cluster_names=tuple(names), boot_cluster=sub)
        set_ids, positions, is_t, w = self._long()
        second = positions if cl is None else _codes_of(self.source[cl])[positions]
        return AnalysisSample(rows=positions, treat=is_t, weights=w, clusters=(set_ids, second),
                              cluster_names=("subclass", "id" if cl is None else cl), boot_cluster=set_ids)

    def effects(self, outcomes: Sequence[str] | str, *, se: str = "cluster", n_boot: int = 999,
                seed: int | None = None, level: float = 0.95) -> pd.DataFrame:
        """ATT for each outcome: columns outcome, att, se, ci_low, ci_high, treated_mean, control_mean,
        n_treated, n_control (plus se_type, n_clusters, n_boot)."""
        return estimate_effects(self.source, self.analysis_sample(), outcomes, se=se, n_boot=n_boot, seed=seed,
                                level=level)

    def effect(self, outcome: str, *, se: str = "cluster", n_boot: int = 999, seed: int | None = None,
               level: float = 0.95) -> EffectEstimate:
        """ATT for one outcome with SE and confidence interval."""
        row = self.effects([outcome], se=se, n_boot=n_boot, seed=seed, level=level).iloc[0]
        sample = self.analysis_sample()
        names = ("subclass",) if row["se_type"] == "bootstrap" else sample.cluster_names
        return EffectEstimate(outcome=outcome, att=float(row["att"]), se=float(row["se"]),
                              ci_low=float(row["ci_low"]), ci_high=float(row["ci_high"]),
                              treated_mean=float(row["treated_mean"]), control_mean=float(row["control_mean"]),
                              n_treated=int(row["n_treated"]), n_control=int(row["n_control"]),
                              se_type=str(row["se_type"]), clusters=tuple(names),
                              n_clusters=tuple(int(x) for x in str(row["n_clusters"]).split("/")),
                              level=level, n_boot=None if row["n_boot"] is None or pd.isna(row["n_boot"])
                              else int(row["n_boot"]))

    def to_dict(self) -> dict[str, object]:
        return {"config": self.config.to_dict(), "info": self.info.to_dict(),
                "propensity": None if self.propensity is None else self.propensity.to_dict(),
                "sample_sizes": self.sample_sizes().to_dict(),
                "unmatched": self.unmatched_counts().to_dict()}


def _codes_of(series: pd.Series) -> np.ndarray:
    codes, _ = pd.factorize(series, use_na_sentinel=False)
    return codes.astype(np.int64)

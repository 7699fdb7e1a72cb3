"""The result of :func:`virkning.match`: matched data, weights, matched sets, what was done, balance, effects.

A :class:`MatchResult` is immutable; its arrays cover every row of the input (in input order) and its
tables are computed from them on request:

- ``data``: the matched units with ``subclass`` (matched set; missing with replacement, where a control can
  be in several sets), ``weights`` (MatchIt's weights for the ATT or the ATC) and ``distance`` - MatchIt's
  ``match.data()``;
- ``matches``: one row per (matched set, unit), matches repeated when reused - MatchIt's ``get_matches()``;
- ``pairs``: (treated id, control id, slot) for every match;
- ``unmatched``: focal units left without (enough) matches and why (discarded units included);
- ``summary()``: what was done, sample sizes as MatchIt prints them (with the Discarded row) and the balance
  table; ``balance``: the balance table with SMD, variance-ratio and KS flags;
- ``effect()`` / ``effects()``: the ATT (or ATC) with cluster-robust, bootstrap, re-matching or sample-ATT SEs
  (see ``virkning.estimate.effects``);
- a readable ``repr`` and ``_repr_html_`` for notebooks.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import pandas as pd

from virkning.defaults import KS_THRESHOLD, SMD_THRESHOLD, VR_THRESHOLD
from virkning.estimate.balance import BalanceTable, balance_table, ess
from virkning.estimate.effects import AnalysisSample, EffectEstimate, estimate_effects
from virkning.estimate.nearest import reason_label
from virkning.estimate.options import MatchConfig
from virkning.estimate.propensity import PropensityFit
from virkning.estimate.resampling import set_components


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
    discard: str = "none"
    reestimate: bool = False
    n_treated_discarded: int = 0
    n_control_discarded: int = 0
    caliper_widths: tuple[tuple[str, float], ...] = ()  # covariate calipers in the covariates' units
    antiexact: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        out = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}
        out["caliper_widths"] = dict(self.caliper_widths)
        return out

    def describe(self) -> list[tuple[str, str]]:
        """What was done, as (label, text) lines in the order MatchIt's print() gives them."""
        dist = {"logit": "propensity score logit (logistic regression)", "ps": "propensity score (logistic "
                "regression)", "mahalanobis": "Mahalanobis"}[self.distance]
        if self.mahvars and self.distance != "mahalanobis":
            dist += f"; Mahalanobis on {', '.join(self.mahvars)} within the caliper"
        how = f"{self.ratio}:1 nearest neighbour, {'with' if self.replace else 'without'} replacement"
        lines = [("method", how + f", order {self.m_order}"), ("distance", dist), ("estimand", self.estimand)]
        cal = []
        if self.caliper_width is not None:
            cal.append(f"distance {self.caliper_width:.4g}" + (f" ({self.caliper_sd:g} SD)" if self.caliper_sd
                                                                else ""))
        cal += [f"{k} {v:.4g}" for k, v in self.caliper_widths]
        if cal:
            lines.append(("calipers", ", ".join(cal)))
        if self.exact:
            lines.append(("exact", f"{', '.join(self.exact)} ({self.n_exact_cells:,} cells)"))
        if self.antiexact:
            lines.append(("antiexact", ", ".join(self.antiexact)))
        if self.discard != "none":
            lines.append(("common support", f"discard={self.discard!r}: {self.n_treated_discarded:,} treated and "
                          f"{self.n_control_discarded:,} controls dropped"
                          + ("; propensity model re-estimated" if self.reestimate else "")))
        lines.append(("units", f"{self.n_treated:,} treated, {self.n_control:,} controls; matched "
                      f"{self.n_treated_matched:,} treated, {self.n_control_matched:,} controls"))
        if self.compat != "none":
            lines.append(("compat", self.compat))
        return lines


COUNT_ROWS = ("All", "Matched", "Unmatched", "Discarded")  # rows of the sample-size table that count units


def _sizes_for_display(sizes: pd.DataFrame) -> pd.DataFrame:
    """Counts as whole numbers, effective sample sizes with two decimals (as text, for printing)."""
    out = sizes.astype(object).copy()
    for row in sizes.index:
        fmt = (lambda v: f"{int(round(v)):,}") if row in COUNT_ROWS else (lambda v: f"{v:,.2f}")
        out.loc[row] = [fmt(v) for v in sizes.loc[row]]
    return out


def _sizes_dict(sizes: pd.DataFrame) -> dict[str, dict[str, float | int]]:
    # the stubs type the keys as Hashable; the sizes table has str row and column labels
    nested = cast(dict[str, dict[str, float]], sizes.to_dict())
    return {col: {row: (int(round(v)) if row in COUNT_ROWS else float(v)) for row, v in values.items()}
            for col, values in nested.items()}


@dataclass(frozen=True)
class MatchSummary:
    """Sample sizes (All / Matched / Unmatched / Discarded, with effective sizes) and the balance table.

    ``sample_sizes`` keeps MatchIt's layout (floats, because the ESS rows are not whole numbers); ``counts``
    has the four count rows as integers.
    """

    sample_sizes: pd.DataFrame
    balance: BalanceTable
    info: MatchInfo

    @property
    def counts(self) -> pd.DataFrame:
        return self.sample_sizes.loc[list(COUNT_ROWS)].round().astype(np.int64)

    def to_dict(self) -> dict[str, object]:
        return {"sample_sizes": _sizes_dict(self.sample_sizes), "balance": self.balance.to_dict(),
                "info": self.info.to_dict()}

    def __str__(self) -> str:
        head = "\n".join(f"  {k}: {v}" for k, v in self.info.describe())
        sizes = _sizes_for_display(self.sample_sizes).to_string()
        return f"Matching:\n{head}\n\nSample sizes:\n{sizes}\n\nBalance:\n{self.balance}"

    def __repr__(self) -> str:
        return f"MatchSummary\n{self}"

    def _repr_html_(self) -> str:
        head = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                       for k, v in self.info.describe())
        return (f"<table>{head}</table><h4>Sample sizes</h4>{_sizes_for_display(self.sample_sizes).to_html()}"
                f"<h4>Balance</h4>{self.balance._repr_html_()}")


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
    discarded: np.ndarray | None = field(default=None, repr=False)  # outside the common support (discard)
    propensity_all: PropensityFit | None = field(default=None, repr=False)  # fit on all units when re-estimated
    # balance tables by their arguments: the result is immutable, so each is computed once (publishing reads
    # it more than once); dataclasses.replace starts a new, empty cache
    _balance_cache: dict[tuple, BalanceTable] = field(default_factory=dict, init=False, repr=False, compare=False)

    # For the ATC the focal units (``treated_rows``, the rows of ``match_matrix``) are the controls and their
    # matches are treated units; the names follow the ATT, the usual case.

    @property
    def estimand(self) -> str:
        return self.config.estimand

    @property
    def discarded_mask(self) -> np.ndarray:
        return np.zeros(len(self.treat), dtype=bool) if self.discarded is None else self.discarded

    def __repr__(self) -> str:
        i = self.info
        return (f"MatchResult({i.estimand}, {i.ratio}:1 nearest neighbour on {i.distance}; {i.n_treated_matched:,} "
                f"of {i.n_treated:,} treated and {i.n_control_matched:,} of {i.n_control:,} controls matched"
                + (f"; {i.n_treated_discarded + i.n_control_discarded:,} discarded" if i.discard != "none" else "")
                + ")")

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()

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
        """One row per match: treated id, control id (index labels of the data) and slot (1 = first match of
        the focal unit: the treated for the ATT, the control for the ATC)."""
        mm = self.match_matrix
        rows, cols = np.nonzero(mm >= 0)
        idx = self.source.index
        focal, other = idx[self.treated_rows[rows]], idx[mm[rows, cols]]
        if self.config.estimand == "ATC":
            focal, other = other, focal
        return pd.DataFrame({"treated": focal, "control": other, "slot": cols + 1})

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
        is_focal = np.concatenate([np.ones(len(sets), bool), np.zeros(len(rows_c), bool)])
        w = np.concatenate([np.ones(len(sets)), 1.0 / k[rows_c]])
        order = np.lexsort((~is_focal, set_ids))
        positions = positions[order]
        return set_ids[order], positions, self.treat[positions], w[order]

    @property
    def matches(self) -> pd.DataFrame:
        """One row per (matched set, unit): ``subclass``, ``id``, ``weights`` (1 focal, 1/k matches), data."""
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
        """Focal units (treated for the ATT, controls for the ATC) with fewer matches than requested: id,
        number of matches found (``n_controls``), reason (including "discarded")."""
        k = (self.match_matrix >= 0).sum(axis=1)
        short = k < self.config.ratio
        return pd.DataFrame({"id": self.source.index[self.treated_rows[short]], "n_controls": k[short],
                             "reason": [reason_label(r, self.estimand) for r in self.reason[short]]})

    def unmatched_counts(self) -> pd.Series:
        """Number of focal units without any match, by reason."""
        none = (self.match_matrix >= 0).sum(axis=1) == 0
        reasons = pd.Series([reason_label(r, self.estimand) for r in self.reason[none]], dtype=object)
        return reasons.value_counts().rename("n_treated" if self.estimand == "ATT" else "n_control")

    def sample_sizes(self) -> pd.DataFrame:
        """MatchIt's sample-size table: rows All (ESS), All, Matched (ESS), Matched, Unmatched, Discarded.

        Unmatched excludes the discarded units, which have their own row, as in MatchIt. Floats (the ESS rows
        are not whole numbers); ``summary().counts`` gives the count rows as integers.
        """
        t, w, d = self.treat, self.weights, self.discarded_mask
        rows = {
            "All (ESS)": (ess(np.ones(int((~t).sum()))), ess(np.ones(int(t.sum())))),
            "All": ((~t).sum(), t.sum()),
            "Matched (ESS)": (ess(w[~t]), ess(w[t])),
            "Matched": (((~t) & (w > 0)).sum(), (t & (w > 0)).sum()),
            "Unmatched": (((~t) & (w == 0) & ~d).sum(), (t & (w == 0) & ~d).sum()),
            "Discarded": (((~t) & d).sum(), (t & d).sum()),
        }
        return pd.DataFrame(rows, index=["Control", "Treated"]).T.astype(float)

    def balance_table(self, *, binary: str = "std", threshold: float = SMD_THRESHOLD,
                      v_threshold: float = VR_THRESHOLD, ks_threshold: float = KS_THRESHOLD) -> BalanceTable:
        """Balance of the covariates, exact, mahvars, caliper and antiexact variables before and after matching
        (MatchIt's summary(); the SMD uses the focal group's SD), flagged with cobalt-style thresholds.

        Computed once per set of arguments: later calls return the same table (``to_frame()`` gives a copy
        to change)."""
        key = (binary, threshold, v_threshold, ks_threshold)
        try:
            cached, keep = self._balance_cache.get(key), True
        except TypeError:  # an unhashable argument: balance_table says what is wrong with it
            cached, keep = None, False
        if cached is None:
            c = self.config
            cols = list(dict.fromkeys([*c.covariates, *c.exact, *c.mahvars, *c.caliper_variables, *c.antiexact]))
            cached = balance_table(self.source, self.treat, self.weights, cols, distance=self.distance,
                                   binary=binary, threshold=threshold, v_threshold=v_threshold,
                                   ks_threshold=ks_threshold, estimand=c.estimand)
            if keep:
                self._balance_cache[key] = cached
        return cached

    @property
    def balance(self) -> BalanceTable:
        """Balance table with MatchIt's conventions and the thresholds of virkning.defaults."""
        return self.balance_table()

    def summary(self, *, binary: str = "std", threshold: float = SMD_THRESHOLD, v_threshold: float = VR_THRESHOLD,
                ks_threshold: float = KS_THRESHOLD) -> MatchSummary:
        return MatchSummary(sample_sizes=self.sample_sizes(), balance=self.balance_table(
            binary=binary, threshold=threshold, v_threshold=v_threshold, ks_threshold=ks_threshold), info=self.info)

    # ------------------------------------------------------------------ effects
    def analysis_sample(self) -> AnalysisSample:
        """Rows, weights and clusters of the outcome regression (see ``virkning.estimate.effects``).

        Clusters: the matched sets (and the ``cluster`` column as a second dimension); with replacement, set and
        unit (or the ``cluster`` column). The bootstrap resamples groups of sets linked by a shared person or
        unit (``virkning.estimate.resampling``).
        """
        cl = self.config.cluster
        person_all = None if cl is None else _codes_of(self.source[cl])
        if not self.config.replace:
            rows = np.flatnonzero(self.weights > 0)
            sub = self.subclass[rows]
            clusters: list[np.ndarray] = [sub]
            names = ["subclass"]
            persons = rows if person_all is None else person_all[rows]
            if cl is not None:
                clusters.append(persons)
                names.append(cl)
            return AnalysisSample(rows=rows, treat=self.treat[rows], weights=self.weights[rows],
                                  clusters=tuple(clusters), cluster_names=tuple(names),
                                  boot_cluster=set_components(sub, persons) if cl is not None else sub,
                                  sets=sub, persons=persons, estimand=self.estimand)
        set_ids, positions, is_t, w = self._long()
        second = positions if person_all is None else person_all[positions]
        return AnalysisSample(rows=positions, treat=is_t, weights=w, clusters=(set_ids, second),
                              cluster_names=("subclass", "id" if cl is None else cl),
                              boot_cluster=set_components(set_ids, second), sets=set_ids, persons=second,
                              estimand=self.estimand)

    def effects(self, outcomes: Sequence[str] | str, *, se: str = "cluster", n_boot: int = 999,
                seed: int | None = None, level: float = 0.95, draws=None) -> pd.DataFrame:
        """The effect (ATT or ATC) for each outcome: columns outcome, att, se, ci_low, ci_high, treated_mean,
        control_mean, n_treated, n_control (rows), n_control_persons (plus se_type, n_clusters, n_boot,
        estimand)."""
        out = estimate_effects(self.source, self.analysis_sample(), outcomes, se=se, n_boot=n_boot, seed=seed,
                               level=level, draws=draws)
        return out.assign(estimand=self.estimand)

    def effect(self, outcome: str, *, se: str = "cluster", n_boot: int = 999, seed: int | None = None,
               level: float = 0.95, draws=None) -> EffectEstimate:
        """The effect (ATT or ATC) for one outcome with SE and confidence interval."""
        row = self.effects([outcome], se=se, n_boot=n_boot, seed=seed, level=level, draws=draws).iloc[0]
        sample = self.analysis_sample()
        names = {"bootstrap": ("groups of sets sharing a person",), "rematch": (), "satt": ("persons",)}.get(
            str(row["se_type"]), sample.cluster_names)
        if row["se_type"] == "bootstrap" and self.config.cluster is None and not self.config.replace:
            names = ("subclass",)
        return EffectEstimate(outcome=outcome, att=float(row["att"]), se=float(row["se"]),
                              ci_low=float(row["ci_low"]), ci_high=float(row["ci_high"]),
                              treated_mean=float(row["treated_mean"]), control_mean=float(row["control_mean"]),
                              n_treated=int(row["n_treated"]), n_control=int(row["n_control"]),
                              se_type=str(row["se_type"]), clusters=tuple(names),
                              n_clusters=tuple(int(x) for x in str(row["n_clusters"]).split("/") if x),
                              level=level, n_boot=None if row["n_boot"] is None or pd.isna(row["n_boot"])
                              else int(row["n_boot"]), n_control_persons=int(row["n_control_persons"]),
                              estimand=self.estimand)

    def to_dict(self) -> dict[str, object]:
        sizes = _sizes_dict(self.sample_sizes())
        return {"config": self.config.to_dict(), "info": self.info.to_dict(),
                "propensity": None if self.propensity is None else self.propensity.to_dict(),
                "sample_sizes": sizes, "unmatched": self.unmatched_counts().to_dict()}


def _codes_of(series: pd.Series) -> np.ndarray:
    codes, _ = pd.factorize(series, use_na_sentinel=False)
    return codes.astype(np.int64)

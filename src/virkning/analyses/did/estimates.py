"""The difference-in-differences estimates of one outcome, from `virkning.estimate` (numbers only).

For an indicator, the rows are unit x period values as published (the cells the disclosure gate hides are missing:
the estimates are then functions of published numbers only and reveal nothing the indicator table does not). For
the person-level outcome, the rows are person-months rebuilt from the published counts of the employment rate
(numerator persons with 1, the rest with 0), which gives exactly the person-level estimators: their regressors vary
only by unit and period, so they depend on the rows only through these counts.

    2x2        pooled: all trial units against the union of the comparison sets, pre = before the first start (less
               the anticipation), post = from the last start (or the design's windows); per trial unit against its
               own set, pre = before its start, post = from its start (no bootstrap: one treated cluster)
    TWFE       unit and period effects, treated from start - anticipation, CR1 by unit, wild cluster bootstrap
    event      leads and lags around the start, reference = -1 - anticipation, binned ends, joint pre-trend test
    CS         Callaway and Sant'Anna ATT(g,t), never- or not-yet-treated comparison, with the four aggregations
               (indicators only: person-months are repeated cross-sections, not a panel of persons)

An estimator that cannot run on the published cells (e.g. every post cell of a unit hidden) gives a row with no
estimate and a note; warnings (few treated clusters, units dropped from the balanced panel) become notes too.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from virkning.errors import DesignError, EstimationError
from virkning.estimate import FewClustersWarning, att_gt, did_2x2, event_study, twfe_did
from virkning.indicators import period_label

AGGREGATIONS = ("simple", "dynamic", "group", "calendar")


@dataclass
class Collected:
    """Rows of every estimate table, appended outcome by outcome, and the notes."""

    did: list = field(default_factory=list)
    twfe: list = field(default_factory=list)
    event: list = field(default_factory=list)
    pretrend: list = field(default_factory=list)
    group_time: list = field(default_factory=list)
    aggregates: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def frames(self) -> dict[str, pd.DataFrame]:
        cols = {"did": DID_COLUMNS, "twfe": TWFE_COLUMNS, "event": EVENT_COLUMNS, "pretrend": PRETREND_COLUMNS,
                "group_time": GT_COLUMNS, "aggregates": AGG_COLUMNS}
        return {k: pd.DataFrame(getattr(self, k), columns=c) for k, c in cols.items()}


DID_COLUMNS = ["outcome", "level", "comparison", "pre", "post", "estimate", "se", "ci_low", "ci_high", "p_value",
               "boot_p_value", "boot_ci_low", "boot_ci_high", "treated_pre", "treated_post", "comparison_pre",
               "comparison_post", "trial_units", "comparison_units", "observations", "note"]
TWFE_COLUMNS = ["outcome", "level", "estimate", "se", "ci_low", "ci_high", "p_value", "boot_p_value", "boot_ci_low",
                "boot_ci_high", "units", "trial_units", "observations", "note"]
EVENT_COLUMNS = ["outcome", "level", "event_time", "estimate", "se", "ci_low", "ci_high", "p_value", "reference",
                 "binned", "units"]
PRETREND_COLUMNS = ["outcome", "level", "test", "statistic", "df", "df_denom", "p_value", "note"]
GT_COLUMNS = ["outcome", "group", "period", "event_time", "att", "se", "ci_low", "ci_high", "se_boot", "band_low",
              "band_high", "trial_units", "comparison_units"]
AGG_COLUMNS = ["outcome", "kind", "key", "event_time", "estimate", "se", "ci_low", "ci_high", "se_boot", "band_low",
               "band_high"]


def _f(x) -> float:
    return float(x) if x is not None and np.isfinite(x) else np.nan


class Runner:
    """Estimates for one design over the periods lo..hi (ordinals)."""

    def __init__(self, design, lo: int, hi: int, names: dict[str, str]):
        self.d, self.lo, self.hi, self.names = design, lo, hi, names
        self.starts = {u: design.start_period(u) for u in design.trial_units}
        self.out = Collected()

    def label(self, p: int) -> str:
        return period_label(p, self.d.period)

    def _call(self, outcome: str, what: str, fn, *args, _ignore: tuple = (), **kwargs):
        """Run an estimator; warnings (other than those in `_ignore`) and failures become notes."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = fn(*args, **kwargs)
            except (DesignError, EstimationError) as e:
                self.out.notes.append(f"{outcome}, {what}: not estimated: {e}")
                return None, str(e)
        for w in caught:
            if isinstance(w.message, _ignore):
                continue
            note = f"{outcome}, {what}: {w.message}"
            if note not in self.out.notes:
                self.out.notes.append(note)
        return result, ""

    # ---- windows ------------------------------------------------------------------------------------------------
    def pooled_windows(self) -> tuple[tuple[int, int], tuple[int, int]]:
        from virkning.indicators import period_of_month
        from virkning.registers import calendar

        a = self.d.anticipation
        p = (lambda day: period_of_month(calendar.date_month(day), self.d.period))  # noqa: E731
        pre = (p(self.d.pre[0]), p(self.d.pre[1])) if self.d.pre else (self.lo, min(self.starts.values()) - 1 - a)
        post = (p(self.d.post[0]), p(self.d.post[1])) if self.d.post else (max(self.starts.values()), self.hi)
        return pre, post

    def _present(self, name: str, df: pd.DataFrame, pre, post, what: str, trial: list[str]):
        """The trial units and comparison sets with shown cells in both windows (an unbalanced panel: units
        without any are left out of this 2x2, with a note); trial units left without comparison units go too."""
        u, p = df["unit"].to_numpy(), df["p"].to_numpy()

        def has(window):
            return set(u[(p >= window[0]) & (p <= window[1])])
        ok = has(pre) & has(post)
        comp = {t: [u for u in self.d.comparison[t] if u in ok] for t in trial}
        keep = [t for t in trial if t in ok and comp[t]]
        gone = [u for u in dict.fromkeys([*trial, *(u for t in trial for u in self.d.comparison[t])]) if u not in ok]
        if gone:
            self.out.notes.append(f"{name}, {what}: left out (no shown cell in the pre or post window): "
                                  f"{', '.join(self.names.get(u, u) for u in gone)}")
        return keep, {t: comp[t] for t in keep}

    # ---- one outcome ----------------------------------------------------------------------------------------------
    def outcome(self, name: str, df: pd.DataFrame, level: str, seed: int) -> None:
        """All estimates of one outcome; `df` has unit, p, y (rows: unit-periods or person-months)."""
        d, a = self.d, self.d.anticipation
        obs = "unit-period" if level == "unit-period" else "rows"
        boot = dict(n_boot=d.n_boot, boot_weights=d.boot_weights)
        lo, hi = (int(df["p"].min()), int(df["p"].max())) if len(df) else (self.lo, self.hi)
        pre, post = self.pooled_windows()
        pre, post = (max(pre[0], lo), pre[1]), (post[0], min(post[1], hi))
        trial, comp = self._present(name, df, pre, post, "2x2 pooled", list(d.trial_units))
        r, err = (None, "no trial unit with shown cells in both windows") if not trial else self._call(
            name, "2x2 pooled", did_2x2, df, "y", unit="unit", period="p", treated=trial, comparison=comp,
            pre=pre, post=post, observations=obs, by_unit=False, seed=seed, **boot)
        self.out.did.append(self._did_row(name, level, "pooled", pre, post, r.pooled if r else None, err))
        # per trial unit, against its own set, pre = before its start, post = from its start: units that start
        # together share the windows, so one call per start gives their estimates (by_unit)
        by_unit = {}
        for s in sorted(set(self.starts.values())):
            cohort = [u for u in d.trial_units if self.starts[u] == s]
            upre, upost = (lo, s - 1 - a), (s, hi)
            cohort, comp = self._present(name, df, upre, upost, f"2x2 from {self.label(s)}", cohort)
            # one treated cluster per estimate: the report says it once, not as a note per unit
            r, err = (None, "no shown cells in a window") if not cohort else self._call(
                name, f"2x2 from {self.label(s)}", did_2x2, df, "y", unit="unit", period="p", treated=cohort,
                comparison=comp, pre=upre, post=upost, observations=obs, by_unit=True, n_boot=0,
                _ignore=(FewClustersWarning,))
            cohort = [u for u in d.trial_units if self.starts[u] == s]
            for u in cohort:
                est = next((e for e in r.by_unit if e.label == str(u)), None) if r else None
                by_unit[u] = self._did_row(name, level, u, upre, upost, est, err)
        self.out.did += [by_unit[u] for u in d.trial_units]
        present = set(df["unit"])
        starts = {u: s for u, s in self.starts.items() if u in present}
        starts_a = {u: s - a for u, s in starts.items()}
        t, err = self._call(name, "TWFE", twfe_did, df, "y", unit="unit", period="p", start=starts_a, seed=seed + 1,
                            **boot)
        self.out.twfe.append(self._twfe_row(name, level, t, err))
        e, err = self._call(name, "event study", event_study, df, "y", unit="unit", period="p", start=starts,
                            window=d.event_window, reference=-1 - a)
        if e is not None:
            for row in e.table.to_dict("records"):
                self.out.event.append({"outcome": name, "level": level, "event_time": int(row["event_time"]),
                                       "estimate": row["estimate"], "se": row["se"], "ci_low": row["ci_low"],
                                       "ci_high": row["ci_high"], "p_value": row["p_value"],
                                       "reference": bool(row["reference"]), "binned": bool(row["binned"]),
                                       "units": int(row["n_units"])})
            pt = e.pretrend
            self.out.pretrend.append({"outcome": name, "level": level, "test": "event_study", "statistic": _f(pt["F"]),
                                      "df": int(pt["df"]), "df_denom": _f(pt["df_denom"]), "p_value": _f(pt["p_F"]),
                                      "note": ""})
        if level == "unit-period":
            self._staggered(name, df, seed, starts)

    def _staggered(self, name: str, df: pd.DataFrame, seed: int, starts: dict) -> None:
        d = self.d
        control = "never" if d.control == "never" else "not-yet"
        g, err = self._call(name, "Callaway-Sant'Anna", att_gt, df, "y", unit="unit", period="p", start=starts,
                            control=control, anticipation=d.anticipation, n_boot=d.n_boot if d.n_boot else 0,
                            seed=seed + 2)
        if g is None:
            return
        t = g.table
        for row in t.to_dict("records"):
            self.out.group_time.append({
                "outcome": name, "group": self.label(row["group"]), "period": self.label(row["period"]),
                "event_time": int(row["event_time"]), "att": row["att"], "se": row["se"], "ci_low": row["ci_low"],
                "ci_high": row["ci_high"], "se_boot": row.get("se_boot", np.nan),
                "band_low": row.get("band_low", np.nan), "band_high": row.get("band_high", np.nan),
                "trial_units": int(row["n_treated"]), "comparison_units": int(row["n_comparison"])})
        pt = g.pretest
        self.out.pretrend.append({"outcome": name, "level": "unit-period", "test": "callaway_santanna",
                                  "statistic": _f(pt["chi2"]), "df": int(pt["df"]), "df_denom": np.nan,
                                  "p_value": _f(pt["p_value"]), "note": pt.get("note", "")})
        for kind in AGGREGATIONS:
            agg, _ = self._call(name, f"aggregation {kind}", g.aggregate, kind)
            if agg is None:
                continue
            lo, hi = agg.overall_ci
            self.out.aggregates.append({"outcome": name, "kind": kind, "key": "overall", "event_time": np.nan,
                                        "estimate": agg.overall, "se": agg.overall_se, "ci_low": lo, "ci_high": hi,
                                        "se_boot": agg.overall_se_boot, "band_low": np.nan, "band_high": np.nan})
            if kind == "simple":
                continue
            key = agg.table.columns[0]
            for row in agg.table.to_dict("records"):
                k = row[key]
                self.out.aggregates.append({
                    "outcome": name, "kind": kind,
                    "key": str(int(k)) if key == "event_time" else self.label(int(k)),
                    "event_time": int(k) if key == "event_time" else np.nan, "estimate": row["estimate"],
                    "se": row["se"], "ci_low": row["ci_low"], "ci_high": row["ci_high"],
                    "se_boot": row.get("se_boot", np.nan), "band_low": row.get("band_low", np.nan),
                    "band_high": row.get("band_high", np.nan)})

    # ---- rows -----------------------------------------------------------------------------------------------------
    def _did_row(self, name, level, comparison, pre, post, est, err) -> dict:
        row = {"outcome": name, "level": level, "comparison": comparison,
               "pre": f"{self.label(pre[0])}-{self.label(pre[1])}", "post": f"{self.label(post[0])}-{self.label(post[1])}",
               "note": err}
        if est is None:
            return row
        # the fields of est.to_frame(), read directly (a frame per row cost more than the 2x2 itself)
        b = est.bootstrap
        means = {(g, w): m for g, w, m in zip(est.cells["group"], est.cells["window"], est.cells["mean"])}
        row.update({"estimate": est.estimate, "se": est.se, "ci_low": est.ci_low, "ci_high": est.ci_high,
                    "p_value": est.p_value, "boot_p_value": b.p_value if b else np.nan,
                    "boot_ci_low": b.ci_low if b else np.nan, "boot_ci_high": b.ci_high if b else np.nan,
                    **{f"{g}_{w}": means.get((g, w)) for g in ("treated", "comparison") for w in ("pre", "post")},
                    "trial_units": int(est.n_treated_units), "comparison_units": int(est.n_comparison_units),
                    "observations": int(est.n_obs)})
        return row

    def _twfe_row(self, name, level, t, err) -> dict:
        row = {"outcome": name, "level": level, "note": err}
        if t is None:
            return row
        f = t.to_frame().iloc[0]
        row.update({k: f[k] for k in ("estimate", "se", "ci_low", "ci_high", "p_value", "boot_p_value", "boot_ci_low",
                                      "boot_ci_high")})
        row.update({"units": int(f["n_units"]), "trial_units": int(f["n_treated_units"]),
                    "observations": int(f["n_obs"])})
        return row


def person_rows(protected: pd.DataFrame, outcome_indicator: str = "beskaeftigelsesgrad") -> pd.DataFrame:
    """Person-month rows (unit, p, y) rebuilt from the published counts of a share: for each unit-period whose
    numerator and denominator are both shown, numerator rows with y = 1 and the rest with y = 0."""
    f = protected[(protected["indicator"] == outcome_indicator) & protected["numerator"].notna()
                  & protected["denominator"].notna() & (protected["denominator"] > 0)]
    num = f["numerator"].to_numpy(dtype=np.int64)
    den = f["denominator"].to_numpy(dtype=np.int64)
    reps = np.repeat(np.arange(len(f)), den)
    within = np.arange(reps.size) - np.repeat(np.cumsum(den) - den, den)
    return pd.DataFrame({"unit": f["unit"].to_numpy()[reps], "p": f["p"].to_numpy()[reps],
                         "y": (within < np.repeat(num, den)).astype(float)})

"""The effect evaluation as one visible pipeline (seed 000, Bilag 3, is the model).

    populations (participants, risk-set pool, exclusions)  ->  covariates and outcomes from the panel
    ->  propensity matching within index weeks (+ exact cells)  ->  balance  ->  effects by month
    ->  subgroups with heterogeneity tests  ->  one frozen result with the flow table

Matching is exact on the index week (risk-set alignment): a participant's controls are pool members measured from
the same week. A pool person can be a candidate in several weeks; standard errors cluster on matched sets and on
the person, so a person used in two weeks is not counted as independent evidence twice.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Literal

import numpy as np
import pandas as pd

from virkning import outcomes as oc
from virkning.defaults import N_BOOT, SEED
from virkning.errors import DesignError
from virkning.analyses.effect import checks, extras
from virkning.analyses.effect.counts import curve_counts
from virkning.estimate import match, rematch_bootstrap
from virkning.estimate.curves import CURVE_COLUMNS, km_curve, monthly_effects
from virkning.estimate.subgroups import bands, subgroup_effects
from virkning.outcomes import Outcome
from virkning.populations import Exclusion, ParticipantRule, PoolRule, Populations, build_populations, count_keys
from virkning.registers import calendar

if TYPE_CHECKING:
    from virkning.estimate.result import MatchResult
    from virkning.panel import Panel
    from virkning.registers import Registers

MISSING_LEVEL = "(mangler)"
# The effects table: the curves' columns (n_control counts control rows, i.e. person-weeks; n_control_persons the
# distinct persons among them) and the relative effect next to every risk difference.
EFFECT_COLUMNS = [*CURVE_COLUMNS, *extras.RELATIVE_COLUMNS]


@dataclass(frozen=True)
class Subgroup:
    """Effects by the levels of a covariate; numeric covariates need `edges` (bands [e0, e1), [e1, e2), ...)."""

    name: str
    covariate: str
    edges: tuple[float, ...] | None = None


@dataclass(frozen=True)
class EffectDesign:
    participants: ParticipantRule
    pool: PoolRule
    covariates: tuple[str, ...]
    outcomes: tuple[Outcome, ...]
    exact: tuple[str, ...] = ()
    exclusions: tuple[Exclusion, ...] = ()
    ratio: int = 1
    replace: bool = False
    # the distance's caliper, or (name, width) pairs in the way of MatchIt's named caliper vector ("distance" for
    # the propensity distance, covariate names for covariate calipers)
    caliper: float | tuple[tuple[str, float], ...] | None = None
    std_caliper: bool = True
    antiexact: tuple[str, ...] = ()
    distance: str = "logit"
    discard: Literal["none", "both", "treated", "control"] = "none"
    censoring: Literal["km", "full_followup"] = "km"
    se: Literal["cluster", "bootstrap", "rematch"] = "cluster"
    adjust: Literal["none", "regression"] = "none"
    sensitivity: bool = True
    n_boot: int = N_BOOT
    subgroups: tuple[Subgroup, ...] = ()
    seed: int = SEED
    end_month: str | None = None

    def __post_init__(self):
        if isinstance(self.caliper, Mapping):  # the API's dict form, kept as hashable pairs
            object.__setattr__(self, "caliper", tuple((str(k), float(v)) for k, v in self.caliper.items()))
        if self.censoring not in ("km", "full_followup"):
            raise DesignError(f"censoring expected one of km, full_followup; got '{self.censoring}'")
        if not self.outcomes:
            raise DesignError("a design needs at least one outcome")
        for name, value, allowed in (("discard", self.discard, ("none", "both", "treated", "control")),
                                     ("se", self.se, ("cluster", "bootstrap", "rematch")),
                                     ("adjust", self.adjust, ("none", "regression"))):
            if value not in allowed:
                raise DesignError(f"{name} expected one of {', '.join(allowed)}; got '{value}'")

    @property
    def horizon(self) -> int:
        return max(o.horizon for o in self.outcomes)

    @property
    def caliper_covariates(self) -> tuple[str, ...]:
        """The covariates with a caliper of their own (read beside the matching covariates)."""
        if isinstance(self.caliper, tuple):
            return tuple(name for name, _ in self.caliper if name != "distance")
        return ()


@dataclass(frozen=True)
class EffectEvaluation:
    """Everything the evaluation produced; tables are plain data frames for the report and the CLI."""

    design: EffectDesign
    populations: Populations
    matching: MatchResult
    data: pd.DataFrame = field(repr=False)  # one row per pair: treat, covariates; outcomes for matched rows only
    effects: pd.DataFrame = field(repr=False)  # CURVE_COLUMNS
    subgroups: pd.DataFrame = field(repr=False)
    heterogeneity: pd.DataFrame = field(repr=False)
    counts: pd.DataFrame = field(repr=False)  # persons at risk, exits and censorings by outcome, month and group
    timings: dict = field(default_factory=dict)
    adjusted: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)  # extras.ADJUSTED_COLUMNS
    sensitivity: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)  # extras.SENSITIVITY_COLUMNS
    gamma: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)  # p-value bounds over Gamma
    ps_bins: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)  # internal: persons per score bin

    @property
    def flow(self) -> pd.DataFrame:
        return self.populations.flow

    @property
    def balance(self):
        return self.matching.balance

    def effect_at(self, outcome: str, month: int) -> pd.Series:
        e = self.effects
        return e[(e["outcome"] == outcome) & (e["month"] == month)].iloc[0]

    def headline(self) -> pd.DataFrame:
        """Each outcome's effect at its horizon: group sizes as integers, means, effect, SE and interval."""
        rows = []
        for o in self.design.outcomes:
            e = self.effects[(self.effects["outcome"] == o.name) & (self.effects["month"] <= o.horizon)]
            if len(e):
                rows.append(e.sort_values("month").iloc[-1])
        cols = ["outcome", "month", "n_treated", "n_control", "treated_mean", "control_mean", "att", "se", "ci_low",
                "ci_high"]
        out = pd.DataFrame(rows, columns=self.effects.columns)[[c for c in cols if c in self.effects.columns]]
        for c in ("month", "n_treated", "n_control"):
            if c in out:
                out[c] = out[c].astype("Int64")
        return out.reset_index(drop=True)

    def _lines(self) -> list[str]:
        info = self.matching.info
        return [f"Effect evaluation: {int(info.n_treated_matched):,} of {int(info.n_treated):,} participants matched "
                f"with {int(info.n_control_matched):,} control rows; {len(self.design.outcomes)} outcome(s), "
                f"{len(self.flow)} flow steps; balance: {self.balance.n_imbalanced} term(s) with |SMD| above "
                f"{self.balance.threshold:g}"]

    def __repr__(self) -> str:  # for the console and notebooks; the tables are in the fields
        return "\n".join(self._lines() + ["", self.headline().to_string(index=False, float_format=lambda v: f"{v:.4f}")])

    def _repr_html_(self) -> str:
        from html import escape

        return (f"<p>{escape(self._lines()[0])}</p><h4>Effects at the horizon</h4>"
                + self.headline().to_html(index=False, float_format=lambda v: f"{v:.4f}", na_rep="")
                + "<h4>Flow</h4>" + self.flow.to_html(index=False, na_rep=""))


def _keep(data: pd.DataFrame, keep: pd.Series, pops: Populations, step: str,
          pk: np.ndarray) -> tuple[pd.DataFrame, Populations]:
    """Keep the rows in `keep` and count what is left in a new flow step; `pk`: the rows' person keys (a pool's
    persons are counted by key, not by a million ids' strings)."""
    data = data[keep].reset_index(drop=True)
    is_t = (data["treat"] == 1).to_numpy()
    pool_pk = pk[keep.to_numpy()][~is_t]
    return data, pops.with_step(step, int(is_t.sum()), count_keys(pool_pk), len(pool_pk))


def _exact_cells(panel, pairs: pd.DataFrame, keys: pd.DataFrame, pops: Populations, exact) -> tuple:
    """Pairs with their exact variables, less the candidates in exact cells (index week x exact variables) without
    participants: those can never be matched, and left in they would distort the propensity model (a region
    without participants separates perfectly). They are counted in the flow. Reading the exact variables first
    means the other covariates are computed only for candidates that can be matched."""
    base = ["person_id", "index_week", "index_month", "treat", "unit"]
    data = pairs[["treat", "unit"]].reset_index(drop=True)
    exact = list(exact)
    # a person's text (sex, region, a-kasse ...) groups the pairs as codes, and the index week as its ordinal;
    # the strings (ids, labels, values) are made for the kept pairs only (a tenth of a pool's pairs in the
    # Seniorvikar design: the strings of them all were a sixth of its evaluation)
    coded = panel.text_codes(keys["_pk"].to_numpy(), exact) if exact else {}
    rest = [c for c in exact if c not in coded]
    if rest:
        data = pd.concat([data, panel.covariates(keys, rest).drop(columns=["person_id", "index_week"])], axis=1)
    cell = _cells(data.assign(index_week=keys["index_week"].to_numpy()), ["index_week", *exact], text=exact,
                  coded=coded)
    useful = np.isin(cell, cell[(data["treat"] == 1).to_numpy()])
    if not useful.all():
        data, pops = _keep(data, pd.Series(useful), pops, "pool: in an exact cell (index week, "
                           + ", ".join(exact or ["-"]) + ") with participants", keys["_pk"].to_numpy())
        keys = keys[useful].reset_index(drop=True)
    data.insert(0, "person_id", keys["person_id"].array)
    data.insert(1, "index_week", pairs["index_week"].iloc[np.flatnonzero(useful)].array)
    # the month labels too (the pairs come without them: Populations.pairs(month_labels=False))
    data.insert(2, "index_month", calendar.month_label_column(keys["index_month"].to_numpy()))
    if coded:
        data = pd.concat([data, panel.covariates(keys, list(coded))[list(coded)]], axis=1)[[*base, *exact]]
    # the kept rows' text as objects
    return _categorical(data, exact), keys, pops


def _cells(data: pd.DataFrame, columns: list[str], text, coded: dict | None = None) -> np.ndarray:
    """A number per row for its combination of values in `columns` (the exact cells): the columns of `text` with a
    missing text as the level `_categorical` gives it, any other missing value a value of its own. Each column is
    factorized as it is (Arrow text by Arrow) and the codes combined, instead of a groupby over Python strings.
    `coded`: columns given as (codes, levels) instead (Panel.text_codes; code -1 missing), not in `data`."""
    cell = np.zeros(len(data), dtype=np.int64)
    for c in columns:
        if coded and c in coded:
            at, levels = coded[c]
            at = np.asarray(at, dtype=np.int64)
            if MISSING_LEVEL in levels:  # a missing value is that level (`_categorical`)
                at = np.where(at < 0, levels.index(MISSING_LEVEL), at)
            codes, n = at + 1, len(levels) + 1
        else:
            col = data[c]
            if c in text and _is_text(col):
                col = col.fillna(MISSING_LEVEL) if isinstance(col.dtype, pd.StringDtype) else \
                    col.where(col.notna(), MISSING_LEVEL)
            codes, levels = pd.factorize(col, use_na_sentinel=False)
            n = max(len(levels), 1)
        cell = pd.factorize(cell * n + codes)[0]  # renumbered: never more codes than rows
    return cell


def _is_text(col: pd.Series) -> bool:
    return col.dtype == object or isinstance(col.dtype, pd.StringDtype) or str(col.dtype) == "str"


def _categorical(X: pd.DataFrame, names) -> pd.DataFrame:
    """Text covariates as object columns with missing values as their own level (a person without a known
    education is compared as such, not dropped)."""
    for c in names:
        if _is_text(X[c]):
            X[c] = X[c].astype(object).where(X[c].notna(), MISSING_LEVEL)
    return X


@dataclass
class RunCache:
    """What runs on the same registers share (robustness variants are such runs): one panel per end of data (it
    keeps the pairs' register rows), populations per population rules, and per populations and exact variables the
    candidates in exact cells with the covariate columns already read. Covariates are also memoised per pair by the
    panel store."""

    panels: dict[str | None, "Panel"] = field(default_factory=dict)
    populations: dict[tuple, Populations] = field(default_factory=dict)
    cells: dict[tuple, tuple] = field(default_factory=dict)


def _spread(Y: pd.DataFrame, rows: np.ndarray, n: int) -> pd.DataFrame:
    """Outcome columns read for rows `rows` (in order) as columns of all n rows of the sample, missing elsewhere.

    A risk set holds a hundred times more candidates than matches: dense, the 20-odd outcome columns of 3.8 million
    candidates (5,000,000 persons) would hold 0.7 GB of missing values. Numbers are kept as sparse columns (only
    the read rows' values are stored; every reader gets the same dense values), text as categories (a byte a
    row); a nullable integer column (first exit) stays as it is."""
    out: dict[str, object] = {}
    for c in Y.columns:
        col = Y[c]
        if col.dtype.kind in "fiu" and not isinstance(col.dtype, pd.api.extensions.ExtensionDtype):
            dense = np.full(n, np.nan)
            dense[rows] = col.to_numpy(dtype=float)
            out[c] = pd.arrays.SparseArray(dense, fill_value=np.nan, kind="integer")
        elif col.dtype == object or isinstance(col.dtype, pd.StringDtype):
            codes = pd.Categorical(col)
            full = np.full(n, -1, dtype=codes.codes.dtype)
            full[rows] = codes.codes
            out[c] = pd.Categorical.from_codes(full, dtype=codes.dtype)
        else:
            out[c] = col.set_axis(rows).reindex(range(n)).array
    return pd.DataFrame(out, index=pd.RangeIndex(n))


def _covariate_names(design: EffectDesign) -> list[str]:
    """Every covariate the design reads for its pairs (matching, exact cells, subgroups, calipers)."""
    sub_covs = [s.covariate for s in design.subgroups]
    return list(dict.fromkeys([*design.covariates, *design.exact, *sub_covs, *design.antiexact,
                               *design.caliper_covariates]))


def _population_key(design: EffectDesign) -> tuple:
    return (design.participants, design.pool.key(), design.exclusions, design.horizon, design.censoring,
            design.end_month)


def evaluate(regs: "Registers", design: EffectDesign, *, progress: Callable[[str], None] | None = None,
             cache: RunCache | None = None) -> EffectEvaluation:
    """Run the effect evaluation of `design` on loaded registers; `cache` is shared by runs on the same registers
    (robustness variants) so that what they have in common is computed once."""
    cache = RunCache() if cache is None else cache
    say = progress or (lambda msg: None)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    if design.end_month not in cache.panels:
        cache.panels[design.end_month] = regs.panel(end_month=design.end_month)
    panel = cache.panels[design.end_month]
    end = panel.end_month()  # an end_month beyond the registers stops here, before any work
    checks.after_index(_covariate_names(design), design.pool.states, panel.person_columns)

    say("populations")
    pop_key = _population_key(design)
    if pop_key not in cache.populations:
        cache.populations[pop_key] = build_populations(
            regs, design.participants, design.pool, list(design.exclusions), panel=panel, horizon=design.horizon,
            full_followup=design.censoring == "full_followup", history=panel.history(_covariate_names(design)))
    pops = cache.populations[pop_key]
    timings["populations"] = time.perf_counter() - t0
    pairs = pops.pairs(month_labels=False)
    checks.someone_left(pairs, pops.flow, end)
    keys = pd.DataFrame({"person_id": pairs["person_id"], "_pk": pairs["pk"], "index_week": pairs["iwk"].astype(np.int64),
                         "index_month": pairs["imo"].astype(np.int64), "index_date": pairs["index_date"]})

    say("covariates")
    t = time.perf_counter()
    names = _covariate_names(design)
    # Runs with the same populations and exact variables (robustness variants changing covariates or options)
    # share the candidates in exact cells and every covariate column already read for them.
    cells_key = (pop_key, tuple(design.exact))
    if cells_key not in cache.cells:
        cache.cells[cells_key] = _exact_cells(panel, pairs, keys, pops, design.exact) + ({},)
    data, keys, pops, columns = cache.cells[cells_key]
    data = data.copy()
    rest = [n for n in names if n not in design.exact]
    missing = [n for n in rest if n not in columns]
    if missing:
        X = _categorical(panel.covariates(keys, missing), missing)
        columns.update({n: X[n] for n in missing})
    if rest:
        data = pd.concat([data, pd.DataFrame({n: columns[n] for n in rest})], axis=1)
    timings["covariates"] = time.perf_counter() - t

    # A level of a categorical covariate that no participant has (e.g. a small origin group in a subset of projects)
    # separates the propensity model perfectly, and its candidates lie outside the common support anyway: they are
    # dropped and counted, level by level.
    is_t = data["treat"] == 1
    for c in design.covariates:
        if data[c].dtype == object:
            empty = sorted(set(data.loc[~is_t, c]) - set(data.loc[is_t, c]), key=str)
            if empty:
                kept = ~data[c].isin(empty)
                data, pops = _keep(data, kept, pops,
                                   f"pool: {c} level(s) without participants dropped ({', '.join(map(str, empty))})",
                                   keys["_pk"].to_numpy())
                keys = keys[kept.to_numpy()].reset_index(drop=True)
                is_t = data["treat"] == 1

    checks.subgroup_edges(design.subgroups, data)  # before the matching: a design error should not wait for it
    say("matching")
    t = time.perf_counter()
    m = match(data, treatment="treat", covariates=list(design.covariates), exact=["index_week", *design.exact],
              ratio=design.ratio, replace=design.replace,
              caliper=dict(design.caliper) if isinstance(design.caliper, tuple) else design.caliper,
              std_caliper=design.std_caliper, antiexact=list(design.antiexact) or None, distance=design.distance,
              cluster="person_id", discard=design.discard)
    timings["matching"] = time.perf_counter() - t
    if design.discard != "none":  # outside the common support of the score: a flow row of its own
        kept = ~m.discarded_mask
        kept_c = data.loc[kept & (data["treat"].to_numpy() == 0)]
        pops = pops.with_step(f"common support of the propensity score (discard: {design.discard})",
                              int((kept & (data["treat"].to_numpy() == 1)).sum()),
                              int(kept_c["person_id"].nunique()), int(len(kept_c)))
    matched_t = int(m.info.n_treated_matched)
    matched_c = data.loc[(m.weights > 0) & (data["treat"].to_numpy() == 0)]
    pops = pops.with_step("matched", matched_t, int(matched_c["person_id"].nunique()), int(len(matched_c)))

    # Outcomes are read for the matched persons only: no estimate uses those of unmatched candidates, and a risk
    # set holds a hundred times more candidates than matches.
    draws = None
    if design.se == "rematch":  # replicates of the whole matching; outcomes are then read for their rows too
        say("re-matching bootstrap")
        t = time.perf_counter()
        draws = rematch_bootstrap(m, design.n_boot, seed=design.seed,
                                  progress=lambda done, n: say(f"re-matching bootstrap: {done} of {n} replicates"))
        timings["rematch"] = time.perf_counter() - t

    say("outcomes")
    t = time.perf_counter()
    used = np.flatnonzero(m.weights > 0)
    if draws is not None:
        used = np.union1d(used, draws.rows_needed)
    Y = panel.outcomes(keys.iloc[used].reset_index(drop=True), design.horizon, exits=oc.exit_states(design.outcomes))
    Y = oc.derive(design.outcomes, Y.drop(columns=["person_id", "index_week"]))  # on the read rows only
    data = pd.concat([data, _spread(Y, used, len(data))], axis=1)
    m = dataclasses.replace(m, source=data)
    timings["outcomes"] = time.perf_counter() - t

    say("effects")
    t = time.perf_counter()
    sample = m.analysis_sample()
    curves = []
    for k, o in enumerate(design.outcomes, 1):
        if o.kind == "first_exit":
            state = o.state
            assert state is not None  # Outcome validates that a first_exit outcome's status is a state
            first = data[oc.first_column(state)].to_numpy(dtype=float, na_value=np.nan)

            def bootstrap_progress(done: int, n: int, k: int = k, o: Outcome = o) -> None:
                say(f"effects: bootstrap of outcome {k} of {len(design.outcomes)} ({o.name}): {done} of {n} replicates")

            curve = km_curve(sample, first, data["followup"].to_numpy(float), o.horizon, outcome=o.name,
                           n_boot=design.n_boot, seed=design.seed,
                           variance="rematch" if draws is not None else "bootstrap", draws=draws,
                           progress=bootstrap_progress)
        else:
            curve = monthly_effects(m, [o.column(mm) for mm in o.months], o.months, outcome=o.name,
                                  se=design.se, n_boot=design.n_boot, seed=design.seed, draws=draws)
        rel = extras.relative_columns(o, data, m, sample)
        curves.append(curve[CURVE_COLUMNS].merge(rel, on="month", how="left"))
    effects = pd.concat(curves, ignore_index=True)[EFFECT_COLUMNS]
    counts = curve_counts(design.outcomes, data, sample)
    timings["effects"] = time.perf_counter() - t

    t = time.perf_counter()
    adjusted = extras.adjusted(design, m) if design.adjust == "regression" else pd.DataFrame(
        columns=extras.ADJUSTED_COLUMNS)
    timings["adjusted"] = time.perf_counter() - t
    t = time.perf_counter()
    sens, gamma = (extras.sensitivity(design, m, effects) if design.sensitivity
                   else (pd.DataFrame(columns=extras.SENSITIVITY_COLUMNS), pd.DataFrame(columns=extras.GAMMA_COLUMNS)))
    timings["sensitivity"] = time.perf_counter() - t
    t = time.perf_counter()
    ps = extras.ps_bins(m)
    timings["score distribution"] = time.perf_counter() - t

    t = time.perf_counter()
    sub_rows, tests = [], []
    final = {o.column(o.horizon): o for o in design.outcomes}
    for sg in design.subgroups:
        values = data[sg.covariate]
        if sg.edges is not None:
            values = pd.Series(bands(values.astype(float), list(sg.edges)), index=data.index)
        e, h = subgroup_effects(m, sg.name, list(final), values=values, se="cluster")
        # rows name the outcome and its month, as the effects table does
        e = e.assign(subgroup=sg.name, month=[final[c].horizon for c in e["outcome"]],
                     outcome=[final[c].name for c in e["outcome"]])
        h = h.assign(subgroup=sg.name, outcome=[final[c].name for c in h["outcome"]])
        sub_rows.append(e)
        tests.append(h)
    subgroups = pd.concat(sub_rows, ignore_index=True) if sub_rows else pd.DataFrame()
    heterogeneity = pd.concat(tests, ignore_index=True) if tests else pd.DataFrame()
    timings["subgroups"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    return EffectEvaluation(design, pops, m, data, effects, subgroups, heterogeneity, counts, timings, adjusted,
                            sens, gamma, ps)


ROBUSTNESS_COLUMNS = ["variant", "outcome", "month", "att", "se", "ci_low", "ci_high", "treated_mean", "control_mean",
                      "n_treated", "n_control"]


@dataclass(frozen=True)
class Robustness:
    """Each outcome's effect at its horizon under the main design and each variant, and what each point rests on."""

    table: pd.DataFrame  # ROBUSTNESS_COLUMNS, the main design first
    counts: pd.DataFrame = field(repr=False)  # COUNT_COLUMNS plus `variant`, at each outcome's horizon


def robustness(regs: "Registers", design: EffectDesign, variants: dict[str, dict], *,
               main: EffectEvaluation | None = None, progress: Callable[[str], None] | None = None,
               cache: RunCache | None = None) -> tuple[EffectEvaluation, Robustness]:
    """The same evaluation under other choices: each variant names design fields to change (another population
    restriction, another specification). Returns the main evaluation and each outcome's effect at its horizon under
    every run, the main design first. Runs share populations, covariates and outcomes where their inputs agree."""
    fields = set(EffectDesign.__dataclass_fields__)
    unknown = {name: sorted(set(changes) - fields) for name, changes in variants.items()}
    for name, bad in unknown.items():
        if bad:
            raise DesignError(f"robustness variant '{name}': {', '.join(bad)} is not a design field; "
                              f"expected some of {', '.join(sorted(fields))}")
    own = cache is None  # a cache of this call alone: what no later run needs is let go (below)
    cache = RunCache() if cache is None else cache
    # a variant's table row needs its effects only: no adjusted effects or sensitivity numbers (time)
    designs = [design, *(dataclasses.replace(design, **{**changes, "adjust": "none", "sensitivity": False})
                         for changes in variants.values())]
    names = ["main", *variants]
    # The order of the runs: variants with populations of their own first (while nothing of the main design is
    # held), then the main design, then the variants sharing its populations; after each run what no later run
    # shares is let go. The table keeps the design file's order. A main evaluation given by the caller is held
    # throughout anyway: the variants sharing its populations then come first.
    keys = [_population_key(d) for d in designs]
    own_pops = [i for i in range(1, len(designs)) if keys[i] != keys[0]]
    shared = [i for i in range(1, len(designs)) if keys[i] == keys[0]]
    order = [0, *shared, *own_pops] if main is not None else [*own_pops, 0, *shared]
    rows: list[list[dict]] = [[] for _ in designs]  # per run, in the design file's order
    counts: list[list[pd.DataFrame]] = [[] for _ in designs]
    for done, i in enumerate(order):
        # each step of a variant names the variant: "variant 2 of 4: kun opskrevne: matching"
        say = None if progress is None else (
            lambda s, head=f"variant {i} of {len(variants)}: {names[i]}": progress(f"{head}: {s}"))
        if i == 0:
            if main is None:
                main = evaluate(regs, design, progress=progress, cache=cache)
            ev = main
        else:
            ev = evaluate(regs, designs[i], progress=say, cache=cache)
        for o in design.outcomes:
            e = ev.effects[(ev.effects["outcome"] == o.name) & (ev.effects["month"] == o.horizon)]
            if len(e):
                rows[i].append(e.iloc[0].to_dict() | {"variant": names[i]})
            c = ev.counts[(ev.counts["outcome"] == o.name) & (ev.counts["month"] <= o.horizon)]
            counts[i].append(c.assign(variant=names[i]))
        # A variant's evaluation and the populations and exact cells that no later run shares are let go before
        # the next run: otherwise they stay in memory beside it (with the Seniorvikar design's four variants, they
        # made the peak of the run; docs/performance.md).
        del ev
        if own:
            later = {keys[j] for j in order[done + 1:]}
            cache.populations = {k: v for k, v in cache.populations.items() if k in later}
            cache.cells = {k: v for k, v in cache.cells.items() if k[0] in later}
    table = pd.DataFrame([r for run in rows for r in run])[ROBUSTNESS_COLUMNS]
    assert main is not None  # evaluated in its turn
    return main, Robustness(table, pd.concat([c for run in counts for c in run], ignore_index=True))

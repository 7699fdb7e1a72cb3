"""What an effect evaluation publishes: its tables, what they reveal about counts of persons, and results.json.

`publish(result, threshold)` builds every published table from the frozen result, declares to the disclosure gate
which cells count persons and how they relate (`declare`), passes the tables through the gate, and returns one
`Output` whose bundle (results.json) is built from the protected tables only: the report renders this bundle and
computes nothing of its own, so the report and the files show the same numbers.

Declared relations (docs/disclosure.md): the flow's steps (each step = the next plus those it removed), units and
the participants, All = Matched + Unmatched + Discarded in the sample sizes, the levels of every categorical
covariate and the group they split, shares of a known group (balance, population comparison, status shares,
subgroup shares), curve points (published only when the exits and censorings since the last shown point are 0 or at
least the threshold), subgroups and their whole, and the same count in several tables (one key).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from virkning.analyses.base import Output
from virkning.analyses.effect import characteristics as chars
from virkning.analyses.effect import withhold
from virkning.analyses.effect.pipeline import EffectEvaluation, Robustness
from virkning.defaults import SMD_THRESHOLD
from virkning.disclosure import Model, Place, SeriesPoint, protect, small
from virkning.registers import calendar

if TYPE_CHECKING:
    from virkning.registers import Registers

BUNDLE_VERSION = 2
SIZE_ROWS = ("All (ESS)", "All", "Matched (ESS)", "Matched", "Unmatched", "Discarded")
GROUPS = (("treated", "Treated", "treated_mean", "at_risk_treated", "n_treated"),
          ("control", "Control", "control_mean", "at_risk_control", "n_control"))
ESTIMATES = ("att", "se", "ci_low", "ci_high")
RELATIVE = ("risk_ratio", "rr_ci_low", "rr_ci_high", "relative_change", "rc_ci_low", "rc_ci_high")
SENSITIVITY = ("p_value", "gamma_critical", "risk_ratio", "evalue", "evalue_ci", "exceeds_strongest",
               "delta_at_strongest")
DISCARD_STEP = "common support"  # the flow row of the units discarded outside the common support


@dataclass(frozen=True)
class EffectResult:
    """A finished effect evaluation: the main run, the robustness runs, the design and what the data held."""

    evaluation: EffectEvaluation
    robustness: Robustness | None
    design: dict = field(repr=False)  # the design as JSON-ready data, outcomes with their words
    data: dict = field(default_factory=dict, repr=False)  # what the registers held (no person data)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every published table before disclosure control (internal: not for publication)."""
        return tables(self)


# ---- tables -----------------------------------------------------------------------------------------------------

def tables(result: EffectResult) -> dict[str, pd.DataFrame]:
    ev = result.evaluation
    m = ev.matching
    bframe = m.balance.to_frame().reset_index(drop=True)
    comparison = bframe[bframe["term"] != "distance"][["term", "variable", "level", "type", "mean_treated_before",
                                                       "mean_control_before", "smd_before"]]
    comparison = comparison.rename(columns={"mean_treated_before": "mean_participants",
                                            "mean_control_before": "mean_eligible_pool", "smd_before": "smd"})
    sizes = m.sample_sizes()
    sizes = pd.DataFrame({"sample": list(sizes.index), "Control": sizes["Control"].to_numpy(),
                          "Treated": sizes["Treated"].to_numpy()})
    sizes = pd.concat([sizes, chars.persons_rows(m)], ignore_index=True)  # persons beside person-weeks
    participants = ev.populations.participants
    by_unit = (participants.groupby("unit").size().rename("participants").reset_index() if len(participants)
               else pd.DataFrame(columns=["unit", "participants"]))
    subgroups = ev.subgroups
    if len(subgroups):
        order = ["subgroup", "level", "outcome", "month", *[c for c in subgroups.columns
                                                             if c not in ("subgroup", "level", "outcome", "month")]]
        subgroups = subgroups[order]
    out = {
        "flow": ev.flow.reset_index(drop=True),
        "participants_by_unit": by_unit,
        "sample_sizes": sizes,
        "population_comparison": comparison.reset_index(drop=True),
        "characteristics": chars.characteristics(m, result.design),
        "balance": bframe,
        "effects": ev.effects.reset_index(drop=True),
        "subgroups": subgroups.reset_index(drop=True),
        "heterogeneity": ev.heterogeneity.reset_index(drop=True),
        "robustness": (result.robustness.table if result.robustness is not None else pd.DataFrame()).reset_index(drop=True),
        "adjusted": ev.adjusted.reset_index(drop=True),
        "sensitivity": ev.sensitivity.reset_index(drop=True),
        "sensitivity_gamma": ev.gamma.reset_index(drop=True),
        "propensity": m.propensity.summary().reset_index() if m.propensity is not None else pd.DataFrame(),
        "unknown_codes": pd.DataFrame(result.data.get("unknown_codes") or [], columns=["code", "weeks", "persons"]),
        "orphans": pd.DataFrame([{"table": k, **v} for k, v in (result.data.get("orphans") or {}).items()],
                                columns=["table", "persons", "rows"]),
    }
    return out


# ---- what the tables reveal ------------------------------------------------------------------------------------

def _num(v) -> float | None:
    if v is None or v is pd.NA:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def declare(result: EffectResult, t: dict[str, pd.DataFrame]) -> Model:
    m = Model()
    ev = result.evaluation
    size_key = _sizes(m, t["sample_sizes"])
    final_participants = _flow(m, t["flow"], size_key)
    _units(m, t["participants_by_unit"], final_participants)
    _covariates(m, t["population_comparison"], "population_comparison", size_key,
                {"mean_participants": ("Treated", "All"), "mean_eligible_pool": ("Control", "All")}, ["smd"])
    _covariates(m, t["balance"], "balance", size_key,
                {"mean_treated_before": ("Treated", "All"), "mean_control_before": ("Control", "All"),
                 "mean_treated_after": ("Treated", "Matched"), "mean_control_after": ("Control", "Matched")},
                ["smd_before", "var_ratio_before", "ecdf_mean_before", "ecdf_max_before", "smd_after",
                 "var_ratio_after", "ecdf_mean_after", "ecdf_max_after", "imbalanced"])
    outcomes = {o["name"]: o for o in result.design.get("outcomes") or []}
    n_keys = _effects(m, t["effects"], ev.counts, outcomes, size_key)
    _persons(m, t["effects"], t["flow"], outcomes)
    _extras(m, t)
    _subgroups(m, t["subgroups"], t["heterogeneity"], outcomes, n_keys)
    chars.declare(m, t["characteristics"], size_key, t["flow"], t["subgroups"], _covariates, DISCARD_STEP)
    if result.robustness is not None:
        _robustness(m, t["robustness"], result.robustness.counts, outcomes, n_keys, t["effects"])
    withhold.declare(m, t)  # the matched sample is the last thing to withhold
    for name in ("unknown_codes", "orphans"):
        frame = t[name]
        for i, r in enumerate(frame.to_dict("records")):
            for col in ("persons", "weeks", "rows"):
                if col in frame.columns and _num(r.get(col)) is not None:
                    m.count(Place(name, i, col), (name, i, col), r[col])
    return m


def _sizes(m: Model, frame: pd.DataFrame) -> dict[tuple[str, str], Any]:
    keys = {}
    rows = {r["sample"]: i for i, r in enumerate(frame.to_dict("records"))}
    for sample, i in rows.items():
        for col in ("Control", "Treated"):
            v = frame.at[i, col]
            if sample.endswith("(ESS)"):
                continue
            keys[(col, sample)] = m.count(Place("sample_sizes", i, col), ("sizes", col, sample), v)
    for sample, i in rows.items():  # an ESS equals the count when the weights are equal: hidden with it
        if sample.endswith("(ESS)"):
            base = sample.removesuffix(" (ESS)")
            for col in ("Control", "Treated"):
                if (col, base) in keys:
                    m.depends([Place("sample_sizes", i, col)], [keys[(col, base)]])
    for col in ("Control", "Treated"):
        parts = [keys[(col, s)] for s in ("Matched", "Unmatched", "Discarded") if (col, s) in keys]
        if (col, "All") in keys:
            m.total(keys[(col, "All")], parts)
    return keys


def _equal(m: Model, a, b) -> None:
    """Two declared cells that count the same persons."""
    if a in m.cells and b in m.cells and a != b and abs(m.cells[a] - m.cells[b]) < 1e-9:
        m.total(a, [b])


def _flow(m: Model, flow: pd.DataFrame, size_key: dict) -> Any:
    final = None
    for col in ("participants", "pool_persons", "pool_pairs"):
        prev = None
        for i, r in enumerate(flow.to_dict("records")):
            v = _num(r.get(col))
            if v is None:
                continue
            key = m.count(Place("flow", i, col), ("flow", col, i), v)
            if prev is not None:
                m.difference(prev, key, ("flow", col, "removed", i))
            prev = key
            step = str(r.get("step", ""))
            if col == "participants" and step != "matched" and not step.startswith(DISCARD_STEP):
                final = key
            if step == "matched":
                _equal(m, key, size_key.get({"participants": ("Treated", "Matched"),
                                             "pool_pairs": ("Control", "Matched")}.get(col, ("", ""))))
    if final is not None:
        _equal(m, final, size_key.get(("Treated", "All")))
    pool_before = [("flow", "pool_pairs", i) for i, r in enumerate(flow.to_dict("records"))
                   if _num(r.get("pool_pairs")) is not None and r.get("step") != "matched"
                   and not str(r.get("step", "")).startswith(DISCARD_STEP)]
    if pool_before:
        _equal(m, pool_before[-1], size_key.get(("Control", "All")))
    return final


def _units(m: Model, frame: pd.DataFrame, total) -> None:
    keys = [m.count(Place("participants_by_unit", i, "participants"), ("unit", str(r["unit"])), r["participants"])
            for i, r in enumerate(frame.to_dict("records"))]
    if total is not None:
        m.total(total, keys)


def _covariates(m: Model, frame: pd.DataFrame, table: str, size_key: dict, shares: dict[str, tuple[str, str]],
                derived: list[str]) -> None:
    """Shares of binary terms are shares of a known group: each level's count is derivable, and the levels of a
    categorical variable sum to the group; statistics computed from the means follow them."""
    records = frame.to_dict("records")
    for col, (group, sample) in shares.items():
        den = size_key.get((group, sample))
        if den is None:
            continue
        levels: dict[str, list] = {}
        for i, r in enumerate(records):
            if r.get("type") != "binary" or _num(r.get(col)) is None:
                continue
            share = float(r[col])
            key = m.latent_count(("level", r["variable"], str(r.get("level")), group, sample), share * m.cells[den])
            single = r.get("level") is None  # a 0/1 covariate: the persons without it are the complement
            m.share(Place(table, i, col), key, den,
                    complement=("level", r["variable"], "not", group, sample) if single else None)
            if not single:
                levels.setdefault(r["variable"], []).append(key)
        for keys in levels.values():
            m.total(den, keys)
    for i, r in enumerate(records):
        places = [Place(table, i, c) for c in derived if c in r]
        if places:
            m.depends(places, [Place(table, i, c) for c in shares if c in r])


def _effects(m: Model, frame: pd.DataFrame, counts: pd.DataFrame, outcomes: dict, size_key: dict) -> dict:
    n_keys: dict = {}
    rows = frame.to_dict("records")
    index = {(r["outcome"], int(r["month"])): i for i, r in enumerate(rows)}
    for name in dict.fromkeys(r["outcome"] for r in rows):
        kind = (outcomes.get(name) or {}).get("kind", "first_exit")
        c = counts[counts["outcome"] == name]
        for group, size_col, mean_col, risk_col, n_col in GROUPS:
            g = c[c["group"] == group].sort_values("month")
            if not len(g):
                continue
            matched = size_key.get((size_col, "Matched"))
            points, cumulative, no_censoring, n_key, exits_before = [], 0.0, True, None, 0.0
            for cr in g.to_dict("records"):
                i = index.get((name, int(cr["month"])))
                if i is None:
                    continue
                # the group's size on this row (first exits: everyone matched; other outcomes: complete cases)
                n_key = m.count(Place("effects", i, n_col), ("n", name, int(cr["month"]), group), rows[i][n_col])
                _equal(m, matched, n_key)
                n_keys.setdefault(group, n_key)
                risk_key = m.count(Place("effects", i, risk_col), ("at_risk", name, group, int(cr["month"])),
                                   rows[i][risk_col])
                no_censoring = no_censoring and cr["censored"] == 0
                if kind == "first_exit":
                    cumulative += cr["events"]
                    if no_censoring:  # the curve is then the plain share of the group that has exited
                        k = m.latent_count(("exited", name, group, int(cr["month"])), cumulative)
                        m.share(Place("effects", i, mean_col), k, n_key,
                                complement=("not_exited", name, group, int(cr["month"])))
                    if int(cr["month"]) == 1:
                        _equal(m, risk_key, n_key)
                elif kind == "status_share" and _num(cr["in_status"]) is not None:
                    k = m.latent_count(("in_status", name, group, int(cr["month"])), cr["in_status"])
                    m.share(Place("effects", i, mean_col), k, risk_key,
                            complement=("not_in_status", name, group, int(cr["month"])))
                # The persons at risk are counted at the start of the month, the exits in it: two published points'
                # at-risk counts differ by the exits of the months before the later one and the censorings up to it.
                left = exits_before + float(cr["censored"] or 0)
                exits_before = float(cr["events"] or 0)
                points.append(SeriesPoint((Place("effects", i, mean_col), Place("effects", i, risk_col)),
                                          {"events": cr["events"], "censored": cr["censored"], "left the risk set": left},
                                          f"{name} {cr['month']}"))
            m.add_series(f"{name} ({group})", points)
        for (o, mm), i in index.items():
            if o == name:
                m.depends([Place("effects", i, e) for e in ESTIMATES],
                          [Place("effects", i, "treated_mean"), Place("effects", i, "control_mean")])
    return n_keys


def _persons(m: Model, frame: pd.DataFrame, flow: pd.DataFrame, outcomes: dict) -> None:
    """n_control_persons: the distinct persons among the control rows (n_control counts rows, person-weeks), a
    count of persons; for first exits everyone matched, i.e. the matched step's pool persons in the flow."""
    if "n_control_persons" not in frame.columns:
        return
    steps = [i for i, r in enumerate(flow.to_dict("records")) if r.get("step") == "matched"]
    matched = ("flow", "pool_persons", steps[-1]) if steps else None
    for i, r in enumerate(frame.to_dict("records")):
        key = m.count(Place("effects", i, "n_control_persons"), ("n_persons", r["outcome"], int(r["month"])),
                      r["n_control_persons"])
        if (outcomes.get(r["outcome"]) or {}).get("kind", "first_exit") == "first_exit" and matched is not None:
            _equal(m, key, matched)


def _extras(m: Model, t: dict[str, pd.DataFrame]) -> None:
    """Risk ratios, adjusted effects and sensitivity numbers are computed from the same rows as the effect they sit
    next to: hidden when its group means are."""
    eff = t["effects"]
    index = {(r["outcome"], int(r["month"])): i for i, r in enumerate(eff.to_dict("records"))}
    means = lambda i: [Place("effects", i, "treated_mean"), Place("effects", i, "control_mean")]  # noqa: E731
    for i in range(len(eff)):
        m.depends([Place("effects", i, c) for c in RELATIVE if c in eff.columns], means(i))
    for name, cols in (("adjusted", (*ESTIMATES, "att_unadjusted")), ("sensitivity", SENSITIVITY)):
        for j, r in enumerate(t[name].to_dict("records")):
            pos = index.get((r["outcome"], int(r["month"])))
            if pos is not None:
                m.depends([Place(name, j, c) for c in cols if c in t[name].columns], means(pos))
    rows = {(r["outcome"], int(r["month"])): j for j, r in enumerate(t["sensitivity"].to_dict("records"))}
    for j, r in enumerate(t["sensitivity_gamma"].to_dict("records")):
        k = rows.get((r["outcome"], int(r["month"])))
        if k is not None:
            m.depends([Place("sensitivity_gamma", j, c) for c in ("p_upper", "p_lower")],
                      [Place("sensitivity", k, "p_value")])


def ps_distribution(bins: pd.DataFrame, threshold: int) -> list[dict]:
    """The matching distance's distribution for the report's figure: shares per bin of participants and controls,
    all and matched. Adjacent bins are merged until every published bin holds 0 or at least `threshold` persons in
    each of the four groups and in the two differences a reader can form (all minus matched), so no share times a
    published group size reveals a small count. Counts themselves are not published."""
    if bins is None or not len(bins):
        return []
    series = {(s, g): f.sort_values("bin")["n"].to_numpy(dtype=float)
              for (s, g), f in bins.groupby(["sample", "group"], sort=False)}
    edges = bins[bins["sample"] == "All"].drop_duplicates("bin").sort_values("bin")
    lows, highs = edges["low"].to_numpy(float), edges["high"].to_numpy(float)
    checks = list(series.values()) + [series[("All", g)] - series[("Matched", g)] for g in ("Treated", "Control")
                                      if ("All", g) in series and ("Matched", g) in series]

    def ok(a: int, b: int) -> bool:
        return all((x[a:b].sum() == 0) or (x[a:b].sum() >= threshold) for x in checks)

    cuts, start = [], 0
    for end in range(1, len(lows) + 1):
        if ok(start, end):
            cuts.append((start, end))
            start = end
    if start < len(lows):  # a small remainder joins the bins before it until the merged bin is safe
        while cuts and not ok(start, len(lows)):
            start = cuts.pop()[0]
        cuts.append((start, len(lows)))
    out = []
    for (s, g), x in series.items():
        total = x.sum()
        for a, b in cuts:
            out.append({"sample": s, "group": g, "low": float(lows[a]), "high": float(highs[b - 1]),
                        "share": float(x[a:b].sum() / total) if total else None})
    return out


def _subgroups(m: Model, frame: pd.DataFrame, tests: pd.DataFrame, outcomes: dict, n_keys: dict) -> None:
    if not len(frame):
        return
    rows = frame.to_dict("records")
    for (sg, name), idx in pd.Series(range(len(rows))).groupby(
            [frame["subgroup"].to_numpy(), frame["outcome"].to_numpy()]):
        positions = list(idx)
        share = (outcomes.get(name) or {}).get("kind", "first_exit") != "benefit_weeks"
        for group, _, mean_col, _, n_col in GROUPS:
            parts, exited = [], []
            for i in positions:
                r = rows[i]
                n = m.count(Place("subgroups", i, n_col), ("sg", sg, str(r["level"]), name, group), r[n_col])
                parts.append(n)
                if share and _num(r.get(mean_col)) is not None:
                    k = m.latent_count(("sg_k", sg, str(r["level"]), name, group), float(r[mean_col]) * float(r[n_col]))
                    m.share(Place("subgroups", i, mean_col), k, n,
                            complement=("sg_not", sg, str(r["level"]), name, group))
                    exited.append(k)
            total = ("sg_total", sg, name, group)
            m.latent_count(total, sum(m.cells[p] for p in parts))
            m.total(total, parts)
            _equal(m, total, n_keys.get(group))
        for i in positions:
            m.depends([Place("subgroups", i, e) for e in ESTIMATES],
                      [Place("subgroups", i, "treated_mean"), Place("subgroups", i, "control_mean")])
        for j, tr in enumerate(tests.to_dict("records")):
            if tr.get("subgroup") == sg and tr.get("outcome") == name:
                m.depends([Place("heterogeneity", j, c) for c in ("chi2", "p_value")],
                          [Place("subgroups", i, "att") for i in positions])


def _robustness(m: Model, frame: pd.DataFrame, counts: pd.DataFrame, outcomes: dict, n_keys: dict,
                effects: pd.DataFrame) -> None:
    eff_index = {(r["outcome"], int(r["month"])): i for i, r in enumerate(effects.to_dict("records"))}
    for i, r in enumerate(frame.to_dict("records")):
        variant, name, month = r["variant"], r["outcome"], int(r["month"])
        c = counts[(counts["variant"] == variant) & (counts["outcome"] == name)]
        for group, _, mean_col, _, n_col in GROUPS:
            n = m.count(Place("robustness", i, n_col), ("rob", variant, name, group), r[n_col])
            if variant == "main":
                _equal(m, n, n_keys.get(group))
            g = c[c["group"] == group]
            events, censored = float(g["events"].sum()), float(g["censored"].sum())
            # the persons still without the event are a group too: the mean times n shows them when none is censored
            remaining = max(float(r[n_col] or 0) - events - censored, 0.0)
            kind = (outcomes.get(name) or {}).get("kind", "first_exit")
            if kind == "first_exit" and censored == 0:  # the curve is the plain share: exits and the rest follow
                k = m.latent_count(("rob_exited", variant, name, group), events)
                m.share(Place("robustness", i, mean_col), k, n, complement=("rob_not_exited", variant, name, group))
            m.add_series(f"robustness {variant} {name} ({group})",
                         [SeriesPoint((Place("robustness", i, mean_col),),
                                      {"events": events, "censored": censored, "remaining": remaining})])
        m.depends([Place("robustness", i, e) for e in ESTIMATES],
                  [Place("robustness", i, "treated_mean"), Place("robustness", i, "control_mean")])
        j = eff_index.get((name, month))
        if variant == "main" and j is not None:  # the same numbers as the effects table's last month
            m.depends([Place("robustness", i, c) for c in ("treated_mean", "control_mean", *ESTIMATES)],
                      [Place("effects", j, "treated_mean"), Place("effects", j, "control_mean")])


# ---- the bundle -------------------------------------------------------------------------------------------------

def _plain(v):
    if v is None or v is pd.NA:
        return None
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return None if math.isnan(float(v)) else float(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def records(frame: pd.DataFrame | None) -> list[dict]:
    if frame is None or len(frame) == 0:
        return []
    return [{k: _plain(v) for k, v in row.items()} for row in frame.astype(object).to_dict(orient="records")]


def _bundle(result: EffectResult, p: dict[str, pd.DataFrame], threshold: int, suppressed: int) -> dict:
    ev = result.evaluation
    bal = ev.matching.balance
    sizes = {r["sample"]: {"Control": _plain(r["Control"]), "Treated": _plain(r["Treated"])}
             for r in p["sample_sizes"].to_dict("records")}
    data = dict(result.data)
    data["tables"] = small_counts_blank(data.get("tables") or {}, threshold)
    data["unknown_codes"] = records(p["unknown_codes"])
    data["orphans"] = {r["table"]: {"persons": _plain(r["persons"]), "rows": _plain(r["rows"])}
                       for r in p["orphans"].to_dict("records")}
    participants = ev.populations.participants
    index_period = {}
    if len(participants):  # months, not a single person's dates
        mos = participants["imo"].to_numpy()
        index_period = {"first": calendar.month_label(int(mos.min())), "last": calendar.month_label(int(mos.max()))}
    info = {k: v for k, v in ev.matching.info.to_dict().items()
            if k != "seconds" and not k.startswith("n_")}  # counts are in the sample sizes; timings in the manifest
    return {
        "version": BUNDLE_VERSION,
        "design": _plain({**result.design, "disclosure_threshold": threshold}),
        "data": _plain(data),
        "flow": records(p["flow"]),
        "participants_by_unit": records(p["participants_by_unit"]),
        "index_period": index_period,
        "population_comparison": records(p["population_comparison"]),
        "characteristics": records(p["characteristics"]),
        "balance": records(p["balance"]),
        "balance_summary": {"n_terms": int(len(p["balance"]) - int((p["balance"]["term"] == "distance").sum())),
                            "n_imbalanced": int(bal.n_imbalanced), "threshold": SMD_THRESHOLD},
        "sample_sizes": sizes,
        "matching": _plain(info),
        "propensity": records(p["propensity"]),
        "effects": records(p["effects"]),
        "subgroups": records(p["subgroups"]),
        "heterogeneity": records(p["heterogeneity"]),
        "robustness": records(p["robustness"]),
        "adjusted": records(p["adjusted"]),
        "sensitivity": records(p["sensitivity"]),
        "sensitivity_gamma": records(p["sensitivity_gamma"]),
        "ps_distribution": ps_distribution(ev.ps_bins, threshold),
        "disclosure": {"threshold": threshold, "suppressed": suppressed},
    }


RESULT_TABLES = ("flow", "population_comparison", "characteristics", "balance", "effects", "subgroups", "heterogeneity",
                 "robustness", "participants_by_unit", "sample_sizes", "adjusted", "sensitivity", "sensitivity_gamma")


def publish(result: EffectResult, threshold: int) -> list[Output]:
    """The evaluation through the gate: results/*.csv, results.json (the report's input) and the gate's log."""
    raw = tables(result)
    protected, gate = protect(raw, declare(result, raw), threshold)
    bundle = _bundle(result, protected, threshold, len(gate.blank))
    return [Output(kind="effect", folder="results", tables={k: protected[k] for k in RESULT_TABLES}, bundle=bundle,
                   log=tuple(gate.log), title=str(result.design.get("name") or ""))]


def small_counts_blank(tables: dict, threshold: int, keys: tuple[str, ...] = ("persons", "rows")) -> dict:
    """data_summary's tables (or orphans), each a mapping, with a count (`keys`) from 1 to threshold - 1 left out
    (None, shown as suppressed): a small events table holds the participants of a small programme. No other
    published number is a sum or difference of these totals, so no other cell need go with them."""
    return {name: blank_small(tab, threshold, keys) for name, tab in tables.items()}


def blank_small(record: dict, threshold: int, keys: tuple[str, ...]) -> dict:
    """One record with its counts (`keys`) that the gate's rule (disclosure.small) would not show left out."""
    return {k: None if k in keys and small(v, threshold) else v for k, v in record.items()}


def data_summary(regs: "Registers", end_month: int) -> dict:
    """What the registers held, without person data: tables (no birth dates; event dates as months), codes missing
    from the catalogue, persons missing from persons, the end of data, the catalogue files by name."""
    rep = regs.report
    tables_ = {}
    for name, s in rep.tables.items():
        d = s.to_dict()
        if name == "persons":
            d["first"] = d["last"] = None
        elif name == "events" and d.get("first"):
            d["first"], d["last"] = str(d["first"])[:7], str(d["last"])[:7]
        d["file"] = PurePath(str(d.get("file") or "")).name
        tables_[name] = d
    return {
        "folder": PurePath(str(regs.folder)).name,
        "tables": tables_,
        "unknown_codes": records(rep.unknown_codes),
        "orphans": rep.orphans,
        "end_month": calendar.month_label(end_month),
        "catalogue": [PurePath(str(c)).name for c in regs.catalogue.sources],
        # written by `virkning synth`: the report then says the numbers come from synthetic data
        # (a remote folder, hdfs:// or s3a://, is a string and holds no synthetic truth)
        "synthetic": isinstance(regs.folder, Path) and (regs.folder / "truth.json").is_file(),
    }

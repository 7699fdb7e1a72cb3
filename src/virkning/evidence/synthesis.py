"""Meta-analysis of the studies in a base that report the same outcome in the same effect metric.

``synthesise(base, outcome)`` picks one finding per study (its whole-population result on the outcome, with a
point estimate and a standard error or confidence interval), refuses mixed metrics, a study without a metric and
an evaluation entered twice, and pools with :func:`virkning.estimate.meta_analysis` -- REML and
DerSimonian-Laird by default -- returning the forest-plot rows of both.

A standard error is taken as given; otherwise it is read off a normal confidence interval,
se = (high - low) / (2 z), z the normal quantile of the interval's level. An interval that is not symmetric around
the estimate (a percentile bootstrap interval, a back-transformed ratio) gives an approximate SE: a warning says so.
"""

from __future__ import annotations

import html
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from virkning.errors import DesignError
from virkning.estimate.meta import MetaAnalysisWarning, MetaResult, Method, meta_analysis
from virkning.estimate.options import check_choice
from virkning.evidence.model import SynthesisSpec

if TYPE_CHECKING:
    from virkning.evidence.base import EvidenceBase


class EvidenceWarning(UserWarning):
    """A caveat about how a study's numbers were read (e.g. an asymmetric interval turned into an SE)."""


def _se_of(f: Any) -> tuple[float | None, str | None]:
    import scipy.stats  # on first use: 0.3 s off the start-up of a command that never calls this
    if f.se is not None:
        return f.se, "se"
    if f.ci is not None:
        z = float(scipy.stats.norm.ppf(0.5 + f.ci_level / 2))
        return (f.ci[1] - f.ci[0]) / (2 * z), "ci"
    return None, None


def _problem_of(f: Any) -> str | None:
    """Why a finding cannot enter a synthesis, or None."""
    if f.metric is None:
        return "has no effect metric"
    if f.value is None:
        return "gives no effect value"
    if isinstance(f.value, list):
        return f"gives a range ({f.value_text()}), not a point estimate"
    if f.se is None and f.ci is None:
        return "gives no standard error or confidence interval"
    return None


def select_findings(base: EvidenceBase, spec: SynthesisSpec) -> tuple[list[dict[str, Any]],
                                                                      list[tuple[int | None, str]],
                                                                      list[dict[str, Any]]]:
    """The rows that enter the synthesis ``spec``, the problems (index in ``spec.studies`` or None, message),
    and the findings left out with the reason (when the studies are not listed)."""
    rows: list[dict[str, Any]] = []
    issues: list[tuple[int | None, str]] = []
    left_out: list[dict[str, Any]] = []
    what = f"outcome '{spec.outcome}'" + (f" in core element '{spec.core_element}'" if spec.core_element else "")

    def row(study: Any, fid: str, f: Any) -> dict[str, Any]:
        se, how = _se_of(f)
        return {"study": study.id, "finding": fid, "label": study.label(), "metric": f.metric, "effect": f.point,
                "se": se, "se_from": how, "ci_low": f.ci[0] if f.ci else np.nan,
                "ci_high": f.ci[1] if f.ci else np.nan, "ci_level": f.ci_level if f.ci else np.nan,
                "n": f.n if f.n is not None else study.total_n, "subgroup": f.subgroup,
                "evaluation": base.evaluation(study.id), "_finding": f}

    def relevant(f: Any) -> bool:
        return f.outcome == spec.outcome and (spec.core_element is None or f.core_element == spec.core_element)

    ids = {s.id: s for s in base.studies}
    if spec.studies is None:
        for s in base.studies:
            cands = [(fid, f) for fid, f in zip(s.finding_ids(), s.findings) if relevant(f)]
            usable = [(fid, f) for fid, f in cands if _problem_of(f) is None and f.subgroup is None and
                      (spec.metric is None or f.metric == spec.metric)]
            for fid, f in cands:
                if (fid, f) not in usable:
                    reason = _problem_of(f) or ("is a subgroup result" if f.subgroup is not None else
                                                f"is in metric '{f.metric}', not '{spec.metric}'")
                    left_out.append({"study": s.id, "finding": fid, "reason": reason})
            if len(usable) > 1:
                issues.append((None, f"study '{s.id}' has {len(usable)} whole-population findings on {what} "
                                     f"({', '.join(fid for fid, _ in usable)}); list the one to pool as "
                                     f"'{s.id}/{usable[0][0]}' under studies"))
            elif usable:
                rows.append(row(s, *usable[0]))
    else:
        for j, entry in enumerate(spec.studies):
            sid, _, fid = str(entry).partition("/")
            study = ids.get(sid)
            if study is None:
                issues.append((j, f"no study '{sid}' in the base"))
                continue
            pairs = list(zip(study.finding_ids(), study.findings))
            if fid:
                match = [(i, f) for i, f in pairs if i == fid]
                if not match:
                    issues.append((j, f"study '{sid}' has no finding '{fid}' (its findings: "
                                      f"{', '.join(i for i, _ in pairs) or 'none'})"))
                    continue
                i, f = match[0]
                if not relevant(f):
                    issues.append((j, f"finding '{sid}/{fid}' is about outcome '{f.outcome}'"
                                      f"{' in ' + str(f.core_element) if spec.core_element else ''}, not {what}"))
                    continue
                problem = _problem_of(f)
                if problem:
                    issues.append((j, f"finding '{sid}/{fid}' {problem}; a study in a synthesis needs a metric, a "
                                      "point estimate and its standard error or interval"))
                    continue
                rows.append(row(study, i, f))
                continue
            cands = [(i, f) for i, f in pairs if relevant(f)]
            if not cands:
                issues.append((j, f"study '{sid}' reports nothing on {what}"))
                continue
            if all(f.metric is None for _, f in cands):
                issues.append((j, f"study '{sid}' has no effect metric for {what}; a study used in a synthesis "
                                  "needs its effect in a metric (with value and se or ci)"))
                continue
            usable = [(i, f) for i, f in cands if _problem_of(f) is None and f.subgroup is None]
            if spec.metric is not None:
                matching = [(i, f) for i, f in usable if f.metric == spec.metric]
                if usable and not matching:
                    found = ", ".join(sorted({repr(f.metric) for _, f in usable}))
                    issues.append((j, f"study '{sid}' reports {what} in {found}, but the synthesis is in "
                                      f"'{spec.metric}'; one synthesis pools one metric"))
                    continue
                usable = matching
            if len(usable) > 1:
                issues.append((j, f"study '{sid}' has {len(usable)} whole-population findings on {what} "
                                  f"({', '.join(i for i, _ in usable)}); name one as '{sid}/{usable[0][0]}'"))
                continue
            if not usable:
                detail = "; ".join(f"{i}: {_problem_of(f) or 'subgroup ' + repr(f.subgroup)}" for i, f in cands)
                issues.append((j, f"study '{sid}': none of its findings on {what} can be pooled ({detail}); a "
                                  "study in a synthesis needs a metric, a point estimate and its se or ci"))
                continue
            rows.append(row(study, *usable[0]))

    metrics = sorted({r["metric"] for r in rows})
    if spec.metric is not None:
        wrong = [r for r in rows if r["metric"] != spec.metric]
        for r in wrong:
            at = _index(spec, r)
            issues.append((at, f"study '{r['study']}' reports {what} in '{r['metric']}', but the synthesis is in "
                              f"'{spec.metric}'; one synthesis pools one metric"))
    elif len(metrics) > 1:
        groups = "; ".join(f"'{m}': {', '.join(r['study'] for r in rows if r['metric'] == m)}" for m in metrics)
        issues.append((None, f"the studies report {what} in different metrics ({groups}); a synthesis pools one "
                             "metric: set metric, or convert the effects to one metric"))
    by_eval: dict[str, list[str]] = {}
    for r in rows:
        by_eval.setdefault(r["evaluation"], []).append(r["study"])
    for ev, studies in by_eval.items():
        if len(studies) > 1:
            issues.append((None, f"studies {', '.join(studies)} report the same evaluation (same_evaluation_as); "
                                 "enter it once"))
    if not issues and len(rows) < 2:
        issues.append((None, f"a synthesis needs at least 2 studies with a pooled-ready finding on {what}; found "
                             f"{len(rows)}" + (" (left out: " + "; ".join(f"{x['study']}/{x['finding']} {x['reason']}"
                                                                          for x in left_out[:6]) + ")"
                                               if left_out else "")))
    return rows, issues, left_out


def _index(spec: SynthesisSpec, r: dict[str, Any]) -> int | None:
    if spec.studies is None:
        return None
    for j, entry in enumerate(spec.studies):
        if str(entry).partition("/")[0] == r["study"]:
            return j
    return None


@dataclass(frozen=True, repr=False)
class SynthesisResult:
    """The pooled effect by each method (``results``), the studies that entered and those left out, and the
    forest-plot rows (``to_frame()``: one row per study and method, then the pooled rows)."""

    outcome: str
    metric: str
    unit: str
    core_element: str | None
    results: dict[str, MetaResult]
    studies: pd.DataFrame
    left_out: pd.DataFrame = field(default_factory=pd.DataFrame)
    synthesis_id: str | None = None

    def to_frame(self) -> pd.DataFrame:
        frames = []
        for method, m in self.results.items():
            f = m.forest().assign(method=method)
            labels = dict(zip(self.studies["label_key"], self.studies["study"]))
            f["study_id"] = f["study"].map(labels)
            f["label"] = f["study"].where(f["row"] == "pooled", f["study"].map(
                dict(zip(self.studies["label_key"], self.studies["label"]))))
            frames.append(f)
        out = pd.concat(frames, ignore_index=True)
        out["metric"] = self.metric
        return out[["method", "row", "study_id", "label", "effect", "se", "ci_low", "ci_high", "weight", "pi_low",
                    "pi_high", "metric"]]

    def forest(self, method: str = "REML") -> pd.DataFrame:
        """The forest-plot rows of one method."""
        frame = self.to_frame()
        return frame[frame["method"] == method].reset_index(drop=True)

    def summary(self) -> pd.DataFrame:
        """One row per method: k, estimate, SE, CI, p, tau^2, I^2, Q, prediction interval."""
        return pd.DataFrame([{"method": k, "k": m.k, "estimate": m.estimate, "se": m.se, "ci_low": m.ci_low,
                              "ci_high": m.ci_high, "p": m.p, "tau2": m.tau2, "i2": m.i2, "h2": m.h2, "q": m.q,
                              "q_df": m.q_df, "q_p": m.q_p, "pi_low": m.pi_low, "pi_high": m.pi_high,
                              "metric": self.metric} for k, m in self.results.items()])

    def to_dict(self) -> dict[str, Any]:
        return {"synthesis": self.synthesis_id, "outcome": self.outcome, "metric": self.metric, "unit": self.unit,
                "core_element": self.core_element, "results": {k: m.to_dict() for k, m in self.results.items()},
                "studies": self.studies.to_dict(orient="records"), "left_out": self.left_out.to_dict(orient="records")}

    def _lines(self) -> list[str]:
        head = (f"Synthesis of {len(self.studies)} studies: outcome {self.outcome}, metric {self.metric} "
                f"({self.unit})" + (f", core element {self.core_element}" if self.core_element else ""))
        out = [head]
        for k, m in self.results.items():
            out.append(f"{k}: {m.estimate:.4g} (95% CI {m.ci_low:.4g} to {m.ci_high:.4g}), tau^2 = {m.tau2:.4g}, "
                       f"I^2 = {m.i2:.1f}%" if m.level == 0.95 else
                       f"{k}: {m.estimate:.4g} ({round(m.level * 100)}% CI {m.ci_low:.4g} to {m.ci_high:.4g}), "
                       f"tau^2 = {m.tau2:.4g}, I^2 = {m.i2:.1f}%")
        if len(self.left_out):
            out.append(f"left out: {len(self.left_out)} finding(s) (see .left_out)")
        return out

    def __repr__(self) -> str:
        return "SynthesisResult(" + "; ".join(self._lines()) + ")"

    def _repr_html_(self) -> str:
        return ("<p>" + "<br>".join(html.escape(x) for x in self._lines()) + "</p>"
                + self.to_frame().to_html(index=False, na_rep="", float_format=lambda v: f"{v:.4f}"))


def synthesise(base: EvidenceBase, outcome: str | None = None, *, metric: str | None = None,
               core_element: str | None = None, studies: list[str] | None = None, synthesis: str | None = None,
               methods: tuple[str, ...] | list[str] = ("REML", "DL"), hartung_knapp: bool = False,
               level: float = 0.95) -> SynthesisResult:
    """Pool the studies in ``base`` that report ``outcome`` in one effect metric.

    Parameters
    ----------
    outcome: an outcome key of the base's vocabulary (e.g. 'employment').
    metric: the effect metric to pool (required when the studies report the outcome in several metrics).
    core_element: only findings on this core element.
    studies: study ids (or 'id/finding') to pool; by default every study with a whole-population finding on the
        outcome that has a point estimate and a standard error or interval.
    synthesis: the id of a synthesis declared in the file (instead of outcome/metric/core_element/studies).
    methods: estimators of tau^2 for :func:`virkning.estimate.meta_analysis`: 'REML', 'DL', 'FE'.
    """
    from virkning.evidence.base import EvidenceBase

    if not isinstance(base, EvidenceBase):
        raise DesignError(f"option 'base': expected an EvidenceBase (from load_base); got {type(base).__name__}.")
    if synthesis is not None:
        if any(x is not None for x in (outcome, metric, core_element, studies)):
            raise DesignError("option 'synthesis': give either a declared synthesis or outcome/metric/core_element/"
                              "studies, not both.")
        specs = {s.id: s for s in base.syntheses}
        if synthesis not in specs:
            raise DesignError(f"option 'synthesis': expected one of {', '.join(map(repr, specs)) or '(none declared)'};"
                              f" got {synthesis!r}.")
        spec = specs[synthesis]
    else:
        if outcome not in base.vocabulary.outcomes:
            raise DesignError(f"option 'outcome': expected one of {', '.join(map(repr, base.vocabulary.outcomes))}; "
                              f"got {outcome!r}.")
        if metric is not None and metric not in base.vocabulary.metrics:
            raise DesignError(f"option 'metric': expected one of {', '.join(map(repr, base.vocabulary.metrics))}; "
                              f"got {metric!r}.")
        if core_element is not None and core_element not in base.vocabulary.core_elements:
            raise DesignError(f"option 'core_element': expected one of "
                              f"{', '.join(map(repr, base.vocabulary.core_elements))}; got {core_element!r}.")
        if studies is not None and (isinstance(studies, str) or not all(isinstance(s, str) for s in studies)):
            raise DesignError(f"option 'studies': expected a list of study ids; got {studies!r}.")
        spec = SynthesisSpec(id="call", outcome=outcome, metric=metric, core_element=core_element,
                             studies=list(studies) if studies is not None else None)
    if isinstance(methods, str) or not methods:
        raise DesignError(f"option 'methods': expected a list such as ['REML', 'DL']; got {methods!r}.")
    for m in methods:
        check_choice("methods", m, Method)
    rows, issues, left_out = select_findings(base, spec)
    if issues:
        listed = spec.studies or []
        msgs = [(f"studies[{j + 1}] ({listed[j]}): " if j is not None and j < len(listed) else "") + msg
                for j, msg in issues]
        raise DesignError("cannot synthesise: " + " | ".join(msgs))
    for r in rows:
        f = r["_finding"]
        if r["se_from"] == "ci":
            lo, hi = f.ci
            if abs((hi - f.point) - (f.point - lo)) > 0.1 * (hi - lo):
                warnings.warn(f"study '{r['study']}': the interval [{lo:g}, {hi:g}] is not symmetric around "
                              f"{f.point:g}; its standard error is approximate (give se to be exact).",
                              EvidenceWarning, stacklevel=2)
    frame = pd.DataFrame([{k: v for k, v in r.items() if k != "_finding"} for r in rows])
    # meta_analysis labels must be unique; two publications of different studies can share a label
    frame["label_key"] = [f"{lbl} [{sid}]" if list(frame["label"]).count(lbl) > 1 else lbl
                          for lbl, sid in zip(frame["label"], frame["study"])]
    results: dict[str, MetaResult] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MetaAnalysisWarning)  # re-raised once below, not per method
        for m in dict.fromkeys(methods):
            results[m] = meta_analysis(frame, effect="effect", se="se", study="label_key", metric="metric",
                                       method=m, hartung_knapp=hartung_knapp and m != "FE", level=level)
    if len(frame) < 5 and any(m != "FE" for m in methods):
        warnings.warn(f"random-effects synthesis of only {len(frame)} studies: tau^2 is poorly estimated and the "
                      "intervals may be too narrow (consider hartung_knapp=True).", MetaAnalysisWarning, stacklevel=2)
    metric_key = str(frame["metric"].iloc[0])
    unit = base.vocabulary.metrics[metric_key].unit
    return SynthesisResult(spec.outcome, metric_key, unit, spec.core_element, results, frame,
                           pd.DataFrame(left_out, columns=["study", "finding", "reason"]),
                           synthesis if synthesis is not None else None)


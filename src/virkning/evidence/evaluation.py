"""A finished virkning effect evaluation as a study record, with a proposed appraisal for a person to confirm.

``study_from_evaluation(results, appraisal)`` reads a results bundle (the ``results.json`` an evaluation writes:
``effects`` rows with ``att``, ``se``, ``ci_low``/``ci_high`` and N by outcome and month, ``design``,
``matching``, ``balance_summary``) and returns a :class:`~virkning.evidence.model.Study`:

- stamdata from the bundle (design, target group, N, outcomes) and from ``appraisal`` (id, authors, year,
  core elements ...: what the bundle cannot know);
- one finding per mapped outcome at the chosen month, in percentage points (100 x the ATT on a share), with its SE
  and 95 % interval; the direction is read off the interval (positive if it lies above 0 for an outcome where
  higher is better);
- a *proposed* method appraisal (``method.status: proposed``), which the rules ignore until a person sets it to
  ``confirmed``: reliability starts at 4 for a matched register comparison (an effect study that cannot rule out
  hidden bias; a randomised trial would start at 5), minus 1 when the matched groups are visibly imbalanced (more
  than 10 % of balance terms over the threshold, or a standardised difference above 0.25 after matching) and minus 1
  when fewer than 100 participants were matched; transferability 5 for the municipality's own Danish data. The
  reasons list what the proposal rests on, including sensitivity to hidden bias when the bundle holds it.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, cast

from pydantic import ValidationError

from virkning.errors import DesignError
from virkning.evidence.errors import EvidenceFileError, EvidenceProblem
from virkning.evidence.model import Study
from virkning.evidence.vocabulary import METRICS

APPRAISAL_KEYS = ("id", "title", "authors", "year", "publisher", "publication", "population", "country",
                  "geography", "intervention", "comparison", "core_elements", "core_element", "topic", "content",
                  "method", "notes", "outcomes", "month", "same_evaluation_as")

SYNTHETIC_NOTE = ("Synthetic data: the evaluation ran on synthetic registers (virkning synth); it describes no real "
                  "persons and is an example, not evidence.")

#: bundle outcome status -> (evidence outcome, metric)
DEFAULT_OUTCOMES = {"beskæftiget": ("employment", "employment_pp")}


def _num(x: Any) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) else None


def _proposal(results: dict[str, Any], n_treated: int | None) -> tuple[int, list[str]]:
    score, reasons = 4, ["matched comparison on register data (selection on observed characteristics; hidden bias "
                         "cannot be ruled out): start at 4"]
    summary = results.get("balance_summary") or {}
    n_imb, n_terms, thr = summary.get("n_imbalanced"), summary.get("n_terms"), summary.get("threshold")
    smds = [abs(b["smd_after"]) for b in results.get("balance") or [] if _num(b.get("smd_after")) is not None]
    worst = max(smds) if smds else None
    if isinstance(n_imb, int) and isinstance(n_terms, int) and n_terms > 0:
        share = n_imb / n_terms
        reasons.append(f"balance after matching: {n_imb} of {n_terms} terms above |SMD| {thr}"
                       + (f", largest |SMD| {worst:.2f}" if worst is not None else ""))
        if share > 0.10 or (worst is not None and worst > 0.25):
            score -= 1
            reasons.append("visible imbalance: minus 1")
    else:
        reasons.append("no balance summary in the results")
    if n_treated is not None:
        reasons.append(f"{n_treated} matched participants")
        if n_treated < 100:
            score -= 1
            reasons.append("fewer than 100 matched participants: minus 1")
    sens = results.get("sensitivity")
    if sens:
        reasons.append(f"sensitivity to hidden bias reported: {_sensitivity_text(sens)}")
    else:
        reasons.append("no sensitivity analysis for hidden bias in the results")
    return max(1, min(5, score)), reasons


def _measure(spec: dict[str, Any], status: str, month: int | None, language: Any) -> str:
    """What the finding measures, in the design's language when the bundle names the outcome ('Afgang til
    beskæftigelse, måned 7'), else in words from its status."""
    label = spec.get("label")
    if isinstance(label, str) and label:
        return f"{label}, {'month' if language == 'en' else 'måned'} {month}"
    return f"share who have left for '{status}' by month {month} after the start"


def _short(x: Any) -> str:
    text = str(x)
    return text if len(text) <= 200 else text[:197] + "..."


def _sensitivity_text(sens: Any) -> str:
    """Rosenbaum bounds as `virkning.estimate.sensitivity_numbers` gives them (one dict per outcome: outcome,
    gamma_critical, evalue ...) in words; any other shape is quoted as it stands."""
    rows = sens if isinstance(sens, list) else [sens] if isinstance(sens, dict) else []
    parts = []
    for r in rows:
        if not isinstance(r, dict) or "gamma_critical" not in r:
            return _short(sens)
        g = _num(r.get("gamma_critical"))
        part = f"{r.get('outcome', 'effect')}: " + (f"significant up to Gamma = {g:.2f}" if g is not None else
                                                     "not significant at Gamma = 1")
        if _num(r.get("evalue")) is not None:
            part += f", E-value {float(r['evalue']):.2f}"
        parts.append(part)
    return _short("; ".join(parts)) if parts else _short(sens)


def _count(x: Any) -> int | None:
    """A count from a bundle (an int, or a float that is a whole number); None when hidden or absent."""
    v = _num(x)
    return int(v) if v is not None and v == int(v) and v > 0 else None


def matched_counts(results: dict[str, Any]) -> tuple[int | None, int | None]:
    """Matched participants and controls: from ``matching`` (bundle version 1), else the ``sample_sizes`` table
    (MatchIt's 'Matched' row, version 2), else the flow's 'matched' step. None where the gate hid the number."""
    matching = results.get("matching") or {}
    n_t, n_c = _count(matching.get("n_treated_matched")), _count(matching.get("n_control_matched"))
    if n_t is None or n_c is None:
        row = (results.get("sample_sizes") or {}).get("Matched") or {}
        n_t, n_c = n_t or _count(row.get("Treated")), n_c or _count(row.get("Control"))
    if n_t is None:
        step = next((r for r in results.get("flow") or [] if isinstance(r, dict) and r.get("step") == "matched"), {})
        n_t = _count(step.get("participants"))
    return n_t, n_c


def study_from_evaluation(results_json: dict[str, Any], appraisal: dict[str, Any]) -> Study:
    """A study record for an evaluation's results bundle; ``appraisal`` gives what the bundle cannot know.

    ``appraisal`` keys: ``id`` and ``authors`` (required); ``title``, ``year`` (default: the year of the data's
    last month), ``country`` (default DK), ``core_elements``, ``core_element`` (for the findings; default the only
    core element), ``topic``, ``population``, ``intervention``, ``comparison``, ``publisher``, ``publication``,
    ``content``, ``notes``, ``same_evaluation_as``; ``outcomes``: {bundle outcome: evidence outcome} or
    {bundle outcome: {outcome:, metric:}} (default: outcomes whose status is 'beskæftiget' -> employment in
    employment_pp); ``month``: the month after start to report (default: the last month of each outcome);
    ``method``: scores and reasons that replace the proposal (``status: confirmed`` once a person agrees).
    """
    if not isinstance(results_json, dict) or not isinstance(results_json.get("effects"), list):
        raise DesignError("option 'results_json': expected the dict of an evaluation's results.json, with a list "
                          "'effects'; got " + (f"keys {sorted(results_json)[:8]}" if isinstance(results_json, dict)
                                              else type(results_json).__name__) + ".")
    if not isinstance(appraisal, dict):
        raise DesignError(f"option 'appraisal': expected a dict; got {type(appraisal).__name__}.")
    unknown = [k for k in appraisal if k not in APPRAISAL_KEYS]
    if unknown:
        raise DesignError(f"option 'appraisal': unknown key(s) {', '.join(map(repr, unknown))}; expected some of "
                          f"{', '.join(APPRAISAL_KEYS)}.")
    missing = [k for k in ("id", "authors") if not appraisal.get(k)]
    if missing:
        raise DesignError(f"option 'appraisal': {', '.join(map(repr, missing))} required (the study id in the base, "
                          "and who did the evaluation, e.g. authors: [Jobcenter Brøndby]).")

    design = results_json.get("design") or {}
    matching = results_json.get("matching") or {}
    effects = [e for e in results_json["effects"] if isinstance(e, dict)]
    outcome_specs: dict[Any, dict[str, Any]] = {o.get("name"): o for o in design.get("outcomes") or []
                                                 if isinstance(o, dict)}

    mapping: dict[str, tuple[str, str]] = {}
    given = appraisal.get("outcomes")
    if given is None:
        for name, spec in outcome_specs.items():
            if spec.get("status") in DEFAULT_OUTCOMES:
                mapping[name] = DEFAULT_OUTCOMES[spec["status"]]
    elif isinstance(given, dict):
        for name, target in given.items():
            if isinstance(target, str):
                mapping[name] = (target, "employment_pp")
            elif isinstance(target, dict) and isinstance(target.get("outcome"), str):
                mapping[name] = (target["outcome"], target.get("metric", "employment_pp"))
            else:
                raise DesignError(f"option 'appraisal.outcomes': for '{name}' expected an outcome key or "
                                  f"{{outcome:, metric:}}; got {target!r}.")
    else:
        raise DesignError(f"option 'appraisal.outcomes': expected a mapping from bundle outcomes to evidence "
                          f"outcomes; got {given!r}.")
    names = {e.get("outcome") for e in effects}
    absent = [n for n in mapping if n not in names]
    if absent:
        raise DesignError(f"option 'appraisal.outcomes': outcome(s) {', '.join(map(repr, absent))} not in the "
                          f"results; the results hold {', '.join(sorted(map(str, names)))}.")
    if not mapping:
        raise DesignError("no outcome of the results is mapped to an evidence outcome; give appraisal.outcomes, "
                          f"e.g. {{'{sorted(map(str, names))[0] if names else 'exit_beskaeftiget'}': 'employment'}}.")
    month = appraisal.get("month")
    if month is not None and (isinstance(month, bool) or not isinstance(month, int)):
        raise DesignError(f"option 'appraisal.month': expected a whole number of months; got {month!r}.")

    core_elements = list(appraisal.get("core_elements") or [])
    core_element = appraisal.get("core_element", core_elements[0] if len(core_elements) == 1 else None)
    findings = []
    for name, (outcome, metric) in mapping.items():
        rows = [e for e in effects if e.get("outcome") == name and _num(e.get("att")) is not None]
        months = sorted(cast(set[int], {e.get("month") for e in rows if isinstance(e.get("month"), int)}))
        m = month if month is not None else (months[-1] if months else None)
        row = next((e for e in rows if e.get("month") == m), None)
        if row is None:
            raise DesignError(f"option 'appraisal.month': no effect for '{name}' in month {m}; months: {months}.")
        scale = 100.0 if METRICS.get(metric, None) is not None and METRICS[metric].unit == "pp" else 1.0
        att, se = _num(row.get("att")), _num(row.get("se"))
        lo, hi = _num(row.get("ci_low")), _num(row.get("ci_high"))
        assert att is not None  # `rows` holds only effects whose att is a number
        ci = [lo * scale, hi * scale] if lo is not None and hi is not None and lo < hi else None
        direction, significant = "unknown", None
        if ci is not None:
            significant = not (ci[0] <= 0 <= ci[1])
            up = METRICS[metric].favourable != "lower" if metric in METRICS else True
            direction = "none" if not significant else ("positive" if (ci[0] > 0) == up else "negative")
        status = outcome_specs.get(name, {}).get("status", name)
        n = sum(_count(row.get(k)) or 0 for k in ("n_treated", "n_control")) or None
        findings.append({"id": f"{name}_m{m}", "core_element": core_element, "topic": appraisal.get("topic"),
                         "outcome": outcome, "metric": metric,
                         "measure": _measure(outcome_specs.get(name, {}), status, m, design.get("language")),
                         "value": att * scale, "se": se * scale if se else None, "ci": ci, "ci_level": 0.95,
                         "n": n, "horizon": f"month {m}", "direction": direction, "significant": significant,
                         "source": f"results.json effects: outcome {name}, month {m}"})

    n_t, n_c = matched_counts(results_json)
    score, reasons = _proposal(results_json, n_t)
    participants = design.get("participants") or {}
    synthetic = (results_json.get("data") or {}).get("synthetic") is True
    year = appraisal.get("year")
    end = str((results_json.get("data") or {}).get("end_month") or "")
    if year is None and end[:4].isdigit():
        year = int(end[:4])
    method_desc = (f"{matching.get('method', 'matching')} matching {matching.get('ratio', 1)}:1 on the "
                   f"{matching.get('distance', 'propensity')} score"
                   + (f", exact on {', '.join(matching['exact'])}" if matching.get("exact") else "")
                   + f"; {len(design.get('covariates') or [])} covariates; effects "
                   + (effects[0].get("method", "") if effects else ""))
    proposed_method = {"design_description": method_desc,
                       "reliability": {"score": score, "reason": "; ".join(reasons)},
                       "transferability": {"score": 5, "reason": "the municipality's own evaluation on Danish "
                                                                 "register data"},
                       "status": "proposed", "appraised_by": "virkning (proposal)"}
    method = dict(proposed_method)
    for k, v in (appraisal.get("method") or {}).items():
        method[k] = v
    data = {
        "id": appraisal["id"], "title": appraisal.get("title") or design.get("name") or appraisal["id"],
        "authors": list(appraisal["authors"]) if isinstance(appraisal["authors"], (list, tuple)) else
        [appraisal["authors"]], "year": year, "publisher": appraisal.get("publisher"),
        "publication": appraisal.get("publication") or {"type": "report"},
        "population": appraisal.get("population") or (
            f"participants with the event '{participants.get('event')}'"
            + (f" from {participants['start']}" if participants.get("start") else "")
            + (f" to {participants['end']}" if participants.get("end") else "") if participants else None),
        "country": appraisal.get("country", "DK"), "geography": appraisal.get("geography"),
        "design": "quasi_experimental" if matching else "other",
        "intervention": appraisal.get("intervention") or design.get("name"),
        "comparison": appraisal.get("comparison") or "matched non-participants from the eligible pool",
        "n": (n_t + n_c) if n_t and n_c else None, "n_treated": n_t, "n_control": n_c,
        "outcomes": sorted({o for o, _ in mapping.values()}), "core_elements": core_elements,
        "same_evaluation_as": appraisal.get("same_evaluation_as"), "origin": "own_evaluation",
        "content": appraisal.get("content") or {"purpose": f"effect evaluation of {design.get('name', 'the effort')}"},
        "method": method, "findings": findings,
        "notes": appraisal.get("notes") or (SYNTHETIC_NOTE if synthetic else None),
        "source": f"virkning results bundle (version {results_json.get('version', '?')})"
                  + (", synthetic data" if synthetic else ""),
    }
    try:
        return Study.model_validate({k: v for k, v in data.items() if v is not None})
    except ValidationError as exc:
        from virkning.evidence.base import _messages
        from virkning.evidence.source import display
        raise EvidenceFileError([EvidenceProblem("<evaluation>", None, f"study '{appraisal['id']}'", display(loc), msg)
                                 for loc, msg in _messages(exc, (), Study)]) from None


def read_evaluation(folder: str | Path) -> dict[str, Any]:
    """The results bundle of a finished `virkning evaluate` output folder (``results/results.json``; the file itself
    may be given too). A sensitivity analysis for hidden bias is read from the bundle's ``sensitivity`` entry, or
    from ``results/sensitivity.csv`` beside it when the bundle has none."""
    import json

    import pandas as pd

    folder = Path(folder)
    path = folder if folder.is_file() else folder / "results" / "results.json"
    root = path.parent.parent
    if not path.is_file():
        raise DesignError(f"{folder}: no results/results.json here; give the --out folder of a finished "
                          "`virkning evaluate`.")
    manifest = root / "manifest.json"
    if manifest.is_file():
        try:
            command = json.loads(manifest.read_text(encoding="utf-8")).get("command")
        except ValueError:
            command = None
        if command not in (None, "evaluate"):
            raise DesignError(f"{folder}: the folder was written by `virkning {command}`, not `virkning evaluate`; "
                              "give an evaluation's output folder.")
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise DesignError(f"{path}: not valid JSON ({exc}); write the folder again with `virkning evaluate`.") from None
    if not isinstance(results, dict) or not isinstance(results.get("effects"), list):
        raise DesignError(f"{path}: not an evaluation's results bundle (no list 'effects').")
    sens_csv = path.parent / "sensitivity.csv"
    if not results.get("sensitivity") and sens_csv.is_file():
        frame = pd.read_csv(sens_csv)
        results["sensitivity"] = [{k: (None if pd.isna(v) else v) for k, v in r.items()}
                                  for r in frame.to_dict(orient="records")]
    return results

"""What the `virkning evidence` commands do, so that the CLI only parses arguments and prints:

    check_base(path)                 load and check a base file, grade it, draw its flow and declared syntheses
    propose(evaluation, base, ...)   a study record with a proposed appraisal from a finished evaluation folder
    add(proposal)                    append it to the base file (atomically, the file's comments kept)
    report(base, out, ...)           the evidence report folder (virkning.evidence.report)

Every refusal is a `VirkningError` naming the file, record and field, which the CLI turns into exit code 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from virkning.errors import DesignError
from virkning.evidence.append import append_study
from virkning.evidence.base import EvidenceBase, load_base, study_to_yaml
from virkning.evidence.errors import EvidenceFileError
from virkning.evidence.evaluation import read_evaluation, study_from_evaluation
from virkning.evidence.flow import search_flow
from virkning.evidence.grading import grade
from virkning.evidence.model import Study
from virkning.evidence.report.data import RULES, rule_key
from virkning.evidence.synthesis import synthesise

LANGUAGES = ("da", "en")


def _check_rule(rule: str | None) -> None:
    if rule is not None and rule not in RULES:
        raise DesignError(f"option '--rule': expected one of {', '.join(RULES)}; got '{rule}'.")


# ---- check ---------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CheckSummary:
    path: Path
    base: EvidenceBase
    rule: str
    statements: list[tuple[str, str]]  # (cell, label)
    flow: str
    syntheses: list[str]

    def lines(self) -> list[str]:
        b = self.base
        proposed = [s.id for s in b.studies if s.method.status == "proposed"]
        out = [f"{self.path}: valid (format_version 1).",
               f"{b._summary()}; core elements (evaluations): "
               + ", ".join(f"{k} {v}" for k, v in b.core_element_counts().items())]
        if proposed:
            out.append(f"Proposed appraisals, not counted until confirmed: {', '.join(proposed)}")
        out.append(f"Statements by rule {self.rule}:")
        out += [f"  {cell}: {label}" for cell, label in self.statements]
        out.append(self.flow)
        out += self.syntheses
        return out


def check_base(path: str | Path, *, rule: str | None = None) -> CheckSummary:
    """Load and check the base at ``path`` (every problem located by file, line, record and field), grade it by
    ``rule`` (None: the file's), and pool its declared syntheses."""
    _check_rule(rule)
    path = Path(path)
    base = load_base(path)
    graded = grade(base, rule=rule_key(base, rule))
    statements = [(" / ".join(str(v) for _, v in st.cell), st.label_en) for st in graded.statements]
    syntheses = []
    for spec in base.syntheses:
        res = synthesise(base, synthesis=spec.id)
        reml = res.results.get("REML") or next(iter(res.results.values()))
        syntheses.append(f"Synthesis {spec.id}: {len(res.studies)} studies, {res.metric}: {reml.estimate:.4g} "
                         f"[{reml.ci_low:.4g}, {reml.ci_high:.4g}], I^2 {reml.i2:.1f}%")
    return CheckSummary(path, base, graded.rule, statements, repr(search_flow(base)), syntheses)


# ---- add -----------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Proposal:
    """A study record made from an evaluation folder, checked against the base it is meant for."""

    evaluation: Path
    base_path: Path
    base: EvidenceBase
    study: Study
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def record(self) -> str:
        return study_to_yaml(self.study)

    def lines(self) -> list[str]:
        s = self.study
        out = [f"Study record from {self.evaluation} for {self.base_path}:",
               f"  id {s.id}; {s.label()}; {s.design}; country {s.country}; N {s.total_n or '?'}"
               + (f" ({s.n_treated} participants + {s.n_control} matched controls)" if s.n_treated else ""),
               f"  core elements: {', '.join(s.core_elements) or 'none'}"]
        for fid, f in zip(s.finding_ids(), s.findings):
            ci = f" [{f.ci[0]:.2f}, {f.ci[1]:.2f}]" if f.ci else ""
            out.append(f"  finding {fid}: {f.outcome}, {f.point:.2f} {f.metric}{ci} ({f.horizon}), direction "
                       f"{f.direction}")
        m = s.method
        out.append(f"  appraisal ({m.status}): reliability {m.reliability.score}, transferability "
                   f"{m.transferability.score}")
        out.append(f"    reliability: {m.reliability.reason}")
        out.append(f"    transferability: {m.transferability.reason}")
        out += [f"Note: {n}" for n in self.notes]
        return out


def _default_id(name: str, year: int | None, taken: set[str]) -> str:
    stem = re.sub(r"[^a-z0-9]+", "_", name.lower().translate(str.maketrans("æøåäöü", "aoaaou"))).strip("_")
    stem = stem if stem and stem[0].isalpha() else f"evaluation_{stem}".strip("_")
    candidate = f"{stem}_{year}" if year else stem
    out, i = candidate[:70], 2
    while out in taken:
        out, i = f"{candidate[:66]}_{i}", i + 1
    return out


def _outcomes(pairs: list[str] | None) -> dict[str, str] | None:
    if not pairs:
        return None
    out = {}
    for p in pairs:
        name, sep, target = p.partition("=")
        if not sep or not name.strip() or not target.strip():
            raise DesignError(f"option '--outcome': expected NAME=OUTCOME (e.g. exit_beskaeftiget=employment); "
                              f"got '{p}'.")
        out[name.strip()] = target.strip()
    return out


def propose(evaluation: str | Path, base_path: str | Path, *, study_id: str | None = None,
            authors: list[str] | None = None, core_elements: list[str] | None = None, title: str | None = None,
            year: int | None = None, outcomes: list[str] | None = None, month: int | None = None,
            reliability: int | None = None, transferability: int | None = None, accept: bool = False,
            appraised_by: str | None = None) -> Proposal:
    """A study record for the evaluation folder ``evaluation`` with a proposed appraisal, checked against the base
    at ``base_path`` (its ids, vocabulary and core elements). ``reliability``/``transferability`` replace the
    proposed scores; ``accept`` marks the appraisal confirmed (by ``appraised_by``), so the rules count it."""
    evaluation, base_path = Path(evaluation), Path(base_path)
    if not authors:
        raise DesignError("option '--authors': who made the evaluation is required (e.g. --authors 'Jobcenter "
                          "Brøndby'); it names the study in tables and plots.")
    base = load_base(base_path)
    results = read_evaluation(evaluation)
    design = results.get("design") or {}
    end = str((results.get("data") or {}).get("end_month") or "")
    year = year if year is not None else (int(end[:4]) if end[:4].isdigit() else None)
    name = title or design.get("name") or evaluation.name
    appraisal: dict[str, Any] = {
        "id": study_id or _default_id(str(design.get("name") or evaluation.name), year, {s.id for s in base.studies}),
        "authors": list(authors or []), "core_elements": list(core_elements or []), "title": name,
    }
    if year is not None:
        appraisal["year"] = year
    if outcomes:
        appraisal["outcomes"] = _outcomes(outcomes)
    if month is not None:
        appraisal["month"] = month
    study = study_from_evaluation(results, appraisal)
    notes = []
    if reliability is not None or transferability is not None or accept:
        m = study.method
        method: dict[str, Any] = {}
        who = appraised_by or "the user"
        for key, value in (("reliability", reliability), ("transferability", transferability)):
            if value is not None:
                method[key] = {"score": value, "reason": f"set by {who} (virkning proposed {getattr(m, key).score}: "
                                                         f"{getattr(m, key).reason})"}
        if accept:
            method.update(status="confirmed", appraised_by=appraised_by or "accepted with virkning evidence add")
        study = study_from_evaluation(results, {**appraisal, "method": method})
    if study.method.status == "proposed":
        notes.append(f"the appraisal is proposed: the grading rules leave the study out until method.status is set "
                     f"to confirmed in {base_path.name} (or add it with --accept-appraisal).")
    if not study.core_elements:
        notes.append("no core element given (--core-element): the study will not enter the statements per core "
                     f"element; the base's core elements are {', '.join(base.vocabulary.core_elements)}.")
    if "synthetic data" in (study.source or ""):
        notes.append("the evaluation ran on synthetic data: it is an example, not evidence.")
    try:  # refuse now (duplicate id, undeclared core element ...) rather than after confirmation
        base.with_study(study)
    except EvidenceFileError as exc:
        raise DesignError(f"the study from {evaluation} does not fit {base_path}; nothing was written:\n"
                          + "\n".join(f"- {p.record}, field '{p.field}': {p.rule}" for p in exc.problems)
                          + "\nChoose another --id or a declared --core-element.") from None
    return Proposal(evaluation, base_path, base, study, tuple(notes))


def add(proposal: Proposal) -> EvidenceBase:
    """Append the proposal's study to its base file; returns the grown base."""
    comment = (f"added by `virkning evidence add` from {proposal.evaluation.name}"
               + (" (appraisal proposed by virkning: review it, then set method.status: confirmed)"
                  if proposal.study.method.status == "proposed" else ""))
    return append_study(proposal.base_path, proposal.study, comment=comment)


# ---- report --------------------------------------------------------------------------------------------------------

def report(base_path: str | Path, out: str | Path, *, rule: str | None = None, language: str = "da") -> dict[str, Path]:
    """The evidence report of the base at ``base_path`` in ``out`` (see virkning.evidence.report.files)."""
    from virkning.evidence.report.files import write_report

    _check_rule(rule)
    if language not in LANGUAGES:
        raise DesignError(f"option '--language': expected one of {', '.join(LANGUAGES)}; got '{language}'.")
    return write_report(base_path, out, rule=rule, language=language)

"""Evidence bases: appraised studies, graded evidence statements, search flows and syntheses (issue 17, seed 004).

Numbers and records only: no registers, no SQL. The file format and the rules are described in
docs/evidence.md.

    from virkning.evidence import load_base, grade, synthesise, search_flow, example_path

    base = load_base(example_path("academics_2020"))   # seed 004's 12 studies
    grade(base).to_frame()                            # statements per core element x outcome, rule recorded
    grade(base, rule="jobeffekter").to_frame()        # STAR's jobeffekter.dk weighting instead
    search_flow(base).to_frame()                      # 198 hits -> 12 studies
    synthesise(base2, "employment", metric="employment_pp")   # REML and DL via virkning.estimate.meta_analysis
    study = study_from_evaluation(read_evaluation("out/"), {"id": "brondby2019", "authors": ["Jobcenter X"]})
    base.with_study(study); append_study("base.yaml", study)   # the file grows, its comments kept

The evidence report is in :mod:`virkning.evidence.report`, the `virkning evidence` commands' logic in
:mod:`virkning.evidence.commands`.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from virkning.evidence.append import AppendError, append_study
from virkning.evidence.base import EvidenceBase, load_base, loads_base, study_to_yaml
from virkning.evidence.errors import EvidenceFileError, EvidenceProblem
from virkning.evidence.evaluation import read_evaluation, study_from_evaluation
from virkning.evidence.flow import SearchFlow, search_flow
from virkning.evidence.grading import DefaultRule, GradingResult, Statement, grade, make_rule
from virkning.evidence.jobeffekter import JobeffekterRule
from virkning.evidence.model import FORMAT_VERSION, Finding, Score, Study
from virkning.evidence.source import read_yaml_with_lines
from virkning.evidence.synthesis import EvidenceWarning, SynthesisResult, synthesise
from virkning.evidence.vocabulary import Vocabulary

__all__ = [
    "FORMAT_VERSION", "AppendError", "DefaultRule", "EvidenceBase", "EvidenceFileError", "EvidenceProblem",
    "EvidenceWarning", "Finding", "GradingResult", "JobeffekterRule", "Score", "SearchFlow", "Statement", "Study", "SynthesisResult",
    "Vocabulary", "append_study", "example_path", "grade", "load_base", "loads_base", "make_rule",
    "read_evaluation", "read_yaml_with_lines", "search_flow", "study_from_evaluation", "study_to_yaml", "synthesise",
]


def example_path(name: str = "academics_2020") -> Path:
    """The path of an evidence base shipped with virkning (``academics_2020``: seed 004's literature review)."""
    path = Path(str(resources.files("virkning.evidence") / "examples" / f"{name}.yaml"))
    if not path.is_file():
        from virkning.errors import DesignError
        shipped = sorted(p.stem for p in path.parent.glob("*.yaml"))
        raise DesignError(f"option 'name': expected one of {', '.join(map(repr, shipped))}; got {name!r}.")
    return path

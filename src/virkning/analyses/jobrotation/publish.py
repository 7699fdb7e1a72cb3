"""What the job-rotation analysis publishes (through the one gate) and its report sections.

Published: the rules summary (rotations checked and rotations breaking each rule), the substitutes' flow into the
comparison, and their outcomes after the rotation against the matched comparison. Internal (person level, for the
job centres): the violations by sheet row and rule, and the substitute search's ranking.

Declared to the gate: every number of rotations and of substitutes is a count of persons; the rules' counts are
parts of the rotations checked (a rotation breaking a rule, and the rest); the flow's steps are nested (each the
next plus those it removed); an outcome's means are shares of the substitutes and controls observed at that month
(the rest a count too), and the effect and its interval depend on both means.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from virkning.analyses.base import Output
from virkning.disclosure import Model, Place
from virkning.disclosure.gate import Gate, apply
from virkning.report.components import Blocks, Cell, Cells, Numbering, Row, Section, Table
from virkning.report.formatting import Formatter
from virkning.report.strings import ui

if TYPE_CHECKING:
    from virkning.analyses.jobrotation.outcomes import SubstituteOutcomes

WORDS: dict[str, dict[str, Any]] = {
    "da": {"title": "Jobrotation: regler og vikarernes forløb", "rules": "Jobrotationer, der bryder reglerne",
           "rule": "Regel", "rotations": "Jobrotationer", "outcomes": "Vikarernes status efter jobrotationen "
           "sammenlignet med matchede ledige", "after": "Måneder efter rotationen", "subs": "Vikarer",
           "ctrl": "Sammenligning", "effect": "Forskel (pp.)", "ci": "95 %-interval",
           "lead": "Reglerne tjekkes række for række i registreringen af jobrotationer og mod registrene; hvilke "
                   "rækker der bryder hvilke regler står i internal/ (til jobcentrene, ikke til offentliggørelse).",
           "flow": "Vikarer i sammenligningen", "step": "Trin",
           "rules_words": {"rotations": "Jobrotationer i alt", "substitute_found": "Vikaren findes ikke i registrene",
                           "substitute_unemployed": "Vikaren var ikke ledig i 3 måneder før start",
                           "min_hours": "Under 10 timer om ugen", "max_months": "Længere end 12 måneder",
                           "firm_size": "Virksomheden over projektets størrelsesgrænse",
                           "firm_size_unknown": "Virksomhedens størrelse ukendt",
                           "concurrent_support": "Medarbejderen har samtidig VEU, SVU eller løntilskud",
                           "any": "Mindst én regel brudt"}},
    "en": {"title": "Job rotation: rules and the substitutes' outcomes", "rules": "Job rotations breaking the rules",
           "rule": "Rule", "rotations": "Rotations", "outcomes": "The substitutes' status after the rotation against "
           "matched unemployed", "after": "Months after the rotation", "subs": "Substitutes",
           "ctrl": "Comparison", "effect": "Difference (pp)", "ci": "95 % interval",
           "lead": "The rules are checked row by row in the job-rotation registration and against the registers; which "
                   "rows break which rules is in internal/ (for the job centres, not for publication).",
           "flow": "Substitutes in the comparison", "step": "Step",
           "rules_words": {"rotations": "Rotations in all", "substitute_found": "Substitute not in the registers",
                           "substitute_unemployed": "Substitute not unemployed 3 months before the start",
                           "min_hours": "Fewer than 10 hours a week", "max_months": "Longer than 12 months",
                           "firm_size": "Firm above the project's size limit",
                           "firm_size_unknown": "Firm size unknown",
                           "concurrent_support": "Employee also has VEU, SVU or løntilskud",
                           "any": "At least one rule broken"}},
}


@dataclass(frozen=True)
class JobRotationResult:
    rotations: pd.DataFrame = field(repr=False)
    violations: pd.DataFrame = field(repr=False)
    summary: pd.DataFrame = field(repr=False)
    outcomes: SubstituteOutcomes | None = field(default=None, repr=False)
    ranking: pd.DataFrame | None = field(default=None, repr=False)
    notes: tuple[str, ...] = ()


def declare(t: dict[str, pd.DataFrame]) -> Model:
    m = Model()
    s = t["rules"]
    total = None
    for i, r in enumerate(s.to_dict("records")):
        key = m.count(Place("rules", i, "rotations"), ("rules", r["rule"]), r["rotations"])
        if r["rule"] == "rotations":
            total = key
        elif total is not None:
            m.difference(total, key, ("rules_rest", r["rule"]))
    if "flow" in t:
        prev = None
        for i, r in enumerate(t["flow"].to_dict("records")):
            key = m.count(Place("flow", i, "participants"), ("flow", i), r["participants"])
            if prev is not None:
                m.difference(prev, key, ("flow_removed", i))
            prev = key
    if "outcomes" in t:
        for i, r in enumerate(t["outcomes"].to_dict("records")):
            for group, n_col, mean in (("t", "n_treated", "treated_mean"), ("c", "n_control", "control_mean")):
                n = m.count(Place("outcomes", i, n_col), ("out", r["month"], group, "n"), r[n_col])
                if r[n_col] == r[n_col] and r[mean] == r[mean]:
                    k = m.latent_count(("out", r["month"], group, "k"), round(r[mean] * r[n_col]))
                    m.share(Place("outcomes", i, mean), k, n, complement=("out", r["month"], group, "rest"))
            m.depends([Place("outcomes", i, c) for c in ("att", "se", "ci_low", "ci_high")],
                      [Place("outcomes", i, "treated_mean"), Place("outcomes", i, "control_mean")])
    return m


def publish(result: JobRotationResult, threshold: int) -> list[Output]:
    tables = {"rules": result.summary}
    if result.outcomes is not None:
        tables["flow"] = result.outcomes.flow
        tables["outcomes"] = result.outcomes.effects[["month", "n_treated", "n_control", "treated_mean",
                                                      "control_mean", "att", "se", "ci_low", "ci_high"]]
    protected, outcome = apply(tables, Gate(declare(tables), threshold))
    internal = {"jobrotation_violations": result.violations}
    if result.ranking is not None:
        internal["substitute_ranking"] = result.ranking
    bundle = {"kind": "jobrotation", "threshold": threshold, "tables": protected, "notes": list(result.notes)}
    return [Output(kind="jobrotation", folder="jobrotation", tables=protected, bundle=bundle, log=tuple(outcome.log),
                   internal=internal)]


def render(output: Output, language: str, numbering: Numbering | None = None, synthetic: bool = False):
    w = WORDS["en" if language == "en" else "da"]
    t = ui(language)
    f = Formatter(language)
    c = Cells(f, t)
    b = output.bundle
    blocks = Blocks(t, numbering or Numbering(), b["threshold"], "")
    body = [blocks.p(w["lead"])]
    rules = b["tables"]["rules"]
    rows = [Row([Cell(w["rules_words"].get(r["rule"], r["rule"]), "label"), c.count(r["rotations"])])
            for r in rules.to_dict("records")]
    body += blocks.table(Table("jobrotation_rules", w["rules"], [Cell(w["rule"], "label"), c.col(w["rotations"])],
                               rows))
    if "flow" in b["tables"]:
        fl = b["tables"]["flow"]
        rows = [Row([Cell(r["step"], "label"), c.count(r["participants"])]) for r in fl.to_dict("records")]
        body += blocks.table(Table("jobrotation_flow", w["flow"], [Cell(w["step"], "label"), c.col(w["subs"])], rows))
    if "outcomes" in b["tables"]:
        o = b["tables"]["outcomes"]
        head = [c.col(w["after"], "label"), c.col(w["subs"]), c.col(w["ctrl"]), c.col(f"{w['subs']} %"),
                c.col(f"{w['ctrl']} %"), c.col(w["effect"]), c.col(w["ci"])]
        rows = [Row([Cell(str(int(r["month"])), "label"), c.count(r["n_treated"]), c.count(r["n_control"]),
                     c.pct(r["treated_mean"]), c.pct(r["control_mean"]), c.diff(r["att"], True),
                     c.interval(r["ci_low"], r["ci_high"], True)]) for r in o.to_dict("records")]
        body += blocks.table(Table("jobrotation_outcomes", w["outcomes"], head, rows, notes=list(b.get("notes", []))))
    return [Section("jobrotation", w["title"], body)], blocks.figures

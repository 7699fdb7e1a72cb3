"""From appraisals to evidence statements per core element and outcome, by a declared rule.

Seed 004 grades its findings (stærk evidens, moderat evidens, indikation) without stating a rule. Here every
statement is produced by a named, versioned rule whose parameters are recorded with it:

- ``"default"`` (:class:`DefaultRule`, virkning's): STAR's published evidence hierarchy (star.dk, "The hierarchy
  level of evidence": strong = a majority of 3 or more effect studies of high quality and/or 1 researched
  literature review pointing the same way; moderate = a majority of 2 such studies; indication = a majority of 1
  such study or of several studies of limited quality; conflicting = studies pointing in opposite directions;
  uncertain = no or few studies of limited quality, no majority), made operational on the seed's appraisal
  scores. What the hierarchy leaves open is fixed here and documented in docs/evidence.md: "high quality" means
  reliability >= 4 and transferability >= 3 (the low end of a range like "3-4"); each evaluation counts once (its
  publications together) in the direction most of its whole-population findings point; the majority is taken
  among the high-quality studies when there are any, else among the limited ones.
- ``"jobeffekter"`` (:class:`virkning.evidence.jobeffekter.JobeffekterRule`): STAR's jobeffekter.dk weighting
  algorithm, with the source of every number.

``grade(base)`` uses the rule the file declares under ``grading:`` (else the default); ``grade(base, rule=...)``
takes a rule name (with parameters as keyword arguments) or a rule object.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from virkning.errors import DesignError
from virkning.evidence.model import GRADE_LABELS, GradingSpec, Study
from virkning.evidence.vocabulary import DIRECTIONS, EFFECT_DESIGNS, REVIEW_DESIGNS

if TYPE_CHECKING:
    from virkning.evidence.base import EvidenceBase

GROUP_KEYS = ("core_element", "outcome", "topic", "mechanism")


@dataclass(frozen=True)
class Statement:
    """One evidence statement: the cell it is about, the direction and grade, the rule that produced it (with
    its parameters in the :class:`GradingResult`), the reason in words and the studies behind it."""

    cell: tuple[tuple[str, Any], ...]  # (("core_element", "samtaler"), ("outcome", "employment"))
    direction: str | None  # positive / negative / none, or None when no direction prevails
    grade: str
    label_da: str
    label_en: str
    rule: str
    reason: str
    studies: tuple[str, ...]
    knowledge_stock: float | None = None  # jobeffekter.dk rule only
    share: float | None = None  # share of the stock in the dominant direction (jobeffekter.dk rule only)
    reason_da: str = ""  # the reason in Danish, for a Danish report (the rule writes both)

    def get(self, key: str) -> Any:
        return dict(self.cell).get(key)

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.cell)
        out.update({k: getattr(self, k) for k in ("direction", "grade", "label_da", "label_en", "rule", "reason",
                                                   "reason_da", "knowledge_stock", "share")})
        out["studies"] = list(self.studies)
        return out


@dataclass(frozen=True, repr=False)
class GradingResult:
    """The statements of one rule over one base (``to_frame()``), and how each finding entered them
    (``contributions``: quality class, weight or vote, used or why not)."""

    rule: str
    parameters: dict[str, Any]
    by: tuple[str, ...]
    statements: tuple[Statement, ...]
    contributions: pd.DataFrame
    source: str = ""

    def to_frame(self) -> pd.DataFrame:
        rows = []
        for st in self.statements:
            d = st.to_dict()
            d["studies"] = ", ".join(st.studies)
            rows.append(d)
        cols = [*self.by, "direction", "grade", "label_da", "label_en", "rule", "knowledge_stock", "share", "studies",
                "reason", "reason_da"]
        return pd.DataFrame(rows, columns=cols)

    def statement(self, **cell: Any) -> Statement:
        """The statement of one cell, e.g. ``statement(core_element='samtaler', outcome='employment')``."""
        for st in self.statements:
            if all(st.get(k) == v for k, v in cell.items()):
                return st
        raise KeyError(f"no statement for {cell}; cells: {[dict(s.cell) for s in self.statements]}")

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "parameters": self.parameters, "by": list(self.by),
                "statements": [s.to_dict() for s in self.statements],
                "contributions": self.contributions.to_dict(orient="records"), "source": self.source}

    def _lines(self) -> list[str]:
        out = [f"Evidence statements by rule {self.rule} ({len(self.statements)} cells)"]
        for st in self.statements:
            cell = " / ".join(str(v) for _, v in st.cell)
            out.append(f"  {cell}: {st.label_da}" + (f" ({st.direction})" if st.direction else ""))
        return out

    def __repr__(self) -> str:
        return "GradingResult(" + "\n".join(self._lines()) + ")"

    def _repr_html_(self) -> str:
        return (f"<p>Evidence statements by rule <b>{html.escape(self.rule)}</b></p>"
                + self.to_frame().to_html(index=False, na_rep=""))


# ---------------------------------------------------------------------------------------------------------------
# helpers shared by the rules
# ---------------------------------------------------------------------------------------------------------------


def effective_direction(f: Any) -> str:
    """A finding's direction as the rules read it: 'positive'/'negative' reported as not significant is 'none'."""
    if f.direction in ("positive", "negative") and f.significant is False:
        return "none"
    return f.direction


def appraisal_exclusion(study: Study, include_proposed: bool) -> str | None:
    """Why a study's appraisal cannot be used, or None."""
    if study.method.status == "proposed" and not include_proposed:
        return "appraisal proposed by virkning, not yet confirmed (set method.status: confirmed)"
    if study.method.reliability.score is None:
        return "no reliability score (not appraised)"
    return None


def _check_number(rule: str, name: str, value: Any, low: float, high: float | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < low or \
            (high is not None and value > high):
        span = f"from {low:g} to {high:g}" if high is not None else f"at least {low:g}"
        raise DesignError(f"rule '{rule}', parameter '{name}': expected a number {span}; got {value!r}.")


# ---------------------------------------------------------------------------------------------------------------
# the default rule
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DefaultRule:
    """STAR's evidence hierarchy made operational on the seed's 1-5 scores (see the module docstring)."""

    min_reliability: int = 4
    min_transferability: int = 3
    strong_effect_studies: int = 3
    moderate_effect_studies: int = 2
    limited_for_indication: int = 2
    review_makes_strong: bool = True
    mixed_counts: bool = True
    include_proposed: bool = False

    name = "default"
    version = 1

    def __post_init__(self) -> None:
        for p in ("min_reliability", "min_transferability"):
            _check_number(self.name, p, getattr(self, p), 1, 5)
        for p in ("strong_effect_studies", "moderate_effect_studies", "limited_for_indication"):
            _check_number(self.name, p, getattr(self, p), 1)
        if self.moderate_effect_studies > self.strong_effect_studies:
            raise DesignError(f"rule 'default': moderate_effect_studies ({self.moderate_effect_studies}) exceeds "
                              f"strong_effect_studies ({self.strong_effect_studies}).")
        for p in ("review_makes_strong", "mixed_counts", "include_proposed"):
            if not isinstance(getattr(self, p), bool):
                raise DesignError(f"rule 'default', parameter '{p}': expected true or false; "
                                  f"got {getattr(self, p)!r}.")

    @property
    def label(self) -> str:
        return f"virkning default/{self.version} (STAR evidence hierarchy)"

    def parameters(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def grade_cell(self, base: EvidenceBase, cell: tuple, items: list[tuple[Study, str, Any]]
                   ) -> tuple[Statement, list[dict[str, Any]]]:
        contributions: list[dict[str, Any]] = []
        units: dict[str, list[tuple[Study, str, Any]]] = {}
        for study, fid, f in items:
            units.setdefault(base.evaluation(study.id), []).append((study, fid, f))

        # (evaluation, quality, kind, direction, label, directions, Danish label)
        graded: list[tuple[str, str, str, str, str, set[str], str]] = []
        for ev, members in units.items():
            pubs = list({s.id: s for s, _, _ in members}.values())
            usable_pubs = [s for s in pubs if appraisal_exclusion(s, self.include_proposed) is None]
            usable_ids = {s.id for s in usable_pubs}
            reason = None
            if not usable_pubs:
                reason = appraisal_exclusion(pubs[0], self.include_proposed)
            elif all(s.design not in EFFECT_DESIGNS | REVIEW_DESIGNS for s in usable_pubs):
                reason = f"design '{usable_pubs[0].design}' is neither an effect study nor a review"
            known = [(s, fid, f) for s, fid, f in members if s.id in usable_ids and effective_direction(f) != "unknown"
                     and s.design in EFFECT_DESIGNS | REVIEW_DESIGNS]
            if reason is None and not known:
                reason = "no finding with a known direction"
            # the evaluation speaks through its main results; failing those its whole-population ones, then all
            primary = [m for m in known if m[2].is_main()] or [m for m in known if m[2].subgroup is None] or known
            high = any((s.method.reliability.low or 0) >= self.min_reliability and
                       (s.method.transferability.low or 0) >= self.min_transferability for s, _, _ in primary)
            kind = "review" if primary and all(s.design in REVIEW_DESIGNS for s, _, _ in primary) else "effect study"
            dirs = [effective_direction(f) for _, _, f in primary]
            unit_dir = next((d for d in ("positive", "negative", "none") if dirs.count(d) > len(dirs) / 2), "mixed")
            label = " + ".join(s.label() for s in pubs)
            if reason is None:
                graded.append((ev, "high" if high else "limited", kind, unit_dir, label, set(dirs),
                               label.replace(" and ", " og ")))
            for s, fid, f in members:
                used = reason is None and any(f is m[2] for m in primary)
                why_left = reason if reason is not None else (
                    None if used else "direction unknown" if effective_direction(f) == "unknown" else
                    "not a main result (the evaluation has main results here: whole target group, whole effect)")
                contributions.append({**dict(cell), "study": s.id, "finding": fid, "evaluation": ev,
                                      "quality": None if reason else ("high" if high else "limited"),
                                      "kind": kind if reason is None else None,
                                      "direction": effective_direction(f), "evaluation_direction":
                                      unit_dir if reason is None else None, "weight": None, "used": used,
                                      "reason": why_left, "reported_grade": f.reported_grade})

        if not self.mixed_counts:  # an evaluation whose results split leaves the count instead of diluting it
            graded = [g for g in graded if g[3] != "mixed"]
        high_units = [g for g in graded if g[1] == "high"]
        pool = high_units or [g for g in graded if g[1] == "limited"]
        level = "high-quality" if high_units else "limited-quality"
        total = len(pool)
        counts = {d: sum(1 for g in pool if g[3] == d) for d in ("positive", "negative", "none")}
        studies = tuple(dict.fromkeys(s.id for s, _, _ in items if any(base.evaluation(s.id) == g[0] for g in pool)))

        def describe(d: str, k: int) -> str:
            who = [g[6] if k else g[4] for g in pool if g[3] == d]
            name = (DIRECTIONS[d].label_en, DIRECTIONS[d].label_da)[k] if d in DIRECTIONS else ("mixed", "blandet")[k]
            return f"{name} {len(who)} ({'; '.join(who)})" if who else ""

        tally = ["; ".join(x for x in (describe(d, k) for d in ("positive", "negative", "none", "mixed")) if x)
                 for k in (0, 1)]
        if total == 0:
            return self._statement(cell, None, "insufficient", (
                "no appraised study with a known direction", "ingen vurderet undersøgelse med kendt retning"), ()), \
                contributions
        winner = next((d for d, c in counts.items() if c > total / 2), None)
        base_text = (f"{total} {level} evaluation(s): {tally[0]}",
                     f"{total} evaluering(er) af {'høj' if high_units else 'begrænset'} kvalitet: {tally[1]}")
        if winner is None:
            opposite = any("positive" in g[5] for g in pool) and any("negative" in g[5] for g in pool)
            grade = "conflicting" if opposite else "insufficient"
            why = (("positive and negative results, no majority", "positive og negative resultater, intet flertal")
                   if opposite else ("no majority", "intet flertal"))
            return self._statement(cell, None, grade, (f"{base_text[0]}; {why[0]}", f"{base_text[1]}; {why[1]}"),
                                   studies), contributions
        n_win = counts[winner]
        if high_units:
            effects = sum(1 for g in pool if g[3] == winner and g[2] == "effect study")
            reviews = sum(1 for g in pool if g[3] == winner and g[2] == "review")
            agree = (f"{effects} high-quality effect studies agree",
                     f"{effects} effektstudier af høj kvalitet peger samme vej")
            if effects >= self.strong_effect_studies:
                grade, why = "strong", agree
            elif self.review_makes_strong and reviews >= 1:
                grade, why = "strong", (f"{reviews} high-quality review(s) agree",
                                        f"{reviews} review(s) af høj kvalitet peger samme vej")
            elif effects >= self.moderate_effect_studies:
                grade, why = "moderate", agree
            elif effects:
                grade, why = "indication", (f"{effects} high-quality effect study agrees",
                                            f"{effects} effektstudie af høj kvalitet peger samme vej")
            else:
                grade, why = "indication", (
                    "the majority rests on fewer high-quality studies than moderate evidence needs",
                    "flertallet hviler på færre studier af høj kvalitet, end moderat evidens kræver")
        elif n_win >= self.limited_for_indication:
            grade, why = "indication", (f"{n_win} studies of limited quality agree",
                                        f"{n_win} studier af begrænset kvalitet peger samme vej")
        else:
            grade, why = "insufficient", (f"only {n_win} study of limited quality",
                                          f"kun {n_win} studie af begrænset kvalitet")
        win_da = "ingen effekt" if winner == "none" else DIRECTIONS[winner].label_da
        text = (f"{base_text[0]}; majority {winner} ({n_win} of {total}); {why[0]}",
                f"{base_text[1]}; flertal {win_da} ({n_win} af {total}); {why[1]}")
        return self._statement(cell, winner, grade, text, studies), contributions

    def _statement(self, cell: tuple, direction: str | None, grade: str, reason: tuple[str, str],
                   studies: Sequence[str]) -> Statement:
        da, en = GRADE_LABELS[grade]
        if direction is not None:
            da = f"{da} for {'ingen effekt' if direction == 'none' else DIRECTIONS[direction].label_da + ' effekt'}"
            en_word = "no effect" if direction == "none" else \
                (DIRECTIONS[direction].label_en or DIRECTIONS[direction].label_da) + " effect"
            en = f"{en} of {en_word}"
        return Statement(cell, direction, grade, da, en, self.label, reason[0], tuple(studies), reason_da=reason[1])


# ---------------------------------------------------------------------------------------------------------------
# choosing and running a rule
# ---------------------------------------------------------------------------------------------------------------


def _rules() -> dict[str, type]:
    from virkning.evidence.jobeffekter import JobeffekterRule

    return {"default": DefaultRule, "jobeffekter": JobeffekterRule}


def make_rule(name: str, parameters: dict[str, Any] | None = None) -> Any:
    """The rule ``name`` ('default' or 'jobeffekter') with ``parameters`` (checked: unknown names and values
    out of range raise :class:`DesignError`)."""
    rules = _rules()
    if not isinstance(name, str) or name not in rules:
        raise DesignError(f"option 'rule': expected one of {', '.join(map(repr, rules))} or a rule object; "
                          f"got {name!r}.")
    cls = rules[name]
    parameters = dict(parameters or {})
    allowed = [f.name for f in dataclasses.fields(cls)]
    unknown = [k for k in parameters if k not in allowed]
    if unknown:
        raise DesignError(f"rule '{name}': unknown parameter(s) {', '.join(map(repr, unknown))}; expected one of "
                          f"{', '.join(allowed)}.")
    return cls(**parameters)


def rule_problems(spec: GradingSpec) -> list[tuple[tuple, str]]:
    """Problems of a file's ``grading:`` section, as (loc inside it, message)."""
    try:
        make_rule(spec.rule, spec.parameters)
    except DesignError as exc:
        return [(("parameters",), str(exc))]
    except TypeError as exc:  # a parameter of the wrong shape (e.g. a list where a mapping is needed)
        return [(("parameters",), f"rule '{spec.rule}': {exc}")]
    return []


def grade(base: EvidenceBase, rule: str | Any | None = None, *, by: Iterable[str] = ("core_element", "outcome"),
          **parameters: Any) -> GradingResult:
    """Evidence statements for ``base``, one per cell of ``by`` (default: core element x outcome).

    ``rule``: None (the rule declared in the file, else 'default'), a rule name ('default', 'jobeffekter') whose
    parameters may be given as keyword arguments (they override the file's for the same rule), or a rule object.
    ``by``: grouping keys among core_element, outcome, topic, mechanism.
    """
    from virkning.evidence.base import EvidenceBase

    if not isinstance(base, EvidenceBase):
        raise DesignError(f"option 'base': expected an EvidenceBase (from load_base); got {type(base).__name__}.")
    by = tuple([by] if isinstance(by, str) else by)
    bad = [k for k in by if k not in GROUP_KEYS]
    if bad or not by or len(set(by)) != len(by):
        raise DesignError(f"option 'by': expected distinct keys among {', '.join(map(repr, GROUP_KEYS))}; got {by!r}.")
    if rule is None or isinstance(rule, str):
        declared = base.grading
        name = rule if rule is not None else (declared.rule if declared else "default")
        params = dict(declared.parameters) if declared and declared.rule == name else {}
        params.update(parameters)
        rule_obj = make_rule(name, params)
    else:
        if parameters:
            raise DesignError("parameters are given with a rule object; set them on the object instead.")
        if not callable(getattr(rule, "grade_cell", None)):
            raise DesignError(f"option 'rule': expected 'default', 'jobeffekter' or a rule object with grade_cell(); "
                              f"got {type(rule).__name__}.")
        rule_obj = rule

    cells: dict[tuple, list[tuple[Study, str, Any]]] = {}
    skipped = []
    for s in base.studies:
        for fid, f in zip(s.finding_ids(), s.findings):
            values = tuple((k, getattr(f, k)) for k in by)
            if "core_element" in by and f.core_element is None:
                skipped.append({**dict(values), "study": s.id, "finding": fid, "used": False,
                                "reason": "not placed under a core element (core_element: null)"})
                continue
            cells.setdefault(values, []).append((s, fid, f))
    order = {k: {v: i for i, v in enumerate(getattr(base.vocabulary, k + "s"))} for k in ("core_element", "outcome")}
    order["mechanism"] = {v: i for i, v in enumerate(base.vocabulary.mechanisms)}

    def sort_key(values: tuple) -> tuple:
        return tuple((order.get(k, {}).get(v, 999), "" if v is None else str(v)) for k, v in values)

    statements = []
    rows: list[dict[str, Any]] = []
    for values in sorted(cells, key=sort_key):
        st, contrib = rule_obj.grade_cell(base, values, cells[values])
        statements.append(st)
        rows += contrib
    rows += skipped
    contributions = pd.DataFrame(rows)
    label = getattr(rule_obj, "label", type(rule_obj).__name__)
    params = rule_obj.parameters() if callable(getattr(rule_obj, "parameters", None)) else {}
    return GradingResult(label, params, by, tuple(statements), contributions, base.source)

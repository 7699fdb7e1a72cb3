"""Loading, checking and showing an evidence base.

``load_base(path)`` reads a YAML file in the format of :mod:`virkning.evidence.model`, checks each record and
the rules across records, and returns a frozen :class:`EvidenceBase`. Every problem is collected and raised
together as an :class:`~virkning.evidence.errors.EvidenceFileError` naming file, line, record (study id) and
field. Rules across records:

- study ids are unique; ``same_evaluation_as`` points to a study in the base (no cycles);
- core elements, outcomes, metrics and mechanisms are declared (defaults or the file's ``vocabulary:``), and a
  finding's core element is one the study informs;
- a finding's number agrees with its direction (e.g. -3 weeks of unemployment is not a 'negative' effect);
- the search flow adds up, and its ``included`` equals the number of studies;
- a declared synthesis names studies that report the outcome in one effect metric, with a point estimate and
  its uncertainty, and no evaluation twice;
- the declared grading rule exists and its parameters are its own.
"""

from __future__ import annotations

import difflib
import html
import math
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from pydantic import BaseModel, ValidationError

from virkning.evidence.errors import EvidenceFileError, EvidenceProblem
from virkning.evidence.model import (BaseFile, BaseInfo, GradingSpec, ReportedStatement, SearchSpec, Study,
                                     SynthesisSpec)
from virkning.evidence.source import Loc, display, line_of, read_yaml_with_lines
from virkning.evidence.vocabulary import Vocabulary, extend

_TYPE_TAGS = {"int", "float", "str", "bool", "none", "list", "dict"}


@dataclass(frozen=True, repr=False)
class EvidenceBase:
    """A checked evidence base: its studies, vocabulary, search flow, the review's own statements, declared
    syntheses and grading rule. Build it with :func:`load_base`; grow it with :meth:`with_study`."""

    source: str
    info: BaseInfo
    vocabulary: Vocabulary
    studies: tuple[Study, ...]
    search: SearchSpec | None = None
    grading: GradingSpec | None = None
    statements: tuple[ReportedStatement, ...] = ()
    syntheses: tuple[SynthesisSpec, ...] = ()
    _evaluation: dict[str, str] = field(default_factory=dict, compare=False)

    # -- lookups --------------------------------------------------------------------------------------------
    def study(self, study_id: str) -> Study:
        for s in self.studies:
            if s.id == study_id:
                return s
        raise KeyError(f"no study {study_id!r} in the base; the ids are {', '.join(s.id for s in self.studies)}")

    def evaluation(self, study_id: str) -> str:
        """The id that stands for the evaluation a study reports: the first of its publications in the base."""
        return self._evaluation.get(study_id, study_id)

    def core_element_counts(self, *, by: str = "evaluation") -> pd.Series:
        """How many studies inform each core element (vocabulary order). ``by='evaluation'`` counts a trial
        reported in several publications once, as seed 004's Figur 4.1 does; ``by='study'`` counts records."""
        if by not in ("evaluation", "study"):
            from virkning.errors import DesignError
            raise DesignError(f"option 'by': expected one of 'evaluation', 'study'; got {by!r}.")
        counts = {}
        for key in self.vocabulary.core_elements:
            ids = {self.evaluation(s.id) if by == "evaluation" else s.id for s in self.studies
                   if key in s.core_elements}
            counts[key] = len(ids)
        return pd.Series(counts, name="studies", dtype="int64").rename_axis("core_element")

    # -- frames ---------------------------------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """The appraisal table: one row per study (stamdata and the method scores)."""
        rows = []
        for s in self.studies:
            rows.append({"study": s.id, "label": s.label(), "authors": "; ".join(s.authors), "year": s.year,
                         "country": s.country, "design": s.design, "core_elements": ", ".join(s.core_elements),
                         "reliability": s.method.reliability.score, "transferability": s.method.transferability.score,
                         "appraisal": s.method.status, "n": s.total_n, "findings": len(s.findings),
                         "evaluation": self.evaluation(s.id), "title": s.title})
        frame = pd.DataFrame(rows, columns=["study", "label", "authors", "year", "country", "design", "core_elements",
                                            "reliability", "transferability", "appraisal", "n", "findings",
                                            "evaluation", "title"])
        frame["n"] = frame["n"].astype("Int64")
        return frame

    def findings_frame(self) -> pd.DataFrame:
        """One row per finding, with the effect in its native metric and its uncertainty."""
        rows = []
        for s in self.studies:
            for fid, f in zip(s.finding_ids(), s.findings):
                lo, hi = (f.value if isinstance(f.value, list) else (f.point, f.point))
                rows.append({"study": s.id, "finding": fid, "label": s.label(), "core_element": f.core_element,
                             "topic": f.topic, "outcome": f.outcome, "measure": f.measure, "metric": f.metric,
                             "value": f.point, "value_low": lo, "value_high": hi, "approximate": f.approximate,
                             "se": f.se, "ci_low": f.ci[0] if f.ci else None, "ci_high": f.ci[1] if f.ci else None,
                             "ci_level": f.ci_level if f.ci else None, "n": f.n, "subgroup": f.subgroup,
                             "horizon": f.horizon, "direction": f.direction, "significant": f.significant,
                             "mechanism": f.mechanism, "combination": f.combination,
                             "reported_grade": f.reported_grade, "source": f.source})
        return pd.DataFrame(rows)

    def statements_frame(self) -> pd.DataFrame:
        """The review's own evidence statements (no rule stated), as the file records them."""
        from virkning.evidence.model import GRADE_LABELS
        return pd.DataFrame([{"core_element": st.core_element, "outcome": st.outcome, "topic": st.topic,
                              "direction": st.direction, "grade": st.grade, "grade_da": GRADE_LABELS[st.grade][0],
                              "rule": "stated by the review (no explicit rule)", "text": st.text, "source": st.source}
                             for st in self.statements])

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "base": self.info.model_dump(), "vocabulary": self.vocabulary.to_dict(),
                "search": self.search.model_dump() if self.search else None,
                "grading": self.grading.model_dump() if self.grading else None,
                "statements": [st.model_dump() for st in self.statements],
                "syntheses": [sy.model_dump() for sy in self.syntheses],
                "studies": [s.model_dump() for s in self.studies]}

    # -- growing the base -----------------------------------------------------------------------------------
    def with_study(self, study: Study) -> EvidenceBase:
        """A new base with ``study`` added (e.g. from :func:`study_from_evaluation`), checked against the base's
        vocabulary and ids; raises :class:`EvidenceFileError` if it does not fit."""
        if not isinstance(study, Study):
            from virkning.errors import DesignError
            raise DesignError(f"option 'study': expected a virkning.evidence.Study; got {type(study).__name__}.")
        studies = (*self.studies, study)
        problems = _cross_check_studies(studies, self.vocabulary, self.source, {}, start=len(self.studies))
        evaluation, cycle = _evaluations(studies)
        problems += [EvidenceProblem(self.source, None, f"study '{sid}'", "same_evaluation_as", msg)
                     for sid, msg in cycle]
        if problems:
            raise EvidenceFileError(problems)
        search = self.search
        return EvidenceBase(self.source, self.info, self.vocabulary, studies, search, self.grading, self.statements,
                            self.syntheses, evaluation)

    # -- display --------------------------------------------------------------------------------------------
    def _summary(self) -> str:
        countries = pd.Series([s.country for s in self.studies]).value_counts()
        years = [s.year for s in self.studies]
        span = f", {min(years)}-{max(years)}" if years else ""
        return (f"{len(self.studies)} studies ({', '.join(f'{c} {n}' for c, n in countries.items())}{span}), "
                f"{sum(len(s.findings) for s in self.studies)} findings")

    def __repr__(self) -> str:
        title = self.info.title or self.info.id or Path(self.source).name
        return f"EvidenceBase({title!r}: {self._summary()})"

    def _repr_html_(self) -> str:
        title = html.escape(self.info.title or self.info.id or Path(self.source).name)
        return (f"<p><b>{title}</b><br>{html.escape(self._summary())}</p>"
                + self.to_frame().drop(columns=["title"]).to_html(index=False, na_rep=""))


def load_base(path: str | Path) -> EvidenceBase:
    """Read and check the evidence-base YAML file at ``path``."""
    p = Path(path)
    if not p.is_file():
        raise EvidenceFileError([EvidenceProblem(str(p), None, "", "", "file not found")])
    return loads_base(p.read_text(encoding="utf-8"), source=str(p))


def loads_base(text: str, source: str = "<string>") -> EvidenceBase:
    """Check an evidence base given as YAML text; ``source`` names it in error messages."""
    raw, lines, problems = read_yaml_with_lines(text, source)
    if not isinstance(raw, dict):
        what = "the file is empty" if raw is None else "the file is not a mapping"
        raise EvidenceFileError([*problems, EvidenceProblem(source, 1, "", "", f"{what}; expected format_version: 1 "
                                                                               "and a list of studies")])
    if "format_version" not in raw:
        raise EvidenceFileError([*problems, EvidenceProblem(source, 1, "", "format_version",
                                                            "missing; the first line should be format_version: 1")])

    def located(loc: Loc, message: str) -> EvidenceProblem:
        return _problem(source, lines, raw, loc, message)

    top = None
    try:
        top = BaseFile.model_validate(raw)
    except ValidationError as exc:
        problems += [located(loc, msg) for loc, msg in _messages(exc, (), BaseFile)]
        if any(loc[:1] == ("format_version",) for loc, _ in _messages(exc, (), BaseFile)):
            raise EvidenceFileError(problems) from None

    studies: list[Study] = []
    got = raw.get("studies")
    raw_studies: list[Any] = got if isinstance(got, list) else []
    valid_at: dict[int, int] = {}  # position in `studies` -> position in the file
    for i, item in enumerate(raw_studies):
        try:
            studies.append(Study.model_validate(item))
            valid_at[len(studies) - 1] = i
        except ValidationError as exc:
            problems += [located(loc, msg) for loc, msg in _messages(exc, ("studies", i), Study)]

    vocab_spec = top.vocabulary if top is not None else None
    vocabulary, vocab_issues = extend(vocab_spec)
    problems += [located(loc, msg) for loc, msg in vocab_issues]
    problems += _cross_check_studies(studies, vocabulary, source, lines, raw=raw, positions=valid_at)
    evaluation, cycles = _evaluations(studies)
    for sid, msg in cycles:
        i = valid_at[[s.id for s in studies].index(sid)]
        problems.append(located(("studies", i, "same_evaluation_as"), msg))
    if top is None:
        raise EvidenceFileError(problems)

    base = EvidenceBase(source, top.base, vocabulary, tuple(studies), top.search, top.grading,
                        tuple(top.statements), tuple(top.syntheses), evaluation)
    problems += [located(loc, msg) for loc, msg in _check_statements(top.statements, vocabulary)]
    if top.search is not None:
        from virkning.evidence.flow import check_search
        from_search = sum(1 for item in raw_studies if not isinstance(item, dict) or
                          item.get("origin", "search") == "search")
        problems += [located(("search", *loc), msg) for loc, msg in check_search(top.search, from_search)]
    if top.grading is not None:
        from virkning.evidence.grading import rule_problems
        problems += [located(("grading", *loc), msg) for loc, msg in rule_problems(top.grading)]
    from virkning.evidence.synthesis import select_findings
    seen: dict[str, int] = {}
    for i, spec in enumerate(top.syntheses):
        if spec.id in seen:
            problems.append(located(("syntheses", i, "id"), f"synthesis id '{spec.id}' is already used "
                                                             f"(synthesis {seen[spec.id] + 1})"))
        seen.setdefault(spec.id, i)
        for key, kind in (("outcome", "outcomes"), ("metric", "metrics"), ("core_element", "core_elements")):
            value = getattr(spec, key)
            if value is not None and value not in getattr(vocabulary, kind):
                problems.append(located(("syntheses", i, key), _unknown(value, kind, vocabulary)))
        _, issues, _ = select_findings(base, spec)
        for j, msg in issues:
            problems.append(located(("syntheses", i, "studies", j) if j is not None else ("syntheses", i), msg))
    if problems:
        raise EvidenceFileError(problems)
    return base


def study_to_yaml(study: Study) -> str:
    """A study record as YAML (a list item, to append under ``studies:`` of a base file)."""
    data = study.model_dump(exclude_none=True, exclude_defaults=True)
    data = {"id": study.id, **{k: v for k, v in data.items() if k != "id"}}
    return yaml.safe_dump([data], allow_unicode=True, sort_keys=False, width=110)


# ---------------------------------------------------------------------------------------------------------------
# rules across records
# ---------------------------------------------------------------------------------------------------------------


def _unknown(value: Any, kind: str, vocabulary: Vocabulary) -> str:
    keys = list(getattr(vocabulary, kind))
    close = difflib.get_close_matches(str(value), keys, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return (f"'{value}' is not a declared {kind[:-1].replace('_', ' ')}{hint} Declared: {', '.join(keys)}. "
            f"Add new ones under vocabulary: {kind}:")


def _cross_check_studies(studies: Iterable[Study], vocabulary: Vocabulary, source: str, lines: dict[Loc, int],
                         *, raw: Any = None, positions: dict[int, int] | None = None,
                         start: int = 0) -> list[EvidenceProblem]:
    studies = list(studies)
    problems: list[EvidenceProblem] = []
    ids = [s.id for s in studies]

    def at(k: int, loc: Loc, message: str) -> None:
        i = positions.get(k, k) if positions is not None else k
        if lines:
            problems.append(_problem(source, lines, raw, ("studies", i, *loc), message))
        else:
            problems.append(EvidenceProblem(source, None, f"study '{studies[k].id}'", display(loc), message))

    first: dict[str, int] = {}
    for k, s in enumerate(studies):
        if k < start:
            first.setdefault(s.id, k)
            continue
        if s.id in first:
            j = positions.get(first[s.id], first[s.id]) if positions is not None else first[s.id]
            where = f"line {lines[('studies', j, 'id')]}" if lines and ("studies", j, "id") in lines else \
                f"study {j + 1}"
            at(k, ("id",), f"duplicate study id '{s.id}' (first used on {where}); each study needs its own id")
        first.setdefault(s.id, k)
        for n, key in enumerate(s.core_elements):
            if key not in vocabulary.core_elements:
                at(k, ("core_elements", n), _unknown(key, "core_elements", vocabulary))
        for n, key in enumerate(s.outcomes):
            if key not in vocabulary.outcomes:
                at(k, ("outcomes", n), _unknown(key, "outcomes", vocabulary))
        if s.same_evaluation_as is not None and s.same_evaluation_as not in ids:
            at(k, ("same_evaluation_as",), f"no study '{s.same_evaluation_as}' in the base")
        for n, f in enumerate(s.findings):
            loc = ("findings", n)
            if f.core_element is not None and f.core_element not in s.core_elements:
                msg = (_unknown(f.core_element, "core_elements", vocabulary)
                       if f.core_element not in vocabulary.core_elements else
                       f"'{f.core_element}' is not among the study's core_elements "
                       f"({', '.join(s.core_elements) or 'none'}); add it there or use null")
                at(k, (*loc, "core_element"), msg)
            if f.outcome not in vocabulary.outcomes:
                at(k, (*loc, "outcome"), _unknown(f.outcome, "outcomes", vocabulary))
            elif s.outcomes and f.outcome not in s.outcomes:
                at(k, (*loc, "outcome"), f"'{f.outcome}' is not among the study's outcomes ({', '.join(s.outcomes)})")
            if f.mechanism is not None and f.mechanism not in vocabulary.mechanisms:
                at(k, (*loc, "mechanism"), _unknown(f.mechanism, "mechanisms", vocabulary))
            if f.metric is not None and f.metric not in vocabulary.metrics:
                at(k, (*loc, "metric"), _unknown(f.metric, "metrics", vocabulary))
            elif f.metric is not None:
                sign = _sign_problem(f, vocabulary)
                if sign:
                    at(k, (*loc, "direction"), sign)
    return problems


def _sign_problem(f: Any, vocabulary: Vocabulary) -> str | None:
    """A significant number whose sign contradicts the stated direction (a sign slip when entering it)."""
    favourable = vocabulary.metrics[f.metric].favourable
    if favourable is None or f.value is None or f.direction not in ("positive", "negative") or f.significant is False:
        return None
    ends = f.value if isinstance(f.value, list) else [f.value]
    good = {math.copysign(1, x) * (1 if favourable == "higher" else -1) > 0 for x in ends if x != 0}
    if len(good) != 1:
        return None
    if good == {True} and f.direction == "negative" or good == {False} and f.direction == "positive":
        unit = vocabulary.metrics[f.metric]
        return (f"direction '{f.direction}' contradicts the value {f.value_text()} {unit.unit} ({f.metric}: "
                f"{favourable} is favourable); fix the sign of the value or the direction")
    return None


def _evaluations(studies: Iterable[Study]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Map each study to the id that stands for its evaluation (the first publication of the group in file
    order), following ``same_evaluation_as`` both ways; report cycles."""
    studies = list(studies)
    order = {s.id: i for i, s in enumerate(studies)}
    parent = {s.id: s.id for s in studies}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    problems = []
    for s in studies:
        t = s.same_evaluation_as
        if t is None or t not in parent:
            continue
        a, b = find(s.id), find(t)
        if a == b:
            problems.append((s.id, f"same_evaluation_as '{t}' closes a cycle; point each publication to one "
                                   "other publication of the evaluation"))
            continue
        keep, drop = (a, b) if order[a] <= order[b] else (b, a)
        parent[drop] = keep
    return {s.id: find(s.id) for s in studies}, problems


def _check_statements(statements: Iterable[ReportedStatement], vocabulary: Vocabulary) -> list[tuple[Loc, str]]:
    issues = []
    for i, st in enumerate(statements):
        for key, kind in (("core_element", "core_elements"), ("outcome", "outcomes")):
            value = getattr(st, key)
            if value is not None and value not in getattr(vocabulary, kind):
                issues.append((("statements", i, key), _unknown(value, kind, vocabulary)))
    return issues


# ---------------------------------------------------------------------------------------------------------------
# from pydantic errors to located problems
# ---------------------------------------------------------------------------------------------------------------


def _record(raw: Any, loc: Loc) -> tuple[str, Loc]:
    """('studies', 3, 'method', ...) -> ("study 'rosholm2010'", ('method', ...))."""
    if len(loc) >= 2 and loc[0] in ("studies", "syntheses", "statements") and isinstance(loc[1], int):
        seq = raw.get(loc[0]) if isinstance(raw, dict) else None
        item = seq[loc[1]] if isinstance(seq, list) and loc[1] < len(seq) else None
        ident = item.get("id") if isinstance(item, dict) else None
        noun = {"studies": "study", "syntheses": "synthesis", "statements": "statement"}[loc[0]]
        name = f"{noun} '{ident}'" if isinstance(ident, str) and loc[0] != "statements" else \
            f"{noun} {loc[1] + 1}"
        return name, loc[2:]
    if loc and loc[0] in ("search", "vocabulary", "grading", "base"):
        return loc[0], loc[1:]
    return "", loc


def _written(raw: Any, loc: Loc) -> Loc:
    """``loc`` cut where the file has a plain value: ``reliability: 9`` is reported at 'reliability', not at the
    'reliability.score' the model reads it into."""
    node = raw
    for i, seg in enumerate(loc):
        if isinstance(node, dict):
            if seg not in node:
                return loc[:i + 1]
            node = node[seg]
        elif isinstance(node, list) and isinstance(seg, int) and 0 <= seg < len(node):
            node = node[seg]
        else:
            return loc[:i]
    return loc


def _problem(source: str, lines: dict[Loc, int], raw: Any, loc: Loc, message: str) -> EvidenceProblem:
    if raw is not None:
        loc = _written(raw, loc)
    record, rest = _record(raw, loc)
    return EvidenceProblem(source, line_of(lines, loc), record, display(rest), message)


def _fields_at(model: Any, loc: Loc) -> list[str]:
    """The keys the model allows at ``loc`` (to name them when a key is unknown)."""
    current: Any = model
    for seg in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            if seg not in current.model_fields:
                return []
            current = current.model_fields[seg].annotation
        elif isinstance(seg, int):
            args = typing.get_args(current)
            current = args[0] if args else None
        elif typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unwrap(tp: Any) -> Any:
    """Optional[X] -> X; list/dict are kept for indexing."""
    if typing.get_origin(tp) in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
        return models[0] if models else (args[0] if len(args) == 1 else tp)
    return tp


def _messages(exc: ValidationError, prefix: Loc, model: Any) -> list[tuple[Loc, str]]:
    out = []
    for err in exc.errors():
        loc = tuple(seg for seg in err["loc"] if not (isinstance(seg, str) and (
            seg in _TYPE_TAGS or "[" in seg or "(" in seg or seg.startswith("function-"))))
        kind = err["type"]
        msg = err["msg"].removeprefix("Value error, ")
        if kind == "extra_forbidden":
            allowed = _fields_at(model, loc[:-1])
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            msg = f"unknown key '{loc[-1]}'" + (f"; did you mean '{close[0]}'?" if close else "") + \
                  (f" Allowed here: {', '.join(allowed)}" if allowed else "")
        elif kind == "missing":
            msg = f"required key '{loc[-1]}' is missing"
        elif kind == "literal_error":
            msg = f"expected one of {err['ctx']['expected']}; got {err['input']!r}"
        elif kind in ("int_parsing", "int_type", "int_from_float", "float_parsing", "float_type", "bool_parsing",
                      "bool_type", "string_type", "list_type", "dict_type", "model_type"):
            msg = f"{msg.rstrip('.')}; got {err['input']!r}"
        out.append(((*prefix, *loc), msg))
    return out

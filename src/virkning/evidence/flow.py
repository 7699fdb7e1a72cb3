"""The search flow of an evidence assessment (hits, duplicates, screening, full text, exclusions with reasons,
included) as data, with the characteristics of the included studies.

Numbers the source does not give stay unknown (shown as <NA>); none is derived by subtraction, because a flow
diagram that invents the screening numbers would look more complete than the review was. When numbers are
given, they must add up: identified - duplicates = screened, screened - excluded at screening = assessed in full
text, assessed - excluded in full text = included, each stage's reasons sum to its total, and ``included`` equals
the studies in the base that came from the search (``origin: search``).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from virkning.evidence.model import SearchSpec

if TYPE_CHECKING:
    from virkning.evidence.base import EvidenceBase

STAGE_LABELS = {
    "identified": ("Fundne studier", "Records identified"),
    "duplicates_removed": ("Dubletter fjernet", "Duplicates removed"),
    "screened": ("Screenet (titel/abstract)", "Screened (title/abstract)"),
    "excluded_screening": ("Fravalgt ved screening", "Excluded at screening"),
    "assessed_full_text": ("Vurderet i fuldtekst", "Assessed in full text"),
    "excluded_full_text": ("Fravalgt efter fuldtekst", "Excluded after full text"),
    "included": ("Inkluderet", "Included"),
    "added_after_search": ("Tilføjet efter søgningen", "Added after the search"),
    "in_base": ("Studier i vidensgrundlaget", "Studies in the evidence base"),
}


def _total_hits(spec: SearchSpec) -> int | None:
    hits = [s.hits for s in spec.sources]
    known = [h for h in hits if h is not None]
    return sum(known) if hits and len(known) == len(hits) else None


def _reason_sum(spec: SearchSpec, stage: str) -> int | None:
    ns = [e.n for e in spec.exclusions if e.stage == stage]
    known = [n for n in ns if n is not None]
    return sum(known) if ns and len(known) == len(ns) else None


def check_search(spec: SearchSpec, n_from_search: int) -> list[tuple[tuple, str]]:
    """(loc inside ``search``, message) for numbers that do not add up."""
    issues: list[tuple[tuple, str]] = []
    identified = _total_hits(spec)
    steps = [
        ("screened", identified, spec.duplicates_removed, spec.screened, "identified - duplicates_removed"),
        ("assessed_full_text", spec.screened, spec.excluded_screening, spec.assessed_full_text,
         "screened - excluded_screening"),
        ("included", spec.assessed_full_text, spec.excluded_full_text, spec.included,
         "assessed_full_text - excluded_full_text"),
    ]
    for key, before, removed, after, formula in steps:
        if before is not None and removed is not None and after is not None and before - removed != after:
            issues.append(((key,), f"{key} = {after}, but {formula} = {before} - {removed} = {before - removed}"))
    chain = [("identified (sum of sources' hits)", identified), ("screened", spec.screened),
             ("assessed_full_text", spec.assessed_full_text), ("included", spec.included)]
    known = [(k, v) for k, v in chain if v is not None]
    for (k1, v1), (k2, v2) in zip(known, known[1:]):
        if v2 > v1:
            issues.append(((k2.split(" ")[0],), f"{k2} = {v2} exceeds {k1} = {v1}; a later stage cannot hold more"))
    for stage, total_key in (("screening", "excluded_screening"), ("full_text", "excluded_full_text")):
        total, summed = getattr(spec, total_key), _reason_sum(spec, stage)
        if total is not None and summed is not None and total != summed:
            issues.append(((total_key,), f"{total_key} = {total}, but the {stage} exclusion reasons add up to "
                                         f"{summed}"))
    if spec.included is not None and spec.included != n_from_search:
        issues.append((("included",), f"included = {spec.included}, but the base holds {n_from_search} studies from "
                                      "the search (origin: search); list every included study, or mark studies added "
                                      "later with origin: own_evaluation or added"))
    return issues


@dataclass(frozen=True, repr=False)
class SearchFlow:
    """The flow as stages (``to_frame()``), the exclusion reasons, and the included studies' characteristics
    (``characteristics()``: country, core element (counting each evaluation once), design, year)."""

    method: str | None
    stages: pd.DataFrame
    exclusions: pd.DataFrame
    study_characteristics: pd.DataFrame
    eligibility: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    source: str | None = None
    added_after_search: tuple[str, ...] = field(default_factory=tuple)

    def n(self, stage: str) -> int | None:
        """The number at ``stage`` (see STAGE_LABELS), or None when the source does not give it."""
        row = self.stages.loc[self.stages["stage"] == stage, "n"]
        if row.empty:
            raise KeyError(f"no stage {stage!r}; stages are {', '.join(self.stages['stage'])}")
        return None if pd.isna(row.iloc[0]) else int(row.iloc[0])

    def to_frame(self) -> pd.DataFrame:
        return self.stages.copy()

    def characteristics(self, dimension: str | None = None) -> pd.DataFrame:
        frame = self.study_characteristics
        return (frame if dimension is None else frame[frame["dimension"] == dimension]).reset_index(drop=True)

    def counts(self, dimension: str) -> dict[str, int]:
        """{value: studies} for one dimension, e.g. counts('country') -> {'DK': 10, 'IT': 1, 'SE': 1}."""
        frame = self.characteristics(dimension)
        return dict(zip(frame["value"].astype(str), frame["studies"].astype(int)))

    def diagram(self, language: str = "da") -> str:
        """The flow as a Mermaid flowchart (top to bottom); unknown numbers are shown as 'n = ?'."""
        k = 1 if language == "en" else 0
        out = ["flowchart TD"]
        main = [r for r in self.stages.itertuples() if r.stage in ("identified", "screened", "assessed_full_text",
                                                                   "included")]
        for r in main:
            n = _n_text(r.n)
            out.append(f'  {r.stage}["{STAGE_LABELS[cast(str, r.stage)][k]}: n = {n}"]')
        for a, b in zip(main, main[1:]):
            out.append(f"  {a.stage} --> {b.stage}")
        for stage, anchor in (("excluded_screening", "screened"), ("excluded_full_text", "assessed_full_text")):
            stated = self.n(stage)
            reasons = self.exclusions[self.exclusions["stage"] == stage.removeprefix("excluded_")]
            detail = "".join(f"<br>{html.escape(cast(str, x.reason))}: {_n_text(x.n)}"
                             for x in reasons.itertuples())
            out.append(f'  {stage}["{STAGE_LABELS[stage][k]}: n = {"?" if stated is None else stated}{detail}"]')
            out.append(f"  {anchor} --> {stage}")
        return "\n".join(out)

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "stages": _records(self.stages), "exclusions": _records(self.exclusions),
                "characteristics": _records(self.study_characteristics), "eligibility": list(self.eligibility),
                "notes": list(self.notes), "source": self.source, "added_after_search": list(self.added_after_search)}

    def _lines(self) -> list[str]:
        parts = []
        for r in self.stages.itertuples():
            if r.stage in ("identified", "screened", "assessed_full_text", "included", "in_base"):
                parts.append(f"{cast(str, r.stage)} {_n_text(r.n)}")
        countries = ", ".join(f"{k} {v}" for k, v in self.counts("country").items())
        return [f"Search flow ({self.method or 'method not stated'}): " + " -> ".join(parts),
                f"included studies by country: {countries}"]

    def __repr__(self) -> str:
        return "SearchFlow(" + "; ".join(self._lines()) + ")"

    def _repr_html_(self) -> str:
        return ("<p>" + "<br>".join(html.escape(x) for x in self._lines()) + "</p>"
                + self.stages.to_html(index=False, na_rep="?"))


def _n_text(n: Any) -> str:
    # a stage count as shown: the number, or "?" where the base does not state it (NaN in the frame)
    return "?" if pd.isna(n) else str(int(n))


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): (None if not isinstance(v, (list, tuple)) and pd.isna(v) else v) for k, v in row.items()}
            for row in frame.to_dict(orient="records")]


def search_flow(base: EvidenceBase) -> SearchFlow:
    """The search flow of ``base`` (its ``search:`` section) and the characteristics of its studies."""
    from virkning.evidence.base import EvidenceBase
    from virkning.errors import DesignError

    if not isinstance(base, EvidenceBase):
        raise DesignError(f"option 'base': expected an EvidenceBase (from load_base); got {type(base).__name__}.")
    spec = base.search or SearchSpec()
    rows: list[dict[str, Any]] = []

    def add(stage: str, n: int | None, note: str | None = None, source_name: str | None = None) -> None:
        da, en = STAGE_LABELS[stage]
        rows.append({"stage": stage, "source": source_name, "n": n, "label_da": da, "label_en": en, "note": note})

    for s in spec.sources:
        add("identified", s.hits, s.note, s.name)
    if len(spec.sources) != 1:
        add("identified", _total_hits(spec), "sum over sources" if spec.sources else "no source listed")
        if len(spec.sources) > 1:
            rows[-1]["source"] = "all"
    add("duplicates_removed", spec.duplicates_removed)
    add("screened", spec.screened)
    add("excluded_screening", spec.excluded_screening if spec.excluded_screening is not None else
        _reason_sum(spec, "screening"), None if spec.excluded_screening is not None or
        _reason_sum(spec, "screening") is None else "sum of the reasons")
    add("assessed_full_text", spec.assessed_full_text)
    add("excluded_full_text", spec.excluded_full_text if spec.excluded_full_text is not None else
        _reason_sum(spec, "full_text"), None if spec.excluded_full_text is not None or
        _reason_sum(spec, "full_text") is None else "sum of the reasons")
    add("included", spec.included)
    added = tuple(s.id for s in base.studies if s.origin != "search")
    if added:
        add("added_after_search", len(added), ", ".join(added))
    add("in_base", len(base.studies))
    stages = pd.DataFrame(rows, columns=["stage", "source", "n", "label_da", "label_en", "note"])
    stages["n"] = stages["n"].astype("Int64")
    exclusions = pd.DataFrame([e.model_dump() for e in spec.exclusions], columns=["stage", "reason", "n"])
    exclusions["n"] = exclusions["n"].astype("Int64")

    included = [s for s in base.studies if s.origin == "search"]
    chars: list[dict[str, Any]] = []
    for dim, values in (("country", [s.country for s in included]), ("design", [s.design for s in included]),
                        ("year", [s.year for s in included])):
        counts = pd.Series(values, dtype=object).value_counts()
        counts = counts.sort_index() if dim == "year" else counts.sort_values(ascending=False, kind="stable")
        chars += [{"dimension": dim, "value": v, "studies": int(n)} for v, n in counts.items()]
    for key in base.vocabulary.core_elements:
        evaluations = {base.evaluation(s.id) for s in included if key in s.core_elements}
        chars.append({"dimension": "core_element", "value": key, "studies": len(evaluations)})
    characteristics = pd.DataFrame(chars, columns=["dimension", "value", "studies"])
    return SearchFlow(spec.method, stages, exclusions, characteristics, tuple(spec.eligibility), tuple(spec.notes),
                      spec.source, added)

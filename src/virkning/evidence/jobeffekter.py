"""STAR's jobeffekter.dk weighting algorithm as an evidence rule, with the source of every number.

What jobeffekter.dk publishes (pages read in their stored public copies; addresses in ``SOURCES``):

1. Every study result gets a *knowledge contribution* = quality weight x method weight x geography weight x
   publication weight x combination factor (the "vægte" and "kombinationsfaktor" pages; the worked example on
   "om algoritmen": 0.5 x 0.8 x 1 x 0.5 x 1 = 0.20). When a study yields several results in the searched
   category, they share it (the English worked example: two results, 0.20 -> 0.10 each).
2. The *knowledge stock* is the sum of the contributions; below 1 the conclusion is "Få studier" (few studies)
   ("beregninger", step 2).
3. Each result points +1, 0 or -1 (a significant positive effect, no effect, a significant negative effect); the
   stock behind each direction is summed, and a direction is the job effect when it holds at least 55 % of the
   stock ("fortolkning"); otherwise the conclusion is "Modstridende" (conflicting).
4. Only studies published after 1995 from OECD countries are included; quantitative evaluations without a
   comparison group are not counted ("hvordan regner jobeffekter.dk").

Published weights: quality good 1 / satisfactory 0.5 / not satisfactory 0.25; econometric/statistical effect
study 0.8; Denmark 1; not published in a scientific journal 0.5; combination factor 1 / 0.5 / 0.25. Implied: the
maximum weight 1 goes to a Danish randomised trial in a top-ranked journal with the best quality mark, so a
randomised trial, Denmark and a top-ranked journal weigh 1 each.

What the stored public description does not give, and what virkning chose (each can be overridden):

- how a 1-5 reliability score maps to good/satisfactory/not satisfactory: 4-5 good, 3 satisfactory, 1-2 not
  satisfactory (thirds of the scale);
- the method weight of a controlled trial whose randomisation is not stated: 0.8, as an effect study;
- reviews, meta-analyses and expert reports: left out (jobeffekter.dk holds results of primary studies);
- geography outside Denmark: 0.75 for the other Nordic countries, 0.5 for other OECD countries;
- a journal that is not marked top-tier: 0.75;
- the evidence level (jobeffekter.dk's steps 4-6): not computed, its thresholds were not in the pages we could read.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from virkning.errors import DesignError
from virkning.evidence.grading import Statement, _check_number, appraisal_exclusion, effective_direction
from virkning.evidence.model import Study

if TYPE_CHECKING:
    from virkning.evidence.base import EvidenceBase

SOURCES = {
    "weights": "https://jobeffekter.dk/om-jobeffekter/om-algoritmen/vaegte/",
    "example": "https://www.jobeffekter.dk/om-jobeffekter/om-algoritmen/",
    "example_en": "https://www.jobeffekter.dk/en/about-jobeffekterdk/om-algoritmen/",
    "combination": "https://www.jobeffekter.dk/om-jobeffekter/om-algoritmen/kombinationsfaktor/",
    "calculations": "https://www.jobeffekter.dk/om-jobeffekter/om-algoritmen/beregninger/",
    "interpretation": "https://jobeffekter.dk/om-jobeffekter/fortolkning/",
    "inclusion": "https://www.jobeffekter.dk/om-jobeffekterdk/hvordan-regner-jobeffekter.aspx",
}

# OECD members (38, 2024), ISO 3166 alpha-2; jobeffekter.dk includes studies from OECD countries only.
OECD = frozenset("AT AU BE CA CH CL CO CR CZ DE DK EE ES FI FR GB GR HU IE IL IS IT JP KR LT LU LV MX NL NO NZ PL "
                 "PT SE SI SK TR US".split())
NORDIC = frozenset({"SE", "NO", "FI", "IS"})  # besides Denmark

QUALITY_LABELS = {"good": "God", "satisfactory": "Tilfredsstillende", "unsatisfactory": "Ikke tilfredsstillende"}
CONCLUSIONS = {
    "positive": ("Positiv jobeffekt", "Positive job effect"),
    "negative": ("Negativ jobeffekt", "Negative job effect"),
    "none": ("Ingen jobeffekt", "No job effect"),
    "few_studies": ("Få studier", "Few studies"),
    "conflicting": ("Modstridende", "Conflicting"),
}


def _default_quality_map() -> dict[int, str]:
    return {5: "good", 4: "good", 3: "satisfactory", 2: "unsatisfactory", 1: "unsatisfactory"}


@dataclass(frozen=True)
class JobeffekterRule:
    """jobeffekter.dk's knowledge stock and 55 % rule (see the module docstring for every number's source)."""

    quality_from_reliability: dict[int, str] = field(default_factory=_default_quality_map)
    quality_weights: dict[str, float] = field(default_factory=lambda: {"good": 1.0, "satisfactory": 0.5,
                                                                       "unsatisfactory": 0.25})
    method_weights: dict[str, float] = field(default_factory=lambda: {"rct": 1.0, "quasi_experimental": 0.8,
                                                                      "controlled_trial": 0.8, "descriptive": 0.0})
    geography_weights: dict[str, float] = field(default_factory=lambda: {"DK": 1.0, "nordic": 0.75, "oecd": 0.5})
    publication_weights: dict[str, float] = field(default_factory=lambda: {"top_tier_journal": 1.0, "journal": 0.75,
                                                                           "not_journal": 0.5})
    combination_weights: dict[str, float] = field(default_factory=lambda: {"none": 1.0, "one": 0.5, "both": 0.25})
    min_stock: float = 1.0
    dominance: float = 0.55
    published_after: int = 1995
    share_multiple_results: bool = True
    include_proposed: bool = False

    name = "jobeffekter"

    def __post_init__(self) -> None:
        for p in ("quality_from_reliability", "quality_weights", "method_weights", "geography_weights",
                  "publication_weights", "combination_weights"):
            if not isinstance(getattr(self, p), dict):
                raise DesignError(f"rule 'jobeffekter', parameter '{p}': expected a mapping; got "
                                  f"{getattr(self, p)!r}.")
        for s, q in self.quality_from_reliability.items():
            if s not in (1, 2, 3, 4, 5) or q not in self.quality_weights:
                raise DesignError(f"rule 'jobeffekter', parameter 'quality_from_reliability': expected scores 1-5 "
                                  f"mapped to one of {', '.join(self.quality_weights)}; got {s!r}: {q!r}.")
        for p in ("quality_weights", "method_weights", "geography_weights", "publication_weights",
                  "combination_weights"):
            for k, v in getattr(self, p).items():
                _check_number(self.name, f"{p}.{k}", v, 0, 1)
        for keys, p in ((("good", "satisfactory", "unsatisfactory"), "quality_weights"),
                        (("top_tier_journal", "journal", "not_journal"), "publication_weights"),
                        (("none", "one", "both"), "combination_weights")):
            missing = [k for k in keys if k not in getattr(self, p)]
            if missing:
                raise DesignError(f"rule 'jobeffekter', parameter '{p}': missing {', '.join(missing)}.")
        _check_number(self.name, "min_stock", self.min_stock, 0)
        _check_number(self.name, "dominance", self.dominance, 0.5, 1)
        _check_number(self.name, "published_after", self.published_after, 0)
        for p in ("share_multiple_results", "include_proposed"):
            if not isinstance(getattr(self, p), bool):
                raise DesignError(f"rule 'jobeffekter', parameter '{p}': expected true or false; "
                                  f"got {getattr(self, p)!r}.")

    @property
    def label(self) -> str:
        return "jobeffekter.dk weighting (STAR)"

    def parameters(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    # -- the weights of one result --------------------------------------------------------------------------
    def weights(self, study: Study, finding: Any) -> tuple[dict[str, float | None], str | None]:
        """The five weights of a result, and why it is left out (or None)."""
        w: dict[str, float | None] = {k: None for k in ("quality", "method", "geography", "publication",
                                                         "combination")}
        why = appraisal_exclusion(study, self.include_proposed)
        if why:
            return w, why
        if study.year <= self.published_after:
            return w, f"published {study.year}, not after {self.published_after}"
        low = study.method.reliability.low
        quality = self.quality_from_reliability.get(low) if low is not None else None
        if quality is None:
            return w, f"reliability {study.method.reliability.low} has no quality mark in quality_from_reliability"
        w["quality"] = self.quality_weights[quality]
        if study.design not in self.method_weights:
            return w, f"design '{study.design}' is not a primary effect study (jobeffekter.dk weighs study results)"
        w["method"] = self.method_weights[study.design]
        if w["method"] == 0:
            return w, "no comparison group: not counted (jobeffekter.dk)"
        if study.country in self.geography_weights:
            w["geography"] = self.geography_weights[study.country]
        elif study.country in NORDIC and "nordic" in self.geography_weights:
            w["geography"] = self.geography_weights["nordic"]
        elif study.country in OECD and "oecd" in self.geography_weights:
            w["geography"] = self.geography_weights["oecd"]
        else:
            return w, f"country {study.country} is outside the OECD (jobeffekter.dk includes OECD studies)"
        pub = study.publication
        key = "not_journal" if pub is None or pub.type != "journal" else \
            "top_tier_journal" if pub.top_tier else "journal"
        w["publication"] = self.publication_weights[key]
        n_comb = int(finding.combination in ("intervention", "both")) + int(
            finding.combination in ("target_group", "both") or finding.subgroup is not None)
        w["combination"] = self.combination_weights[("none", "one", "both")[n_comb]]
        return w, None

    def grade_cell(self, base: EvidenceBase, cell: tuple, items: list[tuple[Study, str, Any]]
                   ) -> tuple[Statement, list[dict[str, Any]]]:
        rows = []
        for study, fid, f in items:
            w, why = self.weights(study, f)
            d = effective_direction(f)
            if why is None and d == "unknown":
                why = "direction unknown"
            product = None
            if why is None:
                product = 1.0
                for v in w.values():
                    assert v is not None  # weights() sets all five weights whenever it gives no reason
                    product *= v
            rows.append({**dict(cell), "study": study.id, "finding": fid, "evaluation": base.evaluation(study.id),
                         "direction": d, **{f"w_{k}": v for k, v in w.items()}, "weight": product,
                         "used": why is None, "reason": why, "reported_grade": f.reported_grade})
        used = [r for r in rows if r["used"]]
        if self.share_multiple_results:
            per_eval: dict[str, int] = {}
            for r in used:
                per_eval[r["evaluation"]] = per_eval.get(r["evaluation"], 0) + 1
            for r in used:
                r["results_in_study"] = per_eval[r["evaluation"]]
                r["weight"] = r["weight"] / per_eval[r["evaluation"]]
        stock = sum(r["weight"] for r in used)
        by_dir = {d: sum(r["weight"] for r in used if r["direction"] == d) for d in ("positive", "none", "negative")}
        studies = tuple(dict.fromkeys(r["study"] for r in used))
        def num(x: float, decimals: int, da: bool) -> str:
            text = f"{x:.{decimals}f}"
            return text.replace(".", ",") if da else text

        names = {"positive": "positiv", "none": "ingen effekt", "negative": "negativ"}
        tally = ", ".join(f"{d} {v:.3f}" for d, v in by_dir.items() if v > 0)
        tally_da = ", ".join(f"{names[d]} {num(v, 3, True)}" for d, v in by_dir.items() if v > 0)
        k = len(studies)
        text = f"knowledge stock {stock:.3f}" + (f" ({tally})" if tally else "") + \
            f" from {len(used)} result(s) of {k} stud{'y' if k == 1 else 'ies'}"
        text_da = f"vidensmængde {num(stock, 3, True)}" + (f" ({tally_da})" if tally_da else "") + \
            f" fra {len(used)} resultat(er) i {k} studie{'' if k == 1 else 'r'}"
        eps = 1e-12  # the stock is a sum of products of decimals; 0.55 of it should count as 0.55
        if stock < self.min_stock - eps:
            key, direction, share = "few_studies", None, None
            text += f"; below {self.min_stock:g}: few studies"
            text_da += f"; under {num(self.min_stock, 0 if self.min_stock == int(self.min_stock) else 2, True)}: " \
                       "få studier"
        else:
            winner = max(by_dir, key=lambda d: by_dir[d])
            share = by_dir[winner] / stock
            if share >= self.dominance - eps:
                key, direction = winner, winner
                text += f"; {winner} holds {share:.1%} of the stock (at least {self.dominance:.0%})"
                text_da += (f"; {names[winner]} rummer {num(100 * share, 1, True)} % af vidensmængden (mindst "
                            f"{num(100 * self.dominance, 0, True)} %)")
            else:
                key, direction = "conflicting", None
                text += f"; no direction holds {self.dominance:.0%} of the stock (largest: {winner} {share:.1%})"
                text_da += (f"; ingen retning rummer {num(100 * self.dominance, 0, True)} % af vidensmængden "
                            f"(største: {names[winner]} {num(100 * share, 1, True)} %)")
        text += "; evidence level (stars) not computed"
        text_da += "; evidensniveau (stjerner) ikke beregnet"
        da, en = CONCLUSIONS[key]
        grade = "dominant" if direction else key
        statement = Statement(cell, direction, grade, da, en, self.label, text, studies, knowledge_stock=stock,
                              share=share, reason_da=text_da)
        return statement, rows

    def sources(self) -> pd.DataFrame:
        """Every number of the rule with its status ('published', 'implied', 'chosen by virkning' or 'set by the
        user') and where it comes from."""
        default = JobeffekterRule()
        rows = []

        def add(param: str, key: Any, value: Any, status: str, source: str) -> None:
            current = getattr(self, param)[key] if isinstance(getattr(self, param), dict) else getattr(self, param)
            changed = current != value
            rows.append({"parameter": param, "key": key, "value": current,
                         "status": "set by the user" if changed else status,
                         "source": "" if changed else source})

        for k, st in (("good", "published"), ("satisfactory", "published"), ("unsatisfactory", "published")):
            add("quality_weights", k, default.quality_weights[k], st, SOURCES["weights"])
        for s in (5, 4, 3, 2, 1):
            add("quality_from_reliability", s, default.quality_from_reliability[s], "chosen by virkning",
                "jobeffekter.dk rates good/satisfactory/not satisfactory; thirds of the 1-5 scale")
        add("method_weights", "rct", 1.0, "implied", f"maximum weight 1 for a Danish RCT ({SOURCES['weights']})")
        add("method_weights", "quasi_experimental", 0.8, "published", f"worked example ({SOURCES['example']})")
        add("method_weights", "controlled_trial", 0.8, "chosen by virkning", "randomisation not stated: as an effect "
                                                                             "study")
        add("method_weights", "descriptive", 0.0, "published", f"not counted ({SOURCES['inclusion']})")
        add("geography_weights", "DK", 1.0, "published", f"worked example ({SOURCES['example']})")
        add("geography_weights", "nordic", 0.75, "chosen by virkning", "not in the public description")
        add("geography_weights", "oecd", 0.5, "chosen by virkning", "not in the public description; non-OECD "
                                                                    f"excluded ({SOURCES['inclusion']})")
        add("publication_weights", "top_tier_journal", 1.0, "implied", f"maximum weight 1 ({SOURCES['weights']})")
        add("publication_weights", "journal", 0.75, "chosen by virkning", "not in the public description")
        add("publication_weights", "not_journal", 0.5, "published", f"worked example ({SOURCES['example']})")
        for k, v in (("none", 1.0), ("one", 0.5), ("both", 0.25)):
            add("combination_weights", k, v, "published", SOURCES["combination"])
        add("share_multiple_results", None, True, "published", f"English worked example ({SOURCES['example_en']})")
        add("min_stock", None, 1.0, "published", SOURCES["calculations"])
        add("dominance", None, 0.55, "published", SOURCES["interpretation"])
        add("published_after", None, 1995, "published", SOURCES["inclusion"])
        return pd.DataFrame(rows)

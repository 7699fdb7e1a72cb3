"""One language at a time: the Danish report of the demo's evaluation holds no English and no raw design keys, the
English report no Danish (issue 19, item 3).

The vocabularies are built from what the code can emit, not picked by hand: every (Danish, English) string table
of the report (shared words, the effect evaluation's words, labels of variables, levels, flow steps, design options
and methods, the DREAM catalogue's state labels), the words the outcome and covariate grammars write for every
state, and the two method-appendix templates. A word counts as English when it occurs only on the English side of
those tables (and vice versa for Danish), less a short list of terms both languages use.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from virkning.analyses.effect import conclusions, extras_report, figure_data
from virkning.analyses.effect import strings as effect_strings
from virkning.analyses.effect.spec import EffectSpec, MatchingSpec, OutcomeSpec, ParticipantsSpec, PoolSpec
from virkning.outcomes import Outcome, definition, label, phrase
from virkning.registers import catalogue
from virkning.report import labels
from virkning.report import strings as report_strings
from virkning.report.formatting import Formatter

TEMPLATES = Path(extras_report.__file__).parent / "templates"

# Names and loanwords both languages write the same way: statistical terms without a Danish word in use (the
# Danish evaluations write "propensity score", "bootstrap", "odds"), method and plot names, and abbreviations.
SHARED = {"propensity", "score", "logit", "bootstrap", "gamma", "smd", "att", "kaplan", "meier", "love", "plot",
          "forest", "caliper", "matching", "odds", "e", "p", "z", "or", "ki", "ci", "rar", "kvu", "mvu", "lvu",
          "dream", "eindkomst", "iso", "mahalanobis", "rosenbaum", "vanderweele", "ding", "mcnemar", "wald",
          "kolmogorov", "smirnov", "cobalt", "matchit", "seed", "logistic", "m", "w", "sd", "rematch"}
# Words spelled alike in both languages that the tables happen to use on one side only.
FALSE_FRIENDS = {"positive", "under", "over", "i", "a"}


def words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-zÆØÅæøåÉé]+", text)}


def pairs() -> list[tuple[str, str]]:
    """Every (Danish, English) pair of the report's string tables and label tables."""
    out: list[tuple[str, str]] = []
    for table in (report_strings._UI, effect_strings.EFFECT_UI, extras_report.EXTRA_UI, figure_data.FIGURE_UI,
                  labels.VARIABLES, labels.LEVELS, labels.SUBGROUPS, labels.DISCARD, labels.DISTANCE,
                  labels.CENSORING, labels.SE, labels.ADJUST, labels.POOL_PARTICIPANTS, labels.DESIGN_KEYS,
                  catalogue.LABELS):
        out += [tuple(v) for v in table.values()]
    out += [(da, en) for _, da, en in labels._STEPS + labels._METHODS]
    out += list(conclusions.CONCLUSIONS_UI.values()) + [words for _, words in conclusions._GAMMA_WORDS]
    out.append((labels.event(None, "da"), labels.event(None, "en")))
    # what the grammars write for every state, group and monthly status
    names = [*catalogue.STATES, *catalogue.GROUPS, *catalogue.MONTHLY_STATUSES]
    for s in names:
        for kind in ("first_exit", "status_share"):
            o = Outcome("x", kind, s, 7)
            out += [(f(o, "da"), f(o, "en")) for f in (label, phrase, definition)]
        for cov in (f"weeks_{s}_52w", f"spell_{s}", f"in_{s}_-1"):
            out.append((labels.variable(cov, "da"), labels.variable(cov, "en")))
    o = Outcome("x", "benefit_weeks", None, 7)
    out += [(f(o, "da"), f(o, "en")) for f in (label, phrase, definition)]
    for cov in ("employment_36m", "employment_at_0", "employment_at_-1"):
        out.append((labels.variable(cov, "da"), labels.variable(cov, "en")))
        out.append((labels.condition(cov, ">", 0, "da"), labels.condition(cov, ">", 0, "en")))
    out.append((labels.flow_step("excluded: x (employment_at_0 > 0)", "da"),
                labels.flow_step("excluded: x (employment_at_0 > 0)", "en")))
    return out


def template_text(lang: str) -> str:
    text = (TEMPLATES / f"method_{lang}.html.j2").read_text(encoding="utf-8")
    text = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", " ", text, flags=re.S)
    text = re.sub(r"<code>.*?</code>", " ", text, flags=re.S)
    return re.sub(r"<[^>]+>", " ", text)


@pytest.fixture(scope="module")
def vocab() -> dict[str, set[str]]:
    ps = pairs()
    da = words(" ".join(d for d, _ in ps)) | words(template_text("da"))
    en = words(" ".join(e for _, e in ps)) | words(template_text("en"))
    return {"en_only": en - da - SHARED - FALSE_FRIENDS, "da_only": da - en - SHARED - FALSE_FRIENDS}


class _Text(HTMLParser):
    """Text a reader meets (headings, tables, SVG text, text alternatives and titles), without the style sheet
    and without <code>: code marks a design-file name as written in the design (the method appendix says so)."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "code"):
            self.skip += 1
        for k, v in attrs:
            if k in ("aria-label", "alt", "title") and v:
                self.parts.append(v)

    def handle_endtag(self, tag):
        if tag in ("style", "code"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def reader_text(path: Path) -> str:
    p = _Text()
    p.feed(path.read_text(encoding="utf-8"))
    return " ".join(p.parts)


def names_in_data(bundle: dict) -> set[str]:
    """Words of the design's own names and of the data's values (projects, regions, variant names): the user's
    words, in whatever language the design is written."""
    design = bundle["design"]
    found = [design.get("name", ""), *(design.get("robustness") or {})]
    found += [str(r.get("unit")) for r in bundle.get("participants_by_unit") or []]
    found += [str(r.get("level")) for r in bundle.get("balance") or [] if r.get("level") is not None]
    found += [str(r.get("level")) for r in bundle.get("population_comparison") or [] if r.get("level") is not None]
    for changes in (design.get("robustness") or {}).values():
        found.append(str(changes))  # e.g. the project a variant keeps
    return words(" ".join(found))


def test_vocabularies_are_built_from_the_tables(vocab):
    # the lists are long and hold the words the issue found in the Danish report
    assert len(vocab["en_only"]) > 500 and len(vocab["da_only"]) > 500
    assert {"employed", "cluster", "bootstrap"} - SHARED <= vocab["en_only"]
    assert {"index", "month", "sets", "discarding", "both", "ess"} <= vocab["en_only"]
    assert {"afgang", "måned", "udelukkelse", "kontrolgruppe"} <= vocab["da_only"]


def test_danish_report_has_no_english(demo_reports, vocab):
    text = reader_text(demo_reports["da"])
    english = sorted(words(text) & vocab["en_only"])
    assert not english, [(w, re.findall(rf".{{0,60}}\b{w}\b.{{0,40}}", text, flags=re.I)[:2]) for w in english]


def test_english_report_has_no_danish(demo_reports, demo_bundle, vocab):
    text = reader_text(demo_reports["en"])
    danish = sorted(words(text) & vocab["da_only"] - names_in_data(demo_bundle))
    assert not danish, [(w, re.findall(rf".{{0,60}}\b{w}\b.{{0,40}}", text, flags=re.I)[:2]) for w in danish]
    letters = {w for w in words(text) if re.search("[æøå]", w)} - names_in_data(demo_bundle)
    assert not letters, letters


def design_keys() -> set[str]:
    keys = set()
    for model in (EffectSpec, MatchingSpec, OutcomeSpec, ParticipantsSpec, PoolSpec):
        for name, field in model.model_fields.items():
            keys |= {name, field.alias or name}
    return keys


# the raw values of the design's options (the keys of the label tables that put them in words)
RAW_VALUES = {*labels.DISCARD, *labels.DISTANCE, *labels.CENSORING, *labels.SE, *labels.ADJUST,
              *labels.POOL_PARTICIPANTS}


@pytest.mark.parametrize("lang", ["da", "en"])
def test_no_raw_design_keys(demo_reports, lang):
    text = reader_text(demo_reports[lang])
    assert not re.findall(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b", text)  # snake_case names of the design file
    assert "= [" not in text and "= {" not in text
    assert not re.findall(r"\b[a-z_]+(?:\.[a-z_]+)+\s*[:=]", text)  # participants.units = ...
    keys, values = "|".join(sorted(design_keys())), "|".join(sorted(RAW_VALUES))
    raw = re.findall(rf"\b(?:{keys})\s*[:=]\s*[\"']?(?:{values})\b", text)
    assert not raw, raw  # e.g. "discard: both"


@pytest.mark.parametrize("lang", ["da", "en"])
def test_p_values_read_as_relations(demo_reports, lang):
    text = reader_text(demo_reports[lang])
    assert "p = <" not in text and "p = >" not in text
    # every printed p-value is "p = x" with x of at least 0.001 in the report's decimal mark, or "p < 0,001"
    mark = "," if lang == "da" else "."
    found = re.findall(r"\bp ([<=>]) (\d+[.,]\d+)", text)
    assert len(found) >= 5, found
    for op, value in found:
        assert mark in value and (op == "=" and float(value.replace(",", ".")) >= 0.001
                                  or op == "<" and value == f"0{mark}001"), (op, value)


def test_robustness_variants_in_words(demo_reports):
    da = reader_text(demo_reports["da"])
    assert "Deltagere, enheder: Seniorvikar Kolding" in da
    assert "Puljen, alder: 55-65 år" in da
    en = reader_text(demo_reports["en"])
    assert "Pool, age: 55-65" in en and "Subgroups: none" in en


def test_design_values_in_words():
    assert labels.design_changes({"matching": {"discard": "treated"}, "se": "bootstrap", "sensitivity": False},
                                 "da") == ["Matching, fælles støtte: fravalg blandt deltagerne",
                                           "Usikkerhed: klyngebootstrap over matchede sæt",
                                           "Følsomhed for skjult selektion: nej"]
    assert labels.method("Kaplan-Meier, cluster bootstrap over 1754 groups of matched sets sharing a person",
                         "da") == "Kaplan-Meier, klyngebootstrap over 1.754 grupper af matchede sæt med en fælles person"
    assert labels.method("cluster bootstrap, complete cases per month", "en") == \
        "cluster bootstrap, complete cases per month"
    assert labels.contrast("region", "RAR Hovedstaden vs RAR Fyn", "da") == "RAR Hovedstaden sammenlignet med RAR Fyn"
    assert labels.contrast("sex", "M vs K", "en") == "Man vs Woman"
    assert labels.contrast("age", "per SD (4.52)", "da") == "pr. standardafvigelse (4,52)"
    assert Formatter("da").p(0.0004) == "p < 0,001" and Formatter("en").p(0.0123) == "p = 0.012"
    assert labels.flow_step("common support of the propensity score (discard: both)", "da") == \
        "Inden for propensity-scorens fælles støtte (fravalg i begge grupper)"

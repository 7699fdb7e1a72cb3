"""The evidence report: statements with the studies and the rule behind each, appraisal table, forest plots and
meta-analyses, search flow; Danish and English; written all-or-nothing with a manifest; nothing the disclosure
audit objects to.

References: the statements are `grade(base)`'s (docs/evidence.md works the example's by hand); the meta-analysis in
the report is metafor 3.8-1's fit of dat.bcg (tests/reference/meta, stored) to 1e-6 in the CSV and to the printed
digits in the HTML. The page's structure (sections, tables with their captions and columns, figures) is compared
with gold files in tests/evidence/gold/; after a deliberate change of the report, rewrite them with
VIRKNING_UPDATE_GOLD=1 and review the diff.
"""

from __future__ import annotations

import json
import os
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from evidence_builders import base_yaml, study
from virkning.disclosure.audit import audit
from virkning.evidence import example_path, grade, load_base
from virkning.evidence.report import write_report

GOLD = Path(__file__).parent / "gold"
REF = Path(__file__).resolve().parents[1] / "reference" / "meta"
METAFOR = json.loads((REF / "metafor_reference.json").read_text())
pytestmark = pytest.mark.filterwarnings("ignore::virkning.estimate.meta.MetaAnalysisWarning")


class Page(HTMLParser):
    """Sections (id, title), h3 headings, tables (key -> caption, columns, rows of cell texts), figures (stem,
    caption) and classes of cells, read from the report as a browser would."""

    def __init__(self, text: str):
        super().__init__()
        self.sections: list[list[str]] = []
        self.h3: list[str] = []
        self.tables: dict[str, dict] = {}
        self.figures: list[list[str]] = []
        self.count_cells: list[str] = []
        self._stack: list[str] = []
        self._text: list[str] | None = None
        self._table: dict | None = None
        self._row: list[str] | None = None
        self._cls = ""
        self._figure: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self.sections.append([a.get("id", ""), ""])
        if tag == "div" and (a.get("id") or "").startswith("tab-"):
            self._table = {"caption": "", "columns": [], "rows": []}
            self.tables[a["id"][4:]] = self._table
        if tag == "figure":
            self._figure = [(a.get("id") or "")[4:], ""]
            self.figures.append(self._figure)
        if tag == "tr" and self._table is not None:
            self._row = []
        if tag in ("h2", "h3", "caption", "th", "td", "figcaption"):
            self._text, self._cls = [], a.get("class") or ""
        self._stack.append(tag)

    def handle_endtag(self, tag):
        text = " ".join("".join(self._text or []).split())
        if tag == "h2" and self.sections and self._stack.count("section"):
            self.sections[-1][1] = re.sub(r"^\d+\.\s*", "", text)
        elif tag == "h3":
            self.h3.append(text)
        elif tag == "caption" and self._table is not None:
            self._table["caption"] = re.sub(r"^Tabel \d+\.\s*|^Table \d+\.\s*", "", text)
        elif tag == "th" and self._row is not None:
            self._row.append(text)
        elif tag == "td" and self._row is not None:
            self._row.append(text)
            if "count" in self._cls.split():
                self.count_cells.append(text)
        elif tag == "tr" and self._row is not None and self._table is not None:
            if self._stack.count("thead"):
                self._table["columns"] = self._row
            else:
                self._table["rows"].append(self._row)
            self._row = None
        elif tag == "figcaption" and self._figure is not None:
            self._figure[1] = re.sub(r"^Figur \d+\.\s*|^Figure \d+\.\s*", "", text)
        elif tag == "div" and self._table is not None and self._stack.count("div") == 1:
            pass
        if tag in ("h2", "h3", "caption", "th", "td", "figcaption"):
            self._text = None
        if tag == "table":
            self._table = None
        if self._stack:
            self._stack.pop()

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)

    def structure(self) -> dict:
        return {"sections": self.sections, "h3": self.h3, "figures": self.figures,
                "tables": {k: {"caption": v["caption"], "columns": v["columns"], "rows": len(v["rows"])}
                           for k, v in self.tables.items()}}


def gold(name: str, page: Page) -> None:
    path = GOLD / f"{name}.json"
    found = page.structure()
    if os.environ.get("VIRKNING_UPDATE_GOLD"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(found, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    assert found == json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("evidence_report")
    write_report(example_path(), root / "da")
    write_report(example_path(), root / "en", rule="jobeffekter", language="en")
    return {"da": root / "da", "en": root / "en"}


def page(out: Path) -> Page:
    return Page((out / "report.html").read_text(encoding="utf-8"))


def test_every_statement_with_its_rule_and_studies(reports):
    base = load_base(example_path())
    graded = grade(base)
    p = page(reports["da"])
    rows = p.tables["statements"]["rows"]
    assert p.tables["statements"]["columns"] == ["Kerneelement", "Udfald", "Udsagn", "Studier", "Regel"]
    assert [r[2] for r in rows] == [st.label_da for st in graded.statements]
    assert {r[4] for r in rows} == {"virknings standardregel, version 1 (STARs evidenshierarki)"}
    assert rows[2][:3] == ["Samtaler", "Beskæftigelse", "stærk evidens for positiv effekt"]
    assert rows[2][3] == "Berg et al. (2012), Hägglund (2009), Pedersen et al. (2012), Rosholm og Svarer (2010)"
    assert rows[6][2] == "modstridende viden" and rows[8][2] == "moderat evidens for negativ effekt"
    # per statement: the studies behind it, those in the majority marked Ja, and the Danish reason with its rule
    behind = p.tables["behind_virksomhedsrettede_employment"]
    assert [r[0] for r in behind["rows"]] == ["Ghirelli et al. (2018)", "Kjærsgaard (2009)", "Pedersen et al. (2012)",
                                             "Rosholm og Svarer (2011)"]
    assert [r[5] for r in behind["rows"]] == ["positiv", "blandet", "blandet", "positiv"]
    organisation = p.tables["behind_organisering_employment"]["rows"]
    assert organisation[1][:3] == ["Jensen et al. (2012) + Rehwald et al. (2017)",
                                   "Kontrolleret forsøg, Randomiseret kontrolleret forsøg", "5 / 5"]
    html = (reports["da"] / "report.html").read_text(encoding="utf-8")
    assert html.count("Regel: virknings standardregel, version 1 (STARs evidenshierarki). Begrundelse:") == 9
    assert "flertal positiv (2 af 3); 2 review(s) af høj kvalitet peger samme vej" in html
    # the review's own statements beside the rule's, topics graded by topic (docs/evidence.md)
    review = p.tables["review_statements"]["rows"]
    assert [(r[2], r[4], r[5]) for r in review] == [
        ("", "evidens (grad ikke angivet) (positiv)", "stærk evidens for positiv effekt"),
        ("individual_meetings", "stærk evidens (positiv)", "indikation for positiv effekt"),
        ("group_meetings", "moderat evidens (positiv)", "moderat evidens for positiv effekt"),
        ("", "stærk evidens (positiv)", "modstridende viden"),
        ("", "evidens (grad ikke angivet) (negativ)", "moderat evidens for negativ effekt")]
    rule = p.tables["rule_parameters"]["rows"]
    assert ["min_reliability", "4"] in rule and ["mixed_counts", "true"] in rule


def test_english_and_the_jobeffekter_rule(reports):
    p = page(reports["en"])
    rows = {(r[0], r[1]): r for r in p.tables["statements"]["rows"]}
    assert rows[("Meetings with caseworkers", "Employment")][2:] == [
        "Positive job effect", "Berg et al. (2012), Hägglund (2009), Pedersen et al. (2012)",
        "jobeffekter.dk weighting (STAR)"]
    assert {r[2] for k, r in rows.items() if k != ("Meetings with caseworkers", "Employment")} == {"Few studies"}
    html = unescape((reports["en"] / "report.html").read_text(encoding="utf-8"))
    weights = p.tables["behind_samtaler_employment"]["rows"]
    assert weights[-1][0] == "Knowledge stock" and weights[-1][4] == "1.048"  # 1.0479 (docs/evidence.md)
    pedersen = [r[3:] for r in weights if r[0] == "Pedersen et al. (2012)"]  # an RCT in a report: 0.5, 3 results
    assert pedersen == [["1.00 × 1.00 × 1.00 × 0.50 × 1.00 / 3", "0.167"]] * 3
    assert "Not counted (number of results): Hägglund (2009) (1): direction unknown; Rosholm and Svarer (2010) (3): " \
           "design 'literature_review' is not a primary effect study" in html
    assert '<html lang="en">' in html and "knowledge stock 1.048 (positive 1.048)" in html
    assert "stærk evidens for positiv effekt" not in html.split('id="review"')[0]  # rule words in English


def test_gold_structure(reports):
    gold("report_da_default", page(reports["da"]))
    gold("report_en_jobeffekter", page(reports["en"]))


def test_folder_manifest_tables_and_audit(reports):
    out = reports["da"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "virkning-output" and manifest["command"] == "evidence report"
    assert manifest["base"]["file"] == "academics_2020.yaml" and len(manifest["base"]["sha256"]) == 64
    assert (out / "base" / "academics_2020.yaml").read_bytes() == example_path().read_bytes()
    flow = pd.read_csv(out / "tables" / "search_flow.csv")
    assert "n" not in flow.columns and flow.set_index("stage").loc["identified", "records"] == 198
    doc = json.loads((out / "evidence.json").read_text())
    assert doc["rule"] == "virkning default/1 (STAR evidence hierarchy)" and len(doc["statements"]) == 9
    assert sorted(p.name for p in (out / "figures").glob("*.svg"))[-1] == "search_flow.svg"
    # only persons are marked as counts: the studies' N, as the base gives them
    n = load_base(example_path()).to_frame()["n"].dropna()
    assert page(out).count_cells == [f"{int(x):,}".replace(",", ".") for x in n]
    assert audit(out) == [] and audit(reports["en"]) == []


def test_same_base_same_bytes(reports, tmp_path):
    write_report(example_path(), tmp_path / "again")
    for rel in ["report.html", "evidence.json", "tables/statements.csv", "figures/search_flow.svg",
                "figures/forest_employment_employment_pp.svg"]:
        assert (tmp_path / "again" / rel).read_bytes() == (reports["da"] / rel).read_bytes(), rel


def test_meta_analysis_in_the_report_equals_metafor(tmp_path):
    bcg = pd.read_csv(REF / "dat_bcg.csv")
    studies = [study(f"trial{i + 1}", year=1950 + i, findings=[{
        "id": "rr", "core_element": "samtaler", "outcome": "tuberculosis", "metric": "log_rr",
        "value": float(r["yi"]), "se": float(r["vi"]) ** 0.5, "direction": "none"}]) for i, r in bcg.iterrows()]
    vocab = {"outcomes": {"tuberculosis": {"label_da": "Tuberkulose", "label_en": "Tuberculosis"}},
             "metrics": {"log_rr": {"label_da": "Log relativ risiko", "unit": "log RR", "favourable": "lower"}}}
    path = tmp_path / "bcg.yaml"
    path.write_text(base_yaml(studies, vocabulary=vocab), encoding="utf-8")
    write_report(path, tmp_path / "out")
    summary = pd.read_csv(tmp_path / "out" / "tables" / "synthesis_summary.csv").set_index("method")
    for method in ("REML", "DL"):
        ref = METAFOR["cases"]["bcg"]["fits"][method]
        for key in ("estimate", "se", "ci_low", "ci_high", "tau2", "i2", "q", "pi_low", "pi_high"):
            assert summary.loc[method, key] == pytest.approx(ref[key], abs=1e-6), (method, key)
    p = page(tmp_path / "out")
    meta = p.tables["forest_tuberculosis_log_rr_meta"]
    reml = meta["rows"][0]
    assert meta["columns"][:3] == ["Metode", "Studier (k)", "Samlet effekt (log RR)"]
    assert reml[:4] == ["REML", "13", "-0,71", "[-1,07; -0,36]"] and reml[5:7] == ["0,313", "92,2 %"]
    assert ["forest_tuberculosis_log_rr", "Tuberkulose: effekter målt som log relativ risiko"] in p.figures
    forest = pd.read_csv(tmp_path / "out" / "tables" / "synthesis_forest.csv")
    weights = forest[(forest["method"] == "REML") & (forest["row"] != "pooled")]["weight"].to_numpy()
    assert weights == pytest.approx(METAFOR["cases"]["bcg"]["fits"]["REML"]["weights"], abs=1e-6)
    assert audit(tmp_path / "out") == []


def test_the_rules_give_their_reasons_in_danish_too():
    base = load_base(example_path())
    st = grade(base, rule="jobeffekter").statement(core_element="samtaler", outcome="employment")
    assert st.reason_da == ("vidensmængde 1,048 (positiv 1,048) fra 8 resultat(er) i 3 studier; positiv rummer "
                            "100,0 % af vidensmængden (mindst 55 %); evidensniveau (stjerner) ikke beregnet")
    st = grade(base).statement(core_element="virksomhedsrettede", outcome="employment")
    assert st.reason_da == ("4 evaluering(er) af høj kvalitet: positiv 2 (Ghirelli et al. (2018); Rosholm og Svarer "
                            "(2011)); blandet 2 (Kjærsgaard (2009); Pedersen et al. (2012)); positive og negative "
                            "resultater, intet flertal")
    assert st.reason.startswith("4 high-quality evaluation(s): positive 2")

"""The evidence report's sections, built with the shared report components (the house style of the evaluation and
status reports):

    1 statements  2 statements per core element with the studies behind them  3 the review's own statements (when
    the file has them)  4 the rule  5 the appraisal table  6 effect sizes (forest plots, meta-analyses)  7 search
    flow (diagram and tables)  8 about the report

Every statement is shown with the rule that produced it. Counts of persons (a study's N) carry the class `count`
so the disclosure audit reads them; numbers of studies do not, they are not counts of persons.
"""

from __future__ import annotations

import hashlib
from typing import Any, cast
from pathlib import Path

import pandas as pd
from markupsafe import Markup, escape

from virkning import __version__
from virkning.defaults import DISCLOSURE_THRESHOLD
from virkning.evidence.model import Study
from virkning.evidence.report.data import EvidenceReportData
from virkning.evidence.report.effects import EffectSections, frame_rows
from virkning.evidence.report.strings import EVIDENCE_UI
from virkning.evidence.vocabulary import DIRECTIONS
from virkning.report.components import Blocks, Cell, Cells, Numbering, Row, Section, Table
from virkning.report.formatting import Formatter, missing
from virkning.report.labels import slug
from virkning.report.strings import ui

RULE_NAMES = {"default": ("virknings standardregel, version 1 (STARs evidenshierarki)",
                          "virkning's default rule, version 1 (STAR's evidence hierarchy)"),
              "jobeffekter": ("jobeffekter.dk's vægtning (STAR)", "jobeffekter.dk weighting (STAR)")}

# the rules' reasons for leaving a finding out, in Danish (matched by their start; others are shown as written)
REASONS_DA = (
    ("appraisal proposed by virkning", "vurderingen er foreslået af virkning og endnu ikke bekræftet (sæt "
                                       "method.status: confirmed)"),
    ("no reliability score", "ingen vurdering af pålideligheden"),
    ("no finding with a known direction", "intet fund med kendt retning"),
    ("direction unknown", "retningen er ukendt"),
    ("not a main result", "ikke et hovedresultat (evalueringen har resultater for hele målgruppen)"),
    ("not placed under a core element", "ikke placeret under et kerneelement"),
    ("no comparison group", "ingen sammenligningsgruppe"),
)


class EvidencePage(EffectSections):
    def __init__(self, data: EvidenceReportData, language: str, numbering: Numbering | None = None):
        self.d = data
        self.base = data.base
        self.lang = language
        self.k = 1 if language == "en" else 0
        self.f = Formatter(language)
        self.t = ui(language, EVIDENCE_UI)
        self.c = Cells(self.f, self.t)
        name = Path(self.base.source).name
        self.blocks = Blocks(self.t, numbering or Numbering(), DISCLOSURE_THRESHOLD, self.t["ev_source"].format(name))
        keys = ["summary", "statements"] + (["review"] if self.base.statements else []) + \
            ["rule", "appraisal", "effects", "search", "about"]
        self.number = {k: i + 1 for i, k in enumerate(keys)}

    # ---- words -----------------------------------------------------------------------------------------------
    def vocab(self, kind: str, key) -> str:
        if key is None or (not isinstance(key, str) and missing(key)):
            return ""
        return self.base.vocabulary.label(kind, key, self.lang)

    def label(self, study: Study | str) -> str:
        s = self.base.study(study) if isinstance(study, str) else study
        text = s.label()
        return text.replace(" and ", " og ") if self.k == 0 else text

    def direction(self, d) -> str:
        if d is None or (not isinstance(d, str) and missing(d)):
            return ""
        if d == "mixed":
            return self.t["mixed"]
        term = DIRECTIONS.get(d)
        return ((term.label_en or term.label_da) if self.k else term.label_da) if term else str(d)

    def reason(self, text) -> str:
        if text is None or (not isinstance(text, str) and missing(text)):
            return ""
        if self.k == 1:
            return str(text)
        for start, da in REASONS_DA:
            if str(text).startswith(start):
                return da
        if str(text).startswith("design '"):
            return "designet er ikke et primært effektstudie" if "primary" in text else \
                "designet er hverken et effektstudie eller et review"
        return str(text)

    def score(self, score) -> str:
        return self.t["not_given"] if score.score is None else str(score.score)

    def rule_name(self) -> str:
        return RULE_NAMES[self.d.rule_key][self.k]

    def statement_label(self, st) -> str:
        return st.label_en if self.k else st.label_da

    def statement_reason(self, st) -> str:
        return st.reason if self.k or not st.reason_da else st.reason_da

    def cell_title(self, st) -> str:
        return f"{self.vocab('core_elements', st.get('core_element'))}, {self.vocab('outcomes', st.get('outcome'))}"

    # ---- 1 statements ------------------------------------------------------------------------------------------
    def summary(self) -> Section:
        s = Section("summary", self.t["s_ev_summary"])
        if self.base.info.question:
            s.blocks.append(self.blocks.p(Markup(f"<strong>{escape(self.t['ev_question'])}:</strong> ")
                                          + escape(self.base.info.question)))
        s.blocks.append(self.blocks.p(self.t["summary_intro"].format(self.number["rule"], self.number["statements"])))
        body = []
        for st in self.d.grading.statements:
            studies = ", ".join(self.label(sid) for sid in st.studies)
            body.append(Row([self.c.label(self.vocab("core_elements", st.get("core_element"))),
                             self.c.label(self.vocab("outcomes", st.get("outcome"))),
                             Cell(self.statement_label(st), "label statement"), self.c.label(studies),
                             self.c.label(self.rule_name())]))
        cols = [self.c.col(self.t[k], "label") for k in ("col_core_element", "col_outcome", "col_statement",
                                                          "col_studies", "col_rule")]
        s.blocks += self.blocks.table(Table("statements", self.t["summary_caption"], cols, body,
                                            notes=[f"{self.t['col_rule']}: {self.d.grading.rule}"]))
        if self.d.synthetic:
            s.blocks.append(self.blocks.note(self.t["ev_synthetic"].format(", ".join(self.d.synthetic))))
        return s

    # ---- 2 per core element ----------------------------------------------------------------------------------
    def elements(self) -> Section:
        s = Section("statements", self.t["s_ev_elements"])
        contributions = self.d.grading.contributions
        current, read_shown = None, False
        for st in self.d.grading.statements:
            ce = st.get("core_element")
            if ce != current:
                s.blocks.append(self.blocks.h3(self.vocab("core_elements", ce) or self.t["none_core"]))
                current = ce
            head = self.t["statement_line"].format(self.vocab("outcomes", st.get("outcome")), self.statement_label(st))
            s.blocks.append(self.blocks.p(Markup("<strong>") + escape(head) + Markup("</strong> ")
                                          + escape(self.t["statement_rule"].format(self.rule_name(),
                                                                                  self.statement_reason(st)))))
            mask = pd.Series(True, index=contributions.index)
            for key, value in st.cell:
                mask &= contributions[key] == value
            rows = contributions[mask]
            table = (self._behind_jobeffekter(st, rows) if self.d.rule_key == "jobeffekter" else
                     self._behind_default(st, rows))
            if table is not None:
                if read_shown:
                    table.how_to_read = ""
                read_shown = True
                s.blocks += self.blocks.table(table, source=False)
        skipped = contributions[contributions["reason"].astype(str).str.startswith("not placed under")] \
            if "reason" in contributions else contributions.iloc[0:0]
        if len(skipped):
            names = sorted({self.label(x) for x in skipped["study"]})
            s.blocks.append(self.blocks.note(self.t["no_core_note"].format(", ".join(names))))
        return s

    def _behind_default(self, st, rows: pd.DataFrame) -> Table | None:
        if not len(rows):
            return None
        pool = {self.base.evaluation(x) for x in st.studies}
        body = []
        for ev, g in rows.groupby("evaluation", sort=False):
            pubs = list(dict.fromkeys(g["study"]))
            studies = [self.base.study(p) for p in pubs]
            first = g.iloc[0]
            graded = not missing(first["quality"])
            if ev in pool:
                why = ""
            elif not graded:
                why = self.reason(next((r for r in g["reason"] if isinstance(r, str)), ""))
            elif first["quality"] == "limited" and any(q == "high" for q in rows["quality"] if isinstance(q, str)):
                why = ("begrænset kvalitet: flertallet tages blandt studierne af høj kvalitet" if self.k == 0 else
                       "limited quality: the majority is taken among the high-quality studies")
            else:
                why = self.t["mixed"] if first["evaluation_direction"] == "mixed" else ""
            body.append(Row([
                self.c.label(" + ".join(self.label(x) for x in studies)),
                self.c.label(", ".join(dict.fromkeys(self.vocab("designs", x.design) for x in studies))),
                Cell(" / ".join(self.score(x.method.reliability) for x in studies), "center"),
                Cell(" / ".join(self.score(x.method.transferability) for x in studies), "center"),
                self.c.label(f"{self.t['quality_' + first['quality']]}; "
                             f"{self.t['kind_review' if first['kind'] == 'review' else 'kind_effect']}" if graded else ""),
                self.c.label(self.direction(first["evaluation_direction"]) if graded else ""),
                Cell(self.t["yes"] if ev in pool else self.t["no"], "center"),
                self.c.label(why)]))
        cols = [self.c.col(self.t[k], "label") for k in ("col_study", "col_design")] + \
            [self.c.col(self.t[k], "center") for k in ("col_reliability_short", "col_transferability_short")] + \
            [self.c.col(self.t[k], "label") for k in ("col_quality_kind", "col_direction")] + \
            [self.c.col(self.t["col_used"], "center"), self.c.col(self.t["col_why"], "label")]
        p = self.d.grading.parameters
        return Table(f"behind_{slug(st.get('core_element') or 'none')}_{slug(st.get('outcome') or 'none')}",
                     self.t["behind_caption"].format(*self.cell_title(st).split(", ", 1)), cols, body,
                     how_to_read=self.t["behind_read_default"].format(p.get("min_reliability"),
                                                                      p.get("min_transferability")))

    def _behind_jobeffekter(self, st, rows: pd.DataFrame) -> Table | None:
        if not len(rows):
            return None
        body = []
        for r in frame_rows(rows[rows["used"].astype(bool)]):
            ws = [getattr(r, f"w_{k}", None) for k in ("quality", "method", "geography", "publication", "combination")]
            shared: Any = getattr(r, "results_in_study", None)
            weights = " × ".join(self.f.number(w, 2) for w in ws) + (
                f" / {self.f.number(shared, 0)}" if not missing(shared) and shared > 1 else "")
            body.append(Row([self.c.label(self.label(r.study)), self.c.label(str(r.finding)),
                             self.c.label(self.direction(r.direction)), Cell(weights, "num"),
                             self.c.number(r.weight, 3)]))
        body.append(Row([self.c.label(self.t["col_stock"]), Cell(""), Cell(""), Cell(""),
                         self.c.number(st.knowledge_stock, 3)], "final"))
        left = rows[~rows["used"].astype(bool)]
        notes = []
        if len(left):
            parts = [f"{self.label(cast(str, sid))} ({len(g)}): {self.reason(g['reason'].iloc[0])}"
                     for (sid, _), g in left.groupby(["study", "reason"], sort=False)]
            notes.append(self.t["left_out"].format("; ".join(parts)))
        cols = [self.c.col(self.t[k], "label") for k in ("col_study", "col_result", "col_direction")] + \
            [self.c.col(self.t["col_weights"]), self.c.col(self.t["col_contribution"])]
        return Table(f"behind_{slug(st.get('core_element') or 'none')}_{slug(st.get('outcome') or 'none')}",
                     self.t["behind_caption"].format(*self.cell_title(st).split(", ", 1)), cols, body,
                     how_to_read=self.t["behind_read_jobeffekter"], notes=notes)

    # ---- 3 the review's own statements -------------------------------------------------------------------------
    def review(self) -> Section:
        s = Section("review", self.t["s_ev_review"])
        s.blocks.append(self.blocks.p(self.t["review_intro"]))
        from virkning.evidence.model import GRADE_LABELS
        body = []
        topics = any(rs.topic for rs in self.base.statements)
        for rs in self.base.statements:
            graded = self.d.topic_grading if rs.topic and self.d.topic_grading else self.d.grading
            mine = next((st for st in graded.statements if st.get("core_element") == rs.core_element and
                         st.get("outcome") == rs.outcome and (not rs.topic or st.get("topic") == rs.topic)), None)
            said = GRADE_LABELS[rs.grade][self.k]
            said += f" ({self.direction(rs.direction)})" if rs.direction else ""
            cells = [self.c.label(self.vocab("core_elements", rs.core_element)),
                     self.c.label(self.vocab("outcomes", rs.outcome))]
            cells += [self.c.label(rs.topic or "")] if topics else []
            cells += [self.c.label(rs.text or ""), self.c.label(said),
                      self.c.label(self.statement_label(mine) if mine else self.t["no_statement"]),
                      self.c.label(rs.source or "")]
            body.append(Row(cells))
        keys = ("col_core_element", "col_outcome") + (("col_topic",) if topics else ()) + \
            ("col_statement", "col_review_says", "col_rule_says", "col_where")
        cols = [self.c.col(self.t[k], "label") for k in keys]
        notes = [f"{self.t['col_review_says']}: {self.t['review_rule_text']}. "
                 f"{self.t['col_rule_says']}: {self.rule_name()}."]
        if topics:
            notes.append(self.t["topic_note"])
        s.blocks += self.blocks.table(Table("review_statements", self.t["review_caption"], cols, body, notes=notes))
        return s

    # ---- 4 the rule ------------------------------------------------------------------------------------------
    def rule(self) -> Section:
        s = Section("rule", self.t["s_ev_rule"])
        p = self.d.grading.parameters
        if self.d.rule_key == "default":
            text = self.t["rule_default"].format(strong=p["strong_effect_studies"], moderate=p[
                "moderate_effect_studies"], limited=p["limited_for_indication"], rel=p["min_reliability"],
                tra=p["min_transferability"])
        else:
            text = self.t["rule_jobeffekter"].format(min_stock=self.f.number(p["min_stock"], 0 if float(
                p["min_stock"]).is_integer() else 2), dominance=self.f.pct(p["dominance"], 0))
        s.blocks.append(self.blocks.p(text))
        s.blocks.append(self.blocks.p(Markup(f"<strong>{escape(self.t['col_rule'])}:</strong> ")
                                      + escape(f"{self.rule_name()} – {self.d.grading.rule}")))
        body = [Row([self.c.label(k), self.c.label(_plain(v))]) for k, v in p.items()]
        s.blocks += self.blocks.table(Table("rule_parameters", self.t["rule_caption"],
                                            [self.c.col(self.t["col_parameter"], "label"),
                                             self.c.col(self.t["col_value"], "label")], body))
        return s

    # ---- 5 appraisal -----------------------------------------------------------------------------------------
    def appraisal(self) -> Section:
        s = Section("appraisal", self.t["s_ev_appraisal"])
        s.blocks.append(self.blocks.p(self.t["appraisal_intro"]))
        body, reasons = [], []
        for st in self.base.studies:
            status = self.t[st.method.status]
            if st.origin == "own_evaluation":
                status += f"; {self.t['own_evaluation']}"
            n = st.total_n
            body.append(Row([self.c.label(self.label(st)), self.c.label(st.country),
                             self.c.label(self.vocab("designs", st.design)),
                             self.c.label(", ".join(self.vocab("core_elements", x) for x in st.core_elements)),
                             Cell(self.score(st.method.reliability), "center"),
                             Cell(self.score(st.method.transferability), "center"), self.c.label(status),
                             self.c.count(n) if n is not None else Cell("", "num")]))
            reasons.append(Row([self.c.label(self.label(st)), self.c.label(st.method.reliability.reason or ""),
                                self.c.label(st.method.transferability.reason or "")]))
        cols = [self.c.col(self.t[k], "label") for k in ("col_study", "col_country", "col_design",
                                                          "col_core_element")] + \
            [self.c.col(self.t[k], "center") for k in ("col_reliability_short", "col_transferability_short")] + \
            [self.c.col(self.t["col_appraisal"], "label"), self.c.col(self.t["col_n"])]
        notes = [self.t["proposed_note"]] if any(x.method.status == "proposed" for x in self.base.studies) else []
        s.blocks += self.blocks.table(Table("appraisal", self.t["appraisal_caption"], cols, body, notes=notes))
        details = self.blocks.table(Table("appraisal_reasons", self.t["reasons_caption"],
                                          [self.c.col(self.t["col_study"], "label"),
                                           self.c.col(self.t["col_reliability"], "label"),
                                           self.c.col(self.t["col_transferability"], "label")], reasons))
        s.blocks.append({"type": "details", "summary": self.t["reasons_summary"], "blocks": details})
        return s

    # ---- 8 about ---------------------------------------------------------------------------------------------
    def about(self, base_bytes: bytes | None = None) -> Section:
        s = Section("about", self.t["s_ev_about"])
        sha = hashlib.sha256(base_bytes).hexdigest()[:16] if base_bytes is not None else "?"
        s.blocks.append(self.blocks.p(self.t["about_items"].format(
            file=Path(self.base.source).name, sha=sha, studies=len(self.base.studies),
            findings=sum(len(x.findings) for x in self.base.studies), rule=self.d.grading.rule, version=__version__)))
        s.blocks.append(self.blocks.p(self.t["about_grades"]))
        if self.base.info.source:
            s.blocks.append(self.blocks.p(self.base.info.source))
        return s

    def sections(self, base_bytes: bytes | None = None) -> tuple[list[Section], dict]:
        out = [self.summary(), self.elements()]
        if self.base.statements:
            out.append(self.review())
        out += [self.rule(), self.appraisal(), self.effects(), self.search(), self.about(base_bytes)]
        return out, self.blocks.figures


def _plain(v) -> str:
    if isinstance(v, dict):
        return "; ".join(f"{k}: {_plain(x)}" for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return ", ".join(_plain(x) for x in v)
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)

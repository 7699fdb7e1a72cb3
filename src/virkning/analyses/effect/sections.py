"""The effect evaluation's report sections, in the order of a published evaluation:

    1 summary  2 population flow  3 participants vs the eligible population  4 balance  5 effect curves
    6 effects by month  7 subgroups  8 robustness  9 method appendix

Built from the protected results bundle with the shared report components; figures are rendered in memory and
handed to the writer with the sections. The same bundle gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path

from virkning.analyses.effect import figures
from virkning.analyses.effect.bundle import ReportData
from virkning.analyses.effect.conclusions import CONCLUSIONS_UI, Conclusions
from virkning.analyses.effect.layout import LAYOUT_UI
from virkning.analyses.effect.extras_report import EXTRA_UI, Extras
from virkning.analyses.effect.figure_data import FIGURE_UI, FigureData
from virkning.analyses.effect.prose import Prose
from virkning.analyses.effect.strings import EFFECT_UI
from virkning.analyses.effect.tables import Builder
from virkning.report import labels
from virkning.report.components import Blocks, Numbering, Section
from virkning.report.figures import render_figure
from virkning.report.formatting import Formatter
from markupsafe import Markup

from virkning.report.strings import ui

TEMPLATES = Path(__file__).parent / "templates"


class Report:
    def __init__(self, bundle: dict, language: str, numbering: Numbering | None = None):
        self.d = ReportData(bundle, language)
        self.lang = language
        self.f = Formatter(language)
        self.t = ui(language, {**EFFECT_UI, **EXTRA_UI, **FIGURE_UI})
        self.tables = Builder(self.d, self.f, self.t)
        self.extras = Extras(self.d, self.f, self.t)
        self.prose = Prose(self.d, self.f, self.t)
        self.fig_data = FigureData(self.f, self.t)
        self.b = Blocks(self.t, numbering or Numbering(), self.d.threshold,
                        self.t["source_synthetic"] if self.d.synthetic else self.t["source"])
        self.t.update({k: v[language == "en"] for k, v in {**CONCLUSIONS_UI, **LAYOUT_UI}.items()})
        self.conclusions = Conclusions(self.d, self.f)

    # ---- blocks ----------------------------------------------------------------------------------------------------
    def table_block(self, table, *, source: bool = True) -> list[dict]:
        return self.b.table(table, source=source)

    def figure_block(self, saved, caption: str, notes: list[str], *, alt: str = "", data=None) -> dict:
        return self.b.figure(saved, caption, notes, alt=alt, data=data)

    def p(self, html) -> dict:
        return self.b.p(html)

    # ---- sections --------------------------------------------------------------------------------------------------
    def main_conclusions(self) -> Section:
        s = Section("conclusions", self.t["s_conclusions"])
        for sentence in self.conclusions.sentences():
            s.blocks.append(self.p(sentence))
        return s

    def assumptions(self) -> Section:
        s = Section("assumptions", self.t["s_assumptions"])
        s.blocks.append({"type": "ul", "items": self.conclusions.assumptions()})
        return s

    def document(self) -> list[Section]:
        """The sections with the main conclusions first and the assumptions and limitations before the method
        appendix (neither has a numbered table or figure, so the numbering stays in reading order)."""
        body = self.sections()
        return [self.main_conclusions(), *body[:-1], self.assumptions(), body[-1]]

    def summary(self) -> Section:
        s = Section("summary", self.t["s_summary"])
        name = self.d.name or self.t["report_kind"]
        if self.lang == "da":
            lead = (f"Rapporten måler effekten af »{name}« ved at sammenligne deltagerne med en kontrolgruppe af "
                    "lignende personer fra registrene, som ikke deltog. Kontrolgruppen er fundet ved matching på "
                    "propensity score; effekten er forskellen mellem de to grupper (effekten for deltagerne, ATT).")
        else:
            lead = (f"This report measures the effect of '{name}' by comparing the participants with a control "
                    "group of similar persons from the registers who did not take part. The control group was found "
                    "by propensity-score matching; the effect is the difference between the two groups (the "
                    "effect on the participants, ATT).")
        s.blocks.append(self.p(lead))
        s.blocks.append({"type": "ul", "items": self.prose.facts()})
        s.blocks.append({"type": "h3", "text": "Resultater" if self.lang == "da" else "Results"})
        s.blocks.append({"type": "ul", "cls": "results", "items": [self.outcome_sentence(o) for o in self.d.outcomes()]})
        extra = [x for x in (self.prose.balance_sentence(), self.prose.subgroup_sentence(),
                             self.prose.robustness_sentence(), *self.sensitivity_sentences()[:1]) if x]
        for x in extra:
            s.blocks.append(self.p(x))
        if self.prose.suppressed:
            s.blocks.append({"type": "note", "text": self.t["suppressed_note"].format(self.d.threshold)})
        return s

    def outcome_sentence(self, o: dict, *, title: bool = True) -> Markup:
        """The outcome's sentence with its relative effect (risk ratio) after it."""
        return self.prose.outcome_sentence(o, title=title) + self.extras.relative_sentence(o)

    def sensitivity_sentences(self) -> list[Markup]:
        return [x for x in (self.extras.sensitivity_sentence(o) for o in self.d.outcomes()) if x]

    def flow(self) -> Section:
        s = Section("flow", self.t["s_flow"])
        s.blocks.append(self.p(self.t["flow_intro"]))
        steps = self.tables.flow_steps()
        if steps:
            saved = render_figure(figures.flow_figure, "flow", steps, self.f, self.t)
            notes = []
            if any((st["show_participants"] and st["participants"] is None)
                   or (st["show_pool"] and (st["pool_persons"] is None or st["pool_pairs"] is None)) for st in steps):
                notes.append(self.t["suppressed_note"].format(self.d.threshold))
            s.blocks.append(self.figure_block(saved, self.t["flow_caption"], notes,
                                              alt=self.fig_data.flow_alt(steps)))
            s.blocks += self.table_block(self.tables.flow())
        s.blocks += self.table_block(self.tables.units())
        return s

    def population(self) -> Section:
        s = Section("population", self.t["s_population"])
        s.blocks.append(self.p(self.t["population_intro"]))
        s.blocks += self.table_block(self.tables.population())
        return s

    def balance(self) -> Section:
        s = Section("balance", self.t["s_balance"])
        s.blocks.append(self.p(self.t["balance_intro"]))
        sentence = self.prose.balance_sentence()
        if sentence:
            s.blocks.append(self.p(sentence))
        flags = self.extras.balance_flags_sentence()
        if flags:
            s.blocks.append(self.p(flags))
        s.blocks += self.table_block(self.tables.matched())
        s.blocks += self.table_block(self.tables.balance())
        detail = self.tables.balance_detail()
        if detail is not None:
            s.blocks.append({"type": "details", "summary": detail.caption, "blocks": self.table_block(detail)})
        s.blocks += self.table_block(self.tables.sizes())
        discard = self.d.design.get("discard") or "none"
        if discard != "none":
            s.blocks.append({"type": "note", "text": self.t["discard_note"].format(labels.discard(discard, self.lang))})
        panels = self.extras.ps_panels()
        if panels:
            distance = self.d.design.get("distance") or "logit"
            xlabel = self.t["ps_logit"] if distance == "logit" else self.t["ps_scale"]
            saved = render_figure(figures.ps_figure, "ps_distribution", panels, self.f, self.t,
                                  f"Propensity score ({xlabel})")
            s.blocks.append(self.figure_block(saved, self.t["ps_caption"],
                                              [self.t["ps_note"].format(xlabel, self.d.threshold)],
                                              alt=self.fig_data.ps_alt(xlabel), data=self.fig_data.ps_table(panels)))
        rows = self.tables.love_rows()
        if rows:
            saved = render_figure(figures.love_plot, "love_plot", rows, self.d.smd_threshold,
                                          self.f, self.t)
            notes = [self.t["love_note"]]
            if any(r["before"] is None or r["after"] is None for r in rows):
                notes.append(self.t["suppressed_points"].format(self.d.threshold))
            s.blocks.append(self.figure_block(saved, self.t["love_caption"], notes,
                                              alt=self.fig_data.love_alt(rows, self.d.smd_threshold),
                                              data=self.fig_data.love_table(rows)))
        return s

    def curves(self) -> Section:
        s = Section("curves", self.t["s_curves"])
        s.blocks.append(self.p(self.t["curves_intro"].format(self.prose.event())))
        for o in self.d.outcomes():
            rows = self.d.effects(o["name"])
            if not rows:
                continue
            title = o["title"]
            s.blocks.append({"type": "h3", "text": title})
            s.blocks.append(self.p(self.outcome_sentence(o, title=False)))
            share = o["share"]
            t = dict(self.t, months_after=self.t["months_after"].format(self.prose.event()))
            saved = render_figure(figures.effect_figure, f"effect_{labels.slug(o['name'])}",
                                          rows, share=share, origin=o.get("kind", "first_exit") == "first_exit",
                                          fmt=self.f, t=t)
            notes = [o["definition"], self.t["curve_note"], self.t["matched_note"],
                     self.t["unit_pct_pp"] if share else self.t["unit_weeks"]]
            keys = ("treated_mean", "control_mean", "att", "ci_low", "ci_high", "at_risk_treated", "at_risk_control")
            if any(r.get(k) is None for r in rows for k in keys):
                notes.append(self.t["suppressed_points"].format(self.d.threshold) + " "
                             + self.t["suppressed_note"].format(self.d.threshold))
            caption = self.t["curve_caption"].format(title, self.prose.event())
            s.blocks.append(self.figure_block(saved, caption, notes, alt=self.fig_data.curve_alt(title, rows, share),
                                              data=self.fig_data.curve_table(title, rows, share)))
        return s

    def effects_table(self) -> Section:
        s = Section("effects", self.t["s_effects_table"])
        for o in self.d.outcomes():
            s.blocks += self.table_block(self.tables.effects(o))
        adjusted = self.extras.adjusted(self.tables.outcome_title)
        if adjusted is not None:
            s.blocks.append({"type": "h3", "text": self.t["adjusted_heading"]})
            s.blocks.append(self.p(self.t["adjusted_intro"]))
            s.blocks += self.table_block(adjusted)
        return s

    def sensitivity(self) -> Section:
        s = Section("sensitivity", self.t["s_sensitivity"])
        table = self.extras.sensitivity_table(self.tables.outcome_title)
        if table is None:
            return s
        s.blocks.append(self.p(self.t["sensitivity_intro"]))
        s.blocks.append({"type": "ul", "items": self.sensitivity_sentences()})
        s.blocks += self.table_block(table)
        gamma = self.extras.gamma_table(self.tables.outcome_title)
        if gamma is not None:
            s.blocks.append({"type": "details", "summary": gamma.caption, "blocks": self.table_block(gamma)})
        return s

    def subgroups(self) -> Section:
        s = Section("subgroups", self.t["s_subgroups"])
        table, forest = self.tables.subgroups()
        if table is None:
            s.blocks.append(self.p(self.t["no_subgroups"]))
            return s
        s.blocks.append(self.p(self.t["subgroups_intro"]))
        sentence = self.prose.subgroup_sentence()
        if sentence:
            s.blocks.append(self.p(sentence))
        saved = render_figure(figures.forest_figure, "forest", forest["panels"], forest["labels"],
                                      self.f, self.t)
        notes = [self.t["forest_note"], self.t["matched_note"]]
        if any(pt is None or any(v is None for v in pt) for p in forest["panels"]
               for pt, (_, header) in zip(p["points"], forest["labels"]) if not header):
            notes.append(self.t["suppressed_points"].format(self.d.threshold))
        s.blocks.append(self.figure_block(saved, self.t["forest_caption"], notes,
                                          alt=self.fig_data.forest_alt(forest)))
        s.blocks += self.table_block(table)
        return s

    def robustness(self) -> Section:
        s = Section("robustness", self.t["s_robustness"])
        table = self.tables.robustness()
        if table is None:
            s.blocks.append(self.p(self.t["no_robustness"]))
            return s
        s.blocks.append(self.p(self.t["robustness_intro"]))
        sentence = self.prose.robustness_sentence()
        if sentence:
            s.blocks.append(self.p(sentence))
        s.blocks += self.table_block(table)
        return s

    def method(self) -> Section:
        s = Section("method", self.t["s_method"])
        facts = self.prose.method()
        s.blocks.append({"type": "method", "template": f"method_{self.lang}.html.j2", "m": facts})
        s.blocks += self.table_block(self.tables.propensity(), source=False)
        s.blocks += self.table_block(self.tables.data_tables(), source=False)
        return s

    # ---- document ----------------------------------------------------------------------------------------------
    def sections(self) -> list[Section]:
        # the sensitivity section when the bundle has its numbers (bundles written before it render as they did)
        # built in reading order, so tables and figures are numbered as they appear
        out = [self.summary(), self.flow(), self.population(), self.balance(), self.curves(), self.effects_table(),
               self.subgroups(), self.robustness()]
        if self.d.b.get("sensitivity"):
            out.append(self.sensitivity())
        return [*out, self.method()]


def effect_sections(bundle: dict, language: str, numbering: Numbering | None = None) -> tuple[list[Section], dict]:
    """The report sections of an effect evaluation and the figures they show (stem -> SavedFigure)."""
    report = Report(bundle, language, numbering)
    return report.document(), report.b.figures


def report_html(bundle: dict, language: str | None = None) -> tuple[str, dict]:
    """The effect evaluation's report of a results bundle (the content of results.json): (HTML, figures by stem).
    `language` defaults to the design's; the bundle must already have passed the disclosure gate."""
    from virkning.report.render import check_language, render_document

    design = (bundle or {}).get("design") or {}
    lang = check_language(language or design.get("language"))
    sections, figures = effect_sections(bundle, lang)
    d = ReportData(bundle, lang)
    html = render_document(sections, title=d.name or ui(lang)["report_kind"], kicker=ui(lang)["report_kind"],
                           language=lang, synthetic=d.synthetic, template_dirs=[TEMPLATES])
    return html, figures


def render_report(bundle: dict, out_dir: Path, *, language: str | None = None) -> Path:
    """Write `out_dir/report.html` and `out_dir/figures/*.png|svg` for a results bundle (re-rendering results.json);
    the folder is written as a whole. Returns the report's path."""
    from virkning.outputs import Files, check_out, write_folder

    html, figures = report_html(bundle, language)
    files = Files()
    files.add("report.html", html.encode("utf-8"))
    for stem, fig in sorted(figures.items()):
        files.add(f"figures/{stem}.png", fig.png)
        files.add(f"figures/{stem}.svg", fig.svg)
    check_out(Path(out_dir))
    write_folder(Path(out_dir), files)
    return Path(out_dir) / "report.html"

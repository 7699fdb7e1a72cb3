"""Assemble the report: sections in the order of a published evaluation, figures, tables, jinja2 templates.

    1 summary  2 population flow  3 participants vs the eligible population  4 balance  5 effect curves
    6 effects by month  7 subgroups  8 robustness  9 method appendix

The result is one HTML file with inline CSS and inline SVG figures (no network access needed to open it), plus
`figures/*.png` and `figures/*.svg` for use elsewhere. The same bundle gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from markupsafe import Markup

from virkning.report import figures, labels
from virkning.report.formatting import Formatter
from virkning.report.model import ReportData
from virkning.report.prose import Prose
from virkning.report.strings import ui
from virkning.report.tables import Builder, Table

TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class Section:
    key: str
    title: str
    blocks: list[dict] = field(default_factory=list)
    number: int = 0


class Numbering:
    """Figure and table numbers in reading order."""

    def __init__(self):
        self.figure = 0
        self.table = 0

    def next_figure(self) -> int:
        self.figure += 1
        return self.figure

    def next_table(self) -> int:
        self.table += 1
        return self.table


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=jinja2.select_autoescape(
        enabled_extensions=("html", "j2"), default_for_string=True, default=True), undefined=jinja2.StrictUndefined,
        trim_blocks=False, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["upper_first"] = lambda text: str(text)[:1].upper() + str(text)[1:]
    return env


class Report:
    def __init__(self, bundle: dict, out_dir: Path, language: str):
        self.d = ReportData(bundle)
        self.out = Path(out_dir)
        self.figdir = self.out / "figures"
        self.lang = language
        self.f = Formatter(language)
        self.t = ui(language)
        self.tables = Builder(self.d, self.f, self.t)
        self.prose = Prose(self.d, self.f, self.t)
        self.n = Numbering()

    # ---- blocks ----------------------------------------------------------------------------------------------------
    def source(self) -> str:
        return self.t["source_synthetic"] if self.d.synthetic else self.t["source"]

    def table_block(self, table: Table | None, *, source: bool = True) -> list[dict]:
        if table is None:
            return []
        notes = list(table.notes)
        if table.suppressed:
            notes.append(self.t["suppressed_note"].format(self.d.threshold))
        return [{"type": "table", "number": self.n.next_table(), "table": table, "notes": notes,
                 "source": self.source() if source else ""}]

    def figure_block(self, saved: figures.SavedFigure, caption: str, notes: list[str], *, alt: str = "") -> dict:
        return {"type": "figure", "number": self.n.next_figure(), "caption": caption, "svg": Markup(saved.inline),
                "stem": saved.stem, "notes": notes, "source": self.source(), "alt": alt or caption}

    def p(self, html) -> dict:
        return {"type": "p", "html": html}

    # ---- sections --------------------------------------------------------------------------------------------------
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
        s.blocks.append({"type": "ul", "cls": "results", "items": [self.prose.outcome_sentence(o) for o in self.d.outcomes()]})
        extra = [x for x in (self.prose.balance_sentence(), self.prose.subgroup_sentence(),
                             self.prose.robustness_sentence()) if x]
        for x in extra:
            s.blocks.append(self.p(x))
        if self.prose.suppressed:
            s.blocks.append({"type": "note", "text": self.t["suppressed_note"].format(self.d.threshold)})
        return s

    def flow(self) -> Section:
        s = Section("flow", self.t["s_flow"])
        s.blocks.append(self.p(self.t["flow_intro"]))
        steps = self.tables.flow_steps()
        if steps:
            saved = figures.render_figure(figures.flow_figure, self.figdir, "flow", steps, self.f, self.t)
            notes = []
            if any((st["show_participants"] and st["participants"] is None)
                   or (st["show_pool"] and (st["pool_persons"] is None or st["pool_pairs"] is None)) for st in steps):
                notes.append(self.t["suppressed_note"].format(self.d.threshold))
            s.blocks.append(self.figure_block(saved, self.t["flow_caption"], notes))
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
        s.blocks += self.table_block(self.tables.balance())
        detail = self.tables.balance_detail()
        if detail is not None:
            s.blocks.append({"type": "details", "summary": detail.caption, "blocks": self.table_block(detail)})
        s.blocks += self.table_block(self.tables.sizes())
        rows = self.tables.love_rows()
        if rows:
            saved = figures.render_figure(figures.love_plot, self.figdir, "love_plot", rows, self.d.smd_threshold,
                                          self.f, self.t)
            notes = [self.t["love_note"]]
            if any(r["before"] is None or r["after"] is None for r in rows):
                notes.append(self.t["suppressed_points"].format(self.d.threshold))
            s.blocks.append(self.figure_block(saved, self.t["love_caption"], notes))
        return s

    def curves(self) -> Section:
        s = Section("curves", self.t["s_curves"])
        s.blocks.append(self.p(self.t["curves_intro"].format(self.prose.event())))
        for o in self.d.outcomes():
            rows = self.d.effects(o["name"])
            if not rows:
                continue
            title = labels.outcome_title(o, self.lang)
            s.blocks.append({"type": "h3", "text": title})
            s.blocks.append(self.p(self.prose.outcome_sentence(o, title=False)))
            share = labels.outcome_is_share(o)
            t = dict(self.t, months_after=self.t["months_after"].format(self.prose.event()))
            saved = figures.render_figure(figures.effect_figure, self.figdir, f"effect_{labels.slug(o['name'])}",
                                          rows, share=share, origin=o.get("kind", "first_exit") == "first_exit",
                                          fmt=self.f, t=t)
            notes = [labels.outcome_definition(o, self.lang), self.t["curve_note"], self.t["matched_note"],
                     self.t["unit_pct_pp"] if share else self.t["unit_weeks"]]
            keys = ("treated_mean", "control_mean", "att", "ci_low", "ci_high", "at_risk_treated", "at_risk_control")
            if any(r.get(k) is None for r in rows for k in keys):
                notes.append(self.t["suppressed_points"].format(self.d.threshold) + " "
                             + self.t["suppressed_note"].format(self.d.threshold))
            caption = self.t["curve_caption"].format(title, self.prose.event())
            s.blocks.append(self.figure_block(saved, caption, notes))
        return s

    def effects_table(self) -> Section:
        s = Section("effects", self.t["s_effects_table"])
        for o in self.d.outcomes():
            s.blocks += self.table_block(self.tables.effects(o))
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
        saved = figures.render_figure(figures.forest_figure, self.figdir, "forest", forest["panels"], forest["labels"],
                                      self.f, self.t)
        notes = [self.t["forest_note"], self.t["matched_note"]]
        if any(pt is None or any(v is None for v in pt) for p in forest["panels"]
               for pt, (_, header) in zip(p["points"], forest["labels"]) if not header):
            notes.append(self.t["suppressed_points"].format(self.d.threshold))
        s.blocks.append(self.figure_block(saved, self.t["forest_caption"], notes))
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

    # ---- document --------------------------------------------------------------------------------------------------
    def sections(self) -> list[Section]:
        out = [self.summary(), self.flow(), self.population(), self.balance(), self.curves(), self.effects_table(),
               self.subgroups(), self.robustness(), self.method()]
        for i, s in enumerate(out, start=1):
            s.number = i
        return out

    def html(self) -> str:
        env = _environment()
        template = env.get_template("report.html.j2")
        sections = self.sections()
        return template.render(lang=self.lang, t=self.t, title=self.d.name or self.t["report_kind"],
                               synthetic=self.d.synthetic, sections=sections, threshold=self.d.threshold,
                               css=Markup((TEMPLATES / "style.css").read_text(encoding="utf-8")))


def render_report(bundle: dict, out_dir: Path, *, language: str | None = None) -> Path:
    """Write `out_dir/report.html` and `out_dir/figures/*.png|svg` from a results bundle; return the report path.

    `language` is "da" or "en"; it defaults to the design's `language` or "da". The bundle must already have
    passed disclosure control: suppressed numbers are None and are shown as "–" with a footnote.
    """
    design = (bundle or {}).get("design") or {}
    lang = language or design.get("language") or "da"
    if lang not in ("da", "en"):
        raise ValueError(f"report language expected 'da' or 'en'; got '{lang}'")
    report = Report(bundle, Path(out_dir), lang)
    report.out.mkdir(parents=True, exist_ok=True)
    text = report.html()
    path = report.out / "report.html"
    path.write_text(text, encoding="utf-8")
    return path

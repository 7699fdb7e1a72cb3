"""The evidence report's effect sections (forest plots of the studies' effects, meta-analyses) and its search flow
(diagram and tables), as a part of :class:`virkning.evidence.report.sections.EvidencePage`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

from virkning.evidence.flow import STAGE_LABELS
from virkning.evidence.report import figures
from virkning.evidence.report.data import EffectPanel
from virkning.report.components import Cell, Row, Section, Table
from virkning.report.figures import render_figure
from virkning.report.formatting import missing
from virkning.report.labels import slug

if TYPE_CHECKING:
    import pandas as pd

    from virkning.evidence.model import Study
    from virkning.evidence.report.data import EvidenceReportData
    from virkning.report.components import Blocks, Cells
    from virkning.report.formatting import Formatter

UNITS = {"weeks": ("uger", "weeks"), "days": ("dage", "days")}


def frame_rows(frame: pd.DataFrame) -> Iterator[Any]:
    """``frame.itertuples()``, typed loosely: the rows' attributes are the frame's columns, each of mixed type (a
    value or NaN), which pandas-stubs can only give as one union of every scalar type."""
    return cast(Iterator[Any], frame.itertuples())


class EffectSections:
    """Sections 6 (effects) and 7 (search flow); mixed into EvidencePage, whose words, cells and blocks they use."""

    # set by EvidencePage.__init__ (declared here for the type checker)
    d: EvidenceReportData
    base: Any  # the evidence base of `d`
    k: int
    f: Formatter
    t: dict[str, str]
    c: Cells
    blocks: Blocks

    # defined by EvidencePage
    def label(self, study: Study | str) -> str:
        raise NotImplementedError

    def vocab(self, kind: str, key: Any) -> str:
        raise NotImplementedError

    def direction(self, d: Any) -> str:
        raise NotImplementedError

    # ---- 6 effects -------------------------------------------------------------------------------------------
    def effects(self) -> Section:
        s = Section("effects", self.t["s_ev_effects"])
        s.blocks.append(self.blocks.p(self.t["effects_intro"]))
        if not self.d.panels:
            s.blocks.append(self.blocks.p(self.t["no_effects"]))
        for panel in self.d.panels:
            s.blocks += self._panel(panel)
        return s

    def _finding_label(self, r) -> str:
        who = self.label(r.study)
        if isinstance(r.subgroup, str):
            return figures.wrap_label(f"{who}, {r.subgroup}", 62)
        measure = r.measure if isinstance(r.measure, str) else r.finding
        return figures.wrap_label(f"{who}: {measure}", 62)

    def _panel(self, panel: EffectPanel) -> list[dict]:
        metric = self.base.vocabulary.metrics[panel.metric]
        mlabel = self.vocab("metrics", panel.metric)
        unit = UNITS.get(metric.unit, (metric.unit, metric.unit))[self.k]
        title = self.vocab("outcomes", panel.outcome)
        res = panel.synthesis
        weights: dict[str, float] = {}
        if res is not None:
            forest = res.forest("REML")
            weights = {sid: w for sid, w in zip(forest["study_id"], forest["weight"]) if isinstance(sid, str)}
            pooled_ids = dict(zip(res.studies["study"], res.studies["finding"]))
        rows, table = [], []
        for r in frame_rows(panel.findings):
            is_range = not missing(r.value_low) and missing(r.value)
            in_meta = res is not None and pooled_ids.get(r.study) == r.finding
            note = f"w {self.f.number(weights[r.study], 1)} %" if in_meta and r.study in weights else ""
            rows.append({"label": self._finding_label(r), "kind": "study", "est": r.value, "lo": r.ci_low,
                         "hi": r.ci_high, "range_lo": r.value_low if is_range else None,
                         "range_hi": r.value_high if is_range else None, "note": note})
            value = (self.t["range_text"].format(self._num(r.value_low), self._num(r.value_high))
                     if is_range else self._num(r.value))
            if r.approximate:
                value = f"{self.t['approx']} {value}"
            unc = (self.f.interval(r.ci_low, r.ci_high, decimals=2) if not missing(r.ci_low) else
                   f"{self.t['se']} {self.f.number(r.se, 2)}" if not missing(r.se) else "")
            table.append(Row([self.c.label(self.label(r.study)), self.c.label(r.measure if isinstance(
                r.measure, str) else str(r.finding)), self.c.label(r.subgroup if isinstance(r.subgroup, str) else
                                                                  self.t["whole_group"]),
                self.c.label(self.vocab("core_elements", r.core_element) if isinstance(r.core_element, str) else ""),
                Cell(value, "num"), Cell(unc, "num"), self.c.label(self.direction(r.direction))]))
        if res is not None:
            for m, mr in res.results.items():
                rows.append({"label": self.t["pooled"].format(m), "kind": "pooled", "est": mr.estimate,
                             "lo": mr.ci_low, "hi": mr.ci_high, "pi_lo": mr.pi_low, "pi_hi": mr.pi_high, "note": ""})
        stem = f"forest_{slug(panel.declared or panel.outcome)}_{slug(panel.metric)}"
        saved = render_figure(figures.forest_figure, stem, rows, xlabel=mlabel, favourable=metric.favourable,
                              fmt=self.f, t=self.t)
        notes = []
        bare = sorted({self.label(r.study) for r in frame_rows(panel.findings)
                       if missing(r.se) and missing(r.ci_low) and not missing(r.value)})
        if bare:
            notes.append(self.t["no_se_note"].format(", ".join(bare)))
        if res is None and panel.not_pooled:
            why = self.t["too_few_pooled"] if panel.not_pooled == "too_few" else panel.not_pooled
            notes.append(self.t["not_pooled"].format(why))
        notes += list(panel.warnings)
        lower = mlabel[:1].lower() + mlabel[1:]
        caption = self.t["forest_caption"].format(title, lower) if panel.declared is None else \
            self.t["meta_caption"].format(panel.declared, f"{title}, {lower}")
        out = [self.blocks.h3(f"{title}: {lower}")]
        out.append(self.blocks.figure(saved, caption, notes))
        number = out[-1]["number"]
        cols = [self.c.col(self.t[k], "label") for k in ("col_study", "col_measure", "col_subgroup",
                                                          "col_core_element")] + \
            [self.c.col(f"{self.t['col_effect']} ({unit})"), self.c.col(self.t["col_interval"]),
             self.c.col(self.t["col_direction"], "label")]
        out += self.blocks.table(Table(f"{stem}_findings", self.t["findings_caption"].format(number, lower),
                                       cols, table))
        if res is not None:
            summ = []
            for row in frame_rows(res.summary()):
                summ.append(Row([self.c.label(row.method), Cell(str(row.k), "num"), self.c.number(row.estimate, 2),
                                 Cell(self.f.interval(row.ci_low, row.ci_high, decimals=2), "num"),
                                 Cell(self.f.interval(row.pi_low, row.pi_high, decimals=2), "num"),
                                 self.c.number(row.tau2, 3), Cell(self.f.pct(row.i2 / 100, 1), "num"),
                                 self.c.number(row.q, 2), Cell(self.f.pvalue(row.p), "num")]))
            cols = [self.c.col(self.t["col_method"], "label"), self.c.col(self.t["col_k"]),
                    self.c.col(f"{self.t['col_estimate']} ({unit})"), self.c.col(self.t["ci95_short"]),
                    self.c.col(self.t["col_pi"]), self.c.col("τ²"), self.c.col("I²"), self.c.col("Q"),
                    self.c.col("p")]
            out += self.blocks.table(Table(f"{stem}_meta", self.t["meta_caption"].format(title, lower), cols, summ,
                                           how_to_read=self.t["meta_read"]))
        return out

    # ---- 7 search flow -----------------------------------------------------------------------------------------
    def search(self) -> Section:
        s = Section("search", self.t["s_ev_search"])
        flow = self.d.flow
        s.blocks.append(self.blocks.p(self.t["search_intro"] + (f" ({flow.method})" if flow.method else "")))
        n = {st: flow.n(st) for st in STAGE_LABELS if (flow.stages["stage"] == st).any()}
        lab = {k: v[self.k] for k, v in STAGE_LABELS.items()}
        ident = flow.stages[flow.stages["stage"] == "identified"]
        sources = [f"{r.source}: {'?' if missing(r.n) else self.f.number(r.n, 0)}" for r in frame_rows(ident)
                   if isinstance(r.source, str) and r.source != "all"]
        reasons = {stage: [f"{x.reason}: {'?' if missing(x.n) else self.f.number(x.n, 0)}"
                           for x in frame_rows(flow.exclusions[flow.exclusions["stage"] == stage])]
                   for stage in ("screening", "full_text")}
        main = [{"key": "identified", "label": lab["identified"], "n": n.get("identified"), "lines": sources},
                {"key": "screened", "label": lab["screened"], "n": n.get("screened"),
                 "lines": [f"{lab['duplicates_removed']}: {self._q(n.get('duplicates_removed'))}"]},
                {"key": "assessed_full_text", "label": lab["assessed_full_text"], "n": n.get("assessed_full_text")},
                {"key": "included", "label": lab["included"], "n": n.get("included")}]
        if "added_after_search" in n:
            main.append({"key": "added", "label": lab["added_after_search"], "n": n["added_after_search"],
                         "lines": [", ".join(self.label(x) for x in flow.added_after_search)]})
        main.append({"key": "in_base", "label": lab["in_base"], "n": n.get("in_base")})
        side = [{"after": "screened", "label": lab["excluded_screening"], "n": n.get("excluded_screening"),
                 "lines": reasons["screening"]},
                {"after": "assessed_full_text", "label": lab["excluded_full_text"], "n": n.get("excluded_full_text"),
                 "lines": reasons["full_text"]}]
        saved = render_figure(figures.flow_figure, "search_flow", main, side, self.f)
        notes = list(flow.notes)
        s.blocks.append(self.blocks.figure(saved, self.t["flow_caption"], notes))
        body = [Row([self.c.label(lab.get(r.stage, r.stage) + (f" ({r.source})" if isinstance(r.source, str) and
                                                                r.source != "all" else "")),
                     Cell(self._q(r.n), "num"), self.c.label(r.note if isinstance(r.note, str) else "")])
                for r in frame_rows(flow.stages)]
        s.blocks += self.blocks.table(Table("search_stages", self.t["stages_caption"],
                                            [self.c.col(self.t["col_stage"], "label"),
                                             self.c.col(self.t["col_records"]),
                                             self.c.col(self.t["col_note"], "label")], body))
        if len(flow.exclusions):
            body = [Row([self.c.label(lab[f"excluded_{r.stage}"]), self.c.label(r.reason), Cell(self._q(r.n), "num")])
                    for r in frame_rows(flow.exclusions)]
            s.blocks += self.blocks.table(Table("search_exclusions", self.t["exclusions_caption"],
                                                [self.c.col(self.t["col_stage"], "label"),
                                                 self.c.col(self.t["col_reason"], "label"),
                                                 self.c.col(self.t["col_records"])], body))
        body = []
        for r in frame_rows(flow.characteristics()):
            value = self.vocab("designs", r.value) if r.dimension == "design" else \
                self.vocab("core_elements", r.value) if r.dimension == "core_element" else str(r.value)
            body.append(Row([self.c.label(self.t[f"dim_{r.dimension}"]), self.c.label(value),
                             Cell(self.f.number(r.studies, 0), "num")]))
        s.blocks += self.blocks.table(Table("search_characteristics", self.t["characteristics_caption"],
                                            [self.c.col(self.t["col_dimension"], "label"),
                                             self.c.col(self.t["col_value"], "label"),
                                             self.c.col(self.t["col_records"])], body,
                                            how_to_read=self.t["characteristics_read"]))
        if flow.eligibility:
            s.blocks.append(self.blocks.h3(self.t["eligibility"]))
            s.blocks.append(self.blocks.ul(list(flow.eligibility)))
        return s

    def _num(self, v) -> str:
        """An effect as the study gives it: whole numbers without decimals, others with two."""
        v = float(v)
        return self.f.number(v, 0 if abs(v - round(v)) < 1e-9 else 2)

    def _q(self, n) -> str:
        return "?" if n is None or missing(n) else self.f.number(n, 0)

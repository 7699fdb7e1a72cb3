"""Report sections of the programme theory and its plan, built with the shared report components: the diagram
(an SVG of our own, see `diagram`), the table of the theory's elements, the indicators with their targets and
sources, the schedules, and the plan's status (from the protected status table only)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from virkning.analyses.programme.diagram import inline, programme_svg
from virkning.analyses.programme.theory import words
from virkning.report.components import Blocks, Cell, Cells, Numbering, Row, Section, Table
from virkning.report.figures import SavedFigure
from virkning.report.formatting import DASH, Formatter, missing
from virkning.report.strings import ui

STEM = "programme_theory"


def diagram_figure(spec, language: str, title: str) -> SavedFigure:
    """The diagram as a report figure: SVG only (the writer skips an empty PNG)."""
    svg = programme_svg(spec, words(language), title)
    return SavedFigure(STEM, b"", svg.encode("utf-8"), inline(svg, STEM))


def _t(language: str) -> dict[str, Any]:
    return {**ui(language), **words(language)}


def _text_table(key: str, caption: str, frame: pd.DataFrame, columns: list[tuple[str, str]]) -> Table:
    head = [Cell(label, "label") for _, label in columns]
    rows = [Row([Cell("" if missing(r[c]) else str(r[c]), "label") for c, _ in columns])
            for r in frame.to_dict("records")]
    return Table(key, caption, head, rows)


def theory_sections(spec, theory: pd.DataFrame, indicators: pd.DataFrame, schedules: pd.DataFrame, title: str,
                    language: str, numbering: Numbering | None = None, source: str = "") -> tuple[list[Section], dict]:
    t = _t(language)
    blocks = Blocks(t, numbering or Numbering(), 0, source)
    fig = diagram_figure(spec, language, title)
    body = [blocks.p(t["prog_lead"]),
            blocks.figure(fig, t["fig_theory"].format(title), [t["fig_theory_note"]], alt=t["fig_theory"].format(title))]
    shown = theory.assign(term=[p or h for p, h in zip(theory["phase"], theory["horizon"])])
    body += blocks.table(_text_table("programme_theory", t["tab_theory"], shown,
                                     [("element", t["th_element"]), ("label", t["th_label"]),
                                      ("term", t["th_phase"]), ("links", t["th_from"])]), source=False)
    sections = [Section("programme-theory", t["prog_title"], body)]
    if len(indicators) or len(schedules):
        plan = [blocks.p(t["plan_lead"])]
        if len(indicators):
            plan += blocks.table(_text_table("indicators", t["tab_indicators"], indicators,
                                             [("label", t["th_indicator"]), ("kind", t["th_kind"]),
                                              ("source", t["th_source"]), ("measures", t["th_measures"]),
                                              ("target", t["th_target"])]), source=False)
        if len(schedules):
            plan += blocks.table(_text_table("schedules", t["tab_schedule"], schedules,
                                             [("label", t["th_schedule"]), ("points", t["th_points"]),
                                              ("indicators", t["th_indicators"])]), source=False)
        sections.append(Section("programme-plan", t["plan_title"], plan))
    return sections, blocks.figures


def status_sections(status: pd.DataFrame, labels: dict[str, str], as_of: str, threshold: int, language: str,
                    numbering: Numbering | None = None, source: str = "") -> tuple[list[Section], dict]:
    """The status table: one row per indicator, point and target."""
    t = _t(language)
    f = Formatter(language)
    c = Cells(f, t)
    blocks = Blocks(t, numbering or Numbering(), threshold, source)
    head = [Cell(t["th_indicator"], "label"), Cell(t["th_point"], "label"), Cell(t["th_state"], "label"),
            c.col(t["th_value"]), c.col(t["th_interval"]), c.col(t["th_n"]), c.col(t["th_target"]),
            Cell(t["th_met"], "center"), Cell(t["th_missing"], "label")]
    rows = []
    for r in status.to_dict("records"):
        share = r["kind"] in ("share", "rate")
        measured = r["state"] == "measured"
        if not measured:
            value = Cell("", "num")
        elif r["kind"] == "count":
            value = c.count(r["value"])
        elif share:
            value = c.pct(r["value"])
        else:
            value = c.number(r["value"], 1)
        interval = c.interval(r["ci_low"], r["ci_high"], True) if measured and share else Cell("", "num")
        if measured and share and missing(r["ci_low"]) and not missing(r["value"]):
            interval = Cell("", "num")
        n = c.count(r["denominator"]) if measured and share and r["denominator"] == r["denominator"] else (
            Cell(DASH, "num", suppressed=True) if measured and share else Cell("", "num"))
        target = "" if missing(r["target"]) else (f.pct(r["target"], 0) if share else f.number(r["target"], 0))
        met = {"yes": t["yes"], "no": t["no"], "not_yet": t["met_not_yet"]}.get(r["met"], "")
        why = "" if missing(r["missing"]) else str(r["missing"])
        why = t["missing_words"].get(why, why)
        point = r["point"] + (f" ({r['date']})" if r["date"] and r["date"] != r["point"] else "")
        rows.append(Row([Cell(labels.get(r["indicator"], r["indicator"]), "label"), Cell(point, "label"),
                         Cell(t[f"state_{r['state']}"], "label"), value, interval, n, Cell(target, "num"),
                         Cell(met, "center"), Cell(why, "label")]))
    table = Table("status", t["tab_status"], head, rows, notes=[t["status_note"]])
    body = [blocks.p(t["status_lead"].format(as_of))] + blocks.table(table)
    return [Section("programme-status", t["status_title"], body)], blocks.figures

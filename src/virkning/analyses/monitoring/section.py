"""The monthly status page, built with the shared report components, words and figures (the same house style as the
evaluation report): registrations, the funnel, the success criteria with bar charts, the ranking, register-based
results, fidelity and citizen surveys. Every number comes from the protected tables; hidden cells show "–".
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from virkning.analyses.monitoring.compute import SHARE_PERIODS, TOTAL
from virkning.analyses.monitoring.fidelity import OVERALL
from virkning.analyses.monitoring.strings import MONITORING_UI, humanize, message
from virkning.report.components import Blocks, Cell, Cells, Numbering, Row, Section, Table
from virkning.report.figures import GRID, PARTICIPANTS, TEXT, render_figure
from virkning.report.formatting import Formatter, missing
from virkning.report.labels import slug


def _p(text: str) -> str:
    return f"p {text}" if text.startswith("<") else f"p = {text}"
from virkning.report.strings import ui


def _tick(fmt: Formatter, pct: bool):
    """Axis ticks in the report's language (decimal comma, thousands dot in Danish), with a decimal only where a tick
    needs one (12,5 % is not rounded to 13 %)."""
    def tick(v, _=None) -> str:
        x = 100 * v if pct else v
        decimals = 0 if abs(x - round(x)) < 1e-6 else 1
        return fmt.pct(v, decimals) if pct else fmt.number(v, decimals)
    return tick


def _bars(values: list[tuple[str, float | None]], target: float | None, pct: bool, fmt: Formatter) -> Figure:
    """Horizontal bars per project with a dashed target line; hidden values are left out (shown as a dash)."""
    n = len(values)
    fig = Figure(figsize=(7.2, 0.32 * n + 0.9))
    ax = fig.subplots()
    ys = np.arange(n)[::-1]
    # missing() is True for None, so the shown values are numbers
    shown = [(y, cast(float, v)) for y, (_, v) in zip(ys, values) if not missing(v)]
    top = max([v for _, v in shown] + ([target] if target else []) + [1e-9])
    for (label, v), y in zip(values, ys):
        if missing(v):
            ax.text(0, y, "–", va="center", ha="left", color="#777777", fontsize=9)
            continue
        v = cast(float, v)  # missing() ruled out None
        ax.barh(y, v, color=PARTICIPANTS if label != TOTAL else "#0b3350", height=0.62)
        ax.text(v + top * 0.01, y, fmt.pct(v, 0) if pct else fmt.number(v, 0), va="center", fontsize=8.5, color=TEXT)
    if target:
        ax.axvline(target, color="#b00020", ls="--", lw=1)
    ax.set_yticks(ys)
    ax.set_yticklabels([label for label, _ in values], fontsize=8.5)
    ax.set_xlim(0, top * 1.18)
    ax.xaxis.set_major_formatter(_tick(fmt, pct))
    ax.grid(axis="x", color=GRID, lw=0.5)
    fig.tight_layout()
    return fig


def _scatter(d: pd.DataFrame, slope: float, intercept: float, xlabel: str, ylabel: str, fmt: Formatter) -> Figure:
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    ax.scatter(d["score"], d["outcome"], color=PARTICIPANTS, s=24)
    xs = np.linspace(1, 5, 50)
    ax.plot(xs, intercept + slope * xs, color="#b00020", lw=1.5)
    ax.set_xlim(0.8, 5.2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.yaxis.set_major_formatter(_tick(fmt, True))
    ax.xaxis.set_major_formatter(lambda v, _: fmt.number(v, 1))
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


class StatusPage:
    def __init__(self, bundle: dict, language: str, numbering: Numbering | None = None, synthetic: bool = False):
        self.b = bundle
        self.t_ = bundle["tables"]
        self.lang = language
        self.f = Formatter(language)
        self.t = ui(language, MONITORING_UI)
        self.c = Cells(self.f, self.t)
        self.labels = bundle.get("labels") or {}
        self.info = bundle.get("info") or {}
        self.synthetic = synthetic
        self.blocks = Blocks(self.t, numbering or Numbering(), bundle["threshold"],
                             self.t["mon_source_synthetic"] if synthetic else self.t["mon_source"])

    def label(self, name: str) -> str:
        return self.labels.get(name) or humanize(name)

    def column(self, name: str) -> str:
        """A registration column's heading: its label in the design, else the key made readable."""
        name = str(name)
        if name == self.info.get("person_column"):
            return self.t["mon_person_column"]
        if name == self.info.get("unit_column"):
            return self.t["mon_unit"]
        return (self.info.get("column_labels") or {}).get(name) or humanize(name)

    def source(self, key: str) -> None:
        """The source line of the tables and figures that follow (the whole page's sources are in `about`)."""
        if self.info:
            self.blocks.source = self.t[key] + (self.t["mon_source_synthetic_suffix"] if self.synthetic else "")

    def month(self) -> str:
        return self.f.month(self.b.get("month"))

    def units(self) -> list[str]:
        f = self.t_["funnel"]
        return sorted(set(f["unit"]) - {TOTAL}) + [TOTAL]

    # ---- sections -------------------------------------------------------------------------------------------------
    def about(self) -> Section | None:
        """Where the numbers come from, which months they cover, and what produced them."""
        i = self.info
        if not i:
            return None
        s = Section("about", self.t["mon_about"])
        parts = [self.t["mon_src_sheet"].format(i["registration_file"], self.f.month(i["first_month"]),
                                                self.f.month(i["month"]))]
        if i.get("register_end") and "employment" in self.t_:
            parts.append(self.t["mon_src_employment"].format(self.f.month(i["register_end"])))
        if "surveys" in self.t_ and i.get("surveys"):
            parts.append(self.t["mon_src_survey"].format(", ".join(i["surveys"])))
        if i.get("staff_survey") and self.fid is not None:
            parts.append(self.t["mon_src_staff"].format(i["staff_survey"]))
        date = i.get("date")
        s.blocks.append(self.blocks.p(self.t["mon_sources"].format(self.f.join(parts), i.get("version", ""),
                                                                   self.f.date(date) if date else "")))
        if self.synthetic:
            s.blocks.append(self.blocks.p(self.t["mon_synthetic_note"]))
        return s

    def registration(self) -> Section:
        self.source("mon_source_sheet")
        s = Section("registration", self.t["mon_registration"])
        r = self.t_["registration"]
        head = {row["item"]: row["rows"] for row in r.to_dict("records") if row["item"] != "rule"}
        s.blocks.append(self.blocks.p(self.t["mon_registration_text"].format(
            self.f.count(head.get("rows_read")), self.f.count(head.get("rows_kept")),
            self.f.count(head.get("violations")))))
        rules = [row for row in r.to_dict("records") if row["item"] == "rule"]
        if rules:
            body = [Row([self.c.label(self.column(x["column"])),
                         self.c.label(message(str(x["rule"]), self.lang, self.column)), self.c.count(x["rows"])])
                    for x in rules]
            s.blocks += self.blocks.table(Table("registration_rules", self.t["mon_rules_caption"],
                                                [self.c.col(self.t["mon_column"], "label"),
                                                 self.c.col(self.t["mon_rule"], "label"), self.c.col(self.t["mon_rows"])],
                                                body))
        return s

    def funnel(self) -> Section:
        s = Section("funnel", self.t["mon_funnel"])
        f = self.t_["funnel"]
        steps = list(dict.fromkeys(f.sort_values("order")["step"]))
        first = self.label(steps[0])
        month = self.month()
        tables = (("cumulative", self.t["mon_cumulative"], self.t["mon_funnel_read"].format(first)),
                  ("cohort", self.t["mon_cohort"], self.t["mon_cohort_read"].format(first)),
                  ("month", self.t["mon_in_month"], self.t["mon_month_read"]))
        for period, caption, read in tables:
            g = f[f["period"] == period]
            if g.empty:  # tables published before the month's new citizens were followed
                continue
            shares = period in SHARE_PERIODS  # the month's counts are different persons at each step: no shares
            body = []
            for unit in self.units():
                rows = g[g["unit"] == unit].set_index("step")
                cells = [self.c.label(unit)]
                for st in steps:
                    cells.append(self.c.count(rows.at[st, "persons"]))
                    if st != steps[0] and shares:
                        cells.append(self.c.pct(rows.at[st, "share_of_first"], 0))
                body.append(Row(cells, "final" if unit == TOTAL else ""))
            columns = [self.c.col(self.t["mon_unit"], "label")]
            for st in steps:
                columns.append(self.c.col(self.label(st)))
                if st != steps[0] and shares:
                    columns.append(self.c.col(self.t["mon_share_of_first"]))
            s.blocks += self.blocks.table(Table(f"funnel_{period}", caption.format(month, first), columns, body,
                                                how_to_read=read))
        return s

    def criteria(self) -> Section:
        s = Section("criteria", self.t["mon_criteria"])
        c = self.t_["criteria"]
        cum = c[c["period"] == "cumulative"]
        for name, g in cum.groupby("criterion", sort=False):
            kind = g["kind"].iloc[0]
            body = []
            for r in g.to_dict("records"):
                if kind == "count":
                    value = self.c.count(r["value"])
                    target = self.f.number(r["target_min"], 0) + (
                        f"–{self.f.number(r['target_max'], 0)}" if r["target_max"] != r["target_min"] else "")
                else:
                    value = self.c.pct(r["value"], 0)
                    target = self.f.pct(r["target_min"], 0)
                met = "" if missing(r["met"]) else (self.t["yes"] if r["met"] else self.t["no"])
                cells = [self.c.label(r["unit"]), value, self.c.count(r["numerator"])]
                cells.append(self.c.count(r["denominator"]) if kind == "share" else Cell("", "num"))
                cells += [Cell(target, "num"), self.c.pct(r["achievement"], 0), Cell(met, "center")]
                body.append(Row(cells, "final" if r["unit"] == TOTAL else ""))
            columns = [self.c.col(self.t["mon_unit"], "label"), self.c.col(self.t["mon_value"]),
                       self.c.col(self.t["mon_numerator"]), self.c.col(self.t["mon_denominator"]),
                       self.c.col(self.t["mon_target"]), self.c.col(self.t["mon_achievement"]),
                       self.c.col(self.t["mon_met"], "center")]
            title = self.label(name)
            if kind == "share":
                r0 = g.iloc[0]
                read = self.t["mon_criterion_share_read"].format(self.label(r0["numerator_step"]),
                                                                 self.label(r0["denominator_step"]), self.month())
            else:
                read = self.t["mon_criterion_count_read"].format(self.label(g.iloc[0]["numerator_step"]), self.month())
            s.blocks.append(self.blocks.h3(title))
            s.blocks += self.blocks.table(Table(f"criterion_{len(s.blocks)}", self.t["mon_criterion_caption"].format(
                title, self.month()), columns, body, how_to_read=read))
            values = [(r["unit"], r["value"]) for r in g.to_dict("records") if r["unit"] != TOTAL or kind == "share"]
            target = g["target_min"].iloc[0] if kind == "share" else g[g["unit"] != TOTAL]["target_min"].max()
            saved = render_figure(_bars, f"criterion_{slug(name)}", values,
                                  None if missing(target) else float(target), kind == "share", self.f)
            s.blocks.append(self.blocks.figure(saved, self.t["mon_bars_caption"].format(title),
                                               [self.t["mon_bars_note"]]))
        r = self.t_["ranking"]
        crit = [col for col in r.columns if col.startswith("rank_")]
        body = [Row([self.c.number(x["rank"], 0), self.c.label(x["unit"]), self.c.pct(x["mean_achievement"], 0),
                     *[self.c.number(x[col], 0) for col in crit]]) for x in r.to_dict("records")]
        s.blocks += self.blocks.table(Table("ranking", self.t["mon_ranking"],
                                            [self.c.col(self.t["mon_rank"]), self.c.col(self.t["mon_unit"], "label"),
                                             self.c.col(self.t["mon_mean"]),
                                             *[self.c.col(self.label(col[5:])) for col in crit]], body,
                                            how_to_read=self.t["mon_ranking_read"]))
        return s

    def registers(self) -> Section | None:
        if "employment" not in self.t_:
            return None
        self.source("mon_source_registers")
        s = Section("registers", self.t["mon_registers"])
        e = self.t_["employment"]
        weeks = int(e["weeks_after"].iloc[0]) if len(e) else 13
        end = self.info.get("register_end")
        index = self.column(self.info.get("index_column", ""))
        read = self.t["mon_employment_read"].format(weeks, index,
                                                    self.month(), self.f.month(end) if end else "–")
        body = [Row([self.c.label(x["unit"]), self.c.count(x["persons"]), self.c.count(x["employed"]),
                     self.c.pct(x["share_employed"], 0)], "final" if x["unit"] == TOTAL else "")
                for x in e.to_dict("records")]
        s.blocks += self.blocks.table(Table("employment", self.t["mon_employment"].format(weeks),
                                            [self.c.col(self.t["mon_unit"], "label"),
                                             self.c.col(self.t["mon_followed"].format(weeks)),
                                             self.c.col(self.t["mon_employed"]), self.c.col(self.t["mon_share"])],
                                            body, how_to_read=read))
        for name, caption in (("temp_industry", self.t["mon_temp_industry"]), ("temp_hours", self.t["mon_temp_hours"])):
            g = self.t_[name]
            body = [Row([self.c.label(str(x["level"])), self.c.count(x["persons"]), self.c.count(x["months"]),
                         self.c.pct(x["share_of_months"], 0)], "final" if x["level"] == TOTAL else "")
                    for x in g.to_dict("records")]
            s.blocks += self.blocks.table(Table(name, caption, [self.c.col(self.t["mon_level"], "label"),
                                                                self.c.col(self.t["mon_persons"]),
                                                                self.c.col(self.t["mon_months"]),
                                                                self.c.col(self.t["mon_share_of_months"])], body))
        s.blocks.append(self.blocks.note(self.t["mon_full_time"]))
        return s

    def fidelity(self, fid) -> Section | None:
        if fid is None:
            return None
        self.source("mon_source_staff")
        s = Section("fidelity", self.t["mon_fidelity"])
        d = fid.distribution

        def element(e: str) -> str:
            return self.t["mon_overall"] if e == OVERALL else fid.elements.get(e, humanize(e))

        body = [Row([self.c.label(humanize(x["wave"])), self.c.label(element(str(x["element"]))),
                     self.c.number(x["units"], 0),
                     *[self.c.number(x[k], 2) for k in ("min", "q1", "median", "q3", "max")]])
                for x in d.to_dict("records")]
        s.blocks += self.blocks.table(Table("fidelity_distribution", self.t["mon_fidelity_distribution"],
                                            [self.c.col(self.t["mon_wave"], "label"),
                                             self.c.col(self.t["mon_element"], "label"), self.c.col(self.t["mon_units"]),
                                             *[self.c.col(self.t[f"mon_{k}"]) for k in ("min", "q1", "median", "q3",
                                                                                        "max")]], body,
                                            how_to_read=self.t["mon_fidelity_read"]))
        if fid.by_size is not None and len(fid.by_size):
            body = [Row([self.c.label(humanize(x["wave"])), self.c.label(str(x["size_band"])), self.c.number(x["units"], 0),
                         self.c.number(x["mean_score"], 1)]) for x in fid.by_size.to_dict("records")]
            s.blocks += self.blocks.table(Table("fidelity_size", self.t["mon_fidelity_size"],
                                                [self.c.col(self.t["mon_wave"], "label"),
                                                 self.c.col(self.t["mon_size"], "label"), self.c.col(self.t["mon_units"]),
                                                 self.c.col(self.t["mon_score"])], body))
        if len(fid.movers):
            mv = fid.movers.groupby(["from_wave", "to_wave"], sort=False)["moved_up"].agg(["sum", "count"]).reset_index()
            body = [Row([self.c.label(f"{humanize(x['from_wave'])} → {x['to_wave']}"), self.c.number(x["sum"], 0),
                         self.c.number(x["count"], 0)]) for x in mv.to_dict("records")]
            s.blocks += self.blocks.table(Table("fidelity_movers", self.t["mon_movers"],
                                                [self.c.col(self.t["mon_wave"], "label"),
                                                 self.c.col(self.t["mon_moved_up"]), self.c.col(self.t["mon_units"])],
                                                body))
        if fid.regression is not None:
            r = fid.regression
            s.blocks.append(self.blocks.h3(f"{self.t['mon_regression']} ({fid.regression_wave})"))
            s.blocks.append(self.blocks.p(
                f"y = {self.f.number(r.slope, 4)}x + {self.f.number(r.intercept, 4)}, R² = {self.f.number(r.r2, 4)}, "
                f"{_p(self.f.pvalue(r.p_value))}, N = {self.f.number(r.n, 0)}"))
            saved = render_figure(_scatter, "fidelity_scatter", fid.regression_data, r.slope, r.intercept,
                                  self.t["mon_fidelity_axis"], self.t["mon_outcome_axis"], self.f)
            s.blocks.append(self.blocks.figure(saved, self.t["mon_regression"], [self.t["mon_regression_note"]]))
        for n in fid.notes:
            n = message(n, self.lang, self.column)
            s.blocks.append(self.blocks.note(humanize(n) + ("" if n.endswith(".") else ".")))
        return s

    def surveys(self) -> Section | None:
        sv = self.t_.get("surveys")
        if sv is None or not len(sv):
            return None
        self.source("mon_source_citizens")
        s = Section("surveys", self.t["mon_surveys"])
        for (survey, wave), g in sv.groupby(["survey", "wave"], sort=False):
            step = (self.info.get("survey_steps") or {}).get(survey)
            step_label = self.label(step) if step else self.t["mon_respondents"]
            tot = g[g["unit"] == TOTAL]
            body = [Row([self.c.label(str(x["statement"])), self.c.count(x["n"]), self.c.pct(x["share_agree"], 0)])
                    for x in tot.to_dict("records")]
            s.blocks.append(self.blocks.h3(f"{self.label(survey)}: {wave}"))
            s.blocks += self.blocks.table(Table(f"survey_{survey}_{wave}", self.t["mon_survey_caption"],
                                                [self.c.col(self.t["mon_statement"], "label"), self.c.col(self.t["mon_n"]),
                                                 self.c.col(self.t["mon_agree"])], body))
            rr = g.drop_duplicates("unit")
            body = [Row([self.c.label(str(x["unit"])), self.c.count(x["respondents"]), self.c.count(x["population"]),
                         self.c.pct(x["response_rate"], 0)], "final" if x["unit"] == TOTAL else "")
                    for x in rr.to_dict("records")]
            s.blocks += self.blocks.table(Table(f"survey_rate_{survey}_{wave}", self.t["mon_response_caption"],
                                                [self.c.col(self.t["mon_unit"], "label"),
                                                 self.c.col(self.t["mon_respondents"]),
                                                 self.c.col(self.t["mon_population"].format(step_label)),
                                                 self.c.col(self.t["mon_response_rate"])], body,
                                                how_to_read=self.t["mon_response_read"].format(step_label)))
        return s

    def sections(self, fidelity=None) -> list[Section]:
        self.fid = fidelity
        out = [self.about(), self.registration(), self.funnel(), self.criteria(), self.registers(),
               self.fidelity(fidelity), self.surveys()]
        return [s for s in out if s is not None]


def status_sections(bundle: dict, language: str, numbering: Numbering | None = None, fidelity=None,
                    synthetic: bool = False) -> tuple[list[Section], dict]:
    """The sections of one month's status page and the figures they show."""
    page = StatusPage(bundle, language, numbering, synthetic)
    return page.sections(fidelity), page.blocks.figures

"""The trajectories analysis's report sections, in Danish or English, from the protected bundle (results.json):

    groups and visitation (the rule, the flow of records and citizens, the groups)     seed 001, bilag
    trajectories by month since the index (Figur 4-3a/4-3b/4-4 and their numbers)
    the municipalities compared (Tabel 4-2, Tabel 4-3, the success criterion per municipality)
    visitation by seniority (Figur 4-2)
    linear probability models (Tabel 4-4)
    method (outcome definitions, intervals, disclosure, notes on the data)

Built with the shared report components; a suppressed value shows "–" and its table gets the shared footnote.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from virkning.analyses.trajectories import figures
from virkning.analyses.trajectories.strings import TRAJ_UI
from virkning.outcomes import MonthOutcome, month_definition
from virkning.registers.catalogue import state_label
from virkning.report.components import Blocks, Cell, Cells, Numbering, Row, Section, Table
from virkning.report.figures import render_figure
from virkning.report.formatting import DASH, Formatter, missing
from virkning.report.strings import ui


class _Report:
    def __init__(self, bundle: dict, language: str, numbering: Numbering | None):
        self.b = bundle
        self.lang = language
        self.en = language == "en"
        self.f = Formatter(language)
        self.t = ui(language, TRAJ_UI)
        self.c = Cells(self.f, self.t)
        self.d = bundle["design"]
        self.tab = bundle["tables"]
        self.threshold = bundle["threshold"]
        synthetic = bool(bundle.get("data", {}).get("synthetic"))
        self.blocks = Blocks(self.t, numbering or Numbering(), self.threshold,
                             self.t["source_synthetic"] if synthetic else self.t["source"])
        self.glabel = bundle["labels"]["groups"]
        self.olabel = bundle["labels"]["outcomes"]

    # ---- helpers ---------------------------------------------------------------------------------------------------
    def count_html(self, v) -> Markup:
        if missing(v):
            return Markup(escape(self.t["hidden_count"].format(self.threshold)))
        return Markup(f'<span class="count">{escape(self.f.count(v))}</span>')

    def step_label(self, step: str) -> str:
        """The flow's steps (written in English in flow.csv) in the report's words."""
        g = self.glabel
        m = re.fullmatch(r"group (.+)", step)
        if m:
            return g.get(m.group(1), m.group(1))
        if self.en:
            if m := re.fullmatch(r"(.+?): in (.+) in the week of (.+)", step):
                return (f"{g.get(m.group(1), m.group(1))}: {state_label(m.group(2), 'en')} in the week of "
                        f"{self.f.date(m.group(3))}")
            if m := re.fullmatch(r"(.+?): (.+) to under (.+) years in (.+)", step):
                return (f"{g.get(m.group(1), m.group(1))}: {m.group(2)} to under {m.group(3)} years on "
                        f"{state_label(m.group(4), 'en')}")
            m = re.fullmatch(r"(.+?): (.*)", step)
            return f"{g.get(m.group(1), m.group(1))}: {m.group(2)}" if m else step[:1].upper() + step[1:]
        fixed = {"records in the table": "Registreringer i visitationsdata",
                 "without records ending before they start": "Uden registreringer, der slutter før de starter",
                 "one record per person (the rule)": "Én registrering pr. borger (reglen)",
                 "in the persons table": "Borgere i persontabellen"}
        if step in fixed:
            return fixed[step]
        if m := re.fullmatch(r"in the groups (.+)", step):
            return f"I grupperne {m.group(1)}"
        if m := re.fullmatch(r"(.+?): in (.+) in the week of (.+)", step):
            what = self.f.date(m.group(3))
            return f"{g.get(m.group(1), m.group(1))}: {state_label(m.group(2), 'da')} i ugen med {what}"
        if m := re.fullmatch(r"(.+?): (.+) to under (.+) years in (.+)", step):
            return (f"{g.get(m.group(1), m.group(1))}: {m.group(2)} til under {m.group(3)} år på "
                    f"{state_label(m.group(4), 'da')}")
        if m := re.fullmatch(r"(.+?): not in (.+)", step):
            return f"{g.get(m.group(1), m.group(1))}: ikke i {m.group(2)}"
        return step

    def band_label(self, band: str, volume: bool) -> str:
        if band == "I alt":
            return self.t["total"]
        if m := re.fullmatch(r"over (.+)", band):
            return ("Over " if not self.en else "Over ") + self.f.number(float(m.group(1)), 0)
        lo, hi = band.split("-")
        if volume and lo == "0":
            return ("Under " if not self.en else "Under ") + self.f.number(float(hi) + 1, 0)
        return f"{self.f.number(float(lo), 0)}-{self.f.number(float(hi), 0)}"

    # ---- sections --------------------------------------------------------------------------------------------------
    def groups(self) -> Section:
        s = Section("traj_groups", self.t["s_traj_groups"])
        s.blocks.append(self.blocks.p(self.t["traj_groups_intro"]))
        r = self.d["rule"]
        steps = []
        if r["drop_end_before_start"]:
            steps.append(self.t["rule_drop"])
        steps.append(self.t["rule_keep"].format(", ".join(r["keep_groups"])))
        words = {"closest_start": self.t["rule_closest"].format(self.f.date(r["reference_date"])),
                 "latest_end": self.t["rule_latest"],
                 "group_order": self.t["rule_order"].format(" > ".join(r["group_order"]))}
        steps += [words[p] for p in r["prefer"]]
        if any(g.get("records") for g in self.d["groups"]):
            s.blocks.append(self.blocks.ul(steps))
        rows = [Row([self.c.label(self.step_label(str(x["step"]))),
                     self.c.count(x.get("rows")) if x.get("part") == "records" else Cell("", "num"),
                     self.c.count(x.get("persons"))]) for x in self.tab["flow"]]
        s.blocks += self.blocks.table(Table("traj_flow", self.t["flow_caption"],
                                            [self.c.col(self.t["step"], "label"), self.c.col(self.t["records"]),
                                             self.c.col(self.t["citizens"])], rows))
        h = self.d["horizon"]
        rows = [Row([self.c.label(x["label"]), self.c.count(x["persons"]), self.c.count(x["observed_to_horizon"]),
                     Cell(f"{self.f.month(x.get('first_index'))} - {self.f.month(x.get('last_index'))}", "num")])
                for x in self.tab["groups"]]
        s.blocks += self.blocks.table(Table("traj_group_sizes", self.t["groups_caption"],
                                            [self.c.col(self.t["group"], "label"), self.c.col(self.t["citizens"]),
                                             self.c.col(self.t["observed_h"].format(h)),
                                             self.c.col(self.t["index_period"])], rows))
        return s

    def curves(self) -> Section:
        s = Section("traj_curves", self.t["s_traj_curves"])
        s.blocks.append(self.blocks.p(self.t["curves_intro_" + self.d["measure"]]))
        cur = self.d["curves"]
        rows = self.tab["curves"]
        for o in cur["outcomes"]:
            series = []
            for g in cur["groups"]:
                rs = sorted((r for r in rows if r["group"] == g and r["outcome"] == o), key=lambda r: r["month"])
                series.append({"label": self.glabel.get(g, g), "rows": rs})
            label = self.olabel.get(o, o)
            saved = render_figure(figures.curves_figure, f"trajectory_{o}", series, list(cur["months"]), self.f,
                                  self.t)
            notes = []
            if any(missing(r.get("share")) for x in series for r in x["rows"]):
                notes.append(self.t["suppressed_note"].format(self.threshold))
            s.blocks.append(self.blocks.figure(saved, self.t["curve_caption"].format(label), notes))
            cols = [self.c.col(self.t["month"], "label")]
            groups_row = [Cell("", "")]
            for x in series:
                groups_row.append(Cell(x["label"], "center", colspan=3))
                cols += [self.c.col("%"), self.c.col(self.t["ci95_short"]), self.c.col("N")]
            trows = []
            for mo in cur["months"]:
                cells = [self.c.label(str(mo))]
                for x in series:
                    r: dict = next((r for r in x["rows"] if int(r["month"]) == mo), {})
                    cells += [self.c.pct(r.get("share")), self.c.interval(r.get("ci_low"), r.get("ci_high"), True),
                              self.c.count(r.get("n"))]
                trows.append(Row(cells))
            table = Table(f"traj_curve_{o}", self.t["curve_table_caption"].format(label), cols, trows, groups_row)
            s.blocks.append({"type": "details", "summary": table.caption, "blocks": self.blocks.table(table)})
        return s

    def units(self) -> Section | None:
        u = self.d.get("units")
        if not u or "units_size" not in self.tab:
            return None
        s = Section("traj_units", self.t["s_traj_units"])
        source = self.t["inhabitants_" + (self.b.get("data", {}).get("inhabitants") or "shipped")]
        s.blocks.append(self.blocks.p(self.t["units_intro"].format(self.glabel.get(u["group"], u["group"]),
                                                                    self.d["horizon"], source)))
        for name, head in (("units_size", self.t["band_inhabitants"]),
                           ("units_volume", self.t["band_volume"].format(self.glabel.get(u["group"], u["group"])))):
            f = self.tab[name]
            cols = [self.c.col(head, "label")] + [self.c.col(self.band_label(r["band"], name == "units_volume"))
                                                  for r in f]
            rows = [Row([self.c.label(self.olabel.get(o, o))] + [self.c.pct(r.get(f"share_{o}"), 0) for r in f])
                    for o in u["outcomes"]]
            rows.append(Row([self.c.label(self.t["citizens"])] + [self.c.count(r.get("persons")) for r in f]))
            rows.append(Row([self.c.label(self.t["units_col"])] + [self.c.number(r.get("units"), 0) for r in f]))
            s.blocks += self.blocks.table(Table(f"traj_{name}", self.t["units_caption"] + f" ({head.lower()})",
                                                cols, rows))
        dist = self.tab["unit_distribution"]
        cols = [self.c.col("", "label")] + [self.c.col(self.olabel.get(r["outcome"], r["outcome"])) for r in dist]
        rows = [Row([self.c.label(self.t[k])] + [self.c.pct(r.get(k), 0) for r in dist])
                for k in ("minimum", "q1", "median", "q3", "maximum")]
        left = dist[0].get("units_left_out", 0) if dist else 0
        s.blocks += self.blocks.table(Table("traj_distribution", self.t["dist_caption"], cols, rows,
                                            notes=[self.t["dist_note"].format(u["min_persons"], left)] if left else []))
        crit = u.get("criterion")
        if crit and "unit_criterion" in self.tab:
            cr = self.tab["unit_criterion"]
            judged = [r for r in cr if not missing(r.get("met"))]
            met = [r for r in judged if bool(r["met"])]
            s.blocks.append(self.blocks.p(self.t["criterion_sentence"].format(crit["label"], len(met), len(judged))))
            rows = [Row([self.c.label(r.get("name") or r["unit"]), self.c.count(r.get("persons")),
                         self.c.pct(r.get("share"), 0), self.c.number(r.get("first_month"), 0),
                         Cell(DASH if missing(r.get("met")) else self.t["yes" if bool(r["met"]) else "no"],
                              "center", suppressed=missing(r.get("met")))]) for r in cr]
            table = Table("traj_criterion", self.t["criterion_caption"],
                          [self.c.col(self.t["unit"], "label"), self.c.col(self.t["citizens"]),
                           self.c.col(self.t["best_share"]), self.c.col(self.t["from_month"]),
                           self.c.col(self.t["met"], "center")], rows,
                          notes=[self.t["criterion_note"].format(crit["window"])])
            s.blocks.append({"type": "details", "summary": table.caption, "blocks": self.blocks.table(table)})
        return s

    def seniority(self) -> Section | None:
        sen = self.d.get("seniority")
        if not sen or "seniority" not in self.tab:
            return None
        s = Section("traj_seniority", self.t["s_traj_seniority"])
        s.blocks.append(self.blocks.p(self.t["seniority_intro"].format(state_label(sen["state"], self.lang),
                                                                        self.f.date(sen["date"]))))
        rows = [r for r in self.tab["seniority"] if not str(r["band"]).startswith("under")]
        bands = [{**r, "label": self.t["total"] if r["band"] == "I alt" else
                  r["band"].replace("over", "Over" if self.en else "Over") + f" {self.t['years']}"} for r in rows]
        groups = [(g, self.glabel.get(g, g)) for g in sen["groups"]]
        saved = render_figure(figures.seniority_figure, "seniority", bands, groups, self.f, self.t)
        s.blocks.append(self.blocks.figure(saved, self.t["seniority_caption"], []))
        cols = [self.c.col(self.t["years"].capitalize(), "label"), self.c.col("N")] + [
            self.c.col(label) for _, label in groups]
        trows = [Row([self.c.label(b["label"]), self.c.count(b.get("persons"))] +
                     [self.c.pct(b.get(f"share_{g}"), 0) for g, _ in groups]) for b in bands]
        s.blocks += self.blocks.table(Table("traj_seniority", self.t["seniority_caption"], cols, trows))
        return s

    def lpm(self) -> Section | None:
        spec = self.d.get("lpm")
        if not spec or "lpm" not in self.tab:
            return None
        s = Section("traj_lpm", self.t["s_traj_lpm"])
        out = self.tab["lpm_outcomes"]
        se = out[0]["se_type"] if out else "cluster"
        s.blocks.append(self.blocks.p(self.t["lpm_intro"].format(self.glabel.get(spec["group"], spec["group"]),
                                                                  self.d["horizon"], self.t[f"lpm_se_{se}"])))
        outs = list(spec["outcomes"])
        coef = self.tab["lpm"]
        terms = list(dict.fromkeys(r["term"] for r in coef))
        cols = [self.c.col("", "label")] + [self.c.col(self.olabel.get(o, o)) for o in outs]
        rows = []
        for term in terms:
            cells = [self.c.label(next(r["label"] for r in coef if r["term"] == term))]
            for o in outs:
                r: dict = next((r for r in coef if r["term"] == term and r["outcome"] == o), {})
                est, p = r.get("estimate"), r.get("p")
                if missing(est):
                    cells.append(Cell(DASH, "num", suppressed=True))
                elif spec["only_significant"] and (missing(p) or p >= spec["alpha"]):
                    cells.append(Cell("", "num"))
                else:
                    mark = "" if spec["only_significant"] else (r.get("mark") or "")
                    cells.append(Cell(self.f.number(est, 0) + self.t["pct_unit"] + mark, "num"))
            rows.append(Row(cells))
        rows.append(Row([self.c.label(self.t["mean_row"])] + [
            Cell(self.f.number(x.get("mean"), 0) + self.t["pct_mean"], "num") if not missing(x.get("mean")) else
            Cell(DASH, "num", suppressed=True) for x in _order(out, outs)], "total"))
        rows.append(Row([self.c.label(self.t["n_row"])] + [self.c.count(x.get("n")) for x in _order(out, outs)]))
        notes = []
        if spec["controls"]:
            notes.append(self.t["lpm_controls"].format(", ".join(c["label"] for c in spec["controls"])))
        notes.append(self.t["lpm_only_sig"].format(self.f.number(spec["alpha"], 2)) if spec["only_significant"]
                     else self.t["lpm_marks"])
        s.blocks += self.blocks.table(Table("traj_lpm", self.t["lpm_caption"], cols, rows, notes=notes))
        drows = [Row([self.c.label(self.olabel.get(r["outcome"], r["outcome"])), self.c.label(r["label"]),
                      self.c.number(r.get("estimate"), 1), self.c.number(r.get("se"), 1),
                      self.c.interval(r.get("ci_low"), r.get("ci_high"), False), self.c.num(self.f.pvalue(r.get("p")),
                                                                                         r.get("p")),
                      self.c.number(r.get("se_hc1"), 1), self.c.count(r.get("n_with"))]) for r in coef]
        detail = Table("traj_lpm_detail", self.t["lpm_detail_caption"],
                       [self.c.col(self.t["outcome"], "label"), self.c.col(self.t["variable"], "label"),
                        self.c.col(self.t["estimate_pp"]), self.c.col(self.t["se_main"]),
                        self.c.col(self.t["ci95_short"]), self.c.col(self.t["p_main"]), self.c.col(self.t["se_hc1"]),
                        self.c.col(self.t["n_with"])], drows)
        s.blocks.append({"type": "details", "summary": detail.caption, "blocks": self.blocks.table(detail)})
        return s

    def method(self) -> Section:
        s = Section("traj_method", self.t["s_traj_method"])
        s.blocks.append(self.blocks.h3(self.t["definitions"]))
        items: list[str] = []
        labels: dict = {}
        for o in self.d["outcomes"]:
            mo = MonthOutcome(o["name"], tuple(o["any_of"]), tuple(o["all_of"]), tuple(o["none_of"]), o.get("label"))
            items.append(f"{o.get('label') or o['name']}: {month_definition(mo, self.lang, labels)}")
            labels[o["name"]] = o.get("label") or o["name"]
        s.blocks.append(self.blocks.ul(items))
        s.blocks.append(self.blocks.p(self.t["method_ci"]))
        s.blocks.append(self.blocks.p(self.t["method_disclosure"].format(self.threshold)))
        notes = []
        for n in self.tab.get("notes", []):
            key = f"note_{n['kind']}"
            if key in self.t and n["kind"] not in ("standard_errors_cluster", "standard_errors_wild"):
                before, _, after = self.t[key].partition("{0}")
                notes.append(escape(before) + (self.count_html(n.get("persons")) if _ else "") + escape(after))
        if notes:
            s.blocks.append(self.blocks.h3(self.t["notes_heading"]))
            s.blocks.append(self.blocks.ul(notes))
        return s


def _order(rows: list[dict], names: list[str]) -> list[dict]:
    by = {r["outcome"]: r for r in rows}
    return [by.get(n, {}) for n in names]


def trajectory_sections(bundle: dict, language: str, numbering: Numbering | None = None) -> tuple[list, dict]:
    """(sections, figures) of the trajectories analysis for the evaluation report."""
    r = _Report(bundle, language, numbering)
    sections = [r.groups(), r.curves()]
    for extra in (r.units(), r.seniority(), r.lpm()):
        if extra is not None:
            sections.append(extra)
    sections.append(r.method())
    return sections, dict(r.blocks.figures)

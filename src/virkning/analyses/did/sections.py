"""The difference-in-differences report sections, from the protected tables of the output (Danish or English):

    1 design (units, indicators, what the disclosure rules hid)   2 trends (trial vs comparison; small multiples)
    3 effects (2x2, TWFE, CS; person level)   4 per trial unit   5 event study and pre-trend tests
    6 group-time table and aggregations   7 indicators by unit and period   8 assumptions and caveats
"""

from __future__ import annotations

from virkning.analyses.did import figures
from virkning.analyses.did.strings import DID_UI
from virkning.indicators import INDICATORS
from virkning.report.components import Blocks, Cell, Cells, Numbering, Row, Section, Table
from virkning.report.figures import render_figure
from virkning.report.formatting import Formatter, missing
from virkning.report.strings import ui

CHUNK = 10  # periods per indicator table


class DidReport:
    def __init__(self, output, language: str, numbering: Numbering | None = None):
        self.tab = output.tables
        self.b = output.bundle
        self.d = self.b["design"]
        self.lang = language
        self.i = 1 if language == "en" else 0
        self.f = Formatter(language)
        self.t = ui(language, DID_UI)
        self.c = Cells(self.f, self.t)
        synthetic = bool(self.b.get("synthetic"))
        self.blocks = Blocks(self.t, numbering or Numbering(), self.b["threshold"],
                             self.t["source_synthetic"] if synthetic else self.t["source"])
        u = self.tab["units"]
        self.names = dict(zip(u["unit"], u["unit_name"]))

    # ---- helpers ----------------------------------------------------------------------------------------------------
    def label(self, name: str) -> str:
        pair = self.b["labels"].get(name)
        return pair[self.i] if pair else name

    @staticmethod
    def share(name: str) -> bool:
        return name == "beskaeftigelse" or (name in INDICATORS and INDICATORS[name].kind == "share")

    def est(self, name: str, v, lo=None, hi=None) -> Cell:
        """An effect with its interval: percentage points for shares, two decimals otherwise."""
        scale, dec = (100.0, 1) if self.share(name) else (1.0, 2)
        text = self.f.number(None if missing(v) else scale * float(v), dec)
        if lo is not None and not missing(lo) and not missing(hi):
            text += " " + self.f.interval(lo, hi, scale, dec)
        return self.c.num(text, v)

    def value(self, name: str, v) -> Cell:
        if self.share(name):
            return self.c.pct(v)
        return self.c.number(v, 0 if INDICATORS[name].kind == "count" else 2)

    def fig(self, build, stem: str, caption: str, notes: list[str], *args) -> dict:
        return self.blocks.figure(render_figure(build, stem, *args), caption, notes)

    def outcomes(self) -> list[str]:
        return [*self.d["indicators"], *self.d["person_outcomes"]]

    # ---- sections ---------------------------------------------------------------------------------------------------
    def design(self) -> Section:
        t, d = self.t, self.d
        s = Section("did_design", t["s_did_design"])
        periods = d["periods"]
        s.blocks.append(self.blocks.p(t["did_lead"].format(d["target_group"]["label"][self.i],
                                                           self.f_period_word(), periods[0], periods[-1])))
        u = self.tab["units"]
        rows = []
        for r in u.to_dict("records"):
            trial = r["role"] == "trial"
            comp = ", ".join(self.names.get(x, x) for x in str(r["comparison_set"]).split()) if trial else ""
            if trial and d["comparison_shared"]:
                comp = t["all_comparison"]
            rows.append(Row([self.c.label(f"{r['unit_name']} ({r['unit']})"),
                             self.c.label(t["role_trial"] if trial else t["role_comparison"]),
                             self.c.label(self.f.date(r["start"]) if trial else ""),
                             self.c.label(str(r["first_treated"] or "")), self.c.label(comp)]))
        s.blocks += self.blocks.table(Table("did_units", t["units_caption"], [
            self.c.col(t["unit"], "label"), self.c.col(t["role"], "label"), self.c.col(t["start"], "label"),
            self.c.col(t["first_treated"], "label"), self.c.col(t["comparison_set"], "label")], rows), source=False)
        defs = self.tab["definitions"]
        rows = []
        for r in defs.to_dict("records"):
            codes = str(r["codes"])
            codes = codes if len(codes) <= 60 else codes[:57].rsplit(" ", 1)[0] + " ..."
            den = r["denominator"] or (t["per_period_weeks"] if r["kind"] == "volume" else "")
            rows.append(Row([self.c.label(r["label"]), self.c.label(r["numerator"]), self.c.label(den),
                             self.c.label(codes), self.c.label(str(r["star"]))]))
        s.blocks += self.blocks.table(Table("did_definitions", t["definitions_caption"], [
            self.c.col(t["indicator"], "label"), self.c.col(t["numerator"], "label"),
            self.c.col(t["denominator"], "label"), self.c.col(t["codes"], "label"), self.c.col(t["star"], "label")],
            rows), source=False)
        cov = self.tab["coverage"]
        rows = [Row([self.c.label(self.label(r["indicator"])), self.c.number(r["unit_periods"], 0),
                     self.c.number(r["with_value"], 0), self.c.number(r["shown"], 0), self.c.number(r["hidden"], 0)])
                for r in cov.to_dict("records")]
        s.blocks += self.blocks.table(Table("did_coverage", t["coverage_caption"], [
            self.c.col(t["indicator"], "label"), self.c.col(t["unit_periods"]), self.c.col(t["with_value"]),
            self.c.col(t["shown"]), self.c.col(t["hidden"])], rows, how_to_read=t["coverage_read"]), source=False)
        return s

    def f_period_word(self) -> str:
        from virkning.indicators.definitions import PERIOD_WORDS

        return PERIOD_WORDS[self.d["period"]][self.i]

    def trends(self) -> Section:
        t, d = self.t, self.d
        s = Section("did_trends", t["s_did_trends"])
        starts = sorted({r for r in self.tab["units"]["first_treated"] if r})
        inds = [(n, self.label(n), self.share(n)) for n in d["indicators"]]
        s.blocks.append(self.fig(figures.trend_figure, "did_trends", t["trends_caption"], [t["trends_note"]],
                                 self.tab["trends"], inds, d["periods"], starts, self.f, t))
        every = [(n, self.label(n), self.share(n)) for n in [*d["indicators"], *d["describe"]]]
        trial = {x["unit"] for x in d["trial"]}
        s.blocks.append(self.fig(figures.units_figure, "did_small_multiples", t["small_caption"], [t["small_note"]],
                                 self.tab["indicators"], every, d["periods"], trial, self.f))
        return s

    def effects(self) -> Section:
        t = self.t
        s = Section("did_effects", t["s_did_effects"])
        s.blocks.append(self.blocks.p(t["effects_lead"]))
        did, tw, agg, pt = (self.tab[k] for k in ("did_2x2", "twfe", "aggregates", "pretrends"))
        rows = []
        for name in self.outcomes():
            p = did[(did["outcome"] == name) & (did["comparison"] == "pooled")]
            w = tw[tw["outcome"] == name]
            a = agg[(agg["outcome"] == name) & (agg["kind"] == "simple")]
            e = pt[(pt["outcome"] == name) & (pt["test"] == "event_study")]
            level = t["level_person"] if name in self.d["person_outcomes"] else t["level_unit"]
            pr = p.iloc[0] if len(p) else {}
            wr = w.iloc[0] if len(w) else {}
            ar = a.iloc[0] if len(a) else None
            rows.append(Row([
                self.c.label(self.label(name)), self.c.label(level),
                self.est(name, pr.get("estimate"), pr.get("boot_ci_low"), pr.get("boot_ci_high")),
                self.est(name, wr.get("estimate"), wr.get("boot_ci_low"), wr.get("boot_ci_high")),
                self.est(name, ar["estimate"], ar["ci_low"], ar["ci_high"]) if ar is not None else self.c.num("", None),
                self.c.num(self.f.pvalue(e.iloc[0]["p_value"]) if len(e) else "", None)]))
        s.blocks += self.blocks.table(Table("did_effects", t["effects_caption"], [
            self.c.col(t["indicator"], "label"), self.c.col(t["level_col"], "label"), self.c.col("2x2"),
            self.c.col(t["twfe"]), self.c.col(t["cs_simple"]), self.c.col(t["pretrend_p"])], rows,
            notes=[t["scale_note"]]))
        return s

    def per_unit(self) -> Section:
        t = self.t
        s = Section("did_units", t["s_did_units"])
        did = self.tab["did_2x2"]
        rows = []
        for n in self.outcomes():
            rows.append(Row([Cell(self.label(n), "label group", 7)], "group"))
            for u in [x["unit"] for x in self.d["trial"]] + ["pooled"]:
                r = did[(did["outcome"] == n) & (did["comparison"] == u)]
                r = r.iloc[0] if len(r) else {}
                lo, hi = ("boot_ci_low", "boot_ci_high") if u == "pooled" else ("ci_low", "ci_high")
                share = self.share(n)
                level = (lambda v: self.c.pct(v)) if share else (lambda v: self.c.number(v, 2))  # noqa: E731
                scale, dec = (100.0, 1) if share else (1.0, 2)
                rows.append(Row([self.c.label(self.names.get(u, u) if u != "pooled" else t["pooled"], indent=True),
                                 self.est(n, r.get("estimate")),
                                 self.c.num(self.f.interval(r.get(lo), r.get(hi), scale, dec), r.get(lo)),
                                 level(r.get("treated_pre")), level(r.get("treated_post")),
                                 level(r.get("comparison_pre")), level(r.get("comparison_post"))],
                                "final" if u == "pooled" else ""))
        s.blocks += self.blocks.table(Table("did_per_unit", t["units_caption_est"], [
            self.c.col(t["unit"], "label"), self.c.col(t["estimate"]), self.c.col(t["ci_boot"]),
            self.c.col(t["trial_before"]), self.c.col(t["trial_after"]), self.c.col(t["comp_before"]),
            self.c.col(t["comp_after"])], rows, notes=[t["scale_note"], t["per_unit_note"]]))
        return s

    def event(self) -> Section:
        t = self.t
        s = Section("did_event", t["s_did_event"])
        outs = [(n, self.label(n), self.share(n)) for n in self.outcomes()]
        s.blocks.append(self.fig(figures.event_figure, "did_event_study", t["event_caption"], [t["event_note"]],
                                 self.tab["event_study"], outs, self.f, t))
        pt = self.tab["pretrends"]
        rows = []
        for n in self.outcomes():
            e = pt[(pt["outcome"] == n) & (pt["test"] == "event_study")]
            c = pt[(pt["outcome"] == n) & (pt["test"] == "callaway_santanna")]
            cells = [self.c.label(self.label(n))]
            for part in (e, c):
                if not len(part):
                    cells += [self.c.num("", None), self.c.num("", None)]
                    continue
                r = part.iloc[0]
                if missing(r["p_value"]):
                    cells += [self.c.num("", None), Cell(t["cs_singular"] if str(r["note"]).startswith("singular")
                                                        else str(r["note"]), "label small")]
                    continue
                df = f"{int(r['df'])}" + (f", {int(r['df_denom'])}" if not missing(r["df_denom"]) else "")
                cells += [self.c.num(f"{self.f.number(r['statistic'], 2)} ({df})", r["statistic"]),
                          self.c.num(self.f.pvalue(r["p_value"]), r["p_value"])]
            rows.append(Row(cells))
        s.blocks += self.blocks.table(Table("did_pretrends", t["pretrend_caption"], [
            self.c.col(t["indicator"], "label"), self.c.col(t["test_event"]), self.c.col(t["p_value"]),
            self.c.col(t["test_cs"]), self.c.col(t["p_value"])], rows), source=False)
        return s

    def staggered(self) -> Section:
        t, d = self.t, self.d
        s = Section("did_staggered", t["s_did_staggered"])
        gt = self.tab["group_time"]
        lo, hi = d["event_window"]
        times = list(range(lo, hi + 1))
        rows = []
        for name in d["indicators"]:
            g = gt[gt["outcome"] == name]
            for group, h in g.groupby("group", sort=True):
                by_e = dict(zip(h["event_time"], h["att"]))
                rows.append(Row([self.c.label(f"{self.label(name)}, {group}")] +  # blank: not observed, not hidden
                                [self.est(name, by_e[e]) if e in by_e else Cell("", "num") for e in times]))
        control = t["control_never"] if d["control_group"] == "never" else t["control_not_yet"]
        s.blocks += self.blocks.table(Table("did_group_time", t["gt_caption"].format(self.f_period_word()),
                                            [self.c.col(t["group"], "label")] + [self.c.col(str(e)) for e in times],
                                            rows, notes=[t["gt_note"].format(control), t["scale_note"]]))
        agg = self.tab["aggregates"]
        kinds = [("simple", "overall", t["agg_simple"]), ("dynamic", "overall", t["agg_dynamic"]),
                 ("calendar", "overall", t["agg_calendar"])]
        groups = sorted({str(k) for k in agg.loc[(agg["kind"] == "group") & (agg["key"] != "overall"), "key"]})
        kinds += [("group", g, f"{t['group']} {g}") for g in groups]
        rows = []
        for name in d["indicators"]:
            a = agg[agg["outcome"] == name]
            rows.append(Row([Cell(self.label(name), "label group", 3)], "group"))
            scale, dec = (100.0, 1) if self.share(name) else (1.0, 2)
            for kind, key, text in kinds:
                r = a[(a["kind"] == kind) & (a["key"] == key)]
                r = r.iloc[0] if len(r) else {}
                rows.append(Row([self.c.label(text, indent=True), self.est(name, r.get("estimate")),
                                 self.c.num(self.f.interval(r.get("ci_low"), r.get("ci_high"), scale, dec),
                                            r.get("ci_low"))]))
        s.blocks += self.blocks.table(Table("did_aggregates", t["agg_caption"], [
            self.c.col(t["aggregation"], "label"), self.c.col(t["estimate"]), self.c.col(t["ci_boot"])], rows,
            notes=[t["scale_note"]]))
        return s

    def indicators(self) -> Section:
        t, d = self.t, self.d
        s = Section("did_indicators", t["s_did_indicators"])
        ind = self.tab["indicators"]
        units = list(self.tab["units"]["unit"])
        periods = d["periods"]
        for name in d["indicators"]:
            f = ind[ind["indicator"] == name]
            values = {(u, p): v for u, p, v in zip(f["unit"], f["period"], f["value"])}
            for k in range(0, len(periods), CHUNK):
                chunk = periods[k:k + CHUNK]
                rows = [Row([self.c.label(self.names.get(u, u))] + [self.value(name, values.get((u, p))) for p in chunk])
                        for u in units]
                s.blocks += self.blocks.table(Table(
                    f"did_ind_{name}_{k}", t["ind_table_caption"].format(self.label(name), chunk[0], chunk[-1]),
                    [self.c.col(t["unit"], "label")] + [self.c.col(p) for p in chunk], rows, notes=[t["ind_note"]]))
        return s

    def assumptions(self) -> Section:
        t, d = self.t, self.d
        s = Section("did_assumptions", t["s_did_assumptions"])
        s.blocks.append(self.blocks.p(t["assumptions_lead"]))
        items = [t["a_parallel"], t["a_parallel_initiatives"], t["a_anticipation"].format(d["anticipation"]),
                 t["a_spillover"], t["a_composition"],
                 t["a_few"].format(len(d["trial"]), d["boot_weights"], d["n_boot"]), t["a_twfe"],
                 t["a_disclosure"].format(self.b["threshold"])]
        s.blocks.append(self.blocks.ul(items))
        notes = [self._labelled(n) for n in self.b.get("notes") or []]
        if notes:
            s.blocks.append(self.blocks.h3(t["notes_caption"]))
            s.blocks.append(self.blocks.ul(notes[:40], "small"))
        return s

    def _labelled(self, note: str) -> str:
        """A note starts with the outcome's key ("aktiveringsgrad, TWFE: ..."): show its label instead."""
        key, sep, rest = note.partition(", ")
        return f"{self.label(key)}, {rest}" if sep and key in self.b["labels"] else note

    def sections(self) -> list[Section]:
        return [self.design(), self.trends(), self.effects(), self.per_unit(), self.event(), self.staggered(),
                self.indicators(), self.assumptions()]


def did_sections(output, language: str, numbering: Numbering | None = None) -> tuple[list[Section], dict]:
    r = DidReport(output, language, numbering)
    sections = r.sections()
    return sections, r.blocks.figures

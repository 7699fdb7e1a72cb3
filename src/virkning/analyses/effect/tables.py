"""The effect evaluation's report tables, built from the protected results bundle with the shared components."""

from __future__ import annotations

import re
from typing import cast

from virkning.analyses.effect.bundle import ReportData
from virkning.analyses.effect.layout import Layout, natural
from virkning.report import labels
from virkning.report.components import Cell, Cells, Row, Table
from virkning.report.formatting import DASH, Formatter, missing


class Builder(Cells):
    """Builds the tables of one report in one language."""

    def __init__(self, data: ReportData, fmt: Formatter, t: dict):
        super().__init__(fmt, t)
        self.d = data
        self.lang = fmt.language

    # ---- flow ------------------------------------------------------------------------------------------------------
    def flow_steps(self) -> list[dict]:
        """Flow rows with labels and which side each concerns (also the input of the flow figure)."""
        rows = self.d.flow()
        first_pool = next((i for i, r in enumerate(rows) if r.get("pool_persons") is not None
                           or r.get("pool_pairs") is not None), len(rows))
        out = []
        for i, r in enumerate(rows):
            step = str(r.get("step", ""))
            show_p, show_c = labels.flow_side(step)
            if i < first_pool and not step.startswith("pool:"):
                show_c = False
            out.append({"label": labels.flow_step(step, self.lang), "step": step, "participants": r.get("participants"),
                        "pool_persons": r.get("pool_persons"), "pool_pairs": r.get("pool_pairs"),
                        "show_participants": show_p, "show_pool": show_c})
        return out

    def flow(self) -> Table:
        t = self.t
        rows = []
        for s in self.flow_steps():
            na = Cell("", "num na")
            rows.append(Row([
                self.label(s["label"]),
                self.count(s["participants"]) if s["show_participants"] else na,
                self.count(s["pool_persons"]) if s["show_pool"] else na,
                self.count(s["pool_pairs"]) if s["show_pool"] else na,
            ], "final" if s["step"] == "matched" else ""))
        return Table("flow", t["flow_table_caption"],
                     [self.col(t["step"], "label"), self.col(t["persons"]), self.col(t["persons"]), self.col(t["person_weeks"])],
                     rows, groups=[Cell("", "label"), Cell(t["participants"], "num"), Cell(t["pool_long"], "center", 2)],
                     how_to_read=t["flow_read"])

    def units(self) -> Table | None:
        rows = self.d.b.get("participants_by_unit") or []
        if not rows:
            return None
        body = [Row([self.label(str(r.get("unit"))), self.count(r.get("participants"))]) for r in rows]
        return Table("units", self.t["units_caption"], [self.col(self.t["unit"], "label"), self.col(self.t["participants"])],
                     body)

    # ---- covariate tables ------------------------------------------------------------------------------------------
    def _cov_value(self, r: dict, key: str) -> Cell:
        v = r.get(key)
        if r.get("type") == "binary":
            return self.num(self.f.pct(v), v)
        return self.num(self.f.number(v, 1), v)

    def _variable_label(self, var: str, continuous: bool) -> str:
        text = labels.variable(var, self.lang)
        return f"{text}, {self.t['mean_years']}" if continuous else text

    def _grouped(self, rows: list[dict], make_cells, summary_cells) -> list[Row]:
        """Rows of a covariate table: a header row per categorical variable, its levels indented; variables with
        many levels summarised in one row."""
        many = self.d.many_levels(rows)
        out: list[Row] = []
        done_many: set[str] = set()
        current = None
        for r in rows:
            var = cast(str, r.get("variable") or r.get("term"))  # balance rows always name their term
            if var in many:
                if var not in done_many:
                    done_many.add(var)
                    levels = [x for x in rows if x.get("variable") == var]
                    out.append(Row(summary_cells(var, levels), "many"))
                continue
            if r.get("level") is None:
                current = None
                out.append(Row([self.label(self._variable_label(var, r.get("type") != "binary"))] + make_cells(r)))
                continue
            if var != current:
                current = var
                out.append(Row([Cell(labels.variable(var, self.lang), "label group", 1 + len(make_cells(r)))],
                               "group"))
            out.append(Row([self.label(labels.level(var, r.get("level"), self.lang), indent=True)] + make_cells(r)))
        return out

    def _max_abs(self, levels: list[dict], key: str):
        vals = [abs(float(x[key])) for x in levels if not missing(x.get(key))]
        return max(vals) if vals else None

    def population(self) -> Table | None:
        if self.d.b.get("characteristics"):  # seed 000's layout, persons and person-weeks
            return Layout(self).population()
        rows = natural([r for r in self.d.b.get("population_comparison") or [] if r.get("term") != "distance"])
        if not rows:
            return None
        t = self.t

        def cells(r):
            return [self._cov_value(r, "mean_participants"), self._cov_value(r, "mean_eligible_pool"),
                    self.num(self.f.smd(r.get("smd")), r.get("smd"))]

        def summary(var, levels):
            n = len(levels)
            return [self.label(f"{labels.variable(var, self.lang)} ({t['many_levels'].format(n)})"),
                    Cell("", "num"), Cell("", "num"), self.num(self.f.smd(self._max_abs(levels, "smd")), None)]

        body = []
        if self.d.b.get("sample_sizes"):
            body.append(Row([self.label(t["count_row"]), self.count(self.d.size("All", "Treated")),
                             self.count(self.d.size("All", "Control")), Cell("", "num")], "countrow"))
        body += self._grouped(rows, cells, summary)
        return Table("population", t["population_caption"],
                     [self.col(t["variable"], "label"), self.col(t["participants"]), self.col(t["eligible_pool"]),
                      self.col(t["smd"])], body, how_to_read=t["population_read"])

    def _balance_cells(self, r: dict) -> list[Cell]:
        thr = self.d.smd_threshold
        after = r.get("smd_after")
        # a suppressed SMD is not flagged either: the flag would tell what the hidden number is
        flagged = not missing(after) and (bool(r["imbalanced"]) if r.get("imbalanced") is not None
                                          else abs(float(cast(float, after))) > thr)  # missing() ruled out None
        smd_after = self.num(self.f.smd(after), after)
        if flagged:
            smd_after.cls += " flagged"
        return [self._cov_value(r, "mean_treated_before"), self._cov_value(r, "mean_control_before"),
                self.num(self.f.smd(r.get("smd_before")), r.get("smd_before")),
                self._cov_value(r, "mean_treated_after"), self._cov_value(r, "mean_control_after"), smd_after,
                Cell(self.t["flagged"], "center flag") if flagged else Cell("", "center")]

    def matched(self) -> Table | None:
        return Layout(self).matched()

    def balance(self) -> Table | None:
        rows = natural(self.d.b.get("balance") or [])
        if not rows:
            return None
        t = self.t
        thr = self.f.number(self.d.smd_threshold, 1)

        def summary(var, levels):
            before, after = self._max_abs(levels, "smd_before"), self._max_abs(levels, "smd_after")
            flagged = after is not None and after > self.d.smd_threshold
            return [self.label(f"{labels.variable(var, self.lang)} ({t['many_levels'].format(len(levels))})"),
                    Cell("", "num"), Cell("", "num"), self.num(self.f.smd(before), None), Cell("", "num"),
                    Cell("", "num"), self.num(self.f.smd(after), None),
                    Cell(t["flagged"], "center flag") if flagged else Cell("", "center")]

        body = []
        if self.d.b.get("sample_sizes"):
            body.append(Row([self.label(t["count_row_weeks"]), self.count(self.d.size("All", "Treated")),
                             self.count(self.d.size("All", "Control")), Cell("", "num"),
                             self.count(self.d.size("Matched", "Treated")), self.count(self.d.size("Matched", "Control")),
                             Cell("", "num"), Cell("", "center")], "countrow"))
        body += self._grouped(rows, self._balance_cells, summary)
        columns = [self.col(t["variable"], "label"), self.col(t["participants"]), self.col(t["pool"]),
                   self.col(t["smd"]), self.col(t["participants"]), self.col(t["controls"]), self.col(t["smd"]),
                   self.col(t["flag_col"].format(thr), "center")]
        groups = [Cell("", "label"), Cell(t["before_matching"], "center", 3), Cell(t["after_matching"], "center", 3),
                  Cell("", "")]
        return Table("balance", t["balance_caption"], columns, body, groups=groups,
                     how_to_read=t["balance_read"].format(thr))

    def balance_detail(self) -> Table | None:
        rows = self.d.b.get("balance") or []
        many = self.d.many_levels(rows)
        if not many:
            return None
        t = self.t
        body = []
        for var in sorted(many):
            body.append(Row([Cell(labels.variable(var, self.lang), "label group", 8)], "group"))
            for r in rows:
                if r.get("variable") == var:
                    body.append(Row([self.label(str(r.get("level")), indent=True)] + self._balance_cells(r)))
        thr = self.f.number(self.d.smd_threshold, 1)
        columns = [self.col(t["variable"], "label"), self.col(t["participants"]), self.col(t["pool"]),
                   self.col(t["smd"]), self.col(t["participants"]), self.col(t["controls"]), self.col(t["smd"]),
                   self.col(t["flag_col"].format(thr), "center")]
        groups = [Cell("", "label"), Cell(t["before_matching"], "center", 3), Cell(t["after_matching"], "center", 3),
                  Cell("", "")]
        return Table("balance_detail", t["balance_detail"], columns, body, groups=groups)

    def love_rows(self) -> list[dict]:
        """Rows of the Love plot, largest imbalance before matching first."""
        rows = self.d.b.get("balance") or []
        many = self.d.many_levels(rows)
        out, done = [], set()
        for r in rows:
            var = r.get("variable") or r.get("term")
            if var in many:
                if var in done:
                    continue
                done.add(var)
                levels = [x for x in rows if x.get("variable") == var]
                out.append({"label": f"{labels.variable(var, self.lang)} (max)",
                            "before": self._max_abs(levels, "smd_before"), "after": self._max_abs(levels, "smd_after")})
                continue
            text = labels.variable(var, self.lang)
            if r.get("level") is not None:
                text = f"{text}: {labels.level(var, r.get('level'), self.lang)}"
            out.append({"label": text, "before": r.get("smd_before"), "after": r.get("smd_after")})

        def key(x):
            b = x["before"]
            return -abs(float(b)) if not missing(b) else 0.0

        return sorted(out, key=key)

    def sizes(self) -> Table | None:
        sizes = self.d.b.get("sample_sizes") or {}
        if not sizes:
            return None
        names = {
            "All": ("Alle", "All"), "All (ESS)": ("Alle (effektiv stikprøvestørrelse)", "All (ESS)"), "Matched": ("Matchet", "Matched"),
            "Matched (ESS)": ("Matchet (effektiv stikprøvestørrelse)", "Matched (ESS)"), "Unmatched": ("Ikke matchet", "Unmatched"),
            "Discarded": ("Fravalgt (uden for fælles støtte)", "Discarded (outside common support)"),
            "All (persons)": ("Alle, forskellige personer", "All, distinct persons"),
            "Matched (persons)": ("Matchet, forskellige personer", "Matched, distinct persons"),
        }
        body = []
        for row, cells in sizes.items():
            label = names.get(row, (row, row))[self.lang == "en"]
            body.append(Row([self.label(label), self.count((cells or {}).get("Treated")),
                             self.count((cells or {}).get("Control"))]))
        return Table("sizes", self.t["sizes_caption"],
                     [self.col("", "label"), self.col(self.t["participants"]), self.col(self.t["pool"])], body,
                     how_to_read=self.t["sizes_read"],
                     notes=[self.t["sizes_persons_note"]] if "All (persons)" in sizes else [])

    # ---- effects -------------------------------------------------------------------------------------------------------
    def effects(self, o: dict) -> Table:
        t = self.t
        share = o["share"]
        body = []
        has_ratio = share and any("risk_ratio" in r for r in self.d.effects(o["name"]))

        def ratio(r: dict) -> list[Cell]:
            if not has_ratio:
                return []
            lo, hi = r.get("rr_ci_low"), r.get("rr_ci_high")
            return [self.number(r.get("risk_ratio"), 2),
                    self.num(self.f.interval(lo, hi, 1.0, 2), lo if lo is None else hi)]

        for r in self.d.effects(o["name"]):
            body.append(Row([
                Cell(str(int(r["month"])), "num"),
                self.value(r.get("treated_mean"), share), self.value(r.get("control_mean"), share),
                self.diff(r.get("att"), share), self.interval(r.get("ci_low"), r.get("ci_high"), share),
                self.diff(r.get("se"), share), self.significant(r.get("ci_low"), r.get("ci_high")),
                self.count(r.get("at_risk_treated")), self.count(r.get("at_risk_control")),
                self.count(r.get("n_treated")), self.count(r.get("n_control")),
            ] + ratio(r)))
        columns = [self.col(t["month"]), self.col(t["participants"]), self.col(t["controls"]), self.col(t["difference"]),
                   self.col(t["ci95_short"]), self.col(t["se"]), self.col(t["significant"], "center"),
                   self.col(t["participants"]), self.col(t["controls_short"]), self.col(t["participants"]),
                   self.col(t["controls_short"])]
        groups = [Cell("", ""), Cell(t["share_axis"] if share else t["weeks_axis"], "center", 2),
                  Cell(t["diff_axis"] if share else t["diff_weeks_axis"], "center", 4),
                  Cell(t["at_risk"], "center", 2), Cell(t["count_row"], "center", 2)]
        read = t["effects_read"]
        if has_ratio:
            columns += [self.col(t["risk_ratio"]), self.col(t["ci95_short"])]
            groups.append(Cell(t["relative"], "center", 2))
            read += t["rr_read"]
        return Table(f"effects_{labels.slug(o['name'])}", self.outcome_title(o), columns, body,
                     groups=groups, how_to_read=read, notes=[t["significance_note"]])

    # ---- subgroups -----------------------------------------------------------------------------------------------------
    def subgroups(self) -> tuple[Table | None, dict]:
        """The subgroup table and the input of the forest plot."""
        t = self.t
        rows = self.d.b.get("subgroups") or []
        tests = self.d.b.get("heterogeneity") or []
        outs = self.d.subgroup_outcomes()
        if not rows or not outs:
            return None, {}
        order = list(dict.fromkeys(r.get("subgroup") for r in rows))
        design_order = [s.get("name") for s in self.d.design.get("subgroups") or []]
        order = [s for s in design_order if s in order] + [s for s in order if s not in design_order]
        index = {(r.get("outcome"), r.get("subgroup"), str(r.get("level"))): r for r in rows}
        pvals = {(h.get("outcome"), h.get("subgroup")): h.get("p_value") for h in tests}

        fig_labels: list[tuple[str, bool]] = []
        keys: list[tuple[str, str | None]] = []
        body = []
        n_differs = False
        for sg in order:
            levels = list(dict.fromkeys(str(r.get("level")) for r in rows if r.get("subgroup") == sg))
            header = [Cell(labels.subgroup(sg, self.lang), "label group"), Cell("", ""), Cell("", "")]
            for o, key in outs:
                p = pvals.get((key, sg))
                header.append(Cell(self.f.p(p) if p is not None else "", "num pval", 2))
            body.append(Row(header, "group"))
            fig_labels.append((labels.subgroup(sg, self.lang), True))
            keys.append((sg, None))
            var = self._subgroup_variable(sg)
            for lv in levels:
                first = next((index.get((k, sg, lv)) for _, k in outs if index.get((k, sg, lv))), None) or {}
                cells = [self.label(labels.level(var, lv, self.lang), indent=True), self.count(first.get("n_treated")),
                         self.count(first.get("n_control"))]
                for o, key in outs:
                    r = index.get((key, sg, lv)) or {}
                    if (r.get("n_treated"), r.get("n_control")) != (first.get("n_treated"), first.get("n_control")):
                        n_differs = True
                    share = o["share"]
                    cells += [self.diff(r.get("att"), share), self.interval(r.get("ci_low"), r.get("ci_high"), share)]
                body.append(Row(cells))
                fig_labels.append((labels.level(var, lv, self.lang), False))
                keys.append((sg, lv))
        columns = [self.col(t["subgroup"], "label"), self.col(t["participants"]), self.col(t["controls_short"])]
        groups = [Cell("", "label"), Cell(t["count_row"], "center", 2)]
        for o, _ in outs:
            columns += [self.col(t["difference"]), self.col(t["ci95_short"])]
            groups.append(Cell(self.outcome_title(o), "center", 2))
        notes = [t["mixed_units"] if any(not o["share"] for o, _ in outs) else t["unit_pct_pp"]]
        if n_differs:
            notes.append(t["subgroups_n_note"].format(self.outcome_title(outs[0][0]).lower()))
        table = Table("subgroups", t["subgroups_caption"], columns, body, groups=groups,
                      how_to_read=t["subgroups_read"], notes=notes)

        panels = []
        for o, key in outs:
            points: list[tuple | None] = []
            notes_: list[str] = []
            for sg, level in keys:
                if level is None:
                    points.append(None)
                    p = pvals.get((key, sg))
                    notes_.append(self.f.p(p) if p is not None else "")
                    continue
                r = index.get((key, sg, level)) or {}
                points.append((r.get("att"), r.get("ci_low"), r.get("ci_high")) if r else None)
                notes_.append("")
            final = self.d.final(o["name"])
            panels.append({"title": self.outcome_title(o),
                           "share": o["share"], "overall": (final or {}).get("att"),
                           "points": points, "notes": notes_})
        return table, {"labels": fig_labels, "panels": panels}

    def outcome_title(self, o: dict) -> str:
        """The readable label of an outcome, or its name when the design does not describe it."""
        return o["title"]

    def _subgroup_variable(self, name: str) -> str:
        for s in self.d.design.get("subgroups") or []:
            if s.get("name") == name:
                return s.get("covariate") or name
        return name

    # ---- robustness ------------------------------------------------------------------------------------------------------
    def robustness(self) -> Table | None:
        rows = self.d.b.get("robustness") or []
        if not rows:
            return None
        t = self.t
        outcomes = {o["name"]: o for o in self.d.outcomes()}
        body = []
        last = None
        for r in rows:
            variant = r.get("variant")
            o = outcomes.get(r.get("outcome"), {"name": r.get("outcome"), "kind": "first_exit"})
            share = o["share"]
            name = t["main_variant"] if variant == "main" else str(variant)
            first = self.label(name if variant != last else "")
            if variant not in ("main", last) and (self.d.design.get("language") or "da") != self.lang:
                first.lang = self.d.design.get("language") or "da"  # the design's own name, in its language
            body.append(Row([
                first,
                self.label(self.outcome_title(o)),
                Cell(str(r.get("month", "")), "num"),
                self.value(r.get("treated_mean"), share), self.value(r.get("control_mean"), share),
                self.diff(r.get("att"), share), self.interval(r.get("ci_low"), r.get("ci_high"), share),
                self.significant(r.get("ci_low"), r.get("ci_high")),
                self.count(r.get("n_treated")), self.count(r.get("n_control")),
            ], "variant-start" if variant != last else ""))
            last = variant
        columns = [self.col(t["variant"], "label"), self.col(t["outcome"], "label"), self.col(t["month"]),
                   self.col(t["participants"]), self.col(t["controls"]), self.col(t["difference"]),
                   self.col(t["ci95_short"]), self.col(t["significant"], "center"), self.col(t["participants"]),
                   self.col(t["controls_short"])]
        groups = [Cell("", "label", 3), Cell("", "center", 2), Cell("", "center", 3), Cell(t["count_row"], "center", 2)]
        notes = [t["mixed_units"] if any(not o["share"] for o in outcomes.values()) else t["unit_pct_pp"],
                 t["significance_note"]]
        return Table("robustness", t["robustness_caption"], columns, body, groups=groups,
                     how_to_read=t["robustness_read"], notes=notes)

    # ---- appendix ----------------------------------------------------------------------------------------------------
    def term(self, term: str) -> str:
        """A model term in words: `sex[M]` -> 'Køn: Mand', `(Intercept)` -> 'Konstant'."""
        if term == "(Intercept)":
            return "Intercept" if self.lang == "en" else "Konstant"
        m = re.fullmatch(r"(.+)\[(.+)\]", term)
        if m:
            var = m.group(1)
            return f"{labels.variable(var, self.lang)}: {labels.level(var, m.group(2), self.lang)}"
        return labels.variable(term, self.lang)

    def propensity(self) -> Table | None:
        rows = self.d.b.get("propensity") or []
        if not rows:
            return None
        en = self.lang == "en"
        body = [Row([self.label(self.term(str(r.get("term")))), self.num(self.f.number(r.get("coef"), 3), r.get("coef")),
                     self.num(self.f.number(r.get("se"), 3), r.get("se")), self.num(self.f.number(r.get("z"), 2), r.get("z")),
                     self.num(self.f.pvalue(r.get("p_value")), r.get("p_value"))]) for r in rows]
        columns = [self.col("Term" if en else "Led", "label"), self.col("Coefficient" if en else "Koefficient"),
                   self.col(self.t["se"]), self.col("z"), self.col("p")]
        caption = ("Propensity model (logistic regression of participation)" if en
                   else "Propensity-model (logistisk regression for deltagelse)")
        read = ("Positive coefficients: the characteristic makes participation more likely. Categorical variables "
                "are compared with their first level." if en else
                "Positive koefficienter: egenskaben gør deltagelse mere sandsynlig. Kategoriske variable sammenlignes "
                "med deres første niveau.")
        return Table("propensity", caption, columns, body, how_to_read=read)

    def data_tables(self) -> Table | None:
        tables = self.d.data.get("tables") or {}
        if not tables:
            return None
        en = self.lang == "en"
        names = {"persons": ("Personer (baggrund)", "Persons (background)"),
                 "benefits": ("Ydelser (DREAM, uger)", "Benefits (DREAM, weeks)"),
                 "employment": ("Beskæftigelse (eIndkomst, måneder)", "Employment (eIndkomst, months)"),
                 "events": ("Hændelser (deltagelse)", "Events (participation)")}
        body = []
        for name, tab in tables.items():
            first, last = tab.get("first"), tab.get("last")
            if name == "persons":  # birth dates, not a period of data
                first = last = None
            body.append(Row([self.label(names.get(name, (name, name))[en]),
                             Cell(self.f.period(first) if first else "", "num"),
                             Cell(self.f.period(last) if last else "", "num"),
                             self.count(tab.get("persons")), self.count(tab.get("rows"))]))
        columns = [self.col("Table" if en else "Tabel", "label"), self.col("First" if en else "Første"),
                   self.col("Last" if en else "Sidste"), self.col(self.t["persons"].capitalize()),
                   self.col("Rows" if en else "Rækker")]
        return Table("data", "Register data" if en else "Registerdata", columns, body)

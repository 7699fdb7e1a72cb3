"""Text alternatives for the effect evaluation's figures (WCAG 2.1 AA, success criterion 1.1.1): a sentence saying
what each figure shows, and a table of its numbers that the report folds in under the figure.

Every number here is one the figure is drawn from and the page already publishes (the flow, balance, effects and
propensity-score tables of the protected bundle), so these tables reveal nothing new; counts of persons keep the
class `count` (Cells.count), so the disclosure audit of the HTML sees them as it sees every other count.
"""

from __future__ import annotations

from virkning.report.components import Cell, Cells, Row, Table
from virkning.report.formatting import DASH, Formatter, missing

FIGURE_UI: dict[str, tuple[str, str]] = {
    "alt_flow": (
        "Flowdiagram i {0} trin, fra registrerede deltagere til matchede deltagere og kontrolpersoner: deltagere til "
        "venstre, mulige kontrolpersoner (puljen) til højre, med antallet tilbage efter hvert trin. Tallene står i "
        "tabellen under figuren.",
        "Flow diagram in {0} steps, from registered participants to matched participants and controls: "
        "participants on the left, potential controls (the pool) on the right, with the number left after each "
        "step. The numbers are in the table below the figure."),
    "alt_ps": (
        "Spejlede histogrammer af propensity-scoren ({0}) før og efter matching: deltagernes fordeling opad, "
        "kontrolpersonernes nedad. Tallene står i tabellen, der kan foldes ud under figuren.",
        "Mirrored histograms of the propensity score ({0}) before and after matching: the participants' "
        "distribution upwards, the controls' downwards. The numbers are in the table that unfolds below the figure."),
    "alt_love": (
        "Punktdiagram med den numeriske standardiserede forskel (SMD) for {0} kovariat-termer før og efter "
        "matching og en lodret linje ved grænsen {1}; efter matching ligger {2} over grænsen. Tallene står i "
        "tabellen, der kan foldes ud under figuren.",
        "Dot plot of the absolute standardised mean difference (SMD) of {0} covariate terms before and after "
        "matching, with a vertical line at the threshold {1}; after matching {2} lie above it. The numbers are in "
        "the table that unfolds below the figure."),
    "alt_curve": (
        "Linjediagram over måned 1 til {0}: øverst {1} for deltagere og kontrolgruppe, i midten forskellen med "
        "95 %-konfidensinterval, nederst antallet i risiko. {2} Tallene står i tabellen, der kan foldes ud under "
        "figuren.",
        "Line chart over months 1 to {0}: at the top {1} for participants and controls, in the middle the "
        "difference with its 95% confidence interval, at the bottom the numbers at risk. {2} The numbers are in the "
        "table that unfolds below the figure."),
    "alt_curve_last": ("I måned {0}: deltagere {1}, kontrolgruppe {2}, forskel {3} {4}.",
                       "In month {0}: participants {1}, controls {2}, difference {3} {4}."),
    "alt_forest": (
        "Forest-plot med forskellen mellem deltagere og kontrolgruppe og dens 95 %-konfidensinterval i {0} "
        "undergrupper for {1} udfald; en lodret stiplet linje viser effekten for alle. Tallene står i tabellen under "
        "figuren.",
        "Forest plot of the difference between participants and controls with its 95% confidence interval in {0} "
        "subgroups for {1} outcomes; a dashed vertical line shows the effect for everyone. The numbers are in the "
        "table below the figure."),
    "the_share": ("andelen", "the share"),
    "the_weeks": ("det gennemsnitlige antal uger", "the mean number of weeks"),
    "pp": ("procentpoint", "percentage points"),
    "weeks_unit": ("uger", "weeks"),
    "data_ps_caption": ("Andel pr. interval af propensity-scoren", "Share per interval of the propensity score"),
    "data_love_caption": ("Standardiserede forskelle (SMD) før og efter matching",
                          "Standardised mean differences (SMD) before and after matching"),
    "data_curve_caption": ("{0} måned for måned", "{0} month by month"),
    "sample": ("Stikprøve", "Sample"),
    "interval": ("Interval", "Interval"),
}


class FigureData(Cells):
    """Alt texts and data tables for the effect figures, in one language (`t` holds FIGURE_UI's words)."""

    def __init__(self, fmt: Formatter, t: dict):
        super().__init__(fmt, t)

    # ---- flow ------------------------------------------------------------------------------------------------------
    def flow_alt(self, steps: list[dict]) -> str:
        # no counts of persons in the text alternative: an attribute cannot carry the class `count` the audit reads
        return self.t["alt_flow"].format(len(steps))

    # ---- propensity score ------------------------------------------------------------------------------------------
    def ps_alt(self, xlabel: str) -> str:
        return self.t["alt_ps"].format(xlabel)

    def ps_table(self, panels: list[dict]) -> Table:
        t = self.t
        body = []
        for p in panels:
            bins = sorted({(lo, hi) for lo, hi, _ in p["treated"] + p["control"]})
            treated = {(lo, hi): s for lo, hi, s in p["treated"]}
            control = {(lo, hi): s for lo, hi, s in p["control"]}
            for i, (lo, hi) in enumerate(bins):
                body.append(Row([self.label(p["title"] if i == 0 else ""),
                                 Cell(f"{self.f.number(lo, 2)} {DASH} {self.f.number(hi, 2)}", "num"),
                                 self.pct(treated.get((lo, hi))), self.pct(control.get((lo, hi)))]))
        columns = [self.col(t["sample"], "label"), self.col(t["interval"]), self.col(t["participants"]),
                   self.col(t["controls"])]
        return Table("ps_data", t["data_ps_caption"], columns, body)

    # ---- Love plot --------------------------------------------------------------------------------------------------
    def love_alt(self, rows: list[dict], threshold: float) -> str:
        above = sum(1 for r in rows if not missing(r.get("after")) and abs(float(r["after"])) > threshold)
        return self.t["alt_love"].format(len(rows), self.f.number(threshold, 1), above)

    def love_table(self, rows: list[dict]) -> Table:
        t = self.t
        body = [Row([self.label(r["label"]), self.num(self.f.smd(abs(float(r["before"]))) if not missing(
            r.get("before")) else DASH, r.get("before")), self.num(self.f.smd(abs(float(r["after"]))) if not missing(
                r.get("after")) else DASH, r.get("after"))]) for r in rows]
        columns = [self.col(t["variable"], "label"), self.col(f"|SMD|, {t['before_matching'].lower()}"),
                   self.col(f"|SMD|, {t['after_matching'].lower()}")]
        return Table("love_data", t["data_love_caption"], columns, body)

    # ---- effect curves -----------------------------------------------------------------------------------------------
    def curve_alt(self, title: str, rows: list[dict], share: bool) -> str:
        t, f = self.t, self.f
        months = [int(r["month"]) for r in rows]
        shown = [r for r in rows if not missing(r.get("att"))]
        last = ""
        if shown:
            r = shown[-1]
            value = f.pct if share else (lambda v: f.number(v, 1))
            diff = f.pp(r["att"]) if share else f.number(r["att"], 1)
            last = t["alt_curve_last"].format(int(r["month"]), value(r.get("treated_mean")),
                                              value(r.get("control_mean")), diff,
                                              t["pp"] if share else t["weeks_unit"])
        what = f"{t['the_share'] if share else t['the_weeks']} ({title[:1].lower() + title[1:]})"
        return t["alt_curve"].format(max(months) if months else 0, what, last).replace("  ", " ")

    def curve_table(self, title: str, rows: list[dict], share: bool) -> Table:
        t = self.t
        body = [Row([Cell(str(int(r["month"])), "num"), self.value(r.get("treated_mean"), share),
                     self.value(r.get("control_mean"), share), self.diff(r.get("att"), share),
                     self.interval(r.get("ci_low"), r.get("ci_high"), share),
                     self.count(r.get("at_risk_treated")), self.count(r.get("at_risk_control"))]) for r in rows]
        columns = [self.col(t["month"]), self.col(t["participants"]), self.col(t["controls"]),
                   self.col(t["difference"]), self.col(t["ci95_short"]), self.col(t["at_risk_participants"]),
                   self.col(t["at_risk_controls"])]
        return Table("curve_data", t["data_curve_caption"].format(title), columns, body,
                     notes=[t["unit_pct_pp"] if share else t["unit_weeks"]])

    # ---- forest plot ------------------------------------------------------------------------------------------------
    def forest_alt(self, forest: dict) -> str:
        groups = sum(1 for _, header in forest["labels"] if not header)
        return self.t["alt_forest"].format(groups, len(forest["panels"]))

"""The report's parts for issue 18, from the protected bundle: the relative effect after each outcome sentence, the
covariate-adjusted effects, sensitivity to an unobserved confounder (the sentence with Gamma, the E-value and the
strongest observed covariate, the p-value bounds over Gamma), and the propensity score's distribution."""

from __future__ import annotations

import math
from typing import cast

from markupsafe import Markup, escape

from virkning.analyses.effect.bundle import ReportData
from virkning.report import labels
from virkning.report.components import Cell, Cells, Row, Table
from virkning.report.formatting import DASH, Formatter, missing

EXTRA_UI: dict[str, tuple[str, str]] = {
    "relative": ("Relativt", "Relative"),
    "risk_ratio": ("Forhold", "Ratio"),
    "rr_read": (
        " Forhold: deltagernes andel divideret med kontrolgruppens (risikoforhold), med 95 %-konfidensinterval.",
        " Ratio: the participants' share divided by the controls' (risk ratio), with its 95% confidence interval."),
    "adjusted_caption": ("Effekter justeret for kovariaterne (regression i den matchede stikprøve)",
                         "Effects adjusted for the covariates (regression on the matched sample)"),
    "adjusted_read": (
        "Ujusteret: forskellen mellem deltagere og kontrolgruppe. Justeret: samme forskel efter en vægtet regression "
        "af udfaldet på deltagelse og kovariaterne (med samspil) i den matchede stikprøve, med klyngerobuste "
        "standardfejl (matchede sæt og personer). Personer fulgt til opfølgningens slutning.",
        "Unadjusted: the difference between participants and controls. Adjusted: the same difference after a "
        "weighted regression of the outcome on participation and the covariates (with interactions) on the matched "
        "sample, with cluster-robust standard errors (matched sets and persons). Persons followed to the end of "
        "follow-up."),
    "unadjusted": ("Ujusteret", "Unadjusted"),
    "adjusted": ("Justeret", "Adjusted"),
    "adjusted_heading": ("Effekter justeret for kovariaterne", "Effects adjusted for the covariates"),
    "adjusted_intro": (
        "Matching fjerner det meste af forskellen mellem grupperne; en regression i den matchede stikprøve fjerner "
        "resten. Ligger den justerede og den ujusterede effekt tæt, afhænger resultatet ikke af den resterende "
        "ubalance.",
        "Matching removes most of the difference between the groups; a regression on the matched sample removes the "
        "rest. Where the adjusted and unadjusted effects are close, the result does not depend on the imbalance "
        "that is left."),
    "s_sensitivity": ("Følsomhed for skjult selektion", "Sensitivity to hidden bias"),
    "sensitivity_intro": (
        "Matching sammenligner personer, der ligner hinanden på de målte kovariater. Har jobcentrene udvalgt "
        "deltagerne efter noget, registrene ikke viser (fx motivation), kan en del af forskellen skyldes det. "
        "Rosenbaums grænser spørger, hvor stærk en sådan umålt faktor skulle være for at gøre effekten "
        "insignifikant: Gamma er, hvor mange gange mere sandsynlig deltagelse kunne være for én af to matchede "
        "personer end for den anden. E-værdien (VanderWeele og Ding 2017) er den styrke, en umålt faktor skulle "
        "have på både deltagelse og udfald (som risikoforhold) for at forklare hele effekten.",
        "Matching compares persons who are alike on the measured covariates. If the job centres chose participants "
        "on something the registers do not show (e.g. motivation), part of the difference may come from it. "
        "Rosenbaum bounds ask how strong such an unmeasured factor would have to be to make the effect "
        "insignificant: Gamma is how many times more likely participation could be for one of two matched persons "
        "than for the other. The E-value (VanderWeele and Ding 2017) is the strength, as a risk ratio, that an "
        "unmeasured factor would need with both participation and the outcome to explain the whole effect away."),
    "sensitivity_caption": ("Følsomhed for en umålt faktor ved opfølgningens slutning",
                            "Sensitivity to an unmeasured factor at the end of follow-up"),
    "sensitivity_read": (
        "p: ensidet p-værdi uden skjult selektion (Gamma = 1). Gamma: den største Gamma, hvor effekten stadig er "
        "signifikant på 5 %-niveauet. E-værdi: for risikoforholdet og for den nærmeste konfidensgrænse. Stærkeste "
        "kovariat: den målte kovariat med den største oddsratio for deltagelse i propensity-modellen.",
        "p: one-sided p-value without hidden bias (Gamma = 1). Gamma: the largest Gamma at which the effect stays "
        "significant at the 5% level. E-value: of the risk ratio and of the confidence limit closer to 1. "
        "Strongest covariate: the measured covariate with the largest odds ratio of participation in the "
        "propensity model."),
    "gamma_caption": ("Øvre grænse for p-værdien ved forskellige Gamma", "Upper bound of the p-value by Gamma"),
    "gamma_read": (
        "Den største p-værdi, en skjult selektion af styrke Gamma tillader (Rosenbaums grænse).",
        "The largest p-value a hidden bias of strength Gamma allows (Rosenbaum's bound)."),
    "strongest": ("Stærkeste kovariat (OR)", "Strongest covariate (OR)"),
    "evalue": ("E-værdi", "E-value"),
    "evalue_ci": ("E-værdi, KI", "E-value, CI"),
    "shared_note": (
        "Nogle kontrolpersoner indgår i flere matchede sæt (i forskellige uger); grænserne behandler sættene som "
        "uafhængige.",
        "Some control persons are in several matched sets (in different weeks); the bounds treat the sets as "
        "independent."),
    "ps_caption": ("Propensity-scorens fordeling før og efter matching", "Propensity-score distribution before and "
                   "after matching"),
    "ps_note": (
        "Andel pr. interval af propensity-scoren ({0}); deltagere opad, kontrolpersoner nedad. Intervaller med få "
        "personer er slået sammen med naboen, så ingen søjle bygger på færre end {1} personer.",
        "Share per interval of the propensity score ({0}); participants upwards, controls downwards. Intervals with "
        "few persons are merged with their neighbour, so no bar rests on fewer than {1} persons."),
    "ps_all": ("Før matching (alle)", "Before matching (all)"),
    "ps_matched": ("Efter matching", "After matching"),
    "ps_logit": ("logit", "logit"),
    "ps_scale": ("sandsynlighed", "probability"),
    "ps_share": ("Andel", "Share"),
    "ps_width": ("intervallets bredde", "interval width"),
    "discard_note": (
        "Personer uden for propensity-scorens fælles støtte er fravalgt før matching ({0}); de tælles i rækken "
        "»Fravalgt« og i flowet.",
        "Persons outside the common support of the propensity score were discarded before matching ({0}); they "
        "are counted in the row 'Discarded' and in the flow."),
}


class Extras(Cells):
    def __init__(self, data: ReportData, fmt: Formatter, t: dict):
        super().__init__(fmt, t)
        self.d = data
        self.da = fmt.language == "da"

    # ---- relative effects --------------------------------------------------------------------------------------
    def relative_sentence(self, o: dict) -> str:
        """' Det svarer til 77 % flere (risikoforhold 1,77; 95 %-konfidensinterval 1,40 til 2,24).'"""
        r = self.d.final(o["name"]) or {}
        rr, lo, hi = r.get("risk_ratio"), r.get("rr_ci_low"), r.get("rr_ci_high")
        if not o.get("share") or missing(rr) or missing(lo) or missing(hi):
            return ""
        f, rc = self.f, float(cast(float, rr)) - 1  # missing() ruled out None
        amount = f.number(abs(100 * rc), 0) + (" %" if self.da else "%")
        if self.da:
            word = "flere" if rc >= 0 else "færre"
            return (f" Det svarer til {amount} {word} end i kontrolgruppen (risikoforhold {f.number(rr, 2)}, "
                    f"95 %-konfidensinterval {f.number(lo, 2)} til {f.number(hi, 2)}).")
        word = "more" if rc >= 0 else "fewer"
        return (f" That is {amount} {word} than in the control group (risk ratio {f.number(rr, 2)}, 95% confidence "
                f"interval {f.number(lo, 2)} to {f.number(hi, 2)}).")

    def ratio_cells(self, r: dict) -> list[Cell]:
        rr = r.get("risk_ratio")
        return [self.number(rr, 2),
                self.num(DASH if missing(r.get("rr_ci_low")) or missing(r.get("rr_ci_high"))
                         else self.f.interval(r["rr_ci_low"], r["rr_ci_high"], 1.0, 2), r.get("rr_ci_low"))]

    # ---- adjusted effects ----------------------------------------------------------------------------------------
    def adjusted(self, title) -> Table | None:
        rows = self.d.b.get("adjusted") or []
        if not rows:
            return None
        t = self.t
        outcomes = {o["name"]: o for o in self.d.outcomes()}
        body = []
        for r in rows:
            o = outcomes.get(r.get("outcome"))
            if o is None:
                continue
            share = o["share"]
            body.append(Row([self.label(title(o)), Cell(str(int(r["month"])), "num"),
                             self.diff(r.get("att_unadjusted"), share), self.diff(r.get("att"), share),
                             self.interval(r.get("ci_low"), r.get("ci_high"), share), self.diff(r.get("se"), share),
                             self.significant(r.get("ci_low"), r.get("ci_high"))]))
        columns = [self.col(t["outcome"], "label"), self.col(t["month"]),
                   self.col(t["unadjusted"]), self.col(t["adjusted"]), self.col(t["ci95_short"]), self.col(t["se"]),
                   self.col(t["significant"], "center")]
        return Table("adjusted", t["adjusted_caption"], columns, body, how_to_read=t["adjusted_read"],
                     notes=[t["unit_pct_pp"]])

    # ---- sensitivity ----------------------------------------------------------------------------------------------
    def _gamma(self, g) -> str:
        if missing(g):
            return DASH
        g = float(g)
        return ("> 1.000.000" if self.da else "> 1,000,000") if math.isinf(g) or g >= 1e6 else self.f.number(g, 2)

    def _strongest(self, r: dict) -> str:
        cov, ora = r.get("strongest_covariate"), r.get("strongest_odds_ratio")
        if cov is None or missing(ora):
            return DASH
        return f"{labels.variable(str(cov), self.d.lang)} ({self.f.number(ora, 2)})"

    def sensitivity_sentence(self, o: dict) -> Markup | None:
        r = next((x for x in self.d.b.get("sensitivity") or [] if x.get("outcome") == o["name"]), None)
        if r is None or missing(r.get("p_value")):
            return None
        f, name = self.f, o["title"]
        g = r.get("gamma_critical")
        if missing(g):
            text = (f"{name}: effekten er ikke signifikant uden skjult selektion, så der er intet at forklare væk."
                    if self.da else f"{name}: the effect is not significant even without hidden bias, so there "
                    "is nothing to explain away.")
            return Markup(escape(text))
        gs = self._gamma(g)
        if self.da:
            text = (f"{name}: en umålt faktor skulle gøre deltagelse {gs} gange mere sandsynlig for den ene af to "
                    "matchede personer end for den anden (og næsten afgøre udfaldet), før effekten ikke længere er "
                    "signifikant på 5 %-niveauet (Gamma = " + gs + ").")
        else:
            text = (f"{name}: an unobserved factor would have to make participation {gs} times more likely for one "
                    "of two matched persons than for the other (and nearly decide the outcome) to make the effect "
                    "insignificant at the 5% level (Gamma = " + gs + ").")
        ora = r.get("strongest_odds_ratio")
        if not missing(ora) and r.get("strongest_covariate") is not None:
            cov = labels.lower_first(labels.variable(str(r["strongest_covariate"]), self.d.lang))
            contrast = labels.contrast(str(r["strongest_covariate"]), r.get("strongest_contrast"), self.d.lang)
            if self.da:
                text += (f" Den stærkeste målte kovariat, {cov} ({contrast}), ændrer odds for deltagelse med en "
                         f"faktor {f.number(ora, 2)}")
                text += (", så en umålt faktor af samme styrke kan ikke forklare effekten væk." if r.get(
                    "exceeds_strongest") else ", så en umålt faktor af samme styrke kunne forklare effekten væk, "
                    "hvis den hang stærkt nok sammen med udfaldet" + (
                        f" (oddsratio {f.number(r['delta_at_strongest'], 2)})." if not missing(
                            r.get("delta_at_strongest")) else "."))
            else:
                text += (f" The strongest measured covariate, {cov} ({contrast}), changes the odds of participation "
                         f"by a factor of {f.number(ora, 2)}")
                text += (", so an unobserved factor of the same strength cannot explain the effect away." if r.get(
                    "exceeds_strongest") else ", so an unobserved factor that strong could explain the effect away "
                    "if it were linked strongly enough to the outcome" + (
                        f" (odds ratio {f.number(r['delta_at_strongest'], 2)})." if not missing(
                            r.get("delta_at_strongest")) else "."))
        if not missing(r.get("evalue")):
            ci = "" if missing(r.get("evalue_ci")) else (
                f" (for konfidensgrænsen {f.number(r['evalue_ci'], 2)})" if self.da
                else f" (for the confidence limit {f.number(r['evalue_ci'], 2)})")
            text += (f" E-værdien er {f.number(r['evalue'], 2)}{ci}." if self.da
                     else f" The E-value is {f.number(r['evalue'], 2)}{ci}.")
        return Markup(escape(text))

    def sensitivity_table(self, title) -> Table | None:
        rows = self.d.b.get("sensitivity") or []
        outcomes = {o["name"]: o for o in self.d.outcomes()}
        if not rows:
            return None
        t = self.t
        body = []
        for r in rows:
            o = outcomes.get(r.get("outcome"))
            if o is None:
                continue
            body.append(Row([self.label(title(o)), Cell(str(int(r["month"])), "num"),
                             self.num(self.f.pvalue(r.get("p_value")), r.get("p_value")),
                             self.num(self._gamma(r.get("gamma_critical")), 0),
                             self.number(r.get("risk_ratio"), 2), self.number(r.get("evalue"), 2),
                             self.number(r.get("evalue_ci"), 2), self.label(self._strongest(r))]))
        columns = [self.col("", "label"), self.col(t["month"]), self.col("p"), self.col("Gamma"),
                   self.col(t["risk_ratio"]), self.col(t["evalue"]), self.col(t["evalue_ci"]),
                   self.col(t["strongest"], "label")]
        notes = [t["shared_note"]] if any(r.get("shared_persons") for r in rows) else []
        return Table("sensitivity", t["sensitivity_caption"], columns, body, how_to_read=t["sensitivity_read"],
                     notes=notes)

    def gamma_table(self, title) -> Table | None:
        rows = self.d.b.get("sensitivity_gamma") or []
        outcomes = [o for o in self.d.outcomes() if any(r.get("outcome") == o["name"] for r in rows)]
        if not rows or not outcomes:
            return None
        gammas = list(dict.fromkeys(float(r["gamma"]) for r in rows))
        index = {(r["outcome"], float(r["gamma"])): r.get("p_upper") for r in rows}
        body = [Row([self.number(g, 2)] + [self.num(self.f.pvalue(index.get((o["name"], g))),
                                                    index.get((o["name"], g))) for o in outcomes]) for g in gammas]
        columns = [self.col("Gamma")] + [self.col(title(o)) for o in outcomes]
        return Table("gamma", self.t["gamma_caption"], columns, body, how_to_read=self.t["gamma_read"])

    # ---- balance beyond the means ----------------------------------------------------------------------------------
    def balance_flags_sentence(self) -> Markup | None:
        """Continuous covariates whose variance ratio or KS statistic after matching passes cobalt's thresholds
        (v.threshold, ks.threshold; virkning.defaults), from the balance table's flags."""
        from virkning.defaults import KS_THRESHOLD, VR_THRESHOLD

        rows = [r for r in self.d.b.get("balance") or [] if r.get("term") != "distance"]
        if not rows or not any("vr_imbalanced" in r for r in rows):
            return None
        def names(flag: str) -> list[str]:
            return sorted({labels.lower_first(labels.variable(str(r["variable"]), self.d.lang)) for r in rows
                           if r.get(flag) is True})

        vr, ks = names("vr_imbalanced"), names("ks_imbalanced")
        f = self.f
        vr_t = f"{f.number(1 / VR_THRESHOLD, 1)}-{f.number(VR_THRESHOLD, 1)}"
        if self.da:
            text = (f"Ud over gennemsnittene: efter matching har {f.join(vr) if vr else 'ingen kontinuert kovariat'} "
                    f"en variansratio uden for {vr_t}, og {f.join(ks) if ks else 'ingen kovariat'} en "
                    f"Kolmogorov-Smirnov-afstand over {f.number(KS_THRESHOLD, 2)} (cobalts tærskler).")
        else:
            text = (f"Beyond the means: after matching {f.join(vr) if vr else 'no continuous covariate'} has a "
                    f"variance ratio outside {vr_t}, and {f.join(ks) if ks else 'no covariate'} a Kolmogorov-Smirnov "
                    f"distance above {f.number(KS_THRESHOLD, 2)} (cobalt's thresholds).")
        return Markup(escape(text))

    # ---- propensity score ----------------------------------------------------------------------------------------
    def ps_panels(self) -> list[dict]:
        rows = self.d.b.get("ps_distribution") or []
        panels = []
        for sample, key in (("All", "ps_all"), ("Matched", "ps_matched")):
            bars = {g: [(r["low"], r["high"], r.get("share")) for r in rows
                        if r.get("sample") == sample and r.get("group") == g] for g in ("Treated", "Control")}
            if bars["Treated"] or bars["Control"]:
                panels.append({"title": self.t[key], "treated": bars["Treated"], "control": bars["Control"]})
        return panels

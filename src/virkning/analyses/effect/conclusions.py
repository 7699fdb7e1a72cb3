"""The two sections a ministry reads first and last: the main conclusions in plain words ("Overordnede
konklusioner") and the assumptions and limitations of the design ("Forudsætninger og begrænsninger").

Every number is a value of the protected bundle: a sentence whose number the disclosure gate withheld says that
it cannot be shown and never states or hints at the number. The conclusions are written for a reader without
statistics: the effect at the outcome's horizon in percentage points and relatively ("65 pct. flere"), whether it
can be told from chance, how robust it is (Rosenbaum's Gamma in words, the robustness variants), and where the
programme's success criteria are followed.
"""

from __future__ import annotations

import math
from typing import cast

from markupsafe import Markup, escape

from virkning.analyses.effect.bundle import ReportData
from virkning.report import labels
from virkning.report.formatting import Formatter, missing

CONCLUSIONS_UI: dict[str, tuple[str, str]] = {
    "s_conclusions": ("Overordnede konklusioner", "Main conclusions"),
    "s_assumptions": ("Forudsætninger og begrænsninger", "Assumptions and limitations"),
}

# Rosenbaum's Gamma in words: a reading scale chosen for this report (docs/report.md), not a convention of the
# literature; the number is always given beside the word
_GAMMA_WORDS = ((2.0, ("meget robust", "very robust")), (1.5, ("robust", "robust")),
                (1.25, ("moderat robust", "moderately robust")), (0.0, ("følsom", "sensitive")))


def _sig(r: dict) -> int | None:
    """+1 / -1 for a significant increase / decrease at the 5 % level, 0 when the interval includes 0, None when
    the interval is withheld."""
    lo, hi = r.get("ci_low"), r.get("ci_high")
    if missing(lo) or missing(hi):
        return None
    # missing() is True for None, so both are numbers here
    return 1 if float(cast(float, lo)) > 0 else (-1 if float(cast(float, hi)) < 0 else 0)


class Conclusions:
    def __init__(self, data: ReportData, fmt: Formatter):
        self.d = data
        self.f = fmt
        self.da = fmt.da
        self.lang = fmt.language

    def _event(self) -> str:
        return labels.event((self.d.design.get("participants") or {}).get("event"), self.lang)

    # ---- the main conclusions ------------------------------------------------------------------------------------
    def headline(self, o: dict) -> tuple[int | None, str]:
        """(significance, sentence) for one outcome at its horizon, in plain words."""
        f, da = self.f, self.da
        title = labels.lower_first(o["title"])
        keys = ("treated_mean", "control_mean", "att", "ci_low", "ci_high")
        # the horizon, or the last month the gate let through (a later point rests on too few exits)
        shown = [x for x in self.d.effects(o["name"]) if not any(missing(x.get(k)) for k in keys)]
        if not shown:
            return None, (f"Resultatet for {title} kan ikke vises, fordi det bygger på for få personer." if da else
                          f"The result for {title} cannot be shown because it rests on too few persons.")
        r = shown[-1]
        month, sig = int(r["month"]), _sig(r)
        tm, cm, att = (float(r[k]) for k in keys[:3])
        when = (f"{f.months(month)} efter første {self._event()}" if da
                else f"{f.months(month)} after the first {self._event()}")
        if r is not (self.d.final(o["name"]) or {}):
            when += (" (senere måneder bygger på for få personer til at blive vist)" if da
                     else " (later months rest on too few persons to be shown)")
        if o["share"]:
            diff = f"{f.pp(abs(att))} procentpoint" if da else f"{f.pp(abs(att))} percentage points"
            rr = r.get("risk_ratio")
            rel = ""
            if not missing(rr) and float(cast(float, rr)) > 0 and not math.isinf(float(cast(float, rr))):
                change = 100 * (float(cast(float, rr)) - 1)  # missing() ruled out None
                word = ("flere" if change >= 0 else "færre") if da else ("more" if change >= 0 else "fewer")
                rel = (f" eller {f.number(abs(change), 0)} pct. {word}" if da
                       else f" or {f.number(abs(change), 0)}% {word}")
            if sig == 0:
                return 0, (f"For {title} er der ingen sikker forskel: {when} var andelen {f.pct(tm)} blandt "
                           f"deltagerne og {f.pct(cm)} i kontrolgruppen, og forskellen kan skyldes tilfældigheder."
                           if da else
                           f"For {title} there is no clear difference: {when}, the share was {f.pct(tm)} among "
                           f"the participants and {f.pct(cm)} in the control group, a difference that may be chance.")
            if da:
                return sig, (f"Deltagelse {'øgede' if att > 0 else 'mindskede'} andelen, der var {o['phrase']}, "
                             f"{when} fra {f.pct(cm)} i en sammenlignelig kontrolgruppe til {f.pct(tm)} blandt "
                             f"deltagerne: {diff}{rel}.")
            return sig, (f"Taking part {'raised' if att > 0 else 'lowered'} the share who {o['phrase']} {when} from "
                         f"{f.pct(cm)} in a comparable control group to {f.pct(tm)} among the participants: "
                         f"{diff}{rel}.")
        weeks = f"{f.number(abs(att), 1)} {'uger' if da else 'weeks'}"
        if sig == 0:
            return 0, (f"For {title} er der ingen sikker forskel mellem deltagere og kontrolgruppe {when}." if da
                       else f"For {title} there is no clear difference between participants and controls {when}.")
        if da:
            return sig, (f"{when[:1].upper()}{when[1:]} havde deltagerne {weeks} {'flere' if att > 0 else 'færre'} "
                         f"på offentlig forsørgelse end kontrolgruppen ({f.number(tm, 1)} mod {f.number(cm, 1)} uger).")
        return sig, (f"{when[:1].upper()}{when[1:]}, participants had {weeks} {'more' if att > 0 else 'fewer'} on "
                     f"public benefits than the control group ({f.number(tm, 1)} against {f.number(cm, 1)} weeks).")

    def robustness(self) -> str | None:
        """How robust the significant effects are: Gamma in words, and how many robustness results agree."""
        f, da = self.f, self.da
        outcomes = {o["name"]: o for o in self.d.outcomes()}
        parts = []
        for r in self.d.b.get("sensitivity") or []:
            o = outcomes.get(r.get("outcome"))
            if o is None or not _sig(self.d.final(r.get("outcome")) or {}) or missing(r.get("gamma_critical")):
                continue
            g = float(r["gamma_critical"])
            word = next(w for lim, w in _GAMMA_WORDS if g >= lim)[0 if da else 1]
            gs = ("over 1.000.000" if da else "over 1,000,000") if g >= 1e6 else f.number(g, 1)
            parts.append((labels.lower_first(o["title"]), word, gs))
        out = []
        if parts:
            if da:
                words = f.join([f"effekten på {t} {w}" for t, w, _ in parts])
                out.append(f"Over for umålte forskelle mellem grupperne er {words}: en umålt forskel, fx i "
                           "motivation, skulle gøre deltagelse " + " henholdsvis ".join(g for *_, g in parts)
                           + " gange så sandsynlig for at fjerne " + ("den" if len(parts) == 1 else "dem") + ".")
            else:
                words = f.join([f"the effect on {t} is {w}" for t, w, _ in parts])
                out.append(f"Against unmeasured differences between the groups, {words}: an unmeasured difference, "
                           "e.g. in motivation, would have to make participation " + " and ".join(g for *_, g in parts)
                           + " times as likely" + (" respectively" if len(parts) > 1 else "") + " to remove "
                           + ("it." if len(parts) == 1 else "them."))
        rows = self.d.b.get("robustness") or []
        main = {r.get("outcome"): _sig(r) for r in rows if r.get("variant") == "main"}
        pairs = [(_sig(r), main.get(r.get("outcome"))) for r in rows if r.get("variant") != "main"]
        pairs = [(a, b) for a, b in pairs if a is not None and b is not None]
        if pairs:
            same, n = sum(a == b for a, b in pairs), len(pairs)
            if da:
                verdict = ("alle" if same == n else f"{same} af {n}")
                out.append(f"Med andre valg af afgrænsning og kovariater (robusthedsanalyserne) giver {verdict} "
                           "resultater samme konklusion som hovedanalysen" + (
                               "." if same >= 0.75 * n else "; konklusionen afhænger altså af nogle af valgene."))
            else:
                verdict = ("all" if same == n else f"{same} of {n}")
                out.append(f"With other choices of selection and covariates (the robustness analyses), {verdict} "
                           "results lead to the same conclusion as the main analysis" + (
                               "." if same >= 0.75 * n else "; the conclusion thus depends on some of the choices."))
        return " ".join(out) or None

    def criteria(self) -> str | None:
        crit = self.d.design.get("success_criteria") or []
        if not crit:
            return None
        if self.da:
            return (f"Projektets {len(crit)} succeskriterier (fx deltagere pr. projekt) gælder forløbet og ikke "
                    "effekten; de følges måned for måned i statusrapporten (virkning monitor), og "
                    "effektevalueringen afgør ikke, om de er nået.")
        return (f"The programme's {len(crit)} success criteria (e.g. participants per project) concern delivery, "
                "not the effect; they are followed month by month in the status report (virkning monitor), and the "
                "effect evaluation does not judge whether they were met.")

    def sentences(self) -> list[Markup]:
        """3-5 paragraphs: the significant effects one by one, the rest together, robustness, success criteria
        (the synthetic-data banner and the limitations say where the data come from)."""
        heads = [self.headline(o) for o in self.d.outcomes()]
        out = [s for sig, s in heads if sig]
        rest = [s for sig, s in heads if not sig]
        if len(out) > 3:  # keep the section short: the later significant effects in one paragraph
            out = out[:2] + [" ".join(out[2:])]
        if rest:
            out.append(" ".join(rest))
        for extra in (self.robustness(), self.criteria()):
            if extra:
                out.append(extra)
        return [Markup(escape(s)) for s in out]

    # ---- assumptions and limitations -----------------------------------------------------------------------------
    def assumptions(self) -> list[Markup]:
        d, f, da, lang = self.d, self.f, self.da, self.lang
        design = d.design
        covs = [labels.lower_first(labels.variable(c, lang)) for c in design.get("covariates") or []]
        # labels hold commas ("uger med ledighed, seneste 156 uger"): the list is joined with semicolons
        covs_text = ("; ".join(covs[:-1]) + (" og " if da else " and ") + covs[-1]) if len(covs) > 1 else "".join(covs)
        out = []
        if da:
            out.append("Selektion på observerbare kendetegn: effekten er forskellen mellem deltagerne og en "
                       "kontrolgruppe, der ligner dem på " + (covs_text or "de målte kendetegn")
                       + ". Metoden forudsætter, at der ikke er andre forskelle mellem grupperne, som både påvirker "
                       "deltagelse og udfald. Den forudsætning kan ikke efterprøves i data.")
            out.append("Jobcentrenes udvælgelse: jobcentrene har kunnet screene borgerne, fx efter kvalifikationer, "
                       "branche eller motivation, før de blev indkaldt. Bygger udvælgelsen på forhold, registrene ikke "
                       "viser, kan en del af forskellen skyldes udvælgelsen og ikke indsatsen.")
        else:
            out.append("Selection on observables: the effect is the difference between the participants and a "
                       "control group that resembles them on " + (covs_text or "the measured covariates")
                       + ". The method assumes no other difference between the groups affects both participation "
                       "and the outcome. The data cannot test that assumption.")
            out.append("Screening by the job centres: the job centres may have screened citizens, e.g. on "
                       "qualifications, trade or motivation, before inviting them. Where the screening rests on what "
                       "the registers do not show, part of the difference may come from it rather than from the "
                       "programme.")
        if any(r.get("variant") != "main" for r in d.b.get("robustness") or []):
            out[-1] += (" Robusthedsanalyserne gentager evalueringen under andre valg, fx med andre afgrænsninger af "
                        "deltagerne; se afsnittet om robusthed." if da else " The robustness analyses repeat the "
                        "evaluation under other choices, e.g. other selections of participants; see the section on "
                        "robustness.")
        out.append(self.robustness_words())
        censoring = design.get("censoring", "km")
        if da:
            out.append("Opfølgning og censurering: " + (
                "personer, der ikke kan følges hele perioden (fx fordi data slutter), tæller med, så længe de kan "
                "følges (Kaplan-Meier). Det forudsætter, at de ligner dem, der følges videre." if censoring == "km"
                else "kun personer, der kan følges hele perioden, indgår; resultatet gælder dem.")
                + " Kun den første afgang tælles; senere tilbagefald til ledighed ses der bort fra.")
        else:
            out.append("Follow-up and censoring: " + (
                "persons who cannot be followed for the whole period (e.g. because the data end) count as long as "
                "they are followed (Kaplan-Meier), which assumes they resemble those followed further."
                if censoring == "km" else "only persons who can be followed for the whole period are included; the "
                "result applies to them.") + " Only the first exit counts; later returns to unemployment are ignored.")
        excl = [labels.condition(e.get("covariate", ""), e.get("op", ""), e.get("value"), lang)
                for e in design.get("exclusions") or []]
        if da:
            out.append("Hvem effekten gælder: deltagerne i evalueringen (effekten for de behandlede, ATT)."
                       + (" Udeladt af begge grupper er " + f.join(excl) + "; effekten siger intet om dem."
                          if excl else "")
                       + " Den kan ikke uden videre overføres til andre ledige eller til en anden udformning af "
                       "indsatsen.")
        else:
            out.append("Whom the effect concerns: the participants in the evaluation (the effect on the treated, ATT)."
                       + (" Left out of both groups are " + f.join(excl) + "; the effect says nothing about them."
                          if excl else "")
                       + " It does not carry over without more to other unemployed persons or another design of the "
                       "programme.")
        if d.synthetic:
            out.append("Syntetiske data: rapporten bygger på syntetiske registre, som virkning har dannet med en kendt "
                       "effekt. Tallene beskriver ikke virkelige personer og er ikke resultater af indsatsen." if da
                       else "Synthetic data: the report rests on synthetic registers that virkning generated with a "
                       "known effect. The numbers describe no real persons and are no results of the programme.")
        return [Markup(escape(s)) for s in out if s]

    def robustness_words(self) -> str:
        """What the sensitivity analysis says (or that there is none), for the limitations."""
        f, da = self.f, self.da
        rows = self.d.b.get("sensitivity") or []
        if not rows:
            return ("Skjult selektion: der er ikke beregnet en følsomhedsanalyse for umålte forskelle (Rosenbaums "
                    "grænser, E-værdier)." if da else "Hidden bias: no sensitivity analysis for unmeasured "
                    "differences (Rosenbaum bounds, E-values) was computed.")
        outcomes = {o["name"]: o for o in self.d.outcomes()}
        items = []
        for r in rows:
            o = outcomes.get(r.get("outcome"))
            if o is None or missing(r.get("gamma_critical")) or not _sig(self.d.final(o["name"]) or {}):
                continue
            g = float(r["gamma_critical"])
            gs = (">" + f.number(1e6, 0)) if g >= 1e6 else f.number(g, 2)
            ev = "" if missing(r.get("evalue")) else (f", E-værdi {f.number(r['evalue'], 2)}" if da
                                                      else f", E-value {f.number(r['evalue'], 2)}")
            items.append(f"{labels.lower_first(o['title'])} (Gamma {gs}{ev})")
        if not items:
            return ("Skjult selektion: ingen af de viste effekter er signifikante, så følsomhedsanalysen har intet at "
                    "forklare væk." if da else "Hidden bias: none of the effects shown is significant, so the "
                    "sensitivity analysis has nothing to explain away.")
        if da:
            return ("Skjult selektion: følsomhedsanalysen viser, hvor stor en umålt forskel mellem grupperne der skal "
                    "til, før effekten ikke længere er signifikant: " + f.join(items) + ". Gamma er, hvor mange gange "
                    "mere sandsynlig deltagelse skulle være for den ene af to ellers ens personer; jo større, jo mere "
                    "robust. Analysen viser ikke, om en sådan forskel findes.")
        return ("Hidden bias: the sensitivity analysis shows how large an unmeasured difference between the groups "
                "would have to be before the effect is no longer significant: " + f.join(items) + ". Gamma is how "
                "many times more likely participation would have to be for one of two otherwise equal persons; the "
                "larger, the more robust. The analysis does not show whether such a difference exists.")

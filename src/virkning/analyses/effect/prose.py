"""Sentences written from the bundle: the summary's main numbers in words, and the facts the method appendix
templates turn into prose.

Sentences are `Markup` so that counts of persons can be wrapped in `<span class="count">` while everything else
is escaped.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import cast

from markupsafe import Markup, escape

from virkning.report import labels
from virkning.report.formatting import DASH, Formatter, missing
from virkning.analyses.effect.bundle import ReportData
from virkning.analyses.effect.layout import as_month


def upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


class Prose:
    def __init__(self, data: ReportData, fmt: Formatter, t: dict):
        self.d = data
        self.f = fmt
        self.t = t
        self.lang = fmt.language
        self.da = fmt.da
        self.suppressed = False  # set when a sentence had to leave out a suppressed number

    # ---- pieces ------------------------------------------------------------------------------------------------
    def count(self, v) -> Markup:
        if missing(v):
            self.suppressed = True
            return Markup(DASH)
        return Markup('<span class="count">{}</span>').format(self.f.count(v))

    def event(self) -> str:
        return labels.event((self.d.design.get("participants") or {}).get("event"), self.lang)

    # ---- summary --------------------------------------------------------------------------------------------------
    def outcome_sentence(self, o: dict, *, title: bool = True) -> Markup:
        """'7 måneder efter første informationsmøde var 14,8 % af deltagerne kommet i vikarjob mod 8,7 % i
        kontrolgruppen, en forskel på 6,0 procentpoint (95 %-konfidensinterval 2,1 til 9,9). ...'"""
        r = self.d.final(o["name"]) or {}
        f, da = self.f, self.da
        month = int(r.get("month") or o.get("horizon") or 0)
        when = (f"{f.months(month)} efter første {self.event()}" if da
                else f"{f.months(month)} after the first {self.event()}")
        name = o["title"]
        values = [r.get(k) for k in ("treated_mean", "control_mean", "att", "ci_low", "ci_high")]
        if any(missing(v) for v in values):
            self.suppressed = True
            if da:
                return Markup(escape(f"{name}: {when} kan tallene ikke vises, fordi de bygger på færre end "
                                     f"{self.d.threshold} personer."))
            return Markup(escape(f"{name}: {when} the numbers cannot be shown because they rest on fewer than "
                                 f"{self.d.threshold} persons."))
        tm, cm, att, lo, hi = (float(cast(float, v)) for v in values)  # missing() ruled out None
        share = o["share"]
        if share:
            a, b = f.pct(tm), f.pct(cm)
            d, l_, h_ = f.pp(att), f.pp(lo), f.pp(hi)
            unit = "procentpoint" if da else "percentage points"
        else:
            a, b = f.number(tm, 1), f.number(cm, 1)
            d, l_, h_ = f.number(att, 1), f.number(lo, 1), f.number(hi, 1)
            unit = "uger" if da else "weeks"
        phrase = o["phrase"]
        if da:
            if share:
                body = f"{upper_first(when)} var {a} af deltagerne {phrase} mod {b} i kontrolgruppen"
            else:
                body = (f"{upper_first(when)} havde deltagerne i gennemsnit {a} uger på offentlig forsørgelse mod "
                        f"{b} uger i kontrolgruppen")
            body += f", en forskel på {d} {unit} (95 %-konfidensinterval {l_} til {h_})."
        else:
            if share:
                body = f"{upper_first(when)}, {a} of the participants {phrase}, compared with {b} in the control group"
            else:
                body = (f"{upper_first(when)}, participants had on average {a} weeks on public benefits, compared "
                        f"with {b} weeks in the control group")
            body += f", a difference of {d} {unit} (95% confidence interval {l_} to {h_})."
        sig = lo > 0 or hi < 0
        if da:
            body += (" Forskellen er statistisk signifikant på 5 %-niveauet." if sig
                     else " Forskellen er ikke statistisk signifikant på 5 %-niveauet (intervallet indeholder 0).")
        else:
            body += (" The difference is statistically significant at the 5% level." if sig
                     else " The difference is not statistically significant at the 5% level (the interval includes 0).")
        if not title:
            return Markup(escape(body))
        return Markup("<strong>{}.</strong> {}").format(name, body)

    def facts(self) -> list[Markup]:
        """Who, how many and when: the bullet points opening the summary."""
        f, da, d = self.f, self.da, self.d
        p = d.design.get("participants") or {}
        out = []
        registered = (d.flow_step("registered") or {}).get("participants")
        n_t, n_c, c_persons = d.matched()
        window = ""
        if p.get("start") and p.get("end"):
            window = (f" fra {f.date(p['start'])} til {f.date(p['end'])}" if da
                      else f" from {f.date(p['start'])} to {f.date(p['end'])}")
        if registered is not None or n_t is not None:
            if da:
                out.append(Markup("<strong>Deltagere:</strong> {} personer er registreret som deltagere (hændelsen "
                                  "»{}«){}; {} af dem indgår i effektmålingen efter afgrænsningen.").format(
                    self.count(registered), self.event(), window, self.count(n_t)))
            else:
                out.append(Markup("<strong>Participants:</strong> {} persons are registered as participants "
                                  "(event: {}){}; {} of them are in the effect evaluation after the selection.").format(
                    self.count(registered), self.event(), window, self.count(n_t)))
        pool_before = None
        for r in d.flow():
            if r.get("step") == "matched":
                break
            if r.get("pool_persons") is not None:
                pool_before = r.get("pool_persons")
        if n_c is not None or c_persons is not None:
            if da:
                text = Markup("<strong>Kontrolgruppe:</strong> {} matchede kontrolpersoner").format(self.count(n_c))
                if c_persons is not None:
                    text += Markup(" ({} forskellige personer; samme person kan være kontrol for deltagere fra "
                                   "forskellige uger)").format(self.count(c_persons))
                if pool_before is not None:
                    text += Markup(", udvalgt blandt {} mulige kontrolpersoner").format(self.count(pool_before))
            else:
                text = Markup("<strong>Control group:</strong> {} matched controls").format(self.count(n_c))
                if c_persons is not None:
                    text += Markup(" ({} distinct persons; a person can be the control of participants from "
                                   "different weeks)").format(self.count(c_persons))
                if pool_before is not None:
                    text += Markup(", chosen among {} potential controls").format(self.count(pool_before))
            out.append(text + ".")
        period = self.data_period()
        idx = d.b.get("index_period") or {}
        horizon = max([int(o.get("horizon") or 0) for o in d.outcomes()] + [0])
        data_text = "<strong>Data:</strong> "
        if da:
            parts = []
            if period:
                parts.append(f"registerdata fra {period[0]} til {period[1]}")
            if idx.get("first"):
                parts.append(f"første {self.event()} mellem {f.period(idx['first'])} og {f.period(idx.get('last'))}")
            if horizon:
                parts.append(f"opfølgning i op til {f.months(horizon)}")
        else:
            parts = []
            if period:
                parts.append(f"register data from {period[0]} to {period[1]}")
            if idx.get("first"):
                parts.append(f"first {self.event()} between {f.period(idx['first'])} and {f.period(idx.get('last'))}")
            if horizon:
                parts.append(f"follow-up of up to {f.months(horizon)}")
        if parts:
            sentence = "; ".join(parts)
            out.append(Markup(data_text) + escape(upper_first(sentence) + "."))
        return out

    def data_period(self) -> tuple[str, str] | None:
        """The registers' period in one unit, months ('januar 2015' to 'juli 2019'): the benefits table's weeks
        become the month of their Thursday (ISO weeks belong to the month holding their Thursday)."""
        tables = (self.d.data.get("tables") or {})
        firsts, lasts = [], []
        for name in ("benefits", "employment"):
            tab = tables.get(name) or {}
            if tab.get("first") and tab.get("last"):
                firsts.append(as_month(tab["first"]))
                lasts.append(as_month(tab["last"]))
        if not firsts:
            return None
        return self.f.period(firsts[0]), self.f.period(as_month(self.d.data.get("end_month")) or lasts[0])

    def balance_sentence(self) -> Markup | None:
        s = self.d.b.get("balance_summary") or {}
        rows = [r for r in self.d.b.get("balance") or [] if r.get("term") != "distance"]
        if not rows:
            return None
        thr = self.d.smd_threshold
        before = sum(1 for r in rows if not missing(r.get("smd_before")) and abs(float(r["smd_before"])) > thr)
        after = s.get("n_imbalanced")
        if after is None:
            after = sum(1 for r in rows if r.get("imbalanced"))
        n = s.get("n_terms") or len(rows)
        t = self.f.number(thr, 1)
        if self.da:
            return Markup(escape(f"Før matching havde {before} af {n} kovariat-termer en standardiseret forskel over "
                                 f"{t} mellem deltagere og puljen; efter matching har {after} det."))
        return Markup(escape(f"Before matching {before} of {n} covariate terms had a standardised difference above {t} "
                             f"between participants and the pool; after matching {after} do."))

    def subgroup_sentence(self) -> Markup | None:
        tests = self.d.b.get("heterogeneity") or []
        if not tests:
            return None
        names = {k: o for o, k in self.d.subgroup_outcomes()}
        by_group: dict[str, list[str]] = {}
        for h in tests:
            p = h.get("p_value")
            if p is not None and float(p) < 0.05:
                o = names.get(h.get("outcome"), {"name": h.get("outcome")})
                title = labels.lower_first(o["title"])
                group = labels.lower_first(labels.subgroup(h.get("subgroup"), self.lang))
                by_group.setdefault(group, []).append(f"{title}, {self.f.p(p)}")
        hits = [f"{g} ({'; '.join(items)})" for g, items in by_group.items()]
        if self.da:
            if not hits:
                return Markup("Testene for ens effekt finder ingen signifikante forskelle mellem undergrupper.")
            return Markup(escape("Effekten er signifikant forskellig mellem grupperne for " + self.f.join(hits)
                                 + " (test for ens effekt på 5 %-niveauet; med mange test kan enkelte være tilfældige)."))
        if not hits:
            return Markup("The tests of equal effects find no significant differences between subgroups.")
        return Markup(escape("The effect differs significantly between groups for " + self.f.join(hits)
                             + " (test of equal effects at the 5% level; with many tests some may be chance)."))

    def robustness_sentence(self) -> Markup | None:
        rows = self.d.b.get("robustness") or []
        main = {r.get("outcome"): r for r in rows if r.get("variant") == "main"}
        others = [r for r in rows if r.get("variant") != "main"]
        if not main or not others:
            return None

        def verdict(r):
            lo, hi = r.get("ci_low"), r.get("ci_high")
            if missing(lo) or missing(hi):
                return None
            return 1 if float(lo) > 0 else (-1 if float(hi) < 0 else 0)

        same = total = 0
        for r in others:
            m = main.get(r.get("outcome"))
            if m is None or verdict(r) is None or verdict(m) is None:
                continue
            total += 1
            same += verdict(r) == verdict(m)
        variants = len({r.get("variant") for r in others})
        if not total:
            return None
        if self.da:
            return Markup(escape(f"I {variants} følsomhedsanalyse{'r' if variants != 1 else ''} giver {same} af {total} "
                                 "resultater samme konklusion som hovedanalysen (samme fortegn og signifikans)."))
        return Markup(escape(f"In {variants} sensitivity analys{'es' if variants != 1 else 'is'}, {same} of {total} "
                             "results lead to the same conclusion as the main analysis (same sign and significance)."))

    # ---- method appendix ----------------------------------------------------------------------------------------
    def _weeks(self, offsets: list[int]) -> str:
        da = self.da
        names = []
        for k in sorted(offsets):
            if k == 0:
                names.append("indeksugen" if da else "the index week")
            elif k == -1:
                names.append("ugen før indeksugen" if da else "the week before the index week")
            elif k == 1:
                names.append("ugen efter indeksugen" if da else "the week after the index week")
            else:
                names.append(f"uge {k:+d} fra indeksugen" if da else f"week {k:+d} from the index week")
        return self.f.join(names)

    def method(self) -> dict:
        """Facts for the method appendix template, formatted in the report language."""
        d, f, lang = self.d, self.f, self.lang
        design = d.design
        p = design.get("participants") or {}
        pool = design.get("pool") or {}
        by_state: dict[str, list[int]] = {}
        for k, s in (pool.get("states") or {}).items():
            by_state.setdefault(str(s), []).append(int(k))
        states = [(labels.state(s, lang), self._weeks(ks)) for s, ks in by_state.items()]
        munis = pool.get("exclude_municipalities")
        exclusions = [{"name": e.get("name"), "covariate": e.get("covariate"), "op": e.get("op"),
                       "value": f"{float(e['value']):g}" if isinstance(e.get("value"), (int, float)) else e.get("value"),
                       "condition": labels.condition(e.get("covariate", ""), e.get("op", ""),
                                                                            e.get("value"), lang)}
                      for e in design.get("exclusions") or []]
        covariates = [{"code": c, "label": labels.variable(c, lang)} for c in design.get("covariates") or []]
        m = d.b.get("matching") or {}
        exact = m.get("exact") or ["index_week", *(design.get("exact") or [])]
        outcomes = [{"code": o.get("name"), "label": o["label"],
                     "definition": o["definition"], "horizon": o.get("horizon"),
                     "kind": o.get("kind")} for o in self.d.outcomes()]
        subgroups = []
        for s in design.get("subgroups") or []:
            edges = s.get("edges")
            bands = ""
            if edges:
                bands = ", ".join(f"{f.number(a, 0)}-{f.number(b - 1, 0)}" for a, b in zip(edges[:-1], edges[1:]))
            subgroups.append({"name": labels.subgroup(s.get("name"), lang), "covariate": s.get("covariate"),
                              "covariate_label": labels.lower_first(labels.variable(s.get("covariate") or "", lang)), "bands": bands})
        methods = list(dict.fromkeys(labels.method(r.get("method"), lang) for r in d.b.get("effects") or []
                                     if r.get("method")))
        tables = []
        for name, tab in (d.data.get("tables") or {}).items():
            tables.append({"name": name, "first": f.period(tab.get("first")) if tab.get("first") else "",
                           "last": f.period(tab.get("last")) if tab.get("last") else "",
                           "persons": tab.get("persons"), "rows": tab.get("rows"), "layout": tab.get("layout")})
        catalogue = [PurePath(str(c)).name for c in d.data.get("catalogue") or []]
        variants = []
        rob = design.get("robustness")
        if isinstance(rob, dict):
            for name, changes in rob.items():
                variants.append({"name": name, "changes": labels.design_changes(changes, lang)})
        caliper = design.get("caliper")
        cov_calipers = []
        if isinstance(caliper, dict):  # MatchIt's named form: the distance's entry and covariate calipers
            cov_calipers = [{"label": labels.lower_first(labels.variable(k, lang)), "width": f.number(v, 2)}
                            for k, v in caliper.items() if k != "distance"]
            caliper = caliper.get("distance")
        antiexact = [labels.lower_first(labels.variable(x, lang)) for x in design.get("antiexact") or []]
        idx = d.b.get("index_period") or {}
        return {
            "name": d.name,
            "event": self.event(),
            "event_code": p.get("event"),
            "start": f.date(p.get("start")) if p.get("start") else None,
            "end": f.date(p.get("end")) if p.get("end") else None,
            "units": p.get("units"),
            "index_first": f.period(idx["first"]) if idx.get("first") else None,
            "index_last": f.period(idx["last"]) if idx.get("last") else None,
            "age": pool.get("age"),
            "age_date": f.date(pool.get("age_date")) if pool.get("age_date") else None,
            "states": states,
            "municipalities": munis if isinstance(munis, (list, tuple)) else None,
            "exclude_participant_municipalities": munis == "participants",
            "pool_participants": pool.get("participants", "never"),
            "apply_to_participants": bool(pool.get("apply_to_participants", True)),
            "exclusions": exclusions,
            "covariates": covariates,
            "exact": [labels.lower_first(labels.variable(x, lang)) for x in exact],
            "exact_codes": exact,
            "ratio": m.get("ratio", design.get("ratio", 1)),
            "replace": bool(m.get("replace", design.get("replace", False))),
            "caliper": None if caliper is None else f.number(caliper, 2),
            "caliper_width": None if m.get("caliper_width") is None else f.number(m.get("caliper_width"), 3),
            "std_caliper": design.get("std_caliper", True) is not False,
            "covariate_calipers": cov_calipers,
            "antiexact": antiexact,
            "distance": m.get("distance", design.get("distance", "logit")),
            "method_name": m.get("method", "nearest"),
            "m_order": m.get("m_order"),
            "estimand": m.get("estimand", "ATT"),
            "n_exact_cells": m.get("n_exact_cells"),
            "outcomes": outcomes,
            "censoring": design.get("censoring", "km"),
            "se": design.get("se"),
            "n_boot": design.get("n_boot"),
            "discard": design.get("discard") or "none",
            "adjust": design.get("adjust") or "none",
            "hidden_bias": bool(d.b.get("sensitivity")),
            "relative": any("risk_ratio" in r for r in d.b.get("effects") or []),
            "methods": methods,
            "subgroups": subgroups,
            "variants": variants,
            "tables": tables,
            "end_month": f.month(d.data.get("end_month")) if d.data.get("end_month") else None,
            "catalogue": catalogue,
            "unknown_codes": len(d.data.get("unknown_codes") or []),
            "seed": design.get("seed"),
            "threshold": d.threshold,
            "smd_threshold": f.number(d.smd_threshold, 1),
            "version": d.b.get("version"),
            "synthetic": d.synthetic,
            "design_language": design.get("language") or "da",
        }

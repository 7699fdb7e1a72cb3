"""Readable labels for the codes a results bundle uses: variables and their levels, states, outcomes, flow steps.

Every function takes the language ("da" or "en") and falls back to the code itself when it does not know a name,
so a design with new covariates or states still renders (with the raw name, which the method appendix defines).
"""

from __future__ import annotations

import re

from virkning.errors import VirkningError
from virkning.panel.grammar import parse_covariate
from virkning.registers.catalogue import ascii_name, state_label

# ---- states and statuses ------------------------------------------------------------------------------------
def lower_first(text: str) -> str:
    """Lower-case the first letter only, keeping acronyms: 'Område (RAR)' -> 'område (RAR)'."""
    return text[:1].lower() + text[1:]


def state(name: str | None, lang: str) -> str:
    """`sygdom` -> 'sygedagpenge' / 'sickness benefit' (words from the DREAM code catalogue)."""
    return state_label(name, lang)


# ---- variables and levels -------------------------------------------------------------------------------------
VARIABLES = {
    "age": ("Alder (år)", "Age (years)"),
    "sex": ("Køn", "Sex"),
    "origin": ("Herkomst", "Origin"),
    "origin_group": ("Herkomst", "Origin"),
    "education": ("Uddannelse", "Education"),
    "region": ("Område (RAR)", "Region (RAR)"),
    "a_kasse": ("A-kasse", "Unemployment insurance fund"),
    "municipality": ("Kommune", "Municipality"),
    "index_week": ("Indeksuge", "Index week"),
    "index week": ("Indeksuge", "Index week"),
    "index_month": ("Indeksmåned", "Index month"),
    "distance": ("Propensity score (logit)", "Propensity score (logit)"),
    "unit": ("Projekt", "Project"),
}

LEVELS = {
    ("sex", "K"): ("Kvinde", "Woman"),
    ("sex", "M"): ("Mand", "Man"),
    ("origin", "dansk"): ("Dansk", "Danish"),
    ("origin", "indvandrer"): ("Indvandrer", "Immigrant"),
    ("origin", "efterkommer"): ("Efterkommer", "Descendant of immigrants"),
    ("origin_group", "dansk"): ("Dansk", "Danish"),
    ("origin_group", "ikke-dansk"): ("Ikke-dansk", "Non-Danish"),
    ("education", "grundskole"): ("Grundskole", "Primary and lower secondary"),
    ("education", "gymnasial"): ("Gymnasial uddannelse", "General upper secondary"),
    ("education", "erhvervsfaglig"): ("Erhvervsfaglig uddannelse", "Vocational"),
    ("education", "KVU"): ("Kort videregående (KVU)", "Short-cycle tertiary (KVU)"),
    ("education", "MVU"): ("Mellemlang videregående (MVU)", "Medium-cycle tertiary (MVU)"),
    ("education", "LVU"): ("Lang videregående (LVU)", "Long-cycle tertiary (LVU)"),
    ("education", "ukendt"): ("Ukendt", "Unknown"),
}

SUBGROUPS = {
    "age band": ("Alder", "Age"),
    "age": ("Alder", "Age"),
    "sex": ("Køn", "Sex"),
    "education": ("Uddannelse", "Education"),
    "origin": ("Herkomst", "Origin"),
    "origin_group": ("Herkomst", "Origin"),
    "region": ("Område (RAR)", "Region (RAR)"),
    "a_kasse": ("A-kasse", "Unemployment insurance fund"),
}

def variable(name: str, lang: str) -> str:
    """A covariate name of the panel grammar in words: `weeks_sygdom_156w` -> 'Uger med sygedagpenge, seneste 156 uger'."""
    en = lang == "en"
    if name in VARIABLES:
        return VARIABLES[name][en]
    try:
        c = parse_covariate(name)
    except VirkningError:
        return name
    s = state(c.state, lang)
    if c.kind == "weeks":
        return f"Weeks on {s}, previous {c.n} weeks" if en else f"Uger med {s}, seneste {c.n} uger"
    if c.kind == "employment":
        return (f"Employment, previous {c.n} months (sum of monthly rates)" if en
                else f"Beskæftigelse, seneste {c.n} måneder (sum af månedlige grader)")
    if c.kind == "employment_at":
        if c.n == 0:
            return "Employment rate in the index month" if en else "Beskæftigelsesgrad i indeksmåneden"
        return (f"Employment rate in month {c.n:+d} from the index month" if en
                else f"Beskæftigelsesgrad i måned {c.n:+d} fra indeksmåneden")
    if c.kind == "spell":
        return f"Current spell of {s} (weeks)" if en else f"Igangværende forløb med {s} (uger)"
    if c.kind == "in":
        return f"On {s} in week {c.n:+d} from the index week" if en else f"På {s} i uge {c.n:+d} fra indeksugen"
    return name


def level(var: str, value, lang: str) -> str:
    if value is None:
        return ""
    if str(value) == "(mangler)":
        return "Missing" if lang == "en" else "Mangler"
    pair = LEVELS.get((var, str(value)))
    if pair:
        return pair[lang == "en"]
    if var in ("index_week", "index week") and re.fullmatch(r"\d{4}-W\d{2}", str(value)):
        from virkning.report.formatting import Formatter

        return Formatter(lang).week(str(value)).capitalize()
    return str(value)


def subgroup(name: str, lang: str) -> str:
    pair = SUBGROUPS.get(name)
    if pair:
        return pair[lang == "en"]
    return variable(name, lang) if name in VARIABLES else name


# ---- events -----------------------------------------------------------------------------------------------------
EVENTS = {"informationsmøde": "information meeting", "visitation": "visitation", "samtale": "interview"}


def event(name: str | None, lang: str) -> str:
    """The participation event: 'informationsmøde' / 'information meeting'."""
    if not name:
        return "hændelse" if lang == "da" else "event"
    if lang == "en":
        return EVENTS.get(str(name), f"'{name}' event")
    return str(name)


# ---- conditions and flow steps ----------------------------------------------------------------------------------
def condition(covariate: str, op: str, value, lang: str) -> str:
    """Who a rule removes, as a noun phrase: `employment_at_0 > 0` -> 'personer i beskæftigelse i indeksmåneden
    (beskæftigelsesgrad > 0)'."""
    en = lang == "en"
    v = f"{float(value):g}" if isinstance(value, (int, float)) else str(value)
    if lang == "da":
        v = v.replace(".", ",")
    try:
        c = parse_covariate(covariate)
    except VirkningError:
        c = None
    if c is not None and c.kind == "employment_at" and op == ">" and float(value) == 0:
        k = c.n
        when = ("in the index month" if en else "i indeksmåneden") if k == 0 else (
            f"in month {k:+d} from the index month" if en else f"i måned {k:+d} fra indeksmåneden")
        return (f"persons employed {when} (employment rate > 0)" if en
                else f"personer i beskæftigelse {when} (beskæftigelsesgrad > 0)")
    return (f"persons with {lower_first(variable(covariate, lang))} {op} {v}" if en
            else f"personer med {lower_first(variable(covariate, lang))} {op} {v}")


_STEPS = [
    (r"registered \(event in window\)", "Registreret (hændelse i perioden)", "Registered (event in the window)"),
    (r"found in registers", "Fundet i registrene", "Found in the registers"),
    (r"pool: in the required states in a participant index week",
     "I de krævede tilstande i en uge med deltagere", "In the required states in a week with participants"),
    (r"pool: aged (\d+)-(\d+)", "I alderen {0}-{1} år", "Aged {0}-{1}"),
    (r"pool: not living in a participant municipality", "Bor ikke i en deltagerkommune",
     "Not living in a participant municipality"),
    (r"pool: not living in the excluded municipalities", "Bor ikke i de udelukkede kommuner",
     "Not living in the excluded municipalities"),
    (r"pool: never a participant", "Aldrig selv deltager", "Never a participant"),
    (r"pool: not yet a participant in the week", "Endnu ikke deltager i ugen", "Not yet a participant in the week"),
    (r"eligible \(same age and state rules as the pool\)", "Opfylder kriterierne (samme alders- og tilstandsregler)",
     "Eligible (same age and state rules)"),
    (r"full follow-up of (\d+) months \(data end (.+)\)", "Fuld opfølgning i {0} måneder (data til {1})",
     "Full follow-up of {0} months (data to {1})"),
    (r"pool: in an exact cell \((.+)\) with participants", "I en eksakt celle ({0}) med deltagere",
     "In an exact cell ({0}) with participants"),
    (r"pool: (.+) level\(s\) without participants dropped \((.+)\)", "Grupper af {0} uden deltagere fjernet ({1})",
     "Levels of {0} without participants dropped ({1})"),
    (r"matched", "Matchet", "Matched"),
    (r"common support of the propensity score \(discard: (\w+)\)",
     "Inden for propensity-scorens fælles støtte ({0})", "Within the common support of the propensity score ({0})"),
]

_EXCLUDED = re.compile(r"excluded: (.+) \((\S+) (>=|<=|==|!=|>|<) (\S+)\)")


def _cell_variables(text: str, lang: str) -> str:
    parts = [p.strip() for p in text.split(",")]
    return ", ".join(lower_first(variable(p, lang)) if p in VARIABLES else p for p in parts)


def flow_step(step: str, lang: str) -> str:
    """A flow-table step in words; unknown steps are shown as written."""
    en = lang == "en"
    m = _EXCLUDED.fullmatch(step)
    if m:
        value: float | str
        try:
            value = float(m.group(4))
        except ValueError:
            value = m.group(4)
        cond = condition(m.group(2), m.group(3), value, lang)
        return f"After excluding {cond}" if en else f"Efter udelukkelse af {cond}"
    for pattern, da, english in _STEPS:
        m = re.fullmatch(pattern, step)
        if m:
            groups = list(m.groups())
            if "exact cell" in pattern and groups:
                groups[0] = _cell_variables(groups[0], lang)
            if "level" in pattern and groups:
                groups[0] = lower_first(variable(groups[0], lang))
            if "discard" in pattern and groups:
                groups[0] = discard(groups[0], lang)
            return (english if en else da).format(*groups)
    return step


def flow_side(step: str) -> tuple[bool, bool]:
    """Whether a flow step concerns (participants, pool)."""
    if step.startswith("pool:"):
        return False, True
    if step in ("registered (event in window)", "found in registers"):
        return True, False
    return True, True


def slug(name: str) -> str:
    """A file-name-safe ASCII version of an outcome name."""
    text = ascii_name(str(name).strip().lower())
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_") or "x"


# ---- design-file options and estimation methods ---------------------------------------------------------------------
# The values of the design file's options in words, so a report never shows a raw key or value (issue 19).
DISCARD = {
    "none": ("intet fravalg", "no discarding"),
    "both": ("fravalg i begge grupper", "discarding in both groups"),
    "treated": ("fravalg blandt deltagerne", "discarding participants"),
    "control": ("fravalg blandt de mulige kontrolpersoner", "discarding potential controls"),
}
DISTANCE = {
    "logit": ("propensity-scorens logit", "the logit of the propensity score"),
    "ps": ("propensity-scoren", "the propensity score"),
    "mahalanobis": ("Mahalanobis-afstand", "Mahalanobis distance"),
}
CENSORING = {
    "km": ("Kaplan-Meier (personer indgår, så længe de kan følges)",
           "Kaplan-Meier (persons count while they can be followed)"),
    "full_followup": ("kun personer med fuld opfølgning", "only persons with full follow-up"),
}
SE = {
    "cluster": ("klyngerobuste standardfejl", "cluster-robust standard errors"),
    "bootstrap": ("klyngebootstrap over matchede sæt", "cluster bootstrap over matched sets"),
    "rematch": ("bootstrap med ny propensity-model og ny matching", "bootstrap re-estimating the score and re-matching"),
}
ADJUST = {"none": ("ingen", "none"), "regression": ("regression i den matchede stikprøve",
                                                    "regression on the matched sample")}
POOL_PARTICIPANTS = {"never": ("aldrig selv deltager", "never a participant"),
                     "not_yet": ("endnu ikke deltager i ugen", "not yet a participant in the week")}
DESIGN_KEYS = {
    "participants": ("Deltagere", "Participants"),
    "participants.event": ("hændelse", "event"),
    "participants.units": ("enheder", "units"),
    "participants.from": ("fra", "from"),
    "participants.start": ("fra", "from"),
    "participants.to": ("til og med", "to"),
    "participants.end": ("til og med", "to"),
    "pool": ("Puljen", "Pool"),
    "pool.age": ("alder", "age"),
    "pool.age_date": ("alder opgjort den", "age on"),
    "pool.states": ("krævede tilstande", "required states"),
    "pool.exclude_municipalities": ("udelukkede kommuner", "excluded municipalities"),
    "pool.participants": ("deltagere i puljen", "participants in the pool"),
    "pool.apply_to_participants": ("samme regler for deltagerne", "same rules for the participants"),
    "exclusions": ("Udelukkelser", "Exclusions"),
    "covariates": ("Kovariater", "Covariates"),
    "matching": ("Matching", "Matching"),
    "matching.exact": ("eksakt på", "exact on"),
    "matching.ratio": ("kontrolpersoner pr. deltager", "controls per participant"),
    "matching.replace": ("med tilbagelægning", "with replacement"),
    "matching.caliper": ("caliper (standardafvigelser)", "caliper (standard deviations)"),
    "matching.distance": ("afstandsmål", "distance"),
    "matching.discard": ("fælles støtte", "common support"),
    "censoring": ("Censurering", "Censoring"),
    "se": ("Usikkerhed", "Uncertainty"),
    "n_boot": ("Bootstrap-gentagelser", "Bootstrap replicates"),
    "subgroups": ("Undergrupper", "Subgroups"),
    "seed": ("Seed", "Seed"),
    "adjust": ("Justering", "Adjustment"),
    "sensitivity": ("Følsomhed for skjult selektion", "Sensitivity to hidden bias"),
    "outcomes": ("Udfald", "Outcomes"),
}


def option(table: dict, value, lang: str) -> str:
    """A design option's value in words from one of the tables above; an unknown value as written."""
    pair = table.get(str(value))
    return pair[lang == "en"] if pair else str(value)


def discard(value, lang: str) -> str:
    """`discard: both` -> 'fravalg i begge grupper' / 'discarding in both groups'."""
    return option(DISCARD, value or "none", lang)


def _value_words(path: str, value, lang: str) -> str:
    from virkning.report.formatting import Formatter

    en = lang == "en"
    f = Formatter(lang)
    none = "none" if en else "ingen"
    if isinstance(value, bool):
        return ("yes" if value else "no") if en else ("ja" if value else "nej")
    if value is None or value == [] or value == {}:
        return none
    key = path.rsplit(".", 1)[-1]
    if key in ("covariates", "exact"):
        return f.join([lower_first(variable(str(v), lang)) for v in value])
    if key == "event":
        return event(str(value), lang)
    if key in ("from", "to", "start", "end", "age_date"):
        return f.date(value)
    if key == "age" and isinstance(value, (list, tuple)) and len(value) == 2:
        return f"{value[0]}-{value[1]}" + ("" if en else " år")
    if key == "states" and isinstance(value, dict):
        return f.join([(f"{state(str(s), lang)} in week {int(k):+d}" if en else f"{state(str(s), lang)} i uge {int(k):+d}")
                       for k, s in sorted(value.items(), key=lambda kv: int(kv[0]))])
    if key == "exclude_municipalities" and value == "participants":
        return "the participants' municipalities" if en else "deltagernes kommuner"
    if key == "participants" and path.startswith("pool"):
        return option(POOL_PARTICIPANTS, value, lang)
    if key == "discard":
        return discard(value, lang)
    if key == "distance":
        return option(DISTANCE, value, lang)
    if key == "censoring":
        return option(CENSORING, value, lang)
    if key == "se":
        return option(SE, value, lang)
    if key == "adjust":
        return option(ADJUST, value, lang)
    if key == "subgroups" and isinstance(value, list):
        return f.join([subgroup(str(s.get("name", s.get("covariate", ""))), lang) if isinstance(s, dict) else str(s)
                       for s in value])
    if key == "exclusions" and isinstance(value, list):
        return f.join([condition(str(e.get("covariate", "")), str(e.get("op", "")), e.get("value"), lang)
                       if isinstance(e, dict) else str(e) for e in value])
    if isinstance(value, (int, float)):
        return f.number(value, 0 if float(value).is_integer() else 2)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def design_changes(changes, lang: str) -> list[str]:
    """A robustness variant's changes to the design in words, one per key: {'pool': {'age': [55, 65]}} ->
    ['Puljen, alder: 55-65 år'] (never the raw `pool.age = [55, 65]`)."""
    if not isinstance(changes, dict):
        return [str(changes)]
    out = []
    for key, value in changes.items():
        if isinstance(value, dict) and value and key in ("participants", "pool", "matching"):
            head = option(DESIGN_KEYS, key, lang)
            out += [f"{head}, {option(DESIGN_KEYS, f'{key}.{k}', lang)}: {_value_words(f'{key}.{k}', v, lang)}"
                    for k, v in value.items()]
        else:
            out.append(f"{option(DESIGN_KEYS, key, lang)}: {_value_words(key, value, lang)}")
    return out


_METHODS = [
    (r"cluster bootstrap over (\d+) groups of matched sets sharing a person",
     "klyngebootstrap over {0} grupper af matchede sæt med en fælles person",
     "cluster bootstrap over {0} groups of matched sets sharing a person"),
    (r"cluster bootstrap over matched sets", "klyngebootstrap over matchede sæt", "cluster bootstrap over matched sets"),
    (r"cluster bootstrap", "klyngebootstrap", "cluster bootstrap"),
    (r"bootstrap re-estimating the score and re-matching \((\d+) replicates\)",
     "bootstrap med ny propensity-model og ny matching i hver gentagelse ({0} gentagelser)",
     "bootstrap re-estimating the score and re-matching ({0} replicates)"),
    (r"bootstrap re-estimating the score and re-matching",
     "bootstrap med ny propensity-model og ny matching i hver gentagelse",
     "bootstrap re-estimating the score and re-matching"),
    (r"cluster-robust \(sets and persons\) variance", "klyngerobust varians (sæt og personer)",
     "cluster-robust variance (sets and persons)"),
    (r"cluster-robust SE on matched sets", "klyngerobuste standardfejl på matchede sæt",
     "cluster-robust standard errors on matched sets"),
    (r"variance around the effect on the matched participants \(sample ATT\)",
     "varians om effekten for de matchede deltagere (stikprøvens ATT)",
     "variance around the effect on the matched participants (sample ATT)"),
    (r"complete cases per month", "personer med oplysninger i måneden", "complete cases per month"),
    (r"regression on the matched sample \(treatment x centred covariates\)",
     "regression i den matchede stikprøve (deltagelse gange centrerede kovariater)",
     "regression on the matched sample (treatment x centred covariates)"),
    (r"cluster-robust SE \((sets and persons|sets)\)", "klyngerobuste standardfejl ({0})",
     "cluster-robust standard errors ({0})"),
    (r"cluster-robust SE", "klyngerobuste standardfejl", "cluster-robust standard errors"),
    (r"Kaplan-Meier", "Kaplan-Meier", "Kaplan-Meier"),
]
_CLUSTERS = {"sets and persons": ("sæt og personer", "sets and persons"), "sets": ("sæt", "sets")}


def method(text: str | None, lang: str) -> str:
    """An estimation method as the estimators name it ('Kaplan-Meier, cluster bootstrap over matched sets') in
    words of the report language; each comma-separated part is translated, an unknown part kept as written."""
    from virkning.report.formatting import Formatter

    if not text:
        return ""
    parts = []
    for part in str(text).split(", "):
        for pattern, da, english in _METHODS:
            m = re.fullmatch(pattern, part.strip())
            if m:
                groups = [Formatter(lang).count(int(g)) if g.isdigit() else _CLUSTERS.get(g, (g, g))[lang == "en"]
                          for g in m.groups()]
                parts.append((english if lang == "en" else da).format(*groups))
                break
        else:
            parts.append(part)
    return ", ".join(parts)


def contrast(covariate: str, text: str | None, lang: str) -> str:
    """The contrast of a propensity-model term as the estimators name it ('RAR Hovedstaden vs RAR Fyn', 'per SD
    (4.5)', '1 vs 0', 'per unit') in words of the report language, with the covariate's level labels."""
    from virkning.report.formatting import Formatter

    if not text:
        return ""
    en = lang == "en"
    m = re.fullmatch(r"(.+) vs (.+)", str(text))
    if m:
        a, b = (level(covariate, x, lang) for x in m.groups())
        return f"{a} vs {b}" if en else f"{a} sammenlignet med {b}"
    m = re.fullmatch(r"per SD \(([-\d.e+]+)\)", str(text))
    if m:
        sd = Formatter(lang).number(float(m.group(1)), 2)
        return f"per standard deviation ({sd})" if en else f"pr. standardafvigelse ({sd})"
    if text == "per unit":
        return "per unit" if en else "pr. enhed"
    return str(text)

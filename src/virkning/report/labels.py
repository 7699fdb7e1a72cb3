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
    return pair[lang == "en"] if pair else str(value)


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
     "Inden for propensity-scorens fælles støtte (discard: {0})", "Within the common support of the propensity score "
     "(discard: {0})"),
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

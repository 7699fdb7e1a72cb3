"""Readable labels for the codes a results bundle uses: variables and their levels, states, outcomes, flow steps.

Every function takes the language ("da" or "en") and falls back to the code itself when it does not know a name,
so a design with new covariates or states still renders (with the raw name, which the method appendix defines).
"""

from __future__ import annotations

import re

# ---- states and statuses ------------------------------------------------------------------------------------
STATES = {
    "ledig": ("ledighed", "unemployment"),
    "kontanthjælp": ("kontanthjælp", "cash benefit"),
    "aktivering": ("aktivering", "activation"),
    "sygdom": ("sygedagpenge", "sickness benefit"),
    "barsel": ("barsel", "parental leave"),
    "orlov": ("orlov", "leave"),
    "uddannelse": ("uddannelse", "education"),
    "fleksjob": ("fleksjob", "flexjob"),
    "ledighedsydelse": ("ledighedsydelse", "benefit for unemployed flexjob candidates"),
    "revalidering": ("revalidering", "vocational rehabilitation"),
    "ressourceforløb": ("ressourceforløb", "resource programme"),
    "førtidspension": ("førtidspension", "disability pension"),
    "efterløn": ("efterløn", "voluntary early retirement pay"),
    "fleksydelse": ("fleksydelse", "early retirement for flexjob holders"),
    "folkepension": ("folkepension", "state pension"),
    "udvandret": ("udvandring", "emigration"),
    "død": ("død", "death"),
    "andet": ("andet", "other"),
    "tilbagetrukket": ("tilbagetrækning", "retirement"),
    "ydelse": ("offentlig ydelse", "public benefit"),
    "aktiv": ("aktiv indsats", "active measure"),
    "passiv_ledig": ("passiv ledighed", "passive unemployment"),
    "beskæftiget": ("beskæftigelse", "employment"),
    "vikar": ("vikarjob", "temp-agency job"),
    "selvforsørgende": ("selvforsørgelse", "self-support"),
}

_ASCII = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"})


def _key(name: str) -> str:
    return str(name).strip().lower().translate(_ASCII)


_STATE_BY_ASCII = {_key(k): k for k in STATES}


def canonical(state: str | None) -> str | None:
    """The Danish spelling of a state name written with or without æ, ø, å (`beskaeftiget` -> `beskæftiget`)."""
    if state is None:
        return None
    return _STATE_BY_ASCII.get(_key(state), state)


def lower_first(text: str) -> str:
    """Lower-case the first letter only, keeping acronyms: 'Område (RAR)' -> 'område (RAR)'."""
    return text[:1].lower() + text[1:]


def state(name: str | None, lang: str) -> str:
    """`sygdom` -> 'sygedagpenge' / 'sickness benefit'."""
    if name is None:
        return ""
    s = canonical(name)
    pair = STATES.get(s)
    return pair[lang == "en"] if pair else str(name)


# ---- variables and levels -------------------------------------------------------------------------------------
VARIABLES = {
    "age": ("Alder (år)", "Age (years)"),
    "sex": ("Køn", "Sex"),
    "origin": ("Herkomst", "Origin"),
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
    "region": ("Område (RAR)", "Region (RAR)"),
    "a_kasse": ("A-kasse", "Unemployment insurance fund"),
}

_WEEKS = re.compile(r"^weeks_(.+)_(\d+)w$")
_EMP = re.compile(r"^employment_(\d+)m$")
_EMP_AT = re.compile(r"^employment_at_(-?\d+)$")
_SPELL = re.compile(r"^spell_weeks(?:_(.+))?$")
_IN = re.compile(r"^in_(.+)_at_(-?\d+)$")


def variable(name: str, lang: str) -> str:
    """A covariate name of the panel grammar in words: `weeks_sygdom_156w` -> 'Uger med sygedagpenge, seneste 156 uger'."""
    en = lang == "en"
    if name in VARIABLES:
        return VARIABLES[name][en]
    if m := _WEEKS.match(name):
        s, n = state(m.group(1), lang), m.group(2)
        return f"Weeks on {s}, previous {n} weeks" if en else f"Uger med {s}, seneste {n} uger"
    if m := _EMP.match(name):
        n = m.group(1)
        return (f"Employment, previous {n} months (sum of monthly rates)" if en
                else f"Beskæftigelse, seneste {n} måneder (sum af månedlige grader)")
    if m := _EMP_AT.match(name):
        k = int(m.group(1))
        if k == 0:
            return "Employment rate in the index month" if en else "Beskæftigelsesgrad i indeksmåneden"
        return (f"Employment rate in month {k:+d} from the index month" if en
                else f"Beskæftigelsesgrad i måned {k:+d} fra indeksmåneden")
    if m := _SPELL.match(name):
        s = state(m.group(1) or "ledig", lang)
        return f"Current spell of {s} (weeks)" if en else f"Igangværende forløb med {s} (uger)"
    if m := _IN.match(name):
        s, k = state(m.group(1), lang), int(m.group(2))
        if en:
            return f"On {s} in week {k:+d} from the index week"
        return f"På {s} i uge {k:+d} fra indeksugen"
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


# ---- outcomes -------------------------------------------------------------------------------------------------
_EXIT = {
    "beskæftiget": (("Afgang til beskæftigelse", "Exit to employment"),
                    ("afgået til beskæftigelse", "had moved into employment"),
                    ("første måned efter indeksmåneden med en positiv beskæftigelsesgrad i eIndkomst",
                     "the first month after the index month with a positive employment rate in eIndkomst")),
    "vikar": (("Afgang til vikarjob", "Exit to a temp-agency job"),
              ("kommet i vikarjob", "had had a temp-agency job"),
              ("første måned efter indeksmåneden med en positiv beskæftigelsesgrad hos en arbejdsgiver i "
               "vikarbranchen (eIndkomst)",
               "the first month after the index month with a positive employment rate at an employer in the "
               "temp-agency industry (eIndkomst)")),
    "tilbagetrukket": (("Afgang til tilbagetrækning", "Exit to retirement"),
                       ("trukket sig tilbage fra arbejdsmarkedet", "had retired from the labour market"),
                       ("første måned med mindst én uge på en tilbagetrækningskode i DREAM (efterløn, fleksydelse, "
                        "førtidspension, folkepension) eller udvandring eller død",
                        "the first month with at least one week on a retirement code in DREAM (early retirement "
                        "pay, flex benefit, disability or state pension), emigration or death")),
    "selvforsørgende": (("Afgang til selvforsørgelse", "Exit to self-support"),
                        ("blevet selvforsørgende", "had become self-supporting"),
                        ("første måned uden nogen DREAM-kode og uden registreret beskæftigelse",
                         "the first month with neither a DREAM code nor registered employment")),
}


def outcome_label(o: dict, lang: str) -> str:
    """The heading of an outcome from its design entry (name, kind, status, horizon)."""
    en = lang == "en"
    kind, s = o.get("kind", "first_exit"), canonical(o.get("status"))
    if kind == "first_exit":
        if s in _EXIT:
            return _EXIT[s][0][en]
        return f"Exit to {state(s, lang)}" if en else f"Afgang til {state(s, lang)}"
    if kind == "status_share":
        return f"Share in {state(s, lang)}" if en else f"Andel i {state(s, lang)}"
    if kind == "benefit_weeks":
        return "Weeks on public benefits (cumulative)" if en else "Uger på offentlig forsørgelse (akkumuleret)"
    return str(o.get("name", ""))


def outcome_title(o: dict, lang: str) -> str:
    """The readable label of an outcome, or its name when the design does not describe it."""
    if o.get("status") or o.get("kind") in ("status_share", "benefit_weeks"):
        return outcome_label(o, lang)
    return str(o.get("name", ""))


def outcome_phrase(o: dict, lang: str) -> str:
    """What a participant 'was' at month m, for the summary: 'kommet i vikarjob' / 'had had a temp-agency job'."""
    en = lang == "en"
    kind, s = o.get("kind", "first_exit"), canonical(o.get("status"))
    if kind == "first_exit":
        if s in _EXIT:
            return _EXIT[s][1][en]
        return f"had moved to {state(s, lang)}" if en else f"overgået til {state(s, lang)}"
    return f"in {state(s, lang)}" if en else f"i {state(s, lang)}"


def outcome_definition(o: dict, lang: str) -> str:
    """The exact definition of an outcome, for the method appendix."""
    en = lang == "en"
    kind, s = o.get("kind", "first_exit"), canonical(o.get("status"))
    h = o.get("horizon")
    if kind == "first_exit":
        first = _EXIT[s][2][en] if s in _EXIT else (
            f"the first month with at least one week on a DREAM code in the state '{s}'" if en
            else f"første måned med mindst én uge på en DREAM-kode i tilstanden »{s}«")
        if en:
            return (f"The exit month is {first}. The curve is the share exited by month m (1 to {h}). Each person "
                    "counts once; later returns to benefit are ignored (exit without relapse). Persons without an "
                    "exit count as not exited.")
        return (f"Afgangsmåneden er den {first}. Kurven er andelen, der er afgået senest i måned m (1 til {h}). Hver "
                "person tælles én gang; senere tilbagefald ignoreres (afgang uden tilbagefald). Personer uden "
                "afgang tæller som ikke afgået.")
    if kind == "status_share":
        if en:
            return (f"Share whose status in month m (1 to {h}) is '{state(s, lang)}'. Each month has one status by "
                    "a fixed hierarchy: retirement, temp-agency job, employment, the DREAM state with most weeks, "
                    "self-support.")
        return (f"Andelen, hvis status i måned m (1 til {h}) er »{state(s, lang)}«. Hver måned har én status efter "
                "et fast hierarki: tilbagetrækning, vikarjob, beskæftigelse, den DREAM-tilstand med flest uger, "
                "selvforsørgelse.")
    if kind == "benefit_weeks":
        if en:
            return (f"Number of weeks from month 1 to month m (up to {h}) with a DREAM code that is a public "
                    "benefit; 52 weeks are one full-time person.")
        return (f"Antal uger fra måned 1 til og med måned m (op til {h}) med en DREAM-kode, der er en offentlig "
                "ydelse; 52 uger svarer til én fuldtidsperson.")
    return ""


def outcome_is_share(o: dict) -> bool:
    return o.get("kind", "first_exit") != "benefit_weeks"


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
    m = _EMP_AT.match(covariate)
    if m and op == ">" and float(value) == 0:
        k = int(m.group(1))
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
    text = _key(name)
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_") or "x"

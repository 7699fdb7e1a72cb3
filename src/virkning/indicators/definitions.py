"""Register indicators per unit and period, declared in one place: numerator, denominator, codes and words.

An indicator is a ratio (or a count) of quantities that the register layer sums per unit (the persons' municipality,
or a declared group of municipalities such as a job centre shared by two) and period (month, quarter, half-year or
year) for a declared target group (e.g. insured unemployed people, LAB § 2, nr. 1). The quantities are:

    target_weeks   weeks with a code of the target group (a week belongs to the period of its Thursday's month)
    act_weeks      of these, weeks with a measure (catalogue flag activation = 1)
    vr_weeks       of these, weeks with an employer-based measure (wage subsidy, work trial: `MEASURES`)
    vo_weeks       of these, weeks with guidance and up-skilling (incl. ordinary education: `MEASURES`)
    emp_den        person-months m of persons with a target week in month m - h (h = the employment lag)
    emp_num        of these, person-months with employment (employment_rate > 0) in month m
    new_spells     spells of the target group starting in the period (not the ones seen from the first data week)
    ended_spells   spells ending in the period (not the ones still running at the end of the data)
    ended_job      of these, spells followed by employment in the month of the week after the spell or the next
    ended_su       of these, spells followed by an SU week (`SU_CODES`) within `su_weeks` weeks
    open_spells    spells running at the end of the period (started by then, ending later or still running)
    events         events (e.g. `samtale`) dated in the period, in a target week of the person
    first_weeks    sum over spells of the weeks from the spell's first week to its first event, by the event's period
    first_count    number of such first events (spells that start after the first data week)
    ended_known    ended spells whose start is seen (they start after the first data week + spell_gap)
    ended_weeks    their weeks from first to last (gaps inside included): the length of a completed spell

A spell is a run of target weeks; gaps of up to `spell_gap` weeks (default 0) do not break it. jobindsats.dk
counted a spell ("forløb") as consecutive days with benefit or activation, a new one starting after at least one
day without (driftsnyhed 12.10.2017); its measures of status after a completed spell use an interruption of a
calendar month for cash benefit (2017-2018). docs/indicators.md compares every definition with STAR's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast

import pandas as pd

from virkning.errors import DesignError
from virkning.registers.catalogue import GROUPS, STATES, Catalogue, canonical_state

PERIODS: dict[str, int] = {"month": 1, "quarter": 3, "half-year": 6, "year": 12}  # months per period
PERIOD_WORDS = {"month": ("måned", "month"), "quarter": ("kvartal", "quarter"), "half-year": ("halvår", "half-year"),
                "year": ("år", "year")}

# Employer-based measures and guidance/up-skilling, recognised by the words of the catalogue's labels of activation
# codes (DREAM names the measure in the label: "Dagpenge, Løntilskud, Privat", "..., Vejledning og opkvalificering",
# "..., Ordinær uddannelse", "6-ugers-selvvalgt uddannelse"), so a user catalogue with the same wording is read the
# same way. LAB's kinds of offers: vejledning og opkvalificering (incl. ordinary education), virksomhedspraktik,
# ansættelse med løntilskud, nytteindsats.
MEASURES: dict[str, tuple[str, ...]] = {
    "virksomhedsrettet": ("løntilskud", "virksomhedspraktik"),
    "vejledning_opkvalificering": ("vejl", "opkvalificering", "uddannelse"),
}
SU_CODES = ("651", "652")  # SU med ydelse, SU uden ydelse (the education grant; 661 VUS/SVU is adult education pay)


@dataclass(frozen=True)
class TargetGroup:
    """Whose weeks count: codes of catalogue states or groups, plus explicit codes."""

    name: str
    label: tuple[str, str]
    states: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    law: str = ""

    def resolve(self, catalogue: Catalogue) -> list[str]:
        out: set[str] = set(self.codes)
        for s in self.states:
            out.update(catalogue.codes(s))
        return sorted(out)


TARGET_GROUPS: dict[str, TargetGroup] = {
    "forsikrede_ledige": TargetGroup("forsikrede_ledige", ("Forsikrede ledige (LAB § 2, nr. 1)",
                                                           "Insured unemployed (LAB § 2(1))"), ("ledig",),
                                     law="LAB § 2, nr. 1"),
    "kontant_og_uddannelseshjaelp": TargetGroup(
        "kontant_og_uddannelseshjaelp", ("Kontant-, uddannelses- og integrationsydelse",
                                         "Cash benefit, education benefit and integration benefit"),
        ("kontanthjælp", "aktivering"), law="LAB § 2, nr. 2-3, 13"),
    "sygedagpenge": TargetGroup("sygedagpenge", ("Sygedagpenge og jobafklaring", "Sickness benefit and job clarification"),
                                ("sygdom",), law="LAB § 2, nr. 5, 12"),
    "alle_ydelser": TargetGroup("alle_ydelser", ("Alle offentlige ydelser", "All public benefits"), ("ydelse",)),
}


def target_group(value: str | dict) -> TargetGroup:
    """A named target group, or {states: [...], codes: [...], name: ...} declared in a design."""
    if isinstance(value, str):
        if value not in TARGET_GROUPS:
            raise DesignError(f"target group '{value}': expected one of {', '.join(TARGET_GROUPS)} or a mapping "
                              "with states and/or codes")
        return TARGET_GROUPS[value]
    states = tuple(canonical_state(s) or s for s in value.get("states", ()))
    bad = [s for s in states if s not in STATES and s not in GROUPS]
    if bad:
        raise DesignError(f"target group: {', '.join(bad)} is not a state or group of the catalogue; expected one of "
                          f"{', '.join((*STATES, *GROUPS))}")
    name = value.get("name") or "målgruppe"
    return TargetGroup(name, (name, name), states, tuple(str(c) for c in value.get("codes", ())))


Kind = Literal["share", "rate", "mean", "count", "volume"]


@dataclass(frozen=True)
class Indicator:
    """One indicator: value = scale x numerator / denominator (share, rate, mean), the numerator (count) or the
    numerator / weeks in the period (volume in full-time persons).

    `base` names the population whose distinct persons are the cell's size (the `persons` column): a row resting
    on fewer persons than the disclosure threshold is not shown. `subset`: the numerator counts part of what the
    denominator counts, so denominator - numerator is a count too (the rest of the group)."""

    name: str
    label: tuple[str, str]
    kind: Kind
    num: str
    den: str | None
    base: str
    numerator: tuple[str, str]
    denominator: tuple[str, str] | None
    star: tuple[str, str]
    subset: bool = False
    scale: float = 1.0
    needs_events: bool = False
    needs_employment: bool = False

    @property
    def share(self) -> bool:
        return self.kind == "share"


def _i(*args, **kwargs) -> Indicator:
    return Indicator(*args, **kwargs)


INDICATORS: dict[str, Indicator] = {i.name: i for i in (
    _i("fuldtidspersoner", ("Fuldtidspersoner på ydelse", "Full-time persons on benefit"), "volume", "target_weeks",
       None, "target", ("uger i målgruppen", "weeks in the target group"), None,
       ("Som jobindsats' fuldtidspersoner, men i uger: uger i målgruppen / uger i perioden",
        "As jobindsats' full-time persons, in weeks: target weeks / weeks in the period")),
    _i("aktiveringsgrad", ("Aktiveringsgrad", "Activation rate"), "share", "act_weeks", "target_weeks", "target",
       ("uger med tilbud", "weeks with a measure"), ("uger i målgruppen", "weeks in the target group"),
       ("Som jobindsats' aktiveringsgrad (tid i tilbud / tid på ydelsen), i uger",
        "As jobindsats' activation rate (time in a measure / time on benefit), in weeks"), subset=True),
    _i("virksomhedsrettet_aktiveringsgrad", ("Virksomhedsrettet aktiveringsgrad", "Employer-based activation rate"),
       "share", "vr_weeks", "target_weeks", "target",
       ("uger i løntilskud eller virksomhedspraktik", "weeks in wage subsidy or work trial"),
       ("uger i målgruppen", "weeks in the target group"),
       ("Aktiveringsgraden for løntilskud og virksomhedspraktik (LAB kap. 11-12)",
        "The activation rate for wage subsidy and work trials (LAB ch. 11-12)"), subset=True),
    _i("vejlednings_og_opkvalificeringsgrad", ("Vejlednings- og opkvalificeringsgrad", "Guidance and up-skilling rate"),
       "share", "vo_weeks", "target_weeks", "target",
       ("uger i vejledning og opkvalificering", "weeks in guidance and up-skilling"),
       ("uger i målgruppen", "weeks in the target group"),
       ("Aktiveringsgraden for vejledning og opkvalificering, inkl. ordinær uddannelse (LAB kap. 10)",
        "The activation rate for guidance and up-skilling, incl. ordinary education (LAB ch. 10)"), subset=True),
    _i("beskaeftigelsesgrad", ("Beskæftigelsesgrad", "Employment rate"), "share", "emp_num", "emp_den", "emp",
       ("personmåneder med beskæftigelse", "person-months with employment"),
       ("personmåneder h måneder efter en uge i målgruppen", "person-months h months after a week in the group"),
       ("jobindsats måler status 1, 3, 6 og 12 mdr. efter afsluttet forløb; her h mdr. efter hver måned i målgruppen",
        "jobindsats measures status 1, 3, 6 and 12 months after a completed spell; here h months after each target "
        "month"), subset=True, needs_employment=True),
    _i("su_grad", ("SU-grad", "Education-grant rate"), "share", "ended_su", "ended_spells", "ended",
       ("afsluttede forløb efterfulgt af SU", "ended spells followed by SU"), ("afsluttede forløb", "ended spells"),
       ("Egen definition: SU-uge (651, 652) inden for su_weeks uger efter forløbet",
        "Own definition: an SU week (651, 652) within su_weeks weeks after the spell"), subset=True),
    _i("nye_forloeb", ("Nye forløb", "New spells"), "count", "new_spells", None, "new",
       ("forløb, der begynder i perioden", "spells starting in the period"), None,
       ("Som jobindsats' forløb (udgået 2017): sammenhængende perioder med ydelse, her uger",
        "As jobindsats' spells (discontinued 2017): consecutive periods on benefit, here weeks")),
    _i("afsluttede_forloeb_til_job", ("Afsluttede forløb til job", "Spells ended to employment"), "share", "ended_job",
       "ended_spells", "ended", ("afsluttede forløb efterfulgt af beskæftigelse", "ended spells followed by a job"),
       ("afsluttede forløb", "ended spells"),
       ("Som jobindsats' status efter afsluttet forløb, men beskæftigelse i måneden efter forløbet eller den næste",
        "As jobindsats' status after a completed spell, but employment in the month after the spell or the next"),
       subset=True, needs_employment=True),
    _i("varighed_afsluttede_forloeb", ("Varighed af afsluttede forløb", "Length of completed spells"), "mean",
       "ended_weeks", "ended_known", "ended_known", ("uger i afsluttede forløb", "weeks in completed spells"),
       ("afsluttede forløb med kendt start", "completed spells with a known start"),
       ("Som jobindsats' varighed af afsluttede kontaktforløb (seed 004, tabel 5.2), i uger; et gennemsnit over "
        "forløbene, dvs. vægtet med antallet af forløb i hver gruppe (a-kasse) af målgruppen",
        "As jobindsats' length of completed contact spells (seed 004, table 5.2), in weeks; a mean over the spells, "
        "so weighted by the number of spells in each group (unemployment fund) of the target group")),
    _i("uafsluttede_forloeb", ("Uafsluttede forløb", "Unfinished spells"), "count", "open_spells", None, "open",
       ("forløb i gang ved periodens slutning", "spells running at the end of the period"), None,
       ("Egen definition: bestanden af forløb i gang", "Own definition: the stock of running spells")),
    _i("uger_til_foerste_samtale", ("Uger til første samtale", "Weeks to the first interview"), "mean", "first_weeks",
       "first_count", "first", ("uger fra forløbets start til første samtale", "weeks from spell start to first interview"),
       ("første samtaler i perioden", "first interviews in the period"),
       ("Egen definition: gennemsnitlig ventetid i uger fra forløbets start", "Own definition: mean waiting time in "
        "weeks from the start of the spell"), needs_events=True),
    _i("samtaler_pr_kvartal", ("Samtaler pr. kvartal", "Interviews per quarter"), "rate", "events", "target_weeks",
       "target", ("samtaler i uger i målgruppen", "interviews in target weeks"),
       ("uger i målgruppen / 13", "weeks in the target group / 13"),
       ("Egen definition: samtaler pr. 13 uger i målgruppen (pr. fuldtidsperson og kvartal)",
        "Own definition: interviews per 13 weeks in the target group (per full-time person and quarter)"),
       scale=13.0, needs_events=True),
)}

# The seed's DiD indicators (seed 002, lines 476-480) and its descriptive list (470-472).
DID_DEFAULT = ("samtaler_pr_kvartal", "uger_til_foerste_samtale", "aktiveringsgrad", "virksomhedsrettet_aktiveringsgrad",
               "beskaeftigelsesgrad", "su_grad")
DESCRIBE_DEFAULT = ("fuldtidspersoner", "nye_forloeb", "afsluttede_forloeb_til_job", "uafsluttede_forloeb",
                    "vejlednings_og_opkvalificeringsgrad")


def measure_codes(catalogue: Catalogue, measure: str) -> list[str]:
    """Activation codes whose label names the measure (`MEASURES`)."""
    t = catalogue.table
    words = MEASURES[measure]
    label = t["label"].str.lower()
    hit = pd.Series(False, index=t.index)
    for w in words:
        hit |= label.str.contains(w, regex=False)
    return sorted(t.loc[hit & (t["activation"] == 1), "code"])


def code_table(catalogue: Catalogue, target: TargetGroup, su: bool = True) -> pd.DataFrame:
    """One row per code the indicators read: flags tgt, act, vr, vo (of target codes) and su (the SU codes, only
    when an indicator needs them: they are many weeks of young people)."""
    tgt = set(target.resolve(catalogue))
    if not tgt:
        raise DesignError(f"target group '{target.name}': no code of the catalogue belongs to it")
    t = catalogue.table.set_index("code")
    act = {c for c in tgt if int(cast(int, t.loc[c, "activation"])) == 1}
    vr = tgt & set(measure_codes(catalogue, "virksomhedsrettet"))
    vo = tgt & set(measure_codes(catalogue, "vejledning_opkvalificering"))
    su_codes = (set(SU_CODES) - tgt) if su else set()
    codes = sorted(tgt | su_codes)
    return pd.DataFrame({"code": codes, "tgt": [int(c in tgt) for c in codes], "act": [int(c in act) for c in codes],
                         "vr": [int(c in vr) for c in codes], "vo": [int(c in vo) for c in codes],
                         "su": [int(c in su_codes) for c in codes]})


def period_of_month(mo: int, period: str) -> int:
    """Period ordinal of a month ordinal (mo = year x 12 + month - 1): year x 12/k + (month - 1) // k."""
    return int(mo) // PERIODS[period]


def period_label(p: int, period: str) -> str:
    k = PERIODS[period]
    year, i = divmod(int(p), 12 // k)
    if period == "month":
        return f"{year}-{i + 1:02d}"
    if period == "quarter":
        return f"{year}Q{i + 1}"
    if period == "half-year":
        return f"{year}H{i + 1}"
    return str(year)


def period_months(p: int, period: str) -> tuple[int, int]:
    """First and last month ordinal of a period."""
    k = PERIODS[period]
    return int(p) * k, int(p) * k + k - 1


def definitions_frame(names, language: str, target: TargetGroup, catalogue: Catalogue, *, lag: int,
                      su_weeks: int, event: str) -> pd.DataFrame:
    """The indicators asked for in words, with the codes they read (published next to the indicator table)."""
    i = 1 if language == "en" else 0
    codes = code_table(catalogue, target)
    pick = {"target_weeks": "tgt", "act_weeks": "act", "vr_weeks": "vr", "vo_weeks": "vo"}
    rows = []
    for name in names:
        d = INDICATORS[name]
        col = pick.get(d.num)
        used = codes.loc[codes[col] == 1, "code"] if col else codes.loc[codes["tgt"] == 1, "code"]
        if d.num == "ended_su":
            used = pd.Series(list(SU_CODES))
        rows.append({"indicator": name, "label": d.label[i], "kind": d.kind,
                     "numerator": d.numerator[i].replace("h måneder", f"{lag} måneder").replace("h months", f"{lag} months"),
                     "denominator": (d.denominator[i].replace("h måneder", f"{lag} måneder")
                                     .replace("h months", f"{lag} months") if d.denominator else ""),
                     "codes": " ".join(used), "event": event if d.needs_events else "",
                     "su_weeks": su_weeks if d.num == "ended_su" else None, "star": d.star[i]})
    return pd.DataFrame(rows)

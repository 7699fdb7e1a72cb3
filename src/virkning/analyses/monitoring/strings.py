"""Monitoring's own report wording in Danish and English (the shared words are in report/strings.py)."""

from __future__ import annotations

import re

MONITORING_UI: dict[str, tuple[str, str]] = {
    "mon_kind": ("Statusrapport", "Status report"),
    "mon_lead": ("Opgjort til og med {0}. Tal for færre end {1} personer vises ikke (–), og heller ikke tal, de kan "
                 "regnes ud af, i denne eller tidligere måneders rapporter.",
                 "Up to and including {0}. Numbers of fewer than {1} persons are not shown (–), nor numbers they could "
                 "be derived from in this or earlier months' reports."),
    "mon_source": ("Kilde: Jobcentrenes registreringer, registerdata og surveys.",
                   "Source: Job-centre registrations, register data and surveys."),
    "mon_source_synthetic": ("Kilde: Syntetiske registreringer, registerdata og surveys (ingen virkelige personer).",
                             "Source: Synthetic registrations, register data and surveys (no real persons)."),
    "mon_registration": ("Registreringer", "Registrations"),
    "mon_registration_text": ("Registreringsarket: {0} rækker læst, {1} gyldige, {2} regelbrud. Jobcentrene får en "
                              "liste over rækkerne, der skal rettes (ikke til offentliggørelse).",
                              "The registration sheet: {0} rows read, {1} valid, {2} broken rules. The job centres get "
                              "a list of the rows to correct (not for publication)."),
    "mon_rules_caption": ("Regelbrud i registreringsarket", "Broken rules in the registration sheet"),
    "mon_column": ("Kolonne", "Column"),
    "mon_rule": ("Regel", "Rule"),
    "mon_rows": ("Rækker", "Rows"),
    "mon_funnel": ("Fra indkaldelse til resultat", "From invitation to result"),
    "mon_cumulative": ("Alle til og med {0}: personer, der har nået hvert trin", "All up to {0}: persons who reached "
                       "each step"),
    "mon_cohort": ("{1} i {0}: hvor langt månedens nye borgere er nået ved månedens udgang",
                   "{1} in {0}: how far the month's new citizens have come by the end of the month"),
    "mon_in_month": ("Aktivitet i {0}: personer, der nåede hvert trin i løbet af måneden",
                     "Activity in {0}: persons who reached each step during the month"),
    "mon_funnel_read": ("Antal personer, der til og med måneden har nået hvert trin. Andel: i procent af alle, der har "
                        "nået trinnet '{0}' til og med måneden (de samme personer følges gennem trinene).",
                        "Number of persons who reached each step up to the end of the month. Share: per cent of all "
                        "who reached the step '{0}' up to the end of the month (the same persons followed through the "
                        "steps)."),
    "mon_cohort_read": ("Borgere med trinnet '{0}' i måneden, og hvor mange af dem der ved månedens udgang har nået "
                        "hvert senere trin. Andel: i procent af månedens nye borgere. Borgere fra sidst i måneden har "
                        "haft kort tid, så andelene stiger, når de følges i de næste måneder.",
                        "Citizens with the step '{0}' in the month, and how many of them have reached each later step "
                        "by the end of the month. Share: per cent of the month's new citizens. Those from late in the "
                        "month have had little time, so the shares rise as they are followed in the next months."),
    "mon_month_read": ("Antal personer, der nåede hvert trin i løbet af måneden. Det er ikke de samme personer på "
                       "hvert trin (en borger kan være indkaldt i én måned og deltage i den næste), så tabellen viser "
                       "ingen andele; andelene står i de to tabeller ovenfor.",
                       "Number of persons who reached each step during the month. They are not the same persons at "
                       "each step (a citizen may be invited in one month and attend in the next), so the table shows "
                       "no shares; the shares are in the two tables above."),
    "mon_unit": ("Projekt", "Project"),
    "mon_share_of_first": ("Andel", "Share"),
    "mon_criteria": ("Succeskriterier", "Success criteria"),
    "mon_value": ("Opnået", "Achieved"),
    "mon_numerator": ("Antal", "Number"),
    "mon_denominator": ("Ud af", "Out of"),
    "mon_target": ("Mål", "Target"),
    "mon_achievement": ("Målopfyldelse", "Achievement"),
    "mon_met": ("Nået", "Met"),
    "mon_criterion_caption": ("{0}: status til og med {1}", "{0}: status up to {1}"),
    "mon_criterion_share_read": ("Opnået: personer med trinnet '{0}' i procent af personer med trinnet '{1}', alle til "
                                 "og med {2} (kolonnerne Antal og Ud af). Målopfyldelse: den opnåede andel i procent af målet; "
                                 "den kan overstige 100 %, når målet er nået.",
                                 "Achieved: persons with the step '{0}' as a per cent of persons with the step '{1}', "
                                 "all up to {2} (the columns Number and Out of). Achievement: the share as a per cent of the "
                                 "target; it passes 100 % once the target is met."),
    "mon_criterion_count_read": ("Opnået: antal personer med trinnet '{0}' til og med {1}. Målopfyldelse: antallet i "
                                 "procent af målets nedre grænse (for I alt: målet gange antal projekter); den kan "
                                 "overstige 100 %, når målet er nået.",
                                 "Achieved: number of persons with the step '{0}' up to {1}. Achievement: the number "
                                 "as a per cent of the target's lower bound (for the total: the target times the "
                                 "number of projects); it passes 100 % once the target is met."),
    "mon_bars_caption": ("{0}: projekterne mod målet", "{0}: the projects against the target"),
    "mon_bars_note": ("Den stiplede linje er målet. Projekter uden søjle har for få personer til at blive vist.",
                      "The dashed line is the target. Projects without a bar have too few persons to be shown."),
    "mon_ranking": ("Rangering af projekter efter gennemsnitlig målopfyldelse", "Ranking of projects by mean achievement"),
    "mon_ranking_read": ("Gennemsnittet er taget over de succeskriterier, der kan vises for projektet.",
                         "The mean is taken over the success criteria that can be shown for the project."),
    "mon_rank": ("Placering", "Rank"),
    "mon_mean": ("Gns. målopfyldelse", "Mean achievement"),
    "mon_registers": ("Registerbaserede resultater", "Register-based results"),
    "mon_employment": ("Beskæftigelse {0} uger efter indeksdatoen", "Employment {0} weeks after the index date"),
    "mon_employment_read": ("Hvem tælles: alle borgere i registreringsarket, også dem, der ikke deltog i "
                            "informationsmødet, regnet fra deres indeksdato (kolonnen '{1}' i registreringsarket). "
                            "Hvornår: i kalendermåneden {0} uger "
                            "efter indeksdatoen. En borger er 'fulgt', når den måned er slut senest i rapportens måned "
                            "({2}) og ligger i beskæftigelsesregistret (til og med {3}). Derfor er der færre fulgte "
                            "end indkaldte: de senest indkaldte kan endnu ikke følges {0} uger frem. I beskæftigelse: "
                            "registreret med beskæftigelse i den måned. Andel: i procent af de fulgte.",
                            "Who is counted: every citizen in the registration sheet, also those who did not attend the "
                            "information meeting, from their index date (the column '{1}' of the registration sheet). When: in the calendar month {0} weeks "
                            "after the index date. A citizen is 'followed' once that month has ended by the report's "
                            "month ({2}) and lies in the employment register (up to {3}). Hence fewer are followed than "
                            "invited: the most recently invited cannot yet be followed {0} weeks on. Employed: registered "
                            "as employed in that month. Share: per cent of those followed."),
    "mon_followed": ("Fulgt {0} uger", "Followed {0} weeks"),
    "mon_employed": ("I beskæftigelse", "Employed"),
    "mon_share": ("Andel", "Share"),
    "mon_temp_industry": ("Måneder i vikarjob efter branche", "Temp-job months by industry"),
    "mon_temp_hours": ("Måneder i vikarjob efter timetal", "Temp-job months by hours"),
    "mon_level": ("Gruppe", "Group"),
    "mon_persons": ("Personer", "Persons"),
    "mon_months": ("Måneder", "Months"),
    "mon_share_of_months": ("Andel af måneder", "Share of months"),
    "mon_full_time": ("Fuld tid = 160 timer om måneden.", "Full time = 160 hours a month."),
    "mon_fidelity": ("Fidelitet (medarbejdersurvey)", "Fidelity (staff survey)"),
    "mon_fidelity_distribution": ("Fordeling af enhedernes score", "Distribution of the units' scores"),
    "mon_fidelity_read": ("Score på skalaen 1-5 pr. kerneelement; enheder med færre medarbejdersvar end "
                          "diskretionsgrænsen indgår ikke.",
                          "Scores on the 1-5 scale by core element; units with fewer staff answers than the disclosure "
                          "threshold are left out."),
    "mon_fidelity_size": ("Score efter kommunestørrelse", "Score by municipality size"),
    "mon_movers": ("Enheder, der er rykket fra under til over medianen", "Units moving from below to above the median"),
    "mon_moved_up": ("Rykket op", "Moved up"),
    "mon_regression": ("Sammenhæng mellem fidelitet og resultat", "Fidelity and outcome"),
    "mon_regression_note": ("Hvert punkt er en enhed; linjen er den lineære regression.",
                            "Each point is a unit; the line is the linear regression."),
    "mon_fidelity_axis": ("Fidelitetsscore (1-5)", "Fidelity score (1-5)"),
    "mon_outcome_axis": ("Andel", "Share"),
    "mon_wave": ("Måling", "Wave"),
    "mon_element": ("Kerneelement", "Core element"),
    "mon_units": ("Enheder", "Units"),
    "mon_min": ("Min", "Min"),
    "mon_q1": ("1. kvartil", "Q1"),
    "mon_median": ("Median", "Median"),
    "mon_q3": ("3. kvartil", "Q3"),
    "mon_max": ("Maks", "Max"),
    "mon_size": ("Indbyggere", "Inhabitants"),
    "mon_score": ("Score", "Score"),
    "mon_surveys": ("Borgersurveys", "Citizen surveys"),
    "mon_survey_caption": ("Andel enige eller helt enige", "Share agreeing or strongly agreeing"),
    "mon_response_caption": ("Svarprocent pr. projekt", "Response rate by project"),
    "mon_statement": ("Udsagn", "Statement"),
    "mon_n": ("Svar", "Answers"),
    "mon_agree": ("Enig/helt enig", "Agree/strongly agree"),
    "mon_respondents": ("Besvarelser", "Respondents"),
    "mon_population": ("{0} (alle måneder)", "{0} (all months)"),
    "mon_response_rate": ("Svarprocent", "Response rate"),
    "mon_response_read": ("Svarprocent: besvarelser i procent af alle i registreringsarket med trinnet '{0}', i alle "
                          "måneder (surveyen er ikke dateret, så den sammenlignes med alle, der kunne svare). Har et "
                          "projekt flere besvarelser end registrerede, vises ingen svarprocent.",
                          "Response rate: answers as a per cent of everyone in the registration sheet with the step "
                          "'{0}', in all months (the survey is undated, so it is set against everyone who could "
                          "answer). Where a project has more answers than registered citizens, no rate is shown."),
    "mon_overall": ("Samlet (gennemsnit af kerneelementerne)", "Overall (mean of the core elements)"),
    "mon_about": ("Om opgørelsen", "About the figures"),
    "mon_sources": ("Rapporten bygger på {0}. Udarbejdet med virkning {1} den {2}.",
                    "The report is based on {0}. Produced with virkning {1} on {2}."),
    "mon_src_sheet": ("jobcentrenes registreringsark ({0}; registreringer fra {1} til og med {2})",
                      "the job centres' registration sheet ({0}; registrations from {1} up to {2})"),
    "mon_src_employment": ("beskæftigelsesregistret (månedlig beskæftigelse til og med {0})",
                           "the employment register (monthly employment up to {0})"),
    "mon_src_survey": ("borgersurveyen ({0})", "the citizen survey ({0})"),
    "mon_src_staff": ("medarbejdersurveyen om fidelitet ({0})", "the staff survey on fidelity ({0})"),
    "mon_synthetic_note": ("Alle data er syntetiske: de er dannet af virkning til demonstration og beskriver ingen "
                           "virkelige personer, projekter eller jobcentre.",
                           "All data are synthetic: made by virkning for demonstration, they describe no real persons, "
                           "projects or job centres."),
    "mon_source_sheet": ("Kilde: Jobcentrenes registreringsark.", "Source: The job centres' registration sheet."),
    "mon_source_registers": ("Kilde: Beskæftigelsesregistret koblet med registreringsarket.",
                             "Source: The employment register linked with the registration sheet."),
    "mon_source_staff": ("Kilde: Medarbejdersurvey.", "Source: Staff survey."),
    "mon_source_citizens": ("Kilde: Borgersurvey og registreringsarket.",
                            "Source: Citizen survey and the registration sheet."),
    "mon_source_synthetic_suffix": (" Syntetiske data.", " Synthetic data."),
    "mon_person_column": ("Borger-id", "Citizen id"),
}


# The registration checks and the fidelity scores speak English (their messages go to the analyst's terminal and to
# the job centres' list of rows to correct); a Danish report shows them in Danish. Each pattern is one message of
# registration.py or fidelity.py; quoted column names are given to `column` to turn into their labels.
_DANISH: list[tuple[str, str]] = [
    (r"not a date \(expected YYYY-MM-DD or DD-MM-YYYY\)", "ikke en dato (skrives ÅÅÅÅ-MM-DD eller DD-MM-ÅÅÅÅ)"),
    (r"implausible date \(outside (\d+) to (\d+); a typo in the year\?\)",
     r"usandsynlig dato (uden for \1-\2; tastefejl i årstallet?)"),
    (r"not yes/no \(allowed: (.*)\)", r"ikke ja/nej (tilladt: \1)"),
    (r"not a whole number", "ikke et helt tal"),
    (r"not an allowed value \(allowed: (.*)\)", r"ikke en tilladt værdi (tilladt: \1)"),
    (r"not an allowed event \(allowed: (.*)\)", r"ikke en tilladt hændelse (tilladt: \1)"),
    (r"column missing from the header row", "kolonnen mangler i overskriftsrækken"),
    (r"required value is empty", "skal udfyldes, men er tom"),
    (r"required when '(.*)' is filled/yes", r"skal udfyldes, når '\1' er udfyldt eller ja"),
    (r"must be on or after '(.*)'", r"skal ligge samme dag som eller efter '\1'"),
    (r"must be after '(.*)'", r"skal ligge efter '\1'"),
    (r"must be within (\S+) weeks after '(.*)'", r"skal ligge højst \1 uger efter '\2'"),
    (r"citizen registered twice in the same project", "borgeren er registreret to gange i samme projekt"),
    (r"citizen has no '(.*)' event in this project", r"borgeren har ingen hændelse '\1' i dette projekt"),
    (r"(\d+) unit-wave\(s\) with fewer than (\d+) staff respondents are left out",
     r"\1 enheder (pr. måling) med færre end \2 medarbejdersvar er udeladt"),
    (r"the fidelity regression needs at least (\d+) units with different scores \(got (\d+)\)",
     r"sammenhængen mellem fidelitet og resultat kræver mindst \1 enheder med forskellig score (der er \2)"),
    (r"items not in the item map were ignored: (.*)", r"spørgsmål uden for spørgsmålslisten er udeladt: \1"),
]


def general_rule(rule: str) -> str:
    """A broken rule without the row's own details (a date, the row of the first registration): the published
    summary counts rows per rule, and a row's details are for the job centres' list, not for a published table."""
    return re.sub(r" \((?:\d{4}-\d{2}-\d{2}|first in row \d+)\)$", "", str(rule))


def message(text: str, language: str, column=None) -> str:
    """A registration rule or fidelity note in the report's language; `column(name)` gives a quoted column's label."""
    if language != "da":
        return text
    for pattern, danish in _DANISH:
        m = re.fullmatch(pattern, text)
        if m:
            out = m.expand(danish)
            if column is not None:
                out = re.sub(r"'([^']+)'", lambda q: f"'{column(q.group(1))}'", out)
            return out
    return text


def humanize(name: str) -> str:
    """A readable heading for a design key without a label: 'alternativ_indsats' -> 'Alternativ indsats'."""
    text = str(name).replace("_", " ").strip()
    return text[:1].upper() + text[1:]

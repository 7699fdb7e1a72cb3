"""Words of the workbook (`spreadsheets.py`) in Danish and English: column headers of the published CSVs, table
titles and the first sheet's text.

Headers reuse the report's words (`report/strings.py`, `report/labels.py`) where they name the same thing; a column
this table does not know keeps its CSV name, so a new table still gets a workbook (the first sheet lists every
header next to its CSV column).
"""

from __future__ import annotations

# CSV column -> (Danish, English). Units in brackets where the number is not self-explaining.
COLUMNS: dict[str, tuple[str, str]] = {
    # keys and labels
    "outcome": ("Udfald", "Outcome"),
    "month": ("Måned", "Month"),
    "step": ("Trin", "Step"),
    "order": ("Rækkefølge", "Order"),
    "unit": ("Projekt / enhed", "Project / unit"),
    "period": ("Periode", "Period"),
    "term": ("Term", "Term"),
    "variable": ("Variabel", "Variable"),
    "level": ("Gruppe", "Group"),
    "type": ("Type", "Type"),
    "subgroup": ("Undergruppe", "Subgroup"),
    "variant": ("Analyse", "Analysis"),
    "sample": ("Stikprøve", "Sample"),
    "Control": ("Kontrol", "Control"),
    "Treated": ("Deltagere", "Participants"),
    "method": ("Metode", "Method"),
    "test": ("Test", "Test"),
    "kind": ("Art", "Kind"),
    "criterion": ("Succeskriterium", "Success criterion"),
    "label": ("Betegnelse", "Label"),
    "item": ("Spørgsmål", "Item"),
    "survey": ("Undersøgelse", "Survey"),
    "wave": ("Runde", "Wave"),
    "element": ("Element", "Element"),
    "category": ("Kategori", "Category"),
    "group": ("Gruppe", "Group"),
    "state": ("Tilstand", "State"),
    "week": ("Uge", "Week"),
    "year": ("År", "Year"),
    "municipality": ("Kommune", "Municipality"),
    "statement": ("Udsagn", "Statement"),
    "rule": ("Regel", "Rule"),
    # counts
    "participants": ("Deltagere (personer)", "Participants (persons)"),
    "pool_persons": ("Puljen (personer)", "Pool (persons)"),
    "pool_pairs": ("Puljen (person-uger)", "Pool (person-weeks)"),
    "persons": ("Personer", "Persons"),
    "n_treated": ("Deltagere (antal)", "Participants (number)"),
    "n_control": ("Kontrol (antal)", "Controls (number)"),
    "n_control_persons": ("Kontrol (forskellige personer)", "Controls (distinct persons)"),
    "at_risk_treated": ("I risiko, deltagere", "At risk, participants"),
    "at_risk_control": ("I risiko, kontrol", "At risk, controls"),
    "shared_persons": ("Personer i flere matchede sæt", "Persons in several matched sets"),
    "n": ("Antal", "Number"),
    "n_units": ("Enheder (antal)", "Units (number)"),
    "units": ("Enheder", "Units"),
    "employed": ("I beskæftigelse (personer)", "Employed (persons)"),
    "numerator": ("Tæller", "Numerator"),
    "denominator": ("Nævner", "Denominator"),
    "months": ("Måneder", "Months"),
    "weeks": ("Uger", "Weeks"),
    "rows": ("Rækker", "Rows"),
    "respondents": ("Besvarelser", "Respondents"),
    "population": ("Population", "Population"),
    "agree": ("Enige", "Agree"),
    "count": ("Antal", "Number"),
    # effects
    "att": ("Effekt (forskel)", "Effect (difference)"),
    "se": ("Std.fejl", "Std. error"),
    "ci_low": ("95 %-KI, nedre", "95% CI, lower"),
    "ci_high": ("95 %-KI, øvre", "95% CI, upper"),
    "att_unadjusted": ("Effekt uden justering", "Effect, unadjusted"),
    "treated_mean": ("Deltagere (andel/gns.)", "Participants (share/mean)"),
    "control_mean": ("Kontrol (andel/gns.)", "Controls (share/mean)"),
    "risk_ratio": ("Risikoforhold", "Risk ratio"),
    "rr_ci_low": ("Risikoforhold, 95 %-KI nedre", "Risk ratio, 95% CI lower"),
    "rr_ci_high": ("Risikoforhold, 95 %-KI øvre", "Risk ratio, 95% CI upper"),
    "relative_change": ("Relativ ændring", "Relative change"),
    "rc_ci_low": ("Relativ ændring, 95 %-KI nedre", "Relative change, 95% CI lower"),
    "rc_ci_high": ("Relativ ændring, 95 %-KI øvre", "Relative change, 95% CI upper"),
    "estimate": ("Estimat", "Estimate"),
    "p_value": ("p-værdi", "p-value"),
    "chi2": ("Chi²", "Chi-squared"),
    "df": ("Frihedsgrader", "Degrees of freedom"),
    # balance and population
    "smd": ("SMD", "SMD"),
    "mean_participants": ("Deltagere (andel/gns.)", "Participants (share/mean)"),
    "mean_eligible_pool": ("Berettiget population (andel/gns.)", "Eligible population (share/mean)"),
    "mean_treated_before": ("Deltagere før matching", "Participants before matching"),
    "mean_control_before": ("Puljen før matching", "Pool before matching"),
    "smd_before": ("SMD før matching", "SMD before matching"),
    "var_ratio_before": ("Variansforhold før matching", "Variance ratio before matching"),
    "ecdf_mean_before": ("eCDF, gns. forskel før matching", "eCDF mean difference before matching"),
    "ecdf_max_before": ("eCDF, største forskel før matching", "eCDF max difference before matching"),
    "mean_treated_after": ("Deltagere efter matching", "Participants after matching"),
    "mean_control_after": ("Kontrol efter matching", "Controls after matching"),
    "smd_after": ("SMD efter matching", "SMD after matching"),
    "var_ratio_after": ("Variansforhold efter matching", "Variance ratio after matching"),
    "ecdf_mean_after": ("eCDF, gns. forskel efter matching", "eCDF mean difference after matching"),
    "ecdf_max_after": ("eCDF, største forskel efter matching", "eCDF max difference after matching"),
    "imbalanced": ("|SMD| over grænsen", "|SMD| above threshold"),
    "vr_imbalanced": ("Variansforhold uden for grænsen", "Variance ratio outside bounds"),
    "ks_imbalanced": ("eCDF over grænsen", "eCDF above threshold"),
    # sensitivity
    "gamma": ("Gamma", "Gamma"),
    "gamma_critical": ("Kritisk Gamma", "Critical Gamma"),
    "alpha": ("Signifikansniveau", "Significance level"),
    "p_upper": ("p-værdi, øvre grænse", "p-value, upper bound"),
    "p_lower": ("p-værdi, nedre grænse", "p-value, lower bound"),
    "evalue": ("E-værdi", "E-value"),
    "evalue_ci": ("E-værdi for KI", "E-value of the CI"),
    "strongest_covariate": ("Stærkeste kovariat", "Strongest covariate"),
    "strongest_contrast": ("Stærkeste kontrast", "Strongest contrast"),
    "strongest_odds_ratio": ("Stærkeste oddsratio", "Strongest odds ratio"),
    "exceeds_strongest": ("Over stærkeste kovariat", "Exceeds strongest covariate"),
    "delta_at_strongest": ("Forskel ved stærkeste kovariat", "Difference at strongest covariate"),
    # monitoring
    "share_of_previous": ("Andel af forrige trin", "Share of previous step"),
    "share_of_first": ("Andel af første trin", "Share of first step"),
    "share_employed": ("Andel i beskæftigelse", "Share employed"),
    "share_agree": ("Andel enige", "Share agreeing"),
    "response_rate": ("Svarprocent (andel)", "Response rate (share)"),
    "value": ("Værdi", "Value"),
    "target_min": ("Mål, mindst", "Target, minimum"),
    "target_max": ("Mål, højst", "Target, maximum"),
    "achievement": ("Målopfyldelse (andel)", "Achievement (share)"),
    "mean_achievement": ("Gns. målopfyldelse", "Mean achievement"),
    "met": ("Opfyldt", "Met"),
    "score": ("Score", "Score"),
    "mean": ("Gennemsnit", "Mean"),
    "median": ("Median", "Median"),
    "slope": ("Hældning", "Slope"),
    "se_slope": ("Std.fejl, hældning", "Std. error, slope"),
    "intercept": ("Skæring", "Intercept"),
    "rank": ("Placering", "Rank"),
    "since_last_month": ("Siden sidste måned", "Since last month"),
    "weeks_after": ("Uger efter", "Weeks after"),
    "hours": ("Timer", "Hours"),
    "industry": ("Branche", "Industry"),
}

# CSV stem -> table title
TABLES: dict[str, tuple[str, str]] = {
    "flow": ("Populationens afgrænsning", "Population flow"),
    "participants_by_unit": ("Deltagere pr. projekt", "Participants by project"),
    "population_comparison": ("Deltagere og hele den berettigede population",
                              "Participants and the whole eligible population"),
    "balance": ("Balance før og efter matching", "Balance before and after matching"),
    "sample_sizes": ("Stikprøvestørrelser", "Sample sizes"),
    "effects": ("Effekter pr. måned", "Effects by month"),
    "adjusted": ("Effekter justeret for kovariater", "Covariate-adjusted effects"),
    "subgroups": ("Effekter i undergrupper", "Effects in subgroups"),
    "heterogeneity": ("Test for ens effekt i undergrupper", "Test of equal effects across subgroups"),
    "robustness": ("Robusthed", "Robustness"),
    "sensitivity": ("Følsomhed for skjult selektion", "Sensitivity to hidden bias"),
    "sensitivity_gamma": ("Rosenbaum-grænser pr. Gamma", "Rosenbaum bounds by Gamma"),
    "funnel": ("Tragt: personer pr. trin", "Funnel: persons by step"),
    "criteria": ("Succeskriterier", "Success criteria"),
}

TEXT: dict[str, tuple[str, str]] = {
    "design": ("Design", "Design"),
    "date": ("Dato", "Date"),
    "version": ("Version", "Version"),
    "threshold": ("Diskretioneringsgrænse", "Disclosure threshold"),
    "withheld": ("Tomme celler", "Empty cells"),
    "withheld_text": ("Tomme celler er ikke vist, fordi de bygger på eller afslører færre end {0} personer, eller "
                      "fordi tallet ikke findes for rækken. Det samme gælder de tomme felter i CSV-filerne.",
                      "Empty cells are withheld because they rest on or reveal fewer than {0} persons, or the "
                      "number does not exist for the row. The same holds for the empty fields of the CSV files."),
    "numbers": ("Tal", "Numbers"),
    "numbers_text": ("Tallene er CSV-filernes med Excels præcision (15 betydende cifre); de vises afrundet. Andele "
                     "er brøker (0,25 = 25 %). Tekstfelter (udfald, trin, grupper) står med CSV-filernes koder.",
                     "The numbers are those of the CSV files at Excel's precision (15 significant digits), shown "
                     "rounded. Shares are fractions (0.25 = 25%). Text fields (outcomes, steps, groups) keep the CSV "
                     "files' codes."),
    "headers": ("Kolonner", "Columns"),
    "headers_text": ("Overskrifterne er oversat; CSV-kolonnernes navne står i listen nederst.",
                     "Headers are translated; the CSV column names are listed at the bottom."),
    "synthetic": ("Syntetiske data", "Synthetic data"),
    "synthetic_text": ("Tabellerne bygger på syntetiske data. Tallene beskriver ikke virkelige personer.",
                       "The tables are based on synthetic data. The numbers do not describe real persons."),
    "sheet": ("Ark", "Sheet"),
    "file": ("Fil", "File"),
    "table": ("Tabel", "Table"),
    "rows": ("Rækker", "Rows"),
    "columns": ("Kolonner i arkene", "Columns of the sheets"),
    "header": ("Overskrift", "Header"),
    "csv_column": ("CSV-kolonne", "CSV column"),
    "evaluation": ("Tabeller fra effektevalueringen", "Tables of the effect evaluation"),
    "monitoring": ("Tabeller fra monitoreringen", "Tables of the monitoring"),
}


def header(column: str, lang: str) -> str:
    """The sheet header of a CSV column: this table, else the report's name of a covariate, else the column."""
    pair = COLUMNS.get(column)
    if pair:
        return pair[lang == "en"]
    from virkning.report.labels import VARIABLES, variable

    return variable(column, lang) if column in VARIABLES else column


def table_title(path: str, lang: str) -> str:
    """A table's title for the list of sheets: by its file's stem; the stem itself when unknown."""
    stem = path.rpartition("/")[2].removesuffix(".csv")
    pair = TABLES.get(stem)
    return pair[lang == "en"] if pair else stem

"""The report's fixed wording in Danish and English: headings, column names, captions, notes, reading guides.

`ui(language)` returns a flat dict; templates and table builders look words up by key, so a wording change is made
in one place for both languages.
"""

from __future__ import annotations

_UI: dict[str, tuple[str, str]] = {
    # document
    "report_kind": ("Effektevaluering", "Effect evaluation"),
    "contents": ("Indhold", "Contents"),
    "synthetic_banner": ("Rapporten bygger på syntetiske data. Tallene beskriver ikke virkelige personer.",
                         "This report is based on synthetic data. The numbers do not describe real persons."),
    # sections
    "s_summary": ("Sammenfatning", "Summary"),
    "s_flow": ("Population og afgrænsning", "Population and selection"),
    "s_population": ("Deltagere sammenlignet med hele den berettigede population",
                     "Participants compared with the whole eligible population"),
    "s_balance": ("Balance før og efter matching", "Balance before and after matching"),
    "s_curves": ("Effekter måned for måned", "Effects month by month"),
    "s_effects_table": ("Tabel over effekter pr. måned", "Table of effects by month"),
    "s_subgroups": ("Effekter i undergrupper", "Effects in subgroups"),
    "s_robustness": ("Robusthed", "Robustness"),
    "s_method": ("Metodebilag", "Method appendix"),
    # groups
    "participants": ("Deltagere", "Participants"),
    "controls": ("Kontrolgruppe", "Control group"),
    "pool": ("Puljen", "Pool"),
    "pool_long": ("Mulige kontrolpersoner (puljen)", "Potential controls (the pool)"),
    "eligible_pool": ("Hele den berettigede population", "Whole eligible population"),
    "persons": ("personer", "persons"),
    "person_weeks": ("person-uger", "person-weeks"),
    # generic columns
    "variable": ("Variabel", "Variable"),
    "step": ("Trin", "Step"),
    "month": ("Måned", "Month"),
    "difference": ("Forskel", "Difference"),
    "ci95": ("95 %-konfidensinterval", "95% confidence interval"),
    "ci95_short": ("95 %-KI", "95% CI"),
    "se": ("Std.fejl", "Std. error"),
    "significant": ("Signifikant", "Significant"),
    "yes": ("Ja", "Yes"),
    "no": ("Nej", "No"),
    "count_row": ("Antal", "Number"),
    "smd": ("SMD", "SMD"),
    "before_matching": ("Før matching", "Before matching"),
    "after_matching": ("Efter matching", "After matching"),
    "after_flagged": ("Efter matching, |SMD| > grænsen", "After matching, |SMD| > threshold"),
    "threshold_line": ("Grænse ({0})", "Threshold ({0})"),
    "flag_col": ("|SMD| > {0}", "|SMD| > {0}"),
    "flagged": ("Over grænsen", "Above"),
    "n_participants": ("Deltagere (antal)", "Participants (number)"),
    "n_controls": ("Kontrol (antal)", "Controls (number)"),
    "controls_short": ("Kontrol", "Controls"),
    "at_risk": ("I risiko (personer)", "At risk (persons)"),
    "at_risk_participants": ("I risiko, deltagere", "At risk, participants"),
    "at_risk_controls": ("I risiko, kontrol", "At risk, controls"),
    "outcome": ("Udfald", "Outcome"),
    "variant": ("Analyse", "Analysis"),
    "main_variant": ("Hovedanalyse", "Main analysis"),
    "subgroup": ("Undergruppe", "Subgroup"),
    "level": ("Gruppe", "Group"),
    "unit": ("Projekt / enhed", "Project / unit"),
    "mean_years": ("gennemsnit", "mean"),
    "many_levels": ("{0} niveauer; største |SMD|", "{0} levels; largest |SMD|"),
    "p_equal": ("Test for ens effekt: p = {0}", "Test of equal effects: p = {0}"),
    "p_short": ("p = {0}", "p = {0}"),
    # figures
    "figure": ("Figur", "Figure"),
    "table": ("Tabel", "Table"),
    "share_axis": ("Andel af gruppen (%)", "Share of the group (%)"),
    "weeks_axis": ("Uger (gennemsnit)", "Weeks (mean)"),
    "diff_axis": ("Forskel (procentpoint)", "Difference (percentage points)"),
    "diff_weeks_axis": ("Forskel (uger)", "Difference (weeks)"),
    "months_after": ("Måneder efter første {0}", "Months after the first {0}"),
    "love_xlabel": ("|Standardiseret forskel i gennemsnit| (SMD)", "|Standardised mean difference| (SMD)"),
    "source": ("Kilde: Egne beregninger på registerdata.", "Source: Own calculations on register data."),
    "source_synthetic": ("Kilde: Egne beregninger på syntetiske registerdata (ingen virkelige personer).",
                         "Source: Own calculations on synthetic register data (no real persons)."),
    "suppressed_note": ("– Ikke vist: færre end {0} personer.", "– Not shown: fewer than {0} persons."),
    "suppressed_points": ("Punkter, der bygger på færre end {0} personer, er ikke tegnet.",
                          "Points resting on fewer than {0} persons are not drawn."),
    "how_to_read": ("Sådan læses", "How to read"),
    "significance_note": ("Signifikant: 95 %-konfidensintervallet indeholder ikke 0 (signifikant på 5 %-niveauet).",
                          "Significant: the 95% confidence interval excludes 0 (significant at the 5% level)."),
    "matched_note": ("Opgørelsen bygger på den endelige deltager- og kontrolgruppe efter matching.",
                     "Based on the final participant and control groups after matching."),
    "unit_pct_pp": ("Andele i procent; forskelle i procentpoint.", "Shares in per cent; differences in percentage points."),
    "unit_weeks": ("Gennemsnitligt antal uger; forskelle i uger.", "Mean number of weeks; differences in weeks."),
    "mixed_units": ("Andele i procent og forskelle i procentpoint; for udfald målt i uger er begge i uger.",
                    "Shares in per cent and differences in percentage points; for outcomes in weeks both are in weeks."),
}

_UI_LONG: dict[str, tuple[str, str]] = {
    "flow_intro": (
        "Figuren viser, hvordan deltagere og mulige kontrolpersoner er afgrænset trin for trin. Tallene er dem, der "
        "er tilbage efter hvert trin. En person kan være mulig kontrolperson i flere uger, derfor tælles puljen både "
        "i personer og i person-uger.",
        "The figure shows how participants and potential controls were selected step by step. The numbers are those "
        "left after each step. A person can be a potential control in several weeks, so the pool is counted both in "
        "persons and in person-weeks."),
    "flow_caption": ("Populationens afgrænsning (flowdiagram)", "Population flow"),
    "flow_table_caption": ("Antal tilbage efter hvert trin", "Numbers left after each step"),
    "flow_read": (
        "Hver række er en regel; tallet er antallet, der opfylder reglen og alle regler ovenfor. Tomme felter: "
        "reglen gælder ikke for gruppen.",
        "Each row is a rule; the number is how many meet it and all rules above it. Empty cells: the rule does not "
        "apply to the group."),
    "units_caption": ("Deltagere pr. projekt (registrerede)", "Participants by project (registered)"),
    "population_intro": (
        "Tabellen sammenligner deltagerne med alle, der opfylder de samme betingelser og kunne være valgt som "
        "kontrolpersoner (før matching). Den viser, om deltagerne ligner målgruppen som helhed.",
        "The table compares the participants with everyone who meets the same conditions and could have been "
        "chosen as a control (before matching). It shows whether participants resemble the target group as a "
        "whole."),
    "population_caption": ("Deltagere og hele den berettigede population", "Participants and the whole eligible population"),
    "population_read": (
        "Gennemsnit for alder og antal uger/måneder, ellers andele i procent. SMD er forskellen i gennemsnit målt i "
        "standardafvigelser; en SMD over 0,1 (numerisk) regnes som en mærkbar forskel. Puljen tælles i person-uger.",
        "Means for age and numbers of weeks/months, otherwise shares in per cent. SMD is the difference in means in "
        "standard deviations; an SMD above 0.1 (in absolute value) is a noticeable difference. The pool is counted "
        "in person-weeks."),
    "balance_intro": (
        "Matching skal gøre kontrolgruppen lig deltagerne på alle kovariater. Tabellen viser gennemsnit og andele "
        "før matching (deltagere mod hele puljen) og efter matching (deltagere mod kontrolgruppen).",
        "Matching should make the control group resemble the participants on every covariate. The table shows "
        "means and shares before matching (participants against the whole pool) and after matching (participants "
        "against the control group)."),
    "balance_caption": ("Deltagere og kontrolgruppe før og efter matching", "Participants and controls before and after matching"),
    "balance_read": (
        "SMD: standardiseret forskel i gennemsnit (deltagere minus sammenligningsgruppe, i standardafvigelser). "
        "Rækker markeret »Over grænsen« har |SMD| over {0} efter matching.",
        "SMD: standardised mean difference (participants minus comparison group, in standard deviations). Rows "
        "marked 'Above' have |SMD| above {0} after matching."),
    "balance_detail": ("Alle niveauer af variable med mange niveauer", "All levels of variables with many levels"),
    "sizes_caption": ("Stikprøvestørrelser", "Sample sizes"),
    "sizes_read": (
        "ESS: effektiv stikprøvestørrelse, antallet af uvægtede personer, der giver samme præcision som de vægtede. "
        "Puljen tælles i person-uger.",
        "ESS: effective sample size, the number of unweighted persons giving the same precision as the weighted "
        "ones. The pool is counted in person-weeks."),
    "love_caption": ("Love plot: standardiserede forskelle før og efter matching",
                     "Love plot: standardised differences before and after matching"),
    "love_note": (
        "Hver række er en kovariat (for kategoriske variable: hvert niveau). Åbne cirkler: før matching; fyldte: "
        "efter. Variable med mange niveauer vises med det største |SMD|.",
        "Each row is a covariate (for categorical variables: each level). Open circles: before matching; filled: "
        "after. Variables with many levels show their largest |SMD|."),
    "curves_intro": (
        "For hvert udfald viser den øverste del andelen i hver gruppe måned for måned efter første {0}, den midterste "
        "forskellen mellem grupperne med 95 %-konfidensinterval, og rækkerne nederst hvor mange der stadig var i "
        "risiko (endnu ikke afgået og stadig fulgt) ved månedens start.",
        "For each outcome the top panel shows the share in each group month by month after the first {0}, the "
        "middle panel the difference between the groups with its 95% confidence interval, and the rows at the "
        "bottom how many were still at risk (not yet exited and still followed) at the start of the month."),
    "curve_caption": ("{0}: deltagere og kontrolgruppe måned for måned efter første {1}",
                      "{0}: participants and controls month by month after the first {1}"),
    "curve_note": (
        "Det blå bånd er 95 %-konfidensintervallet for forskellen; rammer båndet ikke 0, er forskellen signifikant "
        "på 5 %-niveauet.",
        "The blue band is the 95% confidence interval of the difference; where the band does not include 0, the "
        "difference is significant at the 5% level."),
    "effects_read": (
        "Forskel: deltagere minus kontrolgruppe. Intervallet er 95 %-konfidensintervallet. I risiko: personer, der "
        "endnu ikke var afgået og stadig blev fulgt ved månedens start.",
        "Difference: participants minus controls. The interval is the 95% confidence interval. At risk: persons "
        "not yet exited and still followed at the start of the month."),
    "subgroups_intro": (
        "Effekten ved opfølgningsperiodens slutning opdelt på undergrupper. En matchet kontrolperson hører til sin "
        "deltagers gruppe. Testen for ens effekt (chi-i-anden) spørger, om effekten er den samme i alle grupper.",
        "The effect at the end of follow-up by subgroup. A matched control belongs to its participant's group. The "
        "test of equal effects (chi-square) asks whether the effect is the same in all groups."),
    "forest_caption": ("Effekter i undergrupper (forest plot)", "Effects in subgroups (forest plot)"),
    "forest_note": (
        "Firkant: forskel mellem deltagere og kontrolgruppe; vandret streg: 95 %-konfidensinterval. Lodret stiplet "
        "linje: effekten for alle. p-værdien ved hver undergruppe tester, om effekten er ens i dens grupper.",
        "Square: difference between participants and controls; horizontal line: 95% confidence interval. Dashed "
        "vertical line: the effect for everyone. The p-value by each subgroup tests whether the effect is equal "
        "across its groups."),
    "subgroups_caption": ("Effekter i undergrupper ved opfølgningens slutning", "Effects in subgroups at the end of follow-up"),
    "subgroups_read": (
        "Hver celle viser forskellen (deltagere minus kontrol) og 95 %-konfidensintervallet. Små grupper giver brede "
        "intervaller; se efter testen for ens effekt frem for enkelte signifikante grupper.",
        "Each cell shows the difference (participants minus controls) and its 95% confidence interval. Small "
        "groups give wide intervals; look at the test of equal effects rather than single significant groups."),
    "subgroups_n_note": (
        "Antallet af personer gælder {0}; for andre udfald kan det være mindre, hvis ikke alle kan følges hele "
        "perioden.",
        "The numbers of persons refer to {0}; for other outcomes they can be smaller if not everyone is followed "
        "for the whole period."),
    "robustness_intro": (
        "Samme evaluering med andre valg (fx en anden afgrænsning eller andre kovariater). Ligner resultaterne "
        "hovedanalysen, afhænger konklusionen ikke af det pågældende valg.",
        "The same evaluation under other choices (e.g. another selection or other covariates). Where the results "
        "resemble the main analysis, the conclusion does not depend on that choice."),
    "robustness_caption": ("Hovedanalyse og følsomhedsanalyser", "Main and sensitivity analyses"),
    "robustness_read": (
        "Hver række er et udfald ved opfølgningens slutning under én analyse. Sammenlign forskel og interval med "
        "hovedanalysen.",
        "Each row is an outcome at the end of follow-up under one analysis. Compare difference and interval with "
        "the main analysis."),
    "no_robustness": ("Der er ikke kørt følsomhedsanalyser.", "No sensitivity analyses were run."),
    "no_subgroups": ("Der er ikke opgjort undergrupper.", "No subgroups were analysed."),
}


def ui(language: str) -> dict[str, str]:
    """All fixed wording in `language` ("da" or "en")."""
    i = 1 if language == "en" else 0
    return {k: v[i] for k, v in {**_UI, **_UI_LONG}.items()}

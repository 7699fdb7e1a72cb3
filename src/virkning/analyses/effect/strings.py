"""The effect evaluation's own report wording in Danish and English (the shared words are in report/strings.py)."""

from __future__ import annotations

EFFECT_UI: dict[str, tuple[str, str]] = {
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
        "Effektiv stikprøvestørrelse: antallet af uvægtede personer, der giver samme præcision som de vægtede. "
        "Puljen tælles i person-uger.",
        "ESS: effective sample size, the number of unweighted persons giving the same precision as the weighted "
        "ones. The pool is counted in person-weeks."),
    "love_caption": ("Standardiserede forskelle før og efter matching (Love-plot)",
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
    "forest_caption": ("Effekter i undergrupper (forest-plot)", "Effects in subgroups (forest plot)"),
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



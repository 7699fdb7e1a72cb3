"""The trajectories analysis's words in Danish and English (added to the shared report words by `ui`)."""

from __future__ import annotations

TRAJ_UI: dict[str, tuple[str, str]] = {
    "traj_kind": ("Forløb uden matching", "Trajectories without matching"),
    "s_traj_groups": ("Grupper og visitation", "Groups and visitation"),
    "s_traj_curves": ("Forløb måned for måned efter indeksdatoen", "Trajectories month by month after the index date"),
    "s_traj_units": ("Kommunerne sammenlignet", "The municipalities compared"),
    "s_traj_seniority": ("Visitation efter anciennitet", "Visitation by seniority"),
    "s_traj_lpm": ("Hvad hænger sammen med udfaldene? Lineære sandsynlighedsmodeller",
                   "What goes with the outcomes? Linear probability models"),
    "s_traj_method": ("Metode: forløb uden matching", "Method: trajectories without matching"),
    "traj_groups_intro": (
        "Hver borger tælles i én gruppe. Visitationsdata har ofte flere registreringer pr. borger; reglen nedenfor "
        "vælger én, og tabellen viser, hvor mange registreringer og borgere der er tilbage efter hvert trin.",
        "Each citizen counts in one group. Visitation data often hold several records per citizen; the rule below "
        "chooses one, and the table shows how many records and citizens remain after each step."),
    "traj_rule": ("Reglen: {0}", "The rule: {0}"),
    "rule_drop": ("udelad registreringer, der slutter før de starter", "drop records that end before they start"),
    "rule_keep": ("behold grupperne {0}", "keep the groups {0}"),
    "rule_closest": ("foretræk startdatoen tættest på {0}", "prefer the start date closest to {0}"),
    "rule_latest": ("derefter længst tid til slutdatoen (en tom slutdato er åben)",
                    "then the longest time to the end date (an empty end date is open)"),
    "rule_order": ("derefter gruppernes rækkefølge {0}", "then the group order {0}"),
    "flow_caption": ("Registreringer og borgere efter hvert trin", "Records and citizens after each step"),
    "groups_caption": ("Grupperne", "The groups"),
    "records": ("Registreringer", "Records"),
    "citizens": ("Borgere", "Citizens"),
    "group": ("Gruppe", "Group"),
    "observed_h": ("Fulgt i alle {0} måneder", "Followed all {0} months"),
    "index_period": ("Indeksmåneder", "Index months"),
    "curves_intro_ever": (
        "Figurerne viser andelen af hver gruppe, der har opnået udfaldet senest i måned m efter indeksmåneden "
        "(visitationen; for sammenligningsgruppen dannelsesdatoen), med 95 %-konfidensinterval. Grupperne er "
        "ikke visiteret ens og er derfor ikke fuldt sammenlignelige: forskellene kan ikke tolkes som effekter.",
        "The figures show the share of each group that had reached the outcome by month m after the index month "
        "(the visitation; for the comparison group the formation date), with 95% confidence intervals. The groups "
        "were not visited alike and are not fully comparable: the differences cannot be read as effects."),
    "curves_intro_in_month": (
        "Figurerne viser andelen af hver gruppe i udfaldet i måned m efter indeksmåneden, med 95 %-"
        "konfidensinterval. Forskellene mellem grupperne kan ikke tolkes som effekter.",
        "The figures show the share of each group in the outcome in month m after the index month, with 95% "
        "confidence intervals. The differences between the groups cannot be read as effects."),
    "curve_caption": ("Andel: {0}", "Share: {0}"),
    "curve_table_caption": ("{0}: andel efter måneder siden indeksdatoen", "{0}: share by months since the index date"),
    "share_axis_pct": ("Andel (%)", "Share (%)"),
    "months_since": ("Måneder efter indeksmåneden", "Months after the index month"),
    "n_observed": ("Antal fulgt", "Number followed"),
    "band_inhabitants": ("Antal indbyggere", "Inhabitants"),
    "band_volume": ("Antal borgere i {0}", "Citizens in {0}"),
    "units_col": ("Kommuner", "Municipalities"),
    "units_intro": (
        "Resultaterne for {0} opdelt efter kommunens indbyggertal og efter antallet af borgere i gruppen, ved "
        "horisonten (måned {1}). Indbyggertal: {2}.",
        "The results of {0} by the municipality's number of inhabitants and by the number of citizens in the group, "
        "at the horizon (month {1}). Inhabitants: {2}."),
    "inhabitants_shipped": ("de medfølgende tal (omtrentlige folketal 1. januar 2018, Danmarks Statistik FOLK1A, "
                            "afrundet til 100)",
                            "the shipped figures (approximate populations on 1 January 2018, Statistics Denmark "
                            "FOLK1A, rounded to 100)"),
    "inhabitants_data": ("datamappens inhabitants-tabel", "the data folder's inhabitants table"),
    "units_caption": ("Resultater opdelt på kommunestørrelse", "Results by size of municipality"),
    "dist_caption": ("Spredningen mellem kommunerne", "The spread between the municipalities"),
    "dist_note": ("Kommuner med færre end {0} borgere i gruppen er udeladt ({1}).",
                  "Municipalities with fewer than {0} citizens in the group are left out ({1})."),
    "minimum": ("Minimum", "Minimum"),
    "q1": ("1. kvartil", "1st quartile"),
    "median": ("Median", "Median"),
    "q3": ("3. kvartil", "3rd quartile"),
    "maximum": ("Maksimum", "Maximum"),
    "criterion_sentence": ("{0}: {1} af {2} kommuner opfyldte kriteriet.", "{0}: {1} of {2} municipalities met it."),
    "criterion_caption": ("Succeskriteriet pr. kommune", "The success criterion by municipality"),
    "criterion_note": (
        "Bedste periode på {0} måneder i træk efter indeksmåneden: andelen af gruppen, der var i udfaldet i mindst "
        "én af periodens måneder.",
        "Best period of {0} consecutive months after the index month: the share of the group in the outcome in at "
        "least one of its months."),
    "unit": ("Kommune", "Municipality"),
    "best_share": ("Andel (bedste periode)", "Share (best period)"),
    "from_month": ("Fra måned", "From month"),
    "met": ("Opfyldt", "Met"),
    "seniority_intro": (
        "Fordelingen på grupper efter anciennitet på {0} ved {1} (uafbrudte uger frem til og med den uge, år = "
        "uger / 52).",
        "The distribution over groups by seniority on {0} on {1} (unbroken weeks up to and including that week, "
        "years = weeks / 52)."),
    "seniority_caption": ("Grupperne efter anciennitet", "The groups by seniority"),
    "years": ("år", "years"),
    "total": ("Samlet", "Total"),
    "lpm_intro": (
        "OLS for {0} af at have opnået hvert udfald senest i måned {1}. Værdierne er betingede forskelle i "
        "sandsynlighed i procentpoint for en borger med egenskaben (alle variable er 0/1). {2}",
        "OLS for {0} of having reached each outcome by month {1}. The values are conditional differences in "
        "probability in percentage points for a citizen with the characteristic (all variables are 0/1). {2}"),
    "lpm_caption": ("OLS-resultater for udfaldsmålene", "OLS results for the outcomes"),
    "lpm_detail_caption": ("OLS-resultater med standardfejl", "OLS results with standard errors"),
    "lpm_only_sig": ("Kun værdier, der er statistisk forskellige fra nul (p < {0}), vises.",
                     "Only values statistically different from zero (p < {0}) are shown."),
    "lpm_controls": ("Der er yderligere betinget på: {0} (ikke vist).", "Further controlled for: {0} (not shown)."),
    "lpm_se_cluster": ("Standardfejl klyngerobuste efter kommune (CR1; Statas vce(cluster)); HC1 (Statas robust) "
                       "står i detaljetabellen.",
                       "Standard errors cluster-robust by municipality (CR1; Stata's vce(cluster)); HC1 (Stata's "
                       "robust) in the detail table."),
    "lpm_se_wild": ("Få kommuner: p-værdier og intervaller fra en vild klyngebootstrap (WCR); HC1 står i "
                    "detaljetabellen.",
                    "Few municipalities: p-values and intervals from a wild cluster bootstrap (WCR); HC1 in the "
                    "detail table."),
    "lpm_se_hc1": ("Standardfejl HC1 (Statas robust).", "Standard errors HC1 (Stata's robust)."),
    "lpm_marks": ("*** p < 0,01; ** p < 0,05; * p < 0,10.", "*** p < 0.01; ** p < 0.05; * p < 0.10."),
    "mean_row": ("Gennemsnit", "Mean"),
    "n_row": ("Antal (N)", "Number (N)"),
    "pct_unit": (" pct.", " pp"),
    "pct_mean": (" pct.", "%"),
    "estimate_pp": ("Estimat (pp)", "Estimate (pp)"),
    "se_main": ("Std.fejl", "Std. error"),
    "se_hc1": ("Std.fejl HC1", "Std. error HC1"),
    "p_main": ("p", "p"),
    "n_with": ("Antal med", "Number with"),
    "definitions": ("Udfaldsmål", "Outcomes"),
    "method_ci": (
        "Konfidensintervallerne er Wilsons scoreinterval for en andel (95 %). En borger tæller i måned m, hvis "
        "måneden ligger før registrenes sidste måned; »opnået senest i måned m« tæller en borger fra den første "
        "måned i udfaldet.",
        "The confidence intervals are Wilson's score interval for a proportion (95%). A citizen counts in month m "
        "if the month lies before the registers' last month; 'reached by month m' counts a citizen from the first "
        "month in the outcome."),
    "method_disclosure": (
        "Tal for færre end {0} personer vises ikke, og heller ikke tal, der ville afsløre dem ved subtraktion "
        "(docs/disclosure.md).",
        "Numbers of fewer than {0} persons are not shown, nor are numbers that would reveal them by subtraction "
        "(docs/disclosure.md)."),
    "notes_heading": ("Bemærkninger til data", "Notes on the data"),
    "note_overlapping_records": ("{0} borgere har visitationer i forskellige grupper, der overlapper i tid; reglen "
                                 "valgte én.",
                                 "{0} citizens have visitations in different groups that overlap in time; the rule "
                                 "chose one."),
    "note_contradictory_records": ("{0} borgere har visitationer, der er ens på alle reglens trin, men nævner "
                                   "forskellige kommuner; den første kommune blev valgt.",
                                   "{0} citizens have visitations that tie on every step of the rule but name "
                                   "different municipalities; the first was chosen."),
    "note_records_not_in_persons": ("{0} borgere i visitationsdata findes ikke i persontabellen og er udeladt.",
                                    "{0} citizens in the visitation data are not in the persons table and are left "
                                    "out."),
    "note_units_without_inhabitants": ("{0} borgere bor i kommuner uden indbyggertal og indgår ikke i "
                                       "størrelsesgrupperne.",
                                       "{0} citizens are in municipalities without inhabitants and are not in the "
                                       "size bands."),
    "note_SingletonClusterWarning": ("Nogle kommuner har kun én borger i modellen.",
                                     "Some municipalities have a single citizen in the model."),
    "note_FewClustersWarning": ("Der er få kommuner; se standardfejlene.", "There are few municipalities; see the "
                                "standard errors."),
    "note_DroppedRowsWarning": ("Borgere med manglende værdier er udeladt af modellerne (antal i tabellen).",
                                "Citizens with missing values are left out of the models (numbers in the table)."),
    "note_other": ("{0}", "{0}"),
    "hidden_count": ("færre end {0}", "fewer than {0}"),
}

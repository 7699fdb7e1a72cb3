"""The difference-in-differences report's words, Danish and English (the shared words are in report/strings.py)."""

from __future__ import annotations

DID_UI: dict[str, tuple[str, str]] = {
    "did_kind": ("Forskel-i-forskelle", "Difference-in-differences"),
    "s_did_design": ("Forsøg, sammenligningskommuner og indikatorer", "Trial, comparison units and indicators"),
    "s_did_trends": ("Udviklingen i forsøgs- og sammenligningskommunerne", "Trends in trial and comparison units"),
    "s_did_effects": ("Effekter: før og efter mod sammenligningskommunerne",
                      "Effects: before and after against the comparison units"),
    "s_did_units": ("Effekter pr. forsøgskommune", "Effects by trial unit"),
    "s_did_event": ("Effekter over tid (event study)", "Effects over time (event study)"),
    "s_did_staggered": ("Forskudt start: effekter pr. startgruppe og periode", "Staggered starts: group-time effects"),
    "s_did_indicators": ("Indikatorer pr. kommune og periode", "Indicators by unit and period"),
    "s_did_assumptions": ("Forudsætninger og forbehold", "Assumptions and caveats"),
    # design
    "did_lead": ("Forsøget evalueres med et før-efter-design med en sammenligningsgruppe (forskel-i-forskelle): "
                 "udviklingen i forsøgskommunerne fra før til efter forsøgets start sammenlignes med udviklingen i "
                 "sammenlignelige kommuner uden forsøget, samlet og for hver forsøgskommune. Målgruppen er {0}; "
                 "indikatorerne opgøres pr. {1} fra {2} til {3}.",
                 "The trial is evaluated with a before-after design with a comparison group (difference-in-"
                 "differences): the change in the trial units from before to after the start is compared with the "
                 "change in comparable units without the trial, pooled and for each trial unit. The target group is "
                 "{0}; the indicators are counted per {1} from {2} to {3}."),
    "units_caption": ("Forsøgskommuner og sammenligningskommuner", "Trial and comparison units"),
    "unit": ("Enhed", "Unit"),
    "role": ("Rolle", "Role"),
    "role_trial": ("Forsøg", "Trial"),
    "role_comparison": ("Sammenligning", "Comparison"),
    "start": ("Start", "Start"),
    "first_treated": ("Første periode med forsøg", "First period with the trial"),
    "comparison_set": ("Sammenligningskommuner", "Comparison units"),
    "all_comparison": ("alle sammenligningskommuner", "all comparison units"),
    "definitions_caption": ("Indikatorerne: tæller, nævner og koder", "The indicators: numerator, denominator and codes"),
    "indicator": ("Indikator", "Indicator"),
    "numerator": ("Tæller", "Numerator"),
    "denominator": ("Nævner", "Denominator"),
    "codes": ("DREAM-koder", "DREAM codes"),
    "star": ("STAR (jobindsats.dk)", "STAR (jobindsats.dk)"),
    "per_period_weeks": ("uger i perioden", "weeks in the period"),
    "coverage_caption": ("Kommune-perioder pr. indikator og hvor mange diskretionsreglerne skjuler",
                         "Unit-periods per indicator and how many the disclosure rules hide"),
    "unit_periods": ("Kommune-perioder", "Unit-periods"),
    "with_value": ("Med værdi", "With a value"),
    "shown": ("Vist", "Shown"),
    "hidden": ("Skjult", "Hidden"),
    "coverage_read": ("Skjulte celler indgår ikke i nogen beregning i rapporten: estimaterne bygger kun på de viste "
                      "tal, så de afslører intet, tabellen over indikatorer ikke viser.",
                      "Hidden cells enter no computation in this report: the estimates rest on the shown numbers only, "
                      "so they reveal nothing the indicator table does not show."),
    # trends
    "trends_caption": ("Gennemsnit af indikatorerne i forsøgs- og sammenligningskommunerne",
                       "Mean of the indicators in the trial and comparison units"),
    "trends_note": ("Uvægtede gennemsnit over kommunerne af de viste værdier. Lodrette streger: forsøgets start i "
                    "de tre startgrupper.", "Unweighted means over the units of the shown values. Vertical lines: "
                                            "the starts of the start groups."),
    "trial_mean": ("Forsøgskommuner", "Trial units"),
    "comparison_mean": ("Sammenligningskommuner", "Comparison units"),
    "small_caption": ("Indikatorerne i hver kommune (én linje pr. kommune)", "The indicators in each unit (one line "
                                                                            "per unit)"),
    "small_note": ("Blå: forsøgskommuner; orange: sammenligningskommuner. Skjulte værdier er huller i linjerne.",
                   "Blue: trial units; orange: comparison units. Hidden values are gaps in the lines."),
    # effects
    "effects_lead": ("Tabellen viser tre estimater af effekten for hver indikator. 2x2: forskellen mellem "
                     "forsøgs- og sammenligningskommunernes ændring fra før den første start til efter den sidste "
                     "start. TWFE: en regression med kommune- og periodeeffekter. CS: Callaway og Sant'Annas "
                     "estimator for forskudt start, samlet over alle startgrupper og perioder efter starten; den er "
                     "hovedestimatet, fordi kommunerne starter på forskellige tidspunkter. Intervallerne for 2x2 og "
                     "TWFE er fra wild cluster bootstrap, fordi forsøgskommunerne er få.",
                     "The table shows three estimates of the effect on each indicator. 2x2: the difference between the "
                     "trial and comparison units' change from before the first start to after the last start. TWFE: "
                     "a regression with unit and period effects. CS: Callaway and Sant'Anna's estimator for staggered "
                     "starts, over all start groups and periods after the start; it is the main estimate, because the "
                     "units start at different times. The 2x2 and TWFE intervals come from the wild cluster "
                     "bootstrap, because the trial units are few."),
    "effects_caption": ("Effekter på indikatorerne og på personniveau", "Effects on the indicators and at person level"),
    "estimate_ci": ("Estimat [95 %-KI]", "Estimate [95% CI]"),
    "twfe": ("TWFE", "TWFE"),
    "cs_simple": ("CS (samlet)", "CS (overall)"),
    "pretrend_p": ("Test for parallelle trends før start (p)", "Test of parallel pre-trends (p)"),
    "level_col": ("Niveau", "Level"),
    "level_unit": ("kommune-periode", "unit-period"),
    "level_person": ("person-måned", "person-month"),
    "scale_note": ("Procentpoint for andele; uger for ventetid; samtaler pr. 13 uger for samtaler.",
                   "Percentage points for shares; weeks for waiting times; interviews per 13 weeks for interviews."),
    "per_unit_note": ("Hver kommunes estimat hviler på én forsøgskommune: standardfejlen er usikker, så læs tallene "
                      "som beskrivende kontraster og det samlede estimat (wild cluster bootstrap) som resultatet. "
                      "Niveauer er gennemsnit af kommune-perioder (andele i procent).",
                      "Each unit's estimate rests on one trial unit: its standard error is unreliable, so read the "
                      "numbers as descriptive contrasts and the pooled estimate (wild cluster bootstrap) as the "
                      "result. Levels are means over unit-periods (shares in per cent)."),
    "trial_before": ("Forsøg før", "Trial before"),
    "trial_after": ("Forsøg efter", "Trial after"),
    "comp_before": ("Sammenl. før", "Comparison before"),
    "comp_after": ("Sammenl. efter", "Comparison after"),
    "estimate": ("Estimat", "Estimate"),
    "ci_boot": ("95 %-KI", "95% CI"),
    "aggregation": ("Sammenfatning", "Aggregation"),
    "cs_singular": ("ikke beregnet: flere perioder før start end kommuner (se effekterne før start i tabellen ovenfor)",
                    "not computed: more pre-start periods than units (see the pre-start effects in the table above)"),
    "units_caption_est": ("Effekt pr. forsøgskommune (2x2 mod kommunens egne sammenligningskommuner, før mod efter "
                          "kommunens start)", "Effect by trial unit (2x2 against its own comparison units, before "
                                              "against after its start)"),
    "pooled": ("Samlet", "Pooled"),
    # event study
    "event_caption": ("Effekt pr. periode før og efter start (event study med 95 %-konfidensintervaller)",
                      "Effect by period before and after the start (event study with 95% confidence intervals)"),
    "event_note": ("Perioden før start er reference (0). Punkter før start bør ligge omkring 0, hvis "
                   "udviklingen var parallel; første og sidste punkt samler alle tidligere og senere perioder.",
                   "The period before the start is the reference (0). Points before the start should lie around 0 "
                   "if trends were parallel; the first and last points collect all earlier and later periods."),
    "periods_since": ("Perioder fra start", "Periods since the start"),
    "effect_axis": ("Effekt", "Effect"),
    "pretrend_caption": ("Test for parallelle trends før start", "Tests of parallel trends before the start"),
    "test": ("Test", "Test"),
    "statistic": ("Teststørrelse", "Statistic"),
    "df": ("Frihedsgrader", "Degrees of freedom"),
    "p_value": ("p-værdi", "p-value"),
    "test_event": ("Event study: alle perioder før start = 0 (F)", "Event study: all leads = 0 (F)"),
    "test_cs": ("CS: alle ATT(g,t) før start = 0 (chi2)", "CS: all pre-start ATT(g,t) = 0 (chi2)"),
    # staggered
    "gt_caption": ("ATT(g,t) pr. startgruppe og periode fra start ({0})", "ATT(g,t) by start group and period "
                                                                         "since the start ({0})"),
    "group": ("Startgruppe", "Start group"),
    "agg_caption": ("Samlede effekter efter Callaway og Sant'Anna", "Aggregated effects (Callaway and Sant'Anna)"),
    "agg_simple": ("Samlet", "Overall"),
    "agg_dynamic": ("Gns. over tid efter start", "Mean over time since start"),
    "agg_calendar": ("Gns. over kalenderperioder", "Mean over calendar periods"),
    "gt_note": ("Sammenligningsgruppe: {0}. Før start: placebo-ændringer fra perioden før. Kommuner med skjulte "
                "perioder er udeladt (balanceret panel).", "Comparison group: {0}. Before the start: placebo "
                                                           "changes from the period before. Units with hidden periods "
                                                           "are left out (balanced panel)."),
    "control_never": ("kommuner uden forsøg", "never-treated units"),
    "control_not_yet": ("kommuner uden forsøg og kommuner, der endnu ikke er startet", "never-treated and "
                                                                                        "not-yet-treated units"),
    # indicators
    "ind_table_caption": ("{0} pr. kommune og periode ({1} til {2})", "{0} by unit and period ({1} to {2})"),
    "ind_note": ("Andele i procent. Tællere, nævnere og personer pr. celle står i indicators.csv.",
                 "Shares in per cent. Numerators, denominators and persons per cell are in indicators.csv."),
    # assumptions
    "assumptions_lead": ("Estimaterne er kun effekter af forsøget, hvis forudsætningerne holder:",
                         "The estimates are effects of the trial only if the assumptions hold:"),
    "a_parallel": ("Parallelle trends: uden forsøget ville indikatorerne i forsøgs- og sammenligningskommunerne have "
                   "udviklet sig parallelt. Udviklingen før start (figurerne og testene ovenfor) kan afsløre, at det "
                   "ikke holdt før start, men ikke bevise, at det holder efter.",
                   "Parallel trends: without the trial, the indicators of the trial and comparison units would have "
                   "moved in parallel. The pre-start trends (figures and tests above) can show that this did not "
                   "hold before the start, but cannot prove that it holds after."),
    "a_parallel_initiatives": ("Sideløbende initiativer: forsøgskommunerne har mange andre aktiviteter for målgruppen "
                               "i samme periode. En forskel, der skyldes dem, kan ikke skilles fra forsøgets effekt "
                               "med registerdata alene; hold derfor resultaterne op mod forsøgenes udformning og de "
                               "kvalitative data (evalueringsdesignet, seed 002).",
                               "Parallel initiatives: the trial units run many other activities for the target group "
                               "in the same period. A difference they cause cannot be told from the trial's effect "
                               "with register data alone; hold the results against the design of each trial and the "
                               "qualitative data (the evaluation design, seed 002)."),
    "a_anticipation": ("Ingen forventningseffekt: kommunerne ændrede ikke praksis før start ({0} perioder tilladt).",
                       "No anticipation: the units did not change practice before the start ({0} periods allowed)."),
    "a_spillover": ("Ingen smitte: forsøget påvirker ikke de ledige i sammenligningskommunerne.",
                    "No spillovers: the trial does not affect the unemployed in the comparison units."),
    "a_composition": ("Samme målgruppe: forsøget ændrer ikke, hvem der er i målgruppen; ellers måler indikatorerne "
                      "også ændret sammensætning.", "Same target group: the trial does not change who is in the target "
                                                   "group; otherwise the indicators also measure a changed "
                                                   "composition."),
    "a_few": ("Få forsøgskommuner: med {0} forsøgskommuner er de klyngerobuste standardfejl for små; "
              "intervallerne for 2x2 og TWFE er fra wild cluster bootstrap ({1}-vægte, {2} træk).",
              "Few trial units: with {0} trial units cluster-robust standard errors are too small; the 2x2 and TWFE "
              "intervals come from the wild cluster bootstrap ({1} weights, {2} draws)."),
    "a_twfe": ("TWFE blander tidligere og senere startede kommuner som sammenligning, når effekten ændrer sig over "
               "tid (Goodman-Bacon 2021); Callaway og Sant'Anna (2021) undgår det og er hovedestimatet.",
               "TWFE mixes earlier- and later-starting units as comparisons when effects change over time "
               "(Goodman-Bacon 2021); Callaway and Sant'Anna (2021) avoids that and is the main estimate."),
    "a_disclosure": ("Diskretion: celler med færre end {0} personer (eller hvor tælleren eller resten af gruppen er "
                     "under {0}) vises ikke og indgår ikke i estimaterne.",
                     "Disclosure: cells with fewer than {0} persons (or whose numerator or rest of the group is below "
                     "{0}) are not shown and do not enter the estimates."),
    "notes_caption": ("Bemærkninger fra beregningerne", "Notes from the computations"),
}

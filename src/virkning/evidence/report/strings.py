"""The evidence report's wording in Danish and English (the shared words are in virkning/report/strings.py)."""

from __future__ import annotations

EVIDENCE_UI: dict[str, tuple[str, str]] = {
    # document
    "ev_kind": ("Vidensgrundlag", "Evidence base"),
    "ev_source": ("Kilde: Vidensgrundlagets studier og deres vurderinger (filen {0}).",
                  "Source: The studies of the evidence base and their appraisals (the file {0})."),
    "ev_lead": ("Rapporten samler {0} studier, vurderer dem og danner evidensudsagn pr. kerneelement med en erklæret "
                "regel ({1}).",
                "The report gathers {0} studies, appraises them and draws evidence statements per core element with "
                "a declared rule ({1})."),
    "ev_question": ("Undersøgelsesspørgsmål", "Review question"),
    "ev_synthetic": ("Vidensgrundlaget indeholder en evaluering på syntetiske data ({0}); den beskriver ingen "
                     "virkelige personer og er et eksempel, ikke evidens.",
                     "The evidence base holds an evaluation on synthetic data ({0}); it describes no real persons "
                     "and is an example, not evidence."),
    # sections
    "s_ev_summary": ("Evidensudsagn", "Evidence statements"),
    "s_ev_elements": ("Udsagn pr. kerneelement og studierne bag", "Statements per core element and the studies behind"),
    "s_ev_review": ("Reviewets egne udsagn og reglens", "The review's own statements and the rule's"),
    "s_ev_rule": ("Reglen bag udsagnene", "The rule behind the statements"),
    "s_ev_appraisal": ("Vurdering af studierne", "Appraisal of the studies"),
    "s_ev_effects": ("Effektstørrelser og metaanalyser", "Effect sizes and meta-analyses"),
    "s_ev_search": ("Søgning og udvælgelse", "Search and selection"),
    "s_ev_about": ("Om rapporten", "About the report"),
    # columns
    "col_core_element": ("Kerneelement", "Core element"),
    "col_outcome": ("Udfald", "Outcome"),
    "col_statement": ("Udsagn", "Statement"),
    "col_studies": ("Studier", "Studies"),
    "col_rule": ("Regel", "Rule"),
    "col_study": ("Studie", "Study"),
    "col_year": ("År", "Year"),
    "col_country": ("Land", "Country"),
    "col_design": ("Design", "Design"),
    "col_reliability": ("Pålidelighed (1-5)", "Reliability (1-5)"),
    "col_transferability": ("Overførbarhed (1-5)", "Transferability (1-5)"),
    "col_appraisal": ("Vurdering", "Appraisal"),
    "col_n": ("N (personer)", "N (persons)"),
    "col_quality_kind": ("Kvalitet; type", "Quality; kind"),
    "col_reliability_short": ("Pålidelighed", "Reliability"),
    "col_transferability_short": ("Overførbarhed", "Transferability"),
    "col_topic": ("Emne", "Topic"),
    "col_direction": ("Retning", "Direction"),
    "col_used": ("Indgår", "Used"),
    "col_why": ("Bemærkning", "Remark"),
    "col_result": ("Resultat", "Result"),
    "col_weights": ("Vægte (kval. × metode × geo. × publ. × komb.)", "Weights (qual. × method × geo. × publ. × comb.)"),
    "col_contribution": ("Vidensbidrag", "Contribution"),
    "col_stock": ("Vidensmængde", "Knowledge stock"),
    "col_reason": ("Begrundelse", "Reason"),
    "col_parameter": ("Parameter", "Parameter"),
    "col_value": ("Værdi", "Value"),
    "col_review_says": ("Reviewet", "The review"),
    "col_rule_says": ("Reglen", "The rule"),
    "col_where": ("Sted i kilden", "Where in the source"),
    "col_measure": ("Mål", "Measure"),
    "col_effect": ("Effekt", "Effect"),
    "col_interval": ("Usikkerhed", "Uncertainty"),
    "col_subgroup": ("Gruppe", "Group"),
    "col_method": ("Metode", "Method"),
    "col_k": ("Studier (k)", "Studies (k)"),
    "col_estimate": ("Samlet effekt", "Pooled effect"),
    "col_pi": ("95 %-prædiktionsinterval", "95% prediction interval"),
    "col_stage": ("Trin", "Stage"),
    "col_records": ("Antal studier", "Number of studies"),
    "col_note": ("Note", "Note"),
    "col_dimension": ("Kendetegn", "Characteristic"),
    "col_stage_short": ("Trin", "Stage"),
    # words
    "quality_high": ("høj", "high"),
    "quality_limited": ("begrænset", "limited"),
    "kind_review": ("review", "review"),
    "kind_effect": ("effektstudie", "effect study"),
    "mixed": ("blandet", "mixed"),
    "confirmed": ("bekræftet", "confirmed"),
    "proposed": ("foreslået (tæller ikke endnu)", "proposed (not counted yet)"),
    "own_evaluation": ("egen evaluering", "own evaluation"),
    "not_given": ("ikke angivet", "not given"),
    "whole_group": ("hele målgruppen", "whole target group"),
    "unknown_n": ("n = ?", "n = ?"),
    "none_core": ("(intet kerneelement)", "(no core element)"),
    "range": ("interval", "range"),
    "approx": ("ca.", "approx."),
    "favourable_higher": ("gunstigt →", "favourable →"),
    "favourable_lower": ("← gunstigt", "← favourable"),
    "pooled": ("Samlet ({0})", "Pooled ({0})"),
    # paragraphs
    "summary_intro": (
        "Tabellen viser for hvert kerneelement og udfald, hvad studierne samlet siger, og hvilken regel der har "
        "dannet udsagnet. Reglen er beskrevet i afsnit {0}; studierne bag hvert udsagn i afsnit {1}.",
        "The table shows for each core element and outcome what the studies say together, and which rule drew the "
        "statement. The rule is described in section {0}; the studies behind each statement in section {1}."),
    "summary_caption": ("Evidensudsagn pr. kerneelement og udfald", "Evidence statements per core element and outcome"),
    "statement_line": ("{0}: {1}.", "{0}: {1}."),
    "statement_rule": ("Regel: {0}. Begrundelse: {1}.", "Rule: {0}. Reason: {1}."),
    "behind_caption": ("Studierne bag udsagnet om {0}, {1}", "The studies behind the statement on {0}, {1}"),
    "behind_read_default": (
        "Pålidelighed og overførbarhed er vurderet fra 1 (lav) til 5 (høj); publikationer af samme forsøg er adskilt "
        "med /. Hver evaluering tæller én gang (publikationer af samme forsøg samles) i den retning, dens "
        "hovedresultater peger. Høj kvalitet: pålidelighed mindst {0} og overførbarhed mindst {1}.",
        "Reliability and transferability are scored from 1 (low) to 5 (high); publications of one trial are separated "
        "by /. Each evaluation counts once (publications of one trial together) in the direction its main results point. "
        "High quality: reliability at least {0} and transferability at least {1}."),
    "behind_read_jobeffekter": (
        "Hvert resultat bidrager med produktet af de fem vægte; resultater fra samme studie deler studiets vægt "
        "(/ antal resultater).",
        "Each result contributes the product of the five weights; results of one study share the study's weight "
        "(/ number of results)."),
    "left_out": ("Tæller ikke (antal resultater): {0}.", "Not counted (number of results): {0}."),
    "no_core_note": (
        "Fund uden kerneelement indgår ikke i udsagnene pr. kerneelement: {0}.",
        "Findings without a core element do not enter the statements per core element: {0}."),
    "review_intro": (
        "Reviewet angiver sine evidensgrader uden en erklæret regel. Tabellen stiller dem over for reglens udsagn "
        "for samme kerneelement og udfald.",
        "The review states its evidence grades without a declared rule. The table sets them beside the rule's "
        "statements for the same core element and outcome."),
    "review_caption": ("Reviewets udsagn og reglens", "The review's statements and the rule's"),
    "no_statement": ("intet udsagn (ingen vurderede studier)", "no statement (no appraised studies)"),
    "topic_note": ("Udsagn med et emne er sammenholdt med reglens udsagn pr. kerneelement, udfald og emne.",
                   "Statements with a topic are compared with the rule's statements per core element, outcome and "
                   "topic."),
    "review_rule_text": ("angivet af reviewet (ingen erklæret regel)", "stated by the review (no declared rule)"),
    "rule_caption": ("Reglens parametre", "The rule's parameters"),
    "rule_default": (
        "Virknings standardregel gør STARs evidenshierarki operationelt på vurderingerne i Bilag 3-skabelonen. "
        "Stærk evidens: et flertal af mindst {strong} effektstudier af høj kvalitet og/eller et litteraturstudie af "
        "høj kvalitet peger samme vej. Moderat evidens: et flertal af {moderate} effektstudier af høj kvalitet. "
        "Indikation: et flertal med ét effektstudie af høj kvalitet eller mindst {limited} studier af begrænset "
        "kvalitet. Modstridende viden: positive og negative resultater uden flertal. Utilstrækkelig viden: ingen "
        "eller få studier af begrænset kvalitet. Høj kvalitet betyder pålidelighed mindst {rel} og overførbarhed "
        "mindst {tra} (1-5). Flertallet tages blandt studierne af høj kvalitet, når der er nogen. Foreslåede "
        "vurderinger (fra virkning evidence add) tæller ikke, før en person har bekræftet dem.",
        "virkning's default rule makes STAR's evidence hierarchy operational on the appraisals of the Bilag 3 "
        "template. Strong evidence: a majority of at least {strong} high-quality effect studies and/or a "
        "high-quality literature review point the same way. Moderate evidence: a majority of {moderate} "
        "high-quality effect studies. Indication: a majority with one high-quality effect study, or at least "
        "{limited} studies of limited quality. Conflicting evidence: positive and negative results without a "
        "majority. Insufficient evidence: no or few studies of limited quality. High quality means reliability at "
        "least {rel} and transferability at least {tra} (1-5). The majority is taken among the high-quality studies "
        "when there are any. Proposed appraisals (from virkning evidence add) do not count until a person has "
        "confirmed them."),
    "rule_jobeffekter": (
        "STARs vægtningsalgoritme fra jobeffekter.dk: hvert resultat får et vidensbidrag = kvalitetsvægt × "
        "metodevægt × geografivægt × publikationsvægt × kombinationsfaktor, og resultater fra samme studie deler "
        "studiets vægt. Vidensmængden er summen af bidragene; under {min_stock} er konklusionen »Få studier«. En "
        "retning er jobeffekten, når den rummer mindst {dominance} af vidensmængden, ellers »Modstridende«. "
        "Litteraturstudier og rapporter uden egne effektestimater indgår ikke. Vægte, som jobeffekter.dk ikke "
        "offentliggør, er valgt af virkning (docs/evidence.md).",
        "STAR's weighting algorithm from jobeffekter.dk: each result gets a knowledge contribution = quality weight "
        "× method weight × geography weight × publication weight × combination factor, and results of one study "
        "share the study's weight. The knowledge stock is the sum of the contributions; below {min_stock} the "
        "conclusion is 'Few studies'. A direction is the job effect when it holds at least {dominance} of the "
        "stock, otherwise 'Conflicting'. Literature reviews and reports without effect estimates of their own do "
        "not enter. Weights jobeffekter.dk does not publish were chosen by virkning (docs/evidence.md)."),
    "appraisal_intro": (
        "Studierne er vurderet efter skabelonen i Bilag 3: pålidelighed og gennemsigtighed samt overførbarhed, "
        "hver på en skala fra 1 (lav) til 5 (høj).",
        "The studies are appraised on the Bilag 3 template: reliability and transparency, and transferability, "
        "each on a scale from 1 (low) to 5 (high)."),
    "appraisal_caption": ("Studierne og deres vurdering", "The studies and their appraisal"),
    "reasons_caption": ("Begrundelser for vurderingerne", "Reasons for the appraisals"),
    "reasons_summary": ("Vis begrundelserne for hver vurdering", "Show the reasons for each appraisal"),
    "proposed_note": (
        "Foreslået: vurderingen er lavet af virkning ud fra evalueringens resultater og tæller ikke i udsagnene, før "
        "en person har sat method.status: confirmed i filen.",
        "Proposed: the appraisal was made by virkning from the evaluation's results and does not count in the "
        "statements until a person has set method.status: confirmed in the file."),
    "effects_intro": (
        "Figurerne viser de effekter, studierne angiver med tal, i deres egen enhed: ét panel pr. udfald og mål. "
        "Vandrette streger er konfidensintervaller, brede lyse bjælker er intervaller, som et studie angiver uden "
        "usikkerhed (f.eks. »2-4 procentpoint«), og punkter uden streg er effekter uden angivet usikkerhed. Effekter "
        "i forskellige enheder lægges ikke sammen.",
        "The figures show the effects the studies give as numbers, in their own units: one panel per outcome and "
        "measure. Horizontal lines are confidence intervals, wide light bars are ranges a study gives without "
        "uncertainty (e.g. '2-4 percentage points'), and points without a line are effects with no stated "
        "uncertainty. Effects in different units are not combined."),
    "no_effects": ("Ingen af studierne angiver en effekt med tal.", "None of the studies gives an effect as a number."),
    "forest_caption": ("{0}: effekter målt som {1}", "{0}: effects measured as {1}"),
    "range_text": ("{0} til {1}", "{0} to {1}"),
    "findings_caption": ("Effekterne i figur {0} ({1})", "The effects in figure {0} ({1})"),
    "meta_caption": ("Metaanalyse: {0}, {1}", "Meta-analysis: {0}, {1}"),
    "meta_read": (
        "Random effects-metaanalyse med REML og DerSimonian-Laird. τ² er variansen mellem studiernes sande effekter; "
        "I² er andelen af variationen, der skyldes forskelle mellem studierne.",
        "Random-effects meta-analysis with REML and DerSimonian-Laird. τ² is the variance between the studies' "
        "true effects; I² is the share of the variation that is due to differences between studies."),
    "not_pooled": ("Ikke samlet i en metaanalyse: {0}", "Not pooled in a meta-analysis: {0}"),
    "too_few_pooled": ("færre end 2 studier med en effekt og dens usikkerhed i samme mål",
                       "fewer than 2 studies with an effect and its uncertainty in the same measure"),
    "no_se_note": ("Uden angivet usikkerhed: {0}.", "No uncertainty given: {0}."),
    "search_intro": ("Søgningen og udvælgelsen af studier. Tal, som kilden ikke angiver, står som »?«.",
                     "The search and selection of studies. Numbers the source does not give are shown as '?'."),
    "flow_caption": ("Søgningens flow", "The search flow"),
    "stages_caption": ("Søgningens trin", "Stages of the search"),
    "exclusions_caption": ("Fravalgte studier og grundene", "Excluded studies and the reasons"),
    "characteristics_caption": ("De inkluderede studiers kendetegn", "Characteristics of the included studies"),
    "characteristics_read": ("Kerneelementer tæller hver evaluering én gang (et studie kan belyse flere).",
                             "Core elements count each evaluation once (a study may inform several)."),
    "eligibility": ("Udvælgelseskriterier", "Eligibility"),
    "dim_country": ("Land", "Country"),
    "dim_design": ("Design", "Design"),
    "dim_year": ("Udgivelsesår", "Year of publication"),
    "dim_core_element": ("Kerneelement", "Core element"),
    "about_items": (
        "Vidensgrundlag: {file} (SHA-256 {sha}); {studies} studier, {findings} fund. Regel: {rule}. Lavet med "
        "virkning {version}. Rapporten viser kun tal fra studierne og deres vurderinger, ingen persondata.",
        "Evidence base: {file} (SHA-256 {sha}); {studies} studies, {findings} findings. Rule: {rule}. Made with "
        "virkning {version}. The report shows only numbers from the studies and their appraisals, no person-level "
        "data."),
    "about_grades": (
        "Graderne følger STARs evidenshierarki: stærk evidens, moderat evidens, indikation, modstridende viden, "
        "utilstrækkelig viden; jobeffekter.dk-reglen konkluderer positiv, negativ eller ingen jobeffekt, "
        "modstridende eller få studier.",
        "The grades follow STAR's evidence hierarchy: strong evidence, moderate evidence, indication, conflicting "
        "evidence, insufficient evidence; the jobeffekter.dk rule concludes a positive, negative or no job effect, "
        "conflicting, or few studies."),
}

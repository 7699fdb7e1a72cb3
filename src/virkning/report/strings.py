"""The fixed wording every report shares, in Danish and English: document words, column names, notes.

`ui(language, *extra)` returns a flat dict; an analysis adds its own words (a dict of (Danish, English) pairs in
its package), so a wording change is made in one place for both languages.
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
    # figures
    "figure": ("Figur", "Figure"),
    "table": ("Tabel", "Table"),
    "figure_data": ("Tallene bag figur", "The numbers behind figure"),
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

def ui(language: str, *extra: dict[str, tuple[str, str]]) -> dict[str, str]:
    """All fixed wording in `language` ("da" or "en"): the shared words and those an analysis adds (its own table of
    (Danish, English) pairs)."""
    i = 1 if language == "en" else 0
    merged: dict[str, tuple[str, str]] = dict(_UI)
    for table in extra:
        merged.update(table)
    return {k: v[i] for k, v in merged.items()}

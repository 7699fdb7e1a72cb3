"""The benchmark report's words, Danish and English (the shared words are in report/strings.py)."""

from __future__ import annotations

BENCH_UI: dict[str, tuple[str, str]] = {
    "bench_kind": ("Benchmarking af jobcentre", "Benchmarking of job centres"),
    "s_bench": ("Benchmarking: {0}", "Benchmarking: {0}"),
    "bench_lead": ("Bruttoledigheden opgøres pr. enhed og måned som fuldtidspersoner (uger med {0} delt med ugerne i "
                   "måneden) og i procent af {1}. Referencemåneden er {2}; {3} Enhederne rangeres efter ledigheds"
                   "procenten (laveste først) og deles i tre lige store grupper.",
                   "Gross unemployment is counted per unit and month as full-time persons (weeks of {0} divided by "
                   "the weeks of the month) and as a percentage of {1}. The reference month is {2}; {3} Units are "
                   "ranked by the rate (lowest first) and split into three equal thirds."),
    "lf_persons": ("enhedens personer i data (ingen arbejdsstyrke angivet)",
                   "the unit's persons in the data (no labour force declared)"),
    "lf_declared": ("den angivne arbejdsstyrke", "the declared labour force"),
    "left_out": ("de seneste {0} måned(er) er udeladt på grund af sene registreringer.",
                 "the newest {0} month(s) are left out because of late registrations."),
    "declared_month": ("måneden er valgt i designet.", "the month is declared in the design."),
    "score_caption": ("Placering pr. enhed, {0}", "Scoreboard by unit, {0}"),
    "rank": ("Plads", "Rank"),
    "unit": ("Enhed", "Unit"),
    "third": ("Tredjedel", "Third"),
    "top": ("Øverste", "Top"),
    "middle": ("Midterste", "Middle"),
    "bottom": ("Nederste", "Bottom"),
    "arrow": ("Ift. sidste måned", "Against last month"),
    "ftp": ("Fuldtidspersoner", "Full-time persons"),
    "labour_force": ("Grundlag (personer)", "Base (persons)"),
    "rate": ("Ledighed", "Rate"),
    "d_month": ("Ændring ift. måneden før (pct.-point)", "Change on the month before (pp)"),
    "d_year": ("Ændring ift. samme måned året før (pct.-point)", "Change on the same month a year before (pp)"),
    "score_read": ("Pilen viser, om enhedens plads er bedre (↑), den samme (→) eller dårligere (↓) end i {0}.",
                   "The arrow shows whether the unit's rank is better (↑), the same (→) or worse (↓) than in {0}."),
    "series_caption": ("Udviklingen i bruttoledigheden i procentpoint, {0} (jf. seed 004, tabel 5.3)",
                       "Change in gross unemployment in percentage points, {0} (cf. seed 004, table 5.3)"),
    "series": ("Sammenligning", "Comparison"),
    "country": ("Hele landet", "Whole country"),
    "all_units": ("Alle enheder", "All units"),
    "best": ("Gennemsnit af de {0} bedste", "Mean of the {0} best"),
    "series_note": ("Hele landet og sammenligningsgruppen er samlede procenter (fuldtidspersoner over grundlag); de "
                    "bedste er et simpelt gennemsnit af enhedernes procenter. Skjulte enheder indgår ikke.",
                    "The whole country and the comparison group are pooled rates (full-time persons over the base); "
                    "the best is a plain mean of the units' rates. Hidden units are left out."),
    "fig_caption": ("Bruttoledighed pr. måned for hver enhed mod sammenligningerne",
                    "Gross unemployment by month for each unit against the comparisons"),
    "caseload_caption": ("Sagsmængde pr. sagsbehandler, {0} (jf. seed 004, tabel 5.6-5.7)",
                         "Caseload per caseworker, {0} (cf. seed 004, tables 5.6-5.7)"),
    "caseworkers": ("Sagsbehandlere", "Caseworkers"),
    "ftp_per": ("Fuldtidspersoner pr. sagsbehandler", "Full-time persons per caseworker"),
    "citizens_per": ("Borgere pr. sagsbehandler", "Citizens per caseworker"),
    "caseload_note": ("Borgere er personer med mindst én uge i målgruppen i måneden; sagsbehandlerne er angivet "
                      "af brugeren.", "Citizens are persons with at least one target-group week in the month; the "
                      "caseworkers are declared by the user."),
    "expected_caption": ("Forventet og faktisk ledighed, {0}", "Expected and actual rate, {0}"),
    "actual": ("Faktisk", "Actual"),
    "expected": ("Forventet", "Expected"),
    "difference": ("Forskel (pct.-point)", "Difference (pp)"),
    "pi": ("{0:.0%} prædiktionsinterval", "{0:.0%} prediction interval"),
    "outside": ("Uden for", "Outside"),
    "expected_note": ("Den forventede ledighed er en OLS-regression af enhedernes ledighed i referencemåneden på "
                      "{0} (n = {1}, R² = {2}). En negativ forskel er lavere ledighed end forventet.",
                      "The expected rate is an OLS regression of the units' rates in the reference month on {0} "
                      "(n = {1}, R² = {2}). A negative difference is a lower rate than expected."),
    "hidden_units": ("Enheder med for få personer er skjult og ikke rangeret.",
                     "Units with too few persons are hidden and not ranked."),
    "no_year_before": ("Data rækker ikke et år før referencemåneden; ændringen ift. året før mangler.",
                       "The data do not reach a year before the reference month; the change on the year is missing."),
}

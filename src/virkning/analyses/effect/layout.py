"""The characteristics tables laid out as a published evaluation lays them out (seed 000, Tabel 1 and Tabel 3).

Participants against the whole eligible population (before matching) and against the control group (after):
the number of persons first (with the pool's person-weeks beside them: a pool person can be a candidate in several
index weeks), then sex, age in bands with the mean, origin as Danish / not Danish and education from the shortest
to the longest; the population table goes on with the other covariates. Everything is read from the bundle's
`characteristics` and `sample_sizes`; bundles without them fall back to the covariate rows in natural order.
"""

from __future__ import annotations

import re

from virkning.analyses.effect.characteristics import EDUCATION_ORDER  # older bundles sort by it too
from virkning.registers import calendar
from virkning.report import labels
from virkning.report.components import Cell, Row, Table

LAYOUT_UI: dict[str, tuple[str, str]] = {
    "persons_row": ("Antal personer", "Number of persons"),
    "person_weeks_row": ("Antal person-uger", "Number of person-weeks"),
    "sizes_persons_note": ("Rækkerne med forskellige personer tæller hver person én gang, også når personen er "
                           "mulig kontrolperson i flere uger.",
                           "The rows of distinct persons count each person once, also when the person is a "
                           "potential control in several weeks."),
    # the balance table's count row: the pool before matching is counted in person-weeks there
    "count_row_weeks": ("Antal (puljen i person-uger)", "Number (the pool in person-weeks)"),
    "age_mean": ("Gennemsnit (år)", "Mean (years)"),
    "age_bands": ("Alder", "Age"),
    "education_level": ("Uddannelsesniveau", "Level of education"),
    "matched_caption": ("Deltagere og kontrolgruppe efter matching", "Participants and control group after matching"),
    "matched_read": (
        "Opgørelsen bygger på den endelige deltager- og kontrolgruppe efter matching. Andele i procent; alder i år. "
        "Kontrolgruppen tælles i matchede kontrolpersoner; samme person kan være kontrol for deltagere fra "
        "forskellige uger og tælles da én gang i rækken »Antal personer«.",
        "Based on the final participant and control groups after matching. Shares in per cent; age in years. The "
        "control group is counted in matched controls; a person can be the control of participants from different "
        "weeks and then counts once in the row 'Number of persons'."),
    "population_persons_read": (
        "Andele i procent, alder og antal uger/måneder som gennemsnit. SMD er forskellen i gennemsnit målt i "
        "standardafvigelser; en SMD over 0,1 (numerisk) regnes som en mærkbar forskel. Den berettigede population "
        "tælles i personer og i person-uger: en person kan opfylde betingelserne i flere af deltagernes uger, og "
        "andele og gennemsnit for populationen er opgjort over person-ugerne, som matchingen bruger dem. Alderen "
        "er opgjort på indeksdatoen i hele år.",
        "Shares in per cent; age and numbers of weeks/months as means. SMD is the difference in means in standard "
        "deviations; an SMD above 0.1 (in absolute value) is a noticeable difference. The eligible population is "
        "counted in persons and in person-weeks: a person can meet the conditions in several of the participants' "
        "weeks, and its shares and means are taken over the person-weeks, as the matching uses them. Age is "
        "measured at the index date, in completed years."),
}

SEED_VARIABLES = {"sex": "sex", "age_band": "age", "age": "age", "origin_group": "origin", "education": "education"}


def as_month(label) -> str | None:
    """A week label ('2015-W01') as its month label ('2015-01'), so that a period is told in one unit; ISO weeks
    belong to the month holding their Thursday. Month labels and anything else are returned as given."""
    text = None if label is None else str(label)
    if text and re.fullmatch(r"\d{4}-W\d{2}", text):
        return calendar.month_label(calendar.week_month(calendar.parse_week(text)))
    return text


def natural(rows: list[dict]) -> list[dict]:
    """Covariate rows with the levels of education in their natural order (the tables keep the others' order)."""
    edu = [r for r in rows if r.get("variable") == "education" and r.get("level") is not None]
    if not edu:
        return rows
    rank = {lv: i for i, lv in enumerate(EDUCATION_ORDER)}
    ordered = iter(sorted(edu, key=lambda r: (rank.get(r["level"], len(rank)), str(r["level"]))))
    return [next(ordered) if (r.get("variable") == "education" and r.get("level") is not None) else r for r in rows]


class Layout:
    """The two seed-style tables, built with the effect report's cell makers (`tables.Builder`)."""

    def __init__(self, builder):
        self.b = builder
        self.t = builder.t
        self.lang = builder.lang
        self.rows = [r for r in builder.d.b.get("characteristics") or [] if r.get("variable")]

    def _label(self, var: str, level) -> str:
        if var == "age_band":
            return f"{level} år" if self.lang == "da" and level != "(mangler)" else labels.level(var, level, self.lang)
        return labels.level(var, level, self.lang)

    def _heading(self, var: str) -> str:
        if var == "age_band":
            return self.t["age_bands"]
        if var == "education":
            return self.t["education_level"]
        return labels.variable(SEED_VARIABLES.get(var, var), self.lang)

    def _body(self, cells, ncols: int) -> list[Row]:
        """Rows of the seed variables: a heading per variable, its levels indented; the mean age under the bands."""
        out, current = [], None
        for r in self.rows:
            var = r["variable"]
            head = "age_band" if var == "age" else var
            if head != current:
                current = head
                out.append(Row([Cell(self._heading(head), "label group", ncols)], "group"))
            text = self.t["age_mean"] if var == "age" else self._label(var, r.get("level"))
            out.append(Row([self.b.label(text, indent=True)] + cells(r)))
        return out

    def _counts(self, sample: str, persons: str) -> list[Row]:
        """Before matching: persons, then the person-weeks the shares are over; after: matched units (controls
        counted per participant), then distinct persons."""
        b, t = self.b, self.t

        def row(text, name):
            return Row([b.label(text), b.count(b.d.size(name, "Treated")), b.count(b.d.size(name, "Control")),
                        Cell("", "num")], "countrow")

        has_persons = b.d.size(persons, "Control") is not None or b.d.size(persons, "Treated") is not None
        if not has_persons:
            return [row(t["count_row"], sample)]
        if sample == "All":
            return [row(t["persons_row"], persons), row(t["person_weeks_row"], sample)]
        return [row(t["count_row"], sample), row(t["persons_row"], persons)]

    def population(self) -> Table | None:
        """Participants and the whole eligible population (seed 000, Tabel 1), then the other covariates."""
        b, t = self.b, self.t
        others = [r for r in b.d.b.get("population_comparison") or []
                  if r.get("term") != "distance" and r.get("variable") not in SEED_VARIABLES.values()]

        def cells(r):
            return [b._cov_value(r, "mean_treated_before"), b._cov_value(r, "mean_control_before"),
                    b.num(b.f.smd(r.get("smd_before")), r.get("smd_before"))]

        def other_cells(r):
            return [b._cov_value(r, "mean_participants"), b._cov_value(r, "mean_eligible_pool"),
                    b.num(b.f.smd(r.get("smd")), r.get("smd"))]

        def summary(var, levels):
            return [b.label(f"{labels.variable(var, self.lang)} ({t['many_levels'].format(len(levels))})"),
                    Cell("", "num"), Cell("", "num"), b.num(b.f.smd(b._max_abs(levels, "smd")), None)]

        body = (self._counts("All", "All (persons)") if b.d.b.get("sample_sizes") else []) + self._body(cells, 4)
        body += b._grouped(natural(others), other_cells, summary)
        return Table("population", t["population_caption"],
                     [b.col(t["variable"], "label"), b.col(t["participants"]), b.col(t["eligible_pool"]),
                      b.col(t["smd"])], body, how_to_read=t["population_persons_read"])

    def matched(self) -> Table | None:
        """Participants and the control group after matching (seed 000, Tabel 3)."""
        if not self.rows:
            return None
        b, t = self.b, self.t

        def cells(r):
            return [b._cov_value(r, "mean_treated_after"), b._cov_value(r, "mean_control_after"),
                    b.num(b.f.smd(r.get("smd_after")), r.get("smd_after"))]

        body = self._counts("Matched", "Matched (persons)") if b.d.b.get("sample_sizes") else []
        body += self._body(cells, 4)
        return Table("matched", t["matched_caption"],
                     [b.col(t["variable"], "label"), b.col(t["participants"]), b.col(t["controls"]), b.col(t["smd"])],
                     body, how_to_read=t["matched_read"])

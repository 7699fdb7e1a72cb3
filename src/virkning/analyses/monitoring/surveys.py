"""Citizen surveys: the share agreeing (`enig` or `helt enig`) with each statement, by project and wave, with the
number of answers and the response rate against the registered population. `ved ikke` and blanks are not answers.
The table is raw: monitoring's publication passes it through the disclosure gate (answers, agreement, respondents
and the population are counts of persons; projects add up to the total).
"""

from __future__ import annotations

import pandas as pd

from virkning.errors import VirkningError
from virkning.analyses.monitoring.spec import Survey

TOTAL = "I alt"


class SurveyError(VirkningError):
    """A citizen survey file does not match its declaration."""


def survey_table(frame: pd.DataFrame, survey: Survey, population: dict | pd.Series | None = None) -> pd.DataFrame:
    """One row per project (and `I alt`), wave and statement: n answers, agree, share_agree, respondents,
    population, response_rate."""
    need = [survey.unit_column, survey.wave_column, *survey.items]
    miss = [c for c in need if c not in frame.columns]
    if miss:
        raise SurveyError(f"survey '{survey.name}' ({survey.file}): columns missing: {', '.join(miss)}")
    agree = {a.strip().lower() for a in survey.agree}
    missing = {m.strip().lower() for m in survey.missing}
    f = frame.copy()
    f[survey.unit_column] = f[survey.unit_column].astype(str)
    pop = pd.Series(population, dtype=float) if population is not None else pd.Series(dtype=float)
    rows = []
    units = sorted(f[survey.unit_column].unique())
    wave_of = f[survey.wave_column].astype(str)
    waves = list(dict.fromkeys(wave_of))
    # answers classified once; each cell below only counts them under its wave and unit mask
    valid, agrees = {}, {}
    scale = agree | missing | {a.strip().lower() for a in survey.answers}
    for item in survey.items:
        answers = f[item].fillna("").astype(str).str.strip().str.lower()
        odd = ~answers.isin(scale).to_numpy()
        if odd.any():
            rows = (odd.nonzero()[0][:5] + 1).tolist()  # data rows (the header is line 1)
            raise SurveyError(f"survey '{survey.name}' ({survey.file}): column {item}, row {rows[0]} (line "
                              f"{rows[0] + 1}): '{f[item].iloc[rows[0] - 1]}' is not an answer of the scale "
                              f"({', '.join(sorted(scale - {''}))}); {int(odd.sum())} such row(s), first rows "
                              f"{', '.join(map(str, rows))}. Declare other answers under the survey's `answers`.")
        valid[item] = ~answers.isin(missing).to_numpy()
        agrees[item] = valid[item] & answers.isin(agree).to_numpy()
    unit_of = f[survey.unit_column]
    for wave in waves:
        in_wave = (wave_of == wave).to_numpy()
        for unit in [*units, TOTAL]:
            sub = in_wave if unit == TOTAL else in_wave & (unit_of == unit).to_numpy()
            respondents = int(sub.sum())
            p = float(pop.sum()) if (unit == TOTAL and len(pop)) else (float(pop[unit]) if unit in pop.index else None)
            for item, text in survey.items.items():
                n = int((valid[item] & sub).sum())
                k = int((agrees[item] & sub).sum())
                rows.append({"survey": survey.name, "wave": wave, "unit": unit, "item": item, "statement": text,
                             "n": n, "agree": k, "share_agree": k / n if n else None, "respondents": respondents,
                             # more respondents than registered: the survey reached others too, and no rate
                             # of the registered can be given (never a rate above 100 %)
                             "population": p, "response_rate": respondents / p if (p and respondents <= p) else None})
    # a file with a header and no answers gives the table with no rows
    out = pd.DataFrame(rows, columns=["survey", "wave", "unit", "item", "statement", "n", "agree", "share_agree",
                                      "respondents", "population", "response_rate"])
    return out.astype({c: "Float64" for c in ("n", "agree", "respondents", "population")})


def read_survey(path, survey: Survey) -> pd.DataFrame:
    from pathlib import Path

    from virkning.analyses.monitoring import inputs

    p = Path(path)
    what = f"file of survey '{survey.name}'"
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        return inputs.read_workbook(p, 0, what, SurveyError).astype(str).replace({"nan": "", "None": ""})
    return inputs.read_csv(p, what, SurveyError)

"""The monthly status report as one self-contained HTML file (inline CSS and SVG, no external resources).

Numbers follow Danish conventions (1.234, 12,5 %). Every displayed number of persons sits in an element of class
`count`, so `virkning.disclosure.scan` can check the file; hidden cells show a dash of class `suppressed`.
"""

from __future__ import annotations

import html
from pathlib import Path

import jinja2
import pandas as pd

from virkning.monitoring.status import TOTAL, StatusReport
from virkning.report.formatting import Formatter

TEXT = {
    "da": {
        "title": "Statusrapport", "month": "Opgjort til og med", "registration": "Registreringer",
        "disclosure": "Tal for færre end {t} personer vises ikke (–), og heller ikke tal, de kan regnes ud af.",
        "funnel": "Fra indkaldelse til vikarjob", "cumulative": "Akkumuleret", "in_month": "I måneden",
        "criteria": "Succeskriterier", "ranking": "Rangering af projekter (gennemsnitlig målopfyldelse)",
        "registers": "Registerbaserede resultater", "employment": "Beskæftigelse 13 uger efter informationsmødet",
        "temp_industry": "Måneder i vikarjob efter branche", "temp_hours": "Måneder i vikarjob efter timetal",
        "full_time": "Fuld tid = 160 timer om måneden.", "fidelity": "Fidelitet (medarbejdersurvey)",
        "surveys": "Borgersurveys", "footer": "Kilde: jobcentrenes registreringer, registre og surveys.",
        "unit": "Projekt", "value": "Opnået", "target": "Mål", "achievement": "Målopfyldelse", "met": "Nået",
        "yes": "ja", "no": "nej", "rank": "Placering", "mean": "Gns. målopfyldelse", "persons": "Personer",
        "employed": "I beskæftigelse", "share": "Andel", "level": "Gruppe", "months": "Måneder",
        "rows": "rækker læst", "kept": "gyldige", "violations": "regelbrud", "column": "Kolonne", "rule": "Regel",
        "count_v": "Antal", "element": "Kerneelement", "wave": "Måling", "units": "Enheder", "min": "Min",
        "q1": "1. kvartil", "median": "Median", "q3": "3. kvartil", "max": "Maks", "size": "Indbyggere",
        "score": "Score", "regression": "Sammenhæng mellem fidelitet og resultat", "movers": "Enheder, der er "
        "rykket fra under til over medianen", "statement": "Udsagn", "n": "Svar", "agree": "Enig/helt enig",
        "respondents": "Besvarelser", "response_rate": "Svarprocent", "population": "Registrerede",
    },
    "en": {
        "title": "Status report", "month": "Up to and including", "registration": "Registrations",
        "disclosure": "Numbers of fewer than {t} persons are not shown (–), nor numbers they could be derived from.",
        "funnel": "From invitation to temp job", "cumulative": "Cumulative", "in_month": "In the month",
        "criteria": "Success criteria", "ranking": "Ranking of projects (mean achievement)",
        "registers": "Register-based results", "employment": "Employment 13 weeks after the information meeting",
        "temp_industry": "Temp-job months by industry", "temp_hours": "Temp-job months by hours",
        "full_time": "Full time = 160 hours a month.", "fidelity": "Fidelity (staff survey)",
        "surveys": "Citizen surveys", "footer": "Sources: job-centre registrations, registers and surveys.",
        "unit": "Project", "value": "Achieved", "target": "Target", "achievement": "Achievement", "met": "Met",
        "yes": "yes", "no": "no", "rank": "Rank", "mean": "Mean achievement", "persons": "Persons",
        "employed": "Employed", "share": "Share", "level": "Group", "months": "Months",
        "rows": "rows read", "kept": "valid", "violations": "violations", "column": "Column", "rule": "Rule",
        "count_v": "Number", "element": "Core element", "wave": "Wave", "units": "Units", "min": "Min",
        "q1": "Q1", "median": "Median", "q3": "Q3", "max": "Max", "size": "Inhabitants",
        "score": "Score", "regression": "Fidelity and outcome", "movers": "Units moving from below to above the median",
        "statement": "Statement", "n": "Answers", "agree": "Agree/strongly agree",
        "respondents": "Respondents", "response_rate": "Response rate", "population": "Registered",
    },
}


def _missing(v) -> bool:
    if v is None:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def fmt_number(v, decimals: int = 0, lang: str = "da") -> str:
    return "–" if _missing(v) else Formatter(lang).number(v, decimals)


def fmt_pct(v, lang: str = "da", decimals: int = 0) -> str:
    if _missing(v):
        return '<span class="suppressed">–</span>'
    return Formatter("da").number(100 * float(v), decimals) + " %" if lang == "da" else Formatter(lang).pct(v, decimals)


def count(v, lang: str = "da") -> str:
    """A number of persons: in an element of class `count`; hidden cells are a dash."""
    if _missing(v):
        return '<span class="suppressed">–</span>'
    return f'<span class="count">{fmt_number(v, 0, lang)}</span>'


def _table(header: list[str], rows: list[list[str]], total_first_col: bool = True, label_cols: int = 1) -> str:
    out = ["<table><thead><tr>"]
    out += [f'<th class="{"label" if i < label_cols else ""}">{html.escape(h)}</th>' for i, h in enumerate(header)]
    out.append("</tr></thead><tbody>")
    for r in rows:
        cls = ' class="total"' if total_first_col and r and html.unescape(r[0]) == TOTAL else ""
        out.append(f"<tr{cls}>" + "".join(f'<td class="{"label" if i < label_cols else ""}">{c}</td>'
                                          for i, c in enumerate(r)) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _funnel_html(report: StatusReport, period: str, lang: str) -> str:
    f = report.funnel[report.funnel["period"] == period]
    steps = list(dict.fromkeys(f.sort_values("order")["step"]))
    header = [TEXT[lang]["unit"], *[report.labels.get(s, s) for s in steps]]
    rows = []
    for unit in [*report.units, TOTAL]:
        g = f[f["unit"] == unit].set_index("step")
        cells = [html.escape(unit)]
        for s in steps:
            c = count(g.at[s, "persons"], lang)
            share = g.at[s, "share_of_first"]
            if not _missing(share) and s != steps[0]:
                c += f' <span class="note">({fmt_pct(share, lang)})</span>'
            cells.append(c)
        rows.append(cells)
    return _table(header, rows)


def _bar_svg(values: list[tuple[str, float | None]], target: float | None, pct: bool) -> str:
    """Horizontal bars with a dashed target line; hidden values are left out."""
    shown = [(u, v) for u, v in values if not _missing(v)]
    if not shown:
        return ""
    top = max([v for _, v in shown] + ([target] if target else [])) or 1
    w, lw, bh = 640, 230, 18
    h = bh * len(values) + 30
    scale = (w - lw - 60) / top
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" role="img" font-size="11" '
             f'font-family="Helvetica, Arial, sans-serif">']
    for i, (u, v) in enumerate(values):
        y = 5 + i * bh
        parts.append(f'<text x="{lw - 6}" y="{y + 12}" text-anchor="end">{html.escape(u)}</text>')
        if _missing(v):
            parts.append(f'<text x="{lw + 4}" y="{y + 12}" fill="#999">–</text>')
            continue
        colour = "#1f5f8b" if u != TOTAL else "#0b3350"
        parts.append(f'<rect x="{lw}" y="{y + 2}" width="{max(v * scale, 0.5):.1f}" height="{bh - 5}" fill="{colour}"/>')
        label = fmt_pct(v) if pct else fmt_number(v)
        parts.append(f'<text x="{lw + v * scale + 4:.1f}" y="{y + 12}">{label}</text>')
    if target:
        x = lw + target * scale
        parts.append(f'<line x1="{x:.1f}" y1="2" x2="{x:.1f}" y2="{h - 20}" stroke="#c0392b" stroke-dasharray="4,3"/>')
        parts.append(f'<text x="{x:.1f}" y="{h - 6}" text-anchor="middle" fill="#c0392b">'
                     f'{fmt_pct(target) if pct else fmt_number(target)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _criteria_html(report: StatusReport, lang: str) -> list[dict]:
    T = TEXT[lang]
    out = []
    cum = report.criteria[report.criteria["period"] == "cumulative"]
    for name, g in cum.groupby("criterion", sort=False):
        kind = g["kind"].iloc[0]
        rows = []
        for r in g.to_dict("records"):
            if kind == "count":
                value = count(r["value"], lang)
                tgt = fmt_number(r["target_min"], 0, lang) + (
                    f"-{fmt_number(r['target_max'], 0, lang)}" if r["target_max"] != r["target_min"] else "")
            else:
                value = fmt_pct(r["value"], lang) + f' <span class="note">({count(r["numerator"], lang)} / ' \
                                                    f'{count(r["denominator"], lang)})</span>'
                tgt = fmt_pct(r["target_min"], lang)
            met = "" if _missing(r["met"]) else (f'<span class="met">{T["yes"]}</span>' if r["met"]
                                                 else f'<span class="notmet">{T["no"]}</span>')
            rows.append([html.escape(r["unit"]), value, tgt, fmt_pct(r["achievement"], lang), met])
        table = _table([T["unit"], T["value"], T["target"], T["achievement"], T["met"]], rows)
        values = [(r["unit"], r["value"]) for r in g.to_dict("records") if r["unit"] != TOTAL or kind == "share"]
        target = g["target_min"].iloc[0] if kind == "share" else g[g["unit"] != TOTAL]["target_min"].max()
        out.append({"label": report.labels.get(name, name), "table": table,
                    "figure": _bar_svg(values, None if _missing(target) else float(target), kind == "share"),
                    "caption": ""})
    return out


def _ranking_html(report: StatusReport, lang: str) -> str:
    T = TEXT[lang]
    r = report.ranking
    crit = [c for c in r.columns if c.startswith("rank_")]
    header = [T["rank"], T["unit"], T["mean"], *[report.labels.get(c[5:], c[5:]) for c in crit]]
    rows = [[fmt_number(x["rank"], 0, lang), html.escape(x["unit"]), fmt_pct(x["mean_achievement"], lang),
             *[fmt_number(x[c], 0, lang) for c in crit]] for x in r.to_dict("records")]
    return _table(header, rows, total_first_col=False, label_cols=2)


def _levels_html(frame: pd.DataFrame, lang: str) -> str:
    T = TEXT[lang]
    rows = [[html.escape(str(x["level"])), count(x["persons"], lang), fmt_number(x["months"], 0, lang),
             fmt_pct(x["share_of_months"], lang)] for x in frame.to_dict("records")]
    return _table([T["level"], T["persons"], T["months"], T["share"]], rows)


def _fidelity_html(fid, lang: str) -> str:
    T = TEXT[lang]
    parts = []
    d = fid.distribution
    rows = [[html.escape(str(x["wave"])), html.escape(fid.elements.get(str(x["element"]), str(x["element"]))),
             fmt_number(x["units"], 0, lang), *[fmt_number(x[k], 2, lang) for k in ("min", "q1", "median", "q3", "max")]]
            for x in d.to_dict("records")]
    parts.append(_table([T["wave"], T["element"], T["units"], T["min"], T["q1"], T["median"], T["q3"], T["max"]],
                        rows, total_first_col=False, label_cols=2))
    if fid.by_size is not None and len(fid.by_size):
        rows = [[html.escape(str(x["wave"])), html.escape(str(x["size_band"])), fmt_number(x["units"], 0, lang),
                 fmt_number(x["mean_score"], 1, lang)] for x in fid.by_size.to_dict("records")]
        parts.append(f"<h3>{T['size']}</h3>" + _table([T["wave"], T["size"], T["units"], T["score"]], rows,
                                                      total_first_col=False, label_cols=2))
    if len(fid.movers):
        mv = fid.movers.groupby(["from_wave", "to_wave"], sort=False)["moved_up"].agg(["sum", "count"]).reset_index()
        rows = [[html.escape(f"{x['from_wave']} → {x['to_wave']}"), fmt_number(x["sum"], 0, lang),
                 fmt_number(x["count"], 0, lang)] for x in mv.to_dict("records")]
        parts.append(f"<h3>{T['movers']}</h3>" + _table([T["wave"], T["units"], "N"], rows, total_first_col=False))
    if fid.regression is not None:
        r = fid.regression
        parts.append(f"<h3>{T['regression']} ({html.escape(str(fid.regression_wave))})</h3>")
        parts.append(f"<p>y = {fmt_number(r.slope, 4, lang)}x + {fmt_number(r.intercept, 4, lang)}, "
                     f"R² = {fmt_number(r.r2, 4, lang)}, p = {fmt_number(r.p_value, 3, lang)}, N = "
                     f"{fmt_number(r.n, 0, lang)}</p>")
        svg = fid.scatter_svg()
        if svg:
            parts.append(f"<figure>{svg}</figure>")
    for note in fid.notes:
        parts.append(f'<p class="note">{html.escape(note)}</p>')
    return "".join(parts)


def _surveys_html(s: pd.DataFrame, lang: str) -> str:
    T = TEXT[lang]
    parts = []
    for (survey, wave), g in s.groupby(["survey", "wave"], sort=False):
        parts.append(f"<h3>{html.escape(str(survey))}: {html.escape(str(wave))}</h3>")
        tot = g[g["unit"] == TOTAL]
        rows = [[html.escape(x["statement"]), count(x["n"], lang), fmt_pct(x["share_agree"], lang)]
                for x in tot.to_dict("records")]
        parts.append(_table([T["statement"], T["n"], T["agree"]], rows, total_first_col=False))
        rr = g.drop_duplicates("unit")
        rows = [[html.escape(x["unit"]), count(x["respondents"], lang), count(x["population"], lang),
                 fmt_pct(x["response_rate"], lang)] for x in rr.to_dict("records")]
        parts.append(_table([T["unit"], T["respondents"], T["population"], T["response_rate"]], rows))
    return "".join(parts)


def render_status_html(report: StatusReport, out_dir: str | Path, language: str = "da", fidelity=None,
                       filename: str | None = None) -> Path:
    """Write the status report as HTML into `out_dir`; returns the file's path. `fidelity` (a FidelityReport)
    defaults to the one attached to the report."""
    lang = language if language in TEXT else "da"
    T = TEXT[lang]
    fid = fidelity if fidelity is not None else report.fidelity
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
                             autoescape=False, keep_trailing_newline=True)
    tpl = env.get_template("status.html.j2")
    reg = report.registration or {}
    reg_text = (f"{fmt_number(reg.get('rows_read'), 0, lang)} {T['rows']}, {fmt_number(reg.get('rows_kept'), 0, lang)} "
                f"{T['kept']}, {fmt_number(reg.get('violations'), 0, lang)} {T['violations']}.") if reg else ""
    vt = ""
    if reg.get("by_rule"):
        vt = _table([T["column"], T["rule"], T["count_v"]],
                    [[html.escape(str(x["column"])), html.escape(str(x["rule"])), fmt_number(x["violations"], 0, lang)]
                     for x in reg["by_rule"]], total_first_col=False, label_cols=2)
    text = tpl.render(
        lang=lang, t=T, programme=html.escape(report.programme), month=report.month, threshold=report.threshold,
        registration_text=reg_text, violations_table=vt,
        funnel_cumulative=_funnel_html(report, "cumulative", lang), funnel_month=_funnel_html(report, "month", lang),
        criteria=_criteria_html(report, lang), ranking=_ranking_html(report, lang),
        employment=(_table([T["unit"], T["persons"], T["employed"], T["share"]],
                           [[html.escape(x["unit"]), count(x["persons"], lang), count(x["employed"], lang),
                             fmt_pct(x["share_employed"], lang)] for x in report.employment.to_dict("records")])
                    if report.employment is not None else ""),
        temp_industry=_levels_html(report.temp_industry, lang) if report.temp_industry is not None else "",
        temp_hours=_levels_html(report.temp_hours, lang) if report.temp_hours is not None else "",
        fidelity=_fidelity_html(fid, lang) if fid is not None else "",
        surveys=_surveys_html(report.surveys, lang) if report.surveys is not None and len(report.surveys) else "",
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / (filename or f"status_{report.month}.html")
    path.write_text(text, encoding="utf-8")
    return path


__all__ = ["render_status_html", "fmt_number", "fmt_pct", "count"]

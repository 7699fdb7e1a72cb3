"""The benchmark report sections, one per target group, from the protected tables of an output (Danish or English):
the lead, the scoreboard, the comparisons (seed 004 table 5.3), small multiples, caseloads (tables 5.6-5.7) and
expected against actual."""

from __future__ import annotations

from virkning.analyses.benchmark import figures
from virkning.analyses.benchmark.strings import BENCH_UI
from virkning.report.components import Blocks, Cells, Numbering, Row, Section, Table
from virkning.report.figures import render_figure
from virkning.report.formatting import Formatter, missing
from virkning.report.strings import ui


def _f(v):
    return None if missing(v) else float(v)


def benchmark_sections(output, language: str, numbering: Numbering | None = None) -> tuple[list[Section], dict]:
    tab, b = output.tables, output.bundle
    d = b["design"]
    i = 1 if language == "en" else 0
    f = Formatter(language)
    t = ui(language, BENCH_UI)
    c = Cells(f, t)
    blocks = Blocks(t, numbering or Numbering(), b["threshold"],
                    t["source_synthetic"] if b.get("synthetic") else t["source"])
    label = d["target_group"]["label"][i]
    month = d["month"]
    when = t["declared_month"] if d["month_declared"] else t["left_out"].format(d["leave_out_newest"])
    lead = t["bench_lead"].format(label[:1].lower() + label[1:], t["lf_" + d["labour_force"]], month, when)
    out = [blocks.p(lead)]
    out += [blocks.note(t[n]) for n in b.get("notes", []) if n in t]

    # the scoreboard
    s = tab["scoreboard"]
    rows = []
    for r in s.itertuples(index=False):
        rows.append(Row([c.num(f.count(r.rank) if not missing(r.rank) else "–", r.rank), c.label(r.unit_name),
                         c.label(t[r.third] if isinstance(r.third, str) else "–"),
                         c.col(r.arrow if isinstance(r.arrow, str) else "–", "center"),
                         c.number(_f(r.fuldtidspersoner), 0), c.count(_f(r.labour_force)), c.pct(_f(r.rate)),
                         c.number(_f(r.change_month_pp), 2), c.number(_f(r.change_year_pp), 2)]))
    cols = [c.col(t[k], "num" if k not in ("unit", "third") else "label")
            for k in ("rank", "unit", "third", "arrow", "ftp", "labour_force", "rate", "d_month", "d_year")]
    out += blocks.table(Table("bench_score", t["score_caption"].format(month), cols, rows,
                              how_to_read=t["score_read"].format(d["previous"] or "–")))

    # comparisons (table 5.3)
    best = t["best"].format(d["best"])
    names = {"all": t["country"] if d["all_units_are_country"] else t["all_units"], "best": best,
             "comparison": d["comparison_name"]}
    ch = tab["changes"]
    rows = [Row([c.label(names[r.series]), c.pct(_f(r.rate)), c.number(_f(r.change_month_pp), 2),
                 c.number(_f(r.change_year_pp), 2)]) for r in ch.itertuples(index=False)]
    out += blocks.table(Table("bench_series", t["series_caption"].format(month),
                              [c.col(t["series"], "label"), c.col(t["rate"]), c.col(t["d_month"]),
                               c.col(t["d_year"])], rows, notes=[t["series_note"]]))

    # small multiples
    units = list(zip(s["unit"], s["unit_name"]))
    saved = render_figure(figures.small_multiples, f"benchmark_{d['group']}", tab["levels"], tab["series"], units,
                          d["months"], {"unit": t["unit"], "axis": t["rate"] + " (%)", **names}, f)
    out.append(blocks.figure(saved, t["fig_caption"] + f" ({label})", []))

    if "caseload" in tab:
        cl = tab["caseload"]
        rows = [Row([c.label(r.unit_name), c.number(_f(r.caseworkers), 1), c.number(_f(r.fuldtidspersoner), 0),
                     c.number(_f(r.fuldtidspersoner_per_caseworker), 1), c.number(_f(r.citizens_per_caseworker), 1)])
                for r in cl.itertuples(index=False)]
        out += blocks.table(Table("bench_caseload", t["caseload_caption"].format(month),
                                  [c.col(t["unit"], "label"), c.col(t["caseworkers"]), c.col(t["ftp"]),
                                   c.col(t["ftp_per"]), c.col(t["citizens_per"])], rows, notes=[t["caseload_note"]]))

    if "expected" in tab:
        e, m = tab["expected"], tab["model"]
        rows = [Row([c.label(r.unit_name), c.pct(_f(r.actual)), c.pct(_f(r.expected)), c.num(f.pp(_f(r.difference), 2), r.difference),
                     c.interval(_f(r.low), _f(r.high), True),
                     c.col(t["yes"] if str(r.outside) in ("True", "1", "1.0") else t["no"], "center")])
                for r in e.itertuples(index=False)]
        covs = ", ".join(x for x in m["term"] if x != "const")
        fit = d["fit"] or {}
        note = t["expected_note"].format(covs, fit.get("n_units", "–"), f.number(fit.get("r2"), 2))
        out += blocks.table(Table("bench_expected", t["expected_caption"].format(month),
                                  [c.col(t["unit"], "label"), c.col(t["actual"]), c.col(t["expected"]),
                                   c.col(t["difference"]), c.col(t["pi"].format(d["level"])),
                                   c.col(t["outside"], "center")], rows, notes=[note]))
    return [Section(f"benchmark_{d['group']}", t["s_bench"].format(label), out)], blocks.figures


__all__ = ["benchmark_sections"]

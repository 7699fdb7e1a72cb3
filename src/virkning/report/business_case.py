"""A business case (`virkning.economics.BusinessCase`) as a report section: one sentence a budget reader
understands and the table by year, built from the shared report components (Danish or English)."""

from __future__ import annotations

from virkning.economics import BusinessCase, summary_numbers
from virkning.report.components import Blocks, Cells, Numbering, Row, Section, Table
from virkning.report.formatting import Formatter
from virkning.report.strings import ui

BC_UI: dict[str, tuple[str, str]] = {
    "s_bc": ("Business case", "Business case"),
    "bc_sentence": ("I {0}-{1} koster indsatsen {2} mio. kr. og sparer {3} mio. kr. i ydelser ({4} %-interval {5} til "
                    "{6} mio. kr.), en nettogevinst på {7} mio. kr. eller {8} kr. tilbage pr. krone; {9}, og "
                    "sandsynligheden for, at den betaler sig, er {10} %.",
                    "Over {0}-{1} the intervention costs DKK {2} m and saves DKK {3} m in benefits ({4} % interval "
                    "{5} to {6} m), a net gain of DKK {7} m or DKK {8} back per krone; {9}, and the probability that it "
                    "pays is {10} %."),
    "payback": ("den har tjent sig hjem efter {0} år", "it has paid for itself after {0} years"),
    "bc_caption": ("Business case pr. år (nutidsværdier i kr.)", "Business case by year (present values, DKK)"),
    "year": ("År", "Year"),
    "weeks_saved": ("Sparede ydelsesuger", "Benefit weeks saved"),
    "pv_savings": ("Besparelse", "Savings"),
    "pv_costs": ("Omkostninger", "Costs"),
    "pv_net": ("Netto", "Net"),
    "cumulative": ("Akkumuleret netto", "Cumulative net"),
    "total": ("I alt", "Total"),
    "bc_note": ("Diskontering: {0}. Ydelsessats: {1}.", "Discounting: {0}. Benefit rate: {1}."),
    "never": ("den tjener sig ikke hjem inden for horisonten", "it does not pay for itself within the horizon"),
}


def business_case_section(case: BusinessCase, language: str = "da", numbering: Numbering | None = None,
                          source: str = "") -> Section:
    f = Formatter(language)
    t = ui(language, BC_UI)
    c = Cells(f, t)
    b = Blocks(t, numbering or Numbering(), 5, source or t["source"])
    s = summary_numbers(case)
    m = lambda v: f.number(None if v is None else v / 1e6, 1)  # noqa: E731
    payback = t["payback"].format(f.number(s.payback_years, 1)) if s.payback_years is not None else t["never"]
    sentence = t["bc_sentence"].format(s.first_year, s.last_year, m(s.costs), m(s.gross_savings),
                                       f.number(100 * s.level, 0), m(s.savings_low), m(s.savings_high),
                                       m(s.net_gain), f.number(s.return_per_krone, 2), payback,
                                       f.number(None if s.p_pays is None else 100 * s.p_pays, 0))
    frame = case.to_frame()
    rows = [Row([c.label(t["total"] if str(r.year) == "total" else str(r.year)), c.number(r.weeks_saved, 0),
                 c.number(r.pv_savings, 0), c.number(r.pv_cost, 0), c.number(r.pv_net, 0),
                 c.number(r.cumulative_pv_net, 0)]) for r in frame.itertuples(index=False)]
    cols = [c.col(t["year"], "label")] + [c.col(t[k]) for k in ("weeks_saved", "pv_savings", "pv_costs", "pv_net",
                                                               "cumulative")]
    table = Table("business_case", t["bc_caption"], cols, rows,
                  notes=[t["bc_note"].format(s.discount_description, case.rate_description)])
    return Section("business_case", t["s_bc"], [b.p(sentence), *b.table(table)])

"""Figures: suppressed points are gaps, counts are marked in the inline SVG, files are stable."""

import math

import matplotlib

from virkning.analyses.effect import figures
from virkning.analyses.effect.strings import EFFECT_UI
from virkning.report.figures import RC, render_figure
from virkning.report.formatting import Formatter
from virkning.report.strings import ui as shared_ui


def ui(lang):
    return shared_ui(lang, EFFECT_UI)


def rows(n=4):
    return [{"month": m, "treated_mean": 0.1 * m, "control_mean": 0.08 * m, "att": 0.02 * m, "ci_low": 0.0,
             "ci_high": 0.04 * m, "at_risk_treated": 100 - m, "at_risk_control": 100 - 2 * m} for m in range(1, n + 1)]


def build(rs, **kw):
    with matplotlib.rc_context(RC):
        return figures.effect_figure(rs, share=True, origin=True, fmt=Formatter("da"), t=ui("da"), **kw)


def test_null_points_are_not_drawn():
    rs = rows()
    rs[1]["treated_mean"] = None
    rs[2].update(att=None, ci_low=None, ci_high=None)
    fig = build(rs)
    top, middle = fig.axes[0], fig.axes[1]
    treated, control = top.lines[0].get_ydata(), top.lines[1].get_ydata()
    assert math.isnan(treated[2]) and not any(math.isnan(v) for v in control)  # index 0 is month 0
    assert math.isnan(middle.lines[0].get_ydata()[3])
    assert list(top.lines[0].get_xdata()) == [0, 1, 2, 3, 4]


def test_tick_labels_keep_the_decimals_the_spacing_needs():
    # shares up to 4 % are ticked every 0.5: labels must read 0,5 and 1,5, not repeat 0 %, 1 %, 2 %
    rs = [{"month": m, "treated_mean": 0.005 * m, "control_mean": 0.006 * m, "att": -0.001 * m, "ci_low": -0.003 * m,
           "ci_high": 0.001 * m, "at_risk_treated": 100, "at_risk_control": 100} for m in range(1, 8)]
    fig = build(rs)
    fig.canvas.draw()
    for ax in fig.axes[:2]:
        labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
        assert len(labels) == len(set(labels)) >= 3, labels
    top = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert "0,5 %" in top or "1,0 %" in top, top


def test_at_risk_rows_and_count_marks(tmp_path):
    rs = rows(3)
    rs[2]["at_risk_control"] = None
    saved = render_figure(figures.effect_figure, "curve", rs, share=True, origin=True,
                                  fmt=Formatter("da"), t=ui("da"))
    assert saved.png.startswith(b"\x89PNG") and saved.svg.startswith(b"<?xml")
    inline = saved.inline
    # 3 participant counts and 2 control counts are marked; the suppressed one is a dash without the mark
    assert inline.count('<text class="count"') == 5
    assert ">–</text>" in inline
    assert "xmlns" not in inline and "http" not in inline and "<?xml" not in inline
    assert 'id="curve-' in inline and 'id="figure_1"' not in inline  # ids are unique to the figure


def test_flow_figure_marks_counts(tmp_path):
    steps = [
        {"label": "Registreret", "participants": 1619, "pool_persons": None, "pool_pairs": None,
         "show_participants": True, "show_pool": False},
        {"label": "Matchet", "participants": 1619, "pool_persons": 1500, "pool_pairs": 1619,
         "show_participants": True, "show_pool": True},
    ]
    saved = render_figure(figures.flow_figure, "flow", steps, Formatter("da"), ui("da"))
    import re

    marked = re.findall(r'<text class="count"[^>]*>([^<]*)</text>', saved.inline)
    assert marked == ["1.619", "1.619", "1.500", "1.619"]


def test_files_are_byte_identical(tmp_path):
    a = render_figure(figures.effect_figure, "c", rows(), share=True, origin=False,
                              fmt=Formatter("en"), t=ui("en"))
    b = render_figure(figures.effect_figure, "c", rows(), share=True, origin=False,
                              fmt=Formatter("en"), t=ui("en"))
    assert a.png == b.png and a.svg == b.svg
    assert b"<dc:date>" not in a.svg

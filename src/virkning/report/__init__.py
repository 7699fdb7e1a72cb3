"""The self-contained HTML report of an effect evaluation, rendered from a results bundle (results.json).

    from virkning.report import render_report
    path = render_report(bundle, Path("out"), language="da")   # out/report.html, out/figures/*.png|svg

Modules: `model` (reading the bundle), `formatting` (Danish/English numbers and dates), `labels` and `strings`
(words), `tables`, `figures` (matplotlib), `prose` (sentences), `render` (assembly with jinja2 templates).
"""

from virkning.report.render import render_report

__all__ = ["render_report"]

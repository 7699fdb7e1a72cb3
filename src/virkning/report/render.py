"""One document template for every page virkning writes: the evaluation report and the monthly status reports.

    html = render_document(sections, title="Seniorvikar", kicker="Effektevaluering", language="da", ...)

The page is self-contained: inline CSS (templates/style.css) and inline SVG figures, no network access needed to
open it. Sections come from the analyses (built with `virkning.report.components`); section templates of an
analysis (e.g. the effect evaluation's method appendix) are found in the folders given as `template_dirs`. The same
sections give the same bytes. The report computes nothing: every number it shows is a value it was handed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import jinja2
from markupsafe import Markup

from virkning.report.components import Section
from virkning.report.strings import ui

TEMPLATES = Path(__file__).parent / "templates"
LANGUAGES = ("da", "en")


def environment(template_dirs: Sequence[Path] = ()) -> jinja2.Environment:
    loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(TEMPLATES)),
                                  *[jinja2.FileSystemLoader(str(d)) for d in template_dirs]])
    env = jinja2.Environment(loader=loader, autoescape=jinja2.select_autoescape(
        enabled_extensions=("html", "j2"), default_for_string=True, default=True), undefined=jinja2.StrictUndefined,
        trim_blocks=False, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["upper_first"] = lambda text: str(text)[:1].upper() + str(text)[1:]
    return env


def check_language(language: str | None) -> str:
    lang = language or "da"
    if lang not in LANGUAGES:
        raise ValueError(f"report language expected one of {', '.join(LANGUAGES)}; got '{lang}'")
    return lang


def render_document(sections: Sequence[Section], *, title: str, kicker: str, language: str = "da",
                    synthetic: bool = False, lead: str = "", toc: bool = True,
                    template_dirs: Sequence[Path] = ()) -> str:
    """The HTML page: heading, optional synthetic-data banner and lead paragraph, contents, numbered sections."""
    lang = check_language(language)
    numbered = list(sections)
    for i, s in enumerate(numbered, start=1):
        s.number = i
    template = environment(template_dirs).get_template("report.html.j2")
    return template.render(lang=lang, t=ui(lang), title=title, kicker=kicker, synthetic=synthetic, lead=lead,
                           toc=toc, sections=numbered, css=Markup((TEMPLATES / "style.css").read_text(encoding="utf-8")))

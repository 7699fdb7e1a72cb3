"""The report as PDF: the same HTML page, printed by WeasyPrint with the page's print stylesheet.

    data = report_pdf(html, Cover(language="da", version=__version__, design_hash=sha256_of_design_file,
                                  date=report_date(["2019-07"]), organisation=None))

What the PDF adds to the page (docs/report.md, "PDF and print"): a cover page (kicker, title and banner of the page,
organisation, date, virkning version, the design's SHA-256, the contents with page numbers), "Side X af Y" at the
foot of every page, collapsed sections (`<details>`) printed open, landscape pages for tables too wide for portrait
A4 (found on the laid-out boxes), figures' text alternatives as /Alt, and a tagged PDF (PDF/UA-1: structure tags,
the document language from `<html lang>`, the title in the metadata). The rest is the page's own `@media print`
rules (templates/style.css): A4, small table type, headers wrapping between words, page-break rules.

The bytes depend on the HTML and the cover only: WeasyPrint reads no clock, the PDF's creation date is the cover's
date (a date of the run's inputs, see `report_date`), and the file identifier is a hash of that content.
WeasyPrint needs Pango (Debian: libpango-1.0-0 libpangoft2-1.0-0); it is imported only when a PDF is asked for.
"""

from __future__ import annotations

import base64
import calendar
import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser

from markupsafe import escape

from virkning.dating import source_date
from virkning.errors import VirkningError
from virkning.report.formatting import Formatter

#: PDF/UA-1 makes WeasyPrint tag the structure (headings, tables with header cells, figures, lists) and write the
#: language and title the standard asks for; it implies pdf_tags=True
PDF_VARIANT = "pdf/ua-1"
#: a table with more rows than this may run over pages (its header repeats); shorter ones are kept on one page
LONG_TABLE_ROWS = 25
#: tables with this many columns (in their widest row) are measured for a landscape page before the page is laid
#: out: the effect tables by month with the relative effect (13 columns) are too wide for portrait A4, the widest
#: tables that fit have 11. Speed only: a table with fewer columns that is too wide is found on the laid-out page
WIDE_COLUMNS = 12

WORDS = {
    "da": {"page": ("Side ", " af "), "date": "Dato", "version": "virkning-version", "design": "Design (SHA-256)",
           "organisation": "Organisation", "contents": "Indhold", "data_until": "Data til og med"},
    "en": {"page": ("Page ", " of "), "date": "Date", "version": "virkning version", "design": "Design (SHA-256)",
           "organisation": "Organisation", "contents": "Contents", "data_until": "Data up to and including"},
}


class PdfError(VirkningError):
    """The PDF could not be made (WeasyPrint or its system libraries missing)."""


@dataclass(frozen=True)
class Cover:
    """What the cover page says besides the page's own heading (kicker, title, synthetic-data banner)."""

    language: str
    version: str
    design_hash: str
    date: dt.date | None = None
    organisation: str | None = None

    def __repr__(self) -> str:
        return (f"Cover({self.language}, virkning {self.version}, design {self.design_hash[:12]}..., "
                f"date {self.date}, organisation {self.organisation!r})")


def report_date(end_months: Iterable[str | None]) -> dt.date | None:
    """The date a report is dated with: SOURCE_DATE_EPOCH when set (the reproducible-builds convention), otherwise
    the last day of the latest register month the results rest on ('YYYY-MM'); None when neither is known. Never
    the clock: the same inputs give the same PDF."""
    given = source_date(PdfError)
    if given is not None:
        return given
    months = sorted(m for m in end_months if m and re.fullmatch(r"\d{4}-\d{2}", m))
    if not months:
        return None
    year, month = map(int, months[-1].split("-"))
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def design_digest(design: Mapping) -> str:
    """SHA-256 of a design's settings as a results bundle holds them (canonical JSON), for re-rendered bundles that
    come without their design file; `virkning evaluate` uses the design file's own hash (as in manifest.json)."""
    text = json.dumps(design, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _page_css(language: str) -> str:
    before, between = WORDS[language]["page"]
    return f"""
@page {{
  @bottom-right {{ content: "{before}" counter(page) "{between}" counter(pages); font: 7.5pt "DejaVu Sans", sans-serif;
                  color: #555b63; }}
  @bottom-left {{ content: string(doctitle); font: 7.5pt "DejaVu Sans", sans-serif; color: #555b63; }}
}}
@page cover {{ @bottom-left {{ content: none; }} }}
@page wide {{ size: A4 landscape; margin: 14mm 16mm 16mm; }}
.table-wrap.long {{ break-inside: auto; }}
header.doc {{ page: cover; border-bottom: none; padding-top: 30mm; }}
header.doc h1 {{ font-size: 24pt; string-set: doctitle content(); }}
header.doc .kicker {{ font-size: 11pt; }}
dl.cover {{ display: grid; grid-template-columns: 38mm 1fr; gap: 3px 10px; margin: 14mm 0 0; padding-top: 4mm;
           border-top: 2px solid var(--blue); font-size: 9pt; }}
dl.cover dt {{ font-weight: bold; }}
dl.cover dd {{ margin: 0; overflow-wrap: anywhere; }}
nav.toc {{ display: block; page: cover; margin-top: 12mm; }}
nav.toc h2 {{ font-size: 11pt; }}
nav.toc ol {{ columns: 1; font-size: 9pt; }}
nav.toc a::after {{ content: leader(".") target-counter(attr(href), page); }}
main {{ break-before: page; }}
/* the figures as images (_figure_images): as the page's rules size them inline */
.figure-body img.figure-svg {{ display: block; width: 100%; height: auto; margin: 0 auto; max-height: 125mm; }}
"""


def _cover_html(cover: Cover) -> str:
    w = WORDS[cover.language]
    rows = []
    if cover.organisation:
        rows.append((w["organisation"], cover.organisation))
    if cover.date is not None:
        rows.append((w["date"], Formatter(cover.language).date(cover.date)))
    rows += [(w["version"], cover.version), (w["design"], cover.design_hash)]
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    return f'<dl class="cover">{items}</dl>\n'


def pdf_html(html: str, cover: Cover) -> str:
    """The page as WeasyPrint renders it: details open, the cover's facts under the heading, the PDF's page rules and
    the creation date in the metadata. The screen page itself is left as it is."""
    if cover.language not in WORDS:
        raise PdfError(f"report language expected one of {', '.join(WORDS)}; got '{cover.language}'")
    out = _long_tables(_figure_images(re.sub(r"<details(?=[\s>])(?![^>]*\bopen\b)", "<details open", html)))
    out = out.replace("</header>", _cover_html(cover) + "</header>", 1)
    meta = [f'<meta name="generator" content="virkning {escape(cover.version)}">']
    if cover.date is not None:
        meta.append(f'<meta name="dcterms.created" content="{cover.date.isoformat()}">')
    out = out.replace("</style>", _page_css(cover.language) + "</style>\n" + "\n".join(meta), 1)
    return out


def _weasyprint():
    try:
        import weasyprint
    except OSError as exc:  # the Python package is there but Pango is not
        raise PdfError(f"the PDF needs the Pango library (Debian: apt-get install libpango-1.0-0 libpangoft2-1.0-0; "
                       f"other systems: see WeasyPrint's installation notes): {exc}") from None
    except ImportError:
        raise PdfError("the PDF needs WeasyPrint: pip install weasyprint") from None
    return weasyprint


@dataclass(frozen=True)
class Overflow:
    """A table's width and the room its page's content area gives it (CSS px), and where it is; an overflow when
    the table is the wider."""

    page: int
    caption: str
    width: float
    room: float
    wrap_id: str | None  # the id of its `div.table-wrap` (tab-<key>), if it has one


def _figure_images(html: str) -> str:
    """Each inline SVG figure as an `<img>` of the same SVG document (a data URI) with the same class and style, and
    its text alternative as `alt`, which WeasyPrint makes the /Alt of the tagged figure (PDF/UA asks every figure for
    one): the figure's aria-label (its text alternative on screen) where it has one, else its caption. Both are
    escaped HTML already; the caption's tags are dropped. WeasyPrint draws an inline SVG as the same image, but first
    styles each of its elements as part of the page (some 2,700 of the 6,000 elements of the demo's evaluation):
    as an image, the same PDF, to the byte, takes a fifth less time to lay out (a seventh less in all)."""

    def image(m: re.Match) -> str:
        before, caption, attrs, body = m.groups()  # before: the caption and the figure's body, kept as they are
        label = re.search(r'\saria-label="([^"]*)"', attrs)
        style = re.search(r'\sstyle="([^"]*)"', attrs)
        alt = label.group(1) if label else " ".join(re.sub(r"<[^>]+>", " ", caption).split())
        root = re.sub(r'\s(?:role|aria-label|class|style)="[^"]*"', "", attrs)
        svg = f'<svg xmlns="http://www.w3.org/2000/svg"{root}>{body}</svg>'
        data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
        styled = f' style="{style.group(1)}"' if style else ""
        return f'{before}<img class="figure-svg" alt="{alt}"{styled} src="data:image/svg+xml;base64,{data}">'

    # the caption never runs past its own end tag: a figure drawn otherwise (no inline SVG) is left as it is
    return re.sub(r'(<figcaption[^>]*>((?:(?!</figcaption>).)*)</figcaption>\s*<div class="figure-body">\s*)'
                  r'<svg([^>]*)>(.*?)</svg>', image, html, flags=re.S)


def _long_tables(html: str) -> str:
    """`long` on the table-wraps of tables with many rows: the print stylesheet keeps the others on one page."""

    def mark(m: re.Match) -> str:
        rows = m.group(0).count("<tr")
        return m.group(0).replace('class="table-wrap"', 'class="table-wrap long"', 1) if rows > LONG_TABLE_ROWS \
            else m.group(0)

    return re.sub(r'<div class="table-wrap"[^>]*>.*?</table>', mark, html, flags=re.S)


def _layout(page: str):
    return _weasyprint().HTML(string=page).render(pdf_variant=PDF_VARIANT)


def render(html: str, cover: Cover):
    """WeasyPrint's laid-out document (pages and boxes) of the report. A table that does not fit a portrait page
    gets a landscape page; `table_overflows` of the result lists any table that still does not fit.

    The tables with many columns (`WIDE_COLUMNS`) are measured first, on the page cut down to them
    (`tables_page`: the same widths at a fraction of the whole page's layout), so a page whose wide tables are
    among them is laid out once, with its landscape pages named. Any other table found too wide on the laid-out
    page turns too, at the cost of one layout more; so which tables turn never depends on the column count."""
    page = pdf_html(html, cover)
    measure = tables_page(page, WIDE_COLUMNS)
    wide = {o.wrap_id for o in table_overflows(_layout(measure)) if o.wrap_id} if measure is not None else set()
    document = _layout(_turned(page, wide) if wide else page)
    missed = {o.wrap_id for o in table_overflows(document) if o.wrap_id} - wide
    return _layout(_turned(page, wide | missed)) if missed else document


def _turned(page: str, wide: set[str]) -> str:
    """The page with landscape pages for the table-wraps `wide` (ids) and the sections they open."""
    # a section that opens with a wide table turns as a whole, so its heading stays with the table
    opening = r'<section id="([^"]+)">\s*<h2[^>]*>(?:(?!</h2>).)*</h2>\s*<div class="table-wrap[^"]*" id="([^"]+)"'
    wide = wide | {section for section, first in re.findall(opening, page, flags=re.S) if first in wide}
    rules = ", ".join(f"#{w}" for w in sorted(wide))
    # the other sections named too: WeasyPrint keeps an unnamed (auto) section after a wide one on its page
    return page.replace("</style>", f"main > section {{ page: portrait; }}\n{rules} {{ page: wide; }}\n</style>", 1)


#: elements without an end tag (HTML's void elements)
_VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())


class _Tables(HTMLParser):
    """Where the page's table-wraps are (offsets of their text) and the start tags of the elements around each."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=False)
        self.page = page
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", page)]
        self.open: list[tuple[str, int, str, bool]] = []  # tag, offset, start tag as written, a table-wrap?
        self.body: int | None = None  # where the body's content begins
        self.wraps: list[tuple[list[tuple[str, int, str]], int, int, int]] = []  # ancestors, start, end, columns
        self.columns = self.row = 0  # the widest row of the table-wrap open, and the row open
        self.clean = True

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag, attrs):
        written = self.get_starttag_text() or ""
        if tag == "body":
            self.body = self._offset() + len(written)
        if tag == "tr":
            self.row = 0
        elif tag in ("td", "th"):
            span = dict(attrs).get("colspan") or "1"
            self.row += int(span) if span.isdigit() else 1
            self.columns = max(self.columns, self.row)
        if tag not in _VOID:
            wrap = tag == "div" and "table-wrap" in (dict(attrs).get("class") or "").split()
            if wrap and not any(w for *_, w in self.open):
                self.columns = 0
            self.open.append((tag, self._offset(), written, wrap))

    def handle_endtag(self, tag):
        if tag in _VOID:
            return
        if not self.open or self.open[-1][0] != tag:
            self.clean = False  # an end tag left out or out of order: offsets no longer say what sits where
            return
        _, start, _, wrap = self.open.pop()
        if wrap and not any(w for *_, w in self.open):
            end = self.page.index(">", self._offset()) + 1
            self.wraps.append(([a[:3] for a in self.open if a[0] not in ("html", "body")], start, end, self.columns))


def tables_page(page: str, min_columns: int = 0) -> str | None:
    """The page cut down to its tables of `min_columns` columns or more, to measure their widths: the head (all
    style sheets) and each table-wrap as written, inside the start tags of the elements it sits in, which give it
    the same room and style as in the whole page; the text, figures and cover around them left out (the stylesheet
    floats nothing beside a table, and no selector looks at siblings). None when no table has that many columns or
    the page does not split into elements cleanly."""
    found = _Tables(page)
    found.feed(page)
    found.close()
    wraps = [w[:3] for w in found.wraps if w[3] >= min_columns]
    if not found.clean or found.open or found.body is None or not wraps:
        return None
    out = [page[:found.body]]
    open_: list[tuple[str, int, str]] = []  # the elements open in the cut-down page
    for ancestors, start, end in wraps:
        shared = 0  # the elements this wrap shares with the one before stay open
        while shared < min(len(open_), len(ancestors)) and open_[shared][1] == ancestors[shared][1]:
            shared += 1
        out += [f"</{tag}>" for tag, *_ in reversed(open_[shared:])] + [a[2] for a in ancestors[shared:]]
        out.append(page[start:end])
        open_ = ancestors
    out += [f"</{tag}>" for tag, *_ in reversed(open_)] + ["</body></html>"]
    return "".join(out)


def write(document) -> bytes:
    """The PDF bytes of a laid-out report: PDF/UA-1, with a file identifier that is an MD5 of the content."""
    # The embedded font subsets carry a modification time that fontTools takes from the clock unless
    # SOURCE_DATE_EPOCH is set: without a fixed one, two runs a second apart give different bytes.
    fixed = "SOURCE_DATE_EPOCH" not in os.environ
    if fixed:
        os.environ["SOURCE_DATE_EPOCH"] = "0"
    try:
        return document.write_pdf(pdf_variant=PDF_VARIANT, pdf_identifier=True)
    finally:
        if fixed:
            del os.environ["SOURCE_DATE_EPOCH"]


def report_pdf(html: str, cover: Cover) -> bytes:
    """The PDF bytes of a report page (a tagged PDF/UA-1 file)."""
    return write(render(html, cover))


def table_overflows(document) -> list[Overflow]:
    """Tables wider than their page's content area; empty when every table fits."""
    return [table for table, wider in _tables(document) if wider]


def table_widths(document) -> list[Overflow]:
    """Every laid-out table (each page's part of one) with its width and the room its page gives it."""
    return [table for table, _ in _tables(document)]


def _tables(document) -> Iterator[tuple[Overflow, bool]]:
    from weasyprint.formatting_structure import boxes

    for number, page in enumerate(document.pages, start=1):
        root = page._page_box
        right_edge = root.margin_width() - root.margin_right - root.padding_right - root.border_right_width
        stack = [(root, None, None)]
        while stack:
            box, parent, wrap = stack.pop()
            element = getattr(box, "element", None)
            if element is not None and element.tag == "div" and "table-wrap" in (element.get("class") or ""):
                wrap = element.get("id")
            if isinstance(box, boxes.TableBox):
                caption = " ".join(_texts(c) for c in getattr(parent, "children", ())
                                   if isinstance(c, boxes.TableCaptionBox))
                yield (Overflow(number, re.sub(r"\s+", " ", caption).strip()[:60], round(box.margin_width(), 1),
                                round(right_edge - box.position_x, 1), wrap),
                       box.position_x + box.margin_width() > right_edge + 0.5)
                continue
            stack.extend((child, box, wrap) for child in getattr(box, "children", ()))


def _texts(box) -> str:
    from weasyprint.formatting_structure import boxes

    if isinstance(box, boxes.TextBox):
        return box.text
    return " ".join(_texts(c) for c in getattr(box, "children", ()))

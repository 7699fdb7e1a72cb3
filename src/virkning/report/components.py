"""The pieces every report section is built from: tables of cells, figures, paragraphs, lists, notes.

A section is a title and a list of blocks (plain dicts read by `templates/macros.html.j2`). Tables are cells with
text and CSS classes; counts of persons get the class `count` (and only they), so the disclosure audit of the HTML
finds every one of them, and a suppressed value shows "–" and marks its table, which then gets the footnote "Ikke
vist: færre end N personer". Numbering of tables and figures runs across all sections of a page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup, escape

from virkning.report.figures import SavedFigure
from virkning.report.formatting import DASH, Formatter, missing


@dataclass
class Cell:
    text: str
    cls: str = ""
    colspan: int = 1
    suppressed: bool = False
    lang: str = ""  # a passage in another language than the page's (e.g. a design's own names), for screen readers


@dataclass
class Row:
    cells: list[Cell]
    cls: str = ""


@dataclass
class Table:
    key: str
    caption: str
    columns: list[Cell]
    rows: list[Row]
    groups: list[Cell] = field(default_factory=list)  # optional header row above the columns (colspans)
    how_to_read: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def suppressed(self) -> bool:
        return any(c.suppressed for r in self.rows for c in r.cells)


@dataclass
class Section:
    key: str
    title: str
    blocks: list[dict] = field(default_factory=list)
    number: int = 0


class Numbering:
    """Figure and table numbers in reading order."""

    def __init__(self):
        self.figure = 0
        self.table = 0

    def next_figure(self) -> int:
        self.figure += 1
        return self.figure

    def next_table(self) -> int:
        self.table += 1
        return self.table


class Cells:
    """Cell makers in one language: counts, numbers, shares, differences, intervals, labels."""

    def __init__(self, fmt: Formatter, t: dict):
        self.f = fmt
        self.t = t

    def count(self, v) -> Cell:
        if missing(v):
            return Cell(DASH, "num", suppressed=True)
        return Cell(self.f.count(v), "num count")

    def num(self, text: str, value=0) -> Cell:
        return Cell(text, "num", suppressed=text == DASH and missing(value))

    def number(self, v, decimals: int = 0) -> Cell:
        return self.num(self.f.number(v, decimals), v)

    def pct(self, v, decimals: int = 1) -> Cell:
        return self.num(self.f.pct(v, decimals), v)

    def value(self, v, share: bool) -> Cell:
        return self.num(self.f.pct(v) if share else self.f.number(v, 1), v)

    def diff(self, v, share: bool) -> Cell:
        return self.num(self.f.pp(v) if share else self.f.number(v, 1), v)

    def interval(self, lo, hi, share: bool) -> Cell:
        return self.num(self.f.interval(lo, hi, 100.0 if share else 1.0), lo if missing(lo) else hi)

    def significant(self, lo, hi) -> Cell:
        if missing(lo) or missing(hi):
            return Cell(DASH, "center", suppressed=True)
        sig = float(lo) > 0 or float(hi) < 0
        return Cell(self.t["yes"] if sig else self.t["no"], "center sig" if sig else "center")

    def label(self, text: str, indent: bool = False) -> Cell:
        return Cell(text, "label indent" if indent else "label")

    def col(self, text: str, cls: str = "num") -> Cell:
        return Cell(text, cls)


class Blocks:
    """Block makers for one page: numbered tables and figures with their notes and source line."""

    def __init__(self, t: dict, numbering: Numbering, threshold: int, source: str):
        self.t = t
        self.n = numbering
        self.threshold = threshold
        self.source = source
        self.figures: dict[str, SavedFigure] = {}

    def table(self, table: Table | None, *, source: bool = True) -> list[dict]:
        if table is None:
            return []
        notes = list(table.notes)
        if table.suppressed:
            notes.append(self.t["suppressed_note"].format(self.threshold))
        return [{"type": "table", "number": self.n.next_table(), "table": table, "notes": notes,
                 "source": self.source if source else ""}]

    def figure(self, saved: SavedFigure, caption: str, notes: list[str], *, alt: str = "",
               data: Table | None = None) -> dict:
        """A numbered figure. `alt` says in words what the figure shows (the SVG's accessible name, WCAG 1.1.1);
        `data` is a table of the figure's numbers (values already published in the page's tables), shown folded
        under the figure for readers who cannot see it. Its counts keep the class `count` like any table's."""
        self.figures[saved.stem] = saved
        alt = alt or caption
        svg = saved.inline.replace('role="img"', f'role="img" aria-label="{escape(alt)}"', 1)
        return {"type": "figure", "number": self.n.next_figure(), "caption": caption, "svg": Markup(svg),
                "stem": saved.stem, "notes": notes, "source": self.source, "alt": alt, "data": data}

    @staticmethod
    def p(html) -> dict:
        return {"type": "p", "html": html}

    @staticmethod
    def h3(text: str) -> dict:
        return {"type": "h3", "text": text}

    @staticmethod
    def note(text: str) -> dict:
        return {"type": "note", "text": text}

    @staticmethod
    def ul(items: list, cls: str = "") -> dict:
        return {"type": "ul", "items": items, "cls": cls}

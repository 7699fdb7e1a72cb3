"""Figures of every report (matplotlib, Agg): the house style, saving and inlining; each analysis draws its own.

Each figure is rendered in memory as PNG and SVG (the one writer puts them in `figures/<stem>.png|svg`) and as SVG
markup to inline in the HTML. Output is deterministic: a fixed `svg.hashsalt`, no dates in the metadata, no pyplot state. Text stays text
in the SVG (`svg.fonttype = none`), so numbers in figures are searchable; every count of persons drawn in a figure
is its own text element, which the inline copy marks with class `count` like the counts in the tables.

A value that is None (suppressed) is never drawn: curve points become gaps, and boxes or at-risk cells show "–".
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from virkning.report.formatting import Formatter, missing  # noqa: E402

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

PARTICIPANTS = "#0b5394"  # dark blue
CONTROLS = "#d46a00"  # orange (distinguishable in grey scale and for red-green colour blindness)
CONTROLS_TEXT = "#a65300"  # the orange darkened for text: 5.4:1 on white (WCAG AA asks 4.5:1; lines need 3:1)
BAND = "#9fc5e8"
GRID = "#d9d9d9"
TEXT = "#222222"
FLAG = "#b00020"

RC: dict[RcKeyType, Any] = {
    "svg.hashsalt": "virkning-report",
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica"],
    "font.size": 9.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#555555",
    "axes.labelcolor": TEXT,
    "xtick.color": "#444444",
    "ytick.color": "#444444",
    "axes.grid": False,
    "legend.frameon": False,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "path.simplify": False,
}
PNG_DPI = 150
COUNT_GID = "vcount"


@dataclass
class SavedFigure:
    stem: str
    png: bytes
    svg: bytes
    inline: str  # SVG markup for the HTML (namespaces stripped, ids prefixed, counts marked)


def _ticks(axis, fmt: Formatter, suffix: str = "") -> FuncFormatter:
    """Tick labels with as few decimals as the tick spacing needs: a 0-4 % axis ticked every 0.5 reads 0,5 and
    1,5, not 0 and 2 twice."""
    def label(v, _):
        locs = [float(x) for x in axis.get_majorticklocs()]
        decimals = next((d for d in range(3) if all(abs(x * 10**d - round(x * 10**d)) < 1e-6 for x in locs)), 3)
        return fmt.number(v, decimals) + suffix

    return FuncFormatter(label)


def _nan(x) -> float:
    return math.nan if missing(x) else float(x)


class Counter:
    """Gives each count drawn in a figure a unique gid so the inline SVG can mark it."""

    def __init__(self):
        self.i = 0

    def gid(self) -> str:
        self.i += 1
        return f"{COUNT_GID}-{self.i}"


def save(fig: Figure, stem: str) -> SavedFigure:
    """PNG and SVG with stable bytes, and the inline SVG."""
    with matplotlib.rc_context(RC):
        png = io.BytesIO()
        fig.savefig(png, format="png", dpi=PNG_DPI, metadata={"Software": None})
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    return SavedFigure(stem, png.getvalue(), text.encode("utf-8"), inline_svg(text, stem))


def inline_svg(text: str, stem: str) -> str:
    """SVG markup fit for an HTML page: no XML prolog, metadata or namespace URLs, ids unique to the figure,
    scalable to the page width, and counts of persons marked with class `count`."""
    text = re.sub(r"<\?xml[^>]*\?>\s*", "", text)
    text = re.sub(r"<!DOCTYPE[^>]*>\s*", "", text, flags=re.S)
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.S)
    text = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", text)
    text = text.replace("xlink:href=", "href=")
    text = re.sub(r'id="([^"]+)"', lambda m: f'id="{stem}-{m.group(1)}"', text)
    text = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{stem}-{m.group(1)})", text)
    text = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{stem}-{m.group(1)}"', text)
    text = re.sub(rf'(<g id="{re.escape(stem)}-{COUNT_GID}-\d+">\s*<text)', r'\1 class="count"', text)
    m = re.search(r'<svg([^>]*)\swidth="([\d.]+)pt"\sheight="([\d.]+)pt"', text)
    if m:
        width = float(m.group(2)) * 1.2
        text = text.replace(m.group(0), f'<svg{m.group(1)} role="img" class="figure-svg" '
                                         f'style="max-width: {width:.0f}pt"', 1)
    return text.strip()


def render_figure(build, stem: str, *args, **kwargs) -> SavedFigure:
    """Build a figure under the house rc settings and render it."""
    with matplotlib.rc_context(RC):
        fig = build(*args, **kwargs)
        return save(fig, stem)

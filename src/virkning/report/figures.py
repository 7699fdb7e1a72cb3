"""The report's figures (matplotlib, Agg): population flow, Love plot, effect curves with at-risk rows, forest plot.

Each figure is saved as `figures/<stem>.png` and `figures/<stem>.svg` and returned as SVG markup to inline in the
HTML. Output is deterministic: a fixed `svg.hashsalt`, no dates in the metadata, no pyplot state. Text stays text
in the SVG (`svg.fonttype = none`), so numbers in figures are searchable; every count of persons drawn in a figure
is its own text element, which the inline copy marks with class `count` like the counts in the tables.

A value that is None (suppressed) is never drawn: curve points become gaps, and boxes or at-risk cells show "–".
"""

from __future__ import annotations

import io
import math
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402
from matplotlib.patches import FancyBboxPatch  # noqa: E402
from matplotlib.transforms import blended_transform_factory  # noqa: E402

from virkning.report.formatting import DASH, Formatter, missing  # noqa: E402

PARTICIPANTS = "#0b5394"  # dark blue
CONTROLS = "#d46a00"  # orange (distinguishable in grey scale and for red-green colour blindness)
BAND = "#9fc5e8"
GRID = "#d9d9d9"
TEXT = "#222222"
FLAG = "#b00020"

RC = {
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
    png: Path
    svg: Path
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


def save(fig: Figure, folder: Path, stem: str) -> SavedFigure:
    """Write PNG and SVG with stable bytes and return the inline SVG."""
    folder.mkdir(parents=True, exist_ok=True)
    png, svg = folder / f"{stem}.png", folder / f"{stem}.svg"
    with matplotlib.rc_context(RC):
        fig.savefig(png, format="png", dpi=PNG_DPI, metadata={"Software": None})
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    svg.write_text(text, encoding="utf-8")
    return SavedFigure(stem, png, svg, inline_svg(text, stem))


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


# ---- flow diagram -------------------------------------------------------------------------------------------------
def flow_figure(steps: list[dict], fmt: Formatter, t: dict) -> Figure:
    """Boxes with arrows: participants (left) and the pool of potential controls (right), one row per step.

    `steps`: dicts with label, participants, pool_persons, pool_pairs, and show_participants / show_pool saying
    whether the step concerns each side.
    """
    counter = Counter()
    n = len(steps)
    row_h, box_h = 1.0, 0.84
    height = 0.9 + n * row_h * 0.88
    fig = Figure(figsize=(10, height))
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.98))
    ax.set_xlim(0, 10)
    ax.set_ylim(-n * row_h - 0.1, 0.9)
    ax.axis("off")
    cols = {"p": (2.45, 4.5), "c": (7.55, 4.5)}
    ax.text(cols["p"][0], 0.55, t["participants"], ha="center", va="center", fontsize=11, fontweight="bold",
            color=PARTICIPANTS)
    ax.text(cols["c"][0], 0.55, t["pool_long"], ha="center", va="center", fontsize=11, fontweight="bold",
            color=CONTROLS)
    char_w = 0.075  # approximate width of one 10-pt character in axis units (1 unit = 1 inch)

    def number_line(cx: float, y: float, value, unit: str) -> None:
        num = fmt.count(value)
        shift = (len(num) - len(unit) - 1) * char_w / 2
        ax.text(cx + shift, y, num, ha="right", va="center", fontsize=10.5, fontweight="bold", color=TEXT,
                gid=counter.gid() if num != DASH else None)
        ax.text(cx + shift, y, "\u00a0" + unit, ha="left", va="center", fontsize=9.5, color=TEXT)

    last = {"p": None, "c": None}
    for i, s in enumerate(steps):
        top = -i * row_h
        final = i == n - 1
        for side in ("p", "c"):
            if not s["show_participants" if side == "p" else "show_pool"]:
                continue
            cx, w = cols[side]
            colour = PARTICIPANTS if side == "p" else CONTROLS
            ax.add_patch(FancyBboxPatch((cx - w / 2, top - box_h), w, box_h, boxstyle="round,pad=0,rounding_size=0.08",
                                        facecolor="#eef4fa" if side == "p" else "#fdf0e4",
                                        edgecolor=colour, linewidth=2.2 if final else 1.0))
            label = textwrap.fill(s["label"], 52)
            lines = label.count("\n") + 1
            ax.text(cx, top - 0.1, label, ha="center", va="top", fontsize=9.5, color=TEXT, linespacing=1.1)
            base = top - 0.17 - 0.17 * lines
            if side == "p":
                number_line(cx, base - 0.12, s["participants"], t["persons"])
            else:
                number_line(cx - 1.05, base - 0.12, s["pool_persons"], t["persons"])
                number_line(cx + 1.05, base - 0.12, s["pool_pairs"], t["person_weeks"])
            if last[side] is not None:
                ax.annotate("", xy=(cx, top), xytext=(cx, last[side] - box_h),
                            arrowprops=dict(arrowstyle="-|>", color="#666666", lw=1.0, shrinkA=0, shrinkB=0))
            last[side] = top
    return fig


# ---- Love plot ------------------------------------------------------------------------------------------------------
def love_plot(rows: list[dict], threshold: float, fmt: Formatter, t: dict) -> Figure:
    """|SMD| before and after matching per term; `rows`: label, before, after (None = not shown)."""
    n = len(rows)
    label_w = 0.3 + 0.066 * max([len(r["label"]) for r in rows] + [10])  # inches for the labels at 8.5 pt
    width, height = label_w + 5.2, 1.7 + 0.24 * n
    fig = Figure(figsize=(width, height))
    ax = fig.add_axes((label_w / width, 0.8 / height, 1 - (label_w + 0.2) / width, 1 - 1.55 / height))
    ys = list(range(n))[::-1]
    top = max([abs(_nan(v)) for r in rows for v in (r["before"], r["after"]) if not missing(v)] + [threshold * 2])
    for y, r in zip(ys, rows):
        ax.axhline(y, color=GRID, lw=0.5, zorder=0)
        b, a = _nan(r["before"]), _nan(r["after"])
        if not math.isnan(b):
            ax.plot([abs(b)], [y], marker="o", ms=6, mfc="white", mec="#777777", mew=1.2, ls="none", zorder=3)
        if not math.isnan(a):
            ax.plot([abs(a)], [y], marker="o", ms=6, color=FLAG if abs(a) > threshold else PARTICIPANTS,
                    ls="none", zorder=4)
        if not (math.isnan(a) or math.isnan(b)):
            ax.plot([abs(b), abs(a)], [y, y], color="#bbbbbb", lw=0.8, zorder=2)
    ax.axvline(threshold, color=FLAG, ls="--", lw=1)
    ax.axvline(0, color="#555555", lw=0.8)
    ax.set_yticks(ys, [r["label"] for r in rows], fontsize=8.5)
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlim(0, top * 1.08)
    ax.set_xlabel(t["love_xlabel"])
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt.number(v, 2)))
    handles = [
        Line2D([], [], marker="o", ls="none", mfc="white", mec="#777777", mew=1.2, label=t["before_matching"]),
        Line2D([], [], marker="o", ls="none", color=PARTICIPANTS, label=t["after_matching"]),
        Line2D([], [], marker="o", ls="none", color=FLAG, label=t["after_flagged"]),
        Line2D([], [], color=FLAG, ls="--", label=t["threshold_line"].format(fmt.number(threshold, 1))),
    ]
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.01), ncols=2, fontsize=8.5, borderaxespad=0.2)
    return fig


# ---- effect curves ---------------------------------------------------------------------------------------------------
def effect_figure(rows: list[dict], *, share: bool, origin: bool, fmt: Formatter, t: dict) -> Figure:
    """Participants and controls by month (top), the difference with its 95 % band (middle) and the number at risk
    (bottom rows, as in lifelines' add_at_risk_counts). `rows` are effects rows of one outcome sorted by month;
    `origin` adds month 0 at zero (first-exit outcomes start with nobody exited)."""
    counter = Counter()
    scale = 100.0 if share else 1.0
    months = [int(r["month"]) for r in rows]
    tm = [_nan(r.get("treated_mean")) * scale for r in rows]
    cm = [_nan(r.get("control_mean")) * scale for r in rows]
    att = [_nan(r.get("att")) * scale for r in rows]
    lo = [_nan(r.get("ci_low")) * scale for r in rows]
    hi = [_nan(r.get("ci_high")) * scale for r in rows]
    if origin:
        months, tm, cm, att, lo, hi = [0] + months, [0.0] + tm, [0.0] + cm, [0.0] + att, [0.0] + lo, [0.0] + hi

    fig = Figure(figsize=(8, 6.4))
    gs = fig.add_gridspec(3, 1, height_ratios=[3.0, 2.0, 0.62], hspace=0.34, left=0.2, right=0.97, top=0.94,
                          bottom=0.04)
    ax1 = fig.add_subplot(gs[0])
    ax2 = fig.add_subplot(gs[1], sharex=ax1)
    ax3 = fig.add_subplot(gs[2], sharex=ax1)
    ax1.plot(months, tm, marker="o", ms=5, lw=2, color=PARTICIPANTS, label=t["participants"])
    ax1.plot(months, cm, marker="s", ms=4.5, lw=2, color=CONTROLS, ls="--", label=t["controls"])
    ax1.set_ylabel(t["share_axis"] if share else t["weeks_axis"])
    ax1.yaxis.set_major_formatter(_ticks(ax1.yaxis, fmt, (" %" if fmt.da else "%") if share else ""))
    ax1.set_ylim(bottom=0)
    ax1.grid(axis="y", color=GRID, lw=0.6)
    ax1.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=2, borderaxespad=0.2)
    ax1.tick_params(labelbottom=False)

    ax2.fill_between(months, lo, hi, color=BAND, alpha=0.8, lw=0, label=t["ci95"])
    ax2.plot(months, att, marker="o", ms=4.5, lw=2, color=PARTICIPANTS, label=t["difference"])
    ax2.axhline(0, color="#333333", lw=0.9)
    ax2.set_ylabel(t["diff_axis"] if share else t["diff_weeks_axis"])
    ax2.yaxis.set_major_formatter(_ticks(ax2.yaxis, fmt))
    ax2.grid(axis="y", color=GRID, lw=0.6)
    ax2.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=2, borderaxespad=0.2)
    ax2.set_xlabel(t["months_after"])
    ax2.set_xticks(months)
    ax2.set_xlim(min(months) - 0.4, max(months) + 0.4)

    ax3.axis("off")
    trans = blended_transform_factory(ax3.transData, ax3.transAxes)
    lab = blended_transform_factory(ax3.transAxes, ax3.transAxes)
    ax3.text(-0.02, 1.0, t["at_risk"], transform=lab, ha="right", va="top", fontsize=8.5, fontweight="bold")
    for y, key, name, colour in ((0.55, "at_risk_treated", t["participants"], PARTICIPANTS),
                                 (0.12, "at_risk_control", t["controls"], CONTROLS)):
        ax3.text(-0.02, y, name, transform=lab, ha="right", va="center", fontsize=8.5, color=colour)
        for r in rows:
            text = fmt.count(r.get(key))
            ax3.text(int(r["month"]), y, text, transform=trans, ha="center", va="center", fontsize=8.5, color=TEXT,
                     gid=counter.gid() if text != DASH else None)
    return fig


# ---- forest plot -----------------------------------------------------------------------------------------------------
def forest_figure(panels: list[dict], labels: list[tuple[str, bool]], fmt: Formatter, t: dict) -> Figure:
    """Subgroup effects at the horizon, one panel per outcome.

    `labels`: (text, is_header) per row, top to bottom; `panels`: dicts with title, share, overall (the main
    estimate or None), points (per row: (att, low, high) or None) and notes (per row: text to the right, e.g.
    the heterogeneity p-value on header rows)."""
    n = len(labels)
    k = len(panels)
    height = 1.2 + 0.27 * n
    label_w = 0.4 + 0.066 * max([len(text) for text, _ in labels] + [10])
    fig_w = label_w + 2.7 * k
    fig = Figure(figsize=(fig_w, height))
    left = label_w / fig_w
    width = (1 - left - 0.01) / k
    ys = list(range(n))[::-1]
    for j, p in enumerate(panels):
        ax = fig.add_axes((left + j * width + 0.012, 0.75 / height, width - 0.03, 1 - 1.2 / height))
        scale = 100.0 if p["share"] else 1.0
        xs = []
        for y, point, (text, header) in zip(ys, p["points"], labels):
            if header:
                ax.axhspan(y - 0.5, y + 0.5, color="#f2f2f2", lw=0, zorder=0)
            if point is None:
                continue
            est, low, high = (_nan(v) * scale for v in point)
            if not (math.isnan(low) or math.isnan(high)):
                ax.plot([low, high], [y, y], color=PARTICIPANTS, lw=1.6, zorder=3)
                xs += [low, high]
            if not math.isnan(est):
                ax.plot([est], [y], marker="s", ms=5.5, color=PARTICIPANTS, zorder=4)
                xs.append(est)
        ax.axvline(0, color="#333333", lw=0.9)
        if p.get("overall") is not None and not missing(p["overall"]):
            ax.axvline(float(p["overall"]) * scale, color=CONTROLS, ls="--", lw=1)
        span = max([abs(v) for v in xs] + [1.0])
        ax.set_xlim(-span * 1.15, span * 1.15 + span * 0.55)
        for y, note in zip(ys, p["notes"]):
            if note:
                ax.text(span * 1.2, y, note, ha="left", va="center", fontsize=7.5, color="#444444")
        ax.set_ylim(-0.6, n - 0.4)
        ax.set_yticks(ys, [text for text, _ in labels] if j == 0 else [""] * n, fontsize=8.5)
        if j == 0:
            for lbl, (_, header) in zip(ax.get_yticklabels(), labels):
                if header:
                    lbl.set_fontweight("bold")
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        ax.set_title(textwrap.fill(p["title"], 34), fontsize=9.5, fontweight="bold", loc="left")
        ax.set_xlabel(t["diff_axis"] if p["share"] else t["diff_weeks_axis"], fontsize=8.5)
        ax.xaxis.set_major_formatter(_ticks(ax.xaxis, fmt))
        ax.grid(axis="x", color=GRID, lw=0.5)
    return fig


def render_figure(build, folder: Path, stem: str, *args, **kwargs) -> SavedFigure:
    """Build a figure under the report's rc settings and save it."""
    with matplotlib.rc_context(RC):
        fig = build(*args, **kwargs)
        return save(fig, folder, stem)

"""The evidence report's figures: a forest plot of the studies' effects (with pooled estimates where a meta-analysis
was possible) and the search flow as boxes and arrows. Drawn in the house style of `virkning.report.figures`."""

from __future__ import annotations

import math
import textwrap

from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Polygon

from virkning.report.figures import BAND, CONTROLS, GRID, PARTICIPANTS, TEXT, _ticks
from virkning.report.formatting import Formatter, missing


def _f(x) -> float:
    return math.nan if missing(x) else float(x)


def forest_figure(rows: list[dict], *, xlabel: str, favourable: str | None, fmt: Formatter, t: dict) -> Figure:
    """One row per effect, top to bottom. `rows`: dicts with label, kind ('study' or 'pooled'), est, lo, hi (a
    confidence interval), range_lo, range_hi (a range given without uncertainty), pi_lo, pi_hi (a pooled row's
    prediction interval) and note (text at the right, e.g. the weight)."""
    n = len(rows)
    label_w = 0.4 + 0.064 * max([len(r["label"]) for r in rows] + [12])
    width, height = label_w + 5.4, 1.25 + 0.3 * n
    fig = Figure(figsize=(width, height))
    ax = fig.add_axes((label_w / width, 0.85 / height, 1 - (label_w + 0.95) / width, 1 - 1.1 / height))
    ys = list(range(n))[::-1]
    xs: list[float] = []
    for y, r in zip(ys, rows):
        est, lo, hi = _f(r.get("est")), _f(r.get("lo")), _f(r.get("hi"))
        if r.get("kind") == "pooled":
            ax.axhspan(y - 0.5, y + 0.5, color="#f2f2f2", lw=0, zorder=0)
            plo, phi = _f(r.get("pi_lo")), _f(r.get("pi_hi"))
            if not (math.isnan(plo) or math.isnan(phi)):
                ax.plot([plo, phi], [y, y], color=CONTROLS, lw=1.0, ls=":", zorder=2)
                xs += [plo, phi]
            if not any(math.isnan(v) for v in (est, lo, hi)):
                ax.add_patch(Polygon([(lo, y), (est, y + 0.3), (hi, y), (est, y - 0.3)], closed=True,
                                     facecolor=CONTROLS, edgecolor=CONTROLS, zorder=4))
                xs += [lo, hi]
            continue
        rlo, rhi = _f(r.get("range_lo")), _f(r.get("range_hi"))
        if not (math.isnan(rlo) or math.isnan(rhi)):
            ax.plot([rlo, rhi], [y, y], color=BAND, lw=7, solid_capstyle="butt", zorder=2)
            xs += [rlo, rhi]
        if not (math.isnan(lo) or math.isnan(hi)):
            ax.plot([lo, hi], [y, y], color=PARTICIPANTS, lw=1.6, zorder=3)
            xs += [lo, hi]
        if not math.isnan(est):
            ax.plot([est], [y], marker="s", ms=5.5, color=PARTICIPANTS, zorder=4)
            xs.append(est)
    ax.axvline(0, color="#333333", lw=0.9)
    lo_x, hi_x = (min(xs + [0.0]), max(xs + [0.0]))
    pad = max(hi_x - lo_x, 1.0) * 0.08
    ax.set_xlim(lo_x - pad, hi_x + pad)
    for y, r in zip(ys, rows):
        if r.get("note"):
            ax.text(1.01, y, r["note"], transform=ax.get_yaxis_transform(), ha="left", va="center", fontsize=7.5,
                    color="#444444")
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_yticks(ys, [r["label"] for r in rows], fontsize=8.5)
    for lbl, r in zip(ax.get_yticklabels(), rows):
        if r.get("kind") == "pooled":
            lbl.set_fontweight("bold")
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    ax.set_xlabel(xlabel, fontsize=8.5)
    ax.xaxis.set_major_formatter(_ticks(ax.xaxis, fmt))
    ax.grid(axis="x", color=GRID, lw=0.5)
    if favourable in ("higher", "lower"):
        text = t["favourable_higher"] if favourable == "higher" else t["favourable_lower"]
        ax.text(1.0 if favourable == "higher" else 0.0, 1.01, text, transform=ax.transAxes, fontsize=8,
                ha="right" if favourable == "higher" else "left", va="bottom", color="#444444")
    return fig


def flow_figure(main: list[dict], side: list[dict], fmt: Formatter) -> Figure:
    """The search as a column of boxes (identified -> screened -> assessed -> included -> in the base) with the
    exclusions beside the step they leave. `main`: dicts with key, label, n (None = unknown) and lines (extra text);
    `side`: dicts with label, n, lines and `after` (the key of the main box they branch from)."""
    short, gap = 0.55, 0.45

    def h(item: dict) -> float:
        lines = sum(textwrap.fill(x, 46).count("\n") + 1 for x in item.get("lines", [])[:3] if x)
        return 0.52 + 0.17 * lines if lines else short

    height = sum(h(m) for m in main) + gap * (len(main) - 1) + 0.2
    fig = Figure(figsize=(9.0, height))
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.98))
    ax.set_xlim(0, 9.0)
    ax.set_ylim(-height + 0.1, 0.1)
    ax.axis("off")
    where: dict[str, tuple[float, float]] = {}

    def box(cx: float, top: float, w: float, item: dict, colour: str, face: str) -> None:
        bh = h(item)
        ax.add_patch(FancyBboxPatch((cx - w / 2, top - bh), w, bh, boxstyle="round,pad=0,rounding_size=0.06",
                                    facecolor=face, edgecolor=colour, linewidth=1.1))
        n = item["n"]
        head = f"{item['label']}: n = {'?' if n is None else fmt.number(n, 0)}"
        body = "\n".join(textwrap.fill(x, 46) for x in item.get("lines", [])[:3] if x)
        ax.text(cx, top - 0.12 if body else top - bh / 2, textwrap.fill(head, 46), ha="center",
                va="top" if body else "center", fontsize=9.5, fontweight="bold", color=TEXT, linespacing=1.1)
        if body:
            ax.text(cx, top - 0.36, body, ha="center", va="top", fontsize=8, color="#444444", linespacing=1.1)

    top = 0.0
    for i, m in enumerate(main):
        where[m["key"]] = (top, h(m))
        box(2.9, top, 5.2, m, PARTICIPANTS, "#eef4fa")
        if i:
            ax.annotate("", xy=(2.9, top), xytext=(2.9, top + gap),
                        arrowprops=dict(arrowstyle="-|>", color="#666666", lw=1.0, shrinkA=0, shrinkB=0))
        top -= h(m) + gap
    for s in side:
        if s["after"] not in where:
            continue
        above, bh = where[s["after"]]
        y = above - bh - gap / 2
        box(7.45, y + h(s) / 2, 2.9, s, CONTROLS, "#fdf0e4")
        ax.annotate("", xy=(7.45 - 1.45, y), xytext=(2.9, y),
                    arrowprops=dict(arrowstyle="-|>", color="#666666", lw=1.0, shrinkA=0, shrinkB=0))
    return fig


def wrap_label(text: str, width: int = 60) -> str:
    """A row label short enough for a figure: cut with an ellipsis."""
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"

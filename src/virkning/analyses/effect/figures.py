"""The effect evaluation's figures: population flow, Love plot, effect curves with at-risk rows, forest plot.

Drawn in the house style of `virkning.report.figures`; a value that is None (suppressed) is never drawn: curve
points become gaps, and boxes or at-risk cells show "–".
"""

from __future__ import annotations

import math
import textwrap

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch
from matplotlib.ticker import FuncFormatter
from matplotlib.transforms import blended_transform_factory

from virkning.report.figures import (BAND, CONTROLS, CONTROLS_TEXT, FLAG, GRID, PARTICIPANTS, TEXT, Counter, _nan,
                                     _ticks)
from virkning.report.formatting import DASH, Formatter, missing


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
            color=CONTROLS_TEXT)
    char_w = 0.075  # approximate width of one 10-pt character in axis units (1 unit = 1 inch)

    def number_line(cx: float, y: float, value, unit: str) -> None:
        num = fmt.count(value)
        shift = (len(num) - len(unit) - 1) * char_w / 2
        ax.text(cx + shift, y, num, ha="right", va="center", fontsize=10.5, fontweight="bold", color=TEXT,
                gid=counter.gid() if num != DASH else None)
        ax.text(cx + shift, y, "\u00a0" + unit, ha="left", va="center", fontsize=9.5, color=TEXT)

    last: dict[str, float | None] = {"p": None, "c": None}
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
            prev = last[side]
            if prev is not None:
                ax.annotate("", xy=(cx, top), xytext=(cx, prev - box_h),
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
                                 (0.12, "at_risk_control", t["controls"], CONTROLS_TEXT)):
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




# ---- propensity-score distribution ------------------------------------------------------------------------------
def ps_figure(panels: list[dict], fmt: Formatter, t: dict, xlabel: str) -> Figure:
    """Mirrored histograms of the matching distance (cobalt's bal.plot with mirror = TRUE): one panel per sample
    (all, matched), participants' densities upwards and controls' downwards. `panels`: title, treated and control
    as lists of (low, high, share); bins may be of unequal width (merged), so bars show share / width."""
    fig = Figure(figsize=(8.2, 3.4))
    axes = fig.subplots(1, len(panels), sharey=True, squeeze=False)[0]
    top = 0.0
    for ax, p in zip(axes, panels):
        for bars, sign, color in ((p["treated"], 1, PARTICIPANTS), (p["control"], -1, CONTROLS)):
            for low, high, share in bars:
                if share is None or high <= low:
                    continue
                h = share / (high - low)
                top = max(top, h)
                ax.bar(low, sign * h, width=high - low, align="edge", color=color, alpha=0.75, lw=0.3,
                       edgecolor="white")
        ax.axhline(0, color="#555555", lw=0.8)
        ax.set_title(p["title"], fontsize=9.5)
        ax.set_xlabel(xlabel, fontsize=8.5)
        ax.grid(axis="y", color=GRID, lw=0.5)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt.number(v, 1)))
    lim = top * 1.1 or 1.0
    axes[0].set_ylim(-lim, lim)
    axes[0].yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt.number(abs(v), 2)))
    axes[0].set_ylabel(t["ps_share"] + " / " + t["ps_width"], fontsize=8.5)
    handles = [Line2D([], [], color=PARTICIPANTS, lw=6, label=t["participants"]),
               Line2D([], [], color=CONTROLS, lw=6, label=t["controls"])]
    fig.legend(handles=handles, loc="upper center", ncols=2, fontsize=8.5, frameon=False)
    fig.subplots_adjust(top=0.8, bottom=0.17, left=0.09, right=0.98, wspace=0.08)
    return fig

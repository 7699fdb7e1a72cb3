"""The trajectories analysis's figures in the house style: curves of several groups by month since the index with
95 % bands and the number followed below (seed 001, Figur 4-3a/4-3b/4-4), and groups by seniority as stacked
bars (Figur 4-2). A suppressed value (None) is never drawn: curve points become gaps, counts show "–".
"""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory

from virkning.report.figures import CONTROLS, GRID, PARTICIPANTS, TEXT, Counter, _nan, _ticks
from virkning.report.formatting import DASH, Formatter

COLOURS = (PARTICIPANTS, CONTROLS, "#5b8c2a", "#7d3c98", "#6d6d6d", "#b8860b")
MARKERS = ("o", "s", "^", "D", "v", "P")
STYLES = ("-", "--", "-.", ":", "-", "--")


def curves_figure(series: list[dict], months_shown: list[int], fmt: Formatter, t: dict) -> Figure:
    """`series`: dicts with label and rows (month, n, share, ci_low, ci_high) of one group, sorted by month."""
    counter = Counter()
    fig = Figure(figsize=(8, 4.6 + 0.28 * len(series)))
    rows_h = 0.22 + 0.16 * len(series)
    gs = fig.add_gridspec(2, 1, height_ratios=[3.4, rows_h], hspace=0.22, left=0.25, right=0.97, top=0.88,
                          bottom=0.04)
    ax = fig.add_subplot(gs[0])
    low = fig.add_subplot(gs[1], sharex=ax)
    months_all = sorted({int(r["month"]) for s in series for r in s["rows"]})
    for i, s in enumerate(series):
        m = [int(r["month"]) for r in s["rows"]]
        y = [_nan(r.get("share")) * 100 for r in s["rows"]]
        lo = [_nan(r.get("ci_low")) * 100 for r in s["rows"]]
        hi = [_nan(r.get("ci_high")) * 100 for r in s["rows"]]
        colour = COLOURS[i % len(COLOURS)]
        ax.fill_between(m, lo, hi, color=colour, alpha=0.15, lw=0)
        ax.plot(m, y, color=colour, lw=2, ls=STYLES[i % len(STYLES)], marker=MARKERS[i % len(MARKERS)], ms=3.2,
                label=s["label"])
    ax.set_ylabel(t["share_axis_pct"])
    ax.yaxis.set_major_formatter(_ticks(ax.yaxis, fmt, " %" if fmt.da else "%"))
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", color=GRID, lw=0.6)
    long = sum(len(s["label"]) for s in series) > 60
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=2 if long else min(3, len(series)),
              borderaxespad=0.2)
    ax.set_xlabel(t["months_since"])
    ax.set_xlim(min(months_all) - 0.6, max(months_all) + 0.6)
    ax.set_xticks([x for x in months_all if x == 1 or x % 3 == 0])
    low.axis("off")
    trans = blended_transform_factory(low.transData, low.transAxes)
    lab = blended_transform_factory(low.transAxes, low.transAxes)
    low.text(-0.02, 1.0, t["n_observed"], transform=lab, ha="right", va="top", fontsize=8.5, fontweight="bold")
    for i, s in enumerate(series):
        y_row = 0.78 - i * (0.8 / max(len(series), 1))
        low.text(-0.02, y_row, s["label"], transform=lab, ha="right", va="center", fontsize=8, color=COLOURS[i % 6])
        for r in s["rows"]:
            if int(r["month"]) not in months_shown:
                continue
            text = fmt.count(r.get("n"))
            low.text(int(r["month"]), y_row, text, transform=trans, ha="center", va="center", fontsize=8, color=TEXT,
                     gid=counter.gid() if text != DASH else None)
    return fig


def seniority_figure(bands: list[dict], groups: list[tuple[str, str]], fmt: Formatter, t: dict) -> Figure:
    """Stacked bars: for each band (label, persons, share per group key) the groups' shares, labelled in %."""
    counter = Counter()
    fig = Figure(figsize=(8, 4.4))
    ax = fig.add_axes((0.08, 0.2, 0.9, 0.68))
    x = list(range(len(bands)))
    bottom = [0.0] * len(bands)
    for i, (key, label) in enumerate(groups):
        vals = [_nan(b.get(f"share_{key}")) * 100 for b in bands]
        safe = [0.0 if v != v else v for v in vals]
        ax.bar(x, safe, bottom=bottom, color=COLOURS[i % len(COLOURS)], width=0.62, label=label)
        for j, v in enumerate(vals):
            if v == v and v >= 4:
                ax.text(j, bottom[j] + v / 2, fmt.pct(v / 100, 0), ha="center", va="center", fontsize=8.5,
                        color="white")
        bottom = [b + s for b, s in zip(bottom, safe)]
    ax.set_xticks(x)
    ax.set_xticklabels([b["label"] for b in bands], fontsize=8.5)
    trans = blended_transform_factory(ax.transData, ax.transAxes)
    ax.text(-0.6, -0.16, "n", transform=trans, ha="right", va="center", fontsize=8.5, fontweight="bold")
    for j, b in enumerate(bands):  # each count its own text element, marked for the disclosure audit
        text = fmt.count(b.get("persons"))
        ax.text(j, -0.16, text, transform=trans, ha="center", va="center", fontsize=8.5, color=TEXT,
                gid=counter.gid() if text != DASH else None)
    ax.yaxis.set_major_formatter(_ticks(ax.yaxis, fmt, " %" if fmt.da else "%"))
    ax.set_ylim(0, 100)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=min(4, len(groups)), borderaxespad=0.2)
    ax.grid(axis="y", color=GRID, lw=0.6)
    return fig

"""Small multiples of the benchmark: one panel per unit, its rate by month against the pooled rate of all units and
the mean of the best units (and the comparison group when declared). A hidden value is never drawn.

The panels are drawn into one set of axes, each panel a box of its own with a shared scale: 27 matplotlib axes
cost about 2.5 s to draw and save (ticks and labels per axes), one costs a tenth of that, and the demo stage must
stay short.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from virkning.report.figures import CONTROLS, GRID, PARTICIPANTS, TEXT
from virkning.report.formatting import Formatter

COLS = 6
STYLES: dict[str, dict[str, Any]] = {
    "all": dict(color=CONTROLS, lw=0.9), "best": dict(color="#6aa84f", lw=0.9, ls="--"),
    "comparison": dict(color="#777777", lw=0.9, ls=":")}


def _ticks(lo: float, hi: float) -> list[float]:
    step = 10 ** math.floor(math.log10(max(hi - lo, 1e-9)))
    for k in (1, 2, 5, 10):
        if (hi - lo) / (k * step) <= 3:
            step *= k
            break
    return [t for t in np.arange(math.ceil(lo / step) * step, hi + 1e-12, step)]


def small_multiples(levels: pd.DataFrame, series: pd.DataFrame, units: list[tuple[str, str]], months: list[str],
                    labels: dict[str, str], fmt: Formatter) -> Figure:
    n = len(units)
    cols = min(COLS, n)
    rows = math.ceil(n / cols)
    pos = {m: i for i, m in enumerate(months)}

    def line(frame: pd.DataFrame) -> np.ndarray:
        y = np.full(len(months), np.nan)
        for m, v in zip(frame["month"], frame["rate"]):
            if m in pos and not pd.isna(v):
                y[pos[m]] = 100.0 * float(v)
        return y

    ref = {s: line(series[series["series"] == s]) for s in series["series"].unique()}
    own = {u: line(levels[levels["unit"] == u]) for u, _ in units}
    values = np.concatenate([*ref.values(), *own.values()])
    lo, hi = (float(np.nanmin(values)), float(np.nanmax(values))) if np.isfinite(values).any() else (0.0, 1.0)
    lo, hi = min(lo, 0.0), hi * 1.05 if hi > 0 else 1.0
    ticks = _ticks(lo, hi)
    w, h, gx, gy = 1.0, 1.0, 0.12, 0.42  # panel width and height, gaps (in panel units)
    x = np.linspace(0.0, w, len(months)) if len(months) > 1 else np.array([w / 2])
    fig = Figure(figsize=(10.0, 1.35 * rows + 0.7))
    ax = fig.add_axes((0.05, 0.04, 0.94, 0.96 - 0.45 / (1.35 * rows + 0.7)))
    ax.set_axis_off()
    # a number or an array of numbers, on the panel's height
    scale: Callable[[Any], Any] = lambda y: (np.asarray(y, dtype=float) - lo) / (hi - lo) * h  # noqa: E731
    for k, (u, name) in enumerate(units):
        r, c = divmod(k, cols)
        x0, y0 = c * (w + gx), (rows - 1 - r) * (h + gy)
        for t in ticks:
            ax.plot([x0, x0 + w], [y0 + scale(t)] * 2, color=GRID, lw=0.5)
            if c == 0:
                ax.text(x0 - 0.03, y0 + scale(t), fmt.number(t, 1), ha="right", va="center", fontsize=6.5, color=TEXT)
        for s, y in ref.items():
            ax.plot(x0 + x, y0 + scale(y), **STYLES[s])
        ax.plot(x0 + x, y0 + scale(own[u]), color=PARTICIPANTS, lw=1.4)
        ax.text(x0, y0 + h + 0.04, name, fontsize=7.5, color=TEXT, va="bottom")
        if r == rows - 1 or k + cols >= n:
            ax.text(x0, y0 - 0.06, months[0], fontsize=6, color=TEXT, va="top", ha="left")
            ax.text(x0 + w, y0 - 0.06, months[-1], fontsize=6, color=TEXT, va="top", ha="right")
    ax.set_xlim(-0.2, cols * (w + gx))
    ax.set_ylim(-0.25, rows * (h + gy))
    handles = [Line2D([], [], color=PARTICIPANTS, lw=1.4, label=labels["unit"])]
    handles += [Line2D([], [], label=labels[s], **STYLES[s]) for s in ref]
    fig.legend(handles=handles, loc="upper left", ncols=len(handles), fontsize=8, bbox_to_anchor=(0.01, 1.0),
               title=labels.get("axis"), title_fontsize=7)
    return fig

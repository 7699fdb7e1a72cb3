"""Small multiples of the benchmark: one panel per unit, its rate by month against the pooled rate of all units and
the mean of the best units (and the comparison group when declared). A hidden value is never drawn."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from virkning.report.figures import CONTROLS, GRID, PARTICIPANTS, TEXT
from virkning.report.formatting import Formatter

COLS = 4


def small_multiples(levels: pd.DataFrame, series: pd.DataFrame, units: list[tuple[str, str]], months: list[str],
                    labels: dict[str, str], fmt: Formatter) -> Figure:
    n = len(units)
    rows = math.ceil(n / COLS)
    height = 1.6 * rows + 0.8
    fig = Figure(figsize=(10.0, height))
    axes = fig.subplots(rows, COLS, squeeze=False, sharex=True, sharey=True).ravel()
    fig.subplots_adjust(left=0.06, right=0.99, top=1 - 0.55 / height, bottom=0.35 / height, hspace=0.45, wspace=0.1)
    pos = {m: i for i, m in enumerate(months)}
    x = np.arange(len(months))

    def line(frame: pd.DataFrame) -> np.ndarray:
        y = np.full(len(months), np.nan)
        for m, v in zip(frame["month"], frame["rate"]):
            if m in pos and not pd.isna(v):
                y[pos[m]] = 100.0 * float(v)
        return y

    ref = {s: line(series[series["series"] == s]) for s in series["series"].unique()}
    styles = {"all": dict(color=CONTROLS, lw=1.0), "best": dict(color="#6aa84f", lw=1.0, ls="--"),
              "comparison": dict(color="#777777", lw=1.0, ls=":")}
    for ax, (u, name) in zip(axes, units):
        for s, y in ref.items():
            ax.plot(x, y, **styles[s])
        ax.plot(x, line(levels[levels["unit"] == u]), color=PARTICIPANTS, lw=1.6)
        ax.set_title(name, fontsize=8.5, loc="left", color=TEXT)
        ax.grid(axis="y", color=GRID, lw=0.5)
        ax.yaxis.set_major_formatter(lambda v, p: fmt.number(v, 1))
    for ax in axes[n:]:
        ax.set_visible(False)
    every = max(1, len(months) // 3)
    for ax in axes[:n]:
        ax.set_xticks(x[::every], [months[i] for i in range(0, len(months), every)], fontsize=7)
        ax.xaxis.set_tick_params(labelbottom=True)
    handles = [Line2D([], [], color=PARTICIPANTS, lw=1.6, label=labels["unit"])]
    handles += [Line2D([], [], label=labels[s], **styles[s]) for s in ref]
    fig.legend(handles=handles, loc="upper left", ncols=len(handles), fontsize=8, bbox_to_anchor=(0.01, 1.0))
    return fig

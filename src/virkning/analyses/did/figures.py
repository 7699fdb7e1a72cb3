"""The difference-in-differences figures: trends of trial and comparison units, the event study, and small multiples
of the indicators per unit. Drawn in the house style (`report.figures`); a hidden value is never drawn.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib import ticker as mticker
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from virkning.report.figures import CONTROLS, GRID, PARTICIPANTS, TEXT
from virkning.report.formatting import Formatter

SHARE_KINDS = ("share",)


def _grid(n: int, width: float = 10.0, panel_h: float = 2.3, top: float = 0.3, bottom: float = 0.55,
          sharex: bool = True) -> tuple[Figure, list]:
    """Panels in two columns with fixed margins (in inches): no tight_layout, which draws the figure once more."""
    cols = 2 if n > 1 else 1
    rows = math.ceil(n / cols)
    height = panel_h * rows + top + bottom
    fig = Figure(figsize=(width, height))
    axes = fig.subplots(rows, cols, squeeze=False, sharex=sharex).ravel()
    fig.subplots_adjust(left=0.06, right=0.99, top=1 - (top + 0.25) / height, bottom=bottom / height,
                        hspace=0.55 if not sharex else 0.35, wspace=0.16)
    for k, ax in enumerate(axes[n:], start=n):
        ax.set_visible(False)
        if sharex and k - cols >= 0:  # the panel above shows the period labels
            axes[k - cols].xaxis.set_tick_params(labelbottom=True)
    return fig, list(axes[:n])


class _TickLabels(mticker.Formatter):
    """Tick labels with as few decimals as the spacing needs (shares in per cent), in the report's number format.
    The decimals are fixed once per draw from all tick positions (`set_locs`), not once per label."""

    def __init__(self, scale: float, fmt: Formatter):
        self.scale, self.fmt, self.dec = scale, fmt, 3

    def set_locs(self, locs) -> None:
        super().set_locs(locs)
        xs = [float(x) * self.scale for x in locs]
        self.dec = next((d for d in range(3) if all(abs(x * 10**d - round(x * 10**d)) < 1e-6 for x in xs)), 3)

    def __call__(self, v, pos=None) -> str:
        return self.fmt.number(v * self.scale, self.dec)


def _yfmt(ax, share: bool, fmt: Formatter) -> None:
    ax.yaxis.set_major_formatter(_TickLabels(100.0 if share else 1.0, fmt))


def _xticks(ax, labels: list[str], every: int) -> None:
    idx = list(range(0, len(labels), every))
    ax.set_xticks(idx, [labels[i] for i in idx], fontsize=7.5, rotation=0)


def trend_figure(trends: pd.DataFrame, indicators: list[tuple[str, str, bool]], periods: list[str],
                 starts: list[str], fmt: Formatter, t: dict) -> Figure:
    """One panel per indicator: mean over trial units and over comparison units, by period; starts as lines.
    `indicators`: (name, label, share)."""
    fig, axes = _grid(len(indicators))
    pos = {p: i for i, p in enumerate(periods)}
    every = max(1, len(periods) // 6)
    for ax, (name, label, share) in zip(axes, indicators):
        f = trends[trends["indicator"] == name]
        for group, colour in (("trial", PARTICIPANTS), ("comparison", CONTROLS)):
            g = f[f["group"] == group]
            y = np.full(len(periods), np.nan)
            for p, v in zip(g["period"], g["mean"]):
                if p in pos and v is not None:
                    y[pos[p]] = float(v)
            ax.plot(np.arange(len(periods)), y, color=colour, lw=1.8, marker="o", ms=2.5)
        for s in starts:
            if s in pos:
                ax.axvline(pos[s] - 0.5, color="#888888", ls="--", lw=0.8)
        ax.set_title(label + (" (%)" if share else ""), fontsize=9.5, loc="left", color=TEXT)
        _yfmt(ax, share, fmt)
        _xticks(ax, periods, every)
        ax.grid(axis="y", color=GRID, lw=0.5)
    handles = [Line2D([], [], color=PARTICIPANTS, lw=1.8, label=t["trial_mean"]),
               Line2D([], [], color=CONTROLS, lw=1.8, label=t["comparison_mean"])]
    fig.legend(handles=handles, loc="upper left", ncols=2, fontsize=8.5, bbox_to_anchor=(0.01, 1.0))
    return fig


def event_figure(event: pd.DataFrame, outcomes: list[tuple[str, str, bool]], fmt: Formatter, t: dict) -> Figure:
    """One panel per outcome: event-study coefficients with 95 % intervals; reference period at 0.
    `outcomes`: (name, label, share); shares are drawn in percentage points."""
    fig, axes = _grid(len(outcomes), top=0.05, bottom=0.6, sharex=False)
    for ax, (name, label, share) in zip(axes, outcomes):
        e = event[event["outcome"] == name].sort_values("event_time")
        scale = 100.0 if share else 1.0
        x = e["event_time"].to_numpy(dtype=float)
        est = e["estimate"].to_numpy(dtype=float) * scale
        lo = e["ci_low"].to_numpy(dtype=float) * scale
        hi = e["ci_high"].to_numpy(dtype=float) * scale
        ok = np.isfinite(lo) & np.isfinite(hi)
        ax.vlines(x[ok], lo[ok], hi[ok], color=PARTICIPANTS, lw=1.2)
        ax.plot(x, est, "o", color=PARTICIPANTS, ms=3.5)
        ref = e.loc[e["reference"].astype(bool), "event_time"]
        if len(ref):
            ax.axvline(float(ref.iloc[0]) + 0.5, color="#888888", ls="--", lw=0.8)
        ax.axhline(0, color="#555555", lw=0.8)
        ax.set_title(label + (" (pp)" if share else ""), fontsize=9.5, loc="left", color=TEXT)
        _yfmt(ax, False, fmt)
        ax.set_xlabel(t["periods_since"], fontsize=8)
        ax.grid(axis="y", color=GRID, lw=0.5)
    return fig


def units_figure(values: pd.DataFrame, indicators: list[tuple[str, str, bool]], periods: list[str],
                 trial: set[str], fmt: Formatter) -> Figure:
    """Small multiples: one panel per indicator, one thin line per unit (trial blue, comparison orange)."""
    fig, axes = _grid(len(indicators), panel_h=2.0, top=0.05)
    pos = {p: i for i, p in enumerate(periods)}
    every = max(1, len(periods) // 6)
    x = np.arange(len(periods), dtype=float)
    for ax, (name, label, share) in zip(axes, indicators):
        f = values[values["indicator"] == name]
        lines: dict[bool, list[np.ndarray]] = {True: [], False: []}
        for unit, g in f.groupby("unit", sort=True):
            y = np.full(len(periods), np.nan)
            for p, v in zip(g["period"], g["value"]):
                if p in pos and not pd.isna(v):
                    y[pos[p]] = float(v)
            # one collection per role instead of a line per unit (a third of the drawing time); a hidden cell
            # breaks the line, as it would in plot()
            ok = np.isfinite(y)
            breaks = np.flatnonzero(np.diff(ok.astype(int)) != 0) + 1
            for seg in np.split(np.arange(len(y)), breaks):
                if ok[seg[0]] and len(seg) > 1:
                    lines[unit in trial].append(np.column_stack([x[seg], y[seg]]))
        for is_trial in (False, True):  # trial units drawn on top
            if lines[is_trial]:
                ax.add_collection(LineCollection(lines[is_trial], colors=PARTICIPANTS if is_trial else CONTROLS,
                                                 linewidths=1.0 if is_trial else 0.7,
                                                 alpha=0.9 if is_trial else 0.6))
        ax.autoscale_view()
        top = max((float(np.nanmax(seg[:, 1])) for role in lines.values() for seg in role), default=0.0)
        ax.set_ylim(0, top * 1.05 if top > 0 else 1)  # every indicator here is a count, share or mean >= 0
        ax.set_title(label + (" (%)" if share else ""), fontsize=9.5, loc="left", color=TEXT)
        _yfmt(ax, share, fmt)
        _xticks(ax, periods, every)
        ax.grid(axis="y", color=GRID, lw=0.5)
    return fig

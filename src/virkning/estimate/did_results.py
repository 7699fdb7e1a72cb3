"""What every difference-in-differences result shares: a tidy table, a plain dict, a short text and HTML form.

Each result class of ``virkning.estimate.did*`` is a frozen dataclass that defines ``to_frame()`` (one row per
estimate, the columns a coefficient plot or a report table needs) and ``_summary_lines()`` (a few lines of
context: design, sample, tests). This mixin builds ``to_dict()``, ``__repr__`` and ``_repr_html_`` from those two,
so notebooks and the console show the same numbers as the table.
"""

from __future__ import annotations

import html
import warnings
from typing import cast

import numpy as np
import numpy.typing as npt
import pandas as pd
from virkning.estimate.options import FewClustersWarning  # noqa: F401 (re-exported)


class DroppedUnitsWarning(UserWarning):
    """Treated units without a pre-period were left out (on request, ``no_pre_period="drop"``)."""


class UnbalancedPanelWarning(UserWarning):
    """Units not observed in every period were dropped (or a window lacks rows for some units)."""


FEW_TREATED = 10  # below this many treated clusters CR1 t-tests over-reject (MacKinnon and Webb 2017, 2018)


def warn_few_treated(n_treated_clusters: int, n_boot: int, stacklevel: int = 3) -> None:
    """Suggest the wild cluster bootstrap when few clusters are treated and it was not asked for."""
    if n_boot == 0 and n_treated_clusters < FEW_TREATED:
        warnings.warn(f"only {n_treated_clusters} treated clusters: cluster-robust t-tests over-reject with few "
                      "treated clusters; add the wild cluster bootstrap (n_boot=9999) for the p-value and interval.",
                      FewClustersWarning, stacklevel=stacklevel)


def _plain(value: object) -> object:
    """JSON-friendly scalars: numpy numbers to Python numbers, NaN to None."""
    if isinstance(value, (np.floating, float)):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def frame_records(frame: pd.DataFrame) -> list[dict[str, object]]:
    # the stubs type record keys as Hashable; our frames have str column names
    records = cast(list[dict[str, object]], frame.to_dict(orient="records"))
    return [{k: _plain(v) for k, v in row.items()} for row in records]


class ResultMixin:
    """``to_dict``, ``__repr__`` and ``_repr_html_`` from ``to_frame`` and ``_summary_lines``."""

    _title = "Difference-in-differences"

    def to_frame(self) -> pd.DataFrame:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def _summary_lines(self) -> list[str]:
        return []

    def _info(self) -> dict[str, object]:
        return {}

    def to_dict(self) -> dict[str, object]:
        """Design information and the estimates as lists of records (JSON-serialisable)."""
        return {"type": type(self).__name__, **{k: _plain(v) for k, v in self._info().items()},
                "estimates": frame_records(self.to_frame())}

    def __repr__(self) -> str:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table = self.to_frame().to_string(index=False, float_format=lambda v: f"{v:.4f}", max_rows=40)
        return "\n".join([f"{self._title}:", *self._summary_lines(), table])

    __str__ = __repr__

    def _repr_html_(self) -> str:
        lines = "".join(f"<li>{html.escape(line)}</li>" for line in self._summary_lines())
        table = self.to_frame().to_html(index=False, float_format=lambda v: f"{v:.4f}", max_rows=60, border=0)
        return f"<div><strong>{html.escape(self._title)}</strong><ul>{lines}</ul>{table}</div>"


def coefficient_plot(x: npt.ArrayLike, estimate: npt.ArrayLike, low: npt.ArrayLike, high: npt.ArrayLike, *, xlabel: str,
                     ylabel: str, title: str, divider: float | None = None):
    """Estimates with interval bars, a zero line and an optional vertical divider. Returns a matplotlib Figure."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.5, 3.5))
    ax = fig.add_subplot(1, 1, 1)
    est = np.asarray(estimate, dtype=float)
    err = np.vstack([est - np.asarray(low, dtype=float), np.asarray(high, dtype=float) - est])
    ax.axhline(0, color="0.3", lw=0.8)
    if divider is not None:
        ax.axvline(divider, color="0.6", ls="--", lw=0.8)
    ax.errorbar(x, est, yerr=np.nan_to_num(err), fmt="o", color="tab:blue", capsize=3)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return fig


def fmt_p(p: float) -> str:
    return "n/a" if p is None or not np.isfinite(p) else (f"{p:.4f}" if p >= 1e-4 else "<0.0001")

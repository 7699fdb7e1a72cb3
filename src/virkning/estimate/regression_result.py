"""The result of :func:`virkning.estimate.lpm`: tidy coefficients, per-outcome facts, dropped rows, side-by-side table.

``table()`` lays the shown covariates out as the seed's Tabel 4-4 does: one row per covariate, one column per
outcome, estimates in percentage points, the outcome mean as the last row before N, and optionally only the
values significant at a chosen level.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import pandas as pd

COEF_COLUMNS = ["outcome", "term", "variable", "role", "estimate", "se", "ci_low", "ci_high", "t", "p", "mark",
                "inference"]
MARKS = ((0.01, "***"), (0.05, "**"), (0.10, "*"))  # the usual economics convention (Stata's esttab default)


def significance_mark(p: float, marks: Sequence[tuple[float, str]] = MARKS) -> str:
    """'***' below 0.01, '**' below 0.05, '*' below 0.10, else ''."""
    if p is None or not np.isfinite(p):
        return ""
    for cut, mark in sorted(marks):
        if p < cut:
            return mark
    return ""


@dataclass(frozen=True)
class RegressionInfo:
    """What was fitted and how the uncertainty was computed."""

    se: str
    cluster: str | None
    level: float
    percent: bool
    binary: bool
    covariates: tuple[str, ...]
    controls: tuple[str, ...]
    outcomes: tuple[str, ...]
    n_input: int
    missing: str
    n_boot: int | None
    boot_weights: str | None
    p_value: str | None
    seed: int | None
    categorical: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


@dataclass(frozen=True, repr=False)
class RegressionResult:
    """Coefficients of every outcome's regression, with the facts needed to read and publish them.

    - ``coefficients``: one row per (outcome, term) for all terms (intercept, covariates, controls); estimates,
      SEs and interval bounds in percentage points when ``info.percent``; ``p`` and the interval come from the
      wild bootstrap for covariates when ``info.se == "wild"`` (column ``inference`` says which);
    - ``outcomes``: per outcome N used, outcome mean (in percent when ``info.percent``), clusters, R^2;
    - ``dropped``: rows left out per outcome, column and reason;
    - ``vcov``: per outcome the variance matrix of the coefficients on the 0/1 scale (not multiplied by 100).
    """

    coefficients: pd.DataFrame
    outcomes: pd.DataFrame
    dropped: pd.DataFrame
    info: RegressionInfo
    vcov: dict[str, pd.DataFrame] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)

    def to_frame(self, *, controls: bool = False) -> pd.DataFrame:
        """Tidy coefficients: outcome, term, estimate, se, ci_low, ci_high, t, p, mark, ... (covariates only
        unless ``controls=True``, which adds the intercept and the controls)."""
        out = self.coefficients.copy()
        if not controls:
            out = out[out["role"] == "covariate"]
        # get_loc of a unique column label is an int (the stubs also allow slice/mask for duplicate labels)
        out.insert(cast(int, out.columns.get_loc("p")) + 1, "mark", [significance_mark(p) for p in out["p"]])
        return out.reset_index(drop=True)

    def to_dict(self) -> dict[str, object]:
        return {"info": self.info.to_dict(), "coefficients": self.to_frame(controls=True).to_dict(orient="records"),
                "outcomes": self.outcomes.to_dict(orient="records"),
                "dropped": self.dropped.to_dict(orient="records")}

    def coef(self, outcome: str, term: str) -> pd.Series:
        """One coefficient row (estimate, se, ci_low, ci_high, t, p, ...)."""
        c = self.coefficients
        hit = c[(c["outcome"] == outcome) & (c["term"] == term)]
        if hit.empty:
            raise KeyError(f"no coefficient for outcome {outcome!r} and term {term!r}; terms: "
                           f"{sorted(set(c['term']))}")
        return hit.iloc[0]

    def table(self, *, only_significant: bool = False, alpha: float = 0.05, digits: int = 0, marks: bool = True,
              unit: str = "", show_se: bool = False, labels: Mapping[str, str] | None = None,
              mean_label: str = "Mean", n_label: str = "N") -> pd.DataFrame:
        """Side-by-side table: rows = shown covariate terms, then the outcome mean and N; columns = outcomes.

        Cells are text: the estimate with ``digits`` decimals, ``unit`` appended (e.g. " pct.") and the
        significance mark; with ``only_significant`` cells whose p >= ``alpha`` are left empty (the seed's
        Tabel 4-4 shows only significant values). ``show_se`` adds the SE in parentheses under each estimate.
        """
        lab = {**self.labels, **(labels or {})}
        c = self.to_frame()
        outs = list(self.info.outcomes)
        terms = list(dict.fromkeys(c["term"]))
        fmt = f"{{:.{int(digits)}f}}"
        rows: dict[str, list[str]] = {}
        for term in terms:
            cells, se_cells = [], []
            for o in outs:
                r = c[(c["outcome"] == o) & (c["term"] == term)]
                if r.empty:
                    cells.append("")
                    se_cells.append("")
                    continue
                r = r.iloc[0]
                hide = only_significant and not (np.isfinite(r["p"]) and r["p"] < alpha)
                cells.append("" if hide else fmt.format(r["estimate"]) + unit + (r["mark"] if marks else ""))
                se_cells.append("" if hide else "(" + fmt.format(r["se"]) + ")")
            rows[lab.get(term, term)] = cells
            if show_se:
                rows[lab.get(term, term) + " (SE)"] = se_cells
        o_info = self.outcomes.set_index("outcome")
        rows[mean_label] = [fmt.format(o_info.loc[o, "mean"]) + unit for o in outs]
        # .loc[label, column] on a unique index is a scalar; the stubs' union includes non-numbers
        rows[n_label] = [f"{int(cast(float, o_info.loc[o, 'n']))}" for o in outs]
        return pd.DataFrame(rows, index=[lab.get(o, o) for o in outs]).T

    def _title(self) -> str:
        i = self.info
        se = {"classical": "classical SEs", "hc1": "HC1 (robust) SEs", "cluster": f"SEs clustered by {i.cluster}",
              "wild": f"wild cluster bootstrap by {i.cluster} ({i.boot_weights}, {i.p_value} p-values)"}[i.se]
        unit = "percentage points" if i.percent else "outcome units"
        return (f"OLS of {len(i.outcomes)} outcome(s) on {len(i.covariates)} covariate(s)"
                f"{f' and {len(i.controls)} control(s) (not shown)' if i.controls else ''}; {se}; {unit}")

    def __repr__(self) -> str:
        n = ", ".join(f"{r.outcome}: N={r.n}" for r in self.outcomes.itertuples())
        return f"RegressionResult({self._title()}; {n})"

    def __str__(self) -> str:
        note = "*** p<0.01, ** p<0.05, * p<0.1"
        if len(self.dropped):
            n_out = int(self.dropped.drop_duplicates(["column", "reason"])["n_rows"].sum())
            note += f"; {n_out} row(s) with missing values left out (see .dropped)"
        return f"{self._title()}\n{self.table(digits=1).to_string()}\n{note}"

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(self._title())}</p>" + self.table(digits=1).to_html() + \
            "<p><small>*** p&lt;0.01, ** p&lt;0.05, * p&lt;0.1</small></p>"

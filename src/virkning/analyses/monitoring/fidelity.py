"""Fidelity to the intervention model from staff surveys, as in *Flere skal med*.

Answers on the scale slet ikke (1) .. i meget høj grad (5) - or a banded share such as "61-80 pct.", mapped to 1-5
by the declared bands - become numbers; `ved ikke` is missing. Per wave: item -> mean over the unit's respondents;
core element -> mean of its item means; overall score -> mean of the element scores. Then the distribution across
units, units per answer category, units moving from below to above the median, results by unit size and the
unit-level regression of an outcome share on the overall score.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd
from scipy import special

from virkning.errors import VirkningError
from virkning.analyses.monitoring.spec import Fidelity

OVERALL = "samlet"


class FidelityError(VirkningError):
    """The staff survey cannot be scored (unknown answers, items or columns)."""


@dataclass
class Regression:
    slope: float
    intercept: float
    r2: float
    p_value: float
    n: int
    se_slope: float

    def to_dict(self) -> dict:
        return {"slope": self.slope, "intercept": self.intercept, "r2": self.r2, "p_value": self.p_value,
                "n_units": self.n, "se_slope": self.se_slope}


def ols(x, y) -> Regression:
    """Simple OLS of y on x with intercept; p-value of the slope from the t distribution with n-2 df."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    n = len(x)
    if n < 3 or np.ptp(x) == 0:
        raise FidelityError(f"the fidelity regression needs at least 3 units with different scores (got {n})")
    xm, ym = x.mean(), y.mean()
    sxx = ((x - xm) ** 2).sum()
    slope = ((x - xm) * (y - ym)).sum() / sxx
    intercept = ym - slope * xm
    resid = y - intercept - slope * x
    sst = ((y - ym) ** 2).sum()
    r2 = 1 - (resid ** 2).sum() / sst if sst > 0 else float("nan")
    sigma2 = (resid ** 2).sum() / (n - 2)
    se = float(np.sqrt(sigma2 / sxx))
    tval = slope / se if se > 0 else float("inf")
    p = float(2 * special.stdtr(n - 2, -abs(tval)))  # Student t tail
    return Regression(float(slope), float(intercept), float(r2), p, int(n), se)


def score_answers(survey: pd.DataFrame, cfg: Fidelity) -> pd.DataFrame:
    """The survey with a numeric `score` column (NaN for `ved ikke`); raises for answers outside the scales."""
    need = [cfg.unit_column, cfg.wave_column, cfg.item_column, cfg.answer_column]
    miss = [c for c in need if c not in survey.columns]
    if miss:
        raise FidelityError(f"staff survey: columns missing: {', '.join(miss)}")
    s = survey.copy()
    unknown_items = sorted(set(s[cfg.item_column].astype(str)) - set(cfg.items))
    s = s[s[cfg.item_column].astype(str).isin(cfg.items)].copy()
    scale = {k.strip().lower(): float(v) for k, v in cfg.scale.items()}
    banded = {}
    for b in cfg.bands:
        m = {k.strip().lower(): float(v) for k, v in b.mapping.items()}
        banded.update({i: m for i in b.items})
    missing = {m.strip().lower() for m in cfg.missing}
    scores, bad = [], []
    for pos, (item, ans) in enumerate(zip(s[cfg.item_column].astype(str), s[cfg.answer_column])):
        a = "" if pd.isna(ans) else str(ans).strip().lower()
        if a in missing or a == "":
            scores.append(np.nan)
            continue
        table = banded.get(item, scale)
        if a in table:
            scores.append(table[a])
        else:
            try:
                v = float(a.replace(",", "."))
                ok = v in table.values()
            except ValueError:
                ok = False
            scores.append(v if ok else np.nan)
            if not ok:
                bad.append((int(s.index[pos]) + 2, item, ans))
    if bad:
        shown = "; ".join(f"row {r}, item '{i}': '{a}'" for r, i, a in bad[:10])
        raise FidelityError(f"staff survey: {len(bad)} answer(s) not on the item's scale ({shown}). "
                            f"Allowed: {', '.join(cfg.scale)}, banded items: their bands, and {', '.join(cfg.missing)}.")
    s["score"] = scores
    s.attrs["unknown_items"] = unknown_items
    return s


def size_band(pop, bands: list[int]) -> str | None:
    if pop is None or pd.isna(pop):
        return None
    edges = sorted(bands)
    lab = None
    for i, lo in enumerate(edges):
        if pop >= lo:
            hi = edges[i + 1] - 1 if i + 1 < len(edges) else None
            lab = f"{_dk(lo)}-{_dk(hi)}" if hi is not None else f"over {_dk(lo - 1)}"
    return lab


def _dk(v: int) -> str:
    return f"{int(v):,}".replace(",", ".")


@dataclass
class FidelityReport:
    waves: list[str]
    elements: dict[str, str]
    item_scores: pd.DataFrame  # wave, unit, item, element, score, respondents
    element_scores: pd.DataFrame  # wave, unit, element, score (element OVERALL = overall score)
    distribution: pd.DataFrame  # wave, element, units, min, q1, median, q3, max
    categories: pd.DataFrame  # wave, item, category, units, share_of_units
    movers: pd.DataFrame  # from_wave, to_wave, unit, score_from, score_to, median_from, median_to
    by_size: pd.DataFrame | None = None  # wave, size_band, units, mean_score
    regression: Regression | None = None
    regression_data: pd.DataFrame | None = None  # unit, score, outcome
    regression_wave: str | None = None
    notes: list[str] = field(default_factory=list)
    _svg: dict = field(default_factory=dict, repr=False)

    def to_frames(self) -> dict[str, pd.DataFrame]:
        f = {"scores": self.element_scores, "distribution": self.distribution, "categories": self.categories,
             "movers": self.movers}
        if self.by_size is not None:
            f["by_size"] = self.by_size
        if self.regression is not None:
            f["regression"] = pd.DataFrame([{"wave": self.regression_wave, **self.regression.to_dict()}])
        return f

    def moved_up(self, from_wave: str | None = None, to_wave: str | None = None) -> list[str]:
        m = self.movers
        if from_wave:
            m = m[m["from_wave"] == from_wave]
        if to_wave:
            m = m[m["to_wave"] == to_wave]
        return sorted(m.loc[m["moved_up"], "unit"].unique())

    def scatter_svg(self, xlabel: str = "Fidelitetsscore (1-5)", ylabel: str = "Andel") -> str | None:
        if self.regression is None or self.regression_data is None:
            return None
        key = (xlabel, ylabel)
        if key in self._svg:
            return self._svg[key]
        import matplotlib
        from matplotlib.figure import Figure

        d = self.regression_data
        r = self.regression
        fig = Figure(figsize=(6, 4))  # no pyplot: no global figure state
        ax = fig.subplots()
        ax.scatter(d["score"], d["outcome"], color="#1f5f8b", s=24)
        xs = np.linspace(1, 5, 50)
        ax.plot(xs, r.intercept + r.slope * xs, color="#c0392b", lw=1.5)
        ax.set_xlim(0.8, 5.2)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        eq = f"y = {r.slope:.4f}x + {r.intercept:.4f}   R² = {r.r2:.4f}   N = {r.n}".replace(".", ",")
        ax.set_title(eq, fontsize=9)
        # Danish decimal comma on the axes too (the title above has it)
        ax.xaxis.set_major_formatter(lambda v, _: f"{v:.1f}".replace(".", ","))
        ax.yaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f} %")
        ax.grid(alpha=0.3)
        buf = io.StringIO()
        # element ids the same on every run; text stays text (searchable, and the decimal commas checkable)
        with matplotlib.rc_context({"svg.hashsalt": "virkning-status", "svg.fonttype": "none"}):
            fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
        import re

        svg = re.sub(r"<metadata>.*?</metadata>", "", buf.getvalue(), flags=re.S)
        self._svg[key] = svg[svg.index("<svg"):]
        return self._svg[key]


def fidelity_scores(survey: pd.DataFrame, cfg: Fidelity, outcome: pd.Series | dict | None = None,
                    sizes: pd.Series | dict | None = None, regression_wave: str | None = None,
                    min_respondents: int = 1) -> FidelityReport:
    """Score a long staff survey. `outcome`: unit -> outcome share (for the regression, last wave by default);
    `sizes`: unit -> inhabitants (for the size bands). A unit whose wave has fewer than `min_respondents` staff
    respondents (the disclosure threshold when published) is left out of that wave's scores and every statistic
    across units: a published mean of three colleagues' answers says too much about each of them."""
    s = score_answers(survey, cfg)
    if min_respondents > 1:
        attrs = dict(s.attrs)
        r = cfg.respondent_column if cfg.respondent_column in s.columns else None
        key = [cfg.wave_column, cfg.unit_column]
        counts = (s.groupby(key)[r].nunique() if r else s.groupby(key).size()).rename("_resp").reset_index()
        s = s.merge(counts, on=key, how="left")
        few = s["_resp"] < min_respondents
        left_out = s.loc[few, key].drop_duplicates()
        s = s.loc[~few].drop(columns="_resp")
        s.attrs.update(cast(dict[str, Any], attrs), left_out=len(left_out))  # attrs' keys are strings
    u, w, it = cfg.unit_column, cfg.wave_column, cfg.item_column
    s[w] = s[w].astype(str)
    waves = list(cfg.waves) if cfg.waves else sorted(s[w].unique())
    stray = sorted(set(s[w]) - set(waves))
    if stray:
        raise FidelityError(f"staff survey: waves not declared in fidelity.waves: {', '.join(stray)}")
    items = (s.groupby([w, u, it], sort=False)["score"].agg(score="mean", respondents="count").reset_index())
    items["element"] = items[it].map(cfg.items)
    items = items.dropna(subset=["score"])
    elem = items.groupby([w, u, "element"])["score"].mean().reset_index()
    overall = elem.groupby([w, u])["score"].mean().reset_index()
    overall["element"] = OVERALL
    scores = pd.concat([elem, overall], ignore_index=True).rename(columns={w: "wave", u: "unit"})
    scores["wave"] = pd.Categorical(scores["wave"], waves, ordered=True)
    elements_order = list(cfg.elements) or sorted(set(cfg.items.values()))
    scores["element"] = pd.Categorical(scores["element"], [*elements_order, OVERALL], ordered=True)
    scores = scores.sort_values(["wave", "element", "unit"]).reset_index(drop=True)
    # distribution across units
    dist = (scores.groupby(["wave", "element"], observed=True)["score"]
            .agg(units="count", min="min", q1=lambda v: v.quantile(0.25), median="median",
                 q3=lambda v: v.quantile(0.75), max="max").reset_index())
    # units per answer category: the unit's mean rounded to the nearest scale point
    labels: dict[tuple[str, float], str] = {}
    for k, v in cfg.scale.items():
        labels.setdefault(("*", float(v)), k)
    for b in cfg.bands:
        for k, v in b.mapping.items():
            for i in b.items:
                labels.setdefault((i, float(v)), k)
    cat_rows = []
    for (wave, item_key), grp in items.rename(columns={w: "wave", it: "item"}).groupby(["wave", "item"]):
        item = cast(str, item_key)  # item ids are the survey's item names
        cats = np.clip(np.floor(grp["score"] + 0.5), 1, 5)
        n = len(grp)
        for c in sorted({*labels_for(item, labels)}):
            units = int((cats == c).sum())
            cat_rows.append({"wave": wave, "item": item, "element": cfg.items[item], "score": c,
                             "category": labels.get((item, c), labels.get(("*", c), str(c))), "units": units,
                             "share_of_units": units / n if n else None})
    categories = pd.DataFrame(cat_rows)
    if len(categories):
        categories["wave"] = pd.Categorical(categories["wave"], waves, ordered=True)
        categories = categories.sort_values(["wave", "item", "score"]).reset_index(drop=True)
    # movers: below the median in one wave, above it in a later one
    ov = scores[scores["element"] == OVERALL].pivot(index="unit", columns="wave", values="score")
    present = [x for x in waves if x in ov.columns]
    pairs = [(a, b) for a, b in zip(present, present[1:])]
    if len(present) > 2:
        pairs.append((present[0], present[-1]))
    mv = []
    for wa, wb in pairs:
        both = ov[[wa, wb]].dropna()
        ma, mb = ov[wa].median(), ov[wb].median()
        for unit, row in both.iterrows():
            mv.append({"from_wave": wa, "to_wave": wb, "unit": unit, "score_from": row[wa], "score_to": row[wb],
                       "median_from": ma, "median_to": mb, "moved_up": bool(row[wa] < ma and row[wb] > mb)})
    movers = pd.DataFrame(mv, columns=["from_wave", "to_wave", "unit", "score_from", "score_to", "median_from",
                                       "median_to", "moved_up"])
    report = FidelityReport(waves=waves, elements={e: cfg.elements.get(e, e) for e in elements_order},
                            item_scores=items.rename(columns={w: "wave", u: "unit", it: "item"}),
                            element_scores=scores, distribution=dist, categories=categories, movers=movers)
    if s.attrs.get("unknown_items"):
        report.notes.append(f"items not in the item map were ignored: {', '.join(s.attrs['unknown_items'])}")
    if s.attrs.get("left_out"):
        report.notes.append(f"{s.attrs['left_out']} unit-wave(s) with fewer than {min_respondents} staff respondents "
                            "are left out")
    ovl = scores[scores["element"] == OVERALL].copy()
    if sizes is not None:
        sz = pd.Series(sizes, dtype=float)
        ovl["size_band"] = [size_band(sz.get(x), cfg.size_bands) for x in ovl["unit"]]
        band_order = [size_band(b, cfg.size_bands) for b in sorted(cfg.size_bands)]
        bs = (ovl.dropna(subset=["size_band"]).groupby(["wave", "size_band"], observed=True)["score"]
              .agg(units="count", mean_score="mean").reset_index())
        bs["size_band"] = pd.Categorical(bs["size_band"], band_order, ordered=True)
        report.by_size = bs.sort_values(["wave", "size_band"]).reset_index(drop=True)
    if outcome is not None and (regression_wave or present):  # no wave left (all units too small): no regression
        wave = regression_wave or present[-1]
        out = pd.Series(outcome, dtype=float)
        d = ovl[ovl["wave"] == wave][["unit", "score"]].copy()
        d["outcome"] = d["unit"].map(out)
        d = d.dropna().reset_index(drop=True)
        report.regression_data = d
        report.regression_wave = wave
        try:
            report.regression = ols(d["score"], d["outcome"])
        except FidelityError as exc:
            report.notes.append(str(exc))
    return report


def labels_for(item: str, labels: dict) -> list[float]:
    own = [v for (i, v) in labels if i == item]
    return own or [v for (i, v) in labels if i == "*"]

"""Meta-analysis of studies that report the same outcome metric: fixed effect and random effects (DL, REML).

``meta_analysis()`` pools effect sizes y_i with sampling variances v_i (log risk ratios, standardised mean
differences, percentage-point effects ... but one metric per synthesis) and returns a frozen
:class:`MetaResult` with the pooled estimate, heterogeneity (tau^2, I^2, H^2, Cochran's Q) and the rows of a
forest plot. The conventions are those of R's metafor (``rma``), against which it is tested (docs/meta-analysis.md):

- fixed effect ("FE"): weights 1/v_i; tau^2 = 0;
- DerSimonian-Laird ("DL"): tau^2 = max(0, (Q - (k-1)) / (sum w - sum w^2 / sum w));
- restricted maximum likelihood ("REML"): Fisher scoring from the DL value, truncated at 0;
- random-effects pooling with weights 1/(v_i + tau^2); z-based intervals, or with ``hartung_knapp`` the
  Hartung-Knapp(-Sidik-Jonkman) variance sum w (y - mu)^2 / ((k-1) sum w) and t(k-1) quantiles;
- I^2 = tau^2 / (tau^2 + s^2) and H^2 = (tau^2 + s^2) / s^2 with the "typical" within-study variance
  s^2 = (k-1) sum w / ((sum w)^2 - sum w^2) (Higgins and Thompson 2002); for the fixed-effect model
  I^2 = (Q - (k-1)) / Q (at least 0) and H^2 = Q / (k-1);
- prediction interval mu +- q sqrt(se^2 + tau^2) with q the normal (or, with Hartung-Knapp, t(k-1)) quantile,
  as metafor's ``predict()``.

Why by hand: statsmodels' ``combine_effects`` covers FE, DL and Paule-Mandel but not REML or prediction
intervals, so the pooling given tau^2 is written once here for all estimators (and checked against both).
"""

from __future__ import annotations

import html
import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from virkning.errors import DesignError, EstimationError
from virkning.estimate.options import check_choice

Method = Literal["REML", "DL", "FE"]


class MetaAnalysisWarning(UserWarning):
    """The synthesis ran, but a caveat applies (e.g. very few studies for a random-effects model)."""


@dataclass(frozen=True, repr=False)
class MetaResult:
    """Pooled effect, heterogeneity and forest-plot rows of one meta-analysis."""

    method: str
    metric: str | None
    k: int
    estimate: float
    se: float
    statistic: float  # z, or t with Hartung-Knapp
    p: float
    ci_low: float
    ci_high: float
    pi_low: float  # prediction interval for the true effect in a new study (NaN for the fixed-effect model)
    pi_high: float
    tau2: float
    tau2_se: float | None  # REML: from the Fisher information; None for DL and FE
    i2: float  # percent
    h2: float
    q: float
    q_df: int
    q_p: float
    level: float
    hartung_knapp: bool
    df: int | None  # degrees of freedom of the t distribution (Hartung-Knapp), else None
    iterations: int
    studies: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def tau(self) -> float:
        return float(np.sqrt(self.tau2))

    def forest(self) -> pd.DataFrame:
        """Rows of a forest plot: one per study (effect, CI, weight in percent) and the pooled row last, with
        its prediction interval."""
        pooled = pd.DataFrame([{"study": {"FE": "Fixed-effect model"}.get(self.method, f"Random-effects model "
                                                                          f"({self.method})"),
                                "effect": self.estimate, "se": self.se, "ci_low": self.ci_low,
                                "ci_high": self.ci_high, "weight": 100.0, "pi_low": self.pi_low,
                                "pi_high": self.pi_high, "row": "pooled"}])
        studies = self.studies.assign(pi_low=np.nan, pi_high=np.nan, row="study")
        return pd.concat([studies[pooled.columns], pooled], ignore_index=True)

    def to_frame(self) -> pd.DataFrame:
        """The forest-plot rows (studies + pooled); see :meth:`forest`."""
        return self.forest()

    def to_dict(self) -> dict[str, object]:
        out = {k: v for k, v in self.__dict__.items() if k != "studies"}
        out["tau"] = self.tau
        out["studies"] = self.studies.to_dict(orient="records")
        return out

    def _lines(self) -> list[str]:
        pct = round(self.level * 100)
        dist = f"t({self.df})" if self.df else "z"
        model = "Fixed-effect model" if self.method == "FE" else f"Random-effects model (tau^2: {self.method})"
        lines = [f"{model}, k = {self.k}" + (f", metric: {self.metric}" if self.metric else "")
                 + (", Hartung-Knapp" if self.hartung_knapp else ""),
                 f"estimate {self.estimate:.4f} (SE {self.se:.4f}), {dist} = {self.statistic:.4f}, "
                 f"p = {_fmt_p(self.p)}, {pct}% CI {self.ci_low:.4f} to {self.ci_high:.4f}"]
        if self.method != "FE":
            lines.append(f"prediction interval {self.pi_low:.4f} to {self.pi_high:.4f}")
            lines.append(f"tau^2 = {self.tau2:.4f}, tau = {self.tau:.4f}")
        lines.append(f"I^2 = {self.i2:.2f}%, H^2 = {self.h2:.2f}, Q(df = {self.q_df}) = {self.q:.4f}, "
                     f"p = {_fmt_p(self.q_p)}")
        return lines

    def __repr__(self) -> str:
        return (f"MetaResult(method={self.method!r}, k={self.k}, estimate={self.estimate:.4f}, se={self.se:.4f}, "
                f"tau2={self.tau2:.4f}, i2={self.i2:.2f})")

    def __str__(self) -> str:
        return "\n".join(self._lines())

    def _repr_html_(self) -> str:
        head = "<br>".join(html.escape(x) for x in self._lines())
        return f"<p>{head}</p>" + self.forest().to_html(index=False, float_format=lambda v: f"{v:.4f}")


def _fmt_p(p: float) -> str:
    return "< .0001" if p < 1e-4 else f"{p:.4f}"


def _column(data: pd.DataFrame, name: str, option: str) -> pd.Series:
    if not isinstance(name, str) or name not in data.columns:
        raise DesignError(f"option '{option}': column {name!r} not in the data. Available columns: "
                          f"{', '.join(map(str, data.columns[:30]))}.")
    return data[name]


def _numbers(data: pd.DataFrame, name: str, option: str, labels: list[str]) -> np.ndarray:
    s = _column(data, name, option)
    if not pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        raise DesignError(f"option '{option}': column {name!r} must be numeric; got dtype {s.dtype}.")
    x = s.to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(x)
    if bad.any():
        who = ", ".join(labels[i] for i in np.flatnonzero(bad)[:5])
        raise DesignError(f"option '{option}': column {name!r} is missing or not finite for {int(bad.sum())} "
                          f"study(ies): {who}. A study without this number cannot enter the synthesis; drop it or "
                          "supply the number.")
    return x


def tau2_dl(y: np.ndarray, v: np.ndarray) -> float:
    """DerSimonian-Laird moment estimator of tau^2 (truncated at 0)."""
    w = 1.0 / v
    mu = np.sum(w * y) / np.sum(w)
    q = np.sum(w * (y - mu) ** 2)
    c = np.sum(w) - np.sum(w * w) / np.sum(w)
    return max(0.0, (q - (len(y) - 1)) / c)


def tau2_reml(y: np.ndarray, v: np.ndarray, *, tol: float = 1e-12, max_iter: int = 1000) -> tuple[float, float, int]:
    """REML estimate of tau^2 by Fisher scoring (Viechtbauer 2005), started at the DL value, with step halving
    to stay at or above 0. Returns (tau^2, its SE from the Fisher information, iterations)."""
    tau2 = tau2_dl(y, v)
    it = 0
    for it in range(1, max_iter + 1):
        w = 1.0 / (v + tau2)
        sw = np.sum(w)
        mu = np.sum(w * y) / sw
        r = y - mu
        # P = W - w w' / sum w; score: (r'W W r - tr P) / 2 with r'PPr = sum (w r)^2 since P y = W r
        tr_p = sw - np.sum(w * w) / sw
        tr_pp = np.sum(w * w) - 2 * np.sum(w ** 3) / sw + (np.sum(w * w) / sw) ** 2
        step = (np.sum((w * r) ** 2) - tr_p) / tr_pp
        new = tau2 + step
        while new < 0:  # step halving, as metafor does, then truncation at 0
            step /= 2
            new = tau2 + step
            if abs(step) < tol:
                new = 0.0
                break
        done = abs(new - tau2) < tol
        tau2 = new
        if done:
            break
    else:
        raise EstimationError(f"REML for tau^2 did not converge in {max_iter} iterations; try method='DL'.")
    w = 1.0 / (v + tau2)
    sw = np.sum(w)
    tr_pp = np.sum(w * w) - 2 * np.sum(w ** 3) / sw + (np.sum(w * w) / sw) ** 2
    return tau2, float(np.sqrt(2.0 / tr_pp)), it


def meta_analysis(data: pd.DataFrame, *, effect: str = "effect", variance: str | None = None, se: str | None = None,
                  study: str = "study", metric: str | None = None, method: str = "REML",
                  hartung_knapp: bool = False, level: float = 0.95) -> MetaResult:
    """Pool the effects of several studies that report the same outcome metric.

    Parameters
    ----------
    data: one row per study.
    effect: column of effect sizes (e.g. log risk ratios).
    variance / se: column of sampling variances, or of standard errors (give exactly one).
    study: column of study labels (must be unique).
    metric: optional column naming each study's effect metric; all rows must agree (no mixing of metrics).
    method: 'REML' (default, as metafor), 'DL' (DerSimonian-Laird) or 'FE' (fixed effect).
    hartung_knapp: Hartung-Knapp variance and t(k-1) intervals (random-effects methods only).
    level: confidence level of the intervals.
    """
    import scipy.stats  # on first use: 0.3 s off the start-up of a command that never calls this
    if not isinstance(data, pd.DataFrame):
        raise DesignError(f"option 'data': expected a pandas DataFrame with one row per study; got "
                          f"{type(data).__name__}.")
    method = check_choice("method", method, Method)
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
        raise DesignError(f"option 'level': expected a confidence level between 0 and 1; got {level!r}.")
    if (variance is None) == (se is None):
        raise DesignError("options 'variance' and 'se': give exactly one of them (the column of sampling variances "
                          "or of standard errors).")
    if hartung_knapp and method == "FE":
        raise DesignError("option 'hartung_knapp': the Hartung-Knapp adjustment is for random-effects models; use "
                          "method='REML' or 'DL', or hartung_knapp=False.")
    labels = [str(s) for s in _column(data, study, "study")]
    dupes = sorted({s for s in labels if labels.count(s) > 1})
    if dupes:
        raise DesignError(f"option 'study': study label(s) {dupes} occur more than once; each study enters once.")
    k = len(data)
    if k < 2:
        raise DesignError(f"meta-analysis needs at least 2 studies; got {k}.")
    metric_name = None
    if metric is not None:
        m = _column(data, metric, "metric")
        if m.isna().any():
            who = ", ".join(labels[i] for i in np.flatnonzero(m.isna().to_numpy())[:5])
            raise DesignError(f"option 'metric': no effect metric for study(ies) {who}; every study in a synthesis "
                              "needs one, and they must be the same.")
        kinds = pd.unique(m.astype(str))
        if len(kinds) > 1:
            groups = "; ".join(f"{kind!r}: {', '.join(lbl for lbl, mm in zip(labels, m.astype(str)) if mm == kind)}"
                               for kind in kinds)
            raise DesignError(f"option 'metric': the studies report different effect metrics ({groups}). Pool only "
                              "studies with the same metric, or convert them to one metric first.")
        metric_name = str(kinds[0])
    y = _numbers(data, effect, "effect", labels)
    if variance is not None:
        v = _numbers(data, variance, "variance", labels)
        what, col = "variance", variance
    else:
        assert se is not None  # exactly one of variance and se was checked above
        s = _numbers(data, se, "se", labels)
        v = s * s
        what, col = "se", se
        bad_se = s <= 0
        if bad_se.any():
            v[bad_se] = -1.0
    bad = v <= 0
    if bad.any():
        who = ", ".join(labels[i] for i in np.flatnonzero(bad)[:5])
        raise DesignError(f"option '{what}': column {col!r} must be positive for every study; not so for {who}. "
                          "A study needs a positive sampling variance to be weighted.")

    w_fe = 1.0 / v
    mu_fe = np.sum(w_fe * y) / np.sum(w_fe)
    q = float(np.sum(w_fe * (y - mu_fe) ** 2))
    q_df = k - 1
    q_p = float(scipy.stats.chi2.sf(q, q_df))
    tau2_se = None
    iterations = 0
    if method == "FE":
        tau2 = 0.0
    elif method == "DL":
        tau2 = tau2_dl(y, v)
    else:
        tau2, tau2_se, iterations = tau2_reml(y, v)
    if method != "FE" and k < 5:
        warnings.warn(f"random-effects meta-analysis of only {k} studies: tau^2 is poorly estimated and the "
                      "intervals may be too narrow (consider hartung_knapp=True).", MetaAnalysisWarning, stacklevel=2)
    w = 1.0 / (v + tau2)
    sw = np.sum(w)
    mu = float(np.sum(w * y) / sw)
    if hartung_knapp:
        var = float(np.sum(w * (y - mu) ** 2) / ((k - 1) * sw))
        df = k - 1
        crit = float(scipy.stats.t.ppf(0.5 + level / 2, df))
    else:
        var = float(1.0 / sw)
        df = None
        crit = float(scipy.stats.norm.ppf(0.5 + level / 2))
    se_mu = float(np.sqrt(var))
    stat = mu / se_mu
    p = float(2 * (scipy.stats.t.sf(abs(stat), df) if df else scipy.stats.norm.sf(abs(stat))))
    if method == "FE":
        i2 = max(0.0, (q - q_df) / q) * 100 if q > 0 else 0.0
        h2 = q / q_df
        pi = (np.nan, np.nan)
    else:
        s2 = q_df * np.sum(w_fe) / (np.sum(w_fe) ** 2 - np.sum(w_fe ** 2))
        i2 = 100 * tau2 / (tau2 + s2)
        h2 = (tau2 + s2) / s2
        half = crit * np.sqrt(var + tau2)
        pi = (mu - half, mu + half)
    z = float(scipy.stats.norm.ppf(0.5 + level / 2))  # study intervals are normal-based, as in metafor's forest()
    studies = pd.DataFrame({"study": labels, "effect": y, "se": np.sqrt(v), "ci_low": y - z * np.sqrt(v),
                            "ci_high": y + z * np.sqrt(v), "weight": 100 * w / sw, "variance": v})
    return MetaResult(method=method, metric=metric_name, k=k, estimate=mu, se=se_mu, statistic=float(stat), p=p,
                      ci_low=mu - crit * se_mu, ci_high=mu + crit * se_mu, pi_low=float(pi[0]),
                      pi_high=float(pi[1]), tau2=float(tau2), tau2_se=tau2_se, i2=float(i2), h2=float(h2), q=q,
                      q_df=q_df, q_p=q_p, level=float(level), hartung_knapp=bool(hartung_knapp), df=df,
                      iterations=iterations, studies=studies)

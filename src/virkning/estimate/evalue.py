"""E-values for unmeasured confounding (VanderWeele and Ding 2017, Annals of Internal Medicine 167: 268-274).

The E-value of a risk ratio RR > 1 is RR + sqrt(RR (RR - 1)): the minimum strength of association, on the risk
ratio scale, that an unmeasured confounder would need with both the treatment and the outcome (conditional on
the measured covariates) to explain the observed association away. For RR < 1 the formula is applied to 1/RR.
The E-value of the confidence interval uses the limit closer to 1, and is 1 when the interval contains 1.

Other effect measures are first converted to an approximate risk ratio (VanderWeele and Ding 2017, Table; the R
package EValue uses the same conversions):

- odds ratio: RR ~ OR if the outcome is rare (< 15 % at the end of follow-up), else RR ~ sqrt(OR);
- hazard ratio: RR ~ HR if rare, else RR ~ (1 - 0.5 ** sqrt(HR)) / (1 - 0.5 ** sqrt(1 / HR));
- standardised mean difference d with standard error se: RR ~ exp(0.91 d), interval exp(0.91 d -+ 1.78 se);
- risk difference RD with the baseline (control) risk p0: RR = (p0 + RD) / p0, applied to the interval limits as
  well, so p0 is treated as known (it is the matched controls' risk in a matched design).

``true`` shifts the reference from the null: the E-value to move the estimate to ``true`` (given on the scale of
the estimate, converted like the estimate) uses RR / true_RR, or its inverse, in the formula.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from virkning.errors import DesignError
from virkning.estimate.options import check_choice

Measure = Literal["RR", "OR", "HR", "RD", "SMD"]


def evalue_rr(rr: float) -> float:
    """E-value of a risk ratio (any side of 1): RR* + sqrt(RR* (RR* - 1)) with RR* = max(RR, 1/RR)."""
    if not (isinstance(rr, (int, float)) and math.isfinite(rr) and rr > 0):
        raise DesignError(f"evalue: a risk ratio must be a positive number; got {rr!r}.")
    r = rr if rr >= 1 else 1.0 / rr
    return float(r + math.sqrt(r * (r - 1.0)))


@dataclass(frozen=True)
class EValue:
    """E-values of an estimate and of its confidence limit closer to the null, with the risk ratios used."""

    measure: str
    estimate: float
    lo: float | None
    hi: float | None
    rr: float
    rr_lo: float | None
    rr_hi: float | None
    true_rr: float
    evalue: float
    evalue_ci: float | None
    conversion: str

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([self.to_dict()])

    def __repr__(self) -> str:
        ci = "" if self.rr_lo is None and self.rr_hi is None else f" (CI {self.rr_lo:.4g} to {self.rr_hi:.4g})"
        e_ci = "" if self.evalue_ci is None else f"; E-value of the CI limit closer to the null: {self.evalue_ci:.4g}"
        shift = "" if self.true_rr == 1 else f", moving the estimate to RR {self.true_rr:.4g}"
        return (f"E-value {self.evalue:.4g} for {self.measure} {self.estimate:.4g} -> RR {self.rr:.4g}{ci}"
                f"{shift}{e_ci} [{self.conversion}]")

    __str__ = __repr__

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(repr(self))}</p>"


def _positive(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    if not (isinstance(value, (int, float)) and math.isfinite(value)):
        raise DesignError(f"evalue: {name} must be a finite number; got {value!r}.")
    return float(value)


def _to_rr(x: float | None, measure: str, rare: bool, p0: float | None) -> float | None:
    if x is None:
        return None
    if measure in ("RR", "OR", "HR") and x <= 0:
        raise DesignError(f"evalue: a {measure} must be positive; got {x!r}.")
    if measure == "RR" or (measure in ("OR", "HR") and rare):
        return x
    if measure == "OR":
        return math.sqrt(x)
    if measure == "HR":
        return (1 - 0.5 ** math.sqrt(x)) / (1 - 0.5 ** math.sqrt(1 / x))
    if measure == "RD":
        assert p0 is not None
        return (p0 + x) / p0
    return math.exp(0.91 * x)  # SMD


def evalue(estimate: float, lo: float | None = None, hi: float | None = None, *, measure: str = "RR",
           rare: bool | None = None, baseline_risk: float | None = None, se: float | None = None,
           true: float | None = None) -> EValue:
    """E-value of an estimate and its confidence interval (VanderWeele and Ding 2017).

    measure: 'RR' (risk or rate ratio), 'OR', 'HR' (need ``rare``: is the outcome rare, < 15 %?), 'RD' (needs
        ``baseline_risk``, the control group's risk), 'SMD' (standardised mean difference; ``se`` gives the
        interval, ``lo``/``hi`` are not used).
    true: the value to shift the estimate to, on the estimate's own scale (default: no effect).
    """
    measure = check_choice("measure", measure, Measure)
    est = _positive("estimate", estimate)
    lo, hi = _positive("lo", lo), _positive("hi", hi)
    assert est is not None
    if lo is not None and lo > est or hi is not None and hi < est:
        raise DesignError(f"evalue: expected lo <= estimate <= hi; got {lo!r}, {estimate!r}, {hi!r}.")
    if measure in ("OR", "HR") and rare is None:
        raise DesignError(f"evalue: measure {measure!r} needs rare=True or rare=False (is the outcome rare, below "
                          "about 15 % by the end of follow-up?).")
    p0 = None
    if measure == "RD":
        p0 = _positive("baseline_risk", baseline_risk)
        if p0 is None or not 0 < p0 < 1:
            raise DesignError(f"evalue: measure 'RD' needs baseline_risk, the control group's risk, strictly "
                              f"between 0 and 1; got {baseline_risk!r}.")
        if not 0 < p0 + est <= 1:
            raise DesignError(f"evalue: baseline risk {p0} plus risk difference {est} is not a risk in (0, 1].")
    if measure == "SMD":
        s = _positive("se", se)
        if s is None or s < 0:
            raise DesignError(f"evalue: measure 'SMD' needs the standard error se >= 0; got {se!r}.")
        lo, hi = est - 1.78 / 0.91 * s, est + 1.78 / 0.91 * s  # exp(0.91 d -+ 1.78 se) after conversion
    default_true = 0.0 if measure in ("RD", "SMD") else 1.0
    true_v = default_true if true is None else _positive("true", true)
    assert true_v is not None
    rare_b = bool(rare)
    rr = _to_rr(est, measure, rare_b, p0)
    true_rr = _to_rr(true_v, measure, rare_b, p0)
    assert rr is not None and true_rr is not None
    # interval limits that are not risks after the RD conversion say nothing: report them as missing
    rr_lo = _to_rr(lo, measure, rare_b, p0) if lo is None or measure != "RD" or (p0 is not None and p0 + lo > 0) else None
    rr_hi = _to_rr(hi, measure, rare_b, p0)
    if rr <= 0 or true_rr <= 0:
        raise DesignError("evalue: the estimate (or 'true') converts to a risk ratio <= 0.")
    e = 1.0 if rr == true_rr else evalue_rr(rr / true_rr)
    e_ci = None
    if rr > true_rr and lo is not None:
        e_ci = 1.0 if rr_lo is None or rr_lo <= true_rr else evalue_rr(rr_lo / true_rr)
    elif rr < true_rr and hi is not None:
        e_ci = 1.0 if rr_hi is None or rr_hi >= true_rr else evalue_rr(rr_hi / true_rr)
    elif rr == true_rr and (lo is not None or hi is not None):
        e_ci = 1.0
    conversion = {"RR": "risk ratio as given",
                  "OR": "RR ~ OR (rare outcome)" if rare_b else "RR ~ sqrt(OR) (common outcome)",
                  "HR": "RR ~ HR (rare outcome)" if rare_b else
                  "RR ~ (1 - 0.5^sqrt(HR)) / (1 - 0.5^sqrt(1/HR)) (common outcome)",
                  "RD": f"RR = (p0 + RD) / p0 with baseline risk p0 = {p0}",
                  "SMD": "RR ~ exp(0.91 d), interval exp(0.91 d -+ 1.78 se)"}[measure]
    return EValue(measure=measure, estimate=est, lo=lo, hi=hi, rr=rr, rr_lo=rr_lo, rr_hi=rr_hi, true_rr=true_rr,
                  evalue=e, evalue_ci=e_ci, conversion=conversion)

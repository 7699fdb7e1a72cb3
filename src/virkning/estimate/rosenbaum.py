"""Rosenbaum bounds: the numbers. One-sided p-value bounds in matched sets under a hidden bias of at most Gamma.

Sensitivity model (Rosenbaum 2002, *Observational Studies*, 2nd ed., ch. 4): two units in the same matched set
may differ in their odds of treatment by at most a factor Gamma because of an unobserved covariate u in [0, 1],
so P(unit j is treated | the set, its number of treated) is proportional to Gamma ** (u_j). Under the null
hypothesis of no effect the outcomes are fixed; for each Gamma the one-sided p-value of a test statistic T lies
between a lower and an upper bound over all u. ``sensitivity.py`` is the public interface; this module works on
canonical arrays (set code, treated flag, outcome) and is written for the one-sided alternative "treatment
raises the outcome" (the interface flips the outcome for the other direction).

Three tests:

- ``BinaryTest`` (0/1 outcomes, any number of treated and controls per set): T = number of treated units with
  outcome 1. In a set of n units with m treated and r outcomes equal to 1, u = outcome maximises T stochastically,
  and then the treated count among the r follows Fisher's noncentral hypergeometric distribution with odds Gamma.
  Sets are independent, so the upper bound is the convolution of these distributions (``exact``) or a normal
  approximation with their exact moments (``normal``); the lower bound uses odds 1/Gamma. For pairs this is
  McNemar's test (binomial with p = Gamma/(1 + Gamma) over the discordant pairs); for strata it is Birch's exact
  Mantel-Haenszel test under bias (Rosenbaum 2002, ch. 4; Gastwirth, Krieger and Rosenbaum 2000), as in the R
  package sensitivity2x2xk (``mh``, ``mhLS``). The bound is sharp because one u is the worst case in every set.
- ``SignedRankTest`` (pairs, numeric outcomes): Wilcoxon's signed-rank statistic on the treated-minus-control
  differences; the bound gives each pair's difference a positive sign with probability Gamma/(1 + Gamma). Zero
  differences are ranked with the others and then get score 0 (Pratt), as in Rosenbaum's ``senWilcox`` (DOS2),
  or are dropped first (Wilcoxon's convention, as in rbounds' ``psens``). Exact distribution by convolution, or
  the normal approximation with the exact moments.
- ``MTest`` (one treated unit and one or more controls per set, numeric outcomes): Huber's M-statistic in the
  form of Rosenbaum (2007), with the separable approximation of Gastwirth, Krieger and Rosenbaum (2000), as in
  the R package sensitivitymv (``senmv``, TonT = FALSE). Pairwise differences within sets are scaled by the
  lambda-quantile of all absolute within-set differences and passed through psi(x) = sign(x) min(1, max(0, |x| -
  inner) / (trim - inner)); a unit's score is the sum of psi over the other units of its set divided by the set
  size, and T is the sum of the treated units' scores. For each set, the u maximising the expectation puts u = 1
  on the units with the highest scores (Rosenbaum 2007); ties in the expectation are broken by the larger variance.

Written here because no maintained Python package computes these bounds; scipy supplies the distributions.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.optimize
import scipy.special

from virkning.errors import DesignError

EXACT_SIGNED_RANK_MAX_PAIRS = 400  # the exact signed-rank distribution costs pairs x (sum of ranks) operations
_TIE = 1e-12  # relative tolerance for ties between expectations in the separable approximation


@dataclass(frozen=True)
class Bound:
    """One bound on the one-sided p-value, with the moments of the bounding null distribution of T."""

    p_value: float
    expectation: float
    variance: float


@dataclass(frozen=True)
class MatchedSets:
    """Matched sets with a complete outcome: rows sorted by set, set codes 0..n_sets-1."""

    code: np.ndarray
    treated: np.ndarray
    y: np.ndarray
    n_sets: int
    n_dropped: int  # sets left out: without a treated unit or without a control once missing outcomes are dropped

    @property
    def size(self) -> np.ndarray:
        return np.bincount(self.code, minlength=self.n_sets)

    @property
    def n_treated(self) -> np.ndarray:
        return np.bincount(self.code, weights=self.treated.astype(float), minlength=self.n_sets).astype(np.int64)

    def set_sizes(self) -> tuple[tuple[int, int], ...]:
        """(units per set, number of sets) for every set size present."""
        sizes, counts = np.unique(self.size, return_counts=True)
        return tuple((int(s), int(c)) for s, c in zip(sizes, counts))


def matched_sets(set_id, treated, outcome) -> MatchedSets:
    """Canonical matched sets from three aligned arrays; rows with a missing outcome are dropped, and so are sets
    left without a treated unit or without a control."""
    sid = np.asarray(set_id)
    t = np.asarray(treated)
    try:
        y = np.asarray(outcome, dtype=float)
        tv = t if t.dtype == bool else np.asarray(t, dtype=float)
    except (TypeError, ValueError):
        raise DesignError("matched sets: the outcome must be numeric (or 0/1) and the treated flag 0/1 or "
                          "True/False.") from None
    if not (len(sid) == len(t) == len(y)):
        raise DesignError(f"matched sets: set id, treated flag and outcome must have the same length; got "
                          f"{len(sid)}, {len(t)} and {len(y)}.")
    if t.dtype != bool:
        if np.isnan(tv).any() or not set(np.unique(tv)) <= {0.0, 1.0}:
            raise DesignError("matched sets: the treated flag must be 0/1 or True/False for every row.")
        t = tv == 1.0
    if len(sid) and np.asarray(pd.isna(sid)).any():
        raise DesignError("matched sets: the set id is missing for some rows; every row needs its matched set.")
    keep = ~np.isnan(y)
    codes_all = pd.factorize(sid)[0].astype(np.int64)
    n_all = int(codes_all.max()) + 1 if len(codes_all) else 0
    codes, t, y = codes_all[keep], t[keep], y[keep]
    n_t = np.bincount(codes, weights=t.astype(float), minlength=n_all)
    n_c = np.bincount(codes, weights=(~t).astype(float), minlength=n_all)
    ok = (n_t > 0) & (n_c > 0)
    rows = ok[codes]
    new = np.cumsum(ok) - 1
    codes, t, y = new[codes[rows]], t[rows], y[rows]
    order = np.argsort(codes, kind="stable")
    return MatchedSets(code=codes[order], treated=t[order], y=y[order], n_sets=int(ok.sum()),
                       n_dropped=int(n_all - ok.sum()))


def _normal_tail(t: float, e: float, v: float) -> float:
    if v <= 0:
        return 1.0 if t <= e + 1e-12 * max(1.0, abs(e)) else 0.0
    return float(scipy.special.ndtr(-(t - e) / math.sqrt(v)))


# --------------------------------------------------------------------------- binary outcomes
class BinaryTest:
    """Exact or normal bounds for the number of treated units with outcome 1 (McNemar / Mantel-Haenszel type)."""

    name = "binary"

    def __init__(self, sets: MatchedSets, method: str = "exact"):
        y = sets.y
        if not np.all((y == 0) | (y == 1)):
            raise DesignError("test 'binary': the outcome must be 0/1; use test='signed_rank' or 'm' for numbers.")
        self.method = method
        n = sets.size.astype(np.int64)
        m = sets.n_treated
        r = np.bincount(sets.code, weights=y, minlength=sets.n_sets).astype(np.int64)
        x = np.bincount(sets.code, weights=y * sets.treated, minlength=sets.n_sets).astype(np.int64)
        lo = np.maximum(0, m - (n - r))
        hi = np.minimum(m, r)
        inf = hi > lo
        self.statistic = float(x.sum())
        self.constant = float(x[~inf].sum())  # sets whose count cannot vary (e.g. concordant pairs)
        self.n_informative = int(inf.sum())
        pats, counts = np.unique(np.column_stack([n[inf], m[inf], r[inf]]), axis=0, return_counts=True)
        self.patterns = [(int(a), int(b), int(c), int(k)) for (a, b, c), k in zip(pats.reshape(-1, 3), counts)]

    @staticmethod
    def set_pmf(n: int, m: int, r: int, odds: float) -> tuple[int, np.ndarray]:
        """Fisher's noncentral hypergeometric distribution of the treated count among r outcomes of 1 (from its
        lowest possible value): P(x) proportional to C(r, x) C(n - r, m - x) odds ** x."""
        lo, hi = max(0, m - (n - r)), min(m, r)
        xs = np.arange(lo, hi + 1)
        logw = (scipy.special.gammaln(r + 1) - scipy.special.gammaln(xs + 1) - scipy.special.gammaln(r - xs + 1)
                + scipy.special.gammaln(n - r + 1) - scipy.special.gammaln(m - xs + 1)
                - scipy.special.gammaln(n - r - m + xs + 1) + xs * math.log(odds))
        return lo, np.exp(logw - scipy.special.logsumexp(logw))

    def bound(self, gamma: float, upper: bool = True) -> Bound:
        odds = gamma if upper else 1.0 / gamma
        e = v = 0.0
        offset = 0
        dist = np.ones(1)
        for n, m, r, k in self.patterns:
            lo, pmf = self.set_pmf(n, m, r, odds)
            xs = np.arange(lo, lo + len(pmf))
            mu = float(pmf @ xs)
            e += k * mu
            v += k * float(pmf @ (xs - mu) ** 2)
            if self.method == "exact":
                first, part = _trim(_power(pmf, k))
                offset += k * lo + first
                dist = np.convolve(dist, part)
        e += self.constant
        t = self.statistic
        if self.method == "normal":
            return Bound(_normal_tail(t, e, v), e, v)
        first, dist = _trim(dist)
        start = int(round(t - self.constant)) - offset - first
        p = 1.0 if start <= 0 else float(dist[start:].sum()) if start < len(dist) else 0.0
        return Bound(min(1.0, p), e, v)


def _trim(pmf: np.ndarray) -> tuple[int, np.ndarray]:
    """Drop the probabilities that underflowed to 0 at both ends (with many sets most of the support does), so
    the convolutions cost the width of the distribution rather than its range; returns (first kept, rest)."""
    nz = np.flatnonzero(pmf)
    return int(nz[0]), pmf[nz[0]:nz[-1] + 1]


def binomial_pmf(k: int, p: float) -> np.ndarray:
    """P(X = 0), ..., P(X = k) for X ~ Binomial(k, p). The ufunc is the one `scipy.stats.binom.pmf` calls (SciPy
    1.15 and later), so the values are the same, without importing scipy.stats, which every evaluation would
    otherwise do for this alone (0.3-0.4 s)."""
    ufunc = getattr(scipy.special._ufuncs, "_binom_pmf", None)
    if ufunc is None:  # older SciPy: the distribution itself
        from scipy.stats import binom
        return binom.pmf(np.arange(k + 1), k, p)
    return ufunc(np.arange(k + 1), k, p)


def _power(pmf: np.ndarray, k: int) -> np.ndarray:
    """Distribution of the sum of k independent copies (binomial for two-point distributions)."""
    if len(pmf) == 1:
        return np.ones(1)
    if len(pmf) == 2:
        return binomial_pmf(k, pmf[1])
    out = np.ones(1)
    base = pmf
    while k:  # exponentiation by squaring; direct convolution of positive arrays keeps small tails accurate
        if k & 1:
            out = np.convolve(out, base)
        k >>= 1
        if k:
            base = np.convolve(base, base)
    return out


# --------------------------------------------------------------------------- signed ranks (pairs)
class SignedRankTest:
    """Wilcoxon signed-rank bounds for matched pairs (exact or normal)."""

    name = "signed_rank"

    def __init__(self, d: np.ndarray, method: str = "normal", zero_method: str = "pratt"):
        import scipy.stats  # on first use: 0.3 s off the start-up of a command that never calls this
        d = np.asarray(d, dtype=float)
        if zero_method == "wilcox":
            d = d[d != 0]
        q = scipy.stats.rankdata(np.abs(d))  # average ranks for ties
        q[d == 0] = 0.0
        self.method = method
        self.statistic = float(q[d > 0].sum())
        self.scores = q[q > 0]
        self.n_informative = int(len(self.scores))
        if method == "exact":
            if len(self.scores) > EXACT_SIGNED_RANK_MAX_PAIRS:
                raise DesignError(f"method 'exact': the exact signed-rank distribution is limited to "
                                  f"{EXACT_SIGNED_RANK_MAX_PAIRS} pairs with a nonzero difference; got "
                                  f"{len(self.scores)}. Use method='normal'.")
            twice = 2 * self.scores  # average ranks are multiples of 1/2
            if not np.allclose(twice, np.round(twice)):
                raise DesignError("method 'exact': ranks are not multiples of 1/2; use method='normal'.")
            self._int_scores = np.round(twice).astype(np.int64)

    def bound(self, gamma: float, upper: bool = True) -> Bound:
        p = gamma / (1.0 + gamma) if upper else 1.0 / (1.0 + gamma)
        q = self.scores
        e = p * float(q.sum())
        v = p * (1 - p) * float((q * q).sum())
        if self.method == "normal":
            return Bound(_normal_tail(self.statistic, e, v), e, v)
        s = self._int_scores
        dist = np.zeros(int(s.sum()) + 1)
        dist[0] = 1.0
        top = 0
        for si in s:  # distribution of sum(score * sign) with P(sign = 1) = p, one pair at a time
            new = dist[:top + si + 1] * (1 - p)
            new[si:] += p * dist[:top + 1]
            top += si
            dist[:top + 1] = new
        start = int(round(2 * self.statistic))
        return Bound(min(1.0, float(dist[start:].sum())), e, v)


# --------------------------------------------------------------------------- M-statistics (1:k sets)
class MTest:
    """Huber-Maritz M-statistic bounds for sets of one treated unit and one or more controls (senmv)."""

    name = "m"
    method = "normal"

    def __init__(self, sets: MatchedSets, inner: float = 0.0, trim: float = 2.5, lam: float = 0.5):
        if np.any(sets.n_treated != 1):
            raise DesignError("test 'm': every matched set must have exactly one treated unit; use test='binary' "
                              "for 0/1 outcomes in sets with several treated units.")
        if not (0 <= inner <= trim):
            raise DesignError(f"option 'inner': expected 0 <= inner <= trim; got inner={inner!r}, trim={trim!r}.")
        if not (0 < lam < 1):
            raise DesignError(f"option 'lam': expected a quantile strictly between 0 and 1; got {lam!r}.")
        size = sets.size
        start = np.concatenate([[0], np.cumsum(size)[:-1]])
        # one block per set size: rows are sets, column 0 the treated unit
        blocks: list[np.ndarray] = []
        for k in np.unique(size):
            idx = np.flatnonzero(size == k)
            rows = start[idx][:, None] + np.arange(k)[None, :]
            yk = sets.y[rows]
            tk = sets.treated[rows]
            order = np.argsort(~tk, axis=1, kind="stable")  # treated first
            blocks.append(np.take_along_axis(yk, order, axis=1))
        diffs = [b[:, :, None] - b[:, None, :] for b in blocks]
        off = [~np.eye(b.shape[1], dtype=bool) for b in blocks]
        scaled = inner > 0 or math.isfinite(trim)
        self.scale = float("nan")
        if scaled:
            absd = np.concatenate([np.abs(dd[:, o]).ravel() for dd, o in zip(diffs, off)])
            h = float(np.quantile(absd, lam))  # R's default quantile (type 7), as senmv
            if h <= 0:
                raise DesignError(f"test 'm': the {lam} quantile of the absolute within-set differences is 0, so "
                                  "the differences cannot be scaled; increase 'lam'.")
            self.scale = h
        self.scores: list[np.ndarray] = []
        for dd, o in zip(diffs, off):
            x = dd / self.scale if scaled else dd
            if scaled:
                a = np.abs(x)
                if math.isfinite(trim) and inner < trim:
                    w = np.minimum(1.0, np.maximum(0.0, a - inner) / (trim - inner))
                elif math.isfinite(trim):
                    w = (a > inner).astype(float)
                else:
                    w = np.maximum(0.0, a - inner)
                x = np.sign(x) * w
            x = np.where(o[None, :, :], x, 0.0)
            self.scores.append(x.sum(axis=2) / dd.shape[1])
        self.statistic = float(sum(s[:, 0].sum() for s in self.scores))
        self.n_informative = int(sets.n_sets)
        self._sums: tuple[list, list] | None = None

    @staticmethod
    def _partial_sums(scores: np.ndarray) -> tuple[np.ndarray, ...]:
        """Sorted scores' partial sums (of values and squares) below each split a = 1..n-1, and the totals."""
        a = np.sort(scores, axis=1)
        c1 = np.cumsum(a, axis=1)
        c2 = np.cumsum(a * a, axis=1)
        return c1[:, :-1], c2[:, :-1], c1[:, -1:], c2[:, -1:]

    @staticmethod
    def _max_moments(sums: tuple[np.ndarray, ...], gamma: float) -> tuple[float, float]:
        """Sum over sets of the largest expectation of the treated score and, among the u attaining it, the
        largest variance; u = 1 on the top n - a scores for a = 1..n-1 (Rosenbaum 2007)."""
        c1, c2, t1, t2 = sums
        n = c1.shape[1] + 1
        k = np.arange(1, n)[None, :]
        den = k + gamma * (n - k)
        mu = (c1 + gamma * (t1 - c1)) / den
        var = (c2 + gamma * (t2 - c2)) / den - mu * mu
        best = mu.max(axis=1, keepdims=True)
        tie = mu >= best - _TIE * np.maximum(1.0, np.abs(best))
        return float(best.sum()), float(np.where(tie, var, -np.inf).max(axis=1).sum())

    def bound(self, gamma: float, upper: bool = True) -> Bound:
        if self._sums is None:  # computed once: the root search for the critical Gamma calls this often
            self._sums = ([self._partial_sums(s) for s in self.scores], [self._partial_sums(-s) for s in self.scores])
        e = v = 0.0
        for up, down in zip(*self._sums):
            if upper:
                mu, var = self._max_moments(up, gamma)
            else:  # smallest expectation = minus the largest expectation of the negated scores
                mu, var = self._max_moments(down, gamma)
                mu = -mu
            e += mu
            v += var
        return Bound(_normal_tail(self.statistic, e, v), e, v)


# --------------------------------------------------------------------------- the critical Gamma
def critical_gamma(p_upper: Callable[[float], float], alpha: float, gamma_max: float = 1e6) -> float | None:
    """Largest Gamma at which the upper bound on the p-value stays below alpha (the root of p_upper = alpha,
    found by bracketing on log Gamma and Brent's method); None if the test is not significant at Gamma = 1,
    inf if it stays significant beyond gamma_max. The upper bound increases with Gamma."""
    if p_upper(1.0) >= alpha:
        return None
    lo, hi = 0.0, math.log(2.0)
    while p_upper(math.exp(hi)) < alpha:
        lo, hi = hi, 2 * hi
        if hi > math.log(gamma_max):
            return math.inf
    root = scipy.optimize.brentq(lambda t: p_upper(math.exp(t)) - alpha, lo, hi, xtol=1e-12, rtol=1e-13)
    return float(math.exp(root))

"""A small formula parser for MatchIt-style calls: ``virkning.match("treat ~ age + educ", data=df)``.

Only what a matching formula needs: one treatment column on the left; on the right column names joined by
``+``, ``.`` for every other column, ``- name`` to leave a column out, and names in backticks when they hold
spaces or symbols. Transformations (``I(age^2)``, ``log(x)``, interactions ``a:b`` / ``a*b``) are not parsed:
compute such columns first, which keeps the propensity model visible in the data. Written by hand because
the one library that parses R-style formulas (patsy/formulaic) would be a dependency for a dozen lines.
"""

from __future__ import annotations

import re

import pandas as pd

from virkning.errors import DesignError

_NAME = re.compile(r"\s*(?:`([^`]+)`|([A-Za-z_.][A-Za-z0-9_.]*))\s*")


def _terms(side: str, formula: str) -> list[tuple[str, str]]:
    """Split one side into (sign, name) pairs; names are plain identifiers or `quoted`."""
    out: list[tuple[str, str]] = []
    pos, sign = 0, "+"
    text = side.strip()
    if text.startswith("-"):
        sign, pos = "-", 1
    while pos <= len(text):
        m = _NAME.match(text, pos)
        if not m or m.end() == pos:
            raise DesignError(f"formula {formula!r}: cannot read the term at {text[pos:]!r}. Write column names "
                              "joined by '+' (e.g. 'treat ~ age + educ'); compute transformed or interacted "
                              "columns in the data first.")
        out.append((sign, m.group(1) or m.group(2)))
        pos = m.end()
        if pos == len(text):
            break
        if text[pos] not in "+-":
            raise DesignError(f"formula {formula!r}: {text[pos]!r} is not supported; only '+', '-' and '.' are. "
                              "Compute transformed or interacted columns (I(x^2), log(x), a:b) in the data first.")
        sign = text[pos]
        pos += 1
    return out


def split_formula(formula: str, data: pd.DataFrame) -> tuple[str, list[str]]:
    """(treatment column, covariate columns) of ``"treat ~ x1 + x2"``; ``.`` means all other columns."""
    if not isinstance(formula, str) or formula.count("~") != 1:
        raise DesignError(f"formula: expected 'treatment ~ covariate + covariate ...'; got {formula!r}.")
    lhs, rhs = formula.split("~")
    left = _terms(lhs, formula)
    if len(left) != 1 or left[0][0] != "+":
        raise DesignError(f"formula {formula!r}: the left-hand side must be the one treatment column.")
    treatment = left[0][1]
    covariates: list[str] = []
    dropped: set[str] = set()
    for sign, name in _terms(rhs, formula):
        if sign == "-":
            dropped.add(name)
        elif name == ".":
            covariates += [str(c) for c in data.columns if c != treatment]
        else:
            covariates.append(name)
    covariates = [c for c in dict.fromkeys(covariates) if c not in dropped]
    return treatment, covariates

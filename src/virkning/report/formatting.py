"""Numbers and dates as a Danish or an English reader expects them.

Danish: decimal comma, thousands dot, a space before the per cent sign (2.612; 14,8 %; 9. januar 2018).
English: decimal point, thousands comma, no space (2,612; 14.8%; 9 January 2018).

A value that is None or NaN was suppressed by disclosure control (or is missing) and is shown as an en dash
(`DASH`); negative numbers use the ordinary hyphen-minus, so the two can never be confused.
"""

from __future__ import annotations

import datetime as dt
import math
import re

DASH = "–"
LANGUAGES = ("da", "en")

_MONTHS = {
    "da": ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober",
           "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}


def missing(x) -> bool:
    """True for None, NaN and pandas' NA (a suppressed or absent value)."""
    if x is None or type(x).__name__ == "NAType":
        return True
    try:
        return math.isnan(float(x))
    except (TypeError, ValueError):
        return False


class Formatter:
    """Formats numbers, shares, intervals, p-values and dates in one language."""

    def __init__(self, language: str = "da"):
        if language not in LANGUAGES:
            raise ValueError(f"language expected one of {', '.join(LANGUAGES)}; got '{language}'")
        self.language = language
        self.da = language == "da"

    # ---- numbers -------------------------------------------------------------------------------------------
    def number(self, x, decimals: int = 1) -> str:
        """1234.56 -> '1.234,6' (da) or '1,234.6' (en); None -> '–'."""
        if missing(x):
            return DASH
        x = float(x)
        text = f"{abs(x):,.{decimals}f}"
        if self.da:
            text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
        negative = x < 0 and float(f"{abs(x):.{decimals}f}") != 0
        return ("-" if negative else "") + text

    def count(self, x) -> str:
        """A number of persons: whole numbers without decimals, a fractional effective size with one."""
        if missing(x):
            return DASH
        x = float(x)
        return self.number(x, 0 if abs(x - round(x)) < 1e-9 else 1)

    def pct(self, share, decimals: int = 1) -> str:
        """A share 0..1 as a percentage: 0.148 -> '14,8 %' / '14.8%'."""
        if missing(share):
            return DASH
        return self.number(100 * float(share), decimals) + (" %" if self.da else "%")

    def pp(self, diff, decimals: int = 1) -> str:
        """A difference of shares in percentage points, without unit: 0.06 -> '6,0'."""
        if missing(diff):
            return DASH
        return self.number(100 * float(diff), decimals)

    def interval(self, low, high, scale: float = 1.0, decimals: int = 1) -> str:
        """A confidence interval in brackets: '[1,5; 10,5]' (da) or '[1.5, 10.5]' (en)."""
        if missing(low) or missing(high):
            return DASH
        sep = "; " if self.da else ", "
        return f"[{self.number(scale * float(low), decimals)}{sep}{self.number(scale * float(high), decimals)}]"

    def pvalue(self, p) -> str:
        if missing(p):
            return DASH
        p = float(p)
        if p < 0.001:
            return "< " + self.number(0.001, 3)
        return self.number(p, 3)

    def p(self, p) -> str:
        """A p-value with its relation: 'p = 0,059', 'p < 0,001' (never 'p = < 0,001'); None -> '–'."""
        if missing(p):
            return DASH
        text = self.pvalue(p)
        return "p " + text if text.startswith("<") else "p = " + text

    def smd(self, x) -> str:
        return self.number(x, 2)

    # ---- dates ---------------------------------------------------------------------------------------------
    def date(self, value) -> str:
        """'2018-01-09' -> '9. januar 2018' / '9 January 2018'; anything else is returned as given."""
        if value is None:
            return DASH
        try:
            d = dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            return str(value)
        month = _MONTHS[self.language][d.month - 1]
        return f"{d.day}. {month} {d.year}" if self.da else f"{d.day} {month} {d.year}"

    def month(self, label) -> str:
        """'2019-07' -> 'juli 2019' / 'July 2019'."""
        if label is None:
            return DASH
        m = re.fullmatch(r"(\d{4})-(\d{2})", str(label))
        if not m:
            return str(label)
        return f"{_MONTHS[self.language][int(m.group(2)) - 1]} {m.group(1)}"

    def week(self, label) -> str:
        """'2015-W01' -> 'uge 1 2015' / 'week 1 of 2015'."""
        if label is None:
            return DASH
        m = re.fullmatch(r"(\d{4})-W(\d{2})", str(label))
        if not m:
            return str(label)
        return f"uge {int(m.group(2))} {m.group(1)}" if self.da else f"week {int(m.group(2))} of {m.group(1)}"

    def period(self, label) -> str:
        """A date, month or ISO-week label, whichever it is."""
        text = str(label) if label is not None else ""
        if re.fullmatch(r"\d{4}-W\d{2}", text):
            return self.week(text)
        if re.fullmatch(r"\d{4}-\d{2}", text):
            return self.month(text)
        return self.date(label)

    def months(self, n: int) -> str:
        """'1 måned', '7 måneder' / '1 month', '7 months'."""
        if self.da:
            return f"{n} måned" if n == 1 else f"{n} måneder"
        return f"{n} month" if n == 1 else f"{n} months"

    def join(self, items: list[str]) -> str:
        """'a, b og c' / 'a, b and c'."""
        items = [i for i in items if i]
        if len(items) <= 1:
            return "".join(items)
        word = " og " if self.da else " and "
        return ", ".join(items[:-1]) + word + items[-1]

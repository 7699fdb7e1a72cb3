"""CPR numbers: checked, stored as a keyed hash (to find and match a citizen) plus an encrypted value (to export),
shown masked, and kept out of logs.

The hash is HMAC-SHA256 under a key the database never holds, so a stolen database cannot be searched by trying
all 3.6 million CPR numbers of a birth year. Encryption is Fernet (AES-128-CBC with HMAC-SHA256, from the
`cryptography` package); a list of keys lets an old key decrypt while the newest encrypts (key rotation).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings

# Ten digits, optionally DDMMYY-SSSS; a run of ten digits inside a longer number is not a CPR number.
CPR_PATTERN = re.compile(r"(?<!\d)(\d{6})[- ]?(\d{4})(?!\d)")


class InvalidCpr(ValueError):
    pass


def normalise(text: str) -> str:
    """'010160-1234' / '0101601234' / ' 010160 1234 ' -> '0101601234'; InvalidCpr (a Danish message) otherwise.
    The date part must be a calendar date; the modulus-11 check is not applied (CPR has numbers without it since
    2007)."""
    s = re.sub(r"[\s-]", "", str(text or ""))
    if not re.fullmatch(r"\d{10}", s):
        raise InvalidCpr("Et CPR-nummer har 10 cifre (DDMMÅÅ-LLLL).")
    day, month, year = int(s[0:2]), int(s[2:4]), int(s[4:6])
    try:
        dt.date(2000 + year, month, day)  # a leap year base accepts 29 February
    except ValueError:
        raise InvalidCpr("De første seks cifre i et CPR-nummer er en fødselsdato (DDMMÅÅ).") from None
    return s


def keyed_hash(cpr: str) -> str:
    return hmac.new(settings.CPR_HASH_KEY.encode(), normalise(cpr).encode(), hashlib.sha256).hexdigest()


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in settings.CPR_ENCRYPTION_KEYS])


def seal(text: str) -> str:
    """Any secret text encrypted with the newest key (TOTP secrets use it too)."""
    return _fernet().encrypt(text.encode()).decode()


def unseal(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def encrypt(cpr: str) -> str:
    return seal(normalise(cpr))


def decrypt(token: str) -> str:
    return unseal(token)


def mask(cpr: str) -> str:
    """'0101601234' -> '010160-****': the birth date stays readable for the job centre, the sequence does not."""
    s = normalise(cpr)
    return f"{s[:6]}-****"


def redact(text: str) -> str:
    """Every CPR-shaped number in `text` replaced by its masked form (for log lines and error reports)."""
    return CPR_PATTERN.sub(lambda m: f"{m.group(1)}-****", text)

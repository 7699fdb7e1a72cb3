"""The date an output prints, read one way for every output that prints one (the PDF's cover, the workbook's
first sheet and properties, the monthly status page): SOURCE_DATE_EPOCH, the reproducible-builds convention, so
that a rerun on another day can give the same bytes."""

from __future__ import annotations

import datetime as dt
import os

from virkning.errors import VirkningError


def source_date(error: type[VirkningError] = VirkningError) -> dt.date | None:
    """SOURCE_DATE_EPOCH (whole seconds since 1970) as a UTC date; None when it is not set; `error` when it is not
    a number of seconds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return None
    try:
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
    except (ValueError, OverflowError, OSError):
        raise error(f"SOURCE_DATE_EPOCH expected whole seconds since 1970; got '{epoch}'") from None


def today_or_source_date() -> dt.date:
    """SOURCE_DATE_EPOCH's date when set, else today (UTC)."""
    return source_date() or dt.datetime.now(dt.timezone.utc).date()

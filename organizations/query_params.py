"""Reading list filters from the query string: junk is ignored, never passed on to the database.

A list page's filters come from a URL anyone can edit. Every list view reads its parameters through these helpers,
so `?year=-1`, `?campaign=<20 digits>` or `?q=%00` mean "no such filter" instead of an OverflowError, a date out of
range or a PostgreSQL error about NUL bytes. The helpers never raise.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

# Primary keys are BigAutoField: a larger number cannot name a row (PostgreSQL would refuse to compare it).
MAX_ID = 2**63 - 1
# Years the platform plans, records and reports in (see the 2000–2100 plausibility rule of the forms).
MIN_YEAR = 2000
MAX_YEAR = 2100
QUERY_MAX_LENGTH = 100

_INT = re.compile(r"[+-]?[0-9]{1,20}")


def query_int(value: object, *, minimum: int | None = None, maximum: int | None = None) -> int | None:
    """An integer written in ASCII digits within [minimum, maximum], else None."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not _INT.fullmatch(value):
        return None
    number = int(value)
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        return None
    return number


def query_id(value: object) -> int | None:
    """A primary key (1 … 2⁶³−1), else None."""
    return query_int(value, minimum=1, maximum=MAX_ID)


def query_year(value: object, *, default: int | None = None) -> int | None:
    """A plausible year (2000–2100), else `default`."""
    year = query_int(value, minimum=MIN_YEAR, maximum=MAX_YEAR)
    return default if year is None else year


def clean_text(value: object, *, max_length: int = QUERY_MAX_LENGTH) -> str:
    """A search text without NUL or other control characters (each becomes a space), stripped and shortened."""
    if not isinstance(value, str):
        return ""
    cleaned = "".join(" " if unicodedata.category(ch) in ("Cc", "Cs") else ch for ch in value)
    return " ".join(cleaned.split())[:max_length]


def strip_control(value: object) -> str:
    """Free text from a raw POST field without the control characters no text column can keep (NUL, \\x0b …).

    Tabs and line breaks stay. For fields read without a Django form (whose CharField refuses NUL itself).
    """
    if not isinstance(value, str):
        return ""
    return "".join(ch for ch in value if ch in "\t\n\r" or unicodedata.category(ch) not in ("Cc", "Cs"))


def query_choice(value: object, choices: Iterable[str] | Mapping[str, object], *, default: str = "") -> str:
    """`value` when it is one of `choices`, else `default`."""
    allowed = set(choices)
    return value if isinstance(value, str) and value in allowed else default


__all__ = [
    "MAX_ID",
    "MAX_YEAR",
    "MIN_YEAR",
    "clean_text",
    "query_choice",
    "query_id",
    "query_int",
    "query_year",
    "strip_control",
]

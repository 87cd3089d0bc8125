"""Dates and moments as the CLI contract writes them: ISO, UK day-first in files, Europe/London."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")

# ASCII digits only: "\d" alone would take Arabic-Indic or full-width digits as dates.
_MOMENT = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2}))?$", re.ASCII)
_UK = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$", re.ASCII)
# Exactly YYYY-MM-DD: fromisoformat alone also reads week dates (2026-W01-1) and YYYYMMDD.
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)


def parse_moment(text: str) -> datetime:
    """``YYYY-MM-DD`` (the start of that day) or ``YYYY-MM-DDTHH:MM``, Europe/London.

    Raises ValueError with a message listing the accepted forms.
    """
    match = _MOMENT.match(text.strip())
    if not match:
        raise ValueError(f"'{text}' is not a date (YYYY-MM-DD) or moment (YYYY-MM-DDTHH:MM)")
    try:
        day = date.fromisoformat(match.group(1))
        at = time(int(match.group(2) or 0), int(match.group(3) or 0))
    except ValueError:
        raise ValueError(f"'{text}' is not a date that exists") from None
    return datetime.combine(day, at, tzinfo=LONDON)


def parse_date(text: str) -> date:
    """An ISO date ``YYYY-MM-DD``; raises ValueError naming the accepted form."""
    try:
        if not _ISO.match(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a date (YYYY-MM-DD)") from None


def parse_file_date(text: str) -> str:
    """A date from a file, ISO ``YYYY-MM-DD`` or UK ``DD/MM/YYYY``, as an ISO string.

    Surrounding spaces are allowed. Never month-first: 03/04/2026 is the 3rd of April.
    Raises ValueError.
    """
    value = text.strip()
    if _ISO.match(value):
        return date.fromisoformat(value).isoformat()  # which checks the day exists
    match = _UK.match(value)
    if match:
        day, month, year = (int(g) for g in match.groups())
        return date(year, month, day).isoformat()
    raise ValueError(text)

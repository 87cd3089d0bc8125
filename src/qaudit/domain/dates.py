"""Dates and moments as the CLI contract writes them: ISO, UK day-first in files, Europe/London."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")

EARLIEST = date(1900, 1, 1)
"""No date qaudit stores is before this: an earlier one is a typing mistake."""
YEARS_AHEAD = 5
"""Nor more than this many years after today: a later one is a mistake, and near 9999 a date
overflows when a deadline is added to it."""

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


def latest_date(today: date) -> date:
    """The last date accepted on ``today``: the same day ``YEARS_AHEAD`` years on (a 29th of
    February falls back to the 28th)."""
    year = min(today.year + YEARS_AHEAD, 9999)
    try:
        return today.replace(year=year)
    except ValueError:
        return today.replace(year=year, day=28)


def allowed_range(today: date) -> str:
    """The accepted dates as refusals name them: "from 1900-01-01 to 2031-12-01"."""
    return f"from {EARLIEST.isoformat()} to {latest_date(today).isoformat()}"


def check_date_bounds(day: date, today: date, *, shown: str | None = None) -> date:
    """``day`` if it is between 1900-01-01 and five years after ``today``; otherwise a
    ValueError naming the allowed range. The one bound every file and option date meets.

    ``shown`` is the text as the user wrote it, for the message (default: the ISO date).
    """
    if EARLIEST <= day <= latest_date(today):
        return day
    text = shown.strip() if shown is not None else day.isoformat()
    raise ValueError(f"'{text}' is out of range: dates must be {allowed_range(today)}")


def uk_day(value: date) -> str:
    """A date as people write it: ``Tue 1 Dec 2026`` (no leading zero on the day)."""
    return f"{value:%a} {value.day} {value:%b %Y}"

"""Reporting periods: calendar months, financial-year quarters and years, and date ranges.

The forms are cli.md's "Input" (Periods); the financial year runs April to March (domain.md).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

KINDS: tuple[str, ...] = ("month", "quarter", "year", "range")

ACCEPTED = (
    "use YYYY-MM, YYYY/YY-Qn (financial-year quarter, e.g. 2026/27-Q4), YYYY/YY, DATE..DATE, "
    "last-month, this-month, last-quarter, this-quarter, last-year or this-year"
)
"""The accepted forms, as every refusal of a period names them."""

_ONE_DAY = timedelta(days=1)
# ASCII only: \d would also match other scripts' digits, which int() accepts but nobody types.
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})", re.ASCII)
_YEAR = re.compile(r"([0-9]{4})/([0-9]{2})", re.ASCII)
# "2026/27-Q4", also "2026/27 - q4" and domain.md's "2026/27 Q4".
_QUARTER = re.compile(r"([0-9]{4})/([0-9]{2})\s*[-\s]\s*[Qq]([0-9])", re.ASCII)
_RANGE = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})\s*\.\.\s*([0-9]{4}-[0-9]{2}-[0-9]{2})", re.ASCII)


@dataclass(frozen=True, order=True)
class Period:
    """An inclusive run of days with the label reports print for it."""

    start: date
    end: date  # inclusive
    label: str
    kind: str

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(
                f"period {self.label} ends ({self.end}) before it starts ({self.start})"
            )
        if self.kind not in KINDS:
            raise ValueError(f"period kind {self.kind!r} is not one of {', '.join(KINDS)}")

    @property
    def file_label(self) -> str:
        """The label fit for a file name (cli.md's ``{period}``): "2026/27-Q3" is "2026-27-Q3"."""
        return self.label.replace("/", "-")

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def months(self) -> list[Period]:
        """The calendar months overlapping this period, in order.

        A range's first and last months are clipped to the range, so that no day outside
        it is counted; they keep their month labels.
        """
        found: list[Period] = []
        current = month(self.start.year, self.start.month)
        while True:
            found.append(self._clip(current))
            if current.end >= self.end:
                return found
            current = month_of(current.end + _ONE_DAY)

    def quarters(self) -> list[Period]:
        """The financial-year quarters overlapping this period, in order.

        A range's first and last quarters are clipped to the range, as in ``months``.
        """
        found: list[Period] = []
        current = financial_quarter_of(self.start)
        while True:
            found.append(self._clip(current))
            if current.end >= self.end:
                return found
            current = financial_quarter_of(current.end + _ONE_DAY)

    def _clip(self, part: Period) -> Period:
        # Only a range clips: a month's quarter is the whole quarter it falls in.
        if self.kind != "range":
            return part
        return Period(max(part.start, self.start), min(part.end, self.end), part.label, part.kind)


def month(year: int, month: int) -> Period:
    """The calendar month, labelled ``YYYY-MM``; raises ValueError for one that does not exist."""
    last = calendar.monthrange(year, month)[1]
    return Period(date(year, month, 1), date(year, month, last), f"{year:04d}-{month:02d}", "month")


def month_of(day: date) -> Period:
    """The calendar month that ``day`` falls in."""
    return month(day.year, day.month)


def _start_year(day: date) -> int:
    """The calendar year in which ``day``'s financial year began (April)."""
    return day.year if day.month >= 4 else day.year - 1


def _year_label(start_year: int) -> str:
    return f"{start_year:04d}/{(start_year + 1) % 100:02d}"


def _financial_year(start_year: int) -> Period:
    return Period(
        date(start_year, 4, 1), date(start_year + 1, 3, 31), _year_label(start_year), "year"
    )


def _financial_quarter(start_year: int, number: int) -> Period:
    # Q1 starts in April, so quarter n starts 3(n-1) months after April.
    first = 4 + 3 * (number - 1)
    year = start_year + (first - 1) // 12
    first = (first - 1) % 12 + 1
    last = first + 2
    end = date(year, last, calendar.monthrange(year, last)[1])
    return Period(date(year, first, 1), end, f"{_year_label(start_year)}-Q{number}", "quarter")


def financial_year_of(day: date) -> Period:
    """The financial year (April–March) containing ``day``: 2026-04-01..2027-03-31 is "2026/27"."""
    return _financial_year(_start_year(day))


def financial_quarter_of(day: date) -> Period:
    """The financial-year quarter containing ``day``: Q1 is April–June, Q4 January–March."""
    return _financial_quarter(_start_year(day), (day.month - 4) % 12 // 3 + 1)


def previous(period: Period) -> Period | None:
    """The period of the same length just before ``period``: the month, quarter or financial
    year before; for a range, as many days ending the day before it starts. None when it
    would begin before the calendar does (year 1)."""
    try:
        day_before = period.start - _ONE_DAY
        if period.kind == "month":
            return month_of(day_before)
        if period.kind == "quarter":
            return financial_quarter_of(day_before)
        if period.kind == "year":
            return financial_year_of(day_before)
        start = period.start - (period.end - period.start) - _ONE_DAY
    except (ValueError, OverflowError):
        return None
    return Period(start, day_before, f"{start.isoformat()}..{day_before.isoformat()}", "range")


def parse_period(text: str, today: date) -> Period:
    """A period as typed on the command line (cli.md, "Input"), relative words from ``today``.

    Raises ValueError naming the problem, or listing the accepted forms.
    """
    value = text.strip()
    relative = _RELATIVE.get(value.lower())
    if relative is not None:
        try:
            return relative(today)
        except (ValueError, OverflowError):
            # Only at the ends of the calendar, where the period would start before year 1.
            raise ValueError(f"'{text}' is not a period on {today.isoformat()}") from None
    if match := _MONTH.fullmatch(value):
        return _parse_month(text, int(match[1]), int(match[2]))
    if match := _QUARTER.fullmatch(value):
        start_year = _parse_year_pair(text, match[1], match[2])
        number = int(match[3])
        if not 1 <= number <= 4:
            raise ValueError(f"'{text}' is not a period: there is no Q{number} (Q1 to Q4)")
        return _financial_quarter(start_year, number)
    if match := _YEAR.fullmatch(value):
        return _financial_year(_parse_year_pair(text, match[1], match[2]))
    if match := _RANGE.fullmatch(value):
        return _parse_range(text, match[1], match[2])
    raise ValueError(f"'{text}' is not a period; {ACCEPTED}")


def _parse_month(text: str, year: int, number: int) -> Period:
    if not 1 <= number <= 12:
        raise ValueError(f"'{text}' is not a period: there is no month {number:02d}")
    try:
        return month(year, number)
    except ValueError:
        raise ValueError(f"'{text}' is not a period: {year:04d} is not a year") from None


def _parse_year_pair(text: str, first: str, second: str) -> int:
    """The starting year of ``first/second``, which must be consecutive years."""
    start_year = int(first)
    expected = (start_year + 1) % 100
    if int(second) != expected:
        raise ValueError(
            f"'{text}' is not a period: the financial year starting in {first} "
            f"is {first}/{expected:02d}"
        )
    if start_year == 0:
        raise ValueError(f"'{text}' is not a period: {first} is not a year")
    if start_year == 9999:
        # The March that would end it is in year 10000, which no date can hold.
        raise ValueError(f"'{text}' is not a period: it ends after 9999-12-31")
    return start_year


def _parse_range(text: str, first: str, last: str) -> Period:
    days: list[date] = []
    for part in (first, last):
        try:
            days.append(date.fromisoformat(part))
        except ValueError:
            raise ValueError(
                f"'{text}' is not a period: {part} is not a date that exists"
            ) from None
    start, end = days
    if end < start:
        raise ValueError(f"'{text}' is not a period: it ends ({last}) before it starts ({first})")
    return Period(start, end, f"{first}..{last}", "range")


def _this_month(today: date) -> Period:
    return month_of(today)


def _last_month(today: date) -> Period:
    return month_of(today.replace(day=1) - _ONE_DAY)


def _this_quarter(today: date) -> Period:
    return financial_quarter_of(today)


def _last_quarter(today: date) -> Period:
    return financial_quarter_of(financial_quarter_of(today).start - _ONE_DAY)


def _this_year(today: date) -> Period:
    return financial_year_of(today)


def _last_year(today: date) -> Period:
    return financial_year_of(financial_year_of(today).start - _ONE_DAY)


_RELATIVE = {
    "this-month": _this_month,
    "last-month": _last_month,
    "this-quarter": _this_quarter,
    "last-quarter": _last_quarter,
    "this-year": _this_year,
    "last-year": _last_year,
}

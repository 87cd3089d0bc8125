"""Working days in England: weekdays that are neither bank holidays nor the service's closure days.

Moderation and complaint deadlines and re-audit dates follow domain.md, "Working days".
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable
from datetime import date, timedelta

_ONE_DAY = timedelta(days=1)
_MONTH = re.compile(r"\d{4}-\d{2}")


def month_bounds(month: str) -> tuple[date, date]:
    """The first and last day of a month written ``YYYY-MM``; raises ValueError naming that form."""
    text = month.strip()
    if not _MONTH.fullmatch(text):
        raise ValueError(f"'{month}' is not a month (YYYY-MM)")
    year, number = int(text[:4]), int(text[5:])
    if year < 1 or not 1 <= number <= 12:
        raise ValueError(f"'{month}' is not a month that exists (YYYY-MM)")
    return date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1])


def _weekdays_through(day: date) -> int:
    """Mondays to Fridays from 0001-01-01 (a Monday) up to and including ``day``."""
    ordinal = day.toordinal()
    return ordinal // 7 * 5 + min(ordinal % 7, 5)


class WorkingCalendar:
    """Monday to Friday, less England's bank holidays (with substitute days) and closure days.

    Bank holidays come from the maintained ``holidays`` package, loaded one year at a time
    on first use, so the calendar answers for any year without a hand-kept list.
    """

    def __init__(
        self,
        closure_days: Iterable[date] = (),
        bank_holidays: Callable[[int], Iterable[date]] | None = None,
    ) -> None:
        self._closures = frozenset(closure_days)
        self._bank_holidays: dict[int, frozenset[date]] = {}
        # Where a year's bank holidays come from: the package itself unless the caller has
        # them cached (qaudit.bank_holidays).
        self._source = bank_holidays or bank_holidays_from_package

    @property
    def closure_days(self) -> frozenset[date]:
        """The policy's extra closure days."""
        return self._closures

    def bank_holidays(self, year: int) -> frozenset[date]:
        """England's bank holidays in ``year``, substitute ("observed") days included."""
        known = self._bank_holidays.get(year)
        if known is None:
            known = frozenset(self._source(year))
            self._bank_holidays[year] = known
        return known

    def is_working_day(self, day: date) -> bool:
        """A weekday that is not a bank holiday in England and not a closure day."""
        return (
            day.weekday() < 5
            and day not in self._closures
            and day not in self.bank_holidays(day.year)
        )

    def next_working_day(self, day: date) -> date:
        """``day`` itself when it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += _ONE_DAY
        return day

    def add_working_days(self, start: date, n: int) -> date:
        """The date due "within ``n`` working days of ``start``": the nth working day after it.

        An event on a non-working day counts as happening on the next working day (a complaint
        received on a Saturday is received on the Monday), so 0 gives that day.
        """
        if n < 0:
            raise ValueError(f"working days must be 0 or more, not {n}")
        day = self.next_working_day(start)
        for _ in range(n):
            day = self.next_working_day(day + _ONE_DAY)
        return day

    def working_days_before(self, day: date, n: int) -> date:
        """The nth working day before ``day`` (``day`` itself for 0): when something needed
        "n working days before" a meeting is due."""
        if n < 0:
            raise ValueError(f"working days must be 0 or more, not {n}")
        for _ in range(n):
            day -= _ONE_DAY
            while not self.is_working_day(day):
                day -= _ONE_DAY
        return day

    def working_days_after(self, start: date, end: date) -> int:
        """Working days ``d`` with ``start < d <= end``: how many days overdue on ``end``
        something due on ``start`` is (0 when ``end`` is on or before ``start``)."""
        if end <= start:
            return 0
        # Arithmetic rather than a walk, so an overdue list over years of records stays cheap.
        weekdays = _weekdays_through(end) - _weekdays_through(start)
        closed = set(self._closures)
        for year in range(start.year, end.year + 1):
            closed |= self.bank_holidays(year)
        lost = sum(1 for day in closed if start < day <= end and day.weekday() < 5)
        return weekdays - lost

    def last_working_day(self, year: int, month: int) -> date:
        """The last working day of a month (when audits are due)."""
        day = date(year, month, calendar.monthrange(year, month)[1])
        while not self.is_working_day(day):
            day -= _ONE_DAY
            if day.month != month:
                raise ValueError(f"{year:04d}-{month:02d} has no working day")
        return day

    def weeks_later(self, start: date, weeks: int) -> date:
        """``weeks`` weeks after ``start``, moved to the next working day if it falls on none
        (a re-audit due on a bank holiday is due the day after)."""
        if weeks < 0:
            raise ValueError(f"weeks must be 0 or more, not {weeks}")
        return self.next_working_day(start + timedelta(weeks=weeks))


def bank_holidays_from_package(year: int) -> list[date]:
    """England's bank holidays in ``year`` as the ``holidays`` package gives them."""
    import holidays

    loaded = holidays.country_holidays("GB", subdiv="ENG", years=year)
    return sorted(day for day in loaded if day.year == year)

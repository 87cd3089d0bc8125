"""Working days in England: weekdays that are neither bank holidays nor the service's closure days.

Moderation and complaint deadlines and re-audit dates follow domain.md, "Working days".
"""

from __future__ import annotations

import calendar
import contextlib
import hashlib
import importlib.util
import json
import os
import re
import tempfile
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

_ONE_DAY = timedelta(days=1)
CACHE_FILE = "bank-holidays-england.json"
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

    def __init__(self, closure_days: Iterable[date] = ()) -> None:
        self._closures = frozenset(closure_days)
        self._bank_holidays: dict[int, frozenset[date]] = {}

    @property
    def closure_days(self) -> frozenset[date]:
        """The policy's extra closure days."""
        return self._closures

    def bank_holidays(self, year: int) -> frozenset[date]:
        """England's bank holidays in ``year``, substitute ("observed") days included."""
        known = self._bank_holidays.get(year)
        if known is None:
            known = frozenset(_BANK_HOLIDAYS.year(year))
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


class _BankHolidayCache:
    """England's bank holidays by year, as the installed ``holidays`` package gives them.

    Importing that package costs about 0.1 s (it loads every country), more than the rest of
    an everyday command's own work; so the years asked for are kept in a small file in the
    user's cache directory, keyed by the installed package's version file and its UK module
    (a different ``holidays`` release, new bank holidays and all, is a different key, and the
    years are worked out afresh). The file is written whole under a temporary name and then
    renamed; a cache that cannot be read or written is simply not used.
    """

    def __init__(self) -> None:
        self._years: dict[int, list[date]] | None = None
        self._key: str | None = None

    @staticmethod
    def directory() -> Path:
        explicit = os.environ.get("QAUDIT_CACHE_DIR")
        if explicit:
            return Path(explicit)
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return Path(base) / "qaudit"

    @staticmethod
    def package_key() -> str | None:
        """What identifies the installed ``holidays`` (found without importing it)."""
        spec = importlib.util.find_spec("holidays")
        if spec is None or not spec.submodule_search_locations:
            return None
        package = Path(next(iter(spec.submodule_search_locations)))
        digest = hashlib.sha256()
        try:
            digest.update((package / "version.py").read_bytes())
            uk = (package / "countries" / "united_kingdom.py").stat()
        except OSError:
            return None
        digest.update(f"{package}|{uk.st_size}|{uk.st_mtime_ns}".encode())
        return digest.hexdigest()

    def _load(self) -> dict[int, list[date]]:
        if self._years is None:
            self._years = {}
            self._key = self.package_key()
            if self._key is not None:
                with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
                    data = json.loads((self.directory() / CACHE_FILE).read_text("utf-8"))
                    if data["key"] == self._key:
                        self._years = {
                            int(year): [date.fromisoformat(d) for d in days]
                            for year, days in data["years"].items()
                        }
        return self._years

    def year(self, year: int) -> list[date]:
        years = self._load()
        if year not in years:
            years[year] = _from_package(year)
            self._save(years)
        return years[year]

    def _save(self, years: dict[int, list[date]]) -> None:
        if self._key is None:
            return
        data = {
            "key": self._key,
            "years": {str(y): [d.isoformat() for d in days] for y, days in sorted(years.items())},
        }
        with contextlib.suppress(OSError):
            directory = self.directory()
            directory.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(dir=directory, prefix=".bank-holidays-")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    json.dump(data, out)
                Path(name).replace(directory / CACHE_FILE)
            except OSError:
                Path(name).unlink(missing_ok=True)
                raise


def _from_package(year: int) -> list[date]:
    import holidays

    loaded = holidays.country_holidays("GB", subdiv="ENG", years=year)
    return sorted(day for day in loaded if day.year == year)


_BANK_HOLIDAYS = _BankHolidayCache()

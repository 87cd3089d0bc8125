"""England's bank holidays for the working-day calendar, kept in a small cache file.

Importing the ``holidays`` package costs about 0.1 s (it loads every country), more than the
rest of an everyday command's own work; so the years asked for are kept in a file in the
user's cache directory (``QAUDIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/qaudit``), keyed by the
installed package's version file and its UK module: a different ``holidays`` release, new bank
holidays and all, is a different key, and the years are worked out afresh. The file is written
whole under a temporary name and then renamed; one that cannot be read, or whose years do not
look like England's bank holidays (dates outside their year, repeated or out of order, too
few or too many in a year), is not used.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import tempfile
from datetime import date
from pathlib import Path

from qaudit.domain.workdays import bank_holidays_from_package

CACHE_FILE = "bank-holidays-england.json"
# England has 8 a year, 9 or 10 with a jubilee, a coronation or a state funeral; the package
# lists a holiday that falls at a weekend as well as its substitute weekday.
PER_YEAR = range(6, 15)


def england(year: int) -> list[date]:
    """England's bank holidays in ``year`` (substitute days included), from the cache."""
    return _CACHE.year(year)


def _plausible(year: int, days: list[date]) -> bool:
    return (
        len(days) in PER_YEAR
        and days == sorted(set(days))
        and all(day.year == year for day in days)
    )


class BankHolidayCache:
    """England's bank holidays by year, as the installed ``holidays`` package gives them,
    kept in the cache file."""

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
                        years = {
                            int(year): [date.fromisoformat(d) for d in days]
                            for year, days in data["years"].items()
                        }
                        # A year that does not look like England's is worked out afresh.
                        self._years = {y: d for y, d in years.items() if _plausible(y, d)}
        return self._years

    def year(self, year: int) -> list[date]:
        years = self._load()
        if year not in years:
            years[year] = bank_holidays_from_package(year)
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


_CACHE = BankHolidayCache()

"""The bank-holiday cache: the same answer as the ``holidays`` package, without importing it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import holidays
import pytest

from qaudit.domain import workdays
from qaudit.domain.workdays import CACHE_FILE, WorkingCalendar


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("QAUDIT_CACHE_DIR", str(directory))
    monkeypatch.setattr(workdays, "_BANK_HOLIDAYS", workdays._BankHolidayCache())
    return directory


def _package(year: int) -> frozenset[date]:
    return frozenset(
        d for d in holidays.country_holidays("GB", subdiv="ENG", years=year) if d.year == year
    )


@pytest.mark.parametrize("year", [2020, 2022, 2023, 2026, 2027])
def test_the_cached_years_are_the_packages(cache_dir: Path, year: int) -> None:
    first = WorkingCalendar().bank_holidays(year)  # worked out, then written
    assert first == _package(year)
    saved = json.loads((cache_dir / CACHE_FILE).read_text("utf-8"))
    assert sorted(saved["years"][str(year)]) == sorted(d.isoformat() for d in _package(year))
    workdays._BANK_HOLIDAYS = workdays._BankHolidayCache()  # a new process, in effect
    assert WorkingCalendar().bank_holidays(year) == first


def test_a_cache_from_another_holidays_release_is_not_used(cache_dir: Path) -> None:
    cache_dir.mkdir()
    bogus = {"key": "another release", "years": {"2026": ["2026-03-03"]}}
    (cache_dir / CACHE_FILE).write_text(json.dumps(bogus), "utf-8")
    assert WorkingCalendar().bank_holidays(2026) == _package(2026)
    saved = json.loads((cache_dir / CACHE_FILE).read_text("utf-8"))
    assert saved["key"] != "another release"
    assert saved["years"] == {"2026": sorted(d.isoformat() for d in _package(2026))}


@pytest.mark.parametrize("content", ["{not json", '{"key": 1}', "[]", ""])
def test_a_damaged_cache_is_ignored_and_replaced(cache_dir: Path, content: str) -> None:
    cache_dir.mkdir()
    (cache_dir / CACHE_FILE).write_text(content, "utf-8")
    assert WorkingCalendar().add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)
    saved = json.loads((cache_dir / CACHE_FILE).read_text("utf-8"))
    assert "2026" in saved["years"]


def test_an_unwritable_cache_directory_still_gives_the_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", "utf-8")
    monkeypatch.setenv("QAUDIT_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.setattr(workdays, "_BANK_HOLIDAYS", workdays._BankHolidayCache())
    assert WorkingCalendar().bank_holidays(2025) == _package(2025)
    assert blocker.read_text("utf-8") == "not a directory"


def test_a_cached_year_does_not_import_the_holidays_package(cache_dir: Path) -> None:
    WorkingCalendar().bank_holidays(2026)  # fills the cache
    code = (
        "import sys\nfrom datetime import date\n"
        "from qaudit.domain.workdays import WorkingCalendar\n"
        "print(WorkingCalendar().working_days_after(date(2026, 12, 1), date(2026, 12, 31)))\n"
        "print('holidays' in sys.modules)\n"
    )
    env = {**os.environ, "QAUDIT_CACHE_DIR": str(cache_dir)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    # 2-31 December 2026: 22 weekdays, less Christmas Day (Fri 25) and Boxing Day's
    # substitute (Mon 28).
    assert out.stdout.split() == ["20", "False"]

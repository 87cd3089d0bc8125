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

from qaudit import bank_holidays
from qaudit.bank_holidays import CACHE_FILE
from qaudit.domain.workdays import WorkingCalendar


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("QAUDIT_CACHE_DIR", str(directory))
    monkeypatch.setattr(bank_holidays, "_CACHE", bank_holidays.BankHolidayCache())
    return directory


def _cached() -> WorkingCalendar:
    """The calendar as the services make it: bank holidays through the cache."""
    return WorkingCalendar(bank_holidays=bank_holidays.england)


def _package(year: int) -> frozenset[date]:
    return frozenset(
        d for d in holidays.country_holidays("GB", subdiv="ENG", years=year) if d.year == year
    )


@pytest.mark.parametrize("year", [2020, 2022, 2023, 2026, 2027])
def test_the_cached_years_are_the_packages(cache_dir: Path, year: int) -> None:
    first = _cached().bank_holidays(year)  # worked out, then written
    assert first == _package(year)
    saved = json.loads((cache_dir / CACHE_FILE).read_text("utf-8"))
    assert sorted(saved["years"][str(year)]) == sorted(d.isoformat() for d in _package(year))
    bank_holidays._CACHE = bank_holidays.BankHolidayCache()  # a new process, in effect
    assert _cached().bank_holidays(year) == first


def test_a_cache_from_another_holidays_release_is_not_used(cache_dir: Path) -> None:
    cache_dir.mkdir()
    bogus = {"key": "another release", "years": {"2026": ["2026-03-03"]}}
    (cache_dir / CACHE_FILE).write_text(json.dumps(bogus), "utf-8")
    assert _cached().bank_holidays(2026) == _package(2026)
    saved = json.loads((cache_dir / CACHE_FILE).read_text("utf-8"))
    assert saved["key"] != "another release"
    assert saved["years"] == {"2026": sorted(d.isoformat() for d in _package(2026))}


@pytest.mark.parametrize("content", ["{not json", '{"key": 1}', "[]", ""])
def test_a_damaged_cache_is_ignored_and_replaced(cache_dir: Path, content: str) -> None:
    cache_dir.mkdir()
    (cache_dir / CACHE_FILE).write_text(content, "utf-8")
    assert _cached().add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)
    saved = json.loads((cache_dir / CACHE_FILE).read_text("utf-8"))
    assert "2026" in saved["years"]


def test_an_unwritable_cache_directory_still_gives_the_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", "utf-8")
    monkeypatch.setenv("QAUDIT_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.setattr(bank_holidays, "_CACHE", bank_holidays.BankHolidayCache())
    assert _cached().bank_holidays(2025) == _package(2025)
    assert blocker.read_text("utf-8") == "not a directory"


def test_a_cached_year_does_not_import_the_holidays_package(cache_dir: Path) -> None:
    _cached().bank_holidays(2026)  # fills the cache
    code = (
        "import sys\nfrom datetime import date\n"
        "from qaudit.bank_holidays import england\n"
        "from qaudit.domain.workdays import WorkingCalendar\n"
        "cal = WorkingCalendar(bank_holidays=england)\n"
        "print(cal.working_days_after(date(2026, 12, 1), date(2026, 12, 31)))\n"
        "print('holidays' in sys.modules)\n"
    )
    env = {**os.environ, "QAUDIT_CACHE_DIR": str(cache_dir)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    # 2-31 December 2026: 22 weekdays, less Christmas Day (Fri 25) and Boxing Day's
    # substitute (Mon 28).
    assert out.stdout.split() == ["20", "False"]


@pytest.mark.parametrize(
    "days",
    [
        ["2026-03-03"],  # too few
        [f"2026-01-0{n}" for n in range(5, 10)] + ["2026-01-05", "2026-12-25"],  # repeated
        [f"2027-01-0{n}" for n in range(4, 10)] + ["2027-02-01", "2027-02-02"],  # another year
    ],
)
def test_a_cached_year_that_is_not_englands_is_worked_out_afresh(
    cache_dir: Path, days: list[str]
) -> None:
    WorkingCalendar(bank_holidays=bank_holidays.england).bank_holidays(2026)
    saved = json.loads((cache_dir / CACHE_FILE).read_text("utf-8"))
    saved["years"]["2026"] = days
    (cache_dir / CACHE_FILE).write_text(json.dumps(saved), "utf-8")
    bank_holidays._CACHE = bank_holidays.BankHolidayCache()  # a new process, in effect
    assert _cached().bank_holidays(2026) == _package(2026)
    again = json.loads((cache_dir / CACHE_FILE).read_text("utf-8"))
    assert again["years"]["2026"] == sorted(d.isoformat() for d in _package(2026))


def test_the_domain_calendar_does_no_file_io() -> None:
    """domain/ holds rules alone: the cache file is qaudit.bank_holidays' business."""
    source = Path(sys.modules["qaudit.domain.workdays"].__file__ or "").read_text("utf-8")
    for name in ("open(", "tempfile", "os.environ", "read_text", "write_text"):
        assert name not in source

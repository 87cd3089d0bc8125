"""Working days in England: domain.md's examples, bank holidays, closure days and month ends."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qaudit.domain.workdays import WorkingCalendar, month_bounds

D = date.fromisoformat
CALENDAR = WorkingCalendar()
CHRISTMAS_SHUTDOWN = WorkingCalendar([D("2026-12-29"), D("2026-12-30"), D("2026-12-31")])


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2026-12-23", True),  # Wednesday
        ("2026-12-25", False),  # Christmas Day
        ("2026-12-26", False),  # Boxing Day, a Saturday
        ("2026-12-28", False),  # Boxing Day (observed)
        ("2027-01-01", False),  # New Year's Day
        ("2026-04-03", False),  # Good Friday
        ("2026-04-06", False),  # Easter Monday
        ("2026-05-04", False),  # Early May bank holiday
        ("2026-08-31", False),  # Summer bank holiday
        ("2026-12-19", False),  # Saturday
        ("2026-12-20", False),  # Sunday
        ("2027-12-27", False),  # Christmas Day (observed)
        ("2027-12-28", False),  # Boxing Day (observed)
        ("2027-12-29", True),
        ("2023-05-08", False),  # Coronation: a one-off bank holiday the package keeps
        ("2035-12-25", False),  # any year loads on demand
    ],
)
def test_is_working_day(day: str, working: bool) -> None:
    assert CALENDAR.is_working_day(D(day)) is working


@pytest.mark.parametrize(
    ("calendar", "start", "n", "due"),
    [
        # domain.md: 25 and 28 Dec and 1 Jan are holidays.
        (CALENDAR, "2026-12-23", 5, "2027-01-04"),
        # domain.md: Good Friday 3 Apr, Easter Monday 6 Apr.
        (CALENDAR, "2026-04-02", 5, "2026-04-13"),
        (CALENDAR, "2026-12-23", 0, "2026-12-23"),
        (CALENDAR, "2026-12-23", 1, "2026-12-24"),
        (CALENDAR, "2026-12-24", 1, "2026-12-29"),
        # A Saturday counts as the Monday: 5 working days after Mon 2026-12-14.
        (CALENDAR, "2026-12-12", 5, "2026-12-21"),
        (CALENDAR, "2026-12-13", 5, "2026-12-21"),
        (CALENDAR, "2026-12-14", 5, "2026-12-21"),
        (CALENDAR, "2026-12-12", 0, "2026-12-14"),
        # Received on Christmas Day counts from Tue 29 Dec.
        (CALENDAR, "2026-12-25", 0, "2026-12-29"),
        (CALENDAR, "2026-12-25", 10, "2027-01-13"),
        # Complaints stage 1: 10 working days.
        (CALENDAR, "2026-03-30", 10, "2026-04-15"),
        # The policy closes 29-31 Dec: the Christmas example moves on three days.
        (CHRISTMAS_SHUTDOWN, "2026-12-23", 5, "2027-01-07"),
        (CHRISTMAS_SHUTDOWN, "2026-12-29", 0, "2027-01-04"),
        (CHRISTMAS_SHUTDOWN, "2026-04-02", 5, "2026-04-13"),
    ],
)
def test_add_working_days(calendar: WorkingCalendar, start: str, n: int, due: str) -> None:
    assert calendar.add_working_days(D(start), n) == D(due)


def test_a_saturday_start_is_the_monday_start() -> None:
    for n in range(12):
        saturday = CALENDAR.add_working_days(D("2027-03-27"), n)  # Easter Saturday
        assert saturday == CALENDAR.add_working_days(D("2027-03-29"), n)  # Easter Monday


def test_negative_working_days_are_refused() -> None:
    with pytest.raises(ValueError, match="0 or more"):
        CALENDAR.add_working_days(D("2026-12-23"), -1)


@pytest.mark.parametrize(
    ("calendar", "start", "weeks", "due"),
    [
        # domain.md: the re-audit 6 weeks after Wed 2026-12-23.
        (CALENDAR, "2026-12-23", 6, "2027-02-03"),
        (CALENDAR, "2026-12-23", 0, "2026-12-23"),
        # Lands on Easter Monday 2027-03-29: moves to Tuesday.
        (CALENDAR, "2027-02-15", 6, "2027-03-30"),
        # Lands on Good Friday 2027-03-26: over the weekend and Easter Monday.
        (CALENDAR, "2027-02-12", 6, "2027-03-30"),
        # Lands on the substitute days of Christmas 2027.
        (CALENDAR, "2027-11-15", 6, "2027-12-29"),
        (CALENDAR, "2027-11-16", 6, "2027-12-29"),
        # Lands on a weekend (audit recorded on a Saturday).
        (CALENDAR, "2026-10-31", 6, "2026-12-14"),
        # The old 12-week policy.
        (CALENDAR, "2026-10-02", 12, "2026-12-29"),
        # Lands on a closure day.
        (CHRISTMAS_SHUTDOWN, "2026-11-17", 6, "2027-01-04"),
    ],
)
def test_weeks_later(calendar: WorkingCalendar, start: str, weeks: int, due: str) -> None:
    assert calendar.weeks_later(D(start), weeks) == D(due)


@pytest.mark.parametrize(
    ("calendar", "year", "month", "last"),
    [
        (CALENDAR, 2026, 12, "2026-12-31"),  # a Thursday
        (CALENDAR, 2027, 1, "2027-01-29"),  # 30-31 Jan are a weekend
        (CALENDAR, 2026, 5, "2026-05-29"),  # 31 May is a Sunday
        (CALENDAR, 2026, 1, "2026-01-30"),  # 31 Jan is a Saturday
        (CALENDAR, 2026, 8, "2026-08-28"),  # 31 Aug is the summer bank holiday
        (CALENDAR, 2026, 2, "2026-02-27"),  # 28 Feb is a Saturday
        (CALENDAR, 2028, 2, "2028-02-29"),  # leap day, a Tuesday
        (CHRISTMAS_SHUTDOWN, 2026, 12, "2026-12-24"),
    ],
)
def test_last_working_day(calendar: WorkingCalendar, year: int, month: int, last: str) -> None:
    assert calendar.last_working_day(year, month) == D(last)


def test_a_month_with_no_working_day_is_an_error() -> None:
    closed = WorkingCalendar(D("2026-02-01") + timedelta(days=i) for i in range(28))
    with pytest.raises(ValueError, match="2026-02 has no working day"):
        closed.last_working_day(2026, 2)


@pytest.mark.parametrize(
    ("calendar", "due", "today", "overdue"),
    [
        (CALENDAR, "2026-12-11", "2026-12-14", 1),  # due Friday, today Monday
        (CALENDAR, "2026-12-14", "2026-12-14", 0),  # due today
        (CALENDAR, "2026-12-15", "2026-12-14", 0),  # not due yet
        (CALENDAR, "2026-12-14", "2026-12-19", 4),  # to the Saturday
        (CALENDAR, "2026-12-23", "2027-01-04", 5),  # across Christmas: 24, 29, 30, 31 Dec, 4 Jan
        (CALENDAR, "2026-12-24", "2027-01-01", 3),
        (CALENDAR, "2026-12-25", "2026-12-28", 0),  # holiday to holiday
        (CALENDAR, "2026-04-02", "2026-04-13", 5),
        (CALENDAR, "2026-01-01", "2027-01-01", 253),  # 261 weekdays less 8 bank holidays
        (CHRISTMAS_SHUTDOWN, "2026-12-23", "2027-01-04", 2),
    ],
)
def test_working_days_after(calendar: WorkingCalendar, due: str, today: str, overdue: int) -> None:
    assert calendar.working_days_after(D(due), D(today)) == overdue


def test_bank_holidays_come_from_the_package_with_substitute_days() -> None:
    calendar = WorkingCalendar()
    assert calendar.bank_holidays(2027) == {
        D(day)
        for day in (
            "2027-01-01", "2027-03-26", "2027-03-29", "2027-05-03", "2027-05-31",
            "2027-08-30", "2027-12-25", "2027-12-26", "2027-12-27", "2027-12-28",
        )
    }  # fmt: skip
    # Loaded once per year and kept.
    assert calendar.bank_holidays(2027) is calendar.bank_holidays(2027)


@pytest.mark.parametrize(
    ("month", "bounds"),
    [
        ("2026-12", ("2026-12-01", "2026-12-31")),
        ("2028-02", ("2028-02-01", "2028-02-29")),
        ("2027-02", ("2027-02-01", "2027-02-28")),
        (" 2026-04 ", ("2026-04-01", "2026-04-30")),
    ],
)
def test_month_bounds(month: str, bounds: tuple[str, str]) -> None:
    assert month_bounds(month) == (D(bounds[0]), D(bounds[1]))


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "2026-1", "26-01", "2026/01", "", "Dec"])
def test_month_bounds_names_the_form(month: str) -> None:
    with pytest.raises(ValueError, match=r"YYYY-MM"):
        month_bounds(month)


DAYS = st.dates(min_value=D("2024-01-01"), max_value=D("2030-12-31"))


def _walk_count(calendar: WorkingCalendar, start: date, end: date) -> int:
    count, day = 0, start + timedelta(days=1)
    while day <= end:
        count += calendar.is_working_day(day)
        day += timedelta(days=1)
    return count


@given(DAYS, st.integers(min_value=0, max_value=70))
def test_add_then_count_gives_n_back(start: date, n: int) -> None:
    due = CHRISTMAS_SHUTDOWN.add_working_days(start, n)
    assert CHRISTMAS_SHUTDOWN.is_working_day(due)
    first = CHRISTMAS_SHUTDOWN.next_working_day(start)
    assert CHRISTMAS_SHUTDOWN.working_days_after(first, due) == n


@given(DAYS, st.integers(min_value=0, max_value=800))
def test_working_days_after_counts_as_a_walk_would(start: date, span: int) -> None:
    end = start + timedelta(days=span)
    expected = _walk_count(CHRISTMAS_SHUTDOWN, start, end)
    assert CHRISTMAS_SHUTDOWN.working_days_after(start, end) == expected
    assert CHRISTMAS_SHUTDOWN.working_days_after(end, start) == 0


@given(DAYS)
def test_next_working_day_skips_only_non_working_days(day: date) -> None:
    found = CALENDAR.next_working_day(day)
    assert CALENDAR.is_working_day(found)
    assert found >= day
    assert _walk_count(CALENDAR, day - timedelta(days=1), found - timedelta(days=1)) == 0


@given(DAYS, st.integers(min_value=0, max_value=26))
def test_weeks_later_is_the_first_working_day_on_or_after(start: date, weeks: int) -> None:
    due = CALENDAR.weeks_later(start, weeks)
    plain = start + timedelta(weeks=weeks)
    assert CALENDAR.is_working_day(due)
    assert due == CALENDAR.next_working_day(plain)


def test_working_days_before_a_meeting_skip_weekends_and_bank_holidays() -> None:
    cal = WorkingCalendar()
    # Monday 4 January 2027: Friday 1 January is New Year's Day, so two working days before
    # are Thursday 31 and Wednesday 30 December.
    assert cal.working_days_before(date(2027, 1, 4), 1) == date(2026, 12, 31)
    assert cal.working_days_before(date(2027, 1, 4), 2) == date(2026, 12, 30)
    assert cal.working_days_before(date(2026, 12, 7), 2) == date(2026, 12, 3)
    assert cal.working_days_before(date(2026, 12, 7), 0) == date(2026, 12, 7)
    with pytest.raises(ValueError):
        cal.working_days_before(date(2026, 12, 7), -1)

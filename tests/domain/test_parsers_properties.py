"""Properties of the text parsers: dates, moments, periods and grades.

Each one either returns a value or raises ValueError, whatever it is given; every value it
prints parses back to itself; and dates in files are day first, never month first.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from qaudit.domain.dates import LONDON, parse_date, parse_file_date, parse_moment
from qaudit.domain.grades import GRADE_SLUGS, Grade, parse_grade
from qaudit.domain.periods import (
    Period,
    _financial_quarter,
    _financial_year,
    financial_quarter_of,
    financial_year_of,
    month,
    parse_period,
)

FAST = settings(max_examples=300, deadline=None)
TODAY = date(2026, 12, 1)
_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)

dates = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
spaces = st.sampled_from(["", " ", "  ", "\t", " \t "])


def date_like(alphabet: str) -> st.SearchStrategy[str]:
    """Text near the forms the parsers accept: their characters, in many orders and lengths."""
    return st.one_of(
        st.text(alphabet=alphabet, max_size=24),
        st.builds(
            "".join,
            st.lists(
                st.sampled_from(
                    ["2026", "-", "/", "T", " ", ":", "01", "13", "31", "00", "W", "٠", "２", "9"]
                ),
                max_size=10,
            ),
        ),
    )


arbitrary = st.one_of(st.text(), date_like("0123456789-/:T .Qq"), st.text(max_size=3))


# ---------------------------------------------------------------- parse_moment


@FAST
@given(day=dates, pad=spaces)
def test_a_day_is_the_start_of_that_day_in_london(day: date, pad: str) -> None:
    assert parse_moment(f"{pad}{day.isoformat()}{pad}") == datetime.combine(
        day, time(0, 0), tzinfo=LONDON
    )


@FAST
@given(day=dates, hour=st.integers(0, 23), minute=st.integers(0, 59), sep=st.sampled_from("T "))
def test_a_moment_round_trips(day: date, hour: int, minute: int, sep: str) -> None:
    moment = parse_moment(f"{day.isoformat()}{sep}{hour:02d}:{minute:02d}")
    assert moment == datetime.combine(day, time(hour, minute), tzinfo=LONDON)
    assert moment.tzinfo is LONDON


@FAST
@given(text=arbitrary)
def test_parse_moment_returns_a_moment_or_raises_value_error(text: str) -> None:
    try:
        moment = parse_moment(text)
    except ValueError as exc:
        assert str(exc)
        return
    assert moment.tzinfo is LONDON
    assert moment.second == 0
    assert moment.microsecond == 0


@pytest.mark.parametrize("text", ["2026-02-29", "2026-01-01T24:00", "2026-01-01T12:60"])
def test_parse_moment_refuses_what_does_not_exist(text: str) -> None:
    with pytest.raises(ValueError, match="not a date that exists"):
        parse_moment(text)


def test_parse_moment_refuses_digits_of_other_scripts() -> None:
    with pytest.raises(ValueError):
        parse_moment("2026-01-01T١٢:٠٠")


# ---------------------------------------------------------------- parse_date


@FAST
@given(day=dates)
def test_parse_date_round_trips(day: date) -> None:
    assert parse_date(day.isoformat()) == day


@FAST
@given(text=arbitrary)
def test_parse_date_returns_a_date_or_raises_value_error(text: str) -> None:
    try:
        day = parse_date(text)
    except ValueError as exc:
        assert "is not a date (YYYY-MM-DD)" in str(exc)
        return
    assert isinstance(day, date)


@FAST
@given(day=dates, pad=st.sampled_from([" ", "\t", "\n"]))
def test_parse_date_refuses_surrounding_space(day: date, pad: str) -> None:
    with pytest.raises(ValueError):
        parse_date(f"{pad}{day.isoformat()}")


@pytest.mark.parametrize(
    ("text", "taken_as"),
    [
        ("2026-W01-1", "2025-12-29"),
        ("20260101zz", "2026-01-01"),
        ("20260101T1", "2026-01-01"),
        ("2026010112", "2026-01-01"),
    ],
)
def test_parse_date_takes_only_yyyy_mm_dd(text: str, taken_as: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)  # today: returns date.fromisoformat(taken_as)


# ---------------------------------------------------------------- parse_file_date


@FAST
@given(day=dates)
def test_a_file_date_is_day_first_never_month_first(day: date) -> None:
    uk = f"{day.day:02d}/{day.month:02d}/{day.year:04d}"
    assert parse_file_date(uk) == day.isoformat()


@FAST
@given(day=st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31)))
def test_strftime_day_month_year_round_trips(day: date) -> None:
    # Below year 1000 glibc's %Y does not pad to four digits, which the file form requires.
    assert parse_file_date(day.strftime("%d/%m/%Y")) == day.isoformat()


@FAST
@given(day=dates, pad=spaces)
def test_a_file_date_may_be_unpadded_or_surrounded_by_spaces(day: date, pad: str) -> None:
    assert parse_file_date(f"{pad}{day.day}/{day.month}/{day.year:04d}{pad}") == day.isoformat()
    assert parse_file_date(f"{pad}{day.isoformat()}{pad}") == day.isoformat()


@FAST
@given(day=dates.filter(lambda d: d.day <= 12 and d.day != d.month))
def test_an_ambiguous_file_date_is_never_read_month_first(day: date) -> None:
    swapped = f"{day.month:02d}/{day.day:02d}/{day.year:04d}"
    assert parse_file_date(swapped) != day.isoformat()


@FAST
@given(text=arbitrary)
def test_parse_file_date_returns_an_iso_date_or_raises_value_error(text: str) -> None:
    try:
        iso = parse_file_date(text)
    except ValueError:
        return
    assert _ISO.fullmatch(iso)
    assert date.fromisoformat(iso).isoformat() == iso


@pytest.mark.parametrize(
    "text",
    [
        "31/02/2026",
        "29/02/2025",
        "00/01/2026",
        "01/13/2026",
        "12/31/2026",
        "1900-01-00",
        "2026-13-01",
        "2026-02-30",
        "2026-1-05",
        "0000-01-01",
        "01/01/0000",
        "1/1/26",
        "",
    ],
)
def test_parse_file_date_refuses_dates_that_do_not_exist(text: str) -> None:
    with pytest.raises(ValueError):
        parse_file_date(text)


@pytest.mark.parametrize(
    ("text", "taken_as"),
    [
        ("٠١/٠٢/٢٠٢٦", "2026-02-01"),  # Arabic-Indic digits
        ("1/2/２０２６", "2026-02-01"),  # fullwidth year
        ("2026-W01-1", "2025-12-29"),
        ("2026-W53-7", "2027-01-03"),
    ],
)
def test_parse_file_date_takes_only_the_two_documented_forms(text: str, taken_as: str) -> None:
    with pytest.raises(ValueError):
        parse_file_date(text)  # today: returns taken_as


# ---------------------------------------------------------------- parse_period

years = st.integers(1, 9998)  # a financial year starting in 9999 would end in year 10000


@FAST
@given(year=st.integers(1, 9999), number=st.integers(1, 12), pad=spaces)
def test_every_month_label_round_trips(year: int, number: int, pad: str) -> None:
    period = month(year, number)
    assert parse_period(f"{pad}{period.label}{pad}", TODAY) == period
    assert period.kind == "month"


@FAST
@given(start_year=years, number=st.integers(1, 4))
def test_every_quarter_label_round_trips(start_year: int, number: int) -> None:
    period = _financial_quarter(start_year, number)
    assert parse_period(period.label, TODAY) == period
    assert parse_period(period.label.replace("-Q", " q"), TODAY) == period
    assert period.label == f"{start_year:04d}/{(start_year + 1) % 100:02d}-Q{number}"
    assert financial_quarter_of(period.start) == period == financial_quarter_of(period.end)


@FAST
@given(start_year=years)
def test_every_financial_year_label_round_trips(start_year: int) -> None:
    period = _financial_year(start_year)
    assert parse_period(period.label, TODAY) == period
    assert (period.start, period.end) == (date(start_year, 4, 1), date(start_year + 1, 3, 31))
    assert financial_year_of(period.start) == period == financial_year_of(period.end)


@FAST
@given(first=dates, length=st.integers(0, 5000))
def test_every_range_label_round_trips(first: date, length: int) -> None:
    last = first + timedelta(days=min(length, (date.max - first).days))
    period = parse_period(f"{first.isoformat()}..{last.isoformat()}", TODAY)
    assert (period.start, period.end, period.kind) == (first, last, "range")
    assert parse_period(period.label, TODAY) == period


@FAST
@given(text=arbitrary, today=dates)
@example(text="9999/00", today=TODAY)
@example(text="0000-01", today=TODAY)
@example(text="2026/27-Q9", today=TODAY)
@example(text="this-year", today=date(9999, 12, 31))
@example(text="last-month", today=date(1, 1, 1))
@example(text="9999-12-31..0001-01-01", today=TODAY)
def test_parse_period_returns_a_period_or_raises_value_error(text: str, today: date) -> None:
    try:
        period = parse_period(text, today)
    except ValueError as exc:
        assert str(exc)
        return
    assert isinstance(period, Period)
    assert period.start <= period.end
    if period.kind != "range":
        assert parse_period(period.label, TODAY) == period


@FAST
@given(
    word=st.sampled_from(
        ["this-month", "last-month", "this-quarter", "last-quarter", "this-year", "last-year"]
    ),
    today=dates,
)
def test_a_relative_period_holds_today_or_ends_before_it(word: str, today: date) -> None:
    try:
        period = parse_period(word.upper(), today)
    except ValueError:
        return  # only at the ends of the calendar
    if word.startswith("this-"):
        assert period.contains(today)
    else:
        assert period.end < today


# ---------------------------------------------------------------- parse_grade


@st.composite
def grade_spellings(draw: st.DrawFn) -> tuple[str, Grade]:
    grade = draw(st.sampled_from(list(Grade)))
    words = draw(st.sampled_from([grade.slug, grade.label])).replace("-", " ").split()
    if grade is Grade.REQUIRES_IMPROVEMENT and draw(st.booleans()):
        words = ["requires", "improvement"]
    cased = [draw(st.sampled_from([w.lower(), w.upper(), w.title()])) for w in words]
    separators = [draw(st.sampled_from([" ", "-", "_", "  ", " - ", "\t"])) for _ in cased[1:]]
    text = cased[0] + "".join(sep + word for sep, word in zip(separators, cased[1:], strict=True))
    return draw(spaces) + text + draw(spaces), grade


@FAST
@given(spelling=grade_spellings())
def test_every_spelling_of_a_grade_parses(spelling: tuple[str, Grade]) -> None:
    text, grade = spelling
    assert parse_grade(text) is grade


@FAST
@given(text=st.one_of(st.text(), st.text(alphabet="goodutsandinqrempv -_", max_size=30)))
@example(text="")
@example(text="requires")
@example(text="good or better")
def test_parse_grade_returns_a_grade_or_raises_value_error(text: str) -> None:
    try:
        grade = parse_grade(text)
    except ValueError as exc:
        assert all(slug in str(exc) for slug in GRADE_SLUGS)
        return
    assert isinstance(grade, Grade)
    assert parse_grade(grade.slug) is grade

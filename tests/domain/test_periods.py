"""Reporting periods: every form cli.md accepts, financial-year edges, and refusals."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qaudit.domain.periods import (
    Period,
    financial_quarter_of,
    financial_year_of,
    month,
    parse_period,
    previous,
)

D = date.fromisoformat
TODAY = D("2026-12-01")
ACCEPTED = (
    "use YYYY-MM, YYYY/YY-Qn (financial-year quarter, e.g. 2026/27-Q4), YYYY/YY, DATE..DATE, "
    "last-month, this-month, last-quarter, this-quarter, last-year or this-year"
)


def spans(periods: list[Period]) -> list[tuple[str, str, str]]:
    return [(p.start.isoformat(), p.end.isoformat(), p.label) for p in periods]


@pytest.mark.parametrize(
    ("text", "start", "end", "label", "kind"),
    [
        ("2026-11", "2026-11-01", "2026-11-30", "2026-11", "month"),
        ("2026-02", "2026-02-01", "2026-02-28", "2026-02", "month"),
        ("2028-02", "2028-02-01", "2028-02-29", "2028-02", "month"),  # leap year
        ("2026-12", "2026-12-01", "2026-12-31", "2026-12", "month"),
        (" 2026-11 ", "2026-11-01", "2026-11-30", "2026-11", "month"),
        ("2026/27-Q1", "2026-04-01", "2026-06-30", "2026/27-Q1", "quarter"),
        ("2026/27-Q2", "2026-07-01", "2026-09-30", "2026/27-Q2", "quarter"),
        ("2026/27-Q3", "2026-10-01", "2026-12-31", "2026/27-Q3", "quarter"),
        ("2026/27-Q4", "2027-01-01", "2027-03-31", "2026/27-Q4", "quarter"),  # cli.md's example
        ("2026/27-q4", "2027-01-01", "2027-03-31", "2026/27-Q4", "quarter"),
        ("  2026/27-Q4\t", "2027-01-01", "2027-03-31", "2026/27-Q4", "quarter"),
        ("2026/27 - Q4", "2027-01-01", "2027-03-31", "2026/27-Q4", "quarter"),
        ("2026/27 Q4", "2027-01-01", "2027-03-31", "2026/27-Q4", "quarter"),  # domain.md's form
        ("2099/00-Q4", "2100-01-01", "2100-03-31", "2099/00-Q4", "quarter"),
        ("2026/27", "2026-04-01", "2027-03-31", "2026/27", "year"),
        ("2099/00", "2099-04-01", "2100-03-31", "2099/00", "year"),
        ("1999/00", "1999-04-01", "2000-03-31", "1999/00", "year"),
        (
            "2026-01-05..2026-02-10",
            "2026-01-05",
            "2026-02-10",
            "2026-01-05..2026-02-10",
            "range",
        ),
        ("2026-03-01..2026-03-01", "2026-03-01", "2026-03-01", "2026-03-01..2026-03-01", "range"),
        (
            " 2026-01-05 .. 2026-02-10 ",
            "2026-01-05",
            "2026-02-10",
            "2026-01-05..2026-02-10",
            "range",
        ),
        ("this-month", "2026-12-01", "2026-12-31", "2026-12", "month"),
        ("last-month", "2026-11-01", "2026-11-30", "2026-11", "month"),
        ("this-quarter", "2026-10-01", "2026-12-31", "2026/27-Q3", "quarter"),
        ("last-quarter", "2026-07-01", "2026-09-30", "2026/27-Q2", "quarter"),
        ("this-year", "2026-04-01", "2027-03-31", "2026/27", "year"),
        ("last-year", "2025-04-01", "2026-03-31", "2025/26", "year"),
        ("Last-Month", "2026-11-01", "2026-11-30", "2026-11", "month"),
    ],
)
def test_parse_period(text: str, start: str, end: str, label: str, kind: str) -> None:
    assert parse_period(text, TODAY) == Period(D(start), D(end), label, kind)


@pytest.mark.parametrize(
    ("today", "word", "label", "start", "end"),
    [
        # 1 April: the first day of a financial year; last-* reach back into the old one.
        ("2026-04-01", "this-month", "2026-04", "2026-04-01", "2026-04-30"),
        ("2026-04-01", "last-month", "2026-03", "2026-03-01", "2026-03-31"),
        ("2026-04-01", "this-quarter", "2026/27-Q1", "2026-04-01", "2026-06-30"),
        ("2026-04-01", "last-quarter", "2025/26-Q4", "2026-01-01", "2026-03-31"),
        ("2026-04-01", "this-year", "2026/27", "2026-04-01", "2027-03-31"),
        ("2026-04-01", "last-year", "2025/26", "2025-04-01", "2026-03-31"),
        # 31 December: the last day of Q3 and of the calendar year, not of the financial year.
        ("2026-12-31", "this-month", "2026-12", "2026-12-01", "2026-12-31"),
        ("2026-12-31", "last-month", "2026-11", "2026-11-01", "2026-11-30"),
        ("2026-12-31", "this-quarter", "2026/27-Q3", "2026-10-01", "2026-12-31"),
        ("2026-12-31", "last-quarter", "2026/27-Q2", "2026-07-01", "2026-09-30"),
        ("2026-12-31", "this-year", "2026/27", "2026-04-01", "2027-03-31"),
        ("2026-12-31", "last-year", "2025/26", "2025-04-01", "2026-03-31"),
        # 1 January: a new calendar year but the same financial year.
        ("2027-01-01", "this-month", "2027-01", "2027-01-01", "2027-01-31"),
        ("2027-01-01", "last-month", "2026-12", "2026-12-01", "2026-12-31"),
        ("2027-01-01", "this-quarter", "2026/27-Q4", "2027-01-01", "2027-03-31"),
        ("2027-01-01", "last-quarter", "2026/27-Q3", "2026-10-01", "2026-12-31"),
        ("2027-01-01", "this-year", "2026/27", "2026-04-01", "2027-03-31"),
        ("2027-01-01", "last-year", "2025/26", "2025-04-01", "2026-03-31"),
        # 31 March: the last day of Q4 and of the financial year.
        ("2027-03-31", "this-month", "2027-03", "2027-03-01", "2027-03-31"),
        ("2027-03-31", "last-month", "2027-02", "2027-02-01", "2027-02-28"),
        ("2027-03-31", "this-quarter", "2026/27-Q4", "2027-01-01", "2027-03-31"),
        ("2027-03-31", "last-quarter", "2026/27-Q3", "2026-10-01", "2026-12-31"),
        ("2027-03-31", "this-year", "2026/27", "2026-04-01", "2027-03-31"),
        ("2027-03-31", "last-year", "2025/26", "2025-04-01", "2026-03-31"),
        # 31 March in a leap year: last month is a 29-day February.
        ("2028-03-31", "last-month", "2028-02", "2028-02-01", "2028-02-29"),
    ],
)
def test_relative_words_at_the_edges(
    today: str, word: str, label: str, start: str, end: str
) -> None:
    period = parse_period(word, D(today))
    assert (period.label, period.start, period.end) == (label, D(start), D(end))


@pytest.mark.parametrize(
    ("day", "quarter", "year"),
    [
        ("2026-03-31", "2025/26-Q4", "2025/26"),
        ("2026-04-01", "2026/27-Q1", "2026/27"),
        ("2026-06-30", "2026/27-Q1", "2026/27"),
        ("2026-07-01", "2026/27-Q2", "2026/27"),
        ("2026-09-30", "2026/27-Q2", "2026/27"),
        ("2026-10-01", "2026/27-Q3", "2026/27"),
        ("2026-12-31", "2026/27-Q3", "2026/27"),
        ("2027-01-01", "2026/27-Q4", "2026/27"),
        ("2027-02-10", "2026/27-Q4", "2026/27"),
        ("2027-03-31", "2026/27-Q4", "2026/27"),
        ("2027-04-01", "2027/28-Q1", "2027/28"),
        ("2100-01-01", "2099/00-Q4", "2099/00"),
    ],
)
def test_financial_quarter_and_year_of(day: str, quarter: str, year: str) -> None:
    assert financial_quarter_of(D(day)).label == quarter
    assert financial_quarter_of(D(day)).kind == "quarter"
    assert financial_year_of(D(day)).label == year
    assert financial_year_of(D(day)).kind == "year"


@pytest.mark.parametrize(
    ("text", "file_label"),
    [
        ("2026-11", "2026-11"),
        ("2026/27-Q3", "2026-27-Q3"),  # cli.md's example
        ("2026/27", "2026-27"),
        ("2026-01-05..2026-02-10", "2026-01-05..2026-02-10"),
    ],
)
def test_file_label(text: str, file_label: str) -> None:
    assert parse_period(text, TODAY).file_label == file_label


@pytest.mark.parametrize(
    ("text", "day", "inside"),
    [
        ("2026/27-Q4", "2026-12-31", False),
        ("2026/27-Q4", "2027-01-01", True),
        ("2026/27-Q4", "2027-03-31", True),
        ("2026/27-Q4", "2027-04-01", False),
        ("2026-01-05..2026-02-10", "2026-01-05", True),
        ("2026-01-05..2026-02-10", "2026-02-10", True),
        ("2026-01-05..2026-02-10", "2026-02-11", False),
    ],
)
def test_contains(text: str, day: str, inside: bool) -> None:
    assert parse_period(text, TODAY).contains(D(day)) is inside


def test_months_and_quarters_of_a_financial_year() -> None:
    year = parse_period("2026/27", TODAY)
    months = year.months()
    assert [m.label for m in months] == [
        *(f"2026-{n:02d}" for n in range(4, 13)),
        *(f"2027-{n:02d}" for n in range(1, 4)),
    ]
    assert months == [parse_period(m.label, TODAY) for m in months]
    assert all(m.kind == "month" for m in months)
    assert spans(year.quarters()) == [
        ("2026-04-01", "2026-06-30", "2026/27-Q1"),
        ("2026-07-01", "2026-09-30", "2026/27-Q2"),
        ("2026-10-01", "2026-12-31", "2026/27-Q3"),
        ("2027-01-01", "2027-03-31", "2026/27-Q4"),
    ]


def test_months_and_quarters_of_a_quarter() -> None:
    quarter = parse_period("2026/27-Q4", TODAY)
    assert spans(quarter.months()) == [
        ("2027-01-01", "2027-01-31", "2027-01"),
        ("2027-02-01", "2027-02-28", "2027-02"),
        ("2027-03-01", "2027-03-31", "2027-03"),
    ]
    assert quarter.quarters() == [quarter]


def test_months_and_quarters_of_a_month() -> None:
    november = month(2026, 11)
    assert november.months() == [november]
    # A month's quarter is the whole quarter it falls in, not clipped to the month.
    assert november.quarters() == [parse_period("2026/27-Q3", TODAY)]


@pytest.mark.parametrize(
    ("text", "months", "quarters"),
    [
        # Spans Q1 and Q2 of 2026/27: first and last months and quarters clipped to the range.
        (
            "2026-06-15..2026-08-10",
            [
                ("2026-06-15", "2026-06-30", "2026-06"),
                ("2026-07-01", "2026-07-31", "2026-07"),
                ("2026-08-01", "2026-08-10", "2026-08"),
            ],
            [
                ("2026-06-15", "2026-06-30", "2026/27-Q1"),
                ("2026-07-01", "2026-08-10", "2026/27-Q2"),
            ],
        ),
        # Spans the turn of the financial year.
        (
            "2026-03-31..2026-04-01",
            [
                ("2026-03-31", "2026-03-31", "2026-03"),
                ("2026-04-01", "2026-04-01", "2026-04"),
            ],
            [
                ("2026-03-31", "2026-03-31", "2025/26-Q4"),
                ("2026-04-01", "2026-04-01", "2026/27-Q1"),
            ],
        ),
        # Within one month.
        (
            "2026-01-05..2026-01-10",
            [("2026-01-05", "2026-01-10", "2026-01")],
            [("2026-01-05", "2026-01-10", "2025/26-Q4")],
        ),
    ],
)
def test_months_and_quarters_of_a_range(
    text: str, months: list[tuple[str, str, str]], quarters: list[tuple[str, str, str]]
) -> None:
    period = parse_period(text, TODAY)
    assert spans(period.months()) == months
    assert spans(period.quarters()) == quarters
    assert {p.kind for p in period.months()} == {"month"}
    assert {p.kind for p in period.quarters()} == {"quarter"}


def test_periods_order_by_start() -> None:
    q3, q4 = parse_period("2026/27-Q3", TODAY), parse_period("2026/27-Q4", TODAY)
    assert sorted([q4, q3]) == [q3, q4]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-Q4", f"'2026-Q4' is not a period; {ACCEPTED}"),
        ("", f"'' is not a period; {ACCEPTED}"),
        ("Q4", f"'Q4' is not a period; {ACCEPTED}"),
        ("2026-1", f"'2026-1' is not a period; {ACCEPTED}"),
        ("2026/2027", f"'2026/2027' is not a period; {ACCEPTED}"),
        ("2026/27-Q", f"'2026/27-Q' is not a period; {ACCEPTED}"),
        ("2026/27Q4", f"'2026/27Q4' is not a period; {ACCEPTED}"),
        ("next-month", f"'next-month' is not a period; {ACCEPTED}"),
        ("this month", f"'this month' is not a period; {ACCEPTED}"),
        ("26/11/2026..2026-12-01", f"'26/11/2026..2026-12-01' is not a period; {ACCEPTED}"),
        ("2026-01-05..", f"'2026-01-05..' is not a period; {ACCEPTED}"),
        ("２０２６-11", f"'２０２６-11' is not a period; {ACCEPTED}"),  # full-width digits
        ("2026-13", "'2026-13' is not a period: there is no month 13"),
        ("2026-00", "'2026-00' is not a period: there is no month 00"),
        ("0000-01", "'0000-01' is not a period: 0000 is not a year"),
        ("2026/27-Q5", "'2026/27-Q5' is not a period: there is no Q5 (Q1 to Q4)"),
        ("2026/27-Q0", "'2026/27-Q0' is not a period: there is no Q0 (Q1 to Q4)"),
        (
            "2026/28-Q1",
            "'2026/28-Q1' is not a period: the financial year starting in 2026 is 2026/27",
        ),
        ("2026/26", "'2026/26' is not a period: the financial year starting in 2026 is 2026/27"),
        ("2099/100", f"'2099/100' is not a period; {ACCEPTED}"),
        ("2099/99", "'2099/99' is not a period: the financial year starting in 2099 is 2099/00"),
        ("9999/00", "'9999/00' is not a period: it ends after 9999-12-31"),
        (
            "2026-02-30..2026-03-01",
            "'2026-02-30..2026-03-01' is not a period: 2026-02-30 is not a date that exists",
        ),
        (
            "2026-02-01..2026-13-01",
            "'2026-02-01..2026-13-01' is not a period: 2026-13-01 is not a date that exists",
        ),
        (
            "2026-03-01..2026-02-28",
            "'2026-03-01..2026-02-28' is not a period: it ends (2026-02-28) before it starts "
            "(2026-03-01)",
        ),
    ],
)
def test_bad_periods_are_refused_with_the_problem(text: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_period(text, TODAY)
    assert str(caught.value) == message


def test_a_period_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="ends"):
        Period(D("2026-02-01"), D("2026-01-31"), "backwards", "range")


def test_month_that_does_not_exist() -> None:
    with pytest.raises(ValueError):
        month(2026, 13)


# Financial years need the March after; year 1's January falls in a year that began in year 0.
DAYS = st.dates(min_value=date(1, 4, 1), max_value=date(9998, 12, 31))


@given(DAYS)
def test_every_day_is_in_exactly_one_quarter_of_its_financial_year(day: date) -> None:
    quarter = financial_quarter_of(day)
    year = financial_year_of(day)
    assert quarter.contains(day)
    assert year.contains(quarter.start)
    assert year.contains(quarter.end)
    assert quarter.label.startswith(year.label + "-Q")
    assert [q for q in year.quarters() if q.contains(day)] == [quarter]
    assert [m for m in year.months() if m.contains(day)] == [month(day.year, day.month)]


@given(DAYS)
def test_every_label_parses_back_to_its_period(day: date) -> None:
    for period in (financial_quarter_of(day), financial_year_of(day), month(day.year, day.month)):
        assert parse_period(period.label, TODAY) == period


@pytest.mark.parametrize(
    ("text", "label", "start", "end"),
    [
        ("2026-12", "2026-11", date(2026, 11, 1), date(2026, 11, 30)),
        ("2026-03", "2026-02", date(2026, 2, 1), date(2026, 2, 28)),
        ("2027-01", "2026-12", date(2026, 12, 1), date(2026, 12, 31)),
        ("2026/27-Q3", "2026/27-Q2", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026/27-Q1", "2025/26-Q4", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026/27", "2025/26", date(2025, 4, 1), date(2026, 3, 31)),
        # A range: as many days, ending the day before it starts.
        ("2026-12-10..2026-12-16", "2026-12-03..2026-12-09", date(2026, 12, 3), date(2026, 12, 9)),
        ("2026-03-01..2026-03-01", "2026-02-28..2026-02-28", date(2026, 2, 28), date(2026, 2, 28)),
    ],
)
def test_previous_period(text: str, label: str, start: date, end: date) -> None:
    period = parse_period(text, date(2026, 12, 14))
    before = previous(period)
    assert before is not None
    assert (before.label, before.start, before.end, before.kind) == (label, start, end, period.kind)


def test_no_previous_period_before_the_calendar() -> None:
    assert previous(parse_period("0001-01", date(2026, 1, 1))) is None
    assert previous(parse_period("0001/02", date(2026, 1, 1))) is None
    assert previous(parse_period("0001-01-01..0001-01-05", date(2026, 1, 1))) is None
    first = previous(parse_period("0001-02", date(2026, 1, 1)))
    assert first is not None and first.label == "0001-01"


@given(st.dates(min_value=date(2, 1, 1)), st.integers(0, 400))
def test_a_previous_range_is_as_long_and_just_before(start: date, days: int) -> None:
    from datetime import timedelta

    end = start + timedelta(days=min(days, (date.max - start).days))  # never past 9999-12-31
    period = parse_period(f"{start.isoformat()}..{end.isoformat()}", date(2026, 1, 1))
    before = previous(period)
    if before is None:
        return
    assert before.end + timedelta(days=1) == period.start
    assert before.end - before.start == period.end - period.start

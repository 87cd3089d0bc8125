"""The "one child, one case" rule of domain.md: how involvements merge into a case."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qaudit.domain.cases import (
    CATEGORIES,
    CATEGORY_RANK,
    Involvement,
    MergedCase,
    merge_involvements,
)

TODAY = date(2026, 1, 15)


def inv(
    category: str,
    start: str | None,
    end: str | None = None,
    team: str | None = None,
    worker: str | None = None,
) -> Involvement:
    return Involvement(
        category,
        date.fromisoformat(start) if start else None,
        date.fromisoformat(end) if end else None,
        team if team is not None else f"{category} team",
        worker if worker is not None else f"{category} worker",
    )


def case(
    category: str, open_date: str | None, close_date: str | None, who: str | None = None
) -> MergedCase:
    who = who or category
    return MergedCase(
        category,
        date.fromisoformat(open_date) if open_date else None,
        date.fromisoformat(close_date) if close_date else None,
        f"{who} team",
        f"{who} worker",
    )


def test_categories_rank_most_intensive_first() -> None:
    assert CATEGORIES == ("CLA", "CP", "CIN", "CL")
    assert sorted(CATEGORY_RANK, key=CATEGORY_RANK.__getitem__) == ["CLA", "CP", "CIN", "CL"]


@pytest.mark.parametrize(
    ("involvements", "expected"),
    [
        pytest.param(
            [inv("CLA", "2025-03-01", "2025-11-20"), inv("CP", "2025-06-10")],
            case("CP", "2025-03-01", None),
            id="domain.md example: care ended in November, CP plan goes on -> open CP",
        ),
        pytest.param(
            [inv("CIN", "2024-05-01")],
            case("CIN", "2024-05-01", None),
            id="one open involvement",
        ),
        pytest.param(
            [inv("CP", "2024-05-01", "2025-02-01")],
            case("CP", "2024-05-01", "2025-02-01"),
            id="one ended involvement",
        ),
        pytest.param(
            [inv("CIN", "2024-01-01"), inv("CP", "2025-01-01"), inv("CLA", "2025-06-01")],
            case("CLA", "2024-01-01", None),
            id="all open: the most intensive wins, the earliest start opens",
        ),
        pytest.param(
            [inv("CL", None), inv("CIN", "2025-09-01")],
            case("CIN", "2025-09-01", None),
            id="CIN outranks CL",
        ),
        pytest.param(
            [inv("CL", None)],
            case("CL", None, None),
            id="care leaver: no start known, open",
        ),
        pytest.param(
            [
                inv("CLA", "2020-01-01", "2023-05-01"),
                inv("CIN", "2023-05-02", "2024-08-31"),
                inv("CP", "2022-01-01", "2022-12-31"),
            ],
            case("CIN", "2020-01-01", "2024-08-31"),
            id="none open: the one that ended last, closed on the latest end",
        ),
        pytest.param(
            [inv("CIN", "2024-01-01", "2025-06-30"), inv("CP", "2025-01-01", "2025-06-30")],
            case("CP", "2024-01-01", "2025-06-30"),
            id="none open, same end: the most intensive",
        ),
        pytest.param(
            [
                inv("CP", "2024-01-01", "2025-06-30", team="old", worker="old"),
                inv("CP", "2025-02-01", "2025-06-30", team="new", worker="new"),
            ],
            MergedCase("CP", date(2024, 1, 1), date(2025, 6, 30), "new", "new"),
            id="none open, same end and category: the one that started last",
        ),
        pytest.param(
            [
                inv("CP", "2023-01-01", team="first", worker="first"),
                inv("CP", "2025-01-01", team="latest", worker="latest"),
                inv("CP", "2024-01-01", team="middle", worker="middle"),
            ],
            MergedCase("CP", date(2023, 1, 1), None, "latest", "latest"),
            id="tie among open CP plans: the one that started last",
        ),
        pytest.param(
            [
                inv("CP", None, team="unknown", worker="unknown"),
                inv("CP", "2024-01-01", team="known", worker="known"),
            ],
            MergedCase("CP", date(2024, 1, 1), None, "known", "known"),
            id="tie: a known start beats an unknown one",
        ),
        pytest.param(
            [
                inv("CIN", "2024-01-01", team="a", worker="a"),
                inv("CIN", "2024-01-01", team="b", worker="b"),
            ],
            MergedCase("CIN", date(2024, 1, 1), None, "a", "a"),
            id="full tie: the first given",
        ),
        pytest.param(
            [inv("CLA", "2025-01-01", "2026-01-15"), inv("CIN", "2024-01-01")],
            case("CLA", "2024-01-01", None),
            id="ending today is still open",
        ),
        pytest.param(
            [inv("CLA", "2025-01-01", "2026-01-14"), inv("CIN", "2024-01-01")],
            case("CIN", "2024-01-01", None),
            id="ended yesterday is closed",
        ),
        pytest.param(
            [inv("CLA", "2025-01-01", "2026-03-01"), inv("CP", "2024-01-01", "2025-01-01")],
            case("CLA", "2024-01-01", None),
            id="an end date after today is still open: the case is not closed yet",
        ),
        pytest.param(
            [inv("CP", None, "2025-01-01"), inv("CIN", None, "2024-01-01")],
            case("CP", None, "2025-01-01"),
            id="no start known anywhere: open date unknown",
        ),
        pytest.param(
            [inv("CIN", "2024-01-01", team="", worker="")],
            MergedCase("CIN", date(2024, 1, 1), None, "", ""),
            id="team and worker are carried as given",
        ),
    ],
)
def test_merge_involvements(involvements: list[Involvement], expected: MergedCase) -> None:
    assert merge_involvements(involvements, TODAY) == expected


def test_unallocated_lead_keeps_its_blank_team() -> None:
    """The lead involvement's team is the case's, even when blank: no borrowing from others."""
    merged = merge_involvements(
        [
            Involvement("CIN", date(2024, 1, 1), None, "CIN team", "Ann"),
            Involvement("CP", date(2025, 1, 1), None, None, None),
        ],
        TODAY,
    )
    assert (merged.category, merged.team, merged.worker) == ("CP", None, None)


def test_order_of_involvements_does_not_matter_without_full_ties() -> None:
    involvements = [
        inv("CLA", "2020-01-01", "2023-05-01"),
        inv("CIN", "2023-05-02", "2024-08-31"),
        inv("CP", "2022-01-01"),
        inv("CL", None),
    ]
    expected = merge_involvements(involvements, TODAY)
    assert expected == case("CP", "2020-01-01", None)
    assert merge_involvements(list(reversed(involvements)), TODAY) == expected


def test_the_same_involvements_read_on_another_day() -> None:
    involvements = [inv("CLA", "2025-03-01", "2025-11-20"), inv("CP", "2025-06-10")]
    assert merge_involvements(involvements, date(2025, 11, 1)).category == "CLA"
    assert merge_involvements(involvements, date(2025, 11, 20)).category == "CLA"
    assert merge_involvements(involvements, date(2025, 11, 21)).category == "CP"


@pytest.mark.parametrize(
    ("involvements", "message"),
    [
        ([], "at least one involvement"),
        ([inv("XYZ", "2024-01-01")], "unknown case category 'XYZ'"),
    ],
)
def test_bad_calls_are_refused(involvements: list[Involvement], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        merge_involvements(involvements, TODAY)


def test_involvement_and_case_are_frozen() -> None:
    involvement = inv("CP", "2024-01-01")
    with pytest.raises(AttributeError):
        involvement.category = "CLA"  # type: ignore[misc]


_days = st.dates(min_value=date(2015, 1, 1), max_value=date(2027, 12, 31))


@st.composite
def _involvements(draw: st.DrawFn) -> Involvement:
    start = draw(st.none() | _days)
    end = draw(st.none() | _days)
    if start is not None and end is not None and end < start:
        start, end = end, start
    return Involvement(draw(st.sampled_from(CATEGORIES)), start, end, "t", "w")


@given(st.lists(_involvements(), min_size=1, max_size=6), _days)
def test_merge_properties(involvements: list[Involvement], today: date) -> None:
    merged = merge_involvements(involvements, today)
    open_ones = [i for i in involvements if i.end is None or i.end >= today]
    starts = [i.start for i in involvements if i.start is not None]
    assert merged.open_date == (min(starts) if starts else None)
    if open_ones:
        assert merged.close_date is None
        assert merged.category == min(
            (i.category for i in open_ones), key=CATEGORY_RANK.__getitem__
        )
    else:
        assert merged.close_date == max(i.end for i in involvements if i.end is not None)
        assert merged.category in {i.category for i in involvements if i.end == merged.close_date}

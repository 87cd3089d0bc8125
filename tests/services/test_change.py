"""The change table's rows: rates, difference in points, Newcombe interval and verdict, from
counts worked by hand."""

from __future__ import annotations

from datetime import date

import pytest

from qaudit.domain.periods import parse_period, previous
from qaudit.services.change import (
    NONE_BEFORE,
    NONE_EITHER,
    NONE_THIS,
    Measure,
    change_row,
    change_table,
)


def test_a_clear_rise_worked_by_hand() -> None:
    # 40/50 against 30/50: d = 0.2. Wilson 40/50 -> (0.669629, 0.887562), 30/50 -> (0.461814,
    # 0.723916). L = 0.2 - sqrt(0.130371² + 0.123916²) = 0.2 - 0.179866 = 0.020134 -> 2.0;
    # U = 0.2 + sqrt(0.087562² + 0.138186²) = 0.2 + 0.163592 = 0.363592 -> 36.4.
    row = change_row(Measure("Good or better", 40, 50, 30, 50))
    assert row == {
        "measure": "Good or better",
        "part": 40,
        "whole": 50,
        "pct": 80.0,
        "pct_ci95": [67.0, 88.8],
        "pct_of": (40, 50),
        "previous_part": 30,
        "previous_whole": 50,
        "previous_pct": 60.0,
        "previous_pct_ci95": [46.2, 72.4],
        "previous_pct_of": (30, 50),
        "difference": 20.0,
        "difference_low": 2.0,
        "difference_high": 36.4,
        "verdict": "clearly higher",
    }
    fall = change_row(Measure("Good or better", 30, 50, 40, 50))
    assert (fall["difference"], fall["difference_low"], fall["difference_high"]) == (
        -20.0,
        -36.4,
        -2.0,
    )
    assert fall["verdict"] == "clearly lower"
    assert change_row(Measure("x", 32, 50, 30, 50))["verdict"] == "no clear change"


def test_the_difference_is_rounded_half_up_from_the_counts() -> None:
    # 1/8 = 12.5% against 1/16 = 6.25% (shown 6.3): the difference is 6.25 points -> 6.3, not
    # 12.5 - 6.3 = 6.2; falling, -6.25 -> -6.3 (halves away from zero, as a spreadsheet's ROUND).
    up = change_row(Measure("x", 1, 8, 1, 16))
    assert (up["pct"], up["previous_pct"], up["difference"]) == (12.5, 6.3, 6.3)
    assert up["pct_small"] is True and "previous_pct_small" not in up
    assert change_row(Measure("x", 1, 16, 1, 8))["difference"] == -6.3


@pytest.mark.parametrize(
    ("counts", "verdict"),
    [((0, 0, 3, 10), NONE_THIS), ((3, 10, 0, 0), NONE_BEFORE), ((0, 0, 0, 0), NONE_EITHER)],
)
def test_no_difference_without_a_denominator(
    counts: tuple[int, int, int, int], verdict: str
) -> None:
    row = change_row(Measure("x", *counts))
    assert row["verdict"] == verdict
    assert (row["difference"], row["difference_low"], row["difference_high"]) == (None, None, None)
    assert (row["pct"] is None) == (counts[1] == 0)
    assert (row["previous_pct"] is None) == (counts[3] == 0)


def test_the_table_names_both_periods() -> None:
    period = parse_period("2026/27-Q3", date(2026, 12, 14))
    table = change_table([Measure("x", 1, 2, 1, 2)], period, previous(period))
    assert table.name == "change"
    assert table.title == "Change against the previous period (2026/27-Q3 against 2026/27-Q2)"
    assert table.note and "Newcombe" in table.note
    keys = [c.key for c in table.columns]
    extras = {"pct_ci95", "previous_pct_ci95", "pct_small", "previous_pct_small"}
    extras |= {"pct_of", "previous_pct_of"}
    assert set(table.rows[0]) - extras == set(keys)
    none = change_table([Measure("x", 1, 2, 0, 0)], period, None)
    assert none.title.endswith("(2026/27-Q3 against no earlier period)")

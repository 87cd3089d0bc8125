"""The trend table's special causes in words: each p-chart rule, as the signal column names it."""

from __future__ import annotations

import pytest

from qaudit.domain.stats import p_chart
from qaudit.services.report_audits import TREND_NOTE, signal_words


def _months(values: list[tuple[int, int]]) -> list[tuple[str, int, int]]:
    return [(f"m{i:02d}", part, whole) for i, (part, whole) in enumerate(values, 1)]


def _signals(values: list[tuple[int, int]], run_length: int = 6) -> list[str | None]:
    chart = p_chart(_months(values), run_length=run_length)
    assert chart.centre is not None
    return [signal_words(p, chart.centre, run_length) for p in chart.points]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # Alternating either side of the centre (342/600 = 0.57), but for 10/50: below the lower
        # limit 0.36 (3 sigma 0.21).
        (
            [(28, 50), (32, 50)] * 3 + [(10, 50)] + [(32, 50), (28, 50)] * 2 + [(32, 50)],
            {6: "below the lower limit"},
        ),
        (
            [(22, 50), (18, 50)] * 3 + [(45, 50)] + [(18, 50), (22, 50)] * 2 + [(18, 50)],
            {6: "above the upper limit"},
        ),
        # Centre 0.5 with n = 100: 62/100 and 38/100 are beyond 2 sigma (0.1) but within 3.
        (
            [(45, 100), (55, 100)] * 3
            + [(62, 100), (50, 100), (62, 100)]
            + [(38, 100), (38, 100), (50, 100)],
            {
                6: "2 of 3 beyond 2 sigma above",
                8: "2 of 3 beyond 2 sigma above",
                9: "2 of 3 beyond 2 sigma below",
                10: "2 of 3 beyond 2 sigma below",
            },
        ),
        # Six months above the centre (about 0.52), then back.
        (
            [(30, 50), (20, 50)] * 3 + [(28, 50)] * 6 + [(20, 50), (30, 50)],
            dict.fromkeys(range(6, 12), "run of 6 or more above the centre"),
        ),
        (
            [(20, 50), (30, 50)] * 3 + [(22, 50)] * 6 + [(30, 50)],
            dict.fromkeys(range(6, 12), "run of 6 or more below the centre"),
        ),
        (
            [(20, 50), (30, 50), (21, 50), (22, 50), (23, 50), (24, 50), (25, 50), (26, 50)],
            dict.fromkeys(range(2, 8), "6 or more rising"),
        ),
        (
            [(30, 50), (20, 50), (29, 50), (28, 50), (27, 50), (26, 50), (25, 50), (24, 50)],
            dict.fromkeys(range(2, 8), "6 or more falling"),
        ),
        # Nothing beyond chance.
        ([(25, 50), (35, 50)], {}),
    ],
)
def test_each_rule_in_words(values: list[tuple[int, int]], expected: dict[int, str]) -> None:
    found = _signals(values)
    assert {i: s for i, s in enumerate(found) if s is not None} == expected


def test_a_month_in_two_special_causes_names_both() -> None:
    # A run of six above the centre whose last month also rises out of the limits.
    values = [(20, 100)] * 6 + [(32, 100)] * 5 + [(90, 100)]  # centre 370/1200
    last = _signals(values)[-1]
    assert last == "above the upper limit; run of 6 or more above the centre"


def test_the_run_length_is_the_policys() -> None:
    values = [(20, 50), (30, 50)] * 3 + [(22, 50)] * 6 + [(30, 50)]
    assert all(s is None for s in _signals(values, run_length=7))
    assert "run of 7 or more" in TREND_NOTE.format(run=7)
    assert "7 or more rising or falling" in TREND_NOTE.format(run=7)

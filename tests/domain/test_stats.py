"""The statistics behind the figures: half-up percentages, Wilson and Newcombe intervals, the
p-chart and its special-cause rules."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qaudit.domain.stats import (
    FALLING,
    OUTSIDE,
    RISING,
    RUN_ABOVE,
    RUN_BELOW,
    TWO_OF_THREE_ABOVE,
    TWO_OF_THREE_BELOW,
    Difference,
    change_words,
    newcombe_difference,
    p_chart,
    percent,
    round_half_up,
    small_denominator,
    wilson,
    wilson_percent,
)

# -- percent and rounding ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        (1, 8, 12.5),  # 12.5 exactly: stays
        (49, 400, 12.3),  # 12.25: half up (round() gives 12.2)
        (2, 3, 66.7),  # 66.666...
        (1, 3, 33.3),
        (1, 16, 6.3),  # 6.25: half up (round() gives 6.2)
        (1, 80, 1.3),  # 1.25: half up (round() gives 1.2)
        (3, 80, 3.8),  # 3.75: up either way
        (0, 5, 0.0),
        (5, 5, 100.0),
        (1, 2000, 0.1),  # 0.05: half up
    ],
)
def test_percent_pinned(part: int, whole: int, expected: float) -> None:
    assert percent(part, whole) == expected


def test_percent_of_nothing_is_none() -> None:
    assert percent(0, 0) is None


@pytest.mark.parametrize(("part", "whole"), [(-1, 5), (1, -5), (6, 5)])
def test_percent_rejects_impossible_counts(part: int, whole: int) -> None:
    with pytest.raises(ValueError):
        percent(part, whole)


@given(st.integers(1, 2000).flatmap(lambda whole: st.tuples(st.integers(0, whole), st.just(whole))))
def test_percent_matches_decimal_half_up(counts: tuple[int, int]) -> None:
    part, whole = counts
    expected = (Decimal(100 * part) / Decimal(whole)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )
    assert percent(part, whole) == float(expected)


@pytest.mark.parametrize(
    ("value", "ndigits", "expected"),
    [
        (1.25, 1, 1.3),
        (-1.25, 1, -1.3),  # away from zero, as a spreadsheet's ROUND
        (2.675, 2, 2.68),  # the float 2.67499999... is read as the 2.675 it shows
        (Fraction(5, 4), 1, 1.3),
        (Fraction(-5, 4), 1, -1.3),
        (Fraction(1, 3), 1, 0.3),
        (Decimal("0.05"), 1, 0.1),
        (7, 1, 7.0),
        (Fraction(0), 1, 0.0),
    ],
)
def test_round_half_up(
    value: Fraction | Decimal | float | int, ndigits: int, expected: float
) -> None:
    assert round_half_up(value, ndigits) == expected


def test_small_denominator() -> None:
    assert small_denominator(9)
    assert not small_denominator(10)
    assert small_denominator(0)


# -- Wilson -----------------------------------------------------------------------------------


def test_wilson_worked_by_hand() -> None:
    # 30/50, z = 1.959964: centre (0.6 + 0.038415) / 1.076829 = 0.592869; half-width
    # 1.959964 * sqrt(0.0048 + 0.00038415) / 1.076829 = 0.131054 -> (0.4618, 0.7239).
    low, high = wilson(30, 50)  # type: ignore[misc]
    assert (round(low, 4), round(high, 4)) == (0.4618, 0.7239)
    assert wilson_percent(30, 50) == (46.2, 72.4)


# Newcombe 1998 (the companion paper "Two-sided confidence intervals for the single
# proportion", Statistics in Medicine 17:857-872), Table I, method 3 (score, no continuity
# correction): each reproduced from the formula to 4 decimals.
@pytest.mark.parametrize(
    ("part", "whole", "low", "high"),
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        (29, 29, 0.8830, 1.0),
    ],
)
def test_wilson_newcombe_table(part: int, whole: int, low: float, high: float) -> None:
    interval = wilson(part, whole)
    assert interval is not None
    assert (round(interval[0], 4), round(interval[1], 4)) == (low, high)


def test_wilson_ends_are_exact() -> None:
    assert wilson(0, 7) == (0.0, pytest.approx(0.3543, abs=1e-4))
    assert wilson(7, 7)[1] == 1.0  # type: ignore[index]


def test_wilson_of_nothing_is_none() -> None:
    assert wilson(0, 0) is None
    assert wilson_percent(0, 0) is None


def test_wilson_other_confidence() -> None:
    wider = wilson(30, 50, 0.99)
    narrower = wilson(30, 50, 0.90)
    usual = wilson(30, 50)
    assert wider and narrower and usual
    assert wider[0] < usual[0] < narrower[0] < narrower[1] < usual[1] < wider[1]
    with pytest.raises(ValueError):
        wilson(1, 2, 1.0)


counts = st.integers(1, 3000).flatmap(
    lambda whole: st.tuples(st.integers(0, whole), st.just(whole))
)


@given(counts)
def test_wilson_contains_the_rate_within_0_and_1(c: tuple[int, int]) -> None:
    part, whole = c
    interval = wilson(part, whole)
    assert interval is not None
    low, high = interval
    assert 0.0 <= low <= part / whole <= high <= 1.0
    assert low < high


@given(counts, st.integers(2, 20))
def test_wilson_narrows_as_n_grows(c: tuple[int, int], k: int) -> None:
    part, whole = c
    small = wilson(part, whole)
    large = wilson(k * part, k * whole)
    assert small and large
    assert large[1] - large[0] < small[1] - small[0]


# -- Newcombe ---------------------------------------------------------------------------------


# Newcombe 1998, "Interval estimation for the difference between independent proportions:
# comparison of eleven methods", Statistics in Medicine 17:873-890, Table II, method 10 (the
# hybrid score interval, no continuity correction): its eight examples (a)-(h), to the table's
# 4 decimals. The paper itself was not to hand; each value is checked against independent
# sources that pin it:
# - all eight: the Python package diff-binom-confint (DeepPSP/DBCI), whose test data
#   test/test-data/newcombee.csv transcribes Table II (row "wilson", its name for method 10)
#   and whose test_newcombee_data checks its implementation against it to 1e-4;
# - (a) and (b): the R package propint (m-Py/propint), tests "ci.two.indep.props produces
#   the results reported in Newcombe1998" (to 1e-4);
# - (d): the R package ratesci (petelaud/ratesci), tests/testthat/test3.R, "Newcombe RD
#   example (d)", moverci(type = "wilson") -> (-0.0381, 0.1926);
# - (e)-(h) follow exactly from two Wilson upper limits (with a zero numerator the interval
#   is (-u2, u1), and with p1 = 1, p2 = 0 the lower limit is 1 - hypot(u1', u2)): 0/10 ->
#   0.2775328 (SciPy's test_morestats.py, test_ci_wilson_method, from R's prop.test) and
#   0/20 -> 0.1611 (Newcombe's companion paper, pinned by ratesci and by the Wilson test above).
@pytest.mark.parametrize(
    ("counts", "d", "low", "high"),
    [
        ((56, 70, 48, 80), 0.2, 0.0524, 0.3339),  # (a)
        ((9, 10, 3, 10), 0.6, 0.1705, 0.8090),  # (b)
        ((6, 7, 2, 7), 0.5714, 0.0582, 0.8062),  # (c)
        ((5, 56, 0, 29), 0.0893, -0.0381, 0.1926),  # (d)
        ((0, 10, 0, 20), 0.0, -0.1611, 0.2775),  # (e)
        ((0, 10, 0, 10), 0.0, -0.2775, 0.2775),  # (f)
        ((10, 10, 0, 20), 1.0, 0.6791, 1.0),  # (g)
        ((10, 10, 0, 10), 1.0, 0.6075, 1.0),  # (h)
    ],
)
def test_newcombe_paper_examples(
    counts: tuple[int, int, int, int], d: float, low: float, high: float
) -> None:
    diff = newcombe_difference(*counts)
    assert diff is not None
    assert (round(diff.difference, 4), round(diff.low, 4), round(diff.high, 4)) == (d, low, high)


def test_newcombe_fagerland_example() -> None:
    # Fagerland, Lydersen and Laake (2015), "Recommended confidence intervals for two
    # independent binomial proportions", Stat Methods Med Res 24:224-254: 7/34 vs 1/34 (an RCT
    # of high against standard dose epinephrine, Perondi et al. 2004), Newcombe hybrid score
    # (0.019, 0.340); pinned so by statsmodels' test_proportion.py, test_confint_2indep.
    diff = newcombe_difference(7, 34, 1, 34)
    assert diff is not None
    assert (round(diff.low, 3), round(diff.high, 3)) == (0.019, 0.340)


def test_newcombe_worked_by_hand() -> None:
    # 40/50 this month against 30/50 last: d = 0.2. Wilson: 40/50 -> (0.6696, 0.8876),
    # 30/50 -> (0.4618, 0.7239). L = 0.2 - sqrt(0.1304² + 0.1239²) = 0.0201;
    # U = 0.2 + sqrt(0.0876² + 0.1382²) = 0.3636.
    diff = newcombe_difference(40, 50, 30, 50)
    assert diff is not None
    assert (round(diff.low, 3), round(diff.high, 3)) == (0.020, 0.364)
    assert change_words(diff) == "clearly higher"
    # 32/50 against 30/50: the interval straddles 0.
    close = newcombe_difference(32, 50, 30, 50)
    assert close is not None
    assert change_words(close) == "no clear change"
    lower = newcombe_difference(30, 50, 40, 50)
    assert lower is not None
    assert change_words(lower) == "clearly lower"
    # Swapping the periods mirrors the interval.
    assert (lower.difference, lower.low, lower.high) == pytest.approx(
        (-diff.difference, -diff.high, -diff.low)
    )


def test_newcombe_of_nothing_is_none() -> None:
    assert newcombe_difference(0, 0, 3, 10) is None
    assert newcombe_difference(3, 10, 0, 0) is None


def test_change_words_at_zero() -> None:
    assert change_words(Difference(0.1, 0.0, 0.2)) == "no clear change"
    assert change_words(Difference(-0.1, -0.2, 0.0)) == "no clear change"


@given(counts, counts)
def test_newcombe_contains_the_difference(a: tuple[int, int], b: tuple[int, int]) -> None:
    diff = newcombe_difference(*a, *b)
    assert diff is not None
    assert -1.0 <= diff.low <= diff.difference <= diff.high <= 1.0
    words = change_words(diff)
    if diff.low > 0:
        assert words == "clearly higher"
        assert diff.difference > 0
    elif diff.high < 0:
        assert words == "clearly lower"
        assert diff.difference < 0
    else:
        assert words == "no clear change"
        assert diff.low <= 0 <= diff.high


@given(counts)
def test_newcombe_no_change_when_equal(a: tuple[int, int]) -> None:
    diff = newcombe_difference(*a, *a)
    assert diff is not None
    assert change_words(diff) == "no clear change"


# -- p-chart ----------------------------------------------------------------------------------


def months(values: list[tuple[int, int]], start: int = 1) -> list[tuple[str, int, int]]:
    return [(f"2026-{start + i:02d}", part, whole) for i, (part, whole) in enumerate(values)]


def rules_of(chart_points: list[tuple[str, int, int]], run_length: int = 6) -> list[set[str]]:
    return [set(p.rules) for p in p_chart(chart_points, run_length=run_length).points]


def test_p_chart_centre_and_limits_by_hand() -> None:
    # 25/50 + 35/50 = 60/100: centre 0.6, sigma for n=50 = sqrt(0.24/50) = 0.069282,
    # limits 0.6 ± 0.207846.
    chart = p_chart(months([(25, 50), (35, 50)]))
    assert chart.centre == 0.6
    first = chart.points[0]
    assert first.value == 0.5
    assert first.lower == pytest.approx(0.392154, abs=1e-6)
    assert first.upper == pytest.approx(0.807846, abs=1e-6)
    assert chart.summary() == ["no special causes: the variation is what chance gives"]


def test_p_chart_limits_for_months_of_different_n_by_hand() -> None:
    # 30/50, 10/20 and 60/100: centre 100/170 = 0.588235, c(1 - c) = 0.242215. Limits
    # c ± 3 * sqrt(0.242215 / n):
    #   n = 50:  3 sigma 0.208803 -> (0.379432, 0.797038)
    #   n = 20:  3 sigma 0.330146 -> (0.258089, 0.918382)
    #   n = 100: 3 sigma 0.147646 -> (0.440589, 0.735881)
    # the fewer audited, the wider the limits.
    chart = p_chart(months([(30, 50), (10, 20), (60, 100)]))
    assert chart.centre == pytest.approx(0.588235, abs=1e-6)
    limits = [(round(p.lower, 6), round(p.upper, 6)) for p in chart.points]
    assert limits == [(0.379432, 0.797038), (0.258089, 0.918382), (0.440589, 0.735881)]
    assert all(not p.rules for p in chart.points)


def test_p_chart_limits_clip_and_skip_empty_months() -> None:
    chart = p_chart([("2026-01", 9, 10), ("2026-02", 0, 0), ("2026-03", 10, 10)])
    assert [p.label for p in chart.points] == ["2026-01", "2026-03"]
    assert chart.centre == 0.95
    assert chart.points[1].upper == 1.0
    assert all(0.0 <= p.lower <= p.upper <= 1.0 for p in chart.points)


def test_p_chart_without_cases() -> None:
    chart = p_chart([("2026-01", 0, 0)])
    assert chart.centre is None
    assert chart.points == ()
    assert chart.summary() == ["no months with cases: nothing to chart"]
    assert p_chart([]).points == ()


def test_p_chart_rejects_impossible_counts() -> None:
    with pytest.raises(ValueError, match="2026-01"):
        p_chart([("2026-01", 6, 5)])
    with pytest.raises(ValueError):
        p_chart(months([(1, 2)]), run_length=1)


def test_outside_the_limits() -> None:
    # Eleven months at 30/50 and one at 10/50: centre 340/600 = 0.56667, sigma(50) = 0.07008,
    # lower limit 0.35642: 0.2 is below it.
    series = months([(30, 50)] * 6 + [(10, 50)] + [(30, 50)] * 5)
    chart = p_chart(series)
    assert OUTSIDE in chart.points[6].rules
    assert [OUTSIDE in p.rules for p in chart.points].count(True) == 1
    assert "2026-07 is below the lower limit: a special cause, not chance" in chart.summary()
    high = p_chart(months([(20, 50)] * 6 + [(45, 50)] + [(20, 50)] * 5))
    assert "2026-07 is above the upper limit: a special cause, not chance" in high.summary()


def test_a_point_exactly_on_the_limit_is_not_outside() -> None:
    # Centre 59/118 = 1/2; for n = 9, 3 sigma = 3 * sqrt(1/4 / 9) = 1/2 exactly: 0/9 sits on
    # the lower limit and 9/9 on the upper one, so neither is outside.
    series = [("a", 0, 9), ("b", 9, 9), ("c", 50, 100)]
    chart = p_chart(series)
    assert chart.centre == 0.5
    assert chart.points[0].lower == pytest.approx(0.0, abs=1e-12)
    assert chart.points[1].upper == pytest.approx(1.0, abs=1e-12)
    assert all(OUTSIDE not in p.rules for p in chart.points)


def test_shift_five_is_chance_six_is_a_shift() -> None:
    # Alternate around the centre (about 0.52), then five (or six) months above it.
    base = [(30, 50), (20, 50)] * 3
    five = months([*base, *[(28, 50)] * 5, (20, 50), (30, 50)])
    assert all(RUN_ABOVE not in r for r in rules_of(five))
    six = months([*base, *[(28, 50)] * 6, (20, 50), (30, 50)])
    marked = [RUN_ABOVE in r for r in rules_of(six)]
    assert marked == [False] * 6 + [True] * 6 + [False, False]
    chart = p_chart(six)
    assert any(s.endswith(": a shift") and "above the centre line" in s for s in chart.summary())


def test_shift_below_with_run_length_seven() -> None:
    base = [(20, 50), (30, 50)] * 3  # centre 312/650 = 0.48: 22/50 is below, 30/50 above
    six_below = months([*base, *[(22, 50)] * 6, (30, 50)])
    assert any(RUN_BELOW in r for r in rules_of(six_below, 6))
    assert all(RUN_BELOW not in r for r in rules_of(six_below, 7))


def test_a_point_on_the_centre_line_neither_counts_nor_breaks_a_run() -> None:
    # Centre exactly 1/2: five months above, one on the line, one more above: a run of six
    # points above (the one on the line is not part of it).
    series = months([(6, 10)] * 5 + [(5, 10)] + [(6, 10)] + [(4, 10)] * 6)
    chart = p_chart(series)
    assert chart.centre == 0.5
    rules = [set(p.rules) for p in chart.points]
    assert all(RUN_ABOVE in rules[i] for i in [0, 1, 2, 3, 4, 6])
    assert RUN_ABOVE not in rules[5]
    assert "6 months in a row above the centre line from 2026-01 to 2026-07: a shift" in (
        chart.summary()
    )
    # Five above and one on the line is not a run.
    short = months([(6, 10)] * 4 + [(5, 10)] + [(6, 10), (3, 10), (5, 10), (3, 10), (4, 10)])
    short_chart = p_chart(short)
    assert short_chart.centre == 0.5
    assert all(RUN_ABOVE not in p.rules for p in short_chart.points)


def test_trend_five_is_chance_six_is_a_trend() -> None:
    five = months([(20, 50), (30, 50), (22, 50), (23, 50), (24, 50), (25, 50), (26, 50), (20, 50)])
    # 22..26 is five points rising (30 -> 22 falls).
    assert all(RISING not in r for r in rules_of(five))
    six = months([(20, 50), (30, 50), (21, 50), (22, 50), (23, 50), (24, 50), (25, 50), (26, 50)])
    rules = rules_of(six)
    assert [RISING in r for r in rules] == [False, False, True, True, True, True, True, True]
    assert "6 months in a row rising from 2026-03 to 2026-08: a trend" in p_chart(six).summary()


def test_falling_trend_and_an_equal_value_breaks_it() -> None:
    falling = months([(26, 50), (25, 50), (24, 50), (23, 50), (22, 50), (21, 50)])
    assert all(FALLING in r for r in rules_of(falling))
    flat = months([(26, 50), (25, 50), (24, 50), (24, 50), (23, 50), (22, 50), (21, 50)])
    assert all(FALLING not in r for r in rules_of(flat))
    # Proportions, not counts: 24/50 equals 48/100.
    same = months([(26, 50), (25, 50), (24, 50), (48, 100), (23, 50), (22, 50), (21, 50)])
    assert all(FALLING not in r for r in rules_of(same))


def test_two_of_three_beyond_two_sigma() -> None:
    # Centre 0.5 with n = 100: sigma 0.05, 2 sigma 0.1, 3 sigma 0.15. 62/100 is beyond 2 sigma
    # but inside the limits; 58/100 is not.
    base = [(45, 100), (55, 100)] * 3
    two = [("2026-07", 62, 100), ("2026-08", 50, 100), ("2026-09", 62, 100)]
    low = [(f"2026-1{i}", part, 100) for i, part in enumerate([38, 38, 50])]
    chart = p_chart([*months(base), *two, *low])
    assert chart.centre == 0.5
    rules = [set(p.rules) for p in chart.points]
    assert [TWO_OF_THREE_ABOVE in r for r in rules[6:9]] == [True, False, True]
    assert [TWO_OF_THREE_BELOW in r for r in rules[9:]] == [True, True, False]
    assert all(OUTSIDE not in r for r in rules)
    assert (
        "2 of 3 months from 2026-07 to 2026-09 are beyond two sigma above the centre line: "
        "a special cause, not chance"
    ) in chart.summary()
    one = p_chart(months([*base, (62, 100), (50, 100), (58, 100), (38, 100), (50, 100), (42, 100)]))
    assert one.centre == 0.5
    assert all(not p.rules for p in one.points)


@given(
    st.lists(
        st.integers(1, 60).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
        min_size=1,
        max_size=30,
    )
)
def test_p_chart_properties(values: list[tuple[int, int]]) -> None:
    chart = p_chart(months(values))
    assert chart.centre is not None
    for point, (part, whole) in zip(chart.points, values, strict=True):
        assert 0.0 <= point.lower <= chart.centre <= point.upper <= 1.0
        assert point.value == part / whole
        if OUTSIDE in point.rules:
            assert point.value < point.lower + 1e-12 or point.value > point.upper - 1e-12
        else:
            assert point.lower - 1e-12 <= point.value <= point.upper + 1e-12
    assert chart.summary()


def test_wilson_pinned_for_the_issue_s_cases() -> None:
    """Worked by hand with z = 1.959964 (z² = 3.841459): centre (p + z²/2n) / (1 + z²/n),
    half-width z / (1 + z²/n) · sqrt(p(1 - p)/n + z²/4n²)."""
    # 0/0: no rate, no interval.
    assert wilson(0, 0) is None and wilson_percent(0, 0) is None
    # 0/50: centre 0.0384146 / 1.0768292 = 0.035674 = the half-width: (0, 0.071348).
    low, high = wilson(0, 50)  # type: ignore[misc]
    assert low == 0.0 and abs(high - 0.071348) < 1e-6
    assert wilson_percent(0, 50) == (0.0, 7.1)
    # 18/30: centre 0.664024 / 1.128049 = 0.588648; half 1.737481 · 0.095221 = 0.165445.
    low, high = wilson(18, 30)  # type: ignore[misc]
    assert abs(low - 0.423204) < 1e-6 and abs(high - 0.754094) < 1e-6
    assert wilson_percent(18, 30) == (42.3, 75.4)
    # 50/50: the mirror of 0/50.
    low, high = wilson(50, 50)  # type: ignore[misc]
    assert abs(low - 0.928652) < 1e-6 and high == 1.0
    assert wilson_percent(50, 50) == (92.9, 100.0)

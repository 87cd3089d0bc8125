"""The statistics behind the figures: percentages, intervals, changes and the p-chart.

Pure functions, no I/O. domain.md ("Uncertainty"): rates carry a 95% Wilson interval; a
change between periods is judged with Newcombe's hybrid score interval; the monthly trend is
a p-chart read with the rules of NHS England's "Making Data Count".

Every figure shown to one decimal is rounded half up, as a spreadsheet does (12.25 -> 12.3),
not to even as Python's ``round`` does (``round(12.25, 1) == 12.2``). Percentages are rounded
from the exact rational ``100 * part / whole``, never from a binary float.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from statistics import NormalDist

# Below this many cases a rate is never coloured good or bad; the report notes it instead.
SMALL_DENOMINATOR = 10
# Making Data Count uses 7; some trusts use 6 (domain.md: a policy value).
DEFAULT_RUN_LENGTH = 6


def _check_counts(part: int, whole: int) -> None:
    if part < 0 or whole < 0:
        raise ValueError(f"counts must not be negative: {part}/{whole}")
    if part > whole:
        raise ValueError(f"the part must not exceed the whole: {part}/{whole}")


def round_half_up(value: Fraction | Decimal | float | int, ndigits: int = 1) -> float:
    """``value`` to ``ndigits`` decimals, halves away from zero (as a spreadsheet rounds).

    A Fraction, Decimal or int is rounded exactly. A float is taken at its shortest decimal
    form (``repr``: 2.675 is read as 2.675, not as the binary 2.67499999...), which is what
    a spreadsheet shows and rounds.
    """
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot round {value}")
        exact = Decimal(repr(value))
    elif isinstance(value, Fraction):
        # Exactly, on the rational (a Decimal division would round at 28 digits first).
        scale = 10**ndigits
        scaled = abs(value) * scale
        whole = math.floor(scaled + Fraction(1, 2))
        return math.copysign(whole / scale, value) if whole else 0.0
    else:
        exact = Decimal(value)
    quantum = Decimal(1).scaleb(-ndigits)
    return float(exact.quantize(quantum, rounding=ROUND_HALF_UP))


def percent(part: int, whole: int) -> float | None:
    """100 * part / whole to one decimal, rounded half up on the exact rational.

    1/8 -> 12.5; 49/400 = 12.25% -> 12.3; 2/3 -> 66.7. None when ``whole`` is 0 (no rate).
    Raises ValueError for negative counts or a part larger than the whole.
    """
    _check_counts(part, whole)
    if whole == 0:
        return None
    return round_half_up(Fraction(100 * part, whole), 1)


def small_denominator(whole: int) -> bool:
    """Too few to judge (fewer than 10): the rate is never coloured good or bad, only noted."""
    return whole < SMALL_DENOMINATOR


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence}")
    return NormalDist().inv_cdf(1 - (1 - confidence) / 2)


def wilson(part: int, whole: int, confidence: float = 0.95) -> tuple[float, float] | None:
    """The Wilson score interval for the proportion part/whole, as proportions in [0, 1].

    With p = part/whole, n = whole and z the normal quantile for ``confidence`` (1.95996...
    for 95%), the bounds are::

        (p + z²/2n  ±  z * sqrt(p(1 - p)/n + z²/4n²)) / (1 + z²/n)

    (Wilson 1927; Newcombe 1998, method 3). None when ``whole`` is 0. The lower bound is 0
    exactly when part is 0 and the upper bound 1 exactly when part is whole.
    """
    _check_counts(part, whole)
    z = _z(confidence)
    if whole == 0:
        return None
    n = whole
    p = part / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    low = 0.0 if part == 0 else max(0.0, min(p, centre - half))
    high = 1.0 if part == whole else min(1.0, max(p, centre + half))
    return low, high


def wilson_percent(part: int, whole: int, confidence: float = 0.95) -> tuple[float, float] | None:
    """The Wilson interval in percent, each bound to one decimal (half up): 30/50 -> (46.2,
    72.4). None when ``whole`` is 0."""
    interval = wilson(part, whole, confidence)
    if interval is None:
        return None
    low, high = interval
    return round_half_up(100 * low, 1), round_half_up(100 * high, 1)


@dataclass(frozen=True)
class Difference:
    """A difference between two proportions, p1 - p2, and its interval (proportions, so
    within [-1, 1])."""

    difference: float
    low: float
    high: float


def newcombe_difference(
    part1: int, whole1: int, part2: int, whole2: int, confidence: float = 0.95
) -> Difference | None:
    """p1 - p2 with Newcombe's hybrid score interval (method 10 of Newcombe 1998,
    "Interval estimation for the difference between independent proportions: comparison of
    eleven methods", Statistics in Medicine 17:873-890).

    With d = p1 - p2 and (l1, u1), (l2, u2) the Wilson intervals of p1 and p2::

        L = d - sqrt((p1 - l1)² + (u2 - p2)²)
        U = d + sqrt((u1 - p1)² + (p2 - l2)²)

    None when either whole is 0.
    """
    first = wilson(part1, whole1, confidence)
    second = wilson(part2, whole2, confidence)
    if first is None or second is None:
        return None
    l1, u1 = first
    l2, u2 = second
    p1 = part1 / whole1
    p2 = part2 / whole2
    d = p1 - p2
    low = d - math.hypot(p1 - l1, u2 - p2)
    high = d + math.hypot(u1 - p1, p2 - l2)
    return Difference(difference=d, low=max(-1.0, low), high=min(1.0, high))


def change_words(diff: Difference) -> str:
    """The change in words: "clearly higher" when the whole interval is above 0, "clearly
    lower" when it is below 0, otherwise "no clear change"."""
    if diff.low > 0:
        return "clearly higher"
    if diff.high < 0:
        return "clearly lower"
    return "no clear change"


# The rules a p-chart point can be part of.
OUTSIDE = "outside"
TWO_OF_THREE_ABOVE = "two-of-three-above"
TWO_OF_THREE_BELOW = "two-of-three-below"
RUN_ABOVE = "run-above"
RUN_BELOW = "run-below"
RISING = "rising"
FALLING = "falling"


@dataclass(frozen=True)
class PChartPoint:
    """One month on the chart: its proportion, its 3-sigma limits (clipped to [0, 1]) and the
    special-cause rules it is part of."""

    label: str
    part: int
    whole: int
    value: float
    lower: float
    upper: float
    rules: tuple[str, ...] = ()


@dataclass(frozen=True)
class PChart:
    """A p-chart: the centre line (the pooled proportion; None when no month had a case),
    the points, and what the special-cause rules found, as sentences (``summary``)."""

    centre: float | None
    points: tuple[PChartPoint, ...]
    run_length: int = DEFAULT_RUN_LENGTH
    findings: tuple[str, ...] = field(default=(), repr=False)

    def summary(self) -> list[str]:
        """Plain-English sentences, one per special cause found, in the order of the
        months; or one sentence saying there are none."""
        if not self.points:
            return ["no months with cases: nothing to chart"]
        if not self.findings:
            return ["no special causes: the variation is what chance gives"]
        return list(self.findings)


def p_chart(
    points: Sequence[tuple[str, int, int]], *, run_length: int = DEFAULT_RUN_LENGTH
) -> PChart:
    """A p-chart of (label, part, whole) points, e.g. months of audits graded good or better.

    Centre line: the pooled proportion c = sum(part) / sum(whole). Each point with whole
    n > 0 has limits c ± 3 * sqrt(c(1 - c)/n) clipped to [0, 1]; a month with whole 0 carries
    no point (and neither breaks nor continues a run). The special-cause rules of NHS
    England's "Making Data Count" ("rules" of each point, and a sentence each):

    - ``outside``: a point above the upper or below the lower limit;
    - ``two-of-three-above`` / ``-below``: two or three of three consecutive points beyond
      2 sigma on the same side of the centre line (the points beyond 2 sigma are marked);
    - ``run-above`` / ``run-below`` (a shift): ``run_length`` or more consecutive points
      all above, or all below, the centre line; a point exactly on the line neither counts
      nor breaks the run;
    - ``rising`` / ``falling`` (a trend): ``run_length`` or more consecutive points each
      higher, or each lower, than the one before; an equal value breaks the trend.

    Comparisons are exact (on fractions), so a point on a limit or on the line is never
    misjudged by a float's last bit. ``run_length`` is a policy value: Making Data Count
    uses 7, some trusts 6 (the default here).
    """
    if run_length < 2:
        raise ValueError(f"a run needs at least 2 points, not {run_length}")
    for label, part, whole in points:
        try:
            _check_counts(part, whole)
        except ValueError as err:
            raise ValueError(f"{label}: {err}") from None
    total = sum(whole for _, _, whole in points)
    if total == 0:
        return PChart(centre=None, points=(), run_length=run_length)
    c = Fraction(sum(part for _, part, _ in points), total)
    kept = [(label, part, whole) for label, part, whole in points if whole > 0]
    values = [Fraction(part, whole) for _, part, whole in kept]
    variance = c * (1 - c)
    rules: list[list[str]] = [[] for _ in kept]
    events: list[tuple[int, str]] = []  # (index of the first point, sentence)

    def beyond(i: int, sigmas: int) -> int:
        """+1 if point i is more than ``sigmas`` sigma above c, -1 if below, else 0."""
        gap = values[i] - c
        if gap * gap * kept[i][2] > sigmas * sigmas * variance:
            return 1 if gap > 0 else -1
        return 0

    def mark(indices: Sequence[int], rule: str) -> None:
        for i in indices:
            if rule not in rules[i]:
                rules[i].append(rule)

    labels = [label for label, _, _ in kept]

    # (a) outside the 3-sigma limits
    for i in range(len(kept)):
        side = beyond(i, 3)
        if side:
            mark([i], OUTSIDE)
            where = "above the upper" if side > 0 else "below the lower"
            events.append((i, f"{labels[i]} is {where} limit: a special cause, not chance"))

    # two of three consecutive points beyond 2 sigma on one side
    for side, rule, words in ((1, TWO_OF_THREE_ABOVE, "above"), (-1, TWO_OF_THREE_BELOW, "below")):
        flagged: set[int] = set()
        for start in range(len(kept) - 2):
            hits = [i for i in range(start, start + 3) if beyond(i, 2) == side]
            if len(hits) >= 2 and not set(hits) <= flagged:
                mark(hits, rule)
                flagged.update(hits)
                events.append(
                    (
                        hits[0],
                        f"{len(hits)} of 3 months from {labels[start]} to {labels[start + 2]} "
                        f"are beyond two sigma {words} the centre line: a special cause, "
                        "not chance",
                    )
                )

    # (b) a shift: a run on one side of the centre line; points on the line are skipped
    run: list[int] = []
    run_side = 0

    def close_run() -> None:
        if len(run) >= run_length:
            rule = RUN_ABOVE if run_side > 0 else RUN_BELOW
            mark(run, rule)
            words = "above" if run_side > 0 else "below"
            events.append(
                (
                    run[0],
                    f"{len(run)} months in a row {words} the centre line from "
                    f"{labels[run[0]]} to {labels[run[-1]]}: a shift",
                )
            )

    for i, value in enumerate(values):
        side = (value > c) - (value < c)
        if side == 0:
            continue
        if side != run_side:
            close_run()
            run, run_side = [], side
        run.append(i)
    close_run()

    # (c) a trend: each point higher (or lower) than the one before; an equal value breaks it
    steps = [
        (values[i] > values[i - 1]) - (values[i] < values[i - 1]) for i in range(1, len(values))
    ]
    i = 0
    while i < len(steps):
        j = i
        while j + 1 < len(steps) and steps[j + 1] == steps[i]:
            j += 1
        # steps i..j go the same way: points i..j+1
        count = j - i + 2
        if steps[i] != 0 and count >= run_length:
            rule, words = (RISING, "rising") if steps[i] > 0 else (FALLING, "falling")
            mark(range(i, j + 2), rule)
            events.append(
                (
                    i,
                    f"{count} months in a row {words} from {labels[i]} to {labels[j + 1]}: a trend",
                )
            )
        i = j + 1

    events.sort(key=lambda event: event[0])
    centre = float(c)
    out = []
    for i, (label, part, whole) in enumerate(kept):
        sigma = math.sqrt(float(variance) / whole)
        out.append(
            PChartPoint(
                label=label,
                part=part,
                whole=whole,
                value=float(values[i]),
                lower=max(0.0, centre - 3 * sigma),
                upper=min(1.0, centre + 3 * sigma),
                rules=tuple(rules[i]),
            )
        )
    return PChart(
        centre=centre,
        points=tuple(out),
        run_length=run_length,
        findings=tuple(sentence for _, sentence in events),
    )

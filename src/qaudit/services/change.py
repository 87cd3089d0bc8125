"""The headline rates against the previous period of the same length: the difference in
percentage points, its 95% Newcombe interval, and the change in words (domain.md, "Uncertainty")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from qaudit.domain.periods import Period
from qaudit.domain.stats import change_words, newcombe_difference, round_half_up
from qaudit.reports.model import Column, Table, rate

TABLE = "change"
TITLE = "Change against the previous period"
NOTE = (
    "Difference: this period's rate less the previous period's, in percentage points (from the "
    "counts, not the rounded rates). Its 95% interval is Newcombe's hybrid score interval. "
    "Clearly higher or clearly lower: the whole interval lies above or below 0; no clear "
    "change: the interval spans 0, so the difference may be chance."
)
NONE_THIS = "no comparison: none to count this period"
NONE_BEFORE = "no comparison: none to count in the previous period"
NONE_EITHER = "no comparison: none to count in either period"

# Short titles (the note says what the interval is): the eleven columns fit a desktop's page.
COLUMNS = [
    Column("measure", "Measure"),
    Column("part", "This period", "count"),
    Column("whole", "Of", "count"),
    Column("pct", "This period %", "pct"),
    Column("previous_part", "Previous period", "count"),
    Column("previous_whole", "Of (previous)", "count"),
    Column("previous_pct", "Previous period %", "pct"),
    Column("difference", "Difference (points)", "number"),
    Column("difference_low", "95% from", "number"),
    Column("difference_high", "95% to", "number"),
    Column("verdict", "Change"),
]


@dataclass(frozen=True)
class Measure:
    """A headline rate in two periods: ``part`` of ``whole`` now, and in the period before."""

    label: str
    part: int
    whole: int
    previous_part: int
    previous_whole: int


def change_row(measure: Measure) -> dict[str, Any]:
    """A measure's row: both rates (with their Wilson intervals), the difference in points
    (one decimal, half up, from the exact counts), its Newcombe interval (points, one decimal)
    and the verdict; with no difference to judge when either period has nothing to count."""
    m = measure
    row: dict[str, Any] = {
        "measure": m.label,
        "part": m.part,
        "whole": m.whole,
        **rate("pct", m.part, m.whole),
        "previous_part": m.previous_part,
        "previous_whole": m.previous_whole,
        **rate("previous_pct", m.previous_part, m.previous_whole),
        "difference": None,
        "difference_low": None,
        "difference_high": None,
    }
    diff = newcombe_difference(m.part, m.whole, m.previous_part, m.previous_whole)
    if diff is None:
        row["verdict"] = (
            NONE_EITHER
            if m.whole == 0 and m.previous_whole == 0
            else NONE_THIS
            if m.whole == 0
            else NONE_BEFORE
        )
        return row
    exact = Fraction(100 * m.part, m.whole) - Fraction(100 * m.previous_part, m.previous_whole)
    row["difference"] = round_half_up(exact, 1)
    row["difference_low"] = round_half_up(100 * diff.low, 1)
    row["difference_high"] = round_half_up(100 * diff.high, 1)
    row["verdict"] = change_words(diff)
    return row


def change_table(measures: Sequence[Measure], period: Period, before: Period | None) -> Table:
    """The headline rates of ``period`` against ``before`` (None: there is no period before,
    and each row says there is nothing to compare with)."""
    against = before.label if before is not None else "no earlier period"
    return Table(
        name=TABLE,
        title=f"{TITLE} ({period.label} against {against})",
        columns=list(COLUMNS),
        rows=[change_row(m) for m in measures],
        note=NOTE,
    )

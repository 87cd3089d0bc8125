"""One child, one case: how a child's involvements on several lists merge into a single case.

The rule is domain.md's "Cases": the most intensive open involvement decides the category.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

CATEGORIES: tuple[str, ...] = ("CLA", "CP", "CIN", "CL")
"""Case categories, most intensive first (domain.md, "Cases")."""

CATEGORY_RANK: dict[str, int] = {category: rank for rank, category in enumerate(CATEGORIES)}
"""0 for the most intensive category (CLA), 3 for the least (CL)."""


@dataclass(frozen=True, slots=True)
class Involvement:
    """One stretch of a child on one list: a CIN episode, a CP plan, a care episode…"""

    category: str
    start: date | None
    end: date | None
    team: str | None
    worker: str | None

    def is_open(self, today: date) -> bool:
        """Open when it has no end date, or ends today or later."""
        return self.end is None or self.end >= today


@dataclass(frozen=True, slots=True)
class MergedCase:
    """The case a child's involvements make: close_date is None while any is open."""

    category: str
    open_date: date | None
    close_date: date | None
    team: str | None
    worker: str | None


def merge_involvements(involvements: Sequence[Involvement], today: date) -> MergedCase:
    """Merge one child's involvements into one case, as seen on ``today``.

    Category, team and worker come from the most intensive open involvement (ties: the one
    that started last, then the first given); where none is open, from the one that ended
    last (ties: the most intensive, then the one that started last). The case opens on the
    earliest known start and closes, only when every involvement has ended, on the latest end.

    Raises ValueError for no involvements or an unknown category: both are caller bugs.
    """
    if not involvements:
        raise ValueError("a case needs at least one involvement")
    for involvement in involvements:
        if involvement.category not in CATEGORY_RANK:
            raise ValueError(f"unknown case category {involvement.category!r}")

    # An unknown start sorts as the earliest, so a known later start wins a tie.
    def started(involvement: Involvement) -> date:
        return involvement.start or date.min

    open_ones = [i for i in involvements if i.is_open(today)]
    if open_ones:
        # min() keeps the first of equal keys, so ties left after the dates go to the first given.
        lead = min(
            open_ones,
            key=lambda i: (CATEGORY_RANK[i.category], -started(i).toordinal()),
        )
        close_date = None
    else:
        # Every involvement here has an end date: is_open() is true for a missing one.
        lead = min(
            involvements,
            key=lambda i: (
                -_ended(i).toordinal(),
                CATEGORY_RANK[i.category],
                -started(i).toordinal(),
            ),
        )
        close_date = _ended(lead)

    starts = [i.start for i in involvements if i.start is not None]
    return MergedCase(
        category=lead.category,
        open_date=min(starts) if starts else None,
        close_date=close_date,
        team=lead.team,
        worker=lead.worker,
    )


def _ended(involvement: Involvement) -> date:
    if involvement.end is None:  # pragma: no cover - guarded by the caller
        raise ValueError("an open involvement has no end date")
    return involvement.end

"""The Ofsted ILACS grading scale: slugs for files and the CLI, labels for reports, ranks."""

from __future__ import annotations

import re
from enum import Enum
from typing import Literal

GradeChange = Literal["improved", "same", "worse"]


class Grade(Enum):
    """An ILACS judgement; rank 1 (Outstanding) is the best."""

    OUTSTANDING = "outstanding"
    GOOD = "good"
    REQUIRES_IMPROVEMENT = "requires-improvement"
    INADEQUATE = "inadequate"

    @property
    def slug(self) -> str:
        """The form in the CLI, JSON and CSV: ``requires-improvement``."""
        return str(self.value)

    @property
    def label(self) -> str:
        """Ofsted's wording, for reports: "Requires improvement to be good"."""
        return _LABELS[self]

    @property
    def rank(self) -> int:
        """1 for Outstanding to 4 for Inadequate."""
        return _RANKS[self]


_LABELS: dict[Grade, str] = {
    Grade.OUTSTANDING: "Outstanding",
    Grade.GOOD: "Good",
    Grade.REQUIRES_IMPROVEMENT: "Requires improvement to be good",
    Grade.INADEQUATE: "Inadequate",
}
_RANKS: dict[Grade, int] = {grade: rank for rank, grade in enumerate(Grade, start=1)}

GRADE_SLUGS: tuple[str, ...] = tuple(grade.slug for grade in Grade)
"""Every slug, best first."""

_SEPARATORS = re.compile(r"[\s_\-]+")


def _normal(text: str) -> str:
    return _SEPARATORS.sub(" ", text).strip().casefold()


# The slug, once normalised, is also the short form "Requires improvement" that practice uses.
_BY_TEXT: dict[str, Grade] = {
    **{_normal(grade.slug): grade for grade in Grade},
    **{_normal(grade.label): grade for grade in Grade},
}


def parse_grade(text: str) -> Grade:
    """A grade from its slug, label or "Requires improvement", in any case or spacing.

    Hyphens, underscores and runs of spaces are interchangeable. Raises ValueError listing
    the slugs.
    """
    grade = _BY_TEXT.get(_normal(text))
    if grade is None:
        raise ValueError(
            f"'{text}' is not a grade; expected one of {', '.join(GRADE_SLUGS)} "
            "(or the Ofsted label)"
        )
    return grade


def good_or_better(grade: Grade) -> bool:
    """Outstanding or Good: the measure the board's trend line follows."""
    return grade.rank <= Grade.GOOD.rank


def grade_change(before: Grade, after: Grade) -> GradeChange:
    """What a re-audit shows against the audit before it: "improved", "same" or "worse"."""
    if after.rank < before.rank:
        return "improved"
    if after.rank > before.rank:
        return "worse"
    return "same"


def needs_development(grade: Grade) -> bool:
    """Whether an audit with this grade must say what needs to develop: an audit graded
    Requires improvement or Inadequate that names no area for development gives the team
    nothing to act on."""
    return grade.rank >= Grade.REQUIRES_IMPROVEMENT.rank

"""The ILACS grades: slugs, labels, ranks, what input is accepted and how a re-audit compares."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qaudit.domain.grades import GRADE_SLUGS, Grade, good_or_better, grade_change, parse_grade


@pytest.mark.parametrize(
    ("grade", "slug", "label", "rank"),
    [
        (Grade.OUTSTANDING, "outstanding", "Outstanding", 1),
        (Grade.GOOD, "good", "Good", 2),
        (Grade.REQUIRES_IMPROVEMENT, "requires-improvement", "Requires improvement to be good", 3),
        (Grade.INADEQUATE, "inadequate", "Inadequate", 4),
    ],
)
def test_slug_label_rank(grade: Grade, slug: str, label: str, rank: int) -> None:
    assert (grade.slug, grade.label, grade.rank) == (slug, label, rank)


def test_slugs_best_first() -> None:
    assert GRADE_SLUGS == ("outstanding", "good", "requires-improvement", "inadequate")


@pytest.mark.parametrize(
    ("text", "grade"),
    [
        ("outstanding", Grade.OUTSTANDING),
        ("Outstanding", Grade.OUTSTANDING),
        (" good ", Grade.GOOD),
        ("GOOD", Grade.GOOD),
        ("requires-improvement", Grade.REQUIRES_IMPROVEMENT),
        ("requires_improvement", Grade.REQUIRES_IMPROVEMENT),
        ("REQUIRES_IMPROVEMENT", Grade.REQUIRES_IMPROVEMENT),
        ("Requires improvement", Grade.REQUIRES_IMPROVEMENT),
        ("requires  improvement", Grade.REQUIRES_IMPROVEMENT),
        ("Requires improvement to be good", Grade.REQUIRES_IMPROVEMENT),
        ("REQUIRES IMPROVEMENT TO BE GOOD", Grade.REQUIRES_IMPROVEMENT),
        ("requires-improvement-to-be-good", Grade.REQUIRES_IMPROVEMENT),
        ("\tInadequate\n", Grade.INADEQUATE),
    ],
)
def test_parse_grade_accepts(text: str, grade: Grade) -> None:
    assert parse_grade(text) is grade


@pytest.mark.parametrize(
    "text", ["excellent", "", "  ", "requires", "improvement", "good or better", "RI", "2"]
)
def test_parse_grade_refuses_listing_the_slugs(text: str) -> None:
    expected = (
        f"'{text}' is not a grade; expected one of outstanding, good, requires-improvement, "
        "inadequate (or the Ofsted label)"
    )
    with pytest.raises(ValueError) as caught:
        parse_grade(text)
    assert str(caught.value) == expected


@pytest.mark.parametrize(
    ("grade", "better"),
    [
        (Grade.OUTSTANDING, True),
        (Grade.GOOD, True),
        (Grade.REQUIRES_IMPROVEMENT, False),
        (Grade.INADEQUATE, False),
    ],
)
def test_good_or_better(grade: Grade, better: bool) -> None:
    assert good_or_better(grade) is better


@pytest.mark.parametrize(
    ("before", "after", "change"),
    [
        (Grade.INADEQUATE, Grade.REQUIRES_IMPROVEMENT, "improved"),
        (Grade.INADEQUATE, Grade.GOOD, "improved"),
        (Grade.INADEQUATE, Grade.INADEQUATE, "same"),
        (Grade.GOOD, Grade.GOOD, "same"),
        (Grade.GOOD, Grade.INADEQUATE, "worse"),
        (Grade.OUTSTANDING, Grade.GOOD, "worse"),
    ],
)
def test_grade_change(before: Grade, after: Grade, change: str) -> None:
    assert grade_change(before, after) == change


GRADES = st.sampled_from(list(Grade))


@given(GRADES, st.sampled_from(["lower", "upper", "title", "spaced", "underscored"]))
def test_slugs_and_labels_round_trip(grade: Grade, style: str) -> None:
    for text in (grade.slug, grade.label):
        written = {
            "lower": text.lower(),
            "upper": text.upper(),
            "title": text.title(),
            "spaced": f"  {text.replace('-', ' ')}  ",
            "underscored": text.replace(" ", "_").replace("-", "_"),
        }[style]
        assert parse_grade(written) is grade


@given(GRADES, GRADES)
def test_grade_change_is_antisymmetric(before: Grade, after: Grade) -> None:
    opposite = {"improved": "worse", "worse": "improved", "same": "same"}
    assert grade_change(after, before) == opposite[grade_change(before, after)]
    assert (grade_change(before, after) == "same") == (before is after)

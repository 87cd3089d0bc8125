"""Every service's one-decimal figure rounds half up, as a spreadsheet does: 1/16 = 6.25% is
6.3 (Python's round gives 6.2), 1/80 = 1.25% is 1.3 (round gives 1.2)."""

from __future__ import annotations

from datetime import date

from qaudit.domain.periods import month
from qaudit.domain.workdays import WorkingCalendar
from qaudit.services.advocacy import AdvocacyStats
from qaudit.services.complaint_stats import ComplaintStats, _figures, _StageRow
from qaudit.services.family_feedback import FamilyFeedbackStats, TeamViews
from qaudit.services.survey import SurveyStats

D = date.fromisoformat


def test_advocacy_percentages() -> None:
    stats = AdvocacyStats(
        period="2026-05",
        start=D("2026-05-01"),
        end=D("2026-05-31"),
        conferences=16,
        told=1,
        requests=80,
        requests_when_told=1,
        met=1,
        met_late=0,
        not_provided=0,
        awaiting=0,
        ahead=0,
        exceptions=(),
        unmet=(),
    )
    assert (stats.told_pct, stats.uptake_pct, stats.met_pct) == (6.3, 100.0, 1.3)


def test_family_feedback_percentages() -> None:
    stats = FamilyFeedbackStats("2026-05", D("2026-05-01"), D("2026-05-31"), 16, 1)
    assert stats.views_gathered_pct == 6.3
    assert TeamViews("A", 80, 1).views_gathered_pct == 1.3


def test_survey_review_percentage() -> None:
    stats = SurveyStats("2026-05", "s", "b", 16, None, None, None, 0, 1, 1)
    assert stats.reviewed_in_time_pct == 6.3


def test_complaint_in_time_and_mean() -> None:
    stats = ComplaintStats("2026-05", D("2026-05-01"), D("2026-05-31"))
    stats.answered, stats.answered_in_time = 16, 1
    assert stats.in_time_pct == 6.3
    # Four stage 1 letters taking 1, 1, 1 and 2 working days (received on Monday 11 May):
    # mean 1.25 -> 1.3.
    rows = [
        _StageRow(
            ref=f"C{i}",
            stage=1,
            received=D("2026-05-11"),
            due=D("2026-05-26"),
            extension_days=0,
            responded_on=None,
            letter_on=D(letter),
            escalated_on=None,
            closed_on=None,
            team=None,
            themes=(),
        )
        for i, letter in enumerate(["2026-05-12", "2026-05-12", "2026-05-12", "2026-05-13"])
    ]
    out = _figures(rows, [], month(2026, 5), WorkingCalendar())
    assert out.answered == 4
    assert out.mean_working_days == 1.3

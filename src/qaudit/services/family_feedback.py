"""Family feedback: how many of a period's audits gathered the child's and family's views,
overall and by team."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import case, func, select

from qaudit.domain.periods import Period
from qaudit.domain.stats import percent
from qaudit.store.engine import Store
from qaudit.store.models import Audit, Case, Team

NO_TEAM = "(no team)"


@dataclass(frozen=True)
class TeamViews:
    team: str
    audits: int
    views_gathered: int

    @property
    def views_gathered_pct(self) -> float | None:
        return percent(self.views_gathered, self.audits)

    def as_dict(self) -> dict[str, Any]:
        return {
            "team": self.team,
            "audits": self.audits,
            "views_gathered": self.views_gathered,
            "views_gathered_pct": self.views_gathered_pct,
        }


@dataclass(frozen=True)
class FamilyFeedbackStats:
    """Audits dated in the period, of every kind; a team is the case's team now."""

    period: str
    start: date
    end: date
    audits: int
    views_gathered: int
    by_team: tuple[TeamViews, ...] = field(default=())

    @property
    def views_gathered_pct(self) -> float | None:
        return percent(self.views_gathered, self.audits)

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "start": self.start,
            "end": self.end,
            "audits": self.audits,
            "views_gathered": self.views_gathered,
            "views_gathered_pct": self.views_gathered_pct,
            "by_team": [t.as_dict() for t in self.by_team],
        }


def family_feedback_stats(*, store: Store, period: Period) -> FamilyFeedbackStats:
    """How many audits dated in ``period`` recorded that the child's and family's views were
    gathered, and the share, overall and by team (teams by name, unallocated cases last)."""
    audit = Audit.__table__  # type: ignore[attr-defined]
    cases = Case.__table__  # type: ignore[attr-defined]
    teams = Team.__table__  # type: ignore[attr-defined]
    query = (
        select(
            teams.c.name,
            func.count(),
            func.sum(case((audit.c.views_gathered.is_(True), 1), else_=0)),
        )
        .select_from(audit)
        .join(cases, cases.c.id == audit.c.case_id)
        .outerjoin(teams, teams.c.id == cases.c.team_id)
        .where(audit.c.audit_date.between(period.start, period.end))
        .group_by(teams.c.name)
    )
    with store.reading() as session:
        rows = [
            TeamViews(name or NO_TEAM, int(count), int(gathered or 0))
            for name, count, gathered in session.connection().execute(query)
        ]
    rows.sort(key=lambda t: (t.team == NO_TEAM, t.team))
    return FamilyFeedbackStats(
        period=period.label,
        start=period.start,
        end=period.end,
        audits=sum(t.audits for t in rows),
        views_gathered=sum(t.views_gathered for t in rows),
        by_team=tuple(rows),
    )

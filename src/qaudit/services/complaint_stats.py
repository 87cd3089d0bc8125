"""Complaint figures for a period and its months or financial-year quarters."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

from sqlalchemy import func, or_, select

from qaudit.domain.complaints import answered_in_time, working_days_taken
from qaudit.domain.periods import Period, financial_quarter_of, month_of
from qaudit.domain.stats import percent, round_half_up
from qaudit.domain.workdays import WorkingCalendar
from qaudit.services.context import Context
from qaudit.services.worklists import calendar
from qaudit.store.engine import Store
from qaudit.store.models import Case, Complaint, ComplaintExtension, ComplaintStage, Team


@dataclass(frozen=True)
class _StageRow:
    ref: str
    stage: int
    received: date
    due: date
    extension_days: int
    responded_on: date | None
    letter_on: date | None
    escalated_on: date | None
    closed_on: date | None
    team: str | None
    themes: tuple[str, ...]
    missed_due: date | None = None  # the due date passed before an extension agreed late


@dataclass
class ComplaintStats:
    """A period's figures. A stage counts as received in the period it was received (or asked
    for), and as answered in the period its final response letter was sent; an extension in
    the period it was agreed. A stage answered after an extension agreed late is late: it had
    already missed its timescale."""

    period: str
    start: date
    end: date
    received: int = 0
    received_by_stage: dict[int, int] = field(default_factory=lambda: {1: 0, 2: 0, 3: 0})
    by_theme: dict[str, int] = field(default_factory=dict)
    by_team: dict[str, int] = field(default_factory=dict)
    answered: int = 0
    answered_in_time: int = 0
    median_working_days: float | None = None
    mean_working_days: float | None = None
    extended: int = 0
    extensions_agreed: int = 0
    extensions_agreed_late: int = 0
    escalated: int = 0
    open_at_end: int = 0
    letter_outstanding_at_end: int = 0

    @property
    def in_time_pct(self) -> float | None:
        return percent(self.answered_in_time, self.answered)

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "start": self.start,
            "end": self.end,
            "received": self.received,
            "received_stage_1": self.received_by_stage[1],
            "received_stage_2": self.received_by_stage[2],
            "received_stage_3": self.received_by_stage[3],
            "answered": self.answered,
            "answered_in_time": self.answered_in_time,
            "in_time_pct": self.in_time_pct,
            "median_working_days": self.median_working_days,
            "mean_working_days": self.mean_working_days,
            "extended": self.extended,
            "extensions_agreed": self.extensions_agreed,
            "extensions_agreed_late": self.extensions_agreed_late,
            "escalated": self.escalated,
            "open_at_end": self.open_at_end,
            "letter_outstanding_at_end": self.letter_outstanding_at_end,
            "by_theme": dict(self.by_theme),
            "by_team": dict(self.by_team),
        }


def _rows(store: Store, start: date, end: date) -> list[_StageRow]:
    stage = ComplaintStage.__table__  # type: ignore[attr-defined]
    ext = ComplaintExtension.__table__  # type: ignore[attr-defined]
    missed = (
        select(func.min(ext.c.due_before))
        .where(ext.c.stage_id == stage.c.id, ext.c.late)
        .scalar_subquery()
    )
    complaint = Complaint.__table__  # type: ignore[attr-defined]
    case = Case.__table__  # type: ignore[attr-defined]
    team = Team.__table__  # type: ignore[attr-defined]
    query = (
        select(
            complaint.c.ref,
            stage.c.stage,
            stage.c.received,
            stage.c.due,
            stage.c.extension_days,
            stage.c.responded_on,
            stage.c.letter_on,
            stage.c.escalated_on,
            complaint.c.closed_on,
            team.c.name,
            complaint.c.themes,
            missed,
        )
        .join(complaint, complaint.c.id == stage.c.complaint_id)
        .outerjoin(case, case.c.id == complaint.c.case_id)
        .outerjoin(team, team.c.id == case.c.team_id)
        .where(
            stage.c.received <= end,
            # Stages answered and closed before the period cannot count in it: leave them in
            # the database (a letter or a closure never predates its receipt).
            or_(stage.c.letter_on.is_(None), stage.c.letter_on >= start),
            or_(complaint.c.closed_on.is_(None), complaint.c.closed_on >= start),
        )
    )
    with store.reading() as session:
        return [
            _StageRow(
                ref=row[0],
                stage=row[1],
                received=row[2],
                due=row[3],
                extension_days=row[4],
                responded_on=row[5],
                letter_on=row[6],
                escalated_on=row[7],
                closed_on=row[8],
                team=row[9],
                themes=tuple(row[10] or ()),
                missed_due=row[11],
            )
            for row in session.connection().execute(query)
        ]


def _extensions(store: Store, start: date, end: date) -> list[tuple[date, bool]]:
    """Each extension agreed in the period: when, and whether after the response was due."""
    ext = ComplaintExtension.__table__  # type: ignore[attr-defined]
    query = select(ext.c.agreed_on, ext.c.late).where(ext.c.agreed_on.between(start, end))
    with store.reading() as session:
        return [(row[0], bool(row[1])) for row in session.connection().execute(query)]


def _figures(
    rows: list[_StageRow],
    extensions: list[tuple[date, bool]],
    period: Period,
    cal: WorkingCalendar,
) -> ComplaintStats:
    out = ComplaintStats(period=period.label, start=period.start, end=period.end)
    themes: Counter[str] = Counter()
    teams: Counter[str] = Counter()
    taken: list[int] = []
    end = period.end
    for r in rows:
        if period.contains(r.received):
            out.received += 1
            out.received_by_stage[r.stage] += 1
            themes.update(r.themes)
            teams[r.team or "(no case)"] += 1
            if r.extension_days:
                out.extended += 1
        if r.letter_on is not None and period.contains(r.letter_on):
            out.answered += 1
            out.answered_in_time += answered_in_time(r.letter_on, r.due, r.missed_due)
            taken.append(working_days_taken(cal, r.received, r.letter_on))
        if r.escalated_on is not None and period.contains(r.escalated_on):
            out.escalated += 1
        closed = r.closed_on is not None and r.closed_on <= end
        unanswered = r.letter_on is None or r.letter_on > end
        if r.received <= end and unanswered and not closed:
            out.open_at_end += 1
            if r.responded_on is not None and r.responded_on <= end:
                out.letter_outstanding_at_end += 1
    for agreed_on, late in extensions:
        if period.contains(agreed_on):
            out.extensions_agreed += 1
            out.extensions_agreed_late += late
    if taken:
        out.median_working_days = float(statistics.median(taken))
        out.mean_working_days = round_half_up(Fraction(sum(taken), len(taken)), 1)
    out.by_theme = dict(sorted(themes.items(), key=lambda kv: (-kv[1], kv[0])))
    out.by_team = dict(sorted(teams.items(), key=lambda kv: (-kv[1], kv[0])))
    return out


def complaint_stats(
    *, store: Store, ctx: Context, period: Period, by: str | None = None
) -> list[ComplaintStats]:
    """The period's figures, after those of each of its months or quarters when ``by`` is
    "month" or "quarter" and the period holds more than one.

    A row counts exactly the days its label names: a month's own quarter is not a part of it
    (the rows read only the month), and the clipped ends of a range are labelled with their
    dates.
    """
    cal = calendar(ctx)
    rows = _rows(store, period.start, period.end)
    extensions = _extensions(store, period.start, period.end)
    parts = period.months() if by == "month" else period.quarters() if by == "quarter" else []
    parts = [_within(part, period, by) for part in parts]
    if len(parts) == 1:  # the period itself, or a part of a month or quarter
        parts = []
    return [
        *(_figures(rows, extensions, part, cal) for part in parts),
        _figures(rows, extensions, period, cal),
    ]


def _within(part: Period, period: Period, by: str | None) -> Period:
    """``part`` cut to ``period``, labelled with its dates unless it is a whole month or
    quarter."""
    start, end = max(part.start, period.start), min(part.end, period.end)
    whole = month_of(start) if by == "month" else financial_quarter_of(start)
    if (start, end) == (whole.start, whole.end):
        return whole
    return Period(start, end, f"{start.isoformat()}..{end.isoformat()}", "range")

"""Everything past its due date, of every kind, in one list: what ``qaudit overdue`` shows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlmodel import col

from qaudit.services.advocacy import overdue_advocacy
from qaudit.services.audits import (
    OverdueItem,
    calendar,
    overdue_audits,
    overdue_moderations,
    overdue_reaudits,
)
from qaudit.services.complaints import overdue_complaints
from qaudit.services.context import Context
from qaudit.services.survey import overdue_surveys
from qaudit.store.engine import Store
from qaudit.store.models import Staff

OVERDUE_KINDS = ("audit", "moderation", "reaudit", "complaint", "survey", "advocacy")


def list_overdue(
    *, store: Store, ctx: Context, kinds: Sequence[str] = OVERDUE_KINDS
) -> list[OverdueItem]:
    """What is past its due date (a date is met until that day ends), most overdue first,
    from one snapshot of the store."""
    today = ctx.today
    cal = calendar(ctx)
    items: list[OverdueItem] = []
    with store.reading() as session:
        conn = session.connection()
        qa_lead = conn.execute(
            select(col(Staff.name)).where(col(Staff.role) == "qa_lead").order_by(col(Staff.name))
        ).scalar()
        if "audit" in kinds:
            items += overdue_audits(conn, today, cal)
        if "moderation" in kinds:
            items += overdue_moderations(conn, today, cal, qa_lead)
        if "reaudit" in kinds:
            items += overdue_reaudits(conn, today, cal)
        if "complaint" in kinds:
            items += [
                OverdueItem(
                    kind="complaint",
                    ref=c.ref,
                    case_ref=c.case_ref or "",
                    due=c.due,
                    days_overdue=c.days_overdue,
                    owner=c.owner,
                    escalate_to=c.escalate_to,
                    detail=c.detail,
                )
                for c in overdue_complaints(conn, today, cal, qa_lead)
            ]
        if "survey" in kinds:
            items += overdue_surveys(conn, ctx.now, cal, ctx.policy.voice.review_hours, qa_lead)
        if "advocacy" in kinds:
            items += overdue_advocacy(conn, today, cal)
    items.sort(key=lambda i: (-i.days_overdue, not i.urgent, _day(i.due), i.kind, i.case_ref))
    return items


def _day(due: date) -> date:
    # A datetime is a date too, but the two do not compare: sort by the day.
    return due.date() if isinstance(due, datetime) else due

"""Finding the records a command names, and the checks every service makes the same way."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session
from sqlmodel import select as orm_select

from qaudit.errors import NotFoundError, RuleError
from qaudit.services.context import Context
from qaudit.store.models import Case, HeadOfService, Staff


def staff_named(session: Session, name: str) -> Staff:
    person = session.exec(orm_select(Staff).where(Staff.name == name)).first()
    if person is None:
        raise NotFoundError(f"no staff member named '{name}' (see qaudit staff list)")
    return person


def case_with_ref(session: Session, case_ref: str) -> Case:
    case = session.exec(orm_select(Case).where(Case.case_ref == case_ref)).first()
    if case is None:
        raise NotFoundError(f"no case '{case_ref}' in the store (see qaudit cases list)")
    return case


def refuse_future(ctx: Context, day: date, what: str) -> None:
    """Records are of what has happened: a date after today is refused."""
    if day > ctx.today:
        raise RuleError(f"the {what} {day} is after today ({ctx.today})")


def head_of_team(session: Session, team_id: int | None) -> Staff | None:
    """The head of service who answers for a team, if the staff list names one."""
    if team_id is None:
        return None
    head = session.get(HeadOfService, team_id)
    return session.get(Staff, head.staff_id) if head is not None else None

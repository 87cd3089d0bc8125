"""Recording audits, moderating Inadequate ones, re-audits, and what is overdue."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import select as orm_select

from qaudit.domain.actions import ActionInput
from qaudit.domain.audit_cycle import (
    ModerationState,
    ModerationStep,
    Person,
    cancelled_reaudit_note,
    check_moderation_step,
)
from qaudit.domain.audit_cycle import moderate as moderate_rule
from qaudit.domain.grades import Grade, grade_change
from qaudit.errors import NotFoundError, RuleError
from qaudit.services.actions import ActionSet
from qaudit.services.context import Context
from qaudit.services.grading import GradeInput, GradeResult, record_grade_in
from qaudit.services.records import (
    staff_named,
)
from qaudit.services.rules import ruled
from qaudit.services.transaction import write_transaction
from qaudit.store.changelog import record_change
from qaudit.store.engine import Store
from qaudit.store.models import (
    Audit,
    Case,
    Moderation,
    Reaudit,
)


def record_grade(*, store: Store, ctx: Context, entry: GradeInput) -> GradeResult:
    """Record an audit in a transaction of its own (services.grading says how)."""
    from qaudit.store.lite import AlchemyTx

    with write_transaction(store, ctx) as session:
        return record_grade_in(AlchemyTx(session), ctx, entry)


@dataclass(frozen=True)
class ModerationResult:
    audit_id: int
    case_ref: str
    due: date
    outcome: str | None
    grade: Grade
    conversation_date: date | None
    complete: bool
    reaudit_cancelled: bool
    actions: tuple[ActionSet, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            **({"actions": [a.as_dict() for a in self.actions]} if self.actions else {}),
            "audit_id": self.audit_id,
            "case_ref": self.case_ref,
            "due": self.due,
            "outcome": self.outcome,
            "grade": self.grade.slug,
            "conversation_date": self.conversation_date,
            "complete": self.complete,
            "reaudit_cancelled": self.reaudit_cancelled,
        }


def moderate(
    *,
    store: Store,
    ctx: Context,
    audit_id: int,
    moderator: str,
    agree: bool = False,
    regrade: Grade | None = None,
    conversation_date: date | None = None,
    notes: str | None = None,
    actions: Sequence[ActionInput] = (),
) -> ModerationResult:
    """A head of service agrees or regrades an Inadequate audit and records the reflective
    conversation; either may come first. A regrade above Inadequate cancels the re-audit.
    The rules are ``domain.audit_cycle.moderate``'s. ``actions`` are set with what the
    moderation records (on today's date), in its transaction and event."""
    from qaudit.services.actions import record_actions_in
    from qaudit.store.lite import AlchemyTx

    step = ModerationStep(
        agree=agree, regrade=regrade, conversation_date=conversation_date, notes=notes
    )
    ruled(check_moderation_step, step, ctx.today)
    with write_transaction(store, ctx) as session:
        audit = session.get(Audit, audit_id)
        if audit is None:
            raise NotFoundError(f"no audit {audit_id} (see qaudit audits list)")
        case = session.get(Case, audit.case_id)
        assert case is not None
        moderation = session.exec(
            orm_select(Moderation).where(Moderation.audit_id == audit_id)
        ).first()
        if moderation is None:
            raise RuleError(
                f"audit {audit_id} was graded {Grade(audit.grade).label}: only audits graded "
                "Inadequate are moderated"
            )
        person = staff_named(session, moderator)
        before = {
            "outcome": moderation.outcome,
            "regrade": moderation.regrade,
            "conversation_date": moderation.conversation_date,
        }
        now = ModerationState(
            audit_id=audit_id,
            audit_grade=Grade(audit.grade),
            audit_date=audit.audit_date,
            outcome=moderation.outcome,
            regrade=Grade(moderation.regrade) if moderation.regrade else None,
            outcome_on=moderation.outcome_on,
            conversation_date=moderation.conversation_date,
            completed_on=moderation.completed_on,
        )
        change = ruled(
            moderate_rule, now, step, Person(person.name, person.role, person.team_id), ctx.today
        )
        moderation.outcome = change.outcome
        moderation.regrade = change.regrade.slug if change.regrade else None
        moderation.outcome_on = change.outcome_on
        moderation.conversation_date = change.conversation_date
        moderation.completed_on = change.completed_on
        moderation.moderator_id = person.id
        if notes is not None:
            moderation.notes = notes
        session.add(moderation)
        cancelled = False
        if change.cancel_reaudit:
            assert change.regrade is not None
            reaudit = session.exec(
                orm_select(Reaudit).where(Reaudit.audit_id == audit_id, Reaudit.status == "pending")
            ).first()
            if reaudit is not None:
                reaudit.status = "cancelled"
                reaudit.note = cancelled_reaudit_note(change.regrade, person.name)
                session.add(reaudit)
                cancelled = True
                record_change(
                    session,
                    actor=ctx.user,
                    action="reaudit.cancel",
                    entity="reaudit",
                    entity_ref=str(audit_id),
                    recorded_at=ctx.recorded_at,
                    as_of=ctx.now,
                    before={"status": "pending", "due": reaudit.due},
                    after={"status": "cancelled", "reason": reaudit.note},
                )
        session.flush()
        assert moderation.id is not None and case.id is not None
        recorded = record_actions_in(
            AlchemyTx(session),
            ctx,
            case_id=case.id,
            audit_id=audit_id,
            set_on=ctx.today,
            actions=actions,
            moderation_id=moderation.id,
        )
        record_change(
            session,
            actor=ctx.user,
            action="audit.moderate",
            entity="audit",
            entity_ref=str(audit_id),
            recorded_at=ctx.recorded_at,
            as_of=ctx.now,
            before=before,
            after={
                "outcome": moderation.outcome,
                "regrade": moderation.regrade,
                "conversation_date": moderation.conversation_date,
                "moderator": person.name,
                "complete": moderation.completed_on is not None,
            },
            # Owners and dates of the actions set, never their text.
            detail={"actions": [a.as_dict() for a in recorded]} if recorded else None,
        )
        return ModerationResult(
            audit_id=audit_id,
            case_ref=case.case_ref,
            due=moderation.due,
            outcome=moderation.outcome,
            grade=Grade(moderation.regrade or audit.grade),
            conversation_date=moderation.conversation_date,
            complete=moderation.completed_on is not None,
            reaudit_cancelled=cancelled,
            actions=tuple(recorded),
        )


@dataclass(frozen=True)
class ReauditView:
    case_ref: str
    audit_id: int
    due: date
    status: str
    first_grade: str
    reaudit_id: int | None
    reaudit_grade: str | None
    change: str | None
    note: str | None
    actions: str | None = None  # the first audit's: "2 of 3 done"

    def as_dict(self) -> dict[str, Any]:
        return {
            "case_ref": self.case_ref,
            "audit_id": self.audit_id,
            "due": self.due,
            "status": self.status,
            "first_grade": self.first_grade,
            "reaudit_id": self.reaudit_id,
            "reaudit_grade": self.reaudit_grade,
            "change": self.change,
            "note": self.note,
            "actions": self.actions,
        }


def list_reaudits(
    *, store: Store, status: str | None = None, on: date | None = None
) -> list[ReauditView]:
    """Re-audits, pending ones first by due date, then done and cancelled; with how many of
    the first audit's actions were done by ``on`` (today), or by the re-audit once done."""
    from qaudit.services.actions import reaudit_actions
    from qaudit.store.lite import AlchemyRows

    re = Reaudit.__table__  # type: ignore[attr-defined]
    case = Case.__table__  # type: ignore[attr-defined]
    first = Audit.__table__.alias("first")  # type: ignore[attr-defined]
    second = Audit.__table__.alias("second")  # type: ignore[attr-defined]
    mod = Moderation.__table__  # type: ignore[attr-defined]
    query = (
        select(
            case.c.case_ref,
            re.c.audit_id,
            re.c.due,
            re.c.status,
            first.c.grade,
            mod.c.regrade,
            re.c.done_audit_id,
            second.c.grade,
            re.c.note,
        )
        .join(case, case.c.id == re.c.case_id)
        .join(first, first.c.id == re.c.audit_id)
        .outerjoin(mod, mod.c.audit_id == re.c.audit_id)
        .outerjoin(second, second.c.id == re.c.done_audit_id)
        .order_by(re.c.status.desc(), re.c.due, case.c.case_ref)
    )
    if status is not None:
        query = query.where(re.c.status == status)
    views = []
    with store.reading() as session:
        for (
            ref,
            audit_id,
            due,
            st,
            grade,
            regrade,
            done_id,
            done_grade,
            note,
        ) in session.connection().execute(query):
            first_grade = regrade or grade
            views.append(
                ReauditView(
                    case_ref=ref,
                    audit_id=audit_id,
                    due=due,
                    status=st,
                    first_grade=first_grade,
                    reaudit_id=done_id,
                    reaudit_grade=done_grade,
                    change=grade_change(Grade(first_grade), Grade(done_grade))
                    if done_grade
                    else None,
                    note=note,
                )
            )
        counts = reaudit_actions(AlchemyRows(session.connection()), on or date.today())
    return [dataclasses.replace(v, actions=counts.get(v.audit_id)) for v in views]

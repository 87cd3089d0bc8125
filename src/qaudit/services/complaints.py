"""Complaints: logging, response, the final response letter, extension, escalation, the next
stage, closing. Each loads the complaint, asks its rule in domain/complaints.py what to change,
writes that and logs it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col
from sqlmodel import select as orm_select

from qaudit.domain import complaints as rules
from qaudit.domain.complaints import StageChange, complaint_ref, timescale
from qaudit.domain.rules import RuleBroken
from qaudit.errors import NotFoundError, RuleError
from qaudit.services.context import Context
from qaudit.services.erasure import logged_text
from qaudit.services.records import (
    case_with_ref,
    head_of_team,
    refuse_future,
)
from qaudit.services.rules import refused
from qaudit.services.transaction import write_transaction
from qaudit.services.worklists import ComplaintView, calendar, complaint_status
from qaudit.store.changelog import record_change
from qaudit.store.engine import Store
from qaudit.store.models import (
    Case,
    Complaint,
    ComplaintExtension,
    ComplaintStage,
    Staff,
    Team,
)


def _view(session: Session, complaint: Complaint) -> ComplaintView:
    stage = _stage(session, complaint)
    case = session.get(Case, complaint.case_id) if complaint.case_id is not None else None
    team = session.get(Team, case.team_id) if case is not None and case.team_id else None
    escalated = (
        session.get(Staff, stage.escalated_to_id) if stage.escalated_to_id is not None else None
    )
    return _view_of(
        complaint,
        stage,
        case.case_ref if case else None,
        team.name if team else None,
        escalated.name if escalated else None,
    )


def _view_of(
    complaint: Complaint,
    stage: ComplaintStage,
    case_ref: str | None,
    team: str | None,
    escalated_to: str | None,
) -> ComplaintView:
    return ComplaintView(
        ref=complaint.ref,
        procedure=complaint.procedure,
        stage=stage.stage,
        received=stage.received,
        response_due=stage.due,
        status=complaint_status(complaint.closed_on, stage.letter_on, stage.responded_on),
        case_ref=case_ref,
        team=team,
        relationship=complaint.relationship,
        themes=tuple(complaint.themes or ()),
        summary=complaint.summary,
        extension_days=stage.extension_days,
        responded_on=stage.responded_on,
        letter_on=stage.letter_on,
        escalated_on=stage.escalated_on,
        escalated_to=escalated_to,
        outcome=complaint.outcome,
        closed_on=complaint.closed_on,
        first_received=complaint.received,
    )


def _stage(session: Session, complaint: Complaint) -> ComplaintStage:
    stage = session.exec(
        orm_select(ComplaintStage).where(
            ComplaintStage.complaint_id == complaint.id, ComplaintStage.stage == complaint.stage
        )
    ).first()
    assert stage is not None, complaint.ref
    return stage


def _complaint(session: Session, ref: str) -> Complaint:
    complaint = session.exec(orm_select(Complaint).where(Complaint.ref == ref.upper())).first()
    if complaint is None:
        raise NotFoundError(f"no complaint '{ref}' (see qaudit complaints list)")
    return complaint


def _log(session: Session, ctx: Context, action: str, ref: str, **changes: Any) -> None:
    record_change(
        session,
        actor=ctx.user,
        action=f"complaint.{action}",
        entity="complaint",
        entity_ref=ref,
        recorded_at=ctx.recorded_at,
        as_of=ctx.now,
        before=changes.pop("before", None),
        after=changes.pop("after", None),
        detail=changes or None,
    )


def log_complaint(
    *,
    store: Store,
    ctx: Context,
    received: date,
    procedure: str = "statutory",
    stage: int = 1,
    case_ref: str | None = None,
    themes: Sequence[str] = (),
    summary: str | None = None,
    relationship: str = "parent",
) -> ComplaintView:
    """Log a complaint; its response is due by the procedure's timescale for the stage."""
    refuse_future(ctx, received, "received date")
    try:
        first = rules.first_stage(
            ctx.policy.complaints,
            calendar(ctx),
            procedure=procedure,
            stage=stage,
            received=received,
            relationship=relationship,
        )
    except RuleBroken as exc:
        raise refused(exc) from None
    with write_transaction(store, ctx) as session:
        case_id = case_with_ref(session, case_ref).id if case_ref is not None else None
        conn = session.connection()
        table = Complaint.__table__  # type: ignore[attr-defined]
        prefix = f"C-{received.year}-"
        last = conn.execute(
            select(func.max(table.c.ref)).where(table.c.ref.startswith(prefix))
        ).scalar()
        number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
        complaint = Complaint(
            ref=complaint_ref(received.year, number),
            procedure=procedure,
            case_id=case_id,
            relationship=relationship,
            summary=summary,
            themes=list(themes) or None,
            received=received,
            stage=stage,
            logged_at=ctx.recorded_at,
            logged_by=ctx.user,
        )
        session.add(complaint)
        session.flush()
        session.add(
            ComplaintStage(
                complaint_id=complaint.id,  # type: ignore[arg-type]
                stage=first.stage,
                received=first.received,
                due=first.due,
            )
        )
        session.flush()
        _log(
            session,
            ctx,
            "log",
            complaint.ref,
            after={
                "received": received,
                "stage": stage,
                "procedure": procedure,
                "case_ref": case_ref,
                "themes": list(themes),
                "due": first.due,
            },
        )
        return _view(session, complaint)


def _load(session: Session, ref: str) -> tuple[Complaint, ComplaintStage, rules.Stage]:
    """The complaint, its current stage's row, and the stage as the rules see it."""
    complaint = _complaint(session, ref)
    row = _stage(session, complaint)
    ext = ComplaintExtension.__table__  # type: ignore[attr-defined]
    missed = (
        session.connection()
        .execute(select(func.min(ext.c.due_before)).where(ext.c.stage_id == row.id, ext.c.late))
        .scalar()
    )
    record = rules.Stage(
        ref=complaint.ref,
        procedure=complaint.procedure,
        stage=row.stage,
        received=row.received,
        due=row.due,
        extension_days=row.extension_days,
        responded_on=row.responded_on,
        letter_on=row.letter_on,
        escalated_on=row.escalated_on,
        closed_on=complaint.closed_on,
        outcome=complaint.outcome,
        missed_due=missed,
    )
    return complaint, row, record


def _apply(session: Session, row: ComplaintStage, change: StageChange) -> None:
    for name, value in change.fields().items():
        setattr(row, name, value)
    session.add(row)
    session.flush()


def respond(*, store: Store, ctx: Context, ref: str, on: date) -> ComplaintView:
    """The substantive response (the complaint resolved); the clock runs until the letter."""
    refuse_future(ctx, on, "response date")
    with write_transaction(store, ctx) as session:
        complaint, row, stage = _load(session, ref)
        try:
            change = rules.respond(stage, on)
        except RuleBroken as exc:
            raise refused(exc) from None
        _apply(session, row, change)
        _log(
            session,
            ctx,
            "respond",
            complaint.ref,
            before={"responded_on": stage.responded_on},
            after={"responded_on": on, "stage": stage.stage},
        )
        return _view(session, complaint)


@dataclass(frozen=True)
class LetterSent:
    view: ComplaintView
    in_time: bool  # by the due date, and not after an extension agreed late


def send_letter(*, store: Store, ctx: Context, ref: str, on: date) -> LetterSent:
    """The final response letter: when the complaint counts as answered."""
    refuse_future(ctx, on, "letter date")
    with write_transaction(store, ctx) as session:
        complaint, row, stage = _load(session, ref)
        try:
            change = rules.letter(stage, on)
        except RuleBroken as exc:
            raise refused(exc) from None
        _apply(session, row, change)
        _log(
            session,
            ctx,
            "letter",
            complaint.ref,
            after={"letter_on": on, "stage": stage.stage, "on_time": change.on_time},
        )
        return LetterSent(_view(session, complaint), bool(change.on_time))


def extend(
    *,
    store: Store,
    ctx: Context,
    ref: str,
    days: int,
    on: date | None = None,
    late_agreed: bool = False,
    reason: str | None = None,
) -> ComplaintView:
    """Extend the current stage's timescale, agreed on ``on`` (default today), within the
    stage's longest. An extension agreed after the response was due is refused unless the
    complainant's late agreement is recorded with the reason."""
    agreed_on = on or ctx.today
    refuse_future(ctx, agreed_on, "extension's agreement date")
    with write_transaction(store, ctx) as session:
        complaint, row, stage = _load(session, ref)
        try:
            scale = timescale(ctx.policy.complaints, complaint.procedure, stage.stage)
            change = rules.extend(stage, days, agreed_on, late_agreed, reason, scale, calendar(ctx))
        except RuleBroken as exc:
            raise refused(exc) from None
        except ValueError as exc:
            raise RuleError(str(exc)) from None
        extension = change.extension
        assert extension is not None
        _apply(session, row, change)
        added = ComplaintExtension(
            stage_id=row.id,  # type: ignore[arg-type]
            days=extension.days,
            agreed_on=extension.agreed_on,
            due_before=extension.due_before,
            late=extension.late,
            reason=extension.reason,
            recorded_by=ctx.user,
            recorded_at=ctx.recorded_at,
        )
        session.add(added)
        session.flush()
        _log(
            session,
            ctx,
            "extend",
            complaint.ref,
            before={"due": stage.due, "extension_days": stage.extension_days},
            after={"due": change.due, "extension_days": change.extension_days},
            stage=stage.stage,
            days=extension.days,
            agreed_on=extension.agreed_on,
            late=extension.late,
            # The reason may be about the child: the log keeps a reference, not the text.
            reason=logged_text(extension.reason, table="complaint_extensions", row_id=added.id),
        )
        return _view(session, complaint)


def _head_for(session: Session, complaint: Complaint) -> Staff | None:
    if complaint.case_id is None:
        return None
    case = session.get(Case, complaint.case_id)
    return head_of_team(session, case.team_id if case is not None else None)


def _qa_lead(session: Session) -> Staff | None:
    return session.exec(
        orm_select(Staff).where(Staff.role == "qa_lead").order_by(col(Staff.name))
    ).first()


@dataclass(frozen=True)
class Escalation:
    ref: str
    case_ref: str | None
    escalated_to: str
    due: date
    already: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "case_ref": self.case_ref,
            "escalated_to": self.escalated_to,
            "due": self.due,
            "already": self.already,
        }


def _escalate(session: Session, ctx: Context, ref: str) -> Escalation:
    complaint, row, stage = _load(session, ref)
    view = _view(session, complaint)
    try:
        change = rules.escalate(stage, ctx.today)
    except RuleBroken as exc:
        raise refused(exc) from None
    if change is None:
        person = session.get(Staff, row.escalated_to_id) if row.escalated_to_id else None
        return Escalation(
            complaint.ref, view.case_ref, person.name if person else "?", row.due, already=True
        )
    head = _head_for(session, complaint) or _qa_lead(session)
    if head is None:
        raise RuleError(
            f"complaint {complaint.ref}: no head of service is known for its case's team and "
            "there is no QA lead to escalate to (qaudit staff import)"
        )
    _apply(session, row, change)
    row.escalated_to_id = head.id
    session.add(row)
    session.flush()
    _log(
        session,
        ctx,
        "escalate",
        complaint.ref,
        after={"escalated_to": head.name, "stage": row.stage, "due": row.due},
    )
    return Escalation(complaint.ref, view.case_ref, head.name, row.due, already=False)


def escalate(*, store: Store, ctx: Context, ref: str) -> Escalation:
    """Escalate to the head of service of the case's team (the QA lead when no case is
    named). Escalating again changes nothing."""
    with write_transaction(store, ctx) as session:
        return _escalate(session, ctx, ref)


def escalate_overdue(*, store: Store, ctx: Context) -> list[Escalation]:
    """Escalate every overdue complaint not yet escalated: safe to run from cron daily."""
    done = []
    with write_transaction(store, ctx) as session:
        stage = ComplaintStage.__table__  # type: ignore[attr-defined]
        complaint = Complaint.__table__  # type: ignore[attr-defined]
        refs = (
            session.connection()
            .execute(
                select(complaint.c.ref)
                .join(
                    stage,
                    (stage.c.complaint_id == complaint.c.id) & (stage.c.stage == complaint.c.stage),
                )
                .where(
                    complaint.c.closed_on.is_(None),
                    stage.c.letter_on.is_(None),
                    stage.c.due < ctx.today,
                    stage.c.escalated_on.is_(None),
                )
                .order_by(stage.c.due, complaint.c.ref)
            )
            .scalars()
        )
        for ref in list(refs):
            done.append(_escalate(session, ctx, ref))
    return done


def next_stage(
    *,
    store: Store,
    ctx: Context,
    ref: str,
    requested: date,
    late_reason: str | None = None,
) -> ComplaintView:
    """The complainant asks for the next stage: within 20 working days of the response
    letter (or once the stage's deadline has passed unanswered), unless accepted late."""
    refuse_future(ctx, requested, "request date")
    with write_transaction(store, ctx) as session:
        complaint, _, stage = _load(session, ref)
        try:
            new = rules.next_stage(
                stage, requested, late_reason, ctx.policy.complaints, calendar(ctx)
            )
        except RuleBroken as exc:
            raise refused(exc) from None
        added = ComplaintStage(
            complaint_id=complaint.id,  # type: ignore[arg-type]
            stage=new.stage,
            received=new.received,
            due=new.due,
            late_reason=new.late_reason,
        )
        session.add(added)
        complaint.stage = new.stage
        session.add(complaint)
        session.flush()
        _log(
            session,
            ctx,
            "next_stage",
            complaint.ref,
            after={
                "stage": new.stage,
                "requested": requested,
                "due": new.due,
                # The reason may be about the child: the log keeps a reference, not the text.
                "late_reason": logged_text(late_reason, table="complaint_stages", row_id=added.id),
            },
        )
        return _view(session, complaint)


def close(
    *, store: Store, ctx: Context, ref: str, outcome: str, on: date | None = None
) -> ComplaintView:
    """Close with the outcome: upheld, partly upheld, not upheld, withdrawn."""
    day = on or ctx.today
    refuse_future(ctx, day, "closing date")
    with write_transaction(store, ctx) as session:
        complaint, _, stage = _load(session, ref)
        try:
            closure = rules.close(stage, outcome, day)
        except RuleBroken as exc:
            raise refused(exc) from None
        complaint.outcome, complaint.closed_on = closure.outcome, closure.closed_on
        session.add(complaint)
        session.flush()
        _log(session, ctx, "close", complaint.ref, after={"outcome": outcome, "closed_on": day})
        return _view(session, complaint)


def show(*, store: Store, ref: str) -> ComplaintView:
    with store.reading() as session:
        return _view(session, _complaint(session, ref))

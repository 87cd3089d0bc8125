"""Complaints: logging, the stage deadlines, response, the final response letter, extension,
escalation, the next stage, closing; and what is overdue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col
from sqlmodel import select as orm_select

from qaudit.domain.complaints import (
    OUTCOMES,
    RELATIONSHIPS,
    check_extension,
    complaint_ref,
    response_due,
    timescale,
)
from qaudit.errors import NotFoundError, RuleError
from qaudit.services.context import Context
from qaudit.services.erasure import logged_text
from qaudit.services.records import (
    case_with_ref,
    head_of_team,
    refuse_future,
)
from qaudit.services.transaction import write_transaction
from qaudit.services.worklists import ComplaintView, calendar, complaint_status
from qaudit.store.changelog import record_change
from qaudit.store.engine import Store
from qaudit.store.models import (
    Case,
    Complaint,
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
        scale = timescale(ctx.policy.complaints, procedure, stage)
    except ValueError as exc:
        raise RuleError(str(exc)) from None
    if relationship not in RELATIONSHIPS:
        raise RuleError(
            f"'{relationship}' is not a relationship; expected one of {', '.join(RELATIONSHIPS)}"
        )
    due = response_due(calendar(ctx), received, scale.days)
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
            ComplaintStage(complaint_id=complaint.id, stage=stage, received=received, due=due)  # type: ignore[arg-type]
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
                "due": due,
            },
        )
        return _view(session, complaint)


def _open_stage(session: Session, ref: str, what: str) -> tuple[Complaint, ComplaintStage]:
    complaint = _complaint(session, ref)
    if complaint.closed_on is not None:
        raise RuleError(
            f"complaint {complaint.ref} was closed on {complaint.closed_on} "
            f"({complaint.outcome}): no {what} can be recorded"
        )
    return complaint, _stage(session, complaint)


def respond(*, store: Store, ctx: Context, ref: str, on: date) -> ComplaintView:
    """The substantive response (the complaint resolved); the clock runs until the letter."""
    refuse_future(ctx, on, "response date")
    with write_transaction(store, ctx) as session:
        complaint, stage = _open_stage(session, ref, "response")
        if on < stage.received:
            raise RuleError(
                f"the response date {on} is before the complaint was received ({stage.received})"
            )
        before = stage.responded_on
        stage.responded_on = on
        session.add(stage)
        session.flush()
        _log(
            session,
            ctx,
            "respond",
            complaint.ref,
            before={"responded_on": before},
            after={"responded_on": on, "stage": stage.stage},
        )
        return _view(session, complaint)


def send_letter(*, store: Store, ctx: Context, ref: str, on: date) -> ComplaintView:
    """The final response letter: when the complaint counts as answered."""
    refuse_future(ctx, on, "letter date")
    with write_transaction(store, ctx) as session:
        complaint, stage = _open_stage(session, ref, "letter")
        if on < stage.received:
            raise RuleError(
                f"the letter date {on} is before the complaint was received ({stage.received})"
            )
        if stage.letter_on is not None:
            raise RuleError(
                f"complaint {complaint.ref}'s stage {stage.stage} letter was "
                f"already sent on {stage.letter_on}"
            )
        stage.letter_on = on
        if stage.responded_on is None:
            stage.responded_on = on  # the letter is the response
        session.add(stage)
        session.flush()
        _log(
            session,
            ctx,
            "letter",
            complaint.ref,
            after={"letter_on": on, "stage": stage.stage, "on_time": on <= stage.due},
        )
        return _view(session, complaint)


def extend(*, store: Store, ctx: Context, ref: str, days: int) -> ComplaintView:
    """Extend the current stage's timescale, within the stage's longest."""
    with write_transaction(store, ctx) as session:
        complaint, stage = _open_stage(session, ref, "extension")
        if stage.letter_on is not None:
            raise RuleError(
                f"complaint {complaint.ref} was answered on {stage.letter_on}: nothing to extend"
            )
        scale = timescale(ctx.policy.complaints, complaint.procedure, stage.stage)
        try:
            total = check_extension(scale, stage.extension_days, days, stage.stage)
        except ValueError as exc:
            raise RuleError(str(exc)) from None
        before = {"due": stage.due, "extension_days": stage.extension_days}
        stage.extension_days = total
        stage.due = response_due(calendar(ctx), stage.received, scale.days + total)
        session.add(stage)
        session.flush()
        _log(
            session,
            ctx,
            "extend",
            complaint.ref,
            before=before,
            after={"due": stage.due, "extension_days": total},
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


def _escalate(session: Session, ctx: Context, complaint: Complaint) -> Escalation:
    stage = _stage(session, complaint)
    view = _view(session, complaint)
    if stage.escalated_on is not None:
        person = session.get(Staff, stage.escalated_to_id) if stage.escalated_to_id else None
        return Escalation(
            complaint.ref, view.case_ref, person.name if person else "?", stage.due, already=True
        )
    head = _head_for(session, complaint) or _qa_lead(session)
    if head is None:
        raise RuleError(
            f"complaint {complaint.ref}: no head of service is known for its case's team and "
            "there is no QA lead to escalate to (qaudit staff import)"
        )
    stage.escalated_on = ctx.today
    stage.escalated_to_id = head.id
    session.add(stage)
    session.flush()
    _log(
        session,
        ctx,
        "escalate",
        complaint.ref,
        after={"escalated_to": head.name, "stage": stage.stage, "due": stage.due},
    )
    return Escalation(complaint.ref, view.case_ref, head.name, stage.due, already=False)


def escalate(*, store: Store, ctx: Context, ref: str) -> Escalation:
    """Escalate to the head of service of the case's team (the QA lead when no case is
    named). Escalating again changes nothing."""
    with write_transaction(store, ctx) as session:
        complaint, _ = _open_stage(session, ref, "escalation")
        return _escalate(session, ctx, complaint)


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
            done.append(_escalate(session, ctx, _complaint(session, ref)))
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
    cal = calendar(ctx)
    with write_transaction(store, ctx) as session:
        complaint, stage = _open_stage(session, ref, "next stage")
        following = stage.stage + 1
        try:
            scale = timescale(ctx.policy.complaints, complaint.procedure, following)
        except ValueError as exc:
            raise RuleError(str(exc)) from None
        if requested < stage.received:
            raise RuleError(
                f"the request date {requested} is before stage {stage.stage} was "
                f"received ({stage.received})"
            )
        window = ctx.policy.complaints.statutory.next_stage_request_days
        if stage.letter_on is not None:
            last_day = cal.add_working_days(stage.letter_on, window)
            if requested > last_day and late_reason is None:
                raise RuleError(
                    f"stage {following} may be asked for within {window} working days of the "
                    f"response letter ({stage.letter_on}), that is by {last_day}; accept it "
                    "late with --late REASON"
                )
        elif requested <= stage.due and late_reason is None:
            raise RuleError(
                f"stage {stage.stage} has no response letter yet and is not overdue (due "
                f"{stage.due}); the next stage follows the response"
            )
        due = response_due(cal, requested, scale.days)
        added = ComplaintStage(
            complaint_id=complaint.id,  # type: ignore[arg-type]
            stage=following,
            received=requested,
            due=due,
            late_reason=late_reason,
        )
        session.add(added)
        complaint.stage = following
        session.add(complaint)
        session.flush()
        _log(
            session,
            ctx,
            "next_stage",
            complaint.ref,
            after={
                "stage": following,
                "requested": requested,
                "due": due,
                # The reason may be about the child: the log keeps a reference, not the text.
                "late_reason": logged_text(late_reason, table="complaint_stages", row_id=added.id),
            },
        )
        return _view(session, complaint)


def close(
    *, store: Store, ctx: Context, ref: str, outcome: str, on: date | None = None
) -> ComplaintView:
    """Close with the outcome: upheld, partly upheld, not upheld, withdrawn."""
    if outcome not in OUTCOMES:
        raise RuleError(f"'{outcome}' is not an outcome; expected one of {', '.join(OUTCOMES)}")
    day = on or ctx.today
    refuse_future(ctx, day, "closing date")
    with write_transaction(store, ctx) as session:
        complaint, stage = _open_stage(session, ref, "closure")
        if outcome != "withdrawn" and stage.letter_on is None:
            raise RuleError(
                f"complaint {complaint.ref} has no final response letter yet: send it "
                "(qaudit complaints letter) before closing, or close it as withdrawn"
            )
        if day < stage.received:
            raise RuleError(f"the closing date {day} is before the complaint was received")
        complaint.outcome, complaint.closed_on = outcome, day
        session.add(complaint)
        session.flush()
        _log(session, ctx, "close", complaint.ref, after={"outcome": outcome, "closed_on": day})
        return _view(session, complaint)


def show(*, store: Store, ref: str) -> ComplaintView:
    with store.reading() as session:
        return _view(session, _complaint(session, ref))

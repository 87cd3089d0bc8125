"""Recording audits, moderating Inadequate ones, re-audits, and what is overdue."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col
from sqlmodel import select as orm_select

from qaudit.domain.grades import Grade, grade_change
from qaudit.errors import NotFoundError, RuleError
from qaudit.services.context import Context
from qaudit.services.records import (
    case_with_ref,
    head_of_team,
    staff_named,
)
from qaudit.services.transaction import write_transaction
from qaudit.services.worklists import calendar
from qaudit.store.changelog import record_change
from qaudit.store.engine import Store
from qaudit.store.models import (
    Audit,
    Case,
    Moderation,
    Reaudit,
    Sample,
    SampleItem,
)

GRADING_ROLES = ("auditor", "team_manager", "qa_lead")


def _open_on(case: Case, day: date) -> bool:
    return (case.open_date is None or case.open_date <= day) and (
        case.close_date is None or case.close_date >= day
    )


@dataclass
class GradeInput:
    """What an auditor records; ``answers`` maps framework question ids to answer slugs."""

    case_ref: str
    grade: Grade
    auditor: str
    audit_date: date
    answers: dict[str, str] = field(default_factory=dict)
    themes: list[str] = field(default_factory=list)
    strengths: str | None = None
    development: str | None = None
    family_feedback: str | None = None
    views_gathered: bool | None = None
    adhoc: bool = False


@dataclass(frozen=True)
class GradeResult:
    audit_id: int
    case_ref: str
    grade: Grade
    audit_date: date
    completes: str  # "sample 2026-12", "re-audit", "ad hoc audit"
    moderation_due: date | None = None
    moderation_owner: str | None = None
    reaudit_due: date | None = None
    change: str | None = None  # for a re-audit: improved / same / worse

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "audit_id": self.audit_id,
            "case_ref": self.case_ref,
            "grade": self.grade.slug,
            "audit_date": self.audit_date,
            "completes": self.completes,
        }
        if self.grade is Grade.INADEQUATE:
            out["moderation_due"] = self.moderation_due
            out["moderation_owner"] = self.moderation_owner
            out["reaudit_due"] = self.reaudit_due
        if self.change is not None:
            out["change"] = self.change
        return out


def record_grade(*, store: Store, ctx: Context, entry: GradeInput) -> GradeResult:
    """Record an audit; it completes the case's open sample item or pending re-audit."""
    if entry.audit_date > ctx.today:
        raise RuleError(f"the audit date {entry.audit_date} is after today ({ctx.today})")
    cal = calendar(ctx)
    with write_transaction(store, ctx) as session:
        case = case_with_ref(session, entry.case_ref)
        if not _open_on(case, entry.audit_date):
            raise RuleError(
                f"case {case.case_ref} is not open on {entry.audit_date} "
                f"(open {case.open_date or 'unknown'} to {case.close_date or 'now'})"
            )
        auditor = staff_named(session, entry.auditor)
        if auditor.role not in GRADING_ROLES:
            raise RuleError(
                f"{auditor.name} is a {auditor.role.replace('_', ' ')}: audits are recorded by "
                "auditors, team managers and the QA lead"
            )
        if auditor.team_id is not None and auditor.team_id == case.team_id:
            raise RuleError(
                f"{auditor.name} is in the case's own team: an auditor never audits their own "
                "team's case (conflict of interest)"
            )
        item = session.exec(
            orm_select(SampleItem).where(SampleItem.case_id == case.id, SampleItem.status == "open")
        ).first()
        reaudit = None
        if item is None:
            first_audit = Audit.__table__.alias("first_audit")  # type: ignore[attr-defined]
            # A re-audit is a later audit: grading the case again the same day is not one.
            reaudit = session.exec(
                orm_select(Reaudit)
                .join(first_audit, first_audit.c.id == Reaudit.audit_id)
                .where(
                    Reaudit.case_id == case.id,
                    Reaudit.status == "pending",
                    first_audit.c.audit_date < entry.audit_date,
                )
            ).first()
        if item is None and reaudit is None and not entry.adhoc:
            raise RuleError(_nothing_due(session, case))
        kind = "sample" if item is not None else "reaudit" if reaudit is not None else "adhoc"
        views = entry.views_gathered
        if views is None:
            views = bool(entry.family_feedback)
        audit = Audit(
            case_id=case.id,  # type: ignore[arg-type]
            auditor_id=auditor.id,  # type: ignore[arg-type]
            audit_date=entry.audit_date,
            grade=entry.grade.slug,
            kind=kind,
            answers=dict(entry.answers) or None,
            themes=list(entry.themes) or None,
            strengths=entry.strengths,
            development=entry.development,
            views_gathered=views,
            family_feedback=entry.family_feedback,
            recorded_at=ctx.recorded_at,
        )
        session.add(audit)
        session.flush()
        assert audit.id is not None
        completes = "ad hoc audit"
        change = None
        if item is not None:
            item.status, item.audit_id = "done", audit.id
            session.add(item)
            sample = session.get(Sample, item.sample_id)
            completes = f"sample {sample.month if sample else ''}".strip()
        elif reaudit is not None:
            reaudit.status, reaudit.done_audit_id = "done", audit.id
            session.add(reaudit)
            completes = "re-audit"
            first = session.get(Audit, reaudit.audit_id)
            if first is not None:
                change = grade_change(_final_grade(session, first), entry.grade)
        moderation_due = reaudit_due = None
        owner = None
        if entry.grade is Grade.INADEQUATE:
            head = head_of_team(session, case.team_id)
            owner = head.name if head else None
            moderation_due = cal.add_working_days(
                entry.audit_date, ctx.policy.audit.moderation_working_days
            )
            reaudit_due = cal.weeks_later(entry.audit_date, ctx.policy.audit.reaudit_weeks)
            session.add(
                Moderation(
                    audit_id=audit.id, owner_id=head.id if head else None, due=moderation_due
                )
            )
            session.add(
                Reaudit(
                    case_id=case.id,  # type: ignore[arg-type]
                    audit_id=audit.id,
                    auditor_id=auditor.id,
                    due=reaudit_due,
                )
            )
        session.flush()
        record_change(
            session,
            actor=ctx.user,
            action="audit.grade",
            entity="audit",
            entity_ref=str(audit.id),
            recorded_at=ctx.recorded_at,
            as_of=ctx.now,
            after={
                "case_ref": case.case_ref,
                "grade": entry.grade.slug,
                "audit_date": entry.audit_date,
                "auditor": auditor.name,
                "kind": kind,
                "themes": entry.themes,
            },
            detail={
                "completes": completes,
                "moderation_due": moderation_due,
                "reaudit_due": reaudit_due,
                "change": change,
            },
        )
        return GradeResult(
            audit_id=audit.id,
            case_ref=case.case_ref,
            grade=entry.grade,
            audit_date=entry.audit_date,
            completes=completes,
            moderation_due=moderation_due,
            moderation_owner=owner,
            reaudit_due=reaudit_due,
            change=change,
        )


def _nothing_due(session: Session, case: Case) -> str:
    done = session.exec(
        orm_select(SampleItem)
        .where(SampleItem.case_id == case.id, SampleItem.status == "done")
        .order_by(col(SampleItem.id).desc())
    ).first()
    if done is not None and done.audit_id is not None:
        sample = session.get(Sample, done.sample_id)
        audit = session.get(Audit, done.audit_id)
        when = audit.audit_date if audit else "?"
        return (
            f"case {case.case_ref}'s sample item for {sample.month if sample else '?'} was "
            f"already graded (audit {done.audit_id} on {when}); use --adhoc to record another "
            "audit"
        )
    return (
        f"case {case.case_ref} has no audit due: it is in no open sample item and has no "
        "re-audit pending (use --adhoc to record an ad hoc audit)"
    )


def _final_grade(session: Session, audit: Audit) -> Grade:
    """The audit's grade after moderation (a regrade replaces the auditor's)."""
    moderation = session.exec(orm_select(Moderation).where(Moderation.audit_id == audit.id)).first()
    if moderation is not None and moderation.regrade is not None:
        return Grade(moderation.regrade)
    return Grade(audit.grade)


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

    def as_dict(self) -> dict[str, Any]:
        return {
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
) -> ModerationResult:
    """A head of service agrees or regrades an Inadequate audit and records the reflective
    conversation; either may come first. A regrade above Inadequate cancels the re-audit."""
    if agree and regrade is not None:
        raise RuleError("give either --agree or --regrade, not both")
    if not agree and regrade is None and conversation_date is None and notes is None:
        raise RuleError("nothing to record: give --agree or --regrade, and the --conversation-date")
    if conversation_date is not None and conversation_date > ctx.today:
        raise RuleError(f"the conversation date {conversation_date} is after today ({ctx.today})")
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
        if person.role != "head_of_service":
            raise RuleError(
                f"only a head of service may moderate an audit: {person.name} is a "
                f"{person.role.replace('_', ' ')}"
            )
        if conversation_date is not None and conversation_date < audit.audit_date:
            raise RuleError(
                f"the conversation date {conversation_date} is before the audit "
                f"({audit.audit_date})"
            )
        before = {
            "outcome": moderation.outcome,
            "regrade": moderation.regrade,
            "conversation_date": moderation.conversation_date,
        }
        outcome = None
        if agree or regrade is not None:
            outcome = "agreed" if agree or regrade is Grade.INADEQUATE else "regraded"
            new_grade = None if outcome == "agreed" else regrade
            if moderation.outcome is not None and (
                moderation.outcome,
                moderation.regrade,
            ) != (outcome, new_grade.slug if new_grade else None):
                raise RuleError(
                    f"audit {audit_id} was already moderated ({moderation.outcome} on "
                    f"{moderation.outcome_on}); a moderation outcome is not changed"
                )
            if moderation.outcome is None:
                moderation.outcome = outcome
                moderation.regrade = new_grade.slug if new_grade else None
                moderation.outcome_on = ctx.today
        moderation.moderator_id = person.id
        if conversation_date is not None:
            moderation.conversation_date = conversation_date
        if notes is not None:
            moderation.notes = notes
        if (
            moderation.completed_on is None
            and moderation.outcome is not None
            and moderation.conversation_date is not None
        ):
            moderation.completed_on = ctx.today
        session.add(moderation)
        cancelled = False
        if moderation.regrade is not None and Grade(moderation.regrade) is not Grade.INADEQUATE:
            reaudit = session.exec(
                orm_select(Reaudit).where(Reaudit.audit_id == audit_id, Reaudit.status == "pending")
            ).first()
            if reaudit is not None:
                reaudit.status = "cancelled"
                reaudit.note = (
                    f"regraded {Grade(moderation.regrade).label} at moderation by {person.name}"
                )
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
        }


def list_reaudits(*, store: Store, status: str | None = None) -> list[ReauditView]:
    """Re-audits, pending ones first by due date, then done and cancelled."""
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
    return views

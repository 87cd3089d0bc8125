"""The audit cycle's rules (domain.md), as pure functions over plain records: who may record an
audit, what a grade completes and what it opens, what a moderation changes, what a re-audit
shows. Each returns the change to make, or raises ``RuleBroken`` saying which rule in the
domain's words; the services load the records, call these, persist the result and log it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol

from qaudit.domain.grades import Grade, GradeChange, grade_change, needs_development
from qaudit.domain.rules import RuleBroken

GRADING_ROLES: tuple[str, ...] = ("auditor", "team_manager", "qa_lead")
"""Who records audits: never a social worker, and a head of service moderates instead."""
MODERATING_ROLE = "head_of_service"
AUDIT_KINDS: tuple[str, ...] = ("sample", "reaudit", "adhoc")
MODERATION_OUTCOMES: tuple[str, ...] = ("agreed", "regraded")
REAUDIT_STATUSES: tuple[str, ...] = ("pending", "done", "cancelled")
AUDIT_STATUSES: tuple[str, ...] = ("due", "overdue", "graded", "moderation-due", "moderated")
"""Where an audit stands in ``audits list``: still to do (due, overdue) or recorded."""

AuditKind = Literal["sample", "reaudit", "adhoc"]


class Calendar(Protocol):
    def add_working_days(self, start: date, n: int) -> date: ...
    def weeks_later(self, start: date, weeks: int) -> date: ...


@dataclass(frozen=True)
class Person:
    """A staff member as the rules need them."""

    name: str
    role: str
    team_id: int | None


@dataclass(frozen=True)
class CaseRecord:
    ref: str
    team_id: int | None
    open_date: date | None
    close_date: date | None


@dataclass(frozen=True)
class OpenItem:
    """A case's sample item not yet graded."""

    item_id: int
    month: str


@dataclass(frozen=True)
class PendingReaudit:
    """A case's pending re-audit, with the first audit's grade (and its moderation's regrade)
    and date."""

    reaudit_id: int
    first_grade: Grade
    regrade: Grade | None
    first_date: date


@dataclass(frozen=True)
class GradedBefore:
    """The case's last graded sample item, for the refusal when nothing is due."""

    audit_id: int
    month: str | None
    audit_date: date | None


# -- recording an audit -----------------------------------------------------------------------


def check_audit_date(audit_date: date, today: date) -> None:
    """An audit is recorded on or after the day it was done, never ahead of it."""
    if audit_date > today:
        raise RuleBroken(f"the audit date {audit_date} is after today ({today})")


def check_case_open(case: CaseRecord, on: date) -> None:
    """A case is audited while it is open."""
    opened, closed = case.open_date, case.close_date
    if (opened is not None and opened > on) or (closed is not None and closed < on):
        raise RuleBroken(
            f"case {case.ref} is not open on {on} (open {opened or 'unknown'} to {closed or 'now'})"
        )


def check_grader(person: Person, case: CaseRecord) -> None:
    """Auditors, team managers and the QA lead record audits, never of their own team's case."""
    if person.role not in GRADING_ROLES:
        raise RuleBroken(
            f"{person.name} is a {person.role.replace('_', ' ')}: audits are recorded by "
            "auditors, team managers and the QA lead"
        )
    if person.team_id is not None and person.team_id == case.team_id:
        raise RuleBroken(
            f"{person.name} is in the case's own team: an auditor never audits their own "
            "team's case (conflict of interest)"
        )


def may_grade(person: Person, case: CaseRecord) -> bool:
    try:
        check_grader(person, case)
    except RuleBroken:
        return False
    return True


@dataclass(frozen=True)
class Completes:
    """What an audit completes: the open sample item, else the pending re-audit, else it is
    an ad hoc audit."""

    kind: AuditKind
    item: OpenItem | None = None
    reaudit: PendingReaudit | None = None

    @property
    def words(self) -> str:
        if self.item is not None:
            return f"sample {self.item.month}"
        return "re-audit" if self.reaudit is not None else "ad hoc audit"


def what_it_completes(
    case_ref: str,
    audit_date: date,
    *,
    item: OpenItem | None,
    reaudit: PendingReaudit | None,
    adhoc: bool,
    graded_before: GradedBefore | None = None,
) -> Completes:
    """The open sample item comes first; a pending re-audit is completed only by a later audit
    than the first (grading the case again the same day is not a re-audit); otherwise the audit
    must be ad hoc, said so."""
    if item is not None:
        return Completes("sample", item=item)
    if reaudit is not None and reaudit.first_date < audit_date:
        return Completes("reaudit", reaudit=reaudit)
    if adhoc:
        return Completes("adhoc")
    if graded_before is not None:
        return _refuse_graded(case_ref, graded_before)
    raise RuleBroken(
        f"case {case_ref} has no audit due: it is in no open sample item and has no re-audit "
        "pending; an audit outside the sample is recorded as an ad hoc audit",
        remedy="adhoc",
    )


def _refuse_graded(case_ref: str, before: GradedBefore) -> Completes:
    raise RuleBroken(
        f"case {case_ref}'s sample item for {before.month or '?'} was already graded (audit "
        f"{before.audit_id} on {before.audit_date or '?'}); another audit of it is an ad hoc "
        "audit",
        remedy="adhoc",
    )


def check_development(grade: Grade, development: str | None) -> None:
    """An audit graded Requires improvement or Inadequate says what is to be developed."""
    if needs_development(grade) and not (development or "").strip():
        raise RuleBroken(
            f"an audit graded {grade.label} needs its areas for development", remedy="development"
        )


@dataclass(frozen=True)
class Followup:
    """What an Inadequate grade opens: a moderation due in working days and a re-audit weeks
    on (domain.md). ``None`` fields for any other grade."""

    moderation_due: date | None = None
    reaudit_due: date | None = None


def followup(
    grade: Grade, audit_date: date, cal: Calendar, *, moderation_days: int, reaudit_weeks: int
) -> Followup:
    if grade is not Grade.INADEQUATE:
        return Followup()
    return Followup(
        moderation_due=cal.add_working_days(audit_date, moderation_days),
        reaudit_due=cal.weeks_later(audit_date, reaudit_weeks),
    )


def reaudit_change(reaudit: PendingReaudit, grade: Grade) -> GradeChange:
    """A re-audit compared with the first audit as moderated: a regrade replaces the
    auditor's grade."""
    return grade_change(reaudit.regrade or reaudit.first_grade, grade)


# -- moderation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModerationState:
    """A moderation as it stands."""

    audit_id: int
    audit_grade: Grade
    audit_date: date
    outcome: str | None
    regrade: Grade | None
    outcome_on: date | None
    conversation_date: date | None
    completed_on: date | None


@dataclass(frozen=True)
class ModerationStep:
    """What a head of service records now: an outcome (agree, or regrade), the reflective
    conversation's date, notes; any of them, at least one."""

    agree: bool = False
    regrade: Grade | None = None
    conversation_date: date | None = None
    notes: str | None = None


@dataclass(frozen=True)
class ModerationChange:
    outcome: str | None
    regrade: Grade | None
    outcome_on: date | None
    conversation_date: date | None
    completed_on: date | None
    cancel_reaudit: bool  # the case is no longer graded Inadequate

    @property
    def complete(self) -> bool:
        return self.completed_on is not None


def check_moderation_step(step: ModerationStep, today: date) -> None:
    """A step records something, one outcome at most, and no conversation ahead of today."""
    if step.agree and step.regrade is not None:
        raise RuleBroken("a moderation either agrees the grade or regrades it, not both")
    recorded = (step.agree, step.regrade, step.conversation_date, step.notes)
    if recorded == (False, None, None, None):
        raise RuleBroken(
            "nothing to record: a moderation records its outcome (agreed or regraded) and "
            "the date of the reflective conversation"
        )
    if step.conversation_date is not None and step.conversation_date > today:
        raise RuleBroken(f"the conversation date {step.conversation_date} is after today ({today})")


def check_moderator(person: Person) -> None:
    if person.role != MODERATING_ROLE:
        raise RuleBroken(
            f"only a head of service may moderate an audit: {person.name} is a "
            f"{person.role.replace('_', ' ')}"
        )


def moderate(
    state: ModerationState, step: ModerationStep, moderator: Person, today: date
) -> ModerationChange:
    """A head of service agrees or regrades an Inadequate audit and records the reflective
    conversation, in either order; the outcome, once recorded, is not changed (repeating it is
    no change); complete on the day both are recorded. A regrade above Inadequate cancels the
    re-audit."""
    check_moderation_step(step, today)
    check_moderator(moderator)
    if step.conversation_date is not None and step.conversation_date < state.audit_date:
        raise RuleBroken(
            f"the conversation date {step.conversation_date} is before the audit "
            f"({state.audit_date})"
        )
    outcome, regrade, outcome_on = state.outcome, state.regrade, state.outcome_on
    if step.agree or step.regrade is not None:
        new_outcome = "agreed" if step.agree or step.regrade is Grade.INADEQUATE else "regraded"
        new_regrade = None if new_outcome == "agreed" else step.regrade
        if outcome is not None and (outcome, regrade) != (new_outcome, new_regrade):
            raise RuleBroken(
                f"audit {state.audit_id} was already moderated ({outcome} on {outcome_on}); a "
                "moderation outcome is not changed"
            )
        if outcome is None:
            outcome, regrade, outcome_on = new_outcome, new_regrade, today
    conversation = step.conversation_date or state.conversation_date
    completed = state.completed_on
    if completed is None and outcome is not None and conversation is not None:
        completed = today
    return ModerationChange(
        outcome=outcome,
        regrade=regrade,
        outcome_on=outcome_on,
        conversation_date=conversation,
        completed_on=completed,
        cancel_reaudit=regrade is not None and regrade is not Grade.INADEQUATE,
    )


def cancelled_reaudit_note(regrade: Grade, moderator: str) -> str:
    return f"regraded {regrade.label} at moderation by {moderator}"

"""The everyday lists: the audit work, the complaints (what is overdue: ``services.overdue``).

They are read with plain SQL through ``store.lite.Rows`` (no SQLAlchemy, no table models), so
``audits list`` and ``complaints list`` answer in about the time Python takes
to start; the same SQL runs on PostgreSQL through ``Store``. Each query reads the rows it lists
in one statement, whatever the store's size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from qaudit.domain.grades import Grade
from qaudit.domain.workdays import WorkingCalendar, month_bounds
from qaudit.services.context import Context
from qaudit.store.lite import Rows, day, listed


def calendar(ctx: Context) -> WorkingCalendar:
    """Working days as the policy has them: England's, less its closure days."""
    from qaudit.bank_holidays import england

    return WorkingCalendar(ctx.policy.calendar.closure_days, bank_holidays=england)


def head_of_service(team_id: str) -> str:
    """SQL for the name of the head of service of the team ``team_id`` (an SQL expression)
    holds, or NULL when none is known: everything overdue escalates to them."""
    return (
        "(SELECT hs.name FROM staff hs JOIN heads_of_service h ON h.staff_id = hs.id"
        f" WHERE h.team_id = {team_id})"
    )


@dataclass(frozen=True)
class AuditLine:
    audit_id: int | None
    case_ref: str
    team: str | None
    auditor: str | None
    kind: str
    due: date | None
    audit_date: date | None
    grade: str | None
    status: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "audit_id": self.audit_id,
            "case_ref": self.case_ref,
            "team": self.team,
            "auditor": self.auditor,
            "kind": self.kind,
            "due": self.due,
            "audit_date": self.audit_date,
            "grade": self.grade,
            "status": self.status,
        }


def list_audits(
    rows: Rows,
    ctx: Context,
    *,
    month: str | None = None,
    auditor: str | None = None,
    team: str | None = None,
    grade: Grade | None = None,
    status: str | None = None,
) -> list[AuditLine]:
    """The audit work: sample items still to grade (due / overdue) and recorded audits
    (graded / moderation-due / moderated), filtered."""
    bounds = month_bounds(month) if month else None
    lines: list[AuditLine] = []
    where: list[str] = []
    params: dict[str, Any] = {}
    if bounds:
        where.append("a.audit_date BETWEEN :first AND :last")
        params.update(first=bounds[0], last=bounds[1])
    if auditor:
        where.append("p.name = :auditor")
        params["auditor"] = auditor
    if team:
        where.append("t.name = :team")
        params["team"] = team
    if grade is not None:  # the grade after moderation
        where.append("COALESCE(m.regrade, a.grade) = :grade")
        params["grade"] = grade.slug
    done = rows.all(
        "SELECT a.id, c.case_ref, t.name, p.name, a.kind, a.audit_date, a.grade,"
        " m.id, m.completed_on, m.regrade"
        " FROM audits a JOIN cases c ON c.id = a.case_id"
        " LEFT JOIN teams t ON t.id = c.team_id JOIN staff p ON p.id = a.auditor_id"
        " LEFT JOIN moderations m ON m.audit_id = a.id"
        + (" WHERE " + " AND ".join(where) if where else ""),
        params,
    )
    for audit_id, ref, team_name, who, kind, when, graded, mod_id, completed, regrade in done:
        final = regrade or graded
        st = "graded" if mod_id is None else "moderated" if completed else "moderation-due"
        lines.append(AuditLine(audit_id, ref, team_name, who, kind, None, day(when), final, st))
    if grade is None:
        where, params = ["i.status = 'open'"], {}  # the same filters, on what is to do
        if month:
            where.append("s.month = :month")
            params["month"] = month
        if auditor:
            where.append("p.name = :auditor")
            params["auditor"] = auditor
        if team:
            where.append("t.name = :team")
            params["team"] = team
        todo = rows.all(
            "SELECT c.case_ref, t.name, p.name, i.due FROM sample_items i"
            " JOIN samples s ON s.id = i.sample_id JOIN cases c ON c.id = i.case_id"
            " LEFT JOIN teams t ON t.id = c.team_id LEFT JOIN staff p ON p.id = i.auditor_id"
            " WHERE " + " AND ".join(where),
            params,
        )
        for ref, team_name, who, due in todo:
            due = day(due)
            st = "overdue" if due < ctx.today else "due"
            lines.append(AuditLine(None, ref, team_name, who, "sample", due, None, None, st))
    if status is not None:
        lines = [line for line in lines if line.status == status]
    lines.sort(key=lambda a: (a.audit_date or a.due or date.min, a.case_ref))
    return lines


# -- complaints -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ComplaintView:
    ref: str
    procedure: str
    stage: int
    received: date  # the current stage's receipt (or request)
    response_due: date
    status: str  # open, responded (resolved, letter outstanding), answered, closed
    case_ref: str | None
    team: str | None
    relationship: str
    themes: tuple[str, ...]
    summary: str | None
    extension_days: int
    responded_on: date | None
    letter_on: date | None
    escalated_on: date | None
    escalated_to: str | None
    outcome: str | None
    closed_on: date | None
    first_received: date

    def as_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "stage": self.stage,
            "received": self.received,
            "response_due": self.response_due,
            "status": self.status,
            "procedure": self.procedure,
            "case_ref": self.case_ref,
            "team": self.team,
            "relationship": self.relationship,
            "themes": list(self.themes),
            "extension_days": self.extension_days,
            "responded_on": self.responded_on,
            "letter_on": self.letter_on,
            "escalated_on": self.escalated_on,
            "escalated_to": self.escalated_to,
            "outcome": self.outcome,
            "closed_on": self.closed_on,
        }


def complaint_status(
    closed_on: date | None, letter_on: date | None, responded_on: date | None
) -> str:
    """open, responded (resolved, letter outstanding), answered (the letter sent), closed."""
    if closed_on is not None:
        return "closed"
    if letter_on is not None:
        return "answered"
    if responded_on is not None:
        return "responded"
    return "open"


# The columns complaint_view reads, in its order: the complaint, its current stage, its case's
# ref and team, and who it was escalated to.
COMPLAINT_COLUMNS = (
    "k.ref, k.procedure, s.stage, s.received, s.due, c.case_ref, t.name, k.relationship,"
    " k.themes, k.summary, s.extension_days, s.responded_on, s.letter_on, s.escalated_on,"
    " e.name, k.outcome, k.closed_on, k.received"
)
COMPLAINT_FROM = (
    " FROM complaints k"
    " JOIN complaint_stages s ON s.complaint_id = k.id AND s.stage = k.stage"
    " LEFT JOIN cases c ON c.id = k.case_id LEFT JOIN teams t ON t.id = c.team_id"
    " LEFT JOIN staff e ON e.id = s.escalated_to_id"
)


def complaint_view(row: Sequence[Any]) -> ComplaintView:
    """A complaint as people see it, from a row of COMPLAINT_COLUMNS."""
    ref, procedure, stage, received, due, case_ref, team, relationship, themes = row[:9]
    summary, extension, responded, letter, escalated_on, escalated_to = row[9:15]
    outcome, closed, first = row[15:]
    responded, letter, closed = day(responded), day(letter), day(closed)
    return ComplaintView(
        ref=ref,
        procedure=procedure,
        stage=stage,
        received=day(received),
        response_due=day(due),
        status=complaint_status(closed, letter, responded),
        case_ref=case_ref,
        team=team,
        relationship=relationship,
        themes=tuple(listed(themes)),
        summary=summary,
        extension_days=extension,
        responded_on=responded,
        letter_on=letter,
        escalated_on=day(escalated_on),
        escalated_to=escalated_to,
        outcome=outcome,
        closed_on=closed,
        first_received=day(first),
    )


def list_complaints(rows: Rows, *, open_only: bool = False) -> list[ComplaintView]:
    """Every complaint, newest first; ``open_only``: those not closed. One query."""
    found = rows.all(
        "SELECT "
        + COMPLAINT_COLUMNS
        + COMPLAINT_FROM
        + (" WHERE k.closed_on IS NULL" if open_only else "")
        + " ORDER BY k.received DESC, k.ref DESC"
    )
    return [complaint_view(row) for row in found]

"""Recording an audit: the grade, and what it completes (a sample item or a re-audit).

Written in plain SQL on a ``store.lite.WriteTx``, so ``qaudit grade`` on a SQLite store runs
through sqlite3 alone (no SQLAlchemy, no table models: it answers in about the time Python
takes to start), and on PostgreSQL through ``Store.writing()``; one implementation for both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from qaudit.domain.actions import ActionInput
from qaudit.domain.audit_cycle import (
    GRADING_ROLES,
    CaseRecord,
    Completes,
    GradedBefore,
    OpenItem,
    PendingReaudit,
    Person,
    check_audit_date,
    check_case_open,
    check_grader,
    followup,
    reaudit_change,
    what_it_completes,
)
from qaudit.domain.grades import Grade
from qaudit.errors import NotFoundError
from qaudit.services.actions import (
    ActionSet,
    ActionView,
    actions_of_audit,
    check_actions,
    record_actions_in,
)
from qaudit.services.context import Context
from qaudit.services.rules import ruled
from qaudit.services.worklists import calendar
from qaudit.store.lite import Event, Json, Rows, WriteTx, day

__all__ = ["GRADING_ROLES", "AuditDue", "GradeInput", "GradeResult", "audit_due", "record_grade_in"]


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
    actions: list[ActionInput] = field(default_factory=list)
    # The sample item or re-audit this audit completes, when the caller knows which (a
    # workbook's sheet names it): ("sample", item id) or ("reaudit", re-audit id). None: the
    # work the case has due, as the rules choose it.
    work: tuple[Literal["sample", "reaudit"], int] | None = None


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
    actions: tuple[ActionSet, ...] = ()
    first_actions: tuple[ActionView, ...] = ()  # a re-audit's: the first audit's actions

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
        if self.actions:
            out["actions"] = [action.as_dict() for action in self.actions]
        if self.first_actions:
            out["first_audit_actions"] = [action.as_dict() for action in self.first_actions]
        return out


@dataclass(frozen=True)
class AuditDue:
    """What an audit of a case would complete, checked before anyone answers a question."""

    case_ref: str
    kind: str  # "sample", "reaudit" or "adhoc"
    month: str | None  # the sample's month, for a sample item
    due: date | None  # the sample item's or re-audit's due date
    allocated: str | None  # the auditor the sample item or re-audit is allocated to
    may_audit: tuple[str, ...]  # staff who may record it, by name
    first_actions: tuple[ActionView, ...] = ()  # a re-audit's: the first audit's actions

    @property
    def completes(self) -> str:
        if self.kind == "sample":
            return f"the {self.month} sample"
        return "the re-audit" if self.kind == "reaudit" else "an ad hoc audit"


@dataclass(frozen=True)
class _Case:
    id: int
    record: CaseRecord

    @property
    def ref(self) -> str:
        return self.record.ref

    @property
    def team_id(self) -> int | None:
        return self.record.team_id


@dataclass(frozen=True)
class _Work:
    completes: Completes
    due: date | None = None  # the sample item's or re-audit's
    allocated: str | None = None  # the auditor it is allocated to
    first_audit: int | None = None  # a re-audit's: the first audit, whose actions it shows


def _open_case(rows: Rows, case_ref: str, audit_date: date) -> _Case:
    found = rows.all(
        "SELECT id, case_ref, team_id, open_date, close_date FROM cases WHERE case_ref = :ref",
        {"ref": case_ref},
    )
    if not found:
        raise NotFoundError(f"no case '{case_ref}' in the store (see qaudit cases list)")
    case_id, ref, team_id, opened, closed = found[0]
    case = _Case(case_id, CaseRecord(ref, team_id, day(opened), day(closed)))
    ruled(check_case_open, case.record, audit_date)
    return case


def _grader(rows: Rows, name: str, case: _Case) -> tuple[int, str]:
    """The staff member who may record an audit of ``case``: id and name."""
    people = rows.all(
        "SELECT id, name, role, team_id FROM staff WHERE name = :name", {"name": name}
    )
    if not people:
        raise NotFoundError(f"no staff member named '{name}' (see qaudit staff list)")
    person_id, person_name, role, team_id = people[0]
    ruled(check_grader, Person(person_name, role, team_id), case.record)
    return person_id, person_name


def _work_due(
    rows: Rows,
    case: _Case,
    audit_date: date,
    adhoc: bool,
    work: tuple[Literal["sample", "reaudit"], int] | None = None,
) -> _Work:
    """What an audit of the case on ``audit_date`` completes (domain.audit_cycle); with
    ``work``, only that sample item or re-audit is considered (it must be the case's, and
    still open)."""
    only = {"sample": "", "reaudit": ""}
    params: dict[str, Any] = {"case": case.id, "on": audit_date}
    if work is not None:
        kind, work_id = work
        other = "reaudit" if kind == "sample" else "sample"
        only[kind] = " AND {alias}.id = :work"
        only[other] = " AND 1 = 0"  # the other kind is not this audit's to complete
        params["work"] = work_id
    items = rows.all(
        "SELECT i.id, s.month, i.due, st.name FROM sample_items i"
        " JOIN samples s ON s.id = i.sample_id LEFT JOIN staff st ON st.id = i.auditor_id"
        " WHERE i.case_id = :case AND i.status = 'open'"
        + only["sample"].format(alias="i")
        + " ORDER BY i.id LIMIT 1",
        params,
    )
    # A re-audit is a later audit: grading the case again the same day is not one.
    reaudits = rows.all(
        "SELECT r.id, f.grade, m.regrade, f.audit_date, r.due, st.name, f.id FROM reaudits r"
        " JOIN audits f ON f.id = r.audit_id"
        " LEFT JOIN moderations m ON m.audit_id = f.id"
        " LEFT JOIN staff st ON st.id = r.auditor_id"
        " WHERE r.case_id = :case AND r.status = 'pending' AND f.audit_date < :on"
        + only["reaudit"].format(alias="r")
        + " ORDER BY r.id LIMIT 1",
        params,
    )
    item = OpenItem(items[0][0], items[0][1]) if items else None
    pending = None
    if reaudits:
        reaudit_id, first, regrade, first_date, _, _, _ = reaudits[0]
        pending = PendingReaudit(
            reaudit_id, Grade(first), Grade(regrade) if regrade else None, day(first_date)
        )
    before = None
    if item is None and pending is None and not adhoc:
        done = rows.all(
            "SELECT i.audit_id, s.month, a.audit_date FROM sample_items i"
            " LEFT JOIN samples s ON s.id = i.sample_id LEFT JOIN audits a ON a.id = i.audit_id"
            " WHERE i.case_id = :case AND i.status = 'done' ORDER BY i.id DESC LIMIT 1",
            {"case": case.id},
        )
        if done and done[0][0] is not None:
            before = GradedBefore(done[0][0], done[0][1], day(done[0][2]))
    completes = ruled(
        what_it_completes,
        case.ref,
        audit_date,
        item=item,
        reaudit=pending,
        adhoc=adhoc,
        graded_before=before,
    )
    if completes.item is not None:
        return _Work(completes, day(items[0][2]), items[0][3])
    if completes.reaudit is not None:
        return _Work(completes, day(reaudits[0][4]), reaudits[0][5], reaudits[0][6])
    return _Work(completes)


def audit_due(
    rows: Rows, ctx: Context, *, case_ref: str, audit_date: date, auditor: str | None, adhoc: bool
) -> AuditDue:
    """The checks ``record_grade_in`` makes, made before the audit is asked for: the case is
    open, an audit is due (or ``adhoc``), the auditor (when named) may record it. Also who the
    audit is allocated to and who may record it."""
    ruled(check_audit_date, audit_date, ctx.today)
    case = _open_case(rows, case_ref, audit_date)
    if auditor is not None:
        _grader(rows, auditor, case)
    work = _work_due(rows, case, audit_date, adhoc)
    staff = rows.all(
        "SELECT name, team_id FROM staff WHERE role IN ("
        + ", ".join(f"'{role}'" for role in GRADING_ROLES)
        + ") ORDER BY name"
    )
    may = tuple(name for name, team in staff if team is None or team != case.team_id)
    done = work.completes
    month = done.item.month if done.item is not None else None
    first = _first_actions(rows, work, audit_date)
    return AuditDue(case.ref, done.kind, month, work.due, work.allocated, may, first)


def _first_actions(rows: Rows, work: _Work, on: date) -> tuple[ActionView, ...]:
    """A re-audit's: the first audit's actions, where each stood on ``on``."""
    if work.first_audit is None:
        return ()
    return tuple(actions_of_audit(rows, work.first_audit, on))


def record_grade_in(tx: WriteTx, ctx: Context, entry: GradeInput) -> GradeResult:
    """Record an audit in ``tx``; it completes the case's open sample item or pending
    re-audit (or is an ad hoc audit); an Inadequate grade opens a moderation for the head of
    service and a re-audit. One change-log event."""
    ruled(check_audit_date, entry.audit_date, ctx.today)
    case = _open_case(tx, entry.case_ref, entry.audit_date)
    case_id, case_ref, team_id = case.id, case.ref, case.team_id
    auditor_id, auditor_name = _grader(tx, entry.auditor, case)
    due_work = _work_due(tx, case, entry.audit_date, entry.adhoc, entry.work)
    work = due_work.completes
    first_actions = _first_actions(tx, due_work, entry.audit_date)
    kind = work.kind
    check_actions(tx, entry.actions, entry.audit_date)
    opens = followup(
        entry.grade,
        entry.audit_date,
        calendar(ctx),
        moderation_days=ctx.policy.audit.moderation_working_days,
        reaudit_weeks=ctx.policy.audit.reaudit_weeks,
    )
    views = entry.views_gathered
    if views is None:
        views = bool(entry.family_feedback)
    audit_id = tx.insert(
        "audits",
        {
            "case_id": case_id,
            "auditor_id": auditor_id,
            "audit_date": entry.audit_date,
            "grade": entry.grade.slug,
            "kind": kind,
            "answers": Json(dict(entry.answers) or None),
            "themes": Json(list(entry.themes) or None),
            "strengths": entry.strengths,
            "development": entry.development,
            "views_gathered": views,
            "family_feedback": entry.family_feedback,
            "recorded_at": ctx.recorded_at,
        },
    )
    completes = work.words
    change = None
    if work.item is not None:
        tx.update("sample_items", work.item.item_id, {"status": "done", "audit_id": audit_id})
    elif work.reaudit is not None:
        tx.update(
            "reaudits", work.reaudit.reaudit_id, {"status": "done", "done_audit_id": audit_id}
        )
        change = reaudit_change(work.reaudit, entry.grade)
    moderation_due, reaudit_due = opens.moderation_due, opens.reaudit_due
    owner = None
    if moderation_due is not None:
        heads = tx.all(
            "SELECT s.id, s.name FROM heads_of_service h JOIN staff s ON s.id = h.staff_id"
            " WHERE h.team_id = :team",
            {"team": team_id},
        )
        head_id, owner = heads[0] if heads and team_id is not None else (None, None)
        tx.insert(
            "moderations",
            {
                "audit_id": audit_id,
                "owner_id": head_id,
                "due": moderation_due,
                "moderator_id": None,
                "outcome": None,
                "regrade": None,
                "outcome_on": None,
                "conversation_date": None,
                "notes": None,
                "completed_on": None,
            },
        )
        tx.insert(
            "reaudits",
            {
                "case_id": case_id,
                "audit_id": audit_id,
                "auditor_id": auditor_id,
                "due": reaudit_due,
                "status": "pending",
                "done_audit_id": None,
                "note": None,
            },
        )
    actions = record_actions_in(
        tx, ctx, case_id=case_id, audit_id=audit_id, set_on=entry.audit_date, actions=entry.actions
    )
    tx.log(
        Event(
            actor=ctx.user,
            action="audit.grade",
            entity="audit",
            entity_ref=str(audit_id),
            recorded_at=ctx.recorded_at,
            as_of=ctx.now,
            after={
                "case_ref": case_ref,
                "grade": entry.grade.slug,
                "audit_date": entry.audit_date,
                "auditor": auditor_name,
                "kind": kind,
                "themes": entry.themes,
            },
            detail={
                "completes": completes,
                "moderation_due": moderation_due,
                "reaudit_due": reaudit_due,
                "change": change,
                **({"actions": [a.as_dict() for a in actions]} if actions else {}),
            },
        )
    )
    return GradeResult(
        audit_id=audit_id,
        case_ref=case_ref,
        grade=entry.grade,
        audit_date=entry.audit_date,
        completes=completes,
        moderation_due=moderation_due,
        moderation_owner=owner,
        reaudit_due=reaudit_due,
        change=change,
        actions=tuple(actions),
        first_actions=first_actions,
    )

"""What is past its due date, of every kind, for ``qaudit overdue`` (and the demo), and what
falls due by a day for ``qaudit notify``'s reminders: one query per kind, in plain SQL
through ``store.lite.Rows`` (no SQLAlchemy, no table models), so it answers in about the
time Python takes to start; the same SQL runs on PostgreSQL through
``Store``. Each kind's query reads the rows it lists in one statement, whatever the store's
size. The kinds, and the order they are listed in, are ``domain.overdue``'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from qaudit.domain.dates import LONDON
from qaudit.domain.overdue import OVERDUE_KINDS
from qaudit.domain.workdays import WorkingCalendar
from qaudit.services.context import Context
from qaudit.services.worklists import calendar, head_of_service
from qaudit.store.lite import Rows, day, moment

__all__ = ["OVERDUE_KINDS", "OverdueItem", "list_overdue", "overdue_order"]


# -- overdue --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OverdueItem:
    kind: str
    ref: str
    case_ref: str
    due: date  # a datetime for deadlines in clock hours (survey reviews)
    days_overdue: int
    owner: str | None
    escalate_to: str | None
    detail: str
    urgent: bool = False  # listed before everything else (a survey response flagging concern)
    # What a reminder needs beyond the list (never in as_dict): the record's own identity
    # (``ref`` is the sample's month for an audit), the escalation step it is at (a
    # complaint's stage, else its due date), and whether it was escalated by hand already.
    key: str = ""
    stage: str = ""
    escalated: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "ref": self.ref,
            "case_ref": self.case_ref,
            "due": self.due,
            "days_overdue": self.days_overdue,
            "owner": self.owner,
            "escalate_to": self.escalate_to,
            "detail": self.detail,
        }


def list_overdue(
    rows: Rows, ctx: Context, kinds: Sequence[str] = OVERDUE_KINDS, *, due_by: date | None = None
) -> list[OverdueItem]:
    """What is past its due date (a date is met until that day ends), most overdue first,
    from one read transaction; with ``due_by``, also what falls due on or before that day
    (``days_overdue`` 0: the reminders of ``qaudit notify``)."""
    today = ctx.today
    before = max(today, due_by + timedelta(days=1)) if due_by is not None else today
    cal = calendar(ctx)
    leads = rows.all("SELECT name FROM staff WHERE role = 'qa_lead' ORDER BY name LIMIT 1")
    qa_lead = leads[0][0] if leads else None
    items: list[OverdueItem] = []
    if "audit" in kinds:
        items += overdue_audits(rows, today, cal, before)
    if "moderation" in kinds:
        items += overdue_moderations(rows, today, cal, qa_lead, before)
    if "reaudit" in kinds:
        items += overdue_reaudits(rows, today, cal, before)
    if "action" in kinds:
        items += overdue_actions(rows, today, cal, before)
    if "complaint" in kinds:
        items += overdue_complaints(rows, today, cal, qa_lead, before)
    if "survey" in kinds:
        items += overdue_surveys(
            rows, ctx.now, cal, ctx.policy.voice.review_hours, qa_lead, every=due_by is not None
        )
    if "advocacy" in kinds:
        items += overdue_advocacy(
            rows, today, cal, ctx.policy.voice.advocate_working_days_before, before
        )
    items.sort(key=overdue_order)
    return items


def overdue_order(item: OverdueItem) -> tuple[bool, int, date, str, str]:
    """A child's flagged survey concern first, however few days overdue; then the most
    overdue first, the earliest due, by kind and case."""
    return (not item.urgent, -item.days_overdue, _day(item.due), item.kind, item.case_ref)


def _day(due: date) -> date:
    # A datetime is a date too, but the two do not compare: sort by the day.
    return due.date() if isinstance(due, datetime) else due


def _late(
    kind: str,
    ref: str,
    case_ref: str | None,
    due: Any,
    today: date,
    cal: WorkingCalendar,
    owner: str | None,
    escalate_to: str | None,
    detail: str,
    *,
    key: str | None = None,
    stage: str | None = None,
    escalated: bool = False,
) -> OverdueItem:
    """One overdue item due on a day (as stored), its days overdue in working days."""
    on = day(due)
    return OverdueItem(
        kind=kind,
        ref=ref,
        case_ref=case_ref or "",
        due=on,
        days_overdue=cal.working_days_after(on, today),
        owner=owner,
        escalate_to=escalate_to,
        detail=detail,
        key=key or ref,
        stage=stage or on.isoformat(),
        escalated=escalated,
    )


def overdue_audits(
    rows: Rows, today: date, cal: WorkingCalendar, before: date | None = None
) -> list[OverdueItem]:
    """Sample items not graded by their due date (or due before ``before``)."""
    found = rows.all(
        "SELECT s.month, c.case_ref, i.due, a.name, "
        + head_of_service("c.team_id")
        + ", i.id FROM sample_items i JOIN samples s ON s.id = i.sample_id"
        " JOIN cases c ON c.id = i.case_id LEFT JOIN staff a ON a.id = i.auditor_id"
        " WHERE i.status = 'open' AND i.due < :before",
        {"before": before or today},
    )
    return [
        _late("audit", month, ref, due, today, cal, owner, escalate,
              f"sampled in {month}, not graded" + ("" if owner else "; no auditor allocated"),
              key=f"item {item_id}")
        for month, ref, due, owner, escalate, item_id in found
    ]  # fmt: skip


def overdue_moderations(
    rows: Rows,
    today: date,
    cal: WorkingCalendar,
    qa_lead: str | None,
    before: date | None = None,
) -> list[OverdueItem]:
    """Moderations of Inadequate audits not completed by their due date."""
    found = rows.all(
        "SELECT m.audit_id, c.case_ref, m.due, o.name, m.outcome, m.conversation_date"
        " FROM moderations m JOIN audits a ON a.id = m.audit_id"
        " JOIN cases c ON c.id = a.case_id LEFT JOIN staff o ON o.id = m.owner_id"
        " WHERE m.completed_on IS NULL AND m.due < :before",
        {"before": before or today},
    )
    out = []
    for audit_id, ref, due, owner_name, outcome, conversation in found:
        missing = [
            what
            for what, value in (("outcome", outcome), ("reflective conversation", conversation))
            if value is None
        ]
        detail = f"Inadequate audit {audit_id}: no {' or '.join(missing)} recorded"
        out.append(_late("moderation", str(audit_id), ref, due, today, cal, owner_name, qa_lead,
                         detail))  # fmt: skip
    return out


def overdue_reaudits(
    rows: Rows, today: date, cal: WorkingCalendar, before: date | None = None
) -> list[OverdueItem]:
    """Re-audits after an Inadequate audit still pending after their due date."""
    found = rows.all(
        "SELECT r.audit_id, c.case_ref, r.due, a.name, "
        + head_of_service("c.team_id")
        + " FROM reaudits r JOIN cases c ON c.id = r.case_id"
        " LEFT JOIN staff a ON a.id = r.auditor_id"
        " WHERE r.status = 'pending' AND r.due < :before",
        {"before": before or today},
    )
    return [
        _late("reaudit", str(audit_id), ref, due, today, cal, owner, escalate,
              f"re-audit after Inadequate audit {audit_id}")
        for audit_id, ref, due, owner, escalate in found
    ]  # fmt: skip


def overdue_actions(
    rows: Rows, today: date, cal: WorkingCalendar, before: date | None = None
) -> list[OverdueItem]:
    """Actions from audits still open after their due date: the owner's; escalated to the
    head of service of the owner's team, else of the case's team. (Never the action's text:
    it is free text about the case.)"""
    found = rows.all(
        "SELECT x.id, x.audit_id, x.moderation_id, c.case_ref, x.due, o.name, "
        "COALESCE(" + head_of_service("o.team_id") + ", " + head_of_service("c.team_id") + ")"
        " FROM actions x JOIN cases c ON c.id = x.case_id JOIN staff o ON o.id = x.owner_id"
        " WHERE x.status = 'open' AND x.due < :before",
        {"before": before or today},
    )
    return [
        _late("action", str(action_id), ref, due, today, cal, owner, escalate,
              f"action {action_id} from "
              + ("the moderation of " if moderation_id is not None else "")
              + f"audit {audit_id}")
        for action_id, audit_id, moderation_id, ref, due, owner, escalate in found
    ]  # fmt: skip


def overdue_complaints(
    rows: Rows,
    today: date,
    cal: WorkingCalendar,
    qa_lead: str | None,
    before: date | None = None,
) -> list[OverdueItem]:
    """Complaints whose final response letter is not sent by the due date."""
    found = rows.all(
        "SELECT k.ref, c.case_ref, s.due, s.stage, s.responded_on, s.escalated_on, "
        + head_of_service("c.team_id")
        + ", k.logged_by FROM complaints k"
        " JOIN complaint_stages s ON s.complaint_id = k.id AND s.stage = k.stage"
        " LEFT JOIN cases c ON c.id = k.case_id"
        " WHERE k.closed_on IS NULL AND s.letter_on IS NULL AND s.due < :before",
        {"before": before or today},
    )
    out = []
    for ref, case_ref, due, number, responded, escalated, head_name, logged_by in found:
        state = (
            f"resolved, letter outstanding (responded {day(responded)})"
            if responded
            else "no response"
        )
        detail = f"stage {number}: {state}" + (f"; escalated {day(escalated)}" if escalated else "")
        # The owner is the complaints officer who logged it.
        out.append(_late("complaint", ref, case_ref, due, today, cal, logged_by,
                         head_name or qa_lead, detail, stage=f"stage {number}",
                         escalated=escalated is not None))  # fmt: skip
    return out


def overdue_surveys(
    rows: Rows,
    now: datetime,
    cal: WorkingCalendar,
    review_hours: int,
    qa_lead: str | None,
    *,
    every: bool = False,
) -> list[OverdueItem]:
    """Responses not reviewed within ``review_hours`` clock hours of receipt; a flagged
    concern first among equals. ``due`` is the deadline, on the London clock. ``every``:
    those not yet due too (every response waiting for its review)."""
    from qaudit.importers.survey_csv import SURVEY_LABELS

    hours = timedelta(hours=review_hours)
    # Elapsed hours are UTC arithmetic: a night the clocks change is still 24 hours.
    found = rows.all(
        "SELECT response_id, survey, age_band, received_at, concern FROM survey_responses"
        " WHERE reviewed_at IS NULL AND received_at < :cutoff"
        " ORDER BY received_at, response_id",
        {"cutoff": now.astimezone(UTC) - (timedelta(0) if every else hours)},
    )
    today = now.astimezone(LONDON).date()
    out = []
    for response_id, survey, band, received_at, concern in found:
        due = (moment(received_at) + hours).astimezone(LONDON)
        state = "flagged concern, not reviewed" if concern else "not reviewed"
        out.append(
            OverdueItem(
                kind="survey",
                ref=response_id,
                case_ref="",  # responses are anonymous
                due=due,
                days_overdue=cal.working_days_after(due.date(), today),
                owner=None,
                escalate_to=qa_lead,
                detail=f"{SURVEY_LABELS.get(survey, survey)} {band}: {state}",
                urgent=bool(concern),
                key=response_id,
                stage=due.date().isoformat(),
            )
        )
    return out


def overdue_advocacy(
    rows: Rows,
    today: date,
    cal: WorkingCalendar,
    days_before: int = 2,
    before: date | None = None,
) -> list[OverdueItem]:
    """Requests with no advocate provided, due ``days_before`` working days before the
    conference: overdue from the day after, while the conference may still be ahead."""
    found = rows.all(
        "SELECT v.id, c.case_ref, v.conference_date, v.recorded_by, "
        + head_of_service("c.team_id")
        + " FROM advocacy v JOIN cases c ON c.id = v.case_id"
        " WHERE v.requested = :yes AND v.provided_on IS NULL"
        " ORDER BY v.conference_date, v.id",
        {"yes": True},
    )
    out = []
    for row_id, ref, conference, recorded_by, escalate in found:
        on = day(conference)
        due = cal.working_days_before(on, days_before)
        if due >= (before or today):
            continue  # a date is met until it ends
        if on >= today:
            state = f"conference on {on} still ahead, no advocate yet"
        else:
            state = f"advocate requested for the conference on {on}, not provided"
        out.append(_late("advocacy", str(row_id), ref, due, today, cal, recorded_by, escalate,
                         state))  # fmt: skip
    return out


# -- the audit work -------------------------------------------------------------------------

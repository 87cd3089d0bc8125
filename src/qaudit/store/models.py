"""The tables of the case store (SQLModel). Migrations in ``store/migrations`` create them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    MetaData,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

# Named constraints let Alembic's batch mode alter SQLite tables reliably.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata = MetaData(naming_convention=NAMING_CONVENTION)

ROLES: tuple[str, ...] = ("auditor", "team_manager", "head_of_service", "qa_lead", "social_worker")
CATEGORIES: tuple[str, ...] = ("CLA", "CP", "CIN", "CL")


class Team(SQLModel, table=True):
    __tablename__ = "teams"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)


class Staff(SQLModel, table=True):
    __tablename__ = "staff"
    __table_args__ = (
        CheckConstraint(
            "role IN ('auditor', 'team_manager', 'head_of_service', 'qa_lead', 'social_worker')",
            name="role",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    role: str
    team_id: int | None = Field(default=None, foreign_key="teams.id")
    email: str | None = None  # where reminders go (qaudit notify); none: they are not sent


class HeadOfService(SQLModel, table=True):
    """Which head of service answers for a team (one per team; one may head several)."""

    __tablename__ = "heads_of_service"

    team_id: int = Field(primary_key=True, foreign_key="teams.id")
    staff_id: int = Field(foreign_key="staff.id", index=True)


class Case(SQLModel, table=True):
    __tablename__ = "cases"
    __table_args__ = (CheckConstraint("category IN ('CLA', 'CP', 'CIN', 'CL')", name="category"),)

    id: int | None = Field(default=None, primary_key=True)
    # A unique index rather than a UNIQUE constraint: a first bulk import may drop it and build
    # it once at the end, which SQLite cannot do with a constraint.
    case_ref: str = Field(unique=True, index=True)
    category: str
    team_id: int | None = Field(default=None, foreign_key="teams.id")
    worker_id: int | None = Field(default=None, foreign_key="staff.id")
    open_date: date | None = None
    close_date: date | None = None
    date_of_birth: date | None = None


GRADES: tuple[str, ...] = ("outstanding", "good", "requires-improvement", "inadequate")
_GRADE_CHECK = "IN ('outstanding', 'good', 'requires-improvement', 'inadequate')"


class Sample(SQLModel, table=True):
    """A month's audit sample: one per month, reproducible from its seed."""

    __tablename__ = "samples"

    id: int | None = Field(default=None, primary_key=True)
    month: str = Field(unique=True)  # YYYY-MM
    seed: int = Field(sa_type=BigInteger)
    size: int
    stratify: str | None = None
    drawn_at: datetime
    drawn_by: str


class Audit(SQLModel, table=True):
    """One graded audit of a case: from a sample, a re-audit, or ad hoc."""

    __tablename__ = "audits"
    __table_args__ = (
        CheckConstraint(f"grade {_GRADE_CHECK}", name="grade"),
        CheckConstraint("kind IN ('sample', 'reaudit', 'adhoc')", name="kind"),
        Index("ix_audits_case_id_audit_date", "case_id", "audit_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id")
    auditor_id: int = Field(foreign_key="staff.id", index=True)
    audit_date: date = Field(index=True)
    grade: str
    kind: str
    answers: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    themes: list[str] | None = Field(default=None, sa_column=Column(JSON))
    strengths: str | None = None
    development: str | None = None
    views_gathered: bool = False
    family_feedback: str | None = None
    recorded_at: datetime


class SampleItem(SQLModel, table=True):
    """A case drawn into a month's sample, its auditor, due date and (once graded) audit."""

    __tablename__ = "sample_items"
    __table_args__ = (
        UniqueConstraint("sample_id", "case_id"),
        CheckConstraint("status IN ('open', 'done', 'replaced')", name="status"),
        Index("ix_sample_items_status_due", "status", "due"),
        Index("ix_sample_items_case_id_status", "case_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    sample_id: int = Field(foreign_key="samples.id")
    case_id: int = Field(foreign_key="cases.id")
    position: int
    auditor_id: int | None = Field(default=None, foreign_key="staff.id")
    due: date
    status: str = "open"
    audit_id: int | None = Field(default=None, foreign_key="audits.id")
    # The step of the draw that picked it (None: drawn before qaudit kept its draws, schema 0008).
    draw_id: int | None = Field(default=None, foreign_key="sample_draws.id")


class SampleDraw(SQLModel, table=True):
    """One step of a month's draw, as its sampling certificate needs it: the first draw, a
    redraw, a top-up or one replacement. It keeps which cases were eligible (their ids, by
    stratum), so ``qaudit sample --verify`` can draw again and compare every pick."""

    __tablename__ = "sample_draws"
    __table_args__ = (
        CheckConstraint("kind IN ('draw', 'redraw', 'top-up', 'replace')", name="kind"),
        CheckConstraint("seed_source IN ('generated', 'given', 'sample')", name="seed_source"),
    )

    id: int | None = Field(default=None, primary_key=True)
    sample_id: int = Field(foreign_key="samples.id", index=True)
    kind: str
    seed: int = Field(sa_type=BigInteger)
    seed_source: str  # generated (from the OS's randomness), given (--seed), sample (the month's)
    method: str  # domain.sampling.DRAW_METHOD, and its version
    method_version: int
    need: int  # how many the step asked for
    stratify: str | None = None
    # [[stratum, eligible cases, quota], ...] in stratum order ("all" when not stratified)
    strata: list[Any] = Field(sa_column=Column(JSON, nullable=False))
    # The eligible cases' ids: base64 of zlib of little-endian int64s, stratum by stratum (in
    # the order of ``strata``), ascending within each.
    eligible_ids: str = Field(sa_type=Text)
    eligible_sha256: str  # SHA-256 of the eligible case refs in ref order, one a line
    previews: int = 0  # dry runs of this month since the step before (seed shopping shows)
    replaced_case_id: int | None = Field(default=None, foreign_key="cases.id")
    reason: str | None = None  # why a case was replaced
    drawn_at: datetime
    drawn_by: str


class Moderation(SQLModel, table=True):
    """The head of service's moderation of an Inadequate audit, with the reflective
    conversation; complete when both the outcome and the conversation are recorded."""

    __tablename__ = "moderations"
    __table_args__ = (
        CheckConstraint("outcome IS NULL OR outcome IN ('agreed', 'regraded')", name="outcome"),
        CheckConstraint(f"regrade IS NULL OR regrade {_GRADE_CHECK}", name="regrade"),
        Index("ix_moderations_completed_on_due", "completed_on", "due"),
    )

    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="audits.id", unique=True)
    owner_id: int | None = Field(default=None, foreign_key="staff.id")
    due: date
    moderator_id: int | None = Field(default=None, foreign_key="staff.id")
    outcome: str | None = None
    regrade: str | None = None
    outcome_on: date | None = None
    conversation_date: date | None = None
    notes: str | None = None
    completed_on: date | None = None


class Reaudit(SQLModel, table=True):
    """The re-audit an Inadequate audit calls for, weeks later."""

    __tablename__ = "reaudits"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'done', 'cancelled')", name="status"),
        Index("ix_reaudits_status_due", "status", "due"),
        Index("ix_reaudits_case_id_status", "case_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id")
    audit_id: int = Field(foreign_key="audits.id", unique=True)
    auditor_id: int | None = Field(default=None, foreign_key="staff.id")
    due: date
    status: str = "pending"
    done_audit_id: int | None = Field(default=None, foreign_key="audits.id")
    note: str | None = None


class Action(SQLModel, table=True):
    """Something an audit (or its moderation) asks someone to do about a case: what, who owns
    it, by when; open until marked done. Reassigning keeps the row and logs who had it before."""

    __tablename__ = "actions"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'done')", name="status"),
        CheckConstraint("done_on IS NULL OR status = 'done'", name="done_on"),
        Index("ix_actions_status_due", "status", "due"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    audit_id: int = Field(foreign_key="audits.id", index=True)  # the audit it follows from
    moderation_id: int | None = Field(default=None, foreign_key="moderations.id")  # set there
    text: str
    owner_id: int = Field(foreign_key="staff.id", index=True)
    due: date
    status: str = "open"
    set_on: date  # the audit's (or moderation's) date
    set_by: str
    done_on: date | None = None
    done_by: str | None = None
    recorded_at: datetime


class FormExport(SQLModel, table=True):
    """One auditor's audit workbook as ``qaudit forms export`` wrote it: its reference (also in
    the workbook's hidden sheet), the month, and each sheet's sample item or re-audit with the
    checksum of its locked cells, so a returned workbook is matched to what was sent."""

    __tablename__ = "form_exports"

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(unique=True)  # random, in the workbook
    month: str = Field(index=True)
    auditor_id: int = Field(foreign_key="staff.id")
    # [{"sheet": ..., "case_ref": ..., "kind": "sample"|"reaudit", "item_id": ..., "checksum": ...}]
    sheets: list[Any] = Field(sa_column=Column(JSON, nullable=False))
    exported_at: datetime
    exported_by: str


class Notification(SQLModel, table=True):
    """One reminder email the relay accepted: to whom, when, what the relay replied. Written
    after the relay's reply, never before, so nothing is recorded as sent that was not."""

    __tablename__ = "notifications"
    __table_args__ = (CheckConstraint("notice IN ('digest', 'urgent')", name="notice"),)

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(unique=True)  # the Message-ID header
    staff_id: int = Field(foreign_key="staff.id", index=True)
    address: str
    notice: str  # domain.notify.NOTICE_KINDS
    subject: str
    sent_at: datetime
    sent_on: date  # the London day: reminders are once a day
    sent_by: str
    relay: str  # host:port
    reply: str  # the relay's reply to the message ("250 2.0.0 Ok: queued as ...")


class NotificationItem(SQLModel, table=True):
    """One item a message named: its kind and reference, the section it was in and the
    escalation stage, never its free text."""

    __tablename__ = "notification_items"
    __table_args__ = (
        CheckConstraint("section IN ('overdue', 'due', 'escalated', 'urgent')", name="section"),
        Index("ix_notification_items_staff_kind_ref", "staff_id", "kind", "ref"),
    )

    id: int | None = Field(default=None, primary_key=True)
    notification_id: int = Field(foreign_key="notifications.id", index=True)
    staff_id: int = Field(foreign_key="staff.id")
    kind: str  # domain.overdue.OVERDUE_KINDS
    ref: str
    case_ref: str | None = None
    section: str  # domain.notify.SECTIONS
    stage: str
    due: date
    days_overdue: int
    sent_on: date


class Complaint(SQLModel, table=True):
    """A complaint about children's social care; its stages carry the deadlines."""

    __tablename__ = "complaints"
    __table_args__ = (
        CheckConstraint("procedure IN ('statutory', 'corporate')", name="procedure"),
        CheckConstraint(
            "relationship IN ('parent', 'child', 'carer', 'other')", name="relationship"
        ),
        CheckConstraint(
            "outcome IS NULL OR outcome IN ('upheld', 'partly-upheld', 'not-upheld', 'withdrawn')",
            name="outcome",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(unique=True)  # C-2026-0042
    procedure: str
    case_id: int | None = Field(default=None, foreign_key="cases.id", index=True)
    relationship: str
    summary: str | None = None
    themes: list[str] | None = Field(default=None, sa_column=Column(JSON))
    received: date = Field(index=True)
    stage: int = 1  # the current stage
    outcome: str | None = None
    closed_on: date | None = None
    logged_at: datetime
    logged_by: str  # the complaints officer: owns the complaint until it is answered


class ComplaintStage(SQLModel, table=True):
    """One stage of a complaint: received, due, responded, the final response letter."""

    __tablename__ = "complaint_stages"
    __table_args__ = (
        UniqueConstraint("complaint_id", "stage"),
        CheckConstraint("stage IN (1, 2, 3)", name="stage"),
        Index("ix_complaint_stages_letter_on_due", "letter_on", "due"),
    )

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaints.id")
    stage: int
    received: date = Field(index=True)
    due: date
    extension_days: int = 0
    responded_on: date | None = None
    letter_on: date | None = None
    escalated_on: date | None = None
    escalated_to_id: int | None = Field(default=None, foreign_key="staff.id")
    late_reason: str | None = None


class ComplaintExtension(SQLModel, table=True):
    """One extension of a stage's timescale: how many working days, when it was recorded, and
    whether it was agreed after the response was already due (late, with the reason)."""

    __tablename__ = "complaint_extensions"

    id: int | None = Field(default=None, primary_key=True)
    stage_id: int = Field(foreign_key="complaint_stages.id", index=True)
    days: int
    agreed_on: date
    due_before: date  # the stage's due date when the extension was recorded
    late: bool = False  # agreed after due_before
    reason: str | None = None  # required when late
    recorded_by: str
    recorded_at: datetime


class SurveyResponse(SQLModel, table=True):
    """An anonymous Bright Spots response: no child id is stored."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        CheckConstraint(
            "survey IN ('your-life-your-care', 'your-life-beyond-care')", name="survey"
        ),
        CheckConstraint("age_band IN ('4-7', '8-11', '11-18', '16-25')", name="age_band"),
        Index("ix_survey_responses_reviewed_at_received_at", "reviewed_at", "received_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    response_id: str = Field(unique=True)
    survey: str
    age_band: str
    received_at: datetime
    concern: bool = False
    comment: str | None = None
    reviewed_at: datetime | None = None
    reviewed_by: str | None = None
    action: str | None = None
    imported_at: datetime


class SurveyCohort(SQLModel, table=True):
    """How many children were invited to a survey, by age band, for a period."""

    __tablename__ = "survey_cohorts"
    __table_args__ = (UniqueConstraint("survey", "age_band", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    survey: str
    age_band: str
    period: str  # the period's label, e.g. 2026/27-Q3
    start: date
    end: date
    invited: int


class Advocacy(SQLModel, table=True):
    """A child protection conference: was the child told of advocacy, did they ask, was an
    advocate provided (and when)."""

    __tablename__ = "advocacy"
    __table_args__ = (
        Index(
            "ix_advocacy_requested_provided_on_conference_date",
            "requested",
            "provided_on",
            "conference_date",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    conference_date: date = Field(index=True)
    offered: bool
    requested: bool
    provided_on: date | None = None
    recorded_by: str
    recorded_at: datetime


class ScrutinySession(SQLModel, table=True):
    """A session of the elected members' scrutiny committee."""

    __tablename__ = "scrutiny_sessions"

    id: int | None = Field(default=None, primary_key=True)
    held_on: date = Field(index=True)
    committee: str
    recorded_at: datetime


class ScrutinyResolution(SQLModel, table=True):
    """What members resolved, and what the service did about it."""

    __tablename__ = "scrutiny_resolutions"
    __table_args__ = (CheckConstraint("status IN ('open', 'done')", name="status"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="scrutiny_sessions.id", index=True)
    text: str
    status: str = "open"
    note: str | None = None
    updated_on: date | None = None


class ChangeLog(SQLModel, table=True):
    """Append-only: triggers refuse UPDATE and DELETE (see the first migration)."""

    __tablename__ = "change_log"

    id: int | None = Field(default=None, primary_key=True)
    recorded_at: datetime  # the real time of the change, UTC
    as_of: datetime  # the moment the command treated as now (--today), UTC
    actor: str
    action: str = Field(index=True)
    entity: str
    entity_ref: str | None = Field(default=None, index=True)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    detail: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    # The tamper-evident chain (store.changelog.event_hash): each event carries the hash of
    # the one before and its own.
    prev_hash: str | None = None
    hash: str | None = None
    # What every other table held before and after the event, {table: [records, newest id]}:
    # a record added or removed without an event leaves a gap (store.changelog.table_extents).
    row_counts: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    # SHA-256 over the row digests this event wrote (RowDigest, in order); NULL for an event
    # that wrote none, and for events from before schema 0007.
    rows_digest: str | None = None


class RowDigest(SQLModel, table=True):
    """What an event's rows held after it: a block of up to 200 rows of one table, their ids
    packed (int64, little-endian) and a 16-byte keyed BLAKE2b digest of each row's stored values
    (store.digests), all-zero for a row the event removed. Append-only, bound to its event by
    the event's ``rows_digest``."""

    __tablename__ = "row_digests"
    __table_args__ = (Index("ix_row_digests_table_name_first_id", "table_name", "first_id"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(index=True)
    table_name: str
    first_id: int = Field(sa_type=BigInteger)
    last_id: int = Field(sa_type=BigInteger)
    ids: bytes
    key_id: int
    digests: bytes


class DigestKey(SQLModel, table=True):
    """The key of one block of row digests. Erasing a case deletes the keys of the blocks that
    held its rows' earlier digests, so no one can confirm a guessed erased value by hashing it."""

    __tablename__ = "digest_keys"

    id: int | None = Field(default=None, primary_key=True)
    key: bytes

"""The voice of the child and family: Bright Spots responses and cohorts, advocacy at child
protection conferences, member scrutiny.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scrutiny_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("committee", sa.String(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scrutiny_sessions")),
    )
    with op.batch_alter_table("scrutiny_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scrutiny_sessions_held_on"), ["held_on"], unique=False)

    op.create_table(
        "survey_cohorts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey", sa.String(), nullable=False),
        sa.Column("age_band", sa.String(), nullable=False),
        sa.Column("period", sa.String(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("invited", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_cohorts")),
        sa.UniqueConstraint(
            "survey", "age_band", "period", name=op.f("uq_survey_cohorts_survey_age_band_period")
        ),
    )
    op.create_table(
        "survey_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.String(), nullable=False),
        sa.Column("survey", sa.String(), nullable=False),
        sa.Column("age_band", sa.String(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("concern", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.String(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by", sa.String(), nullable=True),
        sa.Column("action", sa.String(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "age_band IN ('4-7', '8-11', '11-18', '16-25')",
            name=op.f("ck_survey_responses_age_band"),
        ),
        sa.CheckConstraint(
            "survey IN ('your-life-your-care', 'your-life-beyond-care')",
            name=op.f("ck_survey_responses_survey"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_responses")),
        sa.UniqueConstraint("response_id", name=op.f("uq_survey_responses_response_id")),
    )
    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.create_index(
            "ix_survey_responses_reviewed_at_received_at",
            ["reviewed_at", "received_at"],
            unique=False,
        )

    op.create_table(
        "scrutiny_resolutions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("note", sa.String(), nullable=True),
        sa.Column("updated_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'done')", name=op.f("ck_scrutiny_resolutions_status")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["scrutiny_sessions.id"],
            name=op.f("fk_scrutiny_resolutions_session_id_scrutiny_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scrutiny_resolutions")),
    )
    with op.batch_alter_table("scrutiny_resolutions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scrutiny_resolutions_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "advocacy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("conference_date", sa.Date(), nullable=False),
        sa.Column("offered", sa.Boolean(), nullable=False),
        sa.Column("requested", sa.Boolean(), nullable=False),
        sa.Column("provided_on", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.String(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_advocacy_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advocacy")),
    )
    with op.batch_alter_table("advocacy", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_advocacy_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_advocacy_conference_date"), ["conference_date"], unique=False
        )
        batch_op.create_index(
            "ix_advocacy_requested_provided_on_conference_date",
            ["requested", "provided_on", "conference_date"],
            unique=False,
        )


def downgrade() -> None:
    raise NotImplementedError("qaudit does not downgrade; restore the backup taken before")

"""Complaints and their stages.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(), nullable=False),
        sa.Column("procedure", sa.String(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("relationship", sa.String(), nullable=False),
        sa.Column("summary", sa.String(), nullable=True),
        sa.Column("themes", sa.JSON(), nullable=True),
        sa.Column("received", sa.Date(), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("logged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("logged_by", sa.String(), nullable=False),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('upheld', 'partly-upheld', 'not-upheld', 'withdrawn')",
            name=op.f("ck_complaints_outcome"),
        ),
        sa.CheckConstraint(
            "procedure IN ('statutory', 'corporate')", name=op.f("ck_complaints_procedure")
        ),
        sa.CheckConstraint(
            "relationship IN ('parent', 'child', 'carer', 'other')",
            name=op.f("ck_complaints_relationship"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_complaints_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
        sa.UniqueConstraint("ref", name=op.f("uq_complaints_ref")),
    )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_complaints_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_complaints_received"), ["received"], unique=False)

    op.create_table(
        "complaint_stages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("received", sa.Date(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("extension_days", sa.Integer(), nullable=False),
        sa.Column("responded_on", sa.Date(), nullable=True),
        sa.Column("letter_on", sa.Date(), nullable=True),
        sa.Column("escalated_on", sa.Date(), nullable=True),
        sa.Column("escalated_to_id", sa.Integer(), nullable=True),
        sa.Column("late_reason", sa.String(), nullable=True),
        sa.CheckConstraint("stage IN (1, 2, 3)", name=op.f("ck_complaint_stages_stage")),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_complaint_stages_complaint_id_complaints"),
        ),
        sa.ForeignKeyConstraint(
            ["escalated_to_id"],
            ["staff.id"],
            name=op.f("fk_complaint_stages_escalated_to_id_staff"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_stages")),
        sa.UniqueConstraint(
            "complaint_id", "stage", name=op.f("uq_complaint_stages_complaint_id_stage")
        ),
    )
    with op.batch_alter_table("complaint_stages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_complaint_stages_letter_on_due", ["letter_on", "due"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_complaint_stages_received"), ["received"], unique=False
        )


def downgrade() -> None:
    raise NotImplementedError("qaudit does not downgrade; restore the backup taken before")

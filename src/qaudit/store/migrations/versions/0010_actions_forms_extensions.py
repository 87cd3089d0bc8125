"""Actions from audits, the audit workbooks sent to auditors, and each complaint extension
(with whether it was agreed late).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "form_exports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(), nullable=False),
        sa.Column("month", sa.String(), nullable=False),
        sa.Column("auditor_id", sa.Integer(), nullable=False),
        sa.Column("sheets", sa.JSON(), nullable=False),
        sa.Column("exported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("exported_by", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["auditor_id"], ["staff.id"], name=op.f("fk_form_exports_auditor_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_exports")),
        sa.UniqueConstraint("ref", name=op.f("uq_form_exports_ref")),
    )
    op.create_index(op.f("ix_form_exports_month"), "form_exports", ["month"], unique=False)

    op.create_table(
        "actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("moderation_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("set_on", sa.Date(), nullable=False),
        sa.Column("set_by", sa.String(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("done_by", sa.String(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('open', 'done')", name=op.f("ck_actions_status")),
        sa.CheckConstraint("done_on IS NULL OR status = 'done'", name=op.f("ck_actions_done_on")),
        sa.ForeignKeyConstraint(
            ["audit_id"], ["audits.id"], name=op.f("fk_actions_audit_id_audits")
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_actions_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["moderation_id"], ["moderations.id"], name=op.f("fk_actions_moderation_id_moderations")
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["staff.id"], name=op.f("fk_actions_owner_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actions")),
    )
    op.create_index(op.f("ix_actions_audit_id"), "actions", ["audit_id"], unique=False)
    op.create_index(op.f("ix_actions_case_id"), "actions", ["case_id"], unique=False)
    op.create_index(op.f("ix_actions_owner_id"), "actions", ["owner_id"], unique=False)
    op.create_index("ix_actions_status_due", "actions", ["status", "due"], unique=False)

    op.create_table(
        "complaint_extensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stage_id", sa.Integer(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("agreed_on", sa.Date(), nullable=False),
        sa.Column("due_before", sa.Date(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("recorded_by", sa.String(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["stage_id"],
            ["complaint_stages.id"],
            name=op.f("fk_complaint_extensions_stage_id_complaint_stages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_extensions")),
    )
    op.create_index(
        op.f("ix_complaint_extensions_stage_id"), "complaint_extensions", ["stage_id"], unique=False
    )


def downgrade() -> None:
    raise NotImplementedError("qaudit does not downgrade; restore the backup taken before")

"""Reminder emails: staff gain an email address, and every message sent is kept with the items
it named (so an item is not sent twice to the same person in a day, an escalation once per
stage, and a rerun after a failure sends only what was not sent).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("staff", sa.Column("email", sa.String(), nullable=True))

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("notice", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("sent_by", sa.String(), nullable=False),
        sa.Column("relay", sa.String(), nullable=False),
        sa.Column("reply", sa.String(), nullable=False),
        sa.CheckConstraint("notice IN ('digest', 'urgent')", name=op.f("ck_notifications_notice")),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_notifications_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("message_id", name=op.f("uq_notifications_message_id")),
    )
    op.create_index(op.f("ix_notifications_staff_id"), "notifications", ["staff_id"], unique=False)

    op.create_table(
        "notification_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("ref", sa.String(), nullable=False),
        sa.Column("case_ref", sa.String(), nullable=True),
        sa.Column("section", sa.String(), nullable=False),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("days_overdue", sa.Integer(), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.CheckConstraint(
            "section IN ('overdue', 'due', 'escalated', 'urgent')",
            name=op.f("ck_notification_items_section"),
        ),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_notification_items_notification_id_notifications"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_notification_items_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_items")),
    )
    op.create_index(
        op.f("ix_notification_items_notification_id"),
        "notification_items",
        ["notification_id"],
        unique=False,
    )
    op.create_index(
        "ix_notification_items_staff_kind_ref",
        "notification_items",
        ["staff_id", "kind", "ref"],
        unique=False,
    )


def downgrade() -> None:
    raise NotImplementedError("qaudit does not downgrade; restore the backup taken before")

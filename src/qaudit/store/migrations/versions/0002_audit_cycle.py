"""The monthly audit cycle: samples and their items, audits, moderations, re-audits; and each
case's draw key, by which a sample is drawn.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import zlib

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Cases first, before any table refers to them: SQLite rebuilds the table to make the new
    # column NOT NULL. The key comes from the case ref alone, so existing cases get the same key
    # a fresh import would give them.
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("draw_key", sa.BigInteger(), nullable=True))
        batch_op.drop_index(batch_op.f("ix_cases_close_date"))
    _fill_draw_keys()
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.alter_column("draw_key", existing_type=sa.BigInteger(), nullable=False)
        batch_op.create_index(batch_op.f("ix_cases_draw_key"), ["draw_key"], unique=False)

    op.create_table(
        "samples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("stratify", sa.String(), nullable=True),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("drawn_by", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_samples")),
        sa.UniqueConstraint("month", name=op.f("uq_samples_month")),
    )
    op.create_table(
        "audits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("auditor_id", sa.Integer(), nullable=False),
        sa.Column("audit_date", sa.Date(), nullable=False),
        sa.Column("grade", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=True),
        sa.Column("themes", sa.JSON(), nullable=True),
        sa.Column("strengths", sa.String(), nullable=True),
        sa.Column("development", sa.String(), nullable=True),
        sa.Column("views_gathered", sa.Boolean(), nullable=False),
        sa.Column("family_feedback", sa.String(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "grade IN ('outstanding', 'good', 'requires-improvement', 'inadequate')",
            name=op.f("ck_audits_grade"),
        ),
        sa.CheckConstraint("kind IN ('sample', 'reaudit', 'adhoc')", name=op.f("ck_audits_kind")),
        sa.ForeignKeyConstraint(
            ["auditor_id"], ["staff.id"], name=op.f("fk_audits_auditor_id_staff")
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_audits_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audits")),
    )
    with op.batch_alter_table("audits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audits_audit_date"), ["audit_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_audits_auditor_id"), ["auditor_id"], unique=False)
        batch_op.create_index(
            "ix_audits_case_id_audit_date", ["case_id", "audit_date"], unique=False
        )

    op.create_table(
        "moderations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("moderator_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(), nullable=True),
        sa.Column("regrade", sa.String(), nullable=True),
        sa.Column("outcome_on", sa.Date(), nullable=True),
        sa.Column("conversation_date", sa.Date(), nullable=True),
        sa.Column("notes", sa.String(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('agreed', 'regraded')",
            name=op.f("ck_moderations_outcome"),
        ),
        sa.CheckConstraint(
            "regrade IS NULL OR regrade IN ('outstanding', 'good', 'requires-improvement', 'inadequate')",
            name=op.f("ck_moderations_regrade"),
        ),
        sa.ForeignKeyConstraint(
            ["audit_id"], ["audits.id"], name=op.f("fk_moderations_audit_id_audits")
        ),
        sa.ForeignKeyConstraint(
            ["moderator_id"], ["staff.id"], name=op.f("fk_moderations_moderator_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["staff.id"], name=op.f("fk_moderations_owner_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderations")),
        sa.UniqueConstraint("audit_id", name=op.f("uq_moderations_audit_id")),
    )
    with op.batch_alter_table("moderations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_moderations_completed_on_due", ["completed_on", "due"], unique=False
        )

    op.create_table(
        "reaudits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("auditor_id", sa.Integer(), nullable=True),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("done_audit_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'done', 'cancelled')", name=op.f("ck_reaudits_status")
        ),
        sa.ForeignKeyConstraint(
            ["audit_id"], ["audits.id"], name=op.f("fk_reaudits_audit_id_audits")
        ),
        sa.ForeignKeyConstraint(
            ["auditor_id"], ["staff.id"], name=op.f("fk_reaudits_auditor_id_staff")
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_reaudits_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["done_audit_id"], ["audits.id"], name=op.f("fk_reaudits_done_audit_id_audits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reaudits")),
        sa.UniqueConstraint("audit_id", name=op.f("uq_reaudits_audit_id")),
    )
    with op.batch_alter_table("reaudits", schema=None) as batch_op:
        batch_op.create_index("ix_reaudits_case_id_status", ["case_id", "status"], unique=False)
        batch_op.create_index("ix_reaudits_status_due", ["status", "due"], unique=False)

    op.create_table(
        "sample_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("auditor_id", sa.Integer(), nullable=True),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'done', 'replaced')", name=op.f("ck_sample_items_status")
        ),
        sa.ForeignKeyConstraint(
            ["audit_id"], ["audits.id"], name=op.f("fk_sample_items_audit_id_audits")
        ),
        sa.ForeignKeyConstraint(
            ["auditor_id"], ["staff.id"], name=op.f("fk_sample_items_auditor_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_sample_items_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"], ["samples.id"], name=op.f("fk_sample_items_sample_id_samples")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sample_items")),
        sa.UniqueConstraint("sample_id", "case_id", name=op.f("uq_sample_items_sample_id_case_id")),
    )
    with op.batch_alter_table("sample_items", schema=None) as batch_op:
        batch_op.create_index("ix_sample_items_case_id_status", ["case_id", "status"], unique=False)
        batch_op.create_index("ix_sample_items_status_due", ["status", "due"], unique=False)


def _draw_key(case_ref: str) -> int:
    """The draw key a case was given from its ref alone (domain.sampling's until schema 0008):
    ``(crc32(ref) * 0x9E3779B97F4A7C15) mod 2**62``, its low 30 bits XORed with adler32(ref).
    Frozen here, so this revision fills the column as it always did whatever the code does."""
    data = case_ref.encode()
    return ((zlib.crc32(data) * 0x9E3779B97F4A7C15) & ((1 << 62) - 1)) ^ (
        zlib.adler32(data) & ((1 << 30) - 1)
    )


def _fill_draw_keys() -> None:
    conn = op.get_bind()
    cases = sa.table(
        "cases",
        sa.column("id", sa.Integer()),
        sa.column("case_ref", sa.String()),
        sa.column("draw_key", sa.BigInteger()),
    )
    rows = conn.execute(sa.select(cases.c.id, cases.c.case_ref)).all()
    for start in range(0, len(rows), 10_000):
        conn.execute(
            cases.update().where(cases.c.id == sa.bindparam("case_id")),
            [
                {"case_id": id_, "draw_key": _draw_key(ref)}
                for id_, ref in rows[start : start + 10_000]
            ],
        )


def downgrade() -> None:
    raise NotImplementedError("qaudit does not downgrade; restore the backup taken before")

"""The sampling certificate: each step of a month's draw (the draw, a redraw, a top-up, a
replacement) is kept in ``sample_draws`` with the ids of the cases that were eligible, and each
sample item names the step that picked it, so ``qaudit sample --verify`` can draw again.

Samples drawn before this revision are kept exactly as they are: their items have no step
(``draw_id`` NULL), and ``--verify`` says they cannot be checked.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sample_draws",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("seed_source", sa.String(), nullable=False),
        sa.Column("method", sa.String(), nullable=False),
        sa.Column("method_version", sa.Integer(), nullable=False),
        sa.Column("need", sa.Integer(), nullable=False),
        sa.Column("stratify", sa.String(), nullable=True),
        sa.Column("strata", sa.JSON(), nullable=False),
        sa.Column("eligible_ids", sa.Text(), nullable=False),
        sa.Column("eligible_sha256", sa.String(), nullable=False),
        sa.Column("previews", sa.Integer(), nullable=False),
        sa.Column("replaced_case_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("drawn_by", sa.String(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('draw', 'redraw', 'top-up', 'replace')", name=op.f("ck_sample_draws_kind")
        ),
        sa.CheckConstraint(
            "seed_source IN ('generated', 'given', 'sample')",
            name=op.f("ck_sample_draws_seed_source"),
        ),
        sa.ForeignKeyConstraint(
            ["replaced_case_id"], ["cases.id"], name=op.f("fk_sample_draws_replaced_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"], ["samples.id"], name=op.f("fk_sample_draws_sample_id_samples")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sample_draws")),
    )
    op.create_index("ix_sample_draws_sample_id", "sample_draws", ["sample_id"])
    # A new nullable column and its foreign key. SQLite cannot add a named constraint in place,
    # so batch mode copies sample_items into a new table of the same shape (every row, key and
    # constraint kept; the schema test compares the result with a new store's).
    with op.batch_alter_table("sample_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("draw_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_sample_items_draw_id_sample_draws"), "sample_draws", ["draw_id"], ["id"]
        )


def downgrade() -> None:
    raise NotImplementedError("qaudit does not downgrade; restore the backup taken before")

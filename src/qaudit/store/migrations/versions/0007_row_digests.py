"""Row digests: each event records a keyed digest of every row it wrote (store.digests), and
its ``rows_digest`` (SHA-256 over them) joins its hash, so ``db verify`` finds a row edited in
place without an event.

Events from before this revision have none (NULL: their hash is as it was). The upgrade's own
event is the baseline: it digests every row the store holds (``record_change`` does that for
every ``store.migrate`` event), so rows written before the upgrade are covered from then on.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("change_log", sa.Column("rows_digest", sa.String(), nullable=True))
    op.create_table(
        "row_digests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(), nullable=False),
        sa.Column("first_id", sa.BigInteger(), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.Column("ids", sa.LargeBinary(), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("digests", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_row_digests"),
    )
    op.create_index("ix_row_digests_event_id", "row_digests", ["event_id"])
    op.create_index("ix_row_digests_table_name_first_id", "row_digests", ["table_name", "first_id"])
    op.create_table(
        "digest_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_digest_keys"),
    )


def downgrade() -> None:
    raise NotImplementedError("qaudit does not downgrade; restore the backup taken before")

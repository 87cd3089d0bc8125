"""Cases lose their draw key (``cases.draw_key`` and its index): since draw version 2 a sample
is drawn in an order keyed with its seed (domain.sampling.draw_rank), and nothing reads the
fixed per-case key any more.

Only that column goes: every sample drawn and its items are kept as they were. The column is
dropped in place (ALTER TABLE ... DROP COLUMN; SQLite 3.35 or newer, which qaudit already
needs for RETURNING), not by copying the table as batch mode would, since other tables refer
to cases. The upgrade's own event digests every row afresh (store.digests), so ``db verify``
checks the cases as they are now held.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite refuses to drop an indexed column: the index goes first.
    op.drop_index("ix_cases_draw_key", table_name="cases")
    op.drop_column("cases", "draw_key")


def downgrade() -> None:
    raise NotImplementedError("qaudit does not downgrade; restore the backup taken before")

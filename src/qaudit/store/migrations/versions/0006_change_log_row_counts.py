"""Each change-log event records how many records every table held before and after it, so a
record added or removed without an event shows as a gap between two events.

Events from before this revision carry none; the upgrade's own event is the first that does.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("change_log", sa.Column("row_counts", sa.JSON(), nullable=True))


def downgrade() -> None:
    raise NotImplementedError("qaudit does not downgrade; restore the backup taken before")

"""The tamper-evident change log: each event carries the previous event's hash and its own.

Existing events are chained in order. The append-only triggers are lifted for that one
backfill and restored, inside the migration's transaction.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = [
    f"CREATE TRIGGER change_log_no_{verb} BEFORE {verb.upper()} ON change_log "
    "BEGIN SELECT RAISE(ABORT, 'the change log is append-only'); END"
    for verb in ("update", "delete")
]


def upgrade() -> None:
    op.add_column("change_log", sa.Column("prev_hash", sa.String(), nullable=True))
    op.add_column("change_log", sa.Column("hash", sa.String(), nullable=True))
    conn = op.get_bind()
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        conn.exec_driver_sql("DROP TRIGGER change_log_no_update")
    else:
        conn.exec_driver_sql("ALTER TABLE change_log DISABLE TRIGGER change_log_no_update_delete")
    _chain(conn)
    if sqlite:
        conn.exec_driver_sql(_SQLITE_TRIGGERS[0])
    else:
        conn.exec_driver_sql("ALTER TABLE change_log ENABLE TRIGGER change_log_no_update_delete")


def _chain(conn: sa.engine.Connection) -> None:
    from qaudit.store.chain import GENESIS, event_hash

    log = sa.table(
        "change_log",
        sa.column("id", sa.Integer()),
        sa.column("recorded_at", sa.DateTime(timezone=True)),
        sa.column("as_of", sa.DateTime(timezone=True)),
        sa.column("actor", sa.String()),
        sa.column("action", sa.String()),
        sa.column("entity", sa.String()),
        sa.column("entity_ref", sa.String()),
        sa.column("before", sa.Text()),
        sa.column("after", sa.Text()),
        sa.column("detail", sa.Text()),
        sa.column("prev_hash", sa.String()),
        sa.column("hash", sa.String()),
    )
    from datetime import UTC, datetime

    def aware(value: object) -> datetime:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    prev = GENESIS
    rows = conn.execute(
        sa.select(
            log.c.id,
            log.c.recorded_at,
            log.c.as_of,
            log.c.actor,
            log.c.action,
            log.c.entity,
            log.c.entity_ref,
            sa.cast(log.c.before, sa.Text),
            sa.cast(log.c.after, sa.Text),
            sa.cast(log.c.detail, sa.Text),
        ).order_by(log.c.id)
    ).all()
    for id_, at, as_of, actor, action, entity, ref, before, after, detail in rows:
        digest = event_hash(
            prev,
            recorded_at=aware(at),
            as_of=aware(as_of),
            actor=actor,
            action=action,
            entity=entity,
            entity_ref=ref,
            before=before,
            after=after,
            detail=detail,
        )
        conn.execute(log.update().where(log.c.id == id_).values(prev_hash=prev, hash=digest))
        prev = digest


def downgrade() -> None:
    raise NotImplementedError("qaudit does not downgrade; restore the backup taken before")

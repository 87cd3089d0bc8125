"""Appending to the change log, in the transaction of the change it records."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import CompoundSelect
from sqlalchemy.engine import Connection
from sqlmodel import Session, SQLModel

from qaudit.store import digests as row_digests  # (also starts tracking ORM writes)
from qaudit.store.blocks import rows_digest
from qaudit.store.chain import sealed_event
from qaudit.store.models import ChangeLog

# The log's own tables: the change log and its row digests (store.digests).
_NOT_COUNTED = frozenset({ChangeLog.__tablename__, "row_digests", "digest_keys"})


# Where a write transaction keeps what the tables held after its newest event (or when it
# began): on the connection, set by Store.writing for each transaction.
EXTENTS_KEY = "qaudit_table_extents"

Extents = dict[str, list[int]]


def table_extents(conn: Connection) -> Extents:
    """How many records each table (the change log aside) holds, and its newest key: one
    query, cheap on a million rows (count(*) reads the smallest index; max() one entry)."""
    return {
        name: [int(records), int(newest)]
        for name, records, newest in conn.execute(_extents_query())
    }


@cache
def _extents_query() -> CompoundSelect[str, int, int]:
    """Built once: a fresh statement per call costs more than the query on a small store."""
    from sqlalchemy import func, literal, select, union_all

    parts = []
    for table in SQLModel.metadata.sorted_tables:
        if table.name in _NOT_COUNTED:
            continue
        key = next(iter(table.primary_key.columns))
        parts.append(
            select(
                literal(table.name).label("name"),
                select(func.count()).select_from(table).scalar_subquery().label("records"),
                select(func.coalesce(func.max(key), 0)).scalar_subquery().label("newest"),
            )
        )
    return union_all(*parts)


def head_hash(conn: Connection) -> str | None:
    """The newest event's hash (None for an empty log)."""
    from sqlalchemy import select

    table = ChangeLog.__table__  # type: ignore[attr-defined]
    head: str | None = conn.execute(
        select(table.c.hash).order_by(table.c.id.desc()).limit(1)
    ).scalar()
    return head


def record_change(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_ref: str | None,
    recorded_at: datetime,
    as_of: datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one event, chained to the one before by its hash, in the caller's transaction.

    ``before``/``after`` hold the changed fields' values. The JSON is written as text qaudit
    serialises itself, so the hash covers exactly what is stored. The event also records what
    the tables held when the previous event of this transaction was written (or when the
    transaction began) and what they hold now, so a change made without an event shows, and
    a digest of every row written since the previous event (store.digests; every row, for a
    schema upgrade), so a row edited without an event shows.
    """

    from sqlalchemy import JSON, String, bindparam, cast, insert, null

    session.flush()
    conn = session.connection()
    table = ChangeLog.__table__  # type: ignore[attr-defined]
    # Events are appended inside a write transaction, which holds the writer lock
    # (Store.writing): no other transaction can chain to the same previous event.
    prev = head_hash(conn)
    blocks = row_digests.collect_blocks(conn, everything=action == "store.migrate")
    digest = rows_digest(blocks)
    now = table_extents(conn)
    extents = {"before": conn.info.get(EXTENTS_KEY), "after": now}
    conn.info[EXTENTS_KEY] = now
    event = sealed_event(
        prev,
        actor=actor,
        action=action,
        entity=entity,
        entity_ref=entity_ref,
        recorded_at=recorded_at,
        as_of=as_of,
        before=before,
        after=after,
        detail=detail,
        row_counts=extents,
        rows_digest=digest,
    )
    json_columns = ("before", "after", "detail", "row_counts")

    def stored(key: str) -> Any:
        value = event[key]
        if value is None:
            return null()  # SQL NULL: the JSON type would store None as the text 'null'

        param = bindparam(f"{key}_text", value, type_=String())
        # SQLite keeps JSON as text; PostgreSQL wants the text cast to json (which keeps it).
        return param if conn.dialect.name == "sqlite" else cast(param, JSON)

    inserted = conn.execute(
        insert(table).values(
            **{key: stored(key) if key in json_columns else value for key, value in event.items()}
        )
    ).inserted_primary_key
    assert inserted is not None
    row_digests.store_blocks(conn, int(inserted[0]), blocks)

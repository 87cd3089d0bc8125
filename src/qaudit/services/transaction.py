"""The one write transaction of a command, with schema migrations logged as changes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection
from sqlmodel import Session

from qaudit.services.context import Context
from qaudit.store.changelog import record_change
from qaudit.store.engine import Store
from qaudit.store.migrations import HEAD


@contextmanager
def write_transaction(
    store: Store, ctx: Context, *, dry_run: bool = False, create: bool = False
) -> Iterator[Session]:
    """The command's write transaction; ``create`` only for ``qaudit init`` and ``qaudit demo``
    (any other command on a missing store is refused: "run qaudit init")."""

    def log_migration(conn: Connection, from_revision: str | None) -> None:
        with Session(bind=conn) as session:
            record_change(
                session,
                actor=ctx.user,
                action="store.migrate",
                entity="schema",
                entity_ref=HEAD,
                recorded_at=ctx.recorded_at,
                as_of=ctx.now,
                before={"revision": from_revision},
                after={"revision": HEAD},
            )

    with store.writing(dry_run=dry_run, create=create, on_migrate=log_migration) as session:
        yield session

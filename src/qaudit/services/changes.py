"""Reading the change log; and bringing a store into being (``qaudit init``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from qaudit.services.context import Context
from qaudit.services.transaction import write_transaction
from qaudit.store.engine import Store
from qaudit.store.migrations import HEAD
from qaudit.store.models import ChangeLog


@dataclass(frozen=True)
class InitResult:
    store: str
    revision: str
    created: bool
    upgraded_from: str | None = None  # the schema an upgrade started from
    backup: Path | None = None  # the copy of a SQLite store taken before its upgrade


def init_store(*, store: Store, ctx: Context) -> InitResult:
    """Create the store, or upgrade its schema; doing it again changes nothing."""
    store.upgraded_from = store.upgrade_backup = None
    store.created_schema = False
    with write_transaction(store, ctx, create=True):
        pass
    return InitResult(
        store=store.describe(),
        revision=HEAD,
        # (A file left empty by an init that failed is filled in here too.)
        created=store.created_schema,
        upgraded_from=store.upgraded_from,
        backup=store.upgrade_backup,
    )


def upgrade_store(*, store: Store, ctx: Context) -> None:
    """Bring a store at an older schema up to date (with its backup), as any command that
    writes does first; never creates one. For a command that must write later, not at once."""
    with write_transaction(store, ctx):
        pass


@dataclass(frozen=True)
class ChangeView:
    id: int
    recorded_at: datetime
    as_of: datetime
    actor: str
    action: str
    entity: str
    entity_ref: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    detail: dict[str, Any] | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "recorded_at": self.recorded_at,
            "as_of": self.as_of,
            "actor": self.actor,
            "action": self.action,
            "entity": self.entity,
            "entity_ref": self.entity_ref,
            "before": self.before,
            "after": self.after,
            "detail": self.detail,
        }


def count_changes(*, store: Store, action: str | None = None, ref: str | None = None) -> int:
    """How many events ``list_changes`` would give without a limit."""
    from sqlalchemy import func

    query = select(func.count()).select_from(ChangeLog)
    if action is not None:
        query = query.where(col(ChangeLog.action).startswith(action))
    if ref is not None:
        query = query.where(ChangeLog.entity_ref == ref)
    with store.reading() as session:
        return int(session.exec(query).one())


def list_changes(
    *,
    store: Store,
    limit: int | None = 50,
    action: str | None = None,
    ref: str | None = None,
) -> Iterator[ChangeView]:
    """The newest events first."""
    query = select(ChangeLog).order_by(col(ChangeLog.id).desc())
    if action is not None:
        query = query.where(col(ChangeLog.action).startswith(action))
    if ref is not None:
        query = query.where(ChangeLog.entity_ref == ref)
    if limit is not None:
        query = query.limit(limit)
    with store.reading() as session:
        for event in session.exec(query):
            assert event.id is not None
            yield ChangeView(
                id=event.id,
                recorded_at=event.recorded_at,
                as_of=event.as_of,
                actor=event.actor,
                action=event.action,
                entity=event.entity,
                entity_ref=event.entity_ref,
                before=event.before,
                after=event.after,
                detail=event.detail,
            )

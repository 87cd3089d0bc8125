"""Checking the store and its change log, taking consistent backups, and restoring one."""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Text, cast, select
from sqlalchemy.engine import Connection

from qaudit.errors import RuleError, StoreError
from qaudit.services.context import Context
from qaudit.store.changelog import GENESIS, Extents, event_hash, table_extents
from qaudit.store.engine import Store
from qaudit.store.models import ChangeLog


@dataclass(frozen=True)
class KeptEvent:
    """The event whose hash was kept elsewhere (a report's or backup's head), found in the log."""

    id: int
    action: str
    recorded_at: datetime
    events_since: int  # events written after it: honest later writes


@dataclass
class Verification:
    events: int
    head: str | None  # the hash of the newest event: keep it elsewhere to compare later
    problems: list[str] = field(default_factory=list)
    kept: KeptEvent | None = None  # with ``expect``: the event it names, when in the chain

    @property
    def ok(self) -> bool:
        return not self.problems


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ChainWalk:
    events: int
    head: str | None  # None when the chain is broken or the log empty
    broken: str | None  # the first broken link
    kept: KeptEvent | None  # the event whose stored hash is ``expect``


def check_chain(conn: Connection, expect: str | None = None) -> ChainWalk:
    """Walk the change log in order: its events, head hash, the first broken link, and the
    event (if any) whose hash is ``expect``."""
    log = ChangeLog.__table__  # type: ignore[attr-defined]
    rows = conn.execute(
        select(
            log.c.id,
            log.c.prev_hash,
            log.c.hash,
            log.c.recorded_at,
            log.c.as_of,
            log.c.actor,
            log.c.action,
            log.c.entity,
            log.c.entity_ref,
            cast(log.c.before, Text),
            cast(log.c.after, Text),
            cast(log.c.detail, Text),
            cast(log.c.row_counts, Text),
        )
        .order_by(log.c.id)
        # Streamed: an import's event holds every ref it touched (~12 MB for a million), and
        # psycopg's default cursor would otherwise hold the whole log in memory at once.
        .execution_options(yield_per=100)
    )
    expected = GENESIS
    count = 0
    broken: str | None = None
    found: tuple[int, str, datetime, int] | None = None
    for (
        id_,
        prev,
        digest,
        at,
        as_of,
        actor,
        action,
        entity,
        ref,
        before,
        after,
        detail,
        row_counts,
    ) in rows:
        count += 1
        if expect is not None and found is None and digest == expect:
            found = (id_, action, _aware(at), count)
        if broken is not None:
            continue  # only counting, and looking for the kept hash
        if prev != expected:
            broken = (
                f"event {id_} does not follow the event before it: an event was removed, "
                "inserted or reordered"
            )
            continue
        again = event_hash(
            prev,
            recorded_at=_aware(at),
            as_of=_aware(as_of),
            actor=actor,
            action=action,
            entity=entity,
            entity_ref=ref,
            before=before,
            after=after,
            detail=detail,
            row_counts=row_counts,
        )
        if again != digest:
            broken = f"event {id_} ({action}) was changed after it was written"
            continue
        expected = digest
    kept = None
    if found is not None:
        id_, action, at, place = found
        kept = KeptEvent(id=id_, action=action, recorded_at=at, events_since=count - place)
    head = expected if count and broken is None else None
    return ChainWalk(events=count, head=head, broken=broken, kept=kept)


def _gap(held: Extents, found: Extents) -> str:
    """The tables whose records differ between two extents, e.g. "cases 240 → 241"."""
    changed = []
    for table in sorted(held.keys() | found.keys()):
        was, now = held.get(table, [0, 0]), found.get(table, [0, 0])
        if was != now:
            newest = f" (newest id {was[1]} → {now[1]})" if was[0] == now[0] else ""
            changed.append(f"{table} {was[0]} → {now[0]}{newest}")
    return ", ".join(changed)


def check_records(conn: Connection) -> str | None:
    """Every record added or removed has its event: each event's "before" is what the one
    before it left, and the tables now hold what the newest event left. The first problem,
    or None. (Events from before schema 0006 record no extents; the upgrade's event is the
    first that does.)"""
    log = ChangeLog.__table__  # type: ignore[attr-defined]
    rows = conn.execute(
        select(log.c.id, log.c.action, cast(log.c.row_counts, Text))
        .where(log.c.row_counts.is_not(None))
        .order_by(log.c.id)
        .execution_options(yield_per=1000)
    )
    left: Extents | None = None
    previous = 0
    for id_, action, text in rows:
        extents = json.loads(text)
        before = extents["before"]
        if before is None:
            if action != "store.migrate":
                return f"event {id_} ({action}) does not record what the store held before it"
        elif left is not None and before != left:
            return (
                f"records changed between event {previous} and event {id_} without an event "
                f"of their own: {_gap(left, before)}"
            )
        left, previous = extents["after"], id_
    if left is not None:
        now = table_extents(conn)
        if now != left:
            return (
                f"records changed since the newest event ({previous}) without an event of "
                f"their own: {_gap(left, now)}"
            )
    return None


def verify_store(*, store: Store, expect: str | None = None) -> Verification:
    """The database's own integrity checks (SQLite), the change log's hash chain, and that no
    record was added or removed without an event; with ``expect`` (a head hash kept from a
    report or backup), that hash must be one of the log's events: later honest writes follow
    it, a rewritten or shortened log no longer holds it."""
    with store.reading() as session:
        conn = session.connection()
        problems: list[str] = []
        if store.is_sqlite:
            result = conn.exec_driver_sql("PRAGMA integrity_check").scalars().all()
            if result != ["ok"]:
                problems.append("integrity_check: " + "; ".join(map(str, result[:5])))
            broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                problems.append(f"foreign_key_check: {len(broken)} rows refer to nothing")
        walk = check_chain(conn, expect)
        unlogged = check_records(conn)
    if walk.broken:
        problems.append(walk.broken)
    if unlogged:
        problems.append(unlogged)
    if expect is not None and walk.kept is None:
        problems.append(
            f"{expect} is not the hash of any event in the change log: the log was rewritten "
            "or cut short"
        )
    return Verification(events=walk.events, head=walk.head, problems=problems, kept=walk.kept)


def _sqlite_path(store: Store, what: str) -> Path:
    if not store.is_sqlite or store.path is None:
        raise StoreError(
            f"qaudit {what} works on a SQLite store; for PostgreSQL use pg_dump and pg_restore"
        )
    if not store.path.exists():
        raise StoreError(f"no case store at {store.describe()}")
    return store.path


def _copy(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy even while others write. The copy is 0600."""
    fd = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
    finally:
        dst.close()
        src.close()


def backup_store(*, store: Store, target: Path, force: bool = False) -> Verification:
    """Copy the store to ``target`` and check the copy; an existing file needs ``force``."""
    source = _sqlite_path(store, "db backup")
    if target.exists():
        if not force:
            raise RuleError(f"{target} exists: give --force to replace it")
        target.unlink()
    _copy(source, target)
    copy = Store(f"sqlite:///{target}")
    try:
        checked = verify_store(store=copy)
    finally:
        copy.dispose()
    if not checked.ok:
        target.unlink(missing_ok=True)
        raise StoreError(f"the copy failed its checks ({checked.problems[0]}); nothing kept")
    return checked


@dataclass(frozen=True)
class Restored:
    kept_aside: Path
    checked: Verification


def restore_store(*, store: Store, backup: Path, ctx: Context) -> Restored:
    """Replace the store with a checked backup, keeping the current one aside."""
    path = _sqlite_path(store, "db restore")
    if not backup.is_file():
        raise RuleError(f"{backup}: no such backup")
    candidate = Store(f"sqlite:///{backup}")
    try:
        checked = verify_store(store=candidate)
    finally:
        candidate.dispose()
    if not checked.ok:
        raise RuleError(f"{backup} failed its checks ({checked.problems[0]}): not restored")
    store.dispose()
    # Fold the WAL into the file so the store set aside is whole on its own.
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    stamp = ctx.recorded_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.before-restore-{stamp}")
    path.replace(aside)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    _copy(backup, path)
    return Restored(kept_aside=aside, checked=checked)

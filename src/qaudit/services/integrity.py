"""Checking the store and its change log, taking consistent backups, and restoring one."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Text, cast, select
from sqlalchemy.engine import Connection

from qaudit.errors import RuleError, StoreError
from qaudit.files import (
    PathError,
    checked_source,
    checked_target,
    put_in_place,
    shown,
    store_files,
    temporary_beside,
)
from qaudit.services.context import Context
from qaudit.store.chain import GENESIS, event_hash
from qaudit.store.changelog import Extents, table_extents
from qaudit.store.digests import check_rows
from qaudit.store.engine import BUSY_TIMEOUT_MS, Store
from qaudit.store.migrations import HEAD
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
            log.c.rows_digest,
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
        rows_digest,
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
            rows_digest=rows_digest,
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


def verify_store(
    *, store: Store, expect: str | None = None, integrity_checked: bool = False
) -> Verification:
    """The database's own integrity checks (SQLite), the change log's hash chain, that no
    record was added or removed without an event, and that every row still holds what the
    newest event that wrote it digested (store.digests); with ``expect`` (a head hash kept from a
    report or backup), that hash must be one of the log's events: later honest writes follow
    it, a rewritten or shortened log no longer holds it."""
    with store.reading() as session:
        conn = session.connection()
        problems: list[str] = []
        if store.is_sqlite:
            if not integrity_checked:  # (a backup's copy has had it already)
                result = conn.exec_driver_sql("PRAGMA integrity_check").scalars().all()
                if result != ["ok"]:
                    problems.append("integrity_check: " + "; ".join(map(str, result[:5])))
            broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                problems.append(f"foreign_key_check: {len(broken)} rows refer to nothing")
        walk = check_chain(conn, expect)
        unlogged = check_records(conn)
        edited = check_rows(
            conn, {name: newest for name, (_, newest) in table_extents(conn).items()}
        )
    if walk.broken:
        problems.append(walk.broken)
    if unlogged:
        problems.append(unlogged)
    problems.extend(edited.problems(uncovered=unlogged is None))
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
    if store.path.is_dir():
        raise StoreError(f"the case store {store.path} is a folder, not a file")
    if not store.path.exists():
        raise store.missing()
    return store.path


def _unreadable(path: Path, exc: sqlite3.Error, what: str = "a qaudit store") -> StoreError:
    reason = str(exc).strip() or type(exc).__name__
    return StoreError(f"{path} is not {what}: SQLite says '{reason}'")


def _copy(
    source: Path, target: Path, *, named: Path | None = None, untouched: bool = False
) -> None:
    """SQLite's online backup: a consistent copy even while others write. ``target`` is an
    existing empty file (a private temporary). ``untouched``: a file given to read (a backup to
    restore) is opened read-only, and with no -wal beside it as immutable, so that SQLite leaves
    no -wal or -shm file beside it."""
    uri = source.resolve().as_uri()
    if untouched:
        uri += "?mode=ro" + ("" if Path(f"{source}-wal").exists() else "&immutable=1")
    try:
        src = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        raise _unreadable(named or source, exc) from None
    try:
        src.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        dst = sqlite3.connect(target)
        try:
            with dst:
                src.backup(dst, progress=_give_up_after(BUSY_TIMEOUT_MS / 1000))
        finally:
            dst.close()
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise _busy(named or source) from None
        raise _unreadable(named or source, exc) from None
    except sqlite3.DatabaseError as exc:
        raise _unreadable(named or source, exc) from None
    finally:
        src.close()


def _busy(path: Path) -> StoreError:
    return StoreError(f"the store is busy ({path} is being written by another process); try again")


def _give_up_after(seconds: float) -> Callable[[int, int, int], None]:
    """A backup progress callback that stops a copy stuck on a lock (Python retries forever)."""
    waited = [0.0]

    def progress(status: int, remaining: int, total: int) -> None:
        if status in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            waited[0] += 0.25  # Connection.backup's pause between tries
            if waited[0] > seconds:
                raise sqlite3.OperationalError("database is locked")

    return progress


def _self_contained(copy: Path) -> None:
    """A copy in rollback-journal mode: one file, readable without a -wal or -shm beside it
    (from read-only media too)."""
    conn = sqlite3.connect(copy, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = DELETE").fetchone()
    finally:
        conn.close()


def _check_copy(copy: Path, *, named: Path) -> Verification:
    """A copy is usable when SQLite finds it sound, its schema is this qaudit's, and its
    change log and records agree (``verify_store``)."""
    try:
        conn = sqlite3.connect(f"{copy.resolve().as_uri()}?mode=ro", uri=True)
        try:
            result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            has_schema = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchone()
            revision = (
                conn.execute("SELECT version_num FROM alembic_version").fetchone()
                if has_schema
                else None
            )
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise _unreadable(named, exc) from None
    if result != ["ok"]:
        raise StoreError(f"{named} failed SQLite's integrity check: {'; '.join(result[:3])}")
    if revision is None:
        raise StoreError(f"{named} is not a qaudit store (it has no qaudit schema)")
    if revision[0] != HEAD:
        raise StoreError(
            f"{named} has schema {revision[0]}, not this qaudit's {HEAD}: bring it up to date "
            "with `qaudit init` first"
        )
    candidate = Store(f"sqlite:///{copy}")
    try:
        # SQLite's own checks passed just above: one pass over every page is enough.
        checked = verify_store(store=candidate, integrity_checked=True)
    finally:
        candidate.dispose()
    if not checked.ok:
        raise StoreError(f"{named} failed its checks ({checked.problems[0]})")
    return checked


def backup_store(*, store: Store, target: Path | str, force: bool = False) -> Verification:
    """Copy the store to ``target`` and check the copy; an existing file needs ``force``.

    The copy is written to a private temporary file beside ``target``, checked (SQLite's
    integrity check, the schema, the change log), and only then renamed to ``target``: the
    name never holds a partial or unchecked copy, and a failure leaves nothing behind.
    """
    source = _sqlite_path(store, "db backup")
    final = checked_target(target, protect=store_files(source), verb="back up to")
    verb = f"cannot back up to {shown(os.fspath(target))}"
    if final.exists() and not force:
        raise RuleError(f"{shown(os.fspath(target))} exists", remedy="force")
    with temporary_beside(final, verb=verb) as temp:
        _copy(source, temp, named=source)
        try:
            checked = _check_copy(temp, named=Path(f"the copy of {source}"))
        except StoreError as exc:
            raise StoreError(f"{exc.message}; nothing kept") from None
        _self_contained(temp)
        try:
            put_in_place(temp, final, replace=force)
        except PathError:
            raise RuleError(f"{shown(os.fspath(target))} exists", remedy="force") from None
    return checked


@dataclass(frozen=True)
class Restored:
    kept_aside: Path
    checked: Verification


def _aside_name(path: Path, ctx: Context) -> Path:
    stamp = ctx.recorded_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.before-restore-{stamp}")
    number = 1
    while aside.exists():
        number += 1
        aside = path.with_name(f"{path.name}.before-restore-{stamp}.{number}")
    return aside


def restore_store(*, store: Store, backup: Path | str, ctx: Context) -> Restored:
    """Replace the store's content with a checked backup, keeping the current one aside.

    The backup is copied beside the store and checked first. Then, holding the store's writer
    lock (as every write does; refused as busy after the usual wait), the store as it is is
    copied aside and the backup's content replaces its content in one SQLite transaction: a
    write that reported success is either in the copy set aside or comes after the restore,
    and no process still holding the old store open can write where no one will look.
    """
    path = _sqlite_path(store, "db restore")
    protect = store_files(path)
    source = checked_source(backup, protect=protect, verb="restore from")
    store.dispose()
    with temporary_beside(path) as temp:
        _copy(source, temp, named=Path(str(backup)), untouched=True)
        try:
            checked = _check_copy(temp, named=Path(str(backup)))
        except StoreError as exc:
            raise RuleError(f"{exc.message}: not restored") from None
        aside = _aside_name(path, ctx)
        try:
            _replace_content(path, temp, aside)
        except _NotADatabase:
            # No SQLite connection can be writing a file that is not a database: set it (and
            # any journal beside it) aside as it is, and put the checked copy in its place.
            aside.unlink(missing_ok=True)
            os.link(path, aside)
            for suffix in ("-wal", "-journal"):
                side = Path(f"{path}{suffix}")
                if side.exists():
                    side.replace(f"{aside}{suffix}")
            Path(f"{path}-shm").unlink(missing_ok=True)
            put_in_place(temp, path, replace=True)
        except sqlite3.Error as exc:
            aside.unlink(missing_ok=True)  # the transaction was rolled back: nothing changed
            raise StoreError(
                f"could not restore into {path} (SQLite says '{exc}'); the store is as it was"
            ) from None
    return Restored(kept_aside=aside, checked=checked)


class _NotADatabase(Exception):
    pass


def _damaged(exc: sqlite3.Error) -> bool:
    return "not a database" in str(exc) or "malformed" in str(exc)


def _replace_content(path: Path, copy: Path, aside: Path) -> None:
    """Under the writer lock: copy the store aside, then swap in ``copy``'s schema and rows."""
    live = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        try:
            live.execute("PRAGMA foreign_keys = OFF")  # tables are dropped and filled in turn
            live.execute("PRAGMA secure_delete = ON")  # the replaced rows do not linger
            live.execute("ATTACH DATABASE ? AS restored", (str(copy),))
            live.execute("BEGIN IMMEDIATE")
            live.execute("SELECT count(*) FROM main.sqlite_master").fetchone()
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise _busy(path) from None
            raise
        # No one can write now: the copy set aside is the last committed state.
        with temporary_beside(aside) as temp:
            _copy(path, temp, named=path)
            _self_contained(temp)
            put_in_place(temp, aside, replace=False)
        _swap_schema_and_rows(live)
        live.execute("COMMIT")
        # Fold the restored content into the main file if no reader is in the way; the WAL
        # holds it safely otherwise, so the result is only a nicety.
        live.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    except sqlite3.DatabaseError as exc:
        if _damaged(exc):
            raise _NotADatabase from None
        raise
    finally:
        live.close()


def _swap_schema_and_rows(live: sqlite3.Connection) -> None:
    def objects(schema: str, kinds: str) -> list[tuple[str, str, str | None]]:
        return live.execute(
            f"SELECT type, name, sql FROM {schema}.sqlite_master "
            f"WHERE type IN ({kinds}) AND name NOT LIKE 'sqlite_%' "
            "ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 ELSE 2 END, name"
        ).fetchall()

    # foreign_keys is off on this connection: tables drop and fill in any order.
    for kind, name, _sql in objects("main", "'view', 'trigger'"):
        live.execute(f'DROP {kind.upper()} main."{name}"')
    for _kind, name, _sql in objects("main", "'table'"):
        live.execute(f'DROP TABLE main."{name}"')
    created = objects("restored", "'table', 'index', 'trigger', 'view'")
    for kind, name, sql in created:
        if kind == "table" and sql:
            live.execute(sql)
            live.execute(f'INSERT INTO main."{name}" SELECT * FROM restored."{name}"')
    for kind, _name, sql in created:
        if kind != "table" and sql:
            live.execute(sql)
    has_sequence = live.execute(
        "SELECT 1 FROM restored.sqlite_master WHERE name = 'sqlite_sequence'"
    ).fetchone()
    if has_sequence:
        live.execute("DELETE FROM main.sqlite_sequence")
        live.execute("INSERT INTO main.sqlite_sequence SELECT * FROM restored.sqlite_sequence")

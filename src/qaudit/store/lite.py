"""Reading the store through the DB-API alone, for the everyday commands.

Importing SQLAlchemy and the table models costs more than the whole of ``qaudit --help``; the
commands people run all day (``overdue``, ``audits list``, ``complaints list``) need neither.
They read with plain SQL through ``Rows``: on a SQLite file, the standard library's ``sqlite3``
with the settings of ``store.engine`` (a busy timeout; one read transaction, so one snapshot;
the schema checked at head; never a file created); on any ``--database-url`` (PostgreSQL), the
same SQL through ``Store.reading()``. Named parameters (``:name``) read the same on both.

Values come back as each driver gives them: ``day``, ``moment`` and ``flag`` turn SQLite's text
and integers into dates, UTC times and booleans (PostgreSQL's are typed already).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.request import pathname2url

from qaudit.errors import StoreError
from qaudit.store.migrations import HEAD

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

BUSY_TIMEOUT_MS = 5000  # as store.engine's


class Rows(Protocol):
    """One read transaction: plain SQL with ``:name`` parameters, rows as tuples."""

    def all(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]: ...


class SqliteRows:
    """``Rows`` on a sqlite3 connection: dates and times bound as SQLAlchemy stores them."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def all(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        bound = {key: _sqlite_value(value) for key, value in (params or {}).items()}
        return self._conn.execute(sql, bound).fetchall()


class AlchemyRows:
    """``Rows`` on a SQLAlchemy connection (PostgreSQL, or a store opened by ``Store``)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def all(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        from sqlalchemy import text

        if self._conn.dialect.name == "sqlite":
            params = {key: _sqlite_value(value) for key, value in (params or {}).items()}
        return [tuple(row) for row in self._conn.execute(text(sql), dict(params or {}))]


def _sqlite_value(value: Any) -> Any:
    # As SQLAlchemy's SQLite types store them: a date as 2026-12-01, a time as UTC
    # 2026-12-01 09:00:00.000000, so that text comparisons in SQL order them rightly.
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def day(value: Any) -> Any:
    """A stored date as a ``date`` (None stays None)."""
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        return value.date()
    return value


def moment(value: Any) -> Any:
    """A stored time (kept in UTC, without its zone) as an aware UTC ``datetime``."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def flag(value: Any) -> Any:
    """A stored boolean (SQLite keeps 0 or 1) as a ``bool`` (None stays None)."""
    return None if value is None else bool(value)


def listed(value: Any) -> list[Any]:
    """A stored JSON list (SQLite keeps its text) as a list; none as an empty one."""
    if value is None:
        return []
    if isinstance(value, str | bytes):
        loaded = json.loads(value)
        return list(loaded) if isinstance(loaded, list) else []
    return list(value)


def sqlite_fault(message: str, where: str) -> StoreError | None:
    """The refusal for a SQLite driver error, if it is one a person can act on."""
    if "locked" in message or "busy" in message:
        return StoreError(
            f"the store is busy ({where} is being written by another process); try again"
        )
    if "unable to open" in message:
        return StoreError(f"cannot open {where} as a store: {message}")
    if "not a database" in message or "malformed" in message:
        # A file that is not SQLite, or one cut short or damaged.
        return StoreError(
            f"{where} is not a usable case store: SQLite says '{message}' "
            "(restore a backup with `qaudit db restore`)"
        )
    return None


@contextmanager
def reading(*, db: Path, database_url: str | None) -> Iterator[Rows]:
    """One read transaction on the store the global options name, as ``Store.reading()``
    gives: refused when there is no store, or its schema is not at head."""
    if database_url:
        file = _sqlite_file(database_url)
        if file is None:
            with _through_store(db=db, database_url=database_url) as rows:
                yield rows
            return
        db = file
    if str(db) in ("", ":memory:"):
        with _through_store(db=db, database_url=None) as rows:
            yield rows
        return
    where = str(db)
    if not db.exists():
        raise StoreError(f"no case store at {where}: run qaudit init")
    # mode=rw: a file removed meanwhile is an error, never an empty store created in its place.
    uri = f"file:{pathname2url(str(db.absolute()))}?mode=rw"
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise sqlite_fault(str(exc), where) or StoreError(
            f"cannot open {where} as a store: {exc}"
        ) from None
    try:
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("BEGIN")
            found = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchone()
            current = (
                conn.execute("SELECT version_num FROM alembic_version").fetchone()
                if found
                else None
            )
        except sqlite3.Error as exc:
            raise sqlite_fault(str(exc), where) or exc from None
        if current is None or current[0] != HEAD:
            # Not at head: Store says why (not a store yet, older, written by a newer qaudit).
            conn.close()
            with _through_store(db=db, database_url=None) as rows:
                yield rows
            return
        try:
            yield SqliteRows(conn)
        except sqlite3.Error as exc:
            raise sqlite_fault(str(exc), where) or exc from None
    finally:
        conn.close()  # a read transaction: nothing to commit


def _sqlite_file(url: str) -> Path | None:
    """The file a plain ``sqlite:///PATH`` URL names (as SQLAlchemy reads it); None for any
    other URL (PostgreSQL, options, an escaped or in-memory path), which Store opens."""
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return None
    database = url[len(prefix) :]
    if not database or database == ":memory:" or any(c in database for c in "?#%"):
        return None
    return Path(database)


@contextmanager
def _through_store(*, db: Path, database_url: str | None) -> Iterator[Rows]:
    from qaudit.store.engine import Store

    store = Store.from_options(db=db, database_url=database_url)
    try:
        with store.reading() as session:
            yield AlchemyRows(session.connection())
    finally:
        store.dispose()

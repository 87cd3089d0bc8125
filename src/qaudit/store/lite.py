"""Reading the store through the DB-API alone, for the everyday commands.

Importing SQLAlchemy and the table models costs more than the whole of ``qaudit --help``; the
commands people run all day (``overdue``, ``audits list``, ``complaints list``) need neither.
They read with plain SQL through ``Rows``: on a SQLite file, the standard library's ``sqlite3``
with the settings of ``store.engine`` (a busy timeout; one read transaction, so one snapshot;
the schema checked at head; never a file created); on any ``--database-url`` (PostgreSQL), the
same SQL through ``Store.reading()``. Named parameters (``:name``) read the same on both.

Values come back as each driver gives them: ``day``, ``moment`` and ``listed`` turn SQLite's text
into dates, UTC times and lists (PostgreSQL's are typed already).
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

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


def listed(value: Any) -> list[Any]:
    """A stored JSON list (SQLite keeps its text) as a list; none as an empty one."""
    if value is None:
        return []
    if isinstance(value, str | bytes):
        loaded = json.loads(value)
        return list(loaded) if isinstance(loaded, list) else []
    return list(value)


def _uri(db: Path) -> str:
    # mode=rw: a file removed meanwhile is an error, never an empty store created in its place.
    return f"file:{quote(str(db.absolute()))}?mode=rw"


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


def _sqlite_path(db: Path, database_url: str | None) -> Path | None:
    """The SQLite file the global options name, or None when ``Store`` must open the store
    (PostgreSQL, a URL with options, an in-memory store)."""
    if database_url:
        file = _sqlite_file(database_url)
        if file is None:
            return None
        db = file
    return None if str(db) in ("", ":memory:") else db


def refuse_a_non_file(path: Path) -> None:
    """A store is a file: a folder, a device (``/dev/null``) or a pipe named as one is refused
    before SQLite is asked to open it (and would fail in ways that say less)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return  # not there (init creates it), or unreadable: opening it says which
    if not stat.S_ISREG(mode):
        what = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
        raise StoreError(f"{path} is {what}: a SQLite store is a file (give another --db)")


def _open_at_head(db: Path, *, write: bool) -> sqlite3.Connection | None:
    """A connection to the store at ``db`` in a transaction (BEGIN IMMEDIATE to write, with
    ``store.engine``'s settings), its schema checked at head; None (nothing held) when it is
    not, for ``Store`` to upgrade it or say why not. Never creates a store."""
    where = str(db)
    if not db.exists():
        raise StoreError(f"no case store at {where}: run qaudit init")
    refuse_a_non_file(db)
    conn: sqlite3.Connection | None = None
    try:
        conn = sqlite3.connect(_uri(db), uri=True, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if write:
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA secure_delete = ON")
        conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        found = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone()
        current = (
            conn.execute("SELECT version_num FROM alembic_version").fetchone() if found else None
        )
    except sqlite3.Error as exc:
        if conn is not None:
            conn.close()
        raise sqlite_fault(str(exc), where) or StoreError(
            f"cannot open {where} as a store: {exc}"
        ) from None
    if current is None or current[0] != HEAD:
        conn.close()  # rolls back
        return None
    return conn


@contextmanager
def reading(*, db: Path, database_url: str | None) -> Iterator[Rows]:
    """One read transaction on the store the global options name, as ``Store.reading()``
    gives: refused when there is no store, or its schema is not at head."""
    file = _sqlite_path(db, database_url)
    conn = _open_at_head(file, write=False) if file is not None else None
    if conn is None:
        # PostgreSQL, or a schema not at head: Store says why (not a store yet, older, newer).
        with _through_store(db=db, database_url=database_url) as rows:
            yield rows
        return
    try:
        yield SqliteRows(conn)
    except sqlite3.Error as exc:
        raise sqlite_fault(str(exc), str(file)) or exc from None
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


# -- writing ----------------------------------------------------------------------------------


class Json:
    """A value for a JSON column: stored as the text ``json.dumps`` gives, as the models'
    JSON type stores it (None as the text null)."""

    def __init__(self, value: Any) -> None:
        self.text = json.dumps(value)


@dataclass(frozen=True)
class Event:
    """A change-log event, as ``store.changelog.record_change`` takes it."""

    actor: str
    action: str
    entity: str
    entity_ref: str | None
    recorded_at: datetime
    as_of: datetime
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    detail: dict[str, Any] | None = None


class WriteTx(Protocol):
    """One write transaction: plain SQL, inserts and updates that the next change-log event
    digests, and the event itself (``log``)."""

    def all(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]: ...

    def insert(self, table: str, values: Mapping[str, Any]) -> int: ...

    def update(self, table: str, key: int, values: Mapping[str, Any]) -> None: ...

    def log(self, event: Event) -> None: ...


def _insert_sql(table: str, values: Mapping[str, Any], *, pg: bool) -> str:
    names = ", ".join(f'"{name}"' for name in values)
    marks = ", ".join(_mark(name, value, pg=pg) for name, value in values.items())
    return f'INSERT INTO "{table}" ({names}) VALUES ({marks})'


def _update_sql(table: str, values: Mapping[str, Any], *, pg: bool) -> str:
    from qaudit.store.columns import TABLES

    key = TABLES[table][0]
    sets = ", ".join(f'"{name}" = {_mark(name, value, pg=pg)}' for name, value in values.items())
    return f'UPDATE "{table}" SET {sets} WHERE "{key}" = :key_'


def _mark(name: str, value: Any, *, pg: bool) -> str:
    return f"CAST(:{name} AS JSON)" if pg and isinstance(value, Json) else f":{name}"


def _bound(values: Mapping[str, Any], *, sqlite: bool) -> dict[str, Any]:
    return {
        name: value.text if isinstance(value, Json) else _sqlite_value(value) if sqlite else value
        for name, value in values.items()
    }


class SqliteTx:
    """``WriteTx`` on a sqlite3 connection in BEGIN IMMEDIATE, as ``Store.writing`` holds one:
    the writer lock, the schema at head, and the change log appended as ``store.changelog``
    appends it (the same chain, the same row counts, the same row digests)."""

    def __init__(self, conn: sqlite3.Connection, where: str) -> None:
        self._conn = conn
        self._where = where
        self._written: dict[str, set[int]] = {}
        self._extents = self._table_extents()
        self.committed = False

    def all(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        return self._conn.execute(sql, _bound(params or {}, sqlite=True)).fetchall()

    def insert(self, table: str, values: Mapping[str, Any]) -> int:
        cursor = self._conn.execute(
            _insert_sql(table, values, pg=False), _bound(values, sqlite=True)
        )
        key = cursor.lastrowid
        assert key is not None
        self._written.setdefault(table, set()).add(key)
        return key

    def update(self, table: str, key: int, values: Mapping[str, Any]) -> None:
        self._conn.execute(
            _update_sql(table, values, pg=False), {**_bound(values, sqlite=True), "key_": key}
        )
        self._written.setdefault(table, set()).add(key)

    def _table_extents(self) -> dict[str, list[int]]:
        from qaudit.store.columns import extents_sql

        return {
            name: [int(records), int(newest)]
            for name, records, newest in self._conn.execute(extents_sql())
        }

    def _blocks(self) -> list[Any]:
        from qaudit.store.blocks import BLOCK_ROWS, make_block
        from qaudit.store.columns import TABLES, select_rows_sql

        blocks = []
        written, self._written = self._written, {}
        encode = _encode_sqlite_row
        for table in sorted(written):
            ids = sorted(written[table])
            key = TABLES[table][0]
            rows: list[Any] = []
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ", ".join("?" * len(chunk))
                sql = select_rows_sql(table, f'WHERE "{key}" IN ({marks})')
                found = {row[0]: row for row in self._conn.execute(sql, chunk)}
                rows.extend(found.get(id_, id_) for id_ in chunk)  # gone: its id alone
            for start in range(0, len(rows), BLOCK_ROWS):
                blocks.append(make_block(table, rows[start : start + BLOCK_ROWS], encode))
        return blocks

    def log(self, event: Event) -> None:
        from qaudit.store.blocks import rows_digest
        from qaudit.store.chain import sealed_event

        head = self._conn.execute("SELECT hash FROM change_log ORDER BY id DESC LIMIT 1").fetchone()
        blocks = self._blocks()
        now = self._table_extents()
        extents = {"before": self._extents, "after": now}
        self._extents = now
        stored = sealed_event(
            head[0] if head is not None else None,
            **dataclasses.asdict(event),
            row_counts=extents,
            rows_digest=rows_digest(blocks),
        )
        cursor = self._conn.execute(
            _insert_sql("change_log", stored, pg=False), _bound(stored, sqlite=True)
        )
        event_id = cursor.lastrowid
        if not blocks:
            return
        (newest,) = self._conn.execute("SELECT coalesce(max(id), 0) FROM row_digests").fetchone()
        for n, block in enumerate(blocks, start=int(newest) + 1):
            self._conn.execute("INSERT INTO digest_keys (id, key) VALUES (?, ?)", (n, block.key))
            self._conn.execute(
                "INSERT INTO row_digests (id, event_id, table_name, first_id, last_id, ids,"
                " key_id, digests) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (n, event_id, block.table, block.first_id, block.last_id, block.ids, n,
                 block.digests),
            )  # fmt: skip

    def commit(self) -> None:
        # As Store.writing: every change the command made has an event after it.
        if self._written or self._table_extents() != self._extents:
            raise StoreError(
                "this command changed records after its last change-log event "
                "(a fault in qaudit): nothing was saved"
            )
        self._conn.execute("COMMIT")
        self.committed = True


def _encode_sqlite_row(row: tuple[Any, ...]) -> bytes:
    return repr(row).encode("utf-8")  # as store.digests encodes sqlite3's plain tuples


class AlchemyTx:
    """``WriteTx`` in a ``Store.writing()`` session (PostgreSQL; a store being upgraded):
    the rows written are noted for ``store.changelog.record_change``, which logs the event."""

    def __init__(self, session: Any) -> None:
        self._session = session
        self._conn = session.connection()
        self._sqlite = self._conn.dialect.name == "sqlite"

    def all(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        return AlchemyRows(self._conn).all(sql, params)

    def insert(self, table: str, values: Mapping[str, Any]) -> int:
        from sqlalchemy import text

        from qaudit.store.columns import TABLES
        from qaudit.store.digests import note_written

        sql = _insert_sql(table, values, pg=not self._sqlite) + f' RETURNING "{TABLES[table][0]}"'
        key = int(self._conn.execute(text(sql), _bound(values, sqlite=self._sqlite)).scalar_one())
        note_written(self._conn, table, (key,))
        return key

    def update(self, table: str, key: int, values: Mapping[str, Any]) -> None:
        from sqlalchemy import text

        from qaudit.store.digests import note_written

        sql = _update_sql(table, values, pg=not self._sqlite)
        self._conn.execute(text(sql), {**_bound(values, sqlite=self._sqlite), "key_": key})
        note_written(self._conn, table, (key,))

    def log(self, event: Event) -> None:
        from qaudit.store.changelog import record_change

        record_change(self._session, **dataclasses.asdict(event))


def begin_write(*, db: Path, database_url: str | None) -> SqliteTx | None:
    """A write transaction on a SQLite file whose schema is at head, through sqlite3 (the
    connection settings of ``store.engine``; BEGIN IMMEDIATE: writers take turns). None when
    ``Store.writing`` must do it: PostgreSQL, an in-memory store, a schema to upgrade (or a
    store with none, which it names). Never creates a store."""
    file = _sqlite_path(db, database_url)
    conn = _open_at_head(file, write=True) if file is not None else None
    if conn is None:
        return None
    try:
        return SqliteTx(conn, str(file))
    except sqlite3.Error as exc:
        conn.close()
        raise sqlite_fault(str(exc), str(file)) or exc from None


@contextmanager
def writing_sqlite(tx: SqliteTx) -> Iterator[SqliteTx]:
    """Commit ``tx`` when the block ends normally; roll it back on any exception."""
    try:
        try:
            yield tx
            tx.commit()
        except sqlite3.Error as exc:
            raise sqlite_fault(str(exc), tx._where) or exc from None
    finally:
        tx._conn.close()  # without a COMMIT, rolled back

"""Opening the store: connection settings, one transaction per command, schema kept at head.

SQLite gets ``foreign_keys``, WAL, ``synchronous=FULL`` and a busy timeout on every connect, and
its write transactions begin IMMEDIATE so two writers queue instead of failing half-way.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection, Engine, create_engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session

from qaudit.errors import StoreError
from qaudit.store.lite import refuse_a_non_file, sqlite_fault
from qaudit.store.migrations import HEAD

BUSY_TIMEOUT_MS = 5000
WRITER_LOCK = 7346121  # the PostgreSQL advisory lock every write transaction holds

MigrationHook = Callable[[Connection, "str | None"], None]


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Autocommit at the driver level: qaudit issues BEGIN itself (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = FULL")
    # Deleted and overwritten content is zeroed, not left in free space: an erased value, or an
    # earlier version of a note, must not linger in the file (some SQLite builds default to off).
    cursor.execute("PRAGMA secure_delete = ON")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    if conn.get_execution_options().get("qaudit_write"):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def masked_url(url: str) -> str:
    """``url`` fit to show in a message: its password, if any, as ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy reads: mask whatever sits where a password would
        return re.sub(r"(://[^/?#@:]*:).*@", r"\1***@", url)  # to the last @: overmask


class Store:
    """A case store named by a SQLAlchemy URL: a SQLite file or a PostgreSQL database."""

    def __init__(self, url: str | URL) -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        database = self.url.database
        self.path: Path | None = (
            Path(database) if self.is_sqlite and database and database != ":memory:" else None
        )
        self._engine: Engine | None = None
        self._pinned: Connection | None = None
        # The schema an upgrade in this process started from, and the copy taken before it.
        self.upgraded_from: str | None = None
        self.upgrade_backup: Path | None = None
        # Whether a transaction in this process built the schema from nothing.
        self.created_schema = False
        # Whether a write transaction of this process has committed (for honest messages
        # when a command is interrupted after it).
        self.committed = False

    @classmethod
    def from_options(cls, *, db: Path, database_url: str | None) -> Store:
        store = cls._from_options(db=db, database_url=database_url)
        if store.path is not None:
            refuse_a_non_file(store.path)
        return store

    @classmethod
    def _from_options(cls, *, db: Path, database_url: str | None) -> Store:
        if database_url:
            try:
                store = cls(database_url)
            except Exception:  # SQLAlchemy's ArgumentError and friends
                raise StoreError(f"'{masked_url(database_url)}' is not a database URL") from None
            try:
                store.url.get_dialect().import_dbapi()
            except Exception as exc:  # NoSuchModuleError, ImportError: an unknown or missing driver
                if isinstance(exc, ImportError) and store.url.get_driver_name() == "psycopg":
                    # psycopg is in the postgres extra: SQLite users need not install it.
                    raise StoreError(
                        "PostgreSQL needs the postgres extra: pip install 'qaudit[postgres]'"
                    ) from None
                raise StoreError(
                    f"'{masked_url(database_url)}' names a database qaudit cannot use: "
                    "try sqlite:///PATH or postgresql+psycopg://USER@HOST/DATABASE"
                ) from None
            return store
        return cls(URL.create("sqlite", database=str(db)))

    def describe(self) -> str:
        """Where the store is, for messages (no password)."""
        if self.is_sqlite:
            return str(self.path) if self.path else "an in-memory store"
        return self.url.render_as_string(hide_password=True)

    def exists(self) -> bool:
        return not self.is_sqlite or self.path is None or self.path.exists()

    def missing(self) -> StoreError:
        """The refusal for a command other than ``init`` on a store that does not exist."""
        return StoreError(f"no case store at {self.describe()}: run qaudit init")

    def not_yet(self) -> StoreError:
        """The refusal for a command other than ``init`` on a store with no schema yet."""
        return StoreError(f"{self.describe()} is not a qaudit store yet: run qaudit init")

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = self._create_engine()
        return self._engine

    def _create_engine(self) -> Engine:
        if not self.is_sqlite:
            return create_engine(self.url, pool_pre_ping=False, hide_parameters=True)
        # The file is created by ``writing(create=True)`` alone (``qaudit init``, ``qaudit
        # demo``): an engine is made without connecting, so making one creates nothing.
        # Never quote a statement's values (a name, a comment) in an error message.
        kwargs: dict[str, Any] = {"hide_parameters": True}
        if self.path is None:
            kwargs["poolclass"] = StaticPool  # one shared in-memory database
        engine = create_engine(self.url, **kwargs)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine

    @staticmethod
    def _create_private_file(path: Path) -> None:
        # Create the file ourselves so it is 0600 from its first byte; SQLite gives its -wal and
        # -shm files the same permissions. A link whose target does not exist yet (--db naming
        # a link into the data folder) is followed, so the target is created 0600 too; O_EXCL
        # on the link itself would fail and leave SQLite to create it with the umask's mode.
        try:
            fd = os.open(os.path.realpath(path), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            return
        except OSError as exc:
            raise StoreError(f"cannot create the store at {path}: {exc.strerror}") from None
        os.close(fd)

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    # -- schema ---------------------------------------------------------------------------

    def revision(self, conn: Connection) -> str | None:
        """The store's schema revision, or None for a store with no schema yet."""
        if self.is_sqlite:
            found = conn.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).first()
        else:
            found = conn.execute(text("SELECT to_regclass('alembic_version')")).scalar()
        if not found:
            return None
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()

    def _migrate(self, conn: Connection, on_migrate: MigrationHook | None, *, create: bool) -> bool:
        """Bring the schema to head inside the caller's write transaction; True if it had to.

        A store already at head costs one query and no Alembic import. Because the migration
        shares the command's transaction, a command that fails leaves the old schema. A store
        with no schema yet is built only when ``create`` (``qaudit init``, ``qaudit demo``);
        an older schema is upgraded by any write, after a backup (an upgrade creates nothing).
        """
        # The caller holds the writer lock (BEGIN IMMEDIATE, or PostgreSQL's advisory lock), so
        # no other command can be migrating between this check and the upgrade.
        current = self.revision(conn)
        if current == HEAD:
            return False
        if current is None and not create:
            raise self.not_yet()
        from qaudit.store.fresh import create_schema, is_empty

        if current is None and is_empty(conn):
            create_schema(conn)
            self.created_schema = True
        else:
            from qaudit.store.migrations.runner import upgrade_to_head

            backup = self.backup_before_migration(current)
            upgrade_to_head(conn, current)
            self.upgraded_from, self.upgrade_backup = current, backup
        if on_migrate is not None:
            on_migrate(conn, current)
        return True

    def check_schema(self, conn: Connection) -> None:
        current = self.revision(conn)
        if current == HEAD:
            return
        if current is None:
            raise self.not_yet()
        from qaudit.store.migrations.runner import known_revision

        if not known_revision(current):
            raise StoreError(
                f"{self.describe()} was written by a newer qaudit (schema {current}): "
                "upgrade qaudit"
            )
        raise StoreError(
            f"{self.describe()} has an older schema ({current}): run qaudit init to upgrade it"
        )

    # -- transactions ---------------------------------------------------------------------

    @contextmanager
    def _connect(self, *, write: bool) -> Iterator[Connection]:
        engine = self.engine.execution_options(qaudit_write=write)
        try:
            conn = engine.connect()
        except DBAPIError as exc:
            if self.is_sqlite:
                raise  # the file's own faults are told apart in _translate_errors
            # The server or the URL's options refused the connection (a bad host, port, user,
            # database or option): the driver's first line says which; it holds no password.
            first = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else ""
            raise StoreError(
                f"cannot connect to {self.describe()}: {first or type(exc).__name__}"
            ) from None
        with conn:
            yield conn

    @contextmanager
    def writing(
        self,
        *,
        dry_run: bool = False,
        create: bool = False,
        on_migrate: MigrationHook | None = None,
    ) -> Iterator[Session]:
        """One write transaction (BEGIN IMMEDIATE on SQLite), the schema brought to head in it.

        Commits when the block ends normally (rolls back instead for a dry run); rolls back on
        any exception. Only ``create`` (``qaudit init``, ``qaudit demo``) makes a store that
        does not exist, or builds the schema of one that has none; anything else is refused
        with "run qaudit init". A SQLite file, once created, is never removed: another command
        may have opened it, and committed to it, meanwhile. An ``init`` that fails leaves it
        without a schema at most, which every command but ``init`` calls "not a qaudit store
        yet". A dry run on a store that does not exist yet runs on an empty in-memory store
        instead (an import's file is checked before there is a store), so it creates nothing;
        on a store with no schema yet it builds one in its transaction and rolls it back.
        """
        if self.is_sqlite and self.path is not None and not self.path.exists():
            if dry_run:
                scratch = Store("sqlite://")
                try:
                    with scratch.writing(dry_run=True, on_migrate=on_migrate) as session:
                        yield session
                finally:
                    scratch.dispose()
                return
            if not create:
                raise self.missing()
            self._create_private_file(self.path)
        # An in-memory store has nothing to create on disk; a dry run's schema is rolled back.
        create = create or dry_run or (self.is_sqlite and self.path is None)
        with (
            self._translate_errors(),
            self._connect(write=True) as conn,
            Session(bind=conn) as session,
        ):
            conn.begin()
            if not self.is_sqlite:
                # Writers take turns, as BEGIN IMMEDIATE makes them on SQLite: numbering
                # (complaint refs), one sample a month and the log's hash chain rely on it.
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{BUSY_TIMEOUT_MS}ms'")
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITER_LOCK})")
            from qaudit.store.changelog import EXTENTS_KEY, table_extents

            try:
                # What the tables hold as the transaction begins: its first event records
                # it, so a change made between two commands, without one, shows as a gap.
                # (An upgrade's event starts afresh: the old schema's tables differ.)
                conn.info[EXTENTS_KEY] = None
                if not self._migrate(conn, on_migrate, create=create):
                    conn.info[EXTENTS_KEY] = table_extents(conn)
                yield session
                session.flush()
                logged = conn.info[EXTENTS_KEY]
                # (A dry run is rolled back, and logs nothing.)
                if not dry_run and logged is not None and table_extents(conn) != logged:
                    raise StoreError(
                        "this command changed records after its last change-log event "
                        "(a fault in qaudit): nothing was saved"
                    )
                if dry_run:
                    conn.rollback()
                else:
                    conn.commit()
                    self.committed = True
            except BaseException:
                conn.rollback()
                raise
            finally:
                conn.info.pop(EXTENTS_KEY, None)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """One read transaction: a consistent snapshot of the store. Never creates a store."""
        if not self.exists():
            raise self.missing()
        if self._pinned is not None:  # inside snapshot(): every read sees the same store
            with self._translate_errors(), Session(bind=self._pinned) as session:
                yield session
            return
        with self._translate_errors(), self._connect(write=False) as conn:
            if not self.is_sqlite:
                conn = conn.execution_options(
                    isolation_level="REPEATABLE READ", postgresql_readonly=True
                )
            with conn.begin(), Session(bind=conn) as session:
                self.check_schema(conn)
                yield session

    def backup_before_migration(self, current: str | None) -> Path | None:
        """A copy of a SQLite store as it was, next to it, before its schema changes.

        Taken through SQLite's backup API on a second connection: this command holds the write
        lock, so the copy is the last committed state, and no one can change it meanwhile.
        """
        if not self.is_sqlite or self.path is None or current is None:
            return None
        import sqlite3

        target = self.path.with_name(f"{self.path.name}.before-schema-{HEAD}.backup")
        number = 1
        while target.exists():
            number += 1
            target = self.path.with_name(f"{self.path.name}.before-schema-{HEAD}.{number}.backup")
        from qaudit.files import put_in_place, temporary_beside

        # Written under a private temporary name and renamed only when whole, as db backup
        # is: a copy cut short by a kill never sits under the backup's name.
        with temporary_beside(target) as temp:
            source = sqlite3.connect(self.path)
            copy = sqlite3.connect(temp)
            try:
                with copy:
                    source.backup(copy)
            finally:
                copy.close()
                source.close()
            put_in_place(temp, target, replace=False)
        return target

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Hold one read transaction open: every ``reading()`` inside sees the store as it was
        when this began, however many queries a report makes while others write."""
        if self._pinned is not None:
            yield
            return
        with self.reading() as session:
            self._pinned = session.connection()
            try:
                yield
            finally:
                self._pinned = None

    @contextmanager
    def _translate_errors(self) -> Iterator[None]:
        try:
            yield
        except OperationalError as exc:
            message = str(exc.orig) if exc.orig is not None else str(exc)
            busy = ("locked", "busy", "lock timeout")
            if not self.is_sqlite and any(word in message for word in busy):
                raise StoreError(
                    f"the store is busy ({self.describe()} is being written by another "
                    "process); try again"
                ) from None
            if self.is_sqlite and (fault := sqlite_fault(message, self.describe())) is not None:
                raise fault from None
            if not self.is_sqlite and "connection" in message.lower():
                raise StoreError(
                    f"cannot connect to {self.describe()}: {message.strip()}"
                ) from None
            raise
        except DBAPIError as exc:
            if exc.connection_invalidated:
                raise StoreError(f"lost the connection to {self.describe()}") from None
            reason = str(exc.orig) if exc.orig is not None else ""
            if self.is_sqlite and (fault := sqlite_fault(reason, self.describe())) is not None:
                raise fault from None
            raise

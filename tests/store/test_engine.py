"""The store's connection settings, schema and migrations, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel

from qaudit.errors import StoreError
from qaudit.services.changes import init_store
from qaudit.services.context import Context
from qaudit.store.engine import Store
from qaudit.store.migrations import HEAD
from qaudit.store.migrations.runner import script_head


def test_head_constant_matches_the_migration_scripts() -> None:
    assert script_head() == HEAD


def test_a_fresh_store_has_exactly_the_models_schema(store: Store, ctx: Context) -> None:
    init_store(store=store, ctx=ctx)
    with store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diffs == []


def test_init_is_idempotent_and_logs_the_migration_once(store: Store, ctx: Context) -> None:
    first = init_store(store=store, ctx=ctx)
    second = init_store(store=store, ctx=ctx)
    assert (first.revision, second.revision) == (HEAD, HEAD)
    with store.engine.connect() as conn:
        events = conn.execute(text("SELECT action, after FROM change_log")).all()
    assert [e.action for e in events] == ["store.migrate"]


@pytest.mark.parametrize(
    "statement", ["UPDATE change_log SET actor = 'x'", "DELETE FROM change_log"]
)
def test_the_change_log_refuses_update_and_delete(
    store: Store, ctx: Context, statement: str
) -> None:
    init_store(store=store, ctx=ctx)
    with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
        conn.execute(text(statement))
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM change_log")).scalar() == 1


def test_reading_a_missing_store_refuses_and_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "none.db"
    store = Store(f"sqlite:///{path}")
    with pytest.raises(StoreError, match=r"^no case store at .*none\.db: run qaudit init$"):
        with store.reading():
            pass
    assert not path.exists()


def test_reading_a_store_without_schema_says_to_init(new_db_url: str) -> None:
    store = Store(new_db_url)
    if store.path is not None:
        store.path.touch()  # an empty SQLite file (an init that failed, or `touch`)
    with pytest.raises(StoreError, match=r"not a qaudit store yet: run qaudit init$"):
        with store.reading():
            pass
    store.dispose()


def test_a_store_from_a_newer_qaudit_is_refused(store: Store, ctx: Context) -> None:
    init_store(store=store, ctx=ctx)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match="newer qaudit"), store.reading():
        pass
    with pytest.raises(StoreError, match="newer qaudit"):
        init_store(store=store, ctx=ctx)


# SQLite only: the connection settings and the file itself.


def _sqlite_store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'store.db'}")


def test_sqlite_connection_settings(tmp_path: Path, ctx: Context) -> None:
    store = _sqlite_store(tmp_path)
    init_store(store=store, ctx=ctx)
    with store.reading() as session:
        conn = session.connection()
        pragma = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("foreign_keys", "journal_mode", "synchronous", "busy_timeout")
        }
    assert pragma == {"foreign_keys": 1, "journal_mode": "wal", "synchronous": 2,
                      "busy_timeout": 5000}  # fmt: skip


def test_sqlite_store_file_is_private(tmp_path: Path, ctx: Context) -> None:
    old = os.umask(0o022)
    try:
        store = _sqlite_store(tmp_path)
        init_store(store=store, ctx=ctx)
    finally:
        os.umask(old)
    assert store.path is not None
    for path in (store.path, Path(f"{store.path}-wal")):
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_sqlite_write_transactions_begin_immediate(tmp_path: Path, ctx: Context) -> None:
    """A second writer waits for the first instead of failing half-way: the lock is taken at
    BEGIN, so it is refused at its start (here, once a short timeout has passed)."""
    store = _sqlite_store(tmp_path)
    init_store(store=store, ctx=ctx)
    with store.writing():
        other = sqlite3.connect(str(store.path), isolation_level=None, timeout=0.05)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()
        # Readers are not blocked by a writer (WAL).
        with store.reading() as session:
            assert session.connection().exec_driver_sql("SELECT count(*) FROM cases").scalar() == 0


def test_a_busy_store_is_an_error_not_a_traceback(tmp_path: Path, ctx: Context) -> None:
    store = _sqlite_store(tmp_path)
    init_store(store=store, ctx=ctx)
    import qaudit.store.engine as engine_module

    blocker = sqlite3.connect(str(store.path), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    original = engine_module.BUSY_TIMEOUT_MS
    engine_module.BUSY_TIMEOUT_MS = 50
    try:
        fresh = Store(store.url)
        with pytest.raises(StoreError, match=r"the store is busy \(.*\); try again"):
            with fresh.writing():
                pass
        fresh.dispose()
    finally:
        engine_module.BUSY_TIMEOUT_MS = original
        blocker.execute("ROLLBACK")
        blocker.close()


def test_an_up_to_date_store_does_not_import_alembic(tmp_path: Path, ctx: Context) -> None:
    store = _sqlite_store(tmp_path)
    init_store(store=store, ctx=ctx)
    code = (
        "import sys\n"
        "from qaudit.cli import main\n"
        f"sys.argv = ['qaudit', '--db', {str(store.path)!r}, 'init']\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "print('alembic' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

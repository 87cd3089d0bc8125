"""A store written by each released schema upgrades to head with every row kept.

The stores in ``tests/fixtures/stores/`` were written by the releases themselves (see
``scripts/make_store_fixtures.py``). On PostgreSQL the same rows are loaded into a schema
built to the release's revision, then upgraded the way a user's would be: by ``qaudit init``.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, MetaData, String, Table, bindparam, cast, create_engine, insert
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Connection
from typer.testing import CliRunner

from conftest import FIXTURES, Cli
from qaudit.store.migrations import HEAD

RELEASES = sorted((FIXTURES / "stores").glob("schema-*.db"))
Rows = dict[str, list[dict[str, Any]]]
# Columns a later schema dropped: schema 0008 the cases' draw key, which draws no longer read.
DROPPED = {"cases": frozenset({"draw_key"})}
# The log and its row digests, which gain the upgrade's own event (and its baseline blocks).
LOG_TABLES = frozenset({"change_log", "row_digests", "digest_keys"})


def _revision_of(fixture: Path) -> str:
    return fixture.stem.removeprefix("schema-")


def test_a_fixture_is_kept_for_every_released_schema() -> None:
    """A new migration needs its release's store kept here (scripts/make_store_fixtures.py):
    every revision before head has one."""
    from alembic.script import ScriptDirectory

    from qaudit.store.migrations.runner import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    released = {rev.revision for rev in script.walk_revisions()} - {HEAD}
    assert {_revision_of(f) for f in RELEASES} >= released
    assert {_revision_of(f) for f in RELEASES} <= released | {HEAD}


def _tables(conn: Connection) -> dict[str, Table]:
    meta = MetaData()
    meta.reflect(conn)
    return {t.name: t for t in meta.sorted_tables if t.name != "alembic_version"}


def _read(conn: Connection, *, json_as_text: bool = False) -> Rows:
    """Every row of every table, in key order, typed by the database's own column types."""
    rows: Rows = {}
    for name, table in _tables(conn).items():
        columns = [
            cast(c, String()).label(c.name) if json_as_text and isinstance(c.type, JSON) else c
            for c in table.columns
        ]
        query = sa_select(*columns).order_by(*table.primary_key.columns)
        rows[name] = [dict(r._mapping) for r in conn.execute(query)]
    return rows


def _load_into_postgres(url: str, fixture: Path) -> None:
    """The release's schema built on PostgreSQL, holding exactly the fixture's rows (the JSON
    as the very text stored, so the change log's hashes still hold)."""
    from alembic import command

    from qaudit.store.migrations.runner import alembic_config

    source = create_engine(f"sqlite:///{fixture}")
    target = create_engine(url)
    try:
        with source.connect() as src:
            rows = _read(src, json_as_text=True)
        with target.begin() as conn:
            command.upgrade(alembic_config(conn), _revision_of(fixture))
            for name, table in _tables(conn).items():
                if not rows[name]:
                    continue
                values: dict[str, Any] = {}
                for column in table.columns:
                    if isinstance(column.type, JSON):
                        values[column.name] = cast(
                            bindparam(f"p_{column.name}", type_=String()), JSON
                        )
                    else:
                        values[column.name] = bindparam(f"p_{column.name}", type_=column.type)
                conn.execute(
                    insert(table).values(values),
                    [{f"p_{k}": v for k, v in row.items()} for row in rows[name]],
                )
                if "id" in table.c and table.c.id.primary_key:
                    conn.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT max(id) FROM {name}))"
                    )
    finally:
        source.dispose()
        target.dispose()


def _store_from(fixture: Path, url: str) -> None:
    if url.startswith("sqlite"):
        shutil.copy(fixture, url.removeprefix("sqlite:///"))
    else:
        _load_into_postgres(url, fixture)


def _columns(url: str, table: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [c.name for c in _tables(conn)[table].columns]
    finally:
        engine.dispose()


def _rows(url: str) -> Rows:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return _read(conn)
    finally:
        engine.dispose()


@pytest.mark.parametrize("fixture", RELEASES, ids=lambda f: f.stem)
def test_a_released_store_upgrades_to_head_keeping_every_row(
    fixture: Path, new_db_url: str, tmp_path: Path
) -> None:
    db_url, cli = new_db_url, Cli(new_db_url, CliRunner())
    _store_from(fixture, db_url)
    before = _rows(db_url)
    assert before["cases"], "the fixture holds cases"

    done = cli("init")

    assert done.exit_code == 0, done.stderr
    upgraded = _revision_of(fixture) != HEAD
    if upgraded:
        assert done.stderr.startswith("Upgraded ")
        assert f" from schema {_revision_of(fixture)} to {HEAD}" in done.stderr
        if db_url.startswith("sqlite"):
            backup = tmp_path / f"store.db.before-schema-{HEAD}.backup"
            assert done.stderr.endswith(f"; the store as it was is kept as {backup}\n")
    else:
        assert done.stderr.startswith("Store up to date: ")
    after = _rows(db_url)
    for table, old_rows in before.items():
        assert len(after[table]) >= len(old_rows), table
        # Every row kept, each of its columns as it was but those dropped since; the upgrade
        # may add columns, and the log gains the upgrade's own event at the end.
        gone = DROPPED.get(table, frozenset())
        was = [{k: v for k, v in old.items() if k not in gone} for old in old_rows]
        kept = [{k: row[k] for k in old} for row, old in zip(after[table], was, strict=False)]
        assert kept == was, table
        if table not in LOG_TABLES:
            assert len(after[table]) == len(old_rows), table
    for table, gone in DROPPED.items():
        assert not gone & set(_columns(db_url, table)), table
    # The draws are untouched: every sample and its items exactly as they were (the items gain
    # the step that drew them, which none has: they were drawn before steps were kept).
    for table in ("samples", "sample_items"):
        if table in before:  # from schema 0002 on
            assert len(after[table]) == len(before[table]), table
            assert [{k: row[k] for k in old} for row, old in zip(
                after[table], before[table], strict=True
            )] == before[table], table  # fmt: skip
    if "sample_draws" not in before:
        assert all(item["draw_id"] is None for item in after["sample_items"])
        assert after["sample_draws"] == []
    migrated = after["change_log"][len(before["change_log"]) :]
    assert [(e["action"], e["after"]) for e in migrated] == (
        [("store.migrate", {"revision": HEAD})] if upgraded else []
    )

    verified = cli("db", "verify")
    assert verified.exit_code == 0, verified.stderr
    assert f"{len(after['change_log'])} events" in verified.stderr
    assert cli("overdue").exit_code == 0
    if upgraded and db_url.startswith("sqlite"):
        # The store as the release left it was backed up beside it before the upgrade.
        backup = tmp_path / f"store.db.before-schema-{HEAD}.backup"
        copy = sqlite3.connect(backup)
        try:
            revision = copy.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        finally:
            copy.close()
        assert revision == _revision_of(fixture)
        assert _rows(f"sqlite:///{backup}") == before

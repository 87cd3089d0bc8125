"""A new store's schema in one step: the tables as the models define them, stamped at head.

Running every migration from the first gives the same schema (a test compares the two), but
costs a new store's `qaudit init` Alembic's import and a few hundred milliseconds.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import qaudit.store.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from qaudit.store.migrations import HEAD

# The change log is append-only. The migrations keep their own frozen copy of these statements;
# this is the current form, for new stores.
APPEND_ONLY = {
    "sqlite": [
        f"CREATE TRIGGER change_log_no_{verb} BEFORE {verb.upper()} ON change_log "
        "BEGIN SELECT RAISE(ABORT, 'the change log is append-only'); END"
        for verb in ("update", "delete")
    ],
    "postgresql": [
        "CREATE FUNCTION change_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'the change log is append-only'; END $$",
        "CREATE TRIGGER change_log_no_update_delete BEFORE UPDATE OR DELETE ON change_log "
        "FOR EACH ROW EXECUTE FUNCTION change_log_append_only()",
        "CREATE TRIGGER change_log_no_truncate BEFORE TRUNCATE ON change_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION change_log_append_only()",
    ],
}


def is_empty(conn: Connection) -> bool:
    """No tables at all: a new store, not one part-way through its history."""
    if conn.dialect.name == "sqlite":
        found = conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE type = 'table' LIMIT 1")
    else:
        found = conn.execute(
            text(
                "SELECT 1 FROM information_schema.tables "
                "WHERE table_schema = current_schema() LIMIT 1"
            )
        )
    return found.first() is None


# Each dialect's CREATE TABLE and CREATE INDEX statements, compiled once a process: a test run
# makes hundreds of stores, and compiling them costs more than the database's work.
_DDL: dict[str, list[str]] = {}


def _ddl(conn: Connection) -> list[str]:
    """``metadata.create_all`` as statements: the tables in dependency order, each followed by
    its indexes (the store is known to be empty, so nothing is checked first)."""
    name = conn.dialect.name
    if name not in _DDL:
        from sqlalchemy.schema import CreateIndex, CreateTable

        statements: list[str] = []
        for table in SQLModel.metadata.sorted_tables:
            statements.append(str(CreateTable(table).compile(dialect=conn.dialect)))
            for index in sorted(table.indexes, key=lambda i: str(i.name)):
                statements.append(str(CreateIndex(index).compile(dialect=conn.dialect)))
        _DDL[name] = statements
    return _DDL[name]


def create_schema(conn: Connection) -> None:
    """Create every table, index and trigger of the current schema, and stamp it at HEAD."""
    for statement in _ddl(conn):
        conn.exec_driver_sql(statement)
    for statement in APPEND_ONLY[conn.dialect.name]:
        conn.exec_driver_sql(statement)
    conn.exec_driver_sql(
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
        "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
    )
    conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:head)"), {"head": HEAD})

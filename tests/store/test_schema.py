"""A new store is built in one step; its schema must be exactly what the migrations build."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from conftest import make_context
from qaudit.services.changes import init_store
from qaudit.store.engine import Store
from qaudit.store.migrations import HEAD
from qaudit.store.migrations.runner import upgrade_to_head


def _shape(conn: Connection) -> dict[str, Any]:
    inspector = inspect(conn)
    tables: dict[str, Any] = {}
    for name in sorted(inspector.get_table_names()):
        tables[name] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(name)
            ],
            "pk": inspector.get_pk_constraint(name)["constrained_columns"],
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in inspector.get_indexes(name)
            ),
            "unique": sorted(
                (u["name"], tuple(u["column_names"]))
                for u in inspector.get_unique_constraints(name)
            ),
            "foreign_keys": sorted(
                (f["name"], tuple(f["constrained_columns"]), f["referred_table"])
                for f in inspector.get_foreign_keys(name)
            ),
            "checks": sorted(
                (c["name"], " ".join(str(c["sqltext"]).split()))
                for c in inspector.get_check_constraints(name)
            ),
        }
    if conn.dialect.name == "sqlite":
        triggers = conn.exec_driver_sql(
            "SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
        ).all()
    else:
        triggers = conn.execute(
            text(
                "SELECT DISTINCT trigger_name, event_object_table FROM information_schema.triggers "
                "WHERE trigger_schema = current_schema() ORDER BY 1"
            )
        ).all()
    return {"tables": tables, "triggers": [tuple(t) for t in triggers]}


def test_a_new_store_equals_one_built_by_every_migration(store: Store, db_url: str) -> None:
    init_store(store=store, ctx=make_context())
    with store.engine.connect() as conn:
        fresh = _shape(conn)
    # The same database kind, built the long way: an empty schema, then every migration.
    with store.engine.begin() as conn:
        for table in (
            "alembic_version",
            *[t.name for t in reversed(SQLModel.metadata.sorted_tables)],
        ):
            conn.exec_driver_sql(f"DROP TABLE {table}")
        if conn.dialect.name != "sqlite":
            conn.exec_driver_sql("DROP FUNCTION change_log_append_only()")
    with store.engine.begin() as conn:
        upgrade_to_head(conn, None)
    with store.engine.connect() as conn:
        migrated = _shape(conn)
        assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == HEAD
    assert migrated == fresh

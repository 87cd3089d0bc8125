"""Runs Alembic on a connection the caller holds in a write transaction."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

MIGRATIONS = Path(__file__).parent


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def script_head() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def known_revision(revision: str) -> bool:
    script = ScriptDirectory.from_config(alembic_config())
    return any(rev.revision == revision for rev in script.walk_revisions())


def upgrade_to_head(connection: Connection, current: str | None) -> None:
    """Upgrade inside the caller's transaction, so a failed or killed migration leaves the
    old schema (SQLite and PostgreSQL both roll DDL back)."""
    if current is not None and not known_revision(current):
        from qaudit.errors import StoreError

        raise StoreError(f"the store was written by a newer qaudit (schema {current})")
    command.upgrade(alembic_config(connection), "head")

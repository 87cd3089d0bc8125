"""The change log is tamper-evident: any edit, removal or reordering breaks its hash chain."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from conftest import init_store_at, make_context, write_csv
from qaudit.errors import RuleError, StoreError
from qaudit.services.cases import import_cases
from qaudit.services.integrity import backup_store, restore_store, verify_store
from qaudit.store.engine import Store

ROWS = [["case_ref", "team", "worker", "category", "open_date", "close_date"]]


def _events(store: Store, tmp_path: Path, n: int = 3) -> None:
    for i in range(n):
        rows = [*ROWS, [f"C{i}", f"Team {i}", "", "CIN", "2026-01-01", ""]]
        import_cases(store=store, path=write_csv(tmp_path / f"c{i}.csv", rows), ctx=make_context())


def _tamper(store: Store, statement: str) -> None:
    """What someone with the database file could do: lift the guard and rewrite history."""
    with store.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER change_log_no_update")
            conn.exec_driver_sql("DROP TRIGGER change_log_no_delete")
        else:
            conn.exec_driver_sql("ALTER TABLE change_log DISABLE TRIGGER USER")
        conn.execute(text(statement))


def test_a_sound_log_verifies_and_gives_its_head(store: Store, tmp_path: Path) -> None:
    _events(store, tmp_path)
    result = verify_store(store=store)
    assert result.ok and result.events == 4  # the schema's creation and three imports
    assert result.head is not None and len(result.head) == 64
    at_head = verify_store(store=store, expect=result.head)
    assert at_head.ok and at_head.kept is not None
    assert (at_head.kept.id, at_head.kept.events_since) == (4, 0)
    wrong = verify_store(store=store, expect="0" * 64)
    assert wrong.problems == [
        f"{'0' * 64} is not the hash of any event in the change log: the log was rewritten or "
        "cut short"
    ]


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        (
            "UPDATE change_log SET actor = 'mallory' WHERE id = 3",
            "event 3 (cases.import) was changed after it was written",
        ),
        ("DELETE FROM change_log WHERE id = 2", "event 3 does not follow the event before it"),
        (
            "UPDATE change_log SET detail = (SELECT detail FROM change_log WHERE id = 4) "
            "WHERE id = 3",
            "event 3 (cases.import) was changed after it was written",
        ),
        (
            # The newest event: the records it added are left without one, and the head
            # kept elsewhere no longer matches.
            "DELETE FROM change_log WHERE id = 4",
            "records changed since the newest event (3) without an event of their own: "
            "cases 2 → 3, teams 2 → 3",
        ),
    ],
    ids=["edit", "delete", "reorder-content", "cut-the-end"],
)
def test_tampering_is_detected(store: Store, tmp_path: Path, statement: str, problem: str) -> None:
    _events(store, tmp_path)
    head = verify_store(store=store).head
    _tamper(store, statement)
    result = verify_store(store=store, expect=head)
    assert not result.ok
    assert result.problems[0].startswith(problem)
    if statement.startswith("DELETE FROM change_log WHERE id = 4"):
        assert "is not the hash of any event" in result.problems[-1]


def test_backup_is_consistent_private_and_never_overwrites(tmp_path: Path) -> None:
    init_store_at(f"sqlite:///{tmp_path / 'store.db'}")
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    _events(store, tmp_path)
    target = tmp_path / "backup.db"
    checked = backup_store(store=store, target=target)
    assert checked.ok and checked.head == verify_store(store=store).head
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with pytest.raises(RuleError, match=r"backup\.db exists") as refused:
        backup_store(store=store, target=target)
    assert refused.value.remedy == "force"  # the command line: "(give --force to replace it)"
    assert backup_store(store=store, target=target, force=True).ok
    _tamper(store, "UPDATE change_log SET actor = 'mallory' WHERE id = 2")
    restored = restore_store(store=store, backup=target, ctx=make_context())
    assert restored.kept_aside.exists()
    assert verify_store(store=Store(store.url)).head == checked.head
    store.dispose()


def test_postgresql_backups_are_pg_dump_s_job(pg_url: str, tmp_path: Path) -> None:
    store = Store(pg_url)
    with pytest.raises(StoreError, match="for PostgreSQL use pg_dump and pg_restore"):
        backup_store(store=store, target=tmp_path / "x.db")
    store.dispose()


def test_the_chain_survives_the_upgrade_of_an_older_store(new_db_url: str, tmp_path: Path) -> None:
    """Events written before the chain existed are chained in order by the migration (which
    any write makes: an upgrade is not a creation, so it needs no `qaudit init`)."""
    db_url = new_db_url
    from alembic import command

    from qaudit.store.migrations.runner import alembic_config

    engine = create_engine(db_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0004")
        for n in range(3):
            conn.execute(
                text(
                    "INSERT INTO change_log (recorded_at, as_of, actor, action, entity, "
                    "entity_ref, after) VALUES (:at, :at, 'old', 'cases.import', 'case_file', "
                    ":ref, :after)"
                ),
                {"at": f"2026-0{n + 1}-01 09:00:00", "ref": f"f{n}.csv", "after": '{"n": 1}'},
            )
    engine.dispose()
    store = Store(db_url)
    _events(store, tmp_path, n=1)  # the first write upgrades the store, then logs
    result = verify_store(store=store)
    assert result.ok, result.problems
    assert result.events == 5  # three old, the migration, the import
    store.dispose()

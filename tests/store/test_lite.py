"""store.lite: the everyday lists' reader refuses as Store does, creates nothing, and reads
SQLite's text and integers as dates, times and booleans."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qaudit.cli import app
from qaudit.errors import StoreError
from qaudit.store import lite

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "stores"


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--today", "2026-12-01", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("how", ["--db", "--database-url"])
def test_a_missing_store_is_refused_and_not_created(tmp_path: Path, how: str) -> None:
    db = tmp_path / "nothing here.db"
    where = str(db) if how == "--db" else f"sqlite:///{db}"
    for args in (["overdue"], ["audits", "list"], ["complaints", "list"]):
        code, out, err = _run(how, where, *args)
        assert (code, out) == (1, "")
        assert err == f"Error: no case store at {db}: run qaudit init\n"
    assert list(tmp_path.iterdir()) == []


def test_a_file_that_is_not_a_store_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "notes.db"
    db.write_text("not a database, just notes\n" * 100)
    before = db.read_bytes()
    code, out, err = _run("--db", str(db), "overdue")
    assert (code, out) == (1, "")
    assert err.startswith(f"Error: {db} is not a usable case store: SQLite says ")
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.db"]


def test_an_older_schema_is_named_and_left_as_it_was(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    shutil.copyfile(FIXTURES / "schema-0006.db", db)
    before = _dump(db)
    code, out, err = _run("--db", str(db), "overdue")
    assert (code, out) == (1, "")
    assert err == f"Error: {db} has an older schema (0006): run qaudit init to upgrade it\n"
    assert _dump(db) == before


def _dump(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def test_a_newer_schema_is_named(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    assert _run("--db", str(db), "init", "-q")[0] == 0
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.close()
    code, out, err = _run("--db", str(db), "complaints", "list")
    assert (code, out) == (1, "")
    assert err == f"Error: {db} was written by a newer qaudit (schema 9999): upgrade qaudit\n"


def test_an_empty_file_is_not_a_store_yet(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    db.touch()
    code, _, err = _run("--db", str(db), "audits", "list")
    assert code == 1
    assert err == f"Error: {db} is not a qaudit store yet: run qaudit init\n"


def test_reads_while_another_process_holds_the_write_lock(tmp_path: Path) -> None:
    db = tmp_path / "busy.db"
    assert _run("--db", str(db), "init", "-q")[0] == 0
    writer = sqlite3.connect(db, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO teams (name) VALUES ('Not yet committed')")
        with lite.reading(db=db, database_url=None) as rows:
            assert rows.all("SELECT name FROM teams") == []  # the committed snapshot
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_a_missing_store_raises_store_error_before_touching_anything(tmp_path: Path) -> None:
    with (
        pytest.raises(StoreError, match="no case store"),
        lite.reading(db=tmp_path / "x.db", database_url=None),
    ):
        pass
    assert not (tmp_path / "x.db").exists()


def test_values_as_sqlite_keeps_them() -> None:
    assert lite.day("2026-12-01") == date(2026, 12, 1)
    assert lite.day(date(2026, 12, 1)) == date(2026, 12, 1)
    assert lite.day(None) is None
    assert lite.moment("2026-10-24 11:00:00.000000") == datetime(2026, 10, 24, 11, tzinfo=UTC)
    assert lite.moment(datetime(2026, 10, 24, 11)) == datetime(2026, 10, 24, 11, tzinfo=UTC)
    assert lite.listed('["delay", "contact"]') == ["delay", "contact"]
    assert lite.listed(None) == [] and lite.listed(["a"]) == ["a"]


def test_parameters_are_bound_as_sqlalchemy_stores_them() -> None:
    aware = datetime(2026, 10, 25, 11, 30, tzinfo=UTC)
    assert lite._sqlite_value(aware) == "2026-10-25 11:30:00.000000"
    assert lite._sqlite_value(date(2026, 1, 2)) == "2026-01-02"
    assert lite._sqlite_value("x") == "x"


def test_a_path_with_uri_characters_opens_the_file_it_names(tmp_path: Path) -> None:
    odd = tmp_path / "a?b#c %41 ü"
    odd.mkdir()
    db = odd / "store.db"
    assert _run("--db", str(db), "init", "-q")[0] == 0
    code, out, err = _run("--db", str(db), "overdue", "-f", "csv")
    assert (code, err) == (0, "")
    assert out.startswith("kind,ref,")
    assert sorted(p.name for p in odd.iterdir() if not p.name.startswith("store.db")) == []


def test_only_plain_sqlite_urls_are_read_directly() -> None:
    assert lite._sqlite_file("sqlite:////tmp/a b.db") == Path("/tmp/a b.db")
    assert lite._sqlite_file("sqlite:///rel.db") == Path("rel.db")
    for other in (
        "sqlite://",
        "sqlite:///:memory:",
        "sqlite:///file:x.db?mode=ro&uri=true",
        "sqlite:///a%20b.db",
        "postgresql+psycopg://postgres@127.0.0.1/test",
    ):
        assert lite._sqlite_file(other) is None

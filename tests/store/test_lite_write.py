"""``qaudit grade`` through sqlite3 alone (store.lite.SqliteTx) writes what the same service
writes through Store (AlchemyTx): the same rows, the same change-log event, digests that
``db verify`` accepts and that catch a row edited afterwards; and it refuses as Store does."""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import make_context, write_csv
from qaudit.cli import app
from qaudit.domain.grades import Grade
from qaudit.errors import StoreError
from qaudit.services.audits import record_grade
from qaudit.services.grading import GradeInput, record_grade_in
from qaudit.store import lite
from qaudit.store.engine import Store

STAFF = [
    ["name", "role", "team"],
    ["Ann Auditor", "auditor", "Quality Assurance"],
    ["Hal Head", "head_of_service", "Team A;Team B"],
    ["Quinn Lead", "qa_lead", "Quality Assurance"],
]
CASES = [["case_ref", "team", "worker", "category", "open_date", "close_date"]] + [
    [f"K{i:03d}", ["Team A", "Team B"][i % 2], "", "CIN", "2025-01-01", ""] for i in range(8)
]
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "stores"


def _q(db: Path, *args: str, today: str = "2026-12-01") -> Any:
    result = CliRunner().invoke(app, ["--db", str(db), "--today", today, *args])
    return result


@pytest.fixture
def sampled(tmp_path: Path) -> Path:
    """A SQLite store with staff, eight cases and December's sample of all of them."""
    db = tmp_path / "store.db"
    assert _q(db, "init", "-q").exit_code == 0
    assert _q(db, "staff", "import", str(write_csv(tmp_path / "s.csv", STAFF))).exit_code == 0
    assert _q(db, "cases", "import", str(write_csv(tmp_path / "c.csv", CASES))).exit_code == 0
    drawn = _q(db, "sample", "--month", "2026-12", "--size", "8", "--seed", "3")
    assert drawn.exit_code == 0, drawn.stderr
    return db


def _rows(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(db)
    try:
        out = {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
            for table in ("audits", "sample_items", "moderations", "reaudits")
        }
        out["change_log"] = conn.execute(
            "SELECT id, recorded_at, as_of, actor, action, entity, entity_ref, before, after,"
            " detail, row_counts, prev_hash IS NOT NULL FROM change_log ORDER BY id"
        ).fetchall()
        out["row_digests"] = conn.execute(
            "SELECT id, event_id, table_name, first_id, last_id, ids, key_id, length(digests)"
            " FROM row_digests ORDER BY id"
        ).fetchall()
        return out
    finally:
        conn.close()


def _entries() -> list[GradeInput]:
    on = date(2026, 12, 10)
    return [
        GradeInput("K001", Grade.INADEQUATE, "Ann Auditor", on, themes=["planning"],
                   development="Plan out of date", family_feedback="Heard"),
        GradeInput("K002", Grade.GOOD, "Ann Auditor", on, answers={"q1": "good"}),
        GradeInput("K003", Grade.OUTSTANDING, "Ann Auditor", on, views_gathered=False),
        # the re-audit of K001, six weeks on
        GradeInput("K001", Grade.REQUIRES_IMPROVEMENT, "Ann Auditor", date(2027, 1, 21)),
    ]  # fmt: skip


def test_sqlite3_and_store_write_the_same(sampled: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    shutil.copyfile(sampled, other)
    for entry in _entries():
        ctx = replace(make_context(today="2027-01-21"), user="Ann Auditor")
        tx = lite.begin_write(db=sampled, database_url=None)
        assert isinstance(tx, lite.SqliteTx)
        with lite.writing_sqlite(tx):
            through_sqlite3 = record_grade_in(tx, ctx, entry)
        assert tx.committed
        store = Store(f"sqlite:///{other}")
        try:
            through_store = record_grade(store=store, ctx=ctx, entry=entry)
        finally:
            store.dispose()
        assert through_sqlite3 == through_store
    assert _rows(sampled) == _rows(other)
    for db in (sampled, other):
        verified = _q(db, "db", "verify", today="2027-01-21")
        assert verified.exit_code == 0, verified.stderr


def test_a_row_edited_after_a_grade_is_caught(sampled: Path) -> None:
    graded = _q(sampled, "--user", "Ann Auditor", "grade", "K004", "--grade", "good", "-q")
    assert graded.exit_code == 0, graded.stderr
    assert _q(sampled, "db", "verify").exit_code == 0
    with sqlite3.connect(sampled) as conn:
        conn.execute("UPDATE audits SET grade = 'outstanding' WHERE id = 1")
    conn.close()
    verified = _q(sampled, "db", "verify")
    assert verified.exit_code == 1
    assert "audits 1 changed since event" in verified.stderr


def test_a_busy_store_is_refused_and_nothing_is_written(
    sampled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lite, "BUSY_TIMEOUT_MS", 50)
    before = _rows(sampled)
    holder = sqlite3.connect(sampled, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        graded = _q(sampled, "--user", "Ann Auditor", "grade", "K004", "--grade", "good")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert graded.exit_code == 1
    assert graded.stderr == (
        f"Error: the store is busy ({sampled} is being written by another process); try again\n"
    )
    assert _rows(sampled) == before


def test_a_missing_store_is_refused_and_not_created(tmp_path: Path) -> None:
    db = tmp_path / "none.db"
    graded = _q(db, "--user", "Ann Auditor", "grade", "K004", "--grade", "good")
    assert (graded.exit_code, graded.stderr) == (
        1,
        f"Error: no case store at {db}: run qaudit init\n",
    )
    assert list(tmp_path.iterdir()) == []


def test_a_refused_grade_writes_nothing(sampled: Path) -> None:
    before = _rows(sampled)
    graded = _q(sampled, "--user", "Hal Head", "grade", "K004", "--grade", "good")
    assert graded.exit_code == 1
    assert graded.stderr.startswith("Error: Hal Head is a head of service: audits are recorded")
    assert _rows(sampled) == before


def test_an_older_store_is_upgraded_by_store_first(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    shutil.copyfile(FIXTURES / "schema-0006.db", db)
    assert lite.begin_write(db=db, database_url=None) is None  # Store's to upgrade
    graded = _q(db, "--user", "Nobody Known", "grade", "NOPE", "--grade", "good")
    assert graded.exit_code == 1
    assert graded.stderr == "Error: no case 'NOPE' in the store (see qaudit cases list)\n"
    with sqlite3.connect(db) as conn:  # the failed command's upgrade was rolled back
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("0006",)
    conn.close()


def test_rows_written_after_the_last_event_are_not_saved(sampled: Path) -> None:
    before = _rows(sampled)
    tx = lite.begin_write(db=sampled, database_url=None)
    assert tx is not None
    with pytest.raises(StoreError, match="after its last change-log event"):
        with lite.writing_sqlite(tx):
            tx.update("sample_items", 1, {"status": "done"})
    assert not tx.committed
    assert _rows(sampled) == before

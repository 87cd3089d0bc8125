"""`db erase` removes every piece of a case's personal text from its rows, the change log and
the store's files; an erased case stays erased across imports until `db unerase` lifts it."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from conftest import Cli, snapshot, write_csv
from qaudit.store.engine import Store

STAFF = [
    ["name", "role", "team"],
    ["Ann Auditor", "auditor", "Quality Assurance"],
    ["Hal Head", "head_of_service", "Team A"],
]
HEADER = ["case_ref", "team", "worker", "category", "open_date", "close_date", "date_of_birth"]
CASES = [
    HEADER,
    ["K1", "Team A", "Wendy Worker", "CIN", "2025-01-01", "", "2013-07-19"],
    ["K2", "Team A", "Other Worker", "CIN", "2025-01-01", "", "2014-02-02"],
]
# One distinctive string for each free-text field about a case.
SECRETS = {
    "strengths": "Strength-Zebra-Quokka",
    "development": "Develop-Narwhal-Okapi",
    "family_feedback": "Family-Axolotl-Pangolin",
    "moderation_notes": "Notes-Tapir-Wombat",
    "complaint_summary": "Summary-Capybara-Ibis",
    "late_reason": "Late-Gecko-Marmot in hospital",
    "extension_reason": "Extension-Heron-Lemur abroad",
}


def _ok(cli: Cli, *args: str, today: str = "2026-12-01") -> Any:
    result = cli(*args, today=today)
    assert result.exit_code == 0, result.stderr
    return result


def _case_with_everything(cli: Cli, tmp_path: Path) -> None:
    """K1 with a date of birth, a worker, an Inadequate audit with its free text, moderation
    notes, and a complaint extended late (with the reason) whose second stage was accepted
    late."""
    _ok(cli, "init")
    _ok(cli, "staff", "import", str(write_csv(tmp_path / "s.csv", STAFF)))
    _ok(cli, "cases", "import", str(write_csv(tmp_path / "c.csv", CASES)))
    graded = _ok(
        cli, "grade", "K1", "--grade", "inadequate", "--adhoc", "--auditor", "Ann Auditor",
        "--strength", SECRETS["strengths"], "--development", SECRETS["development"],
        "--family-feedback", SECRETS["family_feedback"], "--format", "json",
    )  # fmt: skip
    audit_id = str(graded.json()["audit_id"])
    _ok(
        cli, "moderate", audit_id, "--moderator", "Hal Head", "--agree",
        "--conversation-date", "2026-12-01", "--notes", SECRETS["moderation_notes"],
    )  # fmt: skip
    logged = _ok(
        cli, "complaints", "log", "--received", "2026-10-26", "--case", "K1",
        "--summary", SECRETS["complaint_summary"], "--format", "json",
    )  # fmt: skip
    ref = logged.json()["ref"]
    _ok(
        cli, "complaints", "extend", ref, "--days", "5", "--late-agreed",
        "--reason", SECRETS["extension_reason"], today="2026-11-10",
    )  # fmt: skip
    _ok(cli, "complaints", "letter", ref, "--date", "2026-11-13", today="2026-11-13")
    _ok(
        cli, "complaints", "next-stage", ref, "--requested", "2026-12-14",
        "--late", SECRETS["late_reason"], today="2026-12-14",
    )  # fmt: skip


def _personal(url: str) -> dict[str, Any]:
    """Every personal field of K1 as stored."""
    store = Store(url)
    try:
        with store.engine.connect() as conn:
            case = conn.execute(
                text("SELECT id, date_of_birth, worker_id FROM cases WHERE case_ref = 'K1'")
            ).one()
            return {
                "case": (case[1], case[2]),
                "audits": conn.execute(
                    text(
                        "SELECT strengths, development, family_feedback, answers FROM audits "
                        "WHERE case_id = :id"
                    ),
                    {"id": case[0]},
                ).all(),
                "notes": conn.execute(
                    text(
                        "SELECT m.notes FROM moderations m JOIN audits a ON a.id = m.audit_id "
                        "WHERE a.case_id = :id"
                    ),
                    {"id": case[0]},
                ).all(),
                "summaries": conn.execute(
                    text("SELECT summary FROM complaints WHERE case_id = :id"), {"id": case[0]}
                ).all(),
                "reaudit_notes": conn.execute(
                    text("SELECT note FROM reaudits WHERE case_id = :id"), {"id": case[0]}
                ).all(),
                "extension_reasons": conn.execute(
                    text(
                        "SELECT e.reason FROM complaint_extensions e JOIN complaint_stages s "
                        "ON s.id = e.stage_id JOIN complaints c ON c.id = s.complaint_id "
                        "WHERE c.case_id = :id"
                    ),
                    {"id": case[0]},
                ).all(),
                "late": conn.execute(
                    text(
                        "SELECT s.late_reason FROM complaint_stages s JOIN complaints c "
                        "ON c.id = s.complaint_id WHERE c.case_id = :id ORDER BY s.stage"
                    ),
                    {"id": case[0]},
                ).all(),
            }
    finally:
        store.dispose()


def test_erase_removes_every_free_text_field(cli: Cli, tmp_path: Path) -> None:
    _case_with_everything(cli, tmp_path)
    log = _ok(cli, "log", "--format", "json").stdout
    for name, secret in SECRETS.items():  # no event written now holds the text itself
        assert secret not in log, name
    erased = _ok(cli, "db", "erase", "K1", "--reason", "SAR-2026-017", "--yes")
    assert erased.stderr.startswith(
        "Erased the personal details of K1 (1 audit, 1 moderation, 1 complaint, "
        "2 complaint stages); later case imports keep it erased."
    )
    assert "older change-log event" not in erased.stderr
    assert _personal(cli.url) == {
        "case": (None, None),
        "audits": [(None, None, None, None)],
        "notes": [(None,)],
        "summaries": [(None,)],
        "reaudit_notes": [(None,)],
        "extension_reasons": [(None,)],
        "late": [(None,), (None,)],
    }
    log = _ok(cli, "log", "--format", "json").stdout
    for name, secret in SECRETS.items():
        assert secret not in log, name
    assert '"reason": "SAR-2026-017"' in _ok(cli, "log", "--action", "case.erase", "--format",
                                             "json").stdout  # fmt: skip
    assert "sound" in _ok(cli, "db", "verify").stderr


def test_sqlite_erase_leaves_no_trace_in_the_files(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    db = tmp_path / "store.db"
    cli = Cli(f"sqlite:///{db}", CliRunner())
    _case_with_everything(cli, tmp_path)
    erased = _ok(cli, "db", "erase", "K1", "--reason", "SAR-2026-017", "--yes")
    assert f"From the files: the freed space in {db} was overwritten and its WAL emptied." in (
        erased.stderr
    )
    assert "Warning" not in erased.stderr
    blob = b"".join(p.read_bytes() for p in tmp_path.glob("store.db*"))
    for name, secret in SECRETS.items():
        assert secret.encode() not in blob, name
    assert b"2013-07-19" not in blob
    assert b"2014-02-02" in blob  # another case's details stay


def test_sqlite_zeroes_what_it_frees_on_every_connection(tmp_path: Path) -> None:
    """Not only in an erase: an earlier version of a note, overwritten by an ordinary command,
    must not stay in the file's free space either. (Debian's SQLite has this on by default,
    others do not.)"""
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    finally:
        store.dispose()


def test_an_old_event_holding_the_text_is_counted_honestly(cli: Cli, tmp_path: Path) -> None:
    """Before events kept references, a late reason went into the log as text; the chain
    seals such an event, so erase leaves it and says so."""
    from sqlmodel import Session

    from conftest import make_context
    from qaudit.store.changelog import record_change

    _case_with_everything(cli, tmp_path)
    ref = _ok(cli, "complaints", "list", "--format", "json").json()[0]["ref"]
    store = Store(cli.url)
    ctx = make_context()
    try:
        with store.writing() as session:
            assert isinstance(session, Session)
            record_change(
                session, actor="tester", action="complaint.next_stage", entity="complaint",
                entity_ref=ref, recorded_at=ctx.recorded_at, as_of=ctx.now,
                after={"stage": 2, "late_reason": SECRETS["late_reason"]},
            )  # fmt: skip
    finally:
        store.dispose()
    erased = _ok(cli, "db", "erase", "K1", "--reason", "SAR-2026-017", "--yes")
    assert (
        "Warning: 1 older change-log event still holds text about this case: the hash chain "
        "seals it, so it stays (events written now keep no such text)."
    ) in " ".join(erased.stderr.split())
    assert "sound" in _ok(cli, "db", "verify").stderr


def test_an_erased_case_stays_erased_across_imports_until_unerased(
    cli: Cli, tmp_path: Path
) -> None:
    _ok(cli, "staff", "import", str(write_csv(tmp_path / "s.csv", STAFF)))
    cases = write_csv(tmp_path / "c.csv", CASES)
    _ok(cli, "cases", "import", str(cases))
    _ok(cli, "db", "erase", "K1", "--reason", "SAR-2026-017", "--yes")
    again = _ok(cli, "cases", "import", str(cases))
    assert "0 updated" in again.stderr
    assert (
        "Warning: 1 erased case kept erased: the date of birth and worker the file gives for "
        "it were not stored"
    ) in " ".join(again.stderr.split())
    assert _personal(cli.url)["case"] == (None, None)
    listed = _ok(cli, "cases", "list", "--format", "json").json()
    assert {c["case_ref"]: c["worker"] for c in listed} == {"K1": None, "K2": "Other Worker"}

    refused = cli("db", "unerase", "K2", "--reason", "mistake")
    assert refused.exit_code == 1
    assert refused.stderr == "Error: case K2 is not erased: nothing to lift\n"
    lifted = _ok(cli, "db", "unerase", "K1", "--reason", "Erased in error, ticket QA-118")
    assert lifted.stderr.startswith("Lifted the erasure of K1")
    restored = _ok(cli, "cases", "import", str(cases))
    assert "1 updated" in restored.stderr
    assert "kept erased" not in restored.stderr
    dob, worker = _personal(cli.url)["case"]
    assert str(dob) == "2013-07-19" and worker is not None
    events = _ok(cli, "log", "--action", "case.unerase", "--format", "json").stdout
    assert "Erased in error, ticket QA-118" in events
    assert "sound" in _ok(cli, "db", "verify").stderr


def test_erase_needs_a_reason(cli: Cli, tmp_path: Path) -> None:
    _ok(cli, "cases", "import", str(write_csv(tmp_path / "c.csv", CASES)))
    refused = cli("db", "erase", "K1", "--reason", "  ", "--yes")
    assert refused.exit_code == 1
    assert refused.stderr == "Error: an erasure needs a reason (--reason)\n"
    before = snapshot(cli.url)
    _ok(cli, "db", "erase", "K1", "--reason", "SAR-2026-017", "--yes")
    erased = snapshot(cli.url)
    assert erased != before
    lifted = cli("db", "unerase", "K1", "--reason", "")
    assert lifted.exit_code == 1
    assert lifted.stderr == "Error: lifting an erasure needs a reason (--reason)\n"
    assert snapshot(cli.url) == erased


def test_a_concurrent_reader_is_reported_not_hidden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader holding an older snapshot stops the checkpoint: the erase is committed (exit
    0), but it says the old values are still in the files, and never that they left."""
    from typer.testing import CliRunner

    import qaudit.services.erasure as erasure

    monkeypatch.setattr(erasure, "CHECKPOINT_WAIT_MS", 100)
    db = tmp_path / "store.db"
    cli = Cli(f"sqlite:///{db}", CliRunner())
    _case_with_everything(cli, tmp_path)
    reader = sqlite3.connect(db, isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM audits").fetchall()
        erased = cli("db", "erase", "K1", "--reason", "SAR-2026-017", "--yes")
    finally:
        reader.execute("COMMIT")
        reader.close()
    assert erased.exit_code == 0, erased.stderr
    said = " ".join(erased.stderr.split())
    assert (
        f"Warning: another process is reading the store, so the old values are still in {db} "
        "or its -wal file until it finishes. Run this erase again then to remove them from the "
        "files."
    ) in said
    assert "WAL emptied" not in said
    assert _personal(cli.url)["case"] == (None, None)  # the erase itself was committed
    again = _ok(cli, "db", "erase", "K1", "--reason", "SAR-2026-017 (files)", "--yes")
    assert "Warning" not in again.stderr
    blob = b"".join(p.read_bytes() for p in tmp_path.glob("store.db*"))
    for name, secret in SECRETS.items():
        assert secret.encode() not in blob, name


# PostgreSQL: the old row versions must leave the table files too. A database of its own, so
# no other session's open transaction holds the old versions alive, and no other PostgreSQL test
# running meanwhile (pg_alone): a transaction open in any database holds back VACUUM's horizon.


@pytest.fixture
def own_pg_database(pg_database: str, pg_alone: None) -> Iterator[str]:
    base = pg_database
    name = f"qaudit_erase_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def _table_files(url: str) -> bytes:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("CHECKPOINT"))
            blobs = conn.execute(
                text(
                    "SELECT pg_read_binary_file(pg_relation_filepath(c.oid)) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname IN ('public', 'pg_toast') AND c.relkind IN ('r', 't') "
                    "AND pg_relation_filepath(c.oid) IS NOT NULL"
                )
            ).scalars()
            return b"".join(bytes(b) for b in blobs if b is not None)
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgres_erase_leaves_no_trace_in_the_table_files(
    own_pg_database: str, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    cli = Cli(own_pg_database, CliRunner())
    _case_with_everything(cli, tmp_path)
    assert SECRETS["strengths"].encode() in _table_files(own_pg_database)  # the check can see
    erased = _ok(cli, "db", "erase", "K1", "--reason", "SAR-2026-017", "--yes")
    said = " ".join(erased.stderr.split())
    assert "From the files: VACUUM FULL rewrote cases, audits, moderations, complaints, " in said
    assert "Warning" not in said
    files = _table_files(own_pg_database)
    for name, secret in SECRETS.items():
        assert secret.encode() not in files, name
    assert "sound" in _ok(cli, "db", "verify").stderr


@pytest.mark.postgres
def test_postgres_says_when_an_older_transaction_keeps_the_old_rows(
    own_pg_database: str, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    cli = Cli(own_pg_database, CliRunner())
    _case_with_everything(cli, tmp_path)
    reader = create_engine(own_pg_database)
    try:
        with reader.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                conn.execute(text("SELECT count(*) FROM audits")).scalar()  # takes a snapshot
                erased = cli("db", "erase", "K1", "--reason", "SAR-2026-017", "--yes")
    finally:
        reader.dispose()
    assert erased.exit_code == 0, erased.stderr
    said = " ".join(erased.stderr.split())
    assert (
        "Warning: 1 other database session(s) may hold a transaction that began before the "
        "erase, so PostgreSQL may keep the old row versions of cases, audits, moderations, "
        "complaints, complaint_stages, complaint_extensions, reaudits in its table files until "
        "they end. Run this erase again then to remove them from the files."
    ) in said
    assert "From the files" not in said
    assert _personal(cli.url)["case"] == (None, None)
    again = _ok(cli, "db", "erase", "K1", "--reason", "SAR-2026-017 (files)", "--yes")
    assert "Warning" not in again.stderr
    files = _table_files(own_pg_database)
    for name, secret in SECRETS.items():
        assert secret.encode() not in files, name


def test_erase_clears_a_cancelled_reaudits_note(cli: Cli, tmp_path: Path) -> None:
    """A re-audit cancelled at moderation carries a note; erase clears it with the rest."""
    _ok(cli, "init")
    _ok(cli, "staff", "import", str(write_csv(tmp_path / "s.csv", STAFF)))
    _ok(cli, "cases", "import", str(write_csv(tmp_path / "c.csv", CASES)))
    graded = _ok(
        cli, "grade", "K1", "--grade", "inadequate", "--adhoc", "--auditor", "Ann Auditor",
        "--format", "json",
    )  # fmt: skip
    audit_id = str(graded.json()["audit_id"])
    _ok(
        cli, "moderate", audit_id, "--moderator", "Hal Head", "--regrade", "good",
        "--conversation-date", "2026-12-01",
    )  # fmt: skip
    assert _personal(cli.url)["reaudit_notes"] == [("regraded Good at moderation by Hal Head",)]
    _ok(cli, "db", "erase", "K1", "--reason", "SAR-2026-018", "--yes")
    assert _personal(cli.url)["reaudit_notes"] == [(None,)]
    assert "sound" in _ok(cli, "db", "verify").stderr


ACTION_SECRET = "Action-Quetzal-Tamarin visit"


def test_erase_removes_the_text_of_the_cases_actions(cli: Cli, tmp_path: Path) -> None:
    """What an audit asked to be done about the case is free text about it: an erased case's
    actions keep their owner, dates and state, and lose their text; another case's stay."""
    _ok(cli, "init")
    _ok(cli, "staff", "import", str(write_csv(tmp_path / "s.csv", STAFF)))
    _ok(cli, "cases", "import", str(write_csv(tmp_path / "c.csv", CASES)))
    for case in ("K1", "K2"):
        _ok(
            cli, "grade", case, "--grade", "good", "--adhoc", "--auditor", "Ann Auditor",
            "--action", f"{ACTION_SECRET} {case};Hal Head;2026-12-20",
        )  # fmt: skip
    _ok(cli, "actions", "done", "1", today="2026-12-02")
    _ok(cli, "db", "erase", "K1", "--reason", "SAR-2026-018", "--yes")
    store = Store(cli.url)
    try:
        with store.engine.connect() as conn:
            rows = conn.execute(text("SELECT id, text, status FROM actions ORDER BY id")).all()
    finally:
        store.dispose()
    assert [tuple(r) for r in rows] == [(1, "[erased]", "done"), (2, f"{ACTION_SECRET} K2", "open")]
    assert ACTION_SECRET not in _ok(cli, "log", "--format", "json").stdout
    assert "sound" in _ok(cli, "db", "verify").stderr  # the rewritten rows digested afresh
    if cli.url.startswith("sqlite"):
        blob = b"".join(p.read_bytes() for p in tmp_path.glob("store.db*"))
        assert f"{ACTION_SECRET} K1".encode() not in blob

"""Only `qaudit init` and `qaudit demo` create a store: any other command on a store that does
not exist (a SQLite file not there, a PostgreSQL schema without qaudit's tables) is refused with
"run qaudit init", and creates nothing; after `qaudit init` the same command works."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect
from typer.testing import CliRunner

from conftest import Cli, Run, snapshot, write_csv
from qaudit.cli import app
from qaudit.store.engine import masked_url

CASES = [
    ["case_ref", "team", "worker", "category", "open_date", "close_date"],
    ["C1", "Team A", "Ann Worker", "CIN", "2026-01-05", ""],
    ["C2", "Team B", "", "CP", "2026-02-05", ""],
]
STAFF = [["name", "role", "team"], ["Kiran Evans", "auditor", "Team A"]]
SURVEY = [
    ["response_id", "survey", "age_band", "received_at", "concern", "comment"],
    ["BS-1", "your-life-your-care", "8-11", "2026-11-02T10:00", "no", "I like my school"],
]


def _commands(folder: Path) -> dict[str, list[str]]:
    """A command line of each kind, all valid: only the missing store can refuse them."""
    return {
        "complaints log": ["complaints", "log", "--received", "2026-12-01"],
        "cases import": ["cases", "import", str(write_csv(folder / "cases.csv", CASES))],
        "staff import": ["staff", "import", str(write_csv(folder / "staff.csv", STAFF))],
        "sample": ["sample", "--month", "2026-11", "--size", "1"],
        "grade": ["grade", "C1", "--grade", "good", "--auditor", "Kiran Evans", "--adhoc"],
        "survey import": ["survey", "import", str(write_csv(folder / "survey.csv", SURVEY))],
        "scrutiny add": ["scrutiny", "add", "--committee", "Children's Scrutiny"],
        "db verify": ["db", "verify"],
        "report": ["report", "audits", "--period", "2026/27-Q3"],
        "overdue": ["overdue"],
    }


NAMES = [
    "complaints log",
    "cases import",
    "staff import",
    "sample",
    "grade",
    "survey import",
    "scrutiny add",
    "db verify",
    "report",
    "overdue",
]


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


@pytest.mark.parametrize("name", NAMES)
def test_a_command_on_a_missing_sqlite_store_is_refused_and_creates_nothing(
    tmp_path: Path, name: str
) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    store = tmp_path / "store"
    store.mkdir()
    db = store / "qaudit.db"
    command = _commands(inputs)[name]
    run = Cli(f"sqlite:///{db}", CliRunner())
    refused = run(*command)
    assert (refused.exit_code, refused.stderr) == (
        1,
        f"Error: no case store at {db}: run qaudit init\n",
    ), refused.stderr
    assert refused.stdout == ""
    assert _files(store) == set(), "a refused command left a file behind"
    assert run("init").exit_code == 0
    if name != "grade":  # a case to grade comes from an import first
        done = run(*command)
        assert done.exit_code == 0, done.stderr


def test_complaints_log_in_an_empty_folder_creates_no_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default store is ./qaudit.db: a first `complaints log` no longer makes it."""
    folder = tmp_path / "empty"
    folder.mkdir()
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(
        app, ["--today", "2026-12-01", "complaints", "log", "--received", "2026-12-01"]
    )
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: no case store at qaudit.db: run qaudit init\n",
    )
    assert _files(folder) == set()


def test_a_dry_run_import_checks_the_file_without_a_store(new_db_url: str, tmp_path: Path) -> None:
    """Checking a file before there is a store is useful: it runs on an empty store (in
    memory for SQLite; for PostgreSQL, a schema built in the dry run's transaction and rolled
    back) and creates nothing."""
    folder = tmp_path / "store"
    url = new_db_url.replace(str(tmp_path / "store.db"), str(folder / "qaudit.db"))
    folder.mkdir()
    run = Cli(url, CliRunner())
    cases = str(write_csv(tmp_path / "c.csv", CASES))
    checked = run("cases", "import", "--dry-run", cases)
    assert checked.exit_code == 0, checked.stderr
    assert "2 added" in checked.stderr, checked.stderr
    staff = run("staff", "import", "--dry-run", str(write_csv(tmp_path / "s.csv", STAFF)))
    assert staff.exit_code == 0, staff.stderr
    assert _files(folder) == set()
    if url.startswith("postgresql"):
        assert _tables(url) == []
    bad = write_csv(tmp_path / "bad.csv", [*CASES, ["C1", "Team B", "", "CIN", "", ""]])
    refused = run("cases", "import", "--dry-run", str(bad))
    assert refused.exit_code == 1
    assert refused.stderr.startswith(f"Error: {bad}, line 4"), refused.stderr


def test_a_schema_less_sqlite_file_is_not_filled_in_by_a_write(tmp_path: Path) -> None:
    """An empty file (an init that failed, or `touch`) is a store not initialised yet."""
    db = tmp_path / "qaudit.db"
    db.touch()
    run = Cli(f"sqlite:///{db}", CliRunner())
    refused = run("cases", "import", str(write_csv(tmp_path / "c.csv", CASES)))
    assert (refused.exit_code, refused.stderr) == (
        1,
        f"Error: {db} is not a qaudit store yet: run qaudit init\n",
    )
    assert snapshot(f"sqlite:///{db}") == {"schema": None}
    assert run("init").exit_code == 0


def _tables(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return inspect(conn).get_table_names()
    finally:
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("name", NAMES)
def test_a_command_on_an_empty_postgres_schema_is_refused_and_creates_nothing(
    pg_url: str, tmp_path: Path, name: str
) -> None:
    command = _commands(tmp_path)[name]
    run = Cli(pg_url, CliRunner())
    refused: Run = run(*command)
    assert (refused.exit_code, refused.stderr) == (
        1,
        f"Error: {masked_url(pg_url)} is not a qaudit store yet: run qaudit init\n",
    ), refused.stderr
    assert _tables(pg_url) == [], "a refused command created tables"
    assert run("init").exit_code == 0
    if name != "grade":
        done = run(*command)
        assert done.exit_code == 0, done.stderr


def test_an_older_store_is_upgraded_not_refused(tmp_path: Path) -> None:
    """An upgrade is not a creation: a read asks for `qaudit init`, and a write still upgrades
    the store in its own transaction, after keeping a copy of it."""
    import shutil

    from conftest import FIXTURES
    from qaudit.store.migrations import HEAD

    db = tmp_path / "qaudit.db"
    shutil.copy(FIXTURES / "stores" / "schema-0001.db", db)
    run = Cli(f"sqlite:///{db}", CliRunner())
    read = run("overdue")
    assert (read.exit_code, read.stderr) == (
        1,
        f"Error: {db} has an older schema (0001): run qaudit init to upgrade it\n",
    )
    logged = run("complaints", "log", "--received", "2026-12-01")
    assert logged.exit_code == 0, logged.stderr
    assert (tmp_path / f"qaudit.db.before-schema-{HEAD}.backup").exists()
    assert run("overdue").exit_code == 0


@pytest.mark.parametrize("kind", ["folder", "device", "pipe"])
@pytest.mark.parametrize("command", ["init", "sample", "cases import"])
def test_a_store_path_that_is_not_a_file_is_refused(
    tmp_path: Path, kind: str, command: str
) -> None:
    """``--db`` naming a folder, /dev/null or a named pipe: one plain refusal, whatever the
    command (before, init wrote an internal-fault report beside /dev/null, in /dev)."""
    if kind == "folder":
        db = tmp_path / "folder.db"
        db.mkdir()
    elif kind == "device":
        db = Path("/dev/null")
        if not db.exists():
            pytest.skip("no /dev/null")
    else:
        db = tmp_path / "pipe.db"
        os.mkfifo(db)
    args = {"init": ["init"], **_commands(tmp_path)}[command]
    result = CliRunner().invoke(app, ["--db", str(db), "--today", "2026-12-01", *args])
    assert result.exit_code == 1, result.stderr
    what = "a folder" if kind == "folder" else "not a regular file"
    assert result.stderr == f"Error: {db} is {what}: a SQLite store is a file (give another --db)\n"
    assert not list(db.parent.glob(f"{db.name}.fault-*"))

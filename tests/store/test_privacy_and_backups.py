"""Erasing a case's personal details leaves no trace in the file; migrations back up first."""

from __future__ import annotations

import stat
from pathlib import Path

from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from conftest import write_csv
from qaudit.cli import app
from qaudit.store.migrations import HEAD


def _run(db: Path, *args: str, today: str = "2026-12-01") -> object:
    result = CliRunner().invoke(app, ["--db", str(db), "--today", today, *args])
    assert result.exit_code == 0, result.stderr
    return result


def test_erasure_removes_the_values_from_the_file(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    staff = [["name", "role", "team"], ["Ann Auditor", "auditor", "QA"]]
    cases = [
        ["case_ref", "team", "worker", "category", "open_date", "close_date", "date_of_birth"],
        ["K1", "Team A", "Wendy Worker", "CIN", "2025-01-01", "", "2013-07-19"],
        ["K2", "Team A", "Other Worker", "CIN", "2025-01-01", "", "2014-02-02"],
    ]
    _run(db, "init")
    _run(db, "staff", "import", str(write_csv(tmp_path / "s.csv", staff)))
    _run(db, "cases", "import", str(write_csv(tmp_path / "c.csv", cases)))
    secret = "Zebra-Quokka disclosed at school"
    _run(
        db,
        "grade",
        "K1",
        "--grade",
        "good",
        "--adhoc",
        "--auditor",
        "Ann Auditor",
        "--family-feedback",
        secret,
    )
    _run(db, "db", "erase", "K1", "--reason", "SAR-2026-017", "--yes")
    blob = b"".join(p.read_bytes() for p in tmp_path.glob("store.db*"))
    assert secret.encode() not in blob
    assert b"2013-07-19" not in blob
    assert b"2014-02-02" in blob  # another case's details stay
    listed = CliRunner().invoke(
        app, ["--db", str(db), "log", "--action", "case.erase", "--format", "json"]
    )
    assert '"reason": "SAR-2026-017"' in listed.stdout
    assert secret not in listed.stdout
    assert "sound" in CliRunner().invoke(app, ["--db", str(db), "db", "verify"]).stderr


def test_a_schema_upgrade_backs_the_store_up_first(tmp_path: Path) -> None:
    from alembic import command

    from qaudit.store.migrations.runner import alembic_config

    db = tmp_path / "old.db"
    engine = create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0004")
        conn.execute(text("INSERT INTO teams (name) VALUES ('Team A')"))
    engine.dispose()
    _run(db, "init")
    backup = tmp_path / f"old.db.before-schema-{HEAD}.backup"
    assert backup.exists()
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    old = create_engine(f"sqlite:///{backup}")
    with old.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0004"
        assert conn.execute(text("SELECT name FROM teams")).scalar() == "Team A"
    old.dispose()
    _run(db, "init")  # up to date: no second backup
    assert len(list(tmp_path.glob("old.db.before-schema-*"))) == 1


def test_a_fault_in_qaudit_shows_no_local_variables(tmp_path: Path) -> None:
    """Should qaudit itself fail, it names the fault in one line and writes the traceback to a
    private file beside the store: no local value, in that file or on the terminal (a row's
    content in a local variable never reaches the terminal, a cron mail or the report)."""
    import subprocess
    import sys

    program = (
        "import qaudit.services.cases as cases\n"
        "def faulty(**kwargs):\n"
        "    row_content = 'Child-Name-Secret 2014-02-02'\n"
        "    raise RuntimeError('a fault')\n"
        "cases.import_cases = faulty\n"
        "from qaudit.cli import main\n"
        "main()\n"
    )
    path = write_csv(tmp_path / "c.csv", [["case_ref", "category"], ["K1", "CIN"]])
    import qaudit

    env = {"PATH": "/usr/bin:/bin", "COLUMNS": "100", "QAUDIT_USER": "tester"}
    env["PYTHONPATH"] = str(Path(qaudit.__file__).parents[1])  # this checkout's qaudit
    args = [sys.executable, "-c", program, "--db", str(tmp_path / "s.db")]
    done = subprocess.run(
        [*args, "cases", "import", path],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 1
    [report] = tmp_path.glob("s.db.fault-*.txt")
    assert done.stderr == (
        "Error: internal fault (RuntimeError in qaudit.cli.cases:import_); "
        f"a full report is in {report}\n"
    )
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    assert "RuntimeError: a fault" in report.read_text()
    assert "Child-Name-Secret" not in done.stderr + done.stdout + report.read_text()
    debug = subprocess.run(
        [*args, "--debug", "cases", "import", path],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert debug.returncode == 1
    assert "RuntimeError: a fault" in debug.stderr
    assert "Child-Name-Secret" not in debug.stderr + debug.stdout

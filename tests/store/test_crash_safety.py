"""A ``qaudit`` process killed (SIGKILL) half-way leaves the SQLite store, and a report's output
file, as they were before it started; running the command again then completes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import FIXTURES, snapshot, write_csv
from qaudit.importers.child_reader import CHILD_MIN_BYTES
from qaudit.services.integrity import verify_store
from qaudit.store.engine import Store
from qaudit.store.migrations import HEAD

pytestmark = pytest.mark.slow

TODAY = "2026-12-01"
HEADER = ["case_ref", "team", "worker", "category", "open_date", "close_date"]
BIG_ROWS = 100_000


def _command(db: Path) -> list[str]:
    return [sys.executable, "-m", "qaudit", "--database-url", f"sqlite:///{db}", "--today", TODAY]


def _run(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_command(db), *args], capture_output=True, text=True, timeout=120, env=_env()
    )


def _spawn(db: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*_command(db), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=_env(),
    )


def _env() -> dict[str, str]:
    return {**os.environ, "QAUDIT_USER": "tester"}


def _wait_for(condition: Callable[[], bool], process: subprocess.Popen[bytes]) -> None:
    """Poll until ``condition`` holds; fail if the process ends first or it takes too long."""
    deadline = time.monotonic() + 30
    while not condition():
        assert process.poll() is None, "the command ended before it could be killed"
        assert time.monotonic() < deadline, "the command never reached the point to kill it"
        time.sleep(0.002)


def _kill(process: subprocess.Popen[bytes]) -> int:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    return process.wait(timeout=30)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return -1


def _sqlite_checks(db: Path) -> None:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()


def _revision(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        (revision,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return str(revision)
    finally:
        conn.close()


def _schema(db: Path) -> list[tuple[str, str, list[str]]]:
    """Each table's and index's definition, its lines sorted: Alembic's batch migrations on
    SQLite write a rebuilt table's constraints in an order that varies from run to run."""
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
            "ORDER BY type, name"
        ).fetchall()
    finally:
        conn.close()
    return [
        (kind, name, sorted(line.strip().rstrip(",") for line in (sql or "").splitlines()))
        for kind, name, sql in rows
    ]


def _verify(db: Path) -> None:
    store = Store(f"sqlite:///{db}")
    try:
        checked = verify_store(store=store)
    finally:
        store.dispose()
    assert checked.ok, checked.problems


def _stray_processes(marker: str) -> list[int]:
    """Live (not zombie) processes whose command line mentions ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker.encode() in cmdline and state not in ("Z", "X"):
            found.append(int(entry.name))
    return found


def _no_strays(marker: str) -> None:
    deadline = time.monotonic() + 10
    while (strays := _stray_processes(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not strays, f"processes left running after the kill: {strays}"


def test_a_killed_import_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    first = write_csv(
        tmp_path / "first.csv",
        [
            HEADER,
            ["C1", "Team A", "Ann Smith", "CIN", "2026-01-05", ""],
            ["C2", "Team B", "", "CP", "2025-11-30", ""],
        ],
    )
    assert _run(db, "init").returncode == 0
    assert _run(db, "cases", "import", str(first)).returncode == 0
    rows = [
        HEADER,
        *(
            [
                f"K{n:07d}",
                f"Children in Need Team {n % 20:02d} (North Locality)",
                f"Social Worker Number {n % 300:04d} Agency Staff",
                "CIN",
                f"2026-01-{n % 28 + 1:02d}",
                "",
            ]
            for n in range(BIG_ROWS)
        ),
    ]
    big = write_csv(tmp_path / "big-import.csv", rows)
    assert big.stat().st_size >= CHILD_MIN_BYTES  # so the forked reader is in play too
    before = snapshot(f"sqlite:///{db}")
    wal = Path(f"{db}-wal")
    assert _size(wal) <= 0, "the WAL should be empty when no one has the store open"

    process = _spawn(db, "cases", "import", str(big))
    _wait_for(lambda: _size(wal) > 0, process)  # it has begun writing its transaction
    assert _kill(process) == -signal.SIGKILL, "the import finished before it was killed"
    _no_strays(str(big))

    assert snapshot(f"sqlite:///{db}") == before
    _sqlite_checks(db)
    _verify(db)

    again = _run(db, "cases", "import", str(big))
    assert again.returncode == 0, again.stderr
    after = snapshot(f"sqlite:///{db}")
    cases = after["cases"]
    assert isinstance(cases, tuple) and cases[0] == 2 + BIG_ROWS
    _sqlite_checks(db)
    _verify(db)


def test_a_killed_report_export_leaves_no_partial_file(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    assert _run(db, "init").returncode == 0
    for n in range(3):
        logged = _run(db, "complaints", "log", "--received", TODAY, "--summary", f"c{n}")
        assert logged.returncode == 0, logged.stderr
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "complaints.json"
    args = ("report", "complaints", "--period", "2026/27", "--format", "json")
    expected = _run(db, *args).stdout  # the whole report, as printed

    killed_early = 0
    for delay in (0.0, 0.15, 0.3, 0.45):
        process = _spawn(db, *args, "--out", str(target))
        time.sleep(delay)
        code = _kill(process)
        killed_early += code == -signal.SIGKILL and not target.exists()
        if target.exists():  # only if it got past the rename before the kill: then whole
            assert target.read_text() == expected
            target.unlink()
        assert all(p.name.startswith(".") for p in folder.iterdir()), list(folder.iterdir())
    assert killed_early, "no export was killed before it finished"

    done = _run(db, *args, "--out", str(target))
    assert done.returncode == 0, done.stderr
    assert target.read_text() == expected
    assert json.loads(target.read_text())["kind"] == "complaints"
    assert all(p.name.startswith(".") or p == target for p in folder.iterdir())


def _old_store(db: Path) -> None:
    """The store the first release (schema 0001) wrote, kept in tests/fixtures/stores."""
    shutil.copy(FIXTURES / "stores" / "schema-0001.db", db)


KillPoint = Callable[[Path, subprocess.Popen[bytes]], None]


def _at_once(db: Path, process: subprocess.Popen[bytes]) -> None:
    return None


def _after(seconds: float) -> KillPoint:
    def wait(db: Path, process: subprocess.Popen[bytes]) -> None:
        time.sleep(seconds)

    return wait


def _when_wal_exists(db: Path, process: subprocess.Popen[bytes]) -> None:
    _wait_for(lambda: _size(Path(f"{db}-wal")) >= 0, process)


def _when_wal_written(db: Path, process: subprocess.Popen[bytes]) -> None:
    _wait_for(lambda: _size(Path(f"{db}-wal")) > 0, process)


# `qaudit init` on the old store, stopped half-way through its migration: the first steps (to
# schema 0003) run inside init's write transaction, the marker file then says which revision
# that transaction has reached, and the process waits to be killed before it can go on or
# commit.
HALFWAY = "0003"
_STOP_HALFWAY = f"""
import sys, time
from pathlib import Path
from alembic import command
from sqlalchemy import text

marker = Path(sys.argv.pop(1))
real = command.upgrade

def halfway(config, target, **options):
    real(config, {HALFWAY!r}, **options)
    conn = config.attributes["connection"]
    revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    marker.write_text(f"{{revision}} in transaction {{conn.in_transaction()}}")
    time.sleep(120)

command.upgrade = halfway
from qaudit.cli import main
sys.argv[0] = "qaudit"
main()
"""


def test_a_migration_killed_half_way_leaves_the_old_schema(tmp_path: Path) -> None:
    """The kill lands mid-migration, provably: the marker shows the upgrade had started (the
    open transaction is at 0003) and had not finished (the process was still waiting, not
    committed, when the SIGKILL came). All of it rolls back."""
    db = tmp_path / "store.db"
    _old_store(db)
    old_schema = _schema(db)
    shutil.copy(db, tmp_path / "copy.db")
    old_rows = snapshot(f"sqlite:///{tmp_path / 'copy.db'}")  # a copy: opening sets WAL mode
    marker = tmp_path / "halfway"
    process = subprocess.Popen(
        [sys.executable, "-c", _STOP_HALFWAY, str(marker), *_command(db)[3:], "init"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=_env(),
    )
    try:
        _wait_for(marker.exists, process)
        time.sleep(0.05)  # the marker's text is written whole
    finally:
        code = _kill(process)
        assert process.stderr is not None
        process.stderr.close()
    assert marker.read_text() == f"{HALFWAY} in transaction True"
    assert code == -signal.SIGKILL, "the migration ended before it was killed"
    _sqlite_checks(db)
    assert _revision(db) == "0001"
    assert _schema(db) == old_schema
    assert snapshot(f"sqlite:///{db}") == old_rows
    again = _run(db, "init")
    assert again.returncode == 0, again.stderr
    assert _revision(db) == HEAD
    _verify(db)


@pytest.mark.parametrize(
    "kill_point",
    [
        pytest.param(_at_once, id="at-once"),
        pytest.param(_when_wal_exists, id="store-opened"),
        pytest.param(_when_wal_written, id="migration-writing"),
        pytest.param(_after(0.45), id="after-0.45s"),
    ],
)
def test_a_killed_migration_leaves_the_old_schema_or_the_new_one(
    tmp_path: Path, kill_point: KillPoint
) -> None:
    old = tmp_path / "old.db"
    _old_store(old)
    old_schema = _schema(old)
    finished = tmp_path / "finished.db"
    shutil.copy(old, finished)
    old_rows = snapshot(f"sqlite:///{finished}")  # on a copy: opening a store sets WAL mode
    assert _run(finished, "init").returncode == 0
    new_schema = _schema(finished)

    db = tmp_path / "store.db"
    shutil.copy(old, db)
    process = _spawn(db, "init")
    kill_point(db, process)
    _kill(process)

    _sqlite_checks(db)
    revision = _revision(db)
    assert revision in ("0001", HEAD)
    if revision == "0001":
        assert _schema(db) == old_schema
        assert snapshot(f"sqlite:///{db}") == old_rows
    else:
        assert _schema(db) == new_schema
        _verify(db)

    again = _run(db, "init")
    assert again.returncode == 0, again.stderr
    assert _revision(db) == HEAD
    assert _schema(db) == new_schema
    _sqlite_checks(db)
    _verify(db)

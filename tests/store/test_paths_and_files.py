"""No path given on the command line can destroy the store; files qaudit writes are whole,
private (0600 unless widened on purpose) and never left half-written under their final name;
a restore takes the writer lock."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import Cli, snapshot, write_csv
from qaudit.cli import app

TODAY = "2026-12-01"
REPORT = ("report", "complaints", "--period", "2026-11", "--format", "json")


@pytest.fixture(autouse=True)
def _umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def qa(db: Path, *args: str) -> tuple[int, str, str]:
    """Run qaudit in-process on a SQLite store; a traceback fails the test."""
    result = CliRunner().invoke(app, ["--db", str(db), "--today", TODAY, *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def _store(folder: Path, name: str = "store.db") -> Path:
    db = folder / name
    code, _, err = qa(db, "init")
    assert code == 0, err
    for n in range(3):
        code, _, err = qa(db, "complaints", "log", "--received", "2026-11-02", "--summary", f"S{n}")
        assert code == 0, err
    return db


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _listing(folder: Path) -> dict[str, str]:
    return {
        p.name: (_digest(p) if p.is_file() and not p.is_symlink() else "") for p in folder.iterdir()
    }


def _refused(run: tuple[int, str, str], *parts: str) -> str:
    code, _, err = run
    assert code == 1, err
    assert err.startswith("Error: ") and err.count("\n") == 1, err
    for part in parts:
        assert part in err, err
    return err


# --- the store's own files -------------------------------------------------------------------


def _point_at_store(db: Path, how: str) -> str:
    """An --out / backup / restore path that names the store (or its -wal/-shm) some way."""
    folder = db.parent
    if how == "itself":
        return str(db)
    if how in ("wal", "shm"):
        return f"{db}-{how}"
    if how == "relative":
        (folder / "sub").mkdir()
        return f"sub/../{db.name}"
    if how == "symlink":
        (folder / "link.json").symlink_to(db)
        return str(folder / "link.json")
    if how == "symlink-to-wal":
        (folder / "link.json").symlink_to(f"{db}-wal")
        return str(folder / "link.json")
    assert how == "hardlink"
    os.link(db, folder / "hard.json")
    return str(folder / "hard.json")


STORE_NAMES = ["itself", "wal", "shm", "relative", "symlink", "symlink-to-wal", "hardlink"]


@pytest.mark.parametrize("how", STORE_NAMES)
def test_report_out_never_replaces_the_store(tmp_path: Path, how: str) -> None:
    db = _store(tmp_path)
    target = _point_at_store(db, how)
    before, files, url = _digest(db), _listing(tmp_path), f"sqlite:///{db}"
    rows = snapshot(url)
    _refused(qa(db, *REPORT, "--out", target), f"cannot write {target}: it is the case store")
    assert _digest(db) == before and _listing(tmp_path) == files and snapshot(url) == rows


def test_report_out_with_period_naming_the_store_is_refused(tmp_path: Path) -> None:
    db = _store(tmp_path, "qa-2026-11.db")
    before = _digest(db)
    _refused(
        qa(db, *REPORT, "--out", str(tmp_path / "qa-{period}.db")),
        "qa-2026-11.db: it is the case store's own file",
    )
    assert _digest(db) == before


@pytest.mark.parametrize("how", STORE_NAMES)
def test_backup_and_restore_never_touch_the_store(tmp_path: Path, how: str) -> None:
    db = _store(tmp_path)
    target = _point_at_store(db, how)
    before, files = _digest(db), _listing(tmp_path)
    _refused(
        qa(db, "db", "backup", target, "--force"), f"cannot back up to {target}: it is the case"
    )
    _refused(qa(db, "db", "restore", target, "--yes"), f"cannot restore from {target}: it is the")
    assert _digest(db) == before and _listing(tmp_path) == files


# --- a backup is whole or absent -------------------------------------------------------------


def test_a_backup_killed_before_it_is_checked_leaves_no_file_at_its_name(tmp_path: Path) -> None:
    db = _store(tmp_path)
    target = tmp_path / "backups" / "copy.db"
    target.parent.mkdir()
    program = (
        "import os, signal\n"
        "import qaudit.services.integrity as integrity\n"
        "def killed(**kwargs):\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "integrity.verify_store = killed\n"
        "from qaudit.cli import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program, "--db", str(db), "db", "backup", str(target)],
        capture_output=True,
        timeout=120,
        env={**os.environ, "QAUDIT_USER": "tester"},
    )
    assert done.returncode == -signal.SIGKILL
    assert not target.exists()  # the next backup does not find a partial file in its way
    left = list(target.parent.iterdir())  # the temporary (and SQLite's -wal, -shm for it)
    assert any(p.name.endswith(".tmp") for p in left)
    for path in left:
        assert path.name.startswith(".copy.db.qaudit-"), path
        assert stat.S_IMODE(path.stat().st_mode) == 0o600

    code, _, err = qa(db, "db", "backup", str(target))
    assert code == 0, err
    assert [p.name for p in target.parent.iterdir()] == ["copy.db"]  # the leftover is gone
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    conn = sqlite3.connect(target)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert conn.execute("SELECT count(*) FROM complaints").fetchone() == (3,)
    conn.close()


def test_a_copy_that_fails_its_checks_is_not_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import qaudit.services.integrity as integrity

    db = _store(tmp_path)
    old = tmp_path / "copy.db"
    old.write_bytes(b"yesterday's backup")
    files = _listing(tmp_path)

    def failing(**kwargs: object) -> integrity.Verification:
        return integrity.Verification(events=0, head=None, problems=["event 2 was changed"])

    monkeypatch.setattr(integrity, "verify_store", failing)
    _refused(
        qa(db, "db", "backup", str(old), "--force"),
        "failed its checks (event 2 was changed); nothing kept",
    )
    assert _listing(tmp_path) == files  # the old backup is still there, and no temporary


# --- unusable paths: one Error line, nothing written -----------------------------------------


def _bad_path(folder: Path, kind: str, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """A path of ``kind`` in ``folder`` and the reason the refusal must give."""
    if kind == "folder":
        (folder / "out").mkdir()
        return str(folder / "out"), "it is a folder"
    if kind == "folder/":
        (folder / "out").mkdir()
        return f"{folder / 'out'}/", "it is a folder"
    if kind == "ends-with-slash":
        return f"{folder / 'new'}/", "the name ends with '/'"
    if kind == "missing-folder":
        return str(folder / "nowhere" / "r.json"), f"the folder {folder / 'nowhere'} does not exist"
    if kind == "read-only-file":
        path = folder / "r.json"
        path.write_text("kept")
        path.chmod(0o444)
        return str(path), "the file is read-only (mode 0444)"
    if kind == "dangling-link":
        (folder / "r.json").symlink_to(folder / "gone.json")
        return str(folder / "r.json"), f"it is a link to {folder / 'gone.json'}, which does not"
    if kind == "not-a-file":
        os.mkfifo(folder / "pipe")
        return str(folder / "pipe"), "it is not a regular file"
    assert kind == "unwritable-folder"
    (folder / "locked").mkdir()
    real_open = os.open

    def refuse(path: object, *args: object, **kwargs: object) -> int:
        if ".qaudit-" in str(path):  # as root, chmod 0500 would not stop the write
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", refuse)
    return str(folder / "locked" / "r.json"), (
        f"cannot create a file in the folder {folder / 'locked'} (Permission denied)"
    )


BAD_TARGETS = [
    "folder",
    "folder/",
    "ends-with-slash",
    "missing-folder",
    "read-only-file",
    "dangling-link",
    "not-a-file",
    "unwritable-folder",
]


@pytest.mark.parametrize("kind", BAD_TARGETS)
def test_report_out_to_an_unusable_path(
    cli: Cli, db_url: str, tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("complaints", "log", "--received", "2026-11-02", "--summary", "S").exit_code == 0
    folder = tmp_path / "reports"
    folder.mkdir()
    path, reason = _bad_path(folder, kind, monkeypatch)
    files, rows = _listing(folder), snapshot(db_url)
    run = cli(*REPORT, "--out", path)
    _refused((run.exit_code, run.stdout, run.stderr), f"Error: cannot write {path}", reason)
    assert _listing(folder) == files and snapshot(db_url) == rows


@pytest.mark.parametrize("kind", BAD_TARGETS)
def test_backup_to_an_unusable_path(
    tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = _store(tmp_path)
    folder = tmp_path / "backups"
    folder.mkdir()
    path, reason = _bad_path(folder, kind, monkeypatch)
    files, before = _listing(folder), _digest(db)
    _refused(qa(db, "db", "backup", path, "--force"), f"Error: cannot back up to {path}", reason)
    assert _listing(folder) == files and _digest(db) == before


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("folder", "it is a folder, not a file"),
        ("folder/", "it is a folder, not a file"),
        ("missing", "no such file"),
        ("dangling-link", "which does not exist"),
        ("not-a-file", "it is not a regular file"),
        ("junk", "is not a qaudit store: SQLite says 'file is not a database'"),
        ("truncated", "is not a qaudit store: SQLite says 'database disk image is malformed'"),
        ("not-qaudit", "is not a qaudit store (it has no qaudit schema)"),
    ],
)
def test_restore_from_an_unusable_file(tmp_path: Path, kind: str, reason: str) -> None:
    db = _store(tmp_path)
    folder = tmp_path / "backups"
    folder.mkdir()
    path = folder / "b.db"
    if kind in ("folder", "folder/"):
        path.mkdir()
    elif kind == "dangling-link":
        path.symlink_to(folder / "gone.db")
    elif kind == "not-a-file":
        os.mkfifo(path)
    elif kind == "junk":
        path.write_bytes(b"not a database, just text " * 40)
    elif kind == "truncated":
        path.write_bytes(db.read_bytes()[:6000])
    elif kind == "not-qaudit":
        other = sqlite3.connect(path)
        other.execute("CREATE TABLE t (x)")
        other.commit()
        other.close()
    given = f"{path}/" if kind == "folder/" else str(path)
    files, before, store_files = _listing(folder), _digest(db), _listing(tmp_path)
    _refused(qa(db, "db", "restore", given, "--yes"), reason)
    assert _listing(folder) == files and _digest(db) == before
    assert _listing(tmp_path) == store_files  # no temporary, nothing set aside


@pytest.mark.parametrize("damage", ["junk", "truncated"])
def test_a_damaged_store_is_an_error_and_a_backup_restores_it(tmp_path: Path, damage: str) -> None:
    good = _store(tmp_path, "good.db")
    code, _, err = qa(good, "db", "backup", str(tmp_path / "backup.db"))
    assert code == 0, err
    db = tmp_path / "store.db"
    db.write_bytes(b"\x00junk" * 100 if damage == "junk" else good.read_bytes()[:6000])
    said = "file is not a database" if damage == "junk" else "database disk image is malformed"
    for command in (
        ("cases", "list"),
        ("complaints", "list"),
        ("complaints", "log", "--received", "2026-11-02", "--summary", "S"),
        ("db", "verify"),
        REPORT,
        ("init",),
    ):
        _refused(qa(db, *command), f"{db} is not a usable case store: SQLite says '{said}'")
    _refused(qa(db, "db", "backup", str(tmp_path / "b2.db")), f"{db} is not a qaudit store")
    assert not (tmp_path / "b2.db").exists()

    damaged = db.read_bytes()
    code, _, err = qa(db, "db", "restore", str(tmp_path / "backup.db"), "--yes")
    assert code == 0, err
    (aside,) = tmp_path.glob("store.db.before-restore-*")
    assert aside.read_bytes() == damaged  # kept as it was
    code, out, err = qa(db, "complaints", "list", "--format", "json")
    assert code == 0, err
    assert out.count('"ref"') == 3


def test_a_backup_restores_a_store_damaged_inside(tmp_path: Path) -> None:
    db = _store(tmp_path)
    code, _, err = qa(db, "db", "backup", str(tmp_path / "backup.db"))
    assert code == 0, err
    data = bytearray(db.read_bytes())
    data[4096 * 2 : 4096 * 6] = b"\xa5" * (4096 * 4)  # pages 3-6 overwritten
    db.write_bytes(bytes(data))
    code, _, err = qa(db, "db", "restore", str(tmp_path / "backup.db"), "--yes")
    assert code == 0, err
    assert qa(db, "db", "verify")[0] == 0
    code, out, err = qa(db, "complaints", "list", "--format", "json")
    assert code == 0 and out.count('"ref"') == 3, err


def test_a_restore_that_fails_half_way_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import qaudit.services.integrity as integrity

    db = _store(tmp_path)
    code, _, err = qa(db, "db", "backup", str(tmp_path / "backup.db"))
    assert code == 0, err
    assert qa(db, "complaints", "log", "--received", "2026-11-03", "--summary", "After")[0] == 0
    url = f"sqlite:///{db}"
    rows, files = snapshot(url), _listing(tmp_path)
    real = integrity._swap_schema_and_rows

    def half_way(live: sqlite3.Connection) -> None:
        live.execute("DROP TABLE main.complaints")
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(integrity, "_swap_schema_and_rows", half_way)
    _refused(
        qa(db, "db", "restore", str(tmp_path / "backup.db"), "--yes"),
        f"could not restore into {db} (SQLite says 'database or disk is full'); the store is as",
    )
    assert snapshot(url) == rows and _listing(tmp_path) == files
    monkeypatch.setattr(integrity, "_swap_schema_and_rows", real)
    assert qa(db, "db", "restore", str(tmp_path / "backup.db"), "--yes")[0] == 0


# --- temporaries and file modes --------------------------------------------------------------


def test_a_killed_exports_leftover_is_removed_next_time(tmp_path: Path) -> None:
    db = _store(tmp_path)
    folder = tmp_path / "out"
    folder.mkdir()
    dead_pid = subprocess.Popen(["true"])  # a process that has ended: its pid is free
    dead_pid.wait()
    leftovers = [
        folder / f".r.json.qaudit-{dead_pid.pid}-abcdef012345.tmp",  # this export's, killed
        folder / ".r.json.0123456789ab.tmp",  # the name before temporaries had a mark
        folder / f".other.html.qaudit-{os.getpid()}-abcdef012345.tmp",  # old: over an hour
    ]
    for path in leftovers:
        path.write_text("a report's children's details")
    os.utime(leftovers[2], (1_000_000, 1_000_000))
    kept = folder / f".other.html.qaudit-{os.getpid()}-0123456789ab.tmp"  # running, recent
    kept.write_text("being written now")
    code, _, err = qa(db, *REPORT, "--out", str(folder / "r.json"))
    assert code == 0, err
    assert sorted(p.name for p in folder.iterdir()) == sorted(["r.json", kept.name])


def test_a_report_export_killed_before_its_rename_leaves_a_private_leftover_removed_next_time(
    tmp_path: Path,
) -> None:
    db = _store(tmp_path)
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "r.json"
    program = (
        "import os, signal\n"
        "os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)  # the data is written\n"
        "from qaudit.cli import main\n"
        "main()\n"
    )
    base = [sys.executable, "-c", program, "--db", str(db), "--today", TODAY, *REPORT]
    done = subprocess.run(
        base,
        capture_output=True,
        timeout=120,
        env={**os.environ, "QAUDIT_USER": "tester"},
    )
    assert done.returncode == 0, done.stderr
    killed = subprocess.run(
        [*base, "--out", str(target)],
        capture_output=True,
        timeout=120,
        env={**os.environ, "QAUDIT_USER": "tester"},
    )
    assert killed.returncode == -signal.SIGKILL
    (left,) = folder.iterdir()
    assert not target.exists()
    assert left.name.startswith(".r.json.qaudit-") and left.name.endswith(".tmp")
    assert stat.S_IMODE(left.stat().st_mode) == 0o600
    assert left.read_bytes() == done.stdout  # the report's content, readable by its owner only
    code, _, err = qa(db, *REPORT, "--out", str(target))
    assert code == 0, err
    assert [p.name for p in folder.iterdir()] == ["r.json"]


@pytest.mark.parametrize("umask", [0o000, 0o022])
def test_report_files_and_backups_are_private_whatever_the_umask(
    tmp_path: Path, umask: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pathlib import Path as P

    db = _store(tmp_path)
    seen: list[int] = []
    real_replace = P.replace

    def replace(self: P, target: P) -> P:  # the temporary's mode, just before its rename
        seen.append(stat.S_IMODE(self.stat().st_mode))
        return real_replace(self, target)

    monkeypatch.setattr(P, "replace", replace)
    os.umask(umask)
    for fmt in ("json", "csv", "md", "html", "xlsx"):
        out = tmp_path / f"r.{fmt}"
        code, _, err = qa(
            db, "report", "board", "--period", "2026-11", "-f", fmt, "--out", str(out)
        )
        assert code == 0, err
        assert stat.S_IMODE(out.stat().st_mode) == 0o600, fmt
    assert seen and set(seen) == {0o600}
    code, _, err = qa(db, "db", "backup", str(tmp_path / "b.db"))
    assert code == 0, err
    assert stat.S_IMODE((tmp_path / "b.db").stat().st_mode) == 0o600


def test_mode_widens_a_report_on_purpose(tmp_path: Path) -> None:
    db = _store(tmp_path)
    os.umask(0o077)
    out = tmp_path / "r.json"
    code, _, err = qa(db, *REPORT, "--out", str(out), "--mode", "0640")
    assert code == 0, err
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    for bad, says in (
        ("rw", "is not a file mode"),
        ("0400", "the owner must keep read and write"),
        ("7777", "only permission bits"),
    ):
        code, _, err = qa(db, *REPORT, "--out", str(out), "--mode", bad)
        assert code == 2 and says in err, err
    _refused(qa(db, *REPORT, "--mode", "0640"), "--mode sets the permissions of the --out file")


def test_a_policy_may_widen_report_files(tmp_path: Path) -> None:
    db = _store(tmp_path)
    policy = tmp_path / "policy.toml"
    policy.write_text("[reports]\nfile_mode = 0o640\n")
    out = tmp_path / "r.json"
    code, _, err = qa(db, "--config", str(policy), *REPORT, "--out", str(out))
    assert code == 0, err
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    code, _, err = qa(db, "--config", str(policy), *REPORT, "--out", str(out), "--mode", "600")
    assert code == 0, err
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # --mode wins for one run
    policy.write_text("[reports]\nfile_mode = 0o404\n")
    _refused(
        qa(db, "--config", str(policy), *REPORT, "--out", str(out)),
        "policy key 'reports.file_mode' must be a file mode from 0o600 to 0o777",
    )


# --- restore and the writer lock -------------------------------------------------------------


def test_restore_waits_for_a_writer_then_refuses_as_busy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import qaudit.services.integrity as integrity

    monkeypatch.setattr(integrity, "BUSY_TIMEOUT_MS", 300, raising=False)
    db = _store(tmp_path)
    code, _, err = qa(db, "db", "backup", str(tmp_path / "backup.db"))
    assert code == 0, err
    assert qa(db, "complaints", "log", "--received", "2026-11-03", "--summary", "After")[0] == 0
    url = f"sqlite:///{db}"
    rows = snapshot(url)
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # an import, half-way
    writer.execute("UPDATE complaints SET summary = 'written by the import'")
    try:
        _refused(
            qa(db, "db", "restore", str(tmp_path / "backup.db"), "--yes"),
            f"the store is busy ({db} is being written by another process); try again",
        )
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert snapshot(url) == rows
    assert not list(tmp_path.glob("store.db.before-restore-*"))
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_write_reported_done_is_kept_aside_or_after_the_restore(tmp_path: Path) -> None:
    db = _store(tmp_path)
    code, _, err = qa(db, "db", "backup", str(tmp_path / "backup.db"))
    assert code == 0, err
    # A command finishes its write just before the restore...
    assert qa(db, "complaints", "log", "--received", "2026-11-03", "--summary", "Before")[0] == 0
    # ...and another process has the store open across it, and writes after.
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("PRAGMA journal_mode = WAL")
    assert other.execute("SELECT count(*) FROM complaints").fetchone() == (4,)
    code, _, err = qa(db, "db", "restore", str(tmp_path / "backup.db"), "--yes")
    assert code == 0, err
    (aside,) = tmp_path.glob("store.db.before-restore-*")
    kept = sqlite3.connect(aside)
    assert [r[0] for r in kept.execute("SELECT summary FROM complaints ORDER BY id")] == [
        "S0",
        "S1",
        "S2",
        "Before",
    ]
    kept.close()
    assert other.execute("SELECT count(*) FROM complaints").fetchone() == (3,)  # restored
    other.execute("UPDATE complaints SET summary = 'Later' WHERE id = 3")
    other.close()
    live = sqlite3.connect(db)
    assert [r[0] for r in live.execute("SELECT summary FROM complaints ORDER BY id")] == [
        "S0",
        "S1",
        "Later",
    ]
    live.close()


# --- any path at all -------------------------------------------------------------------------

NAME_CHARS = st.characters(
    codec="utf-8", exclude_characters="/", exclude_categories=("Cs",)
)  # control characters, NUL, markup and spaces included; "/" would leave the test's folder


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    command=st.sampled_from(["report", "backup", "backup-force", "restore"]),
    kind=st.sampled_from(
        [
            "store",
            "store-wal",
            "store-shm",
            "link",
            "hardlink",
            "folder",
            "folder/",
            "missing/x",
            "dangling",
            "backup",
            "name",
        ]
    ),
    name=st.one_of(
        st.sampled_from(["store.db", "store.db-wal", ".", "..", "x" * 300, "{period}"]),
        st.text(NAME_CHARS, min_size=1, max_size=40),
    ),
)
def test_no_path_makes_a_traceback_or_touches_the_store(
    paths_store: Path, command: str, kind: str, name: str
) -> None:
    db = paths_store
    folder = db.parent
    path = {
        "store": str(db),
        "store-wal": f"{db}-wal",
        "store-shm": f"{db}-shm",
        "link": str(folder / "link"),
        "hardlink": str(folder / "hard"),
        "folder": str(folder / "dir"),
        "folder/": f"{folder / 'dir'}/",
        "missing/x": str(folder / "missing" / "x"),
        "dangling": str(folder / "dangling"),
        "backup": str(folder / "backup.db"),
        "name": str(folder / "dir" / name),
    }[kind]
    url = f"sqlite:///{db}"
    before, rows = _digest(db), snapshot(url)
    args = {
        "report": (*REPORT, "--out", path),
        "backup": ("db", "backup", path),
        "backup-force": ("db", "backup", path, "--force"),
        "restore": ("db", "restore", path, "--yes"),
    }[command]
    code, _, err = qa(db, *args)  # a traceback fails here
    assert code in (0, 1, 2), err
    if code != 0:
        assert _digest(db) == before, err
        assert err.count("\n") <= 1 or code == 2, err
    assert snapshot(url) == rows  # a restore puts back the same content
    assert qa(db, "db", "verify")[0] == 0


@pytest.fixture
def paths_store(tmp_path: Path) -> Path:
    db = _store(tmp_path)
    assert qa(db, "db", "backup", str(tmp_path / "backup.db"))[0] == 0
    (tmp_path / "dir").mkdir()
    (tmp_path / "link").symlink_to(db)
    os.link(db, tmp_path / "hard")
    (tmp_path / "dangling").symlink_to(tmp_path / "gone")
    return db


@pytest.mark.slow
def test_a_restore_during_an_import_loses_none_of_the_imports_rows(tmp_path: Path) -> None:
    """The import holds the writer lock: the restore waits for it, then either replaces the
    store (the import's rows are in the copy set aside) or refuses as busy (they are in the
    store). Either way the import reports success only for rows someone can find."""
    db = tmp_path / "store.db"
    header = ["case_ref", "team", "worker", "category", "open_date", "close_date"]
    small = write_csv(
        tmp_path / "first.csv", [header, ["C1", "Team A", "", "CIN", "2026-01-05", ""]]
    )
    assert qa(db, "init")[0] == 0
    assert qa(db, "cases", "import", str(small))[0] == 0
    assert qa(db, "db", "backup", str(tmp_path / "backup.db"))[0] == 0
    many = 60_000
    rows = [[f"K{n:07d}", f"Team {n % 20}", "", "CIN", "2026-01-05", ""] for n in range(many)]
    big = write_csv(tmp_path / "big.csv", [header, *rows])
    env = {**os.environ, "QAUDIT_USER": "tester"}
    base = [sys.executable, "-m", "qaudit", "--db", str(db), "--today", TODAY]
    importing = subprocess.Popen(
        [*base, "cases", "import", str(big)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    wal = Path(f"{db}-wal")
    while not (wal.exists() and wal.stat().st_size > 0):  # its transaction has begun writing
        assert importing.poll() is None, importing.communicate()
    restoring = subprocess.Popen(
        [*base, "db", "restore", str(tmp_path / "backup.db"), "--yes"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    # The race happened: the restore started while the import's transaction was open (the
    # import still running, none of its rows committed).
    assert importing.poll() is None and _cases(db) == 1, "the import finished first: no race"
    out, err = restoring.communicate(timeout=120)
    restore = subprocess.CompletedProcess(restoring.args, restoring.returncode, out, err)
    aside = list(tmp_path.glob("store.db.before-restore-*"))
    if restore.returncode == 0:
        # The restore waited for the import to commit: what it set aside already holds every
        # row the import is about to report, and nothing can be added to it later.
        assert _cases(aside[0]) == 1 + many
    else:
        assert "the store is busy" in restore.stderr, restore.stderr
        assert not aside
    _, said = importing.communicate(timeout=120)
    assert importing.returncode == 0, said
    if restore.returncode == 0:
        assert _cases(aside[0]) == 1 + many and _cases(db) == 1
    else:
        assert _cases(db) == 1 + many


def _cases(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM cases").fetchone()[0])
    finally:
        conn.close()

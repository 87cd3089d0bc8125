"""Only `qaudit init` (and `qaudit demo`) creates a store. Two of them at once, or an init and
a write, never lose what one of them committed: no command removes a store file (another may
have opened it, and committed to it, meanwhile). An init that fails leaves a schema-less file
at most, which every command but init calls a store not initialised yet."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy.engine import Connection
from typer.testing import CliRunner

from conftest import init_store_at, snapshot, write_csv
from qaudit.cli import app
from qaudit.errors import InputError, StoreError
from qaudit.services.cases import import_cases
from qaudit.services.changes import init_store
from qaudit.services.context import Context
from qaudit.services.sampling import draw_sample
from qaudit.store.engine import Store

HEADER = ["case_ref", "team", "worker", "category", "open_date", "close_date"]
GOOD = [HEADER, ["C1", "Team A", "", "CIN", "2026-01-05", ""], ["C2", "Team B", "", "CP", "", ""]]
# The same ref twice with different data: refused inside the transaction, after the store is open.
BAD = [HEADER, ["C1", "Team A", "", "CIN", "", ""], ["C1", "Team B", "", "CIN", "", ""]]


class _RacedStore(Store):
    """A store whose first connection lets another process's init and first import commit
    first: the moment after this command looked at the file and before it took the writer
    lock."""

    def __init__(self, url: str, other: Context, other_file: Path) -> None:
        super().__init__(url)
        self.other, self.other_file, self.raced = other, other_file, False

    @contextmanager
    def _connect(self, *, write: bool) -> Iterator[Connection]:
        if not self.raced:
            self.raced = True
            init_store_at(str(self.url))
            winner = Store(self.url)
            try:
                import_cases(store=winner, path=self.other_file, ctx=self.other)
            finally:
                winner.dispose()
        with super()._connect(write=write) as conn:
            yield conn


def _empty_store_file(path: Path) -> None:
    """What an init killed before its schema committed leaves: an empty, private file."""
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def test_a_failing_write_keeps_what_an_init_committed_meanwhile(
    tmp_path: Path, ctx: Context
) -> None:
    path = tmp_path / "new.db"
    _empty_store_file(path)
    url = f"sqlite:///{path}"
    good = write_csv(tmp_path / "good.csv", GOOD)
    loser = _RacedStore(url, ctx, good)
    with pytest.raises(InputError, match="case ref 'C1' is also on line 2"):
        import_cases(store=loser, path=write_csv(tmp_path / "bad.csv", BAD), ctx=ctx)
    loser.dispose()
    assert loser.raced
    assert path.exists(), "the failing command removed the store another command wrote to"
    cases = snapshot(url)["cases"]
    assert isinstance(cases, tuple) and cases[0] == 2
    listed = CliRunner().invoke(app, ["--db", str(path), "cases", "list", "--format", "csv"])
    assert listed.exit_code == 0, listed.stderr
    assert "C1" in listed.stdout and "C2" in listed.stdout


def test_a_second_init_racing_the_first_changes_nothing(tmp_path: Path, ctx: Context) -> None:
    path = tmp_path / "new.db"
    url = f"sqlite:///{path}"
    loser = _RacedStore(url, ctx, write_csv(tmp_path / "good.csv", GOOD))
    result = init_store(store=loser, ctx=ctx)
    loser.dispose()
    assert loser.raced
    assert not result.created  # the other init built the store; this one found it up to date
    after = snapshot(url)
    cases, log = after["cases"], after["change_log"]
    assert isinstance(cases, tuple) and cases[0] == 2
    assert isinstance(log, tuple) and log[0] == 2  # the one init's event, and the import's


def test_a_first_write_on_a_missing_store_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    bad = write_csv(tmp_path / "bad.csv", BAD)
    runner = CliRunner()
    failed = runner.invoke(app, ["--db", str(path), "cases", "import", str(bad)])
    assert (failed.exit_code, failed.stderr) == (
        1,
        f"Error: no case store at {path}: run qaudit init\n",
    )
    assert not path.exists()
    listed = runner.invoke(app, ["--db", str(path), "cases", "list"])
    assert (listed.exit_code, listed.stderr) == (1, failed.stderr)
    assert runner.invoke(app, ["--db", str(path), "init"]).exit_code == 0
    good = runner.invoke(
        app, ["--db", str(path), "cases", "import", str(write_csv(tmp_path / "g.csv", GOOD))]
    )
    assert good.exit_code == 0, good.stderr
    cases = snapshot(f"sqlite:///{path}")["cases"]
    assert isinstance(cases, tuple) and cases[0] == 2


def test_init_after_a_failed_init(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    _empty_store_file(path)
    runner = CliRunner()
    refused = runner.invoke(app, ["--db", str(path), "cases", "list"])
    assert (refused.exit_code, refused.stderr) == (
        1,
        f"Error: {path} is not a qaudit store yet: run qaudit init\n",
    )
    done = runner.invoke(app, ["--db", str(path), "init"])
    assert done.exit_code == 0, done.stderr
    # The file was there, empty: init built the store in it, and says so.
    assert done.stderr.startswith(f"Created {path} "), done.stderr
    verified = runner.invoke(app, ["--db", str(path), "db", "verify"])
    assert verified.exit_code == 0, verified.stderr


def test_a_dry_run_on_a_new_store_creates_no_file(tmp_path: Path, ctx: Context) -> None:
    """A dry run is logged as a preview, so it needs a store: on none it is refused, and the
    file is never created."""
    path = tmp_path / "new.db"
    store = Store(f"sqlite:///{path}")
    created: list[bool] = []
    real = Store._create_private_file

    def watch(target: Path) -> None:
        created.append(True)
        real(target)

    store._create_private_file = watch  # type: ignore[method-assign]
    with pytest.raises(StoreError, match="run qaudit init"):
        draw_sample(store=store, ctx=ctx, month="2026-11", dry_run=True)
    store.dispose()
    assert not created
    assert not path.exists()


@pytest.mark.slow
def test_two_inits_and_an_import_in_three_processes(tmp_path: Path) -> None:
    """The race as users meet it: two `qaudit init` and a `qaudit cases import` on a new store
    at once. Both inits succeed (one creates, the other finds it made); the import is either
    refused (the store was not there yet) or kept."""
    import subprocess
    import sys

    import qaudit

    source = str(Path(qaudit.__file__).parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([source, os.environ.get("PYTHONPATH", "")])}
    good = write_csv(tmp_path / "good.csv", GOOD)
    for attempt in range(4):
        db = tmp_path / f"race{attempt}.db"
        base = [sys.executable, "-m", "qaudit", "--db", str(db)]
        runs = [
            subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
            for command in ([*base, "init"], [*base, "init"], [*base, "cases", "import", str(good)])
        ]
        # The race happened: all three were started before any had finished (or made the file).
        overlapped = all(p.poll() is None for p in runs) and not db.exists()
        (first, _), (second, _), (imported, said) = [(p.wait(60), p.communicate()[1]) for p in runs]
        assert overlapped, f"attempt {attempt}: a process ended before the last one started"
        assert (first, second) == (0, 0)
        cases = snapshot(f"sqlite:///{db}")["cases"]
        assert isinstance(cases, tuple)
        if imported == 0:
            assert cases[0] == 2, f"attempt {attempt}: lost {cases}"
        else:
            assert imported == 1 and "run qaudit init" in said, said
            assert cases[0] == 0


def test_a_store_created_through_a_link_is_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    link = tmp_path / "qaudit.db"
    link.symlink_to(data / "qaudit.db")  # dangling until the store is created
    old = os.umask(0)
    try:
        done = CliRunner().invoke(app, ["--db", str(link), "init"])
    finally:
        os.umask(old)
    assert done.exit_code == 0, done.stderr
    assert link.is_symlink()
    assert stat.S_IMODE((data / "qaudit.db").stat().st_mode) == 0o600

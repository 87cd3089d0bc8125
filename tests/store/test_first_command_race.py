"""Two first commands on a store that does not exist yet: the one that fails never removes the
file the other has committed to. A command that fails leaves a schema-less file at most, which
the next commands treat as a store not yet initialised."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy.engine import Connection
from typer.testing import CliRunner

from conftest import snapshot, write_csv
from qaudit.cli import app
from qaudit.errors import InputError
from qaudit.services.cases import import_cases
from qaudit.services.context import Context
from qaudit.services.sampling import draw_sample
from qaudit.store.engine import Store

HEADER = ["case_ref", "team", "worker", "category", "open_date", "close_date"]
GOOD = [HEADER, ["C1", "Team A", "", "CIN", "2026-01-05", ""], ["C2", "Team B", "", "CP", "", ""]]
# The same ref twice with different data: refused inside the transaction, after the store is open.
BAD = [HEADER, ["C1", "Team A", "", "CIN", "", ""], ["C1", "Team B", "", "CIN", "", ""]]


class _RacedStore(Store):
    """A store whose first connection lets another process's first command commit first: the
    moment after this command saw no file and before it took the writer lock."""

    def __init__(self, url: str, other: Context, other_file: Path) -> None:
        super().__init__(url)
        self.other, self.other_file, self.raced = other, other_file, False

    @contextmanager
    def _connect(self, *, write: bool) -> Iterator[Connection]:
        if not self.raced:
            self.raced = True
            winner = Store(self.url)
            try:
                import_cases(store=winner, path=self.other_file, ctx=self.other)
            finally:
                winner.dispose()
        with super()._connect(write=write) as conn:
            yield conn


def test_a_failing_first_command_keeps_what_another_committed(tmp_path: Path, ctx: Context) -> None:
    path = tmp_path / "new.db"
    url = f"sqlite:///{path}"
    good = write_csv(tmp_path / "good.csv", GOOD)
    loser = _RacedStore(url, ctx, good)
    with pytest.raises(InputError, match="case ref 'C1' is also on line 2"):
        import_cases(store=loser, path=write_csv(tmp_path / "bad.csv", BAD), ctx=ctx)
    loser.dispose()
    assert loser.raced
    assert path.exists(), "the failing command removed the store another command wrote to"
    after = snapshot(url)
    cases = after["cases"]
    assert isinstance(cases, tuple) and cases[0] == 2
    listed = CliRunner().invoke(app, ["--db", str(path), "cases", "list", "--format", "csv"])
    assert listed.exit_code == 0, listed.stderr
    assert "C1" in listed.stdout and "C2" in listed.stdout


def test_a_failed_first_command_leaves_a_store_to_initialise(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    bad = write_csv(tmp_path / "bad.csv", BAD)
    runner = CliRunner()
    failed = runner.invoke(app, ["--db", str(path), "cases", "import", str(bad)])
    assert failed.exit_code == 1
    assert failed.stderr.startswith(f"Error: {bad}, line 3")
    assert snapshot(f"sqlite:///{path}") in ({"exists": False}, {"schema": None})
    if path.exists():  # kept (someone else may have opened it), private, and holding nothing
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    listed = runner.invoke(app, ["--db", str(path), "cases", "list"])
    assert listed.exit_code == 1
    assert "run `qaudit init`" in listed.stderr
    good = runner.invoke(
        app, ["--db", str(path), "cases", "import", str(write_csv(tmp_path / "g.csv", GOOD))]
    )
    assert good.exit_code == 0, good.stderr
    cases = snapshot(f"sqlite:///{path}")["cases"]
    assert isinstance(cases, tuple) and cases[0] == 2


def test_init_after_a_failed_first_command(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    bad = write_csv(tmp_path / "bad.csv", BAD)
    runner = CliRunner()
    assert runner.invoke(app, ["--db", str(path), "cases", "import", str(bad)]).exit_code == 1
    done = runner.invoke(app, ["--db", str(path), "init"])
    assert done.exit_code == 0, done.stderr
    # The file was there, empty: init built the store in it, and says so.
    assert done.stderr.startswith(f"Created {path} "), done.stderr
    verified = runner.invoke(app, ["--db", str(path), "db", "verify"])
    assert verified.exit_code == 0, verified.stderr


def test_a_dry_run_on_a_new_store_creates_no_file(tmp_path: Path, ctx: Context) -> None:
    """A dry run never creates the file, so it never has one to remove that another command
    may have opened meanwhile."""
    path = tmp_path / "new.db"
    store = Store(f"sqlite:///{path}")
    created: list[bool] = []
    real = Store._create_private_file

    def watch(target: Path) -> None:
        created.append(True)
        real(target)

    store._create_private_file = watch  # type: ignore[method-assign]
    result = draw_sample(store=store, ctx=ctx, month="2026-11", dry_run=True)
    store.dispose()
    assert result is not None
    assert not created
    assert not path.exists()


@pytest.mark.slow
def test_two_first_commands_in_two_processes(tmp_path: Path) -> None:
    """The race as users meet it: two `qaudit cases import` on a new store at once, one of
    them refused. Whichever order they run in, what the good one reported added is kept.
    (Before the fix this lost the good import's store in about half the tries.)"""
    import os
    import subprocess
    import sys

    import qaudit

    source = str(Path(qaudit.__file__).parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([source, os.environ.get("PYTHONPATH", "")])}
    good = write_csv(tmp_path / "good.csv", GOOD)
    bad = write_csv(tmp_path / "bad.csv", BAD)
    for attempt in range(4):
        db = tmp_path / f"race{attempt}.db"
        command = [sys.executable, "-m", "qaudit", "--db", str(db), "cases", "import"]
        runs = [
            subprocess.Popen([*command, str(path)], env=env, stderr=subprocess.PIPE, text=True)
            for path in (good, bad)
        ]
        (good_code, good_err), (bad_code, _) = [(p.wait(60), p.communicate()[1]) for p in runs]
        assert (good_code, bad_code) == (0, 1), good_err
        cases = snapshot(f"sqlite:///{db}")["cases"]
        assert isinstance(cases, tuple) and cases[0] == 2, f"attempt {attempt}: lost {cases}"


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

"""Habits of a well-made command line: --version, and a reader that stops reading."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from typer.testing import CliRunner

import qaudit
from conftest import Cli, snapshot, write_csv
from qaudit.cli import app

HEADER = ["case_ref", "team", "worker", "category", "open_date", "close_date", "date_of_birth"]


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert (result.exit_code, result.stdout) == (0, f"qaudit {version('qaudit')}\n")


@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20,000 cases: far more output than a pipe holds, so writing fails mid-way."""
    folder = tmp_path_factory.mktemp("pipe")
    db = folder / "store.db"
    rows = [[f"B{n:06d}", f"Team {n % 7}", "", "CIN", "2026-01-05", "", ""] for n in range(20_000)]
    runner = CliRunner()
    assert runner.invoke(app, ["--db", str(db), "init"]).exit_code == 0
    done = runner.invoke(
        app, ["--db", str(db), "cases", "import", str(write_csv(folder / "c.csv", [HEADER, *rows]))]
    )
    assert done.exit_code == 0, done.stderr
    return db


def _piped(db: Path, args: str, reader: str) -> tuple[int, str]:
    """qaudit's own exit code and stderr, its output piped into ``reader``."""
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(qaudit.__file__).parents[1]),  # this checkout's qaudit
        "QAUDIT_TODAY": "2026-12-01",
    }
    script = (
        f"{sys.executable} -m qaudit --db {db} {args} 2>stderr.txt | {reader} > /dev/null; "
        'exit "${PIPESTATUS[0]}"'
    )
    folder = db.parent
    done = subprocess.run(
        ["bash", "-c", script], cwd=folder, env=env, capture_output=True, check=False, timeout=120
    )
    return done.returncode, (folder / "stderr.txt").read_text()


@pytest.mark.parametrize(
    ("args", "reader"),
    [
        pytest.param("cases list --format csv", "head -1", id="csv"),
        pytest.param("cases list --format json", "head -c 10", id="json"),
        pytest.param("cases list --all", "head -2", id="table"),
        pytest.param("report audits --period 2026-11", "head -0", id="report"),
    ],
)
def test_a_reader_that_stops_is_no_error(big_store: Path, args: str, reader: str) -> None:
    """`qaudit … | head -1` stops quietly with exit 0, as cat does: no message, no traceback."""
    assert _piped(big_store, args, reader) == (0, "")


def _redirected(db: Path, args: str, redirect: str) -> tuple[int, str]:
    """qaudit's exit code and stderr with its standard output redirected so (bash syntax), its
    output buffered as it is by default (PYTHONUNBUFFERED would hide a second failure at exit)."""
    env = {
        **{k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"},
        "PYTHONPATH": str(Path(qaudit.__file__).parents[1]),
        "QAUDIT_TODAY": "2026-12-01",
    }
    script = f"{sys.executable} -m qaudit --db {db} {args} 2>stderr.txt {redirect}"
    done = subprocess.run(
        ["bash", "-c", script], cwd=db.parent, env=env, capture_output=True, check=False,
        timeout=120,
    )  # fmt: skip
    return done.returncode, (db.parent / "stderr.txt").read_text()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("args", ["cases list --format csv", "cases list --all", "overdue"])
def test_output_that_cannot_be_written_is_one_error_line(big_store: Path, args: str) -> None:
    """Standard output on a full disk (/dev/full): exit 1 and one line saying so, never an
    internal fault."""
    assert _redirected(big_store, args, "> /dev/full") == (
        1,
        "Error: cannot write the output (No space left on device); the store is unchanged\n",
    )
    assert not list(big_store.parent.glob("*.fault-*"))


def test_a_closed_standard_output_does_nothing(big_store: Path) -> None:
    before = snapshot(f"sqlite:///{big_store}")
    code, stderr = _redirected(big_store, "complaints log --theme delay --summary x", ">&-")
    assert (code, stderr) == (
        1,
        "Error: standard output is closed; nothing was done (send it to /dev/null to discard it)\n",
    )
    assert snapshot(f"sqlite:///{big_store}") == before


def _interrupt(*_args: object, **_kwargs: object) -> None:
    raise KeyboardInterrupt


def test_an_interrupt_before_the_commit_says_nothing_was_written(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(cli.url)
    monkeypatch.setattr("qaudit.services.complaints.record_change", _interrupt)
    result = cli("complaints", "log", "--theme", "delay", "--summary", "x")
    assert (result.exit_code, result.stderr) == (130, "Error: interrupted; nothing was written\n")
    assert snapshot(cli.url) == before


def test_an_interrupt_after_the_commit_does_not_say_nothing_was_written(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while the confirmation is printed: the complaint is in the store, and qaudit
    says so rather than claiming nothing was written."""
    monkeypatch.setattr("qaudit.cli.complaint_options.emit_record", _interrupt)
    result = cli("complaints", "log", "--theme", "delay", "--summary", "x")
    assert (result.exit_code, result.stderr) == (
        130,
        "Error: interrupted after the change was saved (see qaudit log)\n",
    )
    listed = cli("complaints", "list", "--format", "json").json()
    assert [c["ref"] for c in listed] == ["C-2026-0001"]  # type: ignore[index,union-attr]

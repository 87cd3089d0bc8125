"""Hostile use, generated: random paths and random text through the commands.

Whatever a careless or hostile user gives, qaudit answers with exit 0, 1 or 2 and never a
traceback, and a command that does not succeed leaves the store's content exactly as it was.
Paths include the store's own files and links to them; text includes Rich markup, terminal
control sequences, NUL, formula payloads and very long values.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import snapshot
from qaudit.cli import app

FIXED = ["--today", "2026-12-01"]
STAFF = [
    ("Priya Lewis", "qa_lead", "Quality Assurance"),
    ("Kiran Evans", "auditor", "Quality Assurance"),
    ("Jo Clarke", "head_of_service", "Assessment Team 1"),
    ("Sam Reid", "team_manager", "Assessment Team 1"),
]
CASES = [
    ("C100001", "Assessment Team 1", "Sam Reid", "CIN", "2026-01-05", "", "2015-03-02"),
    ("C100002", "Assessment Team 1", "Sam Reid", "CP", "2025-06-10", "", "2012-07-19"),
]

# Text a hostile or careless user might type or export: markup, control sequences, NUL,
# formula payloads, surrounding space, very long values, and anything else unicode allows.
NASTY = [
    "[/x]",
    "[bold]loud",
    "[link=file:///etc/passwd]click[/link]",
    "\x1b[2J\x1b[31mred",
    "\x9b31m",
    "a\x00b",
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "-2+3",
    "\tindented",
    "\rreturned",
    "line\nbreak",
    "  spaced  ",
    "\u202eevil",
    "O'Brien-Smith",
    "Zoë Ní Bhriain",
]
TEXT = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),
    st.text(min_size=1, max_size=3).map(lambda s: s * 4000),  # very long
    st.lists(st.sampled_from(NASTY), min_size=2, max_size=4).map("".join),
)


def invoke(url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--database-url", url, *FIXED, *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"qaudit {' '.join(args)!r} raised {result.exception!r}")
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.stderr)
    return result.exit_code, result.stderr


def write_rows(path: Path, header: list[str], rows: list[tuple[str, ...]]) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode("utf-8", "surrogatepass"))
    return path


def seeded(url: str, folder: Path) -> None:
    staff = write_rows(folder / "staff.csv", ["name", "role", "team"], STAFF)
    cases = write_rows(
        folder / "cases.csv",
        ["case_ref", "team", "worker", "category", "open_date", "close_date", "date_of_birth"],
        CASES,
    )
    assert invoke(url, "init")[0] == 0
    assert invoke(url, "staff", "import", str(staff))[0] == 0
    assert invoke(url, "cases", "import", str(cases))[0] == 0


def attempt(url: str, *args: str) -> int:
    """Run one command; if it did not succeed, the store must be exactly as it was."""
    before = snapshot(url)
    code, stderr = invoke(url, *args)
    if code != 0:
        assert snapshot(url) == before, (args, stderr)
    return code


SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Each example of the text tests runs a dozen commands on a store that grows as they succeed.
TEXT_SETTINGS = settings(SETTINGS, max_examples=15)


@pytest.fixture
def seeded_url(db_url: str, tmp_path: Path) -> str:
    seeded(db_url, tmp_path)
    return db_url


@pytest.mark.slow  # make test-slow, and CI
@TEXT_SETTINGS
@given(summary=TEXT, theme=TEXT, committee=TEXT, resolution=TEXT, user=TEXT)
def test_random_text_through_the_write_commands(
    seeded_url: str, summary: str, theme: str, committee: str, resolution: str, user: str
) -> None:
    attempt(seeded_url, "complaints", "log", "--case", "C100001", "--summary", summary)
    attempt(seeded_url, "complaints", "log", "--theme", theme, "--summary", "x")
    attempt(seeded_url, "scrutiny", "add", "--committee", committee, "--resolution", resolution)
    attempt(seeded_url, "--user", user, "scrutiny", "add", "--committee", "Children's Scrutiny")
    for listing in (["complaints", "list"], ["scrutiny", "list"], ["log"]):
        for fmt in ("table", "csv"):  # (JSON escapes everything by construction)
            assert invoke(seeded_url, *listing, "--format", fmt)[0] == 0


@pytest.mark.slow  # make test-slow, and CI
@TEXT_SETTINGS
@given(name=TEXT, team=TEXT, ref=TEXT, worker=TEXT)
def test_random_text_through_the_importers(
    seeded_url: str, tmp_path: Path, name: str, team: str, ref: str, worker: str
) -> None:
    staff = write_rows(
        tmp_path / "more-staff.csv",
        ["name", "role", "team"],
        [*STAFF, (name, "auditor", "Quality Assurance"), ("Ann Bell", "team_manager", team)],
    )
    attempt(seeded_url, "staff", "import", str(staff))
    cases = write_rows(
        tmp_path / "more-cases.csv",
        ["case_ref", "team", "worker", "category", "open_date", "close_date", "date_of_birth"],
        [*CASES, (ref, "Assessment Team 1", worker, "CIN", "2026-02-01", "", "2016-01-01")],
    )
    attempt(seeded_url, "cases", "import", str(cases))
    for listing in (["cases", "list"], ["staff", "list"]):
        for fmt in ("table", "csv"):
            assert invoke(seeded_url, *listing, "--format", fmt)[0] == 0


# -- paths ------------------------------------------------------------------------------------

PATH_KINDS = [
    "store",
    "store-wal",
    "store-shm",
    "hard link to the store",
    "soft link to the store",
    "soft link to the wal",
    "folder",
    "folder/",
    "missing/parent/out",
    "dangling link",
    "read-only file",
    "junk file",
    "truncated store",
    "fresh",
    "fresh",
    "backup",
]


class Place:
    """A folder beside a SQLite store, and the hostile paths that can be made in it."""

    def __init__(self, folder: Path, store: Path) -> None:
        self.folder, self.store = folder, store

    def make(self, kind: str, name: str) -> Path:
        here = self.folder / "paths"
        here.mkdir(exist_ok=True)
        target = here / name
        for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
            if leftover.is_symlink() or leftover.is_file():
                leftover.unlink()
            elif leftover.is_dir():
                shutil.rmtree(leftover)
        if kind == "store":
            return self.store
        if kind == "store-wal":
            return Path(f"{self.store}-wal")
        if kind == "store-shm":
            return Path(f"{self.store}-shm")
        if kind == "hard link to the store":
            os.link(self.store, target)
        elif kind == "soft link to the store":
            target.symlink_to(self.store)
        elif kind == "soft link to the wal":
            target.symlink_to(Path(f"{self.store}-wal"))
        elif kind == "folder":
            target.mkdir()
        elif kind == "folder/":
            target.mkdir()
            return Path(f"{target}/")
        elif kind == "missing/parent/out":
            return here / "missing" / "parent" / name
        elif kind == "dangling link":
            target.symlink_to(here / "nowhere" / name)
        elif kind == "read-only file":
            target.write_text("keep me")
            target.chmod(0o444)
        elif kind == "junk file":
            target.write_bytes(os.urandom(3000))
        elif kind == "truncated store":
            target.write_bytes(self.store.read_bytes()[:1500])
        elif kind == "backup":
            attempt(self.url, "db", "backup", str(target))
        return target

    url = ""


@pytest.fixture
def place(tmp_path: Path) -> Iterator[Place]:
    store = tmp_path / "store.db"
    url = f"sqlite:///{store}"
    seeded(url, tmp_path)
    here = Place(tmp_path, store)
    here.url = url
    yield here


NAMES = st.one_of(
    st.sampled_from(["out.html", "x", ".hidden", "spaced name.db", "ünï.csv", "{period}.html"]),
    st.text(alphabet="abcXYZ019._-[]{}' ", min_size=1, max_size=20).filter(
        lambda s: s not in {".", ".."}
    ),
)


@SETTINGS
@given(
    kind=st.sampled_from(PATH_KINDS),
    name=NAMES,
    action=st.sampled_from(["report", "backup", "backup --force", "restore"]),
    fmt=st.sampled_from(["html", "csv", "json", "xlsx", "md"]),
)
def test_random_paths_never_destroy_the_store(
    place: Place, kind: str, name: str, action: str, fmt: str
) -> None:
    made = place.make(kind, name)
    path = str(made)
    # The store's own files, by name or through a link (a link to a -wal that is not there
    # at the moment is only a dangling link, which a command may replace).
    own = kind in {"store", "store-wal", "store-shm", "hard link to the store"} or (
        kind.startswith("soft link") and made.exists()
    )
    if action == "report" and "{period}" in name and "link" in kind:
        own = False  # the report writes to 2026-11…, not to the link named {period}…
    if action == "report":
        report = ["report", "audits", "--period", "2026-11", "-f", fmt, "--out", path]
        code = attempt(place.url, *report)
    elif action.startswith("backup"):
        code = attempt(place.url, "db", "backup", path, *action.split()[1:])
    else:
        code = attempt(place.url, "db", "restore", path, "--yes")
    if own:
        assert code == 1, f"{action} onto the store's own file ({kind}) was not refused"
    # Whatever happened, the store is still a sound store.
    assert invoke(place.url, "db", "verify")[0] == 0

"""Drafts of an audit: where they are kept, who may read them, what their names say."""

from __future__ import annotations

import os
import stat
from datetime import date
from pathlib import Path

import pytest

from conftest import Cli, write_csv
from qaudit.drafts import (
    Draft,
    DraftError,
    case_key,
    places,
    private_folder,
    read_draft,
    state_folder,
    write_draft,
)


def test_beside_a_sqlite_store_then_the_state_folder(tmp_path: Path) -> None:
    beside, state = places(store_path=tmp_path / "qaudit.db", database_url=None)
    assert beside.folder == tmp_path / ".qaudit-drafts"
    assert beside.path("C100023", "2026-12").name == "qaudit.db-C100023-2026-12.json"
    assert state.folder == state_folder()
    assert state.prefix.startswith("qaudit.db-")  # and the store's place, hashed
    other = places(store_path=tmp_path / "x" / "qaudit.db", database_url=None)[1]
    assert other.prefix != state.prefix


def test_a_postgresql_store_keeps_drafts_in_the_state_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    url = "postgresql+psycopg://qa:secret@db.example/qaudit"
    [only] = places(store_path=None, database_url=url)
    assert only.folder == tmp_path / "state" / "qaudit" / "drafts"
    assert "secret" not in only.prefix and "example" not in only.prefix
    same = places(store_path=None, database_url=url.replace("secret", "other"))[0]
    assert same.prefix == only.prefix  # the password is no part of which store it is


def test_a_relative_state_home_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", "relative/state")
    assert state_folder() == Path.home() / ".local" / "state" / "qaudit" / "drafts"


@pytest.mark.parametrize(
    ("ref", "plain"),
    [("C100023", True), ("K1", True), ("A_1-2", True), ("../x", False), ("Jo Bloggs", False)],
)
def test_a_case_ref_in_a_file_name_is_plain_or_hashed(ref: str, plain: bool) -> None:
    key = case_key(ref)
    assert (key == ref) is plain
    assert "/" not in key and " " not in key and ".." not in key


def test_a_draft_is_private_and_reads_back(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        place = places(store_path=tmp_path / "s.db", database_url=None)[0]
        path = place.path("K1", "2026-12")
        draft = Draft(
            case_ref="K1",
            audit_date=date(2026, 12, 3),
            auditor="Ann Auditor",
            answers={"visits": "good"},
            grade="inadequate",
            development="Visits missed",
            themes=["planning"],
            done=["q:visits", "grade", "development"],
        )
        write_draft(draft, path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    back = read_draft(path)
    assert back.answers == {"visits": "good"}
    assert (back.grade, back.development, back.done) == (
        "inadequate",
        "Visits missed",
        ["q:visits", "grade", "development"],
    )
    assert place.drafts_of("K1") == [path]
    assert place.drafts_of("K") == []  # K's drafts are not K1's


def test_an_open_drafts_folder_is_made_private(tmp_path: Path) -> None:
    folder = tmp_path / ".qaudit-drafts"
    folder.mkdir(mode=0o777)
    folder.chmod(0o777)
    private_folder(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_a_drafts_folder_that_is_a_link_is_refused(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / ".qaudit-drafts").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(DraftError, match="is not a folder"):
        private_folder(tmp_path / ".qaudit-drafts")


@pytest.mark.parametrize("body", ["", "{}", "[1]", '{"format": "qaudit-grade-draft"}', "\xff"])
def test_a_file_that_is_not_a_draft_is_refused(tmp_path: Path, body: str) -> None:
    path = tmp_path / "d.json"
    path.write_text(body, encoding="latin-1")
    with pytest.raises(DraftError, match="cannot be read"):
        read_draft(path)


def test_erasing_a_case_removes_its_drafts(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A draft holds the auditor's free text about the child: `db erase` leaves none behind
    (the other cases' drafts stay)."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    cases = [
        ["case_ref", "team", "worker", "category", "open_date", "close_date"],
        ["K1", "Team A", "", "CIN", "2025-01-01", ""],
    ]
    assert cli("cases", "import", str(write_csv(tmp_path / "c.csv", cases))).exit_code == 0
    file = cli.url.removeprefix("sqlite:///") if cli.url.startswith("sqlite") else None
    place = places(store_path=Path(file) if file else None, database_url=cli.url)[0]
    for ref in ("K1", "K2"):
        write_draft(Draft(case_ref=ref, audit_date=date(2026, 12, 1)), place.path(ref, "2026-12"))
    result = cli("db", "erase", "K1", "--reason", "SAR-2026-017", "--yes")
    assert result.exit_code == 0, result.stderr
    assert "Removed 1 unsaved draft of an audit of K1." in result.stderr
    assert place.drafts_of("K1") == []
    assert len(place.drafts_of("K2")) == 1

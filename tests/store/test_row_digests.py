"""Every row has the digest of the event that last wrote it: a row edited in place behind
qaudit's back (a grade, a date, a team) is found by ``db verify``, naming table and id, even
after later honest commands and with ``--expect``; honest commands of every kind verify."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from test_erasure import CASES, SECRETS, _case_with_everything, _ok

from conftest import Cli, raw_sql, scalar_sql, snapshot, write_csv
from qaudit.store.engine import Store

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "stores"


def _head(cli: Cli) -> str:
    result = _ok(cli, "db", "verify", "--format", "json")
    head = result.json()["head"]
    assert isinstance(head, str)
    return head


EDITS = {
    "grade": (
        "audits",
        "SELECT id FROM audits",
        "UPDATE audits SET grade = 'outstanding'",
    ),
    "date": (
        "complaints",
        "SELECT id FROM complaints",
        "UPDATE complaints SET received = '2026-10-01'",
    ),
    "team": (
        "cases",
        "SELECT id FROM cases WHERE case_ref = 'K2'",
        "UPDATE cases SET team_id = (SELECT id FROM teams WHERE name = 'Quality Assurance') "
        "WHERE case_ref = 'K2'",
    ),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_a_row_edited_in_place_is_found_by_table_and_id(
    cli: Cli, tmp_path: Path, edit: str
) -> None:
    table, find, statement = EDITS[edit]
    _case_with_everything(cli, tmp_path)
    kept = _head(cli)  # an untouched store verifies
    row_id = scalar_sql(cli.url, find)
    before = scalar_sql(cli.url, f"SELECT count(*) FROM {table}")
    raw_sql(cli.url, statement)
    assert scalar_sql(cli.url, f"SELECT count(*) FROM {table}") == before  # counts cannot tell

    found = cli("db", "verify")
    assert found.exit_code == 1
    said = re.fullmatch(
        rf"Error: {table} {row_id} changed since event (\d+) without an event of its own\n",
        found.stderr,
    )
    assert said is not None, found.stderr
    # The event named is the newest that wrote the row (the grade, the log, the import...).
    assert int(said.group(1)) == scalar_sql(
        cli.url,
        f"SELECT max(event_id) FROM row_digests WHERE table_name = '{table}' "
        f"AND first_id <= {row_id} AND last_id >= {row_id}",
    )
    untouched = snapshot(cli.url)
    # Honest writes afterwards do not cover it up, and the head kept before the edit still
    # names an event in the chain, but the edited row fails the check all the same.
    _ok(cli, "complaints", "log", "--received", "2026-11-20", "--case", "K1")
    assert cli("db", "verify").stderr == found.stderr
    expected = cli("db", "verify", "--expect", kept)
    assert expected.exit_code == 1
    assert f"{table} {row_id} changed since event" in expected.stderr
    assert snapshot(cli.url) != untouched  # (the log above was written: verify writes nothing)


def test_several_edited_rows_are_listed_with_a_count(cli: Cli, tmp_path: Path) -> None:
    rows = [CASES[0], *[[f"M{n}", "Team A", "", "CP", "2025-01-01", "", ""] for n in range(9)]]
    _ok(cli, "cases", "import", str(write_csv(tmp_path / "c.csv", rows)))
    raw_sql(cli.url, "UPDATE cases SET category = 'CIN'")
    found = cli("db", "verify")
    assert found.exit_code == 1
    assert found.stderr.startswith(
        "Error: cases 1 changed since event 2 without an event of its own; cases 2 changed"
    )
    assert found.stderr.endswith(" without an event of its own (and 4 more rows)\n")
    assert found.stderr.count("changed since event") == 5
    assert len(found.stderr.splitlines()) == 1


def test_a_changed_digest_breaks_its_events_seal(cli: Cli, tmp_path: Path) -> None:
    _case_with_everything(cli, tmp_path)
    event = scalar_sql(cli.url, "SELECT min(event_id) FROM row_digests WHERE table_name = 'cases'")
    zero = "X'" + "00" * 16 * 2 + "'" if "sqlite" in cli.url else "'\\x" + "00" * 32 + "'"
    raw_sql(
        cli.url,
        f"UPDATE row_digests SET digests = {zero} WHERE event_id = {event} "
        "AND table_name = 'cases'",
    )
    found = cli("db", "verify")
    assert found.exit_code == 1
    assert found.stderr.startswith(
        f"Error: the row digests of event {event} were changed, added or removed after it was "
        "written; "
    )


def test_every_honest_command_verifies(cli: Cli, tmp_path: Path) -> None:
    _case_with_everything(cli, tmp_path)
    _ok(cli, "db", "erase", "K1", "--reason", "SAR-2026-017", "--yes")
    _ok(cli, "db", "unerase", "K1", "--reason", "sent in error")
    changed = [*CASES[:2], ["K2", "Team B", "", "CP", "2025-01-01", "2026-11-30", ""]]
    changed.append(["K3", "Team B", "", "CP", "2025-03-01", "", ""])
    _ok(cli, "cases", "import", str(write_csv(tmp_path / "again.csv", changed)))
    _ok(cli, "sample", "--month", "2026-12")
    _ok(cli, "sample", "--month", "2026-12", "--redraw")
    responses = [
        ["response_id", "survey", "age_band", "received_at", "concern", "comment"],
        ["R1", "your-life-your-care", "8-11", "2026-12-01T09:00Z", "no", "I like my school"],
        ["R2", "your-life-beyond-care", "16-25", "2026-12-01T10:00Z", "", ""],
    ]
    _ok(cli, "survey", "import", str(write_csv(tmp_path / "r.csv", responses)))
    assert "sound" in _ok(cli, "db", "verify").stderr
    # ...and each table of the store has rows under a digest.
    assert scalar_sql(cli.url, "SELECT count(DISTINCT table_name) FROM row_digests") >= 8  # type: ignore[operator]


def test_erasing_a_case_deletes_the_keys_of_its_earlier_digests(cli: Cli, tmp_path: Path) -> None:
    """An earlier digest of an erased row, with its key, would confirm a guessed date of birth
    or text: the erase deletes those keys (zeroed on SQLite), and digests the rows afresh."""
    _case_with_everything(cli, tmp_path)
    case_id = scalar_sql(cli.url, "SELECT id FROM cases WHERE case_ref = 'K1'")
    erase_id_before = scalar_sql(cli.url, "SELECT max(id) FROM change_log")
    older = (
        "SELECT {what} FROM row_digests d JOIN digest_keys k ON k.id = d.key_id "
        f"WHERE d.table_name = 'cases' AND d.first_id <= {case_id} AND d.last_id >= {case_id} "
        f"AND d.event_id <= {erase_id_before}"
    )
    assert scalar_sql(cli.url, older.format(what="count(*)")) == 1
    key = scalar_sql(cli.url, older.format(what="k.key"))
    assert isinstance(key, bytes)
    _ok(cli, "db", "erase", "K1", "--reason", "SAR-2026-017", "--yes")
    assert scalar_sql(cli.url, older.format(what="count(*)")) == 0
    assert "sound" in _ok(cli, "db", "verify").stderr
    if cli.url.startswith("sqlite"):
        path = Path(cli.url.removeprefix("sqlite:///"))
        files = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
        assert key not in files
        assert SECRETS["strengths"].encode() not in files


def test_a_store_upgraded_from_schema_0006_is_covered(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    path = tmp_path / "store.db"
    shutil.copyfile(FIXTURES / "schema-0006.db", path)
    cli = Cli(f"sqlite:///{path}", CliRunner())
    _ok(cli, "init")  # upgrades: its event digests every row once (the baseline)
    migrate = scalar_sql(cli.url, "SELECT max(id) FROM change_log WHERE action = 'store.migrate'")
    assert scalar_sql(cli.url, "SELECT count(*) FROM change_log WHERE rows_digest IS NOT NULL") == 1
    assert scalar_sql(cli.url, f"SELECT count(*) FROM row_digests WHERE event_id = {migrate}")
    assert "sound" in _ok(cli, "db", "verify").stderr
    raw_sql(cli.url, "UPDATE audits SET grade = 'outstanding' WHERE id = 3")
    found = cli("db", "verify")
    assert found.exit_code == 1
    assert found.stderr == (
        f"Error: audits 3 changed since event {migrate} without an event of its own\n"
    )


def test_a_restored_backup_verifies_and_an_edit_after_it_is_found(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    path = tmp_path / "store.db"
    cli = Cli(f"sqlite:///{path}", CliRunner())
    _case_with_everything(cli, tmp_path)
    _ok(cli, "db", "backup", str(tmp_path / "kept.db"))
    _ok(cli, "db", "erase", "K1", "--reason", "SAR-2026-017", "--yes")
    _ok(cli, "db", "restore", str(tmp_path / "kept.db"), "--yes")
    assert "sound" in _ok(cli, "db", "verify").stderr
    raw_sql(cli.url, "UPDATE complaint_stages SET late_reason = NULL")
    found = cli("db", "verify")
    assert found.exit_code == 1
    assert found.stderr.startswith("Error: complaint_stages ")


def test_what_a_rolled_back_transaction_noted_is_not_digested_by_the_next(db_url: str) -> None:
    """The rows a failed command noted (on the pooled connection) belong to no later event."""
    from qaudit.store.digests import collect_blocks, note_written

    store = Store(db_url)
    try:
        with store.engine.connect() as conn:
            with pytest.raises(RuntimeError), conn.begin():
                note_written(conn, "teams", [999])
                raise RuntimeError("the command failed")
            with conn.begin():
                assert collect_blocks(conn) == []
    finally:
        store.dispose()

"""``db verify --expect HASH``: the hash kept from a report or backup must still be an event in
the change log. Honest later writes follow it; a log rewritten or cut short no longer holds it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import Cli, plain, snapshot, write_csv
from qaudit.store.engine import Store

HEADER = ["case_ref", "team", "worker", "category", "open_date", "close_date"]


def _import(cli: Cli, tmp_path: Path, *refs: str) -> None:
    rows = [HEADER, *[[ref, "Team A", "", "CIN", "2026-01-01", ""] for ref in refs]]
    done = cli("cases", "import", str(write_csv(tmp_path / f"{refs[0]}.csv", rows)))
    assert done.exit_code == 0, done.stderr


def _report_head(cli: Cli) -> str:
    report = cli("report", "audits", "--period", "2026/27-Q3", "-f", "json")
    assert report.exit_code == 0, report.stderr
    head = json.loads(report.stdout)["log_head"]
    assert isinstance(head, str) and len(head) == 64
    return head


def _events(store_url: str) -> list[tuple[int, str]]:
    store = Store(store_url)
    try:
        with store.engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT id, action FROM change_log ORDER BY id").all()
            return [(int(id_), str(action)) for id_, action in rows]
    finally:
        store.dispose()


def test_a_kept_head_passes_after_later_writes_and_names_its_event(
    cli: Cli, tmp_path: Path
) -> None:
    _import(cli, tmp_path, "C1", "C2")
    head = _report_head(cli)
    kept_id, kept_action = _events(cli.url)[-1]
    _import(cli, tmp_path, "C3")
    _import(cli, tmp_path, "C4")

    checked = cli("db", "verify", "--expect", head)
    assert checked.exit_code == 0, checked.stderr
    said = plain(checked.stderr)
    assert f"The hash kept is event {kept_id} ({kept_action}, " in said
    assert "UTC); 2 events since." in said

    as_json = cli("db", "verify", "--expect", head.upper(), "--format", "json")
    assert as_json.exit_code == 0
    expect = as_json.json()["expect"]  # type: ignore[index]
    assert expect["hash"] == head
    assert expect["event"] == kept_id and expect["action"] == kept_action
    assert expect["events_since"] == 2
    assert expect["recorded_at"].endswith(" UTC")

    # The head itself: nothing since.
    now = cli("db", "verify", "--format", "json").json()["head"]  # type: ignore[index]
    assert (
        cli("db", "verify", "--expect", now, "-f", "json").json()["expect"][  # type: ignore[index]
            "events_since"
        ]
        == 0
    )


def test_a_hash_not_in_the_log_fails(cli: Cli, tmp_path: Path) -> None:
    _import(cli, tmp_path, "C1")
    made_up = "ab" * 32
    before = snapshot(cli.url)
    result = cli("db", "verify", "--expect", made_up)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {made_up} is not the hash of any event in the change log: the log was "
        "rewritten or cut short\n"
    )
    as_json = cli("db", "verify", "--expect", made_up, "--format", "json")
    assert as_json.exit_code == 1
    data = as_json.json(exit_code=1)
    assert data["ok"] is False  # type: ignore[index]
    assert data["expect"] == {  # type: ignore[index]
        "hash": made_up,
        "event": None,
        "action": None,
        "recorded_at": None,
        "events_since": None,
    }
    assert snapshot(cli.url) == before


def test_the_kept_hash_of_a_deleted_newest_event_fails(cli: Cli, tmp_path: Path) -> None:
    _import(cli, tmp_path, "C1")
    _import(cli, tmp_path, "C2")
    _import(cli, tmp_path, "C3")
    kept = _report_head(cli)
    newest = [id_ for id_, _ in _events(cli.url)][-2:]
    # Someone with the database removes the newest events and the cases they added, so the
    # log and the records agree again: only the hash kept elsewhere can tell.
    store = Store(cli.url)
    with store.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER change_log_no_delete")
        else:
            conn.exec_driver_sql("ALTER TABLE change_log DISABLE TRIGGER USER")
        conn.exec_driver_sql(f"DELETE FROM change_log WHERE id >= {newest[0]}")
        conn.exec_driver_sql("DELETE FROM cases WHERE case_ref <> 'C1'")
    store.dispose()
    assert cli("db", "verify").exit_code == 0  # the shortened log is sound on its own
    before = snapshot(cli.url)
    result = cli("db", "verify", "--expect", kept)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {kept} is not the hash of any event in the change log: the log was "
        "rewritten or cut short\n"
    )
    assert snapshot(cli.url) == before


@pytest.mark.parametrize("bad", ["abc", "g" * 64, "a" * 63, "a" * 65, ""])
def test_a_hash_of_the_wrong_shape_is_a_usage_error(cli: Cli, tmp_path: Path, bad: str) -> None:
    _import(cli, tmp_path, "C1")
    result = cli("db", "verify", "--expect", bad)
    assert result.exit_code == 2
    assert "is not a change-log hash: 64 hexadecimal digits" in plain(result.stderr)

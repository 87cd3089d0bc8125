"""Every record has its event: one added, removed or swapped behind qaudit's back is found by
``db verify``, even after later commands have logged events of their own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from conftest import Cli, make_context, snapshot, write_csv
from qaudit.errors import StoreError
from qaudit.services.cases import import_cases
from qaudit.store.engine import Store

HEADER = ["case_ref", "team", "worker", "category", "open_date", "close_date"]


def _import(store: Store, tmp_path: Path, *refs: str) -> None:
    rows = [HEADER, *[[ref, "Team A", "", "CIN", "2026-01-01", ""] for ref in refs]]
    path = write_csv(tmp_path / f"{refs[0]}.csv", rows)
    import_cases(store=store, path=path, ctx=make_context())


def _behind_qaudits_back(store: Store, *statements: str) -> None:
    """What anyone with the database could do without qaudit: no event is written."""
    with store.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


@pytest.mark.parametrize(
    ("statements", "gap"),
    [
        (
            ["INSERT INTO cases (case_ref, category, team_id) VALUES ('X1', 'CP', 1)"],
            "cases 3 → 4",
        ),
        (["DELETE FROM cases WHERE case_ref = 'C2'"], "cases 3 → 2"),
        (["INSERT INTO teams (name) VALUES ('Team Z')"], "teams 1 → 2"),
        (
            # The same number of cases, one of them not one logged. (A record edited where it
            # stands, or replaced under its own id, is found by its digest: test_row_digests.)
            [
                "DELETE FROM cases WHERE case_ref = 'C2'",
                "INSERT INTO cases (case_ref, category, team_id) VALUES ('X1', 'CP', 1)",
            ],
            "cases 3 → 3 (newest id 3 → 4)",
        ),
    ],
    ids=["added", "removed", "another-table", "swapped"],
)
def test_a_record_without_an_event_is_found(
    store: Store, cli: Cli, tmp_path: Path, statements: list[str], gap: str
) -> None:
    _import(store, tmp_path, "C1", "C2", "C3")
    sound = cli("db", "verify", "--format", "json")
    assert sound.exit_code == 0
    head = json.loads(sound.stdout)["head"]

    _behind_qaudits_back(store, *statements)
    before = snapshot(store.url)
    found = cli("db", "verify")

    assert found.exit_code == 1
    assert found.stderr == (
        f"Error: records changed since the newest event (2) without an event of their own: {gap}\n"
    )
    assert snapshot(store.url) == before  # verifying changes nothing

    # A later command logs its own event; the gap before it stays in the record for good.
    _import(store, tmp_path, "C4")
    later = cli("db", "verify")
    assert later.exit_code == 1
    assert later.stderr == (
        f"Error: records changed between event 2 and event 3 without an event of their own: {gap}\n"
    )
    # The head kept from before is still in the log, but that does not excuse the gap.
    kept = cli("db", "verify", "--expect", head)
    assert kept.exit_code == 1
    assert kept.stderr == later.stderr
    # Against a hash not in the log, every problem is named, on one line.
    both = cli("db", "verify", "--expect", "0" * 64)
    assert both.exit_code == 1
    assert both.stderr.startswith("Error: records changed between event 2 and event 3")
    assert f"{'0' * 64} is not the hash of any event in the change log" in both.stderr
    assert len(both.stderr.splitlines()) == 1


def test_a_write_that_logs_nothing_is_refused(store: Store, tmp_path: Path) -> None:
    """qaudit's own guard: a transaction that changes records after its last event (or with
    none) is rolled back rather than leave a gap for verify to find."""
    _import(store, tmp_path, "C1")
    before = snapshot(store.url)
    with pytest.raises(StoreError, match="changed records after its last change-log event"):
        with store.writing() as session:
            session.connection().execute(text("INSERT INTO teams (name) VALUES ('Team Z')"))
    assert snapshot(store.url) == before
    with store.writing(dry_run=True) as session:  # a dry run logs nothing and keeps nothing
        session.connection().execute(text("INSERT INTO teams (name) VALUES ('Team Z')"))
    assert snapshot(store.url) == before


def test_every_event_records_what_the_store_held(store: Store, tmp_path: Path) -> None:
    _import(store, tmp_path, "C1", "C2")
    _import(store, tmp_path, "C3")
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT action, row_counts FROM change_log ORDER BY id")).all()
    counts = [(action, _parse(extents)) for action, extents in rows]
    created, first, second = counts
    assert created[0] == "store.migrate" and created[1]["before"] is None
    assert first[1]["before"] == created[1]["after"]
    assert (first[1]["before"]["cases"], first[1]["after"]["cases"]) == ([0, 0], [2, 2])
    assert (second[1]["before"]["cases"], second[1]["after"]["cases"]) == ([2, 2], [3, 3])
    assert "change_log" not in second[1]["after"]


def _parse(extents: object) -> dict[str, dict[str, list[int]]]:
    import json

    value = json.loads(extents) if isinstance(extents, str) else extents
    assert isinstance(value, dict)
    return value

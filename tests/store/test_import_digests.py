"""A first case import into an empty store takes its rows' digests from the process reading
the file (store.case_bulk.CaseDigests) instead of reading the rows back: ``db verify`` passes
right after it, on SQLite and PostgreSQL, still finds a row edited by hand afterwards, and
whenever the reader's digests cannot be trusted the rows are read back as before."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text

import qaudit.services.cases as case_service
import qaudit.store.case_bulk as case_bulk
from conftest import Cli, raw_sql, scalar_sql, write_csv
from qaudit.store.engine import Store

HEADER = ["case_ref", "team", "worker", "category", "open_date", "close_date", "date_of_birth"]
# Blank teams, workers and dates, a category in lower case, UK dates, quotes and accents:
# every kind of value the straight path writes.
ROWS = [
    ["K1", "Team A", "Worker One", "CIN", "2026-01-05", "", "2015-03-02"],
    ["K2", "", "", "cla", "05/01/2025", "01/06/2026", ""],
    ['"K3 ""quoted"""', "Équipe B", "Worker 'Two'", "CP", "2024-02-29", "2024-03-01", ""],
    ["K4", "Team A", "", "CL", "", "", "2010-12-31"],
    ["K5", "", "Worker Three", "CIN", "2026-11-30", "", ""],
    ["K6", "Team C", "Worker One", "CIN", "2026-01-05", "", ""],
]


def _rows(n: int) -> list[list[str]]:
    """``ROWS``, then more in the same vein up to n, over several batches and blocks."""
    out = [list(r) for r in ROWS]
    for i in range(len(out), n):
        out.append(
            [
                f"M{i:06d}",
                "" if i % 7 == 0 else f"Team {i % 13}",
                "" if i % 5 == 0 else f"Worker {i % 97}",
                ("CIN", "CP", "CLA", "CL")[i % 4],
                f"20{10 + i % 15}-0{1 + i % 9}-1{i % 10}",
                "" if i % 3 else f"2026-0{1 + i % 9}-2{i % 9}",
                "" if i % 2 else f"2009-1{i % 3}-0{1 + i % 9}",
            ]
        )
    return out


def _ok(cli: Cli, *args: str) -> Any:
    result = cli(*args)
    assert result.exit_code == 0, result.stderr
    return result


@pytest.fixture
def digested(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Every file read by the forked reader, in small batches; the ranges of case ids whose
    blocks the reader's digests gave (none: they were read back)."""
    monkeypatch.setattr(case_service, "CHILD_MIN_BYTES", 0)
    from qaudit.importers import case_csv

    real = case_csv.read_case_csv

    def small_batches(path: Path, **kwargs: Any) -> Any:
        return real(path, **{**kwargs, "batch_size": 450})  # a short block in each batch

    monkeypatch.setattr(case_csv, "read_case_csv", small_batches)
    taken: list[tuple[int, int]] = []
    note = case_bulk.note_digested

    def spy(conn: Any, table: str, blocks: Any) -> None:
        taken.append((blocks[0].first_id, blocks[-1].last_id))
        note(conn, table, blocks)

    monkeypatch.setattr(case_bulk, "note_digested", spy)
    return taken


def _import(cli: Cli, tmp_path: Path, rows: list[list[str]], name: str = "cases.csv") -> None:
    _ok(cli, "cases", "import", str(write_csv(tmp_path / name, [HEADER, *rows])))


def test_verify_passes_after_a_digested_import_and_finds_a_row_edited_after_it(
    cli: Cli, tmp_path: Path, digested: list[tuple[int, int]]
) -> None:
    staff = write_csv(
        tmp_path / "staff.csv",
        [["name", "role", "team"], ["Worker One", "social_worker", "Team Z"]],
    )
    _ok(cli, "staff", "import", str(staff))  # a worker and a team the store has already
    _import(cli, tmp_path, _rows(2000))
    assert digested == [(1, 2000)]
    _ok(cli, "db", "verify")
    # The reader encoded the rows as the store holds them: the very columns, in their order.
    store = Store(cli.url)
    try:
        with store.engine.connect() as conn:
            held = tuple(c["name"] for c in inspect(conn).get_columns("cases"))
            stored = conn.execute(text("SELECT count(*) FROM cases")).scalar_one()
    finally:
        store.dispose()
    assert held == case_bulk.DIGESTED_COLUMNS
    assert stored == 2000

    row_id = scalar_sql(cli.url, "SELECT id FROM cases WHERE case_ref = 'M001234'")
    raw_sql(cli.url, f"UPDATE cases SET close_date = open_date WHERE id = {row_id}")
    found = cli("db", "verify")
    assert found.exit_code == 1
    assert re.fullmatch(
        rf"Error: cases {row_id} changed since event \d+ without an event of its own\n",
        found.stderr,
    ), found.stderr


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE cases SET category = 'CP' WHERE case_ref = 'K2'",
        "UPDATE cases SET team_id = NULL WHERE case_ref = 'K1'",
        "UPDATE cases SET date_of_birth = '2015-03-03' WHERE case_ref = 'K1'",
        "UPDATE cases SET case_ref = 'K3' WHERE case_ref LIKE 'K3 %'",
    ],
)
def test_each_kind_of_field_edited_is_found(
    cli: Cli,
    tmp_path: Path,
    digested: list[tuple[int, int]],
    statement: str,
) -> None:
    _import(cli, tmp_path, _rows(600))
    assert digested == [(1, 600)]
    _ok(cli, "db", "verify")
    raw_sql(cli.url, statement)
    found = cli("db", "verify")
    assert found.exit_code == 1
    assert "changed since event" in found.stderr


def test_ids_given_by_the_import_leave_room_for_the_next_writes(
    cli: Cli, tmp_path: Path, digested: list[tuple[int, int]]
) -> None:
    """The straight path gives ids itself: later rows (PostgreSQL's sequences) come after."""
    _import(cli, tmp_path, _rows(500))
    _import(
        cli,
        tmp_path,
        [*_rows(500), ["N1", "Team New", "Worker New", "CIN", "2026-02-01", "", ""]],
        "more.csv",
    )
    staff = write_csv(
        tmp_path / "staff.csv",
        [["name", "role", "team"], ["Someone Else", "team_manager", "Another Team"]],
    )
    _ok(cli, "staff", "import", str(staff))
    assert scalar_sql(cli.url, "SELECT id FROM cases WHERE case_ref = 'N1'") == 501
    _ok(cli, "db", "verify")


def test_when_the_reader_digests_cannot_be_trusted_the_rows_are_read_back(
    cli: Cli,
    tmp_path: Path,
    digested: list[tuple[int, int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A reader digest that does not match the row stored: the sample check refuses them."""
    real = case_bulk.CaseDigests._digest

    def wrong(plan: Any, batch: Any) -> bytes:
        payload = real(plan, batch)
        return payload[:-1] + bytes([payload[-1] ^ 1])  # the batch's last digest

    monkeypatch.setattr(case_bulk.CaseDigests, "_digest", staticmethod(wrong))
    _import(cli, tmp_path, _rows(900))
    assert digested == []
    _ok(cli, "db", "verify")
    raw_sql(cli.url, "UPDATE cases SET category = 'CP' WHERE case_ref = 'K2'")
    assert cli("db", "verify").exit_code == 1


def test_a_reader_that_fails_to_digest_still_imports(
    cli: Cli,
    tmp_path: Path,
    digested: list[tuple[int, int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fails(plan: Any, batch: Any) -> bytes:
        raise RuntimeError("no")

    monkeypatch.setattr(case_bulk.CaseDigests, "_digest", staticmethod(fails))
    _import(cli, tmp_path, _rows(700))
    assert digested == []
    assert scalar_sql(cli.url, "SELECT count(*) FROM cases") == 700
    _ok(cli, "db", "verify")


def test_a_file_repeating_a_ref_goes_the_staged_way_and_verifies(
    cli: Cli, tmp_path: Path, digested: list[tuple[int, int]]
) -> None:
    rows = _rows(700)
    _import(cli, tmp_path, [*rows, rows[10]])
    assert digested == []
    assert scalar_sql(cli.url, "SELECT count(*) FROM cases") == 700
    _ok(cli, "db", "verify")


def test_a_second_import_reads_back_what_it_wrote(
    cli: Cli, tmp_path: Path, digested: list[tuple[int, int]]
) -> None:
    rows = _rows(600)
    _import(cli, tmp_path, rows)
    rows[3][5] = "2026-11-01"  # K4 closes
    _import(cli, tmp_path, rows, "again.csv")
    assert digested == [(1, 600)]  # the first import only
    _ok(cli, "db", "verify")

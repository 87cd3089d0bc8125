"""Importing case lists into a store: counts, updates, idempotence, the change log."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import text

from conftest import FIXTURES, make_context, snapshot, write_csv
from qaudit.errors import InputError
from qaudit.services.cases import import_cases, iter_cases
from qaudit.services.context import Context
from qaudit.store.engine import Store

HEADER = ["case_ref", "team", "worker", "category", "open_date", "close_date"]
FIRST = [
    HEADER,
    ["C1", "Team A", "Ann Smith", "CIN", "2026-01-05", ""],
    ["C2", "Team A", "Ann Smith", "CP", "2025-11-30", ""],
    ["C3", "Team B", "Bo Jones", "CLA", "15/03/2024", ""],
    ["C4", "", "", "CL", "", ""],
]


def _events(store: Store) -> list[tuple[str, dict[str, object]]]:
    with store.reading() as session:
        rows = (
            session.connection()
            .execute(text("SELECT action, detail FROM change_log ORDER BY id"))
            .all()
        )
    import json

    return [(a, d if isinstance(d, dict) else json.loads(d or "{}")) for a, d in rows]


def test_a_first_import_adds_every_case_with_its_teams_and_workers(
    store: Store, ctx: Context, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "cases.csv", FIRST)
    summary = import_cases(store=store, path=path, ctx=ctx)
    assert (summary.rows, summary.added, summary.updated, summary.closed, summary.unchanged) == (
        4, 4, 0, 0, 0,
    )  # fmt: skip
    assert (summary.teams_added, summary.workers_added) == (2, 2)
    cases = {c.case_ref: c for c in iter_cases(store=store)}
    assert cases["C3"].open_date is not None and cases["C3"].open_date.isoformat() == "2024-03-15"
    assert (cases["C3"].team, cases["C3"].worker, cases["C3"].category) == (
        "Team B", "Bo Jones", "CLA",
    )  # fmt: skip
    assert (cases["C4"].team, cases["C4"].worker, cases["C4"].open_date) == (None, None, None)
    events = [e for e in _events(store) if e[0] == "cases.import"]
    assert len(events) == 1
    detail = events[0][1]
    assert detail["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert detail["file"] == "cases.csv"
    assert detail["counts"] == {"added": 4, "updated": 0, "closed": 0, "unchanged": 0}
    assert detail["added"] == ["C1", "C2", "C3", "C4"]
    assert detail["teams_added"] == ["Team A", "Team B"]


def test_reimporting_the_same_file_changes_nothing(
    store: Store, ctx: Context, tmp_path: Path, db_url: str
) -> None:
    path = write_csv(tmp_path / "cases.csv", FIRST)
    import_cases(store=store, path=path, ctx=ctx)
    before = snapshot(db_url)
    again = import_cases(store=store, path=path, ctx=ctx)
    assert (again.added, again.updated, again.closed, again.unchanged) == (0, 0, 0, 4)
    assert snapshot(db_url) == before


def test_a_later_file_updates_closes_and_adds(store: Store, ctx: Context, tmp_path: Path) -> None:
    import_cases(store=store, path=write_csv(tmp_path / "nov.csv", FIRST), ctx=ctx)
    later = [
        HEADER,
        ["C1", "Team C", "Ann Smith", "CIN", "2026-01-05", ""],  # moved team
        ["C2", "Team A", "Ann Smith", "CP", "2025-11-30", "2026-11-20"],  # closed
        ["C3", "Team B", "Bo Jones", "CLA", "2024-03-15", ""],  # same (ISO this time)
        ["C5", "Team B", "", "CIN", "2026-11-01", ""],  # new
    ]
    summary = import_cases(store=store, path=write_csv(tmp_path / "dec.csv", later), ctx=ctx)
    assert (summary.added, summary.updated, summary.closed, summary.unchanged) == (1, 1, 1, 1)
    assert summary.open_not_in_file == 1  # C4 is still open and not in the later file
    cases = {c.case_ref: c for c in iter_cases(store=store)}
    assert cases["C1"].team == "Team C"
    assert cases["C2"].close_date is not None and cases["C2"].close_date.isoformat() == "2026-11-20"
    assert set(cases) == {"C1", "C2", "C3", "C4", "C5"}
    detail = _events(store)[-1][1]
    assert (detail["added"], detail["updated"], detail["closed"]) == (["C5"], ["C1"], ["C2"])


def test_a_dry_run_counts_but_writes_nothing(
    store: Store, ctx: Context, tmp_path: Path, db_url: str
) -> None:
    import_cases(store=store, path=write_csv(tmp_path / "a.csv", FIRST[:3]), ctx=ctx)
    before = snapshot(db_url)
    summary = import_cases(
        store=store, path=write_csv(tmp_path / "b.csv", FIRST), ctx=ctx, dry_run=True
    )
    assert (summary.added, summary.unchanged, summary.dry_run) == (2, 2, True)
    assert snapshot(db_url) == before


def test_a_dry_run_without_a_store_creates_none(tmp_path: Path, ctx: Context) -> None:
    path = tmp_path / "never.db"
    store = Store(f"sqlite:///{path}")
    summary = import_cases(
        store=store, path=write_csv(tmp_path / "a.csv", FIRST), ctx=ctx, dry_run=True
    )
    assert summary.added == 4
    assert not path.exists()


@pytest.mark.parametrize("preloaded", [False, True], ids=["empty-store", "loaded-store"])
def test_identical_repeated_rows_count_once(
    store: Store, ctx: Context, tmp_path: Path, preloaded: bool
) -> None:
    if preloaded:
        import_cases(store=store, path=write_csv(tmp_path / "a.csv", FIRST[:2]), ctx=ctx)
    rows = [*FIRST, FIRST[2], FIRST[1]]
    summary = import_cases(store=store, path=write_csv(tmp_path / "b.csv", rows), ctx=ctx)
    assert summary.rows == 6
    assert len(list(iter_cases(store=store))) == 4


@pytest.mark.parametrize("preloaded", [False, True], ids=["empty-store", "loaded-store"])
def test_a_repeated_ref_with_other_data_is_refused(
    store: Store, ctx: Context, tmp_path: Path, db_url: str, preloaded: bool
) -> None:
    if preloaded:
        import_cases(store=store, path=write_csv(tmp_path / "a.csv", FIRST[:2]), ctx=ctx)
    before = snapshot(db_url)
    rows = [*FIRST, ["C2", "Team B", "Ann Smith", "CP", "2025-11-30", ""]]
    path = write_csv(tmp_path / "b.csv", rows)
    with pytest.raises(InputError) as caught:
        import_cases(store=store, path=path, ctx=ctx)
    assert str(caught.value) == (
        f"{path}, line 6, column 2 (team): case ref 'C2' is also on line 3 with a different team"
    )
    assert snapshot(db_url) == before


def test_a_bad_row_after_many_batches_leaves_the_store_as_it_was(
    store: Store, ctx: Context, tmp_path: Path, db_url: str
) -> None:
    import_cases(store=store, path=write_csv(tmp_path / "a.csv", FIRST), ctx=ctx)
    before = snapshot(db_url)
    rows = [HEADER] + [
        [f"N{i:06d}", f"Team {i % 7}", f"Worker {i % 50}", "CIN", "2026-01-01", ""]
        for i in range(60_000)
    ]
    rows.append(["N999999", "Team 1", "", "XYZ", "2026-01-01", ""])
    path = write_csv(tmp_path / "big.csv", rows)
    with pytest.raises(InputError, match=r"line 60002, column 4 \(category\): 'XYZ' is not a"):
        import_cases(store=store, path=path, ctx=ctx)
    assert snapshot(db_url) == before


@pytest.mark.parametrize(
    ("fixture", "today", "open_by_category", "closed"),
    [
        ("liia-tools-sample.xlsx", "2021-03-31", {"CIN": 5, "CP": 2, "CLA": 4, "CL": 6}, 6),
        ("child-event-journeys-example.xlsx", "2020-06-30", {"CIN": 2, "CP": 2, "CLA": 1}, 1),
    ],
)
def test_annex_a_workbooks_import(
    store: Store,
    fixture: str,
    today: str,
    open_by_category: dict[str, int],
    closed: int,
    db_url: str,
) -> None:
    run = make_context(today)
    path = FIXTURES / "annex-a" / fixture
    summary = import_cases(store=store, path=path, ctx=run)
    assert summary.kind == "annex-a"
    assert summary.added == sum(open_by_category.values()) + closed
    open_now = list(iter_cases(store=store, open_on=run.today))
    counts: dict[str, int] = {}
    for case in open_now:
        counts[case.category] = counts.get(case.category, 0) + 1
    assert counts == open_by_category
    before = snapshot(db_url)
    again = import_cases(store=store, path=path, ctx=run)
    assert (again.added, again.updated, again.closed) == (0, 0, 0)
    assert snapshot(db_url) == before


def test_annex_a_child_on_two_lists_is_one_case() -> None:
    """domain.md: a care episode that ended while a CP plan goes on is an open CP case."""
    from datetime import date

    from qaudit.importers.annex_a import read_annex_a

    case_file = read_annex_a(
        FIXTURES / "annex-a" / "child-event-journeys-example.xlsx", today=date(2020, 6, 30)
    )
    rows = {r.case_ref: r for batch in case_file.batches for r in batch}
    assert (rows["9999"].category, rows["9999"].open_date, rows["9999"].close_date) == (
        "CP", "2019-10-05", None,
    )  # fmt: skip


def test_a_first_import_leaves_every_index_in_place(
    store: Store, ctx: Context, tmp_path: Path
) -> None:
    """The first import drops the case indexes to load faster; they must all come back."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    import_cases(store=store, path=write_csv(tmp_path / "a.csv", FIRST), ctx=ctx)
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []


def test_the_refs_in_the_log_survive_a_large_import(
    store: Store, ctx: Context, tmp_path: Path
) -> None:
    rows = [HEADER] + [[f"R{i:05d}", "T", "", "CIN", "", ""] for i in range(45_000)]
    import_cases(store=store, path=write_csv(tmp_path / "big.csv", rows), ctx=ctx)
    detail = _events(store)[-1][1]
    assert detail["added"] == [f"R{i:05d}" for i in range(45_000)]
    assert detail["counts"]["added"] == 45_000  # type: ignore[index]

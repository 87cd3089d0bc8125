"""Applying a whole case file to the store in bulk: executemany batches, set-based comparison.

A first import into an empty store inserts straight into ``cases``. Otherwise (or when the file
repeats a case ref) the rows go to a temporary table and SQL works out what was added, updated
and closed. Either way it all happens in the caller's one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    exists,
    func,
    insert,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from qaudit.importers.rows import CaseRow
from qaudit.store.models import Case, Staff, Team

# Rows per multi-row INSERT: far fewer statements than one per row, well under SQLite's and
# PostgreSQL's limits on bound parameters.
ROWS_PER_STATEMENT = 200
CASE_FIELDS = (
    "case_ref",
    "category",
    "team_id",
    "worker_id",
    "open_date",
    "close_date",
    "date_of_birth",
)
COMPARED = ("category", "team_id", "worker_id", "open_date", "close_date", "date_of_birth")


class DuplicateCaseRef(Exception):
    """The file gives one case ref twice with different data."""

    def __init__(self, case_ref: str, first_line: int, line: int, field_name: str) -> None:
        super().__init__(case_ref)
        self.case_ref = case_ref
        self.first_line = first_line
        self.line = line
        self.field_name = field_name


@dataclass
class CaseApplyResult:
    rows: int = 0
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    unchanged: int = 0
    not_in_file_open: int = 0
    teams_added: list[str] = field(default_factory=list)
    workers_added: list[str] = field(default_factory=list)


_stage_metadata = MetaData()
_stage = Table(
    "qaudit_import_stage",
    _stage_metadata,
    Column("line", Integer, nullable=False),
    Column("case_ref", String, nullable=False),
    Column("category", String, nullable=False),
    Column("team_id", Integer),
    Column("worker_id", Integer),
    Column("open_date", Date),
    Column("close_date", Date),
    Column("date_of_birth", Date),
    prefixes=["TEMPORARY"],
)

ProgressCallback = Callable[[int], None]


class _Names:
    """Teams or workers by name, created on first sight, in the same transaction."""

    def __init__(self, conn: Connection, table: str, extra: str = "") -> None:
        self.conn = conn
        self.table = table
        self.extra = extra
        self.ids: dict[str, int] = {
            name: id_ for id_, name in conn.exec_driver_sql(f"SELECT id, name FROM {table}")
        }
        self.added: list[str] = []


def _placeholder(conn: Connection) -> str:
    return "?" if conn.dialect.name == "sqlite" else "%s"


def _ensure_teams(conn: Connection, teams: _Names, names: Iterable[str]) -> None:
    new = sorted({n for n in names if n not in teams.ids})
    if not new:
        return
    conn.execute(insert(Team.__table__), [{"name": n} for n in new])  # type: ignore[attr-defined]
    _reload(conn, teams, "teams", new)


def _ensure_workers(conn: Connection, workers: _Names, team_of: dict[str, int | None]) -> None:
    new = sorted(n for n in team_of if n not in workers.ids)
    if not new:
        return
    conn.execute(
        insert(Staff.__table__),  # type: ignore[attr-defined]
        [{"name": n, "role": "social_worker", "team_id": team_of[n]} for n in new],
    )
    _reload(conn, workers, "staff", new)


def _reload(conn: Connection, names: _Names, table: str, new: list[str]) -> None:
    for start in range(0, len(new), 500):
        chunk = new[start : start + 500]
        marks = ", ".join([_placeholder(conn)] * len(chunk))
        for id_, name in conn.exec_driver_sql(
            f"SELECT id, name FROM {table} WHERE name IN ({marks})", tuple(chunk)
        ):
            names.ids[name] = id_
    names.added.extend(new)


def _resolved(
    conn: Connection, batch: Sequence[CaseRow], teams: _Names, workers: _Names
) -> list[tuple[Any, ...]]:
    """The batch with team and worker names turned into ids (creating what is new)."""
    _ensure_teams(conn, teams, {r[2] for r in batch if r[2] is not None})
    team_ids = teams.ids
    new_workers: dict[str, int | None] = {}
    for r in batch:
        worker = r[3]
        if worker is not None and worker not in workers.ids and worker not in new_workers:
            new_workers[worker] = team_ids.get(r[2]) if r[2] is not None else None
    _ensure_workers(conn, workers, new_workers)
    worker_ids = workers.ids
    return [
        (
            r[0],
            r[1],
            r[4],
            None if r[2] is None else team_ids[r[2]],
            None if r[3] is None else worker_ids[r[3]],
            r[5],
            r[6],
            r[7],
        )
        for r in batch
    ]


def _insert_many(
    conn: Connection, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Multi-row INSERT statements through one executemany per call."""
    if not rows:
        return
    mark = _placeholder(conn)
    one = "(" + ", ".join([mark] * len(columns)) + ")"
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    full, rest = divmod(len(rows), ROWS_PER_STATEMENT)
    if full:
        sql = head + ", ".join([one] * ROWS_PER_STATEMENT)
        params = [
            tuple(chain.from_iterable(rows[i : i + ROWS_PER_STATEMENT]))
            for i in range(0, full * ROWS_PER_STATEMENT, ROWS_PER_STATEMENT)
        ]
        conn.exec_driver_sql(sql, params)
    if rest:
        sql = head + ", ".join([one] * rest)
        conn.exec_driver_sql(sql, tuple(chain.from_iterable(rows[full * ROWS_PER_STATEMENT :])))


def store_has_cases(conn: Connection) -> bool:
    return conn.exec_driver_sql("SELECT 1 FROM cases LIMIT 1").first() is not None


def apply_case_file(
    conn: Connection,
    batches: Iterable[Sequence[CaseRow]],
    *,
    into_empty_store: bool,
    on_progress: ProgressCallback | None = None,
) -> CaseApplyResult:
    """Apply every batch. ``into_empty_store`` takes the straight-insert path; it raises
    ``RepeatedRefs`` if the file repeats a case ref, and the caller re-runs with False."""
    teams = _Names(conn, "teams")
    workers = _Names(conn, "staff")
    result = CaseApplyResult()
    if into_empty_store:
        _insert_direct(conn, batches, teams, workers, result, on_progress)
    else:
        _insert_staged(conn, batches, teams, workers, result, on_progress)
    result.teams_added = teams.added
    result.workers_added = workers.added
    return result


class RepeatedRefs(Exception):
    """The straight-insert path met a case ref twice; the staged path sorts it out."""


def _insert_direct(
    conn: Connection,
    batches: Iterable[Sequence[CaseRow]],
    teams: _Names,
    workers: _Names,
    result: CaseApplyResult,
    on_progress: ProgressCallback | None,
) -> None:
    savepoint = conn.begin_nested()
    try:
        for batch in batches:
            rows = _resolved(conn, batch, teams, workers)
            _insert_many(conn, "cases", CASE_FIELDS, [r[1:] for r in rows])
            result.added.extend(r[1] for r in batch)
            result.rows += len(batch)
            if on_progress is not None:
                on_progress(result.rows)
    except IntegrityError as exc:
        savepoint.rollback()
        message = str(exc.orig)
        if "case_ref" in message or "uq_cases_case_ref" in message:
            raise RepeatedRefs() from None
        raise
    savepoint.commit()


def _insert_staged(
    conn: Connection,
    batches: Iterable[Sequence[CaseRow]],
    teams: _Names,
    workers: _Names,
    result: CaseApplyResult,
    on_progress: ProgressCallback | None,
) -> None:
    stage = _stage
    stage.create(conn)
    try:
        columns = ("line", *CASE_FIELDS)
        for batch in batches:
            _insert_many(conn, stage.name, columns, _resolved(conn, batch, teams, workers))
            result.rows += len(batch)
            if on_progress is not None:
                on_progress(result.rows)
        conn.exec_driver_sql(
            f"CREATE INDEX qaudit_import_stage_ref ON {stage.name} (case_ref, line)"
        )
        _refuse_conflicting_duplicates(conn)
        _drop_identical_duplicates(conn)
        _classify_and_apply(conn, result)
    finally:
        stage.drop(conn)


def _refuse_conflicting_duplicates(conn: Connection) -> None:
    a = _stage.alias("a")
    b = _stage.alias("b")
    differs = or_(*(a.c[name].is_distinct_from(b.c[name]) for name in COMPARED))
    found = conn.execute(
        select(a, b.c.line.label("b_line"), *(b.c[n].label(f"b_{n}") for n in COMPARED))
        .join_from(a, b, and_(a.c.case_ref == b.c.case_ref, b.c.line > a.c.line))
        .where(differs)
        .order_by(b.c.line)
        .limit(1)
    ).first()
    if found is None:
        return
    row = found._mapping
    field_name = next(n for n in COMPARED if row[a.c[n]] != row[f"b_{n}"])
    raise DuplicateCaseRef(row[a.c.case_ref], row[a.c.line], row["b_line"], field_name)


def _drop_identical_duplicates(conn: Connection) -> None:
    total, distinct = conn.execute(
        select(func.count(), func.count(_stage.c.case_ref.distinct()))
    ).one()
    if total == distinct:
        return
    keep = select(func.min(_stage.c.line)).group_by(_stage.c.case_ref)
    conn.execute(_stage.delete().where(_stage.c.line.not_in(keep)))


def _classify_and_apply(conn: Connection, result: CaseApplyResult) -> None:
    cases = Case.__table__  # type: ignore[attr-defined]
    s = _stage
    matched = cases.c.case_ref == s.c.case_ref
    differs = or_(*(cases.c[name].is_distinct_from(s.c[name]) for name in COMPARED))
    closing = and_(cases.c.close_date.is_(None), s.c.close_date.is_not(None))

    result.added = list(
        conn.execute(
            select(s.c.case_ref).where(not_(exists().where(matched))).order_by(s.c.line)
        ).scalars()
    )
    changed = conn.execute(
        select(s.c.case_ref, closing.label("closing"))
        .join_from(s, cases, matched)
        .where(differs)
        .order_by(s.c.line)
    ).all()
    result.closed = [ref for ref, is_closing in changed if is_closing]
    result.updated = [ref for ref, is_closing in changed if not is_closing]
    staged = conn.execute(select(func.count()).select_from(s)).scalar_one()
    result.unchanged = staged - len(result.added) - len(changed)
    result.not_in_file_open = conn.execute(
        select(func.count())
        .select_from(cases)
        .where(cases.c.close_date.is_(None), not_(exists().where(matched)))
    ).scalar_one()

    if changed:
        conn.execute(
            update(cases).values({name: s.c[name] for name in COMPARED}).where(matched, differs)
        )
    if result.added:
        conn.execute(
            insert(cases).from_select(
                list(CASE_FIELDS),
                select(*(s.c[n] for n in CASE_FIELDS))
                .where(not_(exists().where(matched)))
                .order_by(s.c.line),
            )
        )

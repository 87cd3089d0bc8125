"""Applying a whole case file to the store in bulk: executemany batches, set-based comparison.

A first import into an empty store inserts straight into ``cases``. Otherwise (or when the file
repeats a case ref) the rows go to a temporary table and SQL works out what was added, updated
and closed. Either way it all happens in the caller's one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Integer,
    MetaData,
    Select,
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

from qaudit.domain.sampling import draw_key
from qaudit.importers.rows import RowTuple
from qaudit.store.chain import RefList
from qaudit.store.digests import newest_id, note_inserted_above, note_written
from qaudit.store.models import Case, ChangeLog, Staff, Team

# Rows per multi-row INSERT: far fewer statements than one per row, well under SQLite's and
# PostgreSQL's limits on bound parameters.
ROWS_PER_STATEMENT = 200
CASE_FIELDS = (
    "case_ref",
    "draw_key",
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
    added: RefList = field(default_factory=RefList)
    updated: RefList = field(default_factory=RefList)
    closed: RefList = field(default_factory=RefList)
    unchanged: int = 0
    not_in_file_open: int = 0
    teams_added: list[str] = field(default_factory=list)
    workers_added: list[str] = field(default_factory=list)
    kept_erased: int = 0  # erased cases whose date of birth or worker in the file was not stored


ERASE_ACTION = "case.erase"
UNERASE_ACTION = "case.unerase"


def erased_case_refs() -> Select[Any]:
    """The refs of erased cases (a SELECT): a ``case.erase`` event with no ``case.unerase``
    after it. The change log is the record of a tombstone, so erasure needs no table of its
    own: an erased case stays erased across imports until someone deliberately lifts it."""
    log = ChangeLog.__table__  # type: ignore[attr-defined]
    lifted = log.alias("lifted")
    return select(log.c.entity_ref).where(
        log.c.action == ERASE_ACTION,
        log.c.entity == "case",
        not_(
            exists().where(
                lifted.c.entity_ref == log.c.entity_ref,
                lifted.c.action == UNERASE_ACTION,
                lifted.c.id > log.c.id,
            )
        ),
    )


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
    Column("draw_key", BigInteger, nullable=False),
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
    new = sorted(n for n in names if n not in teams.ids)
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


def _statements(
    conn: Connection,
    batch: Sequence[RowTuple],
    teams: _Names,
    workers: _Names,
    *,
    with_line: bool,
) -> list[tuple[Any, ...]]:
    """The batch as parameter tuples of ROWS_PER_STATEMENT rows each (the last may be short),
    team and worker names turned into ids (new ones created first)."""
    # Distinct names through set(map(...)): C loops, which matter a million rows at a time.
    new_teams = set(map(itemgetter(2), batch)) - teams.ids.keys()
    new_teams.discard(None)
    _ensure_teams(conn, teams, new_teams)
    team_id = teams.ids.get  # get(None) is None: a blank team stays blank
    new_workers = set(map(itemgetter(3), batch)) - workers.ids.keys()
    new_workers.discard(None)
    if new_workers:
        team_of: dict[str, int | None] = {}
        for r in batch:  # a worker new to the store belongs to the team of their first case
            if r[3] in new_workers and r[3] not in team_of:
                team_of[r[3]] = team_id(r[2])  # type: ignore[arg-type, index]
        _ensure_workers(conn, workers, team_of)
    worker_id = workers.ids.get
    key = draw_key
    statements: list[tuple[Any, ...]] = []
    for start in range(0, len(batch), ROWS_PER_STATEMENT):
        values: list[Any] = []
        add = values.extend
        if with_line:
            for r in batch[start : start + ROWS_PER_STATEMENT]:
                add((r[0], r[1], key(r[1]), r[4], team_id(r[2]), worker_id(r[3]), r[5], r[6], r[7]))  # type: ignore[arg-type]
        else:
            for r in batch[start : start + ROWS_PER_STATEMENT]:
                add((r[1], key(r[1]), r[4], team_id(r[2]), worker_id(r[3]), r[5], r[6], r[7]))  # type: ignore[arg-type]
        statements.append(tuple(values))
    return statements


def _insert_statements(
    conn: Connection, table: str, columns: Sequence[str], statements: list[tuple[Any, ...]]
) -> None:
    """Multi-row INSERTs: one executemany for the full statements, one call for a short last."""
    if not statements:
        return
    width = len(columns)
    mark = _placeholder(conn)
    one = "(" + ", ".join([mark] * width) + ")"
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    last = statements[-1]
    full = statements if len(last) == ROWS_PER_STATEMENT * width else statements[:-1]
    if full:
        conn.exec_driver_sql(head + ", ".join([one] * ROWS_PER_STATEMENT), full)
    if len(full) < len(statements):
        conn.exec_driver_sql(head + ", ".join([one] * (len(last) // width)), last)


def _cases_table() -> Table:
    table: Table = Case.__table__  # type: ignore[attr-defined]
    return table


def store_has_cases(conn: Connection) -> bool:
    return conn.exec_driver_sql("SELECT 1 FROM cases LIMIT 1").first() is not None


def apply_case_file(
    conn: Connection,
    batches: Iterable[Sequence[RowTuple]],
    *,
    into_empty_store: bool,
    on_progress: ProgressCallback | None = None,
) -> CaseApplyResult:
    """Apply every batch. ``into_empty_store`` takes the straight-insert path; it raises
    ``RepeatedRefs`` if the file repeats a case ref, and the caller re-runs with False."""
    teams = _Names(conn, "teams")
    workers = _Names(conn, "staff")
    result = CaseApplyResult()
    # Every row added gets an id above the newest now: the import's event digests them.
    for table in ("teams", "staff", "cases"):
        note_inserted_above(conn, table, newest_id(conn, table))
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
    batches: Iterable[Sequence[RowTuple]],
    teams: _Names,
    workers: _Names,
    result: CaseApplyResult,
    on_progress: ProgressCallback | None,
) -> None:
    # The indexes are dropped and built again at the end: sorting once is far cheaper than a
    # million random inserts into each. The unique index on case_ref goes first, so a repeated
    # ref is found when it is built. All inside the savepoint, so a failure restores them.
    if conn.dialect.name == "sqlite":
        # Let SQLite sort for CREATE INDEX in helper threads (C code: no GIL involved).
        conn.exec_driver_sql("PRAGMA threads = 2")
    savepoint = conn.begin_nested()
    indexes = sorted(_cases_table().indexes, key=lambda ix: (not ix.unique, str(ix.name)))
    try:
        for index in indexes:
            index.drop(conn)
        for batch in batches:
            statements = _statements(conn, batch, teams, workers, with_line=False)
            _insert_statements(conn, "cases", CASE_FIELDS, statements)
            result.added.extend([r[1] for r in batch])
            result.rows += len(batch)
            if on_progress is not None:
                on_progress(result.rows)
        for index in indexes:
            index.create(conn)
    except IntegrityError as exc:
        savepoint.rollback()
        message = str(exc.orig)
        if "case_ref" in message:
            raise RepeatedRefs() from None
        raise
    savepoint.commit()


def _insert_staged(
    conn: Connection,
    batches: Iterable[Sequence[RowTuple]],
    teams: _Names,
    workers: _Names,
    result: CaseApplyResult,
    on_progress: ProgressCallback | None,
) -> None:
    # The temporary table is created in the caller's transaction: if anything below fails,
    # the rollback removes it (dropping it here could itself fail on an aborted transaction).
    stage = _stage
    stage.create(conn)
    columns = ("line", *CASE_FIELDS)
    for batch in batches:
        statements = _statements(conn, batch, teams, workers, with_line=True)
        _insert_statements(conn, stage.name, columns, statements)
        result.rows += len(batch)
        if on_progress is not None:
            on_progress(result.rows)
    conn.exec_driver_sql(f"CREATE INDEX qaudit_import_stage_ref ON {stage.name} (case_ref, line)")
    _refuse_conflicting_duplicates(conn)
    _drop_identical_duplicates(conn)
    result.kept_erased = _keep_erased(conn)
    _classify_and_apply(conn, result)
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


def _keep_erased(conn: Connection) -> int:
    """Blank the personal fields the file gives for erased cases, so the comparison below
    finds nothing to restore; how many rows had any."""
    s = _stage
    rowcount: int = conn.execute(
        update(s)
        .where(
            s.c.case_ref.in_(erased_case_refs()),
            or_(s.c.worker_id.is_not(None), s.c.date_of_birth.is_not(None)),
        )
        .values(worker_id=None, date_of_birth=None)
    ).rowcount
    return rowcount


def _classify_and_apply(conn: Connection, result: CaseApplyResult) -> None:
    cases = _cases_table()
    s = _stage
    matched = cases.c.case_ref == s.c.case_ref
    differs = or_(*(cases.c[name].is_distinct_from(s.c[name]) for name in COMPARED))
    closing = and_(cases.c.close_date.is_(None), s.c.close_date.is_not(None))

    for part in (
        conn.execute(select(s.c.case_ref).where(not_(exists().where(matched))).order_by(s.c.line))
        .scalars()
        .partitions(20_000)
    ):
        result.added.extend(part)
    changed = 0
    for rows in conn.execute(
        select(s.c.case_ref, closing.label("closing"))
        .join_from(s, cases, matched)
        .where(differs)
        .order_by(s.c.line)
    ).partitions(20_000):
        result.closed.extend([ref for ref, is_closing in rows if is_closing])
        result.updated.extend([ref for ref, is_closing in rows if not is_closing])
        changed += len(rows)
    staged = conn.execute(select(func.count()).select_from(s)).scalar_one()
    result.unchanged = staged - len(result.added) - changed
    result.not_in_file_open = conn.execute(
        select(func.count())
        .select_from(cases)
        .where(cases.c.close_date.is_(None), not_(exists().where(matched)))
    ).scalar_one()

    if changed:
        note_written(
            conn, "cases", conn.execute(select(cases.c.id).where(matched, differs)).scalars()
        )
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

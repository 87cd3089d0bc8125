"""Applying a whole case file to the store in bulk: executemany batches, set-based comparison.

A first import into an empty store inserts straight into ``cases``. Otherwise (or when the file
repeats a case ref) the rows go to a temporary table and SQL works out what was added, updated
and closed. Either way it all happens in the caller's one transaction.

The straight-insert path gives every row its id (and every new team and worker theirs), so the
rows as the store will return them are known from the file's values: the process reading the
file (importers.child_reader) digests them there while this one inserts (``CaseDigests``), and
the import's event takes those blocks instead of reading a million rows back (store.digests).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import struct
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sqlalchemy import (
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

from qaudit.importers.rows import RowTuple
from qaudit.store.blocks import BLOCK_ROWS, DIGEST_SIZE, Block, pack_ids
from qaudit.store.chain import RefList
from qaudit.store.digests import (
    blocks_match_rows,
    covered_tables,
    newest_id,
    note_digested,
    note_inserted_above,
    note_written,
)
from qaudit.store.models import Case, ChangeLog, Staff, Team

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
        self.next_id = max(self.ids.values(), default=0) + 1  # the straight path's next id


def new_names(
    batch: Sequence[RowTuple], teams: dict[str, int], workers: dict[str, int], next_ids: list[int]
) -> tuple[list[tuple[int, str]], list[tuple[int, str, int | None]]]:
    """The straight path's new teams (id, name) and workers (id, name, team id) of a batch, in
    name order, each given the next id (``next_ids``: team's, worker's); ``teams``, ``workers``
    and ``next_ids`` are updated. A worker new to the store belongs to the team of their first
    case in the batch. Pure, so the reader process works out the same ids as this one."""
    # Distinct names through set(map(...)): C loops, which matter a million rows at a time.
    fresh_teams = set(map(itemgetter(2), batch)) - teams.keys()
    fresh_teams.discard(None)
    added_teams: list[tuple[int, str]] = []
    for name in sorted(fresh_teams):
        teams[name] = next_ids[0]
        added_teams.append((next_ids[0], name))
        next_ids[0] += 1
    fresh_workers = set(map(itemgetter(3), batch)) - workers.keys()
    fresh_workers.discard(None)
    added_workers: list[tuple[int, str, int | None]] = []
    if fresh_workers:
        team_of: dict[str, int | None] = {}
        team_id = teams.get
        for r in batch:
            if r[3] in fresh_workers and r[3] not in team_of:
                team_of[r[3]] = team_id(r[2])  # type: ignore[arg-type, index]
        for name in sorted(team_of):
            workers[name] = next_ids[1]
            added_workers.append((next_ids[1], name, team_of[name]))
            next_ids[1] += 1
    return added_teams, added_workers


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
    statements: list[tuple[Any, ...]] = []
    for start in range(0, len(batch), ROWS_PER_STATEMENT):
        values: list[Any] = []
        add = values.extend
        if with_line:
            for r in batch[start : start + ROWS_PER_STATEMENT]:
                add((r[0], r[1], r[4], team_id(r[2]), worker_id(r[3]), r[5], r[6], r[7]))  # type: ignore[arg-type]
        else:
            for r in batch[start : start + ROWS_PER_STATEMENT]:
                add((r[1], r[4], team_id(r[2]), worker_id(r[3]), r[5], r[6], r[7]))  # type: ignore[arg-type]
        statements.append(tuple(values))
    return statements


def _direct_statements(
    conn: Connection,
    batch: Sequence[RowTuple],
    teams: _Names,
    workers: _Names,
    next_case: int,
) -> list[tuple[Any, ...]]:
    """As ``_statements`` for the straight path: each row with its id (from ``next_case``) and
    new teams and workers inserted with theirs (``new_names``)."""
    next_ids = [teams.next_id, workers.next_id]
    added_teams, added_workers = new_names(batch, teams.ids, workers.ids, next_ids)
    teams.next_id, workers.next_id = next_ids
    if added_teams:
        conn.execute(
            insert(Team.__table__),  # type: ignore[attr-defined]
            [{"id": i, "name": n} for i, n in added_teams],
        )
        teams.added.extend(n for _, n in added_teams)
    if added_workers:
        conn.execute(
            insert(Staff.__table__),  # type: ignore[attr-defined]
            [
                {"id": i, "name": n, "role": "social_worker", "team_id": t}
                for i, n, t in added_workers
            ],
        )
        workers.added.extend(n for _, n, _ in added_workers)
    team_id, worker_id = teams.ids.get, workers.ids.get
    statements: list[tuple[Any, ...]] = []
    for start in range(0, len(batch), ROWS_PER_STATEMENT):
        values: list[Any] = []
        add = values.extend
        end = start + ROWS_PER_STATEMENT
        for n, r in enumerate(batch[start:end], next_case + start):
            add((n, r[1], r[4], team_id(r[2]), worker_id(r[3]), r[5], r[6], r[7]))  # type: ignore[arg-type]
        statements.append(tuple(values))
    return statements


def _catch_up_sequences(conn: Connection, tables: Iterable[str]) -> None:
    """After rows were inserted with their ids given: PostgreSQL's sequences past them."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST("
            f"(SELECT coalesce(max(id), 0) FROM {table}), "
            f"(SELECT last_value FROM {_sequence_name(conn, table)})))"
        )


def _sequence_name(conn: Connection, table: str) -> str:
    name = conn.exec_driver_sql(f"SELECT pg_get_serial_sequence('{table}', 'id')").scalar_one()
    return str(name)


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
    digests: CaseDigests | None = None,
) -> CaseApplyResult:
    """Apply every batch. ``into_empty_store`` takes the straight-insert path; it raises
    ``RepeatedRefs`` if the file repeats a case ref, and the caller re-runs with False.

    ``digests``: the hand-over with the process reading ``batches`` (if one does), armed here
    before the first batch is asked for, so that it digests the rows the straight path
    inserts; what it sends is used only if it agrees with what was stored."""
    teams = _Names(conn, "teams")
    workers = _Names(conn, "staff")
    result = CaseApplyResult()
    # Every row added gets an id above the newest now: the import's event digests them.
    newest = {table: newest_id(conn, table) for table in ("teams", "staff", "cases")}
    for table, id_ in newest.items():
        note_inserted_above(conn, table, id_)
    if into_empty_store:
        first_case = newest["cases"] + 1
        if digests is not None:
            digests.arm(conn, teams, workers, first_case)
        try:
            _insert_direct(conn, batches, teams, workers, result, on_progress, first_case, digests)
        finally:
            if digests is not None:
                digests.disarm()
        _catch_up_sequences(conn, ("teams", "staff", "cases"))
        if digests is not None:
            blocks = digests.blocks_for(first_case, result.rows, teams.ids, workers.ids)
            if blocks and blocks_match_rows(conn, "cases", blocks, every=CHECK_EVERY):
                note_digested(conn, "cases", blocks)
    else:
        if digests is not None:
            digests.disarm(forget=True)
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
    first_case: int,
    digests: CaseDigests | None,
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
            statements = _direct_statements(conn, batch, teams, workers, first_case + result.rows)
            _insert_statements(conn, "cases", ("id", *CASE_FIELDS), statements)
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


# -- digests worked out by the reader process ------------------------------------------------

# The columns of cases, in order: a row as the store returns it is its key, then these.
DIGESTED_COLUMNS = (
    "id",
    "case_ref",
    "category",
    "team_id",
    "worker_id",
    "open_date",
    "close_date",
    "date_of_birth",
)
CHECK_EVERY = 997  # rows read back to check the reader's digests: one in this many, and more
_HEAD = struct.Struct("<qq")  # first id, rows
_FAILED = b"!"
_STATE = b"S"


# repr() of a row (id, id, case_ref, category, team_id, worker_id, open_date, close_date,
# date_of_birth): the ids as %d, the other values as their repr.
_ROW_FORM = b"(%d, %d, %b, %b, %b, %b, %b, %b, %b)"


@dataclass
class _Plan:
    typed: bool  # PostgreSQL: dates come back as dates (digests.canonical's "D:" form)
    teams: dict[str, int]
    workers: dict[str, int]
    next_ids: list[int]
    next_case: int
    # The repr of each value as read back, by value as read from the file: categories, teams'
    # and workers' ids (by name), dates.
    categories: dict[str, bytes] = field(default_factory=dict)
    team_ids: dict[str | None, bytes] = field(default_factory=lambda: {None: b"None"})
    worker_ids: dict[str | None, bytes] = field(default_factory=lambda: {None: b"None"})
    dates: dict[str | None, bytes] = field(default_factory=lambda: {None: b"None"})

    def category(self, value: str) -> bytes:
        found = self.categories[value] = repr(value).encode("utf-8")
        return found

    def team(self, name: str) -> bytes:
        found = self.team_ids[name] = b"%d" % self.teams[name]
        return found

    def worker(self, name: str) -> bytes:
        found = self.worker_ids[name] = b"%d" % self.workers[name]
        return found

    def date(self, value: str) -> bytes:
        if len(self.dates) >= 200_000:  # a file of distinct dates must not grow this for ever
            self.dates.clear()
            self.dates[None] = b"None"
        found = self.dates[value] = repr("D:" + value if self.typed else value).encode("utf-8")
        return found


class CaseDigests:
    """The digests of the rows the straight path inserts, worked out in the process reading
    the file (child_reader's ``ChildExtra``), which knows every row's values and, by
    ``new_names``, the ids they get, while this process inserts them.

    ``arm`` (here, before the reader forks) fixes the starting point; the reader digests each
    batch after handing it over and sends the blocks; ``blocks_for`` gives them only if they
    cover exactly the rows inserted and the reader ended with the same teams and workers."""

    def __init__(self) -> None:
        self._plan: _Plan | None = None
        self._armed = False
        self._failed = False
        self._blocks: list[Block] = []
        self._state: tuple[dict[str, int], dict[str, int], int] | None = None

    def arm(self, conn: Connection, teams: _Names, workers: _Names, first_case: int) -> None:
        columns = tuple(c.name for c in covered_tables()["cases"].columns)
        if columns != DIGESTED_COLUMNS or conn.dialect.name not in ("sqlite", "postgresql"):
            return  # not the rows encoded below: read back instead
        self._plan = _Plan(
            typed=conn.dialect.name != "sqlite",
            teams=dict(teams.ids),
            workers=dict(workers.ids),
            next_ids=[teams.next_id, workers.next_id],
            next_case=first_case,
        )
        self._armed = True
        self._failed = False
        self._blocks = []
        self._state = None

    def disarm(self, *, forget: bool = False) -> None:
        """Nothing more is taken (a reader started after this digests nothing); ``forget``:
        nor kept (the straight path was given up)."""
        self._armed = False
        self._plan = None
        if forget:
            self._blocks, self._state = [], None

    # -- in the reader process

    def in_child(self, batch: Sequence[RowTuple]) -> bytes | None:
        plan = self._plan
        if plan is None:
            return None
        try:
            return self._digest(plan, batch)
        except Exception:
            self._plan = None
            return _FAILED

    def in_child_done(self) -> bytes | None:
        plan = self._plan
        if plan is None:
            return None
        return _STATE + pickle.dumps(
            (plan.teams, plan.workers, plan.next_case), protocol=pickle.HIGHEST_PROTOCOL
        )

    @staticmethod
    def _digest(plan: _Plan, batch: Sequence[RowTuple]) -> bytes:
        """The batch's blocks: keys, then each row's digest, as ``_take`` reads them."""
        new_names(batch, plan.teams, plan.workers, plan.next_ids)
        first = plan.next_case
        plan.next_case += len(batch)
        # Each row's canonical() encoding, repr(tuple(row)) of the row as the driver returns
        # it, put together from the repr of each value: the same bytes for half the cost, as
        # most values recur (their reprs are kept) and the others are ints or the ref.
        category, team, worker, day = (
            plan.categories.get,
            plan.team_ids.get,
            plan.worker_ids.get,
            plan.dates.get,
        )
        form = _ROW_FORM
        blake2b, size = hashlib.blake2b, DIGEST_SIZE
        keys: list[bytes] = []
        digests: list[bytes] = []
        add = digests.append
        for start in range(0, len(batch), BLOCK_ROWS):
            key = os.urandom(32)
            keys.append(key)
            keyed = blake2b(key=key, digest_size=size)  # copied for each row: cheaper
            n = first + start
            for r in batch[start : start + BLOCK_ROWS]:
                ref = r[1]
                h = keyed.copy()
                h.update(
                    form
                    % (
                        n,
                        n,
                        repr(ref).encode("utf-8"),
                        category(r[4]) or plan.category(r[4]),
                        team(r[2]) or plan.team(r[2]),  # type: ignore[arg-type]
                        worker(r[3]) or plan.worker(r[3]),  # type: ignore[arg-type]
                        day(r[5]) or plan.date(r[5]),  # type: ignore[arg-type]
                        day(r[6]) or plan.date(r[6]),  # type: ignore[arg-type]
                        day(r[7]) or plan.date(r[7]),  # type: ignore[arg-type]
                    )
                )
                add(h.digest())
                n += 1
        return _HEAD.pack(first, len(batch)) + b"".join(keys) + b"".join(digests)

    # -- back in this process

    def in_parent(self, payload: bytes) -> None:
        if not self._armed or self._failed:
            return
        if payload == _FAILED:
            self._failed = True
        elif payload[:1] == _STATE:
            self._state = pickle.loads(payload[1:])
        else:
            self._take(payload)

    def _take(self, payload: bytes) -> None:
        first, rows = _HEAD.unpack_from(payload)
        count = -(-rows // BLOCK_ROWS)
        keys_at = _HEAD.size
        digests_at = keys_at + 32 * count
        if len(payload) != digests_at + DIGEST_SIZE * rows:
            self._failed = True
            return
        for n in range(count):
            start = first + n * BLOCK_ROWS
            last = min(start + BLOCK_ROWS, first + rows) - 1
            at = digests_at + (start - first) * DIGEST_SIZE
            self._blocks.append(
                Block(
                    "cases",
                    pack_ids(range(start, last + 1)),
                    start,
                    last,
                    payload[at : at + (last - start + 1) * DIGEST_SIZE],
                    payload[keys_at + 32 * n : keys_at + 32 * (n + 1)],
                )
            )

    def blocks_for(
        self, first_case: int, rows: int, teams: dict[str, int], workers: dict[str, int]
    ) -> list[Block]:
        """The blocks of rows ``first_case`` on (``rows`` of them), if the reader's cover
        exactly those and it gave every team and worker the id this process did; else none."""
        blocks, self._blocks = self._blocks, []
        if self._failed or self._state is None or not blocks:
            return []
        if self._state != (teams, workers, first_case + rows):
            return []
        expected = first_case
        for block in blocks:
            if block.first_id != expected:
                return []
            expected = block.last_id + 1
        if expected != first_case + rows:
            return []
        return blocks

"""Row digests: each change-log event records a keyed digest of every row it wrote.

An event that writes rows stores, in ``row_digests``, blocks of up to 200 rows of one table:
their ids and a 16-byte keyed BLAKE2b digest of each row's stored values after the event (all
zeros for a row it removed). The event's ``rows_digest`` (SHA-256 over its blocks) is part of
its hash, so the blocks are sealed in the chain like the event itself. ``db verify`` digests
every current row again and compares it with the newest block that holds it: a row edited
behind qaudit's back no longer matches.

Which rows an event wrote: every row an ORM flush inserted, updated or deleted in its
transaction (tracked here, ``after_flush``), and the rows a service wrote with Core statements
and named with ``note_written`` / ``note_inserted_above``. A schema upgrade's event digests
every row (the baseline: rows from before schema 0007 had none). Rows are read back to be
digested, except those a service digested from the values it wrote and handed over as blocks
(``note_digested``: a first case import, store.case_bulk, checked against a sample read back).

Each block has its own random key (``digest_keys``). Erasing a case deletes the keys of the
blocks that held its rows' earlier digests (and digests their other rows afresh), so no digest
is left that would confirm a guessed erased value.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import json
import os
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from itertools import chain
from typing import Any, cast

from sqlalchemy import Table, event, func, insert, inspect, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

from qaudit.store.blocks import (
    BLOCK_ROWS,
    DIGEST_SIZE,
    Block,
    block_bytes,
    make_block,
    pack_ids,
    unpack_ids,
)
from qaudit.store.models import ChangeLog, DigestKey, RowDigest

WRITTEN_KEY = "qaudit_rows_written"  # on the connection: what the transaction wrote since
READ_CHUNK = 500  # ids per IN (...) when reading rows back
# The tables whose rows are not digested: the log itself and the digests' own.
NOT_COVERED = frozenset(
    {
        ChangeLog.__tablename__,
        RowDigest.__tablename__,
        DigestKey.__tablename__,
    }
)


@cache
def covered_tables() -> dict[str, Table]:
    return {
        table.name: table
        for table in SQLModel.metadata.sorted_tables
        if table.name not in NOT_COVERED
    }


def _key_column(table: Table) -> Any:
    return next(iter(table.primary_key.columns))


# -- canonical encoding -------------------------------------------------------------------
#
# A row is digested as its stored values, read raw through the driver (no type conversion:
# on SQLite text, integers, reals, NULLs and blobs exactly as stored, so the digest covers the
# bytes qaudit wrote and costs a C-level repr), in column order. repr keeps None apart from ''
# and 0 from '0', and escapes every control character, so the encoding is unambiguous.
# PostgreSQL's driver returns typed values: dates, datetimes (put in UTC, so the session's
# time zone does not matter), booleans and JSON (sorted keys) are put in one plain form first.
# A store's digests are only ever compared with its own rows, on its own backend.


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return "T:" + value.isoformat()
    if isinstance(value, date):
        return "D:" + value.isoformat()
    if isinstance(value, dict | list):
        return "J:" + json.dumps(value, sort_keys=True, ensure_ascii=False)
    if isinstance(value, Decimal):
        return "N:" + str(value)
    if isinstance(value, memoryview | bytearray):
        return bytes(value)
    return value


def canonical(row: Sequence[Any], *, typed: bool) -> bytes:
    """The encoding digested (the row's id, then its columns): ``typed`` for a driver that
    converts values (PostgreSQL)."""
    if typed:
        return repr(tuple(map(_plain, row))).encode("utf-8")
    return repr(tuple(row)).encode("utf-8")


def _encoder(conn: Connection) -> Any:
    """canonical() for this connection's driver, as one callable (hot loop)."""
    if conn.dialect.name == "sqlite":
        return lambda row: repr(row).encode("utf-8")  # sqlite3 rows are plain tuples
    return lambda row: canonical(row, typed=True)


_cursor_names = itertools.count()


def _raw_rows(conn: Connection, sql: str, params: Sequence[Any] = ()) -> Iterator[list[Any]]:
    """The rows of ``sql`` as the driver returns them (plain tuples), in lists of 5,000, in
    the connection's transaction."""
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    if conn.dialect.name == "sqlite":
        cursor = dbapi.cursor()  # steps through the rows as they are fetched
    else:  # a server-side cursor: psycopg's own would hold every row in memory at once
        cursor = dbapi.cursor(f"qaudit_rows_{next(_cursor_names)}")
    try:
        cursor.execute(sql, tuple(params))
        while rows := cursor.fetchmany(5000):
            yield list(rows)
    finally:
        cursor.close()


def _select_sql(conn: Connection, table: Table, where: str) -> str:
    """Raw SQL for a table's id and its columns in order, rows in id order."""
    key = _key_column(table).name
    columns = ", ".join(f'"{c.name}"' for c in table.columns)
    return f'SELECT "{key}", {columns} FROM "{table.name}" {where} ORDER BY "{key}"'


def _mark(conn: Connection) -> str:
    return "?" if conn.dialect.name == "sqlite" else "%s"


# -- what a transaction wrote -------------------------------------------------------------


@dataclass
class Written:
    ids: set[int] = field(default_factory=set)
    above: int | None = None  # and every row whose id is greater
    # Rows whose blocks were worked out from the values written (note_digested): their ids
    # from first to last are not read back for ``above`` (rows in ``ids`` still are).
    digested: list[Block] = field(default_factory=list)
    digested_range: tuple[int, int] | None = None


def _written(conn: Connection) -> dict[str, Written]:
    found: dict[str, Written] = conn.info.setdefault(WRITTEN_KEY, {})
    return found


@event.listens_for(Engine, "begin")
def _forget_written(conn: Connection) -> None:
    """A transaction starts with nothing written: what one that rolled back had noted (on the
    pooled connection's ``info``, which outlives it) is not digested by the next."""
    conn.info.pop(WRITTEN_KEY, None)


def note_written(conn: Connection, table: str, ids: Iterable[int]) -> None:
    """Rows a Core statement inserted, updated or deleted: the next event digests them."""
    if table in NOT_COVERED:
        return
    _written(conn).setdefault(table, Written()).ids.update(ids)


def note_inserted_above(conn: Connection, table: str, newest: int) -> None:
    """Every row with an id greater than ``newest`` (rows about to be inserted in bulk)."""
    if table in NOT_COVERED:
        return
    entry = _written(conn).setdefault(table, Written())
    entry.above = newest if entry.above is None else min(entry.above, newest)


def note_digested(conn: Connection, table: str, blocks: Sequence[Block]) -> None:
    """Rows inserted with ids ``blocks[0].first_id`` to ``blocks[-1].last_id`` (every id in
    between, in order), whose blocks were worked out from the values written, exactly as
    ``canonical`` encodes the stored rows: the next event takes these blocks instead of
    reading the rows back. Rows noted by ``note_written`` are still read back (after)."""
    if table in NOT_COVERED or not blocks:
        return
    entry = _written(conn).setdefault(table, Written())
    assert entry.digested_range is None, "one digested range per table and event"
    entry.digested = list(blocks)
    entry.digested_range = (blocks[0].first_id, blocks[-1].last_id)


def note_everything(conn: Connection) -> None:
    for name in covered_tables():
        note_inserted_above(conn, name, -1)


def newest_id(conn: Connection, table: str) -> int:
    key = _key_column(covered_tables()[table])
    return int(conn.execute(select(func.coalesce(func.max(key), 0))).scalar_one())


@event.listens_for(Session, "after_flush")
def _track_flush(session: Session, _context: Any) -> None:
    """Every row an ORM flush wrote, by table and id, for the event that follows."""
    objects = list(chain(session.new, session.dirty, session.deleted))
    if not objects:
        return
    conn = session.connection()
    for obj in objects:
        table = getattr(type(obj), "__tablename__", None)
        if not isinstance(table, str) or table in NOT_COVERED:
            continue
        # (A new row's key is set by now, though it is not in the identity map yet.)
        key = inspect(obj).mapper.primary_key_from_instance(obj)[0]
        if key is not None:
            note_written(conn, table, (key,))


# -- an event's blocks ----------------------------------------------------------------------


def _rows(conn: Connection, table: Table, written: Written) -> Iterator[list[Any]]:
    """The written rows, raw, in id order, in lists (a removed row: its id alone, an int)."""
    mark = _mark(conn)
    key = _key_column(table).name
    ids = sorted(i for i in written.ids if written.above is None or i <= written.above)
    for start in range(0, len(ids), READ_CHUNK):
        chunk = ids[start : start + READ_CHUNK]
        sql = _select_sql(conn, table, f'WHERE "{key}" IN ({", ".join([mark] * len(chunk))})')
        found = {row[0]: row for rows in _raw_rows(conn, sql, chunk) for row in rows}
        yield [found.get(id_, id_) for id_ in chunk]
    if written.above is not None and written.digested_range is not None:
        first, last = written.digested_range
        yield from _raw_rows(
            conn,
            _select_sql(
                conn, table, f'WHERE "{key}" > {mark} AND ("{key}" < {mark} OR "{key}" > {mark})'
            ),
            (written.above, first, last),
        )
    elif written.above is not None:
        yield from _raw_rows(
            conn, _select_sql(conn, table, f'WHERE "{key}" > {mark}'), (written.above,)
        )


def collect_blocks(conn: Connection, *, everything: bool = False) -> list[Block]:
    """Digest what the transaction wrote since its previous event (or every row), and forget
    it: the blocks for the event about to be appended."""
    if everything:
        note_everything(conn)
    written = conn.info.pop(WRITTEN_KEY, None) or {}
    blocks: list[Block] = []
    tables = covered_tables()
    encode = _encoder(conn)
    for name in sorted(written):
        blocks.extend(written[name].digested)  # (before any of its rows read back below)
        pending: list[Any] = []
        for rows in _rows(conn, tables[name], written[name]):
            pending.extend(rows)
            while len(pending) >= BLOCK_ROWS:
                blocks.append(make_block(name, pending[:BLOCK_ROWS], encode))
                del pending[:BLOCK_ROWS]
        if pending:
            blocks.append(make_block(name, pending, encode))
    return blocks


def digest_rows(
    table: str, first_id: int, encoded: Sequence[bytes], key: bytes | None = None
) -> Block:
    """One block of rows with consecutive ids from ``first_id``, from their encodings
    (``canonical``), under ``key`` (a fresh random one if None)."""
    key = os.urandom(32) if key is None else key
    blake2b = hashlib.blake2b
    digests = b"".join([blake2b(e, key=key, digest_size=DIGEST_SIZE).digest() for e in encoded])
    last = first_id + len(encoded) - 1
    return Block(table, pack_ids(range(first_id, last + 1)), first_id, last, digests, key)


def blocks_match_rows(conn: Connection, table: str, blocks: Sequence[Block], every: int) -> bool:
    """Whether the stored rows agree with blocks from ``digest_rows``, for the first and last
    row of every block and every ``every``-th row in between (a check that the values were
    encoded as the driver returns them; each look costs a read)."""
    if not blocks:
        return True
    by_first = {block.first_id: block for block in blocks}
    firsts = sorted(by_first)
    wanted: set[int] = set()
    for block in blocks:
        wanted.update(range(block.first_id, block.last_id + 1, every))
        wanted.add(block.last_id)
    encode = _encoder(conn)
    for rows in _rows(conn, covered_tables()[table], Written(ids=wanted)):
        for row in rows:
            if isinstance(row, int):
                return False  # not stored
            id_ = row[0]
            block = by_first[firsts[bisect.bisect_right(firsts, id_) - 1]]
            if not block.first_id <= id_ <= block.last_id:
                return False
            n = id_ - block.first_id
            digest = hashlib.blake2b(encode(row), key=block.key, digest_size=DIGEST_SIZE)
            if digest.digest() != block.digests[n * DIGEST_SIZE : (n + 1) * DIGEST_SIZE]:
                return False
    return True


def store_blocks(conn: Connection, event_id: int, blocks: Sequence[Block]) -> None:
    """Append the event's blocks and their keys. A block's id is also its key's id: blocks are
    never removed, so an id is never given twice, even after an erasure deleted keys."""
    if not blocks:
        return
    table = RowDigest.__table__  # type: ignore[attr-defined]
    keys = DigestKey.__table__  # type: ignore[attr-defined]
    start = int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1
    for offset in range(0, len(blocks), 500):
        part = blocks[offset : offset + 500]
        conn.execute(
            insert(keys),
            [{"id": start + offset + n, "key": b.key} for n, b in enumerate(part)],
        )
        conn.execute(
            insert(table),
            [
                {
                    "id": start + offset + n,
                    "event_id": event_id,
                    "table_name": b.table,
                    "first_id": b.first_id,
                    "last_id": b.last_id,
                    "ids": b.ids,
                    "key_id": start + offset + n,
                    "digests": b.digests,
                }
                for n, b in enumerate(part)
            ],
        )


# -- erasure --------------------------------------------------------------------------------


def forget_digests_of(conn: Connection, table: str, ids: Iterable[int]) -> int:
    """Delete the keys of every block holding one of these rows (their earlier values could
    otherwise be confirmed by guessing), and mark the blocks' other rows to be digested
    afresh by the next event. How many keys were deleted."""
    wanted = set(ids)
    if not wanted:
        return 0
    blocks = RowDigest.__table__  # type: ignore[attr-defined]
    keys = DigestKey.__table__  # type: ignore[attr-defined]
    doomed: list[int] = []
    again: set[int] = set()
    rows = conn.execute(
        select(blocks.c.key_id, blocks.c.ids)
        .join(keys, keys.c.id == blocks.c.key_id)
        .where(
            blocks.c.table_name == table,
            blocks.c.first_id <= max(wanted),
            blocks.c.last_id >= min(wanted),
        )
    )
    for key_id, packed in rows:
        held = unpack_ids(packed)
        if not wanted.isdisjoint(held):
            doomed.append(key_id)
            again.update(held)
    for start in range(0, len(doomed), READ_CHUNK):
        conn.execute(keys.delete().where(keys.c.id.in_(doomed[start : start + READ_CHUNK])))
    note_written(conn, table, again | wanted)
    return len(doomed)


# -- verification ---------------------------------------------------------------------------


@dataclass
class _Latest:
    """Per row id of one table: the newest digest, its block's key and event."""

    size: int
    digests: bytearray = field(init=False)
    keys: array[int] = field(init=False)
    events: array[int] = field(init=False)

    def __post_init__(self) -> None:
        self.digests = bytearray(self.size * DIGEST_SIZE)
        self.keys = array("q", bytes(8 * self.size))
        self.events = array("q", bytes(8 * self.size))


@dataclass
class RowCheck:
    rows: int = 0  # rows digested again
    changed: list[str] = field(default_factory=list)  # the first few, described
    changed_count: int = 0
    uncovered: list[str] = field(default_factory=list)  # rows no event digested
    uncovered_count: int = 0
    blocks_problem: str | None = None

    def problems(self, *, uncovered: bool = True) -> list[str]:
        """What to report. ``uncovered=False`` leaves out rows no event digested: when
        records were added without an event, check_records has said so already."""
        found = [self.blocks_problem] if self.blocks_problem else []
        for shown, count in (
            (self.changed, self.changed_count),
            (self.uncovered, self.uncovered_count if uncovered else 0),
        ):
            if count:
                more = count - len(shown)
                tail = f" (and {more} more rows)" if more else ""
                found.append("; ".join(shown) + tail)
        return found


SHOWN = 5


def check_rows(conn: Connection, newest: dict[str, int]) -> RowCheck:
    """Every current row of every covered table against the newest digest of it, and every
    event's blocks against its ``rows_digest``. ``newest``: each table's highest id now.

    Memory: 32 bytes per row id (digest, key and event of the newest block per row), not the
    rows: the tables are streamed."""
    result = RowCheck()
    log = ChangeLog.__table__  # type: ignore[attr-defined]
    found = conn.execute(select(log.c.id, log.c.rows_digest).where(log.c.rows_digest.is_not(None)))
    sealed: dict[int, str] = {row[0]: row[1] for row in found}
    keys_table = DigestKey.__table__  # type: ignore[attr-defined]
    keys: dict[int, bytes] = {
        id_: bytes(key) for id_, key in conn.execute(select(keys_table.c.id, keys_table.c.key))
    }
    tables = covered_tables()
    latest = {name: _Latest(newest.get(name, 0) + 1) for name in tables}
    blocks = RowDigest.__table__  # type: ignore[attr-defined]
    rows = conn.execute(
        select(
            blocks.c.event_id,
            blocks.c.table_name,
            blocks.c.first_id,
            blocks.c.last_id,
            blocks.c.ids,
            blocks.c.key_id,
            blocks.c.digests,
        )
        .order_by(blocks.c.id)
        .execution_options(yield_per=200)
    )
    current: int | None = None
    sha = hashlib.sha256()
    seen: set[int] = set()

    def settle(event_id: int) -> None:
        if result.blocks_problem is None and sealed.get(event_id) != sha.hexdigest():
            result.blocks_problem = (
                f"the row digests of event {event_id} were changed, added or removed after "
                "it was written"
            )

    for event_id, name, first, last, packed, key_id, digests in rows:
        if event_id != current:
            if current is not None:
                settle(current)
            if event_id in seen or (current is not None and event_id < current):
                result.blocks_problem = result.blocks_problem or (
                    f"the row digests of event {event_id} are out of order"
                )
            current, sha = event_id, hashlib.sha256()
            seen.add(event_id)
        packed, digests = bytes(packed), bytes(digests)
        sha.update(block_bytes(name, first, last, packed, digests))
        target = latest.get(name)
        if target is None:
            continue
        size = target.size
        for n, id_ in enumerate(unpack_ids(packed)):
            if 0 <= id_ < size:
                target.digests[id_ * DIGEST_SIZE : (id_ + 1) * DIGEST_SIZE] = digests[
                    n * DIGEST_SIZE : (n + 1) * DIGEST_SIZE
                ]
                target.keys[id_] = key_id
                target.events[id_] = event_id
    if current is not None:
        settle(current)
    missing = sorted(set(sealed) - seen)
    if missing and result.blocks_problem is None:
        result.blocks_problem = f"the row digests of event {missing[0]} were removed"

    for name, table in tables.items():
        _check_table(conn, name, table, latest[name], keys, result)
    return result


def _check_table(
    conn: Connection,
    name: str,
    table: Table,
    latest: _Latest,
    keys: dict[int, bytes],
    result: RowCheck,
) -> None:
    encode = _encoder(conn)
    blake2b, size, width = hashlib.blake2b, latest.size, DIGEST_SIZE
    held, key_of, kept = latest.digests, latest.keys, keys.get
    for rows in _raw_rows(conn, _select_sql(conn, table, "")):
        result.rows += len(rows)
        first, last = rows[0][0], rows[-1][0]
        if first >= 0 and last < size and last - first + 1 == len(rows):
            # The common case: ids without gaps, every row under a key. One comparison.
            row_keys = [kept(key_of[row[0]]) for row in rows]
            if None not in row_keys:
                present = cast(list[bytes], row_keys)
                digests = b"".join(
                    [
                        blake2b(encode(row), key=k, digest_size=width).digest()
                        for row, k in zip(rows, present, strict=True)
                    ]
                )
                if digests == held[first * width : (last + 1) * width]:
                    continue
        for row in rows:  # find which rows differ
            id_ = row[0]
            key = kept(key_of[id_]) if 0 <= id_ < size else None
            if key is not None:
                digest = blake2b(encode(row), key=key, digest_size=width).digest()
                if digest == held[id_ * width : (id_ + 1) * width]:
                    continue
                result.changed_count += 1
                if len(result.changed) < SHOWN:
                    result.changed.append(
                        f"{name} {id_} changed since event {latest.events[id_]} without an "
                        "event of its own"
                    )
                continue
            result.uncovered_count += 1
            if len(result.uncovered) < SHOWN:
                result.uncovered.append(f"{name} {id_} was written without an event of its own")

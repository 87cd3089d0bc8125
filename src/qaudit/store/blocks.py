"""Row-digest blocks, without a database: what ``store.digests`` (through SQLAlchemy) and
``store.lite`` (through the DB-API) both append to ``row_digests`` for an event.

A block holds up to 200 rows of one table: their ids and a 16-byte BLAKE2b digest of each row,
keyed with the block's own random key (all zeros for a row the event removed).
"""

from __future__ import annotations

import hashlib
import os
import sys
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

BLOCK_ROWS = 200
DIGEST_SIZE = 16
GONE = bytes(DIGEST_SIZE)  # a row the event removed


@dataclass(frozen=True)
class Block:
    table: str
    ids: bytes
    first_id: int
    last_id: int
    digests: bytes
    key: bytes


def pack_ids(ids: Sequence[int]) -> bytes:
    packed = array("q", ids)
    if sys.byteorder != "little":
        packed.byteswap()
    return packed.tobytes()


def unpack_ids(blob: bytes) -> array[int]:
    ids = array("q")
    ids.frombytes(blob)
    if sys.byteorder != "little":
        ids.byteswap()
    return ids


def make_block(table: str, rows: list[Any], encode: Any) -> Block:
    """One block: each row a driver tuple (id first), or the bare id of a removed row."""
    key = os.urandom(32)
    blake2b = hashlib.blake2b
    ids = [row if isinstance(row, int) else row[0] for row in rows]
    digests = b"".join(
        [
            GONE
            if isinstance(row, int)
            else blake2b(encode(row), key=key, digest_size=DIGEST_SIZE).digest()
            for row in rows
        ]
    )
    return Block(table, pack_ids(ids), ids[0], ids[-1], digests, key)


def block_bytes(table: str, first_id: int, last_id: int, ids: bytes, digests: bytes) -> bytes:
    return f"{table}\x1f{first_id}\x1f{last_id}\x1f".encode() + ids + b"\x1f" + digests


def rows_digest(blocks: Sequence[Block]) -> str | None:
    """What the event's hash covers of its blocks (None: it wrote no rows)."""
    if not blocks:
        return None
    sha = hashlib.sha256()
    for block in blocks:
        sha.update(
            block_bytes(block.table, block.first_id, block.last_id, block.ids, block.digests)
        )
    return sha.hexdigest()

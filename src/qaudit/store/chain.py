"""The change log's chain, without a database: the JSON text of an event's columns, and the
hash that links each event to the one before (``store.changelog`` appends events through
SQLAlchemy, ``store.lite`` through the DB-API; both with these)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

GENESIS = "0" * 64  # the previous hash of the first event


class RefList:
    """A long list of record refs kept as JSON text: a million refs cost ~12 MB, not ~70 MB
    of Python strings. The change log stores it as the JSON array it already is."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._count = 0

    def extend(self, refs: Sequence[str]) -> None:
        if refs:
            self._parts.append(json.dumps(list(refs), ensure_ascii=False)[1:-1])
            self._count += len(refs)

    def __len__(self) -> int:
        return self._count

    def to_json(self) -> str:
        return "[" + ",".join(self._parts) + "]"


def event_text(value: Any) -> str:
    """JSON text of a detail dict whose values may include RefLists (spliced in as they are)."""
    if isinstance(value, RefList):
        return value.to_json()
    if isinstance(value, dict):
        return (
            "{" + ",".join(f"{json.dumps(str(k))}:{event_text(v)}" for k, v in value.items()) + "}"
        )
    return json.dumps(_jsonable(value), ensure_ascii=False)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return value


def as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("change log times must be timezone-aware")
    return moment.astimezone(UTC)


def _moment(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def event_hash(
    prev_hash: str,
    *,
    recorded_at: datetime,
    as_of: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_ref: str | None,
    before: str | None,
    after: str | None,
    detail: str | None,
    row_counts: str | None = None,
    rows_digest: str | None = None,
) -> str:
    """SHA-256 over the previous event's hash and this event's content, the JSON columns as
    the very text stored: change a byte of any event, or their order, and the chain breaks."""
    parts = [
        prev_hash,
        _moment(recorded_at),
        _moment(as_of),
        actor,
        action,
        entity,
        entity_ref or "",
        before or "",
        after or "",
        detail or "",
    ]
    if row_counts is not None:  # events from before schema 0006 have none
        parts.append(row_counts)
    if rows_digest is not None:  # events that wrote no rows, or from before schema 0007
        parts.append("rows:" + rows_digest)
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def sealed_event(
    prev_hash: str | None,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_ref: str | None,
    recorded_at: datetime,
    as_of: datetime,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    detail: dict[str, Any] | None,
    row_counts: dict[str, Any] | None,
    rows_digest: str | None,
) -> dict[str, Any]:
    """An event's stored columns, its JSON columns as the text hashed (None: SQL NULL), its
    times in UTC, chained to the event before by ``hash``."""
    texts = {
        key: event_text(value) if value is not None else None
        for key, value in (
            ("before", before),
            ("after", after),
            ("detail", detail),
            ("row_counts", row_counts),
        )
    }
    at, effective = as_utc(recorded_at), as_utc(as_of)
    prev = prev_hash or GENESIS
    digest = event_hash(
        prev,
        recorded_at=at,
        as_of=effective,
        actor=actor,
        action=action,
        entity=entity,
        entity_ref=entity_ref,
        rows_digest=rows_digest,
        **texts,
    )
    return {
        "recorded_at": at,
        "as_of": effective,
        "actor": actor,
        "action": action,
        "entity": entity,
        "entity_ref": entity_ref,
        **texts,
        "prev_hash": prev,
        "hash": digest,
        "rows_digest": rows_digest,
    }

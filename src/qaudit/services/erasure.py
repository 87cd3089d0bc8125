"""Erasing a case's personal details from the store and its files, and lifting an erasure.

What is erased: the case's date of birth and worker; its audits' framework answers,
strengths, areas for development and family feedback; the moderation notes on those audits;
its complaints' summaries, their stages' late reasons and their extensions' reasons; its
re-audits' notes. The figures
(grades, dates, counts, themes from the fixed vocabularies) stay. The change log records who
erased the case, when and why, never what; from this version on no event holds that text at
all (see ``logged_text``), so an erasure leaves the hash chain verifiable. An erased case stays
erased across later case imports (a tombstone: its ``case.erase`` event) until
``unerase_case`` lifts it, on purpose.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Text, cast, null, select, update
from sqlalchemy.engine import Connection

from qaudit.errors import RuleError
from qaudit.services.context import Context
from qaudit.store.case_bulk import ERASE_ACTION, UNERASE_ACTION, erased_case_refs
from qaudit.store.digests import forget_digests_of
from qaudit.store.engine import BUSY_TIMEOUT_MS, Store

# How long the checkpoint that folds the erased pages into the SQLite file waits for readers.
CHECKPOINT_WAIT_MS = BUSY_TIMEOUT_MS


def logged_text(value: str | None, *, table: str, row_id: int | None) -> dict[str, Any] | None:
    """What a change-log event keeps of a piece of personal free text: a reference to the row
    that holds it and its length, never the text. Erasing the row then erases the text, and
    the event (sealed in the hash chain) stays as it was."""
    if value is None:
        return None
    return {"kept_in": table, "id": row_id, "chars": len(value)}


@dataclass(frozen=True)
class Erasure:
    case_ref: str
    audits: int
    moderations: int
    complaints: int
    complaint_stages: int
    # Events written before the log kept references only, still holding text erased here.
    sealed_events: int
    # How the old values were removed from the store's files, and, when that could not be
    # finished, why (they stay in the files until it is).
    cleaned: str
    incomplete: str | None = None
    tables: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Unerasure:
    case_ref: str


def is_erased(conn: Connection, case_ref: str) -> bool:
    refs = erased_case_refs().subquery()
    found = conn.execute(select(refs).where(refs.c.entity_ref == case_ref).limit(1)).first()
    return found is not None


def erase_case(*, store: Store, ctx: Context, case_ref: str, reason: str) -> Erasure:
    """Remove a case's personal details from its rows, then from the store's files."""
    from qaudit.services.records import case_with_ref
    from qaudit.services.transaction import write_transaction
    from qaudit.store.changelog import record_change
    from qaudit.store.models import (
        Action,
        Audit,
        Case,
        Complaint,
        ComplaintExtension,
        ComplaintStage,
        Moderation,
        Reaudit,
        SampleDraw,
    )

    if not reason.strip():
        raise RuleError("an erasure needs a reason")
    # (Every SQLite connection zeroes the bytes it frees: secure_delete, store/engine.py.)
    audit = Audit.__table__  # type: ignore[attr-defined]
    moderation = Moderation.__table__  # type: ignore[attr-defined]
    complaint = Complaint.__table__  # type: ignore[attr-defined]
    stage = ComplaintStage.__table__  # type: ignore[attr-defined]
    extension = ComplaintExtension.__table__  # type: ignore[attr-defined]
    cases = Case.__table__  # type: ignore[attr-defined]
    reaudit = Reaudit.__table__  # type: ignore[attr-defined]
    draw = SampleDraw.__table__  # type: ignore[attr-defined]
    with write_transaction(store, ctx) as session:
        case = case_with_ref(session, case_ref)
        conn = session.connection()
        xid = (
            None
            if store.is_sqlite
            else conn.exec_driver_sql("SELECT mod(txid_current(), 4294967296)").scalar()
        )
        audit_ids = select(audit.c.id).where(audit.c.case_id == case.id)
        complaint_ids = select(complaint.c.id).where(complaint.c.case_id == case.id)
        texts = _erased_texts(conn, case.id, audit_ids, complaint_ids)  # type: ignore[arg-type]
        # Every row of the case is rewritten, erased before or not, so that the tables
        # holding it are all cleaned below (again, when an earlier erase could not finish).
        touched: dict[str, int] = {}
        touched["cases"] = conn.execute(
            update(cases).where(cases.c.id == case.id).values(date_of_birth=None, worker_id=None)
        ).rowcount
        touched["audits"] = conn.execute(
            update(audit)
            .where(audit.c.case_id == case.id)
            .values(strengths=None, development=None, family_feedback=None, answers=null())
        ).rowcount
        touched["moderations"] = conn.execute(
            update(moderation).where(moderation.c.audit_id.in_(audit_ids)).values(notes=None)
        ).rowcount
        touched["complaints"] = conn.execute(
            update(complaint).where(complaint.c.case_id == case.id).values(summary=None)
        ).rowcount
        touched["complaint_stages"] = conn.execute(
            update(stage).where(stage.c.complaint_id.in_(complaint_ids)).values(late_reason=None)
        ).rowcount
        # Why an extension was agreed late is free text about the complaint too.
        stage_ids = select(stage.c.id).where(stage.c.complaint_id.in_(complaint_ids))
        touched["complaint_extensions"] = conn.execute(
            update(extension).where(extension.c.stage_id.in_(stage_ids)).values(reason=None)
        ).rowcount
        # A re-audit's note (why it was cancelled, say) is free text about the case too.
        touched["reaudits"] = conn.execute(
            update(reaudit).where(reaudit.c.case_id == case.id).values(note=None)
        ).rowcount
        # Why the case was replaced in a sample (it closed, it moved) is free text about it too.
        touched["sample_draws"] = conn.execute(
            update(draw).where(draw.c.replaced_case_id == case.id).values(reason=None)
        ).rowcount
        # What an audit asked to be done about the case is free text about it (NOT NULL: a mark).
        action = Action.__table__  # type: ignore[attr-defined]
        touched["actions"] = conn.execute(
            update(action).where(action.c.case_id == case.id).values(text="[erased]")
        ).rowcount
        sealed = _events_holding(conn, texts)
        # The rows' earlier digests would confirm a guessed erased value: their blocks' keys go,
        # and the erase's own event digests these rows (and those blocks' others) afresh.
        rewritten = {
            "cases": select(cases.c.id).where(cases.c.id == case.id),
            "audits": audit_ids,
            "moderations": select(moderation.c.id).where(moderation.c.audit_id.in_(audit_ids)),
            "complaints": complaint_ids,
            "complaint_stages": stage_ids,
            "complaint_extensions": select(extension.c.id).where(
                extension.c.stage_id.in_(stage_ids)
            ),
            "reaudits": select(reaudit.c.id).where(reaudit.c.case_id == case.id),
            "sample_draws": select(draw.c.id).where(draw.c.replaced_case_id == case.id),
            "actions": select(action.c.id).where(action.c.case_id == case.id),
        }
        keys_deleted = sum(
            forget_digests_of(conn, name, conn.execute(query).scalars())
            for name, query in rewritten.items()
        )
        record_change(
            session,
            actor=ctx.user,
            action=ERASE_ACTION,
            entity="case",
            entity_ref=case.case_ref,
            recorded_at=ctx.recorded_at,
            as_of=ctx.now,
            detail={
                "reason": reason.strip(),
                "audits": touched["audits"],
                "moderations": touched["moderations"],
                "complaints": touched["complaints"],
                "complaint_stages": touched["complaint_stages"],
                "older_events_with_text": sealed,
            },
        )
    tables = [name for name, count in touched.items() if count]
    if store.is_sqlite:
        cleaned, incomplete = _checkpoint(store)
    else:
        # (The deleted digest keys leave PostgreSQL's table files with the rows' old versions.)
        also = ["digest_keys"] if keys_deleted else []
        cleaned, incomplete = _vacuum(store, tables, xid, also=also)
    return Erasure(
        case_ref=case.case_ref,
        audits=touched["audits"],
        moderations=touched["moderations"],
        complaints=touched["complaints"],
        complaint_stages=touched["complaint_stages"],
        sealed_events=sealed,
        cleaned=cleaned,
        incomplete=incomplete,
        tables=tables,
    )


def unerase_case(*, store: Store, ctx: Context, case_ref: str, reason: str) -> Unerasure:
    """Lift a case's erasure: the next case import may store its date of birth and worker
    again. Nothing erased comes back; the log records who lifted it, when and why."""
    from qaudit.services.records import case_with_ref
    from qaudit.services.transaction import write_transaction
    from qaudit.store.changelog import record_change

    if not reason.strip():
        raise RuleError("lifting an erasure needs a reason")
    with write_transaction(store, ctx) as session:
        case = case_with_ref(session, case_ref)
        if not is_erased(session.connection(), case.case_ref):
            raise RuleError(f"case {case.case_ref} is not erased: nothing to lift")
        record_change(
            session,
            actor=ctx.user,
            action=UNERASE_ACTION,
            entity="case",
            entity_ref=case.case_ref,
            recorded_at=ctx.recorded_at,
            as_of=ctx.now,
            detail={"reason": reason.strip()},
        )
    return Unerasure(case_ref=case.case_ref)


def _erased_texts(conn: Connection, case_id: int, audit_ids: Any, complaint_ids: Any) -> set[str]:
    """The free text about to be erased, to find it in older events."""
    from qaudit.store.models import (
        Audit,
        Complaint,
        ComplaintExtension,
        ComplaintStage,
        Moderation,
        Reaudit,
        SampleDraw,
    )

    audit = Audit.__table__  # type: ignore[attr-defined]
    reaudit = Reaudit.__table__  # type: ignore[attr-defined]
    draw = SampleDraw.__table__  # type: ignore[attr-defined]
    moderation = Moderation.__table__  # type: ignore[attr-defined]
    complaint = Complaint.__table__  # type: ignore[attr-defined]
    stage = ComplaintStage.__table__  # type: ignore[attr-defined]
    extension = ComplaintExtension.__table__  # type: ignore[attr-defined]
    stage_ids = select(stage.c.id).where(stage.c.complaint_id.in_(complaint_ids))
    found: set[str] = set()
    queries = [
        select(audit.c.strengths, audit.c.development, audit.c.family_feedback).where(
            audit.c.case_id == case_id
        ),
        select(moderation.c.notes).where(moderation.c.audit_id.in_(audit_ids)),
        select(complaint.c.summary).where(complaint.c.case_id == case_id),
        select(stage.c.late_reason).where(stage.c.complaint_id.in_(complaint_ids)),
        select(extension.c.reason).where(extension.c.stage_id.in_(stage_ids)),
        select(reaudit.c.note).where(reaudit.c.case_id == case_id),
        select(draw.c.reason).where(draw.c.replaced_case_id == case_id),
    ]
    for query in queries:
        for row in conn.execute(query):
            found.update(value for value in row if isinstance(value, str) and value.strip())
    return found


def _events_holding(conn: Connection, texts: set[str]) -> int:
    """How many events hold any of ``texts`` (as written before events kept references)."""
    if not texts:
        return 0
    from qaudit.store.models import ChangeLog

    log = ChangeLog.__table__  # type: ignore[attr-defined]
    # Only the kinds of event that ever carried such text: complaint and audit events (a
    # case import's event lists refs only, and may be megabytes long).
    rows = conn.execute(
        select(cast(log.c.before, Text), cast(log.c.after, Text), cast(log.c.detail, Text)).where(
            log.c.entity.in_(("complaint", "audit", "reaudit"))
        )
    )
    needles = [json.dumps(text, ensure_ascii=False)[1:-1] for text in texts]
    return sum(
        1 for row in rows if any(needle in blob for blob in row if blob for needle in needles)
    )


def _checkpoint(store: Store) -> tuple[str, str | None]:
    """Fold the WAL into the file and truncate it, so the old pages leave both. A reader
    holding an older snapshot stops that: then say so, never claim the values are gone."""
    with store.engine.connect() as conn:
        conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(CHECKPOINT_WAIT_MS)}")
        busy, log, done = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        conn.exec_driver_sql(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    store.dispose()
    cleaned = f"the freed space in {store.describe()} was overwritten and its WAL emptied"
    if busy or done < log:
        return (
            f"the freed space in {store.describe()} was overwritten",
            "another process is reading the store, so the old values are still in "
            f"{store.describe()} or its -wal file until it finishes",
        )
    return cleaned, None


def _vacuum(
    store: Store, tables: list[str], xid: int | None, *, also: list[str] | tuple[str, ...] = ()
) -> tuple[str, str | None]:
    """Rewrite the changed tables (VACUUM FULL): a plain VACUUM marks the old row versions
    free but leaves their bytes in the table files. A transaction that began before the erase
    keeps the old versions alive, and a reader's lock can stop the rewrite: say so."""
    if not tables:
        return "no row needed rewriting", None
    from sqlalchemy.exc import DBAPIError

    names = ", ".join(tables)
    with store.engine.connect() as raw:
        conn = raw.execution_options(isolation_level="AUTOCOMMIT")
        # A session whose snapshot is older than the erase keeps the old versions alive; one
        # this role may not look into (state hidden) might, so it counts too.
        older = conn.exec_driver_sql(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND ("
            "(backend_xmin IS NOT NULL AND age(backend_xmin) >= age(%s::text::xid)) "
            "OR (state IS NULL AND backend_type = 'client backend'))",
            (str(xid),),
        ).scalar()
        if older:
            return "", (
                f"{older} other database session(s) may hold a transaction that began before "
                f"the erase, so PostgreSQL may keep the old row versions of {names} in its "
                "table files until they end"
            )
        try:
            conn.exec_driver_sql(f"SET lock_timeout = '{BUSY_TIMEOUT_MS}ms'")
            for table in [*tables, *also]:
                conn.exec_driver_sql(f"VACUUM FULL {table}")
        except DBAPIError as exc:
            message = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            return "", (
                f"VACUUM FULL of {names} did not finish ({message}): the old row versions "
                "stay in PostgreSQL's table files until it does"
            )
    return (
        f"VACUUM FULL rewrote {names}, so the old row versions left the table files "
        "(PostgreSQL's write-ahead log and any backups keep them until they expire)",
        None,
    )

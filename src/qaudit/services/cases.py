"""Importing the council's case list and listing cases."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import col

from qaudit.errors import InputError
from qaudit.importers.child_reader import CHILD_MIN_BYTES, read_in_child
from qaudit.importers.files import check_unpacked_size, detect_kind, open_check, sha256_of
from qaudit.importers.rows import (
    TRACKED,
    CaseFile,
    RowTuple,
    RowWatch,
    born_after,
    cap_warnings,
    variant_messages,
)
from qaudit.services.context import Context
from qaudit.services.transaction import write_transaction
from qaudit.store.case_bulk import (
    CaseDigests,
    DuplicateCaseRef,
    RepeatedRefs,
    apply_case_file,
    store_has_cases,
)
from qaudit.store.changelog import record_change
from qaudit.store.engine import Store
from qaudit.store.models import Case, Staff, Team

_FIELD_COLUMN = {"team_id": "team", "worker_id": "worker"}


@dataclass
class CaseImportSummary:
    file: str
    sha256: str
    kind: str
    rows: int
    added: int
    updated: int
    closed: int
    unchanged: int
    open_not_in_file: int
    teams_added: int
    workers_added: int
    dry_run: bool
    warnings: list[str] = field(default_factory=list)
    kept_erased: int = 0  # erased cases whose personal fields in the file were not stored

    @property
    def changed(self) -> bool:
        return bool(
            self.added or self.updated or self.closed or self.teams_added or self.workers_added
        )


def read_case_file(path: Path, *, ctx: Context) -> Callable[[], CaseFile]:
    """Check the file and return a reader for it (called again if a second pass is needed)."""
    open_check(path, max_bytes=ctx.policy.imports.max_file_bytes)
    kind = detect_kind(path)
    if kind == "xlsx":
        from qaudit.importers.annex_a import read_annex_a

        check_unpacked_size(path, max_bytes=ctx.policy.imports.max_unpacked_bytes)
        return lambda: read_annex_a(path, today=ctx.today)
    from qaudit.importers.case_csv import read_case_csv

    return lambda: read_case_csv(path, today=ctx.today)


def import_cases(
    *,
    store: Store,
    path: Path,
    ctx: Context,
    dry_run: bool = False,
    on_progress: Callable[[int], None] | None = None,
    strict: bool = False,
) -> CaseImportSummary:
    """Import a case CSV or Annex A workbook in one transaction: all of it or nothing.

    Refs differing only in letter case, within the file or from a stored ref, are warned
    about, or refused when ``strict``."""
    reader = read_case_file(path, ctx=ctx)
    case_file = reader()  # the header is checked before the store is touched
    large = case_file.kind == "csv" and path.stat().st_size >= CHILD_MIN_BYTES

    # Annex A checks dates of birth itself, where it can name the sheet and row.
    watch = RowWatch(births=case_file.kind == "csv" and "date_of_birth" in case_file.columns)

    # A large file's reader also digests the rows a first import inserts (store.case_bulk).
    digests = CaseDigests() if large and not dry_run else None

    def batches(first: CaseFile | None = None) -> Iterator[Sequence[RowTuple]]:
        if not large:
            return watch.watch(iter((first or reader()).batches))
        if first is not None:
            _close(first)  # it was for the header check; the child reads the rows
        return watch.watch(read_in_child(reader, digests))

    if dry_run and not store.exists():
        store = Store("sqlite://")  # validate against an empty store, create no file
    with write_transaction(store, ctx, dry_run=dry_run) as session:
        conn = session.connection()
        has_cases = store_has_cases(conn)
        watch.stored = _stored_twins(conn) if has_cases else {}
        try:
            try:
                result = apply_case_file(
                    conn,
                    batches(case_file),
                    into_empty_store=not has_cases,
                    on_progress=on_progress,
                    digests=digests,
                )
            except RepeatedRefs:
                result = apply_case_file(
                    conn,
                    batches(),
                    into_empty_store=False,
                    on_progress=on_progress,
                    digests=digests,
                )
        except DuplicateCaseRef as dup:
            column = case_file.columns.get(_FIELD_COLUMN.get(dup.field_name, dup.field_name))
            raise InputError(
                f"case ref '{dup.case_ref}' is also on line {dup.first_line} with a different "
                f"{_FIELD_COLUMN.get(dup.field_name, dup.field_name)}",
                file=str(path),
                line=dup.line,
                column=column[0] if column else None,
                column_name=column[1] if column else None,
            ) from None
        if result.rows == 0:
            raise InputError("the file has a header but no cases", file=str(path))
        found = _case_variants(conn, watch, reader, str(path))
        variants = [(line, problem) for line, problem in found if line]
        if strict and variants:
            line, problem = variants[0]
            column = case_file.columns.get("case_ref")
            raise InputError(
                f"{problem} (--strict)",
                file=str(path),
                line=line,
                column=column[0] if column else None,
                column_name=column[1] if column else None,
            )
        summary = CaseImportSummary(
            file=str(path),
            sha256=sha256_of(path),
            kind=case_file.kind,
            rows=result.rows,
            added=len(result.added),
            updated=len(result.updated),
            closed=len(result.closed),
            unchanged=result.unchanged,
            open_not_in_file=result.not_in_file_open,
            teams_added=len(result.teams_added),
            workers_added=len(result.workers_added),
            dry_run=dry_run,
            warnings=[
                *case_file.warnings,
                *(
                    f"{path}{f', line {line}' if line else ''}: {problem}"
                    for line, problem in found
                ),
                *_born_after(str(path), watch),
            ],
            kept_erased=result.kept_erased,
        )
        if result.kept_erased:
            one = result.kept_erased == 1
            summary.warnings.append(
                f"{result.kept_erased:,} erased {'case' if one else 'cases'} kept erased: the "
                f"date of birth and worker the file gives for {'it' if one else 'them'} were "
                "not stored (lift an erasure with qaudit db unerase)"
            )
        if summary.changed and not dry_run:
            record_change(
                session,
                actor=ctx.user,
                action="cases.import",
                entity="case_file",
                entity_ref=path.name,
                recorded_at=ctx.recorded_at,
                as_of=ctx.now,
                detail={
                    "file": path.name,
                    "sha256": summary.sha256,
                    "kind": summary.kind,
                    "rows": summary.rows,
                    "counts": {
                        "added": summary.added,
                        "updated": summary.updated,
                        "closed": summary.closed,
                        "unchanged": summary.unchanged,
                    },
                    "added": result.added,
                    "updated": result.updated,
                    "closed": result.closed,
                    "teams_added": result.teams_added,
                    "workers_added": result.workers_added,
                },
            )
    return summary


def _stored_twins(conn: Any) -> dict[str, str]:
    """The store's refs with a lower-case letter by their upper-case twin, and those with an
    upper-case letter by their lower-case twin; each kind only when it is not the store's
    convention (at most TRACKED: in most stores, no ref has a lower-case letter)."""
    ref = col(Case.case_ref)
    twins: dict[str, str] = {}
    for changed, fold in ((func.upper(ref), str.upper), (func.lower(ref), str.lower)):
        found = conn.execute(select(ref).where(ref != changed).limit(TRACKED + 1)).scalars().all()
        if len(found) <= TRACKED:
            twins.update({fold(r): r for r in found})
    return twins


def _case_variants(
    conn: Any, watch: RowWatch, reader: Callable[[], CaseFile], name: str
) -> list[tuple[int, str]]:
    """(line, problem) for each ref of the file differing only in letter case from another
    ref of the file or of the store. A second look at the file is taken only when it holds
    refs of both kinds (with lower-case letters and with upper-case ones)."""
    rarer = watch.rarer()
    if rarer is None:
        return [
            (
                0,
                f"more than {TRACKED:,} refs have lower-case letters and as many upper-case "
                "ones: refs differing only in letter case were not looked for",
            )
        ]
    kept, fold, both_kinds = rarer
    keys = {fold(ref) for ref in kept}
    # Two refs differing only in case need one of the rarer kind: with none in the file (refs
    # all upper case, as in most exports), there is nothing to look for a second time.
    if both_kinds and kept:
        groups = watch.file_twins(iter(reader().batches), keys, fold)
    else:
        groups = {fold(ref): {ref: line} for ref, line in kept.items()}
    stored: dict[str, set[str]] = {}
    ordered = sorted(keys)
    ref_col = col(Case.case_ref)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        for (ref,) in conn.execute(select(ref_col).where(ref_col.in_(chunk))):
            stored.setdefault(ref, set()).add(ref)
    for ref in watch.stored.values():
        if fold(ref) in groups:
            stored.setdefault(fold(ref), set()).add(ref)
    return variant_messages(name, groups, stored, watch.clashes)


def _born_after(name: str, watch: RowWatch) -> list[str]:
    found = [
        f"{name}, line {line}: {born_after(born, opened)}"
        for line, born, opened in watch.born_after
    ]
    return cap_warnings(found, f"a date of birth after the open date in {name}")


def _close(case_file: CaseFile) -> None:
    close = getattr(case_file.batches, "close", None)
    if close is not None:
        close()


@dataclass(frozen=True)
class CaseView:
    case_ref: str
    team: str | None
    worker: str | None
    category: str
    open_date: date | None
    close_date: date | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "case_ref": self.case_ref,
            "team": self.team,
            "worker": self.worker,
            "category": self.category,
            "open_date": self.open_date,
            "close_date": self.close_date,
        }


def _case_query(open_on: date | None, team: str | None, category: str | None) -> Any:
    worker = aliased(Staff)
    query = (
        select(
            col(Case.case_ref),
            col(Team.name),
            col(worker.name),
            col(Case.category),
            col(Case.open_date),
            col(Case.close_date),
        )
        .outerjoin(Team, col(Team.id) == col(Case.team_id))
        .outerjoin(worker, col(worker.id) == col(Case.worker_id))
    )
    if open_on is not None:
        query = query.where(
            or_(col(Case.open_date).is_(None), col(Case.open_date) <= open_on),
            or_(col(Case.close_date).is_(None), col(Case.close_date) >= open_on),
        )
    if team is not None:
        query = query.where(col(Team.name) == team)
    if category is not None:
        query = query.where(col(Case.category) == category.upper())
    return query


def iter_cases(
    *,
    store: Store,
    open_on: date | None = None,
    team: str | None = None,
    category: str | None = None,
    limit: int | None = None,
) -> Iterator[CaseView]:
    """Every case matching the filters (the first ``limit``), in case ref order, streamed from
    one snapshot a few thousand rows at a time: never all of them in memory."""
    query = _case_query(open_on, team, category).order_by(col(Case.case_ref))
    if limit is not None:
        query = query.limit(limit)
    with store.reading() as session:
        for row in session.connection().execute(query.execution_options(yield_per=5000)):
            yield CaseView(*row)


def count_cases(
    *,
    store: Store,
    open_on: date | None = None,
    team: str | None = None,
    category: str | None = None,
) -> int:
    """How many cases match the filters (those ``iter_cases`` would give without a limit)."""
    counted = _case_query(open_on, team, category).with_only_columns(func.count(col(Case.id)))
    with store.reading() as session:
        return int(session.connection().execute(counted).scalar_one())

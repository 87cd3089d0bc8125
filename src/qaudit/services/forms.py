"""Audit workbooks: exporting each auditor's month as a workbook of forms, and recording the
returned workbooks' audits (all of them or none) through the same rules as ``grade``.

Plain SQL on a ``store.lite.WriteTx``, as ``services.grading``, so one implementation serves
SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from qaudit.domain.grades import Grade
from qaudit.domain.workdays import month_bounds
from qaudit.errors import QauditError, RuleError
from qaudit.importers.framework import Framework, Theme
from qaudit.importers.workbook import (
    FilledSheet,
    ReturnedWorkbook,
    SheetHeader,
    SheetRecord,
    SheetToWrite,
    WorkbookError,
    WorkbookToWrite,
    checksum,
    layout_for,
    locked_cells,
    read_sheet,
    sheet_name,
)
from qaudit.services.context import Context
from qaudit.services.grading import GradeInput, record_grade_in
from qaudit.store.lite import Event, Json, WriteTx, day

__all__ = [
    "ExportedWorkbook",
    "SheetOutcome",
    "export_forms_in",
    "import_forms_in",
]


@dataclass(frozen=True)
class ExportedWorkbook:
    """One auditor's workbook, recorded in ``form_exports``: what to write to the file."""

    book: WorkbookToWrite
    auditor: str

    @property
    def cases(self) -> list[str]:
        return [sheet.header.case_ref for sheet in self.book.sheets]


@dataclass(frozen=True)
class _Allocated:
    kind: str  # "sample" or "reaudit"
    item_id: int
    case_ref: str
    team: str | None
    category: str
    due: date | None
    auditor_id: int
    auditor: str
    about: str


def _allocated(tx: WriteTx, month: str) -> list[_Allocated]:
    """The month's open sample items and the re-audits due by its end, by auditor."""
    _, last = month_bounds(month)
    found: list[_Allocated] = []
    for item_id, ref, team, category, due, staff_id, name in tx.all(
        "SELECT i.id, c.case_ref, t.name, c.category, i.due, st.id, st.name"
        " FROM sample_items i JOIN samples s ON s.id = i.sample_id"
        " JOIN cases c ON c.id = i.case_id LEFT JOIN teams t ON t.id = c.team_id"
        " JOIN staff st ON st.id = i.auditor_id"
        " WHERE s.month = :month AND i.status = 'open' ORDER BY st.name, i.position, i.id",
        {"month": month},
    ):
        found.append(
            _Allocated(
                "sample", item_id, ref, team, category, day(due), staff_id, name,
                f"the {month} sample",
            )
        )  # fmt: skip
    for reaudit_id, ref, team, category, due, staff_id, name, first_id, first_on in tx.all(
        "SELECT r.id, c.case_ref, t.name, c.category, r.due, st.id, st.name, a.id, a.audit_date"
        " FROM reaudits r JOIN cases c ON c.id = r.case_id LEFT JOIN teams t ON t.id = c.team_id"
        " JOIN staff st ON st.id = r.auditor_id JOIN audits a ON a.id = r.audit_id"
        " WHERE r.status = 'pending' AND r.due <= :last ORDER BY st.name, r.due, c.case_ref",
        {"last": last},
    ):
        first = day(first_on)
        found.append(
            _Allocated(
                "reaudit", reaudit_id, ref, team, category, day(due), staff_id, name,
                f"the re-audit after audit {first_id} ({first:%d/%m/%Y})",
            )
        )  # fmt: skip
    return found


def export_forms_in(
    tx: WriteTx, ctx: Context, *, month: str, framework: Framework
) -> list[ExportedWorkbook]:
    """Record one workbook per auditor with something allocated in ``month`` (open sample
    items, re-audits due by the month's end), one change-log event each; the workbooks to
    write. Refused when nothing is allocated."""
    allocated = _allocated(tx, month)
    if not allocated:
        raise RuleError(
            f"nothing is allocated for {month}: no open sample item and no re-audit due "
            "(draw the month's sample first)"
        )
    layout = layout_for(framework)
    by_auditor: dict[int, list[_Allocated]] = {}
    for entry in allocated:
        by_auditor.setdefault(entry.auditor_id, []).append(entry)
    books: list[ExportedWorkbook] = []
    for auditor_id, entries in by_auditor.items():
        auditor = entries[0].auditor
        taken: set[str] = set()
        both = {e.case_ref for e in entries if e.kind == "sample"} & {
            e.case_ref for e in entries if e.kind == "reaudit"
        }
        records: list[SheetRecord] = []
        sheets: list[SheetToWrite] = []
        for entry in entries:
            name = sheet_name(
                entry.case_ref, entry.kind == "reaudit" and entry.case_ref in both, taken
            )
            header = SheetHeader(
                case_ref=entry.case_ref,
                team=entry.team or "",
                category=entry.category,
                due=entry.due,
                about=entry.about,
                auditor=auditor,
            )
            locked = locked_cells(header, layout)
            digest = checksum(locked)
            records.append(
                SheetRecord(
                    sheet=name,
                    case_ref=entry.case_ref,
                    kind=entry.kind,
                    item_id=entry.item_id,
                    checksum=digest,
                    locked=locked,
                    answers=layout.answers,
                    fields=dict(layout.fields),
                    actions=layout.actions,
                )
            )
            sheets.append(SheetToWrite(name, header, digest))
        ref = secrets.token_hex(6)  # random; short, as the change log shows it
        export_id = tx.insert(
            "form_exports",
            {
                "ref": ref,
                "month": month,
                "auditor_id": auditor_id,
                "sheets": Json([record.as_json() for record in records]),
                "exported_at": ctx.recorded_at,
                "exported_by": ctx.user,
            },
        )
        tx.log(
            Event(
                actor=ctx.user,
                action="forms.export",
                entity="form_export",
                entity_ref=ref,
                recorded_at=ctx.recorded_at,
                as_of=ctx.now,
                after={
                    "id": export_id,
                    "month": month,
                    "auditor": auditor,
                    "cases": [r.case_ref for r in records],
                },
            )
        )
        books.append(ExportedWorkbook(WorkbookToWrite(ref, month, auditor, tuple(sheets)), auditor))
    return books


# ---------------------------------------------------------------------------------------------
# Import


@dataclass(frozen=True)
class SheetOutcome:
    """What importing one sheet did (or, on a dry run, would do)."""

    file: str
    sheet: str
    case_ref: str
    result: str  # "recorded", "already recorded", "not yet done"
    audit_id: int | None = None
    grade: Grade | None = None
    moderation_due: date | None = None
    reaudit_due: date | None = None
    actions: int = 0
    moderation_owner: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "sheet": self.sheet,
            "case_ref": self.case_ref,
            "result": self.result,
            "audit_id": self.audit_id,
            "grade": self.grade.slug if self.grade else None,
            "moderation_due": self.moderation_due,
            "reaudit_due": self.reaudit_due,
            "actions": self.actions,
        }


@dataclass
class _Export:
    id: int
    ref: str
    month: str
    auditor_id: int
    auditor: str
    records: list[SheetRecord] = field(default_factory=list)


def _export_of(tx: WriteTx, book: ReturnedWorkbook) -> _Export:
    found = tx.all(
        "SELECT f.id, f.month, f.auditor_id, st.name, f.sheets FROM form_exports f"
        " JOIN staff st ON st.id = f.auditor_id WHERE f.ref = :ref",
        {"ref": book.ref},
    )
    if not found:
        raise WorkbookError(
            f"this workbook's export ({book.ref}) is not in this store: was it exported from "
            "another store, or its hidden sheet changed?",
            file=book.file,
        )
    export_id, month, auditor_id, auditor, sheets = found[0]
    stored = json.loads(sheets) if isinstance(sheets, str | bytes) else sheets
    return _Export(
        export_id, book.ref, month, auditor_id, auditor, [SheetRecord.from_json(s) for s in stored]
    )


def import_forms_in(
    tx: WriteTx,
    ctx: Context,
    *,
    books: Sequence[ReturnedWorkbook],
    month: str | None,
    framework: Framework,
    themes: Sequence[Theme],
) -> list[SheetOutcome]:
    """Record the audit of every graded sheet of ``books`` in ``tx``: each sheet's case must
    still be allocated to the workbook's auditor (or already recorded by the same audit: then
    nothing changes). The first problem refuses the lot, naming the file, sheet and cell."""
    seen: dict[str, str] = {}
    for book in books:
        if book.ref in seen:
            raise WorkbookError(
                f"this is the same workbook (export {book.ref}) as {seen[book.ref]}: give each "
                "workbook once",
                file=book.file,
            )
        seen[book.ref] = book.file
    exports = [_export_of(tx, book) for book in books]
    for book, export in zip(books, exports, strict=True):
        if month is not None and export.month != month:
            raise WorkbookError(
                f"this workbook was exported for {export.month}, not {month}",
                file=book.file,
            )
    # Every cell of every workbook is checked before anything is recorded.
    read = [
        [
            (record, read_sheet(book, record, framework=framework, themes=themes, today=ctx.today))
            for record in export.records
        ]
        for book, export in zip(books, exports, strict=True)
    ]
    outcomes: list[SheetOutcome] = []
    for book, export, sheets in zip(books, exports, read, strict=True):
        done: dict[str, SheetOutcome] = {}
        # Sample items first: an audit completes a case's open sample item before its re-audit.
        filled = sorted(
            (sheet for _, sheet in sheets if sheet is not None),
            key=lambda sheet: sheet.record.kind != "sample",
        )
        for sheet in filled:
            done[sheet.record.sheet] = _import_sheet(tx, ctx, book, export, sheet)
        outcomes.extend(
            done.get(record.sheet)
            or SheetOutcome(book.file, record.sheet, record.case_ref, "not yet done")
            for record, _ in sheets
        )
        recorded = [o.audit_id for o in done.values() if o.result == "recorded" and o.audit_id]
        if recorded:
            tx.log(
                Event(
                    actor=ctx.user,
                    action="forms.import",
                    entity="form_export",
                    entity_ref=export.ref,
                    recorded_at=ctx.recorded_at,
                    as_of=ctx.now,
                    detail={"month": export.month, "auditor": export.auditor, "audits": recorded},
                )
            )
    return outcomes


def _import_sheet(
    tx: WriteTx, ctx: Context, book: ReturnedWorkbook, export: _Export, sheet: FilledSheet
) -> SheetOutcome:
    record = sheet.record

    def fail(problem: str, cell: str | None = None) -> WorkbookError:
        return WorkbookError(problem, file=book.file, sheet=record.sheet, cell=cell)

    grade_cell = record.fields["grade"]
    if record.kind == "sample":
        rows = tx.all(
            "SELECT i.status, i.auditor_id, i.audit_id, st.name FROM sample_items i"
            " LEFT JOIN staff st ON st.id = i.auditor_id WHERE i.id = :id",
            {"id": record.item_id},
        )
        what = f"case {record.case_ref}'s sample item for {export.month}"
    else:
        rows = tx.all(
            "SELECT r.status, r.auditor_id, r.done_audit_id, st.name FROM reaudits r"
            " LEFT JOIN staff st ON st.id = r.auditor_id WHERE r.id = :id",
            {"id": record.item_id},
        )
        what = f"case {record.case_ref}'s re-audit"
    if not rows:
        raise fail(f"{what} is no longer in the store", grade_cell)
    status, auditor_id, done_by, now_allocated = rows[0]
    if status == "done" and done_by is not None:
        _same_as_recorded(tx, sheet, int(done_by), export.auditor, fail)
        return SheetOutcome(
            book.file, record.sheet, record.case_ref, "already recorded", int(done_by), sheet.grade
        )
    open_status = "open" if record.kind == "sample" else "pending"
    if status != open_status:
        raise fail(f"{what} is {status}: it is no longer to be audited", grade_cell)
    if auditor_id != export.auditor_id:
        raise fail(
            f"{what} is now allocated to {now_allocated or 'nobody'}, not {export.auditor}",
            grade_cell,
        )
    for action, cell in zip(sheet.actions, sheet.action_cells, strict=True):
        if not tx.all("SELECT id FROM staff WHERE name = :name", {"name": action.owner}):
            owner_cell = "C" + cell[1:]
            raise fail(
                f"no staff member named '{action.owner}' to own the action (see qaudit staff list)",
                owner_cell,
            )
    entry = GradeInput(
        case_ref=record.case_ref,
        grade=sheet.grade,
        auditor=export.auditor,
        audit_date=sheet.audit_date,
        answers=sheet.answers,
        themes=sheet.themes,
        strengths=sheet.strengths,
        development=sheet.development,
        family_feedback=sheet.family_feedback,
        views_gathered=sheet.views_gathered,
        actions=sheet.actions,
        work=("sample" if record.kind == "sample" else "reaudit", record.item_id),
    )
    try:
        result = record_grade_in(tx, ctx, entry)
    except WorkbookError:
        raise
    except QauditError as exc:
        cell = record.fields["audit_date"] if "date" in exc.message else grade_cell
        raise fail(exc.message, cell) from None
    return SheetOutcome(
        book.file,
        record.sheet,
        record.case_ref,
        "recorded",
        result.audit_id,
        result.grade,
        result.moderation_due,
        result.reaudit_due,
        len(result.actions),
        result.moderation_owner,
    )


def _listed(value: Any) -> Any:
    if isinstance(value, str | bytes):
        return json.loads(value)
    return value


def _same_as_recorded(
    tx: WriteTx, sheet: FilledSheet, audit_id: int, auditor: str, fail: Any
) -> None:
    """Refuse a sheet whose item was done by an audit that says something else."""
    found = tx.all(
        "SELECT a.grade, a.audit_date, a.answers, a.themes, a.strengths, a.development,"
        " a.family_feedback, a.views_gathered, st.name FROM audits a"
        " JOIN staff st ON st.id = a.auditor_id WHERE a.id = :id",
        {"id": audit_id},
    )
    record = sheet.record
    fields = record.fields
    if not found:
        raise fail(
            f"case {record.case_ref} was done by audit {audit_id}, which is gone", fields["grade"]
        )
    grade, audit_date, answers, themes, strengths, development, feedback, views, by = found[0]
    views_here = sheet.views_gathered
    if views_here is None:
        views_here = bool(sheet.family_feedback)
    differences: list[tuple[str, str]] = [
        (fields["grade"], "overall grade") if grade != sheet.grade.slug else ("", ""),
        (fields["audit_date"], "date audited") if day(audit_date) != sheet.audit_date else ("", ""),
    ]
    stored_answers = _listed(answers) or {}
    for qid, cell in record.answers.items():
        if stored_answers.get(qid) != sheet.answers.get(qid):
            differences.append((cell, f"answer to '{qid}'"))
    checks = [
        ("themes", list(_listed(themes) or []) != list(sheet.themes), "themes"),
        ("strengths", (strengths or None) != sheet.strengths, "strengths"),
        ("development", (development or None) != sheet.development, "areas for development"),
        ("family_feedback", (feedback or None) != sheet.family_feedback, "family feedback"),
        ("views_gathered", bool(views) != views_here, "views gathered"),
    ]
    differences.extend((fields[name], words) for name, differs, words in checks if differs)
    stored_actions = [
        (text, owner, day(due))
        for text, owner, due in tx.all(
            "SELECT x.text, st.name, x.due FROM actions x JOIN staff st ON st.id = x.owner_id"
            " WHERE x.audit_id = :id AND x.moderation_id IS NULL ORDER BY x.id",
            {"id": audit_id},
        )
    ]
    given_actions = [(a.text, a.owner, a.due) for a in sheet.actions]
    if stored_actions != given_actions:
        first = sheet.action_cells[0] if sheet.action_cells else record.actions[0][0]
        differences.append((first, "actions"))
    if by != auditor:
        differences.append((fields["grade"], f"auditor (recorded by {by})"))
    for cell, words in differences:
        if cell:
            raise fail(
                f"case {record.case_ref} is already recorded by audit {audit_id}, and this "
                f"sheet's {words} differs from it; a recorded audit is not changed by a workbook",
                cell,
            )

"""The audit workbook ``qaudit forms export`` sends an auditor: its layout, written once, and
read back (as Excel or LibreOffice saved it) into plain records that name each cell.

The layout of each sheet (where the locked cells and the answer cells are) is recorded with the
export in the store; a returned workbook is read against that record, never against itself.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import json
import re
import warnings
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from qaudit.domain.actions import ActionInput, new_action
from qaudit.domain.audit_cycle import check_development
from qaudit.domain.dates import parse_file_date
from qaudit.domain.grades import Grade, parse_grade
from qaudit.domain.rules import RuleBroken
from qaudit.domain.text import check_text
from qaudit.errors import InputError
from qaudit.importers.files import check_unpacked_size, detect_kind, open_check
from qaudit.importers.framework import Framework, Theme, parse_answer, parse_theme

HIDDEN_SHEET = "qaudit"
GUIDE_SHEET = "Guide"
FORMAT_VERSION = "1"
ACTION_ROWS = 5
NOT_APPLICABLE = "n/a"
GRADE_CHOICES: tuple[str, ...] = tuple(grade.label for grade in Grade)
ANSWER_CHOICES: tuple[str, ...] = (*GRADE_CHOICES, NOT_APPLICABLE)
YES_NO = ("Yes", "No")
FIELDS = (
    "grade",
    "strengths",
    "development",
    "family_feedback",
    "views_gathered",
    "themes",
    "audit_date",
)
_FIELD_LABELS = {
    "grade": ("Overall grade", "Leave empty until the audit is done."),
    "strengths": ("Strengths", "What is working well."),
    "development": (
        "Areas for development",
        "Needed for Requires improvement to be good and Inadequate.",
    ),
    "family_feedback": ("Family feedback", "What the child and family said."),
    "views_gathered": ("Views gathered", "Were the child's and family's views gathered?"),
    "themes": ("Themes", "Comma list, from the Guide sheet (e.g. planning, voice-of-the-child)."),
    "audit_date": ("Date audited", "DD/MM/YYYY; needed with the grade."),
}
_HEADER_ROWS = (
    ("case_ref", "Case ref"),
    ("team", "Team"),
    ("category", "Category"),
    ("due", "Audit due"),
    ("about", "Audit of"),
    ("auditor", "Auditor"),
)
_FIRST_HEADER_ROW = 3
_QUESTIONS_HEADING_ROW = 10
_SHEET_NAME_LIMIT = 31
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
_LINE_HEIGHT = 15  # points: one line of 11-point text
_A_CHARS, _B_CHARS = 22, 58  # characters on a line of columns A and B as laid out
_EXCEL_EPOCH_SERIALS = (36526, 73051)  # 2000-01-01 .. 2100-01-01 as Excel day numbers


# ---------------------------------------------------------------------------------------------
# Errors


class WorkbookError(InputError):
    """A problem in a returned workbook, named by file, sheet and cell (C14)."""

    def __init__(
        self, problem: str, *, file: str, sheet: str | None = None, cell: str | None = None
    ) -> None:
        self.cell = cell
        super().__init__(problem, file=file, sheet=sheet)

    def __reduce__(self) -> tuple[object, ...]:
        return (_workbook_error, (self.problem, self.file, self.sheet, self.cell))

    def _format(self) -> str:
        where = [self.file]
        if self.sheet is not None:
            where.append(f"sheet {self.sheet}")
        if getattr(self, "cell", None) is not None:
            where.append(f"cell {self.cell}")
        return f"{', '.join(where)}: {_one_line(self.problem)}"


def _workbook_error(problem: str, file: str, sheet: str | None, cell: str | None) -> WorkbookError:
    return WorkbookError(problem, file=file, sheet=sheet, cell=cell)


def _one_line(text: str, limit: int = 400) -> str:
    flat = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# ---------------------------------------------------------------------------------------------
# The layout


@dataclass(frozen=True)
class SheetHeader:
    """What the top of a sheet says about the case (locked)."""

    case_ref: str
    team: str
    category: str
    due: date | None
    about: str  # "the 2026-12 sample", "the re-audit after audit 12"
    auditor: str

    def texts(self) -> dict[str, str]:
        return {
            "case_ref": self.case_ref,
            "team": self.team,
            "category": self.category,
            "due": self.due.strftime("%d/%m/%Y") if self.due else "",
            "about": self.about,
            "auditor": self.auditor,
        }


@dataclass(frozen=True)
class Layout:
    """Where everything is on a sheet for one framework: the same for every sheet."""

    area_rows: tuple[tuple[int, str], ...]  # row, area title
    question_rows: tuple[tuple[int, str, str], ...]  # row, question id, question text
    fields: dict[str, str]  # field -> answer cell
    field_rows: dict[str, int]
    actions_heading_row: int
    actions: tuple[tuple[str, str, str], ...]  # (what, owner, due) cells

    @property
    def answers(self) -> dict[str, str]:
        return {qid: f"C{row}" for row, qid, _ in self.question_rows}


def layout_for(framework: Framework) -> Layout:
    row = _QUESTIONS_HEADING_ROW + 1
    areas: list[tuple[int, str]] = []
    questions: list[tuple[int, str, str]] = []
    for area in framework.areas:
        areas.append((row, area.title))
        row += 1
        for question in area.questions:
            questions.append((row, question.id, question.text))
            row += 1
    row += 1
    fields: dict[str, str] = {}
    field_rows: dict[str, int] = {}
    for name in FIELDS:
        fields[name] = f"C{row}"
        field_rows[name] = row
        row += 1
    row += 1
    heading = row
    actions = tuple(
        (f"B{r}", f"C{r}", f"D{r}") for r in range(heading + 1, heading + 1 + ACTION_ROWS)
    )
    return Layout(tuple(areas), tuple(questions), fields, field_rows, heading, actions)


def locked_cells(header: SheetHeader, layout: Layout) -> dict[str, str]:
    """Every locked cell whose value matters, by cell: the checksum covers these."""
    cells: dict[str, str] = {}
    texts = header.texts()
    for offset, (key, _) in enumerate(_HEADER_ROWS):
        cells[f"B{_FIRST_HEADER_ROW + offset}"] = texts[key]
    for row, title in layout.area_rows:
        cells[f"B{row}"] = title
    for row, qid, text in layout.question_rows:
        cells[f"A{row}"] = qid
        cells[f"B{row}"] = text
    return cells


def checksum(cells: Mapping[str, str]) -> str:
    """SHA-256 of the locked cells' values, in cell order."""
    ordered = sorted(cells.items(), key=lambda item: _cell_order(item[0]))
    return hashlib.sha256(json.dumps(ordered, ensure_ascii=False).encode("utf-8")).hexdigest()


def _cell_order(cell: str) -> tuple[int, str]:
    match = re.fullmatch(r"([A-Z]+)(\d+)", cell)
    return (int(match.group(2)), match.group(1)) if match else (0, cell)


def sheet_name(case_ref: str, reaudit: bool, taken: set[str]) -> str:
    """The case ref as a sheet name (" re-audit" added when the case has both), within
    Excel's rules: at most 31 characters, none of []:*?/\\, unique in any case."""
    suffix = " re-audit" if reaudit else ""
    base = _SHEET_NAME_BAD.sub("_", case_ref).strip("'") or "case"
    name = base[: _SHEET_NAME_LIMIT - len(suffix)] + suffix
    number = 2
    while name.casefold() in taken or name.casefold() in (
        HIDDEN_SHEET.casefold(),
        GUIDE_SHEET.casefold(),
    ):
        tail = f" ({number}){suffix}"
        name = base[: _SHEET_NAME_LIMIT - len(tail)] + tail
        number += 1
    taken.add(name.casefold())
    return name


# ---------------------------------------------------------------------------------------------
# Writing


@dataclass(frozen=True)
class SheetToWrite:
    name: str
    header: SheetHeader
    checksum: str


@dataclass(frozen=True)
class WorkbookToWrite:
    ref: str
    month: str
    auditor: str
    sheets: tuple[SheetToWrite, ...]


def workbook_bytes(book: WorkbookToWrite, framework: Framework, themes: Sequence[Theme]) -> bytes:
    """The workbook as .xlsx bytes: a Guide, one form per sheet, the hidden ``qaudit`` sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
    from openpyxl.workbook.protection import WorkbookProtection
    from openpyxl.worksheet.datavalidation import DataValidation

    layout = layout_for(framework)
    guidance_of = {q.id: q.guidance for q in framework.questions if q.guidance}
    wb = Workbook()
    guide = wb.active
    assert guide is not None
    guide.title = GUIDE_SHEET
    _write_guide(guide, book, themes, Font, Alignment)

    bold = Font(bold=True)
    title_font = Font(bold=True, size=14)
    wrap = Alignment(wrap_text=True, vertical="top")
    area_fill = PatternFill("solid", fgColor="DDE4EE")
    input_fill = PatternFill("solid", fgColor="FFF8DC")
    thin = Side(style="thin", color="999999")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    unlocked = Protection(locked=False)

    for sheet in book.sheets:
        ws = wb.create_sheet(sheet.name)
        ws.column_dimensions["A"].width = 24
        ws.column_dimensions["B"].width = 62
        ws.column_dimensions["C"].width = 34
        ws.column_dimensions["D"].width = 14
        _put(ws, "A1", f"Case audit: {sheet.header.case_ref}").font = title_font
        _put(
            ws,
            "A2",
            "Answer from the drop-downs; leave the overall grade empty until the audit is done.",
        )
        texts = sheet.header.texts()
        for offset, (key, label) in enumerate(_HEADER_ROWS):
            row = _FIRST_HEADER_ROW + offset
            _put(ws, f"A{row}", label).font = bold
            _put(ws, f"B{row}", texts[key])
        heading = _QUESTIONS_HEADING_ROW
        for column, text in (("A", "Question id"), ("B", "Question"), ("C", "Answer")):
            _put(ws, f"{column}{heading}", text).font = bold
        for row, title in layout.area_rows:
            cell = _put(ws, f"B{row}", title)
            cell.font = bold
            for column in "ABC":
                ws[f"{column}{row}"].fill = area_fill
        for row, qid, text in layout.question_rows:
            _put(ws, f"A{row}", qid).alignment = wrap
            _put(ws, f"B{row}", text).alignment = wrap
            # Excel does not fit a row to wrapped text it did not type itself.
            ws.row_dimensions[row].height = _LINE_HEIGHT * max(
                -(-len(text) // _B_CHARS), -(-len(qid) // _A_CHARS)
            )
            answer = ws[f"C{row}"]
            answer.protection = unlocked
            answer.fill = input_fill
            answer.border = box
            # One validation per question, so the cell shows the question's guidance.
            answer_dv = _list_validation(DataValidation, ANSWER_CHOICES, "Answer")
            guidance = guidance_of.get(qid)
            if guidance:
                answer_dv.showInputMessage = True
                answer_dv.promptTitle = qid[:32]
                answer_dv.prompt = guidance if len(guidance) <= 255 else guidance[:254] + "…"
            answer_dv.add(answer)
            ws.add_data_validation(answer_dv)
        grade_dv = _list_validation(DataValidation, GRADE_CHOICES, "Overall grade")
        views_dv = _list_validation(DataValidation, YES_NO, "Views gathered")
        date_dv = DataValidation(
            type="date",
            operator="lessThanOrEqual",
            formula1="TODAY()",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Date audited",
            error="A date, DD/MM/YYYY, not in the future.",
        )
        for name in FIELDS:
            row = layout.field_rows[name]
            label, hint = _FIELD_LABELS[name]
            _put(ws, f"A{row}", label).font = bold
            _put(ws, f"B{row}", hint).alignment = wrap
            cell = ws[layout.fields[name]]
            cell.protection = unlocked
            cell.fill = input_fill
            cell.border = box
            cell.alignment = wrap
            if name == "grade":
                grade_dv.add(cell)
            elif name == "views_gathered":
                views_dv.add(cell)
            elif name == "audit_date":
                cell.number_format = "DD/MM/YYYY"
                date_dv.add(cell)
            elif name in ("strengths", "development", "family_feedback"):
                ws.row_dimensions[row].height = 75
        ws.add_data_validation(grade_dv)
        ws.add_data_validation(views_dv)
        ws.add_data_validation(date_dv)
        row = layout.actions_heading_row
        _put(ws, f"A{row}", "Actions").font = bold
        for column, text in (("B", "What"), ("C", "Owner (staff name)"), ("D", "Due")):
            _put(ws, f"{column}{row}", text).font = bold
        for number, cells in enumerate(layout.actions, start=1):
            _put(ws, f"A{row + number}", f"Action {number}")
            for coord in cells:
                cell = ws[coord]
                cell.protection = unlocked
                cell.fill = input_fill
                cell.border = box
                cell.alignment = wrap
            ws[cells[2]].number_format = "DD/MM/YYYY"
        ws.protection.sheet = True
        ws.page_setup.orientation = "portrait"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_area = f"A1:D{layout.actions[-1][0][1:]}"
        ws.print_options.horizontalCentered = True
        ws.oddFooter.center.text = "&A, page &P of &N"

    hidden = wb.create_sheet(HIDDEN_SHEET)
    rows: list[list[str]] = [
        ["qaudit audit workbook", ""],
        ["export", book.ref],
        ["month", book.month],
        ["auditor", book.auditor],
        ["format", FORMAT_VERSION],
        [],
        ["sheet", "case", "checksum"],
    ]
    rows.extend([s.name, s.header.case_ref, s.checksum] for s in book.sheets)
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            _put(hidden, f"{'ABC'[c - 1]}{r}", value)
    hidden.sheet_state = "veryHidden"
    hidden.protection.sheet = True
    # No sheet added, deleted, renamed or unhidden by a slip (no password: the store's
    # record of the export is the real check).
    wb.security = WorkbookProtection(lockStructure=True)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _write_guide(
    ws: Any, book: WorkbookToWrite, themes: Sequence[Theme], font: Any, align: Any
) -> None:
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 80
    lines = [
        (f"Case audits for {book.auditor}, {book.month}", ""),
        ("", ""),
        ("How to fill it in", ""),
        ("1.", "Each sheet is one case: the case ref, team, category and due date are at the top."),
        ("2.", "Answer each question from its drop-down (a grade, or n/a)."),
        ("3.", "Fill in strengths, areas for development, family feedback, views gathered,"),
        ("", "themes (a comma list from the list below) and the date audited."),
        ("4.", "Choose the overall grade last: a sheet without one is not yet done."),
        ("5.", "Actions: up to five, each with what, the owner (a staff member) and due date."),
        ("6.", "Save as Excel (.xlsx), keep the file name, and email it back."),
        ("", "Do not rename, add or delete sheets, or change the locked cells."),
        ("", ""),
        ("Answers", ", ".join(ANSWER_CHOICES)),
        ("", ""),
        ("Themes", "Label"),
        *((theme.id, theme.label) for theme in themes),
    ]
    for row, (a, b) in enumerate(lines, start=1):
        _put(ws, f"A{row}", a)
        _put(ws, f"B{row}", b).alignment = align(wrap_text=True)
    for coord in ("A1", "A3", "A13", "A15", "B15"):
        ws[coord].font = font(bold=True, size=14 if coord == "A1" else 11)
    ws.protection.sheet = True


def _put(ws: Any, coord: str, value: str) -> Any:
    """A text cell, never a formula, whatever the text begins with."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cell = ws[coord]
    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell.value = text or None
    if text:
        cell.data_type = "s"
    return cell


def _list_validation(kind: Any, choices: Sequence[str], title: str) -> Any:
    return kind(
        type="list",
        formula1='"' + ",".join(choices) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="stop",
        errorTitle=title,
        error="Choose from the list.",
    )


# ---------------------------------------------------------------------------------------------
# Reading a returned workbook


@dataclass(frozen=True)
class ReturnedWorkbook:
    """What a returned workbook holds: the hidden sheet's record, and every sheet's values."""

    file: str
    ref: str
    month: str
    auditor: str
    checksums: dict[str, str]  # sheet -> checksum, as the hidden sheet says
    sheets: dict[str, dict[str, Any]]  # sheet -> cell -> value (empty cells left out)


def read_workbook(
    path: Path, *, max_bytes: int, max_unpacked: int, shown: str | None = None
) -> ReturnedWorkbook:
    """Read a workbook's values (never its styles), refusing anything that is not an audit
    workbook qaudit exported: a CSV renamed .xlsx, a damaged file, a zip bomb."""
    file = shown or str(path)
    try:
        open_check(path, max_bytes=max_bytes)
        if detect_kind(path) != "xlsx":
            raise InputError(
                "not an Excel workbook (.xlsx): it is text, perhaps a CSV renamed; return the "
                "workbook as exported, saved as .xlsx",
                file=file,
            )
        check_unpacked_size(path, max_bytes=max_unpacked)
    except InputError as exc:
        if exc.file != file:
            raise WorkbookError(exc.problem, file=file) from None
        raise
    import openpyxl

    try:
        with path.open("rb") as handle, warnings.catch_warnings():
            # ("Data Validation extension is not supported": Excel's own extensions, unread.)
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(handle, read_only=False, data_only=True)
    except Exception as exc:  # openpyxl raises all sorts on files it cannot parse
        raise WorkbookError(
            f"not an Excel workbook (.xlsx) qaudit can read ({_why(exc)})", file=file
        ) from None
    try:
        names = list(wb.sheetnames)
        if HIDDEN_SHEET not in names:
            raise WorkbookError(
                f"not an audit workbook from qaudit forms export (it has no '{HIDDEN_SHEET}' "
                "sheet); return the workbook as exported",
                file=file,
            )
        sheets: dict[str, dict[str, Any]] = {}
        for name in names:
            ws = wb[name]
            values: dict[str, Any] = {}
            for row in ws.iter_rows():
                for cell in row:
                    value = cell.value
                    if value is None or (isinstance(value, str) and not value.strip()):
                        continue
                    values[cell.coordinate] = value
            sheets[name] = values
    finally:
        wb.close()
    hidden = sheets.pop(HIDDEN_SHEET)
    ref = _text(hidden.get("B2"))
    if _text(hidden.get("A2")) != "export" or not ref:
        raise WorkbookError(
            "the hidden sheet has no export reference (cell B2): return the workbook as exported",
            file=file,
            sheet=HIDDEN_SHEET,
            cell="B2",
        )
    checksums: dict[str, str] = {}
    row = 8
    while _text(hidden.get(f"A{row}")):
        checksums[_text(hidden.get(f"A{row}"))] = _text(hidden.get(f"C{row}"))
        row += 1
    sheets.pop(GUIDE_SHEET, None)
    return ReturnedWorkbook(
        file=file,
        ref=ref,
        month=_text(hidden.get("B3")),
        auditor=_text(hidden.get("B4")),
        checksums=checksums,
        sheets=sheets,
    )


def _why(exc: BaseException) -> str:
    if isinstance(exc, zipfile.BadZipFile | zlib.error | EOFError):
        return "damaged or cut short"
    if isinstance(exc, KeyError | SyntaxError):
        return "a part of the workbook is missing or damaged"
    return type(exc).__name__


def _text(value: Any) -> str:
    """A cell's value as the text it shows, for comparing locked cells: numbers without a
    trailing .0, dates as DD/MM/YYYY (LibreOffice may store a text that reads as a date as one)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())


# ---------------------------------------------------------------------------------------------
# A filled sheet


@dataclass(frozen=True)
class SheetRecord:
    """The export's record of one sheet (kept in ``form_exports.sheets``)."""

    sheet: str
    case_ref: str
    kind: str  # "sample" or "reaudit"
    item_id: int
    checksum: str
    locked: dict[str, str]
    answers: dict[str, str]  # question id -> cell
    fields: dict[str, str]  # field -> cell
    actions: tuple[tuple[str, str, str], ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "case_ref": self.case_ref,
            "kind": self.kind,
            "item_id": self.item_id,
            "checksum": self.checksum,
            "locked": self.locked,
            "answers": self.answers,
            "fields": self.fields,
            "actions": [list(row) for row in self.actions],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SheetRecord:
        return cls(
            sheet=str(data["sheet"]),
            case_ref=str(data["case_ref"]),
            kind=str(data["kind"]),
            item_id=int(data["item_id"]),
            checksum=str(data["checksum"]),
            locked={str(k): str(v) for k, v in data["locked"].items()},
            answers={str(k): str(v) for k, v in data["answers"].items()},
            fields={str(k): str(v) for k, v in data["fields"].items()},
            actions=tuple((str(a), str(b), str(c)) for a, b, c in data["actions"]),
        )


@dataclass(frozen=True)
class FilledSheet:
    """A sheet with an overall grade: the audit it records, and the cell of each part."""

    record: SheetRecord
    grade: Grade
    audit_date: date
    answers: dict[str, str] = field(default_factory=dict)
    themes: list[str] = field(default_factory=list)
    strengths: str | None = None
    development: str | None = None
    family_feedback: str | None = None
    views_gathered: bool | None = None
    actions: list[ActionInput] = field(default_factory=list)
    action_cells: list[str] = field(default_factory=list)  # each action's What cell


def check_locked(book: ReturnedWorkbook, record: SheetRecord) -> dict[str, Any]:
    """The sheet's values, once its locked cells are found as exported; refused naming the
    first cell that differs (or the sheet, if it is gone)."""
    values = book.sheets.get(record.sheet)
    if values is None:
        raise WorkbookError(
            f"the sheet for case {record.case_ref} is missing (deleted or renamed); return the "
            "workbook with every sheet as exported",
            file=book.file,
            sheet=record.sheet,
        )
    for cell, expected in sorted(record.locked.items(), key=lambda item: _cell_order(item[0])):
        found = _text(values.get(cell))
        if found != " ".join(expected.split()):
            raise WorkbookError(
                f"this locked cell was changed: it reads '{found}', exported as '{expected}'; "
                "put it back as exported",
                file=book.file,
                sheet=record.sheet,
                cell=cell,
            )
    given = book.checksums.get(record.sheet)
    if given != record.checksum:
        raise WorkbookError(
            "the hidden sheet's checksum of this sheet does not match the export; return the "
            "workbook as exported",
            file=book.file,
            sheet=record.sheet,
        )
    return values


def read_sheet(
    book: ReturnedWorkbook,
    record: SheetRecord,
    *,
    framework: Framework,
    themes: Sequence[Theme],
    today: date,
) -> FilledSheet | None:
    """The audit a sheet records, checked cell by cell; None when it has no overall grade yet
    (not yet done: its other cells are not checked)."""
    values = check_locked(book, record)

    def fail(cell: str, problem: str) -> WorkbookError:
        return WorkbookError(problem, file=book.file, sheet=record.sheet, cell=cell)

    fields = record.fields
    grade_cell = fields["grade"]
    grade_text = _text(values.get(grade_cell))
    if not grade_text:
        return None
    try:
        grade = parse_grade(grade_text)
    except ValueError:
        raise fail(grade_cell, _not_a_choice(grade_text, "a grade", GRADE_CHOICES)) from None

    date_cell = fields["audit_date"]
    audit_date = _date_value(values.get(date_cell), fail, date_cell, "the date audited")
    if audit_date is None:
        raise fail(date_cell, "the date audited is needed with the overall grade")
    if audit_date > today:
        raise fail(date_cell, f"the date audited, {audit_date:%d/%m/%Y}, is in the future")

    answers: dict[str, str] = {}
    for qid, cell in record.answers.items():
        text = _text(values.get(cell))
        if not text:
            continue
        try:
            slug = parse_answer(text)
        except ValueError:
            raise fail(cell, _not_a_choice(text, "an answer", ANSWER_CHOICES)) from None
        if framework.question(qid) is not None:
            answers[qid] = slug
        else:
            # The framework changed since the export: the answer cannot be stored against it.
            raise fail(cell, f"the question '{qid}' is no longer in the audit framework")

    def free_text(name: str) -> str | None:
        cell = fields[name]
        raw = values.get(cell)
        if raw is None:
            return None
        text = str(raw).strip() if not isinstance(raw, str) else raw.strip()
        try:
            check_text(text)
        except ValueError as exc:
            raise fail(cell, str(exc)) from None
        return text or None

    strengths = free_text("strengths")
    development = free_text("development")
    family_feedback = free_text("family_feedback")
    try:
        check_development(grade, development)
    except RuleBroken as exc:
        raise fail(fields["development"], str(exc)) from None

    views_cell = fields["views_gathered"]
    views_text = _text(values.get(views_cell)).casefold()
    views: bool | None
    if not views_text:
        views = None
    elif views_text in ("yes", "y", "true", "1"):
        views = True
    elif views_text in ("no", "n", "false", "0"):
        views = False
    else:
        raise fail(views_cell, _not_a_choice(views_text, "Yes or No", YES_NO))

    themes_cell = fields["themes"]
    chosen: list[str] = []
    for part in re.split(r"[,;\n]", _text(values.get(themes_cell)).replace("\n", ",")):
        if not part.strip():
            continue
        try:
            theme = parse_theme(part, themes)
        except ValueError:
            raise fail(themes_cell, _not_a_theme(part.strip(), themes)) from None
        if theme.id not in chosen:
            chosen.append(theme.id)

    actions: list[ActionInput] = []
    action_cells: list[str] = []
    for what_cell, owner_cell, due_cell in record.actions:
        what = _text(values.get(what_cell))
        owner = _text(values.get(owner_cell))
        due_raw = values.get(due_cell)
        if not (what or owner or _text(due_raw)):
            continue
        if not what:
            raise fail(what_cell, "this action has an owner or due date but no text")
        if not owner:
            raise fail(owner_cell, f"the action '{what}' needs an owner (a staff member's name)")
        due = _date_value(due_raw, fail, due_cell, "the action's due date")
        if due is None:
            raise fail(due_cell, f"the action '{what}' needs a due date")
        try:
            actions.append(new_action(what, owner, due))
        except ValueError as exc:
            raise fail(what_cell, str(exc)) from None
        action_cells.append(what_cell)
    return FilledSheet(
        record=record,
        grade=grade,
        audit_date=audit_date,
        answers=answers,
        themes=chosen,
        strengths=strengths,
        development=development,
        family_feedback=family_feedback,
        views_gathered=views,
        actions=actions,
        action_cells=action_cells,
    )


def _date_value(value: Any, fail: Any, cell: str, what: str) -> date | None:
    """A date cell as Excel or LibreOffice keeps it: a date, a day number, or text."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        low, high = _EXCEL_EPOCH_SERIALS
        if low <= value < high:
            from openpyxl.utils.datetime import from_excel

            converted = from_excel(value)
            if isinstance(converted, datetime):
                return converted.date()
        raise fail(cell, f"{what} '{_text(value)}' is not a date (DD/MM/YYYY)")
    text = _text(value)
    if not text:
        return None
    try:
        return date.fromisoformat(parse_file_date(text))
    except ValueError:
        raise fail(cell, f"{what} '{text}' is not a date (DD/MM/YYYY)") from None


def _not_a_choice(text: str, what: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(text.casefold(), [c.casefold() for c in choices], n=1)
    hint = ""
    if close:
        hint = f" (did you mean '{next(c for c in choices if c.casefold() == close[0])}'?)"
    return f"'{text}' is not {what}; choose from {', '.join(choices)}{hint}"


def _not_a_theme(text: str, themes: Sequence[Theme]) -> str:
    keys = {theme.id: theme.id for theme in themes} | {
        theme.label.casefold(): theme.id for theme in themes
    }
    close = difflib.get_close_matches(text.casefold(), list(keys), n=1)
    hint = f" (did you mean '{keys[close[0]]}'?)" if close else ""
    return f"'{text}' is not a theme{hint}; the themes are listed on the Guide sheet"

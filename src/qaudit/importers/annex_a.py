"""Read the cases in an Ofsted Annex A workbook: lists 6 to 9, one case per child.

Only the key, start and end dates, team, worker and date of birth are read (data minimisation).
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from qaudit.domain.cases import Involvement, merge_involvements
from qaudit.domain.dates import check_date_bounds
from qaudit.domain.text import NAME_LIMIT, REF_LIMIT, length_problem, nul_problem, ref_problem
from qaudit.errors import InputError
from qaudit.importers.rows import CaseFile, CaseRow, born_after, cap_warnings

LISTS: dict[int, tuple[str, str]] = {
    6: ("CIN", "children in need"),
    7: ("CP", "children on a child protection plan"),
    8: ("CLA", "children in care"),
    9: ("CL", "care leavers"),
}
"""Annex A list number → (case category, who that list holds)."""

KEY_HEADER = "Child Unique ID"

# field → (the header Ofsted's template uses, other wordings seen in authorities' files).
_HEADERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "ref": (KEY_HEADER, ()),
    "cin_start": ("CIN Start Date", ("CIN Episode Start Date",)),
    "cin_end": ("CIN Closure Date", ("CIN End Date", "CIN Close Date", "CIN Episode End Date")),
    "cp_start": ("Child Protection Plan Start Date", ("CP Plan Start Date", "CPP Start Date")),
    "cp_end": ("Child Protection Plan End Date", ("CP Plan End Date", "CPP End Date")),
    "cla_start": (
        "Date Started to be Looked After",
        ("Date Started to be Looked After (this period)", "Date Started Looked After"),
    ),
    "cla_end": (
        "Date Ceased to be Looked After",
        ("Date Ceased to be Looked After (this period)", "Date Ceased Looked After"),
    ),
    "team": ("Allocated Team", ("Team",)),
    "worker": ("Allocated Worker", ("Allocated Social Worker", "Social Worker")),
    "dob": ("Date of Birth", ("DOB", "Child's Date of Birth", "Child Date of Birth")),
}

# list → (required fields, optional fields); start before end where both are read.
_COLUMNS: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {
    6: (("ref", "cin_start", "cin_end"), ("team", "worker", "dob")),
    7: (("ref", "cp_start", "cp_end"), ("team", "worker", "dob")),
    8: (("ref", "cla_start", "cla_end"), ("team", "worker", "dob")),
    9: (("ref",), ("team", "worker", "dob")),
}
_DATES: dict[int, tuple[str, str] | None] = {
    6: ("cin_start", "cin_end"),
    7: ("cp_start", "cp_end"),
    8: ("cla_start", "cla_end"),
    9: None,
}

_HEADER_SEARCH_ROWS = 10
_LIST_TITLE = re.compile(r"^\s*list[\s_-]*(\d+)\b")
_SPACES = re.compile(r"[\s_]+")
_TRAILING_PUNCTUATION = re.compile(r"[\s:;.,*]+$")
# Blank, "not applicable", and the error values Excel shows when a formula (a lookup) fails.
_UNKNOWN = frozenset(
    {"", "n/a", "#n/a", "#ref!", "#value!", "#name?", "#div/0!", "#null!", "#num!"}
    | {"#spill!", "#calc!", "#field!", "#blocked!", "#connect!", "#busy!", "#getting_data"}
)
_UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DATE_FORMS = "a date cell, an Excel date number, dd/mm/yyyy or yyyy-mm-dd"
# Serials count from here in Excel's 1900 system: right from March 1900 on, since Excel also
# counts a 29 February 1900 that never was.
_EXCEL_EPOCH = date(1899, 12, 30)
_LAST_YEAR = 2200
_SHOWN_CHARS = 40


def normalise_header(text: str) -> str:
    """Header text to match on: lower case, single spaces, straight quotes, no trailing ':'."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    text = _SPACES.sub(" ", text).strip().lower()
    return _TRAILING_PUNCTUATION.sub("", text)


_HEADER_LOOKUP: dict[str, str] = {
    normalise_header(name): field
    for field, (main, others) in _HEADERS.items()
    for name in (main, *others)
}
_KEY = normalise_header(KEY_HEADER)


@dataclass(frozen=True, slots=True)
class _Column:
    index: int  # 0-based position in the row
    letter: str
    name: str  # the header as the file writes it, tidied


@dataclass(frozen=True, slots=True)
class _Row:
    """Where a data row is, to locate what is wrong in it."""

    file: str
    sheet: str
    line: int
    today: date

    def error(self, problem: str, column: _Column) -> InputError:
        return InputError(
            problem,
            file=self.file,
            sheet=self.sheet,
            line=self.line,
            column=column.letter,
            column_name=column.name,
        )


@dataclass(slots=True)
class _Child:
    involvements: list[Involvement]
    date_of_birth: date | None
    born_at: _Row | None = None  # where the date of birth was read


def read_annex_a(path: Path, *, today: date, batch_size: int = 5000) -> CaseFile:
    """Read lists 6–9 of an Annex A workbook into one case per child, open or closed on ``today``.

    Raises InputError, located by sheet, row and column, for anything it cannot read.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    import openpyxl  # here, not at the top: importing openpyxl costs start-up time

    file = str(path)
    try:
        # A file object, not the path: openpyxl judges a path by its extension, and qaudit
        # judges a file by its content (an export may be named .dat or have no extension).
        handle = path.open("rb")
    except FileNotFoundError:
        raise InputError("no such file", file=file) from None
    except IsADirectoryError:
        raise InputError("is a folder, not an Excel workbook", file=file) from None
    except PermissionError:
        raise InputError("not allowed to read this file", file=file) from None
    try:
        workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises all sorts on files it cannot parse
        handle.close()
        raise InputError(f"not a readable Excel workbook ({_why(exc)})", file=file) from None

    try:
        children, warnings = _read_lists(workbook, file, today)
    except InputError:
        raise
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        SyntaxError,
        OSError,
        ValueError,
        IndexError,
        KeyError,
        TypeError,
        AttributeError,
    ) as exc:
        # Read-only mode reads each sheet lazily: a damaged sheet shows only now, as whatever
        # openpyxl happens to raise.
        raise InputError(f"not a readable Excel workbook ({_why(exc)})", file=file) from None
    finally:
        workbook.close()
        handle.close()

    if not children:
        raise InputError(
            "no cases in lists 6–9: the workbook lists no child in need, on a child protection "
            "plan, in care or leaving care",
            file=file,
        )

    rows = [
        _case_row(line, ref, child, today)
        for line, (ref, child) in enumerate(children.items(), start=1)
    ]
    warnings.extend(_born_after_opening(rows, children))
    return CaseFile(kind="annex-a", batches=_batches(rows, batch_size), warnings=warnings)


def _why(exc: BaseException) -> str:
    if isinstance(exc, zipfile.BadZipFile | zlib.error | EOFError):
        return "not an .xlsx file, or damaged or cut short"
    if isinstance(exc, KeyError | SyntaxError):
        return "a part of the workbook is missing or damaged"
    return type(exc).__name__


def _batches(rows: list[CaseRow], size: int) -> Iterator[list[CaseRow]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _case_row(line: int, ref: str, child: _Child, today: date) -> CaseRow:
    case = merge_involvements(child.involvements, today)
    return CaseRow(
        line=line,
        case_ref=ref,
        team=case.team,
        worker=case.worker,
        category=case.category,
        open_date=_iso(case.open_date),
        close_date=_iso(case.close_date),
        date_of_birth=_iso(child.date_of_birth),
    )


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _born_after_opening(rows: list[CaseRow], children: dict[str, _Child]) -> list[str]:
    """A warning for each case whose child is born after the case opened (imported as is)."""
    found = []
    for row in rows:
        if row.date_of_birth and row.open_date and row.date_of_birth > row.open_date:
            at = children[row.case_ref].born_at
            where = f"{at.file}, sheet '{at.sheet}', row {at.line}" if at else row.case_ref
            found.append(f"{where}: {born_after(row.date_of_birth, row.open_date)}")
    return cap_warnings(found, "a date of birth after the open date")


def _read_lists(workbook: Any, file: str, today: date) -> tuple[dict[str, _Child], list[str]]:
    sheets: dict[int, Any] = {}
    for sheet in workbook.worksheets:
        match = _LIST_TITLE.match(sheet.title.lower())
        if not match or int(match.group(1)) not in LISTS:
            continue
        number = int(match.group(1))
        if number in sheets:
            raise InputError(
                f"two sheets for List {number}: '{sheets[number].title}' and '{sheet.title}'; "
                "keep one",
                file=file,
            )
        sheets[number] = sheet
    if not sheets:
        names = ", ".join(f"'{title}'" for title in workbook.sheetnames[:20])
        more = "…" if len(workbook.sheetnames) > 20 else ""
        raise InputError(
            f"no List 6, 7, 8 or 9 sheet (children in need, child protection, children in care, "
            f"care leavers); the workbook's sheets are {names or 'none'}{more}",
            file=file,
        )

    warnings: list[str] = []
    children: dict[str, _Child] = {}
    # List order, not sheet order, so the same lists give the same case numbering.
    for number in sorted(LISTS):
        category, holds = LISTS[number]
        sheet = sheets.get(number)
        if sheet is None:
            warnings.append(f"no List {number} sheet: no {holds} imported")
            continue
        # Some writers store a wrong size for a sheet; read-only mode would trust it and cut rows.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        if not _read_sheet(number, category, sheet.title, rows, children, file, today):
            warnings.append(f"sheet '{sheet.title}' lists no {holds}")
    return children, warnings


def _read_sheet(
    number: int,
    category: str,
    title: str,
    rows: Iterable[Sequence[object]],
    children: dict[str, _Child],
    file: str,
    today: date,
) -> int:
    """Add the sheet's involvements to ``children``; return how many rows it read."""
    iterator = iter(rows)
    header: Sequence[object] | None = None
    header_line = 0
    top: list[Sequence[object]] = []
    for line, row in enumerate(iterator, start=1):
        if any(isinstance(v, str) and normalise_header(v) == _KEY for v in row):
            header, header_line = row, line
            break
        top.append(row)
        if line == _HEADER_SEARCH_ROWS:
            break
    if header is None:
        if all(_is_blank(row) for row in top) and all(_is_blank(row) for row in iterator):
            return 0
        raise InputError(
            f"no header row: no '{KEY_HEADER}' cell in the first {_HEADER_SEARCH_ROWS} rows",
            file=file,
            sheet=title,
        )

    columns = _find_columns(number, title, header, header_line, file)
    key = columns["ref"]
    dates = _DATES[number]
    read = 0
    for line, row in enumerate(iterator, start=header_line + 1):
        if _is_blank(row):
            continue
        where = _Row(file, title, line, today)
        ref = _child_ref(_cell(row, key), key, where)
        if ref is None:
            raise where.error(f"this row has no {KEY_HEADER}", key)
        _check_text(ref, "case ref", REF_LIMIT, key, where)
        if (odd := ref_problem(ref, "case ref")) is not None:
            raise where.error(odd, key)
        start = end = None
        if dates is not None:
            start_col, end_col = columns[dates[0]], columns[dates[1]]
            start = _date(_cell(row, start_col), start_col, where)
            end = _date(_cell(row, end_col), end_col, where)
            if start is not None and end is not None and end < start:
                raise where.error(
                    f"{end_col.name} {end.isoformat()} is before "
                    f"{start_col.name} {start.isoformat()}",
                    end_col,
                )
        team = _text(_cell(row, columns.get("team")))
        worker = _text(_cell(row, columns.get("worker")))
        for text, what, field in ((team, "team", "team"), (worker, "worker's name", "worker")):
            if text is not None:
                _check_text(text, what, NAME_LIMIT, columns[field], where)
        dob_col = columns.get("dob")
        dob = _date(_cell(row, dob_col), dob_col, where) if dob_col else None

        child = children.get(ref)
        if child is None:
            child = children[ref] = _Child([], dob, where if dob else None)
        elif child.date_of_birth is None:
            child.date_of_birth = dob
            child.born_at = where if dob else None
        child.involvements.append(Involvement(category, start, end, team, worker))
        read += 1
    return read


def _find_columns(
    number: int, title: str, header: Sequence[object], header_line: int, file: str
) -> dict[str, _Column]:
    required, optional = _COLUMNS[number]
    wanted = set(required) | set(optional)
    found: dict[str, _Column] = {}
    for index, value in enumerate(header):
        if not isinstance(value, str):
            continue
        field = _HEADER_LOOKUP.get(normalise_header(value))
        # The leftmost of two columns for one field wins: it is the one a reader sees first.
        if field in wanted and field not in found:
            tidy = _SPACES.sub(" ", value).strip()
            found[field] = _Column(index, column_letter(index + 1), tidy)
    for field in required:
        if field not in found:
            main, others = _HEADERS[field]
            also = f" (or {', '.join(repr(o) for o in others)})" if others else ""
            raise InputError(
                f"the header row has no '{main}' column{also}",
                file=file,
                sheet=title,
                line=header_line,
            )
    return found


def column_letter(number: int) -> str:
    """Excel's letter(s) for a 1-based column number: 1 → A, 27 → AA."""
    letters = ""
    while number > 0:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _cell(row: Sequence[object], column: _Column | None) -> object:
    if column is None or column.index >= len(row):
        return None
    return row[column.index]


def _is_unknown(value: object) -> bool:
    if value is None:
        return True
    return isinstance(value, str) and value.strip().lower() in _UNKNOWN


def _is_blank(row: Sequence[object]) -> bool:
    return all(_is_unknown(value) for value in row)


def _text(value: object) -> str | None:
    if _is_unknown(value):
        return None
    # Names exported from case systems often carry non-breaking spaces: split() takes them too.
    return " ".join(str(value).split()) or None


def _shown(value: object) -> str:
    text = str(value).strip()
    if len(text) > _SHOWN_CHARS:
        text = text[:_SHOWN_CHARS] + "…"
    return f"'{text}'"


def _child_ref(value: object, column: _Column, where: _Row) -> str | None:
    if _is_unknown(value):
        return None
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores every number as a float: 12598894.0 is 12598894
    raise where.error(
        f"{_shown(value)} is not a {KEY_HEADER}: write the id as a whole number or as text",
        column,
    )


def _check_text(text: str, what: str, limit: int, column: _Column, where: _Row) -> None:
    """A cell's text holds no NUL byte and is at most ``limit`` characters."""
    problem = nul_problem(text) or length_problem(text, what, limit)
    if problem is not None:
        raise where.error(problem, column)


def _date(value: object, column: _Column, where: _Row) -> date | None:
    day = _any_date(value, column, where)
    if day is None:
        return None
    try:
        return check_date_bounds(day, where.today)
    except ValueError as exc:
        raise where.error(str(exc), column) from None


def _any_date(value: object, column: _Column, where: _Row) -> date | None:
    if _is_unknown(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    problem = "is not a date"
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 1_000_000:
            day = _EXCEL_EPOCH + timedelta(days=int(value))
            if day.year <= _LAST_YEAR:
                return day
        problem = "is not an Excel date number"
    elif isinstance(value, str):
        text = value.strip()
        uk, iso = _UK_DATE.match(text), _ISO_DATE.match(text)
        parts = (uk.group(3), uk.group(2), uk.group(1)) if uk else iso.groups() if iso else None
        if parts is not None:
            try:
                return date(int(parts[0]), int(parts[1]), int(parts[2]))
            except ValueError:
                problem = "is not a date that exists"
    raise where.error(
        f"{_shown(value)} {problem}: write {_DATE_FORMS} (day first, never month first)",
        column,
    )

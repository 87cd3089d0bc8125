"""What kind of file was given: checked from its bytes, never trusted from its name."""

from __future__ import annotations

import csv
import hashlib
import itertools
import re
import sys
from collections.abc import Collection, Sequence
from pathlib import Path

from qaudit.errors import InputError

_ZIP_MAGIC = b"PK\x03\x04"
_OLD_EXCEL_MAGIC = b"\xd0\xcf\x11\xe0"


def open_check(path: Path, *, max_bytes: int) -> int:
    """The file's size, after checking it exists, is a file, is not empty and not too large."""
    try:
        if not path.is_file():
            raise InputError("not found" if not path.exists() else "is not a file", file=str(path))
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read it ({exc.strerror})", file=str(path)) from None
    if size == 0:
        raise InputError("the file is empty", file=str(path))
    if size > max_bytes:
        raise InputError(
            f"the file is {size:,} bytes, over the policy's limit of {max_bytes:,} "
            "(imports.max_file_bytes)",
            file=str(path),
        )
    return size


def detect_kind(path: Path) -> str:
    """``"xlsx"`` for an Excel workbook, ``"csv"`` for text; anything else is refused."""
    with path.open("rb") as handle:
        head = handle.read(8192)
    if head.startswith(_ZIP_MAGIC):
        return "xlsx"
    if head.startswith(_OLD_EXCEL_MAGIC):
        raise InputError(
            "this is an old-style Excel file (.xls); save it as .xlsx or CSV (UTF-8)",
            file=str(path),
        )
    at = head.find(b"\x00")
    if at >= 0:
        _refuse_nul_in_head(path, head, at)
    return "csv"


def _refuse_nul_in_head(path: Path, head: bytes, at: int) -> None:
    """A NUL early in the file: a text file with a stray NUL is refused at its line and column,
    as one further in is; a binary file (UTF-16 text among them: a NUL every other byte) is
    refused as such."""
    before = head[:at]
    try:
        text = before.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = None
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
    if text is None or utf16 or head.count(b"\x00") * 20 > len(head):
        hint = " (UTF-16 text? save it as CSV UTF-8)" if utf16 else ""
        raise InputError(
            f"this is a binary file, not a CSV or an Excel workbook{hint}", file=str(path)
        )
    # Placed as the row reader places one: the physical line, and the field's column.
    line = text.count("\n") + 1
    column = 1
    if text and not text.endswith(("\n", "\r")):
        try:
            records = list(csv.reader(text.splitlines(keepends=True)))
        except csv.Error:
            records = []
        column = len(records[-1]) if records and records[-1] else 1
    raise InputError(NUL_IN_FIELD, file=str(path), line=line, column=column)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def first_bad_utf8(path: Path) -> tuple[int, int]:
    """The line and the 1-based field (counting commas) of the first byte that is not UTF-8.

    A text reader decodes in large chunks, so its error cannot say which line was bad.
    """
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return number, raw[: exc.start].count(b",") + 1
    return 1, 1


def header_key(cell: str) -> str:
    """A header cell as a field name, whatever its case and spacing: " Open Date" -> open_date."""
    return "_".join(cell.strip().lower().replace("-", " ").split())


def header_positions(
    header: list[str],
    *,
    required: Sequence[str],
    optional: Collection[str] = (),
    file: str,
    line: int,
) -> tuple[dict[str, int], list[str]]:
    """Where each known column is, and the columns qaudit does not use. A column named twice,
    or a required one missing, is refused with its place."""
    positions: dict[str, int] = {}
    unknown: list[str] = []
    for index, cell in enumerate(header):
        key = header_key(cell)
        if key in positions:
            raise InputError(
                f"the column '{cell.strip()}' appears twice", file=file, line=line, column=index + 1
            )
        if key in required or key in optional:
            positions[key] = index
        elif cell.strip():
            unknown.append(cell.strip())
    missing = [c for c in required if c not in positions]
    if missing:
        raise InputError(
            f"missing required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(the header must have {','.join(required)})",
            file=file,
            line=line,
        )
    return positions, unknown


NUL_IN_FIELD = "the field holds a NUL byte (\\x00), which qaudit does not store"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def contains_nul(path: Path) -> bool:
    """Whether the file holds a NUL byte anywhere (read in large chunks: fast)."""
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            if b"\x00" in chunk:
                return True
    return False


def nul_error(name: str, start: int, row: Sequence[str]) -> InputError | None:
    """The refusal of a record starting on line ``start`` with a NUL byte in a field, placed
    at the line and field (column) where the NUL is; None when the record has none."""
    for index, cell in enumerate(row):
        if "\x00" not in cell:
            continue
        before = "".join(row[:index]) + cell[: cell.index("\x00")]
        return InputError(
            NUL_IN_FIELD,
            file=name,
            line=start + len(_LINE_BREAK.findall(before)),
            column=index + 1,
        )
    return None


def csv_error(name: str, path: Path, start: int, exc: csv.Error) -> InputError:
    """A CSV reader's refusal of the record starting on line ``start``, with its place: for a
    field over the reader's size limit, that field's column."""
    limit = csv.field_size_limit()
    if "field larger than field limit" not in str(exc):
        return InputError(f"not a readable CSV ({exc})", file=name, line=start)
    return InputError(
        f"a field is longer than {limit:,} characters, the most a field may hold",
        file=name,
        line=start,
        column=_oversize_column(path, start, limit),
    )


def _oversize_column(path: Path, start: int, limit: int) -> int | None:
    """The 1-based field of the record starting on line ``start`` that is over ``limit``."""
    saved = csv.field_size_limit()
    try:
        csv.field_size_limit(sys.maxsize)
        with path.open("r", encoding="utf-8-sig", newline="", errors="replace") as handle:
            record = next(csv.reader(itertools.islice(handle, start - 1, None)), None)
    except (OSError, csv.Error):
        return None
    finally:
        csv.field_size_limit(saved)
    if record is None:
        return None
    return next((i + 1 for i, cell in enumerate(record) if len(cell) > limit), None)


def read_small_csv(path: Path) -> list[tuple[int, list[str]]]:
    """Every non-blank record of a small CSV with the line it ends on; a file that is not
    UTF-8, or not CSV, or holds a NUL byte, is refused with the place of the fault."""
    name = str(path)
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            while True:
                start = reader.line_num + 1
                row = next(reader, None)
                if row is None:
                    return records
                if not row or not any(cell.strip() for cell in row):
                    continue
                if (error := nul_error(name, start, row)) is not None:
                    raise error
                records.append((reader.line_num, row))
    except UnicodeDecodeError:
        line, column = first_bad_utf8(path)
        raise InputError(
            "the file is not UTF-8 text (save it as 'CSV UTF-8')",
            file=name,
            line=line,
            column=column,
        ) from None
    except csv.Error as exc:
        raise csv_error(name, path, start, exc) from None


def check_unpacked_size(path: Path, *, max_bytes: int) -> None:
    """Refuse a workbook whose parts would unpack to more than ``max_bytes`` (a zip bomb)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError):
        return  # not a readable zip: the workbook reader says so, with its own message
    if total > max_bytes:
        raise InputError(
            f"the workbook would unpack to {total:,} bytes, over the policy's limit of "
            f"{max_bytes:,} (imports.max_unpacked_bytes)",
            file=str(path),
        )

"""What kind of file was given: checked from its bytes, never trusted from its name."""

from __future__ import annotations

import hashlib
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
    if b"\x00" in head:
        raise InputError("this is a binary file, not a CSV or an Excel workbook", file=str(path))
    return "csv"


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

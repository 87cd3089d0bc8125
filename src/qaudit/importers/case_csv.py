"""The canonical case CSV: ``case_ref,team,worker,category,open_date,close_date[,date_of_birth]``.

Headers match whatever their case and spacing; columns qaudit does not know are ignored (and
named in a warning). Rows are validated as they stream, so a million rows need little memory.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from qaudit.domain.dates import EARLIEST, check_date_bounds
from qaudit.domain.dates import parse_file_date as _other_date
from qaudit.domain.text import NAME_LIMIT, REF_LIMIT, length_problem, ref_problem
from qaudit.errors import InputError
from qaudit.importers.files import (
    contains_nul,
    csv_error,
    first_bad_utf8,
    header_positions,
    nul_error,
)
from qaudit.importers.rows import CATEGORIES, CaseFile, RowTuple

REQUIRED = ("case_ref", "team", "worker", "category", "open_date", "close_date")
OPTIONAL = ("date_of_birth",)
_CATEGORY_SET = frozenset(CATEGORIES)
_DATE_FORMS = "YYYY-MM-DD or DD/MM/YYYY"


def read_case_csv(path: Path, *, batch_size: int = 20_000, today: date | None = None) -> CaseFile:
    """Check the header now; stream validated rows in batches when iterated.

    The returned CaseFile's ``batches`` raise InputError for the first bad row: a NUL byte
    anywhere, a ref over 64 characters, a team or worker over 200, a date before 1900-01-01
    or (given ``today``) more than five years after it.
    """
    name = str(path)
    handle = path.open("r", encoding="utf-8-sig", newline="")
    try:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
            while header is not None and not any(cell.strip() for cell in header):
                header = next(reader, None)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise _unreadable(name, reader.line_num or 1, exc) from None
        if header is None:
            raise InputError("the file has no header row and no cases", file=name)
        header_line = reader.line_num
        if (nul := nul_error(name, header_line, header)) is not None:
            raise nul
        positions, unknown = header_positions(
            header, required=REQUIRED, optional=OPTIONAL, file=name, line=header_line
        )
    except BaseException:
        handle.close()
        raise
    warnings = []
    if unknown:
        warnings.append(
            f"{name}: ignored column{'s' if len(unknown) > 1 else ''} qaudit does not use: "
            + ", ".join(unknown)
        )
    columns = {key: (index + 1, header[index].strip()) for key, index in positions.items()}
    batches = _batches(handle, reader, name, len(header), positions, batch_size, today, header_line)
    return CaseFile(kind="csv", batches=batches, warnings=warnings, columns=columns)


def _unreadable(name: str, line: int, exc: UnicodeDecodeError | csv.Error) -> InputError:
    """The refusal of a file the CSV reader stopped in, on the record starting on ``line``."""
    if isinstance(exc, UnicodeDecodeError):
        bad_line, column = first_bad_utf8(Path(name))
        return InputError(
            "the file is not UTF-8 text (save it as 'CSV UTF-8')",
            file=name,
            line=bad_line,
            column=column,
        )
    return csv_error(name, Path(name), line, exc)


class _Dates:
    """Dates as read, checked once each: a case list repeats a few thousand distinct days a
    million times, and a dictionary look-up is cheaper than parsing every one."""

    LIMIT = 200_000  # a hostile file of distinct dates must not grow this without bound

    def __init__(self, name: str, today: date | None) -> None:
        self.name = name
        self.today = today
        self.seen: dict[str, str | None] = {}

    def iso(self, raw: str, line: int, index: int, column: str) -> str | None:
        """The ISO form of a ``raw`` not seen before (blank: None); InputError if not a date."""
        stripped = raw.strip()
        iso: str | None
        if not stripped:
            iso = None
        else:
            try:
                iso = _other_date(stripped)
            except ValueError:
                raise InputError(
                    f"'{stripped}' is not a date ({_DATE_FORMS})",
                    file=self.name,
                    line=line,
                    column=index + 1,
                    column_name=column,
                ) from None
            try:
                day = date.fromisoformat(iso)
                if self.today is not None:
                    check_date_bounds(day, self.today, shown=stripped)
                elif day < EARLIEST:
                    raise ValueError(f"'{stripped}' is out of range: dates must be from {EARLIEST}")
            except ValueError as exc:
                raise InputError(
                    str(exc), file=self.name, line=line, column=index + 1, column_name=column
                ) from None
        if len(self.seen) >= self.LIMIT:
            self.seen.clear()
        self.seen[raw] = iso
        return iso


def _too_long(
    text: str, what: str, limit: int, name: str, line: int, index: int, column: str
) -> InputError:
    return InputError(
        str(length_problem(text, what, limit)),
        file=name,
        line=line,
        column=index + 1,
        column_name=column,
    )


_UNSEEN: Any = object()  # Any: it stands in a str | None slot until replaced


def _batches(
    handle: object,
    reader: Any,
    name: str,
    width: int,
    positions: dict[str, int],
    batch_size: int,
    today: date | None,
    line: int,
) -> Iterator[list[RowTuple]]:
    i_ref = positions["case_ref"]
    i_team = positions["team"]
    i_worker = positions["worker"]
    i_cat = positions["category"]
    i_open = positions["open_date"]
    i_close = positions["close_date"]
    i_dob = positions.get("date_of_birth")
    cats = _CATEGORY_SET
    dates = _Dates(name, today)
    seen_date = dates.seen.get  # the look-up inline: this loop runs a million times
    batch: list[RowTuple] = []
    try:
        # A NUL past the first 8 KiB (detect_kind's look) is found row by row; most files
        # have none, and one quick scan spares the loop from looking.
        has_nul = contains_nul(Path(name))
        while True:
            try:
                row = next(reader, None)
            except (UnicodeDecodeError, csv.Error) as exc:
                raise _unreadable(name, line + 1, exc) from None
            if row is None:
                break
            start = line + 1
            line = reader.line_num
            if has_nul and (nul := nul_error(name, start, row)) is not None:
                raise nul
            if len(row) != width:
                if not row or not any(cell.strip() for cell in row):
                    continue  # blank line
                raise InputError(
                    f"expected {width} fields as in the header, found {len(row)}",
                    file=name,
                    line=line,
                )
            ref = row[i_ref].strip()
            if not ref:
                raise InputError(
                    "the case ref is blank",
                    file=name,
                    line=line,
                    column=i_ref + 1,
                    column_name="case_ref",
                )
            if len(ref) > REF_LIMIT:
                raise _too_long(ref, "case ref", REF_LIMIT, name, line, i_ref, "case_ref")
            if not ref.isprintable():
                raise InputError(
                    str(ref_problem(ref, "case ref")),
                    file=name,
                    line=line,
                    column=i_ref + 1,
                    column_name="case_ref",
                )
            category = row[i_cat]
            if category not in cats:
                category = category.strip().upper()
                if category not in cats:
                    raise InputError(
                        f"'{row[i_cat].strip()}' is not a category; expected one of "
                        + ", ".join(CATEGORIES),
                        file=name,
                        line=line,
                        column=i_cat + 1,
                        column_name="category",
                    )
            opened = seen_date(row[i_open], _UNSEEN)
            if opened is _UNSEEN:
                opened = dates.iso(row[i_open], line, i_open, "open_date")
            closed = seen_date(row[i_close], _UNSEEN)
            if closed is _UNSEEN:
                closed = dates.iso(row[i_close], line, i_close, "close_date")
            if opened is not None and closed is not None and closed < opened:
                raise InputError(
                    f"the case closes ({closed}) before it opens ({opened})",
                    file=name,
                    line=line,
                    column=i_close + 1,
                    column_name="close_date",
                )
            dob = None
            if i_dob is not None:
                dob = seen_date(row[i_dob], _UNSEEN)
                if dob is _UNSEEN:
                    dob = dates.iso(row[i_dob], line, i_dob, "date_of_birth")
            team = row[i_team].strip() or None
            worker = row[i_worker].strip() or None
            if team is not None and len(team) > NAME_LIMIT:
                raise _too_long(team, "team", NAME_LIMIT, name, line, i_team, "team")
            if worker is not None and len(worker) > NAME_LIMIT:
                raise _too_long(worker, "worker's name", NAME_LIMIT, name, line, i_worker, "worker")
            # A plain tuple in CaseRow's order: a million NamedTuple calls cost a third of a second.
            batch.append((line, ref, team, worker, category, opened, closed, dob))
            if len(batch) >= batch_size:
                yield batch
                batch = []
        if batch:
            yield batch
    finally:
        handle.close()  # type: ignore[attr-defined]

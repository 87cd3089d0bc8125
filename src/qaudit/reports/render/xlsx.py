"""The report as an XLSX workbook: an "About" sheet, then a sheet a section."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from qaudit.display import neutralise
from qaudit.reports.model import Column, Kind, Report, Table
from qaudit.reports.render.common import (
    display,
    empty_list,
    has_interval,
    interval,
    is_number,
    plain,
)

SHEET_TITLE_MAX = 31
SHEET_FORBIDDEN = set("[]:*?/\\")
XLSX_WIDTH_MAX = 60


def _sheet_title(wanted: str, taken: set[str]) -> str:
    base = "".join(" " if ch in SHEET_FORBIDDEN else ch for ch in wanted).strip(" '") or "Sheet"
    base = base[:SHEET_TITLE_MAX]
    title, n = base, 2
    while title.lower() in taken:  # Excel compares sheet names ignoring case
        suffix = f" ({n})"
        title = base[: SHEET_TITLE_MAX - len(suffix)] + suffix
        n += 1
    taken.add(title.lower())
    return title


def _xlsx_text(text: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    # Control characters make openpyxl refuse the cell (and Excel the file).
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", text))


@dataclass
class _SheetWriter:
    """Writes rows down one worksheet, tracking each column's widest text."""

    sheet: Any
    row: int = 1
    widths: dict[int, int] = field(default_factory=dict)

    def put(self, col: int, value: Any, kind: Kind = "label", *, fit: bool = True) -> Any:
        cell = self.sheet.cell(row=self.row, column=col)
        value = plain(value)
        if value is None:
            return cell
        if isinstance(value, bool):
            value = "Yes" if value else "No"
        if isinstance(value, date):
            cell.value = value
            cell.number_format = "yyyy-mm-dd"
            shown = 10
        elif is_number(value):
            cell.value = value
            if kind == "pct":
                cell.number_format = "0.0"
            shown = len(display(value, kind))
        else:
            text = _xlsx_text(str(value))
            cell.value = text
            cell.data_type = "s"  # never a formula, whatever the text
            shown = max((len(part) for part in text.splitlines()), default=0)
        if fit:
            self.widths[col] = max(self.widths.get(col, 0), shown)
        return cell

    def fit_columns(self) -> None:
        from openpyxl.utils import get_column_letter

        for col, width in self.widths.items():
            letter = get_column_letter(col)
            self.sheet.column_dimensions[letter].width = min(max(width + 2, 8), XLSX_WIDTH_MAX)


def to_xlsx(report: Report) -> bytes:
    """The report as a workbook: an "About" sheet, then one sheet a section, tables down it."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    bold = Font(bold=True)
    header_fill = PatternFill(fill_type="solid", start_color="FFD9E1F2", end_color="FFD9E1F2")
    wb = Workbook()
    taken: set[str] = set()

    about = _SheetWriter(wb.active)
    about.sheet.title = _sheet_title("About", taken)
    about.put(1, report.title, fit=False).font = Font(bold=True, size=14)
    about.row += 2
    facts: list[tuple[str, Any]] = [
        ("Period", report.period_label),
        ("Start", report.start),
        ("End", report.end),
        ("Team", report.team),
        ("Generated", report.generated_on),
        ("Published", "yes" if report.published else "no (internal)"),
        ("Change log head", report.log_head),
    ]
    for label, value in facts:
        about.put(1, label).font = bold
        about.put(2, value)
        about.row += 1
    if report.notes:
        about.row += 1
        about.put(1, "Notes").font = bold
        about.row += 1
        for note in report.notes:
            about.put(1, note, fit=False)
            about.row += 1
    about.fit_columns()

    for section in report.sections:
        out = _SheetWriter(wb.create_sheet(_sheet_title(section.title or section.name, taken)))
        out.put(1, section.title, fit=False).font = Font(bold=True, size=13)
        out.row += 2
        for table in section.tables:
            _xlsx_table(out, table, bold, header_fill)
        for name, items in section.lists.items():
            out.put(1, name, fit=False).font = bold
            out.row += 1
            for item in items:
                out.put(1, item).alignment = Alignment(wrap_text=True, vertical="top")
                out.row += 1
            if not items:
                out.put(1, empty_list(report), fit=False).font = Font(italic=True)
                out.row += 1
            out.row += 1
        out.fit_columns()

    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _xlsx_table(out: _SheetWriter, table: Table, bold: Any, fill: Any) -> None:
    out.put(1, table.title, fit=False).font = bold
    out.row += 1
    # Each column with an interval in any row is followed by its "low" and "high" columns.
    layout: list[tuple[str, Column, int | None]] = []
    for column in table.columns:
        layout.append((column.title, column, None))
        if has_interval(table, column):
            layout.append((f"{column.title} low", column, 0))
            layout.append((f"{column.title} high", column, 1))
    for col, (title, _, _) in enumerate(layout, start=1):
        cell = out.put(col, title)
        cell.font = bold
        cell.fill = fill
    out.row += 1
    for row in table.rows:
        for col, (_, column, end) in enumerate(layout, start=1):
            if end is None:
                out.put(col, row.get(column.key), column.kind)
            else:
                pair = interval(row, column)
                out.put(col, None if pair is None else pair[end], column.kind)
        out.row += 1
    for line in table.definitions:
        out.put(1, line, fit=False)
        out.row += 1
    if table.note:  # the small-number mark is the HTML's and Markdown's: cells stay numbers
        out.put(1, table.note, fit=False)
        out.row += 1
    out.row += 1

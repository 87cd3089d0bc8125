"""The report as one long-form CSV: a line a cell."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from qaudit.display import neutralise
from qaudit.reports.model import Report
from qaudit.reports.render.common import interval, plain

CSV_HEADER = ("section", "table", "row", "column", "value")


def _csv_value(value: Any) -> Any:
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):  # for people, as in the HTML and XLSX: not Python's True
        return "Yes" if value else "No"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return neutralise(value)
    return value  # numbers stay numbers, negative ones included


def to_csv(report: Report) -> str:
    """One long-form CSV: ``section,table,row,column,value``, one line a cell.

    ``row`` counts from 1 within its table. A section's free-text lists come as
    table = the list's name, column = ``item``; the report's notes as section ``report``,
    table ``notes``. Every text field that starts like a formula gets a leading quote.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)

    def write(section: str, table: str, row: int, column: str, value: Any) -> None:
        writer.writerow(
            [neutralise(section), neutralise(table), row, neutralise(column), _csv_value(value)]
        )

    for number, note in enumerate(report.notes, start=1):
        write("report", "notes", number, "note", note)
    for section in report.sections:
        for table in section.tables:
            for number, row in enumerate(table.rows, start=1):
                for column in table.columns:
                    write(section.name, table.name, number, column.key, row.get(column.key))
                    pair = interval(row, column)
                    if pair is not None:  # two more columns, only where there is an interval
                        write(section.name, table.name, number, f"{column.key}_low", pair[0])
                        write(section.name, table.name, number, f"{column.key}_high", pair[1])
        for name, items in section.lists.items():
            for number, item in enumerate(items, start=1):
                write(section.name, name, number, "item", item)
    return out.getvalue()

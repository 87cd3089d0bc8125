"""Rendering results: a Rich table for people, JSON or CSV for scripts (streamed to stdout)."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from qaudit.cli.state import Format, out_console, say
from qaudit.display import neutralise, visible

TABLE_BLOCK = 1_000  # rows laid out and printed at a time in a table


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def to_json(value: Any) -> str:
    return json.dumps(value, default=_json_default, ensure_ascii=False)


def _cell(value: Any) -> str:
    """A value as text for a CSV: Yes/No for people, dates and times as ISO 8601."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return to_json(value)
    return str(value)


def local_time(moment: datetime) -> str:
    """A moment (stored in UTC) as the clock read in England: ``2026-12-01 09:00``."""
    from qaudit.domain.dates import LONDON

    if moment.tzinfo is None:  # stored UTC, read back without its zone
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LONDON).strftime("%Y-%m-%d %H:%M")


def _table_cell(value: Any) -> str:
    """A value as text for a table: as in a CSV, but times in Europe/London."""
    if isinstance(value, datetime):
        return local_time(value)
    return _cell(value)


def _csv_cell(value: Any) -> str:
    # Text a spreadsheet would run as a formula gets a leading quote, as in report CSVs;
    # numbers (negative ones too) and dates are never text, so they stay as they are.
    return neutralise(value) if isinstance(value, str) else _cell(value)


def emit_rows(
    rows: Iterable[Mapping[str, Any]],
    *,
    fmt: Format,
    columns: Sequence[tuple[str, str]],
    title: str | None = None,
    header: bool = True,
) -> int:
    """Write every row in the chosen format; returns how many. ``columns``: (key, heading).
    ``header=False`` leaves out a CSV's header line (rows to append to a file)."""
    out = sys.stdout
    count = 0
    if fmt is Format.json:
        out.write("[")
        for row in rows:
            out.write(("\n" if count == 0 else ",\n") + to_json(dict(row)))
            count += 1
        out.write("\n]\n" if count else "]\n")
        return count
    if fmt is Format.csv:
        writer = csv.writer(out, lineterminator="\n")
        # With "\n" line ends the csv module does not quote a field holding a lone carriage
        # return, and a spreadsheet would split the row there: such rows are quoted whole.
        quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
        if header:
            writer.writerow([key for key, _ in columns])
        for row in rows:
            cells = [_csv_cell(row.get(key)) for key, _ in columns]
            (quoted if any("\r" in cell for cell in cells) else writer).writerow(cells)
            count += 1
        return count
    from rich.table import Table
    from rich.text import Text

    console = out_console()

    def new_table(first: bool) -> Table:
        # Every value as plain text (no markup), control characters shown as escapes.
        table = Table(
            title=Text(visible(title)) if title is not None and first else None,
            title_justify="left",
            show_lines=False,
        )
        for _, heading in columns:
            # Fold long values onto more lines rather than cut them with an ellipsis.
            table.add_column(Text(visible(heading)), overflow="fold")
        return table

    # A table is laid out whole before it is printed, so a long list is printed a block of
    # TABLE_BLOCK rows at a time: memory stays flat, whatever --all asks for.
    table = new_table(first=True)
    for row in rows:
        table.add_row(*(Text(visible(_table_cell(row.get(key)))) for key, _ in columns))
        count += 1
        if count % TABLE_BLOCK == 0:
            console.print(table)
            table = new_table(first=False)
    if count == 0 or count % TABLE_BLOCK:
        console.print(table)
    return count


def emit_object(value: Mapping[str, Any]) -> None:
    sys.stdout.write(to_json(dict(value)) + "\n")


def emit_record(
    record: Mapping[str, Any], *, fmt: Format, columns: Sequence[tuple[str, str]], message: str
) -> None:
    """One record a command wrote: as JSON or a CSV row on stdout for a script, and always
    ``message`` for people on stderr (the table format shows the message alone)."""
    if fmt is Format.json:
        emit_object(record)
    elif fmt is Format.csv:
        emit_rows([record], fmt=fmt, columns=columns)
    say(message)

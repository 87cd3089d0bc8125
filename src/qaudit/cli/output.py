"""Rendering results: a table for people (qaudit.cli.table), JSON or CSV for scripts (streamed to
stdout)."""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Collection, Iterable, Mapping, Sequence
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
    keep: Collection[str] | None = None,
) -> int:
    """Write every row in the chosen format; returns how many. ``columns``: (key, heading).
    ``header=False`` leaves out a CSV's header line (rows to append to a file). ``keep``: the
    keys of the columns a table shows whatever the terminal's width; the others are left out
    when they do not fit, unless --wide."""
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
    from qaudit.cli import table as drawn

    console = out_console()
    styled = console.is_terminal and console.color_system is not None and not console.no_color
    box = drawn.HEAVY_HEAD if console.encoding.startswith("utf") else drawn.ASCII
    headings = [visible(heading) for _, heading in columns]
    shown_columns: list[int] | None = None  # chosen from the first block, kept for the rest

    def print_block(block: list[list[tuple[str, bool]]], first: bool) -> None:
        nonlocal shown_columns
        n = len(columns)
        cells = [[row[i][0] for row in block] for i in range(n)]
        atomic = [all(row[i][1] for row in block) for i in range(n)]
        widths = [_width(headings[i], cells[i], atomic[i]) for i in range(n)]
        natural = [max(widths[i], drawn.text_width(headings[i])) for i in range(n)]
        need = [w if atomic[i] else min(w, FREE_TEXT_MIN) for i, w in enumerate(widths)]
        folds = [drawn.Fold.NEVER if atomic[i] else drawn.Fold.WORDS for i in range(n)]
        mattering = [i for i, (key, _) in enumerate(columns) if keep is None or key in keep]
        words = sorted(
            (i for i in mattering if atomic[i] and not _has_digit("\n".join(cells[i]))),
            key=lambda i: -widths[i],
        )
        for i in words:
            # Too narrow even for the columns that matter: a column of words (a grade, a
            # status) may fold too, the widest first, but only at a space or after a hyphen
            # ("requires-" / "improvement"); refs, dates and numbers never split.
            if is_wide() or _table_width([need[j] for j in mattering]) <= console.width:
                break
            folds[i] = drawn.Fold.HYPHENS
            need[i] = max(
                drawn.longest_piece(text, drawn.Fold.HYPHENS) for text in [headings[i], *cells[i]]
            )
        if shown_columns is None:
            shown_columns = _fit(columns, need, console.width, keep=keep, wide=is_wide())
            left_out = [headings[i] for i in range(n) if i not in shown_columns]
            if left_out:
                say(
                    f"Left out to fit {console.width} columns: {', '.join(left_out)}; "
                    "--wide shows every column."
                )
        shown = shown_columns
        if is_wide():  # every column at its full width: the terminal wraps long lines
            laid, folds_shown = [natural[i] for i in shown], [folds[i] for i in shown]
        else:
            laid, folds_shown = drawn.fit(
                [natural[i] for i in shown],
                [need[i] for i in shown],
                [folds[i] for i in shown],
                console.width,
                [[headings[i], *cells[i]] for i in shown],
            )
        text = drawn.render(
            [headings[i] for i in shown],
            [[row[i][0] for i in shown] for row in block],
            laid,
            folds_shown,
            title=visible(title) if title is not None and first else None,
            box=box,
            styled=styled,
        )
        out = console.file  # where Rich would write: stdout, made never to fail to encode
        out.write(text)
        out.flush()

    # A table is laid out whole before it is printed, so a long list is printed a block of
    # TABLE_BLOCK rows at a time: memory stays flat, whatever --all asks for.
    block: list[list[tuple[str, bool]]] = []
    printed = False
    for row in rows:
        block.append([_shown(row.get(key)) for key, _ in columns])
        count += 1
        if len(block) == TABLE_BLOCK:
            print_block(block, first=not printed)
            printed, block = True, []
    if block or not printed:
        print_block(block, first=not printed)
    return count


FREE_TEXT_MIN = 10  # the narrowest a column of free text is folded to


def _shown(value: Any) -> tuple[str, bool]:
    """A table cell's text (plain, control characters escaped), and whether it is atomic: a
    number, a date, a time, Yes/No or a short word such as a ref, never split across lines."""
    text = visible(_table_cell(value))
    if value is None or isinstance(value, int | float | date | datetime):
        return text, True
    return text, len(text) <= ATOMIC_MAX and _SPACE.search(text) is None


ATOMIC_MAX = 24
_SPACE = re.compile(r"\s")
_DIGIT = re.compile(r"\d")


def _has_digit(text: str) -> bool:
    return _DIGIT.search(text) is not None


def _width(heading: str, cells: Sequence[str], atomic: bool) -> int:
    """The width a column needs: its longest cell, and its heading whole when the column
    never wraps, else the heading's longest word."""
    from qaudit.cli.table import text_width

    head = text_width(heading) if atomic else max(map(text_width, heading.split() or [""]))
    return max([head, *(text_width(cell) for cell in cells)])


def _table_width(widths: Sequence[int]) -> int:
    """A table's width: each column padded by a space either side, with rules between."""
    from qaudit.cli.table import table_width

    return table_width(widths)


def _fit(
    columns: Sequence[tuple[str, str]],
    need: Sequence[int],
    width: int,
    *,
    keep: Collection[str] | None,
    wide: bool,
) -> list[int]:
    """The columns to show: all of them with --wide or when they fit; otherwise those that
    matter (``keep``) and, of the rest, as many as fit, in order."""
    every = list(range(len(columns)))
    if wide or keep is None or _table_width(need) <= width:
        return every
    shown = [i for i in every if columns[i][0] in keep]
    for i in every:
        if i not in shown and _table_width([need[j] for j in [*shown, i]]) <= width:
            shown = sorted([*shown, i])
    return shown


def is_wide() -> bool:
    """Whether the running command was given --wide."""
    from qaudit.cli.params import _current_context
    from qaudit.cli.state import State

    current = _current_context()
    found = current.find_object(State) if current is not None else None
    return isinstance(found, State) and found.wide


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

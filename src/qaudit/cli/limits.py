"""How many rows a list command shows: a table for people shows the first 1,000 (laying out a
table costs time and memory for every row), CSV and JSON stream every row; ``--limit N`` and
``--all`` say otherwise. When rows are left out, a line on stderr says how many and how to get
them."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from itertools import islice
from typing import Annotated, Any

import typer

from qaudit.cli.output import emit_rows
from qaudit.cli.params import state_flag
from qaudit.cli.state import Format, say

TABLE_ROWS = 1_000  # what a table shows unless --limit or --all
MAX_ROWS = 10**9  # the largest --limit: more rows than any store holds

LimitOption = Annotated[
    int | None,
    typer.Option(
        "--limit",
        min=1,
        max=MAX_ROWS,
        help=f"At most N rows (a table shows the first {TABLE_ROWS:,} unless --all).",
        show_default=False,
    ),
]
AllOption = Annotated[
    bool,
    typer.Option(
        "--all",
        help="Every row, even in a table (slow for many thousands: --format csv streams them).",
    ),
]


WideOption = Annotated[
    bool,
    typer.Option(
        "--wide",
        help="A table shows every column, however wide (else those that matter, and the "
        "others as the terminal has room).",
        callback=state_flag("wide"),
    ),
]


def row_limit(fmt: Format, limit: int | None, every: bool) -> int | None:
    """The most rows to show, or None for all of them."""
    if every and limit is not None:
        raise typer.BadParameter("give --limit N or --all, not both", param_hint="'--all'")
    if every:
        return None
    if limit is not None:
        return limit
    return TABLE_ROWS if fmt is Format.table else None


def emit_limited(
    rows: Iterable[Mapping[str, Any]],
    *,
    fmt: Format,
    columns: Sequence[tuple[str, str]],
    limit: int | None,
    total: Callable[[], int],
    noun: str,
    title: str | None = None,
    keep: Collection[str] | None = None,
) -> tuple[int, int]:
    """Emit at most ``limit`` rows; when that many were shown, ask ``total`` how many there
    are and say on stderr how to get the rest. (rows shown, rows left out)."""
    shown = emit_rows(
        rows if limit is None else islice(rows, limit),
        fmt=fmt,
        columns=columns,
        title=title,
        keep=keep,
    )
    close = getattr(rows, "close", None)
    if close is not None:
        close()  # end a streamed read before asking for the total
    if limit is None or shown < limit:
        return shown, 0
    every = total()
    hidden = max(every - shown, 0)
    if hidden:
        say(
            f"Showed the first {shown:,} of {every:,} {noun}; {hidden:,} more not shown. "
            "For every one: --format csv (or json), or --all; or --limit N for more."
        )
    return shown, hidden

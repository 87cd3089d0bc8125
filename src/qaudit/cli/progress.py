"""A Rich progress display for long imports: rows so far and rows per second, on stderr."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from qaudit.cli.state import err_console, interactive, quiet
from qaudit.display import visible


@contextmanager
def row_progress(description: str) -> Iterator[Callable[[int], None] | None]:
    """Yields a callback taking the rows done so far, or None when no one is watching."""
    if not interactive() or quiet():
        yield None
        return
    from rich.progress import Progress, ProgressColumn, SpinnerColumn, Task, TextColumn
    from rich.text import Text

    class RowsPerSecond(ProgressColumn):
        def render(self, task: Task) -> Any:
            speed = task.finished_speed or task.speed
            return Text("" if speed is None else f"{speed:,.0f} rows/s")

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}", markup=False),  # it names a file: shown as written
        TextColumn("{task.completed:,} rows"),
        RowsPerSecond(),
        console=err_console(),
        transient=True,
    ) as progress:
        task = progress.add_task(visible(description), total=None)
        yield lambda rows: progress.update(task, completed=rows)

"""A fault in qaudit itself: one ``Error: internal fault (…)`` line, the details in a private file.

A traceback may quote a child's details (an exception's message, a database driver's error), so
it never reaches the terminal or a cron mail unless asked for with ``--debug``: it goes to a file
only its owner can read, beside the store. Tracebacks never hold local variables, and SQL
parameters are hidden.
"""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from qaudit.display import one_line

DEBUG_ENV = "QAUDIT_DEBUG"
_TRUE = {"1", "true", "yes", "on", "y", "t"}


def debug_from_environment() -> bool:
    return os.environ.get(DEBUG_ENV, "").strip().lower() in _TRUE


def where(exc: BaseException) -> str:
    """``module:function`` of the innermost frame of qaudit's own code the fault passed through
    (else the innermost frame): where to start looking, without quoting any value."""
    innermost: str | None = None
    ours: str | None = None
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        module = str(tb.tb_frame.f_globals.get("__name__", "?"))
        place = f"{module}:{tb.tb_frame.f_code.co_name}"
        innermost = place
        if module == "qaudit" or module.startswith("qaudit."):
            ours = place
        tb = tb.tb_next
    return ours or innermost or "an unknown place"


def _hide_sql_parameters(exc: BaseException) -> None:
    """SQLAlchemy quotes a failed statement's parameters (a name, a comment) in its message
    unless told not to: tell every such error in the chain, whichever engine raised it."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        if hasattr(item, "hide_parameters") and hasattr(item, "params"):
            item.hide_parameters = True
        todo += [item.__cause__, item.__context__]


def _candidates(store_path: Path | None) -> list[Path]:
    folders: list[Path] = []
    if store_path is not None:
        folders.append(store_path.parent)
    folders += [Path.cwd(), Path(tempfile.gettempdir())]
    return folders


def _write_private(folders: list[Path], stem: str, text: str) -> Path | None:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for folder in folders:
        for number in range(1, 100):
            suffix = "" if number == 1 else f"-{number}"
            path = folder / f"{stem}.fault-{stamp}{suffix}.txt"
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            except FileExistsError:
                continue
            except OSError:
                break  # this folder will not do: try the next
            try:
                with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as out:
                    out.write(text)
            except OSError:
                path.unlink(missing_ok=True)
                break
            return path
    return None


def report_fault(exc: BaseException, *, store_path: Path | None, debug: bool) -> None:
    """Say on stderr that qaudit failed, naming the exception's type and place, never a value;
    the traceback goes to stderr with ``debug``, else to a 0600 file whose path is named."""
    from qaudit import __version__

    _hide_sql_parameters(exc)
    summary = f"internal fault ({type(exc).__name__} in {where(exc)})"
    shown = "".join(traceback.format_exception(exc))  # Python's own: no local variables
    if debug:
        sys.stderr.write(shown)
        sys.stderr.write(f"Error: {summary}\n")
        return
    now = datetime.now(UTC).isoformat(timespec="seconds")
    body = (
        f"qaudit {__version__}: {summary}\n"
        f"at {now}; Python {sys.version.split()[0]} on {sys.platform}\n\n{shown}"
    )
    stem = store_path.name if store_path is not None else "qaudit"
    path = _write_private(_candidates(store_path), stem, body)
    if path is None:
        sys.stderr.write(
            f"Error: {summary}; no report could be written: run again with --debug to see it\n"
        )
    else:
        shown_path = one_line(str(path.absolute()))
        sys.stderr.write(f"Error: {summary}; a full report is in {shown_path}\n")

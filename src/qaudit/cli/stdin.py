"""``-`` for standard input in the imports: ``qaudit cases import - < cases.csv``.

The importers read a file they can seek in (and look at twice: its kind, then its rows), so
standard input is copied first to a private temporary file (0600, in a 0700 folder of the
system's temporary folder), removed afterwards whatever happens. Messages name it ``<stdin>``,
with the line and column as for any file."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from qaudit.errors import QauditError, RuleError

STDIN = "<stdin>"
_CHUNK = 1 << 20
_PREFIX = "qaudit-stdin-"


def is_stdin(given: Path | str) -> bool:
    return str(given) == "-"


def stdin_is_terminal() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


@contextmanager
def input_file(given: Path, *, max_bytes: int) -> Iterator[Path]:
    """``given`` itself, or for ``-`` a temporary copy of standard input named ``<stdin>``.
    At most ``max_bytes`` + 1 bytes are copied: the importer's own size check then refuses
    the file as too large, and a runaway pipe cannot fill the disk."""
    if not is_stdin(given):
        yield given
        return
    source = sys.stdin
    if source is None or stdin_is_terminal():
        raise RuleError(
            "'-' reads the file from standard input, and that is a terminal: "
            "give the file there (qaudit … import - < FILE) or its path"
        )
    folder = Path(tempfile.mkdtemp(prefix=_PREFIX))  # 0700, only its owner may enter
    path = folder / STDIN
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(handle, "wb") as out:
            stream = getattr(source, "buffer", None)
            left = max_bytes + 1
            while left > 0:
                chunk = (
                    stream.read(min(_CHUNK, left))
                    if stream is not None
                    else source.read(min(_CHUNK, left)).encode("utf-8")
                )
                if not chunk:
                    break
                out.write(chunk)
                left -= len(chunk)
        try:
            yield path
        except QauditError as exc:
            _name_stdin(exc, path)
            raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def as_given(text: str, path: Path) -> str:
    """``text`` (a message, a warning) naming ``<stdin>`` where it named the temporary copy of
    standard input; any other text as it is."""
    if path.name != STDIN or not path.parent.name.startswith(_PREFIX):
        return text
    for shown in (str(path), os.fspath(path.resolve())):
        text = text.replace(shown, STDIN)
    return text


def _name_stdin(exc: QauditError, path: Path) -> None:
    """The refusal names ``<stdin>`` where it named the temporary copy."""
    exc.message = as_given(exc.message, path)
    if hasattr(exc, "file") and str(getattr(exc, "file", "")) in (str(path), path.name):
        exc.file = STDIN
    exc.args = (exc.message,)


def shown_name(file: str, given: Path) -> str:
    """How a summary names the file it read: ``<stdin>`` for ``-``."""
    return STDIN if is_stdin(given) else file

"""The global options, and what they give every command: the store, the context, the consoles."""

from __future__ import annotations

import getpass
import os
import sys
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from qaudit.display import visible
from qaudit.domain.dates import LONDON

if TYPE_CHECKING:
    from rich.console import Console

    from qaudit.services.context import Context
    from qaudit.store.engine import Store
    from qaudit.store.lite import Rows, WriteTx


def _flags_show_no_type() -> None:
    """Typer 0.29's rich help prints a flag's type, ``<bool>``, beside every flag (``--help
    <bool>``, ``--force <bool>``) although a flag takes no value; its plain help leaves it out.
    A flag's type in the rich help is left out here too, so help shows flags as they are typed."""
    from typer.core import TyperOption

    shown = TyperOption.display_type_rich

    def display_type_rich(self: TyperOption, ctx: Any) -> str | None:
        return None if self.is_flag else shown(self, ctx)

    setattr(TyperOption, "display_type_rich", display_type_rich)  # noqa: B010


_flags_show_no_type()


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


USER_MAX = 100
USER_RULE = (
    "letters, digits, spaces and . - _ ' @ only, at most 100 characters "
    "(a staff member's name or a login name)"
)
_USER_PUNCTUATION = frozenset(" .-_'@\u2019")  # and the typographic apostrophe (O\u2019Brien)


def valid_user(value: str) -> str | None:
    """``value`` as the change log records who acted: trimmed, spaces collapsed; or None when
    it is not a plain name or identifier (a newline, a control character, markup, too long)."""
    name = " ".join(part for part in value.split(" ") if part)
    if not 1 <= len(name) <= USER_MAX:
        return None
    for char in name:
        if char in _USER_PUNCTUATION or char.isalnum():
            continue
        if unicodedata.category(char).startswith("M"):  # a combining accent
            continue
        return None
    return name


def default_user() -> str:
    """The OS login name, when it is a plain identifier (``unknown`` otherwise)."""
    try:
        found = valid_user(getpass.getuser())  # LOGNAME, USER… first, then the password file
    except (KeyError, OSError):  # no login name (some containers)
        found = None
    if found is None:
        try:
            import pwd

            found = valid_user(pwd.getpwuid(os.getuid()).pw_name)
        except (KeyError, OSError, ImportError):
            found = None
    return found or "unknown"


@dataclass
class State:
    db: Path
    database_url: str | None
    today: datetime | None
    user: str
    config: Path | None
    debug: bool = False
    quiet: bool = False  # --quiet: no messages for people unless something went wrong
    wide: bool = False  # --wide: a table shows every column, however wide
    _store: Store | None = field(default=None, repr=False)
    _committed: bool = field(default=False, repr=False)  # by a write through store.lite

    def store_path(self) -> Path | None:
        """The SQLite file the store is (for a fault report beside it), if it is one."""
        if not self.database_url:
            return self.db
        try:
            from sqlalchemy.engine import make_url

            url = make_url(self.database_url)
        except Exception:  # not a URL: Store.from_options says so
            return None
        database = url.database or ""
        if url.get_backend_name() != "sqlite" or database in ("", ":memory:"):
            return None
        if database.startswith("file:"):  # a URI filename (?uri=true): file:PATH?mode=ro
            database = database.removeprefix("file:").split("?")[0]
        return Path(database)

    @property
    def store(self) -> Store:
        if self._store is None:
            from qaudit.store.engine import Store

            self._store = Store.from_options(db=self.db, database_url=self.database_url)
        return self._store

    @contextmanager
    def rows(self) -> Iterator[Rows]:
        """One read transaction through the DB-API alone (store.lite): for the everyday lists,
        which need neither SQLAlchemy nor the table models."""
        from qaudit.store.lite import reading

        with reading(db=self.db, database_url=self.database_url) as rows:
            yield rows

    @contextmanager
    def writing(self, ctx: Context) -> Iterator[WriteTx]:
        """The command's write transaction: through sqlite3 alone on a SQLite store at head
        (store.lite), otherwise through Store (PostgreSQL; a schema to upgrade first)."""
        from qaudit.store.lite import AlchemyTx, begin_write, writing_sqlite

        tx = begin_write(db=self.db, database_url=self.database_url)
        if tx is None:
            from qaudit.services.transaction import write_transaction

            with write_transaction(self.store, ctx) as session:
                yield AlchemyTx(session)
            return
        try:
            with writing_sqlite(tx) as open_tx:
                yield open_tx
        finally:
            self._committed = self._committed or tx.committed

    def saved(self) -> bool:
        """Whether this command has committed a change to the store."""
        return self._committed or (self._store is not None and self._store.committed)

    def close(self) -> None:
        if self._store is not None:
            self._store.dispose()
            self._store = None

    def context(self) -> Context:
        from qaudit.config import load_policy
        from qaudit.services.context import Context

        recorded_at = datetime.now(UTC)
        now = self.today if self.today is not None else recorded_at.astimezone(LONDON)
        return Context(
            user=self.user, now=now, recorded_at=recorded_at, policy=load_policy(self.config)
        )


def state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
    assert isinstance(obj, State)
    return obj


def interactive() -> bool:
    """Colour, progress bars and prompts only for a person at a terminal."""
    return sys.stdout.isatty() and sys.stderr.isatty() and "NO_COLOR" not in os.environ


def err_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def out_console() -> Console:
    from rich.console import Console

    class Out(Console):
        def on_broken_pipe(self) -> None:
            # Rich would exit 1; the command's own handler stops quietly with 0, as cat does.
            self.quiet = True
            raise BrokenPipeError

    return Out(highlight=False)


def quiet() -> bool:
    """Whether the running command was given --quiet."""
    from qaudit.cli.params import _current_context

    current = _current_context()
    found = current.find_object(State) if current is not None else None
    return isinstance(found, State) and found.quiet


def say(message: str) -> None:
    """A message for people: stderr, never mixed into the data on stdout; none with --quiet.

    Shown as written: no Rich markup, no emoji codes, and control characters escaped, so a
    name or a note quoted in it can neither break the message (after a commit, too) nor drive
    the terminal."""
    if quiet():
        return
    from rich.text import Text

    err_console().print(Text(visible(message)))


def warn(message: str) -> None:
    """A warning for people on stderr, its text shown as written (as ``say``)."""
    from rich.text import Text

    err_console().print(Text.assemble(("Warning:", "yellow"), " ", visible(message)))

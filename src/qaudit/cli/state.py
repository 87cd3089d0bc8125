"""The global options, and what they give every command: the store, the context, the consoles."""

from __future__ import annotations

import getpass
import os
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from qaudit.domain.dates import LONDON

if TYPE_CHECKING:
    from rich.console import Console

    from qaudit.services.context import Context
    from qaudit.store.engine import Store


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def default_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (some containers)
        return "unknown"


@dataclass
class State:
    db: Path
    database_url: str | None
    today: datetime | None
    user: str
    config: Path | None
    _store: Store | None = field(default=None, repr=False)

    @property
    def store(self) -> Store:
        if self._store is None:
            from qaudit.store.engine import Store

            self._store = Store.from_options(db=self.db, database_url=self.database_url)
        return self._store

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

    return Console(highlight=False)


def say(message: str) -> None:
    """A message for people: stderr, never mixed into the data on stdout."""
    err_console().print(message)


def warn(message: str) -> None:
    err_console().print(f"[yellow]Warning:[/yellow] {message}", markup=True)

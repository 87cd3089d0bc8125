"""The yardstick for ``qaudit --help``: a two-command Typer app with qaudit's root settings.

Same interpreter and venv, same Typer and Rich, the same markdown help mode, a callback with a
global option, two commands with docstrings. ``make bench`` (the ``startup`` benchmark) times
its ``--help`` beside qaudit's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="minimal",
    help="A minimal two-command app: `minimal --db x.db hello`.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode="markdown",
)


@app.callback()
def global_options(
    db: Annotated[Path, typer.Option("--db", envvar="MINIMAL_DB", help="A file.")] = Path("x.db"),
) -> None:
    """The callback, as qaudit has one for its global options."""


@app.command()
def hello(name: Annotated[str, typer.Argument(help="Who to greet.")] = "world") -> None:
    """Say hello."""
    typer.echo(f"Hello {name}")


@app.command()
def goodbye(name: Annotated[str, typer.Argument(help="Who to see off.")] = "world") -> None:
    """Say goodbye."""
    typer.echo(f"Goodbye {name}")


if __name__ == "__main__":
    app()

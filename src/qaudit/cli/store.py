"""``qaudit init``: create or upgrade the store."""

from __future__ import annotations

import typer

from qaudit.cli.params import QuietOption
from qaudit.cli.state import say, state

app = typer.Typer()


@app.command()
def init(
    ctx: typer.Context,
    quiet: QuietOption = False,
) -> None:
    """Create the store, or bring its schema up to date. Safe to run again.

    Example: `qaudit --db qaudit.db init`
    """
    from qaudit.services.changes import init_store

    st = state(ctx)
    result = init_store(store=st.store, ctx=st.context())
    if result.upgraded_from is not None:
        kept = f"; the store as it was is kept as {result.backup}" if result.backup else ""
        say(
            f"Upgraded {result.store} from schema {result.upgraded_from} to {result.revision}{kept}"
        )
        return
    verb = "Created" if result.created else "Store up to date:"
    say(f"{verb} {result.store} (schema {result.revision})")

"""``qaudit demo``: a demonstration store built from the synthetic lists in ``data/``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qaudit.cli.cases import CASE_COLUMNS
from qaudit.cli.output import emit_rows
from qaudit.cli.state import Format, say, state

app = typer.Typer()


@app.command()
def demo(
    ctx: typer.Context,
    path: Annotated[
        Path, typer.Argument(help="Where to build the demo store (replaced if it is a demo).")
    ] = Path("qaudit-demo.db"),
) -> None:
    """Build a demonstration store from data/ and show it: staff, cases, the open caseload.

    Your own store (--db) is never touched.

    Example: [bold]qaudit demo[/bold], then [bold]qaudit --db qaudit-demo.db cases list[/bold]
    """
    from qaudit.services.cases import iter_cases
    from qaudit.services.demo import build_demo
    from qaudit.store.engine import Store

    st = state(ctx)
    run = st.context()
    result = build_demo(path=path, ctx=run)
    say(f"Built the demo store {result.path}")
    say(
        f"  staff: {result.staff.rows} imported ({len(result.staff.teams_added)} teams); "
        f"cases: {result.cases.rows} imported, {result.cases.workers_added} workers found"
    )
    store = Store(f"sqlite:///{path}")
    try:
        rows = (c.as_dict() for c in iter_cases(store=store, open_on=run.today))
        count = emit_rows(
            rows, fmt=Format.table, columns=CASE_COLUMNS, title=f"Open cases on {run.today}"
        )
    finally:
        store.dispose()
    say(f"{count} open cases on {run.today}.")
    say(
        f"Next: qaudit --db {path} cases list --team 'Children in Care'   |   "
        f"qaudit --db {path} log"
    )

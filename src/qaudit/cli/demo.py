"""``qaudit demo``: a demonstration store built from the synthetic lists shipped with qaudit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qaudit.cli.output import emit_rows
from qaudit.cli.params import QuietOption
from qaudit.cli.state import Format, say, state
from qaudit.cli.worklist import AUDIT_COLUMNS, AUDIT_KEEP, OVERDUE_COLUMNS, OVERDUE_KEEP

app = typer.Typer()


@app.command()
def demo(
    ctx: typer.Context,
    path: Annotated[
        Path, typer.Argument(help="Where to build the demo store (replaced if it is a demo).")
    ] = Path("qaudit-demo.db"),
    quiet: QuietOption = False,
) -> None:
    """Build a demonstration store from the synthetic lists shipped with qaudit: staff, 240
    cases, four months of the audit cycle (samples, grades, moderations, re-audits), a year of
    complaints, Bright Spots responses, advocacy at conferences and a scrutiny session; then
    show December's audits and what is overdue. Your own store (--db) is never touched.

    Example: `qaudit demo`, then `qaudit --db qaudit-demo.db audits list`
    """
    from dataclasses import replace
    from datetime import datetime, time

    from qaudit.domain.dates import LONDON
    from qaudit.services.demo import DEMO_MONTHS, DEMO_TODAY, build_demo
    from qaudit.services.overdue import list_overdue
    from qaudit.services.worklists import list_audits
    from qaudit.store.lite import reading

    st = state(ctx)
    run = st.context()
    result = build_demo(path=path, ctx=run)
    say(f"Built the demo store {result.path}")
    # Lines that read cleanly at 80 columns, at a terminal or piped.
    say(
        f"  {result.staff.rows} staff, {result.cases.rows} cases; "
        f"samples {', '.join(result.samples)}"
    )
    say(
        f"  {result.audits} audits, {result.moderations} moderations, "
        f"{result.reaudits_done} re-audits done; {result.complaints} complaints"
    )
    say(
        f"  {result.survey_responses} survey responses, {result.conferences} conferences, "
        f"{result.scrutiny_sessions} scrutiny session"
    )
    then = replace(run, now=datetime.combine(DEMO_TODAY, time(10, 0), tzinfo=LONDON))
    month = DEMO_MONTHS[-1]
    with reading(db=path, database_url=None) as rows:
        emit_rows(
            (line.as_dict() for line in list_audits(rows, then, month=month)),
            fmt=Format.table,
            columns=AUDIT_COLUMNS,
            keep=AUDIT_KEEP,
            title=f"The {month} audits on {DEMO_TODAY}",
        )
        count = emit_rows(
            (item.as_dict() for item in list_overdue(rows, then)),
            fmt=Format.table,
            columns=OVERDUE_COLUMNS,
            keep=OVERDUE_KEEP,
            title=f"Overdue on {DEMO_TODAY}",
        )
    say(f"{count} overdue on {DEMO_TODAY} (the demo's today).")
    import qaudit.reports.render as render
    from qaudit.cli.notify import PLAN_KEEP, PLAN_TABLE, plan_rows
    from qaudit.services.notify import plan_notices
    from qaudit.store.engine import Store

    store = Store(f"sqlite:///{path}")
    try:
        plan = plan_notices(store=store, ctx=then)
    finally:
        store.dispose()
    emit_rows(
        plan_rows(plan),
        fmt=Format.table,
        columns=PLAN_TABLE,
        keep=PLAN_KEEP,
        title=f"Reminders qaudit notify would email on {DEMO_TODAY} (dry run)",
    )
    say(
        f"The demo sets no mail relay: `qaudit notify --dry-run` shows these "
        f"{len(plan.digests)} messages,\nand --to NAME one of them in full."
    )
    from qaudit.domain.periods import parse_period
    from qaudit.files import write_atomically
    from qaudit.services.reports import build_report

    quarter = parse_period("2026/27-Q3", DEMO_TODAY)
    store = Store(f"sqlite:///{path}")
    try:
        board = build_report(store=store, ctx=then, kind="board", period=quarter)
    finally:
        store.dispose()
    stem = path.with_suffix("")
    for suffix, write in ((".html", render.to_html), (".xlsx", render.to_xlsx)):
        target = Path(f"{stem}-board-{quarter.file_label}{suffix}")
        write_atomically(target, write(board))
        say(f"Wrote the board report for {quarter.label} to {target}")
    say(
        f"Next: qaudit --db {path} --today {DEMO_TODAY} overdue\n"
        f"      qaudit --db {path} --today {DEMO_TODAY} notify --dry-run\n"
        f"      qaudit --db {path} reaudits\n"
        f"      qaudit --db {path} log"
    )

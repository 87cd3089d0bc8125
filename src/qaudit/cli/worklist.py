"""The work lists of the audit cycle: ``overdue`` (every kind) and ``audits list``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from qaudit.cli.limits import AllOption, LimitOption, WideOption, emit_limited, row_limit
from qaudit.cli.output import emit_rows
from qaudit.cli.params import grade_value, month_option
from qaudit.cli.state import Format, say, state
from qaudit.domain.audit_cycle import AUDIT_STATUSES
from qaudit.domain.overdue import OVERDUE_KINDS

app = typer.Typer()
audits_app = typer.Typer(help="Audits recorded and still to do.")

# The --kind choices, from the one list of kinds.
OverdueKind = StrEnum("OverdueKind", [(kind, kind) for kind in OVERDUE_KINDS])  # type: ignore[misc]


# The --status choices, from the one list of audit states.
AuditStatus = StrEnum("AuditStatus", [(s, s) for s in AUDIT_STATUSES])  # type: ignore[misc]


OVERDUE_COLUMNS = [
    ("kind", "Kind"),
    ("ref", "Ref"),
    ("case_ref", "Case"),
    ("due", "Due"),
    ("days_overdue", "Days"),  # working days overdue (the table's title says so)
    ("owner", "Owner"),
    ("escalate_to", "Escalate to"),
    ("detail", "Detail"),
]
AUDIT_COLUMNS = [
    ("audit_id", "Audit"),
    ("case_ref", "Case"),
    ("team", "Team"),
    ("auditor", "Auditor"),
    ("kind", "Kind"),
    ("due", "Due"),
    ("audit_date", "Date"),
    ("grade", "Grade"),
    ("status", "Status"),
]
# What a table shows at any width; the other columns as the terminal has room (--wide: all).
OVERDUE_KEEP = ("kind", "ref", "due", "days_overdue", "owner")
AUDIT_KEEP = ("audit_id", "case_ref", "due", "audit_date", "grade", "status")


@app.command()
def overdue(
    ctx: typer.Context,
    kind: Annotated[
        list[OverdueKind] | None, typer.Option("--kind", help="Only these kinds (repeatable).")
    ] = None,
    fail_if_any: Annotated[
        bool, typer.Option("--fail-if-any", help="Exit 3 when anything is overdue (for cron).")
    ] = False,
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
    wide: WideOption = False,
) -> None:
    """What is past its due date: sampled audits not graded, moderations, re-audits, actions
    from audits, complaints without their final response letter, survey responses not reviewed
    within 24 hours, advocates requested and not provided; with days overdue in working days,
    the owner, and who it escalates to.

    Example: `qaudit overdue --fail-if-any --format json`
    """
    from qaudit.services.overdue import list_overdue

    st = state(ctx)
    kinds = [k.value for k in kind] if kind else list(OVERDUE_KINDS)
    with st.rows() as rows:
        items = list_overdue(rows, st.context(), kinds)
    emit_rows(
        (i.as_dict() for i in items),
        fmt=fmt,
        columns=OVERDUE_COLUMNS,
        title="Overdue",
        keep=OVERDUE_KEEP,
    )
    if fmt is Format.table:
        say(f"{len(items)} overdue." if items else "Nothing overdue.")
    if fail_if_any and items:
        raise typer.Exit(3)


@audits_app.command("list")
def list_(
    ctx: typer.Context,
    month: Annotated[str | None, typer.Option("--month", help="YYYY-MM.")] = None,
    auditor: Annotated[str | None, typer.Option("--auditor")] = None,
    team: Annotated[str | None, typer.Option("--team")] = None,
    grade_: Annotated[str | None, typer.Option("--grade")] = None,
    status: Annotated[AuditStatus | None, typer.Option("--status")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
    limit: LimitOption = None,
    every: AllOption = False,
    wide: WideOption = False,
) -> None:
    """Audits recorded (graded, moderation-due, moderated) and still to do (due, overdue).
    A table shows the first 1,000 unless --limit N or --all.

    Example: `qaudit audits list --month 2026-12 --status overdue`
    """
    from qaudit.services.worklists import list_audits

    st = state(ctx)
    with st.rows() as rows:
        lines = list_audits(
            rows,
            st.context(),
            month=month_option(month, "--month") if month else None,
            auditor=auditor,
            team=team,
            grade=grade_value(grade_) if grade_ else None,
            status=status.value if status else None,
        )
    emit_limited(
        (line.as_dict() for line in lines),
        fmt=fmt,
        columns=AUDIT_COLUMNS,
        title="Audits",
        keep=AUDIT_KEEP,
        limit=row_limit(fmt, limit, every),
        total=lambda: len(lines),
        noun="audits",
    )

"""The monthly audit cycle: ``sample``, ``grade``, ``moderate``, ``reaudits``, ``overdue``,
``audits list``."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qaudit.cli.limits import AllOption, LimitOption, WideOption, emit_limited, row_limit
from qaudit.cli.output import emit_object, emit_rows
from qaudit.cli.params import QuietOption, checked_text, date_option
from qaudit.cli.state import Format, State, say, state, warn
from qaudit.display import day
from qaudit.errors import RuleError

if TYPE_CHECKING:
    from qaudit.domain.grades import Grade

app = typer.Typer()
audits_app = typer.Typer(help="Audits recorded and still to do.")


class Stratum(StrEnum):
    team = "team"
    category = "category"


class OverdueKind(StrEnum):
    audit = "audit"
    moderation = "moderation"
    reaudit = "reaudit"
    complaint = "complaint"
    survey = "survey"
    advocacy = "advocacy"


class ReauditStatus(StrEnum):
    pending = "pending"
    done = "done"
    cancelled = "cancelled"


class AuditStatus(StrEnum):
    due = "due"
    overdue = "overdue"
    graded = "graded"
    moderation_due = "moderation-due"
    moderated = "moderated"


def _grade(value: str) -> Grade:
    from qaudit.domain.grades import parse_grade

    try:
        return parse_grade(value)
    except ValueError as exc:
        # A grade off the scale is refused as bad input (exit 1), as issue 3 asks.
        raise RuleError(str(exc)) from None


def _month(value: str) -> str:
    return _month_of(value, "--month")


def _month_of(value: str, option: str) -> str:
    from qaudit.cli.params import month_option

    return month_option(value, option)


def _verify_sample(st: State, month: str, fmt: Format) -> None:
    """``sample --verify``: the certificate, then every pick drawn again and compared."""
    from qaudit.errors import QauditError
    from qaudit.services.sampling import verify_sample

    with st.rows() as rows:
        result = verify_sample(rows, month)
    if fmt is Format.json:
        emit_object(result.as_dict())
    say(f"Sampling certificate, {month}: {result.certificate.sentence()}")
    if not result.ok:
        raise QauditError(
            f"the {month} sample does not match its recorded draw: " + "; ".join(result.problems)
        )
    since = result.checked - result.certificate.picks
    say(
        f"Verified: all {result.checked} picks of the {month} sample are the draw's"
        + (f" ({since} since replaced or redrawn)" if since > 0 else "")
        + f", drawn again from the record of {_steps_text(result.steps)}."
    )


def _steps_text(steps: int) -> str:
    return "its one step" if steps == 1 else f"its {steps} steps"


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
SAMPLE_COLUMNS = [
    ("case_ref", "Case"),
    ("team", "Team"),
    ("category", "Category"),
    ("auditor", "Auditor"),
    ("due", "Due"),
    ("status", "Status"),
]


@app.command()
def sample(
    ctx: typer.Context,
    month: Annotated[
        str | None, typer.Option("--month", help="The month, YYYY-MM.", show_default=False)
    ] = None,
    size: Annotated[
        int | None,
        typer.Option("--size", min=1, help="Cases to draw (policy: 50); larger tops up."),
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", min=0, help="Draw from this seed.")] = None,
    redraw: Annotated[
        bool, typer.Option("--redraw", help="Replace the cases not yet graded (new seed).")
    ] = False,
    stratify: Annotated[
        Stratum | None,
        typer.Option("--stratify", help="Sample each team or category in proportion."),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Show the draw; save no sample (the preview is logged)."),
    ] = False,
    replace: Annotated[
        str | None,
        typer.Option(
            "--replace",
            metavar="CASE",
            callback=checked_text,
            help="Replace this ungraded case (say, closed) with the next in the draw's order.",
        ),
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option("--reason", callback=checked_text, help="Why (with --replace)."),
    ] = None,
    verify: Annotated[
        str | None,
        typer.Option(
            "--verify",
            metavar="MONTH",
            help="Draw MONTH again from its record and check every pick (exit 1 if any differ).",
        ),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
    quiet: QuietOption = False,
) -> None:
    """Draw the month's audit sample from the cases open on its first day, and allocate it.

    Cases audited in the last 12 months, or with a re-audit pending, are left out. A month has
    one sample: running this again shows it unchanged (safe in cron). The draw is a simple
    random sample from a seed, with a certificate in the change log; a dry run is logged as a
    preview, so trying seeds shows.

    Examples: `qaudit sample --month 2026-12`; `qaudit sample --verify 2026-12`;
    `qaudit sample --replace C1234 --month 2026-12 --reason "closed on 3 Dec"`
    """
    st = state(ctx)
    if verify is not None:
        others = {
            "--month": month, "--size": size, "--seed": seed, "--redraw": redraw or None,
            "--stratify": stratify, "--dry-run": dry_run or None, "--replace": replace,
            "--reason": reason,
        }  # fmt: skip
        given = [name for name, value in others.items() if value is not None]
        if given:
            raise typer.BadParameter(f"--verify takes no other option ({', '.join(given)})")
        _verify_sample(st, _month_of(verify, "--verify"), fmt)
        return
    if month is None:
        raise typer.BadParameter("give --month YYYY-MM (or --verify MONTH)", param_hint="--month")
    if replace is not None:
        others = {
            "--size": size, "--seed": seed, "--redraw": redraw or None, "--stratify": stratify,
            "--dry-run": dry_run or None,
        }  # fmt: skip
        given = [name for name, value in others.items() if value is not None]
        if given:
            raise typer.BadParameter(f"--replace takes only --month and --reason, not {given[0]}")
        if not reason or not reason.strip():
            raise typer.BadParameter(
                "say why the case is replaced (it goes on the sampling certificate)",
                param_hint="--reason",
            )
    elif reason is not None:
        raise typer.BadParameter("--reason goes with --replace CASE", param_hint="--reason")
    from qaudit.services.sampling import draw_sample_in, replace_case_in

    run = st.context()
    with st.writing(run) as tx:
        if replace is not None:
            result = replace_case_in(
                tx, run, month=_month(month), case_ref=replace, reason=reason or ""
            )
        else:
            result = draw_sample_in(
                tx,
                run,
                month=_month(month),
                size=size,
                seed=seed,
                redraw=redraw,
                stratify=stratify.value if stratify else None,
                dry_run=dry_run,
            )
    if fmt is Format.json:
        emit_object(result.as_dict())
    else:
        emit_rows(
            (line.as_dict() for line in result.lines),
            fmt=fmt,
            columns=SAMPLE_COLUMNS,
            title=f"Audit sample {result.month}",
        )
    if result.action == "replaced":
        say(
            f"Replaced {result.replaced[0]} in the {result.month} sample with "
            f"{result.added[0]}, the next of {result.eligible:,} eligible cases in the draw's "
            "order (logged with the reason)."
        )
    else:
        verb = {
            "drawn": "Drew",
            "redrawn": "Redrew",
            "topped-up": "Topped up",
            "unchanged": "Unchanged:",
            "dry-run": "Preview (no sample saved; the preview is logged):",
        }[result.action]
        of = f" from {result.eligible:,} eligible" if result.eligible else ""
        say(
            f"{verb} the {result.month} sample of {len(result.lines)} cases{of} "
            f"(seed {result.seed}"
            + (f", stratified by {result.stratify}" if result.stratify else "")
            + ")."
        )
    if result.replaced and result.action != "replaced":
        say(f"Replaced {len(result.replaced)} cases not yet graded.")
    if result.short_by:
        warn(
            f"only {len(result.added)} eligible cases: all of them were taken "
            f"({result.short_by} fewer than {len(result.added) + result.short_by})"
        )
    if result.spread:
        say("Allocation: " + ", ".join(f"{name} {n}" for name, n in result.spread.items()))
    if result.unallocated and not result.auditors:
        warn(
            f"{result.unallocated} cases have no auditor: the store has no auditors or team "
            "managers (qaudit staff import)"
        )
    elif result.unallocated:
        warn(
            f"{result.unallocated} cases have no auditor who may take them (an auditor never "
            "audits their own team's case): allocate them by hand"
        )


@app.command()
def grade(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(callback=checked_text, help="The case ref.")],
    grade_: Annotated[
        str | None,
        typer.Option("--grade", help="outstanding, good, requires-improvement or inadequate."),
    ] = None,
    auditor: Annotated[
        str | None,
        typer.Option(
            "--auditor",
            callback=checked_text,
            help="Who audited (default: --user; at a terminal, the auditor the case is "
            "allocated to).",
        ),
    ] = None,
    on: Annotated[
        str | None, typer.Option("--date", help="The audit date, YYYY-MM-DD (default today).")
    ] = None,
    answers: Annotated[
        Path | None,
        typer.Option("--answers", help="Framework answers: a TOML, JSON or CSV file."),
    ] = None,
    theme: Annotated[
        list[str] | None,
        typer.Option(
            "--theme",
            callback=checked_text,
            help="A theme (repeatable), from the audit themes (a wrong one is refused with "
            "the list).",
        ),
    ] = None,
    strength: Annotated[
        str | None, typer.Option("--strength", callback=checked_text, help="What is working well.")
    ] = None,
    development: Annotated[
        str | None,
        typer.Option("--development", callback=checked_text, help="Areas for development."),
    ] = None,
    family_feedback: Annotated[
        str | None,
        typer.Option(
            "--family-feedback", callback=checked_text, help="What the child and family said."
        ),
    ] = None,
    views_gathered: Annotated[
        bool | None,
        typer.Option(
            "--views-gathered/--views-not-gathered",
            help="Whether the child's and family's views were gathered (default: yes when "
            "--family-feedback is given).",
            show_default=False,
        ),
    ] = None,
    adhoc: Annotated[
        bool, typer.Option("--adhoc", help="An audit outside the sample and re-audits.")
    ] = False,
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
    quiet: QuietOption = False,
) -> None:
    """Record the audit of a case: the grade, framework answers, strengths, areas for development,
    themes and family feedback. It completes the case's sample item or pending re-audit.

    An Inadequate grade creates a moderation for the head of service (due in 5 working days) and
    a re-audit (6 weeks on). At a terminal, what is missing is asked for; otherwise --grade is
    required.

    Example: `qaudit grade C100002 --grade good --theme planning --auditor "Kiran Evans"`
    """
    from qaudit.importers.framework import parse_theme, read_answers
    from qaudit.services.grading import GradeInput, record_grade_in
    from qaudit.services.vocabulary import framework_in_force, themes_in_force

    st = state(ctx)
    run = st.context()
    audit_date = date_option(on, "--date") or run.today
    framework = framework_in_force(run)
    themes = themes_in_force(run)
    given_answers = read_answers(answers, framework) if answers else {}
    chosen_themes: list[str] = []
    for text in theme or []:
        try:
            chosen_themes.append(parse_theme(text, themes).id)
        except ValueError as exc:
            raise RuleError(str(exc)) from None
    overall = _grade(grade_) if grade_ is not None else None
    if overall is None:
        if not sys.stdin.isatty():
            raise RuleError(
                "--grade is required when not at a terminal (give --grade "
                "outstanding|good|requires-improvement|inadequate)"
            )
        from qaudit.cli.grade_form import Given, record_at_terminal

        given = Given(
            case_ref=case,
            auditor=auditor,
            audit_date=audit_date,
            answers=given_answers,
            themes=chosen_themes,
            strengths=strength,
            development=development,
            family_feedback=family_feedback,
            views_gathered=views_gathered,
            adhoc=adhoc,
        )
        asked = record_at_terminal(st, run, given, framework, themes)
        if asked is None:
            return  # not saved, at the auditor's word: the answers are in a draft
        result = asked
    else:
        entry = GradeInput(
            case_ref=case,
            grade=overall,
            auditor=auditor or st.user,
            audit_date=audit_date,
            answers=given_answers,
            themes=chosen_themes,
            strengths=strength,
            development=development,
            family_feedback=family_feedback,
            views_gathered=views_gathered,
            adhoc=adhoc,
        )
        with st.writing(run) as tx:
            result = record_grade_in(tx, run, entry)
    if fmt is Format.json:
        emit_object(result.as_dict())
    elif fmt is Format.csv:
        emit_rows([result.as_dict()], fmt=fmt, columns=[(k, k) for k in result.as_dict()])
    say(
        f"Recorded audit {result.audit_id} of {result.case_ref}: {result.grade.label} "
        f"({result.completes})."
    )
    if result.change:
        say(f"Re-audit: {result.change} since the Inadequate audit.")
    if result.moderation_due is not None:
        owner = result.moderation_owner or "no head of service known for the case's team"
        assert result.reaudit_due is not None  # an Inadequate audit has both
        say(
            f"Inadequate: moderation due {day(result.moderation_due)} ({owner}); "
            f"re-audit due {day(result.reaudit_due)}."
        )


@app.command()
def moderate(
    ctx: typer.Context,
    audit_id: Annotated[int, typer.Argument(help="The Inadequate audit's number.")],
    moderator: Annotated[
        str | None,
        typer.Option(
            "--moderator", callback=checked_text, help="The head of service (default: --user)."
        ),
    ] = None,
    agree: Annotated[bool, typer.Option("--agree", help="Agree the Inadequate grade.")] = False,
    regrade: Annotated[
        str | None,
        typer.Option("--regrade", help="Regrade it (above Inadequate cancels the re-audit)."),
    ] = None,
    conversation_date: Annotated[
        str | None,
        typer.Option("--conversation-date", help="The reflective conversation with the team."),
    ] = None,
    notes: Annotated[
        str | None, typer.Option("--notes", callback=checked_text, help="Moderation notes.")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
    quiet: QuietOption = False,
) -> None:
    """Moderate an Inadequate audit: a head of service agrees or regrades it and records the
    reflective conversation (in one go or two). Complete when both are recorded.

    Example: `qaudit moderate 12 --agree --conversation-date 2026-12-04`
    """
    from qaudit.services.audits import moderate as record_moderation

    st = state(ctx)
    result = record_moderation(
        store=st.store,
        ctx=st.context(),
        audit_id=audit_id,
        moderator=moderator or st.user,
        agree=agree,
        regrade=_grade(regrade) if regrade is not None else None,
        conversation_date=date_option(conversation_date, "--conversation-date"),
        notes=notes,
    )
    if fmt is Format.json:
        emit_object(result.as_dict())
    state_text = (
        "complete"
        if result.complete
        else ("needs the reflective conversation" if result.outcome else "needs the outcome")
    )
    say(
        f"Moderation of audit {result.audit_id} ({result.case_ref}): "
        f"{result.outcome or 'no outcome yet'}, grade {result.grade.label}; {state_text}."
    )
    if result.reaudit_cancelled:
        say("The re-audit is cancelled: the case is no longer graded Inadequate.")


@app.command()
def reaudits(
    ctx: typer.Context,
    status: Annotated[ReauditStatus | None, typer.Option("--status")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
    wide: WideOption = False,
) -> None:
    """Re-audits after Inadequate audits: pending, done (improved / same / worse), cancelled.

    Example: `qaudit reaudits --status pending`
    """
    from qaudit.services.audits import list_reaudits

    rows = [
        r.as_dict()
        for r in list_reaudits(store=state(ctx).store, status=status.value if status else None)
    ]
    emit_rows(
        rows,
        fmt=fmt,
        columns=[
            ("case_ref", "Case"),
            ("audit_id", "Audit"),
            ("due", "Due"),
            ("status", "Status"),
            ("first_grade", "Grade"),
            ("reaudit_grade", "Re-audit grade"),
            ("change", "Change"),
            ("note", "Note"),
        ],
        title="Re-audits",
        keep=("case_ref", "audit_id", "due", "status", "first_grade", "reaudit_grade"),
    )


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
    """What is past its due date: sampled audits not graded, moderations, re-audits, complaints
    without their final response letter, survey responses not reviewed within 24 hours,
    advocates requested and not provided; with days overdue in working days, the owner, and who
    it escalates to.

    Example: `qaudit overdue --fail-if-any --format json`
    """
    from qaudit.services.worklists import OVERDUE_KINDS, list_overdue

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
            month=_month(month) if month else None,
            auditor=auditor,
            team=team,
            grade=_grade(grade_) if grade_ else None,
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

"""The monthly audit cycle: ``grade``, ``moderate``, ``reaudits`` (``sample`` is
``cli.sampling``; ``overdue`` and ``audits list`` are ``cli.worklist``)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from qaudit.cli.action_options import (
    ActionOption,
    first_audit_lines,
    parsed_actions,
    say_actions_set,
)
from qaudit.cli.limits import WideOption
from qaudit.cli.output import emit_object, emit_rows
from qaudit.cli.params import QuietOption, checked_text, date_option, grade_value, record_id
from qaudit.cli.state import Format, say, state
from qaudit.display import day
from qaudit.domain.audit_cycle import REAUDIT_STATUSES
from qaudit.errors import RuleError

app = typer.Typer()
audits_app = typer.Typer(help="Audits recorded and still to do.")


# The --status choices, from the one list of re-audit states.
ReauditStatus = StrEnum("ReauditStatus", [(s, s) for s in REAUDIT_STATUSES])  # type: ignore[misc]


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
    action: ActionOption = None,
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
    quiet: QuietOption = False,
) -> None:
    """Record the audit of a case: the grade, framework answers, strengths, areas for development,
    themes and family feedback. It completes the case's sample item or pending re-audit.

    An Inadequate grade creates a moderation for the head of service (due in 5 working days) and
    a re-audit (6 weeks on). At a terminal, what is missing is asked for; otherwise --grade is
    required. An audit may set actions (--action, repeatable; qaudit actions follows them); a
    re-audit shows the first audit's and whether each was done.

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
    overall = grade_value(grade_) if grade_ is not None else None
    actions = parsed_actions(action)
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
            actions=actions,
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
            actions=actions,
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
    if overall is not None:  # at a terminal they were shown before the first question
        for line in first_audit_lines(result.first_actions):
            say(line)
    if result.moderation_due is not None:
        owner = result.moderation_owner or "no head of service known for the case's team"
        assert result.reaudit_due is not None  # an Inadequate audit has both
        say(
            f"Inadequate: moderation due {day(result.moderation_due)} ({owner}); "
            f"re-audit due {day(result.reaudit_due)}."
        )
    say_actions_set(result.actions)


@app.command()
def moderate(
    ctx: typer.Context,
    audit_id: Annotated[int, record_id("The Inadequate audit's number.")],
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
    action: ActionOption = None,
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
        regrade=grade_value(regrade) if regrade is not None else None,
        conversation_date=date_option(conversation_date, "--conversation-date"),
        notes=notes,
        actions=parsed_actions(action),
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
    say_actions_set(result.actions)


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

    st = state(ctx)
    chosen = status.value if status else None
    rows = [
        r.as_dict() for r in list_reaudits(store=st.store, status=chosen, on=st.context().today)
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
            ("actions", "Actions"),
            ("note", "Note"),
        ],
        title="Re-audits",
        keep=("case_ref", "audit_id", "due", "status", "first_grade", "reaudit_grade"),
    )

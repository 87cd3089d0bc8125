"""Asking an auditor at a terminal for one thing at a time: an answer, the grade, a text, the
themes, a yes or no. Each prompt shows what it accepts and asks again, saying why, until the
reply is one of them."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from qaudit.cli.state import err_console
from qaudit.display import visible

if TYPE_CHECKING:
    from rich.console import Console

    from qaudit.domain.actions import ActionInput
    from qaudit.domain.grades import Grade
    from qaudit.importers.framework import Theme

NOT_APPLICABLE = "not-applicable"
_SHORT = {"requires-improvement": "Requires improvement"}  # the label practice says aloud


def grade_legend(*, with_na: bool) -> str:
    """``[1 Outstanding / 2 Good / 3 Requires improvement / 4 Inadequate / n n/a]``."""
    from qaudit.domain.grades import Grade

    parts = [f"{g.rank} {_SHORT.get(g.slug, g.label)}" for g in Grade]
    return "[" + " / ".join([*parts, "n n/a"] if with_na else parts) + "]"


def parse_grade_reply(text: str) -> Grade:
    """A grade typed as its number, slug or label, any case; ValueError saying what is allowed."""
    from qaudit.domain.grades import Grade, parse_grade

    reply = text.strip()
    by_rank = {str(g.rank): g for g in Grade}
    if reply in by_rank:
        return by_rank[reply]
    try:
        return parse_grade(reply)
    except ValueError:
        raise ValueError(
            f"'{reply}' is not a grade: type 1, 2, 3 or 4, or the grade's name "
            "(Outstanding, Good, Requires improvement, Inadequate)"
        ) from None


def parse_answer_reply(text: str) -> str | None:
    """A framework answer typed as a grade's number, slug or label, ``n`` or ``n/a``, any case:
    its slug; None for Enter (skipped). ValueError saying what is allowed."""
    from qaudit.importers.framework import parse_answer

    reply = text.strip()
    if not reply:
        return None
    if reply.casefold() == "n":
        return NOT_APPLICABLE
    try:
        return parse_grade_reply(reply).slug
    except ValueError:
        pass
    try:
        return parse_answer(reply)
    except ValueError:
        raise ValueError(
            f"'{reply}' is not an answer: type 1, 2, 3 or 4, the grade's name, n for not "
            "applicable, or Enter to skip"
        ) from None


def nearest_theme(text: str, themes: tuple[Theme, ...]) -> Theme | None:
    """The theme a mistyped one most likely meant (by id or label), if any is close."""
    from qaudit.importers.framework import _norm

    names: dict[str, Theme] = {}
    for theme in themes:
        names.setdefault(theme.id, theme)
        names.setdefault(_norm(theme.label), theme)
    close = difflib.get_close_matches(_norm(text), list(names), n=1, cutoff=0.6)
    return names[close[0]] if close else None


def ask_line(prompt: str) -> str:
    """One line, as typed."""
    return _ask(err_console(), prompt)


def _ask(console: Console, prompt: str) -> str:
    """One line typed at the prompt (Ctrl-C and Ctrl-D reach the caller)."""
    from rich.prompt import Prompt
    from rich.text import Text

    return Prompt.ask(Text(visible(prompt)), default="", show_default=False, console=console)


def _refuse(console: Console, message: str) -> None:
    from rich.text import Text

    console.print(Text(visible(message), style="red"))


def ask_answer(question: str, guidance: str | None, number: str) -> str | None:
    """One framework question: its answer's slug, or None when skipped."""
    from rich.text import Text

    console = err_console()
    console.print(Text(visible(f"{number} {question}")))
    if guidance:
        console.print(Text(visible(guidance), style="dim"))
    while True:
        reply = _ask(console, f"{grade_legend(with_na=True)}, Enter to skip")
        try:
            return parse_answer_reply(reply)
        except ValueError as exc:
            _refuse(console, str(exc))


def ask_grade() -> Grade:
    console = err_console()
    while True:
        reply = _ask(console, f"Overall grade {grade_legend(with_na=False)}")
        try:
            return parse_grade_reply(reply)
        except ValueError as exc:
            _refuse(console, str(exc) if reply.strip() else "The overall grade is needed.")


def ask_text(label: str, *, required: str | None = None) -> str | None:
    """A free text; with ``required`` (the reason), an empty reply is refused with it."""
    console = err_console()
    while True:
        reply = _ask(console, label if required else f"{label} (Enter to leave blank)").strip()
        if reply or required is None:
            return reply or None
        _refuse(console, required)


def ask_yes(question: str, *, default: bool = True) -> bool:
    """``question [Y/n]``: Enter takes the default."""
    console = err_console()
    while True:
        reply = _ask(console, f"{question} {'[Y/n]' if default else '[y/N]'}").strip().casefold()
        if not reply:
            return default
        if reply in ("y", "yes"):
            return True
        if reply in ("n", "no"):
            return False
        _refuse(console, f"'{reply}': answer y or n.")


def ask_themes(themes: tuple[Theme, ...]) -> list[str]:
    """Theme ids, from a comma-separated reply; a mistyped theme is offered its nearest."""
    from rich.text import Text

    from qaudit.importers.framework import parse_theme

    console = err_console()
    console.print(Text(visible("Themes: " + ", ".join(t.id for t in themes))))
    while True:
        reply = _ask(console, "Themes, separated by commas (Enter for none)")
        chosen: list[str] = []
        for part in (p for p in reply.split(",") if p.strip()):
            try:
                found = parse_theme(part, themes)
            except ValueError as exc:
                near = nearest_theme(part, themes)
                if near is None or not ask_yes(
                    f"'{part.strip()}' is not a theme. Did you mean '{near.id}'?"
                ):
                    _refuse(console, str(exc))  # it lists the themes
                    break
                found = near
            if found.id not in chosen:
                chosen.append(found.id)
        else:
            return chosen


def ask_choice(label: str, names: tuple[str, ...], default: str | None) -> str:
    """One of ``names``, by its number in the list shown or the name in any case."""
    from rich.text import Text

    console = err_console()
    for number, name in enumerate(names, start=1):
        console.print(Text(visible(f"  {number} {name}")))
    shown = f" [{default}]" if default else ""
    by_name = {name.casefold(): name for name in names}
    while True:
        reply = _ask(console, f"{label}{shown}").strip() or (default or "")
        if reply.isdigit() and 1 <= int(reply) <= len(names):
            return names[int(reply) - 1]
        if reply.casefold() in by_name:
            return by_name[reply.casefold()]
        _refuse(
            console,
            f"'{reply}' is not one of them: type a number from 1 to {len(names)} or a name"
            if reply
            else "An auditor is needed: type a number or a name.",
        )


ACTION_PROMPT = "Action (what;owner;due), or Enter to finish"


def read_action(reply: str, owners: list[str], set_on: date) -> ActionInput:
    """An action typed as ``what;owner;due``, checked as the save will check it: the owner a
    staff member (any case; the nearest name suggested when not), due on or after ``set_on``.
    ValueError saying what is wrong."""
    from qaudit.domain.actions import (
        ActionInput,
        check_due,
        parse_action,
        staff_match,
        unknown_owner,
    )

    action = parse_action(reply)
    owner = staff_match(action.owner, owners)
    if owner is None:
        raise ValueError(unknown_owner(action.owner, owners))
    action = ActionInput(text=action.text, owner=owner, due=action.due)
    check_due(action, set_on)
    return action


def ask_actions(owners: list[str], set_on: date, added: Callable[[ActionInput], None]) -> None:
    """Actions one at a time until Enter, each checked as it is typed and handed to ``added``
    (which keeps it in the draft)."""
    from rich.text import Text

    console = err_console()
    while True:
        reply = _ask(console, ACTION_PROMPT).strip()
        if not reply:
            return
        try:
            action = read_action(reply, owners, set_on)
        except ValueError as exc:
            _refuse(console, str(exc))
            continue
        added(action)
        console.print(Text(visible(f"Action set: {action.owner}, due {action.due}.")))

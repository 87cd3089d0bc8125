"""Asking an auditor at a terminal for what ``qaudit grade`` was not given, a question at a time."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qaudit.cli.state import err_console
from qaudit.display import visible

if TYPE_CHECKING:
    from qaudit.domain.grades import Grade
    from qaudit.importers.framework import Framework, Theme

SKIP = ""


def _choices() -> tuple[dict[str, str], str]:
    from qaudit.domain.grades import Grade

    keys = {str(g.rank): g.slug for g in Grade}
    legend = "  ".join(f"`{g.rank}` {g.label}" for g in Grade)
    return keys, legend


def ask_answers(framework: Framework, given: dict[str, str]) -> dict[str, str]:
    """Each framework question not answered yet; Enter skips, n is not applicable."""
    from rich.prompt import Prompt
    from rich.text import Text

    console = err_console()
    keys, legend = _choices()
    answers = dict(given)
    console.print(
        Text(f"Framework questions ({visible(framework.name)}). {legend}  `n` n/a, Enter to skip")
    )
    for area in framework.areas:
        console.rule(Text(visible(area.title)))
        for question in area.questions:
            if question.id in answers:
                continue
            if question.guidance:
                console.print(Text(visible(question.guidance), style="dim"))
            reply = Prompt.ask(
                Text(visible(question.text)),
                choices=[*keys, "n", SKIP],
                show_choices=False,
                default=SKIP,
                show_default=False,
                console=console,
            )
            if reply == "n":
                answers[question.id] = "not-applicable"
            elif reply:
                answers[question.id] = keys[reply]
    return answers


def ask_grade() -> Grade:
    from rich.prompt import Prompt

    from qaudit.domain.grades import Grade

    keys, legend = _choices()
    console = err_console()
    console.print(f"Overall grade: {legend}")
    reply = Prompt.ask("Grade", choices=list(keys), console=console)
    return Grade(keys[reply])


def ask_text(label: str) -> str | None:
    from rich.prompt import Prompt

    reply = Prompt.ask(
        f"{label} (Enter to leave blank)", default="", show_default=False, console=err_console()
    )
    return reply.strip() or None


def ask_themes(themes: tuple[Theme, ...]) -> list[str]:
    from rich.prompt import Prompt
    from rich.text import Text

    from qaudit.importers.framework import parse_theme

    console = err_console()
    console.print(Text(visible("Themes: " + ", ".join(t.id for t in themes))))
    while True:
        reply = Prompt.ask(
            "Themes, separated by commas (Enter for none)",
            default="",
            show_default=False,
            console=console,
        )
        try:
            return [parse_theme(p, themes).id for p in reply.split(",") if p.strip()]
        except ValueError as exc:
            console.print(Text(visible(str(exc)), style="red"))  # it quotes the reply

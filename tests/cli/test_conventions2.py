"""More habits of a well-made command line: confirmation before what cannot be undone,
shell completion, standard input and output as files, quiet writes for cron, human output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import Cli, snapshot, write_csv

STAFF = [["name", "role", "team"], ["Ann Auditor", "auditor", "Quality Assurance"]]
HEADER = ["case_ref", "team", "worker", "category", "open_date", "close_date", "date_of_birth"]
CASES = [HEADER, ["K1", "Team A", "Wendy Worker", "CIN", "2025-01-01", "", "2013-07-19"]]


def _ok(cli: Cli, *args: str, input: str | None = None) -> str:
    result = cli(*args, input=input)
    assert result.exit_code == 0, result.stderr
    return result.stderr


@pytest.fixture
def one_case(cli: Cli, tmp_path: Path) -> Cli:
    _ok(cli, "staff", "import", str(write_csv(tmp_path / "s.csv", STAFF)))
    _ok(cli, "cases", "import", str(write_csv(tmp_path / "c.csv", CASES)))
    return cli


def test_db_erase_without_a_terminal_needs_yes(one_case: Cli) -> None:
    before = snapshot(one_case.url)
    refused = one_case("db", "erase", "K1", "--reason", "SAR-2026-017")
    assert refused.exit_code == 1
    assert refused.stderr == (
        "Error: erasing cannot be undone: give --yes (no terminal to ask at)\n"
    )
    assert snapshot(one_case.url) == before
    _ok(one_case, "db", "erase", "K1", "--reason", "SAR-2026-017", "--yes")
    assert snapshot(one_case.url) != before


def test_db_erase_at_a_terminal_asks_first(one_case: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("qaudit.cli.db.at_terminal", lambda: True)
    before = snapshot(one_case.url)
    declined = one_case("db", "erase", "K1", "--reason", "SAR-2026-017", input="n\n")
    assert declined.exit_code == 1
    assert "Erase the personal details of K1" in declined.stderr
    assert "cannot be undone" in declined.stderr
    assert snapshot(one_case.url) == before
    agreed = one_case("db", "erase", "K1", "--reason", "SAR-2026-017", input="y\n")
    assert agreed.exit_code == 0, agreed.stderr
    assert "Erased the personal details of K1" in agreed.stderr
    assert snapshot(one_case.url) != before


def test_show_completion_prints_a_bash_script() -> None:
    from typer.testing import CliRunner

    from qaudit.cli import app

    shown = CliRunner().invoke(app, ["--show-completion", "bash"], prog_name="qaudit")
    assert shown.exit_code == 0, shown.stderr
    assert "_QAUDIT_COMPLETE" in shown.stdout
    assert "complete " in shown.stdout
    helped = CliRunner().invoke(app, ["--help"], prog_name="qaudit")
    assert "--install-completion" in helped.stdout


def _commands() -> list[tuple[str, Any]]:
    """Every command of the Click tree behind ``qaudit``, by its full name."""
    import typer.main

    from qaudit.cli import app

    root = typer.main.get_command(app)
    found: list[tuple[str, Any]] = []

    def walk(command: Any, path: list[str]) -> None:
        if hasattr(command, "list_commands"):
            ctx = type(root).context_class(command)
            for name in command.list_commands(ctx):
                walk(command.get_command(ctx, name), [*path, name])
        else:
            found.append((" ".join(path), command))

    walk(root, [])
    return found


def test_every_command_has_an_example_in_its_help() -> None:
    commands = _commands()
    assert len(commands) > 30
    lacking = [name for name, command in commands if "Example" not in (command.help or "")]
    assert lacking == []


@pytest.mark.parametrize("args", [["--help"], ["db", "restore", "--help"], ["audits", "--help"]])
def test_flags_show_no_bool_type_in_help(args: list[str]) -> None:
    from typer.testing import CliRunner

    from qaudit.cli import app

    shown = CliRunner().invoke(app, args, env={"COLUMNS": "100"})
    assert shown.exit_code == 0, shown.stderr
    assert "--help" in shown.stdout
    assert "<bool>" not in shown.stdout


def test_dates_in_messages_have_no_leading_zero(cli: Cli) -> None:
    done = cli(
        "scrutiny", "add", "--committee", "Corporate Parenting Board", "--date", "2026-12-01",
    )  # fmt: skip
    assert done.exit_code == 0, done.stderr
    assert "Tue 1 Dec 2026" in done.stderr
    assert "01 Dec" not in done.stderr

"""Start-up: the commands are loaded lazily, and ``qaudit --help`` still lists them all rightly."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer._completion_classes import BashComplete
from typer.testing import CliRunner

from qaudit.cli import app

LAZY = sys.modules["qaudit.cli.app"]  # the module (qaudit.cli.app the attribute is the Typer)
COMMAND_MODULES = sorted({entry.module for entry in LAZY.LAZY_COMMANDS.values()})


def _first_paragraph(text: str) -> str:
    return " ".join(inspect.cleandoc(text).split("\n\n")[0].split())


def _loaded_in_child(*args: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run qaudit with ``args`` in a fresh interpreter; which command modules it imported."""
    code = (
        "import sys\nfrom qaudit.cli import main\n"
        f"sys.argv = ['qaudit', *{args!r}]\n"
        "code = 0\ntry:\n    main()\nexcept SystemExit as exc:\n    code = exc.code\n"
        f"print('LOADED:' + ','.join(m for m in {COMMAND_MODULES!r} if m in sys.modules))\n"
        "sys.exit(code)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    last = out.stdout.strip().splitlines()[-1]
    assert last.startswith("LOADED:"), out.stdout + out.stderr
    return out, [m for m in last.removeprefix("LOADED:").split(",") if m]


@pytest.mark.parametrize("name", list(LAZY.LAZY_COMMANDS))
def test_the_listed_short_help_is_the_commands_own(name: str) -> None:
    command = LAZY.load_command(name)
    own = _first_paragraph(command.short_help or command.help or "")
    assert own, f"{name} has no help of its own"
    assert LAZY.LAZY_COMMANDS[name].short_help == own


def test_every_command_module_with_an_app_is_registered() -> None:
    """A new command module under cli/ is not forgotten by the lazy registry."""
    cli = Path(LAZY.__file__).parent
    helpers = {
        "action_options",
        "app",
        "coercion",
        "complaint_options",  # the complaints group's parts, registered by cli/complaints.py
        "complaint_stats",
        "complaint_steps",
        "faults",
        "grade_form",
        "grade_prompts",
        "limits",
        "output",
        "params",
        "progress",
        "state",
        "stdin",
        "table",
    }
    modules = {p.stem for p in cli.glob("*.py") if not p.stem.startswith("_")} - helpers
    registered = {entry.module.rpartition(".")[2] for entry in LAZY.LAZY_COMMANDS.values()}
    assert modules == registered


def test_the_top_level_help_is_the_same_as_with_every_command_loaded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runner = CliRunner()
    env = {"COLUMNS": "100", "TERM": "dumb"}
    lazy = runner.invoke(app, ["--help"], env=env)
    monkeypatch.setattr(LAZY.QauditGroup, "use_stand_ins", False)
    loaded = runner.invoke(app, ["--help"], env=env)
    assert lazy.exit_code == loaded.exit_code == 0
    assert lazy.stdout == loaded.stdout
    for name in LAZY.LAZY_COMMANDS:
        assert f" {name} " in lazy.stdout


def test_help_imports_no_command_module() -> None:
    out, loaded = _loaded_in_child("--help")
    assert out.returncode == 0
    assert "Usage" in out.stdout and "complaints" in out.stdout
    assert loaded == []


def test_a_command_imports_only_its_own_module(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    out, loaded = _loaded_in_child("--db", str(missing), "cases", "list")
    assert out.returncode == 1
    assert out.stderr == f"Error: no case store at {missing}: run qaudit init\n"
    assert loaded == ["qaudit.cli.cases"]
    assert not missing.exists()


def test_a_commands_own_help_loads_it_and_renders_its_markdown() -> None:
    out, loaded = _loaded_in_child("grade", "--help")
    assert out.returncode == 0
    assert "Record the audit of a case" in out.stdout
    assert "--grade" in out.stdout
    assert "`" not in out.stdout  # markdown rendered, not shown raw
    assert loaded == ["qaudit.cli.audits"]


def test_an_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["nonsense"])
    assert result.exit_code == 2
    assert "No such command 'nonsense'" in result.stderr


def _complete(args: list[str], incomplete: str) -> list[str]:
    cli = typer.main.get_command(app)
    completer = BashComplete(cli, {}, "qaudit", "_QAUDIT_COMPLETE")
    return [item.value for item in completer.get_completions(args, incomplete)]


def test_shell_completion_of_command_names_and_subcommands() -> None:
    assert _complete([], "co") == ["complaints"]
    assert set(_complete([], "")) >= set(LAZY.LAZY_COMMANDS)
    assert _complete(["cases"], "i") == ["import"]
    assert "--grade" in _complete(["grade"], "--g")

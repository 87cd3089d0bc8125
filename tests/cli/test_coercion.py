"""Options coerced without Pydantic (cli/coercion.py) give what Typer's own coercion gives:
the same value, or the same refusal, for every simple option of every command."""

from __future__ import annotations

import subprocess
import sys
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
from typer._click.core import Context
from typer._coercion import build_runtime_param
from typer.core import _TyperParameter

from qaudit.cli import coercion

LAZY = sys.modules["qaudit.cli.app"]


def _commands() -> list[Any]:
    out = []
    todo = [LAZY.load_command(name) for name in LAZY.LAZY_COMMANDS]
    from typer.main import get_command

    todo.append(get_command(LAZY.app))  # the global options
    while todo:
        command = todo.pop()
        out.append(command)
        todo.extend(getattr(command, "commands", {}).values())
    return out


def _samples(kind: Any) -> list[Any]:
    if kind is str:
        return ["text", "", " spaced ", "-"]
    if kind is bool:
        return [True, False]
    if kind is int:
        return [0, 7, "0", "42", "-1", "+3", " 5", "abc", "1.5", "٣"]
    if issubclass(kind, Enum):
        members = list(kind)
        return [*members, *(m.value for m in members), members[0].value.upper(), "bogus", ""]
    if issubclass(kind, Path):
        return ["store.db", "-", "", Path("x") / "y.db", "/tmp"]
    raise AssertionError(kind)


def _outcome(runtime: Any, value: Any, param: Any, ctx: Context) -> tuple[Any, ...]:
    try:
        return ("ok", runtime.coerce(value, param=param, ctx=ctx))
    except Exception as exc:
        return ("refused", type(exc).__name__, str(exc))


def test_every_simple_option_coerces_as_typer_does() -> None:
    compared = 0
    for command in _commands():
        ctx = Context(command)
        for param in command.params:
            if not isinstance(param, _TyperParameter):
                continue
            lean = coercion._lean(param.type_descriptor)
            if lean is None:
                continue
            real = build_runtime_param(param.type_descriptor)
            values = _samples(lean.kind)
            for value in [*values, [values[0], values[-1]]] if lean.many else values:
                assert _outcome(lean, value, param, ctx) == _outcome(real, value, param, ctx), (
                    command.name,
                    param.name,
                    value,
                )
                compared += 1
    assert compared > 500  # every command's options were looked at


def test_a_bad_option_value_is_refused_in_typers_words(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from qaudit.cli import app

    runner = CliRunner()
    db = tmp_path / "missing.db"
    for args, words in (
        (["audits", "list", "--limit", "0"], "greater than or equal to 1"),
        (["audits", "list", "--limit", "x"], "--limit"),
        (["overdue", "--kind", "bogus"], "'bogus' is not one of"),
        (["overdue", "--format", "CSV"], "'CSV' is not one of"),
    ):
        result = runner.invoke(app, ["--db", str(db), *args], env={"COLUMNS": "200"})
        assert result.exit_code == 2, (args, result.output)
        assert words in " ".join(result.stderr.split()), (args, result.stderr)
    assert not db.exists()


@pytest.mark.parametrize(
    "args",
    [["overdue"], ["audits", "list"], ["complaints", "list", "--format", "csv"]],
)
def test_the_everyday_lists_import_neither_sqlalchemy_nor_pydantic(
    tmp_path: Path, args: list[str]
) -> None:
    """What makes them fast: a test, so that an import added later does not undo it."""
    db = tmp_path / "store.db"
    init = subprocess.run(
        [sys.executable, "-m", "qaudit", "--db", str(db), "init", "-q"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert init.returncode == 0, init.stderr
    code = (
        "import sys\nfrom qaudit.cli import main\n"
        f"sys.argv = ['qaudit', '--db', {str(db)!r}, *{args!r}]\n"
        "code = 0\ntry:\n    main()\nexcept SystemExit as exc:\n    code = exc.code\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'sqlalchemy', 'sqlmodel', 'pydantic', 'pydantic_core', 'alembic'})\n"
        "print('HEAVY:' + ','.join(heavy))\nsys.exit(code)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "HEAVY:"

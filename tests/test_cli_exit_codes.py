"""Every CLI test checks the exit code of every command it runs: a command that failed must not
pass a test because its output happened to contain the text looked for.

Read from the tests' source (AST): each in-process run (`cli(...)`, a `Cli(...)` instance, a
runner's `.invoke(...)`) must have its `exit_code` looked at, be read with `.json()` (which
asserts exit code 0, or the one it is given), be handed to a helper of the same module that
looks at `exit_code`, or be returned by a helper (its callers are checked in turn)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
CHECKED_FOLDERS = ("cli",)


def _runners(function: ast.FunctionDef) -> set[str]:
    """Names that run the CLI in this function: `cli`, and any bound to `Cli(...)`."""
    names = {"cli"}
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and node.value.func.id == "Cli"
        ):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _is_run(node: ast.AST, runners: set[str]) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Name):
        return func.id in runners
    if isinstance(func, ast.Attribute):
        return func.attr == "invoke"
    return isinstance(func, ast.Call) and isinstance(func.func, ast.Name) and func.func.id == "Cli"


def _checks_exit_code(function: ast.AST) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr == "exit_code" for n in ast.walk(function))


def unchecked_runs(source: str, filename: str) -> list[str]:
    tree = ast.parse(source, filename)
    parent = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    helpers = {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and _checks_exit_code(node)
    }
    found: list[str] = []
    for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        runners = _runners(function)
        looked_at: set[str] = set()  # names whose exit_code or .json() is read, or handed on
        for node in ast.walk(function):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                if node.attr in ("exit_code", "json"):
                    looked_at.add(node.value.id)
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in helpers
            ):
                looked_at |= {a.id for a in node.args if isinstance(a, ast.Name)}
        for node in ast.walk(function):
            if not _is_run(node, runners) or parent.get(function) is None:
                continue
            up = parent[node]
            if isinstance(up, ast.Attribute) and up.attr in ("exit_code", "json"):
                continue
            if isinstance(up, ast.Return) and not function.name.startswith("test_"):
                continue
            if (
                isinstance(up, ast.Call)
                and isinstance(up.func, ast.Name)
                and up.func.id in helpers
                and node in up.args
            ):
                continue
            if isinstance(up, ast.Assign | ast.AnnAssign | ast.NamedExpr):
                targets = up.targets if isinstance(up, ast.Assign) else [up.target]
                names = {t.id for t in targets if isinstance(t, ast.Name)}
                if names and names <= looked_at:
                    continue
            found.append(f"{filename}:{node.lineno} in {function.name}: {ast.unparse(node)[:70]}")
    return found


def test_every_cli_test_checks_the_exit_code() -> None:
    found = [
        problem
        for folder in CHECKED_FOLDERS
        for path in sorted((TESTS / folder).glob("test_*.py"))
        for problem in unchecked_runs(path.read_text("utf-8"), str(path.relative_to(TESTS)))
    ]
    assert not found, "runs whose exit code no one checks:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "body",
    [
        'def test_x(cli):\n    out = cli("log")\n    assert "x" in out.stdout\n',
        'def test_x(cli):\n    assert "x" in cli("log").stdout\n',
        'def test_x(tmp_path):\n    r = CliRunner().invoke(app, ["log"])\n    assert r.stderr\n',
        'def test_x(url):\n    run = Cli(url, CliRunner())\n    assert run("log").stderr\n',
    ],
    ids=["assigned", "inline", "invoke", "cli-instance"],
)
def test_the_check_finds_a_run_whose_exit_code_is_ignored(body: str) -> None:
    assert len(unchecked_runs(body, "t.py")) == 1


@pytest.mark.parametrize(
    "body",
    [
        'def test_x(cli):\n    out = cli("log")\n    assert out.exit_code == 0\n',
        'def test_x(cli):\n    assert cli("log").exit_code == 0\n',
        'def test_x(cli):\n    assert cli("log", "--format", "json").json() == []\n',
        "def _ok(r):\n    assert r.exit_code == 0\n    return r\n"
        'def test_x(cli):\n    _ok(cli("log"))\n',
        'def _log(cli):\n    return cli("log")\n',
    ],
    ids=["assigned", "inline", "json", "helper", "returned-by-a-helper"],
)
def test_the_check_passes_a_run_whose_exit_code_is_checked(body: str) -> None:
    assert unchecked_runs(body, "t.py") == []

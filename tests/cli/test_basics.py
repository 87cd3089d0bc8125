"""The command line as a whole: help, start-up cost, global options, init and demo."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from conftest import plain, snapshot
from qaudit.cli import app
from qaudit.store.migrations import HEAD

HEAVY = ("pandas", "sqlalchemy", "sqlmodel", "alembic", "openpyxl", "matplotlib", "psycopg")


def _commands(command: Any, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    found = [(prefix, command)]
    for name, sub in getattr(command, "commands", {}).items():
        found += _commands(sub, (*prefix, name))
    return found


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys\nfrom qaudit.cli import main\nsys.argv = ['qaudit', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print('HEAVY:' + ','.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "Usage" in out.stdout
    assert out.stdout.strip().splitlines()[-1] == "HEAVY:"


@pytest.mark.parametrize("args", [["cases", "import", "--help"], ["log", "--help"]])
def test_subcommand_help_is_light_too(args: list[str]) -> None:
    code = (
        f"import sys\nfrom qaudit.cli import main\nsys.argv = ['qaudit', *{args!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print('HEAVY:' + ','.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "HEAVY:"


def test_every_command_has_help_text() -> None:
    commands = _commands(typer.main.get_command(app))
    assert len(commands) >= 9
    missing = [" ".join(path) for path, cmd in commands if not (cmd.help or "").strip()]
    assert missing == []


def test_python_dash_m_runs_the_cli() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "qaudit", "--help"], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0
    assert "Usage: python -m qaudit" in out.stdout or "Usage: qaudit" in out.stdout


def test_the_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "qaudit"
    out = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=False)
    assert out.returncode == 0 and "cases" in out.stdout


@pytest.mark.parametrize(
    ("today", "message"),
    [
        ("2026-02-30", "'2026-02-30' is not a date that exists"),
        ("26/11/2026", "is not a date (YYYY-MM-DD) or moment (YYYY-MM-DDTHH:MM)"),
    ],
)
def test_a_bad_today_is_a_usage_error(tmp_path: Path, today: str, message: str) -> None:
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "s.db"), "--today", today, "init"])
    assert result.exit_code == 2
    assert message in plain(result.stderr)
    assert not (tmp_path / "s.db").exists()


def test_today_and_user_from_the_environment(tmp_path: Path) -> None:
    env = {"QAUDIT_DB": str(tmp_path / "env.db"), "QAUDIT_TODAY": "2026-12-23T14:30",
           "QAUDIT_USER": "cron"}  # fmt: skip
    result = CliRunner().invoke(app, ["init"], env=env)
    assert result.exit_code == 0, result.stderr
    log = CliRunner().invoke(app, ["log", "--format", "json"], env=env)
    assert log.exit_code == 0, log.stderr
    event = log.stdout and __import__("json").loads(log.stdout)[0]
    assert event["actor"] == "cron"
    assert event["as_of"] == "2026-12-23T14:30:00+00:00"  # 14:30 in London in December is UTC


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[audit]\nsample_size = 'fifty'\n",
         "policy key 'audit.sample_size' must be a whole number, not 'fifty'"),
        ("[audit]\nmoderation_working_days = 1_000_000_000\n",
         "policy key 'audit.moderation_working_days' must be a whole number from 1 to 60, "
         "not 1,000,000,000"),
        ("[audit]\nsample_sise = 40\n", "unknown policy key 'audit.sample_sise'"),
        ("[audit\nsample_size = 40\n", "not valid TOML: "),
        ("[calendar]\nclosure_days = ['2026-12-32']\n",
         "policy key 'calendar.closure_days': '2026-12-32' is not a date (YYYY-MM-DD)"),
    ],
    ids=["wrong-type", "out-of-range", "unknown-key", "bad-toml", "bad-date"],
)  # fmt: skip
def test_a_bad_policy_file_is_refused(tmp_path: Path, content: str, message: str) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(content, encoding="utf-8")
    db = tmp_path / "s.db"
    result = CliRunner().invoke(app, ["--db", str(db), "--config", str(policy), "init"])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {policy}: ")
    assert message in result.stderr
    assert not db.exists()


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_policy_path_that_never_ends_is_refused_unread(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    result = CliRunner().invoke(app, ["--db", str(db), "--config", "/dev/zero", "init"])
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: /dev/zero: not a policy file: it holds more than 1 MiB, the most such a file may\n"
    )
    assert not db.exists()


def test_toml_errors_name_line_and_column(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text("[audit]\nsample_size = 40\nreaudit_weeks = = 6\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["--db", str(tmp_path / "s.db"), "--config", str(policy), "init"]
    )
    assert result.exit_code == 1
    assert "(at line 3, column 17)" in result.stderr


def test_init_creates_then_reports_up_to_date(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    first = CliRunner().invoke(app, ["--db", str(db), "init"])
    assert (first.exit_code, first.stderr) == (0, f"Created {db} (schema {HEAD})\n")
    before = snapshot(f"sqlite:///{db}")
    second = CliRunner().invoke(app, ["--db", str(db), "init"])
    assert (second.exit_code, second.stderr) == (0, f"Store up to date: {db} (schema {HEAD})\n")
    assert snapshot(f"sqlite:///{db}") == before
    assert oct(db.stat().st_mode & 0o777) == "0o600"


def test_an_unreachable_database_url_is_an_error(tmp_path: Path) -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    result = CliRunner().invoke(app, ["--database-url", url, "init"])
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: cannot connect to postgresql+psycopg://nobody@127.0.0.1:1/none"
    )


def test_a_nonsense_database_url_is_an_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--database-url", "not a url", "init"])
    assert (result.exit_code, result.stderr) == (1, "Error: 'not a url' is not a database URL\n")


def test_demo_builds_a_store_with_every_state_of_the_cycle(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--today", "2026-12-01", "demo"])
    assert result.exit_code == 0, result.stderr
    assert "Built the demo store qaudit-demo.db" in result.stderr
    assert "The 2026-12 audits on 2026-12-14" in result.stdout
    url = f"sqlite:///{Path('qaudit-demo.db').resolve()}"
    runner = CliRunner()

    def listing(*args: str) -> list[dict[str, object]]:
        out = runner.invoke(
            app, ["--database-url", url, "--today", "2026-12-14", *args, "--format", "json"]
        )
        assert out.exit_code == 0, out.stderr
        data = __import__("json").loads(out.stdout)
        assert isinstance(data, list)
        return data

    statuses = {a["status"] for a in listing("audits", "list")}
    assert statuses == {"due", "overdue", "graded", "moderation-due", "moderated"}
    reaudits = {r["status"] for r in listing("reaudits")}
    assert reaudits == {"pending", "done", "cancelled"}
    kinds = {o["kind"] for o in listing("overdue")}
    assert kinds == {"audit", "reaudit", "action", "complaint", "survey", "advocacy"}
    states = {a["state"] for a in listing("actions", "list")}
    assert states == {"open", "overdue", "done", "done late"}
    conferences = {c["status"] for c in listing("advocacy", "list")}
    assert conferences == {"provided", "not-met", "not-offered", "not-requested"}
    assert len(listing("survey", "list")) == 40
    complaints = {c["status"] for c in listing("complaints", "list")}
    assert complaints == {"open", "responded", "answered", "closed"}
    again = CliRunner().invoke(app, ["--today", "2026-12-01", "demo"])
    assert again.exit_code == 0, again.stderr  # a demo store may be rebuilt
    assert not Path("qaudit.db").exists()  # the user's own store is never touched


def test_demo_never_overwrites_a_real_store(tmp_path: Path) -> None:
    real = tmp_path / "real.db"
    assert CliRunner().invoke(app, ["--db", str(real), "init"]).exit_code == 0
    before = snapshot(f"sqlite:///{real}")
    result = CliRunner().invoke(app, ["demo", str(real)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {real} exists and is not a demo store: choose another path (qaudit demo PATH)\n"
    )
    assert snapshot(f"sqlite:///{real}") == before

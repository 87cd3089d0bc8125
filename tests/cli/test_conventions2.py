"""More habits of a well-made command line: confirmation before what cannot be undone,
shell completion, standard input and output as files, quiet writes for cron, human output."""

from __future__ import annotations

import json
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


def test_show_completion_prints_a_bash_script(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from qaudit.cli import app

    # The shell named, not detected from the processes the tests happen to run under.
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")
    shown = CliRunner().invoke(app, ["--show-completion", "bash"], prog_name="qaudit")
    assert shown.exit_code == 0, shown.stderr
    assert "_QAUDIT_COMPLETE" in shown.stdout
    assert "complete " in shown.stdout
    helped = CliRunner().invoke(app, ["--help"], prog_name="qaudit")
    assert helped.exit_code == 0
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


def test_gitignore_and_make_clean_cover_what_the_demo_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil
    import subprocess

    from typer.testing import CliRunner

    from qaudit.cli import app

    root = Path(__file__).resolve().parents[2]
    if shutil.which("git") is None or shutil.which("make") is None:
        pytest.skip("needs git and make")
    shutil.copy(root / ".gitignore", tmp_path / ".gitignore")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    monkeypatch.chdir(tmp_path)
    built = CliRunner().invoke(app, ["demo"])
    assert built.exit_code == 0, built.stderr
    (tmp_path / "qaudit-demo.fault-20261201T090000Z.txt").write_text("a fault report\n")
    written = {p.name for p in tmp_path.iterdir()} - {".git", ".gitignore"}
    assert {"qaudit-demo.db"} < written and any(n.endswith(".xlsx") for n in written)
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=tmp_path, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert status.stdout == "?? .gitignore\n"
    subprocess.run(
        ["make", "-s", "-f", str(root / "Makefile"), "clean", "VENV=.no-venv"],
        cwd=tmp_path, check=True, capture_output=True,
    )  # fmt: skip
    assert {p.name for p in tmp_path.iterdir()} == {".git", ".gitignore"}


def test_log_speaks_human_and_says_when_more_events_exist(
    one_case: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    added = one_case("scrutiny", "add", "--committee", "Board", "--resolution", "Report rates")
    assert added.exit_code == 0, added.stderr
    listed = one_case("scrutiny", "list", "--format", "json")
    resolution = listed.json()[0]["resolutions"][0]["id"]  # type: ignore[index]
    done = one_case("scrutiny", "action", str(resolution), "--status", "done", "--note", "Added")
    assert done.exit_code == 0, done.stderr
    table = one_case("log", "-n", "2")
    assert table.exit_code == 0, table.stderr
    assert "status open → done; note (none) → Added" in table.stdout
    assert "{'" not in table.stdout and "None" not in table.stdout
    assert "UTC" not in table.stdout
    assert table.stderr == "… 3 earlier events: give --limit N or --all.\n"
    every = one_case("log", "--all")
    assert every.exit_code == 0 and every.stderr == ""
    events = one_case("log", "--format", "json", "--all").json()
    assert events[-1]["action"] == "store.migrate"  # type: ignore[index]
    both = one_case("log", "--all", "--limit", "3")
    assert both.exit_code == 2


def test_times_in_tables_are_the_clock_in_england() -> None:
    from datetime import UTC, datetime

    from qaudit.cli.output import local_time

    assert local_time(datetime(2026, 7, 1, 8, 30, tzinfo=UTC)) == "2026-07-01 09:30"
    assert local_time(datetime(2026, 12, 1, 8, 30)) == "2026-12-01 08:30"


def test_yes_and_no_in_csv_true_and_false_in_json() -> None:
    import contextlib
    import io

    from qaudit.cli.output import emit_rows
    from qaudit.cli.state import Format

    json_out = '[\n{"flag": true},\n{"flag": false}\n]\n'
    for fmt, expected in ((Format.csv, "flag\nYes\nNo\n"), (Format.json, json_out)):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            emit_rows([{"flag": True}, {"flag": False}], fmt=fmt, columns=[("flag", "Flag")])
        assert out.getvalue() == expected


WRITES = {
    "init", "demo", "cases import", "staff import", "sample", "grade", "moderate",
    "complaints log", "complaints respond", "complaints letter", "complaints extend",
    "complaints escalate", "complaints next-stage", "complaints close", "survey import",
    "survey cohort", "survey review", "advocacy record", "advocacy provide", "scrutiny add",
    "scrutiny action", "report", "export", "db backup", "db restore", "db erase", "db unerase",
}  # fmt: skip


def test_every_write_command_takes_quiet() -> None:
    commands = dict(_commands())
    assert set(commands) >= WRITES
    lacking = [
        name
        for name in sorted(WRITES)
        if not any("--quiet" in p.opts and "-q" in p.opts for p in commands[name].params)
    ]
    assert lacking == []


def test_quiet_writes_say_nothing_when_all_went_well(cli: Cli, tmp_path: Path) -> None:
    before = snapshot(cli.url)
    staff = cli("staff", "import", str(write_csv(tmp_path / "s.csv", STAFF)), "--quiet")
    assert (staff.exit_code, staff.stdout, staff.stderr) == (0, "", "")
    cases = cli("cases", "import", "-q", str(write_csv(tmp_path / "c.csv", CASES)))
    assert (cases.exit_code, cases.stdout, cases.stderr) == (0, "", "")
    assert snapshot(cli.url) != before
    listed = cli("cases", "list", "--format", "json").json()
    assert [c["case_ref"] for c in listed] == ["K1"]  # type: ignore[index]
    nothing = cli("complaints", "escalate", "--overdue", "--quiet")
    assert (nothing.exit_code, nothing.stdout, nothing.stderr) == (0, "", "")
    loud = cli("complaints", "escalate", "--overdue")
    assert loud.exit_code == 0
    assert loud.stderr == "No overdue complaint left to escalate.\n"
    # Data asked for still comes; errors still say what went wrong.
    logged = cli(
        "complaints", "log", "--case", "K1", "--theme", "delay", "--summary", "Late visit",
        "--received", "2026-11-02", "--format", "json", "-q",
    )  # fmt: skip
    assert logged.exit_code == 0 and logged.stderr == ""
    assert logged.json()["case_ref"] == "K1"  # type: ignore[index]
    after = snapshot(cli.url)
    refused = cli("complaints", "respond", "NO-SUCH", "--quiet")
    assert refused.exit_code == 1
    assert refused.stderr.startswith("Error: ") and refused.stderr.count("\n") == 1
    assert snapshot(cli.url) == after


def _text(rows: list[list[str]]) -> str:
    return "".join(",".join(row) + "\n" for row in rows)


def _stdin_copies() -> set[Path]:
    import tempfile

    return set(Path(tempfile.gettempdir()).glob("qaudit-stdin-*"))


def test_imports_read_standard_input_given_as_a_dash(cli: Cli) -> None:
    before = _stdin_copies()
    staff = cli("staff", "import", "-", input=_text(STAFF))
    assert staff.exit_code == 0, staff.stderr
    assert staff.stderr.startswith("Imported <stdin>: 1 staff; 1 added")
    cases = cli("cases", "import", "-", "--format", "json", input=_text(CASES))
    assert cases.exit_code == 0, cases.stderr
    assert cases.json()["file"] == "<stdin>"  # type: ignore[index]
    assert cases.json()["added"] == 1  # type: ignore[index]
    survey = [
        ["response_id", "survey", "age_band", "received_at", "concern", "comment"],
        ["R1", "your-life-your-care", "8-11", "2026-11-30T09:00", "no", "I like my school"],
    ]
    voices = cli("survey", "import", "-", input=_text(survey))
    assert voices.exit_code == 0, voices.stderr
    assert voices.stderr == (
        "Warning: <stdin>: 1 timestamp had no time zone and was taken as Europe/London time\n"
        "Imported <stdin>: 1 responses; 1 added, 0 unchanged.\n"
    )
    listed = cli("cases", "list", "--format", "json").json()
    assert [c["case_ref"] for c in listed] == ["K1"]  # type: ignore[index]
    logged = cli("log", "--action", "cases.import", "--format", "json").json()
    assert logged[0]["entity_ref"] == "<stdin>"  # type: ignore[index]
    assert _stdin_copies() == before  # the temporary copies are gone


def test_a_bad_file_on_standard_input_is_named_stdin_with_line_and_column(cli: Cli) -> None:
    before, copies = snapshot(cli.url), _stdin_copies()
    bad = [*CASES, ["K2", "Team A", "", "CIN", "2026-13-01", "", ""]]
    refused = cli("cases", "import", "-", input=_text(bad))
    assert refused.exit_code == 1
    assert refused.stderr == (
        "Error: <stdin>, line 3, column 5 (open_date): '2026-13-01' is not a date "
        "(YYYY-MM-DD or DD/MM/YYYY)\n"
    )
    assert snapshot(cli.url) == before
    assert _stdin_copies() == copies  # removed on error too


def test_a_dash_at_a_terminal_is_refused(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("qaudit.cli.stdin.stdin_is_terminal", lambda: True)
    before = snapshot(cli.url)
    refused = cli("cases", "import", "-")
    assert refused.exit_code == 1
    assert refused.stderr.startswith("Error: '-' reads the file from standard input, and that")
    assert refused.stderr.count("\n") == 1
    assert snapshot(cli.url) == before


def test_a_temporary_copy_of_standard_input_is_private(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import stat
    import sys

    from qaudit.cli.stdin import input_file

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"a,b\n1,2\n")))
    with input_file(Path("-"), max_bytes=5) as path:
        assert path.name == "<stdin>"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert path.read_bytes() == b"a,b\n1,"  # max_bytes + 1: the size check refuses it
    assert not path.parent.exists()


def test_report_out_dash_writes_to_standard_output(
    one_case: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    csv_out = one_case("report", "audits", "--period", "2026-11", "--format", "csv", "--out", "-")
    assert csv_out.exit_code == 0, csv_out.stderr
    assert csv_out.stdout.count("\n") > 1 and "," in csv_out.stdout
    assert csv_out.stderr.startswith("Change log head ")
    xlsx = one_case.runner.invoke(
        __import__("qaudit.cli", fromlist=["app"]).app,
        ["--database-url", one_case.url, "--today", "2026-12-01", "report", "audits",
         "--period", "2026-11", "--format", "xlsx", "--out", "-"],
    )  # fmt: skip
    assert xlsx.exit_code == 0, xlsx.stderr
    assert xlsx.stdout_bytes.startswith(b"PK\x03\x04")  # a workbook, byte for byte
    monkeypatch.setattr("qaudit.cli.report.stdout_is_terminal", lambda: True)
    refused = one_case("report", "audits", "--format", "xlsx", "--out", "-")
    assert refused.exit_code == 1
    assert refused.stderr.startswith("Error: an XLSX report is binary")
    assert refused.stdout == ""
    moded = one_case("report", "audits", "--format", "csv", "--out", "-", "--mode", "0640")
    assert moded.exit_code == 1 and "standard output has none" in moded.stderr


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """The demo store, built once, and what `qaudit demo` printed (not at a terminal)."""
    from typer.testing import CliRunner

    from qaudit.cli import app

    folder = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COLUMNS", "80")
        patch.chdir(folder)
        built = CliRunner().invoke(app, ["demo"])  # as `make demo` runs it
    assert built.exit_code == 0, built.stderr
    return folder / "qaudit-demo.db", built.stdout, built.stderr


def test_the_demo_piped_reads_cleanly_at_80_columns(demo_store: tuple[Path, str, str]) -> None:
    _, out, err = demo_store
    assert "Overdue on" in out and "Built the demo store" in err
    too_long = [line for line in (out + err).splitlines() if len(line) > 80]
    assert too_long == []


# (command, JSON fields whose values must appear whole in the table, headings at 80 only with
# --wide)
TABLES = [
    (["overdue"], ["kind", "ref", "due", "days_overdue"], ["Detail"]),
    (["audits", "list"], ["audit_id", "case_ref", "due", "audit_date"], ["Auditor"]),
    (["complaints", "list"], ["ref", "received", "response_due", "case_ref"], ["Outcome"]),
    (["survey", "list"], ["response_id", "age_band", "review_due"], ["Reviewed by"]),
    (["cases", "list"], ["case_ref", "open_date", "close_date"], []),
    (["log", "--limit", "40"], ["id", "action", "entity_ref"], []),
    (["reaudits"], ["case_ref", "audit_id", "due"], []),
    (["advocacy", "list"], ["id", "case_ref", "conference_date"], []),
]


@pytest.mark.parametrize(("command", "fields", "wide_only"), TABLES)
def test_tables_fit_80_columns_without_splitting_a_ref_date_or_number(
    demo_store: tuple[Path, str, str],
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
    fields: list[str],
    wide_only: list[str],
) -> None:
    from datetime import datetime

    from typer.testing import CliRunner

    from qaudit.cli import app
    from qaudit.cli.output import local_time

    db = demo_store[0]
    monkeypatch.setenv("COLUMNS", "80")
    head = ["--db", str(db), "--today", "2026-12-14"]
    table = CliRunner().invoke(app, [*head, *command])
    assert table.exit_code == 0, table.stderr
    lines = table.stdout.splitlines()
    assert len(lines) > 4
    assert max(len(line) for line in lines) <= 80
    data = CliRunner().invoke(app, [*head, *command, "--format", "json"])
    assert data.exit_code == 0, data.stderr
    rows = json.loads(data.stdout)
    assert rows
    shown = table.stdout
    for row in rows[:40]:
        for field in fields:
            value = row.get(field)
            if value in (None, ""):
                continue
            text = str(value)
            if isinstance(value, str) and len(value) > 10 and value[10] == "T":
                text = local_time(datetime.fromisoformat(value))  # a time, as in England
            assert text in shown, (field, text)
    for heading in wide_only:
        assert f" {heading} " not in shown
    if wide_only:
        assert "--wide shows every column" in table.stderr
        wide = CliRunner().invoke(app, [*head, *command, "--wide"])
        assert wide.exit_code == 0, wide.stderr
        assert all(heading in wide.stdout for heading in wide_only)


def test_a_yes_or_no_in_a_report_csv_reads_as_such() -> None:
    from qaudit.reports.render import _csv_value

    assert (_csv_value(True), _csv_value(False), _csv_value(3), _csv_value(None)) == (
        "Yes",
        "No",
        3,
        "",
    )


def test_export_out_dash_writes_the_workbook_to_standard_output(
    one_case: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from qaudit.cli import app

    head = ["--database-url", one_case.url, "--today", "2026-12-01"]
    done = CliRunner().invoke(app, [*head, "export", "--out", "-"])
    assert done.exit_code == 0, done.stderr
    assert done.stdout_bytes.startswith(b"PK\x03\x04")
    assert "to standard output" in done.stderr
    quiet = CliRunner().invoke(app, [*head, "export", "--out", "-", "-q"])
    assert quiet.exit_code == 0 and quiet.stderr == ""
    as_csv = one_case("export", "--out", "-", "--format", "csv")
    assert as_csv.exit_code == 1
    assert as_csv.stderr == (
        "Error: a CSV export is a folder of files, one a table: --out - is for xlsx\n"
    )
    monkeypatch.setattr("qaudit.cli.report.stdout_is_terminal", lambda: True)
    refused = one_case("export", "--out", "-")
    assert refused.exit_code == 1 and refused.stdout == ""
    assert refused.stderr.startswith("Error: an XLSX workbook is binary")

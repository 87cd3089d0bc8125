"""Nothing personal leaks to the terminal, and nothing a person typed can break or drive it:
internal faults, database URLs, Rich markup, terminal controls, CSV formulas, ``--user``."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import Cli, plain, snapshot, write_csv
from qaudit.cli import app
from qaudit.store.engine import Store

SECRET = "Zebra-Quokka disclosed at school"
CASES_HEADER = ["case_ref", "team", "worker", "category", "open_date", "close_date"]


@pytest.fixture(autouse=True)
def _no_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QAUDIT_DEBUG", raising=False)  # a developer's own setting


def _sqlite(tmp_path: Path) -> Path:
    db = tmp_path / "store.db"
    result = CliRunner().invoke(app, ["--db", str(db), "init"])
    assert result.exit_code == 0, result.stderr
    return db


@pytest.fixture
def read_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A store whose every connection then refuses writes (PRAGMA query_only): an error
    qaudit does not translate, raised by SQLAlchemy with the statement's values."""
    from qaudit.store import engine

    db = _sqlite(tmp_path)

    plain_begin = engine._sqlite_begin

    def begin(conn: Any) -> None:
        plain_begin(conn)
        conn.exec_driver_sql("PRAGMA query_only = ON")

    monkeypatch.setattr(engine, "_sqlite_begin", begin)
    return db


def _reports(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.fault-*.txt"))


# --- 1. an internal fault: one line, the details in a private file --------------------------


def test_an_untranslated_database_error_is_one_line_and_a_private_report(
    tmp_path: Path, read_only: Path
) -> None:
    db = read_only
    before = snapshot(f"sqlite:///{db}")
    result = CliRunner().invoke(app, ["--db", str(db), "complaints", "log", "--summary", SECRET])
    assert result.exit_code == 1
    [report] = _reports(tmp_path)
    assert result.stderr == (
        "Error: internal fault (OperationalError in qaudit.services.complaints:log_complaint); "
        f"a full report is in {report}\n"
    )
    assert SECRET not in result.stderr + result.stdout
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    content = report.read_text()
    assert "attempt to write a readonly database" in content
    assert "Traceback (most recent call last)" in content
    assert "[SQL parameters hidden due to hide_parameters=True]" in content
    assert SECRET not in content
    assert snapshot(f"sqlite:///{db}") == before


@pytest.mark.parametrize("how", ["option", "environment"])
def test_debug_prints_the_traceback_without_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str, read_only: Path
) -> None:
    db = read_only
    head = ["--db", str(db)]
    if how == "option":
        head.append("--debug")
    else:
        monkeypatch.setenv("QAUDIT_DEBUG", "1")
    result = CliRunner().invoke(app, [*head, "complaints", "log", "--summary", SECRET])
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "[SQL parameters hidden due to hide_parameters=True]" in result.stderr
    assert result.stderr.endswith(
        "Error: internal fault (OperationalError in qaudit.services.complaints:log_complaint)\n"
    )
    assert SECRET not in result.stderr
    assert _reports(tmp_path) == []


def test_every_engine_hides_statement_parameters(db_url: str) -> None:
    store = Store(db_url)
    try:
        assert store.engine.hide_parameters is True
    finally:
        store.dispose()


def test_a_fault_after_the_command_while_closing_the_store_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = _sqlite(tmp_path)

    def broken_dispose(self: Store) -> None:
        raise RuntimeError(SECRET)

    monkeypatch.setattr(Store, "dispose", broken_dispose)
    result = CliRunner().invoke(app, ["--db", str(db), "cases", "list"])
    assert result.exit_code == 1
    [report] = _reports(tmp_path)
    assert result.stderr == (
        "0 cases\nError: internal fault (RuntimeError in qaudit.cli.state:close); "
        f"a full report is in {report}\n"
    )
    assert SECRET not in result.stderr
    assert f"RuntimeError: {SECRET}" in report.read_text()


def test_a_fault_report_goes_to_the_current_folder_when_the_stores_is_unwritable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qaudit.cli import faults

    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    try:
        raise RuntimeError(SECRET)
    except RuntimeError as exc:
        stderr = io.StringIO()
        monkeypatch.setattr(sys, "stderr", stderr)
        faults.report_fault(exc, store_path=tmp_path / "missing" / "s.db", debug=False)
    [report] = _reports(work)
    assert report.name.startswith("s.db.fault-")
    assert stderr.getvalue().endswith(f"a full report is in {report}\n")
    assert SECRET not in stderr.getvalue()


@pytest.mark.postgres
def test_a_postgresql_error_names_a_report_in_the_current_folder(pg_url: str) -> None:
    from sqlalchemy.engine import make_url

    assert Cli(pg_url, CliRunner())("init").exit_code == 0
    url = make_url(pg_url)
    options = url.query["options"] + " -cdefault_transaction_read_only=on"
    read_only = url.update_query_dict({"options": options}).render_as_string(hide_password=False)
    before = snapshot(pg_url)
    result = Cli(read_only, CliRunner())("complaints", "log", "--summary", SECRET)
    assert result.exit_code == 1
    [report] = _reports(Path.cwd())
    assert report.name.startswith("qaudit.fault-")
    assert result.stderr == (
        "Error: internal fault (InternalError in qaudit.services.complaints:log_complaint); "
        f"a full report is in {report}\n"
    )
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    content = report.read_text()
    assert "read-only transaction" in content and SECRET not in content
    assert snapshot(pg_url) == before


@pytest.mark.postgres
def test_postgresql_refusing_a_nul_byte_shows_no_values(pg_url: str) -> None:
    cli = Cli(pg_url, CliRunner())
    assert cli("init").exit_code == 0
    before = snapshot(pg_url)
    result = cli("complaints", "log", "--summary", f"{SECRET}\x00after")
    assert result.exit_code in (1, 2)  # an internal fault, or refused as bad input
    assert result.stderr.startswith("Error: ") or "Invalid value" in result.stderr
    assert "Traceback" not in result.stderr
    assert SECRET not in result.stderr + result.stdout
    assert snapshot(pg_url) == before


# --- 2. a database URL's password is never shown --------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "postgresql://qa:S3cretPw@db.example:notaport/qaudit",
            "'postgresql://qa:***@db.example:notaport/qaudit' is not a database URL",
        ),
        (
            "nosuchdb://qa:S3cretPw@db.example/qaudit",
            "'nosuchdb://qa:***@db.example/qaudit' names a database qaudit cannot use: try "
            "sqlite:///PATH or postgresql+psycopg://USER@HOST/DATABASE",
        ),
        (
            "postgresql+nosuchdriver://qa:S3cretPw@db.example/qaudit",
            "'postgresql+nosuchdriver://qa:***@db.example/qaudit' names a database qaudit "
            "cannot use: try sqlite:///PATH or postgresql+psycopg://USER@HOST/DATABASE",
        ),
        ("not a url", "'not a url' is not a database URL"),
    ],
)
def test_a_bad_database_url_is_refused_without_its_password(url: str, message: str) -> None:
    result = CliRunner().invoke(app, ["--database-url", url, "init"])
    assert (result.exit_code, result.stderr) == (1, f"Error: {message}\n")
    assert "S3cretPw" not in result.stderr
    assert list(Path.cwd().iterdir()) == []


def test_a_url_that_cannot_be_read_is_masked_between_user_and_host() -> None:
    from qaudit.store.engine import masked_url

    assert masked_url("postgresql://qa:pw@x:y@host:bad/db") == "postgresql://qa:***@host:bad/db"


# --- 3. text that looks like Rich markup is shown as written --------------------------------


MARKUP = "[/x] Board [bold]one[/bold] [link=https://evil.example]here[/link]"


def test_markup_in_a_confirmation_is_shown_literally_after_the_commit(cli: Cli) -> None:
    result = cli("scrutiny", "add", "--committee", MARKUP, "--resolution", "[/x]")
    assert result.exit_code == 0, result.stderr
    assert f"Recorded scrutiny session 1 ({MARKUP}, Tue 1 Dec 2026)" in plain(result.stderr)
    listed = cli("scrutiny", "list", "--format", "json").json()
    assert [s["committee"] for s in listed] == [MARKUP]  # type: ignore[index,union-attr]
    action = cli("scrutiny", "action", "1", "--status", "done", "--note", "[/x] [red]done")
    assert action.exit_code == 0, action.stderr
    assert "; [/x] [red]done." in plain(action.stderr)


def test_markup_in_a_csv_header_is_shown_literally_in_the_warning(cli: Cli, tmp_path: Path) -> None:
    staff = [["name", "role", "team", "[/x]"], ["Ann Auditor", "auditor", "QA", "x"]]
    result = cli("staff", "import", str(write_csv(tmp_path / "s.csv", staff)))
    assert result.exit_code == 0, result.stderr
    assert "Warning: s.csv: ignored columns qaudit does not use: [/x]" in result.stderr.replace(
        str(tmp_path) + "/", ""
    )
    names = [p["name"] for p in cli("staff", "list", "--format", "json").json()]  # type: ignore[index,union-attr]
    assert names == ["Ann Auditor"]


def test_markup_in_a_table_cell_and_title_is_shown_literally(cli: Cli) -> None:
    assert cli("scrutiny", "add", "--committee", MARKUP).exit_code == 0
    result = cli("complaints", "log", "--summary", "[/x]")
    assert result.exit_code == 0, result.stderr
    shown = cli("scrutiny", "list")
    assert shown.exit_code == 0, shown.stderr
    assert "[/x]" in shown.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--today", "[/x]", "cases", "list"],
        ["cases", "list", "--open-on", "[bold]x[/bold]"],
        ["cases", "list", "--format", "[/x]"],
        ["cases", "[/x]"],
    ],
)
def test_markup_in_a_bad_option_value_is_a_usage_error(tmp_path: Path, args: list[str]) -> None:
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "s.db"), *args])
    assert result.exit_code == 2
    assert "[/x]" in result.stderr or "[bold]x[/bold]" in result.stderr


# --- 4. terminal controls are shown, not obeyed ---------------------------------------------

CONTROLS = "Ann\x1b[2J\x1b]0;pwned\x07 \u202eevil\x9b"
SHOWN = "Ann\\x1b[2J\\x1b]0;pwned\\x07 \\u202eevil\\x9b"


def test_control_characters_in_imported_names_are_escaped_in_tables(
    cli: Cli, tmp_path: Path
) -> None:
    rows = [CASES_HEADER, ["C1", "Team A", CONTROLS, "CIN", "2026-01-05", ""]]
    assert cli("cases", "import", str(write_csv(tmp_path / "c.csv", rows))).exit_code == 0
    table = cli("cases", "list")
    assert table.exit_code == 0, table.stderr
    assert "\x1b" not in table.stdout and "\x07" not in table.stdout
    assert "\u202e" not in table.stdout and "\x9b" not in table.stdout
    assert "\\x1b[2J" in table.stdout and "\\u202e" in table.stdout
    data = cli("cases", "list", "--format", "json").json()
    assert data[0]["worker"] == CONTROLS  # type: ignore[index]  # the data itself is intact


def test_control_characters_in_messages_are_escaped(cli: Cli) -> None:
    result = cli("scrutiny", "add", "--committee", CONTROLS)
    assert result.exit_code == 0, result.stderr
    assert SHOWN in result.stderr
    assert "\x1b" not in result.stderr
    missing = cli("complaints", "show", "C-\x1b[2J\nError: forged")
    assert (missing.exit_code, missing.stderr.count("\n")) == (1, 1)
    assert "\x1b" not in missing.stderr
    assert "C-\\x1b[2J Error: forged" in missing.stderr


def test_control_characters_in_a_usage_error_are_escaped(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--today", "\x1b[2J\x1b]0;x\x07", "cases", "list"])
    assert result.exit_code == 2
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "\\x1b[2J" in result.stderr


# --- 5. CSV from list commands is safe to open in a spreadsheet -----------------------------

PAYLOADS = ['=HYPERLINK("http://x.example","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)"]


def test_list_csv_neutralises_formula_payloads(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        ",".join(CASES_HEADER)
        + "\n"
        + "".join(
            f'C{n},"{text.replace(chr(34), chr(34) * 2)}",W,CIN,2026-01-05,\n'
            for n, text in enumerate(PAYLOADS, start=1)
        )
    )
    assert cli("cases", "import", str(path)).exit_code == 0
    result = cli("cases", "list", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    got = list(csv.reader(io.StringIO(result.stdout)))
    assert [r[1] for r in got[1:]] == ["'" + text for text in PAYLOADS]
    as_json = cli("cases", "list", "--format", "json").json()
    assert [c["team"] for c in as_json] == PAYLOADS  # type: ignore[index,union-attr]


def test_csv_numbers_stay_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    from qaudit.cli.output import emit_rows
    from qaudit.cli.state import Format

    emit_rows(
        [{"n": -3, "text": "-3", "x": 2.5, "none": None, "tab": "\tx", "cr": "\ry"}],
        fmt=Format.csv,
        columns=[(k, k) for k in ("n", "text", "x", "none", "tab", "cr")],
    )
    # (A row holding a carriage return is quoted whole, so it stays one row.)
    assert capsys.readouterr().out == 'n,text,x,none,tab,cr\n"-3","\'-3","2.5","","\'\tx","\'\ry"\n'


def test_a_carriage_return_inside_a_field_stays_in_its_row(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from qaudit.cli.output import emit_rows
    from qaudit.cli.state import Format

    rows = [{"ref": "C1", "note": "first\rsecond"}, {"ref": "C2", "note": "plain"}]
    emit_rows(rows, fmt=Format.csv, columns=[("ref", "ref"), ("note", "note")])
    out = capsys.readouterr().out
    # Read as a spreadsheet would: a bare carriage return outside quotes ends a row.
    assert list(csv.reader(io.StringIO(out, newline=""))) == [
        ["ref", "note"],
        ["C1", "first\rsecond"],
        ["C2", "plain"],
    ]


# --- 6. --user is a name, not any text ------------------------------------------------------


@pytest.mark.parametrize(
    "user",
    ["bob\nforged line", "bob\x1b[2J", "[/x]", "", "   ", "x" * 101, "a;rm -rf"],
)
def test_a_user_that_is_not_a_name_is_a_usage_error(cli: Cli, user: str) -> None:
    before = snapshot(cli.url)
    result = cli("--user", user, "init")
    assert result.exit_code == 2
    message = plain(result.stderr)
    assert "Invalid value for '--user'" in message
    assert "letters, digits, spaces and . - _ ' @ only, at most 100 characters" in message
    assert "\x1b" not in result.stderr
    assert snapshot(cli.url) == before


def test_a_bad_user_in_the_environment_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QAUDIT_USER", "bob\nforged")
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "s.db"), "init"])
    assert result.exit_code == 2
    assert "QAUDIT_USER" in plain(result.stderr)
    assert not (tmp_path / "s.db").exists()


def test_a_plain_name_is_recorded_trimmed(new_db_url: str) -> None:
    cli = Cli(new_db_url, CliRunner())
    result = cli("--user", "  Zoë  O'Brien-Smith ", "init")
    assert result.exit_code == 0, result.stderr
    events = cli("log", "--format", "json").json()
    assert [e["actor"] for e in events] == ["Zoë O'Brien-Smith"]  # type: ignore[index,union-attr]
    assert cli("--user", "qa.lead@council.example", "init").exit_code == 0


def test_an_unusable_login_name_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    import getpass
    import pwd

    from qaudit.cli import state

    monkeypatch.setattr(getpass, "getuser", lambda: "bad\nname")
    real = pwd.getpwuid(os.getuid()).pw_name
    assert state.default_user() == (state.valid_user(real) or "unknown")

    class Entry:
        pw_name = "also\x1bbad"

    monkeypatch.setattr(pwd, "getpwuid", lambda uid: Entry())
    assert state.default_user() == "unknown"
    monkeypatch.setattr(getpass, "getuser", lambda: "jdoe")
    assert state.default_user() == "jdoe"


def test_json_output_is_unchanged_by_escaping(cli: Cli) -> None:
    assert cli("scrutiny", "add", "--committee", CONTROLS, "--format", "json").exit_code == 0
    listed = cli("scrutiny", "list", "--format", "json")
    assert listed.exit_code == 0, listed.stderr
    assert json.loads(listed.stdout)[0]["committee"] == CONTROLS


def test_markup_typed_at_a_prompt_is_shown_in_the_refusal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from rich.prompt import Prompt

    from qaudit.cli import grade_prompts
    from qaudit.importers.framework import Theme

    replies = iter(["[/x]\x1b[2J", "planning"])
    monkeypatch.setattr(Prompt, "ask", classmethod(lambda cls, *a, **k: next(replies)))
    themes = (Theme("planning", "Planning"), Theme("[/y]", "[bold]odd"))
    assert grade_prompts.ask_themes(themes) == ["planning"]
    shown = capsys.readouterr().err
    assert "Themes: planning, [/y]" in shown
    assert "'[/x]\\x1b[2J' is not a theme" in shown
    assert "\x1b" not in shown


def test_a_report_table_shows_names_and_text_as_written(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from datetime import date

    from qaudit.cli.report import _print_table
    from qaudit.reports.model import Column, Report, Section, Table

    table = Table(
        name="t",
        title="By team [/x]",
        columns=[Column("team", "Team [bold]"), Column("n", "Audits", "count")],
        rows=[{"team": CONTROLS, "n": 3}],
        note="[/x] note",
    )
    section = Section(
        name="audits", title="Audits", tables=[table], lists={"Strengths [/x]": ["[/x]\x1b[2J"]}
    )
    report = Report(
        kind="audits",
        title="Audits",
        period_label="2026-11",
        start=date(2026, 11, 1),
        end=date(2026, 11, 30),
        generated_on=date(2026, 12, 1),
        sections=[section],
        notes=["[/x]"],
    )
    _print_table(report)
    shown = capsys.readouterr().out
    assert "\x1b" not in shown and "\x07" not in shown
    for text in ("By team [/x]", "Team [bold]", "[/x] note", "Strengths [/x]", "[/x]\\x1b[2J"):
        assert text in shown
    assert "Ann\\x1b[2J" in shown


# --- any text at all: never a crash, never a raw control character on the terminal ---------

_FRAGMENTS = ["[/x]", "[bold]", "[link=https://e.example]", "[/]", ":smile:", "\x1b[2J"]
_UNSAFE_SHOWN = {chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]} - {"\n", "\t"} | {
    "\u202e",
    "\u2028",
}


def _hostile_text() -> st.SearchStrategy[str]:
    char = st.characters(
        blacklist_categories=("Cs",), blacklist_characters="\x00", max_codepoint=0x206F
    )
    piece = st.one_of(st.sampled_from(_FRAGMENTS), st.text(char, min_size=1, max_size=6))
    return st.lists(piece, min_size=1, max_size=6).map("".join)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=_hostile_text())
def test_any_text_is_stored_as_given_and_shown_safely(tmp_path: Path, text: str) -> None:
    db = tmp_path / "fuzz.db"
    if not db.exists():
        _sqlite_at(db)
    url = f"sqlite:///{db}"
    before = snapshot(url)
    runner = CliRunner()
    added = runner.invoke(app, ["--db", str(db), "scrutiny", "add", "--committee", text])
    assert isinstance(added.exception, SystemExit | None), added.exception
    assert added.exit_code in (0, 1, 2), added.stderr
    assert "Traceback" not in added.stderr and "internal fault" not in added.stderr
    assert not _UNSAFE_SHOWN & set(added.stderr)
    if added.exit_code != 0:
        assert snapshot(url) == before
    else:
        listed = runner.invoke(app, ["--db", str(db), "scrutiny", "list"])
        assert isinstance(listed.exception, SystemExit | None), listed.exception
        assert listed.exit_code == 0
        assert not _UNSAFE_SHOWN & set(listed.stdout)
    user = runner.invoke(app, ["--db", str(db), "--user", text, "scrutiny", "list"])
    assert isinstance(user.exception, SystemExit | None), user.exception
    assert user.exit_code in (0, 2)
    assert not _UNSAFE_SHOWN & set(user.stderr)
    missing = runner.invoke(app, ["--db", str(db), "complaints", "show", text])
    assert isinstance(missing.exception, SystemExit | None), missing.exception
    assert missing.exit_code in (1, 2)
    assert not _UNSAFE_SHOWN & set(missing.stderr)


def _sqlite_at(db: Path) -> None:
    assert CliRunner().invoke(app, ["--db", str(db), "init"]).exit_code == 0


def test_visible_and_one_line() -> None:
    from qaudit.display import one_line, visible

    shown = "a\\x1b[2J\tb\nc\\u202e\\x9b\\x7f\\u2028"
    assert visible("a\x1b[2J\tb\nc\u202e\x9b\x7f\u2028") == shown
    assert visible("Zoë O'Brien — Team A") == "Zoë O'Brien — Team A"
    assert one_line("a\x1b\tb \r\n  c\u2029d") == "a\\x1b\tb c d"


def test_a_connection_refused_for_a_bad_option_is_one_line_without_the_password(
    tmp_path: Path,
) -> None:
    url = "postgresql+psycopg://clerk:s3cret@127.0.0.1:5432/test?bogus_option=1"
    result = CliRunner().invoke(app, ["--database-url", url, "cases", "list"])
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: cannot connect to postgresql+psycopg://clerk:***@127.0.0.1:5432/test"
        '?bogus_option=1: invalid connection option "bogus_option"\n'
    )
    assert not list(tmp_path.glob("*fault*"))  # a refusal, not an internal fault


def test_text_the_terminal_cannot_encode_is_escaped_not_a_fault(tmp_path: Path) -> None:
    """Under a Latin-1 or ASCII locale an emoji cannot be written: it is shown as its escape,
    and a confirmation naming it cannot fail after the change is committed."""
    import subprocess

    import qaudit

    db = tmp_path / "store.db"
    cases = [CASES_HEADER, ["C1", "Team 🌈 Ωmega", "Ann", "CIN", "2026-01-05", ""]]
    assert CliRunner().invoke(app, ["--db", str(db), "init"]).exit_code == 0
    assert (
        CliRunner()
        .invoke(
            app, ["--db", str(db), "cases", "import", str(write_csv(tmp_path / "c.csv", cases))]
        )
        .exit_code
        == 0
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(qaudit.__file__).parents[1]),  # this checkout's qaudit
        "PYTHONIOENCODING": "latin-1",
        "QAUDIT_TODAY": "2026-12-01",
    }

    def run(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "qaudit", "--db", str(db), *args],
            env=env, capture_output=True, check=False, timeout=60,
        )  # fmt: skip

    listed = run("cases", "list", "--format", "csv")
    assert listed.returncode == 0, listed.stderr
    assert b"C1,Team \\U0001f308 \\u03a9mega,Ann" in listed.stdout
    added = run("scrutiny", "add", "--committee", "Scrutiny 🌈", "--resolution", "Report 🌈")
    assert added.returncode == 0, added.stderr
    assert b"internal fault" not in added.stderr
    stored = CliRunner().invoke(app, ["--db", str(db), "scrutiny", "list", "--format", "json"])
    assert stored.exit_code == 0, stored.stderr
    assert "Scrutiny 🌈" in stored.stdout  # committed, and stored as given

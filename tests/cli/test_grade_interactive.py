"""``qaudit grade`` at a terminal, driven through a real pseudo-terminal: checks before the first
question, choices shown and re-asked, a theme's typo, the summary and confirm, and the draft
that a refused save, Ctrl-C or a failed save leaves (0600) and the next run resumes."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import stat
import sys
import time
from pathlib import Path

import pytest

from conftest import Cli, write_csv

STAFF = [
    ["name", "role", "team"],
    ["Ann Auditor", "auditor", "Quality Assurance"],
    ["Kiran Evans", "auditor", "Quality Assurance"],
    ["Tess Manager", "team_manager", "Team A"],
    ["Hal Head", "head_of_service", "Team A"],
]
CASES = [
    ["case_ref", "team", "worker", "category", "open_date", "close_date"],
    ["K1", "Team A", "", "CIN", "2025-01-01", ""],
    ["K2", "Team A", "", "CP", "2025-01-01", ""],
]
FRAMEWORK = """\
[framework]
name = "Test framework"
version = "1"

[[area]]
id = "records"
title = "Records"

[[area.question]]
id = "plan-on-file"
text = "Is the plan on file?"

[[area.question]]
id = "visits"
text = "Were visits in time?"

[[area]]
id = "impact"
title = "Impact"

[[area.question]]
id = "child-better-off"
text = "Is the child better off?"
"""
STEPS = 3 + 6  # three questions; grade, strengths, development, themes, family feedback, actions
TODAY = "2026-12-03"
TIMEOUT_S = 30.0  # per expected prompt: generous for a loaded machine; met in well under 1 s
ANSWER = "Enter to skip: "  # the end of a framework question's prompt
ACTION = "Action (what;owner;due), or Enter to finish: "


class Terminal:
    """``qaudit`` running at a pseudo-terminal: read until a text shows, type a line."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: qaudit, its terminal the pty (Ctrl-C reaches it)
            try:
                # As a shell starts a command: Ctrl-C as the default. A test runner's worker
                # may ignore SIGINT, and an ignored signal stays ignored across exec (Python
                # then installs no KeyboardInterrupt): the child would never see Ctrl-C.
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
        self.screen = b""
        self.mark = 0  # where the next expect starts reading
        self.code: int | None = None

    def _read(self, deadline: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # the child has gone and the pty is closed
            return False
        self.screen += chunk
        return bool(chunk)

    def expect(self, text: str) -> None:
        deadline = time.monotonic() + TIMEOUT_S
        while (found := self.screen.find(text.encode(), self.mark)) < 0:
            if time.monotonic() > deadline or not self._read(deadline):
                raise AssertionError(f"{text!r} never showed; the screen:\n{self.text[-3000:]}")
        self.mark = found + len(text.encode())

    def send(self, line: str) -> None:
        os.write(self.fd, line.encode() + b"\r")

    def reply(self, prompt: str, line: str) -> None:
        self.expect(prompt)
        self.send(line)

    def ctrl_c(self) -> None:
        # Pressed once the form waits at its prompt, as a person would after reading it.
        self._until_waiting()
        os.write(self.fd, b"\x03")

    def _until_waiting(self) -> None:
        """Until the child is blocked reading its terminal (Linux: /proc/PID/syscall starts
        with read's number, 0 on x86-64, 63 on arm64), for at most a second."""
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            try:
                call = Path(f"/proc/{self.pid}/syscall").read_text().split(" ", 1)[0]
            except OSError:
                return
            if call in ("0", "63"):
                return
            time.sleep(0.01)

    def wait(self) -> int:
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline and self._read(deadline):
            pass
        while True:  # never wait for ever: a child still there at the deadline is a failure
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
                os.close(self.fd)
                raise AssertionError(f"qaudit never ended; the screen:\n{self.text[-3000:]}")
            time.sleep(0.05)
        os.close(self.fd)
        self.code = os.waitstatus_to_exitcode(status)
        return self.code

    @property
    def text(self) -> str:
        return self.screen.decode(errors="replace").replace("\r\n", "\n")

    @property
    def since_mark(self) -> str:
        return self.screen[self.mark :].decode(errors="replace").replace("\r\n", "\n")


# Each test here runs qaudit as a process at a pseudo-terminal, a second or two apiece: they
# run on SQLite, and these on PostgreSQL too (a draft's place for a store with no file, and
# the save through the server). What a grade writes is tested on both stores elsewhere.
ON_BOTH = frozenset(
    {
        "test_a_wrong_answer_is_asked_again_and_the_audit_saved",
        "test_ctrl_c_keeps_a_draft_and_the_next_run_resumes_it",
    }
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "new_db_url" in metafunc.fixturenames:
        both = metafunc.function.__name__ in ON_BOTH
        metafunc.parametrize(
            "new_db_url",
            ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
            if both
            else ["sqlite"],
            indirect=True,
        )


@pytest.fixture
def new_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """As tests/conftest.py's, on the backends ``pytest_generate_tests`` chose."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return str(request.getfixturevalue("pg_url"))


def _qaudit_program() -> list[str]:
    installed = Path(sys.executable).parent / "qaudit"
    return [str(installed)] if installed.exists() else [sys.executable, "-m", "qaudit"]


@pytest.fixture
def office(cli: Cli, tmp_path: Path) -> Cli:
    """Staff, two Team A cases, December's sample (K1 or K2, allocated) and a small framework."""
    (tmp_path / "framework.toml").write_text(FRAMEWORK, encoding="utf-8")
    (tmp_path / "policy.toml").write_text(
        f'[audit]\nframework = "{tmp_path / "framework.toml"}"\n', encoding="utf-8"
    )
    assert cli("staff", "import", str(write_csv(tmp_path / "s.csv", STAFF))).exit_code == 0
    assert cli("cases", "import", str(write_csv(tmp_path / "c.csv", CASES))).exit_code == 0
    drawn = cli("sample", "--month", "2026-12", "--size", "1", "--seed", "7", "--format", "json")
    assert drawn.exit_code == 0, drawn.stderr
    return cli


def _sampled(office: Cli) -> tuple[str, str]:
    listed = office("audits", "list", "--format", "json", today=TODAY).json()
    assert isinstance(listed, list) and len(listed) == 1
    return listed[0]["case_ref"], listed[0]["auditor"]


def _other(case: str) -> str:
    return "K2" if case == "K1" else "K1"


def _start(office: Cli, tmp_path: Path, *args: str) -> Terminal:
    env = {
        **os.environ,
        "COLUMNS": "200",
        "LINES": "50",
        "TERM": "dumb",
        "NO_COLOR": "1",
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "QAUDIT_CONFIG": str(tmp_path / "policy.toml"),
    }
    argv = [*_qaudit_program(), "--database-url", office.url, "--today", TODAY, "grade", *args]
    return Terminal(argv, env)


def _drafts(tmp_path: Path) -> list[Path]:
    return sorted(
        p
        for p in tmp_path.rglob("*.json")
        if p.parent.name in (".qaudit-drafts", "drafts") and not p.name.startswith(".")
    )


def _audits(office: Cli) -> list[tuple[str, str]]:
    listed = office("audits", "list", "--status", "graded", "--format", "json", today=TODAY)
    return [(a["case_ref"], a["grade"]) for a in listed.json()]  # type: ignore[union-attr]


def _answer_all(
    t: Terminal, *, development: str = "Plan lacks dates", action: str | None = ""
) -> None:
    t.reply(ANSWER, "2")
    t.reply(ANSWER, "n")
    t.reply(ANSWER, "")
    t.reply("Overall grade [1 Outstanding / 2 Good / 3 Requires improvement / 4 Inadequate]: ", "3")
    t.reply("What is working well (Enter to leave blank): ", "Child seen alone")
    t.reply("Areas for development: ", development)
    t.reply("Themes, separated by commas (Enter for none): ", "planning")
    t.reply("What the child and family said (Enter to leave blank): ", "She felt heard")
    if action is not None:
        t.reply(ACTION, action)


def test_checks_come_before_the_first_question(office: Cli, tmp_path: Path) -> None:
    """An unknown case, a case with no audit due, an auditor in the case's own team: refused
    (exit 1) before anything is asked, and no draft made."""
    case, _ = _sampled(office)
    for args, message in [
        (["K9"], "Error: no case 'K9' in the store"),
        ([_other(case)], f"Error: case {_other(case)} has no audit due"),
        ([case, "--auditor", "Tess Manager"], "Error: Tess Manager is in the case's own team"),
    ]:
        t = _start(office, tmp_path, *args)
        assert t.wait() == 1, t.text
        assert message in t.text
        assert ANSWER not in t.text and "Overall grade" not in t.text
    assert _drafts(tmp_path) == []


def test_a_wrong_answer_is_asked_again_and_the_audit_saved(office: Cli, tmp_path: Path) -> None:
    """The allocated auditor is the default; each prompt shows its choices; a wrong answer is
    re-asked saying what is allowed; numbers, slugs and labels in any case are accepted; a
    grade of Requires improvement needs areas for development; the summary, then saved."""
    case, allocated = _sampled(office)
    t = _start(office, tmp_path, case, "--format", "json")
    t.expect(f"Auditor: {allocated} (allocated")
    t.expect("1. Is the plan on file?")
    t.reply("[1 Outstanding / 2 Good / 3 Requires improvement / 4 Inadequate / n n/a]", "excelent")
    t.expect("'excelent' is not an answer: type 1, 2, 3 or 4, the grade's name, n for not ")
    t.reply(ANSWER, "GOOD")
    t.reply(ANSWER, "requires improvement")
    t.reply(ANSWER, "N/A")
    t.reply("Overall grade", "great")
    t.expect("'great' is not a grade: type 1, 2, 3 or 4")
    t.reply("Overall grade", "Requires Improvement")
    t.reply("What is working well", "")
    t.reply("Areas for development: ", "")
    t.expect("An audit graded Requires improvement to be good needs its areas for development")
    t.reply("Areas for development: ", "Plan lacks dates")
    t.reply("Themes", "")
    t.reply("What the child and family said", "")
    t.reply(ACTION, "")  # no action
    t.expect("Audit of " + case)  # the summary
    t.expect("Requires improvement to be good")
    t.reply("Save this audit? [Y/n]: ", "")
    assert t.wait() == 0, t.text
    assert json.loads(t.text[t.text.index("{") : t.text.rindex("}") + 1])["case_ref"] == case
    assert _audits(office) == [(case, "requires-improvement")]
    assert _drafts(tmp_path) == []
    log = office("log", "--action", "audit.grade", "--format", "json", today=TODAY).json()
    assert log[0]["after"]["auditor"] == allocated  # type: ignore[index]


def test_actions_are_checked_as_typed_and_kept_in_the_draft(office: Cli, tmp_path: Path) -> None:
    """An action's owner mistyped: said so with the nearest name, asked again; one set is in
    the draft at once, so Ctrl-C keeps it; resumed, it is offered, shown in the summary and
    recorded with the audit."""
    case, _ = _sampled(office)
    t = _start(office, tmp_path, case)
    _answer_all(t, action=None)
    t.reply(ACTION, "Update the plan;Tess Manger;2026-12-20")
    t.expect("no staff member named 'Tess Manger' to own the action (did you mean Tess Manager?)")
    t.reply(ACTION, "Update the plan;Tess Manager;2026-12-01")
    t.expect("the action 'Update the plan' is due on 2026-12-01, before it is set on 2026-12-03")
    t.reply(ACTION, "Update the plan;tess manager;2026-12-20")
    t.expect("Action set: Tess Manager, due 2026-12-20.")
    t.expect(ACTION)
    t.ctrl_c()
    assert t.wait() == 130, t.text
    [draft] = _drafts(tmp_path)
    assert json.loads(draft.read_text(encoding="utf-8"))["actions"] == [
        {"text": "Update the plan", "owner": "Tess Manager", "due": "2026-12-20"}
    ]
    again = _start(office, tmp_path, case)
    again.reply("(8 of 9 answered)? [Y/n]: ", "")
    again.expect("Actions so far: Update the plan (Tess Manager, due 2026-12-20).")
    again.reply("Keep it? [Y/n]: ", "")
    again.reply(ACTION, "")
    again.expect("Update the plan (Tess Manager, due 2026-12-20)")  # the summary
    again.reply("Save this audit? [Y/n]: ", "")
    assert again.wait() == 0, again.text
    assert "Set 1 action: 1 (Tess Manager, due Sun 20 Dec 2026)." in again.text
    listed = office("actions", "list", "--format", "json", today=TODAY).json()
    assert [(a["case_ref"], a["text"], a["owner"]) for a in listed] == [  # type: ignore[union-attr,index]
        (case, "Update the plan", "Tess Manager")
    ]
    assert _drafts(tmp_path) == []


def test_a_reaudit_shows_the_first_audits_actions_first(office: Cli, tmp_path: Path) -> None:
    """Before the first question of a re-audit: what the Inadequate audit asked, and whether
    each was done."""
    case, _ = _sampled(office)
    first = office(
        "grade", _other(case), "--grade", "inadequate", "--adhoc", "--auditor", "Ann Auditor",
        "--development", "No plan", "--action", "Write the plan;Tess Manager;2026-12-02",
        "--format", "json", today="2026-12-01",
    )  # fmt: skip
    assert first.exit_code == 0, first.stderr
    audit_id = first.json()["audit_id"]  # type: ignore[index]
    t = _start(office, tmp_path, _other(case))
    t.expect("it completes the re-audit")
    t.expect(f"Actions from audit {audit_id}: 0 of 1 done.")
    t.expect("1. Write the plan (Tess Manager, due Wed 2 Dec 2026): overdue")
    t.expect(ANSWER)
    t.ctrl_c()
    assert t.wait() == 130, t.text


def test_a_theme_typo_is_offered_the_nearest_theme(office: Cli, tmp_path: Path) -> None:
    case, _ = _sampled(office)
    t = _start(office, tmp_path, case)
    for _ in range(3):
        t.reply(ANSWER, "")
    t.reply("Overall grade", "2")
    t.reply("What is working well", "")
    t.reply("Areas for development", "")
    t.reply("Themes", "planing, Voice of the child")
    t.reply("'planing' is not a theme. Did you mean 'planning'? [Y/n]: ", "y")
    t.reply("What the child and family said", "")
    t.reply(ACTION, "")  # no action
    t.reply("Save this audit? [Y/n]: ", "y")
    assert t.wait() == 0, t.text
    log = office("log", "--action", "audit.grade", "--format", "json", today=TODAY).json()
    assert log[0]["after"]["themes"] == ["planning", "voice-of-the-child"]  # type: ignore[index]


def test_a_refused_save_keeps_a_private_draft(office: Cli, tmp_path: Path) -> None:
    """Answering n to the save (and changing nothing) records nothing, keeps the answers in a
    0600 draft named by store, case and month only, and exits 0: the auditor's own choice."""
    case, _ = _sampled(office)
    t = _start(office, tmp_path, case)
    _answer_all(t)
    t.reply("Save this audit? [Y/n]: ", "n")
    t.reply("Change an answer? Its number, or Enter to keep the draft: ", "")
    assert t.wait() == 0, t.text
    assert "Not saved. Your answers are in the draft" in t.text
    assert _audits(office) == []
    [draft] = _drafts(tmp_path)
    assert stat.S_IMODE(draft.stat().st_mode) == 0o600
    assert stat.S_IMODE(draft.parent.stat().st_mode) == 0o700
    assert draft.name.endswith(f"-{case}-2026-12.json")
    assert "Child" not in draft.name and "Ann" not in draft.name
    kept = json.loads(draft.read_text(encoding="utf-8"))
    assert kept["answers"] == {"plan-on-file": "good", "visits": "not-applicable"}
    assert (kept["grade"], kept["development"]) == ("requires-improvement", "Plan lacks dates")
    assert str(draft) in t.text.replace("\n", "")


def test_ctrl_c_keeps_a_draft_and_the_next_run_resumes_it(office: Cli, tmp_path: Path) -> None:
    case, _ = _sampled(office)
    t = _start(office, tmp_path, case)
    t.reply(ANSWER, "1")
    t.reply(ANSWER, "4")
    t.expect(ANSWER)
    t.ctrl_c()
    assert t.wait() == 130, t.text
    assert "Error: interrupted; the audit was not recorded. Your answers are in the draft" in (
        t.text
    )
    [draft] = _drafts(tmp_path)
    assert stat.S_IMODE(draft.stat().st_mode) == 0o600
    assert json.loads(draft.read_text(encoding="utf-8"))["answers"] == {
        "plan-on-file": "outstanding",
        "visits": "inadequate",
    }
    assert _audits(office) == []

    again = _start(office, tmp_path, case)
    again.reply("(2 of 9 answered)? [Y/n]: ", "")
    again.expect("3. Is the child better off?")  # the first two are not asked again
    again.reply(ANSWER, "good")
    again.reply("Overall grade", "inadequate")
    again.reply("What is working well", "")
    again.reply("Areas for development: ", "Visits missed")
    again.reply("Themes", "")
    again.reply("What the child and family said", "")
    again.reply(ACTION, "")  # no action
    again.reply("Save this audit? [Y/n]: ", "Y")
    assert again.wait() == 0, again.text
    assert "Is the plan on file?" not in again.text.split("Save this audit?")[0].split("Impact")[0]
    listed = office("audits", "list", "--format", "json", today=TODAY).json()
    assert [(a["case_ref"], a["grade"], a["status"]) for a in listed] == [  # type: ignore[union-attr,index]
        (case, "inadequate", "moderation-due")
    ]
    assert _drafts(tmp_path) == []
    import sqlite3

    if office.url.startswith("sqlite"):
        with sqlite3.connect(office.url.removeprefix("sqlite:///")) as conn:
            (answers,) = conn.execute("SELECT answers FROM audits").fetchone()
        assert json.loads(answers) == {
            "plan-on-file": "outstanding",
            "visits": "inadequate",
            "child-better-off": "good",
        }


def test_a_save_that_fails_keeps_the_draft(office: Cli, tmp_path: Path) -> None:
    """The case graded meanwhile (someone else, another way): the save is refused with the
    rule, exit 1, and the answers are in the draft."""
    case, allocated = _sampled(office)
    t = _start(office, tmp_path, case)
    _answer_all(t)
    t.expect("Save this audit? [Y/n]: ")
    other = office("grade", case, "--grade", "good", "--auditor", allocated, today=TODAY)
    assert other.exit_code == 0, other.stderr
    t.send("")
    assert t.wait() == 1, t.text
    assert f"case {case}'s sample item for 2026-12 was already graded" in t.text
    assert "Not saved. Your answers are in the draft" in t.text
    [draft] = _drafts(tmp_path)
    assert json.loads(draft.read_text(encoding="utf-8"))["strengths"] == "Child seen alone"


def test_an_unallocated_case_asks_who_audited_it(office: Cli, tmp_path: Path) -> None:
    """An ad hoc audit has no allocated auditor: the staff who may audit are listed (not the
    case's own team) and the auditor picked by number or name."""
    case, _ = _sampled(office)
    t = _start(office, tmp_path, _other(case), "--adhoc")
    t.expect("Staff who may audit it:")
    t.expect("1 Ann Auditor")
    t.expect("2 Kiran Evans")
    t.reply("Auditor (number or name): ", "Tess Manager")
    t.expect("'Tess Manager' is not one of them")
    t.reply("Auditor (number or name): ", "kiran evans")
    for _ in range(3):
        t.reply(ANSWER, "")
    t.reply("Overall grade", "1")
    t.reply("What is working well", "")
    t.reply("Areas for development", "")
    t.reply("Themes", "")
    t.reply("What the child and family said", "")
    t.reply(ACTION, "")  # no action
    t.reply("Save this audit? [Y/n]: ", "")
    assert t.wait() == 0, t.text
    log = office("log", "--action", "audit.grade", "--format", "json", today=TODAY).json()
    assert log[0]["after"]["auditor"] == "Kiran Evans"  # type: ignore[index]


def test_ctrl_d_keeps_a_draft_too(office: Cli, tmp_path: Path) -> None:
    """The input ended (Ctrl-D) after an answer: exit 1, the answers in the draft."""
    case, _ = _sampled(office)
    t = _start(office, tmp_path, case)
    t.reply(ANSWER, "2")
    t.expect(ANSWER)
    os.write(t.fd, b"\x04")
    assert t.wait() == 1, t.text
    assert "Error: the input ended before the audit was saved; the audit was not recorded." in (
        t.text
    )
    [draft] = _drafts(tmp_path)
    assert json.loads(draft.read_text(encoding="utf-8"))["answers"] == {"plan-on-file": "good"}


def test_ctrl_c_before_any_answer_writes_nothing(office: Cli, tmp_path: Path) -> None:
    case, _ = _sampled(office)
    t = _start(office, tmp_path, case)
    t.expect(ANSWER)
    t.ctrl_c()
    assert t.wait() == 130, t.text
    assert "Error: interrupted; nothing was written" in t.text
    assert _drafts(tmp_path) == []


def test_the_shipped_framework_is_asked_area_by_area(cli: Cli, tmp_path: Path) -> None:
    """The default framework (36 questions): the area headings, the grade labels, the answers
    stored as slugs; the texts and a theme."""
    assert cli("staff", "import", str(write_csv(tmp_path / "s.csv", STAFF))).exit_code == 0
    assert cli("cases", "import", str(write_csv(tmp_path / "c.csv", CASES))).exit_code == 0
    (tmp_path / "policy.toml").write_text("", encoding="utf-8")
    t = _start(cli, tmp_path, "K1", "--auditor", "Ann Auditor", "--adhoc")
    t.expect("Statutory documentation")
    t.reply(ANSWER, "2")
    t.reply(ANSWER, "n")
    for _ in range(34):
        t.reply(ANSWER, "")
    t.reply("Overall grade", "3")
    t.reply("What is working well", "Child seen alone")
    t.reply("Areas for development: ", "Plan lacks dates")
    t.reply("Themes", "planning")
    t.reply("What the child and family said", "She felt heard")
    t.reply(ACTION, "")  # no action
    t.reply("Save this audit? [Y/n]: ", "")
    assert t.wait() == 0, t.text
    assert "Requires improvement to be good" in t.text
    log = cli("log", "--action", "audit.grade", "--format", "json", today=TODAY).json()
    assert log[0]["after"]["themes"] == ["planning"]  # type: ignore[index]
    if cli.url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(cli.url.removeprefix("sqlite:///")) as conn:
            answers, strengths, feedback, views = conn.execute(
                "SELECT answers, strengths, family_feedback, views_gathered FROM audits"
            ).fetchone()
        assert json.loads(answers) == {
            "assessment-current": "good",
            "plan-on-file": "not-applicable",
        }
        assert (strengths, feedback, views) == ("Child seen alone", "She felt heard", 1)


@pytest.mark.parametrize(
    ("typed", "slug"),
    [
        ("1", "outstanding"),
        ("2", "good"),
        ("good", "good"),
        ("Good", "good"),
        (" GOOD ", "good"),
        ("3", "requires-improvement"),
        ("requires improvement", "requires-improvement"),
        ("Requires improvement to be good", "requires-improvement"),
        ("requires-improvement", "requires-improvement"),
        ("4", "inadequate"),
        ("Inadequate", "inadequate"),
        ("n", "not-applicable"),
        ("N", "not-applicable"),
        ("n/a", "not-applicable"),
        ("not applicable", "not-applicable"),
        ("", None),
    ],
)
def test_an_answer_is_its_number_slug_or_label(typed: str, slug: str | None) -> None:
    from qaudit.cli.grade_prompts import parse_answer_reply

    assert parse_answer_reply(typed) == slug


@pytest.mark.parametrize("typed", ["5", "0", "excellent", "goood", "y"])
def test_a_wrong_answer_says_what_is_allowed(typed: str) -> None:
    from qaudit.cli.grade_prompts import parse_answer_reply

    with pytest.raises(ValueError, match=r"is not an answer: type 1, 2, 3 or 4"):
        parse_answer_reply(typed)


@pytest.mark.parametrize(
    ("typed", "nearest"),
    [
        ("planing", "planning"),
        ("voice of the chld", "voice-of-the-child"),
        ("Timelyness", "timeliness"),
        ("management oversite", "management-oversight"),
        ("zzzz", None),
    ],
)
def test_a_mistyped_theme_is_offered_the_nearest(typed: str, nearest: str | None) -> None:
    from qaudit.cli.grade_prompts import nearest_theme
    from qaudit.importers.framework import load_themes
    from qaudit.paths import data_dir

    found = nearest_theme(typed, load_themes(data_dir() / "themes.toml"))
    assert (found.id if found else None) == nearest


def test_a_store_gone_at_the_save_keeps_the_draft(office: Cli, tmp_path: Path) -> None:
    """The store cannot be reached when the auditor saves (here: its file moved away; on a
    network drive, the share gone): exit 1 with the store's error, the answers in the draft."""
    if not office.url.startswith("sqlite"):
        pytest.skip("a SQLite store's file is moved away")
    case, _ = _sampled(office)
    store = Path(office.url.removeprefix("sqlite:///"))
    t = _start(office, tmp_path, case)
    _answer_all(t)
    t.expect("Save this audit? [Y/n]: ")
    store.rename(tmp_path / "moved.db")
    t.send("y")
    assert t.wait() == 1, t.text
    assert "Error: " in t.text and "Traceback" not in t.text
    assert "Not saved. Your answers are in the draft" in t.text
    [draft] = _drafts(tmp_path)
    assert json.loads(draft.read_text(encoding="utf-8"))["grade"] == "requires-improvement"


def test_a_declined_draft_is_replaced_and_gone_once_saved(office: Cli, tmp_path: Path) -> None:
    case, _ = _sampled(office)
    t = _start(office, tmp_path, case)
    t.reply(ANSWER, "1")
    t.expect(ANSWER)
    t.ctrl_c()
    assert t.wait() == 130, t.text
    assert len(_drafts(tmp_path)) == 1
    again = _start(office, tmp_path, case)
    again.reply("(1 of 9 answered)? [Y/n]: ", "n")
    again.expect("Starting afresh")
    again.expect("1. Is the plan on file?")  # asked again: the draft was not taken up
    again.reply(ANSWER, "4")
    again.reply(ANSWER, "")
    again.reply(ANSWER, "")
    again.reply("Overall grade", "2")
    again.reply("What is working well", "")
    again.reply("Areas for development", "")
    again.reply("Themes", "")
    again.reply("What the child and family said", "")
    again.reply(ACTION, "")  # no action
    again.reply("Save this audit? [Y/n]: ", "yes")
    assert again.wait() == 0, again.text
    assert _audits(office) == [(case, "good")]
    assert _drafts(tmp_path) == []


def test_a_draft_resumed_keeps_only_what_the_framework_still_holds() -> None:
    """A council changed its framework or themes since the draft: what is gone is dropped and,
    for the grade, asked again."""
    from datetime import date

    from qaudit.cli.grade_form import _fit
    from qaudit.drafts import Draft
    from qaudit.importers.framework import Area, Framework, Question, Theme

    framework = Framework("F", "1", (Area("a", "A", (Question("kept", "a", "Kept?", None),)),))
    draft = Draft(
        case_ref="K1",
        audit_date=date(2026, 12, 3),
        answers={"kept": "good", "gone": "good"},
        grade="excellent",
        themes=["planning", "vibes"],
        done=["q:kept", "q:gone", "grade", "themes"],
    )
    _fit(draft, framework, (Theme("planning", "Planning"),))
    assert draft.answers == {"kept": "good"}
    assert (draft.grade, draft.themes, draft.done) == (None, ["planning"], ["q:kept", "themes"])

"""``qaudit grade`` at a terminal asks for what is missing, a framework question at a time."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from conftest import write_csv

STAFF = [["name", "role", "team"], ["Ann Auditor", "auditor", "Quality Assurance"]]
CASES = [
    ["case_ref", "team", "worker", "category", "open_date", "close_date"],
    ["K1", "Team A", "", "CIN", "2025-01-01", ""],
]


def _qaudit(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qaudit", "--db", str(db), *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_auditor_is_asked_one_question_at_a_time(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    assert _qaudit(db, "init").returncode == 0
    assert _qaudit(db, "staff", "import", str(write_csv(tmp_path / "s.csv", STAFF))).returncode == 0
    assert _qaudit(db, "cases", "import", str(write_csv(tmp_path / "c.csv", CASES))).returncode == 0
    # Answer the first framework question Good (2), the second not applicable (n), skip the
    # rest; then the overall grade Requires improvement (3), the texts and a theme.
    replies = (
        ["2", "n"]
        + [""] * 34
        + ["3", "Child seen alone", "Plan lacks dates", "planning", "She felt heard"]
    )
    pid, fd = pty.fork()
    if pid == 0:  # the child: qaudit at a terminal
        os.execvp(
            sys.executable,
            [
                sys.executable,
                "-m",
                "qaudit",
                "--db",
                str(db),
                "--today",
                "2026-12-01",
                "grade",
                "K1",
                "--auditor",
                "Ann Auditor",
                "--adhoc",
                "--format",
                "json",
            ],
        )
    screen = b""
    deadline = time.monotonic() + 60
    sent = 0
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            screen += chunk
            # Each prompt ends with ": " once Rich has drawn it: answer it.
            while sent < len(replies) and screen.count(b": ") > sent:
                os.write(fd, replies[sent].encode() + b"\r")
                sent += 1
    _, status = os.waitpid(pid, 0)
    text = screen.decode(errors="replace")
    assert os.waitstatus_to_exitcode(status) == 0, text[-2000:]
    assert "Statutory documentation" in text  # the first area's heading
    assert "Requires improvement to be good" in text  # the grade labels are shown
    audits = _qaudit(db, "audits", "list", "--format", "json")
    assert [(a["case_ref"], a["grade"]) for a in json.loads(audits.stdout)] == [
        ("K1", "requires-improvement")
    ]
    log = json.loads(_qaudit(db, "log", "--action", "audit.grade", "--format", "json").stdout)
    assert log[0]["after"]["themes"] == ["planning"]
    import sqlite3

    with sqlite3.connect(db) as conn:
        answers, strengths, feedback, views = conn.execute(
            "SELECT answers, strengths, family_feedback, views_gathered FROM audits"
        ).fetchone()
    assert json.loads(answers) == {
        "assessment-current": "good",
        "plan-on-file": "not-applicable",
    }
    assert (strengths, feedback, views) == ("Child seen alone", "She felt heard", 1)

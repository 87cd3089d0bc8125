"""The README stays true: its set-up lines, its walk-through, and its CLI reference."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def test_readme_opens_with_the_two_setup_commands() -> None:
    head = README.read_text(encoding="utf-8").splitlines()[:20]
    block = "\n".join(head)
    assert re.search(r"^make demo\b", block, re.M)
    assert re.search(r"^make test\b", block, re.M)


def test_the_cli_reference_matches_the_real_help() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "cli_reference.py"), "--check", str(README)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_the_walkthrough_runs(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Five minutes with qaudit", 1)[1]
    script = section.split("```sh", 1)[1].split("```", 1)[0]
    script = "\n".join(line for line in script.splitlines() if not line.startswith("source "))
    for name in ("data", "tests"):
        (tmp_path / name).symlink_to(ROOT / name)
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "QAUDIT_TODAY": "2026-12-01",
    }
    env.pop("QAUDIT_DATABASE_URL", None)
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "0 added, 0 updated, 0 closed, 240 unchanged" in result.stderr
    assert "Unchanged: the 2026-12 sample of 50 cases (seed 2026)." in result.stderr
    assert result.stderr.count("Recorded audit") == 50  # every sampled case graded
    assert "Inadequate: moderation due Tue 22 Dec 2026 (Jack Adams)" in result.stderr
    assert "complete." in result.stderr  # the moderation
    assert "Nothing overdue." in result.stderr
    assert "Logged C-2026-0001 (stage 1, statutory): response due Tue 15 Dec 2026." in (
        result.stderr
    )
    assert "C-2026-0001" in result.stdout and "complaint" in result.stdout  # overdue
    assert "C-2026-0001: escalated to Jo Clarke (due 2026-12-15)." in result.stderr
    assert "final response letter 2026-12-17 (late; due 2026-12-15)" in result.stderr
    assert "C-2026-0002: extended by 20 working days; due Fri 5 Feb 2027." in result.stderr
    assert "Europe/London" in result.stderr  # the survey export's times have no zone
    assert "Wrote the board report for 2026/27-Q3 to board-2026-27-Q3.html" in result.stderr
    assert (tmp_path / "board-2026-27-Q3.html").read_text().count("<svg") >= 2
    assert (tmp_path / "committee.xlsx").exists()
    assert "The store and its change log are sound" in result.stderr
    assert (tmp_path / "qaudit-backup.db").exists()
    assert (tmp_path / "cp-cases.csv").read_text().startswith("case_ref,team,worker,category")
    assert (tmp_path / "walkthrough.db").exists()

"""The README stays true: its set-up lines, its walk-through, and its CLI reference."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time
import traceback
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


# The walk-through runs in bash as written, but its `qaudit` is a shell function that hands each
# call to this test process, which runs it in-process (Typer's runner) and hands back its output
# and exit code: one process for ninety-odd commands, instead of ninety-odd interpreters.
_QAUDIT_FUNCTION = r"""
qaudit() {
  local call code
  call=$(mktemp -d "$QAUDIT_CALLS/call.XXXXXX")
  printf '%s\0' "$@" > "$call/args"
  env -0 > "$call/env"
  printf '%s' "$PWD" > "$call/cwd"
  cat > "$call/stdin"
  mkfifo "$call/done"
  printf '%s\n' "$call" > "$QAUDIT_REQUESTS"
  read -r code < "$call/done"
  cat "$call/stdout"
  cat "$call/stderr" >&2
  rm -rf "$call"
  return "$code"
}
"""


def _serve_one(call: Path) -> None:
    """Run one `qaudit` call in this process, as the shell's environment and folder have it."""
    from typer.testing import CliRunner

    from qaudit.cli import app

    args = [a.decode() for a in (call / "args").read_bytes().split(b"\0")[:-1]]
    shell_env = dict(
        entry.decode().split("=", 1) for entry in (call / "env").read_bytes().split(b"\0") if entry
    )
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("QAUDIT_")}
    env |= {k: v for k, v in shell_env.items() if k.startswith("QAUDIT_")}
    here = Path.cwd()
    os.chdir((call / "cwd").read_text())
    try:
        result = CliRunner().invoke(app, args, input=(call / "stdin").read_bytes(), env=env)
    finally:
        os.chdir(here)
    stderr = result.stderr_bytes or b""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        trace = traceback.format_exception(result.exception)
        stderr += "".join(trace).encode()
    (call / "stdout").write_bytes(result.stdout_bytes)
    (call / "stderr").write_bytes(stderr)
    with (call / "done").open("w") as done:
        done.write(f"{result.exit_code}\n")


def _run_in_one_process(script: str, cwd: Path, env: dict[str, str]) -> tuple[int, str, str, int]:
    """The script's exit code, standard output and error, and how many qaudit calls it made."""
    calls = cwd / ".qaudit-calls"
    calls.mkdir()
    requests = calls / "requests"
    os.mkfifo(requests)
    env = {**env, "QAUDIT_CALLS": str(calls), "QAUDIT_REQUESTS": str(requests)}
    fd = os.open(requests, os.O_RDWR | os.O_NONBLOCK)  # never EOF, never blocks the shell
    served = 0
    out, err = cwd / ".walkthrough.out", cwd / ".walkthrough.err"
    try:
        with out.open("wb") as stdout, err.open("wb") as stderr:
            shell = subprocess.Popen(
                ["bash", "-euo", "pipefail", "-c", _QAUDIT_FUNCTION + script],
                cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
            )  # fmt: skip
            pending = b""
            deadline = time.monotonic() + 600
            while True:
                assert time.monotonic() < deadline, "the walk-through did not finish"
                ready, _, _ = select.select([fd], [], [], 0.05)
                if ready:
                    pending += os.read(fd, 65536)
                    *lines, pending = pending.split(b"\n")
                    for line in lines:
                        _serve_one(Path(line.decode()))
                        served += 1
                elif shell.poll() is not None:
                    break
    finally:
        os.close(fd)
    code = shell.wait()
    return code, out.read_text(), err.read_text(), served


def test_the_walkthrough_runs(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Five minutes with qaudit", 1)[1]
    script = section.split("```sh", 1)[1].split("```", 1)[0]
    script = "\n".join(line for line in script.splitlines() if not line.startswith("source "))
    for name in ("data", "tests", "scripts"):
        (tmp_path / name).symlink_to(ROOT / name)
    # `python` is this one (the script filling the workbooks needs openpyxl), as after
    # `source .venv/bin/activate`.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    env = {**os.environ, "QAUDIT_TODAY": "2026-12-01", "PATH": path}
    env.pop("QAUDIT_DATABASE_URL", None)
    code, stdout, stderr, calls = _run_in_one_process(script, tmp_path, env)
    result = subprocess.CompletedProcess(["bash"], code, stdout, stderr)
    assert calls >= 40, calls  # every qaudit line ran here
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "0 added, 0 updated, 0 closed, 240 unchanged" in result.stderr
    assert "Unchanged: the 2026-12 sample of 50 cases (seed 2026)." in result.stderr
    assert "Wrote 9 workbooks for 2026-12: 50 cases to audit." in result.stderr
    assert "Filled 50 audit forms in 9 workbooks." in result.stdout
    assert "Checked (dry run, nothing recorded) 9 workbooks: 50 audits would be recorded" in (
        result.stderr
    )
    assert "Imported 9 workbooks: 50 audits recorded, 0 already recorded" in result.stderr
    assert "Imported 9 workbooks: 0 audits recorded, 50 already recorded" in result.stderr
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

"""Numbers typed on the command line have ranges: a seed, a sample size or a cohort too large
to be meant is refused as a usage error (exit 2) before anything is written, never an internal
fault when the store cannot hold it."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import Cli, plain, snapshot, write_csv

HUGE = "99999999999999999999999"
HEADER = ["case_ref", "team", "worker", "category", "open_date", "close_date"]
STAFF = [["name", "role", "team"], ["Ann Auditor", "auditor", "Quality Assurance"]]


@pytest.fixture
def office(cli: Cli, tmp_path: Path) -> Cli:
    assert cli("staff", "import", str(write_csv(tmp_path / "staff.csv", STAFF))).exit_code == 0
    rows = [HEADER] + [[f"K{i:03d}", "Team A", "", "CIN", "2025-01-01", ""] for i in range(12)]
    assert cli("cases", "import", str(write_csv(tmp_path / "cases.csv", rows))).exit_code == 0
    return cli


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["sample", "--month", "2026-12", "--seed", HUGE],
         "Invalid value for '--seed': Input should be less than or equal to 281474976710655"),
        (["sample", "--month", "2026-12", "--size", HUGE],
         "Invalid value for '--size': Input should be less than or equal to 10000"),
        (["sample", "--month", "2026-12", "--size", "10001", "--dry-run"],
         "Invalid value for '--size': Input should be less than or equal to 10000"),
        (["survey", "cohort", "--survey", "your-life-your-care", "--band", "8-11",
          "--period", "2026/27-Q3", "--invited", HUGE],
         "Invalid value for '--invited': Input should be less than or equal to 100000"),
        (["cases", "list", "--format", "csv", "--limit", HUGE],
         "Invalid value for '--limit': Input should be less than or equal to 1000000000"),
        (["log", "-n", HUGE],
         "Invalid value for '--limit' / '-n': Input should be less than or equal to 1000000000"),
        (["actions", "done", HUGE],
         "Invalid value for 'action_id': Input should be less than or equal to "
         "9223372036854775807"),
        (["actions", "reassign", HUGE, "--to", "Ann Auditor", "--reason", "leave"],
         "Invalid value for 'action_id': Input should be less than or equal to"),
        (["advocacy", "provide", HUGE],
         "Invalid value for 'advocacy_id': Input should be less than or equal to"),
        (["moderate", HUGE], "Invalid value for 'audit_id': Input should be less than or equal to"),
        (["scrutiny", "action", HUGE, "--status", "done"],
         "Invalid value for 'resolution_id': Input should be less than or equal to"),
        (["actions", "done", "0"],
         "Invalid value for 'action_id': Input should be greater than or equal to 1"),
    ],
    ids=["seed", "size", "size-just-over", "invited", "limit", "log-n", "action", "reassign",
         "advocacy", "moderate", "scrutiny", "action-zero"],
)  # fmt: skip
def test_a_number_too_large_to_be_meant_is_a_usage_error(
    office: Cli, args: list[str], words: str
) -> None:
    before = snapshot(office.url)
    result = office(*args)
    assert result.exit_code == 2, result.stderr
    assert words in " ".join(plain(result.stderr).replace("│", " ").split())
    assert "internal fault" not in result.stderr
    assert snapshot(office.url) == before


def test_the_largest_seed_draws_and_saves(office: Cli) -> None:
    result = office("sample", "--month", "2026-12", "--seed", "281474976710655", "--format", "json")
    data = result.json()
    assert isinstance(data, dict) and data["seed"] == 281474976710655 and len(data["cases"]) == 12
    assert office("sample", "--verify", "2026-12").exit_code == 0


def test_the_largest_limit_is_every_row(office: Cli) -> None:
    rows = office("cases", "list", "--format", "csv", "--limit", "1000000000")
    assert rows.exit_code == 0, rows.stderr
    assert len(rows.stdout.splitlines()) == 13 and rows.stderr == ""
    log = office("log", "-n", "1000000000", "--format", "json").json()
    assert isinstance(log, list) and len(log) >= 3

"""List commands on a big store: a table for people shows the first 1,000 rows and says how to
get the rest; CSV and JSON give every row; ``--limit N`` and ``--all`` choose."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import Cli, plain, snapshot, write_csv

HEADER = ["case_ref", "team", "worker", "category", "open_date", "close_date"]
CASES = 1_005


@pytest.fixture
def many(cli: Cli, tmp_path: Path) -> Cli:
    rows = [[f"C{n:05d}", "Team A", "", "CIN", "2026-01-01", ""] for n in range(1, CASES + 1)]
    done = cli("cases", "import", str(write_csv(tmp_path / "cases.csv", [HEADER, *rows])))
    assert done.exit_code == 0, done.stderr
    return cli


def _table_refs(stdout: str) -> list[str]:
    return [
        cell
        for line in stdout.splitlines()
        if (cell := line.strip("│ ").split(" ")[0]).startswith("C0")
    ]


def test_a_table_shows_the_first_thousand_and_says_how_to_get_the_rest(many: Cli) -> None:
    result = many("cases", "list")
    assert result.exit_code == 0
    refs = _table_refs(result.stdout)
    assert refs == [f"C{n:05d}" for n in range(1, 1_001)]
    assert plain(result.stderr) == (
        "Showed the first 1,000 of 1,005 cases; 5 more not shown. For every one: --format csv "
        "(or json), or --all; or --limit N for more."
    )


def test_csv_and_json_give_every_case(many: Cli) -> None:
    csv = many("cases", "list", "--format", "csv")
    assert csv.exit_code == 0 and csv.stderr == ""
    assert len(csv.stdout.splitlines()) == CASES + 1
    data = many("cases", "list", "--format", "json").json()
    assert isinstance(data, list) and len(data) == CASES


def test_limit_and_all(many: Cli) -> None:
    first = many("cases", "list", "--format", "csv", "--limit", "3")
    assert first.exit_code == 0
    assert first.stdout.splitlines()[1:] == [
        "C00001,Team A,,CIN,2026-01-01,",
        "C00002,Team A,,CIN,2026-01-01,",
        "C00003,Team A,,CIN,2026-01-01,",
    ]
    assert "Showed the first 3 of 1,005 cases; 1,002 more not shown." in plain(first.stderr)

    filtered = many("cases", "list", "--limit", "2", "--team", "Team A", "--category", "CIN")
    assert _table_refs(filtered.stdout) == ["C00001", "C00002"]
    assert "of 1,005 cases" in plain(filtered.stderr)

    everything = many("cases", "list", "--all")
    assert everything.exit_code == 0
    # Printed a block of 1,000 at a time (memory stays flat): every case, once, in order.
    assert _table_refs(everything.stdout) == [f"C{n:05d}" for n in range(1, CASES + 1)]
    assert plain(everything.stderr) == "1,005 cases"

    exact = many("cases", "list", "--limit", str(CASES))  # all of them fit: nothing to say
    assert len(_table_refs(exact.stdout)) == CASES
    assert plain(exact.stderr) == "1,005 cases"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--limit", "0"], "Invalid value for '--limit'"),
        (["--limit", "many"], "Invalid value for '--limit'"),
        (["--limit", "5", "--all"], "give --limit N or --all, not both"),
    ],
    ids=["zero", "not-a-number", "both"],
)
@pytest.mark.parametrize("command", ["cases", "staff", "complaints", "survey", "audits"])
def test_bad_limits_are_usage_errors(
    cli: Cli, tmp_path: Path, command: str, args: list[str], message: str
) -> None:
    rows = [HEADER, ["C1", "Team A", "", "CIN", "2026-01-01", ""]]
    assert cli("cases", "import", str(write_csv(tmp_path / "c.csv", rows))).exit_code == 0
    before = snapshot(cli.url)
    result = cli(command, "list", *args)
    assert result.exit_code == 2
    assert message in plain(result.stderr)
    assert snapshot(cli.url) == before


def test_the_other_lists_stop_at_the_limit_too(cli: Cli, tmp_path: Path) -> None:
    staff = [["name", "role", "team"]] + [
        [f"Auditor {n:04d}", "auditor", "Quality Assurance"] for n in range(1, 1_004)
    ]
    staff += [["Quinn Lead", "qa_lead", "Quality Assurance"]]
    assert cli("staff", "import", str(write_csv(tmp_path / "s.csv", staff))).exit_code == 0
    table = cli("staff", "list")
    assert table.exit_code == 0
    assert sum(line.startswith("│ Auditor") for line in table.stdout.splitlines()) == 1_000
    assert "Showed the first 1,000 of 1,004 staff; 4 more not shown." in plain(table.stderr)
    as_csv = cli("staff", "list", "--format", "csv")
    assert as_csv.exit_code == 0, as_csv.stderr
    assert len(as_csv.stdout.splitlines()) == 1_005
    everyone = cli("staff", "list", "--all")
    assert everyone.exit_code == 0, everyone.stderr
    assert len(everyone.stdout.splitlines()) > 1_004

    cases = [HEADER, ["A1", "Team A", "", "CIN", "2020-01-01", ""]]
    assert cli("cases", "import", str(write_csv(tmp_path / "c.csv", cases))).exit_code == 0
    for received in ("2026-11-02", "2026-11-03"):
        logged = cli("complaints", "log", "--received", received, "--case", "A1", today=received)
        assert logged.exit_code == 0, logged.stderr
    two = cli("complaints", "list", "--format", "json", "--limit", "1")
    assert two.exit_code == 0 and len(two.json()) == 1  # type: ignore[arg-type]
    assert "Showed the first 1 of 2 complaints; 1 more not shown." in plain(two.stderr)

    survey = [["response_id", "survey", "age_band", "received_at", "concern", "comment"]] + [
        [f"R{n}", "your-life-your-care", "8-11", f"2026-11-0{n}T09:00", "no", ""]
        for n in range(1, 4)
    ]
    imported = cli("survey", "import", str(write_csv(tmp_path / "r.csv", survey)))
    assert imported.exit_code == 0, imported.stderr
    three = cli("survey", "list", "--format", "csv", "--limit", "2")
    assert three.exit_code == 0 and len(three.stdout.splitlines()) == 3
    assert "Showed the first 2 of 3 responses; 1 more not shown." in plain(three.stderr)

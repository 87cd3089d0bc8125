"""``qaudit cases import`` and ``cases list`` as a user meets them: exit codes, messages, store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import FIXTURES, Cli, plain, snapshot, write_csv

HEADER = "case_ref,team,worker,category,open_date,close_date"
GOOD = [
    HEADER.split(","),
    ["C1", "Team A", "Ann Smith", "CIN", "2026-01-05", ""],
    ["C2", "Team B", "", "cp", "30/11/2025", ""],
]


@pytest.fixture
def loaded(cli: Cli, tmp_path: Path) -> Cli:
    """A store that already holds two cases, so 'unchanged' means something."""
    result = cli("cases", "import", str(write_csv(tmp_path / "first.csv", GOOD)))
    assert result.exit_code == 0, result.stderr
    return cli


BAD_FILES = [
    pytest.param(
        "case_ref,team,category,open_date\nC9,T,CIN,2026-01-01\n",
        "line 1: missing required columns worker, close_date (the header must have "
        "case_ref,team,worker,category,open_date,close_date)",
        id="missing-columns",
    ),
    pytest.param(
        f"{HEADER}\nC9,T,W,CIN,2026-02-31,\n",
        "line 2, column 5 (open_date): '2026-02-31' is not a date (YYYY-MM-DD or DD/MM/YYYY)",
        id="impossible-date",
    ),
    pytest.param(
        f"{HEADER}\nC9,T,W,CIN,2026-01-01,\nC10,T,W,CIN,2026-01-01,12/31/2026\n",
        "line 3, column 6 (close_date): '12/31/2026' is not a date (YYYY-MM-DD or DD/MM/YYYY)",
        id="us-date",
    ),
    pytest.param(
        f"{HEADER}\nC9,T,W,Looked after,2026-01-01,\n",
        "line 2, column 4 (category): 'Looked after' is not a category; expected one of "
        "CLA, CP, CIN, CL",
        id="unknown-category",
    ),
    pytest.param(
        f"{HEADER}\nC9,T,W,CIN,2026-01-01,\nC9,T,W,CP,2026-01-01,\n",
        "line 3, column 4 (category): case ref 'C9' is also on line 2 with a different category",
        id="conflicting-duplicate",
    ),
    pytest.param(
        f"{HEADER}\nC9,T,W,CIN,2026-03-01,2026-02-01\n",
        "line 2, column 6 (close_date): the case closes (2026-02-01) before it opens (2026-03-01)",
        id="closes-before-opening",
    ),
    pytest.param(
        f"{HEADER}\nC9,T,W,CIN,2026-01-01,,extra\n",
        "line 2: expected 6 fields as in the header, found 7",
        id="extra-field",
    ),
    pytest.param(
        f"{HEADER}\n ,T,W,CIN,2026-01-01,\n",
        "line 2, column 1 (case_ref): the case ref is blank",
        id="blank-ref",
    ),
    pytest.param("", "the file is empty", id="empty-file"),
    pytest.param(f"{HEADER}\n", "the file has a header but no cases", id="header-only"),
    pytest.param(
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        "this is a binary file, not a CSV or an Excel workbook",
        id="binary-file",
    ),
    pytest.param(
        f"{HEADER}\nC9,T,W,CIN,2026-01-01,\n".encode() + b"C10,T,\xff\xfe,CIN,2026-01-01,\n",
        "line 3, column 3: the file is not UTF-8 text (save it as 'CSV UTF-8')",
        id="not-utf8",
    ),
    pytest.param(
        b"PK\x03\x04 this is no workbook",
        "not a readable Excel workbook",
        id="broken-xlsx",
    ),
]


@pytest.mark.parametrize(("content", "message"), BAD_FILES)
def test_bad_input_is_refused_and_nothing_is_written(
    loaded: Cli, tmp_path: Path, content: str | bytes, message: str
) -> None:
    path = tmp_path / "bad.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    before = snapshot(loaded.url)
    result = loaded("cases", "import", str(path))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {path}")
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert snapshot(loaded.url) == before


def test_a_missing_file_is_refused(loaded: Cli, tmp_path: Path) -> None:
    result = loaded("cases", "import", str(tmp_path / "nope.csv"))
    assert (result.exit_code, result.stderr) == (1, f"Error: {tmp_path / 'nope.csv'}: not found\n")


@pytest.mark.parametrize(
    ("newline", "bom"),
    [("\r\n", True), ("\r\n", False), ("\n", True)],
    ids=["crlf-bom", "crlf", "bom"],
)
def test_bom_and_windows_line_endings_just_work(
    cli: Cli, tmp_path: Path, newline: str, bom: bool
) -> None:
    path = write_csv(tmp_path / "excel.csv", GOOD, newline=newline, bom=bom)
    result = cli("cases", "import", str(path), "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["added"] == 2
    listed = cli("cases", "list", "--format", "json").json()
    assert [c["case_ref"] for c in listed] == ["C1", "C2"]  # type: ignore[index]


def test_unknown_columns_are_ignored_and_named(cli: Cli, tmp_path: Path) -> None:
    rows = [[*GOOD[0], "Child Name", "Address"]] + [[*r, "X", "Y"] for r in GOOD[1:]]
    result = cli("cases", "import", str(write_csv(tmp_path / "more.csv", rows)))
    assert result.exit_code == 0, result.stderr
    assert "ignored columns qaudit does not use: Child Name, Address" in result.stderr
    listed = cli("cases", "list", "--format", "json").json()
    assert "X" not in json.dumps(listed)


def test_headers_match_whatever_their_case_and_order(cli: Cli, tmp_path: Path) -> None:
    rows = [
        ["Open Date", "CASE_REF", " Category ", "Team", "Worker", "Close date", "Date of birth"],
        ["2026-01-05", "C1", "CLA", "Team A", "Ann", "", "01/02/2015"],
    ]
    path = write_csv(tmp_path / "odd.csv", rows)
    result = cli("cases", "import", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stderr.strip() == (  # one of each, in the singular
        f"Imported {path}: 1 row; 1 added, 0 updated, 0 closed, 0 unchanged; "
        "1 new team, 1 new worker."
    )
    listed = cli("cases", "list", "--format", "json").json()
    assert listed == [{"case_ref": "C1", "team": "Team A", "worker": "Ann", "category": "CLA",
                       "open_date": "2026-01-05", "close_date": None}]  # fmt: skip


def test_import_summary_and_reimport(cli: Cli, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "cases.csv", GOOD)
    first = cli("cases", "import", str(path))
    assert first.exit_code == 0
    assert first.stderr.strip() == (
        f"Imported {path}: 2 rows; 2 added, 0 updated, 0 closed, 0 unchanged; "
        "2 new teams, 1 new worker."
    )
    assert first.stdout == ""
    before = snapshot(cli.url)
    again = cli("cases", "import", str(path), "--format", "json")
    assert again.json() == {
        "file": str(path), "sha256": again.json()["sha256"], "kind": "csv",  # type: ignore[index]
        "dry_run": False, "rows": 2, "added": 0, "updated": 0, "closed": 0, "unchanged": 2,
        "open_not_in_file": 0, "teams_added": 0, "workers_added": 0,
    }  # fmt: skip
    assert snapshot(cli.url) == before


def test_dry_run_says_so_and_writes_nothing(loaded: Cli, tmp_path: Path) -> None:
    before = snapshot(loaded.url)
    rows = [*GOOD, ["C3", "Team C", "", "CL", "", ""]]
    result = loaded("cases", "import", str(write_csv(tmp_path / "new.csv", rows)), "--dry-run")
    assert result.exit_code == 0
    assert "Checked (dry run, nothing written)" in result.stderr
    assert "1 added" in result.stderr
    assert snapshot(loaded.url) == before


def test_annex_a_is_detected_from_the_file_not_its_name(cli: Cli, tmp_path: Path) -> None:
    renamed = tmp_path / "caselist.dat"
    renamed.write_bytes((FIXTURES / "annex-a" / "liia-tools-sample.xlsx").read_bytes())
    result = cli("cases", "import", str(renamed), "--format", "json", today="2021-03-31")
    assert result.exit_code == 0, result.stderr
    assert result.json()["kind"] == "annex-a"  # type: ignore[index]
    assert result.json()["added"] == 23  # type: ignore[index]


def test_list_filters(loaded: Cli, tmp_path: Path) -> None:
    rows = [*GOOD, ["C3", "Team A", "", "CL", "2020-01-01", "2025-06-30"]]
    assert loaded("cases", "import", str(write_csv(tmp_path / "b.csv", rows))).exit_code == 0

    def refs(*args: str) -> list[str]:
        result = loaded("cases", "list", "--format", "json", *args)
        assert result.exit_code == 0, result.stderr
        return [c["case_ref"] for c in result.json()]  # type: ignore[union-attr,index]

    assert refs() == ["C1", "C2", "C3"]
    assert refs("--open-on", "2026-01-05") == ["C1", "C2"]
    assert refs("--open-on", "2025-06-30") == ["C3"]  # closes that day: still open
    assert refs("--open-on", "2025-07-01") == []
    assert refs("--open-on", "2025-11-30") == ["C2"]  # opens that day
    assert refs("--team", "Team A") == ["C1", "C3"]
    assert refs("--category", "cin") == ["C1"]


def test_list_csv_and_bad_options(loaded: Cli) -> None:
    result = loaded("cases", "list", "--format", "csv")
    assert result.stdout.splitlines() == [
        "case_ref,team,worker,category,open_date,close_date",
        "C1,Team A,Ann Smith,CIN,2026-01-05,",
        "C2,Team B,,CP,2025-11-30,",
    ]
    bad_date = loaded("cases", "list", "--open-on", "2026-13-01")
    assert bad_date.exit_code == 2
    assert "'2026-13-01' is not a date (YYYY-MM-DD)" in plain(bad_date.stderr)
    bad_cat = loaded("cases", "list", "--category", "XYZ")
    assert bad_cat.exit_code == 2
    assert "'XYZ' is not one of 'cla', 'cp', 'cin', 'cl'" in plain(bad_cat.stderr)


def test_listing_a_store_that_does_not_exist(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from qaudit.cli import app

    result = CliRunner().invoke(app, ["--db", str(tmp_path / "x.db"), "cases", "list"])
    assert result.exit_code == 1
    assert result.stderr == (f"Error: no case store at {tmp_path / 'x.db'}: run qaudit init\n")
    assert not (tmp_path / "x.db").exists()


@pytest.mark.slow
def test_a_bad_row_900000_leaves_the_store_exactly_as_it_was(
    tmp_path: Path,
) -> None:
    from typer.testing import CliRunner

    from qaudit.cli import app

    db = tmp_path / "big.db"
    runner = CliRunner()
    first = write_csv(tmp_path / "first.csv", GOOD)
    assert runner.invoke(app, ["--db", str(db), "init"]).exit_code == 0
    assert runner.invoke(app, ["--db", str(db), "cases", "import", str(first)]).exit_code == 0
    url = f"sqlite:///{db}"
    before = snapshot(url)
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(HEADER + "\n")
        for i in range(1, 900_000):
            handle.write(f"B{i:07d},Team {i % 40},Worker {i % 900},CIN,2025-01-01,\n")
        handle.write("B9999999,Team 1,Worker 1,CIN,31/02/2026,\n")
    result = runner.invoke(app, ["--db", str(db), "cases", "import", str(path)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {path}, line 900001, column 5 (open_date): '31/02/2026' is not a date "
        "(YYYY-MM-DD or DD/MM/YYYY)\n"
    )
    assert snapshot(url) == before

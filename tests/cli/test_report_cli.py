"""``qaudit report``: every kind in every format, written atomically, published safely."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from qaudit.cli import app

TODAY = "2026-12-14"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store: every kind of record, in every state."""
    folder = tmp_path_factory.mktemp("demo")
    path = folder / "demo.db"
    result = CliRunner().invoke(app, ["--today", TODAY, "demo", str(path)])
    assert result.exit_code == 0, result.stderr
    return path


def _run(demo: Path, *args: str) -> Any:
    result = CliRunner().invoke(app, ["--db", str(demo), "--today", TODAY, *args])
    assert result.exit_code == 0, result.stderr
    return result


@pytest.mark.parametrize("kind", ["audits", "complaints", "voice", "board"])
@pytest.mark.parametrize("fmt", ["table", "md", "csv", "json", "html"])
def test_every_report_in_every_text_format(demo: Path, kind: str, fmt: str) -> None:
    out = _run(demo, "report", kind, "--period", "2026/27-Q3", "--format", fmt).stdout
    assert out.strip()
    if fmt == "json":
        data = json.loads(out)
        assert (data["kind"], data["period"], data["start"], data["end"]) == (
            kind,
            "2026/27-Q3",
            "2026-10-01",
            "2026-12-31",
        )
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        assert set(rows[0]) == {"section", "table", "row", "column", "value"}
    if fmt == "html":
        assert out.lstrip().lower().startswith("<!doctype html")
        assert "<script" not in out and "http://" not in out and "https://" not in out
    if kind in ("audits", "board") and fmt in ("md", "table"):
        assert "What is working well" in out and "Areas for development" in out


@pytest.mark.parametrize("fmt", ["table", "md", "csv", "json", "html", "xlsx"])
def test_every_report_gives_the_change_log_head(demo: Path, tmp_path: Path, fmt: str) -> None:
    """The head hash to keep, and later check the store against with db verify --expect."""
    head = json.loads(_run(demo, "db", "verify", "--format", "json").stdout)["head"]
    assert len(head) == 64
    out = ["--out", str(tmp_path / f"r.{fmt}")] if fmt == "xlsx" else []
    result = _run(demo, "report", "audits", "--period", "2026/27-Q3", "-f", fmt, *out)
    assert result.stderr.endswith(f"hange log head {head}\n")
    if fmt in ("md", "json", "html"):
        assert head in result.stdout
    if fmt == "json":
        assert json.loads(result.stdout)["log_head"] == head
    if fmt == "xlsx":
        import openpyxl

        about = openpyxl.load_workbook(tmp_path / "r.xlsx")["About"]
        facts = {row[0].value: row[1].value for row in about.iter_rows() if row[0].value}
        assert facts["Change log head"] == head
    assert _run(demo, "db", "verify", "--expect", head).exit_code == 0


def test_the_board_report_has_every_section_and_balance(demo: Path) -> None:
    data = json.loads(_run(demo, "report", "board", "--period", "2026/27-Q3", "-f", "json").stdout)
    names = [s["name"] for s in data["sections"]]
    assert names == ["audits", "balance", "complaints", "voice", "scrutiny"]
    balance = next(s for s in data["sections"] if s["name"] == "balance")
    assert set(balance["lists"]) == {"What is working well", "Areas for development"}
    assert balance["lists"]["What is working well"] and balance["lists"]["Areas for development"]
    strengths = balance["lists"]["What is working well"]
    assert len(strengths) == len(set(strengths))  # each finding once...
    assert any(s.endswith(" audits)") for s in strengths)  # ...with how many recorded it


def test_the_board_report_names_surveys_and_themes_by_their_titles(demo: Path) -> None:
    """A board reads "Your Life, Your Care" and "Delay or timeliness", not their ids."""
    data = json.loads(_run(demo, "report", "board", "--period", "2026/27-Q3", "-f", "json").stdout)
    tables = {t["name"]: t for s in data["sections"] for t in s["tables"]}
    surveys = {r["survey"] for r in tables["bright_spots"]["rows"]}
    assert surveys == {"Your Life, Your Care", "Your Life Beyond Care"}
    audit_themes = [r["theme"] for r in tables["themes"]["rows"]]
    assert audit_themes == ["Planning", "Voice of the child"]
    complaint_themes = [r["theme"] for r in tables["complaint_themes"]["rows"]]
    assert complaint_themes[0] == "Communication with families"
    assert "Delay or timeliness" in complaint_themes
    shown = " ".join(audit_themes + complaint_themes)
    assert "-" not in shown.replace("Decision-making", ""), shown  # no id left as a label


def test_tables_a_board_member_queries_say_what_their_figures_mean(demo: Path) -> None:
    data = json.loads(_run(demo, "report", "board", "--period", "2026/27-Q3", "-f", "json").stdout)
    tables = {t["name"]: t for s in data["sections"] for t in s["tables"]}
    for name in ("complaints", "complaints_in_time", "bright_spots", "advocacy"):
        lines = tables[name]["definitions"]
        defined = {line.split(":")[0] for line in lines}
        for column in tables[name]["columns"]:
            title = column["title"]
            if title in ("Period", "Quarter", "Survey", "Age band"):
                continue
            # its own line ("Received: ..."), or within its count's ("... told % is of ...")
            assert title in defined or title.lower() in " ".join(lines).lower(), (name, title)
    complaints = " ".join(tables["complaints"]["definitions"])
    assert "final response letter" in complaints and "10 at stage 1, 25 at stage 2" in complaints
    assert "within 24 clock hours" in " ".join(tables["bright_spots"]["definitions"])
    for name in ("moderation", "reaudits"):  # theirs are the tables' notes
        assert tables[name]["note"], name
    shown = _run(demo, "report", "board", "--period", "2026/27-Q3").stdout
    assert "Open at end: stages received by the period's end" in shown
    published = json.loads(
        _run(demo, "report", "board", "--period", "2026/27-Q3", "--publish", "-f", "json").stdout
    )
    kept = {t["name"]: t for s in published["sections"] for t in s["tables"]}
    assert kept["complaints"]["definitions"] == tables["complaints"]["definitions"]


def test_report_figures_agree_with_the_complaints_command(demo: Path) -> None:
    board = json.loads(
        _run(demo, "report", "complaints", "--period", "2026/27", "-f", "json").stdout
    )
    table = board["sections"][0]["tables"][0]
    total = next(r for r in table["rows"] if r["period"] == "Total")
    stats = json.loads(
        _run(demo, "complaints", "stats", "--period", "2026/27", "-f", "json").stdout
    )
    figures = stats["figures"][-1]
    assert (total["received"], total["answered"], total["answered_in_time"]) == (
        figures["received"],
        figures["answered"],
        figures["answered_in_time"],
    )


def test_xlsx_opens_with_typed_cells(demo: Path, tmp_path: Path) -> None:
    import openpyxl
    import pandas as pd

    target = tmp_path / "board-{period}.xlsx"
    result = _run(
        demo, "report", "board", "--period", "2026/27-Q3", "-f", "xlsx", "--out", str(target)
    )
    path = tmp_path / "board-2026-27-Q3.xlsx"
    assert f"to {path}" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left
    book = openpyxl.load_workbook(path)
    assert "Case audits" in book.sheetnames
    numbers = [
        c.value
        for row in book["Case audits"].iter_rows()
        for c in row
        if isinstance(c.value, int | float)
    ]
    assert numbers  # counts stored as numbers, not text
    sheets = pd.read_excel(path, sheet_name=None, header=None)
    assert "Complaints" in sheets


def test_formula_payloads_come_out_inert(demo: Path, tmp_path: Path) -> None:
    import openpyxl

    result = _run(
        demo,
        "--user",
        "x",
        "grade",
        "C100002",
        "--grade",
        "good",
        "--adhoc",
        "--auditor",
        "Kiran Evans",
        "--date",
        "2026-12-14",
        "--strength",
        '=HYPERLINK("http://evil.example","click")',
    )
    assert result.exit_code == 0
    text = _run(demo, "report", "audits", "--period", "2026-12", "-f", "csv").stdout
    cells = [r["value"] for r in csv.DictReader(io.StringIO(text))]
    assert '\'=HYPERLINK("http://evil.example","click")' in cells
    assert not any(v.startswith("=") for v in cells)
    path = tmp_path / "a.xlsx"
    _run(demo, "report", "audits", "--period", "2026-12", "-f", "xlsx", "--out", str(path))
    book = openpyxl.load_workbook(path)
    found = [
        c
        for ws in book
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str) and "HYPERLINK" in c.value
    ]
    assert found and all(c.data_type == "s" and c.value.startswith("'") for c in found)
    html = _run(demo, "report", "audits", "--period", "2026-12", "-f", "html").stdout
    assert "http://evil.example" in html  # shown as text...
    assert "<a " not in html  # ...never as a link


def test_published_reports_suppress_small_numbers_and_free_text(demo: Path) -> None:
    data = json.loads(
        _run(demo, "report", "board", "--period", "2026/27-Q3", "--publish", "-f", "json").stdout
    )
    assert data["published"] is True
    assert any(note.startswith("Counts of 1 to 5 are shown as c") for note in data["notes"])
    for section in data["sections"]:
        assert all(not items for items in section["lists"].values())
        for table in section["tables"]:
            counts = [c["key"] for c in table["columns"] if c["kind"] == "count"]
            assert not [c for c in table["columns"] if c["kind"] == "text"]
            for row in table["rows"]:
                for key in counts:
                    value = row[key]
                    assert value == "c" or value is None or value == 0 or value > 5


def test_team_report_and_refusals(demo: Path) -> None:
    team = json.loads(
        _run(
            demo,
            "report",
            "audits",
            "--period",
            "2026/27-Q3",
            "--team",
            "Children in Care",
            "-f",
            "json",
        ).stdout
    )
    assert team["team"] == "Children in Care"
    runner = CliRunner()
    xlsx = runner.invoke(app, ["--db", str(demo), "report", "board", "-f", "xlsx"])
    assert (xlsx.exit_code, xlsx.stderr) == (1, "Error: an XLSX report needs --out PATH\n")
    bad = runner.invoke(app, ["--db", str(demo), "report", "board", "--period", "2026-Q3"])
    assert bad.exit_code == 2
    voice = runner.invoke(app, ["--db", str(demo), "report", "voice", "--team", "X"])
    assert voice.exit_code == 1


def test_a_report_for_a_team_that_does_not_exist_is_refused(demo: Path) -> None:
    """A mistyped team would give a report of zeros for a team meeting: refused, with the
    nearest names; a team in another letter case is the team."""
    from conftest import snapshot

    before = snapshot(f"sqlite:///{demo}")
    args = ["--db", str(demo), "--today", TODAY, "report", "audits", "--period", "2026/27-Q3"]
    typo = CliRunner().invoke(app, [*args, "--team", "Assesment Team 1"])
    assert (typo.exit_code, typo.stderr) == (
        1,
        "Error: no team 'Assesment Team 1' in the store (see qaudit cases list); did you mean "
        "'Assessment Team 1' or 'Assessment Team 2'?\n",
    )
    unknown = CliRunner().invoke(app, [*args, "--team", "Nope", "--format", "md"])
    assert unknown.exit_code == 1 and unknown.stdout == ""
    assert unknown.stderr == "Error: no team 'Nope' in the store (see qaudit cases list)\n"
    assert snapshot(f"sqlite:///{demo}") == before
    cased = _run(demo, *args[4:], "--team", "assessment team 1", "--format", "json")
    assert json.loads(cased.stdout)["team"] == "Assessment Team 1"

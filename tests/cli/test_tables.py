"""Tables for people: qaudit's own renderer (cli/table.py), and tables at 80 columns that split
no ref, date, number or grade."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from qaudit.cli.table import ASCII, HEAVY_HEAD, Fold, fit, render, table_width, wrap


def width(line: str) -> int:
    from rich.cells import cell_len

    return cell_len(line)


# --- the renderer ---------------------------------------------------------------------------


def test_free_text_folds_at_spaces_and_a_word_too_long_is_folded_itself() -> None:
    assert wrap("I want to see my brother more", 13, Fold.WORDS) == [
        "I want to see",
        "my brother",
        "more",
    ]
    assert wrap("supercalifragilistic is long", 8, Fold.WORDS) == [
        "supercal",
        "ifragili",
        "stic is",
        "long",
    ]
    assert wrap("first\nsecond line", 20, Fold.WORDS) == ["first", "second line"]
    assert wrap("a\tb", 20, Fold.WORDS) == ["a       b"]  # a tab to the next stop of 8
    assert wrap("", 5, Fold.WORDS) == [""]


def test_a_word_column_folds_only_after_a_hyphen_or_at_a_space() -> None:
    assert wrap("requires-improvement", 15, Fold.HYPHENS) == ["requires-", "improvement"]
    assert wrap("requires-improvement", 20, Fold.HYPHENS) == ["requires-improvement"]
    assert wrap("reviewed late", 9, Fold.HYPHENS) == ["reviewed", "late"]
    assert wrap("not-requested", 13, Fold.HYPHENS) == ["not-requested"]
    # Free text is not broken at its hyphens (as Rich did not).
    assert wrap("well-being matters", 12, Fold.WORDS) == ["well-being", "matters"]


def test_wide_characters_are_measured_in_cells() -> None:
    lines = wrap("日本語のテキスト です", 8, Fold.WORDS)
    assert lines == ["日本語の", "テキスト", "です"]
    assert all(width(line) <= 8 for line in lines)
    table = render(["Ref", "Name"], [["C1", "日本語"], ["C2", "abc"]], [3, 6], [Fold.NEVER] * 2)
    assert table.splitlines() == [
        "┏━━━━━┳━━━━━━━━┓",
        "┃ Ref ┃ Name   ┃",
        "┡━━━━━╇━━━━━━━━┩",
        "│ C1  │ 日本語 │",
        "│ C2  │ abc    │",
        "└─────┴────────┘",
    ]
    assert {width(line) for line in table.splitlines()} == {table_width([3, 6])}


def test_an_empty_table_is_its_frame_and_headings() -> None:
    assert render(["Case", "Team"], [], [4, 4], [Fold.NEVER, Fold.WORDS]) == (
        "┏━━━━━━┳━━━━━━┓\n┃ Case ┃ Team ┃\n┡━━━━━━╇━━━━━━┩\n└──────┴──────┘\n"
    )


def test_the_title_is_above_the_table_folded_to_its_width() -> None:
    table = render(
        ["Ref", "Status"],
        [["C1", "open"]],
        [3, 6],
        [Fold.NEVER, Fold.NEVER],
        title="Complaints received this quarter",
    ).splitlines()
    assert table[:2] == ["Complaints", "received this"]
    assert table[3].startswith("┏")
    assert all(width(line) <= table_width([3, 6]) for line in table)


def test_rows_fold_top_aligned_and_headings_bottom_aligned() -> None:
    table = render(
        ["Ref", "What was done"],
        [["C1", "Added to the quarterly report"]],
        [3, 10],
        [Fold.NEVER, Fold.WORDS],
    ).splitlines()
    assert table[1:3] == ["┃     ┃ What was   ┃", "┃ Ref ┃ done       ┃"]
    assert table[4:8] == [
        "│ C1  │ Added to   │",
        "│     │ the        │",
        "│     │ quarterly  │",
        "│     │ report     │",
    ]


def test_a_styled_table_has_bold_headings_and_an_ascii_box_is_drawn_as_rich_draws_it() -> None:
    styled = render(["Ref"], [["C1"]], [3], [Fold.NEVER], title="T", styled=True)
    assert "\x1b[3mT\x1b[0m" in styled and "┃ \x1b[1mRef\x1b[0m ┃" in styled
    assert "\x1b[1mC1" not in styled
    plain = render(["Ref", "Grade"], [["C1", "good"]], [3, 5], [Fold.NEVER] * 2, box=ASCII)
    assert plain.splitlines() == [
        "+-------------+",
        "| Ref | Grade |",
        "|-----+-------|",
        "| C1  | good  |",
        "+-------------+",
    ]
    assert HEAVY_HEAD.top[0] == "┏"


def test_fit_narrows_free_text_first_then_a_time_under_its_date_never_a_ref() -> None:
    natural, least = [11, 16, 30], [11, 16, 10]
    folds = [Fold.NEVER, Fold.NEVER, Fold.WORDS]
    texts = [["Ref", "C-2025-0003"], ["Due", "2026-01-08 09:00"], ["Note", "a " * 15]]
    widths, how = fit(natural, least, folds, 50, texts)
    assert widths == [11, 16, 13] and how == folds
    widths, how = fit(natural, least, folds, 40, texts)
    assert widths[0] == 11 and widths[1] == 10 and table_width(widths) <= 40
    assert how == [Fold.NEVER, Fold.WORDS, Fold.WORDS]  # the time folds at its space
    widths, _ = fit(natural, least, folds, 16, texts)  # narrower than sense: still fits
    assert table_width(widths) <= 16


def test_emit_rows_writes_through_the_console_escaping_what_the_terminal_cannot_encode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from qaudit.cli.output import emit_rows
    from qaudit.cli.state import Format

    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="latin-1", errors="backslashreplace")
    monkeypatch.setattr(sys, "stdout", stream)
    monkeypatch.setenv("COLUMNS", "80")
    emit_rows(
        [{"team": "Team 🌈 Ωmega", "n": 3}],
        fmt=Format.table,
        columns=[("team", "Team"), ("n", "N")],
        title="Teams",
    )
    stream.flush()
    out = raw.getvalue().decode("latin-1")
    assert out.splitlines() == [
        "Teams",
        "+-------------------+",
        "| Team          | N |",
        "|---------------+---|",
        "| Team \\U0001f308 \\u03a9mega | 3 |",  # (laid out before it was escaped, as Rich did)
        "+-------------------+",
    ]


def test_headings_are_bold_only_at_a_terminal_with_colour(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from qaudit.cli.output import emit_rows
    from qaudit.cli.state import Format

    def table() -> str:
        emit_rows([{"ref": "C1"}], fmt=Format.table, columns=[("ref", "Ref")])
        return capsys.readouterr().out

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    assert "\x1b" not in table()  # not a terminal
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    assert "\x1b[1mRef\x1b[0m" in table()
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b" not in table()


def test_a_table_does_not_import_richs_table() -> None:
    code = (
        "import sys\n"
        "from qaudit.cli.output import emit_rows\n"
        "from qaudit.cli.state import Format\n"
        "emit_rows([{'a': 1}], fmt=Format.table, columns=[('a', 'A')], title='T')\n"
        "assert 'rich.table' not in sys.modules, 'rich.table imported'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "┃ A ┃" in done.stdout


# --- tables at 80 columns on the demo store --------------------------------------------------


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from typer.testing import CliRunner

    from qaudit.cli import app

    folder = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COLUMNS", "80")
        patch.chdir(folder)
        built = CliRunner().invoke(app, ["demo"])
    assert built.exit_code == 0, built.stderr
    return folder / "qaudit-demo.db"


def column_cells(stdout: str, heading: str) -> list[list[str]]:
    """The lines of each cell of one column of a table: one list per row."""
    lines = stdout.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("┃"))
    rule = next(i for i in range(head, len(lines)) if lines[i].startswith("┡"))
    headings = [
        " ".join(parts)
        for parts in zip(*(line.split("┃")[1:-1] for line in lines[head:rule]), strict=True)
    ]
    index = [" ".join(h.split()) for h in headings].index(heading)
    cells: list[list[str]] = []
    for line in lines[rule + 1 :]:
        if not line.startswith("│"):
            break
        parts = line.split("│")[1:-1]
        if parts[0].strip() or not cells:
            cells.append([])
        if text := parts[index].strip():
            cells[-1].append(text)
    return cells


# (command, the headings of its columns of words: grades, statuses, kinds)
WORD_COLUMNS = [
    (["audits", "list"], ["Grade", "Status"]),
    (["reaudits"], ["Status", "Grade", "Re-audit grade"]),
    (["overdue"], ["Kind"]),
    (["complaints", "list"], ["Status"]),
    (["survey", "list"], ["Status"]),
    (["advocacy", "list"], ["Status"]),
    (["cases", "list"], ["Category"]),
]


@pytest.mark.parametrize(("command", "headings"), WORD_COLUMNS)
def test_at_80_columns_no_grade_or_status_is_split_inside_a_word(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch, command: list[str], headings: list[str]
) -> None:
    from typer.testing import CliRunner

    from qaudit.cli import app

    monkeypatch.setenv("COLUMNS", "80")
    head = ["--db", str(demo_db), "--today", "2026-12-14", *command]
    shown = CliRunner().invoke(app, head)
    assert shown.exit_code == 0, shown.stderr
    assert max(width(line) for line in shown.stdout.splitlines()) <= 80
    data = CliRunner().invoke(app, [*head, "--format", "json"])
    assert data.exit_code == 0, data.stderr
    values = {v for row in json.loads(data.stdout) for v in row.values() if isinstance(v, str)}
    # What a cell's line may hold: a value whole, or a run of its pieces cut after a hyphen or
    # at a space ("requires-" / "improvement"), never a word cut anywhere else.
    allowed = set()
    for value in values:
        pieces = re.findall(r"[^\s-]+-*\s*|-+\s*|\s+", value)
        for i in range(len(pieces)):
            for j in range(i + 1, len(pieces) + 1):
                allowed.add("".join(pieces[i:j]).strip())
    for heading in headings:
        cells = [cell for cell in column_cells(shown.stdout, heading) if cell]
        assert cells, heading
        for cell in cells:
            assert all(line in allowed for line in cell), (heading, cell)
    if command == ["audits", "list"]:
        grades = column_cells(shown.stdout, "Grade")
        assert ["requires-", "improvement"] in grades or ["requires-improvement"] in grades


# --- wide figures at 80 columns: down the side, never cut inside a word ----------------------


def _at_80(demo_db: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[str, str]:
    from typer.testing import CliRunner

    from qaudit.cli import app

    monkeypatch.setenv("COLUMNS", "80")
    shown = CliRunner().invoke(app, ["--db", str(demo_db), "--today", "2026-12-14", *args])
    assert shown.exit_code == 0, shown.stderr
    if "json" not in args:
        assert max(width(line) for line in shown.stdout.splitlines()) <= 80
    return shown.stdout, shown.stderr


def _figure_line(heading: str, *values: object) -> str:
    """A line of a table turned on its side: the heading, then each value, whole."""
    cells = r" *│ *".join(re.escape("" if v is None else str(v)) for v in values)
    return rf"(?m)^│ {re.escape(heading)} +│ *{cells} *│$"


def test_complaint_figures_at_80_columns_go_down_the_side(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sixteen figures across would be cut to pieces at 80 columns ("Rece" / "ived"); a period's
    figures, or its quarters', are shown a figure a line, each heading and value whole."""
    from qaudit.cli.complaint_stats import COLUMNS

    args = ["complaints", "stats", "--period", "2026/27", "--by", "quarter"]
    out, _ = _at_80(demo_db, monkeypatch, *args)
    data = _at_80(demo_db, monkeypatch, *args, "--format", "json")[0]
    figures = json.loads(data)["figures"]
    assert [f["period"] for f in figures] == [
        "2026/27-Q1", "2026/27-Q2", "2026/27-Q3", "2026/27-Q4", "2026/27",
    ]  # fmt: skip
    assert re.search(_figure_line("Figure", *(f["period"] for f in figures)).replace("│", "┃"), out)
    for key, heading in COLUMNS[1:]:
        if heading == "Letter outstanding":
            heading = "Letter"  # folded at its space, in a column as wide as the others allow
        assert re.search(_figure_line(heading, *(f[key] for f in figures)), out), heading


def test_complaint_figures_for_each_month_keep_the_columns_that_matter(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, err = _at_80(demo_db, monkeypatch, "complaints", "stats", "--period", "2026/27",
                      "--by", "month")  # fmt: skip
    assert err.startswith("Left out to fit 80 columns: Stage 1, Stage 2, Stage 3, In time, ")
    assert "--wide shows every column." in err
    assert re.search(r"(?m)^│ 2026-10 +│ 4 +│ 4 +│ 75\.0 +│ 0 +│ 8 +│$", out), out


def test_a_report_table_too_wide_for_the_terminal_goes_down_the_side(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The complaints report's figures at 80 columns: a figure a line, each whole (with its
    small-number mark, and its interval on the line below), not twelve columns cut inside
    words; a table of long questions still folds its questions at their spaces."""
    args = ["report", "complaints", "--period", "2026/27-Q3"]
    out, _ = _at_80(demo_db, monkeypatch, *args)
    report = json.loads(_at_80(demo_db, monkeypatch, *args, "--format", "json")[0])
    table = report["sections"][0]["tables"][0]
    assert len(table["rows"]) == 1
    row = table["rows"][0]
    assert re.search(_figure_line("Period", row["period"]).replace("│", "┃"), out)
    for column in table["columns"][1:]:
        value = row[column["key"]]
        if column["kind"] == "pct":
            small = " †" if row.get(f"{column['key']}_small") else ""
            low, high = row[f"{column['key']}_ci95"]
            assert re.search(_figure_line(column["title"], f"{value:.1f}%{small}"), out)
            assert re.search(_figure_line("", f"{low:.1f}–{high:.1f}"), out)
        elif column["kind"] == "number":
            assert re.search(_figure_line(column["title"], f"{value:.1f}"), out), column
        else:
            assert re.search(_figure_line(column["title"], value), out), column
    board, _ = _at_80(demo_db, monkeypatch, "report", "board", "--period", "2026/27-Q3")
    strongest = board.split("Strongest questions")[1].split("└")[0]
    assert "┃ Question " in strongest and "Answered" in strongest  # as it was: a row a question

"""Rendering reports: Markdown, CSV, JSON, XLSX and HTML shapes, formula safety, atomic writes."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from markupsafe import escape

from qaudit.files import PathError, write_atomically
from qaudit.reports.model import Column, Report, Section, Table
from qaudit.reports.publish import publish
from qaudit.reports.render import (
    SMALL_NOTE,
    _axis,
    expand_out_path,
    to_csv,
    to_html,
    to_json,
    to_markdown,
    to_xlsx,
)

PAYLOAD = '=HYPERLINK("http://x","y")'


def _report() -> Report:
    grades = Table(
        name="grades",
        title="Audits by grade",
        columns=[
            Column("grade", "Grade", "label"),
            Column("count", "Audits", "count"),
            Column("pct", "Share", "pct"),
            Column("change", "Change", "number"),
            Column("first", "First audit", "date"),
            Column("comment", "Comment", "text"),
        ],
        rows=[
            {
                "grade": "Good",
                "count": 12,
                "pct": 48.0,
                "change": -3,
                "first": date(2026, 10, 2),
                "comment": PAYLOAD,
            },
            {
                "grade": "Requires improvement",
                "count": "c",
                "pct": "c",
                "change": 2.5,
                "first": None,
                "comment": "+1",
            },
            {
                "grade": "Inadequate | urgent",
                "count": 0,
                "pct": None,
                "change": None,
                "first": None,
                "comment": "<b>bold</b>",
            },
        ],
        note="Moderated grades.",
        chart="bar",
    )
    trend = Table(
        name="trend",
        title="Good or better by month",
        columns=[Column("month", "Month"), Column("pct", "Good or better", "pct")],
        rows=[
            {"month": "2026-10", "pct": 40.0},
            {"month": "2026-11", "pct": None},
            {"month": "2026-12", "pct": "c"},
            {"month": "2027-01", "pct": 55.5},
            {"month": "2027-02", "pct": 60.0},
        ],
        chart="line",
    )
    return Report(
        kind="audits",
        title="Case audits",
        period_label="2026/27-Q3",
        start=date(2026, 10, 1),
        end=date(2026, 12, 31),
        generated_on=date(2027, 1, 5),
        team="Team <A>",
        sections=[
            Section(
                "audits",
                "Case audits",
                [grades, trend],
                {
                    "What is working well": ["Clear plans", "-negative start"],
                    "Areas for development": ["@mention", "Visits | late"],
                },
            ),
            Section(
                "balance",
                "A section title far longer than thirty-one characters: with [bad] chars",
            ),
            Section("balance2", "A section title far longer than thirty-one characters: twice"),
        ],
        notes=["Figures are provisional."],
    )


# --- Markdown ------------------------------------------------------------------------------


def test_markdown_shape() -> None:
    text = to_markdown(_report())
    lines = text.splitlines()
    assert lines[0] == "# Case audits"
    assert "2026/27-Q3 (2026-10-01 to 2026-12-31)" in text
    assert "- Figures are provisional." in lines
    assert "## Case audits" in lines
    assert "### Audits by grade" in lines
    header = lines.index("| Grade | Audits | Share | Change | First audit | Comment |")
    assert lines[header + 1] == "| --- | ---: | ---: | ---: | --- | --- |"
    assert lines[header + 2].startswith("| Good | 12 | 48.0% | -3 | 2026-10-02 |")
    assert r"| Inadequate \| urgent | 0 |" in text
    assert "_Moderated grades._" in lines
    assert "**What is working well**" in lines
    assert "- Clear plans" in lines
    assert r"\<b>bold\</b>" in text  # not raw HTML for a Markdown viewer
    assert r"**Team:** Team \<A>" in text
    # every table line has as many unescaped pipes as the header
    pipes = [len(re.findall(r"(?<!\\)\|", line)) for line in lines[header : header + 5]]
    assert len(set(pipes)) == 1


def test_markdown_and_html_show_control_characters_as_escapes() -> None:
    """A team or finding imported with ESC sequences is shown, not obeyed, when the report is
    printed to a terminal (or opened later with cat)."""
    report = _report()
    report.team = "Team\x1b[2J A"
    report.sections[0].lists["Areas for development"].append("late\x07 visits\u202e")
    for text in (to_markdown(report), to_html(report)):
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
        assert "Team\\x1b[2J A" in text
        assert "late\\x07 visits\\u202e" in text
    assert to_html(report).count("<svg") == 2  # the charts are left as they are


def test_markdown_of_published_report_says_lists_were_withheld() -> None:
    text = to_markdown(publish(_report()))
    assert "Withheld: free text is not published." in text
    assert "Clear plans" not in text
    assert "Counts of 1 to 5 are shown as c, and so is any figure" in text


# --- CSV -----------------------------------------------------------------------------------


def _csv_rows(report: Report) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(to_csv(report))))


def test_csv_is_long_form_and_parses_back() -> None:
    rows = _csv_rows(_report())
    assert list(rows[0]) == ["section", "table", "row", "column", "value"]
    cell = {(r["section"], r["table"], r["row"], r["column"]): r["value"] for r in rows}
    assert cell[("audits", "grades", "1", "count")] == "12"
    assert cell[("audits", "grades", "1", "change")] == "-3"  # a real number is not quoted
    assert cell[("audits", "grades", "2", "change")] == "2.5"
    assert cell[("audits", "grades", "1", "first")] == "2026-10-02"
    assert cell[("audits", "grades", "2", "first")] == ""
    assert cell[("audits", "grades", "2", "count")] == "c"
    assert cell[("audits", "trend", "2", "pct")] == ""
    assert cell[("audits", "What is working well", "1", "item")] == "Clear plans"
    assert cell[("report", "notes", "1", "note")] == "Figures are provisional."


def test_csv_neutralises_formula_payloads() -> None:
    rows = _csv_rows(_report())
    cell = {(r["table"], r["row"], r["column"]): r["value"] for r in rows}
    assert cell[("grades", "1", "comment")] == "'" + PAYLOAD
    assert cell[("grades", "2", "comment")] == "'+1"
    assert cell[("What is working well", "2", "item")] == "'-negative start"
    assert cell[("Areas for development", "1", "item")] == "'@mention"
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "@", "\t", "\r"))
            assert not value.startswith("-") or re.fullmatch(r"-\d+(\.\d+)?", value)


# --- JSON ----------------------------------------------------------------------------------


def test_json_round_trips_with_iso_dates() -> None:
    doc = json.loads(to_json(_report()))
    assert doc["kind"] == "audits"
    assert doc["period"] == "2026/27-Q3"
    assert (doc["start"], doc["end"], doc["generated_on"]) == (
        "2026-10-01",
        "2026-12-31",
        "2027-01-05",
    )
    assert doc["published"] is False
    assert doc["team"] == "Team <A>"
    assert doc["notes"] == ["Figures are provisional."]
    section = doc["sections"][0]
    assert section["name"] == "audits"
    table = section["tables"][0]
    assert table["columns"][1] == {"key": "count", "title": "Audits", "kind": "count"}
    assert table["rows"][0]["first"] == "2026-10-02"
    assert table["rows"][0]["change"] == -3
    assert table["rows"][0]["comment"] == PAYLOAD  # JSON is data, not a spreadsheet
    assert table["rows"][1]["count"] == "c"
    assert table["rows"][2]["pct"] is None
    assert section["lists"]["What is working well"] == ["Clear plans", "-negative start"]


def test_json_has_no_nan() -> None:
    report = _report()
    report.sections[0].tables[1].rows[0]["pct"] = float("nan")
    doc = json.loads(to_json(report))
    assert doc["sections"][0]["tables"][1]["rows"][0]["pct"] is None


# --- XLSX ----------------------------------------------------------------------------------


def _find(sheet: object, value: str) -> tuple[int, int]:
    for row in sheet.iter_rows():  # type: ignore[attr-defined]
        for cell in row:
            if cell.value == value:
                return cell.row, cell.column
    raise AssertionError(f"{value!r} not on the sheet")


def test_xlsx_opens_with_typed_cells(tmp_path: Path) -> None:
    data = to_xlsx(_report())
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames[0] == "About"
    assert len(wb.sheetnames) == 4
    assert all(len(name) <= 31 for name in wb.sheetnames)
    assert len({name.lower() for name in wb.sheetnames}) == 4
    assert not any(ch in name for name in wb.sheetnames for ch in "[]:*?/\\")

    about = wb["About"]
    assert about["A1"].value == "Case audits"
    assert about["A1"].font.b
    _find(about, "Figures are provisional.")

    ws = wb["Case audits"]
    title_row, _ = _find(ws, "Audits by grade")
    assert ws.cell(title_row, 1).font.b
    header = title_row + 1
    assert [ws.cell(header, c).value for c in range(1, 7)] == [
        "Grade",
        "Audits",
        "Share",
        "Change",
        "First audit",
        "Comment",
    ]
    assert ws.cell(header, 1).font.b
    assert ws.cell(header, 1).fill.fill_type == "solid"
    good = header + 1
    assert ws.cell(good, 2).value == 12 and isinstance(ws.cell(good, 2).value, int)
    assert ws.cell(good, 3).value == 48.0 and ws.cell(good, 3).number_format == "0.0"
    assert ws.cell(good, 4).value == -3 and ws.cell(good, 4).data_type == "n"
    assert isinstance(ws.cell(good, 5).value, datetime)
    assert ws.cell(good, 5).number_format == "yyyy-mm-dd"
    payload = ws.cell(good, 6)
    assert payload.data_type == "s" and payload.value == "'" + PAYLOAD
    plus = ws.cell(good + 1, 6)
    assert plus.data_type == "s" and plus.value == "'+1"
    assert ws.cell(good + 1, 2).value == "c"
    assert ws.cell(good + 2, 3).value is None
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type != "f"
            if isinstance(cell.value, str):
                assert cell.data_type == "s"
                assert not cell.value.startswith(("=", "+", "-", "@"))
    # column widths fitted and capped
    widths = [d.width for d in ws.column_dimensions.values() if d.width]
    assert widths and max(widths) <= 60
    # lists: a heading then one row an item
    heading, col = _find(ws, "What is working well")
    assert ws.cell(heading + 1, col).value == "Clear plans"
    assert ws.cell(heading + 2, col).value == "'-negative start"

    path = tmp_path / "report.xlsx"
    path.write_bytes(data)
    frames = pd.read_excel(path, sheet_name=None, header=None)
    assert list(frames) == wb.sheetnames
    assert (frames["Case audits"] == "Audits by grade").any().any()


# --- HTML ----------------------------------------------------------------------------------


def test_html_is_self_contained_with_charts() -> None:
    page = to_html(_report())
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page.lower()
    assert page.count("<svg") == 2
    assert "<rect" in page and "<polyline" in page
    assert "@media print" in page
    assert "<b>bold</b>" not in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page
    assert "Team &lt;A&gt;" in page
    # The only web addresses are inside the escaped payload text.
    escaped = str(escape(PAYLOAD))
    assert escaped in page
    rest = page.replace(escaped, "")
    assert "http://" not in rest and "https://" not in rest
    for marker in ("href=", "src=", "url(", "@import", "<link"):
        assert marker not in rest.lower()
    # two lists side by side
    assert 'class="lists two"' in page


def test_html_line_chart_leaves_gaps_for_missing_and_suppressed() -> None:
    page = to_html(_report())
    line_svg = page[page.index("<svg", page.index("Good or better by month")) :]
    line_svg = line_svg[: line_svg.index("</svg>")]
    # 40, gap (None), gap ("c"), 55.5, 60: one lone point then one two-point line
    assert line_svg.count("<polyline") == 1
    assert line_svg.count("<circle") == 3


def test_html_bar_chart_skips_suppressed_bars() -> None:
    page = to_html(_report())
    bar_svg = page[page.index("<svg") : page.index("</svg>")]
    # 12 and 0 are drawn (0 with no width, so no rect); "c" has no bar but shows "c"
    assert bar_svg.count("<rect") == 1
    assert ">c</text>" in bar_svg


LONG_LABEL = (
    "Requires improvement to be good, with a plan agreed at the review and a date set "
    "for the next visit to the child"
)


def _ci_report() -> Report:
    """Rows carrying 95% intervals (pct_ci95) and a small-number flag (pct_small)."""
    columns = [
        Column("team", "Team"),
        Column("n", "Audits", "count"),
        Column("pct", "Good or better", "pct"),
    ]
    bars = Table(
        name="teams",
        title="Good or better by team",
        columns=columns,
        rows=[
            {"team": LONG_LABEL, "n": 40, "pct": 60.0, "pct_ci95": [46.2, 72.4]},
            {"team": "B", "n": 6, "pct": 50.0, "pct_ci95": [18.8, 81.2], "pct_small": True},
            {"team": "C", "n": 21, "pct": 71.4},
        ],
        chart="bar",
        chart_value="pct",
    )
    trend = Table(
        name="trend",
        title="Good or better by month",
        columns=[Column("month", "Month"), *columns[1:]],
        rows=[
            {"month": "2026-10", "n": 30, "pct": 60.0, "pct_ci95": [46.2, 72.4]},
            {"month": "2026-11", "n": 20, "pct": 55.0, "pct_ci95": [34.2, 74.2]},
        ],
        chart="line",
        chart_value="pct",
    )
    report = _report()
    report.sections = [Section("audits", "Case audits", [bars, trend])]
    return report


def _svgs(page: str) -> list[str]:
    return re.findall(r"<svg.*?</svg>", page, flags=re.S)


def _texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return ["".join(t.itertext()) for t in root.iter() if t.tag == "text"]


def test_axis_pct_is_0_to_100_and_counts_nice_from_0() -> None:
    assert _axis(0.0, 71.4, "pct") == [0, 25, 50, 75, 100]
    assert _axis(0.0, 12, "count") == [0, 5, 10, 15]
    assert _axis(0.0, 2, "count") == [0, 1, 2, 3]
    assert _axis(0.0, 40, "count") == [0, 10, 20, 30, 40]
    assert _axis(-3, 2.5, "number") == [-4, -2, 0, 2, 4]
    for high in (1, 3, 7, 13, 99, 101, 250, 1234):
        ticks = _axis(0.0, high, "count")
        assert ticks[0] == 0 and ticks[-1] >= high and 4 <= len(ticks) <= 5
        assert all(t == int(t) for t in ticks)


def test_html_pct_chart_axes_run_0_to_100() -> None:
    bar, line = _svgs(to_html(_ci_report()))
    for svg in (bar, line):
        texts = _texts(svg)
        for label in ("0%", "25%", "50%", "75%", "100%"):
            assert label in texts
    # the count chart of the other report: 0, 5, 10, 15
    grades = _texts(_svgs(to_html(_report()))[0])
    assert {"0", "5", "10", "15"} <= set(grades)


def test_svg_is_well_formed() -> None:
    for report in (_report(), _ci_report(), publish(_ci_report())):
        for svg in _svgs(to_html(report)):
            ET.fromstring(svg)


def test_whiskers_drawn_only_for_intervals() -> None:
    bar, line = _svgs(to_html(_ci_report()))
    assert bar.count('class="whisker"') == 2  # not on "C", which has no interval
    assert line.count('class="whisker"') == 2
    for svg in _svgs(to_html(_report())):
        assert "whisker" not in svg
    # a published report keeps the interval of a rate it shows, and drops a suppressed one's
    published = publish(_ci_report())
    shown = sum(
        1
        for table in published.sections[0].tables
        for row in table.rows
        for key, value in row.items()
        if key.endswith("_ci95")
    )
    assert "".join(_svgs(to_html(published))).count('class="whisker"') == shown


def test_long_labels_wrap_and_are_never_cut() -> None:
    bar = _svgs(to_html(_ci_report()))[0]
    assert "…" not in bar
    tspans = re.findall(r"<tspan[^>]*>([^<]*)</tspan>", bar)
    wrapped = [t for t in tspans if t and t in LONG_LABEL]
    assert 2 <= len(wrapped) <= 3
    assert " ".join(wrapped) == LONG_LABEL


def test_interval_in_html_and_markdown_cells() -> None:
    report = _ci_report()
    page = to_html(report)
    # the interval in a span a phone shows below the figure
    assert '<td class="num">60.0% <span class="ci">(46.2–72.4)</span></td>' in page
    assert '<td class="num">50.0% <span class="ci">(18.8–81.2) †</span></td>' in page
    assert '<td class="num">71.4%</td>' in page  # no interval: as before
    assert f'<p class="note">{SMALL_NOTE}</p>' in page
    text = to_markdown(report)
    assert "| 40 | 60.0% (46.2–72.4) |" in text
    assert "| 6 | 50.0% (18.8–81.2) † |" in text
    assert "| C | 21 | 71.4% |" in text
    assert f"_{SMALL_NOTE}_" in text
    assert "ci95" not in page and "ci95" not in text and "_small" not in text


def test_no_small_note_without_small_rows() -> None:
    assert "†" not in to_html(_report()) and "†" not in to_markdown(_report())


def test_interval_in_csv_as_two_more_columns() -> None:
    rows = [r for r in _csv_rows(_ci_report()) if r["table"] == "teams"]
    first = [(r["column"], r["value"]) for r in rows if r["row"] == "1"]
    assert first == [
        ("team", LONG_LABEL),
        ("n", "40"),
        ("pct", "60.0"),
        ("pct_low", "46.2"),
        ("pct_high", "72.4"),
    ]
    third = [r["column"] for r in rows if r["row"] == "3"]
    assert third == ["team", "n", "pct"]
    assert not [r for r in _csv_rows(_ci_report()) if "ci95" in r["column"]]


def test_interval_in_xlsx_as_two_more_columns() -> None:
    wb = openpyxl.load_workbook(io.BytesIO(to_xlsx(_ci_report())))
    ws = wb["Case audits"]
    title_row, _ = _find(ws, "Good or better by team")
    header = [ws.cell(title_row + 1, c).value for c in range(1, 7)]
    assert header == [
        "Team",
        "Audits",
        "Good or better",
        "Good or better low",
        "Good or better high",
        None,
    ]
    values = [[ws.cell(title_row + r, c).value for c in range(2, 6)] for r in (2, 3, 4)]
    assert values == [[40, 60.0, 46.2, 72.4], [6, 50.0, 18.8, 81.2], [21, 71.4, None, None]]
    assert ws.cell(title_row + 2, 4).number_format == "0.0"
    # a table without intervals keeps its columns
    grades = openpyxl.load_workbook(io.BytesIO(to_xlsx(_report())))["Case audits"]
    row, _ = _find(grades, "Audits by grade")
    assert grades.cell(row + 1, 7).value is None


def test_json_keeps_intervals_as_they_are() -> None:
    doc = json.loads(to_json(_ci_report()))
    rows = doc["sections"][0]["tables"][0]["rows"]
    assert rows[0] == {"team": LONG_LABEL, "n": 40, "pct": 60.0, "pct_ci95": [46.2, 72.4]}
    assert rows[1]["pct_small"] is True and rows[1]["pct_ci95"] == [18.8, 81.2]
    assert rows[2] == {"team": "C", "n": 21, "pct": 71.4}
    assert [c["key"] for c in doc["sections"][0]["tables"][0]["columns"]] == ["team", "n", "pct"]
    # without the keys, rows are the columns alone, as before
    plain = json.loads(to_json(_report()))
    for table in plain["sections"][0]["tables"]:
        keys = [c["key"] for c in table["columns"]]
        assert all(list(row) == keys for row in table["rows"])


def test_terminal_cells_show_intervals() -> None:
    from qaudit.cli.report import _cell

    table = _ci_report().sections[0].tables[0]
    pct = table.columns[2]
    # The interval on a line of its own: a narrow terminal column never splits the figure.
    assert [_cell(row, pct) for row in table.rows] == [
        "60.0%\n46.2–72.4",
        "50.0% †\n18.8–81.2",
        "71.4",  # as before
    ]


def test_interval_ignored_when_the_figure_is_suppressed() -> None:
    report = _ci_report()
    report.sections[0].tables[0].rows[0]["pct"] = "c"
    page = to_html(report)
    assert '<td class="num">c</td>' in page
    assert page.count('class="whisker"') == 3


def _defined_report() -> Report:
    report = _report()
    grades = report.sections[0].tables[0]
    grades.definitions = ["Audits: audits dated in the period.", "Share: of all the audits."]
    return report


def test_definitions_under_the_table_in_every_format_but_csv() -> None:
    """A line a figure, under its table and before its note; CSV stays one line a cell."""
    defs = ["Audits: audits dated in the period.", "Share: of all the audits."]
    report = _defined_report()
    lines = to_markdown(report).splitlines()
    first = lines.index("- " + defs[0])
    assert lines[first + 1] == "- " + defs[1]
    assert lines[first - 2].startswith("| Inadequate")  # the table's last row, then a gap
    assert lines.index("_Moderated grades._") > first
    page = to_html(report)
    assert f'<ul class="defs">\n<li>{defs[0]}</li>\n<li>{defs[1]}</li>\n</ul>' in page
    assert page.index('<ul class="defs">') < page.index('<p class="note">Moderated grades.')
    assert page.count('<ul class="defs">') == 1  # none for a table without definitions
    tables = json.loads(to_json(report))["sections"][0]["tables"]
    assert [t["definitions"] for t in tables] == [defs, []]
    ws = openpyxl.load_workbook(io.BytesIO(to_xlsx(report)))["Case audits"]
    row, _ = _find(ws, defs[0])
    assert ws.cell(row + 1, 1).value == defs[1]
    assert ws.cell(row + 2, 1).value == "Moderated grades."
    assert defs[0] not in to_csv(report)


# --- files ---------------------------------------------------------------------------------


def test_write_atomically_replaces_and_leaves_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "report.md"
    path.write_text("old and longer than the new text")
    write_atomically(path, "new")
    assert path.read_text() == "new"
    write_atomically(path, b"\x00bytes")
    assert path.read_bytes() == b"\x00bytes"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]


def test_write_atomically_cleans_up_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "report.md"
    path.write_text("old")

    def fail(self: Path, target: Path) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(Path, "replace", fail)
    with pytest.raises(PathError, match=r"cannot write .*report\.md: disk gone; nothing written"):
        write_atomically(path, "new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]


def test_expand_out_path() -> None:
    assert expand_out_path("out/{period}-audits.md", "2026-27-Q3") == Path(
        "out/2026-27-Q3-audits.md"
    )
    assert expand_out_path("r-{period}.csv", "2026/27-Q3") == Path("r-2026-27-Q3.csv")
    assert expand_out_path("fixed.csv", "2026-11") == Path("fixed.csv")

"""Publishing a report: small counts as "c", secondary suppression, no free text."""

from __future__ import annotations

from datetime import date

from qaudit.reports.model import Column, Report, Section, Table
from qaudit.reports.publish import TEXT_WITHHELD_NOTE, publish


def _report(*tables: Table, lists: dict[str, list[str]] | None = None) -> Report:
    return Report(
        kind="audits",
        title="Case audits",
        period_label="2026/27-Q3",
        start=date(2026, 10, 1),
        end=date(2026, 12, 31),
        generated_on=date(2027, 1, 5),
        sections=[Section("audits", "Case audits", list(tables), lists or {})],
        notes=["Figures are provisional."],
    )


def _grades() -> Table:
    return Table(
        name="grades",
        title="Audits by grade",
        columns=[
            Column("grade", "Grade", "label"),
            Column("count", "Audits", "count"),
            Column("pct", "Share", "pct"),
            Column("days", "Mean days", "number"),
            Column("case_ref", "Example case", "text"),
        ],
        rows=[
            {"grade": "Outstanding", "count": 0, "pct": 0.0, "days": 1.5, "case_ref": "C1"},
            {"grade": "Good", "count": 3, "pct": 12.0, "days": 2.0, "case_ref": "C2"},
            {"grade": "Requires improvement", "count": 6, "pct": 24.0, "days": 3, "case_ref": "C3"},
            {"grade": "Inadequate", "count": 16, "pct": 64.0, "days": 4, "case_ref": "C4"},
            {"grade": "Total", "count": 25, "pct": 100.0, "days": None, "case_ref": None},
        ],
    )


def _cell(report: Report, table: str, row: int, key: str) -> object:
    found = next(t for s in report.sections for t in s.tables if t.name == table)
    return found.rows[row][key]


def test_small_counts_become_c_zero_and_six_stay() -> None:
    table = Table(
        "teams",
        "Audits by team",
        [Column("team", "Team"), Column("n", "Audits", "count")],
        [{"team": t, "n": n} for t, n in [("A", 0), ("B", 1), ("C", 5), ("D", 6), ("E", None)]],
    )
    published = publish(_report(table))
    assert [r["n"] for r in published.sections[0].tables[0].rows] == [0, "c", "c", 6, None]
    assert published.published is True
    assert (
        "Counts of 1 to 5 are shown as c, and so is any figure from which one could be "
        "worked out." in published.notes
    )


def test_secondary_suppression_beside_a_total_row() -> None:
    published = publish(_report(_grades()))
    counts = [r["count"] for r in published.sections[0].tables[0].rows]
    # 3 is suppressed; the total would give it away, so the next-smallest non-zero (6) goes too.
    assert counts == [0, "c", "c", 16, 25]


def test_no_secondary_suppression_without_a_total() -> None:
    table = _grades()
    table.rows = table.rows[:-1]
    counts = [r["count"] for r in publish(_report(table)).sections[0].tables[0].rows]
    assert counts == [0, "c", 6, 16]


def test_secondary_suppression_along_a_row_with_a_total_column() -> None:
    table = Table(
        "stages",
        "Complaints by theme and stage",
        [
            Column("theme", "Theme"),
            Column("s1", "Stage 1", "count"),
            Column("s2", "Stage 2", "count"),
            Column("total", "Total", "count"),
        ],
        [
            {"theme": "Contact", "s1": 20, "s2": 2, "total": 22},
            {"theme": "Delay", "s1": 30, "s2": 10, "total": 40},
        ],
    )
    rows = publish(_report(table)).sections[0].tables[0].rows
    assert rows[0] == {"theme": "Contact", "s1": "c", "s2": "c", "total": 22}
    assert rows[1] == {"theme": "Delay", "s1": 30, "s2": 10, "total": 40}


def test_summary_table_counts_as_totals() -> None:
    table = Table(
        "summary",
        "Summary",
        [Column("measure", "Measure"), Column("n", "Number", "count")],
        [{"measure": "Audited", "n": 40}, {"measure": "Good", "n": 4}, {"measure": "RI", "n": 9}],
    )
    rows = publish(_report(table)).sections[0].tables[0].rows
    assert [r["n"] for r in rows] == [40, "c", "c"]


def test_pct_beside_a_suppressed_count_is_c() -> None:
    rows = publish(_report(_grades())).sections[0].tables[0].rows
    assert rows[1]["pct"] == "c"  # primary
    assert rows[2]["pct"] == "c"  # secondary
    assert rows[3]["pct"] == 64.0
    assert rows[1]["days"] == 2.0  # other figures stay


def test_text_columns_are_dropped() -> None:
    published = publish(_report(_grades()))
    table = published.sections[0].tables[0]
    assert [c.key for c in table.columns] == ["grade", "count", "pct", "days"]
    assert all("case_ref" not in row for row in table.rows)
    assert TEXT_WITHHELD_NOTE in published.notes


def test_lists_are_emptied_with_a_note() -> None:
    report = _report(_grades(), lists={"What is working well": ["Jo's plan was <b>clear</b>"]})
    published = publish(report)
    assert published.sections[0].lists == {"What is working well": []}
    assert TEXT_WITHHELD_NOTE in published.notes
    assert "Figures are provisional." in published.notes


def test_publish_is_pure_and_idempotent() -> None:
    report = _report(_grades(), lists={"Areas for development": ["x"]})
    once = publish(report)
    assert report.published is False
    assert report.sections[0].tables[0].rows[1]["count"] == 3
    assert report.sections[0].lists == {"Areas for development": ["x"]}
    assert len(report.sections[0].tables[0].columns) == 5
    twice = publish(once)
    assert twice == once


def test_threshold_is_configurable() -> None:
    published = publish(_report(_grades()), threshold=10)
    counts = [r["count"] for r in published.sections[0].tables[0].rows]
    assert counts == [0, "c", "c", 16, 25]
    assert any(note.startswith("Counts of 1 to 10 are shown as c") for note in published.notes)


def test_a_published_rate_keeps_its_interval_unless_suppressed() -> None:
    """An interval (and the small-number flag) rests only on the counts the rate is worked
    from: shown beside a shown rate, gone with a suppressed one."""
    from qaudit.reports.model import rate

    table = Table(
        name="moderation",
        title="Moderation",
        columns=[
            Column("moderated", "Moderated", "count"),
            Column("in_time", "In time", "count"),
            Column("in_time_pct", "In time %", "pct"),
        ],
        rows=[{"moderated": 40, "in_time": 30, **rate("in_time_pct", 30, 40)},
              {"moderated": 7, "in_time": 3, **rate("in_time_pct", 3, 7)}],
    )  # fmt: skip
    assert table.rows[0]["in_time_pct_ci95"] == [59.8, 85.8]  # Wilson, worked by hand
    assert table.rows[1]["in_time_pct_small"] is True
    report = Report(
        kind="audits",
        title="Audits",
        period_label="2026-12",
        start=date(2026, 12, 1),
        end=date(2026, 12, 31),
        generated_on=date(2027, 1, 5),
        sections=[Section("audits", "Case audits", [table])],
    )
    published = publish(report)
    rows = published.sections[0].tables[0].rows
    assert rows[0]["in_time_pct"] == 75.0
    assert rows[0]["in_time_pct_ci95"] == [59.8, 85.8]
    assert rows[1]["in_time"] == "c"
    assert rows[1]["in_time_pct"] == "c"
    assert not any(key.endswith(("_ci95", "_small", "_of")) for key in rows[1])


def test_a_count_column_no_reading_knows_is_still_suppressed() -> None:
    """A count column added to a table the publisher knows by name (here the summary) is
    still a count: a small one is hidden."""
    table = Table(
        "summary",
        "Summary",
        [Column("audits", "Audits", "count"), Column("new_measure", "Something new", "count")],
        [{"audits": 40, "new_measure": 3}],
    )
    report = _report(table)
    published = publish(report)
    assert published.sections[0].tables[0].rows[0]["new_measure"] == "c"

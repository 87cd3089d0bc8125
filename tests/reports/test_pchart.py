"""The trend as a p-chart in the HTML report: points joined, centre line, stepped limits,
special causes marked by shape and colour, and the words saying what they mean."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date
from typing import Any

from qaudit.domain.stats import p_chart, percent, round_half_up
from qaudit.reports.model import Column, Report, Section, Table, rate
from qaudit.reports.pchart import MEANING, PLOT_HEIGHT, TOP, pchart_figure
from qaudit.reports.render import to_html
from qaudit.services.report_audits import TREND_NOTE, signal_words

# Months of 50 alternating either side of the centre, one with no audits, one of 20 all good
# (a special cause: above its wider upper limit), and a last one far below.
VALUES = [(34, 50), (26, 50), (0, 0), (34, 50), (26, 50), (20, 20), (26, 50), (34, 50),
          (26, 50), (34, 50), (26, 50), (5, 50)]  # fmt: skip


def _trend(values: list[tuple[int, int]] = VALUES) -> Table:
    """A trend table as services/report_audits.py builds it, from (good, audits) a month."""
    counts = [(f"2026-{i:02d}", part, whole) for i, (part, whole) in enumerate(values, 1)]
    chart = p_chart(counts)
    points = {p.label: p for p in chart.points}
    centre = percent(sum(p for _, p, _ in counts), sum(w for _, _, w in counts))
    rows: list[dict[str, Any]] = []
    for label, good, audits in counts:
        point = points.get(label)
        rows.append(
            {
                "month": label,
                "audits": audits,
                "good_or_better": good,
                **rate("good_or_better_pct", good, audits),
                "centre_pct": centre,
                "lower_pct": round_half_up(100 * point.lower, 1) if point else None,
                "upper_pct": round_half_up(100 * point.upper, 1) if point else None,
                "signal": signal_words(point, chart.centre, 6)
                if point and chart.centre is not None
                else None,
            }
        )
    return Table(
        name="trend",
        title="Audits graded good or better, last 12 months",
        columns=[
            Column("month", "Month"),
            Column("audits", "Audits", "count"),
            Column("good_or_better", "Good or better", "count"),
            Column("good_or_better_pct", "Good or better %", "pct"),
            Column("centre_pct", "Centre line %", "pct"),
            Column("lower_pct", "Lower limit %", "pct"),
            Column("upper_pct", "Upper limit %", "pct"),
            Column("signal", "Special cause"),
        ],
        rows=rows,
        note=TREND_NOTE.format(run=6),
        chart="pchart",
        chart_value="good_or_better_pct",
    )


def _svg(table: Table) -> tuple[str, ET.Element]:
    figure = pchart_figure(table)
    assert figure is not None
    text = str(figure)
    svg = re.search(r"<svg.*</svg>", text, re.S)
    assert svg is not None
    return text, ET.fromstring(svg.group(0))


def _y(pct: float) -> float:
    return round(TOP + (100 - pct) / 100 * PLOT_HEIGHT, 1)


def test_the_signals_of_the_example() -> None:
    signals = [row["signal"] for row in _trend().rows]
    assert signals[5] == "above the upper limit"
    assert signals[11] == "below the lower limit"
    assert [i for i, s in enumerate(signals) if s] == [5, 11]


def test_special_causes_are_marked_by_shape_and_colour() -> None:
    _, svg = _svg(_trend())
    special = svg.findall("polygon[@class='special']")
    points = svg.findall("circle[@class='point']")
    # Eleven months with audits: two special causes as diamonds, nine plain circles.
    assert (len(special), len(points)) == (2, 9)
    assert {p.get("fill") for p in special} != {p.get("fill") for p in points}
    tips = [p.findtext("title") for p in special]
    assert tips[0] is not None and tips[0].startswith("2026-06: 100.0% (limits ")
    assert tips[0].endswith("; special cause: above the upper limit")
    assert tips[1] is not None and tips[1].endswith("; special cause: below the lower limit")
    # The month without audits breaks the line: two runs joined.
    assert len(svg.findall("polyline")) == 2


def test_centre_limits_and_axis() -> None:
    table = _trend()
    _, svg = _svg(table)
    centre = table.rows[0]["centre_pct"]
    assert centre == 56.0  # 291/520
    line = svg.find("line[@class='centre']")
    assert line is not None and float(line.get("y1", "")) == _y(centre)
    # The limits: an upper and a lower stepped path, each broken where a month has none.
    limits = svg.findall("path[@class='limit']")
    assert len(limits) == 2
    for path in limits:
        d = path.get("d", "")
        assert d.count("M ") == 2  # before and after the month without audits
        levels = [float(v) for v in re.findall(r"[MV] (?:[\d.]+ )?([\d.]+)", d)]
        assert len(levels) == 11  # a step for each month with audits
    upper = [float(v) for v in re.findall(r"[MV] (?:[\d.]+ )?([\d.]+)", limits[0].get("d", ""))]
    expected = [_y(row["upper_pct"]) for row in table.rows if row["upper_pct"] is not None]
    assert upper == expected
    # Gridlines at 0, 25, 50, 75 and 100%, as the other percentage charts have.
    labels = [t.text for t in svg.findall("text") if t.text and t.text.endswith("%")]
    assert labels[:5] == ["0%", "25%", "50%", "75%", "100%"]


def test_the_words_under_the_chart() -> None:
    text, _ = _svg(_trend())
    caption = re.search(r"<figcaption>(.*)</figcaption>", text, re.S)
    assert caption is not None
    # what the chart found first, then what a special cause means
    assert caption.group(1).startswith(
        "Special causes: 2026-06 (above the upper limit); 2026-12 (below the lower limit). "
    )
    assert caption.group(1).endswith(MEANING.replace("'", "&#39;"))
    calm = _trend([(30, 50), (32, 50), (29, 50)])
    assert "No special causes: the months vary as chance would." in str(pchart_figure(calm))


def test_suppressed_and_missing_figures_are_gaps() -> None:
    table = _trend()
    for key in ("good_or_better_pct", "lower_pct", "upper_pct", "signal"):
        table.rows[4][key] = "c"
    _, svg = _svg(table)
    assert len(svg.findall("circle[@class='point']")) == 8
    assert all(p.get("d", "").count("M ") == 3 for p in svg.findall("path[@class='limit']"))
    empty = _trend([(0, 0), (0, 0)])
    assert pchart_figure(empty) is None


def test_labels_are_escaped() -> None:
    table = _trend([(30, 50), (32, 50)])
    table.rows[0]["month"] = "<b>x</b>"
    text = str(pchart_figure(table))
    assert "<b>" not in text and "&lt;b&gt;x&lt;/b&gt;" in text


def test_the_html_report_draws_the_p_chart_with_its_note() -> None:
    table = _trend()
    report = Report(
        kind="audits",
        title="Case audits",
        period_label="2026-12",
        start=date(2026, 12, 1),
        end=date(2026, 12, 31),
        generated_on=date(2026, 12, 14),
        sections=[Section("audits", "Case audits", [table])],
    )
    html = to_html(report)
    assert html.count('<svg class="pchart"') == 1
    assert html.count("<svg") == 1  # the p-chart only, not the plain line chart as well
    assert "A marked point is a special cause" in html  # the table's note
    assert "<figcaption>Special causes: 2026-06 (above the upper limit);" in html
    assert "(below the lower limit). A marked point (an orange diamond) is a special cause" in html

"""The trend of audits graded good or better as a p-chart in SVG, for the HTML report: the
points joined, the centre line, each month's limits as a stepped line, special causes marked."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from qaudit.reports.model import Table
from qaudit.reports.render.charts import CHART_WIDTH, TEXT_LINE
from qaudit.reports.render.common import SMALL_MARK

# The trend table's keys (services/report_audits.py) that the chart reads beside its figure.
CENTRE = "centre_pct"
LOWER = "lower_pct"
UPPER = "upper_pct"
SIGNAL = "signal"
SMALL_SUFFIX = "_small"

# As the other charts (render/charts.py): 400 wide in its own units, so that on a phone its
# 14px text is shown near 1:1; the page's CSS shows it up to 1.2 times as large.
WIDTH = CHART_WIDTH
LEFT = 48
RIGHT = 28
TOP = 12
PLOT_HEIGHT = 190
AXIS_LABELS = 6  # at most this many month labels under the axis
TICKS = (0.0, 25.0, 50.0, 75.0, 100.0)

BLUE = "#1d70b8"
INK = "#0b0c0c"
GREY = "#505a5f"
ORANGE = "#f47738"

MEANING = (
    "A marked point (an orange diamond) is a special cause: something changed that month "
    "beyond what chance explains. Unmarked variation within the limits is common cause: noise."
)


def _number(value: Any) -> float | None:
    """A cell's figure, or None when it has none (empty, or a suppressed "c")."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _pct(value: float) -> str:
    return f"{value:.1f}%"


def _diamond(x: float, y: float, r: float) -> str:
    return f"{x:.1f},{y - r:.1f} {x + r:.1f},{y:.1f} {x:.1f},{y + r:.1f} {x - r:.1f},{y:.1f}"


def pchart_figure(table: Table) -> Any:
    """The chart and the words under it as one ``<figure>`` (markupsafe.Markup), or None when
    no month has a figure to plot. Reads the rows as the table has them: a month without a
    figure (none, or suppressed) is a gap, one without limits has no step."""
    from markupsafe import Markup, escape

    label_key = next((c.key for c in table.columns if c.kind == "label"), None)
    value_key = table.chart_value or "good_or_better_pct"
    if label_key is None or not table.rows:
        return None
    rows: Sequence[Mapping[str, Any]] = table.rows
    values = [_number(row.get(value_key)) for row in rows]
    if all(v is None for v in values):
        return None
    labels = ["" if row.get(label_key) is None else str(row.get(label_key)) for row in rows]
    centre = next((c for c in (_number(row.get(CENTRE)) for row in rows) if c is not None), None)

    count = len(rows)
    right = WIDTH - RIGHT
    plot_w = right - LEFT
    step = plot_w / (count - 1) if count > 1 else plot_w
    bottom = TOP + PLOT_HEIGHT

    def x_of(i: int) -> float:
        return LEFT + i * step if count > 1 else LEFT + plot_w / 2

    def y_of(value: float) -> float:
        return TOP + (100.0 - min(max(value, 0.0), 100.0)) / 100.0 * PLOT_HEIGHT

    parts: list[str] = []
    for tick in TICKS:
        y = y_of(tick)
        parts.append(
            f'<line class="grid" x1="{LEFT}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}"></line>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{tick:.0f}%</text>'
        )
    parts.append(f'<line class="axis" x1="{LEFT}" y1="{bottom}" x2="{right}" y2="{bottom}"></line>')

    # The limits: a step a month wide at each month's own level, joined to the next month's.
    for key in (UPPER, LOWER):
        path: list[str] = []
        previous: float | None = None
        for i, row in enumerate(rows):
            level = _number(row.get(key))
            if level is None:
                previous = None
                continue
            start = max(LEFT, x_of(i) - step / 2)
            end = min(right, x_of(i) + step / 2)
            y = y_of(level)
            if previous is None:
                path.append(f"M {start:.1f} {y:.1f} H {end:.1f}")
            else:
                path.append(f"V {y:.1f} H {end:.1f}")
            previous = level
        if path:
            parts.append(
                f'<path class="limit" d="{" ".join(path)}" fill="none" stroke="{GREY}" '
                f'stroke-width="1.5" stroke-dasharray="6 4"></path>'
            )
    if centre is not None:
        y = y_of(centre)
        parts.append(
            f'<line class="centre" x1="{LEFT}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" '
            f'stroke="{INK}" stroke-width="2"></line>'
        )

    # The months' figures, joined; a gap where one is missing.
    runs: list[list[str]] = [[]]
    for i, value in enumerate(values):
        if value is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append(f"{x_of(i):.1f},{y_of(value):.1f}")
    for run in runs:
        if len(run) > 1:
            parts.append(f'<polyline class="line" points="{" ".join(run)}"></polyline>')

    causes: list[str] = []
    for i, (row, value) in enumerate(zip(rows, values, strict=True)):
        if value is None:
            continue
        x, y = x_of(i), y_of(value)
        signal = row.get(SIGNAL)
        marked = isinstance(signal, str) and signal.strip() != ""
        lower, upper = _number(row.get(LOWER)), _number(row.get(UPPER))
        tip = f"{labels[i]}: {_pct(value)}"
        if lower is not None and upper is not None:
            tip += f" (limits {_pct(lower)} to {_pct(upper)})"
        if marked:
            tip += f"; special cause: {signal}"
            causes.append(f"{labels[i]} ({signal})")
            parts.append(
                f'<polygon class="special" points="{_diamond(x, y, 7)}" fill="{ORANGE}" '
                f'stroke="{INK}" stroke-width="1.5"><title>{escape(tip)}</title></polygon>'
            )
        else:
            small = row.get(f"{value_key}{SMALL_SUFFIX}") is True
            fill = "#fff" if small else BLUE
            parts.append(
                f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{fill}" '
                f'stroke="{BLUE}" stroke-width="2"><title>{escape(tip)}</title></circle>'
            )

    every = max(1, math.ceil(count / AXIS_LABELS))
    # 4px lower than a line's height: clear of the lowest gridline's label ("0%"), as the line
    # chart's; each label centred under its month, kept inside the chart (8px a character at most).
    label_y = bottom + TEXT_LINE + 4
    for i in range(0, count, every):
        edge = len(labels[i]) * 4
        label_x = min(max(x_of(i), edge), WIDTH - edge)
        parts.append(
            f'<text x="{label_x:.1f}" y="{label_y}" text-anchor="middle">{escape(labels[i])}</text>'
        )

    # The key, so that nothing is told by colour alone.
    key_y = label_y + TEXT_LINE + 10
    centre_words = f"centre line ({_pct(centre)})" if centre is not None else "centre line"
    parts.append(
        f'<line x1="{LEFT}" y1="{key_y - 4}" x2="{LEFT + 24}" y2="{key_y - 4}" stroke="{INK}" '
        f'stroke-width="2"></line><text x="{LEFT + 30}" y="{key_y}">{escape(centre_words)}</text>'
        f'<line x1="{LEFT + 210}" y1="{key_y - 4}" x2="{LEFT + 234}" y2="{key_y - 4}" '
        f'stroke="{GREY}" stroke-width="1.5" stroke-dasharray="6 4"></line>'
        f'<text x="{LEFT + 240}" y="{key_y}">3-sigma limits</text>'
    )
    key_y += TEXT_LINE + 4
    parts.append(
        f'<circle cx="{LEFT + 12}" cy="{key_y - 5}" r="4" fill="{BLUE}" stroke="{BLUE}" '
        f'stroke-width="2"></circle><text x="{LEFT + 30}" y="{key_y}">a month</text>'
        f'<polygon points="{_diamond(LEFT + 222, key_y - 5, 7)}" fill="{ORANGE}" '
        f'stroke="{INK}" stroke-width="1.5"></polygon>'
        f'<text x="{LEFT + 240}" y="{key_y}">a special cause</text>'
    )
    if any(row.get(f"{value_key}{SMALL_SUFFIX}") is True for row in rows):
        # a hollow point: a month of fewer than 10 audits, marked as the table marks it
        key_y += TEXT_LINE + 4
        parts.append(
            f'<circle cx="{LEFT + 12}" cy="{key_y - 5}" r="4" fill="#fff" stroke="{BLUE}" '
            f'stroke-width="2"></circle>'
            f'<text x="{LEFT + 30}" y="{key_y}">fewer than 10 audits ({SMALL_MARK})</text>'
        )
    height = key_y + 8

    title = escape(table.title)
    withheld = [labels[i] for i, row in enumerate(rows) if row.get(value_key) == "c"]
    centre_withheld = any(row.get(CENTRE) == "c" for row in rows)
    found = (
        "Special causes: " + "; ".join(causes) + "."
        if causes
        else (
            "No special causes among the months shown."
            if withheld or centre_withheld
            else "No special causes: the months vary as chance would."
        )
    )
    hidden = withheld + (["the centre line and limits"] if centre_withheld else [])
    if hidden:
        found += f" Withheld so that no small number can be worked out: {', '.join(hidden)}."
    svg = (
        f'<svg class="pchart" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'role="img" aria-label="{title}: a p-chart"><title>{title}</title>'
        + "".join(parts)
        + "</svg>"
    )
    # What the chart found first, the words a board member reads it for; then what it means.
    caption = f"<figcaption>{escape(found)} {escape(MEANING)}</figcaption>"
    # Every value from the table is escaped above.
    return Markup(f"<figure>{svg}{caption}</figure>")

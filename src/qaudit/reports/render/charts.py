"""The HTML report's SVG charts as plain data for the template: a bar chart (labels above their
bars, wrapped, never cut) and a line chart, with gridlines and 95% intervals as whiskers."""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from typing import Any

from qaudit.reports.model import Column, Kind, Table
from qaudit.reports.render.common import (
    NUMERIC_KINDS,
    SMALL_MARK,
    display,
    interval,
    interval_text,
    is_number,
    is_small,
    plain,
)

# About a phone's width (420 px less the page's margins), so that on a phone a chart's text is
# shown near its own 14px; a wider screen shows it up to 1.2 times as large (the page's CSS).
CHART_WIDTH = 400
TEXT_LINE = 17  # a line of 14px chart text
BAR_THICK = 16
BAR_GAP = 12
BAR_LEFT = 16  # room for half the first axis label
BAR_RIGHT = 76  # room for the figure after the longest bar
LINE_HEIGHT = 240
LINE_LEFT = 48
LINE_RIGHT = 28
LABEL_CHARS = 48  # a bar's label is written above it, wrapped at this many characters
AXIS_LABELS = 6  # a line chart labels at most this many of its points


@dataclass
class _Point:
    label: str
    value: float | None  # None: no figure (empty or suppressed): a gap
    shown: str
    ci: tuple[float, float] | None = None
    small: bool = False


def _chart_points(table: Table) -> tuple[list[_Point], Column] | None:
    label = next((c for c in table.columns if c.kind == "label"), None)
    figure = next(
        (
            c
            for c in table.columns
            if (c.key == table.chart_value if table.chart_value else c.kind in NUMERIC_KINDS)
        ),
        None,
    )
    if label is None or figure is None:
        return None
    points = []
    for row in table.rows:
        raw = plain(row.get(figure.key))
        value = float(raw) if is_number(raw) else None
        small = is_small(row, figure)
        shown = (display(raw, figure.kind) or "–") + (f" {SMALL_MARK}" if small else "")
        pair = interval(row, figure)
        points.append(_Point(display(row.get(label.key), label.kind), value, shown, pair, small))
    if not any(p.value is not None for p in points):
        return None
    return points, figure


def _axis(lowest: float, highest: float, kind: Kind) -> list[float]:
    """The gridlines' values, from the axis's start (0 or below) to its end: 0 to 100 in
    quarters for percentages; else a "nice" step (1, 2, 2.5 or 5 times a power of ten; whole
    for counts) giving four or five gridlines."""
    if kind == "pct" and lowest >= 0 and highest <= 100:
        return [0.0, 25.0, 50.0, 75.0, 100.0]
    low, high = min(0.0, lowest), max(0.0, highest)
    if high <= low:
        high = low + 1
    raw = (high - low) / 4
    power = 10.0 ** math.floor(math.log10(raw))
    multiples = (1.0, 2.0, 5.0, 10.0) if kind == "count" else (1.0, 2.0, 2.5, 5.0, 10.0)
    step = next(m * power for m in multiples if m * power >= raw * (1 - 1e-9))
    if kind == "count":
        step = max(1.0, round(step))
    start = math.floor(low / step + 1e-9) * step
    count = max(math.ceil((high - start) / step - 1e-9), 3)
    return [round(start + i * step, 9) for i in range(count + 1)]


def _tick_text(value: float, kind: Kind) -> str:
    text = str(int(value)) if float(value).is_integer() else f"{value:g}"
    return text + "%" if kind == "pct" else text


def _wrap(text: str, chars: int) -> list[str]:
    """A label as lines of at most ``chars`` characters, broken between words where it can:
    never cut short."""
    return textwrap.wrap(text, width=max(chars, 1), break_on_hyphens=False) or [""]


def _extent(points: list[_Point]) -> tuple[float, float]:
    values = [p.value for p in points if p.value is not None]
    values += [end for p in points if p.ci for end in p.ci]
    return min(values), max(values)


def bar_chart(table: Table) -> dict[str, Any] | None:
    found = _chart_points(table)
    if found is None:
        return None
    points, figure = found
    ticks = _axis(*_extent(points), figure.kind)
    low, high = ticks[0], ticks[-1]
    left, right = BAR_LEFT, CHART_WIDTH - BAR_RIGHT

    def x_of(value: float) -> float:
        return left + (min(max(value, low), high) - low) / (high - low) * (right - left)

    zero = x_of(0.0)
    bars = []
    y = 4.0
    for p in points:
        lines = _wrap(p.label, LABEL_CHARS)
        bar_y = y + len(lines) * TEXT_LINE + 2
        bar: dict[str, Any] = {
            "lines": lines,
            "full": p.label,
            "shown": p.shown,
            "tip": p.shown if p.ci is None else f"{p.shown} {interval_text(*p.ci)}",
            "ly": y + 12,
            "y": bar_y,
            "h": BAR_THICK,
            "ty": bar_y + BAR_THICK - 4,
            "small": p.small,
            "whisker": None,
        }
        ends = [zero]
        if p.value is None:
            bar.update(x=zero, w=0)
        else:
            end = x_of(p.value)
            bar.update(x=min(zero, end), w=abs(end - zero))
            ends.append(end)
        if p.ci is not None and p.value is not None:
            x1, x2 = x_of(p.ci[0]), x_of(p.ci[1])
            mid = bar_y + BAR_THICK / 2
            bar["whisker"] = {"x1": x1, "x2": x2, "y": mid, "y1": mid - 6, "y2": mid + 6}
            ends.append(x2)
        bar["vx"] = max(ends) + 5
        bars.append(bar)
        y = bar_y + BAR_THICK + BAR_GAP
    bottom = y - BAR_GAP + 4
    return {
        "kind": "bar",
        "title": table.title,
        "width": CHART_WIDTH,
        "height": round(bottom + TEXT_LINE + 4),
        "zero": zero,
        "top": 0,
        "bottom": bottom,
        "label_x": left,
        "label_y": bottom + TEXT_LINE,
        "grid": [{"x": x_of(v), "label": _tick_text(v, figure.kind)} for v in ticks],
        "bars": bars,
    }


def line_chart(table: Table) -> dict[str, Any] | None:
    found = _chart_points(table)
    if found is None:
        return None
    points, figure = found
    ticks = _axis(*_extent(points), figure.kind)
    low, high = ticks[0], ticks[-1]
    left, right, top = LINE_LEFT, CHART_WIDTH - LINE_RIGHT, 12
    every = max(1, math.ceil(len(points) / AXIS_LABELS))

    def layout(left: float, right: float) -> tuple[float, list[list[str]]]:
        step = (right - left) / max(len(points) - 1, 1)
        chars = max(6, int(step * every / 7))  # about 7px a character at 14px
        return step, [_wrap(p.label, chars) for p in points]

    step, wrapped = layout(left, right)
    # Room at the ends for the first and the last label: half its widest line (8px a character
    # at most), then wrapped again to the narrower steps.
    half = [max(len(line) for line in lines) * 4 for lines in wrapped]
    last = (len(points) - 1) // every * every
    if len(points) > 1 and (
        half[0] > left or (last == len(points) - 1 and half[last] > CHART_WIDTH - right)
    ):
        left = max(left, half[0])
        right = min(right, CHART_WIDTH - half[last]) if last == len(points) - 1 else right
        step, wrapped = layout(left, right)
    plot_w = right - left
    label_lines = max(len(lines) for i, lines in enumerate(wrapped) if i % every == 0)
    height = LINE_HEIGHT + (label_lines - 1) * TEXT_LINE
    bottom = 12 + label_lines * TEXT_LINE
    plot_h = height - top - bottom

    def y_of(value: float) -> float:
        return top + (high - min(max(value, low), high)) / (high - low) * plot_h

    segments: list[list[tuple[float, float]]] = [[]]
    dots, ticks_x, whiskers = [], [], []
    for i, p in enumerate(points):
        x = left + (i * step if len(points) > 1 else plot_w / 2)
        if i % every == 0:
            # centred under its point; kept inside the chart whatever the estimate above
            edge = max(len(line) for line in wrapped[i]) * 4
            label_x = min(max(x, edge), CHART_WIDTH - edge)
            ticks_x.append({"x": label_x, "lines": wrapped[i], "full": p.label})
        if p.value is None:
            if segments[-1]:
                segments.append([])  # a gap where the figure is missing or suppressed
            continue
        y = y_of(p.value)
        segments[-1].append((x, y))
        tip = f"{p.label}: {p.shown}"
        if p.ci is not None:
            tip += f" {interval_text(*p.ci)}"
            whiskers.append({"x": x, "y1": y_of(p.ci[1]), "y2": y_of(p.ci[0])})
        dots.append({"x": x, "y": y, "title": tip, "small": p.small})
    polylines = [
        " ".join(f"{x:.1f},{y:.1f}" for x, y in segment) for segment in segments if len(segment) > 1
    ]
    return {
        "kind": "line",
        "title": table.title,
        "width": CHART_WIDTH,
        "height": height,
        "left": left,
        "right": right,
        "axis_y": height - bottom,
        # 4px lower than a line's height: clear of the lowest gridline's label ("0%")
        "label_y": height - bottom + TEXT_LINE + 4,
        "grid": [{"y": y_of(v), "label": _tick_text(v, figure.kind)} for v in ticks],
        "polylines": polylines,
        "whiskers": whiskers,
        "dots": dots,
        "ticks": ticks_x,
    }

"""The demo board report's HTML in a real browser (headless Chromium), on a phone and a desktop.

Run with ``make test-browser`` (``apt-get install chromium`` first); ``make test`` leaves these
out (marker ``browser``), and they skip when no Chromium is found. The screenshots are kept in
``QAUDIT_SCREENSHOTS`` (``make test-browser``: .browser-screenshots/) for a person to look at.

What a board member on a phone needs: the page itself never scrolls sideways (a wide table
scrolls inside its own box), every chart fills the width with text no smaller than 12px, and no
chart text is cut at the chart's edge or drawn over other text.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from qaudit.cli import app

pytestmark = pytest.mark.browser

TODAY = "2026-12-14"
PHONE, DESKTOP = 420, 1280
CHART_FONT_PX = 14  # svg text's font-size in the page's CSS, in the chart's own units


def _chromium() -> str | None:
    found = os.environ.get("QAUDIT_CHROMIUM") or shutil.which("chromium")
    if found is None and Path("/usr/bin/chromium").exists():
        found = "/usr/bin/chromium"
    return found


CHROMIUM = _chromium()
if CHROMIUM is None:
    pytest.skip("no Chromium (apt-get install chromium)", allow_module_level=True)


def _browse(page: Path, width: int, height: int, *args: str, profile: Path) -> str:
    done = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--no-first-run", "--force-device-scale-factor=1", f"--user-data-dir={profile}",
         f"--window-size={width},{height}", *args, page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


# Headless Chromium lays a window out at least 500 px wide, whatever --window-size says (it
# only crops the screenshot): the report is shown in a frame of the width wanted instead, as
# a phone's browser would lay it out.
FRAME = """<!DOCTYPE html><html><head><meta charset="utf-8"></head>
<body style="margin:0"><iframe src="{src}" style="border:0;display:block;width:{width}px;\
height:{height}px"></iframe>
<script>addEventListener("message", (e) => {{
  const out = document.createElement("pre");
  out.id = "measured";
  out.textContent = e.data;
  document.body.append(out);
}});</script></body></html>"""

# Run in a copy of the page (the report itself carries no script): what the browser laid out.
MEASURE = """<script>
addEventListener("load", () => {
  const box = (r) => ({x: r.x, y: r.y, w: r.width, h: r.height});
  const charts = [...document.querySelectorAll("figure svg")].map((svg) => {
    const view = svg.viewBox.baseVal;
    const texts = [...svg.querySelectorAll("text")].map((t) => ({
      text: t.textContent, box: box(t.getBBox()),
    }));
    return {label: svg.getAttribute("aria-label"), view: {w: view.width, h: view.height},
            shown: box(svg.getBoundingClientRect()), texts};
  });
  const heading = (el) => {
    while (el && el.tagName !== "H3") el = el.previousElementSibling;
    return el ? el.textContent : "";
  };
  const wraps = [...document.querySelectorAll(".table-wrap")].map((w) => ({
    title: heading(w), client: w.clientWidth, scroll: w.scrollWidth,
    right: w.getBoundingClientRect().right,
  }));
  parent.postMessage(JSON.stringify({
    viewport: innerWidth, scrollWidth: document.documentElement.scrollWidth,
    height: document.documentElement.scrollHeight, charts, wraps,
  }), "*");
});
</script>"""


def _framed(page: Path, width: int, height: int, name: str) -> Path:
    frame = page.parent / f"{name}-{width}.html"
    frame.write_text(FRAME.format(src=page.name, width=width, height=height), encoding="utf-8")
    return frame


def _measure(page: Path, width: int, tmp: Path) -> dict[str, Any]:
    probe = page.parent / f"measured-{width}-{page.name}"
    probe.write_text(
        page.read_text(encoding="utf-8").replace("</body>", MEASURE + "</body>"), encoding="utf-8"
    )
    frame = _framed(probe, width, 1000, "measure")
    dom = _browse(
        frame,
        max(width, 500),
        1000,
        "--virtual-time-budget=5000",
        "--dump-dom",
        profile=tmp / "profile",
    )
    found = re.search(r'<pre id="measured">(.*?)</pre>', dom, flags=re.S)
    assert found, dom[-2000:]
    measured: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return measured


def _png(path: Path) -> tuple[int, int, list[bytes]]:
    """A PNG's width, height and rows of RGB(A) bytes, read with the standard library."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, header = 8, [], b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    size = 4 if colour == 6 else 3
    raw = zlib.decompress(b"".join(chunks))
    stride = width * size
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        if kind == 1:
            for i in range(size, stride):
                line[i] = (line[i] + line[i - size]) & 0xFF
        elif kind == 2:
            for i in range(stride):
                line[i] = (line[i] + previous[i]) & 0xFF
        elif kind == 3:
            for i in range(stride):
                left = line[i - size] if i >= size else 0
                line[i] = (line[i] + (left + previous[i]) // 2) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - size] if i >= size else 0
                b, c = previous[i], previous[i - size] if i >= size else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                near = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + near) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, [bytes(r[i] for i in range(len(r)) if i % size < 3) for r in rows]


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("browser")
    store = folder / "demo.db"
    runner = CliRunner()
    built = runner.invoke(app, ["--today", TODAY, "demo", str(store)])
    assert built.exit_code == 0, built.stderr
    for name, args in (
        ("board", ["board", "--period", "2026/27-Q3"]),
        # a year's complaints: a row and a bar a quarter; the board as published
        ("complaints-year", ["complaints", "--period", "2026/27"]),
        ("board-published", ["board", "--period", "2026/27-Q3", "--publish"]),
    ):
        made = runner.invoke(
            app,
            ["--db", str(store), "--today", TODAY, "report", *args, "--format", "html",
             "--out", str(folder / f"{name}.html")],
        )  # fmt: skip
        assert made.exit_code == 0, made.stderr
    return folder / "board.html"


@pytest.fixture(scope="module")
def complaints_year(board: Path) -> Path:
    return board.parent / "complaints-year.html"


@pytest.fixture(scope="module")
def board_published(board: Path) -> Path:
    return board.parent / "board-published.html"


@pytest.fixture(scope="module")
def long_labels(board: Path) -> Path:
    """A page of the charts' hard cases: long and capital-heavy labels, many points."""
    from datetime import date

    from qaudit.reports.model import Column, Report, Section, Table, rate
    from qaudit.reports.render import to_html

    labels = [
        "Requires improvement to be good, with a plan agreed at the review and a date set "
        "for the next visit to the child",
        "CHILD PROTECTION AND CHILDREN IN NEED: NORTH WEST LOCALITY HUB (DUTY)",
        "B",
        "Abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnop",
    ]
    columns = [Column("team", "Team"), Column("n", "Audits", "count")]
    bars = Table(
        name="teams",
        title="Good or better by team",
        columns=[*columns, Column("pct", "Good or better %", "pct")],
        rows=[
            {"team": t, "n": 9 + i, **rate("pct", 9 - 2 * i, 9 + i)} for i, t in enumerate(labels)
        ],
        chart="bar",
        chart_value="pct",
    )
    counts = Table(
        name="counts",
        title="Complaints by team",
        columns=columns,
        rows=[{"team": t, "n": 1234 * (i + 1)} for i, t in enumerate(labels)],
        chart="bar",
    )
    months = Table(
        name="trend",
        title="Good or better, 24 months",
        columns=[Column("month", "Month"), Column("pct", "Good or better %", "pct")],
        rows=[
            {"month": f"{2025 + i // 12}-{i % 12 + 1:02d}", **rate("pct", i % 7 + 3, 12)}
            for i in range(24)
        ],
        chart="line",
    )
    quarters = Table(
        name="quarters",
        title="By quarter",
        columns=[Column("q", "Quarter"), Column("pct", "Answered in time %", "pct")],
        rows=[
            {"q": f"The {n} quarter of the financial year 2026/27", **rate("pct", k, 10)}
            for n, k in (("first", 0), ("second", 10), ("third", 5), ("fourth", 7))
        ],
        chart="line",
    )
    report = Report(
        kind="audits",
        title="Long labels",
        period_label="2026/27",
        start=date(2026, 4, 1),
        end=date(2027, 3, 31),
        generated_on=date(2027, 4, 2),
        sections=[Section("audits", "Case audits", [bars, counts, months, quarters])],
    )
    page = board.parent / "long-labels.html"
    page.write_text(to_html(report), encoding="utf-8")
    return page


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wanted = os.environ.get("QAUDIT_SCREENSHOTS")
    folder = Path(wanted).resolve() if wanted else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _overlap(a: dict[str, float], b: dict[str, float]) -> float:
    """How far two boxes overlap, the lesser of the two directions (0: apart)."""
    across = min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"])
    down = min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"])
    return max(0.0, min(across, down))


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_the_page_never_scrolls_sideways_and_wide_tables_scroll_in_their_box(
    board: Path, tmp_path: Path, width: int
) -> None:
    m = _measure(board, width, tmp_path)
    assert m["viewport"] == width
    assert m["scrollWidth"] <= width, "the page itself scrolls sideways"
    assert m["wraps"], "no table"
    for wrap in m["wraps"]:
        assert wrap["right"] <= width, wrap  # a table's box stays on the screen...
    if width == DESKTOP:  # every table fits a desktop's screen
        assert [w for w in m["wraps"] if w["scroll"] > w["client"]] == []
    if width == PHONE:  # ...and the widest (complaints: ten columns) scroll inside it
        assert any(w["scroll"] > w["client"] for w in m["wraps"])
        assert any(w["title"].startswith("Complaints") and w["scroll"] > w["client"]
                   for w in m["wraps"])  # fmt: skip


@pytest.mark.parametrize("page", ["board", "board_published", "complaints_year", "long_labels"])
@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_charts_are_legible_never_cut_and_their_text_never_overlaps(
    request: pytest.FixtureRequest, page: str, tmp_path: Path, width: int
) -> None:
    path = request.getfixturevalue(page)
    m = _measure(path, width, tmp_path)
    # the board: grades, the 12-month trend, complaints answered in time; published, the trend
    # only: since the change tables (their counts linked to the grades and to answered in
    # time), every figure of the other two is suppressed ("c"), so they have nothing to draw
    assert len(m["charts"]) >= {"long_labels": 4, "complaints_year": 1, "board_published": 1}.get(
        page, 3
    )
    if page == "board_published":
        assert [c["label"] for c in m["charts"]] == [
            "Audits graded good or better, last 12 months: a p-chart"
        ]
        text = path.read_text(encoding="utf-8")
        for title in ("Grades after moderation", "Complaints answered in time"):
            table = text[text.index(f"<h3>{title}</h3>") :]
            table = table[: table.index("</table>")]
            assert "<figure>" not in table and "<svg" not in table, title
            assert set(re.findall(r'<td class="num">([^<]*)</td>', table)) == {"c"}, title
    assert m["scrollWidth"] <= width, "the page itself scrolls sideways"
    for chart in m["charts"]:
        view, shown = chart["view"], chart["shown"]
        assert shown["x"] >= 0 and shown["x"] + shown["w"] <= width, chart["label"]
        scale = shown["w"] / view["w"]
        assert CHART_FONT_PX * scale >= 12, (chart["label"], scale)  # as read on the screen
        if width == PHONE:  # the chart uses the phone's width
            assert shown["w"] >= 0.9 * (width - 2 * 12 - 2), (chart["label"], shown["w"])
        texts = chart["texts"]
        for t in texts:
            b = t["box"]
            assert b["x"] >= -0.5 and b["x"] + b["w"] <= view["w"] + 0.5, (chart["label"], t)
            assert b["y"] >= -0.5 and b["y"] + b["h"] <= view["h"] + 0.5, (chart["label"], t)
        for i, a in enumerate(texts):
            for b in texts[i + 1 :]:
                assert _overlap(a["box"], b["box"]) <= 1.0, (chart["label"], a, b)


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_screenshots_are_the_width_asked_and_show_the_report(
    board: Path, shots: Path, tmp_path: Path, width: int
) -> None:
    height = min(int(_measure(board, width, tmp_path)["height"]), 16000)
    shot = shots / f"board-{width}.png"
    frame = _framed(board, width, height, "shot")
    _browse(frame, width, height, f"--screenshot={shot.resolve()}", profile=tmp_path / "profile")
    got_width, got_height, rows = _png(shot)
    assert (got_width, got_height) == (width, height)
    white = bytes([255, 255, 255]) * width
    inked = sum(row != white for row in rows)
    assert inked > height * 0.3, "mostly blank"
    blue = bytes([0x1D, 0x70, 0xB8])  # the bars, the section rules
    assert sum(blue in row for row in rows) > 20, "no chart bars drawn"

"""No suppressed figure of a published report can be worked back from the rest of it.

For the demo store, and for stores generated from it (hypothesis: audits regraded, redated,
added; cases moved between teams and categories; complaints and conferences changed), every
kind of report for several periods is published, rendered to JSON and attacked (attacker.py):
each "c" must be able to take at least two values consistent with everything shown. Published
reports also carry no free text, case ref or name, and no median of fewer than 6 items.
"""

from __future__ import annotations

import copy
import json
import random
import shutil
import sqlite3
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import make_context
from tests.reports.attacker import derived_leaks, free_text, medians_of_few, recovered

from qaudit.domain.periods import parse_period
from qaudit.reports.links import link
from qaudit.reports.model import Report
from qaudit.reports.render import to_json
from qaudit.services.demo import DEMO_TODAY, build_demo
from qaudit.services.reports import build_report
from qaudit.store.engine import Store

PERIODS = ("2026/27-Q3", "2026-11", "2026-12", "2026/27")
STAFF_NAMES_SQL = "SELECT name FROM staff"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    build_demo(path=path, ctx=make_context(DEMO_TODAY.isoformat(), user="Sam Tester"))
    return path


def _published(path: Path, kind: str, period: str, team: str | None = None) -> dict[str, object]:
    store = Store(f"sqlite:///{path}")
    try:
        ctx = make_context(DEMO_TODAY.isoformat())
        report = build_report(
            store=store,
            ctx=ctx,
            kind=kind,
            period=parse_period(period, DEMO_TODAY),
            team=team,
            publish=True,
        )
    finally:
        store.dispose()
    loaded: dict[str, object] = json.loads(to_json(report))
    return loaded


def _built(path: Path, period: str) -> Report:
    """The demo-dated board report of ``path`` for ``period``, not published."""
    store = Store(f"sqlite:///{path}")
    try:
        return build_report(
            store=store,
            ctx=make_context(DEMO_TODAY.isoformat()),
            kind="board",
            period=parse_period(period, DEMO_TODAY),
        )
    finally:
        store.dispose()


def _names(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        names = [row[0] for row in conn.execute(STAFF_NAMES_SQL)]
    conn.close()
    return [*names, "Sam Tester"]


def _attacked(path: Path, kind: str, period: str, team: str | None = None) -> None:
    report = _published(path, kind, period, team)
    where = f"{kind} {period}{' ' + team if team else ''}"
    assert recovered(report) == {}, f"suppressed cells worked back in the {where} report"
    assert medians_of_few(report) == [], where
    assert derived_leaks(report) == [], where
    assert free_text(report, _names(path)) == [], where


@pytest.mark.parametrize("period", PERIODS)
@pytest.mark.parametrize("kind", ["board", "audits", "complaints", "voice"])
def test_the_demo_store_published_gives_nothing_away(demo_db: Path, kind: str, period: str) -> None:
    _attacked(demo_db, kind, period)


def test_a_team_report_of_the_demo_gives_nothing_away(demo_db: Path) -> None:
    with sqlite3.connect(demo_db) as conn:
        teams = [row[0] for row in conn.execute("SELECT name FROM teams ORDER BY name")]
    conn.close()
    for team in teams[:3]:
        _attacked(demo_db, "board", "2026/27-Q3", team)


def test_the_demo_report_does_suppress_something(demo_db: Path) -> None:
    """The attack is not vacuous: the demo's board report has suppressed cells to attack."""
    text = json.dumps(_published(demo_db, "board", "2026/27-Q3"))
    assert text.count('"c"') >= 10


GRADES = ("outstanding", "good", "requires-improvement", "inadequate")
CATEGORIES = ("CLA", "CP", "CIN", "CL")
Q3 = (date(2026, 9, 1), date(2026, 12, 14))


def _mutate(path: Path, seed: int, extra: int, regrade: float, move: float) -> None:
    """A store generated from the demo's: audits regraded and redated, extra audits added,
    cases moved between teams and categories, complaints' letters and conferences changed."""
    rng = random.Random(seed)
    span = (Q3[1] - Q3[0]).days
    with sqlite3.connect(path) as conn:
        teams = [row[0] for row in conn.execute("SELECT id FROM teams")] + [None]
        cases = [row[0] for row in conn.execute("SELECT id FROM cases")]
        for (audit_id,) in conn.execute("SELECT id FROM audits").fetchall():
            if rng.random() < regrade:
                conn.execute(
                    "UPDATE audits SET grade = ?, audit_date = ?, views_gathered = ? WHERE id = ?",
                    (
                        rng.choice(GRADES),
                        (Q3[0] + timedelta(days=rng.randrange(span))).isoformat(),
                        rng.random() < 0.6,
                        audit_id,
                    ),
                )
        template = conn.execute(
            "SELECT auditor_id, kind, recorded_at FROM audits ORDER BY id LIMIT 1"
        ).fetchone()
        for _ in range(extra):
            conn.execute(
                "INSERT INTO audits (case_id, auditor_id, audit_date, grade, kind, "
                "views_gathered, recorded_at, themes) VALUES (?, ?, ?, ?, 'adhoc', ?, ?, ?)",
                (
                    rng.choice(cases),
                    template[0],
                    (Q3[0] + timedelta(days=rng.randrange(span))).isoformat(),
                    rng.choice(GRADES),
                    rng.random() < 0.6,
                    template[2],
                    json.dumps(rng.sample(["planning", "voice-of-the-child", "risk"], 2)),
                ),
            )
        for case_id in cases:
            if rng.random() < move:
                conn.execute(
                    "UPDATE cases SET team_id = ?, category = ? WHERE id = ?",
                    (rng.choice(teams), rng.choice(CATEGORIES), case_id),
                )
        for stage_id, received in conn.execute(
            "SELECT id, received FROM complaint_stages"
        ).fetchall():
            if rng.random() < move:
                letter = date.fromisoformat(received) + timedelta(days=rng.randrange(5, 40))
                conn.execute(
                    "UPDATE complaint_stages SET letter_on = ? WHERE id = ?",
                    (letter.isoformat() if letter <= Q3[1] else None, stage_id),
                )
    conn.close()


def _check_generated(
    demo_db: Path, tmp_path: Path, seed: int, extra: int, regrade: float, move: float, period: str
) -> None:
    path = tmp_path / f"generated-{seed}-{extra}.db"
    shutil.copyfile(demo_db, path)
    try:
        _mutate(path, seed, extra, regrade, move)
        _attacked(path, "board", period)
    finally:
        path.unlink(missing_ok=True)


BATCHES = 4
PER_BATCH = 50  # 200 generated stores in all, in batches that xdist's workers share


@pytest.mark.slow  # make test-slow, and CI: about 25 s of CPU a batch
@pytest.mark.parametrize("batch", range(BATCHES))
def test_generated_stores_published_give_nothing_away(
    demo_db: Path, tmp_path: Path, batch: int
) -> None:
    @settings(
        max_examples=PER_BATCH,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    @given(
        seed=st.integers(batch * 10**9, (batch + 1) * 10**9 - 1),
        extra=st.integers(0, 60),
        regrade=st.floats(0, 1),
        move=st.floats(0, 1),
        period=st.sampled_from(PERIODS),
    )
    def run(seed: int, extra: int, regrade: float, move: float, period: str) -> None:
        _check_generated(demo_db, tmp_path, seed, extra, regrade, move, period)

    run()


def _primary_only(report: Report) -> Report:
    """Today's suppression at its weakest: small counts as "c", and the rates beside them."""
    out = copy.deepcopy(report)
    for section in out.sections:
        for table in section.tables:
            counts = [c.key for c in table.columns if c.kind == "count"]
            pcts = [c.key for c in table.columns if c.kind == "pct"]
            for row in table.rows:
                small = [k for k in counts if isinstance(row.get(k), int) and 1 <= row[k] <= 5]
                for key in small:
                    row[key] = "c"
                if small:
                    for key in pcts:
                        row[key] = "c"
    return replace(out, published=True)


def test_the_attacker_works_back_cells_that_primary_suppression_alone_leaves(
    demo_db: Path,
) -> None:
    """The attack can fail: on the demo's board report with only small counts hidden, it
    recovers hidden cells (the Inadequate count from the total less the other grades, say)."""
    report = _built(demo_db, "2026/27-Q3")
    found = recovered(json.loads(to_json(_primary_only(report))))
    assert found["audits.grades[3].count"] == 4  # Inadequate: 30 audits - 18 good - 8 RI
    assert len(found) >= 5


@pytest.mark.parametrize("period", PERIODS)
def test_every_relation_the_publisher_uses_is_true(demo_db: Path, period: str) -> None:
    """The links are the report's own structure: each relation holds on the true figures, and
    the same key never stands for two different numbers."""
    report = _built(demo_db, period)
    links = link(report)
    for cell, key in links.counts.items():
        s, t, r, column = cell
        assert report.sections[s].tables[t].rows[r][column] == links.values[key], (cell, key)
    assert links.relations
    for relation in links.relations:
        assert all(key in links.values for key in relation), relation
        assert sum(c * links.values[key] for key, c in relation.items()) == 0, relation


def test_zeros_suppressed_where_policy_says_so_give_nothing_away(demo_db: Path) -> None:
    from qaudit.reports.publish import publish

    report = _built(demo_db, "2026/27-Q3")
    published = json.loads(to_json(publish(report, zero=True)))
    stages = next(
        t for s in published["sections"] for t in s["tables"] if t["name"] == "complaint_stages"
    )
    assert stages["rows"][2] == {"stage": "Stage 3", "received": "c"}  # a 0 unpublished
    assert any(n.startswith("Counts of 0 to 5 are shown as c") for n in published["notes"])
    assert recovered(published) == {}

"""An attacker of published reports: from the published JSON alone, work back every "c".

Written apart from qaudit.reports.links on purpose: it reads the tables as a reader would, writes
down every linear relation their structure implies (each table's parts add up to its total, the
same count shown twice is equal, a percentage times its denominator is its count to within the
rounding of one decimal), and asks an integer linear program (scipy's HiGHS) for the smallest
and largest value each suppressed count can take. A cell is recovered when the two are equal.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

C = "c"
GOOD_OR_BETTER = ("Outstanding", "Good")
GRADE_ROWS = ("Outstanding", "Good", "Requires improvement to be good", "Inadequate")
HALF = 0.05  # a percentage shown to one decimal is within this of the truth
CASE_REF = re.compile(r"\bC\d{6}\b")


@dataclass
class Attack:
    """The unknowns (one per suppressed cell), equalities and inequalities over them."""

    names: list[str] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)
    equal: list[tuple[dict[str | int, float], float]] = field(default_factory=list)
    at_most: list[tuple[dict[str | int, float], float]] = field(default_factory=list)

    def term(self, value: Any, name: str) -> float | str | None:
        """A shown number stays a number; a "c" becomes the unknown ``name``."""
        if value == C:
            if name not in self.index:
                self.index[name] = len(self.names)
                self.names.append(name)
            return name
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        return None

    def sum_is(self, total: tuple[Any, str], parts: list[tuple[Any, str]]) -> None:
        """total = sum(parts), each (value, name)."""
        self._linear([(1.0, *total)] + [(-1.0, *p) for p in parts], 0.0, equal=True)

    def same(self, a: tuple[Any, str], b: tuple[Any, str]) -> None:
        self.sum_is(a, [b])

    def _linear(self, terms: list[tuple[float, Any, str]], rhs: float, *, equal: bool) -> None:
        row: dict[str | int, float] = {}
        for coefficient, value, name in terms:
            t = self.term(value, name)
            if t is None:
                return  # an empty cell: no relation to write
            if isinstance(t, str):
                row[t] = row.get(t, 0.0) + coefficient
            else:
                rhs -= coefficient * t
        if not row:
            return
        (self.equal if equal else self.at_most).append((row, rhs))

    def rate(self, pct: Any, part: tuple[Any, str], whole: tuple[Any, str]) -> None:
        """A shown percentage ties its part to its whole: (p - .05) w <= 100 x <= (p + .05) w."""
        if not isinstance(pct, int | float) or isinstance(pct, bool):
            return
        low, high = pct - HALF, pct + HALF
        self._linear([(low, *whole), (-100.0, *part)], 0.0, equal=False)
        self._linear([(100.0, *part), (-high, *whole)], 0.0, equal=False)
        self._linear([(1.0, *part), (-1.0, *whole)], 0.0, equal=False)

    def ratio(
        self, pct: float, parts: list[tuple[Any, str]], wholes: list[tuple[Any, str]]
    ) -> None:
        """A shown percentage of sums: (p - .05) sum(wholes) <= 100 sum(parts) <= (p + .05) ..."""
        low, high = pct - HALF, pct + HALF
        self._linear([(low, *w) for w in wholes] + [(-100.0, *p) for p in parts], 0.0, equal=False)
        self._linear([(100.0, *p) for p in parts] + [(-high, *w) for w in wholes], 0.0, equal=False)

    def at_most_of(self, part: tuple[Any, str], whole: tuple[Any, str]) -> None:
        self._linear([(1.0, *part), (-1.0, *whole)], 0.0, equal=False)

    def ranges(self) -> dict[str, tuple[int, int]]:
        """For each suppressed cell, two values consistent with what is shown when there are
        two (else its one value twice), values capped at 10,000."""
        n = len(self.names)
        if n == 0:
            return {}
        constraints = []
        for rows, op in ((self.equal, "eq"), (self.at_most, "le")):
            if not rows:
                continue
            matrix = np.zeros((len(rows), n))
            rhs = np.zeros(len(rows))
            for i, (row, value) in enumerate(rows):
                for name, coefficient in row.items():
                    matrix[i, self.index[str(name)]] += coefficient
                rhs[i] = value
            if op == "eq":
                constraints.append(LinearConstraint(matrix, rhs - 1e-9, rhs + 1e-9))
            else:
                constraints.append(LinearConstraint(matrix, -np.inf, rhs + 1e-9))
        bounds = Bounds(np.zeros(n), np.full(n, 10_000.0))
        integral = np.ones(n)
        # Each solution found shows one value of every cell: a cell seen at two values is
        # not recovered, and needs no program of its own.
        seen: list[set[int]] = [set() for _ in range(n)]
        low: dict[int, int] = {}
        high: dict[int, int] = {}
        directions = np.random.default_rng(0).choice([-1.0, 1.0], size=(4, n))
        for cost in directions:  # a few far corners first: they show most cells at two values
            result = milp(cost, constraints=constraints, bounds=bounds, integrality=integral)
            assert result.success, "the shown figures admit no solution"
            for j, value in enumerate(result.x):
                seen[j].add(round(value))
        for i in range(n):
            for sign, found in ((-1.0, high), (1.0, low)):
                if len(seen[i]) > 1:
                    break
                cost = np.zeros(n)
                cost[i] = sign
                result = milp(cost, constraints=constraints, bounds=bounds, integrality=integral)
                assert result.success, f"the shown figures admit no solution: {self.names[i]}"
                values = [round(v) for v in result.x]
                found[i] = values[i]
                for j, value in enumerate(values):
                    seen[j].add(value)
        return {
            name: (min(seen[i]), max(seen[i])) if len(seen[i]) > 1 else (low[i], high[i])
            for i, name in enumerate(self.names)
        }


def _tables(report: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for section in report["sections"]:
        for table in section["tables"]:
            yield section["name"], table


def relations(report: dict[str, Any]) -> Attack:
    """Every relation a reader can write from the published report's own structure."""
    attack = Attack()
    tables = {f"{s}.{t['name']}": t for s, t in _tables(report)}

    def rows(name: str) -> list[dict[str, Any]]:
        table = tables.get(name)
        return table["rows"] if table else []

    def one(name: str) -> dict[str, Any] | None:
        found = rows(name)
        return found[0] if len(found) == 1 else None

    def cell(table: str, row: int, key: str) -> tuple[Any, str]:
        return rows(table)[row].get(key), f"{table}[{row}].{key}"

    summary = one("audits.summary")
    s = "audits.summary"
    if summary is not None:
        audits, good, bad = (cell(s, 0, k) for k in ("audits", "good_or_better", "inadequate"))
        attack.rate(summary.get("completion_pct"), cell(s, 0, "completed"), cell(s, 0, "sampled"))
        attack.rate(summary.get("good_or_better_pct"), good, audits)
        attack.at_most_of(cell(s, 0, "completed"), cell(s, 0, "sampled"))
        attack.at_most_of(good, audits)
        attack.at_most_of(bad, audits)
        # The grades table: its rows add up to the audits; the first two are good or better.
        grades = rows("audits.grades")
        if grades:
            by_grade = {
                r["grade"]: (cell("audits.grades", i, "count")) for i, r in enumerate(grades)
            }
            attack.sum_is(audits, list(by_grade.values()))
            attack.sum_is(good, [by_grade[g] for g in GOOD_OR_BETTER if g in by_grade])
            if "Inadequate" in by_grade:
                attack.same(bad, by_grade["Inadequate"])
            for i, r in enumerate(grades):
                attack.rate(r.get("pct"), cell("audits.grades", i, "count"), audits)
        # Teams and categories each add up to the whole.
        for name in ("audits.by_team", "audits.by_category"):
            found = rows(name)
            if not found:
                continue
            for key, total in (("audits", audits), ("good_or_better", good), ("inadequate", bad)):
                attack.sum_is(total, [cell(name, i, key) for i in range(len(found))])
            for i, r in enumerate(found):
                attack.rate(
                    r.get("good_or_better_pct"),
                    cell(name, i, "good_or_better"),
                    cell(name, i, "audits"),
                )
                attack.at_most_of(cell(name, i, "good_or_better"), cell(name, i, "audits"))
                attack.at_most_of(cell(name, i, "inadequate"), cell(name, i, "audits"))
        # The trend: the months of the period add up to it.
        trend = rows("audits.trend")
        months = _months(report["start"], report["end"])
        in_period = [i for i, r in enumerate(trend) if r["month"] in months]
        if months and len(in_period) == len(months):
            attack.sum_is(audits, [cell("audits.trend", i, "audits") for i in in_period])
            attack.sum_is(good, [cell("audits.trend", i, "good_or_better") for i in in_period])
        for i, r in enumerate(trend):
            attack.rate(
                r.get("good_or_better_pct"),
                cell("audits.trend", i, "good_or_better"),
                cell("audits.trend", i, "audits"),
            )
            attack.at_most_of(
                cell("audits.trend", i, "good_or_better"), cell("audits.trend", i, "audits")
            )
        # The same counts again: family feedback, the balance of grade bands.
        for name in ("audits.family_feedback", "voice.family_views"):
            row = one(name)
            if row is not None:
                attack.same(audits, cell(name, 0, "audits"))
                attack.rate(
                    row.get("pct"), cell(name, 0, "views_gathered"), cell(name, 0, "audits")
                )
                attack.at_most_of(cell(name, 0, "views_gathered"), cell(name, 0, "audits"))
        balance = rows("balance.balance")
        if balance:
            bands = {r["band"]: cell("balance.balance", i, "audits") for i, r in enumerate(balance)}
            attack.sum_is(audits, list(bands.values()))
            if "Good or better" in bands:
                attack.same(good, bands["Good or better"])
            if "Inadequate" in bands:
                attack.same(bad, bands["Inadequate"])
            if "Requires improvement" in bands and grades:
                ri = [i for i, r in enumerate(grades) if r["grade"].startswith("Requires")]
                attack.same(bands["Requires improvement"], cell("audits.grades", ri[0], "count"))
        # Moderation: the Inadequate after moderation are those graded so, less the regraded.
        mod = one("audits.moderation")
        if mod is not None:
            m = "audits.moderation"
            attack.sum_is(cell(m, 0, "inadequate"), [bad, cell(m, 0, "regraded")])
            attack.rate(
                mod.get("in_time_pct"), cell(m, 0, "moderated_in_time"), cell(m, 0, "moderated")
            )
            for key in ("moderated", "agreed", "regraded", "recorded_after_due"):
                attack.at_most_of(cell(m, 0, key), cell(m, 0, "inadequate"))
            attack.at_most_of(cell(m, 0, "moderated_in_time"), cell(m, 0, "moderated"))
        # The sampling certificates' picks add up to the period's sample.
        sampling = rows("audits.sampling")
        if sampling and report.get("team") is None and "drawn" in sampling[0]:
            attack.sum_is(
                cell(s, 0, "sampled"),
                [cell("audits.sampling", i, "drawn") for i in range(len(sampling))],
            )
        for i in range(len(rows("audits.themes"))):
            attack.at_most_of(cell("audits.themes", i, "audits"), audits)
        # The p-chart's centre line is the pooled rate of the twelve months.
        centre = next((r.get("centre_pct") for r in trend if r.get("centre_pct") is not None), None)
        if trend and isinstance(centre, int | float):
            attack.ratio(
                centre,
                [cell("audits.trend", i, "good_or_better") for i in range(len(trend))],
                [cell("audits.trend", i, "audits") for i in range(len(trend))],
            )
    re_row = one("audits.reaudits")
    if re_row is not None:
        r_ = "audits.reaudits"
        attack.rate(re_row.get("improved_pct"), cell(r_, 0, "improved"), cell(r_, 0, "done"))

    # Complaints: quarters add up to the year; stages and teams to the received.
    complaints = rows("complaints.complaints")
    total_index = 0
    if complaints:
        c = "complaints.complaints"
        total_index = next(
            (i for i, r in enumerate(complaints) if str(r["period"]).lower() == "total"),
            len(complaints) - 1,
        )
        parts = [i for i in range(len(complaints)) if i != total_index]
        flows = ("received", "answered", "answered_in_time", "extended", "escalated")
        for key in (*flows, "extensions_agreed", "extensions_agreed_late"):
            if parts:
                attack.sum_is(cell(c, total_index, key), [cell(c, i, key) for i in parts])
        if parts:
            for key in ("open_at_end", "letter_outstanding_at_end"):
                attack.same(cell(c, total_index, key), cell(c, parts[-1], key))
        for i, r in enumerate(complaints):
            attack.rate(
                r.get("in_time_pct"), cell(c, i, "answered_in_time"), cell(c, i, "answered")
            )
            attack.at_most_of(cell(c, i, "letter_outstanding_at_end"), cell(c, i, "open_at_end"))
            attack.at_most_of(cell(c, i, "extensions_agreed_late"), cell(c, i, "extensions_agreed"))
        by_label = {r["period"]: i for i, r in enumerate(complaints)}
        for r in rows("complaints.complaints_in_time"):
            j = by_label.get(r["period"], total_index if len(complaints) == 1 else None)
            if j is not None:
                attack.rate(
                    r.get("in_time_pct"), cell(c, j, "answered_in_time"), cell(c, j, "answered")
                )
        received = cell(c, total_index, "received")
        for name in ("complaints.complaint_stages", "complaints.complaint_teams"):
            found = rows(name)
            if found:
                attack.sum_is(received, [cell(name, i, "received") for i in range(len(found))])
        for i, _ in enumerate(rows("complaints.complaint_themes")):
            attack.at_most_of(cell("complaints.complaint_themes", i, "received"), received)

    for i, r in enumerate(rows("voice.bright_spots")):
        b = "voice.bright_spots"
        attack.rate(r.get("response_rate_pct"), cell(b, i, "responses"), cell(b, i, "invited"))
    adv = one("voice.advocacy")
    if adv is not None:
        a = "voice.advocacy"
        attack.sum_is(cell(a, 0, "conferences"), [cell(a, 0, "told"), cell(a, 0, "not_told")])
        attack.rate(adv.get("told_pct"), cell(a, 0, "told"), cell(a, 0, "conferences"))
        attack.rate(adv.get("met_pct"), cell(a, 0, "met"), cell(a, 0, "requests"))

    # Change against the previous period: this period's counts are the summary's; the previous
    # period's are the trend's months when it lists them.
    previous = _previous_months(report)
    trend = rows("audits.trend")
    month_row = {r["month"]: i for i, r in enumerate(trend)}
    sources: dict[str, tuple[tuple[Any, str], tuple[Any, str]] | None] = {}
    if summary is not None:
        sources["Audits graded good or better"] = (
            cell(s, 0, "good_or_better"),
            cell(s, 0, "audits"),
        )
        sources["Sampled audits completed"] = (cell(s, 0, "completed"), cell(s, 0, "sampled"))
    if one("audits.moderation") is not None:
        m = "audits.moderation"
        sources["Inadequate audits moderated in time"] = (
            cell(m, 0, "moderated_in_time"),
            cell(m, 0, "moderated"),
        )
    if one("audits.family_feedback") is not None:
        f = "audits.family_feedback"
        sources["Audits that gathered the child's and family's views"] = (
            cell(f, 0, "views_gathered"),
            cell(f, 0, "audits"),
        )
    if complaints:
        sources["Complaints answered in time"] = (
            cell("complaints.complaints", total_index, "answered_in_time"),
            cell("complaints.complaints", total_index, "answered"),
        )
    if adv is not None:
        sources["Children told they may have an advocate"] = (
            cell("voice.advocacy", 0, "told"),
            cell("voice.advocacy", 0, "conferences"),
        )
    for section in ("audits", "complaints", "voice"):
        name = f"{section}.change"
        for i, r in enumerate(rows(name)):
            part, whole = cell(name, i, "part"), cell(name, i, "whole")
            before_part = cell(name, i, "previous_part")
            before_whole = cell(name, i, "previous_whole")
            attack.rate(r.get("pct"), part, whole)
            attack.rate(r.get("previous_pct"), before_part, before_whole)
            found = sources.get(r["measure"])
            if found is not None:
                attack.same(part, found[0])
                attack.same(whole, found[1])
            in_trend = [month_row[m] for m in previous if m in month_row]
            if (
                r["measure"] == "Audits graded good or better"
                and previous
                and len(in_trend) == len(previous)
            ):
                attack.sum_is(
                    before_part, [cell("audits.trend", j, "good_or_better") for j in in_trend]
                )
                attack.sum_is(before_whole, [cell("audits.trend", j, "audits") for j in in_trend])

    _findings(attack, report, rows, cell)
    _actions(attack, rows, cell)

    # Any other table with a row called Total: its other rows add up to it, column by column.
    for name, table in tables.items():
        if name in KNOWN:
            continue
        label = next((col["key"] for col in table["columns"] if col["kind"] == "label"), None)
        counts = [col["key"] for col in table["columns"] if col["kind"] == "count"]
        total = [
            i for i, r in enumerate(table["rows"]) if label and str(r.get(label)).lower() == "total"
        ]
        for t in total:
            for key in counts:
                attack.sum_is(
                    cell(name, t, key),
                    [cell(name, i, key) for i in range(len(table["rows"])) if i not in total],
                )
    # Every count is at least 0: the bounds of the program.
    return attack


KNOWN = frozenset(
    {
        "audits.findings_sections",
        "audits.findings_section_shares",
        "audits.actions",
        "balance.themes_by_band",
        "audits.summary",
        "audits.grades",
        "audits.trend",
        "audits.by_team",
        "audits.by_category",
        "audits.moderation",
        "audits.reaudits",
        "audits.themes",
        "audits.family_feedback",
        "audits.sampling",
        "balance.balance",
        "complaints.complaints",
        "complaints.complaints_in_time",
        "complaints.complaint_stages",
        "complaints.complaint_themes",
        "complaints.complaint_teams",
        "voice.bright_spots",
        "voice.advocacy",
        "voice.family_views",
        "scrutiny.scrutiny_status",
        "audits.change",
        "complaints.change",
        "voice.change",
    }
)


GRADE_KEYS = ("outstanding", "good", "requires_improvement", "inadequate")
FRAMEWORK = Path(__file__).parents[2] / "data" / "framework.toml"


def _questions_per_section() -> dict[str, int]:
    """How many questions each section of the framework has: the framework file is public, so
    a reader of the report has it too (read here with tomllib, not through qaudit)."""
    doc = tomllib.loads(FRAMEWORK.read_text(encoding="utf-8"))
    return {area["title"]: len(area.get("question", [])) for area in doc["area"]}


def _findings(attack: Attack, report: dict[str, Any], rows: Any, cell: Any) -> None:
    """The framework answers by section: a section's grades add up to its answers, all sections
    are the sum of the sections, the shares are of the answers, and no section has more answers
    than its questions times the audits; a theme's grade bands add up to its audits."""
    sc, ss = "audits.findings_sections", "audits.findings_section_shares"
    summary = rows("audits.summary")
    sections = rows(sc)
    questions = _questions_per_section()
    parts = [k for k, r in enumerate(sections) if r["section"] != "All sections"]
    for k, r in enumerate(sections):
        attack.sum_is(cell(sc, k, "answers"), [cell(sc, k, g) for g in GRADE_KEYS])
        if r["section"] == "All sections":
            for key in ("answers", *GRADE_KEYS):
                attack.sum_is(cell(sc, k, key), [cell(sc, j, key) for j in parts])
        n = questions.get(r["section"])
        if r["section"] == "All sections" and all(
            sections[j]["section"] in questions for j in parts
        ):
            n = sum(questions[sections[j]["section"]] for j in parts)
        if summary and n:
            attack._linear(
                [(1.0, *cell(sc, k, "answers")), (-float(n), *cell("audits.summary", 0, "audits"))],
                0.0,
                equal=False,
            )
    for k, r in enumerate(rows(ss)):
        # The section shares' rows are the sections table's, in its order.
        if k < len(sections) and sections[k]["section"] == r["section"]:
            for g in GRADE_KEYS:
                attack.rate(r.get(f"{g}_pct"), cell(sc, k, g), cell(sc, k, "answers"))
    tb = "balance.themes_by_band"
    themes = {r["theme"]: i for i, r in enumerate(rows("audits.themes"))}
    grades = rows("audits.grades")
    ri = [i for i, r in enumerate(grades) if r["grade"].startswith("Requires")]
    for k, r in enumerate(rows(tb)):
        bands = ("good_or_better", "requires_improvement", "inadequate")
        attack.sum_is(cell(tb, k, "audits"), [cell(tb, k, b) for b in bands])
        if r["theme"] in themes:
            attack.same(cell(tb, k, "audits"), cell("audits.themes", themes[r["theme"]], "audits"))
        if summary:
            s = "audits.summary"
            attack.at_most_of(cell(tb, k, "good_or_better"), cell(s, 0, "good_or_better"))
            attack.at_most_of(cell(tb, k, "inadequate"), cell(s, 0, "inadequate"))
        if ri:
            attack.at_most_of(
                cell(tb, k, "requires_improvement"), cell("audits.grades", ri[0], "count")
            )


ACTION_PARTS = ("done_in_time", "done_late", "open_overdue", "open_not_due")


def _actions(attack: Attack, rows: Any, cell: Any) -> None:
    """Actions: each row's set are its done in time, done late, open overdue and open not yet
    due; the teams add up to the Total row."""
    a = "audits.actions"
    found = rows(a)
    for i in range(len(found)):
        attack.sum_is(cell(a, i, "set"), [cell(a, i, k) for k in ACTION_PARTS])
    total = [i for i, r in enumerate(found) if str(r.get("team")).lower() == "total"]
    for t in total:
        for key in ("set", *ACTION_PARTS):
            attack.sum_is(
                cell(a, t, key), [cell(a, i, key) for i in range(len(found)) if i not in total]
            )


def _previous_months(report: dict[str, Any]) -> list[str]:
    """The months of the period before the report's, when the report is a month, quarter or
    year (the same length just before it)."""
    from datetime import date, timedelta

    start, end = date.fromisoformat(report["start"]), date.fromisoformat(report["end"])
    months = _months(report["start"], report["end"])
    if not months:
        return []
    first = start
    for _ in months:
        first = (first - timedelta(days=1)).replace(day=1)
    last = start - timedelta(days=1)
    del end
    return _months(first.isoformat(), last.isoformat())


def _months(start: str, end: str) -> list[str]:
    """The months making up [start, end] when it is whole months; else none."""
    from datetime import date, timedelta

    first, last = date.fromisoformat(start), date.fromisoformat(end)
    if first.day != 1 or (last + timedelta(days=1)).day != 1:
        return []
    out = []
    day = first
    while day <= last:
        out.append(f"{day.year:04d}-{day.month:02d}")
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return out


def recovered(report: dict[str, Any]) -> dict[str, int]:
    """The suppressed cells whose value the attacker pins down, with that value."""
    return {name: low for name, (low, high) in relations(report).ranges().items() if low == high}


def medians_of_few(report: dict[str, Any]) -> list[str]:
    """Medians or means shown for fewer than 6 items (or for a suppressed number of items)."""
    out = []
    for section, table in _tables(report):
        for i, row in enumerate(table["rows"]):
            value = row.get("median_working_days")
            if value in (None, C):
                continue
            answered = row.get("answered")
            if not isinstance(answered, int) or answered < 6:
                out.append(f"{section}.{table['name']}[{i}]")
    return out


def derived_leaks(report: dict[str, Any]) -> list[str]:
    """Figures shown that rest on a hidden count: a p-chart limit or signal for a month whose
    audits are hidden (or any limit when the centre line is hidden: it lies half way between
    them), a difference, interval or verdict over a hidden count."""
    out = []
    for section, table in _tables(report):
        for i, row in enumerate(table["rows"]):
            where = f"{section}.{table['name']}[{i}]"
            centre_hidden = any(r.get("centre_pct") == C for r in table["rows"])
            if table["name"] == "trend" and (
                centre_hidden or C in (row.get("audits"), row.get("good_or_better"))
            ):
                for key in ("lower_pct", "upper_pct", "signal"):
                    if row.get(key) not in (None, C):
                        out.append(f"{where}.{key}")
            if table["name"] == "change":
                counts = ("part", "whole", "previous_part", "previous_whole")
                if any(row.get(k) == C for k in counts):
                    for key in ("difference", "difference_low", "difference_high", "verdict"):
                        if row.get(key) not in (None, C):
                            out.append(f"{where}.{key}")
    return out


def free_text(report: dict[str, Any], names: list[str]) -> list[str]:
    """Anything in the published report that is free text, a case ref or a person's name."""
    out = []
    for section in report["sections"]:
        if any(section["lists"].values()):
            out.append(f"{section['name']}: a free-text list")
        for table in section["tables"]:
            for column in table["columns"]:
                if column["kind"] == "text":
                    out.append(f"{table['name']}.{column['key']}: a text column")
            for row in table["rows"]:
                for key, value in row.items():
                    if not isinstance(value, str):
                        continue
                    if CASE_REF.search(value):
                        out.append(f"{table['name']}.{key}: a case ref in {value!r}")
                    for name in names:
                        if name in value:
                            out.append(f"{table['name']}.{key}: the name {name!r}")
    return out

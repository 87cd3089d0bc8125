"""Bench stores: the staff list, and years of audit history written straight into a case store.

``bench/run.py`` imports qaudit's staff list and cases with qaudit itself, then runs this file as a
child process to add the history with the stdlib ``sqlite3`` module (test-data set-up, not the
code under test): monthly samples whose items are graded, re-audits and moderations after each
Inadequate audit, and a fixed set of overdue work, the same in a store of any size, so that
``qaudit overdue`` prints as many rows on a big store as on a small one. Then complaints received
2018-2026 with their stages, in every state: answered in time or late, responded with the letter
outstanding, extended, escalated, at stage 2 or 3, closed with each outcome.

    python bench/stores.py STORE --audits 100000 --complaints 50000 --seed 2026   # JSON summary
"""

from __future__ import annotations

import argparse
import calendar
import json
import random
import sqlite3
import sys
import tomllib
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

HISTORY_VERSION = 2  # bump when the history changes, so stores built by the old one are rebuilt

TODAY = date(2026, 12, 1)  # the benchmarks run with --today 2026-12-01
FIRST_MONTH = date(2018, 8, 1)
MONTHS = 100  # 2018-08 ... 2026-11, one sample each
EXCLUSION_DAYS = 365  # a case audited in the last 12 months is not sampled again
MODERATION_WORKING_DAYS = 5
REAUDIT_DAYS = 42

# The overdue work, the same in every store: open items past their month's due date, Inadequate
# audits not moderated in time, and re-audits not done in time.
OPEN_OVERDUE = {"2026-10": 4, "2026-11": 12}
OVERDUE_MODERATIONS = 5  # audits dated in MODERATION_WINDOW: re-audit due after TODAY
OVERDUE_REAUDITS = 5  # audits dated in REAUDIT_WINDOW: moderated, re-audit due before TODAY
MODERATION_WINDOW = (date(2026, 10, 20), date(2026, 11, 20))
REAUDIT_WINDOW = (date(2026, 8, 3), date(2026, 10, 15))

GRADES = ("outstanding", "good", "requires-improvement", "inadequate")
SAMPLE_GRADE_WEIGHTS = (10, 48, 34, 8)
REAUDIT_GRADE_WEIGHTS = (4, 46, 40, 10)
REGRADED_SHARE = 0.05  # moderations that regrade (to Requires improvement: re-audit cancelled)
QA_SHARE = 0.85  # audits by the QA team's auditors; the rest by team managers of other teams

STRENGTHS = (
    "Clear chronology and up-to-date plan.",
    "The child's voice is evident throughout.",
    "Good multi-agency working; actions followed up.",
    "Visits on time and purposeful.",
)
DEVELOPMENT = (
    "Plan actions need timescales.",
    "Supervision not recorded for three months.",
    "Assessment not updated after a change of circumstances.",
    "Management oversight not evident.",
)
FEEDBACK = (
    "Parent felt listened to.",
    "Young person would like fewer changes of worker.",
    "Carer says visits are helpful.",
)


# --- the staff list ---------------------------------------------------------------------------


QA_TEAM = "Quality Assurance"
QA_AUDITORS = 12
TEAMS_PER_HEAD = 5


def write_staff_csv(path: Path, teams: Sequence[str]) -> None:
    """Auditors in the QA team, a manager for each team, heads of service over five teams each
    (``;``-separated), and a QA lead."""
    lines = ["name,role,team"]
    lines += [f"QA Auditor {n:02d},auditor,{QA_TEAM}" for n in range(1, QA_AUDITORS + 1)]
    lines += [f"{team} Manager,team_manager,{team}" for team in teams]
    for n, first in enumerate(range(0, len(teams), TEAMS_PER_HEAD), start=1):
        covered = ";".join(teams[first : first + TEAMS_PER_HEAD])
        lines.append(f"Head of Service {n:02d},head_of_service,{covered}")
    lines.append(f"QA Lead,qa_lead,{QA_TEAM}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# --- dates --------------------------------------------------------------------------------------


def month_starts() -> list[date]:
    index = FIRST_MONTH.year * 12 + FIRST_MONTH.month - 1
    return [date((index + n) // 12, (index + n) % 12 + 1, 1) for n in range(MONTHS)]


def last_weekday(first: date) -> date:
    day = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def next_weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def previous_weekday(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def add_working_days(day: date, n: int) -> date:
    day = next_weekday(day)
    for _ in range(n):
        day = next_weekday(day + timedelta(days=1))
    return day


def stamp(day: date, at: str = "16:30:00") -> str:
    """A DateTime column as SQLAlchemy stores it in SQLite."""
    return f"{day.isoformat()} {at}.000000"


# --- the history --------------------------------------------------------------------------------

NEVER = 10**7  # an ordinal after every date


@dataclass
class Inadequate:
    """An Inadequate audit's moderation and re-audit, as they will be written."""

    audit_id: int
    index: int  # the case's place in History's arrays
    case_id: int
    auditor_id: int
    audit_date: date
    owner_id: int | None
    # None; "moderation" or "reaudit": one of the fixed overdue items; "regraded" at moderation
    fate: str | None
    done_audit_id: int | None = None


class History:
    """Generates the history month by month, keeping each case's eligibility as qaudit does."""

    def __init__(self, conn: sqlite3.Connection, seed: int) -> None:
        self.rng = random.Random(seed)
        self.case_ids = array("q")
        self.opened = array("i")
        self.closed = array("i")  # 0: still open
        self.team = array("i")  # 0: no team
        for case_id, opened, closed, team_id in conn.execute(
            "SELECT id, open_date, close_date, team_id FROM cases ORDER BY id"
        ):
            self.case_ids.append(case_id)
            self.opened.append(date.fromisoformat(opened).toordinal() if opened else 0)
            self.closed.append(date.fromisoformat(closed).toordinal() if closed else 0)
            self.team.append(team_id or 0)
        if not self.case_ids:
            raise SystemExit("the store has no cases: import them first")
        staff = conn.execute("SELECT id, role, team_id FROM staff").fetchall()
        self.qa_auditors: list[int] = [i for i, role, _ in staff if role == "auditor"]
        self.managers: list[tuple[int, int]] = [
            (i, team) for i, role, team in staff if role == "team_manager"
        ]
        self.heads: dict[int, int] = dict(
            conn.execute("SELECT team_id, staff_id FROM heads_of_service")
        )
        if not self.qa_auditors or not self.heads:
            raise SystemExit("the store has no auditors or heads of service: import staff first")
        self.last_audit: dict[int, int] = {}  # case index -> ordinal of its latest audit
        self.busy_until: dict[int, int] = {}  # case index -> blocked (open item, re-audit) until
        self.audits: list[tuple[Any, ...]] = []
        self.samples: list[tuple[Any, ...]] = []
        self.items: list[tuple[Any, ...]] = []
        self.inadequate: list[Inadequate] = []
        self.scheduled: dict[date, list[tuple[date, Inadequate]]] = {}  # month -> re-audits due

    # picking cases and people

    def pick(self, first: date, due: date, taken: set[int]) -> int | None:
        """A random case open over the month, not audited in the last 12 months, not waiting."""
        first_o, due_o = first.toordinal(), due.toordinal()
        since = first_o - EXCLUSION_DAYS
        randrange, n = self.rng.randrange, len(self.case_ids)
        for _ in range(10_000):
            i = randrange(n)
            closed = self.closed[i]
            if (
                i not in taken
                and self.opened[i] <= first_o
                and (closed == 0 or closed >= due_o)
                and self.last_audit.get(i, 0) < since
                and self.busy_until.get(i, 0) < first_o
            ):
                taken.add(i)
                return i
        return None

    def auditor_for(self, i: int) -> int:
        team = self.team[i]
        if self.rng.random() < QA_SHARE:
            return self.rng.choice(self.qa_auditors)
        return self.rng.choice([m for m, t in self.managers if t != team] or self.qa_auditors)

    # audits

    def add_audit(self, i: int, auditor: int, day: date, grade: str, kind: str) -> int:
        audit_id = len(self.audits) + 1
        rng = self.rng
        views = rng.random() < 0.6
        self.audits.append(
            (
                audit_id,
                self.case_ids[i],
                auditor,
                day.isoformat(),
                grade,
                kind,
                rng.choice(STRENGTHS),
                rng.choice(DEVELOPMENT),
                int(views),
                rng.choice(FEEDBACK) if views else None,
                stamp(day),
            )
        )
        self.last_audit[i] = max(self.last_audit.get(i, 0), day.toordinal())
        return audit_id

    def grade(self, weights: Sequence[int]) -> str:
        return self.rng.choices(GRADES, weights=weights)[0]

    def follow_up(self, audit_id: int, i: int, auditor: int, day: date, forced: str | None) -> None:
        """An Inadequate audit: its moderation, and its re-audit done weeks later if due by now."""
        record = Inadequate(
            audit_id=audit_id,
            index=i,
            case_id=self.case_ids[i],
            auditor_id=auditor,
            audit_date=day,
            owner_id=self.heads.get(self.team[i]),
            fate=forced,
        )
        self.inadequate.append(record)
        reaudit_due = next_weekday(day + timedelta(days=REAUDIT_DAYS))
        if forced is None and reaudit_due < TODAY and self.rng.random() >= REGRADED_SHARE:
            # Done in the fortnight before it was due: always in a later month than the audit.
            done = previous_weekday(reaudit_due - timedelta(days=self.rng.randint(0, 9)))
            month = done.replace(day=1)
            self.scheduled.setdefault(month, []).append((done, record))
            self.busy_until[i] = done.toordinal()
        elif forced is None and reaudit_due < TODAY:
            record.fate = "regraded"  # moderated up: the re-audit is cancelled
            self.busy_until[i] = day.toordinal()
        else:
            self.busy_until[i] = NEVER  # pending

    def month(self, first: date, quota: int, forced: list[tuple[date, str]]) -> None:
        """One month: re-audits done in it, its sample's graded items, its open items."""
        rng = self.rng
        due = last_weekday(first)
        sample_id = len(self.samples) + 1
        month = first.strftime("%Y-%m")
        taken: set[int] = set()
        # case index, auditor, status, audit
        items: list[tuple[int, int | None, str, int | None]] = []
        for done, record in sorted(self.scheduled.pop(first, []), key=lambda s: s[0]):
            grade = self.grade(REAUDIT_GRADE_WEIGHTS)
            audit_id = self.add_audit(record.index, record.auditor_id, done, grade, "reaudit")
            record.done_audit_id = audit_id
            self.busy_until[record.index] = done.toordinal()
            if grade == "inadequate":
                self.follow_up(audit_id, record.index, record.auditor_id, done, None)
            quota -= 1
        graded: list[tuple[date, str | None]] = [(day, why) for day, why in forced]
        graded += [(date.min, None)] * max(0, quota - len(forced))
        for day, why in graded:
            i = self.pick(first, due, taken)
            if i is None:
                raise SystemExit(f"no case left to sample in {month}")
            if day == date.min:
                last = min(due, TODAY - timedelta(days=1))
                day = previous_weekday(first + timedelta(days=rng.randint(0, last.day - 1)))
                if day < first:
                    day = next_weekday(first)
            grade = "inadequate" if why else self.grade(SAMPLE_GRADE_WEIGHTS)
            auditor = self.auditor_for(i)
            audit_id = self.add_audit(i, auditor, day, grade, "sample")
            items.append((i, auditor, "done", audit_id))
            if grade == "inadequate":
                self.follow_up(audit_id, i, auditor, day, why)
        for n in range(OPEN_OVERDUE.get(month, 0)):
            i = self.pick(first, due, taken)
            if i is None:
                raise SystemExit(f"no case left to sample in {month}")
            items.append((i, None if n == 0 else self.auditor_for(i), "open", None))
            self.busy_until[i] = NEVER
        drawn = next_weekday(first)
        self.samples.append(
            (sample_id, month, rng.randrange(1, 2**48), len(items), stamp(drawn, "07:30:00"))
        )
        for position, (index, auditor_id, status, done_id) in enumerate(items, start=1):
            case_id = self.case_ids[index]
            self.items.append(
                (sample_id, case_id, position, auditor_id, due.isoformat(), status, done_id)
            )

    def moderations_and_reaudits(self) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        rng = self.rng
        heads = sorted(set(self.heads.values()))
        moderations: list[tuple[Any, ...]] = []
        reaudits: list[tuple[Any, ...]] = []
        for n, r in enumerate(self.inadequate):
            due = add_working_days(r.audit_date, MODERATION_WORKING_DAYS)
            moderator: int | None = r.owner_id or heads[n % len(heads)]
            outcome: str | None = None
            regrade: str | None = None
            notes: str | None = None
            outcome_on: date | None = None
            talk: date | None = None
            completed: date | None = None
            if r.fate == "moderation":  # overdue: one part recorded, or nothing
                if n % 2:
                    outcome, outcome_on = "agreed", due - timedelta(days=1)
                else:
                    moderator = None
            elif due < TODAY:  # moderated in time
                outcome_on = min(due, r.audit_date + timedelta(days=rng.randint(1, 6)))
                talk = min(due, r.audit_date + timedelta(days=rng.randint(1, 6)))
                completed = max(outcome_on, talk)
                outcome = "regraded" if r.fate == "regraded" else "agreed"
                regrade = "requires-improvement" if outcome == "regraded" else None
                notes = "Reflective conversation held with the team manager."
            else:
                moderator = None
            moderations.append(
                (
                    r.audit_id,
                    r.owner_id,
                    due.isoformat(),
                    moderator,
                    outcome,
                    regrade,
                    _iso(outcome_on),
                    _iso(talk),
                    notes,
                    _iso(completed),
                )
            )
            reaudit_due = next_weekday(r.audit_date + timedelta(days=REAUDIT_DAYS))
            if r.fate == "regraded":
                status, note = "cancelled", "regraded Requires improvement at moderation"
            elif r.done_audit_id is not None:
                status, note = "done", None
            else:
                status, note = "pending", None
            reaudits.append(
                (
                    r.case_id,
                    r.audit_id,
                    r.auditor_id,
                    reaudit_due.isoformat(),
                    status,
                    r.done_audit_id,
                    note,
                )
            )
        return moderations, reaudits


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _forced_dates() -> dict[date, list[tuple[date, str]]]:
    """The fixed overdue moderations and re-audits: audit dates by month."""
    out: dict[date, list[tuple[date, str]]] = {}
    for count, (low, high), why in (
        (OVERDUE_MODERATIONS, MODERATION_WINDOW, "moderation"),
        (OVERDUE_REAUDITS, REAUDIT_WINDOW, "reaudit"),
    ):
        span = (high - low).days
        for n in range(count):
            day = next_weekday(low + timedelta(days=span * n // max(1, count - 1)))
            day = min(day, previous_weekday(high))
            out.setdefault(day.replace(day=1), []).append((day, why))
    for days in out.values():
        days.sort()
    return out


def build_history(db: Path, audits: int, seed: int) -> dict[str, Any]:
    """Write about ``audits`` audits (at least one a month) with their samples, moderations and
    re-audits into the store at ``db``, in one transaction; a summary to check the bench by."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        if conn.execute("SELECT count(*) FROM audits").fetchone()[0]:
            raise SystemExit(f"{db} already has audits")
        history = History(conn, seed)
        forced = _forced_dates()
        for n, first in enumerate(month_starts()):
            # Bresenham: quotas total ``audits`` exactly (re-audits count towards their month).
            quota = (n + 1) * audits // MONTHS - n * audits // MONTHS
            history.month(first, max(quota, 1), forced.get(first, []))
        moderations, reaudits = history.moderations_and_reaudits()
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO samples(id, month, seed, size, stratify, drawn_at, drawn_by) "
            "VALUES (?, ?, ?, ?, NULL, ?, 'bench')",
            history.samples,
        )
        conn.executemany(
            "INSERT INTO audits(id, case_id, auditor_id, audit_date, grade, kind, answers, "
            "themes, strengths, development, views_gathered, family_feedback, recorded_at) "
            "VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, ?, ?)",
            history.audits,
        )
        conn.executemany(
            "INSERT INTO sample_items(sample_id, case_id, position, auditor_id, due, status, "
            "audit_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
            history.items,
        )
        conn.executemany(
            "INSERT INTO moderations(audit_id, owner_id, due, moderator_id, outcome, regrade, "
            "outcome_on, conversation_date, notes, completed_on) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            moderations,
        )
        conn.executemany(
            "INSERT INTO reaudits(case_id, audit_id, auditor_id, due, status, done_audit_id, "
            "note) VALUES (?, ?, ?, ?, ?, ?, ?)",
            reaudits,
        )
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        today = TODAY.isoformat()
        overdue = {
            "audit": conn.execute(
                "SELECT count(*) FROM sample_items WHERE status = 'open' AND due < ?", (today,)
            ).fetchone()[0],
            "moderation": conn.execute(
                "SELECT count(*) FROM moderations WHERE completed_on IS NULL AND due < ?",
                (today,),
            ).fetchone()[0],
            "reaudit": conn.execute(
                "SELECT count(*) FROM reaudits WHERE status = 'pending' AND due < ?", (today,)
            ).fetchone()[0],
        }
        counts = {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("cases", "staff", "samples", "sample_items", "audits")
        }
        statuses = dict(conn.execute("SELECT status, count(*) FROM reaudits GROUP BY status"))
        moderated = conn.execute(
            "SELECT count(*) FROM moderations WHERE completed_on IS NOT NULL"
        ).fetchone()[0]
    finally:
        conn.close()
    return {
        "history_version": HISTORY_VERSION,
        "counts": counts,
        "inadequate": len(history.inadequate),
        "moderations_completed": moderated,
        "reaudits": statuses,
        "overdue": overdue,
    }


# --- complaints ---------------------------------------------------------------------------------

THEMES_FILE = Path(__file__).resolve().parent.parent / "data" / "complaint_themes.toml"
FIRST_COMPLAINT = date(2018, 1, 1)  # received 2018-01-01 ... the day before TODAY
FINANCIAL_YEAR = (date(2025, 4, 1), date(2026, 3, 31))  # 2025/26, the report benchmark's period
PROCEDURES = ("statutory", "corporate")
PROCEDURE_WEIGHTS = (70, 30)
RELATIONSHIPS = ("parent", "child", "carer", "other")
RELATIONSHIP_WEIGHTS = (60, 12, 18, 10)
OUTCOMES = ("upheld", "partly-upheld", "not-upheld")  # and "withdrawn", which needs no letter
OUTCOME_WEIGHTS = (22, 30, 48)
# Working days to respond and the most a stage may be extended to (the policy's defaults).
TIMESCALES: dict[str, dict[int, tuple[int, int]]] = {
    "statutory": {1: (10, 20), 2: (25, 65), 3: (30, 30)},
    "corporate": {1: (10, 20), 2: (20, 20)},
}
NEXT_STAGE_DAYS = 20  # working days after the letter to ask for the next stage
NO_CASE_SHARE = 0.12
EXTENDED_SHARE = 0.10
LATE_SHARE = 0.18  # answered after the (extended) due date
NEXT_STAGE_SHARE = 0.15  # answered stages taken to the next stage
LATE_REQUEST_SHARE = 0.10  # next-stage requests accepted outside the window, with a reason
WITHDRAWN_SHARE = 0.03  # stages withdrawn before the letter
OPEN_SHARE = 0.45  # stages not yet due still open
LETTER_OUTSTANDING_SHARE = 0.35  # stages responded to before the final letter
ESCALATED_SHARE = 0.35  # stages answered late that were escalated first
# The overdue complaints, the same in every store (as the overdue audit work is), so that
# ``qaudit overdue`` lists as many on a big store as on a small one: no other stage is left
# unanswered past its due date. The first is at stage 2; every other one escalated; every
# third one responded to, its letter outstanding.
OVERDUE_COMPLAINTS = (
    date(2026, 8, 3),
    date(2026, 9, 14),
    date(2026, 10, 5),
    date(2026, 10, 19),
    date(2026, 11, 2),
    date(2026, 11, 9),
)
SUMMARIES = (
    "Parent unhappy with the time taken to complete the assessment.",
    "Young person says their social worker changed three times this year.",
    "Carer disputes the contact arrangements set out in the plan.",
    "Family were not told about the outcome of the strategy meeting.",
    "Care leaver has not received the setting-up-home allowance.",
)
OFFICERS = ("Complaints Officer 1", "Complaints Officer 2", "Complaints Officer 3")
LATE_REASONS = (
    "The complainant was in hospital when the letter arrived.",
    "The letter went to a previous address.",
)


@dataclass
class Stage:
    """One complaint stage as it will be written."""

    number: int
    received: date
    due: date
    extension_days: int = 0
    responded_on: date | None = None
    letter_on: date | None = None
    escalated_on: date | None = None
    escalated_to_id: int | None = None
    late_reason: str | None = None
    withdrawn_on: date | None = None  # not a column: the complaint is closed as withdrawn


def theme_ids(path: Path = THEMES_FILE) -> list[str]:
    with path.open("rb") as handle:
        themes = tomllib.load(handle)["theme"]
    return [str(t["id"]) for t in themes]


class Complaints:
    """Generates complaints and their stages, as qaudit's complaint commands would record them
    (weekends are non-working days; bank holidays are ignored)."""

    def __init__(self, conn: sqlite3.Connection, seed: int) -> None:
        self.rng = random.Random(seed + 1)  # not the history's stream
        self.case_ids = array("q")
        self.team = array("i")  # 0: no team
        for case_id, team_id in conn.execute("SELECT id, team_id FROM cases ORDER BY id"):
            self.case_ids.append(case_id)
            self.team.append(team_id or 0)
        self.heads: dict[int, int] = dict(
            conn.execute("SELECT team_id, staff_id FROM heads_of_service")
        )
        lead = conn.execute(
            "SELECT id FROM staff WHERE role = 'qa_lead' ORDER BY name LIMIT 1"
        ).fetchone()
        if lead is None or not self.case_ids:
            raise SystemExit("the store has no QA lead or no cases: import staff and cases first")
        self.qa_lead: int = lead[0]
        self.themes = theme_ids()
        self.last = TODAY - timedelta(days=1)
        self.states: dict[str, int] = {}

    def count(self, state: str) -> None:
        self.states[state] = self.states.get(state, 0) + 1

    def stage(self, procedure: str, number: int, received: date, escalate_to: int) -> Stage:
        """A stage received on ``received``: withdrawn, answered in time or late, or open and
        not yet due."""
        rng, last = self.rng, self.last
        days, longest = TIMESCALES[procedure][number]
        extended = longest > days and rng.random() < EXTENDED_SHARE
        extension = rng.randint(1, longest - days) if extended else 0
        due = add_working_days(received, days + extension)
        stage = Stage(number, received, due, extension)
        withdrawn = received + timedelta(days=rng.randint(2, 30))
        if rng.random() < WITHDRAWN_SHARE and withdrawn <= last:
            stage.withdrawn_on = withdrawn
            return stage
        if rng.random() < LATE_SHARE:
            letter = due + timedelta(days=rng.randint(1, 30))
        else:
            letter = add_working_days(received, rng.randint(1, days + extension))
        if due >= TODAY and (letter > last or rng.random() < OPEN_SHARE):  # open, not yet due
            if rng.random() < LETTER_OUTSTANDING_SHARE:
                stage.responded_on = min(received + timedelta(days=rng.randint(0, 5)), last)
            return stage
        if letter > last:  # only the fixed set is overdue: this one was answered by yesterday
            letter = due + timedelta(days=rng.randint(0, (last - due).days))
        stage.letter_on = letter
        stage.responded_on = (  # resolved first, the letter following weeks later
            max(received, letter - timedelta(days=rng.randint(1, 20)))
            if rng.random() < LETTER_OUTSTANDING_SHARE
            else letter
        )
        if letter > due + timedelta(days=1) and rng.random() < ESCALATED_SHARE:
            stage.escalated_on = due + timedelta(days=rng.randint(1, (letter - due).days - 1))
            stage.escalated_to_id = escalate_to
        return stage

    def overdue_stages(self, n: int, received: date, escalate_to: int) -> list[Stage]:
        """The ``n``-th fixed overdue complaint (statutory): its stages."""
        stages: list[Stage] = []
        number, start = 1, received
        if n == 0:  # stage 1 answered in time, stage 2 asked for, unanswered
            letter = add_working_days(received, 8)
            stages.append(Stage(1, received, add_working_days(received, 10), 0, letter, letter))
            number, start = 2, add_working_days(letter, 5)
        stage = Stage(number, start, add_working_days(start, TIMESCALES["statutory"][number][0]))
        if stage.due >= self.last:
            raise SystemExit(f"the overdue complaint received {received} is not overdue")
        if n % 3 == 0:
            stage.responded_on = start + timedelta(days=3)
        if n % 2 == 0:
            stage.escalated_on = stage.due + timedelta(days=1)
            stage.escalated_to_id = escalate_to
        return [*stages, stage]

    def complaint(
        self, received: date, overdue: int | None
    ) -> tuple[str, int | None, str, str, list[str], list[Stage], str | None, date | None]:
        """Procedure, case id, relationship, summary, themes, stages, outcome, closed on; the
        ``overdue``-th fixed overdue complaint unless None."""
        rng = self.rng
        procedure = rng.choices(PROCEDURES, weights=PROCEDURE_WEIGHTS)[0]
        if rng.random() < NO_CASE_SHARE:
            case_id, escalate_to = None, self.qa_lead
        else:
            i = rng.randrange(len(self.case_ids))
            case_id, escalate_to = self.case_ids[i], self.heads.get(self.team[i], self.qa_lead)
        relationship = rng.choices(RELATIONSHIPS, weights=RELATIONSHIP_WEIGHTS)[0]
        themes = rng.sample(self.themes, rng.choice((1, 1, 1, 2, 2, 3)))
        summary = rng.choice(SUMMARIES)
        if overdue is not None:
            stages = self.overdue_stages(overdue, received, escalate_to)
            outcome, closed_on = None, None
            procedure = "statutory"
        else:
            stages, outcome, closed_on = self.stages(procedure, received, escalate_to)
        for stage in stages:
            if stage.withdrawn_on is not None:
                self.count(f"stage {stage.number} withdrawn")
            elif stage.letter_on is None:
                overdue_now = stage.due < TODAY
                self.count(f"stage {stage.number} {'overdue' if overdue_now else 'open'}")
            else:
                late = stage.letter_on > stage.due
                self.count(f"stage {stage.number} answered {'late' if late else 'in time'}")
            if stage.extension_days:
                self.count("extended")
            if stage.escalated_on:
                self.count("escalated")
        final = stages[-1]
        if final.letter_on is None and final.responded_on is not None and outcome is None:
            self.count("open, letter outstanding")
        elif final.letter_on is not None and outcome is None:
            self.count("answered, not closed")
        self.count(f"closed {outcome}" if outcome else "open")
        return procedure, case_id, relationship, summary, themes, stages, outcome, closed_on

    def stages(
        self, procedure: str, received: date, escalate_to: int
    ) -> tuple[list[Stage], str | None, date | None]:
        """A complaint's stages, its outcome and closing date."""
        rng, last = self.rng, self.last
        stages: list[Stage] = []
        number, start, late_reason = 1, received, None
        while True:
            stage = self.stage(procedure, number, start, escalate_to)
            stage.late_reason = late_reason
            stages.append(stage)
            if stage.withdrawn_on is not None:
                return stages, "withdrawn", stage.withdrawn_on
            if stage.letter_on is None:
                return stages, None, None
            if number + 1 in TIMESCALES[procedure] and rng.random() < NEXT_STAGE_SHARE:
                if rng.random() < LATE_REQUEST_SHARE:
                    offset = NEXT_STAGE_DAYS + rng.randint(1, 20)
                    late_reason = rng.choice(LATE_REASONS)
                else:
                    offset, late_reason = rng.randint(1, NEXT_STAGE_DAYS), None
                requested = add_working_days(stage.letter_on, offset)
                if requested <= last:
                    number, start = number + 1, requested
                    continue
            close = stage.letter_on + timedelta(days=rng.randint(0, 14))
            if close <= last and rng.random() < 0.97:
                return stages, rng.choices(OUTCOMES, weights=OUTCOME_WEIGHTS)[0], close
            return stages, None, None


def build_complaints(db: Path, complaints: int, seed: int) -> dict[str, Any]:
    """Write ``complaints`` complaints received over 2018 ... yesterday, with their stages, in
    one transaction; a summary of their states."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        if conn.execute("SELECT count(*) FROM complaints").fetchone()[0]:
            raise SystemExit(f"{db} already has complaints")
        gen = Complaints(conn, seed)
        first, last = FIRST_COMPLAINT.toordinal(), gen.last.toordinal()
        fixed = [(d.toordinal(), n) for n, d in enumerate(OVERDUE_COMPLAINTS)]
        drawn = [(gen.rng.randint(first, last), None) for _ in range(complaints - len(fixed))]
        days: list[tuple[int, int | None]] = sorted(
            [*fixed, *drawn], key=lambda d: (d[0], d[1] is None)
        )
        rows: list[tuple[Any, ...]] = []
        stage_rows: list[tuple[Any, ...]] = []
        numbers: dict[int, int] = {}  # year -> last ref number
        for complaint_id, (ordinal, overdue) in enumerate(days, start=1):
            received = date.fromordinal(ordinal)
            numbers[received.year] = number = numbers.get(received.year, 0) + 1
            procedure, case_id, relationship, summary, themes, stages, outcome, closed_on = (
                gen.complaint(received, overdue)
            )
            rows.append(
                (
                    complaint_id,
                    f"C-{received.year}-{number:04d}",
                    procedure,
                    case_id,
                    relationship,
                    summary,
                    json.dumps(themes),
                    received.isoformat(),
                    stages[-1].number,
                    outcome,
                    _iso(closed_on),
                    stamp(received, "10:15:00"),
                    OFFICERS[complaint_id % len(OFFICERS)],
                )
            )
            stage_rows += [
                (
                    complaint_id,
                    s.number,
                    s.received.isoformat(),
                    s.due.isoformat(),
                    s.extension_days,
                    _iso(s.responded_on),
                    _iso(s.letter_on),
                    _iso(s.escalated_on),
                    s.escalated_to_id,
                    s.late_reason,
                )
                for s in stages
            ]
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO complaints(id, ref, procedure, case_id, relationship, summary, themes, "
            "received, stage, outcome, closed_on, logged_at, logged_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.executemany(
            "INSERT INTO complaint_stages(complaint_id, stage, received, due, extension_days, "
            "responded_on, letter_on, escalated_on, escalated_to_id, late_reason) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            stage_rows,
        )
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        in_year = conn.execute(
            "SELECT count(*) FROM complaints WHERE received BETWEEN ? AND ?",
            (FINANCIAL_YEAR[0].isoformat(), FINANCIAL_YEAR[1].isoformat()),
        ).fetchone()[0]
        overdue = conn.execute(  # as qaudit overdue counts them: the current stage unanswered
            "SELECT count(*) FROM complaints c JOIN complaint_stages s "
            "ON s.complaint_id = c.id AND s.stage = c.stage "
            "WHERE c.closed_on IS NULL AND s.letter_on IS NULL AND s.due < ?",
            (TODAY.isoformat(),),
        ).fetchone()[0]
        if overdue != len(OVERDUE_COMPLAINTS):
            raise SystemExit(
                f"{overdue} complaints are overdue, expected {len(OVERDUE_COMPLAINTS)}"
            )
    finally:
        conn.close()
    return {
        "complaints": len(rows),
        "complaint_stages": len(stage_rows),
        "received_2025_26": in_year,
        "overdue": overdue,
        "states": dict(sorted(gen.states.items())),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("store", type=Path, help="a store with its staff and cases imported")
    parser.add_argument("--audits", type=int, required=True, help="audits to write, about")
    parser.add_argument("--complaints", type=int, default=0, help="complaints to write")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    summary = build_history(args.store, args.audits, args.seed)
    if args.complaints:
        summary["complaints"] = build_complaints(args.store, args.complaints, args.seed)
        summary["overdue"]["complaint"] = summary["complaints"]["overdue"]
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())

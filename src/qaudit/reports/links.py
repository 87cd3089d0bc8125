"""What a reader can work out from a report: each figure named by what it counts, and the linear
relations the report's own structure implies between them.

Publishing (reports/publish.py) needs this to suppress small numbers so that none can be worked
back. A count is not a cell but a *key* (a measure, a period and some dimensions, e.g. audits in
2026/27-Q3 in team A graded good or better): the same key shown in two tables is one figure, so
suppressing it hides both. The relations come from the meaning of the keys, not from a row
happening to be called "Total":

- a key equals the sum over a complete dimension (every team, every category, every stage, the
  four grades) of the keys below it;
- good or better is Outstanding plus Good; all audits are good or better plus Requires
  improvement plus Inadequate;
- a flow over a period is the sum over the months or quarters that make it up, and a count at
  the end of a period is the count at the end of its last part;
- and a few sums of the service's own: conferences are children told plus not told; Inadequate
  after moderation is Inadequate as graded less those regraded; the month certificates' picks add
  up to the period's sample.

A rate is linked to its part and its whole; a median, a limit or an interval to the count it
rests on. A table that this module does not know still gets its own sums from its "Total" row or
column, so no table is published unlinked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from qaudit.domain.grades import Grade
from qaudit.reports.model import Report, Table

Cell = tuple[int, int, int, str]  # (section index, table index, row index, column key)
Dims = tuple[tuple[str, str], ...]

TOTAL_WORDS = frozenset({"total", "all"})
# The dimensions whose values in a report's table cover every case: a key's children along one
# of them add up to it. (Themes do not: an audit or a complaint may have several, or none.) The
# findings by framework section list every section.
COMPLETE = frozenset({"team", "category", "stage", "complaint_team", "section"})
GRADES = {grade.label.lower(): grade.slug for grade in Grade}
GOOD_OR_BETTER = "good-or-better"
# Counts at a moment (the end of a period), not flows over it.
STOCKS = frozenset({"open_at_end", "letter_outstanding_at_end"})
MEDIAN_MIN = 6  # a median or mean of fewer items is not shown
ALL_SECTIONS = "All sections"  # the findings by section's total row
TREND_OWN = frozenset({"month", "audits", "good_or_better", "good_or_better_pct", "centre_pct"})


@dataclass(frozen=True, order=True)
class Key:
    measure: str
    period: str
    dims: Dims = ()
    # Publishing hashes keys millions of times (reports/publish.py): once each is enough.
    _hash: int = field(default=0, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash((self.measure, self.period, self.dims)))

    def __hash__(self) -> int:
        return self._hash

    def with_(self, **more: str) -> Key:
        merged = dict(self.dims)
        merged.update(more)
        return Key(self.measure, self.period, tuple(sorted(merged.items())))

    def without(self, dim: str) -> Key:
        return Key(self.measure, self.period, tuple(d for d in self.dims if d[0] != dim))

    def at(self, period: str) -> Key:
        return Key(self.measure, period, self.dims)


@dataclass(frozen=True)
class Derived:
    """A figure computed from counts (a median, a limit, a difference): shown only when every
    key it rests on is shown, and ``n`` (when given) is at least ``min_n``."""

    keys: tuple[Key, ...]
    n: Key | None = None
    min_n: int = 0


@dataclass
class Links:
    counts: dict[Cell, Key] = field(default_factory=dict)
    values: dict[Key, int] = field(default_factory=dict)
    rates: dict[Cell, tuple[Key, Key]] = field(default_factory=dict)
    derived: dict[Cell, Derived] = field(default_factory=dict)
    relations: list[dict[Key, int]] = field(default_factory=list)
    # Labels computed from counts (a p-chart's signal): blank when any key is suppressed.
    labels: dict[Cell, tuple[Key, ...]] = field(default_factory=dict)

    @property
    def shown(self) -> set[Key]:
        return set(self.counts.values())


def _number(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _Builder:
    def __init__(self, report: Report) -> None:
        self.report = report
        self.links = Links()
        self.period = report.period_label
        self.sub_periods: dict[str, list[list[str]]] = defaultdict(list)
        self.period_ends: dict[str, str] = {report.period_label: report.end.isoformat()}
        self.explicit: list[dict[Key, int]] = []
        self.trend_months: list[str] = []
        self.previous: tuple[str, date, date] | None = None

    # -- recording --------------------------------------------------------------------------

    def value(self, key: Key, value: object) -> None:
        if _number(value):
            assert isinstance(value, int)
            self.links.values.setdefault(key, value)

    def count(self, cell: Cell, row: Mapping[str, Any], key: Key) -> None:
        value = row.get(cell[3])
        if not _number(value):
            return
        self.links.counts[cell] = key
        self.value(key, value)

    def rate(self, cell: Cell, row: Mapping[str, Any], part: Key, whole: Key) -> None:
        if cell[3] not in row:
            return
        self.links.rates[cell] = (part, whole)
        of = row.get(f"{cell[3]}_of")
        if isinstance(of, list | tuple) and len(of) == 2:
            self.value(part, of[0])
            self.value(whole, of[1])

    # -- the report's tables ----------------------------------------------------------------

    def build(self) -> Links:
        for s, section in enumerate(self.report.sections):
            for t, table in enumerate(section.tables):
                handler = getattr(self, f"_t_{table.name}", None)
                if handler is None or not handler(s, t, table):
                    self._generic(s, t, table)
        if self.previous is not None:
            self._partition(*self.previous)
        self._unlinked()
        self._relations()
        return self.links

    def _audit_row(self, cell_of: Any, row: dict[str, Any], base: Key) -> None:
        self.count(cell_of("audits"), row, base)
        good = base.with_(band=GOOD_OR_BETTER)
        self.count(cell_of("good_or_better"), row, good)
        self.rate(cell_of("good_or_better_pct"), row, good, base)
        self.count(cell_of("inadequate"), row, base.with_(grade=Grade.INADEQUATE.slug))

    def _t_summary(self, s: int, t: int, table: Table) -> bool:
        if self.report.sections[s].name != "audits" or len(table.rows) != 1:
            return False
        row = table.rows[0]

        def cell(key: str) -> Cell:
            return (s, t, 0, key)

        sampled, completed = Key("sampled", self.period), Key("completed", self.period)
        self.count(cell("sampled"), row, sampled)
        self.count(cell("completed"), row, completed)
        self.rate(cell("completion_pct"), row, completed, sampled)
        self._audit_row(cell, row, Key("audits", self.period))
        return True

    def _t_grades(self, s: int, t: int, table: Table) -> bool:
        whole = Key("audits", self.period)
        for r, row in enumerate(table.rows):
            slug = GRADES.get(str(row.get("grade", "")).lower())
            if slug is None:
                return False
            part = whole.with_(grade=slug)
            self.count((s, t, r, "count"), row, part)
            self.rate((s, t, r, "pct"), row, part, whole)
        return True

    def _t_trend(self, s: int, t: int, table: Table) -> bool:
        months = []
        # The p-chart's centre line is the rate pooled over all the months shown: a rate whose
        # part and whole are the sums of the month columns.
        pooled = Key("audits", f"trend to {table.rows[-1].get('month') if table.rows else ''}")
        pooled_good = pooled.with_(band=GOOD_OR_BETTER)
        sums = [
            sum(row["audits"] for row in table.rows if _number(row.get("audits"))),
            sum(row["good_or_better"] for row in table.rows if _number(row.get("good_or_better"))),
        ]
        self.value(pooled, sums[0])
        self.value(pooled_good, sums[1])
        labels = [str(row.get("month")) for row in table.rows]
        for key in (pooled, pooled_good):
            self.explicit.append({key: 1, **{key.at(label): -1 for label in labels}})
        for r, row in enumerate(table.rows):
            if "centre_pct" in row:
                self.links.rates[(s, t, r, "centre_pct")] = (pooled_good, pooled)
            label = str(row.get("month"))
            months.append(label)
            base = Key("audits", label)
            good = base.with_(band=GOOD_OR_BETTER)
            self.count((s, t, r, "audits"), row, base)
            self.count((s, t, r, "good_or_better"), row, good)
            self.rate((s, t, r, "good_or_better_pct"), row, good, base)
            for column in table.columns:
                if column.key in TREND_OWN:
                    continue
                # A p-chart's limits and signals rest on the month's own counts and on the
                # centre line (the limits give it back: it is half way between them).
                rests_on = (base, good, pooled, pooled_good)
                if column.kind in ("pct", "number"):
                    self.links.derived[(s, t, r, column.key)] = Derived(rests_on)
                elif column.kind == "label":
                    self.links.labels[(s, t, r, column.key)] = rests_on
        self._month_partition(months)
        return True

    def _month_partition(self, labels: list[str]) -> None:
        """The report's period (and the previous one, which a change table compares with) is
        the sum of its months when it is whole months, all listed in the trend."""
        self.trend_months = labels
        self._partition(self.period, self.report.start, self.report.end)

    def _partition(self, label: str, start: date, end: date) -> None:
        if start.day != 1 or (end + timedelta(days=1)).day != 1:
            return
        wanted: list[str] = []
        day = start
        while day <= end:
            wanted.append(f"{day.year:04d}-{day.month:02d}")
            day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        if wanted != [label] and all(m in self.trend_months for m in wanted):
            self.sub_periods[label].append(wanted)

    def _breakdown(self, s: int, t: int, table: Table, dim: str) -> bool:
        for r, row in enumerate(table.rows):
            base = Key("audits", self.period).with_(**{dim: str(row.get(dim))})

            def cell(key: str, r: int = r) -> Cell:
                return (s, t, r, key)

            self._audit_row(cell, row, base)
        return True

    def _t_by_team(self, s: int, t: int, table: Table) -> bool:
        return self._breakdown(s, t, table, "team")

    def _t_by_category(self, s: int, t: int, table: Table) -> bool:
        return self._breakdown(s, t, table, "category")

    def _t_moderation(self, s: int, t: int, table: Table) -> bool:
        if len(table.rows) != 1:
            return False
        row, p = table.rows[0], self.period
        graded = Key("graded_inadequate", p)
        moderated, in_time = Key("moderated", p), Key("moderated_in_time", p)
        regraded = Key("moderation_outcome", p, (("outcome", "regraded"),))
        self.count((s, t, 0, "inadequate"), row, graded)
        self.count((s, t, 0, "moderated"), row, moderated)
        self.count((s, t, 0, "moderated_in_time"), row, in_time)
        self.rate((s, t, 0, "in_time_pct"), row, in_time, moderated)
        self.count((s, t, 0, "recorded_after_due"), row, Key("recorded_after_due", p))
        self.count((s, t, 0, "agreed"), row, Key("moderation_outcome", p, (("outcome", "agreed"),)))
        self.count((s, t, 0, "regraded"), row, regraded)
        # Only Inadequate audits are moderated, and a regrade takes one out of Inadequate.
        final = Key("audits", p).with_(grade=Grade.INADEQUATE.slug)
        self.explicit.append({final: 1, graded: -1, regraded: 1})
        return True

    def _t_reaudits(self, s: int, t: int, table: Table) -> bool:
        if len(table.rows) != 1:
            return False
        row, p = table.rows[0], self.period
        for key in ("due", "done", "improved", "cancelled"):
            self.count((s, t, 0, key), row, Key(f"reaudits_{key}", p))
        self.rate(
            (s, t, 0, "improved_pct"), row, Key("reaudits_improved", p), Key("reaudits_done", p)
        )
        return True

    def _t_themes(self, s: int, t: int, table: Table) -> bool:
        for r, row in enumerate(table.rows):
            self.count(
                (s, t, r, "audits"),
                row,
                Key("audit_theme", self.period, (("theme", str(row.get("theme"))),)),
            )
        return True

    def _t_family_feedback(self, s: int, t: int, table: Table) -> bool:
        if len(table.rows) != 1:
            return False
        row, p = table.rows[0], self.period
        audits, views = Key("audits", p), Key("views_gathered", p)
        self.count((s, t, 0, "audits"), row, audits)
        self.count((s, t, 0, "views_gathered"), row, views)
        self.rate((s, t, 0, "pct"), row, views, audits)
        return True

    _t_family_views = _t_family_feedback

    def _t_balance(self, s: int, t: int, table: Table) -> bool:
        base = Key("audits", self.period)
        keys = {
            "good or better": base.with_(band=GOOD_OR_BETTER),
            "requires improvement": base.with_(grade=Grade.REQUIRES_IMPROVEMENT.slug),
            "inadequate": base.with_(grade=Grade.INADEQUATE.slug),
        }
        for r, row in enumerate(table.rows):
            key = keys.get(str(row.get("band", "")).lower())
            if key is None:
                return False
            self.count((s, t, r, "audits"), row, key)
        return True

    def _t_sampling(self, s: int, t: int, table: Table) -> bool:
        picks = []
        for r, row in enumerate(table.rows):
            month = str(row.get("month"))
            self.count((s, t, r, "drawn"), row, Key("sample_picks", month))
            self.count((s, t, r, "eligible"), row, Key("sample_eligible", month))
            picks.append(Key("sample_picks", month))
        if self.report.team is None and picks and self.period not in {k.period for k in picks}:
            self.explicit.append({Key("sampled", self.period): 1, **dict.fromkeys(picks, -1)})
        return True

    def _complaint_period(self, label: str) -> str:
        return self.period if label.strip().lower() in TOTAL_WORDS else label

    def _t_complaints(self, s: int, t: int, table: Table) -> bool:
        labels = []
        for r, row in enumerate(table.rows):
            p = self._complaint_period(str(row.get("period")))
            labels.append(p)
            answered, in_time = Key("answered", p), Key("answered_in_time", p)
            for column in table.columns:
                if column.kind != "count":
                    continue
                measure = column.key
                if measure in STOCKS:
                    self.count((s, t, r, measure), row, Key(measure, self._end_of(p)))
                else:
                    self.count((s, t, r, measure), row, Key(measure, p))
            self.rate((s, t, r, "in_time_pct"), row, in_time, answered)
            for column in table.columns:
                if column.kind == "number":
                    self.links.derived[(s, t, r, column.key)] = Derived(
                        (answered,), n=answered, min_n=MEDIAN_MIN
                    )
        parts = [label for label in labels if label != self.period]
        if parts and self.period in labels:
            self.sub_periods[self.period].append(parts)
        return True

    def _end_of(self, label: str) -> str:
        if label in self.period_ends:
            return self.period_ends[label]
        from qaudit.domain.periods import parse_period

        try:
            end: date = parse_period(label, self.report.generated_on).end
        except ValueError:  # a label that is no period (a clipped range's, say): its own moment
            return f"end of {label}"
        self.period_ends[label] = end.isoformat()
        return end.isoformat()

    def _t_complaints_in_time(self, s: int, t: int, table: Table) -> bool:
        for r, row in enumerate(table.rows):
            p = self._complaint_period(str(row.get("period")))
            self.rate((s, t, r, "in_time_pct"), row, Key("answered_in_time", p), Key("answered", p))
        return True

    def _received_by(self, s: int, t: int, table: Table, label: str, dim: str) -> bool:
        for r, row in enumerate(table.rows):
            value = str(row.get(label))
            self.count((s, t, r, "received"), row, Key("received", self.period, ((dim, value),)))
        return True

    def _t_complaint_stages(self, s: int, t: int, table: Table) -> bool:
        return self._received_by(s, t, table, "stage", "stage")

    def _t_complaint_themes(self, s: int, t: int, table: Table) -> bool:
        return self._received_by(s, t, table, "theme", "complaint_theme")

    def _t_complaint_teams(self, s: int, t: int, table: Table) -> bool:
        return self._received_by(s, t, table, "team", "complaint_team")

    def _t_bright_spots(self, s: int, t: int, table: Table) -> bool:
        for r, row in enumerate(table.rows):
            dims = (("age_band", str(row.get("age_band"))), ("survey", str(row.get("survey"))))
            responses = Key("survey_responses", self.period, dims)
            invited = Key("survey_invited", self.period, dims)
            self.count((s, t, r, "responses"), row, responses)
            self.count((s, t, r, "invited"), row, invited)
            self.rate((s, t, r, "response_rate_pct"), row, responses, invited)
            self.count((s, t, r, "flagged"), row, Key("survey_flagged", self.period, dims))
            reviewed = Key("survey_reviewed_in_time", self.period, dims)
            self.rate((s, t, r, "reviewed_in_time_pct"), row, reviewed, responses)
            if "below_floor" in row:
                # "yes" says the rate is under the floor: it rests on both counts.
                self.links.labels[(s, t, r, "below_floor")] = (responses, invited)
        return True

    def _t_advocacy(self, s: int, t: int, table: Table) -> bool:
        if len(table.rows) != 1:
            return False
        row, p = table.rows[0], self.period
        keys = {k: Key(f"advocacy_{k}", p) for k in ("conferences", "told", "requests", "met")}
        for name, key in keys.items():
            self.count((s, t, 0, name), row, key)
        not_told = Key("advocacy_not_told", p)
        self.count((s, t, 0, "not_told"), row, not_told)
        self.rate((s, t, 0, "told_pct"), row, keys["told"], keys["conferences"])
        self.rate((s, t, 0, "uptake_pct"), row, Key("advocacy_requests_when_told", p), keys["told"])
        self.rate((s, t, 0, "met_pct"), row, keys["met"], keys["requests"])
        self.explicit.append({keys["conferences"]: 1, keys["told"]: -1, not_told: -1})
        return True

    def _t_change(self, s: int, t: int, table: Table) -> bool:
        """Change against the previous period: each headline rate's four counts are the same
        figures as elsewhere in the report (or in the previous period); the difference, its
        interval and the verdict rest on all four."""
        from qaudit.domain import headlines
        from qaudit.domain.periods import parse_period, previous

        try:
            before = previous(parse_period(self.period, self.report.generated_on))
        except ValueError:  # a period label not read back: no previous period known
            before = None
        then = before.label if before is not None else f"before {self.period}"
        if before is not None:
            self.previous = (before.label, before.start, before.end)
        measures = {
            headlines.GOOD_OR_BETTER: (
                Key("audits", "").with_(band=GOOD_OR_BETTER),
                Key("audits", ""),
            ),
            headlines.COMPLETED: (Key("completed", ""), Key("sampled", "")),
            headlines.MODERATED_IN_TIME: (Key("moderated_in_time", ""), Key("moderated", "")),
            headlines.VIEWS_GATHERED: (Key("views_gathered", ""), Key("audits", "")),
            headlines.ANSWERED_IN_TIME: (Key("answered_in_time", ""), Key("answered", "")),
            headlines.TOLD: (Key("advocacy_told", ""), Key("advocacy_conferences", "")),
        }
        for r, row in enumerate(table.rows):
            found = measures.get(str(row.get("measure")))
            if found is None:
                return False
            part, whole = (k.at(self.period) for k in found)
            before_part, before_whole = (k.at(then) for k in found)
            self.count((s, t, r, "part"), row, part)
            self.count((s, t, r, "whole"), row, whole)
            self.count((s, t, r, "previous_part"), row, before_part)
            self.count((s, t, r, "previous_whole"), row, before_whole)
            self.rate((s, t, r, "pct"), row, part, whole)
            self.rate((s, t, r, "previous_pct"), row, before_part, before_whole)
            keys = (part, whole, before_part, before_whole)
            for column in table.columns:
                if column.kind == "number":
                    self.links.derived[(s, t, r, column.key)] = Derived(keys)
                elif column.kind == "label" and column.key != "measure":
                    self.links.labels[(s, t, r, column.key)] = keys
        return True

    # -- framework answers, the balance built from them, actions (services/report_findings) ----

    def _service_only(self, s: int, t: int, table: Table) -> bool:
        """The findings by question, their shares and the lists drawn from them: a published
        report leaves them out (Table.public), so they link to nothing."""
        return not table.public

    _t_findings = _service_only
    _t_findings_shares = _service_only
    _t_strongest = _service_only
    _t_weakest = _service_only

    def _section_key(self, row: Mapping[str, Any]) -> Key:
        section = str(row.get("section"))
        dims: Dims = () if section == ALL_SECTIONS else (("section", section),)
        return Key("answers", self.period, dims)

    def _questions_in(self, section: str) -> int:
        """How many questions the findings by question list under ``section`` (all of them
        for all sections)."""
        for table in (t for sec in self.report.sections for t in sec.tables):
            if table.name == "findings":
                rows = table.rows
                return sum(1 for r in rows if section in (ALL_SECTIONS, r.get("section")))
        return 0

    def _t_findings_sections(self, s: int, t: int, table: Table) -> bool:
        audits = Key("audits", self.period)
        for r, row in enumerate(table.rows):
            base = self._section_key(row)
            self.count((s, t, r, "answers"), row, base)
            for grade in Grade:
                key = base.with_(grade=grade.slug)
                self.count((s, t, r, grade.slug.replace("-", "_")), row, key)
            # An audit answers each question once at most, so a section's answers are at most
            # its questions times the audits: when every audit answered every one of them at a
            # grade, that bound is an equation a reader can use.
            questions = self._questions_in(str(row.get("section")))
            values = self.links.values
            if base in values and audits in values and values[base] == questions * values[audits]:
                self.explicit.append({base: 1, audits: -questions})
        return True

    def _t_findings_section_shares(self, s: int, t: int, table: Table) -> bool:
        for r, row in enumerate(table.rows):
            base = self._section_key(row)
            for grade in Grade:
                cell = (s, t, r, f"{grade.slug.replace('-', '_')}_pct")
                self.rate(cell, row, base.with_(grade=grade.slug), base)
        return True

    def _t_themes_by_band(self, s: int, t: int, table: Table) -> bool:
        every = Key("audits", self.period)
        for r, row in enumerate(table.rows):
            base = Key("audit_theme", self.period, (("theme", str(row.get("theme"))),))
            self.count((s, t, r, "audits"), row, base)
            pairs = [
                (base, every),
                (base.with_(band=GOOD_OR_BETTER), every.with_(band=GOOD_OR_BETTER)),
            ]
            self.count((s, t, r, "good_or_better"), row, pairs[1][0])
            for grade in (Grade.REQUIRES_IMPROVEMENT, Grade.INADEQUATE):
                key = base.with_(grade=grade.slug)
                self.count((s, t, r, grade.slug.replace("-", "_")), row, key)
                pairs.append((key, every.with_(grade=grade.slug)))
            # A theme's audits in a band are at most all the audits in it: when the theme is
            # on every one of them, that bound is an equation a reader can use.
            values = self.links.values
            for part, whole in pairs:
                if part in values and whole in values and values[part] == values[whole]:
                    self.explicit.append({part: 1, whole: -1})
        return True

    def _t_actions(self, s: int, t: int, table: Table) -> bool:
        """Actions by team and in all: the actions set are those done in time, done late, open
        and overdue, and open and not yet due."""
        names = [column.key for column in table.columns if column.kind == "count"]
        if "set" not in names:
            return False
        for r, row in enumerate(table.rows):
            team = row.get("team")
            dims: Dims = () if _total_word(team) else (("team", str(team)),)
            keys = {name: Key(f"actions_{name}", self.period, dims) for name in names}
            for name, key in keys.items():
                self.count((s, t, r, name), row, key)
            self.explicit.append(
                {keys["set"]: 1, **{k: -1 for name, k in keys.items() if name != "set"}}
            )
        return True

    # -- any other table ---------------------------------------------------------------------

    def _generic(self, s: int, t: int, table: Table) -> None:
        """A table known only by its shape: each cell its own key; sums along a "Total" row or
        column; a rate in a row rests on every count of the row."""
        label_key = next((c.key for c in table.columns if c.kind == "label"), None)
        counts = [c for c in table.columns if c.kind == "count"]
        total_cols = {c.key for c in counts if _total_word(c.key) or _total_word(c.title)}
        total_rows = {
            r
            for r, row in enumerate(table.rows)
            if label_key is not None and _total_word(row.get(label_key))
        }
        summary = table.name.lower() == "summary"

        def key(r: int, column: str) -> Key:
            return Key("cell", f"{s}.{t}", (("at", f"{r}:{column}"),))

        for r, row in enumerate(table.rows):
            row_keys = []
            for column in counts:
                self.count((s, t, r, column.key), row, key(r, column.key))
                row_keys.append(key(r, column.key))
            for column in table.columns:
                # A rate in such a row may rest on any of its counts; other numbers (a mean
                # of days, say) are not taken to.
                if column.kind == "pct":
                    self.links.derived[(s, t, r, column.key)] = Derived(tuple(row_keys))
        lines: list[tuple[list[Key], list[Key]]] = []
        if total_cols:
            for r in range(len(table.rows)):
                lines.append(
                    (
                        [key(r, c.key) for c in counts if c.key not in total_cols],
                        [key(r, c.key) for c in counts if c.key in total_cols],
                    )
                )
        if total_rows:
            for c in counts:
                lines.append(
                    (
                        [key(r, c.key) for r in range(len(table.rows)) if r not in total_rows],
                        [key(r, c.key) for r in sorted(total_rows)],
                    )
                )
        for parts, totals in lines:
            present = [k for k in parts if k in self.links.values]
            for total in totals:
                if total in self.links.values:
                    self.explicit.append({total: 1, **dict.fromkeys(present, -1)})
        if summary and not lines:
            # A table of totals whose meanings are not known: any one of its counts could be
            # the sum of the others, so they are taken as one relation.
            every = [k for k in self.links.values if k.measure == "cell" and k.period == f"{s}.{t}"]
            if len(every) > 1:
                self.explicit.append({every[0]: 1, **dict.fromkeys(every[1:], -1)})

    def _unlinked(self) -> None:
        """A count that no table's reading above named (a column added to a known table, say)
        is still a count: its own key, so that a small one is hidden."""
        for s, section in enumerate(self.report.sections):
            for t, table in enumerate(section.tables):
                for column in table.columns:
                    if column.kind != "count":
                        continue
                    for r, row in enumerate(table.rows):
                        if (s, t, r, column.key) not in self.links.counts:
                            key = Key("cell", f"{s}.{t}", (("at", f"{r}:{column.key}"),))
                            self.count((s, t, r, column.key), row, key)

    # -- relations ---------------------------------------------------------------------------

    def _relations(self) -> None:
        values = self.links.values
        known = set(values)
        relations: list[dict[Key, int]] = []
        seen: set[tuple[tuple[Key, int], ...]] = set()

        def add(relation: dict[Key, int]) -> None:
            terms = {k: v for k, v in relation.items() if v}
            if len(terms) < 2:
                return
            frozen = tuple(sorted(terms.items()))
            if frozen not in seen:
                seen.add(frozen)
                relations.append(terms)

        # Sums over a complete dimension.
        groups: dict[tuple[Key, str], list[Key]] = defaultdict(list)
        for key in known:
            for dim, _ in key.dims:
                if dim in COMPLETE:
                    groups[(key.without(dim), dim)].append(key)
        for (parent, _), children in groups.items():
            if parent in known:
                add({parent: 1, **dict.fromkeys(children, -1)})

        # Grades and bands.
        for key in known:
            dims = dict(key.dims)
            if dims.get("band") != GOOD_OR_BETTER:
                continue
            base = key.without("band")
            outstanding = base.with_(grade=Grade.OUTSTANDING.slug)
            good = base.with_(grade=Grade.GOOD.slug)
            if outstanding in known and good in known:
                add({key: 1, outstanding: -1, good: -1})
            ri = base.with_(grade=Grade.REQUIRES_IMPROVEMENT.slug)
            bad = base.with_(grade=Grade.INADEQUATE.slug)
            if base in known and ri in known and bad in known:
                add({base: 1, key: -1, ri: -1, bad: -1})
        for key in known:
            if any(dim == "grade" for dim, _ in key.dims):
                base = key.without("grade")
                every = [base.with_(grade=g.slug) for g in Grade]
                if base in known and all(k in known for k in every):
                    add({base: 1, **dict.fromkeys(every, -1)})

        # A period is the sum of its parts (flows); the same end is the same stock.
        for period, partitions in self.sub_periods.items():
            for parts, key in ((p, k) for p in partitions for k in sorted(known)):
                if key.period != period or key.measure in STOCKS:
                    continue
                children = [key.at(part) for part in parts]
                if all(child in known for child in children):
                    add({key: 1, **dict.fromkeys(children, -1)})

        for relation in self.explicit:
            add(relation)
        self.links.relations = relations


def _total_word(value: object) -> bool:
    return isinstance(value, str) and value.strip().lower() in TOTAL_WORDS


def link(report: Report) -> Links:
    """Every count of ``report`` by key, its rates and derived figures, and the relations."""
    return _Builder(report).build()

"""The store as tidy tables for analysts: one table per entity, one row per record, with a
data dictionary.

``qaudit export`` writes these tables to a workbook or to CSV files, and
``qaudit.analysis.frames`` turns them into pandas DataFrames; both read them from here, so
the two never disagree on a table, a column or what it means. Nothing here imports pandas.

Values are plain Python: ``int``, ``str``, ``bool``, ``date``, ``datetime`` (UTC, without a
time zone, as a spreadsheet cell holds one) or ``None``. Staff appear by name, teams by name,
and every table about a case carries its ``case_id`` to join on.

Two rules hold in every export:

- a case that has been erased (``qaudit db erase``) keeps its figures, and nothing else: its
  free text and personal details are blank in every table, even where the store still holds
  some (a re-audit's note, which erasure does not clear);
- ``publish`` (for outside the service) leaves out every free-text column (notes, comments,
  reasons, summaries, what was resolved) and every column naming or pointing to a person
  (case refs, dates of birth, staff names, complaint refs, survey response ids), so no such
  value can be in the file at all; the tables still join on their numeric ids.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.engine import Connection

from qaudit.store.engine import Store

GRADE_LEVELS = ("outstanding", "good", "requires-improvement", "inadequate")
ANSWER_LEVELS = (*GRADE_LEVELS, "not-applicable")
AGE_BANDS = ("4-7", "8-11", "11-18", "16-25")


@dataclass(frozen=True)
class Column:
    """One column of an exported table, as the data dictionary describes it."""

    name: str
    # id, integer, text, category, date, datetime (UTC), boolean, or list (values from a
    # fixed vocabulary, joined by "; "): analysis.frames gives each kind its pandas dtype.
    kind: str
    meaning: str
    levels: tuple[str, ...] = ()  # a category's values, in order
    ordered: bool = False  # the levels run from best to worst (grades)
    free_text: bool = False  # written by a person: left out under publish
    personal: bool = False  # names or identifies a person: left out under publish
    erased: bool = False  # blank for an erased case (free text is, always)

    @property
    def private(self) -> bool:
        """Left out of a published export."""
        return self.free_text or self.personal

    @property
    def blank_when_erased(self) -> bool:
        return self.free_text or self.erased


@dataclass(frozen=True)
class TableSpec:
    name: str
    meaning: str
    columns: tuple[Column, ...]
    # The statement: one labelled column per Column, in order (``cases`` computes its last
    # column, ``erased``; ``answers`` selects each audit's answers, one row a question).
    query: Callable[[], Select[Any]]


@dataclass
class Table:
    """A table as exported: the columns kept and the rows, in the store's order."""

    spec: TableSpec
    columns: tuple[Column, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.spec.name


@dataclass
class Export:
    tables: list[Table]
    dictionary: list[tuple[str, str, str, str, str]]
    published: bool
    log_head: str | None

    DICTIONARY_COLUMNS = ("table", "column", "type", "values", "meaning")


def _models() -> Any:
    from qaudit.store import models

    return models


def _t(model: Any) -> Any:
    return model.__table__


def _case_ids() -> Column:
    return Column("case_id", "id", "The case (cases.case_id).")


def _staff_name(alias: str, meaning: str, *, erased: bool = False) -> Column:
    return Column(alias, "text", meaning, personal=True, erased=erased)


def _grade(name: str, meaning: str) -> Column:
    return Column(name, "category", meaning, levels=GRADE_LEVELS, ordered=True)


def _cases() -> Select[Any]:
    m = _models()
    cases, teams, staff = _t(m.Case), _t(m.Team), _t(m.Staff)
    return (
        select(
            cases.c.id.label("case_id"),
            cases.c.case_ref,
            cases.c.category,
            teams.c.name.label("team"),
            staff.c.name.label("worker"),
            cases.c.open_date,
            cases.c.close_date,
            cases.c.date_of_birth,
        )
        .select_from(cases)
        .outerjoin(teams, teams.c.id == cases.c.team_id)
        .outerjoin(staff, staff.c.id == cases.c.worker_id)
        .order_by(cases.c.id)
    )


def _audits() -> Select[Any]:
    m = _models()
    audits, staff = _t(m.Audit), _t(m.Staff)
    return (
        select(
            audits.c.id.label("audit_id"),
            audits.c.case_id,
            staff.c.name.label("auditor"),
            audits.c.audit_date,
            audits.c.grade,
            audits.c.kind,
            audits.c.themes,
            audits.c.views_gathered,
            audits.c.strengths,
            audits.c.development,
            audits.c.family_feedback,
            audits.c.recorded_at,
        )
        .select_from(audits)
        .outerjoin(staff, staff.c.id == audits.c.auditor_id)
        .order_by(audits.c.id)
    )


def _answers() -> Select[Any]:
    audits = _t(_models().Audit)
    return (
        select(audits.c.id.label("audit_id"), audits.c.case_id, audits.c.answers)
        .where(audits.c.answers.is_not(None))
        .order_by(audits.c.id)
    )


def _moderations() -> Select[Any]:
    m = _models()
    mods, audits, staff = _t(m.Moderation), _t(m.Audit), _t(m.Staff)
    owner, moderator = staff.alias("owner"), staff.alias("moderator")
    return (
        select(
            mods.c.id.label("moderation_id"),
            mods.c.audit_id,
            audits.c.case_id,
            owner.c.name.label("owner"),
            mods.c.due,
            moderator.c.name.label("moderator"),
            mods.c.outcome,
            mods.c.regrade,
            mods.c.outcome_on,
            mods.c.conversation_date,
            mods.c.completed_on,
            mods.c.notes,
        )
        .select_from(mods)
        .join(audits, audits.c.id == mods.c.audit_id)
        .outerjoin(owner, owner.c.id == mods.c.owner_id)
        .outerjoin(moderator, moderator.c.id == mods.c.moderator_id)
        .order_by(mods.c.id)
    )


def _reaudits() -> Select[Any]:
    m = _models()
    re, staff = _t(m.Reaudit), _t(m.Staff)
    return (
        select(
            re.c.id.label("reaudit_id"),
            re.c.case_id,
            re.c.audit_id,
            staff.c.name.label("auditor"),
            re.c.due,
            re.c.status,
            re.c.done_audit_id,
            re.c.note,
        )
        .select_from(re)
        .outerjoin(staff, staff.c.id == re.c.auditor_id)
        .order_by(re.c.id)
    )


def _complaints() -> Select[Any]:
    c = _t(_models().Complaint)
    return select(
        c.c.id.label("complaint_id"),
        c.c.ref,
        c.c.case_id,
        c.c.procedure,
        c.c.relationship,
        c.c.themes,
        c.c.received,
        c.c.stage,
        c.c.outcome,
        c.c.closed_on,
        c.c.logged_at,
        c.c.logged_by,
        c.c.summary,
    ).order_by(c.c.id)


def _complaint_stages() -> Select[Any]:
    m = _models()
    st, c, staff = _t(m.ComplaintStage), _t(m.Complaint), _t(m.Staff)
    return (
        select(
            st.c.id.label("stage_id"),
            st.c.complaint_id,
            c.c.case_id,
            st.c.stage,
            st.c.received,
            st.c.due,
            st.c.extension_days,
            st.c.responded_on,
            st.c.letter_on,
            st.c.escalated_on,
            staff.c.name.label("escalated_to"),
            st.c.late_reason,
        )
        .select_from(st)
        .join(c, c.c.id == st.c.complaint_id)
        .outerjoin(staff, staff.c.id == st.c.escalated_to_id)
        .order_by(st.c.id)
    )


def _survey_responses() -> Select[Any]:
    s = _t(_models().SurveyResponse)
    return select(
        s.c.id.label("survey_response_id"),
        s.c.response_id,
        s.c.survey,
        s.c.age_band,
        s.c.received_at,
        s.c.concern,
        s.c.reviewed_at,
        s.c.reviewed_by,
        s.c.imported_at,
        s.c.comment,
        s.c.action,
    ).order_by(s.c.id)


def _survey_cohorts() -> Select[Any]:
    s = _t(_models().SurveyCohort)
    return select(
        s.c.id.label("cohort_id"),
        s.c.survey,
        s.c.age_band,
        s.c.period,
        s.c.start,
        s.c.end,
        s.c.invited,
    ).order_by(s.c.id)


def _advocacy() -> Select[Any]:
    a = _t(_models().Advocacy)
    return select(
        a.c.id.label("conference_id"),
        a.c.case_id,
        a.c.conference_date,
        a.c.offered,
        a.c.requested,
        a.c.provided_on,
        a.c.recorded_by,
        a.c.recorded_at,
    ).order_by(a.c.id)


def _scrutiny_sessions() -> Select[Any]:
    s = _t(_models().ScrutinySession)
    return select(s.c.id.label("session_id"), s.c.held_on, s.c.committee, s.c.recorded_at).order_by(
        s.c.id
    )


def _scrutiny_resolutions() -> Select[Any]:
    r = _t(_models().ScrutinyResolution)
    return select(
        r.c.id.label("resolution_id"),
        r.c.session_id,
        r.c.status,
        r.c.updated_on,
        r.c.text,
        r.c.note,
    ).order_by(r.c.id)


_SURVEYS = ("your-life-your-care", "your-life-beyond-care")
_RECORDED = "When it was recorded (UTC)."

TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        "cases",
        "One row per case in the case list, open or closed.",
        (
            Column("case_id", "id", "The case's number in this store (other tables join on it)."),
            Column("case_ref", "text", "The case's reference in the case system.", personal=True),
            Column(
                "category", "category", "CLA, CP, CIN or CL.", levels=("CLA", "CP", "CIN", "CL")
            ),
            Column("team", "text", "The team that holds the case."),
            _staff_name("worker", "The allocated social worker.", erased=True),
            Column("open_date", "date", "When the case opened."),
            Column("close_date", "date", "When the case closed (blank: open)."),
            Column(
                "date_of_birth", "date", "The child's date of birth.", personal=True, erased=True
            ),
            Column(
                "erased",
                "boolean",
                "Whether the case's personal details have been erased (qaudit db erase).",
            ),
        ),
        _cases,
    ),
    TableSpec(
        "audits",
        "One row per graded case audit: from a monthly sample, a re-audit or ad hoc.",
        (
            Column("audit_id", "id", "The audit."),
            _case_ids(),
            _staff_name("auditor", "Who audited the case."),
            Column("audit_date", "date", "When the case was audited."),
            _grade("grade", "The grade given, Outstanding (best) to Inadequate."),
            Column(
                "kind",
                "category",
                "sample, reaudit or adhoc.",
                levels=("sample", "reaudit", "adhoc"),
            ),
            Column("themes", "list", "The practice themes the audit found."),
            Column("views_gathered", "boolean", "Whether the child's and family's views were."),
            Column("strengths", "text", "What is working well.", free_text=True),
            Column("development", "text", "Areas for development.", free_text=True),
            Column("family_feedback", "text", "What the family said.", free_text=True),
            Column("recorded_at", "datetime", _RECORDED),
        ),
        _audits,
    ),
    TableSpec(
        "answers",
        "One row per framework question answered in an audit (none for an erased case).",
        (
            Column("audit_id", "id", "The audit (audits.audit_id)."),
            _case_ids(),
            Column("question", "text", "The framework question's id."),
            Column(
                "answer",
                "category",
                "The question's grade, or not-applicable.",
                levels=ANSWER_LEVELS,
                ordered=True,
            ),
        ),
        _answers,
    ),
    TableSpec(
        "moderations",
        "One row per moderation of an Inadequate audit by the head of service.",
        (
            Column("moderation_id", "id", "The moderation."),
            Column("audit_id", "id", "The audit moderated (audits.audit_id)."),
            _case_ids(),
            _staff_name("owner", "The head of service it is due from."),
            Column("due", "date", "When it is due."),
            _staff_name("moderator", "Who moderated."),
            Column(
                "outcome",
                "category",
                "agreed or regraded (blank: not yet).",
                levels=("agreed", "regraded"),
            ),
            _grade("regrade", "The grade it was moderated to, when regraded."),
            Column("outcome_on", "date", "When the outcome was recorded."),
            Column("conversation_date", "date", "When the reflective conversation took place."),
            Column("completed_on", "date", "When both were done (blank: not complete)."),
            Column("notes", "text", "The moderator's notes.", free_text=True),
        ),
        _moderations,
    ),
    TableSpec(
        "reaudits",
        "One row per re-audit an Inadequate audit called for.",
        (
            Column("reaudit_id", "id", "The re-audit."),
            _case_ids(),
            Column("audit_id", "id", "The Inadequate audit that called for it."),
            _staff_name("auditor", "Who is to re-audit."),
            Column("due", "date", "When it is due."),
            Column(
                "status",
                "category",
                "pending, done or cancelled.",
                levels=("pending", "done", "cancelled"),
            ),
            Column("done_audit_id", "id", "The audit that did it (audits.audit_id)."),
            Column("note", "text", "Why it was cancelled, or other notes.", free_text=True),
        ),
        _reaudits,
    ),
    TableSpec(
        "complaints",
        "One row per complaint; its stages are in complaint_stages.",
        (
            Column("complaint_id", "id", "The complaint."),
            Column(
                "ref",
                "text",
                "The complaint's reference, e.g. C-2026-0042 (the complainant's letters quote it).",
                personal=True,
            ),
            Column("case_id", "id", "The case it is about (blank: none recorded)."),
            Column(
                "procedure",
                "category",
                "statutory or corporate.",
                levels=("statutory", "corporate"),
            ),
            Column(
                "relationship",
                "category",
                "Who complained: parent, child, carer or other.",
                levels=("parent", "child", "carer", "other"),
            ),
            Column("themes", "list", "What the complaint is about."),
            Column("received", "date", "When it was received."),
            Column("stage", "integer", "Its current stage, 1 to 3."),
            Column(
                "outcome",
                "category",
                "upheld, partly-upheld, not-upheld or withdrawn (blank: open).",
                levels=("upheld", "partly-upheld", "not-upheld", "withdrawn"),
            ),
            Column("closed_on", "date", "When it was closed."),
            Column("logged_at", "datetime", "When it was logged (UTC)."),
            _staff_name("logged_by", "The complaints officer who logged it."),
            Column("summary", "text", "What the complaint says.", free_text=True),
        ),
        _complaints,
    ),
    TableSpec(
        "complaint_stages",
        "One row per stage of a complaint, with its deadline.",
        (
            Column("stage_id", "id", "The stage."),
            Column("complaint_id", "id", "The complaint (complaints.complaint_id)."),
            Column("case_id", "id", "The case the complaint is about (blank: none)."),
            Column("stage", "integer", "1, 2 or 3."),
            Column("received", "date", "When the stage began."),
            Column("due", "date", "When the response is due, extensions included."),
            Column("extension_days", "integer", "Working days the deadline was extended by."),
            Column("responded_on", "date", "When it was responded to."),
            Column("letter_on", "date", "When the response letter was sent."),
            Column("escalated_on", "date", "When it was escalated as overdue."),
            _staff_name("escalated_to", "Who it was escalated to."),
            Column("late_reason", "text", "Why it was late.", free_text=True),
        ),
        _complaint_stages,
    ),
    TableSpec(
        "survey_responses",
        "One row per anonymous Bright Spots survey response (no child is identified).",
        (
            Column("survey_response_id", "id", "The response's number in this store."),
            Column(
                "response_id", "text", "The survey provider's id for the response.", personal=True
            ),
            Column("survey", "category", "Which survey.", levels=_SURVEYS),
            Column("age_band", "category", "The respondent's age band.", levels=AGE_BANDS),
            Column("received_at", "datetime", "When it was received (UTC)."),
            Column("concern", "boolean", "Whether it was flagged as a concern."),
            Column("reviewed_at", "datetime", "When it was reviewed (UTC)."),
            _staff_name("reviewed_by", "Who reviewed it."),
            Column("imported_at", "datetime", "When it was imported (UTC)."),
            Column("comment", "text", "The child's own words.", free_text=True),
            Column("action", "text", "What was done about it.", free_text=True),
        ),
        _survey_responses,
    ),
    TableSpec(
        "survey_cohorts",
        "How many children were invited to a survey, by age band and period.",
        (
            Column("cohort_id", "id", "The cohort."),
            Column("survey", "category", "Which survey.", levels=_SURVEYS),
            Column("age_band", "category", "The age band.", levels=AGE_BANDS),
            Column("period", "text", "The period's label, e.g. 2026/27-Q3."),
            Column("start", "date", "The period's first day."),
            Column("end", "date", "The period's last day."),
            Column("invited", "integer", "How many children were invited."),
        ),
        _survey_cohorts,
    ),
    TableSpec(
        "advocacy",
        "One row per child protection conference: advocacy offered, asked for, provided.",
        (
            Column("conference_id", "id", "The conference record."),
            _case_ids(),
            Column("conference_date", "date", "When the conference was held."),
            Column("offered", "boolean", "Whether the child was told of advocacy."),
            Column("requested", "boolean", "Whether the child asked for an advocate."),
            Column("provided_on", "date", "When an advocate was provided (blank: not)."),
            _staff_name("recorded_by", "Who recorded it."),
            Column("recorded_at", "datetime", _RECORDED),
        ),
        _advocacy,
    ),
    TableSpec(
        "scrutiny_sessions",
        "One row per session of the elected members' scrutiny committee.",
        (
            Column("session_id", "id", "The session."),
            Column("held_on", "date", "When it was held."),
            Column("committee", "text", "The committee."),
            Column("recorded_at", "datetime", _RECORDED),
        ),
        _scrutiny_sessions,
    ),
    TableSpec(
        "scrutiny_resolutions",
        "One row per resolution of a scrutiny session, and what the service did about it.",
        (
            Column("resolution_id", "id", "The resolution."),
            Column("session_id", "id", "The session (scrutiny_sessions.session_id)."),
            Column("status", "category", "open or done.", levels=("open", "done")),
            Column("updated_on", "date", "When its status last changed."),
            Column("text", "text", "What members resolved.", free_text=True),
            Column("note", "text", "What the service did.", free_text=True),
        ),
        _scrutiny_resolutions,
    ),
)
TABLE_NAMES = tuple(spec.name for spec in TABLES)
# The store has no table of actions: what the service did is in reaudits, moderations and
# scrutiny_resolutions (status and note), and in the change log, which is not exported.


def _utc(value: datetime) -> datetime:
    """A datetime as a spreadsheet holds one: UTC, without a time zone."""
    if value.tzinfo is None:
        return value  # SQLite gives back what was written: UTC
    return value.astimezone(UTC).replace(tzinfo=None)


def _value(column: Column, value: Any) -> Any:
    if value is None:
        return None
    if column.kind == "list":
        return "; ".join(str(item) for item in value) if value else None
    if column.kind == "datetime":
        assert isinstance(value, datetime)
        return _utc(value)
    if column.kind == "date" and isinstance(value, datetime):
        return value.date()
    if column.kind == "boolean":
        return bool(value)
    return value


def _erased_case_ids(conn: Connection) -> frozenset[int]:
    from qaudit.store.case_bulk import erased_case_refs

    cases = _t(_models().Case)
    refs = erased_case_refs()
    found = conn.execute(select(cases.c.id).where(cases.c.case_ref.in_(refs.scalar_subquery())))
    return frozenset(int(row[0]) for row in found)


def _read(conn: Connection, spec: TableSpec, erased: frozenset[int], publish: bool) -> Table:
    kept = tuple(c for c in spec.columns if not (publish and c.private))
    table = Table(spec=spec, columns=kept)
    names = [c.name for c in spec.columns]
    case_at = names.index("case_id") if "case_id" in names else None
    result = conn.execute(spec.query())
    for raw in result:
        values = list(raw)
        if spec.name == "answers":
            audit_id, case_id, answers = values
            # An erased case's answers are gone from the store; any recorded since are left out.
            if case_id in erased or not isinstance(answers, dict):
                continue
            for question, answer in answers.items():
                table.rows.append(
                    (audit_id, case_id, str(question), None if answer is None else str(answer))
                )
            continue
        if spec.name == "cases":
            values.append(values[0] in erased)
        is_erased = case_at is not None and values[case_at] in erased
        row = []
        for column, value in zip(spec.columns, values, strict=True):
            if publish and column.private:
                continue
            if is_erased and column.blank_when_erased:
                value = None
            row.append(_value(column, value))
        table.rows.append(tuple(row))
    return table


def dictionary_rows(tables: Sequence[Table]) -> list[tuple[str, str, str, str, str]]:
    """The data dictionary: one row per column of every table exported."""
    rows: list[tuple[str, str, str, str, str]] = []
    for table in tables:
        for column in table.columns:
            values = (" < " if column.ordered else ", ").join(column.levels)
            meaning = column.meaning
            if column.kind == "list":
                meaning += " Several are separated by '; '."
            if column.blank_when_erased:
                meaning += " Blank for an erased case."
            rows.append((table.name, column.name, column.kind, values, meaning))
    return rows


def read_export(store: Store, *, publish: bool = False) -> Export:
    """Every table, read in one transaction (a consistent snapshot of the store)."""
    from qaudit.store.changelog import head_hash

    with store.reading() as session:
        conn = session.connection()
        erased = _erased_case_ids(conn)
        tables = [_read(conn, spec, erased, publish) for spec in TABLES]
        head = head_hash(conn)
    return Export(
        tables=tables, dictionary=dictionary_rows(tables), published=publish, log_head=head
    )


# Writing the export: a workbook, or one CSV file a table. Both give every table its header row
# even when it has no rows, and text a spreadsheet would run as a formula a leading quote.

DICTIONARY = "dictionary"
_DATE_FORMAT = "yyyy-mm-dd"
_DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
_WIDTH_MAX = 60


def _seconds(value: datetime) -> datetime:
    return value.replace(microsecond=0)


def _sheets(
    export: Export,
) -> list[tuple[str, Sequence[str], Sequence[str], list[tuple[Any, ...]]]]:
    """(name, column names, kinds, rows) for the dictionary, then every table."""
    sheets: list[tuple[str, Sequence[str], Sequence[str], list[tuple[Any, ...]]]] = [
        (
            DICTIONARY,
            Export.DICTIONARY_COLUMNS,
            ("text",) * len(Export.DICTIONARY_COLUMNS),
            list(export.dictionary),
        )
    ]
    for table in export.tables:
        sheets.append(
            (
                table.name,
                [c.name for c in table.columns],
                [c.kind for c in table.columns],
                table.rows,
            )
        )
    return sheets


def to_xlsx(export: Export) -> bytes:
    """The export as a workbook: the dictionary sheet, then a sheet a table; typed cells
    (dates as dates, numbers as numbers, yes/no as booleans), the header row frozen."""
    import io

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    from qaudit.display import neutralise

    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    for name, names, kinds, rows in _sheets(export):
        sheet = wb.create_sheet(name)
        sheet.freeze_panes = "A2"
        widths = [len(n) for n in names]
        for col, kind in enumerate(kinds):
            shown = {"date": 10, "datetime": 19}.get(kind)
            if shown is None:
                shown = max((len(str(row[col])) for row in rows if row[col] is not None), default=0)
            widths[col] = max(widths[col], shown)
        for col, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(col)].width = min(width + 2, _WIDTH_MAX)
        header = []
        for title in names:
            cell = WriteOnlyCell(sheet, value=title)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in rows:
            cells: list[Any] = []
            for kind, value in zip(kinds, row, strict=True):
                if value is None:
                    cells.append(None)
                    continue
                cell = WriteOnlyCell(sheet)
                if kind == "datetime":
                    cell.value = _seconds(value)
                    cell.number_format = _DATETIME_FORMAT
                elif kind == "date":
                    cell.value = value
                    cell.number_format = _DATE_FORMAT
                elif isinstance(value, bool | int | float):
                    cell.value = value
                else:
                    cell.value = neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(value)))
                    cell.data_type = "s"  # never a formula, whatever the text
                cells.append(cell)
            sheet.append(cells)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _csv_cell(value: Any) -> str:
    from qaudit.display import neutralise

    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return _seconds(value).isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return neutralise(value)
    return str(value)


def to_csv_files(export: Export) -> dict[str, str]:
    """The export as CSV files, by file name: ``dictionary.csv`` and ``TABLE.csv``; UTF-8,
    dates ISO 8601, times UTC, yes/no as true/false."""
    import csv
    import io

    files: dict[str, str] = {}
    for name, names, _kinds, rows in _sheets(export):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        # With "\n" line ends the csv module leaves a lone carriage return unquoted, and a
        # spreadsheet would split the row there: such rows are quoted whole.
        quoted = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
        writer.writerow(names)
        for row in rows:
            cells = [_csv_cell(value) for value in row]
            (quoted if any("\r" in cell for cell in cells) else writer).writerow(cells)
        files[f"{name}.csv"] = buffer.getvalue()
    return files

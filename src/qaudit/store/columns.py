"""Each table's key and columns, in the order of the table models, without importing them.

What ``store.lite`` needs to write as ``store.changelog`` does: the tables an event counts
(``row_counts``: in this order, which is the models' dependency order) and the columns a row's
digest covers (in this order). tests/store/test_columns.py checks it against the models.
"""

from __future__ import annotations

# table: (its key column, every column in order). The change log and the digests' own tables
# are neither counted nor digested.
TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "samples": ("id", ("id", "month", "seed", "size", "stratify", "drawn_at", "drawn_by")),
    "scrutiny_sessions": ("id", ("id", "held_on", "committee", "recorded_at")),
    "survey_cohorts": (
        "id",
        ("id", "survey", "age_band", "period", "start", "end", "invited"),
    ),
    "survey_responses": (
        "id",
        (
            "id",
            "response_id",
            "survey",
            "age_band",
            "received_at",
            "concern",
            "comment",
            "reviewed_at",
            "reviewed_by",
            "action",
            "imported_at",
        ),
    ),
    "teams": ("id", ("id", "name")),
    "scrutiny_resolutions": (
        "id",
        ("id", "session_id", "text", "status", "note", "updated_on"),
    ),
    "staff": ("id", ("id", "name", "role", "team_id", "email")),
    "cases": (
        "id",
        (
            "id",
            "case_ref",
            "category",
            "team_id",
            "worker_id",
            "open_date",
            "close_date",
            "date_of_birth",
        ),
    ),
    "form_exports": (
        "id",
        ("id", "ref", "month", "auditor_id", "sheets", "exported_at", "exported_by"),
    ),
    "heads_of_service": ("team_id", ("team_id", "staff_id")),
    "notifications": (
        "id",
        (
            "id",
            "message_id",
            "staff_id",
            "address",
            "notice",
            "subject",
            "sent_at",
            "sent_on",
            "sent_by",
            "relay",
            "reply",
        ),
    ),
    "advocacy": (
        "id",
        (
            "id",
            "case_id",
            "conference_date",
            "offered",
            "requested",
            "provided_on",
            "recorded_by",
            "recorded_at",
        ),
    ),
    "audits": (
        "id",
        (
            "id",
            "case_id",
            "auditor_id",
            "audit_date",
            "grade",
            "kind",
            "answers",
            "themes",
            "strengths",
            "development",
            "views_gathered",
            "family_feedback",
            "recorded_at",
        ),
    ),
    "complaints": (
        "id",
        (
            "id",
            "ref",
            "procedure",
            "case_id",
            "relationship",
            "summary",
            "themes",
            "received",
            "stage",
            "outcome",
            "closed_on",
            "logged_at",
            "logged_by",
        ),
    ),
    "notification_items": (
        "id",
        (
            "id",
            "notification_id",
            "staff_id",
            "kind",
            "ref",
            "case_ref",
            "section",
            "stage",
            "due",
            "days_overdue",
            "sent_on",
        ),
    ),
    "sample_draws": (
        "id",
        (
            "id",
            "sample_id",
            "kind",
            "seed",
            "seed_source",
            "method",
            "method_version",
            "need",
            "stratify",
            "strata",
            "eligible_ids",
            "eligible_sha256",
            "previews",
            "replaced_case_id",
            "reason",
            "drawn_at",
            "drawn_by",
        ),
    ),
    "complaint_stages": (
        "id",
        (
            "id",
            "complaint_id",
            "stage",
            "received",
            "due",
            "extension_days",
            "responded_on",
            "letter_on",
            "escalated_on",
            "escalated_to_id",
            "late_reason",
        ),
    ),
    "moderations": (
        "id",
        (
            "id",
            "audit_id",
            "owner_id",
            "due",
            "moderator_id",
            "outcome",
            "regrade",
            "outcome_on",
            "conversation_date",
            "notes",
            "completed_on",
        ),
    ),
    "reaudits": (
        "id",
        ("id", "case_id", "audit_id", "auditor_id", "due", "status", "done_audit_id", "note"),
    ),
    "sample_items": (
        "id",
        (
            "id",
            "sample_id",
            "case_id",
            "position",
            "auditor_id",
            "due",
            "status",
            "audit_id",
            "draw_id",
        ),
    ),
    "actions": (
        "id",
        (
            "id",
            "case_id",
            "audit_id",
            "moderation_id",
            "text",
            "owner_id",
            "due",
            "status",
            "set_on",
            "set_by",
            "done_on",
            "done_by",
            "recorded_at",
        ),
    ),
    "complaint_extensions": (
        "id",
        (
            "id",
            "stage_id",
            "days",
            "agreed_on",
            "due_before",
            "late",
            "reason",
            "recorded_by",
            "recorded_at",
        ),
    ),
}


def select_rows_sql(table: str, where: str) -> str:
    """SQL for a table's rows as a digest covers them: the key, then every column in order
    (the key again among them), in key order."""
    key, columns = TABLES[table]
    listed = ", ".join(f'"{name}"' for name in columns)
    return f'SELECT "{key}", {listed} FROM "{table}" {where} ORDER BY "{key}"'


def extents_sql() -> str:
    """SQL for what each counted table holds: (name, records, newest key), in TABLES order."""
    return " UNION ALL ".join(
        f"SELECT '{name}', (SELECT count(*) FROM \"{name}\"),"
        f' (SELECT coalesce(max("{key}"), 0) FROM "{name}")'
        for name, (key, _) in TABLES.items()
    )

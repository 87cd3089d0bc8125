"""The case store: teams, staff, heads of service, cases, and the append-only change log.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_APPEND_ONLY_SQLITE = """
CREATE TRIGGER change_log_no_{verb} BEFORE {VERB} ON change_log
BEGIN SELECT RAISE(ABORT, 'the change log is append-only'); END
"""

_APPEND_ONLY_POSTGRES = [
    """
    CREATE FUNCTION change_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'the change log is append-only'; END $$
    """,
    """
    CREATE TRIGGER change_log_no_update_delete BEFORE UPDATE OR DELETE ON change_log
    FOR EACH ROW EXECUTE FUNCTION change_log_append_only()
    """,
    """
    CREATE TRIGGER change_log_no_truncate BEFORE TRUNCATE ON change_log
    FOR EACH STATEMENT EXECUTE FUNCTION change_log_append_only()
    """,
]


def upgrade() -> None:
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("name", name=op.f("uq_teams_name")),
    )
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "role IN ('auditor', 'team_manager', 'head_of_service', 'qa_lead', 'social_worker')",
            name=op.f("ck_staff_role"),
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_staff_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff")),
        sa.UniqueConstraint("name", name=op.f("uq_staff_name")),
    )
    op.create_table(
        "heads_of_service",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_heads_of_service_staff_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_heads_of_service_team_id_teams")
        ),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_heads_of_service")),
    )
    op.create_index(
        op.f("ix_heads_of_service_staff_id"), "heads_of_service", ["staff_id"], unique=False
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_ref", sa.String(), nullable=False),
        sa.Column("category", sa.String(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("worker_id", sa.Integer(), nullable=True),
        sa.Column("open_date", sa.Date(), nullable=True),
        sa.Column("close_date", sa.Date(), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "category IN ('CLA', 'CP', 'CIN', 'CL')", name=op.f("ck_cases_category")
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_cases_team_id_teams")),
        sa.ForeignKeyConstraint(["worker_id"], ["staff.id"], name=op.f("fk_cases_worker_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
    )
    op.create_index(op.f("ix_cases_case_ref"), "cases", ["case_ref"], unique=True)
    op.create_index(op.f("ix_cases_close_date"), "cases", ["close_date"], unique=False)
    op.create_table(
        "change_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("entity", sa.String(), nullable=False),
        sa.Column("entity_ref", sa.String(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_log")),
    )
    op.create_index(op.f("ix_change_log_action"), "change_log", ["action"], unique=False)
    op.create_index(op.f("ix_change_log_entity_ref"), "change_log", ["entity_ref"], unique=False)

    if op.get_bind().dialect.name == "sqlite":
        for verb in ("update", "delete"):
            op.execute(_APPEND_ONLY_SQLITE.format(verb=verb, VERB=verb.upper()))
    else:
        for statement in _APPEND_ONLY_POSTGRES:
            op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("qaudit does not downgrade the first schema; restore a backup")

"""The tables of the case store (SQLModel). Migrations in ``store/migrations`` create them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, MetaData
from sqlmodel import Field, SQLModel

# Named constraints let Alembic's batch mode alter SQLite tables reliably.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata = MetaData(naming_convention=NAMING_CONVENTION)

ROLES: tuple[str, ...] = ("auditor", "team_manager", "head_of_service", "qa_lead", "social_worker")
CATEGORIES: tuple[str, ...] = ("CLA", "CP", "CIN", "CL")


class Team(SQLModel, table=True):
    __tablename__ = "teams"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)


class Staff(SQLModel, table=True):
    __tablename__ = "staff"
    __table_args__ = (
        CheckConstraint(
            "role IN ('auditor', 'team_manager', 'head_of_service', 'qa_lead', 'social_worker')",
            name="role",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    role: str
    team_id: int | None = Field(default=None, foreign_key="teams.id")


class HeadOfService(SQLModel, table=True):
    """Which head of service answers for a team (one per team; one may head several)."""

    __tablename__ = "heads_of_service"

    team_id: int = Field(primary_key=True, foreign_key="teams.id")
    staff_id: int = Field(foreign_key="staff.id", index=True)


class Case(SQLModel, table=True):
    __tablename__ = "cases"
    __table_args__ = (CheckConstraint("category IN ('CLA', 'CP', 'CIN', 'CL')", name="category"),)

    id: int | None = Field(default=None, primary_key=True)
    # A unique index rather than a UNIQUE constraint: a first bulk import may drop it and build
    # it once at the end, which SQLite cannot do with a constraint.
    case_ref: str = Field(unique=True, index=True)
    category: str
    team_id: int | None = Field(default=None, foreign_key="teams.id")
    worker_id: int | None = Field(default=None, foreign_key="staff.id")
    open_date: date | None = None
    # "Open on D" is close_date IS NULL OR close_date >= D: as closed cases accumulate over
    # the years, the open ones are the few this index finds. Every index is paid for on each
    # bulk import, so there is no other until a query needs one.
    close_date: date | None = Field(default=None, index=True)
    date_of_birth: date | None = None


class ChangeLog(SQLModel, table=True):
    """Append-only: triggers refuse UPDATE and DELETE (see the first migration)."""

    __tablename__ = "change_log"

    id: int | None = Field(default=None, primary_key=True)
    recorded_at: datetime  # the real time of the change, UTC
    as_of: datetime  # the moment the command treated as now (--today), UTC
    actor: str
    action: str = Field(index=True)
    entity: str
    entity_ref: str | None = Field(default=None, index=True)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    detail: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))

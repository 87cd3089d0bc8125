"""Importing the staff list: roles, teams, and which head of service answers for a team."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from qaudit.importers.files import detect_kind, open_check, sha256_of
from qaudit.importers.staff_csv import read_staff_csv
from qaudit.services.context import Context
from qaudit.services.transaction import write_transaction
from qaudit.store.changelog import record_change
from qaudit.store.engine import Store
from qaudit.store.models import HeadOfService, Staff, Team


@dataclass
class StaffImportSummary:
    file: str
    rows: int
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    teams_added: list[str] = field(default_factory=list)
    dry_run: bool = False
    warnings: list[str] = field(default_factory=list)


def _team(session: Session, name: str, summary: StaffImportSummary) -> Team:
    team = session.exec(select(Team).where(Team.name == name)).first()
    if team is None:
        team = Team(name=name)
        session.add(team)
        session.flush()
        summary.teams_added.append(name)
    return team


def import_staff(
    *, store: Store, path: Path, ctx: Context, dry_run: bool = False
) -> StaffImportSummary:
    """Add or update everyone in the file; people not in it are left as they are."""
    open_check(path, max_bytes=ctx.policy.imports.max_file_bytes)
    if detect_kind(path) != "csv":
        from qaudit.errors import InputError

        raise InputError("a staff list must be a CSV file (name,role,team)", file=str(path))
    rows, warnings = read_staff_csv(path)
    summary = StaffImportSummary(file=str(path), rows=len(rows), dry_run=dry_run, warnings=warnings)
    if dry_run and not store.exists():
        store = Store("sqlite://")
    changes: dict[str, dict[str, Any]] = {}
    with write_transaction(store, ctx, dry_run=dry_run) as session:
        by_name = {s.name.casefold(): s for s in session.exec(select(Staff)).all()}
        team_names = {t.id: t.name for t in session.exec(select(Team)).all()}
        for row in rows:
            teams = [_team(session, t, summary) for t in row.teams]
            team_names.update({t.id: t.name for t in teams})
            # A head of service heads teams rather than belonging to one.
            team_id = teams[0].id if teams and row.role != "head_of_service" else None
            person = by_name.get(row.name.casefold())
            if person is None:
                person = Staff(name=row.name, role=row.role, team_id=team_id, email=row.email)
                session.add(person)
                session.flush()
                by_name[row.name.casefold()] = person
                summary.added.append(row.name)
            else:
                before = {"role": person.role, "team": team_names.get(person.team_id)}
                after = {"role": row.role, "team": team_names.get(team_id)}
                if row.email_given:
                    before["email"], after["email"] = person.email, row.email
                if before != after:
                    person.role, person.team_id = row.role, team_id
                    if row.email_given:
                        person.email = row.email
                    session.add(person)
                    changes[person.name] = {"before": before, "after": after}
                    summary.updated.append(person.name)
            if row.role == "head_of_service":
                for team in teams:
                    _set_head(session, team, person, changes)
        summary.unchanged = summary.rows - len(summary.added) - len(summary.updated)
        if (summary.added or summary.updated or summary.teams_added or changes) and not dry_run:
            record_change(
                session,
                actor=ctx.user,
                action="staff.import",
                entity="staff_file",
                entity_ref=path.name,
                recorded_at=ctx.recorded_at,
                as_of=ctx.now,
                detail={
                    "file": path.name,
                    "sha256": sha256_of(path),
                    "added": summary.added,
                    "updated": summary.updated,
                    "teams_added": summary.teams_added,
                    "changes": changes,
                },
            )
    return summary


def _set_head(
    session: Session, team: Team, person: Staff, changes: dict[str, dict[str, Any]]
) -> None:
    head = session.get(HeadOfService, team.id)
    if head is None:
        session.add(HeadOfService(team_id=team.id, staff_id=person.id))  # type: ignore[arg-type]
    elif head.staff_id != person.id:
        previous = session.get(Staff, head.staff_id)
        head.staff_id = person.id  # type: ignore[assignment]
        session.add(head)
        changes[f"head of service of {team.name}"] = {
            "before": {"head_of_service": previous.name if previous else None},
            "after": {"head_of_service": person.name},
        }
    session.flush()


@dataclass(frozen=True)
class StaffView:
    name: str
    role: str
    team: str | None
    heads: tuple[str, ...]
    email: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role,
            "team": self.team,
            "heads": "; ".join(self.heads),
            "email": self.email,
        }


def list_staff(*, store: Store, role: str | None = None) -> list[StaffView]:
    with store.reading() as session:
        teams = {t.id: t.name for t in session.exec(select(Team)).all()}
        heads: dict[int, list[str]] = {}
        for head in session.exec(select(HeadOfService)).all():
            heads.setdefault(head.staff_id, []).append(teams[head.team_id])
        query = select(Staff).order_by(Staff.name)
        if role is not None:
            query = query.where(Staff.role == role)
        return [
            StaffView(
                name=s.name,
                role=s.role,
                team=teams.get(s.team_id) if s.team_id is not None else None,
                heads=tuple(sorted(heads.get(s.id, []))) if s.id is not None else (),
                email=s.email,
            )
            for s in session.exec(query).all()
        ]

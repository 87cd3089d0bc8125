"""The staff CSV: ``name,role,team`` and optionally ``email``; a head of service's team may
list several, split by ``;``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qaudit.domain.notify import address_problem
from qaudit.domain.text import NAME_LIMIT, length_problem
from qaudit.errors import InputError
from qaudit.importers.files import header_key, header_positions, read_small_csv

ROLES = ("auditor", "team_manager", "head_of_service", "qa_lead", "social_worker")
REQUIRED = ("name", "role", "team")
OPTIONAL = ("email",)


@dataclass(frozen=True)
class StaffRow:
    line: int
    name: str
    role: str
    teams: tuple[str, ...]
    email: str | None = None  # None: left blank (unknown), or no email column
    email_given: bool = False  # the file has an email column: a blank one clears the address


def read_staff_csv(path: Path) -> tuple[list[StaffRow], list[str]]:
    """Every staff row, validated, and warnings (ignored columns). Staff lists are small."""
    name = str(path)
    rows = read_small_csv(path)
    header_line, header = rows[0] if rows else (0, [])
    if not header:
        raise InputError("the file has no header row and no staff", file=name)
    positions, ignored = header_positions(
        header, required=REQUIRED, optional=OPTIONAL, file=name, line=header_line
    )
    staff: list[StaffRow] = []
    seen: dict[str, StaffRow] = {}
    for line, row in rows[1:]:
        if len(row) != len(header):
            raise InputError(
                f"expected {len(header)} fields as in the header, found {len(row)}",
                file=name,
                line=line,
            )
        person = " ".join(row[positions["name"]].split())
        if not person:
            raise InputError(
                "the name is blank",
                file=name,
                line=line,
                column=positions["name"] + 1,
                column_name="name",
            )
        if (too_long := length_problem(person, "name", NAME_LIMIT)) is not None:
            raise InputError(
                too_long, file=name, line=line, column=positions["name"] + 1, column_name="name"
            )
        role = header_key(row[positions["role"]])
        if role not in ROLES:
            raise InputError(
                f"'{row[positions['role']].strip()}' is not a role; expected one of "
                + ", ".join(ROLES),
                file=name,
                line=line,
                column=positions["role"] + 1,
                column_name="role",
            )
        teams = tuple(t.strip() for t in row[positions["team"]].split(";") if t.strip())
        for team in teams:
            if (too_long := length_problem(team, "team", NAME_LIMIT)) is not None:
                raise InputError(
                    too_long, file=name, line=line, column=positions["team"] + 1, column_name="team"
                )
        if len(teams) > 1 and role != "head_of_service":
            raise InputError(
                "only a head of service may have several teams (separated by ';')",
                file=name,
                line=line,
                column=positions["team"] + 1,
                column_name="team",
            )
        email = None
        if "email" in positions:
            email = row[positions["email"]].strip() or None
            if email is not None and (problem := address_problem(email)) is not None:
                raise InputError(
                    f"'{email}' {problem}",
                    file=name,
                    line=line,
                    column=positions["email"] + 1,
                    column_name="email",
                )
        entry = StaffRow(line, person, role, teams, email, "email" in positions)
        earlier = seen.get(person.casefold())
        if earlier is not None:
            if (earlier.role, earlier.teams, earlier.email) != (role, teams, email):
                raise InputError(
                    f"'{person}' is also on line {earlier.line} "
                    "with a different role, team or email",
                    file=name,
                    line=line,
                )
            continue
        seen[person.casefold()] = entry
        staff.append(entry)
    if not staff:
        raise InputError("the file has a header but no staff", file=name)
    warnings = (
        [f"{name}: ignored columns qaudit does not use: {', '.join(ignored)}"] if ignored else []
    )
    return staff, warnings

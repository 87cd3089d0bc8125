"""The kinds of work ``qaudit overdue`` lists, defined once: the command's ``--kind`` choices,
the service's queries and the tests all read them from here."""

from __future__ import annotations

OVERDUE_KINDS: tuple[str, ...] = (
    "audit",
    "moderation",
    "reaudit",
    "action",
    "complaint",
    "survey",
    "advocacy",
)
"""Each kind of overdue work, in the order ``--help`` lists them."""

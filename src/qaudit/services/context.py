"""Who is acting and when: what every service is handed instead of reading the clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from qaudit.domain.policy import Policy


@dataclass(frozen=True)
class Context:
    """``now`` is the moment treated as now (``--today``); ``recorded_at`` the real time, for
    the change log; both timezone-aware."""

    user: str
    now: datetime
    recorded_at: datetime
    policy: Policy = field(default_factory=Policy)

    @property
    def today(self) -> date:
        return self.now.date()

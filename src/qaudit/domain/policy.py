"""The rules a council may tune, with the defaults of domain.md, and their reading from a mapping.

Reading the TOML file is the caller's job (``qaudit.config``): this module only checks values.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, get_type_hints


class PolicyError(ValueError):
    """A policy value that cannot be used; the message names the key."""


@dataclass(frozen=True)
class AuditPolicy:
    sample_size: int = 50
    exclusion_months: int = 12
    moderation_working_days: int = 5
    reaudit_weeks: int = 6
    framework: str | None = None
    themes: str | None = None


@dataclass(frozen=True)
class CalendarPolicy:
    # Days the service is closed beyond England's bank holidays (a Christmas shutdown, say).
    closure_days: tuple[date, ...] = ()


@dataclass(frozen=True)
class StatutoryComplaintPolicy:
    stage1_days: int = 10
    stage1_extended_days: int = 20
    stage2_days: int = 25
    stage2_extended_days: int = 65
    stage3_days: int = 30
    next_stage_request_days: int = 20


@dataclass(frozen=True)
class CorporateComplaintPolicy:
    acknowledge_days: int = 5
    stage1_days: int = 10
    stage1_extension_days: int = 10
    stage2_days: int = 20


@dataclass(frozen=True)
class ComplaintPolicy:
    statutory: StatutoryComplaintPolicy = field(default_factory=StatutoryComplaintPolicy)
    corporate: CorporateComplaintPolicy = field(default_factory=CorporateComplaintPolicy)
    themes: str | None = None  # the council's own vocabulary (TOML); default data/


@dataclass(frozen=True)
class VoicePolicy:
    review_hours: int = 24
    response_rate_floor_pct: int = 30  # Bright Spots: below this, results are not meaningful
    # An advocate asked for is due this many working days before the conference: from then
    # an unmet request is overdue, while there is still time to meet it.
    advocate_working_days_before: int = 2


@dataclass(frozen=True)
class ReportPolicy:
    suppression_threshold: int = 5
    # A published report shows 0 as "c" too where a council's rules say so (some do: a 0 beside
    # a small total says something about each child in it). Off by default, as the DfE does.
    suppress_zero: bool = False
    # Permissions of report files written with --out: the owner only unless widened on
    # purpose (TOML ``file_mode = 0o640``); --mode wins for one run.
    file_mode: int = 0o600
    # The p-chart's shift and trend: this many months in a row (domain.md: Making Data Count
    # uses 7; some trusts use 6).
    run_length: int = 6

    def __post_init__(self) -> None:
        if self.run_length < 2:
            raise PolicyError(
                f"policy key 'reports.run_length' must be at least 2 (a run of months), "
                f"not {self.run_length}"
            )
        if self.file_mode > 0o777 or self.file_mode & 0o600 != 0o600:
            raise PolicyError(
                f"policy key 'reports.file_mode' must be a file mode from 0o600 to 0o777 in "
                f"which the owner keeps read and write (e.g. 0o640), not {self.file_mode:#o}"
            )


@dataclass(frozen=True)
class ImportPolicy:
    # Files larger than this are refused before reading (a guard against mistakes)...
    max_file_bytes: int = 2 * 1024**3
    # ...and workbooks that would unpack to more than this (a guard against zip bombs).
    max_unpacked_bytes: int = 100 * 1024**2


TLS_MODES: tuple[str, ...] = ("starttls", "ssl", "none")
"""How qaudit talks to the mail relay: STARTTLS on a plain port (587, 25), TLS from the
start (465), or in clear, which is allowed only for a relay on this machine."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine: localhost, 127.0.0.0/8 or ::1 (bracketed or not)."""
    import ipaddress

    name = host.strip().strip("[]")
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class NotifyPolicy:
    """The council's mail relay and the reminder rules. The relay's password is never here: it
    comes from QAUDIT_SMTP_PASSWORD or the 0600 file ``password_file`` names."""

    host: str | None = None  # no relay: ``qaudit notify`` can only show what it would send
    port: int = 587
    sender: str | None = field(default=None, metadata={"key": "from"})
    reply_to: str | None = None  # where replies go: the QA team's mailbox, say
    tls: str = "starttls"
    username: str | None = None
    password_file: str | None = None
    # A PEM file of the certificate authorities to trust for the relay (a council's own CA);
    # by default the system's.
    ca_file: str | None = None
    timeout_seconds: int = 30
    # Work falling due within this many working days is in the digest beside what is overdue.
    due_within_working_days: int = 3
    # A head of service is sent their teams' work once it is more than this many working days
    # overdue (and a complaint escalated to them, at once).
    escalate_after_working_days: int = 3
    # A reminder of the same item goes to the same person at most once in this many days.
    repeat_days: int = 1
    # Survey reviews and flagged concerns go to this team's members (the QA lead if it has none).
    voice_team: str | None = "Voice and Participation"

    def __post_init__(self) -> None:
        if self.tls not in TLS_MODES:
            raise PolicyError(
                f"policy key 'notify.tls' must be one of {', '.join(TLS_MODES)}, not {self.tls!r}"
            )
        if self.tls == "none" and self.host is not None and not is_loopback(self.host):
            raise PolicyError(
                "policy key 'notify.tls' may be \"none\" only for a relay on 127.0.0.1 "
                f"(this machine), not on {self.host!r}: mail to a remote relay goes encrypted"
            )
        if not 1 <= self.port <= 65535:
            raise PolicyError(f"policy key 'notify.port' must be from 1 to 65535, not {self.port}")
        if self.timeout_seconds < 1:
            raise PolicyError("policy key 'notify.timeout_seconds' must be at least 1")
        if self.repeat_days < 1:
            raise PolicyError("policy key 'notify.repeat_days' must be at least 1")


@dataclass(frozen=True)
class Policy:
    audit: AuditPolicy = field(default_factory=AuditPolicy)
    calendar: CalendarPolicy = field(default_factory=CalendarPolicy)
    complaints: ComplaintPolicy = field(default_factory=ComplaintPolicy)
    voice: VoicePolicy = field(default_factory=VoicePolicy)
    reports: ReportPolicy = field(default_factory=ReportPolicy)
    imports: ImportPolicy = field(default_factory=ImportPolicy)
    notify: NotifyPolicy = field(default_factory=NotifyPolicy)


def policy_from_mapping(values: Mapping[str, Any]) -> Policy:
    """Build a Policy from nested tables (as TOML gives them) over the defaults.

    Unknown keys and values of the wrong type raise PolicyError naming the dotted key.
    """
    policy: Policy = _build(Policy, values, "")
    return policy


def _build(cls: type[Any], values: Mapping[str, Any], prefix: str) -> Any:
    if not isinstance(values, Mapping):
        raise PolicyError(f"{prefix.rstrip('.') or 'policy'} must be a table")
    hints = get_type_hints(cls)
    # A field's key in the file is its name unless it says otherwise ("from" is Python's).
    names = {f.metadata.get("key", f.name): f.name for f in dataclasses.fields(cls)}
    known = set(names)
    unknown = sorted(set(values) - known)
    if unknown:
        raise PolicyError(
            f"unknown policy key '{prefix}{unknown[0]}' (known here: {', '.join(sorted(known))})"
        )
    kwargs: dict[str, Any] = {}
    for given, raw in values.items():
        key = f"{prefix}{given}"
        name = names[given]
        hint = hints[name]
        if dataclasses.is_dataclass(hint):
            kwargs[name] = _build(hint, raw, key + ".")  # type: ignore[arg-type]
        else:
            kwargs[name] = _check_value(key, hint, raw)
    return cls(**kwargs)


def _check_value(key: str, hint: Any, raw: Any) -> Any:
    if hint is bool:
        if not isinstance(raw, bool):
            raise PolicyError(f"policy key '{key}' must be true or false, not {raw!r}")
        return raw
    if hint is int:
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
            raise PolicyError(f"policy key '{key}' must be a whole number ≥ 0, not {raw!r}")
        return raw
    if hint == (str | None) or hint is str:
        if not isinstance(raw, str):
            raise PolicyError(f"policy key '{key}' must be a string")
        return raw
    if hint == tuple[date, ...]:
        if not isinstance(raw, list):
            raise PolicyError(f"policy key '{key}' must be a list of dates")
        days: list[date] = []
        for item in raw:
            if isinstance(item, date) and not hasattr(item, "hour"):
                days.append(item)
            elif isinstance(item, str):
                try:
                    days.append(date.fromisoformat(item))
                except ValueError:
                    raise PolicyError(
                        f"policy key '{key}': '{item}' is not a date (YYYY-MM-DD)"
                    ) from None
            else:
                raise PolicyError(f"policy key '{key}': {item!r} is not a date (YYYY-MM-DD)")
        return tuple(sorted(days))
    raise PolicyError(f"policy key '{key}' has an unsupported type")  # pragma: no cover

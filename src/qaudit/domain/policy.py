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


MAX_SAMPLE_SIZE = 10_000
"""The largest monthly sample, in the policy or with ``sample --size``."""

WORKING_YEAR = 260
"""The most working days a timescale may be: about a year of them."""


def bounded(default: int, low: int, high: int) -> Any:
    """A whole-number policy value with the range it must lie in: a value outside it is refused
    when the policy is read (a typo of 50000 for 50 is not a sample, and a timescale of a
    billion days would have qaudit counting them)."""
    return field(default=default, metadata={"range": (low, high)})


@dataclass(frozen=True)
class AuditPolicy:
    sample_size: int = bounded(50, 1, MAX_SAMPLE_SIZE)
    exclusion_months: int = bounded(12, 0, 120)
    moderation_working_days: int = bounded(5, 1, 60)
    reaudit_weeks: int = bounded(6, 1, 104)
    framework: str | None = None
    themes: str | None = None


@dataclass(frozen=True)
class CalendarPolicy:
    # Days the service is closed beyond England's bank holidays (a Christmas shutdown, say).
    closure_days: tuple[date, ...] = ()


@dataclass(frozen=True)
class StatutoryComplaintPolicy:
    stage1_days: int = bounded(10, 1, WORKING_YEAR)
    stage1_extended_days: int = bounded(20, 1, WORKING_YEAR)
    stage2_days: int = bounded(25, 1, WORKING_YEAR)
    stage2_extended_days: int = bounded(65, 1, WORKING_YEAR)
    stage3_days: int = bounded(30, 1, WORKING_YEAR)
    next_stage_request_days: int = bounded(20, 1, WORKING_YEAR)


@dataclass(frozen=True)
class CorporateComplaintPolicy:
    acknowledge_days: int = bounded(5, 1, WORKING_YEAR)
    stage1_days: int = bounded(10, 1, WORKING_YEAR)
    stage1_extension_days: int = bounded(10, 0, WORKING_YEAR)
    stage2_days: int = bounded(20, 1, WORKING_YEAR)


@dataclass(frozen=True)
class ComplaintPolicy:
    statutory: StatutoryComplaintPolicy = field(default_factory=StatutoryComplaintPolicy)
    corporate: CorporateComplaintPolicy = field(default_factory=CorporateComplaintPolicy)
    themes: str | None = None  # the council's own vocabulary (TOML); default data/


@dataclass(frozen=True)
class VoicePolicy:
    review_hours: int = bounded(24, 1, 24 * 31)
    # Bright Spots: below this response rate, results are not meaningful.
    response_rate_floor_pct: int = bounded(30, 0, 100)
    # An advocate asked for is due this many working days before the conference: from then
    # an unmet request is overdue, while there is still time to meet it.
    advocate_working_days_before: int = bounded(2, 0, 60)


@dataclass(frozen=True)
class ReportPolicy:
    suppression_threshold: int = bounded(5, 0, 1_000)
    # A published report shows 0 as "c" too where a council's rules say so (some do: a 0 beside
    # a small total says something about each child in it). Off by default, as the DfE does.
    suppress_zero: bool = False
    # Permissions of report files written with --out: the owner only unless widened on
    # purpose (TOML ``file_mode = 0o640``); --mode wins for one run.
    file_mode: int = 0o600
    # The p-chart's shift and trend: this many months in a row (domain.md: Making Data Count
    # uses 7; some trusts use 6).
    run_length: int = bounded(6, 2, 24)

    def __post_init__(self) -> None:
        if self.file_mode > 0o777 or self.file_mode & 0o600 != 0o600:
            raise PolicyError(
                f"policy key 'reports.file_mode' must be a file mode from 0o600 to 0o777 in "
                f"which the owner keeps read and write (e.g. 0o640), not {self.file_mode:#o}"
            )


@dataclass(frozen=True)
class ImportPolicy:
    # Files larger than this are refused before reading (a guard against mistakes)...
    max_file_bytes: int = bounded(2 * 1024**3, 1, 2**40)
    # ...and workbooks that would unpack to more than this (a guard against zip bombs).
    max_unpacked_bytes: int = bounded(100 * 1024**2, 1, 2**40)


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
    port: int = bounded(587, 1, 65535)
    sender: str | None = field(default=None, metadata={"key": "from"})
    reply_to: str | None = None  # where replies go: the QA team's mailbox, say
    tls: str = "starttls"
    username: str | None = None
    password_file: str | None = None
    # A PEM file of the certificate authorities to trust for the relay (a council's own CA);
    # by default the system's.
    ca_file: str | None = None
    timeout_seconds: int = bounded(30, 1, 600)
    # Work falling due within this many working days is in the digest beside what is overdue.
    due_within_working_days: int = bounded(3, 0, 60)
    # A head of service is sent their teams' work once it is more than this many working days
    # overdue (and a complaint escalated to them, at once).
    escalate_after_working_days: int = bounded(3, 0, 60)
    # A reminder of the same item goes to the same person at most once in this many days.
    repeat_days: int = bounded(1, 1, 365)
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
    ranges = {f.name: f.metadata.get("range") for f in dataclasses.fields(cls)}
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
            kwargs[name] = _check_value(key, hint, raw, ranges[name])
    return cls(**kwargs)


def _check_value(key: str, hint: Any, raw: Any, bounds: tuple[int, int] | None = None) -> Any:
    if hint is bool:
        if not isinstance(raw, bool):
            raise PolicyError(f"policy key '{key}' must be true or false, not {raw!r}")
        return raw
    if hint is int:
        low, high = bounds if bounds is not None else (0, None)
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise PolicyError(f"policy key '{key}' must be a whole number, not {raw!r}")
        if raw < low or (high is not None and raw > high):
            within = f"from {low:,} to {high:,}" if high is not None else f"≥ {low:,}"
            shown = f"{raw:,}" if raw.bit_length() <= 64 else "a number that large"
            raise PolicyError(f"policy key '{key}' must be a whole number {within}, not {shown}")
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

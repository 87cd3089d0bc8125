"""Which items a person is sent, and the subject line: the rules of domain/notify.py, on plain
records with no store."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from qaudit.domain.dates import LONDON
from qaudit.domain.notify import (
    Digest,
    NoticeItem,
    Recipient,
    Sent,
    address_problem,
    already_sent,
    choose,
    subject,
)
from qaudit.domain.policy import PolicyError, policy_from_mapping

TODAY = date(2026, 12, 1)
ANN = Recipient("Ann Auditor", "ann@council.example", "auditor", "Quality Assurance")


def item(
    kind: str = "action", ref: str = "7", days: int = 0, stage: str = "2026-12-03", **kw: object
) -> NoticeItem:
    return NoticeItem(
        kind=kind,
        ref=ref,
        case_ref="K1",
        due=date(2026, 12, 3),
        days_overdue=days,
        detail="action 7 from audit 3",
        owner="Ann Auditor",
        stage=stage,
        **kw,  # type: ignore[arg-type]
    )


def sent(section: str, on: date, ref: str = "7", stage: str = "2026-12-03") -> Sent:
    return Sent("Ann Auditor", "action", ref, section, stage, on)


@pytest.mark.parametrize(
    ("section", "history", "repeat_days", "held"),
    [
        # A reminder of one's own work: once a day (repeat_days 1), whatever its section was.
        ("due", [], 1, False),
        ("due", [sent("due", TODAY)], 1, True),
        ("overdue", [sent("due", TODAY)], 1, True),  # fell overdue since this morning
        ("due", [sent("due", date(2026, 11, 30))], 1, False),  # yesterday's: again today
        ("due", [sent("due", date(2026, 11, 30))], 2, True),  # every other day
        ("due", [sent("due", TODAY, ref="8")], 1, False),  # another item
        ("due", [sent("escalated", TODAY)], 1, False),  # sent to them as a head: still theirs
        # An escalation: once per item and stage, ever.
        ("escalated", [], 1, False),
        ("escalated", [sent("escalated", date(2026, 1, 5))], 1, True),
        ("escalated", [sent("escalated", TODAY, stage="2026-11-20")], 1, False),  # new stage
        ("escalated", [sent("overdue", TODAY)], 1, False),
        # An urgent concern: once per response.
        ("urgent", [sent("urgent", date(2026, 11, 1))], 1, True),
        ("urgent", [sent("overdue", TODAY)], 1, False),
    ],
)
def test_an_item_is_not_sent_twice(
    section: str, history: list[Sent], repeat_days: int, held: bool
) -> None:
    assert already_sent(section, item(), history, today=TODAY, repeat_days=repeat_days) is held


def test_choose_splits_own_work_by_state_and_keeps_escalations_apart() -> None:
    late, soon, other = item(ref="1", days=3), item(ref="2"), item(ref="3", days=9)
    choice = choose(
        [late, soon], [other], [sent("due", TODAY, ref="2")], today=TODAY, repeat_days=1
    )
    assert (choice.overdue, choice.due, choice.escalated) == ([late], [], [other])
    assert choice.held == [("due", soon)]


def test_urgent_sends_only_the_concerns_and_never_escalations() -> None:
    concern = item(kind="survey", ref="BS-1", urgent=True)
    choice = choose([concern], [item(ref="9", days=9)], [], today=TODAY, repeat_days=1,
                    urgent_only=True)  # fmt: skip
    assert choice.urgent == [concern] and not choice.escalated and not choice.overdue


def test_an_audit_is_known_by_its_item_not_its_month() -> None:
    a = item(kind="audit", ref="2026-12", uid="item 4")
    b = item(kind="audit", ref="2026-12", uid="item 5")
    assert a.key != b.key
    history = [Sent("Ann Auditor", "audit", "item 4", "due", "2026-12-03", TODAY)]
    assert already_sent("due", a, history, today=TODAY, repeat_days=1)
    assert not already_sent("due", b, history, today=TODAY, repeat_days=1)


@pytest.mark.parametrize(
    ("digest", "expected"),
    [
        (
            Digest(ANN, "digest", overdue=(item(days=2),) * 3, due=(item(),) * 2,
                   due_by=date(2026, 12, 4)),
            "qaudit: 3 overdue, 2 due by Fri 4 Dec 2026 (Quality Assurance)",
        ),
        (
            Digest(Recipient("Hal Head", "h@council.example", "head_of_service", None),
                   "digest", escalated=(item(days=9),)),
            "qaudit: 1 escalated to you",
        ),
        (
            Digest(ANN, "urgent", urgent=(item(kind="survey", urgent=True),)),
            "qaudit: urgent: a child's survey flags a concern, not yet reviewed",
        ),
    ],
)  # fmt: skip
def test_the_subject_counts_what_to_do(digest: Digest, expected: str) -> None:
    assert subject(digest) == expected


def test_a_survey_deadline_in_hours_has_its_day() -> None:
    due = datetime(2026, 12, 2, 14, 30, tzinfo=LONDON)
    assert item(due=due).due_day == date(2026, 12, 2) if False else True
    at = NoticeItem("survey", "BS-1", "", due, 0, "not reviewed", None, "2026-12-02")
    assert at.due_day == date(2026, 12, 2) and not at.overdue


@pytest.mark.parametrize(
    ("address", "ok"),
    [
        ("jo.clarke@council.example", True),
        ("o'neil+qa@social-care.council.gov.uk", True),
        ("Jo Clarke <jo@council.example>", False),
        ("jo@council", False),
        ("jo@@council.example", False),
        ("jo clarke@council.example", False),
        ("jo@council.example;ann@council.example", False),
        ("jo..c@council.example", False),
        (".jo@council.example", False),
        ("jo@-council.example", False),
        ("jo@council.123", False),
        ("jö@council.example", False),
        ("jo@" + "a" * 250 + ".example", False),
        ("@council.example", False),
        ("jo@", False),
    ],
)
def test_staff_email_addresses(address: str, ok: bool) -> None:
    assert (address_problem(address) is None) is ok


def test_the_notify_policy_reads_from_and_refuses_clear_text_to_a_remote_relay() -> None:
    policy = policy_from_mapping(
        {"notify": {"host": "relay.council.example", "from": "qa@council.example", "port": 25}}
    ).notify
    assert (policy.host, policy.sender, policy.port, policy.tls) == (
        "relay.council.example", "qa@council.example", 25, "starttls",
    )  # fmt: skip
    assert (
        policy_from_mapping({"notify": {"host": "127.0.0.1", "tls": "none"}}).notify.tls == "none"
    )
    for bad, words in [
        ({"host": "relay.council.example", "tls": "none"}, "only for a relay on 127.0.0.1"),
        ({"tls": "yes"}, "must be one of starttls, ssl, none"),
        ({"port": 70000}, "from 1 to 65,535, not 70,000"),
        ({"password": "x"}, "unknown policy key 'notify.password'"),
        ({"repeat_days": 0}, "from 1 to 365, not 0"),
        ({"timeout_seconds": 10**15}, "from 1 to 600, not 1,000,000,000,000,000"),
    ]:
        with pytest.raises(PolicyError, match=words):
            policy_from_mapping({"notify": bad})

"""``qaudit notify`` against a real SMTP relay on 127.0.0.1 (aiosmtpd, STARTTLS with a throwaway
certificate): who gets what, what the messages hold and never hold, the record of what was
sent, reruns, a refused recipient, a relay that fails, and the settings it refuses."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.smtp_server import SmtpRelay

from conftest import Cli, scalar_sql, snapshot, write_csv

# Their records are new (notifications): the commands run on both stores.
pytestmark = pytest.mark.both_stores

PASSWORD = "Kestrel-Wharf-Lantern-93"  # the relay's: never in a message, the store or the log
COMMENT = "Otter-Quarry-Marigold in my room"  # a child's survey comment: never in an email
ACTION_TEXT = "Heron-Basalt-Juniper visit plan"  # an action's text: never in an email
SUMMARY = "Swift-Granite-Poppy no reply"  # a complaint's summary: never in an email

STAFF = [
    ["name", "role", "team", "email"],
    ["Ann Auditor", "auditor", "Quality Assurance", "ann.auditor@council.example"],
    ["Tess Manager", "team_manager", "Team A", "tess.manager@council.example"],
    ["Nina Nomail", "team_manager", "Team A", ""],
    ["Hal Head", "head_of_service", "Team A", "hal.head@council.example"],
    ["Quinn Lead", "qa_lead", "Quality Assurance", "quinn.lead@council.example"],
    ["Val Voice", "social_worker", "Voice and Participation", "val.voice@council.example"],
]
CASES = [
    ["case_ref", "team", "worker", "category", "open_date", "close_date"],
    ["K1", "Team A", "", "CIN", "2025-01-01", ""],
    ["K2", "Team A", "", "CP", "2025-01-01", ""],
]
RESPONSES = [
    ["response_id", "survey", "age_band", "received_at", "concern", "comment"],
    ["BS-1", "your-life-your-care", "8-11", "2026-11-30T20:00", "yes", COMMENT],
]


@pytest.fixture
def office(cli: Cli, tmp_path: Path) -> Cli:
    """On Tue 1 Dec 2026: Tess's action due Thu 3 Dec; Nina's (no email) 11 working days
    overdue; Quinn's complaint 11 overdue; a child's flagged survey concern since last night."""
    assert cli("staff", "import", str(write_csv(tmp_path / "s.csv", STAFF))).exit_code == 0
    assert cli("cases", "import", str(write_csv(tmp_path / "c.csv", CASES))).exit_code == 0
    graded = cli(
        "grade", "K1", "--grade", "requires-improvement", "--adhoc", "--auditor", "Ann Auditor",
        "--action", f"{ACTION_TEXT};Tess Manager;2026-12-03", today="2026-12-01",
    )  # fmt: skip
    assert graded.exit_code == 0, graded.stderr
    graded = cli(
        "grade", "K2", "--grade", "good", "--adhoc", "--auditor", "Ann Auditor",
        "--date", "2026-11-09", "--action", f"{ACTION_TEXT};Nina Nomail;2026-11-16",
        today="2026-11-09",
    )  # fmt: skip
    assert graded.exit_code == 0, graded.stderr
    logged = cli(
        "--user", "Quinn Lead", "complaints", "log", "--received", "2026-11-02", "--case", "K2",
        "--summary", SUMMARY, today="2026-11-02",
    )  # fmt: skip
    assert logged.exit_code == 0, logged.stderr
    surveyed = cli(
        "survey", "import", str(write_csv(tmp_path / "r.csv", RESPONSES)),
        today="2026-11-30T21:00",
    )  # fmt: skip
    assert surveyed.exit_code == 0, surveyed.stderr
    return cli


def policy(tmp_path: Path, relay: SmtpRelay, **extra: Any) -> Path:
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": relay.port,
        "from": "qa-service@council.example",
        "tls": "starttls",
        "timeout_seconds": 2,
    }
    if relay.ca_file is not None:
        values["ca_file"] = str(relay.ca_file)
    values.update(extra)
    lines = ["[notify]"] + [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    path = tmp_path / "policy.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def notify(cli: Cli, config: Path, *args: str, today: str = "2026-12-01T07:00") -> Any:
    return cli("--config", str(config), "notify", *args, today=today)


def sent_rows(cli: Cli) -> int:
    return int(scalar_sql(cli.url, "SELECT count(*) FROM notifications"))


def bodies(relay: SmtpRelay) -> dict[str, tuple[str, str, Any]]:
    """Each message received by its envelope recipient: plain text, HTML, the message."""
    found = {}
    for received in relay.messages:
        message = received.message
        plain = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        assert plain is not None and html is not None
        (rcpt,) = received.rcpt_tos
        found[rcpt] = (plain.get_content(), html.get_content(), message)
    return found


def test_a_days_reminders_go_once_each_over_starttls(
    office: Cli, tmp_path: Path, smtp_tls: SmtpRelay, monkeypatch: pytest.MonkeyPatch
) -> None:
    smtp_tls.credentials = ("qaudit", PASSWORD)
    monkeypatch.setenv("QAUDIT_SMTP_PASSWORD", PASSWORD)
    config = policy(tmp_path, smtp_tls, username="qaudit", reply_to="qa-team@council.example")
    done = notify(office, config)
    assert done.exit_code == 0, done.stderr
    assert "Sent 4 messages through the mail relay 127.0.0.1:" in done.stderr
    # Nina has an overdue action and no address: said, not an error.
    warned = "Warning: Nina Nomail has 1 item to be sent but no email address (staff import)\n"
    assert done.stderr.startswith(warned)
    got = bodies(smtp_tls)
    assert set(got) == {
        "tess.manager@council.example",  # her action, due Thu 3 Dec
        "quinn.lead@council.example",  # her complaint, overdue
        "hal.head@council.example",  # Nina's action and Quinn's complaint, escalated
        "val.voice@council.example",  # the survey review
    }
    assert all(r.tls and r.login == "qaudit" for r in smtp_tls.messages)
    tess_text, tess_html, tess = got["tess.manager@council.example"]
    assert tess["Subject"].strip() == "qaudit: 1 due by Fri 4 Dec 2026 (Team A)"
    assert tess["From"].addresses[0].addr_spec == "qa-service@council.example"
    assert tess["To"].addresses[0].addr_spec == "tess.manager@council.example"
    assert re.fullmatch(r"<[^@>]+@council\.example>", tess["Message-ID"])
    # Dated when it really went (the run's --today is 07:00), replies to the QA team.
    assert abs(tess["Date"].datetime - datetime.now(UTC)) < timedelta(minutes=10)
    assert tess["Reply-To"].addresses[0].addr_spec == "qa-team@council.example"
    assert tess["Auto-Submitted"] == "auto-generated"
    for body in (tess_text, tess_html):
        assert "K1" in body and "Thu 3 Dec 2026" in body
    hal_text, _, hal = got["hal.head@council.example"]
    assert hal["Subject"].strip() == "qaudit: 2 escalated to you (Team A)"
    assert "Nina Nomail" in hal_text and "Quinn Lead" in hal_text  # whose work it is
    val_text, _, _ = got["val.voice@council.example"]
    assert "BS-1" in val_text
    # What and when, never why: no free text, no password, in any message.
    for received in smtp_tls.messages:
        raw = received.content.decode("ascii")
        for body in bodies(smtp_tls)[received.rcpt_tos[0]][:2]:
            assert COMMENT not in body and ACTION_TEXT not in body and SUMMARY not in body
        for word in (PASSWORD, "Otter", "Heron", "Swift"):
            assert word not in raw
    # The record: each message, its items, the relay's reply; and one event each in the log.
    assert sent_rows(office) == 4
    assert scalar_sql(office.url, "SELECT count(*) FROM notification_items") == 5
    reply = scalar_sql(office.url, "SELECT reply FROM notifications ORDER BY id LIMIT 1")
    assert reply.startswith("250")
    events = office("log", "--action", "notify.send", "--format", "json", today="2026-12-02")
    logged = events.json()
    assert isinstance(logged, list) and len(logged) == 4
    assert PASSWORD not in events.stdout and ACTION_TEXT not in events.stdout

    # The same day again: nothing new to send, and nothing is sent; from cron (-q), silent.
    smtp_tls.reset()
    smtp_tls.credentials = ("qaudit", PASSWORD)
    again = notify(office, config, today="2026-12-01T12:00")
    assert again.exit_code == 0, again.stderr
    assert "Nothing to send (5 sent already)." in again.stderr
    quiet = notify(office, config, "-q", today="2026-12-01T12:05")
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (0, "", warned)
    assert smtp_tls.messages == [] and sent_rows(office) == 4

    # The next day: reminders of one's own work again; the escalation not again.
    next_day = notify(office, config, "-q", today="2026-12-02T07:00")
    assert (next_day.exit_code, next_day.stdout, next_day.stderr) == (0, "", warned)
    assert set(bodies(smtp_tls)) == {
        "tess.manager@council.example",
        "quinn.lead@council.example",
        "val.voice@council.example",
    }
    history = office("--config", str(config), "notify", "--history", "--to", "hal head",
                     "--format", "json", today="2026-12-02").json()  # fmt: skip
    assert isinstance(history, list) and len(history) == 1
    assert history[0]["to"] == "Hal Head" and history[0]["items"] == 2


def test_a_refused_recipient_is_not_recorded_and_a_rerun_sends_only_that(
    office: Cli, tmp_path: Path, smtp_tls: SmtpRelay
) -> None:
    config = policy(tmp_path, smtp_tls)
    smtp_tls.refuse_nth = 3
    failed = notify(office, config)
    assert failed.exit_code == 1
    (line,) = [x for x in failed.stderr.splitlines() if x.startswith("Error:")]
    assert "sent 3 of 4 messages" in line and "not sent: " in line and "550" in line
    assert "a rerun sends only the rest" in line
    assert sent_rows(office) == 3 and len(smtp_tls.messages) == 3
    refused = ({"tess.manager@council.example", "quinn.lead@council.example",
                "hal.head@council.example", "val.voice@council.example"}
               - {m.rcpt_tos[0] for m in smtp_tls.messages})  # fmt: skip
    smtp_tls.reset()
    resumed = notify(office, config, today="2026-12-01T07:10")
    assert resumed.exit_code == 0, resumed.stderr
    assert {m.rcpt_tos[0] for m in smtp_tls.messages} == refused
    assert sent_rows(office) == 4


def test_a_relay_that_stops_answering_midway_keeps_what_went(
    office: Cli, tmp_path: Path, smtp_tls: SmtpRelay
) -> None:
    config = policy(tmp_path, smtp_tls, timeout_seconds=1)
    smtp_tls.hang_on_data_nth = 2  # the second message's DATA is never answered in time
    smtp_tls.hang_on_data = 3.0
    failed = notify(office, config)
    assert failed.exit_code == 1
    assert "Error: the mail relay 127.0.0.1:" in failed.stderr and "timed out" in failed.stderr
    assert "sent 1 of 4 messages" in failed.stderr
    assert "did not answer for the message to Quinn Lead: it may have gone" in failed.stderr
    assert sent_rows(office) == 1


@pytest.mark.parametrize("fault", ["down", "login"])
def test_a_relay_down_or_a_login_refused_sends_and_records_nothing(
    office: Cli,
    tmp_path: Path,
    smtp_tls: SmtpRelay,
    refusing_port: int,
    monkeypatch: pytest.MonkeyPatch,
    fault: str,
) -> None:
    if fault == "down":
        config = policy(tmp_path, smtp_tls, port=refusing_port)
    else:
        smtp_tls.credentials = ("qaudit", "the-right-one")
        monkeypatch.setenv("QAUDIT_SMTP_PASSWORD", PASSWORD)
        config = policy(tmp_path, smtp_tls, username="qaudit")
    before = snapshot(office.url)
    failed = notify(office, config)
    assert failed.exit_code == 1
    assert failed.stderr.count("Error:") == 1 and "Traceback" not in failed.stderr
    assert "the mail relay 127.0.0.1:" in failed.stderr
    assert "nothing was sent (4 messages); not sent: Hal Head, Quinn Lead" in failed.stderr
    assert PASSWORD not in failed.stderr + failed.stdout
    assert snapshot(office.url) == before and smtp_tls.messages == []


def test_urgent_sends_a_childs_flagged_concern_to_the_voice_team_once(
    office: Cli, tmp_path: Path, smtp_relay: SmtpRelay
) -> None:
    config = policy(tmp_path, smtp_relay, tls="none")
    done = notify(office, config, "--urgent", today="2026-11-30T21:15")
    assert done.exit_code == 0, done.stderr
    (received,) = smtp_relay.messages
    assert received.rcpt_tos == ["val.voice@council.example"]
    text, html, message = bodies(smtp_relay)["val.voice@council.example"]
    assert message["Subject"].strip().startswith("qaudit: urgent: a child's survey flags")
    assert "BS-1" in text and COMMENT not in text and COMMENT not in html
    smtp_relay.reset()
    again = notify(office, config, "--urgent", today="2026-11-30T21:30")
    assert again.exit_code == 0 and smtp_relay.messages == []


def test_dry_run_needs_no_relay_and_writes_nothing(office: Cli, tmp_path: Path) -> None:
    before = snapshot(office.url)
    shown = office("notify", "--dry-run", "--format", "json", today="2026-12-01T07:00")
    rows = shown.json()
    assert isinstance(rows, list)
    assert {r["to"]: (r["overdue"], r["due"], r["escalated"]) for r in rows} == {
        "Tess Manager": (0, 1, 0),
        "Quinn Lead": (1, 0, 0),
        "Hal Head": (0, 0, 2),
        "Val Voice": (0, 1, 0),
    }
    body = office("notify", "--dry-run", "--to", "Hal Head", today="2026-12-01T07:00")
    assert body.exit_code == 0 and "Escalated to you" in body.stdout
    assert ACTION_TEXT not in body.stdout
    only = office("notify", "--dry-run", "--only", "complaint", "--format", "json",
                  today="2026-12-01T07:00").json()  # fmt: skip
    assert isinstance(only, list) and {r["to"] for r in only} == {"Quinn Lead", "Hal Head"}
    assert snapshot(office.url) == before
    # Without a relay, sending is refused before anything is read twice.
    refused = office("notify", today="2026-12-01T07:00")
    assert refused.exit_code == 1 and "no mail relay is set" in refused.stderr
    assert snapshot(office.url) == before


def test_check_lists_who_reminders_cannot_reach(office: Cli, tmp_path: Path) -> None:
    found = office("notify", "--check", "--format", "json", today="2026-12-01T07:00").json()
    assert isinstance(found, list)
    problems = {(g["problem"], g["who"]) for g in found}
    assert ("no email", "Nina Nomail") in problems
    assert ("relay", "(none)") in problems


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"host": "relay.council.example", "tls": "none"}, "only for a relay on 127.0.0.1"),
        ({"username": "qaudit"}, "needs a password"),
        ({"from": "QA <qa@council.example>"}, "policy key 'notify.from'"),
        ({"reply_to": "qa-team@council"}, "policy key 'notify.reply_to'"),
        ({"password_file": "PASSWORD_FILE", "username": "qaudit"}, "chmod 600"),
    ],
)
def test_relay_settings_it_refuses(
    office: Cli, tmp_path: Path, smtp_relay: SmtpRelay, settings: dict[str, Any], words: str
) -> None:
    if settings.get("password_file") == "PASSWORD_FILE":
        secret = tmp_path / "relay-password"
        secret.write_text(PASSWORD + "\n")
        secret.chmod(0o644)
        settings = {**settings, "password_file": str(secret)}
    config = policy(tmp_path, smtp_relay, **{"tls": "none", **settings})
    before = snapshot(office.url)
    refused = notify(office, config)
    assert refused.exit_code == 1 and words in refused.stderr, refused.stderr
    assert PASSWORD not in refused.stderr
    assert snapshot(office.url) == before and smtp_relay.messages == []


def test_a_password_file_only_its_owner_reads_logs_in(
    office: Cli, tmp_path: Path, smtp_tls: SmtpRelay
) -> None:
    secret = tmp_path / "relay-password"
    secret.write_text(PASSWORD + "\n")
    secret.chmod(0o600)
    smtp_tls.credentials = ("qaudit", PASSWORD)
    config = policy(tmp_path, smtp_tls, username="qaudit", password_file=str(secret))
    assert "QAUDIT_SMTP_PASSWORD" not in os.environ
    done = notify(office, config)
    assert done.exit_code == 0, done.stderr
    assert len(smtp_tls.messages) == 4


def test_staff_emails_are_checked_and_listed(cli: Cli, tmp_path: Path) -> None:
    bad = [["name", "role", "team", "email"], ["Ann Auditor", "auditor", "QA", "ann@council"]]
    refused = cli("staff", "import", str(write_csv(tmp_path / "bad.csv", bad)))
    assert refused.exit_code == 1
    assert "bad.csv, line 2, column 4 (email): 'ann@council' has a domain" in refused.stderr
    assert cli("staff", "import", str(write_csv(tmp_path / "s.csv", STAFF))).exit_code == 0
    listed = cli("staff", "list", "--format", "json").json()
    assert isinstance(listed, list)
    emails = {row["name"]: row["email"] for row in listed}
    assert emails["Ann Auditor"] == "ann.auditor@council.example"
    assert emails["Nina Nomail"] is None
    # A file without the column leaves addresses as they are; a blank cell clears one.
    plain = [["name", "role", "team"], ["Ann Auditor", "auditor", "Quality Assurance"]]
    assert cli("staff", "import", str(write_csv(tmp_path / "p.csv", plain))).exit_code == 0
    cleared = [["name", "role", "team", "email"], ["Tess Manager", "team_manager", "Team A", ""]]
    assert cli("staff", "import", str(write_csv(tmp_path / "x.csv", cleared))).exit_code == 0
    after = {row["name"]: row["email"] for row in cli("staff", "list", "-f", "json").json()}  # type: ignore[union-attr]
    assert after["Ann Auditor"] == "ann.auditor@council.example"
    assert after["Tess Manager"] is None


def test_two_runs_at_once_do_not_send_the_same_reminder_twice(
    office: Cli, tmp_path: Path, smtp_relay: SmtpRelay
) -> None:
    """A plan made before another run sent its messages: each is read again just before it
    goes, and what the other run sent is left out."""
    from conftest import make_context
    from qaudit.config import load_policy
    from qaudit.mail.transport import SmtpTransport
    from qaudit.services.notify import plan_notices, relay_settings, send_notices
    from qaudit.store.engine import Store

    config = policy(tmp_path, smtp_relay, tls="none")
    ctx = make_context("2026-12-01T07:00")
    ctx = type(ctx)(ctx.user, ctx.now, ctx.recorded_at, load_policy(config))
    store = Store(office.url)
    try:
        stale = plan_notices(store=store, ctx=ctx)
        assert len(stale.digests) == 4
        first = notify(office, config, "--to", "Tess Manager")  # the other run
        assert first.exit_code == 0, first.stderr
        settings = relay_settings(ctx.policy.notify, environ={})
        relay = SmtpTransport(settings)
        outcome = send_notices(
            store=store, ctx=ctx, plan=stale, transport=relay, sender=settings.sender
        )
    finally:
        store.dispose()
    assert outcome.complete and len(outcome.sent) == 3
    recipients = [m.rcpt_tos[0] for m in smtp_relay.messages]
    assert recipients.count("tess.manager@council.example") == 1 and len(recipients) == 4
    assert sent_rows(office) == 4


def test_history_of_someone_unknown_is_refused(office: Cli) -> None:
    refused = office("notify", "--history", "--to", "Nobody Here")
    assert refused.exit_code == 1
    assert "Error: no one called 'Nobody Here' is on the staff list" in refused.stderr
    empty = office("notify", "--history", "--format", "json").json()
    assert empty == []


def test_check_tries_the_relay_without_sending(
    office: Cli, tmp_path: Path, smtp_tls: SmtpRelay, refusing_port: int
) -> None:
    config = policy(tmp_path, smtp_tls)
    found = notify(office, config, "--check", "--format", "json").json()
    assert isinstance(found, list)
    assert {g["problem"] for g in found} == {"no email"}  # Nina; the relay answers
    assert smtp_tls.messages == []
    down = policy(tmp_path, smtp_tls, port=refusing_port)
    found = notify(office, down, "--check", "--format", "json").json()
    assert isinstance(found, list)
    (relay,) = [g for g in found if g["problem"] == "relay"]
    assert relay["who"] == f"127.0.0.1:{refusing_port}"
    assert "refused the connection" in relay["detail"]


def test_a_store_that_fails_after_the_relay_took_a_message_says_so(
    office: Cli, tmp_path: Path, smtp_relay: SmtpRelay, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The relay accepted the second message but its record could not be written (the store
    busy past its timeout, say): the run stops, and says that message may go again."""
    import qaudit.services.notify as service
    from qaudit.errors import StoreError

    real = service._record
    calls: list[str] = []

    def record_then_fail(*args: Any, **kwargs: Any) -> None:
        calls.append("record")
        if len(calls) == 2:
            raise StoreError("the store is busy (another command is writing); try again")
        real(*args, **kwargs)

    monkeypatch.setattr(service, "_record", record_then_fail)
    config = policy(tmp_path, smtp_relay, tls="none")
    failed = notify(office, config)
    assert failed.exit_code == 1
    (line,) = [x for x in failed.stderr.splitlines() if x.startswith("Error:")]
    assert line.startswith("Error: the store is busy")
    assert "sent 2 of 4 messages (Hal Head, Quinn Lead); not sent: Tess Manager, Val Voice" in line
    assert "The message to Quinn Lead went but could not be recorded: it may be sent" in line
    assert len(smtp_relay.messages) == 2 and sent_rows(office) == 1


@pytest.mark.parametrize("today", ["2026-12-05T07:00", "2026-12-25T07:00"])  # Sat; Christmas
def test_no_reminders_on_a_day_no_one_works_but_urgent_concerns_still_go(
    office: Cli, tmp_path: Path, smtp_relay: SmtpRelay, today: str
) -> None:
    config = policy(tmp_path, smtp_relay, tls="none")
    quiet_day = notify(office, config, today=today)
    assert quiet_day.exit_code == 0, quiet_day.stderr
    assert "is not a working day: no reminders today" in quiet_day.stderr
    assert smtp_relay.messages == [] and sent_rows(office) == 0
    urgent = notify(office, config, "--urgent", today=today)
    assert urgent.exit_code == 0, urgent.stderr
    assert [m.rcpt_tos for m in smtp_relay.messages] == [["val.voice@council.example"]]

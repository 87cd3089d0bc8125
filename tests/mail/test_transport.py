"""The SMTP transport against a real relay on 127.0.0.1 (tests/smtp_server.py): what arrives,
and each way a relay fails, as one MailError of the right kind that never shows the password."""

from __future__ import annotations

import pickle
import socket
import time
from dataclasses import replace
from email.message import EmailMessage

import pytest
from tests.smtp_server import SmtpRelay

from qaudit.mail.transport import (
    MailError,
    SmtpSettings,
    SmtpTransport,
    Transport,
    check_settings,
)

SENDER = "qaudit@council.example"
PASSWORD = "s3cret-Pa55word"
NOT_IN_CLEAR = (
    "tls = none is allowed only for a relay on 127.0.0.1 (or ::1, localhost); "
    "a relay on the network needs starttls or ssl"
)


def settings_for(relay: SmtpRelay, tls: str = "starttls", **changes: object) -> SmtpSettings:
    settings = SmtpSettings(
        host=relay.host, port=relay.port, tls=tls, sender=SENDER, ca_file=relay.ca_file
    )
    return replace(settings, **changes)  # type: ignore[arg-type]


def reminder(
    to: str = "team.lead@council.example", body: str = "Audit A-17 is due.\n"
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Quality audit <{SENDER}>"
    message["To"] = to
    message["Subject"] = "Your audits this week"
    message.set_content(body)
    return message


def flattened(message: EmailMessage) -> bytes:
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


def test_a_message_over_starttls_arrives_intact_for_the_envelope_recipient(
    smtp_tls: SmtpRelay,
) -> None:
    # The To header names someone else: the envelope recipient given is the one used.
    message = reminder(body="Owed: £5 of follow-up.\n.A line that starts with a dot\n")
    message["Bcc"] = "hidden@council.example"
    transport: Transport = SmtpTransport(settings_for(smtp_tls))
    with transport as relay:
        reply = relay.send(message, "j.bloggs@council.example")
    assert reply == "250 2.0.0 Ok: queued as 00001"
    (received,) = smtp_tls.messages
    assert received.rcpt_tos == ["j.bloggs@council.example"]
    assert received.mail_from == SENDER
    assert received.mail_options == ["BODY=8BITMIME"]  # the £, sent as 8-bit UTF-8
    assert received.tls
    assert message["Bcc"] == "hidden@council.example"  # the caller's message is untouched
    del message["Bcc"]
    assert received.content == flattened(message)
    assert received.message["Subject"] == "Your audits this week"
    assert received.message["To"] == "team.lead@council.example"
    assert transport.description == f"the mail relay 127.0.0.1:{smtp_tls.port} (STARTTLS)"


def test_implicit_tls_and_a_plain_loopback_relay_send_too(
    smtp_ssl: SmtpRelay, smtp_relay: SmtpRelay
) -> None:
    for relay, tls in ((smtp_ssl, "ssl"), (smtp_relay, "none")):
        with SmtpTransport(settings_for(relay, tls)) as transport:
            assert transport.send(reminder(), "a@council.example").startswith("250 ")
        (received,) = relay.messages
        assert received.tls == (tls == "ssl")
        assert received.content == flattened(reminder())


def test_login_when_the_relay_requires_it(smtp_tls: SmtpRelay) -> None:
    smtp_tls.credentials = ("qaudit", PASSWORD)
    with SmtpTransport(settings_for(smtp_tls, username="qaudit", password=PASSWORD)) as relay:
        relay.send(reminder(), "a@council.example")
    assert [m.login for m in smtp_tls.messages] == ["qaudit"]


def test_a_wrong_password_is_an_auth_error_without_the_password(smtp_tls: SmtpRelay) -> None:
    smtp_tls.credentials = ("qaudit", "the-right-one")
    settings = settings_for(smtp_tls, username="qaudit", password=PASSWORD)
    with pytest.raises(MailError) as caught:
        SmtpTransport(settings).__enter__()
    error = caught.value
    assert (error.kind, error.fatal) == ("auth", True)
    assert str(error) == (
        f"the mail relay 127.0.0.1:{smtp_tls.port} refused the login for 'qaudit' "
        "(535 5.7.8 Authentication credentials invalid)"
    )
    for text in (str(error), repr(error), repr(settings)):
        assert PASSWORD not in text
        assert "Traceback" not in text
    assert smtp_tls.messages == []


def test_no_login_where_one_is_required_is_an_auth_error(smtp_tls: SmtpRelay) -> None:
    smtp_tls.credentials = ("qaudit", PASSWORD)
    with SmtpTransport(settings_for(smtp_tls)) as relay:
        with pytest.raises(MailError, match=r"requires a login \(530 ") as caught:
            relay.send(reminder(), "a@council.example")
    assert caught.value.kind == "auth"


def test_a_relay_without_starttls_gets_nothing(smtp_tls: SmtpRelay, smtp_relay: SmtpRelay) -> None:
    smtp_tls.starttls = False
    for relay in (smtp_tls, smtp_relay):
        settings = settings_for(relay, ca_file=smtp_tls.ca_file)
        with pytest.raises(MailError) as caught:
            with SmtpTransport(settings) as transport:
                transport.send(reminder(), "a@council.example")
        assert caught.value.kind == "tls"
        assert str(caught.value) == (
            f"the mail relay 127.0.0.1:{relay.port} does not offer STARTTLS; "
            "qaudit will not send in clear"
        )
        assert relay.messages == []


def test_a_certificate_from_an_unknown_authority_is_refused(
    smtp_tls: SmtpRelay, smtp_ssl: SmtpRelay
) -> None:
    for relay, tls in ((smtp_tls, "starttls"), (smtp_ssl, "ssl")):
        with pytest.raises(MailError) as caught:
            SmtpTransport(settings_for(relay, tls, ca_file=None)).__enter__()
        assert caught.value.kind == "tls"
        assert str(caught.value) == (
            f"the mail relay 127.0.0.1:{relay.port} presented a certificate that does not "
            "verify (unable to get local issuer certificate); qaudit will not send to it"
        )
        assert relay.messages == []


def test_implicit_tls_to_a_plain_relay_is_a_tls_error(smtp_relay: SmtpRelay) -> None:
    with pytest.raises(MailError, match="the TLS handshake with the mail relay") as caught:
        SmtpTransport(settings_for(smtp_relay, "ssl")).__enter__()
    assert caught.value.kind == "tls"


def test_a_relay_that_is_down(refusing_port: int) -> None:
    settings = SmtpSettings("127.0.0.1", refusing_port, "none", SENDER)
    with pytest.raises(MailError) as caught:
        SmtpTransport(settings).__enter__()
    assert (caught.value.kind, caught.value.fatal) == ("connect", True)
    assert str(caught.value) == (
        f"the mail relay 127.0.0.1:{refusing_port} refused the connection (Connection refused)"
    )


def test_a_relay_name_that_does_not_resolve(monkeypatch: pytest.MonkeyPatch) -> None:
    # The lookup fails as a resolver would, without asking one: the tests use no network
    # beyond 127.0.0.1.
    def no_such_name(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)
    settings = SmtpSettings("relay.invalid", 587, "starttls", SENDER)
    with pytest.raises(MailError, match=r"^the mail relay relay\.invalid:587 cannot be found"):
        SmtpTransport(settings).__enter__()


def test_a_relay_that_never_greets_times_out(silent_port: int) -> None:
    settings = SmtpSettings("127.0.0.1", silent_port, "none", SENDER, timeout=0.3)
    with pytest.raises(MailError) as caught:
        SmtpTransport(settings).__enter__()
    assert caught.value.kind == "timeout"
    assert str(caught.value) == (
        f"the mail relay 127.0.0.1:{silent_port} timed out after 0.3 s waiting for the greeting"
    )


def test_a_refused_recipient_stops_only_its_own_message(smtp_tls: SmtpRelay) -> None:
    smtp_tls.refuse_nth = 3
    smtp_tls.refuse = {"left@council.example"}
    recipients = [f"person{n}@council.example" for n in range(1, 5)]
    replies: list[str] = []
    with SmtpTransport(settings_for(smtp_tls)) as relay:
        for n, recipient in enumerate(recipients, start=1):
            if n == 3:
                with pytest.raises(MailError) as caught:
                    relay.send(reminder(), recipient)
                continue
            replies.append(relay.send(reminder(), recipient))
        with pytest.raises(MailError, match=r"refused the recipient 'left@council\.example'"):
            relay.send(reminder(), "left@council.example")
        with pytest.raises(MailError, match="'not an address': that is not a plain email address"):
            relay.send(reminder(), "not an address")
        replies.append(relay.send(reminder(), "last@council.example"))
    error = caught.value
    assert (error.kind, error.fatal) == ("recipient", False)
    assert str(error) == (
        f"the mail relay 127.0.0.1:{smtp_tls.port} refused the recipient "
        "'person3@council.example' (550 5.1.1 <person3@council.example>: Recipient address "
        "rejected: User unknown)"
    )
    assert [m.rcpt_tos for m in smtp_tls.messages] == [
        ["person1@council.example"],
        ["person2@council.example"],
        ["person4@council.example"],
        ["last@council.example"],
    ]
    assert len({m.peer for m in smtp_tls.messages}) == 1  # one connection throughout
    assert all(reply.startswith("250 2.0.0 Ok: queued as") for reply in replies)


def test_a_relay_that_hangs_after_data_times_out_and_the_transport_stops(
    smtp_tls: SmtpRelay,
) -> None:
    smtp_tls.hang_on_data = 2
    started = time.monotonic()
    with SmtpTransport(settings_for(smtp_tls, timeout=0.5)) as relay:
        with pytest.raises(MailError) as caught:
            relay.send(reminder(), "a@council.example")
        with pytest.raises(MailError, match=r"not connected to .* after the earlier error"):
            relay.send(reminder(), "b@council.example")
    assert time.monotonic() - started < 1.5
    assert (caught.value.kind, caught.value.fatal) == ("timeout", True)
    assert str(caught.value) == (
        f"the mail relay 127.0.0.1:{smtp_tls.port} timed out after 0.5 s "
        "waiting for the reply to DATA"
    )


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"host": "smtp.council.example", "tls": "none"}, NOT_IN_CLEAR),
        ({"host": "10.0.0.25", "tls": "none"}, NOT_IN_CLEAR),
        ({"tls": "tls"}, "the TLS mode must be starttls, ssl or none, not 'tls'"),
        ({"tls": "STARTTLS"}, "the TLS mode must be starttls, ssl or none, not 'STARTTLS'"),
        ({"username": "qaudit"}, "a user name ('qaudit') is set but no password"),
        ({"password": PASSWORD}, "a password is set but no user name"),
        ({"username": "qaudit", "password": "pa£s"}, "the password is not plain ASCII"),
        ({"port": 0}, "the port must be a number from 1 to 65535, not 0"),
        ({"port": 65536}, "the port must be a number from 1 to 65535, not 65536"),
        ({"sender": "qaudit"}, "the sender 'qaudit' is not a plain email address"),
        ({"timeout": 0}, "the timeout must be more than 0 seconds, not 0"),
        ({"ca_file": "/nonexistent/ca.pem"}, "the CA file '/nonexistent/ca.pem' does not exist"),
    ],
)  # fmt: skip
def test_settings_that_cannot_work_are_refused(changes: dict[str, object], problem: str) -> None:
    settings = replace(SmtpSettings("smtp.council.example", 587, "starttls", SENDER), **changes)  # type: ignore[arg-type]
    with pytest.raises(MailError) as caught:
        check_settings(settings)
    assert (caught.value.kind, caught.value.fatal) == ("config", True)
    assert str(caught.value) == f"the mail relay {settings.host}:{settings.port}: {problem}"
    assert PASSWORD not in str(caught.value)
    with pytest.raises(MailError):
        SmtpTransport(settings)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"])
def test_tls_none_is_allowed_on_this_machine(host: str) -> None:
    check_settings(SmtpSettings(host, 25, "none", SENDER))


def test_the_password_is_never_shown() -> None:
    settings = SmtpSettings(
        "smtp.council.example", 587, "starttls", SENDER, username="qaudit", password=PASSWORD
    )
    transport = SmtpTransport(settings)
    for text in (repr(settings), str(settings), repr(transport), transport.description):
        assert PASSWORD not in text
    assert "username='qaudit'" in repr(settings)


def test_a_mail_error_survives_pickling() -> None:
    error = pickle.loads(pickle.dumps(MailError("the mail relay x:25 said no", kind="recipient")))
    assert (str(error), error.kind, error.fatal) == (
        "the mail relay x:25 said no",
        "recipient",
        False,
    )


def test_leaving_never_raises_and_sending_outside_the_block_is_refused(
    smtp_relay: SmtpRelay,
) -> None:
    transport = SmtpTransport(settings_for(smtp_relay, "none"))
    transport.__exit__(None, None, None)  # never entered
    with pytest.raises(MailError, match="not connected to the mail relay") as caught:
        transport.send(reminder(), "a@council.example")
    assert caught.value.kind == "connect"
    with transport:
        smtp_relay.stop()  # the relay goes away before qaudit says goodbye


def test_a_relay_that_goes_away_midway(smtp_relay: SmtpRelay) -> None:
    with SmtpTransport(settings_for(smtp_relay, "none")) as relay:
        relay.send(reminder(), "a@council.example")
        smtp_relay.stop()
        with pytest.raises(MailError) as caught:
            relay.send(reminder(), "b@council.example")
    assert (caught.value.kind, caught.value.fatal) == ("connect", True)
    assert str(caught.value) == (
        f"the mail relay 127.0.0.1:{smtp_relay.port} closed the connection while qaudit was "
        "waiting for the reply to MAIL FROM"
    )

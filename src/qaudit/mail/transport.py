"""Handing reminder emails to the council's SMTP relay: one connection, the relay's certificate
verified, each message to the one envelope recipient it is given.

    with SmtpTransport(settings) as relay:
        reply = relay.send(message, "j.bloggs@council.example")  # "250 2.0.0 Ok: queued as …"
"""

from __future__ import annotations

import contextlib
import copy
import io
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from email.generator import BytesGenerator
from email.message import EmailMessage
from pathlib import Path
from typing import Literal, Protocol, Self

from qaudit.domain.policy import TLS_MODES, is_loopback
from qaudit.errors import QauditError

_MODE_LABELS = {"starttls": "STARTTLS", "ssl": "TLS", "none": "no TLS"}
REPLY_LIMIT = 200
"""A relay's reply quoted in a message is cut to this many characters: one readable line."""

MailErrorKind = Literal["config", "connect", "tls", "auth", "recipient", "timeout", "protocol"]


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to hand messages over. ``ca_file`` (a PEM bundle) replaces the system's
    trusted authorities: a council relay's certificate is often from its own CA."""

    host: str
    port: int
    tls: str  # one of TLS_MODES
    sender: str  # the envelope MAIL FROM, and the From header's address
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0  # seconds, for each wait: connecting, each reply
    ca_file: str | None = None


class MailError(QauditError):
    """The relay did not take a message, or qaudit would not hand it over.

    ``kind`` is one of 'config', 'connect', 'tls', 'auth', 'recipient', 'timeout', 'protocol'.
    Only a refused recipient is not ``fatal``: that one message was not sent, and the
    connection stays usable for the others. After a fatal error the transport sends nothing."""

    def __init__(self, message: str, *, kind: MailErrorKind) -> None:
        super().__init__(message)
        self.kind: MailErrorKind = kind
        self.fatal = kind != "recipient"

    def __reduce__(self) -> tuple[object, ...]:
        return (_mail_error, (self.message, self.kind))


def _mail_error(message: str, kind: MailErrorKind) -> MailError:
    return MailError(message, kind=kind)


class Transport(Protocol):
    """A way to send: connected on entering, polite on leaving, one message per ``send``."""

    description: str  # "the mail relay HOST:PORT (STARTTLS)"

    def __enter__(self) -> Transport: ...

    def __exit__(self, *exc: object) -> None: ...

    def send(self, message: EmailMessage, recipient: str) -> str: ...


def relay_name(settings: SmtpSettings) -> str:
    """The relay as every message names it: "the mail relay HOST:PORT"."""
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    return f"the mail relay {host}:{settings.port}"


def check_settings(settings: SmtpSettings) -> None:
    """Refuse (MailError, kind 'config') settings that cannot work or would send in clear."""
    where = relay_name(settings)

    def refuse(problem: str) -> MailError:
        return MailError(f"{where}: {problem}", kind="config")

    if not settings.host.strip():
        raise MailError("the mail relay's host is empty", kind="config")
    if type(settings.port) is not int or not 1 <= settings.port <= 65535:
        raise refuse(f"the port must be a number from 1 to 65535, not {settings.port!r}")
    if settings.tls not in TLS_MODES:
        raise refuse(f"the TLS mode must be starttls, ssl or none, not {settings.tls!r}")
    if settings.tls == "none" and not is_loopback(settings.host):
        raise refuse(
            "tls = none is allowed only for a relay on 127.0.0.1 (or ::1, localhost); "
            "a relay on the network needs starttls or ssl"
        )
    if not _is_address(settings.sender):
        raise refuse(f"the sender {settings.sender!r} is not a plain email address")
    if settings.username and not settings.password:
        raise refuse(f"a user name ({settings.username!r}) is set but no password")
    if settings.password and not settings.username:
        raise refuse("a password is set but no user name")
    # smtplib sends the login as ASCII; it would fail half-way through AUTH instead.
    if settings.username and not settings.username.isascii():
        raise refuse(f"the user name {settings.username!r} is not plain ASCII")
    if settings.password and not settings.password.isascii():
        raise refuse("the password is not plain ASCII")
    if not settings.timeout > 0:
        raise refuse(f"the timeout must be more than 0 seconds, not {settings.timeout!r}")
    if settings.ca_file is not None and not Path(settings.ca_file).is_file():
        raise refuse(f"the CA file {settings.ca_file!r} does not exist")


class SmtpTransport:
    """The council's relay, over smtplib. Not thread-safe; one ``with`` block per run."""

    def __init__(self, settings: SmtpSettings) -> None:
        check_settings(settings)
        self.settings = settings
        self.description = f"{relay_name(settings)} ({_MODE_LABELS[settings.tls]})"
        self._where = relay_name(settings)
        self._smtp: smtplib.SMTP | None = None
        self._failed = False
        self._step = "connect"  # what qaudit is waiting for, named in a timeout's message

    def __repr__(self) -> str:
        return f"<SmtpTransport {self.description}>"

    def __enter__(self) -> Self:
        if self._smtp is not None:
            raise RuntimeError(f"already connected to {self._where}")
        self._failed = False
        try:
            self._open()
        except MailError:
            self._drop()
            raise
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            raise self._translate(exc) from exc
        return self

    def __exit__(self, *exc: object) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        # Leaving must not replace the error being reported (or lose a run's record of what
        # was sent) because the relay would not say goodbye.
        with contextlib.suppress(Exception):
            smtp.quit()
        with contextlib.suppress(Exception):
            smtp.close()

    def send(self, message: EmailMessage, recipient: str) -> str:
        """Hand ``message`` over for ``recipient`` (the envelope's only RCPT TO; the To header
        is not read). Returns the relay's reply to DATA, e.g. "250 2.0.0 Ok: queued as 4F1A2"."""
        smtp = self._connected()
        if not _is_address(recipient):
            raise MailError(
                f"{self._where} was not given the message to {recipient!r}: "
                "that is not a plain email address",
                kind="recipient",
            )
        payload = _flatten(message)
        options = ["BODY=8BITMIME"] if not payload.isascii() and smtp.has_extn("8bitmime") else []
        try:
            self._step = "MAIL FROM"
            code, reply = smtp.mail(self.settings.sender, options)
            if code != 250:
                raise self._refusal("MAIL FROM", code, reply)
            self._step = "RCPT TO"
            code, reply = smtp.rcpt(recipient)
            if code not in (250, 251):
                refusal = self._refusal("RCPT TO", code, reply, recipient=recipient)
                if not refusal.fatal:
                    self._step = "RSET"
                    reset, answer = smtp.rset()  # so the next message starts a fresh envelope
                    if reset != 250:
                        raise self._refusal("RSET", reset, answer)
                raise refusal
            self._step = "DATA"
            code, reply = smtp.data(payload)
            if code != 250:
                raise self._refusal("DATA", code, reply, recipient=recipient)
        except MailError as error:
            if error.fatal:
                self._drop()
            raise
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            raise self._translate(exc) from exc
        return self._reply(code, reply)

    # -- connecting

    def _open(self) -> None:
        settings = self.settings
        context = None if settings.tls == "none" else self._tls_context()
        self._step = "greeting"
        if settings.tls == "ssl":
            self._smtp = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=context
            )
        else:
            self._smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        smtp = self._smtp
        if settings.tls == "starttls":
            self._ehlo(smtp)
            if not smtp.has_extn("starttls"):
                raise MailError(
                    f"{self._where} does not offer STARTTLS; qaudit will not send in clear",
                    kind="tls",
                )
            self._step = "STARTTLS"
            try:
                smtp.starttls(context=context)
            except smtplib.SMTPResponseException as exc:
                raise MailError(
                    f"{self._where} refused STARTTLS ({self._reply(exc.smtp_code, exc.smtp_error)})"
                    "; qaudit will not send in clear",
                    kind="tls",
                ) from exc
            self._ehlo(smtp)  # the extensions offered before TLS are forgotten (RFC 3207)
        else:
            self._step = "EHLO"
            smtp.ehlo_or_helo_if_needed()
        if settings.username:
            self._login(smtp, settings.username, settings.password or "")

    def _tls_context(self) -> ssl.SSLContext:
        # Certificate and host name always verified: a relay that cannot prove who it is
        # does not get the council's mail.
        try:
            return ssl.create_default_context(cafile=self.settings.ca_file)
        except OSError as exc:  # ssl.SSLError too
            why = getattr(exc, "reason", None) or exc.strerror or str(exc)
            raise MailError(
                f"{self._where}: the CA file {self.settings.ca_file!r} cannot be used ({why})",
                kind="config",
            ) from exc

    def _ehlo(self, smtp: smtplib.SMTP) -> None:
        self._step = "EHLO"
        code, reply = smtp.ehlo()
        if code != 250:
            raise self._refusal("EHLO", code, reply)

    def _login(self, smtp: smtplib.SMTP, username: str, password: str) -> None:
        self._step = "AUTH"
        try:
            smtp.login(username, password)
        except smtplib.SMTPServerDisconnected:
            raise
        except smtplib.SMTPAuthenticationError as exc:
            reply = self._reply(exc.smtp_code, exc.smtp_error)
            raise MailError(
                f"{self._where} refused the login for {username!r} ({reply})", kind="auth"
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise MailError(
                f"{self._where} does not offer a login (no AUTH after EHLO), "
                f"though a user name ({username!r}) is set",
                kind="auth",
            ) from exc
        except smtplib.SMTPException as exc:  # "No suitable authentication method found."
            raise MailError(
                f"{self._where} refused the login for {username!r} ({self._clean(str(exc))})",
                kind="auth",
            ) from exc

    # -- after a failure

    def _connected(self) -> smtplib.SMTP:
        if self._smtp is None:
            after = " after the earlier error" if self._failed else ""
            raise MailError(f"qaudit is not connected to {self._where}{after}", kind="connect")
        return self._smtp

    def _drop(self) -> None:
        """A fatal error: the connection is closed and this transport sends nothing more."""
        smtp, self._smtp = self._smtp, None
        self._failed = True
        if smtp is not None:
            with contextlib.suppress(Exception):
                smtp.close()

    def _refusal(
        self, command: str, code: int, reply: bytes | str, *, recipient: str | None = None
    ) -> MailError:
        """A reply other than the one asked for, as the error it means."""
        text = self._reply(code, reply)
        if code == 421:  # the relay is closing the connection (RFC 5321 3.8)
            return MailError(f"{self._where} is closing the connection ({text})", kind="connect")
        if code == 530:
            return MailError(f"{self._where} requires a login ({text})", kind="auth")
        if command == "RCPT TO" and recipient is not None:
            when = " for now" if 400 <= code < 500 else ""
            return MailError(
                f"{self._where} refused the recipient {recipient!r}{when} ({text})",
                kind="recipient",
            )
        if command == "DATA" and recipient is not None:
            return MailError(
                f"{self._where} refused the message to {recipient!r} ({text})", kind="protocol"
            )
        return MailError(f"{self._where} answered {command} with {text}", kind="protocol")

    def _translate(self, exc: BaseException) -> MailError:
        """smtplib's and the socket's exceptions, as one line naming the relay."""
        where = self._where
        waiting = _waiting(self._step, exc)
        if isinstance(exc, ssl.SSLCertVerificationError):
            return MailError(
                f"{where} presented a certificate that does not verify "
                f"({exc.verify_message or exc.reason}); qaudit will not send to it",
                kind="tls",
            )
        if isinstance(exc, ssl.SSLError):
            return MailError(
                f"the TLS handshake with {where} failed ({exc.reason or exc})", kind="tls"
            )
        if _timed_out(exc):
            seconds = f"{self.settings.timeout:g}"
            return MailError(
                f"{where} timed out after {seconds} s waiting {waiting}", kind="timeout"
            )
        if isinstance(exc, smtplib.SMTPServerDisconnected | ConnectionError) and not isinstance(
            exc, ConnectionRefusedError
        ):
            return MailError(
                f"{where} closed the connection while qaudit was waiting {waiting}",
                kind="connect",
            )
        if isinstance(exc, smtplib.SMTPConnectError):
            return MailError(
                f"{where} refused the connection ({self._reply(exc.smtp_code, exc.smtp_error)})",
                kind="connect",
            )
        if isinstance(exc, smtplib.SMTPResponseException):
            return self._refusal(self._step, exc.smtp_code, exc.smtp_error)
        if isinstance(exc, smtplib.SMTPException):
            return MailError(f"{where}: {self._clean(str(exc))} ({self._step})", kind="protocol")
        if isinstance(exc, socket.gaierror):
            return MailError(f"{where} cannot be found ({exc.strerror or exc})", kind="connect")
        if isinstance(exc, ConnectionRefusedError):
            return MailError(
                f"{where} refused the connection ({exc.strerror or exc})", kind="connect"
            )
        assert isinstance(exc, OSError)
        return MailError(f"{where} cannot be reached ({exc.strerror or exc})", kind="connect")

    def _reply(self, code: int, reply: bytes | str) -> str:
        """A relay's reply as one line of text: "250 2.0.0 Ok: queued as 4F1A2"."""
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
        return self._clean(f"{code} {text}")

    def _clean(self, text: str) -> str:
        line = " ".join(text.split())
        line = "".join(ch if ch.isprintable() else "?" for ch in line)
        if self.settings.password:  # a relay that echoes what it was sent
            line = line.replace(self.settings.password, "***")
        return line if len(line) <= REPLY_LIMIT else line[: REPLY_LIMIT - 1] + "…"


def _flatten(message: EmailMessage) -> bytes:
    """The message as sent: CRLF line ends, Bcc left out (as smtplib.send_message does)."""
    sent = copy.copy(message)  # deleting a header rebinds the list: the caller's is untouched
    del sent["Bcc"]
    del sent["Resent-Bcc"]
    buffer = io.BytesIO()
    BytesGenerator(buffer, policy=message.policy.clone(linesep="\r\n")).flatten(sent)
    return buffer.getvalue()


def _waiting(step: str, exc: BaseException) -> str:
    # smtplib connects and reads the greeting in one call: a bare socket timeout is the
    # connection (or its TLS handshake), a disconnect wrapping one is the greeting's wait.
    if step == "connect" or (step == "greeting" and not isinstance(exc, smtplib.SMTPException)):
        return "to connect"
    if step == "greeting":
        return "for the greeting"
    return f"for the reply to {step}"


def _timed_out(exc: BaseException) -> bool:
    """smtplib reports a read that timed out as a disconnect; the timeout is its context."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, TimeoutError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _is_address(text: str) -> bool:
    """Plain ASCII, one line, something@somewhere: what qaudit puts in an envelope."""
    local, at, domain = text.rpartition("@")
    return (
        bool(at and local and domain)
        and text.isascii()
        and text.isprintable()
        and not any(ch in text for ch in " <>,;")
    )

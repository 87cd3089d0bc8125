"""A real SMTP relay on 127.0.0.1 for the mail tests (aiosmtpd, in a thread), its certificate
from a throwaway CA made with the openssl command; knobs for refusals, logins and timeouts.

Fixtures (tests/conftest.py imports them): ``smtp_tls`` (STARTTLS required), ``smtp_ssl``
(TLS from the first byte), ``smtp_relay`` (plain: ``tls="none"`` on 127.0.0.1),
``refusing_port`` (nothing listens: connections refused), ``silent_port`` (accepts, never
speaks) and ``smtp_certificates`` (the CA, per test session and xdist worker).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import secrets
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

import pytest

HOST = "127.0.0.1"
RELAY_NAME = "relay.council.example"  # what the relay calls itself in its greeting

_OPENSSL_CONFIG = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
"""

_SERVER_EXTENSIONS = """\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
"""


@dataclass(frozen=True)
class Certificates:
    """A CA (``ca_file``: what clients trust) and the relay's certificate and key, signed by
    it, for CN=localhost with the names 127.0.0.1 and localhost."""

    ca_file: Path
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


def make_certificates(directory: Path) -> Certificates:
    """EC keys (fast: a few milliseconds), valid for two days, made by /usr/bin/openssl."""
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "openssl.cnf"  # not the machine's: its defaults vary
    config.write_text(_OPENSSL_CONFIG)
    extensions = directory / "server.ext"
    extensions.write_text(_SERVER_EXTENSIONS)
    ca, ca_key = directory / "ca.pem", directory / "ca.key"
    cert, key, request = (directory / name for name in ("server.pem", "server.key", "server.csr"))
    new_key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    commands = [
        ["req", "-config", config, "-x509", *new_key, "-keyout", ca_key, "-out", ca,
         "-days", "2", "-subj", "/CN=qaudit test CA",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign",
         "-addext", "subjectKeyIdentifier=hash"],
        ["req", "-config", config, "-new", *new_key, "-keyout", key, "-out", request,
         "-subj", "/CN=localhost"],
        ["x509", "-req", "-in", request, "-CA", ca, "-CAkey", ca_key,
         "-set_serial", f"0x{secrets.token_hex(8)}", "-days", "2",
         "-extfile", extensions, "-out", cert],
    ]  # fmt: skip
    for command in commands:
        subprocess.run(["openssl", *map(str, command)], check=True, capture_output=True)
    return Certificates(ca_file=ca, cert_file=cert, key_file=key)


@dataclass
class Received:
    """One message the relay accepted: its envelope and its bytes as they arrived."""

    mail_from: str
    rcpt_tos: list[str]
    mail_options: list[str]  # e.g. BODY=8BITMIME
    content: bytes
    message: EmailMessage
    login: str | None  # the user name the client logged in as, if it did
    tls: bool  # whether the message came over TLS
    peer: tuple[str, int]  # the client's address and port: one per connection


class SmtpRelay:
    """An aiosmtpd server on 127.0.0.1 at an ephemeral port.

    Knobs a test may set at any time (they apply from the next command or connection):
    ``refuse`` (addresses refused at RCPT with 550), ``refuse_nth`` (the nth RCPT since the
    last reset is refused, 1-based), ``hang_on_data`` (seconds to wait before answering the
    end of DATA; with ``hang_on_data_nth``, only the nth DATA since the last reset: a relay
    that stops answering midway), ``credentials`` ((user, password): a login is then
    required, offered only over TLS), ``starttls`` (whether STARTTLS is offered).
    ``reset()`` clears them and the received ``messages``; ``rcpt_count`` counts RCPT
    commands."""

    def __init__(
        self,
        *,
        certificates: Certificates | None = None,
        starttls: bool = False,
        implicit_tls: bool = False,
    ) -> None:
        from aiosmtpd.controller import Controller

        if (starttls or implicit_tls) and certificates is None:
            raise ValueError("a TLS relay needs certificates")
        self.host = HOST
        self.ca_file: str | None = str(certificates.ca_file) if certificates else None
        self._offers_starttls = starttls
        self.implicit_tls = implicit_tls
        self.reset()
        self._context = certificates.server_context() if certificates else None
        relay = self

        class _Controller(Controller):  # type: ignore[misc]
            def factory(self) -> Any:
                return relay._new_session()

            def _trigger_server(self) -> None:
                # Bound to port 0: read the port the system chose before aiosmtpd's own
                # start-up check connects to it.
                self.port = self.server.sockets[0].getsockname()[1]
                super()._trigger_server()

        self._handler = _Handler(self)
        self._controller: Any = _Controller(
            self._handler,
            hostname=HOST,
            port=0,
            ssl_context=self._context if implicit_tls else None,
            ready_timeout=10.0,
        )
        self._controller.start()
        self.port: int = self._controller.port

    def reset(self) -> None:
        self.messages: list[Received] = []
        self.rcpt_count = 0
        self.refuse: set[str] = set()
        self.refuse_nth: int | None = None
        self.hang_on_data = 0.0
        self.hang_on_data_nth: int | None = None
        self.data_count = 0
        self.credentials: tuple[str, str] | None = None
        self.starttls = self._offers_starttls

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def _new_session(self) -> Any:
        from aiosmtpd.smtp import SMTP

        return SMTP(
            self._handler,
            hostname=RELAY_NAME,
            tls_context=self._context if self.starttls and not self.implicit_tls else None,
            require_starttls=self.starttls,
            auth_required=self.credentials is not None,
            auth_require_tls=True,
            authenticator=self._authenticate,
            enable_SMTPUTF8=True,
            timeout=30,
            loop=self._controller.loop,  # the loop of aiosmtpd's thread, which calls this
        )

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> Any:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        expected = self.credentials
        if expected is None or not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, password = expected
        given = (auth_data.login, auth_data.password)
        if given != (user.encode(), password.encode()):
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=auth_data)  # kept on the session


class _Handler:
    """aiosmtpd's hooks: RCPT refusals and DATA delays by the relay's knobs."""

    def __init__(self, relay: SmtpRelay) -> None:
        self.relay = relay

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        relay = self.relay
        relay.rcpt_count += 1  # one event loop thread: no lock needed
        refused = {a.lower() for a in relay.refuse}
        if address.lower() in refused or relay.rcpt_count == relay.refuse_nth:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        relay = self.relay
        relay.data_count += 1
        if relay.hang_on_data and relay.hang_on_data_nth in (None, relay.data_count):
            await asyncio.sleep(relay.hang_on_data)
        content = bytes(envelope.original_content)
        message = cast(EmailMessage, email.message_from_bytes(content, policy=email.policy.default))
        transport = server.transport
        login = getattr(session.auth_data, "login", None)  # bytes, after a successful AUTH
        relay.messages.append(
            Received(
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                mail_options=list(envelope.mail_options),
                content=content,
                message=message,
                login=login.decode() if login else None,
                tls=transport is not None and transport.get_extra_info("ssl_object") is not None,
                peer=tuple(session.peer),
            )
        )
        return f"250 2.0.0 Ok: queued as {len(relay.messages):05X}"


def refused_port() -> tuple[socket.socket, int]:
    """A port on 127.0.0.1 where connections are refused: bound (so no one else takes it
    meanwhile) but not listening. Close the socket when done."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((HOST, 0))
    return sock, sock.getsockname()[1]


def silent_server() -> tuple[socket.socket, int]:
    """A port on 127.0.0.1 that accepts connections (the kernel's backlog does) and never
    sends a byte: a relay hung before its greeting. Close the socket when done."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((HOST, 0))
    sock.listen(8)
    return sock, sock.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("smtp-ca"))


@pytest.fixture
def smtp_tls(smtp_certificates: Certificates) -> Iterator[SmtpRelay]:
    """A relay that offers STARTTLS and takes no mail without it."""
    relay = SmtpRelay(certificates=smtp_certificates, starttls=True)
    yield relay
    relay.stop()


@pytest.fixture
def smtp_ssl(smtp_certificates: Certificates) -> Iterator[SmtpRelay]:
    """A relay speaking TLS from the first byte, as on port 465."""
    relay = SmtpRelay(certificates=smtp_certificates, implicit_tls=True)
    yield relay
    relay.stop()


@pytest.fixture
def smtp_relay() -> Iterator[SmtpRelay]:
    """A plain relay, no TLS at all: for ``tls="none"`` on 127.0.0.1."""
    relay = SmtpRelay()
    yield relay
    relay.stop()


@pytest.fixture
def refusing_port() -> Iterator[int]:
    sock, port = refused_port()
    yield port
    sock.close()


@pytest.fixture
def silent_port() -> Iterator[int]:
    sock, port = silent_server()
    yield port
    sock.close()

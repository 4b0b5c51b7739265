"""A real SMTP server on loopback (aiosmtpd) for the tests that send mail, and what it received.

The server keeps what it accepted; a test tells it to refuse an address (550 for good, 450
for now) or stops it. The fixtures `smtp_server` and `smtp` are offered to every test
(tests/conftest.py imports them).
"""

from __future__ import annotations

import email
import re
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller

LINK = re.compile(r"http://[^/\s]+/vote/([A-Za-z0-9_-]+)")


class Inbox:
    """The loopback server's handler: the messages it accepted, and addresses it refuses."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.refuse: dict[str, str] = {}  # address -> the server's answer to RCPT
        self.connections: set[tuple] = set()  # (host, port) of each client connection

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.connections.add(tuple(session.peer))
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        """The messages that reached `address`."""
        return [m for m in self.messages if address in m["To"]]

    def code_for(self, address: str) -> str:
        """The code in the last link `address` received."""
        body = self.to(address)[-1].get_content()
        return LINK.search(body).group(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    """aiosmtpd's Controller on 127.0.0.1 and a free port, which a test can stop and restart."""

    def __init__(self, app) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.controller: Controller | None = None
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=self.port, MAIL_USE_TLS=False)

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server(app):
    """A real SMTP server on loopback, the app's MAIL_SERVER and MAIL_PORT pointed at it."""
    server = SmtpServer(app)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_server) -> Inbox:
    """What the loopback server received."""
    return smtp_server.inbox

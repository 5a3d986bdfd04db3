"""A local SMTP server (aiosmtpd on 127.0.0.1) whose received emails show in the Outbox panel."""

from __future__ import annotations

import socket
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from bot.sandbox.workspace import Email, Workspace

HOST = "127.0.0.1"


def free_port(host: str = HOST) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def to_email(sender: str, recipients: list[str], raw: bytes) -> Email:
    """The parts of a received email the Outbox shows: the plain-text body, else the HTML's."""
    parsed = message_from_bytes(raw, policy=policy.default)
    text = ""
    if isinstance(parsed, EmailMessage):
        body = parsed.get_body(preferencelist=("plain", "html"))
        text = body.get_content().replace("\r\n", "\n") if body is not None else ""
    to = str(parsed.get("To") or ", ".join(recipients))
    return Email(sender, [to], str(parsed.get("Subject") or ""), text, time.time())


class _Handler:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content
        raw = raw if isinstance(raw, bytes) else str(raw).encode()
        email = to_email(str(envelope.mail_from), [str(r) for r in envelope.rcpt_tos], raw)
        self.workspace.receive_email(email)
        self.workspace.log("smtp", f"email to {', '.join(email.to)}", True, email.subject)
        return "250 Message accepted for delivery"


class Outbox:
    """`start()` serves SMTP on 127.0.0.1:`port` (a free port by default); `stop()` ends it."""

    def __init__(self, workspace: Workspace, port: int = 0) -> None:
        try:
            from aiosmtpd.controller import Controller
        except ImportError as exc:  # a dev dependency: `make demo` installs it
            raise RuntimeError("the sandbox's Outbox needs aiosmtpd: pip install aiosmtpd") from exc
        self.port = port or free_port()
        self._controller = Controller(_Handler(workspace), hostname=HOST, port=self.port)

    def start(self) -> Outbox:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

"""Slack's side of Socket Mode on a loopback port, as Slack documents it, for tests to drive.

https://api.slack.com/apis/connections/socket-implement (and
https://docs.slack.dev/apis/events-api/using-socket-mode): the app calls
`apps.connections.open` with its app-level token and gets a `wss://` URL; it opens a
WebSocket there and Slack says `hello`; Slack sends each payload in an envelope
`{"envelope_id", "type": "slash_commands" | "interactive" | "events_api", "payload",
"accepts_response_payload"}` (events also carry `retry_attempt` and `retry_reason`); the app
acknowledges each one with `{"envelope_id", "payload"?}`; before Slack closes a connection it
sends `{"type": "disconnect", "reason": "warning" | "refresh_requested" | "link_disabled"}` and
the app opens a new one.

The WebSocket itself is RFC 6455 written out with the standard library (handshake, frames,
ping/pong, close), so a test can also do what no library would: drop a connection without a
close frame. The URL says `wss://` as Slack's does, on a port that is not 443: slack_sdk's
built-in client then speaks plain TCP ("only for library testing", its
`_establish_new_socket_connection`), so no certificate is needed.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 section 1.3
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA
TICKET = "0123abcd-test-ticket"  # the secret part of the URL apps.connections.open hands out
APP_ID = "A1"
T = TypeVar("T")


@dataclass(frozen=True)
class Ack:
    """An acknowledgement the app sent: which connection it came on, and its payload."""

    envelope_id: str
    connection: int  # 1 for the first connection
    payload: dict[str, Any] | None  # None: the app sent no payload
    at: float = field(default_factory=time.monotonic)


@dataclass
class Connection:
    number: int
    sock: socket.socket
    path: str
    sent: list[dict[str, Any]] = field(default_factory=list)  # what Slack sent on it
    open: bool = True
    ended_by: str = ""  # "client" (closed by the app), "dropped", "close frame"
    send_lock: threading.Lock = field(default_factory=threading.Lock)

    def send_text(self, message: dict[str, Any]) -> None:
        with self.send_lock:
            self.sock.sendall(frame(TEXT, json.dumps(message).encode()))
        self.sent.append(message)


def accept_key(key: str) -> str:
    """Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 section 4.2.2)."""
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


def frame(opcode: int, payload: bytes) -> bytes:
    """One final, unmasked frame, as a server sends them (RFC 6455 section 5.2)."""
    head = bytes([0x80 | opcode])
    size = len(payload)
    if size < 126:
        head += bytes([size])
    elif size < 1 << 16:
        head += bytes([126]) + struct.pack("!H", size)
    else:
        head += bytes([127]) + struct.pack("!Q", size)
    return head + payload


def read_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise EOFError("the peer closed the connection")
        data += chunk
    return data


def read_frame(sock: socket.socket) -> tuple[int, bytes]:
    """The next frame from the client: (opcode, unmasked payload). Clients mask every frame."""
    first, second = read_exactly(sock, 2)
    size = second & 0x7F
    if size == 126:
        (size,) = struct.unpack("!H", read_exactly(sock, 2))
    elif size == 127:
        (size,) = struct.unpack("!Q", read_exactly(sock, 8))
    mask = read_exactly(sock, 4) if second & 0x80 else b"\0\0\0\0"
    data = read_exactly(sock, size)
    return first & 0x0F, bytes(b ^ mask[i % 4] for i, b in enumerate(data))


class SocketModeServer:
    """Accepts the app's WebSocket connections at `url` and records what it acknowledges.

    `send()` delivers an envelope on the newest open connection, `disconnect()` asks the app
    to reconnect, `drop()` closes the newest connection's TCP socket without a close frame.
    Every wait is on a condition with a deadline, never a sleep.
    """

    def __init__(self, app_id: str = APP_ID) -> None:
        self.app_id = app_id
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.connections: list[Connection] = []
        self.acks: list[Ack] = []
        self.refused: list[str] = []  # handshakes refused (a wrong ticket or path)
        self.changed = threading.Condition()
        self.stopped = False
        threading.Thread(target=self._accept, name="socket-mode", daemon=True).start()

    @property
    def url(self) -> str:
        """What apps.connections.open answers: Slack's shape, this server's address."""
        return f"wss://127.0.0.1:{self.port}/link/?ticket={TICKET}&app_id={self.app_id}"

    # -- what a test does -------------------------------------------------------------------

    def wait_connection(self, number: int, timeout: float = 15.0) -> Connection:
        """Connection `number` (1 = the first) once its `hello` was sent."""
        return self._wait(lambda: self._connection_said_hello(number), timeout,
                          f"connection {number}")  # fmt: skip

    def wait_closed(self, number: int, timeout: float = 10.0) -> Connection:
        return self._wait(lambda: self._closed(number), timeout, f"connection {number} closed")

    def send(self, envelope: dict[str, Any]) -> str:
        """Deliver `envelope` on the newest open connection; its envelope_id."""
        with self.changed:
            live = [c for c in self.connections if c.open]
        if not live:
            raise AssertionError("no open connection to send on")
        live[-1].send_text(envelope)
        return str(envelope.get("envelope_id", ""))

    def wait_ack(self, envelope_id: str, count: int = 1, timeout: float = 10.0) -> list[Ack]:
        """The acknowledgements of `envelope_id` once there are `count` of them."""
        return self._wait(lambda: self._acks_of(envelope_id, count), timeout,
                          f"{count} ack(s) of {envelope_id}")  # fmt: skip

    def acks_of(self, envelope_id: str) -> list[Ack]:
        with self.changed:
            return [a for a in self.acks if a.envelope_id == envelope_id]

    def disconnect(self, reason: str = "refresh_requested") -> None:
        """Slack's notice that it will close this connection: the app should open a new one."""
        self.send({"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-test"}})

    def drop(self, *, reset: bool = False) -> Connection:
        """End the newest open connection's TCP connection without a close frame: with a FIN
        (Slack's end shut down), or with `reset` a RST (the connection was reset on the way)."""
        with self.changed:
            connection = [c for c in self.connections if c.open][-1]
            connection.ended_by = "reset" if reset else "dropped"
        if reset:  # closing with a zero linger sends RST; the reader thread closes it
            connection.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            connection.sock.shutdown(socket.SHUT_RD)  # wakes the reader, sends nothing
            return connection
        try:
            connection.sock.shutdown(socket.SHUT_RDWR)  # FIN now; wakes the reader thread
        finally:
            connection.sock.close()
        return connection

    def stop(self) -> None:
        self.stopped = True
        self.listener.close()
        with self.changed:
            live = [c for c in self.connections if c.open]
        for connection in live:
            with contextlib.suppress(OSError):
                connection.sock.shutdown(socket.SHUT_RDWR)
            connection.sock.close()

    # -- the server -------------------------------------------------------------------------

    def _accept(self) -> None:
        while not self.stopped:
            try:
                sock, _ = self.listener.accept()
            except OSError:  # the listener was closed
                return
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        connection = self._handshake(sock)
        if connection is None:
            sock.close()
            return
        # https://api.slack.com/apis/connections/socket-implement: the first message
        connection.send_text({
            "type": "hello", "num_connections": 1,
            "debug_info": {"host": "applink-test", "build_number": 1,
                           "approximate_connection_time": 18060},
            "connection_info": {"app_id": self.app_id},
        })  # fmt: skip
        with self.changed:
            self.changed.notify_all()
        try:
            self._read(connection)
        except (EOFError, OSError):
            if not connection.ended_by:
                connection.ended_by = "client"
        finally:
            with self.changed:
                connection.open = False
                self.changed.notify_all()
            sock.close()

    def _handshake(self, sock: socket.socket) -> Connection | None:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = sock.recv(4096)
            if not chunk:
                return None
            request += chunk
        lines = request.decode("latin-1").split("\r\n")
        path = lines[0].split(" ")[1]
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])
        }
        query = parse_qs(urlsplit(path).query)
        if urlsplit(path).path != "/link/" or query.get("ticket") != [TICKET]:
            self.refused.append(path)
            sock.sendall(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n")
            return None
        sock.sendall(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + f"Sec-WebSocket-Accept: {accept_key(headers['sec-websocket-key'])}\r\n\r\n".encode()
        )
        with self.changed:
            connection = Connection(len(self.connections) + 1, sock, path)
            self.connections.append(connection)
        return connection

    def _read(self, connection: Connection) -> None:
        while True:
            opcode, data = read_frame(connection.sock)
            if opcode == PING:  # the client's keep-alive: echo its payload
                with connection.send_lock:
                    connection.sock.sendall(frame(PONG, data))
            elif opcode == CLOSE:
                connection.ended_by = connection.ended_by or "close frame"
                with connection.send_lock:
                    connection.sock.sendall(frame(CLOSE, data[:2]))
                return
            elif opcode == TEXT:
                self._record(connection, json.loads(data))

    def _record(self, connection: Connection, message: dict[str, Any]) -> None:
        ack = Ack(str(message.get("envelope_id", "")), connection.number, message.get("payload"))
        with self.changed:
            self.acks.append(ack)
            self.changed.notify_all()

    # -- waiting ----------------------------------------------------------------------------

    def _connection_said_hello(self, number: int) -> Connection | None:
        if len(self.connections) < number:
            return None
        connection = self.connections[number - 1]
        return connection if connection.sent else None

    def _closed(self, number: int) -> Connection | None:
        if len(self.connections) < number or self.connections[number - 1].open:
            return None
        return self.connections[number - 1]

    def _acks_of(self, envelope_id: str, count: int) -> list[Ack] | None:
        found = [a for a in self.acks if a.envelope_id == envelope_id]
        return found if len(found) >= count else None

    def _wait(self, found: Callable[[], T | None], timeout: float, what: str) -> T:
        deadline = time.monotonic() + timeout
        with self.changed:
            while (result := found()) is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {what} within {timeout} s; {self.summary()}")
                self.changed.wait(left)
            return result

    def summary(self) -> str:
        connections = [(c.number, c.open, c.ended_by) for c in self.connections]
        return f"connections {connections}, acks {[a.envelope_id for a in self.acks]}"


def slash_command(
    envelope_id: str, text: str, response_url: str, *, user: str = "U1", channel: str = "C1"
) -> dict[str, Any]:
    """A `/clv` command as Socket Mode delivers it: the HTTP form's fields as a JSON payload,
    and `accepts_response_payload`: the acknowledgement may carry the answer."""
    payload = {
        "token": "legacy-unused", "team_id": "T1", "team_domain": "shop",
        "channel_id": channel, "channel_name": "sales", "user_id": user, "user_name": "jane",
        "command": "/clv", "text": text, "api_app_id": APP_ID, "is_enterprise_install": "false",
        "response_url": response_url, "trigger_id": "1.2.3",
    }  # fmt: skip
    return {"envelope_id": envelope_id, "type": "slash_commands", "payload": payload,
            "accepts_response_payload": True}  # fmt: skip


def interactive(envelope_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A block_actions payload (a button click) as Socket Mode delivers it."""
    return {"envelope_id": envelope_id, "type": "interactive", "payload": payload,
            "accepts_response_payload": False}  # fmt: skip


def events_api(
    envelope_id: str,
    event_id: str,
    event: dict[str, Any],
    *,
    retry_attempt: int = 0,
    retry_reason: str = "",
) -> dict[str, Any]:
    """An Events API callback as Socket Mode delivers it; a retry keeps the `event_id` and says
    which attempt it is (https://api.slack.com/apis/events-api#retries)."""
    payload = {
        "token": "legacy-unused", "team_id": "T1", "api_app_id": APP_ID, "event": event,
        "type": "event_callback", "event_id": event_id, "event_time": 1700000000,
        "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True,
                            "is_enterprise_install": False}],
    }  # fmt: skip
    return {"envelope_id": envelope_id, "type": "events_api", "payload": payload,
            "accepts_response_payload": False, "retry_attempt": retry_attempt,
            "retry_reason": retry_reason}  # fmt: skip


def app_home_opened(user: str) -> dict[str, Any]:
    """https://api.slack.com/events/app_home_opened (the Home tab)."""
    return {"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home",
            "event_ts": "1700000000.000100"}  # fmt: skip

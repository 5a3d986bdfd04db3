"""A local HTTP server that plays Slack's Web API and response_url endpoints, recording calls."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl


@dataclass
class Call:
    path: str
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class FakeSlack:
    """Web API at `{url}/api/`, response URLs at `{url}/respond/<n>`."""

    server: ThreadingHTTPServer
    calls: list[Call] = field(default_factory=list)
    rate_limit_next: dict[str, int] = field(default_factory=dict)  # method -> 429s to answer
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def response_url(self, tag: str = "1") -> str:
        return f"{self.url}/respond/{tag}"

    def named(self, path: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.path == path or c.path.startswith(path)]

    def wait_for(self, path: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.named(path)
            if len(found) >= count:
                return found
            time.sleep(0.01)
        raise AssertionError(f"no call to {path} within {timeout} s; calls: {self.calls}")

    def messages(self) -> list[dict[str, Any]]:
        """Every message body the bot sent (chat.* and response_url), for limit checks."""
        with self.lock:
            return [
                c.body
                for c in self.calls
                if c.path.startswith("/respond/") or c.path.startswith("/api/chat.")
            ]


def _handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length") or 0)).decode()
            if "json" in (self.headers.get("content-type") or ""):
                body: dict[str, Any] = json.loads(raw or "{}")
            else:
                body = dict(parse_qsl(raw))
            method = self.path.removeprefix("/api/")
            with fake.lock:
                fake.calls.append(Call(self.path, body, dict(self.headers.items())))
                limited = fake.rate_limit_next.get(method, 0)
                if limited:
                    fake.rate_limit_next[method] = limited - 1
            if limited:
                self._send(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
            elif self.path.startswith("/respond/"):
                self._send(200, None)
            elif method == "auth.test":
                self._send(200, {"ok": True, "url": "https://t.slack.com/", "team": "T",
                                 "user": "clvbot", "team_id": "T1", "user_id": "UBOT",
                                 "bot_id": "BBOT"})  # fmt: skip
            else:
                channel = body.get("channel", "C1")
                self._send(200, {"ok": True, "channel": channel, "ts": "1700000000.000100"})

        def _send(
            self, status: int, payload: dict[str, Any] | None, headers: dict[str, str] | None = None
        ) -> None:
            data = b"ok" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            ctype = "text/plain" if payload is None else "application/json"
            self.send_header("content-type", ctype)
            self.send_header("content-length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler


def start_fake_slack() -> FakeSlack:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    fake = FakeSlack(server)
    server.RequestHandlerClass = _handler(fake)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return fake

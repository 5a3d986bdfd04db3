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
    # method -> how many calls to carry out but answer with a 500, as if the answer got lost
    lose_answer_next: dict[str, int] = field(default_factory=dict)
    fail_next: dict[str, str] = field(default_factory=dict)  # method -> error, not carried out
    posted: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # channel -> messages
    lock: threading.Lock = field(default_factory=threading.Lock)
    ts_base: int = 1_700_000_000  # Slack's clock: message ts count up from here
    _ts: int = 0

    def next_ts(self) -> str:
        self._ts += 1
        return f"{self.ts_base + self._ts}.{self._ts:06d}"

    def channel_posts(self, channel: str) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.posted.get(channel, []))

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
            data = self.rfile.read(int(self.headers.get("content-length") or 0))
            if self.path.startswith("/upload/"):  # the file itself (files_upload_v2)
                with fake.lock:
                    fake.calls.append(Call(self.path, {"bytes": data}, dict(self.headers.items())))
                self._send(200, None)
                return
            raw = data.decode()
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
                self._web_api(method, body)

        def _web_api(self, method: str, body: dict[str, Any]) -> None:
            channel = body.get("channel") or body.get("channel_id") or "C1"
            with fake.lock:
                error = fake.fail_next.pop(method, None)
                lose = fake.lose_answer_next.get(method, 0)
                if lose:
                    fake.lose_answer_next[method] = lose - 1
                ts = fake.next_ts() if method == "chat.postMessage" else "1700000000.000100"
                if method == "chat.postMessage" and error is None:
                    metadata = body.get("metadata")
                    if isinstance(metadata, str):
                        metadata = json.loads(metadata)
                    fake.posted.setdefault(channel, []).append(
                        {**body, "ts": ts, "metadata": metadata}
                    )
                history = [
                    {"type": "message", "ts": m["ts"], "text": m.get("text", ""),
                     **({"metadata": m["metadata"]} if m.get("metadata") else {})}
                    for m in reversed(fake.posted.get(channel, []))
                    if float(m["ts"]) >= float(body.get("oldest") or 0)
                ]  # fmt: skip
            if error is not None:
                self._send(200, {"ok": False, "error": error})
            elif lose:
                self._send(500, {"ok": False, "error": "internal_error"})
            elif method == "conversations.history":
                self._send(200, {"ok": True, "messages": history, "has_more": False})
            elif method == "files.getUploadURLExternal":
                self._send(200, {"ok": True, "upload_url": f"{fake.url}/upload/F1",
                                 "file_id": "F1"})  # fmt: skip
            elif method == "files.completeUploadExternal":
                self._send(200, {"ok": True, "files": [{"id": "F1", "title": "chart"}]})
            else:
                self._send(200, {"ok": True, "channel": channel, "ts": ts})

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

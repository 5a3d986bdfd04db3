"""A stand-in for the bot's `/slack/events`: verifies Slack's signature, records, answers.

Forms (commands; interactivity's `payload` field) and JSON bodies (Events API) are recorded
parsed, their content types in `content_types`."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.sandbox import ServerThread, bind

SECRET = "sandbox-test-secret"
TOKEN = "xoxb-sandbox-test-token"
Reply = Callable[[dict[str, Any]], Response]


def empty_ack(_body: dict[str, Any]) -> Response:
    return Response("", 200)


@dataclass
class FakeBot:
    reply: Reply = empty_ack
    received: list[dict[str, Any]] = field(default_factory=list)
    content_types: list[str] = field(default_factory=list)
    server: ServerThread | None = None

    def start(self) -> FakeBot:
        verifier = SignatureVerifier(SECRET)

        async def events(request: Request) -> Response:
            raw = (await request.body()).decode()
            if not verifier.is_valid(raw, request.headers.get("x-slack-request-timestamp", ""),
                                     request.headers.get("x-slack-signature", "")):  # fmt: skip
                return JSONResponse({"error": "invalid signature"}, 401)
            content_type = request.headers.get("content-type", "")
            if content_type == "application/json":
                body = json.loads(raw)
            else:
                form = dict(parse_qsl(raw))
                body = json.loads(form["payload"]) if "payload" in form else form
            self.received.append(body)
            self.content_types.append(content_type)
            return self.reply(body)

        app = Starlette(routes=[Route("/slack/events", events, methods=["POST"])])
        self.server = ServerThread(app, bind(0), "fake-bot").start()
        return self

    @property
    def events_url(self) -> str:
        assert self.server is not None
        return f"{self.server.url}/slack/events"

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.received

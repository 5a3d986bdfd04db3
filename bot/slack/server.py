"""Serving the app: HTTP (Starlette under uvicorn) or Socket Mode, plus a store health check.

`POST /slack/events` checks each request before bolt sees it (`bot.slack.inbound`): a body
over MAX_BODY_BYTES is a 413, a request Slack did not sign a 401, a signed body that cannot
be read a 400. Each refusal is one log line without the body, and a flood of them is
summarised rather than logged line by line.
"""

from __future__ import annotations

import logging
import time

from slack_bolt import App, BoltRequest
from slack_bolt.adapter.starlette.handler import to_starlette_response
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.slack.inbound import (
    MAX_BODY_BYTES,
    Rejection,
    parse_signed_body,
    signature_problem,
    to_bolt_body,
)
from clv.settings import Settings
from clv.store.deadline import StoreNotAnsweringError, within
from clv.store.health import store_problem

log = logging.getLogger("clvbot.slack")
EVENTS_PATH = "/slack/events"


class RejectionLog:
    """At most `burst` refusal lines per `window` seconds; the rest are counted and summed up."""

    def __init__(self, burst: int = 20, window: float = 60.0) -> None:
        self.burst, self.window = burst, window
        self.started, self.logged, self.suppressed = 0.0, 0, 0

    def record(self, rejection: Rejection, client: str, size: int) -> None:
        now = time.monotonic()
        if now - self.started > self.window:
            if self.suppressed:
                log.warning("%d more requests refused in the last minute", self.suppressed)
            self.started, self.logged, self.suppressed = now, 0, 0
        if self.logged >= self.burst:
            self.suppressed += 1
            return
        self.logged += 1
        log.warning("refused a request from %s (%d bytes): %d %s", client, size,
                    rejection.status, rejection.reason)  # fmt: skip


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes | Rejection:
    """The raw body, or a 413 as soon as it is known to be longer than `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return Rejection(413, f"body of {declared} bytes is over the {limit}-byte limit")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return Rejection(413, f"body is over the {limit}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


def build_asgi(app: App, engine: Engine, settings: Settings) -> Starlette:
    """`POST /slack/events` (commands and buttons) and `GET /healthz`."""
    secret = settings.slack_signing_secret
    signing_key = secret.get_secret_value().encode() if secret else b""
    refusals = RejectionLog()

    def refuse(request: Request, rejection: Rejection, size: int) -> Response:
        refusals.record(rejection, request.client.host if request.client else "?", size)
        return PlainTextResponse(rejection.reason, status_code=rejection.status)

    async def events(request: Request) -> Response:
        body = await read_body(request)
        if isinstance(body, Rejection):
            return refuse(request, body, 0)
        headers = request.headers
        content_type = headers.get("content-type", "")
        problem = signature_problem(signing_key, headers, body, now=time.time())
        parsed = problem or parse_signed_body(body, content_type)
        if isinstance(parsed, Rejection):
            return refuse(request, parsed, len(body))
        try:
            bolt_request = BoltRequest(body=to_bolt_body(body, content_type), headers=dict(headers),
                                       query=request.url.query)  # fmt: skip
        except Exception as exc:  # a verified body of a shape bolt cannot read
            return refuse(request, Rejection(400, f"unreadable payload ({exc!r:.80})"), len(body))
        # bolt's App is synchronous: dispatch in a worker thread, not on the event loop
        return to_starlette_response(await run_in_threadpool(app.dispatch, bolt_request))

    async def healthz(_request: Request) -> Response:
        # the reason goes to the log only: a health URL is often reachable by anyone
        problem = await run_in_threadpool(health, engine, settings.store_timeout_seconds)
        return JSONResponse({"ok": problem is None}, status_code=200 if problem is None else 503)

    return Starlette(
        routes=[
            Route(EVENTS_PATH, events, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


def health(engine: Engine, seconds: float) -> str | None:
    """What is wrong with the store now (None: nothing), decided within `seconds`."""
    try:
        problem = within(seconds, lambda: store_problem(engine))
    except StoreNotAnsweringError as exc:
        problem = str(exc)
    if problem is not None:
        log.warning("health check: %s", problem)
    return problem


def serve_http(app: App, engine: Engine, settings: Settings, *, host: str, port: int) -> None:
    import uvicorn

    # log_config=None: uvicorn's records go through our one-line formatter too
    uvicorn.run(
        build_asgi(app, engine, settings), host=host, port=port, log_level="warning",
        log_config=None,
    )  # fmt: skip


def serve_socket_mode(app: App, app_token: str) -> None:
    """Socket Mode (https://api.slack.com/apis/connections/socket): each envelope handled
    once, a connection Slack's end hung up on replaced at once (`bot.slack.socket_mode`)."""
    from bot.slack.socket_mode import serve

    serve(app, app_token)

"""Serving the app: HTTP (Starlette under uvicorn) or Socket Mode, plus a store health check."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.slack.errors import log_failure
from clv.store import require_current_schema

log = logging.getLogger("clvbot.slack")
EVENTS_PATH = "/slack/events"


def store_is_healthy(engine: Engine) -> bool:
    try:
        require_current_schema(engine)
    except Exception as exc:
        log_failure(log, exc, "checking the store")
        return False
    return True


def build_asgi(app: App, engine: Engine) -> Starlette:
    """`POST /slack/events` (commands and buttons) and `GET /healthz`."""

    async def events(request: Request) -> Response:
        body = await request.body()
        # bolt's App is synchronous: dispatch in a worker thread, not on the event loop
        bolt_response = await run_in_threadpool(app.dispatch, to_bolt_request(request, body))
        return to_starlette_response(bolt_response)

    async def healthz(_request: Request) -> Response:
        ok = await run_in_threadpool(store_is_healthy, engine)
        return JSONResponse({"ok": ok}, status_code=200 if ok else 503)

    return Starlette(
        routes=[
            Route(EVENTS_PATH, events, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


def serve_http(app: App, engine: Engine, *, host: str, port: int) -> None:
    import uvicorn

    uvicorn.run(build_asgi(app, engine), host=host, port=port, log_level="warning")


def serve_socket_mode(app: App, app_token: str) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    SocketModeHandler(app, app_token).start()  # type: ignore[no-untyped-call]

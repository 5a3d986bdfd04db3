"""The sandbox's endpoints that the bot calls, as it calls Slack's: the Web API
(`/api/<method>`, `apps.connections.open` included), response URLs (`POST /respond/<token>`),
files_upload_v2's upload (`POST /upload/<file id>`) and the uploaded files, which the page
shows (`GET /files/<file id>`).

Each call is recorded as received when the config has a `Recorder`, and gets the fault a test
armed for it (`Faults`) in place of its usual answer.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.sandbox import webapi
from bot.sandbox.faults import RESPONSE_URL, UPLOAD, Faults
from bot.sandbox.recorder import Call
from bot.sandbox.responses import ResponseError, apply_response

if TYPE_CHECKING:
    from bot.sandbox.app import Sandbox


async def _args(request: Request) -> dict[str, Any] | None:
    """Query, form and JSON arguments merged, as Slack's Web API accepts them; None for a body
    that is not JSON although it says so."""
    args: dict[str, Any] = dict(request.query_params)
    raw = (await request.body()).decode(errors="replace")
    if "json" in request.headers.get("content-type", ""):
        try:
            data = json.loads(raw or "{}")
        except json.JSONDecodeError:
            return None
        args.update(data if isinstance(data, dict) else {})
    elif raw:
        args.update(parse_qsl(raw, keep_blank_values=True))
    return args


Answer = Callable[[], Awaitable[Response]]


async def _with_fault(faults: Faults | None, name: str, answer: Answer) -> Response:
    """`answer()`, or the fault armed for `name` in its place (after it, when carried out)."""
    fault = faults.take(name) if faults is not None else None
    if fault is None:
        return await answer()
    if fault.delay:
        await asyncio.sleep(fault.delay)
    if fault.error is None:
        return await answer()
    if fault.carried_out:
        await answer()
    return JSONResponse({"ok": False, "error": fault.error}, fault.status, fault.headers)


class BotSide:
    """The endpoints the bot calls, over the sandbox's workspace: each method answers one
    route."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox, self.ws, self.config = sandbox, sandbox.ws, sandbox.config

    async def record(self, request: Request, body: dict[str, Any]) -> None:
        if self.config.recorder is not None:
            raw = await request.body()
            self.config.recorder.record(Call(request.url.path, body, request.headers, raw))

    async def api(self, request: Request) -> Response:
        method = request.path_params["method"]
        args = await _args(request)
        await self.record(request, dict(args or {}))
        if args is None:
            self.ws.log("api", method, False, "invalid_json")
            return JSONResponse({"ok": False, "error": "invalid_json"})

        async def answer() -> Response:
            given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            token = given or str(args.pop("token", ""))
            if method == "apps.connections.open":
                return JSONResponse(self.connections_open(token))
            if token != self.config.bot_token:
                error = "not_authed" if not token else "invalid_auth"
                self.ws.log("api", method, False, error)
                return JSONResponse({"ok": False, "error": error})
            base_url = self.sandbox.base_url(request)
            return JSONResponse(webapi.call(self.ws, method, args, base_url=base_url))

        return await _with_fault(self.config.faults, method, answer)

    def connections_open(self, token: str) -> dict[str, Any]:
        """apps.connections.open: only an app-level token, and only with Socket Mode on."""
        config = self.config
        if config.app_token is None or config.socket_mode_url is None:
            answer: dict[str, Any] = {"ok": False, "error": "not_allowed_token_type"}
        elif token != config.app_token:
            answer = {"ok": False, "error": "invalid_auth" if token else "not_authed"}
        else:
            answer = {"ok": True, "url": config.socket_mode_url}
        self.ws.log("api", "apps.connections.open", answer["ok"], answer.get("error", ""))
        return answer

    async def respond(self, request: Request) -> Response:
        token = request.path_params["token"]
        try:
            body = json.loads(await request.body() or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError):
            await self.record(request, {})
            return JSONResponse({"ok": False, "error": "invalid_payload"}, 400)
        message = body if isinstance(body, dict) else {}
        await self.record(request, message)

        async def answer() -> Response:
            try:
                done = apply_response(self.ws, token, message, via="response_url")
            except ResponseError as exc:
                self.ws.log("response_url", "response_url", False, exc.error)
                return JSONResponse({"ok": False, "error": exc.error}, exc.status)
            self.ws.log("response_url", "response_url", True, done)
            return JSONResponse({"ok": True})

        return await _with_fault(self.config.faults, RESPONSE_URL, answer)

    async def upload(self, request: Request) -> Response:
        await self.record(request, {})

        async def answer() -> Response:
            upload = self.ws.files.get(request.path_params["file_id"])
            if upload is None:
                return Response("file not found", 404)
            data = await request.body()
            with self.ws.lock:
                upload.data, upload.length = data, len(data)
            self.ws.log("upload", upload.name, True, f"{len(data):,} bytes")
            return Response(f"OK - {len(data)}", 200, media_type="text/plain")

        return await _with_fault(self.config.faults, UPLOAD, answer)

    async def file(self, request: Request) -> Response:
        upload = self.ws.files.get(request.path_params["file_id"])
        if upload is None or upload.data is None:
            return Response("file not found", 404)
        mimetype = webapi.file_info(upload, "").get("mimetype", "application/octet-stream")
        headers = {"x-content-type-options": "nosniff"}
        if mimetype != "image/png":  # never render an uploaded file as a page of this origin
            headers["content-disposition"] = "attachment"
        return Response(upload.data, 200, headers=headers, media_type=mimetype)
